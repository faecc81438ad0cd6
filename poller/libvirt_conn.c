/*
 * libvirt_conn.c - the libvirt collector: connection life cycle, host
 * figures and storage pools.  Domains are in libvirt_stats.c.
 *
 * Each instance is read from a thread of its own (the agent's scheduler), so
 * a hung hypervisor blocks only its own thread.  libvirt's event loop runs in
 * one more thread so that keepalive notices a dead peer and the close
 * callback marks the connection for re-opening.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>

#include "libvirt.h"
#include "libvirt_priv.h"
#include "sdc/config.h"
#include "sdc/log.h"

/* Keepalive: a probe every 5 s, the peer dead after 3 unanswered. */
#define LV_KEEPALIVE_INTERVAL 5
#define LV_KEEPALIVE_COUNT 3
/* Re-open back-off: doubling from 5 s up to 5 minutes. */
#define LV_BACKOFF_FIRST 5.0
#define LV_BACKOFF_MAX 300.0

double lv_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *lv_err(void)
{
    const char *m = virGetLastErrorMessage();
    return m ? m : "unknown libvirt error";
}

int lv_err_code(void)
{
    return virGetLastErrorCode();
}

/* libvirt's default handler prints to stderr: keep it silent, errors are
 * read with virGetLastError() in the thread that failed. */
static void lv_silent_error(void *user, virErrorPtr e)
{
    (void)user;
    (void)e;
}

static void *lv_event_thread(void *arg)
{
    (void)arg;
    for (;;) {
        if (virEventRunDefaultImpl() < 0) {
            struct timespec ts = {0, 100000000L};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

/* A timer that keeps the event loop waking (so it never sleeps forever). */
static void lv_tick(int timer, void *opaque)
{
    (void)timer;
    (void)opaque;
}

static pthread_once_t lv_once = PTHREAD_ONCE_INIT;
static enum sdc_rc lv_init_rc;
static char lv_init_msg[SDC_ERROR_MSG_LEN];

static void lv_init_once(void)
{
    pthread_t th;
    pthread_attr_t attr;

    xmlInitParser();
    if (virInitialize() < 0) {
        lv_init_rc = SDC_ERR_LIBVIRT;
        snprintf(lv_init_msg, sizeof(lv_init_msg),
                 "libvirt: cannot initialise: %s", lv_err());
        return;
    }
    virSetErrorFunc(NULL, lv_silent_error);
    if (virEventRegisterDefaultImpl() < 0) {
        lv_init_rc = SDC_ERR_LIBVIRT;
        snprintf(lv_init_msg, sizeof(lv_init_msg),
                 "libvirt: cannot register the event loop: %s", lv_err());
        return;
    }
    virEventAddTimeout(1000, lv_tick, NULL, NULL);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&th, &attr, lv_event_thread, NULL) != 0) {
        lv_init_rc = SDC_ERR_LIBVIRT;
        snprintf(lv_init_msg, sizeof(lv_init_msg),
                 "libvirt: cannot start the event thread");
    }
    pthread_attr_destroy(&attr);
}

enum sdc_rc lv_global_init(struct sdc_error *err)
{
    pthread_once(&lv_once, lv_init_once);
    if (lv_init_rc != SDC_OK)
        return sdc_error_set(err, lv_init_rc, "%s", lv_init_msg);
    return SDC_OK;
}

/* ---- connection ---- */

static void lv_on_close(virConnectPtr conn, int reason, void *opaque)
{
    struct lv_ctx *c = opaque;
    (void)conn;
    (void)reason;
    __atomic_store_n(&c->conn_closed, 1, __ATOMIC_SEQ_CST);
}

static void lv_disconnect(struct lv_ctx *c)
{
    if (!c->conn)
        return;
    virConnectUnregisterCloseCallback(c->conn, lv_on_close);
    virConnectClose(c->conn);
    c->conn = NULL;
    c->node_prev_ok = false;
    lv_ctx_clear_caches(c);
}

static void lv_fail(struct lv_ctx *c)
{
    double delay = LV_BACKOFF_FIRST;
    c->failures++;
    for (unsigned i = 1; i < c->failures && delay < LV_BACKOFF_MAX; i++)
        delay *= 2;
    if (delay > LV_BACKOFF_MAX)
        delay = LV_BACKOFF_MAX;
    c->retry_at = lv_now() + delay;
}

static enum sdc_rc lv_connect(struct lv_ctx *c, struct sdc_error *err)
{
    double now = lv_now();

    if (c->conn && __atomic_load_n(&c->conn_closed, __ATOMIC_SEQ_CST)) {
        SDC_WARN("libvirt: host %s: connection closed, re-opening", c->name);
        lv_disconnect(c);
    }
    if (c->conn)
        return SDC_OK;
    if (c->failures > 0 && now < c->retry_at)
        return sdc_error_set(err, SDC_ERR_LIBVIRT,
                             "host %s: not connected; next attempt in %.0f s",
                             c->name, c->retry_at - now);
    __atomic_store_n(&c->conn_closed, 0, __ATOMIC_SEQ_CST);
    /* Read-only where the driver allows: all we do is read. */
    c->conn = virConnectOpenReadOnly(c->uri);
    if (!c->conn) {
        int code = lv_err_code();
        if (code == VIR_ERR_OPERATION_DENIED || code == VIR_ERR_NO_SUPPORT ||
            code == VIR_ERR_OPERATION_INVALID)
            c->conn = virConnectOpenAuth(c->uri, virConnectAuthPtrDefault, 0);
    }
    if (!c->conn) {
        sdc_error_set(err, SDC_ERR_LIBVIRT, "host %s: cannot connect to %s: %s",
                      c->name, c->uri, lv_err());
        lv_fail(c);
        return SDC_ERR_LIBVIRT;
    }
    /* Local drivers (test://, qemu:///system over the local socket is remote
     * too) may refuse keepalive; that is fine. */
    if (virConnectSetKeepAlive(c->conn, LV_KEEPALIVE_INTERVAL,
                               LV_KEEPALIVE_COUNT) < 0)
        virResetLastError();
    if (virConnectRegisterCloseCallback(c->conn, lv_on_close, c, NULL) < 0)
        virResetLastError();
    if (c->failures > 0)
        SDC_NOTICE("libvirt: host %s: connection established again after %u "
                   "failures",
                   c->name, c->failures);
    c->failures = 0;
    return SDC_OK;
}

/* ---- host ---- */

static bool lv_param_u64(const virNodeCPUStatsPtr p, int n, const char *field,
                         uint64_t *out)
{
    for (int i = 0; i < n; i++)
        if (strcmp(p[i].field, field) == 0) {
            *out = p[i].value;
            return true;
        }
    return false;
}

static bool lv_mparam_u64(const virNodeMemoryStatsPtr p, int n,
                          const char *field, uint64_t *out)
{
    for (int i = 0; i < n; i++)
        if (strcmp(p[i].field, field) == 0) {
            *out = p[i].value;
            return true;
        }
    return false;
}

static bool lv_unsupported_code(int code)
{
    return code == VIR_ERR_NO_SUPPORT ||
           code == VIR_ERR_OPERATION_UNSUPPORTED ||
           code == VIR_ERR_ARGUMENT_UNSUPPORTED;
}

/* Host CPU counters into @s; busy (user+kernel, ns) into @busy. */
static bool lv_node_cpu(struct lv_ctx *c, struct sdc_sample *s, uint64_t *busy)
{
    virNodeCPUStatsPtr params;
    int n = 0;
    uint64_t user = 0, kernel = 0, idle = 0, iowait = 0;
    bool ok;

    if (c->unsupported & LV_NO_NODECPU)
        return false;
    if (virNodeGetCPUStats(c->conn, VIR_NODE_CPU_STATS_ALL_CPUS, NULL, &n, 0) <
            0 ||
        n <= 0) {
        if (lv_unsupported_code(lv_err_code())) {
            c->unsupported |= LV_NO_NODECPU;
            SDC_INFO("libvirt: host %s: driver has no host CPU statistics; "
                     "host CPU busy is the sum of its VMs",
                     c->name);
        }
        virResetLastError();
        return false;
    }
    params = calloc((size_t)n, sizeof(*params));
    if (!params)
        return false;
    ok = virNodeGetCPUStats(c->conn, VIR_NODE_CPU_STATS_ALL_CPUS, params, &n,
                            0) == 0;
    if (ok) {
        ok = lv_param_u64(params, n, VIR_NODE_CPU_STATS_USER, &user) &&
             lv_param_u64(params, n, VIR_NODE_CPU_STATS_KERNEL, &kernel) &&
             lv_param_u64(params, n, VIR_NODE_CPU_STATS_IDLE, &idle);
        lv_param_u64(params, n, VIR_NODE_CPU_STATS_IOWAIT, &iowait);
    } else {
        virResetLastError();
    }
    free(params);
    if (!ok)
        return false;
    sdc_sample_set_counter(s, "user", user);
    sdc_sample_set_counter(s, "system", kernel);
    sdc_sample_set_counter(s, "idle", idle);
    sdc_sample_set_counter(s, "iowait", iowait);
    *busy = user + kernel;
    return true;
}

/* Host memory into @s; bytes used (total - free - buffers - cached). */
static bool lv_node_mem(struct lv_ctx *c, struct sdc_sample *s, double *used)
{
    virNodeMemoryStatsPtr params;
    int n = 0;
    uint64_t total = 0, mfree = 0, buffers = 0, cached = 0;
    bool ok;

    if (c->unsupported & LV_NO_NODEMEM)
        return false;
    if (virNodeGetMemoryStats(c->conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, NULL,
                              &n, 0) < 0 ||
        n <= 0) {
        if (lv_unsupported_code(lv_err_code())) {
            c->unsupported |= LV_NO_NODEMEM;
            SDC_INFO("libvirt: host %s: driver has no host memory statistics; "
                     "host memory used is the sum of its VMs",
                     c->name);
        }
        virResetLastError();
        return false;
    }
    params = calloc((size_t)n, sizeof(*params));
    if (!params)
        return false;
    ok = virNodeGetMemoryStats(c->conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, params,
                               &n, 0) == 0;
    if (ok) {
        ok = lv_mparam_u64(params, n, VIR_NODE_MEMORY_STATS_TOTAL, &total) &&
             lv_mparam_u64(params, n, VIR_NODE_MEMORY_STATS_FREE, &mfree);
        lv_mparam_u64(params, n, VIR_NODE_MEMORY_STATS_BUFFERS, &buffers);
        lv_mparam_u64(params, n, VIR_NODE_MEMORY_STATS_CACHED, &cached);
    } else {
        virResetLastError();
    }
    free(params);
    if (!ok || total == 0)
        return false;
    /* libvirt reports KiB */
    sdc_sample_set_gauge(s, "total", (double)total * 1024.0);
    sdc_sample_set_gauge(s, "free", (double)mfree * 1024.0);
    sdc_sample_set_gauge(s, "cached", (double)cached * 1024.0);
    sdc_sample_set_gauge(s, "buffers", (double)buffers * 1024.0);
    {
        uint64_t avail = mfree + buffers + cached;
        *used = avail >= total ? 0.0 : (double)(total - avail) * 1024.0;
    }
    return true;
}

static enum sdc_rc lv_collect_host(struct lv_ctx *c, struct sdc_batch *b,
                                   const struct lv_vm_totals *tot,
                                   struct sdc_error *err)
{
    virNodeInfo info;
    struct sdc_hv_info hv;
    struct sdc_sample *cpu, *mem;
    time_t t = sdc_wall_time();
    double now = lv_now();
    uint64_t busy = 0;
    double used = NAN;
    char *hostname;

    if (virNodeGetInfo(c->conn, &info) < 0)
        return sdc_error_set(err, SDC_ERR_LIBVIRT,
                             "host %s: cannot read node info: %s", c->name,
                             lv_err());
    memset(&hv, 0, sizeof(hv));
    hv.name = c->name;
    hv.cluster = c->cluster;
    hv.uri = c->uri;
    hv.model = info.model;
    hv.cpus = (int)info.cpus;
    hv.cores = (int)(info.nodes * info.sockets * info.cores);
    if (hv.cores <= 0 || hv.cores > hv.cpus)
        hv.cores = hv.cpus;
    hv.memory = (uint64_t)info.memory * 1024u;
    hostname = virConnectGetHostname(c->conn);
    if (!hostname)
        virResetLastError();
    hv.hostname = hostname;
    hv.cpu_busy = NAN;
    hv.mem_used = NAN;

    /* A sample pointer is valid only until the next sample is added (the
     * batch may move its array): fill each one before adding the next. */
    cpu = sdc_batch_add_sample(b, SDC_AR_HV_CPU, c->name, NULL, t);
    if (!cpu) {
        free(hostname);
        return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
    }
    sdc_sample_set_gauge(cpu, "cpus", (double)info.cpus);
    if (lv_node_cpu(c, cpu, &busy)) {
        if (c->node_prev_ok && busy >= c->node_prev_busy &&
            now > c->node_prev_t)
            hv.cpu_busy = (double)(busy - c->node_prev_busy) / 1e9 /
                          (now - c->node_prev_t);
        c->node_prev_ok = true;
        c->node_prev_busy = busy;
        c->node_prev_t = now;
    } else if (tot->cpu_rate_ok) {
        hv.cpu_busy = tot->cpu_rate / 1e9;
        hv.cpu_from_vms = true;
    }
    mem = sdc_batch_add_sample(b, SDC_AR_HV_MEM, c->name, NULL, t);
    if (!mem) {
        free(hostname);
        return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
    }
    if (!lv_node_mem(c, mem, &used)) {
        /* The driver has no memory statistics: the total is still known. */
        sdc_sample_set_gauge(mem, "total", (double)hv.memory);
        used = tot->mem_used;
        hv.mem_from_vms = true;
    }
    hv.mem_used = used;
    {
        enum sdc_rc rc = sdc_batch_set_hv(b, &hv);
        free(hostname);
        if (rc != SDC_OK)
            return sdc_error_set(err, rc, "out of memory");
    }
    return SDC_OK;
}

/* ---- storage pools ---- */

static void lv_collect_volumes(struct lv_ctx *c, virStoragePoolPtr pool,
                               const char *key, struct sdc_batch *b)
{
    virStorageVolPtr *vols = NULL;
    int n = virStoragePoolListAllVolumes(pool, &vols, 0);
    (void)c;
    if (n < 0) {
        virResetLastError();
        return;
    }
    for (int i = 0; i < n; i++) {
        virStorageVolInfo vi;
        struct sdc_volume_info v;
        char *path = virStorageVolGetPath(vols[i]);
        if (!path)
            virResetLastError();
        memset(&v, 0, sizeof(v));
        v.pool_key = (char *)key;
        v.name = (char *)virStorageVolGetName(vols[i]);
        v.path = path;
        if (virStorageVolGetInfo(vols[i], &vi) == 0) {
            v.capacity = vi.capacity;
            v.allocation = vi.allocation;
        } else {
            virResetLastError();
        }
        if (v.name)
            sdc_batch_add_volume(b, &v);
        free(path);
        virStorageVolFree(vols[i]);
    }
    free(vols);
}

static void lv_collect_pools(struct lv_ctx *c, struct sdc_batch *b)
{
    virStoragePoolPtr *pools = NULL;
    int n = virConnectListAllStoragePools(c->conn, &pools, 0);
    time_t t = sdc_wall_time();
    bool volumes = (c->reads % LV_VOLUME_EVERY) == 1;

    if (n < 0) {
        /* Hypervisors without a storage driver are common (ESX, test). */
        SDC_DEBUG("libvirt: host %s: cannot list storage pools: %s", c->name,
                  lv_err());
        virResetLastError();
        return;
    }
    for (int i = 0; i < n; i++) {
        virStoragePoolInfo pi;
        struct lvx_pool px;
        struct sdc_pool_info p;
        struct sdc_error perr;
        const char *pname = virStoragePoolGetName(pools[i]);
        char *xml = virStoragePoolGetXMLDesc(pools[i], 0);

        if (!xml || !pname ||
            lvx_parse_pool(xml, c->name, pname, &px, &perr) != SDC_OK) {
            SDC_WARN("libvirt: host %s: pool %s: cannot read its XML: %s",
                     c->name, pname ? pname : "?", xml ? perr.msg : lv_err());
            virResetLastError();
            free(xml);
            virStoragePoolFree(pools[i]);
            continue;
        }
        free(xml);
        memset(&p, 0, sizeof(p));
        p.key = px.key;
        p.name = (char *)pname;
        p.host = c->name;
        p.type = px.type;
        p.source = px.source;
        p.shared = px.shared;
        if (virStoragePoolGetInfo(pools[i], &pi) == 0) {
            p.active = pi.state == VIR_STORAGE_POOL_RUNNING ||
                       pi.state == VIR_STORAGE_POOL_DEGRADED;
            p.capacity = pi.capacity;
            p.allocation = pi.allocation;
            p.available = pi.available;
        } else {
            virResetLastError();
        }
        sdc_batch_add_pool(b, &p);
        if (p.active) {
            struct sdc_sample *s =
                sdc_batch_add_sample(b, SDC_AR_POOL_USAGE, px.key, NULL, t);
            /* A driver's unsigned arithmetic can wrap (available >
             * capacity): such a figure is unknown, not 16 EiB free. */
            bool sane_alloc = p.allocation <= p.capacity;
            bool sane_avail = p.available <= p.capacity;
            if (!sane_alloc || !sane_avail)
                sdc_complain(&c->pool_complaint, t, SDC_LOG_WARNING,
                             "libvirt: host %s: pool %s reports capacity %llu, "
                             "allocation %llu, available %llu bytes; the "
                             "impossible figures are written as unknown",
                             c->name, pname, (unsigned long long)p.capacity,
                             (unsigned long long)p.allocation,
                             (unsigned long long)p.available);
            if (s) {
                sdc_sample_set_gauge(s, "capacity", (double)p.capacity);
                if (sane_alloc)
                    sdc_sample_set_gauge(s, "allocation", (double)p.allocation);
                if (sane_avail)
                    sdc_sample_set_gauge(s, "available", (double)p.available);
            }
            if (volumes)
                lv_collect_volumes(c, pools[i], px.key, b);
        }
        lvx_pool_clear(&px);
        virStoragePoolFree(pools[i]);
    }
    free(pools);
}

/* ---- collector interface ---- */

static enum sdc_rc lv_create(const void *cfgp, void **ctx,
                             struct sdc_error *err)
{
    const struct sdc_hypervisor_cfg *cfg = cfgp;
    struct lv_ctx *c;
    enum sdc_rc rc = lv_global_init(err);

    if (rc != SDC_OK)
        return rc;
    c = calloc(1, sizeof(*c));
    if (!c)
        return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
    c->name = strdup(cfg->name);
    c->uri = strdup(cfg->uri);
    c->cluster = strdup(cfg->cluster ? cfg->cluster : cfg->name);
    if (!c->name || !c->uri || !c->cluster) {
        free(c->name);
        free(c->uri);
        free(c->cluster);
        free(c);
        return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
    }
    *ctx = c;
    return SDC_OK;
}

static enum sdc_rc lv_read(void *ctx, struct sdc_batch *b,
                           struct sdc_error *err)
{
    struct lv_ctx *c = ctx;
    struct lv_vm_totals tot = {NAN, false, 0.0};
    enum sdc_rc rc;

    rc = lv_connect(c, err);
    if (rc != SDC_OK)
        return rc;
    c->reads++;
    rc = lv_collect_domains(c, b, &tot, err);
    if (rc == SDC_OK)
        rc = lv_collect_host(c, b, &tot, err);
    if (rc != SDC_OK) {
        /* A dead connection is re-opened on the next read. */
        if (virConnectIsAlive(c->conn) != 1) {
            virResetLastError();
            lv_disconnect(c);
            lv_fail(c);
        }
        return rc;
    }
    lv_collect_pools(c, b);
    return SDC_OK;
}

static void lv_destroy(void *ctx)
{
    struct lv_ctx *c = ctx;
    if (!c)
        return;
    lv_disconnect(c);
    lv_ctx_clear_caches(c);
    free(c->name);
    free(c->uri);
    free(c->cluster);
    free(c);
}

const struct sdc_collector_type sdc_libvirt_collector = {
    .name = "libvirt",
    .create = lv_create,
    .read = lv_read,
    .destroy = lv_destroy,
};
