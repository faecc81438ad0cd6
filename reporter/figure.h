/*
 * figure.h - a number as the reports show it: a JSON object
 *
 *   {"value": 12.34, "unit": "%", "text": "12.3%"}
 *
 * @value is the number in @unit (null when there is no data), @text the
 * same number for people ("no data" when there is none; never "nan" or
 * "inf").  report.json holds figures; the templates print .text and the
 * CSV files write .value under a header naming the unit.
 *
 * Units: "%" (percent, 0..100), "points" (a difference of percents),
 * "CPUs" (CPUs busy), "vCPUs", "bytes", "bytes/s", "bit/s", "ratio"
 * (x : 1), "count", "1/s".
 *
 * Numbers are written in the C locale (the programs never change it).
 */
#ifndef SDC_REPORTER_FIGURE_H
#define SDC_REPORTER_FIGURE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "chart_svg.h"
#include "sdc/error.h"

#define FIG_TEXT_LEN 48
#define FIG_NO_DATA "no data"

/* Texts (buffers of at least FIG_TEXT_LEN bytes; "no data" for NaN). */
void fig_text_pct(double pct, char *buf);        /* 12.3%, 0.42% */
void fig_text_points(double pts, char *buf);     /* +3.2 pts */
void fig_text_cpus(double cpus, char *buf);      /* 0.88 CPUs */
void fig_text_bytes(double bytes, char *buf);    /* 16 GiB, 1.21 TiB */
void fig_text_rate_bytes(double bps, char *buf); /* 310 B/s, 1.2 MB/s */
void fig_text_rate_bits(double bps, char *buf);  /* 812 Mbit/s */
void fig_text_ratio(double r, char *buf);        /* 2.50 : 1 */
void fig_text_count(double n, const char *unit, char *buf); /* 4 vCPUs */

/*
 * Figures as new JSON objects (NULL only when out of memory).  A
 * non-finite input gives value null and text "no data".
 */
json_t *fig_pct(double fraction); /* a share 0..1 shown as percent */
json_t *fig_points(double fraction_diff);
json_t *fig_cpus(double cpus);
json_t *fig_vcpus(double vcpus);
json_t *fig_bytes(double bytes);
json_t *fig_rate_bytes(double bytes_per_s);
json_t *fig_rate_bits(double bits_per_s);
json_t *fig_ratio(double ratio);
json_t *fig_count(double n, const char *unit);
/* fig_change - a change of @unit ("points", "vCPUs", "bytes" ...) with its
 * own text (e.g. "new this month"); @text NULL: from the value. */
json_t *fig_change(double diff, const char *unit, const char *text);

/* fig_value - the value of a figure, NaN for null or not a figure. */
double fig_value(const json_t *fig);

/*
 * fig_chart - a chart drawn, as a JSON string of its SVG; frees @ch.
 * @ch:  the chart; NULL when chart_new() ran out of memory
 * @oom: set true when memory ran out here (@ch NULL, or the string)
 * @err: why chart_render() drew nothing, when it did not
 *
 * Return: a new reference, or NULL (*@oom or @err set).
 */
json_t *fig_chart(struct chart *ch, bool *oom, struct sdc_error *err);

#endif
