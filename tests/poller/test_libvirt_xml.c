/* test_libvirt_xml.c - domain and pool XML: devices, identity, pool keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "libvirt_priv.h"

static const char dom_xml[] =
    "<domain type='kvm'><name>web01</name><uuid>u</uuid>"
    "<title> Web front end </title>"
    "<metadata><sdc:info xmlns:sdc='https://sdcmon.example/ns'>"
    "<sdc:owner>Revenue Dept</sdc:owner></sdc:info></metadata>"
    "<devices>"
    "<disk type='file' device='disk'><source "
    "file='/var/lib/libvirt/images/web01.qcow2'/>"
    "<backingStore type='file'><source file='/base/a.qcow2'/>"
    "<backingStore type='file'><source "
    "file='/base/b.raw'/><backingStore/></backingStore>"
    "</backingStore><target dev='vda' bus='virtio'/></disk>"
    "<disk type='network' device='disk'><source protocol='rbd' "
    "name='pool/img1'/>"
    "<target dev='vdb' bus='virtio'/></disk>"
    "<disk type='file' device='cdrom'><source file='/iso/x.iso'/><target "
    "dev='sda'/></disk>"
    "<disk type='volume' device='disk'><source pool='san1-vms' "
    "volume='web01-data'/>"
    "<target dev='vdc'/></disk>"
    "<interface type='network'><mac address='52:54:00:AB:cd:01'/>"
    "<source network='default'/><target dev='vnet0'/></interface>"
    "<interface type='bridge'><mac address='52:54:00:ab:cd:02'/>"
    "<source bridge='br0'/></interface>"
    "<interface type='user'></interface>"
    "</devices></domain>";

static void test_domain(void **state)
{
    struct lvx_domain d;
    struct sdc_error err;
    (void)state;
    assert_int_equal(lvx_parse_domain(dom_xml, &d, &err), SDC_OK);
    assert_string_equal(d.title, "Web front end");
    assert_string_equal(d.owner, "Revenue Dept");
    assert_int_equal(d.n_disks, 3); /* cdrom left out */
    assert_string_equal(d.disks[0].target, "vda");
    assert_string_equal(d.disks[0].source,
                        "/var/lib/libvirt/images/web01.qcow2");
    assert_string_equal(d.disks[0].backing, "/base/a.qcow2 <- /base/b.raw");
    assert_string_equal(d.disks[1].source, "rbd:pool/img1");
    assert_null(d.disks[1].backing);
    assert_string_equal(d.disks[2].source, "san1-vms/web01-data");
    assert_int_equal(d.n_nics, 2); /* the NIC without a MAC is left out */
    assert_string_equal(d.nics[0].mac, "52:54:00:ab:cd:01");
    assert_string_equal(d.nics[0].target, "vnet0");
    assert_string_equal(d.nics[0].network, "default");
    assert_null(d.nics[1].target);
    assert_string_equal(d.nics[1].network, "br0");
    assert_ptr_equal(lvx_nic_by_target(&d, "vnet0"), &d.nics[0]);
    assert_null(lvx_nic_by_target(&d, "vnet9"));
    lvx_domain_clear(&d);
}

static void test_domain_bad(void **state)
{
    struct lvx_domain d;
    struct sdc_error err;
    (void)state;
    assert_int_equal(lvx_parse_domain("<domain><devices>", &d, &err),
                     SDC_ERR_INVALID);
    assert_non_null(strstr(err.msg, "cannot parse XML"));
    assert_int_equal(lvx_parse_domain("<pool/>", &d, &err), SDC_ERR_INVALID);
    assert_int_equal(lvx_parse_domain(NULL, &d, &err), SDC_ERR_INVALID);
    /* an external entity is never fetched or expanded */
    assert_int_equal(
        lvx_parse_domain("<?xml version='1.0'?><!DOCTYPE d [<!ENTITY x SYSTEM "
                         "'file:///etc/passwd'>]><domain><title>&x;</title>"
                         "</domain>",
                         &d, &err),
        SDC_OK);
    assert_true(d.title == NULL || strstr(d.title, "root:") == NULL);
    lvx_domain_clear(&d);
    /* empty domain */
    assert_int_equal(lvx_parse_domain("<domain/>", &d, &err), SDC_OK);
    assert_int_equal(d.n_disks, 0);
    assert_int_equal(d.n_nics, 0);
    lvx_domain_clear(&d);
}

static void check_pool(const char *xml, const char *host, const char *name,
                       const char *key, bool shared)
{
    struct lvx_pool p;
    struct sdc_error err;
    assert_int_equal(lvx_parse_pool(xml, host, name, &p, &err), SDC_OK);
    assert_string_equal(p.key, key);
    assert_int_equal(p.shared, shared);
    lvx_pool_clear(&p);
}

static void test_pool_keys(void **state)
{
    (void)state;
    const char *nfs =
        "<pool type='netfs'><name>san1-vms</name><source><host "
        "name='10.1.0.5'/>"
        "<dir path='/exports/vms'/><format type='nfs'/></source></pool>";
    /* the same NFS export seen by two hosts under two names: one key */
    check_pool(nfs, "hv01", "san1-vms", "nfs.10.1.0.5.exports.vms", true);
    check_pool(nfs, "hv02", "other-name", "nfs.10.1.0.5.exports.vms", true);
    check_pool("<pool type='dir'><name>default</name><target><path>/var/lib/"
               "libvirt/images</path></target></pool>",
               "hv01", "default", "hv01.default", false);
    check_pool("<pool type='iscsi'><source><host name='san2'/><device "
               "path='iqn.2004-04.com:lun1'/></source></pool>",
               "hv01", "iscsi1", "iscsi.san2.iqn.2004-04.com.lun1", true);
    check_pool("<pool type='rbd'><source><host name='ceph1' port='6789'/>"
               "<name>rbdpool</name></source></pool>",
               "hv03", "ceph", "rbd.ceph1.rbdpool", true);
    check_pool("<pool type='logical'><source><name>vg0</name></source></pool>",
               "hv02", "vg0", "hv02.vg0", false);
    /* a netfs pool with no source falls back to a local key */
    check_pool("<pool type='netfs'><source/></pool>", "hv02", "p", "hv02.p",
               false);
}

static void test_mac_id(void **state)
{
    char out[32];
    (void)state;
    lv_mac_to_id("52:54:00:AB:cd:01", out, sizeof(out));
    assert_string_equal(out, "52-54-00-ab-cd-01");
    lv_mac_to_id("52:54:00:AB:cd:01", out, 6);
    assert_string_equal(out, "52-54");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_domain),
        cmocka_unit_test(test_domain_bad),
        cmocka_unit_test(test_pool_keys),
        cmocka_unit_test(test_mac_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
