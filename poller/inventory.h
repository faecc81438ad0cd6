/*
 * inventory.h - what RRD cannot hold: names, sizes and states over time
 * (DESIGN.md section 5), in SQLite with WAL at DATA_DIR/inventory.db.
 *
 * The agent records each cycle's batches; the inventory keeps first_seen,
 * last_seen and state_since for VMs, marks entities no longer seen, and keeps
 * one snapshot per day of counts, allocations and capacities per cluster and
 * pool.
 */
#ifndef SDC_INVENTORY_H
#define SDC_INVENTORY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sdc/error.h"
#include "sdc/sample.h"

struct inv;

/* inv_open - open or create the database at @path (creates the schema). */
enum sdc_rc inv_open(const char *path, struct inv **out, struct sdc_error *err);
void inv_close(struct inv *db);

/*
 * inv_record_batches - record one cycle: every batch that is ok (a batch that
 * failed leaves its host's entities as they were, not deleted).  A VM listed
 * by two batches (a migration) is kept once, where it is active.  Runs in one
 * transaction.  @now is the cycle time.
 */
enum sdc_rc inv_record_batches(struct inv *db, struct sdc_batch *const *batches,
                               size_t n, time_t now, struct sdc_error *err);

/*
 * inv_snapshot_daily - write the snapshot for the local day of @now if that
 * day has none yet (idempotent).  Counts only entities seen in the last day.
 */
enum sdc_rc inv_snapshot_daily(struct inv *db, time_t now,
                               struct sdc_error *err);

/* Read-back helpers used by tests and reports. */
struct inv_vm_row {
    char uuid[40];
    char name[256];
    char host[128];
    char state[16];
    int vcpus;
    uint64_t memory;
    time_t first_seen;
    time_t last_seen;
    time_t state_since;
};

/* inv_get_vm - the VM with @uuid; SDC_ERR_INVALID when absent. */
enum sdc_rc inv_get_vm(struct inv *db, const char *uuid, struct inv_vm_row *out,
                       struct sdc_error *err);

/* inv_count - rows of @table ("vms", "hypervisors", "pools", ...), or -1. */
long inv_count(struct inv *db, const char *table);

#endif
