/*
 * json_util.c - jansson helpers shared by the report documents
 * (json_util.h).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"

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
        size_t len = *p < 0x80             ? 1
                     : (*p & 0xE0) == 0xC0 ? 2
                     : (*p & 0xF0) == 0xE0 ? 3
                     : (*p & 0xF8) == 0xF0 ? 4
                                           : 0;
        bool ok = len > 0;
        for (size_t k = 1; ok && k < len; k++)
            ok = (p[k] & 0xC0) == 0x80;
        if (ok) {
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
