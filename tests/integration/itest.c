/* itest.c - see itest.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
