/*
 * digest.h - the daily digest (issue 8): a one-page summary of one local
 * day for the operations team, built from the archives (DATA_DIR/rrd) and
 * the inventory (DATA_DIR/inventory.db, read only) into one JSON document,
 * which is report.json and also the data templates/digest.*.mustache render
 * (render.h; formats html, md and json - the digest has no CSV tables).
 *
 * What the document holds (report.json, kind "digest", format_version 1):
 * - "targets": every hypervisor and SNMP device of the config (and any
 *   other target polled that day), up or down at the end of the period and
 *   since when (poll_transitions), cycles answered and failed that day and
 *   the last error (poll_days; inventory schema 3);
 * - "poll_errors": the targets with failed cycles that day;
 * - "vms": "created", "deleted" and "shut_off" that day (inventory events:
 *   kind created / deleted, and state changes to shutoff);
 * - "peaks": per cluster (CPU, memory), host (CPU, memory), pool, SNMP
 *   storage and uplink the day's peak utilisation against its planning
 *   target (capacity.targets) with the time of the peak.  Clusters, pools,
 *   storages and uplinks take the highest of the hourly MAX rows (as
 *   `rrdtool fetch FILE MAX -r 3600` prints them) and of the finest AVERAGE
 *   rows (which cover the hour in progress); a host's CPU and memory are
 *   sums and differences of data sources, for which a MAX row per source
 *   means nothing, so they take the finest AVERAGE rows;
 * - "over_target": the peaks above their target;
 * - "crossings": entities that crossed their target since yesterday
 *   ("above" or "back below"), compared with yesterday's digest
 *   (reports.dir/digest/<yesterday>/report.json) when it exists, else with
 *   yesterday computed the same way;
 * - "headline": the counts above, for the webhook and the mail subject.
 * Every number is a figure (figure.h).
 *
 * The library never prints.
 */
#ifndef SDC_REPORTER_DIGEST_H
#define SDC_REPORTER_DIGEST_H

#include <stdbool.h>
#include <time.h>

#include "monthly.h"
#include "sdc/config.h"
#include "sdc/error.h"

/* Version of the digest's report.json layout. */
#define DIGEST_FORMAT_VERSION 1

/* Room for "YYYY-MM-DD" with its NUL (and what a compiler fears more). */
#define DIGEST_DATE_LEN 16

/*
 * struct digest_day - a local calendar day.
 * @start: local midnight; @end: the next local midnight (23 or 25 hours
 * later on a DST change); @name: "YYYY-MM-DD"
 */
struct digest_day {
    time_t start;
    time_t end;
    char name[DIGEST_DATE_LEN];
};

/*
 * digest_day_parse - the day @date ("YYYY-MM-DD", a real date, year
 * 1970..9999) in the local time zone; NULL: the local day of @now.
 * @return: SDC_OK; SDC_ERR_INVALID with a message.
 */
enum sdc_rc digest_day_parse(const char *date, time_t now,
                             struct digest_day *out, struct sdc_error *err);

/*
 * struct digest_opts
 * @cfg:       the configuration (data_dir, rrdcached, targets, hypervisors,
 *             snmp, reports.dir)
 * @date:      "YYYY-MM-DD"; NULL: today (local time)
 * @now:       the time the digest is made; 0: the clock
 * @until:     the end of the period (clipped to the day and to @now);
 *             0: the end of the day, or @now for today ("so far")
 * @prev_path: yesterday's report.json; NULL:
 *             reports.dir/digest/<yesterday>/report.json, computed when
 *             that file does not exist
 */
struct digest_opts {
    const struct sdc_config *cfg;
    const char *date;
    time_t now;
    time_t until;
    const char *prev_path;
};

/*
 * digest_build - gather the day and build the document into @out->doc
 * (@out->view is an empty object; @out->no_data is true when neither the
 * archives nor the inventory hold anything for the day).
 * @return: SDC_OK; SDC_ERR_INVALID for a bad date or a day not begun;
 *          SDC_ERR_DB when the inventory exists but cannot be read;
 *          SDC_ERR_NOMEM.  Missing archives are not errors.
 */
enum sdc_rc digest_build(const struct digest_opts *o,
                         struct monthly_report *out, struct sdc_error *err);

#endif
