/*
 * augment_doc.c - the augmentation projection's document (report.json) and
 * its charts (augment.h, augment_priv.h).  Every number is finite or null:
 * a resource without a forecast says why and carries nulls.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "augment_priv.h"
#include "chart_svg.h"
#include "figure.h"
#include "json_util.h"

#define DAY 86400
#define TEXT_LEN 512

/* ------------------------------------------------------------ builders */

static void oom(struct a_ctx *c)
{
    c->oom = true;
}

static json_t *obj(struct a_ctx *c)
{
    json_t *o = json_object();
    if (!o)
        oom(c);
    return o;
}

static json_t *arr(struct a_ctx *c)
{
    json_t *a = json_array();
    if (!a)
        oom(c);
    return a;
}

static void set(struct a_ctx *c, json_t *o, const char *k, json_t *v)
{
    if (!ju_set_new(o, k, v))
        oom(c);
}

static void set_s(struct a_ctx *c, json_t *o, const char *k, const char *s)
{
    set(c, o, k, ju_string(s));
}

static void set_f(struct a_ctx *c, json_t *o, const char *k, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));

static void set_f(struct a_ctx *c, json_t *o, const char *k, const char *fmt,
                  ...)
{
    char buf[TEXT_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    set_s(c, o, k, buf);
}

static void push(struct a_ctx *c, json_t *a, json_t *v)
{
    if (!ju_append_new(a, v))
        oom(c);
}

/* A number, or null when it is not finite. */
static json_t *num(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

static void set_n(struct a_ctx *c, json_t *o, const char *k, double x)
{
    set(c, o, k, num(x));
}

static void set_day(struct a_ctx *c, json_t *o, const char *k, int64_t day,
                    bool valid)
{
    char b[32];
    if (!valid) {
        set(c, o, k, json_null());
        return;
    }
    a_day_iso(day, b, sizeof(b));
    set_s(c, o, k, b);
}

/* A figure in the resource's unit. */
static json_t *fig_of(enum a_kind k, double v)
{
    switch (k) {
    case A_CPU:
        return fig_cpus(v);
    case A_UPLINK:
        return fig_rate_bits(v);
    default:
        return fig_bytes(v);
    }
}

static void text_of(enum a_kind k, double v, char *buf)
{
    switch (k) {
    case A_CPU:
        fig_text_cpus(v, buf);
        break;
    case A_UPLINK:
        fig_text_rate_bits(v, buf);
        break;
    default:
        fig_text_bytes(v, buf);
        break;
    }
}

static const char *unit_of(enum a_kind k)
{
    return k == A_CPU ? "CPUs" : k == A_UPLINK ? "bit/s" : "bytes";
}

/* "84% (1.21 TiB)" or "1.21 TiB" when the capacity is unknown. */
static void value_text(const struct a_res *r, double v, char *buf, size_t len)
{
    char a[FIG_TEXT_LEN], p[FIG_TEXT_LEN];
    text_of(r->kind, v, a);
    if (isfinite(v) && isfinite(r->capacity) && r->capacity > 0) {
        fig_text_pct(100 * v / r->capacity, p);
        snprintf(buf, len, "%s (%s)", p, a);
    } else {
        snprintf(buf, len, "%s", a);
    }
}

static const char *status_key(enum pu_runway_status s)
{
    switch (s) {
    case PU_RUNWAY_CROSSES:
        return "crosses";
    case PU_RUNWAY_ALREADY_OVER:
        return "already_over";
    case PU_RUNWAY_NOT_WITHIN:
        return "not_within_5_years";
    case PU_RUNWAY_NO_LIMIT:
        break;
    }
    return "no_capacity";
}

static void runway_text(const struct pu_runway *w, char *buf, size_t len)
{
    char d[64];
    switch (w->status) {
    case PU_RUNWAY_CROSSES:
        a_day_text(w->day, d, sizeof(d));
        snprintf(buf, len, "%s", d);
        break;
    case PU_RUNWAY_ALREADY_OVER:
        snprintf(buf, len, "already over");
        break;
    case PU_RUNWAY_NOT_WITHIN:
        snprintf(buf, len, "not within 5 years");
        break;
    case PU_RUNWAY_NO_LIMIT:
        snprintf(buf, len, "capacity unknown");
        break;
    }
}

static json_t *runway_json(struct a_ctx *c, const struct pu_runway *w)
{
    json_t *o = obj(c);
    char t[128];
    bool dated =
        w->status == PU_RUNWAY_CROSSES || w->status == PU_RUNWAY_ALREADY_OVER;
    set_s(c, o, "status", status_key(w->status));
    set_day(c, o, "date", w->day, dated);
    if (dated)
        set(c, o, "days", json_integer(w->days));
    else
        set(c, o, "days", json_null());
    runway_text(w, t, sizeof(t));
    set_s(c, o, "text", t);
    return o;
}

/* A runway, or {"status": "no_forecast"} when there is none. */
static json_t *runway_or_none(struct a_ctx *c, const struct a_res *r,
                              const struct pu_runway *w)
{
    json_t *o;
    if (r->fc_ok)
        return runway_json(c, w);
    o = obj(c);
    set_s(c, o, "status", "no_forecast");
    set(c, o, "date", json_null());
    set(c, o, "days", json_null());
    set_s(c, o, "text", "no forecast");
    return o;
}

/* "2 hosts of '2-socket 96-core'", "1 unit of 100 TiB". */
static void units_text(const struct a_ctx *c, const struct a_res *r,
                       const struct a_cluster *cl, int n, char *buf, size_t len)
{
    if (r->kind == A_CPU || r->kind == A_MEMORY)
        snprintf(buf, len, "%d host%s of '%s'", n, n == 1 ? "" : "s",
                 cl && cl->model.name ? cl->model.name : "?");
    else {
        char u[FIG_TEXT_LEN];
        fig_text_bytes(c->cfg->capacity.storage_unit_tb * 1099511627776.0, u);
        snprintf(buf, len, "%d unit%s of %s", n, n == 1 ? "" : "s", u);
    }
}

static json_t *plan_json(struct a_ctx *c, const struct pu_plan *p)
{
    json_t *o = obj(c), *days = arr(c);
    char t[64];
    set(c, o, "units", json_integer(p->units));
    set_s(c, o, "bind", pu_bind_name(p->bind));
    set(c, o, "hosts_for_cpu", json_integer(p->n_cpu));
    set(c, o, "hosts_for_memory", json_integer(p->n_memory));
    set(c, o, "hosts_for_vcpu_ceiling", json_integer(p->n_vcpu));
    set_day(c, o, "in_service_by", p->in_service, p->units > 0);
    if (p->units > 0) {
        a_month_text(p->in_service, t, sizeof(t));
        set_s(c, o, "in_service_month", t);
    } else {
        set(c, o, "in_service_month", json_null());
    }
    set_day(c, o, "order_by", p->order_day, p->units > 0);
    set(c, o, "late_days", json_integer(p->units > 0 ? p->late_days : 0));
    for (int k = 0; k < p->units && k < PU_UNITS_LISTED; k++) {
        char d[32];
        a_day_iso(p->unit_day[k], d, sizeof(d));
        push(c, days, json_string(d));
    }
    set(c, o, "unit_in_service_by", days);
    return o;
}

/* "order by 14 November 2026" / "order now (late by 30 days)". */
static void order_text(const struct pu_plan *p, char *buf, size_t len)
{
    char d[64];
    if (p->units == 0) {
        snprintf(buf, len, "-");
        return;
    }
    if (p->late_days > 0) {
        snprintf(buf, len, "now (late by %lld day%s)", (long long)p->late_days,
                 p->late_days == 1 ? "" : "s");
        return;
    }
    a_day_text(p->order_day, d, sizeof(d));
    snprintf(buf, len, "%s", d);
}

static const struct a_cluster *cluster_of(const struct a_ctx *c,
                                          const struct a_res *r)
{
    for (size_t k = 0; k < c->n_cl; k++)
        if (strcmp(c->cl[k].name, r->cluster) == 0)
            return &c->cl[k];
    return NULL;
}

/* ------------------------------------------------------------- charts */

static json_t *chart_json(struct a_ctx *c, struct chart *ch)
{
    struct sdc_error e = {0};
    bool no_mem = false;
    json_t *j = fig_chart(ch, &no_mem, &e);
    if (no_mem)
        oom(c);
    else if (!j)
        a_note(c, "A chart could not be drawn: %s", e.msg);
    return j ? j : json_null();
}

static json_t *res_chart(struct a_ctx *c, const struct a_res *r, size_t n_fore)
{
    struct chart_opts o = {0};
    struct chart *ch;
    char title[300], lab[96], v[FIG_TEXT_LEN];
    int64_t h0 = r->start_day;
    size_t nh;
    double *b[4];
    bool planned = false;

    if (!r->fc_ok)
        return json_null();
    if (h0 < c->today - 730)
        h0 = c->today - 730;
    nh = (size_t)(r->start_day + (int64_t)r->n - h0);
    snprintf(title, sizeof(title), "%s: %s, forecast and %s", r->name,
             r->fit_peak ? "daily peak" : "daily mean",
             c->conservative ? "upper 80% bound" : "point forecast");
    o.title = title;
    o.unit = r->kind == A_CPU      ? CHART_UNIT_CPUS
             : r->kind == A_UPLINK ? CHART_UNIT_BITS_PER_S
                                   : CHART_UNIT_BYTES;
    o.flags = CHART_UTC;
    o.height = 300;
    ch = chart_new(&o);
    if (!ch)
        return chart_json(c, NULL);
    chart_add_line(ch, r->fit_peak ? "daily peak" : "daily mean",
                   (time_t)(h0 * DAY), DAY, r->fit + (h0 - r->start_day), nh,
                   0);
    for (int k = 0; k < 4; k++)
        b[k] = malloc(n_fore * sizeof(double));
    if (b[0] && b[1] && b[2] && b[3]) {
        for (size_t i = 0; i < n_fore; i++) {
            const struct fc_point *p = &r->fc.path[i];
            double pl = r->planned[i];
            b[0][i] = p->lo95 + pl > 0 ? p->lo95 + pl : 0;
            b[1][i] = p->hi95 + pl > 0 ? p->hi95 + pl : 0;
            b[2][i] = r->lo80[i];
            b[3][i] = r->hi80[i];
            planned |= pl != 0;
        }
        chart_add_line(ch, planned ? "forecast with planned" : "forecast",
                       (time_t)(c->today * DAY), DAY, r->mean_line, n_fore,
                       CHART_LINE_FORECAST);
        chart_add_band(ch, "95% interval", (time_t)(c->today * DAY), DAY, b[0],
                       b[1], n_fore);
        chart_add_band(ch, "80% interval", (time_t)(c->today * DAY), DAY, b[2],
                       b[3], n_fore);
        if (planned) {
            for (size_t i = 0; i < n_fore; i++)
                b[0][i] = r->fc.path[i].mean;
            chart_add_line(ch, "organic trend", (time_t)(c->today * DAY), DAY,
                           b[0], n_fore, CHART_LINE_DASHED);
        }
    } else {
        oom(c);
    }
    for (int k = 0; k < 4; k++)
        free(b[k]);
    if (isfinite(r->capacity) && r->capacity > 0) {
        text_of(r->kind, r->target * r->capacity, v);
        snprintf(lab, sizeof(lab), "target %.0f%% (%s)", r->target * 100, v);
        chart_add_hline(ch, lab, r->target * r->capacity, CHART_HLINE_TARGET);
        text_of(r->kind, r->capacity, v);
        snprintf(lab, sizeof(lab), "capacity %s", v);
        chart_add_hline(ch, lab, r->capacity, CHART_HLINE_LIMIT);
    }
    chart_add_marker(ch, "today", (time_t)(c->today * DAY));
    for (size_t i = 0; i < r->n_ev && i < CHART_MAX_MARKERS - 2; i++) {
        snprintf(lab, sizeof(lab), "planned: %s", r->ev[i].name);
        chart_add_marker(ch, lab, (time_t)(r->ev[i].from * DAY));
        if (r->ev[i].until >= 0 && i < CHART_MAX_MARKERS - 3) {
            snprintf(lab, sizeof(lab), "until: %s", r->ev[i].name);
            chart_add_marker(ch, lab, (time_t)(r->ev[i].until * DAY));
        }
    }
    return chart_json(c, ch);
}

/* ------------------------------------------------------------ resources */

static json_t *score_json(struct a_ctx *c, const struct fc_score *s)
{
    json_t *o = obj(c);
    set(c, o, "scored", json_boolean(s->scored));
    set_n(c, o, "mase", s->scored ? s->mase : NAN);
    set_s(c, o, "why", s->why);
    return o;
}

/*
 * month_peak - for a daily-peak series, the month's highest forecast day
 * instead of its last day (a month ending on a Sunday would otherwise show
 * the weekend's low): each bound is its own maximum over the month's days
 * in the path, with the planned demand of that day (@pl: the planned
 * demand on the day of the highest point forecast).
 */
static void month_peak(const struct a_res *r, int64_t today, int y, int mo,
                       struct fc_point *at, double *pl)
{
    int64_t first = fc_day_from_ymd(y, mo, 1);
    int64_t next =
        fc_day_from_ymd(mo == 12 ? y + 1 : y, mo == 12 ? 1 : mo + 1, 1);
    bool any = false;
    struct fc_point best = *at;
    double best_pl = *pl;
    for (int64_t day = first; day < next; day++) {
        int64_t j = day - r->fc.path_day, k = day - today;
        double p = k >= 0 && (size_t)k < r->n_line ? r->planned[k] : 0;
        const struct fc_point *q;
        if (j < 0 || (size_t)j >= r->fc.horizon)
            continue;
        q = &r->fc.path[j];
        if (!any || q->mean + p > best.mean + best_pl) {
            best.mean = q->mean;
            best_pl = p;
        }
        /* the bounds carry their own day's planned demand, folded in here
         * and taken out again below so the caller adds @pl once */
        if (!any || q->lo80 + p > best.lo80)
            best.lo80 = q->lo80 + p;
        if (!any || q->hi80 + p > best.hi80)
            best.hi80 = q->hi80 + p;
        if (!any || q->lo95 + p > best.lo95)
            best.lo95 = q->lo95 + p;
        if (!any || q->hi95 + p > best.hi95)
            best.hi95 = q->hi95 + p;
        any = true;
    }
    if (!any)
        return;
    best.lo80 -= best_pl;
    best.hi80 -= best_pl;
    best.lo95 -= best_pl;
    best.hi95 -= best_pl;
    *at = best;
    *pl = best_pl;
}

/* The highest of @v over the @AUG_WEEK days ending on @i (daily peaks),
 * or @v[i] itself (other series). */
static double wmax(const struct a_res *r, const double *v, size_t i)
{
    double m = v[i];
    if (!r->fit_peak)
        return m;
    for (size_t k = i >= AUG_WEEK - 1 ? i - (AUG_WEEK - 1) : 0; k < i; k++)
        if (isfinite(v[k]) && v[k] > m)
            m = v[k];
    return m;
}

static json_t *path_json(struct a_ctx *c, const struct a_res *r,
                         size_t n_months)
{
    json_t *a = arr(c);
    struct fc_month *m = NULL;
    size_t n = 0;
    if (!r->fc_ok || fc_monthly(&r->fc, &m, &n, NULL) != SDC_OK)
        return a;
    for (size_t i = 0; i < n && i < n_months; i++) {
        json_t *o = obj(c);
        char b[16], d[32];
        int64_t idx = m[i].day - c->today;
        double pl = idx >= 0 && (size_t)idx < r->n_line ? r->planned[idx] : 0;
        if (r->fit_peak)
            month_peak(r, c->today, m[i].year, m[i].month, &m[i].at, &pl);
        snprintf(b, sizeof(b), "%04d-%02d", m[i].year, m[i].month);
        a_day_iso(m[i].day, d, sizeof(d));
        set_s(c, o, "month", b);
        set_s(c, o, "day", d);
        set_n(c, o, "mean", m[i].at.mean + pl > 0 ? m[i].at.mean + pl : 0);
        set_n(c, o, "lo80", m[i].at.lo80 + pl > 0 ? m[i].at.lo80 + pl : 0);
        set_n(c, o, "hi80", m[i].at.hi80 + pl > 0 ? m[i].at.hi80 + pl : 0);
        set_n(c, o, "lo95", m[i].at.lo95 + pl > 0 ? m[i].at.lo95 + pl : 0);
        set_n(c, o, "hi95", m[i].at.hi95 + pl > 0 ? m[i].at.hi95 + pl : 0);
        set_n(c, o, "organic_mean", m[i].at.mean);
        set_n(c, o, "planned", pl);
        set_n(c, o, "mean_pct_of_capacity",
              isfinite(r->capacity) && r->capacity > 0
                  ? 100 * (m[i].at.mean + pl) / r->capacity
                  : NAN);
        push(c, a, o);
    }
    free(m);
    return a;
}

/* The horizon's day. */
static int64_t horizon_day(const struct a_ctx *c, size_t h)
{
    int y, m, d;
    fc_day_to_ymd(c->today, &y, &m, &d);
    m += c->horizons[h];
    y += (m - 1) / 12;
    m = (m - 1) % 12 + 1;
    {
        int64_t first = fc_day_from_ymd(y, m, 1);
        int64_t next =
            fc_day_from_ymd(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1);
        return first + (d - 1 < next - first - 1 ? d - 1 : next - first - 1);
    }
}

/* Days from today through the horizon's day (at most the line). */
static size_t horizon_len_days(const struct a_ctx *c, int months)
{
    size_t h = 0;
    int64_t d;
    while (h < c->n_horizons && c->horizons[h] != months)
        h++;
    d = horizon_day(c, h < c->n_horizons ? h : c->n_horizons - 1);
    return (size_t)(d - c->today + 1) > AUG_RUNWAY_DAYS + 1
               ? AUG_RUNWAY_DAYS + 1
               : (size_t)(d - c->today + 1);
}

/* The sentence of a row (plain English). */
static void sentence(const struct a_ctx *c, const struct a_res *r,
                     const struct a_cluster *cl, char *buf, size_t len)
{
    char tgt[32], d1[64], d2[64], d3[64], u[160], o[96], m[64];
    char v[FIG_TEXT_LEN];
    size_t last = c->n_horizons - 1;
    const struct a_buy *b = &r->buy[last];
    const struct pu_plan *p = &b->plan[0];
    int pos;
    snprintf(tgt, sizeof(tgt), "%.0f%%", r->target * 100);
    if (!r->fc_ok) {
        snprintf(buf, len, "%s has no forecast: %s.", r->name, r->why);
        return;
    }
    switch (r->runway.status) {
    case PU_RUNWAY_NO_LIMIT:
        snprintf(buf, len,
                 "%s has no known capacity, so no runway can be given.",
                 r->name);
        return;
    case PU_RUNWAY_NOT_WITHIN:
        pos = snprintf(buf, len,
                       "%s stays under its %s target for at least 5 years",
                       r->name, tgt);
        break;
    case PU_RUNWAY_ALREADY_OVER:
        value_text(r, r->used_now, d1, sizeof(d1));
        pos = snprintf(buf, len, "%s is already over its %s target (%s today)",
                       r->name, tgt, d1);
        break;
    case PU_RUNWAY_CROSSES:
    default:
        a_day_text(r->runway.day, d1, sizeof(d1));
        pos = snprintf(buf, len, "%s reaches its %s target around %s", r->name,
                       tgt, d1);
        if (r->runway_early.status == PU_RUNWAY_CROSSES ||
            r->runway_early.status == PU_RUNWAY_ALREADY_OVER) {
            if (r->runway_early.status == PU_RUNWAY_ALREADY_OVER)
                snprintf(d2, sizeof(d2), "now");
            else
                a_day_text(r->runway_early.day, d2, sizeof(d2));
            if (r->runway_late.status == PU_RUNWAY_CROSSES)
                a_day_text(r->runway_late.day, d3, sizeof(d3));
            else
                snprintf(d3, sizeof(d3), "%s",
                         r->runway_late.status == PU_RUNWAY_ALREADY_OVER
                             ? "now"
                             : "beyond 5 years");
            if (strcmp(d2, d3) != 0)
                pos += snprintf(buf + pos, len - (size_t)pos,
                                " (80%% likely between %s and %s)", d2, d3);
        }
        break;
    }
    if (pos < 0 || (size_t)pos >= len)
        return;
    if (r->kind == A_UPLINK) {
        if (r->runway.status == PU_RUNWAY_CROSSES ||
            r->runway.status == PU_RUNWAY_ALREADY_OVER) {
            int64_t od, late;
            pu_order_by(r->runway.day, c->cfg->capacity.lead_time_days,
                        c->today, &od, &late);
            a_month_text(r->runway.day, m, sizeof(m));
            if (late > 0)
                snprintf(buf + pos, len - (size_t)pos,
                         "; a faster link (or another one) is needed by %s "
                         "and should have been ordered %lld days ago.",
                         m, (long long)late);
            else {
                a_day_text(od, d2, sizeof(d2));
                snprintf(buf + pos, len - (size_t)pos,
                         "; order a faster link (or another one) by %s to "
                         "have it in service by %s.",
                         d2, m);
            }
        } else {
            snprintf(buf + pos, len - (size_t)pos, ".");
        }
        return;
    }
    if (!b->ok) {
        snprintf(buf + pos, len - (size_t)pos, "; what to buy: %s.",
                 *b->why ? b->why : "not computed");
        return;
    }
    if (p->units == 0) {
        if (r->runway.status == PU_RUNWAY_CROSSES) {
            int64_t od, late;
            pu_order_by(r->runway.day, c->cfg->capacity.lead_time_days,
                        c->today, &od, &late);
            a_day_text(od, d2, sizeof(d2));
            snprintf(buf + pos, len - (size_t)pos,
                     ", after the %d-month horizon: nothing to buy yet (order "
                     "by %s at the latest).",
                     c->horizons[last], d2);
        } else {
            snprintf(buf + pos, len - (size_t)pos,
                     ": nothing to buy within %d months.", c->horizons[last]);
        }
        return;
    }
    /* why hosts are needed before the runway says so */
    if (r->has_ha && r->ha_reserve > 0 &&
        r->runway.status != PU_RUNWAY_ALREADY_OVER &&
        (r->runway_ha.status == PU_RUNWAY_ALREADY_OVER ||
         (r->runway_ha.status == PU_RUNWAY_CROSSES &&
          (r->runway.status != PU_RUNWAY_CROSSES ||
           r->runway_ha.day < r->runway.day)))) {
        text_of(r->kind, r->usable_now, v);
        if (r->runway_ha.status == PU_RUNWAY_ALREADY_OVER)
            snprintf(d2, sizeof(d2), "already");
        else
            a_day_text(r->runway_ha.day, d2, sizeof(d2));
        pos += snprintf(
            buf + pos, len - (size_t)pos,
            ", but keeping %d host%s spare for HA leaves %s "
            "usable, and demand is over %s of that %s%s",
            r->ha_reserve, r->ha_reserve == 1 ? "" : "s", v, tgt,
            r->runway_ha.status == PU_RUNWAY_ALREADY_OVER ? "" : "from ", d2);
    } else if (r->kind == A_CPU && p->bind == PU_BIND_VCPU) {
        pos += snprintf(buf + pos, len - (size_t)pos,
                        ", but the vCPUs allocated pass the ceiling of "
                        "%g per usable CPU",
                        cl ? cl->max_vcpu_per_cpu : 0.0);
    }
    if (pos < 0 || (size_t)pos >= len)
        return;
    units_text(c, r, cl, p->units, u, sizeof(u));
    a_month_text(p->in_service, m, sizeof(m));
    if (p->late_days > 0) {
        pos += snprintf(buf + pos, len - (size_t)pos,
                        "; order %s now (the order is %lld days late) to "
                        "have %s in service by %s",
                        u, (long long)p->late_days,
                        p->units == 1 ? "it" : "them", m);
    } else {
        order_text(p, o, sizeof(o));
        pos += snprintf(buf + pos, len - (size_t)pos,
                        "; order %s by %s to have %s in service by %s", u, o,
                        p->units == 1 ? "it" : "them", m);
    }
    if (pos > 0 && (size_t)pos < len && c->have_monthly &&
        b->plan[1].units != p->units) {
        char k[32];
        if (b->plan[1].units == 0)
            snprintf(k, sizeof(k), "nothing");
        else
            snprintf(k, sizeof(k), "%d", b->plan[1].units);
        pos += snprintf(buf + pos, len - (size_t)pos,
                        " (%s with the capacity the %s monthly report "
                        "finds reclaimable)",
                        k, c->monthly_month);
    }
    if (pos > 0 && (size_t)pos < len)
        snprintf(buf + pos, len - (size_t)pos, ".");
}

static json_t *res_json(struct a_ctx *c, const struct a_res *r, json_t *summary,
                        json_t *not_forecast, json_t *charts)
{
    json_t *o = obj(c), *notes = arr(c), *ev = arr(c), *at = arr(c),
           *buys = arr(c), *row = obj(c), *models = obj(c), *sh = obj(c);
    const struct a_cluster *cl = cluster_of(c, r);
    char t[TEXT_LEN], v[96];
    size_t last = c->n_horizons - 1;
    size_t n_fore = horizon_len_days(c, c->horizons[last]);

    set_s(c, o, "id", r->id);
    set_s(c, o, "kind", a_kind_key(r->kind));
    set_s(c, o, "name", r->name);
    set_s(c, o, "cluster", r->cluster);
    set_s(c, o, "unit", unit_of(r->kind));
    set_s(c, o, "series", r->fit_peak ? "daily peak" : "daily mean");
    set_s(c, o, "status", r->fc_ok ? "ok" : "no_forecast");
    set_s(c, o, "why", r->fc_ok ? "" : r->why);
    set_day(c, o, "first_day", r->start_day, r->n_known > 0);
    set_day(c, o, "last_day", r->last_day, r->n_known > 0);
    set(c, o, "days", json_integer((json_int_t)r->n));
    set(c, o, "days_with_data", json_integer((json_int_t)r->n_known));
    set(c, o, "capacity", fig_of(r->kind, r->capacity));
    set(c, o, "target", fig_pct(r->target));
    set(c, o, "threshold",
        fig_of(r->kind, isfinite(r->capacity) ? r->target * r->capacity : NAN));
    set(c, o, "used_today", fig_of(r->kind, r->used_now));
    set(c, o, "used_today_pct",
        fig_pct(isfinite(r->capacity) && r->capacity > 0
                    ? r->used_now / r->capacity
                    : NAN));
    if (r->kind == A_CPU) {
        set(c, o, "allocation_today", fig_vcpus(r->alloc_now));
        set_n(c, o, "busy_per_vcpu", r->busy_per_vcpu);
    } else if (r->kind == A_MEMORY) {
        set(c, o, "allocation_today", fig_bytes(r->alloc_now));
    } else if (r->kind == A_POOL) {
        /* the inventory's latest daily snapshot */
        set(c, o, "provisioned_today", fig_bytes(r->alloc_now));
    }
    /* the model and how well it did */
    set_s(c, o, "model", r->fc_ok ? fc_model_key(r->fc.model) : "");
    set_s(c, o, "model_name", r->fc_ok ? fc_model_name(r->fc.model) : "");
    set_n(c, o, "mase",
          r->fc_ok && r->fc.score[r->fc.model].scored
              ? r->fc.score[r->fc.model].mase
              : NAN);
    set_n(c, o, "naive_mase",
          r->fc_ok && r->fc.score[FC_MODEL_NAIVE].scored
              ? r->fc.score[FC_MODEL_NAIVE].mase
              : NAN);
    set_n(c, o, "seasonal_naive_mase",
          r->fc_ok && r->fc.score[FC_MODEL_SNAIVE].scored
              ? r->fc.score[FC_MODEL_SNAIVE].mase
              : NAN);
    for (int m = 0; r->fc_ok && m < FC_MODEL_COUNT; m++)
        set(c, models, fc_model_key((enum fc_model)m),
            score_json(c, &r->fc.score[m]));
    set(c, o, "models", models);
    set(c, o, "backtest", json_boolean(r->fc_ok && r->fc.backtest));
    set(c, o, "backtest_origins",
        json_integer(r->fc_ok && r->fc.backtest ? r->fc.bt_origins : 0));
    set(c, o, "backtest_lead_days",
        json_integer(r->fc_ok && r->fc.backtest ? r->fc.bt_lead : 0));
    set_n(c, o, "calibration80", r->fc_ok ? r->fc.calib80 : NAN);
    set_n(c, o, "calibration95", r->fc_ok ? r->fc.calib95 : NAN);
    set(c, o, "short_history", json_boolean(r->fc_ok && r->fc.short_history));
    set(c, sh, "found", json_boolean(r->fc_ok && r->fc.shift));
    set_day(c, sh, "day", r->fc.shift_day, r->fc_ok && r->fc.shift);
    set(c, sh, "size",
        r->fc_ok && r->fc.shift ? fig_of(r->kind, r->fc.shift_size)
                                : json_null());
    set(c, o, "level_shift", sh);
    /* notes: the forecast's, then the resource's */
    if (r->fc_ok) {
        for (size_t i = 0; i < r->fc.n_notes; i++)
            if (strncmp(r->fc.notes[i], "level shift", 11) != 0)
                push(c, notes, json_string(r->fc.notes[i]));
        if (r->fc.shift) {
            char d[64];
            a_day_text(r->fc.shift_day, d, sizeof(d));
            text_of(r->kind, r->fc.shift_size, v);
            snprintf(t, sizeof(t),
                     "level shift found on %s (%s%s): fitted from then on", d,
                     r->fc.shift_size > 0 ? "+" : "", v);
            push(c, notes, json_string(t));
        }
        if (r->runway.status == PU_RUNWAY_ALREADY_OVER)
            push(c, notes, json_string("already over its target today"));
        if (r->last_day < c->today - 2) {
            char d[64];
            a_day_text(r->last_day, d, sizeof(d));
            snprintf(t, sizeof(t), "the last day with data is %s", d);
            push(c, notes, json_string(t));
        }
    }
    for (size_t i = 0; i < r->n_notes; i++)
        push(c, notes, json_string(r->notes[i]));
    set(c, o, "notes", notes);
    set(c, o, "has_notes", json_boolean(json_array_size(notes) > 0));
    set(c, o, "has_data", json_boolean(r->n_known > 0));
    set(c, o, "has_horizons", json_boolean(r->fc_ok));
    {
        const char *k[2] = {"mase_text", "naive_mase_text"};
        const json_t *m[2] = {json_object_get(o, "mase"),
                              json_object_get(o, "naive_mase")};
        for (int i = 0; i < 2; i++) {
            if (json_is_number(m[i]))
                set_f(c, o, k[i], "%.2f", json_number_value(m[i]));
            else
                set_s(c, o, k[i],
                      r->fc_ok ? "not scored (history too short for a "
                                 "backtest)"
                               : "-");
        }
    }
    /* planned demand */
    for (size_t i = 0; i < r->n_ev; i++) {
        json_t *e = obj(c);
        set_s(c, e, "name", r->ev[i].name);
        set_day(c, e, "from", r->ev[i].from, true);
        set_day(c, e, "until", r->ev[i].until, r->ev[i].until >= 0);
        set(c, e, "amount", fig_of(r->kind, r->ev[i].amount));
        if (r->kind == A_CPU)
            set(c, e, "vcpus", fig_vcpus(r->ev[i].vcpus));
        push(c, ev, e);
    }
    set(c, o, "planned", ev);
    /* runway */
    set(c, o, "runway", runway_or_none(c, r, &r->runway));
    set(c, o, "runway_without_planned",
        runway_or_none(c, r, &r->runway_organic));
    set(c, o, "runway_80_early", runway_or_none(c, r, &r->runway_early));
    set(c, o, "runway_80_late", runway_or_none(c, r, &r->runway_late));
    if (r->has_ha) {
        set(c, o, "usable_today", fig_of(r->kind, r->usable_now));
        set(c, o, "runway_with_ha_reserve", runway_json(c, &r->runway_ha));
    }
    /* the path at each horizon and the purchases */
    for (size_t h = 0; h < c->n_horizons; h++) {
        json_t *a = obj(c), *b = obj(c);
        int64_t hd = horizon_day(c, h);
        size_t i = (size_t)(hd - c->today);
        bool ok = r->fc_ok && i < r->n_line;
        set(c, a, "months", json_integer(c->horizons[h]));
        set_day(c, a, "day", hd, true);
        double hv = ok ? wmax(r, r->line, i) : NAN;
        set(c, a, "value", fig_of(r->kind, hv));
        set(c, a, "mean", fig_of(r->kind, ok ? wmax(r, r->mean_line, i) : NAN));
        set(c, a, "without_planned",
            fig_of(r->kind, ok ? wmax(r, r->organic, i) : NAN));
        set(c, a, "lo80", fig_of(r->kind, ok ? wmax(r, r->lo80, i) : NAN));
        set(c, a, "hi80", fig_of(r->kind, ok ? wmax(r, r->hi80, i) : NAN));
        set(c, a, "pct_of_capacity",
            fig_pct(ok && isfinite(r->capacity) && r->capacity > 0
                        ? hv / r->capacity
                        : NAN));
        if (ok)
            value_text(r, hv, t, sizeof(t));
        else
            snprintf(t, sizeof(t), "%s", FIG_NO_DATA);
        set_s(c, a, "text", t);
        push(c, at, a);
        set(c, b, "months", json_integer(c->horizons[h]));
        set(c, b, "computed", json_boolean(r->buy[h].ok));
        set_s(c, b, "why", r->buy[h].ok ? "" : r->buy[h].why);
        if (r->buy[h].ok && r->kind != A_UPLINK) {
            set(c, b, "without_reclaim", plan_json(c, &r->buy[h].plan[0]));
            set(c, b, "with_reclaim", plan_json(c, &r->buy[h].plan[1]));
        } else {
            set(c, b, "without_reclaim", json_null());
            set(c, b, "with_reclaim", json_null());
        }
        push(c, buys, b);
    }
    set(c, o, "at_horizons", at);
    set(c, o, "purchases", buys);
    set(c, o, "path", path_json(c, r, (size_t)c->horizons[last] + 1));

    /* the first page's row */
    set_s(c, row, "id", r->id);
    set_s(c, row, "kind", a_kind_key(r->kind));
    set_s(c, row, "resource", r->name);
    value_text(r, r->used_now, t, sizeof(t));
    set_s(c, row, "used_today", r->n_known ? t : FIG_NO_DATA);
    text_of(r->kind, r->capacity, v);
    set_s(c, row, "capacity", v);
    json_incref(at);
    set(c, row, "at", at);
    if (r->fc_ok)
        runway_text(&r->runway, t, sizeof(t));
    else
        snprintf(t, sizeof(t), "no forecast");
    set_s(c, row, "runs_out", t);
    set(c, row, "runway", runway_or_none(c, r, &r->runway));
    {
        const struct a_buy *b = &r->buy[last];
        const struct pu_plan *p = &b->plan[0];
        char u[160], od[96], is[64];
        if (r->kind == A_UPLINK) {
            snprintf(u, sizeof(u), "%s",
                     r->runway.status == PU_RUNWAY_CROSSES ||
                             r->runway.status == PU_RUNWAY_ALREADY_OVER
                         ? "a faster link"
                         : "-");
            snprintf(od, sizeof(od), "-");
            snprintf(is, sizeof(is), "-");
            if (r->runway.status == PU_RUNWAY_CROSSES ||
                r->runway.status == PU_RUNWAY_ALREADY_OVER) {
                struct pu_plan q = {.units = 1, .in_service = r->runway.day};
                pu_order_by(q.in_service, c->cfg->capacity.lead_time_days,
                            c->today, &q.order_day, &q.late_days);
                order_text(&q, od, sizeof(od));
                a_month_text(q.in_service, is, sizeof(is));
            }
        } else if (!b->ok) {
            snprintf(u, sizeof(u), "-");
            snprintf(od, sizeof(od), "-");
            snprintf(is, sizeof(is), "-");
        } else if (p->units == 0) {
            snprintf(u, sizeof(u), "nothing");
            snprintf(od, sizeof(od), "-");
            snprintf(is, sizeof(is), "-");
        } else {
            units_text(c, r, cl, p->units, u, sizeof(u));
            if (c->n_horizons > 1 && r->buy[0].ok &&
                r->buy[0].plan[0].units != p->units) {
                size_t l = strlen(u);
                snprintf(u + l, sizeof(u) - l, " (%d by +%d months)",
                         r->buy[0].plan[0].units, c->horizons[0]);
            }
            order_text(p, od, sizeof(od));
            a_month_text(p->in_service, is, sizeof(is));
        }
        set_s(c, row, "buy", u);
        set_s(c, row, "order_by", od);
        set_s(c, row, "in_service_by", is);
        set(c, row, "late",
            json_boolean(r->kind != A_UPLINK && b->ok && p->units > 0 &&
                         p->late_days > 0));
    }
    sentence(c, r, cl, t, sizeof(t));
    set_s(c, row, "sentence", t);
    set_s(c, o, "sentence", t);
    set(c, row, "over",
        json_boolean(r->fc_ok && r->runway.status == PU_RUNWAY_ALREADY_OVER));
    if (r->fc_ok) {
        push(c, summary, row);
    } else {
        /* the first page lists them apart, in one line each */
        json_t *nf = obj(c);
        set_s(c, nf, "resource", r->name);
        set_s(c, nf, "kind", a_kind_key(r->kind));
        set_s(c, nf, "why", r->why);
        push(c, not_forecast, nf);
        json_decref(row);
    }
    if (charts) {
        json_t *ch = obj(c);
        set_s(c, ch, "id", r->id);
        set(c, ch, "svg", res_chart(c, r, r->fc_ok ? n_fore : 0));
        push(c, charts, ch);
    }
    return o;
}

/* ------------------------------------------------------------- clusters */

static json_t *cluster_json(struct a_ctx *c, const struct a_cluster *cl,
                            json_t *flat)
{
    json_t *o = obj(c), *m = obj(c), *buys = arr(c), *rec = obj(c);
    set_s(c, o, "name", cl->name);
    set(c, o, "hosts", json_integer(cl->hosts));
    set(c, o, "ha_reserve_hosts", json_integer(cl->ha_reserve));
    set_n(c, o, "max_vcpu_per_cpu", cl->max_vcpu_per_cpu);
    set_n(c, o, "cpus_per_core", cl->threads_per_core);
    set(c, o, "cpus_per_core_known", json_boolean(cl->threads_known));
    set_s(c, m, "name", cl->model.name);
    set(c, m, "cores", json_integer(cl->model.cores));
    set_n(c, m, "memory_gb", cl->model.memory_gb);
    set(c, m, "cpus", fig_cpus(cl->model.cores * cl->threads_per_core));
    set(c, m, "memory", fig_bytes(cl->model.memory_gb * 1073741824.0));
    set(c, o, "host_model", m);
    set(c, o, "usable_cpus_now",
        fig_cpus(cl->pc_ok ? pu_usable(cl->pc.cpus, cl->pc.hosts,
                                       cl->pc.ha_reserve, 0, 0)
                           : NAN));
    set(c, o, "usable_memory_now",
        fig_bytes(cl->pc_ok ? pu_usable(cl->pc.memory, cl->pc.hosts,
                                        cl->pc.ha_reserve, 0, 0)
                            : NAN));
    set(c, rec, "vcpus", fig_vcpus(c->have_monthly ? cl->reclaim_vcpus : NAN));
    set(c, rec, "memory",
        fig_bytes(c->have_monthly ? cl->reclaim_memory : NAN));
    set(c, o, "reclaimable", rec);
    set(c, o, "computed", json_boolean(cl->pc_ok));
    set_s(c, o, "why", cl->pc_ok ? "" : cl->why);
    for (size_t h = 0; h < c->n_horizons; h++) {
        json_t *b = obj(c);
        set(c, b, "months", json_integer(c->horizons[h]));
        set(c, b, "computed", json_boolean(cl->buy[h].ok));
        set_s(c, b, "why", cl->buy[h].ok ? "" : cl->buy[h].why);
        for (int w = 0; w < 2; w++) {
            const struct pu_plan *p = &cl->buy[h].plan[w];
            json_t *f;
            char u[160], od[96], is[64];
            set(c, b, w ? "with_reclaim" : "without_reclaim",
                cl->buy[h].ok ? plan_json(c, p) : json_null());
            if (w && !c->have_monthly)
                continue;
            f = obj(c);
            set_s(c, f, "what", cl->name);
            set_s(c, f, "kind", "hosts");
            set(c, f, "months", json_integer(c->horizons[h]));
            set(c, f, "with_reclaim", json_boolean(w));
            set(c, f, "units",
                cl->buy[h].ok ? json_integer(p->units) : json_null());
            if (cl->buy[h].ok && p->units > 0) {
                snprintf(u, sizeof(u), "%d host%s of '%s'", p->units,
                         p->units == 1 ? "" : "s", cl->model.name);
                order_text(p, od, sizeof(od));
                a_month_text(p->in_service, is, sizeof(is));
            } else {
                snprintf(u, sizeof(u), "%s",
                         cl->buy[h].ok ? "nothing" : cl->buy[h].why);
                snprintf(od, sizeof(od), "-");
                snprintf(is, sizeof(is), "-");
            }
            set_s(c, f, "buy", u);
            set(c, f, "buys", json_boolean(cl->buy[h].ok && p->units > 0));
            set_s(c, f, "bind", cl->buy[h].ok ? pu_bind_name(p->bind) : "");
            set_s(c, f, "order_by", od);
            set_s(c, f, "in_service_by", is);
            set_day(c, f, "order_by_date", p->order_day,
                    cl->buy[h].ok && p->units > 0);
            set_day(c, f, "in_service_date", p->in_service,
                    cl->buy[h].ok && p->units > 0);
            set(c, f, "late_days",
                json_integer(cl->buy[h].ok && p->units > 0 ? p->late_days : 0));
            push(c, flat, f);
        }
        push(c, buys, b);
    }
    set(c, o, "purchases", buys);
    return o;
}

/* Storage purchases of one pool or storage into the flat list. */
static void storage_flat(struct a_ctx *c, const struct a_res *r, json_t *flat)
{
    for (size_t h = 0; h < c->n_horizons; h++)
        for (int w = 0; w < 2; w++) {
            const struct a_buy *b = &r->buy[h];
            const struct pu_plan *p = &b->plan[w];
            json_t *f;
            char u[160], od[96], is[64];
            if (w && !c->have_monthly)
                continue;
            f = obj(c);
            set_s(c, f, "what", r->name);
            set_s(c, f, "kind", "storage units");
            set(c, f, "months", json_integer(c->horizons[h]));
            set(c, f, "with_reclaim", json_boolean(w));
            set(c, f, "units", b->ok ? json_integer(p->units) : json_null());
            if (b->ok && p->units > 0) {
                units_text(c, r, NULL, p->units, u, sizeof(u));
                order_text(p, od, sizeof(od));
                a_month_text(p->in_service, is, sizeof(is));
            } else {
                snprintf(u, sizeof(u), "%s", b->ok ? "nothing" : b->why);
                snprintf(od, sizeof(od), "-");
                snprintf(is, sizeof(is), "-");
            }
            set_s(c, f, "buy", u);
            set(c, f, "buys", json_boolean(b->ok && p->units > 0));
            set_s(c, f, "bind", b->ok ? pu_bind_name(p->bind) : "");
            set_s(c, f, "order_by", od);
            set_s(c, f, "in_service_by", is);
            set_day(c, f, "order_by_date", p->order_day, b->ok && p->units);
            set_day(c, f, "in_service_date", p->in_service, b->ok && p->units);
            set(c, f, "late_days",
                json_integer(b->ok && p->units > 0 ? p->late_days : 0));
            push(c, flat, f);
        }
}

/* ------------------------------------------------------------ document */

static void generated_text(time_t now, char *buf, size_t len)
{
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm);
}

enum sdc_rc a_build_doc(struct a_ctx *c, struct monthly_report *out,
                        struct sdc_error *err)
{
    json_t *doc = obj(c), *view = obj(c), *summary = arr(c),
           *resources = arr(c), *charts = arr(c), *clusters = arr(c),
           *flat = arr(c), *hz = arr(c), *set_o = obj(c), *tg = obj(c),
           *mo = obj(c), *details = arr(c), *counts = obj(c),
           *not_forecast = arr(c);
    char t[TEXT_LEN];
    const struct sdc_capacity_cfg *cap = &c->cfg->capacity;
    size_t n_fc = 0, n_over = 0, n_nofc = 0;
    /* the order of the first page: clusters (CPU, memory), pools,
     * storages, uplinks, as discovered */
    set(c, doc, "format_version", json_integer(AUG_FORMAT_VERSION));
    set_s(c, doc, "kind", "augmentation");
    set_s(c, doc, "title", "Augmentation projection");
    set_s(c, doc, "generator", "sdcmon-report " SDC_VERSION);
    generated_text(c->o->now ? c->o->now : time(NULL), t, sizeof(t));
    set_s(c, doc, "generated", t);
    set_day(c, doc, "today", c->today, true);
    a_day_text(c->today, t, sizeof(t));
    set_s(c, doc, "today_text", t);
    set_s(c, doc, "risk", c->conservative ? "conservative" : "expected");
    set_s(c, doc, "risk_text",
          c->conservative
              ? "the upper 80% bound of the forecast (capacity.risk = "
                "\"conservative\"): 9 times in 10 demand stays under it"
              : "the point forecast (capacity.risk = \"expected\"): demand "
                "is as likely to be above it as below");
    for (size_t h = 0; h < c->n_horizons; h++) {
        json_t *o = obj(c);
        set(c, o, "months", json_integer(c->horizons[h]));
        set_day(c, o, "day", horizon_day(c, h), true);
        set_f(c, o, "label", "+%d months", c->horizons[h]);
        push(c, hz, o);
    }
    set(c, doc, "horizons", hz);
    set(c, tg, "cpu", fig_pct(cap->target_cpu));
    set(c, tg, "memory", fig_pct(cap->target_memory));
    set(c, tg, "storage", fig_pct(cap->target_storage));
    set(c, tg, "network", fig_pct(cap->target_network));
    set(c, set_o, "targets", tg);
    set(c, set_o, "lead_time_days", json_integer(cap->lead_time_days));
    set(c, set_o, "storage_unit",
        fig_bytes(cap->storage_unit_tb * 1099511627776.0));
    set_s(c, set_o, "host_model", cap->host_model.name);
    set(c, set_o, "runway_years", json_integer(5));
    set(c, doc, "settings", set_o);
    set(c, mo, "found", json_boolean(c->have_monthly));
    set_s(c, mo, "month", c->have_monthly ? c->monthly_month : "");
    set_s(c, mo, "path", c->have_monthly ? c->monthly_path : "");
    set(c, doc, "monthly", mo);

    for (size_t i = 0; i < c->n_res; i++) {
        const struct a_res *r = &c->res[i];
        json_t *ro = res_json(c, r, summary, not_forecast, charts);
        json_t *d = obj(c);
        n_fc += r->fc_ok;
        n_nofc += !r->fc_ok;
        n_over += r->fc_ok && r->runway.status == PU_RUNWAY_ALREADY_OVER;
        if (d && ro && json_object_update(d, ro))
            oom(c);
        set(c, d, "svg",
            json_incref(json_object_get(json_array_get(charts, i), "svg")));
        push(c, details, d);
        push(c, resources, ro);
    }
    for (size_t k = 0; k < c->n_cl; k++)
        push(c, clusters, cluster_json(c, &c->cl[k], flat));
    for (size_t i = 0; i < c->n_res; i++)
        if (c->res[i].kind == A_POOL || c->res[i].kind == A_STORAGE)
            storage_flat(c, &c->res[i], flat);
    set(c, counts, "resources", json_integer((json_int_t)c->n_res));
    set(c, counts, "forecast", json_integer((json_int_t)n_fc));
    set(c, counts, "no_forecast", json_integer((json_int_t)n_nofc));
    set(c, counts, "already_over", json_integer((json_int_t)n_over));
    set(c, doc, "counts", counts);
    set(c, doc, "summary", summary);
    set(c, doc, "not_forecast", not_forecast);
    set(c, doc, "clusters", clusters);
    {
        size_t i;
        const json_t *f;
        bool anyb = false;
        json_array_foreach(flat, i, f) anyb |=
            json_is_true(json_object_get(f, "buys"));
        set(c, doc, "any_purchase", json_boolean(anyb));
    }
    set(c, doc, "purchases", flat);
    set(c, doc, "resources", resources);
    json_incref(c->notes);
    set(c, doc, "notes", c->notes);
    set(c, view, "details", details);
    json_decref(charts);
    if (c->oom) {
        json_decref(doc);
        json_decref(view);
        return sdc_error_set(err, SDC_ERR_NOMEM,
                             "out of memory building the report");
    }
    out->doc = doc;
    out->view = view;
    return SDC_OK;
}

/* ---------------------------------------------------------- CSV tables */

#define COL_END                                                                \
    {                                                                          \
        NULL, NULL, RENDER_COL_STR                                             \
    }

static const struct render_col summary_cols[] = {
    {"resource", "resource", RENDER_COL_STR},
    {"kind", "kind", RENDER_COL_STR},
    {"id", "id", RENDER_COL_STR},
    {"used_today", "used_today", RENDER_COL_STR},
    {"capacity", "capacity", RENDER_COL_STR},
    {"runs_out", "runs_out", RENDER_COL_STR},
    {"runway_status", "runway.status", RENDER_COL_STR},
    {"runway_date", "runway.date", RENDER_COL_STR},
    {"runway_days", "runway.days", RENDER_COL_INT},
    {"buy", "buy", RENDER_COL_STR},
    {"order_by", "order_by", RENDER_COL_STR},
    {"in_service_by", "in_service_by", RENDER_COL_STR},
    {"sentence", "sentence", RENDER_COL_STR},
    COL_END};

static const struct render_col resource_cols[] = {
    {"id", "id", RENDER_COL_STR},
    {"kind", "kind", RENDER_COL_STR},
    {"name", "name", RENDER_COL_STR},
    {"unit", "unit", RENDER_COL_STR},
    {"series", "series", RENDER_COL_STR},
    {"status", "status", RENDER_COL_STR},
    {"why", "why", RENDER_COL_STR},
    {"first_day", "first_day", RENDER_COL_STR},
    {"last_day", "last_day", RENDER_COL_STR},
    {"days_with_data", "days_with_data", RENDER_COL_INT},
    {"capacity", "capacity", RENDER_COL_FIG},
    {"target_pct", "target", RENDER_COL_FIG},
    {"used_today", "used_today", RENDER_COL_FIG},
    {"model", "model", RENDER_COL_STR},
    {"backtest_mase", "mase", RENDER_COL_FIG},
    {"naive_mase", "naive_mase", RENDER_COL_FIG},
    {"seasonal_naive_mase", "seasonal_naive_mase", RENDER_COL_FIG},
    {"short_history", "short_history", RENDER_COL_BOOL},
    {"level_shift", "level_shift.found", RENDER_COL_BOOL},
    {"level_shift_day", "level_shift.day", RENDER_COL_STR},
    {"runway_status", "runway.status", RENDER_COL_STR},
    {"runway_date", "runway.date", RENDER_COL_STR},
    {"runway_without_planned", "runway_without_planned.date", RENDER_COL_STR},
    {"runway_80_early", "runway_80_early.date", RENDER_COL_STR},
    {"runway_80_late", "runway_80_late.date", RENDER_COL_STR},
    COL_END};

static const struct render_col res_key_cols[] = {
    {"id", "id", RENDER_COL_STR},
    {"kind", "kind", RENDER_COL_STR},
    {"unit", "unit", RENDER_COL_STR},
    COL_END};

static const struct render_col path_cols[] = {
    {"month", "month", RENDER_COL_STR},
    {"day", "day", RENDER_COL_STR},
    {"mean", "mean", RENDER_COL_FIG},
    {"lo80", "lo80", RENDER_COL_FIG},
    {"hi80", "hi80", RENDER_COL_FIG},
    {"lo95", "lo95", RENDER_COL_FIG},
    {"hi95", "hi95", RENDER_COL_FIG},
    {"mean_without_planned", "organic_mean", RENDER_COL_FIG},
    {"planned", "planned", RENDER_COL_FIG},
    COL_END};

static const struct render_col horizon_cols[] = {
    {"months", "months", RENDER_COL_INT},
    {"day", "day", RENDER_COL_STR},
    {"value", "value", RENDER_COL_FIG},
    {"mean", "mean", RENDER_COL_FIG},
    {"without_planned", "without_planned", RENDER_COL_FIG},
    {"lo80", "lo80", RENDER_COL_FIG},
    {"hi80", "hi80", RENDER_COL_FIG},
    {"pct_of_capacity", "pct_of_capacity", RENDER_COL_FIG},
    COL_END};

static const struct render_col planned_cols[] = {
    {"planned", "name", RENDER_COL_STR},
    {"from", "from", RENDER_COL_STR},
    {"until", "until", RENDER_COL_STR},
    {"amount", "amount", RENDER_COL_FIG},
    COL_END};

static const struct render_col purchase_cols[] = {
    {"what", "what", RENDER_COL_STR},
    {"kind", "kind", RENDER_COL_STR},
    {"horizon_months", "months", RENDER_COL_INT},
    {"with_reclaim", "with_reclaim", RENDER_COL_BOOL},
    {"units", "units", RENDER_COL_INT},
    {"binds", "bind", RENDER_COL_STR},
    {"buy", "buy", RENDER_COL_STR},
    {"order_by", "order_by_date", RENDER_COL_STR},
    {"in_service_by", "in_service_date", RENDER_COL_STR},
    {"late_days", "late_days", RENDER_COL_INT},
    COL_END};

const struct render_table aug_tables[] = {
    {"summary.csv", "summary", summary_cols, NULL, NULL},
    {"resources.csv", "resources", resource_cols, NULL, NULL},
    {"forecast_paths.csv", "resources", path_cols, "path", res_key_cols},
    {"horizons.csv", "resources", horizon_cols, "at_horizons", res_key_cols},
    {"planned.csv", "resources", planned_cols, "planned", res_key_cols},
    {"purchases.csv", "purchases", purchase_cols, NULL, NULL},
};
const size_t aug_n_tables = sizeof(aug_tables) / sizeof(aug_tables[0]);
