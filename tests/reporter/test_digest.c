/*
 * test_digest.c - the daily digest (sdcmon-report digest) end to end.
 *
 * Two days of 5-minute history (three days ago, "D", and the day before,
 * "Y") are generated here and loaded with sdcmon-import, with an inventory
 * CSV whose VMs are created and deleted on D; state changes to shutoff are
 * the rows the poller writes into the inventory's events table (added with
 * sqlite3, as test_monthly adds interfaces).  Planted: the cluster's CPU
 * goes over its target on D (under on Y), the pool goes back under its
 * target on D (over on Y), the uplink is over on both days.  The digest's
 * peaks must equal what `rrdtool fetch FILE MAX -r 3600` gives (hosts:
 * AVERAGE); the VMs created, deleted and shut off, the crossings and the
 * over-target list must be exactly the planted ones, whether yesterday is
 * read from its report.json or computed.
 *
 * Then the real sdcmond polls libvirt's test driver (one host that
 * answers, one that does not) for a few cycles and today's digest must
 * show the first up and the second down since the first cycle, with the
 * cycles counted, and the test driver's VM created today.
 *
 * Bad input: a date that does not exist, a day not begun, --format csv, a
 * day without data: clear messages and exit codes.  A hostile VM name comes
 * out escaped in the HTML.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <jansson.h>

#include "testutil.h"

#define STEP 300
#define DAY 86400
#define TIB 1099511627776.0

struct fx {
    char *dir;
    char conf[512];  /* import (step 300) */
    char conf2[512]; /* the live sdcmond (step 1) */
    char data[512];
    time_t d_start; /* local (UTC) midnight of D */
    char d[16], y[16], today[16];
    json_t *doc; /* D's digest */
};

static struct fx fx;

static const char *bin(const char *prog)
{
    static char p[2][600];
    static int i;
    i ^= 1;
    snprintf(p[i], sizeof(p[i]), "%s/%s", SDC_BINARY_DIR, prog);
    return p[i];
}

static double u01(uint64_t seed, uint64_t k)
{
    uint64_t z = seed * 0x9E3779B97F4A7C15ULL + k + 1;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

static void day_name(time_t t, char *buf, size_t len)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%d", &tm);
}

/* ------------------------------------------------------------ history */

/*
 * Rows from Y 00:00 - 1 h to D 24:00, every 5 minutes.  Row k of day 0 (Y)
 * or 1 (D).  The planted peaks sit at a fixed row of each day.
 */
static void write_history(FILE *f)
{
    time_t t0 = fx.d_start - DAY - 3600;
    unsigned long long user = 0, sys = 0;
    fputs("time,archive,ds,value\n", f);
    for (time_t t = t0; t <= fx.d_start + DAY; t += STEP) {
        int on_d = t > fx.d_start;
        uint64_t k = (uint64_t)(t - t0) / STEP;
        double cpu = 20 + 30 * u01(1, k); /* CPUs of 100 */
        double mem = 0.3 + 0.3 * u01(2, k);
        double pool = on_d ? 0.55 + 0.05 * u01(3, k) : 0.70 + 0.05 * u01(3, k);
        double in = 0.3e9 / 8 * (1 + u01(4, k));
        double host = 0.2 + 0.5 * u01(5, k);
        double used = 0.5 + 0.2 * u01(6, k);
        long long tt = (long long)t;
        /* planted peaks: CPU 55 on Y at 10:00, 83 on D at 14:05; pool 85%
         * on Y at 03:00; uplink 90% on Y, 95% on D */
        if (t == fx.d_start - DAY + 10 * 3600)
            cpu = 55;
        if (t == fx.d_start + 14 * 3600 + 300)
            cpu = 83;
        if (t == fx.d_start - DAY + 3 * 3600)
            pool = 0.85;
        if (t == fx.d_start - DAY + 6 * 3600)
            in = 0.90e9 / 8;
        if (t == fx.d_start + 20 * 3600)
            in = 0.95e9 / 8;
        fprintf(f, "%lld,cluster/prod-a/cpu,used,%.17g\n", tt, cpu);
        fprintf(f, "%lld,cluster/prod-a/cpu,capacity,100\n", tt);
        fprintf(f, "%lld,cluster/prod-a/cpu,vcpus,200\n", tt);
        fprintf(f, "%lld,cluster/prod-a/mem,used,%.17g\n", tt, mem * 1e12);
        fprintf(f, "%lld,cluster/prod-a/mem,capacity,1e12\n", tt);
        fprintf(f, "%lld,cluster/prod-a/mem,allocated,8e11\n", tt);
        fprintf(f, "%lld,pool/nfs.vms/usage,capacity,%.17g\n", tt, 10 * TIB);
        fprintf(f, "%lld,pool/nfs.vms/usage,allocation,%.17g\n", tt,
                pool * 10 * TIB);
        fprintf(f, "%lld,pool/nfs.vms/usage,available,%.17g\n", tt,
                (1 - pool) * 10 * TIB);
        fprintf(f, "%lld,snmp/core-sw1/if-Ethernet1_49,in_octets,%.17g\n", tt,
                in);
        fprintf(f, "%lld,snmp/core-sw1/if-Ethernet1_49,out_octets,1e6\n", tt);
        fprintf(f, "%lld,snmp/core-sw1/if-Ethernet1_49,speed,1e9\n", tt);
        fprintf(f, "%lld,snmp/core-sw1/if-Ethernet1_1,in_octets,1.2e8\n", tt);
        fprintf(f, "%lld,snmp/core-sw1/if-Ethernet1_1,out_octets,1e6\n", tt);
        fprintf(f, "%lld,snmp/core-sw1/if-Ethernet1_1,speed,1e9\n", tt);
        fprintf(f, "%lld,snmp/san1/storage-data,size,1e12\n", tt);
        fprintf(f, "%lld,snmp/san1/storage-data,used,%.17g\n", tt, used * 1e12);
        user += (unsigned long long)llround(host * 0.8 * 32e9 * STEP);
        sys += (unsigned long long)llround(host * 0.2 * 32e9 * STEP);
        fprintf(f, "%lld,hv/hv-a1/cpu,user,%llu\n", tt, user);
        fprintf(f, "%lld,hv/hv-a1/cpu,system,%llu\n", tt, sys);
        fprintf(f, "%lld,hv/hv-a1/cpu,cpus,32\n", tt);
    }
}

static void write_inventory(const char *path)
{
    FILE *f = fopen(path, "w");
    long long d = (long long)fx.d_start, old = d - 30 * DAY;
    assert_non_null(f);
    fputs("kind,id,name,host,cluster,state,vcpus,memory_bytes,cpus,"
          "first_seen,last_seen,deleted_at\n",
          f);
    fprintf(f, "hypervisor,hv-a1,,,prod-a,,,100000000000,32,%lld,%lld,\n", old,
            d + DAY);
    /* created on D (one with a hostile name), created on Y, deleted on D,
     * one that lives on */
    fprintf(f,
            "vm,00000000-0000-4000-8000-000000000001,web-new,hv-a1,,running,"
            "2,4000000000,,%lld,%lld,\n",
            d + 5 * 3600, d + DAY);
    fprintf(f,
            "vm,00000000-0000-4000-8000-000000000002,\"<b>x</b> & co\","
            "hv-a1,,running,2,4000000000,,%lld,%lld,\n",
            d + 6 * 3600, d + DAY);
    fprintf(f,
            "vm,00000000-0000-4000-8000-000000000003,made-yesterday,hv-a1,,"
            "running,2,4000000000,,%lld,%lld,\n",
            d - 5 * 3600, d + DAY);
    fprintf(f,
            "vm,00000000-0000-4000-8000-000000000004,gone,hv-a1,,running,2,"
            "4000000000,,%lld,%lld,%lld\n",
            old, d + 7 * 3600, d + 7 * 3600);
    fprintf(f,
            "vm,00000000-0000-4000-8000-000000000005,stopped,hv-a1,,shutoff,"
            "2,4000000000,,%lld,%lld,\n",
            old, d + DAY);
    assert_int_equal(fclose(f), 0);
}

/* ------------------------------------------------------------ helpers */

static int digest(char **out, const char *conf, const char *extra)
{
    return tu_runf(out, "%s digest -c %s %s 2>&1", bin("sdcmon-report"), conf,
                   extra ? extra : "");
}

static json_t *load_json(const char *date)
{
    char p[700];
    json_error_t je;
    json_t *doc;
    snprintf(p, sizeof(p), "%s/reports/digest/%s/report.json", fx.data, date);
    doc = json_load_file(p, 0, &je);
    if (!doc)
        fail_msg("%s: %s (line %d)", p, je.text, je.line);
    return doc;
}

/* The target @name of @kind in @list. */
static const json_t *by_name_kind(const json_t *list, const char *name,
                                  const char *kind)
{
    size_t i;
    const json_t *e;
    json_array_foreach(list, i, e)
    {
        const char *n = json_string_value(json_object_get(e, "name"));
        const char *k = json_string_value(json_object_get(e, "kind"));
        if (n && k && strcmp(n, name) == 0 && strcmp(k, kind) == 0)
            return e;
    }
    return NULL;
}

static const json_t *by_key(const json_t *list, const char *field,
                            const char *value)
{
    size_t i;
    const json_t *e;
    json_array_foreach(list, i, e)
    {
        const char *v = json_string_value(json_object_get(e, field));
        if (v && strcmp(v, value) == 0)
            return e;
    }
    return NULL;
}

static double fig(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(json_object_get(o, key), "value");
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/*
 * The largest @num / @den over the rows of `rrdtool fetch FILE CF -r RES`
 * whose interval lies within [@a, @b] (a row at t covers (t - res, t]);
 * @num may be "a+b" (a sum of two data sources) and @scale divides it.
 */
static double fetch_peak(const char *rel, const char *cf, int res, time_t a,
                         time_t b, const char *num, const char *den,
                         double scale)
{
    char *out = NULL, *line, *save = NULL;
    char n1[32] = "", n2[32] = "";
    int i1 = -1, i2 = -1, id = -1, st;
    double best = NAN;
    const char *plus = strchr(num, '+');
    if (plus) {
        snprintf(n1, sizeof(n1), "%.*s", (int)(plus - num), num);
        snprintf(n2, sizeof(n2), "%s", plus + 1);
    } else {
        snprintf(n1, sizeof(n1), "%s", num);
    }
    st = tu_runf(&out, "rrdtool fetch %s/rrd/%s.rrd %s -r %d -s %lld -e %lld",
                 fx.data, rel, cf, res, (long long)a, (long long)b);
    if (st != 0)
        fail_msg("rrdtool fetch %s: %s", rel, out);
    for (line = strtok_r(out, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *colon = strchr(line, ':');
        if (!colon) { /* the header: data source names */
            char *tok, *s2 = NULL;
            int k = 0;
            for (tok = strtok_r(line, " ", &s2); tok;
                 tok = strtok_r(NULL, " ", &s2), k++) {
                if (strcmp(tok, n1) == 0)
                    i1 = k;
                if (*n2 && strcmp(tok, n2) == 0)
                    i2 = k;
                if (strcmp(tok, den) == 0)
                    id = k;
            }
            continue;
        }
        {
            long long t = strtoll(line, NULL, 10);
            double v[16];
            int k = 0;
            char *p = colon + 1, *end;
            if (t - res < (long long)a || t > (long long)b)
                continue;
            while (k < 16) {
                v[k] = strtod(p, &end);
                if (end == p)
                    break;
                p = end;
                k++;
            }
            if (i1 < 0 || id < 0 || i1 >= k || id >= k)
                continue;
            {
                double x = (v[i1] + (i2 >= 0 ? v[i2] : 0)) / scale / v[id];
                if (isfinite(x) && !(x <= best))
                    best = x;
            }
        }
    }
    free(out);
    return best;
}

static void check_peak(const json_t *doc, const char *key, double want,
                       int line)
{
    const json_t *p = by_key(json_object_get(doc, "peaks"), "key", key);
    double got;
    if (!p)
        fail_msg("line %d: no peak for %s", line, key);
    got = json_number_value(json_object_get(p, "share"));
    /* rrdtool fetch prints 11 significant digits */
    if (!isfinite(want) || fabs(got - want) > 1e-9 * fmax(1, fabs(want)) ||
        fabs(fig(p, "peak") - want * 100) > 0.01)
        fail_msg("line %d: %s peak %.12g, rrdtool fetch gives %.12g", line, key,
                 got, want);
}

/* ------------------------------------------------------------ fixture */

static int group_setup(void **state)
{
    char body[2048], inv[600], cmd[2048], *out = NULL;
    time_t now;
    FILE *p;
    int st;
    (void)state;

    setenv("TZ", "UTC", 1);
    tzset();
    setenv("SDCMON_TEMPLATES", SDC_SOURCE_DIR "/templates", 1);
    now = time(NULL);
    fx.d_start = (now / DAY - 3) * DAY;
    day_name(fx.d_start, fx.d, sizeof(fx.d));
    day_name(fx.d_start - DAY, fx.y, sizeof(fx.y));
    day_name(now, fx.today, sizeof(fx.today));
    fx.dir = tu_tmpdir("digest");
    assert_non_null(fx.dir);
    snprintf(fx.data, sizeof(fx.data), "%s/data", fx.dir);
    snprintf(fx.conf, sizeof(fx.conf), "%s/import.conf", fx.dir);
    snprintf(fx.conf2, sizeof(fx.conf2), "%s/sdcmon.conf", fx.dir);
    snprintf(body, sizeof(body),
             "data_dir = \"%s\";\nstep = 300;\nweb = { listen = \"\"; };\n"
             "hypervisors = ( { name = \"hv-a1\"; uri = \"test:///default\";"
             " cluster = \"prod-a\"; } );\n"
             "snmp = ( { name = \"core-sw1\"; address = \"udp:127.0.0.1:9\";"
             " version = \"2c\"; role = \"switch\";"
             " uplinks = [ \"Ethernet1/49\" ]; } );\n",
             fx.data);
    assert_true(tu_write_file(fx.conf, body, 0600));
    snprintf(body, sizeof(body),
             "data_dir = \"%s\";\nstep = 1;\nweb = { listen = \"\"; };\n"
             "hypervisors = (\n"
             " { name = \"hv-live\"; uri = \"test:///default\";"
             " cluster = \"lab\"; },\n"
             " { name = \"hv-dead\"; uri = \"test:///no/such/file.xml\";"
             " cluster = \"lab2\"; timeout = 2; } );\n"
             /* the live host also polled through SNMP, which does not
              * answer: a target of its own under the same name */
             "snmp = ( { name = \"hv-live\"; address = \"udp:127.0.0.1:9\";"
             " version = \"2c\"; role = \"host\"; timeout = 1;"
             " retries = 0; } );\n",
             fx.data);
    assert_true(tu_write_file(fx.conf2, body, 0600));

    snprintf(inv, sizeof(inv), "%s/inventory.csv", fx.dir);
    write_inventory(inv);
    st = tu_runf(&out, "%s -c %s --inventory %s 2>&1", bin("sdcmon-import"),
                 fx.conf, inv);
    if (st != 0)
        fail_msg("inventory import failed (%d): %s", st, out);
    free(out);
    out = NULL;
    /* state changes as the poller records them (inv_record_batches): one
     * VM shut off on D, one started on D (not a shut-off) */
    st = tu_runf(&out,
                 "sqlite3 %s/inventory.db \"INSERT INTO events(t, kind,"
                 " entity, detail, name, host, prev_value, new_value) VALUES"
                 " (%lld, 'state', '00000000-0000-4000-8000-000000000005',"
                 " 'running -> shutoff', 'stopped', 'hv-a1', 'running',"
                 " 'shutoff'),"
                 " (%lld, 'state', '00000000-0000-4000-8000-000000000001',"
                 " 'paused -> running', 'web-new', 'hv-a1', 'paused',"
                 " 'running')\" 2>&1",
                 fx.data, (long long)fx.d_start + 9 * 3600,
                 (long long)fx.d_start + 10 * 3600);
    if (st != 0)
        fail_msg("sqlite3: %s", out);
    free(out);
    out = NULL;

    snprintf(cmd, sizeof(cmd), "%s -c %s -q - >%s/import.log 2>&1",
             bin("sdcmon-import"), fx.conf, fx.dir);
    p = popen(cmd, "w");
    assert_non_null(p);
    write_history(p);
    st = pclose(p);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("history import failed (%d)", st);

    snprintf(cmd, sizeof(cmd), "--date %s", fx.d);
    st = digest(&out, fx.conf, cmd);
    if (st != 0)
        fail_msg("sdcmon-report digest failed (%d): %s", st, out);
    free(out);
    fx.doc = load_json(fx.d);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    json_decref(fx.doc);
    if (getenv("SDC_KEEP"))
        fprintf(stderr, "kept %s\n", fx.dir);
    else
        tu_rmrf(fx.dir);
    free(fx.dir);
    return 0;
}

/* -------------------------------------------------------------- tests */

/* The day's peaks equal what rrdtool fetch gives: MAX rows for clusters,
 * pools, storages and uplinks; AVERAGE for hosts. */
static void test_peaks(void **state)
{
    time_t a = fx.d_start, b = fx.d_start + DAY;
    (void)state;
    check_peak(fx.doc, "cluster/prod-a/cpu",
               fetch_peak("cluster/prod-a/cpu", "MAX", 3600, a, b, "used",
                          "capacity", 1),
               __LINE__);
    assert_true(fabs(fig(by_key(json_object_get(fx.doc, "peaks"), "key",
                                "cluster/prod-a/cpu"),
                         "peak") -
                     83.0) < 1e-9);
    check_peak(fx.doc, "cluster/prod-a/mem",
               fetch_peak("cluster/prod-a/mem", "MAX", 3600, a, b, "used",
                          "capacity", 1),
               __LINE__);
    check_peak(fx.doc, "pool/nfs.vms/usage",
               fetch_peak("pool/nfs.vms/usage", "MAX", 3600, a, b, "allocation",
                          "capacity", 1),
               __LINE__);
    check_peak(fx.doc, "snmp/san1/storage-data",
               fetch_peak("snmp/san1/storage-data", "MAX", 3600, a, b, "used",
                          "size", 1),
               __LINE__);
    check_peak(fx.doc, "snmp/core-sw1/if-Ethernet1_49",
               fetch_peak("snmp/core-sw1/if-Ethernet1_49", "MAX", 3600, a, b,
                          "in_octets", "speed", 1.0 / 8),
               __LINE__);
    check_peak(fx.doc, "hv/hv-a1/cpu",
               fetch_peak("hv/hv-a1/cpu", "AVERAGE", 300, a, b, "user+system",
                          "cpus", 1e9),
               __LINE__);
    /* the non-uplink interface is not among the peaks */
    assert_null(by_key(json_object_get(fx.doc, "peaks"), "key",
                       "snmp/core-sw1/if-Ethernet1_1"));
    /* the cluster's peak time is the planted row */
    {
        const json_t *p = by_key(json_object_get(fx.doc, "peaks"), "key",
                                 "cluster/prod-a/cpu");
        long long at = json_integer_value(json_object_get(p, "at_t"));
        assert_true(at > fx.d_start + 14 * 3600 &&
                    at <= fx.d_start + 15 * 3600);
    }
}

/* Over target: exactly the cluster CPU (83% > 70%) and the uplink (95% >
 * 70%); crossings: the CPU above, the pool back below. */
static void test_over_and_crossings(void **state)
{
    const json_t *over = json_object_get(fx.doc, "over_target");
    const json_t *cross = json_object_get(fx.doc, "crossings");
    const json_t *c;
    (void)state;
    assert_int_equal(json_array_size(over), 2);
    assert_non_null(by_key(over, "key", "cluster/prod-a/cpu"));
    assert_non_null(by_key(over, "key", "snmp/core-sw1/if-Ethernet1_49"));
    assert_int_equal(json_array_size(cross), 2);
    c = by_key(cross, "key", "cluster/prod-a/cpu");
    assert_non_null(c);
    assert_string_equal(json_string_value(json_object_get(c, "direction")),
                        "above");
    assert_true(fabs(fig(c, "yesterday") - 55.0) < 1e-9);
    assert_true(fabs(fig(c, "today") - 83.0) < 1e-9);
    c = by_key(cross, "key", "pool/nfs.vms/usage");
    assert_non_null(c);
    assert_string_equal(json_string_value(json_object_get(c, "direction")),
                        "below");
    assert_true(fabs(fig(c, "yesterday") - 85.0) < 1e-6);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(fx.doc, "yesterday"), "source")),
                        "computed");
    assert_true(fig(json_object_get(fx.doc, "headline"), "crossings") == 2);
    assert_true(fig(json_object_get(fx.doc, "headline"), "over_target") == 2);
}

/* Yesterday's report.json, when written, is what D compares with: the same
 * crossings. */
static void test_yesterday_from_file(void **state)
{
    char extra[64], *out = NULL;
    json_t *doc;
    (void)state;
    snprintf(extra, sizeof(extra), "--date %s -q", fx.y);
    assert_int_equal(digest(&out, fx.conf, extra), 0);
    free(out);
    out = NULL;
    snprintf(extra, sizeof(extra), "--date %s -q", fx.d);
    assert_int_equal(digest(&out, fx.conf, extra), 0);
    free(out);
    doc = load_json(fx.d);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(doc, "yesterday"), "source")),
                        "report.json");
    assert_int_equal(json_array_size(json_object_get(doc, "crossings")), 2);
    assert_true(json_equal(json_object_get(doc, "crossings"),
                           json_object_get(fx.doc, "crossings")));
    json_decref(doc);
    /* Y itself had the pool and the uplink over target */
    doc = load_json(fx.y);
    assert_int_equal(json_array_size(json_object_get(doc, "over_target")), 2);
    assert_non_null(by_key(json_object_get(doc, "over_target"), "key",
                           "pool/nfs.vms/usage"));
    json_decref(doc);
}

/* VMs created, deleted and shut off on D: exactly the planted ones. */
static void test_vms(void **state)
{
    const json_t *vms = json_object_get(fx.doc, "vms");
    const json_t *cr = json_object_get(vms, "created");
    const json_t *de = json_object_get(vms, "deleted");
    const json_t *so = json_object_get(vms, "shut_off");
    const json_t *h = json_object_get(fx.doc, "headline");
    (void)state;
    assert_int_equal(json_array_size(cr), 2);
    assert_non_null(by_key(cr, "name", "web-new"));
    assert_non_null(by_key(cr, "name", "<b>x</b> & co"));
    assert_null(by_key(cr, "name", "made-yesterday"));
    assert_int_equal(json_array_size(de), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(de, 0), "name")),
        "gone");
    assert_int_equal(json_array_size(so), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(so, 0), "name")),
        "stopped");
    assert_true(fig(h, "vms_created") == 2);
    assert_true(fig(h, "vms_deleted") == 1);
    assert_true(fig(h, "vms_shut_off") == 1);
    /* a past day without poll records: the configured targets, unknown */
    assert_int_equal(json_array_size(json_object_get(fx.doc, "targets")), 2);
    assert_string_equal(
        json_string_value(json_object_get(
            by_key(json_object_get(fx.doc, "targets"), "name", "hv-a1"),
            "status")),
        "unknown");
}

/* The HTML is tidy-clean, escapes the hostile name, has no script; the
 * Markdown holds the same counts. */
static void test_html_and_text(void **state)
{
    char p[700], *html, *md, *out = NULL;
    int st;
    (void)state;
    snprintf(p, sizeof(p), "%s/reports/digest/%s/report.html", fx.data, fx.d);
    html = tu_read_file(p);
    assert_non_null(html);
    assert_null(strstr(html, "<b>x</b>"));
    assert_non_null(strstr(html, "&lt;b&gt;x&lt;/b&gt; &amp; co"));
    assert_null(strstr(html, "<script"));
    free(html);
    if (tu_which("tidy")) {
        st = tu_runf(&out, "tidy -errors -q %s 2>&1", p);
        if (st > 1)
            fail_msg("tidy: %s", out);
        free(out);
    }
    snprintf(p, sizeof(p), "%s/reports/digest/%s/report.md", fx.data, fx.d);
    md = tu_read_file(p);
    assert_non_null(md);
    assert_non_null(strstr(md, "- VMs: 2 created, 1 deleted, 1 shut off"));
    assert_non_null(strstr(md, "crossed a target since yesterday: 2"));
    free(md);
}

/* The real sdcmond: today's digest shows which target is up and which down
 * since when, and counts the cycles. */
static void test_poll_status_today(void **state)
{
    char *out = NULL, *log;
    json_t *doc;
    const json_t *t, *errs;
    int st;
    (void)state;
    st = tu_runf(&out, "%s -c %s --cycles 3 2>&1", tu_sdcmond(), fx.conf2);
    if (st != 0)
        fail_msg("sdcmond failed (%d): %s", st, out);
    log = out;
    out = NULL;
    st = digest(&out, fx.conf2, "-q");
    if (st != 0)
        fail_msg("digest of today failed (%d): %s", st, out);
    free(out);
    doc = load_json(fx.today);
    t = by_name_kind(json_object_get(doc, "targets"), "hv-live", "libvirt");
    assert_non_null(t);
    assert_string_equal(json_string_value(json_object_get(t, "status")), "up");
    assert_true(fig(t, "cycles_ok") == 3);
    assert_true(fig(t, "cycles_failed") == 0);
    /* the same host through SNMP: down, its own counts (not added to the
     * libvirt ones, no status flapping between the two) */
    t = by_name_kind(json_object_get(doc, "targets"), "hv-live", "snmp");
    assert_non_null(t);
    assert_string_equal(json_string_value(json_object_get(t, "status")),
                        "down");
    assert_true(fig(t, "cycles_ok") == 0);
    assert_true(fig(t, "cycles_failed") == 3);
    assert_int_equal(json_array_size(json_object_get(doc, "targets")), 3);
    t = by_key(json_object_get(doc, "targets"), "name", "hv-dead");
    assert_non_null(t);
    assert_string_equal(json_string_value(json_object_get(t, "status")),
                        "down");
    assert_true(fig(t, "cycles_ok") == 0);
    assert_true(fig(t, "cycles_failed") == 3);
    assert_true(strlen(json_string_value(json_object_get(t, "last_error"))) >
                0);
    /* down since the first cycle: the first "cycle N:" of the log */
    {
        const char *c = strstr(log, "info: cycle ");
        long long first;
        assert_non_null(c);
        first = strtoll(c + strlen("info: cycle "), NULL, 10);
        assert_int_equal(json_integer_value(json_object_get(t, "since_t")),
                         first);
    }
    errs = json_object_get(doc, "poll_errors");
    assert_int_equal(json_array_size(errs), 2);
    assert_non_null(by_key(errs, "name", "hv-dead"));
    assert_non_null(by_name_kind(errs, "hv-live", "snmp"));
    assert_true(fig(json_object_get(doc, "headline"), "targets_up") == 1);
    assert_true(fig(json_object_get(doc, "headline"), "targets_down") == 2);
    assert_true(fig(json_object_get(doc, "headline"), "poll_errors") == 6);
    /* the test driver's VM was first seen today */
    assert_non_null(
        by_key(json_object_get(json_object_get(doc, "vms"), "created"), "name",
               "test"));
    /* today's peak from the finest AVERAGE rows (the hour is not over) */
    check_peak(doc, "cluster/lab/mem",
               fetch_peak("cluster/lab/mem", "AVERAGE", 1, fx.d_start + 3 * DAY,
                          time(NULL), "used", "capacity", 1),
               __LINE__);
    json_decref(doc);
    free(log);
}

/* Bad input: clear messages and exit codes, nothing written. */
static void test_bad_input(void **state)
{
    char *out = NULL;
    int st;
    (void)state;
    st = digest(&out, fx.conf, "--date 2026-02-30");
    assert_int_equal(st, 2);
    assert_non_null(strstr(out, "2026-02-30 is not a date"));
    free(out);
    st = digest(&out, fx.conf, "--date 3026-01-01");
    assert_int_equal(st, 1);
    assert_non_null(strstr(out, "3026-01-01 has not begun"));
    free(out);
    st = digest(&out, fx.conf, "--date yesterday");
    assert_int_equal(st, 2);
    assert_non_null(strstr(out, "'yesterday' is not a date YYYY-MM-DD"));
    free(out);
    st = digest(&out, fx.conf, "--format csv");
    assert_int_equal(st, 2);
    assert_non_null(strstr(out, "the digest has no CSV tables"));
    free(out);
    st = digest(&out, fx.conf, "--date 2001-01-01");
    assert_int_equal(st, 1);
    assert_non_null(strstr(out, "no data for 2001-01-01"));
    free(out);
    assert_int_equal(
        tu_runf(&out, "test -e %s/reports/digest/2001-01-01", fx.data), 1);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_peaks),
        cmocka_unit_test(test_over_and_crossings),
        cmocka_unit_test(test_vms),
        cmocka_unit_test(test_html_and_text),
        cmocka_unit_test(test_yesterday_from_file),
        cmocka_unit_test(test_poll_status_today),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
