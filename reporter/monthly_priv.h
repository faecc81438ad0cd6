/*
 * monthly_priv.h - what the monthly report gathers (monthly.c) and builds
 * its document from (monthly_doc.c).  Not for other modules.
 *
 * Shares are fractions (0..1), memory and storage in bytes, CPU in CPUs,
 * network in bytes/s (VMs) or bit/s (links); NaN is "no data".
 */
#ifndef SDC_REPORTER_MONTHLY_PRIV_H
#define SDC_REPORTER_MONTHLY_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "fetch.h"
#include "findings.h"
#include "monthly.h"
#include "stats.h"

#define M_NOTE_LEN 200

/* A series kept for a chart: percent values over the period. */
struct m_series {
    time_t start;
    time_t step;
    size_t n;
    double *v;
};

struct m_host {
    char *name;
    char *cluster;
    bool in_config;
    bool in_inventory;
    double inv_cpus;   /* logical CPUs the inventory gives; NaN */
    double inv_memory; /* bytes; NaN */
    time_t first_seen;
    time_t last_seen;
    struct stats cpu; /* (user + system) / 1e9 / cpus */
    struct stats mem; /* (total - free - cached - buffers) / total */
    double cpus;      /* last known */
    double mem_total; /* last known */
    time_t last_data; /* time of its last CPU value; 0: none */
    bool polled;      /* polled the whole month (coverage and last day) */
    bool judged;      /* coverage enough to judge */
    bool hot_cpu;
    bool hot_mem;
    size_t n_vms;
    char note[M_NOTE_LEN];
};

struct m_cluster {
    char *name;
    size_t n_hosts;
    struct stats cpu;    /* used / capacity */
    struct stats mem;    /* used / capacity */
    double cpu_capacity; /* CPUs, last known */
    double cpu_vcpus;    /* vCPUs of running VMs, last known */
    double mem_capacity; /* bytes, last known */
    double mem_allocated;
    double cpu_used_p95; /* CPUs */
    double mem_used_p95; /* bytes */
    double vcpu_ratio;   /* vcpus / capacity at the end of the month */
    double vram_ratio;   /* allocated / capacity */
    struct m_series cpu_s;
    struct m_series mem_s;
    char note[M_NOTE_LEN];
};

enum m_mem_method {
    M_MEM_NONE = 0, /* no memory data */
    M_MEM_BALLOON,  /* current - usable (guest balloon statistics) */
    M_MEM_RSS,      /* rss capped at current */
    M_MEM_MIXED,    /* some rows one way, some the other */
};

struct m_vm {
    char *uuid;
    char *name;
    char *owner;
    char *host;
    char *cluster;
    char *state; /* now, from the inventory */
    bool in_inventory;
    int vcpus;
    double memory; /* bytes allocated */
    time_t first_seen;
    time_t last_seen;
    time_t state_since;
    time_t deleted_at;
    double disk_capacity;
    double disk_allocation;
    long n_disks;
    long n_nics; /* in the inventory; -1 unknown */
    enum fd_vm_month month;
    char month_note[M_NOTE_LEN];
    /* from the archives */
    struct stats cpu;       /* share of its vCPUs */
    struct stats cpu_cpus;  /* CPUs busy */
    struct stats mem;       /* memory used / allocated */
    struct stats mem_bytes; /* memory used */
    struct stats net;       /* rx + tx bytes/s */
    enum m_mem_method mem_method;
    bool cpu_active; /* CPU time above nothing at some point */
    size_t n_net_files;
    time_t step; /* resolution of its CPU data; 0: none */
    char note[M_NOTE_LEN];
    struct fd_vm_out verdict;
};

struct m_pool {
    char *key;
    char *name;
    char *type;
    bool shared;
    bool in_inventory;
    double inv_capacity;
    double inv_allocation;
    time_t last_seen;
    struct stats use; /* allocation / capacity */
    double capacity;  /* last known */
    double allocation;
    double provisioned; /* disk capacity of the volumes VMs use here */
    struct m_series s;
    char **hosts;      /* hypervisors that see it */
    char **host_names; /* the pool's name on each */
    size_t n_hosts;
    char note[M_NOTE_LEN];
};

struct m_volume {
    char *pool_key;
    char *name;
    char *path;
    double capacity;
    double allocation;
    time_t last_seen;
};

struct m_storage {
    char *device;
    char *descr;      /* the archive's instance (sanitised) or inventory name */
    struct stats use; /* used / size */
    double size;      /* last known */
    double used;
    char note[M_NOTE_LEN];
};

struct m_iface {
    char *device;
    char *name;     /* ifName from the inventory, else the archive's */
    char *instance; /* archive instance (sanitised ifName) */
    char *alias;
    bool uplink;
    double inv_speed;  /* bit/s; NaN */
    double speed;      /* bit/s, last known */
    struct stats in;   /* in bits/s / speed */
    struct stats out;  /* out bits/s / speed */
    double in_p95_bps; /* bit/s */
    double out_p95_bps;
    double in_errors; /* counts over the month */
    double out_errors;
    double in_discards;
    double out_discards;
    double coverage;
    char note[M_NOTE_LEN];
};

struct m_ctx {
    const struct monthly_opts *o;
    const struct sdc_config *cfg;
    struct period p;
    time_t now;
    struct fetch_src src;
    struct fd_limits lim;
    char *inv_path;
    bool have_inventory;

    struct m_host *hosts;
    size_t n_hosts;
    struct m_cluster *clusters;
    size_t n_clusters;
    struct m_vm *vms;
    size_t n_vms;
    struct m_pool *pools;
    size_t n_pools;
    struct m_volume *volumes;
    size_t n_volumes;
    struct m_storage *storages;
    size_t n_storages;
    struct m_iface *ifaces;
    size_t n_ifaces;
    struct fd_refs *refs; /* what disks use (orphaned volumes) */
    double disk_total;    /* capacity of every disk of VMs that exist */

    time_t max_step; /* coarsest resolution the archives gave */
    time_t min_step; /* finest */
    bool any_data;

    pthread_mutex_t lock; /* progress and the step figures */
    json_t *notes;        /* array of strings */
    bool oom;
};

/* m_note - add a note (printf) to the report's notes. */
void m_note(struct m_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* m_strdup - strdup that marks the context out of memory on failure and
 * returns "" (never NULL; the "" is static, free with m_free). */
char *m_strdup(struct m_ctx *c, const char *s);
void m_free(char *s);

/* m_gather - read the inventory and the archives (monthly.c). */
enum sdc_rc m_gather(struct m_ctx *c, struct sdc_error *err);

/* m_build_doc - judge and build the document (monthly_doc.c). */
enum sdc_rc m_build_doc(struct m_ctx *c, struct monthly_report *out,
                        struct sdc_error *err);

/* m_ctx_free - free everything gathered. */
void m_ctx_free(struct m_ctx *c);

/* m_format_time - @t as "2026-03-01 00:00" local time. */
void m_format_time(time_t t, char *buf, size_t len);

#endif
