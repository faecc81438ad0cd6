/*
 * delivery.c - the delivery thread (delivery.h): webhook POSTs with libcurl
 * and mails through the local sendmail command.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "delivery.h"
#include "sdc/log.h"

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
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)seconds;
    until.tv_nsec += (long)((seconds - floor(seconds)) * 1e9);
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&d->lock);
    while (!d->stop &&
           pthread_cond_timedwait(&d->cond, &d->lock, &until) != ETIMEDOUT)
        ;
    stop = d->stop;
    pthread_mutex_unlock(&d->lock);
    return stop;
}

/* ------------------------------------------------------------ webhook */

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
    char why[CURL_ERROR_SIZE + 64];
    for (int attempt = 1;; attempt++) {
        int rc = post_once(it, why, sizeof(why));
        if (rc == 0) {
            SDC_INFO("webhook: delivered to %s (try %d)", it->url, attempt);
            return;
        }
        if (rc == 2) {
            SDC_ERROR("webhook: %s refused the report: %s; not tried again",
                      it->url, why);
            return;
        }
        if (attempt >= DELIVERY_TRIES) {
            SDC_ERROR("webhook: %s: %s; gave up after %d tries", it->url, why,
                      attempt);
            return;
        }
        SDC_WARN("webhook: %s: %s (try %d of %d); next try in %.0f s", it->url,
                 why, attempt, DELIVERY_TRIES, wait);
        if (pause_or_stop(d, wait)) {
            SDC_WARN("webhook: stopping: the report for %s is not delivered",
                     it->url);
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

static char *mail_message(const struct item *it)
{
    struct buf b = {0};
    char date[64], boundary[64];
    time_t now = time(NULL);
    struct tm tm;

    localtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
    snprintf(boundary, sizeof(boundary), "sdcmon-%lld-%ld", (long long)now,
             (long)getpid());
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

static void send_mail(struct delivery *d, const struct item *it)
{
    char *msg = mail_message(it);
    char *argv[] = {it->sendmail, "-t", "-oi", NULL};
    posix_spawn_file_actions_t fa;
    int pfd[2];
    pid_t pid;
    int status = 0, e;
    size_t off = 0, len;
    struct timespec t0, now;

    (void)d;
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
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pfd[0], STDIN_FILENO);
    e = posix_spawn(&pid, it->sendmail, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[0]);
    if (e != 0) {
        SDC_ERROR("mail: cannot run %s: %s", it->sendmail, strerror(e));
        close(pfd[1]);
        free(msg);
        return;
    }
    while (off < len) {
        ssize_t w = write(pfd[1], msg + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            SDC_ERROR("mail: writing to %s: %s", it->sendmail,
                      w < 0 ? strerror(errno) : "closed");
            break;
        }
        off += (size_t)w;
    }
    close(pfd[1]);
    free(msg);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            SDC_ERROR("mail: waiting for %s: %s", it->sendmail,
                      strerror(errno));
            return;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec > DELIVERY_MAIL_TIMEOUT) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            SDC_ERROR("mail: %s ran longer than %d s: killed", it->sendmail,
                      DELIVERY_MAIL_TIMEOUT);
            return;
        }
        usleep(20000);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
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
    struct item *it = calloc(1, sizeof(*it));
    if (!d)
        return false;
    if (it) {
        it->kind = ITEM_POST;
        it->url = strdup(url);
        it->body = strdup(json);
    }
    if (!it || !it->url || !it->body) {
        SDC_ERROR("webhook: out of memory; %s not queued", url);
        item_free(it);
        return false;
    }
    return push(d, it, "webhook");
}

bool delivery_mail(struct delivery *d, const char *sendmail, const char *to,
                   const char *from, const char *subject, const char *text,
                   const char *html)
{
    struct item *it = calloc(1, sizeof(*it));
    if (!d)
        return false;
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
