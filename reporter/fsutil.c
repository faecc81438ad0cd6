/* fsutil.c - sorted directory listings for the report builders (fsutil.h). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"

/* Whether @name in @dir is a directory. */
static bool is_dir(const char *dir, const char *name)
{
    char p[4096];
    struct stat st;
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

enum sdc_rc fs_list_names(const char *dir, const char *prefix,
                          const char *suffix, bool dirs_only, size_t max,
                          char ***out, size_t *n)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **v = NULL;
    size_t cap = 0, lp = strlen(prefix), ls = strlen(suffix);
    enum sdc_rc rc = SDC_OK;

    *out = NULL;
    *n = 0;
    if (!d)
        return SDC_OK;
    while ((de = readdir(d)) && (max == 0 || *n < max)) {
        size_t l = strlen(de->d_name);
        char *s;
        if (de->d_name[0] == '.' || l <= lp + ls ||
            strncmp(de->d_name, prefix, lp) != 0 ||
            strcmp(de->d_name + l - ls, suffix) != 0)
            continue;
        if (dirs_only && !is_dir(dir, de->d_name))
            continue;
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **q = realloc(v, nc * sizeof(*q));
            if (!q) {
                rc = SDC_ERR_NOMEM;
                break;
            }
            v = q;
            cap = nc;
        }
        s = strndup(de->d_name + lp, l - lp - ls);
        if (!s) {
            rc = SDC_ERR_NOMEM;
            break;
        }
        v[(*n)++] = s;
    }
    closedir(d);
    for (size_t i = 1; i < *n; i++) /* few names: insertion sort */
        for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
            char *t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    *out = v;
    return rc;
}

void fs_names_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}
