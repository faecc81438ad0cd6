/*
 * test_inventory_changes.c - the inventory writes only rows that are new or
 * changed, and moves last_seen of the others.
 *
 * Row writes are counted by triggers that the sqlite3 command-line tool adds
 * to the file (an INSERT, or an UPDATE that sets any column but last_seen),
 * and by inv_get_stats().  What readers see is read back with sqlite3.  The
 * main check is differential: the same sequence of cycles - changes, a
 * rename, a state change, a deletion and return, a detached disk, a host
 * that fails, a migration, a cluster change, an outside write - is recorded
 * into one database through one connection (which remembers what it wrote)
 * and into another through a fresh connection every cycle (which writes
 * every row, as every cycle did before), and the two files must hold the
 * same rows, events and times after every cycle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inventory.h"
#include "sdc/sample.h"
#include "testutil.h"

#define GiB (1024ULL * 1024 * 1024)

/* hvA's and hvB's VMs in the scenario */
#define NA 20
#define NB 10

struct fx {
    char *dir;
    char *fast_path; /* one connection throughout */
    char *slow_path; /* a new connection every cycle */
    struct inv *fast;
};

static time_t base_time(void)
{
    return tu_local_time(2024, 5, 14, 11);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct sdc_error err = {0};
    assert_non_null(f);
    f->dir = tu_tmpdir("invchg");
    assert_non_null(f->dir);
    assert_true(asprintf(&f->fast_path, "%s/fast.db", f->dir) > 0);
    assert_true(asprintf(&f->slow_path, "%s/slow.db", f->dir) > 0);
    assert_int_equal(inv_open(f->fast_path, &f->fast, &err), SDC_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    inv_close(f->fast);
    tu_rmrf(f->dir);
    free(f->fast_path);
    free(f->slow_path);
    free(f->dir);
    free(f);
    return 0;
}

/* ---- sqlite3 read-back ------------------------------------------------- */

/* Output of one query on @path, trailing newlines cut; caller frees.  @sql
 * must not contain double quotes, '$' or backquotes. */
static char *q(const char *path, const char *sql)
{
    char *out = NULL;
    int rc = tu_runf(&out, "sqlite3 '%s' \"%s\"", path, sql);
    assert_non_null(out);
    if (rc != 0)
        fail_msg("sqlite3 failed (%d): %s: %s", rc, sql, out);
    size_t len = strlen(out);
    while (len > 0 && out[len - 1] == '\n')
        out[--len] = '\0';
    return out;
}

static void assert_q(const char *path, const char *sql, const char *want)
{
    char *got = q(path, sql);
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "query: %s\n got: [%s]\nwant: [%s]\n", sql, got, want);
        free(got);
        fail();
    }
    free(got);
}

static long q_long(const char *path, const char *sql)
{
    char *s = q(path, sql), *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0')
        fail_msg("not a number from %s: [%s]", sql, s);
    free(s);
    return v;
}

/* The whole content of both files is the same (schema, every row in rowid
 * order; not the planner's statistics that PRAGMA optimize leaves at
 * close); on a difference, diff's output is shown. */
static void assert_same_db(const struct fx *f, const char *when)
{
    char *out = NULL;
    int rc = tu_runf(&out,
                     "cd '%s' && for db in fast slow; do sqlite3 $db.db"
                     " .dump | grep -v -e sqlite_stat1 -e '^ANALYZE'"
                     " > $db.sql || exit 1; done;"
                     " diff slow.sql fast.sql | head -40",
                     f->dir);
    assert_int_equal(rc, 0);
    assert_non_null(out);
    if (out[0] != '\0')
        fail_msg("%s: the two inventories differ (< rewrite every row, > "
                 "write changes only):\n%s",
                 when, out);
    free(out);
    /* a dump that says nothing would compare equal too */
    assert_true(q_long(f->fast_path, "SELECT COUNT(*) FROM vms") > 0);
}

/* ---- the scenario ------------------------------------------------------- */

static struct sdc_batch *hv_batch(const char *host, const char *cluster,
                                  time_t t)
{
    struct sdc_batch *b = sdc_batch_new(host, t);
    struct sdc_hv_info hv = {0};
    assert_non_null(b);
    b->ok = true;
    hv.name = (char *)host;
    hv.cluster = (char *)cluster;
    hv.uri = "qemu+ssh://root@hv/system";
    hv.model = "x86_64";
    hv.hostname = (char *)host;
    hv.cpus = 64;
    hv.cores = 32;
    hv.memory = 512 * GiB;
    assert_int_equal(sdc_batch_set_hv(b, &hv), SDC_OK);
    return b;
}

static void add_vm(struct sdc_batch *b, const char *uuid, const char *name,
                   enum sdc_vm_state s, int vcpus, uint64_t mem)
{
    struct sdc_vm_info vm = {0};
    vm.uuid = (char *)uuid;
    vm.name = (char *)name;
    vm.host = b->source;
    vm.owner = "dept-of-tests";
    vm.state = s;
    vm.vcpus = vcpus;
    vm.max_vcpus = 8;
    vm.memory = mem;
    vm.max_memory = 16 * GiB;
    assert_int_equal(sdc_batch_add_vm(b, &vm), SDC_OK);
}

static void add_disk(struct sdc_batch *b, const char *uuid, const char *target,
                     uint64_t cap, uint64_t alloc)
{
    struct sdc_disk_info d = {0};
    char src[128];
    snprintf(src, sizeof(src), "/var/lib/libvirt/images/%s-%s.qcow2", uuid,
             target);
    d.vm_uuid = (char *)uuid;
    d.target = (char *)target;
    d.source = src;
    d.capacity = cap;
    d.allocation = alloc;
    assert_int_equal(sdc_batch_add_disk(b, &d), SDC_OK);
}

static void add_nic(struct sdc_batch *b, const char *uuid, const char *mac,
                    const char *net)
{
    struct sdc_nic_info n = {0};
    n.vm_uuid = (char *)uuid;
    n.mac = (char *)mac;
    n.target = "vnet0";
    n.network = (char *)net;
    assert_int_equal(sdc_batch_add_nic(b, &n), SDC_OK);
}

static void add_pool(struct sdc_batch *b, const char *key, bool shared,
                     uint64_t cap, uint64_t alloc)
{
    struct sdc_pool_info p = {0};
    p.key = (char *)key;
    p.name = shared ? "store" : "default";
    p.host = b->source;
    p.type = shared ? "netfs" : "dir";
    p.source = shared ? "10.1.0.5:/exports/vms" : NULL;
    p.shared = shared;
    p.active = true;
    p.capacity = cap;
    p.allocation = alloc;
    p.available = cap - alloc;
    assert_int_equal(sdc_batch_add_pool(b, &p), SDC_OK);
}

static void add_volume(struct sdc_batch *b, const char *key, const char *name,
                       uint64_t cap, uint64_t alloc)
{
    struct sdc_volume_info v = {0};
    char path[256];
    snprintf(path, sizeof(path), "/pool/%s/%s", key, name);
    v.pool_key = (char *)key;
    v.name = (char *)name;
    v.path = path;
    v.capacity = cap;
    v.allocation = alloc;
    assert_int_equal(sdc_batch_add_volume(b, &v), SDC_OK);
}

/* One VM with 2 disks and 2 NICs; @mods says what cycle k changed. */
struct vm_spec {
    const char *name;
    enum sdc_vm_state state;
    int vcpus;
    uint64_t memory;
    uint64_t vdb_alloc; /* 0: vdb not attached */
    const char *net2;
};

static void add_full_vm(struct sdc_batch *b, const char *uuid,
                        const struct vm_spec *s)
{
    char mac[32];
    unsigned h = 0;
    for (const char *p = uuid; *p; p++)
        h = h * 31 + (unsigned char)*p;
    add_vm(b, uuid, s->name, s->state, s->vcpus, s->memory);
    add_disk(b, uuid, "vda", 20 * GiB, 5 * GiB);
    if (s->vdb_alloc)
        add_disk(b, uuid, "vdb", 100 * GiB, s->vdb_alloc);
    snprintf(mac, sizeof(mac), "52:54:00:%02x:%02x:01", (h >> 8) & 0xff,
             h & 0xff);
    add_nic(b, uuid, mac, "br0");
    snprintf(mac, sizeof(mac), "52:54:00:%02x:%02x:02", (h >> 8) & 0xff,
             h & 0xff);
    add_nic(b, uuid, mac, s->net2);
}

static struct vm_spec base_spec(const char *name)
{
    struct vm_spec s = {name, SDC_VM_RUNNING, 2, 4 * GiB, 10 * GiB, "br1"};
    return s;
}

/*
 * The batches of cycle @k (hvA, hvB):
 *   0  first sight of everything
 *   1  the same again
 *   2  a01 memory, a02 vCPUs, a03 state, a04 renamed, a05's vdb
 *      allocation, a06's second NIC network, hvA.default allocation, one
 *      volume's allocation
 *   3  a07 gone (deleted), a08's vdb detached, hvB fails (with a stale,
 *      renamed listing that must be ignored)
 *   4  a07 back, a08's vdb back as it was, hvB answers with cluster c2
 *      (its VMs move cluster), b00 migrates: running on hvA, paused on hvB
 *   5  b00 only on hvA; hvB sees the shared pool fuller than hvA does
 *   6  a04 takes its old name back; the shared pool agrees again
 *   7  the same as 6
 */
static size_t scenario(int k, time_t t, struct sdc_batch **b)
{
    char uuid[16], name[32];

    b[0] = hv_batch("hvA", "c1", t);
    b[1] = hv_batch("hvB", k >= 4 ? "c2" : "c1", t);
    for (int i = 0; i < NA; i++) {
        struct vm_spec s;
        snprintf(uuid, sizeof(uuid), "a%02d", i);
        snprintf(name, sizeof(name), "web-%02d", i);
        s = base_spec(name);
        if (i == 7 && k == 3)
            continue;
        if (i == 1 && k >= 2)
            s.memory = 6 * GiB;
        if (i == 2 && k >= 2)
            s.vcpus = 4;
        if (i == 3 && k >= 2)
            s.state = SDC_VM_SHUTOFF;
        if (i == 4 && k >= 2 && k < 6)
            s.name = "web-04-prod";
        if (i == 5 && k >= 2)
            s.vdb_alloc = 11 * GiB;
        if (i == 6 && k >= 2)
            s.net2 = "br2";
        if (i == 8 && k == 3)
            s.vdb_alloc = 0;
        add_full_vm(b[0], uuid, &s);
    }
    for (int i = 0; i < NB; i++) {
        struct vm_spec s;
        snprintf(uuid, sizeof(uuid), "b%02d", i);
        snprintf(name, sizeof(name), "app-%02d", i);
        s = base_spec(name);
        if (k == 3)
            s.name = "stale-listing";
        if (i == 0 && k >= 4) {
            struct vm_spec on_a = s;
            add_full_vm(b[0], uuid, &on_a);
            if (k >= 5)
                continue;
            s.state = SDC_VM_PAUSED;
        }
        add_full_vm(b[1], uuid, &s);
    }
    add_pool(b[0], "hvA.default", false, 1000 * GiB,
             k >= 2 ? 310 * GiB : 300 * GiB);
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof(name), "img-%d.qcow2", i);
        add_volume(b[0], "hvA.default", name, 20 * GiB,
                   i == 2 && k >= 2 ? 7 * GiB : 5 * GiB);
    }
    add_pool(b[0], "nfs.store", true, 4000 * GiB, 1000 * GiB);
    add_volume(b[0], "nfs.store", "shared.img", 100 * GiB, 10 * GiB);
    add_pool(b[1], "nfs.store", true, 4000 * GiB,
             k == 5 ? 1001 * GiB : 1000 * GiB);
    add_volume(b[1], "nfs.store", "shared.img", 100 * GiB, 10 * GiB);
    if (k == 3)
        b[1]->ok = false;
    return 2;
}

static void free_batches(struct sdc_batch **b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sdc_batch_free(b[i]);
}

static void record(struct inv *db, struct sdc_batch **b, size_t n, time_t t)
{
    struct sdc_error err = {0};
    if (inv_record_batches(db, b, n, t, &err) != SDC_OK)
        fail_msg("inv_record_batches: %s", err.msg);
}

/* Record cycle @k into both inventories; the stats of the fast one's
 * cycle in *@d. */
static void both(struct fx *f, int k, time_t t, struct inv_stats *d)
{
    struct sdc_batch *b[2];
    struct inv_stats s0, s1;
    struct inv *slow = NULL;
    struct sdc_error err = {0};
    size_t n = scenario(k, t, b);

    inv_get_stats(f->fast, &s0);
    record(f->fast, b, n, t);
    inv_get_stats(f->fast, &s1);
    assert_int_equal(inv_open(f->slow_path, &slow, &err), SDC_OK);
    record(slow, b, n, t);
    inv_close(slow);
    free_batches(b, n);
    memset(d, 0, sizeof(*d));
    d->cycles = s1.cycles - s0.cycles;
    d->rows_written = s1.rows_written - s0.rows_written;
    d->rows_unchanged = s1.rows_unchanged - s0.rows_unchanged;
    d->resets = s1.resets - s0.resets;
    d->remembered = s1.remembered;
}

/* rows in the scenario when both hosts answer: hypervisors, VMs x (1 + 2
 * disks + 2 NICs), hvA.default with its host and 5 volumes, nfs.store with
 * its 2 hosts and its volume */
#define SCEN_ROWS (2 + (NA + NB) * 5 + (1 + 1 + 5) + (1 + 2 + 1))
/* rows listed per cycle: nfs.store and its volume are listed by both */
#define SCEN_LISTED (SCEN_ROWS + 2)

/*
 * (a) A cycle in which nothing changed writes no row: the triggers see no
 * INSERT and no UPDATE of any column but last_seen; yet every row's
 * last_seen, as a reader sees it, is the new cycle's.
 */
static void test_identical_cycle_writes_nothing(void **state)
{
    struct fx *f = *state;
    time_t t0 = base_time(), t1 = t0 + 60;
    struct sdc_batch *b[2];
    struct inv_stats s0, s1;
    static const char *const tables[] = {"hypervisors", "vms",   "disks",
                                         "nics",        "pools", "pool_hosts",
                                         "volumes"};
    char sql[1024], want[64];
    char *before, *after;
    size_t n;

    /* the counting triggers: content writes and last_seen moves */
    for (size_t i = 0; i < sizeof(tables) / sizeof(*tables); i++) {
        char *cols = NULL, *p;
        snprintf(sql, sizeof(sql),
                 "SELECT group_concat(name, ',') FROM pragma_table_info('%s')"
                 " WHERE name <> 'last_seen'",
                 tables[i]);
        cols = q(f->fast_path, sql);
        for (p = cols; *p; p++)
            assert_true(*p == ',' || *p == '_' || (*p >= 'a' && *p <= 'z'));
        assert_int_equal(
            tu_runf(NULL,
                    "sqlite3 '%s' \"CREATE TABLE IF NOT EXISTS writes(tbl"
                    " TEXT PRIMARY KEY, content INTEGER, seen INTEGER);"
                    " INSERT INTO writes VALUES ('%s', 0, 0);"
                    " CREATE TRIGGER w_ins_%s AFTER INSERT ON %s BEGIN"
                    " UPDATE writes SET content = content + 1 WHERE tbl = '%s';"
                    " END;"
                    " CREATE TRIGGER w_upd_%s AFTER UPDATE OF %s ON %s BEGIN"
                    " UPDATE writes SET content = content + 1 WHERE tbl = '%s';"
                    " END;"
                    " CREATE TRIGGER w_seen_%s AFTER UPDATE OF last_seen ON %s"
                    " BEGIN UPDATE writes SET seen = seen + 1"
                    " WHERE tbl = '%s'; END;\"",
                    f->fast_path, tables[i], tables[i], tables[i], tables[i],
                    tables[i], cols, tables[i], tables[i], tables[i], tables[i],
                    tables[i]),
            0);
        free(cols);
    }

    n = scenario(0, t0, b);
    record(f->fast, b, n, t0);
    free_batches(b, n);
    /* the first cycle inserts every row once; the second listing of the
     * shared pool and its volume only moves their last_seen */
    snprintf(want, sizeof(want), "%d|2", SCEN_ROWS);
    assert_q(f->fast_path, "SELECT SUM(content), SUM(seen) FROM writes", want);
    assert_q(f->fast_path,
             "SELECT tbl, content FROM writes WHERE tbl IN ('vms', 'disks',"
             " 'nics') ORDER BY tbl",
             "disks|60\nnics|60\nvms|30");
    before = q(f->fast_path,
               "SELECT uuid, name, host, cluster, owner, state, vcpus, memory,"
               " first_seen, state_since, deleted_at FROM vms ORDER BY uuid;"
               " SELECT * FROM events ORDER BY rowid;"
               " SELECT * FROM vm_names ORDER BY rowid");

    /* the same listing a minute later */
    inv_get_stats(f->fast, &s0);
    n = scenario(0, t1, b);
    record(f->fast, b, n, t1);
    free_batches(b, n);
    inv_get_stats(f->fast, &s1);

    assert_int_equal(s1.rows_written - s0.rows_written, 0);
    assert_int_equal(s1.rows_unchanged - s0.rows_unchanged, SCEN_LISTED);
    assert_int_equal(s1.resets - s0.resets, 0);
    /* no content written; last_seen moved once per row */
    snprintf(want, sizeof(want), "%d|%d", SCEN_ROWS, 2 + SCEN_ROWS);
    assert_q(f->fast_path, "SELECT SUM(content), SUM(seen) FROM writes", want);
    assert_q(f->fast_path,
             "SELECT tbl, content, seen FROM writes WHERE tbl IN ('vms',"
             " 'disks', 'nics') ORDER BY tbl",
             "disks|60|60\nnics|60|60\nvms|30|30");

    /* what readers see: every row's last_seen is the last cycle's */
    for (size_t i = 0; i < sizeof(tables) / sizeof(*tables); i++) {
        long rows;
        snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", tables[i]);
        rows = q_long(f->fast_path, sql);
        assert_true(rows > 0);
        snprintf(want, sizeof(want), "%ld", rows);
        snprintf(sql, sizeof(sql),
                 "SELECT COUNT(*) FROM %s WHERE last_seen = %lld", tables[i],
                 (long long)t1);
        assert_q(f->fast_path, sql, want);
    }
    /* and nothing else moved: no event, no name, no state_since */
    after = q(f->fast_path,
              "SELECT uuid, name, host, cluster, owner, state, vcpus, memory,"
              " first_seen, state_since, deleted_at FROM vms ORDER BY uuid;"
              " SELECT * FROM events ORDER BY rowid;"
              " SELECT * FROM vm_names ORDER BY rowid");
    assert_string_equal(before, after);
    free(before);
    free(after);
    /* the daily snapshot counts them as seen */
    {
        struct sdc_error err = {0};
        assert_int_equal(inv_snapshot_daily(f->fast, t1, &err), SDC_OK);
        assert_q(f->fast_path,
                 "SELECT SUM(vms), SUM(hosts) FROM snapshot_cluster", "30|2");
    }
}

/*
 * (b) and the differential check: every cycle of the scenario leaves the
 * remembering connection's file equal to the rewrite-everything one's,
 * and writes exactly the rows that changed.
 */
static void test_changes_written_as_before(void **state)
{
    struct fx *f = *state;
    time_t t0 = base_time();
    struct inv_stats d;
    char when[32];

    for (int k = 0; k <= 7; k++) {
        both(f, k, t0 + 60 * k, &d);
        snprintf(when, sizeof(when), "cycle %d", k);
        assert_same_db(f, when);
        assert_int_equal(d.cycles, 1);
        switch (k) {
        case 0:
            assert_int_equal(d.rows_written, SCEN_ROWS);
            assert_int_equal(d.rows_unchanged, SCEN_LISTED - SCEN_ROWS);
            break;
        case 1:
        case 7:
            assert_int_equal(d.rows_written, 0);
            assert_int_equal(d.rows_unchanged, SCEN_LISTED);
            break;
        case 2:
            /* 4 VMs, a disk, a NIC, a pool, a volume */
            assert_int_equal(d.rows_written, 8);
            assert_int_equal(d.rows_unchanged, SCEN_LISTED - 8);
            break;
        case 3:
            /* a07 (5 rows), a08's vdb and hvB's batch (1 + 50 + the shared
             * pool, its host and volume) are not listed; nothing else
             * changed */
            assert_int_equal(d.rows_written, 0);
            assert_int_equal(d.rows_unchanged, SCEN_LISTED - 5 - 1 - 54);
            break;
        case 4:
            /* a07 back (its row has deleted_at; its disks and NICs as they
             * were), hvB's cluster (1 hypervisor + 10 VMs, b00 among them:
             * its hvA listing is kept, host and cluster change) */
            assert_int_equal(d.rows_written, 1 + 1 + 10);
            assert_int_equal(d.rows_unchanged, SCEN_LISTED - 12);
            break;
        default:
            break;
        }
    }

    /* what the changes produced, as before: events and values */
    assert_q(f->fast_path,
             "SELECT kind, entity, IFNULL(prev_value, ''),"
             " IFNULL(new_value, '') FROM events WHERE kind <> 'created'"
             " ORDER BY t, entity, kind",
             "state|a03|running|shutoff\n"
             "renamed|a04|web-04|web-04-prod\n"
             "deleted|a07|running|\n"
             "returned|a07||\n"
             "migrated|b00|hvB|hvA\n"
             "renamed|a04|web-04-prod|web-04");
    assert_q(f->fast_path,
             "SELECT uuid, vcpus, memory / 1073741824, state, name FROM vms"
             " WHERE uuid IN ('a01', 'a02', 'a03', 'a04') ORDER BY uuid",
             "a01|2|6|running|web-01\n"
             "a02|4|4|running|web-02\n"
             "a03|2|4|shutoff|web-03\n"
             "a04|2|4|running|web-04");
    assert_q(f->fast_path,
             "SELECT state_since - (SELECT MIN(first_seen) FROM vms) FROM vms"
             " WHERE uuid IN ('a03', 'a07', 'a09') ORDER BY uuid",
             "120\n240\n0");
    /* the detached disk kept the last_seen of its last listing */
    assert_q(f->fast_path,
             "SELECT target, last_seen - (SELECT MIN(first_seen) FROM vms)"
             " FROM disks WHERE vm_uuid = 'a08' ORDER BY target",
             "vda|420\nvdb|420");
    assert_q(f->fast_path,
             "SELECT host, cluster FROM vms WHERE uuid IN ('b00', 'b01')"
             " ORDER BY uuid",
             "hvA|c1\nhvB|c2");
}

/*
 * (c) A restart (a new connection remembers nothing) writes every row once,
 * and then only changes again; an outside write to the file (an import, a
 * repair by hand) makes the next cycle write every row once too, so the
 * polled facts win as they did before.
 */
static void test_restart_and_outside_write(void **state)
{
    struct fx *f = *state;
    time_t t0 = base_time();
    struct sdc_error err = {0};
    struct inv_stats d, s;

    both(f, 0, t0, &d);
    both(f, 1, t0 + 60, &d);
    assert_int_equal(d.rows_written, 0);
    inv_get_stats(f->fast, &s);
    assert_int_equal(s.remembered, SCEN_ROWS);

    inv_close(f->fast);
    f->fast = NULL;
    assert_int_equal(inv_open(f->fast_path, &f->fast, &err), SDC_OK);
    inv_get_stats(f->fast, &s);
    assert_int_equal(s.remembered, 0);
    both(f, 1, t0 + 120, &d);
    assert_int_equal(d.rows_written, SCEN_ROWS);
    assert_int_equal(d.rows_unchanged, SCEN_LISTED - SCEN_ROWS);
    assert_same_db(f, "first cycle after the restart");
    both(f, 1, t0 + 180, &d);
    assert_int_equal(d.rows_written, 0);
    assert_int_equal(d.rows_unchanged, SCEN_LISTED);
    assert_same_db(f, "second cycle after the restart");

    /* someone changes a VM's memory and a disk in both files */
    assert_int_equal(tu_runf(NULL,
                             "for db in '%s' '%s'; do sqlite3 \"$db\""
                             " \"UPDATE vms SET memory = 1 WHERE uuid = 'a00';"
                             " UPDATE disks SET capacity = 2 WHERE vm_uuid ="
                             " 'a09' AND target = 'vdb'\" || exit 1; done",
                             f->fast_path, f->slow_path),
                     0);
    both(f, 1, t0 + 240, &d);
    assert_int_equal(d.resets, 1);
    assert_int_equal(d.rows_written, SCEN_ROWS);
    assert_same_db(f, "cycle after an outside write");
    assert_q(f->fast_path,
             "SELECT memory / 1073741824 FROM vms WHERE uuid = 'a00'", "4");
    assert_q(f->fast_path,
             "SELECT capacity / 1073741824 FROM disks WHERE vm_uuid = 'a09'"
             " AND target = 'vdb'",
             "100");
    both(f, 1, t0 + 300, &d);
    assert_int_equal(d.resets, 0);
    assert_int_equal(d.rows_written, 0);

    /* an import on this connection: the same */
    assert_int_equal(inv_import_begin(f->fast, &err), SDC_OK);
    assert_int_equal(inv_import_commit(f->fast, &err), SDC_OK);
    inv_get_stats(f->fast, &s);
    assert_int_equal(s.remembered, 0);
    both(f, 1, t0 + 360, &d);
    assert_int_equal(d.rows_written, SCEN_ROWS);
    assert_same_db(f, "cycle after an import");
}

/* A cycle that fails is rolled back with what it remembered: the next one
 * writes every row again and the file matches. */
static void test_failed_cycle_forgets(void **state)
{
    struct fx *f = *state;
    time_t t0 = base_time();
    struct sdc_batch *b[2];
    struct sdc_error err = {0};
    struct inv_stats d, s0, s1;
    size_t n;

    both(f, 0, t0, &d);
    both(f, 1, t0 + 60, &d);
    assert_int_equal(d.rows_written, 0);
    /* a change, then a failure while writing a new NIC: the change and the
     * NIC are rolled back */
    assert_int_equal(
        tu_runf(NULL,
                "sqlite3 '%s' \"CREATE TRIGGER fail_nics BEFORE INSERT ON nics"
                " BEGIN SELECT RAISE(ABORT, 'injected failure'); END\"",
                f->fast_path),
        0);
    n = scenario(2, t0 + 120, b);
    {
        struct sdc_nic_info nic = {0};
        nic.vm_uuid = "a00";
        nic.mac = "52:54:00:ff:00:03";
        assert_int_equal(sdc_batch_add_nic(b[0], &nic), SDC_OK);
    }
    inv_get_stats(f->fast, &s0);
    assert_int_equal(inv_record_batches(f->fast, b, n, t0 + 120, &err),
                     SDC_ERR_DB);
    assert_non_null(strstr(err.msg, "injected failure"));
    inv_get_stats(f->fast, &s1);
    assert_int_equal(s1.remembered, 0);
    assert_int_equal(s1.cycles, s0.cycles);
    free_batches(b, n);
    assert_q(f->fast_path, "SELECT vcpus FROM vms WHERE uuid = 'a02'", "2");
    assert_int_equal(
        tu_runf(NULL, "sqlite3 '%s' 'DROP TRIGGER fail_nics'", f->fast_path),
        0);
    both(f, 2, t0 + 180, &d);
    assert_int_equal(d.rows_written, SCEN_ROWS);
    assert_same_db(f, "cycle after a failed one");
    assert_q(f->fast_path, "SELECT vcpus FROM vms WHERE uuid = 'a02'", "4");
}

/*
 * What is remembered stays bounded: rows of VMs that are gone are dropped
 * once they outnumber the listed rows, without changing what is written.
 */
static void test_memory_bounded(void **state)
{
    struct fx *f = *state;
    time_t t0 = base_time();
    struct sdc_batch *b;
    struct inv_stats s;
    char uuid[48], name[48];
    const int many = 600;

    b = hv_batch("hvA", "c1", t0);
    for (int i = 0; i < many; i++) {
        snprintf(uuid, sizeof(uuid), "vm-%04d", i);
        snprintf(name, sizeof(name), "n%04d", i);
        add_vm(b, uuid, name, SDC_VM_RUNNING, 1, GiB);
        add_disk(b, uuid, "vda", GiB, GiB);
        add_disk(b, uuid, "vdb", GiB, GiB);
    }
    record(f->fast, &b, 1, t0);
    sdc_batch_free(b);
    inv_get_stats(f->fast, &s);
    assert_int_equal(s.remembered, 1 + 3 * many);

    /* all but 3 deleted: their VM rows are forgotten at once (a return
     * must be told), their disks once the listed rows are outnumbered */
    b = hv_batch("hvA", "c1", t0 + 60);
    for (int i = 0; i < 3; i++) {
        snprintf(uuid, sizeof(uuid), "vm-%04d", i);
        snprintf(name, sizeof(name), "n%04d", i);
        add_vm(b, uuid, name, SDC_VM_RUNNING, 1, GiB);
        add_disk(b, uuid, "vda", GiB, GiB);
        add_disk(b, uuid, "vdb", GiB, GiB);
    }
    record(f->fast, &b, 1, t0 + 60);
    sdc_batch_free(b);
    inv_get_stats(f->fast, &s);
    assert_int_equal(s.remembered, 1 + 3 * 3);
    assert_q(f->fast_path,
             "SELECT COUNT(*), MIN(deleted_at) - MIN(first_seen) FROM vms"
             " WHERE deleted_at IS NOT NULL",
             "597|60");

    /* one comes back: written and told */
    b = hv_batch("hvA", "c1", t0 + 120);
    for (int i = 0; i < 4; i++) {
        snprintf(uuid, sizeof(uuid), "vm-%04d", i == 3 ? 500 : i);
        snprintf(name, sizeof(name), "n%04d", i == 3 ? 500 : i);
        add_vm(b, uuid, name, SDC_VM_RUNNING, 1, GiB);
        add_disk(b, uuid, "vda", GiB, GiB);
        add_disk(b, uuid, "vdb", GiB, GiB);
    }
    record(f->fast, &b, 1, t0 + 120);
    sdc_batch_free(b);
    assert_q(f->fast_path,
             "SELECT entity, t - (SELECT MIN(first_seen) FROM vms) FROM events"
             " WHERE kind = 'returned'",
             "vm-0500|120");
    assert_q(f->fast_path,
             "SELECT COUNT(*) FROM disks WHERE vm_uuid = 'vm-0500' AND"
             " last_seen - first_seen = 120",
             "2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_identical_cycle_writes_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_changes_written_as_before, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_restart_and_outside_write, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_failed_cycle_forgets, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_memory_bounded, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
