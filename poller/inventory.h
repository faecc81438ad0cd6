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

/*
 * Schema version stored in PRAGMA user_version.  inv_open() migrates an
 * older database step by step and refuses a newer one.
 */
#define INV_SCHEMA_VERSION 1

/*
 * Tables (DESIGN.md section 5): hypervisors, vms, vm_names (rename history),
 * disks, nics, pools, pool_hosts, volumes, snmp_devices, interfaces,
 * storages, snapshot_cluster, snapshot_pool and events.  Times are Unix
 * seconds; a snapshot day is the local date as 'YYYY-MM-DD'.
 *
 * events(t, kind, entity, detail, name, host, prev_value, new_value): entity
 * is the VM's uuid; kind is one of "created", "deleted", "returned" (a
 * deleted VM seen again), "renamed", "migrated" (host changed) and "state";
 * prev_value/new_value hold the old and new name, host or state.
 */

/*
 * inv_open - open or create the database at @path (normally
 * DATA_DIR/inventory.db): WAL, synchronous=NORMAL, busy timeout 5 s,
 * foreign keys on; creates or migrates the schema.
 * @return: SDC_OK, or SDC_ERR_DB with SQLite's message in @err.
 */
enum sdc_rc inv_open(const char *path, struct inv **out, struct sdc_error *err);
void inv_close(struct inv *db);

/*
 * inv_record_batches - record one cycle: every batch that is ok (a batch that
 * failed leaves its host's entities as they were, not deleted).  A VM listed
 * by two batches (a migration) is kept once, where it is active.  Runs in one
 * transaction.  @now is the cycle time.
 *
 * Of a VM's listings, the one where it runs (running, blocked) is kept, else
 * one where it is active (sdc_vm_state_active: paused, shutting down ...),
 * else the first; among equals, the first in @batches order.
 * VMs of an ok batch's source that no ok batch lists get deleted_at = @now.
 * Disks and NICs are taken from the batch whose VM listing was kept; rows no
 * longer listed keep their old last_seen.  A VM's host is its batch's source.
 */
enum sdc_rc inv_record_batches(struct inv *db, struct sdc_batch *const *batches,
                               size_t n, time_t now, struct sdc_error *err);

/*
 * inv_snapshot_daily - write the snapshot for the local day of @now if that
 * day has none yet (idempotent).  Counts only entities seen in the last day.
 *
 * Per cluster: hosts, cores, cpus, memory of its hypervisors; vms (not
 * deleted); vms_running, vcpus and vram (current memory) of active VMs;
 * provisioned_storage, the disk capacity of its VMs.  Per pool: capacity,
 * allocation, the number of volumes and their summed capacity.
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
    time_t deleted_at; /* 0 while the VM is listed */
};

/* inv_get_vm - the VM with @uuid; SDC_ERR_INVALID when absent. */
enum sdc_rc inv_get_vm(struct inv *db, const char *uuid, struct inv_vm_row *out,
                       struct sdc_error *err);

/* inv_count - rows of @table ("vms", "hypervisors", "pools", ...), or -1. */
long inv_count(struct inv *db, const char *table);

#endif
