/*
 * rrd_schema.h - how an archive of DESIGN.md section 4 is laid out in an RRD
 * file: the DS and RRA definitions built from the schema, the step and the
 * retention, and the file operations every creator of archives shares
 * (creating a file with them, putting it in place atomically, checking an
 * existing file's data sources).
 *
 * The RRD writer (poller) and the history importer (sdcmon-import) both
 * create archives through this module, so an imported archive is exactly the
 * file the poller would have made.  Only librrd's thread-safe calls are used
 * (rrd_create_r2, rrd_lastupdate_r); callers clear nothing themselves.
 */
#ifndef SDC_RRD_SCHEMA_H
#define SDC_RRD_SCHEMA_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "sdc/config.h"
#include "sdc/error.h"
#include "sdc/schema.h"

#define RRDS_N_RRA 6
#define RRDS_DEF_LEN 64
/* The most arguments rrds_create_args() produces. */
#define RRDS_MAX_ARGS (SDC_MAX_DS + RRDS_N_RRA)
/* Longest step accepted (one day). */
#define RRDS_MAX_STEP 86400u

/* The definitions of every archive type for one step and retention. */
struct rrds_layout {
    unsigned step;
    char rra[RRDS_N_RRA][RRDS_DEF_LEN];
    char ds[SDC_AR_COUNT][SDC_MAX_DS][RRDS_DEF_LEN];
};

/*
 * rrds_layout_init - build the definitions for @step seconds per row.
 * Data sources: GAUGE or DERIVE (schema), heartbeat 2 x @step, minimum 0, no
 * maximum.  RRAs (DESIGN.md section 4): AVERAGE of one step, AVERAGE of 5
 * minutes, AVERAGE and MAX of 1 hour, AVERAGE and MAX of 1 day, each kept
 * as long as @retention says.
 * @retention: NULL for the defaults (2, 40, 100 and 1825 days)
 * @return: SDC_OK, or SDC_ERR_INVALID for a step outside 1..RRDS_MAX_STEP or
 *          a retention that is negative or needs more than 10 million rows.
 */
enum sdc_rc rrds_layout_init(struct rrds_layout *l, unsigned step,
                             const struct sdc_retention_cfg *retention,
                             struct sdc_error *err);

/* rrds_heartbeat - the heartbeat of every data source: 2 x step. */
unsigned rrds_heartbeat(const struct rrds_layout *l);

/*
 * rrds_create_args - point @argv (RRDS_MAX_ARGS entries) at the "DS:..." and
 * "RRA:..." definitions of @type, in schema order.  The strings belong to
 * @l.
 * @return: the number of arguments, 0 for an invalid type.
 */
int rrds_create_args(const struct rrds_layout *l, enum sdc_archive type,
                     const char **argv);

/*
 * rrds_create - create the RRD file @path (replacing any file there) for
 * @type, through rrd_create_r2.  Not atomic by itself: create a temporary
 * name and rrds_install() it.  On failure @path is removed.
 * @last_up: the time before the first update; -1 with @sources to take the
 *           latest last update of the sources
 * @sources: NULL, or a NULL-terminated list of RRD files whose data
 *           prefills the new file (librrd matches data sources by name and
 *           RRAs by consolidation function; where several sources hold
 *           data for a time, the first one listed wins)
 * @heartbeats: NULL for the layout's heartbeat, else one heartbeat per data
 *              source of @type (a value of 0 keeps the layout's)
 */
enum sdc_rc rrds_create(const struct rrds_layout *l, enum sdc_archive type,
                        const char *path, time_t last_up,
                        const char *const *sources, const unsigned *heartbeats,
                        struct sdc_error *err);

/*
 * rrds_install - rename @tmp to @path.  With @replace false an existing
 * @path is never replaced: *@existed is set, SDC_OK returned and @tmp left
 * for the caller (a file system without RENAME_NOREPLACE falls back to
 * link()).  With @replace true an existing @path is replaced atomically
 * (rename).  On failure @tmp is removed.
 */
enum sdc_rc rrds_install(const char *tmp, const char *path, bool replace,
                         bool *existed, struct sdc_error *err);

/*
 * rrds_make_parents - create the directories of @path from byte @from on
 * (mkdir -p of what lies below an existing directory, e.g. the data
 * directory).
 */
enum sdc_rc rrds_make_parents(const char *path, size_t from,
                              struct sdc_error *err);

/*
 * rrds_check - read the last update of the existing archive @path and check
 * that its data sources are those of @def, in order: a foreign file is
 * reported (SDC_ERR_INVALID), never written to or replaced.
 */
enum sdc_rc rrds_check(const struct sdc_archive_def *def, const char *path,
                       time_t *last, struct sdc_error *err);

/* rrds_last_error - the message librrd left in this thread, never NULL. */
const char *rrds_last_error(void);

/*
 * rrds_daemon_lock / rrds_daemon_unlock - librrd 1.7.2 exports only the
 * rrdc_* family, which works on ONE process-wide rrdcached connection.  Every
 * module that uses it (the writer, the reporter's fetch) holds this one lock
 * across connect-then-call, so no thread ever sends a request on a
 * connection another thread just pointed elsewhere.
 */
void rrds_daemon_lock(void);
void rrds_daemon_unlock(void);

/*
 * rrds_pipe_guard_on / rrds_pipe_guard_off - around librrd's rrdc_* calls.
 * librrd's client writes with send(..., 0), so a daemon that went away would
 * raise SIGPIPE and kill the program, and a library must not change the
 * program's signal handling: SIGPIPE is blocked in this thread between the
 * two calls, and one raised meanwhile is consumed.
 */
struct rrds_pipe_guard {
    sigset_t old;
    bool was_pending;
};
void rrds_pipe_guard_on(struct rrds_pipe_guard *g);
void rrds_pipe_guard_off(struct rrds_pipe_guard *g);

#endif
