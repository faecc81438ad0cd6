/*
 * fetch.c - read archives with rrd_fetch_r, flushing through rrdcached first
 * when the archives are written through it.
 *
 * rrdcached: librrd 1.7.2 exports only the rrdc_* family, which works on one
 * process-wide connection (rrd_client_* is declared but not exported).
 * Connect-then-flush runs under rrds_daemon_lock() (poller/rrd_schema.h),
 * the one lock the RRD writer holds for the same connection, so a flush never
 * interleaves with the writer's connect, create or disconnect.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <rrd.h>
#include <rrd_client.h>

#include "fetch.h"
#include "rrd_schema.h"

/* No archive of ours has more data sources than this. */
#define FETCH_MAX_DS 64

/* What rrd_fetch_r returned, with rows trimmed to the request. */
struct raw {
    time_t start; /* time of row 0 */
    time_t step;
    size_t rows;
    unsigned long ds_cnt;
    char **names;      /* librrd's, rrd_freemem */
    rrd_value_t *data; /* librrd's, rows * ds_cnt, row-major */
};

static void raw_free(struct raw *r)
{
    if (r->names) {
        for (unsigned long i = 0; i < r->ds_cnt; i++)
            rrd_freemem(r->names[i]);
        rrd_freemem(r->names);
    }
    rrd_freemem(r->data);
    memset(r, 0, sizeof(*r));
}

/* strerror() is not thread-safe; this is (GNU strerror_r). */
static const char *errno_str(int e, char *buf, size_t len)
{
    return strerror_r(e, buf, len);
}

/* The message librrd left in this thread's context, never NULL. */
static const char *rrd_msg(void)
{
    const char *m = rrd_test_error() ? rrd_get_error() : NULL;
    return m && *m ? m : "unknown librrd error";
}

/* Ask rrdcached at @addr to write what it holds for @path (the daemon's
 * name for it: @name).  Returns once the daemon has written the file. */
static enum sdc_rc daemon_flush(const char *addr, const char *path,
                                const char *name, struct sdc_error *err)
{
    struct rrds_pipe_guard g;
    enum sdc_rc rc = SDC_OK;

    rrds_daemon_lock();
    rrds_pipe_guard_on(&g);
    rrd_clear_error();
    if (rrdc_connect(addr) != 0 || !rrdc_is_connected(addr)) {
        rc = sdc_error_set(err, SDC_ERR_RRD,
                           "%s: cannot connect to rrdcached at %s: %s", path,
                           addr, rrd_msg());
    } else {
        rrd_clear_error();
        if (rrdc_flush(name) != 0)
            rc = sdc_error_set(err, SDC_ERR_RRD,
                               "rrdcached at %s: cannot flush %s: %s", addr,
                               path, rrd_msg());
    }
    rrds_pipe_guard_off(&g);
    rrds_daemon_unlock();
    return rc;
}

static bool cf_valid(const char *cf)
{
    static const char *const cfs[] = {"AVERAGE", "MAX", "MIN", "LAST"};
    if (!cf)
        return false;
    for (size_t i = 0; i < sizeof(cfs) / sizeof(cfs[0]); i++)
        if (strcmp(cf, cfs[i]) == 0)
            return true;
    return false;
}

/* The whole read: check the request, find the file, flush, fetch. */
static enum sdc_rc fetch_raw(const struct fetch_src *src,
                             const struct fetch_req *req, struct raw *out,
                             struct sdc_error *err)
{
    char rel[PATH_MAX];
    char path[PATH_MAX];
    struct stat sb;
    time_t start;
    time_t end;
    unsigned long step;
    unsigned long ds_cnt = 0;
    char **names = NULL;
    rrd_value_t *data = NULL;
    size_t dlen;
    size_t rows;
    int n;
    enum sdc_rc rc;

    memset(out, 0, sizeof(*out));
    if (!src || !src->data_dir || !*src->data_dir || !req)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "fetch: no data directory or no request");
    if (!sdc_archive_def_get(req->type))
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "fetch: unknown archive type %d", (int)req->type);
    if (!cf_valid(req->cf))
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "fetch: consolidation must be AVERAGE, MAX, MIN "
                             "or LAST");
    if (req->start <= 0 || req->end <= req->start)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "fetch: bad time range %lld..%lld",
                             (long long)req->start, (long long)req->end);
    if (sdc_archive_relpath(req->type, req->id, req->instance, rel,
                            sizeof(rel)) == 0)
        return sdc_error_set(
            err, SDC_ERR_INVALID, "fetch: no archive path for this %s%s",
            sdc_archive_def_get(req->type)->kind, req->id ? "" : " (no id)");

    /* "/data/" and "/data" name the same directory */
    dlen = strlen(src->data_dir);
    while (dlen > 1 && src->data_dir[dlen - 1] == '/')
        dlen--;
    n = snprintf(path, sizeof(path), "%.*s%s%s", (int)dlen, src->data_dir,
                 src->data_dir[dlen - 1] == '/' ? "" : "/", rel);
    if (n < 0 || (size_t)n >= sizeof(path))
        return sdc_error_set(err, SDC_ERR_INVALID, "fetch: path too long");

    if (stat(path, &sb) != 0) {
        char eb[128];
        int e = errno;
        return sdc_error_set(err, SDC_ERR_IO, "%s: %s", path,
                             e == ENOENT ? "no such archive"
                                         : errno_str(e, eb, sizeof(eb)));
    }
    if (!S_ISREG(sb.st_mode))
        return sdc_error_set(err, SDC_ERR_IO, "%s: not a regular file", path);

    if (src->rrdcached && *src->rrdcached) {
        bool local = src->rrdcached[0] == '/' ||
                     strncmp(src->rrdcached, "unix:", 5) == 0;
        rc = daemon_flush(src->rrdcached, path, local ? path : rel, err);
        if (rc != SDC_OK)
            return rc;
    }

    start = req->start;
    end = req->end;
    step = req->resolution > 0 ? req->resolution : 1;
    rrd_clear_error();
    if (rrd_fetch_r(path, req->cf, &start, &end, &step, &ds_cnt, &names,
                    &data) != 0)
        return sdc_error_set(err, SDC_ERR_RRD, "cannot fetch %s %s: %s", path,
                             req->cf, rrd_msg());
    out->names = names;
    out->data = data;
    out->ds_cnt = ds_cnt;
    if (step == 0 || step > (unsigned long)INT_MAX || end < start ||
        ds_cnt == 0 || ds_cnt > FETCH_MAX_DS || !names ||
        (!data && end > start)) {
        raw_free(out);
        return sdc_error_set(err, SDC_ERR_RRD,
                             "cannot fetch %s: librrd returned an impossible "
                             "answer",
                             path);
    }
    rows = (size_t)((end - start) / (time_t)step);
    if (rows > FETCH_MAX_ROWS) {
        raw_free(out);
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "fetch %s: %zu rows is too many (at most %zu); "
                             "ask for a coarser resolution",
                             path, rows, FETCH_MAX_ROWS);
    }
    /*
     * Row i is the interval (start + i*step, start + (i+1)*step].  librrd
     * rounds an aligned end up by a whole step; drop the rows that begin at
     * or after the requested end.
     */
    {
        time_t want = (req->end - start + (time_t)step - 1) / (time_t)step;
        if (want >= 0 && (size_t)want < rows)
            rows = (size_t)want;
    }
    out->start = start + (time_t)step;
    out->step = (time_t)step;
    out->rows = rows;
    return SDC_OK;
}

/* Fill @s with column @col of @r. */
static enum sdc_rc series_from_raw(const struct raw *r, unsigned long col,
                                   enum sdc_archive type, struct series *s)
{
    const struct sdc_archive_def *def = sdc_archive_def_get(type);
    const char *name = r->names[col] ? r->names[col] : "";

    memset(s, 0, sizeof(*s));
    s->start = r->start;
    s->step = r->step;
    snprintf(s->name, sizeof(s->name), "%s", name);
    for (size_t i = 0; def && i < def->n_ds; i++) {
        if (strcmp(def->ds[i].name, name) == 0) {
            snprintf(s->unit, sizeof(s->unit), "%s", def->ds[i].unit);
            break;
        }
    }
    if (r->rows == 0)
        return SDC_OK;
    s->v = malloc(r->rows * sizeof(*s->v));
    if (!s->v)
        return SDC_ERR_NOMEM;
    for (size_t i = 0; i < r->rows; i++) {
        double v = r->data[i * r->ds_cnt + col];
        /* librrd's UNKNOWN is NaN already; keep infinities out too */
        s->v[i] = isfinite(v) ? v : NAN;
    }
    s->n = r->rows;
    return SDC_OK;
}

enum sdc_rc fetch_series(const struct fetch_src *src,
                         const struct fetch_req *req, const char *ds,
                         struct series *out, struct sdc_error *err)
{
    struct raw r;
    enum sdc_rc rc;
    unsigned long col;

    if (!out)
        return sdc_error_set(err, SDC_ERR_INVALID, "fetch: no output");
    memset(out, 0, sizeof(*out));
    if (!ds || !*ds)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "fetch: no data source named");
    rc = fetch_raw(src, req, &r, err);
    if (rc != SDC_OK)
        return rc;
    for (col = 0; col < r.ds_cnt; col++)
        if (r.names[col] && strcmp(r.names[col], ds) == 0)
            break;
    if (col == r.ds_cnt) {
        char rel[PATH_MAX];
        sdc_archive_relpath(req->type, req->id, req->instance, rel,
                            sizeof(rel));
        raw_free(&r);
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "%s has no data source '%.*s'", rel, 32, ds);
    }
    rc = series_from_raw(&r, col, req->type, out);
    raw_free(&r);
    if (rc != SDC_OK) {
        series_free(out);
        return sdc_error_set(err, rc, "fetch: out of memory");
    }
    return SDC_OK;
}

enum sdc_rc fetch_all(const struct fetch_src *src, const struct fetch_req *req,
                      struct series_set *out, struct sdc_error *err)
{
    struct raw r;
    enum sdc_rc rc;

    if (!out)
        return sdc_error_set(err, SDC_ERR_INVALID, "fetch: no output");
    memset(out, 0, sizeof(*out));
    rc = fetch_raw(src, req, &r, err);
    if (rc != SDC_OK)
        return rc;
    out->s = calloc(r.ds_cnt, sizeof(*out->s));
    if (!out->s) {
        raw_free(&r);
        return sdc_error_set(err, SDC_ERR_NOMEM, "fetch: out of memory");
    }
    out->n = r.ds_cnt;
    for (unsigned long c = 0; c < r.ds_cnt; c++) {
        rc = series_from_raw(&r, c, req->type, &out->s[c]);
        if (rc != SDC_OK) {
            raw_free(&r);
            series_set_free(out);
            return sdc_error_set(err, rc, "fetch: out of memory");
        }
    }
    raw_free(&r);
    return SDC_OK;
}

const struct series *series_set_find(const struct series_set *set,
                                     const char *name)
{
    if (!set || !name)
        return NULL;
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->s[i].name, name) == 0)
            return &set->s[i];
    return NULL;
}

time_t series_time(const struct series *s, size_t i)
{
    return s->start + (time_t)i * s->step;
}

void series_free(struct series *s)
{
    if (!s)
        return;
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

void series_set_free(struct series_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; set->s && i < set->n; i++)
        series_free(&set->s[i]);
    free(set->s);
    set->s = NULL;
    set->n = 0;
}
