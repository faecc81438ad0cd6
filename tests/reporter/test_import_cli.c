/*
 * test_import_cli.c - the sdcmon-import program: exit codes, FILE:LINE
 * messages and their cap, the summary, progress only on a terminal, the
 * data directory's lock against a running sdcmond (a real one, polling
 * libvirt's test driver) and --force merging while it writes.
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
#include <time.h>
#include <unistd.h>

#include "integration/itest.h"
#include "testutil.h"

#define TEST_VM "6695eb01-f6a4-8304-79aa-97f2502e193f" /* test:///default */

struct ctx {
    char *dir;
    char *conf;
};

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    c->dir = tu_tmpdir("importcli");
    assert_non_null(c->dir);
    c->conf = it_write_config(c->dir, "step = 60;\n");
    assert_non_null(c->conf);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    tu_rmrf(c->dir);
    free(c->dir);
    free(c->conf);
    free(c);
    return 0;
}

static const char *bin(void)
{
    return SDC_BINARY_DIR "/sdcmon-import";
}

/* Run sdcmon-import with @args (stdout and stderr together in *@out). */
static int run(char **out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int run(char **out, const char *fmt, ...)
{
    char args[4096];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    return tu_runf(out, "'%s' %s", bin(), args);
}

/* An hourly history of @hours rows for @archive / @ds, ending @end_back
 * hours before now, into DIR/@name. */
static char *hourly_csv(const char *dir, const char *name, const char *archive,
                        const char *ds, int hours, int end_back)
{
    char *path = it_path(dir, "%s", name);
    FILE *fp = fopen(path, "w");
    time_t now = time(NULL);
    time_t t0 = now - now % 3600 - (time_t)(end_back + hours) * 3600;

    assert_non_null(fp);
    fprintf(fp, "time,archive,ds,value\n");
    for (int i = 0; i < hours; i++)
        fprintf(fp, "%lld,%s,%s,%d\n", (long long)(t0 + i * 3600), archive, ds,
                3);
    fclose(fp);
    return path;
}

static void test_usage(void **state)
{
    struct ctx *c = *state;
    char *out = NULL;

    assert_int_equal(run(&out, "--help"), 0);
    assert_non_null(strstr(out, "Inventory CSV"));
    assert_non_null(strstr(out, "Exit status"));
    free(out);
    assert_int_equal(run(&out, "%s", ""), 2);
    free(out);
    assert_int_equal(run(&out, "x.csv"), 2);
    assert_non_null(strstr(out, "-c FILE is required"));
    free(out);
    assert_int_equal(run(&out, "-c '%s'", c->conf), 2);
    assert_non_null(strstr(out, "no CSV file"));
    free(out);
    assert_int_equal(run(&out, "-c '%s' -j 0 x.csv", c->conf), 2);
    free(out);
    assert_int_equal(run(&out, "-c '%s/none.conf' x.csv", c->dir), 2);
    free(out);
    /* a file that cannot be opened: nothing imported */
    assert_int_equal(run(&out, "-c '%s' '%s/none.csv'", c->conf, c->dir), 3);
    assert_non_null(strstr(out, "cannot open"));
    free(out);
}

static void test_history_ok(void **state)
{
    struct ctx *c = *state;
    char *csv = hourly_csv(c->dir, "h.csv", "hv/hv01/mem", "total", 48, 2);
    char *pidf = it_path(c->dir, "data/sdcmond.pid");
    char *out = NULL;
    struct stat st;

    assert_int_equal(run(&out, "-c '%s' '%s'", c->conf, csv), 0);
    assert_non_null(strstr(out, "rows: 48 read, 48 loaded, 0 skipped"));
    assert_non_null(strstr(out, "archives: 1 (1 created"));
    assert_non_null(strstr(out, "rows/s"));
    assert_null(strchr(out, '\r')); /* no progress off a terminal */
    free(out);
    /* the pid file made for the import is gone */
    assert_int_not_equal(stat(pidf, &st), 0);
    /* --quiet: nothing at all */
    assert_int_equal(run(&out, "-c '%s' -q '%s'", c->conf, csv), 0);
    assert_string_equal(out, "");
    free(out);
    free(pidf);
    free(csv);
}

static void test_bad_rows_capped(void **state)
{
    struct ctx *c = *state;
    char *csv = it_path(c->dir, "bad.csv");
    FILE *fp = fopen(csv, "w");
    char *out = NULL;
    int lines = 0;

    assert_non_null(fp);
    fprintf(fp, "time,archive,ds,value\n");
    fprintf(fp, "%lld,hv/hv01/mem,total,1\n", (long long)time(NULL) - 600);
    fprintf(fp, "2026-13-01,hv/hv01/mem,total,1\n");
    for (int i = 0; i < 29; i++)
        fprintf(fp, "%lld,hv/hv01/mem,totl,1\n", (long long)time(NULL) - 600);
    fclose(fp);
    assert_int_equal(run(&out, "-c '%s' --max-messages 5 '%s'", c->conf, csv),
                     1);
    assert_non_null(strstr(out, "bad.csv:3: time '2026-13-01' is not epoch "
                                "seconds or ISO 8601"));
    assert_non_null(strstr(out, "bad.csv:4: archive 'hv/hv01/mem' has no data "
                                "source 'totl'"));
    for (const char *p = out; (p = strstr(p, "bad.csv:")); p++)
        lines++;
    assert_int_equal(lines, 5);
    assert_non_null(strstr(out, "... 25 more not shown"));
    assert_non_null(strstr(out, "30 skipped (1 bad time, 29 unknown data "
                                "source)"));
    assert_non_null(strstr(out, "some rows were not loaded"));
    free(out);
    free(csv);
}

static void test_no_header(void **state)
{
    struct ctx *c = *state;
    char *csv = it_path(c->dir, "nohead.csv");
    char *out = NULL;

    assert_true(tu_write_file(csv, "1769900400,hv/hv01/mem,total,1\n", 0644));
    assert_int_equal(run(&out, "-c '%s' '%s'", c->conf, csv), 2);
    assert_non_null(strstr(out, "nohead.csv:1: the first line must be the "
                                "header"));
    free(out);
    free(csv);
}

/* On a terminal (script(1) gives it one) a progress line is redrawn. */
static void test_progress_on_tty(void **state)
{
    struct ctx *c = *state;
    char *csv = hourly_csv(c->dir, "h.csv", "hv/hv01/mem", "total", 24, 1);
    char *out = NULL;

    if (!tu_which("script")) {
        free(csv);
        skip();
    }
    assert_int_equal(tu_runf(&out,
                             "script -qec \"'%s' -c '%s' '%s'\" /dev/null",
                             bin(), c->conf, csv),
                     0);
    assert_non_null(strstr(out, "\r\033[K"));
    assert_non_null(strstr(out, "reading "));
    assert_non_null(strstr(out, "rows: 24 read"));
    free(out);
    free(csv);
}

static void test_inventory(void **state)
{
    struct ctx *c = *state;
    char *csv = it_path(c->dir, "inv.csv");
    char *out = NULL;

    assert_true(tu_write_file(
        csv,
        "kind,id,name,host,cluster,cpus,cores,memory_bytes,vcpus,state\n"
        "hypervisor,hv01,,,prod-a,64,32,274877906944,,\n"
        "vm," TEST_VM ",test,hv01,,,,1073741824,2,running\n"
        "vm,x,y,hv01,,,,,,sleeping\n",
        0644));
    assert_int_equal(run(&out, "-c '%s' --inventory '%s'", c->conf, csv), 1);
    assert_non_null(strstr(out, "inv.csv:4: state 'sleeping'"));
    assert_non_null(strstr(out, "3 rows, 1 skipped"));
    assert_non_null(strstr(out, "hypervisor       1 added"));
    assert_non_null(strstr(out, "vm               1 added"));
    free(out);
    assert_int_equal(tu_runf(&out,
                             "sqlite3 '%s/data/inventory.db' 'SELECT "
                             "cluster FROM vms'",
                             c->dir),
                     0);
    assert_string_equal(out, "prod-a\n");
    free(out);
    free(csv);
}

/* A running sdcmond holds the pid file: the import is refused, and with
 * --force it merges the archive sdcmond is writing, which goes on. */
static void test_sdcmond_running(void **state)
{
    struct ctx *c = *state;
    char *conf = it_write_config(
        c->dir, "step = 2;\nhypervisors = ( { name = \"h\"; uri = "
                "\"test:///default\"; } );\n"
                "retention = { step_days = 0.05; min5_days = 1.0; hour_days = "
                "30.0; day_days = 60.0; };\n");
    char *log = it_path(c->dir, "sdcmond.log");
    char *pidf = it_path(c->dir, "data/sdcmond.pid");
    char *rrd = it_path(c->dir, "data/rrd/vm/" TEST_VM "/cpu.rrd");
    char *csv =
        hourly_csv(c->dir, "vm.csv", "vm/" TEST_VM "/cpu", "vcpus", 24 * 5, 24);
    char *argv[] = {(char *)tu_sdcmond(), "-c", conf, "--foreground", NULL};
    char *out = NULL;
    long before, after;
    time_t t_import;
    pid_t pid;

    pid = tu_spawn(argv, log);
    assert_true(pid > 0);
    assert_true(tu_wait_path(pidf, 10000));
    assert_true(tu_wait_path(rrd, 15000));

    assert_int_equal(run(&out, "-c '%s' '%s'", conf, csv), 3);
    assert_non_null(strstr(out, "is running on"));
    assert_non_null(strstr(out, "--force"));
    free(out);

    t_import = time(NULL);
    assert_int_equal(run(&out, "-c '%s' --force '%s'", conf, csv), 0);
    assert_non_null(strstr(out, "importing anyway"));
    assert_non_null(strstr(out, "1 merged with existing data"));
    free(out);
    /* sdcmond writes the swapped archive on */
    before = it_rrd_lastupdate(rrd);
    for (int i = 0; i < 100 && it_rrd_lastupdate(rrd) <= before; i++)
        usleep(100 * 1000);
    after = it_rrd_lastupdate(rrd);
    assert_true(after > before);
    assert_true(after > t_import);
    assert_int_equal(tu_stop(pid, 20000), 0);

    /* the history reads back at 1 hour, sdcmond's rows at one step */
    assert_false(isnan(tu_rrd_last(rrd, "vcpus", 3 * 86400)));
    {
        time_t now = time(NULL);
        time_t h = now - now % 3600 - 24 * 3 * 3600;
        assert_int_equal(tu_runf(&out,
                                 "rrdtool fetch '%s' AVERAGE -r 3600 "
                                 "-s %lld -e %lld",
                                 rrd, (long long)h - 3600, (long long)h),
                         0);
        assert_non_null(strstr(out, "3.0000000000e+00"));
        free(out);
    }
    assert_false(isnan(tu_rrd_last(rrd, "vcpus", 10)));
    free(conf);
    free(log);
    free(pidf);
    free(rrd);
    free(csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_rows_capped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_progress_on_tty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inventory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sdcmond_running, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
