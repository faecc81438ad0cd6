/*
 * json_util.c - jansson helpers shared by the report documents
 * (json_util.h).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"

size_t ju_utf8_decode(const unsigned char *p, uint32_t *cp)
{
    size_t n;
    uint32_t c;
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2;
        c = p[0] & 0x1fu;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3;
        c = p[0] & 0x0fu;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;
        c = p[0] & 0x07u;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (p[i] & 0x3fu);
    }
    if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
        (n == 4 && (c < 0x10000 || c > 0x10ffff)))
        return 0;
    *cp = c;
    return n;
}

size_t ju_utf8_len(const unsigned char *p)
{
    uint32_t cp;
    return ju_utf8_decode(p, &cp);
}

/* A copy of @s with invalid UTF-8 replaced by U+FFFD (jansson refuses
 * invalid strings; names come from hypervisors and files). */
static char *utf8_clean(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n * 3 + 1), *o = out;
    const unsigned char *p = (const unsigned char *)s;
    if (!out)
        return NULL;
    while (*p) {
        size_t len = ju_utf8_len(p);
        if (len) {
            memcpy(o, p, len);
            o += len;
            p += len;
        } else {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3;
            p++;
        }
    }
    *o = 0;
    return out;
}

json_t *ju_string(const char *s)
{
    json_t *j;
    char *clean;
    if (!s)
        return json_string("");
    j = json_string(s);
    if (j)
        return j;
    clean = utf8_clean(s);
    j = clean ? json_string(clean) : NULL;
    free(clean);
    return j;
}
