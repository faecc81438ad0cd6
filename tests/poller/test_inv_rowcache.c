/*
 * test_inv_rowcache.c - the inventory's memory of written rows: lookups
 * after many puts, removals in every position of a probe run, pruning, and
 * content hashes that tell apart what the upserts would bind differently.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inv_rowcache.h"

#define N 20000

static void key_of(int i, char *k1, size_t n1, char *k2, size_t n2)
{
    snprintf(k1, n1, "vm-%05d", i / 4);
    snprintf(k2, n2, "vd%c", 'a' + i % 4);
}

/* Every key that was put and not removed is found with its row; removed
 * keys are not. */
static void check_all(struct rowcache *c, const bool *present)
{
    char k1[32], k2[8];
    size_t expect = 0;

    for (int i = 0; i < N; i++) {
        struct rowcache_row *r;
        key_of(i, k1, sizeof(k1), k2, sizeof(k2));
        r = rowcache_lookup(c, INV_ROW_DISK, k1, k2);
        if (!present[i]) {
            assert_null(r);
            continue;
        }
        expect++;
        assert_non_null(r);
        assert_int_equal(r->rowid, i + 1);
        assert_true(r->content == (uint64_t)i * 2654435761u);
    }
    assert_int_equal(rowcache_len(c), expect);
}

static void test_put_lookup_remove(void **state)
{
    struct rowcache *c = rowcache_new();
    bool *present = calloc(N, sizeof(*present));
    char k1[32], k2[8];
    unsigned seed = 12345;

    (void)state;
    assert_non_null(c);
    assert_non_null(present);
    assert_null(rowcache_lookup(c, INV_ROW_VM, "x", NULL));
    for (int i = 0; i < N; i++) {
        struct rowcache_row r = {(uint64_t)i * 2654435761u, i + 1, 100};
        key_of(i, k1, sizeof(k1), k2, sizeof(k2));
        assert_int_equal(rowcache_put(c, INV_ROW_DISK, k1, k2, &r), SDC_OK);
        present[i] = true;
    }
    check_all(c, present);
    /* a put of a known key replaces, it does not add */
    {
        struct rowcache_row r = {7, 1, 100};
        assert_int_equal(rowcache_put(c, INV_ROW_DISK, "vm-00000", "vda", &r),
                         SDC_OK);
        assert_int_equal(rowcache_len(c), N);
        assert_true(
            rowcache_lookup(c, INV_ROW_DISK, "vm-00000", "vda")->content == 7);
        r.content = 0;
        assert_int_equal(rowcache_put(c, INV_ROW_DISK, "vm-00000", "vda", &r),
                         SDC_OK);
    }
    /* remove two thirds in a scattered order */
    for (int n = 0; n < 2 * N / 3; n++) {
        int i;
        seed = seed * 1103515245u + 12345u;
        i = (int)((seed >> 8) % N);
        key_of(i, k1, sizeof(k1), k2, sizeof(k2));
        rowcache_remove(c, INV_ROW_DISK, k1, k2);
        present[i] = false;
    }
    check_all(c, present);
    /* removing what is absent changes nothing */
    rowcache_remove(c, INV_ROW_DISK, "nope", "vda");
    rowcache_remove(c, INV_ROW_NIC, "vm-00001", "vda");
    check_all(c, present);

    /* prune keeps only rows seen at 200 */
    for (int i = 0; i < N; i += 3) {
        struct rowcache_row *r;
        key_of(i, k1, sizeof(k1), k2, sizeof(k2));
        r = rowcache_lookup(c, INV_ROW_DISK, k1, k2);
        if (r)
            r->seen = 200;
    }
    {
        size_t before = rowcache_len(c), kept = 0;
        for (int i = 0; i < N; i++) {
            if (present[i] && i % 3 != 0)
                present[i] = false;
            kept += present[i];
        }
        assert_int_equal(rowcache_prune(c, 200), before - kept);
    }
    check_all(c, present);
    rowcache_clear(c);
    assert_int_equal(rowcache_len(c), 0);
    memset(present, 0, N * sizeof(*present));
    check_all(c, present);
    rowcache_free(c);
    rowcache_free(NULL);
    free(present);
}

/* Keys: the table and where one part ends count. */
static void test_keys_distinct(void **state)
{
    struct rowcache *c = rowcache_new();
    struct rowcache_row r = {1, 1, 0};

    (void)state;
    assert_non_null(c);
    assert_int_equal(rowcache_put(c, INV_ROW_NIC, "ab", "c", &r), SDC_OK);
    r.rowid = 2;
    assert_int_equal(rowcache_put(c, INV_ROW_NIC, "a", "bc", &r), SDC_OK);
    r.rowid = 3;
    assert_int_equal(rowcache_put(c, INV_ROW_DISK, "ab", "c", &r), SDC_OK);
    r.rowid = 4;
    assert_int_equal(rowcache_put(c, INV_ROW_VM, "ab", NULL, &r), SDC_OK);
    r.rowid = 5;
    assert_int_equal(rowcache_put(c, INV_ROW_NIC, "ab", "", &r), SDC_OK);
    assert_int_equal(rowcache_len(c), 5);
    assert_int_equal(rowcache_lookup(c, INV_ROW_NIC, "ab", "c")->rowid, 1);
    assert_int_equal(rowcache_lookup(c, INV_ROW_NIC, "a", "bc")->rowid, 2);
    assert_int_equal(rowcache_lookup(c, INV_ROW_DISK, "ab", "c")->rowid, 3);
    assert_int_equal(rowcache_lookup(c, INV_ROW_VM, "ab", NULL)->rowid, 4);
    assert_int_equal(rowcache_lookup(c, INV_ROW_NIC, "ab", "")->rowid, 5);
    assert_null(rowcache_lookup(c, INV_ROW_VM, "a", NULL));
    assert_null(rowcache_lookup(c, INV_ROW_POOL, "ab", NULL));
    rowcache_free(c);
}

static uint64_t hash2(const struct rowcache *c, const char *a, const char *b,
                      uint64_t v)
{
    struct rowhash h;
    rowhash_begin(&h, c);
    rowhash_str(&h, a);
    rowhash_str(&h, b);
    rowhash_u64(&h, v);
    return rowhash_end(&h);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Content hashes: what binds differently hashes differently. */
static void test_content_hash(void **state)
{
    struct rowcache *c = rowcache_new(), *d = rowcache_new();
    uint64_t base;

    (void)state;
    assert_non_null(c);
    assert_non_null(d);
    base = hash2(c, "web01", "hv1", 4);
    assert_true(base == hash2(c, "web01", "hv1", 4));
    assert_true(base != hash2(c, "web01", "hv1", 5));
    assert_true(base != hash2(c, "web02", "hv1", 4));
    assert_true(base != hash2(c, "web0", "1hv1", 4));
    assert_true(base != hash2(c, "hv1", "web01", 4));
    assert_true(hash2(c, NULL, "x", 0) != hash2(c, "", "x", 0));
    assert_true(hash2(c, NULL, "", 0) != hash2(c, "", NULL, 0));
    /* 8-byte boundaries: a zero byte past the end is not padding */
    assert_true(hash2(c, "12345678", NULL, 0) != hash2(c, "1234567", NULL, 0));
    assert_true(hash2(c, "abcdefghi", NULL, 0) !=
                hash2(c, "abcdefgh", NULL, 0));
    /* every cache has its own seed */
    assert_true(base != hash2(d, "web01", "hv1", 4));
    /* no collision among many near-identical rows */
    {
        enum { M = 50000 };
        uint64_t *v = malloc(M * sizeof(*v));
        char name[32];
        assert_non_null(v);
        for (int i = 0; i < M; i++) {
            snprintf(name, sizeof(name), "vm-%d", i);
            v[i] = hash2(c, name, "hv1", (uint64_t)i % 7);
        }
        qsort(v, M, sizeof(*v), cmp_u64);
        for (int i = 1; i < M; i++)
            assert_true(v[i - 1] != v[i]);
        free(v);
    }
    rowcache_free(c);
    rowcache_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_lookup_remove),
        cmocka_unit_test(test_keys_distinct),
        cmocka_unit_test(test_content_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
