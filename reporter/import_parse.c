/*
 * import_parse.c - CSV lines, times and numbers for the importers.
 *
 * A hand-written splitter and number reader, not a CSV library or sscanf:
 * the history importer reads tens of millions of lines and the benchmark
 * asks for over 500,000 rows/s, so each line is split with memchr and its
 * fields converted without allocation; strtod only sees the numbers the
 * fast path cannot convert exactly.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_priv.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

const char *imp_csv_split(const char *line, size_t len, char *out,
                          char **fields, size_t *lens, size_t max, size_t *n)
{
    const char *p = line;
    const char *end = line + len;
    char *o = out;
    size_t nf = 0;

    for (;;) {
        char *start;
        const char *q = p;

        /* blanks before an opening quote do not count */
        while (q < end && is_blank(*q))
            q++;
        if (q < end && *q == '"') {
            p = q + 1;
            start = o;
            for (;;) {
                if (p >= end)
                    return "a quoted field is not closed";
                if (*p == '"') {
                    if (p + 1 < end && p[1] == '"') {
                        *o++ = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                *o++ = *p++;
            }
            while (p < end && is_blank(*p))
                p++;
            if (p < end && *p != ',')
                return "text after the closing quote of a field";
        } else {
            const char *c = p < end ? memchr(p, ',', (size_t)(end - p)) : NULL;
            const char *fe = c ? c : end;
            const char *fs = p;
            while (fs < fe && is_blank(*fs))
                fs++;
            while (fe > fs && is_blank(fe[-1]))
                fe--;
            start = o;
            memcpy(o, fs, (size_t)(fe - fs));
            o += fe - fs;
            p = c ? c : end;
        }
        if (nf < max) {
            fields[nf] = start;
            lens[nf] = (size_t)(o - start);
        }
        *o++ = '\0';
        nf++;
        if (p >= end)
            break;
        p++; /* the comma; a comma at the end leaves one empty field */
        if (nf >= IMP_MAX_FIELDS && nf >= max) {
            /* count the rest without copying */
            for (; p < end; p++)
                if (*p == ',')
                    nf++;
            nf++;
            break;
        }
    }
    *n = nf;
    return NULL;
}

/* ---- times ---- */

void imp_tzcache_init(struct imp_tzcache *c)
{
    for (size_t i = 0; i < IMP_TZCACHE; i++)
        c->key[i] = INT64_MIN;
}

static bool two_digits(const char *s, int *out)
{
    if (!is_digit(s[0]) || !is_digit(s[1]))
        return false;
    *out = (s[0] - '0') * 10 + (s[1] - '0');
    return true;
}

static bool leap_year(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
    return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

/* Leap days in the years 1..@y. */
static int64_t leaps_through(int64_t y)
{
    return y / 4 - y / 100 + y / 400;
}

/* Days from 1970-01-01 to @y-@m-@d (a valid date, year 1970..9999). */
static int64_t days_since_epoch(int y, int m, int d)
{
    static const int before[12] = {0,   31,  59,  90,  120, 151,
                                   181, 212, 243, 273, 304, 334};
    int64_t days =
        365 * (int64_t)(y - 1970) + leaps_through(y - 1) - leaps_through(1969);
    days += before[m - 1] + (m > 2 && leap_year(y) ? 1 : 0);
    return days + d - 1;
}

/* Local wall-clock seconds @local (as if UTC) to Unix time. */
static bool local_to_utc(int64_t local, struct imp_tzcache *tz, time_t *out)
{
    int64_t hour = local >= 0 ? local / 3600 : -((-local + 3599) / 3600);
    size_t slot = (size_t)((uint64_t)hour % IMP_TZCACHE);

    if (tz && tz->key[slot] == hour) {
        *out = (time_t)(local - tz->off[slot]);
        return true;
    }
    {
        time_t lt = (time_t)local;
        struct tm tm;
        time_t t;
        if (!gmtime_r(&lt, &tm))
            return false;
        tm.tm_isdst = -1;
        t = mktime(&tm);
        if (t == (time_t)-1)
            return false;
        if (tz) {
            /* the offset of the hour; times inside it share it */
            tz->key[slot] = hour;
            tz->off[slot] = local - (int64_t)t;
        }
        *out = t;
        return true;
    }
}

static bool parse_epoch(const char *s, size_t len, time_t *out)
{
    int64_t v = 0;
    size_t i = 0;

    if (len == 0)
        return false;
    for (; i < len && is_digit(s[i]); i++) {
        if (v > (INT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (i == 0)
        return false;
    if (i < len) {
        if (s[i] != '.')
            return false;
        for (i++; i < len; i++)
            if (!is_digit(s[i]))
                return false;
    }
    *out = (time_t)v;
    return true;
}

bool imp_parse_time(const char *s, size_t len, struct imp_tzcache *tz,
                    time_t *out)
{
    int y, m, d, hh = 0, mm = 0, ss = 0, c1, c2;
    int64_t secs;
    size_t i;

    if (len < 10 || s[4] != '-')
        return parse_epoch(s, len, out);
    if (!two_digits(s, &c1) || !two_digits(s + 2, &c2) ||
        !two_digits(s + 5, &m) || s[7] != '-' || !two_digits(s + 8, &d))
        return false;
    y = c1 * 100 + c2;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > month_days(y, m))
        return false;
    i = 10;
    if (i < len) {
        if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
            return false;
        i++;
        if (len < i + 5 || !two_digits(s + i, &hh) || s[i + 2] != ':' ||
            !two_digits(s + i + 3, &mm))
            return false;
        i += 5;
        if (i < len && s[i] == ':') {
            if (len < i + 3 || !two_digits(s + i + 1, &ss))
                return false;
            i += 3;
            if (i < len && (s[i] == '.' || s[i] == ',')) {
                size_t f = ++i;
                while (i < len && is_digit(s[i]))
                    i++;
                if (i == f)
                    return false;
            }
        }
        if (hh > 23 || mm > 59 || ss > 59)
            return false;
    }
    secs = days_since_epoch(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
    if (i == len)
        return local_to_utc(secs, tz, out);
    if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
        *out = (time_t)secs;
        return true;
    }
    if (s[i] == '+' || s[i] == '-') {
        int sign = s[i] == '-' ? -1 : 1;
        int oh, om = 0;
        size_t rest = len - i - 1;
        const char *z = s + i + 1;
        if (rest < 2 || !two_digits(z, &oh))
            return false;
        if (rest == 5 && z[2] == ':') {
            if (!two_digits(z + 3, &om))
                return false;
        } else if (rest == 4) {
            if (!two_digits(z + 2, &om))
                return false;
        } else if (rest != 2) {
            return false;
        }
        if (oh > 18 || om > 59)
            return false;
        *out = (time_t)(secs - sign * (oh * 3600 + om * 60));
        return true;
    }
    return false;
}

/* ---- numbers ---- */

bool imp_is_unknown(const char *s, size_t len)
{
    if (len == 0)
        return true;
    if (len == 1)
        return s[0] == 'U' || s[0] == 'u';
    if (len == 3)
        return (s[0] == 'N' || s[0] == 'n') && (s[1] == 'A' || s[1] == 'a') &&
               (s[2] == 'N' || s[2] == 'n');
    return false;
}

static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static bool slow_double(const char *s, size_t len, locale_t loc, double *out)
{
    char buf[128];
    char *end;
    double v;

    if (len == 0 || len >= sizeof(buf))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    /* strtod also reads hex, "inf" and "nan": only decimals are numbers */
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (!is_digit(c) && c != '.' && c != 'e' && c != 'E' && c != '+' &&
            c != '-')
            return false;
    }
    v = strtod_l(buf, &end, loc);
    if (end != buf + len || !isfinite(v))
        return false;
    *out = v;
    return true;
}

bool imp_parse_double(const char *s, size_t len, locale_t loc, double *out)
{
    const char *p = s;
    const char *end = s + len;
    uint64_t mant = 0;
    int digits = 0;
    int exp10 = 0;
    bool any = false;
    bool neg = false;

    if (p < end && (*p == '+' || *p == '-')) {
        neg = *p == '-';
        p++;
    }
    for (; p < end && is_digit(*p); p++) {
        any = true;
        if (digits == 0 && *p == '0')
            continue;
        if (digits < 19) {
            mant = mant * 10 + (uint64_t)(*p - '0');
            digits++;
        } else {
            exp10++;
        }
    }
    if (p < end && *p == '.') {
        for (p++; p < end && is_digit(*p); p++) {
            any = true;
            if (digits == 0 && *p == '0') {
                exp10--;
                continue;
            }
            if (digits < 19) {
                mant = mant * 10 + (uint64_t)(*p - '0');
                digits++;
                exp10--;
            }
        }
    }
    if (!any)
        return false;
    if (p < end && (*p == 'e' || *p == 'E')) {
        int esign = 1;
        int e = 0;
        const char *ed;
        p++;
        if (p < end && (*p == '+' || *p == '-')) {
            esign = *p == '-' ? -1 : 1;
            p++;
        }
        ed = p;
        for (; p < end && is_digit(*p); p++)
            if (e < 100000)
                e = e * 10 + (*p - '0');
        if (p == ed)
            return false;
        exp10 += esign * e;
    }
    if (p != end)
        return false;
    if (digits <= 15 && exp10 >= -22 && exp10 <= 22) {
        /* mant < 10^15 < 2^53 is exact, so one IEEE operation rounds the
         * exact value correctly (Clinger's fast path) */
        double v = (double)mant;
        v = exp10 < 0 ? v / pow10_exact[-exp10] : v * pow10_exact[exp10];
        *out = neg ? -v : v;
        return true;
    }
    return slow_double(s, len, loc, out);
}

bool imp_parse_count(const char *s, size_t len, locale_t loc, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    double d;

    if (len > 0 && s[0] == '+')
        i++;
    if (i < len) {
        size_t j = i;
        for (; j < len && is_digit(s[j]); j++) {
            unsigned dg = (unsigned)(s[j] - '0');
            if (v > (UINT64_MAX - dg) / 10)
                break;
            v = v * 10 + dg;
        }
        if (j == len) {
            *out = v;
            return true;
        }
    }
    if (!imp_parse_double(s, len, loc, &d) || d < 0 || floor(d) != d ||
        d >= 18446744073709551616.0)
        return false;
    *out = (uint64_t)d;
    return true;
}

const char *imp_show(char *buf, size_t size, const char *s, size_t len)
{
    size_t cut = 48;
    size_t n = 0;

    if (size < 8)
        return "";
    if (cut > size - 4)
        cut = size - 4;
    for (size_t i = 0; i < len && n < cut; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (len > cut) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

char *imp_u64toa(char *p, uint64_t v)
{
    char tmp[20];
    size_t n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

char *imp_fmt_gauge(char *p, double v)
{
    int n;

    if (v < 1e15 && v == (double)(uint64_t)v)
        return imp_u64toa(p, (uint64_t)v);
    /* 17 significant digits read back as the same double */
    n = snprintf(p, 32, "%.17g", v);
    return p + (n > 0 && n < 32 ? n : 0);
}
