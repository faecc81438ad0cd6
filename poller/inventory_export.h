/*
 * inventory_export.h - an agent's inventory as JSON, and the merge of
 * another agent's into this one (DESIGN.md section 8: each agent keeps its
 * own inventory; the agent that writes reports pulls the others' over
 * GET /api/v1/inventory and merges them).
 *
 * The document (format_version 1):
 *   {"format_version": 1, "schema_version": N, "generated_at": T,
 *    "hypervisors": [...], "vms": [...], "vm_names": [...], "disks": [...],
 *    "nics": [...], "pools": [...], "pool_hosts": [...], "volumes": [...],
 *    "snmp_devices": [...], "interfaces": [...], "storages": [...],
 *    "events": [...], "snapshot_cluster": [...], "snapshot_pool": [...]}
 * Each array holds one object per row, keyed by the column names of the
 * inventory's table (inventory.h), values as integers, strings or null.
 * Rows that came from a peer are not exported again (an agent exports what
 * it polled itself), so two agents that pull from each other do not pass
 * rows back and forth.
 *
 * Merged rows are tagged in the table peer_rows(tbl, key, peer, last_seen,
 * merged_at): which peer a row came from, and what its last_seen was then.
 */
#ifndef SDC_INVENTORY_EXPORT_H
#define SDC_INVENTORY_EXPORT_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "inventory.h"
#include "sdc/error.h"

/* Version of the document's layout. */
#define INV_EXPORT_FORMAT_VERSION 1

/* Most rows one document may hold, over all tables. */
#define INV_MERGE_MAX_ROWS ((size_t)5000000)

/* Longest text value accepted from a peer, in bytes. */
#define INV_MERGE_MAX_TEXT 4096

/*
 * A peer's row may be at most this far in the future of the merging
 * agent's clock (seconds): a peer with a clock far ahead would otherwise
 * win every "newer" comparison for ever.
 */
#define INV_MERGE_MAX_SKEW 86400

/*
 * A VM one side lists active (running, paused ...) and the other inactive
 * (shut off) counts where it is active, unless the inactive listing is
 * newer by more than this many seconds (then the VM really stopped).
 */
#define INV_MERGE_VM_ACTIVE_WINS 3600

/*
 * struct inv_merge_stats - what a merge did, over all tables.
 * @added:   rows that were not in the inventory
 * @updated: rows the peer's newer row replaced
 * @kept:    rows left as they were (the stored one is as new or newer, the
 *           snapshot day or the event was already there)
 */
struct inv_merge_stats {
    size_t added;
    size_t updated;
    size_t kept;
};

/*
 * inventory_export_json - every table of @db as one JSON document (above).
 * @now: the "generated_at" time; 0 for the clock
 * @return: a new reference (json_decref() it), or NULL with @err set
 *          (SDC_ERR_DB, SDC_ERR_NOMEM).
 */
json_t *inventory_export_json(struct inv *db, time_t now,
                              struct sdc_error *err);

/*
 * inventory_merge_json - merge @doc, the export of the agent @peer, into
 * @db, in one transaction: on any error nothing is written.
 *
 * Rows with a last_seen (hypervisors, VMs, disks, NICs, pools and the hosts
 * that see them, volumes, SNMP devices, interfaces, storages) are upserted
 * when new, or when the peer's last_seen is later than the stored one;
 * otherwise the stored row is kept whole (a newer local row is never
 * overwritten by an older peer row).  A VM stored as active is not replaced
 * by a peer's inactive listing of it less than INV_MERGE_VM_ACTIVE_WINS
 * newer (a VM defined on hosts of two agents counts where it runs).  Daily
 * snapshots, rename history and events are added when not there yet.  Merging
 * the same document twice changes nothing the second time.  Each row taken is
 * tagged with @peer.
 *
 * The whole document is checked before anything is written: format_version
 * 1, arrays of objects, every key column present, integers and times in
 * range (no negative sizes, last_seen not before first_seen nor more than
 * INV_MERGE_MAX_SKEW ahead of @now), texts at most INV_MERGE_MAX_TEXT bytes,
 * VM uuids and states, days as YYYY-MM-DD, at most INV_MERGE_MAX_ROWS rows.
 * Keys the merge does not know are ignored.  A disk, NIC or volume whose VM
 * or pool is neither in the document nor in the inventory is refused.
 *
 * @peer:  the peer's name from the config, [A-Za-z0-9._-]
 * @now:   the merging agent's time; 0 for the clock
 * @stats: may be NULL
 * @return: SDC_OK; SDC_ERR_INVALID with "<table>[<i>]: what is wrong" for a
 *          document that does not pass; SDC_ERR_DB; SDC_ERR_NOMEM.
 */
enum sdc_rc inventory_merge_json(struct inv *db, const json_t *doc,
                                 const char *peer, time_t now,
                                 struct inv_merge_stats *stats,
                                 struct sdc_error *err);

#endif
