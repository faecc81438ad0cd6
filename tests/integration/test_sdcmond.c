/*
 * test_sdcmond.c - the real sdcmond against libvirt's test driver, read back
 * with rrdtool and sqlite3: archives, values, failures of hypervisors,
 * rrdcached, hostile names, kill -9 and restart, signals, config errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"
#include "testutil.h"

#define FIX SDC_SOURCE_DIR "/tests/fixtures"

struct ctx {
    char *dir;
};

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    c->dir = tu_tmpdir("sdcmond");
    assert_non_null(c->dir);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    tu_drop_tmpdir(c->dir);
    free(c);
    return 0;
}

/* ---- config errors and --check-config ---- */

static __attribute__((unused)) void test_check_config(void **state)
{
    struct ctx *c = *state;
    char *out = NULL;
    char *conf =
        it_write_config(c->dir, "step = 60;\nhypervisors = ( { name = \"h\"; "
                                "uri = \"test:///default\"; } );\n");
    assert_int_equal(
        tu_runf(&out, "'%s' -c '%s' --check-config", tu_sdcmond(), conf), 0);
    assert_non_null(strstr(out, "configuration OK"));
    free(out);
    free(conf);

    conf = it_write_config(c->dir,
                           "step = 60;\nhypervisors = (\n { name = \"h\"; uri "
                           "= \"test:///default\"; tmeout = 3; }\n);\n");
    assert_int_equal(
        tu_runf(&out, "'%s' -c '%s' --check-config", tu_sdcmond(), conf), 2);
    /* file:line: message */
    assert_non_null(strstr(out, "sdcmon.conf:4:"));
    assert_non_null(strstr(out, "tmeout"));
    free(out);
    /* the daemon itself refuses to start on it, with the same exit code */
    assert_int_equal(tu_runf(&out, "'%s' -c '%s' --once", tu_sdcmond(), conf),
                     2);
    free(out);
    free(conf);

    assert_int_equal(tu_runf(&out, "'%s' --bogus", tu_sdcmond()), 2);
    free(out);
    assert_int_equal(tu_runf(&out, "'%s' --help", tu_sdcmond()), 0);
    assert_non_null(strstr(out, "--check-config"));
    free(out);
}

/* ---- a hung and a refused hypervisor ---- */

struct listener {
    int fd;
    int port;
    volatile int stop;
    int conns[64];
    int n;
};

/* Accept connections and never answer: a hypervisor that hangs. */
static void *listener_main(void *arg)
{
    struct listener *l = arg;
    while (!l->stop) {
        int fd = accept(l->fd, NULL, NULL);
        if (fd >= 0 && l->n < 64)
            l->conns[l->n++] = fd;
        else if (fd >= 0)
            close(fd);
    }
    return NULL;
}

static __attribute__((unused)) void test_hung_and_refused(void **state)
{
    struct ctx *c = *state;
    struct listener l = {0};
    struct sockaddr_in a = {0};
    socklen_t al = sizeof(a);
    pthread_t th;
    char body[2048];
    int closed_port = tu_free_port();
    char *conf, *log, *cpu;
    long last;
    time_t t0, t1;

    l.fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(l.fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(l.fd, 16), 0);
    getsockname(l.fd, (struct sockaddr *)&a, &al);
    l.port = ntohs(a.sin_port);
    pthread_create(&th, NULL, listener_main, &l);

    snprintf(
        body, sizeof(body),
        "step = 4;\n"
        "hypervisors = (\n"
        " { name = \"good\"; uri = \"test:///default\"; cluster = \"c1\"; },\n"
        " { name = \"hung\"; uri = \"qemu+tcp://127.0.0.1:%d/system\"; timeout "
        "= 2; cluster = \"c2\"; },\n"
        " { name = \"refused\"; uri = \"qemu+tcp://127.0.0.1:%d/system\"; "
        "timeout = 2; cluster = \"c2\"; }\n"
        ");\n",
        l.port, closed_port);
    conf = it_write_config(c->dir, body);
    t0 = time(NULL);
    assert_int_equal(it_run_sdcmond(c->dir, conf, "--cycles 3"), 0);
    t1 = time(NULL);
    /* 3 cycles 4 s apart (the first at the next multiple of 4): the hung
     * host's 2 s timeout must not stretch that */
    assert_true(t1 - t0 <= 16);
    log = it_read_log(c->dir);
    assert_non_null(strstr(log, "hung: no answer within 2 s"));
    /* later cycles skip it at once while it is still busy, and say so */
    assert_non_null(
        strstr(log, "not answered: hung (still busy), refused (error)"));
    assert_non_null(strstr(log, "refused: cannot connect"));
    /* rate-limited: the refused host is complained about once, not 3 times */
    {
        int n = 0;
        for (const char *p = log; (p = strstr(p, "refused: cannot connect"));
             p++)
            n++;
        assert_int_equal(n, 1);
    }
    free(log);

    /* the good host was written on time, every cycle */
    cpu = it_path(c->dir, "data/rrd/hv/good/cpu.rrd");
    last = it_rrd_lastupdate(cpu);
    assert_true(last > 0);
    /* written within a second of the cycle start (a multiple of 4 s), not
     * after the hung host's timeout */
    assert_true(last % 4 <= 1);
    free(cpu);
    /* the failed hosts wrote nothing, and their cluster is UNKNOWN */
    {
        char *d = it_path(c->dir, "data/rrd/hv/hung");
        struct stat st;
        assert_int_not_equal(stat(d, &st), 0);
        free(d);
        d = it_path(c->dir, "data/rrd/hv/refused");
        assert_int_not_equal(stat(d, &st), 0);
        free(d);
        d = it_path(c->dir, "data/rrd/cluster/c2/cpu.rrd");
        assert_true(isnan(tu_rrd_last(d, "capacity", 60)));
        free(d);
        d = it_path(c->dir, "data/rrd/cluster/c1/cpu.rrd");
        char *cpus = it_virsh_field("test:///default", "nodeinfo", "CPU(s)");
        assert_non_null(cpus);
        assert_float_equal(tu_rrd_last(d, "capacity", 60), strtod(cpus, NULL),
                           1e-9);
        free(cpus);
        free(d);
    }
    l.stop = 1;
    shutdown(l.fd, SHUT_RDWR);
    close(l.fd);
    pthread_join(th, NULL);
    for (int i = 0; i < l.n; i++)
        close(l.conns[i]);
    free(conf);
}

/* ---- archives and values against the fixtures ---- */

static const char *const WEB01 = "7f3c1a2e-0001-4a00-8000-00000000a001";
static const char *const OLD01 = "7f3c1a2e-0003-4a00-8000-00000000a003";
static const char *const MIG01 = "7f3c1a2e-0005-4a00-8000-0000000000ff";
static const char *const EVIL = "7f3c1a2e-0004-4a00-8000-00000000a004";

static char *fixture_config(const char *dir, const char *extra)
{
    char body[2048];
    snprintf(body, sizeof(body),
             "step = 2;\n"
             "hypervisors = (\n"
             " { name = \"hv-a\"; uri = \"test://%s/hv-a.xml\"; cluster = "
             "\"prod\"; },\n"
             " { name = \"hv-b\"; uri = \"test://%s/hv-b.xml\"; cluster = "
             "\"prod\"; }\n"
             ");\n%s",
             FIX, FIX, extra ? extra : "");
    return it_write_config(dir, body);
}

/* DS names of an archive, space separated, in the file's order. */
static char *ds_names(const char *file)
{
    char *out = NULL;
    assert_int_equal(
        tu_runf(&out,
                "rrdtool info '%s' | sed -n 's/^ds\\[\\(.*\\)\\]\\.index = "
                ".*/\\1/p' | tr '\\n' ' '",
                file),
        0);
    return out;
}

static double rrd_last(const char *dir, const char *rel, const char *ds)
{
    char *p = it_path(dir, "%s", rel);
    double v = tu_rrd_last(p, ds, 120);
    free(p);
    return v;
}

static double virsh_num(const char *uri, const char *args, const char *label)
{
    char *v = it_virsh_field(uri, args, label);
    double d;
    assert_non_null(v);
    d = strtod(v, NULL);
    free(v);
    return d;
}

static __attribute__((unused)) void test_archives_and_values(void **state)
{
    struct ctx *c = *state;
    char *conf = fixture_config(c->dir, NULL);
    char rel[512], *names, *out = NULL;
    const char *ua = "test://" FIX "/hv-a.xml";
    const char *ub = "test://" FIX "/hv-b.xml";

    assert_int_equal(it_run_sdcmond(c->dir, conf, "--cycles 3"), 0);

    /* every archive kind of DESIGN.md section 4, with its data sources */
    static const struct {
        const char *rel, *ds;
    } files[] = {
        {"hv/hv-a/cpu.rrd", "user system idle iowait cpus "},
        {"hv/hv-b/mem.rrd", "total free cached buffers "},
        {"cluster/prod/cpu.rrd", "used capacity vcpus "},
        {"cluster/prod/mem.rrd", "used capacity allocated "},
        {"pool/nfs.10.1.0.5.exports.vms/usage.rrd",
         "capacity allocation available "},
        {"pool/hv-a.default/usage.rrd", "capacity allocation available "},
        {"vm/7f3c1a2e-0001-4a00-8000-00000000a001/cpu.rrd",
         "time delay vcpus "},
        {"vm/7f3c1a2e-0001-4a00-8000-00000000a001/mem.rrd",
         "current maximum rss unused usable "},
        {"vm/7f3c1a2e-0001-4a00-8000-00000000a001/disk-vda.rrd",
         "rd_bytes wr_bytes rd_reqs wr_reqs capacity allocation "},
        {"vm/7f3c1a2e-0001-4a00-8000-00000000a001/net-52-54-00-0a-00-01.rrd",
         "rx_bytes tx_bytes rx_pkts tx_pkts rx_drop tx_drop rx_errs tx_errs "},
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *p;
        snprintf(rel, sizeof(rel), "data/rrd/%s", files[i].rel);
        p = it_path(c->dir, "%s", rel);
        names = ds_names(p);
        if (strcmp(names, files[i].ds) != 0)
            fail_msg("%s: data sources '%s', want '%s'", files[i].rel, names,
                     files[i].ds);
        free(names);
        /* heartbeat = 2 x step */
        char *hb = tu_rrd_info(p, "ds[capacity].minimal_heartbeat");
        if (!hb)
            hb = tu_rrd_info(p, "ds[cpus].minimal_heartbeat");
        if (hb) {
            assert_string_equal(hb, "4");
            free(hb);
        }
        free(p);
    }
    /* the shared NFS pool seen by both hosts is one archive; local pools
     * are one per host: default x2, san1-vms, archive-lun, vg0 */
    {
        char *pooldir = it_path(c->dir, "data/rrd/pool");
        assert_int_equal(it_count_files(pooldir, "usage.rrd"), 5);
        free(pooldir);
    }

    /* values equal what the driver reports */
    assert_float_equal(
        rrd_last(c->dir,
                 "data/rrd/vm/7f3c1a2e-0001-4a00-8000-00000000a001/cpu.rrd",
                 "vcpus"),
        virsh_num(ua, "dominfo web01", "CPU(s)"), 0);
    assert_float_equal(
        rrd_last(c->dir,
                 "data/rrd/vm/7f3c1a2e-0001-4a00-8000-00000000a001/mem.rrd",
                 "current"),
        virsh_num(ua, "dominfo web01", "Used memory") * 1024, 0);
    assert_float_equal(
        rrd_last(c->dir,
                 "data/rrd/vm/7f3c1a2e-0001-4a00-8000-00000000a001/mem.rrd",
                 "maximum"),
        virsh_num(ua, "dominfo web01", "Max memory") * 1024, 0);
    assert_float_equal(
        rrd_last(
            c->dir,
            "data/rrd/vm/7f3c1a2e-0001-4a00-8000-00000000a001/disk-vda.rrd",
            "capacity"),
        virsh_num(ua, "domblkinfo web01 vda", "Capacity"), 0);
    assert_float_equal(
        rrd_last(c->dir, "data/rrd/pool/nfs.10.1.0.5.exports.vms/usage.rrd",
                 "capacity"),
        virsh_num(ua, "pool-info san1-vms --bytes", "Capacity"), 0);
    assert_float_equal(
        rrd_last(c->dir, "data/rrd/pool/nfs.10.1.0.5.exports.vms/usage.rrd",
                 "allocation"),
        virsh_num(ub, "pool-info san1-vms --bytes", "Allocation"), 0);
    assert_float_equal(rrd_last(c->dir, "data/rrd/hv/hv-a/mem.rrd", "total"),
                       virsh_num(ua, "nodeinfo", "Memory size") * 1024, 0);
    assert_float_equal(rrd_last(c->dir, "data/rrd/hv/hv-b/cpu.rrd", "cpus"),
                       virsh_num(ub, "nodeinfo", "CPU(s)"), 0);
    /* rates: the test driver's counters follow the clock (README of the
     * fixtures): CPU time 1e9 ns/s, NIC rx 1e5 bytes/s, disk rd 5e4 bytes/s */
    {
        double cpu = rrd_last(
            c->dir, "data/rrd/vm/7f3c1a2e-0001-4a00-8000-00000000a001/cpu.rrd",
            "time");
        double rx = rrd_last(c->dir,
                             "data/rrd/vm/7f3c1a2e-0001-4a00-8000-00000000a001/"
                             "net-52-54-00-0a-00-01.rrd",
                             "rx_bytes");
        double rd = rrd_last(
            c->dir,
            "data/rrd/vm/7f3c1a2e-0001-4a00-8000-00000000a001/disk-vda.rrd",
            "rd_bytes");
        assert_true(isfinite(cpu) && cpu >= 0);
        assert_float_equal(cpu, 1e9, 2e7);
        assert_float_equal(rx, 1e5, 2e3);
        assert_float_equal(rd, 5e4, 1e3);
    }
    /* a shut-off VM has no CPU rate, but its disk size is known */
    snprintf(rel, sizeof(rel), "data/rrd/vm/%s/cpu.rrd", OLD01);
    assert_true(isnan(rrd_last(c->dir, rel, "time")));
    snprintf(rel, sizeof(rel), "data/rrd/vm/%s/disk-vda.rrd", OLD01);
    assert_true(rrd_last(c->dir, rel, "capacity") > 0);

    /* cluster: 32 + 16 CPUs; vCPUs of active VMs with mig01 once:
     * hv-a 2+8+1+2, hv-b 4+1+1 = 19; allocated 45 GiB + 7.5 GiB */
    assert_float_equal(
        rrd_last(c->dir, "data/rrd/cluster/prod/cpu.rrd", "capacity"),
        virsh_num(ua, "nodeinfo", "CPU(s)") +
            virsh_num(ub, "nodeinfo", "CPU(s)"),
        0);
    assert_float_equal(
        rrd_last(c->dir, "data/rrd/cluster/prod/cpu.rrd", "vcpus"), 19, 0);
    assert_float_equal(
        rrd_last(c->dir, "data/rrd/cluster/prod/mem.rrd", "allocated"),
        (47185920.0 + 7864320.0) * 1024, 0);
    assert_true(
        isfinite(rrd_last(c->dir, "data/rrd/cluster/prod/cpu.rrd", "used")));

    /* inventory: 8 distinct VMs, mig01 where it runs, names byte-exact */
    {
        char *db = it_path(c->dir, "data/inventory.db");
        assert_int_equal(
            tu_runf(&out, "sqlite3 '%s' 'select count(*) from vms'", db), 0);
        assert_int_equal(strtol(out, NULL, 10), 8);
        free(out);
        assert_int_equal(tu_runf(&out,
                                 "sqlite3 '%s' \"select host||':'||state from "
                                 "vms where uuid='%s'\"",
                                 db, MIG01),
                         0);
        assert_string_equal(out, "hv-a:running\n");
        free(out);
        assert_int_equal(
            tu_runf(&out,
                    "sqlite3 '%s' \"select name from vms where uuid='%s'\"", db,
                    EVIL),
            0);
        assert_string_equal(out,
                            "..\\evil <script>alert(1)<\\script> \xc3\xa9\n");
        free(out);
        assert_int_equal(
            tu_runf(&out,
                    "sqlite3 '%s' \"select owner from vms where uuid='%s'\"",
                    db, WEB01),
            0);
        assert_string_equal(out, "Revenue Dept\n");
        free(out);
        assert_int_equal(
            tu_runf(&out,
                    "sqlite3 '%s' 'select count(*) from snapshot_cluster'", db),
            0);
        assert_int_equal(strtol(out, NULL, 10), 1);
        free(out);
        free(db);
    }
    /* nothing outside rrd/ but the inventory and the pid file, and every
     * archive path is made of [A-Za-z0-9._-] */
    {
        char *data = it_path(c->dir, "data");
        assert_int_equal(
            tu_runf(&out,
                    "cd '%s' && find . -type f | grep -v "
                    "'^\\./rrd/[A-Za-z0-9._-]*/[A-Za-z0-9._-]*/"
                    "[A-Za-z0-9._-]*\\.rrd$' | grep -v '^\\./inventory\\.db' | "
                    "grep -v '^\\./sdcmond\\.pid$' |"
                    " grep -v '^\\./reports/\\.schedule$' || true",
                    data),
            0);
        assert_string_equal(out, "");
        free(out);
        free(data);
    }
    free(conf);
}

static __attribute__((unused)) void test_hostile_names(void **state)
{
    struct ctx *c = *state;
    char body[2048], *out = NULL, *data;
    /* hostile names of hypervisors and clusters from the config; the VMs
     * of the fixtures carry hostile names of their own */
    snprintf(body, sizeof(body),
             "step = 2;\n"
             "hypervisors = (\n"
             " { name = \"../../etc/x y\"; uri = \"test://%s/hv-a.xml\"; "
             "cluster = \"<script>alert(1)</script>\"; },\n"
             " { name = \"h\\u00e9/..\"; uri = \"test://%s/hv-b.xml\"; cluster "
             "= \"..\"; }\n"
             ");\n",
             FIX, FIX);
    char *conf = it_write_config(c->dir, body);
    assert_int_equal(it_run_sdcmond(c->dir, conf, "--cycles 2"), 0);
    data = it_path(c->dir, "data");
    /* every file is under data/rrd/ with a safe name, or the inventory */
    assert_int_equal(
        tu_runf(&out,
                "cd '%s' && find . -type f | grep -v "
                "'^\\./rrd/[A-Za-z0-9._-]*/[A-Za-z0-9._-]*/"
                "[A-Za-z0-9._-]*\\.rrd$' | grep -v '^\\./inventory\\.db' | "
                "grep -v '^\\./sdcmond\\.pid$' |"
                " grep -v '^\\./reports/\\.schedule$' || true",
                data),
        0);
    assert_string_equal(out, "");
    free(out);
    /* and nothing was written above the data directory */
    assert_int_equal(tu_runf(&out,
                             "find '%s' -mindepth 1 -newer '%s' -not -path "
                             "'%s*' -not -name sdcmond.log | head -5",
                             c->dir, conf, data),
                     0);
    assert_string_equal(out, "");
    free(out);
    assert_int_equal(tu_runf(&out,
                             "ls '%s/rrd/hv' '%s/rrd/cluster' | tr '\\n' ' '",
                             data, data),
                     0);
    assert_non_null(strstr(out, "_.._.._etc_x_y"));
    assert_non_null(strstr(out, "_script_alert_1___script_"));
    free(out);
    free(data);
    free(conf);
}

static __attribute__((unused)) void test_rename_keeps_archives(void **state)
{
    struct ctx *c = *state;
    char body[1024], *out = NULL, *conf, *xml, *cpu;
    long first, second;
    assert_int_equal(tu_runf(NULL, "cp '%s/hv-a.xml' '%s/hv.xml'", FIX, c->dir),
                     0);
    snprintf(body, sizeof(body),
             "step = 2;\nhypervisors = ( { name = \"hv\"; uri = "
             "\"test://%s/hv.xml\"; } );\n",
             c->dir);
    conf = it_write_config(c->dir, body);
    assert_int_equal(it_run_sdcmond(c->dir, conf, "--once"), 0);
    assert_true(asprintf(&cpu, "%s/data/rrd/vm/%s/cpu.rrd", c->dir, WEB01) > 0);
    first = it_rrd_lastupdate(cpu);
    assert_true(first > 0);
    /* rename web01 (same UUID) */
    assert_true(asprintf(&xml, "%s/hv.xml", c->dir) > 0);
    assert_int_equal(
        tu_runf(
            NULL,
            "sed -i 's|<name>web01</name>|<name>web01-renamed</name>|' '%s'",
            xml),
        0);
    sleep(1);
    assert_int_equal(it_run_sdcmond(c->dir, conf, "--once"), 0);
    second = it_rrd_lastupdate(cpu);
    assert_true(second > first);
    assert_int_equal(
        tu_runf(&out,
                "sqlite3 '%s/data/inventory.db' \"select name from vms where "
                "uuid='%s'; select count(*) from vm_names where uuid='%s'\"",
                c->dir, WEB01, WEB01),
        0);
    assert_string_equal(out, "web01-renamed\n2\n");
    free(out);
    /* no second archive directory appeared */
    assert_int_equal(tu_runf(&out, "ls '%s/data/rrd/vm' | wc -l", c->dir), 0);
    assert_int_equal(strtol(out, NULL, 10), 5);
    free(out);
    free(xml);
    free(cpu);
    free(conf);
}

/* ---- the daemon in the background: signals, kill -9, rrdcached ---- */

static pid_t start_sdcmond(const char *dir, const char *conf)
{
    char *log = it_path(dir, "sdcmond.log");
    char *argv[] = {(char *)tu_sdcmond(), "-c", (char *)conf, "--foreground",
                    NULL};
    pid_t pid = tu_spawn(argv, log);
    free(log);
    assert_true(pid > 0);
    return pid;
}

/* Wait until at least @n archives exist under DIR/data/rrd. */
static bool wait_archives(const char *dir, int n, int timeout_ms)
{
    char *rrd = it_path(dir, "data/rrd");
    bool ok = false;
    for (int waited = 0; waited <= timeout_ms && !ok; waited += 20) {
        ok = it_count_files(rrd, "*.rrd") >= n;
        if (!ok)
            usleep(20 * 1000);
    }
    free(rrd);
    return ok;
}

static char *demo_config(const char *dir, int step)
{
    char body[2048];
    const char *dc = SDC_SOURCE_DIR "/demo/dc";
    snprintf(body, sizeof(body),
             "step = %d;\nhypervisors = (\n"
             " { name = \"hv01\"; uri = \"test://%s/hv01.xml\"; cluster = "
             "\"prod-a\"; },\n"
             " { name = \"hv02\"; uri = \"test://%s/hv02.xml\"; cluster = "
             "\"prod-a\"; },\n"
             " { name = \"hv03\"; uri = \"test://%s/hv03.xml\"; cluster = "
             "\"prod-b\"; },\n"
             " { name = \"hv04\"; uri = \"test://%s/hv04.xml\"; cluster = "
             "\"prod-b\"; }\n);\n",
             step, dc, dc, dc, dc);
    return it_write_config(dir, body);
}

static __attribute__((unused)) void test_kill9_then_restart(void **state)
{
    struct ctx *c = *state;
    char *conf = demo_config(c->dir, 2);
    char *out = NULL, *rrd = it_path(c->dir, "data/rrd");
    pid_t pid = start_sdcmond(c->dir, conf);
    int before;

    /* the first cycle creates ~500 archives: kill it in the middle */
    assert_true(wait_archives(c->dir, 60, 60000));
    kill(pid, SIGKILL);
    assert_int_equal(tu_wait_exit(pid, 5000), 128 + SIGKILL);
    before = it_count_files(rrd, "*.rrd");
    assert_true(before >= 60);
    /* every archive reads */
    assert_int_equal(
        tu_runf(&out,
                "cd '%s' && find . -name '*.rrd' | while read f; do rrdtool "
                "info \"$f\" >/dev/null || echo \"BAD $f\"; done",
                rrd),
        0);
    assert_string_equal(out, "");
    free(out);
    /* a restart finishes the job and polling resumes */
    assert_int_equal(it_run_sdcmond(c->dir, conf, "--cycles 2"), 0);
    assert_true(it_count_files(rrd, "*.rrd") > before);
    assert_int_equal(
        tu_runf(&out,
                "cd '%s' && find . -name '*.rrd' | while read f; do rrdtool "
                "info \"$f\" >/dev/null || echo \"BAD $f\"; done",
                rrd),
        0);
    assert_string_equal(out, "");
    free(out);
    {
        char *log = it_read_log(c->dir);
        assert_non_null(strstr(log, "4/4 hypervisors answered, 100 VMs"));
        free(log);
    }
    {
        char *f = it_path(c->dir, "data/rrd/cluster/prod-a/cpu.rrd");
        assert_true(isfinite(tu_rrd_last(f, "vcpus", 30)));
        free(f);
    }
    free(rrd);
    free(conf);
}

static __attribute__((unused)) void test_sigterm_finishes_cycle(void **state)
{
    struct ctx *c = *state;
    char *conf = demo_config(c->dir, 2);
    char *log;
    pid_t pid = start_sdcmond(c->dir, conf);

    assert_true(wait_archives(c->dir, 30, 60000));
    kill(pid, SIGTERM);
    /* exits 0 once the cycle in flight is done, and not before */
    assert_int_equal(tu_wait_exit(pid, 60000), 0);
    log = it_read_log(c->dir);
    assert_non_null(strstr(log, "4/4 hypervisors answered, 100 VMs"));
    assert_non_null(strstr(log, "stopping after the cycle in flight"));
    assert_non_null(strstr(log, "sdcmond stopped"));
    free(log);
    {
        char *rrd = it_path(c->dir, "data/rrd");
        /* the whole first cycle was written: 505 archives */
        assert_int_equal(it_count_files(rrd, "*.rrd"), 505);
        free(rrd);
    }
    free(conf);
}

static __attribute__((unused)) void test_sighup_reload(void **state)
{
    struct ctx *c = *state;
    char body[1024];
    char *conf = fixture_config(c->dir, NULL);
    pid_t pid = start_sdcmond(c->dir, conf);

    assert_true(it_wait_log(c->dir, "2/2 hypervisors answered", 1, 20000));
    /* an invalid config: reported, the running one kept */
    assert_true(tu_write_file(
        conf, "step = 2;\nhypervisors = ( { name = \"x\"; } );\n", 0600));
    kill(pid, SIGHUP);
    assert_true(
        it_wait_log(c->dir, "keeping the running configuration", 1, 10000));
    assert_true(it_wait_log(c->dir, "2/2 hypervisors answered", 3, 20000));
    /* a valid one with a single hypervisor: taken */
    snprintf(body, sizeof(body),
             "data_dir = \"%s/data\";\nstep = 2;\nhypervisors = ( { name = "
             "\"hv-a\"; uri = \"test://%s/hv-a.xml\"; } );\n",
             c->dir, FIX);
    assert_true(tu_write_file(conf, body, 0600));
    kill(pid, SIGHUP);
    assert_true(it_wait_log(c->dir, "reload: 1 hypervisors", 1, 10000));
    assert_true(it_wait_log(c->dir, "1/1 hypervisors answered", 1, 20000));
    assert_int_equal(tu_stop(pid, 20000), 0);
    {
        char *log = it_read_log(c->dir);
        assert_non_null(strstr(log, "sdcmon.conf:2: missing key 'uri'"));
        free(log);
    }
    free(conf);
}

/* The update process's PID (a child of @agent started with --rrd-writer),
 * 0 when there is none. */
static pid_t writer_child(pid_t agent)
{
    char *out = NULL;
    long v = 0;
    if (tu_runf(&out, "pgrep -P %ld -f -- --rrd-writer", (long)agent) == 0)
        v = strtol(out, NULL, 10);
    free(out);
    return (pid_t)v;
}

/* The blocked-signal mask of @pid from /proc. */
static unsigned long long sig_blocked(pid_t pid)
{
    char *out = NULL;
    unsigned long long m = 0;
    if (tu_runf(&out, "sed -n 's/^SigBlk:\\t//p' /proc/%ld/status",
                (long)pid) == 0)
        m = strtoull(out, NULL, 16);
    free(out);
    return m;
}

/* Direct writes go through sdcmond's update process: it exists, does not
 * stop on SIGTERM, is replaced when killed without losing a cycle's
 * writes, and ends with the agent; write_process = false has none. */
static __attribute__((unused)) void test_update_process(void **state)
{
    struct ctx *c = *state;
    char *conf = fixture_config(c->dir, NULL);
    char *arch = it_path(c->dir, "data/rrd/hv/hv-a/mem.rrd");
    char *log;
    pid_t pid = start_sdcmond(c->dir, conf);
    pid_t child, child2;
    long last;

    assert_true(it_wait_log(c->dir, "2/2 hypervisors answered", 1, 20000));
    child = writer_child(pid);
    assert_true(child > 0);
    assert_true(sig_blocked(child) & (1ULL << (SIGTERM - 1)));
    assert_true(sig_blocked(child) & (1ULL << (SIGHUP - 1)));
    {
        /* it inherits no descriptor of the agent's (pid file, sockets,
         * databases) beyond standard input, output and error */
        char *out = NULL;
        assert_int_equal(tu_runf(&out,
                                 "ls /proc/%ld/fd | sort -n | tr '\\n' ' '",
                                 (long)child),
                         0);
        assert_string_equal(out, "0 1 2 ");
        free(out);
    }
    /* killed between cycles: the next cycles write every archive */
    assert_int_equal(kill(child, SIGKILL), 0);
    last = it_rrd_lastupdate(arch);
    assert_true(last > 0);
    assert_true(it_wait_log(c->dir, "2/2 hypervisors answered", 3, 20000));
    assert_true(it_rrd_lastupdate(arch) > last);
    child2 = writer_child(pid);
    assert_true(child2 > 0 && child2 != child);
    /* SIGTERM to the agent: the agent exits 0, its update process too */
    assert_int_equal(tu_stop(pid, 20000), 0);
    for (int i = 0; i < 100 && kill(child2, 0) == 0; i++)
        usleep(20 * 1000);
    assert_int_equal(kill(child2, 0), -1);
    log = it_read_log(c->dir);
    assert_non_null(strstr(log, " 0 write errors"));
    assert_null(strstr(log, "cannot update"));
    free(log);
    {
        /* no cycle logged a write error */
        char *out = NULL, *lp = it_path(c->dir, "sdcmond.log");
        assert_int_equal(
            tu_runf(&out, "grep -E ' [1-9][0-9]* write errors' '%s'", lp), 1);
        free(out);
        free(lp);
    }
    free(conf);

    /* write_process = false: no child, the archives are written all the
     * same */
    conf = fixture_config(c->dir, "write_process = false;\n");
    pid = start_sdcmond(c->dir, conf);
    last = it_rrd_lastupdate(arch);
    assert_true(it_wait_log(c->dir, "2/2 hypervisors answered", 6, 20000));
    assert_int_equal(writer_child(pid), 0);
    assert_true(it_rrd_lastupdate(arch) > last);
    assert_int_equal(tu_stop(pid, 20000), 0);
    free(conf);
    free(arch);
}

/* Ask rrdcached for a STATS line's value. */
static long rrdcached_stat(const char *sock, const char *key)
{
    char *out = NULL;
    long v = -1;
    if (tu_runf(
            &out,
            "printf 'STATS\\nQUIT\\n' | python3 -c \"import socket,sys; "
            "s=socket.socket(socket.AF_UNIX); s.connect('%s'); "
            "s.sendall(sys.stdin.buffer.read()); import time; time.sleep(0.3); "
            "print(s.recv(65536).decode())\" | sed -n 's/^%s: //p'",
            sock, key) == 0)
        v = strtol(out, NULL, 10);
    free(out);
    return v;
}

static __attribute__((unused)) void test_rrdcached_mode(void **state)
{
    struct ctx *c = *state;
    char extra[1024], *conf, *sock = it_path(c->dir, "rrdcached.sock");
    char *data = it_path(c->dir, "data"),
         *pidf = it_path(c->dir, "rrdcached.pid");
    char *rlog = it_path(c->dir, "rrdcached.log");
    char *f = it_path(c->dir, "data/rrd/hv/hv-a/mem.rrd");
    char addr[600];
    pid_t rc_pid, pid;
    long last_cycle;

    assert_int_equal(mkdir(data, 0755), 0);
    snprintf(addr, sizeof(addr), "unix:%s", sock);
    {
        char *argv[] = {"rrdcached", "-g", "-l", addr,   "-b", data,   "-B",
                        "-p",        pidf, "-w", "3600", "-f", "7200", NULL};
        rc_pid = tu_spawn(argv, rlog);
    }
    assert_true(rc_pid > 0);
    assert_true(tu_wait_unix_socket(sock, 10000));
    snprintf(extra, sizeof(extra), "rrdcached = \"unix:%s\";\n", sock);
    conf = fixture_config(c->dir, extra);
    pid = start_sdcmond(c->dir, conf);
    assert_true(it_wait_log(c->dir, "2/2 hypervisors answered", 3, 30000));
    /* rrdcached holds the updates: the file itself has not seen them */
    assert_true(rrdcached_stat(sock, "UpdatesReceived") > 0);
    last_cycle = it_rrd_lastupdate(f);
    assert_true(last_cycle > 0);
    assert_true(isnan(tu_rrd_last(f, "total", 60)));
    /* SIGTERM: sdcmond flushes on its way out, the data reaches the file */
    assert_int_equal(tu_stop(pid, 20000), 0);
    assert_true(it_rrd_lastupdate(f) > last_cycle);
    {
        double total = tu_rrd_last(f, "total", 60);
        assert_float_equal(total, 67108864.0 * 1024, 0);
    }
    assert_int_equal(tu_stop(rc_pid, 10000), 0);
    free(f);
    free(rlog);
    free(pidf);
    free(data);
    free(sock);
    free(conf);
}

/* Impossible figures from a driver: a pool whose volumes exceed its
 * capacity makes the test driver's "available" wrap to 16 EiB. */
static __attribute__((unused)) void test_bad_libvirt_values(void **state)
{
    struct ctx *c = *state;
    char body[1024], *conf, *f, *log;
    assert_int_equal(
        tu_runf(NULL,
                "sed '227s|<allocation unit=.GiB.>5</allocation>|<allocation "
                "unit=\"GiB\">500</allocation>|' '%s/hv-a.xml' > '%s/hv.xml'",
                FIX, c->dir),
        0);
    snprintf(body, sizeof(body),
             "step = 2;\nhypervisors = ( { name = \"hv\"; uri = "
             "\"test://%s/hv.xml\"; } );\n",
             c->dir);
    conf = it_write_config(c->dir, body);
    assert_int_equal(it_run_sdcmond(c->dir, conf, "--once"), 0);
    f = it_path(c->dir, "data/rrd/pool/hv.default/usage.rrd");
    assert_float_equal(tu_rrd_last(f, "capacity", 60), 107374182400.0, 0);
    assert_true(isnan(tu_rrd_last(f, "allocation", 60)));
    assert_true(isnan(tu_rrd_last(f, "available", 60)));
    log = it_read_log(c->dir);
    assert_non_null(strstr(log, "pool default reports capacity 107374182400"));
    free(log);
    free(f);
    free(conf);
}

/* Daemon mode: detaches, writes its pid file, refuses a second agent on the
 * same data directory, and stops on SIGTERM, removing the pid file. */
static __attribute__((unused)) void test_daemon_mode(void **state)
{
    struct ctx *c = *state;
    char *conf = fixture_config(c->dir, NULL);
    char *pidf = it_path(c->dir, "data/sdcmond.pid"), *text, *out = NULL;
    long pid;

    assert_int_equal(tu_runf(&out, "'%s' -c '%s'", tu_sdcmond(), conf), 0);
    free(out);
    assert_true(tu_wait_path(pidf, 10000));
    usleep(200 * 1000);
    text = tu_read_file(pidf);
    assert_non_null(text);
    pid = strtol(text, NULL, 10);
    free(text);
    assert_true(pid > 1);
    assert_int_equal(kill((pid_t)pid, 0), 0);
    /* a second agent on the same data directory is refused */
    assert_int_equal(tu_runf(&out, "'%s' -c '%s' --once", tu_sdcmond(), conf),
                     1);
    assert_non_null(strstr(out, "another sdcmond"));
    free(out);
    /* it polls: the archives appear */
    {
        char *f = it_path(c->dir, "data/rrd/hv/hv-a/cpu.rrd");
        assert_true(tu_wait_path(f, 10000));
        free(f);
    }
    kill((pid_t)pid, SIGTERM);
    for (int i = 0; i < 200 && kill((pid_t)pid, 0) == 0; i++)
        usleep(50 * 1000);
    assert_int_not_equal(kill((pid_t)pid, 0), 0);
    {
        struct stat st;
        assert_int_not_equal(stat(pidf, &st), 0);
    }
    free(pidf);
    free(conf);
}

int main(void)
{
    /* Two groups, built as two binaries so that ctest runs them side by
     * side: the poller's results, and the daemon's life cycle. */
#if SDC_ITEST_GROUP == 1
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_check_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hung_and_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_archives_and_values, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hostile_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_keeps_archives, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_libvirt_values, setup,
                                        teardown),
    };
#else
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kill9_then_restart, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sigterm_finishes_cycle, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sighup_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rrdcached_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_process, setup, teardown),
        cmocka_unit_test_setup_teardown(test_daemon_mode, setup, teardown),
    };
#endif
    if (!tu_which("rrdtool") || !tu_which("virsh")) {
        fprintf(stderr,
                "rrdtool and virsh are needed: run scripts/deps --test\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
