/*
 * libvirt_stats.c - domain figures: one bulk call (virConnectGetAllDomainStats
 * with NOWAIT, so a stuck QEMU does not block its host), then per-domain
 * calls only for the groups the driver did not return in bulk.  Device names
 * and identities (disk targets, NIC MACs, title, owner) come from the domain
 * XML, cached per UUID and re-read when the devices seem to have changed.
 */
#include <errno.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "libvirt_priv.h"
#include "sdc/log.h"

/* Bounds on what we accept from a driver: larger counts are bad data. */
#define LV_MAX_DEVS 256

enum net_field {
    NF_RX_BYTES,
    NF_TX_BYTES,
    NF_RX_PKTS,
    NF_TX_PKTS,
    NF_RX_DROP,
    NF_TX_DROP,
    NF_RX_ERRS,
    NF_TX_ERRS,
    NF_COUNT
};

enum blk_field {
    BF_RD_BYTES,
    BF_WR_BYTES,
    BF_RD_REQS,
    BF_WR_REQS,
    BF_CAPACITY,
    BF_ALLOCATION,
    BF_COUNT
};

struct dev_stat {
    const char *name; /* borrowed from the stats record */
    uint64_t v[8];    /* NF_COUNT or BF_COUNT fields */
    unsigned known;   /* bit per field */
};

/* One domain's figures, from bulk stats and/or per-domain calls. */
struct dom_stat {
    bool has_state;
    int state;
    bool has_cpu;
    uint64_t cpu_time;
    bool has_balloon;
    uint64_t cur_kib, max_kib;
    bool has_rss, has_unused, has_usable;
    uint64_t rss_kib, unused_kib, usable_kib;
    bool has_vcpu;
    unsigned vcpu_cur, vcpu_max;
    bool has_delay;
    uint64_t delay;
    bool has_net;
    bool has_block;
    unsigned n_net;
    unsigned n_block;
    unsigned n_net_used;   /* entries of net[] that may be non-zero */
    unsigned n_block_used; /* entries of block[] that may be non-zero */
    /* the device arrays stay last: dom_stat_reset() relies on it */
    struct dev_stat net[LV_MAX_DEVS];
    struct dev_stat block[LV_MAX_DEVS];
};

static const char *const net_names[NF_COUNT] = {
    [NF_RX_BYTES] = "rx.bytes", [NF_TX_BYTES] = "tx.bytes",
    [NF_RX_PKTS] = "rx.pkts",   [NF_TX_PKTS] = "tx.pkts",
    [NF_RX_DROP] = "rx.drop",   [NF_TX_DROP] = "tx.drop",
    [NF_RX_ERRS] = "rx.errs",   [NF_TX_ERRS] = "tx.errs",
};
static const char *const net_ds[NF_COUNT] = {
    "rx_bytes", "tx_bytes", "rx_pkts", "tx_pkts",
    "rx_drop",  "tx_drop",  "rx_errs", "tx_errs",
};
static const char *const blk_names[BF_COUNT] = {
    [BF_RD_BYTES] = "rd.bytes", [BF_WR_BYTES] = "wr.bytes",
    [BF_RD_REQS] = "rd.reqs",   [BF_WR_REQS] = "wr.reqs",
    [BF_CAPACITY] = "capacity", [BF_ALLOCATION] = "allocation",
};
static const char *const blk_ds[BF_COUNT] = {
    "rd_bytes", "wr_bytes", "rd_reqs", "wr_reqs", "capacity", "allocation",
};

/* An unsigned value of a typed parameter; false for negatives and non-numbers.
 */
static bool tp_u64(const virTypedParameter *p, uint64_t *out)
{
    switch (p->type) {
    case VIR_TYPED_PARAM_UINT:
        *out = p->value.ui;
        return true;
    case VIR_TYPED_PARAM_ULLONG:
        *out = p->value.ul;
        return true;
    case VIR_TYPED_PARAM_INT:
        if (p->value.i < 0)
            return false;
        *out = (uint64_t)p->value.i;
        return true;
    case VIR_TYPED_PARAM_LLONG:
        if (p->value.l < 0)
            return false;
        *out = (uint64_t)p->value.l;
        return true;
    default:
        return false;
    }
}

/* "net.3.rx.bytes" -> index 3, rest "rx.bytes"; false if malformed. */
static bool split_indexed(const char *field, size_t plen, unsigned *idx,
                          const char **rest)
{
    char *end;
    unsigned long i;
    errno = 0;
    i = strtoul(field + plen, &end, 10);
    if (errno || end == field + plen || *end != '.' || i >= LV_MAX_DEVS)
        return false;
    *idx = (unsigned)i;
    *rest = end + 1;
    return true;
}

static void dev_set(struct dev_stat *d, const char *const *names, size_t n,
                    const char *rest, const virTypedParameter *p)
{
    if (strcmp(rest, "name") == 0) {
        if (p->type == VIR_TYPED_PARAM_STRING)
            d->name = p->value.s;
        return;
    }
    for (size_t k = 0; k < n; k++)
        if (strcmp(rest, names[k]) == 0) {
            uint64_t v;
            if (tp_u64(p, &v)) {
                d->v[k] = v;
                d->known |= 1u << k;
            }
            return;
        }
}

/*
 * Make @s empty for the next domain.  The device arrays are large (two
 * times 256 entries) and only their first n_net / n_block entries, or the
 * entries a record names, are ever read, so clearing them whole for every
 * VM cost more than the rest of the parse: clear the fields and only the
 * device entries the last domain used.
 */
static void dom_stat_reset(struct dom_stat *s)
{
    unsigned nn = s->n_net_used, nb = s->n_block_used;
    memset(s->net, 0, nn * sizeof(s->net[0]));
    memset(s->block, 0, nb * sizeof(s->block[0]));
    memset(s, 0, offsetof(struct dom_stat, net)); /* counts included */
}

/* Note that device entry @idx of @arr may hold data (see dom_stat_reset). */
static void dev_touch(unsigned *used, unsigned idx)
{
    if (idx + 1 > *used)
        *used = idx + 1;
}

/* One pass over a bulk record's parameters. */
static void parse_record(const virDomainStatsRecord *r, struct dom_stat *s)
{
    for (int i = 0; i < r->nparams; i++) {
        const virTypedParameter *p = &r->params[i];
        const char *f = p->field;
        uint64_t v;
        unsigned idx;
        const char *rest;

        if (strncmp(f, "state.", 6) == 0) {
            if (strcmp(f + 6, "state") == 0 && tp_u64(p, &v)) {
                s->has_state = true;
                s->state = (int)v;
            }
        } else if (strncmp(f, "cpu.", 4) == 0) {
            if (strcmp(f + 4, "time") == 0 && tp_u64(p, &v)) {
                s->has_cpu = true;
                s->cpu_time = v;
            }
        } else if (strncmp(f, "balloon.", 8) == 0) {
            const char *k = f + 8;
            if (!tp_u64(p, &v))
                continue;
            if (strcmp(k, "current") == 0) {
                s->has_balloon = true;
                s->cur_kib = v;
            } else if (strcmp(k, "maximum") == 0) {
                s->max_kib = v;
            } else if (strcmp(k, "rss") == 0) {
                s->has_rss = true;
                s->rss_kib = v;
            } else if (strcmp(k, "unused") == 0) {
                s->has_unused = true;
                s->unused_kib = v;
            } else if (strcmp(k, "usable") == 0) {
                s->has_usable = true;
                s->usable_kib = v;
            }
        } else if (strncmp(f, "vcpu.", 5) == 0) {
            const char *k = f + 5;
            if (strcmp(k, "current") == 0 && tp_u64(p, &v)) {
                s->has_vcpu = true;
                s->vcpu_cur = v > 65536 ? 0 : (unsigned)v;
            } else if (strcmp(k, "maximum") == 0 && tp_u64(p, &v)) {
                s->vcpu_max = v > 65536 ? 0 : (unsigned)v;
            } else if (split_indexed(f, 5, &idx, &rest) &&
                       strcmp(rest, "delay") == 0 && tp_u64(p, &v)) {
                s->has_delay = true;
                s->delay += v;
            }
        } else if (strncmp(f, "net.", 4) == 0) {
            if (strcmp(f + 4, "count") == 0 && tp_u64(p, &v)) {
                s->has_net = true;
                s->n_net = v > LV_MAX_DEVS ? LV_MAX_DEVS : (unsigned)v;
            } else if (split_indexed(f, 4, &idx, &rest)) {
                dev_touch(&s->n_net_used, idx);
                dev_set(&s->net[idx], net_names, NF_COUNT, rest, p);
            }
        } else if (strncmp(f, "block.", 6) == 0) {
            if (strcmp(f + 6, "count") == 0 && tp_u64(p, &v)) {
                s->has_block = true;
                s->n_block = v > LV_MAX_DEVS ? LV_MAX_DEVS : (unsigned)v;
            } else if (split_indexed(f, 6, &idx, &rest)) {
                dev_touch(&s->n_block_used, idx);
                dev_set(&s->block[idx], blk_names, BF_COUNT, rest, p);
            }
        }
    }
}

static enum sdc_vm_state map_state(int st)
{
    switch (st) {
    case VIR_DOMAIN_RUNNING:
        return SDC_VM_RUNNING;
    case VIR_DOMAIN_BLOCKED:
        return SDC_VM_BLOCKED;
    case VIR_DOMAIN_PAUSED:
        return SDC_VM_PAUSED;
    case VIR_DOMAIN_SHUTDOWN:
        return SDC_VM_SHUTDOWN;
    case VIR_DOMAIN_SHUTOFF:
        return SDC_VM_SHUTOFF;
    case VIR_DOMAIN_CRASHED:
        return SDC_VM_CRASHED;
    case VIR_DOMAIN_PMSUSPENDED:
        return SDC_VM_PMSUSPENDED;
    default:
        return SDC_VM_UNKNOWN;
    }
}

/* ---- caches ---- */

static int cmp_xml(const void *a, const void *b)
{
    return strcmp(((const struct lv_xml_entry *)a)->uuid,
                  ((const struct lv_xml_entry *)b)->uuid);
}

static int cmp_prev(const void *a, const void *b)
{
    return strcmp(((const struct lv_vm_prev *)a)->uuid,
                  ((const struct lv_vm_prev *)b)->uuid);
}

void lv_ctx_clear_caches(struct lv_ctx *c)
{
    for (size_t i = 0; i < c->n_xml; i++)
        lvx_domain_clear(&c->xml[i].dom);
    free(c->xml);
    c->xml = NULL;
    c->n_xml = 0;
    free(c->vm_prev);
    c->vm_prev = NULL;
    c->n_vm_prev = 0;
}

static struct lv_xml_entry *xml_find(struct lv_ctx *c, const char *uuid)
{
    struct lv_xml_entry key;
    snprintf(key.uuid, sizeof(key.uuid), "%s", uuid);
    return c->xml ? bsearch(&key, c->xml, c->n_xml, sizeof(*c->xml), cmp_xml)
                  : NULL;
}

/* Whether the cached XML still describes the devices the stats name. */
static bool xml_matches(const struct lv_xml_entry *e, const struct dom_stat *s)
{
    if (e->age >= LV_XML_MAX_AGE)
        return false;
    if (s->has_block && s->n_block != e->dom.n_disks)
        return false;
    if (s->has_net) {
        if (s->n_net != e->dom.n_nics)
            return false;
        for (unsigned i = 0; i < s->n_net; i++)
            if (s->net[i].name && !lvx_nic_by_target(&e->dom, s->net[i].name))
                return false;
    }
    return true;
}

/*
 * The cached XML of @dom, fetched when missing or stale.  New entries go to
 * @fresh (merged into the sorted cache after the read) so pointers into the
 * cache stay valid during the read.
 */
static const struct lvx_domain *xml_get(struct lv_ctx *c, virDomainPtr dom,
                                        const char *uuid,
                                        const struct dom_stat *s,
                                        struct lv_xml_entry **fresh,
                                        size_t *n_fresh, size_t *cap_fresh)
{
    struct lv_xml_entry *e = xml_find(c, uuid);
    struct lvx_domain parsed;
    struct sdc_error err;
    char *xml;

    if (e && xml_matches(e, s)) {
        e->seen = true;
        e->age++;
        return &e->dom;
    }
    xml = virDomainGetXMLDesc(dom, 0);
    if (!xml) {
        SDC_DEBUG("libvirt: host %s: domain %s: cannot read XML: %s", c->name,
                  uuid, lv_err());
        virResetLastError();
        if (e) {
            e->seen = true;
            return &e->dom;
        }
        return NULL;
    }
    if (lvx_parse_domain(xml, &parsed, &err) != SDC_OK) {
        SDC_WARN("libvirt: host %s: domain %s: %s", c->name, uuid, err.msg);
        free(xml);
        if (e) {
            e->seen = true;
            return &e->dom;
        }
        return NULL;
    }
    free(xml);
    if (e) {
        lvx_domain_clear(&e->dom);
        e->dom = parsed;
        e->age = 0;
        e->seen = true;
        return &e->dom;
    }
    if (*n_fresh == *cap_fresh) {
        size_t ncap = *cap_fresh ? *cap_fresh * 2 : 64;
        struct lv_xml_entry *p = realloc(*fresh, ncap * sizeof(**fresh));
        if (!p) {
            lvx_domain_clear(&parsed);
            return NULL;
        }
        *fresh = p;
        *cap_fresh = ncap;
    }
    e = &(*fresh)[(*n_fresh)++];
    memset(e, 0, sizeof(*e));
    snprintf(e->uuid, sizeof(e->uuid), "%s", uuid);
    e->dom = parsed;
    e->seen = true;
    return &e->dom;
}

/*
 * Drop entries not seen in this read, add the fresh ones, sort.  Fresh
 * entries live in a separate array until now, so pointers returned by
 * xml_get() stay valid for the whole read.
 */
static void xml_commit(struct lv_ctx *c, struct lv_xml_entry *fresh,
                       size_t n_fresh)
{
    size_t k = 0;
    for (size_t i = 0; i < c->n_xml; i++) {
        if (c->xml[i].seen) {
            c->xml[k] = c->xml[i];
            c->xml[k].seen = false;
            k++;
        } else {
            lvx_domain_clear(&c->xml[i].dom);
        }
    }
    c->n_xml = k;
    if (n_fresh) {
        struct lv_xml_entry *p =
            realloc(c->xml, (c->n_xml + n_fresh) * sizeof(*c->xml));
        if (!p) {
            for (size_t i = 0; i < n_fresh; i++)
                lvx_domain_clear(&fresh[i].dom);
        } else {
            c->xml = p;
            for (size_t i = 0; i < n_fresh; i++) {
                fresh[i].seen = false;
                c->xml[c->n_xml++] = fresh[i];
            }
        }
    }
    free(fresh);
    if (c->n_xml > 1)
        qsort(c->xml, c->n_xml, sizeof(*c->xml), cmp_xml);
}

/* ---- per-domain fallbacks ---- */

static bool unsupported(int code)
{
    return code == VIR_ERR_NO_SUPPORT ||
           code == VIR_ERR_OPERATION_UNSUPPORTED ||
           code == VIR_ERR_ARGUMENT_UNSUPPORTED;
}

static void fallback_memstats(struct lv_ctx *c, virDomainPtr dom,
                              struct dom_stat *s, struct sdc_batch *b)
{
    virDomainMemoryStatStruct ms[VIR_DOMAIN_MEMORY_STAT_NR];
    int n;
    if (c->unsupported & LV_NO_MEMSTATS)
        return;
    b->fallback_calls++;
    n = virDomainMemoryStats(dom, ms, VIR_DOMAIN_MEMORY_STAT_NR, 0);
    if (n < 0) {
        if (unsupported(lv_err_code()))
            c->unsupported |= LV_NO_MEMSTATS;
        virResetLastError();
        return;
    }
    for (int i = 0; i < n; i++) {
        switch (ms[i].tag) {
        case VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON:
            s->has_balloon = true;
            s->cur_kib = ms[i].val;
            break;
        case VIR_DOMAIN_MEMORY_STAT_RSS:
            s->has_rss = true;
            s->rss_kib = ms[i].val;
            break;
        case VIR_DOMAIN_MEMORY_STAT_UNUSED:
            s->has_unused = true;
            s->unused_kib = ms[i].val;
            break;
        case VIR_DOMAIN_MEMORY_STAT_USABLE:
            s->has_usable = true;
            s->usable_kib = ms[i].val;
            break;
        default:
            break;
        }
    }
}

static void fallback_block(struct lv_ctx *c, virDomainPtr dom, bool active,
                           const struct lvx_domain *x, struct dom_stat *s,
                           struct sdc_batch *b)
{
    s->n_block = 0;
    for (size_t i = 0; x && i < x->n_disks && i < LV_MAX_DEVS; i++) {
        struct dev_stat *d = &s->block[s->n_block++];
        virDomainBlockInfo bi;
        dev_touch(&s->n_block_used, s->n_block - 1);
        memset(d, 0, sizeof(*d));
        d->name = x->disks[i].target;
        if (!(c->unsupported & LV_NO_BLOCKINFO)) {
            b->fallback_calls++;
            if (virDomainGetBlockInfo(dom, d->name, &bi, 0) == 0) {
                d->v[BF_CAPACITY] = bi.capacity;
                d->v[BF_ALLOCATION] = bi.allocation;
                d->known |= 1u << BF_CAPACITY | 1u << BF_ALLOCATION;
            } else {
                if (unsupported(lv_err_code()))
                    c->unsupported |= LV_NO_BLOCKINFO;
                virResetLastError();
            }
        }
        if (active && !(c->unsupported & LV_NO_BLOCKSTATS)) {
            virDomainBlockStatsStruct bs;
            b->fallback_calls++;
            if (virDomainBlockStats(dom, d->name, &bs, sizeof(bs)) == 0) {
                long long vals[4] = {bs.rd_bytes, bs.wr_bytes, bs.rd_req,
                                     bs.wr_req};
                for (int k = 0; k < 4; k++)
                    if (vals[k] >= 0) {
                        d->v[k] = (uint64_t)vals[k];
                        d->known |= 1u << k;
                    }
            } else {
                if (unsupported(lv_err_code()))
                    c->unsupported |= LV_NO_BLOCKSTATS;
                virResetLastError();
            }
        }
    }
    s->has_block = true;
}

static void fallback_net(struct lv_ctx *c, virDomainPtr dom,
                         const struct lvx_domain *x, struct dom_stat *s,
                         struct sdc_batch *b)
{
    s->n_net = 0;
    for (size_t i = 0; x && i < x->n_nics && i < LV_MAX_DEVS; i++) {
        struct dev_stat *d = &s->net[s->n_net++];
        virDomainInterfaceStatsStruct is;
        dev_touch(&s->n_net_used, s->n_net - 1);
        const char *dev =
            x->nics[i].target ? x->nics[i].target : x->nics[i].mac;
        memset(d, 0, sizeof(*d));
        d->name = x->nics[i].target;
        if (c->unsupported & LV_NO_IFSTATS)
            continue;
        b->fallback_calls++;
        if (virDomainInterfaceStats(dom, dev, &is, sizeof(is)) == 0) {
            long long vals[NF_COUNT] = {
                is.rx_bytes, is.tx_bytes, is.rx_packets, is.tx_packets,
                is.rx_drop,  is.tx_drop,  is.rx_errs,    is.tx_errs};
            for (int k = 0; k < NF_COUNT; k++)
                if (vals[k] >= 0) {
                    d->v[k] = (uint64_t)vals[k];
                    d->known |= 1u << k;
                }
        } else {
            if (unsupported(lv_err_code()))
                c->unsupported |= LV_NO_IFSTATS;
            virResetLastError();
        }
    }
    s->has_net = true;
}

/* ---- samples ---- */

static void add_counter(struct sdc_sample *smp, const char *ds, bool known,
                        uint64_t v)
{
    if (smp && known)
        sdc_sample_set_counter(smp, ds, v);
}

static void emit_domain(struct lv_ctx *c, struct sdc_batch *b, const char *uuid,
                        const char *name, enum sdc_vm_state st,
                        const struct dom_stat *s, const struct lvx_domain *x,
                        time_t t)
{
    bool active = sdc_vm_state_active(st);
    struct sdc_vm_info vm;
    /* Each sample is filled before the next is added: adding may move the
     * batch's array and leave an older pointer dangling. */
    struct sdc_sample *cpu =
        sdc_batch_add_sample(b, SDC_AR_VM_CPU, uuid, NULL, t);
    struct sdc_sample *mem;

    if (cpu) {
        add_counter(cpu, "time", active && s->has_cpu, s->cpu_time);
        add_counter(cpu, "delay", active && s->has_delay, s->delay);
        if (s->has_vcpu)
            sdc_sample_set_gauge(cpu, "vcpus", (double)s->vcpu_cur);
    }
    mem = sdc_batch_add_sample(b, SDC_AR_VM_MEM, uuid, NULL, t);
    if (mem && s->has_balloon) {
        sdc_sample_set_gauge(mem, "current", (double)s->cur_kib * 1024.0);
        if (s->max_kib)
            sdc_sample_set_gauge(mem, "maximum", (double)s->max_kib * 1024.0);
        if (active && s->has_rss)
            sdc_sample_set_gauge(mem, "rss", (double)s->rss_kib * 1024.0);
        if (active && s->has_unused)
            sdc_sample_set_gauge(mem, "unused", (double)s->unused_kib * 1024.0);
        if (active && s->has_usable)
            sdc_sample_set_gauge(mem, "usable", (double)s->usable_kib * 1024.0);
    }
    for (unsigned i = 0; i < s->n_block; i++) {
        const struct dev_stat *d = &s->block[i];
        struct sdc_sample *smp;
        struct sdc_disk_info di;
        if (!d->name)
            continue;
        smp = sdc_batch_add_sample(b, SDC_AR_VM_DISK, uuid, d->name, t);
        for (int k = 0; k < BF_COUNT && smp; k++) {
            if (!(d->known & (1u << k)))
                continue;
            if (k == BF_CAPACITY || k == BF_ALLOCATION)
                sdc_sample_set_gauge(smp, blk_ds[k], (double)d->v[k]);
            else if (active)
                sdc_sample_set_counter(smp, blk_ds[k], d->v[k]);
        }
        memset(&di, 0, sizeof(di));
        di.vm_uuid = (char *)uuid;
        di.target = (char *)d->name;
        for (size_t j = 0; x && j < x->n_disks; j++)
            if (strcmp(x->disks[j].target, d->name) == 0) {
                di.source = x->disks[j].source;
                di.backing = x->disks[j].backing;
            }
        di.capacity = d->v[BF_CAPACITY];
        di.allocation = d->v[BF_ALLOCATION];
        sdc_batch_add_disk(b, &di);
    }
    /* NICs are keyed by MAC: the stats name the target device. */
    for (unsigned i = 0; i < s->n_net; i++) {
        const struct dev_stat *d = &s->net[i];
        const struct lvx_nic *nic = lvx_nic_by_target(x, d->name);
        char macid[32];
        struct sdc_sample *smp;
        if (!nic && x && i < x->n_nics && !d->name)
            nic = &x->nics[i];
        if (!nic)
            continue;
        lv_mac_to_id(nic->mac, macid, sizeof(macid));
        smp = sdc_batch_add_sample(b, SDC_AR_VM_NET, uuid, macid, t);
        for (int k = 0; k < NF_COUNT && smp && active; k++)
            add_counter(smp, net_ds[k], (d->known & (1u << k)) != 0, d->v[k]);
    }
    for (size_t j = 0; x && j < x->n_nics; j++) {
        struct sdc_nic_info ni = {(char *)uuid, x->nics[j].mac,
                                  x->nics[j].target, x->nics[j].network};
        sdc_batch_add_nic(b, &ni);
    }
    memset(&vm, 0, sizeof(vm));
    vm.uuid = (char *)uuid;
    vm.name = (char *)name;
    vm.host = c->name;
    vm.title = x ? x->title : NULL;
    vm.owner = x ? x->owner : NULL;
    vm.state = st;
    vm.vcpus = (int)s->vcpu_cur;
    vm.max_vcpus = (int)(s->vcpu_max ? s->vcpu_max : s->vcpu_cur);
    vm.memory = s->cur_kib * 1024u;
    vm.max_memory = (s->max_kib ? s->max_kib : s->cur_kib) * 1024u;
    sdc_batch_add_vm(b, &vm);
}

/* Memory a VM uses (DESIGN.md section 4), bytes. */
static double vm_mem_used(const struct dom_stat *s)
{
    double cur = (double)s->cur_kib * 1024.0;
    if (s->has_usable && s->usable_kib <= s->cur_kib)
        return cur - (double)s->usable_kib * 1024.0;
    if (s->has_rss)
        return fmin((double)s->rss_kib * 1024.0, cur);
    return cur;
}

enum sdc_rc lv_collect_domains(struct lv_ctx *c, struct sdc_batch *b,
                               struct lv_vm_totals *tot, struct sdc_error *err)
{
    const unsigned groups = VIR_DOMAIN_STATS_STATE |
                            VIR_DOMAIN_STATS_CPU_TOTAL |
                            VIR_DOMAIN_STATS_BALLOON | VIR_DOMAIN_STATS_VCPU |
                            VIR_DOMAIN_STATS_INTERFACE | VIR_DOMAIN_STATS_BLOCK;
    virDomainStatsRecordPtr *recs = NULL;
    unsigned flags = (c->unsupported & LV_NO_NOWAIT)
                         ? 0
                         : VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT;
    struct dom_stat *s;
    struct lv_vm_prev *prev_new;
    size_t n_prev_new = 0;
    struct lv_xml_entry *fresh = NULL;
    size_t n_fresh = 0, cap_fresh = 0;
    double now;
    time_t t;
    int n;

    n = virConnectGetAllDomainStats(c->conn, groups, &recs, flags);
    if (n < 0 && flags && lv_err_code() == VIR_ERR_INVALID_ARG) {
        /* drivers older than 4.5 do not know NOWAIT */
        c->unsupported |= LV_NO_NOWAIT;
        virResetLastError();
        n = virConnectGetAllDomainStats(c->conn, groups, &recs, 0);
    }
    if (n < 0)
        return sdc_error_set(err, SDC_ERR_LIBVIRT,
                             "host %s: cannot read domain statistics: %s",
                             c->name, lv_err());
    now = lv_now();
    t = sdc_wall_time();
    s = calloc(1, sizeof(*s));
    prev_new = n > 0 ? calloc((size_t)n, sizeof(*prev_new)) : NULL;
    if (!s || (n > 0 && !prev_new)) {
        free(s);
        free(prev_new);
        virDomainStatsRecordListFree(recs);
        return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
    }
    tot->cpu_rate = 0.0;
    tot->cpu_rate_ok = c->vm_prev != NULL || n == 0;
    tot->mem_used = 0.0;

    for (int i = 0; i < n; i++) {
        virDomainPtr dom = recs[i]->dom;
        char uuid[VIR_UUID_STRING_BUFLEN];
        const char *name = virDomainGetName(dom);
        const struct lvx_domain *x;
        enum sdc_vm_state st;
        bool active;

        dom_stat_reset(s);
        if (virDomainGetUUIDString(dom, uuid) < 0 || !name) {
            virResetLastError();
            continue;
        }
        parse_record(recs[i], s);
        if (s->has_cpu || s->has_balloon || s->has_vcpu || s->has_net ||
            s->has_block)
            b->used_bulk_stats = true;
        if (!s->has_state) {
            int reason;
            b->fallback_calls++;
            if (virDomainGetState(dom, &s->state, &reason, 0) == 0)
                s->has_state = true;
            else
                virResetLastError();
        }
        st = s->has_state ? map_state(s->state) : SDC_VM_UNKNOWN;
        active = sdc_vm_state_active(st);
        x = xml_get(c, dom, uuid, s, &fresh, &n_fresh, &cap_fresh);

        if (!s->has_balloon || !s->has_vcpu || (active && !s->has_cpu)) {
            virDomainInfo info;
            b->fallback_calls++;
            if (virDomainGetInfo(dom, &info) == 0) {
                if (!s->has_balloon) {
                    s->has_balloon = true;
                    s->cur_kib = info.memory;
                    s->max_kib = info.maxMem;
                }
                if (!s->has_vcpu) {
                    s->has_vcpu = true;
                    s->vcpu_cur = info.nrVirtCpu;
                }
                if (active && !s->has_cpu) {
                    s->has_cpu = true;
                    s->cpu_time = info.cpuTime;
                }
                if (active && !s->has_rss)
                    fallback_memstats(c, dom, s, b);
            } else {
                virResetLastError();
            }
        }
        if (!s->has_block)
            fallback_block(c, dom, active, x, s, b);
        if (active && !s->has_net)
            fallback_net(c, dom, x, s, b);

        emit_domain(c, b, uuid, name, st, s, x, t);

        if (active) {
            tot->mem_used += vm_mem_used(s);
            if (s->has_cpu) {
                struct lv_vm_prev key, *p;
                snprintf(key.uuid, sizeof(key.uuid), "%s", uuid);
                p = c->vm_prev ? bsearch(&key, c->vm_prev, c->n_vm_prev,
                                         sizeof(key), cmp_prev)
                               : NULL;
                if (p && s->cpu_time >= p->cpu_time && now > p->t)
                    tot->cpu_rate +=
                        (double)(s->cpu_time - p->cpu_time) / (now - p->t);
                prev_new[n_prev_new] = key;
                prev_new[n_prev_new].cpu_time = s->cpu_time;
                prev_new[n_prev_new].t = now;
                n_prev_new++;
            }
        }
    }
    virDomainStatsRecordListFree(recs);
    free(s);
    xml_commit(c, fresh, n_fresh);
    free(c->vm_prev);
    if (n_prev_new > 1)
        qsort(prev_new, n_prev_new, sizeof(*prev_new), cmp_prev);
    c->vm_prev = prev_new;
    c->n_vm_prev = n_prev_new;
    if (!c->vm_prev) {
        /* no VM running: keep an empty, non-NULL marker so the next read
         * knows a previous reading exists */
        c->vm_prev = calloc(1, sizeof(*c->vm_prev));
        c->n_vm_prev = 0;
    }
    return SDC_OK;
}
