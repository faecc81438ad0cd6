/*
 * rrd_proc.c - librrd's updates done by a child process of their own (see
 * rrd_proc.h for why).
 *
 * Protocol on a socketpair, native byte order (both ends are one program):
 *   request  u32 path length, u32 line length, the path, the line
 *   reply    u8 status (0 done, 1 refused), u16 message length, message
 * Replies come in request order.  The parent keeps up to RRDP_OUT_MAX bytes
 * of requests queued and reads replies as they come (poll on both ways), so
 * neither side ever blocks on a full socket while the other waits.  The
 * child gathers its replies and sends them when it has no complete request
 * left to do, or RRDP_FLUSH bytes of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rrd.h>

#include "rrd_proc.h"

extern char **environ;

/* no answer for this long (ms): the child is stuck */
#define RRDP_TIMEOUT_MS 60000
#define RRDP_RESTARTS 3 /* new children a call may start */
#define RRDP_OUT_MAX (256 * 1024)
#define RRDP_IN_LEN (64 * 1024)
#define RRDP_LINE_MAX (64 * 1024)
#define RRDP_MSG_MAX 1024
#define RRDP_HDR 8
#define RRDP_RHDR 3
#define RRDP_FLUSH 4096 /* the child answers once it has this much */

struct rrdp {
    char *exe;
    pid_t pid; /* 0: no child */
    int fd;    /* -1: no child */
    unsigned long restarts;
    bool started_once;
    int timeout_ms;
};

/* ------------------------------------------------------------ the parent */

static void describe_status(int status, char *buf, size_t len)
{
    if (WIFEXITED(status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, len, "ended (status 0x%x)", (unsigned)status);
}

/* Wait up to @secs seconds for the child, then kill it; describe its end. */
static void reap(struct rrdp *p, int secs, char *why, size_t why_len)
{
    int status = 0;
    pid_t r = 0;

    if (p->fd >= 0) {
        close(p->fd);
        p->fd = -1;
    }
    if (p->pid <= 0)
        return;
    for (int i = 0; i < secs * 100; i++) {
        r = waitpid(p->pid, &status, WNOHANG);
        if (r != 0 && !(r < 0 && errno == EINTR))
            break;
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    if (r == 0) {
        kill(p->pid, SIGKILL);
        while ((r = waitpid(p->pid, &status, 0)) < 0 && errno == EINTR)
            ;
    }
    if (why) {
        if (r == p->pid)
            describe_status(status, why, why_len);
        else
            snprintf(why, why_len, "lost (%s)", strerror(errno));
    }
    p->pid = 0;
}

static enum sdc_rc spawn(struct rrdp *p, struct sdc_error *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t mask, def;
    char *argv[] = {"sdcmond", RRDP_CHILD_ARG, NULL};
    int sv[2];
    int e;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return sdc_error_set(err, SDC_ERR_IO,
                             "rrd writer process: socketpair: %s",
                             strerror(errno));
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    /* the child's end becomes its standard input (dup2 drops CLOEXEC);
     * it inherits nothing else but standard output and error */
    posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    /* Stopping signals are blocked from birth: the child ends when the
     * agent closes its socket, never in the middle of an update.  Every
     * other signal starts at its default. */
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigfillset(&def);
    sigdelset(&def, SIGKILL);
    sigdelset(&def, SIGSTOP);
    posix_spawnattr_setsigmask(&at, &mask);
    posix_spawnattr_setsigdefault(&at, &def);
    posix_spawnattr_setflags(&at,
                             POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    e = posix_spawn(&p->pid, p->exe, &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(sv[1]);
    if (e != 0) {
        close(sv[0]);
        p->pid = 0;
        return sdc_error_set(err, SDC_ERR_IO,
                             "rrd writer process: cannot start %s: %s", p->exe,
                             strerror(e));
    }
    p->fd = sv[0];
    if (p->started_once)
        p->restarts++;
    p->started_once = true;
    return SDC_OK;
}

enum sdc_rc rrdp_new(const char *exe, struct rrdp **out, struct sdc_error *err)
{
    struct rrdp *p;
    enum sdc_rc rc;

    *out = NULL;
    if (!exe || exe[0] != '/')
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "rrd writer process: program path must be "
                             "absolute");
    p = calloc(1, sizeof(*p));
    if (!p || !(p->exe = strdup(exe))) {
        free(p);
        return sdc_error_set(err, SDC_ERR_NOMEM,
                             "rrd writer process: out of memory");
    }
    p->fd = -1;
    p->timeout_ms = RRDP_TIMEOUT_MS;
    rc = spawn(p, err);
    if (rc != SDC_OK) {
        rrdp_free(p);
        return rc;
    }
    *out = p;
    return SDC_OK;
}

void rrdp_free(struct rrdp *p)
{
    if (!p)
        return;
    reap(p, 10, NULL, 0);
    free(p->exe);
    free(p);
}

void rrdp_set_timeout(struct rrdp *p, int ms)
{
    if (p)
        p->timeout_ms = ms > 0 ? ms : RRDP_TIMEOUT_MS;
}

pid_t rrdp_pid(const struct rrdp *p)
{
    return p ? p->pid : 0;
}

unsigned long rrdp_restarts(const struct rrdp *p)
{
    return p ? p->restarts : 0;
}

/* Requests not yet sent, as one growing buffer. */
struct outq {
    char *buf;
    size_t pos;
    size_t len;
    size_t cap;
};

static bool outq_add(struct outq *q, const struct rrdp_item *it)
{
    size_t pl = strlen(it->path);
    size_t ll = strlen(it->line);
    size_t need = RRDP_HDR + pl + ll;
    uint32_t h[2] = {(uint32_t)pl, (uint32_t)ll};

    if (q->pos == q->len)
        q->pos = q->len = 0;
    if (q->len + need > q->cap) {
        size_t ncap = q->cap ? q->cap : 64 * 1024;
        char *nb;
        if (q->pos > 0) { /* compact first */
            memmove(q->buf, q->buf + q->pos, q->len - q->pos);
            q->len -= q->pos;
            q->pos = 0;
        }
        while (ncap < q->len + need)
            ncap *= 2;
        if (ncap > q->cap) {
            if (!(nb = realloc(q->buf, ncap)))
                return false;
            q->buf = nb;
            q->cap = ncap;
        }
    }
    memcpy(q->buf + q->len, h, RRDP_HDR);
    memcpy(q->buf + q->len + RRDP_HDR, it->path, pl);
    memcpy(q->buf + q->len + RRDP_HDR + pl, it->line, ll);
    q->len += need;
    return true;
}

/* Whether @it can travel: the child refuses longer requests. */
static const char *item_problem(const struct rrdp_item *it)
{
    if (!it->path || !it->line || it->path[0] != '/')
        return "not an absolute archive path";
    if (strlen(it->path) >= PATH_MAX)
        return "archive path too long";
    if (strlen(it->line) >= RRDP_LINE_MAX)
        return "update line too long";
    return NULL;
}

/* Answer the refused items from @done on (until one that was sent);
 * @return: the next item to answer. */
static size_t answer_refused(const struct rrdp_item *items, const bool *bad,
                             size_t done, size_t queued, rrdp_result_fn fn,
                             void *ctx)
{
    while (done < queued && bad[done]) {
        fn(ctx, done, item_problem(&items[done]));
        done++;
    }
    return done;
}

void rrdp_update(struct rrdp *p, const struct rrdp_item *items, size_t n,
                 rrdp_result_fn fn, void *ctx)
{
    struct outq q = {0};
    char in[RRDP_IN_LEN];
    char msg[RRDP_MSG_MAX + 1];
    char why[256];
    size_t in_len = 0;
    size_t queued = 0; /* items put into q (or failed before it) */
    size_t done = 0;   /* items answered */
    int restarts = 0;
    /* items refused before they were sent, answered in their turn */
    bool *bad = calloc(n ? n : 1, sizeof(*bad));

    if (!bad) {
        for (; done < n; done++)
            fn(ctx, done, "out of memory");
        return;
    }
    /* a child that ended while idle costs no update: just a new one */
    if (p->pid > 0 && waitpid(p->pid, NULL, WNOHANG) == p->pid) {
        p->pid = 0;
        close(p->fd);
        p->fd = -1;
        restarts--; /* not counted against this call */
    }
    while (done < n) {
        struct pollfd pf;
        int pr;
        bool died = false;

        if (p->fd < 0) {
            struct sdc_error e;
            if (restarts++ >= RRDP_RESTARTS)
                sdc_error_set(&e, SDC_ERR_IO,
                              "the writer process ended %d times in one "
                              "batch; not started again before the next",
                              RRDP_RESTARTS);
            if (restarts > RRDP_RESTARTS || spawn(p, &e) != SDC_OK) {
                for (; done < n; done++)
                    fn(ctx, done, e.msg);
                break;
            }
            /* a new child: everything not answered is sent again */
            q.pos = q.len = 0;
            in_len = 0;
            queued = done;
        }
        /* answer the refused items that are next in turn */
        done = answer_refused(items, bad, done, queued, fn, ctx);
        while (queued < n && q.len - q.pos < RRDP_OUT_MAX) {
            if (item_problem(&items[queued])) {
                bad[queued++] = true;
                continue;
            }
            if (!outq_add(&q, &items[queued]))
                break;
            queued++;
        }
        done = answer_refused(items, bad, done, queued, fn, ctx);
        if (done >= n)
            break;

        pf.fd = p->fd;
        pf.events = POLLIN | (q.pos < q.len ? POLLOUT : 0);
        pf.revents = 0;
        pr = poll(&pf, 1, p->timeout_ms);
        if (pr < 0) {
            if (errno == EINTR)
                continue;
            died = true;
        } else if (pr == 0) {
            kill(p->pid, SIGKILL);
            died = true;
        }
        if (!died && (pf.revents & POLLOUT)) {
            ssize_t w = send(p->fd, q.buf + q.pos, q.len - q.pos,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0)
                q.pos += (size_t)w;
            else if (w < 0 && errno != EAGAIN && errno != EINTR)
                died = true;
        }
        if (!died && (pf.revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t r =
                recv(p->fd, in + in_len, sizeof(in) - in_len, MSG_DONTWAIT);
            if (r > 0)
                in_len += (size_t)r;
            else if (r == 0 || (errno != EAGAIN && errno != EINTR))
                died = true;
        }
        /* every complete reply, in turn */
        {
            size_t off = 0;
            while (in_len - off >= RRDP_RHDR && done < n) {
                uint16_t ml;
                memcpy(&ml, in + off + 1, sizeof(ml));
                if (ml > RRDP_MSG_MAX || done >= queued) {
                    died = true; /* garbage: not our child's answer */
                    kill(p->pid, SIGKILL);
                    break;
                }
                if (in_len - off < RRDP_RHDR + (size_t)ml)
                    break;
                if (in[off] == 0) {
                    fn(ctx, done++, NULL);
                } else {
                    memcpy(msg, in + off + RRDP_RHDR, ml);
                    msg[ml] = '\0';
                    fn(ctx, done++, ml ? msg : "refused");
                }
                off += RRDP_RHDR + ml;
                done = answer_refused(items, bad, done, queued, fn, ctx);
            }
            memmove(in, in + off, in_len - off);
            in_len -= off;
        }
        if (died && done < queued) {
            char st[160];
            reap(p, 1, st, sizeof(st));
            /* the update in hand when it ended is the one that failed (with
             * nothing queued, nothing was in hand: just a new child) */
            if (pr == 0)
                snprintf(why, sizeof(why),
                         "the writer process gave no answer for %.1f s and "
                         "was killed",
                         p->timeout_ms / 1000.0);
            else
                snprintf(why, sizeof(why), "the writer process %s", st);
            fn(ctx, done++, why);
        } else if (died) {
            reap(p, 1, NULL, 0);
        }
    }
    free(q.buf);
    free(bad);
}

/* ------------------------------------------------------------ the child */

static bool write_all(int fd, const char *b, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, b, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        b += w;
        len -= (size_t)w;
    }
    return true;
}

int rrdp_child_main(int fd)
{
    static char in[RRDP_OUT_MAX + PATH_MAX + RRDP_LINE_MAX + RRDP_HDR];
    static char out[256 * 1024];
    char path[PATH_MAX];
    static char line[RRDP_LINE_MAX];
    size_t in_len = 0;
    size_t out_len = 0;

    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        size_t off = 0;
        ssize_t r;

        for (;;) {
            uint32_t h[2];
            const char *argv[1] = {line};
            const char *m = NULL;
            size_t ml = 0;
            uint16_t ml16;

            if (in_len - off < RRDP_HDR)
                break;
            memcpy(h, in + off, RRDP_HDR);
            if (h[0] == 0 || h[0] >= PATH_MAX || h[1] >= RRDP_LINE_MAX)
                return 2;
            if (in_len - off < RRDP_HDR + (size_t)h[0] + h[1])
                break;
            memcpy(path, in + off + RRDP_HDR, h[0]);
            path[h[0]] = '\0';
            memcpy(line, in + off + RRDP_HDR + h[0], h[1]);
            line[h[1]] = '\0';
            off += RRDP_HDR + (size_t)h[0] + h[1];

            rrd_clear_error();
            if (rrd_update_r(path, NULL, 1, argv) != 0) {
                m = rrd_get_error();
                if (!m || !*m)
                    m = "refused";
                ml = strlen(m);
                if (ml > RRDP_MSG_MAX)
                    ml = RRDP_MSG_MAX;
            }
            if (out_len + RRDP_RHDR + ml > sizeof(out)) {
                if (!write_all(fd, out, out_len))
                    return 0;
                out_len = 0;
            }
            out[out_len] = m ? 1 : 0;
            ml16 = (uint16_t)ml;
            memcpy(out + out_len + 1, &ml16, sizeof(ml16));
            if (ml)
                memcpy(out + out_len + RRDP_RHDR, m, ml);
            out_len += RRDP_RHDR + ml;
            /* answer as it goes too, so the agent sees progress */
            if (out_len >= RRDP_FLUSH) {
                if (!write_all(fd, out, out_len))
                    return 0;
                out_len = 0;
            }
        }
        memmove(in, in + off, in_len - off);
        in_len -= off;
        /* nothing complete left: answer what was done, then wait */
        if (out_len > 0) {
            if (!write_all(fd, out, out_len))
                return 0;
            out_len = 0;
        }
        r = read(fd, in + in_len, sizeof(in) - in_len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r == 0 ? 0 : 2;
        in_len += (size_t)r;
    }
}
