/*
 * test_service.c - sdcmond as a service, without systemd: the notification
 * protocol read from a unix datagram socket of the test's own (what
 * systemd does with NOTIFY_SOCKET), dropping root for the configured
 * account (when the test runs as root), and an install tree made by
 * `cmake --install` whose programs find their templates beside them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <grp.h>
#include <math.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "integration/itest.h"
#include "testutil.h"

#define FIX SDC_SOURCE_DIR "/tests/fixtures"

struct ctx {
    char *dir;
    int nfd;            /* the notification socket */
    char npath[256];    /* its path */
    char msgs[1 << 16]; /* every message received, separated by '|' */
    size_t mlen;
};

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    c->dir = tu_tmpdir("service");
    assert_non_null(c->dir);
    c->nfd = -1;
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    if (c->nfd >= 0)
        close(c->nfd);
    tu_drop_tmpdir(c->dir);
    free(c);
    return 0;
}

/* A datagram socket at DIR/notify, writable by anyone (sdcmond may have
 * dropped root by the time it writes). */
static void notify_open(struct ctx *c)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(c->npath, sizeof(c->npath), "%s/notify", c->dir);
    assert_true(strlen(c->npath) < sizeof(a.sun_path));
    memcpy(a.sun_path, c->npath, strlen(c->npath) + 1);
    c->nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(c->nfd >= 0);
    assert_int_equal(bind(c->nfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(chmod(c->npath, 0777), 0);
}

/*
 * Receive messages until one holds @what (a line of it, e.g. "READY=1");
 * every message is kept in c->msgs.  @return: a copy of that message (the
 * caller frees), NULL on timeout.
 */
static char *notify_wait(struct ctx *c, const char *what, int timeout_ms)
{
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct pollfd p = {.fd = c->nfd, .events = POLLIN};
        char buf[4096];
        ssize_t n;
        long left;
        clock_gettime(CLOCK_MONOTONIC, &now);
        left = timeout_ms - ((now.tv_sec - t0.tv_sec) * 1000 +
                             (now.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return NULL;
        n = recv(c->nfd, buf, sizeof(buf) - 1, 0);
        if (n <= 0)
            continue;
        buf[n] = '\0';
        if (c->mlen + (size_t)n + 2 < sizeof(c->msgs)) {
            memcpy(c->msgs + c->mlen, buf, (size_t)n);
            c->mlen += (size_t)n;
            c->msgs[c->mlen++] = '|';
            c->msgs[c->mlen] = '\0';
        }
        /* a whole line: at the start or after a newline */
        for (const char *h = buf; (h = strstr(h, what)); h++)
            if (h == buf || h[-1] == '\n')
                return strdup(buf);
    }
}

/* Occurrences of @what in every message received so far. */
static int notify_count(const struct ctx *c, const char *what)
{
    int k = 0;
    for (const char *h = c->msgs; (h = strstr(h, what)); h += strlen(what))
        k++;
    return k;
}

/* Start the built sdcmond with @args (NULL-ended, after "-c CONF"), the
 * notification socket and, if @wd_usec, WATCHDOG_USEC/WATCHDOG_PID. */
static pid_t start_sdcmond(struct ctx *c, const char *conf, long wd_usec)
{
    char *argv[] = {(char *)tu_sdcmond(), "-c", (char *)conf, "--foreground",
                    NULL};
    char log[512], wd[32];
    pid_t pid;
    snprintf(log, sizeof(log), "%s/sdcmond.log", c->dir);
    setenv("NOTIFY_SOCKET", c->npath, 1);
    if (wd_usec) {
        snprintf(wd, sizeof(wd), "%ld", wd_usec);
        setenv("WATCHDOG_USEC", wd, 1);
    }
    pid = tu_spawn(argv, log);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    assert_true(pid > 0);
    return pid;
}

/* Domains of the libvirt test fixture @xml, as virsh counts them. */
static int fixture_vms(const char *xml)
{
    char *out = NULL;
    int n = -1;
    if (tu_runf(&out, "virsh -c 'test://%s' list --all --name | grep -c .",
                xml) == 0)
        n = (int)strtol(out, NULL, 10);
    free(out);
    return n;
}

/* ---- READY, STATUS, WATCHDOG, RELOADING, STOPPING ---- */

static void test_notify_protocol(void **state)
{
    struct ctx *c = *state;
    char body[1024], want[128], mainpid[64], *m, *pidfile, *log;
    int vms = fixture_vms(FIX "/hv-a.xml");
    pid_t pid;
    char *conf;

    assert_true(vms > 0);
    notify_open(c);
    snprintf(body, sizeof(body),
             "step = 2;\nhypervisors = ( { name = \"hv-a\"; uri = "
             "\"test://%s/hv-a.xml\"; } );\n",
             FIX);
    conf = it_write_config(c->dir, body);
    pid = start_sdcmond(c, conf, 1000000);

    /* READY=1 with MAINPID, after the pid file is taken */
    m = notify_wait(c, "READY=1", 15000);
    assert_non_null(m);
    snprintf(mainpid, sizeof(mainpid), "MAINPID=%ld", (long)pid);
    assert_non_null(strstr(m, mainpid));
    assert_non_null(strstr(m, "STATUS=waiting for the first cycle (1 "
                              "hypervisors, 0 SNMP devices, step 2 s)"));
    free(m);
    pidfile = it_path(c->dir, "data/sdcmond.pid");
    assert_true(access(pidfile, F_OK) == 0);

    /* STATUS= after a cycle, with what the cycle read */
    m = notify_wait(c, "STATUS=cycle", 15000);
    assert_non_null(m);
    snprintf(want, sizeof(want), "1/1 hypervisors answered, %d VMs", vms);
    assert_non_null(strstr(m, want));
    assert_non_null(strstr(m, "; 1 cycles, 0 overruns, 0 target failures"));
    free(m);
    /* the archives it reports are there */
    assert_int_equal(it_count_files(c->dir, "cpu.rrd"), vms + 2);

    /* WATCHDOG=1 every half second while it waits (WATCHDOG_USEC = 1 s) */
    m = notify_wait(c, "STATUS=cycle", 15000);
    assert_non_null(m);
    free(m);
    assert_true(notify_count(c, "WATCHDOG=1") >= 2);

    /* SIGHUP: RELOADING=1, then READY=1 again */
    kill(pid, SIGHUP);
    m = notify_wait(c, "RELOADING=1", 10000);
    assert_non_null(m);
    free(m);
    m = notify_wait(c, "READY=1", 10000);
    assert_non_null(m);
    free(m);
    assert_true(it_wait_log(c->dir, "reload: 1 hypervisors", 1, 5000));

    /* SIGHUP with a broken config: READY=1 again, old config kept */
    assert_true(tu_write_file(conf, "step = 2;\nbogus_key = 1;\n", 0600));
    kill(pid, SIGHUP);
    m = notify_wait(c, "RELOADING=1", 10000);
    assert_non_null(m);
    free(m);
    m = notify_wait(c, "READY=1", 10000);
    assert_non_null(m);
    free(m);
    assert_true(
        it_wait_log(c->dir, "keeping the running configuration", 1, 5000));
    m = notify_wait(c, "STATUS=cycle", 15000);
    assert_non_null(m);
    assert_non_null(strstr(m, want)); /* still polling hv-a */
    free(m);

    /* SIGTERM: STOPPING=1 and exit 0 */
    kill(pid, SIGTERM);
    m = notify_wait(c, "STOPPING=1", 15000);
    assert_non_null(m);
    free(m);
    assert_int_equal(tu_wait_exit(pid, 15000), 0);
    assert_true(access(pidfile, F_OK) != 0);

    log = it_read_log(c->dir);
    assert_non_null(log);
    assert_null(strstr(log, "error: cycle"));
    free(log);
    free(pidfile);
    free(conf);
}

/* Without WATCHDOG_USEC no WATCHDOG=1 is sent; without NOTIFY_SOCKET it
 * runs as before. */
static void test_no_watchdog(void **state)
{
    struct ctx *c = *state;
    char body[1024], *m, *out = NULL;
    pid_t pid;
    char *conf;

    notify_open(c);
    snprintf(body, sizeof(body),
             "step = 1;\nhypervisors = ( { name = \"hv-a\"; uri = "
             "\"test://%s/hv-a.xml\"; } );\n",
             FIX);
    conf = it_write_config(c->dir, body);
    pid = start_sdcmond(c, conf, 0);
    m = notify_wait(c, "READY=1", 15000);
    assert_non_null(m);
    free(m);
    for (int i = 0; i < 2; i++) {
        m = notify_wait(c, "STATUS=cycle", 15000);
        assert_non_null(m);
        free(m);
    }
    assert_int_equal(notify_count(c, "WATCHDOG=1"), 0);
    assert_int_equal(tu_stop(pid, 15000), 0);

    assert_int_equal(
        tu_runf(&out, "'%s' -c '%s' --cycles 1", tu_sdcmond(), conf), 0);
    free(out);
    free(conf);
}

/* ---- dropping root ---- */

/* The Uid: or Gid: line of /proc/PID/status, e.g. "65534 65534 65534 65534" */
static char *proc_ids(pid_t pid, const char *key)
{
    char path[64], *s, *line, *res = NULL;
    snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
    s = tu_read_file(path);
    if (!s)
        return NULL;
    line = strstr(s, key);
    if (line) {
        line += strlen(key);
        line += strspn(line, " \t");
        line[strcspn(line, "\n")] = '\0';
        for (char *p = line; *p; p++)
            if (*p == '\t')
                *p = ' ';
        res = strdup(line);
    }
    free(s);
    return res;
}

static void test_drop_root(void **state)
{
    struct ctx *c = *state;
    struct passwd *pw;
    struct group *gr;
    char body[1024], want[128], *m, *ids, *data, *file, *conf, *out = NULL;
    struct stat st;
    uid_t uid;
    gid_t gid;
    pid_t pid;
    double v;

    if (geteuid() != 0) {
        print_message("skipped: dropping root needs the test to run as root "
                      "(it runs as uid %u)\n",
                      (unsigned)geteuid());
        skip();
    }
    pw = getpwnam("nobody");
    assert_non_null(pw);
    uid = pw->pw_uid;
    gid = pw->pw_gid;
    gr = getgrgid(gid);
    assert_non_null(gr);
    notify_open(c);
    assert_int_equal(chmod(c->dir, 0755), 0);

    /* the data directory does not exist: created and handed to nobody */
    snprintf(body, sizeof(body),
             "step = 2;\nuser = \"nobody\";\nhypervisors = ( { name = "
             "\"hv-a\"; uri = \"test://%s/hv-a.xml\"; } );\n",
             FIX);
    conf = it_write_config(c->dir, body);
    /* root:<nobody's group> 0640: readable after the switch, for SIGHUP */
    assert_int_equal(chown(conf, 0, gid), 0);
    assert_int_equal(chmod(conf, 0640), 0);
    pid = start_sdcmond(c, conf, 0);
    m = notify_wait(c, "READY=1", 15000);
    assert_non_null(m);
    free(m);

    /* every uid and gid is nobody's; no supplementary group is root's */
    snprintf(want, sizeof(want), "%u %u %u %u", (unsigned)uid, (unsigned)uid,
             (unsigned)uid, (unsigned)uid);
    ids = proc_ids(pid, "Uid:");
    assert_non_null(ids);
    assert_string_equal(ids, want);
    free(ids);
    snprintf(want, sizeof(want), "%u %u %u %u", (unsigned)gid, (unsigned)gid,
             (unsigned)gid, (unsigned)gid);
    ids = proc_ids(pid, "Gid:");
    assert_non_null(ids);
    assert_string_equal(ids, want);
    free(ids);
    ids = proc_ids(pid, "Groups:");
    assert_non_null(ids);
    for (char *p = ids; *p;) {
        assert_true(strtol(p, &p, 10) != 0);
        p += strspn(p, " ");
    }
    free(ids);

    data = it_path(c->dir, "data");
    assert_int_equal(stat(data, &st), 0);
    assert_int_equal(st.st_uid, uid);
    assert_int_equal(st.st_mode & 07777, 0750);

    /* archives written, by nobody, with values */
    m = notify_wait(c, "STATUS=cycle", 15000);
    assert_non_null(m);
    free(m);
    m = notify_wait(c, "STATUS=cycle", 15000);
    assert_non_null(m);
    free(m);
    file = it_path(c->dir, "data/rrd/cluster/hv-a/cpu.rrd");
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_uid, uid);
    v = tu_rrd_last(file, "vcpus", 600);
    assert_false(isnan(v));
    assert_true(v > 0);
    free(file);
    file = it_path(c->dir, "data/inventory.db");
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_uid, uid);
    free(file);

    /* SIGHUP as nobody re-reads the root:group 0640 config */
    kill(pid, SIGHUP);
    m = notify_wait(c, "READY=1", 10000);
    assert_non_null(m);
    free(m);
    assert_true(it_wait_log(c->dir, "reload: 1 hypervisors", 1, 5000));
    assert_true(it_wait_log(c->dir, "dropped root: running as nobody", 1, 0));
    assert_int_equal(tu_stop(pid, 15000), 0);

    /* a data directory nobody cannot write: a clear error, exit 1 */
    assert_int_equal(chown(data, 0, 0), 0);
    assert_int_equal(chmod(data, 0755), 0);
    assert_int_equal(tu_runf(&out, "'%s' -c '%s' --once", tu_sdcmond(), conf),
                     1);
    assert_non_null(strstr(out, "is not writable by user nobody"));
    assert_non_null(strstr(out, "chown -R nobody:"));
    free(out);

    /* an account that does not exist: exit 2, file and line */
    snprintf(body, sizeof(body),
             "step = 2;\n\nuser = \"sdc-no-such-user\";\nhypervisors = ( { "
             "name = \"hv-a\"; uri = \"test://%s/hv-a.xml\"; } );\n",
             FIX);
    free(conf);
    conf = it_write_config(c->dir, body);
    assert_int_equal(tu_runf(&out, "'%s' -c '%s' --once", tu_sdcmond(), conf),
                     2);
    assert_non_null(
        strstr(out, "sdcmon.conf:4: user 'sdc-no-such-user' does not exist"));
    free(out);
    assert_int_equal(
        tu_runf(&out, "'%s' -c '%s' --check-config", tu_sdcmond(), conf), 2);
    assert_non_null(strstr(out, "does not exist"));
    free(out);
    free(data);
    free(conf);
}

/* Root without `user`: a warning, and it keeps running as root. */
static void test_root_without_user_warns(void **state)
{
    struct ctx *c = *state;
    char body[512], *out = NULL, *conf;
    if (geteuid() != 0) {
        print_message("skipped: needs root (runs as uid %u)\n",
                      (unsigned)geteuid());
        skip();
    }
    snprintf(body, sizeof(body),
             "step = 2;\nhypervisors = ( { name = \"hv-a\"; uri = "
             "\"test://%s/hv-a.xml\"; } );\n",
             FIX);
    conf = it_write_config(c->dir, body);
    assert_int_equal(tu_runf(&out, "'%s' -c '%s' --once", tu_sdcmond(), conf),
                     0);
    assert_non_null(strstr(out, "warning: running as root: set user = "));
    free(out);
    free(conf);
}

/* ---- an installed tree ---- */

/* Write a month of hourly history for one cluster into @csv: the month
 * before the current one, local time. */
static void write_history(const char *csv, char *month, size_t mlen)
{
    time_t now = time(NULL), t0, t1;
    struct tm tm;
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    localtime_r(&now, &tm);
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    t1 = mktime(&tm);
    tm.tm_mon -= 1;
    tm.tm_isdst = -1;
    t0 = mktime(&tm);
    localtime_r(&t0, &tm);
    strftime(month, mlen, "%Y-%m", &tm);
    fprintf(f, "time,archive,ds,value\n");
    for (time_t t = t0 + 3600; t <= t1; t += 3600) {
        fprintf(f, "%lld,cluster/prod-a/cpu,used,%d\n", (long long)t,
                10 + (int)((t / 3600) % 7));
        fprintf(f, "%lld,cluster/prod-a/cpu,capacity,64\n", (long long)t);
    }
    fclose(f);
}

static void test_install_tree(void **state)
{
    struct ctx *c = *state;
    static const char *const files[] = {
        "bin/sdcmon-report",
        "bin/sdcmon-import",
        "bin/sdcmon-passwd",
        "sbin/sdcmond",
        "share/sdcmon/templates/monthly.html.mustache",
        "share/man/man1/sdcmon-report.1",
        "share/man/man1/sdcmon-import.1",
        "share/man/man1/sdcmon-passwd.1",
        "share/sdcmon/templates/augmentation.html.mustache",
        "share/sdcmon/templates/web-overview.html.mustache",
        "share/doc/sdcmon/augmentation.md",
        "share/man/man5/sdcmon.conf.5",
        "share/man/man8/sdcmond.8",
        "share/doc/sdcmon/sdcmon.conf.example",
        "share/doc/sdcmon/sdcmon.conf",
        "lib/systemd/system/sdcmond.service",
        NULL};
    char *prefix, *moved, *out = NULL, *csv, *conf, *html, *tpl, *text;
    char month[16], body[1024];
    struct stat st;

    prefix = it_path(c->dir, "prefix");
    assert_int_equal(tu_runf(&out, "cmake --install '%s' --prefix '%s'",
                             SDC_BINARY_DIR, prefix),
                     0);
    free(out);
    for (size_t i = 0; files[i]; i++) {
        char *p = it_path(prefix, "%s", files[i]);
        assert_int_equal(stat(p, &st), 0);
        if (strstr(files[i], "bin/"))
            assert_true(st.st_mode & S_IXOTH);
        free(p);
    }
    /* /etc is left alone by a plain install */
    out = it_path(prefix, "etc");
    assert_true(access(out, F_OK) != 0);
    free(out);

    /* Move the tree: the programs still find the templates beside them.
     * Mark the installed template to tell it from the source tree's. */
    moved = it_path(c->dir, "moved");
    assert_int_equal(rename(prefix, moved), 0);
    tpl = it_path(moved, "share/sdcmon/templates/monthly.html.mustache");
    text = tu_read_file(tpl);
    assert_non_null(text);
    {
        char *marked;
        assert_true(asprintf(&marked, "%s<!-- installed-template -->\n", text) >
                    0);
        assert_true(tu_write_file(tpl, marked, 0644));
        free(marked);
    }
    free(text);

    csv = it_path(c->dir, "history.csv");
    write_history(csv, month, sizeof(month));
    conf = it_write_config(c->dir, "step = 60;\n");
    assert_int_equal(tu_runf(&out, "'%s/bin/sdcmon-import' -q -c '%s' '%s'",
                             moved, conf, csv),
                     0);
    free(out);
    assert_int_equal(tu_runf(&out,
                             "env -u SDCMON_TEMPLATES '%s/bin/sdcmon-report' "
                             "monthly -q -c '%s' --month %s --out '%s/r1'",
                             moved, conf, month, c->dir),
                     0);
    free(out);
    html = it_path(c->dir, "r1/report.html");
    text = tu_read_file(html);
    assert_non_null(text);
    assert_non_null(strstr(text, "<!-- installed-template -->"));
    assert_non_null(strstr(text, month));
    free(text);
    free(html);

    /* reports.templates in the config wins over the installed ones */
    out = it_path(c->dir, "tpl");
    assert_int_equal(
        tu_runf(NULL, "cp -r '%s/share/sdcmon/templates' '%s'", moved, out), 0);
    free(tpl);
    tpl = it_path(out, "monthly.html.mustache");
    text = tu_read_file(tpl);
    assert_non_null(text);
    {
        char *p = strstr(text, "<!-- installed-template -->");
        assert_non_null(p);
        memcpy(p, "<!-- configured-template -->", 28);
        assert_true(tu_write_file(tpl, text, 0644));
    }
    free(text);
    snprintf(body, sizeof(body),
             "step = 60;\nreports = { templates = \"%s\"; };\n", out);
    free(out);
    free(conf);
    conf = it_write_config(c->dir, body);
    assert_int_equal(tu_runf(&out,
                             "env -u SDCMON_TEMPLATES '%s/bin/sdcmon-report' "
                             "monthly -q -c '%s' --month %s --out '%s/r2'",
                             moved, conf, month, c->dir),
                     0);
    free(out);
    html = it_path(c->dir, "r2/report.html");
    text = tu_read_file(html);
    assert_non_null(text);
    assert_non_null(strstr(text, "<!-- configured-template -->"));
    assert_null(strstr(text, "<!-- installed-template -->"));
    free(text);
    free(html);

    /* a reports.templates that does not hold the templates: exit 2, named */
    snprintf(body, sizeof(body),
             "step = 60;\nreports = { templates = \"%s/none\"; };\n", c->dir);
    free(conf);
    conf = it_write_config(c->dir, body);
    assert_int_not_equal(tu_runf(&out,
                                 "'%s/bin/sdcmon-report' monthly -q -c '%s' "
                                 "--month %s --out '%s/r3'",
                                 moved, conf, month, c->dir),
                         0);
    assert_non_null(strstr(out, "/none"));
    free(out);

    free(tpl);
    free(csv);
    free(conf);
    free(moved);
    free(prefix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_notify_protocol, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_watchdog, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drop_root, setup, teardown),
        cmocka_unit_test_setup_teardown(test_root_without_user_warns, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_install_tree, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
