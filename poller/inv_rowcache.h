/*
 * inv_rowcache.h - the inventory's memory of the rows it wrote (private to
 * poller/inventory.c).
 *
 * For each hypervisor, VM, disk, NIC, pool, pool host and volume row, and
 * each SNMP device, interface and storage row, the recorder wrote (or found
 * unchanged) it keeps, keyed by table and primary
 * key, a 64-bit hash of the row's content as bound to the upsert, the row's
 * rowid, and the cycle in which it was last listed.  A listing whose hash
 * matches needs no upsert: only its last_seen moves, in one UPDATE per
 * table and cycle by rowid.  The memory is only a shortcut: dropping any or
 * all of it (rowcache_clear) makes the next cycle write those rows again,
 * exactly as without it.
 *
 * Not thread-safe: one per struct inv, used by the thread that records.
 */
#ifndef SDC_INV_ROWCACHE_H
#define SDC_INV_ROWCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sdc/error.h"

/* The tables whose rows are remembered. */
enum inv_row_table {
    INV_ROW_HV = 0,
    INV_ROW_VM,
    INV_ROW_DISK,
    INV_ROW_NIC,
    INV_ROW_POOL,
    INV_ROW_POOL_HOST,
    INV_ROW_VOLUME,
    INV_ROW_SNMP_DEV,
    INV_ROW_IF,
    INV_ROW_STORAGE,
    INV_ROW_TABLES
};

struct rowcache;

/* A row's remembered state. */
struct rowcache_row {
    uint64_t content; /* rowhash of the content last written */
    int64_t rowid;    /* SQLite rowid of the row */
    time_t seen;      /* cycle in which it was last listed */
};

/*
 * Content hash of one row: every bound value in order, strings with their
 * length and NULL told apart from "", seeded per cache so that a name chosen
 * to collide with another cannot hide a change.
 */
struct rowhash {
    uint64_t h;
};

/* rowcache_new - an empty cache; NULL when out of memory. */
struct rowcache *rowcache_new(void);

/* rowcache_free - free @c and every entry; NULL is fine. */
void rowcache_free(struct rowcache *c);

/* rowcache_clear - forget every row (the next cycle writes them all). */
void rowcache_clear(struct rowcache *c);

/* rowcache_len - the number of rows remembered. */
size_t rowcache_len(const struct rowcache *c);

/*
 * rowcache_lookup - the remembered state of the row of @table keyed by @k1
 * (and @k2, for tables with a two-part key; NULL otherwise).
 * @return: the state, to read or update in place, valid until the next
 * put, remove, prune or clear; NULL when the row is not remembered.
 */
struct rowcache_row *rowcache_lookup(struct rowcache *c,
                                     enum inv_row_table table, const char *k1,
                                     const char *k2);

/*
 * rowcache_put - remember @row for the key, replacing what was there.
 * @return: SDC_OK, or SDC_ERR_NOMEM (the cache is then unchanged).
 */
enum sdc_rc rowcache_put(struct rowcache *c, enum inv_row_table table,
                         const char *k1, const char *k2,
                         const struct rowcache_row *row);

/* rowcache_remove - forget one row; no-op when it is not remembered. */
void rowcache_remove(struct rowcache *c, enum inv_row_table table,
                     const char *k1, const char *k2);

/*
 * rowcache_prune - forget every row whose seen time is not @seen (rows not
 * listed in that cycle).  Bounds the memory when VMs come and go.
 * @return: the number of rows forgotten.
 */
size_t rowcache_prune(struct rowcache *c, time_t seen);

/* rowhash_begin - start a content hash with @c's seed. */
void rowhash_begin(struct rowhash *h, const struct rowcache *c);

/* rowhash_str - add a string; NULL differs from "". */
void rowhash_str(struct rowhash *h, const char *s);

/* rowhash_u64 - add a number. */
void rowhash_u64(struct rowhash *h, uint64_t v);

/* rowhash_end - the hash of what was added. */
uint64_t rowhash_end(const struct rowhash *h);

#endif
