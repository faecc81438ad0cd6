/*
 * test_snmp_counter.c - SNMP counters to rates: wraps, resets, first
 * readings, 64-bit counters, the speed cap, sysUpTime restarts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "snmp_counter.h"

#define GBIT 1000000000ULL

/* One update, expecting @want and (on OK) @want_rate. */
static void step(struct snmp_ctr *c, uint64_t raw, unsigned width, double t,
                 bool disc, double max, enum snmp_ctr_status want,
                 double want_rate)
{
    double rate = -1;
    enum snmp_ctr_status got =
        snmp_ctr_update(c, raw, width, t, SNMP_CLOCK_AGENT, disc, max, &rate);
    if (got != want)
        fail_msg("raw %llu at %g: got %s, want %s", (unsigned long long)raw, t,
                 snmp_ctr_status_name(got), snmp_ctr_status_name(want));
    if (want == SNMP_CTR_OK && fabs(rate - want_rate) > 1e-9 * want_rate)
        fail_msg("raw %llu at %g: rate %.17g, want %.17g",
                 (unsigned long long)raw, t, rate, want_rate);
    if (want != SNMP_CTR_OK)
        assert_true(rate == -1); /* untouched */
}

static void test_first_then_rate(void **state)
{
    struct snmp_ctr c = {0};
    (void)state;
    step(&c, 1000, 32, 100.0, false, 1e12, SNMP_CTR_FIRST, 0);
    step(&c, 7000, 32, 160.0, false, 1e12, SNMP_CTR_OK, 100.0);
    /* no change is a rate of 0, not unknown */
    step(&c, 7000, 32, 220.0, false, 1e12, SNMP_CTR_OK, 0.0);
    /* fractional intervals */
    step(&c, 7001, 32, 220.5, false, 1e12, SNMP_CTR_OK, 2.0);
}

static void test_wrap_32(void **state)
{
    struct snmp_ctr c = {0};
    (void)state;
    step(&c, 4294967000ULL, 32, 0.0, false, 1e12, SNMP_CTR_FIRST, 0);
    /* 296 to the top, then 704: 1000 in 10 s */
    step(&c, 704, 32, 10.0, false, 1e12, SNMP_CTR_OK, 100.0);
    /* the same value again is no traffic (a wrap of exactly 2^32 cannot
     * be told from it) */
    step(&c, 704, 32, 20.0, false, 1e12, SNMP_CTR_OK, 0.0);
    /* from the very top to 0 is one count */
    c.raw = UINT32_MAX;
    step(&c, 0, 32, 21.0, false, 1e12, SNMP_CTR_OK, 1.0);
}

static void test_wrap_64(void **state)
{
    struct snmp_ctr c = {0};
    (void)state;
    step(&c, UINT64_MAX - 499, 64, 0.0, false, 1e12, SNMP_CTR_FIRST, 0);
    step(&c, 500, 64, 10.0, false, 1e12, SNMP_CTR_OK, 100.0);
    /* a large 64-bit value is exact: 10 GB/s for 60 s */
    step(&c, 500 + 600000000000ULL, 64, 70.0, false, 1e12, SNMP_CTR_OK, 1e10);
    /* 64-bit counters above 2^32 are fine; a 32-bit one is not */
    step(&c, 1ULL << 40, 64, 80.0, false, 0, SNMP_CTR_OK,
         (double)((1ULL << 40) - 500 - 600000000000ULL) / 10.0);
    step(&c, 1ULL << 40, 32, 90.0, false, 0, SNMP_CTR_BAD_VALUE, 0);
    /* after a bad value the next reading starts afresh */
    step(&c, 5, 32, 100.0, false, 0, SNMP_CTR_FIRST, 0);
}

static void test_reset(void **state)
{
    struct snmp_ctr c = {0};
    (void)state;
    step(&c, 3000000000ULL, 32, 0.0, false, 1e12, SNMP_CTR_FIRST, 0);
    /* the agent restarted (the caller saw sysUpTime go back): unknown, even
     * though the value alone looks like a plausible wrap */
    step(&c, 1000, 32, 60.0, true, 1e12, SNMP_CTR_RESET, 0);
    /* and the interval after it is fine again */
    step(&c, 61000, 32, 120.0, false, 1e12, SNMP_CTR_OK, 1000.0);
    /* a 64-bit reset looks like a wrap of almost 2^64: far too fast */
    c.raw = 5000000000000ULL;
    c.width = 64;
    step(&c, 10, 64, 180.0, false, SNMP_CTR_MAX_OCTET_RATE, SNMP_CTR_TOO_FAST,
         0);
}

static void test_width_change_and_time(void **state)
{
    struct snmp_ctr c = {0};
    (void)state;
    step(&c, 100, 32, 0.0, false, 0, SNMP_CTR_FIRST, 0);
    /* the 64-bit counter appeared (ifXTable came back): a new series */
    step(&c, 100, 64, 10.0, false, 0, SNMP_CTR_FIRST, 0);
    step(&c, 200, 64, 20.0, false, 0, SNMP_CTR_OK, 10.0);
    /* the same instant twice, or time going back */
    step(&c, 300, 64, 20.0, false, 0, SNMP_CTR_BAD_TIME, 0);
    step(&c, 400, 64, 19.0, false, 0, SNMP_CTR_BAD_TIME, 0);
    step(&c, 500, 64, 29.0, false, 0, SNMP_CTR_OK, 10.0);
    step(&c, 600, 64, NAN, false, 0, SNMP_CTR_BAD_VALUE, 0);
    step(&c, 600, 48, 40.0, false, 0, SNMP_CTR_BAD_VALUE, 0);
}

static void test_speed_cap(void **state)
{
    struct snmp_ctr c = {0};
    /* the limit a caller passes for a 32-bit counter of a 1 Gbit/s link;
     * the large values need 64 bits, the check is the same */
    double lim = snmp_ctr_octet_limit(GBIT, 32);
    (void)state;
    assert_true(fabs(lim - 1.875e8) < 1e-3);
    step(&c, 0, 64, 0.0, false, lim, SNMP_CTR_FIRST, 0);
    /* line rate: 125 MB/s for 60 s passes */
    step(&c, 7500000000ULL, 64, 60.0, false, lim, SNMP_CTR_OK, 1.25e8);
    /* 1.5x line rate exactly still passes, above it is a reset */
    step(&c, 7500000000ULL + 11250000000ULL, 64, 120.0, false, lim, SNMP_CTR_OK,
         1.875e8);
}

static void test_speed_cap_exceeded(void **state)
{
    struct snmp_ctr c = {0};
    double lim = snmp_ctr_octet_limit(GBIT, 32);
    (void)state;
    step(&c, 0, 64, 0.0, false, lim, SNMP_CTR_FIRST, 0);
    /* 60 bytes over 1.5 x line rate for 60 s */
    step(&c, 11250000060ULL, 64, 60.0, false, lim, SNMP_CTR_TOO_FAST, 0);
    /* the reading is kept: the next interval is measured from it */
    step(&c, 11250000060ULL + 6000, 64, 120.0, false, lim, SNMP_CTR_OK, 100.0);
    /* a 32-bit reset on a 10 Mbit/s link: "wrap" of ~1.3e9 in 60 s is
     * 2.1e7 B/s, far above 1.5 x 1.25e6: unknown, not a spike */
    c.raw = 3000000000ULL;
    c.width = 32;
    step(&c, 1000, 32, 180.0, false, snmp_ctr_octet_limit(10000000ULL, 32),
         SNMP_CTR_TOO_FAST, 0);
}

static void test_limits(void **state)
{
    (void)state;
    assert_true(snmp_ctr_octet_limit(0, 32) == SNMP_CTR_MAX_OCTET_RATE);
    /* an absurd speed does not lift the cap */
    assert_true(snmp_ctr_octet_limit(UINT64_MAX, 32) ==
                SNMP_CTR_MAX_OCTET_RATE);
    assert_true(fabs(snmp_ctr_octet_limit(10 * GBIT, 32) - 1.875e9) < 1e-3);
    assert_true(snmp_ctr_packet_limit(0, 32) == SNMP_CTR_MAX_PACKET_RATE);
    assert_true(fabs(snmp_ctr_packet_limit(GBIT, 32) - 1.875e8 / 64) < 1e-6);
    assert_true(snmp_ctr_packet_limit(1000, 32) == 10.0);
    /* 64-bit counters only get the absolute cap: loopback and virtual
     * interfaces say 10 Mbit/s and carry gigabytes */
    assert_true(snmp_ctr_octet_limit(10000000ULL, 64) ==
                SNMP_CTR_MAX_OCTET_RATE);
    assert_true(snmp_ctr_packet_limit(10000000ULL, 64) ==
                SNMP_CTR_MAX_PACKET_RATE);
}

/* 2 MB/s through a 64-bit counter of a "10 Mbit/s" interface is traffic;
 * through a 32-bit one it is taken for a reset. */
static void test_speed_cap_by_width(void **state)
{
    struct snmp_ctr c64 = {0}, c32 = {0};
    uint64_t sp = 10000000ULL;
    (void)state;
    step(&c64, 0, 64, 0.0, false, snmp_ctr_octet_limit(sp, 64), SNMP_CTR_FIRST,
         0);
    step(&c64, 4000000, 64, 2.0, false, snmp_ctr_octet_limit(sp, 64),
         SNMP_CTR_OK, 2e6);
    step(&c32, 0, 32, 0.0, false, snmp_ctr_octet_limit(sp, 32), SNMP_CTR_FIRST,
         0);
    step(&c32, 4000000, 32, 2.0, false, snmp_ctr_octet_limit(sp, 32),
         SNMP_CTR_TOO_FAST, 0);
}

/* Readings on different clocks (the agent's sysUpTime, then ours when an
 * answer lacked it) make no rate: a new series starts. */
static void test_clock_change(void **state)
{
    struct snmp_ctr c = {0};
    double rate = -1;
    (void)state;
    assert_int_equal(
        snmp_ctr_update(&c, 100, 64, 10.0, SNMP_CLOCK_AGENT, false, 0, &rate),
        SNMP_CTR_FIRST);
    assert_int_equal(
        snmp_ctr_update(&c, 200, 64, 5000.0, SNMP_CLOCK_LOCAL, false, 0, &rate),
        SNMP_CTR_FIRST);
    assert_int_equal(
        snmp_ctr_update(&c, 300, 64, 5010.0, SNMP_CLOCK_LOCAL, false, 0, &rate),
        SNMP_CTR_OK);
    assert_true(rate == 10.0);
}

static void test_uptime(void **state)
{
    (void)state;
    /* normal: advanced by the interval */
    assert_false(snmp_uptime_restarted(100000, 106000, 60.0));
    assert_false(snmp_uptime_restarted(100000, 105000, 60.0));
    /* went back: restarted */
    assert_true(snmp_uptime_restarted(100000, 500, 60.0));
    /* advanced far less than the interval: restarted 10 s ago after a
     * short life */
    assert_true(snmp_uptime_restarted(100, 1000, 60.0));
    /* a wrap past 2^32 (497 days) is not a restart */
    assert_false(snmp_uptime_restarted(4294967000U, 5704, 60.0));
    /* tiny intervals (tests run with step 1) never look like restarts
     * unless time went back */
    assert_false(snmp_uptime_restarted(1000, 1000, 1.0));
    assert_true(snmp_uptime_restarted(1000, 900, 1.0));
    assert_false(snmp_uptime_restarted(1000, 900, 0.0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_then_rate),
        cmocka_unit_test(test_wrap_32),
        cmocka_unit_test(test_wrap_64),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_width_change_and_time),
        cmocka_unit_test(test_speed_cap),
        cmocka_unit_test(test_speed_cap_exceeded),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_speed_cap_by_width),
        cmocka_unit_test(test_clock_change),
        cmocka_unit_test(test_uptime),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
