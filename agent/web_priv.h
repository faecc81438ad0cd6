/*
 * web_priv.h - inside the web view: the server's state and the handlers of
 * each part (web_pages.c, web_api.c, web_metrics.c).  Not for other
 * modules.
 */
#ifndef SDC_AGENT_WEB_PRIV_H
#define SDC_AGENT_WEB_PRIV_H

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "fetch.h"
#include "mustache.h"
#include "snapshot.h"
#include "stats.h"
#include "web_auth.h"
#include "web_gcache.h"
#include "web_route.h"

/* p95-this-month cache: entries kept for `step` seconds. */
#define WEB_P95_SLOTS 4096

struct web_p95_entry {
    char *key;
    double value;
    double expires;  /* monotonic seconds */
    bool refreshing; /* a thread is computing it; others take the last */
};

/* A page rendered from one snapshot (its seq), served until the next;
 * one that shows the time (the API summary) also keyed by that second. */
struct web_page_cache {
    uint64_t seq;
    time_t now; /* 0 for pages that do not show it */
    char *body;
    size_t len;
    const char *ctype;
};

struct web {
    struct snap_store *store;
    char *data_dir;
    char *rrdcached;
    char *reports_dir;
    char *listen;
    char *url;
    int step;
    bool tls;
    bool auth;
    struct web_users *users;
    struct mst_loader *tmpl;
    char *style;
    size_t style_len;
    pthread_mutex_t p95_mu;
    struct web_p95_entry p95[WEB_P95_SLOTS];
    pthread_mutex_t pages_mu;
    struct web_page_cache pages[3]; /* overview, metrics, API summary */
    struct web_gcache *graphs;      /* rendered graphs of the snapshot */
};

/* What a handler answers; the server adds the headers. */
struct web_resp {
    int status;
    const char *ctype; /* static */
    char *body;        /* malloc'd, owned by the response */
    size_t len;
    bool report_file; /* a generated report: its own CSP (inline styles) */
};

/* A request: the route, a query lookup and the snapshot (may be NULL). */
struct web_req {
    const struct web *w;
    const struct web_route *route;
    const struct snap *snap;
    const char *(*query)(void *ctx, const char *key);
    void *query_ctx;
    time_t now;
};

/* web_req_query - query value @key or NULL. */
static inline const char *web_req_query(const struct web_req *r,
                                        const char *key)
{
    return r->query(r->query_ctx, key);
}

/* web_iface_ratio - the busier direction's traffic of @f over its link
 * speed (bytes/s to bit/s); NaN when the speed is unknown. */
static inline double web_iface_ratio(const struct snap_iface *f)
{
    return safe_div(8 * fmax(f->in_bps, f->out_bps), (double)f->speed);
}

/* web_resp_text - a plain-text (or other @ctype) answer with @status. */
void web_resp_text(struct web_resp *resp, int status, const char *ctype,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* web_resp_json - @j (stolen) as the body, status 200. */
void web_resp_json(struct web_resp *resp, json_t *j);

/* web_page_error - an HTML error page (status @status, message @msg). */
void web_page_error(struct web *w, struct web_resp *resp, int status,
                    const char *msg);

/*
 * web_p95_month - the 95th percentile this month of @what for an entity,
 * from the archives, cached for `step` seconds.  @what: "cpu", "mem",
 * "pool", "if", "storage"; NaN when unknown.
 */
double web_p95_month(struct web *w, const char *what, const char *id,
                     const char *instance, time_t now);

/* Handlers. */
void web_handle_page(struct web *w, const struct web_req *r,
                     struct web_resp *resp);
void web_handle_graph(struct web *w, const struct web_req *r,
                      struct web_resp *resp);
void web_handle_reports(struct web *w, const struct web_req *r,
                        struct web_resp *resp);
void web_handle_api(struct web *w, const struct web_req *r,
                    struct web_resp *resp);
void web_handle_metrics(struct web *w, const struct web_req *r,
                        struct web_resp *resp);

/*
 * web_metrics_live - append to a 200 /metrics answer @resp the families
 * that change between snapshots (the graph cache's counters), so they are
 * never served from the per-snapshot page cache.  On failure @resp becomes
 * a 500.
 */
void web_metrics_live(struct web *w, struct web_resp *resp);

/* web_json_str - a JSON string of @s, invalid UTF-8 bytes as U+FFFD. */
json_t *web_json_str(const char *s);

/* web_json_num - a number, or null for NaN and infinities. */
json_t *web_json_num(double v);

/* web_reports_list - the reports under reports_dir: [{kind, period,
 * files: [name...]}] newest first. */
json_t *web_reports_list(const struct web *w);

#endif
