/*
 * itest.h - helpers for the integration tests that run the real sdcmond.
 */
#ifndef SDC_ITEST_H
#define SDC_ITEST_H

#include <stdbool.h>

/* it_write_config - write @body (libconfig) to DIR/sdcmon.conf, mode 0600,
 * with data_dir = DIR/data prepended; returns the path (caller frees). */
char *it_write_config(const char *dir, const char *body);

/* it_virsh - first line of `virsh -c URI ARGS` output matching the label
 * "LABEL:" with the label and blanks removed; caller frees; NULL if none. */
char *it_virsh_field(const char *uri, const char *args, const char *label);

/* it_count_files - files under @dir whose name matches the glob @pattern. */
int it_count_files(const char *dir, const char *pattern);

/* it_rrd_lastupdate - time of the last update of @file, -1 on error. */
long it_rrd_lastupdate(const char *file);

/* it_path - DIR/relative, the relative part printf-formatted; caller frees. */
char *it_path(const char *dir, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* it_run_sdcmond - run the built sdcmond with "-c CONF ARGS", its output
 * appended to DIR/sdcmond.log; returns its exit status. */
int it_run_sdcmond(const char *dir, const char *conf, const char *args);

/* it_read_log - DIR/sdcmond.log (caller frees; NULL if missing). */
char *it_read_log(const char *dir);

/* it_wait_log - wait until DIR/sdcmond.log holds @what @n times. */
bool it_wait_log(const char *dir, const char *what, int n, int timeout_ms);

#endif
