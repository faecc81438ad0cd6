/*
 * test_reports_sched.c - the scheduled reports' arithmetic and record
 * (agent/reports.h): when the digest and the monthly report are due, across
 * midnight, month and year ends; the .schedule record written atomically
 * and read back, and a damaged one refused with its line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reports.h"
#include "testutil.h"

/* 2026-MM-DD hh:mm:ss UTC (the test runs with TZ=UTC). */
static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return timegm(&tm);
}

#define AT(h, m, s) ((h)*3600 + (m)*60 + (s))

static void test_daily(void **state)
{
    (void)state;
    /* a second before the time: yesterday's; at the time: today's */
    assert_int_equal(
        reports_daily_last(utc(2026, 3, 15, 18, 59, 59), AT(19, 0, 0)),
        utc(2026, 3, 14, 19, 0, 0));
    assert_int_equal(
        reports_daily_last(utc(2026, 3, 15, 19, 0, 0), AT(19, 0, 0)),
        utc(2026, 3, 15, 19, 0, 0));
    /* the next one is strictly after */
    assert_int_equal(
        reports_daily_next(utc(2026, 3, 15, 19, 0, 0), AT(19, 0, 0)),
        utc(2026, 3, 16, 19, 0, 0));
    assert_int_equal(
        reports_daily_next(utc(2026, 3, 15, 18, 59, 59), AT(19, 0, 0)),
        utc(2026, 3, 15, 19, 0, 0));
    /* seconds precision, month and year ends */
    assert_int_equal(
        reports_daily_next(utc(2026, 12, 31, 23, 59, 58), AT(23, 59, 59)),
        utc(2026, 12, 31, 23, 59, 59));
    assert_int_equal(
        reports_daily_next(utc(2026, 12, 31, 23, 59, 59), AT(23, 59, 59)),
        utc(2027, 1, 1, 23, 59, 59));
    assert_int_equal(reports_daily_last(utc(2026, 3, 1, 0, 0, 0), AT(0, 0, 1)),
                     utc(2026, 2, 28, 0, 0, 1));
}

static void test_monthly(void **state)
{
    const int s = REPORTS_MONTHLY_SECOND;
    (void)state;
    assert_int_equal(s, 1800);
    assert_int_equal(reports_monthly_last(utc(2026, 3, 1, 0, 29, 59), 1, s),
                     utc(2026, 2, 1, 0, 30, 0));
    assert_int_equal(reports_monthly_last(utc(2026, 3, 1, 0, 30, 0), 1, s),
                     utc(2026, 3, 1, 0, 30, 0));
    assert_int_equal(reports_monthly_last(utc(2026, 1, 1, 0, 0, 0), 1, s),
                     utc(2025, 12, 1, 0, 30, 0));
    assert_int_equal(reports_monthly_next(utc(2026, 12, 5, 0, 0, 0), 1, s),
                     utc(2027, 1, 1, 0, 30, 0));
    assert_int_equal(reports_monthly_next(utc(2026, 2, 10, 0, 0, 0), 28, s),
                     utc(2026, 2, 28, 0, 30, 0));
    assert_int_equal(reports_monthly_next(utc(2026, 2, 28, 0, 30, 0), 28, s),
                     utc(2026, 3, 28, 0, 30, 0));
    /* a daemon down over two months owes only the latest */
    assert_int_equal(reports_monthly_last(utc(2026, 5, 20, 12, 0, 0), 15, s),
                     utc(2026, 5, 15, 0, 30, 0));
}

static void test_state(void **state)
{
    char *dir = tu_tmpdir("sched"), path[600], *text, *out = NULL;
    struct reports_state st = {0}, back;
    struct sdc_error err = {0};
    bool found = true;
    (void)state;
    assert_non_null(dir);
    snprintf(path, sizeof(path), "%s/.schedule", dir);
    assert_int_equal(reports_state_read(path, &back, &found, &err), SDC_OK);
    assert_false(found);
    st.digest_done = 1790000000;
    st.monthly_done = 1789000000;
    snprintf(st.running, sizeof(st.running), "digest");
    st.running_due = 1790086400;
    st.running_since = 1790086401;
    assert_int_equal(reports_state_write(path, &st, &err), SDC_OK);
    assert_int_equal(reports_state_read(path, &back, &found, &err), SDC_OK);
    assert_true(found);
    assert_int_equal(back.digest_done, st.digest_done);
    assert_int_equal(back.monthly_done, st.monthly_done);
    assert_string_equal(back.running, "digest");
    assert_int_equal(back.running_due, st.running_due);
    assert_int_equal(back.running_since, st.running_since);
    /* written through a temporary file that does not stay */
    assert_int_equal(tu_runf(&out, "ls -A %s", dir), 0);
    assert_string_equal(out, ".schedule\n");
    free(out);
    /* a damaged record: refused with its line */
    text = tu_read_file(path);
    assert_non_null(text);
    assert_true(
        tu_write_file(path, "# x\ndigest_done 12\nmonthly_done soon\n", 0644));
    assert_int_equal(reports_state_read(path, &back, &found, &err),
                     SDC_ERR_INVALID);
    assert_non_null(strstr(err.msg, ".schedule:3: bad line 'monthly_done"));
    assert_true(tu_write_file(path, "running weekly\n", 0644));
    assert_int_equal(reports_state_read(path, &back, &found, &err),
                     SDC_ERR_INVALID);
    assert_non_null(strstr(err.msg, ":1: unknown report 'weekly'"));
    free(text);
    tu_rmrf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_daily),
        cmocka_unit_test(test_monthly),
        cmocka_unit_test(test_state),
    };
    setenv("TZ", "UTC", 1);
    tzset();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
