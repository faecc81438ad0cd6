/*
 * test_inventory_cycles.c - the real sdcmond over libvirt's test driver
 * (tests/fixtures/hv-a.xml and hv-b.xml: a migrating VM listed by both, a
 * shared NFS pool) records the inventory once and then, cycle after cycle,
 * writes no row while every listed row's last_seen follows the cycles; a
 * restart writes every row once again.
 *
 * What sdcmond did per cycle comes from its debug line "inventory: cycle
 * T: W rows written, U unchanged"; what readers see is read with sqlite3.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"
#include "testutil.h"

#define FIX SDC_SOURCE_DIR "/tests/fixtures"
#define MAX_CYCLES 16

struct ctx {
    char *dir;
};

struct inv_line {
    long long t;
    long written;
    long unchanged;
};

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    c->dir = tu_tmpdir("invcyc");
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

/* The inventory debug lines of the log, in order; returns how many. */
static int inv_lines(const char *dir, struct inv_line *out, int max)
{
    char *log = it_read_log(dir);
    const char *p = log;
    int n = 0;

    assert_non_null(log);
    while (n < max && (p = strstr(p, "inventory: cycle "))) {
        struct inv_line l;
        if (sscanf(p, "inventory: cycle %lld: %ld rows written, %ld unchanged",
                   &l.t, &l.written, &l.unchanged) == 3)
            out[n++] = l;
        p++;
    }
    free(log);
    return n;
}

static long q_long(const char *db, const char *sql)
{
    char *out = NULL, *end;
    long v;
    assert_int_equal(tu_runf(&out, "sqlite3 '%s' \"%s\"", db, sql), 0);
    assert_non_null(out);
    v = strtol(out, &end, 10);
    if (end == out || (*end != '\n' && *end != '\0'))
        fail_msg("not a number from %s: [%s]", sql, out);
    free(out);
    return v;
}

static void test_steady_cycles_write_nothing(void **state)
{
    struct ctx *c = *state;
    char body[1024], sql[512];
    struct inv_line l[MAX_CYCLES];
    char *conf, *db;
    long rows;
    int n;

    snprintf(body, sizeof(body),
             "step = 1;\n"
             "hypervisors = (\n"
             " { name = \"hv-a\"; uri = \"test://%s/hv-a.xml\"; cluster = "
             "\"prod\"; },\n"
             " { name = \"hv-b\"; uri = \"test://%s/hv-b.xml\"; cluster = "
             "\"prod\"; }\n"
             ");\n",
             FIX, FIX);
    conf = it_write_config(c->dir, body);
    db = it_path(c->dir, "data/inventory.db");
    assert_int_equal(
        it_run_sdcmond(c->dir, conf, "--cycles 4 --log-level debug"), 0);
    n = inv_lines(c->dir, l, MAX_CYCLES);
    assert_int_equal(n, 4);

    /* the first cycle wrote every row of the file once */
    rows = q_long(db, "SELECT (SELECT COUNT(*) FROM hypervisors) +"
                      " (SELECT COUNT(*) FROM vms) +"
                      " (SELECT COUNT(*) FROM disks) +"
                      " (SELECT COUNT(*) FROM nics) +"
                      " (SELECT COUNT(*) FROM pools) +"
                      " (SELECT COUNT(*) FROM pool_hosts) +"
                      " (SELECT COUNT(*) FROM volumes)");
    assert_true(rows > 20);
    assert_int_equal(l[0].written, rows);
    /* the later ones wrote none, and found the same listing unchanged */
    for (int i = 1; i < n; i++) {
        assert_true(l[i].t > l[i - 1].t);
        assert_int_equal(l[i].written, 0);
        assert_true(l[i].unchanged > 0);
        assert_int_equal(l[i].unchanged, l[1].unchanged);
    }

    /* readers: every hypervisor, VM, disk and NIC was last seen in the
     * last cycle, and first seen in the first */
    {
        static const char *const tables[] = {"hypervisors", "vms", "disks",
                                             "nics"};
        for (size_t i = 0; i < sizeof(tables) / sizeof(*tables); i++) {
            long all, last;
            snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", tables[i]);
            all = q_long(db, sql);
            assert_true(all > 0);
            snprintf(sql, sizeof(sql),
                     "SELECT COUNT(*) FROM %s WHERE last_seen = %lld AND"
                     " first_seen = %lld",
                     tables[i], l[n - 1].t, l[0].t);
            last = q_long(db, sql);
            assert_int_equal(last, all);
        }
    }
    /* no event beyond the first cycle's "created" */
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM events WHERE t > %lld",
             l[0].t);
    assert_int_equal(q_long(db, sql), 0);
    assert_int_equal(q_long(db, "SELECT COUNT(*) FROM events"),
                     q_long(db, "SELECT COUNT(*) FROM vms"));

    /* a restart remembers nothing: its first cycle writes every row once */
    assert_int_equal(
        it_run_sdcmond(c->dir, conf, "--cycles 2 --log-level debug"), 0);
    n = inv_lines(c->dir, l, MAX_CYCLES);
    assert_int_equal(n, 6);
    assert_int_equal(l[4].written, rows);
    assert_int_equal(l[5].written, 0);
    assert_int_equal(l[5].unchanged, l[1].unchanged);
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM vms WHERE last_seen = %lld AND"
             " deleted_at IS NULL",
             l[5].t);
    assert_int_equal(q_long(db, sql), q_long(db, "SELECT COUNT(*) FROM vms"));
    free(db);
    free(conf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_steady_cycles_write_nothing, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
