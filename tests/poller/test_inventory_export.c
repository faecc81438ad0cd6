/*
 * test_inventory_export.c - an agent's inventory as JSON and the merge of a
 * peer's export into another inventory: every table carried over, merging
 * twice changes nothing, a newer local row is never overwritten by an older
 * peer row, merged rows are tagged and not exported again, and hostile or
 * absurd documents are refused with nothing written.  Both inventories are
 * real SQLite files, read back with the sqlite3 command-line tool.
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

#include <sqlite3.h>

#include "inventory.h"
#include "inventory_export.h"
#include "testutil.h"

#define GiB (1024LL * 1024 * 1024)
#define T0 ((time_t)1767225600) /* 2026-01-01 00:00 UTC */
#define NOW (T0 + 30 * 86400)

#define UUID_B1 "11111111-2222-3333-4444-555555555501"
#define UUID_B2 "11111111-2222-3333-4444-555555555502"
#define UUID_A1 "aaaaaaaa-2222-3333-4444-555555555501"

struct fx {
    char *dir;
    char *path_a; /* the reporting agent */
    char *path_b; /* the peer */
    struct inv *a;
    struct inv *b;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct sdc_error err = {0};
    assert_non_null(f);
    f->dir = tu_tmpdir("invexp");
    assert_non_null(f->dir);
    assert_true(asprintf(&f->path_a, "%s/a.db", f->dir) > 0);
    assert_true(asprintf(&f->path_b, "%s/b.db", f->dir) > 0);
    assert_int_equal(inv_open(f->path_a, &f->a, &err), SDC_OK);
    assert_int_equal(inv_open(f->path_b, &f->b, &err), SDC_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    inv_close(f->a);
    inv_close(f->b);
    tu_drop_tmpdir(f->dir);
    free(f->path_a);
    free(f->path_b);
    free(f);
    return 0;
}

static void exec_sql(struct inv *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(inv_sqlite(db), sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "?");
}

/* `sqlite3 FILE SQL` output (caller frees). */
static char *sql_cli(const char *path, const char *sql)
{
    char *out = NULL;
    assert_int_equal(tu_runf(&out, "sqlite3 '%s' \"%s\"", path, sql), 0);
    return out;
}

static long sql_long(const char *path, const char *sql)
{
    char *out = sql_cli(path, sql);
    long v = strtol(out, NULL, 10);
    free(out);
    return v;
}

/* Every table of the inventory, as the sqlite3 tool dumps it. */
static char *dump(const char *path)
{
    char *out = NULL;
    assert_int_equal(tu_runf(&out, "sqlite3 '%s' .dump", path), 0);
    return out;
}

/*
 * The peer's inventory: a hypervisor with two VMs (one with a disk and a
 * NIC), a shared pool with a volume, an SNMP switch with an interface and a
 * storage, two daily snapshots and the events the import made.
 */
static void fill_peer(struct inv *b)
{
    struct sdc_error err = {0};
    struct inv_import_hv hv = {.name = "hv-b1",
                               .cluster = "prod-b",
                               .uri = "qemu+tls://hv-b1/system",
                               .cpus = 128,
                               .cores = 64,
                               .memory = 512 * GiB,
                               .first_seen = T0,
                               .last_seen = T0 + 86400};
    struct inv_import_vm vm1 = {.uuid = UUID_B1,
                                .name = "db <prod> & \"x\"",
                                .host = "hv-b1",
                                .owner = "revenue",
                                .state = SDC_VM_RUNNING,
                                .vcpus = 8,
                                .max_vcpus = 8,
                                .memory = 32 * GiB,
                                .max_memory = 32 * GiB,
                                .first_seen = T0,
                                .last_seen = T0 + 86400};
    struct inv_import_vm vm2 = vm1;
    struct inv_import_disk disk = {.vm_uuid = UUID_B1,
                                   .target = "vda",
                                   .source = "/srv/vms/db.qcow2",
                                   .capacity = 100 * GiB,
                                   .allocation = 40 * GiB,
                                   .first_seen = T0,
                                   .last_seen = T0 + 86400};
    struct inv_import_nic nic = {.vm_uuid = UUID_B1,
                                 .mac = "52:54:00:aa:bb:01",
                                 .target = "vnet0",
                                 .network = "prod",
                                 .first_seen = T0,
                                 .last_seen = T0 + 86400};
    const char *hosts[] = {"hv-b1"};
    struct inv_import_pool pool = {.key = "nfs.10.1.0.5.exports.vms",
                                   .name = "san1-vms",
                                   .type = "netfs",
                                   .source = "10.1.0.5:/exports/vms",
                                   .shared = 1,
                                   .active = 1,
                                   .capacity = 10000 * GiB,
                                   .allocation = 7000 * GiB,
                                   .available = 3000 * GiB,
                                   .hosts = hosts,
                                   .n_hosts = 1,
                                   .first_seen = T0,
                                   .last_seen = T0 + 86400};
    struct inv_import_volume vol = {.pool_key = "nfs.10.1.0.5.exports.vms",
                                    .name = "db.qcow2",
                                    .path = "/srv/vms/db.qcow2",
                                    .capacity = 100 * GiB,
                                    .allocation = 40 * GiB,
                                    .first_seen = T0,
                                    .last_seen = T0 + 86400};
    struct inv_import_snap_cluster sc = {.day = "2026-01-01",
                                         .cluster = "prod-b",
                                         .hosts = 1,
                                         .cores = 64,
                                         .cpus = 128,
                                         .memory = 512 * GiB,
                                         .vms = 2,
                                         .vms_running = 1,
                                         .vcpus = 8,
                                         .vram = 32 * GiB,
                                         .provisioned_storage = 100 * GiB};
    struct inv_import_snap_pool sp = {.day = "2026-01-01",
                                      .pool_key = "nfs.10.1.0.5.exports.vms",
                                      .capacity = 10000 * GiB,
                                      .allocation = 7000 * GiB,
                                      .volumes = 1,
                                      .provisioned = 100 * GiB};

    vm2.uuid = UUID_B2;
    vm2.name = "web-old";
    vm2.state = SDC_VM_SHUTOFF;
    vm2.last_seen = T0 + 3600;
    assert_int_equal(inv_import_begin(b, &err), SDC_OK);
    assert_int_equal(inv_import_hv(b, &hv, NULL, &err), SDC_OK);
    assert_int_equal(inv_import_vm(b, &vm1, NULL, &err), SDC_OK);
    assert_int_equal(inv_import_vm(b, &vm2, NULL, &err), SDC_OK);
    assert_int_equal(inv_import_disk(b, &disk, NULL, &err), SDC_OK);
    assert_int_equal(inv_import_nic(b, &nic, NULL, &err), SDC_OK);
    assert_int_equal(inv_import_pool(b, &pool, NULL, &err), SDC_OK);
    assert_int_equal(inv_import_volume(b, &vol, NULL, &err), SDC_OK);
    assert_int_equal(inv_import_snapshot_cluster(b, &sc, NULL, &err), SDC_OK);
    assert_int_equal(inv_import_snapshot_pool(b, &sp, NULL, &err), SDC_OK);
    assert_int_equal(inv_import_commit(b, &err), SDC_OK);
    /* SNMP rows as the poller writes them (the import has no SNMP) */
    exec_sql(b, "INSERT INTO snmp_devices(name, address, role, sys_descr, "
                "first_seen, last_seen, sys_name, uptime) VALUES ('core-sw1', "
                "'udp:10.1.0.1:161', 'switch', 'Cisco NX-OS', 1767225600, "
                "1767312000, 'core-sw1.sdc', 123456);"
                "INSERT INTO interfaces(device, name, alias, speed, uplink, "
                "first_seen, last_seen, descr, if_index, oper_status) VALUES "
                "('core-sw1', 'Ethernet1/49', 'to DC core', 100000000000, 1, "
                "1767225600, 1767312000, 'Ethernet1/49', 49, 'up');"
                "INSERT INTO storages(device, descr, size, used, first_seen, "
                "last_seen) VALUES ('core-sw1', '/bootflash', 8000000000, "
                "2000000000, 1767225600, 1767312000);");
}

/* Rows of every table the export carries, in a database. */
static long total_rows(const char *path)
{
    return sql_long(
        path, "SELECT (SELECT count(*) FROM hypervisors) + (SELECT count(*) "
              "FROM vms) + (SELECT count(*) FROM vm_names) + (SELECT count(*) "
              "FROM disks) + (SELECT count(*) FROM nics) + (SELECT count(*) "
              "FROM pools) + (SELECT count(*) FROM pool_hosts) + (SELECT "
              "count(*) FROM volumes) + (SELECT count(*) FROM snmp_devices) + "
              "(SELECT count(*) FROM interfaces) + (SELECT count(*) FROM "
              "storages) + (SELECT count(*) FROM snapshot_cluster) + (SELECT "
              "count(*) FROM snapshot_pool) + (SELECT count(*) FROM events)");
}

static json_t *export_b(struct fx *f)
{
    struct sdc_error err = {0};
    json_t *doc = inventory_export_json(f->b, NOW, &err);
    if (!doc)
        fail_msg("export: %s", err.msg);
    return doc;
}

/* ---- export: every table, every column, typed ---- */

static void test_export(void **state)
{
    struct fx *f = *state;
    json_t *doc, *vm, *ifc;
    size_t rows = 0;
    const char *key;
    json_t *val;

    fill_peer(f->b);
    doc = export_b(f);
    assert_int_equal(json_integer_value(json_object_get(doc, "format_version")),
                     1);
    assert_int_equal(json_integer_value(json_object_get(doc, "schema_version")),
                     INV_SCHEMA_VERSION);
    assert_int_equal(json_integer_value(json_object_get(doc, "generated_at")),
                     NOW);
    json_object_foreach(doc, key, val) if (json_is_array(val)) rows +=
        json_array_size(val);
    assert_int_equal(rows, total_rows(f->path_b));
    assert_int_equal(json_array_size(json_object_get(doc, "vms")), 2);
    assert_int_equal(json_array_size(json_object_get(doc, "events")),
                     sql_long(f->path_b, "SELECT count(*) FROM events"));
    vm = json_array_get(json_object_get(doc, "vms"), 0);
    assert_string_equal(json_string_value(json_object_get(vm, "uuid")),
                        UUID_B1);
    /* names are data: carried as they are, escaped where shown */
    assert_string_equal(json_string_value(json_object_get(vm, "name")),
                        "db <prod> & \"x\"");
    assert_int_equal(json_integer_value(json_object_get(vm, "memory")),
                     32 * GiB);
    assert_true(json_is_null(json_object_get(vm, "deleted_at")));
    ifc = json_array_get(json_object_get(doc, "interfaces"), 0);
    assert_int_equal(json_integer_value(json_object_get(ifc, "speed")),
                     100000000000LL);
    assert_string_equal(json_string_value(json_object_get(ifc, "alias")),
                        "to DC core");
    json_decref(doc);
}

/* ---- merge: everything arrives, tagged; twice changes nothing ---- */

static void test_merge_and_idempotent(void **state)
{
    struct fx *f = *state;
    struct sdc_error err = {0};
    struct inv_merge_stats st;
    json_t *doc, *again;
    char *before, *after, *out;
    long peer_total;

    fill_peer(f->b);
    peer_total = total_rows(f->path_b);
    doc = export_b(f);
    assert_int_equal(inventory_merge_json(f->a, doc, "agent-b", NOW, &st, &err),
                     SDC_OK);
    assert_int_equal(st.added, (size_t)peer_total);
    assert_int_equal(st.updated, 0);
    assert_int_equal(st.kept, 0);
    assert_int_equal(total_rows(f->path_a), peer_total);
    /* what the report reads, read back from the file */
    out = sql_cli(f->path_a, "SELECT name, host, state, vcpus, memory FROM "
                             "vms ORDER BY uuid");
    assert_string_equal(out, "db <prod> & \"x\"|hv-b1|running|8|34359738368\n"
                             "web-old|hv-b1|shutoff|8|34359738368\n");
    free(out);
    out =
        sql_cli(f->path_a, "SELECT cluster, vms, vcpus FROM snapshot_cluster");
    assert_string_equal(out, "prod-b|2|8\n");
    free(out);
    out = sql_cli(f->path_a,
                  "SELECT speed, uplink FROM interfaces WHERE device = "
                  "'core-sw1'");
    assert_string_equal(out, "100000000000|1\n");
    free(out);
    /* every row taken is tagged with its peer */
    assert_int_equal(
        sql_long(f->path_a,
                 "SELECT count(*) FROM peer_rows WHERE peer = 'agent-b'"),
        peer_total);
    assert_int_equal(sql_long(f->path_a,
                              "SELECT count(*) FROM peer_rows WHERE tbl = "
                              "'vms' AND key = '" UUID_B1 "'"),
                     1);

    /* the same document again: nothing changes */
    before = dump(f->path_a);
    assert_int_equal(
        inventory_merge_json(f->a, doc, "agent-b", NOW + 60, &st, &err),
        SDC_OK);
    assert_int_equal(st.added, 0);
    assert_int_equal(st.updated, 0);
    assert_int_equal(st.kept, (size_t)peer_total);
    after = dump(f->path_a);
    assert_string_equal(before, after);
    free(before);
    free(after);

    /* a fresh export of the peer (same content) is as idempotent */
    again = export_b(f);
    assert_int_equal(
        inventory_merge_json(f->a, again, "agent-b", NOW + 120, &st, &err),
        SDC_OK);
    assert_int_equal(st.added + st.updated, 0);
    json_decref(again);
    json_decref(doc);
}

/* ---- newer wins, and merged rows are not exported again ---- */

static void test_newer_wins(void **state)
{
    struct fx *f = *state;
    struct sdc_error err = {0};
    struct inv_merge_stats st;
    json_t *doc, *mine;
    char *out;
    struct inv_import_vm local = {.uuid = UUID_B1,
                                  .name = "db-renamed-locally",
                                  .host = "hv-a1",
                                  .state = SDC_VM_RUNNING,
                                  .vcpus = 4,
                                  .max_vcpus = 4,
                                  .memory = 8 * GiB,
                                  .max_memory = 8 * GiB,
                                  .first_seen = T0,
                                  .last_seen = T0 + 2 * 86400};
    struct inv_import_vm older = local;
    struct inv_import_vm own = local;

    fill_peer(f->b);
    /* A saw UUID_B1 later than B did (it migrated to A's host) ... */
    older.uuid = UUID_B2;
    older.name = "web-before";
    older.state = SDC_VM_SHUTOFF; /* (running: see test_vm_active_wins) */
    older.last_seen = T0 + 60;    /* ... and UUID_B2 earlier than B did */
    own.uuid = UUID_A1;
    own.name = "a-own";
    assert_int_equal(inv_import_begin(f->a, &err), SDC_OK);
    assert_int_equal(inv_import_vm(f->a, &local, NULL, &err), SDC_OK);
    assert_int_equal(inv_import_vm(f->a, &older, NULL, &err), SDC_OK);
    assert_int_equal(inv_import_vm(f->a, &own, NULL, &err), SDC_OK);
    assert_int_equal(inv_import_commit(f->a, &err), SDC_OK);

    doc = export_b(f);
    assert_int_equal(inventory_merge_json(f->a, doc, "agent-b", NOW, &st, &err),
                     SDC_OK);
    /* only UUID_B2 is updated; every row of the peer is counted once */
    assert_int_equal(st.updated, 1);
    assert_true(st.kept >= 1);
    assert_int_equal(st.added + st.updated + st.kept,
                     (size_t)total_rows(f->path_b));
    out = sql_cli(f->path_a, "SELECT uuid, name, host, vcpus, last_seen FROM "
                             "vms ORDER BY uuid");
    assert_string_equal(out, UUID_B1
                        "|db-renamed-locally|hv-a1|4|1767398400\n" /* kept */
                        UUID_B2 "|web-old|hv-b1|8|1767229200\n" /* the peer's */
                        UUID_A1 "|a-own|hv-a1|4|1767398400\n");
    free(out);
    /* the kept row is A's, so it is not tagged; the updated one is */
    assert_int_equal(sql_long(f->path_a, "SELECT count(*) FROM peer_rows "
                                         "WHERE tbl = 'vms'"),
                     1);
    assert_int_equal(sql_long(f->path_a,
                              "SELECT count(*) FROM peer_rows "
                              "WHERE tbl = 'vms' AND key = '" UUID_B2 "'"),
                     1);

    /* A's export holds what A polled, not what it merged */
    mine = inventory_export_json(f->a, NOW, &err);
    assert_non_null(mine);
    {
        json_t *vms = json_object_get(mine, "vms"), *v;
        size_t i;
        int seen_b1 = 0, seen_b2 = 0, seen_a1 = 0;
        json_array_foreach(vms, i, v)
        {
            const char *u = json_string_value(json_object_get(v, "uuid"));
            seen_b1 += strcmp(u, UUID_B1) == 0;
            seen_b2 += strcmp(u, UUID_B2) == 0;
            seen_a1 += strcmp(u, UUID_A1) == 0;
        }
        assert_int_equal(seen_b1, 1);
        assert_int_equal(seen_b2, 0);
        assert_int_equal(seen_a1, 1);
        assert_int_equal(json_array_size(json_object_get(mine, "hypervisors")),
                         0);
        assert_int_equal(json_array_size(json_object_get(mine, "interfaces")),
                         0);
    }
    json_decref(mine);
    json_decref(doc);
}

/* ---- a VM defined on hosts of both agents counts where it runs ---- */

static void test_vm_active_wins(void **state)
{
    struct fx *f = *state;
    struct sdc_error err = {0};
    struct inv_merge_stats st;
    json_t *doc, *vm;
    char *out;
    struct inv_import_vm here = {.uuid = UUID_B2,
                                 .name = "web-old",
                                 .host = "hv-a1",
                                 .state = SDC_VM_RUNNING,
                                 .vcpus = 8,
                                 .memory = 32 * GiB,
                                 .first_seen = T0,
                                 .last_seen = T0 + 60};

    fill_peer(f->b); /* B lists UUID_B2 shut off, last_seen T0 + 3600 */
    assert_int_equal(inv_import_begin(f->a, &err), SDC_OK);
    assert_int_equal(inv_import_vm(f->a, &here, NULL, &err), SDC_OK);
    assert_int_equal(inv_import_commit(f->a, &err), SDC_OK);
    doc = export_b(f);
    /* B's shut-off listing is newer, by less than an hour: A's running
     * listing stays */
    assert_int_equal(inventory_merge_json(f->a, doc, "agent-b", NOW, &st, &err),
                     SDC_OK);
    out = sql_cli(f->path_a,
                  "SELECT host, state FROM vms WHERE uuid = '" UUID_B2 "'");
    assert_string_equal(out, "hv-a1|running\n");
    free(out);
    /* more than an hour newer: the VM really stopped */
    vm = json_array_get(json_object_get(doc, "vms"), 1);
    assert_string_equal(json_string_value(json_object_get(vm, "uuid")),
                        UUID_B2);
    json_object_set_new(vm, "last_seen", json_integer(T0 + 60 + 3601));
    assert_int_equal(inventory_merge_json(f->a, doc, "agent-b", NOW, &st, &err),
                     SDC_OK);
    out = sql_cli(f->path_a,
                  "SELECT host, state FROM vms WHERE uuid = '" UUID_B2 "'");
    assert_string_equal(out, "hv-b1|shutoff\n");
    free(out);
    json_decref(doc);
}

/*
 * ... and the reporting agent's own cycles leave it there: its host lists
 * the VM shut off, but the merged row says it runs on the peer's host (seen
 * within the hour), so the cycle does not flip it back.
 */
static void test_cycle_keeps_vm_running_on_peer(void **state)
{
    struct fx *f = *state;
    struct sdc_error err = {0};
    struct sdc_batch *b;
    struct sdc_vm_info vm = {.uuid = UUID_B1,
                             .name = "db <prod> & \"x\"",
                             .host = "hv-a1",
                             .state = SDC_VM_SHUTOFF,
                             .vcpus = 8,
                             .max_vcpus = 8,
                             .memory = 32 * GiB,
                             .max_memory = 32 * GiB};
    time_t seen = T0 + 86400; /* B's last_seen of UUID_B1, running */
    json_t *doc;
    char *out;

    fill_peer(f->b);
    doc = export_b(f);
    assert_int_equal(
        inventory_merge_json(f->a, doc, "agent-b", seen + 30, NULL, &err),
        SDC_OK);
    json_decref(doc);
    for (int k = 0; k < 2; k++) {
        /* a minute after B saw it, then more than an hour after */
        time_t now = k == 0 ? seen + 60 : seen + 3700;
        struct sdc_batch *const *list;
        b = sdc_batch_new("hv-a1", now);
        assert_non_null(b);
        b->ok = true;
        assert_int_equal(sdc_batch_add_vm(b, &vm), SDC_OK);
        list = &b;
        assert_int_equal(inv_record_batches(f->a, list, 1, now, &err), SDC_OK);
        sdc_batch_free(b);
        out = sql_cli(f->path_a,
                      "SELECT host, state FROM vms WHERE uuid = '" UUID_B1 "'");
        assert_string_equal(out,
                            k == 0 ? "hv-b1|running\n" : "hv-a1|shutoff\n");
        free(out);
        assert_int_equal(sql_long(f->path_a,
                                  "SELECT count(*) FROM events WHERE kind = "
                                  "'migrated' AND entity = '" UUID_B1 "'"),
                         k);
    }
}

/* ---- hostile and absurd documents: refused, nothing written ---- */

struct hostile {
    const char *what;
    const char *path; /* "table/index/column" or "" for the document */
    const char *json; /* the value put there (JSON text); NULL: remove it */
    const char *msg;  /* expected in the message */
};

/* Put @json at @path of @doc ("vms/0/memory"; "vms" for a whole table). */
static void mutate(json_t *doc, const char *path, const char *json)
{
    char buf[128], *tbl, *idx, *col;
    json_t *v = NULL, *row;
    snprintf(buf, sizeof(buf), "%s", path);
    tbl = strtok_r(buf, "/", &idx);
    col = NULL;
    if (idx && *idx) {
        char *rest;
        idx = strtok_r(idx, "/", &rest);
        col = rest && *rest ? rest : NULL;
    }
    if (json) {
        json_error_t je;
        v = json_loads(json, JSON_DECODE_ANY, &je);
        assert_non_null(v);
    }
    if (!idx || !*idx) {
        if (v)
            json_object_set_new(doc, tbl, v);
        else
            json_object_del(doc, tbl);
        return;
    }
    row = json_array_get(json_object_get(doc, tbl), strtoul(idx, NULL, 10));
    assert_non_null(row);
    if (!col) {
        json_array_set_new(json_object_get(doc, tbl), strtoul(idx, NULL, 10),
                           v);
        return;
    }
    if (v)
        json_object_set_new(row, col, v);
    else
        json_object_del(row, col);
}

static void test_hostile(void **state)
{
    struct fx *f = *state;
    static const struct hostile cases[] = {
        {"no version", "format_version", NULL, "no format_version"},
        {"newer version", "format_version", "2", "format_version 2 is not 1"},
        {"table not an array", "vms", "{\"a\": 1}", "'vms' is not an array"},
        {"row not an object", "vms/1", "[1, 2]", "vms[1]: not an object"},
        {"no uuid", "vms/1/uuid", NULL, "vms[1]: 'uuid' is missing"},
        {"bad uuid", "vms/1/uuid", "\"../../etc/passwd\"",
         "vms[1]: 'uuid' is not a UUID"},
        {"unknown state", "vms/0/state", "\"exploded\"",
         "vms[0]: 'state' is not a VM state"},
        {"negative memory", "vms/0/memory", "-1",
         "vms[0]: 'memory' -1 is out of range"},
        {"absurd memory", "vms/0/memory", "9223372036854775807",
         "'memory' 9223372036854775807 is out of range"},
        {"memory as text", "vms/0/memory", "\"32G\"",
         "vms[0]: 'memory' is not an integer"},
        {"memory as a real", "vms/0/memory", "3.5e10",
         "vms[0]: 'memory' is not an integer"},
        {"name not text", "hypervisors/0/name", "{}",
         "hypervisors[0]: 'name' is not a string"},
        {"empty key", "hypervisors/0/name", "\"\"",
         "hypervisors[0]: 'name' is empty"},
        {"last before first", "vms/0/last_seen", "1000",
         "vms[0]: last_seen is before first_seen"},
        {"clock far ahead", "vms/0/last_seen", "4102444800",
         "vms[0]: 'last_seen' 4102444800 is more than a day ahead"},
        {"negative time", "events/0/t", "-5", "events[0]: 't' -5 is out of"},
        {"bad day", "snapshot_cluster/0/day", "\"2026-13-01\"",
         "snapshot_cluster[0]: 'day' is not a day YYYY-MM-DD"},
        {"bool out of range", "interfaces/0/uplink", "2",
         "interfaces[0]: 'uplink' 2 is out of range (0 to 1)"},
        {"disk of an unknown VM", "disks/0/vm_uuid",
         "\"99999999-2222-3333-4444-555555555501\"",
         "disks[0]: refers to a VM that is neither in the document nor in "
         "the inventory"},
        {"volume of an unknown pool", "volumes/0/pool_key", "\"nowhere\"",
         "volumes[0]: refers to a pool"},
    };
    struct sdc_error err = {0};
    struct inv_merge_stats st;
    json_t *good;
    char *before, *after, *long_text;

    fill_peer(f->b);
    good = export_b(f);
    /* A has something of its own that must survive every failure */
    exec_sql(f->a, "INSERT INTO hypervisors(name, first_seen, last_seen) "
                   "VALUES ('hv-a1', 1767225600, 1767225600)");
    before = dump(f->path_a);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *doc = json_deep_copy(good);
        enum sdc_rc rc;
        mutate(doc, cases[i].path, cases[i].json);
        rc = inventory_merge_json(f->a, doc, "agent-b", NOW, &st, &err);
        if (rc != SDC_ERR_INVALID)
            fail_msg("%s: expected SDC_ERR_INVALID, got %s: %s", cases[i].what,
                     sdc_rc_name(rc), err.msg);
        if (!strstr(err.msg, cases[i].msg))
            fail_msg("%s: message '%s' lacks '%s'", cases[i].what, err.msg,
                     cases[i].msg);
        assert_int_equal(st.added + st.updated + st.kept, 0);
        after = dump(f->path_a);
        if (strcmp(before, after) != 0)
            fail_msg("%s: the inventory changed", cases[i].what);
        free(after);
        json_decref(doc);
    }
    /* not an object at all, and a peer name that is not a name */
    {
        json_t *arr = json_array();
        assert_int_equal(inventory_merge_json(f->a, arr, "b", NOW, &st, &err),
                         SDC_ERR_INVALID);
        assert_non_null(strstr(err.msg, "not a JSON object"));
        json_decref(arr);
        assert_int_equal(
            inventory_merge_json(f->a, good, "../b", NOW, &st, &err),
            SDC_ERR_INVALID);
        assert_non_null(strstr(err.msg, "peer name '../b'"));
    }
    /* a text past the limit */
    long_text = malloc(INV_MERGE_MAX_TEXT + 2);
    memset(long_text, 'x', INV_MERGE_MAX_TEXT + 1);
    long_text[INV_MERGE_MAX_TEXT + 1] = '\0';
    {
        json_t *doc = json_deep_copy(good);
        json_object_set_new(json_array_get(json_object_get(doc, "vms"), 0),
                            "owner", json_string(long_text));
        assert_int_equal(inventory_merge_json(f->a, doc, "b", NOW, &st, &err),
                         SDC_ERR_INVALID);
        assert_non_null(strstr(err.msg, "vms[0]: 'owner' is longer than 4096"));
        json_decref(doc);
    }
    free(long_text);
    after = dump(f->path_a);
    assert_string_equal(before, after);
    free(after);
    free(before);

    /* unknown keys are ignored; a missing table is an empty one */
    {
        json_t *doc = json_deep_copy(good);
        json_object_set_new(doc, "future_table", json_array());
        json_object_set_new(json_array_get(json_object_get(doc, "vms"), 0),
                            "future_column", json_integer(1));
        json_object_del(doc, "events");
        assert_int_equal(
            inventory_merge_json(f->a, doc, "agent-b", NOW, &st, &err), SDC_OK);
        assert_int_equal(sql_long(f->path_a, "SELECT count(*) FROM vms"), 2);
        assert_int_equal(sql_long(f->path_a, "SELECT count(*) FROM events"), 0);
        json_decref(doc);
    }
    json_decref(good);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_export),
        T(test_merge_and_idempotent),
        T(test_newer_wins),
        T(test_vm_active_wins),
        T(test_cycle_keeps_vm_running_on_peer),
        T(test_hostile),
    };
#undef T
    if (!tu_which("sqlite3")) {
        fprintf(stderr, "sqlite3 is needed: run scripts/deps\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
