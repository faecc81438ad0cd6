/*
 * test_web_gcache.c - the web view's cache of rendered graphs
 * (agent/web_gcache.c): normalised keys from parsed graph paths and query
 * values, one snapshot's answers (a newer one empties it, an older one is
 * neither found nor stored), the least recently used evicted past the
 * entry count or the byte cap, the first of two inserts kept, and four
 * threads hammering one small cache (every hit's body is the one put for
 * its key and snapshot; counters add up; run under ASan+UBSan too).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web_gcache.h"
#include "web_route.h"

/* The key of graph @path with query values @ds and @range (NULL: absent),
 * parsed as the web view parses them; "" when they do not parse. */
static void key_of(const char *path, const char *ds, const char *range,
                   char *out, size_t outlen)
{
    struct web_graph g;
    int idx[SDC_MAX_DS];
    size_t n;
    long secs;
    out[0] = '\0';
    if (!web_graph_parse(path, &g) || !web_parse_range(range, &secs) ||
        !web_parse_ds_list(g.type, ds, idx, &n))
        return;
    assert_true(web_gcache_key(&g, idx, n, secs, out, outlen));
}

static void test_keys(void **state)
{
    char a[WEB_GCACHE_KEY], b[WEB_GCACHE_KEY], path[600];
    struct web_graph g;
    int idx[SDC_MAX_DS];
    size_t n;
    (void)state;
    /* absent ds = every source in schema order; absent range = 1d */
    key_of("cluster/c1/cpu", NULL, NULL, a, sizeof(a));
    assert_string_equal(a, "cluster/c1/cpu?range=86400&ds=0,1,2");
    key_of("cluster/c1/cpu", "used,capacity,vcpus", "1d", b, sizeof(b));
    assert_string_equal(a, b);
    key_of("cluster/c1/cpu", "", "1d", b, sizeof(b));
    assert_string_equal(a, b);
    /* another order draws another chart; another range, another window */
    key_of("cluster/c1/cpu", "capacity,used,vcpus", NULL, b, sizeof(b));
    assert_string_equal(b, "cluster/c1/cpu?range=86400&ds=1,0,2");
    key_of("cluster/c1/cpu", "used,capacity", NULL, b, sizeof(b));
    assert_string_equal(b, "cluster/c1/cpu?range=86400&ds=0,1");
    key_of("cluster/c1/cpu", NULL, "7d", b, sizeof(b));
    assert_string_equal(b, "cluster/c1/cpu?range=604800&ds=0,1,2");
    key_of("cluster/c1/mem", NULL, NULL, b, sizeof(b));
    assert_string_equal(b, "cluster/c1/mem?range=86400&ds=0,1,2");
    key_of("cluster/c2/cpu", NULL, NULL, b, sizeof(b));
    assert_string_equal(b, "cluster/c2/cpu?range=86400&ds=0,1,2");
    /* per-instance archives: the instance is part of the key */
    key_of("vm/u1/disk-vda", "rd_bytes", "30d", a, sizeof(a));
    key_of("vm/u1/disk-vdb", "rd_bytes", "30d", b, sizeof(b));
    assert_true(strlen(a) > 0 && strlen(b) > 0);
    assert_string_not_equal(a, b);
    assert_non_null(strstr(a, "vm/u1/disk-vda?range=2592000&ds="));
    /* what does not parse has no key (it gets its 400/404) */
    key_of("cluster/c1/cpu", "used,bogus", NULL, b, sizeof(b));
    assert_string_equal(b, "");
    key_of("cluster/c1/cpu", NULL, "2d", b, sizeof(b));
    assert_string_equal(b, "");
    key_of("nope/c1/cpu", NULL, NULL, b, sizeof(b));
    assert_string_equal(b, "");

    /* the longest id and file name fit WEB_GCACHE_KEY with every source */
    {
        char id[SDC_NAME_MAX], inst[SDC_NAME_MAX];
        memset(id, 'i', sizeof(id) - 1);
        id[sizeof(id) - 1] = '\0';
        /* the file name "disk-<instance>" is a name too */
        memset(inst, 'd', sizeof(inst) - 6);
        inst[sizeof(inst) - 6] = '\0';
        snprintf(path, sizeof(path), "vm/%s/disk-%s", id, inst);
    }
    assert_true(web_graph_parse(path, &g));
    assert_true(web_parse_ds_list(g.type, NULL, idx, &n));
    assert_true(web_gcache_key(&g, idx, n, 31536000, a, sizeof(a)));
    assert_int_equal(strlen(a),
                     strlen(path) + strlen("?range=31536000&ds=") + 2 * n - 1);
    /* a buffer too small: no key, no overflow */
    assert_false(web_gcache_key(&g, idx, n, 86400, a, 20));
    assert_false(web_gcache_key(&g, idx, n, 86400, a, strlen(path) + 10));
}

/* A hit's body, its length, and the counters. */
static void expect_hit(struct web_gcache *c, const char *key, uint64_t seq,
                       const char *want, size_t want_len)
{
    char *body = NULL;
    size_t len = 0;
    assert_true(web_gcache_get(c, key, seq, &body, &len));
    assert_int_equal(len, want_len);
    assert_memory_equal(body, want, want_len);
    assert_int_equal(body[len], '\0');
    free(body);
}

static void expect_miss(struct web_gcache *c, const char *key, uint64_t seq)
{
    char *body = (char *)"untouched";
    size_t len = 7;
    assert_false(web_gcache_get(c, key, seq, &body, &len));
    assert_string_equal(body, "untouched");
    assert_int_equal(len, 7);
}

static void expect_stats(struct web_gcache *c, uint64_t hits, uint64_t misses,
                         uint64_t evictions, size_t entries, size_t bytes)
{
    struct web_gcache_stats s;
    web_gcache_get_stats(c, &s);
    assert_int_equal(s.hits, hits);
    assert_int_equal(s.misses, misses);
    assert_int_equal(s.evictions, evictions);
    assert_int_equal(s.entries, entries);
    assert_int_equal(s.bytes, bytes);
}

static void test_snapshots(void **state)
{
    struct web_gcache *c = web_gcache_new(WEB_GCACHE_ENTRIES, 1 << 20);
    static const char svg[] = "<svg>\0binary</svg>"; /* 18 bytes, a NUL */
    (void)state;
    assert_non_null(c);
    expect_stats(c, 0, 0, 0, 0, 0);
    expect_miss(c, "k1", 5);
    web_gcache_put(c, "k1", 5, svg, sizeof(svg) - 1);
    expect_hit(c, "k1", 5, svg, sizeof(svg) - 1);
    expect_hit(c, "k1", 5, svg, sizeof(svg) - 1);
    expect_miss(c, "k2", 5);
    expect_stats(c, 2, 2, 0, 1, sizeof(svg) - 1);
    /* a second insert of a held key keeps the first */
    web_gcache_put(c, "k1", 5, "other", 5);
    expect_hit(c, "k1", 5, svg, sizeof(svg) - 1);
    expect_stats(c, 3, 2, 0, 1, sizeof(svg) - 1);
    /* a request still holding an older snapshot: neither found nor stored,
     * and the newer entries stay */
    expect_miss(c, "k1", 4);
    web_gcache_put(c, "k9", 4, "old", 3);
    expect_stats(c, 3, 3, 0, 1, sizeof(svg) - 1);
    expect_miss(c, "k9", 5);
    /* the next snapshot: everything is stale and dropped */
    expect_miss(c, "k1", 6);
    expect_stats(c, 3, 5, 0, 0, 0);
    web_gcache_put(c, "k1", 6, "new", 3);
    expect_hit(c, "k1", 6, "new", 3);
    /* an insert under a newer snapshot drops the old ones too */
    web_gcache_put(c, "k2", 8, "eight", 5);
    expect_stats(c, 4, 5, 0, 1, 5);
    expect_miss(c, "k1", 8);
    expect_hit(c, "k2", 8, "eight", 5);
    web_gcache_free(c);
    web_gcache_free(NULL);
    /* NULL is an absent cache: nothing found, nothing counted */
    expect_miss(NULL, "k1", 1);
    web_gcache_put(NULL, "k1", 1, "x", 1);
    expect_stats(NULL, 0, 0, 0, 0, 0);
}

static void test_lru_entries(void **state)
{
    struct web_gcache *c = web_gcache_new(3, 1 << 20);
    (void)state;
    web_gcache_put(c, "a", 1, "AA", 2);
    web_gcache_put(c, "b", 1, "BBB", 3);
    web_gcache_put(c, "c", 1, "C", 1);
    expect_stats(c, 0, 0, 0, 3, 6);
    expect_hit(c, "a", 1, "AA", 2); /* a is now newer than b and c */
    web_gcache_put(c, "d", 1, "DDDD", 4);
    expect_stats(c, 1, 0, 1, 3, 7);
    expect_miss(c, "b", 1); /* the least recently used went */
    expect_hit(c, "c", 1, "C", 1);
    expect_hit(c, "a", 1, "AA", 2);
    expect_hit(c, "d", 1, "DDDD", 4);
    /* order of use now c, a, d: e evicts c */
    web_gcache_put(c, "e", 1, "E", 1);
    expect_miss(c, "c", 1);
    expect_hit(c, "a", 1, "AA", 2);
    expect_hit(c, "e", 1, "E", 1);
    expect_stats(c, 6, 2, 2, 3, 7);
    web_gcache_free(c);

    /* the count is capped at WEB_GCACHE_ENTRIES */
    c = web_gcache_new(100000, 1 << 20);
    for (int i = 0; i < WEB_GCACHE_ENTRIES + 10; i++) {
        char k[16];
        snprintf(k, sizeof(k), "k%d", i);
        web_gcache_put(c, k, 1, k, strlen(k));
    }
    {
        struct web_gcache_stats s;
        web_gcache_get_stats(c, &s);
        assert_int_equal(s.entries, WEB_GCACHE_ENTRIES);
        assert_int_equal(s.evictions, 10);
    }
    expect_miss(c, "k9", 1);
    expect_hit(c, "k10", 1, "k10", 3);
    web_gcache_free(c);
}

static void test_lru_bytes(void **state)
{
    struct web_gcache *c = web_gcache_new(WEB_GCACHE_ENTRIES, 100);
    char big[101];
    (void)state;
    memset(big, 'x', sizeof(big));
    web_gcache_put(c, "a", 1, big, 40);
    web_gcache_put(c, "b", 1, big, 40);
    expect_stats(c, 0, 0, 0, 2, 80);
    expect_hit(c, "a", 1, big, 40);
    web_gcache_put(c, "c", 1, big, 40); /* 120 > 100: b goes */
    expect_stats(c, 1, 0, 1, 2, 80);
    expect_miss(c, "b", 1);
    /* one that needs both gone */
    web_gcache_put(c, "d", 1, big, 100);
    expect_stats(c, 1, 1, 3, 1, 100);
    expect_hit(c, "d", 1, big, 100);
    /* larger than the cap: not kept, nothing evicted */
    web_gcache_put(c, "e", 1, big, 101);
    expect_stats(c, 2, 1, 3, 1, 100);
    expect_miss(c, "e", 1);
    web_gcache_free(c);
}

/* ---- four threads on a small cache ---- */

#define T_THREADS 4
#define T_ROUNDS 20000
#define T_KEYS 12

struct t_arg {
    struct web_gcache *c;
    uint64_t *seq; /* shared, advanced by thread 0 */
    int id;
    unsigned seed;
    uint64_t gets;
    int bad;
};

/* The body put for @key under @seq: its length varies with both. */
static size_t t_body(int key, uint64_t seq, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "<svg key=%d seq=%llu>", key,
                     (unsigned long long)seq);
    size_t len = (size_t)n;
    while (len < outlen - 1 && len < (size_t)(n + (key * 7 + (int)seq) % 40))
        out[len++] = 'x';
    out[len] = '\0';
    return len;
}

static void *t_run(void *p)
{
    struct t_arg *a = p;
    for (int i = 0; i < T_ROUNDS; i++) {
        uint64_t seq = __atomic_load_n(a->seq, __ATOMIC_ACQUIRE);
        int k = (int)(rand_r(&a->seed) % T_KEYS);
        char key[32], want[128], *body = NULL;
        size_t len = 0, wl;
        snprintf(key, sizeof(key), "g/%d", k);
        wl = t_body(k, seq, want, sizeof(want));
        a->gets++;
        if (web_gcache_get(a->c, key, seq, &body, &len)) {
            if (len != wl || memcmp(body, want, wl) != 0)
                a->bad++;
            free(body);
        } else {
            web_gcache_put(a->c, key, seq, want, wl);
        }
        if (a->id == 0 && i % 500 == 499)
            __atomic_add_fetch(a->seq, 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

static void test_threads(void **state)
{
    /* 8 entries and 400 bytes for 12 keys: evictions all the time */
    struct web_gcache *c = web_gcache_new(8, 400);
    struct web_gcache_stats s;
    pthread_t th[T_THREADS];
    struct t_arg a[T_THREADS];
    uint64_t seq = 1, gets = 0;
    (void)state;
    for (int i = 0; i < T_THREADS; i++) {
        a[i] = (struct t_arg){c, &seq, i, (unsigned)i + 1, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, t_run, &a[i]), 0);
    }
    for (int i = 0; i < T_THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(a[i].bad, 0);
        gets += a[i].gets;
    }
    web_gcache_get_stats(c, &s);
    print_message("%llu hits, %llu misses, %llu evictions over %llu "
                  "snapshots\n",
                  (unsigned long long)s.hits, (unsigned long long)s.misses,
                  (unsigned long long)s.evictions, (unsigned long long)seq);
    assert_int_equal(s.hits + s.misses, gets);
    assert_int_equal(gets, (uint64_t)T_THREADS * T_ROUNDS);
    assert_true(s.hits > 0);
    assert_true(s.evictions > 0);
    assert_true(s.entries <= 8);
    assert_true(s.bytes <= 400);
    assert_true(seq > 1);
    web_gcache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),        cmocka_unit_test(test_snapshots),
        cmocka_unit_test(test_lru_entries), cmocka_unit_test(test_lru_bytes),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
