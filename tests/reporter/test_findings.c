/*
 * test_findings.c - the rules of the monthly report on plain numbers:
 * recommended sizes, each VM class and its precedence, what it frees or
 * needs, hot hosts, the greedy moves of an imbalanced cluster, and the
 * references that decide whether a volume is orphaned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "findings.h"

#define GIB FD_GIB

#define assert_near(a, b) check_near((a), (b), #a, __LINE__)

static void check_near(double a, double b, const char *what, int line)
{
    if (!(fabs(a - b) <= 1e-9 * (1 + fabs(b))))
        fail_msg("line %d: %s is %.12g, expected %.12g", line, what, a, b);
}

/* The defaults of the issue. */
static struct fd_limits limits(void)
{
    struct fd_limits l = {
        .t = {.idle_cpu = 0.03,
              .idle_net_bytes = 1000,
              .oversized_cpu = 0.30,
              .resize_cpu = 0.70,
              .oversized_memory = 0.50,
              .resize_memory = 0.80,
              .undersized_cpu = 0.85,
              .undersized_memory = 0.90,
              .imbalance_points = 30,
              .min_coverage = 0.80,
              .interface_errors = 1},
        .target_cpu = 0.70,
        .target_memory = 0.80,
        .target_storage = 0.80,
        .target_network = 0.70,
    };
    return l;
}

/* A healthy VM running all month: 4 vCPUs at 50%, 8 GiB at 70%. */
static struct fd_vm_in healthy(void)
{
    struct fd_vm_in v = {.month = FD_MONTH_RUNNING,
                         .coverage = 1,
                         .vcpus = 4,
                         .memory = 8 * GIB,
                         .cpu_p95 = 0.5,
                         .cpu_p95_cpus = 2,
                         .mem_p95 = 0.7,
                         .mem_p95_bytes = 0.7 * 8 * GIB,
                         .net_p95 = 50000,
                         .disk_capacity = 40 * GIB,
                         .disk_allocation = 25 * GIB};
    return v;
}

static void test_recommendations(void **state)
{
    (void)state;
    assert_int_equal(fd_rec_vcpus(0.875, 0.7), 2);
    assert_int_equal(fd_rec_vcpus(0.7, 0.7), 1); /* exactly at 70% */
    assert_int_equal(fd_rec_vcpus(1.4, 0.7), 2); /* 1.4 / 0.7 = 2.000..01 */
    assert_int_equal(fd_rec_vcpus(1.41, 0.7), 3);
    assert_int_equal(fd_rec_vcpus(1.95, 0.7), 3);
    assert_int_equal(fd_rec_vcpus(0, 0.7), 1);
    assert_int_equal(fd_rec_vcpus(NAN, 0.7), 1);
    assert_int_equal(fd_rec_vcpus(1, 0), 1);
    assert_near(fd_rec_memory(5.14 * GIB, 0.8), 7 * GIB);
    assert_near(fd_rec_memory(4.8 * GIB, 0.8), 6 * GIB);
    assert_near(fd_rec_memory(0.2 * GIB, 0.8), 1 * GIB);
    assert_near(fd_rec_memory(0, 0.8), 1 * GIB);
    assert_near(fd_rec_memory(NAN, 0.8), 1 * GIB);
    assert_true(fd_over(0.71, 0.7));
    assert_false(fd_over(0.7, 0.7));
    assert_false(fd_over(NAN, 0.7));
}

static void test_healthy_and_near(void **state)
{
    struct fd_limits l = limits();
    struct fd_vm_in v = healthy();
    struct fd_vm_out o;
    (void)state;
    fd_vm_judge(&l, &v, &o);
    assert_int_equal(o.cls, FD_VM_OK);
    assert_false(o.undersized_cpu || o.undersized_mem);
    assert_near(o.free_vcpus + o.free_memory + o.free_storage, 0);

    /* just above the oversized limits: not oversized */
    v.cpu_p95 = 0.31;
    v.cpu_p95_cpus = 1.24;
    v.mem_p95 = 0.51;
    v.mem_p95_bytes = 0.51 * 8 * GIB;
    fd_vm_judge(&l, &v, &o);
    assert_int_equal(o.cls, FD_VM_OK);
    /* just below the undersized limits: not undersized */
    v = healthy();
    v.cpu_p95 = 0.84;
    v.mem_p95 = 0.89;
    fd_vm_judge(&l, &v, &o);
    assert_int_equal(o.cls, FD_VM_OK);
    assert_false(o.undersized_cpu || o.undersized_mem);
    /* idle CPU but traffic: not idle; one vCPU cannot shrink */
    v = healthy();
    v.vcpus = 1;
    v.cpu_p95 = 0.02;
    v.cpu_p95_cpus = 0.02;
    v.net_p95 = 1500;
    fd_vm_judge(&l, &v, &o);
    assert_int_equal(o.cls, FD_VM_OK);
    /* quiet network but CPU just above 3% */
    v.cpu_p95 = 0.035;
    v.net_p95 = 200;
    fd_vm_judge(&l, &v, &o);
    assert_int_equal(o.cls, FD_VM_OK);
}

static void test_idle(void **state)
{
    struct fd_limits l = limits();
    struct fd_vm_in v = healthy();
    struct fd_vm_out o;
    (void)state;
    v.cpu_p95 = 0.01;
    v.cpu_p95_cpus = 0.04;
    v.net_p95 = 300;
    v.mem_p95 = 0.3; /* also small: idle wins, counted once */
    fd_vm_judge(&l, &v, &o);
    assert_int_equal(o.cls, FD_VM_IDLE);
    assert_near(o.free_vcpus, 4);
    assert_near(o.free_memory, 8 * GIB);
    assert_near(o.free_storage, 0);
    assert_false(o.oversized_cpu || o.oversized_mem);
    /* not running the whole month: not idle, but oversized */
    v.month = FD_MONTH_MIXED;
    fd_vm_judge(&l, &v, &o);
    assert_int_equal(o.cls, FD_VM_OVERSIZED);
    assert_int_equal(o.rec_vcpus, 1);
    /* unknown network: not idle */
    v.month = FD_MONTH_RUNNING;
    v.net_p95 = NAN;
    fd_vm_judge(&l, &v, &o);
    assert_int_equal(o.cls, FD_VM_OVERSIZED);
}

static void test_shutoff(void **state)
{
    struct fd_limits l = limits();
    struct fd_vm_in v = healthy();
    struct fd_vm_out o;
    (void)state;
    v.month = FD_MONTH_SHUTOFF;
    v.coverage = 0; /* no data: judged from the inventory all the same */
    v.cpu_p95 = v.mem_p95 = v.net_p95 = NAN;
    fd_vm_judge(&l, &v, &o);
    assert_int_equal(o.cls, FD_VM_SHUTOFF);
    assert_near(o.free_vcpus, 4);
    assert_near(o.free_memory, 8 * GIB);
    assert_near(o.free_storage, 25 * GIB);
    v.disk_allocation = NAN; /* allocation unknown: its capacity */
    fd_vm_judge(&l, &v, &o);
    assert_near(o.free_storage, 40 * GIB);
}

static void test_oversized(void **state)
{
    struct fd_limits l = limits();
    struct fd_vm_in v = healthy();
    struct fd_vm_out o;
    (void)state;
    /* 8 vCPUs at ~10%, 16 GiB with 5.14 GiB used */
    v.vcpus = 8;
    v.cpu_p95 = 0.109;
    v.cpu_p95_cpus = 0.875;
    v.memory = 16 * GIB;
    v.mem_p95 = 5.14 / 16;
    v.mem_p95_bytes = 5.14 * GIB;
    fd_vm_judge(&l, &v, &o);
    assert_int_equal(o.cls, FD_VM_OVERSIZED);
    assert_true(o.oversized_cpu && o.oversized_mem);
    assert_int_equal(o.rec_vcpus, 2);
    assert_near(o.rec_memory, 7 * GIB);
    assert_near(o.free_vcpus, 6);
    assert_near(o.free_memory, 9 * GIB);
    /* CPU only */
    v.mem_p95 = 0.6;
    v.mem_p95_bytes = 0.6 * 16 * GIB;
    fd_vm_judge(&l, &v, &o);
    assert_true(o.oversized_cpu && !o.oversized_mem);
    assert_near(o.free_memory, 0);
    /* 2 vCPUs at 29%: 1 vCPU keeps p95 under 70% */
    v.vcpus = 2;
    v.cpu_p95 = 0.29;
    v.cpu_p95_cpus = 0.58;
    fd_vm_judge(&l, &v, &o);
    assert_int_equal(o.rec_vcpus, 1);
    assert_near(o.free_vcpus, 1);
    /* the recommendation would not shrink it: no finding */
    v.vcpus = 1;
    v.cpu_p95_cpus = 0.29;
    fd_vm_judge(&l, &v, &o);
    assert_int_equal(o.cls, FD_VM_OK);
}

static void test_undersized(void **state)
{
    struct fd_limits l = limits();
    struct fd_vm_in v = healthy();
    struct fd_vm_out o;
    (void)state;
    v.vcpus = 2;
    v.cpu_p95 = 0.975;
    v.cpu_p95_cpus = 1.95;
    fd_vm_judge(&l, &v, &o);
    assert_int_equal(o.cls, FD_VM_OK);
    assert_true(o.undersized_cpu);
    assert_int_equal(o.rec_vcpus, 3);
    assert_near(o.need_vcpus, 1);
    /* memory: 8 GiB with 7.6 GiB used -> 10 GiB */
    v = healthy();
    v.mem_p95 = 0.95;
    v.mem_p95_bytes = 7.6 * GIB;
    fd_vm_judge(&l, &v, &o);
    assert_true(o.undersized_mem && !o.undersized_cpu);
    assert_near(o.rec_memory, 10 * GIB);
    assert_near(o.need_memory, 2 * GIB);
    /* short of CPU, long on memory: both, nothing counted twice */
    v = healthy();
    v.cpu_p95 = 0.95;
    v.cpu_p95_cpus = 3.8;
    v.mem_p95 = 0.2;
    v.mem_p95_bytes = 1.6 * GIB;
    fd_vm_judge(&l, &v, &o);
    assert_int_equal(o.cls, FD_VM_OVERSIZED);
    assert_true(o.undersized_cpu && o.oversized_mem && !o.oversized_cpu);
    assert_int_equal(o.rec_vcpus, 6);
    assert_near(o.need_vcpus, 2);
    assert_near(o.rec_memory, 2 * GIB);
    assert_near(o.free_memory, 6 * GIB);
    assert_near(o.free_vcpus, 0);
}

static void test_not_judged(void **state)
{
    struct fd_limits l = limits();
    struct fd_vm_in v = healthy();
    struct fd_vm_out o;
    (void)state;
    v.coverage = 0.79;
    v.cpu_p95 = 0.01; /* would look idle */
    v.net_p95 = 0;
    fd_vm_judge(&l, &v, &o);
    assert_int_equal(o.cls, FD_VM_NOT_JUDGED);
    assert_int_equal(o.reason, FD_REASON_COVERAGE);
    assert_near(o.free_vcpus + o.free_memory, 0);
    v.month = FD_MONTH_UNKNOWN;
    v.coverage = 0;
    fd_vm_judge(&l, &v, &o);
    assert_int_equal(o.reason, FD_REASON_STATE);
    /* every figure unknown: nothing is concluded */
    v = healthy();
    v.cpu_p95 = v.cpu_p95_cpus = v.mem_p95 = v.mem_p95_bytes = v.net_p95 = NAN;
    fd_vm_judge(&l, &v, &o);
    assert_int_equal(o.cls, FD_VM_OK);
    assert_false(o.undersized_cpu || o.undersized_mem);
    assert_string_equal(fd_vm_class_name(FD_VM_SHUTOFF), "shut off");
}

static void test_moves(void **state)
{
    struct fd_limits l = limits();
    struct fd_host hot = {0.864, 0.614, 64, 512 * GIB};
    struct fd_host cool = {0.215, 0.514, 64, 512 * GIB};
    struct fd_move_cand c[] = {
        {0, 1.18, 4 * GIB}, {1, 10.16, 32 * GIB}, {2, 8.64, 32 * GIB}};
    struct fd_plan p;
    (void)state;
    fd_plan_moves(&l, FD_DIM_CPU, &hot, &cool, c, 3, &p);
    assert_int_equal(p.n, 2);
    assert_int_equal(p.id[0], 1);
    assert_int_equal(p.id[1], 2);
    assert_near(p.hot_after.cpu_p95, 0.864 - (10.16 + 8.64) / 64);
    assert_near(p.cool_after.cpu_p95, 0.215 + (10.16 + 8.64) / 64);
    assert_true(p.hot_after.cpu_p95 - p.cool_after.cpu_p95 <= 0.30);

    /* the biggest does not fit on the cool host (memory): the next ones */
    {
        struct fd_move_cand d[] = {{0, 20, 300 * GIB},
                                   {1, 10, 16 * GIB},
                                   {2, 9, 16 * GIB},
                                   {3, 0.5, 1 * GIB}};
        fd_plan_moves(&l, FD_DIM_CPU, &hot, &cool, d, 4, &p);
        assert_true(p.n >= 1);
        for (size_t i = 0; i < p.n; i++)
            assert_true(p.id[i] != 0);
        assert_true(p.cool_after.mem_p95 <= l.target_memory);
    }
    /* one VM so big it would make the cool host the hot one: skipped */
    {
        struct fd_move_cand e[] = {{7, 50, 8 * GIB}};
        fd_plan_moves(&l, FD_DIM_CPU, &hot, &cool, e, 1, &p);
        assert_int_equal(p.n, 0);
        assert_near(p.hot_after.cpu_p95, hot.cpu_p95);
    }
    /* nothing to move, unknown sizes */
    fd_plan_moves(&l, FD_DIM_CPU, &hot, &cool, NULL, 0, &p);
    assert_int_equal(p.n, 0);
    {
        struct fd_host nohost = {0.9, 0.5, 0, 0};
        fd_plan_moves(&l, FD_DIM_CPU, &nohost, &cool, c, 3, &p);
        assert_int_equal(p.n, 0);
    }
    /* memory imbalance moves the largest memory first */
    {
        struct fd_host mh = {0.4, 0.79, 64, 512 * GIB};
        struct fd_host mc = {0.4, 0.30, 64, 512 * GIB};
        struct fd_move_cand m[] = {
            {0, 1, 16 * GIB}, {1, 1, 64 * GIB}, {2, 1, 128 * GIB}};
        fd_plan_moves(&l, FD_DIM_MEMORY, &mh, &mc, m, 3, &p);
        assert_true(p.n >= 1);
        assert_int_equal(p.n, 1); /* 128 GiB would overshoot: 64 GiB */
        assert_int_equal(p.id[0], 1);
    }
}

static void test_refs(void **state)
{
    struct fd_refs *r = fd_refs_new();
    const char *names[] = {"default", "vms"};
    char buf[64];
    (void)state;
    assert_non_null(r);
    assert_true(
        fd_refs_add_disk(r, "/mnt/vms/a.qcow2",
                         "/mnt/vms/base.qcow2 <- /mnt/vms/base-min.qcow2"));
    assert_true(fd_refs_add_disk(r, "vms/vol7", NULL));
    assert_true(fd_refs_add_disk(r, NULL, NULL));
    assert_true(fd_refs_has(r, "/mnt/vms/a.qcow2"));
    assert_true(fd_refs_has(r, "/mnt/vms/base.qcow2"));
    assert_true(fd_refs_has(r, "/mnt/vms/base-min.qcow2"));
    assert_false(fd_refs_has(r, "/mnt/vms/base"));
    assert_false(fd_refs_has(r, NULL));
    assert_true(
        fd_volume_used(r, "/mnt/vms/base.qcow2", "base.qcow2", names, 2));
    /* a disk of type volume: pool/volume */
    assert_true(fd_volume_used(r, "/srv/vol7", "vol7", names, 2));
    assert_false(
        fd_volume_used(r, "/mnt/vms/old.qcow2", "old.qcow2", names, 2));
    assert_false(fd_volume_used(r, "", "vol8", names, 2));
    /* many entries: the set grows */
    for (int i = 0; i < 5000; i++) {
        snprintf(buf, sizeof(buf), "/pool/disk-%d.img", i);
        assert_true(fd_refs_add_disk(r, buf, NULL));
    }
    for (int i = 0; i < 5000; i += 499) {
        snprintf(buf, sizeof(buf), "/pool/disk-%d.img", i);
        assert_true(fd_refs_has(r, buf));
    }
    assert_true(fd_refs_has(r, "/mnt/vms/a.qcow2"));
    assert_false(fd_refs_has(r, "/pool/disk-5000.img"));
    fd_refs_free(r);
    fd_refs_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recommendations),
        cmocka_unit_test(test_healthy_and_near),
        cmocka_unit_test(test_idle),
        cmocka_unit_test(test_shutoff),
        cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_undersized),
        cmocka_unit_test(test_not_judged),
        cmocka_unit_test(test_moves),
        cmocka_unit_test(test_refs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
