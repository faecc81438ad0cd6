/* sample.c - batches of samples and inventory facts. */
#include <stdlib.h>
#include <string.h>

#include "sdc/sample.h"

time_t sdc_wall_time(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec;
}

static const char *const vm_state_names[] = {
    [SDC_VM_UNKNOWN] = "unknown",   [SDC_VM_RUNNING] = "running",
    [SDC_VM_BLOCKED] = "blocked",   [SDC_VM_PAUSED] = "paused",
    [SDC_VM_SHUTDOWN] = "shutdown", [SDC_VM_SHUTOFF] = "shutoff",
    [SDC_VM_CRASHED] = "crashed",   [SDC_VM_PMSUSPENDED] = "pmsuspended",
};

const char *sdc_vm_state_name(enum sdc_vm_state s)
{
    if ((int)s < 0 ||
        (size_t)s >= sizeof(vm_state_names) / sizeof(*vm_state_names))
        return "unknown";
    return vm_state_names[s];
}

bool sdc_vm_state_active(enum sdc_vm_state s)
{
    return s == SDC_VM_RUNNING || s == SDC_VM_BLOCKED || s == SDC_VM_PAUSED ||
           s == SDC_VM_SHUTDOWN || s == SDC_VM_PMSUSPENDED;
}

/* Grow a vector to hold one more element; false on allocation failure. */
static bool vec_reserve(void **items, size_t *cap, size_t len, size_t size)
{
    if (len < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *p = realloc(*items, ncap * size);
    if (!p)
        return false;
    *items = p;
    *cap = ncap;
    return true;
}

#define VEC_PUSH(vec)                                                          \
    (vec_reserve((void **)&(vec).items, &(vec).cap, (vec).len,                 \
                 sizeof(*(vec).items))                                         \
         ? &(vec).items[(vec).len++]                                           \
         : NULL)

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* true when @src is NULL or was copied */
static bool dup_ok(char **dst, const char *src)
{
    *dst = dup_or_null(src);
    return src == NULL || *dst != NULL;
}

struct sdc_batch *sdc_batch_new(const char *source, time_t cycle)
{
    struct sdc_batch *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    if (!dup_ok(&b->source, source)) {
        free(b);
        return NULL;
    }
    b->cycle = cycle;
    return b;
}

void sdc_hv_info_clear(struct sdc_hv_info *hv)
{
    free(hv->name);
    free(hv->cluster);
    free(hv->uri);
    free(hv->model);
    free(hv->hostname);
    memset(hv, 0, sizeof(*hv));
}

void sdc_vm_info_clear(struct sdc_vm_info *vm)
{
    free(vm->uuid);
    free(vm->name);
    free(vm->host);
    free(vm->title);
    free(vm->owner);
    memset(vm, 0, sizeof(*vm));
}

static void sdc_snmp_device_info_clear(struct sdc_snmp_device_info *d)
{
    free(d->name);
    free(d->address);
    free(d->role);
    free(d->sys_descr);
    free(d->sys_name);
    memset(d, 0, sizeof(*d));
}

static void interface_info_clear(struct sdc_interface_info *i)
{
    free(i->device);
    free(i->name);
    free(i->alias);
    free(i->descr);
    memset(i, 0, sizeof(*i));
}

const char *sdc_if_oper_status_name(int status)
{
    static const char *const names[] = {
        "unknown", "up",      "down",       "testing",
        "unknown", "dormant", "notPresent", "lowerLayerDown",
    };
    if (status < 1 || (size_t)status >= sizeof(names) / sizeof(*names))
        return "unknown";
    return names[status];
}

void sdc_batch_free(struct sdc_batch *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->samples.len; i++) {
        free(b->samples.items[i].id);
        free(b->samples.items[i].instance);
    }
    free(b->samples.items);
    for (size_t i = 0; i < b->vms.len; i++)
        sdc_vm_info_clear(&b->vms.items[i]);
    free(b->vms.items);
    for (size_t i = 0; i < b->disks.len; i++) {
        struct sdc_disk_info *d = &b->disks.items[i];
        free(d->vm_uuid);
        free(d->target);
        free(d->source);
        free(d->backing);
    }
    free(b->disks.items);
    for (size_t i = 0; i < b->nics.len; i++) {
        struct sdc_nic_info *n = &b->nics.items[i];
        free(n->vm_uuid);
        free(n->mac);
        free(n->target);
        free(n->network);
    }
    free(b->nics.items);
    for (size_t i = 0; i < b->pools.len; i++) {
        struct sdc_pool_info *p = &b->pools.items[i];
        free(p->key);
        free(p->name);
        free(p->host);
        free(p->type);
        free(p->source);
    }
    free(b->pools.items);
    for (size_t i = 0; i < b->volumes.len; i++) {
        struct sdc_volume_info *v = &b->volumes.items[i];
        free(v->pool_key);
        free(v->name);
        free(v->path);
    }
    free(b->volumes.items);
    sdc_hv_info_clear(&b->hv);
    sdc_snmp_device_info_clear(&b->snmp_device);
    for (size_t i = 0; i < b->interfaces.len; i++)
        interface_info_clear(&b->interfaces.items[i]);
    free(b->interfaces.items);
    for (size_t i = 0; i < b->storages.len; i++) {
        free(b->storages.items[i].device);
        free(b->storages.items[i].descr);
    }
    free(b->storages.items);
    free(b->source);
    free(b);
}

struct sdc_sample *sdc_batch_add_sample(struct sdc_batch *b,
                                        enum sdc_archive type, const char *id,
                                        const char *instance, time_t t)
{
    struct sdc_sample s;
    struct sdc_sample *slot;

    if (!sdc_archive_def_get(type) || !id)
        return NULL;
    memset(&s, 0, sizeof(s));
    s.type = type;
    s.t = t;
    if (!dup_ok(&s.id, id) || !dup_ok(&s.instance, instance)) {
        free(s.id);
        free(s.instance);
        return NULL;
    }
    slot = VEC_PUSH(b->samples);
    if (!slot) {
        free(s.id);
        free(s.instance);
        return NULL;
    }
    *slot = s;
    return slot;
}

bool sdc_sample_set_gauge(struct sdc_sample *s, const char *ds, double v)
{
    int i = sdc_archive_ds_index(s->type, ds);
    if (i < 0)
        return false;
    s->v[i].known = true;
    s->v[i].gauge = v;
    return true;
}

bool sdc_sample_set_counter(struct sdc_sample *s, const char *ds, uint64_t c)
{
    int i = sdc_archive_ds_index(s->type, ds);
    if (i < 0)
        return false;
    s->v[i].known = true;
    s->v[i].counter = c;
    s->v[i].gauge = (double)c;
    return true;
}

enum sdc_rc sdc_batch_add_vm(struct sdc_batch *b, const struct sdc_vm_info *vm)
{
    struct sdc_vm_info c = *vm;
    struct sdc_vm_info *slot;
    if (!dup_ok(&c.uuid, vm->uuid) | !dup_ok(&c.name, vm->name) |
        !dup_ok(&c.host, vm->host) | !dup_ok(&c.title, vm->title) |
        !dup_ok(&c.owner, vm->owner))
        goto nomem;
    slot = VEC_PUSH(b->vms);
    if (!slot)
        goto nomem;
    *slot = c;
    return SDC_OK;
nomem:
    sdc_vm_info_clear(&c);
    return SDC_ERR_NOMEM;
}

enum sdc_rc sdc_batch_add_disk(struct sdc_batch *b,
                               const struct sdc_disk_info *d)
{
    struct sdc_disk_info c = *d;
    struct sdc_disk_info *slot;
    if (!dup_ok(&c.vm_uuid, d->vm_uuid) | !dup_ok(&c.target, d->target) |
        !dup_ok(&c.source, d->source) | !dup_ok(&c.backing, d->backing))
        goto nomem;
    slot = VEC_PUSH(b->disks);
    if (!slot)
        goto nomem;
    *slot = c;
    return SDC_OK;
nomem:
    free(c.vm_uuid);
    free(c.target);
    free(c.source);
    free(c.backing);
    return SDC_ERR_NOMEM;
}

enum sdc_rc sdc_batch_add_nic(struct sdc_batch *b, const struct sdc_nic_info *n)
{
    struct sdc_nic_info c = *n;
    struct sdc_nic_info *slot;
    if (!dup_ok(&c.vm_uuid, n->vm_uuid) | !dup_ok(&c.mac, n->mac) |
        !dup_ok(&c.target, n->target) | !dup_ok(&c.network, n->network))
        goto nomem;
    slot = VEC_PUSH(b->nics);
    if (!slot)
        goto nomem;
    *slot = c;
    return SDC_OK;
nomem:
    free(c.vm_uuid);
    free(c.mac);
    free(c.target);
    free(c.network);
    return SDC_ERR_NOMEM;
}

enum sdc_rc sdc_batch_add_pool(struct sdc_batch *b,
                               const struct sdc_pool_info *p)
{
    struct sdc_pool_info c = *p;
    struct sdc_pool_info *slot;
    if (!dup_ok(&c.key, p->key) | !dup_ok(&c.name, p->name) |
        !dup_ok(&c.host, p->host) | !dup_ok(&c.type, p->type) |
        !dup_ok(&c.source, p->source))
        goto nomem;
    slot = VEC_PUSH(b->pools);
    if (!slot)
        goto nomem;
    *slot = c;
    return SDC_OK;
nomem:
    free(c.key);
    free(c.name);
    free(c.host);
    free(c.type);
    free(c.source);
    return SDC_ERR_NOMEM;
}

enum sdc_rc sdc_batch_add_volume(struct sdc_batch *b,
                                 const struct sdc_volume_info *v)
{
    struct sdc_volume_info c = *v;
    struct sdc_volume_info *slot;
    if (!dup_ok(&c.pool_key, v->pool_key) | !dup_ok(&c.name, v->name) |
        !dup_ok(&c.path, v->path))
        goto nomem;
    slot = VEC_PUSH(b->volumes);
    if (!slot)
        goto nomem;
    *slot = c;
    return SDC_OK;
nomem:
    free(c.pool_key);
    free(c.name);
    free(c.path);
    return SDC_ERR_NOMEM;
}

enum sdc_rc sdc_batch_set_hv(struct sdc_batch *b, const struct sdc_hv_info *hv)
{
    struct sdc_hv_info c = *hv;
    if (!dup_ok(&c.name, hv->name) | !dup_ok(&c.cluster, hv->cluster) |
        !dup_ok(&c.uri, hv->uri) | !dup_ok(&c.model, hv->model) |
        !dup_ok(&c.hostname, hv->hostname)) {
        sdc_hv_info_clear(&c);
        return SDC_ERR_NOMEM;
    }
    sdc_hv_info_clear(&b->hv);
    b->hv = c;
    b->has_hv = true;
    return SDC_OK;
}

enum sdc_rc sdc_batch_list_push(struct sdc_batch_list *l, struct sdc_batch *b)
{
    if (!vec_reserve((void **)&l->items, &l->cap, l->len, sizeof(*l->items)))
        return SDC_ERR_NOMEM;
    l->items[l->len++] = b;
    return SDC_OK;
}

void sdc_batch_list_clear(struct sdc_batch_list *l)
{
    for (size_t i = 0; i < l->len; i++)
        sdc_batch_free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->len = 0;
    l->cap = 0;
}

enum sdc_rc sdc_batch_set_snmp_device(struct sdc_batch *b,
                                      const struct sdc_snmp_device_info *d)
{
    struct sdc_snmp_device_info c = *d;
    if (!dup_ok(&c.name, d->name) | !dup_ok(&c.address, d->address) |
        !dup_ok(&c.role, d->role) | !dup_ok(&c.sys_descr, d->sys_descr) |
        !dup_ok(&c.sys_name, d->sys_name)) {
        sdc_snmp_device_info_clear(&c);
        return SDC_ERR_NOMEM;
    }
    sdc_snmp_device_info_clear(&b->snmp_device);
    b->snmp_device = c;
    b->has_snmp_device = true;
    return SDC_OK;
}

enum sdc_rc sdc_batch_add_interface(struct sdc_batch *b,
                                    const struct sdc_interface_info *i)
{
    struct sdc_interface_info c = *i;
    struct sdc_interface_info *slot;
    if (!dup_ok(&c.device, i->device) | !dup_ok(&c.name, i->name) |
        !dup_ok(&c.alias, i->alias) | !dup_ok(&c.descr, i->descr))
        goto nomem;
    slot = VEC_PUSH(b->interfaces);
    if (!slot)
        goto nomem;
    *slot = c;
    return SDC_OK;
nomem:
    interface_info_clear(&c);
    return SDC_ERR_NOMEM;
}

enum sdc_rc sdc_batch_add_storage(struct sdc_batch *b,
                                  const struct sdc_storage_info *st)
{
    struct sdc_storage_info c = *st;
    struct sdc_storage_info *slot;
    if (!dup_ok(&c.device, st->device) | !dup_ok(&c.descr, st->descr))
        goto nomem;
    slot = VEC_PUSH(b->storages);
    if (!slot)
        goto nomem;
    *slot = c;
    return SDC_OK;
nomem:
    free(c.device);
    free(c.descr);
    return SDC_ERR_NOMEM;
}
