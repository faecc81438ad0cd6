/*
 * report_main.c - sdcmon-report: build reports from what the archives and
 * the inventory hold (DESIGN.md section 2).  Subcommands: monthly (the
 * optimisation report); augmentation and digest are reserved for the
 * projection and the daily digest (digest).  Command line, messages and
 * progress here; the work is in monthly.c, digest.c and render.c.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "augment.h"
#include "digest.h"
#include "forecast.h"
#include "monthly.h"
#include "peers.h"
#include "render.h"
#include "sdc/config.h"

#define EXIT_NOTHING 1 /* nothing to report (month not begun, no data) */
#define EXIT_USAGE 2   /* usage or configuration error */
#define EXIT_FAILED 3  /* the data could not be read or the report written */

static const char usage_text[] =
    "Usage: sdcmon-report monthly -c FILE [--month YYYY-MM] [OPTIONS]\n"
    "       sdcmon-report augmentation -c FILE [--horizon 6,12] [OPTIONS]\n"
    "       sdcmon-report digest -c FILE [--date YYYY-MM-DD] [OPTIONS]\n"
    "       sdcmon-report --help | --version\n"
    "\n"
    "Builds reports from the archives (DATA_DIR/rrd) and the inventory\n"
    "(DATA_DIR/inventory.db) that sdcmond writes.\n"
    "\n"
    "monthly - the monthly optimisation report for capacity planners:\n"
    "  what can be reclaimed (VMs shut off all month, idle and oversized\n"
    "  VMs, orphaned volumes), where capacity is tight (undersized VMs, hot\n"
    "  hosts, imbalanced clusters, pools, storages and links over target,\n"
    "  interfaces with errors), the utilisation of every cluster, host,\n"
    "  pool, storage and uplink (mean, 95th percentile, max against its\n"
    "  target), vCPU:CPU, vRAM:RAM and provisioned:physical storage, the\n"
    "  change from the month before, and usage per owner.  Every finding\n"
    "  states its evidence and what it frees or needs; the thresholds come\n"
    "  from the config's `thresholds` and `capacity.targets` and are stated\n"
    "  in the report.\n"
    "\n"
    "  Writes REPORTS_DIR/monthly/YYYY-MM/ (reports.dir, default\n"
    "  DATA_DIR/reports):\n"
    "    report.html   self-contained (inline charts, no scripts), prints to\n"
    "                  PDF cleanly\n"
    "    report.md     the same in Markdown\n"
    "    *.csv         one file per table (RFC 4180; a header naming units)\n"
    "    report.json   every figure with its unit; next month's report reads\n"
    "                  it to show changes, so keep json in --format\n"
    "  The directory is written whole and swapped in atomically.\n"
    "\n"
    "  Percentiles come from the 5-minute rows, kept retention.min5_days\n"
    "  (40 days by default); an older month is read from the hourly rows,\n"
    "  and the report says so.  A month is local time (TZ), from midnight\n"
    "  on its first day.  The month in progress is reported to date.\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE    sdcmon configuration.  Required.\n"
    "  -m, --month YYYY-MM  the month (default: the last complete month).\n"
    "  -f, --format LIST    html,md,csv,json (default: all of them).\n"
    "  -o, --out DIR        write the report into DIR instead of\n"
    "                       REPORTS_DIR/monthly/YYYY-MM.\n"
    "      --previous FILE  the month before's report.json (default:\n"
    "                       REPORTS_DIR/monthly/<month before>/report.json).\n"
    "  -t, --templates DIR  templates directory (default: the config's\n"
    "                       reports.templates, else $SDCMON_TEMPLATES, else\n"
    "                       share/sdcmon/templates beside the program).\n"
    "  -j, --jobs N         threads reading archives (default: 4 per CPU,\n"
    "                       4 to 16; reading waits on the disk more than on\n"
    "                       the CPU).\n"
    "  -q, --quiet          no progress and no summary; only problems.\n"
    "      --no-peers       do not pull the inventories of the config's\n"
    "                       `peers` first (by default each is fetched from\n"
    "                       URL/api/v1/inventory and merged into\n"
    "                       DATA_DIR/inventory.db; a peer that fails is\n"
    "                       named in the report, and the report is still\n"
    "                       written).\n"
    "  -h, --help           this text.\n"
    "  -V, --version        the version.\n"
    "\n"
    "Exit status: 0 the report was written; 1 nothing to report (the month\n"
    "has not begun, or no archive holds data for it); 2 a usage or\n"
    "configuration error (the message names the file and line); 3 the\n"
    "inventory could not be read or the report not written.\n"
    "\n"
    "Files: /etc/sdcmon/sdcmon.conf (the service's configuration),\n"
    "share/sdcmon/templates (the report templates), REPORTS_DIR.\n"
    "\n"
    "Examples:\n"
    "  sdcmon-report monthly -c /etc/sdcmon/sdcmon.conf\n"
    "  sdcmon-report monthly -c /etc/sdcmon/sdcmon.conf --month 2026-10 \\\n"
    "      --format html,json --out /tmp/oct\n"
    "\n"
    "See sdcmon-report(1) and sdcmon.conf(5).\n";

struct options {
    const char *config;
    const char *month;
    const char *format;
    const char *out;
    const char *previous;
    const char *templates;
    unsigned jobs;
    bool quiet;
    bool no_peers;
};

struct ui {
    bool tty;
    bool quiet;
    bool shown;
    struct timespec last;
};

static void usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void usage_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "sdcmon-report: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'sdcmon-report --help'.\n");
}

/*
 * args_done - check what getopt_long() left: no operand, and a -c FILE.
 * @argc, @argv: the subcommand's arguments, after getopt_long()
 * @config:      the -c FILE given, or NULL
 *
 * Prints the usage error itself.
 *
 * Return: 0 when the arguments are complete, EXIT_USAGE otherwise.
 */
static int args_done(int argc, char **argv, const char *config)
{
    if (optind < argc) {
        usage_error("unexpected argument '%s'", argv[optind]);
        return EXIT_USAGE;
    }
    if (!config) {
        usage_error("%s", "no configuration: give -c FILE");
        return EXIT_USAGE;
    }
    return 0;
}

/*
 * load_config - load the configuration, printing its warnings to stderr.
 * @path: the configuration file
 * @cfg:  set to the loaded configuration (free with sdc_config_free())
 *
 * Prints the error itself when the file cannot be loaded.
 *
 * Return: 0 when loaded; EXIT_USAGE for a configuration or I/O error,
 * EXIT_FAILED for any other.
 */
static int load_config(const char *path, struct sdc_config **cfg)
{
    struct sdc_error err = {0};
    if (sdc_config_load(path, cfg, &err) != SDC_OK) {
        fprintf(stderr, "sdcmon-report: %s\n", err.msg);
        return err.code == SDC_ERR_CONFIG || err.code == SDC_ERR_IO
                   ? EXIT_USAGE
                   : EXIT_FAILED;
    }
    for (size_t i = 0; i < (*cfg)->n_warnings; i++)
        fprintf(stderr, "sdcmon-report: warning: %s\n", (*cfg)->warnings[i]);
    return 0;
}

static void on_progress(void *user, const char *what, size_t done, size_t total)
{
    struct ui *u = user;
    struct timespec now;
    double dt;
    if (!u->tty || u->quiet)
        return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    dt = (double)(now.tv_sec - u->last.tv_sec) +
         (double)(now.tv_nsec - u->last.tv_nsec) / 1e9;
    if (dt < 0.2 && done != total)
        return;
    u->last = now;
    fprintf(stderr, "\r\033[Kreading %s: %zu of %zu", what, done, total);
    fflush(stderr);
    u->shown = true;
}

static void clear_progress(struct ui *u)
{
    if (u->shown) {
        fputs("\r\033[K", stderr);
        u->shown = false;
    }
}

static bool parse_jobs(const char *s, unsigned *out)
{
    char *end;
    unsigned long v;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > 64)
        return false;
    *out = (unsigned)v;
    return true;
}

static int parse_args(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"month", required_argument, NULL, 'm'},
        {"format", required_argument, NULL, 'f'},
        {"out", required_argument, NULL, 'o'},
        {"previous", required_argument, NULL, 'p'},
        {"templates", required_argument, NULL, 't'},
        {"jobs", required_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"no-peers", no_argument, NULL, 1001},
        {NULL, 0, NULL, 0}};
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:m:f:o:t:j:qhV", longopts, NULL)) !=
           -1) {
        switch (ch) {
        case 'c':
            o->config = optarg;
            break;
        case 'm':
            o->month = optarg;
            break;
        case 'f':
            o->format = optarg;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'p':
            o->previous = optarg;
            break;
        case 't':
            o->templates = optarg;
            break;
        case 'j':
            if (!parse_jobs(optarg, &o->jobs)) {
                usage_error("--jobs '%s' is not a number from 1 to 64", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'q':
            o->quiet = true;
            break;
        case 1001:
            o->no_peers = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 'V':
            printf("sdcmon-report %s\n", SDC_VERSION);
            return 0;
        default:
            fprintf(stderr, "Try 'sdcmon-report --help'.\n");
            return EXIT_USAGE;
        }
    }
    if (args_done(argc, argv, o->config) != 0)
        return EXIT_USAGE;
    return -1;
}

static int run_monthly(int argc, char **argv)
{
    struct options o = {0};
    struct sdc_config *cfg = NULL;
    struct sdc_error err = {0};
    struct period p;
    struct monthly_report rep = {0};
    struct ui ui = {0};
    struct monthly_opts mo = {0};
    struct render_opts ro = {0};
    char month[16], outdir[4096];
    unsigned formats = RENDER_ALL;
    size_t files = 0;
    time_t now = time(NULL);
    int rc = parse_args(argc, argv, &o);
    enum sdc_rc src;
    struct peer_result *peer_res = NULL;
    size_t n_peer_res = 0;

    if (rc >= 0)
        return rc;
    if (o.format && render_formats_parse(o.format, &formats, &err)) {
        usage_error("--format: %s", err.msg);
        return EXIT_USAGE;
    }
    rc = load_config(o.config, &cfg);
    if (rc != 0)
        return rc;
    if (o.month)
        snprintf(month, sizeof(month), "%s", o.month);
    else
        period_last_month(now, month);
    if (period_month(month, now, &p, &err) != SDC_OK) {
        usage_error("--month: %s", err.msg);
        rc = EXIT_USAGE;
        goto out;
    }
    if (p.future) {
        char today[32];
        struct tm tm;
        localtime_r(&now, &tm);
        strftime(today, sizeof(today), "%Y-%m-%d", &tm);
        fprintf(stderr,
                "sdcmon-report: %s has not begun (today is %s): there is "
                "nothing to report yet.\n",
                p.name, today);
        rc = EXIT_NOTHING;
        goto out;
    }

    /* the other agents' inventories first (DESIGN.md section 8) */
    if (!o.no_peers && cfg->n_peers > 0) {
        struct peers_opts po = {0};
        if (peers_pull_all(cfg, &po, &peer_res, &n_peer_res, &err) != SDC_OK) {
            fprintf(stderr, "sdcmon-report: peers: %s\n", err.msg);
            rc = EXIT_FAILED;
            goto out;
        }
        for (size_t i = 0; i < n_peer_res; i++)
            if (!peer_res[i].ok)
                fprintf(stderr,
                        "sdcmon-report: peer %s: %s; the report goes on "
                        "without its inventory\n",
                        peer_res[i].name, peer_res[i].error);
    }

    ui.tty = isatty(STDERR_FILENO);
    ui.quiet = o.quiet;
    mo.cfg = cfg;
    mo.period = &p;
    mo.now = now;
    mo.jobs = o.jobs;
    mo.prev_path = o.previous;
    mo.progress = on_progress;
    mo.user = &ui;
    src = monthly_build(&mo, &rep, &err);
    clear_progress(&ui);
    if (src != SDC_OK) {
        fprintf(stderr, "sdcmon-report: %s\n", err.msg);
        rc = EXIT_FAILED;
        goto out;
    }
    if (rep.no_data) {
        fprintf(stderr,
                "sdcmon-report: no data for %s: no archive under %s/rrd "
                "holds a value for that month (was sdcmond running, or the "
                "history imported?).  No report written.\n",
                p.name, cfg->data_dir);
        rc = EXIT_NOTHING;
        goto out;
    }

    if (peers_add_to_report(rep.doc, cfg->n_peers, o.no_peers, peer_res,
                            n_peer_res) != SDC_OK) {
        fprintf(stderr, "sdcmon-report: out of memory\n");
        rc = EXIT_FAILED;
        goto out;
    }
    if (o.out)
        snprintf(outdir, sizeof(outdir), "%s", o.out);
    else
        snprintf(outdir, sizeof(outdir), "%s/monthly/%s", cfg->reports.dir,
                 p.name);
    ro.template_dir =
        o.templates ? o.templates : render_config_template_dir(cfg);
    ro.name = "monthly";
    ro.formats = formats;
    ro.out_dir = outdir;
    if (render_report(&rep, &ro, &files, &err) != SDC_OK) {
        fprintf(stderr, "sdcmon-report: %s\n", err.msg);
        rc = err.code == SDC_ERR_INVALID ? EXIT_USAGE : EXIT_FAILED;
        goto out;
    }
    if (!o.quiet) {
        const json_t *t = json_object_get(rep.doc, "totals");
        const json_t *n = json_object_get(rep.doc, "counts");
        const json_t *notes = json_object_get(rep.doc, "notes");
        size_t i;
        const json_t *note;
        printf("sdcmon-report: %s written to %s (%zu files)\n", p.name, outdir,
               files);
        printf("  %lld findings for %lld VMs, %lld hosts; %lld entities with "
               "too little data\n",
               (long long)json_integer_value(json_object_get(n, "findings")),
               (long long)json_integer_value(json_object_get(n, "vms")),
               (long long)json_integer_value(json_object_get(n, "hosts")),
               (long long)json_integer_value(json_object_get(n, "not_judged")));
        printf("  reclaimable: %s, %s memory, %s storage\n",
               json_string_value(json_object_get(
                   json_object_get(t, "reclaimable_vcpus"), "text")),
               json_string_value(json_object_get(
                   json_object_get(t, "reclaimable_memory"), "text")),
               json_string_value(json_object_get(
                   json_object_get(t, "reclaimable_storage"), "text")));
        json_array_foreach(notes, i, note)
            printf("  note: %s\n", json_string_value(note));
    }
    rc = 0;
out:
    free(peer_res);
    monthly_report_free(&rep);
    sdc_config_free(cfg);
    return rc;
}

static const char digest_usage_text[] =
    "Usage: sdcmon-report digest -c FILE [--date YYYY-MM-DD] [OPTIONS]\n"
    "\n"
    "The daily digest: one page on one day (local time; default today so\n"
    "far) - targets up or down and since when, poll errors per target, VMs\n"
    "created, deleted and shut off, the day's peaks of every cluster, host,\n"
    "pool, SNMP storage and uplink against its target, what is over target,\n"
    "and what crossed a target since yesterday (compared with yesterday's\n"
    "digest, or yesterday computed the same way).\n"
    "\n"
    "Writes REPORTS_DIR/digest/YYYY-MM-DD/ (report.html, report.md,\n"
    "report.json), whole and swapped in atomically.\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE    sdcmon configuration.  Required.\n"
    "  -d, --date DATE      the day, YYYY-MM-DD (default: today).\n"
    "  -f, --format LIST    html,md,json (default: all three).\n"
    "  -o, --out DIR        write into DIR instead.\n"
    "      --previous FILE  yesterday's report.json (default:\n"
    "                       REPORTS_DIR/digest/<yesterday>/report.json).\n"
    "  -t, --templates DIR  templates directory.\n"
    "  -q, --quiet          no summary; only problems.\n"
    "\n"
    "Exit status: 0 written; 1 nothing to report (the day has not begun, or\n"
    "neither archives nor inventory hold anything for it); 2 a usage or\n"
    "configuration error; 3 the data could not be read or the report not\n"
    "written.\n";

static int run_digest(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"date", required_argument, NULL, 'd'},
        {"format", required_argument, NULL, 'f'},
        {"out", required_argument, NULL, 'o'},
        {"previous", required_argument, NULL, 'p'},
        {"templates", required_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *config = NULL, *date = NULL, *format = NULL, *out = NULL;
    const char *previous = NULL, *templates = NULL;
    bool quiet = false;
    struct sdc_config *cfg = NULL;
    struct sdc_error err = {0};
    struct monthly_report rep = {0};
    struct digest_opts dopt = {0};
    struct render_opts ro = {0};
    char outdir[4096];
    unsigned formats = RENDER_HTML | RENDER_MD | RENDER_JSON;
    size_t files = 0;
    int ch, rc;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:d:f:o:t:qh", longopts, NULL)) !=
           -1) {
        switch (ch) {
        case 'c':
            config = optarg;
            break;
        case 'd':
            date = optarg;
            break;
        case 'f':
            format = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'p':
            previous = optarg;
            break;
        case 't':
            templates = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            fputs(digest_usage_text, stdout);
            return 0;
        default:
            fprintf(stderr, "Try 'sdcmon-report digest --help'.\n");
            return EXIT_USAGE;
        }
    }
    if (args_done(argc, argv, config) != 0)
        return EXIT_USAGE;
    if (format) {
        if (render_formats_parse(format, &formats, &err)) {
            usage_error("--format: %s", err.msg);
            return EXIT_USAGE;
        }
        if (formats & RENDER_CSV) {
            usage_error("%s", "--format: the digest has no CSV tables "
                              "(html, md, json)");
            return EXIT_USAGE;
        }
    }
    rc = load_config(config, &cfg);
    if (rc != 0)
        return rc;
    {
        struct digest_day day;
        time_t now = time(NULL);
        if (digest_day_parse(date, now, &day, &err) != SDC_OK) {
            usage_error("--date: %s", err.msg);
            rc = EXIT_USAGE;
            goto out;
        }
        if (day.start > now) {
            fprintf(stderr,
                    "sdcmon-report: %s has not begun: there is nothing to "
                    "report yet.\n",
                    day.name);
            rc = EXIT_NOTHING;
            goto out;
        }
        dopt.cfg = cfg;
        dopt.date = day.name;
        dopt.now = now;
        dopt.prev_path = previous;
        if (digest_build(&dopt, &rep, &err) != SDC_OK) {
            fprintf(stderr, "sdcmon-report: %s\n", err.msg);
            rc = err.code == SDC_ERR_INVALID ? EXIT_USAGE : EXIT_FAILED;
            goto out;
        }
        if (rep.no_data) {
            fprintf(stderr,
                    "sdcmon-report: no data for %s: neither the archives "
                    "under %s/rrd nor the inventory hold anything for that "
                    "day.  No digest written.\n",
                    day.name, cfg->data_dir);
            rc = EXIT_NOTHING;
            goto out;
        }
        if (out)
            snprintf(outdir, sizeof(outdir), "%s", out);
        else
            snprintf(outdir, sizeof(outdir), "%s/digest/%s", cfg->reports.dir,
                     day.name);
    }
    ro.template_dir = templates ? templates : render_config_template_dir(cfg);
    ro.name = "digest";
    ro.formats = formats;
    ro.out_dir = outdir;
    if (render_report(&rep, &ro, &files, &err) != SDC_OK) {
        fprintf(stderr, "sdcmon-report: %s\n", err.msg);
        rc = err.code == SDC_ERR_INVALID ? EXIT_USAGE : EXIT_FAILED;
        goto out;
    }
    if (!quiet) {
        const json_t *h = json_object_get(rep.doc, "headline");
#define HT(k) json_number_value(json_object_get(json_object_get(h, k), "value"))
        printf("sdcmon-report: digest %s written to %s (%zu files)\n",
               json_string_value(json_object_get(rep.doc, "date")), outdir,
               files);
        printf("  targets: %.0f up, %.0f down, %.0f failed cycles; VMs: %.0f "
               "created, %.0f deleted, %.0f shut off; %.0f over target, %.0f "
               "crossed a target since yesterday\n",
               HT("targets_up"), HT("targets_down"), HT("poll_errors"),
               HT("vms_created"), HT("vms_deleted"), HT("vms_shut_off"),
               HT("over_target"), HT("crossings"));
#undef HT
    }
    rc = 0;
out:
    monthly_report_free(&rep);
    sdc_config_free(cfg);
    return rc;
}

static const char aug_usage_text[] =
    "Usage: sdcmon-report augmentation -c FILE [--horizon 6,12] [OPTIONS]\n"
    "\n"
    "The augmentation projection for the Secretary: per cluster CPU and\n"
    "memory, per pool and SNMP storage, per uplink, the demand history from\n"
    "the archives' daily rows, a forecast (linear, damped trend, weekly and\n"
    "yearly Holt-Winters, chosen by backtest), planned demand (`planned`)\n"
    "added on its date, the date each crosses target x capacity (runway),\n"
    "and what to buy by when (capacity.host_model, storage_unit_tb,\n"
    "lead_time_days, the clusters' ha_reserve_hosts and max_vcpu_per_cpu),\n"
    "with and without the latest monthly report's reclaimable capacity.\n"
    "\n"
    "Writes REPORTS_DIR/augmentation/YYYY-MM-DD/: report.html, report.md,\n"
    "summary.csv, resources.csv, forecast_paths.csv, horizons.csv,\n"
    "planned.csv, purchases.csv and report.json.\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE    sdcmon configuration.  Required.\n"
    "  -H, --horizon LIST   months ahead for the table and the purchases\n"
    "                       (default 6,12; each 1..60).  The runway is\n"
    "                       looked for 5 years ahead whatever this says.\n"
    "  -d, --date YYYY-MM-DD the report's day (default today, UTC): history\n"
    "                       is read up to the day before.\n"
    "  -f, --format LIST    html,md,csv,json (default: all of them).\n"
    "  -o, --out DIR        write into DIR instead of\n"
    "                       REPORTS_DIR/augmentation/YYYY-MM-DD.\n"
    "      --monthly FILE   the monthly report.json whose reclaimable\n"
    "                       capacity is used (default: the latest under\n"
    "                       REPORTS_DIR/monthly/).\n"
    "  -t, --templates DIR  templates directory.\n"
    "  -j, --jobs N         threads reading and forecasting (default: one\n"
    "                       per CPU).\n"
    "  -q, --quiet          no progress and no summary.\n"
    "\n"
    "Exit status: 0 written; 1 no archive holds any data; 2 usage or\n"
    "configuration error; 3 the report could not be written.\n";

static int run_augmentation(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"horizon", required_argument, NULL, 'H'},
        {"date", required_argument, NULL, 'd'},
        {"format", required_argument, NULL, 'f'},
        {"out", required_argument, NULL, 'o'},
        {"monthly", required_argument, NULL, 'M'},
        {"templates", required_argument, NULL, 't'},
        {"jobs", required_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *config = NULL, *out = NULL, *templates = NULL;
    struct aug_opts ao = {0};
    struct sdc_config *cfg = NULL;
    struct sdc_error err = {0};
    struct monthly_report rep = {0};
    struct render_opts ro = {0};
    struct ui ui = {0};
    unsigned formats = RENDER_ALL;
    char outdir[4096], day[16];
    size_t files = 0;
    int ch, rc;
    time_t now = time(NULL);

    ao.today = (int64_t)(now / 86400);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:H:d:f:o:t:j:qh", longopts, NULL)) !=
           -1) {
        switch (ch) {
        case 'c':
            config = optarg;
            break;
        case 'H':
            if (aug_parse_horizons(optarg, ao.horizons, &ao.n_horizons, &err)) {
                usage_error("--horizon: %s", err.msg);
                return EXIT_USAGE;
            }
            break;
        case 'd':
            if (aug_parse_day(optarg, &ao.today, &err) != SDC_OK) {
                usage_error("--date %s", err.msg);
                return EXIT_USAGE;
            }
            if (ao.today < fc_day_from_ymd(1980, 1, 1) ||
                ao.today > fc_day_from_ymd(2200, 12, 31)) {
                usage_error("--date '%s' is not a date YYYY-MM-DD", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'f':
            if (render_formats_parse(optarg, &formats, &err)) {
                usage_error("--format: %s", err.msg);
                return EXIT_USAGE;
            }
            break;
        case 'o':
            out = optarg;
            break;
        case 'M':
            ao.monthly_path = optarg;
            break;
        case 't':
            templates = optarg;
            break;
        case 'j':
            if (!parse_jobs(optarg, &ao.jobs)) {
                usage_error("--jobs '%s' is not a number from 1 to 64", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'q':
            ui.quiet = true;
            break;
        case 'h':
            fputs(aug_usage_text, stdout);
            return 0;
        default:
            fprintf(stderr, "Try 'sdcmon-report augmentation --help'.\n");
            return EXIT_USAGE;
        }
    }
    if (args_done(argc, argv, config) != 0)
        return EXIT_USAGE;
    rc = load_config(config, &cfg);
    if (rc != 0)
        return rc;
    ui.tty = isatty(STDERR_FILENO);
    ao.cfg = cfg;
    ao.now = now;
    ao.progress = on_progress;
    ao.user = &ui;
    if (aug_build(&ao, &rep, &err) != SDC_OK) {
        clear_progress(&ui);
        fprintf(stderr, "sdcmon-report: %s\n", err.msg);
        rc = err.code == SDC_ERR_INVALID ? EXIT_USAGE : EXIT_FAILED;
        goto out;
    }
    clear_progress(&ui);
    {
        struct tm tm;
        time_t t = (time_t)(ao.today * 86400);
        gmtime_r(&t, &tm);
        strftime(day, sizeof(day), "%Y-%m-%d", &tm);
    }
    if (rep.no_data) {
        fprintf(stderr,
                "sdcmon-report: no data: no cluster, pool, storage or uplink "
                "archive under %s/rrd holds a value in the 5 years before %s "
                "(was sdcmond running, or the history imported?).  No report "
                "written.\n",
                cfg->data_dir, day);
        rc = EXIT_NOTHING;
        goto out;
    }
    if (out)
        snprintf(outdir, sizeof(outdir), "%s", out);
    else
        snprintf(outdir, sizeof(outdir), "%s/augmentation/%s", cfg->reports.dir,
                 day);
    ro.template_dir = templates ? templates : render_config_template_dir(cfg);
    ro.name = "augmentation";
    ro.formats = formats;
    ro.out_dir = outdir;
    ro.tables = aug_tables;
    ro.n_tables = aug_n_tables;
    if (render_report(&rep, &ro, &files, &err) != SDC_OK) {
        fprintf(stderr, "sdcmon-report: %s\n", err.msg);
        rc = err.code == SDC_ERR_INVALID ? EXIT_USAGE : EXIT_FAILED;
        goto out;
    }
    if (!ui.quiet) {
        size_t i;
        const json_t *row;
        printf("sdcmon-report: augmentation %s written to %s (%zu files)\n",
               day, outdir, files);
        json_array_foreach(json_object_get(rep.doc, "summary"), i, row) printf(
            "  %s\n", json_string_value(json_object_get(row, "sentence")));
        json_array_foreach(json_object_get(rep.doc, "notes"), i, row)
            printf("  note: %s\n", json_string_value(row));
    }
    rc = 0;
out:
    monthly_report_free(&rep);
    sdc_config_free(cfg);
    return rc;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL;
    if (!cmd) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("sdcmon-report %s\n", SDC_VERSION);
        return 0;
    }
    if (strcmp(cmd, "monthly") == 0)
        return run_monthly(argc - 1, argv + 1);
    if (strcmp(cmd, "digest") == 0)
        return run_digest(argc - 1, argv + 1);
    if (strcmp(cmd, "augmentation") == 0)
        return run_augmentation(argc - 1, argv + 1);
    usage_error("unknown report '%s' (expected monthly, augmentation or "
                "digest)",
                cmd);
    return EXIT_USAGE;
}
