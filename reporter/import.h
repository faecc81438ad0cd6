/*
 * import.h - load history and inventory exported from another monitor
 * (sdcmon-import, DESIGN.md section 2; formats in docs/import.md).
 *
 * History: CSV with the columns time, archive, ds and value, one line per
 * (time, archive, data source).  Rows are grouped per archive and time,
 * and each archive is written once, at the end, through the RRD layout the
 * poller uses (rrd_schema.h): a new archive is built in a temporary file
 * and renamed into place; an archive that already exists is rebuilt from
 * the history up to where its own data begins and its own data (librrd's
 * create with source files) and swapped in with rename(), so nothing the
 * poller wrote is lost; history rows after that are superseded.
 *
 * Inventory: CSV of hypervisors, VMs, disks, NICs, pools, volumes and daily
 * snapshots, written through the inventory module in one transaction.
 *
 * The library never prints.  Skipped rows, failed archives and progress
 * go to the callbacks; the program decides what to show.
 */
#ifndef SDC_IMPORT_H
#define SDC_IMPORT_H

#include <stdint.h>
#include <time.h>

#include "sdc/config.h"
#include "sdc/error.h"

/* Why a row was skipped. */
enum imp_skip {
    IMP_SKIP_FORMAT = 0, /* fields missing, bad quoting, line too long */
    IMP_SKIP_TIME,       /* not a time, before 1980, in the future */
    IMP_SKIP_ARCHIVE,    /* not <kind>/<id>/<file> of the schema */
    IMP_SKIP_DS,         /* the archive has no such data source */
    IMP_SKIP_VALUE,      /* not a number, negative, counter not whole */
    IMP_SKIP_ORDER,      /* not after the previous row of its series */
    IMP_SKIP_WRITE,      /* its archive could not be written */
    IMP_SKIP_COUNT
};

/* imp_skip_name - a short phrase for @why, e.g. "out of order". */
const char *imp_skip_name(enum imp_skip why);

enum imp_phase {
    IMP_PHASE_READ = 0, /* done/total: bytes of the file (total 0: unknown) */
    IMP_PHASE_WRITE,    /* done/total: archives */
};

struct imp_callbacks {
    /* A row skipped: @file as given to imp_source_begin(), @line from 1,
     * @msg one line without the file:line prefix.  Names taken from the
     * file are cut and reduced to printable ASCII in @msg. */
    void (*row_skipped)(void *user, const char *file, uint64_t line,
                        enum imp_skip why, const char *msg);
    /* An archive that could not be written: all its rows are skipped. */
    void (*archive_failed)(void *user, const char *archive, const char *msg);
    /* Progress, at most a few times a second's worth of work apart.
     * @rows: data rows read so far. */
    void (*progress)(void *user, enum imp_phase phase, uint64_t done,
                     uint64_t total, uint64_t rows);
    void *user;
};

struct imp_config {
    const char *data_dir; /* archives go to data_dir/rrd/... */
    unsigned step;        /* the poller's step (config `step`) */
    const struct sdc_retention_cfg *retention; /* NULL: the defaults */
    const char *rrdcached; /* NULL or "": none; else archives are flushed
                              through it before they are merged */
    time_t now;            /* 0: the clock; rows after now + step are
                              refused (they would block the poller) */
    unsigned batch;        /* timestamps per rrd_update_r call; 0: 4096 */
    unsigned jobs;         /* threads writing archives; 0: 1 */
};

struct imp_stats {
    uint64_t lines;      /* lines read, headers and blank lines included */
    uint64_t rows;       /* data rows */
    uint64_t loaded;     /* rows written (unknown values included) */
    uint64_t superseded; /* rows not used: an existing archive holds its
                            own data from before their time on */
    uint64_t unknown;    /* rows whose value was empty, U or NaN */
    uint64_t skipped[IMP_SKIP_COUNT];
    uint64_t archives; /* archives named by the loaded rows */
    uint64_t created;  /* archives created */
    uint64_t merged;   /* existing archives rebuilt with the history */
    uint64_t failed;   /* archives that could not be written */
    uint64_t updates;  /* RRD updates (one per archive and time) */
    uint64_t bridged;  /* values filled between two rows of a data source
                          that came at other times than the rest of its
                          archive (see docs/import.md) */
    uint64_t bytes;    /* bytes read */
    time_t first;      /* earliest and latest time loaded (0: none) */
    time_t last;
};

struct imp;

/*
 * imp_open - an importer writing into @cfg->data_dir.
 * @cb: may be NULL (nothing reported)
 */
enum sdc_rc imp_open(const struct imp_config *cfg,
                     const struct imp_callbacks *cb, struct imp **out,
                     struct sdc_error *err);
void imp_free(struct imp *im);

/*
 * imp_source_begin / imp_feed / imp_source_end - read one CSV source in
 * pieces of any size (lines may span calls).  @name labels its messages.
 * The first line must be the header; columns may come in any order and
 * others are ignored.  Several sources may be read before imp_write();
 * rows of one series must come in ascending time across them.
 * @return: SDC_ERR_INVALID when the header is missing (reported through
 *          row_skipped at line 1), SDC_ERR_NOMEM; bad rows are skipped,
 *          reported and counted, never an error.
 */
enum sdc_rc imp_source_begin(struct imp *im, const char *name,
                             struct sdc_error *err);
enum sdc_rc imp_feed(struct imp *im, const char *data, size_t len,
                     struct sdc_error *err);
enum sdc_rc imp_source_end(struct imp *im, struct sdc_error *err);

/* imp_read_file - one source from @path ("-": standard input). */
enum sdc_rc imp_read_file(struct imp *im, const char *path,
                          struct sdc_error *err);

/*
 * imp_write - write every archive read so far.  An archive that cannot be
 * written is reported through archive_failed and its rows counted as
 * skipped; the others are still written.
 * @return: SDC_OK unless the data directory itself is unusable or memory
 *          ran out.
 */
enum sdc_rc imp_write(struct imp *im, struct sdc_error *err);

/* imp_get_stats - counters so far. */
void imp_get_stats(const struct imp *im, struct imp_stats *out);

/* ---- inventory ---- */

enum imp_inv_kind {
    IMP_INV_HYPERVISOR = 0,
    IMP_INV_POOL,
    IMP_INV_VM,
    IMP_INV_DISK,
    IMP_INV_NIC,
    IMP_INV_VOLUME,
    IMP_INV_SNAPSHOT_CLUSTER,
    IMP_INV_SNAPSHOT_POOL,
    IMP_INV_KIND_COUNT
};

/* imp_inv_kind_name - the `kind` column's word for @k, e.g. "vm". */
const char *imp_inv_kind_name(enum imp_inv_kind k);

struct imp_inv_stats {
    uint64_t lines;
    uint64_t rows;
    uint64_t added[IMP_INV_KIND_COUNT];
    uint64_t updated[IMP_INV_KIND_COUNT];
    uint64_t kept[IMP_INV_KIND_COUNT]; /* the stored row was newer */
    uint64_t skipped;
};

/*
 * imp_inventory_file - load the inventory CSV @path into the database
 * @db_path (created if needed), in one transaction.  Rows are applied kind
 * by kind (hypervisors, pools, VMs, disks, NICs, volumes, snapshots), so
 * the file may list them in any order.  Bad rows are reported through
 * @cb->row_skipped (why: IMP_SKIP_FORMAT, _TIME, _VALUE or _ARCHIVE for a
 * missing key or parent) and skipped.
 * @now: time used when a row gives no last_seen; 0 for the clock
 * @return: SDC_ERR_INVALID for a bad header (reported at line 1),
 *          SDC_ERR_IO, SDC_ERR_DB (nothing written), SDC_ERR_NOMEM.
 */
enum sdc_rc imp_inventory_file(const char *db_path, const char *path,
                               const struct imp_callbacks *cb, time_t now,
                               struct imp_inv_stats *stats,
                               struct sdc_error *err);

#endif
