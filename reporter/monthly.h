/*
 * monthly.h - the monthly optimisation report (DESIGN.md section 6):
 * gathers a month of the archives (DATA_DIR/rrd) and the inventory
 * (DATA_DIR/inventory.db, read only), applies the rules of findings.h and
 * builds one JSON document, which is report.json and also the data the
 * templates render (render.h).
 *
 * What the document holds (report.json, format_version 1): the period and
 * the resolution the archives gave; the thresholds and targets used; the
 * totals a planner can reclaim and what is needed; per cluster, host,
 * pool, SNMP storage and uplink the mean, p95 and max utilisation against
 * the target, with the change from the month before (read from that
 * month's report.json, the record); every finding with its evidence; usage
 * and findings per owner; the entities with too little data to judge; every
 * VM's figures.  Every number is a figure (figure.h): value, unit, text.
 *
 * The library never prints.  Progress goes to a callback.
 */
#ifndef SDC_REPORTER_MONTHLY_H
#define SDC_REPORTER_MONTHLY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "sdc/config.h"
#include "sdc/error.h"
#include "stats.h"

/* Version of report.json's layout. */
#define MONTHLY_FORMAT_VERSION 1

/*
 * monthly_progress_fn - @done of @total items of @what ("VMs", "hosts",
 * "interfaces" ...) are read.  Called from worker threads, one call at a
 * time (under a lock).
 */
typedef void (*monthly_progress_fn)(void *user, const char *what, size_t done,
                                    size_t total);

/*
 * struct monthly_opts
 * @cfg:       the configuration (data_dir, rrdcached, targets, thresholds,
 *             hypervisors, snmp uplinks, reports.dir)
 * @period:    the month (period_month()); a month in the future is refused
 * @now:       the time the report is made (for "generated" and the month in
 *             progress); 0: the clock
 * @jobs:      threads reading archives; 0: 4 per CPU online, 4 to 16
 *             (reads wait on the disk more than on the CPU); at most 16
 * @prev_path: the previous month's report.json; NULL:
 *             reports.dir/monthly/<M-1>/report.json
 * @progress, @user: may be NULL
 */
struct monthly_opts {
    const struct sdc_config *cfg;
    const struct period *period;
    time_t now;
    unsigned jobs;
    const char *prev_path;
    monthly_progress_fn progress;
    void *user;
};

/*
 * struct monthly_report
 * @doc:     report.json
 * @view:    what only the templates need besides @doc (the charts as SVG):
 *           {"cluster_charts": [{"name", "svg"}], "pool_chart": svg|null}
 * @no_data: no archive holds a single value for the month
 */
struct monthly_report {
    json_t *doc;
    json_t *view;
    bool no_data;
};

/*
 * monthly_build - gather the month and build the document.
 * @return: SDC_OK; SDC_ERR_INVALID for a month in the future; SDC_ERR_DB
 *          when the inventory exists but cannot be read; SDC_ERR_NOMEM.
 *          Archives that are missing or unreadable are not errors: the
 *          entity has no data (and says why).
 */
enum sdc_rc monthly_build(const struct monthly_opts *o,
                          struct monthly_report *out, struct sdc_error *err);

/* monthly_report_free - free what monthly_build() made (NULL allowed). */
void monthly_report_free(struct monthly_report *r);

#endif
