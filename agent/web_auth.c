/* web_auth.c - users file and basic-auth checks; see web_auth.h. */
#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web_auth.h"
#include "web_route.h"

struct web_user {
    char *name;
    char *hash;
};

struct web_users {
    struct web_user *u;
    size_t n;
};

/* A valid SHA-512 crypt string of a password nobody has, for unknown
 * users: the work is the same as for a real one. */
static const char dummy_hash[] =
    "$6$sdcmondummysalt$UGjTsxBlD3TBJBmXrU1nF9NfXh5sCwUaGOVxB7mbHPeg4zMEKfzq"
    "1lK3MQy9e/Q4e.DtEbgKrHAp6ZT4y6j3O.";

static bool hash_ok(const char *h)
{
    size_t n = strlen(h);
    if (n < 20 || strncmp(h, "$6$", 3) != 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)h[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '$' || c == '.' || c == '/' ||
              c == '='))
            return false;
    }
    return true;
}

enum sdc_rc web_users_parse(const char *name, const char *text,
                            struct web_users **out, struct sdc_error *err)
{
    struct web_users *u = calloc(1, sizeof(*u));
    const char *p = text;
    int line = 0;
    enum sdc_rc rc = SDC_OK;

    *out = NULL;
    if (!u)
        return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char buf[WEB_AUTH_MAX_LINE + 1];
        char *colon;
        struct web_user *g;
        line++;
        if (len > WEB_AUTH_MAX_LINE) {
            rc = sdc_error_set(err, SDC_ERR_CONFIG, "%s:%d: line too long",
                               name, line);
            goto fail;
        }
        memcpy(buf, p, len);
        buf[len] = '\0';
        p = nl ? nl + 1 : p + len;
        if (len && buf[len - 1] == '\r')
            buf[--len] = '\0';
        if (len == 0 || buf[0] == '#')
            continue;
        colon = strchr(buf, ':');
        if (!colon) {
            rc = sdc_error_set(err, SDC_ERR_CONFIG, "%s:%d: expected user:hash",
                               name, line);
            goto fail;
        }
        *colon = '\0';
        if (!*buf || strlen(buf) > WEB_AUTH_MAX_USER) {
            rc = sdc_error_set(err, SDC_ERR_CONFIG,
                               "%s:%d: user name empty or longer than %d", name,
                               line, WEB_AUTH_MAX_USER);
            goto fail;
        }
        if (!hash_ok(colon + 1)) {
            rc = sdc_error_set(err, SDC_ERR_CONFIG,
                               "%s:%d: user '%s': not a SHA-512 crypt hash "
                               "($6$...; make one with mkpasswd -m sha-512)",
                               name, line, buf);
            goto fail;
        }
        for (size_t i = 0; i < u->n; i++)
            if (strcmp(u->u[i].name, buf) == 0) {
                rc = sdc_error_set(err, SDC_ERR_CONFIG,
                                   "%s:%d: user '%s' listed twice", name, line,
                                   buf);
                goto fail;
            }
        if (u->n >= WEB_AUTH_MAX_USERS) {
            rc = sdc_error_set(err, SDC_ERR_CONFIG, "%s:%d: more than %d users",
                               name, line, WEB_AUTH_MAX_USERS);
            goto fail;
        }
        g = realloc(u->u, (u->n + 1) * sizeof(*g));
        if (!g)
            goto nomem;
        u->u = g;
        g[u->n].name = strdup(buf);
        g[u->n].hash = strdup(colon + 1);
        u->n++;
        if (!g[u->n - 1].name || !g[u->n - 1].hash)
            goto nomem;
    }
    if (u->n == 0) {
        rc = sdc_error_set(err, SDC_ERR_CONFIG, "%s: no users", name);
        goto fail;
    }
    *out = u;
    return SDC_OK;
nomem:
    rc = sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
fail:
    web_users_free(u);
    return rc;
}

enum sdc_rc web_users_load(const char *path, struct web_users **out,
                           struct sdc_error *err)
{
    FILE *f = fopen(path, "re");
    char *text = NULL;
    size_t len = 0, cap = 0;
    enum sdc_rc rc;

    *out = NULL;
    if (!f)
        return sdc_error_set(err, SDC_ERR_IO, "cannot read users file %s: %s",
                             path, strerror(errno));
    for (;;) {
        size_t r;
        if (len + 4096 + 1 > cap) {
            char *g;
            if (cap > ((size_t)1 << 20)) {
                fclose(f);
                free(text);
                return sdc_error_set(err, SDC_ERR_CONFIG,
                                     "%s: larger than 1 MiB", path);
            }
            cap = cap ? cap * 2 : 8192;
            g = realloc(text, cap);
            if (!g) {
                fclose(f);
                free(text);
                return sdc_error_set(err, SDC_ERR_NOMEM, "out of memory");
            }
            text = g;
        }
        r = fread(text + len, 1, cap - len - 1, f);
        len += r;
        if (r == 0)
            break;
    }
    fclose(f);
    text[len] = '\0';
    if (strlen(text) != len) {
        free(text);
        return sdc_error_set(err, SDC_ERR_CONFIG, "%s: holds a NUL byte", path);
    }
    rc = web_users_parse(path, text, out, err);
    free(text);
    return rc;
}

size_t web_users_count(const struct web_users *u)
{
    return u ? u->n : 0;
}

bool web_users_check(const struct web_users *u, const char *user,
                     const char *password)
{
    const char *hash = dummy_hash;
    struct crypt_data *cd;
    const char *got;
    bool known = false, ok;

    if (!u || !user || !password)
        return false;
    for (size_t i = 0; i < u->n; i++)
        if (web_ct_equal(u->u[i].name, user)) {
            hash = u->u[i].hash;
            known = true;
        }
    cd = calloc(1, sizeof(*cd));
    if (!cd)
        return false;
    got = crypt_r(password, hash, cd);
    ok = got && got[0] != '*' && web_ct_equal(got, hash);
    free(cd);
    return ok && known;
}

void web_users_free(struct web_users *u)
{
    if (!u)
        return;
    for (size_t i = 0; i < u->n; i++) {
        free(u->u[i].name);
        free(u->u[i].hash);
    }
    free(u->u);
    free(u);
}
