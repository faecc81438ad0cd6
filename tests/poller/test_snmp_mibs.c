/*
 * test_snmp_mibs.c - what the SNMP poller makes of values: OIDs, varbind
 * decoding (types, ranges, hostile strings), hrStorage sizes with large
 * allocation units and negative amounts, ifHighSpeed/ifSpeed, storage types
 * and the CPU mean.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "snmp_mibs.h"

/* ---- OIDs --------------------------------------------------------------- */

static void test_oid_parse_format(void **state)
{
    struct snmp_oid o;
    char buf[64];
    (void)state;
    assert_true(snmp_oid_parse(".1.3.6.1.2.1.1.3.0", &o));
    assert_int_equal(o.len, 9);
    assert_int_equal(o.id[8], 0);
    snmp_oid_format(o.id, o.len, buf, sizeof(buf));
    assert_string_equal(buf, "1.3.6.1.2.1.1.3.0");
    assert_true(snmp_oid_parse("1.3.4294967295", &o));
    assert_int_equal(o.id[2], 4294967295U);
    assert_false(snmp_oid_parse("1.3.4294967296", &o));
    assert_false(snmp_oid_parse("1", &o));
    assert_false(snmp_oid_parse("1..3", &o));
    assert_false(snmp_oid_parse("1.3.", &o));
    assert_false(snmp_oid_parse("iso.3", &o));
    assert_false(snmp_oid_parse("", &o));
    assert_false(snmp_oid_parse(NULL, &o));
    /* a buffer too small keeps whole sub-identifiers only */
    assert_true(snmp_oid_parse("1.3.6.1.2.1.31.1.1.1.6", &o));
    snmp_oid_format(o.id, o.len, buf, 12);
    assert_string_equal(buf, "1.3.6.1.2.1");
}

static void test_oid_cmp(void **state)
{
    uint32_t a[] = {1, 3, 6, 1, 2}, b[] = {1, 3, 6, 1, 2, 0}, c[] = {1, 3, 7};
    (void)state;
    assert_int_equal(snmp_oid_cmp(a, 5, a, 5), 0);
    assert_true(snmp_oid_cmp(a, 5, b, 6) < 0); /* a prefix comes first */
    assert_true(snmp_oid_cmp(b, 6, a, 5) > 0);
    assert_true(snmp_oid_cmp(a, 5, c, 3) < 0);
    assert_true(snmp_oid_cmp(c, 3, b, 6) > 0);
}

static void test_known_oids(void **state)
{
    char buf[64];
    const struct snmp_oid *o;
    (void)state;
    o = snmp_ifx_col_oid(SNMP_IFX_HC_IN_OCTETS);
    snmp_oid_format(o->id, o->len, buf, sizeof(buf));
    assert_string_equal(buf, "1.3.6.1.2.1.31.1.1.1.6");
    o = snmp_if_col_oid(SNMP_IF_OUT_OCTETS);
    snmp_oid_format(o->id, o->len, buf, sizeof(buf));
    assert_string_equal(buf, "1.3.6.1.2.1.2.2.1.16");
    o = snmp_hrs_col_oid(SNMP_HRS_SIZE);
    snmp_oid_format(o->id, o->len, buf, sizeof(buf));
    assert_string_equal(buf, "1.3.6.1.2.1.25.2.3.1.5");
    o = snmp_scalar_oid(SNMP_SC_MEM_AVAIL);
    snmp_oid_format(o->id, o->len, buf, sizeof(buf));
    assert_string_equal(buf, "1.3.6.1.4.1.2021.4.6.0");
    o = snmp_hrp_col_oid(SNMP_HRP_LOAD);
    snmp_oid_format(o->id, o->len, buf, sizeof(buf));
    assert_string_equal(buf, "1.3.6.1.2.1.25.3.3.1.2");
    assert_null(snmp_if_col_oid(SNMP_IF_COLS));
    assert_string_equal(snmp_ifx_col_name(SNMP_IFX_NAME), "ifName");
}

/* ---- decoding ------------------------------------------------------------ */

static void test_decode_numbers(void **state)
{
    struct snmp_val v = {0};
    uint64_t raw;
    unsigned width;
    int64_t i;
    double d;
    (void)state;

    assert_true(snmp_val_decode(&v, SNMP_ASN_INTEGER, -5, 0, NULL, 0, NULL, 0));
    assert_int_equal(v.kind, SNMP_VAL_INT);
    assert_true(snmp_val_int(&v, &i));
    assert_int_equal(i, -5);
    assert_false(snmp_val_counter(&v, &raw, &width)); /* not a counter */
    /* an INTEGER beyond 32 bits is not an SNMP INTEGER */
    assert_false(snmp_val_decode(&v, SNMP_ASN_INTEGER, (long)INT32_MAX + 1, 0,
                                 NULL, 0, NULL, 0));
    assert_int_equal(v.kind, SNMP_VAL_NONE);

    assert_true(snmp_val_decode(&v, SNMP_ASN_COUNTER, 4294967295L, 0, NULL, 0,
                                NULL, 0));
    assert_true(snmp_val_counter(&v, &raw, &width));
    assert_int_equal(raw, 4294967295U);
    assert_int_equal(width, 32);
    assert_false(snmp_val_decode(&v, SNMP_ASN_COUNTER, 4294967296L, 0, NULL, 0,
                                 NULL, 0));
    assert_false(snmp_val_decode(&v, SNMP_ASN_GAUGE, -1, 0, NULL, 0, NULL, 0));

    assert_true(snmp_val_decode(&v, SNMP_ASN_COUNTER64, 0, UINT64_MAX, NULL, 0,
                                NULL, 0));
    assert_true(snmp_val_counter(&v, &raw, &width));
    assert_true(raw == UINT64_MAX);
    assert_int_equal(width, 64);
    /* too big for a signed integer, still a number */
    assert_false(snmp_val_int(&v, &i));
    assert_true(snmp_val_number(&v, &d));
    assert_true(d > 1.8e19);

    assert_true(
        snmp_val_decode(&v, SNMP_ASN_TIMETICKS, 12345, 0, NULL, 0, NULL, 0));
    assert_int_equal(v.kind, SNMP_VAL_TICKS);
    assert_false(snmp_val_counter(&v, &raw, &width));
    assert_true(snmp_val_int(&v, &i));
    assert_int_equal(i, 12345);

    /* Gauge32 served where a counter is expected is taken as 32 bits */
    assert_true(snmp_val_decode(&v, SNMP_ASN_GAUGE, 77, 0, NULL, 0, NULL, 0));
    assert_true(snmp_val_counter(&v, &raw, &width));
    assert_int_equal(width, 32);
    snmp_val_clear(&v);
}

static void test_decode_exceptions(void **state)
{
    struct snmp_val v = {0};
    (void)state;
    static const int none[] = {SNMP_ASN_NULL,
                               SNMP_ASN_NOSUCHOBJECT,
                               SNMP_ASN_NOSUCHINSTANCE,
                               SNMP_ASN_ENDOFMIBVIEW,
                               SNMP_ASN_IPADDRESS,
                               SNMP_ASN_OPAQUE,
                               0x99};
    for (size_t k = 0; k < sizeof(none) / sizeof(none[0]); k++) {
        assert_false(snmp_val_decode(&v, none[k], 1, 1,
                                     (const unsigned char *)"ab", 2, NULL, 0));
        assert_int_equal(v.kind, SNMP_VAL_NONE);
        assert_null(v.s);
    }
}

static void test_decode_strings(void **state)
{
    struct snmp_val v = {0};
    unsigned char big[5000];
    uint64_t raw;
    unsigned width;
    double d;
    (void)state;

    /* control bytes become '?', a trailing NUL goes, UTF-8 stays */
    assert_true(snmp_val_decode(
        &v, SNMP_ASN_OCTET_STR, 0, 0,
        (const unsigned char *)"eth\n0\x01 caf\xc3\xa9\0", 12, NULL, 0));
    assert_string_equal(snmp_val_str(&v), "eth?0? caf\xc3\xa9");
    /* an OCTET STRING where a counter is expected is not a counter */
    assert_false(snmp_val_counter(&v, &raw, &width));
    /* bytes that are not UTF-8 (a lone continuation byte, an overlong
     * form, a surrogate) become '?' */
    assert_true(snmp_val_decode(&v, SNMP_ASN_OCTET_STR, 0, 0,
                                (const unsigned char *)"\xff\xfe\x80"
                                                       "a\xc0\xaf"
                                                       "b\xed\xa0\x80",
                                10, NULL, 0));
    assert_string_equal(snmp_val_str(&v), "???a??b???");
    /* inner NULs are control bytes too */
    assert_true(snmp_val_decode(&v, SNMP_ASN_OCTET_STR, 0, 0,
                                (const unsigned char *)"a\0b", 3, NULL, 0));
    assert_string_equal(snmp_val_str(&v), "a?b");
    /* huge strings are bounded */
    memset(big, 'x', sizeof(big));
    assert_true(snmp_val_decode(&v, SNMP_ASN_OCTET_STR, 0, 0, big, sizeof(big),
                                NULL, 0));
    assert_int_equal(strlen(snmp_val_str(&v)), SNMP_STR_MAX);
    /* ... at a whole character: 127 two-byte characters, not 127.5 */
    for (size_t i = 0; i + 1 < sizeof(big); i += 2) {
        big[i] = 0xc3;
        big[i + 1] = 0xa9;
    }
    assert_true(snmp_val_decode(&v, SNMP_ASN_OCTET_STR, 0, 0, big, sizeof(big),
                                NULL, 0));
    assert_int_equal(strlen(snmp_val_str(&v)), SNMP_STR_MAX - 1);
    /* the empty string, and no bytes at all */
    assert_true(
        snmp_val_decode(&v, SNMP_ASN_OCTET_STR, 0, 0, NULL, 0, NULL, 0));
    assert_string_equal(snmp_val_str(&v), "");
    assert_false(
        snmp_val_decode(&v, SNMP_ASN_OCTET_STR, 0, 0, NULL, 4, NULL, 0));

    /* a number in a DisplayString, as vendor MIBs do */
    assert_true(snmp_val_decode(&v, SNMP_ASN_OCTET_STR, 0, 0,
                                (const unsigned char *)" 12.5 ", 6, NULL, 0));
    assert_true(snmp_val_number(&v, &d));
    assert_true(d == 12.5);
    assert_true(snmp_val_decode(&v, SNMP_ASN_OCTET_STR, 0, 0,
                                (const unsigned char *)"12 GB", 5, NULL, 0));
    assert_false(snmp_val_number(&v, &d));
    assert_true(snmp_val_decode(&v, SNMP_ASN_OCTET_STR, 0, 0,
                                (const unsigned char *)"nan", 3, NULL, 0));
    assert_false(snmp_val_number(&v, &d));
    snmp_val_clear(&v);
}

static void test_decode_oid_value(void **state)
{
    struct snmp_val v = {0};
    unsigned long fixed[] = {1, 3, 6, 1, 2, 1, 25, 2, 1, 4};
    unsigned long bad[] = {1, 3, 0x100000000UL};
    (void)state;
    assert_true(
        snmp_val_decode(&v, SNMP_ASN_OBJECT_ID, 0, 0, NULL, 0, fixed, 10));
    assert_int_equal(v.kind, SNMP_VAL_OID);
    assert_string_equal(v.s, "1.3.6.1.2.1.25.2.1.4");
    assert_null(snmp_val_str(&v)); /* not a string */
    assert_int_equal(snmp_storage_kind_of(v.s), HRS_KIND_DISK);
    assert_false(
        snmp_val_decode(&v, SNMP_ASN_OBJECT_ID, 0, 0, NULL, 0, bad, 3));
    snmp_val_clear(&v);
}

/* ---- interpretation -------------------------------------------------------
 */

static void test_storage_bytes(void **state)
{
    uint64_t b = 0;
    (void)state;
    /* the usual 4 KiB units */
    assert_true(snmp_storage_bytes(66053021, 4096, &b));
    assert_true(b == 270553174016ULL);
    /* a 4 PiB array: size near the Integer32 top with 2 MiB units */
    assert_true(snmp_storage_bytes(2147483647, 2097152, &b));
    assert_true(b == 4503599625273344ULL);
    /* both at the top: 2^62 - 2^32 + 1, no overflow */
    assert_true(snmp_storage_bytes(INT32_MAX, INT32_MAX, &b));
    assert_true(b == (uint64_t)INT32_MAX * (uint64_t)INT32_MAX);
    assert_true(snmp_storage_bytes(0, 4096, &b));
    assert_true(b == 0);
    /* a negative size (an agent that wrapped a 32-bit figure) is bad data */
    b = 7;
    assert_false(snmp_storage_bytes(-5, 4096, &b));
    assert_false(snmp_storage_bytes(-2147483648LL, 4096, &b));
    assert_true(b == 7); /* untouched */
    /* units below 1, and beyond Integer32 */
    assert_false(snmp_storage_bytes(10, 0, &b));
    assert_false(snmp_storage_bytes(10, -4096, &b));
    assert_false(snmp_storage_bytes(10, 4294967296LL, &b));
    assert_false(snmp_storage_bytes(4294967296LL, 1, &b));
}

static void test_if_speed(void **state)
{
    (void)state;
    /* 10 Gbit/s: ifSpeed saturated, ifHighSpeed 10000 */
    assert_true(snmp_if_speed(true, 10000, true, 4294967295U) ==
                10000000000ULL);
    /* 100 Gbit/s without ifSpeed */
    assert_true(snmp_if_speed(true, 100000, false, 0) == 100000000000ULL);
    /* 1 Gbit/s both agree: either way 1e9 */
    assert_true(snmp_if_speed(true, 1000, true, 1000000000) == 1000000000ULL);
    /* 2.5 Mbit/s: ifHighSpeed rounds to 2, ifSpeed is exact */
    assert_true(snmp_if_speed(true, 2, true, 2500000) == 2500000ULL);
    /* slow links: ifHighSpeed 0, ifSpeed 64 kbit/s */
    assert_true(snmp_if_speed(true, 0, true, 64000) == 64000ULL);
    /* no ifXTable (v1 agents): ifSpeed */
    assert_true(snmp_if_speed(false, 0, true, 100000000) == 100000000ULL);
    /* an ifSpeed that disagrees with ifHighSpeed loses */
    assert_true(snmp_if_speed(true, 40000, true, 1000000000) == 40000000000ULL);
    /* nothing known */
    assert_true(snmp_if_speed(false, 0, false, 0) == 0);
    assert_true(snmp_if_speed(true, 0, true, 0) == 0);
    /* absurd values */
    assert_true(snmp_if_speed(true, 1ULL << 33, false, 0) == 0);
    assert_true(snmp_if_speed(false, 0, true, 1ULL << 33) == 0);
}

static void test_storage_kind(void **state)
{
    (void)state;
    assert_int_equal(snmp_storage_kind_of("1.3.6.1.2.1.25.2.1.4"),
                     HRS_KIND_DISK);
    assert_int_equal(snmp_storage_kind_of(".1.3.6.1.2.1.25.2.1.10"),
                     HRS_KIND_DISK);
    assert_int_equal(snmp_storage_kind_of("1.3.6.1.2.1.25.2.1.2"),
                     HRS_KIND_RAM);
    assert_int_equal(snmp_storage_kind_of("1.3.6.1.2.1.25.2.1.3"),
                     HRS_KIND_VIRTUAL);
    /* other, removable, flash, a lookalike and nothing */
    assert_int_equal(snmp_storage_kind_of("1.3.6.1.2.1.25.2.1.1"),
                     HRS_KIND_OTHER);
    assert_int_equal(snmp_storage_kind_of("1.3.6.1.2.1.25.2.1.5"),
                     HRS_KIND_OTHER);
    assert_int_equal(snmp_storage_kind_of("1.3.6.1.2.1.25.2.1.40"),
                     HRS_KIND_OTHER);
    assert_int_equal(snmp_storage_kind_of("1.3.6.1.2.1.25.2.1.4.1"),
                     HRS_KIND_OTHER);
    assert_int_equal(snmp_storage_kind_of(NULL), HRS_KIND_OTHER);
}

static void test_cpu_mean(void **state)
{
    int64_t loads[] = {10, 20, 30, 40};
    int64_t bad[] = {-1, 101, 50};
    double m;
    (void)state;
    assert_true(snmp_cpu_mean(loads, 4, &m));
    assert_true(m == 25.0);
    /* out-of-range rows are left out of the mean */
    assert_true(snmp_cpu_mean(bad, 3, &m));
    assert_true(m == 50.0);
    assert_false(snmp_cpu_mean(bad, 2, &m));
    assert_false(snmp_cpu_mean(loads, 0, &m));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oid_parse_format),
        cmocka_unit_test(test_oid_cmp),
        cmocka_unit_test(test_known_oids),
        cmocka_unit_test(test_decode_numbers),
        cmocka_unit_test(test_decode_exceptions),
        cmocka_unit_test(test_decode_strings),
        cmocka_unit_test(test_decode_oid_value),
        cmocka_unit_test(test_storage_bytes),
        cmocka_unit_test(test_if_speed),
        cmocka_unit_test(test_storage_kind),
        cmocka_unit_test(test_cpu_mean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
