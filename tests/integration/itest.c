/* itest.c - see itest.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"
#include "testutil.h"

char *it_write_config(const char *dir, const char *body)
{
    char *path, *text;
    if (asprintf(&path, "%s/sdcmon.conf", dir) < 0)
        return NULL;
    if (asprintf(&text, "data_dir = \"%s/data\";\n%s", dir, body) < 0) {
        free(path);
        return NULL;
    }
    if (!tu_write_file(path, text, 0600)) {
        free(path);
        path = NULL;
    }
    free(text);
    return path;
}

char *it_virsh_field(const char *uri, const char *args, const char *label)
{
    char *out = NULL, *res = NULL;
    size_t ll = strlen(label);
    if (tu_runf(&out, "virsh -c '%s' %s", uri, args) != 0) {
        free(out);
        return NULL;
    }
    for (char *line = out; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (strncmp(line, label, ll) == 0 && line[ll] == ':') {
            const char *v = line + ll + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            res = strdup(v);
            break;
        }
        line = nl ? nl + 1 : NULL;
    }
    free(out);
    return res;
}

int it_count_files(const char *dir, const char *pattern)
{
    char *out = NULL;
    int n = -1;
    if (tu_runf(&out, "find '%s' -type f -name '%s' | wc -l", dir, pattern) ==
        0)
        n = (int)strtol(out, NULL, 10);
    free(out);
    return n;
}

long it_rrd_lastupdate(const char *file)
{
    char *out = NULL;
    long t = -1;
    if (tu_runf(&out, "rrdtool last '%s'", file) == 0)
        t = strtol(out, NULL, 10);
    free(out);
    return t;
}

char *it_path(const char *dir, const char *fmt, ...)
{
    char *rel, *p;
    va_list ap;
    int rc;
    va_start(ap, fmt);
    rc = vasprintf(&rel, fmt, ap);
    va_end(ap);
    if (rc < 0)
        return NULL;
    if (asprintf(&p, "%s/%s", dir, rel) < 0)
        p = NULL;
    free(rel);
    return p;
}

int it_run_sdcmond(const char *dir, const char *conf, const char *args)
{
    return tu_runf(NULL, "'%s' -c '%s' %s >>'%s/sdcmond.log' 2>&1",
                   tu_sdcmond(), conf, args, dir);
}

char *it_read_log(const char *dir)
{
    char *p = it_path(dir, "sdcmond.log");
    char *log = p ? tu_read_file(p) : NULL;
    free(p);
    return log;
}

bool it_wait_log(const char *dir, const char *what, int n, int timeout_ms)
{
    bool ok = false;
    for (int waited = 0; waited <= timeout_ms && !ok; waited += 50) {
        char *log = it_read_log(dir);
        int k = 0;
        for (const char *s = log; s && (s = strstr(s, what)); s++)
            k++;
        ok = k >= n;
        free(log);
        if (!ok)
            usleep(50 * 1000);
    }
    return ok;
}
