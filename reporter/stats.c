/*
 * stats.c - coverage, mean, 95th percentile and maximum of a series over a
 * calendar month (stats.h).  Sorting and quantiles are GSL's.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_statistics_double.h>

#include "stats.h"

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* Local midnight on the 1st of @year-@month (month may be 13). */
static time_t month_start(int year, int month)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (month > 12) {
        year++;
        month -= 12;
    }
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = 1;
    tm.tm_isdst = -1; /* let the C library decide for that date */
    return mktime(&tm);
}

enum sdc_rc period_month(const char *ym, time_t now, struct period *out,
                         struct sdc_error *err)
{
    int year, month;

    memset(out, 0, sizeof(*out));
    if (!ym || strlen(ym) != 7 || ym[4] != '-' || !digits(ym, 4) ||
        !digits(ym + 5, 2))
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "month '%s' is not YYYY-MM (e.g. 2026-03)",
                             ym ? ym : "");
    year = (ym[0] - '0') * 1000 + (ym[1] - '0') * 100 + (ym[2] - '0') * 10 +
           (ym[3] - '0');
    month = (ym[5] - '0') * 10 + (ym[6] - '0');
    if (month < 1 || month > 12)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "month '%s': %02d is not a month (01..12)", ym,
                             month);
    if (year < 1970)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "month '%s': years before 1970 have no data", ym);
    out->year = year;
    out->month = month;
    out->start = month_start(year, month);
    out->end = month_start(year, month + 1);
    if (out->start == (time_t)-1 || out->end == (time_t)-1 ||
        out->end <= out->start)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "month '%s' cannot be placed in time here", ym);
    snprintf(out->name, sizeof(out->name), "%04d-%02d", year, month);
    if (now < out->start) {
        out->future = true;
        out->until = out->start;
    } else if (now < out->end) {
        out->partial = true;
        out->until = now;
    } else {
        out->until = out->end;
    }
    return SDC_OK;
}

void period_prev(const struct period *p, char buf[PERIOD_MONTH_LEN])
{
    int y = p->year, m = p->month - 1;
    if (m < 1) {
        m = 12;
        y--;
    }
    if (y < 0)
        y = 0;
    snprintf(buf, PERIOD_MONTH_LEN, "%04d-%02d", y % 10000, m);
}

void period_last_month(time_t t, char buf[PERIOD_MONTH_LEN])
{
    struct tm tm;
    struct period p = {0};
    localtime_r(&t, &tm);
    p.year = tm.tm_year + 1900;
    p.month = tm.tm_mon + 1;
    period_prev(&p, buf);
}

time_t period_seconds(const struct period *p)
{
    return p->until > p->start ? p->until - p->start : 0;
}

void stats_window(time_t start, time_t step, size_t n, time_t a, time_t b,
                  size_t *first, size_t *count)
{
    size_t i0 = 0, i1;

    *first = 0;
    *count = 0;
    if (n == 0 || step <= 0 || b <= a)
        return;
    /* first row with t - step >= a, i.e. start + i*step >= a + step */
    if (start - step < a) {
        time_t d = a + step - start;
        i0 = (size_t)((d + step - 1) / step);
    }
    if (i0 >= n)
        return;
    /* rows up to t <= b */
    if (start + (time_t)i0 * step > b)
        return;
    i1 = i0 + (size_t)((b - (start + (time_t)i0 * step)) / step) + 1;
    if (i1 > n)
        i1 = n;
    *first = i0;
    *count = i1 - i0;
}

size_t stats_expected(time_t a, time_t b, time_t step)
{
    if (b <= a || step <= 0)
        return 0;
    return (size_t)((b - a + step - 1) / step);
}

void stats_empty(size_t expected, struct stats *out)
{
    out->n = 0;
    out->expected = expected;
    out->coverage = 0;
    out->mean = out->p95 = out->max = out->min = out->last = NAN;
}

/* Copy the finite values of @v into @dst; return how many. */
static size_t finite_copy(const double *v, size_t n, double *dst)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]))
            dst[k++] = v[i];
    return k;
}

/* As finite_copy, with their sum, least and greatest in the same pass
 * (a month is a few thousand values: a plain sum is exact enough, and
 * gsl_stats_mean's division per value cost a fifth of a report's CPU). */
static size_t finite_copy_sum(const double *v, size_t n, double *dst,
                              double *sum, double *min, double *max)
{
    size_t k = 0;
    double s = 0, lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        if (!isfinite(x))
            continue;
        dst[k++] = x;
        s += x;
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    *sum = s;
    *min = lo;
    *max = hi;
    return k;
}

/*
 * The @q-quantile of @v[0..n) (finite, n > 0) as
 * gsl_stats_quantile_from_sorted_data() gives it for the sorted values -
 * linear interpolation between the order statistics at (n - 1) * q - but
 * found with GSL's quickselect (gsl_stats_select, O(n), reorders @v)
 * instead of a full sort: a month of 5-minute values per series, thousands
 * of series per report.
 */
static double select_quantile(double *v, size_t n, double q)
{
    double pos = (double)(n - 1) * q;
    size_t lo = (size_t)floor(pos);
    double frac = pos - (double)lo;
    double a, b;
    if (lo >= n - 1)
        return gsl_stats_max(v, 1, n);
    a = gsl_stats_select(v, 1, n, lo);
    if (frac == 0)
        return a;
    /* after the select, v[lo + 1 ..] hold the values above the lo-th */
    b = gsl_stats_min(v + lo + 1, 1, n - lo - 1);
    return a + (b - a) * frac;
}

enum sdc_rc stats_summarize(const double *v, size_t n, size_t expected,
                            double *scratch, struct stats *out)
{
    double *buf = scratch;
    double sum, lo, hi;
    size_t k;

    stats_empty(expected ? expected : n, out);
    if (n == 0)
        return SDC_OK;
    if (!buf) {
        buf = malloc(n * sizeof(*buf));
        if (!buf)
            return SDC_ERR_NOMEM;
    }
    k = finite_copy_sum(v, n, buf, &sum, &lo, &hi);
    if (k > 0) {
        for (size_t i = n; i-- > 0;)
            if (isfinite(v[i])) {
                out->last = v[i];
                break;
            }
        out->n = k;
        out->mean = sum / (double)k;
        out->min = lo;
        out->max = hi;
        out->p95 = select_quantile(buf, k, 0.95);
        out->coverage = out->expected ? (double)k / (double)out->expected : 0.0;
        if (out->coverage > 1)
            out->coverage = 1;
    }
    if (buf != scratch)
        free(buf);
    return SDC_OK;
}

double stats_quantile(const double *v, size_t n, double q, double *scratch)
{
    size_t k = finite_copy(v, n, scratch);
    if (k == 0 || !(q >= 0 && q <= 1))
        return NAN;
    return select_quantile(scratch, k, q);
}

double safe_div(double a, double b)
{
    if (!isfinite(a) || !isfinite(b) || b == 0)
        return NAN;
    return a / b;
}

double stats_last_finite(const double *v, size_t n)
{
    for (size_t i = n; i-- > 0;)
        if (isfinite(v[i]))
            return v[i];
    return NAN;
}
