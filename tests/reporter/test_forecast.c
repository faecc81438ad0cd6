/*
 * test_forecast.c - the forecasting core (reporter/forecast.h): known
 * answers (an exact line and its crossing date, a weekly season beating the
 * seasonal naive forecast, a step found on its day), interval coverage on
 * Gaussian noise of known sigma over many seeds, degenerate input, gaps,
 * short history, the yearly model, runway and monthly helpers; and the M4
 * weekly series against the published accuracy (skipped when ../shared is
 * absent).  Random series come from GSL's Mersenne Twister with fixed seeds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "backtest.h"
#include "forecast.h"
#include "level_shift.h"
#include "testutil.h"

/* 2026-01-01 */
#define D2026 ((int64_t)20454)

static const double weekly[7] = {5, 8, 8, 7, 6, -15, -19};

/* ---- helpers ------------------------------------------------------------ */

static double *series(size_t n)
{
    double *v = malloc(n * sizeof(*v));
    assert_non_null(v);
    return v;
}

static gsl_rng *rng(unsigned long seed)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(g);
    gsl_rng_set(g, seed);
    return g;
}

/* Every path value finite and the bounds ordered around the mean. */
static void check_path(const struct fc_result *r)
{
    assert_non_null(r->path);
    assert_true(r->horizon > 0);
    for (size_t i = 0; i < r->horizon; i++) {
        const struct fc_point *p = &r->path[i];
        if (!isfinite(p->mean) || !isfinite(p->lo80) || !isfinite(p->hi80) ||
            !isfinite(p->lo95) || !isfinite(p->hi95))
            fail_msg("day %zu: not finite (%g %g %g %g %g)", i, p->mean,
                     p->lo80, p->hi80, p->lo95, p->hi95);
        if (!(p->lo95 <= p->lo80 && p->lo80 <= p->mean && p->mean <= p->hi80 &&
              p->hi80 <= p->hi95))
            fail_msg("day %zu: bounds out of order (%g %g %g %g %g)", i,
                     p->lo95, p->lo80, p->mean, p->hi80, p->hi95);
    }
}

static bool has_note(const struct fc_result *r, const char *part)
{
    for (size_t i = 0; i < r->n_notes; i++)
        if (strstr(r->notes[i], part))
            return true;
    return false;
}

static void run(const double *v, size_t n, const struct fc_options *o,
                struct fc_result *r)
{
    struct fc_series s = {D2026, v, n};
    struct sdc_error err = {0};
    if (fc_forecast(&s, o, r, &err) != SDC_OK)
        fail_msg("fc_forecast: %s", err.msg);
    check_path(r);
}

static enum sdc_rc run_err(const double *v, size_t n,
                           const struct fc_options *o, struct sdc_error *err)
{
    struct fc_series s = {D2026, v, n};
    struct fc_result r;
    enum sdc_rc rc = fc_forecast(&s, o, &r, err);
    if (rc == SDC_OK)
        fc_result_free(&r);
    else
        assert_null(r.path);
    return rc;
}

/* ---- known answers ------------------------------------------------------ */

/* y = 100 + 2 t: the slope, the path, and the day 1000 is reached. */
static void test_linear_exact(void **state)
{
    (void)state;
    size_t n = 400;
    double *v = series(n);
    for (size_t t = 0; t < n; t++)
        v[t] = 100 + 2.0 * (double)t;
    struct fc_result r;
    run(v, n, NULL, &r);

    assert_int_equal(r.model, FC_MODEL_LINEAR);
    assert_float_equal(r.params.trend, 2.0, 1e-9);
    assert_float_equal(r.params.intercept, 100.0, 1e-7);
    assert_float_equal(r.params.sigma, 0.0, 1e-6);
    assert_true(r.score[FC_MODEL_LINEAR].scored);
    assert_float_equal(r.score[FC_MODEL_LINEAR].mase, 0.0, 1e-9);
    assert_int_equal(r.path_day, D2026 + 400);
    assert_int_equal(r.horizon, 365);
    for (size_t i = 0; i < r.horizon; i++) {
        double want = 100 + 2.0 * (double)(n + i);
        assert_float_equal(r.path[i].mean, want, 1e-6);
        assert_float_equal(r.path[i].hi95, want, 1e-6);
    }

    /* 100 + 2 t = 1000 at t = 450: 2027-03-27, for either risk */
    struct fc_runway rw;
    struct sdc_error err;
    assert_int_equal(fc_runway(&r, 1000, FC_RISK_EXPECTED, &rw, &err), SDC_OK);
    assert_int_equal(rw.status, FC_RUNWAY_CROSSES);
    assert_int_equal(rw.day, fc_day_from_ymd(2027, 3, 27));
    assert_int_equal(rw.day, D2026 + 450);
    assert_int_equal(rw.days, 51);
    assert_int_equal(fc_runway(&r, 1000, FC_RISK_CONSERVATIVE, &rw, &err),
                     SDC_OK);
    assert_int_equal(rw.day, D2026 + 450);
    /* 1000.5 is crossed a day later (1002 at t = 451) */
    fc_runway(&r, 1000.5, FC_RISK_EXPECTED, &rw, &err);
    assert_int_equal(rw.day, D2026 + 451);
    /* the last value (898) is already over 898 and 500 */
    fc_runway(&r, 898, FC_RISK_EXPECTED, &rw, &err);
    assert_int_equal(rw.status, FC_RUNWAY_ALREADY_OVER);
    assert_int_equal(rw.day, D2026 + 399);
    fc_runway(&r, 500, FC_RISK_CONSERVATIVE, &rw, &err);
    assert_int_equal(rw.status, FC_RUNWAY_ALREADY_OVER);
    /* the path ends at 100 + 2 * 764 = 1628 */
    fc_runway(&r, 1628.5, FC_RISK_CONSERVATIVE, &rw, &err);
    assert_int_equal(rw.status, FC_RUNWAY_NOT_WITHIN);
    assert_int_equal(fc_runway(&r, NAN, FC_RISK_EXPECTED, &rw, &err),
                     SDC_ERR_INVALID);

    /* month ends: the path runs 2027-02-05 .. 2028-02-04, so 2027-02-28
     * .. 2028-01-31 (12 months) */
    struct fc_month *mo;
    size_t nm;
    assert_int_equal(fc_monthly(&r, &mo, &nm, &err), SDC_OK);
    assert_int_equal(nm, 12);
    assert_int_equal(mo[0].year, 2027);
    assert_int_equal(mo[0].month, 2);
    assert_int_equal(mo[0].day, fc_day_from_ymd(2027, 2, 28));
    assert_int_equal(mo[11].year, 2028);
    assert_int_equal(mo[11].month, 1);
    for (size_t i = 0; i < nm; i++) {
        int y, m, d;
        fc_day_to_ymd(mo[i].day + 1, &y, &m, &d);
        assert_int_equal(d, 1);
        double t = (double)(mo[i].day - D2026);
        assert_float_equal(mo[i].at.mean, 100 + 2 * t, 1e-6);
    }
    free(mo);
    fc_result_free(&r);
    fc_result_free(&r); /* twice is fine */
    free(v);
}

/* Civil days: a few fixed dates and a round trip over 1900..2100. */
static void test_days(void **state)
{
    (void)state;
    assert_int_equal(fc_day_from_ymd(1970, 1, 1), 0);
    assert_int_equal(fc_day_from_ymd(2026, 1, 1), D2026);
    assert_int_equal(fc_day_from_ymd(2000, 3, 1), 11017);
    assert_int_equal(fc_day_from_ymd(1969, 12, 31), -1);
    for (int64_t d = -25567; d < 47482; d += 17) {
        int y, m, dd;
        fc_day_to_ymd(d, &y, &m, &dd);
        assert_int_equal(fc_day_from_ymd(y, m, dd), d);
    }
}

/*
 * Trend + weekly season + noise: the weekly Holt-Winters is chosen, its
 * backtest MASE is below the seasonal naive's, and on 90 fresh days its
 * error is too.
 */
static void test_weekly_seasonal(void **state)
{
    (void)state;
    size_t n = 400, H = 90;
    double *v = series(n + H);
    gsl_rng *g = rng(11);
    for (size_t t = 0; t < n + H; t++)
        v[t] = 200 + 0.1 * (double)t + weekly[t % 7] + gsl_ran_gaussian(g, 2);
    struct fc_options o;
    fc_options_init(&o);
    o.horizon = (int)H;
    struct fc_result r;
    run(v, n, &o, &r);

    assert_int_equal(r.model, FC_MODEL_HW_WEEKLY);
    assert_true(r.score[FC_MODEL_SNAIVE].scored);
    assert_true(r.score[r.model].mase < r.score[FC_MODEL_SNAIVE].mase);
    assert_true(r.score[r.model].mase < r.score[FC_MODEL_NAIVE].mase);
    assert_true(r.score[r.model].mase < r.score[FC_MODEL_LINEAR].mase);
    assert_int_equal(r.bt_lead, 90);
    assert_true(r.bt_origins >= 4);
    assert_int_equal(r.scale_lag, 7);
    assert_int_equal(r.params.period, 7);
    assert_true(r.params.alpha > 0 && r.params.alpha < 1);
    assert_float_equal(r.params.trend, 0.1, 0.03);
    /* out of sample, against the seasonal naive (the last week repeated) */
    double e_fc = 0, e_sn = 0;
    for (size_t h = 0; h < H; h++) {
        e_fc += fabs(v[n + h] - r.path[h].mean);
        e_sn += fabs(v[n + h] - v[n - 7 + h % 7]);
    }
    print_message("weekly: backtest MASE %.3f (seasonal naive %.3f, naive "
                  "%.3f); 90 fresh days: MAE %.3f against %.3f\n",
                  r.score[r.model].mase, r.score[FC_MODEL_SNAIVE].mase,
                  r.score[FC_MODEL_NAIVE].mase, e_fc / H, e_sn / H);
    assert_true(e_fc < e_sn);
    fc_result_free(&r);
    gsl_rng_free(g);
    free(v);
}

/* A step of +30 (15 sigma) on day 300: found on that day, fitted after. */
static void test_step(void **state)
{
    (void)state;
    size_t n = 400;
    double *v = series(n);
    struct fc_result r;

    for (int dir = -1; dir <= 1; dir += 2) {
        gsl_rng *g = rng(21);
        for (size_t t = 0; t < n; t++)
            v[t] = 300 + 0.05 * (double)t + weekly[t % 7] +
                   gsl_ran_gaussian(g, 2) + (t >= 300 ? dir * 30 : 0);
        run(v, n, NULL, &r);
        assert_true(r.shift);
        assert_int_equal(r.shift_day, D2026 + 300);
        assert_int_equal(r.first_day, D2026 + 300);
        assert_float_equal(r.shift_size, dir * 30, 2.0);
        assert_true(has_note(&r, "level shift of"));
        assert_true(has_note(&r, "2026-10-28"));
        /* 100 days after the shift: short history */
        assert_true(r.short_history == false || r.model == FC_MODEL_LINEAR);
        /* the forecast starts at the new level */
        assert_float_equal(r.path[0].mean,
                           300 + 0.05 * 400 + weekly[400 % 7] + dir * 30, 5.0);
        fc_result_free(&r);
        gsl_rng_free(g);
    }

    /* exact days across the history, noise-free and noisy */
    size_t days[] = {90, 150, 250, 355};
    for (size_t k = 0; k < sizeof(days) / sizeof(days[0]); k++) {
        gsl_rng *g = rng(31 + k);
        for (size_t t = 0; t < n; t++)
            v[t] = 50 + weekly[t % 7] + gsl_ran_gaussian(g, 1) +
                   (t >= days[k] ? 8 : 0);
        struct ls_result ls;
        assert_int_equal(ls_detect(v, n, 28, 7, &ls, NULL), SDC_OK);
        assert_true(ls.found);
        assert_int_equal(ls.day, days[k]);
        gsl_rng_free(g);
    }

    /* no shift: a 10-day burst, noise only, a yearly season */
    {
        gsl_rng *g = rng(41);
        for (size_t t = 0; t < n; t++)
            v[t] = 50 + weekly[t % 7] + gsl_ran_gaussian(g, 1) +
                   (t >= 200 && t < 210 ? 8 : 0);
        run(v, n, NULL, &r);
        assert_false(r.shift);
        assert_int_equal(r.first_day, D2026);
        fc_result_free(&r);
        gsl_rng_free(g);
    }
    free(v);
    {
        size_t ny = 1095;
        double *y = series(ny);
        int found = 0;
        for (unsigned long seed = 0; seed < 20; seed++) {
            gsl_rng *g = rng(500 + seed);
            for (size_t t = 0; t < ny; t++)
                y[t] = 500 + 0.2 * (double)t + weekly[t % 7] +
                       40 * sin(2 * M_PI * (double)t / 365) +
                       gsl_ran_gaussian(g, 4);
            struct ls_result ls;
            assert_int_equal(ls_detect(y, ny, 28, 7, &ls, NULL), SDC_OK);
            found += ls.found;
            gsl_rng_free(g);
        }
        assert_int_equal(found, 0);
        free(y);
    }
}

/*
 * Gaussian noise of known sigma around a line: over 200 seeds the 80%
 * interval holds 75-85% of fresh draws over the 90 days forecast (and the
 * 95% interval 91-98%).
 */
static void test_coverage(void **state)
{
    (void)state;
    const size_t n = 365, H = 90, seeds = 200;
    const double sigma = 5;
    double *v = series(n + H);
    double c80 = 0, c95 = 0, c80_30 = 0;
    struct fc_options o;
    fc_options_init(&o);
    o.horizon = (int)H;

    for (size_t s = 0; s < seeds; s++) {
        gsl_rng *g = rng(1000 + s);
        for (size_t t = 0; t < n + H; t++)
            v[t] = 100 + 0.05 * (double)t + gsl_ran_gaussian(g, sigma);
        struct fc_result r;
        run(v, n, &o, &r);
        size_t in80 = 0, in95 = 0, in80_30 = 0;
        for (size_t h = 0; h < H; h++) {
            double x = v[n + h];
            bool a = x >= r.path[h].lo80 && x <= r.path[h].hi80;
            in80 += a;
            in80_30 += a && h < 30;
            in95 += x >= r.path[h].lo95 && x <= r.path[h].hi95;
        }
        c80 += (double)in80 / (double)H;
        c80_30 += (double)in80_30 / 30.0;
        c95 += (double)in95 / (double)H;
        fc_result_free(&r);
        gsl_rng_free(g);
    }
    c80 /= (double)seeds;
    c95 /= (double)seeds;
    c80_30 /= (double)seeds;
    print_message("coverage over %zu seeds, sigma %.0f, 90 days: 80%% "
                  "interval %.1f%% (first 30 days %.1f%%), 95%% interval "
                  "%.1f%%\n",
                  seeds, sigma, 100 * c80, 100 * c80_30, 100 * c95);
    assert_true(c80 >= 0.75 && c80 <= 0.85);
    assert_true(c80_30 >= 0.75 && c80_30 <= 0.85);
    assert_true(c95 >= 0.91 && c95 <= 0.98);
    free(v);
}

/* ---- hard cases --------------------------------------------------------- */

static void test_degenerate(void **state)
{
    (void)state;
    struct sdc_error err;
    struct fc_result r;
    double v[400] = {0};

    /* empty, no series, no values */
    assert_int_equal(run_err(v, 0, NULL, &err), SDC_ERR_INVALID);
    assert_non_null(strstr(err.msg, "empty series"));
    assert_int_equal(fc_forecast(NULL, NULL, &r, &err), SDC_ERR_INVALID);
    struct fc_series bad = {D2026, NULL, 5};
    assert_int_equal(fc_forecast(&bad, NULL, &r, &err), SDC_ERR_INVALID);

    /* one day, two days */
    v[0] = 42;
    assert_int_equal(run_err(v, 1, NULL, &err), SDC_ERR_INVALID);
    assert_non_null(strstr(err.msg, "only 1 day with data"));
    v[1] = NAN;
    v[2] = 43;
    assert_int_equal(run_err(v, 3, NULL, &err), SDC_ERR_INVALID);
    assert_non_null(strstr(err.msg, "only 2 days with data"));

    /* all UNKNOWN, all absurd */
    for (size_t i = 0; i < 400; i++)
        v[i] = NAN;
    assert_int_equal(run_err(v, 400, NULL, &err), SDC_ERR_INVALID);
    assert_non_null(strstr(err.msg, "no day with data"));
    for (size_t i = 0; i < 400; i++)
        v[i] = i % 2 ? INFINITY : 1e300;
    assert_int_equal(run_err(v, 400, NULL, &err), SDC_ERR_INVALID);
    assert_non_null(strstr(err.msg, "no day with data"));

    /* constant: flat, zero width */
    for (size_t i = 0; i < 400; i++)
        v[i] = 7.5;
    run(v, 400, NULL, &r);
    assert_true(has_note(&r, "constant series"));
    for (size_t i = 0; i < r.horizon; i++) {
        assert_float_equal(r.path[i].mean, 7.5, 0);
        assert_float_equal(r.path[i].lo95, 7.5, 0);
        assert_float_equal(r.path[i].hi95, 7.5, 0);
    }
    fc_result_free(&r);
    /* constant but for a few UNKNOWN days, and 3 days only */
    v[5] = NAN;
    run(v, 3, NULL, &r);
    fc_result_free(&r);

    /* absurd and negative values among good ones: UNKNOWN, with notes */
    gsl_rng *g = rng(3);
    for (size_t i = 0; i < 400; i++)
        v[i] = 100 + 0.1 * (double)i + gsl_ran_gaussian(g, 1);
    v[10] = 1e300;
    v[20] = INFINITY;
    v[30] = -INFINITY;
    v[40] = -5;
    v[399] = 1e300;
    run(v, 400, NULL, &r);
    assert_true(has_note(&r, "4 infinite or out-of-range values"));
    assert_true(has_note(&r, "1 negative values"));
    assert_true(has_note(&r, "no data for the last 1 days"));
    assert_int_equal(r.last_day, D2026 + 398);
    assert_float_equal(r.path[0].mean, 100 + 0.1 * 400, 2.0);
    assert_true(r.path[364].hi95 < 1e4);
    fc_result_free(&r);

    /* negative series allowed without nonneg; huge but valid magnitudes */
    struct fc_options o;
    fc_options_init(&o);
    o.nonneg = false;
    for (size_t i = 0; i < 400; i++)
        v[i] = -1e14 + 1e10 * (double)i + gsl_ran_gaussian(g, 1e9);
    run(v, 400, &o, &r);
    assert_true(r.path[0].mean < 0);
    assert_float_equal(r.params.trend, 1e10, 1e9);
    fc_result_free(&r);
    /* with nonneg the bounds are clamped at 0 */
    for (size_t i = 0; i < 400; i++)
        v[i] = 400 - (double)i + gsl_ran_gaussian(g, 1);
    run(v, 400, NULL, &r);
    assert_float_equal(r.path[364].mean, 0, 0);
    assert_float_equal(r.path[364].lo95, 0, 0);
    fc_result_free(&r);
    gsl_rng_free(g);

    /* options out of range */
    fc_options_init(&o);
    o.horizon = 0;
    assert_int_equal(run_err(v, 400, &o, &err), SDC_ERR_INVALID);
    assert_non_null(strstr(err.msg, "horizon"));
    fc_options_init(&o);
    o.period = 1;
    assert_int_equal(run_err(v, 400, &o, &err), SDC_ERR_INVALID);
    fc_options_init(&o);
    o.period_long = 7;
    assert_int_equal(run_err(v, 400, &o, &err), SDC_ERR_INVALID);
    fc_options_init(&o);
    o.lead_min = 100;
    assert_int_equal(run_err(v, 400, &o, &err), SDC_ERR_INVALID);

    /* helpers on an empty result */
    struct fc_result empty;
    memset(&empty, 0, sizeof(empty));
    struct fc_runway rw;
    struct fc_month *mo;
    size_t nm;
    assert_int_equal(fc_runway(&empty, 1, FC_RISK_EXPECTED, &rw, &err),
                     SDC_ERR_INVALID);
    assert_int_equal(fc_monthly(&empty, &mo, &nm, &err), SDC_ERR_INVALID);
    fc_result_free(NULL);
}

/*
 * Gaps are skipped, not zeroed: a weekly series with 1 day in 10 and a
 * 30-day hole UNKNOWN forecasts like the complete one; leading and trailing
 * UNKNOWN days are left out.
 */
static void test_gaps(void **state)
{
    (void)state;
    size_t n = 420, lead = 10, tail = 5;
    double *full = series(n), *holes = series(n);
    gsl_rng *g = rng(51);
    for (size_t t = 0; t < n; t++) {
        full[t] =
            200 + 0.1 * (double)t + weekly[t % 7] + gsl_ran_gaussian(g, 2);
        bool gap =
            t % 10 == 3 || (t >= 200 && t < 230) || t < lead || t >= n - tail;
        holes[t] = gap ? NAN : full[t];
    }
    struct fc_result a, b;
    run(full, n - tail, NULL, &a);
    run(holes, n, NULL, &b);
    assert_true(has_note(&b, "UNKNOWN days skipped"));
    assert_true(has_note(&b, "no data for the last 5 days"));
    assert_int_equal(b.first_day, D2026 + (int64_t)lead);
    assert_int_equal(b.last_day, D2026 + (int64_t)(n - tail - 1));
    assert_int_equal(b.path_day, D2026 + (int64_t)n);
    assert_int_equal(b.model, FC_MODEL_HW_WEEKLY);
    /* the same days forecast: a.path[tail + i] is b.path[i] */
    double worst = 0;
    for (size_t i = 0; i + tail < a.horizon; i++)
        worst = fmax(worst, fabs(a.path[tail + i].mean - b.path[i].mean));
    print_message("gaps: the forecasts with and without gaps differ by at "
                  "most %.2f (level %.0f, noise sigma 2)\n",
                  worst, b.path[0].mean);
    assert_true(worst < 8);
    /* had they been zeros, the level would have sunk */
    assert_float_equal(b.path[0].mean, 200 + 0.1 * (double)n + weekly[n % 7],
                       4);
    fc_result_free(&a);
    fc_result_free(&b);
    gsl_rng_free(g);
    free(full);
    free(holes);
}

/* Under 90 days: said, linear, and wider than the same line otherwise. */
static void test_short(void **state)
{
    (void)state;
    size_t n = 60;
    double *v = series(n);
    gsl_rng *g = rng(61);
    for (size_t t = 0; t < n; t++)
        v[t] =
            10 + 0.3 * (double)t + weekly[t % 7] / 5 + gsl_ran_gaussian(g, 1);
    struct fc_result r, plain;
    run(v, n, NULL, &r);
    assert_true(r.short_history);
    assert_int_equal(r.model, FC_MODEL_LINEAR);
    assert_true(has_note(&r, "history under 90 days (60 days): linear model, "
                             "interval widened"));
    assert_false(r.score[FC_MODEL_DAMPED].eligible);
    assert_non_null(strstr(r.score[FC_MODEL_DAMPED].why, "under 90 days"));
    assert_true(r.backtest);
    assert_true(r.score[FC_MODEL_NAIVE].scored);
    assert_float_equal(r.params.trend, 0.3, 0.05);

    struct fc_options o;
    fc_options_init(&o);
    o.short_days = 0;
    o.models = 1u << FC_MODEL_LINEAR;
    run(v, n, &o, &plain);
    assert_int_equal(plain.model, FC_MODEL_LINEAR);
    for (size_t i = 0; i < r.horizon; i += 30) {
        double wr = r.path[i].hi80 - r.path[i].lo80;
        double wp = plain.path[i].hi80 - plain.path[i].lo80;
        assert_true(wr >= 1.5 * wp);
    }
    fc_result_free(&plain);
    fc_result_free(&r);

    /* 20 days: no backtest, still a forecast */
    run(v, 20, NULL, &r);
    assert_false(r.backtest);
    assert_true(has_note(&r, "too short for a backtest"));
    fc_result_free(&r);
    gsl_rng_free(g);
    free(v);
}

/*
 * Three years with weekly and yearly seasons: the yearly model takes part
 * and wins; with 800 days it is left out, and says why.
 */
static void test_yearly(void **state)
{
    (void)state;
    size_t n = 1095;
    double *v = series(n);
    gsl_rng *g = rng(71);
    for (size_t t = 0; t < n; t++)
        v[t] = 500 + 0.2 * (double)t + weekly[t % 7] +
               40 * sin(2 * M_PI * (double)t / 365) + gsl_ran_gaussian(g, 4);
    struct fc_result r;
    run(v, n, NULL, &r);
    assert_true(r.score[FC_MODEL_HW_YEARLY].scored);
    assert_int_equal(r.model, FC_MODEL_HW_YEARLY);
    assert_int_equal(r.bt_origins, 5);
    assert_int_equal(r.params.period_long, 365);
    /* a year ahead: on the season, within the 95% band */
    double truth = 500 + 0.2 * (double)(n + 180) + weekly[(n + 180) % 7] +
                   40 * sin(2 * M_PI * (double)(n + 180) / 365);
    assert_true(truth > r.path[180].lo95 && truth < r.path[180].hi95);
    print_message("yearly: MASE yearly %.3f, weekly %.3f, damped %.3f, "
                  "linear %.3f, naive %.3f\n",
                  r.score[FC_MODEL_HW_YEARLY].mase,
                  r.score[FC_MODEL_HW_WEEKLY].mase,
                  r.score[FC_MODEL_DAMPED].mase, r.score[FC_MODEL_LINEAR].mase,
                  r.score[FC_MODEL_NAIVE].mase);
    fc_result_free(&r);

    run(v, 800, NULL, &r);
    assert_false(r.score[FC_MODEL_HW_YEARLY].eligible);
    assert_non_null(strstr(r.score[FC_MODEL_HW_YEARLY].why, "730 days"));
    fc_result_free(&r);
    gsl_rng_free(g);
    free(v);
}

/* The backtest plan and scale (backtest.h). */
static void test_plan(void **state)
{
    (void)state;
    struct fc_options o;
    struct bt_plan p;
    fc_options_init(&o);
    assert_true(bt_plan_make(1095, &o, &p));
    assert_int_equal(p.lead, 90);
    assert_int_equal(p.n_origins, 5);
    assert_int_equal(p.origin[0], 1005);
    assert_int_equal(p.origin[4], 885);
    assert_true(bt_plan_make(100, &o, &p));
    assert_int_equal(p.lead, 30);
    assert_int_equal(p.n_origins, 3);
    assert_true(bt_plan_make(60, &o, &p));
    assert_int_equal(p.lead, 20);
    assert_false(bt_plan_make(20, &o, &p));

    double y[30];
    int lag;
    for (size_t t = 0; t < 30; t++)
        y[t] = (double)(t % 7) + 0.5 * (double)t;
    assert_float_equal(bt_scale(y, 30, 7, &lag), 3.5, 1e-12);
    assert_int_equal(lag, 7);
    /* 5 pairs a week apart are too few: day to day, 10 steps of 1.5 and
     * one of -5.5 */
    assert_float_equal(bt_scale(y, 12, 7, &lag), 20.5 / 11, 1e-12);
    assert_int_equal(lag, 1);
}

/* ---- M4 weekly ------------------------------------------------------------
 */

struct m4 {
    char id[64];
    double *v;
    size_t n;
};

/* The rows of a quoted M4 CSV (first field the id, then values). */
static size_t m4_read(const char *path, struct m4 *rows, size_t max)
{
    char *text = tu_read_file(path);
    if (!text)
        return 0;
    size_t k = 0;
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save); /* header */
    while ((line = strtok_r(NULL, "\n", &save)) && k < max) {
        struct m4 *r = &rows[k];
        size_t cap = 64;
        r->v = series(cap);
        r->n = 0;
        char *p = line;
        int field = 0;
        while (*p) {
            char buf[64];
            size_t len = 0;
            if (*p == '"')
                p++;
            while (*p && *p != '"' && *p != ',' && *p != '\r' &&
                   len < sizeof(buf) - 1)
                buf[len++] = *p++;
            buf[len] = '\0';
            if (*p == '"')
                p++;
            if (field == 0) {
                snprintf(r->id, sizeof(r->id), "%s", buf);
            } else if (len > 0) {
                if (r->n == cap) {
                    cap *= 2;
                    r->v = realloc(r->v, cap * sizeof(*r->v));
                    assert_non_null(r->v);
                }
                r->v[r->n++] = strtod(buf, NULL);
            }
            field++;
            if (*p == ',')
                p++;
            else
                break;
        }
        k++;
    }
    free(text);
    return k;
}

static double smape(const double *y, const double *f, size_t h)
{
    double s = 0;
    for (size_t i = 0; i < h; i++)
        s += 2 * fabs(y[i] - f[i]) / (fabs(y[i]) + fabs(f[i]));
    return 100 * s / (double)h;
}

/* M4's MASE for weekly data: scaled by the in-sample naive (lag 1). */
static double m4_mase(const double *train, size_t n, const double *y,
                      const double *f, size_t h)
{
    double sc = 0, e = 0;
    for (size_t t = 1; t < n; t++)
        sc += fabs(train[t] - train[t - 1]);
    sc /= (double)(n - 1);
    for (size_t i = 0; i < h; i++)
        e += fabs(y[i] - f[i]);
    return e / (double)h / sc;
}

/* One row of the published accuracy file: sMAPE and MASE, weekly. */
static bool published(const char *text, const char *method, double *sm,
                      double *ms)
{
    char key[64];
    snprintf(key, sizeof(key), "\n%s,", method);
    const char *p = strstr(text, key);
    if (!p)
        return false;
    p += strlen(key);
    double f[14];
    for (int i = 0; i < 14; i++) {
        char *end;
        f[i] = strtod(p, &end);
        p = *end == ',' ? end + 1 : end;
    }
    /* smape_yearly .. smape_total (7), mase_yearly .. ; weekly is 4th */
    *sm = f[3];
    *ms = f[10];
    return true;
}

static void test_m4_weekly(void **state)
{
    (void)state;
    const char *sh = tu_shared_dir();
    char tr[512], te[512], acc[512];
    if (!sh) {
        print_message("M4 weekly: ../shared absent, skipped\n");
        skip();
    }
    snprintf(tr, sizeof(tr),
             "%s/data/forecasting-benchmarks/m4_weekly_60series_train.csv", sh);
    snprintf(te, sizeof(te),
             "%s/data/forecasting-benchmarks/m4_weekly_60series_test.csv", sh);
    snprintf(acc, sizeof(acc),
             "%s/data/forecasting-benchmarks/"
             "m4_published_point_forecast_accuracy_by_frequency.csv",
             sh);
    static struct m4 train[60], test[60];
    size_t nt = m4_read(tr, train, 60), ne = m4_read(te, test, 60);
    if (nt == 0 || ne == 0) {
        print_message("M4 weekly: %s or %s missing, skipped\n", tr, te);
        skip();
    }
    assert_int_equal(nt, 60);
    assert_int_equal(ne, 60);

    /* weekly data: a 52-step season, no long one, backtests 13 steps ahead
     * (M4's horizon), MASE scaled by the naive forecast as M4 does */
    struct fc_options o;
    fc_options_init(&o);
    o.horizon = 13;
    o.period = 52;
    o.period_long = 0;
    o.scale_period = 1;
    o.lead_min = 13;
    o.lead_max = 13;
    o.short_days = 0;
    double s_ours = 0, m_ours = 0, s_naive = 0, m_naive = 0;
    int chosen[FC_MODEL_COUNT] = {0};
    for (size_t i = 0; i < 60; i++) {
        assert_string_equal(train[i].id, test[i].id);
        assert_int_equal(test[i].n, 13);
        struct fc_result r;
        run(train[i].v, train[i].n, &o, &r);
        double f[13], nv[13];
        for (size_t h = 0; h < 13; h++) {
            f[h] = r.path[h].mean;
            nv[h] = train[i].v[train[i].n - 1];
        }
        chosen[r.model]++;
        s_ours += smape(test[i].v, f, 13);
        m_ours += m4_mase(train[i].v, train[i].n, test[i].v, f, 13);
        s_naive += smape(test[i].v, nv, 13);
        m_naive += m4_mase(train[i].v, train[i].n, test[i].v, nv, 13);
        fc_result_free(&r);
        free(train[i].v);
        free(test[i].v);
    }
    s_ours /= 60;
    m_ours /= 60;
    s_naive /= 60;
    m_naive /= 60;
    print_message("M4 weekly, 60 series, h = 13: ours sMAPE %.3f MASE %.3f "
                  "(%.3f of Naive's); naive on the same series sMAPE %.3f "
                  "MASE %.3f\n",
                  s_ours, m_ours, m_ours / m_naive, s_naive, m_naive);
    print_message("  chosen: linear %d, damped %d, Holt-Winters (52) %d\n",
                  chosen[FC_MODEL_LINEAR], chosen[FC_MODEL_DAMPED],
                  chosen[FC_MODEL_HW_WEEKLY]);
    char *text = tu_read_file(acc);
    if (text) {
        const char *methods[] = {"Naive", "sNaive", "Naive2", "SES",
                                 "Holt",  "Damped", "Theta",  "Com"};
        for (size_t k = 0; k < sizeof(methods) / sizeof(methods[0]); k++) {
            double sm, ms;
            double sn, mn;
            if (published(text, methods[k], &sm, &ms) &&
                published(text, "Naive", &sn, &mn))
                print_message("  published (all 359 weekly series) %-7s "
                              "sMAPE %.3f MASE %.3f (%.3f of Naive's)\n",
                              methods[k], sm, ms, ms / mn);
        }
        free(text);
    }
    /* a sane bound: better than the naive forecast on the same series */
    assert_true(m_ours < m_naive);
    assert_true(s_ours < s_naive * 1.05);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_exact),
        cmocka_unit_test(test_days),
        cmocka_unit_test(test_weekly_seasonal),
        cmocka_unit_test(test_step),
        cmocka_unit_test(test_coverage),
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_gaps),
        cmocka_unit_test(test_short),
        cmocka_unit_test(test_yearly),
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_m4_weekly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
