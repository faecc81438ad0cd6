/* test_cluster.c - migration de-duplication and cluster sums. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "cluster.h"

static struct sdc_batch *host_batch(const char *name, int cpus, double busy,
                                    uint64_t mem, double mem_used)
{
    struct sdc_batch *b = sdc_batch_new(name, 1000);
    struct sdc_hv_info hv = {0};
    hv.name = (char *)name;
    hv.cpus = cpus;
    hv.memory = mem;
    hv.cpu_busy = busy;
    hv.mem_used = mem_used;
    b->ok = true;
    assert_int_equal(sdc_batch_set_hv(b, &hv), SDC_OK);
    return b;
}

static void add_vm(struct sdc_batch *b, const char *uuid, enum sdc_vm_state st,
                   int vcpus, uint64_t mem)
{
    struct sdc_vm_info vm = {0};
    struct sdc_disk_info d = {0};
    vm.uuid = (char *)uuid;
    vm.name = (char *)uuid;
    vm.host = b->source;
    vm.state = st;
    vm.vcpus = vcpus;
    vm.memory = mem;
    assert_int_equal(sdc_batch_add_vm(b, &vm), SDC_OK);
    d.vm_uuid = (char *)uuid;
    d.target = "vda";
    assert_int_equal(sdc_batch_add_disk(b, &d), SDC_OK);
    assert_non_null(sdc_batch_add_sample(b, SDC_AR_VM_CPU, uuid, NULL, 1000));
    assert_non_null(sdc_batch_add_sample(b, SDC_AR_VM_DISK, uuid, "vda", 1000));
}

static size_t count_samples(const struct sdc_batch *b, const char *id)
{
    size_t n = 0;
    for (size_t i = 0; i < b->samples.len; i++)
        if (strcmp(b->samples.items[i].id, id) == 0)
            n++;
    return n;
}

static void test_dedup_keeps_running_copy(void **state)
{
    (void)state;
    struct sdc_batch *a = host_batch("a", 8, 1.0, 1 << 30, 0);
    struct sdc_batch *b = host_batch("b", 8, 1.0, 1 << 30, 0);
    struct sdc_batch *batches[2] = {a, b};
    add_vm(a, "mig", SDC_VM_PAUSED, 2, 100); /* source side, paused */
    add_vm(a, "only-a", SDC_VM_RUNNING, 1, 10);
    add_vm(b, "mig", SDC_VM_RUNNING, 2, 100); /* destination, running */
    assert_int_equal(cluster_dedup_vms(batches, 2), 1);
    assert_int_equal(a->vms.len, 1);
    assert_string_equal(a->vms.items[0].uuid, "only-a");
    assert_int_equal(count_samples(a, "mig"), 0);
    assert_int_equal(a->disks.len, 1);
    assert_int_equal(b->vms.len, 1);
    assert_int_equal(count_samples(b, "mig"), 2);
    /* nothing left to remove */
    assert_int_equal(cluster_dedup_vms(batches, 2), 0);
    sdc_batch_free(a);
    sdc_batch_free(b);
}

static void test_dedup_both_off_keeps_first(void **state)
{
    (void)state;
    struct sdc_batch *a = host_batch("a", 8, 1.0, 1 << 30, 0);
    struct sdc_batch *b = host_batch("b", 8, 1.0, 1 << 30, 0);
    struct sdc_batch *batches[2] = {a, b};
    add_vm(a, "x", SDC_VM_SHUTOFF, 2, 100);
    add_vm(b, "x", SDC_VM_SHUTOFF, 2, 100);
    assert_int_equal(cluster_dedup_vms(batches, 2), 1);
    assert_int_equal(a->vms.len, 1);
    assert_int_equal(b->vms.len, 0);
    sdc_batch_free(a);
    sdc_batch_free(b);
}

static double val(const struct sdc_batch *out, enum sdc_archive t,
                  const char *id, const char *ds)
{
    for (size_t i = 0; i < out->samples.len; i++) {
        const struct sdc_sample *s = &out->samples.items[i];
        if (s->type == t && strcmp(s->id, id) == 0) {
            int k = sdc_archive_ds_index(t, ds);
            return s->v[k].known ? s->v[k].gauge : NAN;
        }
    }
    fail_msg("no sample for %s", id);
    return NAN;
}

static void test_aggregate(void **state)
{
    (void)state;
    struct sdc_hypervisor_cfg hvs[3] = {
        {.name = "a", .cluster = "prod"},
        {.name = "b", .cluster = "prod"},
        {.name = "c", .cluster = "dev"},
    };
    struct sdc_config cfg = {0};
    struct sdc_batch *a = host_batch("a", 16, 3.5, 64ull << 30, 10e9);
    struct sdc_batch *b = host_batch("b", 32, 4.5, 128ull << 30, 20e9);
    struct sdc_batch *c = sdc_batch_new("c", 1000); /* did not answer */
    struct sdc_batch *batches[3] = {a, b, c};
    struct sdc_batch *out = sdc_batch_new("clusters", 1000);
    struct sdc_error err;
    cfg.hypervisors = hvs;
    cfg.n_hypervisors = 3;
    add_vm(a, "v1", SDC_VM_RUNNING, 4, 8ull << 30);
    add_vm(a, "v2", SDC_VM_SHUTOFF, 8, 16ull << 30); /* not allocated */
    add_vm(b, "v3", SDC_VM_PAUSED, 2, 4ull << 30);
    assert_int_equal(cluster_aggregate(&cfg, batches, 3, 1005, out, &err),
                     SDC_OK);
    assert_int_equal(out->samples.len, 4);
    assert_float_equal(val(out, SDC_AR_CLUSTER_CPU, "prod", "used"), 8.0, 1e-9);
    assert_float_equal(val(out, SDC_AR_CLUSTER_CPU, "prod", "capacity"), 48.0,
                       1e-9);
    assert_float_equal(val(out, SDC_AR_CLUSTER_CPU, "prod", "vcpus"), 6.0,
                       1e-9);
    assert_float_equal(val(out, SDC_AR_CLUSTER_MEM, "prod", "used"), 30e9, 1);
    assert_float_equal(val(out, SDC_AR_CLUSTER_MEM, "prod", "capacity"),
                       (double)(192ull << 30), 1);
    assert_float_equal(val(out, SDC_AR_CLUSTER_MEM, "prod", "allocated"),
                       (double)(12ull << 30), 1);
    /* dev's only host failed: UNKNOWN, never zero */
    assert_true(isnan(val(out, SDC_AR_CLUSTER_CPU, "dev", "used")));
    assert_true(isnan(val(out, SDC_AR_CLUSTER_CPU, "dev", "capacity")));
    assert_true(isnan(val(out, SDC_AR_CLUSTER_MEM, "dev", "capacity")));
    sdc_batch_free(out);

    /* one host of prod without a CPU rate (first cycle): used unknown,
     * capacity still known */
    a->hv.cpu_busy = NAN;
    out = sdc_batch_new("clusters", 1000);
    assert_int_equal(cluster_aggregate(&cfg, batches, 3, 1005, out, &err),
                     SDC_OK);
    assert_true(isnan(val(out, SDC_AR_CLUSTER_CPU, "prod", "used")));
    assert_float_equal(val(out, SDC_AR_CLUSTER_CPU, "prod", "capacity"), 48.0,
                       1e-9);
    sdc_batch_free(out);

    /* a member missing from the cycle entirely: the whole row unknown */
    out = sdc_batch_new("clusters", 1000);
    assert_int_equal(cluster_aggregate(&cfg, batches, 1, 1005, out, &err),
                     SDC_OK);
    assert_true(isnan(val(out, SDC_AR_CLUSTER_CPU, "prod", "capacity")));
    sdc_batch_free(out);
    sdc_batch_free(a);
    sdc_batch_free(b);
    sdc_batch_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dedup_keeps_running_copy),
        cmocka_unit_test(test_dedup_both_off_keeps_first),
        cmocka_unit_test(test_aggregate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
