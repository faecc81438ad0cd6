/*
 * digest.c - the daily digest's document (digest.h).
 *
 * Reads the inventory with a read-only SQLite connection of its own (so it
 * can run in sdcmond's report thread beside the poller's writer: WAL lets a
 * reader see the last committed cycle) and the archives with fetch.h.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "digest.h"
#include "fetch.h"
#include "fsutil.h"
#include "json_util.h"
#include "figure.h"
#include "sdc/schema.h"
#include "stats.h"

#define D_HOUR 3600
#define D_MAX_NAMES 100000

struct d_ctx {
    const struct sdc_config *cfg;
    struct digest_day day;
    time_t now;
    time_t until;
    struct fetch_src src;
    sqlite3 *db; /* NULL: no inventory */
    bool poll_tables;
    bool any_data;
    bool oom;
};

static void d_oom(struct d_ctx *c)
{
    c->oom = true;
}

/* json_object_set_new that marks the context out of memory on failure. */
static void jset(struct d_ctx *c, json_t *o, const char *k, json_t *v)
{
    if (!ju_set_new(o, k, v))
        d_oom(c);
}

static void jpush(struct d_ctx *c, json_t *a, json_t *v)
{
    if (!ju_append_new(a, v))
        d_oom(c);
}

static json_t *jstr(const char *s)
{
    return ju_string(s);
}

/* "YYYY-MM-DD HH:MM" local time. */
static void fmt_time(time_t t, char *buf, size_t len)
{
    struct tm tm;
    if (t <= 0 || !localtime_r(&t, &tm) ||
        strftime(buf, len, "%Y-%m-%d %H:%M", &tm) == 0)
        snprintf(buf, len, "-");
}

static json_t *jtime(time_t t)
{
    char b[32];
    fmt_time(t, b, sizeof(b));
    return json_string(b);
}

/* ------------------------------------------------------------ the day */

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

enum sdc_rc digest_day_parse(const char *date, time_t now,
                             struct digest_day *out, struct sdc_error *err)
{
    struct tm tm;
    int y, m, d;
    memset(out, 0, sizeof(*out));
    memset(&tm, 0, sizeof(tm));
    if (!date) {
        if (!localtime_r(&now, &tm))
            return sdc_error_set(err, SDC_ERR_INVALID, "no local date");
        y = tm.tm_year + 1900;
        m = tm.tm_mon + 1;
        d = tm.tm_mday;
    } else {
        if (strlen(date) != 10 || date[4] != '-' || date[7] != '-' ||
            !all_digits(date, 4) || !all_digits(date + 5, 2) ||
            !all_digits(date + 8, 2))
            return sdc_error_set(err, SDC_ERR_INVALID,
                                 "'%.40s' is not a date YYYY-MM-DD", date);
        y = (date[0] - '0') * 1000 + (date[1] - '0') * 100 +
            (date[2] - '0') * 10 + (date[3] - '0');
        m = (date[5] - '0') * 10 + (date[6] - '0');
        d = (date[8] - '0') * 10 + (date[9] - '0');
    }
    if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "'%.40s' is not a date YYYY-MM-DD", date);
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_isdst = -1;
    out->start = mktime(&tm);
    /* mktime normalises 2026-02-30 into March: refuse it */
    if (out->start == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != m - 1)
        return sdc_error_set(err, SDC_ERR_INVALID, "%.40s is not a date",
                             date ? date : "today");
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d + 1;
    tm.tm_isdst = -1;
    out->end = mktime(&tm);
    snprintf(out->name, sizeof(out->name), "%04d-%02d-%02d", y, m, d);
    return SDC_OK;
}

/* The day before @d. */
static void day_before(const struct digest_day *d, struct digest_day *out)
{
    struct tm tm;
    time_t t = d->start - 12 * 3600;
    struct sdc_error e;
    localtime_r(&t, &tm);
    char name[DIGEST_DATE_LEN];
    snprintf(name, sizeof(name), "%04d-%02d-%02d", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday);
    digest_day_parse(name, d->start, out, &e);
}

/* ------------------------------------------------------------ targets */

static bool table_exists(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st = NULL;
    bool yes = false;
    if (sqlite3_prepare_v2(db,
                           "SELECT 1 FROM sqlite_master WHERE type = 'table'"
                           " AND name = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

static enum sdc_rc db_fail(struct d_ctx *c, const char *what,
                           struct sdc_error *err)
{
    return sdc_error_set(err, SDC_ERR_DB, "inventory: %s: %s", what,
                         sqlite3_errmsg(c->db));
}

/* One target's line: status at the end of the period, the day's counts. */
static enum sdc_rc target_row(struct d_ctx *c, const char *name,
                              const char *kind, json_t *targets, json_t *errors,
                              long counts[3], struct sdc_error *err)
{
    json_t *t = json_object();
    sqlite3_stmt *st = NULL;
    const char *status = "unknown";
    time_t since = 0;
    long ok = 0, failed = 0;
    char last_error[512] = "";
    time_t last_error_at = 0;

    if (c->db && c->poll_tables) {
        if (sqlite3_prepare_v2(c->db,
                               "SELECT up, t FROM poll_transitions WHERE"
                               " target = ?1 AND kind = ?3 AND t <= ?2"
                               " ORDER BY t DESC LIMIT 1",
                               -1, &st, NULL) != SQLITE_OK) {
            json_decref(t);
            return db_fail(c, "read poll transitions", err);
        }
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)c->until);
        sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            status = sqlite3_column_int(st, 0) ? "up" : "down";
            since = (time_t)sqlite3_column_int64(st, 1);
        }
        sqlite3_finalize(st);
        if (sqlite3_prepare_v2(c->db,
                               "SELECT cycles_ok, cycles_failed,"
                               " IFNULL(last_error, ''),"
                               " IFNULL(last_error_at, 0) FROM poll_days"
                               " WHERE target = ?1 AND day = ?2"
                               " AND kind = ?3",
                               -1, &st, NULL) != SQLITE_OK) {
            json_decref(t);
            return db_fail(c, "read poll counts", err);
        }
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, c->day.name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            ok = (long)sqlite3_column_int64(st, 0);
            failed = (long)sqlite3_column_int64(st, 1);
            snprintf(last_error, sizeof(last_error), "%s",
                     (const char *)sqlite3_column_text(st, 2));
            last_error_at = (time_t)sqlite3_column_int64(st, 3);
        }
        sqlite3_finalize(st);
    }
    if (ok + failed > 0)
        c->any_data = true;
    counts[0] += strcmp(status, "up") == 0;
    counts[1] += strcmp(status, "down") == 0;
    counts[2] += failed;
    jset(c, t, "name", jstr(name));
    jset(c, t, "kind", jstr(kind));
    jset(c, t, "status", jstr(status));
    jset(c, t, "up", json_boolean(strcmp(status, "up") == 0));
    jset(c, t, "down", json_boolean(strcmp(status, "down") == 0));
    jset(c, t, "since", since ? jtime(since) : jstr("-"));
    jset(c, t, "since_t", json_integer(since));
    jset(c, t, "cycles_ok", fig_count((double)ok, "cycles"));
    jset(c, t, "cycles_failed", fig_count((double)failed, "cycles"));
    jset(c, t, "last_error", jstr(last_error));
    jset(c, t, "last_error_at",
         last_error_at ? jtime(last_error_at) : jstr(""));
    if (failed > 0)
        jpush(c, errors, json_deep_copy(t));
    jpush(c, targets, t);
    return SDC_OK;
}

/* Whether @targets has the target @name of @kind (a hypervisor and an
 * SNMP device may share a name). */
static bool name_in(const char *name, const char *kind, json_t *targets)
{
    size_t i;
    json_t *t;
    json_array_foreach(targets, i, t)
    {
        if (strcmp(json_string_value(json_object_get(t, "name")), name) == 0 &&
            strcmp(json_string_value(json_object_get(t, "kind")), kind) == 0)
            return true;
    }
    return false;
}

static enum sdc_rc add_targets(struct d_ctx *c, json_t *doc, json_t *head,
                               struct sdc_error *err)
{
    json_t *targets = json_array(), *errors = json_array();
    long counts[3] = {0, 0, 0};
    enum sdc_rc rc = SDC_OK;

    for (size_t i = 0; rc == SDC_OK && i < c->cfg->n_hypervisors; i++)
        rc = target_row(c, c->cfg->hypervisors[i].name, "libvirt", targets,
                        errors, counts, err);
    for (size_t i = 0; rc == SDC_OK && i < c->cfg->n_snmp; i++)
        rc = target_row(c, c->cfg->snmp[i].name, "snmp", targets, errors,
                        counts, err);
    /* targets polled that day that the config no longer names */
    if (rc == SDC_OK && c->db && c->poll_tables) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(c->db,
                               "SELECT target, IFNULL(kind, '') FROM"
                               " poll_days WHERE day = ?1"
                               " ORDER BY target, kind",
                               -1, &st, NULL) != SQLITE_OK) {
            rc = db_fail(c, "read poll days", err);
        } else {
            sqlite3_bind_text(st, 1, c->day.name, -1, SQLITE_STATIC);
            while (rc == SDC_OK && sqlite3_step(st) == SQLITE_ROW) {
                char name[256], kind[32];
                snprintf(name, sizeof(name), "%s",
                         (const char *)sqlite3_column_text(st, 0));
                snprintf(kind, sizeof(kind), "%s",
                         (const char *)sqlite3_column_text(st, 1));
                if (!name_in(name, kind, targets))
                    rc =
                        target_row(c, name, kind, targets, errors, counts, err);
            }
            sqlite3_finalize(st);
        }
    }
    jset(c, doc, "targets", targets);
    jset(c, doc, "poll_errors", errors);
    jset(c, head, "targets",
         fig_count((double)json_array_size(targets), "targets"));
    jset(c, head, "targets_up", fig_count((double)counts[0], "targets"));
    jset(c, head, "targets_down", fig_count((double)counts[1], "targets"));
    jset(c, head, "any_down", json_boolean(counts[1] > 0));
    jset(c, head, "poll_errors", fig_count((double)counts[2], "cycles"));
    jset(c, head, "targets_with_errors",
         fig_count((double)json_array_size(errors), "targets"));
    return rc;
}

/* ---------------------------------------------------------------- VMs */

static enum sdc_rc vm_events(struct d_ctx *c, const char *where, json_t **out,
                             struct sdc_error *err)
{
    char sql[512];
    sqlite3_stmt *st = NULL;
    json_t *a = json_array();
    *out = a;
    if (!c->db)
        return SDC_OK;
    snprintf(sql, sizeof(sql),
             "SELECT t, entity, IFNULL(name, ''), IFNULL(host, ''),"
             " IFNULL(prev_value, '') FROM events WHERE t >= ?1 AND t < ?2"
             " AND %s ORDER BY t, entity",
             where);
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(c, "read events", err);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)c->day.start);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)c->until + 1);
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *e = json_object();
        time_t t = (time_t)sqlite3_column_int64(st, 0);
        jset(c, e, "uuid", jstr((const char *)sqlite3_column_text(st, 1)));
        jset(c, e, "name", jstr((const char *)sqlite3_column_text(st, 2)));
        jset(c, e, "host", jstr((const char *)sqlite3_column_text(st, 3)));
        jset(c, e, "previous", jstr((const char *)sqlite3_column_text(st, 4)));
        jset(c, e, "time", jtime(t));
        jset(c, e, "t", json_integer(t));
        jpush(c, a, e);
        c->any_data = true;
    }
    sqlite3_finalize(st);
    return SDC_OK;
}

static enum sdc_rc add_vms(struct d_ctx *c, json_t *doc, json_t *head,
                           struct sdc_error *err)
{
    json_t *vms = json_object(), *cr = NULL, *de = NULL, *so = NULL;
    enum sdc_rc rc;
    if ((rc = vm_events(c, "kind = 'created'", &cr, err)) == SDC_OK &&
        (rc = vm_events(c, "kind = 'deleted'", &de, err)) == SDC_OK)
        rc = vm_events(c, "kind = 'state' AND new_value = 'shutoff'", &so, err);
    jset(c, vms, "created", cr);
    jset(c, vms, "deleted", de);
    jset(c, vms, "shut_off", so);
    jset(c, head, "vms_created", fig_count((double)json_array_size(cr), "VMs"));
    jset(c, head, "vms_deleted", fig_count((double)json_array_size(de), "VMs"));
    jset(c, head, "vms_shut_off",
         fig_count((double)json_array_size(so), "VMs"));
    jset(c, doc, "vms", vms);
    return rc;
}

/* -------------------------------------------------------------- peaks */

enum d_res {
    R_CLUSTER_CPU = 0,
    R_CLUSTER_MEM,
    R_HOST_CPU,
    R_HOST_MEM,
    R_POOL,
    R_STORAGE,
    R_UPLINK,
};

static const struct d_res_def {
    const char *group;    /* the document's list */
    const char *resource; /* shown */
    const char *kind;     /* archive kind directory */
    enum sdc_archive type;
    bool use_max; /* MAX rows mean something for this ratio */
} res_defs[] = {
    [R_CLUSTER_CPU] = {"clusters", "CPU", "cluster", SDC_AR_CLUSTER_CPU, true},
    [R_CLUSTER_MEM] = {"clusters", "memory", "cluster", SDC_AR_CLUSTER_MEM,
                       true},
    [R_HOST_CPU] = {"hosts", "CPU", "hv", SDC_AR_HV_CPU, false},
    [R_HOST_MEM] = {"hosts", "memory", "hv", SDC_AR_HV_MEM, false},
    [R_POOL] = {"pools", "storage", "pool", SDC_AR_POOL_USAGE, true},
    [R_STORAGE] = {"storages", "storage", "snmp", SDC_AR_SNMP_STORAGE, true},
    [R_UPLINK] = {"uplinks", "network", "snmp", SDC_AR_SNMP_IF, true},
};

static double ds(const struct series_set *set, const char *name, size_t i)
{
    const struct series *s = series_set_find(set, name);
    return s && i < s->n ? s->v[i] : NAN;
}

/* Row @i of @set: the share used (*@share), the amount (*@value) and the
 * capacity (*@cap). */
static void row_value(enum d_res r, const struct series_set *set, size_t i,
                      double *share, double *value, double *cap)
{
    double a = NAN, b = NAN;
    switch (r) {
    case R_CLUSTER_CPU:
    case R_CLUSTER_MEM:
        a = ds(set, "used", i);
        b = ds(set, "capacity", i);
        break;
    case R_HOST_CPU:
        a = (ds(set, "user", i) + ds(set, "system", i)) / 1e9;
        b = ds(set, "cpus", i);
        break;
    case R_HOST_MEM:
        b = ds(set, "total", i);
        a = b - ds(set, "free", i) - ds(set, "cached", i) -
            ds(set, "buffers", i);
        break;
    case R_POOL:
        a = ds(set, "allocation", i);
        b = ds(set, "capacity", i);
        break;
    case R_STORAGE:
        a = ds(set, "used", i);
        b = ds(set, "size", i);
        break;
    case R_UPLINK:
        a = fmax(ds(set, "in_octets", i), ds(set, "out_octets", i)) * 8;
        if (isnan(ds(set, "in_octets", i)) || isnan(ds(set, "out_octets", i)))
            a = NAN;
        b = ds(set, "speed", i);
        break;
    }
    *value = a;
    *cap = b;
    *share = safe_div(a, b);
}

struct d_peak {
    double share;
    double value;
    double cap;
    time_t at;
    time_t step; /* finest rows read */
};

/* Fold the rows of one fetch within the period into @pk. */
static void fold(struct d_ctx *c, enum d_res r, const struct series_set *set,
                 struct d_peak *pk)
{
    size_t first, n;
    const struct series *s0;
    if (set->n == 0)
        return;
    s0 = &set->s[0];
    stats_window(s0->start, s0->step, s0->n, c->day.start, c->until, &first,
                 &n);
    for (size_t i = first; i < first + n; i++) {
        double share, value, cap;
        row_value(r, set, i, &share, &value, &cap);
        if (!isfinite(share))
            continue;
        if (!pk->step || s0->step < pk->step)
            pk->step = s0->step;
        if (!(share <= pk->share)) {
            pk->share = share;
            pk->value = value;
            pk->cap = cap;
            pk->at = series_time(s0, i);
        }
    }
}

static json_t *fig_amount(enum d_res r, double v)
{
    switch (r) {
    case R_CLUSTER_CPU:
    case R_HOST_CPU:
        return fig_cpus(v);
    case R_UPLINK:
        return fig_rate_bits(v);
    default:
        return fig_bytes(v);
    }
}

static double target_of(const struct d_ctx *c, enum d_res r)
{
    switch (r) {
    case R_CLUSTER_CPU:
    case R_HOST_CPU:
        return c->cfg->capacity.target_cpu;
    case R_CLUSTER_MEM:
    case R_HOST_MEM:
        return c->cfg->capacity.target_memory;
    case R_UPLINK:
        return c->cfg->capacity.target_network;
    default:
        return c->cfg->capacity.target_storage;
    }
}

/* The day's peak of one archive as a document entry (NULL: no archive). */
static json_t *peak_entry(struct d_ctx *c, enum d_res r, const char *id,
                          const char *inst, const char *name)
{
    const struct d_res_def *d = &res_defs[r];
    struct fetch_req req = {.type = d->type,
                            .id = id,
                            .instance = inst,
                            .cf = "AVERAGE",
                            .start = c->day.start,
                            .end = c->until,
                            .resolution = 0};
    struct series_set set = {0};
    struct sdc_error e = {0};
    struct d_peak pk = {.share = NAN, .value = NAN, .cap = NAN};
    char rel[1024], key[1200];
    double target = target_of(c, r);
    json_t *o;

    if (c->until <= c->day.start ||
        !sdc_archive_relpath(d->type, id, inst, rel, sizeof(rel)))
        return NULL;
    if (fetch_all(&c->src, &req, &set, &e) == SDC_OK)
        fold(c, r, &set, &pk);
    else if (e.code == SDC_ERR_IO && strstr(e.msg, "no such archive"))
        return NULL;
    series_set_free(&set);
    if (d->use_max) {
        req.cf = "MAX";
        req.resolution = D_HOUR;
        if (fetch_all(&c->src, &req, &set, &e) == SDC_OK)
            fold(c, r, &set, &pk);
        series_set_free(&set);
    }
    /* the key names the archive: rrd/<kind>/<id>/<file>.rrd */
    snprintf(key, sizeof(key), "%.*s", (int)(strlen(rel) - 4 - 4), rel + 4);
    o = json_object();
    jset(c, o, "key", jstr(key));
    jset(c, o, "group", jstr(d->group));
    jset(c, o, "resource", jstr(d->resource));
    jset(c, o, "name", jstr(name));
    jset(c, o, "peak", fig_pct(pk.share));
    /* the share unrounded (the figure's value is rounded for reading) */
    jset(c, o, "share", isfinite(pk.share) ? json_real(pk.share) : json_null());
    jset(c, o, "peak_amount", fig_amount(r, pk.value));
    jset(c, o, "capacity", fig_amount(r, pk.cap));
    jset(c, o, "target", fig_pct(target));
    jset(c, o, "over", json_boolean(isfinite(pk.share) && pk.share > target));
    jset(c, o, "data", json_boolean(isfinite(pk.share)));
    jset(c, o, "at", isfinite(pk.share) ? jtime(pk.at) : jstr("-"));
    jset(c, o, "at_t", json_integer(isfinite(pk.share) ? pk.at : 0));
    jset(c, o, "resolution", pk.step ? json_integer(pk.step) : json_null());
    if (isfinite(pk.share))
        c->any_data = true;
    return o;
}

/* Names in @dir (files or directories) starting with @prefix and ending in
 * @suffix, with both cut off; sorted.  Missing directory: none. */
static char **list_names(struct d_ctx *c, const char *dir, const char *prefix,
                         const char *suffix, size_t *n)
{
    char **v;
    if (fs_list_names(dir, prefix, suffix, false, D_MAX_NAMES, &v, n) != SDC_OK)
        d_oom(c);
    return v;
}

/* Whether interface archive @inst of device @dev is an uplink: the
 * inventory says so, or the config lists it. */
static bool is_uplink(struct d_ctx *c, const char *dev, const char *inst)
{
    char sd[SDC_NAME_MAX], si[SDC_NAME_MAX];
    if (sdc_config_uplink_archive(c->cfg, dev, inst))
        return true;
    if (c->db) {
        sqlite3_stmt *st = NULL;
        bool yes = false;
        if (sqlite3_prepare_v2(c->db,
                               "SELECT device, name FROM interfaces WHERE"
                               " uplink = 1",
                               -1, &st, NULL) != SQLITE_OK)
            return false;
        while (!yes && sqlite3_step(st) == SQLITE_ROW) {
            sdc_name_sanitize((const char *)sqlite3_column_text(st, 0), sd,
                              sizeof(sd));
            sdc_name_sanitize((const char *)sqlite3_column_text(st, 1), si,
                              sizeof(si));
            yes = strcmp(sd, dev) == 0 && strcmp(si, inst) == 0;
        }
        sqlite3_finalize(st);
        return yes;
    }
    return false;
}

static void add_peak(struct d_ctx *c, json_t *peaks, json_t *group,
                     enum d_res r, const char *id, const char *inst,
                     const char *name)
{
    json_t *o = peak_entry(c, r, id, inst, name);
    if (!o)
        return;
    jpush(c, group, json_incref(o));
    jpush(c, peaks, o);
}

static void add_peaks(struct d_ctx *c, json_t *doc)
{
    json_t *peaks = json_array();
    json_t *groups = json_object();
    json_t *gcl = json_array(), *ghv = json_array(), *gpo = json_array(),
           *gst = json_array(), *gup = json_array();
    char dir[4096], ddir[4200];
    char **names;
    size_t n;

    snprintf(dir, sizeof(dir), "%s/rrd/cluster", c->cfg->data_dir);
    names = list_names(c, dir, "", "", &n);
    for (size_t i = 0; i < n; i++) {
        add_peak(c, peaks, gcl, R_CLUSTER_CPU, names[i], NULL, names[i]);
        add_peak(c, peaks, gcl, R_CLUSTER_MEM, names[i], NULL, names[i]);
    }
    fs_names_free(names, n);
    snprintf(dir, sizeof(dir), "%s/rrd/hv", c->cfg->data_dir);
    names = list_names(c, dir, "", "", &n);
    for (size_t i = 0; i < n; i++) {
        add_peak(c, peaks, ghv, R_HOST_CPU, names[i], NULL, names[i]);
        add_peak(c, peaks, ghv, R_HOST_MEM, names[i], NULL, names[i]);
    }
    fs_names_free(names, n);
    snprintf(dir, sizeof(dir), "%s/rrd/pool", c->cfg->data_dir);
    names = list_names(c, dir, "", "", &n);
    for (size_t i = 0; i < n; i++)
        add_peak(c, peaks, gpo, R_POOL, names[i], NULL, names[i]);
    fs_names_free(names, n);
    snprintf(dir, sizeof(dir), "%s/rrd/snmp", c->cfg->data_dir);
    names = list_names(c, dir, "", "", &n);
    for (size_t i = 0; i < n; i++) {
        size_t ni;
        char **inst;
        char label[600];
        snprintf(ddir, sizeof(ddir), "%s/%s", dir, names[i]);
        inst = list_names(c, ddir, "storage-", ".rrd", &ni);
        for (size_t k = 0; k < ni; k++) {
            snprintf(label, sizeof(label), "%s %s", names[i], inst[k]);
            add_peak(c, peaks, gst, R_STORAGE, names[i], inst[k], label);
        }
        fs_names_free(inst, ni);
        inst = list_names(c, ddir, "if-", ".rrd", &ni);
        for (size_t k = 0; k < ni; k++) {
            if (!is_uplink(c, names[i], inst[k]))
                continue;
            snprintf(label, sizeof(label), "%s %s", names[i], inst[k]);
            add_peak(c, peaks, gup, R_UPLINK, names[i], inst[k], label);
        }
        fs_names_free(inst, ni);
    }
    fs_names_free(names, n);
    jset(c, groups, "clusters", gcl);
    jset(c, groups, "hosts", ghv);
    jset(c, groups, "pools", gpo);
    jset(c, groups, "storages", gst);
    jset(c, groups, "uplinks", gup);
    jset(c, doc, "peaks", peaks);
    jset(c, doc, "peaks_by", groups);
}

/* --------------------------------------------------- since yesterday */

static void add_over_and_crossings(struct d_ctx *c, json_t *doc, json_t *head,
                                   const json_t *prev)
{
    json_t *over = json_array(), *cross = json_array();
    const json_t *peaks = json_object_get(doc, "peaks");
    const json_t *ppeaks = prev ? json_object_get(prev, "peaks") : NULL;
    size_t i, k, n_above = 0;
    json_t *p, *q;

    json_array_foreach(peaks, i, p)
    {
        const json_t *y = NULL;
        bool today_over = json_is_true(json_object_get(p, "over"));
        bool today_data = json_is_true(json_object_get(p, "data"));
        const char *key = json_string_value(json_object_get(p, "key"));
        if (today_over)
            jpush(c, over, json_incref(p));
        json_array_foreach(ppeaks, k, q)
        {
            const char *pk = json_string_value(json_object_get(q, "key"));
            if (pk && key && strcmp(pk, key) == 0) {
                y = q;
                break;
            }
        }
        if (!y || !json_is_true(json_object_get(y, "data")) || !today_data)
            continue;
        if (today_over != json_is_true(json_object_get(y, "over"))) {
            json_t *x = json_object();
            jset(c, x, "key", jstr(key));
            jset(c, x, "group", json_incref(json_object_get(p, "group")));
            jset(c, x, "resource", json_incref(json_object_get(p, "resource")));
            jset(c, x, "name", json_incref(json_object_get(p, "name")));
            jset(c, x, "direction", jstr(today_over ? "above" : "below"));
            jset(c, x, "above", json_boolean(today_over));
            jset(c, x, "today", json_deep_copy(json_object_get(p, "peak")));
            jset(c, x, "yesterday", json_deep_copy(json_object_get(y, "peak")));
            jset(c, x, "target", json_deep_copy(json_object_get(p, "target")));
            jpush(c, cross, x);
            n_above += today_over;
        }
    }
    jset(c, head, "over_target",
         fig_count((double)json_array_size(over), "resources"));
    jset(c, head, "any_over", json_boolean(json_array_size(over) > 0));
    jset(c, head, "crossings",
         fig_count((double)json_array_size(cross), "resources"));
    jset(c, head, "crossed_above", fig_count((double)n_above, "resources"));
    jset(c, doc, "over_target", over);
    jset(c, doc, "crossings", cross);
}

/* ---------------------------------------------------------------- main */

static enum sdc_rc build(const struct digest_opts *o, bool compare,
                         struct monthly_report *out, struct sdc_error *err);

/* Yesterday's document: its report.json, else computed.  NULL when it
 * cannot be had (then nothing counts as crossed). */
static json_t *yesterday(const struct digest_opts *o, const struct d_ctx *c,
                         const char **source, char *ydate, size_t ylen)
{
    struct digest_day y;
    char path[4096];
    json_t *doc;
    json_error_t je;
    struct digest_opts yo = *o;
    struct monthly_report r = {0};
    struct sdc_error e;

    day_before(&c->day, &y);
    snprintf(ydate, ylen, "%s", y.name);
    if (o->prev_path)
        snprintf(path, sizeof(path), "%s", o->prev_path);
    else
        snprintf(path, sizeof(path), "%s/digest/%s/report.json",
                 c->cfg->reports.dir, y.name);
    doc = json_load_file(path, 0, &je);
    if (doc && json_is_array(json_object_get(doc, "peaks")) &&
        json_integer_value(json_object_get(doc, "format_version")) ==
            DIGEST_FORMAT_VERSION) {
        *source = "report.json";
        return doc;
    }
    json_decref(doc);
    yo.date = y.name;
    yo.until = y.end;
    yo.prev_path = NULL;
    if (build(&yo, false, &r, &e) != SDC_OK) {
        *source = "none";
        return NULL;
    }
    json_decref(r.view);
    *source = "computed";
    return r.doc;
}

static enum sdc_rc build(const struct digest_opts *o, bool compare,
                         struct monthly_report *out, struct sdc_error *err)
{
    const json_t *prev = NULL;
    struct d_ctx c = {0};
    char inv_path[4096], ydate[DIGEST_DATE_LEN] = "";
    json_t *doc = NULL, *head = NULL, *yprev = NULL, *period;
    const char *ysource = "not compared";
    struct stat st;
    enum sdc_rc rc;

    memset(out, 0, sizeof(*out));
    c.cfg = o->cfg;
    c.now = o->now ? o->now : time(NULL);
    rc = digest_day_parse(o->date, c.now, &c.day, err);
    if (rc != SDC_OK)
        return rc;
    if (c.day.start > c.now)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "%s has not begun: nothing to report yet",
                             c.day.name);
    c.until = c.day.end;
    if (o->until && o->until < c.until)
        c.until = o->until;
    if (c.now < c.until)
        c.until = c.now;
    c.src.data_dir = c.cfg->data_dir;
    c.src.rrdcached = c.cfg->rrdcached;

    snprintf(inv_path, sizeof(inv_path), "%s/inventory.db", c.cfg->data_dir);
    if (stat(inv_path, &st) == 0) {
        if (sqlite3_open_v2(inv_path, &c.db, SQLITE_OPEN_READONLY, NULL) !=
            SQLITE_OK) {
            rc = sdc_error_set(err, SDC_ERR_DB, "inventory: open '%s': %s",
                               inv_path,
                               c.db ? sqlite3_errmsg(c.db) : "no memory");
            sqlite3_close(c.db);
            return rc;
        }
        sqlite3_busy_timeout(c.db, 5000);
        c.poll_tables = table_exists(c.db, "poll_days") &&
                        table_exists(c.db, "poll_transitions");
    }

    doc = json_object();
    head = json_object();
    period = json_object();
    jset(&c, doc, "kind", jstr("digest"));
    jset(&c, doc, "format_version", json_integer(DIGEST_FORMAT_VERSION));
    jset(&c, doc, "date", jstr(c.day.name));
    jset(&c, period, "start", jtime(c.day.start));
    jset(&c, period, "end", jtime(c.day.end));
    jset(&c, period, "until", jtime(c.until));
    jset(&c, period, "start_t", json_integer(c.day.start));
    jset(&c, period, "end_t", json_integer(c.day.end));
    jset(&c, period, "until_t", json_integer(c.until));
    jset(&c, period, "partial", json_boolean(c.until < c.day.end));
    jset(&c, doc, "period", period);
    jset(&c, doc, "generated", jtime(c.now));
    jset(&c, doc, "generated_t", json_integer(c.now));
    jset(&c, doc, "version", jstr(SDC_VERSION));
    jset(&c, doc, "inventory", json_boolean(c.db != NULL));
    jset(&c, doc, "poll_status_recorded", json_boolean(c.poll_tables));
    {
        json_t *t = json_object();
        jset(&c, t, "cpu", fig_pct(c.cfg->capacity.target_cpu));
        jset(&c, t, "memory", fig_pct(c.cfg->capacity.target_memory));
        jset(&c, t, "storage", fig_pct(c.cfg->capacity.target_storage));
        jset(&c, t, "network", fig_pct(c.cfg->capacity.target_network));
        jset(&c, doc, "targets_set", t);
    }
    jset(&c, doc, "headline", head);

    if ((rc = add_targets(&c, doc, head, err)) != SDC_OK ||
        (rc = add_vms(&c, doc, head, err)) != SDC_OK)
        goto fail;
    add_peaks(&c, doc);

    if (compare) {
        /* the digest asked for compares with yesterday; yesterday's own,
         * computed for that, does not look further back */
        yprev = yesterday(o, &c, &ysource, ydate, sizeof(ydate));
        prev = yprev;
    }
    {
        json_t *y = json_object();
        if (!*ydate) {
            struct digest_day yd;
            day_before(&c.day, &yd);
            snprintf(ydate, sizeof(ydate), "%s", yd.name);
        }
        jset(&c, y, "date", jstr(ydate));
        jset(&c, y, "source", jstr(ysource ? ysource : "none"));
        jset(&c, doc, "yesterday", y);
    }
    add_over_and_crossings(&c, doc, head, prev);
    json_decref(yprev);
    yprev = NULL;

    if (c.oom) {
        rc = sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
        goto fail;
    }
    sqlite3_close(c.db);
    out->doc = doc;
    out->view = json_object();
    out->no_data = !c.any_data;
    if (!out->view) {
        monthly_report_free(out);
        return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
    }
    return SDC_OK;
fail:
    json_decref(yprev);
    json_decref(doc);
    sqlite3_close(c.db);
    return rc;
}

enum sdc_rc digest_build(const struct digest_opts *o,
                         struct monthly_report *out, struct sdc_error *err)
{
    if (!o || !o->cfg || !out)
        return sdc_error_set(err, SDC_ERR_INVALID, "digest: no configuration");
    return build(o, true, out, err);
}
