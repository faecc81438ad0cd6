/*
 * test_rrd_writer.c - the RRD writer against real librrd, the rrdtool CLI
 * (to read back) and a real rrdcached.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rrd.h>
#include <rrd_client.h>

#include "rrd_proc.h"
#include "rrd_writer.h"
#include "testutil.h"

#define STEP 60
#define MAX_ROWS 512

/* Small retention for tests that do not look at the layout. */
static const struct sdc_retention_cfg small_ret = {0.1, 0.2, 1, 2};

struct fx {
    char *dir; /* the temporary directory, also the data directory */
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->dir = tu_tmpdir("rrdw");
    assert_non_null(f->dir);
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

/* A time STEP-aligned, @back steps before now. */
static time_t aligned(int back)
{
    time_t now = time(NULL);
    return now - now % STEP - (time_t)back * STEP;
}

static struct sdc_sample mk(enum sdc_archive type, const char *id,
                            const char *instance, time_t t)
{
    struct sdc_sample s;
    memset(&s, 0, sizeof(s));
    s.type = type;
    s.id = (char *)id;
    s.instance = (char *)instance;
    s.t = t;
    return s;
}

static struct rrdw *open_writer(const char *dir, unsigned step,
                                const struct sdc_retention_cfg *ret,
                                const char *cached)
{
    struct rrdw *w = NULL;
    struct sdc_error err;
    enum sdc_rc rc = rrdw_open(dir, step, ret, cached, &w, &err);
    if (rc != SDC_OK)
        fail_msg("rrdw_open: %s", err.msg);
    assert_non_null(w);
    return w;
}

static void write_ok(struct rrdw *w, const struct sdc_sample *s)
{
    struct sdc_error err;
    if (rrdw_write(w, s, &err) != SDC_OK)
        fail_msg("rrdw_write: %s", err.msg);
}

static void path_of(struct rrdw *w, enum sdc_archive t, const char *id,
                    const char *inst, char *out, size_t len)
{
    assert_true(rrdw_path(w, t, id, inst, out, len) > 0);
}

/* ---- reading back with the rrdtool CLI ----------------------------------- */

struct fetched {
    size_t n_ds;
    char names[SDC_MAX_DS][32];
    size_t n_rows;
    time_t t[MAX_ROWS];
    double v[MAX_ROWS][SDC_MAX_DS];
};

/* The next line of *@p (NUL-terminated in place), or NULL at the end. */
static char *next_line(char **p)
{
    char *line = *p;
    char *nl;
    if (!line || !*line)
        return NULL;
    nl = strchr(line, '\n');
    if (nl) {
        *nl = '\0';
        *p = nl + 1;
    } else {
        *p = line + strlen(line);
    }
    return line;
}

/* Parse one `rrdtool fetch` block at *@p; consumes the first line after
 * the rows too and returns it in *@tail (NULL at the end). */
static bool parse_fetch(char **p, struct fetched *f, char **tail)
{
    char *line;
    memset(f, 0, sizeof(*f));
    while ((line = next_line(p)) && strspn(line, " ") == strlen(line))
        ;
    if (!line || strncmp(line, "ERROR", 5) == 0)
        return false;
    for (char *q = line; *q && f->n_ds < SDC_MAX_DS;) {
        size_t sp = strspn(q, " ");
        size_t len;
        q += sp;
        len = strcspn(q, " ");
        if (len == 0)
            break;
        snprintf(f->names[f->n_ds++], sizeof(f->names[0]), "%.*s", (int)len, q);
        q += len;
    }
    *tail = NULL;
    for (;;) {
        char *end;
        long long t;
        line = next_line(p);
        if (!line)
            break;
        if (*line == '\0')
            continue;
        t = strtoll(line, &end, 10);
        if (end == line || *end != ':') {
            *tail = line;
            break;
        }
        if (f->n_rows >= MAX_ROWS)
            continue;
        f->t[f->n_rows] = (time_t)t;
        char *q = end + 1;
        for (size_t i = 0; i < f->n_ds; i++) {
            char *e2;
            double v = strtod(q, &e2);
            f->v[f->n_rows][i] = e2 == q ? NAN : v;
            q = e2;
        }
        f->n_rows++;
    }
    return f->n_ds > 0;
}

static void fetch(const char *file, time_t start, time_t end, struct fetched *f)
{
    char *out = NULL;
    char *p;
    char *tail;
    int rc = tu_runf(&out, "rrdtool fetch '%s' AVERAGE -s %lld -e %lld", file,
                     (long long)start, (long long)end);
    if (rc != 0)
        fail_msg("rrdtool fetch %s: %s", file, out ? out : "");
    p = out;
    assert_true(parse_fetch(&p, f, &tail));
    free(out);
}

/* The fetched value of @ds in the row ending at @t (the row must exist). */
static double at(const struct fetched *f, const char *ds, time_t t)
{
    size_t col = SIZE_MAX;
    for (size_t i = 0; i < f->n_ds; i++)
        if (strcmp(f->names[i], ds) == 0)
            col = i;
    if (col == SIZE_MAX)
        fail_msg("no data source %s", ds);
    for (size_t r = 0; r < f->n_rows; r++)
        if (f->t[r] == t)
            return f->v[r][col];
    fail_msg("no row at %lld", (long long)t);
    return NAN;
}

/* `rrdtool info` once, then look keys up in the text. */
static char *info_load(const char *file)
{
    char *out = NULL;
    if (tu_runf(&out, "rrdtool info '%s'", file) != 0)
        fail_msg("rrdtool info %s: %s", file, out ? out : "");
    return out;
}

/* Value of @key (quotes removed) into @buf; false if absent. */
static bool info_get(const char *info, const char *key, char *buf, size_t len)
{
    size_t kl = strlen(key);
    for (const char *l = info; l && *l;) {
        const char *nl = strchr(l, '\n');
        size_t ll = nl ? (size_t)(nl - l) : strlen(l);
        if (ll > kl + 3 && strncmp(l, key, kl) == 0 &&
            strncmp(l + kl, " = ", 3) == 0) {
            const char *v = l + kl + 3;
            size_t vl = ll - kl - 3;
            if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
                v++;
                vl -= 2;
            }
            snprintf(buf, len, "%.*s", (int)vl, v);
            return true;
        }
        l = nl ? nl + 1 : NULL;
    }
    return false;
}

static void expect_info(const char *info, const char *key, const char *want)
{
    char got[128];
    if (!info_get(info, key, got, sizeof(got)))
        fail_msg("rrdtool info: no key %s", key);
    if (strcmp(got, want) != 0)
        fail_msg("rrdtool info: %s = %s, want %s", key, got, want);
}

static size_t count_prefixed(const char *info, const char *prefix,
                             const char *suffix)
{
    size_t n = 0;
    size_t pl = strlen(prefix);
    for (const char *l = info; l && *l;) {
        const char *nl = strchr(l, '\n');
        size_t ll = nl ? (size_t)(nl - l) : strlen(l);
        const char *eq = memchr(l, '=', ll);
        if (strncmp(l, prefix, pl) == 0 && eq) {
            size_t kl = (size_t)(eq - l) - 1;
            size_t sl = strlen(suffix);
            if (kl >= sl && strncmp(l + kl - sl, suffix, sl) == 0)
                n++;
        }
        l = nl ? nl + 1 : NULL;
    }
    return n;
}

/* ---- 1. creation ------------------------------------------------------------
 */

struct rra_want {
    const char *cf;
    unsigned long pdp;
    unsigned long rows;
};

/* Every archive type, one sample each; check DS and RRA layout. */
static void check_layout(const char *dir, unsigned step,
                         const struct sdc_retention_cfg *ret,
                         const struct rra_want want[6])
{
    struct rrdw *w = open_writer(dir, step, ret, NULL);
    time_t t = time(NULL) - 10 * (time_t)step;
    struct rrdw_stats st;
    char path[4096];
    char key[128];
    char val[64];

    for (int type = 0; type < SDC_AR_COUNT; type++) {
        const struct sdc_archive_def *def = sdc_archive_def_get(type);
        const char *inst = def->per_instance ? "inst0" : NULL;
        struct sdc_sample s = mk(type, "layout", inst, t);
        char *info;

        write_ok(w, &s);
        path_of(w, type, "layout", inst, path, sizeof(path));
        info = info_load(path);
        snprintf(val, sizeof(val), "%u", step);
        expect_info(info, "step", val);
        assert_int_equal(count_prefixed(info, "ds[", ".index"), def->n_ds);
        for (size_t i = 0; i < def->n_ds; i++) {
            const char *name = def->ds[i].name;
            snprintf(key, sizeof(key), "ds[%s].index", name);
            snprintf(val, sizeof(val), "%zu", i);
            expect_info(info, key, val);
            snprintf(key, sizeof(key), "ds[%s].type", name);
            expect_info(info, key,
                        def->ds[i].type == SDC_DS_DERIVE ? "DERIVE" : "GAUGE");
            snprintf(key, sizeof(key), "ds[%s].minimal_heartbeat", name);
            snprintf(val, sizeof(val), "%u", 2 * step);
            expect_info(info, key, val);
            snprintf(key, sizeof(key), "ds[%s].min", name);
            expect_info(info, key, "0.0000000000e+00");
            snprintf(key, sizeof(key), "ds[%s].max", name);
            expect_info(info, key, "NaN");
        }
        for (int r = 0; r < 6; r++) {
            snprintf(key, sizeof(key), "rra[%d].cf", r);
            expect_info(info, key, want[r].cf);
            snprintf(key, sizeof(key), "rra[%d].pdp_per_row", r);
            snprintf(val, sizeof(val), "%lu", want[r].pdp);
            expect_info(info, key, val);
            snprintf(key, sizeof(key), "rra[%d].rows", r);
            snprintf(val, sizeof(val), "%lu", want[r].rows);
            expect_info(info, key, val);
            snprintf(key, sizeof(key), "rra[%d].xff", r);
            expect_info(info, key, "5.0000000000e-01");
        }
        assert_false(info_get(info, "rra[6].cf", val, sizeof(val)));
        /* the first sample landed: last_update is the sample's time */
        snprintf(val, sizeof(val), "%lld", (long long)t);
        expect_info(info, "last_update", val);
        free(info);
    }
    rrdw_get_stats(w, &st);
    assert_int_equal(st.created, SDC_AR_COUNT);
    assert_int_equal(st.updates, SDC_AR_COUNT);
    assert_int_equal(st.errors, 0);
    rrdw_free(w);
}

static void test_create_default_retention(void **state)
{
    struct fx *f = *state;
    /* DESIGN.md section 4 at step 60: 2 d of steps, 40 d of 5 min, 100 d of
     * hours, 5 years of days. */
    const struct rra_want want[6] = {
        {"AVERAGE", 1, 2880}, {"AVERAGE", 5, 11520},   {"AVERAGE", 60, 2400},
        {"MAX", 60, 2400},    {"AVERAGE", 1440, 1825}, {"MAX", 1440, 1825},
    };
    check_layout(f->dir, 60, NULL, want);
}

static void test_create_default_retention_explicit(void **state)
{
    struct fx *f = *state;
    const struct sdc_retention_cfg ret = {2, 40, 100, 1825};
    /* step 300: the 5-minute RRA is one step per row */
    const struct rra_want want[6] = {
        {"AVERAGE", 1, 576}, {"AVERAGE", 1, 11520},  {"AVERAGE", 12, 2400},
        {"MAX", 12, 2400},   {"AVERAGE", 288, 1825}, {"MAX", 288, 1825},
    };
    check_layout(f->dir, 300, &ret, want);
}

static void test_create_small_retention(void **state)
{
    struct fx *f = *state;
    const struct sdc_retention_cfg ret = {0.25, 0.5, 1.5, 3.2};
    const struct rra_want want[6] = {
        {"AVERAGE", 1, 360}, {"AVERAGE", 5, 144},  {"AVERAGE", 60, 36},
        {"MAX", 60, 36},     {"AVERAGE", 1440, 4}, /* ceil(3.2) */
        {"MAX", 1440, 4},
    };
    check_layout(f->dir, 60, &ret, want);
}

static void test_create_odd_steps(void **state)
{
    struct fx *f = *state;
    char sub[4096];
    /* step 120: 300/120 = 2 steps per "5 minutes" */
    const struct sdc_retention_cfg r1 = {0.25, 0.5, 1.5, 3.2};
    const struct rra_want w1[6] = {
        {"AVERAGE", 1, 180}, {"AVERAGE", 2, 180}, {"AVERAGE", 30, 36},
        {"MAX", 30, 36},     {"AVERAGE", 720, 4}, {"MAX", 720, 4},
    };
    /* step 600: at least one step per row, and at least one row */
    const struct sdc_retention_cfg r2 = {0.25, 0.001, 1.5, 0};
    const struct rra_want w2[6] = {
        {"AVERAGE", 1, 36}, {"AVERAGE", 1, 1},   {"AVERAGE", 6, 36},
        {"MAX", 6, 36},     {"AVERAGE", 144, 1}, {"MAX", 144, 1},
    };
    snprintf(sub, sizeof(sub), "%s/a", f->dir);
    check_layout(sub, 120, &r1, w1);
    snprintf(sub, sizeof(sub), "%s/b", f->dir);
    check_layout(sub, 600, &r2, w2);
}

static void test_open_rejects_bad_arguments(void **state)
{
    struct fx *f = *state;
    struct rrdw *w = NULL;
    struct sdc_error err;
    const struct sdc_retention_cfg bad = {2, -1, 100, 1825};
    const struct sdc_retention_cfg huge = {1e9, 40, 100, 1825};

    assert_int_equal(rrdw_open(NULL, 60, NULL, NULL, &w, &err),
                     SDC_ERR_INVALID);
    assert_int_equal(rrdw_open("", 60, NULL, NULL, &w, &err), SDC_ERR_INVALID);
    assert_int_equal(rrdw_open(f->dir, 0, NULL, NULL, &w, &err),
                     SDC_ERR_INVALID);
    assert_int_equal(rrdw_open(f->dir, 60, &bad, NULL, &w, &err),
                     SDC_ERR_INVALID);
    assert_non_null(strstr(err.msg, "min5_days"));
    assert_int_equal(rrdw_open(f->dir, 60, &huge, NULL, &w, &err),
                     SDC_ERR_INVALID);
    assert_null(w);
    rrdw_free(NULL);
}

/* ---- 2. values --------------------------------------------------------------
 */

static void test_gauge_values(void **state)
{
    struct fx *f = *state;
    struct rrdw *w = open_writer(f->dir, STEP, NULL, NULL);
    time_t t0 = aligned(12);
    struct rrdw_stats st;
    struct fetched fe;
    char path[4096];

    for (int k = 0; k < 8; k++) {
        struct sdc_sample s = mk(SDC_AR_HV_MEM, "hv01", NULL, t0 + k * STEP);
        sdc_sample_set_gauge(&s, "total", 68719476736.0);
        sdc_sample_set_gauge(&s, "free", 1000000000.0 + k * 123456789.0);
        if (k != 2)
            sdc_sample_set_gauge(&s, "cached", 0.5 + k);
        if (k == 3)
            sdc_sample_set_gauge(&s, "buffers", -42.0); /* absurd */
        else if (k == 4)
            sdc_sample_set_gauge(&s, "buffers", NAN);
        else if (k == 5)
            sdc_sample_set_gauge(&s, "buffers", INFINITY);
        else
            sdc_sample_set_gauge(&s, "buffers", 4096.0 * k);
        write_ok(w, &s);
    }
    path_of(w, SDC_AR_HV_MEM, "hv01", NULL, path, sizeof(path));
    fetch(path, t0 - STEP, t0 + 7 * STEP, &fe);
    for (int k = 0; k < 8; k++) {
        time_t t = t0 + k * STEP;
        assert_true(at(&fe, "total", t) == 68719476736.0);
        assert_true(at(&fe, "free", t) == 1000000000.0 + k * 123456789.0);
        if (k == 2)
            assert_true(isnan(at(&fe, "cached", t)));
        else
            assert_true(at(&fe, "cached", t) == 0.5 + k);
        if (k >= 3 && k <= 5)
            assert_true(isnan(at(&fe, "buffers", t)));
        else
            assert_true(at(&fe, "buffers", t) == 4096.0 * k);
    }
    assert_true(tu_rrd_last(path, "free", 3600) ==
                1000000000.0 + 7 * 123456789.0);
    rrdw_get_stats(w, &st);
    assert_int_equal(st.updates, 8);
    assert_int_equal(st.invalid, 3);
    assert_int_equal(st.errors, 0);
    rrdw_free(w);
}

static void test_derive_values(void **state)
{
    struct fx *f = *state;
    struct rrdw *w = open_writer(f->dir, STEP, NULL, NULL);
    time_t t0 = aligned(10);
    const uint64_t near_max = UINT64_MAX - 20ull * STEP * 1000;
    struct fetched fe;
    char path[4096];

    for (int k = 0; k < 6; k++) {
        struct sdc_sample s = mk(SDC_AR_HV_CPU, "hv01", NULL, t0 + k * STEP);
        uint64_t sys = k < 3 ? 1000000 + (uint64_t)k * STEP * 100
                             : 5 + (uint64_t)(k - 3) * STEP * 100; /* reset */
        sdc_sample_set_counter(&s, "user", 1000 + (uint64_t)k * STEP * 500);
        sdc_sample_set_counter(&s, "system", sys);
        sdc_sample_set_counter(&s, "idle",
                               near_max + (uint64_t)k * STEP * 1000);
        /* iowait unknown throughout */
        sdc_sample_set_gauge(&s, "cpus", 64);
        write_ok(w, &s);
    }
    path_of(w, SDC_AR_HV_CPU, "hv01", NULL, path, sizeof(path));
    fetch(path, t0 - STEP, t0 + 5 * STEP, &fe);
    /* the first reading has nothing to take a rate from */
    assert_true(isnan(at(&fe, "user", t0)));
    assert_true(at(&fe, "cpus", t0) == 64);
    for (int k = 1; k < 6; k++) {
        time_t t = t0 + k * STEP;
        assert_true(at(&fe, "user", t) == 500);
        assert_true(at(&fe, "idle", t) == 1000);
        assert_true(isnan(at(&fe, "iowait", t)));
        assert_true(at(&fe, "cpus", t) == 64);
        if (k == 3)
            assert_true(isnan(at(&fe, "system", t))); /* reset: no spike */
        else
            assert_true(at(&fe, "system", t) == 100);
    }
    assert_true(tu_rrd_last(path, "user", 3600) == 500);
    rrdw_free(w);
}

/* ---- 3. hostile names ---------------------------------------------------- */

static bool path_chars_ok(const char *p)
{
    return strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789._/-") == strlen(p);
}

static void test_hostile_names(void **state)
{
    struct fx *f = *state;
    char data[4096];
    char prefix[4200];
    char long_name[301];
    char long_name2[301];
    const char *ids[] = {"../x",     "a b",
                         "<script>", "caf\xc3\xa9 \xe2\x9c\x93",
                         "..",       ".",
                         "",         "/etc/passwd",
                         "a\nc",     "$(touch /tmp/pwned)",
                         long_name,  long_name2};
    const char *insts[] = {"../../../../tmp/evil", "vd a", "\xff\xfe",
                           long_name, ".."};
    size_t n_ids = sizeof(ids) / sizeof(ids[0]);
    size_t n_insts = sizeof(insts) / sizeof(insts[0]);
    time_t t = aligned(2);
    struct rrdw *w;
    struct rrdw_stats st;
    struct sdc_error err;
    char *out = NULL;
    size_t files = 0;

    memset(long_name, 'n', 300);
    long_name[300] = '\0';
    memcpy(long_name2, long_name, sizeof(long_name));
    long_name2[299] = 'm'; /* differs only at the end */
    snprintf(data, sizeof(data), "%s/data", f->dir);
    w = open_writer(data, STEP, &small_ret, NULL);

    for (size_t i = 0; i < n_ids; i++) {
        struct sdc_sample s = mk(SDC_AR_HV_MEM, ids[i], NULL, t);
        sdc_sample_set_gauge(&s, "total", 1);
        write_ok(w, &s);
    }
    for (size_t i = 0; i < n_insts; i++) {
        struct sdc_sample s = mk(SDC_AR_VM_DISK, "../vm", insts[i], t);
        sdc_sample_set_counter(&s, "rd_bytes", 1);
        write_ok(w, &s);
    }
    /* a per-instance archive without an instance is refused, not guessed */
    {
        struct sdc_sample s = mk(SDC_AR_VM_NET, "vm", NULL, t);
        assert_int_equal(rrdw_write(w, &s, &err), SDC_ERR_INVALID);
        s.instance = (char *)"";
        assert_int_equal(rrdw_write(w, &s, &err), SDC_ERR_INVALID);
        s = mk(SDC_AR_VM_NET, NULL, "x", t);
        assert_int_equal(rrdw_write(w, &s, &err), SDC_ERR_INVALID);
        /* and the message does not carry the raw name into a log */
        s = mk(SDC_AR_VM_NET, "evil\nFAKE LOG LINE", NULL, t);
        assert_int_equal(rrdw_write(w, &s, &err), SDC_ERR_INVALID);
        assert_null(strchr(err.msg, '\n'));
        assert_non_null(strstr(err.msg, "without an instance"));
    }
    rrdw_get_stats(w, &st);
    assert_int_equal(st.created, n_ids + n_insts);
    assert_int_equal(st.errors, 4);

    snprintf(prefix, sizeof(prefix), "%s/rrd/", data);
    assert_int_equal(tu_runf(&out, "find '%s' -type f", f->dir), 0);
    for (char *p = out, *line; (line = next_line(&p));) {
        if (!*line)
            continue;
        files++;
        if (strncmp(line, prefix, strlen(prefix)) != 0 || !path_chars_ok(line))
            fail_msg("file outside %s or with odd characters: %s", prefix,
                     line);
        assert_null(strstr(line, "/../"));
        assert_null(strstr(line, "/./"));
        assert_non_null(strstr(line, ".rrd"));
    }
    free(out);
    assert_int_equal(files, n_ids + n_insts);
    rrdw_free(w);
}

/* ---- 4. skipping old samples --------------------------------------------- */

static void test_skip_not_newer(void **state)
{
    struct fx *f = *state;
    struct rrdw *w = open_writer(f->dir, STEP, &small_ret, NULL);
    time_t t0 = aligned(6);
    struct rrdw_stats st;
    struct fetched fe;
    char path[4096];
    struct sdc_sample s;

    for (int k = 0; k < 2; k++) {
        s = mk(SDC_AR_SNMP_CPU, "sw1", NULL, t0 + k * STEP);
        sdc_sample_set_gauge(&s, "load", 10 + k);
        write_ok(w, &s);
    }
    s = mk(SDC_AR_SNMP_CPU, "sw1", NULL, t0 + STEP); /* same time */
    sdc_sample_set_gauge(&s, "load", 99);
    write_ok(w, &s);
    s.t = t0; /* older */
    write_ok(w, &s);
    rrdw_get_stats(w, &st);
    assert_int_equal(st.updates, 2);
    assert_int_equal(st.skipped, 2);
    assert_int_equal(st.errors, 0);
    rrdw_free(w);

    /* a restarted writer learns the last update from the file */
    w = open_writer(f->dir, STEP, &small_ret, NULL);
    s.t = t0 + STEP;
    write_ok(w, &s);
    s.t = t0 + STEP - 1; /* unaligned but older */
    write_ok(w, &s);
    rrdw_get_stats(w, &st);
    assert_int_equal(st.skipped, 2);
    assert_int_equal(st.updates, 0);
    assert_int_equal(st.created, 0);
    assert_int_equal(st.errors, 0);
    s.t = t0 + 2 * STEP;
    sdc_sample_set_gauge(&s, "load", 12);
    write_ok(w, &s);
    rrdw_get_stats(w, &st);
    assert_int_equal(st.updates, 1);

    path_of(w, SDC_AR_SNMP_CPU, "sw1", NULL, path, sizeof(path));
    fetch(path, t0 - STEP, t0 + 2 * STEP, &fe);
    assert_true(at(&fe, "load", t0) == 10);
    assert_true(at(&fe, "load", t0 + STEP) == 11);
    assert_true(at(&fe, "load", t0 + 2 * STEP) == 12);
    rrdw_free(w);
}

/* ---- 5. atomic creation, no overwrite --------------------------------------
 */

static void test_never_overwrites(void **state)
{
    struct fx *f = *state;
    struct rrdw *w = open_writer(f->dir, STEP, &small_ret, NULL);
    time_t t0 = aligned(5);
    struct rrdw_stats st;
    struct sdc_error err;
    struct fetched fe;
    char path[4096];
    char *out = NULL;
    char *v;
    struct sdc_sample s = mk(SDC_AR_POOL_USAGE, "nfs.pool", NULL, t0);

    sdc_sample_set_gauge(&s, "capacity", 111);
    write_ok(w, &s);
    rrdw_free(w);

    w = open_writer(f->dir, STEP, &small_ret, NULL);
    s.t = t0 + STEP;
    sdc_sample_set_gauge(&s, "capacity", 222);
    write_ok(w, &s);
    rrdw_get_stats(w, &st);
    assert_int_equal(st.created, 0);
    assert_int_equal(st.updates, 1);
    path_of(w, SDC_AR_POOL_USAGE, "nfs.pool", NULL, path, sizeof(path));
    fetch(path, t0 - STEP, t0 + STEP, &fe);
    assert_true(at(&fe, "capacity", t0) == 111);
    assert_true(at(&fe, "capacity", t0 + STEP) == 222);

    /* a file with another layout at our path is reported, never replaced */
    path_of(w, SDC_AR_HV_MEM, "foreign", NULL, path, sizeof(path));
    assert_int_equal(tu_runf(NULL,
                             "mkdir -p \"$(dirname '%s')\" && rrdtool create "
                             "'%s' -s 60 DS:x:GAUGE:120:U:U "
                             "RRA:AVERAGE:0.5:1:10",
                             path, path),
                     0);
    s = mk(SDC_AR_HV_MEM, "foreign", NULL, t0);
    sdc_sample_set_gauge(&s, "total", 1);
    assert_int_equal(rrdw_write(w, &s, &err), SDC_ERR_INVALID);
    assert_non_null(strstr(err.msg, path));
    v = tu_rrd_info(path, "ds[x].type");
    assert_non_null(v);
    assert_string_equal(v, "GAUGE");
    free(v);
    rrdw_get_stats(w, &st);
    assert_int_equal(st.errors, 1);

    /* nothing temporary is left behind */
    assert_int_equal(tu_runf(&out, "find '%s' -type f ! -name '*.rrd'", f->dir),
                     0);
    assert_string_equal(out, "");
    free(out);
    rrdw_free(w);
}

static void test_io_error_names_path(void **state)
{
    struct fx *f = *state;
    char data[4096];
    char blocker[4200];
    struct rrdw *w;
    struct rrdw_stats st;
    struct sdc_error err;
    struct sdc_batch *b;
    struct sdc_sample *s;

    /* "rrd" is a file, so no archive directory can be made */
    snprintf(data, sizeof(data), "%s/data", f->dir);
    assert_int_equal(mkdir(data, 0755), 0);
    snprintf(blocker, sizeof(blocker), "%s/rrd", data);
    assert_true(tu_write_file(blocker, "x", 0644));
    w = open_writer(data, STEP, &small_ret, NULL);

    /* a batch: every sample is tried, the first failure is reported */
    b = sdc_batch_new("hv01", aligned(1));
    assert_non_null(b);
    s = sdc_batch_add_sample(b, SDC_AR_HV_MEM, "hv01", NULL, aligned(1));
    sdc_sample_set_gauge(s, "total", 1);
    s = sdc_batch_add_sample(b, SDC_AR_VM_DISK, "vm", NULL, aligned(1));
    s = sdc_batch_add_sample(b, SDC_AR_HV_CPU, "hv01", NULL, aligned(1));
    assert_int_equal(rrdw_write_batch(w, b, &err), SDC_ERR_IO);
    assert_non_null(strstr(err.msg, blocker));
    rrdw_get_stats(w, &st);
    assert_int_equal(st.errors, 3);
    assert_int_equal(st.updates, 0);

    /* once the obstacle is gone the same writer recovers */
    assert_int_equal(unlink(blocker), 0);
    assert_int_equal(rrdw_write_batch(w, b, &err), SDC_ERR_INVALID);
    rrdw_get_stats(w, &st);
    assert_int_equal(st.errors, 4);
    assert_int_equal(st.updates, 2);
    assert_int_equal(st.created, 2);
    assert_int_equal(rrdw_flush(w, &err), SDC_OK); /* no-op direct */
    sdc_batch_free(b);
    rrdw_free(w);
}

/* ---- 6. rrdcached ----------------------------------------------------------
 */

static void test_rrdcached(void **state)
{
    struct fx *f = *state;
    char data[4096], sock[4096], pidf[4096], logf[4096], addr[4200];
    char tcp[64];
    char path[4096], path2[4096], path3[4096];
    time_t t0 = aligned(10);
    struct rrdw *w;
    struct rrdw_stats st;
    struct sdc_error err;
    struct fetched fe;
    int port = tu_free_port();
    pid_t pid;
    struct stat sb;

    if (!tu_which("rrdcached")) {
        print_message("rrdcached is not installed: skipping\n");
        skip();
    }
    assert_true(port > 0);
    snprintf(data, sizeof(data), "%s/data", f->dir);
    snprintf(sock, sizeof(sock), "%s/rrdcached.sock", f->dir);
    snprintf(pidf, sizeof(pidf), "%s/rrdcached.pid", f->dir);
    snprintf(logf, sizeof(logf), "%s/rrdcached.log", f->dir);
    snprintf(addr, sizeof(addr), "unix:%s", sock);
    snprintf(tcp, sizeof(tcp), "127.0.0.1:%d", port);
    assert_int_equal(mkdir(data, 0755), 0);
    {
        /* -B: only files under -b; -R: CREATE over TCP makes directories;
         * -w 3600: nothing is written until flushed. */
        char *argv[] = {(char *)"rrdcached",
                        (char *)"-g",
                        (char *)"-l",
                        addr,
                        (char *)"-l",
                        tcp,
                        (char *)"-p",
                        pidf,
                        (char *)"-b",
                        data,
                        (char *)"-B",
                        (char *)"-R",
                        (char *)"-w",
                        (char *)"3600",
                        (char *)"-f",
                        (char *)"7200",
                        NULL};
        pid = tu_spawn(argv, logf);
    }
    assert_true(pid > 0);
    if (!tu_wait_unix_socket(sock, 5000)) {
        tu_stop(pid, 2000);
        fail_msg("rrdcached did not start, see %s", logf);
    }

    w = open_writer(data, STEP, &small_ret, addr);
    for (int k = 0; k < 5; k++) {
        struct sdc_sample s = mk(SDC_AR_HV_MEM, "hv01", NULL, t0 + k * STEP);
        sdc_sample_set_gauge(&s, "total", 1000 + k);
        write_ok(w, &s);
        s = mk(SDC_AR_VM_NET, "vm-1", "52-54-00-aa-bb-cc", t0 + k * STEP);
        sdc_sample_set_counter(&s, "rx_bytes", (uint64_t)k * STEP * 7);
        write_ok(w, &s);
    }
    path_of(w, SDC_AR_HV_MEM, "hv01", NULL, path, sizeof(path));
    path_of(w, SDC_AR_VM_NET, "vm-1", "52-54-00-aa-bb-cc", path2,
            sizeof(path2));
    /* the daemon made the files, but holds the values */
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(stat(path2, &sb), 0);
    assert_true(isnan(tu_rrd_last(path, "total", 3600)));
    assert_true(isnan(tu_rrd_last(path2, "rx_bytes", 3600)));
    rrdw_get_stats(w, &st);
    assert_int_equal(st.created, 2);
    assert_int_equal(st.updates, 10);
    assert_int_equal(st.errors, 0);

    if (rrdw_flush(w, &err) != SDC_OK)
        fail_msg("rrdw_flush: %s", err.msg);
    assert_true(tu_rrd_last(path, "total", 3600) == 1004);
    assert_true(tu_rrd_last(path2, "rx_bytes", 3600) == 7);
    fetch(path, t0 - STEP, t0 + 4 * STEP, &fe);
    for (int k = 0; k < 5; k++)
        assert_true(at(&fe, "total", t0 + k * STEP) == 1000 + k);

    /* an unaligned update, then a restarted writer: LAST answers a time
     * rounded down to the step, the daemon refuses what is older anyway */
    {
        struct sdc_sample s =
            mk(SDC_AR_HV_MEM, "hv01", NULL, t0 + 4 * STEP + 30);
        sdc_sample_set_gauge(&s, "total", 2000);
        write_ok(w, &s);
        rrdw_free(w);
        w = open_writer(data, STEP, &small_ret, sock); /* plain path form */
        s.t = t0 + 4 * STEP + 10;
        write_ok(w, &s);
        s.t = t0 + 3 * STEP;
        write_ok(w, &s);
        rrdw_get_stats(w, &st);
        assert_int_equal(st.skipped, 2);
        assert_int_equal(st.updates, 0);
        assert_int_equal(st.errors, 0);
        rrdw_free(w);
    }

    /* over TCP, paths are relative to the daemon's base directory */
    w = open_writer(data, STEP, &small_ret, tcp);
    for (int k = 0; k < 3; k++) {
        struct sdc_sample s = mk(SDC_AR_SNMP_CPU, "sw 1", NULL, t0 + k * STEP);
        sdc_sample_set_gauge(&s, "load", 40 + k);
        write_ok(w, &s);
    }
    path_of(w, SDC_AR_SNMP_CPU, "sw 1", NULL, path3, sizeof(path3));
    assert_int_equal(stat(path3, &sb), 0);
    assert_true(isnan(tu_rrd_last(path3, "load", 3600)));
    if (rrdw_flush(w, &err) != SDC_OK)
        fail_msg("rrdw_flush: %s", err.msg);
    assert_true(tu_rrd_last(path3, "load", 3600) == 42);
    rrdw_get_stats(w, &st);
    assert_int_equal(st.created, 1);
    assert_int_equal(st.errors, 0);
    rrdw_free(w);

    /* the daemon goes away under an open writer: a clear error per write
     * (and no SIGPIPE for the program) */
    w = open_writer(data, STEP, &small_ret, addr);
    assert_int_equal(tu_stop(pid, 5000), 0);
    for (int k = 6; k < 8; k++) {
        struct sdc_sample s = mk(SDC_AR_HV_MEM, "hv01", NULL, t0 + k * STEP);
        sdc_sample_set_gauge(&s, "total", 1);
        assert_int_equal(rrdw_write(w, &s, &err), SDC_ERR_RRD);
        assert_non_null(strstr(err.msg, "rrdcached"));
        assert_non_null(strstr(err.msg, path));
    }
    rrdw_get_stats(w, &st);
    assert_int_equal(st.errors, 2);
    rrdw_free(w);

    /* a daemon that is not there is a clear error at open */
    w = NULL;
    assert_int_equal(rrdw_open(data, STEP, &small_ret, addr, &w, &err),
                     SDC_ERR_RRD);
    assert_non_null(strstr(err.msg, sock));
    assert_null(w);
}

/* ---- 6b. batches through rrdcached (BATCH) -------------------------------
 */

static pid_t start_rrdcached(const char *data, const char *addr,
                             const char *tcp, const char *sock,
                             const char *pidf, const char *logf)
{
    char *argv[] = {(char *)"rrdcached",
                    (char *)"-g",
                    (char *)"-l",
                    (char *)addr,
                    (char *)"-l",
                    (char *)tcp,
                    (char *)"-p",
                    (char *)pidf,
                    (char *)"-b",
                    (char *)data,
                    (char *)"-B",
                    (char *)"-R",
                    (char *)"-w",
                    (char *)"3600",
                    (char *)"-f",
                    (char *)"7200",
                    NULL};
    pid_t pid = tu_spawn(argv, logf);

    assert_true(pid > 0);
    if (!tu_wait_unix_socket(sock, 5000)) {
        tu_stop(pid, 2000);
        fail_msg("rrdcached did not start, see %s", logf);
    }
    return pid;
}

/* @n_ids archives of hv memory, @n_t samples each from @t0, value
 * 100 * archive + step, all in one batch. */
static struct sdc_batch *mem_batch(const char *prefix, int n_ids, int n_t,
                                   time_t t0)
{
    struct sdc_batch *b = sdc_batch_new("hv01", t0);
    assert_non_null(b);
    for (int k = 0; k < n_t; k++) {
        for (int a = 0; a < n_ids; a++) {
            char id[64];
            struct sdc_sample *s;
            snprintf(id, sizeof(id), "%s%02d", prefix, a);
            s = sdc_batch_add_sample(b, SDC_AR_HV_MEM, id, NULL, t0 + k * STEP);
            assert_non_null(s);
            sdc_sample_set_gauge(s, "total", 100 * a + k);
        }
    }
    return b;
}

static double elapsed_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) +
           (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_rrdcached_batch(void **state)
{
    struct fx *f = *state;
    char data[4096], sock[4096], pidf[4096], logf[4096], addr[4200];
    char tcp[64], path[4096], id[64];
    time_t t0 = aligned(120);
    struct rrdw *w, *w2;
    struct rrdw_stats st;
    struct sdc_error err;
    struct sdc_batch *b;
    struct fetched fe;
    struct timespec ts;
    int port = tu_free_port();
    pid_t pid;

    if (!tu_which("rrdcached")) {
        print_message("rrdcached is not installed: skipping\n");
        skip();
    }
    assert_true(port > 0);
    snprintf(data, sizeof(data), "%s/data", f->dir);
    snprintf(sock, sizeof(sock), "%s/rrdcached.sock", f->dir);
    snprintf(pidf, sizeof(pidf), "%s/rrdcached.pid", f->dir);
    snprintf(logf, sizeof(logf), "%s/rrdcached.log", f->dir);
    snprintf(addr, sizeof(addr), "unix:%s", sock);
    snprintf(tcp, sizeof(tcp), "127.0.0.1:%d", port);
    assert_int_equal(mkdir(data, 0755), 0);
    pid = start_rrdcached(data, addr, tcp, sock, pidf, logf);

    /* 8 archives x 50 samples in one batch: created, then all land */
    w = open_writer(data, STEP, &small_ret, addr);
    b = mem_batch("u", 8, 50, t0);
    if (rrdw_write_batch(w, b, &err) != SDC_OK)
        fail_msg("rrdw_write_batch: %s", err.msg);
    sdc_batch_free(b);
    rrdw_get_stats(w, &st);
    assert_int_equal(st.created, 8);
    assert_int_equal(st.updates, 400);
    assert_int_equal(st.errors, 0);
    assert_int_equal(st.skipped, 0);
    if (rrdw_flush(w, &err) != SDC_OK)
        fail_msg("rrdw_flush: %s", err.msg);
    for (int a = 0; a < 8; a++) {
        snprintf(id, sizeof(id), "u%02d", a);
        path_of(w, SDC_AR_HV_MEM, id, NULL, path, sizeof(path));
        fetch(path, t0 - STEP, t0 + 49 * STEP, &fe);
        for (int k = 0; k < 50; k++)
            assert_true(at(&fe, "total", t0 + k * STEP) == 100 * a + k);
    }

    /* the same again over TCP (paths relative to the daemon's base) */
    w2 = open_writer(data, STEP, &small_ret, tcp);
    b = mem_batch("t", 5, 60, t0);
    if (rrdw_write_batch(w2, b, &err) != SDC_OK)
        fail_msg("rrdw_write_batch over TCP: %s", err.msg);
    sdc_batch_free(b);
    rrdw_get_stats(w2, &st);
    assert_int_equal(st.created, 5);
    assert_int_equal(st.updates, 300);
    assert_int_equal(st.errors, 0);
    if (rrdw_flush(w2, &err) != SDC_OK)
        fail_msg("rrdw_flush: %s", err.msg);
    for (int a = 0; a < 5; a++) {
        snprintf(id, sizeof(id), "t%02d", a);
        path_of(w2, SDC_AR_HV_MEM, id, NULL, path, sizeof(path));
        assert_true(tu_rrd_last(path, "total", 100 * STEP) == 100 * a + 59);
    }

    /* u01 written ahead through another writer: its older sample in the
     * batch is refused by the daemon and skipped; u02 removed from disk and
     * forgotten by the daemon: one error naming it; the rest land. */
    {
        struct sdc_sample s = mk(SDC_AR_HV_MEM, "u01", NULL, t0 + 55 * STEP);
        char gone[4096];
        sdc_sample_set_gauge(&s, "total", 7777);
        for (int k = 50; k <= 52; k++) {
            s.t = t0 + k * STEP;
            write_ok(w2, &s);
        }
        path_of(w, SDC_AR_HV_MEM, "u02", NULL, gone, sizeof(gone));
        assert_int_equal(unlink(gone), 0);
        assert_int_equal(rrdc_connect(addr), 0);
        assert_int_equal(rrdc_forget(gone), 0);

        b = mem_batch("u", 8, 1, t0 + 50 * STEP);
        assert_int_equal(rrdw_write_batch(w, b, &err), SDC_ERR_RRD);
        sdc_batch_free(b);
        assert_non_null(strstr(err.msg, gone));
        assert_non_null(strstr(err.msg, "No such file"));
        rrdw_get_stats(w, &st);
        assert_int_equal(st.errors, 1);
        assert_int_equal(st.skipped, 1);
        assert_int_equal(st.updates, 400 + 6);
        assert_int_equal(st.created, 8);
        /* next batch: u02 is looked at again and made anew */
        b = mem_batch("u", 8, 1, t0 + 51 * STEP);
        if (rrdw_write_batch(w, b, &err) != SDC_OK)
            fail_msg("rrdw_write_batch: %s", err.msg);
        sdc_batch_free(b);
        rrdw_get_stats(w, &st);
        assert_int_equal(st.errors, 1);
        assert_int_equal(st.skipped, 2);
        assert_int_equal(st.updates, 400 + 6 + 7);
        assert_int_equal(st.created, 9);
        if (rrdw_flush(w, &err) != SDC_OK)
            fail_msg("rrdw_flush: %s", err.msg);
        path_of(w, SDC_AR_HV_MEM, "u03", NULL, path, sizeof(path));
        fetch(path, t0 + 49 * STEP, t0 + 51 * STEP, &fe);
        assert_true(at(&fe, "total", t0 + 50 * STEP) == 300);
        assert_true(at(&fe, "total", t0 + 51 * STEP) == 300);
        assert_true(tu_rrd_last(gone, "total", 200 * STEP) == 200);
        if (rrdw_flush(w2, &err) != SDC_OK)
            fail_msg("rrdw_flush: %s", err.msg);
        path_of(w, SDC_AR_HV_MEM, "u01", NULL, path, sizeof(path));
        assert_true(tu_rrd_last(path, "total", 200 * STEP) == 7777);
    }
    rrdw_free(w2);

    /* the daemon stops under a kept connection: every update of the batch
     * is an error, quickly, and no SIGPIPE */
    assert_int_equal(tu_stop(pid, 5000), 0);
    b = mem_batch("u", 8, 3, t0 + 60 * STEP);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    assert_int_equal(rrdw_write_batch(w, b, &err), SDC_ERR_RRD);
    assert_true(elapsed_since(&ts) < 5);
    assert_non_null(strstr(err.msg, "rrdcached"));
    rrdw_get_stats(w, &st);
    assert_int_equal(st.errors, 1 + 24);
    /* and again, with no daemon at all */
    assert_int_equal(rrdw_write_batch(w, b, &err), SDC_ERR_RRD);
    sdc_batch_free(b);
    rrdw_get_stats(w, &st);
    assert_true(st.errors >= 1 + 24 + 8);

    /* a new daemon: the writer reconnects */
    pid = start_rrdcached(data, addr, tcp, sock, pidf, logf);
    b = mem_batch("u", 8, 1, t0 + 70 * STEP);
    if (rrdw_write_batch(w, b, &err) != SDC_OK)
        fail_msg("rrdw_write_batch after restart: %s", err.msg);
    sdc_batch_free(b);
    rrdw_free(w);
    assert_int_equal(tu_stop(pid, 5000), 0);
}

/* ---- 7. threads ---------------------------------------------------------- */

#define N_THREADS 4
#define N_PER_THREAD 200

struct worker {
    struct rrdw *w;
    int id;
    time_t t0;
    int failures;
};

static void *worker_run(void *arg)
{
    struct worker *k = arg;
    char id[64];

    for (int i = 0; i < N_PER_THREAD; i++) {
        snprintf(id, sizeof(id), "t%d-vm%03d", k->id, i);
        for (int j = 0; j < 2; j++) {
            struct sdc_sample s = mk(SDC_AR_VM_CPU, id, NULL, k->t0 + j * STEP);
            sdc_sample_set_counter(&s, "time",
                                   (uint64_t)j * STEP * (uint64_t)(i + 1));
            sdc_sample_set_counter(&s, "delay", 0);
            sdc_sample_set_gauge(&s, "vcpus", k->id * 1000 + i);
            if (rrdw_write(k->w, &s, NULL) != SDC_OK)
                k->failures++;
        }
    }
    /* every thread also writes the same sample to one shared archive */
    {
        struct sdc_sample s = mk(SDC_AR_CLUSTER_CPU, "shared", NULL, k->t0);
        sdc_sample_set_gauge(&s, "used", 1);
        if (rrdw_write(k->w, &s, NULL) != SDC_OK)
            k->failures++;
    }
    return NULL;
}

static void test_threads(void **state)
{
    struct fx *f = *state;
    struct rrdw *w = open_writer(f->dir, STEP, &small_ret, NULL);
    struct worker work[N_THREADS];
    pthread_t th[N_THREADS];
    struct rrdw_stats st;
    char script[4096];
    char path[4096];
    char id[64];
    FILE *fp;
    char *out = NULL;
    char *p;
    time_t t0 = aligned(3);

    for (int i = 0; i < N_THREADS; i++) {
        work[i] = (struct worker){w, i, t0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, worker_run, &work[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(work[i].failures, 0);
    }
    rrdw_get_stats(w, &st);
    assert_int_equal(st.created, N_THREADS * N_PER_THREAD + 1);
    assert_int_equal(st.updates, N_THREADS * N_PER_THREAD * 2 + 1);
    assert_int_equal(st.skipped, N_THREADS - 1);
    assert_int_equal(st.errors, 0);

    /* read everything back with one rrdtool process */
    snprintf(script, sizeof(script), "%s/fetch.txt", f->dir);
    fp = fopen(script, "w");
    assert_non_null(fp);
    for (int k = 0; k < N_THREADS; k++)
        for (int i = 0; i < N_PER_THREAD; i++) {
            snprintf(id, sizeof(id), "t%d-vm%03d", k, i);
            path_of(w, SDC_AR_VM_CPU, id, NULL, path, sizeof(path));
            fprintf(fp, "fetch %s AVERAGE -s %lld -e %lld\n", path,
                    (long long)(t0 - STEP), (long long)(t0 + STEP));
        }
    fclose(fp);
    assert_int_equal(tu_runf(&out, "rrdtool - < '%s'", script), 0);
    p = out;
    for (int k = 0; k < N_THREADS; k++)
        for (int i = 0; i < N_PER_THREAD; i++) {
            struct fetched fe;
            char *line;
            if (!parse_fetch(&p, &fe, &line))
                fail_msg("no fetch output for t%d-vm%03d", k, i);
            assert_true(at(&fe, "vcpus", t0) == k * 1000 + i);
            assert_true(at(&fe, "vcpus", t0 + STEP) == k * 1000 + i);
            assert_true(at(&fe, "time", t0 + STEP) == i + 1);
            assert_true(at(&fe, "delay", t0 + STEP) == 0);
            assert_non_null(line); /* "OK u:... s:... r:..." */
            assert_memory_equal(line, "OK", 2);
        }
    free(out);
    rrdw_free(w);
}

/* ---- cost ---------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 10,000 updates (50 archives x 200 steps) in direct mode; prints the cost. */
static void test_update_cost(void **state)
{
    struct fx *f = *state;
    struct rrdw *w = open_writer(f->dir, STEP, &small_ret, NULL);
    time_t t0 = aligned(300);
    struct rrdw_stats st;
    double start;
    char id[32];

    for (int a = 0; a < 50; a++) { /* create first, time updates only */
        snprintf(id, sizeof(id), "vm%02d", a);
        struct sdc_sample s = mk(SDC_AR_VM_MEM, id, NULL, t0);
        write_ok(w, &s);
    }
    start = now_s();
    for (int k = 1; k <= 200; k++)
        for (int a = 0; a < 50; a++) {
            snprintf(id, sizeof(id), "vm%02d", a);
            struct sdc_sample s = mk(SDC_AR_VM_MEM, id, NULL, t0 + k * STEP);
            for (int d = 0; d < 5; d++) {
                s.v[d].known = true;
                s.v[d].gauge = 1e9 + k * 1000 + d;
            }
            write_ok(w, &s);
        }
    print_message("rrd writer: %.1f us per direct update\n",
                  (now_s() - start) / 10000 * 1e6);
    rrdw_get_stats(w, &st);
    assert_int_equal(st.updates, 10050);
    assert_int_equal(st.errors, 0);
    rrdw_free(w);
}

/* ---- 8. the update process (rrd_proc.h) ---------------------------------- */

/* `rrdtool dump` of @file, for comparing two archives byte for byte. */
static char *dump_of(const char *file)
{
    char *out = NULL;
    if (tu_runf(&out, "rrdtool dump '%s'", file) != 0)
        fail_msg("rrdtool dump %s failed: %s", file, out ? out : "");
    return out;
}

static bool alive(pid_t pid)
{
    return pid > 0 && kill(pid, 0) == 0;
}

/* The same batches through the update process and through this process's
 * own librrd give the same archives; refusals, lost files, a killed or
 * signalled child. */
static void test_process_batch(void **state)
{
    struct fx *f = *state;
    char dp[4096], dd[4096], a[4096], b0[4096], id[64];
    time_t t0 = aligned(80);
    struct rrdw *w, *w0;
    struct rrdw_stats st, st0;
    struct sdc_error err;
    struct sdc_batch *b;
    long pid, pid2;

    snprintf(dp, sizeof(dp), "%s/proc", f->dir);
    snprintf(dd, sizeof(dd), "%s/direct", f->dir);
    w = open_writer(dp, STEP, &small_ret, NULL);
    w0 = open_writer(dd, STEP, &small_ret, NULL);
    assert_int_equal(rrdw_process_pid(w), 0);
    if (rrdw_use_process(w, "/proc/self/exe", &err) != SDC_OK)
        fail_msg("rrdw_use_process: %s", err.msg);
    pid = rrdw_process_pid(w);
    assert_true(pid > 0 && pid != getpid());
    assert_true(alive((pid_t)pid));

    /* 8 archives x 50 samples: created here, updated by the child */
    b = mem_batch("u", 8, 50, t0);
    if (rrdw_write_batch(w, b, &err) != SDC_OK)
        fail_msg("rrdw_write_batch: %s", err.msg);
    if (rrdw_write_batch(w0, b, &err) != SDC_OK)
        fail_msg("rrdw_write_batch (direct): %s", err.msg);
    sdc_batch_free(b);
    rrdw_get_stats(w, &st);
    rrdw_get_stats(w0, &st0);
    assert_int_equal(st.created, 8);
    assert_int_equal(st.updates, 400);
    assert_int_equal(st.errors, 0);
    assert_int_equal(st.skipped, 0);
    assert_memory_equal(&st, &st0, sizeof(st));
    for (int k = 0; k < 8; k++) {
        char *x, *y;
        snprintf(id, sizeof(id), "u%02d", k);
        path_of(w, SDC_AR_HV_MEM, id, NULL, a, sizeof(a));
        path_of(w0, SDC_AR_HV_MEM, id, NULL, b0, sizeof(b0));
        assert_true(tu_rrd_last(a, "total", 100 * STEP) == 100 * k + 49);
        x = dump_of(a);
        y = dump_of(b0);
        assert_string_equal(x, y);
        free(x);
        free(y);
    }

    /* u01 written ahead by this process: the child refuses the older samples
     * (skipped, as in direct mode); u02 removed: one error naming it and
     * librrd's reason; the rest land; the next batch makes u02 anew */
    {
        struct sdc_sample s = mk(SDC_AR_HV_MEM, "u01", NULL, t0 + 50 * STEP);
        sdc_sample_set_gauge(&s, "total", 7777);
        for (int k = 50; k <= 52; k++) {
            s.t = t0 + k * STEP;
            write_ok(w, &s);
        }
        path_of(w, SDC_AR_HV_MEM, "u02", NULL, a, sizeof(a));
        assert_int_equal(unlink(a), 0);
        b = mem_batch("u", 8, 1, t0 + 50 * STEP);
        assert_int_equal(rrdw_write_batch(w, b, &err), SDC_ERR_RRD);
        sdc_batch_free(b);
        assert_non_null(strstr(err.msg, a));
        assert_non_null(strstr(err.msg, "No such file"));
        assert_null(strstr(err.msg, "rrdcached"));
        rrdw_get_stats(w, &st);
        assert_int_equal(st.errors, 1);
        assert_int_equal(st.skipped, 1);
        assert_int_equal(st.updates, 400 + 3 + 6);
        b = mem_batch("u", 8, 1, t0 + 51 * STEP);
        if (rrdw_write_batch(w, b, &err) != SDC_OK)
            fail_msg("rrdw_write_batch: %s", err.msg);
        sdc_batch_free(b);
        rrdw_get_stats(w, &st);
        assert_int_equal(st.created, 9);
        assert_int_equal(st.skipped, 2);
        assert_int_equal(st.updates, 400 + 3 + 6 + 7);
        assert_true(tu_rrd_last(a, "total", 100 * STEP) == 200);
        path_of(w, SDC_AR_HV_MEM, "u01", NULL, a, sizeof(a));
        assert_true(tu_rrd_last(a, "total", 100 * STEP) == 7777);
    }

    /* SIGTERM is blocked in the child: it goes on serving */
    assert_int_equal(kill((pid_t)pid, SIGTERM), 0);
    usleep(200 * 1000);
    assert_true(alive((pid_t)pid));
    b = mem_batch("u", 8, 1, t0 + 60 * STEP);
    if (rrdw_write_batch(w, b, &err) != SDC_OK)
        fail_msg("rrdw_write_batch after SIGTERM: %s", err.msg);
    sdc_batch_free(b);
    assert_int_equal(rrdw_process_pid(w), pid);

    /* killed between two batches: a new child does the next one whole */
    assert_int_equal(kill((pid_t)pid, SIGKILL), 0);
    usleep(100 * 1000);
    b = mem_batch("u", 8, 1, t0 + 61 * STEP);
    if (rrdw_write_batch(w, b, &err) != SDC_OK)
        fail_msg("rrdw_write_batch after SIGKILL: %s", err.msg);
    sdc_batch_free(b);
    pid2 = rrdw_process_pid(w);
    assert_true(pid2 > 0 && pid2 != pid);
    for (int k = 0; k < 8; k++) {
        snprintf(id, sizeof(id), "u%02d", k);
        path_of(w, SDC_AR_HV_MEM, id, NULL, a, sizeof(a));
        assert_true(tu_rrd_last(a, "total", 100 * STEP) == 100 * k);
    }
    rrdw_get_stats(w, &st);
    assert_int_equal(st.errors, 1);
    assert_int_equal(st.updates, 400 + 3 + 6 + 7 + 8 + 8);

    /* closing the writer ends the child */
    rrdw_free(w);
    assert_false(alive((pid_t)pid2));
    rrdw_free(w0);
}

struct results {
    size_t n;
    size_t next; /* the index expected next: answers come in order */
    char **msg;  /* NULL: done */
    bool *answered;
    struct rrdp *p;
    size_t kill_at; /* kill the child after this many answers (0: never) */
    int kill_sig;   /* with this signal (0: SIGKILL) */
    bool out_of_order;
};

static void collect(void *ctx, size_t i, const char *msg)
{
    struct results *r = ctx;
    if (i != r->next || i >= r->n || r->answered[i])
        r->out_of_order = true;
    if (i < r->n) {
        r->answered[i] = true;
        r->msg[i] = msg ? strdup(msg) : NULL;
    }
    r->next = i + 1;
    if (r->kill_at && r->next == r->kill_at)
        kill(rrdp_pid(r->p), r->kill_sig ? r->kill_sig : SIGKILL);
}

static void results_init(struct results *r, struct rrdp *p, size_t n)
{
    memset(r, 0, sizeof(*r));
    r->n = n;
    r->p = p;
    r->msg = calloc(n, sizeof(*r->msg));
    r->answered = calloc(n, sizeof(*r->answered));
    assert_non_null(r->msg);
    assert_non_null(r->answered);
}

static void results_free(struct results *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->msg[i]);
    free(r->msg);
    free(r->answered);
}

/* The process interface itself: pipelining far past the socket buffers,
 * items refused before they travel, the child killed in the middle of a
 * call, a program that is not an update process. */
static void test_process_protocol(void **state)
{
    struct fx *f = *state;
    enum { N_ARCH = 40, N_T = 400, N = N_ARCH * N_T };
    struct rrdp_item *items = calloc(N + 1, sizeof(*items));
    char(*paths)[512] = calloc(N_ARCH, sizeof(*paths));
    char(*lines)[64] = calloc(N + 1, sizeof(*lines));
    time_t t0 = aligned(N_T + 10);
    struct results r;
    struct sdc_error err;
    struct rrdp *p;
    size_t failed = 0, killed = 0, refused_old = 0, killed_at = 0;
    pid_t pid;

    assert_non_null(items);
    assert_non_null(paths);
    assert_non_null(lines);
    for (int a = 0; a < N_ARCH; a++) {
        char *out = NULL;
        snprintf(paths[a], sizeof(paths[a]), "%s/a%02d.rrd", f->dir, a);
        assert_int_equal(tu_runf(&out,
                                 "rrdtool create '%s' --start %lld --step %d "
                                 "DS:v:GAUGE:%d:0:U RRA:LAST:0:1:%d",
                                 paths[a], (long long)(t0 - STEP), STEP,
                                 2 * STEP, N_T + 20),
                         0);
        free(out);
    }
    /* time-major, so each archive's samples are spread over the call */
    for (int k = 0; k < N_T; k++)
        for (int a = 0; a < N_ARCH; a++) {
            size_t i = (size_t)k * N_ARCH + (size_t)a;
            snprintf(lines[i], sizeof(lines[i]), "%lld:%d",
                     (long long)(t0 + k * STEP), 1000 * a + k);
            items[i].path = paths[a];
            items[i].line = lines[i];
        }

    assert_int_equal(rrdp_new("relative/exe", &p, &err), SDC_ERR_INVALID);
    assert_int_equal(rrdp_new("/nonexistent/sdcmond", &p, &err), SDC_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/sdcmond"));
    if (rrdp_new("/proc/self/exe", &p, &err) != SDC_OK)
        fail_msg("rrdp_new: %s", err.msg);
    pid = rrdp_pid(p);
    assert_true(pid > 0);

    /* the first half, with a relative path among them: refused in its turn
     * without travelling; every other update done, in order */
    {
        const char *keep = items[7].path;
        items[7].path = "relative.rrd";
        results_init(&r, p, N / 2);
        rrdp_update(p, items, N / 2, collect, &r);
        items[7].path = keep;
        assert_false(r.out_of_order);
        assert_int_equal(r.next, N / 2);
        assert_non_null(r.msg[7]);
        assert_non_null(strstr(r.msg[7], "absolute"));
        for (size_t i = 0; i < N / 2; i++)
            if (i != 7 && r.msg[i])
                fail_msg("update %zu: %s", i, r.msg[i]);
        results_free(&r);
        assert_int_equal(rrdp_pid(p), pid);
        assert_int_equal(rrdp_restarts(p), 0);
    }

    /* the second half (8,000); the child is killed after 1,000 answers: the
     * update in hand fails naming the signal, a new child does the rest;
     * updates the dead child did without answering come back refused as not
     * newer (nothing written twice, nothing lost) */
    results_init(&r, p, N - N / 2);
    r.kill_at = 1000;
    rrdp_update(p, items + N / 2, N - N / 2, collect, &r);
    assert_false(r.out_of_order);
    assert_int_equal(r.next, N - N / 2);
    for (size_t i = 0; i < r.n; i++) {
        if (!r.msg[i])
            continue;
        failed++;
        if (strstr(r.msg[i], "killed by signal 9")) {
            killed++;
            killed_at = i;
        } else if (strstr(r.msg[i], "illegal attempt to update"))
            refused_old++;
        else
            fail_msg("update %zu: unexpected %s", i, r.msg[i]);
    }
    assert_int_equal(killed, 1);
    assert_int_equal(failed, killed + refused_old);
    /* the one in hand: not one answered before the kill */
    assert_true(killed_at >= r.kill_at);
    assert_true(rrdp_pid(p) > 0 && rrdp_pid(p) != pid);
    assert_int_equal(rrdp_restarts(p), 1);
    results_free(&r);
    for (int a = 0; a < N_ARCH; a++)
        assert_true(tu_rrd_last(paths[a], "v", (N_T + 20) * STEP) ==
                    1000 * a + N_T - 1);

    /* stuck (SIGSTOP) after 1,000 answers, with a 1 s timeout: the update
     * in hand fails saying so, the stuck child is killed and a new one
     * does the rest, which are all refused as not newer (done above) */
    rrdp_set_timeout(p, 1000);
    pid = rrdp_pid(p);
    results_init(&r, p, N - N / 2);
    r.kill_at = 1000;
    r.kill_sig = SIGSTOP;
    rrdp_update(p, items + N / 2, N - N / 2, collect, &r);
    assert_false(r.out_of_order);
    assert_int_equal(r.next, N - N / 2);
    killed = 0;
    for (size_t i = 0; i < r.n; i++) {
        assert_non_null(r.msg[i]);
        if (strstr(r.msg[i], "no answer for 1.0 s and was killed"))
            killed++;
        else if (!strstr(r.msg[i], "illegal attempt to update"))
            fail_msg("update %zu: unexpected %s", i, r.msg[i]);
    }
    assert_int_equal(killed, 1);
    assert_false(alive(pid));
    assert_true(rrdp_pid(p) > 0 && rrdp_pid(p) != pid);
    assert_int_equal(rrdp_restarts(p), 2);
    results_free(&r);

    pid = rrdp_pid(p);
    rrdp_free(p);
    assert_false(alive(pid));

    /* a program that is not an update process (it exits at once): each
     * start fails one update, then the rest fail without a child */
    if (rrdp_new("/bin/true", &p, &err) != SDC_OK)
        fail_msg("rrdp_new /bin/true: %s", err.msg);
    results_init(&r, p, 10);
    rrdp_update(p, items, 10, collect, &r);
    assert_false(r.out_of_order);
    assert_int_equal(r.next, 10);
    /* four children (the first and three more) fail one update each, the
     * rest fail naming the limit */
    for (size_t i = 0; i < 10; i++) {
        assert_non_null(r.msg[i]);
        if (i < 4)
            assert_non_null(strstr(r.msg[i], "exited with status 0"));
        else
            assert_non_null(strstr(r.msg[i], "ended 3 times in one batch"));
    }
    results_free(&r);
    rrdp_free(p);

    free(items);
    free(paths);
    free(lines);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_default_retention, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_create_default_retention_explicit,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_small_retention, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_create_odd_steps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_rejects_bad_arguments, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gauge_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_derive_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_skip_not_newer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_never_overwrites, setup, teardown),
        cmocka_unit_test_setup_teardown(test_io_error_names_path, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rrdcached, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rrdcached_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_cost, setup, teardown),
        cmocka_unit_test_setup_teardown(test_process_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_process_protocol, setup, teardown),
    };

    /* started again by rrdw_use_process: the update process */
    if (argc == 2 && strcmp(argv[1], RRDP_CHILD_ARG) == 0)
        return rrdp_child_main(STDIN_FILENO);
    /* rrdtool would otherwise read through a daemon named in the
     * environment, and the test must see the files themselves */
    unsetenv("RRDCACHED_ADDRESS");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
