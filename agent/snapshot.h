/*
 * snapshot.h - what the web view shows live: after every cycle the agent
 * builds one immutable snapshot of the current value of every entity
 * (clusters, hypervisors, VMs, pools, SNMP devices, interfaces, storages)
 * and of its own state (cycle time and duration, errors, overruns, archive
 * updates, every target's last status), and publishes it.
 *
 * Readers (the web server's threads) take a reference with snap_acquire()
 * and drop it with snap_release(); publishing swaps a pointer under a mutex
 * held for a few instructions, so the web never locks the poller out and a
 * slow reader keeps the snapshot it holds alive, not the lock.
 *
 * Values that need two readings (rates from counters) come from the
 * previous snapshot; they are NaN in the first one.  NaN means unknown
 * everywhere below.
 */
#ifndef SDC_AGENT_SNAPSHOT_H
#define SDC_AGENT_SNAPSHOT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sdc/config.h"
#include "sdc/error.h"
#include "sdc/sample.h"

/* How many VMs each "top" list of the overview holds. */
#define SNAP_TOP 10

struct snap_cluster {
    char *name;
    double cpu_used;     /* CPUs busy */
    double cpu_capacity; /* logical CPUs */
    double vcpus;        /* allocated to running VMs */
    double mem_used;     /* bytes */
    double mem_capacity; /* bytes */
    double mem_allocated;
};

struct snap_host {
    char *name;
    char *cluster;
    bool ok;     /* answered this cycle */
    char *error; /* why not, "" when ok */
    int cpus;
    uint64_t memory;
    double cpu_busy; /* CPUs */
    double mem_used; /* bytes */
    size_t vms;      /* VMs listed on it this cycle */
    size_t vms_running;
};

struct snap_vm {
    char *uuid;
    char *name;
    char *host;
    char *cluster;
    char *owner; /* "" when none */
    char *title; /* "" when none */
    enum sdc_vm_state state;
    int vcpus;
    uint64_t memory; /* current allocation, bytes */
    /* raw counters of this reading (for the next snapshot's rates) */
    time_t t;
    bool has_cpu_ns;
    uint64_t cpu_ns;
    bool has_disk_bytes;
    uint64_t disk_bytes; /* read + written, summed over disks */
    bool has_net_bytes;
    uint64_t net_bytes; /* received + sent, summed over NICs */
    /* derived */
    double cpu_used;  /* CPUs busy (ns/s / 1e9) */
    double cpu_ratio; /* cpu_used / vcpus */
    double mem_used;  /* bytes: current - usable, else rss capped, else NaN */
    double mem_ratio; /* mem_used / memory */
    double disk_io;   /* bytes/s read + written */
    double net_io;    /* bytes/s received + sent */
    uint64_t disk_capacity;
    uint64_t disk_allocation;
    char **disks; /* targets, e.g. "vda" */
    size_t n_disks;
    char **nics; /* MACs */
    size_t n_nics;
};

struct snap_pool {
    char *key;
    char *name;
    char *hosts; /* the hypervisors that report it, comma separated */
    char *type;
    bool shared;
    uint64_t capacity;
    uint64_t allocation;
    uint64_t available;
};

struct snap_device {
    char *name;
    char *address;
    char *role;
    char *sys_name; /* "" when unknown */
    bool ok;
    char *error;
    double uptime; /* seconds */
};

struct snap_iface {
    char *device;
    char *name;
    char *alias;    /* "" when none */
    uint64_t speed; /* bit/s, 0 unknown */
    bool uplink;
    int oper_status;
    double in_bps;  /* bytes/s */
    double out_bps; /* bytes/s */
    double errors;  /* in + out errors and discards, 1/s */
};

struct snap_storage {
    char *device;
    char *descr;
    double size; /* bytes */
    double used;
};

/* One target's status as the scheduler counts it. */
struct snap_target {
    char *name;
    char *kind; /* "libvirt", "snmp" */
    bool ok;    /* answered the last cycle */
    char *error;
    uint64_t reads;
    uint64_t errors;
    uint64_t timeouts;
    uint64_t skipped;
    double last_seconds;
};

struct snap {
    int refs;             /* under the store's mutex */
    uint64_t seq;         /* 1, 2, ... in the order built (per process) */
    time_t cycle;         /* scheduled start of the last cycle, 0 = none */
    double cycle_seconds; /* its duration */
    int step;
    uint64_t cycles;
    uint64_t overruns;
    uint64_t cycle_errors;
    uint64_t archive_updates; /* since the agent started */
    uint64_t archive_created;
    uint64_t archive_errors;
    double target_cpu, target_memory, target_storage, target_network;

    struct snap_cluster *clusters; /* sorted by name */
    size_t n_clusters;
    struct snap_host *hosts; /* sorted by name */
    size_t n_hosts;
    struct snap_vm *vms; /* sorted by uuid */
    size_t n_vms;
    size_t vms_running;
    struct snap_pool *pools; /* sorted by key */
    size_t n_pools;
    struct snap_device *devices; /* sorted by name */
    size_t n_devices;
    struct snap_iface *ifaces; /* sorted by device, name */
    size_t n_ifaces;
    struct snap_storage *storages;
    size_t n_storages;
    struct snap_target *targets; /* in the scheduler's order */
    size_t n_targets;

    /* indexes into vms, busiest first (only VMs with a value) */
    size_t top_cpu[SNAP_TOP], n_top_cpu;
    size_t top_mem[SNAP_TOP], n_top_mem;
    size_t top_disk[SNAP_TOP], n_top_disk;
};

/*
 * struct snap_input - what one cycle hands to snap_build().
 * @batches, @n: the cycle's batches (after migration dedup), ok or not
 * @clusters:    the cluster sums batch (may be NULL)
 * @targets, @n_targets: the scheduler's per-target counters
 * The scalar fields are copied into the snapshot as they are.
 */
struct snap_input {
    const struct sdc_config *cfg;
    struct sdc_batch *const *batches;
    size_t n;
    const struct sdc_batch *clusters;
    const struct snap_target *targets;
    size_t n_targets;
    time_t cycle;
    double cycle_seconds;
    uint64_t cycles;
    uint64_t overruns;
    uint64_t cycle_errors;
    uint64_t archive_updates;
    uint64_t archive_created;
    uint64_t archive_errors;
};

/*
 * snap_build - a new snapshot (refcount 1) from @in, with rates against
 * @prev (NULL: none known yet).
 * @return: SDC_OK or SDC_ERR_NOMEM.
 */
enum sdc_rc snap_build(const struct snap_input *in, const struct snap *prev,
                       struct snap **out, struct sdc_error *err);

/* snap_free - free @s whatever its count (NULL allowed); see snap_release. */
void snap_free(struct snap *s);

/* Lookups by key; NULL when absent. */
const struct snap_vm *snap_find_vm(const struct snap *s, const char *uuid);
const struct snap_host *snap_find_host(const struct snap *s, const char *name);
const struct snap_cluster *snap_find_cluster(const struct snap *s,
                                             const char *name);
const struct snap_pool *snap_find_pool(const struct snap *s, const char *key);
const struct snap_device *snap_find_device(const struct snap *s,
                                           const char *name);

/* The published snapshot, shared between the agent and the web. */
struct snap_store {
    pthread_mutex_t mu;
    struct snap *cur;
};

/* snap_store_init - an empty store (nothing published yet). */
void snap_store_init(struct snap_store *st);

/* snap_store_destroy - drop the published snapshot. */
void snap_store_destroy(struct snap_store *st);

/*
 * snap_publish - make @s the current snapshot (the store takes the
 * caller's reference); the previous one is released.
 */
void snap_publish(struct snap_store *st, struct snap *s);

/*
 * snap_acquire - the current snapshot with one more reference, or NULL
 * before the first cycle.  Release it with snap_release().
 */
struct snap *snap_acquire(struct snap_store *st);

/* snap_release - drop a reference taken with snap_acquire (NULL allowed). */
void snap_release(struct snap_store *st, struct snap *s);

#endif
