/*
 * web_metrics.c - /metrics in the Prometheus text exposition format 0.0.4:
 * base units (seconds, bytes, ratios), counters ending in _total, a HELP
 * and a TYPE line per family, label values escaped.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "web_priv.h"

struct prom {
    struct mst_buf b;
    enum sdc_rc rc;
};

static void put(struct prom *p, const char *s)
{
    if (p->rc == SDC_OK)
        p->rc = mst_buf_append(&p->b, s, strlen(s));
}

static void family(struct prom *p, const char *name, const char *type,
                   const char *help)
{
    put(p, "# HELP ");
    put(p, name);
    put(p, " ");
    put(p, help);
    put(p, "\n# TYPE ");
    put(p, name);
    put(p, " ");
    put(p, type);
    put(p, "\n");
}

/* One sample: @name{k1="v1",...} value; labels as NULL-ended pairs. */
static void sample(struct prom *p, const char *name, double v, ...)
{
    va_list ap;
    const char *k;
    bool first = true;
    put(p, name);
    va_start(ap, v);
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *val = va_arg(ap, const char *);
        put(p, first ? "{" : ",");
        first = false;
        put(p, k);
        put(p, "=\"");
        if (p->rc == SDC_OK)
            p->rc = web_prom_label(&p->b, val);
        put(p, "\"");
    }
    va_end(ap);
    if (!first)
        put(p, "}");
    put(p, " ");
    if (p->rc == SDC_OK)
        p->rc = web_prom_value(&p->b, v);
    put(p, "\n");
}

void web_handle_metrics(struct web *w, const struct web_req *r,
                        struct web_resp *resp)
{
    const struct snap *s = r->snap;
    struct prom p = {.rc = SDC_OK};
    size_t len;
    (void)w;

    mst_buf_init(&p.b, (size_t)256 << 20);
    family(&p, "sdcmond_up", "gauge",
           "1 while sdcmond serves; the rest is absent before the first "
           "cycle.");
    sample(&p, "sdcmond_up", 1, NULL);
    if (s) {
        family(&p, "sdcmond_last_cycle_timestamp_seconds", "gauge",
               "Scheduled start of the last poll cycle (Unix time).");
        sample(&p, "sdcmond_last_cycle_timestamp_seconds", (double)s->cycle,
               NULL);
        family(&p, "sdcmond_cycle_duration_seconds", "gauge",
               "Duration of the last poll cycle.");
        sample(&p, "sdcmond_cycle_duration_seconds", s->cycle_seconds, NULL);
        family(&p, "sdcmond_step_seconds", "gauge",
               "Seconds between poll cycles (step).");
        sample(&p, "sdcmond_step_seconds", (double)s->step, NULL);
        family(&p, "sdcmond_cycles_total", "counter",
               "Poll cycles run since sdcmond started.");
        sample(&p, "sdcmond_cycles_total", (double)s->cycles, NULL);
        family(&p, "sdcmond_cycle_overruns_total", "counter",
               "Cycles that ran past the next start (overruns).");
        sample(&p, "sdcmond_cycle_overruns_total", (double)s->overruns, NULL);
        family(&p, "sdcmond_archive_updates_total", "counter",
               "Successful RRD archive updates.");
        sample(&p, "sdcmond_archive_updates_total", (double)s->archive_updates,
               NULL);
        family(&p, "sdcmond_archives_created_total", "counter",
               "RRD archives created.");
        sample(&p, "sdcmond_archives_created_total", (double)s->archive_created,
               NULL);
        family(&p, "sdcmond_archive_errors_total", "counter",
               "Failed RRD archive creates or updates.");
        sample(&p, "sdcmond_archive_errors_total", (double)s->archive_errors,
               NULL);

        family(&p, "sdcmond_target_up", "gauge",
               "1 if the target answered the last cycle, else 0.");
        for (size_t i = 0; i < s->n_targets; i++)
            sample(&p, "sdcmond_target_up", s->targets[i].ok ? 1 : 0, "target",
                   s->targets[i].name, "kind", s->targets[i].kind, NULL);
        family(&p, "sdcmond_target_errors_total", "counter",
               "Reads of the target that failed.");
        for (size_t i = 0; i < s->n_targets; i++)
            sample(&p, "sdcmond_target_errors_total",
                   (double)s->targets[i].errors, "target", s->targets[i].name,
                   "kind", s->targets[i].kind, NULL);
        family(&p, "sdcmond_target_timeouts_total", "counter",
               "Cycles the target did not answer within its timeout.");
        for (size_t i = 0; i < s->n_targets; i++)
            sample(&p, "sdcmond_target_timeouts_total",
                   (double)s->targets[i].timeouts, "target", s->targets[i].name,
                   "kind", s->targets[i].kind, NULL);
        family(&p, "sdcmond_target_read_duration_seconds", "gauge",
               "Duration of the target's last read.");
        for (size_t i = 0; i < s->n_targets; i++)
            sample(&p, "sdcmond_target_read_duration_seconds",
                   s->targets[i].last_seconds, "target", s->targets[i].name,
                   "kind", s->targets[i].kind, NULL);

        family(&p, "sdcmon_cluster_cpu_utilisation_ratio", "gauge",
               "CPUs busy over logical CPUs of the cluster.");
        for (size_t i = 0; i < s->n_clusters; i++)
            sample(
                &p, "sdcmon_cluster_cpu_utilisation_ratio",
                safe_div(s->clusters[i].cpu_used, s->clusters[i].cpu_capacity),
                "cluster", s->clusters[i].name, NULL);
        family(&p, "sdcmon_cluster_memory_utilisation_ratio", "gauge",
               "Memory used over memory of the cluster.");
        for (size_t i = 0; i < s->n_clusters; i++)
            sample(
                &p, "sdcmon_cluster_memory_utilisation_ratio",
                safe_div(s->clusters[i].mem_used, s->clusters[i].mem_capacity),
                "cluster", s->clusters[i].name, NULL);
        family(&p, "sdcmon_hypervisor_cpu_utilisation_ratio", "gauge",
               "CPUs busy over logical CPUs of the hypervisor.");
        for (size_t i = 0; i < s->n_hosts; i++)
            sample(&p, "sdcmon_hypervisor_cpu_utilisation_ratio",
                   safe_div(s->hosts[i].cpu_busy, s->hosts[i].cpus),
                   "hypervisor", s->hosts[i].name, "cluster",
                   s->hosts[i].cluster, NULL);
        family(&p, "sdcmon_hypervisor_memory_utilisation_ratio", "gauge",
               "Memory used over memory of the hypervisor.");
        for (size_t i = 0; i < s->n_hosts; i++)
            sample(&p, "sdcmon_hypervisor_memory_utilisation_ratio",
                   safe_div(s->hosts[i].mem_used, (double)s->hosts[i].memory),
                   "hypervisor", s->hosts[i].name, "cluster",
                   s->hosts[i].cluster, NULL);
        family(&p, "sdcmon_pool_capacity_bytes", "gauge",
               "Capacity of the storage pool.");
        for (size_t i = 0; i < s->n_pools; i++)
            sample(&p, "sdcmon_pool_capacity_bytes",
                   (double)s->pools[i].capacity, "pool", s->pools[i].key, NULL);
        family(&p, "sdcmon_pool_utilisation_ratio", "gauge",
               "Allocation over capacity of the storage pool.");
        for (size_t i = 0; i < s->n_pools; i++)
            sample(&p, "sdcmon_pool_utilisation_ratio",
                   safe_div((double)s->pools[i].allocation,
                            (double)s->pools[i].capacity),
                   "pool", s->pools[i].key, NULL);
        family(&p, "sdcmon_interface_utilisation_ratio", "gauge",
               "Busier direction's traffic over the link speed.");
        for (size_t i = 0; i < s->n_ifaces; i++) {
            const struct snap_iface *f = &s->ifaces[i];
            sample(&p, "sdcmon_interface_utilisation_ratio", web_iface_ratio(f),
                   "device", f->device, "interface", f->name, "uplink",
                   f->uplink ? "true" : "false", NULL);
        }
        family(&p, "sdcmon_storage_utilisation_ratio", "gauge",
               "Used over size of an SNMP device's storage.");
        for (size_t i = 0; i < s->n_storages; i++)
            sample(&p, "sdcmon_storage_utilisation_ratio",
                   safe_div(s->storages[i].used, s->storages[i].size), "device",
                   s->storages[i].device, "storage", s->storages[i].descr,
                   NULL);
        family(&p, "sdcmon_vm_cpu_utilisation_ratio", "gauge",
               "CPU time over the VM's vCPUs.");
        for (size_t i = 0; i < s->n_vms; i++)
            sample(&p, "sdcmon_vm_cpu_utilisation_ratio", s->vms[i].cpu_ratio,
                   "uuid", s->vms[i].uuid, "name", s->vms[i].name, "hypervisor",
                   s->vms[i].host, NULL);
        family(&p, "sdcmon_vm_memory_used_bytes", "gauge",
               "Memory the VM's guest uses.");
        for (size_t i = 0; i < s->n_vms; i++)
            sample(&p, "sdcmon_vm_memory_used_bytes", s->vms[i].mem_used,
                   "uuid", s->vms[i].uuid, "name", s->vms[i].name, "hypervisor",
                   s->vms[i].host, NULL);
        family(&p, "sdcmon_vm_memory_bytes", "gauge",
               "Memory allocated to the VM.");
        for (size_t i = 0; i < s->n_vms; i++)
            sample(&p, "sdcmon_vm_memory_bytes", (double)s->vms[i].memory,
                   "uuid", s->vms[i].uuid, "name", s->vms[i].name, "hypervisor",
                   s->vms[i].host, NULL);
    }
    if (p.rc != SDC_OK) {
        mst_buf_free(&p.b);
        web_resp_text(resp, 500, NULL, "out of memory\n");
        return;
    }
    resp->status = 200;
    resp->ctype = "text/plain; version=0.0.4; charset=utf-8";
    resp->body = mst_buf_release(&p.b, &len);
    resp->len = len;
}

void web_metrics_live(struct web *w, struct web_resp *resp)
{
    struct web_gcache_stats gs;
    struct prom p = {.rc = SDC_OK};
    size_t len;
    char *body;

    if (resp->status != 200 || !resp->body)
        return;
    web_gcache_get_stats(w->graphs, &gs);
    mst_buf_init(&p.b, resp->len + 64 * 1024);
    p.rc = mst_buf_append(&p.b, resp->body, resp->len);
    family(&p, "sdcmond_web_graph_cache_hits_total", "counter",
           "Graph requests answered from the rendered graphs of the current "
           "snapshot.");
    sample(&p, "sdcmond_web_graph_cache_hits_total", (double)gs.hits, NULL);
    family(&p, "sdcmond_web_graph_cache_misses_total", "counter",
           "Graph requests that read the archive and drew the chart.");
    sample(&p, "sdcmond_web_graph_cache_misses_total", (double)gs.misses, NULL);
    family(&p, "sdcmond_web_graph_cache_evictions_total", "counter",
           "Rendered graphs dropped to stay within the cache's bounds.");
    sample(&p, "sdcmond_web_graph_cache_evictions_total", (double)gs.evictions,
           NULL);
    family(&p, "sdcmond_web_graph_cache_entries", "gauge",
           "Rendered graphs held for the current snapshot.");
    sample(&p, "sdcmond_web_graph_cache_entries", (double)gs.entries, NULL);
    family(&p, "sdcmond_web_graph_cache_bytes", "gauge",
           "Size of the rendered graphs held.");
    sample(&p, "sdcmond_web_graph_cache_bytes", (double)gs.bytes, NULL);
    if (p.rc != SDC_OK) {
        mst_buf_free(&p.b);
        web_resp_text(resp, 500, NULL, "out of memory\n");
        return;
    }
    body = mst_buf_release(&p.b, &len);
    free(resp->body);
    resp->body = body;
    resp->len = len;
}
