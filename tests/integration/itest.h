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

#endif
