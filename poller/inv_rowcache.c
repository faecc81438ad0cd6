/*
 * inv_rowcache.c - the inventory's memory of the rows it wrote: an
 * open-addressing hash table (linear probing, deletion by backward shift)
 * keyed by table and primary key.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "inv_rowcache.h"

#define ROWCACHE_MIN_CAP 64

struct entry {
    char *key;   /* k1, then '\0' and k2 for a two-part key; NULL: empty */
    size_t klen; /* bytes in key */
    uint64_t khash;
    int table;
    struct rowcache_row row;
};

struct rowcache {
    struct entry *slots;
    size_t cap; /* a power of two, or 0 before the first put */
    size_t len;
    uint64_t seed;     /* of content hashes */
    uint64_t key_seed; /* of key hashes */
};

/* A bijective 64-bit mixer: every input bit reaches every output bit. */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x9fb21c651e98df25ULL;
    x ^= x >> 29;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}

static uint64_t random_seed(const void *salt)
{
    uint64_t s = 0;
    struct timespec ts;

    if (getrandom(&s, sizeof(s), GRND_NONBLOCK) == (ssize_t)sizeof(s))
        return s;
    /* no entropy yet (early boot): the clock and an address will do, the
     * seed only makes collisions hard to plan */
    clock_gettime(CLOCK_REALTIME, &ts);
    return mix((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
               (uint64_t)(uintptr_t)salt);
}

struct rowcache *rowcache_new(void)
{
    struct rowcache *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->seed = random_seed(c);
    c->key_seed = mix(c->seed ^ 0x5bd1e9955bd1e995ULL);
    return c;
}

static void free_slots(struct entry *slots, size_t cap)
{
    for (size_t i = 0; i < cap; i++)
        free(slots[i].key);
    free(slots);
}

void rowcache_free(struct rowcache *c)
{
    if (!c)
        return;
    free_slots(c->slots, c->cap);
    free(c);
}

void rowcache_clear(struct rowcache *c)
{
    if (!c)
        return;
    free_slots(c->slots, c->cap);
    c->slots = NULL;
    c->cap = 0;
    c->len = 0;
}

size_t rowcache_len(const struct rowcache *c)
{
    return c ? c->len : 0;
}

/* ---- hashing ---------------------------------------------------------- */

void rowhash_u64(struct rowhash *h, uint64_t v)
{
    h->h = mix(h->h ^ mix(v + 0x9e3779b97f4a7c15ULL));
}

/* The bytes of @s, length first, eight at a time (the tail zero-padded). */
static void hash_bytes(struct rowhash *h, const char *s, size_t len)
{
    uint64_t w;

    rowhash_u64(h, (uint64_t)len);
    while (len >= sizeof(w)) {
        memcpy(&w, s, sizeof(w));
        rowhash_u64(h, w);
        s += sizeof(w);
        len -= sizeof(w);
    }
    if (len > 0) {
        w = 0;
        memcpy(&w, s, len);
        rowhash_u64(h, w);
    }
}

void rowhash_str(struct rowhash *h, const char *s)
{
    if (!s) {
        /* no string has this length */
        rowhash_u64(h, UINT64_MAX);
        return;
    }
    hash_bytes(h, s, strlen(s));
}

void rowhash_begin(struct rowhash *h, const struct rowcache *c)
{
    h->h = c->seed;
}

uint64_t rowhash_end(const struct rowhash *h)
{
    return mix(h->h);
}

/* ---- the table ---------------------------------------------------------- */

struct rowkey {
    int table;
    const char *k1;
    const char *k2;
    size_t l1;
    size_t l2;
    size_t klen;
    uint64_t khash;
};

static void key_make(const struct rowcache *c, enum inv_row_table table,
                     const char *k1, const char *k2, struct rowkey *k)
{
    struct rowhash h = {c->key_seed};

    k->table = (int)table;
    k->k1 = k1 ? k1 : "";
    k->k2 = k2;
    k->l1 = strlen(k->k1);
    k->l2 = k2 ? strlen(k2) : 0;
    k->klen = k->l1 + (k2 ? 1 + k->l2 : 0);
    rowhash_u64(&h, (uint64_t)table);
    hash_bytes(&h, k->k1, k->l1);
    if (k2)
        hash_bytes(&h, k2, k->l2);
    k->khash = rowhash_end(&h);
}

static bool key_eq(const struct entry *e, const struct rowkey *k)
{
    if (e->khash != k->khash || e->table != k->table || e->klen != k->klen)
        return false;
    if (memcmp(e->key, k->k1, k->l1) != 0)
        return false;
    return !k->k2 || memcmp(e->key + k->l1 + 1, k->k2, k->l2) == 0;
}

/* The slot holding @k, or the empty slot where it would go. */
static size_t slot_of(const struct rowcache *c, const struct rowkey *k)
{
    size_t mask = c->cap - 1, i = (size_t)k->khash & mask;

    while (c->slots[i].key && !key_eq(&c->slots[i], k))
        i = (i + 1) & mask;
    return i;
}

/* Move every entry into a table of @cap slots (a power of two). */
static enum sdc_rc resize(struct rowcache *c, size_t cap)
{
    struct entry *slots = calloc(cap, sizeof(*slots));
    size_t mask = cap - 1;

    if (!slots)
        return SDC_ERR_NOMEM;
    for (size_t i = 0; i < c->cap; i++) {
        size_t j;
        if (!c->slots[i].key)
            continue;
        j = (size_t)c->slots[i].khash & mask;
        while (slots[j].key)
            j = (j + 1) & mask;
        slots[j] = c->slots[i];
    }
    free(c->slots);
    c->slots = slots;
    c->cap = cap;
    return SDC_OK;
}

struct rowcache_row *rowcache_lookup(struct rowcache *c,
                                     enum inv_row_table table, const char *k1,
                                     const char *k2)
{
    struct rowkey k;
    size_t i;

    if (!c || c->len == 0)
        return NULL;
    key_make(c, table, k1, k2, &k);
    i = slot_of(c, &k);
    return c->slots[i].key ? &c->slots[i].row : NULL;
}

enum sdc_rc rowcache_put(struct rowcache *c, enum inv_row_table table,
                         const char *k1, const char *k2,
                         const struct rowcache_row *row)
{
    struct rowkey k;
    struct entry *e;
    size_t i;

    if (!c || !row)
        return SDC_ERR_INVALID;
    /* at most 70% full, so probes stay short */
    if ((c->len + 1) * 10 > c->cap * 7 &&
        resize(c, c->cap ? c->cap * 2 : ROWCACHE_MIN_CAP) != SDC_OK)
        return SDC_ERR_NOMEM;
    key_make(c, table, k1, k2, &k);
    i = slot_of(c, &k);
    e = &c->slots[i];
    if (!e->key) {
        char *key = malloc(k.klen + 1);
        if (!key)
            return SDC_ERR_NOMEM;
        memcpy(key, k.k1, k.l1);
        key[k.l1] = '\0';
        if (k.k2)
            memcpy(key + k.l1 + 1, k.k2, k.l2 + 1);
        e->key = key;
        e->klen = k.klen;
        e->khash = k.khash;
        e->table = k.table;
        c->len++;
    }
    e->row = *row;
    return SDC_OK;
}

/* Empty slot @i and pull later entries of its probe run back into it. */
static void remove_at(struct rowcache *c, size_t i)
{
    size_t mask = c->cap - 1, j = i;

    free(c->slots[i].key);
    memset(&c->slots[i], 0, sizeof(c->slots[i]));
    c->len--;
    for (;;) {
        size_t home;
        j = (j + 1) & mask;
        if (!c->slots[j].key)
            return;
        home = (size_t)c->slots[j].khash & mask;
        /* the entry at j may move to i only if its home is not in (i, j] */
        if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
            continue;
        c->slots[i] = c->slots[j];
        memset(&c->slots[j], 0, sizeof(c->slots[j]));
        i = j;
    }
}

void rowcache_remove(struct rowcache *c, enum inv_row_table table,
                     const char *k1, const char *k2)
{
    struct rowkey k;
    size_t i;

    if (!c || c->len == 0)
        return;
    key_make(c, table, k1, k2, &k);
    i = slot_of(c, &k);
    if (c->slots[i].key)
        remove_at(c, i);
}

size_t rowcache_prune(struct rowcache *c, time_t seen)
{
    size_t dropped = 0, keep = 0;

    if (!c || c->len == 0)
        return 0;
    for (size_t i = 0; i < c->cap; i++) {
        if (!c->slots[i].key)
            continue;
        if (c->slots[i].row.seen == seen) {
            keep++;
            continue;
        }
        free(c->slots[i].key);
        memset(&c->slots[i], 0, sizeof(c->slots[i]));
        dropped++;
    }
    c->len = keep;
    if (dropped > 0) {
        size_t cap = ROWCACHE_MIN_CAP;
        while ((keep + 1) * 10 > cap * 7)
            cap *= 2;
        /* re-place the survivors: the holes broke their probe runs; if no
         * memory is left for a new table, forgetting everything is safe */
        if (resize(c, cap) != SDC_OK)
            rowcache_clear(c);
    }
    return dropped;
}
