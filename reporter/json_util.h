/*
 * json_util.h - jansson helpers shared by the report documents (digest.c,
 * monthly_doc.c, augment_doc.c), which build report.json from many small
 * values and remember a failure for the end instead of checking each one.
 */
#ifndef SDC_REPORTER_JSON_UTIL_H
#define SDC_REPORTER_JSON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/*
 * ju_set_new - json_object_set_new() that takes @v in every case.
 * @o: the object; NULL (its creation failed) is a failure
 * @k: the key
 * @v: the value, a new reference the call takes; NULL is a failure
 *
 * jansson already frees @v when json_object_set_new() fails; this also
 * frees it when @o is NULL, where jansson is not called.
 *
 * Return: true when @v was stored.
 */
static inline bool ju_set_new(json_t *o, const char *k, json_t *v)
{
    if (!o) {
        json_decref(v);
        return false;
    }
    return v && json_object_set_new(o, k, v) == 0;
}

/*
 * ju_append_new - json_array_append_new() that takes @v in every case.
 * @a: the array; NULL (its creation failed) is a failure
 * @v: the value, a new reference the call takes; NULL is a failure
 *
 * Return: true when @v was appended.
 */
static inline bool ju_append_new(json_t *a, json_t *v)
{
    if (!a) {
        json_decref(v);
        return false;
    }
    return v && json_array_append_new(a, v) == 0;
}

/*
 * ju_utf8_decode - the valid UTF-8 sequence at @p: its length (1..4) and,
 * in *@cp, its code point; 0 (and *@cp untouched) when it is not one (a
 * stray or truncated byte, an overlong form, a surrogate, past U+10FFFF).
 * @p: the text, NUL-terminated (a NUL ends any sequence)
 *
 * Return: 1..4, or 0.
 */
size_t ju_utf8_decode(const unsigned char *p, uint32_t *cp);

/*
 * ju_utf8_len - the length of the valid UTF-8 sequence at @p (1..4), or 0
 * when it is not one (a stray or truncated byte, an overlong form, a
 * surrogate, past U+10FFFF: what jansson refuses).
 * @p: the text, NUL-terminated (a NUL ends any sequence)
 *
 * Return: 1..4, or 0.
 */
size_t ju_utf8_len(const unsigned char *p);

/*
 * ju_string - a JSON string of @s, with every byte that is not part of a
 * valid UTF-8 sequence replaced by U+FFFD (jansson refuses invalid UTF-8;
 * names come from hypervisors, SNMP agents and files).
 * @s: the text; NULL is ""
 *
 * Return: a new reference, or NULL when out of memory.
 */
json_t *ju_string(const char *s);

#endif
