/*
 * chart_svg.h - time-series charts as self-contained SVG, shared by the
 * reports (inline in report.html) and the web view (/graph/...svg).
 *
 * A chart holds line series, filled bands (forecast intervals), horizontal
 * reference lines (a target, a capacity) and vertical markers ("today",
 * "order by"), and renders them to one SVG string:
 *   - no script, no style sheet, no external reference, no id (several
 *     charts can sit in one HTML page), font-family "sans-serif" only;
 *   - a viewBox and no fixed size, so it scales from a phone to a wall
 *     screen; role="img" with <title> and <desc> (a text summary of the
 *     data, generated unless given) for screen readers;
 *   - readable printed in black and white: every line has its own dash
 *     pattern as well as its colour, bands have dashed outlines;
 *   - every text from the caller is HTML-escaped; numbers are written in
 *     the C locale whatever the program's locale; the same input gives the
 *     same bytes (times are labelled in UTC or in the local time zone,
 *     CHART_UTC).
 *
 * Usage:
 *
 *   struct chart_opts o = {.title = "prod-a CPU", .unit = CHART_UNIT_PERCENT};
 *   struct chart *c = chart_new(&o);
 *   chart_add_line(c, "used", s.start, s.step, s.v, s.n, 0);
 *   chart_add_line(c, "forecast", f0, 86400, mean, n, CHART_LINE_FORECAST);
 *   chart_add_band(c, "95% interval", f0, 86400, lo95, hi95, n);
 *   chart_add_band(c, "80% interval", f0, 86400, lo80, hi80, n);
 *   chart_add_hline(c, "target 70%", 70, CHART_HLINE_TARGET);
 *   chart_add_marker(c, "order by", order_by);
 *   rc = chart_render(c, &svg, &len, &err);
 *   chart_free(c);
 *
 * The chart_add_* calls copy what they are given.  A failed call returns
 * its code and is remembered: chart_render() then fails with its message,
 * so callers may check only the render.
 *
 * Long series are reduced at render time to the minimum and maximum of each
 * pixel column (at most about two points per column), so a year of 5-minute
 * values keeps its peaks.  A NaN value is a gap: the line stops and starts
 * again after it (in a reduced series, a column with no value at all).
 * A chart with no finite value says "no data".
 *
 * Thread-safety: a chart is used by one thread at a time; different charts
 * may be built and rendered in parallel.
 *
 * The axis arithmetic (units with SI/IEC prefixes, 1-2-5 ticks, calendar
 * ticks) and chart_format_value(), for values in words ("1.21 TiB"), are
 * in chart_axis.h.
 */
#ifndef SDC_REPORTER_CHART_SVG_H
#define SDC_REPORTER_CHART_SVG_H

#include <stddef.h>
#include <time.h>

#include "sdc/error.h"

/* Limits: more is refused with SDC_ERR_INVALID. */
#define CHART_MAX_LINES 16
#define CHART_MAX_BANDS 8
#define CHART_MAX_HLINES 8
#define CHART_MAX_MARKERS 16
#define CHART_MAX_POINTS ((size_t)20000000) /* per series */
/* Labels longer than this many characters are cut, with an ellipsis. */
#define CHART_MAX_LABEL 48
/* Default output cap of chart_render(). */
#define CHART_MAX_BYTES_DEFAULT ((size_t)4 << 20)

/*
 * What the values are; it chooses the axis labels.  Prefixes are SI (k M G T
 * P, powers of 1000) or IEC (Ki Mi Gi Ti Pi, powers of 1024) as shown.
 */
enum chart_unit {
    CHART_UNIT_NONE = 0,    /* plain numbers: 950, 1.2k, 3.4M */
    CHART_UNIT_PERCENT,     /* values in percent (70 = 70%), no prefix */
    CHART_UNIT_BYTES,       /* IEC: 512 MiB, 1.5 TiB */
    CHART_UNIT_BYTES_PER_S, /* IEC: 20 MiB/s */
    CHART_UNIT_BITS_PER_S,  /* SI: 800 Mbit/s, 10 Gbit/s */
    CHART_UNIT_CPUS,        /* 48 CPUs, 1.2k CPUs */
    CHART_UNIT_PER_S,       /* SI rate: 120/s, 3k/s */
    CHART_UNIT_OTHER,       /* SI with chart_opts.unit_name as the suffix */
};

/* Flags of struct chart_opts. */
enum chart_flags {
    CHART_UTC = 1 << 0,       /* label times in UTC (else the local zone) */
    CHART_Y_MIN = 1 << 1,     /* the value axis starts at y_min */
    CHART_Y_MAX = 1 << 2,     /* the value axis ends at y_max */
    CHART_Y_NO_ZERO = 1 << 3, /* fit the data; else the axis includes 0 */
    CHART_NO_LEGEND = 1 << 4, /* no legend row */
};

/*
 * struct chart_opts - the chart as a whole; a zeroed struct is a valid
 * 800x300 chart of plain numbers in local time.
 * @title:     drawn at the top and the accessible name, cut to what fits
 *             on one line; NULL: none drawn ("Chart" as the name)
 * @desc:      the <desc> text (at most 4000 characters); NULL: a summary
 *             is generated (time range; per line its last, lowest and
 *             highest value; bands at their end; reference lines; markers)
 * @width, @height: viewBox size in user units (CSS pixels at scale 1);
 *             0: 800 x 300; kept within 240..4000 x 160..3000
 * @unit:      enum chart_unit
 * @unit_name: the suffix for CHART_UNIT_OTHER, e.g. "req/s"
 * @flags:     enum chart_flags
 * @y_min, @y_max: fixed ends of the value axis, with CHART_Y_MIN/MAX
 * @t_start, @t_end: the time axis; both 0: from the data (lines, bands)
 * @max_bytes: output cap, 0: CHART_MAX_BYTES_DEFAULT
 */
struct chart_opts {
    const char *title;
    const char *desc;
    unsigned width;
    unsigned height;
    enum chart_unit unit;
    const char *unit_name;
    unsigned flags;
    double y_min;
    double y_max;
    time_t t_start;
    time_t t_end;
    size_t max_bytes;
};

/* Flags of chart_add_line(). */
enum chart_line_flags {
    /* the colour of the line added before this one (else the next colour
     * of the palette): a forecast continuing its history */
    CHART_LINE_SAME_COLOR = 1 << 0,
    /* a dashed pattern (else the palette's pattern for this position) */
    CHART_LINE_DASHED = 1 << 1,
    /* both: how a forecast is drawn after its history line */
    CHART_LINE_FORECAST = CHART_LINE_SAME_COLOR | CHART_LINE_DASHED,
};

/* Kinds of horizontal line. */
enum chart_hline_kind {
    CHART_HLINE_TARGET = 0, /* a planning target: red, dashed */
    CHART_HLINE_LIMIT,      /* a hard limit such as capacity: dark, solid */
    CHART_HLINE_NOTE,       /* anything else: grey, dotted */
};

struct chart;

/*
 * chart_new - an empty chart; @opts is copied (its strings too) and may be
 * NULL for the defaults.
 * @return: the chart, or NULL when out of memory.
 */
struct chart *chart_new(const struct chart_opts *opts);

/* chart_free - free @c (NULL allowed). */
void chart_free(struct chart *c);

/*
 * chart_add_line - a series of @n values, @v[i] at time @start + i * @step
 * (e.g. struct series from fetch.h); NaN values are gaps.
 * @label: shown in the legend (escaped); NULL or "": no legend entry
 * @flags: enum chart_line_flags
 * @return: SDC_OK; SDC_ERR_INVALID (too many lines, @step <= 0 with n > 1,
 *          n > CHART_MAX_POINTS); SDC_ERR_NOMEM.
 */
enum sdc_rc chart_add_line(struct chart *c, const char *label, time_t start,
                           time_t step, const double *v, size_t n,
                           unsigned flags);

/*
 * chart_add_line_xy - a series at the times @t[i] (non-decreasing).
 * @return: as chart_add_line(); SDC_ERR_INVALID when @t goes backwards.
 */
enum sdc_rc chart_add_line_xy(struct chart *c, const char *label,
                              const time_t *t, const double *v, size_t n,
                              unsigned flags);

/*
 * chart_add_band - a filled band between @lower[i] and @upper[i] at time
 * @start + i * @step, e.g. a forecast's prediction interval; a point where
 * either bound is NaN is a gap.  Bands are drawn translucent, under the
 * lines, in the colour of the last line added before them, with a dashed
 * outline (the first band added: dashes, the second: dots ...).  Add the
 * wider band first (95%, then 80%): where they overlap the colour deepens.
 * Each run of n points is one polygon of 2n points (upper bounds forward,
 * lower bounds back) unless the band is longer than two points per pixel
 * column, where it is reduced to the lowest lower and highest upper bound
 * of each column.
 * @return: as chart_add_line().
 */
enum sdc_rc chart_add_band(struct chart *c, const char *label, time_t start,
                           time_t step, const double *lower,
                           const double *upper, size_t n);

/*
 * chart_add_hline - a horizontal line across the chart at @value, labelled
 * at its right end (e.g. "target 70%", "capacity 96 CPUs").  The value axis
 * is stretched to include it.  A non-finite @value is SDC_ERR_INVALID.
 */
enum sdc_rc chart_add_hline(struct chart *c, const char *label, double value,
                            enum chart_hline_kind kind);

/*
 * chart_add_marker - a vertical line at time @t labelled at the top (e.g.
 * "today", "order by").  A marker outside the time axis is not drawn (the
 * axis is not stretched for it).
 */
enum sdc_rc chart_add_marker(struct chart *c, const char *label, time_t t);

/*
 * chart_render - the chart as an SVG document (UTF-8, starting with <svg>,
 * no XML declaration, so it can be inlined in HTML or served as
 * image/svg+xml).
 * @svg: set to the text, NUL-terminated; the caller frees it with free()
 * @len: if non-NULL, set to its length
 * @return: SDC_OK; the first error of a chart_add_* call; SDC_ERR_INVALID
 *          when the output would pass chart_opts.max_bytes; SDC_ERR_NOMEM.
 */
enum sdc_rc chart_render(const struct chart *c, char **svg, size_t *len,
                         struct sdc_error *err);

#endif
