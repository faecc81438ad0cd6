/*
 * import_main.c - sdcmon-import: load history (or inventory) exported from
 * another monitor.  Command line, the data directory's lock, messages,
 * progress and the summary; the work is in import.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "import.h"
#include "sdc/config.h"

#define EXIT_SKIPPED 1
#define EXIT_USAGE 2
#define EXIT_FAILED 3
#define DEFAULT_MAX_MESSAGES 20
#define MAX_JOBS 8

static const char usage_text[] =
    "Usage: sdcmon-import -c FILE [OPTIONS] HISTORY.csv...\n"
    "       sdcmon-import -c FILE --inventory INVENTORY.csv...\n"
    "\n"
    "Loads history exported from another monitor into the archives of "
    "sdcmon\n"
    "(DATA_DIR/rrd/<kind>/<id>/<file>.rrd), or, with --inventory, entities "
    "and\n"
    "daily allocation snapshots into DATA_DIR/inventory.db.  \"-\" reads "
    "standard\n"
    "input.  The full description is in docs/import.md.\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE    sdcmon configuration (data_dir, step, retention,\n"
    "                       rrdcached, pidfile).  Required.\n"
    "  -i, --inventory      the files are inventory CSV, not history.\n"
    "  -f, --force          import history even while sdcmond runs on the "
    "data\n"
    "                       directory (see \"Running sdcmond\" below).\n"
    "  -j, --jobs N         threads writing archives (default: the number "
    "of\n"
    "                       CPUs, at most 8).\n"
    "      --batch N        rows per librrd update call (default 4096).\n"
    "      --max-messages N skipped rows shown before \"... N more\" "
    "(default 20;\n"
    "                       0 shows all).\n"
    "  -q, --quiet          no progress and no summary; only problems.\n"
    "  -h, --help           this text.\n"
    "  -V, --version        the version.\n"
    "\n"
    "History CSV: a header naming the columns time, archive, ds and value "
    "(in\n"
    "any order; other columns are ignored), then one line per time, archive "
    "and\n"
    "data source:\n"
    "    time,archive,ds,value\n"
    "    2026-01-31T23:00:00Z,vm/6f1c0d3e-0b7a-4c1e-9d53-0f6c2a1b9e47/cpu,"
    "vcpus,4\n"
    "    1769900400,cluster/prod-a/cpu,used,37.5\n"
    "  time     epoch seconds, or ISO 8601: 2026-01-31T23:00:00Z, with an "
    "offset\n"
    "           (+05:30), or without a zone = local time of this machine "
    "(TZ);\n"
    "           a date alone is local midnight.  The value covers the "
    "interval\n"
    "           that ends at this time (RRD's convention).\n"
    "  archive  <kind>/<id>/<file> as under DATA_DIR/rrd, without .rrd:\n"
    "           hv/<host>/cpu|mem, cluster/<name>/cpu|mem, pool/<key>/usage,\n"
    "           vm/<uuid>/cpu|mem|disk-<target>|net-<mac>,\n"
    "           snmp/<device>/if-<ifName>|storage-<descr>|cpu|mem|custom-"
    "<name>.\n"
    "           Ids are reduced to [A-Za-z0-9._-] as the poller does.\n"
    "  ds       a data source of that archive (DESIGN.md section 4).\n"
    "  value    a gauge as it is; for counter sources (hv cpu user/system/"
    "idle/\n"
    "           iowait, vm cpu time/delay, disk rd_/wr_ bytes and reqs, "
    "net\n"
    "           rx_/tx_ ...) the raw counter, whose rate the archive "
    "computes.\n"
    "           Empty, U or NaN: unknown.\n"
    "Rows of one archive and data source must come in ascending time; "
    "different\n"
    "series may interleave in any way.  History may come at any interval up "
    "to a\n"
    "day (5-minute, hourly, daily): each archive is loaded with its "
    "heartbeat\n"
    "raised to twice the data's interval, then set back to 2 x step.  "
    "Archives\n"
    "that do not exist are created.  One that does (the poller's) is "
    "rebuilt from\n"
    "the history up to where its own data begins and its own data, and "
    "swapped in\n"
    "atomically; history rows after that are superseded by its data.\n"
    "\n"
    "Inventory CSV: a header naming any of these columns, then one entity "
    "per\n"
    "line; `kind` and `id` are required:\n"
    "  kind        hypervisor, vm, disk, nic, pool, volume, "
    "snapshot_cluster,\n"
    "              snapshot_pool\n"
    "  id          hypervisor: its name; vm: the uuid; disk, nic: the VM's "
    "uuid;\n"
    "              pool: its key; volume: the pool's key; snapshot_cluster: "
    "the\n"
    "              cluster; snapshot_pool: the pool's key\n"
    "  name        vm: its name; disk: the target (vda); nic: the MAC; pool: "
    "its\n"
    "              name on the host; volume: its name\n"
    "  host        vm: its hypervisor; pool: the hypervisors that see it "
    "(a;b)\n"
    "  cluster     hypervisor, vm (default: the host's cluster)\n"
    "  state       vm: running, paused, shutoff ... \n"
    "  owner, title                      vm\n"
    "  type, source                      pool (source also for disk)\n"
    "  backing, path, network, model     disk, volume, nic, hypervisor\n"
    "  cpus, cores                       hypervisor, snapshot_cluster\n"
    "  vcpus, max_vcpus                  vm, snapshot_cluster (vcpus)\n"
    "  memory_bytes, max_memory_bytes    hypervisor, vm, snapshot_cluster\n"
    "  capacity_bytes, allocation_bytes  disk, pool, volume, snapshot_pool\n"
    "  available_bytes, shared (yes/no)  pool\n"
    "  first_seen, last_seen             every entity (times as above; "
    "default:\n"
    "                                    now, or deleted_at)\n"
    "  state_since, deleted_at           vm\n"
    "  day (YYYY-MM-DD)                  snapshot_cluster, snapshot_pool\n"
    "  hosts, vms, vms_running, vram_bytes  snapshot_cluster\n"
    "  provisioned_bytes                 snapshot_cluster, snapshot_pool\n"
    "  volumes                           snapshot_pool\n"
    "Rows are applied kind by kind in one transaction; an entity already in "
    "the\n"
    "inventory keeps its facts when its last_seen is newer than the row's.\n"
    "\n"
    "Bad rows are reported as FILE:LINE: what is wrong, skipped, and the "
    "rest\n"
    "loaded.  On a terminal a progress line shows rows read and the share "
    "of the\n"
    "file; a summary ends the run.\n"
    "\n"
    "Running sdcmond: stop it while history is imported.  sdcmon-import "
    "refuses\n"
    "to run while an sdcmond holds the data directory's pid file, and holds "
    "that\n"
    "lock itself meanwhile so an sdcmond started during the import refuses "
    "to\n"
    "start.  With --force it imports anyway: an archive sdcmond writes is "
    "rebuilt\n"
    "again if it changed during the merge, but an update landing in the "
    "instant\n"
    "before the swap is lost (one step reads UNKNOWN).  Run it as the user "
    "sdcmond\n"
    "runs as; run as root, new files are given to the data directory's "
    "owner.\n"
    "\n"
    "Exit status: 0 every row loaded; 1 some rows skipped or archives not "
    "written\n"
    "(the messages say which); 2 a usage or configuration error, or a file "
    "without\n"
    "a usable header; 3 nothing imported: the data directory, inventory or "
    "a file\n"
    "could not be used, or sdcmond is running (without --force).\n"
    "\n"
    "Files: /etc/sdcmon/sdcmon.conf (the service's configuration),\n"
    "DATA_DIR/rrd, DATA_DIR/inventory.db.\n"
    "\n"
    "Examples:\n"
    "  systemctl stop sdcmond\n"
    "  runuser -u sdcmon -- sdcmon-import -c /etc/sdcmon/sdcmon.conf "
    "history.csv\n"
    "  runuser -u sdcmon -- sdcmon-import -c /etc/sdcmon/sdcmon.conf "
    "--inventory inv.csv\n"
    "  systemctl start sdcmond\n"
    "\n"
    "See sdcmon-import(1) and sdcmon.conf(5).\n";

struct options {
    const char *config;
    bool inventory;
    bool force;
    bool quiet;
    unsigned jobs;
    unsigned batch;
    unsigned long max_messages;
};

struct ui {
    bool tty;   /* progress on stderr */
    bool quiet; /* no progress, no summary */
    unsigned long max_messages;
    unsigned long shown;
    unsigned long hidden;
    bool progress_shown;
    double last_progress;
    const char *what; /* "reading FILE" */
    bool inventory;
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void clear_progress(struct ui *u)
{
    if (u->progress_shown) {
        fputs("\r\033[K", stderr);
        u->progress_shown = false;
    }
}

static void message(struct ui *u, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void message(struct ui *u, const char *fmt, ...)
{
    va_list ap;

    if (u->max_messages && u->shown >= u->max_messages) {
        u->hidden++;
        return;
    }
    u->shown++;
    clear_progress(u);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void on_row(void *user, const char *file, uint64_t line,
                   enum imp_skip why, const char *msg)
{
    (void)why;
    message(user, "%s:%" PRIu64 ": %s", file, line, msg);
}

static void on_archive(void *user, const char *archive, const char *msg)
{
    message(user, "sdcmon-import: archive %s not written: %s", archive, msg);
}

static void on_progress(void *user, enum imp_phase phase, uint64_t done,
                        uint64_t total, uint64_t rows)
{
    struct ui *u = user;
    double now;

    if (!u->tty || u->quiet)
        return;
    now = mono_now();
    if (now - u->last_progress < 0.2 && done != total)
        return;
    u->last_progress = now;
    if (phase == IMP_PHASE_READ) {
        if (total > 0)
            fprintf(stderr, "\r\033[K%s: %" PRIu64 " rows, %.0f%%", u->what,
                    rows, 100.0 * (double)done / (double)total);
        else
            fprintf(stderr, "\r\033[K%s: %" PRIu64 " rows", u->what, rows);
    } else {
        fprintf(stderr, "\r\033[K%s: %" PRIu64 " of %" PRIu64 " %s (%.0f%%)",
                u->inventory ? u->what : "writing", done, total,
                u->inventory ? "rows" : "archives",
                total ? 100.0 * (double)done / (double)total : 0);
    }
    u->progress_shown = true;
    fflush(stderr);
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v > max)
        return false;
    *out = v;
    return true;
}

static int parse_args(int argc, char **argv, struct options *o)
{
    enum { OPT_BATCH = 256, OPT_MAX_MESSAGES };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"inventory", no_argument, NULL, 'i'},
        {"force", no_argument, NULL, 'f'},
        {"jobs", required_argument, NULL, 'j'},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"max-messages", required_argument, NULL, OPT_MAX_MESSAGES},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    unsigned long v;
    long cpus;
    int ch;

    memset(o, 0, sizeof(*o));
    o->max_messages = DEFAULT_MAX_MESSAGES;
    cpus = sysconf(_SC_NPROCESSORS_ONLN);
    o->jobs = cpus < 1 ? 1 : cpus > MAX_JOBS ? MAX_JOBS : (unsigned)cpus;
    while ((ch = getopt_long(argc, argv, "c:ifj:qhV", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            o->config = optarg;
            break;
        case 'i':
            o->inventory = true;
            break;
        case 'f':
            o->force = true;
            break;
        case 'j':
            if (!parse_uint(optarg, 64, &v) || v < 1) {
                fprintf(stderr,
                        "sdcmon-import: --jobs needs a number from 1 to 64, "
                        "not '%s'\n",
                        optarg);
                return EXIT_USAGE;
            }
            o->jobs = (unsigned)v;
            break;
        case OPT_BATCH:
            if (!parse_uint(optarg, 65536, &v) || v < 1) {
                fprintf(stderr,
                        "sdcmon-import: --batch needs a number from 1 to "
                        "65536, not '%s'\n",
                        optarg);
                return EXIT_USAGE;
            }
            o->batch = (unsigned)v;
            break;
        case OPT_MAX_MESSAGES:
            if (!parse_uint(optarg, 1000000000, &v)) {
                fprintf(stderr,
                        "sdcmon-import: --max-messages needs a whole number, "
                        "not '%s'\n",
                        optarg);
                return EXIT_USAGE;
            }
            o->max_messages = v;
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            exit(0);
        case 'V':
            printf("sdcmon-import %s\n", SDC_VERSION);
            exit(0);
        default:
            fputs("Try 'sdcmon-import --help'.\n", stderr);
            return EXIT_USAGE;
        }
    }
    if (!o->config) {
        fputs("sdcmon-import: no configuration: -c FILE is required; try "
              "--help\n",
              stderr);
        return EXIT_USAGE;
    }
    if (optind >= argc) {
        fputs("sdcmon-import: no CSV file to import; try --help\n", stderr);
        return EXIT_USAGE;
    }
    return 0;
}

/*
 * Hold the data directory's pid file lock (the one sdcmond takes) for the
 * import: refuse when an sdcmond holds it, unless @force.  A pid file made
 * here names this process and is removed at exit.
 * @return: the descriptor to keep open, -1 without a lock (forced), -2 to
 *          stop.
 */
static int lock_data_dir(const char *pidfile, const char *data_dir, bool force,
                         bool *created)
{
    char buf[64];
    int fd;

    *created = false;
    fd = open(pidfile, O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        fd = open(pidfile, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        *created = fd >= 0;
    }
    if (fd < 0) {
        fprintf(stderr,
                "sdcmon-import: cannot open the pid file %s (%s), so cannot "
                "tell whether sdcmond is running%s\n",
                pidfile, strerror(errno),
                force ? "; importing anyway (--force)"
                      : "; stop sdcmond and pass --force");
        return force ? -1 : -2;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ssize_t r = pread(fd, buf, sizeof(buf) - 1, 0);
        bool importer;
        buf[r > 0 ? r : 0] = '\0';
        importer = strstr(buf, "sdcmon-import") != NULL;
        buf[strcspn(buf, " \n")] = '\0';
        close(fd);
        if (importer) {
            fprintf(stderr,
                    "sdcmon-import: another sdcmon-import (pid %s) is "
                    "importing into %s; wait for it to finish\n",
                    *buf ? buf : "?", data_dir);
            return -2;
        }
        if (!force) {
            fprintf(stderr,
                    "sdcmon-import: sdcmond (pid %s) is running on %s (pid "
                    "file %s): stop it before importing history, or pass "
                    "--force to import while it runs (an update it writes "
                    "while an archive is swapped may be lost)\n",
                    *buf ? buf : "?", data_dir, pidfile);
            return -2;
        }
        fprintf(stderr,
                "sdcmon-import: warning: sdcmond (pid %s) is running on %s; "
                "importing anyway (--force)\n",
                *buf ? buf : "?", data_dir);
        return -1;
    }
    if (*created) {
        int n =
            snprintf(buf, sizeof(buf), "%ld sdcmon-import\n", (long)getpid());
        if (n > 0 && write(fd, buf, (size_t)n) != n) {
            /* the lock is what counts; the text only informs */
        }
    }
    return fd;
}

static void fmt_time(time_t t, char *buf, size_t size)
{
    struct tm tm;
    if (t <= 0 || !gmtime_r(&t, &tm) ||
        strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, size, "-");
}

static void history_summary(const struct imp_stats *s, double secs,
                            double read_secs)
{
    uint64_t skipped = 0;
    char a[32], b[32];

    for (int i = 0; i < IMP_SKIP_COUNT; i++)
        skipped += s->skipped[i];
    printf("rows: %" PRIu64 " read, %" PRIu64 " loaded", s->rows, s->loaded);
    if (s->unknown)
        printf(" (%" PRIu64 " unknown)", s->unknown);
    if (s->superseded)
        printf(", %" PRIu64 " superseded by the archives' own data",
               s->superseded);
    printf(", %" PRIu64 " skipped", skipped);
    if (skipped) {
        const char *sep = " (";
        for (int i = 0; i < IMP_SKIP_COUNT; i++) {
            if (!s->skipped[i])
                continue;
            printf("%s%" PRIu64 " %s", sep, s->skipped[i],
                   imp_skip_name((enum imp_skip)i));
            sep = ", ";
        }
        printf(")");
    }
    printf("\n");
    printf("archives: %" PRIu64 " (%" PRIu64 " created, %" PRIu64
           " merged with existing data, %" PRIu64 " failed), %" PRIu64
           " updates",
           s->archives, s->created, s->merged, s->failed, s->updates);
    if (s->bridged)
        printf(", %" PRIu64 " values bridged", s->bridged);
    printf("\n");
    fmt_time(s->first, a, sizeof(a));
    fmt_time(s->last, b, sizeof(b));
    printf("span: %s .. %s\n", a, b);
    printf("time: %.1f s (reading %.1f s, writing %.1f s), %.0f rows/s\n", secs,
           read_secs, secs - read_secs,
           secs > 0 ? (double)s->rows / secs : 0.0);
}

static int run_history(const struct options *o, const struct sdc_config *cfg,
                       char **files, int n_files, struct ui *u)
{
    struct imp_config ic = {
        .data_dir = cfg->data_dir,
        .step = (unsigned)cfg->step,
        .retention = &cfg->retention,
        .rrdcached = cfg->rrdcached,
        .batch = o->batch,
        .jobs = o->jobs,
    };
    struct imp_callbacks cb = {on_row, on_archive, on_progress, u};
    struct imp *im = NULL;
    struct imp_stats s;
    struct sdc_error err;
    bool created = false;
    double t0 = mono_now();
    double t_read = 0;
    int lock_fd;
    int status = 0;
    enum sdc_rc rc;
    char what[512];

    if (mkdir(cfg->data_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr,
                "sdcmon-import: cannot create the data directory %s: %s\n",
                cfg->data_dir, strerror(errno));
        return EXIT_FAILED;
    }
    lock_fd = lock_data_dir(cfg->pidfile, cfg->data_dir, o->force, &created);
    if (lock_fd == -2)
        return EXIT_FAILED;
    rc = imp_open(&ic, &cb, &im, &err);
    if (rc != SDC_OK) {
        fprintf(stderr, "sdcmon-import: %s\n", err.msg);
        status = EXIT_FAILED;
        goto out;
    }
    for (int i = 0; i < n_files; i++) {
        snprintf(what, sizeof(what), "reading %s", files[i]);
        u->what = what;
        rc = imp_read_file(im, files[i], &err);
        clear_progress(u);
        if (rc == SDC_ERR_INVALID) {
            /* no usable header: already reported as FILE:1 */
            status = EXIT_USAGE;
            goto out;
        }
        if (rc != SDC_OK) {
            fprintf(stderr, "sdcmon-import: %s\n", err.msg);
            status = EXIT_FAILED;
            goto out;
        }
    }
    t_read = mono_now() - t0;
    rc = imp_write(im, &err);
    clear_progress(u);
    if (rc != SDC_OK) {
        fprintf(stderr, "sdcmon-import: %s\n", err.msg);
        status = EXIT_FAILED;
        goto out;
    }
    imp_get_stats(im, &s);
    if (u->hidden)
        fprintf(stderr, "... %lu more not shown\n", u->hidden);
    if (!u->quiet)
        history_summary(&s, mono_now() - t0, t_read);
    for (int i = 0; i < IMP_SKIP_COUNT; i++)
        if (s.skipped[i])
            status = EXIT_SKIPPED;
    if (status == EXIT_SKIPPED)
        fprintf(stderr, "sdcmon-import: some rows were not loaded (see "
                        "above)\n");
out:
    imp_free(im);
    if (lock_fd >= 0) {
        if (created)
            unlink(cfg->pidfile);
        close(lock_fd);
    }
    return status;
}

static int run_inventory(const struct sdc_config *cfg, char **files,
                         int n_files, struct ui *u)
{
    struct imp_callbacks cb = {on_row, on_archive, on_progress, u};
    char db[4096];
    int status = 0;

    if (mkdir(cfg->data_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr,
                "sdcmon-import: cannot create the data directory %s: %s\n",
                cfg->data_dir, strerror(errno));
        return EXIT_FAILED;
    }
    snprintf(db, sizeof(db), "%s/inventory.db", cfg->data_dir);
    for (int i = 0; i < n_files; i++) {
        struct imp_inv_stats s;
        struct sdc_error err;
        double t0 = mono_now();
        char what[512];
        enum sdc_rc rc;

        snprintf(what, sizeof(what), "loading %s", files[i]);
        u->what = what;
        rc = imp_inventory_file(db, files[i], &cb, 0, &s, &err);
        clear_progress(u);
        if (rc == SDC_ERR_INVALID)
            return EXIT_USAGE;
        if (rc != SDC_OK) {
            fprintf(stderr, "sdcmon-import: %s: %s (nothing loaded from it)\n",
                    files[i], err.msg);
            return EXIT_FAILED;
        }
        if (u->hidden)
            fprintf(stderr, "... %lu more not shown\n", u->hidden);
        u->hidden = 0;
        u->shown = 0;
        if (!u->quiet) {
            printf("%s: %" PRIu64 " rows, %" PRIu64 " skipped; %.1f s\n",
                   files[i], s.rows, s.skipped, mono_now() - t0);
            for (int k = 0; k < IMP_INV_KIND_COUNT; k++) {
                if (!s.added[k] && !s.updated[k] && !s.kept[k])
                    continue;
                printf("  %-16s %" PRIu64 " added, %" PRIu64
                       " updated, %" PRIu64 " kept (newer in the inventory)\n",
                       imp_inv_kind_name((enum imp_inv_kind)k), s.added[k],
                       s.updated[k], s.kept[k]);
            }
        }
        if (s.skipped)
            status = EXIT_SKIPPED;
    }
    if (status == EXIT_SKIPPED)
        fprintf(stderr, "sdcmon-import: some rows were not loaded (see "
                        "above)\n");
    return status;
}

int main(int argc, char **argv)
{
    struct options o;
    struct sdc_config *cfg = NULL;
    struct sdc_error err;
    struct ui u;
    int rc;

    rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc;
    if (sdc_config_load(o.config, &cfg, &err) != SDC_OK) {
        fprintf(stderr, "sdcmon-import: %s\n", err.msg);
        return err.code == SDC_ERR_NOMEM ? EXIT_FAILED : EXIT_USAGE;
    }
    memset(&u, 0, sizeof(u));
    u.quiet = o.quiet;
    u.tty = !o.quiet && isatty(STDERR_FILENO);
    u.max_messages = o.max_messages;
    u.inventory = o.inventory;
    if (!o.quiet)
        for (size_t i = 0; i < cfg->n_warnings; i++)
            fprintf(stderr, "sdcmon-import: warning: %s\n", cfg->warnings[i]);
    if (o.inventory)
        rc = run_inventory(cfg, argv + optind, argc - optind, &u);
    else
        rc = run_history(&o, cfg, argv + optind, argc - optind, &u);
    fflush(stdout);
    sdc_config_free(cfg);
    return rc;
}
