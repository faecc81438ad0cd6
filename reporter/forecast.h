/*
 * forecast.h - the forecasting core of the augmentation projection: one
 * daily series in, the chosen model, how well each model did on its own
 * history, and the forecast path with 80% and 95% prediction intervals out.
 *
 * Pure computation: no I/O, no globals (GSL's abort-on-error handler is
 * turned off once, process-wide, by the first call: libraries never abort),
 * safe to call from several threads at once on different series.
 *
 * Days are civil dates counted from 1970-01-01 (day 0); fc_day_from_ymd()
 * and fc_day_to_ymd() convert.  The series holds one value per day from
 * @start_day; NaN marks an UNKNOWN day, which is skipped (never read as
 * zero): it is not fitted, not scored, and the smoothing recursions carry
 * their one-step forecast across it.
 *
 * What fc_forecast() does, in order (the numbers are the defaults of
 * struct fc_options):
 *  1. Clean: infinite values, values beyond +-1e15 and (with @nonneg)
 *     negative values become UNKNOWN, each kind counted in a note; leading
 *     and trailing UNKNOWN days are left out of the fit.  Fewer than 3 days
 *     with data is an error (SDC_ERR_INVALID); a constant series gets a flat
 *     forecast with zero-width intervals.
 *  2. Level shift: the latest lasting step in the level (a migration moving
 *     load in or out) is looked for with 28-day window means, confirmed by
 *     local least squares chosen by BIC, a few days' bump rejected
 *     (level_shift.h); when found, only the days from the shift on are
 *     fitted, and the day is reported.  It needs 56 days before the shift
 *     and 42 after.
 *  3. Models, each fitted with parameters estimated from the data: linear
 *     trend (least squares), damped trend (additive damped exponential
 *     smoothing), Holt-Winters with a weekly season, Holt-Winters with a
 *     yearly and a weekly season (only with two full years before every
 *     backtest origin); naive and seasonal naive as references
 *     (fc_models.h says how each is estimated).
 *  4. Rolling-origin backtest (backtest.h): up to 5 origins, each forecasting
 *     30..90 days ahead (bounded by the history), scored with MASE; the
 *     lowest backtest MASE among the four models is chosen (the references
 *     are scored, never chosen).  Under 90 days of history only the linear
 *     model is used, and the intervals are widened.
 *  5. Intervals: mean +- z * c * sd(h), with sd(h) the chosen model's own
 *     h-step standard deviation (fc_models.h), z the normal quantile
 *     (1.2816, 1.9600) and c a factor per level calibrated on the backtest:
 *     the 80% (95%) quantile of |error| / sd(h) over every origin and lead
 *     with data, divided by z, kept within 0.5..20 (1 when fewer than 10
 *     errors); it is carried beyond the leads the backtest reached with
 *     the model's own growth of sd(h).  Short history: t quantiles (days
 *     with data - 2 degrees of freedom), c at least 1, and 1.5 times wider.
 *     A model that fits the history exactly but missed in the backtest
 *     takes its sd from the backtest errors.  With @nonneg everything is
 *     clamped at 0.  A note says when c is off 1 by more than 25%, and when
 *     the chosen model did no better than the naive forecast.
 */
#ifndef SDC_REPORTER_FORECAST_H
#define SDC_REPORTER_FORECAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdc/error.h"

/* Largest magnitude accepted as a value; beyond it a day is UNKNOWN. */
#define FC_VALUE_MAX 1e15
/* Longest horizon, in days (10 years). */
#define FC_HORIZON_MAX 3660
/* Longest season, in days (or steps). */
#define FC_PERIOD_MAX 400
/* Most backtest origins. */
#define FC_ORIGINS_MAX 12
#define FC_NOTES_MAX 8
#define FC_NOTE_LEN 160

/*
 * enum fc_model - the models, in the order they are tried; on equal
 * backtest MASE the earlier (simpler) one is chosen.
 */
enum fc_model {
    FC_MODEL_LINEAR = 0, /* least-squares line through the history */
    FC_MODEL_DAMPED,     /* additive damped trend exponential smoothing */
    FC_MODEL_HW_WEEKLY,  /* additive Holt-Winters, season @period (7) */
    FC_MODEL_HW_YEARLY,  /* additive Holt-Winters, seasons @period and
                            @period_long (7 and 365) */
    FC_MODEL_NAIVE,      /* reference: the last value, flat */
    FC_MODEL_SNAIVE,     /* reference: the value @period days before */
    FC_MODEL_COUNT
};

/* The models that can be chosen (the references cannot). */
#define FC_MODEL_CANDIDATES 4

/* fc_model_name - short English name, e.g. "damped trend"; never NULL. */
const char *fc_model_name(enum fc_model m);

/* fc_model_key - stable machine name, e.g. "damped"; never NULL. */
const char *fc_model_key(enum fc_model m);

/*
 * struct fc_series - the input: @n values, one a day from @start_day,
 * NaN = UNKNOWN.  The values are not copied; the caller keeps them.
 */
struct fc_series {
    int64_t start_day;
    const double *v;
    size_t n;
};

/*
 * struct fc_options - set with fc_options_init(), then change fields.
 * @horizon:      days to forecast after the last input day (1..3660; 365)
 * @period:       short season, days (2..400; 7): weekly Holt-Winters and
 *                the seasonal naive forecast
 * @period_long:  long season (0 = none; 365); needs 2 * @period_long days
 * @scale_period: lag of the naive forecast whose in-sample mean absolute
 *                error scales MASE (7; 1 = naive); backtest.h
 * @origins:      backtest origins wanted (1..12; 5)
 * @lead_min, @lead_max: days each origin forecasts (30, 90); backtest.h
 * @short_days:   history under this many days is short (90): linear model
 *                only, intervals widened
 * @detect_shift: look for a level shift (true)
 * @min_segment:  window w of the level-shift search (28): a shift is
 *                found with 2 w days before it and 1.5 w after
 * @nonneg:       the quantity cannot be negative (usage): negative values
 *                are UNKNOWN, the path and bounds are clamped at 0 (true)
 * @models:       bit (1u << enum fc_model) per candidate model allowed
 *                (all four); the linear model is always allowed
 */
struct fc_options {
    int horizon;
    int period;
    int period_long;
    int scale_period;
    int origins;
    int lead_min;
    int lead_max;
    int short_days;
    bool detect_shift;
    int min_segment;
    bool nonneg;
    unsigned models;
};

/* fc_options_init - the defaults above. */
void fc_options_init(struct fc_options *o);

/*
 * struct fc_params - a fitted model.  The smoothing parameters are in the
 * error-correction form: with e the one-step error,
 *   level  += trend * phi-part + alpha * e,  trend = phi * trend + beta * e,
 *   season += gamma * e (weekly), gamma_long * e (yearly)
 * (beta = alpha * beta* of the Holt form).  Unused fields are 0, phi is 1
 * without damping.
 * @level, @trend: the state at the last input day (linear: the line's value
 *                 there and its slope per day)
 * @intercept:     linear: the line's value on the first fitted day
 * @sigma:         standard deviation of the one-step errors (linear: of the
 *                 residuals)
 */
struct fc_params {
    double alpha;
    double beta;
    double gamma;
    double gamma_long;
    double phi;
    double level;
    double trend;
    double intercept;
    double sigma;
    int period;
    int period_long;
};

/*
 * struct fc_score - one model's backtest.
 * @eligible: the model could be fitted at every origin (and is allowed)
 * @scored:   a backtest ran and scored it (then @mase is meaningful)
 * @mase:     mean absolute error over every origin and lead, divided by the
 *            MASE scale (backtest.h); 0 when not scored
 * @why:      when not eligible, a short reason, e.g. "needs 730 days of
 *            history before every backtest origin"; else ""
 */
struct fc_score {
    bool eligible;
    bool scored;
    double mase;
    char why[80];
};

/* struct fc_point - one forecast day. */
struct fc_point {
    double mean;
    double lo80;
    double hi80;
    double lo95;
    double hi95;
};

/*
 * struct fc_result - what fc_forecast() found; free with fc_result_free().
 * @start_day, @n:    the input's first day and length
 * @first_day:        first day fitted (after a level shift, the shift day)
 * @last_day:         last day with data; @last_value its value
 * @n_known:          days with data that were fitted
 * @model, @params:   the chosen model and its parameters
 * @score[m]:         backtest of every model, references included
 * @backtest:         a backtest ran (history long enough)
 * @bt_origins, @bt_lead: its origins and days ahead per origin
 * @scale:            the MASE scale; @scale_lag its lag (7, or 1 = naive)
 * @calib80, @calib95: interval factors from the backtest (1 = the model's
 *                    own variance was right)
 * @shift:            a level shift was found on @shift_day, of @shift_size
 *                    (after minus before, in the series' unit)
 * @short_history:    under @short_days of history was fitted
 * @notes:            short English sentences for the report, e.g.
 *                    "history under 90 days: linear model, interval widened"
 * @path:             @horizon days from @path_day = @start_day + @n: point
 *                    forecast and bounds, all finite
 */
struct fc_result {
    int64_t start_day;
    size_t n;
    int64_t first_day;
    int64_t last_day;
    double last_value;
    size_t n_known;
    enum fc_model model;
    struct fc_params params;
    struct fc_score score[FC_MODEL_COUNT];
    bool backtest;
    int bt_origins;
    int bt_lead;
    double scale;
    int scale_lag;
    double calib80;
    double calib95;
    bool shift;
    int64_t shift_day;
    double shift_size;
    bool short_history;
    char notes[FC_NOTES_MAX][FC_NOTE_LEN];
    size_t n_notes;
    int64_t path_day;
    size_t horizon;
    struct fc_point *path;
};

/*
 * fc_forecast - fit, backtest, choose and forecast one series.
 * @s:    the series (not kept)
 * @o:    options, or NULL for the defaults
 * @out:  filled on success (the caller frees with fc_result_free); zeroed on
 *        error
 * @err:  optional message
 * @return: SDC_OK; SDC_ERR_INVALID for an empty series, fewer than 3 days
 *          with data, or options out of range; SDC_ERR_NOMEM.
 */
enum sdc_rc fc_forecast(const struct fc_series *s, const struct fc_options *o,
                        struct fc_result *out, struct sdc_error *err);

/* fc_result_free - free the path; @r may be NULL or zeroed. */
void fc_result_free(struct fc_result *r);

/*
 * enum fc_risk - which line of the forecast the runway reads.
 * CONSERVATIVE: the upper 80% bound; EXPECTED: the point forecast.
 */
enum fc_risk {
    FC_RISK_CONSERVATIVE = 0,
    FC_RISK_EXPECTED,
};

enum fc_runway_status {
    FC_RUNWAY_CROSSES = 0,  /* crosses on @day */
    FC_RUNWAY_ALREADY_OVER, /* the last value with data is at or over */
    FC_RUNWAY_NOT_WITHIN,   /* stays under for the whole path */
};

/*
 * struct fc_runway - when the forecast reaches a threshold.
 * @day:  first path day whose value is at or over the threshold (within a
 *        relative 1e-9, so an exact line crosses on its exact day); for
 *        ALREADY_OVER the last day with data; for NOT_WITHIN 0
 * @days: @day - the last day with data
 */
struct fc_runway {
    enum fc_runway_status status;
    int64_t day;
    int64_t days;
};

/*
 * fc_runway - the first day the forecast reaches @threshold.
 * @return: SDC_OK; SDC_ERR_INVALID when @threshold is not finite or @r has
 *          no path.
 */
enum sdc_rc fc_runway(const struct fc_result *r, double threshold,
                      enum fc_risk risk, struct fc_runway *out,
                      struct sdc_error *err);

/*
 * struct fc_month - the path at the end of one calendar month.
 * @year, @month: e.g. 2027, 3
 * @day:          the month's last day (always within the path)
 * @at:           the path on that day
 */
struct fc_month {
    int year;
    int month;
    int64_t day;
    struct fc_point at;
};

/*
 * fc_monthly - the path at each month's end: one entry per calendar month
 * whose last day lies within the path (a month the path ends in before its
 * last day is left out).
 * @out, @n: allocated array (caller frees with free()) and its length; a
 *           path shorter than a month gives *n = 0 and *out = NULL
 * @return: SDC_OK, SDC_ERR_INVALID (no path), SDC_ERR_NOMEM.
 */
enum sdc_rc fc_monthly(const struct fc_result *r, struct fc_month **out,
                       size_t *n, struct sdc_error *err);

/* fc_day_from_ymd - days from 1970-01-01 to the civil date (proleptic
 * Gregorian; @m 1..12, @d 1..31). */
int64_t fc_day_from_ymd(int y, int m, int d);

/* fc_day_to_ymd - the civil date of @day. */
void fc_day_to_ymd(int64_t day, int *y, int *m, int *d);

#endif
