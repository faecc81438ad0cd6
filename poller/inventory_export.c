/*
 * inventory_export.c - the inventory as JSON, and the merge of a peer's
 * export into this agent's inventory (inventory_export.h).
 *
 * Both sides are driven by one description of the tables (their columns,
 * what kind of value each holds, which ones form the key), so a column
 * added to the schema is added here once, for the export, the checks and
 * the merge.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "inventory_export.h"
#include "sdc/sample.h"

/* What a column holds, for the checks of a peer's document. */
enum col_type {
    CT_TEXT,  /* a string of at most INV_MERGE_MAX_TEXT bytes */
    CT_COUNT, /* an integer from 0 to 2^62 (sizes, counts) */
    CT_TIME,  /* Unix seconds, 0 .. now + INV_MERGE_MAX_SKEW */
    CT_BOOL,  /* 0 or 1 */
    CT_UUID,  /* 8-4-4-4-12 hexadecimal digits */
    CT_STATE, /* a VM state name (sdc_vm_state_name) */
    CT_DAY,   /* YYYY-MM-DD */
};

#define CF_KEY 1u   /* part of the table's key: required, not empty */
#define CF_REQ 2u   /* NOT NULL in the schema: required */
#define CF_EMPTY 4u /* a key column that may be "" (or NULL) */

struct col {
    const char *name;
    enum col_type type;
    unsigned flags;
};

enum table_kind {
    TK_SEEN,  /* has last_seen: upserted when the peer's is later */
    TK_ONCE,  /* added when its key is not there (snapshots, names) */
    TK_EVENT, /* added when the same event is not there */
};

struct table {
    const char *name;
    enum table_kind kind;
    const struct col *cols;
    size_t n_cols;
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct col hv_cols[] = {
    {"name", CT_TEXT, CF_KEY},
    {"cluster", CT_TEXT, 0},
    {"uri", CT_TEXT, 0},
    {"hostname", CT_TEXT, 0},
    {"model", CT_TEXT, 0},
    {"cpus", CT_COUNT, 0},
    {"cores", CT_COUNT, 0},
    {"memory", CT_COUNT, 0},
    {"first_seen", CT_TIME, CF_REQ},
    {"last_seen", CT_TIME, CF_REQ},
};
static const struct col vm_cols[] = {
    {"uuid", CT_UUID, CF_KEY},
    {"name", CT_TEXT, CF_REQ},
    {"host", CT_TEXT, 0},
    {"cluster", CT_TEXT, 0},
    {"title", CT_TEXT, 0},
    {"owner", CT_TEXT, 0},
    {"state", CT_STATE, CF_REQ},
    {"active", CT_BOOL, CF_REQ},
    {"vcpus", CT_COUNT, 0},
    {"max_vcpus", CT_COUNT, 0},
    {"memory", CT_COUNT, 0},
    {"max_memory", CT_COUNT, 0},
    {"first_seen", CT_TIME, CF_REQ},
    {"last_seen", CT_TIME, CF_REQ},
    {"state_since", CT_TIME, CF_REQ},
    {"deleted_at", CT_TIME, 0},
};
static const struct col vm_name_cols[] = {
    {"uuid", CT_UUID, CF_KEY},
    {"name", CT_TEXT, CF_KEY | CF_EMPTY},
    {"since", CT_TIME, CF_KEY},
};
static const struct col disk_cols[] = {
    {"vm_uuid", CT_UUID, CF_KEY},    {"target", CT_TEXT, CF_KEY},
    {"source", CT_TEXT, 0},          {"backing", CT_TEXT, 0},
    {"capacity", CT_COUNT, 0},       {"allocation", CT_COUNT, 0},
    {"first_seen", CT_TIME, CF_REQ}, {"last_seen", CT_TIME, CF_REQ},
};
static const struct col nic_cols[] = {
    {"vm_uuid", CT_UUID, CF_KEY},    {"mac", CT_TEXT, CF_KEY},
    {"target", CT_TEXT, 0},          {"network", CT_TEXT, 0},
    {"first_seen", CT_TIME, CF_REQ}, {"last_seen", CT_TIME, CF_REQ},
};
static const struct col pool_cols[] = {
    {"key", CT_TEXT, CF_KEY},       {"name", CT_TEXT, 0},
    {"type", CT_TEXT, 0},           {"source", CT_TEXT, 0},
    {"shared", CT_BOOL, 0},         {"active", CT_BOOL, 0},
    {"capacity", CT_COUNT, 0},      {"allocation", CT_COUNT, 0},
    {"available", CT_COUNT, 0},     {"first_seen", CT_TIME, CF_REQ},
    {"last_seen", CT_TIME, CF_REQ},
};
static const struct col pool_host_cols[] = {
    {"pool_key", CT_TEXT, CF_KEY},
    {"host", CT_TEXT, CF_KEY},
    {"pool_name", CT_TEXT, 0},
    {"last_seen", CT_TIME, CF_REQ},
};
static const struct col volume_cols[] = {
    {"pool_key", CT_TEXT, CF_KEY},  {"name", CT_TEXT, CF_KEY},
    {"path", CT_TEXT, 0},           {"capacity", CT_COUNT, 0},
    {"allocation", CT_COUNT, 0},    {"first_seen", CT_TIME, CF_REQ},
    {"last_seen", CT_TIME, CF_REQ},
};
static const struct col snmp_dev_cols[] = {
    {"name", CT_TEXT, CF_KEY},
    {"address", CT_TEXT, 0},
    {"role", CT_TEXT, 0},
    {"sys_descr", CT_TEXT, 0},
    {"first_seen", CT_TIME, CF_REQ},
    {"last_seen", CT_TIME, CF_REQ},
    {"sys_name", CT_TEXT, 0},
    {"uptime", CT_COUNT, 0},
};
static const struct col if_cols[] = {
    {"device", CT_TEXT, CF_KEY},    {"name", CT_TEXT, CF_KEY},
    {"alias", CT_TEXT, 0},          {"speed", CT_COUNT, 0},
    {"uplink", CT_BOOL, 0},         {"first_seen", CT_TIME, CF_REQ},
    {"last_seen", CT_TIME, CF_REQ}, {"descr", CT_TEXT, 0},
    {"if_index", CT_COUNT, 0},      {"oper_status", CT_TEXT, 0},
    {"vanished_at", CT_TIME, 0},
};
static const struct col storage_cols[] = {
    {"device", CT_TEXT, CF_KEY},     {"descr", CT_TEXT, CF_KEY},
    {"size", CT_COUNT, 0},           {"used", CT_COUNT, 0},
    {"first_seen", CT_TIME, CF_REQ}, {"last_seen", CT_TIME, CF_REQ},
    {"vanished_at", CT_TIME, 0},
};
static const struct col snap_cluster_cols[] = {
    {"day", CT_DAY, CF_KEY},
    {"cluster", CT_TEXT, CF_KEY},
    {"hosts", CT_COUNT, 0},
    {"cores", CT_COUNT, 0},
    {"cpus", CT_COUNT, 0},
    {"memory", CT_COUNT, 0},
    {"vms", CT_COUNT, 0},
    {"vms_running", CT_COUNT, 0},
    {"vcpus", CT_COUNT, 0},
    {"vram", CT_COUNT, 0},
    {"provisioned_storage", CT_COUNT, 0},
};
static const struct col snap_pool_cols[] = {
    {"day", CT_DAY, CF_KEY},   {"pool_key", CT_TEXT, CF_KEY},
    {"capacity", CT_COUNT, 0}, {"allocation", CT_COUNT, 0},
    {"volumes", CT_COUNT, 0},  {"provisioned", CT_COUNT, 0},
};
/* The key of an event: when, what, of what, and to what. */
static const struct col event_cols[] = {
    {"t", CT_TIME, CF_KEY},      {"kind", CT_TEXT, CF_KEY},
    {"entity", CT_TEXT, CF_KEY}, {"detail", CT_TEXT, 0},
    {"name", CT_TEXT, 0},        {"host", CT_TEXT, 0},
    {"prev_value", CT_TEXT, 0},  {"new_value", CT_TEXT, CF_KEY | CF_EMPTY},
};

/* In merge order: a parent before the rows that refer to it. */
static const struct table tables[] = {
    {"hypervisors", TK_SEEN, hv_cols, N(hv_cols)},
    {"vms", TK_SEEN, vm_cols, N(vm_cols)},
    {"vm_names", TK_ONCE, vm_name_cols, N(vm_name_cols)},
    {"disks", TK_SEEN, disk_cols, N(disk_cols)},
    {"nics", TK_SEEN, nic_cols, N(nic_cols)},
    {"pools", TK_SEEN, pool_cols, N(pool_cols)},
    {"pool_hosts", TK_SEEN, pool_host_cols, N(pool_host_cols)},
    {"volumes", TK_SEEN, volume_cols, N(volume_cols)},
    {"snmp_devices", TK_SEEN, snmp_dev_cols, N(snmp_dev_cols)},
    {"interfaces", TK_SEEN, if_cols, N(if_cols)},
    {"storages", TK_SEEN, storage_cols, N(storage_cols)},
    {"snapshot_cluster", TK_ONCE, snap_cluster_cols, N(snap_cluster_cols)},
    {"snapshot_pool", TK_ONCE, snap_pool_cols, N(snap_pool_cols)},
    {"events", TK_EVENT, event_cols, N(event_cols)},
};

static bool col_is_key(const struct table *t, const struct col *c)
{
    (void)t;
    return (c->flags & CF_KEY) != 0;
}

/* An event's new_value is part of its key but may be NULL. */
static bool col_may_be_null(const struct table *t, const struct col *c)
{
    if (t->kind == TK_EVENT && (c->flags & CF_EMPTY))
        return true;
    return !(c->flags & (CF_KEY | CF_REQ));
}

static const char peer_rows_sql[] = "CREATE TABLE IF NOT EXISTS peer_rows ("
                                    " tbl TEXT NOT NULL,"
                                    " key TEXT NOT NULL,"
                                    " peer TEXT NOT NULL,"
                                    " last_seen INTEGER,"
                                    " merged_at INTEGER NOT NULL,"
                                    " PRIMARY KEY (tbl, key))";

/* ------------------------------------------------------------ SQL text */

struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
};

static void sb_add(struct sbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        char *np;
        while (cap < b->len + n + 1)
            cap *= 2;
        np = realloc(b->p, cap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

/* "coalesce(CAST(T.k1 AS TEXT),'') || char(31) || ..." */
static void sb_key_expr(struct sbuf *b, const struct table *t)
{
    bool first = true;
    for (size_t i = 0; i < t->n_cols; i++) {
        if (!col_is_key(t, &t->cols[i]))
            continue;
        if (!first)
            sb_add(b, " || char(31) || ");
        sb_add(b, "coalesce(CAST(");
        sb_add(b, t->name);
        sb_add(b, ".");
        sb_add(b, t->cols[i].name);
        sb_add(b, " AS TEXT),'')");
        first = false;
    }
}

/* -------------------------------------------------------------- export */

static enum sdc_rc db_err(sqlite3 *db, struct sdc_error *err, const char *what)
{
    return sdc_error_set(err, SDC_ERR_DB, "inventory export: %s: %s", what,
                         sqlite3_errmsg(db));
}

static bool table_exists(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st = NULL;
    bool found = false;
    if (sqlite3_prepare_v2(db,
                           "SELECT 1 FROM sqlite_master WHERE type = 'table' "
                           "AND name = ?1",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) == SQLITE_OK)
        found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

/*
 * A JSON string of @len bytes at @s; bytes that are not UTF-8 (an SNMP
 * agent's sysDescr may hold anything) become '?'.
 */
static json_t *json_text(const char *s, size_t len)
{
    json_t *j = json_stringn(s, len);
    char *copy;
    if (j || len == 0)
        return j;
    copy = malloc(len);
    if (!copy)
        return NULL;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        size_t n = c < 0x80           ? 1
                   : (c >> 5) == 0x6  ? 2
                   : (c >> 4) == 0xe  ? 3
                   : (c >> 3) == 0x1e ? 4
                                      : 0;
        json_t *probe = NULL;
        if (c == 0)
            n = 0;
        if (n > 0 && i + n <= len)
            probe = json_stringn(s + i, n);
        if (probe) {
            memcpy(copy + i, s + i, n);
            json_decref(probe);
            i += n;
        } else {
            copy[i] = '?';
            i++;
        }
    }
    j = json_stringn(copy, len);
    free(copy);
    return j;
}

static enum sdc_rc export_table(sqlite3 *db, const struct table *t,
                                bool have_tags, json_t *out,
                                struct sdc_error *err)
{
    struct sbuf q = {0};
    sqlite3_stmt *st = NULL;
    json_t *arr = json_array();
    enum sdc_rc rc = SDC_OK;
    int step;

    if (!arr)
        return sdc_error_set(err, SDC_ERR_NOMEM,
                             "inventory export: out of "
                             "memory");
    sb_add(&q, "SELECT ");
    for (size_t i = 0; i < t->n_cols; i++) {
        if (i)
            sb_add(&q, ", ");
        sb_add(&q, t->cols[i].name);
    }
    sb_add(&q, " FROM ");
    sb_add(&q, t->name);
    if (have_tags) {
        /* what a peer gave and nobody changed since is the peer's */
        sb_add(&q, " WHERE NOT EXISTS (SELECT 1 FROM peer_rows o WHERE o.tbl "
                   "= '");
        sb_add(&q, t->name);
        sb_add(&q, "' AND o.key = ");
        sb_key_expr(&q, t);
        if (t->kind == TK_SEEN) {
            sb_add(&q, " AND o.last_seen IS ");
            sb_add(&q, t->name);
            sb_add(&q, ".last_seen");
        }
        sb_add(&q, ")");
    }
    sb_add(&q, " ORDER BY rowid");
    if (q.oom) {
        rc = sdc_error_set(err, SDC_ERR_NOMEM,
                           "inventory export: out of memory");
        goto out;
    }
    if (sqlite3_prepare_v2(db, q.p, -1, &st, NULL) != SQLITE_OK) {
        rc = db_err(db, err, t->name);
        goto out;
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *row = json_object();
        if (!row) {
            rc = sdc_error_set(err, SDC_ERR_NOMEM,
                               "inventory export: out of memory");
            goto out;
        }
        for (int i = 0; i < (int)t->n_cols; i++) {
            json_t *v;
            switch (sqlite3_column_type(st, i)) {
            case SQLITE_INTEGER:
                v = json_integer(sqlite3_column_int64(st, i));
                break;
            case SQLITE_FLOAT:
                v = json_integer((json_int_t)sqlite3_column_double(st, i));
                break;
            case SQLITE_TEXT:
                v = json_text((const char *)sqlite3_column_text(st, i),
                              (size_t)sqlite3_column_bytes(st, i));
                break;
            default:
                v = json_null();
                break;
            }
            if (!v || json_object_set_new(row, t->cols[i].name, v) != 0) {
                json_decref(row);
                rc = sdc_error_set(err, SDC_ERR_NOMEM,
                                   "inventory export: out of memory");
                goto out;
            }
        }
        if (json_array_append_new(arr, row) != 0) {
            rc = sdc_error_set(err, SDC_ERR_NOMEM,
                               "inventory export: out of memory");
            goto out;
        }
    }
    if (step != SQLITE_DONE) {
        rc = db_err(db, err, t->name);
        goto out;
    }
    if (json_object_set(out, t->name, arr) != 0)
        rc = sdc_error_set(err, SDC_ERR_NOMEM,
                           "inventory export: out of memory");
out:
    sqlite3_finalize(st);
    json_decref(arr);
    free(q.p);
    return rc;
}

json_t *inventory_export_json(struct inv *inv, time_t now,
                              struct sdc_error *err)
{
    sqlite3 *db = inv ? inv_sqlite(inv) : NULL;
    json_t *doc;
    bool tags;
    enum sdc_rc rc = SDC_OK;

    if (!db) {
        sdc_error_set(err, SDC_ERR_INVALID, "inventory export: no inventory");
        return NULL;
    }
    doc = json_object();
    if (!doc ||
        json_object_set_new(doc, "format_version",
                            json_integer(INV_EXPORT_FORMAT_VERSION)) ||
        json_object_set_new(doc, "schema_version",
                            json_integer(INV_SCHEMA_VERSION)) ||
        json_object_set_new(doc, "generated_at",
                            json_integer(now ? now : sdc_wall_time()))) {
        json_decref(doc);
        sdc_error_set(err, SDC_ERR_NOMEM, "inventory export: out of memory");
        return NULL;
    }
    /* one read transaction: every table from the same moment */
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        db_err(db, err, "begin");
        json_decref(doc);
        return NULL;
    }
    tags = table_exists(db, "peer_rows");
    for (size_t i = 0; rc == SDC_OK && i < N(tables); i++)
        rc = export_table(db, &tables[i], tags, doc, err);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SDC_OK) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* --------------------------------------------------------------- checks */

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

static bool uuid_valid(const char *s, size_t len)
{
    if (len != 36)
        return false;
    for (size_t i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !is_hex(s[i]))
            return false;
    }
    return true;
}

static bool day_valid(const char *s, size_t len)
{
    int m, d;
    if (len != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (size_t i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    m = (s[5] - '0') * 10 + (s[6] - '0');
    d = (s[8] - '0') * 10 + (s[9] - '0');
    return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

static bool state_valid(const char *s)
{
    for (int i = SDC_VM_UNKNOWN; i <= SDC_VM_PMSUSPENDED; i++)
        if (strcmp(s, sdc_vm_state_name((enum sdc_vm_state)i)) == 0)
            return true;
    return false;
}

#define MAX_COUNT ((json_int_t)1 << 62)

static enum sdc_rc bad(struct sdc_error *err, const struct table *t, size_t i,
                       const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum sdc_rc bad(struct sdc_error *err, const struct table *t, size_t i,
                       const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return sdc_error_set(err, SDC_ERR_INVALID, "%s[%zu]: %s", t->name, i, msg);
}

static enum sdc_rc check_value(const struct table *t, size_t i,
                               const struct col *c, const json_t *v,
                               time_t max_time, struct sdc_error *err)
{
    if (!v || json_is_null(v)) {
        if (col_may_be_null(t, c))
            return SDC_OK;
        return bad(err, t, i, "'%s' is missing", c->name);
    }
    if (c->type == CT_TEXT || c->type == CT_UUID || c->type == CT_STATE ||
        c->type == CT_DAY) {
        const char *s;
        size_t len;
        if (!json_is_string(v))
            return bad(err, t, i, "'%s' is not a string", c->name);
        s = json_string_value(v);
        len = json_string_length(v);
        if (len > INV_MERGE_MAX_TEXT)
            return bad(err, t, i, "'%s' is longer than %d bytes", c->name,
                       INV_MERGE_MAX_TEXT);
        if (strlen(s) != len)
            return bad(err, t, i, "'%s' holds a NUL character", c->name);
        if ((c->flags & CF_KEY) && !(c->flags & CF_EMPTY) && len == 0)
            return bad(err, t, i, "'%s' is empty", c->name);
        if (c->type == CT_UUID && !uuid_valid(s, len))
            return bad(err, t, i, "'%s' is not a UUID", c->name);
        if (c->type == CT_STATE && !state_valid(s))
            return bad(err, t, i, "'%s' is not a VM state", c->name);
        if (c->type == CT_DAY && !day_valid(s, len))
            return bad(err, t, i, "'%s' is not a day YYYY-MM-DD", c->name);
        return SDC_OK;
    }
    if (!json_is_integer(v))
        return bad(err, t, i, "'%s' is not an integer", c->name);
    {
        json_int_t n = json_integer_value(v);
        json_int_t max = c->type == CT_BOOL   ? 1
                         : c->type == CT_TIME ? (json_int_t)max_time
                                              : MAX_COUNT;
        if (n < 0 || n > max) {
            if (c->type == CT_TIME && n > max)
                return bad(err, t, i,
                           "'%s' %" JSON_INTEGER_FORMAT
                           " is more than a day ahead of this agent's clock",
                           c->name, n);
            return bad(err, t, i,
                       "'%s' %" JSON_INTEGER_FORMAT
                       " is out of range (0 to %" JSON_INTEGER_FORMAT ")",
                       c->name, n, max);
        }
    }
    return SDC_OK;
}

static enum sdc_rc check_doc(const json_t *doc, time_t now, size_t *rows,
                             struct sdc_error *err)
{
    const json_t *fv;
    size_t total = 0;

    if (!json_is_object(doc))
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "inventory merge: the document is not a JSON "
                             "object");
    fv = json_object_get(doc, "format_version");
    if (!json_is_integer(fv))
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "inventory merge: no format_version");
    if (json_integer_value(fv) != INV_EXPORT_FORMAT_VERSION)
        return sdc_error_set(
            err, SDC_ERR_INVALID,
            "inventory merge: format_version %" JSON_INTEGER_FORMAT
            " is not %d (a newer or older peer?)",
            json_integer_value(fv), INV_EXPORT_FORMAT_VERSION);
    for (size_t k = 0; k < N(tables); k++) {
        const struct table *t = &tables[k];
        const json_t *arr = json_object_get(doc, t->name), *row;
        size_t i;
        if (!arr || json_is_null(arr))
            continue;
        if (!json_is_array(arr))
            return sdc_error_set(err, SDC_ERR_INVALID,
                                 "inventory merge: '%s' is not an array",
                                 t->name);
        total += json_array_size(arr);
        if (total > INV_MERGE_MAX_ROWS)
            return sdc_error_set(err, SDC_ERR_INVALID,
                                 "inventory merge: more than %zu rows",
                                 INV_MERGE_MAX_ROWS);
        json_array_foreach(arr, i, row)
        {
            const json_t *fs, *ls;
            enum sdc_rc rc;
            if (!json_is_object(row))
                return bad(err, t, i, "%s", "not an object");
            for (size_t c = 0; c < t->n_cols; c++) {
                rc = check_value(t, i, &t->cols[c],
                                 json_object_get(row, t->cols[c].name),
                                 now + INV_MERGE_MAX_SKEW, err);
                if (rc != SDC_OK)
                    return rc;
            }
            fs = json_object_get(row, "first_seen");
            ls = json_object_get(row, "last_seen");
            if (json_is_integer(fs) && json_is_integer(ls) &&
                json_integer_value(ls) < json_integer_value(fs))
                return bad(err, t, i, "%s", "last_seen is before first_seen");
        }
    }
    *rows = total;
    return SDC_OK;
}

/* ---------------------------------------------------------------- merge */

struct merge_stmts {
    sqlite3_stmt *find; /* TK_SEEN: last_seen of the stored row */
    sqlite3_stmt *put;  /* upsert / insert-if-absent */
    sqlite3_stmt *tag;
};

static void stmts_free(struct merge_stmts *m)
{
    sqlite3_finalize(m->find);
    sqlite3_finalize(m->put);
    memset(m, 0, sizeof(*m));
}

static enum sdc_rc stmts_prepare(sqlite3 *db, const struct table *t,
                                 struct merge_stmts *m, struct sdc_error *err)
{
    struct sbuf q = {0}, f = {0};
    char num[16];
    bool first;
    enum sdc_rc rc = SDC_OK;

    sb_add(&q, t->kind == TK_ONCE ? "INSERT OR IGNORE INTO " : "INSERT INTO ");
    sb_add(&q, t->name);
    sb_add(&q, " (");
    for (size_t i = 0; i < t->n_cols; i++) {
        if (i)
            sb_add(&q, ", ");
        sb_add(&q, t->cols[i].name);
    }
    sb_add(&q, t->kind == TK_EVENT ? ") SELECT " : ") VALUES (");
    for (size_t i = 0; i < t->n_cols; i++) {
        snprintf(num, sizeof(num), "%s?%zu", i ? ", " : "", i + 1);
        sb_add(&q, num);
    }
    if (t->kind == TK_EVENT) {
        /* the same event (when, what, of what, to what) only once */
        sb_add(&q, " WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.t = ?1 "
                   "AND e.kind = ?2 AND e.entity = ?3 AND "
                   "coalesce(e.new_value, '') = coalesce(?8, ''))");
    } else {
        sb_add(&q, ")");
    }
    if (t->kind == TK_SEEN) {
        sb_add(&q, " ON CONFLICT (");
        first = true;
        for (size_t i = 0; i < t->n_cols; i++)
            if (col_is_key(t, &t->cols[i])) {
                sb_add(&q, first ? "" : ", ");
                sb_add(&q, t->cols[i].name);
                first = false;
            }
        sb_add(&q, ") DO UPDATE SET ");
        first = true;
        for (size_t i = 0; i < t->n_cols; i++)
            if (!col_is_key(t, &t->cols[i])) {
                sb_add(&q, first ? "" : ", ");
                sb_add(&q, t->cols[i].name);
                sb_add(&q, " = excluded.");
                sb_add(&q, t->cols[i].name);
                first = false;
            }
        sb_add(&q, " WHERE excluded.last_seen > ");
        sb_add(&q, t->name);
        sb_add(&q, ".last_seen");

        /* a VM's row also says whether it is active (see vm_keep) */
        sb_add(&f, strcmp(t->name, "vms") == 0
                       ? "SELECT last_seen, active FROM "
                       : "SELECT last_seen, 1 FROM ");
        sb_add(&f, t->name);
        sb_add(&f, " WHERE ");
        first = true;
        for (size_t i = 0; i < t->n_cols; i++)
            if (col_is_key(t, &t->cols[i])) {
                snprintf(num, sizeof(num), " = ?%zu", i + 1);
                sb_add(&f, first ? "" : " AND ");
                sb_add(&f, t->cols[i].name);
                sb_add(&f, num);
                first = false;
            }
    }
    if (q.oom || f.oom) {
        rc =
            sdc_error_set(err, SDC_ERR_NOMEM, "inventory merge: out of memory");
        goto out;
    }
    if (sqlite3_prepare_v2(db, q.p, -1, &m->put, NULL) != SQLITE_OK ||
        (f.p && sqlite3_prepare_v2(db, f.p, -1, &m->find, NULL) != SQLITE_OK))
        rc = sdc_error_set(err, SDC_ERR_DB, "inventory merge: %s: %s", t->name,
                           sqlite3_errmsg(db));
out:
    free(q.p);
    free(f.p);
    return rc;
}

/* Bind the row's columns as ?1.. of @st (only the key ones when @keys). */
static int bind_row(sqlite3_stmt *st, const struct table *t, const json_t *row,
                    bool keys)
{
    int brc = 0;
    for (size_t i = 0; i < t->n_cols; i++) {
        const json_t *v = json_object_get(row, t->cols[i].name);
        int idx = (int)i + 1;
        if (keys && !col_is_key(t, &t->cols[i]))
            continue;
        if (!v || json_is_null(v))
            brc |= sqlite3_bind_null(st, idx);
        else if (json_is_string(v))
            brc |= sqlite3_bind_text(st, idx, json_string_value(v),
                                     (int)json_string_length(v), SQLITE_STATIC);
        else
            brc |= sqlite3_bind_int64(st, idx, json_integer_value(v));
    }
    return brc;
}

/* The key of @row as peer_rows holds it (as sb_key_expr computes it). */
static bool row_key(const struct table *t, const json_t *row, struct sbuf *b)
{
    bool first = true;
    char num[32];
    b->len = 0;
    sb_add(b, "");
    for (size_t i = 0; i < t->n_cols; i++) {
        const json_t *v;
        if (!col_is_key(t, &t->cols[i]))
            continue;
        if (!first)
            sb_add(b, "\x1f");
        v = json_object_get(row, t->cols[i].name);
        if (json_is_string(v))
            sb_add(b, json_string_value(v));
        else if (json_is_integer(v)) {
            snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
                     json_integer_value(v));
            sb_add(b, num);
        }
        first = false;
    }
    return !b->oom;
}

/*
 * A VM defined on two hypervisors polled by two agents (shared storage, a
 * migration): one lists it running, the other shut off, each with its own
 * last_seen.  As within one agent (DESIGN.md section 5), it counts where it
 * runs: a stored active row is kept against an inactive peer row that is
 * not more than INV_MERGE_VM_ACTIVE_WINS seconds newer.
 */
static bool vm_keep(const struct table *t, const json_t *row,
                    sqlite3_int64 stored_last, sqlite3_int64 stored_active)
{
    if (strcmp(t->name, "vms") != 0 || !stored_active)
        return false;
    if (json_integer_value(json_object_get(row, "active")) != 0)
        return false;
    return json_integer_value(json_object_get(row, "last_seen")) -
               stored_last <=
           INV_MERGE_VM_ACTIVE_WINS;
}

static enum sdc_rc merge_row(sqlite3 *db, const struct table *t,
                             struct merge_stmts *m, const json_t *row, size_t i,
                             const char *peer, time_t now, struct sbuf *key,
                             struct inv_merge_stats *s, struct sdc_error *err)
{
    const json_t *ls = json_object_get(row, "last_seen");
    bool take = true, found = false;
    int brc;

    if (t->kind == TK_SEEN) {
        sqlite3_reset(m->find);
        sqlite3_clear_bindings(m->find);
        if (bind_row(m->find, t, row, true) != SQLITE_OK)
            return sdc_error_set(err, SDC_ERR_DB, "inventory merge: %s: %s",
                                 t->name, sqlite3_errmsg(db));
        switch (sqlite3_step(m->find)) {
        case SQLITE_ROW:
            found = true;
            take = json_integer_value(ls) > sqlite3_column_int64(m->find, 0);
            if (take && vm_keep(t, row, sqlite3_column_int64(m->find, 0),
                                sqlite3_column_int64(m->find, 1)))
                take = false;
            break;
        case SQLITE_DONE:
            break;
        default:
            return sdc_error_set(err, SDC_ERR_DB, "inventory merge: %s: %s",
                                 t->name, sqlite3_errmsg(db));
        }
        sqlite3_reset(m->find);
        if (!take) {
            s->kept++;
            return SDC_OK;
        }
    }
    sqlite3_reset(m->put);
    sqlite3_clear_bindings(m->put);
    brc = bind_row(m->put, t, row, false);
    if (brc != SQLITE_OK || sqlite3_step(m->put) != SQLITE_DONE) {
        enum sdc_rc rc = bad(err, t, i, "%s", sqlite3_errmsg(db));
        if (sqlite3_extended_errcode(db) == SQLITE_CONSTRAINT_FOREIGNKEY)
            rc = bad(err, t, i,
                     "refers to a %s that is neither in the document nor "
                     "in the inventory",
                     strcmp(t->name, "volumes") == 0 ||
                             strcmp(t->name, "pool_hosts") == 0
                         ? "pool"
                         : "VM");
        sqlite3_reset(m->put);
        return rc;
    }
    sqlite3_reset(m->put);
    if (sqlite3_changes(db) == 0) {
        s->kept++;
        return SDC_OK;
    }
    if (found)
        s->updated++;
    else
        s->added++;
    if (!row_key(t, row, key))
        return sdc_error_set(err, SDC_ERR_NOMEM,
                             "inventory merge: out of memory");
    sqlite3_reset(m->tag);
    sqlite3_clear_bindings(m->tag);
    brc = sqlite3_bind_text(m->tag, 1, t->name, -1, SQLITE_STATIC);
    brc |= sqlite3_bind_text(m->tag, 2, key->p, (int)key->len, SQLITE_STATIC);
    brc |= sqlite3_bind_text(m->tag, 3, peer, -1, SQLITE_STATIC);
    brc |= t->kind == TK_SEEN
               ? sqlite3_bind_int64(m->tag, 4, json_integer_value(ls))
               : sqlite3_bind_null(m->tag, 4);
    brc |= sqlite3_bind_int64(m->tag, 5, (sqlite3_int64)now);
    if (brc != SQLITE_OK || sqlite3_step(m->tag) != SQLITE_DONE) {
        enum sdc_rc rc =
            sdc_error_set(err, SDC_ERR_DB, "inventory merge: tag %s: %s",
                          t->name, sqlite3_errmsg(db));
        sqlite3_reset(m->tag);
        return rc;
    }
    sqlite3_reset(m->tag);
    return SDC_OK;
}

static bool peer_valid(const char *p)
{
    size_t n = p ? strlen(p) : 0;
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

enum sdc_rc inventory_merge_json(struct inv *inv, const json_t *doc,
                                 const char *peer, time_t now,
                                 struct inv_merge_stats *stats,
                                 struct sdc_error *err)
{
    sqlite3 *db = inv ? inv_sqlite(inv) : NULL;
    struct inv_merge_stats s = {0};
    struct merge_stmts m = {0};
    struct sbuf key = {0};
    sqlite3_stmt *tag = NULL;
    size_t rows = 0;
    enum sdc_rc rc;

    if (stats)
        memset(stats, 0, sizeof(*stats));
    if (!db)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "inventory merge: no inventory");
    if (!peer_valid(peer))
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "inventory merge: peer name '%s' is not 1 to 64 "
                             "of [A-Za-z0-9._-]",
                             peer ? peer : "");
    if (now == 0)
        now = sdc_wall_time();
    /* everything is checked before anything is written */
    rc = check_doc(doc, now, &rows, err);
    if (rc != SDC_OK)
        return rc;

    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return sdc_error_set(err, SDC_ERR_DB, "inventory merge: begin: %s",
                             sqlite3_errmsg(db));
    if (sqlite3_exec(db, peer_rows_sql, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO peer_rows(tbl, key, peer, last_seen, "
                           "merged_at) VALUES (?1, ?2, ?3, ?4, ?5) ON "
                           "CONFLICT (tbl, key) DO UPDATE SET peer = "
                           "excluded.peer, last_seen = excluded.last_seen, "
                           "merged_at = excluded.merged_at",
                           -1, &tag, NULL) != SQLITE_OK) {
        rc = sdc_error_set(err, SDC_ERR_DB, "inventory merge: peer_rows: %s",
                           sqlite3_errmsg(db));
        goto rollback;
    }
    for (size_t k = 0; k < N(tables); k++) {
        const struct table *t = &tables[k];
        const json_t *arr = json_object_get(doc, t->name), *row;
        size_t i;
        if (!json_is_array(arr) || json_array_size(arr) == 0)
            continue;
        rc = stmts_prepare(db, t, &m, err);
        m.tag = tag;
        json_array_foreach(arr, i, row)
        {
            if (rc != SDC_OK)
                break;
            rc = merge_row(db, t, &m, row, i, peer, now, &key, &s, err);
        }
        stmts_free(&m);
        if (rc != SDC_OK)
            goto rollback;
    }
    sqlite3_finalize(tag);
    tag = NULL;
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        rc = sdc_error_set(err, SDC_ERR_DB, "inventory merge: commit: %s",
                           sqlite3_errmsg(db));
        goto rollback;
    }
    free(key.p);
    if (stats)
        *stats = s;
    return SDC_OK;

rollback:
    sqlite3_finalize(tag);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    free(key.p);
    return rc;
}
