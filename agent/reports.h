/*
 * reports.h - sdcmond's scheduled reports (issue 8, DESIGN.md section 1).
 *
 * One worker thread, started beside the poll loop and never blocking it
 * (its reads are the reporter library's: librrd's thread-safe fetch and a
 * read-only SQLite connection of its own; the thread runs at nice 10):
 * - the daily digest at reports.daily_digest (local time), for that day up
 *   to that time, into reports.dir/digest/YYYY-MM-DD/ (digest.h);
 * - the monthly report for the previous month on reports.monthly_day at
 *   00:30 local time (REPORTS_MONTHLY_SECOND), into
 *   reports.dir/monthly/YYYY-MM/ (monthly.h), and the augmentation report
 *   with it (augment.h).
 * After each report written: a webhook POST (reports.webhook_url) and, for
 * the digest, a mail (reports.mail_to), through delivery.h's thread.
 *
 * What ran is recorded in reports.dir/.schedule (written whole, fsynced and
 * renamed into place): the time each kind of report was last due and done,
 * and the report in progress.  At start, a report whose time has passed
 * since its last recorded run - sdcmond was down at that time, or killed
 * while writing it - is written then: for the digest, only the latest one
 * missed; for the monthly report, every month missed, oldest first, up to
 * REPORTS_MONTHLY_CATCHUP of them (older ones are logged once as given up,
 * with the command that writes them), each recorded as done before the
 * next (a kill resumes at the month in hand), the augmentation projection
 * once after the last.  With no record at all (a first start) nothing is
 * owed: the schedule starts from now.
 */
#ifndef SDC_AGENT_REPORTS_H
#define SDC_AGENT_REPORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "sdc/config.h"
#include "sdc/error.h"

/* The monthly report's time on reports.monthly_day: 00:30 local time, when
 * the last cycles of the month are written. */
#define REPORTS_MONTHLY_SECOND (30 * 60)

/* At most this many missed monthly reports are written at a start (a
 * year); older ones are named in the log, to be written by hand. */
#define REPORTS_MONTHLY_CATCHUP 12

struct reports;

/*
 * reports_start - load the configuration at @config_path (a copy of its
 * own, so a reload of the agent never pulls it from under a report in
 * progress), read the schedule record and start the thread.
 */
enum sdc_rc reports_start(const char *config_path, struct reports **out,
                          struct sdc_error *err);

/*
 * reports_reload - re-read the configuration now, on the calling thread
 * (call it right after the agent's own successful reload, so both read the
 * same file), and use it from the next report on; a report in progress
 * keeps the configuration it started with.  An invalid one is logged and
 * the running one kept.
 */
void reports_reload(struct reports *r);

/*
 * reports_stop - stop: a report in progress is finished first (the test
 * pause, if any, is cut short), then the delivery thread stops.  NULL
 * allowed.
 */
void reports_stop(struct reports *r);

/* ------------------------------------------------ schedule arithmetic */

/* The latest time at or before @now that is @second seconds after a local
 * midnight, i.e. shows that wall-clock time.  DST: a time that happens
 * twice (clocks go back) is its first occurrence, so the report runs once;
 * a time the clock skips (clocks go forward) is the moment it is skipped
 * (02:30 when 02:00 jumps to 03:00: 03:00), as cron does.  The same answer
 * whatever mktime() was asked before. */
time_t reports_daily_last(time_t now, int second);
/* The first such time after @after. */
time_t reports_daily_next(time_t after, int second);
/* The latest time at or before @now that is @day (1..28) of a month at
 * @second after local midnight. */
time_t reports_monthly_last(time_t now, int day, int second);
/* The first such time after @after. */
time_t reports_monthly_next(time_t after, int day, int second);

/*
 * reports_monthly_owed - the monthly due times (@day, @second as
 * reports_monthly_last) after @done and up to @last inclusive: the latest
 * @max of them, oldest first, into @out.  @done 0 (nothing recorded) owes
 * only @last.
 * @return: how many are owed in all (more than @max when older ones were
 * left out; 0 when @last <= @done).
 */
size_t reports_monthly_owed(time_t done, time_t last, int day, int second,
                            time_t *out, size_t max);

/* reports_monthly_period - "YYYY-MM" (local time) of the month the monthly
 * report due at @due covers: the month before the one @due falls in. */
void reports_monthly_period(time_t due, char *buf, size_t len);

/*
 * struct reports_state - the schedule record.
 * @digest_done, @monthly_done: the time (as due, not as run) of the last
 *                              report of each kind done; 0: never
 * @running:  "digest" or "monthly" while one is being written, else ""
 * @running_due: the time that report was due
 * @running_since: when it started
 */
struct reports_state {
    time_t digest_done;
    time_t monthly_done;
    char running[16];
    time_t running_due;
    time_t running_since;
};

/*
 * reports_state_read - read @path.  *@found is false (and @st zeroed) when
 * it does not exist.  @return: SDC_OK; SDC_ERR_IO when it cannot be read;
 * SDC_ERR_INVALID when it is not a schedule record (with the line).
 */
enum sdc_rc reports_state_read(const char *path, struct reports_state *st,
                               bool *found, struct sdc_error *err);

/* reports_state_write - write @path atomically (temporary file, fsync,
 * rename, fsync of the directory). */
enum sdc_rc reports_state_write(const char *path,
                                const struct reports_state *st,
                                struct sdc_error *err);

#endif
