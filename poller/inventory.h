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

#include <stdbool.h>
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
#define INV_SCHEMA_VERSION 4

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
 *
 * SNMP devices (a batch with has_snmp_device): snmp_devices is upserted;
 * interfaces and storages are keyed by (device, name) and upserted with
 * last_seen; one that no longer appears in a complete listing of its device
 * (interfaces_complete / storages_complete) keeps its row and last_seen and
 * gets vanished_at.  Their events: kind "interface added" / "interface
 * vanished" / "storage added" / "storage vanished" (added also when a
 * vanished one returns), entity "<device>/<name>", name, host = device.
 *
 * Poll status (schema 3, for the daily digest), written by
 * inv_record_poll(): poll_days(target, day, kind, cycles_ok, cycles_failed,
 * first_t, last_t, last_error, last_error_at) per target and local day;
 * poll_status(target, kind, up, since, error) - each target's status now,
 * written only when it changes; poll_transitions(t, target, kind, up,
 * error) - every change of status (the first reading of a target counts as
 * one).  A target is a batch's source and kind (the collector's name,
 * "libvirt" or "snmp"): a hypervisor or an SNMP device, which may share a
 * name (a host polled both ways); schema 4 keys the tables by both.
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
 *
 * A row is upserted only when it is new to this connection or its content
 * differs from what this connection last wrote to it; every other listed
 * row only has its last_seen set to @now, by one UPDATE per table.  Readers
 * see the same rows, values and last_seen either way.  What is remembered
 * is dropped (and the next cycle writes every row once, as after a
 * restart) when another connection has committed to the database since
 * (PRAGMA data_version), when a cycle fails, and on inv_import_begin().
 */
enum sdc_rc inv_record_batches(struct inv *db, struct sdc_batch *const *batches,
                               size_t n, time_t now, struct sdc_error *err);

/* What inv_record_batches() did since inv_open(), for tests and logs. */
struct inv_stats {
    uint64_t cycles;         /* cycles recorded (committed) */
    uint64_t rows_written;   /* hypervisor, VM, disk, NIC, pool, pool-host,
                                volume, SNMP device, interface and storage
                                rows upserted */
    uint64_t rows_unchanged; /* rows listed as last written: only last_seen
                                moved */
    uint64_t resets;         /* times what was remembered was dropped while
                                it held rows */
    uint64_t remembered;     /* rows remembered now */
};

/* inv_get_stats - copy the counters of @db into @out (zeros for NULL). */
void inv_get_stats(const struct inv *db, struct inv_stats *out);

/*
 * inv_record_poll - the poll status of one cycle at @cycle: for every batch
 * (ok or failed), add one to the day's cycles_ok or cycles_failed and keep
 * its error; when the target went up or down (or is new), update
 * poll_status and add a poll_transitions row.  One transaction; cheap: one
 * upsert and one indexed read per target, two more writes on a change.
 */
enum sdc_rc inv_record_poll(struct inv *db, struct sdc_batch *const *batches,
                            size_t n, time_t cycle, struct sdc_error *err);

/*
 * inv_snapshot_daily - write the snapshot for the local day of @now if that
 * day has none yet (idempotent).  Counts only entities seen in the last day.
 * Then one step of the daily prune (inv_prune_poll()).
 *
 * Per cluster: hosts, cores, cpus, memory of its hypervisors; vms (not
 * deleted); vms_running, vcpus and vram (current memory) of active VMs;
 * provisioned_storage, the disk capacity of its VMs.  Per pool: capacity,
 * allocation, the number of volumes and their summed capacity.
 */
enum sdc_rc inv_snapshot_daily(struct inv *db, time_t now,
                               struct sdc_error *err);

/*
 * Pruning: poll_days and poll_transitions are operational history read only
 * by the daily digest (one day, normally yesterday), so they are kept for
 * INV_POLL_KEEP_DAYS days.  Of the older transitions, each target's (and
 * kind's) last one before the bound stays, so its status at any time from
 * the bound on reads the same.  Daily snapshots, events, names and deleted
 * entities are history that reports read over years: never pruned.
 */
#define INV_POLL_KEEP_DAYS 400
/* At most this many rows deleted (poll_days) or looked at
 * (poll_transitions) per call, so a first prune of a big table holds the
 * write lock only briefly per cycle. */
#define INV_PRUNE_STEP_ROWS 5000

/* What one inv_prune_poll() call did. */
struct inv_prune_stats {
    uint64_t days;        /* poll_days rows deleted */
    uint64_t transitions; /* poll_transitions rows deleted */
    bool done;            /* nothing older is left for this local day */
};

/*
 * inv_prune_poll - one bounded step of the daily prune: delete at most
 * @step poll_days rows of local days before that of @now - @keep_days days,
 * and look at the next @step poll_transitions rows (by rowid) deleting
 * those before @now - @keep_days days that a later transition of the same
 * target and kind, still before that time, supersedes (inv_record_poll()
 * appends them in time order, so the scan stops at the first window that
 * reaches that time).  One transaction.
 * Once a step finds nothing more, the calls return at once (done) until the
 * local day of @now changes.  inv_snapshot_daily() calls it with
 * INV_POLL_KEEP_DAYS and INV_PRUNE_STEP_ROWS.
 * @out: what was deleted (may be NULL)
 * @return: SDC_OK; SDC_ERR_INVALID for a zero @step or @keep_days;
 * SDC_ERR_DB with SQLite's message.
 */
enum sdc_rc inv_prune_poll(struct inv *db, time_t now, unsigned keep_days,
                           size_t step, struct inv_prune_stats *out,
                           struct sdc_error *err);

/*
 * Import (sdcmon-import --inventory): entities and daily snapshots from
 * another monitor's export, with the times the export gives.
 *
 * Each inv_import_* call upserts one row.  first_seen becomes the earlier of
 * the stored and the given one.  The other facts (and last_seen) are taken
 * from the row only when its last_seen is at least the stored one, so older
 * history never overwrites what the poller saw since; a fact the row leaves
 * out (NULL string, negative number) keeps its stored value.  A new VM gets
 * its first name in vm_names and a "created" event at first_seen (and a
 * "deleted" event at deleted_at when given).  A disk or NIC needs its VM,
 * a volume its pool, already in the inventory (SDC_ERR_INVALID otherwise).
 * A snapshot day already recorded (by the poller or an earlier import) is
 * kept as it is.
 *
 * Call them between inv_import_begin() and inv_import_commit(): one
 * transaction, so a failed import leaves the inventory as it was
 * (inv_import_rollback()).  An SDC_ERR_INVALID row leaves the transaction
 * usable; any other error should roll it back.
 */
enum inv_import_outcome {
    INV_IMPORT_ADDED = 0, /* a new row */
    INV_IMPORT_UPDATED,   /* the stored row took the imported facts */
    INV_IMPORT_KEPT,      /* the stored row is newer (or the day existed) */
};

struct inv_import_hv {
    const char *name; /* required */
    const char *cluster;
    const char *uri;
    const char *hostname;
    const char *model;
    int64_t cpus;   /* logical CPUs; negative: not given */
    int64_t cores;  /* physical cores */
    int64_t memory; /* bytes */
    time_t first_seen;
    time_t last_seen;
};

struct inv_import_vm {
    const char *uuid; /* required */
    const char *name;
    const char *host;
    const char *cluster; /* NULL: the host's cluster */
    const char *title;
    const char *owner;
    enum sdc_vm_state state;
    int64_t vcpus;
    int64_t max_vcpus;
    int64_t memory; /* current allocation, bytes */
    int64_t max_memory;
    time_t first_seen;
    time_t last_seen;
    time_t state_since; /* 0: first_seen for a new VM */
    time_t deleted_at;  /* 0: not deleted */
};

struct inv_import_disk {
    const char *vm_uuid; /* required */
    const char *target;  /* required */
    const char *source;
    const char *backing;
    int64_t capacity;
    int64_t allocation;
    time_t first_seen;
    time_t last_seen;
};

struct inv_import_nic {
    const char *vm_uuid; /* required */
    const char *mac;     /* required */
    const char *target;
    const char *network;
    time_t first_seen;
    time_t last_seen;
};

struct inv_import_pool {
    const char *key; /* required */
    const char *name;
    const char *type;
    const char *source;
    int64_t shared; /* 0 or 1; negative: not given */
    int64_t active;
    int64_t capacity;
    int64_t allocation;
    int64_t available;
    const char *const *hosts; /* hypervisors that see it (pool_hosts) */
    size_t n_hosts;
    time_t first_seen;
    time_t last_seen;
};

struct inv_import_volume {
    const char *pool_key; /* required */
    const char *name;     /* required */
    const char *path;
    int64_t capacity;
    int64_t allocation;
    time_t first_seen;
    time_t last_seen;
};

struct inv_import_snap_cluster {
    const char *day; /* 'YYYY-MM-DD', required */
    const char *cluster;
    int64_t hosts;
    int64_t cores;
    int64_t cpus;
    int64_t memory;
    int64_t vms;
    int64_t vms_running;
    int64_t vcpus;
    int64_t vram;
    int64_t provisioned_storage;
};

struct inv_import_snap_pool {
    const char *day; /* 'YYYY-MM-DD', required */
    const char *pool_key;
    int64_t capacity;
    int64_t allocation;
    int64_t volumes;
    int64_t provisioned;
};

enum sdc_rc inv_import_begin(struct inv *db, struct sdc_error *err);
enum sdc_rc inv_import_commit(struct inv *db, struct sdc_error *err);
void inv_import_rollback(struct inv *db);

/* @out (may be NULL): what happened to the row. */
enum sdc_rc inv_import_hv(struct inv *db, const struct inv_import_hv *r,
                          enum inv_import_outcome *out, struct sdc_error *err);
enum sdc_rc inv_import_vm(struct inv *db, const struct inv_import_vm *r,
                          enum inv_import_outcome *out, struct sdc_error *err);
enum sdc_rc inv_import_disk(struct inv *db, const struct inv_import_disk *r,
                            enum inv_import_outcome *out,
                            struct sdc_error *err);
enum sdc_rc inv_import_nic(struct inv *db, const struct inv_import_nic *r,
                           enum inv_import_outcome *out, struct sdc_error *err);
enum sdc_rc inv_import_pool(struct inv *db, const struct inv_import_pool *r,
                            enum inv_import_outcome *out,
                            struct sdc_error *err);
enum sdc_rc inv_import_volume(struct inv *db, const struct inv_import_volume *r,
                              enum inv_import_outcome *out,
                              struct sdc_error *err);
enum sdc_rc inv_import_snapshot_cluster(struct inv *db,
                                        const struct inv_import_snap_cluster *r,
                                        enum inv_import_outcome *out,
                                        struct sdc_error *err);
enum sdc_rc inv_import_snapshot_pool(struct inv *db,
                                     const struct inv_import_snap_pool *r,
                                     enum inv_import_outcome *out,
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

/*
 * inv_sqlite - the SQLite connection under @db, for modules that read or
 * write the inventory's tables themselves (inventory_export.c); owned by
 * @db.
 */
struct sqlite3 *inv_sqlite(struct inv *db);

/* inv_count - rows of @table ("vms", "hypervisors", "pools", ...), or -1. */
long inv_count(struct inv *db, const char *table);

#endif
