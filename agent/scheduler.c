/* scheduler.c - thread per target, cycle collection with timeouts; see
 * scheduler.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scheduler.h"
#include "sdc/log.h"

struct target {
    struct sched *s;
    const struct sdc_collector_type *type;
    void *ctx;
    char *name;
    double timeout;
    pthread_t thread;
    pthread_cond_t wake;
    time_t want;   /* cycle asked for, 0 = nothing to do */
    time_t accept; /* cycle whose result is still wanted, 0 = none */
    bool busy;
    bool quit;
    struct sdc_batch_list *result; /* NULL until the read returns */
    struct sched_target_stats stats;
};

struct sched {
    pthread_mutex_t mu;
    pthread_cond_t done; /* a target finished a read */
    struct target **t;
    size_t n;
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One read: a list of batches, each tagged with the collector's name.  A
 * read that fails as a whole is one failed batch named after the target. */
static struct sdc_batch_list *target_read(struct target *t, time_t cycle)
{
    struct sdc_batch_list *l = calloc(1, sizeof(*l));
    struct sdc_error err;
    enum sdc_rc rc;

    if (!l)
        return NULL;
    sdc_error_clear(&err);
    if (t->type->read_many) {
        rc = t->type->read_many(t->ctx, cycle, l, &err);
        if (rc != SDC_OK) {
            struct sdc_batch *b = sdc_batch_new(t->name, cycle);
            sdc_batch_list_clear(l);
            if (b) {
                b->ok = false;
                b->error = err;
                if (sdc_batch_list_push(l, b) != SDC_OK)
                    sdc_batch_free(b);
            }
        }
    } else {
        struct sdc_batch *b = sdc_batch_new(t->name, cycle);
        if (b) {
            rc = t->type->read(t->ctx, b, &err);
            b->ok = rc == SDC_OK;
            b->error = err;
            if (sdc_batch_list_push(l, b) != SDC_OK)
                sdc_batch_free(b);
        }
    }
    for (size_t i = 0; i < l->len; i++)
        l->items[i]->kind = t->type->name;
    return l;
}

static void *target_main(void *arg)
{
    struct target *t = arg;
    struct sched *s = t->s;

    pthread_mutex_lock(&s->mu);
    for (;;) {
        time_t cycle;
        struct sdc_batch_list *l;
        struct sdc_error err;
        double t0;

        while (!t->quit && t->want == 0)
            pthread_cond_wait(&t->wake, &s->mu);
        if (t->quit)
            break;
        cycle = t->want;
        t->want = 0;
        t->busy = true;
        pthread_mutex_unlock(&s->mu);

        t0 = mono_now();
        sdc_error_clear(&err);
        l = target_read(t, cycle);

        pthread_mutex_lock(&s->mu);
        t->busy = false;
        t->stats.last_seconds = mono_now() - t0;
        if (l && t->accept == cycle) {
            t->result = l;
        } else {
            if (l)
                SDC_INFO("%s: %s: reading for an earlier cycle came %.1f s "
                         "late; discarded",
                         t->type->name, t->name, t->stats.last_seconds);
            if (l) {
                sdc_batch_list_clear(l);
                free(l);
            }
        }
        pthread_cond_broadcast(&s->done);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

enum sdc_rc sched_new(struct sched **out, struct sdc_error *err)
{
    struct sched *s = calloc(1, sizeof(*s));
    pthread_condattr_t ca;
    if (!s)
        return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->done, &ca);
    pthread_condattr_destroy(&ca);
    *out = s;
    return SDC_OK;
}

enum sdc_rc sched_add(struct sched *s, const struct sdc_collector_type *type,
                      const void *cfg, const char *name, double timeout,
                      struct sdc_error *err)
{
    struct target *t = calloc(1, sizeof(*t));
    struct target **grown;
    enum sdc_rc rc;

    if (!t)
        return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
    t->s = s;
    t->type = type;
    t->timeout = timeout > 0 ? timeout : 10;
    t->name = strdup(name);
    grown = realloc(s->t, (s->n + 1) * sizeof(*s->t));
    if (!t->name || !grown) {
        free(t->name);
        free(t);
        if (grown)
            s->t = grown;
        return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
    }
    s->t = grown;
    t->stats.name = t->name;
    rc = type->create(cfg, &t->ctx, err);
    if (rc != SDC_OK) {
        free(t->name);
        free(t);
        return rc;
    }
    pthread_cond_init(&t->wake, NULL);
    if (pthread_create(&t->thread, NULL, target_main, t) != 0) {
        type->destroy(t->ctx);
        pthread_cond_destroy(&t->wake);
        free(t->name);
        free(t);
        return sdc_error_set(err, SDC_ERR_NOMEM, "%s: cannot start a thread",
                             name);
    }
    s->t[s->n++] = t;
    return SDC_OK;
}

static struct sdc_batch *failed_batch(const struct target *t, time_t cycle,
                                      bool busy)
{
    const char *name = t->name;
    double timeout = t->timeout;
    struct sdc_batch *b = sdc_batch_new(name, cycle);
    if (b) {
        b->kind = t->type->name;
        b->ok = false;
        b->error.code = SDC_ERR_TIMEOUT;
        if (busy)
            snprintf(b->error.msg, sizeof(b->error.msg),
                     "%s: still busy with an earlier cycle (%.0f s timeout); "
                     "skipped",
                     name, timeout);
        else
            snprintf(b->error.msg, sizeof(b->error.msg),
                     "%s: no answer within %.0f s; skipped this cycle", name,
                     timeout);
    }
    return b;
}

/* Append @b to the cycle's result, freeing it if that fails. */
static void add_result(struct sdc_batch_list *res, struct sdc_batch *b)
{
    if (b && sdc_batch_list_push(res, b) != SDC_OK)
        sdc_batch_free(b);
}

enum sdc_rc sched_run_cycle(struct sched *s, time_t cycle,
                            struct sdc_batch ***out, size_t *n,
                            struct sdc_error *err)
{
    struct sdc_batch_list res = {NULL, 0, 0};
    double start = mono_now();
    bool *asked = calloc(s->n ? s->n : 1, sizeof(*asked));

    if (!asked)
        return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->n; i++) {
        struct target *t = s->t[i];
        t->result = NULL;
        if (t->busy || t->want) {
            /* still inside the read of an earlier cycle */
            t->stats.skipped++;
            continue;
        }
        t->want = cycle;
        t->accept = cycle;
        asked[i] = true;
        pthread_cond_signal(&t->wake);
    }
    for (;;) {
        double now = mono_now(), wake = 0;
        bool pending = false;
        for (size_t i = 0; i < s->n; i++) {
            struct target *t = s->t[i];
            double deadline = start + t->timeout;
            if (!asked[i] || t->result)
                continue;
            if (now >= deadline)
                continue;
            if (!pending || deadline < wake)
                wake = deadline;
            pending = true;
        }
        if (!pending)
            break;
        {
            struct timespec ts;
            ts.tv_sec = (time_t)wake;
            ts.tv_nsec = (long)((wake - (double)ts.tv_sec) * 1e9);
            if (ts.tv_nsec >= 1000000000L)
                ts.tv_nsec = 999999999L;
            pthread_cond_timedwait(&s->done, &s->mu, &ts);
        }
    }
    /* in the order the targets were added */
    for (size_t i = 0; i < s->n; i++) {
        struct target *t = s->t[i];
        if (!asked[i]) {
            add_result(&res, failed_batch(t, cycle, true));
        } else if (t->result) {
            struct sdc_batch_list *l = t->result;
            bool all_ok = true;
            t->result = NULL;
            for (size_t k = 0; k < l->len; k++) {
                all_ok = all_ok && l->items[k]->ok;
                add_result(&res, l->items[k]);
            }
            free(l->items);
            free(l);
            if (all_ok)
                t->stats.reads++;
            else
                t->stats.errors++;
        } else {
            t->accept = 0; /* a late answer will be discarded */
            t->stats.timeouts++;
            add_result(&res, failed_batch(t, cycle, false));
        }
    }
    pthread_mutex_unlock(&s->mu);
    free(asked);
    *out = res.items;
    *n = res.len;
    if (!*out) {
        *out = calloc(1, sizeof(**out));
        if (!*out)
            return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
    }
    return SDC_OK;
}

time_t sched_first_start(double now, int step)
{
    long long n = (long long)now;
    if (step < 1)
        step = 1;
    return (time_t)((n / step + 1) * step);
}

time_t sched_next_start(time_t start, double end, int step, long *missed)
{
    time_t next = start + step;
    *missed = 0;
    if (step < 1)
        step = 1;
    if (end > (double)next) {
        long behind = (long)((end - (double)next) / step) + 1;
        *missed = behind;
        next += (time_t)behind * step;
    }
    return next;
}

size_t sched_count(const struct sched *s)
{
    return s->n;
}

void sched_get_stats(struct sched *s, size_t i, struct sched_target_stats *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->t[i]->stats;
    pthread_mutex_unlock(&s->mu);
}

void sched_free(struct sched *s)
{
    bool *stuck;
    if (!s)
        return;
    stuck = calloc(s->n ? s->n : 1, sizeof(*stuck));
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->n; i++) {
        s->t[i]->quit = true;
        if (stuck)
            stuck[i] = s->t[i]->busy;
        pthread_cond_signal(&s->t[i]->wake);
    }
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; i < s->n; i++) {
        struct target *t = s->t[i];
        if (!stuck || stuck[i]) {
            /* Hung in a library call: leave it, and everything it uses. */
            pthread_detach(t->thread);
            continue;
        }
        pthread_join(t->thread, NULL);
        t->type->destroy(t->ctx);
        pthread_cond_destroy(&t->wake);
        free(t->name);
        free(t);
    }
    free(s->t);
    if (stuck && !memchr(stuck, 1, s->n)) {
        pthread_cond_destroy(&s->done);
        pthread_mutex_destroy(&s->mu);
        free(s);
    }
    /* else the scheduler itself stays allocated for the stuck threads */
    free(stuck);
}
