/*
 * augment.h - the augmentation projection (DESIGN.md section 6,
 * `sdcmon-report augmentation`): per cluster CPU and memory, per pool and
 * SNMP storage, per uplink, the demand history from the daily archives,
 * its forecast (forecast.h) with planned demand added, the runway to
 * target x capacity, and what to buy by when (purchase.h), as one JSON
 * document: report.json, which the templates also render (render.h).
 *
 * Which daily series each forecast runs on (the planning target is a
 * ceiling, so the busiest moment of each day is what must fit):
 *   cluster CPU     daily peak (MAX 1-day rows) of cpu.rrd `used`, CPUs busy
 *   cluster memory  daily peak of mem.rrd `used`, bytes
 *   pool            daily mean (AVERAGE) of usage.rrd `allocation` (else
 *                   capacity - available), bytes: storage moves slowly and
 *                   a day's peak is its mean
 *   SNMP storage    daily mean of storage-*.rrd `used`, bytes
 *   uplink          daily peak of max(in_octets, out_octets) * 8, bit/s,
 *                   against the interface's speed
 * A day is a UTC day (the daily rows of the archives are aligned to UTC
 * midnight); UNKNOWN days stay NaN and are skipped by the models.
 *
 * The library never prints; progress goes to a callback.
 */
#ifndef SDC_REPORTER_AUGMENT_H
#define SDC_REPORTER_AUGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "monthly.h"
#include "render.h"
#include "sdc/config.h"
#include "sdc/error.h"

/* Version of report.json's layout. */
#define AUG_FORMAT_VERSION 1
/* Most horizons (--horizon 3,6,12 ...). */
#define AUG_MAX_HORIZONS 6
/* Longest horizon in months. */
#define AUG_HORIZON_MAX_MONTHS 60
/* The runway is looked for this many days ahead (5 years). */
#define AUG_RUNWAY_DAYS 1827
/* History read: this many days back from today (5 years, the daily rows'
 * default retention). */
#define AUG_HISTORY_DAYS 1826

/*
 * struct aug_opts
 * @cfg:         the configuration (data_dir, rrdcached, capacity, clusters,
 *               planned, snmp uplinks, reports.dir)
 * @today:       the report's day (days from 1970-01-01, UTC): history is
 *               read up to the day before
 * @now:         when the report is made ("generated"); 0: the clock
 * @horizons:    months ahead for the table and the purchases, ascending,
 *               each 1..AUG_HORIZON_MAX_MONTHS (@n_horizons 0: 6 and 12)
 * @jobs:        threads reading archives and forecasting; 0: one per CPU
 *               online, 1 to 16
 * @monthly_path: the monthly report.json whose reclaimable capacity is
 *               used; NULL: the latest reports.dir/monthly/YYYY-MM/
 * @progress, @user: may be NULL; called from worker threads under a lock
 */
struct aug_opts {
    const struct sdc_config *cfg;
    int64_t today;
    time_t now;
    int horizons[AUG_MAX_HORIZONS];
    size_t n_horizons;
    unsigned jobs;
    const char *monthly_path;
    monthly_progress_fn progress;
    void *user;
};

/* The CSV files of the report (render_opts.tables). */
extern const struct render_table aug_tables[];
extern const size_t aug_n_tables;

/*
 * aug_parse_horizons - "6,12" into ascending months (duplicates dropped).
 * @return: SDC_OK; SDC_ERR_INVALID naming what is wrong.
 */
enum sdc_rc aug_parse_horizons(const char *s, int *out, size_t *n,
                               struct sdc_error *err);

/*
 * aug_parse_day - "YYYY-MM-DD" into days from 1970-01-01 (fc_day_from_ymd);
 * a day the calendar does not have (2026-02-30) is refused.
 * @err: may be NULL
 * @return: SDC_OK; SDC_ERR_INVALID naming what is wrong.
 */
enum sdc_rc aug_parse_day(const char *s, int64_t *day, struct sdc_error *err);

/*
 * aug_build - read, forecast and build the document into @out (doc: the
 * report.json; view: the charts; no_data: no resource has any data).
 * @return: SDC_OK; SDC_ERR_INVALID for bad options; SDC_ERR_DB when the
 *          inventory exists but cannot be read; SDC_ERR_NOMEM.  Missing,
 *          unreadable or empty archives are not errors: the resource says
 *          why it has no forecast.
 */
enum sdc_rc aug_build(const struct aug_opts *o, struct monthly_report *out,
                      struct sdc_error *err);

#endif
