/*
 * service.c - see service.h.
 */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "service.h"

/* Buffer for getpwnam_r (the records of one account are far shorter). */
#define PW_BUF 16384

/* STATUS= text for @a: the last cycle, or that none has run yet. */
static void status_text(const struct agent *a, char *buf, size_t len)
{
    struct tm tm;
    char when[16];
    if (!a || a->cycles == 0) {
        snprintf(buf, len,
                 "waiting for the first cycle (%zu hypervisors, "
                 "%zu SNMP devices, step %d s)",
                 a ? a->cfg->n_hypervisors : 0, a ? a->cfg->n_snmp : 0,
                 a ? a->cfg->step : 0);
        return;
    }
    localtime_r(&a->last_cycle, &tm);
    strftime(when, sizeof(when), "%H:%M:%S", &tm);
    snprintf(buf, len,
             "cycle %s: %s; %" PRIu64 " cycles, %" PRIu64 " overruns, %" PRIu64
             " target failures",
             when, a->last_summary, a->cycles, a->overruns, a->cycle_errors);
}

void agent_notify_ready(const struct agent *a)
{
    char status[512];
    status_text(a, status, sizeof(status));
    sd_notifyf(0, "READY=1\nMAINPID=%lu\nSTATUS=%s", (unsigned long)getpid(),
               status);
}

void agent_notify_status(const struct agent *a)
{
    char status[512];
    status_text(a, status, sizeof(status));
    sd_notifyf(0, "STATUS=%s", status);
    agent_watchdog_ping();
}

void agent_notify_reloading(void)
{
    sd_notify(0, "RELOADING=1\nSTATUS=reloading the configuration");
}

void agent_notify_stopping(void)
{
    sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

/* WATCHDOG_USEC, read once; 0 = no watchdog. */
static uint64_t watchdog_usec(void)
{
    static int known;
    static uint64_t usec;
    if (!known) {
        uint64_t u = 0;
        if (sd_watchdog_enabled(0, &u) > 0)
            usec = u;
        known = 1;
    }
    return usec;
}

double agent_watchdog_slice(double left)
{
    uint64_t u = watchdog_usec();
    double half = (double)u / 2e6;
    if (u == 0 || left <= half)
        return left;
    return half;
}

void agent_watchdog_ping(void)
{
    if (watchdog_usec())
        sd_notify(0, "WATCHDOG=1");
}

/* Look @name up into @pw (with @buf); SDC_ERR_CONFIG when it is missing. */
static enum sdc_rc lookup_user(const struct sdc_config *cfg, struct passwd *pw,
                               char *buf, size_t len, struct sdc_error *err)
{
    struct passwd *res = NULL;
    int e = getpwnam_r(cfg->user, pw, buf, len, &res);
    if (e != 0 || !res)
        return sdc_error_set(err, SDC_ERR_CONFIG,
                             "%s:%d: user '%s' does not exist%s%s", cfg->path,
                             cfg->user_line, cfg->user, e ? ": " : "",
                             e ? strerror(e)
                               : " (create it, e.g. adduser --system --group "
                                 "sdcmon, or change `user`)");
    return SDC_OK;
}

enum sdc_rc agent_check_user(const struct sdc_config *cfg,
                             struct sdc_error *err)
{
    struct passwd pw;
    char *buf;
    enum sdc_rc rc;
    if (!*cfg->user)
        return SDC_OK;
    buf = malloc(PW_BUF);
    if (!buf)
        return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
    rc = lookup_user(cfg, &pw, buf, PW_BUF, err);
    free(buf);
    return rc;
}

/* Whether the (already switched) process can create files in @path. */
static enum sdc_rc check_writable(const char *path, const char *user,
                                  struct sdc_error *err)
{
    struct stat st;
    if (access(path, W_OK | X_OK) == 0)
        return SDC_OK;
    if (stat(path, &st) != 0)
        return sdc_error_set(err, SDC_ERR_IO, "%s: %s (as user %s)", path,
                             strerror(errno), user);
    return sdc_error_set(err, SDC_ERR_IO,
                         "%s is not writable by user %s (owner uid %u, group "
                         "gid %u, mode %04o): chown -R %s: %s",
                         path, user, (unsigned)st.st_uid, (unsigned)st.st_gid,
                         (unsigned)(st.st_mode & 07777), user, path);
}

/* The account the process runs as, for messages. */
static void current_user(char *out, size_t len)
{
    struct passwd pw, *res = NULL;
    char buf[4096];
    if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &res) == 0 && res)
        snprintf(out, len, "%s", res->pw_name);
    else
        snprintf(out, len, "uid %u", (unsigned)geteuid());
}

enum sdc_rc agent_drop_privileges(const struct sdc_config *cfg, bool created,
                                  struct sdc_error *err)
{
    struct passwd pw;
    char *buf = NULL, me[64], sub[4096];
    enum sdc_rc rc = SDC_OK;

    if (geteuid() != 0) {
        current_user(me, sizeof(me));
        if (*cfg->user && strcmp(me, cfg->user) != 0)
            SDC_NOTICE("user = \"%s\" applies when started as root; running "
                       "as %s",
                       cfg->user, me);
        return SDC_OK;
    }
    if (!*cfg->user) {
        SDC_WARN("running as root: set user = \"sdcmon\" (an account of its "
                 "own) in %s so that sdcmond drops root after start",
                 cfg->path);
        return SDC_OK;
    }
    buf = malloc(PW_BUF);
    if (!buf)
        return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
    if ((rc = lookup_user(cfg, &pw, buf, PW_BUF, err)))
        goto out;
    if (pw.pw_uid == 0) {
        SDC_WARN("user = \"%s\" is root: sdcmond keeps running as root",
                 cfg->user);
        goto out;
    }
    if (created && (chown(cfg->data_dir, pw.pw_uid, pw.pw_gid) != 0 ||
                    chmod(cfg->data_dir, 0750) != 0)) {
        rc = sdc_error_set(err, SDC_ERR_IO, "cannot hand %s to user %s: %s",
                           cfg->data_dir, cfg->user, strerror(errno));
        goto out;
    }
    if (initgroups(pw.pw_name, pw.pw_gid) != 0 || setgid(pw.pw_gid) != 0 ||
        setuid(pw.pw_uid) != 0) {
        rc = sdc_error_set(err, SDC_ERR_IO, "cannot switch to user %s: %s",
                           cfg->user, strerror(errno));
        goto out;
    }
    /* For good: neither the real nor the saved ids may lead back to root. */
    if (setuid(0) == 0 || seteuid(0) == 0 || getuid() != pw.pw_uid ||
        geteuid() != pw.pw_uid || getgid() != pw.pw_gid ||
        getegid() != pw.pw_gid) {
        rc = sdc_error_set(err, SDC_ERR_IO,
                           "switching to user %s left a way back to root; "
                           "refusing to run",
                           cfg->user);
        goto out;
    }
    setenv("HOME", pw.pw_dir && *pw.pw_dir ? pw.pw_dir : "/", 1);
    setenv("USER", pw.pw_name, 1);
    setenv("LOGNAME", pw.pw_name, 1);

    if ((rc = check_writable(cfg->data_dir, cfg->user, err)))
        goto out;
    /* what an earlier run as root may have left behind */
    snprintf(sub, sizeof(sub), "%s/rrd", cfg->data_dir);
    if (access(sub, F_OK) == 0 && (rc = check_writable(sub, cfg->user, err)))
        goto out;
    snprintf(sub, sizeof(sub), "%s/inventory.db", cfg->data_dir);
    if (access(sub, F_OK) == 0 && access(sub, W_OK) != 0) {
        rc = sdc_error_set(err, SDC_ERR_IO,
                           "%s is not writable by user %s: chown -R %s: %s",
                           sub, cfg->user, cfg->user, cfg->data_dir);
        goto out;
    }
    SDC_NOTICE("dropped root: running as %s (uid %u, gid %u)", cfg->user,
               (unsigned)pw.pw_uid, (unsigned)pw.pw_gid);
out:
    free(buf);
    return rc;
}
