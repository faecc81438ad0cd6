/*
 * test_fetch.c - reading archives back: archives written through the real
 * RRD writer (poller/rrd_writer), read with fetch_series/fetch_all and
 * compared with what the rrdtool CLI prints; gaps, consolidations, errors,
 * hostile names, threads, and a real rrdcached (flush before fetch).
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fetch.h"
#include "rrd_writer.h"
#include "testutil.h"

#define STEP 60

/* Small retention: 1-minute rows for a day, hours for ten days. */
static const struct sdc_retention_cfg small_ret = {1, 2, 10, 30};

struct fx {
    char *dir; /* the data directory */
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->dir = tu_tmpdir("fetch");
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

/* An hour-aligned time @hours before now. */
static time_t hour_aligned(int hours)
{
    time_t now = time(NULL);
    return now - now % 3600 - (time_t)hours * 3600;
}

static struct rrdw *writer(const char *dir, const char *cached)
{
    struct rrdw *w = NULL;
    struct sdc_error err;
    if (rrdw_open(dir, STEP, &small_ret, cached, &w, &err) != SDC_OK)
        fail_msg("rrdw_open: %s", err.msg);
    return w;
}

static void put(struct rrdw *w, enum sdc_archive type, const char *id,
                const char *inst, time_t t, const char *ds1, double v1,
                const char *ds2, double v2)
{
    struct sdc_sample s;
    struct sdc_error err;
    memset(&s, 0, sizeof(s));
    s.type = type;
    s.id = (char *)id;
    s.instance = (char *)inst;
    s.t = t;
    assert_true(sdc_sample_set_gauge(&s, ds1, v1));
    if (ds2)
        assert_true(sdc_sample_set_gauge(&s, ds2, v2));
    if (rrdw_write(w, &s, &err) != SDC_OK)
        fail_msg("rrdw_write: %s", err.msg);
}

static struct fetch_req req_of(enum sdc_archive type, const char *id,
                               const char *cf, time_t start, time_t end,
                               unsigned long res)
{
    struct fetch_req r = {.type = type,
                          .id = id,
                          .cf = cf,
                          .start = start,
                          .end = end,
                          .resolution = res};
    return r;
}

static void fetch_ok(const struct fetch_src *src, const struct fetch_req *r,
                     const char *ds, struct series *s)
{
    struct sdc_error err;
    if (fetch_series(src, r, ds, s, &err) != SDC_OK)
        fail_msg("fetch_series: %s", err.msg);
}

/* The value of @s at time @t (which must be one of its times). */
static double at(const struct series *s, time_t t)
{
    assert_true(t >= s->start);
    assert_int_equal((t - s->start) % s->step, 0);
    assert_true((size_t)((t - s->start) / s->step) < s->n);
    return s->v[(t - s->start) / s->step];
}

/* ---- 1. what was written reads back, as rrdtool fetch prints it ---------- */

static void test_roundtrip(void **state)
{
    struct fx *f = *state;
    time_t t0 = hour_aligned(2);
    struct rrdw *w = writer(f->dir, NULL);
    struct fetch_src src = {.data_dir = f->dir};
    struct fetch_req r;
    struct series s;
    char path[4096];
    char *out = NULL;

    for (int k = 0; k < 30; k++) {
        struct sdc_sample smp;
        struct sdc_error err;
        memset(&smp, 0, sizeof(smp));
        smp.type = SDC_AR_CLUSTER_CPU;
        smp.id = (char *)"prod-a";
        smp.t = t0 + k * STEP;
        sdc_sample_set_gauge(&smp, "used", k * 0.5);
        sdc_sample_set_gauge(&smp, "capacity", 96);
        sdc_sample_set_gauge(&smp, "vcpus", 200 + k);
        if (rrdw_write(w, &smp, &err) != SDC_OK)
            fail_msg("rrdw_write: %s", err.msg);
    }

    /* (t0 - STEP, t0 + 29 STEP]: the rows ending at t0 .. t0 + 29 STEP */
    r = req_of(SDC_AR_CLUSTER_CPU, "prod-a", "AVERAGE", t0 - STEP,
               t0 + 29 * STEP, STEP);
    fetch_ok(&src, &r, "used", &s);
    assert_int_equal(s.step, STEP);
    assert_int_equal(s.start, t0);
    assert_int_equal(s.n, 30); /* no row past the end asked for */
    assert_string_equal(s.name, "used");
    assert_string_equal(s.unit, "CPUs");
    for (int k = 0; k < 30; k++) {
        assert_int_equal(series_time(&s, (size_t)k), t0 + k * STEP);
        assert_true(s.v[k] == k * 0.5);
    }

    /* the same rows as the rrdtool CLI */
    assert_true(rrdw_path(w, SDC_AR_CLUSTER_CPU, "prod-a", NULL, path,
                          sizeof(path)) > 0);
    assert_int_equal(tu_runf(&out,
                             "rrdtool fetch '%s' AVERAGE -r %d -s %lld "
                             "-e %lld",
                             path, STEP, (long long)(t0 - STEP),
                             (long long)(t0 + 29 * STEP)),
                     0);
    {
        size_t rows = 0;
        char *save = NULL;
        for (char *line = strtok_r(out, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
            char *end;
            long long t = strtoll(line, &end, 10);
            double v;
            if (end == line || *end != ':')
                continue;
            v = strtod(end + 1, &end); /* "used" is the first column */
            if (t > (long long)(t0 + 29 * STEP)) {
                assert_true(isnan(v)); /* librrd's extra row, trimmed */
                continue;
            }
            assert_true(at(&s, (time_t)t) == v);
            rows++;
        }
        assert_int_equal(rows, s.n);
    }
    free(out);
    series_free(&s);
    assert_null(s.v);
    assert_int_equal(s.n, 0);
    series_free(&s); /* twice is fine */
    series_free(NULL);

    /* an unaligned range: the rows that overlap it */
    r = req_of(SDC_AR_CLUSTER_CPU, "prod-a", "AVERAGE", t0 + 10, t0 + 130,
               STEP);
    fetch_ok(&src, &r, "vcpus", &s);
    assert_int_equal(s.start, t0 + STEP);
    assert_int_equal(s.n, 3); /* (t0, t0+60], (.., t0+120], (.., t0+180] */
    assert_true(s.v[0] == 201 && s.v[2] == 203);
    assert_string_equal(s.unit, "vCPUs");
    series_free(&s);

    /* "/data/" is "/data" */
    {
        char slash[4200];
        struct fetch_src s2;
        snprintf(slash, sizeof(slash), "%s//", f->dir);
        s2.data_dir = slash;
        s2.rrdcached = "";
        r = req_of(SDC_AR_CLUSTER_CPU, "prod-a", "AVERAGE", t0, t0 + 60, 0);
        fetch_ok(&s2, &r, "capacity", &s);
        assert_true(s.n >= 1 && s.v[0] == 96);
        series_free(&s);
    }
    rrdw_free(w);
}

/* ---- 2. every data source at once --------------------------------------- */

static void test_all(void **state)
{
    struct fx *f = *state;
    time_t t0 = hour_aligned(1);
    struct rrdw *w = writer(f->dir, NULL);
    struct fetch_src src = {.data_dir = f->dir};
    struct fetch_req r;
    struct series_set set;
    struct sdc_error err;
    const struct series *used;
    const struct series *cap;

    for (int k = 0; k < 10; k++)
        put(w, SDC_AR_CLUSTER_CPU, "prod-b", NULL, t0 + k * STEP, "used",
            40 + k, "capacity", 128);
    rrdw_free(w);

    r = req_of(SDC_AR_CLUSTER_CPU, "prod-b", "AVERAGE", t0 - STEP,
               t0 + 9 * STEP, STEP);
    if (fetch_all(&src, &r, &set, &err) != SDC_OK)
        fail_msg("fetch_all: %s", err.msg);
    assert_int_equal(set.n, 3);
    assert_string_equal(set.s[0].name, "used");
    assert_string_equal(set.s[1].name, "capacity");
    assert_string_equal(set.s[2].name, "vcpus");
    used = series_set_find(&set, "used");
    cap = series_set_find(&set, "capacity");
    assert_non_null(used);
    assert_non_null(cap);
    assert_null(series_set_find(&set, "nope"));
    assert_null(series_set_find(NULL, "used"));
    for (size_t i = 0; i < set.n; i++) {
        assert_int_equal(set.s[i].n, 10);
        assert_int_equal(set.s[i].start, t0);
        assert_int_equal(set.s[i].step, STEP);
    }
    for (int k = 0; k < 10; k++) {
        assert_true(used->v[k] == 40 + k);
        assert_true(cap->v[k] == 128);
        assert_true(isnan(set.s[2].v[k])); /* vcpus never written */
    }
    series_set_free(&set);
    assert_null(set.s);
    series_set_free(&set);
    series_set_free(NULL);
}

/* ---- 3. a gap reads as NaN, never zero ---------------------------------- */

static void test_gap(void **state)
{
    struct fx *f = *state;
    time_t t0 = hour_aligned(1);
    struct rrdw *w = writer(f->dir, NULL);
    struct fetch_src src = {.data_dir = f->dir};
    struct fetch_req r;
    struct series s;

    for (int k = 0; k < 14; k++)
        if (k < 5 || k > 8)
            put(w, SDC_AR_VM_DISK, "3f2a", "vda", t0 + k * STEP, "capacity",
                1e9, NULL, 0);
    rrdw_free(w);
    r = req_of(SDC_AR_VM_DISK, "3f2a", "AVERAGE", t0 - STEP, t0 + 13 * STEP,
               STEP);
    r.instance = "vda";
    fetch_ok(&src, &r, "capacity", &s);
    assert_int_equal(s.n, 14);
    assert_true(at(&s, t0 + 4 * STEP) == 1e9);
    for (int k = 5; k <= 9; k++) /* the update at 9 spans more than the
                                  * heartbeat: (4, 9] is unknown */
        assert_true(isnan(at(&s, t0 + k * STEP)));
    assert_true(at(&s, t0 + 10 * STEP) == 1e9);
    /* the data source the writer never filled is all NaN */
    series_free(&s);
    fetch_ok(&src, &r, "rd_bytes", &s);
    for (size_t i = 0; i < s.n; i++)
        assert_true(isnan(s.v[i]));
    series_free(&s);
}

/* ---- 4. consolidations: MAX keeps the peak the AVERAGE smooths ----------- */

static void test_max_hourly(void **state)
{
    struct fx *f = *state;
    time_t th = hour_aligned(4);
    struct rrdw *w = writer(f->dir, NULL);
    struct fetch_src src = {.data_dir = f->dir};
    struct fetch_req r;
    struct series avg;
    struct series max;

    for (int k = 1; k <= 180; k++)
        put(w, SDC_AR_SNMP_CPU, "sw1", NULL, th + k * STEP, "load",
            k == 75 ? 90 : 10, NULL, 0);
    rrdw_free(w);

    r = req_of(SDC_AR_SNMP_CPU, "sw1", "MAX", th, th + 3 * 3600, 3600);
    fetch_ok(&src, &r, "load", &max);
    r.cf = "AVERAGE";
    fetch_ok(&src, &r, "load", &avg);
    assert_int_equal(max.step, 3600);
    assert_int_equal(avg.step, 3600);
    assert_int_equal(max.n, 3);
    assert_int_equal(max.start, th + 3600);
    assert_true(at(&max, th + 3600) == 10);
    assert_true(at(&max, th + 7200) == 90);
    assert_true(fabs(at(&avg, th + 7200) - (59 * 10 + 90) / 60.0) < 1e-9);
    assert_true(at(&avg, th + 3 * 3600) == 10);
    series_free(&max);
    series_free(&avg);

    /* the finest resolution when none is asked for */
    r = req_of(SDC_AR_SNMP_CPU, "sw1", "AVERAGE", th, th + 3 * 3600, 0);
    fetch_ok(&src, &r, "load", &avg);
    assert_int_equal(avg.step, STEP);
    assert_int_equal(avg.n, 180);
    assert_true(at(&avg, th + 75 * STEP) == 90);
    series_free(&avg);
}

/* ---- 5. errors and hostile names ----------------------------------------- */

static void test_errors(void **state)
{
    struct fx *f = *state;
    time_t t0 = hour_aligned(1);
    struct rrdw *w = writer(f->dir, NULL);
    struct fetch_src src = {.data_dir = f->dir};
    struct fetch_req r =
        req_of(SDC_AR_HV_MEM, "hv01", "AVERAGE", t0 - 600, t0 + 600, STEP);
    struct series s;
    struct series_set set;
    struct sdc_error err;
    char path[4096];

    put(w, SDC_AR_HV_MEM, "hv01", NULL, t0, "total", 1, NULL, 0);
    put(w, SDC_AR_HV_MEM, "hv01", NULL, t0 + STEP, "total", 2, NULL, 0);

    /* an archive that does not exist */
    r.id = "hv02";
    memset(&s, 0x55, sizeof(s));
    assert_int_equal(fetch_series(&src, &r, "total", &s, &err), SDC_ERR_IO);
    assert_non_null(strstr(err.msg, "rrd/hv/hv02/mem.rrd: no such archive"));
    assert_null(s.v); /* zeroed on error */
    assert_int_equal(s.n, 0);
    assert_int_equal(fetch_all(&src, &r, &set, &err), SDC_ERR_IO);
    assert_null(set.s);

    /* names never leave the data directory */
    r.id = "../../etc";
    assert_int_equal(fetch_series(&src, &r, "total", &s, &err), SDC_ERR_IO);
    assert_non_null(strstr(err.msg, "/rrd/hv/_.._.._etc/mem.rrd"));
    r.id = "/etc/passwd\n";
    assert_int_equal(fetch_series(&src, &r, "total", &s, &err), SDC_ERR_IO);
    assert_non_null(strstr(err.msg, "/rrd/hv/_etc_passwd_/mem.rrd"));
    r.id = "hv01";

    /* a data source the archive does not have */
    assert_int_equal(fetch_series(&src, &r, "used", &s, &err), SDC_ERR_INVALID);
    assert_non_null(strstr(err.msg, "no data source 'used'"));
    assert_int_equal(fetch_series(&src, &r, "", &s, &err), SDC_ERR_INVALID);
    assert_int_equal(fetch_series(&src, &r, NULL, &s, &err), SDC_ERR_INVALID);

    /* bad requests */
    r.cf = "MEDIAN";
    assert_int_equal(fetch_series(&src, &r, "total", &s, &err),
                     SDC_ERR_INVALID);
    r.cf = NULL;
    assert_int_equal(fetch_series(&src, &r, "total", &s, &err),
                     SDC_ERR_INVALID);
    r.cf = "AVERAGE";
    r.end = r.start;
    assert_int_equal(fetch_series(&src, &r, "total", &s, &err),
                     SDC_ERR_INVALID);
    assert_non_null(strstr(err.msg, "bad time range"));
    r.end = t0 + 600;
    r.type = SDC_AR_VM_NET; /* per-instance, no instance */
    assert_int_equal(fetch_series(&src, &r, "rx_bytes", &s, &err),
                     SDC_ERR_INVALID);
    r.type = (enum sdc_archive)99;
    assert_int_equal(fetch_series(&src, &r, "total", &s, &err),
                     SDC_ERR_INVALID);
    r.type = SDC_AR_HV_MEM;
    assert_int_equal(fetch_series(NULL, &r, "total", &s, &err),
                     SDC_ERR_INVALID);
    assert_int_equal(fetch_series(&src, NULL, "total", &s, &err),
                     SDC_ERR_INVALID);
    assert_int_equal(fetch_series(&src, &r, "total", NULL, &err),
                     SDC_ERR_INVALID);
    {
        struct fetch_src none = {.data_dir = ""};
        assert_int_equal(fetch_series(&none, &r, "total", &s, &err),
                         SDC_ERR_INVALID);
    }

    /* a directory, and a file that is not an RRD, where an archive should be */
    snprintf(path, sizeof(path), "%s/rrd/hv/dir/mem.rrd", f->dir);
    assert_int_equal(tu_runf(NULL, "mkdir -p '%s'", path), 0);
    r.id = "dir";
    assert_int_equal(fetch_series(&src, &r, "total", &s, &err), SDC_ERR_IO);
    assert_non_null(strstr(err.msg, "not a regular file"));
    snprintf(path, sizeof(path), "%s/rrd/hv/junk", f->dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/rrd/hv/junk/mem.rrd", f->dir);
    assert_true(tu_write_file(path, "not an rrd file\n", 0644));
    r.id = "junk";
    assert_int_equal(fetch_series(&src, &r, "total", &s, &err), SDC_ERR_RRD);
    assert_non_null(strstr(err.msg, "cannot fetch"));

    /* still fine afterwards (librrd's per-thread error was cleared) */
    r.id = "hv01";
    fetch_ok(&src, &r, "total", &s);
    assert_true(at(&s, t0 + STEP) == 2);
    series_free(&s);
    rrdw_free(w);
}

/* ---- 6. threads -----------------------------------------------------------
 */

struct job {
    const struct fetch_src *src;
    time_t t0;
    int id;
    int bad;
};

static void *fetch_many(void *arg)
{
    struct job *j = arg;
    char id[16];
    snprintf(id, sizeof(id), "c%d", j->id % 4);
    for (int i = 0; i < 40; i++) {
        struct fetch_req r = req_of(SDC_AR_CLUSTER_CPU, id, "AVERAGE",
                                    j->t0 - STEP, j->t0 + 19 * STEP, STEP);
        struct series_set set;
        struct sdc_error err;
        if (fetch_all(j->src, &r, &set, &err) != SDC_OK) {
            j->bad++;
            continue;
        }
        for (int k = 0; k < 20; k++)
            if (set.n != 3 || set.s[0].n != 20 ||
                set.s[0].v[k] != (j->id % 4) * 100 + k)
                j->bad++;
        series_set_free(&set);
        /* and a failing fetch in between: errors stay per thread */
        r.id = "missing";
        if (fetch_all(j->src, &r, &set, &err) != SDC_ERR_IO)
            j->bad++;
    }
    return NULL;
}

static void run_threads(const struct fetch_src *src, time_t t0)
{
    pthread_t th[8];
    struct job jobs[8];
    for (int i = 0; i < 8; i++) {
        jobs[i] = (struct job){src, t0, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, fetch_many, &jobs[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].bad, 0);
    }
}

static void write_clusters(struct rrdw *w, time_t t0)
{
    for (int c = 0; c < 4; c++) {
        char id[16];
        snprintf(id, sizeof(id), "c%d", c);
        for (int k = 0; k < 20; k++)
            put(w, SDC_AR_CLUSTER_CPU, id, NULL, t0 + k * STEP, "used",
                c * 100 + k, NULL, 0);
    }
}

static void test_threads(void **state)
{
    struct fx *f = *state;
    time_t t0 = hour_aligned(1);
    struct rrdw *w = writer(f->dir, NULL);
    struct fetch_src src = {.data_dir = f->dir};
    write_clusters(w, t0);
    rrdw_free(w);
    run_threads(&src, t0);
}

/* ---- 7. rrdcached: flush before fetch ------------------------------------ */

static void test_rrdcached(void **state)
{
    struct fx *f = *state;
    char sock[4096], pidf[4096], logf[4096], addr[4200], tcp[64];
    time_t t0 = hour_aligned(1);
    int port = tu_free_port();
    struct rrdw *w;
    struct series s;
    struct sdc_error err;
    struct fetch_req r = req_of(SDC_AR_HV_MEM, "hv01", "AVERAGE", t0 - STEP,
                                t0 + 4 * STEP, STEP);
    pid_t pid;

    if (!tu_which("rrdcached")) {
        print_message("rrdcached is not installed: skipping\n");
        skip();
    }
    assert_true(port > 0);
    snprintf(sock, sizeof(sock), "%s/rrdcached.sock", f->dir);
    snprintf(pidf, sizeof(pidf), "%s/rrdcached.pid", f->dir);
    snprintf(logf, sizeof(logf), "%s/rrdcached.log", f->dir);
    snprintf(addr, sizeof(addr), "unix:%s", sock);
    snprintf(tcp, sizeof(tcp), "127.0.0.1:%d", port);
    {
        /* -w 3600: nothing reaches the files until flushed */
        char *argv[] = {(char *)"rrdcached",
                        (char *)"-g",
                        (char *)"-l",
                        addr,
                        (char *)"-l",
                        tcp,
                        (char *)"-p",
                        pidf,
                        (char *)"-b",
                        f->dir,
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

    /* the socket file appears at bind(), a moment before listen() */
    w = NULL;
    for (int i = 0; i < 100 && !w; i++) {
        if (rrdw_open(f->dir, STEP, &small_ret, addr, &w, &err) != SDC_OK)
            usleep(50 * 1000);
    }
    if (!w) {
        tu_stop(pid, 2000);
        fail_msg("rrdcached does not answer: %s", err.msg);
    }
    for (int k = 0; k < 5; k++)
        put(w, SDC_AR_HV_MEM, "hv01", NULL, t0 + k * STEP, "total", 1000 + k,
            NULL, 0);
    for (int k = 0; k < 5; k++)
        put(w, SDC_AR_HV_MEM, "hv02", NULL, t0 + k * STEP, "total", 2000 + k,
            NULL, 0);
    write_clusters(w, t0);

    /* read directly, the file does not have the values yet */
    {
        struct fetch_src direct = {.data_dir = f->dir};
        fetch_ok(&direct, &r, "total", &s);
        for (size_t i = 0; i < s.n; i++)
            assert_true(isnan(s.v[i]));
        series_free(&s);
    }
    /* through the daemon (UNIX socket: absolute paths), they are */
    {
        struct fetch_src cached = {.data_dir = f->dir, .rrdcached = addr};
        fetch_ok(&cached, &r, "total", &s);
        assert_int_equal(s.n, 5);
        for (int k = 0; k < 5; k++)
            assert_true(at(&s, t0 + k * STEP) == 1000 + k);
        series_free(&s);
        /* threads through the daemon, alongside the writer's connection */
        run_threads(&cached, t0);
    }
    /* over TCP the daemon gets paths relative to its base directory */
    {
        struct fetch_src cached = {.data_dir = f->dir, .rrdcached = tcp};
        r.id = "hv02";
        fetch_ok(&cached, &r, "total", &s);
        assert_int_equal(s.n, 5);
        assert_true(at(&s, t0 + 4 * STEP) == 2004);
        series_free(&s);
        r.id = "hv01";
    }
    rrdw_free(w);

    /* the daemon gone: a clear error, and no SIGPIPE for the program */
    assert_int_equal(tu_stop(pid, 5000), 0);
    {
        struct fetch_src cached = {.data_dir = f->dir, .rrdcached = addr};
        assert_int_equal(fetch_series(&cached, &r, "total", &s, &err),
                         SDC_ERR_RRD);
        assert_non_null(strstr(err.msg, "rrdcached"));
        assert_null(s.v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_hourly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rrdcached, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
