/*
 * test_escape.c - the bounded buffer, HTML and Markdown escaping, number
 * formatting and the CSV writer (read back with Python's csv module when
 * python3 is there).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "testutil.h"

static void test_buf(void **state)
{
    (void)state;
    struct mst_buf b;
    mst_buf_init(&b, 10);
    assert_int_equal(mst_buf_append(&b, "hello", 5), SDC_OK);
    assert_int_equal(mst_buf_putc(&b, ' '), SDC_OK);
    assert_int_equal(mst_buf_append(&b, "wor", 3), SDC_OK);
    assert_int_equal(mst_buf_append(&b, NULL, 0), SDC_OK);
    assert_string_equal(b.data, "hello wor");
    assert_int_equal(mst_buf_putc(&b, 'l'), SDC_OK);
    /* the cap: 10 bytes, the buffer unchanged after a refusal */
    assert_int_equal(mst_buf_putc(&b, 'd'), SDC_ERR_INVALID);
    assert_int_equal(mst_buf_append(&b, "d", 1), SDC_ERR_INVALID);
    assert_int_equal(mst_buf_append(&b, "x", SIZE_MAX), SDC_ERR_INVALID);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "hello worl");
    size_t len;
    char *s = mst_buf_release(&b, &len);
    assert_int_equal(len, 10);
    assert_string_equal(s, "hello worl");
    free(s);
    assert_null(b.data);
    /* an empty buffer releases "" */
    s = mst_buf_release(&b, &len);
    assert_non_null(s);
    assert_string_equal(s, "");
    assert_int_equal(len, 0);
    free(s);
    mst_buf_free(&b);
    mst_buf_free(&b);

    /* a zeroed buffer works with the default cap; growth is by doubling */
    struct mst_buf z = {0};
    for (int i = 0; i < 100000; i++)
        assert_int_equal(mst_buf_append(&z, "0123456789", 10), SDC_OK);
    assert_int_equal(z.len, 1000000);
    assert_true(z.cap <= 2 * (z.len + 1));
    assert_int_equal(z.max, MST_BUF_MAX_DEFAULT);
    mst_buf_free(&z);
}

static char *html(const char *s)
{
    struct mst_buf b;
    mst_buf_init(&b, 0);
    assert_int_equal(mst_escape_html(&b, s, strlen(s)), SDC_OK);
    return mst_buf_release(&b, NULL);
}

static char *markdown(const char *s)
{
    struct mst_buf b;
    mst_buf_init(&b, 0);
    assert_int_equal(mst_escape_markdown(&b, s, strlen(s)), SDC_OK);
    return mst_buf_release(&b, NULL);
}

static void test_html(void **state)
{
    (void)state;
    char *s = html("<script>alert(1)</script>");
    assert_string_equal(s, "&lt;script&gt;alert(1)&lt;/script&gt;");
    free(s);
    s = html("a,b\"c & 'd'");
    assert_string_equal(s, "a,b&quot;c &amp; &#39;d&#39;");
    free(s);
    s = html("plain caf\xc3\xa9");
    assert_string_equal(s, "plain caf\xc3\xa9");
    free(s);
    s = html("");
    assert_string_equal(s, "");
    free(s);
    /* the cap applies to the escaped length */
    struct mst_buf b;
    mst_buf_init(&b, 8);
    assert_int_equal(mst_escape_html(&b, "<<", 2), SDC_OK);
    assert_int_equal(mst_escape_html(&b, "<", 1), SDC_ERR_INVALID);
    assert_string_equal(b.data, "&lt;&lt;");
    mst_buf_free(&b);
}

static void test_markdown(void **state)
{
    (void)state;
    char *s = markdown("<script>alert(1)</script>");
    assert_string_equal(s, "\\<script\\>alert(1)\\</script\\>");
    free(s);
    s = markdown("a,b\"c");
    assert_string_equal(s, "a,b\"c");
    free(s);
    s = markdown("|*_`[]<>#&~\\");
    assert_string_equal(s, "\\|\\*\\_\\`\\[\\]\\<\\>\\#\\&\\~\\\\");
    free(s);
    /* line breaks of any kind become one space each: a cell stays a cell */
    s = markdown("a\nb\r\nc\rd\n\ne");
    assert_string_equal(s, "a b c d  e");
    free(s);
    s = markdown("web-01.example (10.0.0.1): 4 vCPU, 95% p95!");
    assert_string_equal(s, "web-01.example (10.0.0.1): 4 vCPU, 95% p95!");
    free(s);
}

static void check_number(double v, const char *want)
{
    char buf[MST_NUMBER_LEN];
    size_t n = mst_format_number(v, buf);
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
}

static void test_numbers(void **state)
{
    (void)state;
    check_number(85, "85");
    check_number(1.21, "1.21");
    check_number(-0.5, "-0.5");
    check_number(0.1 + 0.2, "0.30000000000000004");
    check_number(1e21, "1e+21");
    check_number(123456789012.0, "123456789012");
    check_number(2.5e-7, "2.5e-07");
    check_number(NAN, "nan");
    check_number(-INFINITY, "-inf");
    check_number(-1.7976931348623157e308, "-1.7976931348623157e+308");
}

static void test_csv_quote(void **state)
{
    (void)state;
    struct mst_buf b;
    mst_buf_init(&b, 0);
    const char *in[] = {"plain", "a,b\"c", "two\nlines", "cr\rlf",
                        " pad ", "",       "\"",         "=SUM(A1)"};
    const char *want = "plain|\"a,b\"\"c\"|\"two\nlines\"|\"cr\rlf\"|"
                       "\" pad \"||\"\"\"\"|=SUM(A1)|";
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        assert_int_equal(mst_csv_quote(&b, in[i], strlen(in[i]), 0), SDC_OK);
        assert_int_equal(mst_buf_putc(&b, '|'), SDC_OK);
    }
    assert_string_equal(b.data, want);
    b.len = 0;
    const char *f[] = {"=1+2", "+1", "-1", "@x", "a=b", "=\"x\",y"};
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        assert_int_equal(
            mst_csv_quote(&b, f[i], strlen(f[i]), MST_CSV_DEFUSE_FORMULAS),
            SDC_OK);
        assert_int_equal(mst_buf_putc(&b, '|'), SDC_OK);
    }
    assert_string_equal(b.data, "'=1+2|'+1|'-1|'@x|a=b|\"'=\"\"x\"\",y\"|");
    mst_buf_free(&b);
}

static void test_csv_writer(void **state)
{
    (void)state;
    char *dir = tu_tmpdir("csv");
    char path[PATH_MAX];
    struct sdc_error err = {0};
    assert_non_null(dir);
    snprintf(path, sizeof(path), "%s/vms.csv", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    struct mst_csv w;
    mst_csv_init(&w, fp, 0);
    assert_int_equal(mst_csv_str(&w, "name", &err), SDC_OK);
    assert_int_equal(mst_csv_str(&w, "vcpus", &err), SDC_OK);
    assert_int_equal(mst_csv_str(&w, "p95", &err), SDC_OK);
    assert_int_equal(mst_csv_str(&w, "note", &err), SDC_OK);
    assert_int_equal(mst_csv_end_row(&w, &err), SDC_OK);
    assert_int_equal(mst_csv_str(&w, "<script>alert(1)</script>", &err),
                     SDC_OK);
    assert_int_equal(mst_csv_int(&w, 4, &err), SDC_OK);
    assert_int_equal(mst_csv_num(&w, 12.3456, 2, &err), SDC_OK);
    assert_int_equal(mst_csv_str(&w, NULL, &err), SDC_OK);
    assert_int_equal(mst_csv_end_row(&w, &err), SDC_OK);
    assert_int_equal(mst_csv_str(&w, "a,b\"c", &err), SDC_OK);
    assert_int_equal(mst_csv_int(&w, -9223372036854775807LL - 1, &err), SDC_OK);
    assert_int_equal(mst_csv_num(&w, NAN, 2, &err), SDC_OK);
    assert_int_equal(mst_csv_strn(&w, "x\ny", 3, &err), SDC_OK);
    assert_int_equal(mst_csv_end_row(&w, &err), SDC_OK);
    assert_int_equal(mst_csv_num(&w, 0.1, -1, &err), SDC_OK);
    assert_int_equal(mst_csv_end_row(&w, &err), SDC_OK);
    mst_csv_free(&w);
    assert_int_equal(fclose(fp), 0);

    char *text = tu_read_file(path);
    assert_non_null(text);
    assert_string_equal(text, "name,vcpus,p95,note\r\n"
                              "<script>alert(1)</script>,4,12.35,\r\n"
                              "\"a,b\"\"c\",-9223372036854775808,,\"x\ny\"\r\n"
                              "0.1\r\n");
    free(text);

    /* a CSV parser reads the same fields back */
    if (tu_which("python3")) {
        char *out = NULL;
        int rc = tu_runf(&out,
                         "python3 -c 'import csv,json,sys; "
                         "print(json.dumps(list(csv.reader(open(sys.argv[1], "
                         "newline=\"\")))))' '%s'",
                         path);
        assert_int_equal(rc, 0);
        assert_string_equal(
            out, "[[\"name\", \"vcpus\", \"p95\", \"note\"], "
                 "[\"<script>alert(1)</script>\", \"4\", \"12.35\", \"\"], "
                 "[\"a,b\\\"c\", \"-9223372036854775808\", \"\", \"x\\ny\"], "
                 "[\"0.1\"]]\n");
        free(out);
    } else {
        printf("python3 not found: CSV read-back skipped\n");
    }

    /* a stream that refuses writes: SDC_ERR_IO with the reason */
    fp = fopen("/dev/full", "w");
    if (fp) {
        setvbuf(fp, NULL, _IONBF, 0);
        mst_csv_init(&w, fp, 0);
        assert_int_equal(mst_csv_str(&w, "x", &err), SDC_ERR_IO);
        assert_string_equal(err.msg, "csv: write failed: No space left on "
                                     "device");
        mst_csv_free(&w);
        fclose(fp);
    }
    tu_rmrf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf),       cmocka_unit_test(test_html),
        cmocka_unit_test(test_markdown),  cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_csv_quote), cmocka_unit_test(test_csv_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
