/*
 * test_stats.c - months as periods (local time, leap years, daylight
 * saving), the window of a series inside a period, and mean, p95, max and
 * coverage with gaps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stats.h"

#define assert_near(a, b) check_near((a), (b), #a, __LINE__)

static void check_near(double a, double b, const char *what, int line)
{
    if (!(fabs(a - b) <= 1e-9 * (1 + fabs(b))))
        fail_msg("line %d: %s is %.12g, expected %.12g", line, what, a, b);
}

static void set_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

static void test_period_month(void **state)
{
    struct period p;
    struct sdc_error err = {0};
    (void)state;
    set_tz("UTC");
    assert_int_equal(period_month("2026-02", 1780000000, &p, &err), SDC_OK);
    assert_int_equal(p.start, 1769904000);
    assert_int_equal(p.end, 1772323200);
    assert_int_equal(p.until, p.end);
    assert_false(p.partial);
    assert_false(p.future);
    assert_string_equal(p.name, "2026-02");
    assert_int_equal(period_seconds(&p), 28 * 86400);
    /* a leap year */
    assert_int_equal(period_month("2024-02", 1780000000, &p, &err), SDC_OK);
    assert_int_equal(p.end - p.start, 29 * 86400);
    /* December rolls into January */
    assert_int_equal(period_month("2025-12", 1780000000, &p, &err), SDC_OK);
    assert_int_equal(p.end - p.start, 31 * 86400);
    /* in progress, and not begun */
    assert_int_equal(period_month("2026-02", 1770000000, &p, &err), SDC_OK);
    assert_true(p.partial);
    assert_int_equal(p.until, 1770000000);
    assert_int_equal(period_seconds(&p), 1770000000 - 1769904000);
    assert_int_equal(period_month("2026-03", 1770000000, &p, &err), SDC_OK);
    assert_true(p.future);
    assert_int_equal(period_seconds(&p), 0);
}

static void test_period_zones(void **state)
{
    struct period p;
    struct sdc_error err = {0};
    (void)state;
    /* local midnight: India is 5:30 ahead of UTC */
    set_tz("Asia/Kolkata");
    assert_int_equal(period_month("2026-02", 1780000000, &p, &err), SDC_OK);
    assert_int_equal(p.start, 1769904000 - 19800);
    /* daylight saving starts in March: that month is an hour short */
    set_tz("Europe/Berlin");
    assert_int_equal(period_month("2026-03", 1780000000, &p, &err), SDC_OK);
    assert_int_equal(p.end - p.start, 31 * 86400 - 3600);
    set_tz("UTC");
}

static void test_period_errors(void **state)
{
    static const char *const bad[] = {"2026-2",     "2026-13", "2026-00",
                                      "abcd-ef",    "1969-12", "",
                                      "2026-02-01", "2026/02", " 2026-02"};
    struct period p;
    struct sdc_error err = {0};
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (period_month(bad[i], 1780000000, &p, &err) != SDC_ERR_INVALID)
            fail_msg("'%s' accepted", bad[i]);
        assert_true(strlen(err.msg) > 0);
    }
    assert_int_equal(period_month(NULL, 0, &p, &err), SDC_ERR_INVALID);
    assert_non_null(strstr(err.msg, "YYYY-MM"));
}

static void test_period_prev(void **state)
{
    struct period p;
    char b[PERIOD_MONTH_LEN];
    (void)state;
    set_tz("UTC");
    assert_int_equal(period_month("2026-01", 1780000000, &p, NULL), SDC_OK);
    period_prev(&p, b);
    assert_string_equal(b, "2025-12");
    assert_int_equal(period_month("2026-11", 1800000000, &p, NULL), SDC_OK);
    period_prev(&p, b);
    assert_string_equal(b, "2026-10");
}

static void test_window(void **state)
{
    size_t first, count;
    (void)state;
    /* rows at 1000+300k cover (t-300, t]; period [1000, 4000) */
    stats_window(1300, 300, 10, 1000, 4000, &first, &count);
    assert_int_equal(first, 0);
    assert_int_equal(count, 10);
    /* the series starts an hour early and runs past the end */
    stats_window(1000 - 3600 + 300, 300, 40, 1000, 4000, &first, &count);
    assert_int_equal(first, 12);
    assert_int_equal(count, 10);
    /* misaligned: a row whose interval starts before the period is out */
    stats_window(1150, 300, 10, 1000, 4000, &first, &count);
    assert_int_equal(first, 1); /* 1150 covers (850, 1150] */
    assert_int_equal(count, 9); /* 1450 .. 3850 */
    /* nothing inside */
    stats_window(5000, 300, 10, 1000, 4000, &first, &count);
    assert_int_equal(count, 0);
    stats_window(100, 300, 2, 1000, 4000, &first, &count);
    assert_int_equal(count, 0);
    stats_window(1300, 0, 10, 1000, 4000, &first, &count);
    assert_int_equal(count, 0);
    assert_int_equal(stats_expected(1000, 4000, 300), 10);
    assert_int_equal(stats_expected(1000, 4100, 300), 11);
    assert_int_equal(stats_expected(4000, 1000, 300), 0);
    assert_int_equal(stats_expected(1000, 4000, 0), 0);
}

static void test_summarize(void **state)
{
    double v[100], scratch[100];
    struct stats s;
    (void)state;
    for (int i = 0; i < 100; i++)
        v[i] = i + 1;
    assert_int_equal(stats_summarize(v, 100, 200, scratch, &s), SDC_OK);
    assert_int_equal(s.n, 100);
    assert_near(s.mean, 50.5);
    /* (n - 1) * 0.95 = 94.05: between the 95th and 96th values */
    assert_near(s.p95, 95.05);
    assert_near(s.max, 100);
    assert_near(s.min, 1);
    assert_near(s.last, 100);
    assert_near(s.coverage, 0.5);
    /* the input is not reordered */
    assert_near(v[0], 1);
    assert_near(v[99], 100);

    /* gaps (NaN, infinities) are left out, not read as zero */
    for (int i = 0; i < 100; i += 2)
        v[i] = NAN;
    v[1] = INFINITY;
    assert_int_equal(stats_summarize(v, 100, 0, NULL, &s), SDC_OK);
    assert_int_equal(s.n, 49);
    assert_int_equal(s.expected, 100);
    assert_near(s.coverage, 0.49);
    assert_near(s.min, 4);
    assert_near(s.max, 100);
    assert_near(s.last, 100);

    /* no data at all: NaN figures, coverage 0, no division by zero */
    for (int i = 0; i < 100; i++)
        v[i] = NAN;
    assert_int_equal(stats_summarize(v, 100, 100, scratch, &s), SDC_OK);
    assert_int_equal(s.n, 0);
    assert_near(s.coverage, 0);
    assert_true(isnan(s.mean) && isnan(s.p95) && isnan(s.max) && isnan(s.last));
    assert_int_equal(stats_summarize(NULL, 0, 0, NULL, &s), SDC_OK);
    assert_int_equal(s.n, 0);
    assert_near(s.coverage, 0);
    stats_empty(50, &s);
    assert_int_equal(s.expected, 50);
    assert_true(isnan(s.p95));

    /* one value */
    v[0] = 7;
    assert_int_equal(stats_summarize(v, 1, 10, scratch, &s), SDC_OK);
    assert_near(s.p95, 7);
    assert_near(s.coverage, 0.1);
    /* more values than expected rows: coverage capped at 1 */
    assert_int_equal(stats_summarize(v, 1, 0, scratch, &s), SDC_OK);
    assert_near(s.coverage, 1);
}

static void test_quantile_and_div(void **state)
{
    double v[] = {5, NAN, 1, 3, 2, 4}, scratch[6];
    (void)state;
    assert_near(stats_quantile(v, 6, 0.5, scratch), 3);
    assert_near(stats_quantile(v, 6, 1, scratch), 5);
    assert_near(stats_quantile(v, 6, 0, scratch), 1);
    assert_true(isnan(stats_quantile(v, 6, 1.5, scratch)));
    assert_true(isnan(stats_quantile(v + 1, 1, 0.5, scratch)));
    assert_near(safe_div(6, 3), 2);
    assert_true(isnan(safe_div(1, 0)));
    assert_true(isnan(safe_div(0, 0)));
    assert_true(isnan(safe_div(NAN, 1)));
    assert_true(isnan(safe_div(1, INFINITY)));
    {
        const double w[] = {1, 2, NAN, INFINITY, NAN};
        assert_near(stats_last_finite(w, 5), 2);
        assert_near(stats_last_finite(w, 1), 1);
        assert_true(isnan(stats_last_finite(w + 2, 3)));
        assert_true(isnan(stats_last_finite(NULL, 0)));
    }
}

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The quickselect gives what interpolating the sorted values gives. */
static void test_quantile_matches_sort(void **state)
{
    enum { N = 2001 };
    static double v[N], sorted[N], scratch[N];
    static const double qs[] = {0, 0.05, 0.25, 0.5, 0.9, 0.95, 0.999, 1};
    uint64_t x = 88172645463325252ULL;
    (void)state;
    for (int round = 0; round < 20; round++) {
        size_t n = (size_t)(1 + round * 100);
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* few distinct values in some rounds: ties */
            v[i] = round % 3 == 0 ? (double)(x % 7) : (double)(x % 100000) / 7;
            sorted[i] = v[i];
        }
        qsort(sorted, n, sizeof(*sorted), dcmp);
        for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
            double pos = (double)(n - 1) * qs[k];
            size_t lo = (size_t)pos;
            double want = lo + 1 < n
                              ? sorted[lo] + (sorted[lo + 1] - sorted[lo]) *
                                                 (pos - (double)lo)
                              : sorted[lo];
            assert_near(stats_quantile(v, n, qs[k], scratch), want);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_period_month),
        cmocka_unit_test(test_period_zones),
        cmocka_unit_test(test_period_errors),
        cmocka_unit_test(test_period_prev),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_summarize),
        cmocka_unit_test(test_quantile_and_div),
        cmocka_unit_test(test_quantile_matches_sort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
