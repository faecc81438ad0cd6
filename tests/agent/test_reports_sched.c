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

/* Local wall-clock time in the test's zone (TZ set by the caller). */
static time_t local(int y, int mo, int d, int h, int mi, int s, int isdst)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    tm.tm_isdst = isdst;
    return mktime(&tm);
}

static void set_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

/*
 * What sdcmond's report thread does over [@from, @to): every @tick seconds
 * it runs the digest when reports_daily_last() is past the last one done.
 * @return: the number of runs; their due times in @due (up to 8).
 */
static int simulate_daily(time_t from, time_t to, int tick, int second,
                          time_t *due)
{
    time_t done = reports_daily_last(from, second);
    int n = 0;
    for (time_t t = from; t < to; t += tick) {
        time_t last = reports_daily_last(t, second);
        /* never goes back, never ahead of the clock */
        assert_true(last >= done);
        assert_true(last <= t);
        if (last > done) {
            if (n < 8)
                due[n] = last;
            n++;
            done = last;
        }
    }
    return n;
}

/* A digest at 02:30 on the nights the clocks change (Europe/Berlin 2025:
 * 02:00 CET -> 03:00 CEST on 30 March, 03:00 CEST -> 02:00 CET on
 * 26 October): once each day, at the first 02:30 when 02:30 happens twice,
 * at 03:00 (the moment 02:30 is skipped) when it does not happen at all.
 * The answer must not depend on what mktime() was asked before. */
static void test_daily_dst(void **state)
{
    const int at = AT(2, 30, 0);
    time_t due[8], first, second, skip;
    (void)state;
    set_tz("Europe/Berlin");

    /* autumn: 02:30 CEST, then again an hour later as 02:30 CET */
    first = local(2025, 10, 26, 2, 30, 0, 1);
    second = local(2025, 10, 26, 2, 30, 0, 0);
    assert_int_equal(second - first, 3600);
    for (time_t t = first; t < first + 2 * 3600; t += 60) {
        /* a mktime() of summer and of winter time in between */
        (void)local(2025, 7, 1, 12, 0, 0, -1);
        assert_int_equal(reports_daily_last(t, at), first);
        (void)local(2025, 12, 1, 12, 0, 0, -1);
        assert_int_equal(reports_daily_last(t, at), first);
    }
    assert_int_equal(reports_daily_next(first - 1, at), first);
    assert_int_equal(reports_daily_next(first, at),
                     local(2025, 10, 27, 2, 30, 0, 0));
    assert_int_equal(reports_daily_next(second, at),
                     local(2025, 10, 27, 2, 30, 0, 0));
    /* the scheduler over three days around it: one digest a day */
    assert_int_equal(simulate_daily(local(2025, 10, 25, 0, 0, 0, -1),
                                    local(2025, 10, 28, 0, 0, 0, -1), 60, at,
                                    due),
                     3);
    assert_int_equal(due[0], local(2025, 10, 25, 2, 30, 0, 1));
    assert_int_equal(due[1], first);
    assert_int_equal(due[2], local(2025, 10, 27, 2, 30, 0, 0));

    /* spring: 02:30 does not exist; the digest is due at 03:00 CEST */
    skip = local(2025, 3, 30, 3, 0, 0, 1);
    {
        struct tm tm;
        localtime_r(&skip, &tm);
        assert_int_equal(tm.tm_hour, 3);
        assert_int_equal(tm.tm_min, 0);
    }
    assert_int_equal(reports_daily_next(local(2025, 3, 29, 12, 0, 0, -1), at),
                     skip);
    assert_int_equal(reports_daily_last(skip - 1, at),
                     local(2025, 3, 29, 2, 30, 0, 0));
    assert_int_equal(reports_daily_last(skip, at), skip);
    assert_int_equal(reports_daily_last(skip + 1800, at), skip);
    assert_int_equal(reports_daily_next(skip, at),
                     local(2025, 3, 31, 2, 30, 0, 1));
    assert_int_equal(simulate_daily(local(2025, 3, 29, 0, 0, 0, -1),
                                    local(2025, 4, 1, 0, 0, 0, -1), 60, at,
                                    due),
                     3);
    assert_int_equal(due[1], skip);

    /* New York: 01:30 happens twice on 2 November 2025 */
    set_tz("America/New_York");
    first = local(2025, 11, 2, 1, 30, 0, 1);
    assert_int_equal(local(2025, 11, 2, 1, 30, 0, 0) - first, 3600);
    assert_int_equal(simulate_daily(local(2025, 11, 1, 0, 0, 0, -1),
                                    local(2025, 11, 4, 0, 0, 0, -1), 60,
                                    AT(1, 30, 0), due),
                     3);
    assert_int_equal(due[1], first);
    set_tz("UTC");
}

/* The monthly report at 00:30 where the clock jumps at midnight
 * (America/Santiago, 7 September 2025: 00:00 -04 -> 01:00 -03): at 01:00. */
static void test_monthly_dst(void **state)
{
    const int s = REPORTS_MONTHLY_SECOND;
    time_t jump;
    struct tm tm;
    (void)state;
    set_tz("America/Santiago");
    jump = local(2025, 9, 7, 1, 0, 0, 1);
    localtime_r(&jump, &tm);
    assert_int_equal(tm.tm_mday, 7);
    assert_int_equal(tm.tm_hour, 1);
    assert_int_equal(tm.tm_min, 0);
    assert_int_equal(
        reports_monthly_next(local(2025, 8, 20, 0, 0, 0, -1), 7, s), jump);
    assert_int_equal(reports_monthly_last(jump - 1, 7, s),
                     local(2025, 8, 7, 0, 30, 0, -1));
    assert_int_equal(reports_monthly_last(jump, 7, s), jump);
    /* 5 April 2025: 23:00-23:59 happens twice; 00:30 of the 6th once */
    assert_int_equal(reports_monthly_next(local(2025, 4, 1, 0, 0, 0, -1), 6, s),
                     local(2025, 4, 6, 0, 30, 0, 0));
    set_tz("UTC");
}

/* The monthly reports owed between a record and the latest due time:
 * oldest first, across a year end, the latest @max kept when more are
 * owed, and each one's month the month before its due date. */
static void test_monthly_owed(void **state)
{
    const int s = REPORTS_MONTHLY_SECOND;
    time_t out[12];
    char m[16];
    (void)state;

    /* done the report due 1 Nov 2025; latest due 1 Feb 2026: Dec, Jan,
     * Feb due times, i.e. November, December and January */
    memset(out, 0, sizeof(out));
    assert_int_equal(reports_monthly_owed(utc(2025, 11, 1, 0, 30, 0),
                                          utc(2026, 2, 1, 0, 30, 0), 1, s, out,
                                          12),
                     3);
    assert_int_equal(out[0], utc(2025, 12, 1, 0, 30, 0));
    assert_int_equal(out[1], utc(2026, 1, 1, 0, 30, 0));
    assert_int_equal(out[2], utc(2026, 2, 1, 0, 30, 0));
    assert_int_equal(out[3], 0);
    reports_monthly_period(out[0], m, sizeof(m));
    assert_string_equal(m, "2025-11");
    reports_monthly_period(out[1], m, sizeof(m));
    assert_string_equal(m, "2025-12");
    reports_monthly_period(out[2], m, sizeof(m));
    assert_string_equal(m, "2026-01");
    /* a second before 00:30 is still the month before's */
    reports_monthly_period(utc(2026, 3, 1, 0, 29, 59), m, sizeof(m));
    assert_string_equal(m, "2026-02");
    reports_monthly_period(utc(2026, 3, 31, 23, 59, 59), m, sizeof(m));
    assert_string_equal(m, "2026-02");

    /* nothing owed: the latest done, or a record ahead of it */
    assert_int_equal(reports_monthly_owed(utc(2026, 2, 1, 0, 30, 0),
                                          utc(2026, 2, 1, 0, 30, 0), 1, s, out,
                                          12),
                     0);
    assert_int_equal(reports_monthly_owed(utc(2026, 3, 1, 0, 30, 0),
                                          utc(2026, 2, 1, 0, 30, 0), 1, s, out,
                                          12),
                     0);
    /* one owed; a record taken mid-month (not on a due time) */
    assert_int_equal(reports_monthly_owed(utc(2026, 1, 17, 9, 0, 0),
                                          utc(2026, 2, 28, 0, 30, 0), 28, s,
                                          out, 12),
                     2);
    assert_int_equal(out[0], utc(2026, 1, 28, 0, 30, 0));
    assert_int_equal(out[1], utc(2026, 2, 28, 0, 30, 0));
    /* nothing recorded (0): only the latest */
    assert_int_equal(
        reports_monthly_owed(0, utc(2026, 2, 1, 0, 30, 0), 1, s, out, 12), 1);
    assert_int_equal(out[0], utc(2026, 2, 1, 0, 30, 0));

    /* 15 owed: the latest 12 kept, oldest first */
    memset(out, 0, sizeof(out));
    assert_int_equal(reports_monthly_owed(utc(2024, 11, 1, 0, 30, 0),
                                          utc(2026, 2, 1, 0, 30, 0), 1, s, out,
                                          12),
                     15);
    assert_int_equal(out[0], utc(2025, 3, 1, 0, 30, 0));
    for (int i = 1; i < 12; i++) {
        struct tm a, b;
        gmtime_r(&out[i - 1], &a);
        gmtime_r(&out[i], &b);
        assert_int_equal(
            (b.tm_year * 12 + b.tm_mon) - (a.tm_year * 12 + a.tm_mon), 1);
        assert_int_equal(b.tm_mday, 1);
        assert_int_equal(b.tm_hour * 3600 + b.tm_min * 60 + b.tm_sec, s);
    }
    assert_int_equal(out[11], utc(2026, 2, 1, 0, 30, 0));
    /* a smaller buffer keeps the latest too */
    assert_int_equal(reports_monthly_owed(utc(2024, 11, 1, 0, 30, 0),
                                          utc(2026, 2, 1, 0, 30, 0), 1, s, out,
                                          2),
                     15);
    assert_int_equal(out[0], utc(2026, 1, 1, 0, 30, 0));
    assert_int_equal(out[1], utc(2026, 2, 1, 0, 30, 0));

    /* across the jump of America/Santiago (7 September 2025, 00:00 -04 ->
     * 01:00 -03): the 00:30 that does not exist is 01:00, still once */
    set_tz("America/Santiago");
    assert_int_equal(reports_monthly_owed(local(2025, 7, 7, 0, 30, 0, -1),
                                          local(2025, 10, 7, 0, 30, 0, -1), 7,
                                          s, out, 12),
                     3);
    assert_int_equal(out[0], local(2025, 8, 7, 0, 30, 0, -1));
    assert_int_equal(out[1], local(2025, 9, 7, 1, 0, 0, 1));
    assert_int_equal(out[2], local(2025, 10, 7, 0, 30, 0, -1));
    reports_monthly_period(out[1], m, sizeof(m));
    assert_string_equal(m, "2025-08");
    set_tz("UTC");
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
        cmocka_unit_test(test_daily),     cmocka_unit_test(test_monthly),
        cmocka_unit_test(test_daily_dst), cmocka_unit_test(test_monthly_dst),
        cmocka_unit_test(test_state),     cmocka_unit_test(test_monthly_owed),
    };
    setenv("TZ", "UTC", 1);
    tzset();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
