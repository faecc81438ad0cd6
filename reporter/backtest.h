/*
 * backtest.h - rolling-origin backtest of the forecasting models: refit at
 * several origins inside the history, forecast the days after each, score
 * against what happened with MASE.
 *
 * Plan for n days of history: lead L = max(lead_min, n / 4) capped by
 * lead_max and by n / 3 (bounded by the history); fewer than min(7,
 * lead_max) days: no backtest.  Origins (training lengths) n - L - k s for
 * k = 0, 1, ... with s = max(1, L / 3), as many as wanted while the
 * training part keeps at least half the history, so the last origin's
 * forecast ends on the last day and the earliest trains on >= n / 2 days.
 * With the defaults and 3 years of history: 5 origins, 90 days each, 30 days
 * apart.  Every model is refitted at every origin (parameters re-estimated
 * on the training part only; the search starts from the full fit's
 * parameters); a model that cannot be fitted at the earliest origin is not
 * scored.
 *
 * MASE: the mean absolute error over every origin and lead with data,
 * divided by the scale: the in-sample mean absolute error of the seasonal
 * naive forecast of lag scale_period (7: a week, which a daily series of
 * resource use repeats) over the whole history; the naive one (lag 1) when
 * the history has fewer than 14 pairs a week apart or none differ.  One
 * scale per series, so every model's MASE is comparable and 1.0 means "as
 * far off, 30-90 days ahead, as the same day last week is in-sample".
 * A series whose naive errors are all 0 (constant) has scale 0: MASE is then
 * 0 when every forecast is exact, else the errors are divided by 1e-9 times
 * the series' magnitude.
 */
#ifndef SDC_REPORTER_BACKTEST_H
#define SDC_REPORTER_BACKTEST_H

#include <stdbool.h>
#include <stddef.h>

#include "fc_models.h"
#include "forecast.h"
#include "sdc/error.h"

/* struct bt_plan - @n_origins training lengths in @origin (descending). */
struct bt_plan {
    size_t lead;
    size_t n_origins;
    size_t origin[FC_ORIGINS_MAX];
};

/* bt_plan_make - the plan for @n days; false when too short for one. */
bool bt_plan_make(size_t n, const struct fc_options *o, struct bt_plan *p);

/*
 * bt_scale - the MASE scale of @y[0 .. @n) (see above); the lag used in
 * *@lag_used (@lag or 1).
 */
double bt_scale(const double *y, size_t n, int lag, int *lag_used);

/*
 * struct bt_score - one model's backtest.
 * @abs_sum, @cnt: sum of |error| and the number of days scored
 * @z, @nz:        error / model sd for every day scored with sd > 0
 *                 (allocated; free with bt_score_free)
 */
struct bt_score {
    double abs_sum;
    size_t cnt;
    double *z;
    size_t nz;
};

/*
 * bt_run - backtest model @m on @y[0 .. @n) by @p.
 * @warm: transformed parameters of the model's fit on the whole history
 *        (a start for the refits), or NULL
 * @return: SDC_OK; SDC_ERR_INVALID when the model cannot be fitted at an
 *          origin (too few days with data); SDC_ERR_NOMEM.
 */
enum sdc_rc bt_run(enum fc_model m, const double *y, size_t n,
                   const struct bt_plan *p, const struct fcm_cfg *cfg,
                   const double *warm, struct bt_score *out,
                   struct sdc_error *err);

/* bt_mase - @s's MASE for @scale (see above); @mag: the series' magnitude. */
double bt_mase(const struct bt_score *s, double scale, double mag);

/* bt_score_free - free @s->z; @s may be NULL. */
void bt_score_free(struct bt_score *s);

#endif
