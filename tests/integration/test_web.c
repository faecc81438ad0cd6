/*
 * test_web.c - the web view of a real sdcmond (libvirt's test driver,
 * tests/fixtures/hv-a.xml and hv-b.xml) on a free loopback port, read with
 * real clients: curl for every route (status, Content-Type, headers),
 * jansson for the JSON compared with what rrdtool fetch and sqlite3 read,
 * promtool for /metrics, hostile URLs and query values, the fixture's VM
 * named "..\evil <script>alert(1)<\script> é" on every page, a headless
 * Chromium for the overview and a VM page (no console or CSP errors, a
 * screenshot under the build directory), and a second sdcmond with TLS
 * (a self-signed certificate made here with openssl) and basic auth.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <crypt.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"
#include "testutil.h"

#define FIX SDC_SOURCE_DIR "/tests/fixtures"
#define AGENT SDC_SOURCE_DIR "/tests/integration/snmp-agent"
#define EVIL_UUID "7f3c1a2e-0004-4a00-8000-00000000a004"
#define WEB01_UUID "7f3c1a2e-0001-4a00-8000-00000000a001"

struct web_fx {
    char *dir;
    char *snmpdir; /* snmpd of tests/integration/snmp-agent */
    int port;
    pid_t pid;
    char base[64];
};

static struct web_fx fx;

/* An HTTP exchange done with curl. */
struct http {
    int status;
    char ctype[128];
    char *body;
    char *headers;
};

static void http_free(struct http *h)
{
    free(h->body);
    free(h->headers);
    memset(h, 0, sizeof(*h));
}

/* curl @extra @url; body and headers kept. */
static int http_do(struct http *h, const char *extra, const char *url)
{
    char *out = NULL, bodyf[512], hdrf[512];
    int rc;
    memset(h, 0, sizeof(*h));
    snprintf(bodyf, sizeof(bodyf), "%s/body.tmp", fx.dir);
    snprintf(hdrf, sizeof(hdrf), "%s/headers.tmp", fx.dir);
    unlink(bodyf);
    unlink(hdrf);
    rc = tu_runf(&out,
                 "curl -s --max-time 20 --path-as-is %s -D '%s' -o '%s' -w "
                 "'%%{http_code} %%{content_type}' '%s'",
                 extra ? extra : "", hdrf, bodyf, url);
    if (out && sscanf(out, "%d %127[^\n]", &h->status, h->ctype) < 1)
        h->status = -1;
    free(out);
    h->body = tu_read_file(bodyf);
    h->headers = tu_read_file(hdrf);
    if (!h->body)
        h->body = strdup("");
    if (!h->headers)
        h->headers = strdup("");
    return rc;
}

static int get(struct http *h, const char *path)
{
    char url[8192];
    snprintf(url, sizeof(url), "%s%s", fx.base, path);
    return http_do(h, NULL, url);
}

static json_t *get_json(const char *path)
{
    struct http h;
    json_error_t je;
    json_t *j;
    get(&h, path);
    if (h.status != 200)
        fail_msg("%s: status %d: %s", path, h.status, h.body);
    assert_string_equal(h.ctype, "application/json");
    j = json_loads(h.body, 0, &je);
    if (!j)
        fail_msg("%s: not JSON (%s): %.200s", path, je.text, h.body);
    http_free(&h);
    return j;
}

static json_t *find_by(json_t *arr, const char *key, const char *val)
{
    size_t i;
    json_t *it;
    json_array_foreach(arr, i, it)
    {
        const char *s = json_string_value(json_object_get(it, key));
        if (s && strcmp(s, val) == 0)
            return it;
    }
    return NULL;
}

static double jnum(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_number(v))
        fail_msg("'%s' is not a number", k);
    return json_number_value(v);
}

/* Local midnight on the first of this month. */
static time_t month_start(time_t now)
{
    struct tm tm;
    localtime_r(&now, &tm);
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    return mktime(&tm);
}

/*
 * History for this month of cluster c1's memory, every 5 minutes until 10
 * minutes ago: 70% of the rows at half the capacity, 30% at 0.9 of it, so
 * the month's 95th percentile is 0.9 whichever rows the live cycles add.
 */
static bool import_history(const char *conf)
{
    time_t now = time(NULL), t0 = month_start(now);
    char *csv = it_path(fx.dir, "history.csv"), *out = NULL;
    FILE *f = fopen(csv, "w");
    const double cap = 103079215104.0;
    bool ok;
    if (!f)
        return false;
    fputs("time,archive,ds,value\n", f);
    t0 = (t0 / 300 + 1) * 300;
    for (time_t t = t0; t < now - 600; t += 300) {
        double used = ((t / 300) % 10) < 7 ? cap * 0.5 : cap * 0.9;
        fprintf(f, "%lld,cluster/c1/mem,capacity,%.0f\n", (long long)t, cap);
        fprintf(f, "%lld,cluster/c1/mem,used,%.0f\n", (long long)t, used);
    }
    fclose(f);
    ok = tu_runf(&out, "'%s/sdcmon-import' -q -c '%s' '%s'", SDC_BINARY_DIR,
                 conf, csv) == 0;
    if (!ok)
        fprintf(stderr, "sdcmon-import: %s\n", out);
    free(out);
    free(csv);
    return ok;
}

static int group_setup(void **state)
{
    char body[2048], *conf, log[512];
    (void)state;
    char *out = NULL;
    int snmp_port;
    fx.dir = tu_tmpdir("web");
    fx.port = tu_free_port();
    snprintf(fx.base, sizeof(fx.base), "http://127.0.0.1:%d", fx.port);
    /* a real snmpd on loopback: the SNMP pages and API */
    fx.snmpdir = it_path(fx.dir, "snmpd");
    if (tu_runf(&out, "mkdir -p '%s' && '%s' start '%s'", fx.snmpdir, AGENT,
                fx.snmpdir) != 0) {
        fprintf(stderr, "snmp-agent: %s\n", out);
        free(out);
        return -1;
    }
    snmp_port = atoi(out);
    free(out);
    snprintf(body, sizeof(body),
             "step = 2;\n"
             "hypervisors = (\n"
             " { name = \"hv-a\"; uri = \"test://" FIX "/hv-a.xml\"; "
             "cluster = \"c1\"; },\n"
             " { name = \"hv-b\"; uri = \"test://" FIX "/hv-b.xml\"; "
             "cluster = \"c1\"; }\n"
             ");\n"
             "snmp = ( { name = \"sw<1>\"; address = \"udp:127.0.0.1:%d\"; "
             "version = \"2c\"; community = \"public\"; role = \"host\"; "
             "uplinks = [ \"lo\" ]; } );\n"
             "web = { listen = \"127.0.0.1:%d\"; };\n",
             snmp_port, fx.port);
    conf = it_write_config(fx.dir, body);
    if (!import_history(conf))
        return -1;
    snprintf(log, sizeof(log), "%s/sdcmond.log", fx.dir);
    {
        char *argv[] = {(char *)tu_sdcmond(), "-c", conf, "--foreground", NULL};
        fx.pid = tu_spawn(argv, log);
    }
    free(conf);
    if (fx.pid <= 0)
        return -1;
    /* three cycles: rates need two, and the third is a steady one */
    if (!it_wait_log(fx.dir, "hypervisors answered", 3, 30000)) {
        char *l = it_read_log(fx.dir);
        fprintf(stderr, "sdcmond log:\n%s\n", l ? l : "(none)");
        free(l);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (fx.pid > 0)
        assert_int_equal(tu_stop(fx.pid, 10000), 0);
    tu_runf(NULL, "'%s' stop '%s'", AGENT, fx.snmpdir);
    free(fx.snmpdir);
    tu_drop_tmpdir(fx.dir);
    return 0;
}

/* ---- every route: status, Content-Type, security headers ---- */

static void test_routes(void **state)
{
    static const struct {
        const char *path;
        int status;
        const char *ctype;
    } routes[] = {
        {"/", 200, "text/html; charset=utf-8"},
        {"/style.css", 200, "text/css; charset=utf-8"},
        {"/hv/hv-a", 200, "text/html; charset=utf-8"},
        {"/vm/" WEB01_UUID, 200, "text/html; charset=utf-8"},
        {"/pool/nfs.10.1.0.5.exports.vms", 200, "text/html; charset=utf-8"},
        /* by host and name: a local pool, and a shared one from each host */
        {"/pool/hv-a/default", 200, "text/html; charset=utf-8"},
        {"/pool/hv-a/san1-vms", 200, "text/html; charset=utf-8"},
        {"/pool/hv-b/san1-vms", 200, "text/html; charset=utf-8"},
        {"/reports/", 200, "text/html; charset=utf-8"},
        {"/graph/cluster/c1/cpu.svg?ds=used,capacity&range=1d", 200,
         "image/svg+xml"},
        {"/graph/vm/" WEB01_UUID "/cpu.svg?ds=time&range=7d", 200,
         "image/svg+xml"},
        {"/graph/pool/nfs.10.1.0.5.exports.vms/usage.svg?range=30d", 200,
         "image/svg+xml"},
        {"/graph/vm/" WEB01_UUID "/disk-vda.svg?range=1y", 200,
         "image/svg+xml"},
        {"/metrics", 200, "text/plain; version=0.0.4; charset=utf-8"},
        {"/api/v1/summary", 200, "application/json"},
        {"/api/v1/clusters", 200, "application/json"},
        {"/api/v1/hypervisors", 200, "application/json"},
        {"/api/v1/vms", 200, "application/json"},
        {"/api/v1/vms/" WEB01_UUID, 200, "application/json"},
        {"/api/v1/pools", 200, "application/json"},
        {"/api/v1/devices", 200, "application/json"},
        {"/api/v1/interfaces", 200, "application/json"},
        {"/api/v1/reports", 200, "application/json"},
        {"/api/v1/inventory", 200, "application/json"},
        /* unknown routes and entities */
        {"/nope", 404, "text/html; charset=utf-8"},
        {"/hv/no-such-host", 404, "text/html; charset=utf-8"},
        {"/vm/00000000-0000-0000-0000-000000000000", 404,
         "text/html; charset=utf-8"},
        {"/pool/nope", 404, "text/html; charset=utf-8"},
        {"/pool/hv-a/nope", 404, "text/html; charset=utf-8"},
        {"/pool/no-such-host/default", 404, "text/html; charset=utf-8"},
        {"/pool/hv-a/default/x", 404, "text/html; charset=utf-8"},
        {"/snmp/nope", 404, "text/html; charset=utf-8"},
        {"/api/v1/vms/nope", 404, "application/json"},
        {"/api/v1/nope", 404, "text/html; charset=utf-8"},
        {"/graph/vm/nope/cpu.svg", 404, "text/plain; charset=utf-8"},
        {"/graph/etc/passwd/cpu.svg", 404, "text/plain; charset=utf-8"},
        {"/reports/monthly/1999-01/", 404, "text/html; charset=utf-8"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        struct http h;
        get(&h, routes[i].path);
        if (h.status != routes[i].status)
            fail_msg("%s: status %d, want %d", routes[i].path, h.status,
                     routes[i].status);
        if (strcmp(h.ctype, routes[i].ctype) != 0)
            fail_msg("%s: Content-Type '%s', want '%s'", routes[i].path,
                     h.ctype, routes[i].ctype);
        /* security headers on every response */
        assert_non_null(strstr(h.headers, "Content-Security-Policy: "
                                          "default-src 'none'"));
        assert_non_null(strstr(h.headers, "X-Content-Type-Options: nosniff"));
        assert_non_null(strstr(h.headers, "X-Frame-Options: DENY"));
        assert_non_null(strstr(h.headers, "Referrer-Policy: no-referrer"));
        assert_non_null(strstr(h.headers, "Cache-Control: no-store"));
        if (strcmp(routes[i].ctype, "image/svg+xml") == 0) {
            assert_true(strncmp(h.body, "<svg", 4) == 0);
            assert_non_null(strstr(h.body, "</svg>"));
        }
        http_free(&h);
    }
    /* /pool/<host>/<pool> is the page of the pool that host reports: the
     * shared one under its source's key from either host, the local one
     * under <host>.<pool> */
    {
        static const char *const same[][2] = {
            {"/pool/hv-a/san1-vms", "Pool nfs.10.1.0.5.exports.vms"},
            {"/pool/hv-b/san1-vms", "Pool nfs.10.1.0.5.exports.vms"},
            {"/pool/hv-a/default", "Pool hv-a.default"},
        };
        for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
            struct http h;
            get(&h, same[i][0]);
            if (!strstr(h.body, same[i][1]))
                fail_msg("%s does not show '%s'", same[i][0], same[i][1]);
            http_free(&h);
        }
    }
}

static void test_methods(void **state)
{
    static const char *const methods[] = {"POST", "PUT", "DELETE", "PATCH",
                                          "OPTIONS"};
    struct http h;
    char url[128];
    (void)state;
    snprintf(url, sizeof(url), "%s/api/v1/summary", fx.base);
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        char extra[64];
        snprintf(extra, sizeof(extra), "-X %s --data x", methods[i]);
        http_do(&h, extra, url);
        if (h.status != 405)
            fail_msg("%s: status %d, want 405", methods[i], h.status);
        assert_non_null(strstr(h.headers, "Allow: GET, HEAD"));
        http_free(&h);
    }
    /* HEAD: the headers of GET, no body (curl -I writes the headers
     * where the body would go) */
    http_do(&h, "-I", url);
    assert_int_equal(h.status, 200);
    assert_null(strchr(h.body, '{'));
    assert_non_null(strstr(h.headers, "application/json"));
    http_free(&h);
}

/* ---- serving: kept-alive connections, cached summary, threads ---- */

/* The MHD worker threads of sdcmond: their count, and how many run at
 * SCHED_IDLE (policy 5) or, where that is refused, nice 19. */
static void web_threads(int *n, int *lowered, int *main_policy)
{
    char path[128], *out = NULL;
    *n = *lowered = 0;
    *main_policy = -1;
    snprintf(path, sizeof(path), "/proc/%d/task", (int)fx.pid);
    assert_int_equal(tu_runf(&out, "cat %s/*/stat", path), 0);
    for (char *ln = out; ln && *ln;) {
        char *end = strchr(ln, '\n'), *rp, *sp = NULL;
        long tid = strtol(ln, NULL, 10), policy = -1, nice = 0;
        int field = 3;
        bool worker;
        if (end)
            *end = '\0';
        worker = strstr(ln, "(MHD-worker)") != NULL;
        rp = strrchr(ln, ')');
        /* after "pid (comm)": field 3 on; nice is 19, policy 41 */
        for (char *t = rp ? strtok_r(rp + 1, " ", &sp) : NULL; t;
             t = strtok_r(NULL, " ", &sp), field++) {
            if (field == 19)
                nice = strtol(t, NULL, 10);
            if (field == 41)
                policy = strtol(t, NULL, 10);
        }
        if (tid == (long)fx.pid)
            *main_policy = (int)policy;
        if (worker) {
            (*n)++;
            *lowered += policy == 5 || (policy == 0 && nice == 19);
        }
        ln = end ? end + 1 : NULL;
    }
    free(out);
}

static void test_serving(void **state)
{
    char *out = NULL, url[128], *cookie;
    struct http h;
    json_t *a, *b;
    time_t t0, t1;
    long long now_a, now_b, cyc_a, cyc_b, time_a, time_b;
    int n, lowered, main_policy;
    (void)state;
    snprintf(url, sizeof(url), "%s/api/v1/summary", fx.base);
    /* two GETs on one connection: the second reuses it */
    assert_int_equal(tu_runf(&out,
                             "curl -s -o /dev/null -o /dev/null -w "
                             "'%%{http_code} %%{num_connects},' '%s' '%s'",
                             url, url),
                     0);
    assert_string_equal(out, "200 1,200 0,");
    free(out);
    /* a request with a body is answered without reading it and its
     * connection closed: the next request connects again */
    assert_int_equal(tu_runf(&out,
                             "curl -s -o /dev/null -w "
                             "'%%{http_code} %%{num_connects},' --data x '%s' "
                             "--next -s -o /dev/null -w "
                             "'%%{http_code} %%{num_connects},' '%s'",
                             url, url),
                     0);
    assert_string_equal(out, "405 1,200 1,");
    free(out);

    /* the summary is cached per snapshot and second: "now" follows the
     * clock, the cycle follows the poller */
    t0 = time(NULL);
    a = get_json("/api/v1/summary");
    t1 = time(NULL);
    now_a = (long long)jnum(a, "now");
    assert_true(now_a >= (long long)t0 && now_a <= (long long)t1);
    cyc_a = (long long)jnum(json_object_get(a, "cycle"), "cycles");
    time_a = (long long)jnum(json_object_get(a, "cycle"), "time");
    b = NULL;
    for (int i = 0; i < 40; i++) { /* up to 10 s: the step is 2 s */
        usleep(250 * 1000);
        json_decref(b);
        t0 = time(NULL);
        b = get_json("/api/v1/summary");
        t1 = time(NULL);
        now_b = (long long)jnum(b, "now");
        assert_true(now_b >= (long long)t0 && now_b <= (long long)t1);
        cyc_b = (long long)jnum(json_object_get(b, "cycle"), "cycles");
        if (cyc_b > cyc_a && now_b > now_a)
            break;
    }
    assert_true(now_b > now_a);
    assert_true(cyc_b > cyc_a);
    time_b = (long long)jnum(json_object_get(b, "cycle"), "time");
    /* cycles start on the step's grid, later ones later */
    assert_true(time_b > time_a);
    assert_int_equal((time_b - time_a) % 2, 0);
    json_decref(a);
    json_decref(b);

    /* headers up to 14 kB fit the connection's memory; 40 kB get 431 and
     * the server goes on */
    cookie = malloc(40 * 1024);
    assert_non_null(cookie);
    memset(cookie, 'c', 40 * 1024 - 1);
    cookie[40 * 1024 - 1] = '\0';
    memcpy(cookie, "Cookie: a=", 10);
    cookie[8 * 1024] = '\0';
    {
        char *extra = NULL;
        assert_true(asprintf(&extra, "-H '%s'", cookie) > 0);
        http_do(&h, extra, url);
        assert_int_equal(h.status, 200);
        http_free(&h);
        free(extra);
        cookie[8 * 1024] = 'c';
        assert_true(asprintf(&extra, "-H '%s'", cookie) > 0);
        http_do(&h, extra, url);
        assert_int_equal(h.status, 431);
        http_free(&h);
        free(extra);
    }
    free(cookie);
    get(&h, "/api/v1/summary");
    assert_int_equal(h.status, 200);
    http_free(&h);

    /* 32 connections at once (wrk): every worker thread takes some, and
     * each one that has runs below the poller's priority; the poller does
     * not */
    if (!tu_which("wrk")) {
        print_message("skipped: wrk is not installed\n");
        skip();
    }
    assert_int_equal(
        tu_runf(&out,
                "wrk -t2 -c32 -d1s '%s' | grep -c 'Non-2xx\\|Socket errors'",
                url),
        1); /* grep -c: 0 lines, exit 1 */
    assert_string_equal(out, "0\n");
    free(out);
    web_threads(&n, &lowered, &main_policy);
    print_message("%d web threads, %d lowered; main thread policy %d\n", n,
                  lowered, main_policy);
    assert_int_equal(n, 2); /* WEB_THREADS in agent/web.c */
    assert_int_equal(lowered, n);
    assert_int_equal(main_policy, 0);
}

/* ---- the JSON against the archives and the inventory ---- */

static void test_json_matches_archives(void **state)
{
    json_t *sum = get_json("/api/v1/summary");
    json_t *cl = get_json("/api/v1/clusters");
    json_t *pools = get_json("/api/v1/pools");
    json_t *vm = get_json("/api/v1/vms/" WEB01_UUID);
    json_t *hvs = get_json("/api/v1/hypervisors");
    json_t *c1, *p, *counts;
    char *path, *out = NULL;
    double rrd;
    (void)state;

    /* counts against the inventory */
    counts = json_object_get(sum, "counts");
    path = it_path(fx.dir, "data/inventory.db");
    assert_int_equal(tu_runf(&out,
                             "sqlite3 '%s' 'select count(*) from vms where "
                             "deleted_at is null'",
                             path),
                     0);
    assert_int_equal((long)jnum(counts, "vms"), strtol(out, NULL, 10));
    free(out);
    /* the inventory a peer pulls: every VM row the database holds */
    {
        json_t *inv = get_json("/api/v1/inventory");
        assert_int_equal(
            tu_runf(&out, "sqlite3 '%s' 'select count(*) from vms'", path), 0);
        assert_int_equal(jnum(inv, "format_version"), 1);
        assert_int_equal((long)json_array_size(json_object_get(inv, "vms")),
                         strtol(out, NULL, 10));
        assert_true(json_array_size(json_object_get(inv, "vms")) > 0);
        free(out);
        json_decref(inv);
    }
    free(path);
    assert_int_equal((long)jnum(counts, "hypervisors"), 2);
    assert_int_equal((long)jnum(counts, "hypervisors_answered"), 2);
    assert_true(jnum(json_object_get(sum, "cycle"), "cycles") >= 3);
    assert_int_equal(jnum(json_object_get(sum, "cycle"), "overruns"), 0);
    assert_true(jnum(json_object_get(sum, "cycle"), "archive_updates") > 0);

    /* the cluster's capacity and memory as rrdtool fetch reads them */
    c1 = find_by(cl, "name", "c1");
    assert_non_null(c1);
    path = it_path(fx.dir, "data/rrd/cluster/c1/cpu.rrd");
    rrd = tu_rrd_last(path, "capacity", 60);
    free(path);
    assert_false(isnan(rrd));
    assert_float_equal(jnum(json_object_get(c1, "cpu"), "capacity"), rrd, 1e-9);
    /* 32 + 16 CPUs of hv-a and hv-b */
    assert_float_equal(rrd, 48, 1e-9);
    path = it_path(fx.dir, "data/rrd/cluster/c1/mem.rrd");
    rrd = tu_rrd_last(path, "capacity", 60);
    assert_float_equal(jnum(json_object_get(c1, "memory"), "capacity"), rrd, 1);
    rrd = tu_rrd_last(path, "allocated", 60);
    assert_float_equal(jnum(json_object_get(c1, "memory"), "allocated"), rrd,
                       1);
    free(path);

    /* a shared pool: allocation and capacity */
    p = find_by(pools, "key", "nfs.10.1.0.5.exports.vms");
    assert_non_null(p);
    path = it_path(fx.dir, "data/rrd/pool/nfs.10.1.0.5.exports.vms/usage.rrd");
    assert_float_equal(jnum(p, "allocation"),
                       tu_rrd_last(path, "allocation", 60), 1);
    assert_float_equal(jnum(p, "capacity"), tu_rrd_last(path, "capacity", 60),
                       1);
    assert_float_equal(jnum(p, "ratio"),
                       tu_rrd_last(path, "allocation", 60) /
                           tu_rrd_last(path, "capacity", 60),
                       1e-9);
    assert_true(json_is_true(json_object_get(p, "shared")));
    free(path);

    /* a VM's CPU (ns/s in the archive, CPUs in the JSON) and memory */
    path = it_path(fx.dir, "data/rrd/vm/%s/cpu.rrd", WEB01_UUID);
    rrd = tu_rrd_last(path, "time", 60);
    free(path);
    assert_false(isnan(rrd));
    assert_float_equal(jnum(vm, "cpu_used"), rrd / 1e9, 0.02 * rrd / 1e9);
    assert_float_equal(jnum(vm, "cpu_ratio"),
                       jnum(vm, "cpu_used") / jnum(vm, "vcpus"), 1e-9);
    path = it_path(fx.dir, "data/rrd/vm/%s/mem.rrd", WEB01_UUID);
    assert_float_equal(
        jnum(vm, "memory_used"),
        tu_rrd_last(path, "current", 60) - tu_rrd_last(path, "usable", 60), 1);
    free(path);
    assert_string_equal(json_string_value(json_object_get(vm, "name")),
                        "web01");
    assert_string_equal(json_string_value(json_object_get(vm, "host")), "hv-a");
    assert_int_equal(json_array_size(json_object_get(vm, "disks")), 1);

    /* hypervisor memory as libvirt's nodeinfo gives it */
    {
        json_t *a = find_by(hvs, "name", "hv-a");
        char *kib = it_virsh_field("test://" FIX "/hv-a.xml", "nodeinfo",
                                   "Memory size");
        assert_non_null(a);
        assert_non_null(kib);
        assert_float_equal(jnum(a, "memory"), strtod(kib, NULL) * 1024, 0);
        free(kib);
    }
    json_decref(sum);
    json_decref(cl);
    json_decref(pools);
    json_decref(vm);
    json_decref(hvs);
}

static void test_vms_filters(void **state)
{
    json_t *all = get_json("/api/v1/vms?limit=1000");
    json_t *j;
    size_t total;
    (void)state;
    total = (size_t)jnum(all, "total");
    assert_int_equal(json_array_size(json_object_get(all, "items")), total);
    assert_true(total >= 7);

    j = get_json("/api/v1/vms?limit=2&offset=1");
    assert_int_equal((size_t)jnum(j, "total"), total);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 2);
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(j, "items"), 0), "uuid")),
        json_string_value(json_object_get(
            json_array_get(json_object_get(all, "items"), 1), "uuid")));
    json_decref(j);

    j = get_json("/api/v1/vms?host=hv-b");
    {
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(j, "items"), i, it)
            assert_string_equal(json_string_value(json_object_get(it, "host")),
                                "hv-b");
        assert_true(jnum(j, "total") >= 1 && jnum(j, "total") < total);
    }
    json_decref(j);
    j = get_json("/api/v1/vms?state=shutoff");
    assert_int_equal((long)jnum(j, "total"), 1);
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(j, "items"), 0), "name")),
        "old01");
    json_decref(j);
    j = get_json("/api/v1/vms?name=SCRIPT");
    assert_int_equal((long)jnum(j, "total"), 1);
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(j, "items"), 0), "uuid")),
        EVIL_UUID);
    json_decref(j);
    j = get_json("/api/v1/vms?cluster=c1&offset=1000");
    assert_int_equal((size_t)jnum(j, "total"), total);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 0);
    json_decref(j);
    json_decref(all);
}

/* The 95th percentile of @v (NaN skipped), interpolated at (n-1)*0.95. */
static double quantile95(double *v, size_t n)
{
    size_t k = 0;
    double pos;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i]))
            v[k++] = v[i];
    if (k == 0)
        return NAN;
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    pos = (double)(k - 1) * 0.95;
    return v[(size_t)pos] +
           (pos - floor(pos)) *
               (v[(size_t)pos + 1 < k ? (size_t)pos + 1 : k - 1] -
                v[(size_t)pos]);
}

/* p95 this month: the API against rrdtool fetch's 5-minute rows. */
static void test_p95_month(void **state)
{
    json_t *cl = get_json("/api/v1/clusters"), *mem;
    time_t now = time(NULL);
    char *path = it_path(fx.dir, "data/rrd/cluster/c1/mem.rrd"), *out = NULL;
    double *v = calloc(20000, sizeof(*v)), rrd, api;
    size_t n = 0;
    struct http h;
    (void)state;
    mem = json_object_get(find_by(cl, "name", "c1"), "memory");
    assert_int_equal(tu_runf(&out,
                             "rrdtool fetch '%s' AVERAGE -r 300 -s %lld -e "
                             "%lld",
                             path, (long long)month_start(now), (long long)now),
                     0);
    /* columns: used capacity allocated */
    for (char *line = strchr(out, '\n'); line && n < 20000;
         line = strchr(line + 1, '\n')) {
        double used, cap, alloc;
        if (sscanf(line + 1, "%*d: %lf %lf %lf", &used, &cap, &alloc) == 3)
            v[n++] = used / cap;
    }
    rrd = quantile95(v, n);
    if (now - month_start(now) < 3600) {
        /* the first hour of a month: too few rows to judge */
        free(out);
        free(path);
        free(v);
        json_decref(cl);
        return;
    }
    assert_true(json_is_number(json_object_get(mem, "p95_month")));
    api = jnum(mem, "p95_month");
    assert_float_equal(api, rrd, 1e-9);
    /* what was planted */
    assert_float_equal(api, 0.9, 1e-6);
    /* and the overview says so */
    get(&h, "/");
    assert_non_null(strstr(h.body, "<td>90%</td>"));
    http_free(&h);
    free(out);
    free(path);
    free(v);
    json_decref(cl);
}

/* ---- SNMP: a device named "sw<1>" (escaped), its uplink lo ---- */

static void test_snmp(void **state)
{
    json_t *devs = get_json("/api/v1/devices");
    json_t *ifs = get_json("/api/v1/interfaces");
    json_t *d, *lo = NULL;
    struct http h;
    size_t i;
    json_t *it;
    char *path;
    (void)state;
    d = find_by(devs, "name", "sw<1>");
    assert_non_null(d);
    assert_true(json_is_true(json_object_get(d, "ok")));
    assert_string_equal(json_string_value(json_object_get(d, "role")), "host");
    json_array_foreach(ifs, i, it)
    {
        if (strcmp(json_string_value(json_object_get(it, "device")), "sw<1>") ==
                0 &&
            strcmp(json_string_value(json_object_get(it, "name")), "lo") == 0)
            lo = it;
    }
    assert_non_null(lo);
    assert_true(json_is_true(json_object_get(lo, "uplink")));
    /* the link speed as the archive holds it (sanitised device name) */
    path = it_path(fx.dir, "data/rrd/snmp/sw_1_/if-lo.rrd");
    assert_float_equal(jnum(lo, "speed"), tu_rrd_last(path, "speed", 60), 0);
    free(path);
    /* its ratio: the busier direction in bits over the link speed */
    {
        json_t *in = json_object_get(lo, "in_bytes_per_second");
        json_t *out = json_object_get(lo, "out_bytes_per_second");
        double busier =
            fmax(json_is_number(in) ? json_number_value(in) : NAN,
                 json_is_number(out) ? json_number_value(out) : NAN);
        double speed = jnum(lo, "speed");
        if (isfinite(busier) && speed > 0)
            assert_float_equal(jnum(lo, "ratio"), 8 * busier / speed, 1e-12);
        else
            assert_true(json_is_null(json_object_get(lo, "ratio")));
    }

    get(&h, "/snmp/sw%3C1%3E");
    assert_int_equal(h.status, 200);
    assert_non_null(strstr(h.body, "<h1>SNMP device sw&lt;1&gt;</h1>"));
    assert_non_null(strstr(h.body, "/graph/snmp/sw_1_/if-lo.svg"));
    http_free(&h);
    /* the overview lists the uplink, linked to the device */
    get(&h, "/");
    assert_non_null(strstr(h.body, "href=\"/snmp/sw%3C1%3E\">sw&lt;1&gt; lo"));
    http_free(&h);
    get(&h, "/graph/snmp/sw_1_/if-lo.svg?ds=in_octets,out_octets");
    assert_int_equal(h.status, 200);
    http_free(&h);
    json_decref(devs);
    json_decref(ifs);
}

/* ---- /metrics ---- */

static void test_metrics(void **state)
{
    struct http h;
    char *file, *out = NULL, line[256];
    json_t *cl = get_json("/api/v1/clusters");
    double ratio;
    (void)state;
    get(&h, "/metrics");
    assert_int_equal(h.status, 200);
    file = it_path(fx.dir, "metrics.txt");
    assert_true(tu_write_file(file, h.body, 0644));
    if (tu_runf(&out, "promtool check metrics < '%s'", file) != 0)
        fail_msg("promtool check metrics: %s", out);
    free(out);
    free(file);
    assert_non_null(strstr(h.body, "# TYPE sdcmond_cycles_total counter"));
    assert_non_null(
        strstr(h.body, "# TYPE sdcmond_cycle_duration_seconds gauge"));
    assert_non_null(strstr(h.body, "sdcmond_cycle_overruns_total 0\n"));
    assert_non_null(strstr(h.body, "sdcmond_target_errors_total{target="
                                   "\"hv-a\",kind=\"libvirt\"} 0\n"));
    assert_non_null(strstr(h.body, "sdcmond_target_up{target=\"hv-b\","
                                   "kind=\"libvirt\"} 1\n"));
    /* the same figure as the API */
    ratio = jnum(json_object_get(find_by(cl, "name", "c1"), "memory"), "ratio");
    {
        const char *p =
            strstr(h.body, "sdcmon_cluster_memory_utilisation_ratio{cluster="
                           "\"c1\"} ");
        assert_non_null(p);
        assert_float_equal(strtod(strchr(p, '}') + 2, NULL), ratio, 1e-12);
    }
    /* the evil name: backslashes doubled, nothing else changed */
    snprintf(line, sizeof(line),
             "name=\"..\\\\evil <script>alert(1)"
             "<\\\\script> \xc3\xa9\"");
    assert_non_null(strstr(h.body, line));
    /* a newline in a name is \n, never a line break in the format */
    assert_non_null(strstr(h.body, "tab\there\\nnewline"));
    {
        long cycles = 0;
        const char *p = strstr(h.body, "\nsdcmond_cycles_total ");
        assert_non_null(p);
        cycles = strtol(p + 22, NULL, 10);
        assert_true(cycles >= 3);
    }
    http_free(&h);
    json_decref(cl);
}

/* ---- graphs cached per snapshot ---- */

/* The value of the unlabelled sample @name in a /metrics body. */
static double metric_of(const char *body, const char *name)
{
    size_t nl = strlen(name);
    for (const char *p = body; p && *p;
         p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, name, nl) == 0 && p[nl] == ' ')
            return strtod(p + nl + 1, NULL);
    fail_msg("/metrics has no sample %s", name);
    return NAN;
}

/* The graph cache's figures and the cycle of the snapshot served. */
struct gstat {
    double hits, misses, entries, bytes, cycles;
};

static struct gstat gstat_get(void)
{
    struct http h;
    struct gstat g;
    get(&h, "/metrics");
    assert_int_equal(h.status, 200);
    g.hits = metric_of(h.body, "sdcmond_web_graph_cache_hits_total");
    g.misses = metric_of(h.body, "sdcmond_web_graph_cache_misses_total");
    g.entries = metric_of(h.body, "sdcmond_web_graph_cache_entries");
    g.bytes = metric_of(h.body, "sdcmond_web_graph_cache_bytes");
    g.cycles = metric_of(h.body, "sdcmond_cycles_total");
    http_free(&h);
    return g;
}

/* Wait (up to 10 s, the step is 2 s) for a snapshot after @cycles. */
static struct gstat gstat_next_cycle(double cycles)
{
    struct gstat g = gstat_get();
    for (int i = 0; i < 100 && g.cycles <= cycles; i++) {
        usleep(100 * 1000);
        g = gstat_get();
    }
    assert_true(g.cycles > cycles);
    return g;
}

static void get_graph(struct http *h, const char *path, int want)
{
    get(h, path);
    if (h->status != want)
        fail_msg("%s: status %d, want %d: %.200s", path, h->status, want,
                 h->body);
    if (want == 200) {
        assert_string_equal(h->ctype, "image/svg+xml");
        assert_non_null(strstr(h->body, "<svg"));
    }
}

static void test_graph_cache(void **state)
{
    /* one archive no other test draws; each try its own data sources, so
     * a try never finds the previous one's graphs */
    static const char *const ds[] = {"used", "capacity", "allocated",
                                     "used,allocated", "capacity,allocated"};
    struct http h;
    char a[256], a_same[256], b[256], *a_body = NULL;
    struct gstat g0 = {0}, g1 = {0}, g2 = {0};
    size_t a_len = 0, b_len = 0;
    bool done = false;
    (void)state;

    /* the family names and types, beside the page-cached ones */
    get(&h, "/metrics");
    assert_non_null(
        strstr(h.body, "# TYPE sdcmond_web_graph_cache_hits_total counter\n"));
    assert_non_null(strstr(
        h.body, "# TYPE sdcmond_web_graph_cache_misses_total counter\n"));
    assert_non_null(
        strstr(h.body, "# HELP sdcmond_web_graph_cache_hits_total "));
    http_free(&h);

    for (size_t t = 0; t < sizeof(ds) / sizeof(ds[0]) && !done; t++) {
        struct http h1, h2, h3, hb, hn;
        /* start just after a cycle: 2 s until the next */
        g0 = gstat_next_cycle(gstat_get().cycles);
        snprintf(a, sizeof(a), "/graph/cluster/c1/mem.svg?ds=%s", ds[t]);
        /* the same request spelled otherwise: range=1d is the default */
        snprintf(a_same, sizeof(a_same),
                 "/graph/cluster/c1/mem.svg?range=1d&ds=%s", ds[t]);
        snprintf(b, sizeof(b), "/graph/cluster/c1/mem.svg?ds=%s&range=7d",
                 ds[t]);
        get_graph(&h1, a, 200);
        get_graph(&h2, a, 200);
        get_graph(&h3, a_same, 200);
        get_graph(&hb, b, 200);
        /* neither an unknown archive (404, a miss each time) nor bad
         * query values (400, before the cache) are kept */
        for (int i = 0; i < 2; i++) {
            get_graph(&hn, "/graph/vm/nope/cpu.svg", 404);
            http_free(&hn);
            get_graph(&hn, "/graph/cluster/c1/mem.svg?ds=used,bogus", 400);
            http_free(&hn);
            get_graph(&hn, "/graph/cluster/c1/mem.svg?range=2d", 400);
            http_free(&hn);
        }
        g1 = gstat_get();
        if (g1.cycles != g0.cycles) {
            /* a cycle came between: the figures are not one snapshot's */
            print_message("graph cache: cycle %.0f -> %.0f during try %zu, "
                          "again\n",
                          g0.cycles, g1.cycles, t);
            http_free(&h1);
            http_free(&h2);
            http_free(&h3);
            http_free(&hb);
            continue;
        }
        done = true;
        /* a, b and the 404 twice were misses; a again and a_same hits */
        assert_float_equal(g1.misses - g0.misses, 4, 0);
        assert_float_equal(g1.hits - g0.hits, 2, 0);
        /* the first graph request of the snapshot dropped the last one's:
         * a and b are held, nothing else */
        assert_float_equal(g1.entries, 2, 0);
        assert_float_equal(g1.bytes,
                           (double)(strlen(h1.body) + strlen(hb.body)), 0);
        /* byte-identical copies */
        assert_string_equal(h1.body, h2.body);
        assert_string_equal(h1.body, h3.body);
        /* the week is another chart */
        assert_string_not_equal(h1.body, hb.body);
        a_body = strdup(h1.body);
        a_len = strlen(h1.body);
        b_len = strlen(hb.body);
        http_free(&h1);
        http_free(&h2);
        http_free(&h3);
        http_free(&hb);
    }
    assert_true(done);
    assert_true(a_len > 0 && b_len > 0);

    /* the next snapshot: the same graph is drawn again from the archive,
     * and the cache holds only it */
    g2 = gstat_next_cycle(g1.cycles);
    get_graph(&h, a, 200);
    {
        struct gstat g3 = gstat_get();
        if (g3.cycles == g2.cycles) {
            assert_float_equal(g3.misses - g2.misses, 1, 0);
            assert_float_equal(g3.hits - g2.hits, 0, 0);
            assert_float_equal(g3.entries, 1, 0);
            assert_float_equal(g3.bytes, (double)strlen(h.body), 0);
        } else {
            /* yet another cycle: still a miss, never a hit */
            assert_true(g3.misses - g2.misses >= 1);
            assert_float_equal(g3.hits - g2.hits, 0, 0);
        }
    }
    print_message("graph cache: %zu-byte graph, %s after the next cycle\n",
                  a_len,
                  strcmp(a_body, h.body) == 0 ? "same bytes" : "redrawn");
    http_free(&h);
    free(a_body);
}

/* ---- hostile input ---- */

static void test_hostile(void **state)
{
    static const char *const escapes[] = {
        "/reports/..%2f..%2fetc%2fpasswd",
        "/reports/../../etc/passwd",
        "/reports/%2e%2e/%2e%2e/etc/passwd",
        "/reports/monthly/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/graph/vm/..%2f..%2f..%2fetc/passwd.svg",
        "/graph/vm/../../../../etc/passwd.svg",
        "/vm/..%2f..%2fetc%2fpasswd",
        "/hv/%00",
        "/api/v1/vms/..%2f..",
    };
    static const char *const bad_queries[] = {
        "/graph/cluster/c1/cpu.svg?range=2d",
        "/graph/cluster/c1/cpu.svg?range=",
        "/graph/cluster/c1/cpu.svg?ds=used,bogus",
        "/graph/cluster/c1/cpu.svg?ds=%3Cscript%3E",
        "/graph/cluster/c1/cpu.svg?ds=used,used",
        "/api/v1/vms?limit=-1",
        "/api/v1/vms?limit=abc",
        "/api/v1/vms?limit=99999999999999999999999",
        "/api/v1/vms?offset=1e3",
        "/api/v1/vms?state=bogus",
        "/vm/" WEB01_UUID "?range=forever",
    };
    struct http h;
    char *longurl;
    (void)state;
    for (size_t i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++) {
        get(&h, escapes[i]);
        if (h.status != 404 && h.status != 400)
            fail_msg("%s: status %d", escapes[i], h.status);
        assert_null(strstr(h.body, "root:"));
        http_free(&h);
    }
    for (size_t i = 0; i < sizeof(bad_queries) / sizeof(bad_queries[0]); i++) {
        get(&h, bad_queries[i]);
        if (h.status != 400)
            fail_msg("%s: status %d, want 400", bad_queries[i], h.status);
        assert_null(strstr(h.body, "<script>"));
        http_free(&h);
    }
    /* long URLs: 414 from us, or MHD's own refusal past its buffer */
    longurl = malloc(200001);
    memset(longurl, 'a', 200000);
    longurl[0] = '/';
    longurl[5000] = '\0';
    get(&h, longurl);
    assert_int_equal(h.status, 414);
    http_free(&h);
    longurl[5000] = 'a';
    longurl[200000] = '\0';
    get(&h, longurl);
    if (h.status != 414 && h.status != 431 && h.status != 413)
        fail_msg("200 kB URL: status %d", h.status);
    http_free(&h);
    free(longurl);
    /* and the server still answers */
    get(&h, "/api/v1/summary");
    assert_int_equal(h.status, 200);
    http_free(&h);
}

/* The evil VM's name is escaped on every page it is shown on. */
static void test_escaping(void **state)
{
    static const char *const pages[] = {"/", "/hv/hv-a", "/vm/" EVIL_UUID};
    struct http h;
    json_t *j;
    (void)state;
    for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        get(&h, pages[i]);
        assert_int_equal(h.status, 200);
        if (!strstr(h.body, "..\\evil &lt;script&gt;alert(1)&lt;\\script&gt;"))
            fail_msg("%s: the escaped name is missing", pages[i]);
        assert_null(strstr(h.body, "<script"));
        /* the owner and title of the fixture hold markup too */
        if (i == 2) {
            assert_non_null(strstr(h.body, "&lt;i&gt;Finance&lt;/i&gt;"));
            assert_null(strstr(h.body, "<i>Finance"));
            assert_null(strstr(h.body, "<b>bold"));
        }
        http_free(&h);
    }
    /* JSON carries it verbatim, as a JSON string */
    j = get_json("/api/v1/vms/" EVIL_UUID);
    assert_string_equal(json_string_value(json_object_get(j, "name")),
                        "..\\evil <script>alert(1)<\\script> \xc3\xa9");
    json_decref(j);
    /* the graph's title is escaped inside the SVG */
    get(&h, "/graph/vm/" EVIL_UUID "/cpu.svg");
    assert_int_equal(h.status, 200);
    assert_null(strstr(h.body, "<script"));
    http_free(&h);
}

/* ---- /reports/ ---- */

static void test_reports(void **state)
{
    char *d = it_path(fx.dir, "data/reports/monthly/2026-03");
    char *f, *secret;
    struct http h;
    json_t *j;
    (void)state;
    assert_int_equal(tu_runf(NULL, "mkdir -p '%s'", d), 0);
    f = it_path(fx.dir, "data/reports/monthly/2026-03/report.html");
    assert_true(tu_write_file(f,
                              "<!DOCTYPE html><title>March</title>"
                              "<style>p{}</style><p>report</p>",
                              0644));
    free(f);
    f = it_path(fx.dir, "data/reports/monthly/2026-03/report.json");
    assert_true(tu_write_file(f, "{\"month\":\"2026-03\"}", 0644));
    free(f);
    secret = it_path(fx.dir, "secret.txt");
    assert_true(tu_write_file(secret, "root:x:0:0", 0644));
    f = it_path(fx.dir, "data/reports/monthly/2026-03/leak.html");
    assert_int_equal(tu_runf(NULL, "ln -s '%s' '%s'", secret, f), 0);
    free(f);

    get(&h, "/reports/");
    assert_int_equal(h.status, 200);
    assert_non_null(
        strstr(h.body, "href=\"/reports/monthly/2026-03/report.html\""));
    assert_null(strstr(h.body, "leak.html")); /* symlinks are not listed */
    http_free(&h);
    get(&h, "/reports/monthly/2026-03/report.html");
    assert_int_equal(h.status, 200);
    assert_string_equal(h.ctype, "text/html; charset=utf-8");
    assert_non_null(strstr(h.body, "<p>report</p>"));
    /* a report's own CSP: inline styles, sandboxed */
    assert_non_null(strstr(h.headers, "style-src 'unsafe-inline'"));
    assert_non_null(strstr(h.headers, "sandbox"));
    http_free(&h);
    get(&h, "/reports/monthly/2026-03/report.json");
    assert_int_equal(h.status, 200);
    assert_string_equal(h.ctype, "application/json");
    http_free(&h);
    get(&h, "/reports/monthly/2026-03/leak.html");
    assert_int_equal(h.status, 404);
    assert_null(strstr(h.body, "root:"));
    http_free(&h);
    get(&h, "/reports/monthly/2026-03/missing.html");
    assert_int_equal(h.status, 404);
    http_free(&h);

    j = get_json("/api/v1/reports");
    assert_int_equal(json_array_size(j), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(j, 0), "period")),
        "2026-03");
    assert_int_equal(
        json_array_size(json_object_get(json_array_get(j, 0), "files")), 2);
    json_decref(j);
    free(d);
    free(secret);
}

/* SIGHUP: the web view is restarted with the reloaded configuration. */
static void test_reload(void **state)
{
    struct http h;
    json_t *j;
    (void)state;
    assert_int_equal(kill(fx.pid, SIGHUP), 0);
    assert_true(it_wait_log(fx.dir, "web: serving", 2, 20000));
    assert_true(it_wait_log(fx.dir, "after reload", 1, 1000));
    get(&h, "/");
    assert_int_equal(h.status, 200);
    http_free(&h);
    /* the snapshots survive the new agent: still 2 hypervisors */
    j = get_json("/api/v1/summary");
    assert_int_equal((long)jnum(json_object_get(j, "counts"), "hypervisors"),
                     2);
    json_decref(j);
}

/* ---- a real browser ---- */

static void chromium_check(const char *path, const char *shot, const char *want)
{
    char *out = NULL;
    int rc;
    rc = tu_runf(&out,
                 "cd '%s' && timeout 90 chromium --headless --no-sandbox "
                 "--disable-gpu --user-data-dir='%s/chromium' "
                 "--enable-logging=stderr --v=0 --window-size=1280,1400 "
                 "--dump-dom '%s%s' 2>&1",
                 fx.dir, fx.dir, fx.base, path);
    if (rc != 0)
        fail_msg("chromium --dump-dom %s: exit %d: %.2000s", path, rc, out);
    if (strstr(out, "Uncaught") || strstr(out, "Refused to") ||
        strstr(out, "Content Security Policy"))
        fail_msg("%s: browser console errors:\n%.4000s", path, out);
    assert_non_null(strstr(out, want));
    free(out);
    rc = tu_runf(&out,
                 "cd '%s' && timeout 90 chromium --headless --no-sandbox "
                 "--disable-gpu --user-data-dir='%s/chromium' "
                 "--enable-logging=stderr --v=0 --window-size=1280,1400 "
                 "--screenshot='%s' '%s%s' 2>&1",
                 fx.dir, fx.dir, shot, fx.base, path);
    if (rc != 0)
        fail_msg("chromium --screenshot %s: exit %d: %.2000s", path, rc, out);
    if (strstr(out, "Uncaught") || strstr(out, "Refused to"))
        fail_msg("%s: browser console errors:\n%.4000s", path, out);
    free(out);
    {
        struct stat st;
        assert_int_equal(stat(shot, &st), 0);
        assert_true(st.st_size > 10000);
    }
    printf("screenshot: %s\n", shot);
}

static void test_chromium(void **state)
{
    (void)state;
    if (!tu_which("chromium"))
        fail_msg("chromium is not installed (scripts/deps --test)");
    chromium_check("/", SDC_BINARY_DIR "/web-overview.png",
                   "Utilisation, worst first");
    chromium_check("/vm/" EVIL_UUID, SDC_BINARY_DIR "/web-vm.png",
                   "evil &lt;script&gt;alert(1)");
}

/* ---- TLS and basic auth, on a second sdcmond ---- */

static void test_tls_auth(void **state)
{
    char *dir = tu_tmpdir("webtls");
    char body[4096], log[512], users[512], cert[512], key[512], url[128];
    char extra[1024], *conf, *out = NULL;
    struct crypt_data cd;
    struct http h;
    int port = tu_free_port();
    pid_t pid;
    (void)state;

    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    if (tu_runf(&out,
                "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "
                "/CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout "
                "'%s' -out '%s' 2>&1",
                key, cert) != 0)
        fail_msg("openssl req: %s", out);
    free(out);
    memset(&cd, 0, sizeof(cd));
    snprintf(users, sizeof(users), "%s/users", dir);
    snprintf(body, sizeof(body), "# web users\nalice:%s\n",
             crypt_r("correct horse", "$6$webtestsalt0001$", &cd));
    assert_true(tu_write_file(users, body, 0600));
    /* bob's line from sdcmon-passwd (password on stdin) */
    assert_int_equal(tu_runf(NULL,
                             "printf 'battery staple\\n' | '%s/sdcmon-passwd' "
                             "bob >> '%s'",
                             SDC_BINARY_DIR, users),
                     0);
    assert_int_equal(
        tu_runf(NULL, "'%s/sdcmon-passwd' 'a:b' < /dev/null", SDC_BINARY_DIR),
        2);

    snprintf(body, sizeof(body),
             "step = 2;\n"
             "hypervisors = ( { name = \"hv-b\"; uri = \"test://" FIX
             "/hv-b.xml\"; } );\n"
             "web = { listen = \"127.0.0.1:%d\"; tls_cert = \"%s\"; "
             "tls_key = \"%s\"; users_file = \"%s\"; };\n",
             port, cert, key, users);
    conf = it_write_config(dir, body);
    snprintf(log, sizeof(log), "%s/sdcmond.log", dir);
    {
        char *argv[] = {(char *)tu_sdcmond(), "-c", conf, "--foreground", NULL};
        pid = tu_spawn(argv, log);
    }
    assert_true(pid > 0);
    assert_true(it_wait_log(dir, "hypervisors answered", 1, 30000));
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/api/v1/summary", port);

    /* no credentials: 401 with a challenge */
    snprintf(extra, sizeof(extra), "--cacert '%s'", cert);
    http_do(&h, extra, url);
    assert_int_equal(h.status, 401);
    assert_non_null(strstr(h.headers, "WWW-Authenticate: Basic realm="));
    assert_non_null(strstr(h.headers, "Strict-Transport-Security"));
    http_free(&h);
    /* wrong password, unknown user */
    snprintf(extra, sizeof(extra), "--cacert '%s' -u alice:wrong", cert);
    http_do(&h, extra, url);
    assert_int_equal(h.status, 401);
    http_free(&h);
    snprintf(extra, sizeof(extra), "--cacert '%s' -u mallory:correct%%20horse",
             cert);
    http_do(&h, extra, url);
    assert_int_equal(h.status, 401);
    http_free(&h);
    /* right ones: 200, JSON */
    snprintf(extra, sizeof(extra), "--cacert '%s' -u 'alice:correct horse'",
             cert);
    http_do(&h, extra, url);
    assert_int_equal(h.status, 200);
    assert_string_equal(h.ctype, "application/json");
    assert_non_null(strstr(h.body, "\"hypervisors\":1"));
    http_free(&h);
    snprintf(extra, sizeof(extra), "--cacert '%s' -u 'bob:battery staple'",
             cert);
    http_do(&h, extra, url);
    assert_int_equal(h.status, 200);
    http_free(&h);
    /* also the pages and metrics need it */
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/metrics", port);
    snprintf(extra, sizeof(extra), "--cacert '%s'", cert);
    http_do(&h, extra, url);
    assert_int_equal(h.status, 401);
    http_free(&h);
    /* the certificate is checked: without the CA curl refuses (60) */
    assert_int_equal(tu_runf(NULL, "curl -s -o /dev/null '%s'", url), 60);
    /* and plain HTTP gets no page */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
    http_do(&h, NULL, url);
    assert_true(h.status != 200);
    http_free(&h);
    assert_int_equal(tu_stop(pid, 10000), 0);

    /* a bad users file is a configuration error with file:line */
    assert_true(tu_write_file(users, "alice:$6$x\nbob\n", 0600));
    assert_int_equal(
        tu_runf(&out, "'%s' -c '%s' --check-config", tu_sdcmond(), conf), 2);
    assert_non_null(strstr(out, "users:1: user 'alice': not a SHA-512"));
    free(out);
    free(conf);
    /* beyond loopback without TLS and users: refused, file:line */
    conf = it_write_config(dir, "step = 60;\n"
                                "web = { listen = \"0.0.0.0:8080\"; };\n");
    assert_int_equal(
        tu_runf(&out, "'%s' -c '%s' --check-config", tu_sdcmond(), conf), 2);
    assert_non_null(strstr(out, "sdcmon.conf:3: web.listen '0.0.0.0:8080' "
                                "is not a loopback address"));
    free(out);
    free(conf);
    tu_drop_tmpdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_serving),
        cmocka_unit_test(test_json_matches_archives),
        cmocka_unit_test(test_vms_filters),
        cmocka_unit_test(test_p95_month),
        cmocka_unit_test(test_snmp),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_graph_cache),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_reports),
        cmocka_unit_test(test_reload),
        cmocka_unit_test(test_chromium),
        cmocka_unit_test(test_tls_auth),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
