/*
 * forecast.c - one series through the forecasting core: clean, find a
 * level shift, fit every model, backtest, choose, calibrate the intervals,
 * write the path (forecast.h); runway and monthly helpers.
 */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "backtest.h"
#include "fc_models.h"
#include "forecast.h"
#include "level_shift.h"

/* Interval factors from the backtest are kept within these. */
#define CALIB_MIN 0.5
#define CALIB_MAX 20.0
/* Standardised backtest errors needed to calibrate. */
#define CALIB_MIN_ERRORS 10
/* Extra widening of a short history's interval (beyond its t quantile). */
#define SHORT_WIDEN 1.5
/* A threshold is reached within this relative distance. */
#define CROSS_REL_TOL 1e-9
/* Longest series accepted: 100 years of days. */
#define SERIES_MAX_DAYS 36600
#define DAY_SECONDS 86400

static const char *const model_name[FC_MODEL_COUNT] = {
    "linear trend",        "damped trend", "Holt-Winters weekly",
    "Holt-Winters yearly", "naive",        "seasonal naive"};
static const char *const model_key[FC_MODEL_COUNT] = {
    "linear", "damped", "hw_weekly", "hw_yearly", "naive", "snaive"};

const char *fc_model_name(enum fc_model m)
{
    return (unsigned)m < FC_MODEL_COUNT ? model_name[m] : "unknown";
}

const char *fc_model_key(enum fc_model m)
{
    return (unsigned)m < FC_MODEL_COUNT ? model_key[m] : "unknown";
}

void fc_options_init(struct fc_options *o)
{
    memset(o, 0, sizeof(*o));
    o->horizon = 365;
    o->period = 7;
    o->period_long = 365;
    o->scale_period = 7;
    o->origins = 5;
    o->lead_min = 30;
    o->lead_max = 90;
    o->short_days = 90;
    o->detect_shift = true;
    o->min_segment = 28;
    o->nonneg = true;
    o->models = (1u << FC_MODEL_LINEAR) | (1u << FC_MODEL_DAMPED) |
                (1u << FC_MODEL_HW_WEEKLY) | (1u << FC_MODEL_HW_YEARLY);
}

/* ---- days ------------------------------------------------------------------
 */

int64_t fc_day_from_ymd(int y, int m, int d)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    int64_t s = (int64_t)timegm(&tm);
    /* floor division: days before 1970 are negative */
    return s >= 0 ? s / DAY_SECONDS : -((-s + DAY_SECONDS - 1) / DAY_SECONDS);
}

void fc_day_to_ymd(int64_t day, int *y, int *m, int *d)
{
    time_t t = (time_t)(day * DAY_SECONDS);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        *y = 1970;
        *m = 1;
        *d = 1;
        return;
    }
    *y = tm.tm_year + 1900;
    *m = tm.tm_mon + 1;
    *d = tm.tm_mday;
}

static void day_str(int64_t day, char buf[40])
{
    int y, m, d;
    fc_day_to_ymd(day, &y, &m, &d);
    snprintf(buf, 40, "%04d-%02d-%02d", y, m, d);
}

/* ---- results ---------------------------------------------------------------
 */

static void note(struct fc_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void note(struct fc_result *r, const char *fmt, ...)
{
    va_list ap;
    if (r->n_notes >= FC_NOTES_MAX)
        return;
    va_start(ap, fmt);
    vsnprintf(r->notes[r->n_notes++], FC_NOTE_LEN, fmt, ap);
    va_end(ap);
}

void fc_result_free(struct fc_result *r)
{
    if (!r)
        return;
    free(r->path);
    r->path = NULL;
    r->horizon = 0;
}

static enum sdc_rc check_options(const struct fc_options *o,
                                 struct sdc_error *err)
{
    if (o->horizon < 1 || o->horizon > FC_HORIZON_MAX)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "forecast: horizon %d days is not within 1..%d",
                             o->horizon, FC_HORIZON_MAX);
    if (o->period < 2 || o->period > FC_PERIOD_MAX)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "forecast: season of %d days is not within 2..%d",
                             o->period, FC_PERIOD_MAX);
    if (o->period_long != 0 &&
        (o->period_long <= o->period || o->period_long > FC_PERIOD_MAX))
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "forecast: long season of %d days is not within "
                             "%d..%d (or 0 for none)",
                             o->period_long, o->period + 1, FC_PERIOD_MAX);
    if (o->scale_period < 1 || o->scale_period > FC_PERIOD_MAX)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "forecast: MASE lag %d is not within 1..%d",
                             o->scale_period, FC_PERIOD_MAX);
    if (o->origins < 1 || o->origins > FC_ORIGINS_MAX)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "forecast: %d backtest origins is not within "
                             "1..%d",
                             o->origins, FC_ORIGINS_MAX);
    if (o->lead_min < 1 || o->lead_max < o->lead_min ||
        o->lead_max > FC_HORIZON_MAX)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "forecast: backtest leads %d..%d days are not "
                             "within 1..%d",
                             o->lead_min, o->lead_max, FC_HORIZON_MAX);
    if (o->short_days < 0 || o->short_days > SERIES_MAX_DAYS)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "forecast: short history of %d days is not "
                             "within 0..%d",
                             o->short_days, SERIES_MAX_DAYS);
    if (o->min_segment < 7 || o->min_segment > 366)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "forecast: level-shift window of %d days is not "
                             "within 7..366",
                             o->min_segment);
    return SDC_OK;
}

/* The q-quantile of |@z[0 .. @n)| (sorted in place). */
static double abs_quantile(double *z, size_t n, double q)
{
    for (size_t i = 0; i < n; i++)
        z[i] = fabs(z[i]);
    gsl_sort(z, 1, n);
    return gsl_stats_quantile_from_sorted_data(z, 1, n, q);
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static enum sdc_rc write_path(struct fc_result *r, const double *mean,
                              const double *sd, size_t gap, double k80,
                              double k95, bool nonneg, struct sdc_error *err)
{
    r->path = calloc(r->horizon, sizeof(*r->path));
    if (!r->path)
        return sdc_error_set(err, SDC_ERR_NOMEM, "forecast: out of memory");
    for (size_t i = 0; i < r->horizon; i++) {
        double m = mean[gap + i], s = sd ? sd[gap + i] : 0;
        double w80 = k80 * s, w95 = k95 * s;
        if (w95 < w80)
            w95 = w80;
        struct fc_point p = {m, m - w80, m + w80, m - w95, m + w95};
        if (nonneg) {
            p.mean = fmax(p.mean, 0);
            p.lo80 = fmax(p.lo80, 0);
            p.hi80 = fmax(p.hi80, 0);
            p.lo95 = fmax(p.lo95, 0);
            p.hi95 = fmax(p.hi95, 0);
        }
        if (!isfinite(p.mean) || !isfinite(p.lo95) || !isfinite(p.hi95)) {
            free(r->path);
            r->path = NULL;
            return sdc_error_set(err, SDC_ERR_INVALID,
                                 "forecast: the forecast overflowed on day "
                                 "%zu (values too large)",
                                 i + 1);
        }
        r->path[i] = p;
    }
    return SDC_OK;
}

/* A constant series: the flat line, zero-width intervals. */
static enum sdc_rc flat_forecast(struct fc_result *r, double v, bool nonneg,
                                 struct sdc_error *err)
{
    double *mean = malloc(r->horizon * sizeof(*mean));
    if (!mean)
        return sdc_error_set(err, SDC_ERR_NOMEM, "forecast: out of memory");
    for (size_t i = 0; i < r->horizon; i++)
        mean[i] = v;
    r->model = FC_MODEL_LINEAR;
    r->params.intercept = v;
    r->params.level = v;
    r->params.phi = 1;
    r->calib80 = r->calib95 = 1;
    for (int m = 0; m < FC_MODEL_COUNT; m++)
        snprintf(r->score[m].why, sizeof(r->score[m].why), "constant series");
    note(r, "constant series (%g on every day with data): flat forecast", v);
    enum sdc_rc rc = write_path(r, mean, NULL, 0, 0, 0, nonneg, err);
    free(mean);
    return rc;
}

static pthread_once_t gsl_once = PTHREAD_ONCE_INIT;

static void gsl_quiet(void)
{
    gsl_set_error_handler_off();
}

/* What fc_forecast() works on while it runs. */
struct fc_work {
    double *y;
    struct fcm_fit *fit; /* FC_MODEL_COUNT */
    struct bt_score bt[FC_MODEL_COUNT];
    double *mean;
    double *sd;
};

static void work_free(struct fc_work *w)
{
    for (int m = 0; m < FC_MODEL_COUNT; m++)
        bt_score_free(&w->bt[m]);
    free(w->sd);
    free(w->mean);
    free(w->fit);
    free(w->y);
}

/* Clean the input into @y; the counts of what was set aside as notes. */
static void clean(const struct fc_series *s, const struct fc_options *o,
                  double *y, struct fc_result *r)
{
    size_t bad = 0, neg = 0;
    for (size_t i = 0; i < s->n; i++) {
        double v = s->v[i];
        if (isnan(v)) {
            y[i] = NAN;
        } else if (!isfinite(v) || fabs(v) > FC_VALUE_MAX) {
            y[i] = NAN;
            bad++;
        } else if (o->nonneg && v < 0) {
            y[i] = NAN;
            neg++;
        } else {
            y[i] = v;
        }
    }
    if (bad)
        note(r,
             "%zu infinite or out-of-range values (beyond +-1e15) treated "
             "as UNKNOWN",
             bad);
    if (neg)
        note(r, "%zu negative values treated as UNKNOWN", neg);
}

/*
 * Fit and backtest every model on @y[0 .. @N); scores in @r, fits and
 * backtest errors in @w.
 */
static enum sdc_rc fit_models(const double *y, size_t N,
                              const struct fc_options *o, bool short_hist,
                              bool has_bt, const struct bt_plan *plan,
                              double mag, struct fc_work *w,
                              struct fc_result *r, struct sdc_error *err)
{
    struct fcm_cfg cfg = {o->period, o->period_long};
    size_t need = has_bt ? plan->origin[plan->n_origins - 1] : N;
    struct sdc_error e2;

    for (int mi = 0; mi < FC_MODEL_COUNT; mi++) {
        enum fc_model m = (enum fc_model)mi;
        struct fc_score *sc = &r->score[m];
        bool candidate = mi < FC_MODEL_CANDIDATES;
        size_t min_days = fcm_min_days(m, &cfg);

        if (candidate && m != FC_MODEL_LINEAR && !(o->models & (1u << mi))) {
            snprintf(sc->why, sizeof(sc->why), "not enabled");
            continue;
        }
        if (candidate && m != FC_MODEL_LINEAR && short_hist) {
            snprintf(sc->why, sizeof(sc->why), "history under %d days",
                     o->short_days);
            continue;
        }
        if (min_days == SIZE_MAX) {
            snprintf(sc->why, sizeof(sc->why), "no long season set");
            continue;
        }
        if (need < min_days) {
            snprintf(sc->why, sizeof(sc->why),
                     has_bt ? "needs %zu days of history before every "
                              "backtest origin"
                            : "needs %zu days of history",
                     min_days);
            continue;
        }
        enum sdc_rc rc = fcm_fit(m, y, N, &cfg, NULL, &w->fit[m], &e2);
        if (rc == SDC_ERR_NOMEM)
            return sdc_error_set(err, rc, "%s", e2.msg);
        if (rc != SDC_OK) {
            snprintf(sc->why, sizeof(sc->why), "could not be fitted");
            continue;
        }
        sc->eligible = true;
        if (!has_bt)
            continue;
        const double *warm = w->fit[m].nu ? w->fit[m].u : NULL;
        rc = bt_run(m, y, N, plan, &cfg, warm, &w->bt[m], &e2);
        if (rc == SDC_ERR_NOMEM)
            return sdc_error_set(err, rc, "%s", e2.msg);
        if (rc != SDC_OK) {
            sc->eligible = false;
            snprintf(sc->why, sizeof(sc->why),
                     "too few days with data before a backtest origin");
            continue;
        }
        sc->scored = true;
        sc->mase = bt_mase(&w->bt[m], r->scale, mag);
    }
    return SDC_OK;
}

/* The lowest backtest MASE among the candidates; the linear trend when
 * none was scored.  Ties go to the earlier (simpler) model. */
static enum fc_model choose(const struct fc_result *r)
{
    enum fc_model best = FC_MODEL_LINEAR;
    bool have = r->score[FC_MODEL_LINEAR].scored;
    for (int m = 1; m < FC_MODEL_CANDIDATES; m++) {
        const struct fc_score *s = &r->score[m];
        if (!s->eligible || !s->scored)
            continue;
        if (!have || s->mase < r->score[best].mase * (1 - 1e-12)) {
            best = (enum fc_model)m;
            have = true;
        }
    }
    return best;
}

enum sdc_rc fc_forecast(const struct fc_series *s, const struct fc_options *opt,
                        struct fc_result *out, struct sdc_error *err)
{
    struct fc_options o;
    struct fc_work w;
    enum sdc_rc rc;
    char day[40];

    memset(out, 0, sizeof(*out));
    memset(&w, 0, sizeof(w));
    pthread_once(&gsl_once, gsl_quiet);
    if (opt)
        o = *opt;
    else
        fc_options_init(&o);
    rc = check_options(&o, err);
    if (rc != SDC_OK)
        return rc;
    if (!s || (s->n && !s->v))
        return sdc_error_set(err, SDC_ERR_INVALID, "forecast: no series");
    if (s->n == 0)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "forecast: empty series (no days)");
    if (s->n > SERIES_MAX_DAYS)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "forecast: %zu days is more than %d (100 years)",
                             s->n, SERIES_MAX_DAYS);

    out->start_day = s->start_day;
    out->n = s->n;
    out->horizon = (size_t)o.horizon;
    out->path_day = s->start_day + (int64_t)s->n;
    out->calib80 = out->calib95 = 1;
    out->params.phi = 1;

    w.y = malloc(s->n * sizeof(*w.y));
    if (!w.y)
        return sdc_error_set(err, SDC_ERR_NOMEM, "forecast: out of memory");
    clean(s, &o, w.y, out);

    /* the days with data: first, last, how many, how large */
    size_t i0 = SIZE_MAX, i1 = 0, known = 0;
    double lo = INFINITY, hi = -INFINITY, mag = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (isnan(w.y[i]))
            continue;
        if (i0 == SIZE_MAX)
            i0 = i;
        i1 = i;
        known++;
        lo = fmin(lo, w.y[i]);
        hi = fmax(hi, w.y[i]);
        mag = fmax(mag, fabs(w.y[i]));
    }
    if (known == 0) {
        rc = sdc_error_set(err, SDC_ERR_INVALID,
                           "forecast: no day with data (%zu days, all "
                           "UNKNOWN or out of range)",
                           s->n);
        goto fail;
    }
    if (known < 3) {
        rc = sdc_error_set(err, SDC_ERR_INVALID,
                           "forecast: only %zu day%s with data, a forecast "
                           "needs at least 3",
                           known, known == 1 ? "" : "s");
        goto fail;
    }
    out->last_day = s->start_day + (int64_t)i1;
    out->last_value = w.y[i1];
    out->first_day = s->start_day + (int64_t)i0;
    out->n_known = known;
    size_t gap = s->n - 1 - i1;
    if (gap) {
        day_str(out->last_day, day);
        note(out, "no data for the last %zu days: forecast from %s", gap, day);
    }
    if (lo == hi) {
        rc = flat_forecast(out, lo, o.nonneg, err);
        if (rc != SDC_OK)
            goto fail;
        work_free(&w);
        return SDC_OK;
    }

    /* level shift: fit from the latest one on */
    if (o.detect_shift) {
        struct ls_result ls;
        rc =
            ls_detect(w.y + i0, i1 - i0 + 1, o.min_segment, o.period, &ls, err);
        if (rc != SDC_OK)
            goto fail;
        if (ls.found) {
            size_t cut = i0 + ls.day;
            out->shift = true;
            out->shift_day = s->start_day + (int64_t)cut;
            out->shift_size = ls.size;
            while (isnan(w.y[cut]))
                cut++;
            i0 = cut;
            out->first_day = s->start_day + (int64_t)i0;
            day_str(out->shift_day, day);
            note(out, "level shift of %+.4g on %s: fitted from that day on",
                 ls.size, day);
        }
    }
    size_t N = i1 - i0 + 1, inner = 0;
    known = 0;
    mag = 0;
    for (size_t i = i0; i <= i1; i++) {
        if (isnan(w.y[i])) {
            inner++;
            continue;
        }
        known++;
        mag = fmax(mag, fabs(w.y[i]));
    }
    out->n_known = known;
    if (inner)
        note(out, "%zu UNKNOWN days skipped", inner);
    const double *y = w.y + i0;

    out->short_history = N < (size_t)o.short_days;
    struct bt_plan plan;
    bool has_bt = bt_plan_make(N, &o, &plan);
    out->backtest = has_bt;
    out->bt_origins = (int)plan.n_origins;
    out->bt_lead = (int)plan.lead;
    out->scale = bt_scale(y, N, o.scale_period, &out->scale_lag);

    w.fit = calloc(FC_MODEL_COUNT, sizeof(*w.fit));
    if (!w.fit) {
        rc = sdc_error_set(err, SDC_ERR_NOMEM, "forecast: out of memory");
        goto fail;
    }
    rc = fit_models(y, N, &o, out->short_history, has_bt, &plan, mag, &w, out,
                    err);
    if (rc != SDC_OK)
        goto fail;
    enum fc_model best = choose(out);
    struct fcm_fit *bf = &w.fit[best];
    out->model = best;

    /* intervals: the model's own sd, calibrated on the backtest errors */
    struct bt_score *bs = &w.bt[best];
    if (has_bt && bf->p.sigma == 0 && bs->cnt &&
        bs->abs_sum / (double)bs->cnt > CROSS_REL_TOL * mag) {
        /* exact in-sample fit but not out of sample: the errors' own scale
         * (sd of a normal = sqrt(pi / 2) * mean absolute deviation) */
        bf->p.sigma = sqrt(M_PI / 2) * bs->abs_sum / (double)bs->cnt;
        note(out, "the model fits the history exactly: interval from the "
                  "backtest errors");
    }
    double z80 = gsl_cdf_ugaussian_Pinv(0.90);
    double z95 = gsl_cdf_ugaussian_Pinv(0.975);
    if (has_bt && bs->nz >= CALIB_MIN_ERRORS) {
        out->calib80 = clampd(abs_quantile(bs->z, bs->nz, 0.80) / z80,
                              CALIB_MIN, CALIB_MAX);
        out->calib95 = clampd(abs_quantile(bs->z, bs->nz, 0.95) / z95,
                              CALIB_MIN, CALIB_MAX);
        if (fabs(out->calib80 - 1) > 0.25 || fabs(out->calib95 - 1) > 0.25)
            note(out,
                 "interval scaled by %.2f (80%%) and %.2f (95%%) to match "
                 "the backtest errors",
                 out->calib80, out->calib95);
    } else if (!has_bt) {
        note(out, "history too short for a backtest: interval not "
                  "calibrated");
    }
    double k80 = z80 * out->calib80, k95 = z95 * out->calib95;
    if (out->short_history) {
        double df = known > 3 ? (double)(known - 2) : 1.0;
        k80 = gsl_cdf_tdist_Pinv(0.90, df) * fmax(out->calib80, 1.0) *
              SHORT_WIDEN;
        k95 = gsl_cdf_tdist_Pinv(0.975, df) * fmax(out->calib95, 1.0) *
              SHORT_WIDEN;
        note(out,
             "history under %d days (%zu days): linear model, interval "
             "widened",
             o.short_days, N);
    }
    const struct fc_score *naive = &out->score[FC_MODEL_NAIVE];
    if (out->score[best].scored && naive->scored &&
        out->score[best].mase >= naive->mase)
        note(out,
             "the %s did no better than the naive forecast in the backtest "
             "(MASE %.2f against %.2f)",
             fc_model_name(best), out->score[best].mase, naive->mase);

    out->params = bf->p;
    size_t total = gap + out->horizon;
    w.mean = malloc(total * sizeof(*w.mean));
    w.sd = malloc(total * sizeof(*w.sd));
    if (!w.mean || !w.sd) {
        rc = sdc_error_set(err, SDC_ERR_NOMEM, "forecast: out of memory");
        goto fail;
    }
    fcm_predict(bf, total, w.mean, w.sd);
    rc = write_path(out, w.mean, w.sd, gap, k80, k95, o.nonneg, err);
    if (rc != SDC_OK)
        goto fail;
    work_free(&w);
    return SDC_OK;

fail:
    work_free(&w);
    fc_result_free(out);
    memset(out, 0, sizeof(*out));
    return rc;
}

/* ---- runway and months ------------------------------------------------------
 */

enum sdc_rc fc_runway(const struct fc_result *r, double threshold,
                      enum fc_risk risk, struct fc_runway *out,
                      struct sdc_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!r || !r->path || r->horizon == 0)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "runway: the forecast has no path");
    if (!isfinite(threshold))
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "runway: the threshold is not a number");
    double at = threshold - CROSS_REL_TOL * fabs(threshold);
    if (r->last_value >= at) {
        out->status = FC_RUNWAY_ALREADY_OVER;
        out->day = r->last_day;
        return SDC_OK;
    }
    for (size_t i = 0; i < r->horizon; i++) {
        double v = risk == FC_RISK_EXPECTED ? r->path[i].mean : r->path[i].hi80;
        if (v >= at) {
            out->status = FC_RUNWAY_CROSSES;
            out->day = r->path_day + (int64_t)i;
            out->days = out->day - r->last_day;
            return SDC_OK;
        }
    }
    out->status = FC_RUNWAY_NOT_WITHIN;
    return SDC_OK;
}

static bool month_end(int64_t day)
{
    int y, m, d;
    fc_day_to_ymd(day + 1, &y, &m, &d);
    return d == 1;
}

enum sdc_rc fc_monthly(const struct fc_result *r, struct fc_month **out,
                       size_t *n, struct sdc_error *err)
{
    *out = NULL;
    *n = 0;
    if (!r || !r->path)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "monthly path: the forecast has no path");
    size_t k = 0;
    for (size_t i = 0; i < r->horizon; i++)
        k += month_end(r->path_day + (int64_t)i);
    if (k == 0)
        return SDC_OK;
    struct fc_month *mo = calloc(k, sizeof(*mo));
    if (!mo)
        return sdc_error_set(err, SDC_ERR_NOMEM, "forecast: out of memory");
    for (size_t i = 0, j = 0; i < r->horizon; i++) {
        int64_t day = r->path_day + (int64_t)i;
        if (!month_end(day))
            continue;
        int d;
        fc_day_to_ymd(day, &mo[j].year, &mo[j].month, &d);
        mo[j].day = day;
        mo[j].at = r->path[i];
        j++;
    }
    *out = mo;
    *n = k;
    return SDC_OK;
}
