/*
 * test_docs.c - what ships beside the programs: the man pages render
 * without a warning, sdcmon.conf(5) documents every key the loader
 * (common/config.c) accepts, every program answers --help and --version,
 * and the systemd unit passes `systemd-analyze verify` with the options
 * the service relies on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static const char *const pages[] = {"sdcmond.8",       "sdcmon-report.1",
                                    "sdcmon-import.1", "sdcmon-passwd.1",
                                    "sdcmon.conf.5",   NULL};

static char *built_page(const char *name)
{
    char *p;
    assert_true(asprintf(&p, "%s/man/%s", SDC_BINARY_DIR, name) > 0);
    return p;
}

/* Each page renders with groff's warnings on and prints nothing, and
 * carries the project's version. */
static void test_man_pages_render(void **state)
{
    (void)state;
    if (!tu_which("groff")) {
        print_message("skipped: groff is not installed\n");
        skip();
    }
    for (size_t i = 0; pages[i]; i++) {
        char *p = built_page(pages[i]), *out = NULL, *text;
        assert_int_equal(tu_runf(&out, "groff -man -Tutf8 -ww -z '%s'", p), 0);
        if (*out)
            print_message("%s: %s\n", pages[i], out);
        assert_string_equal(out, "");
        free(out);
        text = tu_read_file(p);
        assert_non_null(text);
        assert_null(strstr(text, "@VERSION@"));
        assert_non_null(strstr(text, "\"sdcmon " SDC_VERSION "\""));
        assert_non_null(strstr(text, ".SH NAME"));
        assert_non_null(strstr(text, ".SH SEE ALSO"));
        free(text);
        /* and man itself formats it */
        assert_int_equal(tu_runf(&out, "MANWIDTH=80 man -l '%s' 2>&1", p), 0);
        assert_non_null(strstr(out, "NAME"));
        free(out);
        free(p);
    }
}

/* ---- every configuration key is documented ---- */

struct keys {
    char **v;
    size_t n;
};

static void keys_add(struct keys *k, const char *s, size_t len)
{
    for (size_t i = 0; i < k->n; i++)
        if (strlen(k->v[i]) == len && strncmp(k->v[i], s, len) == 0)
            return;
    k->v = realloc(k->v, (k->n + 1) * sizeof(*k->v));
    assert_non_null(k->v);
    k->v[k->n] = strndup(s, len);
    assert_non_null(k->v[k->n]);
    k->n++;
}

static void keys_free(struct keys *k)
{
    for (size_t i = 0; i < k->n; i++)
        free(k->v[i]);
    free(k->v);
}

/*
 * The string literals of every `static const char *const <name>keys[] =
 * { ... };` array in @src: the lists check_keys() accepts, one per group.
 */
static void loader_keys(const char *src, struct keys *k)
{
    const char *p = src;
    while ((p = strstr(p, "static const char *const "))) {
        const char *name = p + strlen("static const char *const "), *br, *end;
        const char *q = name;
        while (isalnum((unsigned char)*q) || *q == '_')
            q++;
        p = q;
        if (q - name < 4 || strncmp(q - 4, "keys", 4) != 0 ||
            strncmp(q, "[] = {", 6) != 0)
            continue;
        br = q + 6;
        end = strstr(br, "};");
        assert_non_null(end);
        for (const char *s = br; s < end; s++) {
            const char *e;
            if (*s != '"')
                continue;
            e = strchr(s + 1, '"');
            assert_true(e && e < end);
            keys_add(k, s + 1, (size_t)(e - s - 1));
            s = e;
        }
        p = end;
    }
}

/*
 * Whether @page documents @key: a tag line (".B"/".BR" right after ".TP")
 * whose first word is the key, bare or as the last part of a dotted path
 * ("snmp[].custom[].oid", "reports.templates").
 */
static bool page_documents(const char *page, const char *key)
{
    size_t kl = strlen(key);
    for (const char *l = page; (l = strstr(l, "\n.TP\n.B")); l++) {
        const char *w = l + strlen("\n.TP\n.B");
        size_t wl;
        if (*w == 'R')
            w++;
        if (*w != ' ')
            continue;
        w++;
        wl = strcspn(w, " \n");
        if (wl >= kl && strncmp(w + wl - kl, key, kl) == 0 &&
            (wl == kl || w[wl - kl - 1] == '.'))
            return true;
    }
    return false;
}

static void test_conf_keys_documented(void **state)
{
    struct keys k = {0};
    char *src = tu_read_file(SDC_SOURCE_DIR "/common/config.c");
    char *page = tu_read_file(SDC_SOURCE_DIR "/man/sdcmon.conf.5");
    size_t missing = 0;
    (void)state;
    assert_non_null(src);
    assert_non_null(page);
    loader_keys(src, &k);
    /* the extraction sees the groups it must: top level, nested, lists */
    assert_true(k.n >= 80);
    {
        static const char *const sample[] = {"data_dir",
                                             "user",
                                             "templates",
                                             "community_file",
                                             "ha_reserve_hosts",
                                             "interface_errors",
                                             "include",
                                             "oid",
                                             "memory_gb",
                                             "listen",
                                             NULL};
        for (size_t i = 0; sample[i]; i++) {
            bool found = false;
            for (size_t j = 0; j < k.n; j++)
                found |= strcmp(k.v[j], sample[i]) == 0;
            assert_true(found);
        }
    }
    for (size_t i = 0; i < k.n; i++) {
        if (!page_documents(page, k.v[i])) {
            print_message("sdcmon.conf.5 does not document key '%s' (a .TP "
                          "tag .B/.BR naming it)\n",
                          k.v[i]);
            missing++;
        }
    }
    assert_int_equal(missing, 0);
    /* and the check can fail: a page without a key's tag */
    assert_false(page_documents(".TH X 5\n.TP\n.B data_dir\nx\n", "step"));
    assert_true(
        page_documents(".TH X 5\n.TP\n.BR snmp[].oid \" (s)\"\n", "oid"));
    assert_false(page_documents(".TP\n.B snmp[].noid\n", "oid"));
    keys_free(&k);
    free(src);
    free(page);
}

/* ---- --help and --version ---- */

static void check_program(const char *path, const char *name,
                          const char *page_name, const char *const *want)
{
    char *out = NULL, *page_path, *page, ver[64];
    assert_int_equal(tu_runf(&out, "'%s' --help 2>/dev/null", path), 0);
    for (size_t i = 0; want[i]; i++) {
        if (!strstr(out, want[i]))
            print_message("%s --help lacks '%s'\n", name, want[i]);
        assert_non_null(strstr(out, want[i]));
    }
    /* every long option of --help is in the man page too */
    page_path = built_page(page_name);
    page = tu_read_file(page_path);
    assert_non_null(page);
    for (const char *o = out; (o = strstr(o, "--")); o += 2) {
        char opt[64], roff[80];
        size_t n = 2;
        while (n < sizeof(opt) - 1 &&
               (islower((unsigned char)o[n]) ||
                (o[n] == '-' && islower((unsigned char)o[n + 1]))))
            n++;
        if (n == 2)
            continue;
        memcpy(opt, o, n);
        opt[n] = '\0';
        /* roff writes "-" as "\-" */
        {
            size_t r = 0;
            for (size_t i = 0; i < n && r + 2 < sizeof(roff); i++) {
                if (opt[i] == '-')
                    roff[r++] = '\\';
                roff[r++] = opt[i];
            }
            roff[r] = '\0';
        }
        if (!strstr(page, roff))
            print_message("%s: option %s is not in %s\n", name, opt, page_name);
        assert_non_null(strstr(page, roff));
    }
    free(page);
    free(page_path);
    free(out);

    assert_int_equal(tu_runf(&out, "'%s' --version", path), 0);
    snprintf(ver, sizeof(ver), "%s %s\n", name, SDC_VERSION);
    assert_string_equal(out, ver);
    free(out);
    assert_int_equal(tu_runf(&out, "'%s' -V", path), 0);
    assert_string_equal(out, ver);
    free(out);
}

static void test_help_and_version(void **state)
{
    static const char *const sdcmond[] = {"Usage: sdcmond -c FILE",
                                          "--foreground",
                                          "--check-config",
                                          "Signals:",
                                          "Exit status:",
                                          "Files:",
                                          "Examples:",
                                          "sdcmond(8)",
                                          NULL};
    static const char *const report[] = {"Usage: sdcmon-report monthly -c FILE",
                                         "--month",
                                         "--templates",
                                         "Exit status:",
                                         "Files:",
                                         "Examples:",
                                         "sdcmon-report(1)",
                                         NULL};
    static const char *const import[] = {"Usage: sdcmon-import -c FILE",
                                         "--inventory",
                                         "Exit status:",
                                         "Files:",
                                         "Examples:",
                                         "sdcmon-import(1)",
                                         NULL};
    static const char *const passwd[] = {"Usage: sdcmon-passwd USER",
                                         "Exit status:",
                                         "Files:",
                                         "Examples:",
                                         "sdcmon-passwd(1)",
                                         NULL};
    char *p;
    (void)state;
    check_program(tu_sdcmond(), "sdcmond", "sdcmond.8", sdcmond);
    assert_true(asprintf(&p, "%s/sdcmon-report", SDC_BINARY_DIR) > 0);
    check_program(p, "sdcmon-report", "sdcmon-report.1", report);
    free(p);
    assert_true(asprintf(&p, "%s/sdcmon-import", SDC_BINARY_DIR) > 0);
    check_program(p, "sdcmon-import", "sdcmon-import.1", import);
    free(p);
    assert_true(asprintf(&p, "%s/sdcmon-passwd", SDC_BINARY_DIR) > 0);
    check_program(p, "sdcmon-passwd", "sdcmon-passwd.1", passwd);
    free(p);
}

/* ---- the systemd unit ---- */

static void test_unit(void **state)
{
    static const char *const want[] = {
        "\nType=notify\n",
        "\nExecReload=/bin/kill -HUP $MAINPID\n",
        "\nUser=sdcmon\n",
        "\nRestart=on-failure\n",
        "\nRestartPreventExitStatus=2\n",
        "\nWatchdogSec=",
        "\nNoNewPrivileges=yes\n",
        "\nProtectSystem=strict\n",
        "\nReadWritePaths=/var/lib/sdcmon\n",
        "\nPrivateTmp=yes\n",
        "\nProtectHome=yes\n",
        "\nProtectKernelTunables=yes\n",
        "\nProtectKernelModules=yes\n",
        "\nRestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK\n",
        "\nLockPersonality=yes\n",
        "\nWantedBy=multi-user.target\n",
        NULL};
    char *unit_path, *unit, *dir, *copy, *out = NULL, *ln, *exec;
    double exposure;
    (void)state;
    assert_true(asprintf(&unit_path, "%s/sdcmond.service", SDC_BINARY_DIR) > 0);
    unit = tu_read_file(unit_path);
    assert_non_null(unit);
    for (size_t i = 0; want[i]; i++) {
        if (!strstr(unit, want[i]))
            print_message("unit lacks %s\n", want[i] + 1);
        assert_non_null(strstr(unit, want[i]));
    }
    /* ExecStart: sdcmond in the foreground on /etc/sdcmon/sdcmon.conf of
     * this install */
    ln = strstr(unit, "\nExecStart=");
    assert_non_null(ln);
    exec = strndup(ln + 11, strcspn(ln + 11, "\n"));
    assert_non_null(strstr(exec, "/sbin/sdcmond -c "));
    assert_non_null(strstr(exec, "/sdcmon/sdcmon.conf --foreground"));
    free(exec);

    if (!tu_which("systemd-analyze")) {
        print_message("skipped: systemd-analyze is not installed\n");
        free(unit);
        free(unit_path);
        skip();
    }
    /* verify needs the programs it names to exist: point them at the build */
    dir = tu_tmpdir("unit");
    assert_non_null(dir);
    assert_true(asprintf(&copy, "%s/sdcmond.service", dir) > 0);
    assert_int_equal(tu_runf(NULL,
                             "sed -E 's#=[^ ]*/sbin/sdcmond #=%s #' '%s' > "
                             "'%s'",
                             tu_sdcmond(), unit_path, copy),
                     0);
    assert_int_equal(
        tu_runf(&out, "systemd-analyze verify --man=no '%s' 2>&1", copy), 0);
    if (*out)
        print_message("systemd-analyze verify: %s\n", out);
    assert_string_equal(out, "");
    free(out);
    /* the hardening, as systemd scores it (0 best, 10 worst) */
    assert_int_equal(tu_runf(&out,
                             "systemd-analyze security --offline=true '%s' "
                             "2>&1 | sed -n 's/.*exposure level for "
                             "sdcmond.service: \\([0-9.]*\\).*/\\1/p'",
                             copy),
                     0);
    exposure = strtod(out, NULL);
    print_message("systemd-analyze security: exposure %s", out);
    assert_true(*out != '\0');
    assert_true(exposure > 0 && exposure <= 2.0);
    free(out);
    tu_rmrf(dir);
    free(dir);
    free(copy);
    free(unit);
    free(unit_path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_man_pages_render),
        cmocka_unit_test(test_conf_keys_documented),
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_unit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
