/*
 * test_libvirtd.c - sdcmond against a real libvirtd running QEMU guests
 * under software emulation, so that the bulk-stats path (cpu-total, balloon,
 * vcpu, interface, block) runs for real, and host CPU and memory come from a
 * real host.  libvirtd and the guests are started by
 * tests/integration/libvirtd-harness in a directory of the build tree and
 * stopped by PID at the end.  Skips (exit 77) only where the machine cannot
 * run libvirtd and QEMU at all, and says why.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "itest.h"
#include "testutil.h"

#define HARNESS SDC_SOURCE_DIR "/tests/integration/libvirtd-harness"
#define URI "qemu:///system"

static char hdir[] = SDC_BINARY_DIR "/itest-libvirtd";
static char uuid1[64], uuid2[64];

struct ctx {
    char *dir;
};

static int harness(const char *args, char **out)
{
    return tu_runf(out, "'%s' %s", HARNESS, args);
}

static int group_setup(void **state)
{
    char *out = NULL;
    int rc;
    (void)state;
    mkdir(hdir, 0755);
    rc =
        tu_runf(&out, "'%s' stop '%s' && '%s' start '%s' && '%s' guests '%s' 2",
                HARNESS, hdir, HARNESS, hdir, HARNESS, hdir);
    if (rc != 0) {
        fprintf(stderr, "libvirtd harness failed (%d):\n%s\n", rc, out);
        free(out);
        return -1;
    }
    /* lines "sdctest-K UUID" */
    for (char *line = out; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        sscanf(line, "sdctest-1 %63s", uuid1);
        sscanf(line, "sdctest-2 %63s", uuid2);
        line = nl ? nl + 1 : NULL;
    }
    free(out);
    if (!*uuid1 || !*uuid2) {
        fprintf(stderr, "libvirtd harness: no guest UUIDs\n");
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    char *out = NULL;
    (void)state;
    if (harness("stop '" SDC_BINARY_DIR "/itest-libvirtd'", &out) != 0)
        fprintf(stderr, "libvirtd harness stop: %s\n", out);
    free(out);
    return 0;
}

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    c->dir = tu_tmpdir("libvirtd");
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

static char *kvm_config(const char *dir, const char *uri)
{
    char body[1024];
    snprintf(body, sizeof(body),
             "step = 2;\nhypervisors = ( { name = \"kvm1\"; uri = \"%s\"; "
             "cluster = \"lab\"; timeout = 10; } );\n",
             uri);
    return it_write_config(dir, body);
}

static double last(const char *dir, const char *uuid, const char *file,
                   const char *ds)
{
    char *p = uuid ? it_path(dir, "data/rrd/vm/%s/%s", uuid, file)
                   : it_path(dir, "data/rrd/%s", file);
    double v = tu_rrd_last(p, ds, 60);
    free(p);
    return v;
}

/* A number printed by a shell pipeline. */
static double shell_num(const char *cmd)
{
    char *out = NULL;
    double v;
    assert_int_equal(tu_run(cmd, &out), 0);
    v = strtod(out, NULL);
    free(out);
    return v;
}

static void test_bulk_stats_real_guests(void **state)
{
    struct ctx *c = *state;
    char *conf = kvm_config(c->dir, URI), *log, cmd[512];
    const char *uuids[2] = {uuid1, uuid2};

    assert_int_equal(
        it_run_sdcmond(c->dir, conf, "--cycles 3 --log-level debug"), 0);
    log = it_read_log(c->dir);
    /* the bulk path was taken, with no per-domain fall-back calls */
    assert_non_null(strstr(log, "libvirt: host kvm1: 2 VMs"));
    assert_non_null(strstr(log, "bulk stats used, 0 per-domain calls"));
    free(log);

    for (int i = 0; i < 2; i++) {
        const char *u = uuids[i];
        char name[32];
        double vcpus, maxmem, cpu, disk_cap;
        snprintf(name, sizeof(name), "sdctest-%d", i + 1);
        /* every VM archive exists */
        static const char *const files[] = {"cpu.rrd", "mem.rrd",
                                            "disk-vda.rrd"};
        for (size_t k = 0; k < 3; k++) {
            char *p = it_path(c->dir, "data/rrd/vm/%s/%s", u, files[k]);
            struct stat st;
            assert_int_equal(stat(p, &st), 0);
            free(p);
        }
        {
            char *p = it_path(
                c->dir, "data/rrd/vm/%s/net-52-54-00-5d-c0-0%d.rrd", u, i + 1);
            struct stat st;
            if (stat(p, &st) != 0)
                fail_msg("no NIC archive %s", p);
            free(p);
        }
        /* disk capacity = qemu-img's virtual size, exactly */
        snprintf(cmd, sizeof(cmd),
                 "qemu-img info -U --output=json \"$(virsh -q -c %s domblklist "
                 "%s | awk '$1==\"vda\"{print $2}')\" | sed -n "
                 "'s/.*\"virtual-size\": *\\([0-9]*\\).*/\\1/p' | head -1",
                 URI, name);
        disk_cap = shell_num(cmd);
        assert_true(disk_cap > 0);
        assert_float_equal(last(c->dir, u, "disk-vda.rrd", "capacity"),
                           disk_cap, 0);
        /* vCPUs and balloon maximum = the domain XML */
        snprintf(cmd, sizeof(cmd),
                 "virsh -q -c %s dumpxml %s | sed -n "
                 "\"s/.*<vcpu[^>]*>\\([0-9]*\\)<.*/\\1/p\"",
                 URI, name);
        vcpus = shell_num(cmd);
        assert_float_equal(last(c->dir, u, "cpu.rrd", "vcpus"), vcpus, 0);
        snprintf(cmd, sizeof(cmd),
                 "virsh -q -c %s dumpxml %s | sed -n \"s/.*<memory "
                 "unit='KiB'>\\([0-9]*\\)<.*/\\1/p\"",
                 URI, name);
        maxmem = shell_num(cmd) * 1024;
        assert_float_equal(last(c->dir, u, "mem.rrd", "maximum"), maxmem, 0);
        /* CPU time: a rate above zero and below the vCPU count */
        cpu = last(c->dir, u, "cpu.rrd", "time");
        assert_true(cpu > 0);
        assert_true(cpu < vcpus * 1e9);
        /* per-vCPU delay is summed, finite */
        assert_true(isfinite(last(c->dir, u, "cpu.rrd", "delay")));
    }

    /* the pool matches virsh pool-info */
    snprintf(cmd, sizeof(cmd),
             "virsh -q -c %s pool-info sdctest-pool --bytes | awk "
             "'/^Capacity/{print $2}'",
             URI);
    assert_float_equal(
        last(c->dir, NULL, "pool/kvm1.sdctest-pool/usage.rrd", "capacity"),
        shell_num(cmd), 0);

    /* the host: real memory total and CPU busy */
    snprintf(cmd, sizeof(cmd),
             "virsh -q -c %s nodememstats | awk '/^total/{print $3}'", URI);
    assert_float_equal(last(c->dir, NULL, "hv/kvm1/mem.rrd", "total"),
                       shell_num(cmd) * 1024, 0);
    {
        double user = last(c->dir, NULL, "hv/kvm1/cpu.rrd", "user");
        double sys = last(c->dir, NULL, "hv/kvm1/cpu.rrd", "system");
        double cpus = last(c->dir, NULL, "hv/kvm1/cpu.rrd", "cpus");
        double busy = (user + sys) / 1e9;
        assert_true(cpus >= 1);
        assert_true(busy > 0);
        /* A rate over one step: on a machine kept fully busy (the QEMU
         * guests under emulation, and whatever else CI runs) it reads the
         * whole capacity, give or take the jitter between the moments the
         * counters were read (a CI run on 2 busy cores read at least 2). */
        assert_true(busy < cpus * 1.1);
        /* the cluster row comes from the host's own figures */
        assert_float_equal(
            last(c->dir, NULL, "cluster/lab/cpu.rrd", "capacity"), cpus, 0);
        assert_true(last(c->dir, NULL, "cluster/lab/cpu.rrd", "used") > 0);
        assert_float_equal(last(c->dir, NULL, "cluster/lab/cpu.rrd", "vcpus"),
                           2, 0);
    }
    free(conf);
}

static void test_libvirtd_stopped_between_cycles(void **state)
{
    struct ctx *c = *state;
    char *conf = kvm_config(c->dir, URI);
    char *logp = it_path(c->dir, "sdcmond.log");
    char *argv[] = {(char *)tu_sdcmond(), "-c", conf, "--foreground", NULL};
    pid_t pid = tu_spawn(argv, logp);
    char *log, *p;

    assert_true(it_wait_log(c->dir, "1/1 hypervisors answered", 1, 30000));
    assert_int_equal(
        harness("stop-daemon '" SDC_BINARY_DIR "/itest-libvirtd'", NULL), 0);
    /* the host fails fast: the cycle still ends within its step */
    assert_true(it_wait_log(c->dir, "0/1 hypervisors answered", 2, 30000));
    log = it_read_log(c->dir);
    p = strstr(log, "0/1 hypervisors answered");
    {
        double secs = -1;
        const char *s = strstr(p, "write errors, ");
        assert_non_null(s);
        secs = strtod(s + strlen("write errors, "), NULL);
        assert_true(secs < 2.0);
    }
    free(log);
    assert_int_equal(
        harness("start-daemon '" SDC_BINARY_DIR "/itest-libvirtd'", NULL), 0);
    /* reconnects (after its back-off) and polls again */
    assert_true(it_wait_log(c->dir, "1/1 hypervisors answered", 2, 40000));
    assert_int_equal(tu_stop(pid, 20000), 0);
    log = it_read_log(c->dir);
    assert_non_null(strstr(log, "connection established again"));
    free(log);
    free(logp);
    free(conf);
}

static void test_guests_change_between_cycles(void **state)
{
    struct ctx *c = *state;
    char *conf = kvm_config(c->dir, URI), *out = NULL, *p;
    long before, after;
    char uuid3[64] = "";

    assert_int_equal(it_run_sdcmond(c->dir, conf, "--once"), 0);
    p = it_path(c->dir, "data/rrd/vm/%s/cpu.rrd", uuid2);
    before = it_rrd_lastupdate(p);
    assert_true(before > 0);

    /* one guest destroyed and undefined, one defined and started */
    assert_int_equal(tu_runf(NULL,
                             "virsh -q -c %s destroy sdctest-1 && virsh -q -c "
                             "%s undefine sdctest-1",
                             URI, URI),
                     0);
    assert_int_equal(
        harness("guest '" SDC_BINARY_DIR "/itest-libvirtd' 3", &out), 0);
    sscanf(out, "sdctest-3 %63s", uuid3);
    free(out);
    assert_true(*uuid3);
    sleep(1);
    assert_int_equal(it_run_sdcmond(c->dir, conf, "--once"), 0);
    after = it_rrd_lastupdate(p);
    assert_true(after > before);
    free(p);
    p = it_path(c->dir, "data/rrd/vm/%s/cpu.rrd", uuid3);
    assert_true(it_rrd_lastupdate(p) > 0);
    free(p);
    assert_int_equal(tu_runf(&out,
                             "sqlite3 '%s/data/inventory.db' \"select name, "
                             "deleted_at is not null from vms order by name\"",
                             c->dir),
                     0);
    assert_string_equal(out, "sdctest-1|1\nsdctest-2|0\nsdctest-3|0\n");
    free(out);

    /* a guest renamed: its archives (keyed by UUID) continue */
    assert_int_equal(
        tu_runf(
            NULL,
            "virsh -q -c %s destroy sdctest-2 && virsh -q -c %s domrename "
            "sdctest-2 sdctest-renamed && virsh -q -c %s start sdctest-renamed",
            URI, URI, URI),
        0);
    sleep(1);
    assert_int_equal(it_run_sdcmond(c->dir, conf, "--once"), 0);
    p = it_path(c->dir, "data/rrd/vm/%s/cpu.rrd", uuid2);
    assert_true(it_rrd_lastupdate(p) > after);
    free(p);
    assert_int_equal(tu_runf(&out,
                             "sqlite3 '%s/data/inventory.db' \"select name "
                             "from vms where uuid='%s'\"",
                             c->dir, uuid2),
                     0);
    assert_string_equal(out, "sdctest-renamed\n");
    free(out);
    /* put the name back for later tests */
    assert_int_equal(tu_runf(NULL,
                             "virsh -q -c %s destroy sdctest-renamed && virsh "
                             "-q -c %s domrename sdctest-renamed sdctest-2 && "
                             "virsh -q -c %s start sdctest-2",
                             URI, URI, URI),
                     0);
    free(conf);
}

/* The test driver served through the real daemon: the RPC protocol. */
static void test_test_driver_over_rpc(void **state)
{
    struct ctx *c = *state;
    char uri[512], *conf, *out = NULL;
    snprintf(uri, sizeof(uri), "test+unix://%s/tests/fixtures/hv-a.xml",
             SDC_SOURCE_DIR);
    conf = kvm_config(c->dir, uri);
    assert_int_equal(it_run_sdcmond(c->dir, conf, "--cycles 2"), 0);
    assert_int_equal(tu_runf(&out, "ls '%s/data/rrd/vm' | wc -l", c->dir), 0);
    assert_int_equal(strtol(out, NULL, 10), 5);
    free(out);
    assert_float_equal(last(c->dir, "7f3c1a2e-0001-4a00-8000-00000000a001",
                            "cpu.rrd", "vcpus"),
                       2, 0);
    free(conf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bulk_stats_real_guests, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_guests_change_between_cycles,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_test_driver_over_rpc, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_libvirtd_stopped_between_cycles,
                                        setup, teardown),
    };
    char *why = NULL;
    if (harness("can-run", &why) == 77) {
        fprintf(stderr,
                "skipped: this machine cannot run libvirtd with QEMU: %s\n",
                why);
        free(why);
        return 77;
    }
    free(why);
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
