/*
 * cycle.c - one poll cycle: ask every target for a reading (each on its own
 * thread, each within its timeout), count a migrating VM once, sum the
 * clusters, write the archives and record the inventory.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent.h"
#include "cluster.h"
#include "libvirt.h"
#include "snmp.h"

/* @clock's time, seconds with a fraction: CLOCK_MONOTONIC for phases,
 * CLOCK_REALTIME for the wall, CLOCK_{PROCESS,THREAD}_CPUTIME_ID for CPU. */
static double clock_s(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Where the cycle's time went, into a->last_timing: @late how long after
 * its scheduled start the cycle began, @ph the monotonic times at the start,
 * after the targets, after the archives and after the inventory, @cpu the
 * process's and @tcpu this thread's CPU time over the cycle.  The slowest
 * target is the scheduler's own measure of its read.
 */
static void note_timing(struct agent *a, double late, const double ph[4],
                        double cpu, double tcpu)
{
    const char *slow = "";
    double slow_s = 0;
    size_t nt = sched_count(a->sched);

    for (size_t i = 0; i < nt; i++) {
        struct sched_target_stats st;
        sched_get_stats(a->sched, i, &st);
        if (st.last_seconds > slow_s || !*slow) {
            slow_s = st.last_seconds;
            slow = st.name;
        }
    }
    snprintf(a->last_timing, sizeof(a->last_timing),
             "started %.2f s late; targets %.2f s (slowest %s %.2f s), "
             "archives %.2f s, inventory %.2f s; CPU %.2f s (this thread "
             "%.2f s) in %.2f s",
             late, ph[1] - ph[0], *slow ? slow : "-", slow_s, ph[2] - ph[1],
             ph[3] - ph[2], cpu, tcpu, ph[3] - ph[0]);
}

/* mkdir -p with mode 0755 */
static enum sdc_rc make_dirs(const char *path, struct sdc_error *err)
{
    char buf[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof(buf))
        return sdc_error_set(err, SDC_ERR_IO, "bad directory name '%s'", path);
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return sdc_error_set(err, SDC_ERR_IO, "cannot create %s: %s",
                                     buf, strerror(errno));
            *p = c;
            if (c == '\0')
                break;
        }
    }
    return SDC_OK;
}

enum sdc_rc agent_open(struct sdc_config *cfg, struct agent **out,
                       struct sdc_error *err)
{
    struct agent *a = calloc(1, sizeof(*a));
    char path[4096];
    enum sdc_rc rc;

    if (!a)
        return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
    rc = make_dirs(cfg->data_dir, err);
    if (rc != SDC_OK)
        goto fail;
    if (cfg->n_snmp > 0) {
        /* before libvirt starts its event thread: it sets $MIBS */
        rc = snmp_global_init(err);
        if (rc != SDC_OK)
            goto fail;
    }
    rc = lv_global_init(err);
    if (rc != SDC_OK)
        goto fail;
    rc = rrdw_open(cfg->data_dir, (unsigned)cfg->step, &cfg->retention,
                   cfg->rrdcached, &a->writer, err);
    if (rc != SDC_OK)
        goto fail;
    /* sdcmond itself, started again as the update process (rrd_proc.h) */
    if (cfg->write_process && !*cfg->rrdcached) {
        rc = rrdw_use_process(a->writer, "/proc/self/exe", err);
        if (rc != SDC_OK)
            goto fail;
    }
    snprintf(path, sizeof(path), "%s/inventory.db", cfg->data_dir);
    rc = inv_open(path, &a->inv, err);
    if (rc != SDC_OK)
        goto fail;
    rc = sched_new(&a->sched, err);
    if (rc != SDC_OK)
        goto fail;
    for (size_t i = 0; i < cfg->n_hypervisors; i++) {
        const struct sdc_hypervisor_cfg *h = &cfg->hypervisors[i];
        rc = sched_add(a->sched, &sdc_libvirt_collector, h, h->name, h->timeout,
                       err);
        if (rc != SDC_OK)
            goto fail;
    }
    if (cfg->n_snmp > 0) {
        /* One target for every SNMP device: one thread, one event loop.  It
         * must be done before the next cycle starts, and its own deadline
         * comes a little before the scheduler's, so unfinished devices are
         * reported one by one rather than the whole target timing out. */
        /* The engine's budget leaves 40% of the step for writing the
         * archives; the scheduler's timeout is only a safety net behind it
         * (a loaded machine can run the engine's thread late), so it gets
         * a generous margin. */
        struct sdc_snmp_collector_cfg sc = {0};
        double budget = fmax(0.5, cfg->step * 0.6);
        double timeout = budget + fmax(1.0, cfg->step * 0.2);
        sc.devices = cfg->snmp;
        sc.n_devices = cfg->n_snmp;
        sc.budget = budget;
        sc.max_inflight = SDC_SNMP_DEFAULT_INFLIGHT;
        rc =
            sched_add(a->sched, &sdc_snmp_collector, &sc, "snmp", timeout, err);
        if (rc != SDC_OK)
            goto fail;
    }
    a->cfg = cfg;
    *out = a;
    return SDC_OK;
fail:
    sched_free(a->sched);
    inv_close(a->inv);
    rrdw_free(a->writer);
    free(a);
    return rc;
}

void agent_close(struct agent *a)
{
    struct sdc_error err;
    if (!a)
        return;
    sched_free(a->sched);
    if (a->writer && rrdw_flush(a->writer, &err) != SDC_OK)
        SDC_WARN("rrd: flush at exit failed: %s", err.msg);
    rrdw_free(a->writer);
    inv_close(a->inv);
    for (size_t i = 0; i < a->n_targets; i++)
        free(a->targets[i].name);
    free(a->targets);
    sdc_config_free(a->cfg);
    free(a);
}

static int cmp_target(const void *k, const void *e)
{
    return strcmp(k, ((const struct agent_target_state *)e)->name);
}

/* The state kept for target @name, created on first sight; NULL if out of
 * memory. */
static struct agent_target_state *target_state(struct agent *a,
                                               const char *name)
{
    struct agent_target_state *ts, *grown;
    size_t lo = 0, hi = a->n_targets;

    ts = a->n_targets ? bsearch(name, a->targets, a->n_targets,
                                sizeof(*a->targets), cmp_target)
                      : NULL;
    if (ts)
        return ts;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(a->targets[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    grown = realloc(a->targets, (a->n_targets + 1) * sizeof(*grown));
    if (!grown)
        return NULL;
    a->targets = grown;
    memmove(&a->targets[lo + 1], &a->targets[lo],
            (a->n_targets - lo) * sizeof(*grown));
    memset(&a->targets[lo], 0, sizeof(*grown));
    a->targets[lo].name = strdup(name);
    if (!a->targets[lo].name) {
        memmove(&a->targets[lo], &a->targets[lo + 1],
                (a->n_targets - lo) * sizeof(*grown));
        return NULL;
    }
    a->n_targets++;
    return &a->targets[lo];
}

/* The web view's snapshot of this cycle (snapshot.h): current values, the
 * scheduler's counters, the archive counts.  Built after the archives and
 * the inventory are written, so it never delays them. */
static void publish_snapshot(struct agent *a, struct sdc_batch **batches,
                             size_t n, const struct sdc_batch *clusters,
                             const struct rrdw_stats *rs)
{
    size_t nt = sched_count(a->sched);
    struct snap_target *tg = calloc(nt ? nt : 1, sizeof(*tg));
    struct snap_input in = {0};
    struct snap *prev, *s = NULL;
    struct sdc_error err;

    if (!tg)
        return;
    for (size_t i = 0; i < nt; i++) {
        struct sched_target_stats st;
        sched_get_stats(a->sched, i, &st);
        tg[i].name = (char *)st.name;
        tg[i].reads = st.reads;
        tg[i].errors = st.errors;
        tg[i].timeouts = st.timeouts;
        tg[i].skipped = st.skipped;
        tg[i].last_seconds = st.last_seconds;
        tg[i].ok = false;
        tg[i].kind = (char *)"";
        tg[i].error = (char *)"";
        /* the target's batches this cycle (the SNMP target has one per
         * device): ok when all are */
        for (size_t k = 0; k < n; k++) {
            const struct sdc_batch *b = batches[k];
            bool mine;
            if (!b)
                continue;
            mine = strcmp(b->source, st.name) == 0 ||
                   (b->kind && strcmp(b->kind, st.name) == 0);
            if (!mine)
                continue;
            if (!*tg[i].kind) {
                tg[i].kind = (char *)(b->kind ? b->kind : "");
                tg[i].ok = true;
            }
            if (!b->ok) {
                tg[i].ok = false;
                if (!*tg[i].error)
                    tg[i].error = (char *)b->error.msg;
            }
        }
    }
    in.cfg = a->cfg;
    in.batches = batches;
    in.n = n;
    in.clusters = clusters;
    in.targets = tg;
    in.n_targets = nt;
    in.cycle = a->last_cycle;
    in.cycle_seconds = a->last_cycle_seconds;
    in.cycles = a->cycles;
    in.overruns = a->overruns;
    in.cycle_errors = a->cycle_errors;
    in.archive_updates = rs->updates;
    in.archive_created = rs->created;
    in.archive_errors = rs->errors;
    prev = snap_acquire(a->snaps);
    if (snap_build(&in, prev, &s, &err) == SDC_OK)
        snap_publish(a->snaps, s);
    else
        SDC_ERROR("web: %s", err.msg);
    snap_release(a->snaps, prev);
    free(tg);
}

enum sdc_rc agent_cycle(struct agent *a, time_t cycle, struct sdc_error *err)
{
    struct sdc_batch **batches = NULL;
    struct sdc_batch *clusters = NULL;
    size_t n = 0, vms = 0, dups;
    size_t n_hv = 0, ok_hv = 0, n_snmp = 0, ok_snmp = 0;
    char snmp_part[64] = "";
    double t0 = clock_s(CLOCK_MONOTONIC);
    double late = clock_s(CLOCK_REALTIME) - (double)cycle;
    double cpu0 = clock_s(CLOCK_PROCESS_CPUTIME_ID),
           tcpu0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    double ph[4];
    struct rrdw_stats before, after;
    struct sdc_error werr;
    unsigned write_errors = 0;
    char failed[512] = "";
    size_t flen = 0;
    struct inv_stats inv0, inv1;
    double tw[3], tc[3];
    enum sdc_rc rc;

    rrdw_get_stats(a->writer, &before);
    ph[0] = t0;
    rc = sched_run_cycle(a->sched, cycle, &batches, &n, err);
    if (rc != SDC_OK)
        return rc;
    ph[1] = clock_s(CLOCK_MONOTONIC);

    for (size_t i = 0; i < n; i++) {
        struct sdc_batch *b = batches[i];
        struct agent_target_state *ts;
        const char *kind;
        if (!b)
            continue;
        ts = target_state(a, b->source);
        kind = b->kind ? b->kind : "poller";
        if (strcmp(kind, "snmp") == 0) {
            n_snmp++;
            ok_snmp += b->ok;
        } else {
            n_hv++;
            ok_hv += b->ok;
        }
        if (b->ok) {
            vms += b->vms.len;
            if (ts)
                sdc_complain_release(&ts->complaint, "%s: %s: answering again",
                                     kind, b->source);
            if (strcmp(kind, "libvirt") == 0)
                SDC_DEBUG("libvirt: host %s: %zu VMs, %zu samples, bulk stats "
                          "%s, %u per-domain calls",
                          b->source, b->vms.len, b->samples.len,
                          b->used_bulk_stats ? "used" : "not returned",
                          b->fallback_calls);
        } else {
            int k = snprintf(failed + flen, sizeof(failed) - flen, "%s%s (%s)",
                             flen ? ", " : "; not answered: ", b->source,
                             b->error.code == SDC_ERR_TIMEOUT
                                 ? (strstr(b->error.msg, "still busy")
                                        ? "still busy"
                                        : "timed out")
                                 : "error");
            if (k > 0 && (size_t)k < sizeof(failed) - flen)
                flen += (size_t)k;
            a->cycle_errors++;
            /* Messages start with the target's name; a collector that
             * serves many targets fails as a whole under its own name
             * ("snmp"), which must not read "snmp: snmp: ...". */
            if (ts)
                sdc_complain(&ts->complaint, cycle, SDC_LOG_ERR, "%s%s%s",
                             strcmp(kind, b->source) ? kind : "",
                             strcmp(kind, b->source) ? ": " : "", b->error.msg);
        }
    }
    dups = cluster_dedup_vms(batches, n);
    if (dups)
        SDC_INFO("cycle: %zu VM(s) seen on two hypervisors (migrating), "
                 "counted once",
                 dups);

    clusters = sdc_batch_new("clusters", cycle);
    if (clusters) {
        clusters->ok = true;
        if (cluster_aggregate(a->cfg, batches, n, sdc_wall_time(), clusters,
                              &werr) != SDC_OK)
            SDC_ERROR("cycle: cluster sums failed: %s", werr.msg);
    }

    for (size_t i = 0; i < n; i++) {
        if (!batches[i] || !batches[i]->ok)
            continue;
        if (rrdw_write_batch(a->writer, batches[i], &werr) != SDC_OK) {
            write_errors++;
            SDC_ERROR("rrd: %s %s: %s",
                      batches[i]->kind && strcmp(batches[i]->kind, "snmp") == 0
                          ? "device"
                          : "host",
                      batches[i]->source, werr.msg);
        }
    }
    if (clusters && rrdw_write_batch(a->writer, clusters, &werr) != SDC_OK) {
        write_errors++;
        SDC_ERROR("rrd: clusters: %s", werr.msg);
    }

    ph[2] = clock_s(CLOCK_MONOTONIC);
    inv_get_stats(a->inv, &inv0);
    tw[0] = clock_s(CLOCK_MONOTONIC);
    tc[0] = clock_s(CLOCK_THREAD_CPUTIME_ID);
    if (inv_record_batches(a->inv, batches, n, cycle, &werr) != SDC_OK)
        SDC_ERROR("%s", werr.msg);
    else if (inv_snapshot_daily(a->inv, cycle, &werr) != SDC_OK)
        SDC_ERROR("daily snapshot: %s", werr.msg);
    tw[1] = clock_s(CLOCK_MONOTONIC);
    tc[1] = clock_s(CLOCK_THREAD_CPUTIME_ID);
    if (inv_record_poll(a->inv, batches, n, cycle, &werr) != SDC_OK)
        SDC_ERROR("poll status: %s", werr.msg);
    tw[2] = clock_s(CLOCK_MONOTONIC);
    tc[2] = clock_s(CLOCK_THREAD_CPUTIME_ID);
    inv_get_stats(a->inv, &inv1);
    /* this thread's CPU: the inventory's own cost, whatever else runs */
    SDC_DEBUG("inventory: cycle %lld: %llu rows written, %llu unchanged; "
              "record %.2f ms CPU (%.2f ms wall), poll status %.2f ms CPU "
              "(%.2f ms wall)",
              (long long)cycle,
              (unsigned long long)(inv1.rows_written - inv0.rows_written),
              (unsigned long long)(inv1.rows_unchanged - inv0.rows_unchanged),
              (tc[1] - tc[0]) * 1e3, (tw[1] - tw[0]) * 1e3,
              (tc[2] - tc[1]) * 1e3, (tw[2] - tw[1]) * 1e3);

    rrdw_get_stats(a->writer, &after);
    a->cycles++;
    a->last_cycle = cycle;
    ph[3] = clock_s(CLOCK_MONOTONIC);
    a->last_cycle_seconds = ph[3] - t0;
    note_timing(a, late, ph, clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0,
                clock_s(CLOCK_THREAD_CPUTIME_ID) - tcpu0);
    SDC_DEBUG("cycle %lld: %s", (long long)cycle, a->last_timing);
    if (a->cfg->n_snmp > 0)
        snprintf(snmp_part, sizeof(snmp_part),
                 ", %zu/%zu SNMP devices answered", ok_snmp, n_snmp);
    SDC_INFO("cycle %lld: %zu/%zu hypervisors answered, %zu VMs, %llu archive "
             "updates, %llu created, %llu write errors, %.2f s%s%s",
             (long long)cycle, ok_hv, n_hv, vms,
             (unsigned long long)(after.updates - before.updates),
             (unsigned long long)(after.created - before.created),
             (unsigned long long)(after.errors - before.errors),
             a->last_cycle_seconds, snmp_part, failed);
    snprintf(a->last_summary, sizeof(a->last_summary),
             "%zu/%zu hypervisors answered, %zu VMs, %llu archive updates, "
             "%.2f s%s",
             ok_hv, n_hv, vms,
             (unsigned long long)(after.updates - before.updates),
             a->last_cycle_seconds, snmp_part);

    if (a->snaps)
        publish_snapshot(a, batches, n, clusters, &after);

    for (size_t i = 0; i < n; i++)
        sdc_batch_free(batches[i]);
    free(batches);
    sdc_batch_free(clusters);
    (void)write_errors;
    return SDC_OK;
}
