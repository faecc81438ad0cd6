/*
 * augment.c - the augmentation projection: which resources, their daily
 * demand series, forecasts, planned demand, runways and purchases
 * (augment.h).  The document is built in augment_doc.c.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "augment_priv.h"
#include "fsutil.h"
#include "sdc/schema.h"
#include "stats.h"

#define DAY 86400
#define GIB 1073741824.0
#define TIB (GIB * 1024)
#define A_MAX_JOBS 16

/* ------------------------------------------------------------ helpers */

static void set_oom(struct a_ctx *c)
{
    pthread_mutex_lock(&c->lock);
    c->oom = true;
    pthread_mutex_unlock(&c->lock);
}

void a_note(struct a_ctx *c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&c->lock);
    if (json_array_append_new(c->notes, json_string(buf)))
        c->oom = true;
    pthread_mutex_unlock(&c->lock);
}

void a_res_note(struct a_res *r, const char *fmt, ...)
{
    va_list ap;
    if (r->n_notes >= A_NOTES_MAX)
        return;
    va_start(ap, fmt);
    vsnprintf(r->notes[r->n_notes++], A_NOTE_LEN, fmt, ap);
    va_end(ap);
}

const char *a_kind_key(enum a_kind k)
{
    static const char *const keys[] = {"cpu", "memory", "pool", "storage",
                                       "uplink"};
    return (unsigned)k < 5 ? keys[k] : "unknown";
}

static const char *const month_names[12] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

void a_day_text(int64_t day, char *buf, size_t len)
{
    int y, m, d;
    fc_day_to_ymd(day, &y, &m, &d);
    snprintf(buf, len, "%d %s %d", d, month_names[m - 1], y);
}

void a_month_text(int64_t day, char *buf, size_t len)
{
    int y, m, d;
    fc_day_to_ymd(day, &y, &m, &d);
    snprintf(buf, len, "%s %d", month_names[m - 1], y);
}

void a_day_iso(int64_t day, char *buf, size_t len)
{
    int y, m, d;
    fc_day_to_ymd(day, &y, &m, &d);
    snprintf(buf, len, "%04d-%02d-%02d", y, m, d);
}

enum sdc_rc aug_parse_day(const char *s, int64_t *day, struct sdc_error *err)
{
    int y, m, d, y2, m2, d2;
    char tail;
    if (!s || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 ||
        m > 12 || d < 1 || d > 31)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "'%.40s' is not a date YYYY-MM-DD", s ? s : "");
    *day = fc_day_from_ymd(y, m, d);
    fc_day_to_ymd(*day, &y2, &m2, &d2);
    if (d2 != d)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "'%.40s' is not a day of the calendar", s);
    return SDC_OK;
}

/* @day plus @months calendar months (the day of the month kept, or the
 * month's last day). */
static int64_t add_months(int64_t day, int months)
{
    int y, m, d, last;
    fc_day_to_ymd(day, &y, &m, &d);
    m += months;
    y += (m - 1) / 12;
    m = (m - 1) % 12 + 1;
    last = (int)(fc_day_from_ymd(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) -
                 fc_day_from_ymd(y, m, 1));
    return fc_day_from_ymd(y, m, d > last ? last : d);
}

enum sdc_rc aug_parse_horizons(const char *s, int *out, size_t *n,
                               struct sdc_error *err)
{
    const char *p = s;
    *n = 0;
    while (p && *p) {
        char *end;
        long v;
        errno = 0;
        v = strtol(p, &end, 10);
        if (errno || end == p || (*end && *end != ',') || v < 1 ||
            v > AUG_HORIZON_MAX_MONTHS)
            return sdc_error_set(err, SDC_ERR_INVALID,
                                 "'%.40s' is not a list of months from 1 to "
                                 "%d (e.g. 6,12)",
                                 s, AUG_HORIZON_MAX_MONTHS);
        {
            size_t k = 0;
            while (k < *n && out[k] < v)
                k++;
            if (k == *n || out[k] != v) {
                if (*n == AUG_MAX_HORIZONS)
                    return sdc_error_set(err, SDC_ERR_INVALID,
                                         "at most %d horizons",
                                         AUG_MAX_HORIZONS);
                memmove(out + k + 1, out + k, (*n - k) * sizeof(*out));
                out[k] = (int)v;
                (*n)++;
            }
        }
        p = *end ? end + 1 : end;
    }
    if (*n == 0)
        return sdc_error_set(err, SDC_ERR_INVALID, "no horizon given");
    return SDC_OK;
}

/* ----------------------------------------------------------- discovery */

/* Entries of @dir (directories when @dirs, else files starting with
 * @prefix and ending in ".rrd", given without them), sorted. */
static char **list_dir(struct a_ctx *c, const char *dir, bool dirs,
                       const char *prefix, size_t *n)
{
    char **v;
    if (fs_list_names(dir, dirs ? "" : prefix, dirs ? "" : ".rrd", dirs, 0, &v,
                      n) != SDC_OK)
        set_oom(c);
    return v;
}

static char *xstrdup(struct a_ctx *c, const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        set_oom(c);
    return d;
}

static struct a_res *res_add(struct a_ctx *c, size_t *cap, enum a_kind kind,
                             const char *id, const char *name,
                             const char *cluster)
{
    struct a_res *r;
    if (c->n_res == *cap) {
        size_t nc = *cap ? *cap * 2 : 32;
        struct a_res *q = realloc(c->res, nc * sizeof(*q));
        if (!q) {
            set_oom(c);
            return NULL;
        }
        c->res = q;
        *cap = nc;
    }
    r = &c->res[c->n_res];
    memset(r, 0, sizeof(*r));
    r->kind = kind;
    r->id = xstrdup(c, id);
    r->name = xstrdup(c, name);
    r->cluster = xstrdup(c, cluster);
    r->order = (int)c->n_res;
    r->capacity = NAN;
    r->alloc_now = NAN;
    r->used_now = NAN;
    r->busy_per_vcpu = NAN;
    r->last_day = -1;
    c->n_res++;
    return r;
}

/* What the inventory says about clusters and pools. */
struct a_inv {
    bool have;
    sqlite3 *db;
};

static void inv_open(struct a_ctx *c, struct a_inv *inv)
{
    char p[4096];
    struct stat st;
    memset(inv, 0, sizeof(*inv));
    snprintf(p, sizeof(p), "%s/inventory.db", c->cfg->data_dir);
    if (stat(p, &st) != 0) {
        a_note(c,
               "No inventory (%s): host counts come from the configuration "
               "and a core of the host model counts as one logical CPU.",
               p);
        return;
    }
    if (sqlite3_open_v2(p, &inv->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        a_note(c,
               "The inventory %s could not be opened (%s): host counts "
               "come from the configuration.",
               p, inv->db ? sqlite3_errmsg(inv->db) : "no memory");
        sqlite3_close(inv->db);
        inv->db = NULL;
        return;
    }
    sqlite3_busy_timeout(inv->db, 5000);
    inv->have = true;
}

/* Hosts of @name in the inventory (seen within a week of the latest) and
 * their logical CPUs per core. */
static void inv_cluster(struct a_inv *inv, struct a_cluster *cl)
{
    sqlite3_stmt *st = NULL;
    double cpus = 0, cores = 0;
    if (!inv->have)
        return;
    if (sqlite3_prepare_v2(
            inv->db,
            "SELECT count(*), sum(cpus), sum(cores) FROM hypervisors WHERE "
            "cluster = ?1 AND last_seen >= (SELECT max(last_seen) FROM "
            "hypervisors) - 7 * 86400",
            -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, cl->name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        int n = sqlite3_column_int(st, 0);
        if (n > 0)
            cl->hosts = n;
        cpus = sqlite3_column_double(st, 1);
        cores = sqlite3_column_double(st, 2);
        if (cpus > 0 && cores > 0) {
            cl->threads_per_core = cpus / cores;
            cl->threads_known = true;
        }
    }
    sqlite3_finalize(st);
    if (cl->threads_known)
        return;
    /* no current hosts listed: the latest daily snapshot of the cluster */
    if (sqlite3_prepare_v2(inv->db,
                           "SELECT hosts, cpus, cores FROM snapshot_cluster "
                           "WHERE cluster = ?1 ORDER BY day DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, cl->name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        int n = sqlite3_column_int(st, 0);
        cpus = sqlite3_column_double(st, 1);
        cores = sqlite3_column_double(st, 2);
        if (n > 0)
            cl->hosts = n;
        if (cpus > 0 && cores > 0) {
            cl->threads_per_core = cpus / cores;
            cl->threads_known = true;
        }
    }
    sqlite3_finalize(st);
}

/* The provisioned storage of pool @key in the latest daily snapshot (the
 * disk capacity of the volumes VMs use there); NaN when none. */
static double inv_provisioned(struct a_inv *inv, const char *key)
{
    sqlite3_stmt *st = NULL;
    double v = NAN;
    if (!inv->have ||
        sqlite3_prepare_v2(inv->db,
                           "SELECT provisioned FROM snapshot_pool WHERE "
                           "pool_key = ?1 AND provisioned IS NOT NULL ORDER "
                           "BY day DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return v;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The pools of the inventory, key and name. */
static void inv_pools(struct a_ctx *c, struct a_inv *inv, char ***keys,
                      char ***names, size_t *n)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    *keys = NULL;
    *names = NULL;
    *n = 0;
    if (!inv->have ||
        sqlite3_prepare_v2(inv->db,
                           "SELECT key, coalesce(name, '') FROM pools ORDER "
                           "BY key",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **k = realloc(*keys, nc * sizeof(*k));
            char **m;
            if (!k) {
                set_oom(c);
                break;
            }
            *keys = k;
            m = realloc(*names, nc * sizeof(*m));
            if (!m) {
                set_oom(c);
                break;
            }
            *names = m;
            cap = nc;
        }
        (*keys)[*n] = xstrdup(c, (const char *)sqlite3_column_text(st, 0));
        (*names)[*n] = xstrdup(c, (const char *)sqlite3_column_text(st, 1));
        (*n)++;
    }
    sqlite3_finalize(st);
}

static int count_config_hosts(const struct sdc_config *cfg, const char *cl)
{
    int n = 0;
    for (size_t i = 0; i < cfg->n_hypervisors; i++)
        if (strcmp(cfg->hypervisors[i].cluster, cl) == 0)
            n++;
    return n;
}

static void add_cluster(struct a_ctx *c, size_t *rcap, size_t *ccap,
                        struct a_inv *inv, const char *name)
{
    struct a_cluster *cl;
    const struct sdc_cluster_cfg *cc = sdc_config_find_cluster(c->cfg, name);
    char nm[256];
    if (c->n_cl == *ccap) {
        size_t nc = *ccap ? *ccap * 2 : 8;
        struct a_cluster *q = realloc(c->cl, nc * sizeof(*q));
        if (!q) {
            set_oom(c);
            return;
        }
        c->cl = q;
        *ccap = nc;
    }
    cl = &c->cl[c->n_cl++];
    memset(cl, 0, sizeof(*cl));
    cl->name = xstrdup(c, name);
    cl->hosts = count_config_hosts(c->cfg, name);
    cl->threads_per_core = 1;
    cl->ha_reserve = cc ? cc->ha_reserve_hosts : 1;
    cl->max_vcpu_per_cpu = cc ? cc->max_vcpu_per_cpu : 4.0;
    cl->model =
        cc && cc->has_host_model ? cc->host_model : c->cfg->capacity.host_model;
    inv_cluster(inv, cl);
    /* the resources point at the cluster by index (realloc moves them) */
    snprintf(nm, sizeof(nm), "%s CPU", name);
    res_add(c, rcap, A_CPU, name, nm, name);
    snprintf(nm, sizeof(nm), "%s memory", name);
    res_add(c, rcap, A_MEMORY, name, nm, name);
}

static enum sdc_rc discover(struct a_ctx *c, struct sdc_error *err)
{
    char dir[4096];
    char **names, **keys = NULL, **pnames = NULL;
    size_t n, np = 0, rcap = 0, ccap = 0;
    struct a_inv inv;

    inv_open(c, &inv);
    /* clusters: the configuration's, then archives of others */
    for (size_t i = 0; i < c->cfg->n_hypervisors; i++) {
        const char *cl = c->cfg->hypervisors[i].cluster;
        bool seen = false;
        for (size_t k = 0; k < c->n_cl; k++)
            seen |= strcmp(c->cl[k].name, cl) == 0;
        if (!seen)
            add_cluster(c, &rcap, &ccap, &inv, cl);
    }
    snprintf(dir, sizeof(dir), "%s/rrd/cluster", c->cfg->data_dir);
    names = list_dir(c, dir, true, "", &n);
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        char s[SDC_NAME_MAX];
        for (size_t k = 0; k < c->n_cl; k++) {
            sdc_name_sanitize(c->cl[k].name, s, sizeof(s));
            seen |= strcmp(s, names[i]) == 0;
        }
        if (!seen)
            add_cluster(c, &rcap, &ccap, &inv, names[i]);
    }
    fs_names_free(names, n);

    /* pools: archives and the inventory */
    inv_pools(c, &inv, &keys, &pnames, &np);
    snprintf(dir, sizeof(dir), "%s/rrd/pool", c->cfg->data_dir);
    names = list_dir(c, dir, true, "", &n);
    for (size_t i = 0; i < np; i++) {
        /* a name shared by several pools ("default") is shown with its key */
        size_t same = 0;
        char nm[512];
        for (size_t k = 0; k < np; k++)
            same += *pnames[i] && strcmp(pnames[i], pnames[k]) == 0;
        if (!*pnames[i] || same > 1)
            snprintf(nm, sizeof(nm), "%s%s%s", *pnames[i] ? pnames[i] : "",
                     *pnames[i] ? " " : "", keys[i]);
        else
            snprintf(nm, sizeof(nm), "%s", pnames[i]);
        {
            struct a_res *r = res_add(c, &rcap, A_POOL, keys[i], nm, "");
            if (r)
                r->alloc_now = inv_provisioned(&inv, keys[i]);
        }
    }
    for (size_t i = 0; i < n; i++) {
        char s[SDC_NAME_MAX];
        bool seen = false;
        for (size_t k = 0; k < np; k++) {
            sdc_name_sanitize(keys[k], s, sizeof(s));
            seen |= strcmp(s, names[i]) == 0;
        }
        if (!seen)
            res_add(c, &rcap, A_POOL, names[i], names[i], "");
    }
    fs_names_free(names, n);
    fs_names_free(keys, np);
    fs_names_free(pnames, np);

    /* SNMP storages and uplinks of the configured devices */
    for (size_t i = 0; i < c->cfg->n_snmp; i++) {
        const struct sdc_snmp_cfg *d = &c->cfg->snmp[i];
        char sid[SDC_NAME_MAX], id[512];
        sdc_name_sanitize(d->name, sid, sizeof(sid));
        snprintf(dir, sizeof(dir), "%s/rrd/snmp/%s", c->cfg->data_dir, sid);
        names = list_dir(c, dir, false, "storage-", &n);
        for (size_t k = 0; k < n; k++) {
            snprintf(id, sizeof(id), "%s/%s", d->name, names[k]);
            res_add(c, &rcap, A_STORAGE, id, id, "");
        }
        fs_names_free(names, n);
        for (size_t k = 0; k < d->n_uplinks; k++) {
            snprintf(id, sizeof(id), "%s/%s", d->name, d->uplinks[k]);
            res_add(c, &rcap, A_UPLINK, id, id, "");
        }
    }
    if (inv.db)
        sqlite3_close(inv.db);
    /* link clusters and their resources (the arrays no longer move) */
    for (size_t k = 0; k < c->n_cl; k++)
        for (size_t i = 0; i < c->n_res; i++) {
            if (c->res[i].kind == A_CPU &&
                strcmp(c->res[i].cluster, c->cl[k].name) == 0)
                c->cl[k].cpu = &c->res[i];
            if (c->res[i].kind == A_MEMORY &&
                strcmp(c->res[i].cluster, c->cl[k].name) == 0)
                c->cl[k].mem = &c->res[i];
        }
    if (c->oom)
        return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
    return SDC_OK;
}

/* -------------------------------------------------------------- reading */

/* The archive of a resource, and its instance. */
static void res_archive(const struct a_res *r, enum sdc_archive *type, char *id,
                        size_t idlen, char *inst, size_t ilen)
{
    const char *slash;
    *inst = 0;
    switch (r->kind) {
    case A_CPU:
        *type = SDC_AR_CLUSTER_CPU;
        snprintf(id, idlen, "%s", r->id);
        break;
    case A_MEMORY:
        *type = SDC_AR_CLUSTER_MEM;
        snprintf(id, idlen, "%s", r->id);
        break;
    case A_POOL:
        *type = SDC_AR_POOL_USAGE;
        snprintf(id, idlen, "%s", r->id);
        break;
    case A_STORAGE:
    case A_UPLINK:
        *type = r->kind == A_STORAGE ? SDC_AR_SNMP_STORAGE : SDC_AR_SNMP_IF;
        slash = strchr(r->id, '/');
        snprintf(id, idlen, "%.*s", (int)(slash ? slash - r->id : 0), r->id);
        snprintf(inst, ilen, "%s", slash ? slash + 1 : "");
        break;
    }
}

/* The days d0 .. d0 + nd - 1 of @s: the mean (or the max) of its rows in
 * each day (a row at t covers (t - step, t]). */
static void to_days(const struct series *s, bool take_max, int64_t d0,
                    size_t nd, double *out, unsigned *cnt)
{
    for (size_t d = 0; d < nd; d++) {
        out[d] = NAN;
        cnt[d] = 0;
    }
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        double v = s->v[i];
        int64_t t = (int64_t)series_time(s, i), day;
        if (!isfinite(v))
            continue;
        day = (t - 1) >= 0 ? (t - 1) / DAY : -1;
        if (day < d0 || day >= d0 + (int64_t)nd)
            continue;
        day -= d0;
        if (cnt[day] == 0)
            out[day] = v;
        else if (take_max)
            out[day] = v > out[day] ? v : out[day];
        else
            out[day] += v;
        cnt[day]++;
    }
    if (!take_max)
        for (size_t d = 0; d < nd; d++)
            if (cnt[d])
                out[d] /= cnt[d];
}

/* Fetch one consolidation of the resource's archive over the history. */
static enum sdc_rc fetch_cf(struct a_ctx *c, const struct a_res *r,
                            const char *cf, struct series_set *set,
                            struct sdc_error *err)
{
    enum sdc_archive type = SDC_AR_CLUSTER_CPU;
    char id[512], inst[512];
    struct fetch_req rq = {0};
    res_archive(r, &type, id, sizeof(id), inst, sizeof(inst));
    rq.type = type;
    rq.id = id;
    rq.instance = *inst ? inst : NULL;
    rq.cf = cf;
    rq.start = (time_t)((c->today - AUG_HISTORY_DAYS) * DAY);
    rq.end = (time_t)(c->today * DAY);
    rq.resolution = DAY;
    return fetch_all(&c->src, &rq, set, err);
}

/* Daily values of one quantity from @set: @a, or @b - @c when @a has none
 * on a day (pool used), or max(@a, @b) * @scale when @max_of (uplinks). */
struct quantity {
    const char *a;
    const char *b;
    const char *c;
    bool max_of;
    double scale;
};

static void daily(const struct series_set *set, const struct quantity *q,
                  bool take_max, int64_t d0, size_t nd, double *out,
                  double *tmp, unsigned *cnt)
{
    const struct series *a = set ? series_set_find(set, q->a) : NULL;
    to_days(a, take_max, d0, nd, out, cnt);
    if (q->max_of && set) {
        to_days(series_set_find(set, q->b), take_max, d0, nd, tmp, cnt);
        for (size_t d = 0; d < nd; d++)
            if (isfinite(tmp[d]) && (!isfinite(out[d]) || tmp[d] > out[d]))
                out[d] = tmp[d];
    } else if (q->b && q->c && set) {
        double *t2 = tmp + nd;
        to_days(series_set_find(set, q->b), take_max, d0, nd, tmp, cnt);
        to_days(series_set_find(set, q->c), take_max, d0, nd, t2, cnt);
        for (size_t d = 0; d < nd; d++)
            if (!isfinite(out[d]) && isfinite(tmp[d]) && isfinite(t2[d]))
                out[d] = tmp[d] - t2[d];
    }
    for (size_t d = 0; d < nd; d++)
        out[d] *= q->scale;
}

static void read_res(struct a_ctx *c, struct a_res *r)
{
    static const struct quantity used = {"used", NULL, NULL, false, 1};
    static const struct quantity pool = {"allocation", "capacity", "available",
                                         false, 1};
    static const struct quantity link = {"in_octets", "out_octets", NULL, true,
                                         8};
    const struct quantity *q = r->kind == A_POOL     ? &pool
                               : r->kind == A_UPLINK ? &link
                                                     : &used;
    const char *cap_ds = r->kind == A_STORAGE  ? "size"
                         : r->kind == A_UPLINK ? "speed"
                                               : "capacity";
    const char *alloc_ds = r->kind == A_CPU      ? "vcpus"
                           : r->kind == A_MEMORY ? "allocated"
                                                 : NULL;
    struct series_set avg = {0}, mx = {0};
    struct sdc_error e = {0};
    int64_t d0 = c->today - AUG_HISTORY_DAYS, first = -1, last = -1;
    size_t nd = AUG_HISTORY_DAYS;
    double *peak = NULL, *mean = NULL, *alloc = NULL, *cap = NULL, *tmp = NULL;
    unsigned *cnt = NULL;
    bool have_max;
    static const struct quantity capq = {NULL, NULL, NULL, false, 1};
    struct quantity cq = capq;

    r->target = r->kind == A_CPU      ? c->cfg->capacity.target_cpu
                : r->kind == A_MEMORY ? c->cfg->capacity.target_memory
                : r->kind == A_UPLINK ? c->cfg->capacity.target_network
                                      : c->cfg->capacity.target_storage;
    r->fit_peak =
        r->kind == A_CPU || r->kind == A_MEMORY || r->kind == A_UPLINK;
    if (fetch_cf(c, r, "AVERAGE", &avg, &e) != SDC_OK) {
        snprintf(r->why, sizeof(r->why), "%s",
                 e.code == SDC_ERR_IO ? "no archive" : e.msg);
        if (e.code != SDC_ERR_IO)
            snprintf(r->why, sizeof(r->why), "the archive cannot be read: %s",
                     e.msg);
        return;
    }
    have_max = fetch_cf(c, r, "MAX", &mx, &e) == SDC_OK;
    peak = malloc(nd * sizeof(*peak));
    mean = malloc(nd * sizeof(*mean));
    cap = malloc(nd * sizeof(*cap));
    tmp = malloc(2 * nd * sizeof(*tmp));
    cnt = malloc(nd * sizeof(*cnt));
    if (alloc_ds)
        alloc = malloc(nd * sizeof(*alloc));
    if (!peak || !mean || !cap || !tmp || !cnt || (alloc_ds && !alloc)) {
        set_oom(c);
        goto out;
    }
    daily(&avg, q, false, d0, nd, mean, tmp, cnt);
    if (have_max)
        daily(&mx, q, true, d0, nd, peak, tmp, cnt);
    else
        memcpy(peak, mean, nd * sizeof(*peak));
    if (r->fit_peak && !have_max)
        a_res_note(r, "the archive has no daily maximum: the daily mean is "
                      "forecast instead of the daily peak");
    cq.a = cap_ds;
    daily(&avg, &cq, false, d0, nd, cap, tmp, cnt);
    r->capacity = stats_last_finite(cap, nd);
    if (alloc) {
        cq.a = alloc_ds;
        daily(&avg, &cq, false, d0, nd, alloc, tmp, cnt);
        r->alloc_now = stats_last_finite(alloc, nd);
    }
    /* the history runs from the first day with data to yesterday */
    r->fit = r->fit_peak ? peak : mean;
    for (size_t d = 0; d < nd; d++)
        if (isfinite(r->fit[d])) {
            if (first < 0)
                first = (int64_t)d;
            last = (int64_t)d;
            r->n_known++;
        }
    if (first < 0) {
        r->fit = NULL;
        snprintf(r->why, sizeof(r->why),
                 "no daily value in the last %d days (every day UNKNOWN; a "
                 "new archive has none before its first whole UTC day)",
                 AUG_HISTORY_DAYS);
        goto out;
    }
    r->start_day = d0 + first;
    r->n = nd - (size_t)first;
    r->last_day = d0 + last;
    memmove(peak, peak + first, r->n * sizeof(*peak));
    memmove(mean, mean + first, r->n * sizeof(*mean));
    if (alloc)
        memmove(alloc, alloc + first, r->n * sizeof(*alloc));
    r->peak = peak;
    r->mean = mean;
    r->alloc = alloc;
    r->fit = r->fit_peak ? peak : mean;
    peak = mean = alloc = NULL;
    r->used_now = r->fit[last - first];
out:
    free(peak);
    free(mean);
    free(alloc);
    free(cap);
    free(tmp);
    free(cnt);
    series_set_free(&avg);
    series_set_free(&mx);
}

static void forecast_res(struct a_ctx *c, struct a_res *r)
{
    struct fc_options fo;
    struct fc_series s;
    struct sdc_error e = {0};
    if (!r->fit)
        return;
    fc_options_init(&fo);
    fo.horizon = AUG_RUNWAY_DAYS + 1;
    s.start_day = r->start_day;
    s.v = r->fit;
    s.n = r->n;
    if (fc_forecast(&s, &fo, &r->fc, &e) != SDC_OK) {
        if (e.code == SDC_ERR_NOMEM)
            set_oom(c);
        snprintf(r->why, sizeof(r->why), "%s",
                 strncmp(e.msg, "forecast: ", 10) == 0 ? e.msg + 10 : e.msg);
        return;
    }
    r->fc_ok = true;
    r->used_now = r->fc.last_value;
    if (r->fit_peak) {
        /* a daily peak swings with the week (weekend lows): "used today"
         * is the highest daily peak of the last 7 days with the last one */
        int64_t last = r->fc.last_day - r->start_day;
        for (int64_t i = last - (AUG_WEEK - 1); i <= last; i++)
            if (i >= 0 && (size_t)i < r->n && isfinite(r->fit[i]) &&
                r->fit[i] > r->used_now)
                r->used_now = r->fit[i];
    }
    if (r->alloc) {
        fo.models = 1u << FC_MODEL_LINEAR;
        fo.detect_shift = true;
        s.v = r->alloc;
        r->alloc_ok = fc_forecast(&s, &fo, &r->fc_alloc, NULL) == SDC_OK;
    }
}

struct a_run {
    struct a_ctx *c;
    pthread_mutex_t lock;
    size_t next;
    size_t done;
};

static void *worker(void *arg)
{
    struct a_run *w = arg;
    for (;;) {
        size_t i;
        pthread_mutex_lock(&w->lock);
        i = w->next++;
        pthread_mutex_unlock(&w->lock);
        if (i >= w->c->n_res)
            break;
        read_res(w->c, &w->c->res[i]);
        forecast_res(w->c, &w->c->res[i]);
        pthread_mutex_lock(&w->lock);
        w->done++;
        if (w->c->o->progress)
            w->c->o->progress(w->c->o->user, "resources", w->done, w->c->n_res);
        pthread_mutex_unlock(&w->lock);
    }
    return NULL;
}

static void run_all(struct a_ctx *c)
{
    struct a_run w = {.c = c};
    pthread_t th[A_MAX_JOBS];
    unsigned nt = c->o->jobs, started = 0;
    if (nt == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        nt = n < 1 ? 1 : (unsigned)n;
    }
    if (nt > A_MAX_JOBS)
        nt = A_MAX_JOBS;
    if (nt > c->n_res)
        nt = (unsigned)(c->n_res ? c->n_res : 1);
    pthread_mutex_init(&w.lock, NULL);
    for (unsigned i = 1; i < nt; i++)
        if (pthread_create(&th[started], NULL, worker, &w) == 0)
            started++;
    worker(&w);
    for (unsigned i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&w.lock);
}

/* ------------------------------------------------------ planned demand */

static bool pool_matches(const struct a_res *r, const char *want)
{
    char s[SDC_NAME_MAX];
    const char *sp;
    if (!want || !*want)
        return false;
    if (strcmp(r->id, want) == 0 || strcmp(r->name, want) == 0)
        return true;
    sdc_name_sanitize(want, s, sizeof(s));
    if (strcmp(r->id, s) == 0)
        return true;
    /* "default hv01.default": the name before the key */
    sp = strchr(r->name, ' ');
    if (r->kind == A_POOL && sp && strlen(want) == (size_t)(sp - r->name) &&
        strncmp(r->name, want, (size_t)(sp - r->name)) == 0)
        return false; /* an ambiguous name: the key must be given */
    if (r->kind == A_STORAGE) {
        const char *slash = strchr(r->id, '/');
        return slash && strcmp(slash + 1, want) == 0;
    }
    return false;
}

static void add_events(struct a_ctx *c)
{
    for (size_t i = 0; i < c->cfg->n_planned; i++) {
        const struct sdc_planned_cfg *p = &c->cfg->planned[i];
        int64_t from, until = -1;
        bool used = false;
        if (aug_parse_day(p->date, &from, NULL) != SDC_OK ||
            (p->until && aug_parse_day(p->until, &until, NULL) != SDC_OK)) {
            a_note(c, "Planned entry '%s' has no usable date: left out.",
                   p->name);
            continue;
        }
        for (size_t k = 0; k < c->n_res; k++) {
            struct a_res *r = &c->res[k];
            double amount = 0, vcpus = 0;
            if ((r->kind == A_CPU || r->kind == A_MEMORY) && *p->cluster &&
                strcmp(r->cluster, p->cluster) == 0) {
                if (r->kind == A_CPU) {
                    vcpus = p->vcpus;
                    amount = isfinite(r->busy_per_vcpu)
                                 ? p->vcpus * r->busy_per_vcpu
                                 : 0;
                } else {
                    amount = p->memory_gb * GIB;
                }
            } else if ((r->kind == A_POOL || r->kind == A_STORAGE) &&
                       pool_matches(r, p->pool)) {
                amount = p->storage_tb * TIB;
            } else {
                continue;
            }
            used = true;
            if (amount == 0 && vcpus == 0)
                continue;
            {
                struct a_event *q = realloc(r->ev, (r->n_ev + 1) * sizeof(*q));
                if (!q) {
                    set_oom(c);
                    return;
                }
                r->ev = q;
                q[r->n_ev].name = p->name;
                q[r->n_ev].from = from;
                q[r->n_ev].until = until;
                q[r->n_ev].amount = amount;
                q[r->n_ev].vcpus = vcpus;
                r->n_ev++;
            }
        }
        if (!used)
            a_note(c,
                   "Planned entry '%s' (%s:%d) names no cluster or pool "
                   "this report knows (cluster '%s', pool '%s'): left out.",
                   p->name, c->cfg->path, p->line, p->cluster, p->pool);
    }
}

static double planned_on(const struct a_res *r, int64_t day, bool vcpus)
{
    double s = 0;
    for (size_t i = 0; i < r->n_ev; i++)
        if (pu_planned_active(day, r->ev[i].from, r->ev[i].until))
            s += vcpus ? r->ev[i].vcpus : r->ev[i].amount;
    return s;
}

/* ------------------------------------------------------------- lines */

static double nonneg(double x)
{
    return x > 0 ? x : 0;
}

static enum sdc_rc make_lines(struct a_ctx *c, struct a_res *r)
{
    size_t n = AUG_RUNWAY_DAYS + 1;
    double thr = r->target * r->capacity;
    r->n_line = n;
    r->organic = calloc(n, sizeof(double));
    r->line = calloc(n, sizeof(double));
    r->planned = calloc(n, sizeof(double));
    r->lo80 = calloc(n, sizeof(double));
    r->hi80 = calloc(n, sizeof(double));
    r->mean_line = calloc(n, sizeof(double));
    if (r->kind == A_CPU)
        r->vcpu_line = calloc(n, sizeof(double));
    if (!r->organic || !r->line || !r->planned || !r->lo80 || !r->hi80 ||
        !r->mean_line || (r->kind == A_CPU && !r->vcpu_line))
        return SDC_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        int64_t day = c->today + (int64_t)i;
        int64_t j = day - r->fc.path_day;
        double pl = planned_on(r, day, false);
        const struct fc_point *pt =
            j >= 0 && (size_t)j < r->fc.horizon ? &r->fc.path[j] : NULL;
        double m, lo, hi, risk;
        if (i == 0 || !pt) {
            m = lo = hi = risk = r->used_now;
        } else {
            m = pt->mean;
            lo = pt->lo80;
            hi = pt->hi80;
            risk = c->conservative ? hi : m;
        }
        r->planned[i] = pl;
        r->organic[i] = risk;
        r->line[i] = nonneg(risk + pl);
        r->mean_line[i] = nonneg(m + pl);
        r->lo80[i] = nonneg(lo + pl);
        r->hi80[i] = nonneg(hi + pl);
        if (r->vcpu_line) {
            double a = r->alloc_now;
            if (r->alloc_ok && i > 0) {
                int64_t ja = day - r->fc_alloc.path_day;
                if (ja >= 0 && (size_t)ja < r->fc_alloc.horizon)
                    a = c->conservative ? r->fc_alloc.path[ja].hi80
                                        : r->fc_alloc.path[ja].mean;
            }
            r->vcpu_line[i] =
                isfinite(a) ? nonneg(a + planned_on(r, day, true)) : NAN;
        }
    }
    pu_runway(r->line, n, c->today, thr, &r->runway);
    pu_runway(r->organic, n, c->today, thr, &r->runway_organic);
    pu_runway(r->hi80, n, c->today, thr, &r->runway_early);
    pu_runway(r->lo80, n, c->today, thr, &r->runway_late);
    return SDC_OK;
}

/* Days from today through @months ahead (the line's length to use). */
static size_t horizon_len(const struct a_ctx *c, int months)
{
    int64_t end = add_months(c->today, months);
    size_t n = (size_t)(end - c->today + 1);
    return n > AUG_RUNWAY_DAYS + 1 ? AUG_RUNWAY_DAYS + 1 : n;
}

/* ------------------------------------------------- monthly reclaimable */

static void find_monthly(struct a_ctx *c)
{
    char dir[4096];
    char **names;
    const char *month;
    size_t n;
    json_error_t je;
    if (c->o->monthly_path) {
        snprintf(c->monthly_path, sizeof(c->monthly_path), "%s",
                 c->o->monthly_path);
    } else {
        snprintf(dir, sizeof(dir), "%s/monthly", c->cfg->reports.dir);
        names = list_dir(c, dir, true, "", &n);
        *c->monthly_path = 0;
        for (size_t i = n; i-- > 0;) {
            struct stat st;
            char p[4096];
            if (strlen(names[i]) != 7 || names[i][4] != '-')
                continue;
            snprintf(p, sizeof(p), "%s/%s/report.json", dir, names[i]);
            if (stat(p, &st) == 0) {
                snprintf(c->monthly_path, sizeof(c->monthly_path), "%s", p);
                break;
            }
        }
        fs_names_free(names, n);
        if (!*c->monthly_path) {
            a_note(c,
                   "No monthly report under %s: purchases are shown without "
                   "reclaimable capacity only (run sdcmon-report monthly "
                   "first).",
                   dir);
            return;
        }
    }
    c->monthly = json_load_file(c->monthly_path, 0, &je);
    if (!c->monthly || !json_is_object(c->monthly)) {
        a_note(c,
               "The monthly report %s cannot be read (%s, line %d): "
               "purchases are shown without reclaimable capacity.",
               c->monthly_path, je.text, je.line);
        json_decref(c->monthly);
        c->monthly = NULL;
        return;
    }
    c->have_monthly = true;
    month = json_string_value(
        json_object_get(json_object_get(c->monthly, "period"), "name"));
    snprintf(c->monthly_month, sizeof(c->monthly_month), "%s",
             month ? month : "?");
}

/* Sum of @field over the findings lists @kinds whose @key is @want. */
static double reclaim_sum(const struct a_ctx *c, const char *const *kinds,
                          const char *key, const char *want, const char *field)
{
    const json_t *f = json_object_get(c->monthly, "findings");
    double s = 0;
    for (size_t k = 0; kinds[k]; k++) {
        size_t i;
        const json_t *row;
        json_array_foreach(json_object_get(f, kinds[k]), i, row)
        {
            const char *v = json_string_value(json_object_get(row, key));
            double x = json_number_value(
                json_object_get(json_object_get(row, field), "value"));
            if (v && strcmp(v, want) == 0 && isfinite(x) && x > 0)
                s += x;
        }
    }
    return s;
}

double a_reclaim_pool(const struct a_ctx *c, const char *key)
{
    static const char *const kinds[] = {"orphaned_volumes", NULL};
    return c->have_monthly ? reclaim_sum(c, kinds, "pool", key, "free_storage")
                           : 0;
}

/* ------------------------------------------------------------ purchases */

static void buy_storage(struct a_ctx *c, struct a_res *r)
{
    double unit = c->cfg->capacity.storage_unit_tb * TIB;
    double rec = r->kind == A_POOL ? a_reclaim_pool(c, r->id) : 0;
    for (size_t h = 0; h < c->n_horizons; h++) {
        struct a_buy *b = &r->buy[h];
        size_t n = horizon_len(c, c->horizons[h]);
        struct sdc_error e = {0};
        if (!r->fc_ok || !isfinite(r->capacity) || r->capacity <= 0) {
            snprintf(b->why, sizeof(b->why), "%s",
                     r->fc_ok ? "capacity unknown" : "no forecast");
            continue;
        }
        b->ok = pu_plan_storage(r->capacity, r->target, unit, r->line, n,
                                c->today, c->cfg->capacity.lead_time_days, 0,
                                &b->plan[0], &e) == SDC_OK &&
                pu_plan_storage(r->capacity, r->target, unit, r->line, n,
                                c->today, c->cfg->capacity.lead_time_days, rec,
                                &b->plan[1], &e) == SDC_OK;
        if (!b->ok)
            snprintf(b->why, sizeof(b->why), "%s", e.msg);
    }
}

static void buy_cluster(struct a_ctx *c, struct a_cluster *cl)
{
    static const char *const kinds[] = {"shutoff", "idle", "oversized", NULL};
    struct a_res *cpu = cl->cpu, *mem = cl->mem;
    struct pu_reclaim rec = {0};
    if (c->have_monthly) {
        cl->reclaim_vcpus =
            reclaim_sum(c, kinds, "cluster", cl->name, "free_vcpus");
        cl->reclaim_memory =
            reclaim_sum(c, kinds, "cluster", cl->name, "free_memory");
    }
    rec.vcpus = cl->reclaim_vcpus;
    rec.memory = cl->reclaim_memory;
    if (!cpu || !mem || !cpu->fc_ok || !mem->fc_ok) {
        snprintf(cl->why, sizeof(cl->why), "no forecast of the cluster's %s",
                 !cpu || !cpu->fc_ok ? "CPU" : "memory");
    } else if (!isfinite(cpu->capacity) || !isfinite(mem->capacity) ||
               cpu->capacity <= 0 || mem->capacity <= 0) {
        snprintf(cl->why, sizeof(cl->why), "the cluster's capacity is unknown");
    } else if (cl->hosts < 1) {
        snprintf(cl->why, sizeof(cl->why),
                 "the number of hosts is unknown (none in the configuration "
                 "or the inventory)");
    } else if (cl->model.cores <= 0 || cl->model.memory_gb <= 0) {
        snprintf(cl->why, sizeof(cl->why), "no host model configured");
    } else {
        cl->pc.cpus = cpu->capacity;
        cl->pc.memory = mem->capacity;
        cl->pc.hosts = cl->hosts;
        cl->pc.ha_reserve = cl->ha_reserve;
        cl->pc.max_vcpu_per_cpu = cl->max_vcpu_per_cpu;
        cl->pc.target_cpu = cpu->target;
        cl->pc.target_memory = mem->target;
        cl->pc.unit_cpus = cl->model.cores * cl->threads_per_core;
        cl->pc.unit_memory = cl->model.memory_gb * GIB;
        cl->pc_ok = true;
        for (int k = 0; k < 2; k++) {
            struct a_res *r = k ? mem : cpu;
            r->has_ha = true;
            r->ha_reserve = cl->ha_reserve;
            r->usable_now =
                pu_usable(r->capacity, cl->hosts, cl->ha_reserve, 0, 0);
            pu_runway(r->line, r->n_line, c->today,
                      r->usable_now > 0 ? r->target * r->usable_now : 1e-300,
                      &r->runway_ha);
        }
    }
    for (size_t h = 0; h < c->n_horizons; h++) {
        size_t n = horizon_len(c, c->horizons[h]);
        int lead = c->cfg->capacity.lead_time_days;
        struct sdc_error e = {0};
        struct a_buy *b = &cl->buy[h];
        if (!cl->pc_ok) {
            snprintf(b->why, sizeof(b->why), "%s", cl->why);
            if (cpu)
                snprintf(cpu->buy[h].why, sizeof(cpu->buy[h].why), "%s",
                         cl->why);
            if (mem)
                snprintf(mem->buy[h].why, sizeof(mem->buy[h].why), "%s",
                         cl->why);
            continue;
        }
        b->ok = pu_plan_hosts(&cl->pc, cpu->line, mem->line, cpu->vcpu_line, n,
                              c->today, lead, NULL, &b->plan[0], &e) == 0 &&
                pu_plan_hosts(&cl->pc, cpu->line, mem->line, cpu->vcpu_line, n,
                              c->today, lead, &rec, &b->plan[1], &e) == 0;
        if (!b->ok)
            snprintf(b->why, sizeof(b->why), "%s", e.msg);
        /* each resource alone, for its row */
        cpu->buy[h].ok =
            pu_plan_hosts(&cl->pc, cpu->line, NULL, cpu->vcpu_line, n, c->today,
                          lead, NULL, &cpu->buy[h].plan[0], &e) == 0 &&
            pu_plan_hosts(&cl->pc, cpu->line, NULL, cpu->vcpu_line, n, c->today,
                          lead, &rec, &cpu->buy[h].plan[1], &e) == 0;
        if (!cpu->buy[h].ok)
            snprintf(cpu->buy[h].why, sizeof(cpu->buy[h].why), "%s", e.msg);
        mem->buy[h].ok =
            pu_plan_hosts(&cl->pc, NULL, mem->line, NULL, n, c->today, lead,
                          NULL, &mem->buy[h].plan[0], &e) == 0 &&
            pu_plan_hosts(&cl->pc, NULL, mem->line, NULL, n, c->today, lead,
                          &rec, &mem->buy[h].plan[1], &e) == 0;
        if (!mem->buy[h].ok)
            snprintf(mem->buy[h].why, sizeof(mem->buy[h].why), "%s", e.msg);
    }
}

/* ---------------------------------------------------------------- build */

static void res_free(struct a_res *r)
{
    free(r->id);
    free(r->name);
    free(r->cluster);
    free(r->peak);
    free(r->mean);
    free(r->alloc);
    fc_result_free(&r->fc);
    fc_result_free(&r->fc_alloc);
    free(r->ev);
    free(r->organic);
    free(r->line);
    free(r->planned);
    free(r->vcpu_line);
    free(r->lo80);
    free(r->hi80);
    free(r->mean_line);
}

static void ctx_free(struct a_ctx *c)
{
    for (size_t i = 0; i < c->n_res; i++)
        res_free(&c->res[i]);
    free(c->res);
    for (size_t i = 0; i < c->n_cl; i++)
        free(c->cl[i].name);
    free(c->cl);
    json_decref(c->monthly);
    json_decref(c->notes);
    pthread_mutex_destroy(&c->lock);
}

enum sdc_rc aug_build(const struct aug_opts *o, struct monthly_report *out,
                      struct sdc_error *err)
{
    struct a_ctx c = {0};
    enum sdc_rc rc;
    bool any = false;

    memset(out, 0, sizeof(*out));
    if (!o || !o->cfg || o->today < 3653)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "augmentation: no configuration or no date");
    pthread_mutex_init(&c.lock, NULL);
    c.o = o;
    c.cfg = o->cfg;
    c.today = o->today;
    c.src.data_dir = o->cfg->data_dir;
    c.src.rrdcached = o->cfg->rrdcached;
    c.conservative = strcmp(o->cfg->capacity.risk, "expected") != 0;
    if (o->n_horizons) {
        c.n_horizons =
            o->n_horizons > AUG_MAX_HORIZONS ? AUG_MAX_HORIZONS : o->n_horizons;
        memcpy(c.horizons, o->horizons, c.n_horizons * sizeof(int));
    } else {
        c.horizons[0] = 6;
        c.horizons[1] = 12;
        c.n_horizons = 2;
    }
    for (size_t h = 0; h < c.n_horizons; h++)
        if (c.horizons[h] < 1 || c.horizons[h] > AUG_HORIZON_MAX_MONTHS ||
            (h && c.horizons[h] <= c.horizons[h - 1])) {
            ctx_free(&c);
            return sdc_error_set(err, SDC_ERR_INVALID,
                                 "horizons must ascend within 1..%d months",
                                 AUG_HORIZON_MAX_MONTHS);
        }
    c.notes = json_array();
    if (!c.notes) {
        ctx_free(&c);
        return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
    }
    if ((rc = discover(&c, err))) {
        ctx_free(&c);
        return rc;
    }
    run_all(&c);
    if (c.oom) {
        ctx_free(&c);
        return sdc_error_set(err, SDC_ERR_NOMEM,
                             "out of memory reading the archives");
    }
    /* CPU: busy per vCPU allocated now converts planned vCPUs */
    for (size_t i = 0; i < c.n_res; i++) {
        struct a_res *r = &c.res[i];
        any |= r->n_known > 0;
        if (r->kind == A_CPU && isfinite(r->used_now) &&
            isfinite(r->alloc_now) && r->alloc_now > 0)
            r->busy_per_vcpu = r->used_now / r->alloc_now;
    }
    add_events(&c);
    for (size_t i = 0; i < c.n_res; i++) {
        struct a_res *r = &c.res[i];
        if (r->kind == A_CPU && r->n_ev && !isfinite(r->busy_per_vcpu))
            a_res_note(r, "planned vCPUs cannot be converted to CPUs busy "
                          "(no vCPU allocation in the archive): only the "
                          "vCPU ceiling counts them");
        if (r->fc_ok && make_lines(&c, r) != SDC_OK) {
            ctx_free(&c);
            return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
        }
    }
    find_monthly(&c);
    for (size_t k = 0; k < c.n_cl; k++)
        buy_cluster(&c, &c.cl[k]);
    /* pools and storages, with the monthly report's reclaimable storage */
    for (size_t i = 0; i < c.n_res; i++)
        if (c.res[i].kind == A_POOL || c.res[i].kind == A_STORAGE)
            buy_storage(&c, &c.res[i]);
    rc = a_build_doc(&c, out, err);
    if (rc == SDC_OK)
        out->no_data = !any;
    ctx_free(&c);
    return rc;
}
