/*
 * test_json_util.c - ju_set_new() and ju_append_new() (reporter/json_util.h)
 * store the value when they can and take it in every case: run under the
 * ASan+UBSan build, a leak or a second free of the value fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "json_util.h"

static void test_set_stores(void **state)
{
    (void)state;
    json_t *o = json_object();
    assert_non_null(o);
    assert_true(ju_set_new(o, "a", json_integer(7)));
    assert_true(ju_set_new(o, "b", json_string("x")));
    assert_true(ju_set_new(o, "a", json_integer(9))); /* replaces */
    assert_int_equal(json_object_size(o), 2);
    assert_int_equal(json_integer_value(json_object_get(o, "a")), 9);
    assert_string_equal(json_string_value(json_object_get(o, "b")), "x");
    json_decref(o);
}

static void test_set_failures_take_value(void **state)
{
    (void)state;
    json_t *o = json_object();
    json_t *v = json_string("kept?");
    assert_non_null(o);
    assert_non_null(v);
    /* a held reference shows whether the call dropped exactly one */
    json_incref(v);
    assert_false(ju_set_new(NULL, "a", v));
    assert_int_equal(v->refcount, 1);
    json_incref(v);
    assert_false(ju_set_new(o, "\xff\xfe", v)); /* jansson refuses the key */
    assert_int_equal(v->refcount, 1);
    assert_false(ju_set_new(o, "a", NULL));
    assert_int_equal(json_object_size(o), 0);
    json_decref(v);
    json_decref(o);
}

static void test_append(void **state)
{
    (void)state;
    json_t *a = json_array();
    json_t *v = json_integer(3);
    assert_non_null(a);
    assert_true(ju_append_new(a, json_integer(1)));
    assert_true(ju_append_new(a, json_integer(2)));
    assert_false(ju_append_new(a, NULL));
    json_incref(v);
    assert_false(ju_append_new(NULL, v));
    assert_int_equal(v->refcount, 1);
    {
        json_t *o = json_object(); /* not an array: jansson refuses */
        assert_non_null(o);
        json_incref(v);
        assert_false(ju_append_new(o, v));
        assert_int_equal(v->refcount, 1);
        json_decref(o);
    }
    assert_int_equal(json_array_size(a), 2);
    assert_int_equal(json_integer_value(json_array_get(a, 1)), 2);
    json_decref(v);
    json_decref(a);
}

/* Invalid UTF-8 (an SNMP agent's or a file's bytes) becomes U+FFFD, valid
 * text is kept as it is, NULL is "". */
static void test_string_cleans(void **state)
{
    json_t *j;
    (void)state;
    j = ju_string("ok \xc3\xbc");
    assert_non_null(j);
    assert_string_equal(json_string_value(j), "ok \xc3\xbc");
    json_decref(j);
    j = ju_string("a\xff"
                  "b\xc3");
    assert_non_null(j);
    assert_string_equal(json_string_value(j), "a\xef\xbf\xbd"
                                              "b\xef\xbf\xbd");
    json_decref(j);
    /* overlong '/', a surrogate, past U+10FFFF: jansson refuses them */
    j = ju_string("x\xc0\xaf"
                  "y\xed\xa0\x80"
                  "z\xf4\x90\x80\x80");
    assert_non_null(j);
    assert_string_equal(json_string_value(j),
                        "x\xef\xbf\xbd\xef\xbf\xbd"
                        "y\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                        "z\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    json_decref(j);
    assert_int_equal(ju_utf8_len((const unsigned char *)"\xc3\xa9"), 2);
    assert_int_equal(ju_utf8_len((const unsigned char *)"\xe0\x80\x80"), 0);
    {
        uint32_t cp = 7;
        assert_int_equal(
            ju_utf8_decode((const unsigned char *)"\xe2\x82\xac", &cp), 3);
        assert_int_equal(cp, 0x20ac);
        assert_int_equal(
            ju_utf8_decode((const unsigned char *)"\xf0\x9f\x98\x80", &cp), 4);
        assert_int_equal(cp, 0x1f600);
        /* a surrogate, and a sequence cut by the NUL: refused, cp kept */
        assert_int_equal(
            ju_utf8_decode((const unsigned char *)"\xed\xa0\x80", &cp), 0);
        assert_int_equal(ju_utf8_decode((const unsigned char *)"\xe2\x82", &cp),
                         0);
        assert_int_equal(cp, 0x1f600);
    }
    j = ju_string(NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(j), "");
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_stores),
        cmocka_unit_test(test_set_failures_take_value),
        cmocka_unit_test(test_append),
        cmocka_unit_test(test_string_cleans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
