/* snapshot.c - the live snapshot the web view reads; see snapshot.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"

/* Sequence numbers of snapshots, for caches keyed by snapshot. */
static uint64_t snap_seq;

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

static int cmp_str_field(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static int cmp_vm(const void *a, const void *b)
{
    return cmp_str_field(((const struct snap_vm *)a)->uuid,
                         ((const struct snap_vm *)b)->uuid);
}

static int cmp_host(const void *a, const void *b)
{
    return cmp_str_field(((const struct snap_host *)a)->name,
                         ((const struct snap_host *)b)->name);
}

static int cmp_cluster(const void *a, const void *b)
{
    return cmp_str_field(((const struct snap_cluster *)a)->name,
                         ((const struct snap_cluster *)b)->name);
}

static int cmp_pool(const void *a, const void *b)
{
    return cmp_str_field(((const struct snap_pool *)a)->key,
                         ((const struct snap_pool *)b)->key);
}

static int cmp_device(const void *a, const void *b)
{
    return cmp_str_field(((const struct snap_device *)a)->name,
                         ((const struct snap_device *)b)->name);
}

static int cmp_iface(const void *a, const void *b)
{
    const struct snap_iface *x = a, *y = b;
    int c = cmp_str_field(x->device, y->device);
    return c ? c : cmp_str_field(x->name, y->name);
}

/*
 * A hash index of the strings of an array, for the lookups snap_build()
 * makes while it fills arrays it sorts only later (a linear search there
 * made the build quadratic in hosts and pools): open addressing, a slot
 * holds 1 + the string's position in the array, 0 when empty.  The caller
 * says where the key of a position is (@key_at).
 */
struct str_index {
    size_t *slot;
    size_t mask;
    const void *arr;
    const char *(*key_at)(const void *arr, size_t pos);
};

static size_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)h;
}

/* Room for @n strings at most half full; false when out of memory. */
static bool sidx_init(struct str_index *x, size_t n, const void *arr,
                      const char *(*key_at)(const void *, size_t))
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    x->slot = calloc(cap, sizeof(*x->slot));
    x->mask = cap - 1;
    x->arr = arr;
    x->key_at = key_at;
    return x->slot != NULL;
}

static void sidx_free(struct str_index *x)
{
    free(x->slot);
    x->slot = NULL;
}

/* The slot of @key: where it is, else the empty slot it would take. */
static size_t *sidx_slot(const struct str_index *x, const char *key)
{
    size_t i = str_hash(key) & x->mask;
    while (x->slot[i] && strcmp(x->key_at(x->arr, x->slot[i] - 1), key) != 0)
        i = (i + 1) & x->mask;
    return &x->slot[i];
}

/* The position of @key in the array, or (size_t)-1. */
static size_t sidx_find(const struct str_index *x, const char *key)
{
    size_t *sl = x->slot && key ? sidx_slot(x, key) : NULL;
    return sl && *sl ? *sl - 1 : (size_t)-1;
}

/* Index position @pos unless its key is there already (the first wins). */
static void sidx_add(struct str_index *x, size_t pos)
{
    const char *key = x->key_at(x->arr, pos);
    size_t *sl;
    if (!key)
        return;
    sl = sidx_slot(x, key);
    if (!*sl)
        *sl = pos + 1;
}

static const char *hv_cfg_key(const void *arr, size_t pos)
{
    return ((const struct sdc_hypervisor_cfg *)arr)[pos].name;
}

static const char *snmp_cfg_key(const void *arr, size_t pos)
{
    return ((const struct sdc_snmp_cfg *)arr)[pos].name;
}

static const char *pool_key(const void *arr, size_t pos)
{
    return ((const struct snap_pool *)arr)[pos].key;
}

static const char *vm_key(const void *arr, size_t pos)
{
    return ((const struct snap_vm *)arr)[pos].uuid;
}

static const char *cluster_key(const void *arr, size_t pos)
{
    return ((const struct snap_cluster *)arr)[pos].name;
}

/* What one snap_build() looks things up in. */
struct build_ctx {
    struct str_index hv;     /* in->cfg->hypervisors by name */
    struct str_index snmp;   /* in->cfg->snmp by name */
    struct str_index pools;  /* s->pools by key, while they are added */
    struct str_index vms;    /* s->vms by uuid, before they are sorted */
    size_t *pool_hosts_room; /* bytes allocated for each pool's hosts */
};

static void build_ctx_free(struct build_ctx *bx)
{
    sidx_free(&bx->hv);
    sidx_free(&bx->snmp);
    sidx_free(&bx->pools);
    sidx_free(&bx->vms);
    free(bx->pool_hosts_room);
}

static const struct sdc_hypervisor_cfg *find_hv_cfg(const struct snap_input *in,
                                                    const struct build_ctx *bx,
                                                    const char *name)
{
    size_t i = sidx_find(&bx->hv, name);
    return i == (size_t)-1 ? NULL : &in->cfg->hypervisors[i];
}

static const struct sdc_snmp_cfg *find_snmp_cfg(const struct snap_input *in,
                                                const struct build_ctx *bx,
                                                const char *name)
{
    size_t i = sidx_find(&bx->snmp, name);
    return i == (size_t)-1 ? NULL : &in->cfg->snmp[i];
}

static const char *role_name(enum sdc_snmp_role r)
{
    return r == SDC_SNMP_ROLE_SWITCH    ? "switch"
           : r == SDC_SNMP_ROLE_STORAGE ? "storage"
                                        : "host";
}

static double gauge(const struct sdc_sample *s, enum sdc_archive type,
                    const char *ds)
{
    int i = sdc_archive_ds_index(type, ds);
    if (i < 0 || !s->v[i].known || !isfinite(s->v[i].gauge))
        return NAN;
    return s->v[i].gauge;
}

static bool counter(const struct sdc_sample *s, enum sdc_archive type,
                    const char *ds, uint64_t *out)
{
    int i = sdc_archive_ds_index(type, ds);
    if (i < 0 || !s->v[i].known)
        return false;
    *out = s->v[i].counter;
    return true;
}

/* Rate of a counter between two readings; NaN without a previous one, a
 * reset (counter going back) or no time between them. */
static double rate(bool has_now, uint64_t now, time_t t_now, bool has_prev,
                   uint64_t prev, time_t t_prev)
{
    if (!has_now || !has_prev || t_now <= t_prev || now < prev)
        return NAN;
    return (double)(now - prev) / (double)(t_now - t_prev);
}

static double ratio(double a, double b)
{
    if (!isfinite(a) || !isfinite(b) || b <= 0)
        return NAN;
    return a / b;
}

static enum sdc_rc push_str(char ***arr, size_t *n, const char *s)
{
    char **g = realloc(*arr, (*n + 1) * sizeof(*g));
    if (!g)
        return SDC_ERR_NOMEM;
    *arr = g;
    g[*n] = strdup(s ? s : "");
    if (!g[*n])
        return SDC_ERR_NOMEM;
    (*n)++;
    return SDC_OK;
}

/* Top @SNAP_TOP VM indexes by the value @key returns, largest first. */
static void top_list(const struct snap *s,
                     double (*key)(const struct snap_vm *), size_t *out,
                     size_t *n_out)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_vms; i++) {
        double v = key(&s->vms[i]);
        size_t pos;
        if (!isfinite(v))
            continue;
        pos = n;
        while (pos > 0 && key(&s->vms[out[pos - 1]]) < v)
            pos--;
        if (pos >= SNAP_TOP)
            continue;
        if (n < SNAP_TOP)
            n++;
        memmove(&out[pos + 1], &out[pos], (n - 1 - pos) * sizeof(*out));
        out[pos] = i;
    }
    *n_out = n;
}

static double key_cpu(const struct snap_vm *v)
{
    return v->cpu_ratio;
}
static double key_mem(const struct snap_vm *v)
{
    return v->mem_used;
}
static double key_disk(const struct snap_vm *v)
{
    return v->disk_io;
}

static enum sdc_rc add_host(struct snap *s, const struct sdc_batch *b,
                            const struct sdc_hypervisor_cfg *hc)
{
    struct snap_host *h = &s->hosts[s->n_hosts++];
    h->name = strdup(b->source);
    h->cluster = strdup(hc ? hc->cluster : b->source);
    h->ok = b->ok;
    h->error = strdup(b->ok ? "" : b->error.msg);
    h->cpu_busy = NAN;
    h->mem_used = NAN;
    if (b->has_hv) {
        h->cpus = b->hv.cpus;
        h->memory = b->hv.memory;
        h->cpu_busy = b->hv.cpu_busy;
        h->mem_used = b->hv.mem_used;
    }
    if (!h->name || !h->cluster || !h->error)
        return SDC_ERR_NOMEM;
    return SDC_OK;
}

static enum sdc_rc add_vms(struct snap *s, const struct sdc_batch *b,
                           const struct sdc_hypervisor_cfg *hc,
                           struct snap_host *h)
{
    for (size_t i = 0; i < b->vms.len; i++) {
        const struct sdc_vm_info *vi = &b->vms.items[i];
        struct snap_vm *v = &s->vms[s->n_vms++];
        v->uuid = strdup(vi->uuid ? vi->uuid : "");
        v->name = dup_or_empty(vi->name);
        v->host = strdup(b->source);
        v->cluster = strdup(hc ? hc->cluster : b->source);
        v->owner = dup_or_empty(vi->owner);
        v->title = dup_or_empty(vi->title);
        v->state = vi->state;
        v->vcpus = vi->vcpus;
        v->memory = vi->memory;
        v->cpu_used = v->cpu_ratio = v->mem_used = v->mem_ratio = NAN;
        v->disk_io = v->net_io = NAN;
        if (!v->uuid || !v->name || !v->host || !v->cluster || !v->owner ||
            !v->title)
            return SDC_ERR_NOMEM;
        if (h) {
            h->vms++;
            if (sdc_vm_state_active(vi->state))
                h->vms_running++;
        }
        if (sdc_vm_state_active(vi->state))
            s->vms_running++;
    }
    return SDC_OK;
}

/* Fill the VMs' readings from the samples of every ok batch; @vms indexes
 * s->vms by uuid. */
static enum sdc_rc vm_samples(struct snap *s, const struct str_index *vms,
                              const struct sdc_batch *b)
{
    struct snap_vm *last = NULL; /* a VM's samples come one after another */
    for (size_t i = 0; i < b->samples.len; i++) {
        const struct sdc_sample *sm = &b->samples.items[i];
        struct snap_vm *v;
        uint64_t c1 = 0, c2 = 0;
        bool h1, h2;
        if (sm->type != SDC_AR_VM_CPU && sm->type != SDC_AR_VM_MEM &&
            sm->type != SDC_AR_VM_DISK && sm->type != SDC_AR_VM_NET)
            continue;
        if (!last || cmp_str_field(last->uuid, sm->id) != 0) {
            size_t at = sidx_find(vms, sm->id ? sm->id : "");
            last = at == (size_t)-1 ? NULL : &s->vms[at];
        }
        v = last;
        if (!v)
            continue;
        if (sm->t > v->t)
            v->t = sm->t;
        switch (sm->type) {
        case SDC_AR_VM_CPU:
            v->has_cpu_ns = counter(sm, sm->type, "time", &v->cpu_ns);
            break;
        case SDC_AR_VM_MEM: {
            double cur = gauge(sm, sm->type, "current");
            double usable = gauge(sm, sm->type, "usable");
            double rss = gauge(sm, sm->type, "rss");
            if (!isfinite(cur) && v->memory)
                cur = (double)v->memory;
            if (isfinite(cur) && isfinite(usable) && usable <= cur)
                v->mem_used = cur - usable;
            else if (isfinite(cur) && isfinite(rss))
                v->mem_used = rss < cur ? rss : cur;
            v->mem_ratio = ratio(v->mem_used, cur);
            break;
        }
        case SDC_AR_VM_DISK: {
            double cap = gauge(sm, sm->type, "capacity");
            double alloc = gauge(sm, sm->type, "allocation");
            h1 = counter(sm, sm->type, "rd_bytes", &c1);
            h2 = counter(sm, sm->type, "wr_bytes", &c2);
            if (isfinite(cap) && cap >= 0)
                v->disk_capacity += (uint64_t)cap;
            if (isfinite(alloc) && alloc >= 0)
                v->disk_allocation += (uint64_t)alloc;
            if (h1 && h2) {
                v->disk_bytes += c1 + c2;
                v->has_disk_bytes = true;
            }
            if (sm->instance &&
                push_str(&v->disks, &v->n_disks, sm->instance) != SDC_OK)
                return SDC_ERR_NOMEM;
            break;
        }
        case SDC_AR_VM_NET:
            h1 = counter(sm, sm->type, "rx_bytes", &c1);
            h2 = counter(sm, sm->type, "tx_bytes", &c2);
            if (h1 && h2) {
                v->net_bytes += c1 + c2;
                v->has_net_bytes = true;
            }
            if (sm->instance &&
                push_str(&v->nics, &v->n_nics, sm->instance) != SDC_OK)
                return SDC_ERR_NOMEM;
            break;
        default:
            break;
        }
    }
    return SDC_OK;
}

/* Append ", @host" to pool @i's hosts, its buffer growing by doubling (a
 * shared pool is reported by every host: a copy each time was quadratic). */
static enum sdc_rc pool_add_host(struct snap *s, struct build_ctx *bx, size_t i,
                                 const char *host)
{
    struct snap_pool *p = &s->pools[i];
    size_t len = strlen(p->hosts), add = strlen(host) + 2;
    if (len + add + 1 > bx->pool_hosts_room[i]) {
        size_t room = 2 * (len + add + 1);
        char *h = realloc(p->hosts, room);
        if (!h)
            return SDC_ERR_NOMEM;
        p->hosts = h;
        bx->pool_hosts_room[i] = room;
    }
    memcpy(p->hosts + len, ", ", 2);
    memcpy(p->hosts + len + 2, host, add - 1); /* with its NUL */
    return SDC_OK;
}

static enum sdc_rc add_pools(struct snap *s, struct build_ctx *bx,
                             const struct sdc_batch *b)
{
    for (size_t i = 0; i < b->pools.len; i++) {
        const struct sdc_pool_info *pi = &b->pools.items[i];
        struct snap_pool *p;
        size_t at;
        if (!pi->key)
            continue;
        at = sidx_find(&bx->pools, pi->key);
        if (at != (size_t)-1) {
            if (pool_add_host(s, bx, at, b->source) != SDC_OK)
                return SDC_ERR_NOMEM;
            continue;
        }
        at = s->n_pools;
        p = &s->pools[s->n_pools++];
        p->key = strdup(pi->key);
        p->name = dup_or_empty(pi->name);
        p->hosts = strdup(b->source);
        if (p->key)
            sidx_add(&bx->pools, at);
        if (p->hosts)
            bx->pool_hosts_room[at] = strlen(p->hosts) + 1;
        p->type = dup_or_empty(pi->type);
        p->shared = pi->shared;
        p->capacity = pi->capacity;
        p->allocation = pi->allocation;
        p->available = pi->available;
        if (!p->key || !p->name || !p->hosts || !p->type)
            return SDC_ERR_NOMEM;
    }
    return SDC_OK;
}

static enum sdc_rc add_device(struct snap *s, const struct snap_input *in,
                              const struct build_ctx *bx,
                              const struct sdc_batch *b)
{
    const struct sdc_snmp_cfg *sc = find_snmp_cfg(in, bx, b->source);
    struct snap_device *d = &s->devices[s->n_devices++];
    d->name = strdup(b->source);
    d->address = strdup(b->has_snmp_device && b->snmp_device.address
                            ? b->snmp_device.address
                        : sc ? sc->address
                             : "");
    d->role =
        strdup(b->has_snmp_device && b->snmp_device.role ? b->snmp_device.role
               : sc                                      ? role_name(sc->role)
                                                         : "");
    d->sys_name =
        dup_or_empty(b->has_snmp_device ? b->snmp_device.sys_name : NULL);
    d->ok = b->ok;
    d->error = strdup(b->ok ? "" : b->error.msg);
    d->uptime = b->has_snmp_device ? b->snmp_device.uptime : NAN;
    if (!d->name || !d->address || !d->role || !d->sys_name || !d->error)
        return SDC_ERR_NOMEM;
    for (size_t i = 0; i < b->interfaces.len; i++) {
        const struct sdc_interface_info *ii = &b->interfaces.items[i];
        struct snap_iface *f = &s->ifaces[s->n_ifaces++];
        f->device = strdup(b->source);
        f->name = dup_or_empty(ii->name);
        f->alias = dup_or_empty(ii->alias);
        f->speed = ii->speed;
        f->uplink = ii->uplink;
        f->oper_status = ii->oper_status;
        f->in_bps = f->out_bps = f->errors = NAN;
        if (!f->device || !f->name || !f->alias)
            return SDC_ERR_NOMEM;
    }
    for (size_t i = 0; i < b->storages.len; i++) {
        const struct sdc_storage_info *si = &b->storages.items[i];
        struct snap_storage *st = &s->storages[s->n_storages++];
        st->device = strdup(b->source);
        st->descr = dup_or_empty(si->descr);
        st->size = si->has_size ? (double)si->size : NAN;
        st->used = si->has_used ? (double)si->used : NAN;
        if (!st->device || !st->descr)
            return SDC_ERR_NOMEM;
    }
    return SDC_OK;
}

/* Interface rates: the SNMP poller computes them; they are in the samples. */
static void iface_samples(struct snap *s, const struct sdc_batch *b)
{
    for (size_t i = 0; i < b->samples.len; i++) {
        const struct sdc_sample *sm = &b->samples.items[i];
        struct snap_iface key, *f;
        if (sm->type != SDC_AR_SNMP_IF || !sm->instance)
            continue;
        key.device = b->source;
        key.name = sm->instance;
        f = s->n_ifaces ? bsearch(&key, s->ifaces, s->n_ifaces,
                                  sizeof(*s->ifaces), cmp_iface)
                        : NULL;
        if (!f)
            continue;
        f->in_bps = gauge(sm, sm->type, "in_octets");
        f->out_bps = gauge(sm, sm->type, "out_octets");
        f->errors = gauge(sm, sm->type, "in_errors") +
                    gauge(sm, sm->type, "out_errors") +
                    gauge(sm, sm->type, "in_discards") +
                    gauge(sm, sm->type, "out_discards");
        if (!f->speed) {
            double sp = gauge(sm, sm->type, "speed");
            if (isfinite(sp) && sp > 0)
                f->speed = (uint64_t)sp;
        }
    }
}

static enum sdc_rc add_clusters(struct snap *s, const struct snap_input *in)
{
    struct str_index idx;
    size_t n_cfg = in->cfg ? in->cfg->n_hypervisors : 0;
    if (!sidx_init(&idx, n_cfg, s->clusters, cluster_key))
        return SDC_ERR_NOMEM;
    /* every configured cluster (a hypervisor's cluster), sums from the
     * clusters batch */
    for (size_t i = 0; i < n_cfg; i++) {
        const char *name = in->cfg->hypervisors[i].cluster;
        struct snap_cluster *c;
        if (sidx_find(&idx, name) != (size_t)-1)
            continue;
        c = &s->clusters[s->n_clusters++];
        c->name = strdup(name);
        if (!c->name) {
            sidx_free(&idx);
            return SDC_ERR_NOMEM;
        }
        sidx_add(&idx, s->n_clusters - 1);
        c->cpu_used = c->cpu_capacity = c->vcpus = NAN;
        c->mem_used = c->mem_capacity = c->mem_allocated = NAN;
    }
    for (size_t i = 0; in->clusters && i < in->clusters->samples.len; i++) {
        const struct sdc_sample *sm = &in->clusters->samples.items[i];
        size_t at = sidx_find(&idx, sm->id);
        struct snap_cluster *c = at == (size_t)-1 ? NULL : &s->clusters[at];
        if (!c)
            continue;
        if (sm->type == SDC_AR_CLUSTER_CPU) {
            c->cpu_used = gauge(sm, sm->type, "used");
            c->cpu_capacity = gauge(sm, sm->type, "capacity");
            c->vcpus = gauge(sm, sm->type, "vcpus");
        } else if (sm->type == SDC_AR_CLUSTER_MEM) {
            c->mem_used = gauge(sm, sm->type, "used");
            c->mem_capacity = gauge(sm, sm->type, "capacity");
            c->mem_allocated = gauge(sm, sm->type, "allocated");
        }
    }
    sidx_free(&idx);
    return SDC_OK;
}

static enum sdc_rc add_targets(struct snap *s, const struct snap_input *in)
{
    s->targets = calloc(in->n_targets ? in->n_targets : 1, sizeof(*s->targets));
    if (!s->targets)
        return SDC_ERR_NOMEM;
    for (size_t i = 0; i < in->n_targets; i++) {
        const struct snap_target *t = &in->targets[i];
        struct snap_target *d = &s->targets[s->n_targets++];
        *d = *t;
        d->name = dup_or_empty(t->name);
        d->kind = dup_or_empty(t->kind);
        d->error = dup_or_empty(t->error);
        if (!d->name || !d->kind || !d->error)
            return SDC_ERR_NOMEM;
    }
    return SDC_OK;
}

enum sdc_rc snap_build(const struct snap_input *in, const struct snap *prev,
                       struct snap **out, struct sdc_error *err)
{
    struct snap *s = calloc(1, sizeof(*s));
    size_t n_vms = 0, n_pools = 0, n_if = 0, n_st = 0, n_dev = 0, n_hosts = 0;
    enum sdc_rc rc = SDC_ERR_NOMEM;
    struct build_ctx bx = {0};
    size_t n_hv_cfg = in->cfg ? in->cfg->n_hypervisors : 0;
    size_t n_snmp_cfg = in->cfg ? in->cfg->n_snmp : 0;

    *out = NULL;
    if (!s)
        return sdc_error_set(err, SDC_ERR_NOMEM, "snapshot: out of memory");
    s->refs = 1;
    s->seq = __atomic_add_fetch(&snap_seq, 1, __ATOMIC_RELAXED);
    s->cycle = in->cycle;
    s->cycle_seconds = in->cycle_seconds;
    s->step = in->cfg ? in->cfg->step : 0;
    s->cycles = in->cycles;
    s->overruns = in->overruns;
    s->cycle_errors = in->cycle_errors;
    s->archive_updates = in->archive_updates;
    s->archive_created = in->archive_created;
    s->archive_errors = in->archive_errors;
    if (in->cfg) {
        s->target_cpu = in->cfg->capacity.target_cpu;
        s->target_memory = in->cfg->capacity.target_memory;
        s->target_storage = in->cfg->capacity.target_storage;
        s->target_network = in->cfg->capacity.target_network;
    }

    for (size_t i = 0; i < in->n; i++) {
        const struct sdc_batch *b = in->batches[i];
        if (!b)
            continue;
        if (b->kind && strcmp(b->kind, "snmp") == 0) {
            n_dev++;
            n_if += b->interfaces.len;
            n_st += b->storages.len;
        } else {
            n_hosts++;
            n_vms += b->vms.len;
            n_pools += b->pools.len;
        }
    }
    s->hosts = calloc(n_hosts + 1, sizeof(*s->hosts));
    s->vms = calloc(n_vms + 1, sizeof(*s->vms));
    s->pools = calloc(n_pools + 1, sizeof(*s->pools));
    s->devices = calloc(n_dev + 1, sizeof(*s->devices));
    s->ifaces = calloc(n_if + 1, sizeof(*s->ifaces));
    s->storages = calloc(n_st + 1, sizeof(*s->storages));
    s->clusters = calloc((in->cfg ? in->cfg->n_hypervisors : 0) + 1,
                         sizeof(*s->clusters));
    if (!s->hosts || !s->vms || !s->pools || !s->devices || !s->ifaces ||
        !s->storages || !s->clusters)
        goto fail;
    bx.pool_hosts_room = calloc(n_pools + 1, sizeof(*bx.pool_hosts_room));
    if (!bx.pool_hosts_room ||
        !sidx_init(&bx.hv, n_hv_cfg, in->cfg ? in->cfg->hypervisors : NULL,
                   hv_cfg_key) ||
        !sidx_init(&bx.snmp, n_snmp_cfg, in->cfg ? in->cfg->snmp : NULL,
                   snmp_cfg_key) ||
        !sidx_init(&bx.pools, n_pools, s->pools, pool_key))
        goto fail;
    for (size_t i = 0; i < n_hv_cfg; i++)
        sidx_add(&bx.hv, i);
    for (size_t i = 0; i < n_snmp_cfg; i++)
        sidx_add(&bx.snmp, i);

    for (size_t i = 0; i < in->n; i++) {
        const struct sdc_batch *b = in->batches[i];
        const struct sdc_hypervisor_cfg *hc;
        if (!b)
            continue;
        if (b->kind && strcmp(b->kind, "snmp") == 0) {
            if (add_device(s, in, &bx, b) != SDC_OK)
                goto fail;
            continue;
        }
        hc = find_hv_cfg(in, &bx, b->source);
        if (add_host(s, b, hc) != SDC_OK)
            goto fail;
        if (b->ok && (add_vms(s, b, hc, &s->hosts[s->n_hosts - 1]) != SDC_OK ||
                      add_pools(s, &bx, b) != SDC_OK))
            goto fail;
    }
    qsort(s->ifaces, s->n_ifaces, sizeof(*s->ifaces), cmp_iface);
    /* the VMs' samples through a hash index, then the VMs sorted */
    if (!sidx_init(&bx.vms, s->n_vms, s->vms, vm_key))
        goto fail;
    for (size_t i = 0; i < s->n_vms; i++)
        sidx_add(&bx.vms, i);
    for (size_t i = 0; i < in->n; i++) {
        const struct sdc_batch *b = in->batches[i];
        if (!b || !b->ok)
            continue;
        if (b->kind && strcmp(b->kind, "snmp") == 0)
            iface_samples(s, b);
        else if (vm_samples(s, &bx.vms, b) != SDC_OK)
            goto fail;
    }
    qsort(s->vms, s->n_vms, sizeof(*s->vms), cmp_vm);
    if (add_clusters(s, in) != SDC_OK || add_targets(s, in) != SDC_OK)
        goto fail;
    qsort(s->hosts, s->n_hosts, sizeof(*s->hosts), cmp_host);
    qsort(s->clusters, s->n_clusters, sizeof(*s->clusters), cmp_cluster);
    qsort(s->pools, s->n_pools, sizeof(*s->pools), cmp_pool);
    qsort(s->devices, s->n_devices, sizeof(*s->devices), cmp_device);

    /* rates against the previous snapshot: both sorted by uuid, walked
     * side by side */
    for (size_t i = 0, j = 0; prev && i < s->n_vms; i++) {
        struct snap_vm *v = &s->vms[i];
        const struct snap_vm *p;
        while (j < prev->n_vms && cmp_vm(&prev->vms[j], v) < 0)
            j++;
        if (j == prev->n_vms)
            break;
        p = &prev->vms[j];
        if (cmp_vm(p, v) != 0)
            continue;
        v->cpu_used = rate(v->has_cpu_ns, v->cpu_ns, v->t, p->has_cpu_ns,
                           p->cpu_ns, p->t) /
                      1e9;
        v->cpu_ratio = ratio(v->cpu_used, (double)v->vcpus);
        v->disk_io = rate(v->has_disk_bytes, v->disk_bytes, v->t,
                          p->has_disk_bytes, p->disk_bytes, p->t);
        v->net_io = rate(v->has_net_bytes, v->net_bytes, v->t, p->has_net_bytes,
                         p->net_bytes, p->t);
    }
    top_list(s, key_cpu, s->top_cpu, &s->n_top_cpu);
    top_list(s, key_mem, s->top_mem, &s->n_top_mem);
    top_list(s, key_disk, s->top_disk, &s->n_top_disk);
    build_ctx_free(&bx);
    *out = s;
    return SDC_OK;
fail:
    build_ctx_free(&bx);
    snap_free(s);
    return sdc_error_set(err, rc, "snapshot: out of memory");
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void snap_free(struct snap *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_clusters; i++)
        free(s->clusters[i].name);
    for (size_t i = 0; i < s->n_hosts; i++) {
        free(s->hosts[i].name);
        free(s->hosts[i].cluster);
        free(s->hosts[i].error);
    }
    for (size_t i = 0; i < s->n_vms; i++) {
        struct snap_vm *v = &s->vms[i];
        free(v->uuid);
        free(v->name);
        free(v->host);
        free(v->cluster);
        free(v->owner);
        free(v->title);
        free_strv(v->disks, v->n_disks);
        free_strv(v->nics, v->n_nics);
    }
    for (size_t i = 0; i < s->n_pools; i++) {
        free(s->pools[i].key);
        free(s->pools[i].name);
        free(s->pools[i].hosts);
        free(s->pools[i].type);
    }
    for (size_t i = 0; i < s->n_devices; i++) {
        free(s->devices[i].name);
        free(s->devices[i].address);
        free(s->devices[i].role);
        free(s->devices[i].sys_name);
        free(s->devices[i].error);
    }
    for (size_t i = 0; i < s->n_ifaces; i++) {
        free(s->ifaces[i].device);
        free(s->ifaces[i].name);
        free(s->ifaces[i].alias);
    }
    for (size_t i = 0; i < s->n_storages; i++) {
        free(s->storages[i].device);
        free(s->storages[i].descr);
    }
    for (size_t i = 0; i < s->n_targets; i++) {
        free(s->targets[i].name);
        free(s->targets[i].kind);
        free(s->targets[i].error);
    }
    free(s->clusters);
    free(s->hosts);
    free(s->vms);
    free(s->pools);
    free(s->devices);
    free(s->ifaces);
    free(s->storages);
    free(s->targets);
    free(s);
}

const struct snap_vm *snap_find_vm(const struct snap *s, const char *uuid)
{
    struct snap_vm key = {.uuid = (char *)uuid};
    if (!s || !s->n_vms || !uuid)
        return NULL;
    return bsearch(&key, s->vms, s->n_vms, sizeof(*s->vms), cmp_vm);
}

const struct snap_host *snap_find_host(const struct snap *s, const char *name)
{
    struct snap_host key = {.name = (char *)name};
    if (!s || !s->n_hosts || !name)
        return NULL;
    return bsearch(&key, s->hosts, s->n_hosts, sizeof(*s->hosts), cmp_host);
}

const struct snap_cluster *snap_find_cluster(const struct snap *s,
                                             const char *name)
{
    struct snap_cluster key = {.name = (char *)name};
    if (!s || !s->n_clusters || !name)
        return NULL;
    return bsearch(&key, s->clusters, s->n_clusters, sizeof(*s->clusters),
                   cmp_cluster);
}

const struct snap_pool *snap_find_pool(const struct snap *s, const char *key)
{
    struct snap_pool k = {.key = (char *)key};
    if (!s || !s->n_pools || !key)
        return NULL;
    return bsearch(&k, s->pools, s->n_pools, sizeof(*s->pools), cmp_pool);
}

const struct snap_device *snap_find_device(const struct snap *s,
                                           const char *name)
{
    struct snap_device k = {.name = (char *)name};
    if (!s || !s->n_devices || !name)
        return NULL;
    return bsearch(&k, s->devices, s->n_devices, sizeof(*s->devices),
                   cmp_device);
}

void snap_store_init(struct snap_store *st)
{
    pthread_mutex_init(&st->mu, NULL);
    st->cur = NULL;
}

void snap_store_destroy(struct snap_store *st)
{
    snap_publish(st, NULL);
    pthread_mutex_destroy(&st->mu);
}

void snap_publish(struct snap_store *st, struct snap *s)
{
    struct snap *old;
    pthread_mutex_lock(&st->mu);
    old = st->cur;
    st->cur = s;
    pthread_mutex_unlock(&st->mu);
    snap_release(st, old);
}

struct snap *snap_acquire(struct snap_store *st)
{
    struct snap *s;
    pthread_mutex_lock(&st->mu);
    s = st->cur;
    if (s)
        s->refs++;
    pthread_mutex_unlock(&st->mu);
    return s;
}

void snap_release(struct snap_store *st, struct snap *s)
{
    bool last;
    if (!s)
        return;
    pthread_mutex_lock(&st->mu);
    last = --s->refs == 0;
    pthread_mutex_unlock(&st->mu);
    if (last)
        snap_free(s);
}
