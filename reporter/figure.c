/*
 * figure.c - numbers with units for report.json and the templates
 * (figure.h).
 */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "chart_axis.h"
#include "figure.h"

static void no_data(char *buf)
{
    snprintf(buf, FIG_TEXT_LEN, "%s", FIG_NO_DATA);
}

/* "3.0%" -> "3%", "1.50 kB/s" -> "1.5 kB/s": trailing zeros of the first
 * number in @buf go. */
static void strip_zeros(char *buf)
{
    char *dot = strchr(buf, '.'), *end, *last;
    if (!dot)
        return;
    end = dot + 1;
    while (*end >= '0' && *end <= '9')
        end++;
    last = end;
    while (last > dot + 1 && last[-1] == '0')
        last--;
    if (last == dot + 1)
        last = dot;
    memmove(last, end, strlen(end) + 1);
}

void fig_text_pct(double pct, char *buf)
{
    double a = fabs(pct);
    if (!isfinite(pct))
        no_data(buf);
    else if (a == 0)
        snprintf(buf, FIG_TEXT_LEN, "0%%");
    else if (a < 0.01)
        snprintf(buf, FIG_TEXT_LEN, "%s0.01%%", pct < 0 ? "> -" : "< ");
    else if (a < 1)
        snprintf(buf, FIG_TEXT_LEN, "%.2f%%", pct);
    else
        snprintf(buf, FIG_TEXT_LEN, "%.1f%%", pct);
    strip_zeros(buf);
}

void fig_text_points(double pts, char *buf)
{
    if (!isfinite(pts))
        no_data(buf);
    else if (fabs(pts) < 0.05)
        snprintf(buf, FIG_TEXT_LEN, "no change");
    else
        snprintf(buf, FIG_TEXT_LEN, "%+.1f pts", pts);
}

void fig_text_cpus(double cpus, char *buf)
{
    if (!isfinite(cpus))
        no_data(buf);
    else if (cpus == 1)
        snprintf(buf, FIG_TEXT_LEN, "1 CPU");
    else if (fabs(cpus) >= 100)
        snprintf(buf, FIG_TEXT_LEN, "%.0f CPUs", cpus);
    else if (fabs(cpus) >= 10)
        snprintf(buf, FIG_TEXT_LEN, "%.1f CPUs", cpus);
    else
        snprintf(buf, FIG_TEXT_LEN, "%.2f CPUs", cpus);
    strip_zeros(buf);
}

void fig_text_bytes(double bytes, char *buf)
{
    if (!isfinite(bytes))
        no_data(buf);
    else if (bytes == 0)
        snprintf(buf, FIG_TEXT_LEN, "0 B");
    else
        chart_format_value(CHART_UNIT_BYTES, NULL, bytes, buf, FIG_TEXT_LEN);
}

void fig_text_rate_bytes(double bps, char *buf)
{
    static const char *const pfx[] = {"", "k", "M", "G", "T", "P"};
    double a = fabs(bps);
    size_t k = 0;
    if (!isfinite(bps)) {
        no_data(buf);
        return;
    }
    while (a >= 999.5 && k + 1 < sizeof(pfx) / sizeof(pfx[0])) {
        a /= 1000;
        bps /= 1000;
        k++;
    }
    if (k == 0 || a >= 99.95)
        snprintf(buf, FIG_TEXT_LEN, "%.0f %sB/s", bps, pfx[k]);
    else if (a >= 9.995)
        snprintf(buf, FIG_TEXT_LEN, "%.1f %sB/s", bps, pfx[k]);
    else
        snprintf(buf, FIG_TEXT_LEN, "%.2f %sB/s", bps, pfx[k]);
    strip_zeros(buf);
}

void fig_text_rate_bits(double bps, char *buf)
{
    if (!isfinite(bps))
        no_data(buf);
    else if (bps == 0)
        snprintf(buf, FIG_TEXT_LEN, "0 bit/s");
    else
        chart_format_value(CHART_UNIT_BITS_PER_S, NULL, bps, buf, FIG_TEXT_LEN);
}

void fig_text_ratio(double r, char *buf)
{
    if (!isfinite(r))
        no_data(buf);
    else
        snprintf(buf, FIG_TEXT_LEN, "%.2f : 1", r);
}

void fig_text_count(double n, const char *unit, char *buf)
{
    if (!isfinite(n))
        no_data(buf);
    else if (n == floor(n) && fabs(n) < 1e15)
        snprintf(buf, FIG_TEXT_LEN, "%.0f%s%s", n, unit && *unit ? " " : "",
                 unit ? unit : "");
    else
        snprintf(buf, FIG_TEXT_LEN, "%.2f%s%s", n, unit && *unit ? " " : "",
                 unit ? unit : "");
}

/* Round @v to @dec decimals (keeps JSON short and stable). */
static double round_to(double v, int dec)
{
    double m = pow(10, dec);
    double r = round(v * m) / m;
    return isfinite(r) ? r : v;
}

static json_t *make(double value, const char *unit, const char *text)
{
    json_t *o = json_object();
    json_t *v;
    if (!o)
        return NULL;
    v = isfinite(value) ? json_real(value) : json_null();
    if (json_object_set_new(o, "value", v) ||
        json_object_set_new(o, "unit", json_string(unit)) ||
        json_object_set_new(o, "text", json_string(text))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *fig_pct(double fraction)
{
    char t[FIG_TEXT_LEN];
    double pct = fraction * 100;
    fig_text_pct(pct, t);
    return make(round_to(pct, 4), "%", t);
}

json_t *fig_points(double fraction_diff)
{
    char t[FIG_TEXT_LEN];
    double pts = fraction_diff * 100;
    fig_text_points(pts, t);
    return make(round_to(pts, 4), "points", t);
}

json_t *fig_cpus(double cpus)
{
    char t[FIG_TEXT_LEN];
    fig_text_cpus(cpus, t);
    return make(round_to(cpus, 4), "CPUs", t);
}

json_t *fig_vcpus(double vcpus)
{
    char t[FIG_TEXT_LEN];
    fig_text_count(vcpus, fabs(vcpus) == 1 ? "vCPU" : "vCPUs", t);
    return make(vcpus, "vCPUs", t);
}

json_t *fig_bytes(double bytes)
{
    char t[FIG_TEXT_LEN];
    fig_text_bytes(bytes, t);
    return make(round(bytes), "bytes", t);
}

json_t *fig_rate_bytes(double bytes_per_s)
{
    char t[FIG_TEXT_LEN];
    fig_text_rate_bytes(bytes_per_s, t);
    return make(round_to(bytes_per_s, 2), "bytes/s", t);
}

json_t *fig_rate_bits(double bits_per_s)
{
    char t[FIG_TEXT_LEN];
    fig_text_rate_bits(bits_per_s, t);
    return make(round_to(bits_per_s, 1), "bit/s", t);
}

json_t *fig_ratio(double ratio)
{
    char t[FIG_TEXT_LEN];
    fig_text_ratio(ratio, t);
    return make(round_to(ratio, 4), "ratio", t);
}

json_t *fig_count(double n, const char *unit)
{
    char t[FIG_TEXT_LEN];
    fig_text_count(n, strcmp(unit, "count") == 0 ? "" : unit, t);
    return make(n, unit, t);
}

json_t *fig_change(double diff, const char *unit, const char *text)
{
    char t[FIG_TEXT_LEN * 2];
    if (text)
        return make(diff, unit, text);
    if (!isfinite(diff))
        snprintf(t, sizeof(t), "%s", FIG_NO_DATA);
    else if (strcmp(unit, "points") == 0)
        fig_text_points(diff, t);
    else if (strcmp(unit, "bytes") == 0) {
        char b[FIG_TEXT_LEN];
        fig_text_bytes(fabs(diff), b);
        snprintf(t, sizeof(t), "%s%s",
                 diff < 0   ? "-"
                 : diff > 0 ? "+"
                            : "",
                 diff == 0 ? "no change" : b);
    } else if (strcmp(unit, "ratio") == 0) {
        if (fabs(diff) < 0.005)
            snprintf(t, sizeof(t), "no change");
        else
            snprintf(t, sizeof(t), "%+.2f", diff);
    } else if (diff == 0) {
        snprintf(t, sizeof(t), "no change");
    } else {
        snprintf(t, sizeof(t), "%+g %.32s", diff, unit);
    }
    if (strcmp(unit, "points") == 0 || strcmp(unit, "ratio") == 0)
        diff = round_to(diff, 4);
    return make(diff, unit, t);
}

double fig_value(const json_t *fig)
{
    const json_t *v =
        json_is_object(fig) ? json_object_get(fig, "value") : NULL;
    return json_is_number(v) ? json_number_value(v) : NAN;
}

json_t *fig_chart(struct chart *ch, bool *oom, struct sdc_error *err)
{
    char *svg = NULL;
    json_t *j;
    if (!ch) {
        *oom = true;
        return NULL;
    }
    if (chart_render(ch, &svg, NULL, err) != SDC_OK) {
        chart_free(ch);
        return NULL;
    }
    chart_free(ch);
    j = json_string(svg);
    free(svg);
    if (!j)
        *oom = true;
    return j;
}
