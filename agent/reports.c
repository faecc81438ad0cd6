/*
 * reports.c - the scheduled reports' thread (reports.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <jansson.h>

#include "delivery.h"
#include "digest.h"
#include "augment.h"
#include "figure.h"
#include "monthly.h"
#include "peers.h"
#include "render.h"
#include "reports.h"
#include "sdc/log.h"
#include "thread_util.h"

/* Test instrumentation: SDCMON_TEST_REPORT_PAUSE=SECONDS holds each report
 * between building and writing it, so a test can kill sdcmond mid-report.
 * Honoured only with a step under 10 s (test configurations), logged. */
#define PAUSE_ENV "SDCMON_TEST_REPORT_PAUSE"

struct reports {
    char *config_path;
    struct sdc_config *cfg;
    char state_path[4096];
    struct reports_state st;
    struct delivery *hook; /* webhook POSTs */
    struct delivery *mail; /* mails: not queued behind a webhook's retries */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* CLOCK_MONOTONIC */
    bool stop;
    bool reload;
    struct sdc_config *pending; /* loaded by reports_reload, not yet in use */
};

static bool stopping(struct reports *r)
{
    bool stop;
    pthread_mutex_lock(&r->lock);
    stop = r->stop;
    pthread_mutex_unlock(&r->lock);
    return stop;
}

static double fig_value_of(const json_t *h, const char *key)
{
    return fig_value(json_object_get(h, key));
}

/* ----------------------------------------------------------- schedule */

/* -1, 0, 1 as local wall-clock time @a is before, at, after @b (date and
 * time of day; both normalised). */
static int wall_cmp(const struct tm *a, const struct tm *b)
{
    const int x[] = {a->tm_year, a->tm_mon, a->tm_mday,
                     a->tm_hour, a->tm_min, a->tm_sec};
    const int y[] = {b->tm_year, b->tm_mon, b->tm_mday,
                     b->tm_hour, b->tm_min, b->tm_sec};
    for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

/*
 * The time @second after local midnight of the day @mday of month @mon0
 * (both normalised, so mday 0 is the month before's last day).  Every call
 * gives the same answer for the same day, whatever the clock says and
 * whatever mktime() was asked before (glibc's mktime reads an ambiguous or
 * skipped time with a hint left by its previous call, so tm_isdst = -1
 * alone could put the digest at either 02:30 of the night the clocks go
 * back, and run it twice):
 * - a wall-clock time that occurs twice (DST ends) is its first occurrence;
 * - a time the clock skips (DST starts: 02:00 jumps to 03:00) is the moment
 *   the clock skips it (03:00), as cron does.
 */
static time_t at_local(int year, int mon0, int mday, int second)
{
    struct tm want, tm, got;
    time_t best = (time_t)-1, lo = (time_t)-1, hi = (time_t)-1;

    /* the date, normalised at noon (which every day has) */
    memset(&want, 0, sizeof(want));
    want.tm_year = year - 1900;
    want.tm_mon = mon0;
    want.tm_mday = mday;
    want.tm_hour = 12;
    want.tm_isdst = -1;
    if (mktime(&want) == (time_t)-1)
        return (time_t)-1;
    want.tm_hour = second / 3600;
    want.tm_min = second / 60 % 60;
    want.tm_sec = second % 60;

    /* read as standard time and as summer time; keep the readings that
     * show that very wall-clock time, the earliest */
    for (int dst = 0; dst <= 1; dst++) {
        time_t t;
        tm = want;
        tm.tm_isdst = dst;
        t = mktime(&tm);
        if (t == (time_t)-1 || !localtime_r(&t, &got))
            continue;
        if (lo == (time_t)-1 || t < lo)
            lo = t;
        if (hi == (time_t)-1 || t > hi)
            hi = t;
        if (wall_cmp(&got, &want) == 0 && (best == (time_t)-1 || t < best))
            best = t;
    }
    if (best != (time_t)-1 || lo == (time_t)-1)
        return best;
    /* skipped: the first second whose wall-clock time is past it (the
     * clock's jump lies between the two readings) */
    while (lo < hi) {
        time_t mid = lo + (hi - lo) / 2;
        if (!localtime_r(&mid, &got))
            return hi;
        if (wall_cmp(&got, &want) >= 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

time_t reports_daily_last(time_t now, int second)
{
    struct tm tm;
    time_t t;
    localtime_r(&now, &tm);
    t = at_local(tm.tm_year + 1900, tm.tm_mon, tm.tm_mday, second);
    if (t > now)
        t = at_local(tm.tm_year + 1900, tm.tm_mon, tm.tm_mday - 1, second);
    return t;
}

time_t reports_daily_next(time_t after, int second)
{
    struct tm tm;
    time_t t;
    localtime_r(&after, &tm);
    t = at_local(tm.tm_year + 1900, tm.tm_mon, tm.tm_mday, second);
    if (t <= after)
        t = at_local(tm.tm_year + 1900, tm.tm_mon, tm.tm_mday + 1, second);
    return t;
}

time_t reports_monthly_last(time_t now, int day, int second)
{
    struct tm tm;
    time_t t;
    localtime_r(&now, &tm);
    t = at_local(tm.tm_year + 1900, tm.tm_mon, day, second);
    if (t > now)
        t = at_local(tm.tm_year + 1900, tm.tm_mon - 1, day, second);
    return t;
}

time_t reports_monthly_next(time_t after, int day, int second)
{
    struct tm tm;
    time_t t;
    localtime_r(&after, &tm);
    t = at_local(tm.tm_year + 1900, tm.tm_mon, day, second);
    if (t <= after)
        t = at_local(tm.tm_year + 1900, tm.tm_mon + 1, day, second);
    return t;
}

size_t reports_monthly_owed(time_t done, time_t last, int day, int second,
                            time_t *out, size_t max)
{
    size_t n = 0;
    time_t t;
    if (last <= done)
        return 0;
    if (done <= 0) {
        /* nothing recorded to count from: only the latest */
        if (max > 0)
            out[0] = last;
        return 1;
    }
    for (t = reports_monthly_next(done, day, second);
         t != (time_t)-1 && t <= last && t > done;
         t = reports_monthly_next(t, day, second)) {
        if (max > 0) {
            /* keep the latest @max: shift the oldest out */
            if (n >= max)
                memmove(out, out + 1, (max - 1) * sizeof(*out));
            out[n < max ? n : max - 1] = t;
        }
        n++;
    }
    return n;
}

void reports_monthly_period(time_t due, char *buf, size_t len)
{
    char m[PERIOD_MONTH_LEN];
    period_last_month(due, m);
    snprintf(buf, len, "%s", m);
}

/* -------------------------------------------------------------- state */

static bool parse_time(const char *s, time_t *out)
{
    char *end;
    long long v;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s || (*end && *end != '\n') || v < 0)
        return false;
    *out = (time_t)v;
    return true;
}

enum sdc_rc reports_state_read(const char *path, struct reports_state *st,
                               bool *found, struct sdc_error *err)
{
    FILE *f = fopen(path, "re");
    char line[256];
    int n = 0;

    memset(st, 0, sizeof(*st));
    *found = false;
    if (!f) {
        if (errno == ENOENT)
            return SDC_OK;
        return sdc_error_set(err, SDC_ERR_IO, "cannot read %s: %s", path,
                             strerror(errno));
    }
    while (fgets(line, sizeof(line), f)) {
        char key[32], val[200], *sp;
        n++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        sp = strchr(line, ' ');
        if (!sp || (size_t)(sp - line) >= sizeof(key)) {
            fclose(f);
            return sdc_error_set(err, SDC_ERR_INVALID,
                                 "%s:%d: not a schedule record line", path, n);
        }
        memcpy(key, line, (size_t)(sp - line));
        key[sp - line] = 0;
        snprintf(val, sizeof(val), "%s", sp + 1);
        val[strcspn(val, "\n")] = 0;
        if (strcmp(key, "running") == 0) {
            if (strcmp(val, "digest") != 0 && strcmp(val, "monthly") != 0 &&
                *val) {
                fclose(f);
                return sdc_error_set(err, SDC_ERR_INVALID,
                                     "%s:%d: unknown report '%s'", path, n,
                                     val);
            }
            snprintf(st->running, sizeof(st->running), "%s", val);
            continue;
        }
        if ((strcmp(key, "digest_done") == 0 &&
             parse_time(val, &st->digest_done)) ||
            (strcmp(key, "monthly_done") == 0 &&
             parse_time(val, &st->monthly_done)) ||
            (strcmp(key, "running_due") == 0 &&
             parse_time(val, &st->running_due)) ||
            (strcmp(key, "running_since") == 0 &&
             parse_time(val, &st->running_since)))
            continue;
        fclose(f);
        return sdc_error_set(err, SDC_ERR_INVALID, "%s:%d: bad line '%.60s'",
                             path, n, line);
    }
    fclose(f);
    *found = true;
    return SDC_OK;
}

enum sdc_rc reports_state_write(const char *path,
                                const struct reports_state *st,
                                struct sdc_error *err)
{
    char tmp[4200], dir[4096], buf[512];
    int fd, len;
    char *slash;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    len = snprintf(buf, sizeof(buf),
                   "# sdcmond's report schedule: when each report was last "
                   "due and done.\n"
                   "# Written by sdcmond; remove it to start the schedule "
                   "afresh.\n"
                   "digest_done %lld\nmonthly_done %lld\nrunning %s\n"
                   "running_due %lld\nrunning_since %lld\n",
                   (long long)st->digest_done, (long long)st->monthly_done,
                   st->running, (long long)st->running_due,
                   (long long)st->running_since);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return sdc_error_set(err, SDC_ERR_IO, "cannot write %s: %s", tmp,
                             strerror(errno));
    if (write(fd, buf, (size_t)len) != len || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return sdc_error_set(err, SDC_ERR_IO, "cannot write %s: %s", tmp,
                             strerror(e));
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return sdc_error_set(err, SDC_ERR_IO, "cannot rename %s: %s", tmp,
                             strerror(e));
    }
    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (slash) {
        *slash = 0;
        fd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
            fsync(fd);
            close(fd);
        }
    }
    return SDC_OK;
}

/* ------------------------------------------------------------- helpers */

static void mkdirs(const char *path)
{
    char p[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(p))
        return;
    memcpy(p, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != 0)
            continue;
        p[i] = 0;
        mkdir(p, 0755);
        p[i] = i < n ? '/' : 0;
    }
}

static void save_state(struct reports *r)
{
    struct sdc_error e;
    if (reports_state_write(r->state_path, &r->st, &e) != SDC_OK)
        SDC_ERROR("reports: %s", e.msg);
}

static void fmt_local(time_t t, char *buf, size_t len)
{
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* Wait @seconds on the thread's condition unless stopping; true: stop. */
static bool wait_or_stop(struct reports *r, double seconds)
{
    struct timespec until;
    bool stop;
    if (seconds < 0)
        seconds = 0;
    until = agent_deadline_after(seconds);
    pthread_mutex_lock(&r->lock);
    while (!r->stop && !r->reload &&
           pthread_cond_timedwait(&r->cond, &r->lock, &until) != ETIMEDOUT)
        ;
    stop = r->stop;
    pthread_mutex_unlock(&r->lock);
    return stop;
}

/* The test pause between building a report and writing it. */
static void test_pause(struct reports *r, const char *what)
{
    const char *s = getenv(PAUSE_ENV);
    char *end;
    double v;
    if (!s || !*s)
        return;
    v = strtod(s, &end);
    if (*end || !(v > 0) || v > 3600)
        return;
    if (r->cfg->step >= 10) {
        SDC_WARN("reports: %s is for tests and ignored with a step of %d s",
                 PAUSE_ENV, r->cfg->step);
        return;
    }
    SDC_WARN("reports: %s: holding the %s %.1f s before writing it (test)",
             PAUSE_ENV, what, v);
    while (v > 0 && !stopping(r)) {
        double slice = fmin(v, 0.2);
        usleep((useconds_t)(slice * 1e6));
        v -= slice;
    }
}

static char *read_whole(const char *path)
{
    FILE *f = fopen(path, "re");
    char *p = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
        n < 16 * 1024 * 1024 && fseek(f, 0, SEEK_SET) == 0) {
        p = malloc((size_t)n + 1);
        if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
            free(p);
            p = NULL;
        } else if (p) {
            p[n] = 0;
        }
    }
    fclose(f);
    return p;
}

/* The webhook's body: what was written and its headline figures. */
static void post_report(struct reports *r, const char *kind, const char *period,
                        const char *dir, json_t *headline)
{
    json_t *b = json_object(), *files = json_array();
    char host[256] = "", when[64], *text;
    static const char *const names[] = {"report.html", "report.md",
                                        "report.json", NULL};
    if (!*r->cfg->reports.webhook_url) {
        json_decref(headline);
        json_decref(b);
        json_decref(files);
        return;
    }
    gethostname(host, sizeof(host) - 1);
    fmt_local(time(NULL), when, sizeof(when));
    for (int i = 0; names[i]; i++) {
        char p[4200];
        struct stat st;
        snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
        if (stat(p, &st) == 0)
            json_array_append_new(files, json_string(names[i]));
    }
    json_object_set_new(b, "source", json_string("sdcmond"));
    json_object_set_new(b, "host", json_string(host));
    json_object_set_new(b, "kind", json_string(kind));
    json_object_set_new(b, "period", json_string(period));
    json_object_set_new(b, "path", json_string(dir));
    json_object_set_new(b, "files", files);
    json_object_set_new(b, "generated", json_string(when));
    json_object_set_new(b, "headline", headline ? headline : json_object());
    text = json_dumps(b, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text)
        delivery_post(r->hook, r->cfg->reports.webhook_url, text);
    else
        SDC_ERROR("webhook: out of memory; %s %s not posted", kind, period);
    free(text);
    json_decref(b);
}

/* {"key": value} of every figure (and boolean) of @h. */
static json_t *values_of(const json_t *h)
{
    json_t *o = json_object();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)h, k, v)
    {
        if (json_is_object(v) && json_object_get(v, "value"))
            json_object_set(o, k, json_object_get(v, "value"));
        else if (json_is_boolean(v) || json_is_number(v))
            json_object_set(o, k, v);
    }
    return o;
}

/* -------------------------------------------------------------- digest */

static void run_digest(struct reports *r, time_t due)
{
    struct digest_opts o = {0};
    struct monthly_report rep = {0};
    struct render_opts ro = {0};
    struct sdc_error e = {0};
    struct digest_day day;
    char dir[4096];
    double t0 = (double)time(NULL);
    size_t files = 0;
    struct tm tm;
    char date[DIGEST_DATE_LEN];

    localtime_r(&due, &tm);
    snprintf(date, sizeof(date), "%04d-%02d-%02d", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday);
    if (digest_day_parse(date, due, &day, &e) != SDC_OK) {
        SDC_ERROR("digest: %s", e.msg);
        return;
    }
    {
        char when[32];
        fmt_local(due, when, sizeof(when));
        SDC_NOTICE("digest: writing the digest of %s (due %s)", date, when);
    }
    o.cfg = r->cfg;
    o.date = date;
    o.now = time(NULL);
    o.until = due;
    if (digest_build(&o, &rep, &e) != SDC_OK) {
        SDC_ERROR("digest: %s: %s", date, e.msg);
        return;
    }
    if (rep.no_data) {
        SDC_NOTICE("digest: no data for %s: nothing written", date);
        monthly_report_free(&rep);
        return;
    }
    test_pause(r, "digest");
    snprintf(dir, sizeof(dir), "%s/digest/%s", r->cfg->reports.dir, date);
    ro.template_dir = render_config_template_dir(r->cfg);
    ro.name = "digest";
    ro.formats = RENDER_HTML | RENDER_MD | RENDER_JSON;
    ro.out_dir = dir;
    if (render_report(&rep, &ro, &files, &e) != SDC_OK) {
        SDC_ERROR("digest: %s: %s", date, e.msg);
        monthly_report_free(&rep);
        return;
    }
    {
        const json_t *h = json_object_get(rep.doc, "headline");
        double down = fig_value_of(h, "targets_down");
        double over = fig_value_of(h, "over_target");
        double cross = fig_value_of(h, "crossings");
        SDC_NOTICE("digest: %s written to %s in %.0f s: %.0f targets down, "
                   "%.0f over target, %.0f crossed since yesterday",
                   date, dir, (double)time(NULL) - t0, down, over, cross);
        post_report(r, "digest", date, dir, values_of(h));
        if (*r->cfg->reports.mail_to) {
            char subject[200], p[4200];
            char *text, *html;
            snprintf(subject, sizeof(subject),
                     "sdcmon daily digest %s: %.0f down, %.0f over target, "
                     "%.0f crossed",
                     date, down, over, cross);
            snprintf(p, sizeof(p), "%s/report.md", dir);
            text = read_whole(p);
            snprintf(p, sizeof(p), "%s/report.html", dir);
            html = read_whole(p);
            if (text)
                delivery_mail(r->mail, r->cfg->reports.sendmail,
                              r->cfg->reports.mail_to,
                              r->cfg->reports.mail_from, subject, text, html);
            else
                SDC_ERROR("mail: cannot read %s/report.md; not mailed", dir);
            free(text);
            free(html);
        }
    }
    monthly_report_free(&rep);
}

/* -------------------------------------------------------- augmentation */

/*
 * The augmentation projection, written with the monthly report (after it,
 * so that its reclaimable capacity is the month just written).  Its day is
 * today (UTC, as sdcmon-report augmentation counts days).
 */
static void run_augmentation(struct reports *r)
{
    struct aug_opts ao = {0};
    struct monthly_report rep = {0};
    struct render_opts ro = {0};
    struct sdc_error e = {0};
    char day[DIGEST_DATE_LEN], dir[4096];
    size_t files = 0;
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    snprintf(day, sizeof(day), "%04d-%02d-%02d", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday);
    ao.cfg = r->cfg;
    ao.today = (int64_t)(now / 86400);
    ao.now = now;
    ao.jobs = 2; /* leave the CPUs to polling */
    SDC_NOTICE("augmentation report: writing %s", day);
    if (aug_build(&ao, &rep, &e) != SDC_OK) {
        SDC_ERROR("augmentation report: %s", e.msg);
    } else if (rep.no_data) {
        SDC_NOTICE("augmentation report: no archive holds data: nothing "
                   "written");
    } else {
        snprintf(dir, sizeof(dir), "%s/augmentation/%s", r->cfg->reports.dir,
                 day);
        ro.template_dir = render_config_template_dir(r->cfg);
        ro.name = "augmentation";
        ro.formats = RENDER_ALL;
        ro.out_dir = dir;
        ro.tables = aug_tables;
        ro.n_tables = aug_n_tables;
        if (render_report(&rep, &ro, &files, &e) != SDC_OK) {
            SDC_ERROR("augmentation report: %s: %s", day, e.msg);
        } else {
            json_t *h = json_object();
            size_t n = json_array_size(json_object_get(rep.doc, "summary"));
            SDC_NOTICE("augmentation report: %s written to %s (%zu files)", day,
                       dir, files);
            json_object_set_new(h, "resources", json_integer((json_int_t)n));
            post_report(r, "augmentation", day, dir, h);
        }
    }
    monthly_report_free(&rep);
}

/* ------------------------------------------------------------- monthly */

static void run_monthly(struct reports *r, time_t due, bool project)
{
    char month[PERIOD_MONTH_LEN], dir[4096];
    struct period p;
    struct monthly_opts mo = {0};
    struct monthly_report rep = {0};
    struct render_opts ro = {0};
    struct sdc_error e = {0};
    size_t files = 0;
    double t0 = (double)time(NULL);
    struct peer_result *peer_res = NULL;
    size_t n_peer_res = 0;

    reports_monthly_period(due, month, sizeof(month));
    if (period_month(month, time(NULL), &p, &e) != SDC_OK) {
        SDC_ERROR("monthly report: %s", e.msg);
        return;
    }
    SDC_NOTICE("monthly report: writing %s", month);
    /* the other agents' inventories first (DESIGN.md section 8); a peer
     * that fails is named in the log and the report, never fatal */
    if (r->cfg->n_peers > 0) {
        struct peers_opts po = {0};
        if (peers_pull_all(r->cfg, &po, &peer_res, &n_peer_res, &e) != SDC_OK)
            SDC_ERROR("monthly report: peers: %s", e.msg);
        for (size_t i = 0; i < n_peer_res; i++)
            if (!peer_res[i].ok)
                SDC_WARN("monthly report: peer %s: %s; the report goes on "
                         "without its inventory",
                         peer_res[i].name, peer_res[i].error);
    }
    mo.cfg = r->cfg;
    mo.period = &p;
    mo.now = time(NULL);
    mo.jobs = 2; /* leave the CPUs to polling */
    if (monthly_build(&mo, &rep, &e) != SDC_OK) {
        SDC_ERROR("monthly report: %s: %s", month, e.msg);
        free(peer_res);
        return;
    }
    if (!rep.no_data && peers_add_to_report(rep.doc, r->cfg->n_peers, false,
                                            peer_res, n_peer_res) != SDC_OK)
        SDC_ERROR("monthly report: %s: out of memory noting the peers", month);
    free(peer_res);
    if (rep.no_data) {
        SDC_NOTICE("monthly report: no data for %s: nothing written", month);
    } else {
        test_pause(r, "monthly report");
        snprintf(dir, sizeof(dir), "%s/monthly/%s", r->cfg->reports.dir, month);
        ro.template_dir = render_config_template_dir(r->cfg);
        ro.name = "monthly";
        ro.formats = RENDER_ALL;
        ro.out_dir = dir;
        if (render_report(&rep, &ro, &files, &e) != SDC_OK) {
            SDC_ERROR("monthly report: %s: %s", month, e.msg);
        } else {
            json_t *h = json_object();
            const json_t *t = json_object_get(rep.doc, "totals");
            const json_t *c = json_object_get(rep.doc, "counts");
            SDC_NOTICE("monthly report: %s written to %s (%zu files) in %.0f "
                       "s",
                       month, dir, files, (double)time(NULL) - t0);
            json_object_set_new(h, "findings",
                                json_deep_copy(json_object_get(c, "findings")));
            json_object_set_new(h, "vms",
                                json_deep_copy(json_object_get(c, "vms")));
            json_object_set_new(
                h, "reclaimable_vcpus",
                json_real(fig_value(json_object_get(t, "reclaimable_vcpus"))));
            json_object_set_new(
                h, "reclaimable_memory_bytes",
                json_real(fig_value(json_object_get(t, "reclaimable_memory"))));
            json_object_set_new(h, "reclaimable_storage_bytes",
                                json_real(fig_value(json_object_get(
                                    t, "reclaimable_storage"))));
            post_report(r, "monthly", month, dir, h);
        }
    }
    monthly_report_free(&rep);

    if (project)
        run_augmentation(r);
}

/* -------------------------------------------------------------- thread */

/* What the outbox's items are sent to again: the running config's. */
static void set_targets(struct reports *r)
{
    delivery_target_webhook(r->hook, r->cfg->reports.webhook_url);
    delivery_target_mail(r->mail, r->cfg->reports.sendmail,
                         r->cfg->reports.mail_to, r->cfg->reports.mail_from);
}

/* Take the configuration reports_reload() staged, between reports. */
static void do_reload(struct reports *r)
{
    struct sdc_config *cfg;
    pthread_mutex_lock(&r->lock);
    cfg = r->pending;
    r->pending = NULL;
    pthread_mutex_unlock(&r->lock);
    if (!cfg)
        return;
    sdc_config_free(r->cfg);
    r->cfg = cfg;
    set_targets(r);
    mkdirs(r->cfg->reports.dir);
    snprintf(r->state_path, sizeof(r->state_path), "%s/.schedule",
             r->cfg->reports.dir);
    SDC_INFO("reports: configuration reloaded (reports in %s)",
             r->cfg->reports.dir);
}

/* Run the report of @kind due at @due, recorded before and after (a
 * monthly report with the projection after it when @project). */
static void run_due(struct reports *r, const char *kind, time_t due,
                    time_t done, bool project)
{
    char a[32], b[32];
    fmt_local(due, a, sizeof(a));
    if (done && strcmp(kind, "digest") == 0) {
        /* (missed monthly reports are each written: run_monthly_owed) */
        time_t next =
            reports_daily_next(done, r->cfg->reports.daily_digest_second);
        if (next < due) {
            fmt_local(next, b, sizeof(b));
            SDC_WARN("reports: the %s due at %s was missed (sdcmond was not "
                     "running); only the latest, due at %s, is written",
                     kind, b, a);
        }
    }
    if (strcmp(r->st.running, kind) == 0 && r->st.running_due == due) {
        fmt_local(r->st.running_since, b, sizeof(b));
        SDC_WARN("reports: the %s due at %s was interrupted (started %s); "
                 "writing it again",
                 kind, a, b);
    } else if (time(NULL) - due > 60) {
        SDC_NOTICE("reports: the %s due at %s was missed; writing it now", kind,
                   a);
    }
    snprintf(r->st.running, sizeof(r->st.running), "%s", kind);
    r->st.running_due = due;
    r->st.running_since = time(NULL);
    save_state(r);
    if (strcmp(kind, "digest") == 0)
        run_digest(r, due);
    else
        run_monthly(r, due, project);
    if (strcmp(kind, "digest") == 0)
        r->st.digest_done = due;
    else
        r->st.monthly_done = due;
    r->st.running[0] = 0;
    r->st.running_due = r->st.running_since = 0;
    save_state(r);
}

/*
 * Every monthly report owed, up to the one due at @last: each due time
 * after the recorded monthly_done, oldest first, at most
 * REPORTS_MONTHLY_CATCHUP (older ones are given up, recorded as such and
 * named once in the log with the command that writes them).  Each one is
 * recorded as it is done, so a kill resumes at the month in hand; the
 * projection runs once, after the last.
 */
static void run_monthly_owed(struct reports *r, time_t last)
{
    const struct sdc_reports_cfg *rc = &r->cfg->reports;
    time_t due[REPORTS_MONTHLY_CATCHUP];
    size_t total, n, i;
    char a[32], b[32];

    total = reports_monthly_owed(r->st.monthly_done, last, rc->monthly_day,
                                 REPORTS_MONTHLY_SECOND, due,
                                 REPORTS_MONTHLY_CATCHUP);
    if (total == 0)
        return;
    n = total < REPORTS_MONTHLY_CATCHUP ? total : REPORTS_MONTHLY_CATCHUP;
    if (total > n) {
        /* the ones given up: from the first after the record to the one
         * before the first written */
        char list[1024] = "";
        size_t len = 0, k = 0;
        time_t t = reports_monthly_next(r->st.monthly_done, rc->monthly_day,
                                        REPORTS_MONTHLY_SECOND);
        time_t gave_up = r->st.monthly_done;
        for (; t != (time_t)-1 && t < due[0];
             t = reports_monthly_next(t, rc->monthly_day,
                                      REPORTS_MONTHLY_SECOND)) {
            char m[PERIOD_MONTH_LEN];
            reports_monthly_period(t, m, sizeof(m));
            if (len + 16 < sizeof(list))
                len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
                                        k ? ", " : "", m);
            else if (len + 5 < sizeof(list) && list[len - 1] != '.')
                len +=
                    (size_t)snprintf(list + len, sizeof(list) - len, ", ...");
            gave_up = t;
            k++;
        }
        SDC_WARN("reports: %zu missed monthly reports are older than the "
                 "latest %d and are not written: %s; write one with "
                 "`sdcmon-report monthly -c %s --month YYYY-MM`",
                 total - n, REPORTS_MONTHLY_CATCHUP, list, r->config_path);
        r->st.monthly_done = gave_up;
        save_state(r);
    }
    if (n > 1) {
        char m0[PERIOD_MONTH_LEN], m1[PERIOD_MONTH_LEN];
        reports_monthly_period(due[0], m0, sizeof(m0));
        reports_monthly_period(due[n - 1], m1, sizeof(m1));
        fmt_local(due[0], a, sizeof(a));
        fmt_local(due[n - 1], b, sizeof(b));
        SDC_WARN("reports: %zu monthly reports were missed (sdcmond was not "
                 "running), due from %s to %s: writing them oldest first, "
                 "%s to %s",
                 n, a, b, m0, m1);
    }
    for (i = 0; i < n; i++) {
        if (i > 0 && stopping(r))
            return; /* recorded: the next start resumes here */
        run_due(r, "monthly", due[i], r->st.monthly_done, i + 1 == n);
    }
}

/*
 * A record of reports done later than the next one due: the clock was set
 * back (a machine that booted with its clock years ahead, then corrected
 * by NTP).  Left alone, no report would run until that time came again;
 * start the schedule afresh from now instead, logged.  (A record equal to
 * the next time due is a clock stepped back a little after that report:
 * it is not written twice.)
 */
static void check_clock(struct reports *r, time_t now)
{
    const struct sdc_reports_cfg *rc = &r->cfg->reports;
    time_t dn = reports_daily_next(now, rc->daily_digest_second);
    time_t mn =
        reports_monthly_next(now, rc->monthly_day, REPORTS_MONTHLY_SECOND);
    char a[32], b[32];
    bool changed = false;
    if (r->st.digest_done > dn) {
        fmt_local(r->st.digest_done, a, sizeof(a));
        fmt_local(now, b, sizeof(b));
        SDC_WARN("reports: %s records a digest due at %s, after the clock's "
                 "%s (was the clock set back?): the digest schedule starts "
                 "afresh from now",
                 r->state_path, a, b);
        r->st.digest_done = reports_daily_last(now, rc->daily_digest_second);
        changed = true;
    }
    if (r->st.monthly_done > mn) {
        fmt_local(r->st.monthly_done, a, sizeof(a));
        fmt_local(now, b, sizeof(b));
        SDC_WARN("reports: %s records a monthly report due at %s, after the "
                 "clock's %s (was the clock set back?): the monthly schedule "
                 "starts afresh from now",
                 r->state_path, a, b);
        r->st.monthly_done =
            reports_monthly_last(now, rc->monthly_day, REPORTS_MONTHLY_SECOND);
        changed = true;
    }
    if (changed)
        save_state(r);
}

static void *run(void *arg)
{
    struct reports *r = arg;

    /* signals are main()'s (sigtimedwait), whoever started this thread;
     * the reporter's worker threads inherit this mask */
    agent_thread_block_signals();
    /* below the poller: reports may wait, cycles may not */
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10) != 0)
        SDC_INFO("reports: cannot lower the report thread's priority: %s",
                 strerror(errno));
    for (;;) {
        time_t now, dd, md, next;
        bool reload;
        pthread_mutex_lock(&r->lock);
        reload = r->reload;
        r->reload = false;
        pthread_mutex_unlock(&r->lock);
        if (stopping(r))
            break;
        if (reload)
            do_reload(r);
        now = time(NULL);
        if (r->cfg->reports.scheduled) {
            check_clock(r, now);
            dd = reports_daily_last(now, r->cfg->reports.daily_digest_second);
            md = reports_monthly_last(now, r->cfg->reports.monthly_day,
                                      REPORTS_MONTHLY_SECOND);
            if (md > r->st.monthly_done) {
                run_monthly_owed(r, md);
                continue;
            }
            if (dd > r->st.digest_done) {
                run_due(r, "digest", dd, r->st.digest_done, true);
                continue;
            }
            next = reports_daily_next(now, r->cfg->reports.daily_digest_second);
            dd = reports_monthly_next(now, r->cfg->reports.monthly_day,
                                      REPORTS_MONTHLY_SECOND);
            if (dd < next)
                next = dd;
        } else {
            next = now + 60;
        }
        /* wake at the due second, and at least every 5 s in case the
         * wall clock was set */
        {
            struct timespec ts;
            double w;
            clock_gettime(CLOCK_REALTIME, &ts);
            w = (double)next - ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
            if (wait_or_stop(r, fmin(fmax(w, 0.0), 5.0)))
                break;
        }
    }
    return NULL;
}

enum sdc_rc reports_start(const char *config_path, struct reports **out,
                          struct sdc_error *err)
{
    struct reports *r = calloc(1, sizeof(*r));
    pthread_condattr_t ca;
    bool found = false;
    enum sdc_rc rc;
    char a[32], b[32];
    time_t now = time(NULL);

    *out = NULL;
    if (!r || !(r->config_path = strdup(config_path))) {
        free(r);
        return sdc_error_set(err, SDC_ERR_NOMEM, "reports: out of memory");
    }
    rc = sdc_config_load(config_path, &r->cfg, err);
    if (rc != SDC_OK)
        goto fail;
    mkdirs(r->cfg->reports.dir);
    snprintf(r->state_path, sizeof(r->state_path), "%s/.schedule",
             r->cfg->reports.dir);
    rc = reports_state_read(r->state_path, &r->st, &found, err);
    if (rc == SDC_ERR_INVALID) {
        SDC_ERROR("reports: %s; starting the schedule afresh", err->msg);
        found = false;
        rc = SDC_OK;
    }
    if (rc != SDC_OK)
        goto fail;
    if (!found) {
        /* a first start owes nothing: the schedule starts now */
        r->st.digest_done =
            reports_daily_last(now, r->cfg->reports.daily_digest_second);
        r->st.monthly_done = reports_monthly_last(
            now, r->cfg->reports.monthly_day, REPORTS_MONTHLY_SECOND);
        save_state(r);
    }
    fmt_local(reports_daily_next(now, r->cfg->reports.daily_digest_second), a,
              sizeof(a));
    fmt_local(reports_monthly_next(now, r->cfg->reports.monthly_day,
                                   REPORTS_MONTHLY_SECOND),
              b, sizeof(b));
    if (r->cfg->reports.scheduled)
        SDC_INFO("reports: next digest at %s, next monthly report at %s "
                 "(record %s)",
                 a, b, r->state_path);
    else
        SDC_INFO("reports: scheduled reports are off (reports.scheduled)");
    {
        /* the outbox (agent/delivery.h): in the reports directory as at
         * start; the targets follow the running config */
        char outbox[4200];
        snprintf(outbox, sizeof(outbox), "%s/.outbox", r->cfg->reports.dir);
        rc = delivery_start_outbox(&r->hook, outbox, false, err);
        if (rc == SDC_OK &&
            (rc = delivery_start_outbox(&r->mail, outbox, true, err)) != SDC_OK)
            delivery_stop(r->hook);
    }
    if (rc != SDC_OK)
        goto fail;
    set_targets(r);
    pthread_mutex_init(&r->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&r->thread, NULL, run, r) != 0) {
        pthread_cond_destroy(&r->cond);
        pthread_mutex_destroy(&r->lock);
        delivery_stop(r->hook);
        delivery_stop(r->mail);
        rc =
            sdc_error_set(err, SDC_ERR_NOMEM, "reports: cannot start a thread");
        goto fail;
    }
    *out = r;
    return SDC_OK;
fail:
    sdc_config_free(r->cfg);
    free(r->config_path);
    free(r);
    return rc;
}

void reports_reload(struct reports *r)
{
    struct sdc_config *cfg = NULL, *old;
    struct sdc_error e;
    if (!r)
        return;
    /* read now, on the caller's thread, right after the caller's own
     * reading: the report thread may be busy for minutes, and the file
     * may be half rewritten by then */
    if (sdc_config_load(r->config_path, &cfg, &e) != SDC_OK) {
        SDC_ERROR("reports: reload: %s; keeping the running configuration",
                  e.msg);
        return;
    }
    pthread_mutex_lock(&r->lock);
    old = r->pending;
    r->pending = cfg;
    r->reload = true;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
    sdc_config_free(old);
}

void reports_stop(struct reports *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->stop = true;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    delivery_stop(r->hook);
    delivery_stop(r->mail);
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    sdc_config_free(r->pending);
    sdc_config_free(r->cfg);
    free(r->config_path);
    free(r);
}
