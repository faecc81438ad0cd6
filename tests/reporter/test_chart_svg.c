/*
 * test_chart_svg.c - the SVG chart module: well-formed XML (libxml2),
 * escaping, gaps, min/max reduction of long series, axes, bands, empty and
 * constant data, determinism (also under a locale with a decimal comma),
 * limits.  Writes a sample chart to the build directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "chart_svg.h"
#include "chart_axis.h"
#include "testutil.h"

#define DAY 86400
/* 2026-03-09 00:00:00 UTC, a Monday */
#define T_MON ((time_t)1773014400)
/* 2026-01-01 00:00:00 UTC */
#define T_2026 ((time_t)1767225600)

/* ---- helpers ------------------------------------------------------------ */

static char *render(struct chart *c, size_t *len)
{
    char *svg = NULL;
    struct sdc_error err;
    if (chart_render(c, &svg, len, &err) != SDC_OK)
        fail_msg("chart_render: %s", err.msg);
    assert_non_null(svg);
    return svg;
}

static xmlDocPtr parse(const char *svg)
{
    xmlDocPtr doc = xmlReadMemory(svg, (int)strlen(svg), "chart.svg", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOWARNING);
    if (!doc)
        fail_msg("not well-formed XML:\n%s", svg);
    return doc;
}

static bool has_class(xmlNodePtr n, const char *cls)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)"class");
    bool ok = v && strcmp((const char *)v, cls) == 0;
    xmlFree(v);
    return ok;
}

/* The elements named @name (any if NULL) with class @cls (any if NULL),
 * in document order. */
static size_t find_all(xmlNodePtr n, const char *name, const char *cls,
                       xmlNodePtr *out, size_t max, size_t k)
{
    for (; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE) {
            if ((!name || strcmp((const char *)n->name, name) == 0) &&
                (!cls || has_class(n, cls))) {
                if (k < max)
                    out[k] = n;
                k++;
            }
            k = find_all(n->children, name, cls, out, max, k);
        }
    }
    return k;
}

static double prop_num(xmlNodePtr n, const char *attr)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)attr);
    double d;
    assert_non_null(v);
    d = strtod((const char *)v, NULL);
    xmlFree(v);
    return d;
}

static char *prop(xmlNodePtr n, const char *attr)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)attr);
    char *s;
    assert_non_null(v);
    s = strdup((const char *)v);
    xmlFree(v);
    assert_non_null(s);
    return s;
}

static char *text_of(xmlNodePtr n)
{
    xmlChar *v = xmlNodeGetContent(n);
    char *s = strdup(v ? (const char *)v : "");
    xmlFree(v);
    assert_non_null(s);
    return s;
}

/* The texts of elements with class @cls, joined by '|'. */
static void texts(xmlDocPtr doc, const char *cls, char *buf, size_t len)
{
    xmlNodePtr nodes[128];
    size_t n = find_all(xmlDocGetRootElement(doc), "text", cls, nodes, 128, 0);
    buf[0] = '\0';
    for (size_t i = 0; i < n && i < 128; i++) {
        char *t = text_of(nodes[i]);
        size_t l = strlen(buf);
        snprintf(buf + l, len - l, "%s%s", i ? "|" : "", t);
        free(t);
    }
}

struct pt {
    double x;
    double y;
};

/* Parse path data of our own form ("Mx,y x,y h0 Mx,y ..."): the points,
 * and the number of runs (M commands). */
static size_t path_points(const char *d, struct pt *out, size_t max,
                          size_t *runs)
{
    size_t n = 0;
    *runs = 0;
    for (const char *p = d; *p;) {
        char *end;
        double x;
        double y;
        if (*p == 'M') {
            (*runs)++;
            p++;
            continue;
        }
        if (*p == ' ') {
            p++;
            continue;
        }
        if (*p == 'h') { /* "h0": a lone point */
            p += 2;
            continue;
        }
        x = strtod(p, &end);
        assert_true(end != p && *end == ',');
        y = strtod(end + 1, &end);
        if (n < max)
            out[n] = (struct pt){x, y};
        n++;
        p = end;
    }
    return n;
}

/* The plot viewport: x, y, width, height. */
static void plot_box(xmlDocPtr doc, double box[4])
{
    xmlNodePtr plot;
    assert_int_equal(
        find_all(xmlDocGetRootElement(doc), "svg", "plot", &plot, 1, 0), 1);
    box[0] = prop_num(plot, "x");
    box[1] = prop_num(plot, "y");
    box[2] = prop_num(plot, "width");
    box[3] = prop_num(plot, "height");
}

static void no_script(xmlNodePtr n)
{
    for (; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE) {
            assert_true(strcmp((const char *)n->name, "script") != 0);
            assert_true(strcmp((const char *)n->name, "foreignObject") != 0);
            for (xmlAttrPtr a = n->properties; a; a = a->next)
                assert_true(strncmp((const char *)a->name, "on", 2) != 0);
            no_script(n->children);
        }
    }
}

/* ---- 1. well-formed, accessible, escaped --------------------------------- */

static void test_xml_escape(void **state)
{
    (void)state;
    static const char evil[] = "<script>alert(1)</script>";
    struct chart_opts o = {
        .title = evil, .unit = CHART_UNIT_PERCENT, .flags = CHART_UTC};
    struct chart *c = chart_new(&o);
    double v[48];
    double lo[48];
    double hi[48];
    char *svg;
    xmlDocPtr doc;
    xmlNodePtr root;
    xmlNodePtr nodes[64];
    char buf[4096];

    assert_non_null(c);
    for (int i = 0; i < 48; i++) {
        v[i] = 40 + 10 * sin(i / 5.0);
        lo[i] = v[i] - 5;
        hi[i] = v[i] + 5;
    }
    assert_int_equal(chart_add_line(c, "a&b", T_MON, 3600, v, 48, 0), SDC_OK);
    assert_int_equal(
        chart_add_line(c, evil, T_MON, 3600, v, 48, CHART_LINE_FORECAST),
        SDC_OK);
    /* invalid UTF-8 and control characters must not break the XML */
    assert_int_equal(chart_add_band(c, "bad \xff\xfe utf-8 \x01\x1b end", T_MON,
                                    3600, lo, hi, 48),
                     SDC_OK);
    assert_int_equal(
        chart_add_hline(c, "target \"70%\" <b>", 70, CHART_HLINE_TARGET),
        SDC_OK);
    assert_int_equal(chart_add_marker(c, evil, T_MON + 20 * 3600), SDC_OK);
    svg = render(c, NULL);

    assert_null(strstr(svg, "<script"));
    assert_non_null(strstr(svg, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(svg, "a&amp;b"));
    assert_null(strstr(svg, "a&b"));
    assert_non_null(strstr(svg, "target &quot;70%&quot; &lt;b&gt;"));

    doc = parse(svg);
    root = xmlDocGetRootElement(doc);
    assert_string_equal((const char *)root->name, "svg");
    no_script(root);
    {
        char *vb = prop(root, "viewBox");
        char *role = prop(root, "role");
        assert_string_equal(vb, "0 0 800 300");
        assert_string_equal(role, "img");
        free(vb);
        free(role);
        /* scales with its container: no fixed size */
        assert_null(xmlGetProp(root, (const xmlChar *)"width"));
        assert_null(xmlGetProp(root, (const xmlChar *)"height"));
    }
    /* <title> and <desc> come first */
    {
        xmlNodePtr first = xmlFirstElementChild(root);
        xmlNodePtr second = xmlNextElementSibling(first);
        char *t = text_of(first);
        char *d = text_of(second);
        assert_string_equal((const char *)first->name, "title");
        assert_string_equal((const char *)second->name, "desc");
        assert_string_equal(t, evil); /* read back as the same text */
        assert_non_null(strstr(d, "a&b: last "));
        assert_non_null(strstr(d, "2026-03-09 00:00"));
        free(t);
        free(d);
    }
    texts(doc, "legend-label", buf, sizeof(buf));
    assert_non_null(strstr(buf, "a&b|<script>alert(1)</script>|bad "));
    assert_non_null(strstr(buf, "\xEF\xBF\xBD")); /* U+FFFD */
    texts(doc, "marker-label", buf, sizeof(buf));
    assert_string_equal(buf, evil);
    texts(doc, "hline-label", buf, sizeof(buf));
    assert_string_equal(buf, "target \"70%\" <b>");
    /* no external references, ids or styles */
    assert_null(strstr(svg, "href"));
    assert_null(strstr(svg, " id="));
    assert_null(strstr(svg, "<style"));
    assert_null(strstr(svg, "url("));
    assert_int_equal(find_all(root, "path", "line", nodes, 64, 0), 2);
    xmlFreeDoc(doc);
    free(svg);
    chart_free(c);
}

/* ---- 2. gaps ------------------------------------------------------------- */

static void test_nan_gap(void **state)
{
    (void)state;
    struct chart_opts o = {.flags = CHART_UTC};
    struct chart *c = chart_new(&o);
    double v[20];
    char *svg;
    xmlDocPtr doc;
    xmlNodePtr line;
    struct pt pts[64];
    size_t runs;
    size_t n;
    char *d;

    for (int i = 0; i < 20; i++)
        v[i] = i >= 8 && i <= 10 ? NAN : 10 + i;
    assert_int_equal(chart_add_line(c, "x", T_MON, 60, v, 20, 0), SDC_OK);
    svg = render(c, NULL);
    doc = parse(svg);
    assert_int_equal(
        find_all(xmlDocGetRootElement(doc), "path", "line", &line, 1, 0), 1);
    d = prop(line, "d");
    n = path_points(d, pts, 64, &runs);
    assert_int_equal(runs, 2);
    assert_int_equal(n, 17); /* 20 values, 3 unknown */
    /* the gap is not drawn as zero: every point is above the axis' 0 */
    {
        double box[4];
        plot_box(doc, box);
        for (size_t i = 0; i < n; i++)
            assert_true(pts[i].y < box[3] - 1);
    }
    free(d);
    xmlFreeDoc(doc);
    free(svg);
    chart_free(c);

    /* a lone value between gaps is still drawn (as a dot) */
    c = chart_new(&o);
    for (int i = 0; i < 20; i++)
        v[i] = i == 5 || i > 10 ? 3 : NAN;
    assert_int_equal(chart_add_line(c, "x", T_MON, 60, v, 20, 0), SDC_OK);
    svg = render(c, NULL);
    doc = parse(svg);
    assert_int_equal(
        find_all(xmlDocGetRootElement(doc), "path", "line", &line, 1, 0), 1);
    d = prop(line, "d");
    n = path_points(d, pts, 64, &runs);
    assert_int_equal(runs, 2);
    assert_int_equal(n, 10);
    assert_non_null(strstr(d, "h0"));
    free(d);
    xmlFreeDoc(doc);
    free(svg);
    chart_free(c);
}

/* ---- 3. a year of 5-minute values keeps its peak --------------------------
 */

static void test_decimation_spike(void **state)
{
    (void)state;
    const size_t n = 365 * 288;
    const size_t spike = 200000 / 2 + 1234; /* some day in July */
    struct chart_opts o = {.title = "a year of 5-minute values",
                           .unit = CHART_UNIT_PERCENT,
                           .flags = CHART_UTC};
    struct chart *c = chart_new(&o);
    double *v = malloc(n * sizeof(*v));
    struct pt *pts = malloc(4096 * sizeof(*pts));
    char *svg;
    size_t len;
    xmlDocPtr doc;
    xmlNodePtr line;
    xmlNodePtr ticks[32];
    size_t np;
    size_t runs;
    size_t top = 0;
    double box[4];
    char *d;

    assert_non_null(v);
    assert_non_null(pts);
    for (size_t i = 0; i < n; i++) /* a daily cycle between 20% and 40% */
        v[i] = 30 + 10 * sin((double)(i % 288) / 288 * 2 * M_PI);
    v[spike] = 97.5;
    assert_int_equal(chart_add_line(c, "cpu", T_2026, 300, v, n, 0), SDC_OK);
    svg = render(c, &len);
    assert_true(len < 100000); /* reduced: a few hundred points per line */
    doc = parse(svg);
    plot_box(doc, box);
    assert_int_equal(
        find_all(xmlDocGetRootElement(doc), "path", "line", &line, 1, 0), 1);
    d = prop(line, "d");
    np = path_points(d, pts, 4096, &runs);
    assert_int_equal(runs, 1);
    assert_true(np <= 2 * (size_t)ceil(box[2]) + 4);
    assert_true(np >= (size_t)box[2]); /* at least one per column */
    for (size_t i = 1; i < np && i < 4096; i++) {
        assert_true(pts[i].x >= pts[i - 1].x); /* in time order */
        if (pts[i].y < pts[top].y)
            top = i;
    }
    /* the value axis reaches the spike: top tick 100% */
    {
        size_t k =
            find_all(xmlDocGetRootElement(doc), "text", "y-tick", ticks, 32, 0);
        char *first = text_of(ticks[0]);
        char *last = text_of(ticks[k - 1]);
        assert_string_equal(first, "0");
        assert_string_equal(last, "100%");
        free(first);
        free(last);
    }
    /* the highest point is the spike, where it happened */
    {
        double want_x =
            (double)(spike * 300) / (double)((n - 1) * 300) * box[2];
        double want_y = box[3] - 97.5 / 100 * box[3];
        assert_true(fabs(pts[top].x - want_x) <= 1.0);
        assert_true(fabs(pts[top].y - want_y) <= 0.2);
    }
    /* the daily minimum and maximum survive too */
    {
        double lowest = 0;
        for (size_t i = 0; i < np && i < 4096; i++)
            lowest = fmax(lowest, pts[i].y);
        assert_true(fabs(lowest - (box[3] - 0.20 * box[3])) <= 0.3);
    }
    {
        char *desc = NULL;
        xmlNodePtr dn;
        assert_int_equal(
            find_all(xmlDocGetRootElement(doc), "desc", NULL, &dn, 1, 0), 1);
        desc = text_of(dn);
        assert_non_null(strstr(desc, "highest 97.5%"));
        free(desc);
    }
    free(d);
    xmlFreeDoc(doc);
    free(svg);
    free(pts);
    free(v);
    chart_free(c);
}

/* A reduced series: a whole column of NaN is a gap, a lone NaN is not. */
static void test_decimation_gaps(void **state)
{
    (void)state;
    const size_t n = 30 * 1440; /* 30 days of minutes */
    struct chart_opts o = {.flags = CHART_UTC};
    struct chart *c = chart_new(&o);
    double *v = malloc(n * sizeof(*v));
    char *svg;
    xmlDocPtr doc;
    xmlNodePtr line;
    size_t runs;
    char *d;

    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = 50;
    for (size_t i = 10 * 1440; i < 12 * 1440; i++) /* two days unknown */
        v[i] = NAN;
    v[20 * 1440] = NAN; /* one minute unknown: below a pixel */
    assert_int_equal(chart_add_line(c, "x", T_MON, 60, v, n, 0), SDC_OK);
    svg = render(c, NULL);
    doc = parse(svg);
    assert_int_equal(
        find_all(xmlDocGetRootElement(doc), "path", "line", &line, 1, 0), 1);
    d = prop(line, "d");
    path_points(d, NULL, 0, &runs);
    assert_int_equal(runs, 2);
    free(d);
    xmlFreeDoc(doc);
    free(svg);
    free(v);
    chart_free(c);
}

/* ---- 4. axes ------------------------------------------------------------- */

static void ticks_for(time_t t0, time_t t1, char *buf, size_t len)
{
    struct chart_tick t[CHART_TIME_MAX_TICKS];
    size_t n = chart_time_ticks(t0, t1, 726, true, t, CHART_TIME_MAX_TICKS);
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(buf);
        assert_true(i == 0 || t[i].t > t[i - 1].t);
        assert_true(t[i].t >= t0 && t[i].t <= t1);
        snprintf(buf + l, len - l, "%s%s", i ? "|" : "", t[i].label);
    }
}

static void test_time_ticks(void **state)
{
    (void)state;
    char buf[1024];

    /* 1 day: every 3 hours, midnight named */
    ticks_for(T_MON, T_MON + DAY, buf, sizeof(buf));
    assert_string_equal(buf, "Mon 9|03:00|06:00|09:00|12:00|15:00|18:00|"
                             "21:00|Tue 10");
    /* a day not starting on the hour */
    ticks_for(T_MON + 1000, T_MON + 1000 + DAY, buf, sizeof(buf));
    assert_true(strncmp(buf, "03:00|", 6) == 0);
    /* 7 days: days */
    ticks_for(T_MON, T_MON + 7 * DAY, buf, sizeof(buf));
    assert_string_equal(buf, "Mon 9|Tue 10|Wed 11|Thu 12|Fri 13|Sat 14|"
                             "Sun 15|Mon 16");
    /* 30 days: weeks, on Mondays */
    ticks_for(T_MON - 8 * DAY, T_MON + 22 * DAY, buf, sizeof(buf));
    assert_string_equal(buf, "2 Mar|9 Mar|16 Mar|23 Mar|30 Mar");
    /* 1 year: months, the year where it starts and at each January */
    ticks_for(T_2026, T_2026 + 365 * DAY, buf, sizeof(buf));
    assert_string_equal(buf, "Jan 2026|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|"
                             "Nov|Dec|Jan 2027");
    /* a year from mid-month */
    ticks_for(T_2026 + 45 * DAY, T_2026 + 410 * DAY, buf, sizeof(buf));
    assert_true(strncmp(buf, "Mar 2026|Apr|", 13) == 0);
    assert_non_null(strstr(buf, "|Jan 2027|"));
    /* 2 years: quarters */
    ticks_for(T_2026 - 184 * DAY, T_2026 + 546 * DAY, buf, sizeof(buf));
    assert_string_equal(buf, "Jul 2025|Oct|Jan 2026|Apr|Jul|Oct|Jan 2027|Apr|"
                             "Jul");
    /* 10 years: years */
    ticks_for(T_2026, T_2026 + 3653 * DAY, buf, sizeof(buf));
    assert_true(strncmp(buf, "2026|", 5) == 0);
    /* an hour: 5 or 10 minutes */
    ticks_for(T_MON + 3600, T_MON + 7200, buf, sizeof(buf));
    assert_true(strncmp(buf, "01:00|01:05|", 12) == 0 ||
                strncmp(buf, "01:00|01:10|", 12) == 0);
    /* nothing for an empty range */
    {
        struct chart_tick t[4];
        assert_int_equal(chart_time_ticks(T_MON, T_MON, 700, true, t, 4), 0);
    }
}

/* The time axis in local time follows the zone (here UTC+5:30, no DST). */
static void test_time_ticks_local(void **state)
{
    (void)state;
    char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    struct chart_tick t[CHART_TIME_MAX_TICKS];
    size_t n;

    setenv("TZ", "IST-5:30", 1);
    tzset();
    /* 2026-03-09 00:00 IST = 2026-03-08 18:30 UTC */
    n = chart_time_ticks(T_MON - 19800, T_MON - 19800 + DAY, 726, false, t,
                         CHART_TIME_MAX_TICKS);
    assert_true(n >= 2);
    assert_string_equal(t[0].label, "Mon 9");
    assert_int_equal(t[0].t, T_MON - 19800);
    assert_string_equal(t[1].label, "03:00");
    if (old) {
        setenv("TZ", old, 1);
        free(old);
    } else {
        unsetenv("TZ");
    }
    tzset();
}

static bool is_125(double step)
{
    double e = pow(10, floor(log10(step) + 1e-9));
    double m = step / e;
    return fabs(m - 1) < 1e-6 || fabs(m - 2) < 1e-6 || fabs(m - 5) < 1e-6;
}

static void test_value_axis(void **state)
{
    (void)state;
    struct chart_axis ax;
    char lab[64];

    /* percent: 0..100 in steps of 20 */
    chart_value_axis(3, 97.5, 0, 0, 0, CHART_UNIT_PERCENT, 220, &ax);
    assert_true(ax.lo == 0 && ax.hi == 100);
    assert_true(is_125(ax.step));
    chart_axis_label(&ax, CHART_UNIT_PERCENT, NULL, 60, lab, sizeof(lab));
    assert_string_equal(lab, "60%");

    /* bytes: 0..900 GiB in GiB */
    chart_value_axis(0, 900.0 * (1ull << 30), 0, 0, 0, CHART_UNIT_BYTES, 220,
                     &ax);
    assert_true(ax.scale == (double)(1ull << 30));
    assert_true(is_125(ax.step / ax.scale));
    chart_axis_label(&ax, CHART_UNIT_BYTES, NULL, ax.ticks[1], lab,
                     sizeof(lab));
    assert_non_null(strstr(lab, " GiB"));
    chart_axis_label(&ax, CHART_UNIT_BYTES, NULL, 0, lab, sizeof(lab));
    assert_string_equal(lab, "0");

    /* TiB with decimals */
    chart_value_axis(1.1 * (1ull << 40), 1.6 * (1ull << 40), CHART_Y_NO_ZERO, 0,
                     0, CHART_UNIT_BYTES, 220, &ax);
    assert_true(ax.scale == (double)(1ull << 40));
    assert_true(ax.lo <= 1.1 * (1ull << 40) && ax.hi >= 1.6 * (1ull << 40));
    assert_true(ax.decimals == 1);
    chart_axis_label(&ax, CHART_UNIT_BYTES, NULL, 1.5 * (1ull << 40), lab,
                     sizeof(lab));
    assert_string_equal(lab, "1.5 TiB");

    /* bit/s: SI */
    chart_value_axis(0, 7.3e9, 0, 0, 0, CHART_UNIT_BITS_PER_S, 220, &ax);
    chart_axis_label(&ax, CHART_UNIT_BITS_PER_S, NULL, 4e9, lab, sizeof(lab));
    assert_string_equal(lab, "4 Gbit/s");
    assert_true(ax.hi >= 7.3e9);

    /* CPUs */
    chart_value_axis(0, 180, 0, 0, 0, CHART_UNIT_CPUS, 220, &ax);
    chart_axis_label(&ax, CHART_UNIT_CPUS, NULL, ax.ticks[1], lab, sizeof(lab));
    assert_non_null(strstr(lab, " CPUs"));
    assert_true(ax.hi >= 180 && ax.hi <= 200);

    /* all equal: never a zero-height axis */
    chart_value_axis(5, 5, CHART_Y_NO_ZERO, 0, 0, CHART_UNIT_NONE, 220, &ax);
    assert_true(ax.lo < 5 && ax.hi > 5 && ax.n >= 2);
    chart_value_axis(0, 0, 0, 0, 0, CHART_UNIT_NONE, 220, &ax);
    assert_true(ax.lo == 0 && ax.hi > 0 && ax.n >= 2);
    chart_value_axis(-3, -3, 0, 0, 0, CHART_UNIT_NONE, 220, &ax);
    assert_true(ax.lo <= -3 && ax.hi >= 0 && ax.hi > ax.lo);
    chart_value_axis(1e-300, 1e-300, CHART_Y_NO_ZERO, 0, 0, CHART_UNIT_NONE,
                     220, &ax);
    assert_true(ax.hi > ax.lo && ax.n >= 1);
    chart_value_axis(1e300, 1e300, 0, 0, 0, CHART_UNIT_NONE, 220, &ax);
    assert_true(ax.hi > ax.lo && isfinite(ax.hi) && ax.n >= 2);
    /* fixed ends */
    chart_value_axis(30, 60, CHART_Y_MIN | CHART_Y_MAX, 0, 100,
                     CHART_UNIT_PERCENT, 220, &ax);
    assert_true(ax.lo == 0 && ax.hi == 100);
    chart_value_axis(30, 60, CHART_Y_MIN | CHART_Y_MAX, 50, 50,
                     CHART_UNIT_PERCENT, 220, &ax);
    assert_true(ax.hi > ax.lo);
    /* negative ranges and small steps */
    chart_value_axis(-0.37, 0.81, 0, 0, 0, CHART_UNIT_NONE, 220, &ax);
    assert_true(ax.lo <= -0.37 && ax.hi >= 0.81 && is_125(ax.step));
    for (size_t i = 0; i < ax.n; i++) {
        chart_axis_label(&ax, CHART_UNIT_NONE, NULL, ax.ticks[i], lab,
                         sizeof(lab));
        assert_null(strstr(lab, "-0.0")); /* "0", not "-0.0" */
    }

    /* single values in words */
    chart_format_value(CHART_UNIT_PERCENT, NULL, 45.2, lab, sizeof(lab));
    assert_string_equal(lab, "45.2%");
    chart_format_value(CHART_UNIT_BYTES, NULL, 1.21 * (1ull << 40), lab,
                       sizeof(lab));
    assert_string_equal(lab, "1.21 TiB");
    chart_format_value(CHART_UNIT_BITS_PER_S, NULL, 950e6, lab, sizeof(lab));
    assert_string_equal(lab, "950 Mbit/s");
    chart_format_value(CHART_UNIT_CPUS, NULL, 48, lab, sizeof(lab));
    assert_string_equal(lab, "48 CPUs");
    chart_format_value(CHART_UNIT_OTHER, "req/s", 1500, lab, sizeof(lab));
    assert_string_equal(lab, "1.5 kreq/s");
    chart_format_value(CHART_UNIT_NONE, NULL, 0.0042, lab, sizeof(lab));
    assert_string_equal(lab, "0.0042");
    chart_format_value(CHART_UNIT_NONE, NULL, NAN, lab, sizeof(lab));
    assert_string_equal(lab, "unknown");
}

/* The labels in a rendered chart, for a few ranges. */
static void test_axis_labels_in_svg(void **state)
{
    (void)state;
    static const struct {
        time_t span;
        time_t step;
        const char *first_labels;
    } cases[] = {
        {DAY, 300, "Mon 9|03:00|06:00"},
        {7 * DAY, 3600, "Mon 9|Tue 10|Wed 11"},
        {30 * DAY, 3600, "9 Mar|16 Mar|23 Mar"},
        {365 * DAY, DAY, "Apr 2026|May|Jun"},
        {730 * DAY, DAY, "Apr 2026|Jul|Oct|Jan 2027"},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct chart_opts o = {.unit = CHART_UNIT_BYTES, .flags = CHART_UTC};
        struct chart *c = chart_new(&o);
        size_t n = (size_t)(cases[k].span / cases[k].step) + 1;
        double *v = malloc(n * sizeof(*v));
        char buf[2048];
        char *svg;
        xmlDocPtr doc;
        assert_non_null(v);
        for (size_t i = 0; i < n; i++)
            v[i] = (200.0 + (double)(i % 17)) * (1ull << 30);
        assert_int_equal(
            chart_add_line(c, "used", T_MON, cases[k].step, v, n, 0), SDC_OK);
        svg = render(c, NULL);
        doc = parse(svg);
        texts(doc, "x-tick", buf, sizeof(buf));
        if (strncmp(buf, cases[k].first_labels,
                    strlen(cases[k].first_labels)) != 0)
            fail_msg("range %zu: x labels %s", k, buf);
        texts(doc, "y-tick", buf, sizeof(buf));
        assert_true(strncmp(buf, "0|50 GiB|100 GiB|", 17) == 0);
        xmlFreeDoc(doc);
        free(svg);
        free(v);
        chart_free(c);
    }
}

/* ---- 5. bands, reference lines, markers --------------------------------- */

static size_t count_points(const char *pts)
{
    size_t n = 0;
    for (const char *p = pts; *p; p++)
        if (*p == ',')
            n++;
    return n;
}

static void test_band(void **state)
{
    (void)state;
    struct chart_opts o = {.unit = CHART_UNIT_PERCENT, .flags = CHART_UTC};
    struct chart *c = chart_new(&o);
    enum { N = 30 };
    double mean[N];
    double lo[N];
    double hi[N];
    double lo95[N];
    double hi95[N];
    char *svg;
    xmlDocPtr doc;
    xmlNodePtr polys[8];
    size_t k;

    for (int i = 0; i < N; i++) {
        mean[i] = 50 + i;
        lo[i] = mean[i] - 2 - i * 0.2;
        hi[i] = mean[i] + 2 + i * 0.2;
        lo95[i] = mean[i] - 4 - i * 0.4;
        hi95[i] = i == 12 ? NAN : mean[i] + 4 + i * 0.4;
    }
    assert_int_equal(chart_add_line(c, "forecast", T_2026, DAY, mean, N,
                                    CHART_LINE_FORECAST),
                     SDC_OK);
    assert_int_equal(
        chart_add_band(c, "95% interval", T_2026, DAY, lo95, hi95, N), SDC_OK);
    assert_int_equal(chart_add_band(c, "80% interval", T_2026, DAY, lo, hi, N),
                     SDC_OK);
    assert_int_equal(chart_add_hline(c, "target 70%", 70, CHART_HLINE_TARGET),
                     SDC_OK);
    assert_int_equal(chart_add_hline(c, "capacity", 150, CHART_HLINE_LIMIT),
                     SDC_OK);
    assert_int_equal(chart_add_marker(c, "order by", T_2026 + 10 * DAY),
                     SDC_OK);
    assert_int_equal(chart_add_marker(c, "outside", T_2026 + 100 * DAY),
                     SDC_OK);
    svg = render(c, NULL);
    doc = parse(svg);
    k = find_all(xmlDocGetRootElement(doc), "polygon", "band", polys, 8, 0);
    assert_int_equal(k, 3); /* the 95% band has a gap at 12 */
    {
        char *p0 = prop(polys[0], "points");
        char *p1 = prop(polys[1], "points");
        char *p2 = prop(polys[2], "points");
        assert_int_equal(count_points(p0), 2 * 12);
        assert_int_equal(count_points(p1), 2 * (N - 13));
        assert_int_equal(count_points(p2), 2 * N);
        free(p0);
        free(p1);
        free(p2);
    }
    {
        char buf[512];
        xmlNodePtr m[4];
        texts(doc, "hline-label", buf, sizeof(buf));
        assert_string_equal(buf, "target 70%|capacity");
        texts(doc, "marker-label", buf, sizeof(buf));
        assert_string_equal(buf, "order by");
        assert_int_equal(
            find_all(xmlDocGetRootElement(doc), "path", "marker", m, 4, 0), 1);
        texts(doc, "legend-label", buf, sizeof(buf));
        assert_string_equal(buf, "forecast|95% interval|80% interval");
        /* the axis stretched to the capacity line */
        xmlNodePtr yt[32];
        size_t ny =
            find_all(xmlDocGetRootElement(doc), "text", "y-tick", yt, 32, 0);
        char *top = text_of(yt[ny - 1]);
        assert_true(strtod(top, NULL) >= 150);
        free(top);
    }
    /* forecast: dashed, bands outlined with dashes too */
    assert_non_null(strstr(svg, "class=\"line\""));
    assert_non_null(strstr(svg, "stroke-dasharray=\"6 4\""));
    xmlFreeDoc(doc);
    free(svg);
    chart_free(c);
}

/* ---- 6. empty and constant ---------------------------------------------- */

static void test_empty(void **state)
{
    (void)state;
    double nan3[3] = {NAN, NAN, NAN};
    for (int k = 0; k < 4; k++) {
        struct chart_opts o = {.title = "pool san1", .flags = CHART_UTC};
        struct chart *c = chart_new(&o);
        char *svg;
        xmlDocPtr doc;
        char buf[256];
        if (k == 1)
            assert_int_equal(chart_add_line(c, "x", T_MON, 60, NULL, 0, 0),
                             SDC_OK);
        if (k == 2) {
            assert_int_equal(chart_add_line(c, "x", T_MON, 60, nan3, 3, 0),
                             SDC_OK);
            assert_int_equal(chart_add_hline(c, "target", 70, 0), SDC_OK);
        }
        if (k == 3) { /* data, but not in the time range asked for */
            double v[3] = {1, 2, 3};
            o.t_start = T_MON + DAY;
            o.t_end = T_MON + 2 * DAY;
            chart_free(c);
            c = chart_new(&o);
            assert_int_equal(chart_add_line(c, "x", T_MON, 60, v, 3, 0),
                             SDC_OK);
        }
        svg = render(c, NULL);
        doc = parse(svg);
        texts(doc, "no-data", buf, sizeof(buf));
        assert_string_equal(buf, "no data");
        assert_non_null(strstr(svg, "<desc>No data.</desc>"));
        assert_null(strstr(svg, "nan"));
        assert_null(strstr(svg, "inf"));
        xmlFreeDoc(doc);
        free(svg);
        chart_free(c);
    }
}

static void test_constant(void **state)
{
    (void)state;
    for (int k = 0; k < 3; k++) {
        struct chart_opts o = {.flags =
                                   CHART_UTC | (k == 1 ? CHART_Y_NO_ZERO : 0)};
        struct chart *c = chart_new(&o);
        double v[10];
        char *svg;
        xmlDocPtr doc;
        xmlNodePtr ticks[32];
        size_t n;
        for (int i = 0; i < 10; i++)
            v[i] = k == 2 ? 0 : 42;
        /* one point only for the last case: one instant on the time axis */
        assert_int_equal(
            chart_add_line(c, "flat", T_MON, 60, v, k == 2 ? 1 : 10, 0),
            SDC_OK);
        svg = render(c, NULL);
        doc = parse(svg);
        n = find_all(xmlDocGetRootElement(doc), "text", "y-tick", ticks, 32, 0);
        assert_true(n >= 2);
        {
            double y0 = prop_num(ticks[0], "y");
            double y1 = prop_num(ticks[n - 1], "y");
            assert_true(y0 - y1 > 50); /* a real axis, not a line */
        }
        assert_null(strstr(svg, "nan"));
        assert_null(strstr(svg, "inf"));
        xmlFreeDoc(doc);
        free(svg);
        chart_free(c);
    }
}

/* ---- 7. determinism, locale, limits, errors ------------------------------ */

static struct chart *sample_chart(void);

static void test_deterministic(void **state)
{
    (void)state;
    struct chart *c = sample_chart();
    size_t l1;
    size_t l2;
    char *a = render(c, &l1);
    char *b = render(c, &l2);
    char *dir = NULL;
    char *out = NULL;

    assert_int_equal(l1, l2);
    assert_memory_equal(a, b, l1);
    free(b);

    /* a locale with a decimal comma changes nothing */
    dir = tu_tmpdir("chart-locale");
    assert_non_null(dir);
    if (tu_which("localedef") &&
        tu_runf(&out, "localedef -i de_DE -f UTF-8 '%s/de_DE.UTF-8' 2>&1",
                dir) <= 1) {
        char buf[16];
        setenv("LOCPATH", dir, 1);
        if (setlocale(LC_ALL, "de_DE.UTF-8")) {
            snprintf(buf, sizeof(buf), "%.1f", 1.5);
            assert_string_equal(buf, "1,5"); /* the locale is in force */
            b = render(c, &l2);
            setlocale(LC_ALL, "C");
            assert_int_equal(l1, l2);
            assert_memory_equal(a, b, l1);
            free(b);
        } else {
            fail_msg("de_DE.UTF-8 made by localedef is not usable");
        }
        unsetenv("LOCPATH");
    } else {
        /* scripts/deps installs locales (localedef) for this check */
        fail_msg("localedef failed: %s", out ? out : "not installed");
    }
    free(out);
    tu_rmrf(dir);
    free(dir);
    free(a);
    chart_free(c);
}

static void test_limits(void **state)
{
    (void)state;
    struct chart_opts o = {.flags = CHART_UTC, .max_bytes = 600};
    struct chart *c = chart_new(&o);
    double v[3] = {1, 2, 3};
    time_t back[3] = {T_MON, T_MON + 60, T_MON + 30};
    char *svg = (char *)1;
    size_t len = 7;
    struct sdc_error err;

    /* the cap */
    assert_int_equal(chart_add_line(c, "x", T_MON, 60, v, 3, 0), SDC_OK);
    assert_int_equal(chart_render(c, &svg, &len, &err), SDC_ERR_INVALID);
    assert_null(svg);
    assert_int_equal(len, 0);
    assert_non_null(strstr(err.msg, "larger than 600 bytes"));
    chart_free(c);

    /* errors are remembered and reported by the render */
    c = chart_new(NULL);
    assert_int_equal(chart_add_line_xy(c, "back", back, v, 3, 0),
                     SDC_ERR_INVALID);
    assert_int_equal(chart_add_line(c, "ok", T_MON, 60, v, 3, 0), SDC_OK);
    assert_int_equal(chart_render(c, &svg, NULL, &err), SDC_ERR_INVALID);
    assert_non_null(strstr(err.msg, "backwards"));
    chart_free(c);

    c = chart_new(NULL);
    for (int i = 0; i < CHART_MAX_LINES; i++)
        assert_int_equal(chart_add_line(c, "l", T_MON, 60, v, 3, 0), SDC_OK);
    assert_int_equal(chart_add_line(c, "l", T_MON, 60, v, 3, 0),
                     SDC_ERR_INVALID);
    assert_int_equal(chart_add_hline(c, "l", NAN, CHART_HLINE_NOTE),
                     SDC_ERR_INVALID);
    assert_int_equal(chart_render(c, &svg, NULL, &err), SDC_ERR_INVALID);
    assert_non_null(strstr(err.msg, "too many lines"));
    chart_free(c);

    c = chart_new(NULL);
    assert_int_equal(chart_add_line(c, "l", T_MON, 0, v, 3, 0),
                     SDC_ERR_INVALID);
    assert_int_equal(chart_add_band(c, "b", T_MON, 60, NULL, v, 3),
                     SDC_ERR_INVALID);
    chart_free(c);

    /* NULLs */
    assert_int_equal(chart_add_line(NULL, "l", T_MON, 60, v, 3, 0),
                     SDC_ERR_INVALID);
    assert_int_equal(chart_render(NULL, &svg, NULL, &err), SDC_ERR_INVALID);
    chart_free(NULL);

    /* a huge label is cut with an ellipsis; a long title too */
    {
        char big[4000];
        char buf[4096];
        xmlDocPtr doc;
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        o = (struct chart_opts){.title = big, .flags = CHART_UTC};
        c = chart_new(&o);
        assert_int_equal(chart_add_line(c, big, T_MON, 60, v, 3, 0), SDC_OK);
        svg = render(c, NULL);
        doc = parse(svg);
        texts(doc, "legend-label", buf, sizeof(buf));
        assert_int_equal(strlen(buf), CHART_MAX_LABEL + 3);
        assert_non_null(strstr(buf, "\xE2\x80\xA6"));
        texts(doc, "title", buf, sizeof(buf));
        assert_true(strlen(buf) < 100);
        xmlFreeDoc(doc);
        free(svg);
        chart_free(c);
    }
}

/* Irregular times and a fixed window: lines run on to the edges. */
static void test_xy_window(void **state)
{
    (void)state;
    time_t t[4] = {T_MON - DAY, T_MON + 3600, T_MON + 7200, T_MON + 2 * DAY};
    double v[4] = {10, 20, 30, 40};
    struct chart_opts o = {
        .flags = CHART_UTC, .t_start = T_MON, .t_end = T_MON + DAY};
    struct chart *c = chart_new(&o);
    struct pt pts[8];
    size_t runs;
    char *svg;
    char *d;
    xmlDocPtr doc;
    xmlNodePtr line;
    double box[4];

    assert_int_equal(chart_add_line_xy(c, "x", t, v, 4, 0), SDC_OK);
    svg = render(c, NULL);
    doc = parse(svg);
    plot_box(doc, box);
    assert_int_equal(
        find_all(xmlDocGetRootElement(doc), "path", "line", &line, 1, 0), 1);
    d = prop(line, "d");
    assert_int_equal(path_points(d, pts, 8, &runs), 4);
    assert_true(pts[0].x < 0 && pts[3].x > box[2]); /* the neighbours */
    /* the value axis fits what is inside the window (20, 30) */
    {
        char buf[256];
        texts(doc, "y-tick", buf, sizeof(buf));
        assert_true(strstr(buf, "30") != NULL);
        assert_null(strstr(buf, "40|"));
    }
    free(d);
    xmlFreeDoc(doc);
    free(svg);
    chart_free(c);
}

/* ---- 8. the sample ------------------------------------------------------- */

/*
 * A cluster's CPU: 300 days of daily peaks with growth and a weekly cycle,
 * then a 180-day forecast with 80% and 95% bands, the target, the capacity,
 * "today" and "order by".
 */
static struct chart *sample_chart(void)
{
    enum { H = 300, F = 180 };
    struct chart_opts o = {
        .title = "prod-a CPU: daily peak and forecast",
        .unit = CHART_UNIT_CPUS,
        .flags = CHART_UTC,
        .width = 800,
        .height = 320,
    };
    struct chart *c = chart_new(&o);
    static double hist[H];
    static double mean[F];
    static double lo80[F];
    static double hi80[F];
    static double lo95[F];
    static double hi95[F];
    time_t start = T_2026 - 200 * (time_t)DAY;
    time_t today = start + (H - 1) * (time_t)DAY;
    uint32_t seed = 12345;

    assert_non_null(c);
    for (int i = 0; i < H; i++) {
        double noise;
        seed = seed * 1103515245u + 12345u;
        noise = ((double)(seed >> 16 & 0x7fff) / 32767.0 - 0.5) * 8;
        hist[i] = 180 + 0.35 * i + (i % 7 >= 5 ? -18 : 0) + noise;
        if (i >= 140 && i < 146)
            hist[i] = NAN; /* the archive lost a few days */
    }
    for (int i = 0; i < F; i++) {
        double m = 180 + 0.35 * (H - 1 + i);
        double w = 6 + 0.12 * i;
        mean[i] = m;
        lo80[i] = m - 1.28 * w;
        hi80[i] = m + 1.28 * w;
        lo95[i] = m - 1.96 * w;
        hi95[i] = m + 1.96 * w;
    }
    chart_add_line(c, "daily peak", start, DAY, hist, H, 0);
    chart_add_line(c, "forecast", today, DAY, mean, F, CHART_LINE_FORECAST);
    chart_add_band(c, "95% interval", today, DAY, lo95, hi95, F);
    chart_add_band(c, "80% interval", today, DAY, lo80, hi80, F);
    chart_add_hline(c, "target 70% (269 CPUs)", 268.8, CHART_HLINE_TARGET);
    chart_add_hline(c, "capacity 384 CPUs", 384, CHART_HLINE_LIMIT);
    chart_add_marker(c, "today", today);
    chart_add_marker(c, "order by", today + 35 * (time_t)DAY);
    chart_add_marker(c, "in service", today + 155 * (time_t)DAY);
    return c;
}

static void test_sample(void **state)
{
    (void)state;
    struct chart *c = sample_chart();
    size_t len;
    char *svg = render(c, &len);
    char path[4096];
    FILE *fp;
    xmlDocPtr doc = parse(svg);

    xmlFreeDoc(doc);
    snprintf(path, sizeof(path), "%s/chart-example.svg", SDC_BINARY_DIR);
    fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fwrite(svg, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
    print_message("sample chart: %s (%zu bytes)\n", path, len);
    free(svg);
    chart_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xml_escape),
        cmocka_unit_test(test_nan_gap),
        cmocka_unit_test(test_decimation_spike),
        cmocka_unit_test(test_decimation_gaps),
        cmocka_unit_test(test_time_ticks),
        cmocka_unit_test(test_time_ticks_local),
        cmocka_unit_test(test_value_axis),
        cmocka_unit_test(test_axis_labels_in_svg),
        cmocka_unit_test(test_band),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_constant),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_xy_window),
        cmocka_unit_test(test_sample),
    };
    int rc;
    LIBXML_TEST_VERSION
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
