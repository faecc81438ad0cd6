/*
 * fc_models.h - the forecasting models of forecast.h, each fitted to one
 * daily series (NaN = UNKNOWN) with its parameters estimated from the data,
 * then asked for h-step forecasts and their standard deviations.
 *
 * Linear trend: y = a + b t by least squares over the days with data
 * (gsl_fit_linear); h-step variance s^2 (1 + var(a + b t) / s^2), the
 * prediction variance of a new observation, so it widens away from the data.
 *
 * Exponential smoothing, in the error-correction form (e = y - forecast):
 *   forecast = l + phi b + s1[t mod m1] + s2[t mod m2]
 *   l' = l + phi b + alpha e,   b' = phi b + beta e,
 *   s1[t mod m1] += gamma e,    s2[t mod m2] += gamma_long e
 * - damped trend (Gardner-McKenzie): no season, phi in [0.80, 0.98];
 * - Holt-Winters weekly: phi = 1, season m1 (7);
 * - Holt-Winters yearly: phi = 1, seasons m1 (7) and m2 (365).
 * An UNKNOWN day takes its one-step forecast as its value (e = 0) and is not
 * counted in the error.  Initial states: a least-squares line plus Fourier
 * terms of each season over the first seasons (4 weeks; 2 years for the
 * yearly model; the first 28 days for the damped trend), the seasonal
 * profiles from the phase means of what the line leaves (the yearly one
 * smoothed over 7 days).  The smoothing parameters minimise the mean
 * squared one-step error, searched with GSL's Nelder-Mead simplex
 * (nmsimplex2) over logistic transforms of
 *   alpha in [1e-4, 0.9999],  beta = alpha * b*,  gamma = (1 - alpha) * g*,
 *   b*, g* in [1e-4, 0.9999],  phi in [0.80, 0.98]
 * (the usual admissible region: 0 < beta < alpha, 0 < gamma < 1 - alpha),
 * the transforms kept within +-10; for each trial the initial level and
 * trend are re-chosen by least squares (the errors are linear in them), as
 * R's ets() estimates its initial states, so a noisy first month does not
 * fix the trend for good when beta is small.
 * h-step variance, linear innovations state space:
 *   s^2 (1 + sum_{j=1}^{h-1} c_j^2),
 *   c_j = alpha + beta (phi + ... + phi^j) + gamma [j mod m1 = 0]
 *         + gamma_long [j mod m2 = 0].
 *
 * References: naive (the last value; variance s^2 h, s^2 the mean squared
 * day-to-day change) and seasonal naive (the value m1 days before; variance
 * s^2 (floor((h - 1) / m1) + 1)).
 */
#ifndef SDC_REPORTER_FC_MODELS_H
#define SDC_REPORTER_FC_MODELS_H

#include <stdbool.h>
#include <stddef.h>

#include "forecast.h"
#include "sdc/error.h"

/* The seasons: @period (m1, >= 2) and @period_long (m2, 0 = none). */
struct fcm_cfg {
    int period;
    int period_long;
};

/* Most transformed parameters of a smoothing model. */
#define FCM_NPAR_MAX 4

/*
 * struct fcm_fit - a model fitted to @n days (index 0 .. n-1).
 * @p:      parameters as reported (forecast.h)
 * @u, @nu: the optimiser's transformed parameters (a warm start for a
 *          refit on a similar series)
 * Everything else is the model's state at the end of the data.  Trailing
 * UNKNOWN days are carried by the recursions (ETS) or skipped (the others);
 * the variance of a lead counts them (@gap).
 */
struct fcm_fit {
    enum fc_model model;
    struct fc_params p;
    size_t n;
    double u[FCM_NPAR_MAX];
    int nu;
    int m1;
    int m2;
    size_t gap; /* UNKNOWN days after the last day with data */
    double level;
    double trend;
    /* linear: GSL's covariance of (a, b), already scaled by s^2 */
    double c00;
    double c01;
    double c11;
    /* the seasonal profiles, index 0 = the day after the data (snaive: the
     * latest value of each phase, NaN = none) */
    double s1[FC_PERIOD_MAX];
    double s2[FC_PERIOD_MAX];
};

/*
 * fcm_min_days - the fewest days a model needs (its initial seasons): the
 * linear trend 3, damped trend 10, Holt-Winters weekly 2 * m1 (at least
 * 14), yearly 2 * m2; naive 2, seasonal naive m1 + 1.
 */
size_t fcm_min_days(enum fc_model m, const struct fcm_cfg *cfg);

/*
 * fcm_fit - fit model @m to @y[0 .. @n) (at least fcm_min_days and 3 days
 * with data, checked by the caller).
 * @warm: transformed parameters to start from (from an earlier fit of the
 *        same model), or NULL for the default start
 * @return: SDC_OK, SDC_ERR_NOMEM, SDC_ERR_INVALID (too few days).
 */
enum sdc_rc fcm_fit(enum fc_model m, const double *y, size_t n,
                    const struct fcm_cfg *cfg, const double *warm,
                    struct fcm_fit *f, struct sdc_error *err);

/*
 * fcm_predict - forecasts for leads 1 .. @h after the last fitted day:
 * @mean[i] and @sd[i] (the model's own standard deviation) for lead i + 1.
 * Either array may be NULL.
 */
void fcm_predict(const struct fcm_fit *f, size_t h, double *mean, double *sd);

#endif
