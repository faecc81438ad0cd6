/*
 * schema.h - the archive layout of DESIGN.md section 4.
 *
 * Every archive is DATA_DIR/rrd/<kind>/<id>/<file>.rrd.  An archive type
 * fixes <kind>, the file name (or its prefix, for per-device files such as
 * disk-<target>.rrd) and the data sources in order.  Writers, readers and
 * tests all take names from this table, never from string literals.
 */
#ifndef SDC_SCHEMA_H
#define SDC_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

enum sdc_archive {
    SDC_AR_HV_CPU = 0,
    SDC_AR_HV_MEM,
    SDC_AR_CLUSTER_CPU,
    SDC_AR_CLUSTER_MEM,
    SDC_AR_POOL_USAGE,
    SDC_AR_VM_CPU,
    SDC_AR_VM_MEM,
    SDC_AR_VM_DISK,
    SDC_AR_VM_NET,
    SDC_AR_SNMP_IF,
    SDC_AR_SNMP_STORAGE,
    SDC_AR_SNMP_CPU,
    SDC_AR_SNMP_MEM,
    SDC_AR_SNMP_CUSTOM, /* a device's `custom` object; instance "<name>" or
                           "<name>-<index>" for a table row */
    SDC_AR_COUNT
};

enum sdc_ds_type {
    SDC_DS_GAUGE = 0, /* stored as given */
    SDC_DS_DERIVE, /* a monotonic counter; fetch returns its rate per second */
};

#define SDC_MAX_DS 8

struct sdc_ds_def {
    const char *name;
    enum sdc_ds_type type;
    const char *unit; /* what fetch returns, e.g. "bytes", "ns/s" */
};

struct sdc_archive_def {
    enum sdc_archive type;
    const char *kind; /* directory under rrd/: "hv", "vm", ... */
    const char
        *file; /* file name without ".rrd", or prefix when per_instance */
    bool
        per_instance; /* file is "<file><instance>.rrd", e.g. "disk-" + "vda" */
    size_t n_ds;
    struct sdc_ds_def ds[SDC_MAX_DS];
};

/* sdc_archive_def_get - the definition of @type (never NULL for a valid type).
 */
const struct sdc_archive_def *sdc_archive_def_get(enum sdc_archive type);

/* sdc_archive_ds_index - index of data source @name in @type, or -1. */
int sdc_archive_ds_index(enum sdc_archive type, const char *name);

/*
 * sdc_name_sanitize - reduce @in to [A-Za-z0-9._-] for use in a path.
 * Every other byte (including '/', spaces and UTF-8) becomes '_'; a result
 * that is empty, "." or ".." (or starts with '.') gets a leading '_' so it can
 * never name a parent or hidden directory.  At most @outlen-1 bytes are
 * written; longer names are cut and keep a short hash of the whole so two
 * long names that differ at the end stay distinct.
 * @return: the length written.
 */
size_t sdc_name_sanitize(const char *in, char *out, size_t outlen);

/* Longest sanitised path component we produce, including the NUL. */
#define SDC_NAME_MAX 128

/*
 * sdc_archive_relpath - "rrd/<kind>/<id>/<file>[<instance>].rrd" relative to
 * the data directory, with @id and @instance sanitised.
 * @return: the length, or 0 if @outlen is too small or @instance is missing
 *          for a per-instance type.
 */
size_t sdc_archive_relpath(enum sdc_archive type, const char *id,
                           const char *instance, char *out, size_t outlen);

#endif
