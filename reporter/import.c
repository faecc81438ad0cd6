/*
 * import.c - history import (sdcmon-import): CSV rows into the archives.
 *
 * Reading: every row is checked and appended, 16 bytes, to its archive's
 * list of chunks (no allocation per row: chunks come from 1 MiB slabs).
 * Rows of one series (archive and data source) must come in ascending
 * time; rows of different series may interleave in any way.
 *
 * Writing, per archive: the rows are gathered per data source, merged into
 * one row per time ("t:v1:v2:..."), and fed to a new RRD file in batches of
 * rrd_update_r.  The archives' heartbeat is 2 x step, so hourly or daily
 * history would read as UNKNOWN: the new file is created with each data
 * source's heartbeat raised to twice the data's own interval (the median
 * gap between its rows, at most a day), and tuned back to 2 x step once
 * loaded.  A data source missing at a time where others have a row is
 * filled from its next row when its own rows on either side are within its
 * heartbeat (the same value RRD would give it alone: a gauge's next value,
 * a counter interpolated), else written as U.
 *
 * Putting it in place: a new archive is renamed in (never over a file that
 * appeared meanwhile).  An existing archive - one the poller writes - is
 * rebuilt: the history is loaded only up to where the archive's own data
 * begins (own_data_start), librrd creates a third file prefilled from the
 * history first and the archive second (merge_into says why that order and
 * that cut), and that file replaces the archive with rename().  If the
 * archive's last update moved while this ran (sdcmond writing despite the
 * warning), the rebuild is repeated, so only an update landing in the
 * instant between the last check and the rename can be lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rrd.h>

#include "import.h"
#include "import_priv.h"
#include "rrd_schema.h"
#include "rrd_writer.h"
#include "sdc/schema.h"

#define IMP_CHUNK_N 255
#define IMP_SLAB_CHUNKS 256
#define IMP_DEFAULT_BATCH 4096
#define IMP_MAX_BATCH 65536
#define IMP_MAX_INTERVAL 86400
#define IMP_MAX_JOBS 64
#define IMP_NAME_MAX 1024
#define IMP_READ_BUF (4u << 20)
/* Longest update row: time and SDC_MAX_DS values of up to 32 bytes. */
#define IMP_ROW_MAX (24 + SDC_MAX_DS * 34)
#define IMP_MERGE_TRIES 3
/* A temporary file made while reading starts this long before the first row
 * seen of its archive (rows of another data source may start earlier). */
#define IMP_PRE_SLACK 86400

/* One row: key = time << 4 | unknown << 3 | data source. */
struct imp_entry {
    uint64_t key;
    uint64_t val; /* the counter, or the gauge's bits */
};

struct imp_chunk {
    struct imp_chunk *next;
    uint32_t n;
    struct imp_entry e[IMP_CHUNK_N];
};

struct imp_slab {
    struct imp_slab *next;
    size_t used;
    struct imp_chunk c[IMP_SLAB_CHUNKS];
};

struct imp_archive {
    enum sdc_archive type;
    char *name;    /* the first spelling in the file */
    char *relpath; /* rrd/<kind>/<id>/<file>.rrd, sanitised */
    struct imp_chunk *head;
    struct imp_chunk *tail;
    uint64_t n;
    uint32_t count[SDC_MAX_DS];
    int64_t last_t[SDC_MAX_DS]; /* per series: the last row's time */
    uint64_t last_line[SDC_MAX_DS];
    uint32_t last_src[SDC_MAX_DS];
    uint32_t pre; /* 1 + its entry in imp.pre; 0: none */
};

/* An archive's temporary file, made ahead by the creator thread. */
struct imp_pre {
    enum sdc_archive type;
    const char *relpath; /* the archive's, which outlives the entry */
    int64_t start;       /* the file's start (last update) */
    bool done;           /* the creator tried it */
    bool ok;             /* and the file exists */
    bool used;           /* a writer took it over (and removes it) */
};

struct name_slot {
    uint64_t hash;
    char *name; /* NULL: empty */
    size_t len;
    uint32_t idx;
};

struct name_tab {
    struct name_slot *slot;
    size_t cap; /* power of two */
    size_t n;
};

struct imp {
    char *data_dir;
    size_t data_dir_len;
    char *rrdcached;
    unsigned step;
    unsigned batch;
    unsigned jobs;
    struct imp_callbacks cb;
    struct rrds_layout layout;
    locale_t c_locale;
    struct imp_tzcache tz;
    time_t now;
    char kinds[128]; /* "hv, cluster, ..." for messages */

    /* sources read so far; the current one is the last */
    char **src;
    size_t n_src;
    bool in_source;
    bool header_done;
    bool bad_header;
    int col[4]; /* time, archive, ds, value */
    size_t n_cols;
    uint64_t line;
    char *carry;
    size_t carry_len;
    bool carry_long;
    char *scratch;

    struct imp_archive *ar;
    size_t n_ar;
    size_t cap_ar;
    struct name_tab by_name;
    struct name_tab by_path;
    char cache_name[IMP_NAME_MAX];
    size_t cache_len; /* 0: nothing cached */
    uint32_t cache_idx;
    struct imp_slab *slabs;

    struct imp_stats st;
    pthread_mutex_t lock; /* stats and callbacks while writing */
    atomic_size_t next_archive;
    size_t done_archives;
    size_t n_write;  /* archives with rows to write */
    uid_t owner_uid; /* new files' owner when run as root */
    gid_t owner_gid;
    bool chown_new;

    /*
     * While the file is read, a second thread creates each archive's
     * temporary file (the creation writes the whole file, a third of the
     * writing time) on a core the reading leaves idle.  Only with jobs > 1.
     * pre[] grows under pre_lock; the reader appends, the creator takes
     * entries in order; imp_write stops the creator before using them.
     */
    pthread_t creator;
    bool creator_on;
    bool pre_stop;
    pthread_mutex_t pre_lock;
    pthread_cond_t pre_cond;
    struct imp_pre *pre;
    size_t n_pre;
    size_t cap_pre;
    size_t next_pre;
};

enum { COL_TIME = 0, COL_ARCHIVE, COL_DS, COL_VALUE };
static const char *const col_names[4] = {"time", "archive", "ds", "value"};

/* rrd_tune parses its argv with getopt: one call at a time per process. */
static pthread_mutex_t tune_lock = PTHREAD_MUTEX_INITIALIZER;

const char *imp_skip_name(enum imp_skip why)
{
    static const char *const names[IMP_SKIP_COUNT] = {
        [IMP_SKIP_FORMAT] = "malformed line",
        [IMP_SKIP_TIME] = "bad time",
        [IMP_SKIP_ARCHIVE] = "unknown archive",
        [IMP_SKIP_DS] = "unknown data source",
        [IMP_SKIP_VALUE] = "bad value",
        [IMP_SKIP_ORDER] = "out of order",
        [IMP_SKIP_WRITE] = "archive not written",
    };
    return (int)why >= 0 && why < IMP_SKIP_COUNT ? names[why] : "?";
}

/* ---- names ---- */

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t w = 0;
        memcpy(&w, p, n);
        h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
    }
    h ^= h >> 29;
    return h;
}

static bool tab_init(struct name_tab *t)
{
    t->cap = 1024;
    t->n = 0;
    t->slot = calloc(t->cap, sizeof(*t->slot));
    return t->slot != NULL;
}

static void tab_free(struct name_tab *t)
{
    for (size_t i = 0; t->slot && i < t->cap; i++)
        free(t->slot[i].name);
    free(t->slot);
    t->slot = NULL;
}

static struct name_slot *tab_find(const struct name_tab *t, const char *s,
                                  size_t len, uint64_t h)
{
    size_t mask = t->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        struct name_slot *e = &t->slot[i];
        if (!e->name)
            return e;
        if (e->hash == h && e->len == len && memcmp(e->name, s, len) == 0)
            return e;
    }
}

/* Insert @s (not present) with @idx; false when out of memory. */
static bool tab_add(struct name_tab *t, const char *s, size_t len, uint64_t h,
                    uint32_t idx)
{
    struct name_slot *e;

    if ((t->n + 1) * 10 > t->cap * 7) {
        size_t ncap = t->cap * 2;
        struct name_slot *ns = calloc(ncap, sizeof(*ns));
        if (!ns)
            return false;
        for (size_t i = 0; i < t->cap; i++) {
            size_t j;
            if (!t->slot[i].name)
                continue;
            for (j = (size_t)t->slot[i].hash & (ncap - 1); ns[j].name;
                 j = (j + 1) & (ncap - 1))
                ;
            ns[j] = t->slot[i];
        }
        free(t->slot);
        t->slot = ns;
        t->cap = ncap;
    }
    e = tab_find(t, s, len, h);
    e->name = malloc(len + 1);
    if (!e->name)
        return false;
    memcpy(e->name, s, len);
    e->name[len] = '\0';
    e->len = len;
    e->hash = h;
    e->idx = idx;
    t->n++;
    return true;
}

/* ---- reporting ---- */

static const char *src_name(const struct imp *im)
{
    return im->n_src ? im->src[im->n_src - 1] : "-";
}

static void skip_row(struct imp *im, enum imp_skip why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void skip_row(struct imp *im, enum imp_skip why, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    im->st.skipped[why]++;
    if (!im->cb.row_skipped)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    im->cb.row_skipped(im->cb.user, src_name(im), im->line, why, msg);
}

/* ---- temporary files ---- */

/* DATA_DIR/RELPATH and its temporary file, RELPATH.import.PID. */
static bool tmp_path(const struct imp *im, const char *relpath, char *path,
                     size_t psize, char *tmp, size_t tsize)
{
    int n = snprintf(path, psize, "%s/%s", im->data_dir, relpath);
    if (n < 0 || (size_t)n >= psize)
        return false;
    n = snprintf(tmp, tsize, "%s.import.%ld", path, (long)getpid());
    return n >= 0 && (size_t)n < tsize;
}

/* The creator thread: temporary files for the archives queued in pre[]. */
static void *creator_main(void *arg)
{
    struct imp *im = arg;
    locale_t old = uselocale(im->c_locale);

    pthread_mutex_lock(&im->pre_lock);
    for (;;) {
        char path[PATH_MAX];
        char tmp[PATH_MAX];
        struct imp_pre p;
        size_t i;
        bool ok;
        while (im->next_pre == im->n_pre && !im->pre_stop)
            pthread_cond_wait(&im->pre_cond, &im->pre_lock);
        if (im->pre_stop)
            break;
        i = im->next_pre++;
        p = im->pre[i];
        pthread_mutex_unlock(&im->pre_lock);
        ok = tmp_path(im, p.relpath, path, sizeof(path), tmp, sizeof(tmp)) &&
             rrds_make_parents(path, im->data_dir_len, NULL) == SDC_OK &&
             rrds_create(&im->layout, p.type, tmp, (time_t)p.start, NULL, NULL,
                         NULL) == SDC_OK;
        pthread_mutex_lock(&im->pre_lock);
        im->pre[i].done = true;
        im->pre[i].ok = ok;
    }
    pthread_mutex_unlock(&im->pre_lock);
    uselocale(old);
    return NULL;
}

/* Queue @a, whose first row is at @t, for a temporary file made ahead.  A
 * failure here only means the writer creates the file itself. */
static void pre_create(struct imp *im, struct imp_archive *a, time_t t)
{
    if (im->jobs < 2 || im->pre_stop)
        return;
    pthread_mutex_lock(&im->pre_lock);
    if (im->n_pre == im->cap_pre) {
        size_t ncap = im->cap_pre ? im->cap_pre * 2 : 1024;
        struct imp_pre *np = realloc(im->pre, ncap * sizeof(*np));
        if (!np) {
            pthread_mutex_unlock(&im->pre_lock);
            return;
        }
        im->pre = np;
        im->cap_pre = ncap;
    }
    if (!im->creator_on) {
        if (pthread_create(&im->creator, NULL, creator_main, im) != 0) {
            pthread_mutex_unlock(&im->pre_lock);
            return;
        }
        im->creator_on = true;
    }
    memset(&im->pre[im->n_pre], 0, sizeof(im->pre[0]));
    im->pre[im->n_pre].type = a->type;
    im->pre[im->n_pre].relpath = a->relpath;
    im->pre[im->n_pre].start = (int64_t)t - IMP_PRE_SLACK;
    a->pre = (uint32_t)++im->n_pre;
    pthread_cond_signal(&im->pre_cond);
    pthread_mutex_unlock(&im->pre_lock);
}

/* Stop the creator (what it has not made yet, the writers make). */
static void stop_creator(struct imp *im)
{
    pthread_mutex_lock(&im->pre_lock);
    im->pre_stop = true;
    pthread_cond_broadcast(&im->pre_cond);
    pthread_mutex_unlock(&im->pre_lock);
    if (im->creator_on) {
        pthread_join(im->creator, NULL);
        im->creator_on = false;
    }
}

/* ---- archives and rows ---- */

static struct imp_chunk *chunk_new(struct imp *im)
{
    struct imp_slab *s = im->slabs;
    struct imp_chunk *c;

    if (!s || s->used == IMP_SLAB_CHUNKS) {
        /* malloc, not calloc: pages are touched only as rows arrive */
        s = malloc(sizeof(*s));
        if (!s)
            return NULL;
        s->next = im->slabs;
        s->used = 0;
        im->slabs = s;
    }
    c = &s->c[s->used++];
    c->next = NULL;
    c->n = 0;
    return c;
}

static bool append(struct imp *im, struct imp_archive *a, uint64_t key,
                   uint64_t val)
{
    struct imp_chunk *c = a->tail;

    if (!c || c->n == IMP_CHUNK_N) {
        c = chunk_new(im);
        if (!c)
            return false;
        if (a->tail)
            a->tail->next = c;
        else
            a->head = c;
        a->tail = c;
    }
    c->e[c->n].key = key;
    c->e[c->n].val = val;
    c->n++;
    return true;
}

/* The files an archive kind has, for messages: "cpu, mem, disk-<...>". */
static void kind_files(const char *kind, size_t klen, char *out, size_t size)
{
    size_t pos = 0;
    out[0] = '\0';
    for (int t = 0; t < SDC_AR_COUNT; t++) {
        const struct sdc_archive_def *d = sdc_archive_def_get(t);
        int n;
        if (strlen(d->kind) != klen || memcmp(d->kind, kind, klen) != 0)
            continue;
        n = snprintf(out + pos, size - pos, "%s%s%s", pos ? ", " : "", d->file,
                     d->per_instance ? "<name>" : "");
        if (n < 0 || (size_t)n >= size - pos)
            break;
        pos += (size_t)n;
    }
}

static void ds_list(const struct sdc_archive_def *d, char *out, size_t size)
{
    size_t pos = 0;
    out[0] = '\0';
    for (size_t i = 0; i < d->n_ds; i++) {
        int n = snprintf(out + pos, size - pos, "%s%s", i ? ", " : "",
                         d->ds[i].name);
        if (n < 0 || (size_t)n >= size - pos)
            break;
        pos += (size_t)n;
    }
}

/*
 * The archive named @s ("<kind>/<id>/<file>", ".rrd" allowed), created on
 * first sight; -1 with the row reported when it names none, -2 when out of
 * memory.  Two spellings that sanitise to one path are one archive.
 */
static int64_t find_archive(struct imp *im, const char *s, size_t len)
{
    const char *s1, *s2, *file;
    size_t flen, klen, ilen;
    enum sdc_archive type = SDC_AR_COUNT;
    bool kind_known = false;
    char id[IMP_NAME_MAX + 1];
    char inst[IMP_NAME_MAX + 1];
    char rel[PATH_MAX];
    char shown[64];
    struct name_slot *e;
    struct imp_archive *a;
    uint64_t h;
    uint32_t idx;

    if (im->cache_len == len && memcmp(im->cache_name, s, len) == 0)
        return im->cache_idx;
    h = hash_bytes(s, len);
    e = tab_find(&im->by_name, s, len, h);
    if (e->name) {
        idx = e->idx;
        goto found;
    }

    imp_show(shown, sizeof(shown), s, len);
    if (len > IMP_NAME_MAX) {
        skip_row(im, IMP_SKIP_ARCHIVE, "archive '%s' is longer than %d bytes",
                 shown, IMP_NAME_MAX);
        return -1;
    }
    s1 = memchr(s, '/', len);
    s2 = memrchr(s, '/', len);
    if (!s1 || s2 == s1) {
        skip_row(im, IMP_SKIP_ARCHIVE,
                 "archive '%s' is not <kind>/<id>/<file> (e.g. vm/<uuid>/cpu)",
                 shown);
        return -1;
    }
    klen = (size_t)(s1 - s);
    ilen = (size_t)(s2 - s1 - 1);
    file = s2 + 1;
    flen = len - (size_t)(file - s);
    if (flen > 4 && memcmp(file + flen - 4, ".rrd", 4) == 0)
        flen -= 4;
    if (ilen == 0 || flen == 0) {
        skip_row(im, IMP_SKIP_ARCHIVE, "archive '%s' has an empty %s", shown,
                 ilen == 0 ? "id" : "file name");
        return -1;
    }
    for (int t = 0; t < SDC_AR_COUNT && type == SDC_AR_COUNT; t++) {
        const struct sdc_archive_def *d = sdc_archive_def_get(t);
        size_t dl = strlen(d->file);
        if (strlen(d->kind) != klen || memcmp(d->kind, s, klen) != 0)
            continue;
        kind_known = true;
        if (d->per_instance ? flen > dl && memcmp(file, d->file, dl) == 0
                            : flen == dl && memcmp(file, d->file, dl) == 0)
            type = (enum sdc_archive)t;
    }
    if (type == SDC_AR_COUNT) {
        char list[256];
        char k[64];
        char f[64];
        if (!kind_known) {
            skip_row(im, IMP_SKIP_ARCHIVE,
                     "archive '%s': unknown kind '%s' (%s)", shown,
                     imp_show(k, sizeof(k), s, klen), im->kinds);
            return -1;
        }
        kind_files(s, klen, list, sizeof(list));
        skip_row(im, IMP_SKIP_ARCHIVE,
                 "archive '%s': %s has no archive '%s' (%s)", shown,
                 imp_show(k, sizeof(k), s, klen),
                 imp_show(f, sizeof(f), file, flen), list);
        return -1;
    }
    memcpy(id, s1 + 1, ilen);
    id[ilen] = '\0';
    {
        const struct sdc_archive_def *d = sdc_archive_def_get(type);
        size_t dl = d->per_instance ? strlen(d->file) : flen;
        memcpy(inst, file + dl, flen - dl);
        inst[flen - dl] = '\0';
        if (memchr(id, '\0', ilen) || memchr(inst, '\0', flen - dl) ||
            sdc_archive_relpath(type, id, d->per_instance ? inst : NULL, rel,
                                sizeof(rel)) == 0) {
            skip_row(im, IMP_SKIP_ARCHIVE, "archive '%s' makes no valid path",
                     shown);
            return -1;
        }
    }

    {
        size_t rl = strlen(rel);
        uint64_t rh = hash_bytes(rel, rl);
        struct name_slot *pe = tab_find(&im->by_path, rel, rl, rh);
        if (pe->name) {
            idx = pe->idx;
        } else {
            if (im->n_ar == im->cap_ar) {
                size_t ncap = im->cap_ar ? im->cap_ar * 2 : 256;
                struct imp_archive *na = realloc(im->ar, ncap * sizeof(*na));
                if (!na)
                    return -2;
                im->ar = na;
                im->cap_ar = ncap;
            }
            if (im->n_ar >= UINT32_MAX)
                return -2;
            a = &im->ar[im->n_ar];
            memset(a, 0, sizeof(*a));
            a->type = type;
            a->name = strndup(s, len);
            a->relpath = strdup(rel);
            if (!a->name || !a->relpath) {
                free(a->name);
                free(a->relpath);
                return -2;
            }
            for (size_t i = 0; i < SDC_MAX_DS; i++)
                a->last_t[i] = INT64_MIN;
            idx = (uint32_t)im->n_ar;
            if (!tab_add(&im->by_path, rel, rl, rh, idx)) {
                free(a->name);
                free(a->relpath);
                return -2;
            }
            im->n_ar++;
        }
    }
    if (!tab_add(&im->by_name, s, len, h, idx))
        return -2;
found:
    memcpy(im->cache_name, s, len);
    im->cache_len = len;
    im->cache_idx = idx;
    return idx;
}

static int find_ds(const struct sdc_archive_def *d, const char *s, size_t len)
{
    for (size_t i = 0; i < d->n_ds; i++)
        if (strlen(d->ds[i].name) == len && memcmp(d->ds[i].name, s, len) == 0)
            return (int)i;
    return -1;
}

static enum sdc_rc data_row(struct imp *im, char **f, size_t *fl,
                            struct sdc_error *err)
{
    const char *ts = f[im->col[COL_TIME]];
    size_t tl = fl[im->col[COL_TIME]];
    const char *vs = f[im->col[COL_VALUE]];
    size_t vl = fl[im->col[COL_VALUE]];
    const struct sdc_archive_def *def;
    struct imp_archive *a;
    char shown[64];
    char shown2[64];
    time_t t;
    int64_t idx;
    int ds;
    bool unknown;
    uint64_t val = 0;

    if (!imp_parse_time(ts, tl, &im->tz, &t)) {
        skip_row(im, IMP_SKIP_TIME,
                 "time '%s' is not epoch seconds or ISO 8601 "
                 "(2026-01-31T23:00:00Z)",
                 imp_show(shown, sizeof(shown), ts, tl));
        return SDC_OK;
    }
    if (t < IMP_TIME_MIN) {
        skip_row(im, IMP_SKIP_TIME, "time '%s' is before 1980",
                 imp_show(shown, sizeof(shown), ts, tl));
        return SDC_OK;
    }
    if (t > im->now) {
        skip_row(im, IMP_SKIP_TIME, "time '%s' is in the future%s",
                 imp_show(shown, sizeof(shown), ts, tl),
                 t > 100000000000 ? " (milliseconds? give seconds)" : "");
        return SDC_OK;
    }
    idx = find_archive(im, f[im->col[COL_ARCHIVE]], fl[im->col[COL_ARCHIVE]]);
    if (idx == -2)
        return sdc_error_set(err, SDC_ERR_NOMEM, "import: out of memory");
    if (idx < 0)
        return SDC_OK;
    a = &im->ar[idx];
    def = sdc_archive_def_get(a->type);
    ds = find_ds(def, f[im->col[COL_DS]], fl[im->col[COL_DS]]);
    if (ds < 0) {
        char list[160];
        ds_list(def, list, sizeof(list));
        skip_row(im, IMP_SKIP_DS, "archive '%s' has no data source '%s' (%s)",
                 imp_show(shown, sizeof(shown), a->name, strlen(a->name)),
                 imp_show(shown2, sizeof(shown2), f[im->col[COL_DS]],
                          fl[im->col[COL_DS]]),
                 list);
        return SDC_OK;
    }
    unknown = imp_is_unknown(vs, vl);
    if (!unknown && def->ds[ds].type == SDC_DS_DERIVE) {
        if (!imp_parse_count(vs, vl, im->c_locale, &val)) {
            skip_row(im, IMP_SKIP_VALUE,
                     "value '%s' of counter '%s' is not a whole number >= 0",
                     imp_show(shown, sizeof(shown), vs, vl), def->ds[ds].name);
            return SDC_OK;
        }
    } else if (!unknown) {
        double g;
        if (!imp_parse_double(vs, vl, im->c_locale, &g)) {
            skip_row(im, IMP_SKIP_VALUE, "value '%s' is not a number",
                     imp_show(shown, sizeof(shown), vs, vl));
            return SDC_OK;
        }
        if (g < 0) {
            skip_row(im, IMP_SKIP_VALUE,
                     "value '%s' is negative (archives keep values >= 0)",
                     imp_show(shown, sizeof(shown), vs, vl));
            return SDC_OK;
        }
        g += 0.0; /* -0 becomes 0 */
        memcpy(&val, &g, sizeof(val));
    }
    if ((int64_t)t <= a->last_t[ds]) {
        /* the earlier row may be in an earlier file */
        const char *other =
            a->last_src[ds] + 1 < im->n_src ? im->src[a->last_src[ds]] : NULL;
        skip_row(im, IMP_SKIP_ORDER,
                 "%s %s: time '%s' is not after that of %s%s%llu (rows of "
                 "one archive and data source must come in ascending time)",
                 imp_show(shown, sizeof(shown), a->name, strlen(a->name)),
                 def->ds[ds].name, imp_show(shown2, sizeof(shown2), ts, tl),
                 other ? other : "line ", other ? ":" : "",
                 (unsigned long long)a->last_line[ds]);
        return SDC_OK;
    }
    if (a->n == 0)
        pre_create(im, a, t);
    if (!append(im, a, ((uint64_t)t << 4) | (unknown ? 8u : 0u) | (uint64_t)ds,
                val))
        return sdc_error_set(err, SDC_ERR_NOMEM, "import: out of memory");
    a->last_t[ds] = t;
    a->last_line[ds] = im->line;
    a->last_src[ds] = (uint32_t)(im->n_src - 1);
    a->count[ds]++;
    a->n++;
    im->st.loaded++;
    if (unknown)
        im->st.unknown++;
    if (im->st.first == 0 || t < im->st.first)
        im->st.first = t;
    if (t > im->st.last)
        im->st.last = t;
    return SDC_OK;
}

static enum sdc_rc header_row(struct imp *im, char **f, size_t *fl, size_t nf,
                              struct sdc_error *err)
{
    char found[128];
    size_t pos = 0;

    for (int c = 0; c < 4; c++)
        im->col[c] = -1;
    for (size_t i = 0; i < nf && i < IMP_MAX_FIELDS; i++) {
        for (int c = 0; c < 4; c++) {
            if (fl[i] == strlen(col_names[c]) &&
                strncasecmp(f[i], col_names[c], fl[i]) == 0) {
                if (im->col[c] >= 0) {
                    skip_row(im, IMP_SKIP_FORMAT,
                             "the header names column '%s' twice",
                             col_names[c]);
                    im->st.skipped[IMP_SKIP_FORMAT]--;
                    im->bad_header = true;
                    return sdc_error_set(err, SDC_ERR_INVALID,
                                         "%s: no usable header", src_name(im));
                }
                im->col[c] = (int)i;
            }
        }
        if (pos < sizeof(found) - 1) {
            int n = snprintf(found + pos, sizeof(found) - pos, "%s%s",
                             i ? "," : "", f[i]);
            if (n > 0)
                pos += (size_t)n;
        }
    }
    im->n_cols = 0;
    for (int c = 0; c < 4; c++) {
        if (im->col[c] < 0) {
            char shown[64];
            skip_row(im, IMP_SKIP_FORMAT,
                     "the first line must be the header "
                     "'time,archive,ds,value' (columns in any order), not "
                     "'%s'",
                     imp_show(shown, sizeof(shown), found,
                              pos < sizeof(found) ? pos : sizeof(found) - 1));
            im->st.skipped[IMP_SKIP_FORMAT]--;
            im->bad_header = true;
            return sdc_error_set(err, SDC_ERR_INVALID, "%s: no usable header",
                                 src_name(im));
        }
        if ((size_t)im->col[c] + 1 > im->n_cols)
            im->n_cols = (size_t)im->col[c] + 1;
    }
    im->header_done = true;
    return SDC_OK;
}

static enum sdc_rc do_line(struct imp *im, const char *line, size_t len,
                           struct sdc_error *err)
{
    char *f[IMP_MAX_FIELDS];
    size_t fl[IMP_MAX_FIELDS];
    size_t nf;
    const char *bad;

    im->line++;
    im->st.lines++;
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (im->line == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
        line += 3;
        len -= 3;
    }
    {
        size_t i = 0;
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == len)
            return SDC_OK; /* blank line */
    }
    if (im->header_done)
        im->st.rows++;
    bad = imp_csv_split(line, len, im->scratch, f, fl, IMP_MAX_FIELDS, &nf);
    if (!im->header_done) {
        if (bad) {
            skip_row(im, IMP_SKIP_FORMAT, "header: %s", bad);
            im->st.skipped[IMP_SKIP_FORMAT]--;
            im->bad_header = true;
            return sdc_error_set(err, SDC_ERR_INVALID, "%s: no usable header",
                                 src_name(im));
        }
        return header_row(im, f, fl, nf, err);
    }
    if (bad) {
        skip_row(im, IMP_SKIP_FORMAT, "%s", bad);
        return SDC_OK;
    }
    if (nf < im->n_cols) {
        skip_row(im, IMP_SKIP_FORMAT,
                 "%zu field%s, the header names %zu (time,archive,ds,value)",
                 nf, nf == 1 ? "" : "s", im->n_cols);
        return SDC_OK;
    }
    return data_row(im, f, fl, err);
}

static enum sdc_rc long_line(struct imp *im)
{
    im->line++;
    im->st.lines++;
    if (im->header_done)
        im->st.rows++;
    skip_row(im, IMP_SKIP_FORMAT, "line longer than %d bytes", IMP_LINE_MAX);
    if (!im->header_done) {
        im->st.skipped[IMP_SKIP_FORMAT]--;
        im->bad_header = true;
        return SDC_ERR_INVALID;
    }
    return SDC_OK;
}

/* ---- reading ---- */

enum sdc_rc imp_source_begin(struct imp *im, const char *name,
                             struct sdc_error *err)
{
    char **ns;

    if (!im || !name)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "import: no importer or no source name");
    if (im->n_src >= UINT32_MAX - 1)
        return sdc_error_set(err, SDC_ERR_INVALID, "import: too many sources");
    ns = realloc(im->src, (im->n_src + 1) * sizeof(*ns));
    if (!ns)
        return sdc_error_set(err, SDC_ERR_NOMEM, "import: out of memory");
    im->src = ns;
    if (!(im->src[im->n_src] = strdup(name)))
        return sdc_error_set(err, SDC_ERR_NOMEM, "import: out of memory");
    im->n_src++;
    im->in_source = true;
    im->header_done = false;
    im->bad_header = false;
    im->line = 0;
    im->carry_len = 0;
    im->carry_long = false;
    return SDC_OK;
}

enum sdc_rc imp_feed(struct imp *im, const char *data, size_t len,
                     struct sdc_error *err)
{
    const char *p = data;
    const char *end = data + len;
    enum sdc_rc rc;

    if (!im || !im->in_source || (len > 0 && !data))
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "import: imp_feed outside a source");
    if (im->bad_header)
        return sdc_error_set(err, SDC_ERR_INVALID, "%s: no usable header",
                             src_name(im));
    im->st.bytes += len;
    if (im->carry_len > 0 || im->carry_long) {
        const char *nl = memchr(p, '\n', len);
        size_t take = nl ? (size_t)(nl - p) : len;
        if (!im->carry_long && im->carry_len + take <= IMP_LINE_MAX) {
            memcpy(im->carry + im->carry_len, p, take);
            im->carry_len += take;
        } else {
            im->carry_long = true;
        }
        if (!nl)
            return SDC_OK;
        if (im->carry_long) {
            if (long_line(im) != SDC_OK)
                return sdc_error_set(err, SDC_ERR_INVALID,
                                     "%s: no usable header", src_name(im));
        } else {
            rc = do_line(im, im->carry, im->carry_len, err);
            if (rc != SDC_OK)
                return rc;
        }
        im->carry_len = 0;
        im->carry_long = false;
        p = nl + 1;
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (!nl) {
            if (l <= IMP_LINE_MAX) {
                memcpy(im->carry, p, l);
                im->carry_len = l;
            } else {
                im->carry_long = true;
            }
            break;
        }
        if (l > IMP_LINE_MAX) {
            if (long_line(im) != SDC_OK)
                return sdc_error_set(err, SDC_ERR_INVALID,
                                     "%s: no usable header", src_name(im));
        } else {
            rc = do_line(im, p, l, err);
            if (rc != SDC_OK)
                return rc;
        }
        p = nl + 1;
    }
    return SDC_OK;
}

enum sdc_rc imp_source_end(struct imp *im, struct sdc_error *err)
{
    enum sdc_rc rc = SDC_OK;

    if (!im || !im->in_source)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "import: imp_source_end outside a source");
    im->in_source = false;
    if (im->bad_header)
        return sdc_error_set(err, SDC_ERR_INVALID, "%s: no usable header",
                             src_name(im));
    if (im->carry_long) {
        if (long_line(im) != SDC_OK)
            rc = sdc_error_set(err, SDC_ERR_INVALID, "%s: no usable header",
                               src_name(im));
    } else if (im->carry_len > 0) {
        rc = do_line(im, im->carry, im->carry_len, err);
    }
    im->carry_len = 0;
    im->carry_long = false;
    if (rc == SDC_OK && !im->header_done) {
        im->line = 1;
        skip_row(im, IMP_SKIP_FORMAT,
                 "the file is empty: the first line must be the header "
                 "'time,archive,ds,value'");
        im->st.skipped[IMP_SKIP_FORMAT]--;
        rc = sdc_error_set(err, SDC_ERR_INVALID, "%s: no usable header",
                           src_name(im));
    }
    return rc;
}

enum sdc_rc imp_read_file(struct imp *im, const char *path,
                          struct sdc_error *err)
{
    bool is_stdin;
    int fd;
    char *buf;
    struct stat st;
    uint64_t total = 0;
    uint64_t done = 0;
    enum sdc_rc rc;

    if (!im || !path)
        return sdc_error_set(err, SDC_ERR_INVALID, "import: no file");
    is_stdin = strcmp(path, "-") == 0;
    fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sdc_error_set(err, SDC_ERR_IO, "cannot open %s: %s", path,
                             strerror(errno));
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        total = (uint64_t)st.st_size;
    buf = malloc(IMP_READ_BUF);
    if (!buf) {
        if (!is_stdin)
            close(fd);
        return sdc_error_set(err, SDC_ERR_NOMEM, "import: out of memory");
    }
#ifdef POSIX_FADV_SEQUENTIAL
    if (!is_stdin)
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    rc = imp_source_begin(im, is_stdin ? "stdin" : path, err);
    while (rc == SDC_OK) {
        ssize_t n = read(fd, buf, IMP_READ_BUF);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = sdc_error_set(err, SDC_ERR_IO, "cannot read %s: %s", path,
                               strerror(errno));
            break;
        }
        if (n == 0)
            break;
        rc = imp_feed(im, buf, (size_t)n, err);
        done += (uint64_t)n;
        if (im->cb.progress)
            im->cb.progress(im->cb.user, IMP_PHASE_READ, done, total,
                            im->st.rows);
    }
    if (im->in_source) {
        struct sdc_error e2;
        enum sdc_rc rc2 = imp_source_end(im, &e2);
        if (rc == SDC_OK && rc2 != SDC_OK) {
            rc = rc2;
            if (err)
                *err = e2;
        }
    }
    free(buf);
    if (!is_stdin)
        close(fd);
    return rc;
}

/* ---- writing ---- */

/* One data source's row, gathered for writing. */
struct imp_pt {
    int64_t t;
    uint64_t v;
    bool unknown;
};

struct imp_work {
    struct imp *im;
    unsigned id;
    struct imp_pt *pt;
    size_t pt_cap;
    int64_t *dl;
    size_t dl_cap;
    char *text;
    const char **argv;
    struct rrdw *rrdw; /* only to flush through rrdcached */
    uint64_t updates;
    uint64_t bridged;
};

static void swap64(int64_t *a, int64_t *b)
{
    int64_t t = *a;
    *a = *b;
    *b = t;
}

/*
 * The median of @v[0..n) (reordered), by quickselect with a three-way
 * partition: gaps are mostly equal, which a two-way partition would turn
 * quadratic.
 */
static int64_t median(int64_t *v, size_t n)
{
    size_t lo = 0;
    size_t hi = n; /* exclusive */
    size_t k = n / 2;

    while (hi - lo > 1) {
        int64_t a = v[lo], b = v[lo + (hi - lo) / 2], c = v[hi - 1];
        int64_t pivot = a < b ? (b < c ? b : (a < c ? c : a))
                              : (a < c ? a : (b < c ? c : b));
        size_t lt = lo, i = lo, gt = hi;
        /* [lo, lt) < pivot, [lt, i) == pivot, [gt, hi) > pivot */
        while (i < gt) {
            if (v[i] < pivot)
                swap64(&v[lt++], &v[i++]);
            else if (v[i] > pivot)
                swap64(&v[i], &v[--gt]);
            else
                i++;
        }
        if (k < lt)
            hi = lt;
        else if (k >= gt)
            lo = gt;
        else
            return pivot;
    }
    return v[k];
}

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
    void *np;
    size_t ncap;

    if (need <= *cap)
        return true;
    ncap = *cap ? *cap : 1024;
    while (ncap < need)
        ncap *= 2;
    np = realloc(*p, ncap * size);
    if (!np)
        return false;
    *p = np;
    *cap = ncap;
    return true;
}

/* Raise (or restore) the heartbeat of every data source of @path. */
/* Set the heartbeat of each data source of @path to @hb[i]. */
static enum sdc_rc tune_heartbeats(const char *path,
                                   const struct sdc_archive_def *def,
                                   const unsigned *hb, struct sdc_error *err)
{
    char a0[] = "tune";
    char a2[SDC_MAX_DS][3];
    char ds[SDC_MAX_DS][RRDS_DEF_LEN];
    char file[PATH_MAX];
    char *argv[2 + 2 * SDC_MAX_DS + 1];
    int argc = 0;
    int r;

    snprintf(file, sizeof(file), "%s", path);
    argv[argc++] = a0;
    argv[argc++] = file;
    for (size_t i = 0; i < def->n_ds; i++) {
        memcpy(a2[i], "-h", 3);
        snprintf(ds[i], sizeof(ds[i]), "%s:%u", def->ds[i].name, hb[i]);
        argv[argc++] = a2[i];
        argv[argc++] = ds[i];
    }
    argv[argc] = NULL;
    pthread_mutex_lock(&tune_lock);
    optind = 0; /* librrd parses with getopt */
    rrd_clear_error();
    r = rrd_tune(argc, argv);
    pthread_mutex_unlock(&tune_lock);
    if (r != 0)
        return sdc_error_set(err, SDC_ERR_RRD, "cannot tune %s: %s", path,
                             rrds_last_error());
    return SDC_OK;
}

/*
 * As root, give what the import creates to the data directory's owner, so
 * an sdcmond running as that user can go on writing it: the file @path
 * and, with @dirs, the directories above it up to the data directory that
 * root owns (the ones the import just made).
 */
static void give_away(const struct imp *im, const char *path, bool dirs)
{
    char p[PATH_MAX];
    struct stat st;

    if (!im->chown_new)
        return;
    if (lstat(path, &st) != 0 ||
        (st.st_uid == 0 && lchown(path, im->owner_uid, im->owner_gid) != 0))
        return;
    if (!dirs)
        return;
    snprintf(p, sizeof(p), "%s", path);
    for (char *s = strrchr(p, '/'); s && (size_t)(s - p) > im->data_dir_len;
         s = strrchr(p, '/')) {
        *s = '\0';
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0)
            (void)lchown(p, im->owner_uid, im->owner_gid);
    }
}

static enum sdc_rc flush_rows(struct imp_work *w, const char *tmp, size_t n,
                              struct sdc_error *err)
{
    if (n == 0)
        return SDC_OK;
    rrd_clear_error();
    if (rrd_update_r(tmp, NULL, (int)n, w->argv) != 0)
        return sdc_error_set(err, SDC_ERR_RRD, "cannot update %s: %s", tmp,
                             rrds_last_error());
    w->updates += n;
    return SDC_OK;
}

/* Where each data source stands while rows are formatted. */
struct row_state {
    size_t idx[SDC_MAX_DS];     /* its next row */
    int64_t prev_t[SDC_MAX_DS]; /* its last row written */
    uint64_t prev_v[SDC_MAX_DS];
    bool prev_known[SDC_MAX_DS];
};

/*
 * "t:v1:v2..." at @o for time @t: each data source's row at @t, else -
 * between two of its rows (the next one at idx, before @lim) no further
 * apart than its heartbeat - what it alone would give this interval (a
 * gauge's next value, a counter interpolated), else U.
 */
static char *format_row(struct imp_work *w, const struct sdc_archive_def *def,
                        struct row_state *rs, const size_t *lim,
                        const unsigned *hb, int64_t t, char *o)
{
    const struct imp_pt *pt = w->pt;

    o = imp_u64toa(o, (uint64_t)t);
    for (size_t k = 0; k < def->n_ds; k++) {
        const struct imp_pt *nx = rs->idx[k] < lim[k] ? &pt[rs->idx[k]] : NULL;
        bool derive = def->ds[k].type == SDC_DS_DERIVE;
        *o++ = ':';
        if (nx && nx->t == t) {
            rs->idx[k]++;
            rs->prev_t[k] = t;
            rs->prev_known[k] = !nx->unknown;
            rs->prev_v[k] = nx->v;
            if (nx->unknown) {
                *o++ = 'U';
            } else if (derive) {
                o = imp_u64toa(o, nx->v);
            } else {
                double g;
                memcpy(&g, &nx->v, sizeof(g));
                o = imp_fmt_gauge(o, g);
            }
        } else if (rs->prev_known[k] && nx && !nx->unknown &&
                   nx->t - rs->prev_t[k] <= (int64_t)hb[k] &&
                   (!derive || nx->v >= rs->prev_v[k])) {
            w->bridged++;
            if (derive) {
                long double f = (long double)(t - rs->prev_t[k]) /
                                (long double)(nx->t - rs->prev_t[k]);
                long double c = (long double)rs->prev_v[k] +
                                (long double)(nx->v - rs->prev_v[k]) * f;
                uint64_t cv = (uint64_t)(c + 0.5L);
                if (cv < rs->prev_v[k])
                    cv = rs->prev_v[k];
                if (cv > nx->v)
                    cv = nx->v;
                o = imp_u64toa(o, cv);
            } else {
                double g;
                memcpy(&g, &nx->v, sizeof(g));
                o = imp_fmt_gauge(o, g);
            }
        } else {
            *o++ = 'U';
        }
    }
    *o++ = '\0';
    return o;
}

/*
 * Write into @tmp the rows [off[k], end[k]) of each gathered series (all
 * of series k is [off[k], off[k + 1])), after an all-unknown row at @lead
 * when it is not 0.  With @cut below INT64_MAX the rows end with one at
 * @cut, bridged towards the first row left out, so the history reaches
 * exactly to where the existing archive's data begins.
 */
static enum sdc_rc load_rows(struct imp_work *w,
                             const struct sdc_archive_def *def,
                             const size_t *off, const size_t *end, int64_t cut,
                             const unsigned *hb, int64_t lead, const char *tmp,
                             struct sdc_error *err)
{
    size_t nds = def->n_ds;
    struct row_state rs;
    char *o = w->text;
    size_t nrows = 0;
    int64_t last = lead;
    enum sdc_rc rc;

    memset(&rs, 0, sizeof(rs));
    for (size_t k = 0; k < nds; k++)
        rs.idx[k] = off[k];
    if (lead) {
        w->updates--; /* not a row of the history */
        w->argv[nrows++] = o;
        o = imp_u64toa(o, (uint64_t)lead);
        for (size_t k = 0; k < nds; k++) {
            *o++ = ':';
            *o++ = 'U';
        }
        *o++ = '\0';
    }
    for (;;) {
        int64_t t = INT64_MAX;
        for (size_t k = 0; k < nds; k++)
            if (rs.idx[k] < end[k] && w->pt[rs.idx[k]].t < t)
                t = w->pt[rs.idx[k]].t;
        if (t == INT64_MAX) {
            if (cut == INT64_MAX || cut <= last)
                break;
            /* the last row, at the cut: bridged towards the rows after */
            w->argv[nrows++] = o;
            o = format_row(w, def, &rs, off + 1, hb, cut, o);
            break;
        }
        w->argv[nrows++] = o;
        o = format_row(w, def, &rs, end, hb, t, o);
        last = t;
        if (nrows == w->im->batch) {
            rc = flush_rows(w, tmp, nrows, err);
            if (rc != SDC_OK)
                return rc;
            nrows = 0;
            o = w->text;
        }
    }
    return flush_rows(w, tmp, nrows, err);
}

/* An AVERAGE RRA of an existing archive: its resolution and rows. */
struct own_rra {
    unsigned long res;
    unsigned long rows;
};

static int own_rra_cmp(const void *pa, const void *pb)
{
    const struct own_rra *a = pa, *b = pb;
    return (a->res > b->res) - (a->res < b->res);
}

/* The AVERAGE RRAs of @path, finest first, and its last update. */
static enum sdc_rc own_rras(const char *path, struct own_rra *rra, size_t *n,
                            time_t *last, struct sdc_error *err)
{
    char cf[16][16] = {{0}};
    unsigned long rows[16] = {0};
    unsigned long ppr[16] = {0};
    unsigned long step = 0;
    rrd_info_t *info;

    rrd_clear_error();
    info = rrd_info_r(path);
    if (!info)
        return sdc_error_set(err, SDC_ERR_RRD, "cannot read %s: %s", path,
                             rrds_last_error());
    *last = 0;
    for (rrd_info_t *i = info; i; i = i->next) {
        char *end;
        unsigned long k;
        if (strcmp(i->key, "step") == 0 && i->type == RD_I_CNT)
            step = i->value.u_cnt;
        else if (strcmp(i->key, "last_update") == 0 && i->type == RD_I_CNT)
            *last = (time_t)i->value.u_cnt;
        if (strncmp(i->key, "rra[", 4) != 0)
            continue;
        k = strtoul(i->key + 4, &end, 10);
        if (k >= 16 || end == i->key + 4)
            continue;
        if (strcmp(end, "].cf") == 0 && i->type == RD_I_STR)
            snprintf(cf[k], sizeof(cf[k]), "%s", i->value.u_str);
        else if (strcmp(end, "].rows") == 0 && i->type == RD_I_CNT)
            rows[k] = i->value.u_cnt;
        else if (strcmp(end, "].pdp_per_row") == 0 && i->type == RD_I_CNT)
            ppr[k] = i->value.u_cnt;
    }
    rrd_info_free(info);
    *n = 0;
    for (size_t k = 0; k < 16; k++)
        if (strcmp(cf[k], "AVERAGE") == 0 && rows[k] > 1 && ppr[k] > 0 &&
            step > 0) {
            rra[*n].res = ppr[k] * step;
            rra[*n].rows = rows[k];
            (*n)++;
        }
    qsort(rra, *n, sizeof(*rra), own_rra_cmp);
    return SDC_OK;
}

/*
 * Where the existing archive @path's own data begins: the start of the
 * interval of its first known value, read from the finest AVERAGE RRA that
 * reaches back past it (2 days of steps, then 40 days of 5 minutes, 100 of
 * hours ... with the default retention).  INT64_MAX when it holds no value.
 */
static enum sdc_rc own_data_start(const char *path, int64_t *start,
                                  struct sdc_error *err)
{
    struct own_rra rra[16];
    size_t n = 0;
    time_t last;
    int64_t oldest = INT64_MAX;
    enum sdc_rc rc = own_rras(path, rra, &n, &last, err);

    *start = INT64_MAX;
    for (size_t r = 0; rc == SDC_OK && r < n; r++) {
        time_t end = last - last % (time_t)rra[r].res;
        time_t begin = end - (time_t)((rra[r].rows - 1) * rra[r].res);
        unsigned long fstep = rra[r].res, nds = 0, nrows;
        char **names = NULL;
        rrd_value_t *data = NULL;
        long found = -1;
        rrd_clear_error();
        if (rrd_fetch_r(path, "AVERAGE", &begin, &end, &fstep, &nds, &names,
                        &data) != 0)
            return sdc_error_set(err, SDC_ERR_RRD, "cannot read %s: %s", path,
                                 rrds_last_error());
        nrows = fstep ? (unsigned long)(end - begin) / fstep : 0;
        for (unsigned long row = 0; row < nrows && found < 0; row++)
            for (unsigned long d = 0; d < nds; d++)
                if (!isnan(data[row * nds + d])) {
                    found = (long)row;
                    break;
                }
        for (unsigned long d = 0; d < nds; d++)
            rrd_freemem(names[d]);
        rrd_freemem(names);
        rrd_freemem(data);
        if (fstep != rra[r].res || found < 0)
            continue; /* another RRA answered, or nothing in this one */
        /* row k covers (begin + k * step, begin + (k + 1) * step] */
        if (found > 0) {
            *start = (int64_t)begin + (int64_t)found * (int64_t)fstep;
            return SDC_OK;
        }
        /* known from the oldest row on: the data began before this span */
        if ((int64_t)begin < oldest)
            oldest = (int64_t)begin;
    }
    if (rc == SDC_OK)
        *start = oldest;
    return rc;
}

/*
 * Rebuild the existing archive @path from the history in @tmp (which ends
 * where the archive's own data begins) and itself, and swap the result in.
 */
static enum sdc_rc merge_into(struct imp_work *w,
                              const struct sdc_archive_def *def,
                              const char *path, const char *tmp,
                              struct sdc_error *err)
{
    struct imp *im = w->im;
    /*
     * The history first.  librrd prefills each row of the new file from the
     * first source that holds any value for its time, at any resolution -
     * a coarse one included - so the history must end where the archive's
     * own data begins (own_data_start) and its file hold nothing after:
     * then its consolidations end before the archive's data, and none of
     * its values can cover a row the archive holds, nor the archive's a
     * row of the history.
     */
    const char *sources[3] = {tmp, path, NULL};
    char mtmp[PATH_MAX];
    enum sdc_rc rc;
    int n;

    n = snprintf(mtmp, sizeof(mtmp), "%s.merge.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof(mtmp))
        return sdc_error_set(err, SDC_ERR_INVALID, "path too long: %s", path);
    for (int attempt = 0; attempt < IMP_MERGE_TRIES; attempt++) {
        struct stat st;
        time_t before, after;
        rc = rrds_check(def, path, &before, err);
        if (rc != SDC_OK)
            return rc;
        if (stat(path, &st) != 0)
            return sdc_error_set(err, SDC_ERR_IO, "cannot stat %s: %s", path,
                                 strerror(errno));
        rc = rrds_create(&im->layout, def->type, mtmp, -1, sources, NULL, err);
        if (rc != SDC_OK)
            return rc;
        /* keep the owner and mode sdcmond writes the archive with */
        if (geteuid() == 0)
            (void)chown(mtmp, st.st_uid, st.st_gid);
        (void)chmod(mtmp, st.st_mode & 07777);
        rc = rrds_check(def, path, &after, err);
        if (rc != SDC_OK) {
            unlink(mtmp);
            return rc;
        }
        if (before == after)
            return rrds_install(mtmp, path, true, NULL, err);
        unlink(mtmp);
    }
    return sdc_error_set(err, SDC_ERR_RRD,
                         "%s kept changing while it was merged (is sdcmond "
                         "writing?)",
                         path);
}

/* Gather, load and put in place one archive. */
/*
 * Gather, load and put in place one archive.  *@superseded: rows not used
 * because the existing archive's own data covers their time.
 */
static enum sdc_rc write_archive(struct imp_work *w, struct imp_archive *a,
                                 bool *merged, uint64_t *superseded,
                                 struct sdc_error *err)
{
    struct imp *im = w->im;
    const struct sdc_archive_def *def = sdc_archive_def_get(a->type);
    struct imp_pre *pre = a->pre ? &im->pre[a->pre - 1] : NULL;
    size_t nds = def->n_ds;
    size_t off[SDC_MAX_DS + 1];
    size_t end[SDC_MAX_DS];
    size_t pos[SDC_MAX_DS];
    unsigned hb[SDC_MAX_DS];
    unsigned base[SDC_MAX_DS];
    unsigned base_hb = rrds_heartbeat(&im->layout);
    int64_t interval = INT64_MAX;
    bool raised = false;
    bool exists = false;
    bool use_pre;
    char path[PATH_MAX];
    char tmp[PATH_MAX];
    struct stat st;
    time_t last;
    enum sdc_rc rc;

    *merged = false;
    *superseded = 0;
    use_pre = pre && pre->done && pre->ok;
    if (pre && pre->done)
        pre->used = true; /* removed below whatever happens */
    if (!tmp_path(im, a->relpath, path, sizeof(path), tmp, sizeof(tmp)))
        return sdc_error_set(err, SDC_ERR_INVALID, "path too long: %s",
                             a->relpath);

    /* gather the rows per data source (each already in time order) */
    if (!grow((void **)&w->pt, &w->pt_cap, a->n, sizeof(*w->pt)) ||
        !grow((void **)&w->dl, &w->dl_cap, a->n, sizeof(*w->dl))) {
        rc = sdc_error_set(err, SDC_ERR_NOMEM, "import: out of memory");
        goto out;
    }
    off[0] = 0;
    for (size_t k = 0; k < nds; k++) {
        off[k + 1] = off[k] + a->count[k];
        pos[k] = off[k];
        end[k] = off[k + 1];
    }
    for (const struct imp_chunk *c = a->head; c; c = c->next) {
        for (uint32_t i = 0; i < c->n; i++) {
            uint64_t key = c->e[i].key;
            size_t k = (size_t)(key & 7u);
            struct imp_pt *p = &w->pt[pos[k]++];
            p->t = (int64_t)(key >> 4);
            p->v = c->e[i].val;
            p->unknown = (key & 8u) != 0;
        }
    }

    /* each data source's interval, and the heartbeat that bridges it */
    for (size_t k = 0; k < nds; k++) {
        size_t m = off[k + 1] - off[k];
        hb[k] = base[k] = base_hb;
        if (m < 2)
            continue;
        for (size_t i = 0; i + 1 < m; i++)
            w->dl[i] = w->pt[off[k] + i + 1].t - w->pt[off[k] + i].t;
        {
            int64_t med = median(w->dl, m - 1);
            if (med > IMP_MAX_INTERVAL)
                med = IMP_MAX_INTERVAL;
            if (med < 1)
                med = 1;
            if (med < interval)
                interval = med;
            if (2 * (uint64_t)med > base_hb) {
                hb[k] = (unsigned)(2 * med);
                raised = true;
            }
        }
    }
    if (interval == INT64_MAX || interval < (int64_t)im->step)
        interval = im->step;

    if (stat(path, &st) == 0) {
        rc = rrds_check(def, path, &last, err);
        if (rc != SDC_OK)
            goto out;
        exists = true;
    } else if (errno != ENOENT) {
        rc = sdc_error_set(err, SDC_ERR_IO, "cannot stat %s: %s", path,
                           strerror(errno));
        goto out;
    }
    rc = rrds_make_parents(path, im->data_dir_len, err);
    if (rc != SDC_OK)
        goto out;

    for (;;) {
        int64_t first = INT64_MAX;
        int64_t lead = 0;
        int64_t cut = INT64_MAX;
        int64_t start;
        uint64_t kept = 0;

        if (exists) {
            /* the archive's own data wins from where it begins: the
             * history stops there (see merge_into) */
            if (w->rrdw) {
                rc = rrdw_flush_path(w->rrdw, path, err);
                if (rc != SDC_OK)
                    goto out;
            }
            rc = own_data_start(path, &cut, err);
            if (rc != SDC_OK)
                goto out;
            *superseded = 0;
            for (size_t k = 0; k < nds; k++) {
                end[k] = off[k + 1];
                while (end[k] > off[k] && w->pt[end[k] - 1].t > cut)
                    end[k]--;
                *superseded += off[k + 1] - end[k];
            }
        }
        for (size_t k = 0; k < nds; k++) {
            kept += end[k] - off[k];
            if (end[k] > off[k] && w->pt[off[k]].t < first)
                first = w->pt[off[k]].t;
        }
        if (kept == 0) {
            /* all of it is covered by the archive's own data */
            *merged = true;
            goto out;
        }
        /* the first row covers the interval before it */
        start = first - interval;
        if (use_pre && pre->start <= start) {
            /* made while reading, with the layout's heartbeat and an
             * earlier start: raise the heartbeat, and let an unknown row
             * take it to the start the rows need */
            rc = raised ? tune_heartbeats(tmp, def, hb, err) : SDC_OK;
            if (pre->start < start)
                lead = start;
        } else {
            rc = rrds_create(&im->layout, a->type, tmp, (time_t)start, NULL,
                             raised ? hb : NULL, err);
        }
        use_pre = false;
        if (rc == SDC_OK)
            rc = load_rows(w, def, off, end, cut, hb, lead, tmp, err);
        if (rc != SDC_OK)
            goto out;
        if (exists)
            break;
        {
            bool existed = false;
            if (raised)
                rc = tune_heartbeats(tmp, def, base, err);
            if (rc == SDC_OK) {
                give_away(im, tmp, false);
                rc = rrds_install(tmp, path, false, &existed, err);
            }
            if (rc != SDC_OK)
                goto out;
            if (!existed) {
                give_away(im, path, true);
                return SDC_OK;
            }
        }
        /* sdcmond created the archive meanwhile: merge with it */
        exists = true;
    }
    rc = merge_into(w, def, path, tmp, err);
    *merged = rc == SDC_OK;
out:
    unlink(tmp);
    return rc;
}

static void *write_worker(void *arg)
{
    struct imp_work *w = arg;
    struct imp *im = w->im;
    locale_t old = uselocale(im->c_locale);

    for (;;) {
        size_t i = atomic_fetch_add(&im->next_archive, 1);
        struct imp_archive *a;
        struct sdc_error e;
        bool merged = false;
        uint64_t superseded = 0;
        enum sdc_rc rc;
        if (i >= im->n_ar)
            break;
        a = &im->ar[i];
        if (a->n == 0) /* only named by rows that were skipped */
            continue;
        sdc_error_clear(&e);
        rc = write_archive(w, a, &merged, &superseded, &e);
        pthread_mutex_lock(&im->lock);
        if (rc == SDC_OK) {
            if (merged)
                im->st.merged++;
            else
                im->st.created++;
            im->st.superseded += superseded;
            im->st.loaded -= superseded;
        } else {
            im->st.failed++;
            im->st.loaded -= a->n;
            im->st.skipped[IMP_SKIP_WRITE] += a->n;
            if (im->cb.archive_failed)
                im->cb.archive_failed(im->cb.user, a->name, e.msg);
        }
        im->done_archives++;
        im->st.archives++;
        if (im->cb.progress)
            im->cb.progress(im->cb.user, IMP_PHASE_WRITE, im->done_archives,
                            im->n_write, im->st.rows);
        pthread_mutex_unlock(&im->lock);
    }
    uselocale(old);
    return NULL;
}

enum sdc_rc imp_write(struct imp *im, struct sdc_error *err)
{
    struct imp_work *w = NULL;
    pthread_t *th = NULL;
    struct rrdw *rrdw = NULL;
    char rrddir[PATH_MAX];
    size_t jobs;
    size_t started = 0;
    struct stat st;
    enum sdc_rc rc = SDC_OK;

    if (!im)
        return sdc_error_set(err, SDC_ERR_INVALID, "import: no importer");
    stop_creator(im);
    if (im->n_ar == 0)
        return SDC_OK;
    snprintf(rrddir, sizeof(rrddir), "%s/rrd/", im->data_dir);
    rc = rrds_make_parents(rrddir, 0, err);
    if (rc != SDC_OK)
        return rc;
    rrddir[strlen(rrddir) - 1] = '\0';
    if (access(rrddir, W_OK | X_OK) != 0)
        return sdc_error_set(err, SDC_ERR_IO, "cannot write into %s: %s",
                             rrddir, strerror(errno));
    if (stat(im->data_dir, &st) == 0 && geteuid() == 0 && st.st_uid != 0) {
        im->chown_new = true;
        im->owner_uid = st.st_uid;
        im->owner_gid = st.st_gid;
        give_away(im, rrddir, false);
    }
    if (im->rrdcached && *im->rrdcached) {
        /* the daemon may hold updates for archives about to be merged */
        struct sdc_error e;
        if (rrdw_open(im->data_dir, im->step, NULL, im->rrdcached, &rrdw, &e) !=
            SDC_OK)
            rrdw = NULL; /* not running: it holds nothing */
    }

    jobs = im->jobs ? im->jobs : 1;
    if (jobs > im->n_ar)
        jobs = im->n_ar;
    w = calloc(jobs, sizeof(*w));
    th = calloc(jobs, sizeof(*th));
    if (!w || !th) {
        rc = sdc_error_set(err, SDC_ERR_NOMEM, "import: out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < jobs; i++) {
        w[i].im = im;
        w[i].id = (unsigned)i;
        w[i].rrdw = rrdw;
        w[i].text = malloc((size_t)im->batch * IMP_ROW_MAX);
        w[i].argv = malloc((size_t)im->batch * sizeof(*w[i].argv));
        if (!w[i].text || !w[i].argv) {
            rc = sdc_error_set(err, SDC_ERR_NOMEM, "import: out of memory");
            goto cleanup;
        }
    }
    atomic_store(&im->next_archive, 0);
    im->done_archives = 0;
    im->n_write = 0;
    for (size_t i = 0; i < im->n_ar; i++)
        im->n_write += im->ar[i].n > 0;
    for (size_t i = 1; i < jobs; i++) {
        if (pthread_create(&th[i], NULL, write_worker, &w[i]) != 0)
            break;
        started = i;
    }
    write_worker(&w[0]);
    for (size_t i = 1; i <= started; i++)
        pthread_join(th[i], NULL);
    for (size_t i = 0; i < jobs; i++) {
        im->st.updates += w[i].updates;
        im->st.bridged += w[i].bridged;
    }

cleanup:
    for (size_t i = 0; w && i < jobs; i++) {
        free(w[i].pt);
        free(w[i].dl);
        free(w[i].text);
        free(w[i].argv);
    }
    free(w);
    free(th);
    rrdw_free(rrdw);
    return rc;
}

/* ---- open, free, stats ---- */

enum sdc_rc imp_open(const struct imp_config *cfg,
                     const struct imp_callbacks *cb, struct imp **out,
                     struct sdc_error *err)
{
    struct imp *im;
    size_t len;
    size_t pos = 0;
    enum sdc_rc rc;

    if (out)
        *out = NULL;
    if (!cfg || !out || !cfg->data_dir || !*cfg->data_dir)
        return sdc_error_set(err, SDC_ERR_INVALID, "import: no data directory");
    im = calloc(1, sizeof(*im));
    if (!im)
        return sdc_error_set(err, SDC_ERR_NOMEM, "import: out of memory");
    pthread_mutex_init(&im->lock, NULL);
    pthread_mutex_init(&im->pre_lock, NULL);
    pthread_cond_init(&im->pre_cond, NULL);
    rc = rrds_layout_init(&im->layout, cfg->step, cfg->retention, err);
    if (rc != SDC_OK) {
        imp_free(im);
        return rc;
    }
    len = strlen(cfg->data_dir);
    while (len > 1 && cfg->data_dir[len - 1] == '/')
        len--;
    im->data_dir = strndup(cfg->data_dir, len);
    im->data_dir_len = len;
    im->rrdcached = cfg->rrdcached ? strdup(cfg->rrdcached) : NULL;
    im->step = cfg->step;
    im->batch = cfg->batch ? cfg->batch : IMP_DEFAULT_BATCH;
    if (im->batch > IMP_MAX_BATCH)
        im->batch = IMP_MAX_BATCH;
    im->jobs = cfg->jobs ? cfg->jobs : 1;
    if (im->jobs > IMP_MAX_JOBS)
        im->jobs = IMP_MAX_JOBS;
    im->now = cfg->now ? cfg->now : time(NULL);
    if (cb)
        im->cb = *cb;
    im->c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    im->carry = malloc(IMP_LINE_MAX + 1);
    im->scratch = malloc(2 * (size_t)IMP_LINE_MAX + IMP_MAX_FIELDS + 2);
    imp_tzcache_init(&im->tz);
    if (!im->data_dir || (cfg->rrdcached && !im->rrdcached) ||
        im->c_locale == (locale_t)0 || !im->carry || !im->scratch ||
        !tab_init(&im->by_name) || !tab_init(&im->by_path)) {
        imp_free(im);
        return sdc_error_set(err, SDC_ERR_NOMEM, "import: out of memory");
    }
    for (int t = 0; t < SDC_AR_COUNT; t++) {
        const char *k = sdc_archive_def_get(t)->kind;
        bool seen = false;
        for (int u = 0; u < t; u++)
            if (strcmp(sdc_archive_def_get(u)->kind, k) == 0)
                seen = true;
        if (!seen) {
            int n = snprintf(im->kinds + pos, sizeof(im->kinds) - pos, "%s%s",
                             pos ? ", " : "", k);
            if (n > 0 && (size_t)n < sizeof(im->kinds) - pos)
                pos += (size_t)n;
        }
    }
    *out = im;
    return SDC_OK;
}

void imp_free(struct imp *im)
{
    if (!im)
        return;
    stop_creator(im);
    /* temporary files made ahead for archives never written */
    for (size_t i = 0; i < im->n_pre; i++) {
        char path[PATH_MAX];
        char tmp[PATH_MAX];
        if (im->pre[i].ok && !im->pre[i].used &&
            tmp_path(im, im->pre[i].relpath, path, sizeof(path), tmp,
                     sizeof(tmp)))
            unlink(tmp);
    }
    free(im->pre);
    pthread_cond_destroy(&im->pre_cond);
    pthread_mutex_destroy(&im->pre_lock);
    while (im->slabs) {
        struct imp_slab *s = im->slabs;
        im->slabs = s->next;
        free(s);
    }
    for (size_t i = 0; i < im->n_ar; i++) {
        free(im->ar[i].name);
        free(im->ar[i].relpath);
    }
    free(im->ar);
    tab_free(&im->by_name);
    tab_free(&im->by_path);
    for (size_t i = 0; i < im->n_src; i++)
        free(im->src[i]);
    free(im->src);
    if (im->c_locale != (locale_t)0)
        freelocale(im->c_locale);
    free(im->carry);
    free(im->scratch);
    free(im->data_dir);
    free(im->rrdcached);
    pthread_mutex_destroy(&im->lock);
    free(im);
}

void imp_get_stats(const struct imp *im, struct imp_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof(*out));
    if (im)
        *out = im->st;
}
