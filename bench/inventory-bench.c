/*
 * inventory-bench.c - CPU of recording the inventory per cycle, as sdcmond
 * does after writing the archives: inv_record_batches() and
 * inv_snapshot_daily(), then inv_record_poll(), on one hypervisor's batch
 * shaped like bench/libvirt-cycle's fixture (1,000 VMs, 900 running, 2
 * disks and 2 NICs each, 2 pools; 2,003 volumes in the first cycle only, as
 * the collector lists them), into a new WAL database.
 *
 * With DEVICES (> 0) the cycle also records that many SNMP device batches
 * shaped like a switch poll (48 interfaces, 4 storages each, all listings
 * complete; sysUpTime and the memory storage's used figure move every
 * cycle, as they do on a real device); VMS 0 leaves the hypervisor out.
 *
 * Usage: inventory-bench DB CYCLES [VMS [DEVICES]]
 * Prints one line per cycle (rows of the cycle, CPU and wall of each part -
 * "record" is inv_record_batches + inv_snapshot_daily, as in sdcmond's
 * debug line, the snapshot's share shown apart - bytes passed to write(2))
 * and the medians of the steady cycles (2..).
 * Uses only the API both before and after the change, so the same source
 * measures either build (bench/inventory-bench -B).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "inventory.h"
#include "sdc/sample.h"

#define GiB (1024ULL * 1024 * 1024)

/* Bytes this process passed to write(2) so far (/proc/self/io wchar). */
static long long wchar(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    char line[128];
    long long v = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "wchar: %lld", &v) == 1)
            break;
    fclose(f);
    return v;
}

static struct sdc_batch *make_batch(int vms, bool volumes, time_t t)
{
    struct sdc_batch *b = sdc_batch_new("hv01", t);
    struct sdc_hv_info hv = {0};
    char uuid[48], name[64], path[160], mac[32];

    if (!b)
        return NULL;
    b->ok = true;
    b->kind = "libvirt";
    hv.name = "hv01";
    hv.uri = "test:///bench1000-hv01.xml";
    hv.model = "x86_64";
    hv.hostname = "hv01.bench";
    hv.cpus = 256;
    hv.cores = 128;
    hv.memory = 2048 * GiB;
    if (sdc_batch_set_hv(b, &hv) != SDC_OK)
        goto fail;
    for (int i = 0; i < vms; i++) {
        struct sdc_vm_info vm = {0};
        snprintf(uuid, sizeof(uuid), "6b1c%04x-0d5e-4a8f-9c1d-%012d", i, i);
        snprintf(name, sizeof(name), "bench-vm-%04d", i);
        vm.uuid = uuid;
        vm.name = name;
        vm.host = "hv01";
        vm.owner = "dept-bench";
        vm.state = i % 10 == 9 ? SDC_VM_SHUTOFF : SDC_VM_RUNNING;
        vm.vcpus = 1 + i % 8;
        vm.max_vcpus = 8;
        vm.memory = (uint64_t)(1 + i % 16) * GiB;
        vm.max_memory = 16 * GiB;
        if (sdc_batch_add_vm(b, &vm) != SDC_OK)
            goto fail;
        for (int d = 0; d < 2; d++) {
            struct sdc_disk_info disk = {0};
            snprintf(path, sizeof(path),
                     "/var/lib/libvirt/images/bench-vm-%04d-%d.qcow2", i, d);
            disk.vm_uuid = uuid;
            disk.target = d ? "vdb" : "vda";
            disk.source = path;
            disk.capacity = (uint64_t)(20 + 80 * d) * GiB;
            disk.allocation = (uint64_t)(5 + d) * GiB;
            if (sdc_batch_add_disk(b, &disk) != SDC_OK)
                goto fail;
        }
        for (int n = 0; n < 2; n++) {
            struct sdc_nic_info nic = {0};
            snprintf(mac, sizeof(mac), "52:54:00:%02x:%02x:%02x", n,
                     (i >> 8) & 0xff, i & 0xff);
            nic.vm_uuid = uuid;
            nic.mac = mac;
            nic.target = "vnet0";
            nic.network = n ? "br-storage" : "default";
            if (sdc_batch_add_nic(b, &nic) != SDC_OK)
                goto fail;
        }
    }
    for (int p = 0; p < 2; p++) {
        struct sdc_pool_info pool = {0};
        pool.key = p ? "hv01.data" : "hv01.default";
        pool.name = p ? "data" : "default";
        pool.host = "hv01";
        pool.type = "dir";
        pool.active = true;
        pool.capacity = 100000 * GiB;
        pool.allocation = 30000 * GiB;
        pool.available = 70000 * GiB;
        if (sdc_batch_add_pool(b, &pool) != SDC_OK)
            goto fail;
    }
    for (int v = 0; volumes && v < 2 * vms + 3; v++) {
        struct sdc_volume_info vol = {0};
        snprintf(name, sizeof(name), "vol-%05d.qcow2", v);
        snprintf(path, sizeof(path), "/var/lib/libvirt/images/%s", name);
        vol.pool_key = v % 2 ? "hv01.data" : "hv01.default";
        vol.name = name;
        vol.path = path;
        vol.capacity = 20 * GiB;
        vol.allocation = 5 * GiB;
        if (sdc_batch_add_volume(b, &vol) != SDC_OK)
            goto fail;
    }
    return b;
fail:
    sdc_batch_free(b);
    return NULL;
}

/* SNMP device @d's batch of cycle @c (see the head comment). */
static struct sdc_batch *make_snmp_batch(int d, int c, time_t t)
{
    static const char *const st_names[4] = {"/", "/var", "/srv",
                                            "Physical memory"};
    char dev[32], name[32], alias[64];
    struct sdc_batch *b;
    struct sdc_snmp_device_info info = {0};
    bool ok;

    snprintf(dev, sizeof(dev), "sw%03d", d);
    b = sdc_batch_new(dev, t);
    if (!b)
        return NULL;
    b->ok = true;
    b->kind = "snmp";
    info.name = dev;
    info.address = "udp:127.0.0.1:1161";
    info.role = "switch";
    info.sys_descr = "Bench switch OS 4.2, 48 x 1GbE";
    info.sys_name = dev;
    info.uptime = 3.6e6 + 10.0 * c;
    info.interfaces_complete = true;
    info.storages_complete = true;
    ok = sdc_batch_set_snmp_device(b, &info) == SDC_OK;
    for (int i = 0; ok && i < 48; i++) {
        struct sdc_interface_info f = {0};
        snprintf(name, sizeof(name), "ge-0/0/%d", i);
        snprintf(alias, sizeof(alias), "port %d to rack %d", i, i / 8);
        f.device = dev;
        f.name = name;
        f.alias = alias;
        f.descr = name;
        f.if_index = 1000 + i;
        f.speed = i >= 46 ? 10000000000ULL : 1000000000ULL;
        f.uplink = i >= 46;
        f.oper_status = i % 5 == 4 ? 2 : 1;
        ok = sdc_batch_add_interface(b, &f) == SDC_OK;
    }
    for (int g = 0; ok && g < 4; g++) {
        struct sdc_storage_info st = {0};
        st.device = dev;
        st.descr = (char *)st_names[g];
        st.has_size = st.has_used = true;
        st.size = (uint64_t)(g + 1) * 16 * GiB;
        st.used = (uint64_t)(g + 1) * GiB + (g == 3 ? 4096u * (unsigned)c : 0);
        ok = sdc_batch_add_storage(b, &st) == SDC_OK;
    }
    if (!ok) {
        sdc_batch_free(b);
        return NULL;
    }
    return b;
}

/* Free @n batches of @b and @b. */
static void free_batches(struct sdc_batch **b, int n)
{
    for (int i = 0; i < n; i++)
        sdc_batch_free(b[i]);
    free(b);
}

/* The batches of cycle @c: the hypervisor's (when @vms > 0), then @devs
 * SNMP devices'; *@n their count.  NULL when out of memory. */
static struct sdc_batch **make_cycle(int vms, int devs, int c, time_t t, int *n)
{
    struct sdc_batch **b = calloc((size_t)devs + 1, sizeof(*b));

    *n = 0;
    if (!b)
        return NULL;
    if (vms > 0 && !(b[(*n)++] = make_batch(vms, c == 0, t)))
        goto fail;
    for (int d = 0; d < devs; d++)
        if (!(b[(*n)++] = make_snmp_batch(d, c, t)))
            goto fail;
    return b;
fail:
    free_batches(b, *n);
    return NULL;
}

int main(int argc, char **argv)
{
    struct inv *db = NULL;
    struct sdc_error err = {0};
    int cycles, vms, devs;
    time_t t0 = 1795000000;
    double *rec_cpu, *snap_cpu, *poll_cpu, *rec_wall, *poll_wall, *wr;
    int ns = 0;
    struct inv_stats st1 = {0}, st2;

    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: inventory-bench DB CYCLES [VMS [DEVICES]]\n");
        return 2;
    }
    cycles = atoi(argv[2]);
    vms = argc > 3 ? atoi(argv[3]) : 1000;
    devs = argc > 4 ? atoi(argv[4]) : 0;
    if (cycles < 2 || vms < 0 || devs < 0 || vms + devs < 1) {
        fprintf(stderr, "inventory-bench: CYCLES >= 2, VMS and DEVICES >= 0, "
                        "not both 0\n");
        return 2;
    }
    rec_cpu = calloc((size_t)cycles, sizeof(double));
    snap_cpu = calloc((size_t)cycles, sizeof(double));
    poll_cpu = calloc((size_t)cycles, sizeof(double));
    rec_wall = calloc((size_t)cycles, sizeof(double));
    poll_wall = calloc((size_t)cycles, sizeof(double));
    wr = calloc((size_t)cycles, sizeof(double));
    if (!rec_cpu || !snap_cpu || !poll_cpu || !rec_wall || !poll_wall || !wr)
        return 1;
    if (inv_open(argv[1], &db, &err) != SDC_OK) {
        fprintf(stderr, "inventory-bench: %s\n", err.msg);
        return 1;
    }
    for (int c = 0; c < cycles; c++) {
        time_t t = t0 + 10 * c;
        int nb;
        struct sdc_batch **bv = make_cycle(vms, devs, c, t, &nb);
        double c0, cs, c1, c2, w0, w1, w2;
        size_t nv = 0, nd = 0, nn = 0, nvol = 0, nif = 0, nst = 0;
        long long io0, io1;

        if (!bv) {
            fprintf(stderr, "inventory-bench: out of memory\n");
            return 1;
        }
        io0 = wchar();
        w0 = bench_now(CLOCK_MONOTONIC);
        c0 = bench_now(CLOCK_THREAD_CPUTIME_ID);
        if (inv_record_batches(db, bv, (size_t)nb, t, &err) != SDC_OK ||
            (cs = bench_now(CLOCK_THREAD_CPUTIME_ID),
             inv_snapshot_daily(db, t, &err) != SDC_OK)) {
            fprintf(stderr, "inventory-bench: %s\n", err.msg);
            return 1;
        }
        w1 = bench_now(CLOCK_MONOTONIC);
        c1 = bench_now(CLOCK_THREAD_CPUTIME_ID);
        if (inv_record_poll(db, bv, (size_t)nb, t, &err) != SDC_OK) {
            fprintf(stderr, "inventory-bench: %s\n", err.msg);
            return 1;
        }
        w2 = bench_now(CLOCK_MONOTONIC);
        c2 = bench_now(CLOCK_THREAD_CPUTIME_ID);
        io1 = wchar();
        for (int i = 0; i < nb; i++) {
            nv += bv[i]->vms.len;
            nd += bv[i]->disks.len;
            nn += bv[i]->nics.len;
            nvol += bv[i]->volumes.len;
            nif += bv[i]->interfaces.len;
            nst += bv[i]->storages.len;
        }
        printf("cycle %d: %zu VMs %zu disks %zu NICs %zu volumes %d devices "
               "%zu interfaces %zu storages: record %.2f ms CPU (%.2f wall; "
               "snapshot %.2f ms CPU), poll status %.3f ms CPU (%.3f wall), "
               "%lld bytes written\n",
               c + 1, nv, nd, nn, nvol, devs, nif, nst, (c1 - c0) * 1e3,
               (w1 - w0) * 1e3, (c1 - cs) * 1e3, (c2 - c1) * 1e3,
               (w2 - w1) * 1e3, io1 - io0);
        if (c > 0) {
            rec_cpu[ns] = (c1 - c0) * 1e3;
            snap_cpu[ns] = (c1 - cs) * 1e3;
            rec_wall[ns] = (w1 - w0) * 1e3;
            poll_cpu[ns] = (c2 - c1) * 1e3;
            poll_wall[ns] = (w2 - w1) * 1e3;
            wr[ns] = (double)(io1 - io0);
            ns++;
        }
        free_batches(bv, nb);
        if (c == 0)
            inv_get_stats(db, &st1);
    }
    /* the row cache's counters (a build without it counts fewer tables) */
    inv_get_stats(db, &st2);
    printf("rows per steady cycle (inv_get_stats): %.1f written, %.1f "
           "unchanged\n",
           (double)(st2.rows_written - st1.rows_written) / (cycles - 1),
           (double)(st2.rows_unchanged - st1.rows_unchanged) / (cycles - 1));
    printf("steady (median of %d cycles): record %.2f ms CPU (%.2f wall; "
           "snapshot %.2f ms CPU), poll status %.3f ms CPU (%.3f wall), %.0f "
           "bytes written\n",
           ns, bench_median(rec_cpu, ns), bench_median(rec_wall, ns),
           bench_median(snap_cpu, ns), bench_median(poll_cpu, ns),
           bench_median(poll_wall, ns), bench_median(wr, ns));
    inv_close(db);
    free(rec_cpu);
    free(snap_cpu);
    free(poll_cpu);
    free(rec_wall);
    free(poll_wall);
    free(wr);
    return 0;
}
