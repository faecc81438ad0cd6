/*
 * fuzz_mustache.c - libFuzzer target for the template renderer (STYLE.md
 * section 10) and the escaping helpers.
 *
 * Input: TEMPLATE [NUL PARTIAL_a [NUL PARTIAL_b [NUL JSON_DATA]]].  The
 * template is compiled and rendered with partials "a" and "b" (and "self",
 * which includes itself) against JSON_DATA when it parses, else against a
 * fixed document with every JSON type.  The escape mode comes from the
 * input length.  Limits are small so that no input runs long: 64 KiB of
 * input, 1 MiB of output, 200,000 steps.
 *
 * Checked besides the sanitizers: the result contract (output and length
 * on success, a message on failure), that HTML escaping leaves none of
 * < > " ', that Markdown escaping leaves no line break and that every
 * special character is escaped, and that a CSV field reads back as the
 * input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "mustache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz_mustache: check failed: %s (line %d)\n",     \
                    #cond, __LINE__);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

static const char default_data[] =
    "{\"str\": \"<b>&'\\\"x\\n|*_\", \"num\": 1.5, \"int\": -7, \"t\": true,"
    " \"f\": false, \"n\": null, \"empty\": \"\", \"none\": [],"
    " \"list\": [1, \"two\", {\"str\": \"inner\"}, [3, 4], null],"
    " \"obj\": {\"a\": {\"b\": {\"c\": \"deep\"}}, \"list\": [true]},"
    " \"name\": \"a\", \"other\": \"b\", \"bad\": \"../x\"}";

/* The next NUL-separated chunk of [*pos, size). */
static void next_chunk(const uint8_t *data, size_t size, size_t *pos,
                       const char **s, size_t *n)
{
    const uint8_t *p = *pos < size ? data + *pos : NULL;
    const uint8_t *end = p ? memchr(p, 0, size - *pos) : NULL;
    *s = (const char *)p;
    *n = p ? (size_t)((end ? end : data + size) - p) : 0;
    *pos = end ? (size_t)(end - data) + 1 : size;
}

static void check_html(const char *s, size_t n)
{
    struct mst_buf b;
    mst_buf_init(&b, 0);
    CHECK(mst_escape_html(&b, s, n) == SDC_OK);
    for (size_t i = 0; i < b.len; i++)
        CHECK(!strchr("<>\"'", b.data[i]) || b.data[i] == '\0');
    mst_buf_free(&b);
}

static void check_markdown(const char *s, size_t n)
{
    struct mst_buf b;
    mst_buf_init(&b, 0);
    CHECK(mst_escape_markdown(&b, s, n) == SDC_OK);
    for (size_t i = 0; i < b.len; i++) {
        char ch = b.data[i];
        CHECK(ch != '\n' && ch != '\r');
        if (ch == '\\') {
            CHECK(i + 1 < b.len);
            i++; /* the escaped character */
            continue;
        }
        CHECK(ch == '\0' || !strchr("`*_[]<>#|&~", ch));
    }
    mst_buf_free(&b);
}

/* Quote as a CSV field, parse it back by RFC 4180, compare. */
static void check_csv(const char *s, size_t n)
{
    struct mst_buf b;
    mst_buf_init(&b, 0);
    CHECK(mst_csv_quote(&b, s, n, 0) == SDC_OK);
    const char *q = b.data ? b.data : "";
    size_t len = b.len, k = 0;
    if (len > 0 && q[0] == '"') {
        CHECK(len >= 2 && q[len - 1] == '"');
        for (size_t i = 1; i + 1 < len; i++, k++) {
            if (q[i] == '"') {
                CHECK(q[i + 1] == '"');
                i++;
            }
            CHECK(k < n && q[i] == s[k]);
        }
    } else {
        for (size_t i = 0; i < len; i++, k++) {
            CHECK(!strchr(",\"\r\n", q[i]) || q[i] == '\0');
            CHECK(k < n && q[i] == s[k]);
        }
    }
    CHECK(k == n);
    mst_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    size_t pos = 0, tlen, alen, blen, jlen;
    const char *tmpl, *pa, *pb, *js;
    next_chunk(data, size, &pos, &tmpl, &tlen);
    next_chunk(data, size, &pos, &pa, &alen);
    next_chunk(data, size, &pos, &pb, &blen);
    next_chunk(data, size, &pos, &js, &jlen);

    json_t *root =
        js ? json_loadb(js, jlen, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL)
           : NULL;
    if (!root)
        root = json_loads(default_data, 0, NULL);
    json_t *map = json_object();
    CHECK(root && map);
    if (pa)
        json_object_set_new(map, "a", json_stringn_nocheck(pa, alen));
    if (pb)
        json_object_set_new(map, "b", json_stringn_nocheck(pb, blen));
    json_object_set_new(map, "self", json_string("[{{>self}}]"));

    struct mst_template *t = NULL;
    struct sdc_error err = {0};
    enum sdc_rc rc = mst_compile("fuzz", tmpl, tlen, &t, &err);
    if (rc == SDC_OK) {
        CHECK(t != NULL);
        struct mst_partials partials = {.map = map};
        struct mst_opts opts = {
            .escape = (enum mst_escape)(size % 3),
            .max_output = (size_t)1 << 20,
            .max_steps = 200000,
        };
        char *out = NULL;
        size_t out_len = 0;
        rc = mst_template_render(t, root, &partials, &opts, &out, &out_len,
                                 &err);
        if (rc == SDC_OK) {
            CHECK(out != NULL && out[out_len] == '\0');
            CHECK(out_len <= opts.max_output);
        } else {
            CHECK(out == NULL && err.code == rc && err.msg[0] != '\0');
        }
        free(out);
    } else {
        CHECK(t == NULL && err.code == rc && err.msg[0] != '\0');
    }
    mst_template_free(t);
    json_decref(map);
    json_decref(root);

    check_html((const char *)data, size);
    check_markdown((const char *)data, size);
    check_csv((const char *)data, size);
    return 0;
}
