/*
 * peer-merge.c - what pulling a peer's inventory costs (bench/peer-merge):
 * a peer inventory of N VMs (2 disks and 2 NICs each) on N/40 hypervisors,
 * 2 pools with a volume per disk, a year of daily snapshots per cluster
 * and pool, loaded with the import API; then, RUNS times: export it
 * (inventory_export_json), print it as the JSON API would (json_dumps),
 * parse it as the puller does (json_loadb), merge it into an empty
 * inventory, and merge it again (every row kept).  Prints one line per run
 * and the medians.
 *
 * Usage: peer-merge DIR VMS RUNS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "inventory.h"
#include "inventory_export.h"

#define GiB (1024LL * 1024 * 1024)
#define T0 ((time_t)1767225600)

static double now_s(void)
{
    return bench_now(CLOCK_MONOTONIC);
}

static void die(const char *what, const struct sdc_error *e)
{
    fprintf(stderr, "peer-merge: %s: %s\n", what, e->msg);
    exit(1);
}

static void fill(struct inv *db, int vms)
{
    struct sdc_error e = {0};
    int hosts = vms / 40 > 0 ? vms / 40 : 1;
    char name[64], uuid[40], tgt[8], mac[24], vol[64], day[16];
    const char *pools[] = {"nfs.10.1.0.5.exports.vms",
                           "nfs.10.1.0.6.exports.vms"};

    if (inv_import_begin(db, &e))
        die("begin", &e);
    for (int h = 0; h < hosts; h++) {
        struct inv_import_hv hv = {.name = name,
                                   .cluster = h % 2 ? "prod-b" : "prod-a",
                                   .uri = "qemu+tls://host/system",
                                   .cpus = 128,
                                   .cores = 64,
                                   .memory = 1024 * GiB,
                                   .first_seen = T0,
                                   .last_seen = T0 + 86400};
        snprintf(name, sizeof(name), "hv%04d", h);
        if (inv_import_hv(db, &hv, NULL, &e))
            die("hv", &e);
    }
    for (int p = 0; p < 2; p++) {
        struct inv_import_pool pl = {.key = pools[p],
                                     .name = "san-vms",
                                     .type = "netfs",
                                     .source = "10.1.0.5:/exports/vms",
                                     .shared = 1,
                                     .active = 1,
                                     .capacity = 500000 * GiB,
                                     .allocation = 300000 * GiB,
                                     .available = 200000 * GiB,
                                     .first_seen = T0,
                                     .last_seen = T0 + 86400};
        if (inv_import_pool(db, &pl, NULL, &e))
            die("pool", &e);
    }
    for (int v = 0; v < vms; v++) {
        struct inv_import_vm vm = {.uuid = uuid,
                                   .name = name,
                                   .host = NULL,
                                   .owner = "Revenue Dept",
                                   .state =
                                       v % 10 ? SDC_VM_RUNNING : SDC_VM_SHUTOFF,
                                   .vcpus = 4,
                                   .max_vcpus = 8,
                                   .memory = 16 * GiB,
                                   .max_memory = 16 * GiB,
                                   .first_seen = T0,
                                   .last_seen = T0 + 86400};
        char host[16];
        snprintf(host, sizeof(host), "hv%04d", v % hosts);
        vm.host = host;
        snprintf(uuid, sizeof(uuid), "%08x-2222-3333-4444-%012x", v, v);
        snprintf(name, sizeof(name), "vm-%06d.dept.sdc", v);
        if (inv_import_vm(db, &vm, NULL, &e))
            die("vm", &e);
        for (int d = 0; d < 2; d++) {
            struct inv_import_disk dk = {.vm_uuid = uuid,
                                         .target = tgt,
                                         .source = vol,
                                         .capacity = 100 * GiB,
                                         .allocation = 40 * GiB,
                                         .first_seen = T0,
                                         .last_seen = T0 + 86400};
            struct inv_import_volume vl = {.pool_key = pools[d],
                                           .name = vol,
                                           .path = vol,
                                           .capacity = 100 * GiB,
                                           .allocation = 40 * GiB,
                                           .first_seen = T0,
                                           .last_seen = T0 + 86400};
            struct inv_import_nic nc = {.vm_uuid = uuid,
                                        .mac = mac,
                                        .target = "vnet0",
                                        .network = "prod",
                                        .first_seen = T0,
                                        .last_seen = T0 + 86400};
            snprintf(tgt, sizeof(tgt), "vd%c", 'a' + d);
            snprintf(vol, sizeof(vol), "/mnt/san/vm-%06d-%s.qcow2", v, tgt);
            snprintf(mac, sizeof(mac), "52:54:%02x:%02x:%02x:%02x", d,
                     (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
            if (inv_import_disk(db, &dk, NULL, &e) ||
                inv_import_volume(db, &vl, NULL, &e) ||
                inv_import_nic(db, &nc, NULL, &e))
                die("disk", &e);
        }
    }
    for (int d = 0; d < 365; d++) {
        time_t t = T0 - (time_t)d * 86400;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(day, sizeof(day), "%Y-%m-%d", &tm);
        for (int c = 0; c < 2; c++) {
            struct inv_import_snap_cluster sc = {
                .day = day,
                .cluster = c ? "prod-b" : "prod-a",
                .hosts = hosts / 2,
                .cores = 64 * (hosts / 2),
                .cpus = 128 * (hosts / 2),
                .memory = 1024 * GiB * (hosts / 2),
                .vms = vms / 2,
                .vms_running = vms / 2 * 9 / 10,
                .vcpus = 2 * vms,
                .vram = 8 * GiB * vms,
                .provisioned_storage = 100 * GiB * vms};
            struct inv_import_snap_pool sp = {.day = day,
                                              .pool_key = pools[c],
                                              .capacity = 500000 * GiB,
                                              .allocation = 300000 * GiB,
                                              .volumes = vms,
                                              .provisioned = 100 * GiB * vms};
            if (inv_import_snapshot_cluster(db, &sc, NULL, &e) ||
                inv_import_snapshot_pool(db, &sp, NULL, &e))
                die("snapshot", &e);
        }
    }
    if (inv_import_commit(db, &e))
        die("commit", &e);
}

int main(int argc, char **argv)
{
    struct sdc_error e = {0};
    struct inv *peer = NULL;
    char path[4096];
    int vms, runs;
    double t_exp[64], t_dump[64], t_parse[64], t_merge[64], t_again[64];
    size_t bytes = 0, rows = 0;

    if (argc != 4) {
        fprintf(stderr, "usage: peer-merge DIR VMS RUNS\n");
        return 2;
    }
    vms = (int)strtol(argv[2], NULL, 10);
    runs = (int)strtol(argv[3], NULL, 10);
    if (vms < 1 || runs < 1 || runs > 64)
        return 2;
    snprintf(path, sizeof(path), "%s/peer.db", argv[1]);
    if (inv_open(path, &peer, &e))
        die("open peer", &e);
    fill(peer, vms);
    for (int r = 0; r < runs; r++) {
        struct inv *a = NULL;
        struct inv_merge_stats st;
        json_t *doc, *parsed;
        json_error_t je;
        char *text;
        double t;

        snprintf(path, sizeof(path), "%s/a%d.db", argv[1], r);
        unlink(path);
        if (inv_open(path, &a, &e))
            die("open", &e);
        t = now_s();
        doc = inventory_export_json(peer, 0, &e);
        t_exp[r] = now_s() - t;
        if (!doc)
            die("export", &e);
        t = now_s();
        text = json_dumps(doc, JSON_COMPACT);
        t_dump[r] = now_s() - t;
        bytes = strlen(text);
        json_decref(doc);
        t = now_s();
        parsed = json_loadb(text, bytes, JSON_REJECT_DUPLICATES, &je);
        t_parse[r] = now_s() - t;
        free(text);
        if (!parsed)
            return 1;
        t = now_s();
        if (inventory_merge_json(a, parsed, "peer", 0, &st, &e))
            die("merge", &e);
        t_merge[r] = now_s() - t;
        rows = st.added;
        t = now_s();
        if (inventory_merge_json(a, parsed, "peer", 0, &st, &e))
            die("merge again", &e);
        t_again[r] = now_s() - t;
        if (st.added + st.updated != 0 || st.kept != rows) {
            fprintf(stderr, "peer-merge: second merge changed rows\n");
            return 1;
        }
        json_decref(parsed);
        inv_close(a);
        printf("run %d: %zu rows, %zu bytes; export %.3f s, dump %.3f s, "
               "parse %.3f s, merge %.3f s, merge again %.3f s\n",
               r + 1, rows, bytes, t_exp[r], t_dump[r], t_parse[r], t_merge[r],
               t_again[r]);
    }
    printf("median of %d: %d VMs, %zu rows, %.1f MB; export %.3f s, dump %.3f "
           "s, parse %.3f s, merge into empty %.3f s, merge again %.3f s\n",
           runs, vms, rows, (double)bytes / 1e6, bench_median(t_exp, runs),
           bench_median(t_dump, runs), bench_median(t_parse, runs),
           bench_median(t_merge, runs), bench_median(t_again, runs));
    inv_close(peer);
    return 0;
}
