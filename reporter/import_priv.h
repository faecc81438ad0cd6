/*
 * import_priv.h - CSV lines, times and numbers, shared by the history and
 * inventory importers (import.c, import_inventory.c) and their tests.
 */
#ifndef SDC_IMPORT_PRIV_H
#define SDC_IMPORT_PRIV_H

#include <locale.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Longest line accepted; longer ones are skipped and reported. */
#define IMP_LINE_MAX (64 * 1024)
/* Most fields split out of one line (more are counted, not kept). */
#define IMP_MAX_FIELDS 64
/* Times before this (1980-01-01T00:00:00Z) are refused. */
#define IMP_TIME_MIN 315532800

/*
 * imp_csv_split - split one line (without its line break) into fields:
 * RFC 4180 quoting ("a ""b""" is a "b"), no line breaks inside quotes;
 * unquoted fields lose surrounding blanks.  Each field is copied,
 * NUL-terminated, into @out, which must hold @len + IMP_MAX_FIELDS + 1
 * bytes.  The first @max fields are listed in @fields and @lens; *@n is
 * the number of fields on the line.
 * @return: NULL, or what is wrong with the quoting.
 */
const char *imp_csv_split(const char *line, size_t len, char *out,
                          char **fields, size_t *lens, size_t max, size_t *n);

/* Local times (no zone given) are converted with mktime(), cached per
 * hour of the local clock. */
#define IMP_TZCACHE 64
struct imp_tzcache {
    int64_t key[IMP_TZCACHE]; /* local seconds / 3600, or INT64_MIN */
    int64_t off[IMP_TZCACHE]; /* local seconds - UTC seconds */
};

void imp_tzcache_init(struct imp_tzcache *c);

/*
 * imp_parse_time - @s (@len bytes) as Unix seconds: epoch seconds (a
 * fraction is cut off), or ISO 8601: "YYYY-MM-DD", then optionally "T" or
 * " " and "hh:mm", ":ss", ".fraction", then optionally "Z" or an offset
 * (+hh:mm, +hhmm, +hh).  Without a zone the time is local (the TZ of the
 * process); a date alone is local midnight.
 * @return: false when @s is neither.
 */
bool imp_parse_time(const char *s, size_t len, struct imp_tzcache *tz,
                    time_t *out);

/* imp_is_unknown - an empty field, "U" or "NaN" (any case): no value. */
bool imp_is_unknown(const char *s, size_t len);

/*
 * imp_parse_double - a decimal number as strtod would read it in the C
 * locale (@loc), the whole of @s: [+-]digits[.digits][e[+-]digits].  The
 * common case (at most 15 significant digits, exponent within 22) is
 * converted exactly without strtod.  Infinity and NaN are refused.
 */
bool imp_parse_double(const char *s, size_t len, locale_t loc, double *out);

/*
 * imp_parse_count - a whole number >= 0 below 2^64: digits, or a decimal
 * whose value is whole ("1.5e9").
 */
bool imp_parse_count(const char *s, size_t len, locale_t loc, uint64_t *out);

/* imp_show - @s (@len bytes) for a message: printable ASCII only (others
 * become '?'), cut to 48 characters with "..." */
const char *imp_show(char *buf, size_t size, const char *s, size_t len);

/* imp_u64toa - the decimal digits of @v at @p; returns the end. */
char *imp_u64toa(char *p, uint64_t v);

/* imp_fmt_gauge - @v (finite, >= 0) as text librrd reads back exactly,
 * at @p (room for 32 bytes, C locale in effect); returns the end. */
char *imp_fmt_gauge(char *p, double v);

#endif
