/*
 * backtest.c - rolling-origin backtest and MASE (backtest.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backtest.h"

/* Fewest lag pairs for the seasonal naive scale. */
#define SCALE_MIN_PAIRS 14
/* Scale of a series whose naive errors are all 0, relative to its size. */
#define SCALE_REL_FLOOR 1e-9

bool bt_plan_make(size_t n, const struct fc_options *o, struct bt_plan *p)
{
    size_t lead = n / 4;
    size_t floor_lead = o->lead_max < 7 ? (size_t)o->lead_max : 7;

    memset(p, 0, sizeof(*p));
    if (lead < (size_t)o->lead_min)
        lead = (size_t)o->lead_min;
    if (lead > (size_t)o->lead_max)
        lead = (size_t)o->lead_max;
    if (lead > n / 3)
        lead = n / 3;
    if (lead < floor_lead || lead == 0)
        return false;
    size_t step = lead / 3 ? lead / 3 : 1;
    for (int k = 0; k < o->origins && k < FC_ORIGINS_MAX; k++) {
        size_t back = lead + (size_t)k * step;
        if (back > n || n - back < (n + 1) / 2 || n - back < 3)
            break;
        p->origin[p->n_origins++] = n - back;
    }
    p->lead = lead;
    return p->n_origins > 0;
}

static double lag_mae(const double *y, size_t n, size_t lag, size_t *pairs)
{
    double sum = 0;
    size_t k = 0;
    for (size_t t = lag; t < n; t++)
        if (!isnan(y[t]) && !isnan(y[t - lag])) {
            sum += fabs(y[t] - y[t - lag]);
            k++;
        }
    *pairs = k;
    return k ? sum / (double)k : 0;
}

double bt_scale(const double *y, size_t n, int lag, int *lag_used)
{
    size_t pairs = 0;
    if (lag > 1) {
        double s = lag_mae(y, n, (size_t)lag, &pairs);
        if (pairs >= SCALE_MIN_PAIRS && s > 0) {
            *lag_used = lag;
            return s;
        }
    }
    *lag_used = 1;
    return lag_mae(y, n, 1, &pairs);
}

enum sdc_rc bt_run(enum fc_model m, const double *y, size_t n,
                   const struct bt_plan *p, const struct fcm_cfg *cfg,
                   const double *warm, struct bt_score *out,
                   struct sdc_error *err)
{
    enum sdc_rc rc = SDC_OK;
    size_t L = p->lead;

    memset(out, 0, sizeof(*out));
    struct fcm_fit *f = malloc(sizeof(*f));
    double *mean = malloc(2 * L * sizeof(*mean));
    out->z = malloc(p->n_origins * L * sizeof(*out->z));
    if (!f || !mean || !out->z) {
        rc = sdc_error_set(err, SDC_ERR_NOMEM, "forecast: out of memory");
        goto cleanup;
    }
    double *sd = mean + L;
    for (size_t k = 0; k < p->n_origins; k++) {
        size_t o = p->origin[k];
        size_t known = 0;
        for (size_t t = 0; t < o && known < 3; t++)
            known += !isnan(y[t]);
        if (known < 3) {
            rc = sdc_error_set(err, SDC_ERR_INVALID,
                               "forecast: backtest origin %zu has fewer than "
                               "3 days with data",
                               o);
            goto cleanup;
        }
        rc = fcm_fit(m, y, o, cfg, warm, f, err);
        if (rc != SDC_OK)
            goto cleanup;
        fcm_predict(f, L, mean, sd);
        for (size_t h = 0; h < L && o + h < n; h++) {
            double v = y[o + h];
            if (isnan(v))
                continue;
            double e = v - mean[h];
            out->abs_sum += fabs(e);
            out->cnt++;
            if (sd[h] > 0 && isfinite(e / sd[h]))
                out->z[out->nz++] = e / sd[h];
        }
    }
cleanup:
    free(mean);
    free(f);
    if (rc != SDC_OK)
        bt_score_free(out);
    return rc;
}

double bt_mase(const struct bt_score *s, double scale, double mag)
{
    if (s->cnt == 0)
        return 0;
    double mae = s->abs_sum / (double)s->cnt;
    if (scale > 0)
        return mae / scale;
    if (mae == 0)
        return 0;
    double fl = SCALE_REL_FLOOR * (mag > 0 ? mag : 1.0);
    return mae / fl;
}

void bt_score_free(struct bt_score *s)
{
    if (!s)
        return;
    free(s->z);
    s->z = NULL;
    s->nz = 0;
}
