/* snmp_mibs.c - OIDs, value decoding and MIB arithmetic; see snmp_mibs.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snmp_mibs.h"

bool snmp_oid_parse(const char *s, struct snmp_oid *out)
{
    out->len = 0;
    if (!s)
        return false;
    if (*s == '.')
        s++;
    for (;;) {
        uint64_t v = 0;
        size_t digits = 0;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (uint64_t)(*s - '0');
            if (v > UINT32_MAX)
                return false;
            s++;
            digits++;
        }
        if (digits == 0 || out->len >= SNMP_OID_MAX)
            return false;
        out->id[out->len++] = (uint32_t)v;
        if (*s == '\0')
            return out->len >= 2;
        if (*s != '.')
            return false;
        s++;
    }
}

int snmp_oid_cmp(const uint32_t *a, size_t alen, const uint32_t *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return (alen > blen) - (alen < blen);
}

void snmp_oid_format(const uint32_t *id, size_t len, char *out, size_t outlen)
{
    size_t pos = 0;
    if (outlen == 0)
        return;
    out[0] = '\0';
    for (size_t i = 0; i < len; i++) {
        int n = snprintf(out + pos, outlen - pos, i ? ".%u" : "%u",
                         (unsigned)id[i]);
        if (n < 0 || (size_t)n >= outlen - pos) {
            out[pos] = '\0'; /* whole sub-identifiers only */
            return;
        }
        pos += (size_t)n;
    }
}

/* ---- well-known objects ------------------------------------------------ */

#define OID(...)                                                               \
    {                                                                          \
        sizeof((uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t),                  \
        {                                                                      \
            __VA_ARGS__                                                        \
        }                                                                      \
    }

static const struct snmp_oid scalar_oids[SNMP_SC_COUNT] = {
    [SNMP_SC_SYS_DESCR] = OID(1, 3, 6, 1, 2, 1, 1, 1, 0),
    [SNMP_SC_SYS_UPTIME] = OID(1, 3, 6, 1, 2, 1, 1, 3, 0),
    [SNMP_SC_SYS_NAME] = OID(1, 3, 6, 1, 2, 1, 1, 5, 0),
    [SNMP_SC_MEM_TOTAL] = OID(1, 3, 6, 1, 4, 1, 2021, 4, 5, 0),
    [SNMP_SC_MEM_AVAIL] = OID(1, 3, 6, 1, 4, 1, 2021, 4, 6, 0),
};

/* ifEntry 1.3.6.1.2.1.2.2.1.<col> */
#define IF_COL(c) OID(1, 3, 6, 1, 2, 1, 2, 2, 1, c)
static const struct snmp_oid if_oids[SNMP_IF_COLS] = {
    [SNMP_IF_DESCR] = IF_COL(2),        [SNMP_IF_SPEED] = IF_COL(5),
    [SNMP_IF_OPER_STATUS] = IF_COL(8),  [SNMP_IF_IN_OCTETS] = IF_COL(10),
    [SNMP_IF_IN_DISCARDS] = IF_COL(13), [SNMP_IF_IN_ERRORS] = IF_COL(14),
    [SNMP_IF_OUT_OCTETS] = IF_COL(16),  [SNMP_IF_OUT_DISCARDS] = IF_COL(19),
    [SNMP_IF_OUT_ERRORS] = IF_COL(20),
};
static const char *const if_names[SNMP_IF_COLS] = {
    "ifDescr",    "ifSpeed",     "ifOperStatus",  "ifInOctets",  "ifInDiscards",
    "ifInErrors", "ifOutOctets", "ifOutDiscards", "ifOutErrors",
};

/* ifXEntry 1.3.6.1.2.1.31.1.1.1.<col> */
#define IFX_COL(c) OID(1, 3, 6, 1, 2, 1, 31, 1, 1, 1, c)
static const struct snmp_oid ifx_oids[SNMP_IFX_COLS] = {
    [SNMP_IFX_NAME] = IFX_COL(1),
    [SNMP_IFX_HC_IN_OCTETS] = IFX_COL(6),
    [SNMP_IFX_HC_OUT_OCTETS] = IFX_COL(10),
    [SNMP_IFX_HIGH_SPEED] = IFX_COL(15),
    [SNMP_IFX_ALIAS] = IFX_COL(18),
    [SNMP_IFX_DISCONTINUITY] = IFX_COL(19),
};
static const char *const ifx_names[SNMP_IFX_COLS] = {
    "ifName",      "ifHCInOctets", "ifHCOutOctets",
    "ifHighSpeed", "ifAlias",      "ifCounterDiscontinuityTime",
};

/* hrStorageEntry 1.3.6.1.2.1.25.2.3.1.<col> */
#define HRS_COL(c) OID(1, 3, 6, 1, 2, 1, 25, 2, 3, 1, c)
static const struct snmp_oid hrs_oids[SNMP_HRS_COLS] = {
    [SNMP_HRS_TYPE] = HRS_COL(2),  [SNMP_HRS_DESCR] = HRS_COL(3),
    [SNMP_HRS_UNITS] = HRS_COL(4), [SNMP_HRS_SIZE] = HRS_COL(5),
    [SNMP_HRS_USED] = HRS_COL(6),
};
static const char *const hrs_names[SNMP_HRS_COLS] = {
    "hrStorageType", "hrStorageDescr", "hrStorageAllocationUnits",
    "hrStorageSize", "hrStorageUsed",
};

/* hrProcessorLoad 1.3.6.1.2.1.25.3.3.1.2 */
static const struct snmp_oid hrp_oids[SNMP_HRP_COLS] = {
    [SNMP_HRP_LOAD] = OID(1, 3, 6, 1, 2, 1, 25, 3, 3, 1, 2),
};

const struct snmp_oid *snmp_scalar_oid(enum snmp_scalar s)
{
    return (unsigned)s < SNMP_SC_COUNT ? &scalar_oids[s] : NULL;
}

const struct snmp_oid *snmp_if_col_oid(enum snmp_if_col c)
{
    return (unsigned)c < SNMP_IF_COLS ? &if_oids[c] : NULL;
}

const struct snmp_oid *snmp_ifx_col_oid(enum snmp_ifx_col c)
{
    return (unsigned)c < SNMP_IFX_COLS ? &ifx_oids[c] : NULL;
}

const struct snmp_oid *snmp_hrs_col_oid(enum snmp_hrs_col c)
{
    return (unsigned)c < SNMP_HRS_COLS ? &hrs_oids[c] : NULL;
}

const struct snmp_oid *snmp_hrp_col_oid(enum snmp_hrp_col c)
{
    return (unsigned)c < SNMP_HRP_COLS ? &hrp_oids[c] : NULL;
}

const char *snmp_if_col_name(enum snmp_if_col c)
{
    return (unsigned)c < SNMP_IF_COLS ? if_names[c] : "?";
}

const char *snmp_ifx_col_name(enum snmp_ifx_col c)
{
    return (unsigned)c < SNMP_IFX_COLS ? ifx_names[c] : "?";
}

const char *snmp_hrs_col_name(enum snmp_hrs_col c)
{
    return (unsigned)c < SNMP_HRS_COLS ? hrs_names[c] : "?";
}

/* ---- values ------------------------------------------------------------- */

void snmp_val_clear(struct snmp_val *v)
{
    free(v->s);
    memset(v, 0, sizeof(*v));
}

/* Length of the well-formed UTF-8 sequence at @b (at most @n bytes), 0 if
 * it is not one (overlong forms and surrogates included). */
static size_t utf8_seq(const unsigned char *b, size_t n)
{
    size_t len;
    uint32_t cp;
    if (b[0] < 0x80)
        return 1;
    if (b[0] >= 0xc2 && b[0] <= 0xdf) {
        len = 2;
        cp = b[0] & 0x1f;
    } else if (b[0] >= 0xe0 && b[0] <= 0xef) {
        len = 3;
        cp = b[0] & 0x0f;
    } else if (b[0] >= 0xf0 && b[0] <= 0xf4) {
        len = 4;
        cp = b[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((b[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (b[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/*
 * Text from an OCTET STRING: at most SNMP_STR_MAX bytes (cut at a whole
 * character), trailing NULs dropped (some agents count the terminator),
 * control bytes and bytes that are not UTF-8 made '?', so a value can go
 * into a log line, the inventory or an archive name.
 */
static char *printable(const unsigned char *b, size_t len)
{
    size_t k = 0;
    char *s;
    while (len > 0 && b[len - 1] == '\0')
        len--;
    s = malloc((len < SNMP_STR_MAX ? len : SNMP_STR_MAX) + 1);
    if (!s)
        return NULL;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq(b + i, len - i);
        if (n == 0 || (n == 1 && (b[i] < 0x20 || b[i] == 0x7f))) {
            if (k + 1 > SNMP_STR_MAX)
                break;
            s[k++] = '?';
            i++;
            continue;
        }
        if (k + n > SNMP_STR_MAX)
            break;
        memcpy(s + k, b + i, n);
        k += n;
        i += n;
    }
    s[k] = '\0';
    return s;
}

bool snmp_val_decode(struct snmp_val *v, int asn_type, long integer,
                     uint64_t c64, const unsigned char *bytes, size_t len,
                     const unsigned long *oid, size_t oidlen)
{
    double t = v->t;
    uint8_t clock = v->clock;
    snmp_val_clear(v);
    v->t = t;
    v->clock = clock;
    switch (asn_type) {
    case SNMP_ASN_INTEGER:
        if (integer < INT32_MIN || integer > INT32_MAX)
            return false;
        v->kind = SNMP_VAL_INT;
        v->n.i = integer;
        return true;
    case SNMP_ASN_GAUGE:
    case SNMP_ASN_COUNTER:
    case SNMP_ASN_TIMETICKS:
        /* unsigned 32-bit, kept by net-snmp in a long */
        if (integer < 0 || (unsigned long)integer > UINT32_MAX)
            return false;
        v->kind = asn_type == SNMP_ASN_GAUGE     ? SNMP_VAL_UINT
                  : asn_type == SNMP_ASN_COUNTER ? SNMP_VAL_COUNTER32
                                                 : SNMP_VAL_TICKS;
        v->n.u = (uint64_t)integer;
        return true;
    case SNMP_ASN_COUNTER64:
        v->kind = SNMP_VAL_COUNTER64;
        v->n.u = c64;
        return true;
    case SNMP_ASN_OCTET_STR:
        if (!bytes && len > 0)
            return false;
        v->s = printable(bytes ? bytes : (const unsigned char *)"", len);
        if (!v->s)
            return false;
        v->kind = SNMP_VAL_STRING;
        return true;
    case SNMP_ASN_OBJECT_ID: {
        char buf[SNMP_STR_MAX + 1];
        uint32_t ids[SNMP_OID_MAX];
        size_t n = oidlen < SNMP_OID_MAX ? oidlen : SNMP_OID_MAX;
        if (!oid && oidlen > 0)
            return false;
        for (size_t i = 0; i < n; i++) {
            if (oid[i] > UINT32_MAX)
                return false;
            ids[i] = (uint32_t)oid[i];
        }
        snmp_oid_format(ids, n, buf, sizeof(buf));
        v->s = strdup(buf);
        if (!v->s)
            return false;
        v->kind = SNMP_VAL_OID;
        return true;
    }
    default:
        /* NULL, noSuchObject, noSuchInstance, endOfMibView, IpAddress,
         * Opaque ...: nothing we read */
        return false;
    }
}

const char *snmp_val_kind_name(int kind)
{
    switch (kind) {
    case SNMP_VAL_INT:
        return "INTEGER";
    case SNMP_VAL_UINT:
        return "Gauge32";
    case SNMP_VAL_TICKS:
        return "TimeTicks";
    case SNMP_VAL_COUNTER32:
        return "Counter32";
    case SNMP_VAL_COUNTER64:
        return "Counter64";
    case SNMP_VAL_STRING:
        return "OCTET STRING";
    case SNMP_VAL_OID:
        return "OBJECT IDENTIFIER";
    }
    return "nothing";
}

bool snmp_val_counter(const struct snmp_val *v, uint64_t *raw, unsigned *width)
{
    switch (v->kind) {
    case SNMP_VAL_COUNTER32:
    case SNMP_VAL_UINT: /* some agents serve counters as Gauge32 */
        *raw = v->n.u;
        *width = 32;
        return true;
    case SNMP_VAL_COUNTER64:
        *raw = v->n.u;
        *width = 64;
        return true;
    }
    return false;
}

bool snmp_val_int(const struct snmp_val *v, int64_t *out)
{
    switch (v->kind) {
    case SNMP_VAL_INT:
        *out = v->n.i;
        return true;
    case SNMP_VAL_UINT:
    case SNMP_VAL_TICKS:
    case SNMP_VAL_COUNTER32:
        *out = (int64_t)v->n.u;
        return true;
    case SNMP_VAL_COUNTER64:
        if (v->n.u > (uint64_t)INT64_MAX)
            return false;
        *out = (int64_t)v->n.u;
        return true;
    }
    return false;
}

bool snmp_val_number(const struct snmp_val *v, double *out)
{
    int64_t i;
    if (v->kind == SNMP_VAL_COUNTER64) {
        *out = (double)v->n.u;
        return true;
    }
    if (snmp_val_int(v, &i)) {
        *out = (double)i;
        return true;
    }
    if (v->kind == SNMP_VAL_STRING && v->s) {
        /* a DisplayString holding a number, as some vendor MIBs do */
        const char *p = v->s;
        char *end;
        double d;
        while (*p == ' ')
            p++;
        if (!*p)
            return false;
        errno = 0;
        d = strtod(p, &end);
        while (*end == ' ')
            end++;
        if (*end != '\0' || errno != 0 || !isfinite(d))
            return false;
        *out = d;
        return true;
    }
    return false;
}

const char *snmp_val_str(const struct snmp_val *v)
{
    return v->kind == SNMP_VAL_STRING ? v->s : NULL;
}

/* ---- interpretation ------------------------------------------------------ */

bool snmp_storage_bytes(int64_t amount, int64_t units, uint64_t *bytes)
{
    if (amount < 0 || units < 1 || amount > INT32_MAX || units > INT32_MAX)
        return false;
    /* < 2^31 x 2^31 = 2^62: no overflow */
    *bytes = (uint64_t)amount * (uint64_t)units;
    return true;
}

uint64_t snmp_if_speed(bool has_high, uint64_t high_mbps, bool has_speed,
                       uint64_t speed_bps)
{
    if (has_high && high_mbps > 0 && high_mbps <= UINT32_MAX) {
        uint64_t hs = high_mbps * 1000000ULL; /* < 2^52 */
        if (has_speed && speed_bps > 0 && speed_bps < UINT32_MAX &&
            (speed_bps > hs ? speed_bps - hs : hs - speed_bps) < 1000000ULL)
            return speed_bps;
        return hs;
    }
    if (has_speed && speed_bps <= UINT32_MAX)
        return speed_bps;
    return 0;
}

enum snmp_storage_kind snmp_storage_kind_of(const char *type_oid)
{
    static const char prefix[] = "1.3.6.1.2.1.25.2.1.";
    const char *p;
    if (!type_oid)
        return HRS_KIND_OTHER;
    if (*type_oid == '.')
        type_oid++;
    if (strncmp(type_oid, prefix, sizeof(prefix) - 1) != 0)
        return HRS_KIND_OTHER;
    p = type_oid + sizeof(prefix) - 1;
    if (strcmp(p, "4") == 0 || strcmp(p, "10") == 0)
        return HRS_KIND_DISK;
    if (strcmp(p, "2") == 0)
        return HRS_KIND_RAM;
    if (strcmp(p, "3") == 0)
        return HRS_KIND_VIRTUAL;
    return HRS_KIND_OTHER;
}

bool snmp_cpu_mean(const int64_t *loads, size_t n, double *mean)
{
    double sum = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (loads[i] < 0 || loads[i] > 100)
            continue;
        sum += (double)loads[i];
        k++;
    }
    if (k == 0)
        return false;
    *mean = sum / (double)k;
    return true;
}
