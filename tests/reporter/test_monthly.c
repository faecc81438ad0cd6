/*
 * test_monthly.c - the monthly optimisation report end to end.
 *
 * A small data centre with exactly one of each planted problem, plus
 * healthy entities near each threshold on the safe side, is built through
 * sdcmon-import (5-minute history for February 2026 generated here, and an
 * inventory CSV); sdcmon-report monthly then runs as a program and its
 * report.json must list exactly the planted findings with the expected
 * numbers (recommended vCPUs and memory, reclaimable figures, p95 values
 * within 0.5% of what the generated data gives).  report.html passes
 * `tidy -errors -q` and holds no <script>; hostile VM names come out
 * escaped in HTML, Markdown and CSV; every CSV reads back with Python's
 * csv module; a month with no data, a month in the future, gaps, a VM
 * added mid-month, bad arguments: clear messages and exit codes.
 *
 * SDC_KEEP=1 keeps the data directory (its path is printed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "testutil.h"

#define GIB 1073741824.0
#define TIB (GIB * 1024)
#define STEP 300
/* February 2026, UTC (the test runs with TZ=UTC). */
#define M_START 1769904000LL /* 2026-02-01 00:00 */
#define M_END 1772323200LL   /* 2026-03-01 00:00 */
#define MONTH "2026-02"
/* History starts an hour early so counters have a rate at the start. */
#define T0 (M_START - 3600)
#define K_FIRST 13 /* first row inside the month: t = M_START + 300 */
#define N_ROWS ((int)((M_END - T0) / STEP) + 1)
#define DAY_ROWS 288
#define SEEN_LONG_AGO 1748736000LL /* 2025-06-01 */
#define RUNNING_SINCE 1764547200LL /* 2025-12-01 */
#define SHUTOFF_SINCE 1765756800LL /* 2025-12-15 */
#define LAST_SEEN (M_END + 2 * 86400)

static const char HOSTILE[] = "<script>alert(1)</script>";
static const char COMMA[] = "a,b\"c";

/* ------------------------------------------------------------ the data */

/* A uniform number in [0, 1) for (seed, row), reproducible. */
static double u01(uint64_t seed, uint64_t k)
{
    uint64_t z = seed * 0x9E3779B97F4A7C15ULL + k + 1;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

/* A share between lo and hi at row k. */
struct range {
    double lo;
    double hi;
};

static double at(struct range r, uint64_t seed, int k)
{
    return r.lo + (r.hi - r.lo) * u01(seed, (uint64_t)k);
}

enum mem_way { MEM_BALLOON = 0, MEM_RSS };

struct vm_def {
    const char *name;
    const char *host;
    const char *owner;
    const char *state;
    int vcpus;
    double mem_gib;
    struct range cpu; /* share of vCPUs */
    struct range mem; /* share of memory used */
    enum mem_way way;
    bool nic;
    struct range net; /* bytes/s rx + tx */
    int from_k;       /* rows from (0: all) */
    int gap_from;     /* rows written as unknown: [gap_from, gap_to) */
    int gap_to;
    time_t first_seen;
    double disk_gib;
    double disk_alloc_gib;
    const char *pool; /* pool key of its disk */
    const char *backing;
    char uuid[40];
    char path[128];
};

#define DAYK(d) (K_FIRST - 1 + (d)*DAY_ROWS)

static struct vm_def vms[] = {
    {HOSTILE,
     "hv-a1",
     "R&D \"Labs\" <ops>",
     "running",
     2,
     4,
     {0.002, 0.012},
     {0.30, 0.40},
     MEM_BALLOON,
     true,
     {50, 250},
     0,
     0,
     0,
     0,
     30,
     12,
     "nfs.10.0.0.5.vms",
     NULL,
     "",
     ""},
    {"near-idle-net",
     "hv-a1",
     "Web Team",
     "running",
     1,
     2,
     {0.005, 0.028},
     {0.55, 0.70},
     MEM_BALLOON,
     true,
     {1100, 2000},
     0,
     0,
     0,
     0,
     20,
     10,
     "nfs.10.0.0.5.vms",
     NULL,
     "",
     ""},
    {"near-idle-cpu",
     "hv-a2",
     "Web Team",
     "running",
     1,
     2,
     {0.032, 0.05},
     {0.55, 0.70},
     MEM_BALLOON,
     true,
     {100, 300},
     0,
     0,
     0,
     0,
     20,
     10,
     "nfs.10.0.0.5.vms",
     NULL,
     "",
     ""},
    {"db-oversized",
     "hv-a2",
     "Finance",
     "running",
     8,
     16,
     {0.05, 0.1125},
     {0.25, 0.325},
     MEM_BALLOON,
     true,
     {5000, 50000},
     0,
     0,
     0,
     0,
     200,
     150,
     "nfs.10.0.0.5.vms",
     "/mnt/vms/base-rhel9.qcow2 <- /mnt/vms/base-minimal.qcow2",
     "",
     ""},
    {"app-near-oversized",
     "hv-a1",
     "Finance",
     "running",
     4,
     8,
     {0.25, 0.33},
     {0.46, 0.54},
     MEM_BALLOON,
     false,
     {0, 0},
     0,
     0,
     0,
     0,
     50,
     30,
     "nfs.10.0.0.5.vms",
     NULL,
     "",
     ""},
    {COMMA,
     "hv-a2",
     "Research",
     "running",
     2,
     4,
     {0.88, 0.98},
     {0.60, 0.75},
     MEM_BALLOON,
     false,
     {0, 0},
     0,
     0,
     0,
     0,
     40,
     20,
     "nfs.10.0.0.5.vms",
     NULL,
     "",
     ""},
    {"app-near-undersized",
     "hv-a1",
     "Research",
     "running",
     2,
     8,
     {0.70, 0.84},
     {0.80, 0.89},
     MEM_RSS,
     false,
     {0, 0},
     0,
     0,
     0,
     0,
     40,
     20,
     "nfs.10.0.0.5.vms",
     NULL,
     "",
     ""},
    {"legacy-shutoff",
     "hv-a2",
     "Finance",
     "shutoff",
     4,
     8,
     {0, 0},
     {0, 0},
     MEM_BALLOON,
     false,
     {0, 0},
     0,
     0,
     0,
     0,
     40,
     20,
     "nfs.10.0.0.5.vms",
     NULL,
     "",
     ""},
    {"web-02",
     "hv-a1",
     "Web Team",
     "running",
     2,
     4,
     {0.40, 0.60},
     {0.60, 0.70},
     MEM_BALLOON,
     false,
     {0, 0},
     0,
     0,
     0,
     0,
     20,
     10,
     "nfs.10.0.0.5.vms",
     NULL,
     "",
     ""},
    {"fin-03",
     "hv-a2",
     "Finance",
     "running",
     2,
     4,
     {0.35, 0.55},
     {0.55, 0.70},
     MEM_BALLOON,
     false,
     {0, 0},
     0,
     0,
     0,
     0,
     20,
     10,
     "nfs.10.0.0.5.vms",
     NULL,
     "",
     ""},
    {"vm-gaps",
     "hv-a1",
     "Research",
     "running",
     2,
     4,
     {0.40, 0.60},
     {0.60, 0.70},
     MEM_BALLOON,
     false,
     {0, 0},
     0,
     DAYK(10),
     DAYK(14),
     0,
     20,
     10,
     "nfs.10.0.0.5.vms",
     NULL,
     "",
     ""},
    {"vm-midmonth",
     "hv-a2",
     "Research",
     "running",
     2,
     4,
     {0.001, 0.01},
     {0.30, 0.40},
     MEM_BALLOON,
     true,
     {0, 100},
     DAYK(14) - 12,
     0,
     0,
     M_START + 14 * 86400,
     20,
     10,
     "nfs.10.0.0.5.vms",
     NULL,
     "",
     ""},
    {"big-1",
     "hv-b1",
     "Operations",
     "running",
     16,
     32,
     {0.35, 0.65},
     {0.55, 0.75},
     MEM_BALLOON,
     false,
     {0, 0},
     0,
     0,
     0,
     0,
     100,
     80,
     "iscsi.san-b",
     NULL,
     "",
     ""},
    {"big-2",
     "hv-b1",
     "Operations",
     "running",
     16,
     32,
     {0.35, 0.55},
     {0.55, 0.75},
     MEM_BALLOON,
     false,
     {0, 0},
     0,
     0,
     0,
     0,
     100,
     80,
     "iscsi.san-b",
     NULL,
     "",
     ""},
    {"small-b",
     "hv-b1",
     "",
     "running",
     2,
     4,
     {0.40, 0.60},
     {0.55, 0.75},
     MEM_BALLOON,
     false,
     {0, 0},
     0,
     0,
     0,
     0,
     20,
     10,
     "iscsi.san-b",
     NULL,
     "",
     ""},
    {"svc-b2",
     "hv-b2",
     "Operations",
     "running",
     4,
     8,
     {0.35, 0.60},
     {0.55, 0.75},
     MEM_BALLOON,
     false,
     {0, 0},
     0,
     0,
     0,
     0,
     40,
     20,
     "iscsi.san-b",
     NULL,
     "",
     ""},
};
#define N_VMS (sizeof(vms) / sizeof(vms[0]))

struct host_def {
    const char *name;
    const char *cluster;
    struct range cpu;
    struct range mem;
    int to_k; /* rows up to (0: all) */
};

static const struct host_def hosts[] = {
    {"hv-a1", "prod-a", {0.40, 0.68}, {0.55, 0.78}, 0},
    {"hv-a2", "prod-a", {0.30, 0.46}, {0.40, 0.56}, 0},
    {"hv-b1", "prod-b", {0.75, 0.87}, {0.50, 0.62}, 0},
    {"hv-b2", "prod-b", {0.12, 0.22}, {0.40, 0.52}, 0},
    {"hv-c1", "lab", {0.20, 0.30}, {0.20, 0.30}, K_FIRST + 3226},
};
#define N_HOSTS (sizeof(hosts) / sizeof(hosts[0]))
#define HOST_CPUS 64
#define HOST_MEM (512 * GIB)

struct pool_def {
    const char *key;
    const char *name;
    const char *hosts;
    double cap;
    struct range use;
    int to_k;
};

static const struct pool_def pools[] = {
    {"nfs.10.0.0.5.vms", "vms-nfs", "hv-a1;hv-a2", 10 * TIB, {0.70, 0.785}, 0},
    {"iscsi.san-b", "san-b", "hv-b1;hv-b2", 20 * TIB, {0.84, 0.90}, 0},
    {"hv-c1.default",
     "default",
     "hv-c1",
     2 * TIB,
     {0.30, 0.40},
     K_FIRST + 3226},
};
#define N_POOLS (sizeof(pools) / sizeof(pools[0]))

struct if_def {
    const char *name; /* ifName */
    double speed;
    struct range in;
    struct range out;
    double err_rate; /* errors/s on 10% of rows */
};

static const struct if_def ifaces[] = {
    {"Ethernet1/49", 1e10, {0.60, 0.84}, {0.30, 0.50}, 0},
    {"Ethernet1/50", 1e10, {0.50, 0.69}, {0.40, 0.60}, 0},
    {"Ethernet1/1", 1e9, {0.90, 0.99}, {0.20, 0.30}, 0.02},
};
#define N_IFS (sizeof(ifaces) / sizeof(ifaces[0]))

struct storage_def {
    const char *descr;
    double size;
    struct range use;
};

static const struct storage_def storages[] = {
    {"vol0", 50 * TIB, {0.80, 0.90}},
    {"vol1", 20 * TIB, {0.70, 0.78}},
};
#define N_STORAGES (sizeof(storages) / sizeof(storages[0]))

static time_t row_time(int k)
{
    return (time_t)(T0 + (long long)k * STEP);
}

static bool vm_present(const struct vm_def *v, int k)
{
    return k >= v->from_k;
}

static bool vm_in_gap(const struct vm_def *v, int k)
{
    return v->gap_to > v->gap_from && k >= v->gap_from && k < v->gap_to;
}

/* Seeds: one per entity and quantity. */
static uint64_t seed_of(const char *name, int what)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h + (uint64_t)what * 7919;
}

/* ----------------------------------------------------- expected figures */

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* p95 by linear interpolation between order statistics at (n-1)*0.95. */
static double p95_of(double *v, size_t n)
{
    double pos, frac;
    size_t i;
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof(*v), dcmp);
    pos = (double)(n - 1) * 0.95;
    i = (size_t)pos;
    frac = pos - (double)i;
    return i + 1 < n ? v[i] + (v[i + 1] - v[i]) * frac : v[i];
}

/* p95 of a range-generated share over the month's rows. */
static double expect_p95(struct range r, uint64_t seed, double scale)
{
    double *v = malloc((size_t)N_ROWS * sizeof(*v));
    size_t n = 0;
    double p;
    assert_non_null(v);
    for (int k = K_FIRST; k < N_ROWS; k++)
        v[n++] = at(r, seed, k) * scale;
    p = p95_of(v, n);
    free(v);
    return p;
}

/* ------------------------------------------------------------ generation */

struct counter {
    unsigned long long v;
};

static void emit(FILE *f, time_t t, const char *arch, const char *ds, double v)
{
    fprintf(f, "%lld,%s,%s,%.17g\n", (long long)t, arch, ds, v);
}

static void emit_counter(FILE *f, time_t t, const char *arch, const char *ds,
                         struct counter *c, double rate)
{
    c->v += (unsigned long long)llround(rate * STEP);
    fprintf(f, "%lld,%s,%s,%llu\n", (long long)t, arch, ds, c->v);
}

static void emit_unknown(FILE *f, time_t t, const char *arch, const char *ds)
{
    fprintf(f, "%lld,%s,%s,U\n", (long long)t, arch, ds);
}

static void write_history(FILE *f)
{
    struct counter vm_time[N_VMS] = {{0}}, vm_rx[N_VMS] = {{0}},
                   vm_tx[N_VMS] = {{0}};
    struct counter hv_user[N_HOSTS] = {{0}}, hv_sys[N_HOSTS] = {{0}},
                   hv_idle[N_HOSTS] = {{0}};
    char a[256], b[256], c[256];

    fputs("time,archive,ds,value\n", f);
    for (int k = 0; k < N_ROWS; k++) {
        time_t t = row_time(k);
        /* hosts and clusters */
        double cl_cpu[3] = {0}, cl_mem[3] = {0};
        for (size_t h = 0; h < N_HOSTS; h++) {
            const struct host_def *hd = &hosts[h];
            double cs = at(hd->cpu, seed_of(hd->name, 1), k);
            double ms = at(hd->mem, seed_of(hd->name, 2), k);
            double used = ms * HOST_MEM;
            int ci = strcmp(hd->cluster, "prod-a") == 0   ? 0
                     : strcmp(hd->cluster, "prod-b") == 0 ? 1
                                                          : 2;
            if (hd->to_k && k >= hd->to_k)
                continue;
            cl_cpu[ci] += cs * HOST_CPUS;
            cl_mem[ci] += used;
            snprintf(a, sizeof(a), "hv/%s/cpu", hd->name);
            snprintf(b, sizeof(b), "hv/%s/mem", hd->name);
            emit_counter(f, t, a, "user", &hv_user[h],
                         cs * 0.8 * HOST_CPUS * 1e9);
            emit_counter(f, t, a, "system", &hv_sys[h],
                         cs * 0.2 * HOST_CPUS * 1e9);
            emit_counter(f, t, a, "idle", &hv_idle[h],
                         (1 - cs) * HOST_CPUS * 1e9);
            emit(f, t, a, "cpus", HOST_CPUS);
            emit(f, t, b, "total", HOST_MEM);
            emit(f, t, b, "free", HOST_MEM - used - 8 * GIB - 1 * GIB);
            emit(f, t, b, "cached", 8 * GIB);
            emit(f, t, b, "buffers", 1 * GIB);
        }
        for (int ci = 0; ci < 3; ci++) {
            static const char *const names[] = {"prod-a", "prod-b", "lab"};
            static const double vcpus[] = {26, 38, 0};
            static const double alloc[] = {62 * GIB, 76 * GIB, 0};
            double n_hosts = ci == 2 ? 1 : 2;
            if (ci == 2 && k >= hosts[4].to_k)
                continue;
            snprintf(a, sizeof(a), "cluster/%s/cpu", names[ci]);
            snprintf(b, sizeof(b), "cluster/%s/mem", names[ci]);
            emit(f, t, a, "used", cl_cpu[ci]);
            emit(f, t, a, "capacity", n_hosts * HOST_CPUS);
            emit(f, t, a, "vcpus", vcpus[ci]);
            emit(f, t, b, "used", cl_mem[ci]);
            emit(f, t, b, "capacity", n_hosts * HOST_MEM);
            emit(f, t, b, "allocated", alloc[ci]);
        }
        /* VMs */
        for (size_t i = 0; i < N_VMS; i++) {
            const struct vm_def *v = &vms[i];
            double mem = v->mem_gib * GIB;
            bool off = strcmp(v->state, "shutoff") == 0;
            if (!vm_present(v, k))
                continue;
            snprintf(a, sizeof(a), "vm/%s/cpu", v->uuid);
            snprintf(b, sizeof(b), "vm/%s/mem", v->uuid);
            if (vm_in_gap(v, k)) {
                emit_unknown(f, t, a, "time");
                emit_unknown(f, t, a, "vcpus");
                emit_unknown(f, t, b, "current");
                emit_unknown(f, t, b, "usable");
                continue;
            }
            emit(f, t, a, "vcpus", v->vcpus);
            emit(f, t, b, "current", mem);
            if (off)
                continue; /* shut off: no CPU time, no usage */
            emit_counter(f, t, a, "time", &vm_time[i],
                         at(v->cpu, seed_of(v->name, 1), k) * v->vcpus * 1e9);
            if (v->way == MEM_BALLOON)
                emit(f, t, b, "usable",
                     mem - at(v->mem, seed_of(v->name, 2), k) * mem);
            else
                emit(f, t, b, "rss", at(v->mem, seed_of(v->name, 2), k) * mem);
            if (v->nic) {
                double r = at(v->net, seed_of(v->name, 3), k);
                snprintf(c, sizeof(c), "vm/%s/net-52-54-00-00-00-%02zx",
                         v->uuid, i);
                emit_counter(f, t, c, "rx_bytes", &vm_rx[i], r * 0.6);
                emit_counter(f, t, c, "tx_bytes", &vm_tx[i], r * 0.4);
            }
        }
        /* pools */
        for (size_t p = 0; p < N_POOLS; p++) {
            const struct pool_def *pd = &pools[p];
            double s = at(pd->use, seed_of(pd->key, 1), k);
            if (pd->to_k && k >= pd->to_k)
                continue;
            snprintf(a, sizeof(a), "pool/%s/usage", pd->key);
            emit(f, t, a, "capacity", pd->cap);
            emit(f, t, a, "allocation", s * pd->cap);
            emit(f, t, a, "available", (1 - s) * pd->cap);
        }
        /* SNMP */
        for (size_t i = 0; i < N_IFS; i++) {
            const struct if_def *d = &ifaces[i];
            char san[64];
            size_t j;
            for (j = 0; d->name[j] && j + 1 < sizeof(san); j++)
                san[j] = d->name[j] == '/' ? '_' : d->name[j];
            san[j] = 0;
            snprintf(a, sizeof(a), "snmp/core-sw1/if-%s", san);
            emit(f, t, a, "in_octets",
                 at(d->in, seed_of(d->name, 1), k) * d->speed / 8);
            emit(f, t, a, "out_octets",
                 at(d->out, seed_of(d->name, 2), k) * d->speed / 8);
            emit(f, t, a, "speed", d->speed);
            emit(f, t, a, "in_errors",
                 u01(seed_of(d->name, 3), (uint64_t)k) < 0.1 ? d->err_rate : 0);
            emit(f, t, a, "out_errors", 0);
            emit(f, t, a, "in_discards", 0);
            emit(f, t, a, "out_discards", 0);
        }
        for (size_t i = 0; i < N_STORAGES; i++) {
            const struct storage_def *d = &storages[i];
            snprintf(a, sizeof(a), "snmp/san1/storage-%s", d->descr);
            emit(f, t, a, "size", d->size);
            emit(f, t, a, "used",
                 at(d->use, seed_of(d->descr, 1), k) * d->size);
        }
    }
}

static void write_inventory(const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("kind,id,name,host,cluster,state,owner,vcpus,memory_bytes,cpus,"
          "source,backing,path,capacity_bytes,allocation_bytes,shared,"
          "first_seen,last_seen,state_since\n",
          f);
    for (size_t h = 0; h < N_HOSTS; h++)
        fprintf(f, "hypervisor,%s,,,%s,,,,%.0f,%d,,,,,,,%lld,%lld,\n",
                hosts[h].name, hosts[h].cluster, HOST_MEM, HOST_CPUS,
                SEEN_LONG_AGO, (long long)LAST_SEEN);
    for (size_t i = 0; i < N_VMS; i++) {
        struct vm_def *v = &vms[i];
        bool off = strcmp(v->state, "shutoff") == 0;
        char qname[128], qowner[128];
        /* RFC 4180 quoting for the hostile names */
        size_t o = 0;
        qname[o++] = '"';
        for (const char *p = v->name; *p && o + 3 < sizeof(qname); p++) {
            if (*p == '"')
                qname[o++] = '"';
            qname[o++] = *p;
        }
        qname[o++] = '"';
        qname[o] = 0;
        o = 0;
        qowner[o++] = '"';
        for (const char *p = v->owner; *p && o + 3 < sizeof(qowner); p++) {
            if (*p == '"')
                qowner[o++] = '"';
            qowner[o++] = *p;
        }
        qowner[o++] = '"';
        qowner[o] = 0;
        fprintf(f, "vm,%s,%s,%s,,%s,%s,%d,%.0f,,,,,,,,%lld,%lld,%lld\n",
                v->uuid, qname, v->host, v->state, qowner, v->vcpus,
                v->mem_gib * GIB,
                (long long)(v->first_seen ? v->first_seen : SEEN_LONG_AGO),
                (long long)LAST_SEEN,
                (long long)(off             ? SHUTOFF_SINCE
                            : v->first_seen ? v->first_seen
                                            : RUNNING_SINCE));
        fprintf(f, "disk,%s,vda,,,,,,,,%s,%s,,%.0f,%.0f,,%lld,%lld,\n", v->uuid,
                v->path, v->backing ? v->backing : "", v->disk_gib * GIB,
                v->disk_alloc_gib * GIB, SEEN_LONG_AGO, (long long)LAST_SEEN);
        if (v->nic)
            fprintf(f, "nic,%s,52:54:00:00:00:%02zx,,,,,,,,,,,,,,%lld,%lld,\n",
                    v->uuid, i, SEEN_LONG_AGO, (long long)LAST_SEEN);
    }
    for (size_t p = 0; p < N_POOLS; p++) {
        const struct pool_def *pd = &pools[p];
        fprintf(f, "pool,%s,%s,%s,,,,,,,,,,%.0f,%.0f,yes,%lld,%lld,\n", pd->key,
                pd->name, pd->hosts, pd->cap, pd->cap * 0.75, SEEN_LONG_AGO,
                (long long)LAST_SEEN);
    }
    /* volumes: every VM disk, two base images (backing only), one orphan on
     * the shared NFS pool, one unused volume in the lab pool whose only
     * host was not polled the whole month */
    for (size_t i = 0; i < N_VMS; i++)
        fprintf(f, "volume,%s,%s.qcow2,,,,,,,,,,%s,%.0f,%.0f,,%lld,%lld,\n",
                vms[i].pool, vms[i].uuid, vms[i].path, vms[i].disk_gib * GIB,
                vms[i].disk_alloc_gib * GIB, SEEN_LONG_AGO,
                (long long)LAST_SEEN);
    fprintf(f,
            "volume,nfs.10.0.0.5.vms,base-rhel9.qcow2,,,,,,,,,,"
            "/mnt/vms/base-rhel9.qcow2,%.0f,%.0f,,%lld,%lld,\n"
            "volume,nfs.10.0.0.5.vms,base-minimal.qcow2,,,,,,,,,,"
            "/mnt/vms/base-minimal.qcow2,%.0f,%.0f,,%lld,%lld,\n"
            "volume,nfs.10.0.0.5.vms,old-backup.qcow2,,,,,,,,,,"
            "/mnt/vms/old-backup.qcow2,%.0f,%.0f,,%lld,%lld,\n"
            "volume,hv-c1.default,scratch.img,,,,,,,,,,"
            "/var/lib/libvirt/images/scratch.img,%.0f,%.0f,,%lld,%lld,\n",
            20 * GIB, 8 * GIB, SEEN_LONG_AGO, (long long)LAST_SEEN, 10 * GIB,
            4 * GIB, SEEN_LONG_AGO, (long long)LAST_SEEN, 100 * GIB, 60 * GIB,
            SEEN_LONG_AGO, (long long)LAST_SEEN, 50 * GIB, 50 * GIB,
            SEEN_LONG_AGO, (long long)LAST_SEEN);
    assert_int_equal(fclose(f), 0);
}

/* --------------------------------------------------------------- fixture */

struct fx {
    char *dir;
    char conf[512];
    char data[512];
    char out[600];
    json_t *doc;
};

static struct fx fx;

static const char *bin(const char *prog)
{
    static char p[2][600];
    static int i;
    i ^= 1;
    snprintf(p[i], sizeof(p[i]), "%s/%s", SDC_BINARY_DIR, prog);
    return p[i];
}

/* Run the report for @month with extra arguments; output in *@out. */
static int report(char **out, const char *month, const char *extra)
{
    return tu_runf(out, "%s monthly -c %s --month %s %s", bin("sdcmon-report"),
                   fx.conf, month, extra ? extra : "");
}

static void add_interfaces_to_inventory(void)
{
    char path[600];
    sqlite3 *db = NULL;
    char *msg = NULL;
    snprintf(path, sizeof(path), "%s/inventory.db", fx.data);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    /* what the SNMP poller records: names with '/', Ethernet1/50 marked
     * an uplink here (Ethernet1/49 is one by the config) */
    if (sqlite3_exec(
            db,
            "INSERT INTO interfaces(device, name, alias, speed,"
            " uplink, first_seen, last_seen) VALUES"
            " ('core-sw1', 'Ethernet1/49', 'to core-rtr1', 10000000000,"
            "  0, 1748736000, 1772496000),"
            " ('core-sw1', 'Ethernet1/50', 'to core-rtr2', 10000000000,"
            "  1, 1748736000, 1772496000),"
            " ('core-sw1', 'Ethernet1/1', 'backup server', 1000000000,"
            "  0, 1748736000, 1772496000)",
            NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("insert interfaces: %s", msg);
    sqlite3_close(db);
}

static int group_setup(void **state)
{
    char cmd[2048], inv[600], log[600];
    char *out = NULL;
    FILE *p;
    int st;
    (void)state;

    setenv("TZ", "UTC", 1);
    tzset();
    setenv("SDCMON_TEMPLATES", SDC_SOURCE_DIR "/templates", 1);
    fx.dir = tu_tmpdir("monthly");
    assert_non_null(fx.dir);
    snprintf(fx.data, sizeof(fx.data), "%s/data", fx.dir);
    snprintf(fx.conf, sizeof(fx.conf), "%s/sdcmon.conf", fx.dir);
    snprintf(fx.out, sizeof(fx.out), "%s/reports/monthly/%s", fx.data, MONTH);
    for (size_t i = 0; i < N_VMS; i++) {
        snprintf(vms[i].uuid, sizeof(vms[i].uuid),
                 "00000000-0000-4000-8000-%012zx", i + 1);
        snprintf(vms[i].path, sizeof(vms[i].path),
                 "/mnt/vms/00000000-0000-4000-8000-%012zx.qcow2", i + 1);
    }
    snprintf(cmd, sizeof(cmd),
             "data_dir = \"%s\";\nstep = 300;\n"
             "hypervisors = (\n"
             "  { name = \"hv-a1\"; uri = \"test:///default\"; cluster = "
             "\"prod-a\"; },\n"
             "  { name = \"hv-a2\"; uri = \"test:///default\"; cluster = "
             "\"prod-a\"; },\n"
             "  { name = \"hv-b1\"; uri = \"test:///default\"; cluster = "
             "\"prod-b\"; },\n"
             "  { name = \"hv-b2\"; uri = \"test:///default\"; cluster = "
             "\"prod-b\"; },\n"
             "  { name = \"hv-c1\"; uri = \"test:///default\"; cluster = "
             "\"lab\"; }\n);\n"
             "snmp = (\n"
             "  { name = \"core-sw1\"; address = \"udp:127.0.0.1:16161\"; "
             "version = \"2c\"; community = \"public\"; role = \"switch\"; "
             "uplinks = [ \"Ethernet1/49\" ]; },\n"
             "  { name = \"san1\"; address = \"udp:127.0.0.1:16162\"; "
             "version = \"2c\"; community = \"public\"; role = \"storage\"; }\n"
             ");\n",
             fx.data);
    assert_true(tu_write_file(fx.conf, cmd, 0600));

    /* inventory first (the history import is told nothing about it) */
    snprintf(inv, sizeof(inv), "%s/inventory.csv", fx.dir);
    write_inventory(inv);
    st = tu_runf(&out, "%s -c %s --inventory %s", bin("sdcmon-import"), fx.conf,
                 inv);
    if (st != 0)
        fail_msg("inventory import failed (%d): %s", st, out);
    free(out);
    add_interfaces_to_inventory();

    /* history, streamed into sdcmon-import's standard input */
    snprintf(log, sizeof(log), "%s/import.log", fx.dir);
    snprintf(cmd, sizeof(cmd), "%s -c %s -q - >%s 2>&1", bin("sdcmon-import"),
             fx.conf, log);
    p = popen(cmd, "w");
    assert_non_null(p);
    write_history(p);
    st = pclose(p);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char *l = tu_read_file(log);
        fail_msg("history import failed (%d): %s", st, l ? l : "");
    }

    st = report(&out, MONTH, NULL);
    if (st != 0)
        fail_msg("sdcmon-report failed (%d): %s", st, out);
    free(out);
    {
        char jp[700];
        json_error_t je;
        snprintf(jp, sizeof(jp), "%s/report.json", fx.out);
        fx.doc = json_load_file(jp, 0, &je);
        if (!fx.doc)
            fail_msg("report.json: %s (line %d)", je.text, je.line);
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    json_decref(fx.doc);
    if (getenv("SDC_KEEP"))
        fprintf(stderr, "kept %s\n", fx.dir);
    else
        tu_rmrf(fx.dir);
    free(fx.dir);
    return 0;
}

/* ---------------------------------------------------------------- helpers */

static const json_t *findings(const char *kind)
{
    return json_object_get(json_object_get(fx.doc, "findings"), kind);
}

static const json_t *find_by(const json_t *list, const char *key,
                             const char *val)
{
    size_t i;
    const json_t *e;
    json_array_foreach(list, i, e)
    {
        const json_t *k = json_object_get(e, key);
        if (json_is_string(k) && strcmp(json_string_value(k), val) == 0)
            return e;
    }
    return NULL;
}

static double fig(const json_t *o, const char *key)
{
    const json_t *f = json_object_get(o, key);
    const json_t *v = json_object_get(f, "value");
    if (!json_is_number(v))
        fail_msg("figure '%s' has no value", key);
    return json_number_value(v);
}

/* Relative difference within 0.5%. */
#define assert_close(got, want) check_close((got), (want), #got, __LINE__)

static void check_close(double got, double want, const char *what, int line)
{
    double d = fabs(got - want);
    if (!(d <= 0.005 * fabs(want) + 1e-12))
        fail_msg("line %d: %s = %.6g, expected %.6g (within 0.5%%)", line, what,
                 got, want);
}

static const struct vm_def *vm_named(const char *name)
{
    for (size_t i = 0; i < N_VMS; i++)
        if (strcmp(vms[i].name, name) == 0)
            return &vms[i];
    fail_msg("no VM %s", name);
    return NULL;
}

/* The names in findings.@kind, sorted, joined with '|'. */
static void names_of(const char *kind, const char *key, char *buf, size_t len)
{
    const json_t *l = findings(kind);
    const char *v[32];
    size_t n = 0, i, used = 0;
    const json_t *e;
    assert_true(json_is_array(l));
    json_array_foreach(l, i, e)
    {
        if (n < 32)
            v[n++] = json_string_value(json_object_get(e, key));
    }
    for (size_t a = 1; a < n; a++)
        for (size_t b = a; b > 0 && strcmp(v[b - 1], v[b]) > 0; b--) {
            const char *t = v[b];
            v[b] = v[b - 1];
            v[b - 1] = t;
        }
    buf[0] = 0;
    for (size_t k = 0; k < n; k++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", k ? "|" : "",
                                 v[k]);
}

static char *report_file(const char *name)
{
    char p[800];
    char *s;
    snprintf(p, sizeof(p), "%s/%s", fx.out, name);
    s = tu_read_file(p);
    if (!s)
        fail_msg("cannot read %s", p);
    return s;
}

/* ------------------------------------------------------------------ tests */

/* report.json lists exactly the planted findings. */
static void test_exact_findings(void **state)
{
    static const struct {
        const char *kind;
        const char *key;
        const char *want;
    } planted[] = {
        {"shutoff", "name", "legacy-shutoff"},
        {"idle", "name", HOSTILE},
        {"oversized", "name", "db-oversized"},
        {"undersized", "name", COMMA},
        {"orphaned_volumes", "name", "old-backup.qcow2"},
        {"orphans_withheld", "pool", "hv-c1.default"},
        {"hot_hosts", "name", "hv-b1"},
        {"imbalance", "name", "prod-b"},
        {"pools_over_target", "name", "san-b"},
        {"storages_over_target", "name", "vol0"},
        {"links_over_target", "name", "Ethernet1/49"},
        {"interface_errors", "name", "Ethernet1/1"},
    };
    char got[1024];
    const char *key;
    const json_t *val;
    size_t kinds = 0;
    (void)state;
    for (size_t i = 0; i < sizeof(planted) / sizeof(planted[0]); i++) {
        names_of(planted[i].kind, planted[i].key, got, sizeof(got));
        if (strcmp(got, planted[i].want) != 0)
            fail_msg("findings.%s: got [%s], planted [%s]", planted[i].kind,
                     got, planted[i].want);
    }
    json_object_foreach(json_object_get(fx.doc, "findings"), key, val) kinds++;
    assert_int_equal(kinds, sizeof(planted) / sizeof(planted[0]));
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(fx.doc, "counts"), "findings")),
                     11);
}

/* Recommended sizes, reclaimable figures and totals (each VM once). */
static void test_numbers(void **state)
{
    const json_t *o = json_array_get(findings("oversized"), 0);
    const json_t *i = json_array_get(findings("idle"), 0);
    const json_t *s = json_array_get(findings("shutoff"), 0);
    const json_t *u = json_array_get(findings("undersized"), 0);
    const json_t *orph = json_array_get(findings("orphaned_volumes"), 0);
    const json_t *t = json_object_get(fx.doc, "totals");
    const struct vm_def *d;
    (void)state;

    /* 8 vCPUs at ~10%: p95 0.875 CPUs -> ceil(0.875 / 0.7) = 2 */
    d = vm_named("db-oversized");
    assert_close(fig(o, "cpu_p95"),
                 expect_p95(d->cpu, seed_of(d->name, 1), 100));
    assert_close(fig(o, "cpu_p95_cpus"),
                 expect_p95(d->cpu, seed_of(d->name, 1), d->vcpus));
    assert_int_equal((int)fig(o, "recommended_vcpus"), 2);
    assert_int_equal((int)fig(o, "free_vcpus"), 6);
    /* 16 GiB, p95 used ~5.1 GiB -> ceil(5.1 / 0.8) = 7 GiB; frees 9 GiB */
    assert_close(fig(o, "mem_p95"),
                 expect_p95(d->mem, seed_of(d->name, 2), 100));
    assert_close(fig(o, "recommended_memory"), 7 * GIB);
    assert_close(fig(o, "free_memory"), 9 * GIB);
    assert_non_null(
        strstr(json_string_value(json_object_get(o, "mem_method")), "usable"));

    d = vm_named(HOSTILE);
    assert_close(fig(i, "cpu_p95"),
                 expect_p95(d->cpu, seed_of(d->name, 1), 100));
    assert_close(fig(i, "net_p95"), expect_p95(d->net, seed_of(d->name, 3), 1));
    assert_int_equal((int)fig(i, "free_vcpus"), 2);
    assert_close(fig(i, "free_memory"), 4 * GIB);

    assert_int_equal((int)fig(s, "free_vcpus"), 4);
    assert_close(fig(s, "free_memory"), 8 * GIB);
    assert_close(fig(s, "free_storage"), 20 * GIB);

    /* 2 vCPUs at p95 ~97.5%: ceil(1.95 / 0.7) = 3, needs 1 */
    d = vm_named(COMMA);
    assert_close(fig(u, "cpu_p95"),
                 expect_p95(d->cpu, seed_of(d->name, 1), 100));
    assert_int_equal((int)fig(u, "recommended_vcpus"), 3);
    assert_int_equal((int)fig(u, "need_vcpus"), 1);

    assert_close(fig(orph, "free_storage"), 60 * GIB);

    /* totals: shut off 4 + idle 2 + oversized 6 vCPUs; 8 + 4 + 9 GiB;
     * 20 GiB of shut-off disk + 60 GiB orphan */
    assert_int_equal((int)fig(t, "reclaimable_vcpus"), 12);
    assert_close(fig(t, "reclaimable_memory"), 21 * GIB);
    assert_close(fig(t, "reclaimable_storage"), 80 * GIB);
    assert_int_equal((int)fig(t, "needed_vcpus"), 1);
}

/* Hosts, pools, storages, links: p95 against what was generated. */
static void test_p95_entities(void **state)
{
    const json_t *h, *e;
    (void)state;
    h = find_by(json_object_get(fx.doc, "hosts"), "name", "hv-b1");
    assert_non_null(h);
    assert_close(fig(json_object_get(h, "cpu"), "p95"),
                 expect_p95(hosts[2].cpu, seed_of("hv-b1", 1), 100));
    assert_close(fig(json_object_get(h, "mem"), "p95"),
                 expect_p95(hosts[2].mem, seed_of("hv-b1", 2), 100));
    assert_true(json_is_true(json_object_get(h, "hot")));
    h = find_by(json_object_get(fx.doc, "hosts"), "name", "hv-a1");
    assert_close(fig(json_object_get(h, "cpu"), "p95"),
                 expect_p95(hosts[0].cpu, seed_of("hv-a1", 1), 100));
    assert_false(json_is_true(json_object_get(h, "hot")));

    e = json_array_get(findings("pools_over_target"), 0);
    assert_close(fig(e, "p95"),
                 expect_p95(pools[1].use, seed_of(pools[1].key, 1), 100));
    e = json_array_get(findings("links_over_target"), 0);
    assert_close(fig(e, "in_p95"),
                 expect_p95(ifaces[0].in, seed_of(ifaces[0].name, 1), 100));
    assert_string_equal(json_string_value(json_object_get(e, "direction")),
                        "in");
    e = json_array_get(findings("storages_over_target"), 0);
    assert_close(fig(e, "p95"), expect_p95(storages[0].use,
                                           seed_of(storages[0].descr, 1), 100));
    /* the uplinks: one by the config, one by the inventory */
    assert_int_equal(json_array_size(json_object_get(
                         json_object_get(fx.doc, "summary"), "uplinks")),
                     2);
    e = json_array_get(findings("interface_errors"), 0);
    assert_true(fig(e, "in_errors") > 1000);
}

/* The imbalance suggests moving the two big VMs from hv-b1 to hv-b2. */
static void test_moves(void **state)
{
    const json_t *imb = json_array_get(findings("imbalance"), 0);
    const json_t *mv = json_object_get(imb, "moves");
    (void)state;
    assert_string_equal(json_string_value(json_object_get(imb, "dimension")),
                        "CPU");
    assert_string_equal(json_string_value(json_object_get(imb, "hottest")),
                        "hv-b1");
    assert_string_equal(json_string_value(json_object_get(imb, "coolest")),
                        "hv-b2");
    assert_int_equal(json_array_size(mv), 2);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(mv, 0), "name")),
        "big-1");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(mv, 1), "name")),
        "big-2");
    assert_true(fig(imb, "hottest_after") - fig(imb, "coolest_after") <= 30);
}

/* Coverage: a VM added mid-month, a VM with a gap, a host polled 40%. */
static void test_coverage(void **state)
{
    const json_t *nj = json_object_get(fx.doc, "not_judged");
    const json_t *vmsj = json_object_get(fx.doc, "vms");
    const json_t *e;
    (void)state;
    e = find_by(nj, "name", "vm-midmonth");
    assert_non_null(e);
    assert_close(fig(e, "coverage"), 100.0 * 14 / 28);
    assert_non_null(strstr(json_string_value(json_object_get(e, "reason")),
                           "first seen 2026-02-15"));
    e = find_by(nj, "name", "hv-c1");
    assert_non_null(e);
    assert_close(fig(e, "coverage"), 40.0);
    /* the VM with a 4-day gap is judged (and healthy) */
    assert_null(find_by(nj, "name", "vm-gaps"));
    e = find_by(vmsj, "name", "vm-gaps");
    assert_close(fig(e, "coverage"), 100.0 * (8064 - 4 * 288 - 1) / 8064);
    assert_string_equal(json_string_value(json_object_get(e, "class")), "ok");
    /* the withheld orphan says why */
    e = json_array_get(findings("orphans_withheld"), 0);
    assert_non_null(
        strstr(json_string_value(json_object_get(e, "reason")), "hv-c1"));
    /* near-threshold VMs are healthy */
    for (size_t i = 0; i < N_VMS; i++) {
        static const char *const healthy[] = {"near-idle-net", "near-idle-cpu",
                                              "app-near-oversized",
                                              "app-near-undersized", NULL};
        for (size_t k = 0; healthy[k]; k++)
            if (strcmp(vms[i].name, healthy[k]) == 0) {
                e = find_by(vmsj, "name", vms[i].name);
                assert_string_equal(
                    json_string_value(json_object_get(e, "class")), "ok");
                assert_false(json_is_true(json_object_get(e, "undersized")));
            }
    }
    e = find_by(vmsj, "name", "app-near-undersized");
    assert_non_null(
        strstr(json_string_value(json_object_get(e, "mem_method")), "rss"));
}

/* tidy finds no error; no script; names escaped. */
static void test_html(void **state)
{
    char *html = report_file("report.html");
    char *out = NULL;
    int st;
    (void)state;
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "<SCRIPT"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(html, "a,b&quot;c"));
    assert_non_null(strstr(html, "R&amp;D &quot;Labs&quot; &lt;ops&gt;"));
    assert_non_null(strstr(html, "<svg"));
    /* self-contained: nothing loaded from elsewhere */
    assert_null(strstr(html, "<link"));
    assert_null(strstr(html, " src="));
    assert_null(strstr(html, "url("));
    assert_null(strstr(html, "@import"));
    assert_null(strstr(html, "href=\"http"));
    free(html);
    if (!tu_which("tidy")) {
        skip();
        return;
    }
    st = tu_runf(&out, "tidy -errors -q %s/report.html", fx.out);
    if (st >= 2 || (out && strstr(out, "Error:")))
        fail_msg("tidy (%d): %s", st, out ? out : "");
    free(out);
}

static void test_markdown(void **state)
{
    char *md = report_file("report.md");
    (void)state;
    assert_null(strstr(md, "<script>"));
    assert_non_null(strstr(md, "\\<script\\>alert(1)\\</script\\>"));
    assert_non_null(strstr(md, "a,b\"c"));
    assert_non_null(strstr(md, "| db-oversized |"));
    free(md);
}

/* Every CSV reads back with Python's csv module, rows of equal width; the
 * hostile names read back as they are. */
static void test_csv(void **state)
{
    char *out = NULL;
    int st;
    (void)state;
    if (!tu_which("python3")) {
        skip();
        return;
    }
    st = tu_runf(&out,
                 "cd %s && python3 -c '\n"
                 "import csv, glob, sys\n"
                 "names = set()\n"
                 "files = sorted(glob.glob(\"*.csv\"))\n"
                 "assert len(files) >= 12, files\n"
                 "for f in files:\n"
                 "    rows = list(csv.reader(open(f, newline=\"\", "
                 "encoding=\"utf-8\")))\n"
                 "    assert rows, f\n"
                 "    w = len(rows[0])\n"
                 "    for r in rows:\n"
                 "        assert len(r) == w, (f, r)\n"
                 "    if f == \"vms.csv\":\n"
                 "        i = rows[0].index(\"name\")\n"
                 "        names = set(r[i] for r in rows[1:])\n"
                 "for n in [\"<script>alert(1)</script>\", \"a,b\\\"c\"]:\n"
                 "    assert n in names, (n, names)\n"
                 "print(\"ok\", len(files))\n"
                 "'",
                 fx.out);
    if (st != 0)
        fail_msg("csv read-back failed (%d): %s", st, out ? out : "");
    free(out);
}

/* "nan" and "inf" never printed: "no data" instead. */
static bool has_word(const char *s, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = s; (p = strcasestr(p, w)); p += n) {
        bool before = p > s && isalpha((unsigned char)p[-1]);
        bool after = isalpha((unsigned char)p[n]);
        if (!before && !after)
            return true;
    }
    return false;
}

static void test_no_nan(void **state)
{
    static const char *const files[] = {
        "report.html",  "report.md",    "vms.csv",        "hosts.csv",
        "clusters.csv", "findings.csv", "not_judged.csv", "report.json"};
    (void)state;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *s = report_file(files[i]);
        if (has_word(s, "nan") || has_word(s, "inf") || has_word(s, "-nan") ||
            has_word(s, "infinity"))
            fail_msg("%s prints nan or inf", files[i]);
        free(s);
    }
}

static void test_no_data_month(void **state)
{
    char *out = NULL;
    char p[700];
    int st = report(&out, "2025-10", "-o /dev/null/none");
    (void)state;
    assert_int_equal(st, 1);
    assert_non_null(strstr(out, "no data for 2025-10"));
    free(out);
    snprintf(p, sizeof(p), "%s/reports/monthly/2025-10", fx.data);
    assert_false(tu_wait_path(p, 0));
}

static void test_future_month(void **state)
{
    char *out = NULL, month[32];
    time_t now = time(NULL);
    struct tm tm;
    int st;
    (void)state;
    gmtime_r(&now, &tm);
    snprintf(month, sizeof(month), "%04d-%02d",
             tm.tm_year + 1900 + (tm.tm_mon == 11),
             tm.tm_mon == 11 ? 1 : tm.tm_mon + 2);
    st = report(&out, month, NULL);
    assert_int_equal(st, 1);
    assert_non_null(strstr(out, "has not begun"));
    free(out);
}

static void test_bad_arguments(void **state)
{
    char *out = NULL, bad[700];
    int st;
    (void)state;
    st = report(&out, "2026-13", NULL);
    assert_int_equal(st, 2);
    assert_non_null(strstr(out, "not a month"));
    free(out);
    st = report(&out, "Feb", NULL);
    assert_int_equal(st, 2);
    free(out);
    st = report(&out, MONTH, "--format html,pdf");
    assert_int_equal(st, 2);
    assert_non_null(strstr(out, "unknown format 'pdf'"));
    free(out);
    snprintf(bad, sizeof(bad), "%s/bad.conf", fx.dir);
    assert_true(tu_write_file(bad,
                              "data_dir = \"/tmp\";\n"
                              "thresholds = { idle_cpu = 2; };\n",
                              0600));
    st = tu_runf(&out, "%s monthly -c %s --month %s", bin("sdcmon-report"), bad,
                 MONTH);
    assert_int_equal(st, 2);
    assert_non_null(strstr(out, "bad.conf:2: thresholds.idle_cpu"));
    free(out);
    st = tu_runf(&out, "%s weekly -c %s", bin("sdcmon-report"), fx.conf);
    assert_int_equal(st, 2);
    free(out);
    st = tu_runf(&out, "%s --help", bin("sdcmon-report"));
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "Exit status"));
    free(out);
}

/* The month before's report.json is the record: against itself, no
 * change; written again, the directory is swapped whole. */
static void test_previous_and_rewrite(void **state)
{
    char *out = NULL, extra[2048], prev[800], other[800];
    json_t *doc;
    json_error_t je;
    const json_t *cl;
    int st;
    (void)state;
    snprintf(prev, sizeof(prev), "%s/prev.json", fx.dir);
    snprintf(other, sizeof(other), "%s/again", fx.dir);
    st = tu_runf(&out, "cp %s/report.json %s", fx.out, prev);
    assert_int_equal(st, 0);
    free(out);
    snprintf(extra, sizeof(extra), "--previous %s -o %s -f json,html", prev,
             other);
    st = report(&out, MONTH, extra);
    if (st != 0)
        fail_msg("%s", out);
    free(out);
    snprintf(extra, sizeof(extra), "%s/report.json", other);
    doc = json_load_file(extra, 0, &je);
    assert_non_null(doc);
    cl = find_by(json_object_get(json_object_get(doc, "summary"), "clusters"),
                 "name", "prod-b");
    assert_non_null(cl);
    assert_close(fig(json_object_get(cl, "cpu"), "change") + 1, 1);
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(cl, "cpu"), "change"), "text")),
        "no change");
    json_decref(doc);
    /* written again over itself: only the requested files, no temp dir */
    snprintf(extra, sizeof(extra), "-o %s -f csv -q", other);
    st = report(&out, MONTH, extra);
    assert_int_equal(st, 0);
    free(out);
    st = tu_runf(&out, "ls -A %s/..; ls %s", other, other);
    assert_int_equal(st, 0);
    assert_null(strstr(out, ".tmp-"));
    assert_null(strstr(out, "report.json"));
    assert_non_null(strstr(out, "vms.csv"));
    free(out);
    /* the default record of the month before is absent: said so */
    assert_non_null(strstr(
        json_string_value(json_array_get(json_object_get(fx.doc, "notes"), 0)),
        "No report for 2026-01"));
}

/* An older month whose 5-minute rows are gone: hourly rows, and the report
 * says so. */
static void test_hourly_fallback(void **state)
{
    char dir[700], conf[800], text[1024], cmd[2048], jp[900];
    char *out = NULL;
    FILE *p;
    json_t *doc;
    json_error_t je;
    const json_t *res;
    int st;
    (void)state;
    snprintf(dir, sizeof(dir), "%s/old", fx.dir);
    snprintf(conf, sizeof(conf), "%s/old.conf", fx.dir);
    snprintf(text, sizeof(text),
             "data_dir = \"%s\";\nstep = 300;\n"
             "retention = { step_days = 0.5; min5_days = 10; hour_days = 60;"
             " day_days = 400; };\n",
             dir);
    assert_true(tu_write_file(conf, text, 0600));
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(cmd, sizeof(cmd), "%s -c %s - >%s/old-import.log 2>&1",
             bin("sdcmon-import"), conf, fx.dir);
    p = popen(cmd, "w");
    assert_non_null(p);
    write_history(p);
    st = pclose(p);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        snprintf(jp, sizeof(jp), "%s/old-import.log", fx.dir);
        out = tu_read_file(jp);
        fail_msg("import (%d): %s", st, out ? out : "");
    }
    st = tu_runf(&out, "%s monthly -c %s --month %s -f json",
                 bin("sdcmon-report"), conf, MONTH);
    if (st != 0)
        fail_msg("%s", out);
    free(out);
    snprintf(jp, sizeof(jp), "%s/reports/monthly/%s/report.json", dir, MONTH);
    doc = json_load_file(jp, 0, &je);
    assert_non_null(doc);
    res = json_object_get(doc, "resolution");
    assert_int_equal(json_integer_value(json_object_get(res, "seconds")), 3600);
    assert_string_equal(json_string_value(json_object_get(res, "text")),
                        "1-hour averages");
    assert_non_null(strstr(json_string_value(json_object_get(res, "note")),
                           "no longer hold 5-minute rows"));
    /* still measured: the hot host is hot at hourly resolution too */
    assert_int_equal(json_array_size(json_object_get(
                         json_object_get(doc, "findings"), "hot_hosts")),
                     1);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_findings),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_p95_entities),
        cmocka_unit_test(test_moves),
        cmocka_unit_test(test_coverage),
        cmocka_unit_test(test_html),
        cmocka_unit_test(test_markdown),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_no_nan),
        cmocka_unit_test(test_no_data_month),
        cmocka_unit_test(test_future_month),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_previous_and_rewrite),
        cmocka_unit_test(test_hourly_fallback),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
