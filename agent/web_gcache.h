/*
 * web_gcache.h - the web view's cache of rendered graph SVGs.
 *
 * A graph's data changes only when a poll cycle writes new rows, and each
 * cycle publishes a new snapshot (snapshot.h, its `seq`).  So a graph is
 * rendered once per snapshot and then copied from here until the next one.
 *
 * Policy: the cache holds the answers of one snapshot only.  A lookup or
 * insert under a newer snapshot empties it (every entry is stale then);
 * one under an older snapshot (a slow thread) neither finds nor stores
 * anything.  Within a snapshot it is bounded by a count of entries and a
 * byte total; past either, the least recently used entry is evicted.
 * An answer larger than the byte cap is not kept.
 *
 * Thread-safe: one mutex, held only to look up and copy, or to insert;
 * the caller fetches and renders without it.  Two threads missing the
 * same key may both render and insert: the first insert is kept and the
 * second copy freed.
 *
 * Pure (no network, no archive): unit-tested in tests/agent/test_web_gcache.c.
 */
#ifndef SDC_AGENT_WEB_GCACHE_H
#define SDC_AGENT_WEB_GCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "web_route.h"

/* Most entries a cache can be made with (and the web view's size). */
#define WEB_GCACHE_ENTRIES 256
/* The web view's byte cap (bodies only). */
#define WEB_GCACHE_BYTES ((size_t)16 << 20)
/* Longest key, including the NUL (web_gcache_key). */
#define WEB_GCACHE_KEY 512

/* Opaque: see web_gcache_new. */
struct web_gcache;

/*
 * struct web_gcache_stats - counters since the cache was made.
 * @hits:      lookups that returned a body
 * @misses:    lookups that did not (a graph of a missing archive too: it
 *             is looked up, answered 404 and never kept)
 * @evictions: entries dropped to make room (not those of an old snapshot)
 * @entries:   entries held now
 * @bytes:     their bodies' total size
 */
struct web_gcache_stats {
    uint64_t hits;
    uint64_t misses;
    uint64_t evictions;
    size_t entries;
    size_t bytes;
};

/*
 * web_gcache_new - an empty cache.
 * @max_entries: 1..WEB_GCACHE_ENTRIES (larger: WEB_GCACHE_ENTRIES)
 * @max_bytes:   cap on the bodies' total size
 * @return: the cache, or NULL when out of memory.
 */
struct web_gcache *web_gcache_new(size_t max_entries, size_t max_bytes);

/* web_gcache_free - free @c and every body it holds; NULL is fine. */
void web_gcache_free(struct web_gcache *c);

/*
 * web_gcache_key - the normalised key of a graph request: the archive
 * (kind, id, file and instance, as web_graph_parse read them), the data
 * sources' schema indexes in the order drawn (as web_parse_ds_list gave
 * them, so an absent ds= and one naming every source in schema order are
 * the same) and the range in seconds (an absent range= and "1d" are the
 * same).
 * @out, @outlen: the key, NUL-terminated
 * @return: false when it does not fit @outlen (then it is not cached).
 */
bool web_gcache_key(const struct web_graph *g, const int *idx, size_t n_idx,
                    long range, char *out, size_t outlen);

/*
 * web_gcache_get - a copy of the body cached for @key under snapshot @seq.
 * Counts a hit or a miss.
 * @body: malloc'd copy (NUL-terminated after @len bytes), caller frees
 * @return: true on a hit; false on a miss (nothing cached, another
 *          snapshot, or out of memory), @body then untouched.
 */
bool web_gcache_get(struct web_gcache *c, const char *key, uint64_t seq,
                    char **body, size_t *len);

/*
 * web_gcache_put - keep a copy of @body (@len bytes), rendered under
 * snapshot @seq, for @key.  Only 200 answers are to be put.  Ignored for
 * an older snapshot than the cache's, a key already held, a body larger
 * than the byte cap, or when out of memory.
 */
void web_gcache_put(struct web_gcache *c, const char *key, uint64_t seq,
                    const char *body, size_t len);

/* web_gcache_get_stats - the counters of @c (all 0 for NULL). */
void web_gcache_get_stats(struct web_gcache *c, struct web_gcache_stats *out);

#endif
