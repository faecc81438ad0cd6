/*
 * test_delivery.c - the delivery thread (agent/delivery.h) with real
 * children and sockets:
 * - the sendmail child starts clean: no signal blocked or ignored (sdcmond
 *   blocks SIGTERM/SIGINT/SIGHUP and ignores SIGPIPE), none of the parent's
 *   descriptors but 0, 1 and 2; the message it reads is the whole message;
 * - hostile text in the parts (a VM named like the multipart boundary) does
 *   not start a part of its own;
 * - a sendmail that exits without reading: EPIPE, logged with its status,
 *   in a process that does not ignore SIGPIPE (the thread blocks it);
 * - a sendmail that neither reads a large message nor exits: delivery_stop
 *   returns DELIVERY_MAIL_STOP_GRACE seconds later, the child killed and
 *   reaped (no zombie);
 * - a webhook receiver that is down: stopping during the back-off returns
 *   at once, and the log names scheme, host and port only, never the
 *   token in the path, the query or user:password@.
 * - the outbox's pure parts: names sort by queue time and tell the kind;
 *   a notice formatted and parsed back is the same; truncated, hand-made
 *   or ill-typed files are refused with what is wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "delivery.h"
#include "sdc/log.h"
#include "testutil.h"

/* ------------------------------------------------------- captured log */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char *log_text;
static size_t log_len;

static void sink(enum sdc_log_level level, const char *msg, void *user)
{
    size_t n = strlen(msg);
    char *p;
    (void)level;
    (void)user;
    pthread_mutex_lock(&log_lock);
    p = realloc(log_text, log_len + n + 2);
    if (p) {
        log_text = p;
        memcpy(log_text + log_len, msg, n);
        log_len += n;
        log_text[log_len++] = '\n';
        log_text[log_len] = 0;
    }
    pthread_mutex_unlock(&log_lock);
}

static void log_reset(void)
{
    pthread_mutex_lock(&log_lock);
    free(log_text);
    log_text = NULL;
    log_len = 0;
    pthread_mutex_unlock(&log_lock);
}

static bool log_has(const char *s)
{
    bool yes;
    pthread_mutex_lock(&log_lock);
    yes = log_text && strstr(log_text, s);
    pthread_mutex_unlock(&log_lock);
    return yes;
}

static bool wait_log(const char *s, int ms)
{
    for (int i = 0; i < ms / 20; i++) {
        if (log_has(s))
            return true;
        usleep(20000);
    }
    return log_has(s);
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* @n bytes of text, lines of 60 characters. */
static char *big_text(size_t n)
{
    char *t = malloc(n + 1);
    assert_non_null(t);
    for (size_t i = 0; i < n; i++)
        t[i] = i % 61 == 60 ? '\n' : (char)('a' + i % 26);
    t[n] = 0;
    return t;
}

/* The hexadecimal mask after "@key:" in a /proc status text. */
static unsigned long long status_mask(const char *text, const char *key)
{
    char k[32];
    const char *s;
    snprintf(k, sizeof(k), "%s:", key);
    s = strstr(text, k);
    assert_non_null(s);
    return strtoull(s + strlen(k), NULL, 16);
}

#define SIGBIT(s) (1ULL << ((s)-1))

/* ---------------------------------------------------------------- tests */

static void test_mail_child_clean(void **state)
{
    char *dir = tu_tmpdir("delivery"), *sm, *out, *decoy, script[2048];
    char *text;
    struct delivery *d = NULL;
    struct sdc_error err = {0};
    sigset_t set, old;
    int dfd;
    unsigned long long blk, ign;
    (void)state;
    assert_non_null(dir);
    log_reset();
    sm = malloc(strlen(dir) + 32);
    out = malloc(strlen(dir) + 32);
    decoy = malloc(strlen(dir) + 32);
    sprintf(sm, "%s/sendmail", dir);
    sprintf(out, "%s/mail.out", dir);
    sprintf(decoy, "%s/decoy-fd", dir);
    /* perl (Essential in Debian) and not sh: dash clears the signal mask
     * for itself and the programs it starts, which would hide it */
    snprintf(
        script, sizeof(script),
        "#!/usr/bin/perl\n"
        "open(my $s, '<', '/proc/self/status') or die;\n"
        "my @sig = grep { /^Sig(Blk|Ign):/ } <$s>;\n"
        "close $s;\n"
        "my @fd = map { \"$_ -> \" . (readlink($_) // '?') . \"\\n\" }"
        " glob('/proc/self/fd/*');\n"
        "my $msg = do { local $/; <STDIN> };\n"
        "open(my $o, '>', '%s.tmp') or die;\n"
        "print $o \"ARGS: @ARGV\\n\", @sig, @fd, \"-- message\\n\", $msg;\n"
        "close $o;\n"
        "rename('%s.tmp', '%s') or die;\n",
        out, out, out);
    assert_true(tu_write_file(sm, script, 0755));

    /* as sdcmond's main(): signals blocked, SIGPIPE ignored, and a
     * descriptor without O_CLOEXEC (as libraries leave them) */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    signal(SIGPIPE, SIG_IGN);
    dfd = open(decoy, O_WRONLY | O_CREAT, 0600);
    assert_true(dfd > 2);

    assert_int_equal(delivery_start(&d, &err), SDC_OK);
    assert_true(delivery_mail(d, sm, "ops@example.org", "sdcmon@dc.example",
                              "digest 2026-03-15: 0 down",
                              "hello =world\nline two\n", "<p>hi</p>\n"));
    /* sendmail done (and so the file) */
    assert_true(wait_log("handed to", 20000));
    delivery_stop(d);
    close(dfd);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    signal(SIGPIPE, SIG_DFL);

    text = tu_read_file(out);
    assert_non_null(text);
    assert_true(strncmp(text, "ARGS: -t -oi\n", 13) == 0);
    blk = status_mask(text, "SigBlk");
    ign = status_mask(text, "SigIgn");
    if (blk != 0)
        fail_msg("sendmail starts with signals blocked: SigBlk %016llx", blk);
    if (ign &
        (SIGBIT(SIGPIPE) | SIGBIT(SIGTERM) | SIGBIT(SIGINT) | SIGBIT(SIGHUP)))
        fail_msg("sendmail starts with signals ignored: SigIgn %016llx", ign);
    /* the listing is there: standard input is the pipe */
    assert_non_null(strstr(text, "/proc/self/fd/0 -> pipe:"));
    if (strstr(text, "decoy-fd"))
        fail_msg("sendmail inherited a descriptor of sdcmond's:\n%s", text);
    assert_non_null(strstr(text, "\nTo: ops@example.org\n"));
    assert_non_null(strstr(text, "\nFrom: sdcmon@dc.example\n"));
    assert_non_null(strstr(text, "\nSubject: digest 2026-03-15: 0 down\n"));
    assert_non_null(strstr(text, "\nhello =3Dworld\nline two\n"));
    assert_non_null(strstr(text, "\n<p>hi</p>\n"));
    free(text);
    free(sm);
    free(out);
    free(decoy);
    tu_rmrf(dir);
    free(dir);
}

/* Lines of @text equal to @line. */
static int count_lines(const char *text, const char *line)
{
    size_t n = strlen(line);
    int k = 0;
    for (const char *p = text; p; p = strchr(p, '\n')) {
        if (*p == '\n')
            p++;
        if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == 0))
            k++;
    }
    return k;
}

/* Hostile text in the parts (a VM named like a MIME boundary, with line
 * breaks around it, as the HTML part keeps them) cannot start a part: the
 * message has its two parts and its end, nothing more. */
static void test_mail_boundary(void **state)
{
    char *dir = tu_tmpdir("delivery"), *sm, *out, script[512], *msg;
    char hostile[16384], boundary[128], line[160];
    size_t n = 0;
    const char *b;
    struct delivery *d = NULL;
    struct sdc_error err = {0};
    time_t now = time(NULL);
    (void)state;
    assert_non_null(dir);
    log_reset();
    sm = malloc(strlen(dir) + 32);
    out = malloc(strlen(dir) + 32);
    sprintf(sm, "%s/sendmail", dir);
    sprintf(out, "%s/mail.out", dir);
    snprintf(script, sizeof(script),
             "#!/bin/sh\ncat > '%s.tmp' && mv '%s.tmp' '%s'\n", out, out, out);
    assert_true(tu_write_file(sm, script, 0755));
    /* every boundary a time-and-pid scheme could pick around now, and the
     * start of the one in use */
    for (time_t t = now - 5; t < now + 60; t++)
        n += (size_t)snprintf(hostile + n, sizeof(hostile) - n,
                              "<td>vm\n--sdcmon-%lld-%ld\nContent-Type: "
                              "text/html\n\n<b>pay here</b>\n</td>\n",
                              (long long)t, (long)getpid());
    n += (size_t)snprintf(hostile + n, sizeof(hostile) - n,
                          "\n--=_sdcmon_\n--=_sdcmon_--\n");
    assert_true(n < sizeof(hostile) - 1);
    assert_int_equal(delivery_start(&d, &err), SDC_OK);
    assert_true(delivery_mail(d, sm, "ops@example.org", "", "hostile", hostile,
                              hostile));
    assert_true(wait_log("handed to", 20000));
    delivery_stop(d);
    msg = tu_read_file(out);
    assert_non_null(msg);
    b = strstr(msg, "boundary=\"");
    assert_non_null(b);
    b += strlen("boundary=\"");
    assert_true(strcspn(b, "\"") < sizeof(boundary));
    snprintf(boundary, sizeof(boundary), "%.*s", (int)strcspn(b, "\""), b);
    assert_true(strlen(boundary) > 20);
    snprintf(line, sizeof(line), "--%s", boundary);
    assert_int_equal(count_lines(msg, line), 2);
    snprintf(line, sizeof(line), "--%s--", boundary);
    assert_int_equal(count_lines(msg, line), 1);
    /* and the hostile lines are there, as text */
    assert_non_null(strstr(msg, "\n<td>vm\n"));
    free(msg);
    free(sm);
    free(out);
    tu_rmrf(dir);
    free(dir);
}

static void test_mail_exits_early(void **state)
{
    char *dir = tu_tmpdir("delivery"), *sm, script[256], want[600];
    char *text = big_text(1 << 20);
    struct delivery *d = NULL;
    struct sdc_error err = {0};
    (void)state;
    assert_non_null(dir);
    log_reset();
    /* SIGPIPE as a process gets it by default: it would end the test
     * process if the delivery thread did not block it */
    signal(SIGPIPE, SIG_DFL);
    sm = malloc(strlen(dir) + 32);
    sprintf(sm, "%s/sendmail", dir);
    /* closes its standard input at once, then fails */
    snprintf(script, sizeof(script),
             "#!/bin/sh\nexec 0<&-\nsleep 1\nexit 75\n");
    assert_true(tu_write_file(sm, script, 0755));
    assert_int_equal(delivery_start(&d, &err), SDC_OK);
    assert_true(delivery_mail(d, sm, "ops@example.org", "", "big", text, NULL));
    snprintf(want, sizeof(want),
             "mail: %s exited with status 75; 'big' not sent", sm);
    assert_true(wait_log(want, 20000));
    snprintf(want, sizeof(want), "mail: writing to %s: %s", sm,
             strerror(EPIPE));
    assert_true(log_has(want));
    assert_false(log_has("handed to"));
    delivery_stop(d);
    free(text);
    free(sm);
    tu_rmrf(dir);
    free(dir);
}

static void test_mail_stuck_stop(void **state)
{
    char *dir = tu_tmpdir("delivery"), *sm, *pidf, script[1024], *s;
    char *text = big_text(1 << 20), proc[64];
    struct delivery *d = NULL;
    struct sdc_error err = {0};
    double t0, took;
    long pid;
    (void)state;
    assert_non_null(dir);
    log_reset();
    sm = malloc(strlen(dir) + 32);
    pidf = malloc(strlen(dir) + 32);
    sprintf(sm, "%s/sendmail", dir);
    sprintf(pidf, "%s/sendmail.pid", dir);
    /* never reads the message (1 MiB: more than a pipe holds), never ends */
    snprintf(script, sizeof(script),
             "#!/bin/sh\necho $$ > '%s.tmp' && mv '%s.tmp' '%s'\n"
             "exec sleep 600\n",
             pidf, pidf, pidf);
    assert_true(tu_write_file(sm, script, 0755));
    assert_int_equal(delivery_start(&d, &err), SDC_OK);
    assert_true(
        delivery_mail(d, sm, "ops@example.org", "", "stuck", text, text));
    assert_true(tu_wait_path(pidf, 20000));
    s = tu_read_file(pidf);
    assert_non_null(s);
    pid = strtol(s, NULL, 10);
    free(s);
    assert_true(pid > 1);
    snprintf(proc, sizeof(proc), "/proc/%ld", pid);
    assert_int_equal(access(proc, F_OK), 0);

    t0 = mono();
    delivery_stop(d);
    took = mono() - t0;
    /* the grace, not the 60 s timeout, and not for ever */
    if (took < DELIVERY_MAIL_STOP_GRACE - 0.5 ||
        took > DELIVERY_MAIL_STOP_GRACE + 10)
        fail_msg("delivery_stop took %.1f s (grace %d s)", took,
                 DELIVERY_MAIL_STOP_GRACE);
    assert_true(log_has("mail: sdcmond is stopping and"));
    assert_true(log_has("killed; 'stuck' not sent"));
    /* killed and reaped: gone, not a zombie */
    assert_int_equal(kill((pid_t)pid, 0), -1);
    assert_int_equal(errno, ESRCH);
    assert_int_equal(access(proc, F_OK), -1);
    free(text);
    free(sm);
    free(pidf);
    tu_rmrf(dir);
    free(dir);
}

static void test_webhook_down_stop_redacted(void **state)
{
    struct delivery *d = NULL;
    struct sdc_error err = {0};
    char url[256], shown[128], want[256];
    int port = tu_free_port();
    double t0, took;
    (void)state;
    log_reset();
    assert_true(port > 0);
    /* nothing listens there: connection refused, tried again in 1 s */
    snprintf(url, sizeof(url),
             "http://hookuser:hookpw@127.0.0.1:%d/hooks/T01/SECRETTOKEN"
             "?key=KEYVALUE",
             port);
    snprintf(shown, sizeof(shown), "http://127.0.0.1:%d/...", port);
    assert_int_equal(delivery_start(&d, &err), SDC_OK);
    assert_true(delivery_post(d, url, "{\"kind\":\"digest\"}"));
    snprintf(want, sizeof(want), "webhook: %s: ", shown);
    assert_true(wait_log("(try 1 of 5); next try in 1 s", 20000));
    assert_true(log_has(want));
    t0 = mono();
    delivery_stop(d);
    took = mono() - t0;
    if (took > 8.0) /* not the 15 s of the remaining tries */
        fail_msg("delivery_stop took %.1f s during a back-off", took);
    snprintf(want, sizeof(want),
             "webhook: stopping: the report for %s is not delivered", shown);
    assert_true(log_has(want));
    assert_false(log_has("SECRETTOKEN"));
    assert_false(log_has("KEYVALUE"));
    assert_false(log_has("hookpw"));
    assert_false(log_has("hookuser"));

    /* a URL with nothing after the host is shown whole */
    log_reset();
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
    assert_int_equal(delivery_start(&d, &err), SDC_OK);
    assert_true(delivery_post(d, url, "{}"));
    snprintf(want, sizeof(want), "webhook: http://127.0.0.1:%d: ", port);
    assert_true(wait_log(want, 20000));
    delivery_stop(d);
    /* no delivery: nothing queued, nothing leaked */
    assert_false(delivery_post(NULL, url, "{}"));
}

static void test_outbox_notice(void **state)
{
    char a[DELIVERY_OUTBOX_NAME_LEN], b[DELIVERY_OUTBOX_NAME_LEN],
        c[DELIVERY_OUTBOX_NAME_LEN];
    struct delivery_notice n = {0}, m = {0};
    struct sdc_error err = {0};
    char *text;
    static const char *const bad[] = {
        "{\"version\":1,\"kind\":\"webh",
        "",
        "[1,2]",
        "{\"kind\":\"sms\",\"queued\":1,\"body\":\"x\"}",
        "{\"kind\":\"webhook\",\"body\":\"x\"}",
        "{\"kind\":\"webhook\",\"queued\":-5,\"body\":\"x\"}",
        "{\"kind\":\"webhook\",\"queued\":1.5,\"body\":\"x\"}",
        "{\"kind\":\"webhook\",\"queued\":1}",
        "{\"kind\":\"webhook\",\"queued\":1,\"body\":{}}",
        "{\"kind\":\"mail\",\"queued\":1,\"subject\":\"s\"}",
        "{\"kind\":\"mail\",\"queued\":1,\"subject\":\"s\",\"text\":\"t\","
        "\"html\":7}",
        "{\"kind\":\"webhook\",\"kind\":\"mail\",\"queued\":1,\"body\":\"x\"}",
    };
    static const char *const why[] = {
        "not JSON",
        "not JSON",
        "not a JSON object",
        "\"kind\"",
        "\"queued\"",
        "\"queued\"",
        "\"queued\"",
        "\"body\" is missing",
        "\"body\" is not a string",
        "\"text\" is missing",
        "\"html\" is not a string",
        "not JSON",
    };
    (void)state;

    /* names: fixed width, so that they sort by time (then nanoseconds,
     * then sequence) */
    delivery_outbox_name(a, sizeof(a), 999999999LL, 5, 7, false);
    delivery_outbox_name(b, sizeof(b), 1700000000LL, 999999999L, 1, true);
    delivery_outbox_name(c, sizeof(c), 1700000001LL, 0, 2, false);
    assert_string_equal(a, "000999999999-000000005-000007-webhook.json");
    assert_string_equal(b, "001700000000-999999999-000001-mail.json");
    assert_true(strcmp(a, b) < 0 && strcmp(b, c) < 0);
    assert_false(delivery_outbox_is_mail(a));
    assert_true(delivery_outbox_is_mail(b));
    assert_false(delivery_outbox_is_mail("mail.json"));
    assert_false(delivery_outbox_is_mail("x-mail.json.bak"));

    /* a mail notice, hostile text included, round trip */
    n.mail = true;
    n.queued = 1700000000LL;
    n.subject = "sdcmon daily digest \"2024-01-02\"";
    n.text = "line 1\nline 2 \\ \u00e9\n";
    n.html = "<p>a &amp; b</p>";
    text = delivery_notice_format(&n);
    assert_non_null(text);
    assert_int_equal(delivery_notice_parse(text, &m, &err), SDC_OK);
    assert_true(m.mail);
    assert_int_equal(m.queued, 1700000000LL);
    assert_string_equal(m.subject, n.subject);
    assert_string_equal(m.text, n.text);
    assert_string_equal(m.html, n.html);
    assert_null(m.body);
    delivery_notice_free(&m);
    free(text);
    /* a webhook, no html */
    memset(&n, 0, sizeof(n));
    n.queued = 42;
    n.body = "{\"kind\":\"digest\",\"period\":\"2024-01-02\"}";
    text = delivery_notice_format(&n);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"kind\": \"webhook\""));
    assert_int_equal(delivery_notice_parse(text, &m, &err), SDC_OK);
    assert_false(m.mail);
    assert_int_equal(m.queued, 42);
    assert_string_equal(m.body, n.body);
    assert_null(m.subject);
    delivery_notice_free(&m);
    free(text);

    /* refused, with what is wrong; nothing left allocated */
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&err, 0, sizeof(err));
        if (delivery_notice_parse(bad[i], &m, &err) != SDC_ERR_INVALID)
            fail_msg("accepted: %s", bad[i]);
        if (!strstr(err.msg, why[i]))
            fail_msg("%s: '%s' does not say %s", bad[i], err.msg, why[i]);
        assert_null(m.body);
        assert_null(m.subject);
        assert_null(m.text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mail_child_clean),
        cmocka_unit_test(test_mail_boundary),
        cmocka_unit_test(test_mail_exits_early),
        cmocka_unit_test(test_mail_stuck_stop),
        cmocka_unit_test(test_webhook_down_stop_redacted),
        cmocka_unit_test(test_outbox_notice),
    };
    int rc;
    sdc_log_set_sink(sink, NULL, SDC_LOG_DEBUG);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    sdc_log_set_sink(NULL, NULL, SDC_LOG_INFO);
    log_reset();
    return rc;
}
