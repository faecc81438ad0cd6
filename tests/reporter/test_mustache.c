/*
 * test_mustache.c - the mustache renderer: every test of the mustache spec
 * files in ../shared/mustache-spec (required: interpolation, sections,
 * inverted, comments, partials, delimiters; optional and implemented:
 * ~dynamic-names; optional and skipped: ~lambdas, ~inheritance), then our
 * own cases: error messages with lines, escaping, limits, NULL and empty
 * inputs, numbers, the template directory loader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "mustache.h"
#include "testutil.h"

#ifndef SPEC_DIR
#define SPEC_DIR SDC_SOURCE_DIR "/../shared/mustache-spec"
#endif

/* ---- the spec suite ---- */

static void show(const char *label, const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    char *text = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    fprintf(stderr, "    %s: %s\n", label, text ? text : "?");
    free(text);
    json_decref(j);
}

/* Run every test of one spec file; fail if any fails. */
static void run_spec_file(const char *file)
{
    char path[PATH_MAX];
    struct stat st;
    if (stat(SPEC_DIR, &st) != 0) {
        fprintf(stderr,
                "mustache spec suite not found: looked in %s "
                "(../shared/mustache-spec next to the source tree); "
                "skipped\n",
                SPEC_DIR);
        skip();
    }
    snprintf(path, sizeof(path), "%s/%s", SPEC_DIR, file);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root)
        fail_msg("%s: %s (line %d)", path, jerr.text, jerr.line);
    const json_t *tests = json_object_get(root, "tests");
    assert_true(json_is_array(tests));

    size_t total = json_array_size(tests), passed = 0;
    for (size_t i = 0; i < total; i++) {
        const json_t *tc = json_array_get(tests, i);
        const char *name = json_string_value(json_object_get(tc, "name"));
        const json_t *tmpl = json_object_get(tc, "template");
        const json_t *want = json_object_get(tc, "expected");
        struct mst_partials partials = {.map = json_object_get(tc, "partials")};
        struct mst_template *t = NULL;
        struct sdc_error err = {0};
        char *out = NULL;
        size_t out_len = 0;
        assert_true(json_is_string(tmpl) && json_is_string(want));
        enum sdc_rc rc = mst_compile(name, json_string_value(tmpl),
                                     json_string_length(tmpl), &t, &err);
        if (rc == SDC_OK)
            rc = mst_template_render(t, json_object_get(tc, "data"), &partials,
                                     NULL, &out, &out_len, &err);
        bool ok = rc == SDC_OK && out_len == json_string_length(want) &&
                  memcmp(out, json_string_value(want), out_len) == 0;
        /* the one-call form gives the same */
        if (ok) {
            char *again = NULL;
            ok = mst_render(json_string_value(tmpl),
                            json_object_get(tc, "data"), &partials,
                            MST_ESCAPE_HTML, &again, &err) == SDC_OK &&
                 strcmp(again, out) == 0;
            free(again);
        }
        if (ok) {
            passed++;
        } else {
            fprintf(stderr, "  FAIL %s: %s\n", file, name);
            show("template", json_string_value(tmpl), json_string_length(tmpl));
            show("expected", json_string_value(want), json_string_length(want));
            if (rc == SDC_OK)
                show("got     ", out, out_len);
            else
                fprintf(stderr, "    error: %s\n", err.msg);
        }
        free(out);
        mst_template_free(t);
    }
    printf("mustache spec %s: %zu/%zu passed\n", file, passed, total);
    json_decref(root);
    assert_int_equal(passed, total);
}

static void test_spec_interpolation(void **state)
{
    (void)state;
    run_spec_file("interpolation.json");
}

static void test_spec_sections(void **state)
{
    (void)state;
    run_spec_file("sections.json");
}

static void test_spec_inverted(void **state)
{
    (void)state;
    run_spec_file("inverted.json");
}

static void test_spec_comments(void **state)
{
    (void)state;
    run_spec_file("comments.json");
}

static void test_spec_partials(void **state)
{
    (void)state;
    run_spec_file("partials.json");
}

static void test_spec_delimiters(void **state)
{
    (void)state;
    run_spec_file("delimiters.json");
}

static void test_spec_dynamic_names(void **state)
{
    (void)state;
    run_spec_file("~dynamic-names.json");
}

static void test_spec_optional_skipped(void **state)
{
    (void)state;
    printf("mustache spec ~lambdas.json: skipped (optional; JSON data has "
           "no functions)\n");
    printf("mustache spec ~inheritance.json: skipped (optional; "
           "{{<parent}} and {{$block}} are refused with an error)\n");
}

/* ---- helpers ---- */

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!j)
        fail_msg("bad test JSON: %s: %s", text, jerr.text);
    return j;
}

/* Render @tmpl against JSON @data with @mode; the output (caller frees). */
static char *render_mode(const char *tmpl, const char *data,
                         enum mst_escape mode)
{
    json_t *j = data ? parse(data) : NULL;
    struct sdc_error err = {0};
    char *out = NULL;
    enum sdc_rc rc = mst_render(tmpl, j, NULL, mode, &out, &err);
    json_decref(j);
    if (rc != SDC_OK)
        fail_msg("render of '%s' failed: %s", tmpl, err.msg);
    return out;
}

static void check(const char *tmpl, const char *data, const char *want)
{
    char *out = render_mode(tmpl, data, MST_ESCAPE_HTML);
    assert_string_equal(out, want);
    free(out);
}

/* Compiling @tmpl (named "report.html") fails with message @want. */
static void check_compile_error(const char *tmpl, const char *want)
{
    struct mst_template *t = (struct mst_template *)0x1;
    struct sdc_error err = {0};
    enum sdc_rc rc = mst_compile("report.html", tmpl, strlen(tmpl), &t, &err);
    assert_int_equal(rc, SDC_ERR_INVALID);
    assert_null(t);
    assert_int_equal(err.code, SDC_ERR_INVALID);
    assert_string_equal(err.msg, want);
}

/* ---- errors ---- */

static void test_errors_with_lines(void **state)
{
    (void)state;
    check_compile_error("<h1>{{title}}</h1>\n<table>\n{{#vms}}\n<tr>\n",
                        "template report.html:3: unclosed section 'vms'");
    check_compile_error("{{#a}}\n{{#b}}\n{{/a}}\n",
                        "template report.html:3: closing tag 'a' does not "
                        "match section 'b' opened at line 2");
    check_compile_error("x\r\ny\r\n{{/a}}",
                        "template report.html:3: closing tag 'a' without an "
                        "open section");
    check_compile_error("a\n\n  {{name\n}",
                        "template report.html:3: unclosed tag (no '}}' after "
                        "'{{')");
    check_compile_error("{{{x}}",
                        "template report.html:1: unclosed tag (no '}}}' "
                        "after '{{')");
    check_compile_error("{{=<% %>=}}\n<%a%>\n<%b",
                        "template report.html:3: unclosed tag (no '%>' after "
                        "'<%')");
    check_compile_error("{{!\ncomment\n}}\n{{= x =}}",
                        "template report.html:4: bad set-delimiter tag 'x' "
                        "(want two delimiters of 1 to 16 bytes, separated by "
                        "a space, without '=')");
    check_compile_error("{{=a=b c=}}",
                        "template report.html:1: bad set-delimiter tag 'a=b "
                        "c' (want two delimiters of 1 to 16 bytes, separated "
                        "by a space, without '=')");
    check_compile_error("{{=a b c=}}",
                        "template report.html:1: bad set-delimiter tag 'a b "
                        "c' (want two delimiters of 1 to 16 bytes, separated "
                        "by a space, without '=')");
    check_compile_error("ok\n{{ }}", "template report.html:2: empty tag name");
    check_compile_error("{{#}}{{/}}", "template report.html:1: empty tag name");
    check_compile_error("{{first name}}",
                        "template report.html:1: bad tag name 'first name' "
                        "(blank inside)");
    check_compile_error("{{<layout}}{{$body}}x{{/body}}{{/layout}}",
                        "template report.html:1: template inheritance ('{{<') "
                        "is not supported");

    /* sections nested deeper than MST_MAX_NESTING */
    char deep[(MST_MAX_NESTING + 1) * 12 + 1] = "";
    size_t n = 0;
    for (int i = 0; i <= MST_MAX_NESTING; i++)
        n += (size_t)snprintf(deep + n, sizeof(deep) - n, "{{#a}}\n");
    char want[128];
    snprintf(want, sizeof(want),
             "template report.html:%d: sections nested more than %d deep",
             MST_MAX_NESTING + 1, MST_MAX_NESTING);
    check_compile_error(deep, want);

    /* the name defaults to "(inline)"; err may be NULL */
    struct sdc_error err = {0};
    char *out = (char *)"x";
    assert_int_equal(
        mst_render("{{#a}}", NULL, NULL, MST_ESCAPE_HTML, &out, &err),
        SDC_ERR_INVALID);
    assert_null(out);
    assert_string_equal(err.msg, "template (inline):1: unclosed section 'a'");
    assert_int_equal(
        mst_render("{{#a}}", NULL, NULL, MST_ESCAPE_HTML, &out, NULL),
        SDC_ERR_INVALID);
}

static void test_partial_errors(void **state)
{
    (void)state;
    /* a syntax error in a partial names the partial and its line */
    json_t *map = parse("{\"row\": \"<td>\\n{{#x}}</td>\"}");
    struct mst_partials p = {.map = map};
    struct sdc_error err = {0};
    char *out = NULL;
    assert_int_equal(
        mst_render("{{>row}}", NULL, &p, MST_ESCAPE_HTML, &out, &err),
        SDC_ERR_INVALID);
    assert_string_equal(err.msg, "template row:2: unclosed section 'x'");
    json_decref(map);
}

/* ---- escaping ---- */

static void test_escaping(void **state)
{
    (void)state;
    const char *data = "{\"vm\": \"<script>alert(1)</script>\", "
                       "\"csv\": \"a,b\\\"c\", \"q\": \"it's\"}";
    char *out = render_mode("<td>{{vm}}</td><td>{{csv}}</td>{{q}}", data,
                            MST_ESCAPE_HTML);
    assert_string_equal(out, "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>"
                             "<td>a,b&quot;c</td>it&#39;s");
    assert_null(strstr(out, "<script"));
    free(out);

    /* raw forms are verbatim in every mode */
    out = render_mode("{{{vm}}}|{{& vm}}", data, MST_ESCAPE_HTML);
    assert_string_equal(out,
                        "<script>alert(1)</script>|<script>alert(1)</script>");
    free(out);

    out = render_mode("| {{vm}} | {{csv}} |", data, MST_ESCAPE_MARKDOWN);
    assert_string_equal(out, "| \\<script\\>alert(1)\\</script\\> | a,b\"c |");
    free(out);

    out = render_mode("| {{cell}} |",
                      "{\"cell\": \"two\\nlines | *bold* _x_ [l](u) # ~s~ "
                      "`c` &amp; \\\\\"}",
                      MST_ESCAPE_MARKDOWN);
    assert_string_equal(out, "| two lines \\| \\*bold\\* \\_x\\_ \\[l\\](u) "
                             "\\# \\~s\\~ \\`c\\` \\&amp; \\\\ |");
    free(out);

    out = render_mode("{{vm}} {{csv}}", data, MST_ESCAPE_NONE);
    assert_string_equal(out, "<script>alert(1)</script> a,b\"c");
    free(out);

    /* template text is never escaped */
    check("<b>&amp;</b>", "{}", "<b>&amp;</b>");
}

/* ---- data model ---- */

static void test_values(void **state)
{
    (void)state;
    check("{{i}} {{big}} {{neg}} {{r}} {{r2}} {{r3}} {{t}} {{f}} [{{n}}] "
          "[{{o}}] [{{a}}]",
          "{\"i\": 85, \"big\": 9007199254740993, \"neg\": -42, \"r\": 0.1, "
          "\"r2\": 2.0, \"r3\": 1e300, \"t\": true, \"f\": false, "
          "\"n\": null, \"o\": {\"x\": 1}, \"a\": [1, 2]}",
          "85 9007199254740993 -42 0.1 2 1e+300 true false [] [] []");
    /* falsy: missing, null, false, "", []; truthy: 0, 0.0, {}, "0" */
    check("{{#z}}0{{/z}}{{#zr}}0.0{{/zr}}{{#o}}{}{{/o}}{{#s0}}'0'{{/s0}}"
          "{{^m}}m{{/m}}{{^n}}n{{/n}}{{^f}}f{{/f}}{{^e}}e{{/e}}{{^a}}a{{/a}}",
          "{\"z\": 0, \"zr\": 0.0, \"o\": {}, \"s0\": \"0\", \"n\": null, "
          "\"f\": false, \"e\": \"\", \"a\": []}",
          "00.0{}'0'mnfea");
    /* a section over an object pushes it; the parent stays visible */
    check("{{#vm}}{{name}}@{{host}}{{/vm}}",
          "{\"host\": \"hv1\", \"vm\": {\"name\": \"web\"}}", "web@hv1");
    /* list of scalars, nested lists, root array */
    check("{{#.}}[{{#.}}{{.}}{{/.}}]{{/.}}", "[[1, 2], [\"a\"], []]",
          "[12][a][]");
    /* a key holding null is found (hides outer keys) */
    check("{{#inner}}{{x}}{{/inner}}", "{\"x\": 1, \"inner\": {\"x\": null}}",
          "");
    /* NUL inside a string is kept; the length tells */
    json_t *j = parse("{\"s\": \"a\\u0000b\"}");
    struct mst_template *t;
    char *out;
    size_t len;
    assert_int_equal(mst_compile("t", "[{{s}}]", 7, &t, NULL), SDC_OK);
    assert_int_equal(mst_template_render(t, j, NULL, NULL, &out, &len, NULL),
                     SDC_OK);
    assert_int_equal(len, 5);
    assert_memory_equal(out, "[a\0b]", 5);
    free(out);
    mst_template_free(t);
    json_decref(j);
}

static void test_null_and_empty(void **state)
{
    (void)state;
    struct sdc_error err = {0};
    char *out = NULL;
    struct mst_template *t = NULL;

    check("", "{}", "");
    check("", NULL, "");
    /* no data: every name is missing */
    check("[{{a}}{{#b}}x{{/b}}{{^c}}y{{/c}}{{.}}{{>p}}]", NULL, "[y]");
    /* scalar root */
    check("{{.}}/{{#.}}{{.}}{{/.}}", "\"x\"", "x/x");

    assert_int_equal(mst_render(NULL, NULL, NULL, MST_ESCAPE_HTML, &out, &err),
                     SDC_ERR_INVALID);
    assert_null(out);
    assert_int_equal(mst_render("x", NULL, NULL, MST_ESCAPE_HTML, NULL, &err),
                     SDC_ERR_INVALID);
    assert_int_equal(mst_compile("t", NULL, 3, &t, &err), SDC_ERR_INVALID);
    assert_int_equal(mst_compile("t", "x", 1, NULL, &err), SDC_ERR_INVALID);
    /* NULL text of length 0 is the empty template */
    assert_int_equal(mst_compile(NULL, NULL, 0, &t, &err), SDC_OK);
    assert_string_equal(mst_template_name(t), "(inline)");
    assert_int_equal(mst_template_render(t, NULL, NULL, NULL, &out, NULL, &err),
                     SDC_OK);
    assert_string_equal(out, "");
    free(out);
    assert_int_equal(
        mst_template_render(NULL, NULL, NULL, NULL, &out, NULL, &err),
        SDC_ERR_INVALID);
    assert_null(out);
    assert_int_equal(mst_template_render(t, NULL, NULL, NULL, NULL, NULL, &err),
                     SDC_ERR_INVALID);
    struct mst_opts bad = {.escape = (enum mst_escape)42};
    assert_int_equal(mst_template_render(t, NULL, NULL, &bad, &out, NULL, &err),
                     SDC_ERR_INVALID);
    mst_template_free(t);
    mst_template_free(NULL);
    mst_loader_free(NULL);
    /* template text with NUL bytes is text */
    assert_int_equal(mst_compile("t", "a\0{{x}}\0b", 9, &t, &err), SDC_OK);
    size_t len;
    json_t *j = parse("{\"x\": 1}");
    assert_int_equal(mst_template_render(t, j, NULL, NULL, &out, &len, &err),
                     SDC_OK);
    assert_int_equal(len, 5);
    assert_memory_equal(out, "a\0001\0b", 5);
    free(out);
    json_decref(j);
    mst_template_free(t);
}

/* ---- limits ---- */

static void test_recursion_refused(void **state)
{
    (void)state;
    struct sdc_error err = {0};
    char *out = NULL;
    json_t *map = parse("{\"self\": \"x{{>self}}\", "
                        "\"node\": \"{{name}}({{#kids}}{{>node}}{{/kids}})\"}");
    struct mst_partials p = {.map = map};

    assert_int_equal(
        mst_render("{{>self}}", NULL, &p, MST_ESCAPE_HTML, &out, &err),
        SDC_ERR_INVALID);
    assert_null(out);
    assert_string_equal(err.msg, "template self:1: partial 'self' nested more "
                                 "than 64 deep (a partial that includes "
                                 "itself?)");

    /*
     * a tree: fine when shallow, refused past max_depth.  Leaves need
     * "kids": [] or the lookup finds their parent's kids (context stack).
     */
    json_t *tree = parse("{\"name\": \"a\", \"kids\": [{\"name\": \"b\", "
                         "\"kids\": [{\"name\": \"c\", \"kids\": []}]}, "
                         "{\"name\": \"d\", \"kids\": []}]}");
    struct mst_template *t;
    assert_int_equal(mst_compile("tree", "{{>node}}", 9, &t, &err), SDC_OK);
    assert_int_equal(mst_template_render(t, tree, &p, NULL, &out, NULL, &err),
                     SDC_OK);
    assert_string_equal(out, "a(b(c())d())");
    free(out);
    /* partial, section, partial, section, partial: 5 levels */
    struct mst_opts shallow = {.max_depth = 4};
    assert_int_equal(
        mst_template_render(t, tree, &p, &shallow, &out, NULL, &err),
        SDC_ERR_INVALID);
    assert_string_equal(err.msg, "template node:1: partial 'node' nested "
                                 "more than 4 deep (a partial that includes "
                                 "itself?)");
    mst_template_free(t);
    json_decref(tree);

    /*
     * 48 nested sections over a list of two: 2^48 passes without output;
     * the step cap stops it.
     */
    char bomb[48 * 12 + 1];
    size_t n = 0;
    for (int i = 0; i < 48; i++)
        n += (size_t)snprintf(bomb + n, sizeof(bomb) - n, "{{#l}}");
    for (int i = 0; i < 48; i++)
        n += (size_t)snprintf(bomb + n, sizeof(bomb) - n, "{{/l}}");
    json_t *two = parse("{\"l\": [1, 2]}");
    struct mst_opts few = {.max_steps = 100000};
    assert_int_equal(mst_compile("t", bomb, n, &t, &err), SDC_OK);
    assert_int_equal(mst_template_render(t, two, &p, &few, &out, NULL, &err),
                     SDC_ERR_INVALID);
    assert_string_equal(err.msg,
                        "template t:1: rendering takes more than 100000 "
                        "steps");
    /* the default cap too, in reasonable time */
    clock_t c0 = clock();
    assert_int_equal(mst_template_render(t, two, &p, NULL, &out, NULL, &err),
                     SDC_ERR_INVALID);
    json_decref(two);
    printf("default step cap (%lu) reached in %.2f s\n",
           (unsigned long)MST_MAX_STEPS_DEFAULT,
           (double)(clock() - c0) / CLOCKS_PER_SEC);
    mst_template_free(t);
    json_decref(map);
}

static void test_large_data(void **state)
{
    (void)state;
    enum { ROWS = 100000 };
    json_t *vms = json_array();
    for (int i = 0; i < ROWS; i++) {
        json_t *vm = json_pack("{s:s, s:i, s:f}", "name", "vm<&>", "vcpus", i,
                               "p95", 12.5);
        assert_non_null(vm);
        assert_int_equal(json_array_append_new(vms, vm), 0);
    }
    json_t *data = json_pack("{s:o}", "vms", vms);
    const char *row = "{{#vms}}<tr><td>{{name}}</td><td>{{vcpus}}</td>"
                      "<td>{{p95}}</td></tr>\n{{/vms}}";
    struct mst_template *t;
    struct sdc_error err = {0};
    char *out;
    size_t len;
    assert_int_equal(mst_compile("rows", row, strlen(row), &t, &err), SDC_OK);
    clock_t c0 = clock();
    assert_int_equal(mst_template_render(t, data, NULL, NULL, &out, &len, &err),
                     SDC_OK);
    printf("%d rows rendered in %.3f s (%zu bytes)\n", ROWS,
           (double)(clock() - c0) / CLOCKS_PER_SEC, len);
    assert_int_equal(strlen(out), len);
    assert_non_null(strstr(out, "<tr><td>vm&lt;&amp;&gt;</td><td>99999</td>"
                                "<td>12.5</td></tr>\n"));
    assert_null(strstr(out, "vm<"));
    free(out);

    /* the output cap */
    struct mst_opts small = {.max_output = 1000};
    out = (char *)"x";
    assert_int_equal(
        mst_template_render(t, data, NULL, &small, &out, &len, &err),
        SDC_ERR_INVALID);
    assert_null(out);
    assert_string_equal(err.msg, "template rows:1: output larger than 1000 "
                                 "bytes");
    mst_template_free(t);
    json_decref(data);
}

/* Compile once, render many times with different data. */
static void test_compiled_reuse(void **state)
{
    (void)state;
    struct mst_template *t;
    assert_int_equal(mst_compile("t", "{{#a}}{{.}},{{/a}}", 18, &t, NULL),
                     SDC_OK);
    for (int i = 0; i < 3; i++) {
        char data[64], want[64], *out;
        snprintf(data, sizeof(data), "{\"a\": [%d, %d]}", i, i + 1);
        snprintf(want, sizeof(want), "%d,%d,", i, i + 1);
        json_t *j = parse(data);
        assert_int_equal(
            mst_template_render(t, j, NULL, NULL, &out, NULL, NULL), SDC_OK);
        assert_string_equal(out, want);
        free(out);
        json_decref(j);
    }
    mst_template_free(t);
}

/* Partials indented inside indented partials, sections and comments. */
static void test_nested_indentation(void **state)
{
    (void)state;
    json_t *map = parse("{\"outer\": \"<ul>\\n  {{>inner}}\\n</ul>\\n\", "
                        "\"inner\": \"{{#xs}}\\n<li>{{.}}</li>\\n{{/xs}}\", "
                        "\"c\": \"{{! c }}x\\ny\\n\"}");
    json_t *data = parse("{\"xs\": [1, 2]}");
    struct mst_partials p = {.map = map};
    char *out;
    assert_int_equal(mst_render("<div>\n  {{>outer}}\n</div>\n", data, &p,
                                MST_ESCAPE_HTML, &out, NULL),
                     SDC_OK);
    assert_string_equal(out, "<div>\n  <ul>\n    <li>1</li>\n    <li>2</li>\n"
                             "  </ul>\n</div>\n");
    free(out);
    /* a comment that begins a line keeps the indentation in its place */
    assert_int_equal(
        mst_render("  {{>c}}", data, &p, MST_ESCAPE_HTML, &out, NULL), SDC_OK);
    assert_string_equal(out, "  x\n  y\n");
    free(out);
    json_decref(data);
    json_decref(map);
}

/* ---- template directory ---- */

static char *tmp;

static void put(const char *name, const char *text)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", tmp, name);
    assert_true(tu_write_file(path, text, 0644));
}

static void test_loader(void **state)
{
    (void)state;
    struct sdc_error err = {0};
    struct mst_loader *l;
    const struct mst_template *t, *t2;
    char *out;
    tmp = tu_tmpdir("mst");
    assert_non_null(tmp);
    put("report.html.mustache",
        "{{> header}}<p>{{name}}</p>\n{{> missing}}{{>* kind}}");
    put("header.html.mustache", "<h1>{{title}}</h1>\n");
    put("vm.html.mustache", "<i>vm</i>");
    put("header.md.mustache", "# {{title}}\n");
    put("report.md.mustache", "{{> header}}\n| {{name}} |\n");
    put("broken.html.mustache", "ok\n{{#x}}\n");
    put("usebroken.html.mustache", "a\n\n{{> broken}}");
    put("escape.html.mustache", "{{> ../etc/passwd}}");
    put("dyn.html.mustache", "{{>* where}}");

    assert_int_equal(mst_loader_new(tmp, ".html.mustache", &l, &err), SDC_OK);
    json_t *data = parse("{\"title\": \"Cap & plan\", \"name\": \"<b>\", "
                         "\"kind\": \"vm\", \"where\": \"../x\"}");
    assert_int_equal(
        mst_loader_render(l, "report", data, NULL, &out, NULL, &err), SDC_OK);
    assert_string_equal(out, "<h1>Cap &amp; plan</h1>\n<p>&lt;b&gt;</p>\n"
                             "<i>vm</i>");
    free(out);
    /* compiled once, kept */
    assert_int_equal(mst_loader_get(l, "header", &t, &err), SDC_OK);
    assert_int_equal(mst_loader_get(l, "header", &t2, &err), SDC_OK);
    assert_ptr_equal(t, t2);
    assert_string_equal(mst_template_name(t), "header.html.mustache");

    /* names that could leave the directory are refused */
    assert_int_equal(mst_loader_get(l, "../etc/passwd", &t, &err),
                     SDC_ERR_INVALID);
    assert_null(t);
    assert_string_equal(err.msg, "bad template name '../etc/passwd' (want "
                                 "letters, digits, '_', '-', '.'; no '/' or "
                                 "'..')");
    assert_int_equal(
        mst_loader_render(l, "escape", data, NULL, &out, NULL, &err),
        SDC_ERR_INVALID);
    assert_null(out);
    assert_string_equal(err.msg,
                        "template escape.html.mustache:1: partial "
                        "'../etc/passwd': bad template name '../etc/passwd' "
                        "(want letters, digits, '_', '-', '.'; no '/' or "
                        "'..')");
    assert_int_equal(mst_loader_render(l, "dyn", data, NULL, &out, NULL, &err),
                     SDC_ERR_INVALID);
    /* missing main template: an error; syntax errors name file and line */
    assert_int_equal(mst_loader_get(l, "nothere", &t, &err), SDC_ERR_IO);
    assert_non_null(strstr(err.msg, "nothere.html.mustache: No such file"));
    assert_int_equal(mst_loader_get(l, "nothere", &t, &err), SDC_ERR_IO);
    assert_int_equal(
        mst_loader_render(l, "usebroken", data, NULL, &out, NULL, &err),
        SDC_ERR_INVALID);
    assert_string_equal(err.msg, "template usebroken.html.mustache:3: partial "
                                 "'broken': template broken.html.mustache:2: "
                                 "unclosed section 'x'");
    /* a directory where a file should be; a file over the size cap */
    char sub[PATH_MAX];
    snprintf(sub, sizeof(sub), "%s/dir.html.mustache", tmp);
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(mst_loader_get(l, "dir", &t, &err), SDC_ERR_IO);
    assert_non_null(strstr(err.msg, "dir.html.mustache: Is a directory"));
    char *big = malloc(MST_MAX_TEMPLATE + 2);
    assert_non_null(big);
    memset(big, 'x', MST_MAX_TEMPLATE + 1);
    big[MST_MAX_TEMPLATE + 1] = '\0';
    put("big.html.mustache", big);
    free(big);
    assert_int_equal(mst_loader_get(l, "big", &t, &err), SDC_ERR_INVALID);
    assert_non_null(strstr(err.msg, "big.html.mustache: larger than 4194304 "
                                    "bytes"));
    mst_loader_free(l);

    /* the suffix picks the format */
    struct mst_opts md = {.escape = MST_ESCAPE_MARKDOWN};
    assert_int_equal(mst_loader_new(tmp, ".md.mustache", &l, &err), SDC_OK);
    assert_int_equal(
        mst_loader_render(l, "report", data, &md, &out, NULL, &err), SDC_OK);
    assert_string_equal(out, "# Cap \\& plan\n| \\<b\\> |\n");
    free(out);
    mst_loader_free(l);

    /* bad directories */
    assert_int_equal(mst_loader_new("/nonexistent-sdc", ".x", &l, &err),
                     SDC_ERR_IO);
    assert_null(l);
    char file[PATH_MAX];
    snprintf(file, sizeof(file), "%s/vm.html.mustache", tmp);
    assert_int_equal(mst_loader_new(file, ".x", &l, &err), SDC_ERR_IO);
    assert_int_equal(mst_loader_new(tmp, "/x", &l, &err), SDC_ERR_INVALID);
    assert_int_equal(mst_loader_new(NULL, ".x", &l, &err), SDC_ERR_INVALID);

    json_decref(data);
    tu_rmrf(tmp);
    free(tmp);
}

static void test_name_valid(void **state)
{
    (void)state;
    assert_true(mst_name_valid("header"));
    assert_true(mst_name_valid("row-1.v2_x"));
    assert_false(mst_name_valid(NULL));
    assert_false(mst_name_valid(""));
    assert_false(mst_name_valid("a/b"));
    assert_false(mst_name_valid(".."));
    assert_false(mst_name_valid("a..b"));
    assert_false(mst_name_valid(".hidden"));
    assert_false(mst_name_valid("a b"));
    assert_false(mst_name_valid("a\\b"));
    char longname[MST_MAX_NAME + 2];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_false(mst_name_valid(longname));
    longname[MST_MAX_NAME] = '\0';
    assert_true(mst_name_valid(longname));
}

/* A lookup callback and a map together: the map first. */
static enum sdc_rc cb_lookup(void *ctx, const char *name,
                             const struct mst_template **out,
                             struct sdc_error *err)
{
    const struct mst_template *t = ctx;
    (void)err;
    *out = strcmp(name, "cb") == 0 ? t : NULL;
    return SDC_OK;
}

static void test_partial_callback(void **state)
{
    (void)state;
    struct mst_template *cbt;
    char *out;
    assert_int_equal(mst_compile("cb", "<{{v}}>", 7, &cbt, NULL), SDC_OK);
    json_t *map = parse("{\"m\": \"[{{v}}]\", \"cb\": 5}");
    struct mst_partials p = {.map = map, .lookup = cb_lookup, .ctx = cbt};
    json_t *data = parse("{\"v\": 1}");
    assert_int_equal(mst_render("{{>m}}{{>cb}}{{>none}}", data, &p,
                                MST_ESCAPE_HTML, &out, NULL),
                     SDC_OK);
    assert_string_equal(out, "[1]<1>");
    free(out);
    json_decref(data);
    json_decref(map);
    mst_template_free(cbt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_interpolation),
        cmocka_unit_test(test_spec_sections),
        cmocka_unit_test(test_spec_inverted),
        cmocka_unit_test(test_spec_comments),
        cmocka_unit_test(test_spec_partials),
        cmocka_unit_test(test_spec_delimiters),
        cmocka_unit_test(test_spec_dynamic_names),
        cmocka_unit_test(test_spec_optional_skipped),
        cmocka_unit_test(test_errors_with_lines),
        cmocka_unit_test(test_partial_errors),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_null_and_empty),
        cmocka_unit_test(test_recursion_refused),
        cmocka_unit_test(test_large_data),
        cmocka_unit_test(test_compiled_reuse),
        cmocka_unit_test(test_nested_indentation),
        cmocka_unit_test(test_loader),
        cmocka_unit_test(test_name_valid),
        cmocka_unit_test(test_partial_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
