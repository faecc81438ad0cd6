/*
 * rrd_writer.c - write samples into the archives of DESIGN.md section 4.
 *
 * Only librrd's thread-safe calls are used (rrd_create_r2, rrd_update_r,
 * rrd_lastupdate_r), with numeric times only, the per-thread error cleared
 * before each call and read right after it.
 *
 * rrdcached: librrd 1.7.2 declares the rrd_client_* family in rrd_client.h
 * but does not export it (nor rrdc_flushall or rrdc_ping); what it exports is
 * rrdc_*, which works on one process-wide connection under librrd's own
 * lock.  So every writer of the process shares that connection, under
 * rrds_daemon_lock() (poller/rrd_schema.h) (connect-then-call must not
 * interleave with a writer connected elsewhere), rrdc_stats_get stands in for
 * PING at open, and rrdw_flush sends FLUSH for each archive instead of
 * FLUSHALL.  After a socket error librrd drops the connection; the next call
 * reconnects.
 *
 * Batches through rrdcached: librrd exports no BATCH call, and one UPDATE per
 * request costs a synchronous round trip (and a realpath()) per archive.  So
 * rrdw_write_batch speaks rrdcached's own text protocol (BATCH ... ".") on a
 * connection of the writer's own, kept open and reopened after an error.
 * Everything else (LAST, CREATE, FLUSH, single writes) still goes through
 * librrd.
 *
 * Locks, always taken in this order:
 *   stripes[hash(path) % RRDW_STRIPES]  one archive's whole check-create-
 *                                       update sequence, so two threads
 *                                       never race on one file (fcntl locks
 *                                       taken by librrd do not exclude
 *                                       threads of the same process);
 *   rrds_daemon_lock()                  the rrdcached connection;
 *   cache_lock                          the set of known archives and the
 *                                       failure complaint.
 * conn_lock (the writer's own BATCH connection) is taken with none of the
 * above held, and only cache_lock is taken under it.
 * Counters are atomics.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rrd.h>
#include <rrd_client.h>

#include "rrd_proc.h"
#include "rrd_schema.h"
#include "rrd_writer.h"
#include "sdc/log.h"

#define RRDW_STRIPES 64
/* Known-archive cache: open addressing, grown by doubling up to the cap;
 * past the cap it is emptied and relearned (one stat and one lastupdate
 * per archive), which keeps memory bounded whatever the inventory does. */
#define RRDW_CACHE_MIN 1024u
#define RRDW_CACHE_MAX (1u << 21)
#define RRDW_LINE_LEN (32 + SDC_MAX_DS * 32)
/* BATCH through rrdcached: at most this many UPDATE lines per exchange. */
#define RRDW_BATCH_MAX 10000
#define RRDW_IO_TIMEOUT_S 10
#define RRDW_REPLY_LEN 1024 /* longer reply lines are cut */
#define RRDW_DEFAULT_PORT "42217"

struct rrdw_entry {
    char *path; /* NULL: empty slot */
    uint64_t hash;
    time_t last; /* last update time of the archive, 0: not learned */
    bool exists; /* the archive is known to exist with our layout */
    bool dirty;  /* updated through rrdcached since the last rrdw_flush */
};

struct rrdw {
    char *data_dir; /* without trailing '/' ("" for the root) */
    size_t data_dir_len;
    unsigned step;
    struct rrds_layout layout; /* DS and RRA definitions of every type */
    locale_t c_locale; /* numbers are written and parsed in the C locale */

    char *daemon_addr;  /* NULL: write the files directly */
    bool daemon_remote; /* TCP: send paths relative to the daemon's base */

    pthread_mutex_t conn_lock; /* the writer's own BATCH connection */
    int conn_fd;               /* -1: closed */
    char conn_base[PATH_MAX];  /* UNIX socket: data_dir resolved */

    pthread_mutex_t proc_lock; /* the update process, one batch at a time */
    struct rrdp *proc;         /* NULL: direct updates in this process */

    pthread_mutex_t stripes[RRDW_STRIPES];

    pthread_mutex_t cache_lock;
    struct rrdw_entry *tab;
    size_t tab_cap; /* power of two */
    size_t tab_len;
    struct sdc_complaint complaint;

    atomic_bool failing;
    atomic_uint_fast64_t created;
    atomic_uint_fast64_t updates;
    atomic_uint_fast64_t errors;
    atomic_uint_fast64_t skipped;
    atomic_uint_fast64_t invalid;
};

/* librrd's one rrdcached connection is process-wide, so is its lock. */

static void stat_add(atomic_uint_fast64_t *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static uint64_t path_hash(const char *s)
{
    uint64_t h = 14695981039346656037ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

/* ---- known-archive cache (cache_lock held) ---- */

static struct rrdw_entry *cache_find(struct rrdw *w, const char *path,
                                     uint64_t hash)
{
    size_t mask = w->tab_cap - 1;
    for (size_t i = (size_t)hash & mask;; i = (i + 1) & mask) {
        struct rrdw_entry *e = &w->tab[i];
        if (!e->path)
            return NULL;
        if (e->hash == hash && strcmp(e->path, path) == 0)
            return e;
    }
}

static void cache_clear(struct rrdw *w)
{
    for (size_t i = 0; i < w->tab_cap; i++) {
        free(w->tab[i].path);
        w->tab[i].path = NULL;
    }
    w->tab_len = 0;
}

/* Make room for one more entry: double the table, or empty it at the cap. */
static void cache_reserve(struct rrdw *w)
{
    struct rrdw_entry *nt;
    size_t ncap;

    if ((w->tab_len + 1) * 10 <= w->tab_cap * 7)
        return;
    ncap = w->tab_cap * 2;
    if (ncap > RRDW_CACHE_MAX || !(nt = calloc(ncap, sizeof(*nt)))) {
        SDC_INFO("rrd writer: forgetting %zu known archives (cache full)",
                 w->tab_len);
        cache_clear(w);
        return;
    }
    for (size_t i = 0; i < w->tab_cap; i++) {
        struct rrdw_entry *e = &w->tab[i];
        size_t j;
        if (!e->path)
            continue;
        for (j = (size_t)e->hash & (ncap - 1); nt[j].path;
             j = (j + 1) & (ncap - 1))
            ;
        nt[j] = *e;
    }
    free(w->tab);
    w->tab = nt;
    w->tab_cap = ncap;
}

/* Record what is known of @path; an allocation failure only costs a later
 * re-check of the file, so it is not reported. */
static void cache_set(struct rrdw *w, const char *path, uint64_t hash,
                      bool exists, time_t last, bool dirty)
{
    struct rrdw_entry *e;

    pthread_mutex_lock(&w->cache_lock);
    e = cache_find(w, path, hash);
    if (!e && exists) {
        char *copy = strdup(path);
        if (copy) {
            size_t mask;
            size_t i;
            cache_reserve(w);
            mask = w->tab_cap - 1;
            for (i = (size_t)hash & mask; w->tab[i].path; i = (i + 1) & mask)
                ;
            e = &w->tab[i];
            e->path = copy;
            e->hash = hash;
            e->dirty = false;
            w->tab_len++;
        }
    }
    if (e) {
        e->exists = exists;
        e->last = exists ? last : 0;
        e->dirty = e->dirty || dirty;
    }
    pthread_mutex_unlock(&w->cache_lock);
}

/* Flag @path for the next rrdw_flush again (a flush of it failed). */
static void cache_mark_dirty(struct rrdw *w, const char *path)
{
    struct rrdw_entry *e;

    pthread_mutex_lock(&w->cache_lock);
    e = cache_find(w, path, path_hash(path));
    if (e)
        e->dirty = true;
    pthread_mutex_unlock(&w->cache_lock);
}

static void cache_get(struct rrdw *w, const char *path, uint64_t hash,
                      bool *exists, time_t *last)
{
    struct rrdw_entry *e;

    pthread_mutex_lock(&w->cache_lock);
    e = cache_find(w, path, hash);
    *exists = e && e->exists;
    *last = e && e->exists ? e->last : 0;
    pthread_mutex_unlock(&w->cache_lock);
}

/* ---- errors ---- */

/* strerror() is not thread-safe; this is (GNU strerror_r). */
static const char *errno_str(int e, char *buf, size_t len)
{
    return strerror_r(e, buf, len);
}

/* The message librrd left in this thread's context, never NULL. */
static const char *rrd_msg(void)
{
    return rrds_last_error();
}

static void note_failure(struct rrdw *w, const struct sdc_error *e)
{
    stat_add(&w->errors);
    atomic_store(&w->failing, true);
    pthread_mutex_lock(&w->cache_lock);
    sdc_complain(&w->complaint, time(NULL), SDC_LOG_WARNING, "rrd writer: %s",
                 e->msg);
    pthread_mutex_unlock(&w->cache_lock);
}

static void note_success(struct rrdw *w)
{
    if (!atomic_load_explicit(&w->failing, memory_order_relaxed))
        return;
    pthread_mutex_lock(&w->cache_lock);
    if (atomic_exchange(&w->failing, false))
        sdc_complain_release(&w->complaint,
                             "rrd writer: archives are written again");
    pthread_mutex_unlock(&w->cache_lock);
}

/*
 * "illegal attempt to update using time X when last update time is Y" (from
 * librrd or rrdcached): the sample is not newer than the archive.  Returns
 * Y, or 0 when @msg is some other error.
 */
static time_t too_old_last(const char *msg)
{
    static const char key[] = "last update time is ";
    const char *p;
    char *end;
    double v;

    if (!strstr(msg, "illegal attempt to update") || !(p = strstr(msg, key)))
        return 0;
    p += sizeof(key) - 1;
    v = strtod(p, &end);
    if (end == p || !isfinite(v) || v < 1 || v > 1e15)
        return 0;
    return (time_t)v;
}

/* ---- rrdcached connection (rrds_daemon_lock held) ---- */

/* Connect librrd's connection to our daemon (rrds_daemon_lock held); a no-op
 * when it already is.  @path, if any, is named in the error. */
static enum sdc_rc daemon_connect(struct rrdw *w, const char *path,
                                  struct sdc_error *err)
{
    rrd_clear_error();
    if (rrdc_connect(w->daemon_addr) != 0 || !rrdc_is_connected(w->daemon_addr))
        return sdc_error_set(
            err, SDC_ERR_RRD, "%s%scannot connect to rrdcached at %s: %s",
            path ? path : "", path ? ": " : "", w->daemon_addr, rrd_msg());
    return SDC_OK;
}

/* A STATS request answered: the exported stand-in for PING. */
static bool daemon_alive(void)
{
    rrdc_stats_t *st = NULL;
    int rc;

    rrd_clear_error();
    rc = rrdc_stats_get(&st);
    rrdc_stats_free(st);
    return rc == 0;
}

/* Connected to a daemon that answers (checked once, at open). */
static enum sdc_rc daemon_ready(struct rrdw *w, struct sdc_error *err)
{
    enum sdc_rc rc = daemon_connect(w, NULL, err);
    if (rc != SDC_OK)
        return rc;
    if (!daemon_alive())
        return sdc_error_set(err, SDC_ERR_RRD,
                             "rrdcached at %s does not answer: %s",
                             w->daemon_addr, rrd_msg());
    return SDC_OK;
}

/* The name rrdcached gets for @path. */
static const char *daemon_path(const struct rrdw *w, const char *path)
{
    return w->daemon_remote ? path + w->data_dir_len + 1 : path;
}

/* ---- creating and opening archives ---- */

/* Learn the last update of the existing archive @path and check its data
 * sources: a foreign file is reported, never written to or replaced. */
static enum sdc_rc direct_learn(const struct sdc_archive_def *def,
                                const char *path, time_t *last,
                                struct sdc_error *err)
{
    return rrds_check(def, path, last, err);
}

/*
 * Create @path atomically: librrd writes "<path>.tmp.<pid>.<tid>", which is
 * renamed into place only if @path does not exist yet.  When another writer
 * got there first its archive stays and ours is dropped.
 */
static enum sdc_rc direct_create(struct rrdw *w,
                                 const struct sdc_archive_def *def,
                                 const char *path, time_t t, time_t *last,
                                 bool *created, struct sdc_error *err)
{
    char tmp[PATH_MAX];
    bool existed;
    int n;
    enum sdc_rc rc;

    *created = false;
    rc = rrds_make_parents(path, w->data_dir_len, err);
    if (rc != SDC_OK)
        return rc;
    n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%ld", path, (long)getpid(),
                 (long)gettid());
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return sdc_error_set(err, SDC_ERR_INVALID, "path too long: %s", path);

    /* A temporary left by a killed writer is replaced. */
    rc = rrds_create(&w->layout, def->type, tmp, t - (time_t)w->step, NULL,
                     NULL, err);
    if (rc != SDC_OK) {
        /* name the archive, not the temporary */
        return sdc_error_set(err, SDC_ERR_RRD, "cannot create %s: %s", path,
                             rrd_msg());
    }
    rc = rrds_install(tmp, path, false, &existed, err);
    if (rc != SDC_OK)
        return rc;
    if (existed) {
        /* another writer got there first: its archive stays */
        unlink(tmp);
        return direct_learn(def, path, last, err);
    }
    *created = true;
    *last = t - (time_t)w->step;
    SDC_DEBUG("rrd writer: created %s", path);
    return SDC_OK;
}

static enum sdc_rc direct_open(struct rrdw *w,
                               const struct sdc_archive_def *def,
                               const char *path, time_t t, time_t *last,
                               bool *created, struct sdc_error *err)
{
    struct stat st;

    *created = false;
    if (stat(path, &st) == 0) {
        if (!S_ISREG(st.st_mode))
            return sdc_error_set(err, SDC_ERR_IO, "%s is not a regular file",
                                 path);
        return direct_learn(def, path, last, err);
    }
    if (errno != ENOENT) {
        char eb[128];
        return sdc_error_set(err, SDC_ERR_IO, "cannot stat %s: %s", path,
                             errno_str(errno, eb, sizeof(eb)));
    }
    return direct_create(w, def, path, t, last, created, err);
}

/* LAST through the daemon (rrds_daemon_lock held); *@missing when no such file.
 */
static enum sdc_rc daemon_last(struct rrdw *w, const char *path, time_t *last,
                               bool *missing, struct sdc_error *err)
{
    struct rrds_pipe_guard g;
    enum sdc_rc rc;
    time_t t;

    *missing = false;
    rrds_pipe_guard_on(&g);
    rc = daemon_connect(w, path, err);
    if (rc == SDC_OK) {
        rrd_clear_error();
        t = rrdc_last(daemon_path(w, path));
        if (!rrd_test_error() && t > 0) {
            *last = t;
        } else {
            const char *m = rrd_msg();
            *missing = strstr(m, "No such file") != NULL;
            rc = sdc_error_set(err, SDC_ERR_RRD,
                               "rrdcached: cannot read %s: %s", path, m);
        }
    }
    rrds_pipe_guard_off(&g);
    return rc;
}

/* CREATE through the daemon (rrds_daemon_lock held); *@raced when the archive
 * appeared since LAST said it was missing. */
static enum sdc_rc daemon_create(struct rrdw *w,
                                 const struct sdc_archive_def *def,
                                 const char *path, time_t t, bool *raced,
                                 struct sdc_error *err)
{
    const char *argv[RRDS_MAX_ARGS];
    int argc = rrds_create_args(&w->layout, def->type, argv);
    struct rrds_pipe_guard g;
    enum sdc_rc rc;

    *raced = false;
    /* librrd's client resolves the directory locally (realpath), so over a
     * UNIX socket it must exist; over TCP the daemon makes it (-R). */
    if (!w->daemon_remote) {
        rc = rrds_make_parents(path, w->data_dir_len, err);
        if (rc != SDC_OK)
            return rc;
    }
    rrds_pipe_guard_on(&g);
    rc = daemon_connect(w, path, err);
    if (rc == SDC_OK) {
        rrd_clear_error();
        if (rrdc_create_r2(daemon_path(w, path), w->step, t - (time_t)w->step,
                           1, NULL, NULL, argc, argv) != 0 ||
            rrd_test_error()) {
            *raced = strstr(rrd_msg(), "File exists") != NULL;
            rc = sdc_error_set(err, SDC_ERR_RRD,
                               "rrdcached: cannot create %s: %s", path,
                               rrd_msg());
        }
    }
    rrds_pipe_guard_off(&g);
    return rc;
}

/*
 * Through rrdcached the daemon itself creates the archive (CREATE with -O, so
 * it never replaces an existing file; librrd 1.7.2 writes a temporary file
 * and renames it, so the creation is atomic there too).  LAST answers the
 * last update rounded down to a step; a sample between that and the true
 * last update is refused by the daemon and then counted as skipped.  The
 * data sources of an existing archive are not checked here (that would take
 * an INFO of the whole file); a foreign layout makes its updates fail.
 */
static enum sdc_rc daemon_open(struct rrdw *w,
                               const struct sdc_archive_def *def,
                               const char *path, time_t t, time_t *last,
                               bool *created, struct sdc_error *err)
{
    bool missing = false;
    bool raced = false;
    enum sdc_rc rc;

    *created = false;
    rrds_daemon_lock();
    rc = daemon_last(w, path, last, &missing, err);
    if (rc != SDC_OK && missing) {
        rc = daemon_create(w, def, path, t, &raced, err);
        if (rc == SDC_OK) {
            *created = true;
            *last = t - (time_t)w->step;
        } else if (raced) {
            rc = daemon_last(w, path, last, &missing, err);
        }
    }
    rrds_daemon_unlock();
    if (*created)
        SDC_DEBUG("rrd writer: created %s through rrdcached", path);
    return rc;
}

/* ---- updates ---- */

/*
 * "<t>:<v1>:<v2>..." in schema order.  Absurd gauges (negative, NaN, inf)
 * become U and are counted in *@n_invalid.
 */
static bool format_line(const struct sdc_archive_def *def,
                        const struct sdc_sample *s, char *line, size_t len,
                        unsigned *n_invalid)
{
    size_t pos;
    int n = snprintf(line, len, "%lld", (long long)s->t);

    *n_invalid = 0;
    if (n < 0 || (size_t)n >= len)
        return false;
    pos = (size_t)n;
    for (size_t i = 0; i < def->n_ds; i++) {
        const struct sdc_value *v = &s->v[i];
        if (!v->known) {
            n = snprintf(line + pos, len - pos, ":U");
        } else if (def->ds[i].type == SDC_DS_DERIVE) {
            n = snprintf(line + pos, len - pos, ":%" PRIu64, v->counter);
        } else if (!isfinite(v->gauge) || v->gauge < 0) {
            (*n_invalid)++;
            n = snprintf(line + pos, len - pos, ":U");
        } else {
            n = snprintf(line + pos, len - pos, ":%.17g", v->gauge);
        }
        if (n < 0 || (size_t)n >= len - pos)
            return false;
        pos += (size_t)n;
    }
    return true;
}

/* One update; on failure *@too_old is the archive's last update when the
 * sample was refused for not being newer, else 0. */
static enum sdc_rc update_one(struct rrdw *w, const char *path,
                              const char *line, time_t *too_old,
                              struct sdc_error *err)
{
    const char *argv[1] = {line};
    enum sdc_rc rc = SDC_OK;
    int st;

    *too_old = 0;
    if (!w->daemon_addr) {
        rrd_clear_error();
        if (rrd_update_r(path, NULL, 1, argv) != 0) {
            *too_old = too_old_last(rrd_msg());
            rc = sdc_error_set(err, SDC_ERR_RRD, "cannot update %s: %s", path,
                               rrd_msg());
        }
        return rc;
    }

    struct rrds_pipe_guard g;
    rrds_daemon_lock();
    rrds_pipe_guard_on(&g);
    rc = daemon_connect(w, path, err);
    if (rc == SDC_OK) {
        rrd_clear_error();
        st = rrdc_update(daemon_path(w, path), 1, argv);
        if (st != 0) {
            char eb[128];
            const char *m = rrd_test_error() ? rrd_get_error()
                            : st > 0         ? errno_str(st, eb, sizeof(eb))
                                             : "request failed";
            *too_old = too_old_last(m);
            rc = sdc_error_set(err, SDC_ERR_RRD,
                               "rrdcached: cannot update %s: %s", path, m);
        }
    }
    rrds_pipe_guard_off(&g);
    rrds_daemon_unlock();
    return rc;
}

/* The whole sequence for one archive; the caller holds its stripe lock. */
static enum sdc_rc write_locked(struct rrdw *w,
                                const struct sdc_archive_def *def,
                                const struct sdc_sample *s, const char *path,
                                uint64_t hash, const char *line,
                                struct sdc_error *err)
{
    bool exists;
    bool created = false;
    time_t last;
    time_t too_old;
    enum sdc_rc rc;

    cache_get(w, path, hash, &exists, &last);
    if (!exists) {
        rc = w->daemon_addr
                 ? daemon_open(w, def, path, s->t, &last, &created, err)
                 : direct_open(w, def, path, s->t, &last, &created, err);
        if (rc != SDC_OK)
            return rc;
        if (created)
            stat_add(&w->created);
        cache_set(w, path, hash, true, last, false);
    }
    if (s->t <= last) {
        stat_add(&w->skipped);
        return SDC_OK;
    }
    rc = update_one(w, path, line, &too_old, err);
    if (rc == SDC_OK) {
        cache_set(w, path, hash, true, s->t, w->daemon_addr != NULL);
        stat_add(&w->updates);
        return SDC_OK;
    }
    if (too_old > 0) {
        cache_set(w, path, hash, true, too_old, false);
        stat_add(&w->skipped);
        return SDC_OK;
    }
    /* The file may have gone or been replaced: look at it again next time. */
    cache_set(w, path, hash, false, 0, false);
    return rc;
}

/* Check @s and make its archive path and update line (C locale set). */
static enum sdc_rc sample_prepare(struct rrdw *w, const struct sdc_sample *s,
                                  const struct sdc_archive_def **def_out,
                                  char *path, size_t path_len, char *line,
                                  size_t line_len, struct sdc_error *e)
{
    const struct sdc_archive_def *def = sdc_archive_def_get(s->type);
    unsigned n_invalid = 0;

    *def_out = def;
    if (!def)
        return sdc_error_set(e, SDC_ERR_INVALID, "unknown archive type %d",
                             (int)s->type);
    if (rrdw_path(w, s->type, s->id, s->instance, path, path_len) == 0) {
        /* names from the network are not echoed raw into logs */
        char sid[64];
        sdc_name_sanitize(s->id, sid, sizeof(sid));
        return sdc_error_set(
            e, SDC_ERR_INVALID, "no archive path for a %s%s sample of '%s'%s",
            def->kind, def->per_instance ? "/instance" : "",
            s->id ? sid : "(no id)",
            def->per_instance && (!s->instance || !*s->instance)
                ? " without an instance"
                : "");
    }
    if (s->t <= (time_t)w->step)
        return sdc_error_set(e, SDC_ERR_INVALID, "%s: invalid sample time %lld",
                             path, (long long)s->t);
    if (!format_line(def, s, line, line_len, &n_invalid))
        return sdc_error_set(e, SDC_ERR_INVALID, "%s: update line too long",
                             path);
    for (unsigned i = 0; i < n_invalid; i++)
        stat_add(&w->invalid);
    return SDC_OK;
}

enum sdc_rc rrdw_write(struct rrdw *w, const struct sdc_sample *s,
                       struct sdc_error *err)
{
    const struct sdc_archive_def *def;
    struct sdc_error e;
    char path[PATH_MAX];
    char line[RRDW_LINE_LEN];
    locale_t old_locale;
    enum sdc_rc rc;

    if (!w || !s)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "rrd writer: no writer or no sample");
    sdc_error_clear(&e);
    old_locale = uselocale(w->c_locale);
    rc = sample_prepare(w, s, &def, path, sizeof(path), line, sizeof(line), &e);
    if (rc == SDC_OK) {
        uint64_t hash = path_hash(path);
        pthread_mutex_t *stripe = &w->stripes[hash % RRDW_STRIPES];
        pthread_mutex_lock(stripe);
        rc = write_locked(w, def, s, path, hash, line, &e);
        pthread_mutex_unlock(stripe);
    }
    uselocale(old_locale);

    if (rc != SDC_OK) {
        note_failure(w, &e);
        if (err)
            *err = e;
    } else {
        note_success(w);
    }
    return rc;
}

/* ---- batches through rrdcached (BATCH on the writer's own connection) ---- */

/* One UPDATE of a batch: its archive path and line, NUL-terminated one after
 * the other at strs + off. */
struct pend {
    size_t off;
    size_t path_len;
    uint64_t hash;
    time_t t;
    bool done; /* its outcome is recorded */
};

struct batch_run {
    struct rrdw *w;
    struct pend *p;
    size_t n;
    size_t cap;
    char *strs;
    size_t strs_len;
    size_t strs_cap;
    enum sdc_rc first;
    struct sdc_error *err;
};

static void run_fail(struct batch_run *r, const struct sdc_error *e)
{
    note_failure(r->w, e);
    if (r->first == SDC_OK) {
        r->first = e->code;
        if (r->err)
            *r->err = *e;
    }
}

/* Record that update @i was refused or lost, with @msg. */
static void pend_failed(struct batch_run *r, size_t i, const char *msg)
{
    struct pend *p = &r->p[i];
    const char *path = r->strs + p->off;
    time_t too_old = too_old_last(msg);
    struct sdc_error e;

    if (p->done)
        return;
    p->done = true;
    if (too_old > 0) {
        cache_set(r->w, path, p->hash, true, too_old, false);
        stat_add(&r->w->skipped);
        return;
    }
    /* The file may have gone or been replaced: look at it again next time. */
    cache_set(r->w, path, p->hash, false, 0, false);
    sdc_error_set(&e, SDC_ERR_RRD, "%scannot update %s: %s",
                  r->w->daemon_addr ? "rrdcached: " : "", path, msg);
    run_fail(r, &e);
}

static void pend_landed(struct batch_run *r, size_t i)
{
    struct pend *p = &r->p[i];

    if (p->done)
        return;
    p->done = true;
    cache_set(r->w, r->strs + p->off, p->hash, true, p->t,
              r->w->daemon_addr != NULL);
    stat_add(&r->w->updates);
    note_success(r->w);
}

static bool run_add(struct batch_run *r, const char *path, uint64_t hash,
                    time_t t, const char *line)
{
    size_t pl = strlen(path);
    size_t ll = strlen(line);
    size_t need = pl + ll + 2;

    if (r->n == r->cap) {
        size_t ncap = r->cap ? r->cap * 2 : 256;
        struct pend *np;
        if (ncap > RRDW_BATCH_MAX)
            ncap = RRDW_BATCH_MAX;
        np = realloc(r->p, ncap * sizeof(*np));
        if (!np)
            return false;
        r->p = np;
        r->cap = ncap;
    }
    if (r->strs_len + need > r->strs_cap) {
        size_t ncap = r->strs_cap ? r->strs_cap : 16384;
        char *ns;
        while (ncap < r->strs_len + need)
            ncap *= 2;
        ns = realloc(r->strs, ncap);
        if (!ns)
            return false;
        r->strs = ns;
        r->strs_cap = ncap;
    }
    r->p[r->n] = (struct pend){r->strs_len, pl, hash, t, false};
    memcpy(r->strs + r->strs_len, path, pl + 1);
    memcpy(r->strs + r->strs_len + pl + 1, line, ll + 1);
    r->strs_len += need;
    r->n++;
    return true;
}

/* Buffered line reader on the connection. */
struct reader {
    char buf[8192];
    size_t pos;
    size_t len;
};

/* The next reply line into @out (cut to @len - 1), false on end of file,
 * timeout or error, with the reason in @why. */
static bool read_line(int fd, struct reader *rd, char *out, size_t len,
                      char *why, size_t why_len)
{
    size_t o = 0;

    for (;;) {
        while (rd->pos < rd->len) {
            char c = rd->buf[rd->pos++];
            if (c == '\n') {
                out[o] = '\0';
                return true;
            }
            if (o + 1 < len)
                out[o++] = c;
        }
        ssize_t n = recv(fd, rd->buf, sizeof(rd->buf), 0);
        if (n > 0) {
            rd->pos = 0;
            rd->len = (size_t)n;
        } else if (n == 0) {
            snprintf(why, why_len, "connection closed by the daemon");
            return false;
        } else if (errno != EINTR) {
            char eb[128];
            int e = errno;
            snprintf(why, why_len, "%s",
                     e == EAGAIN || e == EWOULDBLOCK
                         ? "no answer (timeout)"
                         : errno_str(e, eb, sizeof(eb)));
            return false;
        }
    }
}

static bool send_all(int fd, const char *p, size_t len, char *why,
                     size_t why_len)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            char eb[128];
            int e = n < 0 ? errno : EPIPE;
            snprintf(why, why_len, "%s",
                     e == EAGAIN || e == EWOULDBLOCK
                         ? "send timed out"
                         : errno_str(e, eb, sizeof(eb)));
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static int sock_open(int family, int type, int proto)
{
    struct timeval tv = {RRDW_IO_TIMEOUT_S, 0};
    int fd = socket(family, type | SOCK_CLOEXEC, proto);

    if (fd < 0)
        return -1;
    /* on Linux SO_SNDTIMEO also bounds connect() */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Open the writer's connection to daemon_addr ("unix:/path", "/path",
 * "host", "host:port", "[v6]:port", as librrd reads it); conn_lock held. */
static bool conn_open(struct rrdw *w, char *why, size_t why_len)
{
    const char *a = w->daemon_addr;
    char eb[128];

    if (strncmp(a, "unix:", 5) == 0 || a[0] == '/') {
        struct sockaddr_un sa;
        const char *sp = a[0] == '/' ? a : a + 5;
        int fd;

        memset(&sa, 0, sizeof(sa));
        sa.sun_family = AF_UNIX;
        if (strlen(sp) >= sizeof(sa.sun_path)) {
            snprintf(why, why_len, "socket path too long");
            return false;
        }
        memcpy(sa.sun_path, sp, strlen(sp) + 1);
        fd = sock_open(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            snprintf(why, why_len, "cannot connect to %s: %s", a,
                     errno_str(e, eb, sizeof(eb)));
            return false;
        }
        /* librrd sends realpath() of every file over a UNIX socket (what
         * the daemon's -B check then sees); the archives below data_dir
         * are plain directories we made, so resolving data_dir once here
         * gives the same names without a path walk per update. */
        if (!realpath(w->data_dir_len ? w->data_dir : "/", w->conn_base) ||
            strlen(w->conn_base) + 2 * SDC_NAME_MAX + 64 >= PATH_MAX)
            snprintf(w->conn_base, sizeof(w->conn_base), "%s", w->data_dir);
        else if (strcmp(w->conn_base, "/") == 0)
            w->conn_base[0] = '\0';
        w->conn_fd = fd;
        return true;
    }

    char host[256];
    const char *port = RRDW_DEFAULT_PORT;
    const char *colon;
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    int gai;
    int e = 0;

    if (a[0] == '[') {
        const char *end = strchr(a, ']');
        if (!end || (size_t)(end - a - 1) >= sizeof(host)) {
            snprintf(why, why_len, "bad address %s", a);
            return false;
        }
        memcpy(host, a + 1, (size_t)(end - a - 1));
        host[end - a - 1] = '\0';
        if (end[1] == ':' && end[2])
            port = end + 2;
    } else {
        colon = strchr(a, ':');
        if (colon && strchr(colon + 1, ':'))
            colon = NULL; /* a bare IPv6 address */
        size_t hl = colon ? (size_t)(colon - a) : strlen(a);
        if (hl >= sizeof(host)) {
            snprintf(why, why_len, "bad address %s", a);
            return false;
        }
        memcpy(host, a, hl);
        host[hl] = '\0';
        if (colon && colon[1])
            port = colon + 1;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0) {
        snprintf(why, why_len, "cannot resolve %s: %s", a, gai_strerror(gai));
        return false;
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = sock_open(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            freeaddrinfo(res);
            w->conn_fd = fd;
            w->conn_base[0] = '\0';
            return true;
        }
        e = errno;
        close(fd);
    }
    freeaddrinfo(res);
    snprintf(why, why_len, "cannot connect to %s: %s", a,
             errno_str(e, eb, sizeof(eb)));
    return false;
}

static void conn_close(struct rrdw *w)
{
    if (w->conn_fd >= 0)
        close(w->conn_fd);
    w->conn_fd = -1;
}

/* "UPDATE <file> <line>\n" for every pending update, into *@out. */
static bool build_commands(struct rrdw *w, const struct batch_run *r,
                           char **out, size_t *out_len)
{
    size_t base_len = strlen(w->conn_base);
    size_t total = 0;
    size_t pos = 0;
    char *buf;

    for (size_t i = 0; i < r->n; i++)
        total += 7 + base_len + r->p[i].path_len + 1 +
                 strlen(r->strs + r->p[i].off + r->p[i].path_len + 1) + 1;
    if (!(buf = malloc(total + 3)))
        return false;
    for (size_t i = 0; i < r->n; i++) {
        const char *path = r->strs + r->p[i].off;
        const char *line = path + r->p[i].path_len + 1;
        const char *name;
        size_t nl;
        size_t ll = strlen(line);

        memcpy(buf + pos, "UPDATE ", 7);
        pos += 7;
        if (w->daemon_remote) {
            name = daemon_path(w, path);
            nl = strlen(name);
        } else {
            memcpy(buf + pos, w->conn_base, base_len);
            pos += base_len;
            name = path + w->data_dir_len;
            nl = r->p[i].path_len - w->data_dir_len;
        }
        memcpy(buf + pos, name, nl);
        pos += nl;
        buf[pos++] = ' ';
        memcpy(buf + pos, line, ll);
        pos += ll;
        buf[pos++] = '\n';
    }
    memcpy(buf + pos, ".\n", 2);
    *out = buf;
    *out_len = pos + 2;
    return true;
}

/* Every update of @r not yet recorded failed with @why. */
static void fail_rest(struct batch_run *r, const char *why)
{
    for (size_t i = 0; i < r->n; i++)
        pend_failed(r, i, why);
}

/*
 * One BATCH exchange: "BATCH\n", answered "0 Go ahead ..."; the UPDATE lines
 * and "."; answered "<n> errors" and n lines "<command number> <message>"
 * (numbered from 1).  Commands not named landed.  conn_lock held.
 */
static void batch_exchange(struct rrdw *w, struct batch_run *r)
{
    struct reader rd;
    char reply[RRDW_REPLY_LEN];
    char why[RRDW_REPLY_LEN + 64];
    char *cmds = NULL;
    size_t cmds_len = 0;
    bool reused;
    char *end;
    long n_err;

    for (int attempt = 0;; attempt++) {
        reused = w->conn_fd >= 0;
        if (!reused && !conn_open(w, why, sizeof(why))) {
            fail_rest(r, why);
            return;
        }
        rd.pos = rd.len = 0;
        if (send_all(w->conn_fd, "BATCH\n", 6, why, sizeof(why)) &&
            read_line(w->conn_fd, &rd, reply, sizeof(reply), why, sizeof(why)))
            break;
        conn_close(w);
        /* a kept connection the daemon dropped meanwhile: nothing was
         * sent yet, so try a fresh one once */
        if (!reused || attempt > 0) {
            fail_rest(r, why);
            return;
        }
    }
    if (strncmp(reply, "0 ", 2) != 0) {
        snprintf(why, sizeof(why), "BATCH refused: %s", reply);
        conn_close(w);
        fail_rest(r, why);
        return;
    }
    if (!build_commands(w, r, &cmds, &cmds_len)) {
        /* the daemon waits for the end of the batch: end it, empty */
        conn_close(w);
        fail_rest(r, "out of memory");
        return;
    }
    if (!send_all(w->conn_fd, cmds, cmds_len, why, sizeof(why)) ||
        !read_line(w->conn_fd, &rd, reply, sizeof(reply), why, sizeof(why))) {
        free(cmds);
        conn_close(w);
        fail_rest(r, why);
        return;
    }
    free(cmds);
    errno = 0;
    n_err = strtol(reply, &end, 10);
    if (end == reply || errno != 0 || n_err < 0 ||
        strncmp(end, " error", 6) != 0) {
        snprintf(why, sizeof(why), "unexpected answer to BATCH: %s", reply);
        conn_close(w);
        fail_rest(r, why);
        return;
    }
    for (long k = 0; k < n_err; k++) {
        long num;
        if (!read_line(w->conn_fd, &rd, reply, sizeof(reply), why,
                       sizeof(why))) {
            conn_close(w);
            fail_rest(r, why);
            return;
        }
        errno = 0;
        num = strtol(reply, &end, 10);
        if (end == reply || errno != 0 || num < 1 || (size_t)num > r->n) {
            snprintf(why, sizeof(why), "unexpected answer to BATCH: %s", reply);
            conn_close(w);
            fail_rest(r, why);
            return;
        }
        while (*end == ' ')
            end++;
        pend_failed(r, (size_t)num - 1, *end ? end : "refused");
    }
    for (size_t i = 0; i < r->n; i++)
        pend_landed(r, i);
}

static void proc_result(void *ctx, size_t i, const char *msg)
{
    struct batch_run *r = ctx;

    if (msg)
        pend_failed(r, i, msg);
    else
        pend_landed(r, i);
}

/* The updates of @r through the update process (rrd_proc.h). */
static void proc_exchange(struct rrdw *w, struct batch_run *r)
{
    struct rrdp_item *items = malloc(r->n * sizeof(*items));

    if (!items) {
        fail_rest(r, "out of memory");
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        items[i].path = r->strs + r->p[i].off;
        items[i].line = items[i].path + r->p[i].path_len + 1;
    }
    pthread_mutex_lock(&w->proc_lock);
    rrdp_update(w->proc, items, r->n, proc_result, r);
    pthread_mutex_unlock(&w->proc_lock);
    free(items);
}

static void batch_send(struct batch_run *r)
{
    if (r->n == 0)
        return;
    if (r->w->daemon_addr) {
        pthread_mutex_lock(&r->w->conn_lock);
        batch_exchange(r->w, r);
        pthread_mutex_unlock(&r->w->conn_lock);
    } else {
        proc_exchange(r->w, r);
    }
    r->n = 0;
    r->strs_len = 0;
}

/*
 * Through rrdcached or the update process: each sample is checked (and its
 * archive created) as in rrdw_write, under its stripe lock; the updates then
 * go out in BATCH exchanges (or to the process) of up to RRDW_BATCH_MAX
 * lines.  Two threads writing one archive at once are ordered by the daemon
 * (the process), which refuses the older sample: that is counted as skipped,
 * as under the stripe lock.
 */
static enum sdc_rc queued_write_batch(struct rrdw *w, const struct sdc_batch *b,
                                      struct sdc_error *err)
{
    struct batch_run r = {.w = w, .first = SDC_OK, .err = err};
    char path[PATH_MAX];
    char line[RRDW_LINE_LEN];
    locale_t old_locale = uselocale(w->c_locale);

    for (size_t i = 0; i < b->samples.len; i++) {
        const struct sdc_sample *s = &b->samples.items[i];
        const struct sdc_archive_def *def;
        struct sdc_error e;
        enum sdc_rc rc;
        bool exists;
        bool created = false;
        time_t last;
        uint64_t hash;
        pthread_mutex_t *stripe;

        sdc_error_clear(&e);
        rc = sample_prepare(w, s, &def, path, sizeof(path), line, sizeof(line),
                            &e);
        if (rc == SDC_OK && w->daemon_addr) {
            /* sanitised names and numbers: one protocol line each */
            assert(!strpbrk(path, "\n\r ") && !strpbrk(line, "\n\r "));
            if (strpbrk(path, "\n\r ") || strpbrk(line, "\n\r "))
                rc = sdc_error_set(&e, SDC_ERR_INVALID,
                                   "%s: not usable in rrdcached's protocol",
                                   path);
        }
        if (rc != SDC_OK) {
            run_fail(&r, &e);
            continue;
        }
        hash = path_hash(path);
        stripe = &w->stripes[hash % RRDW_STRIPES];
        pthread_mutex_lock(stripe);
        cache_get(w, path, hash, &exists, &last);
        if (!exists) {
            rc = w->daemon_addr
                     ? daemon_open(w, def, path, s->t, &last, &created, &e)
                     : direct_open(w, def, path, s->t, &last, &created, &e);
            if (rc == SDC_OK) {
                if (created)
                    stat_add(&w->created);
                cache_set(w, path, hash, true, last, false);
            }
        }
        pthread_mutex_unlock(stripe);
        if (rc != SDC_OK) {
            run_fail(&r, &e);
        } else if (s->t <= last) {
            stat_add(&w->skipped);
        } else if (!run_add(&r, path, hash, s->t, line)) {
            sdc_error_set(&e, SDC_ERR_NOMEM, "%s: out of memory", path);
            run_fail(&r, &e);
        }
        if (r.n >= RRDW_BATCH_MAX)
            batch_send(&r);
    }
    batch_send(&r);
    uselocale(old_locale);
    free(r.p);
    free(r.strs);
    return r.first;
}

enum sdc_rc rrdw_write_batch(struct rrdw *w, const struct sdc_batch *b,
                             struct sdc_error *err)
{
    enum sdc_rc first = SDC_OK;

    if (!w || !b)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "rrd writer: no writer or no batch");
    if (w->daemon_addr || w->proc)
        return queued_write_batch(w, b, err);
    for (size_t i = 0; i < b->samples.len; i++) {
        struct sdc_error e;
        enum sdc_rc rc = rrdw_write(w, &b->samples.items[i], &e);
        if (rc != SDC_OK && first == SDC_OK) {
            first = rc;
            if (err)
                *err = e;
        }
    }
    return first;
}

/* ---- flush ---- */

/* Copies of the paths updated through the daemon since the last flush. */
static enum sdc_rc take_dirty(struct rrdw *w, char ***out, size_t *n_out)
{
    char **list = NULL;
    size_t n = 0;
    enum sdc_rc rc = SDC_OK;

    pthread_mutex_lock(&w->cache_lock);
    for (size_t i = 0; i < w->tab_cap; i++)
        if (w->tab[i].path && w->tab[i].dirty)
            n++;
    if (n > 0 && !(list = calloc(n, sizeof(*list))))
        rc = SDC_ERR_NOMEM;
    n = 0;
    for (size_t i = 0; list && i < w->tab_cap; i++) {
        struct rrdw_entry *e = &w->tab[i];
        if (!e->path || !e->dirty)
            continue;
        if (!(list[n] = strdup(e->path))) {
            rc = SDC_ERR_NOMEM;
            break;
        }
        e->dirty = false;
        n++;
    }
    pthread_mutex_unlock(&w->cache_lock);
    *out = list;
    *n_out = n;
    return rc;
}

enum sdc_rc rrdw_flush(struct rrdw *w, struct sdc_error *err)
{
    char **dirty = NULL;
    size_t n_dirty = 0;
    struct rrds_pipe_guard g;
    enum sdc_rc rc;
    enum sdc_rc nomem;

    if (!w)
        return sdc_error_set(err, SDC_ERR_INVALID, "rrd writer: no writer");
    if (!w->daemon_addr)
        return SDC_OK;
    /* Out of memory the list is partial: flush what it holds, then say so. */
    nomem = take_dirty(w, &dirty, &n_dirty);

    /* FLUSH of one file returns once the daemon has written it, so the
     * flush is complete on return (librrd 1.7.2 exports no FLUSHALL). */
    rrds_daemon_lock();
    rrds_pipe_guard_on(&g);
    rc = n_dirty > 0 ? daemon_connect(w, NULL, err) : SDC_OK;
    for (size_t i = 0; rc == SDC_OK && i < n_dirty; i++) {
        rrd_clear_error();
        if (rrdc_flush(daemon_path(w, dirty[i])) != 0) {
            rc = sdc_error_set(err, SDC_ERR_RRD,
                               "rrdcached: cannot flush %s: %s", dirty[i],
                               rrd_msg());
            /* keep the rest for the next flush */
            for (size_t j = i; j < n_dirty; j++)
                cache_mark_dirty(w, dirty[j]);
        }
    }
    rrds_pipe_guard_off(&g);
    rrds_daemon_unlock();

    for (size_t i = 0; i < n_dirty; i++)
        free(dirty[i]);
    free(dirty);
    if (rc == SDC_OK && nomem != SDC_OK)
        rc = sdc_error_set(err, nomem,
                           "rrd writer: out of memory listing archives");
    return rc;
}

enum sdc_rc rrdw_flush_path(struct rrdw *w, const char *path,
                            struct sdc_error *err)
{
    struct rrds_pipe_guard g;
    enum sdc_rc rc;

    if (!w || !path)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "rrd writer: no writer or no path");
    if (!w->daemon_addr)
        return SDC_OK;
    if (strncmp(path, w->data_dir, w->data_dir_len) != 0 ||
        path[w->data_dir_len] != '/')
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "rrd writer: %s is not under %s", path,
                             w->data_dir);
    rrds_daemon_lock();
    rrds_pipe_guard_on(&g);
    rc = daemon_connect(w, path, err);
    if (rc == SDC_OK) {
        rrd_clear_error();
        /* a file the daemon holds nothing for is not an error */
        if (rrdc_flush(daemon_path(w, path)) != 0 &&
            !strstr(rrd_msg(), "No such file"))
            rc = sdc_error_set(err, SDC_ERR_RRD,
                               "rrdcached: cannot flush %s: %s", path,
                               rrd_msg());
    }
    rrds_pipe_guard_off(&g);
    rrds_daemon_unlock();
    return rc;
}

/* ---- open, free, stats, path ---- */

enum sdc_rc rrdw_open(const char *data_dir, unsigned step,
                      const struct sdc_retention_cfg *retention,
                      const char *rrdcached, struct rrdw **out,
                      struct sdc_error *err)
{
    struct rrdw *w;
    enum sdc_rc rc;
    size_t len;

    if (out)
        *out = NULL;
    if (!out || !data_dir || !*data_dir)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "rrd writer: no data directory");
    if (step < 1 || step > RRDS_MAX_STEP)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "rrd writer: step %u is out of range (1..%u)",
                             step, RRDS_MAX_STEP);
    /* kept without trailing '/'; "/" becomes "" so paths stay "/rrd/..." */
    len = strlen(data_dir);
    while (len > 0 && data_dir[len - 1] == '/')
        len--;
    if (len + 2 + 2 * SDC_NAME_MAX + 64 >= PATH_MAX)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "rrd writer: data directory path too long");

    w = calloc(1, sizeof(*w));
    if (!w)
        return sdc_error_set(err, SDC_ERR_NOMEM, "rrd writer: out of memory");
    w->step = step;
    w->data_dir = strndup(data_dir, len);
    w->data_dir_len = len;
    w->tab_cap = RRDW_CACHE_MIN;
    w->tab = calloc(w->tab_cap, sizeof(*w->tab));
    w->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    pthread_mutex_init(&w->cache_lock, NULL);
    pthread_mutex_init(&w->conn_lock, NULL);
    pthread_mutex_init(&w->proc_lock, NULL);
    w->conn_fd = -1;
    for (size_t i = 0; i < RRDW_STRIPES; i++)
        pthread_mutex_init(&w->stripes[i], NULL);
    if (!w->data_dir || !w->tab || w->c_locale == (locale_t)0) {
        rrdw_free(w);
        return sdc_error_set(err, SDC_ERR_NOMEM, "rrd writer: out of memory");
    }
    rc = rrds_layout_init(&w->layout, step, retention, err);
    if (rc != SDC_OK) {
        rrdw_free(w);
        return rc;
    }

    if (rrdcached && *rrdcached) {
        struct rrds_pipe_guard g;
        w->daemon_addr = strdup(rrdcached);
        w->daemon_remote =
            rrdcached[0] != '/' && strncmp(rrdcached, "unix:", 5) != 0;
        if (!w->daemon_addr) {
            rrdw_free(w);
            return sdc_error_set(err, SDC_ERR_NOMEM,
                                 "rrd writer: out of memory");
        }
        rrds_daemon_lock();
        rrds_pipe_guard_on(&g);
        rc = daemon_ready(w, err);
        rrds_pipe_guard_off(&g);
        rrds_daemon_unlock();
        if (rc != SDC_OK) {
            rrdw_free(w);
            return rc;
        }
    }
    *out = w;
    return SDC_OK;
}

void rrdw_free(struct rrdw *w)
{
    if (!w)
        return;
    if (w->daemon_addr) {
        /* another writer of the process reconnects on its next call */
        struct rrds_pipe_guard g;
        rrds_daemon_lock();
        rrds_pipe_guard_on(&g);
        rrdc_disconnect();
        rrds_pipe_guard_off(&g);
        rrds_daemon_unlock();
    }
    conn_close(w);
    rrdp_free(w->proc);
    if (w->tab) {
        cache_clear(w);
        free(w->tab);
    }
    if (w->c_locale != (locale_t)0)
        freelocale(w->c_locale);
    for (size_t i = 0; i < RRDW_STRIPES; i++)
        pthread_mutex_destroy(&w->stripes[i]);
    pthread_mutex_destroy(&w->cache_lock);
    pthread_mutex_destroy(&w->conn_lock);
    pthread_mutex_destroy(&w->proc_lock);
    free(w->daemon_addr);
    free(w->data_dir);
    free(w);
}

enum sdc_rc rrdw_use_process(struct rrdw *w, const char *exe,
                             struct sdc_error *err)
{
    struct rrdp *p;
    enum sdc_rc rc;

    if (!w || !exe)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "rrd writer: no writer or no program");
    if (w->daemon_addr || w->proc)
        return SDC_OK; /* rrdcached writes in a process of its own */
    rc = rrdp_new(exe, &p, err);
    if (rc != SDC_OK)
        return rc;
    pthread_mutex_lock(&w->proc_lock);
    w->proc = p;
    pthread_mutex_unlock(&w->proc_lock);
    return SDC_OK;
}

long rrdw_process_pid(struct rrdw *w)
{
    long pid;

    if (!w)
        return 0;
    pthread_mutex_lock(&w->proc_lock);
    pid = (long)rrdp_pid(w->proc);
    pthread_mutex_unlock(&w->proc_lock);
    return pid;
}

void rrdw_get_stats(const struct rrdw *w, struct rrdw_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof(*out));
    if (!w)
        return;
    out->created = atomic_load_explicit(&w->created, memory_order_relaxed);
    out->updates = atomic_load_explicit(&w->updates, memory_order_relaxed);
    out->errors = atomic_load_explicit(&w->errors, memory_order_relaxed);
    out->skipped = atomic_load_explicit(&w->skipped, memory_order_relaxed);
    out->invalid = atomic_load_explicit(&w->invalid, memory_order_relaxed);
}

size_t rrdw_path(const struct rrdw *w, enum sdc_archive type, const char *id,
                 const char *instance, char *out, size_t outlen)
{
    char rel[PATH_MAX];
    int n;

    if (!w || !out || outlen == 0)
        return 0;
    if (sdc_archive_relpath(type, id, instance, rel, sizeof(rel)) == 0)
        return 0;
    n = snprintf(out, outlen, "%s/%s", w->data_dir, rel);
    if (n < 0 || (size_t)n >= outlen) {
        out[0] = '\0';
        return 0;
    }
    return (size_t)n;
}
