/* web_route.c - routes, query values, safe paths, Prometheus escaping; see
 * web_route.h. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "web_route.h"

static bool seg_ok(const char *s, size_t n)
{
    if (n == 0 || n >= WEB_MAX_SEGMENT)
        return false;
    if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
        return false;
    return memchr(s, '\0', n) == NULL;
}

/* @rest is exactly one segment (no '/'), copied to @dst. */
static bool one_segment(const char *rest, char *dst)
{
    size_t n = strlen(rest);
    if (strchr(rest, '/') || !seg_ok(rest, n))
        return false;
    memcpy(dst, rest, n + 1);
    return true;
}

static const struct {
    const char *path;
    enum web_route_kind kind;
} fixed[] = {
    {"/", WR_OVERVIEW},
    {"/style.css", WR_STYLE},
    {"/metrics", WR_METRICS},
    {"/api/v1/summary", WR_API_SUMMARY},
    {"/api/v1/clusters", WR_API_CLUSTERS},
    {"/api/v1/hypervisors", WR_API_HYPERVISORS},
    {"/api/v1/vms", WR_API_VMS},
    {"/api/v1/pools", WR_API_POOLS},
    {"/api/v1/devices", WR_API_DEVICES},
    {"/api/v1/interfaces", WR_API_INTERFACES},
    {"/api/v1/reports", WR_API_REPORTS},
    {"/api/v1/inventory", WR_API_INVENTORY},
};

static const struct {
    const char *prefix;
    enum web_route_kind kind;
} entity[] = {
    {"/hv/", WR_HV},
    {"/vm/", WR_VM},
    {"/pool/", WR_POOL},
    {"/snmp/", WR_SNMP},
    {"/api/v1/vms/", WR_API_VM},
};

static int parse_reports(const char *rest, struct web_route *out)
{
    const char *p = rest;
    out->kind = WR_REPORTS;
    out->n_parts = 0;
    out->dir = true;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (out->n_parts >= WEB_REPORT_DEPTH || !seg_ok(p, n))
            return 404;
        memcpy(out->parts[out->n_parts], p, n);
        out->parts[out->n_parts][n] = '\0';
        out->n_parts++;
        if (!slash) {
            out->dir = false;
            break;
        }
        p = slash + 1;
    }
    return 200;
}

int web_route_parse(const char *url, struct web_route *out)
{
    size_t len;
    memset(out, 0, sizeof(*out));
    out->kind = WR_NOT_FOUND;
    if (!url || url[0] != '/')
        return 404;
    len = strlen(url);
    if (len > WEB_MAX_URL)
        return 414;
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        if (strcmp(url, fixed[i].path) == 0) {
            out->kind = fixed[i].kind;
            return 200;
        }
    if (strcmp(url, "/reports") == 0 || strcmp(url, "/api/v1/") == 0)
        return 404;
    if (strncmp(url, "/reports/", 9) == 0) {
        int st = parse_reports(url + 9, out);
        if (st != 200)
            out->kind = WR_NOT_FOUND;
        return st;
    }
    if (strncmp(url, "/graph/", 7) == 0) {
        size_t n = len - 7;
        if (n <= 4 || strcmp(url + len - 4, ".svg") != 0)
            return 404;
        memcpy(out->arg, url + 7, n - 4);
        out->arg[n - 4] = '\0';
        out->kind = WR_GRAPH;
        return 200;
    }
    if (strncmp(url, "/pool/", 6) == 0 && strchr(url + 6, '/')) {
        /* /pool/<host>/<pool>: the pool of that name seen by that host
         * (arg "host/pool"; every other form is one segment) */
        const char *host = url + 6;
        const char *slash = strchr(host, '/');
        if (!seg_ok(host, (size_t)(slash - host)) ||
            !one_segment(slash + 1, out->arg))
            return 404;
        memcpy(out->arg, host, len - 6 + 1);
        out->kind = WR_POOL;
        return 200;
    }
    for (size_t i = 0; i < sizeof(entity) / sizeof(entity[0]); i++) {
        size_t pl = strlen(entity[i].prefix);
        if (strncmp(url, entity[i].prefix, pl) == 0) {
            if (!one_segment(url + pl, out->arg))
                return 404;
            out->kind = entity[i].kind;
            return 200;
        }
    }
    return 404;
}

static bool name_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

bool web_name_safe(const char *s)
{
    size_t n;
    if (!s || !*s || s[0] == '.')
        return false;
    n = strlen(s);
    if (n >= SDC_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!name_char((unsigned char)s[i]))
            return false;
    return true;
}

bool web_parse_range(const char *s, long *seconds)
{
    if (!s || strcmp(s, "1d") == 0)
        *seconds = 86400L;
    else if (strcmp(s, "7d") == 0)
        *seconds = 7 * 86400L;
    else if (strcmp(s, "30d") == 0)
        *seconds = 30 * 86400L;
    else if (strcmp(s, "1y") == 0)
        *seconds = 365 * 86400L;
    else
        return false;
    return true;
}

bool web_parse_count(const char *s, unsigned long dflt, unsigned long max,
                     unsigned long *out)
{
    unsigned long v = 0;
    if (!s || !*s) {
        *out = dflt;
        return true;
    }
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        if (v > (max - (unsigned long)(*p - '0')) / 10)
            return false;
        v = v * 10 + (unsigned long)(*p - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

bool web_graph_parse(const char *path, struct web_graph *out)
{
    char kind[32], id[SDC_NAME_MAX], file[SDC_NAME_MAX];
    const char *a, *b;
    size_t kl, il, fl;

    memset(out, 0, sizeof(*out));
    if (!path)
        return false;
    a = strchr(path, '/');
    if (!a)
        return false;
    b = strchr(a + 1, '/');
    if (!b || strchr(b + 1, '/'))
        return false;
    kl = (size_t)(a - path);
    il = (size_t)(b - a - 1);
    fl = strlen(b + 1);
    if (kl == 0 || kl >= sizeof(kind) || il == 0 || il >= sizeof(id) ||
        fl == 0 || fl >= sizeof(file))
        return false;
    memcpy(kind, path, kl);
    kind[kl] = '\0';
    memcpy(id, a + 1, il);
    id[il] = '\0';
    memcpy(file, b + 1, fl + 1);
    if (!web_name_safe(id) || !web_name_safe(file))
        return false;
    for (int t = 0; t < SDC_AR_COUNT; t++) {
        const struct sdc_archive_def *d = sdc_archive_def_get(t);
        size_t pl = strlen(d->file);
        if (strcmp(d->kind, kind) != 0)
            continue;
        if (!d->per_instance && strcmp(d->file, file) == 0) {
            out->type = (enum sdc_archive)t;
            memcpy(out->id, id, il + 1);
            return true;
        }
        if (d->per_instance && fl > pl && strncmp(file, d->file, pl) == 0 &&
            web_name_safe(file + pl)) {
            out->type = (enum sdc_archive)t;
            memcpy(out->id, id, il + 1);
            memcpy(out->instance, file + pl, fl - pl + 1);
            return true;
        }
    }
    return false;
}

bool web_parse_ds_list(enum sdc_archive type, const char *s, int *idx,
                       size_t *n)
{
    const struct sdc_archive_def *d = sdc_archive_def_get(type);
    const char *p = s;
    *n = 0;
    if (!d)
        return false;
    if (!s || !*s) {
        for (size_t i = 0; i < d->n_ds; i++)
            idx[(*n)++] = (int)i;
        return true;
    }
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char name[SDC_NAME_MAX];
        int k;
        if (len == 0 || len >= sizeof(name) || *n >= SDC_MAX_DS)
            return false;
        memcpy(name, p, len);
        name[len] = '\0';
        k = sdc_archive_ds_index(type, name);
        if (k < 0)
            return false;
        for (size_t i = 0; i < *n; i++)
            if (idx[i] == k)
                return false;
        idx[(*n)++] = k;
        if (!comma)
            return true;
        p = comma + 1;
    }
}

int web_report_resolve(const char *root, char (*parts)[WEB_MAX_SEGMENT],
                       size_t n, char *out, size_t outlen)
{
    char rroot[PATH_MAX], path[PATH_MAX], real[PATH_MAX];
    size_t len, rl;

    if (!root || !realpath(root, rroot))
        return 404;
    len = (size_t)snprintf(path, sizeof(path), "%s", rroot);
    for (size_t i = 0; i < n; i++) {
        int k;
        if (!web_name_safe(parts[i]))
            return 404;
        k = snprintf(path + len, sizeof(path) - len, "/%s", parts[i]);
        if (k < 0 || (size_t)k >= sizeof(path) - len)
            return 404;
        len += (size_t)k;
    }
    if (!realpath(path, real))
        return 404;
    rl = strlen(rroot);
    if (strncmp(real, rroot, rl) != 0 || (real[rl] != '\0' && real[rl] != '/'))
        return 404;
    if (strlen(real) >= outlen)
        return 404;
    memcpy(out, real, strlen(real) + 1);
    return 0;
}

const char *web_content_type(const char *name)
{
    static const struct {
        const char *ext;
        const char *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".md", "text/markdown; charset=utf-8"},
        {".csv", "text/csv; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".txt", "text/plain; charset=utf-8"},
        {".pdf", "application/pdf"},
    };
    const char *dot = name ? strrchr(name, '.') : NULL;
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

enum sdc_rc web_prom_label(struct mst_buf *b, const char *s)
{
    const char *run = s;
    enum sdc_rc rc;
    if (!s)
        return SDC_OK;
    for (const char *p = s;; p++) {
        const char *esc = NULL;
        size_t ul;
        if (*p == '\\')
            esc = "\\\\";
        else if (*p == '"')
            esc = "\\\"";
        else if (*p == '\n')
            esc = "\\n";
        else if (*p != '\0' && (ul = ju_utf8_len((const unsigned char *)p))) {
            p += ul - 1;
            continue;
        } else if (*p != '\0')
            esc = "\xef\xbf\xbd"; /* U+FFFD for a byte that is not UTF-8 */
        rc = mst_buf_append(b, run, (size_t)(p - run));
        if (rc != SDC_OK)
            return rc;
        if (!esc)
            return SDC_OK;
        rc = mst_buf_append(b, esc, strlen(esc));
        if (rc != SDC_OK)
            return rc;
        run = p + 1;
    }
}

enum sdc_rc web_prom_value(struct mst_buf *b, double v)
{
    char buf[MST_NUMBER_LEN];
    size_t n;
    if (isnan(v))
        return mst_buf_append(b, "NaN", 3);
    if (isinf(v))
        return v > 0 ? mst_buf_append(b, "+Inf", 4)
                     : mst_buf_append(b, "-Inf", 4);
    n = mst_format_number(v, buf);
    return mst_buf_append(b, buf, n);
}

bool web_ct_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t n = la > lb ? la : lb;
    unsigned char diff = (unsigned char)(la != lb);
    for (size_t i = 0; i < n; i++) {
        unsigned char x = i < la ? (unsigned char)a[i] : 0;
        unsigned char y = i < lb ? (unsigned char)b[i] : 0;
        diff |= (unsigned char)(x ^ y);
    }
    return diff == 0;
}
