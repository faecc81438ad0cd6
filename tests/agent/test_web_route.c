/*
 * test_web_route.c - the web view's pure parts: routes, query values, graph
 * paths against the archive layout, report paths (with a symlink trying to
 * leave the reports directory), Prometheus escaping, the users file and
 * basic-auth checks (real crypt(3) SHA-512 hashes), and the live snapshot
 * built from hand-made batches (rates, top lists, lookups, refcounts).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <crypt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapshot.h"
#include "testutil.h"
#include "web_auth.h"
#include "web_route.h"

static void test_routes(void **state)
{
    struct web_route r;
    (void)state;
    assert_int_equal(web_route_parse("/", &r), 200);
    assert_int_equal(r.kind, WR_OVERVIEW);
    assert_int_equal(web_route_parse("/style.css", &r), 200);
    assert_int_equal(r.kind, WR_STYLE);
    assert_int_equal(web_route_parse("/metrics", &r), 200);
    assert_int_equal(r.kind, WR_METRICS);
    assert_int_equal(web_route_parse("/api/v1/summary", &r), 200);
    assert_int_equal(r.kind, WR_API_SUMMARY);
    assert_int_equal(web_route_parse("/api/v1/vms", &r), 200);
    assert_int_equal(r.kind, WR_API_VMS);
    assert_int_equal(web_route_parse("/api/v1/vms/abc-1", &r), 200);
    assert_int_equal(r.kind, WR_API_VM);
    assert_string_equal(r.arg, "abc-1");
    assert_int_equal(web_route_parse("/hv/hv 01", &r), 200);
    assert_int_equal(r.kind, WR_HV);
    assert_string_equal(r.arg, "hv 01");
    assert_int_equal(web_route_parse("/pool/nfs.10.1.0.5.exports.vms", &r),
                     200);
    assert_int_equal(r.kind, WR_POOL);
    assert_string_equal(r.arg, "nfs.10.1.0.5.exports.vms");
    /* a pool by host and name */
    assert_int_equal(web_route_parse("/pool/hv01/default", &r), 200);
    assert_int_equal(r.kind, WR_POOL);
    assert_string_equal(r.arg, "hv01/default");
    assert_int_equal(web_route_parse("/pool/hv01/", &r), 404);
    assert_int_equal(web_route_parse("/pool//default", &r), 404);
    assert_int_equal(web_route_parse("/pool/hv01/default/x", &r), 404);
    assert_int_equal(web_route_parse("/pool/../default", &r), 404);
    assert_int_equal(web_route_parse("/pool/hv01/..", &r), 404);
    assert_int_equal(web_route_parse("/snmp/core-sw1", &r), 200);
    assert_int_equal(r.kind, WR_SNMP);
    assert_int_equal(web_route_parse("/graph/cluster/prod-a/cpu.svg", &r), 200);
    assert_int_equal(r.kind, WR_GRAPH);
    assert_string_equal(r.arg, "cluster/prod-a/cpu");

    /* unknown, empty, dot segments, nested entity paths */
    assert_int_equal(web_route_parse("/nope", &r), 404);
    assert_int_equal(r.kind, WR_NOT_FOUND);
    assert_int_equal(web_route_parse("/hv/", &r), 404);
    assert_int_equal(web_route_parse("/hv/..", &r), 404);
    assert_int_equal(web_route_parse("/hv/a/b", &r), 404);
    assert_int_equal(web_route_parse("/vm/../../etc/passwd", &r), 404);
    assert_int_equal(web_route_parse("/graph/x.png", &r), 404);
    assert_int_equal(web_route_parse("/graph/.svg", &r), 404);
    assert_int_equal(web_route_parse("/api/v1/", &r), 404);
    assert_int_equal(web_route_parse("relative", &r), 404);
    assert_int_equal(web_route_parse(NULL, &r), 404);

    /* reports: listing, kind, period, file; never ".." */
    assert_int_equal(web_route_parse("/reports/", &r), 200);
    assert_int_equal(r.kind, WR_REPORTS);
    assert_int_equal(r.n_parts, 0);
    assert_true(r.dir);
    assert_int_equal(
        web_route_parse("/reports/monthly/2026-03/report.html", &r), 200);
    assert_int_equal(r.n_parts, 3);
    assert_false(r.dir);
    assert_string_equal(r.parts[1], "2026-03");
    assert_int_equal(web_route_parse("/reports/monthly/", &r), 200);
    assert_int_equal(r.n_parts, 1);
    assert_true(r.dir);
    assert_int_equal(web_route_parse("/reports/../../etc/passwd", &r), 404);
    assert_int_equal(web_route_parse("/reports/a/../b", &r), 404);
    assert_int_equal(web_route_parse("/reports/a//b", &r), 404);
    assert_int_equal(web_route_parse("/reports/a/b/c/d", &r), 404);
    assert_int_equal(web_route_parse("/reports", &r), 404);

    /* too long */
    {
        char *u = malloc(WEB_MAX_URL + 10);
        memset(u, 'a', WEB_MAX_URL + 9);
        u[0] = '/';
        u[WEB_MAX_URL + 9] = '\0';
        assert_int_equal(web_route_parse(u, &r), 414);
        /* a long segment that fits the URL limit is a 404, not a crash */
        u[4] = '/';
        memcpy(u, "/hv/", 4);
        u[WEB_MAX_URL - 1] = '\0';
        assert_int_equal(web_route_parse(u, &r), 404);
        free(u);
    }
}

static void test_query_values(void **state)
{
    long s;
    unsigned long n;
    (void)state;
    assert_true(web_parse_range(NULL, &s));
    assert_int_equal(s, 86400);
    assert_true(web_parse_range("7d", &s));
    assert_int_equal(s, 7 * 86400);
    assert_true(web_parse_range("30d", &s));
    assert_int_equal(s, 30 * 86400);
    assert_true(web_parse_range("1y", &s));
    assert_int_equal(s, 365 * 86400);
    assert_false(web_parse_range("2d", &s));
    assert_false(web_parse_range("", &s));
    assert_false(web_parse_range("1d ", &s));
    assert_false(web_parse_range("-1d", &s));

    assert_true(web_parse_count(NULL, 100, 1000, &n));
    assert_int_equal(n, 100);
    assert_true(web_parse_count("0", 100, 1000, &n));
    assert_int_equal(n, 0);
    assert_true(web_parse_count("1000", 100, 1000, &n));
    assert_int_equal(n, 1000);
    assert_false(web_parse_count("1001", 100, 1000, &n));
    assert_false(web_parse_count("-1", 100, 1000, &n));
    assert_false(web_parse_count("12abc", 100, 1000, &n));
    assert_false(
        web_parse_count("99999999999999999999999999", 100, ULONG_MAX, &n));
    assert_false(web_parse_count(" 5", 100, 1000, &n));
}

static void test_graph_paths(void **state)
{
    struct web_graph g;
    int idx[SDC_MAX_DS];
    size_t n;
    (void)state;
    assert_true(web_graph_parse("cluster/prod-a/cpu", &g));
    assert_int_equal(g.type, SDC_AR_CLUSTER_CPU);
    assert_string_equal(g.id, "prod-a");
    assert_string_equal(g.instance, "");
    assert_true(web_graph_parse("vm/1234-ab/disk-vda", &g));
    assert_int_equal(g.type, SDC_AR_VM_DISK);
    assert_string_equal(g.instance, "vda");
    assert_true(web_graph_parse("vm/u/net-52-54-00-0a-00-01", &g));
    assert_int_equal(g.type, SDC_AR_VM_NET);
    assert_string_equal(g.instance, "52-54-00-0a-00-01");
    assert_true(web_graph_parse("snmp/sw1/if-Ethernet1_49", &g));
    assert_int_equal(g.type, SDC_AR_SNMP_IF);
    assert_true(web_graph_parse("pool/nfs.10.1.0.5.exports.vms/usage", &g));
    assert_int_equal(g.type, SDC_AR_POOL_USAGE);

    /* nothing that leaves rrd/ or is not in the layout */
    assert_false(web_graph_parse("vm/../cpu", &g));
    assert_false(web_graph_parse("vm/..%2f/cpu", &g));
    assert_false(web_graph_parse("vm/.hidden/cpu", &g));
    assert_false(web_graph_parse("vm/a/b/cpu", &g));
    assert_false(web_graph_parse("vm/a", &g));
    assert_false(web_graph_parse("vm/a/disk-", &g));
    assert_false(web_graph_parse("vm/a/disk-../x", &g));
    assert_false(web_graph_parse("vm/a/usage", &g));
    assert_false(web_graph_parse("etc/a/cpu", &g));
    assert_false(web_graph_parse("cluster/a b/cpu", &g));
    assert_false(web_graph_parse("/cluster/a/cpu", &g));

    assert_true(
        web_parse_ds_list(SDC_AR_CLUSTER_CPU, "used,capacity", idx, &n));
    assert_int_equal(n, 2);
    assert_int_equal(idx[0], 0);
    assert_int_equal(idx[1], 1);
    assert_true(web_parse_ds_list(SDC_AR_VM_NET, NULL, idx, &n));
    assert_int_equal(n, 8);
    assert_false(web_parse_ds_list(SDC_AR_CLUSTER_CPU, "used,used", idx, &n));
    assert_false(web_parse_ds_list(SDC_AR_CLUSTER_CPU, "used,", idx, &n));
    assert_false(web_parse_ds_list(SDC_AR_CLUSTER_CPU, "bogus", idx, &n));
    assert_false(web_parse_ds_list(SDC_AR_CLUSTER_CPU, ",", idx, &n));

    assert_true(web_name_safe("a.b-c_D9"));
    assert_false(web_name_safe(".a"));
    assert_false(web_name_safe(""));
    assert_false(web_name_safe("a/b"));
    assert_false(web_name_safe("a b"));
}

static void test_report_paths(void **state)
{
    char *dir = tu_tmpdir("webroute");
    char root[PATH_MAX], p[PATH_MAX + 64], out[PATH_MAX];
    char parts[WEB_REPORT_DEPTH][WEB_MAX_SEGMENT];
    (void)state;
    snprintf(root, sizeof(root), "%s/reports", dir);
    snprintf(p, sizeof(p), "%s/monthly/2026-03", root);
    assert_int_equal(tu_runf(NULL, "mkdir -p '%s'", p), 0);
    snprintf(p, sizeof(p), "%s/monthly/2026-03/report.html", root);
    assert_true(tu_write_file(p, "<p>r</p>", 0644));
    snprintf(p, sizeof(p), "%s/secret", dir);
    assert_true(tu_write_file(p, "secret", 0644));
    /* a symlink inside the reports directory that points out of it */
    snprintf(p, sizeof(p), "%s/monthly/2026-03/leak.html", root);
    assert_int_equal(tu_runf(NULL, "ln -s ../../../secret '%s'", p), 0);
    snprintf(p, sizeof(p), "%s/monthly/up", root);
    assert_int_equal(tu_runf(NULL, "ln -s '%s' '%s'", dir, p), 0);

    strcpy(parts[0], "monthly");
    strcpy(parts[1], "2026-03");
    strcpy(parts[2], "report.html");
    assert_int_equal(web_report_resolve(root, parts, 3, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "/reports/monthly/2026-03/report.html"));
    assert_int_equal(web_report_resolve(root, parts, 0, out, sizeof(out)), 0);
    strcpy(parts[2], "leak.html");
    assert_int_equal(web_report_resolve(root, parts, 3, out, sizeof(out)), 404);
    strcpy(parts[1], "up");
    strcpy(parts[2], "secret");
    assert_int_equal(web_report_resolve(root, parts, 3, out, sizeof(out)), 404);
    strcpy(parts[1], "..");
    assert_int_equal(web_report_resolve(root, parts, 2, out, sizeof(out)), 404);
    strcpy(parts[1], "missing");
    assert_int_equal(web_report_resolve(root, parts, 2, out, sizeof(out)), 404);
    assert_int_equal(
        web_report_resolve("/nonexistent-dir-x", parts, 0, out, sizeof(out)),
        404);

    assert_string_equal(web_content_type("report.html"),
                        "text/html; charset=utf-8");
    assert_string_equal(web_content_type("report.json"), "application/json");
    assert_string_equal(web_content_type("vms.csv"), "text/csv; charset=utf-8");
    assert_string_equal(web_content_type("x.exe"), "application/octet-stream");
    assert_string_equal(web_content_type("noext"), "application/octet-stream");
    tu_rmrf(dir);
    free(dir);
}

static void test_prometheus_escaping(void **state)
{
    struct mst_buf b;
    char *s;
    (void)state;
    mst_buf_init(&b, 0);
    assert_int_equal(web_prom_label(&b, "a\\b\"c\nd<script>"), SDC_OK);
    s = mst_buf_release(&b, NULL);
    assert_string_equal(s, "a\\\\b\\\"c\\nd<script>");
    free(s);
    /* UTF-8 kept; bytes that are not UTF-8 (a switch's ifAlias) replaced */
    mst_buf_init(&b, 0);
    assert_int_equal(web_prom_label(&b, "\xc3\xa9\xe6\x97\xa5 x\xff\xc3("
                                        "\xed\xa0\x80"),
                     SDC_OK);
    s = mst_buf_release(&b, NULL);
    assert_string_equal(s, "\xc3\xa9\xe6\x97\xa5 x\xef\xbf\xbd\xef\xbf\xbd("
                           "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    free(s);
    mst_buf_init(&b, 0);
    web_prom_value(&b, NAN);
    mst_buf_putc(&b, ' ');
    web_prom_value(&b, INFINITY);
    mst_buf_putc(&b, ' ');
    web_prom_value(&b, -INFINITY);
    mst_buf_putc(&b, ' ');
    web_prom_value(&b, 0.1);
    mst_buf_putc(&b, ' ');
    web_prom_value(&b, 1e21);
    s = mst_buf_release(&b, NULL);
    assert_string_equal(s, "NaN +Inf -Inf 0.1 1e+21");
    free(s);

    assert_true(web_ct_equal("abc", "abc"));
    assert_false(web_ct_equal("abc", "abd"));
    assert_false(web_ct_equal("abc", "abcd"));
    assert_false(web_ct_equal("", "a"));
    assert_true(web_ct_equal("", ""));
}

static void test_users(void **state)
{
    struct web_users *u = NULL;
    struct sdc_error err;
    struct crypt_data cd;
    char text[1024], *h1, *h2;
    (void)state;
    memset(&cd, 0, sizeof(cd));
    h1 = strdup(crypt_r("s3cret pass", "$6$abcdefgh12345678$", &cd));
    h2 = strdup(crypt_r("other", "$6$zzzzyyyyxxxx$", &cd));
    assert_non_null(strstr(h1, "$6$abcdefgh12345678$"));
    snprintf(text, sizeof(text),
             "# users of the web view\n\nalice:%s\r\nbob:%s\n", h1, h2);
    assert_int_equal(web_users_parse("users", text, &u, &err), SDC_OK);
    assert_int_equal(web_users_count(u), 2);
    assert_true(web_users_check(u, "alice", "s3cret pass"));
    assert_true(web_users_check(u, "bob", "other"));
    assert_false(web_users_check(u, "alice", "other"));
    assert_false(web_users_check(u, "alice", ""));
    assert_false(web_users_check(u, "alic", "s3cret pass"));
    assert_false(web_users_check(u, "carol", "s3cret pass"));
    assert_false(web_users_check(u, NULL, "x"));
    web_users_free(u);

    /* bad files: file:line messages */
    assert_int_equal(web_users_parse("users", "alice\n", &u, &err),
                     SDC_ERR_CONFIG);
    assert_string_equal(err.msg, "users:1: expected user:hash");
    assert_null(u);
    assert_int_equal(web_users_parse("users", "\n# c\nalice:plain\n", &u, &err),
                     SDC_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "users:3: user 'alice': not a SHA-512"));
    assert_int_equal(web_users_parse("users",
                                     "alice:$1$abc$0123456789abcdefghij\n", &u,
                                     &err),
                     SDC_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "users:1:"));
    snprintf(text, sizeof(text), "alice:%s\nalice:%s\n", h1, h2);
    assert_int_equal(web_users_parse("users", text, &u, &err), SDC_ERR_CONFIG);
    assert_string_equal(err.msg, "users:2: user 'alice' listed twice");
    snprintf(text, sizeof(text), ":%s\n", h1);
    assert_int_equal(web_users_parse("users", text, &u, &err), SDC_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "users:1: user name empty"));
    assert_int_equal(web_users_parse("users", "# nobody\n", &u, &err),
                     SDC_ERR_CONFIG);
    assert_string_equal(err.msg, "users: no users");
    assert_int_equal(web_users_load("/nonexistent/users", &u, &err),
                     SDC_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/users"));
    free(h1);
    free(h2);
}

/* A libvirt batch of one host with one VM, its CPU counter at @ns. */
static struct sdc_batch *vm_batch(time_t t, uint64_t ns, double cur,
                                  double usable)
{
    struct sdc_batch *b = sdc_batch_new("hv1", t);
    struct sdc_vm_info vi = {0};
    struct sdc_hv_info hv = {0};
    struct sdc_pool_info p = {0};
    struct sdc_sample *s;
    b->ok = true;
    b->kind = "libvirt";
    hv.name = "hv1";
    hv.cpus = 16;
    hv.memory = 64ULL << 30;
    hv.cpu_busy = 4;
    hv.mem_used = 16.0 * (1 << 30);
    sdc_batch_set_hv(b, &hv);
    vi.uuid = "u-1";
    vi.name = "<b>vm</b>";
    vi.host = "hv1";
    vi.state = SDC_VM_RUNNING;
    vi.vcpus = 4;
    vi.memory = 8ULL << 30;
    sdc_batch_add_vm(b, &vi);
    vi.uuid = "u-0";
    vi.name = "off";
    vi.state = SDC_VM_SHUTOFF;
    sdc_batch_add_vm(b, &vi);
    s = sdc_batch_add_sample(b, SDC_AR_VM_CPU, "u-1", NULL, t);
    sdc_sample_set_counter(s, "time", ns);
    s = sdc_batch_add_sample(b, SDC_AR_VM_MEM, "u-1", NULL, t);
    sdc_sample_set_gauge(s, "current", cur);
    sdc_sample_set_gauge(s, "usable", usable);
    p.key = "hv1.default";
    p.name = "default";
    p.host = "hv1";
    p.type = "dir";
    p.capacity = 1000;
    p.allocation = 250;
    sdc_batch_add_pool(b, &p);
    return b;
}

static void test_snapshot(void **state)
{
    struct sdc_config cfg = {0};
    struct sdc_hypervisor_cfg hc = {.name = "hv1", .cluster = "prod"};
    struct sdc_batch *b1 =
        vm_batch(1000, 5000000000ULL, 8.0 * (1 << 30), 6.0 * (1 << 30));
    struct sdc_batch *b2 = vm_batch(1010, 5000000000ULL + 30000000000ULL,
                                    8.0 * (1 << 30), 2.0 * (1 << 30));
    struct sdc_batch *cl = sdc_batch_new("clusters", 1000);
    struct snap_input in = {0};
    struct snap_store st;
    struct snap *s1, *s2, *held;
    const struct snap_vm *v;
    struct sdc_sample *sm;
    (void)state;

    cfg.step = 10;
    cfg.hypervisors = &hc;
    cfg.n_hypervisors = 1;
    cfg.capacity.target_cpu = 0.7;
    sm = sdc_batch_add_sample(cl, SDC_AR_CLUSTER_CPU, "prod", NULL, 1000);
    sdc_sample_set_gauge(sm, "used", 4);
    sdc_sample_set_gauge(sm, "capacity", 16);
    in.cfg = &cfg;
    in.batches = &b1;
    in.n = 1;
    in.clusters = cl;
    in.cycle = 1000;
    in.cycles = 1;
    assert_int_equal(snap_build(&in, NULL, &s1, NULL), SDC_OK);
    assert_int_equal(s1->n_vms, 2);
    assert_int_equal(s1->vms_running, 1);
    v = snap_find_vm(s1, "u-1");
    assert_non_null(v);
    assert_string_equal(v->name, "<b>vm</b>");
    assert_string_equal(v->cluster, "prod");
    /* no previous reading: no rate yet */
    assert_true(isnan(v->cpu_ratio));
    assert_float_equal(v->mem_used, 2.0 * (1 << 30), 1);
    assert_float_equal(v->mem_ratio, 0.25, 1e-12);
    assert_null(snap_find_vm(s1, "nope"));
    assert_non_null(snap_find_host(s1, "hv1"));
    assert_float_equal(snap_find_cluster(s1, "prod")->cpu_capacity, 16, 0);
    assert_float_equal(snap_find_pool(s1, "hv1.default")->allocation, 250, 0);

    /* 30 s of CPU in 10 s on 4 vCPUs: 3 CPUs busy, 75% */
    in.batches = &b2;
    in.cycle = 1010;
    assert_int_equal(snap_build(&in, s1, &s2, NULL), SDC_OK);
    v = snap_find_vm(s2, "u-1");
    assert_float_equal(v->cpu_used, 3.0, 1e-9);
    assert_float_equal(v->cpu_ratio, 0.75, 1e-9);
    assert_float_equal(v->mem_used, 6.0 * (1 << 30), 1);
    assert_int_equal(s2->n_top_cpu, 1);
    assert_string_equal(s2->vms[s2->top_cpu[0]].uuid, "u-1");

    /* the store: a reader keeps its snapshot across a publish */
    snap_store_init(&st);
    assert_null(snap_acquire(&st));
    snap_publish(&st, s1);
    held = snap_acquire(&st);
    assert_ptr_equal(held, s1);
    snap_publish(&st, s2);
    assert_int_equal(held->n_vms, 2); /* still valid (ASan would say) */
    snap_release(&st, held);
    held = snap_acquire(&st);
    assert_ptr_equal(held, s2);
    snap_release(&st, held);
    snap_store_destroy(&st);
    sdc_batch_free(b1);
    sdc_batch_free(b2);
    sdc_batch_free(cl);
}

/* Host @h's batch at @t: VMs "h<h>-<k>" (k < @n), 2 disks each, CPU
 * counter @ns * (k + 1); its own pool and the shared pool "san". */
static struct sdc_batch *host_batch(int h, int n, time_t t, uint64_t ns)
{
    char name[32], uuid[32], key[64];
    struct sdc_batch *b;
    struct sdc_pool_info p = {0};
    snprintf(name, sizeof(name), "hv%03d", h);
    b = sdc_batch_new(name, t);
    assert_non_null(b);
    b->ok = true;
    b->kind = "libvirt";
    for (int k = 0; k < n; k++) {
        struct sdc_vm_info vi = {0};
        struct sdc_sample *sm;
        snprintf(uuid, sizeof(uuid), "h%03d-%d", h, k);
        vi.uuid = uuid;
        vi.name = uuid;
        vi.host = name;
        vi.state = SDC_VM_RUNNING;
        vi.vcpus = 2;
        vi.memory = 1ULL << 30;
        assert_int_equal(sdc_batch_add_vm(b, &vi), SDC_OK);
        sm = sdc_batch_add_sample(b, SDC_AR_VM_CPU, uuid, NULL, t);
        sdc_sample_set_counter(sm, "time", ns * (uint64_t)(k + 1));
        for (int d = 0; d < 2; d++) {
            sm = sdc_batch_add_sample(b, SDC_AR_VM_DISK, uuid,
                                      d ? "vdb" : "vda", t);
            sdc_sample_set_gauge(sm, "capacity", 1000.0 * (h + 1) + d);
        }
    }
    snprintf(key, sizeof(key), "%s.default", name);
    p.key = key;
    p.name = "default";
    p.host = name;
    p.type = "dir";
    p.capacity = 100;
    assert_int_equal(sdc_batch_add_pool(b, &p), SDC_OK);
    p.key = "san";
    p.name = "san";
    p.shared = true;
    p.capacity = 5000;
    assert_int_equal(sdc_batch_add_pool(b, &p), SDC_OK);
    return b;
}

/*
 * Many hosts (the lookups by name go through hash indexes): every VM gets
 * its host's configured cluster and its own samples, a shared pool lists
 * every host that reports it in batch order, each local pool its one host,
 * and rates pair each VM with its previous reading (VMs come and go).
 */
static void test_snapshot_many(void **state)
{
    enum { HOSTS = 300, PER = 3 };
    struct sdc_hypervisor_cfg hc[HOSTS];
    char names[HOSTS][16], clusters[HOSTS][16];
    struct sdc_config cfg = {0};
    struct sdc_batch *b1[HOSTS + 1], *b2[HOSTS + 1];
    struct snap_input in = {0};
    struct snap *s1, *s2;
    char *want = calloc(HOSTS, 8);
    size_t len = 0;
    (void)state;

    assert_non_null(want);
    for (int h = 0; h < HOSTS; h++) {
        snprintf(names[h], sizeof(names[h]), "hv%03d", h);
        snprintf(clusters[h], sizeof(clusters[h]), "c%02d", h / 3);
        hc[h] = (struct sdc_hypervisor_cfg){.name = names[h],
                                            .cluster = clusters[h]};
        /* host 299 is not configured: its cluster is its own name */
        b1[h] = host_batch(h, PER, 1000, 1000000000ULL);
        /* the next cycle: VM 0 of every even host gone, a new VM 3 */
        b2[h] = host_batch(h, PER, 1010, 3000000000ULL);
        len += (size_t)snprintf(want + len, HOSTS * 8 - len, "%s%s",
                                h ? ", " : "", names[h]);
    }
    b1[HOSTS] = b2[HOSTS] = NULL;
    cfg.step = 10;
    cfg.hypervisors = hc;
    cfg.n_hypervisors = HOSTS - 1;
    in.cfg = &cfg;
    in.batches = b1;
    in.n = HOSTS + 1;
    in.cycle = 1000;
    assert_int_equal(snap_build(&in, NULL, &s1, NULL), SDC_OK);
    assert_int_equal(s1->n_vms, HOSTS * PER);
    assert_int_equal(s1->n_hosts, HOSTS);
    assert_int_equal(s1->n_pools, HOSTS + 1);
    assert_int_equal(s1->n_clusters, (HOSTS - 1 + 2) / 3);
    assert_string_equal(snap_find_pool(s1, "san")->hosts, want);
    assert_string_equal(snap_find_pool(s1, "hv123.default")->hosts, "hv123");
    for (int h = 0; h < HOSTS; h++) {
        char uuid[32];
        const struct snap_vm *v;
        snprintf(uuid, sizeof(uuid), "h%03d-%d", h, 1);
        v = snap_find_vm(s1, uuid);
        assert_non_null(v);
        assert_string_equal(v->host, names[h]);
        assert_string_equal(v->cluster, h < HOSTS - 1 ? clusters[h] : names[h]);
        assert_int_equal(v->n_disks, 2);
        assert_int_equal(v->disk_capacity, 2000 * (h + 1) + 1);
        assert_string_equal(snap_find_host(s1, names[h])->cluster, v->cluster);
    }

    /* rates: VM k used (k + 1) * 2 s of CPU in 10 s: 0.2 (k + 1) CPUs */
    for (int h = 0; h < HOSTS; h += 2) {
        sdc_batch_free(b2[h]);
        b2[h] = host_batch(h, PER + 1, 1010, 3000000000ULL);
        b2[h]->vms.items[0].uuid[0] = 'x'; /* VM 0 is another one now */
        b2[h]->samples.items[0].id[0] = 'x';
    }
    in.batches = b2;
    in.cycle = 1010;
    assert_int_equal(snap_build(&in, s1, &s2, NULL), SDC_OK);
    assert_int_equal(s2->n_vms, HOSTS * PER + HOSTS / 2);
    for (size_t i = 0; i < s2->n_vms; i++) {
        const struct snap_vm *v = &s2->vms[i];
        int k = v->uuid[strlen(v->uuid) - 1] - '0';
        if (v->uuid[0] == 'x' || k == PER)
            assert_true(isnan(v->cpu_used)); /* new: no previous reading */
        else
            assert_float_equal(v->cpu_used, 0.2 * (k + 1), 1e-9);
    }
    snap_free(s1);
    snap_free(s2);
    for (int h = 0; h < HOSTS; h++) {
        sdc_batch_free(b1[h]);
        sdc_batch_free(b2[h]);
    }
    free(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_query_values),
        cmocka_unit_test(test_graph_paths),
        cmocka_unit_test(test_report_paths),
        cmocka_unit_test(test_prometheus_escaping),
        cmocka_unit_test(test_users),
        cmocka_unit_test(test_snapshot),
        cmocka_unit_test(test_snapshot_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
