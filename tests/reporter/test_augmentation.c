/*
 * test_augmentation.c - the augmentation projection end to end.
 *
 * A small data centre's daily history (400 days to 31 May 2026) is built
 * through sdcmon-import with known growth, then `sdcmon-report
 * augmentation --date 2026-06-01` runs as a program (risk "expected"):
 *  - cluster "grow": memory 300 GiB + 1 GiB a day of 1 TiB on two hosts
 *    (one kept spare), a planned entry of +100 GiB (+40 vCPUs) from
 *    2026-09-01: the runway is the planned day, without it the day the
 *    line crosses 80%; hosts to buy at +6 and +12 months as the HA
 *    reserve and the host model give, fewer with the monthly report's
 *    reclaimable memory;
 *  - pool "fill.pool": 4 TiB + 8 GiB a day of 10 TiB: runway, storage
 *    units (rounded up) and their in-service and order dates, none with
 *    the reclaimable orphaned volumes;
 *  - pool "over.pool" at 90%: already over, one unit ordered late;
 *  - an uplink filling at a known rate; a level shift; 60 days of history
 *    (short); a constant pool (not within 5 years) with a negative planned
 *    entry that ends; an archive of UNKNOWN only; two days of data; values
 *    that compute negative; absurd values; a cluster with no archive;
 *  - report.json has no NaN or infinity, every monthly path is ordered
 *    lo95 <= lo80 <= mean <= hi80 <= hi95; report.html passes
 *    `tidy -errors -q`; bad arguments get clear messages.
 * The tolerance of each runway comes from the planted slope and noise:
 * the noise's amplitude over the slope, plus 2 days.
 *
 * SDC_KEEP=1 keeps the data directory (its path is printed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <jansson.h>

#include "testutil.h"

#define GIB 1073741824.0
#define TIB (GIB * 1024)
#define DAY 86400LL
/* The report's day: 2026-06-01; history: 400 days to 2026-05-31. */
#define TODAY_S "2026-06-01"
#define TODAY 20605LL /* days from 1970-01-01 */
#define N_DAYS 400
#define D0 (TODAY - N_DAYS)

/* planted */
#define MEM_CAP (1024 * GIB)
#define MEM_START (300 * GIB)
#define MEM_SLOPE (1 * GIB) /* a day */
#define MEM_NOISE (0.25 * GIB)
#define PLANNED_DAY 20697LL /* 2026-09-01 */
#define PLANNED_MEM (100 * GIB)
#define FILL_CAP (10 * TIB)
#define FILL_START (4096 * GIB)
#define FILL_SLOPE (8 * GIB)
#define FILL_NOISE (2 * GIB)
#define LINK_SPEED 1e9
#define LINK_START 300e6 /* bit/s */
#define LINK_SLOPE 0.8e6 /* bit/s a day */
#define LINK_NOISE 2e6
#define UNIT_TIB 2.0
#define LEAD_DAYS 60
#define SHIFT_DAY 250 /* index of the level shift */

struct fx {
    char *dir;
    char data[600];
    char conf[700];
    char out[800];
    json_t *doc;
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

/* A deterministic number in [-1, 1) for (seed, k). */
static double noise(uint64_t seed, uint64_t k)
{
    uint64_t z = seed * 0x9E3779B97F4A7C15ULL + k + 1;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return 2.0 * (double)(z >> 11) / 9007199254740992.0 - 1.0;
}

/* A row covering day @d (its time is the end of the day). */
static void row(FILE *f, long long d, const char *arch, const char *ds,
                double v)
{
    if (isnan(v))
        fprintf(f, "%lld,%s,%s,U\n", (d + 1) * DAY, arch, ds);
    else
        fprintf(f, "%lld,%s,%s,%.0f\n", (d + 1) * DAY, arch, ds, v);
}

static void write_history(FILE *f)
{
    fprintf(f, "time,archive,ds,value\n");
    for (long long i = 0; i < N_DAYS; i++) {
        long long d = D0 + i;
        int wd = (int)((d + 4) % 7); /* 0 = Sunday */
        double week = wd == 0 || wd == 6 ? -4 : 0;
        /* cluster grow: CPU flat with a weekly pattern, memory linear */
        row(f, d, "cluster/grow/cpu", "used", 30 + week + noise(1, i));
        row(f, d, "cluster/grow/cpu", "capacity", 128);
        row(f, d, "cluster/grow/cpu", "vcpus", 200);
        row(f, d, "cluster/grow/mem", "used",
            MEM_START + MEM_SLOPE * i + MEM_NOISE * noise(2, i));
        row(f, d, "cluster/grow/mem", "capacity", MEM_CAP);
        row(f, d, "cluster/grow/mem", "allocated", 700 * GIB);
        /* pools */
        row(f, d, "pool/fill.pool/usage", "capacity", FILL_CAP);
        row(f, d, "pool/fill.pool/usage", "allocation",
            FILL_START + FILL_SLOPE * i + FILL_NOISE * noise(3, i));
        row(f, d, "pool/over.pool/usage", "capacity", 1 * TIB);
        row(f, d, "pool/over.pool/usage", "allocation",
            0.9 * TIB + 2 * GIB * noise(4, i));
        row(f, d, "pool/const.pool/usage", "capacity", 1 * TIB);
        row(f, d, "pool/const.pool/usage", "allocation", 500 * GIB);
        row(f, d, "pool/unknown.pool/usage", "capacity", NAN);
        row(f, d, "pool/unknown.pool/usage", "allocation", NAN);
        row(f, d, "pool/shift.pool/usage", "capacity", 8 * TIB);
        row(f, d, "pool/shift.pool/usage", "allocation",
            (i < SHIFT_DAY ? 2 * TIB : 3 * TIB) + 10 * GIB * noise(5, i));
        /* capacity - available, available above capacity half the days */
        row(f, d, "pool/neg.pool/usage", "capacity", 1 * TIB);
        row(f, d, "pool/neg.pool/usage", "available",
            i % 2 ? 1.2 * TIB : 0.6 * TIB);
        /* absurd: a few days at 1e18 bytes */
        row(f, d, "pool/absurd.pool/usage", "capacity", 1 * TIB);
        row(f, d, "pool/absurd.pool/usage", "allocation",
            i % 50 == 7 ? 1e18 : 100 * GIB + GIB * noise(6, i));
        if (i >= N_DAYS - 60) {
            long long j = i - (N_DAYS - 60);
            row(f, d, "pool/short.pool/usage", "capacity", 1 * TIB);
            row(f, d, "pool/short.pool/usage", "allocation",
                200 * GIB + 2 * GIB * j + GIB * noise(7, i));
        }
        if (i >= N_DAYS - 2) {
            row(f, d, "pool/oneday.pool/usage", "capacity", 1 * TIB);
            row(f, d, "pool/oneday.pool/usage", "allocation", 10 * GIB);
        }
        /* the uplink: in bytes/s, out lower */
        {
            double bits =
                LINK_START + LINK_SLOPE * i + LINK_NOISE * noise(8, i);
            row(f, d, "snmp/sw1/if-Eth1", "in_octets", bits / 8);
            row(f, d, "snmp/sw1/if-Eth1", "out_octets", bits / 16);
            row(f, d, "snmp/sw1/if-Eth1", "speed", LINK_SPEED);
        }
    }
}

/* What monthly_doc.c writes for the findings the projection reads. */
static void write_monthly(void)
{
    char p[900], cmd[1200];
    json_t *doc = json_pack(
        "{s:i, s:{s:s}, s:{s:[{s:s, s:s, s:{s:f}, s:{s:f}, s:{s:f}}],"
        " s:[{s:s, s:s, s:{s:f}, s:{s:f}, s:{s:f}}],"
        " s:[{s:s, s:s, s:{s:f}}]}}",
        "format_version", 1, "period", "name", "2026-05", "findings", "shutoff",
        "name", "old-vm", "cluster", "grow", "free_vcpus", "value", 8.0,
        "free_memory", "value", 200 * GIB, "free_storage", "value", 0.0, "idle",
        "name", "idle-vm", "cluster", "grow", "free_vcpus", "value", 2.0,
        "free_memory", "value", 100 * GIB, "free_storage", "value", 0.0,
        "orphaned_volumes", "name", "lost.qcow2", "pool", "fill.pool",
        "free_storage", "value", 3 * TIB);
    assert_non_null(doc);
    snprintf(cmd, sizeof(cmd), "mkdir -p %s/reports/monthly/2026-05", fx.data);
    assert_int_equal(system(cmd), 0);
    snprintf(p, sizeof(p), "%s/reports/monthly/2026-05/report.json", fx.data);
    assert_int_equal(json_dump_file(doc, p, JSON_INDENT(1)), 0);
    json_decref(doc);
}

static int run_report(char **out, const char *extra)
{
    return tu_runf(out, "%s augmentation -c %s --date %s %s 2>&1",
                   bin("sdcmon-report"), fx.conf, TODAY_S, extra ? extra : "");
}

static int group_setup(void **state)
{
    char cmd[4096], log[700];
    char *out = NULL;
    FILE *p;
    int st;
    (void)state;

    setenv("TZ", "UTC", 1);
    tzset();
    setenv("SDCMON_TEMPLATES", SDC_SOURCE_DIR "/templates", 1);
    fx.dir = tu_tmpdir("augment");
    assert_non_null(fx.dir);
    snprintf(fx.data, sizeof(fx.data), "%s/data", fx.dir);
    snprintf(fx.conf, sizeof(fx.conf), "%s/sdcmon.conf", fx.dir);
    snprintf(fx.out, sizeof(fx.out), "%s/reports/augmentation/%s", fx.data,
             TODAY_S);
    snprintf(
        cmd, sizeof(cmd),
        "data_dir = \"%s\";\nstep = 300;\n"
        "hypervisors = (\n"
        "  { name = \"hv-g1\"; uri = \"test:///default\"; cluster = "
        "\"grow\"; },\n"
        "  { name = \"hv-g2\"; uri = \"test:///default\"; cluster = "
        "\"grow\"; },\n"
        "  { name = \"hv-x\"; uri = \"test:///default\"; cluster = "
        "\"ghost\"; }\n);\n"
        "snmp = (\n"
        "  { name = \"sw1\"; address = \"udp:127.0.0.1:16161\"; "
        "version = \"2c\"; community = \"public\"; role = \"switch\"; "
        "uplinks = [ \"Eth1\" ]; }\n);\n"
        "capacity = { targets = { cpu = 0.70; memory = 0.80; storage = 0.80; "
        "network = 0.70; }; risk = \"expected\"; lead_time_days = %d;\n"
        "  host_model = { name = \"default model\"; cores = 16; memory_gb = "
        "128; };\n  storage_unit_tb = %.1f; };\n"
        "clusters = ( { name = \"grow\"; ha_reserve_hosts = 1; "
        "max_vcpu_per_cpu = 4.0;\n"
        "  host_model = { name = \"2-socket 32-core\"; cores = 32; memory_gb "
        "= 256; }; } );\n"
        "planned = (\n"
        "  { name = \"Migration <b>&\"; date = \"2026-09-01\"; cluster = "
        "\"grow\"; vcpus = 40; memory_gb = 100; },\n"
        "  { name = \"Archive moved out\"; date = \"2026-07-01\"; until = "
        "\"2026-12-01\"; pool = \"const.pool\"; storage_tb = -0.1; },\n"
        "  { name = \"Nowhere\"; date = \"2026-07-01\"; cluster = "
        "\"no-such\"; memory_gb = 5; }\n);\n",
        fx.data, LEAD_DAYS, UNIT_TIB);
    assert_true(tu_write_file(fx.conf, cmd, 0600));

    /* the inventory: the hosts (2 logical CPUs per core) and the pool's
     * provisioned storage in a daily snapshot */
    {
        char inv[700];
        snprintf(inv, sizeof(inv), "%s/inventory.csv", fx.dir);
        assert_true(tu_write_file(
            inv,
            "kind,id,name,host,cluster,cpus,cores,memory_bytes,"
            "capacity_bytes,allocation_bytes,first_seen,last_seen,day,"
            "provisioned_bytes\n"
            "hypervisor,hv-g1,,,grow,64,32,549755813888,,,2025-01-01,"
            "2026-05-31,,\n"
            "hypervisor,hv-g2,,,grow,64,32,549755813888,,,2025-01-01,"
            "2026-05-31,,\n"
            "pool,fill.pool,fill.pool,hv-g1;hv-g2,,,,,10995116277760,"
            "8000000000000,2025-01-01,2026-05-31,,\n"
            "snapshot_pool,fill.pool,,,,,,,10995116277760,8000000000000,,,"
            "2026-05-31,13194139533312\n",
            0644));
        st = tu_runf(&out, "%s -c %s --inventory %s 2>&1", bin("sdcmon-import"),
                     fx.conf, inv);
        if (st != 0)
            fail_msg("inventory import failed (%d): %s", st, out);
        free(out);
        out = NULL;
    }
    snprintf(log, sizeof(log), "%s/import.log", fx.dir);
    snprintf(cmd, sizeof(cmd), "%s -c %s -q - >%s 2>&1", bin("sdcmon-import"),
             fx.conf, log);
    p = popen(cmd, "w");
    assert_non_null(p);
    write_history(p);
    st = pclose(p);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char *l = tu_read_file(log);
        fail_msg("history import failed (%d): %s", st, l ? l : "");
    }
    write_monthly();
    st = run_report(&out, NULL);
    if (st != 0)
        fail_msg("sdcmon-report augmentation failed (%d): %s", st, out);
    free(out);
    {
        char jp[900];
        json_error_t je;
        snprintf(jp, sizeof(jp), "%s/report.json", fx.out);
        fx.doc = json_load_file(jp, 0, &je);
        if (!fx.doc)
            fail_msg("report.json: %s (line %d)", je.text, je.line);
    }
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

/* ---------------------------------------------------------------- helpers */

static const json_t *res(const char *kind, const char *id)
{
    size_t i;
    const json_t *r;
    json_array_foreach(json_object_get(fx.doc, "resources"), i, r)
    {
        if (strcmp(json_string_value(json_object_get(r, "kind")), kind) == 0 &&
            strcmp(json_string_value(json_object_get(r, "id")), id) == 0)
            return r;
    }
    fail_msg("no resource %s %s in report.json", kind, id);
    return NULL;
}

static const char *str(const json_t *o, const char *path)
{
    char key[64];
    while (o && strchr(path, '.')) {
        size_t n = (size_t)(strchr(path, '.') - path);
        snprintf(key, sizeof(key), "%.*s", (int)n, path);
        o = json_object_get(o, key);
        path += n + 1;
    }
    o = json_object_get(o, path);
    return json_is_string(o) ? json_string_value(o) : NULL;
}

static long long day_of(const char *iso)
{
    int y, m, d;
    struct tm tm = {0};
    if (!iso || sscanf(iso, "%d-%d-%d", &y, &m, &d) != 3)
        fail_msg("not a date: %s", iso ? iso : "(null)");
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    return (long long)(timegm(&tm) / DAY);
}

static void check_day(const char *got, long long want, double tol,
                      const char *what)
{
    long long g = day_of(got);
    if (fabs((double)(g - want)) > tol)
        fail_msg("%s: %s is %lld days from the expected day (tolerance %.1f)",
                 what, got, g - want, tol);
}

/* The purchase of @what at @months, with or without reclaim. */
static const json_t *purchase(const char *what, int months, bool reclaim)
{
    size_t i;
    const json_t *p;
    json_array_foreach(json_object_get(fx.doc, "purchases"), i, p)
    {
        if (strcmp(str(p, "what"), what) == 0 &&
            json_integer_value(json_object_get(p, "months")) == months &&
            json_is_true(json_object_get(p, "with_reclaim")) == reclaim)
            return p;
    }
    fail_msg("no purchase for %s at +%d months", what, months);
    return NULL;
}

static long long units(const char *what, int months, bool reclaim)
{
    return (long long)json_integer_value(
        json_object_get(purchase(what, months, reclaim), "units"));
}

/* Whether the JSON text of @v holds @what. */
static bool json_has(const json_t *v, const char *what)
{
    char *t = json_dumps(v, 0);
    bool yes = t && strstr(t, what);
    free(t);
    return yes;
}

static char *report_file(const char *name)
{
    char p[1000];
    char *s;
    snprintf(p, sizeof(p), "%s/%s", fx.out, name);
    s = tu_read_file(p);
    if (!s)
        fail_msg("no %s", p);
    return s;
}

/* ------------------------------------------------------------------ tests */

/* Memory of "grow": the planned entry makes the runway its own day; the
 * organic crossing is where 300 + d GiB reaches 819.2 GiB. */
static void test_cluster_runway(void **state)
{
    const json_t *m = res("memory", "grow");
    double tol = 2 + MEM_NOISE / MEM_SLOPE;
    /* 300 + 1 * i = 0.8 * 1024 at i = 519.2: the first day at or over */
    long long organic =
        D0 + (long long)ceil((0.8 * MEM_CAP - MEM_START) / MEM_SLOPE);
    (void)state;
    assert_string_equal(str(m, "status"), "ok");
    assert_string_equal(str(m, "runway.status"), "crosses");
    check_day(str(m, "runway.date"), PLANNED_DAY, 0.5, "runway with planned");
    check_day(str(m, "runway_without_planned.date"), organic, tol,
              "runway without planned");
    /* the model found the slope: +12 months is 300 + 765 + 100 GiB */
    {
        const json_t *at = json_array_get(json_object_get(m, "at_horizons"), 1);
        double v = json_number_value(
            json_object_get(json_object_get(at, "mean"), "value"));
        double want = MEM_START + MEM_SLOPE * (N_DAYS + 365) + PLANNED_MEM;
        if (fabs(v - want) > 3 * GIB)
            fail_msg("+12 months: %.1f GiB, expected %.1f", v / GIB,
                     want / GIB);
    }
    /* the planned entry is listed, escaped nowhere in JSON */
    assert_string_equal(
        str(json_array_get(json_object_get(m, "planned"), 0), "name"),
        "Migration <b>&");
    /* CPU: nothing crosses */
    assert_string_equal(str(res("cpu", "grow"), "runway.status"),
                        "not_within_5_years");
}

/*
 * Hosts for "grow" (1 TiB on 2 hosts, 1 spare, model 256 GiB):
 * usable(k >= 1) = 1024 + 256k - 512.  +6 months (2026-12-01, day 583 of
 * the line): 300 + 583 + 100 = 983 GiB -> 1228.75 usable -> k = 2.8 -> 3;
 * +12 months (day 765): 1165 -> 1456.25 -> 3.69 -> 4.  With 300 GiB
 * reclaimable: 683 -> 1.33 -> 2 and 865 -> 2.22 -> 3.  The memory is
 * already over 80% of the usable 512 GiB: the first host is needed today.
 */
static void test_cluster_hosts(void **state)
{
    const json_t *p = purchase("grow", 12, false);
    (void)state;
    assert_int_equal(units("grow", 6, false), 3);
    assert_int_equal(units("grow", 12, false), 4);
    assert_int_equal(units("grow", 6, true), 2);
    assert_int_equal(units("grow", 12, true), 3);
    assert_string_equal(str(p, "bind"), "memory");
    assert_string_equal(str(p, "in_service_date"), TODAY_S);
    check_day(str(p, "order_by_date"), TODAY - LEAD_DAYS, 0, "order by");
    assert_int_equal(json_integer_value(json_object_get(p, "late_days")),
                     LEAD_DAYS);
    /* the cluster's figures */
    {
        const json_t *cl =
            json_array_get(json_object_get(fx.doc, "clusters"), 0);
        assert_string_equal(str(cl, "name"), "grow");
        assert_int_equal(json_integer_value(json_object_get(cl, "hosts")), 2);
        assert_int_equal(
            json_integer_value(json_object_get(cl, "ha_reserve_hosts")), 1);
        /* the inventory's hosts have 2 logical CPUs per core: the model's
         * 32 cores are 64 CPUs */
        assert_true(json_number_value(json_object_get(cl, "cpus_per_core")) ==
                    2.0);
        assert_true(
            json_number_value(json_object_get(
                json_object_get(json_object_get(cl, "host_model"), "cpus"),
                "value")) == 64.0);
    }
    /* the pool's provisioned storage from the inventory's snapshot */
    assert_true(
        json_number_value(json_object_get(
            json_object_get(res("pool", "fill.pool"), "provisioned_today"),
            "value")) == 12.0 * TIB);
}

/*
 * fill.pool: 4096 + 8 i GiB of 10 TiB crosses 8192 GiB at i = 512 (112
 * days after today).  Units of 2 TiB: +6 months (day 583): 8760 GiB ->
 * 10950 -> 0.35 -> 1; +12 months (day 765): 10216 -> 12770 -> 1.24 -> 2;
 * in service on the crossing day, ordered 60 days before; with 3 TiB of
 * orphaned volumes reclaimed, 7144 GiB at +12: none.
 */
static void test_pool(void **state)
{
    const json_t *r = res("pool", "fill.pool");
    long long cross =
        D0 + (long long)ceil((0.8 * FILL_CAP - FILL_START) / FILL_SLOPE);
    double tol = 2 + FILL_NOISE / FILL_SLOPE;
    const json_t *p = purchase("fill.pool", 12, false);
    (void)state;
    check_day(str(r, "runway.date"), cross, tol, "fill.pool runway");
    assert_int_equal(units("fill.pool", 6, false), 1);
    assert_int_equal(units("fill.pool", 12, false), 2);
    assert_int_equal(units("fill.pool", 12, true), 0);
    check_day(str(p, "in_service_date"), cross, tol, "in service");
    check_day(str(p, "order_by_date"), cross - LEAD_DAYS, tol, "order by");
    assert_int_equal(json_integer_value(json_object_get(p, "late_days")), 0);
    /* the first page's sentence says it in words */
    {
        const char *s = str(r, "sentence");
        assert_non_null(strstr(s, "fill.pool reaches its 80% target around"));
        assert_non_null(strstr(s, "order 2 units of 2 TiB by"));
    }
}

static void test_already_over(void **state)
{
    const json_t *r = res("pool", "over.pool");
    const json_t *p = purchase("over.pool", 6, false);
    (void)state;
    assert_string_equal(str(r, "runway.status"), "already_over");
    assert_non_null(strstr(str(r, "sentence"), "already over its 80% target"));
    /* 0.9 TiB / 0.8 = 1.125 TiB: one unit of 2 TiB, today, late */
    assert_int_equal(units("over.pool", 6, false), 1);
    assert_string_equal(str(p, "in_service_date"), TODAY_S);
    assert_int_equal(json_integer_value(json_object_get(p, "late_days")),
                     LEAD_DAYS);
}

static void test_uplink(void **state)
{
    const json_t *r = res("uplink", "sw1/Eth1");
    /* 300 + 0.8 i Mbit/s reaches 700 at i = 500 */
    long long cross =
        D0 + (long long)ceil((0.7 * LINK_SPEED - LINK_START) / LINK_SLOPE);
    (void)state;
    assert_string_equal(str(r, "unit"), "bit/s");
    check_day(str(r, "runway.date"), cross, 2 + LINK_NOISE / LINK_SLOPE,
              "uplink runway");
}

static void test_hard_cases(void **state)
{
    const json_t *r;
    (void)state;
    /* constant: flat forecast, not within 5 years, nothing to buy; the
     * negative planned entry counts until its end only */
    r = res("pool", "const.pool");
    assert_string_equal(str(r, "runway.status"), "not_within_5_years");
    assert_int_equal(units("const.pool", 12, false), 0);
    {
        size_t i;
        const json_t *m;
        bool seen_in = false, seen_after = false;
        json_array_foreach(json_object_get(r, "path"), i, m)
        {
            double pl = json_number_value(json_object_get(m, "planned"));
            if (strcmp(str(m, "month"), "2026-08") == 0) {
                assert_true(fabs(pl + 0.1 * TIB) < 1);
                seen_in = true;
            }
            if (strcmp(str(m, "month"), "2026-12") == 0) {
                assert_true(fabs(pl) < 1);
                seen_after = true;
            }
        }
        assert_true(seen_in && seen_after);
    }
    /* every day UNKNOWN */
    r = res("pool", "unknown.pool");
    assert_string_equal(str(r, "status"), "no_forecast");
    assert_non_null(strstr(str(r, "why"), "UNKNOWN"));
    assert_true(json_is_null(json_object_get(r, "mase")));
    /* two days of data (a single daily row gives the archive none: its
     * first update only starts the archive) */
    r = res("pool", "oneday.pool");
    assert_string_equal(str(r, "status"), "no_forecast");
    assert_non_null(strstr(str(r, "why"), "at least 3"));
    /* negative computed values: left out, said so */
    r = res("pool", "neg.pool");
    assert_string_equal(str(r, "status"), "ok");
    assert_true(json_has(json_object_get(r, "notes"), "negative"));
    /* absurd values: left out, said so; the forecast stays near 100 GiB */
    r = res("pool", "absurd.pool");
    assert_string_equal(str(r, "status"), "ok");
    assert_true(json_number_value(json_object_get(
                    json_object_get(r, "used_today"), "value")) < 200 * GIB);
    /* a cluster without archives */
    r = res("memory", "ghost");
    assert_string_equal(str(r, "status"), "no_forecast");
    assert_non_null(strstr(str(r, "why"), "no archive"));
    /* short history: linear, said so */
    r = res("pool", "short.pool");
    assert_true(json_is_true(json_object_get(r, "short_history")));
    assert_string_equal(str(r, "model"), "linear");
    /* a level shift on its day (+1 TiB) */
    r = res("pool", "shift.pool");
    assert_true(json_is_true(
        json_object_get(json_object_get(r, "level_shift"), "found")));
    check_day(str(r, "level_shift.day"), D0 + SHIFT_DAY, 3, "level shift");
    /* a planned entry naming nothing is a note */
    assert_true(json_has(json_object_get(fx.doc, "notes"), "Nowhere"));
    /* the monthly report read is named by its period */
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(fx.doc, "monthly"), "month")),
                        "2026-05");
}

/* Every monthly path ordered; the MASE and the model of each resource. */
static void test_paths(void **state)
{
    size_t i, n_ok = 0;
    const json_t *r;
    (void)state;
    json_array_foreach(json_object_get(fx.doc, "resources"), i, r)
    {
        size_t k;
        const json_t *m;
        if (strcmp(str(r, "status"), "ok") != 0)
            continue;
        n_ok++;
        assert_true(json_array_size(json_object_get(r, "path")) >= 12);
        json_array_foreach(json_object_get(r, "path"), k, m)
        {
            double lo95 = json_number_value(json_object_get(m, "lo95"));
            double lo80 = json_number_value(json_object_get(m, "lo80"));
            double mean = json_number_value(json_object_get(m, "mean"));
            double hi80 = json_number_value(json_object_get(m, "hi80"));
            double hi95 = json_number_value(json_object_get(m, "hi95"));
            if (!(lo95 <= lo80 && lo80 <= mean && mean <= hi80 && hi80 <= hi95))
                fail_msg("%s %s: bounds out of order", str(r, "id"),
                         str(m, "month"));
        }
        assert_non_null(str(r, "model"));
        if (json_is_true(json_object_get(r, "backtest")))
            assert_true(json_is_number(json_object_get(r, "mase")) &&
                        json_is_number(json_object_get(r, "naive_mase")));
    }
    assert_true(n_ok >= 9);
    /* the planted growth is forecast far better than naively */
    r = res("pool", "fill.pool");
    assert_true(json_is_true(json_object_get(r, "backtest")));
    assert_true(json_number_value(json_object_get(r, "mase")) <
                json_number_value(json_object_get(r, "naive_mase")));
    /* no forecast: nulls, no date */
    r = res("pool", "unknown.pool");
    assert_true(
        json_is_null(json_object_get(json_object_get(r, "runway"), "date")));
    assert_string_equal(str(r, "runway.status"), "no_forecast");
    assert_int_equal(json_array_size(json_object_get(r, "path")), 0);
}

static bool has_word(const char *s, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = s; (p = strcasestr(p, w)); p += n) {
        bool before = p > s && isalpha((unsigned char)p[-1]);
        bool after = isalpha((unsigned char)p[n]);
        if (!before && !after)
            return true;
    }
    return false;
}

static void test_files(void **state)
{
    static const char *const files[] = {
        "report.html",  "report.md",     "report.json",
        "summary.csv",  "resources.csv", "forecast_paths.csv",
        "horizons.csv", "planned.csv",   "purchases.csv"};
    (void)state;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *s = report_file(files[i]);
        if (has_word(s, "nan") || has_word(s, "inf") || has_word(s, "infinity"))
            fail_msg("%s prints nan or inf", files[i]);
        free(s);
    }
    {
        char *h = report_file("report.html");
        assert_null(strstr(h, "<script"));
        assert_null(strstr(h, "Migration <b>"));
        assert_non_null(strstr(h, "Migration &lt;b&gt;&amp;"));
        assert_non_null(strstr(h, "<svg"));
        free(h);
    }
    {
        char *c = report_file("forecast_paths.csv");
        assert_non_null(strstr(c, "id,kind,unit,month,day,mean,lo80,hi80"));
        assert_non_null(strstr(c, "fill.pool,pool,bytes,2026-06,"));
        free(c);
    }
}

static void test_html_tidy(void **state)
{
    char *out = NULL;
    int st;
    (void)state;
    if (!tu_which("tidy")) {
        fprintf(stderr, "tidy not installed: HTML not validated\n");
        skip();
    }
    /* as the monthly test: warnings (SVG attributes tidy does not know)
     * are not errors */
    st = tu_runf(&out, "tidy -errors -q %s/report.html", fx.out);
    if (st >= 2 || (out && strstr(out, "Error:")))
        fail_msg("tidy (%d): %s", st, out ? out : "");
    free(out);
}

static void test_bad_arguments(void **state)
{
    char *out = NULL;
    int st;
    (void)state;
    st = run_report(&out, "--horizon 6,x");
    assert_int_equal(st, 2);
    assert_non_null(strstr(out, "--horizon"));
    free(out);
    st = run_report(&out, "--horizon 0");
    assert_int_equal(st, 2);
    free(out);
    st = tu_runf(&out, "%s augmentation -c %s --date 2026-02-30 2>&1",
                 bin("sdcmon-report"), fx.conf);
    assert_int_equal(st, 2);
    assert_non_null(strstr(out, "'2026-02-30' is not a day of the calendar"));
    free(out);
    st = tu_runf(&out, "%s augmentation -c %s --date 1975-01-01 2>&1",
                 bin("sdcmon-report"), fx.conf);
    assert_int_equal(st, 2);
    assert_non_null(strstr(out, "'1975-01-01' is not a date YYYY-MM-DD"));
    free(out);
    /* a date long before the history: no data, exit 1, nothing written */
    st = tu_runf(&out, "%s augmentation -c %s --date 2015-01-01 2>&1",
                 bin("sdcmon-report"), fx.conf);
    assert_int_equal(st, 1);
    assert_non_null(strstr(out, "no data"));
    free(out);
}

/* --horizon 3 and --out: one horizon, written where asked. */
static void test_horizon_and_out(void **state)
{
    char *out = NULL, p[1000];
    json_t *d;
    json_error_t je;
    int st;
    (void)state;
    snprintf(p, sizeof(p), "--horizon 3 -f json -q -o %s/h3", fx.dir);
    st = run_report(&out, p);
    if (st != 0)
        fail_msg("(%d) %s", st, out);
    free(out);
    snprintf(p, sizeof(p), "%s/h3/report.json", fx.dir);
    d = json_load_file(p, 0, &je);
    assert_non_null(d);
    assert_int_equal(json_array_size(json_object_get(d, "horizons")), 1);
    assert_int_equal(
        json_array_size(json_object_get(
            json_array_get(json_object_get(d, "resources"), 0), "path")),
        4);
    json_decref(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster_runway),
        cmocka_unit_test(test_cluster_hosts),
        cmocka_unit_test(test_pool),
        cmocka_unit_test(test_already_over),
        cmocka_unit_test(test_uplink),
        cmocka_unit_test(test_hard_cases),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_html_tidy),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_horizon_and_out),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
