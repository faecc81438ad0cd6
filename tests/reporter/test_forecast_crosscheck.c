/*
 * test_forecast_crosscheck.c - the forecasting core's model fitting against
 * an independent implementation: the same rolling-origin backtest (same
 * series, same origins and lead, same MASE scale) run by
 * tests/reporter/crosscheck-forecast with R's forecast package (ets: AAdN,
 * AAA) and base R's HoltWinters and lm.
 *
 * Series: synthetic daily ones (weekly season with trend, noise around a
 * level, a damped trend, autocorrelated noise with a weekly season, three
 * years with a yearly season) and M4 weekly series (52-step season, 13
 * steps ahead, as M4's horizon; skipped when ../shared is absent).
 *
 * Rule: for each series, ratio = our backtest MASE of the model we choose /
 * the lowest backtest MASE among R's four candidates (lm trend, ets AAdN,
 * ets AAA, HoltWinters); the mean of the ratios over all series must be
 * <= 1.10 (better is fine).  Both sides compute the MASE scale, which must
 * agree to 1e-9, so the two backtests saw the same data.  Per-model pairs
 * (our damped trend against ets AAdN, our weekly Holt-Winters against
 * HoltWinters and ets AAA) are printed, not asserted.
 *
 * Needs Rscript with the forecast package (scripts/deps --test installs
 * r-cran-forecast): fails under CI without it, skips otherwise.
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
#include "testutil.h"

#define MAX_SERIES 16
#define RATIO_MAX 1.10

struct xs {
    char id[100];
    double *v;
    size_t n;
    struct fc_options o;
    struct bt_plan plan;
    /* ours */
    enum fc_model model;
    double mase[FC_MODEL_COUNT];
    bool scored[FC_MODEL_COUNT];
    double scale;
    /* theirs */
    double r_best, r_linear, r_damped, r_hw_ets, r_hw, r_naive, r_scale;
};

static struct xs xs[MAX_SERIES];
static size_t nxs;

static double *alloc_series(size_t n)
{
    double *v = malloc(n * sizeof(*v));
    assert_non_null(v);
    return v;
}

static struct xs *add(const char *id, size_t n)
{
    assert_true(nxs < MAX_SERIES);
    struct xs *s = &xs[nxs++];
    memset(s, 0, sizeof(*s));
    snprintf(s->id, sizeof(s->id), "%s", id);
    s->v = alloc_series(n);
    s->n = n;
    fc_options_init(&s->o);
    s->o.detect_shift = false; /* both sides fit the same days */
    s->o.horizon = 30;
    return s;
}

static void synthetic(void)
{
    static const double wk[7] = {5, 8, 8, 7, 6, -15, -19};
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(g);
    gsl_rng_set(g, 2024);

    struct xs *s = add("weekly_trend", 400);
    for (size_t t = 0; t < s->n; t++)
        s->v[t] = 200 + 0.1 * (double)t + wk[t % 7] + gsl_ran_gaussian(g, 2);

    s = add("level_noise", 365);
    for (size_t t = 0; t < s->n; t++)
        s->v[t] = 50 + gsl_ran_gaussian(g, 3);

    /* growth that slows down, random-walk level */
    s = add("damped_growth", 500);
    double lvl = 100, b = 1.0;
    for (size_t t = 0; t < s->n; t++) {
        b *= 0.995;
        lvl += b + gsl_ran_gaussian(g, 0.5);
        s->v[t] = lvl + gsl_ran_gaussian(g, 1);
    }

    s = add("weekly_ar1", 420);
    double ar = 0;
    for (size_t t = 0; t < s->n; t++) {
        ar = 0.6 * ar + gsl_ran_gaussian(g, 2);
        s->v[t] = 80 + 0.03 * (double)t + wk[t % 7] / 2 + ar;
    }

    s = add("yearly_3y", 1095);
    for (size_t t = 0; t < s->n; t++)
        s->v[t] = 500 + 0.2 * (double)t + wk[t % 7] +
                  40 * sin(2 * M_PI * (double)t / 365) + gsl_ran_gaussian(g, 4);
    gsl_rng_free(g);
}

/* The first M4 weekly series of 300..1200 weeks (at most @max). */
static void m4(size_t max)
{
    const char *sh = tu_shared_dir();
    char path[512];
    if (!sh)
        return;
    snprintf(path, sizeof(path),
             "%s/data/forecasting-benchmarks/m4_weekly_60series_train.csv", sh);
    char *text = tu_read_file(path);
    if (!text)
        return;
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    size_t got = 0;
    while ((line = strtok_r(NULL, "\n", &save)) && got < max) {
        char id[96] = "";
        double *v = alloc_series(2400);
        size_t n = 0;
        int field = 0;
        for (char *p = line; *p;) {
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
            if (field == 0)
                snprintf(id, sizeof(id), "m4_%s", buf);
            else if (len > 0 && n < 2400)
                v[n++] = strtod(buf, NULL);
            field++;
            if (*p != ',')
                break;
            p++;
        }
        if (n >= 300 && n <= 1200) {
            struct xs *s = add(id, n);
            memcpy(s->v, v, n * sizeof(*v));
            s->o.period = 52;
            s->o.period_long = 0;
            s->o.scale_period = 1;
            s->o.lead_min = 13;
            s->o.lead_max = 13;
            s->o.horizon = 13;
            got++;
        }
        free(v);
    }
    free(text);
}

static void ours(struct xs *s)
{
    struct fc_series se = {0, s->v, s->n};
    struct fc_result r;
    struct sdc_error err;
    if (fc_forecast(&se, &s->o, &r, &err) != SDC_OK)
        fail_msg("%s: %s", s->id, err.msg);
    assert_false(r.shift);
    assert_true(bt_plan_make(s->n, &s->o, &s->plan));
    assert_int_equal(r.bt_origins, (int)s->plan.n_origins);
    assert_int_equal(r.bt_lead, (int)s->plan.lead);
    s->model = r.model;
    s->scale = r.scale;
    for (int m = 0; m < FC_MODEL_COUNT; m++) {
        s->scored[m] = r.score[m].scored;
        s->mase[m] = r.score[m].mase;
    }
    assert_true(s->scored[r.model]);
    fc_result_free(&r);
}

static bool write_input(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    for (size_t i = 0; i < nxs; i++) {
        struct xs *s = &xs[i];
        int lag = s->o.scale_period;
        fprintf(f, "%s,%d,%zu,%d,%zu", s->id, s->o.period, s->plan.lead, lag,
                s->plan.n_origins);
        for (size_t k = 0; k < s->plan.n_origins; k++)
            fprintf(f, ",%zu", s->plan.origin[k]);
        for (size_t t = 0; t < s->n; t++)
            fprintf(f, ",%.17g", s->v[t]);
        fputc('\n', f);
    }
    return fclose(f) == 0;
}

static double *theirs_field(struct xs *s, const char *model)
{
    static const struct {
        const char *name;
        size_t off;
    } map[] = {
        {"best", offsetof(struct xs, r_best)},
        {"linear", offsetof(struct xs, r_linear)},
        {"damped_ets", offsetof(struct xs, r_damped)},
        {"hw_ets", offsetof(struct xs, r_hw_ets)},
        {"hw_holtwinters", offsetof(struct xs, r_hw)},
        {"naive", offsetof(struct xs, r_naive)},
        {"scale", offsetof(struct xs, r_scale)},
    };
    for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++)
        if (strcmp(map[k].name, model) == 0)
            return (double *)((char *)s + map[k].off);
    return NULL;
}

static void read_output(const char *path)
{
    char *text = tu_read_file(path);
    assert_non_null(text);
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        if (!c2)
            fail_msg("crosscheck-forecast: bad line '%s'", line);
        *c1 = *c2 = '\0';
        for (size_t i = 0; i < nxs; i++) {
            if (strcmp(xs[i].id, line) != 0)
                continue;
            double *dst = theirs_field(&xs[i], c1 + 1);
            if (dst)
                *dst = strcmp(c2 + 1, "NA") == 0 ? NAN : strtod(c2 + 1, NULL);
        }
    }
    free(text);
}

static void test_crosscheck(void **state)
{
    (void)state;
    if (!tu_which("Rscript") ||
        tu_run("Rscript -e 'quit(status = !requireNamespace(\"forecast\", "
               "quietly = TRUE))'",
               NULL) != 0) {
        if (getenv("CI"))
            fail_msg("Rscript with the forecast package is missing "
                     "(scripts/deps --test installs r-cran-forecast)");
        print_message("crosscheck: Rscript or R's forecast package missing, "
                      "skipped (scripts/deps --test installs "
                      "r-cran-forecast)\n");
        skip();
    }
    synthetic();
    m4(6);
    for (size_t i = 0; i < nxs; i++)
        ours(&xs[i]);

    char *dir = tu_tmpdir("fc-crosscheck");
    assert_non_null(dir);
    char in[600], out[600];
    snprintf(in, sizeof(in), "%s/in.csv", dir);
    snprintf(out, sizeof(out), "%s/out.csv", dir);
    assert_true(write_input(in));
    char *log = NULL;
    int st = tu_runf(&log,
                     "Rscript '%s/tests/reporter/crosscheck-forecast' "
                     "'%s' '%s' 2>&1",
                     SDC_SOURCE_DIR, in, out);
    if (st != 0)
        fail_msg("crosscheck-forecast failed (%d):\n%s", st, log ? log : "");
    free(log);
    read_output(out);

    print_message("%-16s %-19s %7s %7s %6s | %7s %7s %7s %7s | %7s %7s\n",
                  "series", "our model", "ours", "R best", "ratio", "damped",
                  "AAdN", "HW", "R HW", "naive", "R naive");
    double sum = 0;
    for (size_t i = 0; i < nxs; i++) {
        struct xs *s = &xs[i];
        if (fabs(s->r_scale - s->scale) > 1e-9 * fabs(s->scale))
            fail_msg("%s: MASE scales differ: ours %.17g, R %.17g", s->id,
                     s->scale, s->r_scale);
        /* the naive forecast is the same arithmetic on both sides */
        assert_float_equal(s->mase[FC_MODEL_NAIVE], s->r_naive,
                           1e-6 * s->r_naive);
        if (!isfinite(s->r_best))
            fail_msg("%s: no R model could be fitted", s->id);
        double ratio = s->mase[s->model] / s->r_best;
        sum += ratio;
        print_message(
            "%-16s %-19s %7.3f %7.3f %6.3f | %7.3f %7.3f %7.3f "
            "%7.3f | %7.3f %7.3f\n",
            s->id, fc_model_name(s->model), s->mase[s->model], s->r_best, ratio,
            s->mase[FC_MODEL_DAMPED], s->r_damped, s->mase[FC_MODEL_HW_WEEKLY],
            isfinite(s->r_hw_ets) ? fmin(s->r_hw_ets, s->r_hw) : s->r_hw,
            s->mase[FC_MODEL_NAIVE], s->r_naive);
    }
    double mean = sum / (double)nxs;
    print_message("mean of ours / R's best over %zu series: %.3f (rule: <= "
                  "%.2f)\n",
                  nxs, mean, RATIO_MAX);
    assert_true(mean <= RATIO_MAX);

    tu_rmrf(dir);
    free(dir);
    for (size_t i = 0; i < nxs; i++)
        free(xs[i].v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crosscheck),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
