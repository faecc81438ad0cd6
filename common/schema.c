/* schema.c - the archive table of DESIGN.md section 4, and path building. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sdc/schema.h"

#define G(n, u)                                                                \
    {                                                                          \
        n, SDC_DS_GAUGE, u                                                     \
    }
#define D(n, u)                                                                \
    {                                                                          \
        n, SDC_DS_DERIVE, u                                                    \
    }

static const struct sdc_archive_def archive_defs[SDC_AR_COUNT] = {
    [SDC_AR_HV_CPU] = {SDC_AR_HV_CPU,
                       "hv",
                       "cpu",
                       false,
                       5,
                       {D("user", "ns/s"), D("system", "ns/s"),
                        D("idle", "ns/s"), D("iowait", "ns/s"),
                        G("cpus", "CPUs")}},
    [SDC_AR_HV_MEM] = {SDC_AR_HV_MEM,
                       "hv",
                       "mem",
                       false,
                       4,
                       {G("total", "bytes"), G("free", "bytes"),
                        G("cached", "bytes"), G("buffers", "bytes")}},
    [SDC_AR_CLUSTER_CPU] = {SDC_AR_CLUSTER_CPU,
                            "cluster",
                            "cpu",
                            false,
                            3,
                            {G("used", "CPUs"), G("capacity", "CPUs"),
                             G("vcpus", "vCPUs")}},
    [SDC_AR_CLUSTER_MEM] = {SDC_AR_CLUSTER_MEM,
                            "cluster",
                            "mem",
                            false,
                            3,
                            {G("used", "bytes"), G("capacity", "bytes"),
                             G("allocated", "bytes")}},
    [SDC_AR_POOL_USAGE] = {SDC_AR_POOL_USAGE,
                           "pool",
                           "usage",
                           false,
                           3,
                           {G("capacity", "bytes"), G("allocation", "bytes"),
                            G("available", "bytes")}},
    [SDC_AR_VM_CPU] = {SDC_AR_VM_CPU,
                       "vm",
                       "cpu",
                       false,
                       3,
                       {D("time", "ns/s"), D("delay", "ns/s"),
                        G("vcpus", "vCPUs")}},
    [SDC_AR_VM_MEM] = {SDC_AR_VM_MEM,
                       "vm",
                       "mem",
                       false,
                       5,
                       {G("current", "bytes"), G("maximum", "bytes"),
                        G("rss", "bytes"), G("unused", "bytes"),
                        G("usable", "bytes")}},
    [SDC_AR_VM_DISK] = {SDC_AR_VM_DISK,
                        "vm",
                        "disk-",
                        true,
                        6,
                        {D("rd_bytes", "bytes/s"), D("wr_bytes", "bytes/s"),
                         D("rd_reqs", "1/s"), D("wr_reqs", "1/s"),
                         G("capacity", "bytes"), G("allocation", "bytes")}},
    [SDC_AR_VM_NET] = {SDC_AR_VM_NET,
                       "vm",
                       "net-",
                       true,
                       8,
                       {D("rx_bytes", "bytes/s"), D("tx_bytes", "bytes/s"),
                        D("rx_pkts", "1/s"), D("tx_pkts", "1/s"),
                        D("rx_drop", "1/s"), D("tx_drop", "1/s"),
                        D("rx_errs", "1/s"), D("tx_errs", "1/s")}},
    /* SNMP interface counters are 32 or 64 bits wide and reset when the agent
     * restarts: the poller turns them into rates itself (one wrap in an
     * interval handled, a reset or sysUpTime going back gives UNKNOWN), so
     * the archive stores the rate as a gauge. */
    [SDC_AR_SNMP_IF] = {SDC_AR_SNMP_IF,
                        "snmp",
                        "if-",
                        true,
                        7,
                        {G("in_octets", "bytes/s"), G("out_octets", "bytes/s"),
                         G("in_errors", "1/s"), G("out_errors", "1/s"),
                         G("in_discards", "1/s"), G("out_discards", "1/s"),
                         G("speed", "bit/s")}},
    [SDC_AR_SNMP_STORAGE] = {SDC_AR_SNMP_STORAGE,
                             "snmp",
                             "storage-",
                             true,
                             2,
                             {G("size", "bytes"), G("used", "bytes")}},
    [SDC_AR_SNMP_CPU] =
        {SDC_AR_SNMP_CPU, "snmp", "cpu", false, 1, {G("load", "%")}},
    [SDC_AR_SNMP_MEM] = {SDC_AR_SNMP_MEM,
                         "snmp",
                         "mem",
                         false,
                         2,
                         {G("total", "bytes"), G("avail", "bytes")}},
    /* A vendor object from the device's `custom` list: GAUGE objects as
     * read (times `scale`), DERIVE objects as the rate the poller computes
     * (per second, times `scale`), so one data source "value" either way. */
    [SDC_AR_SNMP_CUSTOM] = {SDC_AR_SNMP_CUSTOM,
                            "snmp",
                            "custom-",
                            true,
                            1,
                            {G("value", "scaled")}},
};

const struct sdc_archive_def *sdc_archive_def_get(enum sdc_archive type)
{
    if ((int)type < 0 || type >= SDC_AR_COUNT)
        return NULL;
    return &archive_defs[type];
}

int sdc_archive_ds_index(enum sdc_archive type, const char *name)
{
    const struct sdc_archive_def *def = sdc_archive_def_get(type);
    if (!def || !name)
        return -1;
    for (size_t i = 0; i < def->n_ds; i++)
        if (strcmp(def->ds[i].name, name) == 0)
            return (int)i;
    return -1;
}

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

static int name_char_ok(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

size_t sdc_name_sanitize(const char *in, char *out, size_t outlen)
{
    size_t n = 0;
    size_t inlen;

    if (!out || outlen == 0)
        return 0;
    if (!in)
        in = "";
    inlen = strlen(in);
    /* A leading '.' could make "." or ".." or a hidden file: prefix '_'. */
    if ((inlen == 0 || in[0] == '.') && outlen > 1)
        out[n++] = '_';
    if (n + inlen + 1 <= outlen) {
        for (size_t i = 0; i < inlen; i++)
            out[n++] = name_char_ok((unsigned char)in[i]) ? in[i] : '_';
        out[n] = '\0';
        return n;
    }
    /* Too long: keep a prefix and a hash of the whole name. */
    {
        char tail[16];
        int tl = snprintf(tail, sizeof(tail), "~%08" PRIx32, fnv1a(in));
        size_t keep;
        if (tl < 0 || outlen < (size_t)tl + 2) {
            out[0] = '\0';
            return 0;
        }
        keep = outlen - 1 - (size_t)tl - n;
        for (size_t i = 0; i < keep && i < inlen; i++)
            out[n++] = name_char_ok((unsigned char)in[i]) ? in[i] : '_';
        /* '~' is outside the allowed set: use '-' */
        tail[0] = '-';
        memcpy(out + n, tail, (size_t)tl);
        n += (size_t)tl;
        out[n] = '\0';
        return n;
    }
}

size_t sdc_archive_relpath(enum sdc_archive type, const char *id,
                           const char *instance, char *out, size_t outlen)
{
    const struct sdc_archive_def *def = sdc_archive_def_get(type);
    char sid[SDC_NAME_MAX];
    char sinst[SDC_NAME_MAX];
    int n;

    if (!def || !id || !out)
        return 0;
    if (def->per_instance && (!instance || !*instance))
        return 0;
    sdc_name_sanitize(id, sid, sizeof(sid));
    if (def->per_instance) {
        /* the prefix ("disk-") is ours; only the instance is sanitised,
         * and with the prefix in front a leading '.' is harmless. */
        size_t il = strlen(instance);
        size_t k = 0;
        if (il + 1 <= sizeof(sinst)) {
            for (size_t i = 0; i < il; i++)
                sinst[k++] = name_char_ok((unsigned char)instance[i])
                                 ? instance[i]
                                 : '_';
            sinst[k] = '\0';
        } else {
            sdc_name_sanitize(instance, sinst, sizeof(sinst));
        }
        n = snprintf(out, outlen, "rrd/%s/%s/%s%s.rrd", def->kind, sid,
                     def->file, sinst);
    } else {
        n = snprintf(out, outlen, "rrd/%s/%s/%s.rrd", def->kind, sid,
                     def->file);
    }
    if (n < 0 || (size_t)n >= outlen)
        return 0;
    return (size_t)n;
}
