/*
 * delivery.c - the delivery thread (delivery.h): webhook POSTs with libcurl
 * and mails through the local sendmail command.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "delivery.h"
#include "sdc/log.h"
#include "thread_util.h"

extern char **environ;

enum item_kind { ITEM_POST = 0, ITEM_MAIL };

struct item {
    enum item_kind kind;
    char *url;  /* POST */
    char *body; /* POST: the JSON */
    char *sendmail;
    char *to;
    char *from;
    char *subject;
    char *text;
    char *html;
};

struct delivery {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* CLOCK_MONOTONIC */
    struct item *q[DELIVERY_QUEUE];
    size_t head;
    size_t len;
    bool stop;
};

static void item_free(struct item *it)
{
    if (!it)
        return;
    free(it->url);
    free(it->body);
    free(it->sendmail);
    free(it->to);
    free(it->from);
    free(it->subject);
    free(it->text);
    free(it->html);
    free(it);
}

static bool push(struct delivery *d, struct item *it, const char *what)
{
    bool ok;
    pthread_mutex_lock(&d->lock);
    ok = !d->stop && d->len < DELIVERY_QUEUE;
    if (ok) {
        d->q[(d->head + d->len) % DELIVERY_QUEUE] = it;
        d->len++;
        pthread_cond_signal(&d->cond);
    }
    pthread_mutex_unlock(&d->lock);
    if (!ok) {
        SDC_ERROR("delivery: %s not queued: %d items already waiting", what,
                  DELIVERY_QUEUE);
        item_free(it);
    }
    return ok;
}

/* Wait @seconds unless told to stop; true when stopping. */
static bool pause_or_stop(struct delivery *d, double seconds)
{
    struct timespec until;
    bool stop;
    until = agent_deadline_after(seconds);
    pthread_mutex_lock(&d->lock);
    while (!d->stop &&
           pthread_cond_timedwait(&d->cond, &d->lock, &until) != ETIMEDOUT)
        ;
    stop = d->stop;
    pthread_mutex_unlock(&d->lock);
    return stop;
}

/* ------------------------------------------------------------ webhook */

/*
 * @url as it may be logged: scheme and host (with the port) only.  Webhook
 * URLs carry their secret in the path or the query (Slack, Teams and
 * Mattermost hooks: /hooks/<token>, ?key=...) or as user:password@, and the
 * log is read by more people than the configuration (mode 0640).
 */
static void url_for_log(const char *url, char *out, size_t len)
{
    const char *sep = strstr(url, "://"), *host, *end, *at;
    if (!sep) {
        snprintf(out, len, "the webhook");
        return;
    }
    host = sep + 3;
    end = host + strcspn(host, "/?#");
    at = memchr(host, '@', (size_t)(end - host));
    if (at)
        host = at + 1;
    snprintf(out, len, "%.*s://%.*s%s", (int)(sep - url), url,
             (int)(end - host), host, *end ? "/..." : "");
}

static size_t discard(char *p, size_t size, size_t n, void *user)
{
    (void)p;
    (void)user;
    return size * n;
}

/*
 * One POST.  @return: 0 delivered; 1 worth another try; 2 refused for good.
 * @why: what went wrong.
 */
static int post_once(const struct item *it, char *why, size_t len)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    long code = 0;
    CURLcode cc;
    int rc;

    if (!h) {
        snprintf(why, len, "cannot start a transfer (out of memory)");
        return 1;
    }
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    if (hdr)
        hdr = curl_slist_append(hdr, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, it->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, it->body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(it->body));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, DELIVERY_CONNECT_TIMEOUT);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, DELIVERY_TIMEOUT);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "sdcmond/" SDC_VERSION);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    cc = curl_easy_perform(h);
    if (cc != CURLE_OK) {
        snprintf(why, len, "%s", *errbuf ? errbuf : curl_easy_strerror(cc));
        rc = 1;
    } else {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        if (code >= 200 && code < 300) {
            rc = 0;
        } else {
            snprintf(why, len, "HTTP status %ld", code);
            rc = code == 408 || code == 429 || code >= 500 ? 1 : 2;
        }
    }
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    return rc;
}

static void send_post(struct delivery *d, const struct item *it)
{
    double wait = DELIVERY_BACKOFF_FIRST;
    char why[CURL_ERROR_SIZE + 64], url[600];
    url_for_log(it->url, url, sizeof(url));
    for (int attempt = 1;; attempt++) {
        int rc = post_once(it, why, sizeof(why));
        if (rc == 0) {
            SDC_INFO("webhook: delivered to %s (try %d)", url, attempt);
            return;
        }
        if (rc == 2) {
            SDC_ERROR("webhook: %s refused the report: %s; not tried again",
                      url, why);
            return;
        }
        if (attempt >= DELIVERY_TRIES) {
            SDC_ERROR("webhook: %s: %s; gave up after %d tries", url, why,
                      attempt);
            return;
        }
        SDC_WARN("webhook: %s: %s (try %d of %d); next try in %.0f s", url, why,
                 attempt, DELIVERY_TRIES, wait);
        if (pause_or_stop(d, wait)) {
            SDC_WARN("webhook: stopping: the report for %s is not delivered",
                     url);
            return;
        }
        wait = fmin(wait * 2, DELIVERY_BACKOFF_MAX);
    }
}

/* --------------------------------------------------------------- mail */

struct buf {
    char *p;
    size_t len;
    size_t cap;
    bool oom;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t nc = (b->cap ? b->cap : 4096);
        char *q;
        while (nc < b->len + n + 1)
            nc *= 2;
        q = realloc(b->p, nc);
        if (!q) {
            b->oom = true;
            return;
        }
        b->p = q;
        b->cap = nc;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void puts_(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* @s as quoted-printable (RFC 2045): lines under 76 characters, CRLF
 * breaks kept as line ends. */
static void put_qp(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t col = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char enc[4];
        size_t n;
        if (*p == '\n') {
            put(b, "\n", 1);
            col = 0;
            continue;
        }
        if (*p == '\r')
            continue;
        if ((*p >= 33 && *p <= 126 && *p != '=') ||
            ((*p == ' ' || *p == '\t') && p[1] != '\n' && p[1] != 0)) {
            enc[0] = (char)*p;
            n = 1;
        } else {
            enc[0] = '=';
            enc[1] = hex[*p >> 4];
            enc[2] = hex[*p & 15];
            n = 3;
        }
        if (col + n > 75) {
            put(b, "=\n", 2);
            col = 0;
        }
        put(b, enc, n);
        col += n;
    }
    put(b, "\n", 1);
}

/*
 * The multipart boundary.  The parts are report text and HTML, which hold
 * names from the network (VM names, titles, error texts): a boundary they
 * could contain would let a VM's name start a part of its own.  "=_" never
 * occurs in quoted-printable text ('=' is always =3D there, RFC 2045 5.1),
 * so a boundary with it cannot occur in a part; the random tail keeps it
 * unguessable as well.
 */
static void mime_boundary(char *out, size_t len)
{
    unsigned char r[12];
    size_t n = 0;
    char *p;
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
        /* no entropy yet: time and address, still never in a part */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(out, len, "=_sdcmon_%lld_%ld_%lx", (long long)ts.tv_sec,
                 ts.tv_nsec, (unsigned long)(uintptr_t)out);
        return;
    }
    n = (size_t)snprintf(out, len, "=_sdcmon_");
    p = out + n;
    for (size_t i = 0; i < sizeof(r) && n + 2 < len; i++, n += 2, p += 2)
        snprintf(p, len - n, "%02x", r[i]);
}

static char *mail_message(const struct item *it)
{
    struct buf b = {0};
    char date[64], boundary[64];
    time_t now = time(NULL);
    struct tm tm;

    localtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
    mime_boundary(boundary, sizeof(boundary));
    if (*it->from) {
        puts_(&b, "From: ");
        puts_(&b, it->from);
        puts_(&b, "\n");
    }
    puts_(&b, "To: ");
    puts_(&b, it->to);
    puts_(&b, "\nSubject: ");
    puts_(&b, it->subject);
    puts_(&b, "\nDate: ");
    puts_(&b, date);
    puts_(&b, "\nAuto-Submitted: auto-generated\nMIME-Version: 1.0\n");
    if (it->html) {
        puts_(&b, "Content-Type: multipart/alternative; boundary=\"");
        puts_(&b, boundary);
        puts_(&b, "\"\n\n--");
        puts_(&b, boundary);
        puts_(&b, "\n");
    }
    puts_(&b, "Content-Type: text/plain; charset=utf-8\n"
              "Content-Transfer-Encoding: quoted-printable\n\n");
    put_qp(&b, it->text);
    if (it->html) {
        puts_(&b, "\n--");
        puts_(&b, boundary);
        puts_(&b, "\nContent-Type: text/html; charset=utf-8\n"
                  "Content-Transfer-Encoding: quoted-printable\n\n");
        put_qp(&b, it->html);
        puts_(&b, "\n--");
        puts_(&b, boundary);
        puts_(&b, "--\n");
    }
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

static bool stop_asked(struct delivery *d)
{
    bool stop;
    pthread_mutex_lock(&d->lock);
    stop = d->stop;
    pthread_mutex_unlock(&d->lock);
    return stop;
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Start @it->sendmail with the read end of a pipe as its standard input:
 * the signal mask emptied and the signals sdcmond blocks or ignores back
 * to their defaults (a child inherits both across exec: a sendmail that
 * ignores SIGPIPE and cannot be stopped with SIGTERM otherwise), and no
 * descriptor of sdcmond's but 0, 1 and 2 (archives, the inventory, the web
 * server's sockets).  @return: the errno of the failure, or 0.
 */
static int spawn_sendmail(const struct item *it, int in_fd, pid_t *pid)
{
    static const int reset[] = {SIGPIPE, SIGTERM, SIGINT,  SIGHUP, SIGQUIT,
                                SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2};
    char *argv[] = {it->sendmail, "-t", "-oi", NULL};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, dfl;
    int e;

    sigemptyset(&none);
    sigemptyset(&dfl);
    for (size_t i = 0; i < sizeof(reset) / sizeof(reset[0]); i++)
        sigaddset(&dfl, reset[i]);
    if ((e = posix_spawn_file_actions_init(&fa)) != 0)
        return e;
    if ((e = posix_spawnattr_init(&at)) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return e;
    }
    if (!(e = posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO)) &&
        !(e = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) &&
        !(e = posix_spawnattr_setsigmask(&at, &none)) &&
        !(e = posix_spawnattr_setsigdefault(&at, &dfl)) &&
        !(e = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
                                                POSIX_SPAWN_SETSIGDEF)))
        e = posix_spawn(pid, it->sendmail, &fa, &at, argv, environ);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    return e;
}

/*
 * Hand the message to sendmail and wait for it, all within
 * DELIVERY_MAIL_TIMEOUT seconds, and within DELIVERY_MAIL_STOP_GRACE seconds
 * once sdcmond is stopping: the pipe is written without blocking, so a
 * sendmail that neither reads nor exits is killed (and reaped) on time
 * instead of holding the thread, and sdcmond's exit, for ever.  A sendmail
 * that exits before reading everything is an EPIPE here (the thread blocks
 * SIGPIPE), logged.
 */
static void send_mail(struct delivery *d, const struct item *it)
{
    char *msg = mail_message(it);
    int pfd[2], fd, status = 0, e;
    pid_t pid;
    size_t off = 0, len;
    double deadline, stop_deadline = 0;
    bool killed = false, lost = false, write_err = false;

    if (!msg) {
        SDC_ERROR("mail: out of memory; the digest is not mailed");
        return;
    }
    len = strlen(msg);
    if (pipe2(pfd, O_CLOEXEC) != 0) {
        SDC_ERROR("mail: pipe: %s", strerror(errno));
        free(msg);
        return;
    }
    e = spawn_sendmail(it, pfd[0], &pid);
    close(pfd[0]);
    fd = pfd[1];
    if (e != 0) {
        SDC_ERROR("mail: cannot run %s: %s", it->sendmail, strerror(e));
        close(fd);
        free(msg);
        return;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    deadline = mono_now() + DELIVERY_MAIL_TIMEOUT;
    for (;;) {
        double now = mono_now(), until = deadline;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            SDC_ERROR("mail: waiting for %s: %s", it->sendmail,
                      strerror(errno));
            lost = true;
            break;
        }
        if (stop_deadline == 0 && stop_asked(d))
            stop_deadline = now + DELIVERY_MAIL_STOP_GRACE;
        if (stop_deadline > 0 && stop_deadline < until)
            until = stop_deadline;
        if (now >= until) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            killed = true;
            break;
        }
        if (fd < 0) {
            usleep(20000);
            continue;
        }
        {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            ssize_t w;
            if (poll(&p, 1, 20) == 0)
                continue;
            w = write(fd, msg + off, len - off);
            if (w > 0) {
                off += (size_t)w;
            } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                SDC_ERROR("mail: writing to %s: %s", it->sendmail,
                          strerror(errno));
                write_err = true;
            }
            if (off == len || write_err) {
                close(fd); /* the end of the message */
                fd = -1;
            }
        }
    }
    if (fd >= 0)
        close(fd);
    free(msg);
    if (killed) {
        if (stop_deadline > 0 && stop_deadline <= deadline)
            SDC_ERROR("mail: sdcmond is stopping and %s had not finished "
                      "%d s later: killed; '%s' not sent",
                      it->sendmail, DELIVERY_MAIL_STOP_GRACE, it->subject);
        else
            SDC_ERROR("mail: %s ran longer than %d s: killed; '%s' not sent",
                      it->sendmail, DELIVERY_MAIL_TIMEOUT, it->subject);
        return;
    }
    if (lost)
        return;
    if (off < len && !write_err)
        SDC_ERROR("mail: %s exited before reading the whole message (%zu "
                  "of %zu bytes)",
                  it->sendmail, off, len);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && off == len)
        SDC_INFO("mail: '%s' handed to %s for %s", it->subject, it->sendmail,
                 it->to);
    else if (WIFEXITED(status))
        SDC_ERROR("mail: %s exited with status %d; '%s' not sent", it->sendmail,
                  WEXITSTATUS(status), it->subject);
    else
        SDC_ERROR("mail: %s was killed by signal %d; '%s' not sent",
                  it->sendmail, WIFSIGNALED(status) ? WTERMSIG(status) : 0,
                  it->subject);
}

/* ------------------------------------------------------------- thread */

static void *run(void *arg)
{
    struct delivery *d = arg;
    /* Signals are main()'s (sigtimedwait) whatever the thread that started
     * this one blocked; SIGPIPE too: a sendmail or a receiver that goes
     * away is an EPIPE here, not the end of sdcmond. */
    agent_thread_block_signals();
    for (;;) {
        struct item *it = NULL;
        pthread_mutex_lock(&d->lock);
        while (!d->stop && d->len == 0)
            pthread_cond_wait(&d->cond, &d->lock);
        if (!d->stop) {
            it = d->q[d->head];
            d->head = (d->head + 1) % DELIVERY_QUEUE;
            d->len--;
        }
        pthread_mutex_unlock(&d->lock);
        if (!it)
            break;
        if (it->kind == ITEM_POST)
            send_post(d, it);
        else
            send_mail(d, it);
        item_free(it);
    }
    return NULL;
}

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

enum sdc_rc delivery_start(struct delivery **out, struct sdc_error *err)
{
    struct delivery *d = calloc(1, sizeof(*d));
    pthread_condattr_t ca;
    static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

    *out = NULL;
    if (!d)
        return sdc_error_set(err, SDC_ERR_NOMEM, "delivery: out of memory");
    /* libcurl's global state once per process (7.88 initialises it
     * thread-safely, but there is no reason to do it twice) */
    pthread_once(&curl_once, curl_init_once);
    pthread_mutex_init(&d->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&d->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&d->thread, NULL, run, d) != 0) {
        pthread_cond_destroy(&d->cond);
        pthread_mutex_destroy(&d->lock);
        free(d);
        return sdc_error_set(err, SDC_ERR_NOMEM,
                             "delivery: cannot start a thread");
    }
    *out = d;
    return SDC_OK;
}

bool delivery_post(struct delivery *d, const char *url, const char *json)
{
    struct item *it;
    if (!d)
        return false;
    it = calloc(1, sizeof(*it));
    if (it) {
        it->kind = ITEM_POST;
        it->url = strdup(url);
        it->body = strdup(json);
    }
    if (!it || !it->url || !it->body) {
        SDC_ERROR("webhook: out of memory; a report not queued");
        item_free(it);
        return false;
    }
    return push(d, it, "webhook");
}

bool delivery_mail(struct delivery *d, const char *sendmail, const char *to,
                   const char *from, const char *subject, const char *text,
                   const char *html)
{
    struct item *it;
    if (!d)
        return false;
    it = calloc(1, sizeof(*it));
    if (it) {
        it->kind = ITEM_MAIL;
        it->sendmail = strdup(sendmail);
        it->to = strdup(to);
        it->from = strdup(from ? from : "");
        it->subject = strdup(subject);
        it->text = strdup(text);
        it->html = html ? strdup(html) : NULL;
    }
    if (!it || !it->sendmail || !it->to || !it->from || !it->subject ||
        !it->text || (html && !it->html)) {
        SDC_ERROR("mail: out of memory; '%s' not queued", subject);
        item_free(it);
        return false;
    }
    return push(d, it, "mail");
}

void delivery_stop(struct delivery *d)
{
    size_t dropped;
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    d->stop = true;
    dropped = d->len;
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
    pthread_join(d->thread, NULL);
    if (dropped)
        SDC_WARN("delivery: stopping with %zu item(s) not sent", dropped);
    for (size_t i = 0; i < d->len; i++)
        item_free(d->q[(d->head + i) % DELIVERY_QUEUE]);
    pthread_cond_destroy(&d->cond);
    pthread_mutex_destroy(&d->lock);
    free(d);
}
