/*
 * snmp_mibs.h - what the SNMP poller reads (IF-MIB, HOST-RESOURCES-MIB,
 * UCD-SNMP-MIB, SNMPv2-MIB) and how a varbind's value is decoded and
 * checked.
 *
 * Everything from the network is data: a value of the wrong type, out of
 * range or too long is refused or bounded here, never trusted.  The OIDs
 * are numeric (no MIB files are loaded).  No net-snmp types in this header:
 * the decoding takes the ASN.1 type tag and the raw value, so the rules can
 * be tested without a session (tests/poller/test_snmp_mibs.c).
 */
#ifndef SDC_SNMP_MIBS_H
#define SDC_SNMP_MIBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest OID we handle, in sub-identifiers (net-snmp's MAX_OID_LEN). */
#define SNMP_OID_MAX 128
/* Longest string value kept, in bytes (longer ones are cut). */
#define SNMP_STR_MAX 255

/* A numeric OID. */
struct snmp_oid {
    uint32_t len;
    uint32_t id[SNMP_OID_MAX];
};

/* snmp_oid_parse - "1.3.6.1.2.1" (leading '.' allowed) into @out. */
bool snmp_oid_parse(const char *s, struct snmp_oid *out);

/* snmp_oid_cmp - lexicographic order of two OIDs (<0, 0, >0). */
int snmp_oid_cmp(const uint32_t *a, size_t alen, const uint32_t *b,
                 size_t blen);

/* snmp_oid_format - dotted form of @id[0..len) into @out (cut to fit). */
void snmp_oid_format(const uint32_t *id, size_t len, char *out, size_t outlen);

/* ---- well-known objects ------------------------------------------------ */

/* SNMPv2-MIB system group and UCD-SNMP-MIB memory, read with GET. */
enum snmp_scalar {
    SNMP_SC_SYS_DESCR = 0, /* sysDescr.0 */
    SNMP_SC_SYS_UPTIME,    /* sysUpTime.0 (TimeTicks) */
    SNMP_SC_SYS_NAME,      /* sysName.0 */
    SNMP_SC_MEM_TOTAL,     /* memTotalReal.0 (KiB) */
    SNMP_SC_MEM_AVAIL,     /* memAvailReal.0 (KiB) */
    SNMP_SC_COUNT
};

/* IF-MIB ifTable columns we walk, in request order. */
enum snmp_if_col {
    SNMP_IF_DESCR = 0,
    SNMP_IF_SPEED,
    SNMP_IF_OPER_STATUS,
    SNMP_IF_IN_OCTETS,
    SNMP_IF_IN_DISCARDS,
    SNMP_IF_IN_ERRORS,
    SNMP_IF_OUT_OCTETS,
    SNMP_IF_OUT_DISCARDS,
    SNMP_IF_OUT_ERRORS,
    SNMP_IF_COLS
};

/* IF-MIB ifXTable columns. */
enum snmp_ifx_col {
    SNMP_IFX_NAME = 0,
    SNMP_IFX_HC_IN_OCTETS,
    SNMP_IFX_HC_OUT_OCTETS,
    SNMP_IFX_HIGH_SPEED,
    SNMP_IFX_ALIAS,
    SNMP_IFX_DISCONTINUITY, /* ifCounterDiscontinuityTime */
    SNMP_IFX_COLS
};

/* HOST-RESOURCES-MIB hrStorageTable columns. */
enum snmp_hrs_col {
    SNMP_HRS_TYPE = 0,
    SNMP_HRS_DESCR,
    SNMP_HRS_UNITS,
    SNMP_HRS_SIZE,
    SNMP_HRS_USED,
    SNMP_HRS_COLS
};

/* HOST-RESOURCES-MIB hrProcessorTable: hrProcessorLoad only. */
enum snmp_hrp_col { SNMP_HRP_LOAD = 0, SNMP_HRP_COLS };

const struct snmp_oid *snmp_scalar_oid(enum snmp_scalar s);
const struct snmp_oid *snmp_if_col_oid(enum snmp_if_col c);
const struct snmp_oid *snmp_ifx_col_oid(enum snmp_ifx_col c);
const struct snmp_oid *snmp_hrs_col_oid(enum snmp_hrs_col c);
const struct snmp_oid *snmp_hrp_col_oid(enum snmp_hrp_col c);
/* A short name for logs: "ifHCInOctets", "sysUpTime" ... */
const char *snmp_if_col_name(enum snmp_if_col c);
const char *snmp_ifx_col_name(enum snmp_ifx_col c);
const char *snmp_hrs_col_name(enum snmp_hrs_col c);

/* ---- values ------------------------------------------------------------- */

enum snmp_val_kind {
    SNMP_VAL_NONE = 0, /* absent, NULL, an exception or an unknown type */
    SNMP_VAL_INT,      /* INTEGER / Integer32 */
    SNMP_VAL_UINT,     /* Gauge32, Unsigned32 */
    SNMP_VAL_TICKS,    /* TimeTicks */
    SNMP_VAL_COUNTER32,
    SNMP_VAL_COUNTER64,
    SNMP_VAL_STRING, /* OCTET STRING (text made printable, bounded) */
    SNMP_VAL_OID,    /* OBJECT IDENTIFIER, dotted (bounded) */
};

/*
 * One decoded value.  @s is owned (malloc'd) for strings and OIDs; free it
 * with snmp_val_clear().  @t is when the agent read it, in seconds on
 * @clock (enum snmp_clock of snmp_counter.h), set by the caller; decoding
 * keeps both.
 */
struct snmp_val {
    uint8_t kind;  /* enum snmp_val_kind */
    uint8_t clock; /* enum snmp_clock */
    union {
        int64_t i;
        uint64_t u;
    } n;
    char *s;
    double t;
};

/* The ASN.1 tags of SNMP (as in net-snmp's asn1.h), for snmp_val_decode. */
enum snmp_asn {
    SNMP_ASN_INTEGER = 0x02,
    SNMP_ASN_OCTET_STR = 0x04,
    SNMP_ASN_NULL = 0x05,
    SNMP_ASN_OBJECT_ID = 0x06,
    SNMP_ASN_IPADDRESS = 0x40,
    SNMP_ASN_COUNTER = 0x41,
    SNMP_ASN_GAUGE = 0x42,
    SNMP_ASN_TIMETICKS = 0x43,
    SNMP_ASN_OPAQUE = 0x44,
    SNMP_ASN_COUNTER64 = 0x46,
    SNMP_ASN_NOSUCHOBJECT = 0x80,
    SNMP_ASN_NOSUCHINSTANCE = 0x81,
    SNMP_ASN_ENDOFMIBVIEW = 0x82,
};

/*
 * snmp_val_decode - a value from its tag and raw form.
 * @integer: the number for INTEGER (signed) and the 32-bit unsigned types
 *           (net-snmp keeps both in a long)
 * @c64: the value of a Counter64
 * @bytes/@len: OCTET STRING content (need not be NUL-terminated)
 * @oid/@oidlen: OBJECT IDENTIFIER sub-identifiers
 * @return: false (and kind NONE) for an exception, NULL, an unknown type or
 *          a value out of its type's range; false on allocation failure too.
 */
bool snmp_val_decode(struct snmp_val *v, int asn_type, long integer,
                     uint64_t c64, const unsigned char *bytes, size_t len,
                     const unsigned long *oid, size_t oidlen);

void snmp_val_clear(struct snmp_val *v);

/* snmp_val_kind_name - "Counter32", "OCTET STRING" ... for logs. */
const char *snmp_val_kind_name(int kind);

/* A counter: Counter32 or Gauge32/Unsigned32 (width 32) or Counter64. */
bool snmp_val_counter(const struct snmp_val *v, uint64_t *raw, unsigned *width);
/* A whole number of any numeric kind. */
bool snmp_val_int(const struct snmp_val *v, int64_t *out);
/* Any numeric kind, or a string holding just a number ("12.5"). */
bool snmp_val_number(const struct snmp_val *v, double *out);
/* The text of a STRING value, NULL for other kinds. */
const char *snmp_val_str(const struct snmp_val *v);

/* ---- interpretation ------------------------------------------------------ */

/*
 * snmp_storage_bytes - hrStorageSize or hrStorageUsed (Integer32, in
 * allocation units) times hrStorageAllocationUnits, in 64 bits: large
 * arrays report large units, and the product of two 31-bit numbers always
 * fits.  A negative amount or units below 1 are bad data: false.
 */
bool snmp_storage_bytes(int64_t amount, int64_t units, uint64_t *bytes);

/*
 * snmp_if_speed - an interface's speed in bit/s from ifHighSpeed (Mbit/s)
 * and ifSpeed (bit/s; 4294967295 when the speed does not fit): ifHighSpeed
 * when known and not 0, except that an ifSpeed below the 32-bit ceiling
 * within 1 Mbit/s of it is the more precise figure; else ifSpeed; 0 when
 * neither is known.
 */
uint64_t snmp_if_speed(bool has_high, uint64_t high_mbps, bool has_speed,
                       uint64_t speed_bps);

enum snmp_storage_kind {
    HRS_KIND_OTHER = 0,
    HRS_KIND_DISK,    /* hrStorageFixedDisk, hrStorageNetworkDisk */
    HRS_KIND_RAM,     /* hrStorageRam */
    HRS_KIND_VIRTUAL, /* hrStorageVirtualMemory (swap) */
};

/* snmp_storage_kind_of - classify an hrStorageType value (dotted OID). */
enum snmp_storage_kind snmp_storage_kind_of(const char *type_oid);

/*
 * snmp_cpu_mean - mean hrProcessorLoad over @n rows; rows outside 0..100
 * are ignored.  False when no row is usable.
 */
bool snmp_cpu_mean(const int64_t *loads, size_t n, double *mean);

#endif
