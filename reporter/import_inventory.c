/*
 * import_inventory.c - inventory import (sdcmon-import --inventory).
 *
 * One CSV for every kind of entity: a `kind` column says which, `id` (and
 * `name` for what belongs to a VM or pool) is the key, and the other
 * columns are the facts (docs/import.md lists them per kind).  The file is
 * read whole (inventories are small), rows are checked, then applied kind
 * by kind - hypervisors and pools before the VMs that name them, VMs
 * before their disks - in one transaction through the inventory module.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import.h"
#include "import_priv.h"
#include "inventory.h"

#define INV_FILE_MAX ((size_t)1 << 30)
#define INV_MAX_HOSTS 64

enum inv_col {
    IC_KIND = 0,
    IC_ID,
    IC_NAME,
    IC_HOST,
    IC_CLUSTER,
    IC_STATE,
    IC_OWNER,
    IC_TITLE,
    IC_TYPE,
    IC_SOURCE,
    IC_BACKING,
    IC_PATH,
    IC_NETWORK,
    IC_MODEL,
    IC_CPUS,
    IC_CORES,
    IC_VCPUS,
    IC_MAX_VCPUS,
    IC_MEMORY,
    IC_MAX_MEMORY,
    IC_CAPACITY,
    IC_ALLOCATION,
    IC_AVAILABLE,
    IC_SHARED,
    IC_FIRST_SEEN,
    IC_LAST_SEEN,
    IC_STATE_SINCE,
    IC_DELETED_AT,
    IC_DAY,
    IC_HOSTS,
    IC_VMS,
    IC_VMS_RUNNING,
    IC_VRAM,
    IC_PROVISIONED,
    IC_VOLUMES,
    IC_COUNT
};

static const char *const col_names[IC_COUNT] = {
    [IC_KIND] = "kind",
    [IC_ID] = "id",
    [IC_NAME] = "name",
    [IC_HOST] = "host",
    [IC_CLUSTER] = "cluster",
    [IC_STATE] = "state",
    [IC_OWNER] = "owner",
    [IC_TITLE] = "title",
    [IC_TYPE] = "type",
    [IC_SOURCE] = "source",
    [IC_BACKING] = "backing",
    [IC_PATH] = "path",
    [IC_NETWORK] = "network",
    [IC_MODEL] = "model",
    [IC_CPUS] = "cpus",
    [IC_CORES] = "cores",
    [IC_VCPUS] = "vcpus",
    [IC_MAX_VCPUS] = "max_vcpus",
    [IC_MEMORY] = "memory_bytes",
    [IC_MAX_MEMORY] = "max_memory_bytes",
    [IC_CAPACITY] = "capacity_bytes",
    [IC_ALLOCATION] = "allocation_bytes",
    [IC_AVAILABLE] = "available_bytes",
    [IC_SHARED] = "shared",
    [IC_FIRST_SEEN] = "first_seen",
    [IC_LAST_SEEN] = "last_seen",
    [IC_STATE_SINCE] = "state_since",
    [IC_DELETED_AT] = "deleted_at",
    [IC_DAY] = "day",
    [IC_HOSTS] = "hosts",
    [IC_VMS] = "vms",
    [IC_VMS_RUNNING] = "vms_running",
    [IC_VRAM] = "vram_bytes",
    [IC_PROVISIONED] = "provisioned_bytes",
    [IC_VOLUMES] = "volumes",
};

static const char *const kind_names[IMP_INV_KIND_COUNT] = {
    [IMP_INV_HYPERVISOR] = "hypervisor",
    [IMP_INV_POOL] = "pool",
    [IMP_INV_VM] = "vm",
    [IMP_INV_DISK] = "disk",
    [IMP_INV_NIC] = "nic",
    [IMP_INV_VOLUME] = "volume",
    [IMP_INV_SNAPSHOT_CLUSTER] = "snapshot_cluster",
    [IMP_INV_SNAPSHOT_POOL] = "snapshot_pool",
};

const char *imp_inv_kind_name(enum imp_inv_kind k)
{
    return (int)k >= 0 && k < IMP_INV_KIND_COUNT ? kind_names[k] : "?";
}

/* One row, kept until its kind's turn: its fields copied into @buf. */
struct inv_row {
    enum imp_inv_kind kind;
    uint64_t line;
    char *buf;
    int off[IC_COUNT]; /* field start in buf, -1: column absent or empty */
};

struct inv_load {
    const char *file;
    const struct imp_callbacks *cb;
    struct imp_inv_stats *st;
    struct imp_tzcache tz;
    locale_t loc;
    time_t now;
    int col_of[IMP_MAX_FIELDS]; /* file column -> enum inv_col, -1 */
    size_t n_cols;
    struct inv_row *rows;
    size_t n_rows;
    size_t cap_rows;
    uint64_t line; /* of the row being applied */
};

static void report(struct inv_load *L, uint64_t line, enum imp_skip why,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void report(struct inv_load *L, uint64_t line, enum imp_skip why,
                   const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    if (!L->cb || !L->cb->row_skipped)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    L->cb->row_skipped(L->cb->user, L->file, line, why, msg);
}

static const char *fld(const struct inv_row *r, enum inv_col c)
{
    return r->off[c] >= 0 ? r->buf + r->off[c] : NULL;
}

/* ---- reading the rows ---- */

static enum sdc_rc read_all(const char *path, char **out, size_t *len,
                            struct sdc_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t cap = 1 << 16;
    size_t n = 0;
    char *buf;

    if (fd < 0)
        return sdc_error_set(err, SDC_ERR_IO, "cannot open %s: %s", path,
                             strerror(errno));
    buf = malloc(cap + 1);
    while (buf) {
        ssize_t r;
        if (n == cap) {
            char *nb;
            if (cap >= INV_FILE_MAX) {
                free(buf);
                close(fd);
                return sdc_error_set(err, SDC_ERR_INVALID,
                                     "%s is larger than 1 GiB", path);
            }
            nb = realloc(buf, cap * 2 + 1);
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
        r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return sdc_error_set(err, SDC_ERR_IO, "cannot read %s: %s", path,
                                 strerror(e));
        }
        if (r == 0) {
            close(fd);
            buf[n] = '\0';
            *out = buf;
            *len = n;
            return SDC_OK;
        }
        n += (size_t)r;
    }
    free(buf);
    close(fd);
    return sdc_error_set(err, SDC_ERR_NOMEM, "import: out of memory");
}

static enum sdc_rc header(struct inv_load *L, char **f, size_t *fl, size_t nf,
                          struct sdc_error *err)
{
    bool have[IC_COUNT] = {false};

    if (nf > IMP_MAX_FIELDS) {
        report(L, 1, IMP_SKIP_FORMAT, "the header has more than %d columns",
               IMP_MAX_FIELDS);
        return sdc_error_set(err, SDC_ERR_INVALID, "%s: no usable header",
                             L->file);
    }
    for (size_t i = 0; i < nf; i++) {
        int c = -1;
        for (int k = 0; k < IC_COUNT; k++)
            if (strlen(col_names[k]) == fl[i] &&
                strncasecmp(col_names[k], f[i], fl[i]) == 0)
                c = k;
        if (c < 0 || have[c]) {
            char shown[64];
            report(L, 1, IMP_SKIP_FORMAT,
                   c < 0 ? "unknown column '%s' (see sdcmon-import --help "
                           "for the inventory columns)"
                         : "the header names column '%s' twice",
                   imp_show(shown, sizeof(shown), f[i], fl[i]));
            return sdc_error_set(err, SDC_ERR_INVALID, "%s: no usable header",
                                 L->file);
        }
        have[c] = true;
        L->col_of[i] = c;
    }
    if (!have[IC_KIND] || !have[IC_ID]) {
        report(L, 1, IMP_SKIP_FORMAT,
               "the first line must be a header with at least the columns "
               "kind and id");
        return sdc_error_set(err, SDC_ERR_INVALID, "%s: no usable header",
                             L->file);
    }
    L->n_cols = nf;
    return SDC_OK;
}

static enum sdc_rc keep_row(struct inv_load *L, uint64_t line, char **f,
                            size_t *fl, size_t nf, struct sdc_error *err)
{
    struct inv_row *r;
    size_t total = 0;
    int kind = -1;
    const char *kf = NULL;
    size_t kl = 0;

    L->st->rows++;
    if (nf != L->n_cols) {
        report(L, line, IMP_SKIP_FORMAT, "%zu field%s, the header has %zu", nf,
               nf == 1 ? "" : "s", L->n_cols);
        L->st->skipped++;
        return SDC_OK;
    }
    for (size_t i = 0; i < nf; i++) {
        if (L->col_of[i] == IC_KIND) {
            kf = f[i];
            kl = fl[i];
        }
        total += fl[i] + 1;
    }
    for (int k = 0; k < IMP_INV_KIND_COUNT; k++)
        if (kf && strlen(kind_names[k]) == kl &&
            strncasecmp(kind_names[k], kf, kl) == 0)
            kind = k;
    if (kind < 0) {
        char shown[64];
        report(L, line, IMP_SKIP_ARCHIVE,
               "kind '%s' is not hypervisor, vm, disk, nic, pool, volume, "
               "snapshot_cluster or snapshot_pool",
               imp_show(shown, sizeof(shown), kf ? kf : "", kl));
        L->st->skipped++;
        return SDC_OK;
    }
    if (L->n_rows == L->cap_rows) {
        size_t ncap = L->cap_rows ? L->cap_rows * 2 : 256;
        struct inv_row *nr = realloc(L->rows, ncap * sizeof(*nr));
        if (!nr)
            return sdc_error_set(err, SDC_ERR_NOMEM, "import: out of memory");
        L->rows = nr;
        L->cap_rows = ncap;
    }
    r = &L->rows[L->n_rows];
    r->kind = (enum imp_inv_kind)kind;
    r->line = line;
    r->buf = malloc(total ? total : 1);
    if (!r->buf)
        return sdc_error_set(err, SDC_ERR_NOMEM, "import: out of memory");
    for (int c = 0; c < IC_COUNT; c++)
        r->off[c] = -1;
    total = 0;
    for (size_t i = 0; i < nf; i++) {
        memcpy(r->buf + total, f[i], fl[i] + 1);
        if (fl[i] > 0)
            r->off[L->col_of[i]] = (int)total;
        total += fl[i] + 1;
    }
    L->n_rows++;
    return SDC_OK;
}

static enum sdc_rc split_rows(struct inv_load *L, char *data, size_t len,
                              struct sdc_error *err)
{
    char *scratch = malloc(2 * (size_t)IMP_LINE_MAX + IMP_MAX_FIELDS + 2);
    char *f[IMP_MAX_FIELDS];
    size_t fl[IMP_MAX_FIELDS];
    bool have_header = false;
    uint64_t line = 0;
    size_t pos = 0;
    enum sdc_rc rc = SDC_OK;

    if (!scratch)
        return sdc_error_set(err, SDC_ERR_NOMEM, "import: out of memory");
    while (rc == SDC_OK && pos < len) {
        char *p = data + pos;
        char *nl = memchr(p, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - p) : len - pos;
        size_t nf;
        const char *bad;
        size_t i = 0;

        pos += l + (nl ? 1 : 0);
        line++;
        L->st->lines++;
        if (l > 0 && p[l - 1] == '\r')
            l--;
        if (line == 1 && l >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
            p += 3;
            l -= 3;
        }
        while (i < l && (p[i] == ' ' || p[i] == '\t'))
            i++;
        if (i == l)
            continue;
        if (l > IMP_LINE_MAX) {
            report(L, line, IMP_SKIP_FORMAT, "line longer than %d bytes",
                   IMP_LINE_MAX);
            if (!have_header)
                rc = sdc_error_set(err, SDC_ERR_INVALID, "%s: no usable header",
                                   L->file);
            L->st->rows += have_header;
            L->st->skipped += have_header;
            continue;
        }
        bad = imp_csv_split(p, l, scratch, f, fl, IMP_MAX_FIELDS, &nf);
        if (bad) {
            report(L, line, IMP_SKIP_FORMAT, "%s", bad);
            if (!have_header) {
                rc = sdc_error_set(err, SDC_ERR_INVALID, "%s: no usable header",
                                   L->file);
            } else {
                L->st->rows++;
                L->st->skipped++;
            }
            continue;
        }
        if (!have_header) {
            rc = header(L, f, fl, nf, err);
            have_header = true;
            continue;
        }
        rc = keep_row(L, line, f, fl, nf, err);
    }
    if (rc == SDC_OK && !have_header) {
        report(L, 1, IMP_SKIP_FORMAT,
               "the file is empty: the first line must be the header");
        rc = sdc_error_set(err, SDC_ERR_INVALID, "%s: no usable header",
                           L->file);
    }
    free(scratch);
    return rc;
}

/* ---- fields ---- */

/* A whole number >= 0 from column @c; -1 when absent.  False: bad. */
static bool get_num(struct inv_load *L, const struct inv_row *r, enum inv_col c,
                    int64_t *out)
{
    const char *s = fld(r, c);
    uint64_t v;
    char shown[64];

    *out = -1;
    if (!s)
        return true;
    if (!imp_parse_count(s, strlen(s), L->loc, &v) || v > INT64_MAX) {
        report(L, r->line, IMP_SKIP_VALUE, "%s '%s' is not a whole number >= 0",
               col_names[c], imp_show(shown, sizeof(shown), s, strlen(s)));
        return false;
    }
    *out = (int64_t)v;
    return true;
}

/* A time from column @c; 0 when absent.  False: bad. */
static bool get_time(struct inv_load *L, const struct inv_row *r,
                     enum inv_col c, time_t *out)
{
    const char *s = fld(r, c);
    char shown[64];

    *out = 0;
    if (!s)
        return true;
    if (!imp_parse_time(s, strlen(s), &L->tz, out) || *out < IMP_TIME_MIN) {
        report(L, r->line, IMP_SKIP_TIME,
               "%s '%s' is not epoch seconds or ISO 8601 after 1980",
               col_names[c], imp_show(shown, sizeof(shown), s, strlen(s)));
        return false;
    }
    return true;
}

/* first_seen and last_seen: last_seen defaults to deleted_at, else now;
 * first_seen to last_seen. */
static bool get_span(struct inv_load *L, const struct inv_row *r, time_t *first,
                     time_t *last, time_t deleted_at)
{
    if (!get_time(L, r, IC_FIRST_SEEN, first) ||
        !get_time(L, r, IC_LAST_SEEN, last))
        return false;
    if (!*last)
        *last = deleted_at ? deleted_at : L->now;
    if (!*first)
        *first = *last < L->now ? *last : L->now;
    if (*first > *last) {
        report(L, r->line, IMP_SKIP_TIME, "first_seen is after last_seen");
        return false;
    }
    return true;
}

static bool get_flag(struct inv_load *L, const struct inv_row *r,
                     enum inv_col c, int64_t *out)
{
    static const char *const yes[] = {"1", "yes", "true", "y"};
    static const char *const no[] = {"0", "no", "false", "n"};
    const char *s = fld(r, c);
    char shown[64];

    *out = -1;
    if (!s)
        return true;
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return true;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return true;
        }
    }
    report(L, r->line, IMP_SKIP_VALUE, "%s '%s' is not yes or no", col_names[c],
           imp_show(shown, sizeof(shown), s, strlen(s)));
    return false;
}

/* "running", "shut off", "Shutoff" ... */
static bool get_state(struct inv_load *L, const struct inv_row *r,
                      enum sdc_vm_state *out)
{
    const char *s = fld(r, IC_STATE);
    char norm[32];
    size_t n = 0;
    char shown[64];

    *out = SDC_VM_UNKNOWN;
    if (!s)
        return true;
    for (const char *p = s; *p && n < sizeof(norm) - 1; p++) {
        char c = *p;
        if (c == ' ' || c == '-' || c == '_')
            continue;
        norm[n++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    norm[n] = '\0';
    for (int st = SDC_VM_UNKNOWN; st <= SDC_VM_PMSUSPENDED; st++) {
        if (strcmp(norm, sdc_vm_state_name((enum sdc_vm_state)st)) == 0) {
            *out = (enum sdc_vm_state)st;
            return true;
        }
    }
    report(L, r->line, IMP_SKIP_VALUE,
           "state '%s' is not running, blocked, paused, shutdown, shutoff, "
           "crashed or pmsuspended",
           imp_show(shown, sizeof(shown), s, strlen(s)));
    return false;
}

static bool need(struct inv_load *L, const struct inv_row *r, enum inv_col c,
                 const char *what)
{
    if (fld(r, c))
        return true;
    report(L, r->line, IMP_SKIP_FORMAT, "a %s row needs %s (column %s)",
           kind_names[r->kind], what, col_names[c]);
    return false;
}

/* A real calendar day 'YYYY-MM-DD' in column day. */
static bool get_day(struct inv_load *L, const struct inv_row *r)
{
    const char *s = fld(r, IC_DAY);
    time_t t;
    char shown[64];

    if (!need(L, r, IC_DAY, "a day"))
        return false;
    if (strlen(s) != 10 || !imp_parse_time(s, 10, &L->tz, &t)) {
        report(L, r->line, IMP_SKIP_TIME, "day '%s' is not YYYY-MM-DD",
               imp_show(shown, sizeof(shown), s, strlen(s)));
        return false;
    }
    return true;
}

/* ---- applying ---- */

/* Apply one row: SDC_OK also for a row skipped (reported, counted). */
static enum sdc_rc apply(struct inv_load *L, struct inv *db, struct inv_row *r,
                         struct sdc_error *err)
{
    enum inv_import_outcome o = INV_IMPORT_ADDED;
    struct sdc_error e;
    enum sdc_rc rc = SDC_ERR_INVALID;
    bool ok = need(L, r, IC_ID, "an id");

    sdc_error_clear(&e);
    switch (r->kind) {
    case IMP_INV_HYPERVISOR: {
        struct inv_import_hv h = {.name = fld(r, IC_ID),
                                  .cluster = fld(r, IC_CLUSTER),
                                  .model = fld(r, IC_MODEL)};
        ok = ok && get_num(L, r, IC_CPUS, &h.cpus) &&
             get_num(L, r, IC_CORES, &h.cores) &&
             get_num(L, r, IC_MEMORY, &h.memory) &&
             get_span(L, r, &h.first_seen, &h.last_seen, 0);
        if (ok)
            rc = inv_import_hv(db, &h, &o, &e);
        break;
    }
    case IMP_INV_VM: {
        struct inv_import_vm v = {.uuid = fld(r, IC_ID),
                                  .name = fld(r, IC_NAME),
                                  .host = fld(r, IC_HOST),
                                  .cluster = fld(r, IC_CLUSTER),
                                  .title = fld(r, IC_TITLE),
                                  .owner = fld(r, IC_OWNER)};
        ok = ok && get_state(L, r, &v.state) &&
             get_num(L, r, IC_VCPUS, &v.vcpus) &&
             get_num(L, r, IC_MAX_VCPUS, &v.max_vcpus) &&
             get_num(L, r, IC_MEMORY, &v.memory) &&
             get_num(L, r, IC_MAX_MEMORY, &v.max_memory) &&
             get_time(L, r, IC_DELETED_AT, &v.deleted_at) &&
             get_time(L, r, IC_STATE_SINCE, &v.state_since) &&
             get_span(L, r, &v.first_seen, &v.last_seen, v.deleted_at);
        if (ok)
            rc = inv_import_vm(db, &v, &o, &e);
        break;
    }
    case IMP_INV_DISK: {
        struct inv_import_disk d = {.vm_uuid = fld(r, IC_ID),
                                    .target = fld(r, IC_NAME),
                                    .source = fld(r, IC_SOURCE),
                                    .backing = fld(r, IC_BACKING)};
        ok = ok && need(L, r, IC_NAME, "the disk's target (vda ...)") &&
             get_num(L, r, IC_CAPACITY, &d.capacity) &&
             get_num(L, r, IC_ALLOCATION, &d.allocation) &&
             get_span(L, r, &d.first_seen, &d.last_seen, 0);
        if (ok)
            rc = inv_import_disk(db, &d, &o, &e);
        break;
    }
    case IMP_INV_NIC: {
        struct inv_import_nic n = {.vm_uuid = fld(r, IC_ID),
                                   .mac = fld(r, IC_NAME),
                                   .network = fld(r, IC_NETWORK)};
        ok = ok && need(L, r, IC_NAME, "the NIC's MAC address") &&
             get_span(L, r, &n.first_seen, &n.last_seen, 0);
        if (ok)
            rc = inv_import_nic(db, &n, &o, &e);
        break;
    }
    case IMP_INV_POOL: {
        const char *hosts[INV_MAX_HOSTS];
        struct inv_import_pool p = {.key = fld(r, IC_ID),
                                    .name = fld(r, IC_NAME),
                                    .type = fld(r, IC_TYPE),
                                    .source = fld(r, IC_SOURCE),
                                    .active = -1,
                                    .hosts = hosts};
        char *h = r->off[IC_HOST] >= 0 ? r->buf + r->off[IC_HOST] : NULL;
        char *save = NULL;
        /* the hypervisors that see the pool: "hv01;hv02" */
        for (char *t = h ? strtok_r(h, "; \t|", &save) : NULL;
             t && p.n_hosts < INV_MAX_HOSTS; t = strtok_r(NULL, "; \t|", &save))
            hosts[p.n_hosts++] = t;
        ok = ok && get_flag(L, r, IC_SHARED, &p.shared) &&
             get_num(L, r, IC_CAPACITY, &p.capacity) &&
             get_num(L, r, IC_ALLOCATION, &p.allocation) &&
             get_num(L, r, IC_AVAILABLE, &p.available) &&
             get_span(L, r, &p.first_seen, &p.last_seen, 0);
        if (ok && p.shared < 0)
            p.shared = p.n_hosts > 1;
        if (ok)
            rc = inv_import_pool(db, &p, &o, &e);
        break;
    }
    case IMP_INV_VOLUME: {
        struct inv_import_volume v = {.pool_key = fld(r, IC_ID),
                                      .name = fld(r, IC_NAME),
                                      .path = fld(r, IC_PATH)};
        ok = ok && need(L, r, IC_NAME, "the volume's name") &&
             get_num(L, r, IC_CAPACITY, &v.capacity) &&
             get_num(L, r, IC_ALLOCATION, &v.allocation) &&
             get_span(L, r, &v.first_seen, &v.last_seen, 0);
        if (ok)
            rc = inv_import_volume(db, &v, &o, &e);
        break;
    }
    case IMP_INV_SNAPSHOT_CLUSTER: {
        struct inv_import_snap_cluster s = {.day = fld(r, IC_DAY),
                                            .cluster = fld(r, IC_ID)};
        ok = ok && get_day(L, r) && get_num(L, r, IC_HOSTS, &s.hosts) &&
             get_num(L, r, IC_CORES, &s.cores) &&
             get_num(L, r, IC_CPUS, &s.cpus) &&
             get_num(L, r, IC_MEMORY, &s.memory) &&
             get_num(L, r, IC_VMS, &s.vms) &&
             get_num(L, r, IC_VMS_RUNNING, &s.vms_running) &&
             get_num(L, r, IC_VCPUS, &s.vcpus) &&
             get_num(L, r, IC_VRAM, &s.vram) &&
             get_num(L, r, IC_PROVISIONED, &s.provisioned_storage);
        if (ok)
            rc = inv_import_snapshot_cluster(db, &s, &o, &e);
        break;
    }
    case IMP_INV_SNAPSHOT_POOL: {
        struct inv_import_snap_pool s = {.day = fld(r, IC_DAY),
                                         .pool_key = fld(r, IC_ID)};
        ok = ok && get_day(L, r) && get_num(L, r, IC_CAPACITY, &s.capacity) &&
             get_num(L, r, IC_ALLOCATION, &s.allocation) &&
             get_num(L, r, IC_VOLUMES, &s.volumes) &&
             get_num(L, r, IC_PROVISIONED, &s.provisioned);
        if (ok)
            rc = inv_import_snapshot_pool(db, &s, &o, &e);
        break;
    }
    default:
        break;
    }
    if (!ok) {
        L->st->skipped++;
        return SDC_OK;
    }
    if (rc == SDC_ERR_INVALID) {
        /* "inventory: no VM 'x' in the inventory" and the like */
        const char *m =
            strncmp(e.msg, "inventory: ", 11) == 0 ? e.msg + 11 : e.msg;
        report(L, r->line, IMP_SKIP_ARCHIVE, "%s", m);
        L->st->skipped++;
        return SDC_OK;
    }
    if (rc != SDC_OK) {
        if (err)
            *err = e;
        return rc;
    }
    if (o == INV_IMPORT_ADDED)
        L->st->added[r->kind]++;
    else if (o == INV_IMPORT_UPDATED)
        L->st->updated[r->kind]++;
    else
        L->st->kept[r->kind]++;
    return SDC_OK;
}

enum sdc_rc imp_inventory_file(const char *db_path, const char *path,
                               const struct imp_callbacks *cb, time_t now,
                               struct imp_inv_stats *stats,
                               struct sdc_error *err)
{
    struct imp_inv_stats local;
    struct inv_load L;
    struct inv *db = NULL;
    char *data = NULL;
    size_t len = 0;
    uint64_t applied = 0;
    enum sdc_rc rc;

    if (!db_path || !path)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "import: no database or no file");
    memset(&L, 0, sizeof(L));
    L.st = stats ? stats : &local;
    memset(L.st, 0, sizeof(*L.st));
    L.file = path;
    L.cb = cb;
    L.now = now ? now : time(NULL);
    imp_tzcache_init(&L.tz);
    L.loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (L.loc == (locale_t)0)
        return sdc_error_set(err, SDC_ERR_NOMEM, "import: out of memory");

    rc = read_all(path, &data, &len, err);
    if (rc == SDC_OK)
        rc = split_rows(&L, data, len, err);
    if (rc == SDC_OK)
        rc = inv_open(db_path, &db, err);
    if (rc == SDC_OK)
        rc = inv_import_begin(db, err);
    /* kind by kind: parents before what names them */
    for (int k = 0; rc == SDC_OK && k < IMP_INV_KIND_COUNT; k++) {
        for (size_t i = 0; rc == SDC_OK && i < L.n_rows; i++) {
            if ((int)L.rows[i].kind != k)
                continue;
            rc = apply(&L, db, &L.rows[i], err);
            if (cb && cb->progress)
                cb->progress(cb->user, IMP_PHASE_WRITE, ++applied, L.n_rows,
                             L.st->rows);
        }
    }
    if (rc == SDC_OK)
        rc = inv_import_commit(db, err);
    if (rc != SDC_OK && db)
        inv_import_rollback(db);
    inv_close(db);
    for (size_t i = 0; i < L.n_rows; i++)
        free(L.rows[i].buf);
    free(L.rows);
    free(data);
    freelocale(L.loc);
    return rc;
}
