/*
 * rrd_schema.c - DS and RRA definitions of the archives, and the file
 * operations shared by the RRD writer and the history importer.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rrd.h>

#include "rrd_schema.h"

/* No RRA larger than this many rows (80 MB per data source). */
#define RRDS_MAX_ROWS 10000000.0

static const struct sdc_retention_cfg default_retention = {2, 40, 100, 1825};

/* strerror() is not thread-safe; this is (GNU strerror_r). */
static const char *errno_str(int e, char *buf, size_t len)
{
    return strerror_r(e, buf, len);
}

const char *rrds_last_error(void)
{
    const char *m = rrd_test_error() ? rrd_get_error() : NULL;
    return m && *m ? m : "unknown librrd error";
}

static enum sdc_rc rra_rows(double days, unsigned long pdps, unsigned step,
                            unsigned long *rows)
{
    double r;

    if (!isfinite(days) || days < 0)
        return SDC_ERR_INVALID;
    r = days * 86400.0 / ((double)pdps * step);
    /* tolerate the rounding error of fractional days (0.1 * 86400) */
    r = ceil(r - 1e-9 * (r > 1 ? r : 1));
    if (r > RRDS_MAX_ROWS)
        return SDC_ERR_INVALID;
    *rows = r < 1 ? 1 : (unsigned long)r;
    return SDC_OK;
}

enum sdc_rc rrds_layout_init(struct rrds_layout *l, unsigned step,
                             const struct sdc_retention_cfg *retention,
                             struct sdc_error *err)
{
    const struct sdc_retention_cfg *r =
        retention ? retention : &default_retention;
    const struct {
        const char *cf;
        unsigned long seconds; /* consolidation interval, 0: one step */
        double days;
        const char *key;
    } rras[RRDS_N_RRA] = {
        {"AVERAGE", 0, r->step_days, "step_days"},
        {"AVERAGE", 300, r->min5_days, "min5_days"},
        {"AVERAGE", 3600, r->hour_days, "hour_days"},
        {"MAX", 3600, r->hour_days, "hour_days"},
        {"AVERAGE", 86400, r->day_days, "day_days"},
        {"MAX", 86400, r->day_days, "day_days"},
    };

    if (!l)
        return sdc_error_set(err, SDC_ERR_INVALID, "rrd layout: no layout");
    if (step < 1 || step > RRDS_MAX_STEP)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "rrd writer: step %u is out of range (1..%u)",
                             step, RRDS_MAX_STEP);
    memset(l, 0, sizeof(*l));
    l->step = step;
    for (size_t i = 0; i < RRDS_N_RRA; i++) {
        unsigned long pdps = rras[i].seconds ? rras[i].seconds / step : 1;
        unsigned long rows;
        if (pdps < 1)
            pdps = 1;
        if (rra_rows(rras[i].days, pdps, step, &rows) != SDC_OK)
            return sdc_error_set(err, SDC_ERR_INVALID,
                                 "rrd writer: retention %s = %g is out of "
                                 "range",
                                 rras[i].key, rras[i].days);
        snprintf(l->rra[i], sizeof(l->rra[i]), "RRA:%s:0.5:%lu:%lu", rras[i].cf,
                 pdps, rows);
    }
    for (int t = 0; t < SDC_AR_COUNT; t++) {
        const struct sdc_archive_def *def = sdc_archive_def_get(t);
        for (size_t i = 0; i < def->n_ds; i++) {
            /* every gauge we keep is >= 0 and every counter monotonic, so
             * min 0 turns negative values and counter resets into U */
            bool derive = def->ds[i].type == SDC_DS_DERIVE;
            snprintf(l->ds[t][i], sizeof(l->ds[t][i]), "DS:%s:%s:%u:0:U",
                     def->ds[i].name, derive ? "DERIVE" : "GAUGE", 2 * step);
        }
    }
    return SDC_OK;
}

unsigned rrds_heartbeat(const struct rrds_layout *l)
{
    return l ? 2 * l->step : 0;
}

int rrds_create_args(const struct rrds_layout *l, enum sdc_archive type,
                     const char **argv)
{
    const struct sdc_archive_def *def = sdc_archive_def_get(type);
    int argc = 0;

    if (!l || !def || !argv)
        return 0;
    for (size_t i = 0; i < def->n_ds; i++)
        argv[argc++] = l->ds[type][i];
    for (size_t i = 0; i < RRDS_N_RRA; i++)
        argv[argc++] = l->rra[i];
    return argc;
}

enum sdc_rc rrds_create(const struct rrds_layout *l, enum sdc_archive type,
                        const char *path, time_t last_up,
                        const char *const *sources, const unsigned *heartbeats,
                        struct sdc_error *err)
{
    const struct sdc_archive_def *def = sdc_archive_def_get(type);
    const char *argv[RRDS_MAX_ARGS];
    char own[SDC_MAX_DS][RRDS_DEF_LEN];
    int argc;

    if (!l || !def || !path)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "rrd layout: create needs a layout, a type and a "
                             "path");
    argc = rrds_create_args(l, type, argv);
    for (size_t i = 0; heartbeats && i < def->n_ds; i++) {
        if (heartbeats[i] == 0)
            continue;
        snprintf(own[i], sizeof(own[i]), "DS:%s:%s:%u:0:U", def->ds[i].name,
                 def->ds[i].type == SDC_DS_DERIVE ? "DERIVE" : "GAUGE",
                 heartbeats[i]);
        argv[i] = own[i];
    }
    rrd_clear_error();
    /* librrd 1.7.2 takes the source list as const char ** */
    if (rrd_create_r2(path, l->step, last_up, 0, (const char **)sources, NULL,
                      argc, argv) != 0) {
        enum sdc_rc rc = sdc_error_set(err, SDC_ERR_RRD, "cannot create %s: %s",
                                       path, rrds_last_error());
        unlink(path);
        return rc;
    }
    return SDC_OK;
}

enum sdc_rc rrds_install(const char *tmp, const char *path, bool replace,
                         bool *existed, struct sdc_error *err)
{
    char eb[128];
    int e = 0;

    if (existed)
        *existed = false;
    if (replace) {
        if (rename(tmp, path) == 0)
            return SDC_OK;
        e = errno;
        unlink(tmp);
        return sdc_error_set(err, SDC_ERR_IO, "cannot rename %s to %s: %s", tmp,
                             path, errno_str(e, eb, sizeof(eb)));
    }
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return SDC_OK;
    e = errno;
    /* File systems without RENAME_NOREPLACE: link() never replaces. */
    if (e == EINVAL || e == ENOSYS || e == EOPNOTSUPP)
        e = link(tmp, path) == 0 ? 0 : errno;
    if (e == EEXIST) {
        if (existed)
            *existed = true;
        return SDC_OK;
    }
    unlink(tmp);
    if (e != 0)
        return sdc_error_set(err, SDC_ERR_IO, "cannot rename %s: %s", tmp,
                             errno_str(e, eb, sizeof(eb)));
    return SDC_OK;
}

enum sdc_rc rrds_make_parents(const char *path, size_t from,
                              struct sdc_error *err)
{
    char dir[PATH_MAX];
    size_t len = strlen(path);

    if (len >= sizeof(dir))
        return sdc_error_set(err, SDC_ERR_INVALID, "path too long: %s", path);
    memcpy(dir, path, len + 1);
    for (size_t i = from; i < len; i++) {
        if (dir[i] != '/' || i == 0)
            continue;
        dir[i] = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            char eb[128];
            return sdc_error_set(err, SDC_ERR_IO, "cannot create %s: %s", dir,
                                 errno_str(errno, eb, sizeof(eb)));
        }
        dir[i] = '/';
    }
    return SDC_OK;
}

enum sdc_rc rrds_check(const struct sdc_archive_def *def, const char *path,
                       time_t *last, struct sdc_error *err)
{
    time_t t = 0;
    unsigned long n = 0;
    char **names = NULL;
    char **values = NULL;
    enum sdc_rc rc = SDC_OK;

    if (!def || !path || !last)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "rrd layout: check needs a type and a path");
    rrd_clear_error();
    if (rrd_lastupdate_r(path, &t, &n, &names, &values) != 0)
        return sdc_error_set(err, SDC_ERR_RRD, "cannot read %s: %s", path,
                             rrds_last_error());
    if (n > 0 && !names) {
        rc = sdc_error_set(err, SDC_ERR_RRD, "cannot read %s: no names", path);
    } else if (n != def->n_ds) {
        rc = sdc_error_set(err, SDC_ERR_INVALID,
                           "%s has %lu data sources, the schema %zu", path, n,
                           def->n_ds);
    } else {
        for (size_t i = 0; i < n; i++) {
            if (!names[i] || strcmp(names[i], def->ds[i].name) != 0) {
                rc = sdc_error_set(err, SDC_ERR_INVALID,
                                   "%s: data source %zu is '%s', the schema "
                                   "says '%s'",
                                   path, i, names[i] ? names[i] : "",
                                   def->ds[i].name);
                break;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (names)
            rrd_freemem(names[i]);
        if (values)
            rrd_freemem(values[i]);
    }
    rrd_freemem(names);
    rrd_freemem(values);
    if (rc == SDC_OK)
        *last = t;
    return rc;
}

static pthread_mutex_t rrds_daemon_mutex = PTHREAD_MUTEX_INITIALIZER;

void rrds_daemon_lock(void)
{
    pthread_mutex_lock(&rrds_daemon_mutex);
}

void rrds_daemon_unlock(void)
{
    pthread_mutex_unlock(&rrds_daemon_mutex);
}

void rrds_pipe_guard_on(struct rrds_pipe_guard *g)
{
    sigset_t set;
    sigset_t pending;

    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigemptyset(&pending);
    sigpending(&pending);
    g->was_pending = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &set, &g->old);
}

void rrds_pipe_guard_off(struct rrds_pipe_guard *g)
{
    sigset_t set;
    sigset_t pending;

    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    if (!g->was_pending) {
        sigemptyset(&pending);
        if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
            struct timespec zero = {0, 0};
            sigtimedwait(&set, NULL, &zero);
        }
    }
    pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}
