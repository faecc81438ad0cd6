/*
 * stats.h - what the monthly report says about one series over a period:
 * how much of the period has data (coverage), mean, 95th percentile and
 * maximum; and the calendar month as a period.
 *
 * Pure functions: no I/O, no globals, safe from any thread.  The percentile
 * comes from GSL's quickselect (gsl_stats_select), which gives what
 * gsl_stats_quantile_from_sorted_data() gives on the sorted values without
 * sorting them; mean, min and max are summed in one pass.
 *
 * Percentile: the p-quantile of the n values with data, sorted, by linear
 * interpolation between the order statistics at (n - 1) * p (GSL's
 * definition; for the 8,928 five-minute values of a 31-day month the 95th
 * percentile is the value that 446 readings exceed).
 *
 * Times: a value at time t covers the interval (t - step, t], as rrdtool
 * fetch prints it (fetch.h).  A month runs from local midnight on its first
 * day (TZ) to local midnight on the first day of the next.
 */
#ifndef SDC_REPORTER_STATS_H
#define SDC_REPORTER_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "sdc/error.h"

/* Room for "YYYY-MM" with its NUL (and what a compiler fears more). */
#define PERIOD_MONTH_LEN 16

/*
 * struct period - a calendar month in the local time zone.
 * @year, @month: e.g. 2026, 3
 * @start:   local midnight of the 1st
 * @end:     local midnight of the 1st of the next month
 * @until:   the end of what can have data: @end, or now for the month in
 *           progress (then @partial); @start for a month not begun
 * @partial: the month is in progress (now is between @start and @end)
 * @future:  the month has not begun
 * @name:    "YYYY-MM"
 */
struct period {
    int year;
    int month;
    time_t start;
    time_t end;
    time_t until;
    bool partial;
    bool future;
    char name[PERIOD_MONTH_LEN];
};

/*
 * period_month - the month named @ym ("YYYY-MM", year 1970..9999) as seen
 * at time @now.
 * @return: SDC_OK (a month in the future is not an error: see @future);
 *          SDC_ERR_INVALID when @ym is not a month, with a message.
 */
enum sdc_rc period_month(const char *ym, time_t now, struct period *out,
                         struct sdc_error *err);

/* period_prev - the month before @p, e.g. "2026-02" for 2026-03. */
void period_prev(const struct period *p, char buf[PERIOD_MONTH_LEN]);

/* period_last_month - the month before the one @t falls in (local time):
 * the last complete month at @t. */
void period_last_month(time_t t, char buf[PERIOD_MONTH_LEN]);

/* period_seconds - the seconds of @p that can have data (@until - @start). */
time_t period_seconds(const struct period *p);

/*
 * stats_window - the rows of a series (@start, @step, @n as in struct
 * series) whose interval lies within [@a, @b): *@first and *@count.
 * A row at t is in when a <= t - step and t <= b.
 */
void stats_window(time_t start, time_t step, size_t n, time_t a, time_t b,
                  size_t *first, size_t *count);

/*
 * stats_expected - how many rows of @step seconds the interval [@a, @b)
 * holds (rounded up; 0 when @b <= @a or @step <= 0).
 */
size_t stats_expected(time_t a, time_t b, time_t step);

/*
 * struct stats - a series over a period.
 * @n:        values with data (finite)
 * @expected: rows the period holds at the series' step
 * @coverage: @n / @expected, in [0, 1]; 0 when @expected is 0
 * @mean, @p95, @max, @min: of the values with data; NaN when @n is 0
 * @last:     the last value with data; NaN when @n is 0
 */
struct stats {
    size_t n;
    size_t expected;
    double coverage;
    double mean;
    double p95;
    double max;
    double min;
    double last;
};

/*
 * stats_summarize - summarise @v[0..@n) (NaN and infinities are gaps).
 * @expected: rows the period holds (see stats_expected); 0: @n
 * @scratch:  room for @n doubles, or NULL to allocate it here
 * @return: SDC_OK; SDC_ERR_NOMEM (only when @scratch is NULL).  @out is
 *          filled either way (with NaN figures on error).
 */
enum sdc_rc stats_summarize(const double *v, size_t n, size_t expected,
                            double *scratch, struct stats *out);

/* stats_empty - @out as for a series with no data over @expected rows. */
void stats_empty(size_t expected, struct stats *out);

/*
 * stats_quantile - the @q-quantile (0..1) of the finite values of
 * @v[0..@n) as defined above, copied into @scratch (n doubles, left
 * reordered); NaN when none.
 */
double stats_quantile(const double *v, size_t n, double q, double *scratch);

/*
 * safe_div - @a / @b, or NaN when either is not finite or @b is 0: every
 * ratio in the report goes through this, so nothing divides by zero.
 */
double safe_div(double a, double b);

/*
 * stats_last_finite - the last finite value of @v[0..@n), or NaN when
 * there is none (@v may be NULL when @n is 0).
 */
double stats_last_finite(const double *v, size_t n);

#endif
