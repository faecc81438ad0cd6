/* test_schema.c - archive table, name sanitising and path building. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "sdc/sample.h"
#include "sdc/schema.h"

static void check_sanitized(const char *in, const char *want)
{
    char out[SDC_NAME_MAX];
    sdc_name_sanitize(in, out, sizeof(out));
    assert_string_equal(out, want);
}

static void test_sanitize_basic(void **state)
{
    (void)state;
    check_sanitized("hv01", "hv01");
    check_sanitized("web-01.example_x", "web-01.example_x");
    check_sanitized("../x", "_.._x");
    check_sanitized("..", "_..");
    check_sanitized(".", "_.");
    check_sanitized("", "_");
    check_sanitized("a b/c", "a_b_c");
    check_sanitized("<script>", "_script_");
    /* UTF-8 "é" is two bytes, each replaced */
    check_sanitized("caf\xc3\xa9", "caf__");
    check_sanitized(".hidden", "_.hidden");
}

static void test_sanitize_long_names_stay_distinct(void **state)
{
    char a[400], b[400], oa[SDC_NAME_MAX], ob[SDC_NAME_MAX];
    (void)state;
    memset(a, 'x', sizeof(a) - 1);
    a[sizeof(a) - 1] = '\0';
    memcpy(b, a, sizeof(a));
    b[390] = 'y';
    size_t la = sdc_name_sanitize(a, oa, sizeof(oa));
    size_t lb = sdc_name_sanitize(b, ob, sizeof(ob));
    assert_int_equal(la, SDC_NAME_MAX - 1);
    assert_int_equal(lb, SDC_NAME_MAX - 1);
    assert_string_not_equal(oa, ob);
    for (size_t i = 0; i < la; i++)
        assert_non_null(strchr(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-",
            oa[i]));
}

static void test_relpath(void **state)
{
    char p[512];
    (void)state;
    assert_true(sdc_archive_relpath(SDC_AR_HV_CPU, "hv01", NULL, p, sizeof(p)) >
                0);
    assert_string_equal(p, "rrd/hv/hv01/cpu.rrd");
    assert_true(sdc_archive_relpath(SDC_AR_VM_DISK, "0b5e-uuid", "vda", p,
                                    sizeof(p)) > 0);
    assert_string_equal(p, "rrd/vm/0b5e-uuid/disk-vda.rrd");
    assert_true(sdc_archive_relpath(SDC_AR_VM_NET, "u", "52-54-00-aa-bb-cc", p,
                                    sizeof(p)) > 0);
    assert_string_equal(p, "rrd/vm/u/net-52-54-00-aa-bb-cc.rrd");
    assert_true(sdc_archive_relpath(SDC_AR_VM_DISK, "../../etc", "../passwd", p,
                                    sizeof(p)) > 0);
    assert_null(strstr(p, "/../"));
    assert_string_equal(p, "rrd/vm/_.._.._etc/disk-.._passwd.rrd");
    assert_true(sdc_archive_relpath(SDC_AR_SNMP_CUSTOM, "san1", "pool0-1.2", p,
                                    sizeof(p)) > 0);
    assert_string_equal(p, "rrd/snmp/san1/custom-pool0-1.2.rrd");
    /* per-instance types need an instance */
    assert_int_equal(
        sdc_archive_relpath(SDC_AR_VM_DISK, "u", NULL, p, sizeof(p)), 0);
    /* too small a buffer */
    assert_int_equal(sdc_archive_relpath(SDC_AR_HV_CPU, "hv01", NULL, p, 8), 0);
}

static void test_schema_table(void **state)
{
    (void)state;
    /* The contract of DESIGN.md section 4: names and order of data sources. */
    static const struct {
        enum sdc_archive t;
        const char *kind, *file, *ds;
    } want[] = {
        {SDC_AR_HV_CPU, "hv", "cpu", "user system idle iowait cpus"},
        {SDC_AR_HV_MEM, "hv", "mem", "total free cached buffers"},
        {SDC_AR_CLUSTER_CPU, "cluster", "cpu", "used capacity vcpus"},
        {SDC_AR_CLUSTER_MEM, "cluster", "mem", "used capacity allocated"},
        {SDC_AR_POOL_USAGE, "pool", "usage", "capacity allocation available"},
        {SDC_AR_VM_CPU, "vm", "cpu", "time delay vcpus"},
        {SDC_AR_VM_MEM, "vm", "mem", "current maximum rss unused usable"},
        {SDC_AR_VM_DISK, "vm", "disk-",
         "rd_bytes wr_bytes rd_reqs wr_reqs capacity allocation"},
        {SDC_AR_VM_NET, "vm", "net-",
         "rx_bytes tx_bytes rx_pkts tx_pkts rx_drop tx_drop rx_errs tx_errs"},
        {SDC_AR_SNMP_IF, "snmp", "if-",
         "in_octets out_octets in_errors out_errors in_discards out_discards "
         "speed"},
        {SDC_AR_SNMP_STORAGE, "snmp", "storage-", "size used"},
        {SDC_AR_SNMP_CPU, "snmp", "cpu", "load"},
        {SDC_AR_SNMP_MEM, "snmp", "mem", "total avail"},
        {SDC_AR_SNMP_CUSTOM, "snmp", "custom-", "value"},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const struct sdc_archive_def *d = sdc_archive_def_get(want[i].t);
        char joined[256] = "";
        assert_non_null(d);
        assert_string_equal(d->kind, want[i].kind);
        assert_string_equal(d->file, want[i].file);
        for (size_t k = 0; k < d->n_ds; k++) {
            if (k)
                strcat(joined, " ");
            strcat(joined, d->ds[k].name);
        }
        assert_string_equal(joined, want[i].ds);
    }
    assert_int_equal(sdc_archive_ds_index(SDC_AR_VM_MEM, "usable"), 4);
    assert_int_equal(sdc_archive_ds_index(SDC_AR_VM_MEM, "nope"), -1);
    assert_null(sdc_archive_def_get(SDC_AR_COUNT));
}

static void test_batch(void **state)
{
    (void)state;
    struct sdc_batch *b = sdc_batch_new("hv01", 1000);
    assert_non_null(b);
    struct sdc_sample *s =
        sdc_batch_add_sample(b, SDC_AR_VM_CPU, "uuid-1", NULL, 1000);
    assert_non_null(s);
    assert_true(
        sdc_sample_set_counter(s, "time", UINT64_C(18446744073709551000)));
    assert_false(sdc_sample_set_gauge(s, "bogus", 1.0));
    assert_true(s->v[0].known);
    assert_false(s->v[1].known);
    assert_int_equal(s->v[0].counter, UINT64_C(18446744073709551000));
    struct sdc_vm_info vm = {.uuid = "uuid-1",
                             .name = "web",
                             .host = "hv01",
                             .state = SDC_VM_RUNNING,
                             .vcpus = 2};
    for (int i = 0; i < 100; i++)
        assert_int_equal(sdc_batch_add_vm(b, &vm), SDC_OK);
    assert_int_equal(b->vms.len, 100);
    assert_ptr_not_equal(b->vms.items[0].name, vm.name);
    assert_string_equal(b->vms.items[99].name, "web");
    sdc_batch_free(b);
    sdc_batch_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sanitize_basic),
        cmocka_unit_test(test_sanitize_long_names_stay_distinct),
        cmocka_unit_test(test_relpath),
        cmocka_unit_test(test_schema_table),
        cmocka_unit_test(test_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
