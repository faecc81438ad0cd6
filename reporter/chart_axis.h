/*
 * chart_axis.h - the axes of the SVG charts (chart_svg.c): units with SI
 * and IEC prefixes, value axes with 1-2-5 ticks, calendar ticks for time
 * axes from minutes to decades, and values in words for text.
 *
 * Numbers are formatted with the thread's LC_NUMERIC: chart_render() makes
 * it "C" while it draws; other callers get the "C" locale unless their
 * program changed it.
 */
#ifndef SDC_REPORTER_CHART_AXIS_H
#define SDC_REPORTER_CHART_AXIS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "chart_svg.h"

/* Axis labels are FONT_AXIS units high; one character of a generic
 * sans-serif font is taken as CHAR_EM of that wide (generous for digits
 * and most Latin text), which is how labels are kept apart. */
#define FONT_AXIS 11.0
#define CHAR_EM 0.6

#define CHART_AXIS_MAX_TICKS 24
#define CHART_TICK_LABEL 24
#define CHART_TIME_MAX_TICKS 64

/*
 * struct chart_axis - a value axis.
 * @lo, @hi:   its ends (raw units), @hi > @lo
 * @step:      tick spacing (raw units): 1, 2 or 5 times a power of ten of
 *             the prefixed unit
 * @scale:     the prefix's multiplier (1, 1000, 1024^3 ...)
 * @prefix:    the prefix's index (0: none, 1: k/Ki, 2: M/Mi ...)
 * @decimals:  digits after the point in the labels
 * @n, @ticks: the tick values (raw units), ascending
 */
struct chart_axis {
    double lo;
    double hi;
    double step;
    double scale;
    int prefix;
    int decimals;
    size_t n;
    double ticks[CHART_AXIS_MAX_TICKS];
};

/*
 * chart_value_axis - nice ticks for data between @lo and @hi on an axis
 * @height units tall (about one tick per 40 units), honouring CHART_Y_MIN,
 * CHART_Y_MAX and CHART_Y_NO_ZERO of @flags.  One value (@lo == @hi) gets
 * an axis around it, never a zero-height one; non-finite input gives 0..1.
 */
void chart_value_axis(double lo, double hi, unsigned flags, double y_min,
                      double y_max, enum chart_unit unit, double height,
                      struct chart_axis *out);

/*
 * chart_axis_label - the label of tick value @v on @ax, every label of an
 * axis with the same prefix and decimals: "70%", "200 GiB", "2.5 Gbit/s",
 * and "0" for zero.
 * @unit_name: the suffix for CHART_UNIT_OTHER
 */
void chart_axis_label(const struct chart_axis *ax, enum chart_unit unit,
                      const char *unit_name, double v, char *buf, size_t len);

/*
 * chart_format_value - @v with about 3 significant digits and the prefix
 * that suits it: "45.2%", "1.21 TiB", "950 Mbit/s", "48 CPUs"; "unknown"
 * for NaN.  For text about a chart (its <desc>, a report's sentences).
 */
void chart_format_value(enum chart_unit unit, const char *unit_name, double v,
                        char *buf, size_t len);

/*
 * struct chart_tick - a time-axis tick: its time and label ("03:00",
 * "Mon 12", "12 Jan", "Jan 2027" / "Feb", "2027").
 */
struct chart_tick {
    time_t t;
    char label[CHART_TICK_LABEL];
};

/*
 * chart_time_ticks - calendar ticks between @t0 and @t1 (> @t0) for an axis
 * @width units wide: the finest of 1-30 minutes, 1-12 hours, 1-2 days
 * (midnight), 1-2 weeks (Mondays), 1, 3 or 6 months (the 1st), 1-100 years
 * (1 January) that leaves room for its labels, at most 13 ticks.  Months
 * are named with their year on the first tick and in January.
 * @utc:    in UTC, else in the local time zone (TZ)
 * @return: the number of ticks written to @out (at most @max).
 */
size_t chart_time_ticks(time_t t0, time_t t1, double width, bool utc,
                        struct chart_tick *out, size_t max);

/*
 * chart_format_time - @t as "2026-03-09 14:05", in UTC or local time; "?"
 * when the C library cannot convert it.
 */
void chart_format_time(time_t t, bool utc, char *buf, size_t len);

#endif
