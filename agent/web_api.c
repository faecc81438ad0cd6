/*
 * web_api.c - the JSON API under /api/v1/ (jansson).  Figures are in base
 * units (bytes, CPUs, bytes per second, ratios 0..1); unknown is null.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inventory.h"
#include "inventory_export.h"
#include "sdc/log.h"
#include "stats.h"
#include "web_priv.h"

#define API_VMS_DEFAULT_LIMIT 100
#define API_VMS_MAX_LIMIT 10000
#define API_MAX_FILTER 256

static json_t *jstr(const char *s)
{
    return web_json_str(s);
}

static json_t *cycle_obj(const struct snap *s)
{
    if (!s)
        return json_null();
    return json_pack("{s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:I}", "time",
                     (json_int_t)s->cycle, "duration_seconds",
                     web_json_num(s->cycle_seconds), "cycles",
                     (json_int_t)s->cycles, "overruns", (json_int_t)s->overruns,
                     "errors", (json_int_t)s->cycle_errors, "archive_updates",
                     (json_int_t)s->archive_updates, "archives_created",
                     (json_int_t)s->archive_created, "archive_errors",
                     (json_int_t)s->archive_errors);
}

static json_t *cluster_obj(struct web *w, const struct snap_cluster *c,
                           time_t now)
{
    return json_pack(
        "{s:o,s:{s:o,s:o,s:o,s:o,s:o},s:{s:o,s:o,s:o,s:o,s:o}}", "name",
        jstr(c->name), "cpu", "used", web_json_num(c->cpu_used), "capacity",
        web_json_num(c->cpu_capacity), "vcpus", web_json_num(c->vcpus), "ratio",
        web_json_num(safe_div(c->cpu_used, c->cpu_capacity)), "p95_month",
        web_json_num(web_p95_month(w, "cluster-cpu", c->name, NULL, now)),
        "memory", "used", web_json_num(c->mem_used), "capacity",
        web_json_num(c->mem_capacity), "allocated",
        web_json_num(c->mem_allocated), "ratio",
        web_json_num(safe_div(c->mem_used, c->mem_capacity)), "p95_month",
        web_json_num(web_p95_month(w, "cluster-mem", c->name, NULL, now)));
}

static json_t *host_obj(const struct snap_host *h)
{
    return json_pack(
        "{s:o,s:o,s:b,s:o,s:i,s:I,s:o,s:o,s:o,s:o,s:I,s:I}", "name",
        jstr(h->name), "cluster", jstr(h->cluster), "ok", h->ok, "error",
        jstr(h->error), "cpus", h->cpus, "memory", (json_int_t)h->memory,
        "cpu_used", web_json_num(h->cpu_busy), "cpu_ratio",
        web_json_num(safe_div(h->cpu_busy, h->cpus)), "memory_used",
        web_json_num(h->mem_used), "memory_ratio",
        web_json_num(safe_div(h->mem_used, (double)h->memory)), "vms",
        (json_int_t)h->vms, "vms_running", (json_int_t)h->vms_running);
}

static json_t *strv(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, jstr(v[i]));
    return a;
}

static json_t *vm_obj(const struct snap_vm *v, bool detail)
{
    json_t *o = json_pack(
        "{s:o,s:o,s:o,s:o,s:s,s:i,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:I}", "uuid",
        jstr(v->uuid), "name", jstr(v->name), "host", jstr(v->host), "cluster",
        jstr(v->cluster), "state", sdc_vm_state_name(v->state), "vcpus",
        v->vcpus, "memory", (json_int_t)v->memory, "cpu_used",
        web_json_num(v->cpu_used), "cpu_ratio", web_json_num(v->cpu_ratio),
        "memory_used", web_json_num(v->mem_used), "memory_ratio",
        web_json_num(v->mem_ratio), "disk_bytes_per_second",
        web_json_num(v->disk_io), "net_bytes_per_second",
        web_json_num(v->net_io), "disk_capacity", (json_int_t)v->disk_capacity,
        "disk_allocation", (json_int_t)v->disk_allocation);
    if (!o)
        return json_null();
    json_object_set_new(o, "owner", jstr(v->owner));
    if (detail) {
        json_object_set_new(o, "title", jstr(v->title));
        json_object_set_new(o, "disks", strv(v->disks, v->n_disks));
        json_object_set_new(o, "nics", strv(v->nics, v->n_nics));
        json_object_set_new(o, "time", json_integer((json_int_t)v->t));
    }
    return o;
}

static json_t *pool_obj(struct web *w, const struct snap_pool *p, time_t now)
{
    return json_pack(
        "{s:o,s:o,s:o,s:o,s:b,s:I,s:I,s:I,s:o,s:o}", "key", jstr(p->key),
        "name", jstr(p->name), "hosts", jstr(p->hosts), "type", jstr(p->type),
        "shared", p->shared, "capacity", (json_int_t)p->capacity, "allocation",
        (json_int_t)p->allocation, "available", (json_int_t)p->available,
        "ratio",
        web_json_num(safe_div((double)p->allocation, (double)p->capacity)),
        "p95_month", web_json_num(web_p95_month(w, "pool", p->key, NULL, now)));
}

/* Case-insensitive substring (ASCII). */
static bool contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0)
        return true;
    for (const char *p = hay; *p; p++)
        if (strncasecmp(p, needle, n) == 0)
            return true;
    return false;
}

static bool state_known(const char *s)
{
    for (int i = 0; i <= SDC_VM_PMSUSPENDED; i++)
        if (strcmp(s, sdc_vm_state_name((enum sdc_vm_state)i)) == 0)
            return true;
    return false;
}

static void api_vms(const struct web_req *r, struct web_resp *resp)
{
    const struct snap *s = r->snap;
    const char *host = web_req_query(r, "host");
    const char *cluster = web_req_query(r, "cluster");
    const char *state = web_req_query(r, "state");
    const char *name = web_req_query(r, "name");
    unsigned long limit, offset;
    size_t total = 0;
    json_t *items = json_array();

    if (!web_parse_count(web_req_query(r, "limit"), API_VMS_DEFAULT_LIMIT,
                         API_VMS_MAX_LIMIT, &limit) ||
        !web_parse_count(web_req_query(r, "offset"), 0, (unsigned long)1e9,
                         &offset)) {
        json_decref(items);
        web_resp_text(resp, 400, NULL,
                      "limit must be 0..%d and offset a whole number\n",
                      API_VMS_MAX_LIMIT);
        return;
    }
    if ((host && strlen(host) > API_MAX_FILTER) ||
        (cluster && strlen(cluster) > API_MAX_FILTER) ||
        (name && strlen(name) > API_MAX_FILTER) ||
        (state && !state_known(state))) {
        json_decref(items);
        web_resp_text(resp, 400, NULL,
                      "bad filter: host, cluster and name at most %d bytes; "
                      "state one of running, paused, shut off ...\n",
                      API_MAX_FILTER);
        return;
    }
    for (size_t i = 0; s && i < s->n_vms; i++) {
        const struct snap_vm *v = &s->vms[i];
        if ((host && strcmp(v->host, host) != 0) ||
            (cluster && strcmp(v->cluster, cluster) != 0) ||
            (state && strcmp(sdc_vm_state_name(v->state), state) != 0) ||
            (name && !contains(v->name, name)))
            continue;
        if (total >= offset && total - offset < limit)
            json_array_append_new(items, vm_obj(v, false));
        total++;
    }
    web_resp_json(resp,
                  json_pack("{s:I,s:I,s:I,s:o}", "total", (json_int_t)total,
                            "offset", (json_int_t)offset, "limit",
                            (json_int_t)limit, "items", items));
}

/*
 * /api/v1/inventory - this agent's inventory for the agent that writes the
 * reports (DESIGN.md section 8; reporter/peers.c pulls it): a connection of
 * its own per request (WAL: the poller keeps writing meanwhile).  Rows
 * merged from this agent's own peers are left out by the export.
 */
static void api_inventory(struct web *w, const struct web_req *r,
                          struct web_resp *resp)
{
    struct inv *db = NULL;
    struct sdc_error e = {0};
    char path[4096];
    json_t *doc;
    snprintf(path, sizeof(path), "%s/inventory.db", w->data_dir);
    if (inv_open(path, &db, &e) != SDC_OK) {
        SDC_ERROR("web: /api/v1/inventory: %s", e.msg);
        web_resp_text(resp, 503, "application/json",
                      "{\"error\":\"the inventory cannot be read now\"}\n");
        return;
    }
    doc = inventory_export_json(db, r->now, &e);
    inv_close(db);
    if (!doc) {
        SDC_ERROR("web: /api/v1/inventory: %s", e.msg);
        web_resp_text(resp, 503, "application/json",
                      "{\"error\":\"the inventory cannot be read now\"}\n");
        return;
    }
    web_resp_json(resp, doc);
}

void web_handle_api(struct web *w, const struct web_req *r,
                    struct web_resp *resp)
{
    const struct snap *s = r->snap;
    json_t *a;
    switch (r->route->kind) {
    case WR_API_SUMMARY: {
        size_t ok_hosts = 0, ok_dev = 0;
        json_t *targets = json_array();
        for (size_t i = 0; s && i < s->n_hosts; i++)
            ok_hosts += s->hosts[i].ok;
        for (size_t i = 0; s && i < s->n_devices; i++)
            ok_dev += s->devices[i].ok;
        for (size_t i = 0; s && i < s->n_targets; i++) {
            const struct snap_target *t = &s->targets[i];
            json_array_append_new(
                targets,
                json_pack("{s:o,s:o,s:b,s:o,s:I,s:I,s:I,s:I,s:o}", "name",
                          jstr(t->name), "kind", jstr(t->kind), "ok", t->ok,
                          "error", jstr(t->error), "reads",
                          (json_int_t)t->reads, "errors", (json_int_t)t->errors,
                          "timeouts", (json_int_t)t->timeouts, "skipped",
                          (json_int_t)t->skipped, "last_seconds",
                          web_json_num(t->last_seconds)));
        }
        web_resp_json(
            resp,
            json_pack(
                "{s:I,s:i,s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I},"
                "s:{s:f,s:f,s:f,s:f},s:o}",
                "now", (json_int_t)r->now, "step", w->step, "cycle",
                cycle_obj(s), "counts", "clusters",
                (json_int_t)(s ? s->n_clusters : 0), "hypervisors",
                (json_int_t)(s ? s->n_hosts : 0), "hypervisors_answered",
                (json_int_t)ok_hosts, "vms", (json_int_t)(s ? s->n_vms : 0),
                "vms_running", (json_int_t)(s ? s->vms_running : 0), "pools",
                (json_int_t)(s ? s->n_pools : 0), "devices",
                (json_int_t)(s ? s->n_devices : 0), "devices_answered",
                (json_int_t)ok_dev, "interfaces",
                (json_int_t)(s ? s->n_ifaces : 0), "targets", "cpu",
                s ? s->target_cpu : 0.0, "memory", s ? s->target_memory : 0.0,
                "storage", s ? s->target_storage : 0.0, "network",
                s ? s->target_network : 0.0, "targets_status", targets));
        return;
    }
    case WR_API_CLUSTERS:
        a = json_array();
        for (size_t i = 0; s && i < s->n_clusters; i++)
            json_array_append_new(a, cluster_obj(w, &s->clusters[i], r->now));
        web_resp_json(resp, a);
        return;
    case WR_API_HYPERVISORS:
        a = json_array();
        for (size_t i = 0; s && i < s->n_hosts; i++)
            json_array_append_new(a, host_obj(&s->hosts[i]));
        web_resp_json(resp, a);
        return;
    case WR_API_VMS:
        api_vms(r, resp);
        return;
    case WR_API_VM: {
        const struct snap_vm *v = snap_find_vm(s, r->route->arg);
        if (!v) {
            web_resp_text(resp, 404, "application/json",
                          "{\"error\":\"no such VM\"}\n");
            return;
        }
        web_resp_json(resp, vm_obj(v, true));
        return;
    }
    case WR_API_POOLS:
        a = json_array();
        for (size_t i = 0; s && i < s->n_pools; i++)
            json_array_append_new(a, pool_obj(w, &s->pools[i], r->now));
        web_resp_json(resp, a);
        return;
    case WR_API_DEVICES:
        a = json_array();
        for (size_t i = 0; s && i < s->n_devices; i++) {
            const struct snap_device *d = &s->devices[i];
            json_array_append_new(
                a, json_pack("{s:o,s:o,s:o,s:o,s:b,s:o,s:o}", "name",
                             jstr(d->name), "address", jstr(d->address), "role",
                             jstr(d->role), "sys_name", jstr(d->sys_name), "ok",
                             d->ok, "error", jstr(d->error), "uptime_seconds",
                             web_json_num(d->uptime)));
        }
        web_resp_json(resp, a);
        return;
    case WR_API_INTERFACES:
        a = json_array();
        for (size_t i = 0; s && i < s->n_ifaces; i++) {
            const struct snap_iface *f = &s->ifaces[i];
            json_array_append_new(
                a, json_pack("{s:o,s:o,s:o,s:I,s:b,s:s,s:o,s:o,s:o,s:o}",
                             "device", jstr(f->device), "name", jstr(f->name),
                             "alias", jstr(f->alias), "speed",
                             (json_int_t)f->speed, "uplink", f->uplink,
                             "status", sdc_if_oper_status_name(f->oper_status),
                             "in_bytes_per_second", web_json_num(f->in_bps),
                             "out_bytes_per_second", web_json_num(f->out_bps),
                             "errors_per_second", web_json_num(f->errors),
                             "ratio", web_json_num(web_iface_ratio(f))));
        }
        web_resp_json(resp, a);
        return;
    case WR_API_REPORTS:
        web_resp_json(resp, web_reports_list(w));
        return;
    case WR_API_INVENTORY:
        api_inventory(w, r, resp);
        return;
    default:
        web_resp_text(resp, 404, "application/json",
                      "{\"error\":\"no such route\"}\n");
    }
}
