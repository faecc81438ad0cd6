/*
 * test_inventory.c - the SQLite inventory: recording cycles, renames, state
 * changes, deletions, migrations, hostile names, daily snapshots and scale.
 * What is stored is read back both through the API and with the sqlite3
 * command-line tool, which shows the file's real content.
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

struct fx {
    char *dir;
    char *path;
    struct inv *inv;
};

/* A fixed local time: 2024-03-15 10:00, away from any DST change. */
static time_t base_time(void)
{
    return tu_local_time(2024, 3, 15, 10);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct sdc_error err = {0};
    assert_non_null(f);
    f->dir = tu_tmpdir("inv");
    assert_non_null(f->dir);
    assert_true(asprintf(&f->path, "%s/inventory.db", f->dir) > 0);
    assert_int_equal(inv_open(f->path, &f->inv, &err), SDC_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    inv_close(f->inv);
    tu_rmrf(f->dir);
    free(f->path);
    free(f->dir);
    free(f);
    return 0;
}

/* ---- batch builders ---------------------------------------------------- */

static struct sdc_batch *hv_batch(const char *host, const char *cluster,
                                  int cores, int cpus, uint64_t mem, time_t t)
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
    hv.cpus = cpus;
    hv.cores = cores;
    hv.memory = mem;
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
    vm.state = s;
    vm.vcpus = vcpus;
    vm.max_vcpus = vcpus * 2;
    vm.memory = mem;
    vm.max_memory = mem * 2;
    assert_int_equal(sdc_batch_add_vm(b, &vm), SDC_OK);
}

static void add_disk(struct sdc_batch *b, const char *uuid, const char *target,
                     const char *source, uint64_t cap, uint64_t alloc)
{
    struct sdc_disk_info d = {0};
    d.vm_uuid = (char *)uuid;
    d.target = (char *)target;
    d.source = (char *)source;
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

static void add_pool(struct sdc_batch *b, const char *key, const char *name,
                     bool shared, uint64_t cap, uint64_t alloc)
{
    struct sdc_pool_info p = {0};
    p.key = (char *)key;
    p.name = (char *)name;
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
    snprintf(path, sizeof(path), "/var/lib/libvirt/images/%s", name);
    v.pool_key = (char *)key;
    v.name = (char *)name;
    v.path = path;
    v.capacity = cap;
    v.allocation = alloc;
    assert_int_equal(sdc_batch_add_volume(b, &v), SDC_OK);
}

static void record(struct fx *f, struct sdc_batch **b, size_t n, time_t t)
{
    struct sdc_error err = {0};
    enum sdc_rc rc = inv_record_batches(f->inv, b, n, t, &err);
    if (rc != SDC_OK)
        fail_msg("inv_record_batches: %s", err.msg);
}

static void free_batches(struct sdc_batch **b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sdc_batch_free(b[i]);
}

/* ---- read-back with the sqlite3 CLI ------------------------------------ */

/* Output of one query (trailing newline removed); caller frees.  @sql must
 * not contain double quotes, '$' or backquotes (it is passed in "..."). */
static char *q(const struct fx *f, const char *sql)
{
    char *out = NULL;
    int rc = tu_runf(&out, "sqlite3 '%s' \"%s\"", f->path, sql);
    assert_non_null(out);
    if (rc != 0)
        fail_msg("sqlite3 failed (%d): %s: %s", rc, sql, out);
    size_t len = strlen(out);
    while (len > 0 && out[len - 1] == '\n')
        out[--len] = '\0';
    return out;
}

static void assert_q(const struct fx *f, const char *sql, const char *want)
{
    char *got = q(f, sql);
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "query: %s\n got: [%s]\nwant: [%s]\n", sql, got, want);
        free(got);
        fail();
    }
    free(got);
}

static long q_long(const struct fx *f, const char *sql)
{
    char *s = q(f, sql), *end;
    long v = strtol(s, &end, 10);
    assert_true(end != s && *end == '\0');
    free(s);
    return v;
}

static void get_vm(struct fx *f, const char *uuid, struct inv_vm_row *row)
{
    struct sdc_error err = {0};
    if (inv_get_vm(f->inv, uuid, row, &err) != SDC_OK)
        fail_msg("inv_get_vm %s: %s", uuid, err.msg);
}

/* ---- 1. one batch ------------------------------------------------------ */

static struct sdc_batch *first_batch(time_t t)
{
    struct sdc_batch *b = hv_batch("hvA", "c1", 16, 32, 128 * GiB, t);
    add_vm(b, "u1", "web01", SDC_VM_RUNNING, 4, 8 * GiB);
    add_vm(b, "u2", "db01", SDC_VM_RUNNING, 8, 32 * GiB);
    add_vm(b, "u3", "old01", SDC_VM_SHUTOFF, 2, 4 * GiB);
    add_disk(b, "u1", "vda", "/var/lib/libvirt/images/web01.qcow2", 20 * GiB,
             3 * GiB);
    add_disk(b, "u1", "vdb", "/var/lib/libvirt/images/web01-data.qcow2",
             100 * GiB, 40 * GiB);
    add_disk(b, "u2", "vda", "/var/lib/libvirt/images/db01.qcow2", 50 * GiB,
             20 * GiB);
    add_disk(b, "u3", "vda", "/var/lib/libvirt/images/old01.qcow2", 10 * GiB,
             1 * GiB);
    add_nic(b, "u1", "52:54:00:00:00:01", "default");
    add_nic(b, "u2", "52:54:00:00:00:02", "br0");
    add_nic(b, "u3", "52:54:00:00:00:03", "default");
    add_pool(b, "hvA.default", "default", false, 1000 * GiB, 300 * GiB);
    add_volume(b, "hvA.default", "web01.qcow2", 20 * GiB, 3 * GiB);
    add_volume(b, "hvA.default", "web01-data.qcow2", 100 * GiB, 40 * GiB);
    add_volume(b, "hvA.default", "db01.qcow2", 50 * GiB, 20 * GiB);
    return b;
}

static void test_record_batch(void **state)
{
    struct fx *f = *state;
    time_t t0 = base_time();
    struct sdc_batch *b = first_batch(t0);
    struct inv_vm_row row;
    struct sdc_error err = {0};
    char want[128];

    /* a disk and a NIC of a VM the batch did not list are skipped */
    add_disk(b, "nobody", "vda", NULL, GiB, GiB);
    add_nic(b, "nobody", "52:54:00:ff:ff:ff", NULL);
    /* a volume of a pool never reported is skipped */
    add_volume(b, "no.such.pool", "x.img", GiB, GiB);
    record(f, &b, 1, t0);

    assert_int_equal(inv_count(f->inv, "hypervisors"), 1);
    assert_int_equal(inv_count(f->inv, "vms"), 3);
    assert_int_equal(inv_count(f->inv, "vm_names"), 3);
    assert_int_equal(inv_count(f->inv, "disks"), 4);
    assert_int_equal(inv_count(f->inv, "nics"), 3);
    assert_int_equal(inv_count(f->inv, "pools"), 1);
    assert_int_equal(inv_count(f->inv, "pool_hosts"), 1);
    assert_int_equal(inv_count(f->inv, "volumes"), 3);
    assert_int_equal(inv_count(f->inv, "snapshot_cluster"), 0);
    assert_int_equal(inv_count(f->inv, "nope"), -1);
    assert_int_equal(inv_count(f->inv, "vms; DROP TABLE vms"), -1);
    assert_int_equal(inv_count(NULL, "vms"), -1);

    get_vm(f, "u1", &row);
    assert_string_equal(row.uuid, "u1");
    assert_string_equal(row.name, "web01");
    assert_string_equal(row.host, "hvA");
    assert_string_equal(row.state, "running");
    assert_int_equal(row.vcpus, 4);
    assert_true(row.memory == 8 * GiB);
    assert_int_equal(row.first_seen, t0);
    assert_int_equal(row.last_seen, t0);
    assert_int_equal(row.state_since, t0);
    assert_int_equal(row.deleted_at, 0);
    get_vm(f, "u3", &row);
    assert_string_equal(row.state, "shutoff");

    assert_int_equal(inv_get_vm(f->inv, "missing", &row, &err),
                     SDC_ERR_INVALID);
    assert_non_null(strstr(err.msg, "missing"));

    /* what the file holds */
    assert_q(f, "PRAGMA journal_mode", "wal");
    snprintf(want, sizeof(want), "%d", INV_SCHEMA_VERSION);
    assert_q(f, "PRAGMA user_version", want);
    assert_q(f, "SELECT name, cluster, cores, cpus, memory FROM hypervisors",
             "hvA|c1|16|32|137438953472");
    assert_q(f,
             "SELECT uuid, name, host, cluster, state, active, vcpus,"
             " max_vcpus, memory, max_memory, deleted_at IS NULL FROM vms"
             " ORDER BY uuid",
             "u1|web01|hvA|c1|running|1|4|8|8589934592|17179869184|1\n"
             "u2|db01|hvA|c1|running|1|8|16|34359738368|68719476736|1\n"
             "u3|old01|hvA|c1|shutoff|0|2|4|4294967296|8589934592|1");
    assert_q(f,
             "SELECT vm_uuid, target, source, capacity, allocation FROM disks"
             " WHERE vm_uuid = 'u1' ORDER BY target",
             "u1|vda|/var/lib/libvirt/images/web01.qcow2|21474836480|"
             "3221225472\n"
             "u1|vdb|/var/lib/libvirt/images/web01-data.qcow2|107374182400|"
             "42949672960");
    assert_q(f, "SELECT mac, target, network FROM nics WHERE vm_uuid = 'u2'",
             "52:54:00:00:00:02|vnet0|br0");
    assert_q(f,
             "SELECT key, name, type, shared, active, capacity, allocation,"
             " available FROM pools",
             "hvA.default|default|dir|0|1|1073741824000|322122547200|"
             "751619276800");
    assert_q(f, "SELECT pool_key, host, pool_name FROM pool_hosts",
             "hvA.default|hvA|default");
    assert_q(f,
             "SELECT name, path, capacity FROM volumes ORDER BY name LIMIT 1",
             "db01.qcow2|/var/lib/libvirt/images/db01.qcow2|53687091200");
    assert_q(f, "SELECT kind, entity, detail FROM events ORDER BY entity",
             "created|u1|created on hvA\n"
             "created|u2|created on hvA\n"
             "created|u3|created on hvA");
    free_batches(&b, 1);
}

/* ---- 2. rename and state change ---------------------------------------- */

static void test_rename_and_state(void **state)
{
    struct fx *f = *state;
    time_t t0 = base_time(), t1 = t0 + 60;
    struct sdc_batch *b = first_batch(t0);
    struct inv_vm_row row;

    record(f, &b, 1, t0);
    free_batches(&b, 1);

    b = hv_batch("hvA", "c1", 16, 32, 128 * GiB, t1);
    add_vm(b, "u1", "web01-prod", SDC_VM_RUNNING, 4, 8 * GiB);
    add_vm(b, "u2", "db01", SDC_VM_SHUTOFF, 8, 32 * GiB);
    add_vm(b, "u3", "old01", SDC_VM_SHUTOFF, 2, 4 * GiB);
    record(f, &b, 1, t1);
    free_batches(&b, 1);

    get_vm(f, "u1", &row);
    assert_string_equal(row.name, "web01-prod");
    assert_int_equal(row.first_seen, t0);
    assert_int_equal(row.last_seen, t1);
    assert_int_equal(row.state_since, t0);
    get_vm(f, "u2", &row);
    assert_string_equal(row.state, "shutoff");
    assert_int_equal(row.first_seen, t0);
    assert_int_equal(row.state_since, t1);
    get_vm(f, "u3", &row);
    assert_int_equal(row.state_since, t0);

    assert_int_equal(inv_count(f->inv, "vms"), 3);
    assert_q(f, "SELECT name FROM vm_names WHERE uuid = 'u1' ORDER BY since",
             "web01\nweb01-prod");
    assert_q(f,
             "SELECT t - (SELECT MIN(t) FROM events), entity, name,"
             " prev_value, new_value, detail FROM events"
             " WHERE kind = 'renamed'",
             "60|u1|web01-prod|web01|web01-prod|web01 -> web01-prod");
    assert_q(f, "SELECT entity, detail FROM events WHERE kind = 'state'",
             "u2|running -> shutoff");
    assert_q(f, "SELECT COUNT(*) FROM events WHERE kind = 'migrated'", "0");
    /* disks not listed in the second cycle keep their old last_seen */
    assert_q(f, "SELECT COUNT(*) FROM disks WHERE last_seen = first_seen", "4");

    /* a third identical cycle changes nothing but last_seen */
    b = hv_batch("hvA", "c1", 16, 32, 128 * GiB, t1 + 60);
    add_vm(b, "u1", "web01-prod", SDC_VM_RUNNING, 4, 8 * GiB);
    add_vm(b, "u2", "db01", SDC_VM_SHUTOFF, 8, 32 * GiB);
    add_vm(b, "u3", "old01", SDC_VM_SHUTOFF, 2, 4 * GiB);
    record(f, &b, 1, t1 + 60);
    free_batches(&b, 1);
    assert_int_equal(inv_count(f->inv, "events"), 5);
    assert_int_equal(inv_count(f->inv, "vm_names"), 4);
    get_vm(f, "u2", &row);
    assert_int_equal(row.state_since, t1);
    assert_int_equal(row.last_seen, t1 + 60);
}

/* ---- 3. deletion and failed batches ------------------------------------ */

static void test_deleted_and_failed(void **state)
{
    struct fx *f = *state;
    time_t t0 = base_time();
    struct sdc_batch *b[2];
    struct inv_vm_row row;

    b[0] = first_batch(t0);
    b[1] = hv_batch("hvB", "c1", 8, 16, 64 * GiB, t0);
    add_vm(b[1], "b1", "app01", SDC_VM_RUNNING, 2, 2 * GiB);
    record(f, b, 2, t0);
    free_batches(b, 2);

    /* u3 is gone from hvA; hvB's batch fails and must change nothing */
    b[0] = hv_batch("hvA", "c1", 16, 32, 128 * GiB, t0 + 60);
    add_vm(b[0], "u1", "web01", SDC_VM_RUNNING, 4, 8 * GiB);
    add_vm(b[0], "u2", "db01", SDC_VM_RUNNING, 8, 32 * GiB);
    b[1] = sdc_batch_new("hvB", t0 + 60);
    assert_non_null(b[1]);
    b[1]->ok = false;
    record(f, b, 2, t0 + 60);
    free_batches(b, 2);

    get_vm(f, "u3", &row);
    assert_int_equal(row.deleted_at, t0 + 60);
    assert_int_equal(row.last_seen, t0);
    get_vm(f, "b1", &row);
    assert_int_equal(row.deleted_at, 0);
    assert_int_equal(row.last_seen, t0);
    assert_q(f,
             "SELECT entity, name, host, detail FROM events"
             " WHERE kind = 'deleted'",
             "u3|old01|hvA|deleted from hvA");
    /* rows are kept: history matters */
    assert_int_equal(inv_count(f->inv, "vms"), 4);
    assert_int_equal(inv_count(f->inv, "disks"), 4);

    /* hvA fails with stale data in the batch: nothing is deleted or changed */
    b[0] = hv_batch("hvA", "c1", 16, 32, 128 * GiB, t0 + 120);
    b[0]->ok = false;
    add_vm(b[0], "u1", "renamed-but-failed", SDC_VM_SHUTOFF, 4, 8 * GiB);
    record(f, b, 1, t0 + 120);
    free_batches(b, 1);
    assert_q(f, "SELECT COUNT(*) FROM vms WHERE deleted_at IS NOT NULL", "1");
    get_vm(f, "u1", &row);
    assert_string_equal(row.name, "web01");
    assert_int_equal(row.last_seen, t0 + 60);
    assert_int_equal(inv_count(f->inv, "events"), 5);

    /* an ok batch with no VMs at all deletes every VM of that host only */
    b[0] = hv_batch("hvB", "c1", 8, 16, 64 * GiB, t0 + 180);
    record(f, b, 1, t0 + 180);
    free_batches(b, 1);
    get_vm(f, "b1", &row);
    assert_int_equal(row.deleted_at, t0 + 180);
    get_vm(f, "u1", &row);
    assert_int_equal(row.deleted_at, 0);

    /* u3 comes back: deleted_at cleared, state_since restarts */
    b[0] = hv_batch("hvA", "c1", 16, 32, 128 * GiB, t0 + 240);
    add_vm(b[0], "u1", "web01", SDC_VM_RUNNING, 4, 8 * GiB);
    add_vm(b[0], "u2", "db01", SDC_VM_RUNNING, 8, 32 * GiB);
    add_vm(b[0], "u3", "old01", SDC_VM_SHUTOFF, 2, 4 * GiB);
    record(f, b, 1, t0 + 240);
    free_batches(b, 1);
    get_vm(f, "u3", &row);
    assert_int_equal(row.deleted_at, 0);
    assert_int_equal(row.first_seen, t0);
    assert_int_equal(row.state_since, t0 + 240);
    assert_q(f, "SELECT entity FROM events WHERE kind = 'returned'", "u3");
    assert_q(f, "SELECT COUNT(*) FROM events WHERE kind = 'deleted'", "2");
}

/* ---- 4. migration ------------------------------------------------------ */

static void test_migration(void **state)
{
    struct fx *f = *state;
    time_t t0 = base_time(), t1 = t0 + 60, t2 = t0 + 120;
    struct sdc_batch *b[2];
    struct inv_vm_row row;

    b[0] = hv_batch("hvA", "c1", 16, 32, 128 * GiB, t0);
    add_vm(b[0], "m1", "mover", SDC_VM_RUNNING, 2, 4 * GiB);
    add_disk(b[0], "m1", "vda", "/nfs/mover.qcow2", 40 * GiB, 5 * GiB);
    b[1] = hv_batch("hvB", "c1", 16, 32, 128 * GiB, t0);
    record(f, b, 2, t0);
    free_batches(b, 2);

    /* in flight: paused on A (listed first), running on B */
    b[0] = hv_batch("hvA", "c1", 16, 32, 128 * GiB, t1);
    add_vm(b[0], "m1", "mover", SDC_VM_PAUSED, 2, 4 * GiB);
    add_disk(b[0], "m1", "vda", "/nfs/mover.qcow2", 40 * GiB, 5 * GiB);
    b[1] = hv_batch("hvB", "c1", 16, 32, 128 * GiB, t1);
    add_vm(b[1], "m1", "mover", SDC_VM_RUNNING, 2, 4 * GiB);
    add_disk(b[1], "m1", "vda", "/nfs/mover.qcow2", 40 * GiB, 6 * GiB);
    record(f, b, 2, t1);
    free_batches(b, 2);

    assert_int_equal(inv_count(f->inv, "vms"), 1);
    get_vm(f, "m1", &row);
    assert_string_equal(row.host, "hvB");
    assert_string_equal(row.state, "running");
    assert_int_equal(row.deleted_at, 0);
    assert_int_equal(row.state_since, t0);
    assert_q(f,
             "SELECT entity, prev_value, new_value, detail FROM events"
             " WHERE kind = 'migrated'",
             "m1|hvA|hvB|hvA -> hvB");
    assert_q(f, "SELECT COUNT(*) FROM events WHERE kind = 'deleted'", "0");
    /* the disk comes from the listing that was kept */
    assert_q(f, "SELECT allocation FROM disks WHERE vm_uuid = 'm1'",
             "6442450944");
    assert_int_equal(inv_count(f->inv, "disks"), 1);

    /* both inactive (shut off on both sides): the first listing wins, and
     * nothing moves since host is still B */
    b[0] = hv_batch("hvB", "c1", 16, 32, 128 * GiB, t2);
    add_vm(b[0], "m1", "mover", SDC_VM_SHUTOFF, 2, 4 * GiB);
    b[1] = hv_batch("hvA", "c1", 16, 32, 128 * GiB, t2);
    add_vm(b[1], "m1", "mover", SDC_VM_SHUTOFF, 2, 4 * GiB);
    record(f, b, 2, t2);
    free_batches(b, 2);
    get_vm(f, "m1", &row);
    assert_string_equal(row.host, "hvB");
    assert_string_equal(row.state, "shutoff");
    assert_q(f, "SELECT COUNT(*) FROM events WHERE kind = 'migrated'", "1");

    /* back to A, active there and listed after the stale B entry */
    b[0] = hv_batch("hvB", "c1", 16, 32, 128 * GiB, t2 + 60);
    add_vm(b[0], "m1", "mover", SDC_VM_SHUTOFF, 2, 4 * GiB);
    b[1] = hv_batch("hvA", "c1", 16, 32, 128 * GiB, t2 + 60);
    add_vm(b[1], "m1", "mover", SDC_VM_RUNNING, 2, 4 * GiB);
    record(f, b, 2, t2 + 60);
    free_batches(b, 2);
    get_vm(f, "m1", &row);
    assert_string_equal(row.host, "hvA");
    assert_int_equal(row.deleted_at, 0);
    assert_q(f, "SELECT detail FROM events WHERE kind = 'migrated' ORDER BY t",
             "hvA -> hvB\nhvB -> hvA");

    /* shut off on A (first), paused on B: active beats inactive */
    b[0] = hv_batch("hvA", "c1", 16, 32, 128 * GiB, t2 + 120);
    add_vm(b[0], "m1", "mover", SDC_VM_SHUTOFF, 2, 4 * GiB);
    b[1] = hv_batch("hvB", "c1", 16, 32, 128 * GiB, t2 + 120);
    add_vm(b[1], "m1", "mover", SDC_VM_PAUSED, 2, 4 * GiB);
    record(f, b, 2, t2 + 120);
    free_batches(b, 2);
    get_vm(f, "m1", &row);
    assert_string_equal(row.host, "hvB");
    assert_string_equal(row.state, "paused");

    /* running on both: the first listing wins, nothing moves */
    b[0] = hv_batch("hvB", "c1", 16, 32, 128 * GiB, t2 + 180);
    add_vm(b[0], "m1", "mover", SDC_VM_RUNNING, 2, 4 * GiB);
    b[1] = hv_batch("hvA", "c1", 16, 32, 128 * GiB, t2 + 180);
    add_vm(b[1], "m1", "mover", SDC_VM_RUNNING, 2, 4 * GiB);
    record(f, b, 2, t2 + 180);
    free_batches(b, 2);
    get_vm(f, "m1", &row);
    assert_string_equal(row.host, "hvB");
    assert_q(f, "SELECT COUNT(*) FROM events WHERE kind = 'migrated'", "3");
    assert_q(f, "SELECT COUNT(*) FROM events WHERE kind = 'deleted'", "0");
    assert_int_equal(inv_count(f->inv, "vms"), 1);
}

/* ---- 5. hostile names -------------------------------------------------- */

static char *hex(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n * 2 + 1);
    assert_non_null(out);
    for (size_t i = 0; i < n; i++)
        snprintf(out + i * 2, 3, "%02X", (unsigned char)s[i]);
    out[n * 2] = '\0';
    return out;
}

static void test_hostile_names(void **state)
{
    struct fx *f = *state;
    time_t t0 = base_time();
    static const char *const names[] = {
        "O'Brien \"the\" `db` $(id)",
        "'); DROP TABLE vms;--",
        "<script>alert(1)</script>",
        "Bh\xc4\x81rat \xe0\xa4\xad\xe0\xa4\xbe\xe0\xa4\xb0\xe0\xa4\xa4 "
        "\xf0\x9f\x87\xae\xf0\x9f\x87\xb3 \\ %s %n",
    };
    const size_t n = sizeof(names) / sizeof(*names);
    struct sdc_batch *b = hv_batch("hv'x\"", "c'1", 4, 8, 16 * GiB, t0);
    struct inv_vm_row row;
    char uuid[16], sql[256];

    for (size_t i = 0; i < n; i++) {
        struct sdc_vm_info vm = {0};
        snprintf(uuid, sizeof(uuid), "h%zu", i);
        vm.uuid = uuid;
        vm.name = (char *)names[i];
        vm.title = (char *)names[(i + 1) % n];
        vm.owner = (char *)names[(i + 2) % n];
        vm.state = SDC_VM_RUNNING;
        vm.vcpus = 1;
        vm.memory = GiB;
        assert_int_equal(sdc_batch_add_vm(b, &vm), SDC_OK);
        add_disk(b, uuid, names[i], names[i], GiB, GiB);
    }
    add_pool(b, names[1], names[2], false, GiB, 0);
    add_volume(b, names[1], names[3], GiB, 0);
    record(f, &b, 1, t0);
    free_batches(&b, 1);

    assert_int_equal(inv_count(f->inv, "vms"), (long)n);
    for (size_t i = 0; i < n; i++) {
        char *want = hex(names[i]);
        snprintf(uuid, sizeof(uuid), "h%zu", i);
        get_vm(f, uuid, &row);
        assert_string_equal(row.name, names[i]);
        assert_string_equal(row.host, "hv'x\"");
        snprintf(sql, sizeof(sql), "SELECT hex(name) FROM vms WHERE uuid='%s'",
                 uuid);
        assert_q(f, sql, want);
        snprintf(sql, sizeof(sql),
                 "SELECT hex(target) FROM disks WHERE vm_uuid='%s'", uuid);
        assert_q(f, sql, want);
        snprintf(sql, sizeof(sql),
                 "SELECT hex(source) FROM disks WHERE vm_uuid='%s'", uuid);
        assert_q(f, sql, want);
        free(want);
        want = hex(names[(i + 2) % n]);
        snprintf(sql, sizeof(sql), "SELECT hex(owner) FROM vms WHERE uuid='%s'",
                 uuid);
        assert_q(f, sql, want);
        free(want);
    }
    {
        char *want = hex(names[1]);
        char *want_vol = hex(names[3]);
        assert_q(f, "SELECT hex(key) FROM pools", want);
        assert_q(f, "SELECT hex(pool_key) FROM volumes", want);
        assert_q(f, "SELECT hex(name) FROM volumes", want_vol);
        free(want);
        free(want_vol);
    }
    /* the hostile host and cluster are plain values too */
    assert_q(f, "SELECT COUNT(*) FROM vms WHERE host = 'hv''x\\\"'", "4");
    assert_q(f, "SELECT hex(cluster) FROM hypervisors", "632731");

    /* rename to a hostile name: history and event hold it byte-exact */
    b = hv_batch("hv'x\"", "c'1", 4, 8, 16 * GiB, t0 + 60);
    for (size_t i = 0; i < n; i++) {
        snprintf(uuid, sizeof(uuid), "h%zu", i);
        add_vm(b, uuid, names[(i + 1) % n], SDC_VM_RUNNING, 1, GiB);
    }
    record(f, &b, 1, t0 + 60);
    free_batches(&b, 1);
    get_vm(f, "h0", &row);
    assert_string_equal(row.name, names[1]);
    {
        char *want = hex(names[1]);
        assert_q(f,
                 "SELECT hex(new_value) FROM events WHERE kind = 'renamed'"
                 " AND entity = 'h0'",
                 want);
        assert_q(f,
                 "SELECT hex(name) FROM vm_names WHERE uuid = 'h0'"
                 " ORDER BY since DESC LIMIT 1",
                 want);
        free(want);
    }
    assert_q(f, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'vms'", "1");
}

/* ---- 6. daily snapshot ------------------------------------------------- */

static void day_of(time_t t, char *buf, size_t size)
{
    struct tm tm;
    assert_non_null(localtime_r(&t, &tm));
    assert_true(strftime(buf, size, "%Y-%m-%d", &tm) > 0);
}

static void test_snapshot(void **state)
{
    struct fx *f = *state;
    time_t t0 = base_time(), t1 = t0 + 3600, old = t0 - 2 * 86400;
    struct sdc_batch *b[3];
    struct sdc_error err = {0};
    char day[16], sql[512], *before, *after;

    /* a host last seen two days ago, with a VM: neither is counted */
    b[0] = hv_batch("hvOld", "c1", 64, 128, 512 * GiB, old);
    add_vm(b[0], "o1", "ghost", SDC_VM_RUNNING, 16, 64 * GiB);
    add_disk(b[0], "o1", "vda", NULL, 500 * GiB, GiB);
    record(f, b, 1, old);
    free_batches(b, 1);

    /* t0: u4 exists; it is gone at t1 (deleted, not counted) */
    b[0] = hv_batch("hvA", "c1", 16, 32, 128 * GiB, t0);
    add_vm(b[0], "u4", "gone", SDC_VM_RUNNING, 1, 2 * GiB);
    add_disk(b[0], "u4", "vda", NULL, 10 * GiB, GiB);
    record(f, b, 1, t0);
    free_batches(b, 1);

    b[0] = hv_batch("hvA", "c1", 16, 32, 128 * GiB, t1);
    add_vm(b[0], "u1", "web", SDC_VM_RUNNING, 4, 8 * GiB);
    add_disk(b[0], "u1", "vda", NULL, 20 * GiB, GiB);
    add_disk(b[0], "u1", "vdb", NULL, 100 * GiB, GiB);
    add_vm(b[0], "u2", "batch", SDC_VM_PAUSED, 2, 4 * GiB);
    add_disk(b[0], "u2", "vda", NULL, 30 * GiB, GiB);
    add_vm(b[0], "u3", "off", SDC_VM_SHUTOFF, 8, 16 * GiB);
    add_disk(b[0], "u3", "vda", NULL, 50 * GiB, GiB);
    add_pool(b[0], "nfs.10.1.0.5.exports.vms", "vms", true, 2000 * GiB,
             500 * GiB);
    add_volume(b[0], "nfs.10.1.0.5.exports.vms", "a.qcow2", 100 * GiB, GiB);
    add_volume(b[0], "nfs.10.1.0.5.exports.vms", "b.qcow2", 200 * GiB, GiB);
    b[1] = hv_batch("hvB", "c1", 8, 16, 64 * GiB, t1);
    add_pool(b[1], "nfs.10.1.0.5.exports.vms", "vms-b", true, 2000 * GiB,
             500 * GiB);
    add_volume(b[1], "nfs.10.1.0.5.exports.vms", "c.qcow2", 300 * GiB, GiB);
    add_pool(b[1], "hvB.local", "local", false, 100 * GiB, 10 * GiB);
    b[2] = hv_batch("hvC", "c2", 4, 8, 32 * GiB, t1);
    add_vm(b[2], "u5", "small", SDC_VM_RUNNING, 2, 4 * GiB);
    add_disk(b[2], "u5", "vda", NULL, 40 * GiB, GiB);
    record(f, b, 3, t1);
    free_batches(b, 3);

    assert_int_equal(inv_count(f->inv, "pools"), 2);
    assert_int_equal(inv_count(f->inv, "pool_hosts"), 3);

    assert_int_equal(inv_snapshot_daily(f->inv, t1, &err), SDC_OK);
    day_of(t1, day, sizeof(day));
    /*
     * c1: hosts hvA+hvB = 2, cores 24, cpus 48, memory 192 GiB;
     * VMs u1 u2 u3 (u4 deleted, o1 not seen for two days) = 3; active u1
     * (running) and u2 (paused) = 2, vcpus 6, vram 12 GiB; provisioned
     * 20+100+30+50 = 200 GiB.  c2: 1 host, 4 cores, 8 cpus, 32 GiB; u5:
     * 1 VM, 1 active, 2 vcpus, 4 GiB, 40 GiB.
     */
    snprintf(sql, sizeof(sql),
             "SELECT cluster, hosts, cores, cpus, memory / %llu, vms,"
             " vms_running, vcpus, vram / %llu, provisioned_storage / %llu"
             " FROM snapshot_cluster WHERE day = '%s' ORDER BY cluster",
             GiB, GiB, GiB, day);
    assert_q(f, sql, "c1|2|24|48|192|3|2|6|12|200\nc2|1|4|8|32|1|1|2|4|40");
    snprintf(sql, sizeof(sql),
             "SELECT pool_key, capacity / %llu, allocation / %llu, volumes,"
             " provisioned / %llu FROM snapshot_pool WHERE day = '%s'"
             " ORDER BY pool_key",
             GiB, GiB, GiB, day);
    assert_q(f, sql,
             "hvB.local|100|10|0|0\n"
             "nfs.10.1.0.5.exports.vms|2000|500|3|600");

    /* idempotent: later the same day, even after changes, nothing moves */
    before = q(f, "SELECT * FROM snapshot_cluster ORDER BY day, cluster;"
                  " SELECT * FROM snapshot_pool ORDER BY day, pool_key");
    b[0] = hv_batch("hvC", "c2", 4, 8, 32 * GiB, t1 + 60);
    add_vm(b[0], "u5", "small", SDC_VM_RUNNING, 2, 4 * GiB);
    add_vm(b[0], "u6", "new", SDC_VM_RUNNING, 8, 8 * GiB);
    record(f, b, 1, t1 + 60);
    free_batches(b, 1);
    assert_int_equal(inv_snapshot_daily(f->inv, t1 + 120, &err), SDC_OK);
    assert_int_equal(inv_snapshot_daily(f->inv, t1 + 7200, &err), SDC_OK);
    after = q(f, "SELECT * FROM snapshot_cluster ORDER BY day, cluster;"
                 " SELECT * FROM snapshot_pool ORDER BY day, pool_key");
    assert_string_equal(before, after);
    free(before);
    free(after);
    assert_int_equal(inv_count(f->inv, "snapshot_cluster"), 2);
    assert_int_equal(inv_count(f->inv, "snapshot_pool"), 2);

    /* the next day gets its own rows, with u6 counted */
    assert_int_equal(inv_snapshot_daily(f->inv, t1 + 82800, &err), SDC_OK);
    day_of(t1 + 82800, day, sizeof(day));
    assert_int_equal(inv_count(f->inv, "snapshot_cluster"), 4);
    assert_int_equal(inv_count(f->inv, "snapshot_pool"), 4);
    snprintf(sql, sizeof(sql),
             "SELECT vms, vcpus FROM snapshot_cluster WHERE day = '%s'"
             " AND cluster = 'c2'",
             day);
    assert_q(f, sql, "2|10");
}

/* ---- opening, errors, reopening ---------------------------------------- */

static void test_open_errors(void **state)
{
    struct fx *f = *state;
    struct sdc_error err = {0};
    struct inv *db = NULL;
    char *path;

    inv_close(NULL);
    assert_int_equal(inv_open(NULL, &db, &err), SDC_ERR_INVALID);
    assert_null(db);

    assert_true(asprintf(&path, "%s/no/such/dir/inventory.db", f->dir) > 0);
    assert_int_equal(inv_open(path, &db, &err), SDC_ERR_DB);
    assert_null(db);
    assert_int_equal(err.code, SDC_ERR_DB);
    assert_non_null(strstr(err.msg, "unable to open"));
    free(path);

    /* not a database: a clear error, the file is left alone */
    assert_true(asprintf(&path, "%s/garbage.db", f->dir) > 0);
    assert_true(tu_write_file(path,
                              "this is not an SQLite database, it is text "
                              "long enough to have a header........\n",
                              0644));
    assert_int_equal(inv_open(path, &db, &err), SDC_ERR_DB);
    assert_null(db);
    assert_non_null(strstr(err.msg, "not a database"));
    free(path);

    /* a database from a newer program is refused, not modified */
    assert_true(asprintf(&path, "%s/newer.db", f->dir) > 0);
    assert_int_equal(
        tu_runf(NULL, "sqlite3 '%s' 'PRAGMA user_version=99'", path), 0);
    assert_int_equal(inv_open(path, &db, &err), SDC_ERR_DB);
    assert_null(db);
    assert_non_null(strstr(err.msg, "schema version 99"));
    free(path);

    /* calls without a database */
    assert_int_equal(inv_record_batches(NULL, NULL, 0, 0, &err),
                     SDC_ERR_INVALID);
    assert_int_equal(inv_snapshot_daily(NULL, 0, &err), SDC_ERR_INVALID);
    assert_int_equal(inv_get_vm(NULL, "x", NULL, &err), SDC_ERR_INVALID);
}

static void test_reopen_keeps_data(void **state)
{
    struct fx *f = *state;
    time_t t0 = base_time();
    struct sdc_batch *b = first_batch(t0);
    struct sdc_error err = {0};
    struct inv_vm_row row;

    record(f, &b, 1, t0);
    free_batches(&b, 1);
    inv_close(f->inv);
    f->inv = NULL;
    assert_int_equal(inv_open(f->path, &f->inv, &err), SDC_OK);
    assert_int_equal(inv_count(f->inv, "vms"), 3);
    get_vm(f, "u2", &row);
    assert_string_equal(row.name, "db01");
    assert_int_equal(q_long(f, "PRAGMA user_version"), INV_SCHEMA_VERSION);
    /* an empty cycle is fine */
    assert_int_equal(inv_record_batches(f->inv, NULL, 0, t0 + 60, &err),
                     SDC_OK);
    assert_int_equal(inv_count(f->inv, "vms"), 3);
}

/* A failure in the middle of a cycle rolls the whole cycle back. */
static void test_cycle_error_rolls_back(void **state)
{
    struct fx *f = *state;
    time_t t0 = base_time();
    struct sdc_batch *b = first_batch(t0);
    struct sdc_error err = {0};

    assert_int_equal(
        tu_runf(NULL,
                "sqlite3 '%s' \"CREATE TRIGGER fail_disks BEFORE INSERT ON"
                " disks BEGIN SELECT RAISE(ABORT, 'injected failure'); END\"",
                f->path),
        0);
    assert_int_equal(inv_record_batches(f->inv, &b, 1, t0, &err), SDC_ERR_DB);
    assert_int_equal(err.code, SDC_ERR_DB);
    assert_non_null(strstr(err.msg, "injected failure"));
    /* the VMs upserted before the failure are gone with it */
    assert_int_equal(inv_count(f->inv, "vms"), 0);
    assert_int_equal(inv_count(f->inv, "events"), 0);
    assert_int_equal(inv_count(f->inv, "hypervisors"), 0);

    /* the connection stays usable */
    assert_int_equal(
        tu_runf(NULL, "sqlite3 '%s' 'DROP TRIGGER fail_disks'", f->path), 0);
    record(f, &b, 1, t0);
    assert_int_equal(inv_count(f->inv, "vms"), 3);
    assert_int_equal(inv_count(f->inv, "disks"), 4);
    free_batches(&b, 1);
}

/* ---- 7. scale ---------------------------------------------------------- */

#define SCALE_HOSTS 20
#define SCALE_VMS 2000

static void scale_cycle(struct fx *f, time_t t, const char *prefix,
                        double *secs)
{
    struct sdc_batch *b[SCALE_HOSTS];
    struct timespec a, z;
    char host[32], uuid[48], name[64], mac[32];

    for (int h = 0; h < SCALE_HOSTS; h++) {
        snprintf(host, sizeof(host), "hv%02d", h);
        b[h] = hv_batch(host, h < SCALE_HOSTS / 2 ? "c1" : "c2", 32, 64,
                        512 * GiB, t);
        add_pool(b[h], host, "default", false, 4000 * GiB, 1000 * GiB);
    }
    for (int i = 0; i < SCALE_VMS; i++) {
        struct sdc_batch *bb = b[i % SCALE_HOSTS];
        snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-%012d", i);
        snprintf(name, sizeof(name), "%s-vm%04d", prefix, i);
        add_vm(bb, uuid, name, i % 10 ? SDC_VM_RUNNING : SDC_VM_SHUTOFF, 2,
               4 * GiB);
        add_disk(bb, uuid, "vda", name, 20 * GiB, 5 * GiB);
        add_disk(bb, uuid, "vdb", name, 100 * GiB, 50 * GiB);
        snprintf(mac, sizeof(mac), "52:54:00:%02x:%02x:01", (i >> 8) & 0xff,
                 i & 0xff);
        add_nic(bb, uuid, mac, "br0");
        snprintf(mac, sizeof(mac), "52:54:00:%02x:%02x:02", (i >> 8) & 0xff,
                 i & 0xff);
        add_nic(bb, uuid, mac, "br1");
    }
    clock_gettime(CLOCK_MONOTONIC, &a);
    record(f, b, SCALE_HOSTS, t);
    clock_gettime(CLOCK_MONOTONIC, &z);
    free_batches(b, SCALE_HOSTS);
    *secs =
        (double)(z.tv_sec - a.tv_sec) + (double)(z.tv_nsec - a.tv_nsec) / 1e9;
}

static void test_scale(void **state)
{
    struct fx *f = *state;
    time_t t0 = base_time();
    struct sdc_error err = {0};
    double first, second;

    scale_cycle(f, t0, "new", &first);
    scale_cycle(f, t0 + 60, "renamed", &second);
    printf("[ INFO     ] %d VMs x 2 disks x 2 NICs on %d hosts: first cycle "
           "%.3f s, second cycle (all renamed) %.3f s\n",
           SCALE_VMS, SCALE_HOSTS, first, second);
    assert_int_equal(inv_count(f->inv, "vms"), SCALE_VMS);
    assert_int_equal(inv_count(f->inv, "disks"), 2 * SCALE_VMS);
    assert_int_equal(inv_count(f->inv, "nics"), 2 * SCALE_VMS);
    assert_int_equal(inv_count(f->inv, "vm_names"), 2 * SCALE_VMS);
    assert_int_equal(inv_count(f->inv, "events"), 2 * SCALE_VMS);
    assert_int_equal(inv_snapshot_daily(f->inv, t0 + 60, &err), SDC_OK);
    assert_q(f, "SELECT SUM(vms), SUM(vms_running) FROM snapshot_cluster",
             "2000|1800");
}

/* ---- SNMP devices, interfaces, storages --------------------------------- */

static struct sdc_batch *snmp_batch(const char *dev, time_t t, bool if_complete,
                                    bool st_complete)
{
    struct sdc_batch *b = sdc_batch_new(dev, t);
    struct sdc_snmp_device_info d = {0};
    assert_non_null(b);
    b->ok = true;
    d.name = (char *)dev;
    d.address = "udp:127.0.0.1:1161";
    d.role = "switch";
    d.sys_descr = "Linux sw 6.1";
    d.sys_name = "sw.example";
    d.uptime = 12345.67;
    d.interfaces_complete = if_complete;
    d.storages_complete = st_complete;
    assert_int_equal(sdc_batch_set_snmp_device(b, &d), SDC_OK);
    return b;
}

static void add_if(struct sdc_batch *b, const char *name, int idx,
                   uint64_t speed, bool uplink, int oper)
{
    struct sdc_interface_info i = {0};
    i.device = b->source;
    i.name = (char *)name;
    i.alias = "to core";
    i.descr = (char *)name;
    i.if_index = idx;
    i.speed = speed;
    i.uplink = uplink;
    i.oper_status = oper;
    assert_int_equal(sdc_batch_add_interface(b, &i), SDC_OK);
}

static void add_storage(struct sdc_batch *b, const char *descr, bool has_used,
                        uint64_t size, uint64_t used)
{
    struct sdc_storage_info g = {0};
    g.device = b->source;
    g.descr = (char *)descr;
    g.has_size = true;
    g.has_used = has_used;
    g.size = size;
    g.used = used;
    assert_int_equal(sdc_batch_add_storage(b, &g), SDC_OK);
}

static void test_snmp_devices(void **state)
{
    struct fx *f = *state;
    time_t t0 = base_time();
    struct sdc_batch *b[2];

    /* cycle 1: a device with two interfaces and a storage, beside a
     * hypervisor of the same name that must keep its VMs */
    b[0] = hv_batch("sw1", "c1", 8, 16, 64 * GiB, t0);
    add_vm(b[0], "v1", "web", SDC_VM_RUNNING, 2, 4 * GiB);
    b[1] = snmp_batch("sw1", t0, true, true);
    add_if(b[1], "eth0", 2, 10000000000ULL, true, 1);
    add_if(b[1], "eth1", 3, 1000000000ULL, false, 2);
    add_storage(b[1], "/", true, 100 * GiB, 40 * GiB);
    record(f, b, 2, t0);
    free_batches(b, 2);
    assert_q(f,
             "SELECT name, address, role, sys_descr, sys_name, uptime,"
             " first_seen = last_seen FROM snmp_devices",
             "sw1|udp:127.0.0.1:1161|switch|Linux sw 6.1|sw.example|12345|1");
    assert_q(f,
             "SELECT name, alias, speed, uplink, if_index, oper_status,"
             " vanished_at IS NULL FROM interfaces ORDER BY name",
             "eth0|to core|10000000000|1|2|up|1\n"
             "eth1|to core|1000000000|0|3|down|1");
    assert_q(f, "SELECT descr, size, used FROM storages",
             "/|107374182400|42949672960");
    assert_q(f,
             "SELECT kind, entity, detail FROM events WHERE kind LIKE"
             " 'interface%' OR kind LIKE 'storage%' ORDER BY kind, entity",
             "interface added|sw1/eth0|interface added on sw1\n"
             "interface added|sw1/eth1|interface added on sw1\n"
             "storage added|sw1//|storage added on sw1");
    assert_int_equal(inv_count(f->inv, "vms"), 1);

    /* cycle 2: eth1 gone from a complete listing (renumbered eth0 keeps its
     * row), the storage's used figure unknown, the VM's host silent */
    b[0] = snmp_batch("sw1", t0 + 60, true, true);
    add_if(b[0], "eth0", 7, 10000000000ULL, true, 1);
    add_storage(b[0], "/", false, 100 * GiB, 0);
    record(f, b, 1, t0 + 60);
    free_batches(b, 1);
    assert_q(f,
             "SELECT name, if_index, last_seen - first_seen, vanished_at - "
             "first_seen FROM interfaces ORDER BY name",
             "eth0|7|60|\neth1|3|0|60");
    assert_q(f, "SELECT used FROM storages", "42949672960");
    assert_q(f,
             "SELECT entity, detail, host FROM events WHERE kind ="
             " 'interface vanished'",
             "sw1/eth1|interface vanished from sw1|sw1");
    /* an SNMP batch never sweeps the VMs of a hypervisor of its name */
    assert_q(f, "SELECT deleted_at IS NULL FROM vms WHERE uuid = 'v1'", "1");

    /* cycle 3: an incomplete listing vanishes nothing; no new events */
    b[0] = snmp_batch("sw1", t0 + 120, false, false);
    record(f, b, 1, t0 + 120);
    free_batches(b, 1);
    assert_q(f, "SELECT COUNT(*) FROM events WHERE kind LIKE '%vanished'", "1");
    assert_q(f, "SELECT COUNT(*) FROM interfaces WHERE vanished_at IS NULL",
             "1");

    /* cycle 4: the storage vanishes from a complete listing, eth1 returns */
    b[0] = snmp_batch("sw1", t0 + 180, true, true);
    add_if(b[0], "eth0", 7, 10000000000ULL, true, 1);
    add_if(b[0], "eth1", 8, 1000000000ULL, false, 1);
    record(f, b, 1, t0 + 180);
    free_batches(b, 1);
    assert_q(f, "SELECT kind FROM events WHERE entity = 'sw1/eth1' ORDER BY t",
             "interface added\ninterface vanished\ninterface added");
    assert_q(f,
             "SELECT vanished_at IS NULL, oper_status FROM interfaces"
             " WHERE name = 'eth1'",
             "1|up");
    assert_q(f, "SELECT kind FROM events WHERE entity = 'sw1//' ORDER BY t",
             "storage added\nstorage vanished");
    assert_q(f, "SELECT vanished_at - first_seen FROM storages", "180");

    /* a failed device batch changes nothing */
    b[0] = snmp_batch("sw1", t0 + 240, true, true);
    b[0]->ok = false;
    record(f, b, 1, t0 + 240);
    free_batches(b, 1);
    assert_q(f, "SELECT last_seen - first_seen FROM snmp_devices", "180");
    assert_q(f, "SELECT COUNT(*) FROM interfaces WHERE vanished_at IS NULL",
             "2");
}

/* ---- SNMP rows written only when new or changed ------------------------- */

#define SC_DEVS 3
#define SC_IFS 6
#define SC_STORAGES 2
#define SC_ROWS (SC_DEVS * (1 + SC_IFS + SC_STORAGES))

/*
 * Cycle @k of an SNMP scenario: sw1..sw3 with eth0..eth5 and two storages.
 * sw3's uptime moves every cycle (its device row always changes); from
 * cycle 2 sw1's eth2 is faster, sw2's eth1 has a new ifDescr and sw1's /var
 * holds more; in cycle 3 sw3 lists no eth5 (complete listing: swept), which
 * returns in cycle 4; in cycle 5 sw2's listing is incomplete, without eth4
 * and eth5 (not swept).  @b gets SC_DEVS batches.
 */
static void snmp_scenario(int k, time_t t, struct sdc_batch **b)
{
    static const char *const devs[SC_DEVS] = {"sw1", "sw2", "sw3"};
    static const char *const ifs[SC_IFS] = {"eth0", "eth1", "eth2",
                                            "eth3", "eth4", "eth5"};

    for (int d = 0; d < SC_DEVS; d++) {
        bool incomplete = k == 5 && d == 1;
        b[d] = snmp_batch(devs[d], t, !incomplete, true);
        if (d == 2)
            b[d]->snmp_device.uptime = 1000.0 + 60.0 * k;
        for (int i = 0; i < SC_IFS; i++) {
            struct sdc_interface_info fi = {0};
            if ((k == 3 && d == 2 && i == 5) || (incomplete && i >= 4))
                continue;
            fi.device = b[d]->source;
            fi.name = (char *)ifs[i];
            fi.alias = "to core";
            fi.descr =
                k >= 2 && d == 1 && i == 1 ? "uplink eth1" : (char *)ifs[i];
            fi.if_index = i + 1;
            fi.speed =
                k >= 2 && d == 0 && i == 2 ? 10000000000ULL : 1000000000ULL;
            fi.uplink = i == 0;
            fi.oper_status = 1;
            assert_int_equal(sdc_batch_add_interface(b[d], &fi), SDC_OK);
        }
        add_storage(b[d], "/", true, 100 * GiB, 40 * GiB);
        add_storage(b[d], "/var", true, 50 * GiB,
                    (k >= 2 && d == 0 ? 30 : 20) * GiB);
    }
}

/* Stats of @inv since @s0 (updated to now). */
static struct inv_stats stats_since(struct inv *inv, struct inv_stats *s0)
{
    struct inv_stats s1, d;
    inv_get_stats(inv, &s1);
    d.cycles = s1.cycles - s0->cycles;
    d.rows_written = s1.rows_written - s0->rows_written;
    d.rows_unchanged = s1.rows_unchanged - s0->rows_unchanged;
    d.resets = s1.resets - s0->resets;
    d.remembered = s1.remembered;
    *s0 = s1;
    return d;
}

/* Every SNMP table and the events, every column, in rowid order, of the
 * file kept by one connection (f->path) and of @slow, written by a new
 * connection every cycle (which remembers nothing): the same. */
static void assert_same_snmp(const struct fx *f, const char *slow, int k)
{
    char *out = NULL;
    int rc = tu_runf(&out,
                     "for db in '%s' '%s'; do sqlite3 \"$db\" '.mode list'"
                     " 'SELECT rowid, * FROM snmp_devices ORDER BY rowid'"
                     " 'SELECT rowid, * FROM interfaces ORDER BY rowid'"
                     " 'SELECT rowid, * FROM storages ORDER BY rowid'"
                     " 'SELECT rowid, * FROM events ORDER BY rowid'"
                     " > \"$db.txt\" || exit 1; done;"
                     " diff '%s.txt' '%s.txt' | head -20",
                     slow, f->path, slow, f->path);
    assert_int_equal(rc, 0);
    assert_non_null(out);
    if (out[0] != '\0')
        fail_msg("cycle %d: the inventories differ (< cache cleared, > row "
                 "cache):\n%s",
                 k, out);
    free(out);
}

/* One cycle @k at @t into both files; the fast connection's stats delta. */
static struct inv_stats snmp_both(struct fx *f, const char *slow, int k,
                                  time_t t, struct inv_stats *s0)
{
    struct sdc_batch *b[SC_DEVS];
    struct sdc_error err = {0};
    struct inv *fresh = NULL;

    snmp_scenario(k, t, b);
    record(f, b, SC_DEVS, t);
    assert_int_equal(inv_open(slow, &fresh, &err), SDC_OK);
    assert_int_equal(inv_record_batches(fresh, b, SC_DEVS, t, &err), SDC_OK);
    inv_close(fresh);
    free_batches(b, SC_DEVS);
    assert_same_snmp(f, slow, k);
    return stats_since(f->inv, s0);
}

/* snmp_both, asserting the rows the fast connection wrote and found
 * unchanged. */
static struct inv_stats snmp_cycle(struct fx *f, const char *slow, int k,
                                   time_t t, struct inv_stats *s0,
                                   uint64_t written, uint64_t unchanged)
{
    struct inv_stats d = snmp_both(f, slow, k, t, s0);
    if (d.rows_written != written || d.rows_unchanged != unchanged)
        fail_msg("cycle %d: %llu rows written, %llu unchanged; want %llu, "
                 "%llu",
                 k, (unsigned long long)d.rows_written,
                 (unsigned long long)d.rows_unchanged,
                 (unsigned long long)written, (unsigned long long)unchanged);
    return d;
}

static void test_snmp_rows_cached(void **state)
{
    struct fx *f = *state;
    time_t t0 = base_time();
    struct sdc_error err = {0};
    struct inv_stats s0 = {0}, d;
    char *slow = NULL;
    char sql[256];

    assert_true(asprintf(&slow, "%s/slow.db", f->dir) > 0);
    d = snmp_cycle(f, slow, 0, t0, &s0, SC_ROWS, 0);
    assert_int_equal(d.remembered, SC_ROWS);
    assert_q(f, "SELECT COUNT(*) FROM events WHERE kind = 'interface added'",
             "18");

    /* the same listing: only sw3's device row (its uptime moved) */
    d = snmp_cycle(f, slow, 1, t0 + 60, &s0, 1, SC_ROWS - 1);
    snprintf(sql, sizeof(sql),
             "SELECT (SELECT COUNT(*) FROM snmp_devices WHERE last_seen = %lld)"
             " || '|' || (SELECT COUNT(*) FROM interfaces WHERE last_seen ="
             " %lld) || '|' || (SELECT COUNT(*) FROM storages WHERE"
             " last_seen = %lld)",
             (long long)t0 + 60, (long long)t0 + 60, (long long)t0 + 60);
    assert_q(f, sql, "3|18|6");
    assert_q(f, "SELECT uptime FROM snmp_devices WHERE name = 'sw3'", "1060");
    assert_q(f, "SELECT COUNT(*) FROM events", "24");

    /* a faster eth2, a new ifDescr, more used on /var: those rows only,
     * and no event, as before */
    d = snmp_cycle(f, slow, 2, t0 + 120, &s0, 4, SC_ROWS - 4);
    assert_q(f,
             "SELECT speed FROM interfaces WHERE device = 'sw1' AND"
             " name = 'eth2'",
             "10000000000");
    assert_q(f,
             "SELECT descr, last_seen - first_seen FROM interfaces WHERE"
             " device = 'sw2' AND name = 'eth1'",
             "uplink eth1|120");
    assert_q(f,
             "SELECT used / 1073741824 FROM storages WHERE device = 'sw1'"
             " AND descr = '/var'",
             "30");
    assert_q(f, "SELECT COUNT(*) FROM events", "24");

    /* sw3's eth5 gone from a complete listing: swept, one event */
    d = snmp_cycle(f, slow, 3, t0 + 180, &s0, 1, SC_ROWS - 2);
    snprintf(sql, sizeof(sql),
             "SELECT entity, t - %lld FROM events WHERE kind ="
             " 'interface vanished'",
             (long long)t0);
    assert_q(f, sql, "sw3/eth5|180");
    assert_q(f, "SELECT COUNT(*) FROM interfaces WHERE vanished_at IS NOT NULL",
             "1");

    /* it returns: written again (the cache forgot it), added again */
    d = snmp_cycle(f, slow, 4, t0 + 240, &s0, 2, SC_ROWS - 2);
    assert_q(f,
             "SELECT kind FROM events WHERE entity = 'sw3/eth5' ORDER BY"
             " rowid",
             "interface added\ninterface vanished\ninterface added");
    assert_q(f, "SELECT COUNT(*) FROM interfaces WHERE vanished_at IS NOT NULL",
             "0");

    /* an incomplete listing: what it lacks is neither swept nor seen */
    d = snmp_cycle(f, slow, 5, t0 + 300, &s0, 1, SC_ROWS - 3);
    assert_q(f,
             "SELECT name, last_seen - first_seen, vanished_at IS NULL FROM"
             " interfaces WHERE device = 'sw2' AND name >= 'eth4' ORDER BY"
             " name",
             "eth4|240|1\neth5|240|1");
    d = snmp_cycle(f, slow, 6, t0 + 360, &s0, 1, SC_ROWS - 1);
    assert_q(f, "SELECT COUNT(*) FROM events", "26");

    /* another writer changes a row of both files: everything is written
     * once (the row is put back), then nothing again */
    assert_int_equal(tu_runf(NULL,
                             "for db in '%s' '%s'; do sqlite3 \"$db\""
                             " \"UPDATE interfaces SET speed = 1 WHERE"
                             " device = 'sw1' AND name = 'eth0'\" || exit 1;"
                             " done",
                             f->path, slow),
                     0);
    d = snmp_cycle(f, slow, 6, t0 + 420, &s0, SC_ROWS, 0);
    assert_int_equal(d.resets, 1);
    assert_q(f,
             "SELECT speed FROM interfaces WHERE device = 'sw1' AND"
             " name = 'eth0'",
             "1000000000");
    /* (sw3's uptime as in the cycle before: nothing written) */
    d = snmp_cycle(f, slow, 6, t0 + 480, &s0, 0, SC_ROWS);
    assert_int_equal(d.resets, 0);

    /* an import on this connection: the same */
    assert_int_equal(inv_import_begin(f->inv, &err), SDC_OK);
    assert_int_equal(inv_import_commit(f->inv, &err), SDC_OK);
    d = snmp_cycle(f, slow, 6, t0 + 540, &s0, SC_ROWS, 0);
    assert_int_equal(d.remembered, SC_ROWS);
    assert_q(f, "SELECT COUNT(*) FROM events", "26");
    free(slow);
}

/* A version 1 database (no SNMP columns) is migrated, keeping its rows. */
static void test_snmp_migration_from_v1(void **state)
{
    struct fx *f = *state;
    time_t t0 = base_time();
    struct sdc_batch *b = snmp_batch("sw1", t0, true, true);
    struct sdc_error err = {0};

    add_if(b, "eth0", 2, 1000, false, 1);
    record(f, &b, 1, t0);
    free_batches(&b, 1);
    inv_close(f->inv);
    f->inv = NULL;
    assert_int_equal(
        tu_runf(NULL,
                "sqlite3 '%s' 'ALTER TABLE snmp_devices DROP COLUMN sys_name;"
                " ALTER TABLE snmp_devices DROP COLUMN uptime;"
                " ALTER TABLE interfaces DROP COLUMN descr;"
                " ALTER TABLE interfaces DROP COLUMN if_index;"
                " ALTER TABLE interfaces DROP COLUMN oper_status;"
                " ALTER TABLE interfaces DROP COLUMN vanished_at;"
                " ALTER TABLE storages DROP COLUMN vanished_at;"
                " PRAGMA user_version = 1'",
                f->path),
        0);
    assert_int_equal(q_long(f, "PRAGMA user_version"), 1);
    assert_int_equal(inv_open(f->path, &f->inv, &err), SDC_OK);
    assert_int_equal(q_long(f, "PRAGMA user_version"), INV_SCHEMA_VERSION);
    assert_q(f, "SELECT name, speed, if_index IS NULL FROM interfaces",
             "eth0|1000|1");
    b = snmp_batch("sw1", t0 + 60, true, true);
    add_if(b, "eth0", 2, 1000, false, 1);
    record(f, &b, 1, t0 + 60);
    free_batches(&b, 1);
    assert_q(f, "SELECT if_index, sys_name FROM interfaces, snmp_devices",
             "2|sw.example");
}

/* ---- poll status (schema 3, keyed by kind too in 4) ------------------ */

static void poll(struct fx *f, struct sdc_batch **b, size_t n, time_t t)
{
    struct sdc_error err = {0};
    if (inv_record_poll(f->inv, b, n, t, &err) != SDC_OK)
        fail_msg("inv_record_poll: %s", err.msg);
}

static struct sdc_batch *status_batch(const char *source, const char *kind,
                                      bool ok, const char *error, time_t t)
{
    struct sdc_batch *b = sdc_batch_new(source, t);
    assert_non_null(b);
    b->kind = kind;
    b->ok = ok;
    if (!ok)
        sdc_error_set(&b->error, SDC_ERR_TIMEOUT, "%s", error);
    return b;
}

/*
 * Per target and day: cycles answered and failed with the last error;
 * status and transitions written only when a target goes up or down; a new
 * day starts new counters.
 */
static void test_poll_status(void **state)
{
    struct fx *f = *state;
    time_t t0 = base_time();
    /* hv-a answers 5 cycles, fails cycles 2 and 3, answers again; sw1
     * (SNMP) answers throughout */
    for (int i = 0; i < 6; i++) {
        bool up = i != 2 && i != 3;
        char msg[64];
        struct sdc_batch *b[2];
        snprintf(msg, sizeof(msg), "hv-a: timed out (cycle %d)", i);
        b[0] = status_batch("hv-a", "libvirt", up, msg, t0 + i * 60);
        b[1] = status_batch("sw1", "snmp", true, NULL, t0 + i * 60);
        poll(f, b, 2, t0 + i * 60);
        free_batches(b, 2);
    }
    assert_q(f,
             "SELECT target, kind, cycles_ok, cycles_failed, last_error,"
             " last_error_at - first_t, last_t - first_t FROM poll_days"
             " ORDER BY target",
             "hv-a|libvirt|4|2|hv-a: timed out (cycle 3)|180|300\n"
             "sw1|snmp|6|0|||300");
    assert_q(f, "SELECT COUNT(DISTINCT day) FROM poll_days", "1");
    /* transitions: first sight up, down at cycle 2, up at cycle 4 */
    {
        char want[256];
        snprintf(want, sizeof(want),
                 "hv-a|%lld|1|\nhv-a|%lld|0|hv-a: timed out (cycle 2)\n"
                 "hv-a|%lld|1|\nsw1|%lld|1|",
                 (long long)t0, (long long)t0 + 120, (long long)t0 + 240,
                 (long long)t0);
        assert_q(f,
                 "SELECT target, t, up, IFNULL(error, '') FROM"
                 " poll_transitions ORDER BY target, t",
                 want);
        snprintf(want, sizeof(want), "hv-a|1|%lld\nsw1|1|%lld",
                 (long long)t0 + 240, (long long)t0);
        assert_q(f, "SELECT target, up, since FROM poll_status ORDER BY target",
                 want);
    }
    /* the next day: new counters, the old day's stay */
    {
        struct sdc_batch *b =
            status_batch("hv-a", "libvirt", false, "hv-a: refused", t0 + 86400);
        poll(f, &b, 1, t0 + 86400);
        free_batches(&b, 1);
    }
    assert_q(f,
             "SELECT COUNT(*), SUM(cycles_ok), SUM(cycles_failed) FROM"
             " poll_days WHERE target = 'hv-a'",
             "2|4|3");
    assert_q(f,
             "SELECT cycles_ok, cycles_failed, last_error FROM poll_days"
             " WHERE target = 'hv-a' ORDER BY day DESC LIMIT 1",
             "0|1|hv-a: refused");
    assert_q(f, "SELECT COUNT(*) FROM poll_transitions", "5");
}

/* A version 2 database (before poll status) is migrated to the current
 * version keeping its rows, and then records poll status. */
static void test_poll_migration_from_v2(void **state)
{
    struct fx *f = *state;
    time_t t0 = base_time();
    struct sdc_batch *b = first_batch(t0);
    struct sdc_error err = {0};
    long vms;

    record(f, &b, 1, t0);
    free_batches(&b, 1);
    vms = q_long(f, "SELECT COUNT(*) FROM vms");
    assert_true(vms > 0);
    inv_close(f->inv);
    f->inv = NULL;
    assert_int_equal(tu_runf(NULL,
                             "sqlite3 '%s' 'DROP TABLE poll_days;"
                             " DROP TABLE poll_status;"
                             " DROP TABLE poll_transitions;"
                             " PRAGMA user_version = 2'",
                             f->path),
                     0);
    assert_q(f, "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'poll_%'",
             "0");
    assert_int_equal(inv_open(f->path, &f->inv, &err), SDC_OK);
    assert_int_equal(q_long(f, "PRAGMA user_version"), INV_SCHEMA_VERSION);
    assert_q(f,
             "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND"
             " name LIKE 'poll_%'",
             "3");
    assert_int_equal(q_long(f, "SELECT COUNT(*) FROM vms"), vms);
    b = status_batch("hv1", "libvirt", true, NULL, t0 + 60);
    poll(f, &b, 1, t0 + 60);
    free_batches(&b, 1);
    assert_q(f, "SELECT target, cycles_ok FROM poll_days", "hv1|1");
}

/* A hypervisor and an SNMP device of one name (a host polled through
 * libvirt and through SNMP): two targets, each with its own counters and
 * status, not one row whose status flaps every cycle. */
static void test_poll_same_name(void **state)
{
    struct fx *f = *state;
    time_t t0 = base_time();
    for (int i = 0; i < 4; i++) {
        struct sdc_batch *b[2];
        b[0] = status_batch("hv01", "libvirt", true, NULL, t0 + i * 60);
        b[1] =
            status_batch("hv01", "snmp", false, "hv01: no answer", t0 + i * 60);
        poll(f, b, 2, t0 + i * 60);
        free_batches(b, 2);
    }
    assert_q(f,
             "SELECT target, kind, cycles_ok, cycles_failed FROM poll_days"
             " ORDER BY kind",
             "hv01|libvirt|4|0\nhv01|snmp|0|4");
    assert_q(f, "SELECT target, kind, up FROM poll_status ORDER BY kind",
             "hv01|libvirt|1\nhv01|snmp|0");
    /* first sight of each, then no change */
    assert_q(f, "SELECT COUNT(*) FROM poll_transitions", "2");
}

/* A version 3 database (poll tables keyed by target alone) is migrated to
 * 4 keeping its rows; the same name then counts once per kind. */
static void test_poll_migration_from_v3(void **state)
{
    struct fx *f = *state;
    time_t t0 = base_time();
    struct sdc_batch *b;
    struct sdc_error err = {0};

    inv_close(f->inv);
    f->inv = NULL;
    /* the poll tables as schema 3 made them, with a row of each */
    assert_int_equal(
        tu_runf(NULL,
                "sqlite3 '%s' 'DROP TABLE poll_days; DROP TABLE poll_status;"
                " DROP TABLE poll_transitions;"
                " CREATE TABLE poll_days (target TEXT NOT NULL,"
                " day TEXT NOT NULL, kind TEXT,"
                " cycles_ok INTEGER NOT NULL DEFAULT 0,"
                " cycles_failed INTEGER NOT NULL DEFAULT 0,"
                " first_t INTEGER NOT NULL, last_t INTEGER NOT NULL,"
                " last_error TEXT, last_error_at INTEGER,"
                " PRIMARY KEY (target, day));"
                " CREATE INDEX poll_days_day ON poll_days(day);"
                " CREATE TABLE poll_status (target TEXT PRIMARY KEY, kind TEXT,"
                " up INTEGER NOT NULL, since INTEGER NOT NULL, error TEXT);"
                " CREATE TABLE poll_transitions (t INTEGER NOT NULL,"
                " target TEXT NOT NULL, kind TEXT, up INTEGER NOT NULL,"
                " error TEXT);"
                " CREATE INDEX poll_transitions_target"
                " ON poll_transitions(target, t);"
                " INSERT INTO poll_days VALUES (\"hv01\", \"2026-01-01\","
                " \"libvirt\", 7, 1, 100, 200, \"x\", 150);"
                " INSERT INTO poll_days VALUES (\"old\", \"2026-01-01\", NULL,"
                " 1, 0, 100, 100, NULL, NULL);"
                " INSERT INTO poll_status VALUES (\"hv01\", \"libvirt\", 1,"
                " 160, NULL);"
                " INSERT INTO poll_transitions VALUES (160, \"hv01\","
                " \"libvirt\", 1, NULL);"
                " PRAGMA user_version = 3'",
                f->path),
        0);
    assert_int_equal(inv_open(f->path, &f->inv, &err), SDC_OK);
    assert_int_equal(q_long(f, "PRAGMA user_version"), 4);
    assert_q(f,
             "SELECT target, kind, day, cycles_ok, cycles_failed, last_error,"
             " last_error_at FROM poll_days ORDER BY target",
             "hv01|libvirt|2026-01-01|7|1|x|150\nold||2026-01-01|1|0||");
    assert_q(f, "SELECT target, kind, up, since FROM poll_status",
             "hv01|libvirt|1|160");
    assert_q(f,
             "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND"
             " name IN ('poll_days_day', 'poll_transitions_target')",
             "2");
    /* an SNMP device hv01 now has rows of its own */
    b = status_batch("hv01", "snmp", false, "no answer", t0);
    poll(f, &b, 1, t0);
    free_batches(&b, 1);
    assert_q(f, "SELECT kind, up FROM poll_status ORDER BY kind",
             "libvirt|1\nsnmp|0");
    assert_q(f, "SELECT COUNT(*) FROM poll_transitions WHERE target = 'hv01'",
             "2");
}

/* ---- pruning the poll status ------------------------------------------ */

/* Run @sql (no double quotes in it) with sqlite3. */
static void exec_q(const struct fx *f, const char *sql)
{
    char *out = q(f, sql);
    free(out);
}

/*
 * What the daily digest (reporter/digest.c) reads for the day @day at the
 * end of the period @until: per target its last transition at or before
 * @until and the day's counters, then the targets polled that day - its
 * own queries, one line per target.
 */
static char *digest_reads(const struct fx *f, const char *day, time_t until)
{
    char sql[2048];
    snprintf(sql, sizeof(sql),
             "SELECT tg.target, tg.kind,"
             " (SELECT up || '@' || t FROM poll_transitions WHERE"
             "  target = tg.target AND kind = tg.kind AND t <= %lld"
             "  ORDER BY t DESC LIMIT 1),"
             " (SELECT cycles_ok || '/' || cycles_failed || '/' ||"
             "  IFNULL(last_error, '') || '/' || IFNULL(last_error_at, 0)"
             "  FROM poll_days WHERE target = tg.target AND day = '%s'"
             "  AND kind = tg.kind)"
             " FROM (SELECT 'hv-a' AS target, 'libvirt' AS kind"
             "  UNION ALL SELECT 'hv-b', 'libvirt'"
             "  UNION ALL SELECT 'sw1', 'snmp') tg ORDER BY 1, 2;"
             "SELECT '-', target, IFNULL(kind, '') FROM poll_days"
             " WHERE day = '%s' ORDER BY target, kind",
             (long long)until, day, day);
    return q(f, sql);
}

/*
 * Poll status older than the bound goes, newer stays, and each target's
 * last transition before the bound stays: what the digest reads for every
 * day from the bound on is the same before and after; once a day.
 */
static void test_prune_poll(void **state)
{
    struct fx *f = *state;
    struct sdc_error err = {0};
    struct inv_prune_stats ps;
    time_t now = base_time();
    time_t cut = now - (time_t)INV_POLL_KEEP_DAYS * 86400;
    char today[16], cut_day[16], sql[1024];
    char *before[4];
    time_t probe[4] = {cut, cut + 86400, cut + 200 * 86400, now - 86400};
    long days_new, days_old, tr_new, tr_old;
    /* hv-a's flapping starts half an hour past a whole hour from the bound */
    time_t flap0 = now - 500L * 86400 + 1800;
    long last_old = (long)((cut - flap0 - 1) / 3600);

    day_of(now, today, sizeof(today));
    day_of(cut, cut_day, sizeof(cut_day));
    /* 500 days of counters for hv-a, every 7th day for sw1 */
    snprintf(sql, sizeof(sql),
             "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n"
             " WHERE i < 499) INSERT INTO poll_days(target, kind, day,"
             " cycles_ok, cycles_failed, first_t, last_t, last_error,"
             " last_error_at) SELECT 'hv-a', 'libvirt', date('%s', '-' || i"
             " || ' days'), 1000 + i, i %% 3, %lld - i * 86400,"
             " %lld - i * 86400 + 600, 'err ' || i, %lld - i * 86400 + 60"
             " FROM n UNION ALL SELECT 'sw1', 'snmp', date('%s', '-' || i ||"
             " ' days'), 1440, 0, %lld - i * 86400, %lld - i * 86400, NULL,"
             " NULL FROM n WHERE i %% 7 = 0",
             today, (long long)now, (long long)now, (long long)now, today,
             (long long)now, (long long)now);
    exec_q(f, sql);
    /* hv-a flaps every hour for 500 days; hv-b went down and up before
     * the bound; sw1 came up once, long before it */
    snprintf(sql, sizeof(sql),
             "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n"
             " WHERE i < 11999) INSERT INTO poll_transitions(t, target, kind,"
             " up, error) SELECT %lld + i * 3600, 'hv-a', 'libvirt', i %% 2,"
             " CASE WHEN i %% 2 THEN NULL ELSE 'down ' || i END FROM n;"
             "INSERT INTO poll_transitions VALUES (%lld, 'hv-b', 'libvirt', 0,"
             " 'refused'), (%lld, 'hv-b', 'libvirt', 1, NULL),"
             " (%lld, 'sw1', 'snmp', 1, NULL)",
             (long long)flap0, (long long)(now - 450L * 86400),
             (long long)(now - 420L * 86400), (long long)(now - 600L * 86400));
    exec_q(f, sql);

    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM poll_days WHERE day >= '%s'", cut_day);
    days_new = q_long(f, sql);
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM poll_days WHERE day < '%s'", cut_day);
    days_old = q_long(f, sql);
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM poll_transitions WHERE t >= %lld",
             (long long)cut);
    tr_new = q_long(f, sql);
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM poll_transitions WHERE t < %lld",
             (long long)cut);
    tr_old = q_long(f, sql);
    assert_true(days_new > 400 && days_old > 100);
    assert_true(tr_new > 9000 && tr_old > 2000);
    for (int i = 0; i < 4; i++) {
        char day[16];
        day_of(probe[i], day, sizeof(day));
        before[i] = digest_reads(f, day, probe[i] + 3600);
        /* every target has a status, hv-a its counters */
        assert_null(strstr(before[i], "||"));
    }

    assert_int_equal(
        inv_prune_poll(f->inv, now, INV_POLL_KEEP_DAYS, 1000000, &ps, &err),
        SDC_OK);
    assert_true(ps.done);
    assert_int_equal(ps.days, days_old);
    /* of the old transitions, one per target stays */
    assert_int_equal(ps.transitions, tr_old - 3);
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM poll_days WHERE day < '%s'", cut_day);
    assert_int_equal(q_long(f, sql), 0);
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM poll_days WHERE day >= '%s'", cut_day);
    assert_int_equal(q_long(f, sql), days_new);
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM poll_transitions WHERE t >= %lld",
             (long long)cut);
    assert_int_equal(q_long(f, sql), tr_new);
    /* the kept ones are each target's last before the bound */
    snprintf(sql, sizeof(sql),
             "SELECT target, up, %lld - t FROM poll_transitions WHERE t < %lld"
             " ORDER BY target",
             (long long)now, (long long)cut);
    {
        char *got = q(f, sql), want[256];
        snprintf(want, sizeof(want), "hv-a|%ld|%lld\nhv-b|1|%ld\nsw1|1|%ld",
                 last_old % 2, (long long)(now - (flap0 + last_old * 3600)),
                 420L * 86400, 600L * 86400);
        assert_string_equal(got, want);
        free(got);
    }
    /* the digest reads the same for every day from the bound on */
    for (int i = 0; i < 4; i++) {
        char day[16], *after;
        day_of(probe[i], day, sizeof(day));
        after = digest_reads(f, day, probe[i] + 3600);
        assert_string_equal(after, before[i]);
        free(after);
        free(before[i]);
    }

    /* once a day: a row that has become old waits for the next day */
    snprintf(sql, sizeof(sql),
             "INSERT INTO poll_days(target, kind, day, first_t, last_t)"
             " VALUES ('late', 'snmp', '%s', 0, 0)",
             cut_day);
    exec_q(f, sql);
    assert_int_equal(inv_prune_poll(f->inv, now + 3600, INV_POLL_KEEP_DAYS,
                                    1000000, &ps, &err),
                     SDC_OK);
    assert_true(ps.done);
    assert_int_equal(ps.days + ps.transitions, 0);
    assert_q(f, "SELECT COUNT(*) FROM poll_days WHERE target = 'late'", "1");
    assert_int_equal(inv_snapshot_daily(f->inv, now + 86400, &err), SDC_OK);
    assert_q(f, "SELECT COUNT(*) FROM poll_days WHERE target = 'late'", "0");

    /* bad arguments */
    assert_int_equal(inv_prune_poll(NULL, now, 400, 10, &ps, &err),
                     SDC_ERR_INVALID);
    assert_int_equal(inv_prune_poll(f->inv, now, 400, 0, &ps, &err),
                     SDC_ERR_INVALID);
    assert_int_equal(inv_prune_poll(f->inv, now, 0, 10, &ps, &err),
                     SDC_ERR_INVALID);
}

/*
 * A big backlog (200,000 old transitions, 30,000 old daily rows) goes in
 * bounded steps: no call deletes more than its step; the newer rows stay.
 * sdcmond's path, inv_snapshot_daily(), takes INV_PRUNE_STEP_ROWS a call.
 */
static void test_prune_backlog(void **state)
{
    struct fx *f = *state;
    struct sdc_error err = {0};
    struct inv_prune_stats ps;
    time_t now = base_time();
    time_t old0 = now - 600L * 86400;
    const size_t step = 10000;
    char today[16], sql[1024];
    uint64_t days = 0, trans = 0;
    int calls = 0;

    day_of(now, today, sizeof(today));
    snprintf(sql, sizeof(sql),
             "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n"
             " WHERE i < 199999) INSERT INTO poll_transitions(t, target, kind,"
             " up) SELECT %lld + i * 60, 'hv-' || (i %% 50), 'libvirt',"
             " (i / 50) %% 2 FROM n;"
             "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n"
             " WHERE i < 99) INSERT INTO poll_transitions(t, target, kind, up)"
             " SELECT %lld + i * 60, 'hv-' || (i %% 50), 'libvirt', 1 FROM n;"
             "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n"
             " WHERE i < 29999) INSERT INTO poll_days(target, kind, day,"
             " first_t, last_t) SELECT 'sw' || (i %% 300), 'snmp',"
             " date('%s', '-' || (450 + i / 300) || ' days'), 0, 0 FROM n;"
             "INSERT INTO poll_days(target, kind, day, first_t, last_t)"
             " VALUES ('sw0', 'snmp', '%s', 0, 0)",
             (long long)old0, (long long)(now - 3600), today, today);
    exec_q(f, sql);
    assert_q(f, "SELECT COUNT(*) FROM poll_transitions", "200100");
    assert_q(f, "SELECT COUNT(*) FROM poll_days", "30001");

    do {
        assert_int_equal(
            inv_prune_poll(f->inv, now, INV_POLL_KEEP_DAYS, step, &ps, &err),
            SDC_OK);
        assert_true(ps.days <= step);
        assert_true(ps.transitions <= step);
        days += ps.days;
        trans += ps.transitions;
        calls++;
    } while (!ps.done && calls < 100);
    assert_true(ps.done);
    /* 200,000 rows looked at 10,000 a call */
    assert_true(calls >= 20 && calls <= 22);
    assert_int_equal(days, 30000);
    /* of each of the 50 targets the last old transition stays */
    assert_int_equal(trans, 200000 - 50);
    assert_q(f, "SELECT COUNT(*), COUNT(DISTINCT target) FROM poll_transitions",
             "150|50");
    assert_q(f, "SELECT COUNT(*) FROM poll_days", "1");

    /* the same through inv_snapshot_daily(), INV_PRUNE_STEP_ROWS a call,
     * starting the next day; rows in time order as inv_record_poll()
     * appends them */
    snprintf(sql, sizeof(sql),
             "DELETE FROM poll_transitions;"
             "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n"
             " WHERE i < %d) INSERT INTO poll_transitions(t, target, kind,"
             " up) SELECT %lld + i * 60, 'hv-0', 'libvirt', i %% 2 FROM n;"
             "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n"
             " WHERE i < 99) INSERT INTO poll_transitions(t, target, kind, up)"
             " SELECT %lld + i * 60, 'hv-0', 'libvirt', i %% 2 FROM n",
             3 * INV_PRUNE_STEP_ROWS - 1, (long long)old0,
             (long long)(now - 3600));
    exec_q(f, sql);
    calls = 0;
    for (;;) {
        char *n = q(f, "SELECT COUNT(*) FROM poll_transitions");
        long left = strtol(n, NULL, 10);
        free(n);
        if (left == 101) /* the 100 new and the last old one */
            break;
        assert_true(calls < 10);
        assert_int_equal(
            inv_snapshot_daily(f->inv, now + 86400 + calls * 60, &err), SDC_OK);
        calls++;
    }
    /* 3 * INV_PRUNE_STEP_ROWS new rows after the 150: 3 or 4 windows */
    assert_true(calls >= 3 && calls <= 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_record_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_and_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleted_and_failed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_migration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cycle_error_rolls_back, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_scale, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snmp_devices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snmp_rows_cached, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snmp_migration_from_v1, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_poll_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poll_same_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poll_migration_from_v3, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_poll_migration_from_v2, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_prune_poll, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune_backlog, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
