/*
 * inventory.c - the SQLite inventory (DESIGN.md section 5).
 *
 * One connection per struct inv.  Every statement that runs per cycle is
 * prepared once in inv_open() and reset/bound on each use; a cycle is one
 * IMMEDIATE transaction, so a reader never sees half a cycle and a crash
 * leaves the previous cycle intact.  Strings from collectors are always
 * bound, never pasted into SQL.
 *
 * Times are stored as integer Unix seconds; the snapshot day is the local
 * calendar day as TEXT 'YYYY-MM-DD'.  Rows are never deleted: entities no
 * longer seen keep their old last_seen, VMs get deleted_at.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "inv_rowcache.h"
#include "inventory.h"

#define INV_BUSY_TIMEOUT_MS 5000
#define INV_DAY_SECONDS 86400

/*
 * Schema migrations: migrations[v] takes a database at user_version v to
 * v + 1.  Append a step (and bump INV_SCHEMA_VERSION) to change the schema;
 * never edit a step that has shipped.
 */
static const char *const migrations[INV_SCHEMA_VERSION] = {
    /* 0 -> 1: the first schema */
    "CREATE TABLE IF NOT EXISTS hypervisors ("
    " name TEXT PRIMARY KEY,"
    " cluster TEXT,"
    " uri TEXT,"
    " hostname TEXT,"
    " model TEXT,"
    " cpus INTEGER,"
    " cores INTEGER,"
    " memory INTEGER,"
    " first_seen INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS hypervisors_cluster ON hypervisors(cluster);"

    "CREATE TABLE IF NOT EXISTS vms ("
    " uuid TEXT PRIMARY KEY,"
    " name TEXT NOT NULL DEFAULT '',"
    " host TEXT,"
    " cluster TEXT,"
    " title TEXT,"
    " owner TEXT,"
    " state TEXT NOT NULL,"
    " active INTEGER NOT NULL DEFAULT 0,"
    " vcpus INTEGER,"
    " max_vcpus INTEGER,"
    " memory INTEGER,"
    " max_memory INTEGER,"
    " first_seen INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL,"
    " state_since INTEGER NOT NULL,"
    " deleted_at INTEGER NULL);"
    "CREATE INDEX IF NOT EXISTS vms_host ON vms(host);"
    "CREATE INDEX IF NOT EXISTS vms_cluster ON vms(cluster);"

    "CREATE TABLE IF NOT EXISTS vm_names ("
    " uuid TEXT NOT NULL REFERENCES vms(uuid),"
    " name TEXT NOT NULL,"
    " since INTEGER NOT NULL,"
    " UNIQUE (uuid, since, name));"

    "CREATE TABLE IF NOT EXISTS disks ("
    " vm_uuid TEXT NOT NULL REFERENCES vms(uuid),"
    " target TEXT NOT NULL,"
    " source TEXT,"
    " backing TEXT,"
    " capacity INTEGER,"
    " allocation INTEGER,"
    " first_seen INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL,"
    " PRIMARY KEY (vm_uuid, target));"

    "CREATE TABLE IF NOT EXISTS nics ("
    " vm_uuid TEXT NOT NULL REFERENCES vms(uuid),"
    " mac TEXT NOT NULL,"
    " target TEXT,"
    " network TEXT,"
    " first_seen INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL,"
    " PRIMARY KEY (vm_uuid, mac));"

    "CREATE TABLE IF NOT EXISTS pools ("
    " key TEXT PRIMARY KEY,"
    " name TEXT,"
    " type TEXT,"
    " source TEXT,"
    " shared INTEGER,"
    " active INTEGER,"
    " capacity INTEGER,"
    " allocation INTEGER,"
    " available INTEGER,"
    " first_seen INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL);"

    "CREATE TABLE IF NOT EXISTS pool_hosts ("
    " pool_key TEXT NOT NULL REFERENCES pools(key),"
    " host TEXT NOT NULL,"
    " pool_name TEXT,"
    " last_seen INTEGER NOT NULL,"
    " PRIMARY KEY (pool_key, host));"

    "CREATE TABLE IF NOT EXISTS volumes ("
    " pool_key TEXT NOT NULL REFERENCES pools(key),"
    " name TEXT NOT NULL,"
    " path TEXT,"
    " capacity INTEGER,"
    " allocation INTEGER,"
    " first_seen INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL,"
    " PRIMARY KEY (pool_key, name));"

    "CREATE TABLE IF NOT EXISTS snmp_devices ("
    " name TEXT PRIMARY KEY,"
    " address TEXT,"
    " role TEXT,"
    " sys_descr TEXT,"
    " first_seen INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL);"

    "CREATE TABLE IF NOT EXISTS interfaces ("
    " device TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " alias TEXT,"
    " speed INTEGER,"
    " uplink INTEGER,"
    " first_seen INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL,"
    " PRIMARY KEY (device, name));"

    "CREATE TABLE IF NOT EXISTS storages ("
    " device TEXT NOT NULL,"
    " descr TEXT NOT NULL,"
    " size INTEGER,"
    " used INTEGER,"
    " first_seen INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL,"
    " PRIMARY KEY (device, descr));"

    "CREATE TABLE IF NOT EXISTS snapshot_cluster ("
    " day TEXT NOT NULL,"
    " cluster TEXT NOT NULL,"
    " hosts INTEGER,"
    " cores INTEGER,"
    " cpus INTEGER,"
    " memory INTEGER,"
    " vms INTEGER,"
    " vms_running INTEGER,"
    " vcpus INTEGER,"
    " vram INTEGER,"
    " provisioned_storage INTEGER,"
    " PRIMARY KEY (day, cluster));"

    "CREATE TABLE IF NOT EXISTS snapshot_pool ("
    " day TEXT NOT NULL,"
    " pool_key TEXT NOT NULL,"
    " capacity INTEGER,"
    " allocation INTEGER,"
    " volumes INTEGER,"
    " provisioned INTEGER,"
    " PRIMARY KEY (day, pool_key));"

    "CREATE TABLE IF NOT EXISTS events ("
    " t INTEGER NOT NULL,"
    " kind TEXT NOT NULL,"
    " entity TEXT NOT NULL,"
    " detail TEXT,"
    " name TEXT,"
    " host TEXT,"
    " prev_value TEXT,"
    " new_value TEXT);"
    "CREATE INDEX IF NOT EXISTS events_t ON events(t);"
    "CREATE INDEX IF NOT EXISTS events_entity ON events(entity);",

    /* 1 -> 2: SNMP devices' sysName and uptime; interfaces' ifDescr,
     * ifIndex and state; when an interface or storage stopped being listed */
    "ALTER TABLE snmp_devices ADD COLUMN sys_name TEXT;"
    "ALTER TABLE snmp_devices ADD COLUMN uptime INTEGER;"
    "ALTER TABLE interfaces ADD COLUMN descr TEXT;"
    "ALTER TABLE interfaces ADD COLUMN if_index INTEGER;"
    "ALTER TABLE interfaces ADD COLUMN oper_status TEXT;"
    "ALTER TABLE interfaces ADD COLUMN vanished_at INTEGER NULL;"
    "ALTER TABLE storages ADD COLUMN vanished_at INTEGER NULL;",

    /* 2 -> 3: poll status history for the daily digest: per target and
     * local day, cycles answered and failed and the last error; each
     * target's status now and every change of it */
    "CREATE TABLE IF NOT EXISTS poll_days ("
    " target TEXT NOT NULL,"
    " day TEXT NOT NULL,"
    " kind TEXT,"
    " cycles_ok INTEGER NOT NULL DEFAULT 0,"
    " cycles_failed INTEGER NOT NULL DEFAULT 0,"
    " first_t INTEGER NOT NULL,"
    " last_t INTEGER NOT NULL,"
    " last_error TEXT,"
    " last_error_at INTEGER,"
    " PRIMARY KEY (target, day));"
    "CREATE INDEX IF NOT EXISTS poll_days_day ON poll_days(day);"
    "CREATE TABLE IF NOT EXISTS poll_status ("
    " target TEXT PRIMARY KEY,"
    " kind TEXT,"
    " up INTEGER NOT NULL,"
    " since INTEGER NOT NULL,"
    " error TEXT);"
    "CREATE TABLE IF NOT EXISTS poll_transitions ("
    " t INTEGER NOT NULL,"
    " target TEXT NOT NULL,"
    " kind TEXT,"
    " up INTEGER NOT NULL,"
    " error TEXT);"
    "CREATE INDEX IF NOT EXISTS poll_transitions_target"
    " ON poll_transitions(target, t);",

    /* 3 -> 4: poll status per target and kind: a hypervisor and an SNMP
     * device of one name (a host polled through libvirt and SNMP) were one
     * row, their counters added up and their status flapping every cycle */
    "CREATE TABLE poll_days_4 ("
    " target TEXT NOT NULL,"
    " kind TEXT NOT NULL DEFAULT '',"
    " day TEXT NOT NULL,"
    " cycles_ok INTEGER NOT NULL DEFAULT 0,"
    " cycles_failed INTEGER NOT NULL DEFAULT 0,"
    " first_t INTEGER NOT NULL,"
    " last_t INTEGER NOT NULL,"
    " last_error TEXT,"
    " last_error_at INTEGER,"
    " PRIMARY KEY (target, kind, day));"
    "INSERT INTO poll_days_4 SELECT target, IFNULL(kind, ''), day, cycles_ok,"
    " cycles_failed, first_t, last_t, last_error, last_error_at"
    " FROM poll_days;"
    "DROP TABLE poll_days;"
    "ALTER TABLE poll_days_4 RENAME TO poll_days;"
    "CREATE INDEX poll_days_day ON poll_days(day);"
    "CREATE TABLE poll_status_4 ("
    " target TEXT NOT NULL,"
    " kind TEXT NOT NULL DEFAULT '',"
    " up INTEGER NOT NULL,"
    " since INTEGER NOT NULL,"
    " error TEXT,"
    " PRIMARY KEY (target, kind));"
    "INSERT INTO poll_status_4 SELECT target, IFNULL(kind, ''), up, since,"
    " error FROM poll_status;"
    "DROP TABLE poll_status;"
    "ALTER TABLE poll_status_4 RENAME TO poll_status;"
    "UPDATE poll_transitions SET kind = '' WHERE kind IS NULL;"
    "DROP INDEX poll_transitions_target;"
    "CREATE INDEX poll_transitions_target"
    " ON poll_transitions(target, kind, t);",
};

/* Statements prepared once per connection. */
enum inv_stmt {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_HV_UPSERT,
    ST_VM_OLD,
    ST_VM_ELSEWHERE,
    ST_VM_UPSERT,
    ST_VM_NAME_ADD,
    ST_EVENT_ADD,
    ST_VM_LIST_HOST,
    ST_EVENT_DELETED,
    ST_VM_MARK_DELETED,
    ST_DISK_UPSERT,
    ST_NIC_UPSERT,
    ST_POOL_UPSERT,
    ST_POOL_HOST_UPSERT,
    ST_VOL_UPSERT,
    ST_VM_GET,
    ST_SNAP_CLUSTER,
    ST_SNAP_POOL,
    ST_SNMP_DEV_UPSERT,
    ST_IF_OLD,
    ST_IF_UPSERT,
    ST_IF_VANISH_EVENTS,
    ST_IF_VANISH,
    ST_STORAGE_OLD,
    ST_STORAGE_UPSERT,
    ST_STORAGE_VANISH_EVENTS,
    ST_STORAGE_VANISH,
    ST_IMP_HV_LAST,
    ST_IMP_HV_UPSERT,
    ST_IMP_HV_FIRST,
    ST_IMP_VM_LAST,
    ST_IMP_VM_UPSERT,
    ST_IMP_VM_FIRST,
    ST_IMP_DISK_LAST,
    ST_IMP_DISK_UPSERT,
    ST_IMP_DISK_FIRST,
    ST_IMP_NIC_LAST,
    ST_IMP_NIC_UPSERT,
    ST_IMP_NIC_FIRST,
    ST_IMP_POOL_LAST,
    ST_IMP_POOL_UPSERT,
    ST_IMP_POOL_FIRST,
    ST_IMP_POOL_HOST,
    ST_IMP_VOL_LAST,
    ST_IMP_VOL_UPSERT,
    ST_IMP_VOL_FIRST,
    ST_IMP_SNAP_CLUSTER,
    ST_IMP_SNAP_POOL,
    ST_POLL_DAY,
    ST_POLL_STATUS_GET,
    ST_POLL_STATUS_SET,
    ST_POLL_TRANSITION,
    ST_DATA_VERSION,
    ST_SEEN_HV,
    ST_SEEN_VM,
    ST_SEEN_DISK,
    ST_SEEN_NIC,
    ST_SEEN_POOL,
    ST_SEEN_POOL_HOST,
    ST_SEEN_VOL,
    ST_ROWID_HV,
    ST_ROWID_VM,
    ST_ROWID_DISK,
    ST_ROWID_NIC,
    ST_ROWID_POOL,
    ST_ROWID_POOL_HOST,
    ST_ROWID_VOL,
    ST_SEEN_SNMP_DEV,
    ST_SEEN_IF,
    ST_SEEN_STORAGE,
    ST_ROWID_SNMP_DEV,
    ST_ROWID_IF,
    ST_ROWID_STORAGE,
    ST_IF_SWEPT,
    ST_STORAGE_SWEPT,
    ST_PRUNE_DAYS,
    ST_PRUNE_WINDOW,
    ST_PRUNE_TRANSITIONS,
    ST_COUNT
};

/* The statement of one ST_SEEN_*: table @t's rows listed unchanged this
 * cycle (?2, a JSON array of rowids) were seen at ?1. */
#define INV_SEEN_SQL(t)                                                        \
    "UPDATE OR FAIL " t " SET last_seen = ?1"                                  \
    " WHERE rowid IN (SELECT value FROM json_each(?2))"

static const char *const stmt_sql[ST_COUNT] = {
    /* ?1 target, ?2 day, ?3 kind, ?4 ok (0/1), ?5 t, ?6 error or NULL */
    [ST_POLL_DAY] =
        "INSERT INTO poll_days(target, day, kind, cycles_ok, cycles_failed,"
        " first_t, last_t, last_error, last_error_at)"
        " VALUES (?1, ?2, ?3, ?4, 1 - ?4, ?5, ?5, ?6,"
        " CASE WHEN ?6 IS NULL THEN NULL ELSE ?5 END)"
        " ON CONFLICT(target, kind, day) DO UPDATE"
        " SET cycles_ok = poll_days.cycles_ok + excluded.cycles_ok,"
        " cycles_failed = poll_days.cycles_failed + excluded.cycles_failed,"
        " last_t = excluded.last_t,"
        " last_error = COALESCE(excluded.last_error, poll_days.last_error),"
        " last_error_at = COALESCE(excluded.last_error_at,"
        " poll_days.last_error_at)",
    /* ?1 target, ?2 kind */
    [ST_POLL_STATUS_GET] =
        "SELECT up FROM poll_status WHERE target = ?1 AND kind = ?2",
    /* ?1 target, ?2 kind, ?3 up, ?4 t, ?5 error */
    [ST_POLL_STATUS_SET] =
        "INSERT INTO poll_status(target, kind, up, since, error)"
        " VALUES (?1, ?2, ?3, ?4, ?5)"
        " ON CONFLICT(target, kind) DO UPDATE SET"
        " up = excluded.up, since = excluded.since, error = excluded.error",
    [ST_POLL_TRANSITION] = "INSERT INTO poll_transitions(t, target, kind, up,"
                           " error) VALUES (?4, ?1, ?2, ?3, ?5)",

    /* pruning (inv_prune_poll): at most ?2 poll_days rows of days before
     * ?1, found through poll_days_day */
    [ST_PRUNE_DAYS] = "DELETE FROM poll_days WHERE rowid IN (SELECT rowid"
                      " FROM poll_days WHERE day < ?1 LIMIT ?2)",
    /* the next window of at most ?2 poll_transitions rows after rowid ?1:
     * its last rowid, its newest time and its size */
    [ST_PRUNE_WINDOW] = "SELECT MAX(r), MAX(t), COUNT(*) FROM (SELECT rowid"
                        " AS r, t FROM poll_transitions WHERE rowid > ?1"
                        " ORDER BY rowid LIMIT ?2)",
    /* in the window (?1, ?2]: transitions before ?3 that a later one at or
     * before ?3 of the same target and kind supersedes, so that the status
     * at any time from ?3 on reads the same */
    [ST_PRUNE_TRANSITIONS] =
        "DELETE FROM poll_transitions WHERE rowid > ?1 AND rowid <= ?2"
        " AND t < ?3 AND EXISTS (SELECT 1 FROM poll_transitions q"
        " WHERE q.target = poll_transitions.target"
        " AND q.kind = poll_transitions.kind"
        " AND q.t > poll_transitions.t AND q.t <= ?3)",

    /* changes when another connection commits: what we remember is stale */
    [ST_DATA_VERSION] = "PRAGMA data_version",
    /*
     * ?1 now, ?2 JSON array of the rowids listed unchanged this cycle.  OR
     * FAIL: a failure rolls the whole cycle back anyway, and without it
     * SQLite keeps a statement journal of every page the UPDATE touches
     * (a temporary file past 64 KiB: it doubled the bytes written).
     */
    [ST_SEEN_HV] = INV_SEEN_SQL("hypervisors"),
    [ST_SEEN_VM] = INV_SEEN_SQL("vms"),
    [ST_SEEN_DISK] = INV_SEEN_SQL("disks"),
    [ST_SEEN_NIC] = INV_SEEN_SQL("nics"),
    [ST_SEEN_POOL] = INV_SEEN_SQL("pools"),
    [ST_SEEN_POOL_HOST] = INV_SEEN_SQL("pool_hosts"),
    /* the rowid of an updated row (an inserted one's is known at once) */
    [ST_ROWID_HV] = "SELECT rowid FROM hypervisors WHERE name = ?1",
    [ST_ROWID_VM] = "SELECT rowid FROM vms WHERE uuid = ?1",
    [ST_ROWID_DISK] = "SELECT rowid FROM disks WHERE vm_uuid = ?1"
                      " AND target = ?2",
    [ST_ROWID_NIC] = "SELECT rowid FROM nics WHERE vm_uuid = ?1 AND mac = ?2",
    [ST_ROWID_POOL] = "SELECT rowid FROM pools WHERE key = ?1",
    [ST_ROWID_POOL_HOST] = "SELECT rowid FROM pool_hosts WHERE pool_key = ?1"
                           " AND host = ?2",
    [ST_ROWID_VOL] = "SELECT rowid FROM volumes WHERE pool_key = ?1"
                     " AND name = ?2",
    [ST_SEEN_VOL] = INV_SEEN_SQL("volumes"),
    [ST_SEEN_SNMP_DEV] = INV_SEEN_SQL("snmp_devices"),
    [ST_SEEN_IF] = INV_SEEN_SQL("interfaces"),
    [ST_SEEN_STORAGE] = INV_SEEN_SQL("storages"),
    [ST_ROWID_SNMP_DEV] = "SELECT rowid FROM snmp_devices WHERE name = ?1",
    [ST_ROWID_IF] = "SELECT rowid FROM interfaces WHERE device = ?1"
                    " AND name = ?2",
    [ST_ROWID_STORAGE] = "SELECT rowid FROM storages WHERE device = ?1"
                         " AND descr = ?2",
    /* ?1 now, ?2 device: what the sweep just marked (to forget it) */
    [ST_IF_SWEPT] = "SELECT name FROM interfaces WHERE device = ?2"
                    " AND vanished_at = ?1",
    [ST_STORAGE_SWEPT] = "SELECT descr FROM storages WHERE device = ?2"
                         " AND vanished_at = ?1",

    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",

    [ST_HV_UPSERT] =
        "INSERT INTO hypervisors(name, cluster, uri, hostname, model, cpus,"
        " cores, memory, first_seen, last_seen)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)"
        " ON CONFLICT(name) DO UPDATE SET cluster = excluded.cluster,"
        " uri = excluded.uri, hostname = excluded.hostname,"
        " model = excluded.model, cpus = excluded.cpus,"
        " cores = excluded.cores, memory = excluded.memory,"
        " last_seen = excluded.last_seen",

    [ST_VM_OLD] = "SELECT name, host, state, deleted_at FROM vms"
                  " WHERE uuid = ?1",

    /* vm_runs_elsewhere(): the stored row of a VM listed inactive */
    [ST_VM_ELSEWHERE] = "SELECT host, active, last_seen, deleted_at FROM vms"
                        " WHERE uuid = ?1",

    /* state_since moves only when the state changes or the VM returns */
    [ST_VM_UPSERT] =
        "INSERT INTO vms(uuid, name, host, cluster, title, owner, state,"
        " active, vcpus, max_vcpus, memory, max_memory, first_seen,"
        " last_seen, state_since, deleted_at)"
        " VALUES (?1, ?2, ?3,"
        " COALESCE(?4, (SELECT cluster FROM hypervisors WHERE name = ?3)),"
        " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?13, NULL)"
        " ON CONFLICT(uuid) DO UPDATE SET name = excluded.name,"
        " host = excluded.host, cluster = excluded.cluster,"
        " title = excluded.title, owner = excluded.owner,"
        " state_since = CASE WHEN vms.state IS NOT excluded.state"
        " OR vms.deleted_at IS NOT NULL THEN excluded.last_seen"
        " ELSE vms.state_since END,"
        " state = excluded.state, active = excluded.active,"
        " vcpus = excluded.vcpus, max_vcpus = excluded.max_vcpus,"
        " memory = excluded.memory, max_memory = excluded.max_memory,"
        " last_seen = excluded.last_seen, deleted_at = NULL",

    [ST_VM_NAME_ADD] = "INSERT OR IGNORE INTO vm_names(uuid, name, since)"
                       " VALUES (?1, ?2, ?3)",

    /* ?1 t, ?2 kind, ?3 entity, ?4 name, ?5 host, ?6 prev, ?7 new */
    [ST_EVENT_ADD] =
        "INSERT INTO events(t, kind, entity, detail, name, host, prev_value,"
        " new_value) VALUES (?1, ?2, ?3,"
        " CASE WHEN ?6 IS NULL AND ?7 IS NULL"
        " THEN ?2 || ' on ' || IFNULL(?5, '?')"
        " ELSE IFNULL(?6, '') || ' -> ' || IFNULL(?7, '') END,"
        " ?4, ?5, ?6, ?7)",

    [ST_VM_LIST_HOST] = "SELECT uuid FROM vms"
                        " WHERE host = ?1 AND deleted_at IS NULL",

    [ST_EVENT_DELETED] =
        "INSERT INTO events(t, kind, entity, detail, name, host, prev_value,"
        " new_value) SELECT ?1, 'deleted', uuid,"
        " 'deleted from ' || IFNULL(host, '?'), name, host, state, NULL"
        " FROM vms WHERE uuid = ?2",

    [ST_VM_MARK_DELETED] = "UPDATE vms SET deleted_at = ?1 WHERE uuid = ?2",

    [ST_DISK_UPSERT] =
        "INSERT INTO disks(vm_uuid, target, source, backing, capacity,"
        " allocation, first_seen, last_seen)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
        " ON CONFLICT(vm_uuid, target) DO UPDATE SET source = excluded.source,"
        " backing = excluded.backing, capacity = excluded.capacity,"
        " allocation = excluded.allocation, last_seen = excluded.last_seen"
        "",

    [ST_NIC_UPSERT] =
        "INSERT INTO nics(vm_uuid, mac, target, network, first_seen,"
        " last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?5)"
        " ON CONFLICT(vm_uuid, mac) DO UPDATE SET target = excluded.target,"
        " network = excluded.network, last_seen = excluded.last_seen"
        "",

    [ST_POOL_UPSERT] =
        "INSERT INTO pools(key, name, type, source, shared, active, capacity,"
        " allocation, available, first_seen, last_seen)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)"
        " ON CONFLICT(key) DO UPDATE SET name = excluded.name,"
        " type = excluded.type, source = excluded.source,"
        " shared = excluded.shared, active = excluded.active,"
        " capacity = excluded.capacity, allocation = excluded.allocation,"
        " available = excluded.available, last_seen = excluded.last_seen"
        "",

    [ST_POOL_HOST_UPSERT] =
        "INSERT INTO pool_hosts(pool_key, host, pool_name, last_seen)"
        " VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT(pool_key, host) DO UPDATE SET"
        " pool_name = excluded.pool_name, last_seen = excluded.last_seen"
        "",

    /* a volume of a pool never reported is skipped, not an error */
    [ST_VOL_UPSERT] =
        "INSERT INTO volumes(pool_key, name, path, capacity, allocation,"
        " first_seen, last_seen)"
        " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?6"
        " WHERE EXISTS (SELECT 1 FROM pools WHERE key = ?1)"
        " ON CONFLICT(pool_key, name) DO UPDATE SET path = excluded.path,"
        " capacity = excluded.capacity, allocation = excluded.allocation,"
        " last_seen = excluded.last_seen",

    [ST_VM_GET] = "SELECT uuid, name, host, state, vcpus, memory, first_seen,"
                  " last_seen, state_since, deleted_at FROM vms"
                  " WHERE uuid = ?1",

    /* ?1 day, ?2 oldest last_seen counted */
    [ST_SNAP_CLUSTER] =
        "INSERT INTO snapshot_cluster(day, cluster, hosts, cores, cpus,"
        " memory, vms, vms_running, vcpus, vram, provisioned_storage)"
        " WITH hv AS (SELECT IFNULL(cluster, '') AS cl, cores, cpus, memory"
        "  FROM hypervisors WHERE last_seen >= ?2),"
        " vm AS (SELECT uuid, IFNULL(cluster, '') AS cl, active, vcpus,"
        "  memory FROM vms WHERE deleted_at IS NULL AND last_seen >= ?2),"
        " dk AS (SELECT vm.cl AS cl, SUM(d.capacity) AS cap FROM disks d"
        "  JOIN vm ON vm.uuid = d.vm_uuid WHERE d.last_seen >= ?2"
        "  GROUP BY vm.cl),"
        " cls AS (SELECT cl FROM hv UNION SELECT cl FROM vm)"
        " SELECT ?1, cls.cl,"
        " (SELECT COUNT(*) FROM hv WHERE hv.cl = cls.cl),"
        " (SELECT IFNULL(SUM(cores), 0) FROM hv WHERE hv.cl = cls.cl),"
        " (SELECT IFNULL(SUM(cpus), 0) FROM hv WHERE hv.cl = cls.cl),"
        " (SELECT IFNULL(SUM(memory), 0) FROM hv WHERE hv.cl = cls.cl),"
        " (SELECT COUNT(*) FROM vm WHERE vm.cl = cls.cl),"
        " (SELECT COUNT(*) FROM vm WHERE vm.cl = cls.cl AND active),"
        " (SELECT IFNULL(SUM(vcpus), 0) FROM vm"
        "  WHERE vm.cl = cls.cl AND active),"
        " (SELECT IFNULL(SUM(memory), 0) FROM vm"
        "  WHERE vm.cl = cls.cl AND active),"
        " IFNULL((SELECT cap FROM dk WHERE dk.cl = cls.cl), 0)"
        " FROM cls"
        " WHERE NOT EXISTS (SELECT 1 FROM snapshot_cluster WHERE day = ?1)",

    [ST_SNAP_POOL] =
        "INSERT INTO snapshot_pool(day, pool_key, capacity, allocation,"
        " volumes, provisioned)"
        " SELECT ?1, p.key, p.capacity, p.allocation,"
        " (SELECT COUNT(*) FROM volumes v"
        "  WHERE v.pool_key = p.key AND v.last_seen >= ?2),"
        " (SELECT IFNULL(SUM(v.capacity), 0) FROM volumes v"
        "  WHERE v.pool_key = p.key AND v.last_seen >= ?2)"
        " FROM pools p WHERE p.last_seen >= ?2"
        " AND NOT EXISTS (SELECT 1 FROM snapshot_pool WHERE day = ?1)",

    /* what a device did not say this cycle (NULL) keeps its old value */
    [ST_SNMP_DEV_UPSERT] =
        "INSERT INTO snmp_devices(name, address, role, sys_descr, sys_name,"
        " uptime, first_seen, last_seen)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
        " ON CONFLICT(name) DO UPDATE SET address = excluded.address,"
        " role = excluded.role,"
        " sys_descr = IFNULL(excluded.sys_descr, snmp_devices.sys_descr),"
        " sys_name = IFNULL(excluded.sys_name, snmp_devices.sys_name),"
        " uptime = IFNULL(excluded.uptime, snmp_devices.uptime),"
        " last_seen = excluded.last_seen",

    [ST_IF_OLD] = "SELECT vanished_at FROM interfaces"
                  " WHERE device = ?1 AND name = ?2",

    [ST_IF_UPSERT] =
        "INSERT INTO interfaces(device, name, alias, speed, uplink, first_seen,"
        " last_seen, descr, if_index, oper_status, vanished_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, NULL)"
        " ON CONFLICT(device, name) DO UPDATE SET alias = excluded.alias,"
        " speed = excluded.speed, uplink = excluded.uplink,"
        " last_seen = excluded.last_seen, descr = excluded.descr,"
        " if_index = excluded.if_index, oper_status = excluded.oper_status,"
        " vanished_at = NULL",

    /* ?1 now, ?2 device: listed before, not in this complete listing */
    [ST_IF_VANISH_EVENTS] =
        "INSERT INTO events(t, kind, entity, detail, name, host)"
        " SELECT ?1, 'interface vanished', device || '/' || name,"
        " 'interface vanished from ' || device, name, device"
        " FROM interfaces WHERE device = ?2 AND vanished_at IS NULL"
        " AND last_seen < ?1",
    [ST_IF_VANISH] = "UPDATE interfaces SET vanished_at = ?1"
                     " WHERE device = ?2 AND vanished_at IS NULL"
                     " AND last_seen < ?1",

    [ST_STORAGE_OLD] = "SELECT vanished_at FROM storages"
                       " WHERE device = ?1 AND descr = ?2",

    /* a figure not read this cycle (NULL) keeps its old value */
    [ST_STORAGE_UPSERT] =
        "INSERT INTO storages(device, descr, size, used, first_seen,"
        " last_seen, vanished_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5, NULL)"
        " ON CONFLICT(device, descr) DO UPDATE SET"
        " size = IFNULL(excluded.size, storages.size),"
        " used = IFNULL(excluded.used, storages.used),"
        " last_seen = excluded.last_seen, vanished_at = NULL",

    [ST_STORAGE_VANISH_EVENTS] =
        "INSERT INTO events(t, kind, entity, detail, name, host)"
        " SELECT ?1, 'storage vanished', device || '/' || descr,"
        " 'storage vanished from ' || device, descr, device"
        " FROM storages WHERE device = ?2 AND vanished_at IS NULL"
        " AND last_seen < ?1",
    [ST_STORAGE_VANISH] = "UPDATE storages SET vanished_at = ?1"
                          " WHERE device = ?2 AND vanished_at IS NULL"
                          " AND last_seen < ?1",

    /*
     * Import (sdcmon-import --inventory).  *_LAST reads the stored
     * last_seen; *_UPSERT writes a row at least as recent as the stored one
     * (a fact the row does not give, NULL, keeps its stored value);
     * *_FIRST moves first_seen back for an older row.
     */
    [ST_IMP_HV_LAST] = "SELECT last_seen FROM hypervisors WHERE name = ?1",
    [ST_IMP_HV_UPSERT] =
        "INSERT INTO hypervisors(name, cluster, uri, hostname, model, cpus,"
        " cores, memory, first_seen, last_seen)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        " ON CONFLICT(name) DO UPDATE SET"
        " cluster = IFNULL(excluded.cluster, hypervisors.cluster),"
        " uri = IFNULL(excluded.uri, hypervisors.uri),"
        " hostname = IFNULL(excluded.hostname, hypervisors.hostname),"
        " model = IFNULL(excluded.model, hypervisors.model),"
        " cpus = IFNULL(excluded.cpus, hypervisors.cpus),"
        " cores = IFNULL(excluded.cores, hypervisors.cores),"
        " memory = IFNULL(excluded.memory, hypervisors.memory),"
        " first_seen = MIN(hypervisors.first_seen, excluded.first_seen),"
        " last_seen = excluded.last_seen",
    [ST_IMP_HV_FIRST] = "UPDATE hypervisors SET first_seen = MIN(first_seen,"
                        " ?2) WHERE name = ?1",

    [ST_IMP_VM_LAST] = "SELECT last_seen FROM vms WHERE uuid = ?1",
    /* state_since: the row's, else the stored one while the state holds */
    [ST_IMP_VM_UPSERT] =
        "INSERT INTO vms(uuid, name, host, cluster, title, owner, state,"
        " active, vcpus, max_vcpus, memory, max_memory, first_seen,"
        " last_seen, state_since, deleted_at)"
        " VALUES (?1, ?2, ?3,"
        " COALESCE(?4, (SELECT cluster FROM hypervisors WHERE name = ?3)),"
        " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, IFNULL(?15, ?13), ?16)"
        " ON CONFLICT(uuid) DO UPDATE SET name = excluded.name,"
        " host = IFNULL(excluded.host, vms.host),"
        " cluster = IFNULL(excluded.cluster, vms.cluster),"
        " title = IFNULL(excluded.title, vms.title),"
        " owner = IFNULL(excluded.owner, vms.owner),"
        " state_since = CASE WHEN ?15 IS NOT NULL THEN ?15"
        " WHEN vms.state IS NOT excluded.state THEN excluded.last_seen"
        " ELSE vms.state_since END,"
        " state = excluded.state, active = excluded.active,"
        " vcpus = IFNULL(excluded.vcpus, vms.vcpus),"
        " max_vcpus = IFNULL(excluded.max_vcpus, vms.max_vcpus),"
        " memory = IFNULL(excluded.memory, vms.memory),"
        " max_memory = IFNULL(excluded.max_memory, vms.max_memory),"
        " first_seen = MIN(vms.first_seen, excluded.first_seen),"
        " last_seen = excluded.last_seen, deleted_at = excluded.deleted_at",
    [ST_IMP_VM_FIRST] = "UPDATE vms SET first_seen = MIN(first_seen, ?2)"
                        " WHERE uuid = ?1",

    [ST_IMP_DISK_LAST] = "SELECT last_seen FROM disks"
                         " WHERE vm_uuid = ?1 AND target = ?2",
    [ST_IMP_DISK_UPSERT] =
        "INSERT INTO disks(vm_uuid, target, source, backing, capacity,"
        " allocation, first_seen, last_seen)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        " ON CONFLICT(vm_uuid, target) DO UPDATE SET"
        " source = IFNULL(excluded.source, disks.source),"
        " backing = IFNULL(excluded.backing, disks.backing),"
        " capacity = IFNULL(excluded.capacity, disks.capacity),"
        " allocation = IFNULL(excluded.allocation, disks.allocation),"
        " first_seen = MIN(disks.first_seen, excluded.first_seen),"
        " last_seen = excluded.last_seen",
    [ST_IMP_DISK_FIRST] = "UPDATE disks SET first_seen = MIN(first_seen, ?3)"
                          " WHERE vm_uuid = ?1 AND target = ?2",

    [ST_IMP_NIC_LAST] = "SELECT last_seen FROM nics"
                        " WHERE vm_uuid = ?1 AND mac = ?2",
    [ST_IMP_NIC_UPSERT] =
        "INSERT INTO nics(vm_uuid, mac, target, network, first_seen,"
        " last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        " ON CONFLICT(vm_uuid, mac) DO UPDATE SET"
        " target = IFNULL(excluded.target, nics.target),"
        " network = IFNULL(excluded.network, nics.network),"
        " first_seen = MIN(nics.first_seen, excluded.first_seen),"
        " last_seen = excluded.last_seen",
    [ST_IMP_NIC_FIRST] = "UPDATE nics SET first_seen = MIN(first_seen, ?3)"
                         " WHERE vm_uuid = ?1 AND mac = ?2",

    [ST_IMP_POOL_LAST] = "SELECT last_seen FROM pools WHERE key = ?1",
    [ST_IMP_POOL_UPSERT] =
        "INSERT INTO pools(key, name, type, source, shared, active, capacity,"
        " allocation, available, first_seen, last_seen)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        " ON CONFLICT(key) DO UPDATE SET"
        " name = IFNULL(excluded.name, pools.name),"
        " type = IFNULL(excluded.type, pools.type),"
        " source = IFNULL(excluded.source, pools.source),"
        " shared = IFNULL(excluded.shared, pools.shared),"
        " active = IFNULL(excluded.active, pools.active),"
        " capacity = IFNULL(excluded.capacity, pools.capacity),"
        " allocation = IFNULL(excluded.allocation, pools.allocation),"
        " available = IFNULL(excluded.available, pools.available),"
        " first_seen = MIN(pools.first_seen, excluded.first_seen),"
        " last_seen = excluded.last_seen",
    [ST_IMP_POOL_FIRST] = "UPDATE pools SET first_seen = MIN(first_seen, ?2)"
                          " WHERE key = ?1",
    [ST_IMP_POOL_HOST] =
        "INSERT INTO pool_hosts(pool_key, host, pool_name, last_seen)"
        " VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT(pool_key, host) DO UPDATE SET"
        " pool_name = IFNULL(excluded.pool_name, pool_hosts.pool_name),"
        " last_seen = MAX(pool_hosts.last_seen, excluded.last_seen)",

    [ST_IMP_VOL_LAST] = "SELECT last_seen FROM volumes"
                        " WHERE pool_key = ?1 AND name = ?2",
    [ST_IMP_VOL_UPSERT] =
        "INSERT INTO volumes(pool_key, name, path, capacity, allocation,"
        " first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        " ON CONFLICT(pool_key, name) DO UPDATE SET"
        " path = IFNULL(excluded.path, volumes.path),"
        " capacity = IFNULL(excluded.capacity, volumes.capacity),"
        " allocation = IFNULL(excluded.allocation, volumes.allocation),"
        " first_seen = MIN(volumes.first_seen, excluded.first_seen),"
        " last_seen = excluded.last_seen",
    [ST_IMP_VOL_FIRST] = "UPDATE volumes SET first_seen = MIN(first_seen, ?3)"
                         " WHERE pool_key = ?1 AND name = ?2",

    /* a day the poller (or an earlier import) recorded is kept */
    [ST_IMP_SNAP_CLUSTER] =
        "INSERT INTO snapshot_cluster(day, cluster, hosts, cores, cpus,"
        " memory, vms, vms_running, vcpus, vram, provisioned_storage)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        " ON CONFLICT(day, cluster) DO NOTHING",
    [ST_IMP_SNAP_POOL] =
        "INSERT INTO snapshot_pool(day, pool_key, capacity, allocation,"
        " volumes, provisioned) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        " ON CONFLICT(day, pool_key) DO NOTHING",
};

/* Rowids as a JSON array under construction: "[1,2,3" (closed on use). */
struct idlist {
    char *buf;
    size_t len;
    size_t cap;
    size_t n;
};

struct inv {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    /*
     * What the recorder wrote (inv_rowcache.h): a row listed with the
     * content it was last written with is not upserted again; its rowid
     * goes to seen[] and one UPDATE per table moves last_seen.
     */
    struct rowcache *rows;
    struct idlist seen[INV_ROW_TABLES];
    size_t listed;              /* rows listed in the cycle being recorded */
    sqlite3_int64 data_version; /* after our last cycle; -1: unknown */
    struct inv_stats stats;
    /* inv_prune_poll(): the local day whose prune finished ("" none yet)
     * and the poll_transitions rowid the prune under way has reached */
    char pruned_day[16];
    sqlite3_int64 prune_cursor;
};

/* The rowid SELECT of each remembered table. */
static const enum inv_stmt rowid_stmt[INV_ROW_TABLES] = {
    [INV_ROW_HV] = ST_ROWID_HV,      [INV_ROW_VM] = ST_ROWID_VM,
    [INV_ROW_DISK] = ST_ROWID_DISK,  [INV_ROW_NIC] = ST_ROWID_NIC,
    [INV_ROW_POOL] = ST_ROWID_POOL,  [INV_ROW_POOL_HOST] = ST_ROWID_POOL_HOST,
    [INV_ROW_VOLUME] = ST_ROWID_VOL, [INV_ROW_SNMP_DEV] = ST_ROWID_SNMP_DEV,
    [INV_ROW_IF] = ST_ROWID_IF,      [INV_ROW_STORAGE] = ST_ROWID_STORAGE,
};

/* The last_seen UPDATE of each remembered table. */
static const enum inv_stmt seen_stmt[INV_ROW_TABLES] = {
    [INV_ROW_HV] = ST_SEEN_HV,      [INV_ROW_VM] = ST_SEEN_VM,
    [INV_ROW_DISK] = ST_SEEN_DISK,  [INV_ROW_NIC] = ST_SEEN_NIC,
    [INV_ROW_POOL] = ST_SEEN_POOL,  [INV_ROW_POOL_HOST] = ST_SEEN_POOL_HOST,
    [INV_ROW_VOLUME] = ST_SEEN_VOL, [INV_ROW_SNMP_DEV] = ST_SEEN_SNMP_DEV,
    [INV_ROW_IF] = ST_SEEN_IF,      [INV_ROW_STORAGE] = ST_SEEN_STORAGE,
};

static void idlist_free(struct idlist *l)
{
    free(l->buf);
    memset(l, 0, sizeof(*l));
}

/* A VM chosen for this cycle: batch index and position in its vms. */
struct vm_pick {
    const char *uuid;
    size_t batch;
    size_t idx;
};

static enum sdc_rc db_error(const struct inv *inv, struct sdc_error *err,
                            const char *what)
{
    return sdc_error_set(err, SDC_ERR_DB, "inventory: %s: %s", what,
                         inv->db ? sqlite3_errmsg(inv->db) : "no database");
}

/* Bind helpers: NULL strings become SQL NULL; return an SQLite code. */
static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (!s)
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static int bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
    /* SQLite integers are signed: clamp what no real capacity reaches */
    if (v > (uint64_t)INT64_MAX)
        v = (uint64_t)INT64_MAX;
    return sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

static int bind_time(sqlite3_stmt *st, int i, time_t t)
{
    return sqlite3_bind_int64(st, i, (sqlite3_int64)t);
}

/*
 * Reset a cached statement and drop its bindings: strings are bound
 * SQLITE_STATIC and belong to the caller, so none may outlive the call.
 */
static void stmt_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/*
 * run - step @st to completion (it returns no rows) and reset it.
 * @brc: the bind results of the caller, non-zero if a bind failed
 */
static enum sdc_rc run(struct inv *inv, enum inv_stmt id, int brc,
                       const char *what, struct sdc_error *err)
{
    sqlite3_stmt *st = inv->st[id];
    enum sdc_rc rc = SDC_OK;
    int src;

    if (brc != SQLITE_OK) {
        rc = db_error(inv, err, what);
        stmt_done(st);
        return rc;
    }
    src = sqlite3_step(st);
    if (src != SQLITE_DONE && src != SQLITE_ROW)
        rc = db_error(inv, err, what);
    stmt_done(st);
    return rc;
}

static bool str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static const char *col_text(sqlite3_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(st, col);
}

/* Read one integer row of a PRAGMA; -1 on error. */
static long pragma_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static enum sdc_rc exec_sql(struct inv *inv, const char *sql, const char *what,
                            struct sdc_error *err)
{
    if (sqlite3_exec(inv->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_error(inv, err, what);
    return SDC_OK;
}

/* Switch to WAL; an in-memory database (tests, tools) stays in memory. */
static enum sdc_rc set_wal(struct inv *inv, const char *path,
                           struct sdc_error *err)
{
    sqlite3_stmt *st = NULL;
    const char *mode;
    bool memory = path[0] == '\0' || strcmp(path, ":memory:") == 0;
    enum sdc_rc rc = SDC_OK;

    if (sqlite3_prepare_v2(inv->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) !=
        SQLITE_OK)
        return db_error(inv, err, "set journal_mode=WAL");
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = db_error(inv, err, "set journal_mode=WAL");
        goto cleanup;
    }
    mode = col_text(st, 0);
    if (!mode ||
        (strcmp(mode, "wal") != 0 && !(memory && strcmp(mode, "memory") == 0)))
        rc = sdc_error_set(err, SDC_ERR_DB,
                           "inventory: journal_mode is '%s', not 'wal'",
                           mode ? mode : "?");
cleanup:
    sqlite3_finalize(st);
    return rc;
}

static enum sdc_rc newer_schema(struct sdc_error *err, long v)
{
    return sdc_error_set(err, SDC_ERR_DB,
                         "inventory: schema version %ld is newer than this "
                         "program's (%d)",
                         v, INV_SCHEMA_VERSION);
}

/* Bring the schema to INV_SCHEMA_VERSION, one step at a time. */
static enum sdc_rc migrate(struct inv *inv, struct sdc_error *err)
{
    char set_version[64];
    long v = pragma_int(inv->db, "PRAGMA user_version");
    enum sdc_rc rc;

    if (v < 0)
        return db_error(inv, err, "read schema version");
    if (v > INV_SCHEMA_VERSION)
        return newer_schema(err, v);
    if (v == INV_SCHEMA_VERSION)
        return SDC_OK;

    rc = exec_sql(inv, "BEGIN IMMEDIATE", "begin schema migration", err);
    if (rc != SDC_OK)
        return rc;
    /* another process may have migrated while we waited for the lock */
    v = pragma_int(inv->db, "PRAGMA user_version");
    if (v < 0 || v > INV_SCHEMA_VERSION) {
        rc = v < 0 ? db_error(inv, err, "read schema version")
                   : newer_schema(err, v);
        goto rollback;
    }
    for (; v < INV_SCHEMA_VERSION; v++) {
        rc = exec_sql(inv, migrations[v], "create schema", err);
        if (rc != SDC_OK)
            goto rollback;
    }
    snprintf(set_version, sizeof(set_version), "PRAGMA user_version = %d",
             INV_SCHEMA_VERSION);
    rc = exec_sql(inv, set_version, "set schema version", err);
    if (rc != SDC_OK)
        goto rollback;
    return exec_sql(inv, "COMMIT", "commit schema migration", err);

rollback:
    sqlite3_exec(inv->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

enum sdc_rc inv_open(const char *path, struct inv **out, struct sdc_error *err)
{
    struct inv *inv;
    enum sdc_rc rc;
    long v;

    if (out)
        *out = NULL;
    if (!path || !out)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "inventory: inv_open needs a path and out");
    inv = calloc(1, sizeof(*inv));
    if (!inv)
        return sdc_error_set(err, SDC_ERR_NOMEM, "inventory: out of memory");
    inv->data_version = -1;
    inv->rows = rowcache_new();
    if (!inv->rows) {
        free(inv);
        return sdc_error_set(err, SDC_ERR_NOMEM, "inventory: out of memory");
    }

    if (sqlite3_open_v2(path, &inv->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        NULL) != SQLITE_OK) {
        if (inv->db)
            rc = sdc_error_set(err, SDC_ERR_DB, "inventory: open '%s': %s",
                               path, sqlite3_errmsg(inv->db));
        else
            rc = sdc_error_set(err, SDC_ERR_NOMEM,
                               "inventory: open '%s': out of memory", path);
        goto error;
    }
    if (sqlite3_busy_timeout(inv->db, INV_BUSY_TIMEOUT_MS) != SQLITE_OK) {
        rc = db_error(inv, err, "set busy_timeout");
        goto error;
    }
    /* refuse a newer schema before changing anything in the file */
    v = pragma_int(inv->db, "PRAGMA user_version");
    if (v < 0) {
        rc = db_error(inv, err, "read schema version");
        goto error;
    }
    if (v > INV_SCHEMA_VERSION) {
        rc = newer_schema(err, v);
        goto error;
    }
    rc = set_wal(inv, path, err);
    if (rc != SDC_OK)
        goto error;
    rc = exec_sql(inv, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON",
                  "set pragmas", err);
    if (rc != SDC_OK)
        goto error;
    if (pragma_int(inv->db, "PRAGMA foreign_keys") != 1) {
        rc = sdc_error_set(err, SDC_ERR_DB,
                           "inventory: foreign keys cannot be enabled");
        goto error;
    }
    rc = migrate(inv, err);
    if (rc != SDC_OK)
        goto error;
    for (int i = 0; i < ST_COUNT; i++) {
        if (sqlite3_prepare_v3(inv->db, stmt_sql[i], -1,
                               SQLITE_PREPARE_PERSISTENT, &inv->st[i],
                               NULL) != SQLITE_OK) {
            rc = db_error(inv, err, "prepare statement");
            goto error;
        }
    }
    *out = inv;
    return SDC_OK;

error:
    inv_close(inv);
    return rc;
}

void inv_close(struct inv *inv)
{
    if (!inv)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(inv->st[i]);
    if (inv->db) {
        /* keeps the planner's statistics fresh; cheap when nothing to do */
        sqlite3_exec(inv->db, "PRAGMA optimize", NULL, NULL, NULL);
        sqlite3_close(inv->db);
    }
    rowcache_free(inv->rows);
    for (int t = 0; t < INV_ROW_TABLES; t++)
        idlist_free(&inv->seen[t]);
    free(inv);
}

/* ---- recording a cycle ------------------------------------------------ */

static bool batch_usable(const struct sdc_batch *b)
{
    return b && b->ok;
}

/* The host a batch's VMs and pools belong to. */
static const char *batch_host(const struct sdc_batch *b, const char *fallback)
{
    return b->source ? b->source : fallback;
}

/* ---- rows remembered between cycles (inv_rowcache.h) ------------------- */

/* Append @id; false when out of memory (the list is then unchanged). */
static bool idlist_add(struct idlist *l, int64_t id)
{
    char digits[24];
    size_t nd = 0;
    uint64_t v = id < 0 ? 0 : (uint64_t)id;

    if (l->cap - l->len < sizeof(digits) + 2) {
        size_t cap = l->cap ? l->cap * 2 : 4096;
        char *buf = realloc(l->buf, cap);
        if (!buf)
            return false;
        l->buf = buf;
        l->cap = cap;
    }
    if (l->len == 0)
        l->buf[l->len++] = '[';
    else
        l->buf[l->len++] = ',';
    do {
        digits[nd++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    while (nd > 0)
        l->buf[l->len++] = digits[--nd];
    l->n++;
    return true;
}

/* One listed row: its table, key (@k2 NULL for one-part keys) and the
 * rowhash of the content bound to its upsert. */
struct row_ref {
    enum inv_row_table table;
    const char *k1;
    const char *k2;
    uint64_t content;
};

/* Forget every remembered row: the next cycle writes them all. */
static void rows_forget(struct inv *inv)
{
    if (rowcache_len(inv->rows) > 0)
        inv->stats.resets++;
    rowcache_clear(inv->rows);
}

/*
 * row_unchanged - whether the row @ref was last written by this connection
 * with the same content.  If so it is counted as seen this
 * cycle: its rowid joins the table's last_seen update and no upsert is
 * needed.  Any doubt (not remembered, out of memory) answers false: the
 * caller writes the row, which is always right.
 */
static bool row_unchanged(struct inv *inv, const struct row_ref *ref,
                          time_t now)
{
    struct rowcache_row *r;

    inv->listed++;
    r = rowcache_lookup(inv->rows, ref->table, ref->k1, ref->k2);
    if (!r || r->content != ref->content ||
        !idlist_add(&inv->seen[ref->table], r->rowid))
        return false;
    r->seen = now;
    inv->stats.rows_unchanged++;
    return true;
}

/*
 * row_written - after an upsert of the row keyed @k1/@k2: remember that it
 * holds @content at @rowid, if @remember.  Without @remember, with no row
 * written (@rowid negative) or without memory for it, what was remembered
 * of the row is dropped instead, so a stale entry can never make a later
 * cycle skip a write.
 */
static void row_written(struct inv *inv, enum inv_row_table table,
                        const char *k1, const char *k2, uint64_t content,
                        int64_t rowid, bool remember, time_t now)
{
    struct rowcache_row r = {content, rowid, now};

    if (rowid >= 0)
        inv->stats.rows_written++;
    if (rowid < 0 || !remember ||
        rowcache_put(inv->rows, table, k1, k2, &r) != SDC_OK)
        rowcache_remove(inv->rows, table, k1, k2);
}

/*
 * run_rowid - run the upsert @id of the row of @table keyed @k1/@k2 (like
 * run()) and find the row it wrote: *@rowid is its rowid, or -1 when the
 * statement wrote none.  An insert's rowid is sqlite3_last_insert_rowid();
 * when that did not move (the upsert updated a row, or an insert into
 * another table happened to leave the same number), the row is looked up
 * by its key.  (RETURNING rowid would do it in one statement, but costs an
 * ephemeral table per execution: it doubled the first cycle's CPU.)
 */
static enum sdc_rc run_rowid(struct inv *inv, enum inv_stmt id, int brc,
                             const char *what, enum inv_row_table table,
                             const char *k1, const char *k2, int64_t *rowid,
                             struct sdc_error *err)
{
    sqlite3_int64 before = sqlite3_last_insert_rowid(inv->db);
    sqlite3_stmt *st;
    enum sdc_rc rc;
    int src;

    *rowid = -1;
    rc = run(inv, id, brc, what, err);
    if (rc != SDC_OK || sqlite3_changes(inv->db) == 0)
        return rc;
    if (sqlite3_last_insert_rowid(inv->db) != before) {
        *rowid = (int64_t)sqlite3_last_insert_rowid(inv->db);
        return SDC_OK;
    }
    st = inv->st[rowid_stmt[table]];
    brc = bind_text(st, 1, k1);
    if (k2)
        brc |= bind_text(st, 2, k2);
    src = brc == SQLITE_OK ? sqlite3_step(st) : brc;
    if (src == SQLITE_ROW)
        *rowid = (int64_t)sqlite3_column_int64(st, 0);
    else if (src != SQLITE_DONE)
        rc = db_error(inv, err, what);
    stmt_done(st);
    return rc;
}

/*
 * row_write - upsert the row @ref with statement @id (bound by the caller;
 * @brc the binding's result) and remember what it now holds, if @remember
 * (see row_written).  The one way every remembered table writes a row that
 * row_unchanged() did not let through.
 */
static enum sdc_rc row_write(struct inv *inv, const struct row_ref *ref,
                             enum inv_stmt id, int brc, const char *what,
                             bool remember, time_t now, struct sdc_error *err)
{
    int64_t rowid;
    enum sdc_rc rc;

    rc = run_rowid(inv, id, brc, what, ref->table, ref->k1, ref->k2, &rowid,
                   err);
    if (rc == SDC_OK)
        row_written(inv, ref->table, ref->k1, ref->k2, ref->content, rowid,
                    remember, now);
    return rc;
}

/*
 * Set last_seen = @now on the rows of @table listed unchanged since its
 * last flush, and empty its list (a second call does nothing).
 */
static enum sdc_rc rows_flush_seen(struct inv *inv, enum inv_row_table table,
                                   time_t now, struct sdc_error *err)
{
    struct idlist *l = &inv->seen[table];
    sqlite3_stmt *st = inv->st[seen_stmt[table]];
    enum sdc_rc rc;
    int brc;

    if (l->n == 0)
        return SDC_OK;
    /* idlist_add left room for the closing bracket */
    l->buf[l->len] = ']';
    brc = bind_time(st, 1, now) |
          sqlite3_bind_text(st, 2, l->buf, (int)(l->len + 1), SQLITE_STATIC);
    rc = run(inv, seen_stmt[table], brc, "record last_seen", err);
    l->len = l->n = 0;
    return rc;
}

/* Set last_seen = @now on every row listed unchanged this cycle. */
static enum sdc_rc rows_mark_seen(struct inv *inv, time_t now,
                                  struct sdc_error *err)
{
    for (int t = 0; t < INV_ROW_TABLES; t++) {
        enum sdc_rc rc = rows_flush_seen(inv, (enum inv_row_table)t, now, err);
        if (rc != SDC_OK)
            return rc;
    }
    return SDC_OK;
}

/*
 * Drop what is remembered when another connection committed since our last
 * cycle (an import, a repair by hand, VACUUM renumbering rowids): the rows
 * may no longer hold what we wrote.  Called inside the cycle's IMMEDIATE
 * transaction, so nobody can commit between this check and our writes.
 */
static enum sdc_rc rows_check_version(struct inv *inv, struct sdc_error *err)
{
    sqlite3_stmt *st = inv->st[ST_DATA_VERSION];
    sqlite3_int64 v;
    int src = sqlite3_step(st);

    if (src != SQLITE_ROW) {
        stmt_done(st);
        return db_error(inv, err, "read data_version");
    }
    v = sqlite3_column_int64(st, 0);
    stmt_done(st);
    if (v != inv->data_version)
        rows_forget(inv);
    inv->data_version = v;
    return SDC_OK;
}

static enum sdc_rc record_hv(struct inv *inv, const struct sdc_batch *b,
                             time_t now, struct sdc_error *err)
{
    sqlite3_stmt *st = inv->st[ST_HV_UPSERT];
    const struct sdc_hv_info *hv = &b->hv;
    const char *name = hv->name ? hv->name : b->source;
    struct row_ref ref = {INV_ROW_HV, name, NULL, 0};
    struct rowhash h;
    int brc = 0;

    if (!name)
        return SDC_OK;
    rowhash_begin(&h, inv->rows);
    rowhash_str(&h, hv->cluster);
    rowhash_str(&h, hv->uri);
    rowhash_str(&h, hv->hostname);
    rowhash_str(&h, hv->model);
    rowhash_u64(&h, (uint64_t)(int64_t)hv->cpus);
    rowhash_u64(&h, (uint64_t)(int64_t)hv->cores);
    rowhash_u64(&h, hv->memory);
    ref.content = rowhash_end(&h);
    if (row_unchanged(inv, &ref, now))
        return SDC_OK;
    brc |= bind_text(st, 1, name);
    brc |= bind_text(st, 2, hv->cluster);
    brc |= bind_text(st, 3, hv->uri);
    brc |= bind_text(st, 4, hv->hostname);
    brc |= bind_text(st, 5, hv->model);
    brc |= sqlite3_bind_int(st, 6, hv->cpus);
    brc |= sqlite3_bind_int(st, 7, hv->cores);
    brc |= bind_u64(st, 8, hv->memory);
    brc |= bind_time(st, 9, now);
    return row_write(inv, &ref, ST_HV_UPSERT, brc, "record hypervisor", true,
                     now, err);
}

static enum sdc_rc add_event(struct inv *inv, time_t now, const char *kind,
                             const char *uuid, const char *name,
                             const char *host, const char *prev,
                             const char *next, struct sdc_error *err)
{
    sqlite3_stmt *st = inv->st[ST_EVENT_ADD];
    int brc = 0;

    brc |= bind_time(st, 1, now);
    brc |= bind_text(st, 2, kind);
    brc |= bind_text(st, 3, uuid);
    brc |= bind_text(st, 4, name);
    brc |= bind_text(st, 5, host);
    brc |= bind_text(st, 6, prev);
    brc |= bind_text(st, 7, next);
    return run(inv, ST_EVENT_ADD, brc, "record event", err);
}

static enum sdc_rc add_vm_name(struct inv *inv, const char *uuid,
                               const char *name, time_t now,
                               struct sdc_error *err)
{
    sqlite3_stmt *st = inv->st[ST_VM_NAME_ADD];
    int brc = 0;

    brc |= bind_text(st, 1, uuid);
    brc |= bind_text(st, 2, name);
    brc |= bind_time(st, 3, now);
    return run(inv, ST_VM_NAME_ADD, brc, "record VM name", err);
}

/*
 * Compare a VM with its stored row and record what changed as events.
 * Runs before the upsert, while the old row is still readable.
 * @existed: set when the VM had a row
 */
static enum sdc_rc vm_changes(struct inv *inv, const struct sdc_vm_info *vm,
                              const char *name, const char *host,
                              const char *state, time_t now, bool *existed,
                              struct sdc_error *err)
{
    sqlite3_stmt *st = inv->st[ST_VM_OLD];
    enum sdc_rc rc = SDC_OK;
    const char *old_name, *old_host, *old_state;
    int src;

    *existed = false;
    if (bind_text(st, 1, vm->uuid) != SQLITE_OK) {
        rc = db_error(inv, err, "read VM");
        goto cleanup;
    }
    src = sqlite3_step(st);
    if (src == SQLITE_DONE)
        goto cleanup;
    if (src != SQLITE_ROW) {
        rc = db_error(inv, err, "read VM");
        goto cleanup;
    }
    *existed = true;
    /* the column pointers stay valid until the reset below */
    old_name = col_text(st, 0);
    old_host = col_text(st, 1);
    old_state = col_text(st, 2);
    if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
        rc = add_event(inv, now, "returned", vm->uuid, name, host, NULL, NULL,
                       err);
        if (rc != SDC_OK)
            goto cleanup;
    }
    if (!str_eq(old_name, name)) {
        rc = add_event(inv, now, "renamed", vm->uuid, name, host, old_name,
                       name, err);
        if (rc == SDC_OK)
            rc = add_vm_name(inv, vm->uuid, name, now, err);
        if (rc != SDC_OK)
            goto cleanup;
    }
    if (!str_eq(old_host, host)) {
        rc = add_event(inv, now, "migrated", vm->uuid, name, host, old_host,
                       host, err);
        if (rc != SDC_OK)
            goto cleanup;
    }
    if (!str_eq(old_state, state))
        rc = add_event(inv, now, "state", vm->uuid, name, host, old_state,
                       state, err);
cleanup:
    stmt_done(st);
    return rc;
}

static enum sdc_rc record_vm(struct inv *inv, const struct sdc_batch *b,
                             const struct sdc_vm_info *vm, time_t now,
                             struct sdc_error *err)
{
    sqlite3_stmt *st = inv->st[ST_VM_UPSERT];
    const char *name = vm->name ? vm->name : "";
    const char *host = batch_host(b, vm->host);
    const char *state = sdc_vm_state_name(vm->state);
    const char *cluster = b->has_hv ? b->hv.cluster : NULL;
    const char *hv_name = b->hv.name ? b->hv.name : b->source;
    struct row_ref ref = {INV_ROW_VM, vm->uuid, NULL, 0};
    struct rowhash h;
    bool existed, known;
    enum sdc_rc rc;
    int brc = 0;

    /*
     * The stored cluster is the batch's, else that of the hypervisor row
     * named like the VM's host.  Only when the batch itself decides it
     * (its hypervisor row, written just before, is that host's) is the
     * row's content known from the batch alone and worth remembering.
     */
    known = b->has_hv && (cluster || str_eq(hv_name, host));
    if (known) {
        rowhash_begin(&h, inv->rows);
        rowhash_str(&h, name);
        rowhash_str(&h, host);
        rowhash_str(&h, cluster);
        rowhash_str(&h, vm->title);
        rowhash_str(&h, vm->owner);
        rowhash_str(&h, state);
        rowhash_u64(&h, (uint64_t)(int64_t)vm->vcpus);
        rowhash_u64(&h, (uint64_t)(int64_t)vm->max_vcpus);
        rowhash_u64(&h, vm->memory);
        rowhash_u64(&h, vm->max_memory);
        ref.content = rowhash_end(&h);
        /* same name, host and state, not deleted since: no event either */
        if (row_unchanged(inv, &ref, now))
            return SDC_OK;
    }

    rc = vm_changes(inv, vm, name, host, state, now, &existed, err);
    if (rc != SDC_OK)
        return rc;

    brc |= bind_text(st, 1, vm->uuid);
    brc |= bind_text(st, 2, name);
    brc |= bind_text(st, 3, host);
    brc |= bind_text(st, 4, cluster);
    brc |= bind_text(st, 5, vm->title);
    brc |= bind_text(st, 6, vm->owner);
    brc |= bind_text(st, 7, state);
    brc |= sqlite3_bind_int(st, 8, sdc_vm_state_active(vm->state) ? 1 : 0);
    brc |= sqlite3_bind_int(st, 9, vm->vcpus);
    brc |= sqlite3_bind_int(st, 10, vm->max_vcpus);
    brc |= bind_u64(st, 11, vm->memory);
    brc |= bind_u64(st, 12, vm->max_memory);
    brc |= bind_time(st, 13, now);
    rc = row_write(inv, &ref, ST_VM_UPSERT, brc, "record VM", known, now, err);
    if (rc != SDC_OK)
        return rc;
    if (existed)
        return rc;

    /* a new VM: its first name starts the rename history */
    rc = add_vm_name(inv, vm->uuid, name, now, err);
    if (rc == SDC_OK)
        rc = add_event(inv, now, "created", vm->uuid, name, host, NULL, NULL,
                       err);
    return rc;
}

static int pick_cmp(const void *pa, const void *pb)
{
    const struct vm_pick *a = pa, *b = pb;
    int c = strcmp(a->uuid, b->uuid);
    if (c != 0)
        return c;
    if (a->batch != b->batch)
        return a->batch < b->batch ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

static int pick_key_cmp(const void *key, const void *elem)
{
    const struct vm_pick *p = elem;
    return strcmp(key, p->uuid);
}

/*
 * How strongly a listing claims the VM during a migration: where it runs
 * (running, blocked) beats where it only holds resources (paused - the
 * other end of a live migration -, shutting down, pmsuspended), which beats
 * where it is inactive.
 */
static int vm_claim(enum sdc_vm_state s)
{
    if (s == SDC_VM_RUNNING || s == SDC_VM_BLOCKED)
        return 2;
    return sdc_vm_state_active(s) ? 1 : 0;
}

/*
 * Choose one listing per VM uuid over the ok batches: the one with the
 * strongest claim, the first of equals.  Returns the choices sorted by uuid
 * in *out.
 */
static enum sdc_rc pick_vms(struct sdc_batch *const *batches, size_t n,
                            struct vm_pick **out, size_t *nout,
                            struct sdc_error *err)
{
    struct vm_pick *p;
    size_t total = 0, len = 0, nc = 0;

    *out = NULL;
    *nout = 0;
    for (size_t i = 0; i < n; i++)
        if (batch_usable(batches[i]))
            total += batches[i]->vms.len;
    if (total == 0)
        return SDC_OK;
    p = calloc(total, sizeof(*p));
    if (!p)
        return sdc_error_set(err, SDC_ERR_NOMEM, "inventory: out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!batch_usable(batches[i]))
            continue;
        for (size_t j = 0; j < batches[i]->vms.len; j++) {
            if (!batches[i]->vms.items[j].uuid)
                continue;
            p[len].uuid = batches[i]->vms.items[j].uuid;
            p[len].batch = i;
            p[len].idx = j;
            len++;
        }
    }
    qsort(p, len, sizeof(*p), pick_cmp);
    for (size_t i = 0; i < len;) {
        size_t end = i + 1, chosen = i;
        int best = -1;
        while (end < len && strcmp(p[end].uuid, p[i].uuid) == 0)
            end++;
        for (size_t k = i; k < end; k++) {
            int claim =
                vm_claim(batches[p[k].batch]->vms.items[p[k].idx].state);
            if (claim > best) {
                best = claim;
                chosen = k;
            }
        }
        p[nc++] = p[chosen];
        i = end;
    }
    *out = p;
    *nout = nc;
    return SDC_OK;
}

/* Whether @uuid's chosen listing is in batch @bi (its disks/NICs count). */
static bool vm_chosen_in(const struct vm_pick *picks, size_t np,
                         const char *uuid, size_t bi)
{
    const struct vm_pick *p;
    if (!uuid || np == 0)
        return false;
    p = bsearch(uuid, picks, np, sizeof(*picks), pick_key_cmp);
    return p && p->batch == bi;
}

static enum sdc_rc record_disks_nics(struct inv *inv, const struct sdc_batch *b,
                                     size_t bi, const struct vm_pick *picks,
                                     size_t np, time_t now,
                                     struct sdc_error *err)
{
    enum sdc_rc rc;

    for (size_t i = 0; i < b->disks.len; i++) {
        const struct sdc_disk_info *d = &b->disks.items[i];
        sqlite3_stmt *st = inv->st[ST_DISK_UPSERT];
        struct row_ref ref = {INV_ROW_DISK, d->vm_uuid, d->target, 0};
        struct rowhash h;
        int brc = 0;
        if (!d->target || !vm_chosen_in(picks, np, d->vm_uuid, bi))
            continue;
        rowhash_begin(&h, inv->rows);
        rowhash_str(&h, d->source);
        rowhash_str(&h, d->backing);
        rowhash_u64(&h, d->capacity);
        rowhash_u64(&h, d->allocation);
        ref.content = rowhash_end(&h);
        if (row_unchanged(inv, &ref, now))
            continue;
        brc |= bind_text(st, 1, d->vm_uuid);
        brc |= bind_text(st, 2, d->target);
        brc |= bind_text(st, 3, d->source);
        brc |= bind_text(st, 4, d->backing);
        brc |= bind_u64(st, 5, d->capacity);
        brc |= bind_u64(st, 6, d->allocation);
        brc |= bind_time(st, 7, now);
        rc = row_write(inv, &ref, ST_DISK_UPSERT, brc, "record disk", true, now,
                       err);
        if (rc != SDC_OK)
            return rc;
    }
    for (size_t i = 0; i < b->nics.len; i++) {
        const struct sdc_nic_info *nic = &b->nics.items[i];
        sqlite3_stmt *st = inv->st[ST_NIC_UPSERT];
        struct row_ref ref = {INV_ROW_NIC, nic->vm_uuid, nic->mac, 0};
        struct rowhash h;
        int brc = 0;
        if (!nic->mac || !vm_chosen_in(picks, np, nic->vm_uuid, bi))
            continue;
        rowhash_begin(&h, inv->rows);
        rowhash_str(&h, nic->target);
        rowhash_str(&h, nic->network);
        ref.content = rowhash_end(&h);
        if (row_unchanged(inv, &ref, now))
            continue;
        brc |= bind_text(st, 1, nic->vm_uuid);
        brc |= bind_text(st, 2, nic->mac);
        brc |= bind_text(st, 3, nic->target);
        brc |= bind_text(st, 4, nic->network);
        brc |= bind_time(st, 5, now);
        rc = row_write(inv, &ref, ST_NIC_UPSERT, brc, "record NIC", true, now,
                       err);
        if (rc != SDC_OK)
            return rc;
    }
    return SDC_OK;
}

static enum sdc_rc record_pools(struct inv *inv, const struct sdc_batch *b,
                                time_t now, struct sdc_error *err)
{
    enum sdc_rc rc;

    for (size_t i = 0; i < b->pools.len; i++) {
        const struct sdc_pool_info *p = &b->pools.items[i];
        sqlite3_stmt *st = inv->st[ST_POOL_UPSERT];
        const char *host = p->host ? p->host : b->source;
        struct row_ref ref = {INV_ROW_POOL, p->key, NULL, 0};
        struct rowhash h;
        int brc = 0;
        if (!p->key)
            continue;
        rowhash_begin(&h, inv->rows);
        rowhash_str(&h, p->name);
        rowhash_str(&h, p->type);
        rowhash_str(&h, p->source);
        rowhash_u64(&h, p->shared ? 1 : 0);
        rowhash_u64(&h, p->active ? 1 : 0);
        rowhash_u64(&h, p->capacity);
        rowhash_u64(&h, p->allocation);
        rowhash_u64(&h, p->available);
        ref.content = rowhash_end(&h);
        if (!row_unchanged(inv, &ref, now)) {
            brc |= bind_text(st, 1, p->key);
            brc |= bind_text(st, 2, p->name);
            brc |= bind_text(st, 3, p->type);
            brc |= bind_text(st, 4, p->source);
            brc |= sqlite3_bind_int(st, 5, p->shared ? 1 : 0);
            brc |= sqlite3_bind_int(st, 6, p->active ? 1 : 0);
            brc |= bind_u64(st, 7, p->capacity);
            brc |= bind_u64(st, 8, p->allocation);
            brc |= bind_u64(st, 9, p->available);
            brc |= bind_time(st, 10, now);
            rc = row_write(inv, &ref, ST_POOL_UPSERT, brc, "record pool", true,
                           now, err);
            if (rc != SDC_OK)
                return rc;
        }
        if (!host)
            continue;
        rowhash_begin(&h, inv->rows);
        rowhash_str(&h, p->name);
        ref =
            (struct row_ref){INV_ROW_POOL_HOST, p->key, host, rowhash_end(&h)};
        if (row_unchanged(inv, &ref, now))
            continue;
        st = inv->st[ST_POOL_HOST_UPSERT];
        brc = 0;
        brc |= bind_text(st, 1, p->key);
        brc |= bind_text(st, 2, host);
        brc |= bind_text(st, 3, p->name);
        brc |= bind_time(st, 4, now);
        rc = row_write(inv, &ref, ST_POOL_HOST_UPSERT, brc, "record pool host",
                       true, now, err);
        if (rc != SDC_OK)
            return rc;
    }
    return SDC_OK;
}

static enum sdc_rc record_volumes(struct inv *inv, const struct sdc_batch *b,
                                  time_t now, struct sdc_error *err)
{
    for (size_t i = 0; i < b->volumes.len; i++) {
        const struct sdc_volume_info *v = &b->volumes.items[i];
        sqlite3_stmt *st = inv->st[ST_VOL_UPSERT];
        struct row_ref ref = {INV_ROW_VOLUME, v->pool_key, v->name, 0};
        struct rowhash h;
        enum sdc_rc rc;
        int brc = 0;
        if (!v->pool_key || !v->name)
            continue;
        rowhash_begin(&h, inv->rows);
        rowhash_str(&h, v->path);
        rowhash_u64(&h, v->capacity);
        rowhash_u64(&h, v->allocation);
        ref.content = rowhash_end(&h);
        if (row_unchanged(inv, &ref, now))
            continue;
        brc |= bind_text(st, 1, v->pool_key);
        brc |= bind_text(st, 2, v->name);
        brc |= bind_text(st, 3, v->path);
        brc |= bind_u64(st, 4, v->capacity);
        brc |= bind_u64(st, 5, v->allocation);
        brc |= bind_time(st, 6, now);
        /* no row when the pool was never reported: nothing to remember */
        rc = row_write(inv, &ref, ST_VOL_UPSERT, brc, "record volume", true,
                       now, err);
        if (rc != SDC_OK)
            return rc;
    }
    return SDC_OK;
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/*
 * Mark deleted the VMs of @host (the source of an ok batch) that no ok batch
 * listed in this cycle.  The candidates are collected first so the table
 * is not changed under a running SELECT.
 */
static enum sdc_rc sweep_host(struct inv *inv, const char *host,
                              const struct vm_pick *picks, size_t np,
                              time_t now, struct sdc_error *err)
{
    sqlite3_stmt *st = inv->st[ST_VM_LIST_HOST];
    char **gone = NULL;
    size_t ngone = 0, cap = 0;
    enum sdc_rc rc = SDC_OK;
    int src;

    if (bind_text(st, 1, host) != SQLITE_OK) {
        rc = db_error(inv, err, "list VMs of host");
        goto cleanup;
    }
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        const char *uuid = col_text(st, 0);
        if (!uuid ||
            (np > 0 && bsearch(uuid, picks, np, sizeof(*picks), pick_key_cmp)))
            continue;
        if (ngone == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **nv = realloc(gone, ncap * sizeof(*nv));
            if (!nv) {
                rc = sdc_error_set(err, SDC_ERR_NOMEM,
                                   "inventory: out of memory");
                goto cleanup;
            }
            gone = nv;
            cap = ncap;
        }
        gone[ngone] = strdup(uuid);
        if (!gone[ngone]) {
            rc = sdc_error_set(err, SDC_ERR_NOMEM, "inventory: out of memory");
            goto cleanup;
        }
        ngone++;
    }
    if (src != SQLITE_DONE) {
        rc = db_error(inv, err, "list VMs of host");
        goto cleanup;
    }
    sqlite3_reset(st);

    for (size_t i = 0; i < ngone && rc == SDC_OK; i++) {
        sqlite3_stmt *ev = inv->st[ST_EVENT_DELETED];
        sqlite3_stmt *up = inv->st[ST_VM_MARK_DELETED];
        int brc = bind_time(ev, 1, now) | bind_text(ev, 2, gone[i]);
        rc = run(inv, ST_EVENT_DELETED, brc, "record deletion event", err);
        if (rc != SDC_OK)
            break;
        brc = bind_time(up, 1, now) | bind_text(up, 2, gone[i]);
        rc = run(inv, ST_VM_MARK_DELETED, brc, "mark VM deleted", err);
        /* its row now has deleted_at: a return must be written and told */
        rowcache_remove(inv->rows, INV_ROW_VM, gone[i], NULL);
    }
cleanup:
    stmt_done(st);
    free_strv(gone, ngone);
    return rc;
}

/* ---- SNMP devices ------------------------------------------------------ */

/*
 * Whether @table (ST_IF_OLD or ST_STORAGE_OLD) lacks a listed row for
 * @device/@name: no row at all, or one marked vanished.
 */
static enum sdc_rc snmp_row_new(struct inv *inv, enum inv_stmt id,
                                const char *device, const char *name,
                                bool *is_new, struct sdc_error *err)
{
    sqlite3_stmt *st = inv->st[id];
    enum sdc_rc rc = SDC_OK;
    int src;

    *is_new = true;
    if ((bind_text(st, 1, device) | bind_text(st, 2, name)) != SQLITE_OK) {
        rc = db_error(inv, err, "read SNMP inventory");
        goto cleanup;
    }
    src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        *is_new = sqlite3_column_type(st, 0) != SQLITE_NULL;
    else if (src != SQLITE_DONE)
        rc = db_error(inv, err, "read SNMP inventory");
cleanup:
    stmt_done(st);
    return rc;
}

/*
 * Forget the rows of @table (INV_ROW_IF or INV_ROW_STORAGE) that the sweep
 * of @device just marked vanished (@swept: ST_IF_SWEPT or
 * ST_STORAGE_SWEPT): when one is listed again it is new, and written.
 */
static enum sdc_rc snmp_forget_swept(struct inv *inv, enum inv_stmt swept,
                                     enum inv_row_table table,
                                     const char *device, time_t now,
                                     struct sdc_error *err)
{
    sqlite3_stmt *st = inv->st[swept];
    int src = bind_time(st, 1, now) | bind_text(st, 2, device);
    enum sdc_rc rc;

    if (src == SQLITE_OK)
        while ((src = sqlite3_step(st)) == SQLITE_ROW)
            rowcache_remove(inv->rows, table, device, col_text(st, 0));
    rc = src == SQLITE_DONE ? SDC_OK
                            : db_error(inv, err, "read vanished SNMP entities");
    stmt_done(st);
    return rc;
}

/*
 * Mark what @device no longer lists in @table (vanished_at, one event
 * each): @events, @mark and @swept are the table's ST_*_VANISH_EVENTS,
 * ST_*_VANISH and ST_*_SWEPT.  The rows listed unchanged get their
 * last_seen first, so that only the rows not listed are swept.
 */
static enum sdc_rc snmp_sweep(struct inv *inv, enum inv_row_table table,
                              enum inv_stmt events, enum inv_stmt mark,
                              enum inv_stmt swept, const char *device,
                              time_t now, struct sdc_error *err)
{
    enum sdc_rc rc;
    int brc;

    rc = rows_flush_seen(inv, table, now, err);
    if (rc != SDC_OK)
        return rc;
    brc = bind_time(inv->st[events], 1, now) |
          bind_text(inv->st[events], 2, device);
    rc = run(inv, events, brc, "record vanished SNMP entities", err);
    if (rc != SDC_OK)
        return rc;
    brc =
        bind_time(inv->st[mark], 1, now) | bind_text(inv->st[mark], 2, device);
    rc = run(inv, mark, brc, "mark vanished SNMP entities", err);
    if (rc != SDC_OK || sqlite3_changes(inv->db) == 0)
        return rc;
    return snmp_forget_swept(inv, swept, table, device, now, err);
}

static enum sdc_rc record_interfaces(struct inv *inv, const struct sdc_batch *b,
                                     const char *device, time_t now,
                                     struct sdc_error *err)
{
    enum sdc_rc rc;

    for (size_t i = 0; i < b->interfaces.len; i++) {
        const struct sdc_interface_info *f = &b->interfaces.items[i];
        sqlite3_stmt *st = inv->st[ST_IF_UPSERT];
        const char *oper = sdc_if_oper_status_name(f->oper_status);
        struct row_ref ref = {INV_ROW_IF, device, f->name, 0};
        struct rowhash h;
        bool is_new;
        int brc = 0;
        if (!f->name)
            continue;
        rowhash_begin(&h, inv->rows);
        rowhash_str(&h, f->alias);
        rowhash_u64(&h, f->speed);
        rowhash_u64(&h, f->uplink ? 1 : 0);
        rowhash_str(&h, f->descr);
        rowhash_u64(&h, (uint64_t)(int64_t)f->if_index);
        rowhash_str(&h, oper);
        ref.content = rowhash_end(&h);
        /* remembered: written by us, listed, not swept since (not new) */
        if (row_unchanged(inv, &ref, now))
            continue;
        rc = snmp_row_new(inv, ST_IF_OLD, device, f->name, &is_new, err);
        if (rc != SDC_OK)
            return rc;
        brc |= bind_text(st, 1, device);
        brc |= bind_text(st, 2, f->name);
        brc |= bind_text(st, 3, f->alias);
        brc |= f->speed ? bind_u64(st, 4, f->speed) : sqlite3_bind_null(st, 4);
        brc |= sqlite3_bind_int(st, 5, f->uplink ? 1 : 0);
        brc |= bind_time(st, 6, now);
        brc |= bind_text(st, 7, f->descr);
        brc |= sqlite3_bind_int(st, 8, f->if_index);
        brc |= bind_text(st, 9, oper);
        rc = row_write(inv, &ref, ST_IF_UPSERT, brc, "record interface", true,
                       now, err);
        if (rc == SDC_OK && is_new) {
            char entity[512];
            snprintf(entity, sizeof(entity), "%s/%s", device, f->name);
            rc = add_event(inv, now, "interface added", entity, f->name, device,
                           NULL, NULL, err);
        }
        if (rc != SDC_OK)
            return rc;
    }
    return SDC_OK;
}

static enum sdc_rc record_storages(struct inv *inv, const struct sdc_batch *b,
                                   const char *device, time_t now,
                                   struct sdc_error *err)
{
    enum sdc_rc rc;

    for (size_t i = 0; i < b->storages.len; i++) {
        const struct sdc_storage_info *g = &b->storages.items[i];
        sqlite3_stmt *st = inv->st[ST_STORAGE_UPSERT];
        struct row_ref ref = {INV_ROW_STORAGE, device, g->descr, 0};
        struct rowhash h;
        bool is_new;
        int brc = 0;
        if (!g->descr)
            continue;
        /* a figure not read (NULL) keeps the stored one: told apart from 0 */
        rowhash_begin(&h, inv->rows);
        rowhash_u64(&h, g->has_size ? 1 : 0);
        rowhash_u64(&h, g->has_size ? g->size : 0);
        rowhash_u64(&h, g->has_used ? 1 : 0);
        rowhash_u64(&h, g->has_used ? g->used : 0);
        ref.content = rowhash_end(&h);
        if (row_unchanged(inv, &ref, now))
            continue;
        rc = snmp_row_new(inv, ST_STORAGE_OLD, device, g->descr, &is_new, err);
        if (rc != SDC_OK)
            return rc;
        brc |= bind_text(st, 1, device);
        brc |= bind_text(st, 2, g->descr);
        brc |=
            g->has_size ? bind_u64(st, 3, g->size) : sqlite3_bind_null(st, 3);
        brc |=
            g->has_used ? bind_u64(st, 4, g->used) : sqlite3_bind_null(st, 4);
        brc |= bind_time(st, 5, now);
        rc = row_write(inv, &ref, ST_STORAGE_UPSERT, brc, "record storage",
                       true, now, err);
        if (rc == SDC_OK && is_new) {
            char entity[512];
            snprintf(entity, sizeof(entity), "%s/%s", device, g->descr);
            rc = add_event(inv, now, "storage added", entity, g->descr, device,
                           NULL, NULL, err);
        }
        if (rc != SDC_OK)
            return rc;
    }
    return SDC_OK;
}

/* One SNMP device's batch: the device row, its interfaces and storages. */
static enum sdc_rc record_snmp(struct inv *inv, const struct sdc_batch *b,
                               time_t now, struct sdc_error *err)
{
    const struct sdc_snmp_device_info *d = &b->snmp_device;
    const char *device = d->name ? d->name : b->source;
    sqlite3_stmt *st = inv->st[ST_SNMP_DEV_UPSERT];
    /* NaN (unknown) and negative fail this test: stored as NULL */
    bool has_uptime = d->uptime >= 0 && d->uptime < 9e15;
    struct row_ref ref = {INV_ROW_SNMP_DEV, device, NULL, 0};
    struct rowhash h;
    enum sdc_rc rc = SDC_OK;
    int brc = 0;

    if (!device)
        return SDC_OK;
    /* what the device did not say (NULL) keeps the stored value: the
     * upsert is idempotent, so the same bound values need no second run */
    rowhash_begin(&h, inv->rows);
    rowhash_str(&h, d->address);
    rowhash_str(&h, d->role);
    rowhash_str(&h, d->sys_descr);
    rowhash_str(&h, d->sys_name);
    rowhash_u64(&h, has_uptime ? 1 : 0);
    rowhash_u64(&h, has_uptime ? (uint64_t)d->uptime : 0);
    ref.content = rowhash_end(&h);
    if (row_unchanged(inv, &ref, now))
        goto listed;
    brc |= bind_text(st, 1, device);
    brc |= bind_text(st, 2, d->address);
    brc |= bind_text(st, 3, d->role);
    brc |= bind_text(st, 4, d->sys_descr);
    brc |= bind_text(st, 5, d->sys_name);
    brc |= has_uptime ? sqlite3_bind_int64(st, 6, (sqlite3_int64)d->uptime)
                      : sqlite3_bind_null(st, 6);
    brc |= bind_time(st, 7, now);
    rc = row_write(inv, &ref, ST_SNMP_DEV_UPSERT, brc, "record SNMP device",
                   true, now, err);
listed:
    if (rc == SDC_OK)
        rc = record_interfaces(inv, b, device, now, err);
    if (rc == SDC_OK)
        rc = record_storages(inv, b, device, now, err);
    if (rc == SDC_OK && d->interfaces_complete)
        rc = snmp_sweep(inv, INV_ROW_IF, ST_IF_VANISH_EVENTS, ST_IF_VANISH,
                        ST_IF_SWEPT, device, now, err);
    if (rc == SDC_OK && d->storages_complete)
        rc = snmp_sweep(inv, INV_ROW_STORAGE, ST_STORAGE_VANISH_EVENTS,
                        ST_STORAGE_VANISH, ST_STORAGE_SWEPT, device, now, err);
    return rc;
}

/*
 * Whether a VM this cycle lists inactive (shut off) is better left as it is
 * stored: active, seen in the last hour, on a host none of this cycle's
 * batches polls.  That is a row merged from a peer agent (inventory_export.h)
 * for a VM defined on hosts of two agents: it counts where it runs, as a
 * VM listed by two hosts of one agent does (pick_vms), rather than flipping
 * between the two listings at every cycle and every merge.
 */
static bool vm_runs_elsewhere(sqlite3_stmt *st,
                              struct sdc_batch *const *batches, size_t n,
                              const struct sdc_vm_info *vm, time_t now)
{
    const char *host;
    bool keep = false;

    if (vm_claim(vm->state) != 0)
        return false;
    if (bind_text(st, 1, vm->uuid) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        goto out;
    host = (const char *)sqlite3_column_text(st, 0);
    if (!host || sqlite3_column_int(st, 1) == 0 ||
        sqlite3_column_int64(st, 2) < (sqlite3_int64)now - 3600 ||
        sqlite3_column_type(st, 3) != SQLITE_NULL)
        goto out;
    keep = true;
    for (size_t i = 0; i < n && keep; i++)
        if (batches[i] && batches[i]->source &&
            strcmp(batches[i]->source, host) == 0)
            keep = false;
out:
    stmt_done(st);
    return keep;
}

static enum sdc_rc record_cycle(struct inv *inv,
                                struct sdc_batch *const *batches, size_t n,
                                const struct vm_pick *picks, size_t np,
                                time_t now, struct sdc_error *err)
{
    sqlite3_stmt *elsewhere = inv->st[ST_VM_ELSEWHERE];
    enum sdc_rc rc;

    /* hypervisors first: VMs take their cluster from them */
    for (size_t i = 0; i < n; i++) {
        const struct sdc_batch *b = batches[i];
        if (!batch_usable(b) || !b->has_hv)
            continue;
        rc = record_hv(inv, b, now, err);
        if (rc != SDC_OK)
            return rc;
    }
    for (size_t i = 0; i < np; i++) {
        const struct sdc_batch *b = batches[picks[i].batch];
        const struct sdc_vm_info *vm = &b->vms.items[picks[i].idx];
        if (vm_runs_elsewhere(elsewhere, batches, n, vm, now))
            continue;
        rc = record_vm(inv, b, vm, now, err);
        if (rc != SDC_OK)
            return rc;
    }
    for (size_t i = 0; i < n; i++) {
        if (!batch_usable(batches[i]))
            continue;
        rc = record_disks_nics(inv, batches[i], i, picks, np, now, err);
        if (rc == SDC_OK)
            rc = record_pools(inv, batches[i], now, err);
        if (rc != SDC_OK)
            return rc;
    }
    for (size_t i = 0; i < n; i++) {
        if (!batch_usable(batches[i]))
            continue;
        rc = record_volumes(inv, batches[i], now, err);
        if (rc != SDC_OK)
            return rc;
    }
    rc = rows_mark_seen(inv, now, err);
    if (rc != SDC_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (!batch_usable(batches[i]) || !batches[i]->has_snmp_device)
            continue;
        rc = record_snmp(inv, batches[i], now, err);
        if (rc != SDC_OK)
            return rc;
    }
    /* the SNMP rows listed unchanged and not flushed by a sweep */
    rc = rows_mark_seen(inv, now, err);
    if (rc != SDC_OK)
        return rc;
    /* after every upsert, so a VM that moved host is not swept; an SNMP
     * device never lists VMs (and may share a hypervisor's name) */
    for (size_t i = 0; i < n; i++) {
        if (!batch_usable(batches[i]) || !batches[i]->source ||
            batches[i]->has_snmp_device)
            continue;
        rc = sweep_host(inv, batches[i]->source, picks, np, now, err);
        if (rc != SDC_OK)
            return rc;
    }
    return SDC_OK;
}

enum sdc_rc inv_record_batches(struct inv *inv,
                               struct sdc_batch *const *batches, size_t n,
                               time_t now, struct sdc_error *err)
{
    struct vm_pick *picks = NULL;
    size_t np = 0;
    enum sdc_rc rc;

    if (!inv || (n > 0 && !batches))
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "inventory: inv_record_batches needs a database "
                             "and batches");
    rc = pick_vms(batches, n, &picks, &np, err);
    if (rc != SDC_OK)
        return rc;
    rc = run(inv, ST_BEGIN, SQLITE_OK, "begin cycle", err);
    if (rc != SDC_OK)
        goto cleanup;
    rc = rows_check_version(inv, err);
    if (rc == SDC_OK) {
        inv->listed = 0;
        for (int t = 0; t < INV_ROW_TABLES; t++)
            inv->seen[t].len = inv->seen[t].n = 0;
        rc = record_cycle(inv, batches, n, picks, np, now, err);
    }
    if (rc == SDC_OK)
        rc = run(inv, ST_COMMIT, SQLITE_OK, "commit cycle", err);
    if (rc != SDC_OK) {
        if (!sqlite3_get_autocommit(inv->db))
            run(inv, ST_ROLLBACK, SQLITE_OK, "rollback cycle", NULL);
        /* what was remembered during the cycle was rolled back with it */
        rows_forget(inv);
        goto cleanup;
    }
    inv->stats.cycles++;
    /* rows no longer listed (VMs gone, a host not answering) are only
     * forgotten once they outnumber the listed ones: memory stays bounded
     * and a host that misses a cycle is not rewritten for it */
    if (rowcache_len(inv->rows) > 2 * inv->listed + 1024)
        rowcache_prune(inv->rows, now);
cleanup:
    free(picks);
    return rc;
}

void inv_get_stats(const struct inv *inv, struct inv_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof(*out));
    if (!inv)
        return;
    *out = inv->stats;
    out->remembered = rowcache_len(inv->rows);
}

/* ---- daily snapshot ---------------------------------------------------- */

/*
 * local_day - the local calendar day of @t as "YYYY-MM-DD", the key of the
 * daily tables.
 * @t:   the time
 * @day: where to write it (16 bytes are enough)
 * @len: the size of @day
 * @err: set on failure
 *
 * Return: SDC_OK, or SDC_ERR_INVALID when @t has no local date.
 */
static enum sdc_rc local_day(time_t t, char *day, size_t len,
                             struct sdc_error *err)
{
    struct tm tm;
    if (!localtime_r(&t, &tm) || strftime(day, len, "%Y-%m-%d", &tm) == 0)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "inventory: time %lld has no local date",
                             (long long)t);
    return SDC_OK;
}

enum sdc_rc inv_snapshot_daily(struct inv *inv, time_t now,
                               struct sdc_error *err)
{
    char day[16];
    time_t since = now - INV_DAY_SECONDS;
    enum sdc_rc rc;
    int brc;

    if (!inv)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "inventory: inv_snapshot_daily needs a database");
    rc = local_day(now, day, sizeof(day), err);
    if (rc != SDC_OK)
        return rc;

    rc = run(inv, ST_BEGIN, SQLITE_OK, "begin snapshot", err);
    if (rc != SDC_OK)
        return rc;
    brc = bind_text(inv->st[ST_SNAP_CLUSTER], 1, day) |
          bind_time(inv->st[ST_SNAP_CLUSTER], 2, since);
    rc = run(inv, ST_SNAP_CLUSTER, brc, "snapshot clusters", err);
    if (rc == SDC_OK) {
        brc = bind_text(inv->st[ST_SNAP_POOL], 1, day) |
              bind_time(inv->st[ST_SNAP_POOL], 2, since);
        rc = run(inv, ST_SNAP_POOL, brc, "snapshot pools", err);
    }
    if (rc == SDC_OK)
        rc = run(inv, ST_COMMIT, SQLITE_OK, "commit snapshot", err);
    if (rc != SDC_OK && !sqlite3_get_autocommit(inv->db))
        run(inv, ST_ROLLBACK, SQLITE_OK, "rollback snapshot", NULL);
    /* once a day, in steps: the poll status older than what reports read */
    if (rc == SDC_OK)
        rc = inv_prune_poll(inv, now, INV_POLL_KEEP_DAYS, INV_PRUNE_STEP_ROWS,
                            NULL, err);
    return rc;
}

/* ---- poll status (the daily digest) ----------------------------------- */

/* Record one target's reading: the day's counters, and its status only when
 * it changed (or is not known yet). */
static enum sdc_rc poll_one(struct inv *inv, const struct sdc_batch *b,
                            const char *day, time_t t, struct sdc_error *err)
{
    const char *kind = b->kind ? b->kind : "poller";
    const char *error = b->ok ? NULL : b->error.msg;
    sqlite3_stmt *st = inv->st[ST_POLL_DAY];
    int brc, prev = -1, src;
    enum sdc_rc rc;

    brc = bind_text(st, 1, b->source) | bind_text(st, 2, day) |
          bind_text(st, 3, kind) | sqlite3_bind_int(st, 4, b->ok ? 1 : 0) |
          bind_time(st, 5, t) | bind_text(st, 6, error);
    rc = run(inv, ST_POLL_DAY, brc, "record poll counters", err);
    if (rc != SDC_OK)
        return rc;

    st = inv->st[ST_POLL_STATUS_GET];
    if ((bind_text(st, 1, b->source) | bind_text(st, 2, kind)) != SQLITE_OK) {
        stmt_done(st);
        return db_error(inv, err, "read poll status");
    }
    src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        prev = sqlite3_column_int(st, 0);
    stmt_done(st);
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        return db_error(inv, err, "read poll status");
    if (prev == (b->ok ? 1 : 0))
        return SDC_OK;

    st = inv->st[ST_POLL_STATUS_SET];
    brc = bind_text(st, 1, b->source) | bind_text(st, 2, kind) |
          sqlite3_bind_int(st, 3, b->ok ? 1 : 0) | bind_time(st, 4, t) |
          bind_text(st, 5, error);
    rc = run(inv, ST_POLL_STATUS_SET, brc, "record poll status", err);
    if (rc != SDC_OK)
        return rc;
    st = inv->st[ST_POLL_TRANSITION];
    brc = bind_text(st, 1, b->source) | bind_text(st, 2, kind) |
          sqlite3_bind_int(st, 3, b->ok ? 1 : 0) | bind_time(st, 4, t) |
          bind_text(st, 5, error);
    return run(inv, ST_POLL_TRANSITION, brc, "record poll transition", err);
}

enum sdc_rc inv_record_poll(struct inv *inv, struct sdc_batch *const *batches,
                            size_t n, time_t cycle, struct sdc_error *err)
{
    char day[16];
    enum sdc_rc rc;

    if (!inv)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "inventory: inv_record_poll needs a database");
    rc = local_day(cycle, day, sizeof(day), err);
    if (rc != SDC_OK)
        return rc;
    rc = run(inv, ST_BEGIN, SQLITE_OK, "begin poll status", err);
    if (rc != SDC_OK)
        return rc;
    for (size_t i = 0; i < n && rc == SDC_OK; i++)
        if (batches[i] && batches[i]->source)
            rc = poll_one(inv, batches[i], day, cycle, err);
    if (rc == SDC_OK)
        rc = run(inv, ST_COMMIT, SQLITE_OK, "commit poll status", err);
    if (rc != SDC_OK && !sqlite3_get_autocommit(inv->db))
        run(inv, ST_ROLLBACK, SQLITE_OK, "rollback poll status", NULL);
    return rc;
}

/* ---- pruning the poll status ------------------------------------------ */

/* One step over poll_transitions: the window of at most @step rows after
 * the cursor; *@done once the window is empty, short, or reaches @cut. */
static enum sdc_rc prune_transitions(struct inv *inv, time_t cut, size_t step,
                                     uint64_t *deleted, bool *done,
                                     struct sdc_error *err)
{
    sqlite3_stmt *st = inv->st[ST_PRUNE_WINDOW];
    sqlite3_int64 hi = 0, count = 0;
    time_t newest = 0;
    int src;

    if ((sqlite3_bind_int64(st, 1, inv->prune_cursor) |
         sqlite3_bind_int64(st, 2, (sqlite3_int64)step)) != SQLITE_OK) {
        stmt_done(st);
        return db_error(inv, err, "read poll transitions to prune");
    }
    src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        hi = sqlite3_column_int64(st, 0);
        newest = (time_t)sqlite3_column_int64(st, 1);
        count = sqlite3_column_int64(st, 2);
    }
    stmt_done(st);
    if (src != SQLITE_ROW)
        return db_error(inv, err, "read poll transitions to prune");
    if (count == 0) {
        *done = true;
        return SDC_OK;
    }
    st = inv->st[ST_PRUNE_TRANSITIONS];
    if ((sqlite3_bind_int64(st, 1, inv->prune_cursor) |
         sqlite3_bind_int64(st, 2, hi) | bind_time(st, 3, cut)) != SQLITE_OK) {
        stmt_done(st);
        return db_error(inv, err, "prune poll transitions");
    }
    src = sqlite3_step(st);
    stmt_done(st);
    if (src != SQLITE_DONE)
        return db_error(inv, err, "prune poll transitions");
    *deleted = (uint64_t)sqlite3_changes(inv->db);
    inv->prune_cursor = hi;
    /* rows are appended in time order: past @cut nothing is old enough */
    *done = (size_t)count < step || newest >= cut;
    return SDC_OK;
}

enum sdc_rc inv_prune_poll(struct inv *inv, time_t now, unsigned keep_days,
                           size_t step, struct inv_prune_stats *out,
                           struct sdc_error *err)
{
    char today[16], cut_day[16];
    time_t cut;
    bool days_done, trans_done = false;
    uint64_t n_days = 0, n_trans = 0;
    enum sdc_rc rc;
    int brc;

    if (out)
        memset(out, 0, sizeof(*out));
    if (!inv || step == 0 || keep_days == 0)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "inventory: inv_prune_poll needs a database, "
                             "a step and a number of days to keep");
    cut = now - (time_t)keep_days * INV_DAY_SECONDS;
    rc = local_day(now, today, sizeof(today), err);
    if (rc == SDC_OK)
        rc = local_day(cut, cut_day, sizeof(cut_day), err);
    if (rc != SDC_OK)
        return rc;
    if (strcmp(inv->pruned_day, today) == 0) {
        if (out)
            out->done = true;
        return SDC_OK;
    }

    rc = run(inv, ST_BEGIN, SQLITE_OK, "begin prune", err);
    if (rc != SDC_OK)
        return rc;
    brc = bind_text(inv->st[ST_PRUNE_DAYS], 1, cut_day) |
          sqlite3_bind_int64(inv->st[ST_PRUNE_DAYS], 2, (sqlite3_int64)step);
    rc = run(inv, ST_PRUNE_DAYS, brc, "prune poll days", err);
    if (rc == SDC_OK)
        n_days = (uint64_t)sqlite3_changes(inv->db);
    days_done = n_days < step;
    if (rc == SDC_OK)
        rc = prune_transitions(inv, cut, step, &n_trans, &trans_done, err);
    if (rc == SDC_OK)
        rc = run(inv, ST_COMMIT, SQLITE_OK, "commit prune", err);
    if (rc != SDC_OK) {
        if (!sqlite3_get_autocommit(inv->db))
            run(inv, ST_ROLLBACK, SQLITE_OK, "rollback prune", NULL);
        inv->prune_cursor = 0; /* start over: the window may be undone */
        return rc;
    }
    if (days_done && trans_done) {
        snprintf(inv->pruned_day, sizeof(inv->pruned_day), "%s", today);
        inv->prune_cursor = 0;
    }
    if (out) {
        out->days = n_days;
        out->transitions = n_trans;
        out->done = days_done && trans_done;
    }
    return SDC_OK;
}

/* ---- import (sdcmon-import --inventory) -------------------------------- */

/* A number the imported row may leave out: negative is SQL NULL. */
static int bind_opt(sqlite3_stmt *st, int i, int64_t v)
{
    return v < 0 ? sqlite3_bind_null(st, i) : sqlite3_bind_int64(st, i, v);
}

static int bind_opt_time(sqlite3_stmt *st, int i, time_t t)
{
    return t > 0 ? bind_time(st, i, t) : sqlite3_bind_null(st, i);
}

static enum sdc_rc imp_span(time_t first_seen, time_t last_seen,
                            const char *what, const char *key,
                            struct sdc_error *err)
{
    if (first_seen <= 0 || last_seen < first_seen)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "inventory: %s '%s': first_seen %lld and "
                             "last_seen %lld are not a time span",
                             what, key, (long long)first_seen,
                             (long long)last_seen);
    return SDC_OK;
}

/* The stored last_seen of the row a *_LAST statement finds by @k1 (and
 * @k2); *@found is false when there is none. */
static enum sdc_rc imp_last(struct inv *inv, enum inv_stmt id, const char *k1,
                            const char *k2, bool *found, time_t *last,
                            struct sdc_error *err)
{
    sqlite3_stmt *st = inv->st[id];
    enum sdc_rc rc = SDC_OK;
    int brc = bind_text(st, 1, k1);
    int src;

    *found = false;
    *last = 0;
    if (k2)
        brc |= bind_text(st, 2, k2);
    if (brc != SQLITE_OK) {
        rc = db_error(inv, err, "read inventory");
        goto cleanup;
    }
    src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        *found = true;
        *last = (time_t)sqlite3_column_int64(st, 0);
    } else if (src != SQLITE_DONE) {
        rc = db_error(inv, err, "read inventory");
    }
cleanup:
    stmt_done(st);
    return rc;
}

static enum inv_import_outcome imp_outcome(bool found, time_t stored,
                                           time_t last_seen)
{
    if (!found)
        return INV_IMPORT_ADDED;
    return last_seen >= stored ? INV_IMPORT_UPDATED : INV_IMPORT_KEPT;
}

/* Only first_seen moves for a row older than the stored one. */
static enum sdc_rc imp_first(struct inv *inv, enum inv_stmt id, const char *k1,
                             const char *k2, time_t first_seen,
                             struct sdc_error *err)
{
    sqlite3_stmt *st = inv->st[id];
    int brc = bind_text(st, 1, k1);

    if (k2)
        brc |= bind_text(st, 2, k2) | bind_time(st, 3, first_seen);
    else
        brc |= bind_time(st, 2, first_seen);
    return run(inv, id, brc, "record imported first_seen", err);
}

static void set_outcome(enum inv_import_outcome *out, enum inv_import_outcome o)
{
    if (out)
        *out = o;
}

enum sdc_rc inv_import_begin(struct inv *inv, struct sdc_error *err)
{
    if (!inv)
        return sdc_error_set(err, SDC_ERR_INVALID, "inventory: no database");
    /* imported facts may replace what the poller wrote */
    rows_forget(inv);
    return run(inv, ST_BEGIN, SQLITE_OK, "begin import", err);
}

enum sdc_rc inv_import_commit(struct inv *inv, struct sdc_error *err)
{
    if (!inv)
        return sdc_error_set(err, SDC_ERR_INVALID, "inventory: no database");
    return run(inv, ST_COMMIT, SQLITE_OK, "commit import", err);
}

void inv_import_rollback(struct inv *inv)
{
    if (inv && inv->db && !sqlite3_get_autocommit(inv->db))
        run(inv, ST_ROLLBACK, SQLITE_OK, "rollback import", NULL);
}

enum sdc_rc inv_import_hv(struct inv *inv, const struct inv_import_hv *r,
                          enum inv_import_outcome *out, struct sdc_error *err)
{
    sqlite3_stmt *st;
    enum inv_import_outcome o;
    bool found;
    time_t stored;
    enum sdc_rc rc;
    int brc = 0;

    if (!inv || !r || !r->name || !*r->name)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "inventory: a hypervisor needs a name");
    rc = imp_span(r->first_seen, r->last_seen, "hypervisor", r->name, err);
    if (rc == SDC_OK)
        rc = imp_last(inv, ST_IMP_HV_LAST, r->name, NULL, &found, &stored, err);
    if (rc != SDC_OK)
        return rc;
    o = imp_outcome(found, stored, r->last_seen);
    if (o == INV_IMPORT_KEPT) {
        rc = imp_first(inv, ST_IMP_HV_FIRST, r->name, NULL, r->first_seen, err);
    } else {
        st = inv->st[ST_IMP_HV_UPSERT];
        brc |= bind_text(st, 1, r->name);
        brc |= bind_text(st, 2, r->cluster);
        brc |= bind_text(st, 3, r->uri);
        brc |= bind_text(st, 4, r->hostname);
        brc |= bind_text(st, 5, r->model);
        brc |= bind_opt(st, 6, r->cpus);
        brc |= bind_opt(st, 7, r->cores);
        brc |= bind_opt(st, 8, r->memory);
        brc |= bind_time(st, 9, r->first_seen);
        brc |= bind_time(st, 10, r->last_seen);
        rc = run(inv, ST_IMP_HV_UPSERT, brc, "record imported hypervisor", err);
    }
    set_outcome(out, o);
    return rc;
}

enum sdc_rc inv_import_vm(struct inv *inv, const struct inv_import_vm *r,
                          enum inv_import_outcome *out, struct sdc_error *err)
{
    sqlite3_stmt *st;
    enum inv_import_outcome o;
    const char *name;
    bool found;
    time_t stored;
    enum sdc_rc rc;
    int brc = 0;

    if (!inv || !r || !r->uuid || !*r->uuid)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "inventory: a VM needs a uuid");
    name = r->name ? r->name : "";
    rc = imp_span(r->first_seen, r->last_seen, "VM", r->uuid, err);
    if (rc == SDC_OK && r->deleted_at > 0 && r->deleted_at < r->first_seen)
        rc = sdc_error_set(err, SDC_ERR_INVALID,
                           "inventory: VM '%s': deleted_at is before "
                           "first_seen",
                           r->uuid);
    if (rc == SDC_OK)
        rc = imp_last(inv, ST_IMP_VM_LAST, r->uuid, NULL, &found, &stored, err);
    if (rc != SDC_OK)
        return rc;
    o = imp_outcome(found, stored, r->last_seen);
    if (o == INV_IMPORT_KEPT) {
        set_outcome(out, o);
        return imp_first(inv, ST_IMP_VM_FIRST, r->uuid, NULL, r->first_seen,
                         err);
    }
    st = inv->st[ST_IMP_VM_UPSERT];
    brc |= bind_text(st, 1, r->uuid);
    brc |= bind_text(st, 2, name);
    brc |= bind_text(st, 3, r->host);
    brc |= bind_text(st, 4, r->cluster);
    brc |= bind_text(st, 5, r->title);
    brc |= bind_text(st, 6, r->owner);
    brc |= bind_text(st, 7, sdc_vm_state_name(r->state));
    brc |= sqlite3_bind_int(st, 8, sdc_vm_state_active(r->state) ? 1 : 0);
    brc |= bind_opt(st, 9, r->vcpus);
    brc |= bind_opt(st, 10, r->max_vcpus);
    brc |= bind_opt(st, 11, r->memory);
    brc |= bind_opt(st, 12, r->max_memory);
    brc |= bind_time(st, 13, r->first_seen);
    brc |= bind_time(st, 14, r->last_seen);
    brc |= bind_opt_time(st, 15, r->state_since);
    brc |= bind_opt_time(st, 16, r->deleted_at);
    rc = run(inv, ST_IMP_VM_UPSERT, brc, "record imported VM", err);
    if (rc == SDC_OK && o == INV_IMPORT_ADDED) {
        /* a new VM: its first name starts the rename history */
        rc = add_vm_name(inv, r->uuid, name, r->first_seen, err);
        if (rc == SDC_OK)
            rc = add_event(inv, r->first_seen, "created", r->uuid, name,
                           r->host, NULL, NULL, err);
        if (rc == SDC_OK && r->deleted_at > 0)
            rc = add_event(inv, r->deleted_at, "deleted", r->uuid, name,
                           r->host, NULL, NULL, err);
    }
    set_outcome(out, o);
    return rc;
}

/* A disk, NIC or volume needs its VM or pool in the inventory first. */
static enum sdc_rc imp_parent(struct inv *inv, enum inv_stmt id,
                              const char *key, const char *what,
                              struct sdc_error *err)
{
    bool found;
    time_t stored;
    enum sdc_rc rc = imp_last(inv, id, key, NULL, &found, &stored, err);

    if (rc == SDC_OK && !found)
        rc = sdc_error_set(err, SDC_ERR_INVALID,
                           "inventory: no %s '%s' in the inventory", what, key);
    return rc;
}

enum sdc_rc inv_import_disk(struct inv *inv, const struct inv_import_disk *r,
                            enum inv_import_outcome *out, struct sdc_error *err)
{
    sqlite3_stmt *st;
    enum inv_import_outcome o;
    bool found;
    time_t stored;
    enum sdc_rc rc;
    int brc = 0;

    if (!inv || !r || !r->vm_uuid || !*r->vm_uuid || !r->target || !*r->target)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "inventory: a disk needs a VM uuid and a target");
    rc = imp_span(r->first_seen, r->last_seen, "disk", r->target, err);
    if (rc == SDC_OK)
        rc = imp_parent(inv, ST_IMP_VM_LAST, r->vm_uuid, "VM", err);
    if (rc == SDC_OK)
        rc = imp_last(inv, ST_IMP_DISK_LAST, r->vm_uuid, r->target, &found,
                      &stored, err);
    if (rc != SDC_OK)
        return rc;
    o = imp_outcome(found, stored, r->last_seen);
    if (o == INV_IMPORT_KEPT) {
        rc = imp_first(inv, ST_IMP_DISK_FIRST, r->vm_uuid, r->target,
                       r->first_seen, err);
    } else {
        st = inv->st[ST_IMP_DISK_UPSERT];
        brc |= bind_text(st, 1, r->vm_uuid);
        brc |= bind_text(st, 2, r->target);
        brc |= bind_text(st, 3, r->source);
        brc |= bind_text(st, 4, r->backing);
        brc |= bind_opt(st, 5, r->capacity);
        brc |= bind_opt(st, 6, r->allocation);
        brc |= bind_time(st, 7, r->first_seen);
        brc |= bind_time(st, 8, r->last_seen);
        rc = run(inv, ST_IMP_DISK_UPSERT, brc, "record imported disk", err);
    }
    set_outcome(out, o);
    return rc;
}

enum sdc_rc inv_import_nic(struct inv *inv, const struct inv_import_nic *r,
                           enum inv_import_outcome *out, struct sdc_error *err)
{
    sqlite3_stmt *st;
    enum inv_import_outcome o;
    bool found;
    time_t stored;
    enum sdc_rc rc;
    int brc = 0;

    if (!inv || !r || !r->vm_uuid || !*r->vm_uuid || !r->mac || !*r->mac)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "inventory: a NIC needs a VM uuid and a MAC");
    rc = imp_span(r->first_seen, r->last_seen, "NIC", r->mac, err);
    if (rc == SDC_OK)
        rc = imp_parent(inv, ST_IMP_VM_LAST, r->vm_uuid, "VM", err);
    if (rc == SDC_OK)
        rc = imp_last(inv, ST_IMP_NIC_LAST, r->vm_uuid, r->mac, &found, &stored,
                      err);
    if (rc != SDC_OK)
        return rc;
    o = imp_outcome(found, stored, r->last_seen);
    if (o == INV_IMPORT_KEPT) {
        rc = imp_first(inv, ST_IMP_NIC_FIRST, r->vm_uuid, r->mac, r->first_seen,
                       err);
    } else {
        st = inv->st[ST_IMP_NIC_UPSERT];
        brc |= bind_text(st, 1, r->vm_uuid);
        brc |= bind_text(st, 2, r->mac);
        brc |= bind_text(st, 3, r->target);
        brc |= bind_text(st, 4, r->network);
        brc |= bind_time(st, 5, r->first_seen);
        brc |= bind_time(st, 6, r->last_seen);
        rc = run(inv, ST_IMP_NIC_UPSERT, brc, "record imported NIC", err);
    }
    set_outcome(out, o);
    return rc;
}

enum sdc_rc inv_import_pool(struct inv *inv, const struct inv_import_pool *r,
                            enum inv_import_outcome *out, struct sdc_error *err)
{
    sqlite3_stmt *st;
    enum inv_import_outcome o;
    bool found;
    time_t stored;
    enum sdc_rc rc;
    int brc = 0;

    if (!inv || !r || !r->key || !*r->key || (r->n_hosts > 0 && !r->hosts))
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "inventory: a pool needs a key");
    rc = imp_span(r->first_seen, r->last_seen, "pool", r->key, err);
    if (rc == SDC_OK)
        rc =
            imp_last(inv, ST_IMP_POOL_LAST, r->key, NULL, &found, &stored, err);
    if (rc != SDC_OK)
        return rc;
    o = imp_outcome(found, stored, r->last_seen);
    if (o == INV_IMPORT_KEPT) {
        rc =
            imp_first(inv, ST_IMP_POOL_FIRST, r->key, NULL, r->first_seen, err);
    } else {
        st = inv->st[ST_IMP_POOL_UPSERT];
        brc |= bind_text(st, 1, r->key);
        brc |= bind_text(st, 2, r->name);
        brc |= bind_text(st, 3, r->type);
        brc |= bind_text(st, 4, r->source);
        brc |= bind_opt(st, 5, r->shared);
        brc |= bind_opt(st, 6, r->active);
        brc |= bind_opt(st, 7, r->capacity);
        brc |= bind_opt(st, 8, r->allocation);
        brc |= bind_opt(st, 9, r->available);
        brc |= bind_time(st, 10, r->first_seen);
        brc |= bind_time(st, 11, r->last_seen);
        rc = run(inv, ST_IMP_POOL_UPSERT, brc, "record imported pool", err);
    }
    for (size_t i = 0; rc == SDC_OK && i < r->n_hosts; i++) {
        if (!r->hosts[i] || !*r->hosts[i])
            continue;
        st = inv->st[ST_IMP_POOL_HOST];
        brc = bind_text(st, 1, r->key) | bind_text(st, 2, r->hosts[i]) |
              bind_text(st, 3, r->name) | bind_time(st, 4, r->last_seen);
        rc = run(inv, ST_IMP_POOL_HOST, brc, "record imported pool host", err);
    }
    set_outcome(out, o);
    return rc;
}

enum sdc_rc inv_import_volume(struct inv *inv,
                              const struct inv_import_volume *r,
                              enum inv_import_outcome *out,
                              struct sdc_error *err)
{
    sqlite3_stmt *st;
    enum inv_import_outcome o;
    bool found;
    time_t stored;
    enum sdc_rc rc;
    int brc = 0;

    if (!inv || !r || !r->pool_key || !*r->pool_key || !r->name || !*r->name)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "inventory: a volume needs a pool key and a "
                             "name");
    rc = imp_span(r->first_seen, r->last_seen, "volume", r->name, err);
    if (rc == SDC_OK)
        rc = imp_parent(inv, ST_IMP_POOL_LAST, r->pool_key, "pool", err);
    if (rc == SDC_OK)
        rc = imp_last(inv, ST_IMP_VOL_LAST, r->pool_key, r->name, &found,
                      &stored, err);
    if (rc != SDC_OK)
        return rc;
    o = imp_outcome(found, stored, r->last_seen);
    if (o == INV_IMPORT_KEPT) {
        rc = imp_first(inv, ST_IMP_VOL_FIRST, r->pool_key, r->name,
                       r->first_seen, err);
    } else {
        st = inv->st[ST_IMP_VOL_UPSERT];
        brc |= bind_text(st, 1, r->pool_key);
        brc |= bind_text(st, 2, r->name);
        brc |= bind_text(st, 3, r->path);
        brc |= bind_opt(st, 4, r->capacity);
        brc |= bind_opt(st, 5, r->allocation);
        brc |= bind_time(st, 6, r->first_seen);
        brc |= bind_time(st, 7, r->last_seen);
        rc = run(inv, ST_IMP_VOL_UPSERT, brc, "record imported volume", err);
    }
    set_outcome(out, o);
    return rc;
}

/* 'YYYY-MM-DD', the form of every snapshot day. */
static bool day_ok(const char *d)
{
    if (!d || strlen(d) != 10 || d[4] != '-' || d[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9'))
            return false;
    return true;
}

enum sdc_rc inv_import_snapshot_cluster(struct inv *inv,
                                        const struct inv_import_snap_cluster *r,
                                        enum inv_import_outcome *out,
                                        struct sdc_error *err)
{
    sqlite3_stmt *st;
    enum sdc_rc rc;
    int brc = 0;

    if (!inv || !r || !r->cluster || !day_ok(r->day))
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "inventory: a cluster snapshot needs a day "
                             "(YYYY-MM-DD) and a cluster");
    st = inv->st[ST_IMP_SNAP_CLUSTER];
    brc |= bind_text(st, 1, r->day);
    brc |= bind_text(st, 2, r->cluster);
    brc |= bind_opt(st, 3, r->hosts);
    brc |= bind_opt(st, 4, r->cores);
    brc |= bind_opt(st, 5, r->cpus);
    brc |= bind_opt(st, 6, r->memory);
    brc |= bind_opt(st, 7, r->vms);
    brc |= bind_opt(st, 8, r->vms_running);
    brc |= bind_opt(st, 9, r->vcpus);
    brc |= bind_opt(st, 10, r->vram);
    brc |= bind_opt(st, 11, r->provisioned_storage);
    rc = run(inv, ST_IMP_SNAP_CLUSTER, brc, "record imported snapshot", err);
    set_outcome(out, sqlite3_changes(inv->db) > 0 ? INV_IMPORT_ADDED
                                                  : INV_IMPORT_KEPT);
    return rc;
}

enum sdc_rc inv_import_snapshot_pool(struct inv *inv,
                                     const struct inv_import_snap_pool *r,
                                     enum inv_import_outcome *out,
                                     struct sdc_error *err)
{
    sqlite3_stmt *st;
    enum sdc_rc rc;
    int brc = 0;

    if (!inv || !r || !r->pool_key || !day_ok(r->day))
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "inventory: a pool snapshot needs a day "
                             "(YYYY-MM-DD) and a pool key");
    st = inv->st[ST_IMP_SNAP_POOL];
    brc |= bind_text(st, 1, r->day);
    brc |= bind_text(st, 2, r->pool_key);
    brc |= bind_opt(st, 3, r->capacity);
    brc |= bind_opt(st, 4, r->allocation);
    brc |= bind_opt(st, 5, r->volumes);
    brc |= bind_opt(st, 6, r->provisioned);
    rc = run(inv, ST_IMP_SNAP_POOL, brc, "record imported snapshot", err);
    set_outcome(out, sqlite3_changes(inv->db) > 0 ? INV_IMPORT_ADDED
                                                  : INV_IMPORT_KEPT);
    return rc;
}

/* ---- read-back --------------------------------------------------------- */

/* Copy a column into a fixed buffer, cutting at a UTF-8 character start. */
static void copy_col(char *dst, size_t size, sqlite3_stmt *st, int col)
{
    const char *s = col_text(st, col);
    size_t len = s ? strlen(s) : 0;

    if (len >= size) {
        len = size - 1;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    if (len > 0)
        memcpy(dst, s, len);
    dst[len] = '\0';
}

enum sdc_rc inv_get_vm(struct inv *inv, const char *uuid,
                       struct inv_vm_row *out, struct sdc_error *err)
{
    sqlite3_stmt *st;
    enum sdc_rc rc = SDC_OK;
    int src;

    if (!inv || !uuid || !out)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "inventory: inv_get_vm needs a database, uuid "
                             "and out");
    st = inv->st[ST_VM_GET];
    if (bind_text(st, 1, uuid) != SQLITE_OK) {
        rc = db_error(inv, err, "read VM");
        goto cleanup;
    }
    src = sqlite3_step(st);
    if (src == SQLITE_DONE) {
        rc = sdc_error_set(err, SDC_ERR_INVALID, "inventory: no VM '%s'", uuid);
        goto cleanup;
    }
    if (src != SQLITE_ROW) {
        rc = db_error(inv, err, "read VM");
        goto cleanup;
    }
    memset(out, 0, sizeof(*out));
    copy_col(out->uuid, sizeof(out->uuid), st, 0);
    copy_col(out->name, sizeof(out->name), st, 1);
    copy_col(out->host, sizeof(out->host), st, 2);
    copy_col(out->state, sizeof(out->state), st, 3);
    out->vcpus = sqlite3_column_int(st, 4);
    out->memory = (uint64_t)sqlite3_column_int64(st, 5);
    out->first_seen = (time_t)sqlite3_column_int64(st, 6);
    out->last_seen = (time_t)sqlite3_column_int64(st, 7);
    out->state_since = (time_t)sqlite3_column_int64(st, 8);
    out->deleted_at = (time_t)sqlite3_column_int64(st, 9);
cleanup:
    stmt_done(st);
    return rc;
}

struct sqlite3 *inv_sqlite(struct inv *inv)
{
    return inv ? inv->db : NULL;
}

long inv_count(struct inv *inv, const char *table)
{
    /* table names cannot be bound: only these are accepted */
#define INV_COUNT_SQL(t)                                                       \
    {                                                                          \
        t, "SELECT COUNT(*) FROM " t                                           \
    }
    static const struct {
        const char *table;
        const char *sql;
    } counts[] = {
        INV_COUNT_SQL("hypervisors"),   INV_COUNT_SQL("vms"),
        INV_COUNT_SQL("vm_names"),      INV_COUNT_SQL("disks"),
        INV_COUNT_SQL("nics"),          INV_COUNT_SQL("pools"),
        INV_COUNT_SQL("pool_hosts"),    INV_COUNT_SQL("volumes"),
        INV_COUNT_SQL("snmp_devices"),  INV_COUNT_SQL("interfaces"),
        INV_COUNT_SQL("storages"),      INV_COUNT_SQL("snapshot_cluster"),
        INV_COUNT_SQL("snapshot_pool"), INV_COUNT_SQL("events"),
    };
#undef INV_COUNT_SQL
    sqlite3_stmt *st = NULL;
    long v = -1;

    if (!inv || !table)
        return -1;
    for (size_t i = 0; i < sizeof(counts) / sizeof(*counts); i++) {
        if (strcmp(table, counts[i].table) != 0)
            continue;
        if (sqlite3_prepare_v2(inv->db, counts[i].sql, -1, &st, NULL) !=
            SQLITE_OK)
            return -1;
        if (sqlite3_step(st) == SQLITE_ROW)
            v = (long)sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return v;
    }
    return -1;
}
