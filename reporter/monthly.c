/*
 * monthly.c - gathering a month for the monthly report: the inventory
 * (read only, with our own queries) and the archives (fetch.h), read by a
 * few threads, each entity summarised with stats.h.  The judging and the
 * document are in monthly_doc.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fsutil.h"
#include "monthly_priv.h"

/* A VM first seen within this long after the month began, or last seen
 * within this long before it ended, counts as there the whole month. */
#define M_GRACE 86400
/* Rows wanted from the archives: the 5-minute consolidation. */
#define M_RESOLUTION 300
/* Most threads reading archives, and how many per CPU by default: a read
 * waits on the disk far more than on the CPU (a cold month of 2,000 VMs
 * reads about 2 GB), so more threads than CPUs keep the disk busy. */
#define M_MAX_JOBS 16
#define M_JOBS_PER_CPU 4
#define M_MIN_JOBS 4
/* VMs ahead of the one read whose archives are read ahead. */
#define M_LOOKAHEAD 24
/* CPU time below this (CPUs busy) is a VM doing nothing at all. */
#define M_CPU_ACTIVE 0.001

static char empty_str[] = "";

/* Out of memory: remembered for the end (workers too, hence the lock). */
static void m_set_oom(struct m_ctx *c)
{
    pthread_mutex_lock(&c->lock);
    c->oom = true;
    pthread_mutex_unlock(&c->lock);
}

char *m_strdup(struct m_ctx *c, const char *s)
{
    char *p;
    if (!s)
        return empty_str;
    p = strdup(s);
    if (!p) {
        m_set_oom(c);
        return empty_str;
    }
    return p;
}

void m_free(char *s)
{
    if (s != empty_str)
        free(s);
}

void m_note(struct m_ctx *c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&c->lock);
    if (json_array_append_new(c->notes, json_string(buf)))
        c->oom = true; /* under the lock already */
    pthread_mutex_unlock(&c->lock);
}

void m_format_time(time_t t, char *buf, size_t len)
{
    struct tm tm;
    if (!localtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M", &tm))
        snprintf(buf, len, "?");
}

/* ------------------------------------------------------------ inventory */

static double col_num(sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return NAN;
    return sqlite3_column_double(st, i);
}

static time_t col_time(sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return 0;
    return (time_t)sqlite3_column_int64(st, i);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

static enum sdc_rc db_fail(sqlite3 *db, const char *what, struct sdc_error *err)
{
    return sdc_error_set(err, SDC_ERR_DB, "inventory: %s: %s", what,
                         sqlite3_errmsg(db));
}

/* Grow *@arr (of @size-byte entries, *@n used) by one zeroed entry. */
static void *grow(struct m_ctx *c, void **arr, size_t *n, size_t *cap,
                  size_t size)
{
    char *p;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        void *q = realloc(*arr, nc * size);
        if (!q) {
            m_set_oom(c);
            return NULL;
        }
        *arr = q;
        *cap = nc;
    }
    p = (char *)*arr + *n * size;
    memset(p, 0, size);
    (*n)++;
    return p;
}

static struct m_host *host_find(struct m_ctx *c, const char *name)
{
    for (size_t i = 0; i < c->n_hosts; i++)
        if (strcmp(c->hosts[i].name, name) == 0)
            return &c->hosts[i];
    return NULL;
}

static struct m_host *host_add(struct m_ctx *c, size_t *cap, const char *name,
                               const char *cluster)
{
    struct m_host *h = host_find(c, name);
    if (h)
        return h;
    h = grow(c, (void **)&c->hosts, &c->n_hosts, cap, sizeof(*h));
    if (!h)
        return NULL;
    h->name = m_strdup(c, name);
    /* NULL: known only from its archives, in no known cluster */
    h->cluster = m_strdup(c, !cluster ? "" : *cluster ? cluster : name);
    h->inv_cpus = h->inv_memory = NAN;
    h->cpus = h->mem_total = NAN;
    return h;
}

/* The archive directories (below). */
static char **list_dir(struct m_ctx *c, const char *dir, const char *prefix,
                       const char *suffix, size_t *n);
static void archive_dir(const struct m_ctx *c, const char *kind, const char *id,
                        char *buf, size_t len);

static enum sdc_rc read_hosts(struct m_ctx *c, sqlite3 *db,
                              struct sdc_error *err)
{
    size_t cap = 0;
    sqlite3_stmt *st = NULL;
    char dir[4096];
    char **names;
    size_t nn;

    for (size_t i = 0; i < c->cfg->n_hypervisors; i++) {
        const struct sdc_hypervisor_cfg *hc = &c->cfg->hypervisors[i];
        struct m_host *h = host_add(c, &cap, hc->name, hc->cluster);
        if (h)
            h->in_config = true;
    }
    if (!db)
        goto archives;
    if (sqlite3_prepare_v2(db,
                           "SELECT name, cluster, cpus, memory, first_seen,"
                           " last_seen FROM hypervisors ORDER BY name",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(db, "read hypervisors", err);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = col_text(st, 0);
        struct m_host *h;
        if (!name)
            continue;
        h = host_add(c, &cap, name, col_text(st, 1));
        if (!h)
            break;
        h->in_inventory = true;
        h->inv_cpus = col_num(st, 2);
        h->inv_memory = col_num(st, 3);
        h->first_seen = col_time(st, 4);
        h->last_seen = col_time(st, 5);
    }
    sqlite3_finalize(st);
archives:
    /* hypervisors with archives that neither the config nor the inventory
     * knows (history imported for them, or removed from the config) */
    archive_dir(c, "hv", NULL, dir, sizeof(dir));
    names = list_dir(c, dir, "", "", &nn);
    for (size_t i = 0; i < nn; i++) {
        bool known = false;
        char sn[SDC_NAME_MAX];
        for (size_t k = 0; k < c->n_hosts && !known; k++) {
            sdc_name_sanitize(c->hosts[k].name, sn, sizeof(sn));
            known = strcmp(sn, names[i]) == 0;
        }
        if (!known)
            host_add(c, &cap, names[i], NULL);
    }
    fs_names_free(names, nn);
    return SDC_OK;
}

/* State events of the month, ordered by VM and time. */
struct m_event {
    char *uuid;
    time_t t;
    char *prev;
    char *next;
};

struct m_events {
    struct m_event *e;
    size_t n;
    size_t cap;
};

static void events_free(struct m_events *ev)
{
    for (size_t i = 0; i < ev->n; i++) {
        free(ev->e[i].uuid);
        free(ev->e[i].prev);
        free(ev->e[i].next);
    }
    free(ev->e);
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static enum sdc_rc read_events(struct m_ctx *c, sqlite3 *db,
                               struct m_events *ev, struct sdc_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT entity, t, prev_value, new_value FROM events"
                           " WHERE kind = 'state' AND t > ?1"
                           " ORDER BY entity, t",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(db, "read events", err);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)c->p.start);
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct m_event *e;
        if (!col_text(st, 0))
            continue;
        e = grow(c, (void **)&ev->e, &ev->n, &ev->cap, sizeof(*e));
        if (!e)
            break;
        e->uuid = dup_or_null(col_text(st, 0));
        e->t = col_time(st, 1);
        e->prev = dup_or_null(col_text(st, 2));
        e->next = dup_or_null(col_text(st, 3));
        if (!e->uuid)
            m_set_oom(c);
    }
    sqlite3_finalize(st);
    return SDC_OK;
}

static bool state_running(const char *s)
{
    return s && (strcmp(s, "running") == 0 || strcmp(s, "blocked") == 0);
}

static bool state_off(const char *s)
{
    return s && (strcmp(s, "shutoff") == 0 || strcmp(s, "crashed") == 0);
}

/*
 * What the inventory says @vm did in the month: its state events in the
 * month, else its state and state_since.  The CPU data may still correct
 * this (vm_month_data).
 */
static void vm_month_inventory(const struct m_ctx *c, struct m_vm *vm,
                               const struct m_events *ev)
{
    const struct period *p = &c->p;
    char t1[32];
    size_t lo = 0, hi = ev->n;
    bool run = false, off = false, other = false;

    if (!vm->in_inventory) {
        vm->month = FD_MONTH_UNKNOWN;
        snprintf(vm->month_note, sizeof(vm->month_note),
                 "not in the inventory");
        return;
    }
    if (vm->first_seen > p->start + M_GRACE) {
        m_format_time(vm->first_seen, t1, sizeof(t1));
        vm->month = FD_MONTH_MIXED;
        snprintf(vm->month_note, sizeof(vm->month_note), "first seen %s", t1);
        return;
    }
    if (vm->deleted_at && vm->deleted_at < p->until) {
        m_format_time(vm->deleted_at, t1, sizeof(t1));
        vm->month = FD_MONTH_MIXED;
        snprintf(vm->month_note, sizeof(vm->month_note), "deleted %s", t1);
        return;
    }
    if (vm->last_seen + M_GRACE < p->until) {
        m_format_time(vm->last_seen, t1, sizeof(t1));
        vm->month = FD_MONTH_UNKNOWN;
        snprintf(vm->month_note, sizeof(vm->month_note),
                 "last seen %s: state unknown", t1);
        return;
    }
    /* the VM's events: binary search for the first */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ev->e[mid].uuid, vm->uuid) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < ev->n && strcmp(ev->e[lo].uuid, vm->uuid) == 0) {
        const char *s = ev->e[lo].prev; /* the state at the start */
        for (size_t i = lo; i <= ev->n; i++) {
            run |= state_running(s);
            off |= state_off(s);
            other |= !state_running(s) && !state_off(s);
            if (i == ev->n || strcmp(ev->e[i].uuid, vm->uuid) != 0 ||
                ev->e[i].t >= p->until)
                break;
            s = ev->e[i].next;
        }
    } else if (vm->state_since <= p->start + M_GRACE) {
        run = state_running(vm->state);
        off = state_off(vm->state);
        other = !run && !off;
    } else if (vm->state_since < p->until) {
        m_format_time(vm->state_since, t1, sizeof(t1));
        vm->month = FD_MONTH_MIXED;
        snprintf(vm->month_note, sizeof(vm->month_note), "%s since %s",
                 vm->state, t1);
        return;
    } else {
        vm->month = FD_MONTH_UNKNOWN;
        snprintf(vm->month_note, sizeof(vm->month_note),
                 "state during the month not recorded");
        return;
    }
    if (run && !off && !other) {
        vm->month = FD_MONTH_RUNNING;
        snprintf(vm->month_note, sizeof(vm->month_note), "running all month");
    } else if (off && !run && !other) {
        vm->month = FD_MONTH_SHUTOFF;
        snprintf(vm->month_note, sizeof(vm->month_note), "shut off all month");
    } else {
        vm->month = FD_MONTH_MIXED;
        snprintf(vm->month_note, sizeof(vm->month_note),
                 "changed state during the month");
    }
}

static enum sdc_rc read_vms(struct m_ctx *c, sqlite3 *db, struct sdc_error *err)
{
    size_t cap = 0;
    sqlite3_stmt *st = NULL;
    struct m_events ev = {0};
    enum sdc_rc rc;

    if ((rc = read_events(c, db, &ev, err)))
        goto out;
    if (sqlite3_prepare_v2(
            db,
            "SELECT v.uuid, v.name, v.host, COALESCE(v.cluster, h.cluster),"
            " v.owner, v.state, v.vcpus, v.memory, v.first_seen, v.last_seen,"
            " v.state_since, v.deleted_at,"
            " (SELECT SUM(capacity) FROM disks d WHERE d.vm_uuid = v.uuid),"
            " (SELECT SUM(allocation) FROM disks d WHERE d.vm_uuid = v.uuid),"
            " (SELECT COUNT(*) FROM disks d WHERE d.vm_uuid = v.uuid),"
            " (SELECT COUNT(*) FROM nics n WHERE n.vm_uuid = v.uuid)"
            " FROM vms v LEFT JOIN hypervisors h ON h.name = v.host"
            " WHERE v.first_seen < ?2"
            " AND (v.deleted_at IS NULL OR v.deleted_at > ?1)"
            " ORDER BY v.name, v.uuid",
            -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(db, "read VMs", err);
        goto out;
    }
    sqlite3_bind_int64(st, 1, (sqlite3_int64)c->p.start);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)c->p.until);
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct m_vm *vm;
        double v;
        if (!col_text(st, 0))
            continue;
        vm = grow(c, (void **)&c->vms, &c->n_vms, &cap, sizeof(*vm));
        if (!vm)
            break;
        vm->in_inventory = true;
        vm->uuid = m_strdup(c, col_text(st, 0));
        vm->name = m_strdup(c, col_text(st, 1) ? col_text(st, 1) : "");
        vm->host = m_strdup(c, col_text(st, 2) ? col_text(st, 2) : "");
        vm->cluster = m_strdup(c, col_text(st, 3) ? col_text(st, 3) : "");
        vm->owner = m_strdup(c, col_text(st, 4) ? col_text(st, 4) : "");
        vm->state = m_strdup(c, col_text(st, 5) ? col_text(st, 5) : "unknown");
        v = col_num(st, 6);
        vm->vcpus = isfinite(v) && v > 0 && v < 1e6 ? (int)v : 0;
        vm->memory = col_num(st, 7);
        vm->first_seen = col_time(st, 8);
        vm->last_seen = col_time(st, 9);
        vm->state_since = col_time(st, 10);
        vm->deleted_at = col_time(st, 11);
        vm->disk_capacity = col_num(st, 12);
        vm->disk_allocation = col_num(st, 13);
        vm->n_disks = sqlite3_column_int64(st, 14);
        vm->n_nics = sqlite3_column_int64(st, 15);
        vm_month_inventory(c, vm, &ev);
    }
    sqlite3_finalize(st);
out:
    events_free(&ev);
    return rc;
}

static struct m_pool *pool_find(struct m_ctx *c, const char *key)
{
    for (size_t i = 0; i < c->n_pools; i++)
        if (strcmp(c->pools[i].key, key) == 0)
            return &c->pools[i];
    return NULL;
}

static enum sdc_rc read_pools(struct m_ctx *c, sqlite3 *db, size_t *cap,
                              struct sdc_error *err)
{
    sqlite3_stmt *st = NULL;
    size_t vcap = 0;

    if (sqlite3_prepare_v2(db,
                           "SELECT key, name, type, shared, capacity,"
                           " allocation, last_seen FROM pools ORDER BY key",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(db, "read pools", err);
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct m_pool *pl;
        if (!col_text(st, 0))
            continue;
        pl = grow(c, (void **)&c->pools, &c->n_pools, cap, sizeof(*pl));
        if (!pl)
            break;
        pl->in_inventory = true;
        pl->key = m_strdup(c, col_text(st, 0));
        pl->name = m_strdup(c, col_text(st, 1) ? col_text(st, 1) : "");
        pl->type = m_strdup(c, col_text(st, 2) ? col_text(st, 2) : "");
        pl->shared = sqlite3_column_int64(st, 3) != 0;
        pl->inv_capacity = col_num(st, 4);
        pl->inv_allocation = col_num(st, 5);
        pl->last_seen = col_time(st, 6);
        pl->capacity = pl->allocation = NAN;
        pl->provisioned = 0; /* the inventory knows its disks: none yet */
    }
    sqlite3_finalize(st);

    if (sqlite3_prepare_v2(db,
                           "SELECT pool_key, host, pool_name FROM pool_hosts"
                           " ORDER BY pool_key, host",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(db, "read pool hosts", err);
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct m_pool *pl =
            col_text(st, 0) ? pool_find(c, col_text(st, 0)) : NULL;
        char **h, **hn;
        if (!pl || !col_text(st, 1))
            continue;
        h = realloc(pl->hosts, (pl->n_hosts + 1) * sizeof(*h));
        if (!h) {
            m_set_oom(c);
            break;
        }
        pl->hosts = h;
        hn = realloc(pl->host_names, (pl->n_hosts + 1) * sizeof(*hn));
        if (!hn) {
            m_set_oom(c);
            break;
        }
        pl->host_names = hn;
        pl->hosts[pl->n_hosts] = m_strdup(c, col_text(st, 1));
        pl->host_names[pl->n_hosts] =
            m_strdup(c, col_text(st, 2) ? col_text(st, 2) : "");
        pl->n_hosts++;
    }
    sqlite3_finalize(st);

    if (sqlite3_prepare_v2(db,
                           "SELECT pool_key, name, path, capacity, allocation,"
                           " last_seen FROM volumes ORDER BY pool_key, name",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(db, "read volumes", err);
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct m_volume *v;
        if (!col_text(st, 0) || !col_text(st, 1))
            continue;
        v = grow(c, (void **)&c->volumes, &c->n_volumes, &vcap, sizeof(*v));
        if (!v)
            break;
        v->pool_key = m_strdup(c, col_text(st, 0));
        v->name = m_strdup(c, col_text(st, 1));
        v->path = m_strdup(c, col_text(st, 2) ? col_text(st, 2) : "");
        v->capacity = col_num(st, 3);
        v->allocation = col_num(st, 4);
        v->last_seen = col_time(st, 5);
    }
    sqlite3_finalize(st);

    /* what the disks of VMs that still exist use, directly or as backing */
    if (sqlite3_prepare_v2(db,
                           "SELECT d.source, d.backing FROM disks d"
                           " JOIN vms v ON v.uuid = d.vm_uuid"
                           " WHERE v.deleted_at IS NULL",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(db, "read disks", err);
    while (sqlite3_step(st) == SQLITE_ROW)
        if (!fd_refs_add_disk(c->refs, col_text(st, 0), col_text(st, 1)))
            m_set_oom(c);
    sqlite3_finalize(st);
    return SDC_OK;
}

/* A name a disk may use for a volume, and the volume's pool. */
struct vol_key {
    char *key;
    size_t pool;
};

static int vol_key_cmp(const void *a, const void *b)
{
    return strcmp(((const struct vol_key *)a)->key,
                  ((const struct vol_key *)b)->key);
}

/*
 * The provisioned capacity per pool: the capacity of the disks whose
 * source is one of its volumes, by path or as "<pool name>/<volume>".
 * Matched here rather than in SQL: a join on either name cannot use an
 * index.
 */
static enum sdc_rc read_provisioned(struct m_ctx *c, sqlite3 *db,
                                    struct sdc_error *err)
{
    sqlite3_stmt *st = NULL;
    struct vol_key *keys = NULL;
    size_t n = 0, cap = 0;

    for (size_t i = 0; i < c->n_volumes; i++) {
        const struct m_volume *v = &c->volumes[i];
        struct m_pool *pl = pool_find(c, v->pool_key);
        size_t pi;
        if (!pl)
            continue;
        pi = (size_t)(pl - c->pools);
        for (size_t k = 0; k <= pl->n_hosts + 1; k++) {
            const char *pname = k < pl->n_hosts    ? pl->host_names[k]
                                : k == pl->n_hosts ? pl->name
                                                   : NULL;
            struct vol_key *e;
            char *key = NULL;
            if (!pname) {
                if (*v->path)
                    key = strdup(v->path);
            } else if (*pname) {
                /* "<host>\t<pool name>/<volume>": local pools of several
                 * hosts share names ("default") */
                if (asprintf(&key, "%s\t%s/%s",
                             k < pl->n_hosts ? pl->hosts[k] : "", pname,
                             v->name) < 0)
                    key = NULL;
            } else {
                continue;
            }
            if (!key)
                continue;
            e = grow(c, (void **)&keys, &n, &cap, sizeof(*e));
            if (!e) {
                free(key);
                break;
            }
            e->key = key;
            e->pool = pi;
        }
    }
    if (n)
        qsort(keys, n, sizeof(*keys), vol_key_cmp);
    if (sqlite3_prepare_v2(db,
                           "SELECT d.source, d.capacity, v.host FROM disks d"
                           " JOIN vms v ON v.uuid = d.vm_uuid"
                           " WHERE v.deleted_at IS NULL",
                           -1, &st, NULL) != SQLITE_OK) {
        for (size_t i = 0; i < n; i++)
            free(keys[i].key);
        free(keys);
        return db_fail(db, "read disks", err);
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct vol_key want, *hit;
        double capb = col_num(st, 1);
        if (!col_text(st, 0) || !isfinite(capb))
            continue;
        c->disk_total += capb;
        want.key = (char *)col_text(st, 0);
        hit = n ? bsearch(&want, keys, n, sizeof(*keys), vol_key_cmp) : NULL;
        for (int k = 0; k < 2 && !hit && n; k++) {
            char *q = NULL;
            const char *host = col_text(st, 2);
            if (asprintf(&q, "%s\t%s", k == 0 && host ? host : "",
                         col_text(st, 0)) < 0)
                break;
            want.key = q;
            hit = bsearch(&want, keys, n, sizeof(*keys), vol_key_cmp);
            free(q);
        }
        if (hit) {
            struct m_pool *pl = &c->pools[hit->pool];
            pl->provisioned += capb;
        }
    }
    sqlite3_finalize(st);
    for (size_t i = 0; i < n; i++)
        free(keys[i].key);
    free(keys);
    return SDC_OK;
}

struct inv_iface {
    char *device;
    char *name;
    char *alias;
    double speed;
    bool uplink;
};

struct inv_ifaces {
    struct inv_iface *e;
    size_t n;
    size_t cap;
};

static void inv_ifaces_free(struct inv_ifaces *f)
{
    for (size_t i = 0; i < f->n; i++) {
        m_free(f->e[i].device);
        m_free(f->e[i].name);
        m_free(f->e[i].alias);
    }
    free(f->e);
}

static enum sdc_rc read_inv_ifaces(struct m_ctx *c, sqlite3 *db,
                                   struct inv_ifaces *f, struct sdc_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT device, name, alias, speed, uplink"
                           " FROM interfaces",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(db, "read interfaces", err);
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct inv_iface *e;
        if (!col_text(st, 0) || !col_text(st, 1))
            continue;
        e = grow(c, (void **)&f->e, &f->n, &f->cap, sizeof(*e));
        if (!e)
            break;
        e->device = m_strdup(c, col_text(st, 0));
        e->name = m_strdup(c, col_text(st, 1));
        e->alias = m_strdup(c, col_text(st, 2) ? col_text(st, 2) : "");
        e->speed = col_num(st, 3);
        e->uplink = sqlite3_column_int64(st, 4) != 0;
    }
    sqlite3_finalize(st);
    return SDC_OK;
}

/* ----------------------------------------------------------- archives */

/* Names in @dir that start with @prefix and end with @suffix, without
 * either; sorted.  Missing directory: none. */
static char **list_dir(struct m_ctx *c, const char *dir, const char *prefix,
                       const char *suffix, size_t *n)
{
    char **v;
    if (fs_list_names(dir, prefix, suffix, false, 0, &v, n) != SDC_OK)
        m_set_oom(c);
    return v;
}

/* DATA_DIR/rrd/<kind>[/<id>] */
static void archive_dir(const struct m_ctx *c, const char *kind, const char *id,
                        char *buf, size_t len)
{
    char sid[SDC_NAME_MAX];
    if (id) {
        sdc_name_sanitize(id, sid, sizeof(sid));
        snprintf(buf, len, "%s/rrd/%s/%s", c->cfg->data_dir, kind, sid);
    } else {
        snprintf(buf, len, "%s/rrd/%s", c->cfg->data_dir, kind);
    }
}

/*
 * A window of one archive over the period.
 * @set:   every data source (free with series_set_free)
 * @i0, @n: the rows in the period; @expected: rows the period holds
 */
struct m_win {
    struct series_set set;
    size_t i0;
    size_t n;
    size_t expected;
    time_t step;
    time_t start; /* time of row i0 */
};

/*
 * Ask the kernel to read the archive ahead, in large requests.  librrd maps
 * the file and advises random access, so a cold read of a month of
 * 5-minute rows faults in one 4 KiB page at a time; an archive is small
 * (well under a megabyte at the default retention) and the month is most
 * of it, so reading all of it ahead is cheaper.  Only a hint: errors are
 * left to the fetch.
 */
static void prefetch(const struct m_ctx *c, enum sdc_archive type,
                     const char *id, const char *inst)
{
    char rel[1024], path[4096];
    int fd;
    if (!sdc_archive_relpath(type, id, inst, rel, sizeof(rel)))
        return;
    snprintf(path, sizeof(path), "%s/%s", c->cfg->data_dir, rel);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
    close(fd);
}

/*
 * Fetch archive @type/@id/@inst over the period.  A missing archive is
 * SDC_ERR_IO with @note "no archive"; other failures fill @note too.
 */
static enum sdc_rc fetch_month(struct m_ctx *c, enum sdc_archive type,
                               const char *id, const char *inst,
                               struct m_win *w, char *note, size_t note_len)
{
    struct fetch_req req = {.type = type,
                            .id = id,
                            .instance = inst,
                            .cf = "AVERAGE",
                            .start = c->p.start,
                            .end = c->p.until,
                            .resolution = M_RESOLUTION};
    struct sdc_error e = {0};
    enum sdc_rc rc;
    const struct series *s0;

    memset(w, 0, sizeof(*w));
    if (c->p.until <= c->p.start)
        return SDC_ERR_INVALID;
    prefetch(c, type, id, inst);
    rc = fetch_all(&c->src, &req, &w->set, &e);
    if (rc != SDC_OK) {
        if (rc == SDC_ERR_IO && strstr(e.msg, "no such archive"))
            snprintf(note, note_len, "no archive");
        else if (rc == SDC_ERR_IO)
            snprintf(note, note_len, "archive not readable: %.160s", e.msg);
        else
            snprintf(note, note_len, "archive not read: %.160s", e.msg);
        return rc;
    }
    if (w->set.n == 0) {
        snprintf(note, note_len, "archive has no data sources");
        return SDC_ERR_INVALID;
    }
    s0 = &w->set.s[0];
    w->step = s0->step;
    stats_window(s0->start, s0->step, s0->n, c->p.start, c->p.until, &w->i0,
                 &w->n);
    w->expected = stats_expected(c->p.start, c->p.until, s0->step);
    w->start = s0->start + (time_t)w->i0 * s0->step;
    pthread_mutex_lock(&c->lock);
    if (s0->step > c->max_step)
        c->max_step = s0->step;
    if (!c->min_step || s0->step < c->min_step)
        c->min_step = s0->step;
    pthread_mutex_unlock(&c->lock);
    return SDC_OK;
}

/* Value @i (of the window) of data source @name, NaN if absent. */
static double wv(const struct m_win *w, const struct series *s, size_t i)
{
    (void)w;
    return s ? s->v[w->i0 + i] : NAN;
}

static const struct series *wds(const struct m_win *w, const char *name)
{
    return series_set_find(&w->set, name);
}

static void mark_data(struct m_ctx *c, const struct stats *st)
{
    if (st->n > 0) {
        pthread_mutex_lock(&c->lock);
        c->any_data = true;
        pthread_mutex_unlock(&c->lock);
    }
}

/* Summarise @v[0..n) (n rows of the window), @expected rows. */
static void summarize(struct m_ctx *c, const double *v, size_t n,
                      size_t expected, struct stats *out)
{
    if (stats_summarize(v, n, expected, NULL, out) != SDC_OK)
        m_set_oom(c);
    mark_data(c, out);
}

static bool series_keep(struct m_ctx *c, struct m_series *s,
                        const struct m_win *w, const double *pct)
{
    s->v = malloc((w->n ? w->n : 1) * sizeof(*s->v));
    if (!s->v) {
        m_set_oom(c);
        return false;
    }
    memcpy(s->v, pct, w->n * sizeof(*s->v));
    s->n = w->n;
    s->start = w->start;
    s->step = w->step;
    return true;
}

static void gather_host(struct m_ctx *c, size_t idx)
{
    struct m_host *h = &c->hosts[idx];
    struct m_win w;
    double *v = NULL;

    stats_empty(0, &h->cpu);
    stats_empty(0, &h->mem);
    if (fetch_month(c, SDC_AR_HV_CPU, h->name, NULL, &w, h->note,
                    sizeof(h->note)) == SDC_OK) {
        const struct series *user = wds(&w, "user"), *sys = wds(&w, "system"),
                            *cpus = wds(&w, "cpus");
        v = malloc((w.n ? w.n : 1) * sizeof(*v));
        if (!v) {
            m_set_oom(c);
        } else {
            for (size_t i = 0; i < w.n; i++) {
                double n = wv(&w, cpus, i);
                double busy = wv(&w, user, i) + wv(&w, sys, i);
                if (!(n > 0))
                    n = h->inv_cpus;
                v[i] = safe_div(busy / 1e9, n);
                if (isfinite(v[i]))
                    h->last_data = w.start + (time_t)i * w.step;
                if (isfinite(wv(&w, cpus, i)) && wv(&w, cpus, i) > 0)
                    h->cpus = wv(&w, cpus, i);
            }
            summarize(c, v, w.n, w.expected, &h->cpu);
        }
        free(v);
        v = NULL;
    }
    series_set_free(&w.set);
    if (!(h->cpus > 0))
        h->cpus = h->inv_cpus;
    if (fetch_month(c, SDC_AR_HV_MEM, h->name, NULL, &w, h->note,
                    sizeof(h->note)) == SDC_OK) {
        const struct series *tot = wds(&w, "total"), *fr = wds(&w, "free"),
                            *ca = wds(&w, "cached"), *bu = wds(&w, "buffers");
        v = malloc((w.n ? w.n : 1) * sizeof(*v));
        if (!v) {
            m_set_oom(c);
        } else {
            for (size_t i = 0; i < w.n; i++) {
                double t = wv(&w, tot, i), f = wv(&w, fr, i);
                double cc = wv(&w, ca, i), b = wv(&w, bu, i);
                double used =
                    t - f - (isfinite(cc) ? cc : 0) - (isfinite(b) ? b : 0);
                v[i] = safe_div(used < 0 ? 0 : used, t);
                if (isfinite(t) && t > 0)
                    h->mem_total = t;
            }
            summarize(c, v, w.n, w.expected, &h->mem);
        }
        free(v);
    }
    series_set_free(&w.set);
    if (!(h->mem_total > 0))
        h->mem_total = h->inv_memory;
}

static void gather_cluster(struct m_ctx *c, size_t idx)
{
    struct m_cluster *cl = &c->clusters[idx];
    struct m_win w;
    double *v = NULL, *used = NULL;

    stats_empty(0, &cl->cpu);
    stats_empty(0, &cl->mem);
    cl->cpu_capacity = cl->cpu_vcpus = cl->mem_capacity = cl->mem_allocated =
        cl->cpu_used_p95 = cl->mem_used_p95 = cl->vcpu_ratio = cl->vram_ratio =
            NAN;
    for (int k = 0; k < 2; k++) {
        enum sdc_archive t = k == 0 ? SDC_AR_CLUSTER_CPU : SDC_AR_CLUSTER_MEM;
        const struct series *u, *cap, *alloc;
        double last_alloc = NAN, last_cap = NAN;
        struct stats su;
        if (fetch_month(c, t, cl->name, NULL, &w, cl->note, sizeof(cl->note)) !=
            SDC_OK) {
            series_set_free(&w.set);
            continue;
        }
        u = wds(&w, "used");
        cap = wds(&w, "capacity");
        alloc = wds(&w, k == 0 ? "vcpus" : "allocated");
        v = malloc((w.n ? w.n : 1) * sizeof(*v));
        used = malloc((w.n ? w.n : 1) * sizeof(*used));
        if (!v || !used) {
            m_set_oom(c);
        } else {
            for (size_t i = 0; i < w.n; i++) {
                double cp = wv(&w, cap, i);
                used[i] = wv(&w, u, i);
                v[i] = safe_div(used[i], cp);
                if (isfinite(cp) && cp > 0) {
                    last_cap = cp;
                    last_alloc = wv(&w, alloc, i);
                }
            }
            summarize(c, v, w.n, w.expected, k == 0 ? &cl->cpu : &cl->mem);
            summarize(c, used, w.n, w.expected, &su);
            for (size_t i = 0; i < w.n; i++)
                v[i] *= 100;
            series_keep(c, k == 0 ? &cl->cpu_s : &cl->mem_s, &w, v);
            if (k == 0) {
                cl->cpu_capacity = last_cap;
                cl->cpu_vcpus = last_alloc;
                cl->cpu_used_p95 = su.p95;
                cl->vcpu_ratio = safe_div(last_alloc, last_cap);
            } else {
                cl->mem_capacity = last_cap;
                cl->mem_allocated = last_alloc;
                cl->mem_used_p95 = su.p95;
                cl->vram_ratio = safe_div(last_alloc, last_cap);
            }
        }
        free(v);
        free(used);
        series_set_free(&w.set);
    }
}

/* Memory used at row @i: current - usable, else rss capped at current. */
static double vm_mem_used(double cur, double usable, double rss, int *how)
{
    *how = M_MEM_NONE;
    if (isfinite(cur) && isfinite(usable)) {
        *how = M_MEM_BALLOON;
        return cur - usable < 0 ? 0 : cur - usable;
    }
    if (isfinite(rss)) {
        *how = M_MEM_RSS;
        return isfinite(cur) && rss > cur ? cur : rss;
    }
    return NAN;
}

static void gather_vm_cpu(struct m_ctx *c, struct m_vm *vm)
{
    struct m_win w;
    double *frac, *cpus;

    if (fetch_month(c, SDC_AR_VM_CPU, vm->uuid, NULL, &w, vm->note,
                    sizeof(vm->note)) != SDC_OK) {
        series_set_free(&w.set);
        return;
    }
    vm->step = w.step;
    frac = malloc((w.n ? w.n : 1) * sizeof(*frac));
    cpus = malloc((w.n ? w.n : 1) * sizeof(*cpus));
    if (!frac || !cpus) {
        m_set_oom(c);
    } else {
        const struct series *t = wds(&w, "time"), *vc = wds(&w, "vcpus");
        for (size_t i = 0; i < w.n; i++) {
            double n = wv(&w, vc, i);
            if (!(n > 0))
                n = vm->vcpus;
            cpus[i] = wv(&w, t, i) / 1e9;
            frac[i] = safe_div(cpus[i], n);
            if (cpus[i] > M_CPU_ACTIVE)
                vm->cpu_active = true;
        }
        summarize(c, frac, w.n, w.expected, &vm->cpu);
        summarize(c, cpus, w.n, w.expected, &vm->cpu_cpus);
        if (vm->vcpus <= 0) {
            double n =
                stats_last_finite(vc ? vc->v + w.i0 : NULL, vc ? w.n : 0);
            if (n > 0 && n < 1e6)
                vm->vcpus = (int)n;
        }
    }
    free(frac);
    free(cpus);
    series_set_free(&w.set);
}

static void gather_vm_mem(struct m_ctx *c, struct m_vm *vm)
{
    struct m_win w;
    double *frac, *used;
    char note[M_NOTE_LEN];
    size_t nb = 0, nr = 0;

    if (fetch_month(c, SDC_AR_VM_MEM, vm->uuid, NULL, &w, note, sizeof(note)) !=
        SDC_OK) {
        series_set_free(&w.set);
        return;
    }
    frac = malloc((w.n ? w.n : 1) * sizeof(*frac));
    used = malloc((w.n ? w.n : 1) * sizeof(*used));
    if (!frac || !used) {
        m_set_oom(c);
    } else {
        const struct series *cur = wds(&w, "current"),
                            *usable = wds(&w, "usable"), *rss = wds(&w, "rss");
        double last_cur = NAN;
        for (size_t i = 0; i < w.n; i++) {
            double cu = wv(&w, cur, i);
            double alloc = isfinite(cu) && cu > 0 ? cu : vm->memory;
            int how;
            used[i] = vm_mem_used(cu, wv(&w, usable, i), wv(&w, rss, i), &how);
            frac[i] = safe_div(used[i], alloc);
            nb += how == M_MEM_BALLOON;
            nr += how == M_MEM_RSS;
            if (isfinite(cu) && cu > 0)
                last_cur = cu;
        }
        summarize(c, frac, w.n, w.expected, &vm->mem);
        summarize(c, used, w.n, w.expected, &vm->mem_bytes);
        vm->mem_method = nb && nr ? M_MEM_MIXED
                         : nb     ? M_MEM_BALLOON
                         : nr     ? M_MEM_RSS
                                  : M_MEM_NONE;
        if (!(vm->memory > 0))
            vm->memory = last_cur;
    }
    free(frac);
    free(used);
    series_set_free(&w.set);
}

static void gather_vm_net(struct m_ctx *c, struct m_vm *vm)
{
    char dir[4096];
    size_t nf = 0, rows = 0, expected = 0;
    char **files;
    double *sum = NULL;
    time_t start = 0, step = 0;

    archive_dir(c, "vm", vm->uuid, dir, sizeof(dir));
    files = list_dir(c, dir, "net-", ".rrd", &nf);
    vm->n_net_files = nf;
    for (size_t f = 0; f < nf; f++) {
        struct m_win w;
        char note[M_NOTE_LEN];
        const struct series *rx, *tx;
        if (fetch_month(c, SDC_AR_VM_NET, vm->uuid, files[f], &w, note,
                        sizeof(note)) != SDC_OK) {
            series_set_free(&w.set);
            continue;
        }
        if (!sum) {
            rows = w.n;
            expected = w.expected;
            start = w.start;
            step = w.step;
            sum = malloc((rows ? rows : 1) * sizeof(*sum));
            if (!sum) {
                m_set_oom(c);
                series_set_free(&w.set);
                break;
            }
            for (size_t i = 0; i < rows; i++)
                sum[i] = NAN;
        }
        if (w.n != rows || w.start != start || w.step != step) {
            snprintf(vm->note, sizeof(vm->note),
                     "net-%s.rrd has another resolution: left out", files[f]);
            series_set_free(&w.set);
            continue;
        }
        rx = wds(&w, "rx_bytes");
        tx = wds(&w, "tx_bytes");
        for (size_t i = 0; i < rows; i++) {
            double a = wv(&w, rx, i), b = wv(&w, tx, i), s;
            if (!isfinite(a) && !isfinite(b))
                continue;
            s = (isfinite(a) ? a : 0) + (isfinite(b) ? b : 0);
            sum[i] = isfinite(sum[i]) ? sum[i] + s : s;
        }
        series_set_free(&w.set);
    }
    if (sum) {
        summarize(c, sum, rows, expected, &vm->net);
    } else if (nf == 0 && vm->n_nics == 0) {
        /* no interface: no traffic, by construction */
        vm->net.p95 = vm->net.mean = vm->net.max = vm->net.min = 0;
        vm->net.last = 0;
    }
    free(sum);
    fs_names_free(files, nf);
}

static void gather_vm(struct m_ctx *c, size_t idx)
{
    struct m_vm *vm = &c->vms[idx];
    /* while this VM's files are read, the disk reads ahead for a later
     * VM's (the workers take VMs in order) */
    if (idx + M_LOOKAHEAD < c->n_vms) {
        prefetch(c, SDC_AR_VM_CPU, c->vms[idx + M_LOOKAHEAD].uuid, NULL);
        prefetch(c, SDC_AR_VM_MEM, c->vms[idx + M_LOOKAHEAD].uuid, NULL);
    }
    size_t expected = stats_expected(c->p.start, c->p.until, M_RESOLUTION);
    stats_empty(expected, &vm->cpu);
    stats_empty(expected, &vm->cpu_cpus);
    stats_empty(expected, &vm->mem);
    stats_empty(expected, &vm->mem_bytes);
    stats_empty(expected, &vm->net);
    gather_vm_cpu(c, vm);
    gather_vm_mem(c, vm);
    gather_vm_net(c, vm);
}

static void gather_pool(struct m_ctx *c, size_t idx)
{
    struct m_pool *pl = &c->pools[idx];
    struct m_win w;
    double *v;

    stats_empty(0, &pl->use);
    if (fetch_month(c, SDC_AR_POOL_USAGE, pl->key, NULL, &w, pl->note,
                    sizeof(pl->note)) == SDC_OK) {
        const struct series *cap = wds(&w, "capacity"),
                            *al = wds(&w, "allocation");
        v = malloc((w.n ? w.n : 1) * sizeof(*v));
        if (!v) {
            m_set_oom(c);
        } else {
            for (size_t i = 0; i < w.n; i++) {
                double cp = wv(&w, cap, i), a = wv(&w, al, i);
                v[i] = safe_div(a, cp);
                if (isfinite(v[i])) {
                    pl->capacity = cp;
                    pl->allocation = a;
                }
            }
            summarize(c, v, w.n, w.expected, &pl->use);
            for (size_t i = 0; i < w.n; i++)
                v[i] *= 100;
            series_keep(c, &pl->s, &w, v);
        }
        free(v);
    }
    series_set_free(&w.set);
    if (!isfinite(pl->capacity))
        pl->capacity = pl->inv_capacity;
    if (!isfinite(pl->allocation))
        pl->allocation = pl->inv_allocation;
}

static void gather_storage(struct m_ctx *c, size_t idx)
{
    struct m_storage *s = &c->storages[idx];
    struct m_win w;
    double *v;

    stats_empty(0, &s->use);
    s->size = s->used = NAN;
    if (fetch_month(c, SDC_AR_SNMP_STORAGE, s->device, s->descr, &w, s->note,
                    sizeof(s->note)) == SDC_OK) {
        const struct series *sz = wds(&w, "size"), *us = wds(&w, "used");
        v = malloc((w.n ? w.n : 1) * sizeof(*v));
        if (!v) {
            m_set_oom(c);
        } else {
            for (size_t i = 0; i < w.n; i++) {
                v[i] = safe_div(wv(&w, us, i), wv(&w, sz, i));
                if (isfinite(v[i])) {
                    s->size = wv(&w, sz, i);
                    s->used = wv(&w, us, i);
                }
            }
            summarize(c, v, w.n, w.expected, &s->use);
        }
        free(v);
    }
    series_set_free(&w.set);
}

static void gather_iface(struct m_ctx *c, size_t idx)
{
    struct m_iface *f = &c->ifaces[idx];
    struct m_win w;
    double *in, *out, *inb, *outb;
    struct stats sb;

    stats_empty(0, &f->in);
    stats_empty(0, &f->out);
    f->speed = f->in_p95_bps = f->out_p95_bps = NAN;
    if (fetch_month(c, SDC_AR_SNMP_IF, f->device, f->instance, &w, f->note,
                    sizeof(f->note)) != SDC_OK) {
        series_set_free(&w.set);
        return;
    }
    in = malloc((w.n ? w.n : 1) * sizeof(*in));
    out = malloc((w.n ? w.n : 1) * sizeof(*out));
    inb = malloc((w.n ? w.n : 1) * sizeof(*inb));
    outb = malloc((w.n ? w.n : 1) * sizeof(*outb));
    if (!in || !out || !inb || !outb) {
        m_set_oom(c);
    } else {
        const struct series *io = wds(&w, "in_octets"),
                            *oo = wds(&w, "out_octets"), *sp = wds(&w, "speed");
        const char *const cnt[4] = {"in_errors", "out_errors", "in_discards",
                                    "out_discards"};
        double *tot[4] = {&f->in_errors, &f->out_errors, &f->in_discards,
                          &f->out_discards};
        for (size_t i = 0; i < w.n; i++) {
            double s = wv(&w, sp, i);
            if (!(s > 0))
                s = f->inv_speed;
            else
                f->speed = s;
            inb[i] = wv(&w, io, i) * 8;
            outb[i] = wv(&w, oo, i) * 8;
            in[i] = safe_div(inb[i], s);
            out[i] = safe_div(outb[i], s);
        }
        for (int k = 0; k < 4; k++) {
            const struct series *s = wds(&w, cnt[k]);
            *tot[k] = 0;
            for (size_t i = 0; s && i < w.n; i++)
                if (isfinite(wv(&w, s, i)) && wv(&w, s, i) > 0)
                    *tot[k] += wv(&w, s, i) * (double)w.step;
        }
        summarize(c, in, w.n, w.expected, &f->in);
        summarize(c, out, w.n, w.expected, &f->out);
        summarize(c, inb, w.n, w.expected, &sb);
        f->in_p95_bps = sb.p95;
        f->coverage = sb.coverage;
        summarize(c, outb, w.n, w.expected, &sb);
        f->out_p95_bps = sb.p95;
        if (sb.coverage > f->coverage)
            f->coverage = sb.coverage;
    }
    if (!isfinite(f->speed))
        f->speed = f->inv_speed;
    free(in);
    free(out);
    free(inb);
    free(outb);
    series_set_free(&w.set);
}

/* ------------------------------------------------------------- workers */

enum m_job {
    M_JOB_HOST = 0,
    M_JOB_CLUSTER,
    M_JOB_VM,
    M_JOB_POOL,
    M_JOB_STORAGE,
    M_JOB_IFACE,
};

struct m_run {
    struct m_ctx *c;
    enum m_job job;
    const char *what;
    size_t n;
    size_t next;
    size_t done;
    pthread_mutex_t lock;
};

static void run_one(struct m_ctx *c, enum m_job job, size_t i)
{
    switch (job) {
    case M_JOB_HOST:
        gather_host(c, i);
        break;
    case M_JOB_CLUSTER:
        gather_cluster(c, i);
        break;
    case M_JOB_VM:
        gather_vm(c, i);
        break;
    case M_JOB_POOL:
        gather_pool(c, i);
        break;
    case M_JOB_STORAGE:
        gather_storage(c, i);
        break;
    case M_JOB_IFACE:
        gather_iface(c, i);
        break;
    }
}

static void *worker(void *arg)
{
    struct m_run *r = arg;
    for (;;) {
        size_t i;
        pthread_mutex_lock(&r->lock);
        i = r->next++;
        pthread_mutex_unlock(&r->lock);
        if (i >= r->n)
            break;
        run_one(r->c, r->job, i);
        pthread_mutex_lock(&r->lock);
        r->done++;
        if (r->c->o->progress)
            r->c->o->progress(r->c->o->user, r->what, r->done, r->n);
        pthread_mutex_unlock(&r->lock);
    }
    return NULL;
}

static unsigned jobs_wanted(const struct m_ctx *c)
{
    long n;
    if (c->o->jobs)
        return c->o->jobs > M_MAX_JOBS ? M_MAX_JOBS : c->o->jobs;
    n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    n *= M_JOBS_PER_CPU;
    if (n < M_MIN_JOBS)
        n = M_MIN_JOBS;
    return n > M_MAX_JOBS ? M_MAX_JOBS : (unsigned)n;
}

static void run_all(struct m_ctx *c, enum m_job job, const char *what, size_t n)
{
    struct m_run r = {.c = c, .job = job, .what = what, .n = n};
    pthread_t th[M_MAX_JOBS];
    unsigned nt = jobs_wanted(c), started = 0;

    if (n == 0)
        return;
    if (nt > n)
        nt = (unsigned)n;
    pthread_mutex_init(&r.lock, NULL);
    for (unsigned i = 1; i < nt; i++)
        if (pthread_create(&th[started], NULL, worker, &r) == 0)
            started++;
    worker(&r); /* this thread works too */
    for (unsigned i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&r.lock);
}

/* ---------------------------------------------------------- discovery */

static void add_clusters(struct m_ctx *c)
{
    size_t cap = 0;
    char dir[4096];
    char **names;
    size_t nn;

    for (size_t i = 0; i < c->n_hosts; i++) {
        struct m_cluster *cl = NULL;
        if (!*c->hosts[i].cluster)
            continue;
        for (size_t k = 0; k < c->n_clusters; k++)
            if (strcmp(c->clusters[k].name, c->hosts[i].cluster) == 0)
                cl = &c->clusters[k];
        if (!cl) {
            cl = grow(c, (void **)&c->clusters, &c->n_clusters, &cap,
                      sizeof(*cl));
            if (!cl)
                return;
            cl->name = m_strdup(c, c->hosts[i].cluster);
        }
        cl->n_hosts++;
    }
    /* clusters with archives but no known host */
    archive_dir(c, "cluster", NULL, dir, sizeof(dir));
    names = list_dir(c, dir, "", "", &nn);
    for (size_t i = 0; i < nn; i++) {
        bool known = false;
        char s[SDC_NAME_MAX];
        for (size_t k = 0; k < c->n_clusters && !known; k++) {
            sdc_name_sanitize(c->clusters[k].name, s, sizeof(s));
            known = strcmp(s, names[i]) == 0;
        }
        if (!known) {
            struct m_cluster *cl = grow(c, (void **)&c->clusters,
                                        &c->n_clusters, &cap, sizeof(*cl));
            if (cl)
                cl->name = m_strdup(c, names[i]);
        }
    }
    fs_names_free(names, nn);
}

/* VMs with archives that the inventory does not know. */
static void add_unknown_vms(struct m_ctx *c)
{
    char dir[4096];
    size_t nn, cap = c->n_vms;
    char **names;
    struct fd_refs *known = fd_refs_new();

    if (!known) {
        m_set_oom(c);
        return;
    }
    for (size_t i = 0; i < c->n_vms; i++) {
        char s[SDC_NAME_MAX];
        sdc_name_sanitize(c->vms[i].uuid, s, sizeof(s));
        if (!fd_refs_add_disk(known, s, NULL))
            m_set_oom(c);
    }
    archive_dir(c, "vm", NULL, dir, sizeof(dir));
    names = list_dir(c, dir, "", "", &nn);
    for (size_t i = 0; i < nn; i++) {
        struct m_vm *vm;
        if (fd_refs_has(known, names[i]))
            continue;
        vm = grow(c, (void **)&c->vms, &c->n_vms, &cap, sizeof(*vm));
        if (!vm)
            break;
        vm->uuid = m_strdup(c, names[i]);
        vm->name = m_strdup(c, names[i]);
        vm->host = m_strdup(c, "");
        vm->cluster = m_strdup(c, "");
        vm->owner = m_strdup(c, "");
        vm->state = m_strdup(c, "unknown");
        vm->memory = vm->disk_capacity = vm->disk_allocation = NAN;
        vm->n_nics = -1;
        vm->month = FD_MONTH_UNKNOWN;
        snprintf(vm->month_note, sizeof(vm->month_note),
                 "not in the inventory");
    }
    fs_names_free(names, nn);
    fd_refs_free(known);
}

static void add_archive_pools(struct m_ctx *c, size_t *cap)
{
    char dir[4096];
    size_t nn;
    char **names;
    archive_dir(c, "pool", NULL, dir, sizeof(dir));
    names = list_dir(c, dir, "", "", &nn);
    for (size_t i = 0; i < nn; i++) {
        bool known = false;
        char s[SDC_NAME_MAX];
        struct m_pool *pl;
        for (size_t k = 0; k < c->n_pools && !known; k++) {
            sdc_name_sanitize(c->pools[k].key, s, sizeof(s));
            known = strcmp(s, names[i]) == 0;
        }
        if (known)
            continue;
        pl = grow(c, (void **)&c->pools, &c->n_pools, cap, sizeof(*pl));
        if (!pl)
            break;
        pl->key = m_strdup(c, names[i]);
        pl->name = m_strdup(c, names[i]);
        pl->type = m_strdup(c, "");
        pl->inv_capacity = pl->inv_allocation = NAN;
        pl->capacity = pl->allocation = pl->provisioned = NAN;
    }
    fs_names_free(names, nn);
}

/* SNMP interfaces and storages: every archive under rrd/snmp/, named and
 * flagged (uplink) from the inventory and the config. */
static void add_snmp(struct m_ctx *c, const struct inv_ifaces *inv)
{
    char dir[4096], ddir[4096];
    size_t nd, fcap = 0, scap = 0;
    char **devs;

    archive_dir(c, "snmp", NULL, dir, sizeof(dir));
    devs = list_dir(c, dir, "", "", &nd);
    for (size_t d = 0; d < nd; d++) {
        size_t ni, ns;
        char **ifs, **sts;
        snprintf(ddir, sizeof(ddir), "%.3800s/%.255s", dir, devs[d]);
        ifs = list_dir(c, ddir, "if-", ".rrd", &ni);
        for (size_t i = 0; i < ni; i++) {
            struct m_iface *f =
                grow(c, (void **)&c->ifaces, &c->n_ifaces, &fcap, sizeof(*f));
            const struct inv_iface *e = NULL;
            if (!f)
                break;
            for (size_t k = 0; k < inv->n && !e; k++) {
                char sd[SDC_NAME_MAX], si[SDC_NAME_MAX];
                sdc_name_sanitize(inv->e[k].device, sd, sizeof(sd));
                sdc_name_sanitize(inv->e[k].name, si, sizeof(si));
                if (strcmp(sd, devs[d]) == 0 && strcmp(si, ifs[i]) == 0)
                    e = &inv->e[k];
            }
            f->device = m_strdup(c, devs[d]);
            f->instance = m_strdup(c, ifs[i]);
            f->name = m_strdup(c, e ? e->name : ifs[i]);
            f->alias = m_strdup(c, e ? e->alias : "");
            f->inv_speed = e && e->speed > 0 ? e->speed : NAN;
            f->uplink = (e && e->uplink) ||
                        sdc_config_uplink_archive(c->cfg, devs[d], ifs[i]);
        }
        fs_names_free(ifs, ni);
        sts = list_dir(c, ddir, "storage-", ".rrd", &ns);
        for (size_t i = 0; i < ns; i++) {
            struct m_storage *s = grow(c, (void **)&c->storages, &c->n_storages,
                                       &scap, sizeof(*s));
            if (!s)
                break;
            s->device = m_strdup(c, devs[d]);
            s->descr = m_strdup(c, sts[i]);
        }
        fs_names_free(sts, ns);
    }
    fs_names_free(devs, nd);
}

/* ----------------------------------------------------------------- main */

static enum sdc_rc read_inventory(struct m_ctx *c, struct inv_ifaces *ifs,
                                  struct sdc_error *err)
{
    sqlite3 *db = NULL;
    struct stat st;
    size_t pcap = 0;
    enum sdc_rc rc = SDC_OK;

    if (stat(c->inv_path, &st) != 0) {
        m_note(c,
               "No inventory at %s: VM names, owners, states and disks are "
               "unknown; VMs are listed by the UUID of their archives.",
               c->inv_path);
        rc = read_hosts(c, NULL, err);
        goto archives;
    }
    if (sqlite3_open_v2(c->inv_path, &db, SQLITE_OPEN_READONLY, NULL) !=
        SQLITE_OK) {
        rc = sdc_error_set(err, SDC_ERR_DB, "inventory: open '%s': %s",
                           c->inv_path, db ? sqlite3_errmsg(db) : "no memory");
        sqlite3_close(db);
        return rc;
    }
    sqlite3_busy_timeout(db, 5000);
    c->have_inventory = true;
    if ((rc = read_hosts(c, db, err)) || (rc = read_vms(c, db, err)) ||
        (rc = read_pools(c, db, &pcap, err)) ||
        (rc = read_provisioned(c, db, err)) ||
        (rc = read_inv_ifaces(c, db, ifs, err))) {
        sqlite3_close(db);
        return rc;
    }
    sqlite3_close(db);
archives:
    add_unknown_vms(c);
    add_archive_pools(c, &pcap);
    return rc;
}

enum sdc_rc m_gather(struct m_ctx *c, struct sdc_error *err)
{
    struct inv_ifaces ifs = {0};
    enum sdc_rc rc;

    c->refs = fd_refs_new();
    if (!c->refs)
        return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
    rc = read_inventory(c, &ifs, err);
    if (rc == SDC_OK) {
        add_clusters(c);
        add_snmp(c, &ifs);
    }
    inv_ifaces_free(&ifs);
    if (rc != SDC_OK)
        return rc;
    /* VM counts per host */
    for (size_t i = 0; i < c->n_vms; i++) {
        struct m_host *h = host_find(c, c->vms[i].host);
        if (h)
            h->n_vms++;
    }
    run_all(c, M_JOB_HOST, "hosts", c->n_hosts);
    run_all(c, M_JOB_CLUSTER, "clusters", c->n_clusters);
    run_all(c, M_JOB_VM, "VMs", c->n_vms);
    run_all(c, M_JOB_POOL, "pools", c->n_pools);
    run_all(c, M_JOB_STORAGE, "storages", c->n_storages);
    run_all(c, M_JOB_IFACE, "interfaces", c->n_ifaces);
    if (c->oom)
        return sdc_error_set(err, SDC_ERR_NOMEM,
                             "out of memory reading the archives");
    return SDC_OK;
}

static void free_series(struct m_series *s)
{
    free(s->v);
    s->v = NULL;
}

void m_ctx_free(struct m_ctx *c)
{
    for (size_t i = 0; i < c->n_hosts; i++) {
        m_free(c->hosts[i].name);
        m_free(c->hosts[i].cluster);
    }
    free(c->hosts);
    for (size_t i = 0; i < c->n_clusters; i++) {
        m_free(c->clusters[i].name);
        free_series(&c->clusters[i].cpu_s);
        free_series(&c->clusters[i].mem_s);
    }
    free(c->clusters);
    for (size_t i = 0; i < c->n_vms; i++) {
        struct m_vm *v = &c->vms[i];
        m_free(v->uuid);
        m_free(v->name);
        m_free(v->owner);
        m_free(v->host);
        m_free(v->cluster);
        m_free(v->state);
    }
    free(c->vms);
    for (size_t i = 0; i < c->n_pools; i++) {
        struct m_pool *p = &c->pools[i];
        m_free(p->key);
        m_free(p->name);
        m_free(p->type);
        free_series(&p->s);
        for (size_t k = 0; k < p->n_hosts; k++) {
            m_free(p->hosts[k]);
            m_free(p->host_names[k]);
        }
        free(p->hosts);
        free(p->host_names);
    }
    free(c->pools);
    for (size_t i = 0; i < c->n_volumes; i++) {
        m_free(c->volumes[i].pool_key);
        m_free(c->volumes[i].name);
        m_free(c->volumes[i].path);
    }
    free(c->volumes);
    for (size_t i = 0; i < c->n_storages; i++) {
        m_free(c->storages[i].device);
        m_free(c->storages[i].descr);
    }
    free(c->storages);
    for (size_t i = 0; i < c->n_ifaces; i++) {
        m_free(c->ifaces[i].device);
        m_free(c->ifaces[i].name);
        m_free(c->ifaces[i].instance);
        m_free(c->ifaces[i].alias);
    }
    free(c->ifaces);
    fd_refs_free(c->refs);
    free(c->inv_path);
    json_decref(c->notes);
}

enum sdc_rc monthly_build(const struct monthly_opts *o,
                          struct monthly_report *out, struct sdc_error *err)
{
    struct m_ctx c;
    enum sdc_rc rc;

    memset(out, 0, sizeof(*out));
    if (!o || !o->cfg || !o->period)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "monthly report: no configuration or month");
    if (o->period->future)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "month %s has not begun: nothing to report yet",
                             o->period->name);
    memset(&c, 0, sizeof(c));
    c.o = o;
    c.cfg = o->cfg;
    c.p = *o->period;
    c.now = o->now ? o->now : time(NULL);
    c.src.data_dir = o->cfg->data_dir;
    c.src.rrdcached = o->cfg->rrdcached;
    fd_limits_from_config(o->cfg, &c.lim);
    pthread_mutex_init(&c.lock, NULL);
    c.notes = json_array();
    if (!c.notes ||
        asprintf(&c.inv_path, "%s/inventory.db", o->cfg->data_dir) < 0) {
        c.inv_path = NULL;
        rc = sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = m_gather(&c, err);
    if (rc == SDC_OK)
        rc = m_build_doc(&c, out, err);
out:
    m_ctx_free(&c);
    pthread_mutex_destroy(&c.lock);
    return rc;
}

void monthly_report_free(struct monthly_report *r)
{
    if (!r)
        return;
    json_decref(r->doc);
    json_decref(r->view);
    r->doc = r->view = NULL;
}
