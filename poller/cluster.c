/* cluster.c - migration de-duplication and cluster sums; see cluster.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"

struct vm_ref {
    const char *uuid;
    size_t batch;
    int rank; /* where the VM really runs: higher wins */
};

/* Running beats other active states (a migration's destination is paused
 * until it takes over), which beat inactive ones. */
static int state_rank(enum sdc_vm_state st)
{
    if (st == SDC_VM_RUNNING || st == SDC_VM_BLOCKED)
        return 2;
    return sdc_vm_state_active(st) ? 1 : 0;
}

static int cmp_ref(const void *a, const void *b)
{
    const struct vm_ref *x = a, *y = b;
    int c = strcmp(x->uuid, y->uuid);
    if (c)
        return c;
    return x->batch < y->batch ? -1 : x->batch > y->batch;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool in_set(char **set, size_t n, const char *s)
{
    return n && s && bsearch(&s, set, n, sizeof(*set), cmp_str) != NULL;
}

/* Remove from @b everything about the VMs in @drop (sorted). */
static void batch_drop_vms(struct sdc_batch *b, char **drop, size_t nd)
{
    size_t k = 0;
    for (size_t i = 0; i < b->samples.len; i++) {
        struct sdc_sample *s = &b->samples.items[i];
        bool vm = s->type == SDC_AR_VM_CPU || s->type == SDC_AR_VM_MEM ||
                  s->type == SDC_AR_VM_DISK || s->type == SDC_AR_VM_NET;
        if (vm && in_set(drop, nd, s->id)) {
            free(s->id);
            free(s->instance);
            continue;
        }
        b->samples.items[k++] = *s;
    }
    b->samples.len = k;
    k = 0;
    for (size_t i = 0; i < b->disks.len; i++) {
        struct sdc_disk_info *d = &b->disks.items[i];
        if (in_set(drop, nd, d->vm_uuid)) {
            free(d->vm_uuid);
            free(d->target);
            free(d->source);
            free(d->backing);
            continue;
        }
        b->disks.items[k++] = *d;
    }
    b->disks.len = k;
    k = 0;
    for (size_t i = 0; i < b->nics.len; i++) {
        struct sdc_nic_info *c = &b->nics.items[i];
        if (in_set(drop, nd, c->vm_uuid)) {
            free(c->vm_uuid);
            free(c->mac);
            free(c->target);
            free(c->network);
            continue;
        }
        b->nics.items[k++] = *c;
    }
    b->nics.len = k;
    k = 0;
    for (size_t i = 0; i < b->vms.len; i++) {
        struct sdc_vm_info *v = &b->vms.items[i];
        if (in_set(drop, nd, v->uuid)) {
            sdc_vm_info_clear(v);
            continue;
        }
        b->vms.items[k++] = *v;
    }
    b->vms.len = k;
}

size_t cluster_dedup_vms(struct sdc_batch *const *batches, size_t n)
{
    size_t total = 0, removed = 0;
    struct vm_ref *refs;
    char ***drop;
    size_t *n_drop;

    for (size_t i = 0; i < n; i++)
        if (batches[i] && batches[i]->ok)
            total += batches[i]->vms.len;
    if (total < 2)
        return 0;
    refs = malloc(total * sizeof(*refs));
    drop = calloc(n, sizeof(*drop));
    n_drop = calloc(n, sizeof(*n_drop));
    if (!refs || !drop || !n_drop)
        goto out;
    total = 0;
    for (size_t i = 0; i < n; i++) {
        if (!batches[i] || !batches[i]->ok)
            continue;
        for (size_t j = 0; j < batches[i]->vms.len; j++) {
            const struct sdc_vm_info *v = &batches[i]->vms.items[j];
            refs[total].uuid = v->uuid;
            refs[total].batch = i;
            refs[total].rank = state_rank(v->state);
            total++;
        }
    }
    qsort(refs, total, sizeof(*refs), cmp_ref);
    for (size_t i = 0; i < total;) {
        size_t j = i + 1, win = i;
        while (j < total && strcmp(refs[j].uuid, refs[i].uuid) == 0)
            j++;
        if (j - i > 1) {
            for (size_t k = i + 1; k < j; k++)
                if (refs[k].rank > refs[win].rank)
                    win = k;
            for (size_t k = i; k < j; k++) {
                size_t bi = refs[k].batch;
                char **p;
                if (k == win || bi == refs[win].batch)
                    continue;
                p = realloc(drop[bi], (n_drop[bi] + 1) * sizeof(*p));
                if (!p)
                    continue;
                drop[bi] = p;
                drop[bi][n_drop[bi]++] = strdup(refs[k].uuid);
                if (!drop[bi][n_drop[bi] - 1])
                    n_drop[bi]--;
            }
        }
        i = j;
    }
    for (size_t i = 0; i < n; i++) {
        if (!n_drop[i])
            continue;
        qsort(drop[i], n_drop[i], sizeof(char *), cmp_str);
        batch_drop_vms(batches[i], drop[i], n_drop[i]);
        removed += n_drop[i];
        for (size_t k = 0; k < n_drop[i]; k++)
            free(drop[i][k]);
        free(drop[i]);
    }
out:
    free(refs);
    free(drop);
    free(n_drop);
    return removed;
}

static const struct sdc_batch *find_batch(struct sdc_batch *const *batches,
                                          size_t n, const char *source)
{
    for (size_t i = 0; i < n; i++)
        if (batches[i] && batches[i]->source &&
            strcmp(batches[i]->source, source) == 0)
            return batches[i];
    return NULL;
}

enum sdc_rc cluster_aggregate(const struct sdc_config *cfg,
                              struct sdc_batch *const *batches, size_t n,
                              time_t t, struct sdc_batch *out,
                              struct sdc_error *err)
{
    for (size_t h = 0; h < cfg->n_hypervisors; h++) {
        const char *cl = cfg->hypervisors[h].cluster;
        bool complete = true, cpu_ok = true, mem_ok = true;
        double used = 0, cap = 0, vcpus = 0, mused = 0, mcap = 0, malloc_ = 0;
        struct sdc_sample *cpu, *mem;
        bool first = true;

        /* handle each cluster once, at its first hypervisor */
        for (size_t k = 0; k < h; k++)
            if (strcmp(cfg->hypervisors[k].cluster, cl) == 0)
                first = false;
        if (!first)
            continue;
        for (size_t k = h; k < cfg->n_hypervisors; k++) {
            const struct sdc_batch *b;
            if (strcmp(cfg->hypervisors[k].cluster, cl) != 0)
                continue;
            b = find_batch(batches, n, cfg->hypervisors[k].name);
            if (!b || !b->ok || !b->has_hv) {
                complete = false;
                break;
            }
            cap += b->hv.cpus;
            mcap += (double)b->hv.memory;
            if (isnan(b->hv.cpu_busy))
                cpu_ok = false;
            else
                used += b->hv.cpu_busy;
            if (isnan(b->hv.mem_used))
                mem_ok = false;
            else
                mused += b->hv.mem_used;
            for (size_t v = 0; v < b->vms.len; v++)
                if (sdc_vm_state_active(b->vms.items[v].state)) {
                    vcpus += b->vms.items[v].vcpus;
                    malloc_ += (double)b->vms.items[v].memory;
                }
        }
        /* An incomplete cluster keeps every value unknown.  Each sample is
         * filled before the next is added (adding may move the array). */
        cpu = sdc_batch_add_sample(out, SDC_AR_CLUSTER_CPU, cl, NULL, t);
        if (!cpu)
            return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
        if (complete) {
            if (cpu_ok)
                sdc_sample_set_gauge(cpu, "used", used);
            sdc_sample_set_gauge(cpu, "capacity", cap);
            sdc_sample_set_gauge(cpu, "vcpus", vcpus);
        }
        mem = sdc_batch_add_sample(out, SDC_AR_CLUSTER_MEM, cl, NULL, t);
        if (!mem)
            return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
        if (complete) {
            if (mem_ok)
                sdc_sample_set_gauge(mem, "used", mused);
            sdc_sample_set_gauge(mem, "capacity", mcap);
            sdc_sample_set_gauge(mem, "allocated", malloc_);
        }
    }
    return SDC_OK;
}
