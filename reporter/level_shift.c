/*
 * level_shift.c - the latest lasting step in a daily series' level
 * (level_shift.h).  Medians, sorting and least squares are GSL's.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <gsl/gsl_vector.h>

#include "level_shift.h"

/* A candidate stands this many noise scales above zero. */
#define LS_K 5.0
/* A window mean needs this share of its days with data. */
#define LS_MIN_SHARE 0.5
/* Harmonics of the short season in the split's least squares. */
#define LS_HARM 3
/* Noise floor relative to the series' magnitude (noise-free series). */
#define LS_REL_FLOOR 1e-9
/* Candidates confirmed by least squares at most (latest first). */
#define LS_MAX_TRIES 8

struct ls_ctx {
    const double *y;
    size_t n;
    size_t w;
    double *sum;     /* prefix sums of the known values, n + 1 */
    size_t *cnt;     /* prefix counts */
    size_t min_tail; /* shortest window after M3 */
};

static double wmean(const struct ls_ctx *c, size_t a, size_t b)
{
    if (b > c->n || a >= b)
        return NAN;
    size_t k = c->cnt[b] - c->cnt[a];
    if ((double)k < LS_MIN_SHARE * (double)(b - a) || k == 0)
        return NAN;
    return (c->sum[b] - c->sum[a]) / (double)k;
}

/* Median of @v[0 .. @k) (sorted in place); 0 when empty. */
static double median(double *v, size_t k)
{
    if (k == 0)
        return 0;
    gsl_sort(v, 1, k);
    return gsl_stats_median_from_sorted_data(v, 1, k);
}

/* Robust day-to-day noise: MAD of lag differences / sqrt 2, as a standard
 * deviation.  @buf holds n values. */
static double robust_sigma(const double *y, size_t n, size_t lag, double *buf)
{
    size_t k = 0;
    for (size_t t = lag; t < n; t++)
        if (!isnan(y[t]) && !isnan(y[t - lag]))
            buf[k++] = y[t] - y[t - lag];
    double med = median(buf, k);
    for (size_t i = 0; i < k; i++)
        buf[i] = fabs(buf[i] - med);
    return 1.4826 * median(buf, k) / sqrt(2.0);
}

static int harmonics(int m)
{
    int h = (m - 1) / 2;
    return m > 1 ? (h < LS_HARM ? h : LS_HARM) : 0;
}

/* The least squares of one candidate: data, design and GSL's workspaces. */
struct split {
    const double *y;
    size_t lo; /* the days fitted: [lo, hi) */
    size_t hi;
    size_t nr; /* of which with data */
    int period;
    size_t p0; /* columns of the base: quadratic trend + weekly terms */
    gsl_matrix *X[2];
    gsl_vector *yv;
    gsl_vector *c[2];
    gsl_matrix *cov[2];
    gsl_multifit_linear_workspace *ws[2];
};

/*
 * Fit the base model, plus (when @d) a step that is 1 on [@d, @e) and 0
 * elsewhere: a lasting step when @e == hi, a bump before.  The residual sum
 * of squares in *@chisq, the step's size in *@size.  False if GSL failed.
 */
static bool split_fit(struct split *sp, size_t d, size_t e, double *chisq,
                      double *size)
{
    int h = harmonics(sp->period), k = d ? 1 : 0;
    double mid = (double)(sp->lo + sp->hi - 1) / 2;
    double half = (double)(sp->hi - sp->lo) / 2;
    size_t r = 0;
    for (size_t t = sp->lo; t < sp->hi; t++) {
        if (isnan(sp->y[t]))
            continue;
        double x = ((double)t - mid) / half;
        size_t col = 0;
        gsl_matrix *X = sp->X[k];
        gsl_matrix_set(X, r, col++, 1.0);
        gsl_matrix_set(X, r, col++, x);
        gsl_matrix_set(X, r, col++, x * x);
        for (int j = 1; j <= h; j++) {
            double ang =
                2 * M_PI * j * (double)(t % (size_t)sp->period) / sp->period;
            gsl_matrix_set(X, r, col++, cos(ang));
            gsl_matrix_set(X, r, col++, sin(ang));
        }
        if (d)
            gsl_matrix_set(X, r, col++, t >= d && t < e ? 1.0 : 0.0);
        gsl_vector_set(sp->yv, r, sp->y[t]);
        r++;
    }
    if (gsl_multifit_linear(sp->X[k], sp->yv, sp->c[k], sp->cov[k], chisq,
                            sp->ws[k]) != GSL_SUCCESS)
        return false;
    *size = d ? gsl_vector_get(sp->c[k], sp->p0) : 0;
    return true;
}

static void split_free(struct split *sp)
{
    for (int k = 0; k < 2; k++) {
        gsl_multifit_linear_free(sp->ws[k]);
        gsl_matrix_free(sp->cov[k]);
        gsl_vector_free(sp->c[k]);
        gsl_matrix_free(sp->X[k]);
    }
    gsl_vector_free(sp->yv);
}

static double bic(double chisq, double floor_ss, size_t nr, size_t k)
{
    return (double)nr * log((chisq + floor_ss) / (double)nr) +
           (double)k * log((double)nr);
}

/*
 * Confirm a candidate at @t by least squares over the 2 w days on each
 * side: the best step day d within w / 2 of @t must lower the BIC against
 * no step, and a bump (a level held from d to any later day of the window,
 * or from any earlier day to d: one parameter more) must not lower it
 * further.  Returns SDC_OK
 * whether confirmed (out->found) or not.
 */
static enum sdc_rc confirm(const struct ls_ctx *c, size_t t, int period,
                           struct ls_result *out, struct sdc_error *err)
{
    size_t w = c->w;
    struct split sp = {.y = c->y, .period = period};
    enum sdc_rc rc = SDC_OK;

    sp.lo = t - 2 * w;
    sp.hi = t + 2 * w < c->n ? t + 2 * w : c->n;
    sp.nr = c->cnt[sp.hi] - c->cnt[sp.lo];
    sp.p0 = 3 + 2 * (size_t)harmonics(period);
    if (sp.nr < sp.p0 + 8)
        return SDC_OK;
    sp.yv = gsl_vector_alloc(sp.nr);
    bool ok = sp.yv != NULL;
    for (int k = 0; k < 2; k++) {
        size_t p = sp.p0 + (size_t)k;
        sp.X[k] = gsl_matrix_alloc(sp.nr, p);
        sp.c[k] = gsl_vector_alloc(p);
        sp.cov[k] = gsl_matrix_alloc(p, p);
        sp.ws[k] = gsl_multifit_linear_alloc(sp.nr, p);
        ok = ok && sp.X[k] && sp.c[k] && sp.cov[k] && sp.ws[k];
    }
    if (!ok) {
        rc = sdc_error_set(err, SDC_ERR_NOMEM, "forecast: out of memory");
        goto cleanup;
    }

    double chi0, chi, size, best_chi = INFINITY, best_size = 0;
    size_t best_d = 0;
    if (!split_fit(&sp, 0, 0, &chi0, &size))
        goto cleanup;
    size_t dlo = t - w / 2;
    size_t dhi = t + w / 2 < c->n - w ? t + w / 2 : c->n - w;
    if (dhi > c->n - w - c->min_tail)
        dhi = c->n - w - c->min_tail;
    for (size_t d = dlo; d <= dhi; d++) {
        /* both sides need days with data */
        if (c->cnt[d] - c->cnt[sp.lo] < 7 || c->cnt[sp.hi] - c->cnt[d] < 7)
            continue;
        if (split_fit(&sp, d, sp.hi, &chi, &size) && chi < best_chi) {
            best_chi = chi;
            best_d = d;
            best_size = size;
        }
    }
    if (best_d == 0)
        goto cleanup;
    /* a bump: raised from best_d to a later day, or from an earlier day
     * to best_d (the step's day as the bump's end) */
    double bump_chi = INFINITY;
    for (size_t e = best_d + 1; e < sp.hi; e++)
        if (split_fit(&sp, best_d, e, &chi, &size) && chi < bump_chi)
            bump_chi = chi;
    for (size_t b = sp.lo + 1; b < best_d; b++)
        if (split_fit(&sp, b, best_d, &chi, &size) && chi < bump_chi)
            bump_chi = chi;

    /* the residual variance floored: a noise-free step has none */
    double fl = 1e-300 + (double)sp.nr * 1e-24 * fabs(chi0);
    double b0 = bic(chi0, fl, sp.nr, sp.p0);
    double b1 = bic(best_chi, fl, sp.nr, sp.p0 + 2);
    double b2 = bic(bump_chi, fl, sp.nr, sp.p0 + 3);
    if (b1 < b0 && b1 <= b2) {
        out->found = true;
        out->day = best_d;
        out->size = best_size;
    }
cleanup:
    split_free(&sp);
    return rc;
}

/*
 * The step at the boundary between windows M2 and M3, with a quadratic
 * trend through the four window means taken out: M1, M2, M3 are w days
 * long and centred at -1.5, -0.5, 0.5 (in w), M4 is @r4 * w days long
 * (1/2 .. 1) and follows M3.  Solving M = a + b x + c x^2 (+ step from M3
 * on) gives
 *   step = M3 - M2 - (1 - k)(M2 - M1) - k (M4 - M3) / (q - 1/2),
 *   q = 1 + r4 / 2 (M4's centre), k = 2 / (q + 5/2),
 * which for r4 = 1 is (M3 - M2) - ((M2 - M1) + (M4 - M3)) / 2.  *@f: its
 * noise standard deviation relative to the full-window case (variance
 * 5 s^2 / w).
 */
static double step_stat(double m1, double m2, double m3, double m4, double r4,
                        double *f)
{
    double q = 1 + r4 / 2, k = 2 / (q + 2.5), rho = k / (q - 0.5);
    double v = (1 - k) * (1 - k) + (2 - k) * (2 - k) + (1 + rho) * (1 + rho) +
               rho * rho / r4;
    *f = sqrt(v / 5);
    return (m3 - m2) - (1 - k) * (m2 - m1) - rho * (m4 - m3);
}

enum sdc_rc ls_detect(const double *y, size_t n, int win, int period,
                      struct ls_result *out, struct sdc_error *err)
{
    struct ls_ctx c = {.y = y, .n = n, .w = (size_t)win};
    size_t w = (size_t)win;
    enum sdc_rc rc = SDC_OK;

    memset(out, 0, sizeof(*out));
    if (period < 1 || (size_t)period > w / 2)
        period = 1;
    size_t min_tail = w / 2 > (size_t)period ? w / 2 : (size_t)period;
    if (win < 7 || n < 3 * w + min_tail)
        return SDC_OK;

    c.min_tail = min_tail;
    c.sum = malloc((n + 1) * sizeof(*c.sum));
    c.cnt = malloc((n + 1) * sizeof(*c.cnt));
    double *D = malloc(n * sizeof(*D));
    double *f = malloc(n * sizeof(*f));
    double *buf = malloc(n * sizeof(*buf));
    if (!c.sum || !c.cnt || !D || !f || !buf) {
        rc = sdc_error_set(err, SDC_ERR_NOMEM, "forecast: out of memory");
        goto cleanup;
    }
    c.sum[0] = 0;
    c.cnt[0] = 0;
    double mag = 0;
    for (size_t t = 0; t < n; t++) {
        bool k = !isnan(y[t]);
        c.sum[t + 1] = c.sum[t] + (k ? y[t] : 0);
        c.cnt[t + 1] = c.cnt[t] + k;
        if (k && fabs(y[t]) > mag)
            mag = fabs(y[t]);
    }

    size_t nd = 0, tried = 0;
    for (size_t t = 0; t < n; t++) {
        D[t] = NAN;
        f[t] = 1;
        if (t < 2 * w || t + w > n)
            continue;
        /* the window after M3: w days, or fewer whole seasons near the end
         * (at least w / 2 days) */
        size_t r = n - t - w < w ? n - t - w : w;
        r -= r % (size_t)period;
        if (r < min_tail)
            continue;
        double m1 = wmean(&c, t - 2 * w, t - w), m2 = wmean(&c, t - w, t);
        double m3 = wmean(&c, t, t + w), m4 = wmean(&c, t + w, t + w + r);
        if (isnan(m1) || isnan(m2) || isnan(m3) || isnan(m4))
            continue;
        D[t] = step_stat(m1, m2, m3, m4, (double)r / (double)w, &f[t]);
        buf[nd++] = fabs(D[t]) / f[t];
    }
    if (nd == 0)
        goto cleanup;
    double med = median(buf, nd);
    double sig = robust_sigma(y, n, (size_t)period, buf);
    double scale = sig * sqrt(5.0 / (double)w);
    if (med / 0.6745 > scale)
        scale = med / 0.6745;
    if (scale < LS_REL_FLOOR * mag)
        scale = LS_REL_FLOOR * mag;
    if (scale <= 0)
        goto cleanup;

    /* candidates, latest first: peaks of |D| within +-w over LS_K scales */
    for (size_t t = n - w + 1; t-- > 2 * w;) {
        if (isnan(D[t]))
            continue;
        double z = fabs(D[t]) / (f[t] * scale);
        if (z <= LS_K)
            continue;
        bool peak = true;
        size_t a = t > w ? t - w : 0, b = t + w < n ? t + w : n - 1;
        for (size_t u = a; u <= b && peak; u++)
            if (!isnan(D[u]) && (fabs(D[u]) > fabs(D[t]) ||
                                 (fabs(D[u]) == fabs(D[t]) && u < t)))
                peak = false;
        if (!peak)
            continue;
        if (++tried > LS_MAX_TRIES)
            break;
        rc = confirm(&c, t, period, out, err);
        if (rc != SDC_OK || out->found) {
            out->score = z;
            break;
        }
    }
cleanup:
    free(buf);
    free(f);
    free(D);
    free(c.cnt);
    free(c.sum);
    return rc;
}
