/*
 * libvirt_priv.h - internals of the libvirt collector shared by its files
 * and its unit tests.  Not part of any public interface.
 */
#ifndef SDC_LIBVIRT_PRIV_H
#define SDC_LIBVIRT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdc/error.h"

/* What the domain XML tells that stats do not: device names and identity. */
struct lvx_disk {
    char *target;  /* vda */
    char *source;  /* file, block device, pool/volume or protocol/name */
    char *backing; /* backing chain, " <- " separated, or NULL */
};

struct lvx_nic {
    char *mac;     /* lower case, "52:54:00:aa:bb:cc" */
    char *target;  /* vnet0, or NULL */
    char *network; /* network or bridge name, or NULL */
};

struct lvx_domain {
    char *title;
    char *owner; /* first <owner> or <department> element under <metadata> */
    struct lvx_disk *disks;
    size_t n_disks;
    struct lvx_nic *nics;
    size_t n_nics;
};

/* lvx_parse_domain - read @xml (virDomainGetXMLDesc) into @out. */
enum sdc_rc lvx_parse_domain(const char *xml, struct lvx_domain *out,
                             struct sdc_error *err);
void lvx_domain_clear(struct lvx_domain *d);

/* lvx_nic_by_target - the NIC whose target dev is @target, or NULL. */
const struct lvx_nic *lvx_nic_by_target(const struct lvx_domain *d,
                                        const char *target);

struct lvx_pool {
    char *key;  /* archive id: source-based when shared, "<host>.<pool>" else */
    char *type; /* dir, netfs, iscsi ... */
    char *source; /* human-readable source, or NULL for local pools */
    bool shared;
};

/*
 * lvx_parse_pool - read a storage pool's XML and derive its key (DESIGN.md
 * section 4): a pool that several hypervisors can see (netfs, iscsi, rbd,
 * gluster, sheepdog, fc/scsi by WWN) is keyed by its source so that every
 * host's view is one archive; anything else is local, "<host>.<pool>".
 */
enum sdc_rc lvx_parse_pool(const char *xml, const char *host,
                           const char *pool_name, struct lvx_pool *out,
                           struct sdc_error *err);
void lvx_pool_clear(struct lvx_pool *p);

/* lv_mac_to_id - "52:54:00:AA:bb:cc" -> "52-54-00-aa-bb-cc" (archive id). */
void lv_mac_to_id(const char *mac, char *out, size_t outlen);

/* ---- collector context (libvirt_conn.c and libvirt_stats.c) ---- */

#include <libvirt/libvirt.h>

#include "sdc/log.h"
#include "sdc/sample.h"

/* Previous cumulative CPU time of one VM, for the host's VM CPU rate. */
struct lv_vm_prev {
    char uuid[VIR_UUID_STRING_BUFLEN];
    uint64_t cpu_time; /* ns */
    double t;          /* monotonic seconds */
};

/* Cached parse of one domain's XML. */
struct lv_xml_entry {
    char uuid[VIR_UUID_STRING_BUFLEN];
    struct lvx_domain dom;
    unsigned age; /* reads since it was fetched */
    bool seen;    /* seen in the current read */
};

/* Per-domain calls a driver has said it does not support (never retried). */
enum lv_unsupported {
    LV_NO_MEMSTATS = 1u << 0,
    LV_NO_BLOCKINFO = 1u << 1,
    LV_NO_BLOCKSTATS = 1u << 2,
    LV_NO_IFSTATS = 1u << 3,
    LV_NO_NOWAIT = 1u << 4,
    LV_NO_NODECPU = 1u << 5,
    LV_NO_NODEMEM = 1u << 6,
};

struct lv_ctx {
    char *name;
    char *uri;
    char *cluster;
    virConnectPtr conn;
    int conn_closed; /* set by libvirt's close callback (atomic) */
    unsigned failures;
    double retry_at;      /* monotonic seconds; no open before this */
    unsigned unsupported; /* enum lv_unsupported bits */
    unsigned reads;
    struct sdc_complaint pool_complaint; /* impossible pool figures */

    /* host CPU counters of the previous read */
    bool node_prev_ok;
    uint64_t node_prev_busy; /* ns, user + kernel */
    double node_prev_t;

    /* VM CPU counters of the previous read, sorted by uuid */
    struct lv_vm_prev *vm_prev;
    size_t n_vm_prev;

    /* domain XML cache, sorted by uuid */
    struct lv_xml_entry *xml;
    size_t n_xml;
};

/* Re-read a domain's XML after this many reads even if nothing changed. */
#define LV_XML_MAX_AGE 30
/* Re-list pool volumes every this many reads (they are inventory only). */
#define LV_VOLUME_EVERY 10

double lv_now(void);

/* lv_err - the calling thread's last libvirt error message (never NULL). */
const char *lv_err(void);
/* lv_err_code - its code, VIR_ERR_OK when none. */
int lv_err_code(void);

/* Sums over the VMs, for the host's figures when host stats are missing. */
struct lv_vm_totals {
    double cpu_rate; /* ns/s, NaN until a previous reading exists */
    bool cpu_rate_ok;
    double mem_used; /* bytes */
};

/*
 * lv_collect_domains - every domain's samples and inventory facts into @b.
 * @return: SDC_OK, or an error when the domain list itself could not be read.
 */
enum sdc_rc lv_collect_domains(struct lv_ctx *c, struct sdc_batch *b,
                               struct lv_vm_totals *tot, struct sdc_error *err);

/* lv_ctx_clear_caches - drop the XML and VM caches (on reconnect / destroy). */
void lv_ctx_clear_caches(struct lv_ctx *c);

#endif
