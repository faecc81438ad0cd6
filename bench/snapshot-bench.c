/*
 * snapshot-bench.c - what snap_build() (agent/snapshot.c) costs the poll
 * thread after each cycle, at a given number of VMs.
 *
 * Usage: snapshot-bench VMS VMS_PER_HOST RUNS
 *
 * The input is shaped like sdcmond's: VMS / VMS_PER_HOST libvirt batches
 * (hosts in clusters of 16, every one in the config), each VM with a
 * name, owner and title, CPU and memory samples, 2 disks and 2 NICs
 * (one sample each); per host 2 pools of its own and the 4 shared pools
 * every host reports; 20 SNMP devices of 48 interfaces with their rate
 * samples; a clusters batch.  A first snapshot is built without a
 * previous one; each timed build has the last one as @prev (rates), as in
 * the agent.  A run times as many builds as fit in about 0.3 s and prints
 * the mean wall and thread-CPU milliseconds per build; then the medians of
 * the runs.  It prints a checksum of the snapshot so that two versions of
 * snapshot.c can be compared on the same input.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "sdc/config.h"
#include "sdc/sample.h"
#include "snapshot.h"

#define HOSTS_PER_CLUSTER 16
#define DEVICES 20
#define IFACES 48

static void die(const char *what)
{
    fprintf(stderr, "snapshot-bench: %s\n", what);
    exit(1);
}

/* One hypervisor's batch at cycle @t: @n VMs from number @first. */
static struct sdc_batch *host_batch(const char *host, int first, int n,
                                    time_t t)
{
    struct sdc_batch *b = sdc_batch_new(host, t);
    struct sdc_hv_info hv = {0};
    if (!b)
        die("out of memory");
    b->kind = "libvirt";
    b->ok = true;
    hv.cpus = 64;
    hv.memory = 512ULL << 30;
    hv.cpu_busy = 20;
    hv.mem_used = (double)(300ULL << 30);
    if (sdc_batch_set_hv(b, &hv) != SDC_OK)
        die("out of memory");
    for (int i = first; i < first + n; i++) {
        char uuid[64], name[64], owner[32], title[64], inst[32];
        struct sdc_vm_info vm = {0};
        struct sdc_sample *sm;
        snprintf(uuid, sizeof(uuid), "%08x-1111-2222-3333-%012d",
                 (unsigned)(i * 2654435761u), i);
        snprintf(name, sizeof(name), "vm-%06d", i);
        snprintf(owner, sizeof(owner), "dept-%d", i % 37);
        snprintf(title, sizeof(title), "Service %d", i % 500);
        vm.uuid = uuid;
        vm.name = name;
        vm.host = (char *)host;
        vm.owner = owner;
        vm.title = title;
        vm.state = i % 10 ? SDC_VM_RUNNING : SDC_VM_SHUTOFF;
        vm.vcpus = 1 + i % 8;
        vm.max_vcpus = vm.vcpus;
        vm.memory = (1ULL + (uint64_t)(i % 16)) << 30;
        vm.max_memory = vm.memory;
        if (sdc_batch_add_vm(b, &vm) != SDC_OK)
            die("out of memory");
        sm = sdc_batch_add_sample(b, SDC_AR_VM_CPU, uuid, NULL, t);
        if (!sm ||
            !sdc_sample_set_counter(
                sm, "time", (uint64_t)t * 1000000000ULL * 2 + (uint64_t)i))
            die("sample");
        sm = sdc_batch_add_sample(b, SDC_AR_VM_MEM, uuid, NULL, t);
        if (!sm || !sdc_sample_set_gauge(sm, "current", (double)vm.memory) ||
            !sdc_sample_set_gauge(sm, "usable", (double)vm.memory / 3))
            die("sample");
        for (int d = 0; d < 2; d++) {
            snprintf(inst, sizeof(inst), "vd%c", 'a' + d);
            sm = sdc_batch_add_sample(b, SDC_AR_VM_DISK, uuid, inst, t);
            if (!sm || !sdc_sample_set_gauge(sm, "capacity", 40e9) ||
                !sdc_sample_set_gauge(sm, "allocation", 12e9) ||
                !sdc_sample_set_counter(sm, "rd_bytes", (uint64_t)t * 1000) ||
                !sdc_sample_set_counter(sm, "wr_bytes", (uint64_t)t * 500))
                die("sample");
        }
        for (int k = 0; k < 2; k++) {
            snprintf(inst, sizeof(inst), "52:54:00:%02x:%02x:%02x",
                     (i >> 8) & 0xff, i & 0xff, k);
            sm = sdc_batch_add_sample(b, SDC_AR_VM_NET, uuid, inst, t);
            if (!sm ||
                !sdc_sample_set_counter(sm, "rx_bytes", (uint64_t)t * 300) ||
                !sdc_sample_set_counter(sm, "tx_bytes", (uint64_t)t * 200))
                die("sample");
        }
    }
    for (int p = 0; p < 6; p++) {
        char key[128], pname[32];
        struct sdc_pool_info pi = {0};
        bool shared = p >= 2;
        if (shared) {
            snprintf(key, sizeof(key), "nfs-san%d", p - 2);
            snprintf(pname, sizeof(pname), "san%d", p - 2);
        } else {
            snprintf(key, sizeof(key), "%s.local%d", host, p);
            snprintf(pname, sizeof(pname), "local%d", p);
        }
        pi.key = key;
        pi.name = pname;
        pi.host = (char *)host;
        pi.type = shared ? "netfs" : "dir";
        pi.shared = shared;
        pi.active = true;
        pi.capacity = 10ULL << 40;
        pi.allocation = 4ULL << 40;
        pi.available = 6ULL << 40;
        if (sdc_batch_add_pool(b, &pi) != SDC_OK)
            die("out of memory");
    }
    return b;
}

static struct sdc_batch *device_batch(const char *dev, time_t t)
{
    struct sdc_batch *b = sdc_batch_new(dev, t);
    struct sdc_snmp_device_info di = {0};
    if (!b)
        die("out of memory");
    b->kind = "snmp";
    b->ok = true;
    di.name = (char *)dev;
    di.address = "127.0.0.1:161";
    di.role = "switch";
    di.sys_name = (char *)dev;
    di.uptime = 1e6;
    if (sdc_batch_set_snmp_device(b, &di) != SDC_OK)
        die("out of memory");
    for (int i = 0; i < IFACES; i++) {
        char name[32];
        struct sdc_interface_info ii = {0};
        struct sdc_sample *sm;
        snprintf(name, sizeof(name), "ge-0/0/%d", i);
        ii.device = (char *)dev;
        ii.name = name;
        ii.if_index = i + 1;
        ii.speed = 10000000000ULL;
        ii.uplink = i < 2;
        ii.oper_status = 1;
        if (sdc_batch_add_interface(b, &ii) != SDC_OK)
            die("out of memory");
        sm = sdc_batch_add_sample(b, SDC_AR_SNMP_IF, dev, name, t);
        if (!sm || !sdc_sample_set_gauge(sm, "in_octets", 1e6 + i) ||
            !sdc_sample_set_gauge(sm, "out_octets", 2e6 + i))
            die("sample");
    }
    return b;
}

/* A sum over the snapshot, to compare two versions of snapshot.c. */
static double checksum(const struct snap *s)
{
    double sum = (double)(s->n_vms + s->n_hosts * 3 + s->n_pools * 5 +
                          s->n_clusters * 7 + s->n_ifaces * 11);
    for (size_t i = 0; i < s->n_vms; i++)
        sum += s->vms[i].cpu_used + s->vms[i].mem_used / 1e9 +
               (double)s->vms[i].disk_capacity / 1e9 +
               (double)(s->vms[i].n_disks + s->vms[i].n_nics) +
               (double)strlen(s->vms[i].cluster);
    for (size_t i = 0; i < s->n_pools; i++)
        sum += (double)strlen(s->pools[i].hosts);
    for (size_t i = 0; i < s->n_hosts; i++)
        sum += (double)(s->hosts[i].vms + strlen(s->hosts[i].cluster));
    return sum;
}

int main(int argc, char **argv)
{
    int vms, per_host, runs, n_hosts;
    struct sdc_config cfg = {0};
    struct sdc_batch **batches, *clusters;
    struct snap_input in = {0};
    struct snap *prev = NULL;
    struct sdc_error err = {0};
    double *wall, *cpu;
    time_t t0 = 1700000000;
    size_t n = 0;

    if (argc != 4 || (vms = atoi(argv[1])) <= 0 ||
        (per_host = atoi(argv[2])) <= 0 || (runs = atoi(argv[3])) <= 0) {
        fprintf(stderr, "usage: snapshot-bench VMS VMS_PER_HOST RUNS\n");
        return 2;
    }
    n_hosts = (vms + per_host - 1) / per_host;
    cfg.step = 60;
    cfg.hypervisors = calloc((size_t)n_hosts, sizeof(*cfg.hypervisors));
    batches = calloc((size_t)(n_hosts + DEVICES), sizeof(*batches));
    wall = calloc((size_t)runs, sizeof(*wall));
    cpu = calloc((size_t)runs, sizeof(*cpu));
    if (!cfg.hypervisors || !batches || !wall || !cpu)
        die("out of memory");
    cfg.n_hypervisors = (size_t)n_hosts;
    clusters = sdc_batch_new("clusters", t0);
    for (int h = 0; h < n_hosts; h++) {
        char name[32], cl[32];
        int first = h * per_host;
        snprintf(name, sizeof(name), "hv%04d", h);
        snprintf(cl, sizeof(cl), "cluster%02d", h / HOSTS_PER_CLUSTER);
        cfg.hypervisors[h].name = strdup(name);
        cfg.hypervisors[h].cluster = strdup(cl);
        batches[n++] = host_batch(
            name, first, first + per_host > vms ? vms - first : per_host, t0);
        if (h % HOSTS_PER_CLUSTER == 0) {
            struct sdc_sample *sm = sdc_batch_add_sample(
                clusters, SDC_AR_CLUSTER_CPU, cl, NULL, t0);
            if (!sm || !sdc_sample_set_gauge(sm, "used", 100) ||
                !sdc_sample_set_gauge(sm, "capacity", 1024))
                die("sample");
        }
    }
    for (int d = 0; d < DEVICES; d++) {
        char name[32];
        snprintf(name, sizeof(name), "sw%02d", d);
        batches[n++] = device_batch(name, t0);
    }
    in.cfg = &cfg;
    in.batches = batches;
    in.n = n;
    in.clusters = clusters;
    in.cycle = t0;

    if (snap_build(&in, NULL, &prev, &err) != SDC_OK)
        die(err.msg);
    /* the next cycle's counters, for rates against the first */
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < batches[i]->samples.len; k++) {
            struct sdc_sample *sm = &batches[i]->samples.items[k];
            sm->t += 60;
            for (size_t v = 0; v < SDC_MAX_DS; v++)
                if (sm->v[v].known) /* gauges ignore it */
                    sm->v[v].counter += 60ULL * 1000000000ULL;
        }
    in.cycle = t0 + 60;

    printf("%d VMs on %d hosts (%d per host), %d pools reported, %d SNMP "
           "devices x %d interfaces\n",
           vms, n_hosts, per_host, n_hosts * 6, DEVICES, IFACES);
    for (int r = 0; r < runs; r++) {
        double w0 = bench_now(CLOCK_MONOTONIC),
               c0 = bench_now(CLOCK_THREAD_CPUTIME_ID);
        double w1 = w0;
        int builds = 0;
        while (w1 - w0 < 0.3 || builds < 3) {
            struct snap *s = NULL;
            if (snap_build(&in, prev, &s, &err) != SDC_OK)
                die(err.msg);
            snap_free(s);
            builds++;
            w1 = bench_now(CLOCK_MONOTONIC);
        }
        wall[r] = (w1 - w0) * 1e3 / builds;
        cpu[r] = (bench_now(CLOCK_THREAD_CPUTIME_ID) - c0) * 1e3 / builds;
        printf("run %d: %d builds, %.3f ms wall, %.3f ms CPU per build\n",
               r + 1, builds, wall[r], cpu[r]);
    }
    {
        struct snap *s = NULL;
        if (snap_build(&in, prev, &s, &err) != SDC_OK)
            die(err.msg);
        printf("snapshot: %zu VMs, %zu hosts, %zu clusters, %zu pools, "
               "%zu interfaces; checksum %.6f\n",
               s->n_vms, s->n_hosts, s->n_clusters, s->n_pools, s->n_ifaces,
               checksum(s));
        snap_free(s);
    }
    printf("median of %d: %.3f ms wall, %.3f ms CPU per build\n", runs,
           bench_median(wall, runs), bench_median(cpu, runs));
    snap_free(prev);
    for (size_t i = 0; i < n; i++)
        sdc_batch_free(batches[i]);
    sdc_batch_free(clusters);
    for (int h = 0; h < n_hosts; h++) {
        free(cfg.hypervisors[h].name);
        free(cfg.hypervisors[h].cluster);
    }
    free(cfg.hypervisors);
    free(batches);
    free(wall);
    free(cpu);
    return 0;
}
