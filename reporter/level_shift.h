/*
 * level_shift.h - the latest lasting step in the level of a daily series
 * (NaN = UNKNOWN): a migration that moved load in or out, after which only
 * the new level should be fitted.
 *
 * Search: with window means over @w days (whole weeks, so a weekly season
 * cancels) M1 M2 | M3 M4 around each candidate day t (two windows before,
 * two after; near the end M4 may be shorter, down to w / 2 days), the step
 * statistic D(t) is the jump across t once a quadratic trend through the
 * four means is taken out; with four full windows
 *   D(t) = (M3 - M2) - ((M2 - M1) + (M4 - M3)) / 2,
 * which is 0 on a line or a parabola (a smooth season, locally), and the
 * step's size on a step.  Its noise scale is the larger of the robust
 * day-to-day noise (MAD of lag-7 differences / sqrt 2) times sqrt(5 / w)
 * and the median of |D| over the series / 0.6745 (which absorbs
 * autocorrelated noise).  Peaks of |D| (largest within w days) over 5
 * scales are candidates, latest first (at most 8 tried); one is taken when
 * least squares over the days from 2 w before to 2 w after it (quadratic
 * trend + weekly Fourier terms) confirm it by BIC (k log n):
 *  - a step on the best day d within w / 2 of the candidate (2 more
 *    parameters: its size and day) lowers the BIC against no step;
 *  - a bump (a level held from d to some later day of the window, or from
 *    some earlier day to d; one parameter more) does not lower it further,
 *    so a few days' outage or burst is not a shift.
 * d is the shift day.  A shift is found only with at least 2 w days before
 * it and w + w / 2 after (42 days with w = 28).
 */
#ifndef SDC_REPORTER_LEVEL_SHIFT_H
#define SDC_REPORTER_LEVEL_SHIFT_H

#include <stdbool.h>
#include <stddef.h>

#include "sdc/error.h"

/*
 * struct ls_result - @found; then @day (index of the first day at the new
 * level), @size (new minus old level, from the split's least squares) and
 * @score (|D| in noise scales).
 */
struct ls_result {
    bool found;
    size_t day;
    double size;
    double score;
};

/*
 * ls_detect - look for the latest level shift in @y[0 .. @n).
 * @w:      window, days (>= 7; 28)
 * @period: short season removed by the split's terms (7; <= 1: none)
 * @return: SDC_OK (found or not), SDC_ERR_NOMEM.
 */
enum sdc_rc ls_detect(const double *y, size_t n, int w, int period,
                      struct ls_result *out, struct sdc_error *err);

#endif
