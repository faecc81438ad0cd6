/*
 * main.c - sdcmond: the sdcmon agent.  Command line, daemon mode, signals,
 * the cycle clock.  The only place in sdcmon that calls exit().
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "reports.h"
#include "rrd_proc.h"
#include "sdc/config.h"
#include "service.h"
#include "sdc/log.h"
#include "web.h"
#include "web_auth.h"

#define EXIT_CONFIG 2

/* The snapshots the agent publishes for the web view (agent/web.c); they
 * outlive an agent replaced by a reload. */
static struct snap_store web_snaps;

/* The store the agent publishes into: none while the web view is off
 * (--once, `listen = ""`, a port taken), so no cycle builds a snapshot
 * that nobody reads. */
static struct snap_store *web_snaps_if_serving(void)
{
    return *web_url() ? &web_snaps : NULL;
}

static const char usage_text[] =
    "Usage: sdcmond -c FILE [--foreground] [--once | --cycles N] [--log-level "
    "LEVEL]\n"
    "       sdcmond -c FILE --check-config\n"
    "\n"
    "sdcmond polls every hypervisor of the configuration through libvirt "
    "(VMs:\n"
    "CPU, memory, disks, NICs; hosts; storage pools) once every `step` "
    "seconds,\n"
    "on multiples of `step` of the wall clock, and writes what it reads into "
    "RRD\n"
    "archives under DATA_DIR/rrd/ (directly, or through rrdcached) and an\n"
    "inventory of names, sizes and states under DATA_DIR/inventory.db.\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE      configuration file (libconfig syntax; see\n"
    "                         sdcmon.conf.example).  Required.\n"
    "  -f, --foreground       do not detach; log to standard error.\n"
    "      --once             poll every target once, now, write, and exit 0.\n"
    "      --cycles N         run N cycles, `step` seconds apart, then exit "
    "0.\n"
    "                         --once and --cycles imply --foreground.\n"
    "      --check-config     validate the configuration and exit: 0 when it "
    "is\n"
    "                         valid (warnings are printed), 2 when it is not.\n"
    "  -l, --log-level LEVEL  error, warning, notice, info (default) or "
    "debug;\n"
    "                         overrides the configuration's log_level.\n"
    "  -p, --pidfile FILE     pid file (default: the configuration's pidfile,\n"
    "                         DATA_DIR/sdcmond.pid); it also stops a second\n"
    "                         agent on the same data directory.\n"
    "  -h, --help             this text.\n"
    "  -V, --version          the version.\n"
    "\n"
    "Each hypervisor is read on a thread of its own; a cycle waits at most "
    "the\n"
    "hypervisor's `timeout`, and one that is still busy is skipped, logged "
    "and\n"
    "counted, without delaying the others.  A cycle that overruns `step` is\n"
    "logged and counted.\n"
    "\n"
    "Signals:\n"
    "  SIGTERM, SIGINT  finish the cycle in flight, flush, exit 0.\n"
    "  SIGHUP           reload the configuration; an invalid one is reported "
    "and\n"
    "                   the running configuration kept.\n"
    "\n"
    "Logging: standard error in the foreground, syslog (daemon facility) when\n"
    "detached.\n"
    "\n"
    "Exit status: 0 success; 1 a run-time failure (data directory, archives,\n"
    "inventory); 2 a configuration or usage error (the message names the file\n"
    "and line).\n"
    "\n"
    "As a service: started as root with `user` in the configuration, sdcmond\n"
    "takes its pid file and binds its sockets, then becomes that account for\n"
    "good before it opens any archive.  With NOTIFY_SOCKET set (systemd\n"
    "Type=notify) it sends READY=1 before the first cycle, STATUS= after each\n"
    "cycle, RELOADING=1/READY=1 around SIGHUP, STOPPING=1 on SIGTERM, and\n"
    "WATCHDOG=1 when WATCHDOG_USEC is set.\n"
    "\n"
    "Files:\n"
    "  /etc/sdcmon/sdcmon.conf             the configuration (sdcmon.conf(5))\n"
    "  DATA_DIR/rrd/<kind>/<id>/<name>.rrd the archives\n"
    "  DATA_DIR/inventory.db               the inventory (SQLite)\n"
    "  DATA_DIR/sdcmond.pid                the pid file (locked while "
    "running)\n"
    "\n"
    "Examples:\n"
    "  sdcmond -c /etc/sdcmon/sdcmon.conf --check-config\n"
    "  sdcmond -c /etc/sdcmon/sdcmon.conf --once --log-level debug\n"
    "  systemctl reload sdcmond            # SIGHUP: reload the configuration\n"
    "\n"
    "See sdcmond(8) and sdcmon.conf(5).\n";

struct options {
    const char *config;
    const char *pidfile;
    bool foreground;
    bool once;
    long cycles; /* 0 = forever */
    bool check;
    const char *log_level;
};

static void stderr_sink(enum sdc_log_level level, const char *msg, void *user)
{
    static const char *const names[] = {"emerg",   "alert",  "crit", "error",
                                        "warning", "notice", "info", "debug"};
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    (void)user;
    localtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S%z", &tm);
    fprintf(stderr, "%s sdcmond[%ld]: %s: %s\n", ts, (long)getpid(),
            (int)level >= 0 && (int)level < 8 ? names[level] : "log", msg);
    fflush(stderr);
}

static void syslog_sink(enum sdc_log_level level, const char *msg, void *user)
{
    (void)user;
    syslog((int)level, "%s", msg);
}

static int parse_args(int argc, char **argv, struct options *o)
{
    enum { OPT_ONCE = 256, OPT_CYCLES, OPT_CHECK };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"foreground", no_argument, NULL, 'f'},
        {"once", no_argument, NULL, OPT_ONCE},
        {"cycles", required_argument, NULL, OPT_CYCLES},
        {"check-config", no_argument, NULL, OPT_CHECK},
        {"log-level", required_argument, NULL, 'l'},
        {"pidfile", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    memset(o, 0, sizeof(*o));
    while ((ch = getopt_long(argc, argv, "c:fl:p:hV", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            o->config = optarg;
            break;
        case 'f':
            o->foreground = true;
            break;
        case OPT_ONCE:
            o->once = true;
            break;
        case OPT_CYCLES: {
            char *end;
            errno = 0;
            o->cycles = strtol(optarg, &end, 10);
            if (errno || *end || o->cycles < 1) {
                fprintf(stderr,
                        "sdcmond: --cycles needs a positive whole "
                        "number, not '%s'\n",
                        optarg);
                return EXIT_CONFIG;
            }
            break;
        }
        case OPT_CHECK:
            o->check = true;
            break;
        case 'l':
            o->log_level = optarg;
            break;
        case 'p':
            o->pidfile = optarg;
            break;
        case 'h':
            fputs(usage_text, stdout);
            exit(0);
        case 'V':
            printf("sdcmond %s\n", SDC_VERSION);
            exit(0);
        default:
            fputs("Try 'sdcmond --help'.\n", stderr);
            return EXIT_CONFIG;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sdcmond: unexpected argument '%s'; try --help\n",
                argv[optind]);
        return EXIT_CONFIG;
    }
    if (!o->config) {
        fputs("sdcmond: no configuration: -c FILE is required; try --help\n",
              stderr);
        return EXIT_CONFIG;
    }
    if (o->once && o->cycles) {
        fputs("sdcmond: --once and --cycles exclude each other\n", stderr);
        return EXIT_CONFIG;
    }
    if (o->once)
        o->cycles = 1;
    if (o->cycles)
        o->foreground = true;
    return 0;
}

/* Take the pid file: one agent per data directory. */
static int pidfile_take(const char *path)
{
    char buf[32];
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    int n;
    if (fd < 0) {
        SDC_ERROR("cannot open pid file %s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ssize_t r = read(fd, buf, sizeof(buf) - 1);
        buf[r > 0 ? r : 0] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        SDC_ERROR("another sdcmond (pid %s) is running with pid file %s",
                  *buf ? buf : "?", path);
        close(fd);
        return -1;
    }
    n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || write(fd, buf, (size_t)n) != n) {
        SDC_ERROR("cannot write pid file %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static void log_warnings(const struct sdc_config *cfg)
{
    for (size_t i = 0; i < cfg->n_warnings; i++)
        SDC_WARN("%s", cfg->warnings[i]);
}

/*
 * Wait until @until (wall clock) or a signal.  Signals are blocked in every
 * thread and taken here only, so a signal never interrupts a cycle.
 * @return: the signal, or 0 when the time came.
 */
static int wait_until(const sigset_t *set, double until)
{
    for (;;) {
        struct timespec now, ts;
        double left;
        int sig;
        clock_gettime(CLOCK_REALTIME, &now);
        left = until - ((double)now.tv_sec + (double)now.tv_nsec / 1e9);
        if (left <= 0)
            return 0;
        left = agent_watchdog_slice(left);
        ts.tv_sec = (time_t)left;
        ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
        sig = sigtimedwait(set, NULL, &ts);
        if (sig > 0)
            return sig;
        agent_watchdog_ping();
        /* A timeout may end a hair early: loop until the time has come,
         * so a cycle never starts (and stamps its samples) before it. */
    }
}

/* A pending signal, without waiting; 0 if none. */
static int poll_signal(const sigset_t *set)
{
    struct timespec zero = {0, 0};
    int sig = sigtimedwait(set, NULL, &zero);
    return sig > 0 ? sig : 0;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct agent *reload(struct agent *old, const char *path)
{
    struct sdc_config *cfg = NULL;
    struct sdc_error err;
    struct agent *a = NULL;

    SDC_NOTICE("SIGHUP: reloading %s", path);
    agent_notify_reloading();
    if (sdc_config_load(path, &cfg, &err) != SDC_OK) {
        SDC_ERROR("reload: %s; keeping the running configuration", err.msg);
        agent_notify_ready(old);
        return old;
    }
    log_warnings(cfg);
    if (strcmp(cfg->user, old->cfg->user) != 0)
        SDC_WARN("reload: user \"%s\" (was \"%s\") takes effect at the next "
                 "start",
                 cfg->user, old->cfg->user);
    if (agent_open(cfg, &a, &err) != SDC_OK) {
        SDC_ERROR("reload: %s; keeping the running configuration", err.msg);
        sdc_config_free(cfg);
        agent_notify_ready(old);
        return old;
    }
    agent_close(old);
    SDC_NOTICE("reload: %zu hypervisors, step %d s", a->cfg->n_hypervisors,
               a->cfg->step);
    /* web view: the new configuration's listen address, users, TLS */
    if (web_reload(a->cfg, &err) != SDC_OK)
        SDC_ERROR("reload: %s; the web view is off", err.msg);
    a->snaps = web_snaps_if_serving();
    agent_notify_ready(a);
    return a;
}

int main(int argc, char **argv)
{
    struct options o;
    struct sdc_config *cfg = NULL;
    struct sdc_error err;
    struct agent *a = NULL;
    struct reports *rep = NULL;
    /* static: still reachable on every early return (no leak report) */
    static char *abs_config;
    enum sdc_log_level level = SDC_LOG_INFO;
    sigset_t sigs;
    int pid_fd = -1, rc, status = 0;
    bool created;
    long done = 0;
    char *pidpath = NULL;
    double next;

    /* the archives' update process (poller/rrd_proc.h): nothing else */
    if (argc == 2 && strcmp(argv[1], RRDP_CHILD_ARG) == 0)
        return rrdp_child_main(STDIN_FILENO);

    rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc;
    /* daemon() moves to /: the report thread and SIGHUP reload the config
     * by its path, so keep it absolute */
    abs_config = realpath(o.config, NULL);
    if (abs_config)
        o.config = abs_config;

    if (sdc_config_load(o.config, &cfg, &err) != SDC_OK) {
        fprintf(stderr, "sdcmond: %s\n", err.msg);
        return err.code == SDC_ERR_CONFIG || err.code == SDC_ERR_IO
                   ? EXIT_CONFIG
                   : 1;
    }
    if (o.log_level || cfg->log_level) {
        const char *name = o.log_level ? o.log_level : cfg->log_level;
        if (!sdc_log_level_parse(name, &level)) {
            fprintf(stderr,
                    "sdcmond: unknown log level '%s' (error, warning, "
                    "notice, info, debug)\n",
                    name);
            sdc_config_free(cfg);
            return EXIT_CONFIG;
        }
    }
    if (o.check && agent_check_user(cfg, &err) != SDC_OK) {
        fprintf(stderr, "sdcmond: %s\n", err.msg);
        sdc_config_free(cfg);
        return EXIT_CONFIG;
    }
    if (o.check && *cfg->web.users_file) {
        struct web_users *u = NULL;
        if (web_users_load(cfg->web.users_file, &u, &err) != SDC_OK) {
            fprintf(stderr, "sdcmond: %s\n", err.msg);
            sdc_config_free(cfg);
            return EXIT_CONFIG;
        }
        web_users_free(u);
    }
    if (o.check) {
        for (size_t i = 0; i < cfg->n_warnings; i++)
            fprintf(stderr, "sdcmond: warning: %s\n", cfg->warnings[i]);
        printf("%s: configuration OK: %zu hypervisors, %zu SNMP devices, step "
               "%d s, data in %s\n",
               o.config, cfg->n_hypervisors, cfg->n_snmp, cfg->step,
               cfg->data_dir);
        sdc_config_free(cfg);
        return 0;
    }

    if (o.foreground) {
        sdc_log_set_sink(stderr_sink, NULL, level);
    } else {
        if (daemon(0, 0) != 0) {
            fprintf(stderr, "sdcmond: cannot detach: %s\n", strerror(errno));
            sdc_config_free(cfg);
            return 1;
        }
        openlog("sdcmond", LOG_PID, LOG_DAEMON);
        sdc_log_set_sink(syslog_sink, NULL, level);
    }
    log_warnings(cfg);

    /* Block the signals we handle in every thread before any is started. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    created = mkdir(cfg->data_dir, 0755) == 0;
    if (!created && errno != EEXIST) {
        SDC_ERROR("cannot create data directory %s: %s", cfg->data_dir,
                  strerror(errno));
        sdc_config_free(cfg);
        return 1;
    }
    pidpath = strdup(o.pidfile ? o.pidfile : cfg->pidfile);
    pid_fd = pidpath ? pidfile_take(pidpath) : -1;
    if (pid_fd < 0) {
        sdc_config_free(cfg);
        free(pidpath);
        return 1;
    }
    /* The web view, before root is dropped (a port below 1024) and before
     * the first cycle (so the readiness notice follows it); not with --once.
     * Not listening (the port taken) is logged, not fatal: polling matters
     * more; a bad users file or TLS key is a config error.  The server
     * copies what it needs from @cfg. */
    snap_store_init(&web_snaps);
    if (!o.once && web_start(cfg, &web_snaps, &err) != SDC_OK) {
        SDC_ERROR("%s", err.msg);
        if (err.code == SDC_ERR_CONFIG) {
            sdc_config_free(cfg);
            close(pid_fd);
            unlink(pidpath);
            free(pidpath);
            return EXIT_CONFIG;
        }
    }
    /* Root is needed no further: whatever binds a privileged port must do
     * so above this line.  Everything below creates files as `user`. */
    if (agent_drop_privileges(cfg, created, &err) != SDC_OK) {
        SDC_ERROR("%s", err.msg);
        web_stop();
        sdc_config_free(cfg);
        close(pid_fd);
        unlink(pidpath);
        free(pidpath);
        return err.code == SDC_ERR_CONFIG ? EXIT_CONFIG : 1;
    }
    if (agent_open(cfg, &a, &err) != SDC_OK) {
        SDC_ERROR("%s", err.msg);
        web_stop();
        sdc_config_free(cfg);
        unlink(pidpath);
        free(pidpath);
        return 1;
    }
    a->snaps = web_snaps_if_serving();
    SDC_NOTICE("sdcmond %s started: %zu hypervisors, step %d s, data in %s%s%s",
               SDC_VERSION, a->cfg->n_hypervisors, a->cfg->step,
               a->cfg->data_dir, *a->cfg->rrdcached ? ", rrdcached " : "",
               a->cfg->rrdcached);
    /* Scheduled reports on a thread of their own (not for --once). */
    if (!o.once && reports_start(o.config, &rep, &err) != SDC_OK)
        SDC_ERROR("reports: %s; no scheduled reports", err.msg);

    agent_notify_ready(a);

    /* --once starts now; otherwise cycles start on multiples of step. */
    next = o.once ? wall_now()
                  : (double)sched_first_start(wall_now(), a->cfg->step);
    for (;;) {
        int sig = wait_until(&sigs, next);
        time_t cycle;
        double end;
        if (sig == SIGTERM || sig == SIGINT) {
            SDC_NOTICE("signal %d: stopping", sig);
            agent_notify_stopping();
            break;
        }
        if (sig == SIGHUP) {
            struct agent *was = a;
            a = reload(a, o.config);
            if (a != was) /* the same file the agent just took */
                reports_reload(rep);
            next = (double)sched_first_start(wall_now(), a->cfg->step);
            continue;
        }
        cycle = (time_t)next;
        if (agent_cycle(a, cycle, &err) != SDC_OK) {
            SDC_ERROR("cycle: %s", err.msg);
            status = 1;
        }
        done++;
        agent_notify_status(a);
        if (o.cycles && done >= o.cycles)
            break;
        end = wall_now();
        {
            long missed;
            next = (double)sched_next_start(cycle, end, a->cfg->step, &missed);
            if (missed > 0) {
                a->overruns++;
                SDC_WARN("cycle %lld took %.1f s, more than the step of %d s: "
                         "%ld cycle start(s) missed (overrun %" PRIu64 "); %s",
                         (long long)cycle, end - (double)cycle, a->cfg->step,
                         missed, a->overruns, a->last_timing);
            }
        }
        /* SIGTERM during the cycle: the cycle is finished, stop now. */
        sig = poll_signal(&sigs);
        if (sig == SIGTERM || sig == SIGINT) {
            SDC_NOTICE("signal %d: stopping after the cycle in flight", sig);
            agent_notify_stopping();
            break;
        }
        if (sig == SIGHUP) {
            struct agent *was = a;
            a = reload(a, o.config);
            if (a != was)
                reports_reload(rep);
            next = (double)sched_first_start(wall_now(), a->cfg->step);
        }
    }
    /* the archives first: a monthly report in progress (it cannot be cut
     * short) must not keep them unflushed until a stop timeout kills
     * sdcmond.  The report thread has its own configuration and
     * connections; killed mid-report, .schedule has the report redone.
     * The web view reads only the snapshots, which outlive the agent. */
    agent_close(a);
    reports_stop(rep);
    web_stop();
    snap_store_destroy(&web_snaps);
    SDC_NOTICE("sdcmond stopped");
    close(pid_fd);
    unlink(pidpath);
    free(pidpath);
    free(abs_config);
    return status;
}
