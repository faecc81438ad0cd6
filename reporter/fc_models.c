/*
 * fc_models.c - linear trend, damped trend, Holt-Winters (weekly; yearly
 * and weekly), naive and seasonal naive: fitting and h-step forecasts with
 * their standard deviations (fc_models.h).  Least squares and the simplex
 * search are GSL's.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_fit.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_vector.h>

#include "fc_models.h"

/* Bounds of the smoothing parameters (fc_models.h). */
#define PAR_LO 1e-4
#define PAR_HI 0.9999
#define PHI_LO 0.80
#define PHI_HI 0.98

/* Simplex search: stop when the simplex is this small in the transformed
 * parameters, or after this many iterations. */
#define NM_SIZE_TOL 1e-3
#define NM_MAX_ITER 500
#define NM_STEP 1.0
#define NM_STEP_WARM 0.3
/* Box of the transformed parameters (logistic(-10) = 4.5e-5). */
#define U_MAX 10.0

/* Objective returned for parameters whose recursion overflows. */
#define OBJ_HUGE 1e300

/* Days of the damped trend's initial least-squares line. */
#define DAMPED_INIT_DAYS 28
/* Harmonics of each season in the initial fit. */
#define HARM_SHORT 3
#define HARM_LONG 2
/* Width of the moving average smoothing the initial yearly profile. */
#define LONG_SMOOTH 7

static double logistic(double u)
{
    return 1.0 / (1.0 + exp(-u));
}

static double to_range(double u, double lo, double hi)
{
    return lo + (hi - lo) * logistic(u);
}

static double from_range(double p, double lo, double hi)
{
    double x = (p - lo) / (hi - lo);
    return log(x / (1.0 - x));
}

size_t fcm_min_days(enum fc_model m, const struct fcm_cfg *cfg)
{
    size_t m1 = (size_t)cfg->period;
    switch (m) {
    case FC_MODEL_LINEAR:
        return 3;
    case FC_MODEL_DAMPED:
        return 10;
    case FC_MODEL_HW_WEEKLY:
        return 2 * m1 > 14 ? 2 * m1 : 14;
    case FC_MODEL_HW_YEARLY:
        if (cfg->period_long <= cfg->period)
            return SIZE_MAX;
        return 2 * (size_t)cfg->period_long;
    case FC_MODEL_NAIVE:
        return 2;
    case FC_MODEL_SNAIVE:
        return m1 + 1;
    case FC_MODEL_COUNT:
    default:
        return SIZE_MAX;
    }
}

/* ---- initial states ------------------------------------------------------ */

/* Harmonics of a season of @m days that are not aliased on whole days. */
static int harmonics(int m, int cap)
{
    int h = (m - 1) / 2;
    return m > 1 ? (h < cap ? h : cap) : 0;
}

/*
 * The line a + b t through @y[0 .. @w), fitted together with Fourier terms
 * of the seasons @m1 and @m2 (1 = none) so that a season does not tilt it.
 * Falls back to a plain line when the window has too few days for the
 * terms, and to a flat line through the first value with fewer than 2 days.
 */
static enum sdc_rc init_line(const double *y, size_t w, int m1, int m2,
                             double *a, double *b, struct sdc_error *err)
{
    int h1 = harmonics(m1, HARM_SHORT), h2 = harmonics(m2, HARM_LONG);
    size_t p = 2 + 2 * (size_t)h1 + 2 * (size_t)h2;
    size_t nk = 0;
    enum sdc_rc rc = SDC_OK;

    for (size_t t = 0; t < w; t++)
        nk += !isnan(y[t]);
    *a = 0;
    *b = 0;
    if (nk < 2) {
        for (size_t t = 0; t < w; t++)
            if (!isnan(y[t])) {
                *a = y[t];
                break;
            }
        return SDC_OK;
    }
    if (nk < p + 4)
        p = 2;

    gsl_matrix *X = gsl_matrix_alloc(nk, p);
    gsl_vector *yv = gsl_vector_alloc(nk);
    gsl_vector *c = gsl_vector_alloc(p);
    gsl_matrix *cov = gsl_matrix_alloc(p, p);
    gsl_multifit_linear_workspace *ws = gsl_multifit_linear_alloc(nk, p);
    if (!X || !yv || !c || !cov || !ws) {
        rc = sdc_error_set(err, SDC_ERR_NOMEM, "forecast: out of memory");
        goto cleanup;
    }
    size_t r = 0;
    for (size_t t = 0; t < w; t++) {
        if (isnan(y[t]))
            continue;
        size_t col = 0;
        gsl_matrix_set(X, r, col++, 1.0);
        gsl_matrix_set(X, r, col++, (double)t);
        if (p > 2) {
            for (int k = 1; k <= h1; k++) {
                double ang = 2 * M_PI * k * (double)(t % (size_t)m1) / m1;
                gsl_matrix_set(X, r, col++, cos(ang));
                gsl_matrix_set(X, r, col++, sin(ang));
            }
            for (int k = 1; k <= h2; k++) {
                double ang = 2 * M_PI * k * (double)(t % (size_t)m2) / m2;
                gsl_matrix_set(X, r, col++, cos(ang));
                gsl_matrix_set(X, r, col++, sin(ang));
            }
        }
        gsl_vector_set(yv, r, y[t]);
        r++;
    }
    double chisq;
    if (gsl_multifit_linear(X, yv, c, cov, &chisq, ws) != GSL_SUCCESS) {
        rc = sdc_error_set(err, SDC_ERR_INVALID,
                           "forecast: initial least squares failed");
        goto cleanup;
    }
    *a = gsl_vector_get(c, 0);
    *b = gsl_vector_get(c, 1);
cleanup:
    gsl_multifit_linear_free(ws);
    gsl_matrix_free(cov);
    gsl_vector_free(c);
    gsl_vector_free(yv);
    gsl_matrix_free(X);
    return rc;
}

/*
 * The mean of @r[t] (NaN = none) over t in [0, @w) with t mod @m = j, for
 * each phase j, centred on zero; a phase with no day is 0.  @smooth > 1
 * first replaces each phase by the mean of the @smooth phases around it
 * (circularly).  Returns the mean taken out (the level of @r).
 */
static double init_profile(const double *r, size_t w, int m, int smooth,
                           double *s)
{
    double sum[FC_PERIOD_MAX], tmp[FC_PERIOD_MAX];
    size_t cnt[FC_PERIOD_MAX];

    for (int j = 0; j < m; j++) {
        sum[j] = 0;
        cnt[j] = 0;
    }
    for (size_t t = 0, j = 0; t < w; t++) {
        if (!isnan(r[t])) {
            sum[j] += r[t];
            cnt[j]++;
        }
        if (++j == (size_t)m)
            j = 0;
    }
    for (int j = 0; j < m; j++)
        tmp[j] = cnt[j] ? sum[j] / (double)cnt[j] : NAN;
    if (smooth > 1) {
        int half = smooth / 2;
        for (int j = 0; j < m; j++) {
            double acc = 0;
            int k = 0;
            for (int d = -half; d <= half; d++) {
                double v = tmp[((j + d) % m + m) % m];
                if (!isnan(v)) {
                    acc += v;
                    k++;
                }
            }
            s[j] = k ? acc / k : 0;
        }
    } else {
        for (int j = 0; j < m; j++)
            s[j] = isnan(tmp[j]) ? 0 : tmp[j];
    }
    double mean = 0;
    for (int j = 0; j < m; j++)
        mean += s[j];
    mean /= m;
    for (int j = 0; j < m; j++)
        s[j] -= mean;
    return mean;
}

/* ---- exponential smoothing ----------------------------------------------- */

struct ets_prob {
    const double *y;
    size_t n;
    bool damped;
    int m1; /* 1 = no season */
    int m2;
    double l0; /* state before day 0 */
    double b0;
    const double *s1_0; /* initial profiles */
    const double *s2_0;
    double *w1; /* working profiles */
    double *w2;
    double *ch[4]; /* profiles of the level and trend unit responses */
};

struct ets_par {
    double alpha;
    double beta;
    double phi;
    double gamma;
    double gamma_long;
};

static int ets_npar(const struct ets_prob *pr)
{
    return 2 + pr->damped + (pr->m1 > 1) + (pr->m2 > 1);
}

static struct ets_par ets_decode(const struct ets_prob *pr, const double *u)
{
    struct ets_par p = {0, 0, 1.0, 0, 0};
    int k = 0;
    p.alpha = to_range(u[k++], PAR_LO, PAR_HI);
    p.beta = p.alpha * to_range(u[k++], PAR_LO, PAR_HI);
    if (pr->damped)
        p.phi = to_range(u[k++], PHI_LO, PHI_HI);
    if (pr->m1 > 1)
        p.gamma = (1 - p.alpha) * to_range(u[k++], PAR_LO, PAR_HI);
    if (pr->m2 > 1)
        p.gamma_long = (1 - p.alpha) * to_range(u[k++], PAR_LO, PAR_HI);
    return p;
}

/* The default start: alpha 0.2, b* 0.1, phi 0.95, g* 0.1. */
static void ets_start(const struct ets_prob *pr, double *u)
{
    int k = 0;
    u[k++] = from_range(0.2, PAR_LO, PAR_HI);
    u[k++] = from_range(0.1, PAR_LO, PAR_HI);
    if (pr->damped)
        u[k++] = from_range(0.95, PHI_LO, PHI_HI);
    if (pr->m1 > 1)
        u[k++] = from_range(0.1, PAR_LO, PAR_HI);
    if (pr->m2 > 1)
        u[k++] = from_range(0.1, PAR_LO, PAR_HI);
}

struct ets_out {
    double level;
    double trend;
    size_t j1; /* phase of the next day */
    size_t j2;
    double sse;
    size_t cnt;
};

/* One pass of the recursion over the data; the profiles end in w1, w2. */
static void ets_run(const struct ets_prob *pr, const struct ets_par *p,
                    struct ets_out *o)
{
    const double *y = pr->y;
    double *w1 = pr->w1, *w2 = pr->w2;
    double l = pr->l0, b = pr->b0, sse = 0;
    const double alpha = p->alpha, beta = p->beta, phi = p->phi;
    const double g1 = p->gamma, g2 = p->gamma_long;
    size_t cnt = 0, j1 = 0, j2 = 0;
    const size_t m1 = (size_t)pr->m1, m2 = (size_t)pr->m2;

    memcpy(w1, pr->s1_0, m1 * sizeof(*w1));
    memcpy(w2, pr->s2_0, m2 * sizeof(*w2));
    for (size_t t = 0; t < pr->n; t++) {
        double pb = phi * b;
        double f = l + pb + w1[j1] + w2[j2];
        double e = 0;
        if (!isnan(y[t])) {
            e = y[t] - f;
            sse += e * e;
            cnt++;
        }
        l = l + pb + alpha * e;
        b = pb + beta * e;
        w1[j1] += g1 * e;
        w2[j2] += g2 * e;
        if (++j1 == m1)
            j1 = 0;
        if (++j2 == m2)
            j2 = 0;
    }
    o->level = l;
    o->trend = b;
    o->j1 = j1;
    o->j2 = j2;
    o->sse = sse;
    o->cnt = cnt;
}

/*
 * The recursion with the initial level and trend chosen by least squares:
 * the one-step errors are linear in them (e = e0 - a dl - b db, with a and
 * b the responses of the forecast to a unit change of the initial level
 * and trend, run through the same recursion without data), so for given
 * smoothing parameters the best (dl, db) solve 2 x 2 normal equations
 * (GSL's Cholesky).  Returns the least sum of squares; *@dl, *@db the
 * corrections.
 */
static double ets_run_ls(const struct ets_prob *pr, const struct ets_par *p,
                         double *dl, double *db, size_t *cnt_out)
{
    const double *y = pr->y;
    double *w1 = pr->w1, *w2 = pr->w2;
    double *a1 = pr->ch[0], *a2 = pr->ch[1], *b1 = pr->ch[2], *b2 = pr->ch[3];
    double l = pr->l0, b = pr->b0, la = 1, ba = 0, lb = 0, bb = 1;
    const double alpha = p->alpha, beta = p->beta, phi = p->phi;
    const double g1 = p->gamma, g2 = p->gamma_long;
    const size_t m1 = (size_t)pr->m1, m2 = (size_t)pr->m2;
    double see = 0, saa = 0, sab = 0, sbb = 0, sae = 0, sbe = 0;
    size_t cnt = 0, j1 = 0, j2 = 0;

    memcpy(w1, pr->s1_0, m1 * sizeof(*w1));
    memcpy(w2, pr->s2_0, m2 * sizeof(*w2));
    memset(a1, 0, m1 * sizeof(*a1));
    memset(b1, 0, m1 * sizeof(*b1));
    memset(a2, 0, m2 * sizeof(*a2));
    memset(b2, 0, m2 * sizeof(*b2));
    for (size_t t = 0; t < pr->n; t++) {
        double pb = phi * b, pba = phi * ba, pbb = phi * bb;
        double f = l + pb + w1[j1] + w2[j2];
        double fa = la + pba + a1[j1] + a2[j2];
        double fb = lb + pbb + b1[j1] + b2[j2];
        double e = 0, ea = 0, eb = 0;
        if (!isnan(y[t])) {
            e = y[t] - f;
            ea = -fa;
            eb = -fb;
            see += e * e;
            saa += fa * fa;
            sab += fa * fb;
            sbb += fb * fb;
            sae += fa * e;
            sbe += fb * e;
            cnt++;
        }
        l += pb + alpha * e;
        b = pb + beta * e;
        w1[j1] += g1 * e;
        w2[j2] += g2 * e;
        la += pba + alpha * ea;
        ba = pba + beta * ea;
        a1[j1] += g1 * ea;
        a2[j2] += g2 * ea;
        lb += pbb + alpha * eb;
        bb = pbb + beta * eb;
        b1[j1] += g1 * eb;
        b2[j2] += g2 * eb;
        if (++j1 == m1)
            j1 = 0;
        if (++j2 == m2)
            j2 = 0;
    }
    *dl = 0;
    *db = 0;
    *cnt_out = cnt;
    double lam = 1e-12 * (saa + sbb) + 1e-300;
    double A[4] = {saa + lam, sab, sab, sbb + lam}, rhs[2] = {sae, sbe};
    double x[2];
    gsl_matrix_view Am = gsl_matrix_view_array(A, 2, 2);
    gsl_vector_view bv = gsl_vector_view_array(rhs, 2);
    gsl_vector_view xv = gsl_vector_view_array(x, 2);
    if (!isfinite(see + saa + sbb) ||
        gsl_linalg_cholesky_decomp1(&Am.matrix) != GSL_SUCCESS ||
        gsl_linalg_cholesky_solve(&Am.matrix, &bv.vector, &xv.vector) !=
            GSL_SUCCESS ||
        !isfinite(x[0]) || !isfinite(x[1]))
        return see;
    double sse = see - (x[0] * sae + x[1] * sbe);
    if (!(sse >= 0))
        return see;
    *dl = x[0];
    *db = x[1];
    return sse;
}

static double ets_objective(const gsl_vector *x, void *params)
{
    const struct ets_prob *pr = params;
    double u[FCM_NPAR_MAX], dl, db;
    size_t cnt;

    /* outside the box |u| <= U_MAX the parameters are at their bounds to
     * 1e-4 relative: clamp, and penalise the distance so that the simplex
     * comes back instead of wandering along a flat direction */
    double excess = 0;
    for (int k = 0; k < ets_npar(pr); k++) {
        u[k] = gsl_vector_get(x, (size_t)k);
        if (fabs(u[k]) > U_MAX) {
            double d = fabs(u[k]) - U_MAX;
            excess += d * d;
            u[k] = u[k] > 0 ? U_MAX : -U_MAX;
        }
    }
    struct ets_par p = ets_decode(pr, u);
    double sse = ets_run_ls(pr, &p, &dl, &db, &cnt);
    double mse = cnt ? sse / (double)cnt : 0;
    if (!isfinite(mse))
        return OBJ_HUGE;
    return mse * (1 + excess) + excess * 1e-30;
}

/* Nelder-Mead (GSL's nmsimplex2) from @u; the minimum back in @u. */
static enum sdc_rc ets_minimize(struct ets_prob *pr, double *u, double step,
                                struct sdc_error *err)
{
    size_t np = (size_t)ets_npar(pr);
    double st[FCM_NPAR_MAX];
    gsl_multimin_function fn = {.f = ets_objective, .n = np, .params = pr};
    gsl_vector_view x = gsl_vector_view_array(u, np);
    gsl_vector_view s = gsl_vector_view_array(st, np);

    for (size_t k = 0; k < np; k++)
        st[k] = step;
    gsl_multimin_fminimizer *mm =
        gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, np);
    if (!mm)
        return sdc_error_set(err, SDC_ERR_NOMEM, "forecast: out of memory");
    if (gsl_multimin_fminimizer_set(mm, &fn, &x.vector, &s.vector) !=
        GSL_SUCCESS) {
        gsl_multimin_fminimizer_free(mm);
        return sdc_error_set(err, SDC_ERR_NOMEM,
                             "forecast: simplex search could not start");
    }
    for (int it = 0; it < NM_MAX_ITER; it++) {
        if (gsl_multimin_fminimizer_iterate(mm) != GSL_SUCCESS)
            break;
        double size = gsl_multimin_fminimizer_size(mm);
        if (gsl_multimin_test_size(size, NM_SIZE_TOL) == GSL_SUCCESS)
            break;
    }
    const gsl_vector *best = gsl_multimin_fminimizer_x(mm);
    for (size_t k = 0; k < np; k++)
        u[k] = gsl_vector_get(best, k);
    gsl_multimin_fminimizer_free(mm);
    return SDC_OK;
}

static enum sdc_rc fit_ets(enum fc_model m, const double *y, size_t n,
                           const struct fcm_cfg *cfg, const double *warm,
                           struct fcm_fit *f, struct sdc_error *err)
{
    double s1_0[FC_PERIOD_MAX], s2_0[FC_PERIOD_MAX], a, b;
    double ch[4][FC_PERIOD_MAX];
    struct ets_prob pr = {.y = y, .n = n, .m1 = 1, .m2 = 1};
    size_t w;
    enum sdc_rc rc;

    switch (m) {
    case FC_MODEL_DAMPED:
        pr.damped = true;
        w = n < DAMPED_INIT_DAYS ? n : DAMPED_INIT_DAYS;
        break;
    case FC_MODEL_HW_WEEKLY: {
        pr.m1 = cfg->period;
        size_t k = n / (size_t)pr.m1;
        w = (k > 4 ? 4 : k) * (size_t)pr.m1;
        break;
    }
    case FC_MODEL_HW_YEARLY:
    default:
        pr.m1 = cfg->period;
        pr.m2 = cfg->period_long;
        w = 2 * (size_t)pr.m2;
        break;
    }
    /* A first guess of the states from the first seasons: line, profiles
     * of what the line leaves, level; the level and trend are then refined
     * by least squares with every trial of the smoothing parameters
     * (ets_run_ls). */
    rc = init_line(y, w, pr.m1, pr.m2, &a, &b, err);
    if (rc != SDC_OK)
        return rc;
    double *r = calloc(w ? w : 1, sizeof(*r));
    if (!r)
        return sdc_error_set(err, SDC_ERR_NOMEM, "forecast: out of memory");
    for (size_t t = 0; t < w; t++)
        r[t] = y[t] - b * (double)t;
    a = init_profile(r, w, pr.m1, 1, s1_0);
    s2_0[0] = 0;
    if (pr.m2 > 1) {
        for (size_t t = 0; t < w; t++)
            r[t] -= a + s1_0[t % (size_t)pr.m1];
        a += init_profile(r, w, pr.m2, LONG_SMOOTH, s2_0);
    }
    free(r);
    if (pr.m1 == 1)
        s1_0[0] = 0;

    pr.l0 = a - b;
    pr.b0 = b;
    pr.s1_0 = s1_0;
    pr.s2_0 = s2_0;
    pr.w1 = f->s1;
    pr.w2 = f->s2;
    for (int k = 0; k < 4; k++)
        pr.ch[k] = ch[k];

    double u[FCM_NPAR_MAX];
    int np = ets_npar(&pr);
    if (warm) {
        memcpy(u, warm, (size_t)np * sizeof(*u));
    } else {
        ets_start(&pr, u);
    }
    rc = ets_minimize(&pr, u, warm ? NM_STEP_WARM : NM_STEP, err);
    if (rc != SDC_OK)
        return rc;

    for (int k = 0; k < np; k++)
        u[k] = fmax(-U_MAX, fmin(U_MAX, u[k]));
    struct ets_par p = ets_decode(&pr, u);
    struct ets_out o;
    double dl, db;
    size_t cnt;
    ets_run_ls(&pr, &p, &dl, &db, &cnt);
    pr.l0 += dl;
    pr.b0 += db;
    ets_run(&pr, &p, &o);
    memcpy(f->u, u, (size_t)np * sizeof(*u));
    f->nu = np;
    f->m1 = pr.m1;
    f->m2 = pr.m2;
    f->level = o.level;
    f->trend = o.trend;
    f->p.alpha = p.alpha;
    f->p.beta = p.beta;
    f->p.phi = p.phi;
    f->p.gamma = p.gamma;
    f->p.gamma_long = p.gamma_long;
    f->p.level = o.level;
    f->p.trend = o.trend;
    f->p.period = pr.m1 > 1 ? pr.m1 : 0;
    f->p.period_long = pr.m2 > 1 ? pr.m2 : 0;
    size_t dof = o.cnt > (size_t)np + 1 ? o.cnt - (size_t)np : 1;
    f->p.sigma = sqrt(o.sse / (double)dof);
    /* The recursion's profiles are indexed by day mod m from day 0; keep
     * the phase of the next day in the arrays' order by rotating them so
     * that index 0 is the next day's. */
    double tmp[FC_PERIOD_MAX];
    for (size_t j = 0; j < (size_t)pr.m1; j++)
        tmp[j] = f->s1[(o.j1 + j) % (size_t)pr.m1];
    memcpy(f->s1, tmp, (size_t)pr.m1 * sizeof(*tmp));
    for (size_t j = 0; j < (size_t)pr.m2; j++)
        tmp[j] = f->s2[(o.j2 + j) % (size_t)pr.m2];
    memcpy(f->s2, tmp, (size_t)pr.m2 * sizeof(*tmp));
    return SDC_OK;
}

/* ---- linear trend and the references ------------------------------------ */

static enum sdc_rc fit_linear(const double *y, size_t n, struct fcm_fit *f,
                              struct sdc_error *err)
{
    size_t nk = 0;
    for (size_t t = 0; t < n; t++)
        nk += !isnan(y[t]);
    if (nk < 3)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "forecast: the linear trend needs 3 days with "
                             "data, the series has %zu",
                             nk);
    double *x = malloc(2 * nk * sizeof(*x));
    if (!x)
        return sdc_error_set(err, SDC_ERR_NOMEM, "forecast: out of memory");
    double *yy = x + nk;
    for (size_t t = 0, k = 0; t < n; t++)
        if (!isnan(y[t])) {
            x[k] = (double)t;
            yy[k++] = y[t];
        }
    double c0, c1, sumsq;
    gsl_fit_linear(x, 1, yy, 1, nk, &c0, &c1, &f->c00, &f->c01, &f->c11,
                   &sumsq);
    free(x);
    f->p.intercept = c0;
    f->p.trend = c1;
    f->p.level = c0 + c1 * (double)(n - 1);
    f->p.sigma = sqrt(sumsq / (double)(nk - 2));
    f->p.phi = 1.0;
    f->level = f->p.level;
    f->trend = c1;
    return SDC_OK;
}

static void fit_naive(const double *y, size_t n, int lag, struct fcm_fit *f)
{
    double ss = 0, last = NAN;
    size_t cnt = 0;

    for (size_t t = 0; t < n; t++) {
        if (isnan(y[t]))
            continue;
        last = y[t];
        if (t >= (size_t)lag && !isnan(y[t - (size_t)lag])) {
            double d = y[t] - y[t - (size_t)lag];
            ss += d * d;
            cnt++;
        }
    }
    f->level = last;
    f->p.level = last;
    f->p.sigma = cnt ? sqrt(ss / (double)cnt) : 0;
    f->p.phi = 1.0;
    if (lag > 1) {
        /* the latest value of each phase, index 0 = the next day's */
        f->m1 = lag;
        f->p.period = lag;
        for (size_t j = 0; j < (size_t)lag; j++)
            f->s1[j] = NAN;
        for (size_t t = n > (size_t)lag * 8 ? n - (size_t)lag * 8 : 0; t < n;
             t++)
            if (!isnan(y[t]))
                f->s1[(t + (size_t)lag - n % (size_t)lag) % (size_t)lag] = y[t];
    }
}

enum sdc_rc fcm_fit(enum fc_model m, const double *y, size_t n,
                    const struct fcm_cfg *cfg, const double *warm,
                    struct fcm_fit *f, struct sdc_error *err)
{
    memset(f, 0, offsetof(struct fcm_fit, s1));
    f->model = m;
    f->n = n;
    f->m1 = 1;
    f->m2 = 1;
    f->s1[0] = 0;
    f->s2[0] = 0;
    for (size_t t = n; t-- > 0;) {
        if (!isnan(y[t]))
            break;
        f->gap++;
    }
    if (n < fcm_min_days(m, cfg))
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "forecast: %s needs %zu days, the series has %zu",
                             fc_model_name(m), fcm_min_days(m, cfg), n);
    switch (m) {
    case FC_MODEL_LINEAR:
        return fit_linear(y, n, f, err);
    case FC_MODEL_NAIVE:
        fit_naive(y, n, 1, f);
        return SDC_OK;
    case FC_MODEL_SNAIVE:
        fit_naive(y, n, cfg->period, f);
        return SDC_OK;
    case FC_MODEL_DAMPED:
    case FC_MODEL_HW_WEEKLY:
    case FC_MODEL_HW_YEARLY:
        return fit_ets(m, y, n, cfg, warm, f, err);
    case FC_MODEL_COUNT:
    default:
        return sdc_error_set(err, SDC_ERR_INVALID, "forecast: no model %d",
                             (int)m);
    }
}

/* ---- forecasts ------------------------------------------------------------
 */

void fcm_predict(const struct fcm_fit *f, size_t h, double *mean, double *sd)
{
    const double sig = f->p.sigma;
    const size_t gap = f->gap;

    switch (f->model) {
    case FC_MODEL_LINEAR:
        for (size_t i = 0; i < h; i++) {
            double x = (double)(f->n - 1 + i + 1);
            double v = f->c00 + 2 * x * f->c01 + x * x * f->c11;
            if (mean)
                mean[i] = f->p.intercept + f->p.trend * x;
            if (sd)
                sd[i] = sqrt(sig * sig + (v > 0 ? v : 0));
        }
        return;
    case FC_MODEL_NAIVE:
        for (size_t i = 0; i < h; i++) {
            if (mean)
                mean[i] = f->level;
            if (sd)
                sd[i] = sig * sqrt((double)(gap + i + 1));
        }
        return;
    case FC_MODEL_SNAIVE:
        for (size_t i = 0; i < h; i++) {
            double v = f->s1[i % (size_t)f->m1];
            if (mean)
                mean[i] = isnan(v) ? f->level : v;
            if (sd)
                sd[i] = sig * sqrt((double)((gap + i) / (size_t)f->m1 + 1));
        }
        return;
    case FC_MODEL_DAMPED:
    case FC_MODEL_HW_WEEKLY:
    case FC_MODEL_HW_YEARLY:
    default:
        break;
    }

    const double alpha = f->p.alpha, beta = f->p.beta, phi = f->p.phi;
    const double g1 = f->p.gamma, g2 = f->p.gamma_long;
    const size_t m1 = (size_t)f->m1, m2 = (size_t)f->m2;
    /* the variance counts leads from the last day with data, the mean from
     * the last fitted day (the recursion carried the state over the gap) */
    double phipow = 1, phisum = 0, acc = 1;
    double mpow = 1, msum = 0;
    for (size_t lead = 1; lead <= gap + h; lead++) {
        if (lead >= 2) {
            /* c_j for j = lead - 1 */
            size_t j = lead - 1;
            double c = alpha + beta * phisum + (j % m1 == 0 ? g1 : 0) +
                       (j % m2 == 0 ? g2 : 0);
            acc += c * c;
        }
        phipow *= phi;
        phisum += phipow; /* phi + ... + phi^lead */
        if (lead <= gap)
            continue;
        size_t i = lead - gap - 1;
        mpow *= phi;
        msum += mpow; /* phi + ... + phi^(i + 1) */
        if (mean)
            mean[i] =
                f->level + msum * f->trend + f->s1[i % m1] + f->s2[i % m2];
        if (sd)
            sd[i] = sig * sqrt(acc);
    }
}
