/*
 * render.c - a report's directory: templates, CSV tables, report.json,
 * written into a temporary directory and renamed into place (render.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escape.h"
#include "figure.h"
#include "mustache.h"
#include "render.h"

#ifndef SDC_TEMPLATE_DIR
#define SDC_TEMPLATE_DIR "/usr/share/sdcmon/templates"
#endif
#ifndef SDC_SOURCE_TEMPLATE_DIR
#define SDC_SOURCE_TEMPLATE_DIR "templates"
#endif
/* The data directory relative to the install prefix (GNUInstallDirs). */
#ifndef SDC_DATADIR_REL
#define SDC_DATADIR_REL "share"
#endif

#define PATH_LEN 4096

static const char *errstr(int e, char *buf, size_t len)
{
    return strerror_r(e, buf, len);
}

static enum sdc_rc io_fail(struct sdc_error *err, const char *what,
                           const char *path, int e)
{
    char eb[128];
    return sdc_error_set(err, SDC_ERR_IO, "%s %s: %s", what, path,
                         errstr(e, eb, sizeof(eb)));
}

enum sdc_rc render_formats_parse(const char *list, unsigned *out,
                                 struct sdc_error *err)
{
    static const struct {
        const char *name;
        unsigned bit;
    } fmts[] = {{"html", RENDER_HTML},   {"md", RENDER_MD},
                {"markdown", RENDER_MD}, {"csv", RENDER_CSV},
                {"json", RENDER_JSON},   {"all", RENDER_ALL}};
    const char *p = list;
    *out = 0;
    while (p && *p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        bool found = false;
        for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
            if (strlen(fmts[i].name) == n && strncmp(fmts[i].name, p, n) == 0) {
                *out |= fmts[i].bit;
                found = true;
            }
        if (!found && n > 0)
            return sdc_error_set(err, SDC_ERR_INVALID,
                                 "unknown format '%.*s' (expected html, md, "
                                 "csv or json)",
                                 (int)(n > 32 ? 32 : n), p);
        p = e ? e + 1 : NULL;
    }
    if (!*out)
        return sdc_error_set(err, SDC_ERR_INVALID, "no format given");
    return SDC_OK;
}

static pthread_once_t beside_once = PTHREAD_ONCE_INIT;
static char beside_dir[PATH_MAX];

/* PREFIX/share/sdcmon/templates for the PREFIX/bin (or sbin) this program
 * runs from, if that directory exists; else beside_dir stays "". */
static void find_beside(void)
{
    char exe[PATH_MAX];
    struct stat st;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash;
    int k;
    if (n <= 0)
        return;
    exe[n] = '\0';
    slash = strrchr(exe, '/'); /* PREFIX/bin/prog -> PREFIX/bin */
    if (!slash)
        return;
    *slash = '\0';
    slash = strrchr(exe, '/'); /* -> PREFIX */
    if (!slash)
        return;
    *slash = '\0';
    k = snprintf(beside_dir, sizeof(beside_dir), "%s/%s/sdcmon/templates", exe,
                 SDC_DATADIR_REL);
    if (k < 0 || (size_t)k >= sizeof(beside_dir) ||
        stat(beside_dir, &st) != 0 || !S_ISDIR(st.st_mode))
        beside_dir[0] = '\0';
}

const char *render_template_dir(void)
{
    const char *env = getenv("SDCMON_TEMPLATES");
    struct stat st;
    if (env && *env)
        return env;
    pthread_once(&beside_once, find_beside);
    if (beside_dir[0])
        return beside_dir;
    if (stat(SDC_TEMPLATE_DIR, &st) == 0 && S_ISDIR(st.st_mode))
        return SDC_TEMPLATE_DIR;
    return SDC_SOURCE_TEMPLATE_DIR;
}

const char *render_config_template_dir(const struct sdc_config *cfg)
{
    if (cfg && cfg->reports.templates && *cfg->reports.templates)
        return cfg->reports.templates;
    return render_template_dir();
}

/* ----------------------------------------------------------- the files */

/* Write @len bytes to @dir/@name, synced. */
static enum sdc_rc write_file(const char *dir, const char *name,
                              const char *data, size_t len,
                              struct sdc_error *err)
{
    char path[PATH_LEN];
    int fd;
    size_t off = 0;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return io_fail(err, "cannot create", path, errno);
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            return io_fail(err, "cannot write", path, e ? e : EIO);
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0)
        return io_fail(err, "cannot write", path, errno);
    return SDC_OK;
}

/* The value at "a.b.c" in @o, or NULL. */
static const json_t *jpath(const json_t *o, const char *path)
{
    char key[128];
    while (o && path && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (n >= sizeof(key))
            return NULL;
        memcpy(key, path, n);
        key[n] = 0;
        o = json_object_get(o, key);
        path = dot ? dot + 1 : NULL;
    }
    return o;
}

enum col_type {
    C_STR = 0, /* a string */
    C_FIG,     /* a figure's value */
    C_INT,     /* an integer */
    C_BOOL,    /* true / false */
};

struct col {
    const char *header;
    const char *path;
    enum col_type type;
};

struct table {
    const char *file;
    const char *list; /* path of the array in the document */
    const struct col *cols;
};

#define END                                                                    \
    {                                                                          \
        NULL, NULL, C_STR                                                      \
    }

static const struct col cluster_cols[] = {
    {"cluster", "name", C_STR},
    {"hosts", "hosts", C_INT},
    {"coverage_pct", "coverage", C_FIG},
    {"cpu_mean_pct", "cpu.mean", C_FIG},
    {"cpu_p95_pct", "cpu.p95", C_FIG},
    {"cpu_max_pct", "cpu.max", C_FIG},
    {"cpu_target_pct", "cpu.target", C_FIG},
    {"cpu_over_target", "cpu.over", C_BOOL},
    {"cpu_p95_change_points", "cpu.change", C_FIG},
    {"memory_mean_pct", "memory.mean", C_FIG},
    {"memory_p95_pct", "memory.p95", C_FIG},
    {"memory_max_pct", "memory.max", C_FIG},
    {"memory_target_pct", "memory.target", C_FIG},
    {"memory_over_target", "memory.over", C_BOOL},
    {"memory_p95_change_points", "memory.change", C_FIG},
    {"cpu_capacity_cpus", "cpu_capacity", C_FIG},
    {"cpu_used_p95_cpus", "cpu_used_p95", C_FIG},
    {"vcpus", "vcpus", C_FIG},
    {"vcpu_per_cpu", "vcpu_ratio", C_FIG},
    {"vcpu_per_cpu_limit", "vcpu_ratio_limit", C_FIG},
    {"vcpu_per_cpu_change", "vcpu_ratio_change", C_FIG},
    {"memory_capacity_bytes", "mem_capacity", C_FIG},
    {"memory_used_p95_bytes", "mem_used_p95", C_FIG},
    {"memory_allocated_bytes", "mem_allocated", C_FIG},
    {"vram_per_ram", "vram_ratio", C_FIG},
    {"vram_per_ram_change", "vram_ratio_change", C_FIG},
    END};

static const struct col host_cols[] = {{"host", "name", C_STR},
                                       {"cluster", "cluster", C_STR},
                                       {"vms", "vms", C_INT},
                                       {"cpus", "cpus", C_FIG},
                                       {"memory_bytes", "memory", C_FIG},
                                       {"coverage_pct", "coverage", C_FIG},
                                       {"cpu_mean_pct", "cpu.mean", C_FIG},
                                       {"cpu_p95_pct", "cpu.p95", C_FIG},
                                       {"cpu_max_pct", "cpu.max", C_FIG},
                                       {"memory_mean_pct", "mem.mean", C_FIG},
                                       {"memory_p95_pct", "mem.p95", C_FIG},
                                       {"memory_max_pct", "mem.max", C_FIG},
                                       {"hot", "hot", C_BOOL},
                                       {"polled_whole_month", "polled", C_BOOL},
                                       END};

static const struct col pool_cols[] = {
    {"pool_key", "key", C_STR},
    {"name", "name", C_STR},
    {"type", "type", C_STR},
    {"shared", "shared", C_BOOL},
    {"hosts", "hosts", C_STR},
    {"capacity_bytes", "capacity", C_FIG},
    {"allocation_bytes", "allocation", C_FIG},
    {"provisioned_bytes", "provisioned", C_FIG},
    {"provisioned_per_capacity", "provisioned_ratio", C_FIG},
    {"coverage_pct", "coverage", C_FIG},
    {"used_mean_pct", "use.mean", C_FIG},
    {"used_p95_pct", "use.p95", C_FIG},
    {"used_max_pct", "use.max", C_FIG},
    {"used_last_pct", "use.last", C_FIG},
    {"target_pct", "use.target", C_FIG},
    {"over_target", "use.over", C_BOOL},
    {"p95_change_points", "use.change", C_FIG},
    END};

static const struct col storage_cols[] = {
    {"device", "device", C_STR},
    {"storage", "name", C_STR},
    {"size_bytes", "size", C_FIG},
    {"used_bytes", "used", C_FIG},
    {"coverage_pct", "coverage", C_FIG},
    {"used_mean_pct", "use.mean", C_FIG},
    {"used_p95_pct", "use.p95", C_FIG},
    {"used_max_pct", "use.max", C_FIG},
    {"target_pct", "use.target", C_FIG},
    {"over_target", "use.over", C_BOOL},
    {"p95_change_points", "use.change", C_FIG},
    END};

static const struct col uplink_cols[] = {
    {"device", "device", C_STR},
    {"interface", "name", C_STR},
    {"alias", "alias", C_STR},
    {"speed_bit_s", "speed", C_FIG},
    {"coverage_pct", "coverage", C_FIG},
    {"in_mean_pct", "in.mean", C_FIG},
    {"in_p95_pct", "in.p95", C_FIG},
    {"in_max_pct", "in.max", C_FIG},
    {"in_p95_bit_s", "in.p95_rate", C_FIG},
    {"out_mean_pct", "out.mean", C_FIG},
    {"out_p95_pct", "out.p95", C_FIG},
    {"out_max_pct", "out.max", C_FIG},
    {"out_p95_bit_s", "out.p95_rate", C_FIG},
    {"target_pct", "in.target", C_FIG},
    {"over_target", "over", C_BOOL},
    END};

static const struct col vm_cols[] = {
    {"uuid", "id", C_STR},
    {"name", "name", C_STR},
    {"owner", "owner", C_STR},
    {"cluster", "cluster", C_STR},
    {"host", "host", C_STR},
    {"state_now", "state", C_STR},
    {"month", "month", C_STR},
    {"vcpus", "vcpus", C_FIG},
    {"memory_bytes", "memory", C_FIG},
    {"disk_capacity_bytes", "disk_capacity", C_FIG},
    {"disk_allocation_bytes", "disk_allocation", C_FIG},
    {"coverage_pct", "coverage", C_FIG},
    {"resolution_s", "resolution_s", C_INT},
    {"cpu_mean_pct", "cpu.mean", C_FIG},
    {"cpu_p95_pct", "cpu.p95", C_FIG},
    {"cpu_max_pct", "cpu.max", C_FIG},
    {"cpu_p95_cpus", "cpu_p95_cpus", C_FIG},
    {"memory_mean_pct", "mem.mean", C_FIG},
    {"memory_p95_pct", "mem.p95", C_FIG},
    {"memory_max_pct", "mem.max", C_FIG},
    {"memory_p95_used_bytes", "mem_p95_used", C_FIG},
    {"memory_method", "mem_method", C_STR},
    {"net_mean_bytes_s", "net.mean", C_FIG},
    {"net_p95_bytes_s", "net.p95", C_FIG},
    {"net_max_bytes_s", "net.max", C_FIG},
    {"class", "class", C_STR},
    {"undersized", "undersized", C_BOOL},
    {"note", "note", C_STR},
    END};

static const struct col owner_cols[] = {
    {"owner", "owner", C_STR},
    {"vms", "vms", C_FIG},
    {"vcpus", "vcpus", C_FIG},
    {"memory_bytes", "memory", C_FIG},
    {"disk_bytes", "disk", C_FIG},
    {"cpu_mean_cpus", "cpu_mean_cpus", C_FIG},
    {"findings", "findings", C_FIG},
    {"frees_vcpus", "free_vcpus", C_FIG},
    {"frees_memory_bytes", "free_memory", C_FIG},
    {"frees_storage_bytes", "free_storage", C_FIG},
    {"needs_vcpus", "need_vcpus", C_FIG},
    {"needs_memory_bytes", "need_memory", C_FIG},
    END};

static const struct col not_judged_cols[] = {
    {"kind", "kind", C_STR},     {"name", "name", C_STR},
    {"id", "id", C_STR},         {"coverage_pct", "coverage", C_FIG},
    {"reason", "reason", C_STR}, END};

static const struct col withheld_cols[] = {
    {"pool_key", "pool", C_STR},          {"pool", "pool_name", C_STR},
    {"unused_volumes", "volumes", C_FIG}, {"size_bytes", "size", C_FIG},
    {"reason", "reason", C_STR},          END};

static const struct col threshold_cols[] = {{"key", "key", C_STR},
                                            {"rule", "rule", C_STR},
                                            {"value", "value", C_FIG},
                                            {"unit", "value.unit", C_STR},
                                            END};

static const struct col totals_cols[] = {{"what", "what", C_STR},
                                         {"count", "count", C_FIG},
                                         {"vcpus", "vcpus", C_FIG},
                                         {"memory_bytes", "memory", C_FIG},
                                         {"storage_bytes", "storage", C_FIG},
                                         END};

static const struct table tables[] = {
    {"clusters.csv", "summary.clusters", cluster_cols},
    {"hosts.csv", "hosts", host_cols},
    {"pools.csv", "summary.pools", pool_cols},
    {"storages.csv", "summary.storages", storage_cols},
    {"uplinks.csv", "summary.uplinks", uplink_cols},
    {"vms.csv", "vms", vm_cols},
    {"owners.csv", "owners", owner_cols},
    {"not_judged.csv", "not_judged", not_judged_cols},
    {"orphans_withheld.csv", "findings.orphans_withheld", withheld_cols},
    {"thresholds.csv", "thresholds", threshold_cols},
    {"reclaimable.csv", "totals.breakdown", totals_cols},
};

/* Every finding, one table: what they share. */
static const struct col finding_cols[] = {
    {"kind", "kind", C_STR},
    {"name", "name", C_STR},
    {"id", "id", C_STR},
    {"owner", "owner", C_STR},
    {"evidence", "evidence", C_STR},
    {"frees", "frees", C_STR},
    {"needs", "needs", C_STR},
    {"action", "action", C_STR},
    {"frees_vcpus", "free_vcpus", C_FIG},
    {"frees_memory_bytes", "free_memory", C_FIG},
    {"frees_storage_bytes", "free_storage", C_FIG},
    {"needs_vcpus", "need_vcpus", C_FIG},
    {"needs_memory_bytes", "need_memory", C_FIG},
    {"recommended_vcpus", "recommended_vcpus", C_FIG},
    {"recommended_memory_bytes", "recommended_memory", C_FIG},
    {"cpu_p95_pct", "cpu_p95", C_FIG},
    {"memory_p95_pct", "mem_p95", C_FIG},
    END};

static const char *const finding_lists[] = {"shutoff",
                                            "idle",
                                            "oversized",
                                            "undersized",
                                            "orphaned_volumes",
                                            "hot_hosts",
                                            "imbalance",
                                            "pools_over_target",
                                            "storages_over_target",
                                            "links_over_target",
                                            "interface_errors",
                                            NULL};

static const struct col move_cols[] = {{"vm", "name", C_STR},
                                       {"uuid", "id", C_STR},
                                       {"owner", "owner", C_STR},
                                       {"from_host", "from", C_STR},
                                       {"to_host", "to", C_STR},
                                       {"cpu_p95_cpus", "cpu_p95_cpus", C_FIG},
                                       {"memory_bytes", "memory", C_FIG},
                                       END};

static enum sdc_rc csv_header(struct mst_csv *w, const char *first,
                              const struct col *cols, struct sdc_error *err)
{
    enum sdc_rc rc = SDC_OK;
    if (first)
        rc = mst_csv_str(w, first, err);
    for (size_t i = 0; rc == SDC_OK && cols[i].header; i++)
        rc = mst_csv_str(w, cols[i].header, err);
    return rc ? rc : mst_csv_end_row(w, err);
}

/* The cells of @cols from @row, the row not ended. */
static enum sdc_rc csv_cells(struct mst_csv *w, const json_t *row,
                             const struct col *cols, struct sdc_error *err)
{
    enum sdc_rc rc = SDC_OK;
    for (size_t i = 0; rc == SDC_OK && cols[i].header; i++) {
        const json_t *v = jpath(row, cols[i].path);
        switch (cols[i].type) {
        case C_STR:
            rc = mst_csv_str(w, json_is_string(v) ? json_string_value(v) : "",
                             err);
            break;
        case C_FIG:
            if (json_is_object(v))
                rc = mst_csv_num(w, fig_value(v), -1, err);
            else if (json_is_number(v))
                rc = mst_csv_num(w, json_number_value(v), -1, err);
            else
                rc = mst_csv_str(w, "", err);
            break;
        case C_INT:
            if (json_is_integer(v))
                rc = mst_csv_int(w, (long long)json_integer_value(v), err);
            else
                rc = mst_csv_str(w, "", err);
            break;
        case C_BOOL:
            rc = mst_csv_str(w, json_is_true(v) ? "true" : "false", err);
            break;
        }
    }
    return rc;
}

static enum sdc_rc csv_row(struct mst_csv *w, const json_t *row,
                           const struct col *cols, struct sdc_error *err)
{
    enum sdc_rc rc = csv_cells(w, row, cols, err);
    return rc ? rc : mst_csv_end_row(w, err);
}

/*
 * close_synced - flush, fsync and close a CSV file written so far with
 * result @rc.
 * @f:    the file, closed in every case
 * @path: its path, for the message
 * @rc:   the result of writing it
 * @err:  set when this fails and @rc was SDC_OK
 *
 * Return: @rc when it is an error (the first error wins), else SDC_OK or
 * SDC_ERR_IO ("cannot write PATH: ...").
 */
static enum sdc_rc close_synced(FILE *f, const char *path, enum sdc_rc rc,
                                struct sdc_error *err)
{
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        int e = errno;
        fclose(f);
        return rc ? rc : io_fail(err, "cannot write", path, e);
    }
    if (fclose(f) != 0 && rc == SDC_OK)
        rc = io_fail(err, "cannot write", path, errno);
    return rc;
}

/* Write one CSV file from rows produced by @fill into @dir/@name. */
static enum sdc_rc csv_file(const char *dir, const char *name,
                            const json_t *doc, const struct table *t,
                            struct sdc_error *err)
{
    char path[PATH_LEN];
    FILE *f;
    struct mst_csv w;
    enum sdc_rc rc;
    size_t i;
    const json_t *row;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    if (!f)
        return io_fail(err, "cannot create", path, errno);
    mst_csv_init(&w, f, MST_CSV_DEFUSE_FORMULAS);
    if (t) {
        rc = csv_header(&w, NULL, t->cols, err);
        json_array_foreach(jpath(doc, t->list), i, row)
        {
            if (rc)
                break;
            rc = csv_row(&w, row, t->cols, err);
        }
    } else if (strcmp(name, "findings.csv") == 0) {
        rc = csv_header(&w, NULL, finding_cols, err);
        for (size_t k = 0; rc == SDC_OK && finding_lists[k]; k++)
            json_array_foreach(json_object_get(json_object_get(doc, "findings"),
                                               finding_lists[k]),
                               i, row)
            {
                if (rc)
                    break;
                rc = csv_row(&w, row, finding_cols, err);
            }
    } else { /* moves.csv: the moves of every imbalance finding */
        const json_t *imb =
            json_object_get(json_object_get(doc, "findings"), "imbalance");
        rc = csv_header(&w, "cluster", move_cols, err);
        json_array_foreach(imb, i, row)
        {
            size_t k;
            const json_t *mv;
            json_array_foreach(json_object_get(row, "moves"), k, mv)
            {
                if (rc)
                    break;
                rc = mst_csv_str(
                    &w, json_string_value(json_object_get(row, "name")), err);
                if (rc == SDC_OK)
                    rc = csv_row(&w, mv, move_cols, err);
            }
        }
    }
    mst_csv_free(&w);
    return close_synced(f, path, rc, err);
}

/* A caller's columns (render.h) as this file's (NULL: out of memory). */
static struct col *cols_of(const struct render_col *rc)
{
    size_t n = 0;
    struct col *c;
    while (rc && rc[n].header)
        n++;
    c = calloc(n + 1, sizeof(*c));
    for (size_t i = 0; c && i < n; i++) {
        c[i].header = rc[i].header;
        c[i].path = rc[i].path;
        c[i].type = rc[i].type == RENDER_COL_FIG    ? C_FIG
                    : rc[i].type == RENDER_COL_INT  ? C_INT
                    : rc[i].type == RENDER_COL_BOOL ? C_BOOL
                                                    : C_STR;
    }
    return c;
}

/*
 * One CSV file of a caller's table (render_opts.tables): a row per element
 * of the list, or per element of each element's @sub list with the
 * element's @parent_cols first.
 */
static enum sdc_rc csv_table(const char *dir, const json_t *doc,
                             const struct render_table *t,
                             struct sdc_error *err)
{
    char path[PATH_LEN];
    FILE *f;
    struct mst_csv w;
    enum sdc_rc rc = SDC_OK;
    struct col *cols = cols_of(t->cols);
    struct col *pcols = t->sub ? cols_of(t->parent_cols) : NULL;
    size_t i;
    const json_t *row;

    if (!cols || (t->sub && !pcols)) {
        free(cols);
        free(pcols);
        return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
    }
    snprintf(path, sizeof(path), "%s/%s", dir, t->file);
    f = fopen(path, "w");
    if (!f) {
        free(cols);
        free(pcols);
        return io_fail(err, "cannot create", path, errno);
    }
    mst_csv_init(&w, f, MST_CSV_DEFUSE_FORMULAS);
    for (size_t k = 0; pcols && rc == SDC_OK && pcols[k].header; k++)
        rc = mst_csv_str(&w, pcols[k].header, err);
    if (rc == SDC_OK)
        rc = csv_header(&w, NULL, cols, err);
    json_array_foreach(jpath(doc, t->list), i, row)
    {
        size_t k;
        const json_t *sr;
        if (rc)
            break;
        if (!t->sub) {
            rc = csv_row(&w, row, cols, err);
            continue;
        }
        json_array_foreach(jpath(row, t->sub), k, sr)
        {
            if (rc)
                break;
            /* the element's cells, then the sub-element's row */
            for (size_t m = 0; rc == SDC_OK && pcols[m].header; m++) {
                struct col one[2] = {pcols[m], {NULL, NULL, C_STR}};
                rc = csv_cells(&w, row, one, err);
            }
            if (rc == SDC_OK)
                rc = csv_row(&w, sr, cols, err);
        }
    }
    mst_csv_free(&w);
    free(cols);
    free(pcols);
    return close_synced(f, path, rc, err);
}

static enum sdc_rc write_csvs(const char *dir, const json_t *doc,
                              const struct render_opts *o, size_t *files,
                              struct sdc_error *err)
{
    enum sdc_rc rc;
    if (o->tables) {
        for (size_t i = 0; i < o->n_tables; i++) {
            if ((rc = csv_table(dir, doc, &o->tables[i], err)))
                return rc;
            (*files)++;
        }
        return SDC_OK;
    }
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        if ((rc = csv_file(dir, tables[i].file, doc, &tables[i], err)))
            return rc;
        (*files)++;
    }
    if ((rc = csv_file(dir, "findings.csv", doc, NULL, err)) ||
        (rc = csv_file(dir, "moves.csv", doc, NULL, err)))
        return rc;
    *files += 2;
    return SDC_OK;
}

/* "has": {"<list>": bool} for the lists of the document, two levels deep. */
static json_t *has_flags(const json_t *doc)
{
    json_t *has = json_object();
    const char *k1, *k2;
    const json_t *v1, *v2;
    if (!has)
        return NULL;
    json_object_foreach((json_t *)doc, k1, v1)
    {
        if (json_is_array(v1))
            json_object_set_new(has, k1, json_boolean(json_array_size(v1)));
        else if (json_is_object(v1))
            json_object_foreach((json_t *)v1, k2, v2) if (json_is_array(v2))
                json_object_set_new(has, k2, json_boolean(json_array_size(v2)));
    }
    return has;
}

static enum sdc_rc render_template(const char *tdir, const char *name,
                                   const char *suffix, enum mst_escape esc,
                                   const json_t *data, char **out, size_t *len,
                                   struct sdc_error *err)
{
    struct mst_loader *l = NULL;
    struct mst_opts mo = {.escape = esc};
    enum sdc_rc rc = mst_loader_new(tdir, suffix, &l, err);
    if (rc == SDC_OK)
        rc = mst_loader_render(l, name, data, &mo, out, len, err);
    mst_loader_free(l);
    return rc;
}

/* ------------------------------------------------------------ the swap */

static int rm_tree(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *de;
    char p[PATH_LEN];
    int rc = 0;
    if (!d)
        return unlink(path);
    while ((de = readdir(d))) {
        struct stat st;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            rc |= rm_tree(p);
        else
            rc |= unlink(p);
    }
    closedir(d);
    return rc | rmdir(path);
}

static enum sdc_rc mkdirs(const char *path, struct sdc_error *err)
{
    char p[PATH_LEN];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(p))
        return sdc_error_set(err, SDC_ERR_IO, "bad directory '%s'", path);
    memcpy(p, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != 0)
            continue;
        p[i] = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST)
            return io_fail(err, "cannot create directory", p, errno);
        p[i] = i < n ? '/' : 0;
    }
    return SDC_OK;
}

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Put @tmp in place of @dst, atomically; the old @dst is removed. */
static enum sdc_rc swap_in(const char *tmp, const char *dst, const char *parent,
                           struct sdc_error *err)
{
    struct stat st;
    if (rename(tmp, dst) == 0) {
        sync_dir(parent);
        return SDC_OK;
    }
    if (errno != ENOTEMPTY && errno != EEXIST)
        return io_fail(err, "cannot rename into", dst, errno);
    if (lstat(dst, &st) != 0 || !S_ISDIR(st.st_mode))
        return sdc_error_set(err, SDC_ERR_IO,
                             "cannot replace %s: not a directory", dst);
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dst, RENAME_EXCHANGE) == 0) {
        sync_dir(parent);
        rm_tree(tmp); /* now the old report */
        return SDC_OK;
    }
    {
        /* no RENAME_EXCHANGE on this file system: move the old one aside */
        char old[PATH_LEN];
        snprintf(old, sizeof(old), "%s.old-%ld", dst, (long)getpid());
        if (rename(dst, old) != 0)
            return io_fail(err, "cannot move aside", dst, errno);
        if (rename(tmp, dst) != 0) {
            int e = errno;
            rename(old, dst);
            return io_fail(err, "cannot rename into", dst, e);
        }
        sync_dir(parent);
        rm_tree(old);
    }
    return SDC_OK;
}

/*
 * The process's umask without changing it: umask(0) then umask(old) would
 * leave a window in which another thread (sdcmond's poller, creating an
 * archive while a scheduled report is written) creates files mode 0666.
 * Linux shows it in /proc/self/status; elsewhere assume 022.
 */
static mode_t current_umask(void)
{
    FILE *f = fopen("/proc/self/status", "re");
    char line[128];
    mode_t um = 022;
    if (!f)
        return um;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "Umask:", 6) == 0) {
            um = (mode_t)strtoul(line + 6, NULL, 8);
            break;
        }
    fclose(f);
    return um;
}

enum sdc_rc render_report(const struct monthly_report *r,
                          const struct render_opts *o, size_t *files,
                          struct sdc_error *err)
{
    char parent[PATH_LEN], tmp[PATH_LEN];
    const char *base, *slash, *tdir;
    unsigned fm = o->formats ? o->formats : RENDER_ALL;
    json_t *data = NULL;
    char *text = NULL;
    size_t len = 0, nfiles = 0;
    enum sdc_rc rc = SDC_OK;
    mode_t um;

    if (files)
        *files = 0;
    if (!r || !r->doc || !o || !o->out_dir || !*o->out_dir || !o->name)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "render: no report or no directory");
    tdir = o->template_dir ? o->template_dir : render_template_dir();
    /* the parent and base name of the target */
    snprintf(parent, sizeof(parent), "%s", o->out_dir);
    while (strlen(parent) > 1 && parent[strlen(parent) - 1] == '/')
        parent[strlen(parent) - 1] = 0;
    slash = strrchr(parent, '/');
    if (slash) {
        base = o->out_dir + (slash - parent) + 1;
        parent[slash == parent ? 1 : slash - parent] = 0;
    } else {
        base = o->out_dir;
        snprintf(parent, sizeof(parent), ".");
    }
    if ((rc = mkdirs(parent, err)))
        return rc;
    snprintf(tmp, sizeof(tmp), "%s/.%.*s.tmp-XXXXXX", parent,
             (int)strcspn(base, "/"), base);
    if (!mkdtemp(tmp))
        return io_fail(err, "cannot create a directory in", parent, errno);
    um = current_umask();
    chmod(tmp, 0777 & ~um);

    if (fm & (RENDER_HTML | RENDER_MD)) {
        data = json_object();
        if (!data || json_object_update(data, r->doc) ||
            (r->view && json_object_update(data, r->view)) ||
            json_object_set_new(data, "has", has_flags(data))) {
            rc = sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
            goto fail;
        }
    }
    if (fm & RENDER_HTML) {
        rc = render_template(tdir, o->name, ".html.mustache", MST_ESCAPE_HTML,
                             data, &text, &len, err);
        if (rc == SDC_OK)
            rc = write_file(tmp, "report.html", text, len, err);
        free(text);
        text = NULL;
        if (rc)
            goto fail;
        nfiles++;
    }
    if (fm & RENDER_MD) {
        rc = render_template(tdir, o->name, ".md.mustache", MST_ESCAPE_MARKDOWN,
                             data, &text, &len, err);
        if (rc == SDC_OK)
            rc = write_file(tmp, "report.md", text, len, err);
        free(text);
        text = NULL;
        if (rc)
            goto fail;
        nfiles++;
    }
    if ((fm & RENDER_CSV) && (rc = write_csvs(tmp, r->doc, o, &nfiles, err)))
        goto fail;
    if (fm & RENDER_JSON) {
        text = json_dumps(r->doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        if (!text) {
            rc = sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
            goto fail;
        }
        len = strlen(text);
        text[len] = 0;
        rc = write_file(tmp, "report.json", text, len, err);
        free(text);
        text = NULL;
        if (rc)
            goto fail;
        nfiles++;
    }
    sync_dir(tmp);
    if ((rc = swap_in(tmp, o->out_dir, parent, err)))
        goto fail;
    json_decref(data);
    if (files)
        *files = nfiles;
    return SDC_OK;
fail:
    json_decref(data);
    rm_tree(tmp);
    return rc;
}
