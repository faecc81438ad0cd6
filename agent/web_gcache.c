/*
 * web_gcache.c - the web view's cache of rendered graph SVGs: one
 * snapshot's answers, bounded by count and bytes, least recently used
 * evicted first.  See web_gcache.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web_gcache.h"

struct gc_entry {
    char *body; /* NULL: a free slot */
    size_t len;
    unsigned long hash;
    uint64_t used; /* the LRU clock when last found or inserted */
    char key[WEB_GCACHE_KEY];
};

struct web_gcache {
    pthread_mutex_t mu;
    size_t max_entries;
    size_t max_bytes;
    uint64_t seq;  /* the snapshot the entries were rendered under */
    uint64_t tick; /* LRU clock */
    size_t n;
    size_t bytes;
    uint64_t hits;
    uint64_t misses;
    uint64_t evictions;
    struct gc_entry e[WEB_GCACHE_ENTRIES];
};

static unsigned long key_hash(const char *s)
{
    unsigned long h = 5381;
    for (; *s; s++)
        h = h * 33 + (unsigned char)*s;
    return h;
}

struct web_gcache *web_gcache_new(size_t max_entries, size_t max_bytes)
{
    struct web_gcache *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c);
        return NULL;
    }
    if (max_entries == 0)
        max_entries = 1;
    c->max_entries =
        max_entries < WEB_GCACHE_ENTRIES ? max_entries : WEB_GCACHE_ENTRIES;
    c->max_bytes = max_bytes;
    return c;
}

void web_gcache_free(struct web_gcache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < WEB_GCACHE_ENTRIES; i++)
        free(c->e[i].body);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

bool web_gcache_key(const struct web_graph *g, const int *idx, size_t n_idx,
                    long range, char *out, size_t outlen)
{
    const struct sdc_archive_def *def = sdc_archive_def_get(g->type);
    size_t len;
    int k;
    if (!def || outlen == 0)
        return false;
    k = snprintf(out, outlen, "%s/%s/%s%s?range=%ld&ds=", def->kind, g->id,
                 def->file, g->instance, range);
    if (k < 0 || (size_t)k >= outlen)
        return false;
    len = (size_t)k;
    for (size_t i = 0; i < n_idx; i++) {
        k = snprintf(out + len, outlen - len, "%s%d", i ? "," : "", idx[i]);
        if (k < 0 || (size_t)k >= outlen - len)
            return false;
        len += (size_t)k;
    }
    return true;
}

/* Drop every entry (a new snapshot made them stale); under the mutex.
 * The bodies go to @drop (WEB_GCACHE_ENTRIES slots), freed by the caller
 * after unlocking. */
static size_t gc_clear(struct web_gcache *c, char **drop)
{
    size_t nd = 0;
    for (size_t i = 0; i < c->max_entries; i++)
        if (c->e[i].body) {
            drop[nd++] = c->e[i].body;
            c->e[i].body = NULL;
        }
    c->n = 0;
    c->bytes = 0;
    return nd;
}

/* The entry of @key, or NULL; under the mutex. */
static struct gc_entry *gc_find(struct web_gcache *c, const char *key,
                                unsigned long h)
{
    for (size_t i = 0; i < c->max_entries; i++) {
        struct gc_entry *e = &c->e[i];
        if (e->body && e->hash == h && strcmp(e->key, key) == 0)
            return e;
    }
    return NULL;
}

/* Move the cache to snapshot @seq, emptying it when that is newer; under
 * the mutex.  @return: false when @seq is older than the cache's. */
static bool gc_advance(struct web_gcache *c, uint64_t seq, char **drop,
                       size_t *nd)
{
    if (seq < c->seq)
        return false;
    if (seq > c->seq) {
        *nd += gc_clear(c, drop + *nd);
        c->seq = seq;
    }
    return true;
}

static void free_all(char **drop, size_t nd)
{
    for (size_t i = 0; i < nd; i++)
        free(drop[i]);
}

bool web_gcache_get(struct web_gcache *c, const char *key, uint64_t seq,
                    char **body, size_t *len)
{
    char *drop[WEB_GCACHE_ENTRIES];
    size_t nd = 0;
    unsigned long h;
    struct gc_entry *e;
    bool hit = false;
    if (!c)
        return false;
    h = key_hash(key);
    pthread_mutex_lock(&c->mu);
    if (gc_advance(c, seq, drop, &nd) && (e = gc_find(c, key, h)) != NULL) {
        char *copy = malloc(e->len + 1);
        if (copy) {
            memcpy(copy, e->body, e->len + 1);
            e->used = ++c->tick;
            *body = copy;
            *len = e->len;
            hit = true;
        }
    }
    if (hit)
        c->hits++;
    else
        c->misses++;
    pthread_mutex_unlock(&c->mu);
    free_all(drop, nd);
    return hit;
}

void web_gcache_put(struct web_gcache *c, const char *key, uint64_t seq,
                    const char *body, size_t len)
{
    char *drop[WEB_GCACHE_ENTRIES + 1];
    size_t nd = 0;
    unsigned long h;
    char *copy;
    struct gc_entry *slot = NULL;
    if (!c || !body || len > c->max_bytes || strlen(key) >= WEB_GCACHE_KEY)
        return;
    copy = malloc(len + 1);
    if (!copy)
        return;
    memcpy(copy, body, len);
    copy[len] = '\0';
    h = key_hash(key);
    pthread_mutex_lock(&c->mu);
    if (!gc_advance(c, seq, drop, &nd) || gc_find(c, key, h)) {
        /* an older snapshot's answer, or another thread's was first */
        drop[nd++] = copy;
        goto unlock;
    }
    /* evict the least recently used until the new one fits */
    while (c->n > 0 &&
           (c->n >= c->max_entries || c->bytes + len > c->max_bytes)) {
        struct gc_entry *lru = NULL;
        for (size_t i = 0; i < c->max_entries; i++)
            if (c->e[i].body && (!lru || c->e[i].used < lru->used))
                lru = &c->e[i];
        drop[nd++] = lru->body;
        lru->body = NULL;
        c->bytes -= lru->len;
        c->n--;
        c->evictions++;
    }
    for (size_t i = 0; i < c->max_entries && !slot; i++)
        if (!c->e[i].body)
            slot = &c->e[i];
    slot->body = copy;
    slot->len = len;
    slot->hash = h;
    slot->used = ++c->tick;
    memcpy(slot->key, key, strlen(key) + 1);
    c->n++;
    c->bytes += len;
unlock:
    pthread_mutex_unlock(&c->mu);
    free_all(drop, nd);
}

void web_gcache_get_stats(struct web_gcache *c, struct web_gcache_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    out->hits = c->hits;
    out->misses = c->misses;
    out->evictions = c->evictions;
    out->entries = c->n;
    out->bytes = c->bytes;
    pthread_mutex_unlock(&c->mu);
}
