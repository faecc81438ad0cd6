/*
 * test_purchase.c - the runway and purchase arithmetic of the augmentation
 * projection (purchase.h) on hand-computed cases: already over, never,
 * an exact crossing, planned demand that alone exceeds capacity, the HA
 * reserve, the vCPU ceiling binding, memory binding, storage rounding up,
 * reclaimable capacity bringing the purchase to 0, order dates late and on
 * time, the in-service day of each unit, and refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "purchase.h"

#define GIB 1073741824.0
#define TIB (GIB * 1024)
#define TODAY 20000 /* 2024-10-04 */

#define assert_near(a, b) check_near((a), (b), #a, __LINE__)

static void check_near(double a, double b, const char *what, int line)
{
    if (!(fabs(a - b) <= 1e-9 * (1 + fabs(b))))
        fail_msg("line %d: %s is %.12g, expected %.12g", line, what, a, b);
}

static void test_usable(void **state)
{
    (void)state;
    /* 2 hosts of 128 CPUs, one kept spare: 128 usable */
    assert_near(pu_usable(256, 2, 1, 192, 0), 128);
    /* one host of 192 bought: the spare is now the 192 one:
     * 256 + 192 - 192 = 256 */
    assert_near(pu_usable(256, 2, 1, 192, 1), 256);
    assert_near(pu_usable(256, 2, 1, 192, 2), 448);
    /* a smaller model: the spare stays an average current host */
    assert_near(pu_usable(256, 2, 1, 64, 1), 256 + 64 - 128);
    /* no reserve */
    assert_near(pu_usable(256, 2, 0, 64, 3), 256 + 192);
}

static void test_runway(void **state)
{
    double line[101];
    struct pu_runway r;
    (void)state;
    /* 50 + 0.5 a day reaches 80 on day 60 exactly */
    for (int i = 0; i <= 100; i++)
        line[i] = 50 + 0.5 * i;
    pu_runway(line, 101, TODAY, 80, &r);
    assert_int_equal(r.status, PU_RUNWAY_CROSSES);
    assert_int_equal(r.day, TODAY + 60);
    assert_int_equal(r.days, 60);
    /* already over: today's value 90 against 80 */
    line[0] = 90;
    pu_runway(line, 101, TODAY, 80, &r);
    assert_int_equal(r.status, PU_RUNWAY_ALREADY_OVER);
    assert_int_equal(r.day, TODAY);
    assert_int_equal(r.days, 0);
    /* never: the line ends at 100 against 101 */
    line[0] = 50;
    pu_runway(line, 101, TODAY, 101, &r);
    assert_int_equal(r.status, PU_RUNWAY_NOT_WITHIN);
    /* gaps are skipped */
    line[60] = NAN;
    pu_runway(line, 101, TODAY, 80, &r);
    assert_int_equal(r.day, TODAY + 61);
    /* no capacity: no limit */
    pu_runway(line, 101, TODAY, NAN, &r);
    assert_int_equal(r.status, PU_RUNWAY_NO_LIMIT);
    pu_runway(line, 101, TODAY, 0, &r);
    assert_int_equal(r.status, PU_RUNWAY_NO_LIMIT);
}

static void test_planned_active(void **state)
{
    (void)state;
    assert_false(pu_planned_active(99, 100, -1));
    assert_true(pu_planned_active(100, 100, -1));
    assert_true(pu_planned_active(5000, 100, -1));
    assert_true(pu_planned_active(199, 100, 200));
    assert_false(pu_planned_active(200, 100, 200));
}

static void test_order_by(void **state)
{
    int64_t o, late;
    (void)state;
    pu_order_by(TODAY + 200, 120, TODAY, &o, &late);
    assert_int_equal(o, TODAY + 80);
    assert_int_equal(late, 0);
    pu_order_by(TODAY + 30, 120, TODAY, &o, &late);
    assert_int_equal(o, TODAY - 90);
    assert_int_equal(late, 90);
    pu_order_by(TODAY + 120, 120, TODAY, &o, &late);
    assert_int_equal(o, TODAY);
    assert_int_equal(late, 0);
}

/* Two hosts of 128 CPUs and 512 GiB, one spare, model 128 CPUs / 512 GiB. */
static struct pu_cluster small_cluster(void)
{
    struct pu_cluster c = {.cpus = 256,
                           .memory = 1024 * GIB,
                           .hosts = 2,
                           .ha_reserve = 1,
                           .max_vcpu_per_cpu = 4,
                           .target_cpu = 0.7,
                           .target_memory = 0.8,
                           .unit_cpus = 128,
                           .unit_memory = 512 * GIB};
    return c;
}

static void test_ha_reserve(void **state)
{
    struct pu_cluster c = small_cluster();
    struct pu_hosts h;
    (void)state;
    /* 90 CPUs busy: usable 128, 0.7 * 128 = 89.6 < 90: one host */
    assert_int_equal(pu_hosts_for(&c, 90, NAN, NAN, &h, NULL), SDC_OK);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.n_cpu, 1);
    assert_int_equal(h.bind, PU_BIND_CPU);
    /* 89.6 exactly is on the target: nothing */
    assert_int_equal(pu_hosts_for(&c, 89.6, NAN, NAN, &h, NULL), SDC_OK);
    assert_int_equal(h.n, 0);
    assert_int_equal(h.bind, PU_BIND_NONE);
    /* without the reserve 0.7 * 256 = 179.2 covers 90 */
    c.ha_reserve = 0;
    assert_int_equal(pu_hosts_for(&c, 90, NAN, NAN, &h, NULL), SDC_OK);
    assert_int_equal(h.n, 0);
    /* 180 busy, no reserve: 0.7 * (256 + 128) = 268.8: one */
    assert_int_equal(pu_hosts_for(&c, 180, NAN, NAN, &h, NULL), SDC_OK);
    assert_int_equal(h.n, 1);
    /* with the reserve: 0.7 * (128 + 128k) >= 180 -> k >= 1.009: two */
    c.ha_reserve = 1;
    assert_int_equal(pu_hosts_for(&c, 180, NAN, NAN, &h, NULL), SDC_OK);
    assert_int_equal(h.n, 2);
}

static void test_vcpu_ceiling(void **state)
{
    /* four hosts of 64 CPUs, one spare: usable 192 + 64k, ceiling
     * 4 vCPUs per usable CPU */
    struct pu_cluster c = {.cpus = 256,
                           .memory = 2048 * GIB,
                           .hosts = 4,
                           .ha_reserve = 1,
                           .max_vcpu_per_cpu = 4,
                           .target_cpu = 0.7,
                           .target_memory = 0.8,
                           .unit_cpus = 64,
                           .unit_memory = 512 * GIB};
    struct pu_hosts h;
    (void)state;
    /* 768 vCPUs fit exactly */
    assert_int_equal(pu_hosts_for(&c, 50, 100 * GIB, 768, &h, NULL), SDC_OK);
    assert_int_equal(h.n, 0);
    /* 1000: 768 + 256k >= 1000 -> k >= 0.91: one */
    assert_int_equal(pu_hosts_for(&c, 50, 100 * GIB, 1000, &h, NULL), SDC_OK);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.bind, PU_BIND_VCPU);
    /* 1100: k >= 1.30: two, although CPU and memory need none */
    assert_int_equal(pu_hosts_for(&c, 50, 100 * GIB, 1100, &h, NULL), SDC_OK);
    assert_int_equal(h.n, 2);
    assert_int_equal(h.n_vcpu, 2);
    assert_int_equal(h.n_cpu, 0);
    assert_int_equal(h.n_memory, 0);
    assert_int_equal(h.bind, PU_BIND_VCPU);
    /* no ceiling configured */
    c.max_vcpu_per_cpu = 0;
    assert_int_equal(pu_hosts_for(&c, 50, 100 * GIB, 1100, &h, NULL), SDC_OK);
    assert_int_equal(h.n, 0);
}

static void test_memory_binds(void **state)
{
    /* four hosts of 512 GiB, one spare; the model has 768 GiB:
     * usable(0) = 1536 GiB, usable(k >= 1) = 2048 + 768k - 768 */
    struct pu_cluster c = {.cpus = 256,
                           .memory = 2048 * GIB,
                           .hosts = 4,
                           .ha_reserve = 1,
                           .max_vcpu_per_cpu = 4,
                           .target_cpu = 0.7,
                           .target_memory = 0.8,
                           .unit_cpus = 64,
                           .unit_memory = 768 * GIB};
    struct pu_hosts h;
    (void)state;
    /* 1800 GiB / 0.8 = 2250: 1280 + 768k >= 2250 -> k >= 1.26: two;
     * CPU 150 busy needs one (0.7 * 192 = 134.4; 0.7 * 256 = 179.2) */
    assert_int_equal(pu_hosts_for(&c, 150, 1800 * GIB, 300, &h, NULL), SDC_OK);
    assert_int_equal(h.n_cpu, 1);
    assert_int_equal(h.n_memory, 2);
    assert_int_equal(h.n, 2);
    assert_int_equal(h.bind, PU_BIND_MEMORY);
    /* memory 1228.8 GiB = 0.8 * 1536 exactly: none for memory */
    assert_int_equal(pu_hosts_for(&c, 10, 1228.8 * GIB, 0, &h, NULL), SDC_OK);
    assert_int_equal(h.n, 0);
}

static void test_storage_rounding(void **state)
{
    int k;
    (void)state;
    /* 100 TiB at 80%: 81 TiB -> 101.25 TiB needed -> one 100 TiB unit */
    assert_int_equal(
        pu_units_for(100 * TIB, 0.8, 100 * TIB, 81 * TIB, &k, NULL), SDC_OK);
    assert_int_equal(k, 1);
    /* 160 TiB -> 200 exactly -> one */
    assert_int_equal(
        pu_units_for(100 * TIB, 0.8, 100 * TIB, 160 * TIB, &k, NULL), SDC_OK);
    assert_int_equal(k, 1);
    /* 161 TiB -> 201.25 -> two */
    assert_int_equal(
        pu_units_for(100 * TIB, 0.8, 100 * TIB, 161 * TIB, &k, NULL), SDC_OK);
    assert_int_equal(k, 2);
    /* 80 TiB: on target, none; 0, negative and NaN demand: none */
    assert_int_equal(
        pu_units_for(100 * TIB, 0.8, 100 * TIB, 80 * TIB, &k, NULL), SDC_OK);
    assert_int_equal(k, 0);
    assert_int_equal(pu_units_for(100 * TIB, 0.8, 100 * TIB, -5, &k, NULL),
                     SDC_OK);
    assert_int_equal(k, 0);
    assert_int_equal(pu_units_for(100 * TIB, 0.8, 100 * TIB, NAN, &k, NULL),
                     SDC_OK);
    assert_int_equal(k, 0);
    /* a unit of 0 while units are needed: refused, not a loop */
    assert_int_equal(pu_units_for(100 * TIB, 0.8, 0, 81 * TIB, &k, NULL),
                     SDC_ERR_INVALID);
    /* absurd demand: refused */
    assert_int_equal(pu_units_for(1, 0.8, 1, 1e300, &k, NULL), SDC_ERR_INVALID);
}

static void test_storage_schedule(void **state)
{
    double d[101];
    struct pu_plan p;
    (void)state;
    /* 70 TiB growing 1 TiB a day for 100 days, 100 TiB at 80%, units of
     * 100 TiB: the first unit is needed when 81 TiB (day 11), the second
     * at 161 TiB (day 91) */
    for (int i = 0; i <= 100; i++)
        d[i] = (70 + i) * TIB;
    assert_int_equal(pu_plan_storage(100 * TIB, 0.8, 100 * TIB, d, 101, TODAY,
                                     120, 0, &p, NULL),
                     SDC_OK);
    assert_int_equal(p.units, 2);
    assert_int_equal(p.bind, PU_BIND_STORAGE);
    assert_int_equal(p.in_service, TODAY + 11);
    assert_int_equal(p.unit_day[0], TODAY + 11);
    assert_int_equal(p.unit_day[1], TODAY + 91);
    assert_int_equal(p.order_day, TODAY + 11 - 120);
    assert_int_equal(p.late_days, 109);
    /* only to day 60: one unit */
    assert_int_equal(pu_plan_storage(100 * TIB, 0.8, 100 * TIB, d, 61, TODAY,
                                     10, 0, &p, NULL),
                     SDC_OK);
    assert_int_equal(p.units, 1);
    assert_int_equal(p.order_day, TODAY + 1);
    assert_int_equal(p.late_days, 0);
    /* 11 TiB reclaimable: demand 59..159, under 80 to day 21 and under
     * 160 to the end: one unit, needed on day 22 */
    assert_int_equal(pu_plan_storage(100 * TIB, 0.8, 100 * TIB, d, 101, TODAY,
                                     0, 11 * TIB, &p, NULL),
                     SDC_OK);
    assert_int_equal(p.units, 1);
    assert_int_equal(p.in_service, TODAY + 22);
    /* 100 TiB reclaimable: nothing to buy */
    assert_int_equal(pu_plan_storage(100 * TIB, 0.8, 100 * TIB, d, 101, TODAY,
                                     0, 100 * TIB, &p, NULL),
                     SDC_OK);
    assert_int_equal(p.units, 0);
    assert_int_equal(p.in_service, 0);
}

static void test_already_over_plan(void **state)
{
    double d[31];
    struct pu_plan p;
    (void)state;
    /* 90 TiB of 100 today: over 80%, one unit in service today, ordered
     * 120 days late */
    for (int i = 0; i <= 30; i++)
        d[i] = 90 * TIB;
    assert_int_equal(pu_plan_storage(100 * TIB, 0.8, 100 * TIB, d, 31, TODAY,
                                     120, 0, &p, NULL),
                     SDC_OK);
    assert_int_equal(p.units, 1);
    assert_int_equal(p.in_service, TODAY);
    assert_int_equal(p.late_days, 120);
}

static void test_planned_exceeds(void **state)
{
    /* 1024 GiB on two hosts, no reserve, target 80%; the organic demand
     * is a flat 400 GiB and a planned 800 GiB arrives on day 10: alone
     * it is 78% of capacity, with the rest 1200 GiB, over 819.2 GiB.
     * One host of 512 GiB: 0.8 * 1536 = 1228.8 >= 1200. */
    struct pu_cluster c = {.cpus = 64,
                           .memory = 1024 * GIB,
                           .hosts = 2,
                           .ha_reserve = 0,
                           .max_vcpu_per_cpu = 4,
                           .target_cpu = 0.7,
                           .target_memory = 0.8,
                           .unit_cpus = 32,
                           .unit_memory = 512 * GIB};
    double mem[366];
    struct pu_plan p;
    struct pu_runway r;
    struct pu_reclaim rec = {.memory = 400 * GIB};
    (void)state;
    for (int i = 0; i < 366; i++)
        mem[i] =
            (400 + (pu_planned_active(TODAY + i, TODAY + 10, -1) ? 800 : 0)) *
            GIB;
    pu_runway(mem, 366, TODAY, 0.8 * 1024 * GIB, &r);
    assert_int_equal(r.status, PU_RUNWAY_CROSSES);
    assert_int_equal(r.day, TODAY + 10);
    assert_int_equal(
        pu_plan_hosts(&c, NULL, mem, NULL, 366, TODAY, 120, NULL, &p, NULL),
        SDC_OK);
    assert_int_equal(p.units, 1);
    assert_int_equal(p.bind, PU_BIND_MEMORY);
    assert_int_equal(p.in_service, TODAY + 10);
    assert_int_equal(p.order_day, TODAY - 110);
    assert_int_equal(p.late_days, 110);
    /* 400 GiB reclaimable: 800 <= 819.2, nothing to buy */
    assert_int_equal(
        pu_plan_hosts(&c, NULL, mem, NULL, 366, TODAY, 120, &rec, &p, NULL),
        SDC_OK);
    assert_int_equal(p.units, 0);
    /* leaving load (negative planned) until day 100, back after */
    for (int i = 0; i < 366; i++)
        mem[i] =
            (900 -
             (pu_planned_active(TODAY + i, TODAY, TODAY + 100) ? 200 : 0)) *
            GIB;
    pu_runway(mem, 366, TODAY, 0.8 * 1024 * GIB, &r);
    assert_int_equal(r.status, PU_RUNWAY_CROSSES);
    assert_int_equal(r.day, TODAY + 100);
}

static void test_refusals(void **state)
{
    struct pu_cluster c = small_cluster();
    struct pu_hosts h;
    struct pu_plan p;
    struct sdc_error e = {0};
    double d[1] = {1};
    (void)state;
    c.unit_cpus = 0;
    assert_int_equal(pu_hosts_for(&c, 1000, NAN, NAN, &h, &e), SDC_ERR_INVALID);
    assert_non_null(strstr(e.msg, "no number of hosts"));
    c = small_cluster();
    c.hosts = 0;
    assert_int_equal(pu_hosts_for(&c, 1, 1, 1, &h, NULL), SDC_ERR_INVALID);
    c = small_cluster();
    assert_int_equal(
        pu_plan_hosts(&c, d, NULL, NULL, 0, TODAY, 0, NULL, &p, NULL),
        SDC_ERR_INVALID);
    assert_int_equal(pu_plan_storage(1, 0.8, 1, d, 0, TODAY, 0, 0, &p, NULL),
                     SDC_ERR_INVALID);
    assert_string_equal(pu_bind_name(PU_BIND_VCPU), "vCPU ceiling");
    assert_string_equal(pu_bind_name(PU_BIND_NONE), "nothing");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usable),
        cmocka_unit_test(test_runway),
        cmocka_unit_test(test_planned_active),
        cmocka_unit_test(test_order_by),
        cmocka_unit_test(test_ha_reserve),
        cmocka_unit_test(test_vcpu_ceiling),
        cmocka_unit_test(test_memory_binds),
        cmocka_unit_test(test_storage_rounding),
        cmocka_unit_test(test_storage_schedule),
        cmocka_unit_test(test_already_over_plan),
        cmocka_unit_test(test_planned_exceeds),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
