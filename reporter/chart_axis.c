/*
 * chart_axis.c - the axes of the SVG charts: units with SI and IEC
 * prefixes, value axes with 1-2-5 ticks, calendar ticks for time axes from
 * minutes to decades (see chart_axis.h).
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "chart_axis.h"

static const char *const wday_name[] = {"Sun", "Mon", "Tue", "Wed",
                                        "Thu", "Fri", "Sat"};
static const char *const month_name[] = {"Jan", "Feb", "Mar", "Apr",
                                         "May", "Jun", "Jul", "Aug",
                                         "Sep", "Oct", "Nov", "Dec"};

/* ---- units and the value axis ----------------------------------------- */

static const char *const si_prefix[] = {"", "k", "M", "G", "T", "P", "E"};
static const char *const iec_prefix[] = {"",   "Ki", "Mi", "Gi",
                                         "Ti", "Pi", "Ei"};
#define PREFIX_MAX 6

struct unit_def {
    double base; /* 1000 or 1024; 0: no prefixes */
    bool iec;
    const char *suffix;
    bool space; /* between the number and prefix + suffix */
};

static struct unit_def unit_def(enum chart_unit u, const char *name)
{
    switch (u) {
    case CHART_UNIT_PERCENT:
        return (struct unit_def){0, false, "%", false};
    case CHART_UNIT_BYTES:
        return (struct unit_def){1024, true, "B", true};
    case CHART_UNIT_BYTES_PER_S:
        return (struct unit_def){1024, true, "B/s", true};
    case CHART_UNIT_BITS_PER_S:
        return (struct unit_def){1000, false, "bit/s", true};
    case CHART_UNIT_CPUS:
        return (struct unit_def){1000, false, "CPUs", true};
    case CHART_UNIT_PER_S:
        return (struct unit_def){1000, false, "/s", false};
    case CHART_UNIT_OTHER:
        return (struct unit_def){1000, false, name ? name : "", true};
    case CHART_UNIT_NONE:
    default:
        return (struct unit_def){1000, false, "", false};
    }
}

/* The prefix for magnitude @m: its index, and its multiplier in *@scale. */
static int prefix_for(const struct unit_def *u, double m, double *scale)
{
    int k = 0;
    double s = 1;
    if (u->base > 0) {
        while (k < PREFIX_MAX && m >= s * u->base) {
            s *= u->base;
            k++;
        }
    }
    *scale = s;
    return k;
}

/* "<number>[ ]<prefix><suffix>" with @dec decimals; @v already scaled. */
static void unit_print(const struct unit_def *u, int k, double v, int dec,
                       char *buf, size_t len)
{
    const char *pre = u->iec ? iec_prefix[k] : si_prefix[k];
    const char *sp = u->space && (*pre || *u->suffix) ? " " : "";
    v += 0.0; /* no "-0" */
    if (fabs(v) >= 1e15)
        snprintf(buf, len, "%.3g%s%s%s", v, sp, pre, u->suffix);
    else
        snprintf(buf, len, "%.*f%s%s%s", dec, v, sp, pre, u->suffix);
}

/* A step of 1, 2 or 5 times a power of ten near @raw (> 0): the smallest
 * not below 3/4 of it, so an axis gets at least about as many ticks as
 * asked for. */
static double nice_step(double raw)
{
    double e = pow(10, floor(log10(raw)));
    static const double m[] = {1, 2, 5, 10};
    for (size_t i = 0; i < 4; i++)
        if (m[i] * e >= raw * 0.75)
            return m[i] * e;
    return 10 * e;
}

void chart_value_axis(double lo, double hi, unsigned flags, double y_min,
                      double y_max, enum chart_unit unit, double height,
                      struct chart_axis *out)
{
    struct unit_def u = unit_def(unit, NULL);
    bool fix_lo = (flags & CHART_Y_MIN) && isfinite(y_min);
    bool fix_hi = (flags & CHART_Y_MAX) && isfinite(y_max);
    double scale;
    double target;
    double step;
    double slo;
    double shi;
    double first;
    int k;

    memset(out, 0, sizeof(*out));
    if (!isfinite(lo) || !isfinite(hi)) {
        lo = 0;
        hi = 1;
    }
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (!(flags & CHART_Y_NO_ZERO)) {
        lo = fmin(lo, 0);
        hi = fmax(hi, 0);
    }
    if (fix_lo)
        lo = y_min;
    if (fix_hi)
        hi = y_max;
    if (!(hi > lo)) {
        /* one value, or fixed ends the wrong way round: open it up */
        double v = fix_lo ? lo : hi;
        double d = fabs(v) > 0 ? fabs(v) * 0.1 : 1;
        if (fix_lo && !fix_hi) {
            hi = lo + d;
        } else if (fix_hi && !fix_lo) {
            lo = hi - d;
        } else if (!fix_lo && !fix_hi) {
            lo = v - d;
            hi = v + d;
            if (!(flags & CHART_Y_NO_ZERO) && v >= 0 && lo < 0)
                lo = 0;
        }
        if (!(hi > lo))
            hi = lo + d;
    }

    k = prefix_for(&u, fmax(fabs(lo), fabs(hi)), &scale);
    slo = lo / scale;
    shi = hi / scale;
    target = floor(height / 40);
    if (target < 3)
        target = 3;
    if (target > 10)
        target = 10;
    step = nice_step((shi - slo) / target);
    /* never finer than a double can tell apart at this magnitude */
    if (!isfinite(step) || step < fmax(fabs(slo), fabs(shi)) * 1e-12)
        step = fmax(fmax(fabs(slo), fabs(shi)) * 1e-12, 1e-300);

    if (!fix_lo)
        slo = floor(slo / step + 1e-9) * step;
    if (!fix_hi)
        shi = ceil(shi / step - 1e-9) * step;
    if (!(shi > slo))
        shi = slo + step;

    out->lo = slo * scale;
    out->hi = shi * scale;
    out->step = step * scale;
    out->scale = scale;
    out->prefix = k;
    out->decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (out->decimals > 9)
        out->decimals = 9;
    first = ceil(slo / step - 1e-9);
    for (int i = 0; out->n < CHART_AXIS_MAX_TICKS; i++) {
        double v = (first + i) * step;
        if (v > shi + step * 1e-9)
            break;
        if (fabs(v) < step * 1e-9) /* 1e-17 is zero */
            v = 0;
        out->ticks[out->n++] = v * scale;
    }
}

void chart_axis_label(const struct chart_axis *ax, enum chart_unit unit,
                      const char *unit_name, double v, char *buf, size_t len)
{
    struct unit_def u = unit_def(unit, unit_name);
    double s = v / ax->scale;
    if (fabs(s) < ax->step / ax->scale * 1e-9) {
        snprintf(buf, len, "0");
        return;
    }
    unit_print(&u, ax->prefix, s, ax->decimals, buf, len);
}

void chart_format_value(enum chart_unit unit, const char *unit_name, double v,
                        char *buf, size_t len)
{
    struct unit_def u = unit_def(unit, unit_name);
    double scale;
    double s;
    int dec;
    int k;
    char *dot;

    if (!isfinite(v)) {
        snprintf(buf, len, "unknown");
        return;
    }
    k = prefix_for(&u, fabs(v), &scale);
    s = v / scale;
    dec = fabs(s) >= 99.95 ? 0 : fabs(s) >= 9.995 ? 1 : 2;
    if (fabs(s) < 1 && s != 0)
        dec = 2 + (int)floor(-log10(fabs(s)));
    if (dec > 9)
        dec = 9;
    unit_print(&u, k, s, dec, buf, len);
    /* drop the fraction's trailing zeros: "45.20%" -> "45.2%" */
    dot = strchr(buf, '.');
    if (dot && fabs(s) < 1e15) {
        char *end = dot + 1;
        char *last;
        while (*end >= '0' && *end <= '9')
            end++;
        last = end;
        while (last > dot + 1 && last[-1] == '0')
            last--;
        if (last == dot + 1)
            last = dot;
        memmove(last, end, strlen(end) + 1);
    }
}

/* ---- the time axis ---------------------------------------------------- */

enum tunit { TU_SEC, TU_DAY, TU_WEEK, TU_MONTH, TU_YEAR };
enum tfmt { TF_HM, TF_DAY, TF_DATE, TF_MONTH, TF_YEAR };

/* Tick spacings, finest first; the first that fits is taken. */
static const struct {
    enum tunit unit;
    int n;
    enum tfmt fmt;
    double approx; /* seconds */
} tsteps[] = {
    {TU_SEC, 60, TF_HM, 60},
    {TU_SEC, 300, TF_HM, 300},
    {TU_SEC, 600, TF_HM, 600},
    {TU_SEC, 900, TF_HM, 900},
    {TU_SEC, 1800, TF_HM, 1800},
    {TU_SEC, 3600, TF_HM, 3600},
    {TU_SEC, 7200, TF_HM, 7200},
    {TU_SEC, 10800, TF_HM, 10800},
    {TU_SEC, 21600, TF_HM, 21600},
    {TU_SEC, 43200, TF_HM, 43200},
    {TU_DAY, 1, TF_DAY, 86400},
    {TU_DAY, 2, TF_DAY, 2 * 86400},
    {TU_WEEK, 1, TF_DATE, 7 * 86400},
    {TU_WEEK, 2, TF_DATE, 14 * 86400},
    {TU_MONTH, 1, TF_MONTH, 30.44 * 86400},
    {TU_MONTH, 3, TF_MONTH, 91.31 * 86400},
    {TU_MONTH, 6, TF_MONTH, 182.6 * 86400},
    {TU_YEAR, 1, TF_YEAR, 365.25 * 86400},
    {TU_YEAR, 2, TF_YEAR, 2 * 365.25 * 86400},
    {TU_YEAR, 5, TF_YEAR, 5 * 365.25 * 86400},
    {TU_YEAR, 10, TF_YEAR, 10 * 365.25 * 86400},
    {TU_YEAR, 25, TF_YEAR, 25 * 365.25 * 86400},
    {TU_YEAR, 50, TF_YEAR, 50 * 365.25 * 86400},
    {TU_YEAR, 100, TF_YEAR, 100 * 365.25 * 86400},
};
#define TSTEPS_N (sizeof(tsteps) / sizeof(tsteps[0]))

/* Typical label length per format, in characters ("14:00", "Mon 12",
 * "12 Jan", mostly "Feb", "2027"). */
static const double tfmt_chars[] = {5, 6, 6, 4, 4};

static bool to_tm(time_t t, bool utc, struct tm *tm)
{
    return (utc ? gmtime_r(&t, tm) : localtime_r(&t, tm)) != NULL;
}

static time_t from_tm(struct tm *tm, bool utc)
{
    tm->tm_isdst = -1;
    return utc ? timegm(tm) : mktime(tm);
}

/* The @k-th tick of spacing @si after the calendar time @base. */
static time_t tick_time(const struct tm *base, size_t si, int k, bool utc)
{
    struct tm tm = *base;
    int n = tsteps[si].n;
    switch (tsteps[si].unit) {
    case TU_SEC:
        if (n < 3600)
            tm.tm_min += k * (n / 60);
        else
            tm.tm_hour += k * (n / 3600);
        break;
    case TU_DAY:
        tm.tm_mday += k * n;
        break;
    case TU_WEEK:
        tm.tm_mday += k * n * 7;
        break;
    case TU_MONTH:
        tm.tm_mon += k * n;
        break;
    case TU_YEAR:
        tm.tm_year += k * n;
        break;
    }
    return from_tm(&tm, utc);
}

/* The calendar time at or before @t where ticks of spacing @si start:
 * whole hours (minutes), midnight, Monday, the 1st of a month, 1 January. */
static bool tick_base(time_t t, size_t si, bool utc, struct tm *tm)
{
    int n = tsteps[si].n;
    if (!to_tm(t, utc, tm))
        return false;
    tm->tm_sec = 0;
    switch (tsteps[si].unit) {
    case TU_SEC:
        if (n < 3600) {
            tm->tm_min -= tm->tm_min % (n / 60);
        } else {
            tm->tm_min = 0;
            tm->tm_hour -= tm->tm_hour % (n / 3600);
        }
        break;
    case TU_WEEK:
        tm->tm_mday -= (tm->tm_wday + 6) % 7; /* back to Monday */
        tm->tm_min = 0;
        tm->tm_hour = 0;
        break;
    case TU_DAY:
        tm->tm_min = 0;
        tm->tm_hour = 0;
        break;
    case TU_MONTH:
        tm->tm_min = 0;
        tm->tm_hour = 0;
        tm->tm_mday = 1;
        tm->tm_mon -= tm->tm_mon % n;
        break;
    case TU_YEAR:
        tm->tm_min = 0;
        tm->tm_hour = 0;
        tm->tm_mday = 1;
        tm->tm_mon = 0;
        tm->tm_year -= ((tm->tm_year + 1900) % n + n) % n;
        break;
    }
    from_tm(tm, utc); /* normalise */
    return true;
}

static void tick_label(time_t t, enum tfmt fmt, bool first, bool utc, char *buf,
                       size_t len)
{
    struct tm tm;
    if (!to_tm(t, utc, &tm)) {
        snprintf(buf, len, "?");
        return;
    }
    switch (fmt) {
    case TF_HM:
        if (tm.tm_hour == 0 && tm.tm_min == 0) /* midnight: name the day */
            snprintf(buf, len, "%s %d", wday_name[tm.tm_wday % 7], tm.tm_mday);
        else
            snprintf(buf, len, "%02d:%02d", tm.tm_hour, tm.tm_min);
        break;
    case TF_DAY:
        snprintf(buf, len, "%s %d", wday_name[tm.tm_wday % 7], tm.tm_mday);
        break;
    case TF_DATE:
        snprintf(buf, len, "%d %s", tm.tm_mday, month_name[tm.tm_mon % 12]);
        break;
    case TF_MONTH:
        if (first || tm.tm_mon == 0) /* the year where it starts */
            snprintf(buf, len, "%s %d", month_name[tm.tm_mon % 12],
                     tm.tm_year + 1900);
        else
            snprintf(buf, len, "%s", month_name[tm.tm_mon % 12]);
        break;
    case TF_YEAR:
        snprintf(buf, len, "%d", tm.tm_year + 1900);
        break;
    }
}

size_t chart_time_ticks(time_t t0, time_t t1, double width, bool utc,
                        struct chart_tick *out, size_t max)
{
    double span = (double)t1 - (double)t0;
    size_t si;
    size_t n = 0;
    struct tm base;
    time_t prev = 0;

    if (!(span > 0) || max == 0)
        return 0;
    /* the finest spacing whose labels fit, at most 13 of them */
    for (si = 0; si < TSTEPS_N; si++) {
        double label_w = tfmt_chars[tsteps[si].fmt] * FONT_AXIS * CHAR_EM;
        double fit = floor(width / (label_w + 24));
        if (fit > 13)
            fit = 13;
        if (fit < 2)
            fit = 2;
        if (span / tsteps[si].approx <= fit - 1)
            break;
    }
    if (si == TSTEPS_N)
        si = TSTEPS_N - 1;
    if (!tick_base(t0, si, utc, &base))
        return 0;
    for (int k = 0; k < 4 * CHART_TIME_MAX_TICKS && n < max; k++) {
        time_t t = tick_time(&base, si, k, utc);
        if (t > t1)
            break;
        /* before the axis, or repeated by a daylight-saving change */
        if (t < t0 || (n > 0 && t <= prev))
            continue;
        prev = t;
        out[n].t = t;
        tick_label(t, tsteps[si].fmt, n == 0, utc, out[n].label,
                   sizeof(out[n].label));
        n++;
    }
    return n;
}

void chart_format_time(time_t t, bool utc, char *buf, size_t len)
{
    struct tm tm;
    if (!to_tm(t, utc, &tm)) {
        snprintf(buf, len, "?");
        return;
    }
    snprintf(buf, len, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
}
