/*
 * sample.h - what collectors produce: samples for the archives and facts
 * for the inventory, gathered per target and per cycle in a batch.
 *
 * Collectors never call librrd or SQLite: they fill a struct sdc_batch,
 * and the agent hands it to the RRD writer and the inventory.  Every string
 * in a batch is owned by the batch (copied in), so a collector may free its
 * own buffers right after a push.
 */
#ifndef SDC_SAMPLE_H
#define SDC_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sdc/error.h"
#include "sdc/schema.h"

/* One data-source value.  The schema decides which member is meaningful:
 * gauges use @gauge, DERIVE sources use the raw counter @counter. */
struct sdc_value {
    bool known;
    double gauge;
    uint64_t counter;
};

struct sdc_sample {
    enum sdc_archive type;
    char *id;       /* host, cluster, pool key, VM UUID or device name */
    char *instance; /* disk target, MAC, ifName, storage descr; NULL if none */
    time_t t;       /* wall-clock time of the reading */
    struct sdc_value v[SDC_MAX_DS]; /* in the schema's DS order */
};

enum sdc_vm_state {
    SDC_VM_UNKNOWN = 0,
    SDC_VM_RUNNING,
    SDC_VM_BLOCKED,
    SDC_VM_PAUSED,
    SDC_VM_SHUTDOWN, /* shutting down */
    SDC_VM_SHUTOFF,
    SDC_VM_CRASHED,
    SDC_VM_PMSUSPENDED,
};

/*
 * sdc_wall_time - the wall clock in whole seconds, from CLOCK_REALTIME.
 * time() reads a coarse clock that can lag a few milliseconds, so a sample
 * taken just after a cycle boundary could be stamped a second before it.
 */
time_t sdc_wall_time(void);

const char *sdc_vm_state_name(enum sdc_vm_state s);
/* sdc_vm_state_active - whether the VM holds its CPUs and memory. */
bool sdc_vm_state_active(enum sdc_vm_state s);

struct sdc_hv_info {
    char *name;
    char *cluster;
    char *uri;
    char *model;     /* CPU model from virNodeGetInfo */
    int cpus;        /* logical CPUs */
    int cores;       /* physical cores (sockets*cores*nodes) */
    uint64_t memory; /* bytes */
    char *hostname;  /* as the hypervisor reports it */
    /* Derived by the collector for the cluster archives; NaN when unknown. */
    double cpu_busy; /* CPUs busy since the last read (host stats, else VMs) */
    double mem_used; /* bytes used (host stats, else the VMs' memory used) */
    bool cpu_from_vms; /* cpu_busy is the sum of VM CPU rates */
    bool mem_from_vms; /* mem_used is the sum of VM memory used */
};

struct sdc_vm_info {
    char *uuid;
    char *name;
    char *host;  /* hypervisor name from the config */
    char *title; /* <title>, may be NULL */
    char *owner; /* from <metadata>, may be NULL */
    enum sdc_vm_state state;
    int vcpus; /* current vCPUs */
    int max_vcpus;
    uint64_t memory;     /* current allocation, bytes */
    uint64_t max_memory; /* bytes */
};

struct sdc_disk_info {
    char *vm_uuid;
    char *target;  /* vda, sdb ... */
    char *source;  /* file path, volume or network name; may be NULL */
    char *backing; /* backing chain, ' <- ' separated; may be NULL */
    uint64_t capacity;
    uint64_t allocation;
};

struct sdc_nic_info {
    char *vm_uuid;
    char *mac;     /* "52:54:00:..." as in the XML */
    char *target;  /* vnet0; may be NULL */
    char *network; /* network or bridge name; may be NULL */
};

struct sdc_pool_info {
    char *key;    /* archive id, see DESIGN.md section 4 */
    char *name;   /* the pool's name on this host */
    char *host;   /* hypervisor that reported it */
    char *type;   /* dir, netfs, logical, iscsi, rbd ... */
    char *source; /* human-readable source, may be NULL */
    bool shared;  /* keyed by source, not by host */
    bool active;
    uint64_t capacity;
    uint64_t allocation;
    uint64_t available;
};

struct sdc_volume_info {
    char *pool_key;
    char *name;
    char *path;
    uint64_t capacity;
    uint64_t allocation;
};

/* An SNMP device as it answered this cycle (snmp_devices table). */
struct sdc_snmp_device_info {
    char *name;      /* device name from the config */
    char *address;   /* transport address from the config */
    char *role;      /* "host", "switch" or "storage" */
    char *sys_descr; /* sysDescr.0, bounded; may be NULL */
    char *sys_name;  /* sysName.0, bounded; may be NULL */
    double uptime;   /* seconds from sysUpTime.0; NaN when unknown */
    /* Whether the tables were read to the end this cycle: only then do
     * interfaces or storages no longer listed count as vanished. */
    bool interfaces_complete;
    bool storages_complete;
};

/* One network interface of an SNMP device (interfaces table). */
struct sdc_interface_info {
    char *device;    /* device name from the config */
    char *name;      /* the archive key: ifName, else ifDescr, else ifIndex-N */
    char *alias;     /* ifAlias; may be NULL */
    char *descr;     /* ifDescr; may be NULL */
    int if_index;    /* this cycle's ifIndex */
    uint64_t speed;  /* bit/s; 0 when unknown */
    bool uplink;     /* listed in the device's `uplinks` */
    int oper_status; /* IF-MIB ifOperStatus: 1 up, 2 down ...; 0 unknown */
};

/* One storage of an SNMP device (storages table): an hrStorageTable disk or
 * a `custom` object standing as storage. */
struct sdc_storage_info {
    char *device;
    char *descr; /* the archive key (hrStorageDescr or the custom storage) */
    bool has_size;
    bool has_used;
    uint64_t size; /* bytes */
    uint64_t used; /* bytes */
};

/* ifOperStatus as text ("up", "down", ... "unknown"). */
const char *sdc_if_oper_status_name(int status);

/* Growable array; the batch owns the elements. */
#define SDC_VEC(T)                                                             \
    struct {                                                                   \
        T *items;                                                              \
        size_t len;                                                            \
        size_t cap;                                                            \
    }

/*
 * One target's contribution to one cycle.
 * @ok is false when the target could not be read at all (then only @error
 * is meaningful); a partly failed read sets @ok and lists what it got.
 */
struct sdc_batch {
    char *source;     /* the hypervisor or device name from the config */
    const char *kind; /* the collector type's name ("libvirt", "snmp"),
                         static, set by the scheduler */
    time_t cycle;     /* the cycle's scheduled start (wall clock) */
    bool ok;
    struct sdc_error error;
    bool used_bulk_stats;    /* libvirt: at least one group came in bulk */
    unsigned fallback_calls; /* libvirt: per-domain calls made */
    bool has_hv;
    struct sdc_hv_info hv;
    SDC_VEC(struct sdc_sample) samples;
    SDC_VEC(struct sdc_vm_info) vms;
    SDC_VEC(struct sdc_disk_info) disks;
    SDC_VEC(struct sdc_nic_info) nics;
    SDC_VEC(struct sdc_pool_info) pools;
    SDC_VEC(struct sdc_volume_info) volumes;
    bool has_snmp_device; /* an SNMP device's batch (kind "snmp") */
    struct sdc_snmp_device_info snmp_device;
    SDC_VEC(struct sdc_interface_info) interfaces;
    SDC_VEC(struct sdc_storage_info) storages;
};

struct sdc_batch *sdc_batch_new(const char *source, time_t cycle);
void sdc_batch_free(struct sdc_batch *b);

/* A list of batches (a collector that reads many targets fills one). */
struct sdc_batch_list {
    struct sdc_batch **items;
    size_t len;
    size_t cap;
};

/* sdc_batch_list_push - append @b; the list owns it from now on. */
enum sdc_rc sdc_batch_list_push(struct sdc_batch_list *l, struct sdc_batch *b);
/* sdc_batch_list_clear - free every batch and the array; keeps @l usable. */
void sdc_batch_list_clear(struct sdc_batch_list *l);

/*
 * sdc_batch_add_sample - append a sample of @type for @id/@instance.
 * @return: the new sample with every value unknown, for the caller to fill;
 *          NULL on allocation failure.  The pointer is valid only until the
 *          next sample is added to @b (the array may move): fill it first.
 */
struct sdc_sample *sdc_batch_add_sample(struct sdc_batch *b,
                                        enum sdc_archive type, const char *id,
                                        const char *instance, time_t t);

/* Set one value by DS name; unknown names are ignored and return false. */
bool sdc_sample_set_gauge(struct sdc_sample *s, const char *ds, double v);
bool sdc_sample_set_counter(struct sdc_sample *s, const char *ds, uint64_t c);

/* Append copies of inventory facts (strings are duplicated). */
enum sdc_rc sdc_batch_add_vm(struct sdc_batch *b, const struct sdc_vm_info *vm);
enum sdc_rc sdc_batch_add_disk(struct sdc_batch *b,
                               const struct sdc_disk_info *d);
enum sdc_rc sdc_batch_add_nic(struct sdc_batch *b,
                              const struct sdc_nic_info *n);
enum sdc_rc sdc_batch_add_pool(struct sdc_batch *b,
                               const struct sdc_pool_info *p);
enum sdc_rc sdc_batch_add_volume(struct sdc_batch *b,
                                 const struct sdc_volume_info *v);
enum sdc_rc sdc_batch_set_hv(struct sdc_batch *b, const struct sdc_hv_info *hv);
enum sdc_rc sdc_batch_set_snmp_device(struct sdc_batch *b,
                                      const struct sdc_snmp_device_info *d);
enum sdc_rc sdc_batch_add_interface(struct sdc_batch *b,
                                    const struct sdc_interface_info *i);
enum sdc_rc sdc_batch_add_storage(struct sdc_batch *b,
                                  const struct sdc_storage_info *st);

/* Free the strings of a single record (not the record itself). */
void sdc_hv_info_clear(struct sdc_hv_info *hv);
void sdc_vm_info_clear(struct sdc_vm_info *vm);

#endif
