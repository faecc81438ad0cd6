/*
 * chart_svg.c - time-series charts as self-contained SVG (see chart_svg.h).
 *
 * Rendering is a layout (title, legend rows, value axis, left margin, time
 * axis) and then the drawing.  The plot area is a nested <svg> viewport,
 * which clips what it holds without needing an id (a clipPath would need
 * one, and ids must be unique across the charts of one HTML page).
 *
 * Numbers are written with printf under a "C" locale made current for this
 * thread for the duration of chart_render(); coordinates are rounded to a
 * tenth of a unit and printed with %g, which is deterministic.
 */
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chart_svg.h"
#include "chart_axis.h"
#include "escape.h"
#include "json_util.h"

#define CHART_W_DEFAULT 800
#define CHART_H_DEFAULT 300
#define CHART_W_MIN 240
#define CHART_W_MAX 4000
#define CHART_H_MIN 160
#define CHART_H_MAX 3000
#define CHART_MAX_TITLE 120
#define CHART_MAX_DESC 4000

/* Font sizes (FONT_AXIS and CHAR_EM are in chart_axis.h). */
#define FONT_TITLE 15.0
#define FONT_LEGEND 12.0
#define FONT_NOTE 11.0

#define MARGIN 10.0
#define LEGEND_ROW 18.0
#define BOTTOM 26.0
#define RIGHT 16.0

#define TEXT_COLOR "#222"
#define AXIS_TEXT "#444"
#define GRID_COLOR "#e3e3e3"
#define AXIS_COLOR "#888"
#define MARKER_COLOR "#555"

/* ---- palette ---------------------------------------------------------- */

/* Okabe-Ito colours (told apart with the common colour-vision
 * deficiencies), each with its own dash pattern for black-and-white
 * printing; NULL is solid. */
static const struct {
    const char *color;
    const char *dash;
} palette[] = {
    {"#0072B2", NULL},      {"#009E73", "8 3"},         {"#CC79A7", "2 2"},
    {"#E69F00", "8 3 2 3"}, {"#56B4E9", "12 4"},        {"#D55E00", "4 2 1 2"},
    {"#000000", "1 3"},     {"#8C564B", "6 2 2 2 2 2"},
};
#define PALETTE_N (sizeof(palette) / sizeof(palette[0]))
#define FORECAST_DASH "6 4"

static const char *const band_dash[] = {"4 3", "1 2.5", "6 2 1 2", "2 4"};
#define BAND_DASH_N (sizeof(band_dash) / sizeof(band_dash[0]))
#define BAND_OPACITY "0.18"

static const struct {
    const char *color;
    const char *dash;
    const char *width;
} hline_style[] = {
    [CHART_HLINE_TARGET] = {"#C00000", "10 4 2 4", "1.75"},
    [CHART_HLINE_LIMIT] = {"#333333", NULL, "1.75"},
    [CHART_HLINE_NOTE] = {"#777777", "2 3", "1.25"},
};

/* ---- the chart -------------------------------------------------------- */

/* Points sorted by time: a line (@a values) or a band (@a lower, @b upper).
 * Non-finite values are stored as NaN. */
struct pts {
    size_t n;
    time_t *t;
    double *a;
    double *b;
};

struct line {
    char *label;
    struct pts p;
    size_t color;
    const char *dash;
};

struct band {
    char *label;
    struct pts p;
    size_t color;
    const char *dash;
};

struct hline {
    char *label;
    double y;
    enum chart_hline_kind kind;
};

struct marker {
    char *label;
    time_t t;
};

struct chart {
    struct chart_opts o; /* strings point at the copies below */
    char *title;
    char *desc;
    char *unit_name;
    struct line lines[CHART_MAX_LINES];
    size_t n_lines;
    struct band bands[CHART_MAX_BANDS];
    size_t n_bands;
    struct hline hlines[CHART_MAX_HLINES];
    size_t n_hlines;
    struct marker markers[CHART_MAX_MARKERS];
    size_t n_markers;
    size_t next_color;
    enum sdc_rc failed; /* first chart_add_* failure, reported by render */
    char fail_msg[200];
};

static enum sdc_rc fail(struct chart *c, enum sdc_rc rc, const char *msg)
{
    if (c && c->failed == SDC_OK) {
        c->failed = rc;
        snprintf(c->fail_msg, sizeof(c->fail_msg), "chart: %s", msg);
    }
    return rc;
}

/* ---- text ------------------------------------------------------------- */

/*
 * A copy of @s fit for XML text: invalid UTF-8 and the code points XML 1.0
 * forbids become U+FFFD, control characters a space; cut to @max code
 * points with an ellipsis.  NULL gives "".  Escaping happens at output.
 */
static char *text_dup(const char *s, size_t max)
{
    static const char repl[] = "\xEF\xBF\xBD";
    static const char ell[] = "\xE2\x80\xA6";
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)p);
    size_t cps = 0;
    size_t o = 0;
    char *out;

    /* each input byte becomes at most 3 output bytes, plus the ellipsis */
    if (n > (SIZE_MAX - 8) / 3)
        return NULL;
    out = malloc(n * 3 + sizeof(ell) + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n;) {
        uint32_t cp = 0;
        size_t len = ju_utf8_decode(p + i, &cp);
        if (cps == max) {
            memcpy(out + o, ell, sizeof(ell) - 1);
            o += sizeof(ell) - 1;
            break;
        }
        if (len == 0 || cp == 0xFFFE || cp == 0xFFFF) {
            memcpy(out + o, repl, sizeof(repl) - 1);
            o += sizeof(repl) - 1;
            i += len ? len : 1;
        } else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) {
            out[o++] = ' ';
            i += len;
        } else {
            memcpy(out + o, p + i, len);
            o += len;
            i += len;
        }
        cps++;
    }
    out[o] = '\0';
    return out;
}

/* Estimated width of @s at @font size. */
static double text_width(const char *s, double font)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    double em = 0;
    for (; *p; p++) {
        if ((*p & 0xC0) == 0x80)
            continue; /* continuation byte */
        /* CJK and other wide scripts: count 3- and 4-byte characters as
         * one em */
        em += *p >= 0xE1 ? 1.0 : CHAR_EM;
    }
    return em * font;
}

/* ---- building the chart ----------------------------------------------- */

struct chart *chart_new(const struct chart_opts *opts)
{
    struct chart *c = calloc(1, sizeof(*c));
    size_t title_max;

    if (!c)
        return NULL;
    if (opts)
        c->o = *opts;
    if (c->o.width == 0)
        c->o.width = CHART_W_DEFAULT;
    if (c->o.height == 0)
        c->o.height = CHART_H_DEFAULT;
    if (c->o.width < CHART_W_MIN)
        c->o.width = CHART_W_MIN;
    if (c->o.width > CHART_W_MAX)
        c->o.width = CHART_W_MAX;
    if (c->o.height < CHART_H_MIN)
        c->o.height = CHART_H_MIN;
    if (c->o.height > CHART_H_MAX)
        c->o.height = CHART_H_MAX;
    if (c->o.max_bytes == 0)
        c->o.max_bytes = CHART_MAX_BYTES_DEFAULT;
    if ((unsigned)c->o.unit > CHART_UNIT_OTHER)
        c->o.unit = CHART_UNIT_NONE;

    /* the title is cut to what fits on one line */
    title_max = (size_t)((c->o.width - 2 * MARGIN) / (FONT_TITLE * CHAR_EM));
    if (title_max > CHART_MAX_TITLE)
        title_max = CHART_MAX_TITLE;
    if (c->o.title) {
        c->title = text_dup(c->o.title, title_max);
        if (!c->title)
            goto fail;
    }
    if (c->o.desc) {
        c->desc = text_dup(c->o.desc, CHART_MAX_DESC);
        if (!c->desc)
            goto fail;
    }
    c->unit_name = text_dup(c->o.unit_name, CHART_MAX_LABEL);
    if (!c->unit_name)
        goto fail;
    c->o.title = c->title;
    c->o.desc = c->desc;
    c->o.unit_name = c->unit_name;
    return c;
fail:
    chart_free(c);
    return NULL;
}

static void pts_free(struct pts *p)
{
    free(p->t);
    free(p->a);
    free(p->b);
    memset(p, 0, sizeof(*p));
}

void chart_free(struct chart *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_lines; i++) {
        free(c->lines[i].label);
        pts_free(&c->lines[i].p);
    }
    for (size_t i = 0; i < c->n_bands; i++) {
        free(c->bands[i].label);
        pts_free(&c->bands[i].p);
    }
    for (size_t i = 0; i < c->n_hlines; i++)
        free(c->hlines[i].label);
    for (size_t i = 0; i < c->n_markers; i++)
        free(c->markers[i].label);
    free(c->title);
    free(c->desc);
    free(c->unit_name);
    free(c);
}

/*
 * Copy @n points into @p: times from @t, or @start + i * @step when @t is
 * NULL; values @a and (bands) @b.
 */
static enum sdc_rc pts_copy(struct chart *c, struct pts *p, const time_t *t,
                            time_t start, time_t step, const double *a,
                            const double *b, size_t n)
{
    memset(p, 0, sizeof(*p));
    if (n == 0)
        return SDC_OK;
    if (n > CHART_MAX_POINTS)
        return fail(c, SDC_ERR_INVALID, "too many points in one series");
    if (!a)
        return fail(c, SDC_ERR_INVALID, "series without values");
    if (!t && n > 1 && step <= 0)
        return fail(c, SDC_ERR_INVALID, "series step must be positive");
    /* start + (n - 1) * step must not overflow */
    if (!t && n > 1 &&
        (step > (INT64_MAX / 4) / (int64_t)n || start > INT64_MAX / 2 ||
         start < -(INT64_MAX / 2)))
        return fail(c, SDC_ERR_INVALID, "series times out of range");
    p->t = malloc(n * sizeof(*p->t));
    p->a = malloc(n * sizeof(*p->a));
    p->b = b ? malloc(n * sizeof(*p->b)) : NULL;
    if (!p->t || !p->a || (b && !p->b)) {
        pts_free(p);
        return fail(c, SDC_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        p->t[i] = t ? t[i] : start + (time_t)i * step;
        if (i > 0 && p->t[i] < p->t[i - 1]) {
            pts_free(p);
            return fail(c, SDC_ERR_INVALID, "series times go backwards");
        }
        p->a[i] = isfinite(a[i]) ? a[i] : NAN;
        if (b)
            p->b[i] = isfinite(b[i]) ? b[i] : NAN;
    }
    p->n = n;
    return SDC_OK;
}

static enum sdc_rc add_line(struct chart *c, const char *label, const time_t *t,
                            time_t start, time_t step, const double *v,
                            size_t n, unsigned flags)
{
    struct line *l;
    enum sdc_rc rc;

    if (!c)
        return SDC_ERR_INVALID;
    if (c->n_lines == CHART_MAX_LINES)
        return fail(c, SDC_ERR_INVALID, "too many lines");
    l = &c->lines[c->n_lines];
    memset(l, 0, sizeof(*l));
    l->label = text_dup(label, CHART_MAX_LABEL);
    if (!l->label)
        return fail(c, SDC_ERR_NOMEM, "out of memory");
    rc = pts_copy(c, &l->p, t, start, step, v, NULL, n);
    if (rc != SDC_OK) {
        free(l->label);
        l->label = NULL;
        return rc;
    }
    if ((flags & CHART_LINE_SAME_COLOR) && c->n_lines > 0) {
        l->color = c->lines[c->n_lines - 1].color;
    } else {
        l->color = c->next_color % PALETTE_N;
        c->next_color++;
    }
    l->dash =
        (flags & CHART_LINE_DASHED) ? FORECAST_DASH : palette[l->color].dash;
    c->n_lines++;
    return SDC_OK;
}

enum sdc_rc chart_add_line(struct chart *c, const char *label, time_t start,
                           time_t step, const double *v, size_t n,
                           unsigned flags)
{
    return add_line(c, label, NULL, start, step, v, n, flags);
}

enum sdc_rc chart_add_line_xy(struct chart *c, const char *label,
                              const time_t *t, const double *v, size_t n,
                              unsigned flags)
{
    if (c && n > 0 && !t)
        return fail(c, SDC_ERR_INVALID, "series without times");
    return add_line(c, label, t, 0, 1, v, n, flags);
}

enum sdc_rc chart_add_band(struct chart *c, const char *label, time_t start,
                           time_t step, const double *lower,
                           const double *upper, size_t n)
{
    struct band *b;
    enum sdc_rc rc;

    if (!c)
        return SDC_ERR_INVALID;
    if (c->n_bands == CHART_MAX_BANDS)
        return fail(c, SDC_ERR_INVALID, "too many bands");
    if (n > 0 && (!lower || !upper))
        return fail(c, SDC_ERR_INVALID, "band without bounds");
    b = &c->bands[c->n_bands];
    memset(b, 0, sizeof(*b));
    b->label = text_dup(label, CHART_MAX_LABEL);
    if (!b->label)
        return fail(c, SDC_ERR_NOMEM, "out of memory");
    rc = pts_copy(c, &b->p, NULL, start, step, lower, upper, n);
    if (rc != SDC_OK) {
        free(b->label);
        b->label = NULL;
        return rc;
    }
    b->color = c->n_lines > 0 ? c->lines[c->n_lines - 1].color : 0;
    b->dash = band_dash[c->n_bands % BAND_DASH_N];
    c->n_bands++;
    return SDC_OK;
}

enum sdc_rc chart_add_hline(struct chart *c, const char *label, double value,
                            enum chart_hline_kind kind)
{
    struct hline *h;

    if (!c)
        return SDC_ERR_INVALID;
    if (c->n_hlines == CHART_MAX_HLINES)
        return fail(c, SDC_ERR_INVALID, "too many horizontal lines");
    if (!isfinite(value))
        return fail(c, SDC_ERR_INVALID, "horizontal line at a non-number");
    if ((unsigned)kind > CHART_HLINE_NOTE)
        kind = CHART_HLINE_NOTE;
    h = &c->hlines[c->n_hlines];
    h->label = text_dup(label, CHART_MAX_LABEL);
    if (!h->label)
        return fail(c, SDC_ERR_NOMEM, "out of memory");
    h->y = value;
    h->kind = kind;
    c->n_hlines++;
    return SDC_OK;
}

enum sdc_rc chart_add_marker(struct chart *c, const char *label, time_t t)
{
    struct marker *m;

    if (!c)
        return SDC_ERR_INVALID;
    if (c->n_markers == CHART_MAX_MARKERS)
        return fail(c, SDC_ERR_INVALID, "too many markers");
    m = &c->markers[c->n_markers];
    m->label = text_dup(label, CHART_MAX_LABEL);
    if (!m->label)
        return fail(c, SDC_ERR_NOMEM, "out of memory");
    m->t = t;
    c->n_markers++;
    return SDC_OK;
}

/* ---- output ----------------------------------------------------------- */

/* The SVG being written; the first failure sticks. */
struct out {
    struct mst_buf b;
    enum sdc_rc rc;
};

static void outf(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void outf(struct out *o, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    int n;

    if (o->rc != SDC_OK)
        return;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        o->rc = SDC_ERR_INVALID; /* only our own short formats come here */
        return;
    }
    o->rc = mst_buf_append(&o->b, tmp, (size_t)n);
}

/* Text from the caller, escaped. */
static void out_text(struct out *o, const char *s)
{
    if (o->rc == SDC_OK && s)
        o->rc = mst_escape_html(&o->b, s, strlen(s));
}

/* Our own markup, as is. */
static void out_str(struct out *o, const char *s)
{
    if (o->rc == SDC_OK && s)
        o->rc = mst_buf_append(&o->b, s, strlen(s));
}

static void out_buf(struct out *o, const struct mst_buf *b)
{
    if (o->rc == SDC_OK && b->len > 0)
        o->rc = mst_buf_append(&o->b, b->data, b->len);
}

/* A coordinate rounded to a tenth, never "-0", never absurd. */
static double rnd(double v)
{
    if (!isfinite(v))
        v = 0;
    if (v > 1e6)
        v = 1e6;
    if (v < -1e6)
        v = -1e6;
    return round(v * 10) / 10 + 0.0;
}

/* ---- layout ----------------------------------------------------------- */

struct legend_item {
    const char *label;
    bool band;
    size_t idx; /* into lines or bands */
    double x;
    double y; /* top of its row */
};

struct layout {
    double W, H;
    double px, py, pw, ph; /* the plot area */
    time_t t0, t1;
    bool empty; /* no finite value in range: "no data" */
    double title_y;
    struct chart_axis ax;
    struct chart_tick xt[CHART_TIME_MAX_TICKS];
    size_t n_xt;
    struct legend_item legend[CHART_MAX_LINES + CHART_MAX_BANDS];
    size_t n_legend;
};

/* Index range [*lo, *hi] of @p to draw for [t0, t1]: the points inside and
 * one on each side, so lines run on to the edges.  False if none. */
static bool visible(const struct pts *p, time_t t0, time_t t1, size_t *lo,
                    size_t *hi)
{
    size_t a = 0;
    size_t b = p->n;
    size_t first;
    size_t last;

    if (p->n == 0)
        return false;
    while (a < b) { /* first index with t >= t0 */
        size_t m = a + (b - a) / 2;
        if (p->t[m] < t0)
            a = m + 1;
        else
            b = m;
    }
    first = a;
    b = p->n;
    while (a < b) { /* first index with t > t1 */
        size_t m = a + (b - a) / 2;
        if (p->t[m] <= t1)
            a = m + 1;
        else
            b = m;
    }
    last = a;
    if (first == last && (first == 0 || first == p->n))
        return false; /* all after, or all before */
    *lo = first > 0 ? first - 1 : 0;
    *hi = last < p->n ? last : p->n - 1;
    return true;
}

/* Widen [*lo, *hi] by the finite values of @p inside [t0, t1] (for a band,
 * the points where both bounds are known). */
static void value_range(const struct pts *p, time_t t0, time_t t1, double *lo,
                        double *hi, bool *any)
{
    size_t a;
    size_t b;

    if (!visible(p, t0, t1, &a, &b))
        return;
    for (size_t i = a; i <= b; i++) {
        double v1 = p->a[i];
        double v2 = p->b ? p->b[i] : v1;
        if (p->t[i] < t0 || p->t[i] > t1 || isnan(v1) || isnan(v2))
            continue;
        *lo = *any ? fmin(*lo, fmin(v1, v2)) : fmin(v1, v2);
        *hi = *any ? fmax(*hi, fmax(v1, v2)) : fmax(v1, v2);
        *any = true;
    }
}

/* The first and last times of the lines and bands. */
static bool time_range(const struct chart *c, time_t *t0, time_t *t1)
{
    bool any = false;
    for (size_t i = 0; i < c->n_lines + c->n_bands; i++) {
        const struct pts *p =
            i < c->n_lines ? &c->lines[i].p : &c->bands[i - c->n_lines].p;
        if (p->n == 0)
            continue;
        if (!any || p->t[0] < *t0)
            *t0 = p->t[0];
        if (!any || p->t[p->n - 1] > *t1)
            *t1 = p->t[p->n - 1];
        any = true;
    }
    return any;
}

/* Legend entries left to right, wrapping; returns the bottom. */
static double layout_legend(const struct chart *c, struct layout *L, double top)
{
    double x = MARGIN;
    double y = top;

    L->n_legend = 0;
    if (c->o.flags & CHART_NO_LEGEND)
        return top;
    for (size_t i = 0; i < c->n_lines + c->n_bands; i++) {
        bool band = i >= c->n_lines;
        size_t idx = band ? i - c->n_lines : i;
        const char *label = band ? c->bands[idx].label : c->lines[idx].label;
        double w;
        if (!label || !*label)
            continue;
        w = 22 + 6 + text_width(label, FONT_LEGEND) + 18;
        if (x > MARGIN && x + w > L->W - MARGIN) {
            x = MARGIN;
            y += LEGEND_ROW;
        }
        L->legend[L->n_legend++] = (struct legend_item){label, band, idx, x, y};
        x += w;
    }
    return L->n_legend > 0 ? y + LEGEND_ROW : top;
}

static void layout(const struct chart *c, struct layout *L)
{
    double top = MARGIN;
    double lo = 0;
    double hi = 0;
    double left = 0;
    bool any = false;

    memset(L, 0, sizeof(*L));
    L->W = c->o.width;
    L->H = c->o.height;
    if (c->title) {
        L->title_y = top + FONT_TITLE * 0.8;
        top += FONT_TITLE + 8;
    }

    /* the time axis: as asked, or the data's */
    if (c->o.t_start != 0 && c->o.t_end > c->o.t_start) {
        L->t0 = c->o.t_start;
        L->t1 = c->o.t_end;
    } else if (!time_range(c, &L->t0, &L->t1)) {
        L->empty = true;
    } else if (L->t1 <= L->t0) {
        L->t0 -= 1800; /* one instant: an hour around it */
        L->t1 += 1800;
    }

    /* the value axis: the data inside the time axis, and the lines across */
    if (!L->empty) {
        for (size_t i = 0; i < c->n_lines; i++)
            value_range(&c->lines[i].p, L->t0, L->t1, &lo, &hi, &any);
        for (size_t i = 0; i < c->n_bands; i++)
            value_range(&c->bands[i].p, L->t0, L->t1, &lo, &hi, &any);
        L->empty = !any;
    }
    if (L->empty) {
        L->px = MARGIN;
        L->py = top + 4;
        L->pw = L->W - 2 * MARGIN;
        L->ph = L->H - L->py - MARGIN;
        return;
    }
    for (size_t i = 0; i < c->n_hlines; i++) {
        lo = fmin(lo, c->hlines[i].y);
        hi = fmax(hi, c->hlines[i].y);
    }

    top = layout_legend(c, L, top);
    L->py = top + 6;
    L->ph = L->H - L->py - BOTTOM;
    if (L->ph < 40)
        L->ph = 40;
    chart_value_axis(lo, hi, c->o.flags, c->o.y_min, c->o.y_max, c->o.unit,
                     L->ph, &L->ax);
    for (size_t i = 0; i < L->ax.n; i++) {
        char lab[64];
        chart_axis_label(&L->ax, c->o.unit, c->unit_name, L->ax.ticks[i], lab,
                         sizeof(lab));
        left = fmax(left, text_width(lab, FONT_AXIS));
    }
    L->px = MARGIN + left + 8;
    L->pw = L->W - L->px - RIGHT;
    if (L->pw < 40)
        L->pw = 40;
    L->n_xt =
        chart_time_ticks(L->t0, L->t1, L->pw, (c->o.flags & CHART_UTC) != 0,
                         L->xt, CHART_TIME_MAX_TICKS);
}

/* Plot coordinates, inside the nested viewport. */
static double xpos(const struct layout *L, time_t t)
{
    return ((double)t - (double)L->t0) / ((double)L->t1 - (double)L->t0) *
           L->pw;
}

static double ypos(const struct layout *L, double v)
{
    double y = L->ph - (v - L->ax.lo) / (L->ax.hi - L->ax.lo) * L->ph;
    /* far outside a fixed axis: keep the direction, the viewport clips */
    if (y < -10 * L->ph)
        y = -10 * L->ph;
    if (y > 11 * L->ph)
        y = 11 * L->ph;
    return y;
}

/* The pixel column of time @t, kept near the plot. */
static long column(const struct layout *L, time_t t, size_t cols)
{
    double x = floor(xpos(L, t));
    if (x < -2)
        x = -2;
    if (x > (double)cols + 2)
        x = (double)cols + 2;
    return (long)x;
}

/* ---- lines ------------------------------------------------------------ */

/* Path data: "M" starts a run, further points continue it (implicit
 * lineto). */
struct pen {
    struct out *o;
    size_t run; /* points in the current run */
};

static void pen_point(struct pen *p, double x, double y)
{
    outf(p->o, p->run == 0 ? "M%g,%g" : " %g,%g", rnd(x), rnd(y));
    p->run++;
}

static void pen_break(struct pen *p)
{
    if (p->run == 1)
        out_str(p->o, "h0"); /* a lone point: a dot, with round caps */
    p->run = 0;
}

/* Column summary of a reduced line: its lowest and highest points, in time
 * order, at their own times; a column with NaN only breaks the line. */
static void line_column(const struct layout *L, const struct pts *p,
                        struct pen *pen, bool finite, bool nan, size_t imin,
                        size_t imax)
{
    if (finite) {
        size_t f = imin < imax ? imin : imax;
        size_t s = imin < imax ? imax : imin;
        pen_point(pen, xpos(L, p->t[f]), ypos(L, p->a[f]));
        if (s != f)
            pen_point(pen, xpos(L, p->t[s]), ypos(L, p->a[s]));
    } else if (nan) {
        pen_break(pen);
    }
}

static void line_path(const struct layout *L, const struct pts *p,
                      struct out *o)
{
    struct pen pen = {o, 0};
    size_t cols = (size_t)ceil(L->pw);
    size_t a;
    size_t b;
    long col = LONG_MIN;
    bool finite = false;
    bool nan = false;
    size_t imin = 0;
    size_t imax = 0;

    if (!visible(p, L->t0, L->t1, &a, &b))
        return;
    if (b - a + 1 <= 2 * cols) { /* every point */
        for (size_t i = a; i <= b; i++) {
            if (isnan(p->a[i]))
                pen_break(&pen);
            else
                pen_point(&pen, xpos(L, p->t[i]), ypos(L, p->a[i]));
        }
        pen_break(&pen);
        return;
    }
    for (size_t i = a; i <= b; i++) {
        long c = column(L, p->t[i], cols);
        if (c != col) {
            line_column(L, p, &pen, finite, nan, imin, imax);
            col = c;
            finite = false;
            nan = false;
        }
        if (isnan(p->a[i])) {
            nan = true;
            continue;
        }
        if (!finite || p->a[i] < p->a[imin])
            imin = i;
        if (!finite || p->a[i] > p->a[imax])
            imax = i;
        finite = true;
    }
    line_column(L, p, &pen, finite, nan, imin, imax);
    pen_break(&pen);
}

static void dash_attr(struct out *o, const char *dash)
{
    if (dash)
        outf(o, " stroke-dasharray=\"%s\"", dash);
}

static void draw_line(const struct layout *L, const struct line *l,
                      struct out *o)
{
    struct out d;

    /* the path data first: a line with nothing visible is left out */
    mst_buf_init(&d.b, o->b.max);
    d.rc = SDC_OK;
    line_path(L, &l->p, &d);
    if (d.rc != SDC_OK && o->rc == SDC_OK)
        o->rc = d.rc;
    if (d.rc == SDC_OK && d.b.len > 0) {
        outf(o,
             "<path class=\"line\" fill=\"none\" stroke=\"%s\" "
             "stroke-width=\"2\" stroke-linejoin=\"round\" "
             "stroke-linecap=\"round\"",
             palette[l->color].color);
        dash_attr(o, l->dash);
        out_str(o, " d=\"");
        out_buf(o, &d.b);
        out_str(o, "\"/>\n");
    }
    mst_buf_free(&d.b);
}

/* ---- bands ------------------------------------------------------------ */

static void band_open(struct out *o, const struct band *bd)
{
    outf(o,
         "<polygon class=\"band\" fill=\"%s\" fill-opacity=\"%s\" "
         "stroke=\"%s\" stroke-opacity=\"0.7\" stroke-width=\"0.8\"",
         palette[bd->color].color, BAND_OPACITY, palette[bd->color].color);
    dash_attr(o, bd->dash);
    out_str(o, " points=\"");
}

/* One polygon over the points [s, e], all known: the upper bounds forward,
 * the lower bounds back, 2 * (e - s + 1) points. */
static void band_poly(const struct layout *L, const struct band *bd, size_t s,
                      size_t e, struct out *o)
{
    const struct pts *p = &bd->p;
    band_open(o, bd);
    for (size_t i = s; i <= e; i++)
        outf(o, "%s%g,%g", i == s ? "" : " ", rnd(xpos(L, p->t[i])),
             rnd(ypos(L, fmax(p->a[i], p->b[i]))));
    for (size_t i = e + 1; i-- > s;)
        outf(o, " %g,%g", rnd(xpos(L, p->t[i])),
             rnd(ypos(L, fmin(p->a[i], p->b[i]))));
    out_str(o, "\"/>\n");
}

/* A reduced band's columns so far, drawn as one polygon. */
struct band_run {
    double *x;
    double *lo;
    double *hi;
    size_t n;
    size_t cap;
};

static void band_run_emit(const struct layout *L, const struct band *bd,
                          struct band_run *r, struct out *o)
{
    if (r->n == 0)
        return;
    band_open(o, bd);
    for (size_t j = 0; j < r->n; j++)
        outf(o, "%s%g,%g", j == 0 ? "" : " ", rnd(r->x[j]),
             rnd(ypos(L, r->hi[j])));
    for (size_t j = r->n; j-- > 0;)
        outf(o, " %g,%g", rnd(r->x[j]), rnd(ypos(L, r->lo[j])));
    out_str(o, "\"/>\n");
    r->n = 0;
}

/* Reduced band: per pixel column the lowest lower and the highest upper
 * bound, at the column's mean time; a column with no known pair is a gap. */
static void band_columns(const struct layout *L, const struct band *bd,
                         size_t a, size_t b, struct out *o)
{
    const struct pts *p = &bd->p;
    size_t cols = (size_t)ceil(L->pw);
    struct band_run r = {0};
    long col = LONG_MIN;
    bool finite = false;
    bool nan = false;
    double lo = 0;
    double hi = 0;
    double xsum = 0;
    size_t xn = 0;

    r.cap = cols + 8; /* columns -2 .. cols + 2 */
    r.x = malloc(r.cap * sizeof(*r.x));
    r.lo = malloc(r.cap * sizeof(*r.lo));
    r.hi = malloc(r.cap * sizeof(*r.hi));
    if (!r.x || !r.lo || !r.hi) {
        if (o->rc == SDC_OK)
            o->rc = SDC_ERR_NOMEM;
        goto out_free;
    }
    for (size_t i = a; i <= b + 1; i++) {
        long c = i <= b ? column(L, p->t[i], cols) : LONG_MIN;
        if (i > b || c != col) {
            if (finite && r.n < r.cap) {
                r.x[r.n] = xsum / (double)xn;
                r.lo[r.n] = lo;
                r.hi[r.n] = hi;
                r.n++;
            } else if (nan) {
                band_run_emit(L, bd, &r, o);
            }
            if (i > b)
                break;
            col = c;
            finite = false;
            nan = false;
            xsum = 0;
            xn = 0;
        }
        if (isnan(p->a[i]) || isnan(p->b[i])) {
            nan = true;
            continue;
        }
        lo = finite ? fmin(lo, fmin(p->a[i], p->b[i])) : fmin(p->a[i], p->b[i]);
        hi = finite ? fmax(hi, fmax(p->a[i], p->b[i])) : fmax(p->a[i], p->b[i]);
        xsum += xpos(L, p->t[i]);
        xn++;
        finite = true;
    }
    band_run_emit(L, bd, &r, o);
out_free:
    free(r.x);
    free(r.lo);
    free(r.hi);
}

static void draw_band(const struct layout *L, const struct band *bd,
                      struct out *o)
{
    const struct pts *p = &bd->p;
    size_t cols = (size_t)ceil(L->pw);
    size_t a;
    size_t b;

    if (!visible(p, L->t0, L->t1, &a, &b))
        return;
    if (b - a + 1 > 2 * cols) {
        band_columns(L, bd, a, b, o);
        return;
    }
    for (size_t i = a; i <= b;) {
        size_t e = i;
        if (isnan(p->a[i]) || isnan(p->b[i])) {
            i++;
            continue;
        }
        while (e < b && !isnan(p->a[e + 1]) && !isnan(p->b[e + 1]))
            e++;
        band_poly(L, bd, i, e, o);
        i = e + 1;
    }
}

/* ---- the description -------------------------------------------------- */

/* The last, lowest and highest known values of @v within [t0, t1]. */
static bool line_stats(const struct pts *p, time_t t0, time_t t1, double *last,
                       double *min, double *max)
{
    bool any = false;
    for (size_t i = 0; i < p->n; i++) {
        double v = p->a[i];
        if (p->t[i] < t0 || p->t[i] > t1 || isnan(v))
            continue;
        *min = any ? fmin(*min, v) : v;
        *max = any ? fmax(*max, v) : v;
        *last = v;
        any = true;
    }
    return any;
}

/* The bounds of @p at its last time within [t0, t1] where both are known. */
static bool band_last(const struct pts *p, time_t t0, time_t t1, time_t *t,
                      double *lo, double *hi)
{
    for (size_t i = p->n; i-- > 0;) {
        if (p->t[i] < t0 || p->t[i] > t1 || isnan(p->a[i]) || isnan(p->b[i]))
            continue;
        *t = p->t[i];
        *lo = fmin(p->a[i], p->b[i]);
        *hi = fmax(p->a[i], p->b[i]);
        return true;
    }
    return false;
}

/* The generated <desc>: the time range and each element in words, e.g.
 * "Time series from ... to ... UTC. used: last 45%, lowest 10%, highest 80%.
 * target 70% at 70%. order by: 2026-09-01 00:00." */
static void write_desc(const struct chart *c, const struct layout *L,
                       struct out *o)
{
    bool utc = (c->o.flags & CHART_UTC) != 0;
    const char *un = c->unit_name;
    enum chart_unit u = c->o.unit;
    char a[48];
    char b[48];
    char d[48];

    if (c->desc) {
        out_text(o, c->desc);
        return;
    }
    if (L->empty) {
        out_str(o, "No data.");
        return;
    }
    chart_format_time(L->t0, utc, a, sizeof(a));
    chart_format_time(L->t1, utc, b, sizeof(b));
    outf(o, "Time series from %s to %s%s.", a, b, utc ? " UTC" : "");
    for (size_t i = 0; i < c->n_lines; i++) {
        const struct line *l = &c->lines[i];
        double last = 0;
        double mn = 0;
        double mx = 0;
        out_str(o, " ");
        out_text(o, *l->label ? l->label : "series");
        if (!line_stats(&l->p, L->t0, L->t1, &last, &mn, &mx)) {
            out_str(o, ": no data.");
            continue;
        }
        chart_format_value(u, un, last, a, sizeof(a));
        chart_format_value(u, un, mn, b, sizeof(b));
        chart_format_value(u, un, mx, d, sizeof(d));
        out_str(o, ": last ");
        out_text(o, a);
        out_str(o, ", lowest ");
        out_text(o, b);
        out_str(o, ", highest ");
        out_text(o, d);
        out_str(o, ".");
    }
    for (size_t i = 0; i < c->n_bands; i++) {
        const struct band *bd = &c->bands[i];
        time_t t;
        double lo;
        double hi;
        if (!band_last(&bd->p, L->t0, L->t1, &t, &lo, &hi))
            continue;
        out_str(o, " ");
        out_text(o, *bd->label ? bd->label : "band");
        chart_format_time(t, utc, d, sizeof(d));
        chart_format_value(u, un, lo, a, sizeof(a));
        chart_format_value(u, un, hi, b, sizeof(b));
        out_str(o, " at ");
        out_text(o, d);
        out_str(o, ": ");
        out_text(o, a);
        out_str(o, " to ");
        out_text(o, b);
        out_str(o, ".");
    }
    for (size_t i = 0; i < c->n_hlines; i++) {
        chart_format_value(u, un, c->hlines[i].y, a, sizeof(a));
        out_str(o, " ");
        out_text(o, *c->hlines[i].label ? c->hlines[i].label : "line");
        out_str(o, " at ");
        out_text(o, a);
        out_str(o, ".");
    }
    for (size_t i = 0; i < c->n_markers; i++) {
        chart_format_time(c->markers[i].t, utc, a, sizeof(a));
        out_str(o, " ");
        out_text(o, *c->markers[i].label ? c->markers[i].label : "marker");
        out_str(o, ": ");
        out_text(o, a);
        out_str(o, ".");
    }
}

/* ---- axes, legend, labels --------------------------------------------- */

static void text_open(struct out *o, const char *cls, double x, double y,
                      const char *anchor, double font, const char *fill)
{
    outf(o, "<text class=\"%s\" x=\"%g\" y=\"%g\"", cls, rnd(x), rnd(y));
    if (anchor)
        outf(o, " text-anchor=\"%s\"", anchor);
    if (font > FONT_AXIS || font < FONT_AXIS)
        outf(o, " font-size=\"%g\"", font);
    if (fill)
        outf(o, " fill=\"%s\"", fill);
}

/* A white halo under the glyphs, so labels stay legible over lines. */
static void halo(struct out *o)
{
    out_str(o, " stroke=\"#fff\" stroke-width=\"3\" stroke-linejoin=\"round\" "
               "paint-order=\"stroke\"");
}

static void draw_legend(const struct chart *c, const struct layout *L,
                        struct out *o)
{
    if (L->n_legend == 0)
        return;
    out_str(o, "<g class=\"legend\">\n");
    for (size_t i = 0; i < L->n_legend; i++) {
        const struct legend_item *it = &L->legend[i];
        double mid = it->y + LEGEND_ROW / 2;
        if (it->band) {
            const struct band *bd = &c->bands[it->idx];
            outf(o,
                 "<rect x=\"%g\" y=\"%g\" width=\"22\" height=\"10\" "
                 "fill=\"%s\" fill-opacity=\"%s\" stroke=\"%s\" "
                 "stroke-width=\"0.8\"",
                 rnd(it->x), rnd(mid - 5), palette[bd->color].color,
                 BAND_OPACITY, palette[bd->color].color);
            dash_attr(o, bd->dash);
            out_str(o, "/>");
        } else {
            const struct line *l = &c->lines[it->idx];
            outf(o,
                 "<path d=\"M%g,%gh22\" fill=\"none\" stroke=\"%s\" "
                 "stroke-width=\"2\"",
                 rnd(it->x), rnd(mid), palette[l->color].color);
            dash_attr(o, l->dash);
            out_str(o, "/>");
        }
        text_open(o, "legend-label", it->x + 28, mid + FONT_LEGEND * 0.35, NULL,
                  FONT_LEGEND, TEXT_COLOR);
        out_str(o, ">");
        out_text(o, it->label);
        out_str(o, "</text>\n");
    }
    out_str(o, "</g>\n");
}

static void draw_axes(const struct chart *c, const struct layout *L,
                      struct out *o)
{
    char lab[64];

    outf(o,
         "<g class=\"grid\" fill=\"none\" stroke=\"%s\" stroke-width=\"1\">\n",
         GRID_COLOR);
    for (size_t i = 0; i < L->ax.n; i++)
        outf(o, "<path d=\"M%g,%gH%g\"/>\n", rnd(L->px),
             rnd(L->py + ypos(L, L->ax.ticks[i])), rnd(L->px + L->pw));
    for (size_t i = 0; i < L->n_xt; i++)
        outf(o, "<path d=\"M%g,%gV%g\"/>\n", rnd(L->px + xpos(L, L->xt[i].t)),
             rnd(L->py), rnd(L->py + L->ph));
    out_str(o, "</g>\n");

    outf(o, "<g class=\"y-axis\" text-anchor=\"end\" fill=\"%s\">\n",
         AXIS_TEXT);
    for (size_t i = 0; i < L->ax.n; i++) {
        chart_axis_label(&L->ax, c->o.unit, c->unit_name, L->ax.ticks[i], lab,
                         sizeof(lab));
        outf(o, "<text class=\"y-tick\" x=\"%g\" y=\"%g\">", rnd(L->px - 6),
             rnd(L->py + ypos(L, L->ax.ticks[i]) + FONT_AXIS * 0.35));
        out_text(o, lab);
        out_str(o, "</text>\n");
    }
    out_str(o, "</g>\n");

    /* time labels, kept inside the picture at both ends */
    outf(o, "<g class=\"x-axis\" text-anchor=\"middle\" fill=\"%s\">\n",
         AXIS_TEXT);
    for (size_t i = 0; i < L->n_xt; i++) {
        double x = L->px + xpos(L, L->xt[i].t);
        double w = text_width(L->xt[i].label, FONT_AXIS);
        const char *anchor = NULL;
        outf(o, "<path d=\"M%g,%gv4\" stroke=\"%s\"/>", rnd(x),
             rnd(L->py + L->ph), AXIS_COLOR);
        if (x - w / 2 < 2) {
            anchor = "start";
            x = fmax(x, 2);
        } else if (x + w / 2 > L->W - 2) {
            anchor = "end";
            x = fmin(x, L->W - 2);
        }
        text_open(o, "x-tick", x, L->py + L->ph + 16, anchor, FONT_AXIS, NULL);
        out_str(o, ">");
        out_text(o, L->xt[i].label);
        out_str(o, "</text>\n");
    }
    out_str(o, "</g>\n");

    outf(o,
         "<path class=\"axis\" d=\"M%g,%gV%gH%g\" fill=\"none\" "
         "stroke=\"%s\" stroke-width=\"1\"/>\n",
         rnd(L->px), rnd(L->py), rnd(L->py + L->ph), rnd(L->px + L->pw),
         AXIS_COLOR);
}

/* Boxes of the labels drawn over the plot, so later ones avoid them. */
struct placed {
    double x0[CHART_MAX_MARKERS + CHART_MAX_HLINES];
    double x1[CHART_MAX_MARKERS + CHART_MAX_HLINES];
    double y0[CHART_MAX_MARKERS + CHART_MAX_HLINES];
    double y1[CHART_MAX_MARKERS + CHART_MAX_HLINES];
    size_t n;
};

static void placed_add(struct placed *pl, double x0, double x1, double y0,
                       double y1)
{
    if (pl->n < CHART_MAX_MARKERS + CHART_MAX_HLINES) {
        pl->x0[pl->n] = x0;
        pl->x1[pl->n] = x1;
        pl->y0[pl->n] = y0;
        pl->y1[pl->n] = y1;
        pl->n++;
    }
}

/* The right end at or left of @x1 where a label @w wide, spanning
 * [@y0, @y1], overlaps no placed label. */
static double placed_left_of(const struct placed *pl, double x1, double w,
                             double y0, double y1)
{
    for (size_t round = 0; round <= pl->n; round++) {
        bool moved = false;
        for (size_t i = 0; i < pl->n; i++) {
            if (y1 <= pl->y0[i] || y0 >= pl->y1[i] || x1 - w >= pl->x1[i] + 4 ||
                x1 <= pl->x0[i] - 4)
                continue;
            x1 = pl->x0[i] - 6;
            moved = true;
        }
        if (!moved)
            break;
    }
    return x1;
}

/* The lines (inside the plot viewport) or their labels (outside it). */
static void draw_hlines(const struct chart *c, const struct layout *L,
                        struct out *o, bool labels, struct placed *pl)
{
    for (size_t i = 0; i < c->n_hlines; i++) {
        const struct hline *h = &c->hlines[i];
        double y = ypos(L, h->y);
        if (h->y < L->ax.lo || h->y > L->ax.hi)
            continue;
        if (!labels) {
            outf(o,
                 "<path class=\"hline\" d=\"M0,%gH%g\" fill=\"none\" "
                 "stroke=\"%s\" stroke-width=\"%s\"",
                 rnd(y), rnd(L->pw), hline_style[h->kind].color,
                 hline_style[h->kind].width);
            dash_attr(o, hline_style[h->kind].dash);
            out_str(o, "/>\n");
            continue;
        }
        if (!*h->label)
            continue;
        /* above the line at the right end (below it when at the top),
         * moved left of labels already there */
        y = L->py + y + (y < FONT_NOTE + 4 ? FONT_NOTE + 3 : -4);
        {
            double w = text_width(h->label, FONT_NOTE) * 1.1; /* bold */
            double x1 =
                placed_left_of(pl, L->px + L->pw - 4, w, y - FONT_NOTE, y + 3);
            placed_add(pl, x1 - w, x1, y - FONT_NOTE, y + 3);
            text_open(o, "hline-label", x1, y, "end", FONT_NOTE,
                      hline_style[h->kind].color);
        }
        out_str(o, " font-weight=\"bold\"");
        halo(o);
        out_str(o, ">");
        out_text(o, h->label);
        out_str(o, "</text>\n");
    }
}

static void draw_markers(const struct chart *c, const struct layout *L,
                         struct out *o, bool labels, struct placed *pl)
{
    /* label rows at the top: where the last label of each row ends */
    double row_end[3] = {-1e9, -1e9, -1e9};

    for (size_t i = 0; i < c->n_markers; i++) {
        const struct marker *m = &c->markers[i];
        const char *anchor = NULL;
        double x;
        double w;
        double lx;
        double l0;
        double l1;
        size_t row;
        if (m->t < L->t0 || m->t > L->t1)
            continue;
        x = xpos(L, m->t);
        if (!labels) {
            outf(o,
                 "<path class=\"marker\" d=\"M%g,0V%g\" fill=\"none\" "
                 "stroke=\"%s\" stroke-width=\"1.25\" "
                 "stroke-dasharray=\"3 3\"/>\n",
                 rnd(x), rnd(L->ph), MARKER_COLOR);
            continue;
        }
        if (!*m->label)
            continue;
        w = text_width(m->label, FONT_NOTE);
        lx = L->px + x + 4;
        l0 = lx;
        l1 = lx + w;
        if (l1 > L->px + L->pw - 2) { /* no room on the right: left of it */
            lx = L->px + x - 4;
            anchor = "end";
            l0 = lx - w;
            l1 = lx;
        }
        for (row = 0; row < 2 && l0 < row_end[row] + 6; row++)
            ;
        row_end[row] = fmax(row_end[row], l1);
        {
            double y = L->py + FONT_NOTE + 2 + 14.0 * (double)row;
            placed_add(pl, l0, l1, y - FONT_NOTE, y + 3);
            text_open(o, "marker-label", lx, y, anchor, FONT_NOTE, "#333");
        }
        halo(o);
        out_str(o, ">");
        out_text(o, m->label);
        out_str(o, "</text>\n");
    }
}

static void draw(const struct chart *c, const struct layout *L, struct out *o)
{
    struct placed pl = {.n = 0};

    outf(o,
         "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %g %g\" "
         "role=\"img\" font-family=\"sans-serif\" font-size=\"%g\">\n",
         L->W, L->H, FONT_AXIS);
    out_str(o, "<title>");
    out_text(o, c->title && *c->title ? c->title : "Chart");
    out_str(o, "</title>\n<desc>");
    write_desc(c, L, o);
    out_str(o, "</desc>\n");
    outf(o, "<rect width=\"%g\" height=\"%g\" fill=\"#fff\"/>\n", L->W, L->H);
    if (c->title) {
        text_open(o, "title", MARGIN, L->title_y, NULL, FONT_TITLE, TEXT_COLOR);
        out_str(o, " font-weight=\"bold\">");
        out_text(o, c->title);
        out_str(o, "</text>\n");
    }
    if (L->empty) {
        outf(o,
             "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" "
             "fill=\"none\" stroke=\"%s\" stroke-dasharray=\"4 4\"/>\n",
             rnd(L->px), rnd(L->py), rnd(L->pw), rnd(L->ph), AXIS_COLOR);
        text_open(o, "no-data", L->px + L->pw / 2, L->py + L->ph / 2 + 6,
                  "middle", 16, "#666");
        out_str(o, ">no data</text>\n</svg>\n");
        return;
    }
    draw_legend(c, L, o);
    draw_axes(c, L, o);

    /* the plot: a nested viewport clips whatever leaves it */
    outf(o,
         "<svg class=\"plot\" x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" "
         "overflow=\"hidden\">\n",
         rnd(L->px), rnd(L->py), rnd(L->pw), rnd(L->ph));
    for (size_t i = 0; i < c->n_bands; i++)
        draw_band(L, &c->bands[i], o);
    draw_hlines(c, L, o, false, &pl);
    draw_markers(c, L, o, false, &pl);
    for (size_t i = 0; i < c->n_lines; i++)
        draw_line(L, &c->lines[i], o);
    out_str(o, "</svg>\n");

    /* labels over the plot: the markers' first, then the lines' */
    draw_markers(c, L, o, true, &pl);
    draw_hlines(c, L, o, true, &pl);
    out_str(o, "</svg>\n");
}

enum sdc_rc chart_render(const struct chart *c, char **svg, size_t *len,
                         struct sdc_error *err)
{
    struct layout *L;
    struct out o;
    locale_t cloc;
    locale_t old;

    if (svg)
        *svg = NULL;
    if (len)
        *len = 0;
    if (!c || !svg)
        return sdc_error_set(err, SDC_ERR_INVALID, "chart: nothing to render");
    if (c->failed != SDC_OK)
        return sdc_error_set(err, c->failed, "%s", c->fail_msg);

    L = malloc(sizeof(*L));
    cloc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (!L || cloc == (locale_t)0) {
        free(L);
        if (cloc != (locale_t)0)
            freelocale(cloc);
        return sdc_error_set(err, SDC_ERR_NOMEM, "chart: out of memory");
    }
    old = uselocale(cloc);
    mst_buf_init(&o.b, c->o.max_bytes);
    o.rc = SDC_OK;
    layout(c, L);
    draw(c, L, &o);
    uselocale(old);
    freelocale(cloc);
    free(L);

    if (o.rc != SDC_OK) {
        mst_buf_free(&o.b);
        if (o.rc == SDC_ERR_NOMEM)
            return sdc_error_set(err, o.rc, "chart: out of memory");
        return sdc_error_set(err, o.rc,
                             "chart: the SVG would be larger than %zu bytes",
                             c->o.max_bytes);
    }
    *svg = mst_buf_release(&o.b, len);
    if (!*svg)
        return sdc_error_set(err, SDC_ERR_NOMEM, "chart: out of memory");
    return SDC_OK;
}
