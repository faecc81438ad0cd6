/*
 * testutil.h - helpers shared by the tests: temporary directories, files,
 * running commands and reading their output, free loopback ports, starting
 * and stopping servers by PID.
 */
#ifndef SDC_TESTUTIL_H
#define SDC_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* tu_tmpdir - a new directory under $TMPDIR (or /tmp); caller frees. */
char *tu_tmpdir(const char *tag);

/* tu_rmrf - remove a directory tree (used in teardown). */
void tu_rmrf(const char *path);

/* tu_drop_tmpdir - in teardown: remove @dir's tree, or keep it and print
 * its path if SDC_KEEP_TMP is set; frees @dir either way. */
void tu_drop_tmpdir(char *dir);

/* tu_write_file - write @text to @path with @mode; true on success. */
bool tu_write_file(const char *path, const char *text, unsigned mode);

/* tu_read_file - whole file, NUL-terminated; caller frees; NULL on error. */
char *tu_read_file(const char *path);

/*
 * tu_run - run a shell command line, capture stdout+stderr (at most 4 MiB).
 * @out: if non-NULL, set to the output (caller frees)
 * @return: the exit status (0..255), or -1 if it could not run / was killed.
 */
int tu_run(const char *cmd, char **out);

/* tu_runf - tu_run with printf formatting. */
int tu_runf(char **out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* tu_free_port - a TCP port on 127.0.0.1 that was free a moment ago. */
int tu_free_port(void);

/*
 * tu_spawn - start @argv[0] with @argv in the background, stdout and stderr to
 * @logfile (may be NULL for /dev/null).
 * @return: the PID, or -1.
 */
pid_t tu_spawn(char *const argv[], const char *logfile);

/* tu_stop - SIGTERM @pid, wait up to @timeout_ms, then SIGKILL; exit status. */
int tu_stop(pid_t pid, int timeout_ms);

/* tu_wait_exit - wait up to @timeout_ms for @pid; exit status or -1 on timeout.
 */
int tu_wait_exit(pid_t pid, int timeout_ms);

/* tu_wait_path - wait up to @timeout_ms for @path to exist. */
bool tu_wait_path(const char *path, int timeout_ms);

/* tu_wait_unix_socket - wait up to @timeout_ms until a server accepts
 * connections on the unix socket @path (its file appears at bind(), a
 * moment before listen(), so waiting for the file alone races). */
bool tu_wait_unix_socket(const char *path, int timeout_ms);

/* tu_which - whether @prog is on PATH. */
bool tu_which(const char *prog);

/* tu_sdcmond - path of the built sdcmond binary. */
const char *tu_sdcmond(void);

/* tu_shared_dir - ../shared relative to the source tree, or NULL if absent. */
const char *tu_shared_dir(void);

/* tu_rrd_fetch_last - last non-NaN value of @ds in AVERAGE rows of @file
 * fetched with `rrdtool fetch FILE AVERAGE -s -SECONDS`; NaN if none. */
double tu_rrd_last(const char *file, const char *ds, int seconds);

/* tu_rrd_info_value - the value of key @key from `rrdtool info FILE`
 * as a string (caller frees), NULL if absent. */
char *tu_rrd_info(const char *file, const char *key);

/* tu_local_time - @year-@mon-@mday @hour:00:00 local time (@mon 1..12),
 * daylight saving time as it is on that date. */
time_t tu_local_time(int year, int mon, int mday, int hour);

#endif
