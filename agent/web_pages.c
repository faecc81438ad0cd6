/*
 * web_pages.c - the HTML pages (overview, hypervisor, VM, pool, SNMP
 * device, reports, errors) rendered from templates/web-*.html.mustache,
 * the SVG graphs and the report files.  Every dynamic string reaches the
 * page through mustache's HTML escaping ({{name}}, never {{{name}}}).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chart_axis.h"
#include "chart_svg.h"
#include "sdc/log.h"
#include "sdc/schema.h"
#include "stats.h"
#include "web_priv.h"

/* Largest report file served. */
#define WEB_MAX_REPORT_FILE ((size_t)64 << 20)

/* ------------------------------------------------------------- helpers */

static json_t *str(const char *s)
{
    return web_json_str(s);
}

static json_t *fmt_value(enum chart_unit unit, double v)
{
    char buf[64];
    if (!isfinite(v))
        return json_string("\xe2\x80\x94"); /* em dash: no data */
    chart_format_value(unit, NULL, v, buf, sizeof(buf));
    return json_string(buf);
}

static json_t *pct(double ratio)
{
    return fmt_value(CHART_UNIT_PERCENT, isfinite(ratio) ? ratio * 100 : NAN);
}

/* "over" at or past the target, "near" within 15% of it, else "ok". */
static const char *state_of(double now, double p95, double target)
{
    double v = fmax(isfinite(now) ? now : -1, isfinite(p95) ? p95 : -1);
    if (v < 0 || !(target > 0))
        return "none";
    if (v >= target)
        return "over";
    if (v >= 0.85 * target)
        return "near";
    return "ok";
}

static json_t *href(const char *prefix, const char *name)
{
    /* percent-encode everything but unreserved characters */
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(name), k = strlen(prefix);
    char *b = malloc(k + 3 * n + 1), *o;
    json_t *j;
    if (!b)
        return json_string("#");
    memcpy(b, prefix, k);
    o = b + k;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
            c == '~') {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    j = json_string(b);
    free(b);
    return j;
}

/* A graph's URL: /graph/<kind>/<id>/<file><instance>.svg?ds=..&range=.. */
static json_t *graph(const char *title, enum sdc_archive type, const char *id,
                     const char *instance, const char *ds, const char *range)
{
    const struct sdc_archive_def *d = sdc_archive_def_get(type);
    char sid[SDC_NAME_MAX], sin[SDC_NAME_MAX] = "", url[1024];
    sdc_name_sanitize(id, sid, sizeof(sid));
    if (instance)
        sdc_name_sanitize(instance, sin, sizeof(sin));
    snprintf(url, sizeof(url), "/graph/%s/%s/%s%s.svg?ds=%s&range=%s", d->kind,
             sid, d->file, sin, ds, range);
    return json_pack("{s:o,s:s}", "title", str(title), "src", url);
}

static void common(const struct web_req *r, json_t *o, const char *title)
{
    char ts[64] = "never";
    const struct snap *s = r->snap;
    json_object_set_new(o, "title", str(title));
    json_object_set_new(o, "refresh",
                        json_integer(r->w->step > 0 ? r->w->step : 60));
    if (s && s->cycle) {
        struct tm tm;
        localtime_r(&s->cycle, &tm);
        strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S %Z", &tm);
    }
    json_object_set_new(o, "last_cycle", json_string(ts));
    if (s) {
        char d[32];
        snprintf(d, sizeof(d), "%.2f s", s->cycle_seconds);
        json_object_set_new(o, "cycle_duration", json_string(d));
        json_object_set_new(o, "cycles", json_integer((json_int_t)s->cycles));
        json_object_set_new(o, "overruns",
                            json_integer((json_int_t)s->overruns));
    }
}

static void render(struct web *w, struct web_resp *resp, const char *tmpl,
                   json_t *data, int status)
{
    char *out = NULL;
    size_t len = 0;
    struct sdc_error err;
    const char *key;
    json_t *val, *has = json_object();
    /* "has_<list>": whether a list has rows (mustache cannot index) */
    json_object_foreach(data, key, val)
    {
        char k[128];
        if (!json_is_array(val))
            continue;
        snprintf(k, sizeof(k), "has_%s", key);
        json_object_set_new(has, k, json_boolean(json_array_size(val) > 0));
    }
    json_object_update(data, has);
    json_decref(has);
    if (mst_loader_render(w->tmpl, tmpl, data, NULL, &out, &len, &err) !=
        SDC_OK) {
        SDC_ERROR("web: %s", err.msg);
        json_decref(data);
        web_resp_text(resp, 500, NULL, "template error\n");
        return;
    }
    json_decref(data);
    free(resp->body);
    resp->status = status;
    resp->ctype = "text/html; charset=utf-8";
    resp->body = out;
    resp->len = len;
}

void web_page_error(struct web *w, struct web_resp *resp, int status,
                    const char *msg)
{
    json_t *o = json_object();
    json_object_set_new(o, "title", json_string("sdcmon"));
    json_object_set_new(o, "status", json_integer(status));
    json_object_set_new(o, "message", str(msg));
    json_object_set_new(o, "refresh", json_integer(w->step > 0 ? w->step : 60));
    render(w, resp, "web-error", o, status);
}

/* ------------------------------------------------------------ overview */

struct row {
    const char *kind;
    char name[2 * SDC_NAME_MAX + 600];
    json_t *href;
    const char *metric;
    double now, p95, target;
};

static double row_key(const struct row *r)
{
    double v =
        fmax(isfinite(r->now) ? r->now : -1, isfinite(r->p95) ? r->p95 : -1);
    return v < 0 ? -1 : v / (r->target > 0 ? r->target : 1);
}

static int cmp_row(const void *a, const void *b)
{
    double x = row_key(a), y = row_key(b);
    return x < y ? 1 : x > y ? -1 : 0;
}

/* A row named @a, or "@a @b" when @b is given (a device's storage). */
static void push_row(struct row **rows, size_t *n, size_t *cap,
                     const char *kind, const char *a, const char *b,
                     json_t *link, const char *metric, double now, double p95,
                     double target)
{
    struct row r = {.kind = kind,
                    .href = link,
                    .metric = metric,
                    .now = now,
                    .p95 = p95,
                    .target = target};
    snprintf(r.name, sizeof(r.name), "%s%s%s", a, b ? " " : "", b ? b : "");
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 32;
        struct row *g = realloc(*rows, nc * sizeof(*g));
        if (!g) {
            json_decref(r.href);
            return;
        }
        *rows = g;
        *cap = nc;
    }
    (*rows)[(*n)++] = r;
}

static json_t *vm_top(const struct snap *s, const size_t *idx, size_t n,
                      int what)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct snap_vm *v = &s->vms[idx[i]];
        json_t *val = what == 0 ? pct(v->cpu_ratio)
                      : what == 1
                          ? fmt_value(CHART_UNIT_BYTES, v->mem_used)
                          : fmt_value(CHART_UNIT_BYTES_PER_S, v->disk_io);
        json_array_append_new(a, json_pack("{s:o,s:o,s:o,s:o}", "name",
                                           str(v->name), "href",
                                           href("/vm/", v->uuid), "host",
                                           str(v->host), "value", val));
    }
    return a;
}

static void page_overview(struct web *w, const struct web_req *r,
                          struct web_resp *resp)
{
    const struct snap *s = r->snap;
    json_t *o = json_object(), *rows_j = json_array(), *fail = json_array();
    struct row *rows = NULL;
    size_t n = 0, cap = 0, answered = 0;

    common(r, o, "sdcmon: data centre now");
    for (size_t i = 0; s && i < s->n_clusters; i++) {
        const struct snap_cluster *c = &s->clusters[i];
        push_row(&rows, &n, &cap, "cluster", c->name, NULL, json_null(), "CPU",
                 safe_div(c->cpu_used, c->cpu_capacity),
                 web_p95_month(w, "cluster-cpu", c->name, NULL, r->now),
                 s->target_cpu);
        push_row(&rows, &n, &cap, "cluster", c->name, NULL, json_null(),
                 "memory", safe_div(c->mem_used, c->mem_capacity),
                 web_p95_month(w, "cluster-mem", c->name, NULL, r->now),
                 s->target_memory);
    }
    for (size_t i = 0; s && i < s->n_hosts; i++) {
        const struct snap_host *h = &s->hosts[i];
        answered += h->ok;
        if (!h->ok)
            json_array_append_new(fail,
                                  json_pack("{s:o,s:o}", "name", str(h->name),
                                            "error", str(h->error)));
        push_row(&rows, &n, &cap, "hypervisor", h->name, NULL,
                 href("/hv/", h->name), "CPU", safe_div(h->cpu_busy, h->cpus),
                 web_p95_month(w, "hv-cpu", h->name, NULL, r->now),
                 s->target_cpu);
        push_row(&rows, &n, &cap, "hypervisor", h->name, NULL,
                 href("/hv/", h->name), "memory",
                 safe_div(h->mem_used, (double)h->memory),
                 web_p95_month(w, "hv-mem", h->name, NULL, r->now),
                 s->target_memory);
    }
    for (size_t i = 0; s && i < s->n_pools; i++) {
        const struct snap_pool *p = &s->pools[i];
        push_row(
            &rows, &n, &cap, "pool", p->key, NULL, href("/pool/", p->key),
            "storage", safe_div((double)p->allocation, (double)p->capacity),
            web_p95_month(w, "pool", p->key, NULL, r->now), s->target_storage);
    }
    for (size_t i = 0; s && i < s->n_storages; i++) {
        const struct snap_storage *st = &s->storages[i];
        push_row(&rows, &n, &cap, "storage", st->device, st->descr,
                 href("/snmp/", st->device), "storage",
                 safe_div(st->used, st->size),
                 web_p95_month(w, "storage", st->device, st->descr, r->now),
                 s->target_storage);
    }
    for (size_t i = 0; s && i < s->n_ifaces; i++) {
        const struct snap_iface *f = &s->ifaces[i];
        if (!f->uplink)
            continue;
        push_row(&rows, &n, &cap, "uplink", f->device, f->name,
                 href("/snmp/", f->device), "network", web_iface_ratio(f),
                 web_p95_month(w, "if", f->device, f->name, r->now),
                 s->target_network);
    }
    for (size_t i = 0; s && i < s->n_devices; i++)
        if (!s->devices[i].ok)
            json_array_append_new(
                fail, json_pack("{s:o,s:o}", "name", str(s->devices[i].name),
                                "error", str(s->devices[i].error)));
    qsort(rows, n, sizeof(*rows), cmp_row);
    for (size_t i = 0; i < n; i++) {
        const struct row *x = &rows[i];
        json_t *j = json_pack("{s:s,s:o,s:o,s:s,s:o,s:o,s:o,s:s}", "kind",
                              x->kind, "name", str(x->name), "href", x->href,
                              "metric", x->metric, "now", pct(x->now), "p95",
                              pct(x->p95), "target", pct(x->target), "state",
                              state_of(x->now, x->p95, x->target));
        if (isfinite(x->now))
            json_object_set_new(j, "meter", json_real(fmin(x->now, 1.0)));
        json_array_append_new(rows_j, j);
    }
    free(rows);
    json_object_set_new(o, "rows", rows_j);
    json_object_set_new(o, "failed", fail);
    if (s) {
        json_object_set_new(o, "top_cpu",
                            vm_top(s, s->top_cpu, s->n_top_cpu, 0));
        json_object_set_new(o, "top_mem",
                            vm_top(s, s->top_mem, s->n_top_mem, 1));
        json_object_set_new(o, "top_disk",
                            vm_top(s, s->top_disk, s->n_top_disk, 2));
        json_object_set_new(o, "hosts_answered",
                            json_integer((json_int_t)answered));
        json_object_set_new(o, "hosts", json_integer((json_int_t)s->n_hosts));
        json_object_set_new(o, "vms", json_integer((json_int_t)s->n_vms));
        json_object_set_new(o, "vms_running",
                            json_integer((json_int_t)s->vms_running));
        json_object_set_new(o, "cycle_errors",
                            json_integer((json_int_t)s->cycle_errors));
    } else {
        json_object_set_new(o, "waiting", json_true());
    }
    render(w, resp, "web-overview", o, 200);
}

/* ---------------------------------------------------------- entity pages */

static json_t *vm_row(const struct snap_vm *v)
{
    return json_pack("{s:o,s:o,s:s,s:i,s:o,s:o,s:o,s:o}", "name", str(v->name),
                     "href", href("/vm/", v->uuid), "state",
                     sdc_vm_state_name(v->state), "vcpus", v->vcpus, "memory",
                     fmt_value(CHART_UNIT_BYTES, (double)v->memory), "cpu",
                     pct(v->cpu_ratio), "mem_used",
                     fmt_value(CHART_UNIT_BYTES, v->mem_used), "disk_io",
                     fmt_value(CHART_UNIT_BYTES_PER_S, v->disk_io));
}

static void page_hv(struct web *w, const struct web_req *r,
                    struct web_resp *resp)
{
    const struct snap *s = r->snap;
    const struct snap_host *h = snap_find_host(s, r->route->arg);
    json_t *o, *vms, *graphs;
    char title[300];
    if (!h) {
        web_page_error(w, resp, 404, "No such hypervisor.");
        return;
    }
    o = json_object();
    snprintf(title, sizeof(title), "Hypervisor %s", h->name);
    common(r, o, title);
    json_object_set_new(o, "name", str(h->name));
    json_object_set_new(o, "cluster", str(h->cluster));
    json_object_set_new(o, "ok", json_boolean(h->ok));
    json_object_set_new(o, "error", str(h->error));
    json_object_set_new(o, "cpus", json_integer(h->cpus));
    json_object_set_new(o, "memory",
                        fmt_value(CHART_UNIT_BYTES, (double)h->memory));
    json_object_set_new(o, "cpu_now", pct(safe_div(h->cpu_busy, h->cpus)));
    json_object_set_new(o, "mem_now",
                        pct(safe_div(h->mem_used, (double)h->memory)));
    json_object_set_new(o, "cpu_p95",
                        pct(web_p95_month(w, "hv-cpu", h->name, NULL, r->now)));
    json_object_set_new(o, "mem_p95",
                        pct(web_p95_month(w, "hv-mem", h->name, NULL, r->now)));
    vms = json_array();
    for (size_t i = 0; i < s->n_vms; i++)
        if (strcmp(s->vms[i].host, h->name) == 0)
            json_array_append_new(vms, vm_row(&s->vms[i]));
    json_object_set_new(o, "vms", vms);
    graphs = json_array();
    json_array_append_new(graphs,
                          graph("Cluster CPU (CPUs)", SDC_AR_CLUSTER_CPU,
                                h->cluster, NULL, "used,capacity", "1d"));
    json_array_append_new(graphs,
                          graph("Cluster memory", SDC_AR_CLUSTER_MEM,
                                h->cluster, NULL, "used,capacity", "1d"));
    json_array_append_new(graphs, graph("Host CPU time", SDC_AR_HV_CPU, h->name,
                                        NULL, "user,system,iowait", "1d"));
    json_array_append_new(graphs, graph("Host memory", SDC_AR_HV_MEM, h->name,
                                        NULL, "total,free", "1d"));
    json_object_set_new(o, "graphs", graphs);
    render(w, resp, "web-hv", o, 200);
}

static void page_vm(struct web *w, const struct web_req *r,
                    struct web_resp *resp)
{
    const struct snap_vm *v = snap_find_vm(r->snap, r->route->arg);
    const char *range = web_req_query(r, "range");
    long secs;
    json_t *o, *graphs;
    char title[300];
    if (!web_parse_range(range, &secs)) {
        web_page_error(w, resp, 400, "range must be 1d, 7d, 30d or 1y.");
        return;
    }
    if (!range)
        range = "1d";
    if (!v) {
        web_page_error(w, resp, 404, "No such VM.");
        return;
    }
    o = json_object();
    snprintf(title, sizeof(title), "VM %s", v->name);
    common(r, o, title);
    json_object_set_new(o, "vm", vm_row(v));
    json_object_set_new(o, "uuid", str(v->uuid));
    json_object_set_new(o, "host", str(v->host));
    json_object_set_new(o, "host_href", href("/hv/", v->host));
    json_object_set_new(o, "cluster", str(v->cluster));
    json_object_set_new(o, "owner", str(v->owner));
    json_object_set_new(o, "vm_title", str(v->title));
    json_object_set_new(o, "net_io",
                        fmt_value(CHART_UNIT_BYTES_PER_S, v->net_io));
    json_object_set_new(o, "disk_capacity",
                        fmt_value(CHART_UNIT_BYTES, (double)v->disk_capacity));
    json_object_set_new(
        o, "disk_allocation",
        fmt_value(CHART_UNIT_BYTES, (double)v->disk_allocation));
    graphs = json_array();
    json_array_append_new(
        graphs, graph("CPU", SDC_AR_VM_CPU, v->uuid, NULL, "time", range));
    json_array_append_new(graphs, graph("Memory", SDC_AR_VM_MEM, v->uuid, NULL,
                                        "current,rss,usable", range));
    for (size_t i = 0; i < v->n_disks; i++) {
        char t[300];
        snprintf(t, sizeof(t), "Disk %s", v->disks[i]);
        json_array_append_new(graphs,
                              graph(t, SDC_AR_VM_DISK, v->uuid, v->disks[i],
                                    "rd_bytes,wr_bytes", range));
    }
    for (size_t i = 0; i < v->n_nics; i++) {
        char t[300];
        snprintf(t, sizeof(t), "NIC %s", v->nics[i]);
        json_array_append_new(graphs,
                              graph(t, SDC_AR_VM_NET, v->uuid, v->nics[i],
                                    "rx_bytes,tx_bytes", range));
    }
    json_object_set_new(o, "graphs", graphs);
    render(w, resp, "web-vm", o, 200);
}

/* Whether @host is one of @hosts ("a, b": snapshot.c joins them so). */
static bool host_listed(const char *hosts, const char *host)
{
    size_t n = strlen(host);
    for (const char *h = hosts; h && *h;) {
        const char *c;
        size_t hl;
        while (*h == ' ')
            h++;
        c = strchr(h, ',');
        hl = c ? (size_t)(c - h) : strlen(h);
        if (hl == n && strncmp(h, host, n) == 0)
            return true;
        if (!c)
            break;
        h = c + 1;
    }
    return false;
}

/* The pool of @arg: its key, or "host/pool" (the pool named so that the
 * hypervisor reports, shared or not). */
static const struct snap_pool *pool_of(const struct snap *s, const char *arg)
{
    const char *slash = strchr(arg, '/');
    char host[SDC_NAME_MAX * 2];
    size_t hl;

    if (!slash)
        return snap_find_pool(s, arg);
    hl = (size_t)(slash - arg);
    if (hl >= sizeof(host))
        return NULL;
    memcpy(host, arg, hl);
    host[hl] = '\0';
    for (size_t i = 0; i < s->n_pools; i++)
        if (strcmp(s->pools[i].name, slash + 1) == 0 &&
            host_listed(s->pools[i].hosts, host))
            return &s->pools[i];
    return NULL;
}

static void page_pool(struct web *w, const struct web_req *r,
                      struct web_resp *resp)
{
    const struct snap_pool *p = pool_of(r->snap, r->route->arg);
    json_t *o, *graphs;
    char title[300];
    if (!p) {
        web_page_error(w, resp, 404, "No such pool.");
        return;
    }
    o = json_object();
    snprintf(title, sizeof(title), "Pool %s", p->key);
    common(r, o, title);
    json_object_set_new(o, "key", str(p->key));
    json_object_set_new(o, "name", str(p->name));
    json_object_set_new(o, "hosts", str(p->hosts));
    json_object_set_new(o, "type", str(p->type));
    json_object_set_new(o, "shared", json_boolean(p->shared));
    json_object_set_new(o, "capacity",
                        fmt_value(CHART_UNIT_BYTES, (double)p->capacity));
    json_object_set_new(o, "allocation",
                        fmt_value(CHART_UNIT_BYTES, (double)p->allocation));
    json_object_set_new(
        o, "now", pct(safe_div((double)p->allocation, (double)p->capacity)));
    json_object_set_new(o, "p95",
                        pct(web_p95_month(w, "pool", p->key, NULL, r->now)));
    graphs = json_array();
    json_array_append_new(graphs, graph("Usage", SDC_AR_POOL_USAGE, p->key,
                                        NULL, "allocation,capacity", "30d"));
    json_object_set_new(o, "graphs", graphs);
    render(w, resp, "web-pool", o, 200);
}

static void page_snmp(struct web *w, const struct web_req *r,
                      struct web_resp *resp)
{
    const struct snap *s = r->snap;
    const struct snap_device *d = snap_find_device(s, r->route->arg);
    json_t *o, *ifs, *sts, *graphs;
    char title[300];
    if (!d) {
        web_page_error(w, resp, 404, "No such SNMP device.");
        return;
    }
    o = json_object();
    snprintf(title, sizeof(title), "SNMP device %s", d->name);
    common(r, o, title);
    json_object_set_new(o, "name", str(d->name));
    json_object_set_new(o, "address", str(d->address));
    json_object_set_new(o, "role", str(d->role));
    json_object_set_new(o, "sys_name", str(d->sys_name));
    json_object_set_new(o, "ok", json_boolean(d->ok));
    json_object_set_new(o, "error", str(d->error));
    ifs = json_array();
    graphs = json_array();
    json_array_append_new(graphs, graph("CPU load", SDC_AR_SNMP_CPU, d->name,
                                        NULL, "load", "1d"));
    for (size_t i = 0; i < s->n_ifaces; i++) {
        const struct snap_iface *f = &s->ifaces[i];
        if (strcmp(f->device, d->name) != 0)
            continue;
        json_array_append_new(
            ifs,
            json_pack("{s:o,s:o,s:b,s:s,s:o,s:o,s:o,s:o}", "name", str(f->name),
                      "alias", str(f->alias), "uplink", f->uplink, "status",
                      sdc_if_oper_status_name(f->oper_status), "speed",
                      fmt_value(CHART_UNIT_BITS_PER_S, (double)f->speed), "in",
                      fmt_value(CHART_UNIT_BYTES_PER_S, f->in_bps), "out",
                      fmt_value(CHART_UNIT_BYTES_PER_S, f->out_bps), "util",
                      pct(web_iface_ratio(f))));
        if (f->uplink || json_array_size(graphs) < 9) {
            char t[300];
            snprintf(t, sizeof(t), "Interface %s", f->name);
            json_array_append_new(graphs,
                                  graph(t, SDC_AR_SNMP_IF, d->name, f->name,
                                        "in_octets,out_octets", "1d"));
        }
    }
    sts = json_array();
    for (size_t i = 0; i < s->n_storages; i++) {
        const struct snap_storage *st = &s->storages[i];
        if (strcmp(st->device, d->name) != 0)
            continue;
        json_array_append_new(
            sts, json_pack("{s:o,s:o,s:o,s:o}", "descr", str(st->descr), "size",
                           fmt_value(CHART_UNIT_BYTES, st->size), "used",
                           fmt_value(CHART_UNIT_BYTES, st->used), "util",
                           pct(safe_div(st->used, st->size))));
    }
    json_object_set_new(o, "interfaces", ifs);
    json_object_set_new(o, "storages", sts);
    json_object_set_new(o, "graphs", graphs);
    render(w, resp, "web-snmp", o, 200);
}

void web_handle_page(struct web *w, const struct web_req *r,
                     struct web_resp *resp)
{
    if (r->route->kind == WR_OVERVIEW) {
        page_overview(w, r, resp);
        return;
    }
    if (!r->snap) {
        web_page_error(w, resp, 404,
                       "Nothing polled yet: the first cycle has not ended.");
        return;
    }
    switch (r->route->kind) {
    case WR_HV:
        page_hv(w, r, resp);
        break;
    case WR_VM:
        page_vm(w, r, resp);
        break;
    case WR_POOL:
        page_pool(w, r, resp);
        break;
    case WR_SNMP:
        page_snmp(w, r, resp);
        break;
    default:
        web_page_error(w, resp, 404, "No such page.");
    }
}

/* --------------------------------------------------------------- graphs */

static enum chart_unit unit_of(const char *u, double *scale)
{
    *scale = 1;
    if (strcmp(u, "ns/s") == 0) {
        *scale = 1e-9;
        return CHART_UNIT_CPUS;
    }
    if (strcmp(u, "bytes") == 0)
        return CHART_UNIT_BYTES;
    if (strcmp(u, "bytes/s") == 0)
        return CHART_UNIT_BYTES_PER_S;
    if (strcmp(u, "bit/s") == 0)
        return CHART_UNIT_BITS_PER_S;
    if (strcmp(u, "CPUs") == 0 || strcmp(u, "vCPUs") == 0)
        return CHART_UNIT_CPUS;
    if (strcmp(u, "%") == 0)
        return CHART_UNIT_PERCENT;
    if (strcmp(u, "1/s") == 0)
        return CHART_UNIT_PER_S;
    return CHART_UNIT_NONE;
}

void web_handle_graph(struct web *w, const struct web_req *r,
                      struct web_resp *resp)
{
    struct web_graph g;
    struct fetch_src src = {w->data_dir, w->rrdcached};
    struct fetch_req req = {0};
    struct series_set set = {0};
    struct chart_opts co = {0};
    struct chart *c;
    struct sdc_error err;
    const struct sdc_archive_def *def;
    int idx[SDC_MAX_DS];
    size_t n_ds;
    long range;
    char title[400], *svg = NULL;
    char key[WEB_GCACHE_KEY];
    bool cacheable;
    size_t len = 0;
    double scale;
    enum sdc_rc rc;

    if (!web_graph_parse(r->route->arg, &g)) {
        web_resp_text(resp, 404, NULL, "no such archive\n");
        return;
    }
    def = sdc_archive_def_get(g.type);
    if (!web_parse_range(web_req_query(r, "range"), &range)) {
        web_resp_text(resp, 400, NULL, "range must be 1d, 7d, 30d or 1y\n");
        return;
    }
    if (!web_parse_ds_list(g.type, web_req_query(r, "ds"), idx, &n_ds)) {
        web_resp_text(resp, 400, NULL,
                      "ds must be data sources of %s%s.rrd, comma separated\n",
                      def->file, def->per_instance ? "*" : "");
        return;
    }
    /* rendered once per snapshot (web_gcache.h); without a snapshot (no
     * cycle yet) nothing is cached */
    cacheable =
        r->snap && web_gcache_key(&g, idx, n_ds, range, key, sizeof(key));
    if (cacheable && web_gcache_get(w->graphs, key, r->snap->seq, &svg, &len)) {
        resp->status = 200;
        resp->ctype = "image/svg+xml";
        resp->body = svg;
        resp->len = len;
        return;
    }
    req.type = g.type;
    req.id = g.id;
    req.instance = *g.instance ? g.instance : NULL;
    req.cf = "AVERAGE";
    req.end = r->now;
    req.start = r->now - range;
    req.resolution = (unsigned long)(range / 800);
    rc = fetch_all(&src, &req, &set, &err);
    if (rc == SDC_ERR_IO) {
        web_resp_text(resp, 404, NULL, "no such archive\n");
        return;
    }
    if (rc != SDC_OK) {
        SDC_WARN("web: graph %s: %s", r->route->arg, err.msg);
        web_resp_text(resp, 500, NULL, "cannot read the archive\n");
        return;
    }
    snprintf(title, sizeof(title), "%s %s %s%s", def->kind, g.id, def->file,
             g.instance);
    co.title = title;
    co.unit = unit_of(def->ds[idx[0]].unit, &scale);
    co.t_start = req.start;
    co.t_end = req.end;
    c = chart_new(&co);
    if (!c) {
        series_set_free(&set);
        web_resp_text(resp, 500, NULL, "out of memory\n");
        return;
    }
    for (size_t i = 0; i < n_ds; i++) {
        const struct series *sr = series_set_find(&set, def->ds[idx[i]].name);
        double sc;
        if (!sr)
            continue;
        unit_of(def->ds[idx[i]].unit, &sc);
        if (sc != 1)
            for (size_t k = 0; k < sr->n; k++)
                sr->v[k] *= sc;
        chart_add_line(c, sr->name, sr->start, sr->step, sr->v, sr->n, 0);
    }
    rc = chart_render(c, &svg, &len, &err);
    chart_free(c);
    series_set_free(&set);
    if (rc != SDC_OK) {
        SDC_WARN("web: graph %s: %s", r->route->arg, err.msg);
        web_resp_text(resp, 500, NULL, "cannot draw the chart\n");
        return;
    }
    if (cacheable)
        web_gcache_put(w->graphs, key, r->snap->seq, svg, len);
    resp->status = 200;
    resp->ctype = "image/svg+xml";
    resp->body = svg;
    resp->len = len;
}

/* -------------------------------------------------------------- reports */

static int cmp_str_asc(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_str_desc(const void *a, const void *b)
{
    return -cmp_str_asc(a, b);
}

/* Safe names in @dir, sorted (descending when @desc); caller frees. */
static char **list_dir(const char *dir, bool want_dirs, bool desc, size_t *n)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **v = NULL;
    *n = 0;
    if (!d)
        return NULL;
    while ((e = readdir(d)) != NULL && *n < 10000) {
        struct stat st;
        char **g;
        if (!web_name_safe(e->d_name))
            continue;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (want_dirs ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
            continue;
        g = realloc(v, (*n + 1) * sizeof(*v));
        if (!g)
            break;
        v = g;
        v[*n] = strdup(e->d_name);
        if (v[*n])
            (*n)++;
    }
    closedir(d);
    if (v)
        qsort(v, *n, sizeof(*v), desc ? cmp_str_desc : cmp_str_asc);
    return v;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

json_t *web_reports_list(const struct web *w)
{
    json_t *a = json_array();
    size_t nk = 0;
    char **kinds = list_dir(w->reports_dir, true, false, &nk);
    for (size_t i = 0; i < nk; i++) {
        char kd[4096];
        size_t np = 0;
        char **periods;
        snprintf(kd, sizeof(kd), "%s/%s", w->reports_dir, kinds[i]);
        periods = list_dir(kd, true, true, &np);
        for (size_t k = 0; k < np; k++) {
            char pd[4096], base[1024];
            size_t nf = 0;
            char **files;
            json_t *fa = json_array();
            snprintf(pd, sizeof(pd), "%s/%s", kd, periods[k]);
            files = list_dir(pd, false, false, &nf);
            snprintf(base, sizeof(base), "/reports/%s/%s/", kinds[i],
                     periods[k]);
            for (size_t f = 0; f < nf; f++) {
                char h[2048];
                snprintf(h, sizeof(h), "%s%s", base, files[f]);
                json_array_append_new(
                    fa, json_pack("{s:s,s:s}", "name", files[f], "href", h));
            }
            free_list(files, nf);
            json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:o}", "kind",
                                               kinds[i], "period", periods[k],
                                               "href", base, "files", fa));
        }
        free_list(periods, np);
    }
    free_list(kinds, nk);
    return a;
}

static void serve_file(const char *path, const char *name,
                       struct web_resp *resp)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    struct stat st;
    char *buf;
    size_t got = 0;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (size_t)st.st_size > WEB_MAX_REPORT_FILE) {
        if (fd >= 0)
            close(fd);
        web_resp_text(resp, 404, NULL, "no such report file\n");
        return;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        close(fd);
        web_resp_text(resp, 500, NULL, "out of memory\n");
        return;
    }
    while (got < (size_t)st.st_size) {
        ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fd);
    resp->status = 200;
    resp->ctype = web_content_type(name);
    resp->body = buf;
    resp->len = got;
    resp->report_file = true;
}

void web_handle_reports(struct web *w, const struct web_req *r,
                        struct web_resp *resp)
{
    const struct web_route *rt = r->route;
    char real[4096];
    struct stat st;
    json_t *o;
    int e =
        web_report_resolve(w->reports_dir, (char(*)[WEB_MAX_SEGMENT])rt->parts,
                           rt->n_parts, real, sizeof(real));
    if (rt->n_parts == 0 && e != 0) {
        /* no reports directory yet: an empty list */
        o = json_object();
        common(r, o, "Reports");
        json_object_set_new(o, "reports", json_array());
        render(w, resp, "web-reports", o, 200);
        return;
    }
    if (e != 0 || stat(real, &st) != 0) {
        web_page_error(w, resp, 404, "No such report.");
        return;
    }
    if (S_ISREG(st.st_mode) && rt->n_parts == WEB_REPORT_DEPTH && !rt->dir) {
        serve_file(real, rt->parts[rt->n_parts - 1], resp);
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        web_page_error(w, resp, 404, "No such report.");
        return;
    }
    o = json_object();
    common(r, o, "Reports");
    {
        json_t *all = web_reports_list(w), *sel = json_array();
        size_t i;
        json_t *it;
        json_array_foreach(all, i, it)
        {
            const char *k = json_string_value(json_object_get(it, "kind"));
            const char *p = json_string_value(json_object_get(it, "period"));
            if ((rt->n_parts < 1 || strcmp(k, rt->parts[0]) == 0) &&
                (rt->n_parts < 2 || strcmp(p, rt->parts[1]) == 0))
                json_array_append(sel, it);
        }
        json_decref(all);
        json_object_set_new(o, "reports", sel);
    }
    render(w, resp, "web-reports", o, 200);
}
