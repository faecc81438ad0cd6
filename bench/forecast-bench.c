/*
 * forecast-bench.c - wall time of the augmentation projection's forecasting
 * core (reporter/forecast.h) on 60 synthetic resources with 3 years of daily
 * history: trend + weekly + yearly season + noise, a level shift in every
 * third, a few UNKNOWN days in every fifth.  Each run forecasts all 60 (fit
 * every model, backtests, intervals, 365-day path, runway, monthly path),
 * spread over THREADS threads.  Built and run by bench/forecast-bench.
 *
 * Usage: forecast-bench [RESOURCES] [DAYS] [RUNS] [THREADS]
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "forecast.h"

struct res {
    double *v;
    size_t n;
    size_t shift_day; /* 0 = none */
    double capacity;
    struct fc_result r;
    struct fc_runway rw;
    enum sdc_rc rc;
};

struct job {
    struct res *res;
    size_t count;
    atomic_size_t next;
    atomic_int failed;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *worker(void *arg)
{
    struct job *j = arg;
    struct fc_options o;
    fc_options_init(&o);
    o.horizon = 365;
    for (;;) {
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->count)
            break;
        struct res *r = &j->res[i];
        struct fc_series s = {20454, r->v, r->n};
        struct sdc_error err;
        fc_result_free(&r->r);
        r->rc = fc_forecast(&s, &o, &r->r, &err);
        if (r->rc != SDC_OK) {
            fprintf(stderr, "resource %zu: %s\n", i, err.msg);
            atomic_store(&j->failed, 1);
            continue;
        }
        struct fc_month *mo;
        size_t nm;
        fc_runway(&r->r, 0.8 * r->capacity, FC_RISK_CONSERVATIVE, &r->rw, &err);
        if (fc_monthly(&r->r, &mo, &nm, &err) == SDC_OK)
            free(mo);
    }
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    size_t nres = argc > 1 ? strtoul(argv[1], NULL, 10) : 60;
    size_t days = argc > 2 ? strtoul(argv[2], NULL, 10) : 1095;
    int runs = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 5;
    int threads = argc > 4 ? (int)strtol(argv[4], NULL, 10) : 2;
    if (nres == 0 || days < 3 || runs < 1 || threads < 1 || threads > 64) {
        fprintf(stderr, "usage: forecast-bench [RESOURCES] [DAYS] [RUNS] "
                        "[THREADS]\n");
        return 2;
    }

    struct res *res = calloc(nres, sizeof(*res));
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    if (!res || !g)
        return 1;
    gsl_rng_set(g, 2026);
    for (size_t i = 0; i < nres; i++) {
        struct res *r = &res[i];
        r->n = days;
        r->v = malloc(days * sizeof(*r->v));
        if (!r->v)
            return 1;
        double base = 50 + gsl_rng_uniform(g) * 450;
        double slope = base * (0.0002 + 0.0008 * gsl_rng_uniform(g));
        double wamp = base * 0.05 * gsl_rng_uniform(g);
        double yamp = base * 0.10 * gsl_rng_uniform(g);
        double sigma = base * (0.01 + 0.03 * gsl_rng_uniform(g));
        double phase = 2 * M_PI * gsl_rng_uniform(g);
        double shift = 0;
        if (i % 3 == 1) {
            r->shift_day = 400 + gsl_rng_uniform_int(g, days - 500);
            shift = base * (gsl_rng_uniform(g) < 0.5 ? -0.2 : 0.25);
        }
        r->capacity = base * 2;
        for (size_t t = 0; t < days; t++) {
            double dow = (t % 7 >= 5) ? -wamp : wamp * 0.4;
            r->v[t] = base + slope * (double)t + dow +
                      yamp * sin(2 * M_PI * (double)t / 365.25 + phase) +
                      gsl_ran_gaussian(g, sigma) +
                      (r->shift_day && t >= r->shift_day ? shift : 0);
            if (i % 5 == 2 && gsl_rng_uniform(g) < 0.03)
                r->v[t] = NAN;
        }
    }
    gsl_rng_free(g);

    double *wall = calloc((size_t)runs, sizeof(*wall));
    if (!wall)
        return 1;
    for (int k = 0; k < runs; k++) {
        struct job j = {.res = res, .count = nres};
        pthread_t tid[64];
        atomic_init(&j.next, 0);
        atomic_init(&j.failed, 0);
        double t0 = now();
        for (int t = 0; t < threads; t++)
            pthread_create(&tid[t], NULL, worker, &j);
        for (int t = 0; t < threads; t++)
            pthread_join(tid[t], NULL);
        wall[k] = now() - t0;
        if (atomic_load(&j.failed))
            return 1;
        printf("run %d: %zu resources x %zu days, %d thread%s: %.3f s\n", k + 1,
               nres, days, threads, threads > 1 ? "s" : "", wall[k]);
    }
    qsort(wall, (size_t)runs, sizeof(*wall), cmp);
    printf("median %.3f s (min %.3f, max %.3f)\n", wall[runs / 2], wall[0],
           wall[runs - 1]);

    /* what was found */
    int chosen[FC_MODEL_COUNT] = {0}, planted = 0, found = 0, exact = 0,
        near = 0, spurious = 0;
    double mase = 0, naive = 0;
    for (size_t i = 0; i < nres; i++) {
        struct fc_result *r = &res[i].r;
        chosen[r->model]++;
        mase += r->score[r->model].mase;
        naive += r->score[FC_MODEL_NAIVE].mase;
        if (res[i].shift_day) {
            planted++;
            if (r->shift) {
                found++;
                long d = (long)(r->shift_day - 20454) - (long)res[i].shift_day;
                exact += d == 0;
                near += labs(d) <= 3;
            }
        } else if (r->shift) {
            spurious++;
        }
    }
    printf("chosen:");
    for (int m = 0; m < FC_MODEL_CANDIDATES; m++)
        printf(" %s %d", fc_model_key((enum fc_model)m), chosen[m]);
    printf("\nmean backtest MASE: chosen %.3f, naive %.3f\n",
           mase / (double)nres, naive / (double)nres);
    printf("level shifts: %d planted, %d found (%d on the day, %d within 3 "
           "days), %d found where none was planted\n",
           planted, found, exact, near, spurious);
    for (size_t i = 0; i < nres; i++) {
        fc_result_free(&res[i].r);
        free(res[i].v);
    }
    free(res);
    free(wall);
    return 0;
}
