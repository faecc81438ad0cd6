/*
 * findings.c - the rules of the monthly report (findings.h).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"

/* Ratios a hair above a whole number (0.7 * 2 / 0.7) are that number. */
#define FD_EPS 1e-9

void fd_limits_from_config(const struct sdc_config *cfg, struct fd_limits *l)
{
    memset(l, 0, sizeof(*l));
    l->t = cfg->thresholds;
    l->target_cpu = cfg->capacity.target_cpu;
    l->target_memory = cfg->capacity.target_memory;
    l->target_storage = cfg->capacity.target_storage;
    l->target_network = cfg->capacity.target_network;
}

int fd_rec_vcpus(double p95_cpus, double target)
{
    double x;
    if (!isfinite(p95_cpus) || !(target > 0) || p95_cpus <= 0)
        return 1;
    x = ceil(p95_cpus / target - FD_EPS);
    if (x < 1)
        return 1;
    if (x > 1e6)
        return 1000000;
    return (int)x;
}

double fd_rec_memory(double p95_bytes, double target)
{
    double g;
    if (!isfinite(p95_bytes) || !(target > 0) || p95_bytes <= 0)
        return FD_GIB;
    g = ceil(p95_bytes / target / FD_GIB - FD_EPS);
    if (g < 1)
        g = 1;
    return g * FD_GIB;
}

bool fd_over(double p95, double target)
{
    return isfinite(p95) && isfinite(target) && p95 > target;
}

/* a < b with both known */
static bool below(double a, double b)
{
    return isfinite(a) && isfinite(b) && a < b;
}

void fd_vm_judge(const struct fd_limits *l, const struct fd_vm_in *vm,
                 struct fd_vm_out *out)
{
    const struct sdc_thresholds_cfg *t = &l->t;
    double vcpus = vm->vcpus > 0 ? (double)vm->vcpus : 0;
    double mem = isfinite(vm->memory) && vm->memory > 0 ? vm->memory : 0;

    memset(out, 0, sizeof(*out));
    if (vm->month == FD_MONTH_SHUTOFF) {
        out->cls = FD_VM_SHUTOFF;
        out->free_vcpus = vcpus;
        out->free_memory = mem;
        if (isfinite(vm->disk_allocation) && vm->disk_allocation > 0)
            out->free_storage = vm->disk_allocation;
        else if (isfinite(vm->disk_capacity) && vm->disk_capacity > 0)
            out->free_storage = vm->disk_capacity;
        return;
    }
    if (!(vm->coverage >= t->min_coverage)) {
        out->cls = FD_VM_NOT_JUDGED;
        out->reason = vm->month == FD_MONTH_UNKNOWN && !(vm->coverage > 0)
                          ? FD_REASON_STATE
                          : FD_REASON_COVERAGE;
        return;
    }

    /* idle: retire it (frees everything it holds) */
    if (vm->month == FD_MONTH_RUNNING && below(vm->cpu_p95, t->idle_cpu) &&
        below(vm->net_p95, t->idle_net_bytes)) {
        out->cls = FD_VM_IDLE;
        out->free_vcpus = vcpus;
        out->free_memory = mem;
        return;
    }

    if (fd_over(vm->cpu_p95, t->undersized_cpu) && vcpus > 0) {
        int r = fd_rec_vcpus(vm->cpu_p95_cpus, t->resize_cpu);
        if ((double)r <= vcpus)
            r = (int)vcpus + 1;
        out->undersized_cpu = true;
        out->rec_vcpus = r;
        out->need_vcpus = (double)r - vcpus;
    }
    if (fd_over(vm->mem_p95, t->undersized_memory) && mem > 0) {
        double r = fd_rec_memory(vm->mem_p95_bytes, t->resize_memory);
        if (r <= mem)
            r = (floor(mem / FD_GIB + FD_EPS) + 1) * FD_GIB;
        out->undersized_mem = true;
        out->rec_memory = r;
        out->need_memory = r - mem;
    }

    if (below(vm->cpu_p95, t->oversized_cpu) && vcpus > 0) {
        int r = fd_rec_vcpus(vm->cpu_p95_cpus, t->resize_cpu);
        if ((double)r < vcpus) {
            out->oversized_cpu = true;
            out->rec_vcpus = r;
            out->free_vcpus = vcpus - (double)r;
        }
    }
    if (below(vm->mem_p95, t->oversized_memory) && mem > 0) {
        double r = fd_rec_memory(vm->mem_p95_bytes, t->resize_memory);
        if (r < mem) {
            out->oversized_mem = true;
            out->rec_memory = r;
            out->free_memory = mem - r;
        }
    }
    if (out->oversized_cpu || out->oversized_mem)
        out->cls = FD_VM_OVERSIZED;
}

const char *fd_vm_class_name(enum fd_vm_class c)
{
    switch (c) {
    case FD_VM_OK:
        return "ok";
    case FD_VM_NOT_JUDGED:
        return "not judged";
    case FD_VM_SHUTOFF:
        return "shut off";
    case FD_VM_IDLE:
        return "idle";
    case FD_VM_OVERSIZED:
        return "oversized";
    }
    return "?";
}

/* ------------------------------------------------------------------ moves */

/* Biggest first on @dim, unknown last, then by id. */
static int cand_cmp(const struct fd_move_cand *x, const struct fd_move_cand *y,
                    enum fd_dim dim)
{
    double vx = dim == FD_DIM_CPU ? x->cpus : x->memory;
    double vy = dim == FD_DIM_CPU ? y->cpus : y->memory;
    if (!isfinite(vx))
        vx = -1;
    if (!isfinite(vy))
        vy = -1;
    if (vx != vy)
        return vx > vy ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static double dim_val(const struct fd_host *h, enum fd_dim dim)
{
    return dim == FD_DIM_CPU ? h->cpu_p95 : h->mem_p95;
}

/* Insertion sort: qsort's comparator cannot take the dimension without a
 * global, and a host has few VMs.  Stable, deterministic. */
static void sort_cands(struct fd_move_cand *c, size_t n, enum fd_dim dim)
{
    for (size_t i = 1; i < n; i++) {
        struct fd_move_cand x = c[i];
        size_t j = i;
        while (j > 0 && cand_cmp(&c[j - 1], &x, dim) > 0) {
            c[j] = c[j - 1];
            j--;
        }
        c[j] = x;
    }
}

void fd_plan_moves(const struct fd_limits *l, enum fd_dim dim,
                   const struct fd_host *hot, const struct fd_host *cool,
                   struct fd_move_cand *cands, size_t n, struct fd_plan *plan)
{
    double limit = l->t.imbalance_points / 100.0;
    struct fd_host h = *hot, c = *cool;

    memset(plan, 0, sizeof(*plan));
    plan->hot_after = h;
    plan->cool_after = c;
    if (!(h.cpus > 0) || !(c.cpus > 0) || !(h.mem_total > 0) ||
        !(c.mem_total > 0))
        return;
    sort_cands(cands, n, dim);
    for (size_t i = 0; i < n && plan->n < FD_MAX_MOVES; i++) {
        const struct fd_move_cand *m = &cands[i];
        struct fd_host nh = h, nc = c;
        if (!(dim_val(&h, dim) - dim_val(&c, dim) > limit))
            break;
        if (!isfinite(m->cpus) || !isfinite(m->memory) || m->cpus < 0 ||
            m->memory < 0)
            continue;
        nh.cpu_p95 -= m->cpus / h.cpus;
        nc.cpu_p95 += m->cpus / c.cpus;
        nh.mem_p95 -= m->memory / h.mem_total;
        nc.mem_p95 += m->memory / c.mem_total;
        if (!isfinite(nc.cpu_p95) || !isfinite(nc.mem_p95) ||
            nc.cpu_p95 > l->target_cpu || nc.mem_p95 > l->target_memory)
            continue; /* does not fit on the cool host */
        if (dim_val(&nc, dim) > dim_val(&nh, dim))
            continue; /* would swap which host is hot */
        plan->id[plan->n++] = m->id;
        h = nh;
        c = nc;
    }
    plan->hot_after = h;
    plan->cool_after = c;
}

/* ------------------------------------------------------------ string set */

struct fd_refs {
    char **slot; /* open addressing, NULL = empty */
    size_t cap;  /* a power of two */
    size_t n;
};

static uint64_t str_hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

struct fd_refs *fd_refs_new(void)
{
    struct fd_refs *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->cap = 64;
    r->slot = calloc(r->cap, sizeof(*r->slot));
    if (!r->slot) {
        free(r);
        return NULL;
    }
    return r;
}

void fd_refs_free(struct fd_refs *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->cap; i++)
        free(r->slot[i]);
    free(r->slot);
    free(r);
}

static size_t find_slot(char *const *slot, size_t cap, const char *s,
                        size_t len)
{
    size_t i = (size_t)str_hash(s, len) & (cap - 1);
    while (slot[i] && !(strlen(slot[i]) == len && memcmp(slot[i], s, len) == 0))
        i = (i + 1) & (cap - 1);
    return i;
}

static bool refs_grow(struct fd_refs *r)
{
    size_t cap = r->cap * 2;
    char **slot = calloc(cap, sizeof(*slot));
    if (!slot)
        return false;
    for (size_t i = 0; i < r->cap; i++)
        if (r->slot[i])
            slot[find_slot(slot, cap, r->slot[i], strlen(r->slot[i]))] =
                r->slot[i];
    free(r->slot);
    r->slot = slot;
    r->cap = cap;
    return true;
}

static bool refs_add(struct fd_refs *r, const char *s, size_t len)
{
    size_t i;
    while (len > 0 && (s[0] == ' ' || s[0] == '\t')) {
        s++;
        len--;
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len == 0)
        return true;
    if ((r->n + 1) * 2 > r->cap && !refs_grow(r))
        return false;
    i = find_slot(r->slot, r->cap, s, len);
    if (r->slot[i])
        return true;
    r->slot[i] = strndup(s, len);
    if (!r->slot[i])
        return false;
    r->n++;
    return true;
}

bool fd_refs_add_disk(struct fd_refs *r, const char *source,
                      const char *backing)
{
    if (source && !refs_add(r, source, strlen(source)))
        return false;
    while (backing && *backing) {
        const char *sep = strstr(backing, " <- ");
        size_t len = sep ? (size_t)(sep - backing) : strlen(backing);
        if (!refs_add(r, backing, len))
            return false;
        backing = sep ? sep + 4 : NULL;
    }
    return true;
}

bool fd_refs_has(const struct fd_refs *r, const char *s)
{
    size_t len;
    if (!r || !s)
        return false;
    len = strlen(s);
    return r->slot[find_slot(r->slot, r->cap, s, len)] != NULL;
}

bool fd_volume_used(const struct fd_refs *r, const char *path,
                    const char *vol_name, const char *const *pool_names,
                    size_t n_pool_names)
{
    if (path && *path && fd_refs_has(r, path))
        return true;
    for (size_t i = 0; vol_name && i < n_pool_names; i++) {
        char buf[1024];
        int k;
        if (!pool_names[i] || !*pool_names[i])
            continue;
        k = snprintf(buf, sizeof(buf), "%s/%s", pool_names[i], vol_name);
        if (k > 0 && (size_t)k < sizeof(buf) && fd_refs_has(r, buf))
            return true;
    }
    return false;
}
