/*
 * test_import.c - history and inventory import (reporter/import*.c) into
 * real archives and a real inventory, read back with the rrdtool and
 * sqlite3 command-line tools.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "import.h"
#include "import_priv.h"
#include "inventory.h"
#include "rrd_writer.h"
#include "testutil.h"

#define STEP 60
#define MAX_MSGS 64
#define MAX_FETCH 4096
#define VM "6f1c0d3e-0b7a-4c1e-9d53-0f6c2a1b9e47"

struct msgs {
    int n;
    uint64_t line[MAX_MSGS];
    enum imp_skip why[MAX_MSGS];
    char text[MAX_MSGS][512];
    int archive_failed;
};

struct fx {
    char *dir;
    char data[PATH_MAX];
    char csv[PATH_MAX];
    struct msgs m;
    struct imp_stats st;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->dir = tu_tmpdir("import");
    assert_non_null(f->dir);
    snprintf(f->data, sizeof(f->data), "%s/data", f->dir);
    snprintf(f->csv, sizeof(f->csv), "%s/history.csv", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static void on_row(void *user, const char *file, uint64_t line,
                   enum imp_skip why, const char *msg)
{
    struct msgs *m = user;
    (void)file;
    if (m->n < MAX_MSGS) {
        m->line[m->n] = line;
        m->why[m->n] = why;
        snprintf(m->text[m->n], sizeof(m->text[0]), "%s", msg);
    }
    m->n++;
}

static void on_archive(void *user, const char *archive, const char *msg)
{
    struct msgs *m = user;
    (void)archive;
    (void)msg;
    m->archive_failed++;
}

/* The hour (or @align) boundary @back units before now. */
static time_t ago(time_t align, int back)
{
    time_t now = time(NULL);
    return now - now % align - (time_t)back * align;
}

/* Import @csv (text) into the fixture's data directory. */
static enum sdc_rc import_csv(struct fx *f, const char *csv, unsigned jobs)
{
    struct imp_config cfg = {.data_dir = f->data, .step = STEP, .jobs = jobs};
    struct imp_callbacks cb = {on_row, on_archive, NULL, &f->m};
    struct imp *im = NULL;
    struct sdc_error err;
    enum sdc_rc rc;

    assert_true(tu_write_file(f->csv, csv, 0644));
    memset(&f->m, 0, sizeof(f->m));
    rc = imp_open(&cfg, &cb, &im, &err);
    assert_int_equal(rc, SDC_OK);
    rc = imp_read_file(im, f->csv, &err);
    if (rc == SDC_OK)
        rc = imp_write(im, &err);
    imp_get_stats(im, &f->st);
    imp_free(im);
    return rc;
}

/* A growable text buffer for CSV built in the tests. */
struct buf {
    char *p;
    size_t len;
    size_t cap;
};

static void addf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->cap - b->len < 512) {
        b->cap = b->cap ? b->cap * 2 : 65536;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    va_start(ap, fmt);
    n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < b->cap - b->len);
    b->len += (size_t)n;
}

static char *archive_path(const struct fx *f, const char *rel)
{
    static char p[2 * PATH_MAX];
    snprintf(p, sizeof(p), "%s/rrd/%s.rrd", f->data, rel);
    return p;
}

/*
 * `rrdtool fetch FILE AVERAGE -r RES -s S -e E`: the rows' times and the
 * values of @ds (NaN for unknown).  Returns the number of rows.
 */
static int fetch(const char *file, const char *ds, int res, time_t s, time_t e,
                 time_t *ts, double *vs)
{
    char *out = NULL;
    char *save = NULL;
    char *line;
    int col = -1;
    int n = 0;

    assert_int_equal(tu_runf(&out,
                             "rrdtool fetch '%s' AVERAGE -r %d -s %lld "
                             "-e %lld",
                             file, res, (long long)s, (long long)e),
                     0);
    line = strtok_r(out, "\n", &save);
    assert_non_null(line);
    {
        int i = 0;
        char *s2 = NULL;
        for (char *tok = strtok_r(line, " \t", &s2); tok;
             tok = strtok_r(NULL, " \t", &s2), i++)
            if (strcmp(tok, ds) == 0)
                col = i;
    }
    assert_true(col >= 0);
    while ((line = strtok_r(NULL, "\n", &save)) && n < MAX_FETCH) {
        char *colon = strchr(line, ':');
        char *p;
        if (!colon)
            continue;
        ts[n] = (time_t)strtoll(line, NULL, 10);
        p = colon + 1;
        for (int i = 0; i <= col; i++) {
            char *end;
            double v = strtod(p, &end);
            assert_true(end != p);
            if (i == col)
                vs[n] = v;
            p = end;
        }
        n++;
    }
    free(out);
    return n;
}

/* The value fetched at exactly @t, NaN when absent or unknown. */
static double value_at(const time_t *ts, const double *vs, int n, time_t t)
{
    for (int i = 0; i < n; i++)
        if (ts[i] == t)
            return vs[i];
    return NAN;
}

static time_t fts[MAX_FETCH];
static double fvs[MAX_FETCH];

/* ---- history at different intervals ---- */

/* Hourly rows (a gauge and a counter) read back at the 1-hour resolution
 * as values, not UNKNOWN, and the heartbeat is 2 x step again. */
static void test_hourly(void **state)
{
    struct fx *f = *state;
    struct buf b = {0};
    time_t t0 = ago(3600, 24 * 20);
    uint64_t c = 1000000000000ull;
    char *hb;
    int n, known = 0;

    addf(&b, "time,archive,ds,value\n");
    for (int i = 0; i < 24 * 15; i++) {
        time_t t = t0 + i * 3600;
        c += 3600ull * 1500000000ull; /* 1.5 CPUs busy */
        addf(&b, "%lld,vm/" VM "/cpu,vcpus,%d\n", (long long)t, 2 + i % 3);
        addf(&b, "%lld,vm/" VM "/cpu,time,%llu\n", (long long)t,
             (unsigned long long)c);
    }
    assert_int_equal(import_csv(f, b.p, 1), SDC_OK);
    assert_int_equal(f->m.n, 0);
    assert_int_equal(f->st.loaded, 24 * 15 * 2);
    assert_int_equal(f->st.created, 1);

    n = fetch(archive_path(f, "vm/" VM "/cpu"), "vcpus", 3600, t0 + 3600,
              t0 + 24 * 14 * 3600, fts, fvs);
    assert_true(n >= 24 * 13);
    for (int i = 0; i < n; i++) {
        int k = (int)((fts[i] - t0) / 3600);
        if (fts[i] <= t0 || fts[i] >= t0 + 24 * 14 * 3600)
            continue;
        assert_false(isnan(fvs[i]));
        assert_float_equal(fvs[i], 2 + k % 3, 1e-9);
        known++;
    }
    assert_true(known >= 24 * 13);
    n = fetch(archive_path(f, "vm/" VM "/cpu"), "time", 3600, t0 + 2 * 3600,
              t0 + 24 * 14 * 3600, fts, fvs);
    for (int i = 1; i < n - 1; i++) {
        assert_false(isnan(fvs[i]));
        assert_float_equal(fvs[i], 1.5e9, 1.0);
    }
    hb = tu_rrd_info(archive_path(f, "vm/" VM "/cpu"),
                     "ds[vcpus].minimal_heartbeat");
    assert_non_null(hb);
    assert_string_equal(hb, "120");
    free(hb);
    free(b.p);
}

/* Daily rows at UTC midnight read back at the 1-day resolution. */
static void test_daily(void **state)
{
    struct fx *f = *state;
    struct buf b = {0};
    time_t t0 = ago(86400, 200);
    int n, known = 0;

    addf(&b, "time,archive,ds,value\n");
    for (int i = 0; i < 180; i++) {
        time_t t = t0 + (time_t)i * 86400;
        struct tm tm;
        char iso[32];
        gmtime_r(&t, &tm);
        strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
        addf(&b, "%s,pool/nfs.10.1.0.5.exports.vms/usage,capacity,%llu\n", iso,
             100000000000000ull);
        addf(&b, "%s,pool/nfs.10.1.0.5.exports.vms/usage,allocation,%llu\n",
             iso, 1000000000000ull * (uint64_t)(10 + i));
    }
    assert_int_equal(import_csv(f, b.p, 1), SDC_OK);
    assert_int_equal(f->m.n, 0);
    n = fetch(archive_path(f, "pool/nfs.10.1.0.5.exports.vms/usage"),
              "allocation", 86400, t0 + 86400, t0 + 170 * 86400, fts, fvs);
    for (int i = 0; i < n; i++) {
        int k = (int)((fts[i] - t0) / 86400);
        if (fts[i] <= t0 || fts[i] > t0 + 170 * 86400)
            continue;
        assert_false(isnan(fvs[i]));
        assert_float_equal(fvs[i], 1e12 * (10 + k), 1.0);
        known++;
    }
    assert_true(known >= 168);
    free(b.p);
}

/* 5-minute rows: gauges exact at 5 minutes, counters become rates. */
static void test_five_minutes_and_counters(void **state)
{
    struct fx *f = *state;
    struct buf b = {0};
    time_t t0 = ago(300, 12 * 24 * 3);
    uint64_t rd = 5000;
    int n, known = 0;

    addf(&b, "archive,value,time,ds,comment\n"); /* columns in any order */
    for (int i = 0; i < 12 * 24 * 2; i++) {
        time_t t = t0 + i * 300;
        rd += 300ull * 4096ull; /* 4 KiB/s */
        addf(&b, "vm/" VM "/disk-vda,%llu,%lld,rd_bytes,x\n",
             (unsigned long long)rd, (long long)t);
        addf(&b, "vm/" VM "/disk-vda,%d.25,%lld,capacity,\"a, b\"\n", 1000 + i,
             (long long)t);
    }
    assert_int_equal(import_csv(f, b.p, 2), SDC_OK);
    assert_int_equal(f->m.n, 0);
    n = fetch(archive_path(f, "vm/" VM "/disk-vda"), "rd_bytes", 300, t0 + 600,
              t0 + 12 * 24 * 2 * 300 - 600, fts, fvs);
    for (int i = 0; i < n; i++) {
        if (fts[i] <= t0 + 300 || fts[i] >= t0 + 12 * 24 * 2 * 300)
            continue;
        assert_false(isnan(fvs[i]));
        assert_float_equal(fvs[i], 4096.0, 1e-6);
        known++;
    }
    assert_true(known > 500);
    n = fetch(archive_path(f, "vm/" VM "/disk-vda"), "capacity", 300, t0 + 600,
              t0 + 3000, fts, fvs);
    assert_float_equal(value_at(fts, fvs, n, t0 + 900), 1003.25, 1e-9);
    free(b.p);
}

/* Data sources exported at their own times (seconds apart) still land:
 * each is bridged between its own rows. */
static void test_misaligned_sources(void **state)
{
    struct fx *f = *state;
    struct buf b = {0};
    time_t t0 = ago(3600, 24 * 5);
    int n;

    addf(&b, "time,archive,ds,value\n");
    for (int i = 0; i < 48; i++) {
        time_t t = t0 + i * 3600;
        addf(&b, "%lld,cluster/prod-a/cpu,used,%d\n", (long long)t + 3, 10 + i);
        addf(&b, "%lld,cluster/prod-a/cpu,capacity,128\n", (long long)t + 17);
        addf(&b, "%lld,cluster/prod-a/cpu,vcpus,300\n", (long long)t + 29);
    }
    assert_int_equal(import_csv(f, b.p, 1), SDC_OK);
    assert_int_equal(f->m.n, 0);
    assert_true(f->st.bridged > 0);
    n = fetch(archive_path(f, "cluster/prod-a/cpu"), "capacity", 3600,
              t0 + 3 * 3600, t0 + 40 * 3600, fts, fvs);
    assert_float_equal(value_at(fts, fvs, n, t0 + 10 * 3600), 128.0, 1e-9);
    n = fetch(archive_path(f, "cluster/prod-a/cpu"), "vcpus", 3600,
              t0 + 3 * 3600, t0 + 40 * 3600, fts, fvs);
    assert_float_equal(value_at(fts, fvs, n, t0 + 10 * 3600), 300.0, 1e-9);
    n = fetch(archive_path(f, "cluster/prod-a/cpu"), "used", 3600,
              t0 + 3 * 3600, t0 + 40 * 3600, fts, fvs);
    /* the hour ending at t0+10h: 3 s of the row at +9h3s, the rest of the
     * row at +10h3s */
    assert_float_equal(value_at(fts, fvs, n, t0 + 10 * 3600),
                       (3.0 * 19 + 3597.0 * 20) / 3600.0, 1e-6);
    free(b.p);
}

/* Files made ahead while reading start a day before an archive's first
 * row seen; a data source whose rows start earlier still lands. */
static void test_earlier_rows_later_in_file(void **state)
{
    struct fx *f = *state;
    struct buf b = {0};
    time_t t0 = ago(3600, 24 * 10);
    int n;

    addf(&b, "time,archive,ds,value\n");
    for (int i = 0; i < 48; i++) /* two days later first */
        addf(&b, "%lld,vm/" VM "/mem,current,%d\n",
             (long long)(t0 + 3 * 86400 + i * 3600), 100 + i);
    for (int i = 0; i < 24 * 5; i++)
        addf(&b, "%lld,vm/" VM "/mem,rss,%d\n", (long long)(t0 + i * 3600),
             50 + i);
    for (int i = 0; i < 24; i++) /* and a second archive, in order */
        addf(&b, "%lld,hv/hv01/mem,total,7\n", (long long)(t0 + i * 3600));
    assert_int_equal(import_csv(f, b.p, 2), SDC_OK);
    assert_int_equal(f->m.n, 0);
    assert_int_equal(f->st.created, 2);
    n = fetch(archive_path(f, "vm/" VM "/mem"), "rss", 3600, t0, t0 + 4 * 86400,
              fts, fvs);
    assert_float_equal(value_at(fts, fvs, n, t0 + 3600), 51.0, 1e-9);
    assert_float_equal(value_at(fts, fvs, n, t0 + 80 * 3600), 130.0, 1e-9);
    n = fetch(archive_path(f, "vm/" VM "/mem"), "current", 3600, t0,
              t0 + 4 * 86400, fts, fvs);
    assert_float_equal(value_at(fts, fvs, n, t0 + 3 * 86400 + 3600), 101.0,
                       1e-9);
    n = fetch(archive_path(f, "hv/hv01/mem"), "total", 3600, t0, t0 + 86400,
              fts, fvs);
    assert_float_equal(value_at(fts, fvs, n, t0 + 3600), 7.0, 1e-9);
    /* the first row lands: it covers the hour before it */
    assert_float_equal(value_at(fts, fvs, n, t0), 7.0, 1e-9);
    free(b.p);
}

/* A second file without a header stops the import: nothing is written and
 * no temporary file made ahead for the first file's archives is left. */
static void test_no_leftovers_on_error(void **state)
{
    struct fx *f = *state;
    struct imp_config cfg = {.data_dir = f->data, .step = STEP, .jobs = 2};
    struct imp_callbacks cb = {on_row, on_archive, NULL, &f->m};
    struct imp *im = NULL;
    struct sdc_error err;
    struct buf b = {0};
    char other[PATH_MAX + 16];
    char *out = NULL;
    time_t t0 = ago(300, 100);

    addf(&b, "time,archive,ds,value\n");
    for (int i = 0; i < 200; i++)
        addf(&b, "%lld,vm/%04d/cpu,vcpus,2\n", (long long)(t0 + (i % 50) * 300),
             i / 50);
    assert_true(tu_write_file(f->csv, b.p, 0644));
    snprintf(other, sizeof(other), "%s/other.csv", f->dir);
    assert_true(tu_write_file(other, "1,2,3\n", 0644));
    assert_int_equal(imp_open(&cfg, &cb, &im, &err), SDC_OK);
    assert_int_equal(imp_read_file(im, f->csv, &err), SDC_OK);
    assert_int_equal(imp_read_file(im, other, &err), SDC_ERR_INVALID);
    imp_free(im);
    assert_int_equal(tu_runf(&out,
                             "find '%s' -name '*.import.*' -o -name "
                             "'*.rrd' | wc -l",
                             f->dir),
                     0);
    assert_int_equal(strtol(out, NULL, 10), 0);
    free(out);
    free(b.p);
}

/* ---- merging with what the poller wrote ---- */

static struct sdc_sample vm_cpu(time_t t, uint64_t counter, double vcpus)
{
    struct sdc_sample s;
    memset(&s, 0, sizeof(s));
    s.type = SDC_AR_VM_CPU;
    s.id = (char *)VM;
    s.t = t;
    s.v[0].known = true;
    s.v[0].counter = counter;
    s.v[2].known = true;
    s.v[2].gauge = vcpus;
    return s;
}

/* The poller's rows and older history both read back after the merge,
 * and the poller goes on writing the swapped archive (counter included). */
static void test_merge_with_poller(void **state)
{
    struct fx *f = *state;
    struct buf b = {0};
    struct rrdw *w = NULL;
    struct sdc_error err;
    time_t now = ago(STEP, 0);
    time_t p0 = now - 30 * STEP;
    time_t h0 = ago(3600, 24 * 10);
    uint64_t c = 5000000000000ull;
    struct sdc_sample s;
    int n, poller_known = 0;

    assert_int_equal(rrdw_open(f->data, STEP, NULL, NULL, &w, &err), SDC_OK);
    for (int i = 0; i <= 30; i++) {
        c += STEP * 2000000000ull; /* 2 CPUs busy */
        s = vm_cpu(p0 + i * STEP, c, 8);
        assert_int_equal(rrdw_write(w, &s, &err), SDC_OK);
    }
    addf(&b, "time,archive,ds,value\n");
    for (int i = 0; i < 24 * 7; i++)
        addf(&b, "%lld,vm/" VM "/cpu,vcpus,4\n", (long long)(h0 + i * 3600));
    assert_int_equal(import_csv(f, b.p, 1), SDC_OK);
    assert_int_equal(f->m.n, 0);
    assert_int_equal(f->st.merged, 1);
    assert_int_equal(f->st.created, 0);

    /* the history, at 1 hour */
    n = fetch(archive_path(f, "vm/" VM "/cpu"), "vcpus", 3600, h0 + 3600,
              h0 + 24 * 6 * 3600, fts, fvs);
    assert_float_equal(value_at(fts, fvs, n, h0 + 48 * 3600), 4.0, 1e-9);
    /* the poller's rows, at one step */
    n = fetch(archive_path(f, "vm/" VM "/cpu"), "vcpus", STEP, p0 + STEP, now,
              fts, fvs);
    for (int i = 0; i < n; i++)
        if (fts[i] > p0 && fts[i] <= now && !isnan(fvs[i])) {
            assert_float_equal(fvs[i], 8.0, 1e-9);
            poller_known++;
        }
    assert_true(poller_known >= 29);
    n = fetch(archive_path(f, "vm/" VM "/cpu"), "time", STEP, p0 + STEP, now,
              fts, fvs);
    assert_float_equal(value_at(fts, fvs, n, now - 5 * STEP), 2e9, 1.0);

    /* sdcmond goes on: a writer that had the file cached, and the rate is
     * known from the first new row (the counter state was carried over) */
    c += STEP * 3000000000ull;
    s = vm_cpu(now + STEP, c, 8);
    assert_int_equal(rrdw_write(w, &s, &err), SDC_OK);
    rrdw_free(w);
    n = fetch(archive_path(f, "vm/" VM "/cpu"), "time", STEP, now - STEP,
              now + STEP, fts, fvs);
    assert_float_equal(value_at(fts, fvs, n, now + STEP), 3e9, 1.0);
    free(b.p);
}

/* Where the history and the poller both have a value, the poller's wins. */
static void test_merge_overlap_keeps_poller(void **state)
{
    struct fx *f = *state;
    struct buf b = {0};
    struct rrdw *w = NULL;
    struct sdc_error err;
    time_t now = ago(STEP, 0);
    time_t p0 = now - 30 * STEP;
    int n;

    assert_int_equal(rrdw_open(f->data, STEP, NULL, NULL, &w, &err), SDC_OK);
    for (int i = 0; i <= 30; i++) {
        struct sdc_sample s = vm_cpu(p0 + i * STEP, 1000, 8);
        assert_int_equal(rrdw_write(w, &s, &err), SDC_OK);
    }
    rrdw_free(w);
    addf(&b, "time,archive,ds,value\n");
    for (int i = -60; i <= 20; i++)
        addf(&b, "%lld,vm/" VM "/cpu,vcpus,2\n", (long long)(p0 + i * STEP));
    assert_int_equal(import_csv(f, b.p, 1), SDC_OK);
    assert_int_equal(f->st.merged, 1);
    n = fetch(archive_path(f, "vm/" VM "/cpu"), "vcpus", STEP, p0 - 50 * STEP,
              now, fts, fvs);
    assert_float_equal(value_at(fts, fvs, n, p0 - 30 * STEP), 2.0, 1e-9);
    assert_float_equal(value_at(fts, fvs, n, p0 + 10 * STEP), 8.0, 1e-9);
    free(b.p);
}

/* A file at the archive's path with other data sources is reported, its
 * rows counted as not written, and the file left as it was. */
static void test_foreign_archive_kept(void **state)
{
    struct fx *f = *state;
    struct buf b = {0};
    time_t t0 = ago(300, 20);
    char *out = NULL;
    char *before = NULL;

    assert_int_equal(tu_runf(&out,
                             "mkdir -p '%s/rrd/hv/hv01' && rrdtool "
                             "create '%s' --step 60 DS:x:GAUGE:120:0:U "
                             "RRA:AVERAGE:0.5:1:10",
                             f->data, archive_path(f, "hv/hv01/mem")),
                     0);
    free(out);
    assert_int_equal(
        tu_runf(&before, "md5sum < '%s'", archive_path(f, "hv/hv01/mem")), 0);
    addf(&b, "time,archive,ds,value\n");
    for (int i = 0; i < 10; i++) {
        addf(&b, "%lld,hv/hv01/mem,total,5\n", (long long)(t0 + i * 300));
        addf(&b, "%lld,hv/hv02/mem,total,5\n", (long long)(t0 + i * 300));
    }
    assert_int_equal(import_csv(f, b.p, 2), SDC_OK);
    assert_int_equal(f->m.archive_failed, 1);
    assert_int_equal(f->st.failed, 1);
    assert_int_equal(f->st.created, 1);
    assert_int_equal(f->st.skipped[IMP_SKIP_WRITE], 10);
    assert_int_equal(f->st.loaded, 10);
    assert_int_equal(
        tu_runf(&out, "md5sum < '%s'", archive_path(f, "hv/hv01/mem")), 0);
    assert_string_equal(out, before);
    free(out);
    free(before);
    /* no temporary left behind */
    assert_int_equal(tu_runf(&out,
                             "find '%s' -name '*.import.*' -o -name "
                             "'*.merge.*' | wc -l",
                             f->data),
                     0);
    assert_int_equal(strtol(out, NULL, 10), 0);
    free(out);
    free(b.p);
}

/*
 * The poller began yesterday at 10:00 and has run since, so it holds more
 * than half of that day and of that hour: the history of the morning keeps
 * its own hourly values (not the poller's daily average), the history ends
 * exactly where the poller's rows begin, and every row of the poller stays.
 * A history row after the poller began is superseded.
 */
static void test_merge_boundary(void **state)
{
    struct fx *f = *state;
    struct buf b = {0};
    struct rrdw *w = NULL;
    struct sdc_error err;
    time_t now = ago(STEP, 0);
    time_t day = now - now % 86400 - 86400;
    time_t p0 = day + 10 * 3600;
    int n, known = 0;

    assert_int_equal(rrdw_open(f->data, STEP, NULL, NULL, &w, &err), SDC_OK);
    for (time_t t = p0; t <= now; t += STEP) {
        struct sdc_sample smp = vm_cpu(t, 1000, 8);
        assert_int_equal(rrdw_write(w, &smp, &err), SDC_OK);
    }
    rrdw_free(w);
    addf(&b, "time,archive,ds,value\n");
    for (time_t t = day - 3 * 86400; t <= p0 + 2 * 3600; t += 3600)
        addf(&b, "%lld,vm/" VM "/cpu,vcpus,2\n", (long long)t);
    assert_int_equal(import_csv(f, b.p, 1), SDC_OK);
    assert_int_equal(f->m.n, 0);
    assert_int_equal(f->st.merged, 1);
    assert_int_equal(f->st.superseded, 3); /* 10:00, 11:00, 12:00 */

    n = fetch(archive_path(f, "vm/" VM "/cpu"), "vcpus", 3600, day,
              day + 9 * 3600, fts, fvs);
    for (time_t t = day + 3600; t <= day + 9 * 3600; t += 3600)
        assert_float_equal(value_at(fts, fvs, n, t), 2.0, 1e-9);
    /* the step rows of the morning are the history's, to the minute */
    n = fetch(archive_path(f, "vm/" VM "/cpu"), "vcpus", STEP, p0 - 10 * STEP,
              p0 + 10 * STEP, fts, fvs);
    assert_float_equal(value_at(fts, fvs, n, p0 - 5 * STEP), 2.0, 1e-9);
    assert_float_equal(value_at(fts, fvs, n, p0 - STEP), 2.0, 1e-9);
    assert_float_equal(value_at(fts, fvs, n, p0), 8.0, 1e-9);
    /* every poller row */
    n = fetch(archive_path(f, "vm/" VM "/cpu"), "vcpus", STEP, p0 - STEP, now,
              fts, fvs);
    for (int i = 0; i < n; i++) {
        if (fts[i] < p0 || fts[i] > now)
            continue;
        assert_float_equal(fvs[i], 8.0, 1e-9);
        known++;
    }
    assert_int_equal(known, (int)((now - p0) / STEP) + 1);
    /* the day before is the history's; yesterday is known */
    n = fetch(archive_path(f, "vm/" VM "/cpu"), "vcpus", 86400, day - 2 * 86400,
              day + 86400, fts, fvs);
    assert_float_equal(value_at(fts, fvs, n, day), 2.0, 1e-9);
    assert_false(isnan(value_at(fts, fvs, n, day + 86400)));
    free(b.p);
}

/* ---- bad rows ---- */

static bool has_msg(const struct msgs *m, uint64_t line, enum imp_skip why,
                    const char *part)
{
    for (int i = 0; i < m->n && i < MAX_MSGS; i++)
        if (m->line[i] == line && m->why[i] == why && strstr(m->text[i], part))
            return true;
    return false;
}

static void test_bad_rows_reported(void **state)
{
    struct fx *f = *state;
    struct buf b = {0};
    time_t t0 = ago(300, 100);
    char *out = NULL;

    addf(&b, "time,archive,ds,value\r\n");                             /* 1 */
    addf(&b, "%lld,vm/" VM "/mem,current,100\n", (long long)t0);       /* 2 */
    addf(&b, "2026-13-01,vm/" VM "/mem,current,100\n");                /* 3 */
    addf(&b, "%lld,vm/" VM "/mem,current\n", (long long)t0 + 300);     /* 4 */
    addf(&b, "%lld,vm/" VM "/mem,current,abc\n", (long long)t0);       /* 5 */
    addf(&b, "%lld,vm/" VM "/mem,current,-5\n", (long long)t0);        /* 6 */
    addf(&b, "%lld,vm/" VM "/mem,currnt,1\n", (long long)t0);          /* 7 */
    addf(&b, "%lld,vx/" VM "/mem,current,1\n", (long long)t0);         /* 8 */
    addf(&b, "%lld,vm/" VM "/memory,current,1\n", (long long)t0);      /* 9 */
    addf(&b, "%lld,vm/" VM "/mem,current,200\n", (long long)t0 + 300); /* 10 */
    addf(&b, "%lld,vm/" VM "/mem,current,150\n", (long long)t0 + 150); /* 11 */
    addf(&b, "%lld,vm/" VM "/mem,current,150\n", (long long)t0 + 300); /* 12 */
    addf(&b, "%lld,vm/" VM "/cpu,time,1.5\n", (long long)t0);          /* 13 */
    addf(&b, "%lld,vm/" VM "/mem,\"current,1\n", (long long)t0);       /* 14 */
    addf(&b, "%lld,vm/" VM "/mem,current,1\n", (long long)time(NULL) + 3600);
    addf(&b, "1700000000000,vm/" VM "/mem,current,1\n");               /* 16 */
    addf(&b, "100,vm/" VM "/mem,current,1\n");                         /* 17 */
    addf(&b, "\n");                                                    /* 18 */
    addf(&b, "%lld,vm/" VM "/mem,current,300\n", (long long)t0 + 600); /* 19 */
    addf(&b, "%lld,vm/" VM "/mem,rss,U\n", (long long)t0 + 600);       /* 20 */
    addf(&b, "%lld,vm//mem,rss,1\n", (long long)t0 + 600);             /* 21 */
    addf(&b, "%lld,vm/" VM ",rss,1\n", (long long)t0 + 600);           /* 22 */
    addf(&b, "%lld,vm/" VM "/mem,current,400", (long long)t0 + 900);   /* 23 */
    assert_int_equal(import_csv(f, b.p, 1), SDC_OK);

    assert_true(has_msg(&f->m, 3, IMP_SKIP_TIME,
                        "time '2026-13-01' is not epoch seconds or ISO 8601"));
    assert_true(has_msg(&f->m, 4, IMP_SKIP_FORMAT, "3 fields"));
    assert_true(has_msg(&f->m, 5, IMP_SKIP_VALUE, "'abc' is not a number"));
    assert_true(has_msg(&f->m, 6, IMP_SKIP_VALUE, "negative"));
    assert_true(has_msg(&f->m, 7, IMP_SKIP_DS, "no data source 'currnt'"));
    assert_true(has_msg(&f->m, 8, IMP_SKIP_ARCHIVE, "unknown kind 'vx'"));
    assert_true(has_msg(&f->m, 9, IMP_SKIP_ARCHIVE, "no archive 'memory'"));
    assert_true(
        has_msg(&f->m, 11, IMP_SKIP_ORDER, "not after that of line 10"));
    assert_true(has_msg(&f->m, 12, IMP_SKIP_ORDER, "line 10"));
    assert_true(has_msg(&f->m, 13, IMP_SKIP_VALUE, "not a whole number"));
    assert_true(has_msg(&f->m, 14, IMP_SKIP_FORMAT, "quoted field"));
    assert_true(has_msg(&f->m, 15, IMP_SKIP_TIME, "in the future"));
    assert_true(has_msg(&f->m, 16, IMP_SKIP_TIME, "milliseconds"));
    assert_true(has_msg(&f->m, 17, IMP_SKIP_TIME, "before 1980"));
    assert_true(has_msg(&f->m, 21, IMP_SKIP_ARCHIVE, "empty id"));
    assert_true(has_msg(&f->m, 22, IMP_SKIP_ARCHIVE, "not <kind>/<id>/<file>"));
    assert_int_equal(f->m.n, 16);
    assert_int_equal(f->st.rows, 21);
    assert_int_equal(f->st.loaded, 5); /* lines 2, 10, 19, 20, 23 */
    assert_int_equal(f->st.unknown, 1);
    assert_int_equal(f->st.skipped[IMP_SKIP_ORDER], 2);
    assert_int_equal(f->st.skipped[IMP_SKIP_TIME], 4);

    /* the good rows are there, the last one without a line break too */
    assert_int_equal(tu_runf(&out, "rrdtool lastupdate '%s'",
                             archive_path(f, "vm/" VM "/mem")),
                     0);
    assert_non_null(strstr(out, " 400 "));
    free(out);
    free(b.p);
}

static void test_header_required(void **state)
{
    struct fx *f = *state;
    assert_int_equal(import_csv(f, "1700000000,vm/x/cpu,vcpus,1\n", 1),
                     SDC_ERR_INVALID);
    assert_int_equal(f->m.n, 1);
    assert_int_equal(f->m.line[0], 1);
    assert_non_null(strstr(f->m.text[0], "header"));
    assert_int_equal(import_csv(f, "", 1), SDC_ERR_INVALID);
    assert_non_null(strstr(f->m.text[0], "empty"));
    assert_int_equal(import_csv(f, "time,archive,value\n", 1), SDC_ERR_INVALID);
}

/* ---- times ---- */

static void test_times(void **state)
{
    struct imp_tzcache tz;
    time_t t;
    (void)state;

    imp_tzcache_init(&tz);
#define T(s) imp_parse_time(s, strlen(s), &tz, &t)
    assert_true(T("2026-01-31T23:00:00Z"));
    assert_int_equal(t, 1769900400);
    assert_true(T("1769900400"));
    assert_int_equal(t, 1769900400);
    assert_true(T("1769900400.75"));
    assert_int_equal(t, 1769900400);
    assert_true(T("2026-02-01T04:30:00+05:30"));
    assert_int_equal(t, 1769900400);
    assert_true(T("2026-02-01 04:30+0530"));
    assert_int_equal(t, 1769900400);
    assert_true(T("2026-01-31T18:00:00.123-05"));
    assert_int_equal(t, 1769900400);
    assert_true(T("2024-02-29T00:00:00Z"));
    assert_int_equal(t, 1709164800);
    assert_true(T("2000-03-01T00:00:00z"));
    assert_int_equal(t, 951868800);
    assert_false(T("2026-13-01"));
    assert_false(T("2026-02-30T00:00:00Z"));
    assert_false(T("2025-02-29"));
    assert_false(T("2026-01-31T24:00:00Z"));
    assert_false(T("2026-01-31T23:00:00Q"));
    assert_false(T("2026-01-31T23:00:00+5"));
    assert_false(T("31/01/2026"));
    assert_false(T(""));
    assert_false(T("17e8"));
    assert_false(T("-1769900400"));

    /* local time: the TZ of the process */
    setenv("TZ", "Asia/Kolkata", 1);
    tzset();
    imp_tzcache_init(&tz);
    assert_true(T("2026-02-01T04:30:00"));
    assert_int_equal(t, 1769900400);
    assert_true(T("2026-02-01"));
    assert_int_equal(t, 1769884200);
    setenv("TZ", "Europe/Berlin", 1); /* a zone with summer time */
    tzset();
    imp_tzcache_init(&tz);
    assert_true(T("2026-07-01T02:00:00"));
    assert_int_equal(t, 1782864000);
    assert_true(T("2026-01-01T01:00:00"));
    assert_int_equal(t, 1767225600);
    unsetenv("TZ");
    tzset();
#undef T
}

/* ISO and epoch rows in one file land on the same rows of the archive. */
static void test_iso_and_epoch_rows(void **state)
{
    struct fx *f = *state;
    struct buf b = {0};
    time_t t0 = ago(3600, 48);
    int n;

    addf(&b, "time,archive,ds,value\n");
    for (int i = 0; i < 24; i++) {
        time_t t = t0 + i * 3600;
        struct tm tm;
        char iso[40];
        time_t ist = t + 19800;
        gmtime_r(&ist, &tm);
        strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%S+05:30", &tm);
        if (i % 2)
            addf(&b, "%s,hv/hv01/mem,total,%d\n", iso, 1000 + i);
        else
            addf(&b, "%lld,hv/hv01/mem,total,%d\n", (long long)t, 1000 + i);
    }
    assert_int_equal(import_csv(f, b.p, 1), SDC_OK);
    assert_int_equal(f->m.n, 0);
    n = fetch(archive_path(f, "hv/hv01/mem"), "total", 3600, t0, t0 + 23 * 3600,
              fts, fvs);
    for (int i = 1; i < 23; i++)
        assert_float_equal(value_at(fts, fvs, n, t0 + i * 3600), 1000 + i,
                           1e-9);
    free(b.p);
}

/* ---- paths ---- */

/* Every regular file under @dir, outside @allowed, counts. */
static int files_outside(const char *dir, const char *allowed)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (!d)
        return 0;
    while ((e = readdir(d))) {
        char p[PATH_MAX];
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        if (lstat(p, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            n += files_outside(p, allowed);
        else if (strncmp(p, allowed, strlen(allowed)) != 0 ||
                 !strstr(p, ".rrd"))
            n++;
    }
    closedir(d);
    return n;
}

static void test_hostile_ids(void **state)
{
    struct fx *f = *state;
    struct buf b = {0};
    time_t t = ago(300, 10);
    char allowed[PATH_MAX + 8];
    const char *ids[] = {"vm/../x/cpu",          "vm/../../../etc/cpu",
                         "vm/..//cpu",           "vm/./cpu",
                         "vm/a\\..\\b/cpu",      "vm/\x01\x1b[31m/cpu",
                         "vm/x/disk-../../../a", "hv/../../hv/mem",
                         "cluster/.hidden/cpu",  "vm/x/net-/../../y"};

    addf(&b, "time,archive,ds,value\n");
    for (size_t i = 0; i < sizeof(ids) / sizeof(*ids); i++) {
        const char *ds = strstr(ids[i], "/mem") ? "total" : "vcpus";
        if (strstr(ids[i], "disk-"))
            ds = "capacity";
        if (strstr(ids[i], "net-"))
            ds = "rx_bytes";
        addf(&b, "%lld,\"%s\",%s,1\n", (long long)t, ids[i], ds);
    }
    assert_int_equal(import_csv(f, b.p, 1), SDC_OK);
    snprintf(allowed, sizeof(allowed), "%s/rrd/", f->data);
    assert_int_equal(files_outside(f->dir, allowed), 1); /* history.csv */
    /* no message prints a control character */
    for (int i = 0; i < f->m.n && i < MAX_MSGS; i++)
        for (const char *p = f->m.text[i]; *p; p++)
            assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
    assert_true(f->st.created >= 5);
    free(b.p);
}

/* ---- parsing ---- */

static void test_numbers(void **state)
{
    locale_t loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    const char *ok[] = {"0",
                        "1",
                        "12.5",
                        "0.1",
                        "1e3",
                        "1.5E-3",
                        "-2.25",
                        "+7",
                        ".5",
                        "5.",
                        "123456789012345678901234",
                        "1e300",
                        "0.000000000000000000000001234",
                        "3.141592653589793238",
                        "9007199254740993"};
    const char *bad[] = {"",    "abc", "1,5",   "1e",   "--1", "0x10",
                         "inf", "nan", "1.2.3", "1e5x", " 1"};
    uint64_t c;
    double d;
    (void)state;

    for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
        assert_true(imp_parse_double(ok[i], strlen(ok[i]), loc, &d));
        assert_true(d == strtod(ok[i], NULL));
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        assert_false(imp_parse_double(bad[i], strlen(bad[i]), loc, &d));
    /* the fast path rounds as strtod does */
    srand(7);
    for (int i = 0; i < 20000; i++) {
        char s[64];
        snprintf(s, sizeof(s), "%d.%06d", rand() % 100000, rand() % 1000000);
        assert_true(imp_parse_double(s, strlen(s), loc, &d));
        assert_true(d == strtod(s, NULL));
    }
    assert_true(imp_parse_count("18446744073709551615", 20, loc, &c));
    assert_true(c == UINT64_MAX);
    assert_false(imp_parse_count("18446744073709551616", 20, loc, &c));
    assert_true(imp_parse_count("1.5e9", 5, loc, &c));
    assert_true(c == 1500000000);
    assert_false(imp_parse_count("1.5", 3, loc, &c));
    assert_false(imp_parse_count("-1", 2, loc, &c));
    assert_true(imp_is_unknown("", 0) && imp_is_unknown("U", 1) &&
                imp_is_unknown("NaN", 3) && !imp_is_unknown("0", 1));
    freelocale(loc);
}

static void test_csv_split(void **state)
{
    char out[256];
    char *f[8];
    size_t l[8];
    size_t n;
    const char *line = " a , \"b,\"\"c\"\"\" ,,\"\" , d ";
    (void)state;

    assert_null(imp_csv_split(line, strlen(line), out, f, l, 8, &n));
    assert_int_equal(n, 5);
    assert_string_equal(f[0], "a");
    assert_string_equal(f[1], "b,\"c\"");
    assert_int_equal(l[1], 5);
    assert_string_equal(f[2], "");
    assert_string_equal(f[3], "");
    assert_string_equal(f[4], "d");
    assert_null(imp_csv_split("x,", 2, out, f, l, 8, &n));
    assert_int_equal(n, 2);
    assert_non_null(imp_csv_split("\"x", 2, out, f, l, 8, &n));
    assert_non_null(imp_csv_split("\"x\"y", 4, out, f, l, 8, &n));
}

/* Lines split across feeds, CRLF and a BOM are all one stream. */
static void test_feed_pieces(void **state)
{
    struct fx *f = *state;
    struct imp_config cfg = {.data_dir = f->data, .step = STEP};
    struct imp_callbacks cb = {on_row, on_archive, NULL, &f->m};
    struct imp *im = NULL;
    struct sdc_error err;
    struct buf b = {0};
    time_t t0 = ago(300, 50);

    addf(&b, "\xEF\xBB\xBFtime,archive,ds,value\r\n");
    for (int i = 0; i < 40; i++)
        addf(&b, "%lld,snmp/core-sw1/if-Ethernet1_49,in_octets,%d\r\n",
             (long long)(t0 + i * 300), 1000 * i);
    memset(&f->m, 0, sizeof(f->m));
    assert_int_equal(imp_open(&cfg, &cb, &im, &err), SDC_OK);
    assert_int_equal(imp_source_begin(im, "pieces", &err), SDC_OK);
    for (size_t pos = 0; pos < b.len; pos += 7)
        assert_int_equal(
            imp_feed(im, b.p + pos, b.len - pos < 7 ? b.len - pos : 7, &err),
            SDC_OK);
    assert_int_equal(imp_source_end(im, &err), SDC_OK);
    assert_int_equal(imp_write(im, &err), SDC_OK);
    imp_get_stats(im, &f->st);
    imp_free(im);
    assert_int_equal(f->m.n, 0);
    assert_int_equal(f->st.loaded, 40);
    assert_float_equal(
        tu_rrd_last(archive_path(f, "snmp/core-sw1/if-Ethernet1_49"),
                    "in_octets", (int)(time(NULL) - t0 + 600)),
        39000.0, 1e-9);
    free(b.p);
}

/* ---- inventory ---- */

static char *sql(const char *db, const char *query)
{
    char *out = NULL;
    assert_int_equal(
        tu_runf(&out, "sqlite3 -separator '|' '%s' \"%s\"", db, query), 0);
    assert_non_null(out);
    {
        size_t l = strlen(out);
        while (l > 0 && out[l - 1] == '\n')
            out[--l] = '\0';
    }
    return out;
}

static void test_inventory(void **state)
{
    struct fx *f = *state;
    struct imp_callbacks cb = {on_row, on_archive, NULL, &f->m};
    struct imp_inv_stats st;
    struct sdc_error err;
    char db[PATH_MAX];
    char path[PATH_MAX];
    char *out;
    /* a VM comes before its host: rows are applied kind by kind anyway */
    const char *csv =
        "kind,id,name,host,cluster,state,owner,vcpus,memory_bytes,cpus,cores,"
        "capacity_bytes,allocation_bytes,type,source,first_seen,last_seen,day,"
        "hosts,vms,vram_bytes,provisioned_bytes,volumes,shared,path\n"
        "vm," VM ",\"web, <1>\",hv01,,running,\"Dept. of \"\"IT\"\"\",4,"
        "8589934592,,,,,,,2025-01-01T00:00:00Z,2026-01-01T00:00:00Z,,,,,,,,\n"
        "hypervisor,hv01,,,prod-a,,,,274877906944,64,32,,,,,2024-06-01,"
        "2026-01-01T00:00:00Z,,,,,,,,\n"
        "vm,11111111-2222-3333-4444-555555555555,old,hv01,,shut off,,2,"
        "1073741824,,,,,,,1735689600,1767225600,,,,,,,,\n"
        "disk," VM ",vda,,,,,,,,,53687091200,10737418240,,"
        "/var/lib/libvirt/images/web.qcow2,,,,,,,,,,\n"
        "disk,99999999-9999-9999-9999-999999999999,vda,,,,,,,,,1,1,,,,,,,,,,,,"
        "\n"
        "pool,nfs.10.1.0.5.exports.vms,vms,hv01;hv02,,,,,,,,1099511627776,"
        "549755813888,netfs,10.1.0.5:/exports/vms,,,,,,,,,,\n"
        "volume,nfs.10.1.0.5.exports.vms,web.qcow2,,,,,,,,,53687091200,"
        "10737418240,,,,,,,,,,,,/mnt/vms/web.qcow2\n"
        "snapshot_cluster,prod-a,,,,,,96,549755813888,64,32,,,,,,,2025-12-01,2,"
        "40,412316860416,1099511627776,,,\n"
        "snapshot_pool,nfs.10.1.0.5.exports.vms,,,,,,,,,,1099511627776,"
        "500000000000,,,,,2025-12-01,,,,600000000000,12,,\n"
        "vm,bad-state,x,hv01,,sleeping,,,,,,,,,,,,,,,,,,,\n"
        "vm,bad-mem,x,hv01,,,,,12GB,,,,,,,,,,,,,,,,\n"
        "router,r1,,,,,,,,,,,,,,,,,,,,,,,\n"
        "snapshot_pool,p,,,,,,,,,,,,,,,,2025-02-30,,,,,,,\n";

    snprintf(path, sizeof(path), "%s/inventory.csv", f->dir);
    snprintf(db, sizeof(db), "%s/inventory.db", f->dir);
    assert_true(tu_write_file(path, csv, 0644));
    memset(&f->m, 0, sizeof(f->m));
    assert_int_equal(imp_inventory_file(db, path, &cb, 1767225600, &st, &err),
                     SDC_OK);
    assert_int_equal(st.rows, 13);
    assert_int_equal(st.skipped, 5);
    assert_int_equal(st.added[IMP_INV_VM], 2);
    assert_int_equal(st.added[IMP_INV_HYPERVISOR], 1);
    assert_true(has_msg(&f->m, 6, IMP_SKIP_ARCHIVE, "no VM"));
    assert_true(has_msg(&f->m, 11, IMP_SKIP_VALUE, "sleeping"));
    assert_true(has_msg(&f->m, 12, IMP_SKIP_VALUE, "memory_bytes '12GB'"));
    assert_true(has_msg(&f->m, 13, IMP_SKIP_ARCHIVE, "kind 'router'"));
    assert_true(has_msg(&f->m, 14, IMP_SKIP_TIME, "2025-02-30"));

    out = sql(db, "SELECT name, host, cluster, state, owner, vcpus, memory,"
                  " first_seen FROM vms WHERE uuid = '" VM "'");
    assert_string_equal(out, "web, <1>|hv01|prod-a|running|Dept. of "
                             "\"IT\"|4|8589934592|1735689600");
    free(out);
    out = sql(db, "SELECT state, active FROM vms WHERE name = 'old'");
    assert_string_equal(out, "shutoff|0");
    free(out);
    out = sql(db, "SELECT cluster, cpus, cores, memory FROM hypervisors");
    assert_string_equal(out, "prod-a|64|32|274877906944");
    free(out);
    out = sql(db, "SELECT source, capacity FROM disks");
    assert_string_equal(out, "/var/lib/libvirt/images/web.qcow2|53687091200");
    free(out);
    out = sql(db, "SELECT group_concat(host, ',') FROM pool_hosts");
    assert_string_equal(out, "hv01,hv02");
    free(out);
    out = sql(db, "SELECT shared, type FROM pools");
    assert_string_equal(out, "1|netfs");
    free(out);
    out = sql(db, "SELECT path FROM volumes");
    assert_string_equal(out, "/mnt/vms/web.qcow2");
    free(out);
    out = sql(db, "SELECT hosts, vms, vcpus, vram, provisioned_storage FROM"
                  " snapshot_cluster WHERE day = '2025-12-01'");
    assert_string_equal(out, "2|40|96|412316860416|1099511627776");
    free(out);
    out = sql(db, "SELECT volumes, provisioned FROM snapshot_pool");
    assert_string_equal(out, "12|600000000000");
    free(out);
    out = sql(db, "SELECT count(*) FROM events WHERE kind = 'created'");
    assert_string_equal(out, "2");
    free(out);

    /* again: idempotent, and older rows never overwrite newer facts */
    assert_int_equal(imp_inventory_file(db, path, &cb, 1767225600, &st, &err),
                     SDC_OK);
    assert_int_equal(st.added[IMP_INV_VM], 0);
    assert_int_equal(st.updated[IMP_INV_VM], 2);
    assert_int_equal(st.kept[IMP_INV_SNAPSHOT_CLUSTER], 1);
    out = sql(db, "SELECT count(*) FROM vms");
    assert_string_equal(out, "2");
    free(out);
    {
        const char *older = "kind,id,name,vcpus,first_seen,last_seen\n"
                            "vm," VM ",renamed,1,2020-01-01,2021-01-01\n";
        assert_true(tu_write_file(path, older, 0644));
        assert_int_equal(
            imp_inventory_file(db, path, &cb, 1767225600, &st, &err), SDC_OK);
        assert_int_equal(st.kept[IMP_INV_VM], 1);
        out =
            sql(db, "SELECT name, vcpus, first_seen FROM vms WHERE uuid = '" VM
                    "'");
        assert_string_equal(out, "web, <1>|4|1577836800");
        free(out);
    }
    /* a bad header is refused before anything is written */
    assert_true(tu_write_file(path, "kind,id,memroy_bytes\nvm,x,1\n", 0644));
    memset(&f->m, 0, sizeof(f->m));
    assert_int_equal(imp_inventory_file(db, path, &cb, 0, &st, &err),
                     SDC_ERR_INVALID);
    assert_true(has_msg(&f->m, 1, IMP_SKIP_FORMAT, "memroy_bytes"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hourly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_daily, setup, teardown),
        cmocka_unit_test_setup_teardown(test_five_minutes_and_counters, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_misaligned_sources, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_earlier_rows_later_in_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_no_leftovers_on_error, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_merge_with_poller, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_merge_overlap_keeps_poller, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_merge_boundary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_archive_kept, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_rows_reported, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_header_required, setup, teardown),
        cmocka_unit_test(test_times),
        cmocka_unit_test_setup_teardown(test_iso_and_epoch_rows, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hostile_ids, setup, teardown),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_csv_split),
        cmocka_unit_test_setup_teardown(test_feed_pieces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inventory, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
