/*
 * rrd_writer.h - write samples into the archives of DESIGN.md section 4.
 *
 * Creates each archive on first sight (atomically: a temporary file renamed
 * into place, so kill -9 never leaves a half-made archive), then updates it
 * through librrd's thread-safe calls, or through rrdcached when the config
 * names one.  Paths come only from sdc_archive_relpath(), so every name is
 * sanitised before it touches the file system.
 */
#ifndef SDC_RRD_WRITER_H
#define SDC_RRD_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "sdc/config.h"
#include "sdc/error.h"
#include "sdc/sample.h"

struct rrdw;

struct rrdw_stats {
    uint64_t created; /* archives created */
    uint64_t updates; /* successful updates */
    uint64_t errors;  /* failed creates or updates */
    uint64_t
        skipped; /* samples older than or equal to the archive's last update */
    uint64_t invalid; /* absurd gauges (negative, NaN, inf) written as U */
};

/*
 * rrdw_open - a writer for @data_dir with @step seconds per row.
 * @rrdcached: NULL or "" to write files directly, else "unix:/path",
 *             "/path" or "host:port" of an rrdcached.  Over a UNIX socket
 *             the daemon is on this host and gets absolute paths (with -B,
 *             its -b base directory must contain @data_dir).  Over TCP it
 *             gets paths relative to its -b base directory ("rrd/vm/...")
 *             and needs -R to make directories; the writer then never
 *             touches an archive file itself, so @data_dir need not be the
 *             daemon's base (an agent on another machine keeps its own
 *             inventory there; readers of the files need the base).  The
 *             daemon must be reachable when opening.
 *             All writers of a process share librrd's one connection;
 *             rrdw_write_batch also opens one of the writer's own.
 * @retention: how long each consolidation is kept; NULL for the defaults
 *             of DESIGN.md section 4.
 * A writer may be used from several threads at once.
 */
enum sdc_rc rrdw_open(const char *data_dir, unsigned step,
                      const struct sdc_retention_cfg *retention,
                      const char *rrdcached, struct rrdw **out,
                      struct sdc_error *err);

void rrdw_free(struct rrdw *w);

/*
 * rrdw_use_process - do the updates of rrdw_write_batch in a child process
 * started from @exe with RRDP_CHILD_ARG (see poller/rrd_proc.h: its own
 * address space keeps librrd's map/unmap of each archive from interrupting
 * the caller's other threads).  Archives are still checked and created in
 * this process; rrdw_write still updates here.  A no-op through rrdcached.
 * Call before the writer is shared between threads.
 */
enum sdc_rc rrdw_use_process(struct rrdw *w, const char *exe,
                             struct sdc_error *err);

/* rrdw_process_pid - the update process's PID, 0 when there is none. */
long rrdw_process_pid(struct rrdw *w);

/*
 * rrdw_write - create the archive if needed and add @s.
 * Unknown values are written as "U".  A sample not newer than the archive's
 * last update is skipped (counted, not an error).
 */
enum sdc_rc rrdw_write(struct rrdw *w, const struct sdc_sample *s,
                       struct sdc_error *err);

/*
 * rrdw_write_batch - write every sample of @b; failures are counted and the
 * first message kept in @err, the rest still written.  Through rrdcached,
 * the updates go out in BATCH exchanges (up to 10,000 lines each) on the
 * writer's own connection, kept open, reopened after an error, with 10 s
 * send and receive timeouts; archives are still created first through
 * librrd.  An update lost with the connection counts as an error.
 * @return: SDC_OK when all samples were written or skipped.
 */
enum sdc_rc rrdw_write_batch(struct rrdw *w, const struct sdc_batch *b,
                             struct sdc_error *err);

/*
 * rrdw_flush - ask rrdcached to write everything it holds (no-op direct).
 * Sends FLUSH for every archive updated through the daemon since the last
 * flush (librrd 1.7.2 exports no FLUSHALL); each returns once the daemon
 * has written the file, so on return the files hold every value written so
 * far.  One round trip per archive, and it defeats the daemon's write
 * batching: call it at shutdown or before reading the files directly, not
 * every cycle.
 */
enum sdc_rc rrdw_flush(struct rrdw *w, struct sdc_error *err);

/*
 * rrdw_flush_path - ask rrdcached to write what it holds for the archive at
 * @path (as rrdw_path() gives it), so the file can be read or replaced; a
 * no-op when the writer writes files directly.
 */
enum sdc_rc rrdw_flush_path(struct rrdw *w, const char *path,
                            struct sdc_error *err);

/* rrdw_get_stats - counters since rrdw_open. */
void rrdw_get_stats(const struct rrdw *w, struct rrdw_stats *out);

/*
 * rrdw_path - absolute path of the archive for (@type, @id, @instance).
 * @return: length written, 0 when it does not fit or the input is invalid.
 */
size_t rrdw_path(const struct rrdw *w, enum sdc_archive type, const char *id,
                 const char *instance, char *out, size_t outlen);

#endif
