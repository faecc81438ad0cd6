/*
 * web_route.h - the pure parts of the web view: which route a URL path
 * names, query values, graph paths against the archive layout, paths under
 * the reports directory, and the Prometheus text format's escaping.
 *
 * Nothing here does network I/O; everything is unit-tested
 * (tests/agent/test_web_route.c).
 */
#ifndef SDC_AGENT_WEB_ROUTE_H
#define SDC_AGENT_WEB_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "escape.h"
#include "sdc/schema.h"

/* Longest URL path accepted (longer: 414). */
#define WEB_MAX_URL 2048
/* Longest path segment naming an entity (longer: 404). */
#define WEB_MAX_SEGMENT 256
/* Most report path components: kind / period / file. */
#define WEB_REPORT_DEPTH 3

enum web_route_kind {
    WR_NOT_FOUND = 0,
    WR_OVERVIEW, /* / */
    WR_STYLE,    /* /style.css */
    WR_HV,       /* /hv/<name> */
    WR_VM,       /* /vm/<uuid> */
    WR_POOL,     /* /pool/<key> */
    WR_SNMP,     /* /snmp/<device> */
    WR_REPORTS,  /* /reports/[<kind>/[<period>/[<file>]]] */
    WR_GRAPH,    /* /graph/<kind>/<id>/<file>.svg */
    WR_METRICS,  /* /metrics */
    WR_API_SUMMARY,
    WR_API_CLUSTERS,
    WR_API_HYPERVISORS,
    WR_API_VMS,
    WR_API_VM, /* /api/v1/vms/<uuid> */
    WR_API_POOLS,
    WR_API_DEVICES,
    WR_API_INTERFACES,
    WR_API_REPORTS,
    WR_API_INVENTORY, /* the inventory for a peer (inventory_export.h) */
};

/*
 * struct web_route - a parsed URL path.
 * @kind:   the route
 * @arg:    the entity segment (hv, vm, pool, snmp, api vm) or the graph's
 *          path after /graph/ (without ".svg")
 * @parts, @n_parts: the report path's components (WR_REPORTS)
 * @dir:    WR_REPORTS: the path ends with '/' (a listing)
 */
struct web_route {
    enum web_route_kind kind;
    char arg[WEB_MAX_URL];
    char parts[WEB_REPORT_DEPTH][WEB_MAX_SEGMENT];
    size_t n_parts;
    bool dir;
};

/*
 * web_route_parse - the route of @url, a decoded path ("/vm/1234-...").
 * @return: 200 for a route, 404 for none (or a bad segment: empty, "." or
 *          "..", longer than WEB_MAX_SEGMENT), 414 when @url is longer
 *          than WEB_MAX_URL.
 */
int web_route_parse(const char *url, struct web_route *out);

/*
 * web_name_safe - whether @s is a name as sdc_name_sanitize() leaves it:
 * 1..SDC_NAME_MAX-1 bytes of [A-Za-z0-9._-] not starting with '.'.
 */
bool web_name_safe(const char *s);

/*
 * web_parse_range - "1d" "7d" "30d" "1y" (NULL, absent: "1d") in seconds.
 * @return: false for anything else.
 */
bool web_parse_range(const char *s, long *seconds);

/*
 * web_parse_count - a query count: decimal digits only, 0..@max (NULL or
 * "": @dflt).  @return: false for anything else.
 */
bool web_parse_count(const char *s, unsigned long dflt, unsigned long max,
                     unsigned long *out);

/*
 * struct web_graph - an archive named by a graph path.
 * @type:     the archive type
 * @id:       its id (a safe name)
 * @instance: its instance for per-instance types, else ""
 */
struct web_graph {
    enum sdc_archive type;
    char id[SDC_NAME_MAX];
    char instance[SDC_NAME_MAX];
};

/*
 * web_graph_parse - "<kind>/<id>/<file>" (the archive's path under rrd/,
 * without ".rrd") into an archive of the layout.  @id and the instance
 * must be safe names (web_name_safe), so the path cannot leave rrd/.
 * @return: false when it names no archive type of the layout.
 */
bool web_graph_parse(const char *path, struct web_graph *out);

/*
 * web_parse_ds_list - "a,b,c" (NULL or "": every data source) checked
 * against the data sources of @type.
 * @idx, @n: their indexes in the schema, at most SDC_MAX_DS, no repeats
 * @return: false for an unknown name, a repeat or an empty item.
 */
bool web_parse_ds_list(enum sdc_archive type, const char *s, int *idx,
                       size_t *n);

/*
 * web_report_resolve - the file or directory @parts names under @root.
 * Each part must be a safe name (web_name_safe); the real path (symlinks
 * resolved) must be @root's real path or lie under it, so neither "..",
 * nor an encoded slash nor a symlink can leave the reports directory.
 * @out: the real path
 * @return: 0, or an HTTP status: 404 (missing, unsafe, outside).
 */
int web_report_resolve(const char *root, char (*parts)[WEB_MAX_SEGMENT],
                       size_t n, char *out, size_t outlen);

/* web_content_type - the Content-Type for a report file's name. */
const char *web_content_type(const char *name);

/*
 * web_prom_label - append @s as a Prometheus label value (between the
 * quotes): backslash, double quote and line feed escaped as \\ \" \n;
 * a byte that is not part of valid UTF-8 becomes U+FFFD.
 */
enum sdc_rc web_prom_label(struct mst_buf *b, const char *s);

/*
 * web_prom_value - append @v as a sample value: shortest exact form, "NaN",
 * "+Inf", "-Inf".
 */
enum sdc_rc web_prom_value(struct mst_buf *b, double v);

/*
 * web_ct_equal - constant-time comparison of two NUL-terminated strings
 * (time depends on the lengths only).
 */
bool web_ct_equal(const char *a, const char *b);

#endif
