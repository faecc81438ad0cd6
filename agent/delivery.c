/*
 * delivery.c - the delivery thread (delivery.h): webhook POSTs with libcurl
 * and mails through the local sendmail command.
 */
#include <dirent.h>
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

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
    char *file; /* its file in the outbox (full path); NULL: none */
};

struct delivery {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* CLOCK_MONOTONIC */
    struct item *q[DELIVERY_QUEUE];
    size_t head;
    size_t len;
    bool stop;
    /* the outbox (NULL: none) and its thread's kind */
    char *outbox;
    bool mail;
    unsigned seq;     /* names: items written by this process */
    double next_pass; /* CLOCK_MONOTONIC; 0: none due */
    double interval;  /* the wait after a failed pass */
    char **told;      /* outbox names whose failure was logged */
    size_t ntold;
    /* the running config's target, for items sent from the outbox */
    char *t_url;
    char *t_sendmail;
    char *t_to;
    char *t_from;
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
    free(it->file);
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
    if (!ok && it->file) {
        /* kept on disk: the outbox's next pass sends it (at once) */
        pthread_mutex_lock(&d->lock);
        d->next_pass = 1;
        pthread_cond_signal(&d->cond);
        pthread_mutex_unlock(&d->lock);
        SDC_WARN("delivery: %s not queued in memory (%d items already "
                 "waiting); kept in the outbox as %s",
                 what, DELIVERY_QUEUE, strrchr(it->file, '/') + 1);
        item_free(it);
        return true;
    }
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

/* @return: true when delivered. */
static bool send_post(struct delivery *d, const struct item *it)
{
    double wait = DELIVERY_BACKOFF_FIRST;
    char why[CURL_ERROR_SIZE + 64], url[600];
    url_for_log(it->url, url, sizeof(url));
    for (int attempt = 1;; attempt++) {
        int rc = post_once(it, why, sizeof(why));
        if (rc == 0) {
            SDC_INFO("webhook: delivered to %s (try %d)", url, attempt);
            return true;
        }
        if (rc == 2) {
            SDC_ERROR("webhook: %s refused the report: %s; not tried again",
                      url, why);
            return false;
        }
        if (attempt >= DELIVERY_TRIES) {
            SDC_ERROR("webhook: %s: %s; gave up after %d tries", url, why,
                      attempt);
            return false;
        }
        SDC_WARN("webhook: %s: %s (try %d of %d); next try in %.0f s", url, why,
                 attempt, DELIVERY_TRIES, wait);
        if (pause_or_stop(d, wait)) {
            SDC_WARN("webhook: stopping: the report for %s is not delivered",
                     url);
            return false;
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
/* An error of send_mail's: at debug level for an outbox item whose failure
 * was logged already (@loud false). */
#define MAIL_ERR(loud, ...)                                                    \
    do {                                                                       \
        if (loud)                                                              \
            SDC_ERROR(__VA_ARGS__);                                            \
        else                                                                   \
            SDC_DEBUG(__VA_ARGS__);                                            \
    } while (0)

/* @return: true when sendmail took the whole message and exited 0. */
static bool send_mail(struct delivery *d, const struct item *it, bool loud)
{
    char *msg = mail_message(it);
    int pfd[2], fd, status = 0, e;
    pid_t pid;
    size_t off = 0, len;
    double deadline, stop_deadline = 0;
    bool killed = false, lost = false, write_err = false;

    if (!msg) {
        MAIL_ERR(loud, "mail: out of memory; the digest is not mailed");
        return false;
    }
    len = strlen(msg);
    if (pipe2(pfd, O_CLOEXEC) != 0) {
        MAIL_ERR(loud, "mail: pipe: %s", strerror(errno));
        free(msg);
        return false;
    }
    e = spawn_sendmail(it, pfd[0], &pid);
    close(pfd[0]);
    fd = pfd[1];
    if (e != 0) {
        MAIL_ERR(loud, "mail: cannot run %s: %s", it->sendmail, strerror(e));
        close(fd);
        free(msg);
        return false;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    deadline = mono_now() + DELIVERY_MAIL_TIMEOUT;
    for (;;) {
        double now = mono_now(), until = deadline;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            MAIL_ERR(loud, "mail: waiting for %s: %s", it->sendmail,
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
                MAIL_ERR(loud, "mail: writing to %s: %s", it->sendmail,
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
            MAIL_ERR(loud,
                     "mail: sdcmond is stopping and %s had not finished "
                     "%d s later: killed; '%s' not sent",
                     it->sendmail, DELIVERY_MAIL_STOP_GRACE, it->subject);
        else
            MAIL_ERR(loud,
                     "mail: %s ran longer than %d s: killed; '%s' not sent",
                     it->sendmail, DELIVERY_MAIL_TIMEOUT, it->subject);
        return false;
    }
    if (lost)
        return false;
    if (off < len && !write_err)
        MAIL_ERR(loud,
                 "mail: %s exited before reading the whole message (%zu "
                 "of %zu bytes)",
                 it->sendmail, off, len);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && off == len) {
        SDC_INFO("mail: '%s' handed to %s for %s", it->subject, it->sendmail,
                 it->to);
        return true;
    }
    if (WIFEXITED(status))
        MAIL_ERR(loud, "mail: %s exited with status %d; '%s' not sent",
                 it->sendmail, WEXITSTATUS(status), it->subject);
    else
        MAIL_ERR(loud, "mail: %s was killed by signal %d; '%s' not sent",
                 it->sendmail, WIFSIGNALED(status) ? WTERMSIG(status) : 0,
                 it->subject);
    return false;
}

/* ------------------------------------------------------------- outbox */

void delivery_outbox_name(char *out, size_t len, long long sec, long nsec,
                          unsigned seq, bool mail)
{
    snprintf(out, len, "%012lld-%09ld-%06u-%s.json", sec, nsec, seq % 1000000u,
             mail ? "mail" : "webhook");
}

bool delivery_outbox_is_mail(const char *name)
{
    size_t n = strlen(name);
    return n >= 10 && strcmp(name + n - 10, "-mail.json") == 0;
}

char *delivery_notice_format(const struct delivery_notice *n)
{
    json_t *o = json_object();
    char *text;
    json_object_set_new(o, "version", json_integer(1));
    json_object_set_new(o, "kind", json_string(n->mail ? "mail" : "webhook"));
    json_object_set_new(o, "queued", json_integer(n->queued));
    if (n->mail) {
        json_object_set_new(o, "subject", json_string(n->subject));
        json_object_set_new(o, "text", json_string(n->text));
        if (n->html)
            json_object_set_new(o, "html", json_string(n->html));
    } else {
        json_object_set_new(o, "body", json_string(n->body));
    }
    text = json_dumps(o, JSON_PRESERVE_ORDER);
    json_decref(o);
    return text;
}

/* The string member @key of @o, copied into *@out; @need: missing is an
 * error.  @return: false (with @err) when wrong. */
static bool take_string(const json_t *o, const char *key, bool need, char **out,
                        struct sdc_error *err)
{
    const json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v && !need)
        return true;
    if (!json_is_string(v)) {
        sdc_error_set(err, SDC_ERR_INVALID, "\"%s\" %s", key,
                      v ? "is not a string" : "is missing");
        return false;
    }
    *out = strdup(json_string_value(v));
    if (!*out) {
        sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
        return false;
    }
    return true;
}

enum sdc_rc delivery_notice_parse(const char *text, struct delivery_notice *n,
                                  struct sdc_error *err)
{
    json_error_t je;
    json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    const json_t *kind, *queued;
    bool ok;

    memset(n, 0, sizeof(*n));
    if (!o)
        return sdc_error_set(err, SDC_ERR_INVALID, "not JSON: %s (line %d)",
                             je.text, je.line);
    if (!json_is_object(o)) {
        json_decref(o);
        return sdc_error_set(err, SDC_ERR_INVALID, "not a JSON object");
    }
    kind = json_object_get(o, "kind");
    queued = json_object_get(o, "queued");
    if (!json_is_string(kind) ||
        (strcmp(json_string_value(kind), "webhook") != 0 &&
         strcmp(json_string_value(kind), "mail") != 0)) {
        json_decref(o);
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "\"kind\" is not \"webhook\" or \"mail\"");
    }
    if (!json_is_integer(queued) || json_integer_value(queued) < 0) {
        json_decref(o);
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "\"queued\" is not a time (whole seconds >= 0)");
    }
    n->mail = strcmp(json_string_value(kind), "mail") == 0;
    n->queued = (long long)json_integer_value(queued);
    if (n->mail)
        ok = take_string(o, "subject", true, &n->subject, err) &&
             take_string(o, "text", true, &n->text, err) &&
             take_string(o, "html", false, &n->html, err);
    else
        ok = take_string(o, "body", true, &n->body, err);
    json_decref(o);
    if (!ok) {
        enum sdc_rc rc = err ? err->code : SDC_ERR_INVALID;
        delivery_notice_free(n);
        return rc;
    }
    return SDC_OK;
}

void delivery_notice_free(struct delivery_notice *n)
{
    if (!n)
        return;
    free(n->body);
    free(n->subject);
    free(n->text);
    free(n->html);
    n->body = n->subject = n->text = n->html = NULL;
}

/* fsync @dir (a rename or unlink in it made durable). */
static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Whether @name is one of this thread's item files (not a temporary, not
 * bad/). */
static bool own_name(const struct delivery *d, const char *name)
{
    return name[0] != '.' && delivery_outbox_is_mail(name) == d->mail;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The names of this thread's files in the outbox, sorted (oldest first);
 * their number in *@n.  The webhook thread also takes the names of neither
 * kind (hand-made files), which parsing then moves aside.  Temporaries
 * (".tmp-") of a write cut short by a crash, older than an hour, are
 * removed.
 */
static char **outbox_list(struct delivery *d, size_t *n)
{
    DIR *dir = opendir(d->outbox);
    struct dirent *e;
    char **v = NULL;
    size_t cap = 0;
    time_t now = time(NULL);

    *n = 0;
    if (!dir) {
        SDC_ERROR("outbox: cannot read %s: %s", d->outbox, strerror(errno));
        return NULL;
    }
    while ((e = readdir(dir)) != NULL) {
        struct stat st;
        if (strncmp(e->d_name, ".tmp-", 5) == 0 && !d->mail &&
            fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            now - st.st_mtime > 3600) {
            unlinkat(dirfd(dir), e->d_name, 0);
            continue;
        }
        if (!own_name(d, e->d_name) ||
            fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            S_ISDIR(st.st_mode))
            continue;
        if (*n == cap) {
            char **q;
            cap = cap ? cap * 2 : 32;
            q = realloc(v, cap * sizeof(*v));
            if (!q)
                break;
            v = q;
        }
        if (!(v[*n] = strdup(e->d_name)))
            break;
        (*n)++;
    }
    closedir(dir);
    if (*n)
        qsort(v, *n, sizeof(*v), cmp_names);
    return v;
}

static void free_names(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Whether the failure of @name was logged already (@forget: forget it). */
static bool told(struct delivery *d, const char *name, bool forget)
{
    for (size_t i = 0; i < d->ntold; i++) {
        if (strcmp(d->told[i], name) == 0) {
            if (forget) {
                free(d->told[i]);
                d->told[i] = d->told[--d->ntold];
            }
            return true;
        }
    }
    return false;
}

static void remember(struct delivery *d, const char *name)
{
    char **q;
    if (told(d, name, false) || d->ntold >= 2 * DELIVERY_OUTBOX_MAX)
        return;
    q = realloc(d->told, (d->ntold + 1) * sizeof(*q));
    if (!q)
        return;
    d->told = q;
    if ((d->told[d->ntold] = strdup(name)) != NULL)
        d->ntold++;
}

/* Remove @name from the outbox (delivered or dropped). */
static void outbox_remove(struct delivery *d, const char *name)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", d->outbox, name);
    if (unlink(path) != 0 && errno != ENOENT)
        SDC_ERROR("outbox: cannot remove %s: %s", path, strerror(errno));
    sync_dir(d->outbox);
    told(d, name, true);
}

/* Move @name aside to bad/ (not a valid item: @why). */
static void outbox_bad(struct delivery *d, const char *name, const char *why)
{
    char from[4200], to[4300];
    snprintf(from, sizeof(from), "%s/bad", d->outbox);
    if (mkdir(from, 0700) != 0 && errno != EEXIST) {
        SDC_ERROR("outbox: cannot create %s: %s", from, strerror(errno));
        return;
    }
    snprintf(to, sizeof(to), "%s/bad/%s", d->outbox, name);
    snprintf(from, sizeof(from), "%s/%s", d->outbox, name);
    if (rename(from, to) != 0) {
        SDC_ERROR("outbox: %s is not a valid notice (%s) and cannot be moved "
                  "aside: %s",
                  from, why, strerror(errno));
        return;
    }
    sync_dir(d->outbox);
    SDC_WARN("outbox: %s is not a valid notice (%s); moved to %s", name, why,
             to);
}

/* Whether @name is waiting in the queue (the queue sends it). */
static bool in_queue(struct delivery *d, const char *name)
{
    bool yes = false;
    pthread_mutex_lock(&d->lock);
    for (size_t i = 0; i < d->len && !yes; i++) {
        const struct item *it = d->q[(d->head + i) % DELIVERY_QUEUE];
        yes = it->file && strcmp(strrchr(it->file, '/') + 1, name) == 0;
    }
    pthread_mutex_unlock(&d->lock);
    return yes;
}

static char *read_small(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *p = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n <= 64L << 20 &&
        fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)n + 1)) != NULL) {
        if (fread(p, 1, (size_t)n, f) != (size_t)n) {
            free(p);
            p = NULL;
        } else {
            p[n] = 0;
        }
    }
    fclose(f);
    return p;
}

/*
 * Send @n once with the running config's target.  @loud: log a mail
 * failure as an error (the first failure of this item).  @return: 0 sent;
 * 1 failed (@why); 2 no target configured.
 */
static int outbox_send(struct delivery *d, const struct delivery_notice *n,
                       bool loud, char *why, size_t len)
{
    struct item it = {0};
    int rc = 2;
    pthread_mutex_lock(&d->lock);
    if (n->mail && d->t_to && *d->t_to) {
        it.kind = ITEM_MAIL;
        it.sendmail = strdup(d->t_sendmail);
        it.to = strdup(d->t_to);
        it.from = strdup(d->t_from);
    } else if (!n->mail && d->t_url && *d->t_url) {
        it.kind = ITEM_POST;
        it.url = strdup(d->t_url);
    }
    pthread_mutex_unlock(&d->lock);
    if (!it.url && !it.to) {
        snprintf(why, len, "no %s configured",
                 n->mail ? "reports.mail_to" : "reports.webhook_url");
        free(it.sendmail);
        free(it.from);
        return 2;
    }
    if (!it.url && (!it.sendmail || !it.to || !it.from)) {
        snprintf(why, len, "out of memory");
        rc = 1;
    } else if (n->mail) {
        it.subject = n->subject;
        it.text = n->text;
        it.html = n->html;
        rc = send_mail(d, &it, loud) ? 0 : 1;
        if (rc)
            snprintf(why, len, "%s failed (logged above)", it.sendmail);
    } else {
        it.body = n->body;
        rc = post_once(&it, why, len) == 0 ? 0 : 1;
    }
    free(it.url);
    free(it.sendmail);
    free(it.to);
    free(it.from);
    return rc;
}

/*
 * One pass over the outbox: its items oldest first, one try each, the
 * pass stopped by the first failure.  @return: the number of items left.
 */
static size_t outbox_pass(struct delivery *d)
{
    size_t n, left = 0, i;
    char **names = outbox_list(d, &n);
    time_t now = time(NULL);
    const char *what = d->mail ? "mail" : "webhook";

    for (i = 0; i < n && !stop_asked(d); i++) {
        char path[4200], why[CURL_ERROR_SIZE + 64], *text;
        struct delivery_notice nt;
        struct sdc_error e = {0};
        int rc;
        bool loud;

        if (in_queue(d, names[i])) {
            left++;
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", d->outbox, names[i]);
        text = read_small(path);
        if (!text) {
            if (errno != ENOENT)
                SDC_ERROR("outbox: cannot read %s: %s", path, strerror(errno));
            continue;
        }
        rc = delivery_notice_parse(text, &nt, &e);
        free(text);
        if (rc == SDC_OK && nt.mail != delivery_outbox_is_mail(names[i])) {
            sdc_error_set(&e, SDC_ERR_INVALID, "its kind is not its name's");
            delivery_notice_free(&nt);
            rc = SDC_ERR_INVALID;
        }
        if (rc != SDC_OK) {
            outbox_bad(d, names[i], e.msg);
            continue;
        }
        if (now - nt.queued > DELIVERY_OUTBOX_MAX_AGE) {
            SDC_ERROR("outbox: %s %s dropped: queued %lld s ago, more than "
                      "%d days (never delivered)",
                      what, names[i], (long long)(now - nt.queued),
                      DELIVERY_OUTBOX_MAX_AGE / 86400);
            outbox_remove(d, names[i]);
            delivery_notice_free(&nt);
            continue;
        }
        loud = !told(d, names[i], false);
        rc = outbox_send(d, &nt, loud, why, sizeof(why));
        delivery_notice_free(&nt);
        if (rc == 0) {
            SDC_INFO("outbox: %s %s delivered (queued %lld s ago)", what,
                     names[i], (long long)(now - nt.queued));
            outbox_remove(d, names[i]);
            continue;
        }
        if (loud)
            SDC_ERROR("outbox: %s %s not delivered: %s; kept, tried again "
                      "later (logged once)",
                      what, names[i], why);
        remember(d, names[i]);
        left += n - i;
        break;
    }
    free_names(names, n);
    return left;
}

/* After a pass that left @left items: when the next one is due. */
static void outbox_schedule(struct delivery *d, size_t left)
{
    double test = 0;
    const char *env = getenv("SDCMON_TEST_OUTBOX_RETRY");
    /* test-only (tests/integration/test_reports.c): the first wait in
     * seconds, instead of minutes */
    if (env && *env)
        test = atof(env);
    pthread_mutex_lock(&d->lock);
    if (left == 0) {
        d->next_pass = 0;
        d->interval = 0;
    } else {
        if (d->interval <= 0)
            d->interval = test > 0 ? test : DELIVERY_OUTBOX_RETRY_FIRST;
        else
            d->interval = fmin(d->interval * 2, DELIVERY_OUTBOX_RETRY_MAX);
        d->next_pass = mono_now() + d->interval;
    }
    pthread_mutex_unlock(&d->lock);
    if (left)
        SDC_INFO("outbox: %zu %s notice(s) waiting in %s; next try in %.0f s",
                 left, d->mail ? "mail" : "webhook", d->outbox, d->interval);
}

/*
 * Write @n to the outbox; the full path in *@path (malloc'd).  Beyond
 * DELIVERY_OUTBOX_MAX files of the kind the oldest are dropped, logged.
 * @return: false when it could not be written (logged).
 */
static bool outbox_write(struct delivery *d, const struct delivery_notice *n,
                         char **path)
{
    char name[DELIVERY_OUTBOX_NAME_LEN], tmp[4200], fin[4200], *text;
    struct timespec ts;
    unsigned seq;
    size_t count = 0, total, len;
    char **names;
    int fd;
    bool ok;

    *path = NULL;
    names = outbox_list(d, &total);
    count = total;
    for (size_t i = 0; count >= DELIVERY_OUTBOX_MAX && i < total; i++) {
        SDC_ERROR("outbox: %zu %s notices waiting (at most %d): the oldest, "
                  "%s, dropped (never delivered)",
                  count, n->mail ? "mail" : "webhook", DELIVERY_OUTBOX_MAX,
                  names[i]);
        outbox_remove(d, names[i]);
        count--;
    }
    free_names(names, total);
    text = delivery_notice_format(n);
    if (!text) {
        SDC_ERROR("outbox: out of memory; the notice is not kept on disk");
        return false;
    }
    len = strlen(text);
    clock_gettime(CLOCK_REALTIME, &ts);
    pthread_mutex_lock(&d->lock);
    seq = ++d->seq;
    pthread_mutex_unlock(&d->lock);
    delivery_outbox_name(name, sizeof(name), (long long)ts.tv_sec, ts.tv_nsec,
                         seq, n->mail);
    snprintf(tmp, sizeof(tmp), "%s/.tmp-%s", d->outbox, name);
    snprintf(fin, sizeof(fin), "%s/%s", d->outbox, name);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ok = fd >= 0;
    for (size_t off = 0; ok && off < len;) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        ok = w > 0;
        if (ok)
            off += (size_t)w;
    }
    ok = ok && fsync(fd) == 0;
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    /* link: never over another file of the same name */
    ok = ok && link(tmp, fin) == 0;
    if (!ok)
        SDC_ERROR("outbox: cannot write %s: %s; the notice is kept in memory "
                  "only",
                  fin, strerror(errno));
    if (fd >= 0)
        unlink(tmp);
    free(text);
    if (!ok)
        return false;
    sync_dir(d->outbox);
    *path = strdup(fin);
    return *path != NULL;
}

/* ------------------------------------------------------------- thread */

/* Send one item taken from the queue; its outbox file removed once
 * delivered, kept (and the next pass scheduled) when not. */
static void send_item(struct delivery *d, struct item *it)
{
    bool ok;
    const char *name = it->file ? strrchr(it->file, '/') + 1 : NULL;
    if (it->file && access(it->file, F_OK) != 0)
        return; /* a pass of the outbox sent it (or it was dropped) */
    if (it->kind == ITEM_POST)
        ok = send_post(d, it);
    else
        ok = send_mail(d, it, true);
    if (!name)
        return;
    if (ok) {
        bool backlog;
        outbox_remove(d, name);
        /* the receiver is back: what waits in the outbox goes now */
        pthread_mutex_lock(&d->lock);
        backlog = d->next_pass > 0;
        if (backlog)
            d->next_pass = 1;
        pthread_mutex_unlock(&d->lock);
        return;
    }
    SDC_ERROR("outbox: %s kept in %s; tried again later", name, d->outbox);
    remember(d, name);
    pthread_mutex_lock(&d->lock);
    if (d->next_pass <= 0) {
        d->interval = 0;
        pthread_mutex_unlock(&d->lock);
        outbox_schedule(d, 1);
        return;
    }
    pthread_mutex_unlock(&d->lock);
}

static void *run(void *arg)
{
    struct delivery *d = arg;
    /* Signals are main()'s (sigtimedwait) whatever the thread that started
     * this one blocked; SIGPIPE too: a sendmail or a receiver that goes
     * away is an EPIPE here, not the end of sdcmond. */
    agent_thread_block_signals();
    for (;;) {
        struct item *it = NULL;
        bool pass = false, stop;
        pthread_mutex_lock(&d->lock);
        while (!d->stop && d->len == 0) {
            double now;
            if (!d->outbox || d->next_pass <= 0) {
                pthread_cond_wait(&d->cond, &d->lock);
                continue;
            }
            now = mono_now();
            if (now >= d->next_pass) {
                pass = true;
                break;
            }
            {
                struct timespec until =
                    agent_deadline_after(d->next_pass - now);
                pthread_cond_timedwait(&d->cond, &d->lock, &until);
            }
        }
        stop = d->stop;
        if (!stop && !pass) {
            it = d->q[d->head];
            d->head = (d->head + 1) % DELIVERY_QUEUE;
            d->len--;
        }
        pthread_mutex_unlock(&d->lock);
        if (stop)
            break;
        if (pass) {
            outbox_schedule(d, outbox_pass(d));
            continue;
        }
        send_item(d, it);
        item_free(it);
    }
    return NULL;
}

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static enum sdc_rc start(struct delivery **out, const char *outbox, bool mail,
                         struct sdc_error *err)
{
    struct delivery *d = calloc(1, sizeof(*d));
    pthread_condattr_t ca;
    static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

    *out = NULL;
    if (!d)
        return sdc_error_set(err, SDC_ERR_NOMEM, "delivery: out of memory");
    if (outbox) {
        if (mkdir(outbox, 0700) != 0 && errno != EEXIST) {
            int e = errno;
            free(d);
            return sdc_error_set(err, SDC_ERR_IO,
                                 "outbox: cannot create %s: %s", outbox,
                                 strerror(e));
        }
        d->mail = mail;
        if (!(d->outbox = strdup(outbox))) {
            free(d);
            return sdc_error_set(err, SDC_ERR_NOMEM, "delivery: out of memory");
        }
    }
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
        free(d->outbox);
        free(d);
        return sdc_error_set(err, SDC_ERR_NOMEM,
                             "delivery: cannot start a thread");
    }
    *out = d;
    return SDC_OK;
}

enum sdc_rc delivery_start(struct delivery **out, struct sdc_error *err)
{
    return start(out, NULL, false, err);
}

enum sdc_rc delivery_start_outbox(struct delivery **out, const char *dir,
                                  bool mail, struct sdc_error *err)
{
    return start(out, dir, mail, err);
}

/* Replace *@slot with a copy of @v ("" for NULL); false when out of memory
 * (the old value kept). */
static bool set_str(char **slot, const char *v)
{
    char *c = strdup(v ? v : "");
    if (!c)
        return false;
    free(*slot);
    *slot = c;
    return true;
}

/*
 * A new target (under the lock): the first one starts the outbox's first
 * pass (what an earlier run left, sent at once); a changed one brings the
 * next pass forward.
 */
static void target_changed(struct delivery *d, bool first)
{
    if (d->outbox && (first || d->next_pass > 0)) {
        d->next_pass = 1;
        d->interval = 0;
        pthread_cond_signal(&d->cond);
    }
}

static bool same(const char *a, const char *b)
{
    return a && strcmp(a, b ? b : "") == 0;
}

void delivery_target_webhook(struct delivery *d, const char *url)
{
    bool first;
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    first = !d->t_url;
    if (!same(d->t_url, url) && set_str(&d->t_url, url))
        target_changed(d, first);
    pthread_mutex_unlock(&d->lock);
}

void delivery_target_mail(struct delivery *d, const char *sendmail,
                          const char *to, const char *from)
{
    bool first, changed;
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    first = !d->t_to;
    changed = !same(d->t_sendmail, sendmail) || !same(d->t_to, to) ||
              !same(d->t_from, from);
    if (changed && set_str(&d->t_sendmail, sendmail) && set_str(&d->t_to, to) &&
        set_str(&d->t_from, from))
        target_changed(d, first);
    pthread_mutex_unlock(&d->lock);
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
    if (d->outbox) {
        struct delivery_notice n = {.queued = (long long)time(NULL),
                                    .body = it->body};
        outbox_write(d, &n, &it->file);
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
    if (d->outbox) {
        struct delivery_notice n = {.mail = true,
                                    .queued = (long long)time(NULL),
                                    .subject = it->subject,
                                    .text = it->text,
                                    .html = it->html};
        outbox_write(d, &n, &it->file);
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
    if (dropped && d->outbox)
        SDC_WARN("delivery: stopping with %zu item(s) not sent; kept in %s "
                 "for the next start",
                 dropped, d->outbox);
    else if (dropped)
        SDC_WARN("delivery: stopping with %zu item(s) not sent", dropped);
    for (size_t i = 0; i < d->len; i++)
        item_free(d->q[(d->head + i) % DELIVERY_QUEUE]);
    for (size_t i = 0; i < d->ntold; i++)
        free(d->told[i]);
    free(d->told);
    free(d->outbox);
    free(d->t_url);
    free(d->t_sendmail);
    free(d->t_to);
    free(d->t_from);
    pthread_cond_destroy(&d->cond);
    pthread_mutex_destroy(&d->lock);
    free(d);
}
