/*
 * web.c - the web view's server: libmicrohttpd set-up, limits, TLS, basic
 * auth, methods, routing to the handlers, security headers, and the cache
 * of this month's 95th percentiles.  Rendered graphs are cached per
 * snapshot in web_gcache.c.  See web.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "chart_svg.h"
#include "json_util.h"
#include "render.h"
#include "sdc/log.h"
#include "stats.h"
#include "web.h"
#include "web_priv.h"

/* MHD threads: requests are short (a snapshot read, a fetch, a render);
 * I/O is non-blocking, so a slow client holds a connection, not a thread.
 * One per core of the 2-core target: 4 threads served no more under a
 * flood and had a p99 ten times longer under a paced load
 * (bench/README.md). */
#define WEB_THREADS 2
#define WEB_MAX_CONNECTIONS 512
#define WEB_MAX_PER_IP 256
#define WEB_TIMEOUT_S 15
/* Per connection: the request line and headers must fit (longer: MHD
 * answers 414/431 by itself); 14 kB of headers do.  MHD clears the pool
 * after every request of a kept-alive connection, so a bigger one costs a
 * bigger memset per request (64 kB was 8% of the web's CPU). */
#define WEB_CONN_MEMORY (32 * 1024)
/* The server's threads run at SCHED_IDLE (WEB_IDLE 1): they get a core
 * only when no normal thread wants it and never preempt one, so a busy
 * web view takes CPU from itself, not from a poll cycle.  When that is
 * refused, or with -DWEB_IDLE=0, they run WEB_NICE nicer than the poller
 * (-DWEB_IDLE=0 -DWEB_NICE=0: the poller's priority).  bench/web-bench
 * measures it. */
#ifndef WEB_IDLE
#define WEB_IDLE 1
#endif
#ifndef WEB_NICE
#define WEB_NICE 19
#endif

static const char csp_pages[] =
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'";
/* Generated reports carry their styles inline and charts as inline SVG. */
static const char csp_reports[] =
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox";

struct web_server {
    struct web *w;
    struct MHD_Daemon *d;
    char *cert;
    char *key;
};

/* The running server (sdcmond has one); changed only by the main thread. */
static struct web_server *running;
static struct snap_store *running_store;
static char url_buf[128];

/* ------------------------------------------------------------ responses */

void web_resp_text(struct web_resp *resp, int status, const char *ctype,
                   const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    int n;
    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    free(resp->body);
    resp->status = status;
    resp->ctype = ctype ? ctype : "text/plain; charset=utf-8";
    resp->body = n >= 0 ? s : NULL;
    resp->len = n >= 0 ? (size_t)n : 0;
}

void web_resp_json(struct web_resp *resp, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(j);
    if (!s) {
        web_resp_text(resp, 500, NULL, "out of memory\n");
        return;
    }
    free(resp->body);
    resp->status = 200;
    resp->ctype = "application/json";
    resp->body = s;
    resp->len = strlen(s);
}

json_t *web_json_str(const char *s)
{
    json_t *j = ju_string(s);
    return j ? j : json_string("");
}

json_t *web_json_num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* ------------------------------------------------------------ p95 cache */

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long hash_str(const char *s)
{
    unsigned long h = 5381;
    for (; *s; s++)
        h = h * 33 + (unsigned char)*s;
    return h;
}

/* Row @i of data source @name in @set, NaN when the archive lacks it. */
static double ds_at(const struct series_set *set, const char *name, size_t i)
{
    const struct series *sr = series_set_find(set, name);
    return sr ? sr->v[i] : NAN;
}

/* The busy share of a row, from the archive's data sources. */
static double row_ratio(const char *what, const struct series_set *set,
                        size_t i)
{
#define V(name) ds_at(set, name, i)
    if (strcmp(what, "cluster-cpu") == 0 || strcmp(what, "cluster-mem") == 0)
        return safe_div(V("used"), V("capacity"));
    if (strcmp(what, "pool") == 0)
        return safe_div(V("allocation"), V("capacity"));
    if (strcmp(what, "hv-cpu") == 0) {
        double busy = V("user") + V("system");
        return safe_div(busy, busy + V("idle") + V("iowait"));
    }
    if (strcmp(what, "hv-mem") == 0)
        return safe_div(V("total") - V("free") - V("cached") - V("buffers"),
                        V("total"));
    if (strcmp(what, "if") == 0) {
        double in = V("in_octets"), out = V("out_octets");
        return safe_div(8 * (in > out ? in : out), V("speed"));
    }
    if (strcmp(what, "storage") == 0)
        return safe_div(V("used"), V("size"));
#undef V
    return NAN;
}

static bool what_type(const char *what, enum sdc_archive *t)
{
    static const struct {
        const char *what;
        enum sdc_archive type;
    } m[] = {
        {"cluster-cpu", SDC_AR_CLUSTER_CPU},
        {"cluster-mem", SDC_AR_CLUSTER_MEM},
        {"pool", SDC_AR_POOL_USAGE},
        {"hv-cpu", SDC_AR_HV_CPU},
        {"hv-mem", SDC_AR_HV_MEM},
        {"if", SDC_AR_SNMP_IF},
        {"storage", SDC_AR_SNMP_STORAGE},
    };
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
        if (strcmp(m[i].what, what) == 0) {
            *t = m[i].type;
            return true;
        }
    return false;
}

static double p95_compute(const struct web *w, const char *what, const char *id,
                          const char *instance, time_t now)
{
    struct fetch_src src = {w->data_dir, w->rrdcached};
    struct fetch_req req = {0};
    struct series_set set = {0};
    struct tm tm;
    double *v, *scratch, q;
    size_t n;

    if (!what_type(what, &req.type))
        return NAN;
    localtime_r(&now, &tm);
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    req.id = id;
    req.instance = instance;
    req.cf = "AVERAGE";
    req.start = mktime(&tm);
    req.end = now;
    req.resolution = 300;
    if (req.end <= req.start + 1)
        return NAN;
    if (fetch_all(&src, &req, &set, NULL) != SDC_OK || set.n == 0)
        return NAN;
    n = set.s[0].n;
    v = calloc(n ? 2 * n : 1, sizeof(*v));
    if (!v) {
        series_set_free(&set);
        return NAN;
    }
    scratch = v + n;
    for (size_t i = 0; i < n; i++)
        v[i] = row_ratio(what, &set, i);
    q = stats_quantile(v, n, 0.95, scratch);
    free(v);
    series_set_free(&set);
    return q;
}

double web_p95_month(struct web *w, const char *what, const char *id,
                     const char *instance, time_t now)
{
    char *key = NULL;
    struct web_p95_entry *e;
    double t = mono_now(), v;

    if (asprintf(&key, "%s|%s|%s", what, id, instance ? instance : "") < 0)
        return NAN;
    e = &w->p95[hash_str(key) % WEB_P95_SLOTS];
    pthread_mutex_lock(&w->p95_mu);
    if (e->key && strcmp(e->key, key) == 0 &&
        (e->expires > t || e->refreshing)) {
        /* fresh, or another thread is refreshing it: the last value */
        v = e->value;
        pthread_mutex_unlock(&w->p95_mu);
        free(key);
        return v;
    }
    e->refreshing = true;
    pthread_mutex_unlock(&w->p95_mu);
    /* computed outside the lock, by one thread per entry */
    v = p95_compute(w, what, id, instance, now);
    pthread_mutex_lock(&w->p95_mu);
    free(e->key);
    e->key = key;
    e->value = v;
    e->refreshing = false;
    e->expires = mono_now() + (w->step > 0 ? w->step : 60);
    pthread_mutex_unlock(&w->p95_mu);
    return v;
}

/* -------------------------------------------------------------- serving */

static const char *query_lookup(void *ctx, const char *key)
{
    return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, key);
}

static void add_headers(const struct web *w, struct MHD_Response *r,
                        const struct web_resp *resp)
{
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->ctype);
    MHD_add_response_header(r, "Content-Security-Policy",
                            resp->report_file ? csp_reports : csp_pages);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
                            "no-store, max-age=0");
    if (w->tls)
        MHD_add_response_header(r, "Strict-Transport-Security",
                                "max-age=31536000");
}

static enum MHD_Result queue(const struct web *w, struct MHD_Connection *c,
                             struct web_resp *resp, bool auth_fail)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    if (!resp->body) {
        resp->body = strdup("");
        resp->len = 0;
    }
    r = MHD_create_response_from_buffer(resp->len, resp->body,
                                        MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(resp->body);
        return MHD_NO;
    }
    resp->body = NULL;
    add_headers(w, r, resp);
    if (resp->status == 405)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    if (auth_fail)
        ret = MHD_queue_basic_auth_fail_response(c, "sdcmon", r);
    else
        ret = MHD_queue_response(c, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

/*
 * The overview, /metrics and the API summary depend only on the snapshot
 * (and p95s cached for a step; the summary also on the current second):
 * rendered once per snapshot (and second), then copied.  Keyed by the
 * snapshot's sequence number, never by its address (which may be reused).
 * @return: the cache of @kind's answers, or NULL for a route not cached.
 */
static struct web_page_cache *cache_of(struct web *w, enum web_route_kind kind)
{
    switch (kind) {
    case WR_OVERVIEW:
        return &w->pages[0];
    case WR_METRICS:
        return &w->pages[1];
    case WR_API_SUMMARY:
        return &w->pages[2];
    default:
        return NULL;
    }
}

/* The second a cached answer of @kind is keyed by (0: none). */
static time_t cache_now(enum web_route_kind kind, time_t now)
{
    return kind == WR_API_SUMMARY ? now : 0;
}

static bool cache_get(struct web *w, enum web_route_kind kind,
                      const struct snap *s, time_t now, struct web_resp *resp)
{
    struct web_page_cache *pc = cache_of(w, kind);
    bool hit = false;
    if (!pc || !s)
        return false;
    pthread_mutex_lock(&w->pages_mu);
    if (pc->body && pc->seq == s->seq && pc->now == cache_now(kind, now)) {
        resp->body = malloc(pc->len + 1);
        if (resp->body) {
            memcpy(resp->body, pc->body, pc->len + 1);
            resp->len = pc->len;
            resp->status = 200;
            resp->ctype = pc->ctype;
            hit = true;
        }
    }
    pthread_mutex_unlock(&w->pages_mu);
    return hit;
}

static void cache_put(struct web *w, enum web_route_kind kind,
                      const struct snap *s, time_t now,
                      const struct web_resp *resp)
{
    struct web_page_cache *pc = cache_of(w, kind);
    time_t key = cache_now(kind, now);
    char *copy;
    if (!pc || !s || resp->status != 200 || !resp->body)
        return;
    copy = malloc(resp->len + 1);
    if (!copy)
        return;
    memcpy(copy, resp->body, resp->len);
    copy[resp->len] = '\0';
    pthread_mutex_lock(&w->pages_mu);
    /* never replace a newer answer (a slower thread finishing late) */
    if (!pc->body || pc->seq < s->seq || (pc->seq == s->seq && pc->now < key)) {
        free(pc->body);
        pc->body = copy;
        copy = NULL;
        pc->len = resp->len;
        pc->seq = s->seq;
        pc->now = key;
        pc->ctype = resp->ctype;
    }
    pthread_mutex_unlock(&w->pages_mu);
    free(copy);
}

static void serve_style(const struct web *w, struct web_resp *resp)
{
    resp->status = 200;
    resp->ctype = "text/css; charset=utf-8";
    resp->body = malloc(w->style_len + 1);
    if (!resp->body) {
        web_resp_text(resp, 500, NULL, "out of memory\n");
        return;
    }
    memcpy(resp->body, w->style, w->style_len + 1);
    resp->len = w->style_len;
}

static bool authorised(const struct web *w, struct MHD_Connection *c)
{
    char *pass = NULL;
    char *user;
    bool ok;
    if (!w->auth)
        return true;
    user = MHD_basic_auth_get_username_password(c, &pass);
    ok = user && pass && web_users_check(w->users, user, pass);
    if (pass) {
        memset(pass, 0, strlen(pass));
        MHD_free(pass);
    }
    if (user)
        MHD_free(user);
    return ok;
}

/*
 * Lower the calling MHD thread's priority (see WEB_IDLE), once per thread:
 * called when a thread takes a connection and when it handles a request,
 * as MHD has no thread-start hook.  A refusal (a seccomp filter, a
 * container) is logged once; the thread then serves at the poller's
 * priority.
 */
static void web_thread_lower(void)
{
    static __thread bool lowered;
    static atomic_bool complained;
    int rc = -1;
    if (lowered)
        return;
    lowered = true;
#if WEB_IDLE
    {
        struct sched_param sp = {.sched_priority = 0};
        rc = pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
    }
#endif
#if WEB_NICE
    if (rc != 0 && setpriority(PRIO_PROCESS, (id_t)gettid(), WEB_NICE) != 0)
        rc = errno;
    else
        rc = 0;
#endif
    if (rc != 0 && (WEB_IDLE || WEB_NICE) &&
        !atomic_exchange(&complained, true))
        SDC_WARN("web: cannot lower the web threads' priority (%s): a "
                 "flood of requests may slow poll cycles",
                 strerror(rc));
}

/* MHD_OPTION_NOTIFY_CONNECTION: a connection starts on this thread. */
static void notify_connection(void *cls, struct MHD_Connection *c,
                              void **socket_context,
                              enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    (void)c;
    (void)socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        web_thread_lower();
}

/* Whether a request carries a body (Content-Length above 0, or chunked). */
static bool announces_body(struct MHD_Connection *c)
{
    const char *cl = MHD_lookup_connection_value(
        c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                    MHD_HTTP_HEADER_TRANSFER_ENCODING))
        return true;
    return cl && strspn(cl, "0 \t") != strlen(cl);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c,
                               const char *url, const char *method,
                               const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls)
{
    struct web *w = cls;
    struct web_resp resp = {0};
    struct web_route route;
    struct web_req req = {0};
    int st;
    (void)version;
    (void)upload_data;

    web_thread_lower();

    if (*con_cls == NULL) {
        /* first call: headers only.  A request that announces a body is
         * answered now (MHD then closes the connection without reading
         * the body); one without is answered on the next call, so the
         * connection stays open for the client's next request. */
        *con_cls = (void *)1;
        if (!announces_body(c))
            return MHD_YES;
    }
    if (*upload_data_size)
        *upload_data_size = 0; /* a body is discarded, not read */
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        web_resp_text(&resp, 405, NULL, "method %s not allowed: GET or HEAD\n",
                      strlen(method) < 16 ? method : "(long)");
        return queue(w, c, &resp, false);
    }
    if (!authorised(w, c)) {
        web_resp_text(&resp, 401, NULL, "authentication required\n");
        return queue(w, c, &resp, true);
    }
    st = web_route_parse(url, &route);
    if (st == 414) {
        web_resp_text(&resp, 414, NULL, "URL longer than %d bytes\n",
                      WEB_MAX_URL);
        return queue(w, c, &resp, false);
    }
    req.w = w;
    req.route = &route;
    req.query = query_lookup;
    req.query_ctx = c;
    req.now = time(NULL);
    if (st != 200) {
        web_page_error(w, &resp, 404, "No such page.");
        return queue(w, c, &resp, false);
    }
    req.snap = snap_acquire(w->store);
    if (cache_get(w, route.kind, req.snap, req.now, &resp)) {
        snap_release(w->store, (struct snap *)req.snap);
        if (route.kind == WR_METRICS)
            web_metrics_live(w, &resp);
        return queue(w, c, &resp, false);
    }
    switch (route.kind) {
    case WR_STYLE:
        serve_style(w, &resp);
        break;
    case WR_GRAPH:
        web_handle_graph(w, &req, &resp);
        break;
    case WR_REPORTS:
        web_handle_reports(w, &req, &resp);
        break;
    case WR_METRICS:
        web_handle_metrics(w, &req, &resp);
        break;
    case WR_OVERVIEW:
    case WR_HV:
    case WR_VM:
    case WR_POOL:
    case WR_SNMP:
        web_handle_page(w, &req, &resp);
        break;
    case WR_NOT_FOUND:
        web_page_error(w, &resp, 404, "No such page.");
        break;
    default:
        web_handle_api(w, &req, &resp);
        break;
    }
    cache_put(w, route.kind, req.snap, req.now, &resp);
    snap_release(w->store, (struct snap *)req.snap);
    if (route.kind == WR_METRICS && resp.status == 200)
        web_metrics_live(w, &resp);
    if (resp.status == 0)
        web_resp_text(&resp, 500, NULL, "internal error\n");
    return queue(w, c, &resp, false);
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    char buf[512];
    size_t n;
    (void)cls;
    vsnprintf(buf, sizeof(buf), fmt, ap);
    n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    SDC_DEBUG("web: %s", buf);
}

/* --------------------------------------------------------- start, stop */

static char *read_file(const char *path, size_t max, size_t *len,
                       struct sdc_error *err)
{
    FILE *f = fopen(path, "re");
    char *buf;
    size_t n;
    if (!f) {
        sdc_error_set(err, SDC_ERR_IO, "web: cannot read %s: %s", path,
                      strerror(errno));
        return NULL;
    }
    buf = malloc(max + 1);
    if (!buf) {
        fclose(f);
        sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    n = fread(buf, 1, max, f);
    fclose(f);
    if (n == max) {
        free(buf);
        sdc_error_set(err, SDC_ERR_IO, "web: %s is larger than %zu bytes", path,
                      max);
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* "HOST:PORT" (validated by the config) into a socket address. */
static bool parse_listen(const char *s, struct sockaddr_storage *ss, bool *v6,
                         unsigned *port)
{
    const char *colon = strrchr(s, ':');
    char host[64];
    size_t hl;
    memset(ss, 0, sizeof(*ss));
    if (!colon)
        return false;
    *port = (unsigned)strtoul(colon + 1, NULL, 10);
    hl = (size_t)(colon - s);
    if (hl == 0 || hl >= sizeof(host))
        return false;
    memcpy(host, s, hl);
    host[hl] = '\0';
    *v6 = host[0] == '[';
    if (*v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        host[hl - 1] = '\0';
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)*port);
        return inet_pton(AF_INET6, host + 1, &a->sin6_addr) == 1;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)*port);
        if (strcmp(host, "*") == 0) {
            a->sin_addr.s_addr = htonl(INADDR_ANY);
            return true;
        }
        if (strcmp(host, "localhost") == 0) {
            a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            return true;
        }
        return inet_pton(AF_INET, host, &a->sin_addr) == 1;
    }
}

static void web_free(struct web *w)
{
    if (!w)
        return;
    free(w->data_dir);
    free(w->rrdcached);
    free(w->reports_dir);
    free(w->listen);
    free(w->url);
    free(w->style);
    web_users_free(w->users);
    mst_loader_free(w->tmpl);
    for (size_t i = 0; i < WEB_P95_SLOTS; i++)
        free(w->p95[i].key);
    pthread_mutex_destroy(&w->p95_mu);
    for (size_t i = 0; i < sizeof(w->pages) / sizeof(w->pages[0]); i++)
        free(w->pages[i].body);
    pthread_mutex_destroy(&w->pages_mu);
    web_gcache_free(w->graphs);
    free(w);
}

static void server_free(struct web_server *s)
{
    if (!s)
        return;
    if (s->d)
        MHD_stop_daemon(s->d);
    web_free(s->w);
    free(s->cert);
    free(s->key);
    free(s);
}

static enum sdc_rc server_new(const struct sdc_config *cfg,
                              struct snap_store *store, struct web_server **out,
                              struct sdc_error *err)
{
    struct web_server *s = calloc(1, sizeof(*s));
    struct web *w = calloc(1, sizeof(*w));
    struct sockaddr_storage ss;
    struct MHD_OptionItem opts[16];
    size_t no = 0;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
    unsigned port = 0;
    bool v6 = false;
    char path[4096];
    enum sdc_rc rc;

    *out = NULL;
    if (!s || !w) {
        free(s);
        free(w);
        return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
    }
    s->w = w;
    pthread_mutex_init(&w->p95_mu, NULL);
    pthread_mutex_init(&w->pages_mu, NULL);
    w->store = store;
    w->step = cfg->step;
    w->data_dir = strdup(cfg->data_dir);
    w->rrdcached = strdup(cfg->rrdcached);
    w->reports_dir = strdup(cfg->reports.dir);
    w->listen = strdup(cfg->web.listen);
    w->graphs = web_gcache_new(WEB_GCACHE_ENTRIES, WEB_GCACHE_BYTES);
    if (!w->data_dir || !w->rrdcached || !w->reports_dir || !w->listen ||
        !w->graphs) {
        rc = sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (!parse_listen(cfg->web.listen, &ss, &v6, &port)) {
        rc = sdc_error_set(err, SDC_ERR_CONFIG, "web: bad listen address '%s'",
                           cfg->web.listen);
        goto fail;
    }
    rc = mst_loader_new(render_template_dir(), ".html.mustache", &w->tmpl, err);
    if (rc != SDC_OK)
        goto fail;
    snprintf(path, sizeof(path), "%s/web-style.css", render_template_dir());
    w->style = read_file(path, 256 * 1024, &w->style_len, err);
    if (!w->style) {
        rc = SDC_ERR_IO;
        goto fail;
    }
    if (*cfg->web.users_file) {
        rc = web_users_load(cfg->web.users_file, &w->users, err);
        if (rc != SDC_OK)
            goto fail;
        w->auth = true;
    }
    if (*cfg->web.tls_cert) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            rc = sdc_error_set(err, SDC_ERR_UNSUPPORTED,
                               "web: libmicrohttpd was built without TLS");
            goto fail;
        }
        s->cert = read_file(cfg->web.tls_cert, 1 << 20, NULL, err);
        s->key =
            s->cert ? read_file(cfg->web.tls_key, 1 << 20, NULL, err) : NULL;
        if (!s->cert || !s->key) {
            rc = SDC_ERR_IO;
            goto fail;
        }
        flags |= MHD_USE_TLS;
        w->tls = true;
        opts[no++] =
            (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert};
        opts[no++] =
            (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, s->key};
    }
    if (v6)
        flags |= MHD_USE_IPv6;
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &ss};
    opts[no++] =
        (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, WEB_THREADS, NULL};
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION,
                                         (intptr_t)notify_connection, NULL};
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
                                         WEB_MAX_CONNECTIONS, NULL};
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                                         WEB_MAX_PER_IP, NULL};
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
                                         WEB_TIMEOUT_S, NULL};
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                         WEB_CONN_MEMORY, NULL};
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER,
                                         (intptr_t)mhd_logger, NULL};
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    flags |= MHD_USE_ERROR_LOG;
    s->d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, handler, w,
                            MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!s->d) {
        rc = sdc_error_set(err, SDC_ERR_IO,
                           "web: cannot listen on %s (address in use, or "
                           "not this machine's?)",
                           cfg->web.listen);
        goto fail;
    }
    {
        char host[80];
        const char *colon = strrchr(cfg->web.listen, ':');
        size_t hl = (size_t)(colon - cfg->web.listen);
        snprintf(host, sizeof(host), "%.*s", (int)hl, cfg->web.listen);
        if (strcmp(host, "*") == 0)
            snprintf(host, sizeof(host), "127.0.0.1");
        if (asprintf(&w->url, "%s://%s:%u/", w->tls ? "https" : "http", host,
                     port) < 0)
            w->url = NULL;
    }
    *out = s;
    return SDC_OK;
fail:
    server_free(s);
    return rc;
}

enum sdc_rc web_start(const struct sdc_config *cfg, struct snap_store *store,
                      struct sdc_error *err)
{
    enum sdc_rc rc;
    web_stop();
    running_store = store;
    if (!*cfg->web.listen)
        return SDC_OK;
    rc = server_new(cfg, store, &running, err);
    if (rc == SDC_OK) {
        snprintf(url_buf, sizeof(url_buf), "%s",
                 running->w->url ? running->w->url : "");
        SDC_NOTICE("web: serving %s%s%s", url_buf,
                   running->w->tls ? " (TLS)" : "",
                   running->w->auth ? " (basic auth)" : "");
    }
    return rc;
}

enum sdc_rc web_reload(const struct sdc_config *cfg, struct sdc_error *err)
{
    struct web_server *old = running;
    enum sdc_rc rc;
    if (!running_store)
        return SDC_OK;
    /* the listening socket must be free before the new server binds it */
    if (old) {
        MHD_stop_daemon(old->d);
        old->d = NULL;
    }
    running = NULL;
    url_buf[0] = '\0';
    if (!*cfg->web.listen) {
        server_free(old);
        return SDC_OK;
    }
    rc = server_new(cfg, running_store, &running, err);
    if (rc == SDC_OK) {
        server_free(old);
        snprintf(url_buf, sizeof(url_buf), "%s", running->w->url);
        SDC_NOTICE("web: serving %s after reload", url_buf);
        return SDC_OK;
    }
    server_free(old);
    return rc;
}

void web_stop(void)
{
    server_free(running);
    running = NULL;
    url_buf[0] = '\0';
}

const char *web_url(void)
{
    return url_buf;
}
