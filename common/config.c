/*
 * config.c - load and validate the sdcmon configuration (DESIGN.md section 3).
 *
 * The file is parsed with libconfig, then every group is walked by hand: each
 * key is checked against the list of keys its group may hold, its type and
 * its range, and copied into struct sdc_config.  Every message starts with
 * "FILE:LINE: ".  Nothing here prints or exits.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "sdc/config.h"
#include "sdc/schema.h"
#include "sdc/log.h"

/* Longest secret accepted from a *_file (SNMP passphrases are far shorter). */
#define SECRET_FILE_MAX 4096
/* Longest "where" prefix: "snmp[123].interfaces". */
#define WHERE_LEN 96

enum secret_bit {
    SECRET_COMMUNITY = 1u << 0,
    SECRET_AUTH = 1u << 1,
    SECRET_PRIV = 1u << 2,
    SECRET_PEER = 1u << 3,
};

/* One file that holds inline secrets (the main file or an @include). */
struct secret_src {
    const char *file; /* owned by libconfig */
    unsigned mask;    /* enum secret_bit */
};

struct loader {
    const char *path; /* as given by the caller */
    char *dir;        /* directory of @path, for relative *_file names */
    struct sdc_config *cfg;
    struct sdc_error *err;
    struct secret_src *secrets;
    size_t n_secrets;
};

/* ---------------------------------------------------------------- helpers */

static const char *errno_text(int e, char *buf, size_t len)
{
    /* GNU strerror_r (we build with _GNU_SOURCE) */
    return strerror_r(e, buf, len);
}

static const char *set_file(const struct loader *ld, const config_setting_t *s)
{
    const char *f = s ? config_setting_source_file(s) : NULL;
    return f ? f : ld->path;
}

static enum sdc_rc nomem(struct loader *ld)
{
    return sdc_error_set(ld->err, SDC_ERR_NOMEM, "%s: out of memory", ld->path);
}

/* Format "FILE:LINE: " + message into @out. */
static void vformat_at(const struct loader *ld, const config_setting_t *s,
                       char *out, size_t len, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

static void vformat_at(const struct loader *ld, const config_setting_t *s,
                       char *out, size_t len, const char *fmt, va_list ap)
{
    unsigned line = s ? config_setting_source_line(s) : 0;
    int n;
    if (line)
        n = snprintf(out, len, "%s:%u: ", set_file(ld, s), line);
    else
        n = snprintf(out, len, "%s: ", set_file(ld, s));
    if (n >= 0 && (size_t)n < len)
        vsnprintf(out + n, len - (size_t)n, fmt, ap);
}

static enum sdc_rc cfg_error(struct loader *ld, const config_setting_t *s,
                             const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum sdc_rc cfg_error(struct loader *ld, const config_setting_t *s,
                             const char *fmt, ...)
{
    char buf[SDC_ERROR_MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vformat_at(ld, s, buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return sdc_error_set(ld->err, SDC_ERR_CONFIG, "%s", buf);
}

static enum sdc_rc cfg_warn(struct loader *ld, const config_setting_t *s,
                            const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum sdc_rc cfg_warn(struct loader *ld, const config_setting_t *s,
                            const char *fmt, ...)
{
    struct sdc_config *cfg = ld->cfg;
    char buf[SDC_ERROR_MSG_LEN];
    char **nw;
    va_list ap;
    va_start(ap, fmt);
    vformat_at(ld, s, buf, sizeof(buf), fmt, ap);
    va_end(ap);
    nw = realloc(cfg->warnings, (cfg->n_warnings + 1) * sizeof(*nw));
    if (!nw)
        return nomem(ld);
    cfg->warnings = nw;
    nw[cfg->n_warnings] = strdup(buf);
    if (!nw[cfg->n_warnings])
        return nomem(ld);
    cfg->n_warnings++;
    return SDC_OK;
}

/* Replace *@dst by a copy of @src. */
static enum sdc_rc set_str(struct loader *ld, char **dst, const char *src)
{
    char *p = strdup(src);
    if (!p)
        return nomem(ld);
    free(*dst);
    *dst = p;
    return SDC_OK;
}

/* "where.key", or "key" at the top level. */
static const char *kpath(char *buf, size_t len, const char *where,
                         const char *key)
{
    if (where && *where)
        snprintf(buf, len, "%s.%s", where, key);
    else
        snprintf(buf, len, "%s", key);
    return buf;
}

static const char *type_name(int type)
{
    switch (type) {
    case CONFIG_TYPE_GROUP:
        return "a group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return "an integer";
    case CONFIG_TYPE_FLOAT:
        return "a float";
    case CONFIG_TYPE_STRING:
        return "a string";
    case CONFIG_TYPE_BOOL:
        return "a boolean";
    case CONFIG_TYPE_ARRAY:
        return "an array";
    case CONFIG_TYPE_LIST:
        return "a list";
    }
    return "nothing";
}

static enum sdc_rc type_error(struct loader *ld, const config_setting_t *s,
                              const char *where, const char *key,
                              const char *want)
{
    char kp[WHERE_LEN + 64];
    return cfg_error(ld, s, "%s must be %s, not %s",
                     kpath(kp, sizeof(kp), where, key), want,
                     type_name(config_setting_type(s)));
}

static bool in_list(const char *s, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

/* Edit distance of two short strings; SIZE_MAX if either is too long. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t prev[64], cur[64];
    if (la >= 64 || lb >= 64)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            size_t m = sub < del ? sub : del;
            cur[j] = m < ins ? m : ins;
        }
        memcpy(prev, cur, (lb + 1) * sizeof(prev[0]));
    }
    return prev[lb];
}

/* The allowed key closest to @name, if it is a likely typo. */
static const char *closest_key(const char *name, const char *const *list)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; list[i]; i++) {
        size_t d = edit_distance(name, list[i]);
        if (d < best_d && d < strlen(list[i])) {
            best = list[i];
            best_d = d;
        }
    }
    return best;
}

/* Refuse any member of group @grp that is not in @allowed. */
static enum sdc_rc check_keys(struct loader *ld, const config_setting_t *grp,
                              const char *where, const char *const *allowed)
{
    int n = config_setting_length(grp);
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(grp, (unsigned)i);
        const char *name = config_setting_name(m);
        const char *near;
        char hint[96] = "";
        if (!name || in_list(name, allowed))
            continue;
        near = closest_key(name, allowed);
        if (near)
            snprintf(hint, sizeof(hint), " (did you mean '%s'?)", near);
        if (where && *where)
            return cfg_error(ld, m, "unknown key '%s' in %s%s", name, where,
                             hint);
        return cfg_error(ld, m, "unknown key '%s'%s", name, hint);
    }
    return SDC_OK;
}

/* String member @key of @grp into *@dst (unchanged when absent). */
static enum sdc_rc get_string(struct loader *ld, const config_setting_t *grp,
                              const char *where, const char *key, char **dst)
{
    const config_setting_t *s = config_setting_get_member(grp, key);
    if (!s)
        return SDC_OK;
    if (config_setting_type(s) != CONFIG_TYPE_STRING)
        return type_error(ld, s, where, key, "a string");
    return set_str(ld, dst, config_setting_get_string(s));
}

/* Like get_string, but the value may not be "". */
static enum sdc_rc get_nonempty(struct loader *ld, const config_setting_t *grp,
                                const char *where, const char *key, char **dst)
{
    const config_setting_t *s = config_setting_get_member(grp, key);
    char kp[WHERE_LEN + 64];
    enum sdc_rc rc = get_string(ld, grp, where, key, dst);
    if (rc == SDC_OK && s && !**dst)
        rc = cfg_error(ld, s, "%s must not be empty",
                       kpath(kp, sizeof(kp), where, key));
    return rc;
}

/* Integer member @key in [@min, @max] into *@dst (unchanged when absent). */
static enum sdc_rc get_int(struct loader *ld, const config_setting_t *grp,
                           const char *where, const char *key, int *dst,
                           int min, int max)
{
    const config_setting_t *s = config_setting_get_member(grp, key);
    char kp[WHERE_LEN + 64];
    long long v;
    if (!s)
        return SDC_OK;
    if (config_setting_type(s) != CONFIG_TYPE_INT &&
        config_setting_type(s) != CONFIG_TYPE_INT64)
        return type_error(ld, s, where, key, "an integer");
    v = config_setting_get_int64(s);
    kpath(kp, sizeof(kp), where, key);
    if (v < min || v > max) {
        if (max == INT_MAX)
            return cfg_error(ld, s, "%s must be at least %d (got %lld)", kp,
                             min, v);
        return cfg_error(ld, s, "%s must be between %d and %d (got %lld)", kp,
                         min, max, v);
    }
    *dst = (int)v;
    return SDC_OK;
}

enum num_range {
    NUM_ANY,      /* any finite number */
    NUM_POSITIVE, /* > 0 */
    NUM_FRACTION, /* in (0, 1] */
};

/* Number member (integer or float) into *@dst (unchanged when absent). */
static enum sdc_rc get_number(struct loader *ld, const config_setting_t *grp,
                              const char *where, const char *key, double *dst,
                              enum num_range range)
{
    const config_setting_t *s = config_setting_get_member(grp, key);
    char kp[WHERE_LEN + 64];
    double v;
    if (!s)
        return SDC_OK;
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        v = (double)config_setting_get_int64(s);
        break;
    case CONFIG_TYPE_FLOAT:
        v = config_setting_get_float(s);
        break;
    default:
        return type_error(ld, s, where, key, "a number");
    }
    kpath(kp, sizeof(kp), where, key);
    if (!isfinite(v))
        return cfg_error(ld, s, "%s must be a finite number", kp);
    if (range == NUM_POSITIVE && !(v > 0))
        return cfg_error(ld, s, "%s must be greater than 0 (got %g)", kp, v);
    if (range == NUM_FRACTION && !(v > 0 && v <= 1))
        return cfg_error(ld, s, "%s must be in (0, 1] (got %g)", kp, v);
    *dst = v;
    return SDC_OK;
}

/* Group member @key into *@out (NULL when absent). */
static enum sdc_rc get_group(struct loader *ld, const config_setting_t *grp,
                             const char *where, const char *key,
                             const config_setting_t **out)
{
    const config_setting_t *s = config_setting_get_member(grp, key);
    *out = NULL;
    if (!s)
        return SDC_OK;
    if (config_setting_type(s) != CONFIG_TYPE_GROUP)
        return type_error(ld, s, where, key, "a group { ... }");
    *out = s;
    return SDC_OK;
}

/*
 * List member @key whose elements are groups, into *@out (NULL when absent).
 * An empty array "[]" is taken as an empty list.
 */
static enum sdc_rc get_group_list(struct loader *ld,
                                  const config_setting_t *grp, const char *key,
                                  const config_setting_t **out)
{
    const config_setting_t *s = config_setting_get_member(grp, key);
    int n;
    *out = NULL;
    if (!s)
        return SDC_OK;
    if (config_setting_type(s) != CONFIG_TYPE_LIST &&
        !(config_setting_type(s) == CONFIG_TYPE_ARRAY &&
          config_setting_length(s) == 0))
        return type_error(ld, s, NULL, key, "a list ( { ... }, ... )");
    n = config_setting_length(s);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if (config_setting_type(e) != CONFIG_TYPE_GROUP)
            return cfg_error(ld, e, "%s[%d] must be a group { ... }, not %s",
                             key, i, type_name(config_setting_type(e)));
    }
    *out = s;
    return SDC_OK;
}

static enum sdc_rc missing_key(struct loader *ld, const config_setting_t *el,
                               const char *where, const char *key)
{
    return cfg_error(ld, el, "missing key '%s' in %s", key, where);
}

/* Set @out to the line of the first of @n entries of @arr named @nm, or 0. */
/* Two names that become the same archive path component are duplicates too
 * ("a b" and "a_b" are both "a_b" under rrd/). */
static bool same_archive_name(const char *a, const char *b)
{
    char sa[SDC_NAME_MAX], sb[SDC_NAME_MAX];
    if (strcmp(a, b) == 0)
        return true;
    sdc_name_sanitize(a, sa, sizeof(sa));
    sdc_name_sanitize(b, sb, sizeof(sb));
    return strcmp(sa, sb) == 0;
}

#define FIND_DUP(arr, n, nm, out)                                              \
    do {                                                                       \
        (out) = 0;                                                             \
        dup_name = NULL;                                                       \
        for (size_t k_ = 0; k_ < (n); k_++) {                                  \
            if (same_archive_name((arr)[k_].name, (nm))) {                     \
                (out) = (arr)[k_].line;                                        \
                dup_name = (arr)[k_].name;                                     \
                break;                                                         \
            }                                                                  \
        }                                                                      \
    } while (0)

/* ------------------------------------------------------------- validators */

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return n > 0;
}

static int digits_value(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* Whether @s is a real calendar date written YYYY-MM-DD. */
static bool date_valid(const char *s)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d, last;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !all_digits(s, 4) ||
        !all_digits(s + 5, 2) || !all_digits(s + 8, 2))
        return false;
    y = digits_value(s, 4);
    m = digits_value(s + 5, 2);
    d = digits_value(s + 8, 2);
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return false;
    last = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        last = 29;
    return d <= last;
}

/* "H:MM" or "HH:MM" to minutes after midnight; false if malformed. */
static bool hhmm_parse(const char *s, int *second)
{
    const char *colon = strchr(s, ':');
    const char *colon2;
    size_t hl;
    int h, m, sec = 0;
    if (!colon)
        return false;
    hl = (size_t)(colon - s);
    colon2 = strchr(colon + 1, ':');
    if (hl < 1 || hl > 2 || !all_digits(s, hl) || !all_digits(colon + 1, 2))
        return false;
    if (colon2) {
        /* HH:MM:SS (seconds are for tests: a schedule a few seconds out) */
        if (colon2 != colon + 3 || strlen(colon2 + 1) != 2 ||
            !all_digits(colon2 + 1, 2))
            return false;
        sec = digits_value(colon2 + 1, 2);
    } else if (strlen(colon + 1) != 2) {
        return false;
    }
    h = digits_value(s, hl);
    m = digits_value(colon + 1, 2);
    if (h > 23 || m > 59 || sec > 59)
        return false;
    *second = (h * 60 + m) * 60 + sec;
    return true;
}

/*
 * A webhook URL: http:// or https://, a host, nothing but printable ASCII
 * without blanks.  On failure write why into @why.
 */
static bool webhook_url_valid(const char *s, char *why, size_t len)
{
    const char *rest;
    size_t hl;
    if (strncasecmp(s, "http://", 7) == 0)
        rest = s + 7;
    else if (strncasecmp(s, "https://", 8) == 0)
        rest = s + 8;
    else {
        snprintf(why, len, "the scheme must be http:// or https://");
        return false;
    }
    if (strlen(s) > 2000) {
        snprintf(why, len, "longer than 2000 characters");
        return false;
    }
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
            snprintf(why, len, "blanks, control or non-ASCII characters");
            return false;
        }
    hl = strcspn(rest, "/?#");
    if (hl == 0 || rest[0] == ':' || rest[0] == '@') {
        snprintf(why, len, "no host");
        return false;
    }
    return true;
}

/* One mail address "local@domain" of safe characters (no header tricks). */
static bool mail_address_valid(const char *s, size_t n)
{
    static const char local_ok[] = "!#$%&'*+/=?^_`{|}~.-";
    const char *at = memchr(s, '@', n);
    size_t ll;
    if (!at || at == s || (size_t)(at - s) + 1 >= n)
        return false;
    ll = (size_t)(at - s);
    for (size_t i = 0; i < ll; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr(local_ok, s[i]))
            return false;
    for (size_t i = ll + 1; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '-')
            return false;
    return true;
}

/* A comma-separated list of mail addresses (blanks around them allowed). */
static bool mail_list_valid(const char *s, bool one)
{
    size_t count = 0;
    while (*s) {
        size_t n;
        while (*s == ' ')
            s++;
        n = strcspn(s, ",");
        while (n > 0 && s[n - 1] == ' ')
            n--;
        if (!mail_address_valid(s, n))
            return false;
        count++;
        s += n;
        while (*s == ' ')
            s++;
        if (*s == ',')
            s++;
        else if (*s)
            return false;
    }
    return count > 0 && (!one || count == 1);
}

/*
 * Check a web.listen value "HOST:PORT": HOST is an IPv4 literal, "[IPv6]",
 * "localhost" or "*"; PORT is 1..65535.  On failure write why into @why.
 */
static bool listen_valid(const char *s, char *why, size_t len)
{
    const char *colon = strrchr(s, ':');
    const char *port;
    size_t hl, pl;
    char host[INET6_ADDRSTRLEN + 2];
    unsigned char addr[sizeof(struct in6_addr)];
    if (!colon) {
        snprintf(why, len, "no port (expected HOST:PORT)");
        return false;
    }
    port = colon + 1;
    pl = strlen(port);
    if (!all_digits(port, pl)) {
        snprintf(why, len, "port '%s' is not a number (expected 1..65535)",
                 port);
        return false;
    }
    if (pl > 5 || digits_value(port, pl) < 1 ||
        digits_value(port, pl) > 65535) {
        snprintf(why, len, "port %s is out of range 1..65535", port);
        return false;
    }
    hl = (size_t)(colon - s);
    if (hl == 0) {
        snprintf(why, len, "no host (use * for every address)");
        return false;
    }
    if (hl >= sizeof(host))
        goto bad_host;
    memcpy(host, s, hl);
    host[hl] = '\0';
    if (strcmp(host, "*") == 0 || strcmp(host, "localhost") == 0)
        return true;
    if (host[0] == '[') {
        if (hl < 3 || host[hl - 1] != ']')
            goto bad_host;
        host[hl - 1] = '\0';
        if (inet_pton(AF_INET6, host + 1, addr) == 1)
            return true;
        goto bad_host;
    }
    if (inet_pton(AF_INET, host, addr) == 1)
        return true;
bad_host:
    snprintf(why, len,
             "host '%.*s' is not an IPv4 address, [IPv6] address, "
             "localhost or *",
             (int)(hl > 64 ? 64 : hl), s);
    return false;
}

/*
 * Whether a valid web.listen value names a loopback address: 127.0.0.0/8,
 * [::1] or localhost ("*" is every address, not loopback).
 */
static bool listen_loopback(const char *s)
{
    const char *colon = strrchr(s, ':');
    size_t hl = colon ? (size_t)(colon - s) : 0;
    char host[INET6_ADDRSTRLEN + 2];
    struct in_addr a4;
    struct in6_addr a6;
    if (hl == 0 || hl >= sizeof(host))
        return false;
    memcpy(host, s, hl);
    host[hl] = '\0';
    if (strcmp(host, "localhost") == 0)
        return true;
    if (host[0] == '[' && hl > 2) {
        host[hl - 1] = '\0';
        return inet_pton(AF_INET6, host + 1, &a6) == 1 &&
               IN6_IS_ADDR_LOOPBACK(&a6);
    }
    return inet_pton(AF_INET, host, &a4) == 1 &&
           (ntohl(a4.s_addr) >> 24) == 127;
}

/* Compile @re (POSIX extended) to see that it is valid. */
static enum sdc_rc check_regex(struct loader *ld, const config_setting_t *s,
                               const char *where, const char *key,
                               const char *re)
{
    regex_t rx;
    int rc;
    char msg[128], kp[WHERE_LEN + 64];
    if (!*re)
        return SDC_OK;
    rc = regcomp(&rx, re, REG_EXTENDED | REG_NOSUB);
    if (rc == 0) {
        regfree(&rx);
        return SDC_OK;
    }
    regerror(rc, &rx, msg, sizeof(msg));
    return cfg_error(ld, s, "bad regex in %s '%s': %s",
                     kpath(kp, sizeof(kp), where, key), re, msg);
}

/* ---------------------------------------------------------------- secrets */

static enum sdc_rc record_secret(struct loader *ld, const config_setting_t *s,
                                 unsigned bit)
{
    const char *file = set_file(ld, s);
    struct secret_src *ns;
    for (size_t i = 0; i < ld->n_secrets; i++) {
        if (strcmp(ld->secrets[i].file, file) == 0) {
            ld->secrets[i].mask |= bit;
            return SDC_OK;
        }
    }
    ns = realloc(ld->secrets, (ld->n_secrets + 1) * sizeof(*ns));
    if (!ns)
        return nomem(ld);
    ld->secrets = ns;
    ns[ld->n_secrets].file = file;
    ns[ld->n_secrets].mask = bit;
    ld->n_secrets++;
    return SDC_OK;
}

/*
 * Whether @st is the packaged layout for a service account: owned by root,
 * mode 0640 (no write for the group, nothing for others), its group not
 * root's and the group of the account sdcmon runs as (the process's
 * effective group, or the primary group of `user`).  Only root and that
 * group can read it then, which is what 0600 gives a single account.
 */
static bool service_group_only(const struct loader *ld, const struct stat *st)
{
    const char *user = ld->cfg->user;
    if (st->st_uid != 0 || st->st_gid == 0 || (st->st_mode & 077) != 040)
        return false;
    if (getegid() == st->st_gid)
        return true;
    if (user && *user) {
        struct passwd pw, *res = NULL;
        char buf[4096];
        if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) == 0 && res &&
            res->pw_gid == st->st_gid)
            return true;
    }
    return false;
}

/* Refuse files that hold inline secrets and are open to group or others
 * (but see service_group_only). */
static enum sdc_rc check_secret_modes(struct loader *ld)
{
    for (size_t i = 0; i < ld->n_secrets; i++) {
        const struct secret_src *src = &ld->secrets[i];
        struct stat st;
        char names[96] = "", eb[128], *file;
        int rc;
        /* libconfig names an @include file as written: relative to us */
        if (strcmp(src->file, ld->path) == 0 || src->file[0] == '/')
            file = strdup(src->file);
        else if (asprintf(&file, "%s/%s", ld->dir, src->file) < 0)
            file = NULL;
        if (!file)
            return nomem(ld);
        rc = stat(file, &st);
        if (rc != 0) {
            enum sdc_rc r =
                sdc_error_set(ld->err, SDC_ERR_IO, "%s: cannot stat: %s", file,
                              errno_text(errno, eb, sizeof(eb)));
            free(file);
            return r;
        }
        if (!(st.st_mode & 077) || service_group_only(ld, &st)) {
            free(file);
            continue;
        }
        if (src->mask & SECRET_COMMUNITY)
            strncat(names, "community, ", sizeof(names) - strlen(names) - 1);
        if (src->mask & SECRET_AUTH)
            strncat(names, "auth_password, ",
                    sizeof(names) - strlen(names) - 1);
        if (src->mask & SECRET_PRIV)
            strncat(names, "priv_password, ",
                    sizeof(names) - strlen(names) - 1);
        if (src->mask & SECRET_PEER)
            strncat(names, "peer password, ",
                    sizeof(names) - strlen(names) - 1);
        names[strlen(names) - 2] = '\0'; /* drop the last ", " */
        sdc_error_set(ld->err, SDC_ERR_CONFIG,
                      "%s: holds secrets (%s) but is readable by others "
                      "(mode %04o); chmod 600 it or use *_password_file%s",
                      file, names, (unsigned)(st.st_mode & 07777),
                      (st.st_mode & 077) == 040
                          ? " (or chown root:GROUP and chmod 640 it, GROUP "
                            "being the group sdcmond runs as, e.g. sdcmon)"
                          : "");
        free(file);
        return SDC_ERR_CONFIG;
    }
    return SDC_OK;
}

/* Read the secret in file @s (relative to the config's directory). */
static enum sdc_rc read_secret_file(struct loader *ld,
                                    const config_setting_t *s, const char *kp,
                                    char **dst)
{
    const char *name = config_setting_get_string(s);
    char *full = NULL, buf[SECRET_FILE_MAX + 1], eb[128];
    struct stat st;
    size_t len = 0;
    ssize_t r;
    int fd;
    enum sdc_rc rc = SDC_OK;

    if (!*name)
        return cfg_error(ld, s, "%s must not be empty", kp);
    if (name[0] == '/')
        full = strdup(name);
    else if (asprintf(&full, "%s/%s", ld->dir, name) < 0)
        full = NULL;
    if (!full)
        return nomem(ld);
    fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        rc = cfg_error(ld, s, "cannot read %s '%s': %s", kp, full,
                       errno_text(errno, eb, sizeof(eb)));
        goto out;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = cfg_error(ld, s, "%s '%s' is not a regular file", kp, full);
        goto out_close;
    }
    if (st.st_mode & 077) {
        rc = cfg_error(ld, s,
                       "%s '%s' is readable by others (mode %04o); "
                       "chmod 600 it",
                       kp, full, (unsigned)(st.st_mode & 07777));
        goto out_close;
    }
    while (len < sizeof(buf) &&
           (r = read(fd, buf + len, sizeof(buf) - len)) != 0) {
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = cfg_error(ld, s, "cannot read %s '%s': %s", kp, full,
                           errno_text(errno, eb, sizeof(eb)));
            goto out_close;
        }
        len += (size_t)r;
    }
    if (len > SECRET_FILE_MAX) {
        rc = cfg_error(ld, s, "%s '%s' is longer than %d bytes", kp, full,
                       SECRET_FILE_MAX);
        goto out_close;
    }
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    buf[len] = '\0';
    if (len == 0 || memchr(buf, '\0', len)) {
        rc = cfg_error(ld, s, "%s '%s' holds no usable secret", kp, full);
        goto out_close;
    }
    rc = set_str(ld, dst, buf);
out_close:
    explicit_bzero(buf, sizeof(buf));
    close(fd);
out:
    free(full);
    return rc;
}

/*
 * Secret @key of SNMP element @el: either inline (@key) or from a file
 * (@key_file).  Inline ones are recorded for the file-mode check.
 */
static enum sdc_rc get_secret(struct loader *ld, const config_setting_t *el,
                              const char *where, const char *key, unsigned bit,
                              char **dst)
{
    char fkey[32], kp[WHERE_LEN + 64];
    const config_setting_t *inl, *fs;
    enum sdc_rc rc;
    snprintf(fkey, sizeof(fkey), "%s_file", key);
    inl = config_setting_get_member(el, key);
    fs = config_setting_get_member(el, fkey);
    if (inl && fs)
        return cfg_error(ld, fs, "%s has both %s and %s; use one", where, key,
                         fkey);
    if (inl) {
        rc = get_string(ld, el, where, key, dst);
        if (rc == SDC_OK && **dst)
            rc = record_secret(ld, inl, bit);
        return rc;
    }
    if (fs) {
        if (config_setting_type(fs) != CONFIG_TYPE_STRING)
            return type_error(ld, fs, where, fkey, "a string");
        return read_secret_file(ld, fs, kpath(kp, sizeof(kp), where, fkey),
                                dst);
    }
    return SDC_OK;
}

/* ---------------------------------------------------------------- groups */

static enum sdc_rc parse_host_model(struct loader *ld,
                                    const config_setting_t *grp,
                                    const char *where,
                                    struct sdc_host_model *hm)
{
    static const char *const keys[] = {"name", "cores", "memory_gb", NULL};
    enum sdc_rc rc;
    if ((rc = check_keys(ld, grp, where, keys)) ||
        (rc = get_nonempty(ld, grp, where, "name", &hm->name)) ||
        (rc = get_int(ld, grp, where, "cores", &hm->cores, 1, 1000000)) ||
        (rc = get_number(ld, grp, where, "memory_gb", &hm->memory_gb,
                         NUM_POSITIVE)))
        return rc;
    return SDC_OK;
}

static enum sdc_rc copy_host_model(struct loader *ld,
                                   struct sdc_host_model *dst,
                                   const struct sdc_host_model *src)
{
    dst->cores = src->cores;
    dst->memory_gb = src->memory_gb;
    return set_str(ld, &dst->name, src->name);
}

static enum sdc_rc parse_capacity(struct loader *ld,
                                  const config_setting_t *root)
{
    static const char *const keys[] = {"targets",         "risk",
                                       "lead_time_days",  "host_model",
                                       "storage_unit_tb", NULL};
    static const char *const tkeys[] = {"cpu", "memory", "storage", "network",
                                        NULL};
    struct sdc_capacity_cfg *c = &ld->cfg->capacity;
    const config_setting_t *grp, *t, *hm, *risk;
    enum sdc_rc rc;

    if ((rc = get_group(ld, root, NULL, "capacity", &grp)) || !grp)
        return rc;
    if ((rc = check_keys(ld, grp, "capacity", keys)) ||
        (rc = get_group(ld, grp, "capacity", "targets", &t)))
        return rc;
    if (t && ((rc = check_keys(ld, t, "capacity.targets", tkeys)) ||
              (rc = get_number(ld, t, "capacity.targets", "cpu", &c->target_cpu,
                               NUM_FRACTION)) ||
              (rc = get_number(ld, t, "capacity.targets", "memory",
                               &c->target_memory, NUM_FRACTION)) ||
              (rc = get_number(ld, t, "capacity.targets", "storage",
                               &c->target_storage, NUM_FRACTION)) ||
              (rc = get_number(ld, t, "capacity.targets", "network",
                               &c->target_network, NUM_FRACTION))))
        return rc;
    if ((rc = get_string(ld, grp, "capacity", "risk", &c->risk)))
        return rc;
    risk = config_setting_get_member(grp, "risk");
    if (strcmp(c->risk, "conservative") != 0 &&
        strcmp(c->risk, "expected") != 0)
        return cfg_error(ld, risk,
                         "unknown capacity.risk '%s' (expected conservative "
                         "or expected)",
                         c->risk);
    if ((rc = get_int(ld, grp, "capacity", "lead_time_days", &c->lead_time_days,
                      0, 3650)) ||
        (rc = get_number(ld, grp, "capacity", "storage_unit_tb",
                         &c->storage_unit_tb, NUM_POSITIVE)) ||
        (rc = get_group(ld, grp, "capacity", "host_model", &hm)))
        return rc;
    if (hm)
        return parse_host_model(ld, hm, "capacity.host_model", &c->host_model);
    return SDC_OK;
}

static enum sdc_rc parse_hypervisor(struct loader *ld,
                                    const config_setting_t *el, void *base,
                                    size_t idx)
{
    static const char *const keys[] = {"name", "uri", "cluster", "timeout",
                                       NULL};
    struct sdc_hypervisor_cfg *all = base, *h = &all[idx];
    char where[WHERE_LEN];
    int dup;
    const char *dup_name;
    enum sdc_rc rc;

    snprintf(where, sizeof(where), "hypervisors[%zu]", idx);
    h->line = config_setting_source_line(el);
    h->timeout = 10;
    if ((rc = check_keys(ld, el, where, keys)) ||
        (rc = get_nonempty(ld, el, where, "name", &h->name)) ||
        (rc = get_nonempty(ld, el, where, "uri", &h->uri)) ||
        (rc = get_nonempty(ld, el, where, "cluster", &h->cluster)) ||
        (rc = get_int(ld, el, where, "timeout", &h->timeout, 1, 86400)))
        return rc;
    if (!h->name)
        return missing_key(ld, el, where, "name");
    if (!h->uri)
        return missing_key(ld, el, where, "uri");
    if (!h->cluster && (rc = set_str(ld, &h->cluster, h->name)))
        return rc;
    FIND_DUP(all, idx, h->name, dup);
    if (dup)
        return strcmp(dup_name, h->name) == 0
                   ? cfg_error(
                         ld, config_setting_get_member(el, "name"),
                         "duplicate hypervisor name '%s' (first on line %d)",
                         h->name, dup)
                   : cfg_error(ld, config_setting_get_member(el, "name"),
                               "hypervisor name '%s' is '%s' of line %d once "
                               "reduced to [A-Za-z0-9._-] for archive paths",
                               h->name, dup_name, dup);
    return SDC_OK;
}

static enum sdc_rc parse_snmp_version(struct loader *ld,
                                      const config_setting_t *el,
                                      const char *where, int *version)
{
    const config_setting_t *s = config_setting_get_member(el, "version");
    const char *v;
    if (!s)
        return SDC_OK;
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: {
        long long n = config_setting_get_int64(s);
        if (n < 1 || n > 3)
            return cfg_error(ld, s,
                             "unknown version '%lld' in %s (expected 1, 2c "
                             "or 3)",
                             n, where);
        *version = (int)n;
        return SDC_OK;
    }
    case CONFIG_TYPE_STRING:
        v = config_setting_get_string(s);
        if (strcmp(v, "1") == 0)
            *version = 1;
        else if (strcasecmp(v, "2c") == 0 || strcmp(v, "2") == 0)
            *version = 2;
        else if (strcmp(v, "3") == 0)
            *version = 3;
        else
            return cfg_error(ld, s,
                             "unknown version '%s' in %s (expected 1, 2c or "
                             "3)",
                             v, where);
        return SDC_OK;
    default:
        return type_error(ld, s, where, "version", "a string or an integer");
    }
}

/* Map a protocol name to its canonical spelling from @names (NULL-ended). */
static enum sdc_rc canon_protocol(struct loader *ld, const config_setting_t *el,
                                  const char *where, const char *key,
                                  const char *const *names, const char *expect,
                                  char **value)
{
    if (!**value)
        return SDC_OK;
    if (strcasecmp(*value, "AES-128") == 0 && in_list("AES", names))
        return set_str(ld, value, "AES");
    for (size_t i = 0; names[i]; i++)
        if (strcasecmp(*value, names[i]) == 0)
            return set_str(ld, value, names[i]);
    return cfg_error(ld, config_setting_get_member(el, key),
                     "unknown %s '%s' in %s (expected %s)", key, *value, where,
                     expect);
}

static enum sdc_rc parse_snmp_v3(struct loader *ld, const config_setting_t *el,
                                 const char *where, struct sdc_snmp_cfg *d)
{
    static const char *const auths[] = {
        "MD5", "SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512", NULL};
    static const char *const privs[] = {"DES", "AES", "AES-192", "AES-256",
                                        NULL};
    const config_setting_t *ap, *pp;
    enum sdc_rc rc;

    if ((rc = canon_protocol(ld, el, where, "auth_protocol", auths,
                             "MD5, SHA, SHA-224, SHA-256, SHA-384 or SHA-512",
                             &d->auth_protocol)) ||
        (rc =
             canon_protocol(ld, el, where, "priv_protocol", privs,
                            "DES, AES, AES-192 or AES-256", &d->priv_protocol)))
        return rc;
    if (d->version != 3)
        return SDC_OK;
    ap = config_setting_get_member(el, "auth_password");
    if (!ap)
        ap = config_setting_get_member(el, "auth_password_file");
    pp = config_setting_get_member(el, "priv_password");
    if (!pp)
        pp = config_setting_get_member(el, "priv_password_file");
    if (!*d->user)
        return cfg_error(ld, el, "%s: version 3 needs a user", where);
    if (*d->priv_protocol && !*d->auth_protocol)
        return cfg_error(ld, config_setting_get_member(el, "priv_protocol"),
                         "%s: priv_protocol needs auth_protocol (no privacy "
                         "without authentication)",
                         where);
    if (*d->auth_protocol && !*d->auth_password)
        return cfg_error(ld, el, "%s: auth_protocol %s needs auth_password",
                         where, d->auth_protocol);
    if (!*d->auth_protocol && *d->auth_password)
        return cfg_error(ld, ap,
                         "%s: auth_password given without "
                         "auth_protocol",
                         where);
    if (*d->priv_protocol && !*d->priv_password)
        return cfg_error(ld, el, "%s: priv_protocol %s needs priv_password",
                         where, d->priv_protocol);
    if (!*d->priv_protocol && *d->priv_password)
        return cfg_error(ld, pp,
                         "%s: priv_password given without "
                         "priv_protocol",
                         where);
    /* net-snmp refuses passphrases shorter than 8 characters */
    if (*d->auth_password && strlen(d->auth_password) < 8)
        return cfg_error(ld, ap,
                         "%s: auth_password must be at least 8 "
                         "characters",
                         where);
    if (*d->priv_password && strlen(d->priv_password) < 8)
        return cfg_error(ld, pp,
                         "%s: priv_password must be at least 8 "
                         "characters",
                         where);
    return SDC_OK;
}

static enum sdc_rc parse_uplinks(struct loader *ld, const config_setting_t *el,
                                 const char *where, struct sdc_snmp_cfg *d)
{
    const config_setting_t *s = config_setting_get_member(el, "uplinks");
    int n;
    if (!s)
        return SDC_OK;
    if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
        config_setting_type(s) != CONFIG_TYPE_LIST)
        return type_error(ld, s, where, "uplinks", "an array [ \"...\" ]");
    n = config_setting_length(s);
    if (n == 0)
        return SDC_OK;
    d->uplinks = calloc((size_t)n, sizeof(*d->uplinks));
    if (!d->uplinks)
        return nomem(ld);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if (config_setting_type(e) != CONFIG_TYPE_STRING)
            return cfg_error(ld, e, "%s.uplinks[%d] must be a string, not %s",
                             where, i, type_name(config_setting_type(e)));
        d->uplinks[i] = strdup(config_setting_get_string(e));
        if (!d->uplinks[i])
            return nomem(ld);
        d->n_uplinks = (size_t)i + 1;
    }
    return SDC_OK;
}

static enum sdc_rc parse_interfaces(struct loader *ld,
                                    const config_setting_t *el,
                                    const char *where, struct sdc_snmp_cfg *d)
{
    static const char *const keys[] = {"include", "exclude", NULL};
    const config_setting_t *grp;
    char iw[WHERE_LEN + 16];
    enum sdc_rc rc;
    if ((rc = get_group(ld, el, where, "interfaces", &grp)) || !grp)
        return rc;
    snprintf(iw, sizeof(iw), "%s.interfaces", where);
    if ((rc = check_keys(ld, grp, iw, keys)) ||
        (rc = get_string(ld, grp, iw, "include", &d->if_include)) ||
        (rc = get_string(ld, grp, iw, "exclude", &d->if_exclude)) ||
        (rc = check_regex(ld, config_setting_get_member(grp, "include"), iw,
                          "include", d->if_include)) ||
        (rc = check_regex(ld, config_setting_get_member(grp, "exclude"), iw,
                          "exclude", d->if_exclude)))
        return rc;
    return SDC_OK;
}

/* Most custom objects per device, and longest custom OID (sub-ids). */
#define CUSTOM_MAX 256
#define CUSTOM_OID_MAX 128
/* Longest custom or storage name (it goes into archive file names). */
#define CUSTOM_NAME_MAX 64

/* Boolean member @key of @grp into *@dst (unchanged when absent). */
static enum sdc_rc get_bool(struct loader *ld, const config_setting_t *grp,
                            const char *where, const char *key, bool *dst)
{
    const config_setting_t *s = config_setting_get_member(grp, key);
    if (!s)
        return SDC_OK;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL)
        return type_error(ld, s, where, key, "true or false");
    *dst = config_setting_get_bool(s) != 0;
    return SDC_OK;
}

/*
 * String member @key of @grp that must be one of the NULL-terminated
 * @names (case-insensitively when @nocase): its index into *@dst, unchanged
 * when absent.  @expected lists the choices for the error message.
 */
static enum sdc_rc get_choice(struct loader *ld, const config_setting_t *grp,
                              const char *where, const char *key,
                              const char *const *names, bool nocase,
                              const char *expected, int *dst)
{
    char *v = NULL;
    enum sdc_rc rc;
    if ((rc = get_string(ld, grp, where, key, &v)) || !v)
        return rc;
    for (int i = 0; names[i]; i++) {
        if ((nocase ? strcasecmp(v, names[i]) : strcmp(v, names[i])) == 0) {
            *dst = i;
            free(v);
            return SDC_OK;
        }
    }
    rc = cfg_error(ld, config_setting_get_member(grp, key),
                   "unknown %s '%s' in %s (expected %s)", key, v, where,
                   expected);
    free(v);
    return rc;
}

/* A name that can stand in an archive file name as it is. */
static bool custom_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CUSTOM_NAME_MAX || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/*
 * Check a numeric OID ("1.3.6.1.4.1.9.2.1.0", a leading '.' allowed): 2 to
 * CUSTOM_OID_MAX sub-identifiers of 32 bits, the first 0, 1 or 2.
 * @return: NULL if valid, else what is wrong.
 */
static const char *oid_problem(const char *s)
{
    size_t n = 0;
    unsigned long long first = 0;
    if (*s == '.')
        s++;
    if (!*s)
        return "it is empty";
    for (;;) {
        unsigned long long v = 0;
        size_t digits = 0;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (unsigned long long)(*s - '0');
            if (v > 4294967295ULL)
                return "a sub-identifier is larger than 4294967295";
            s++;
            digits++;
        }
        if (digits == 0)
            return "it must be numbers separated by dots, like "
                   "1.3.6.1.4.1.9.2.1.0";
        if (n == 0)
            first = v;
        if (++n > CUSTOM_OID_MAX)
            return "it has more than 128 sub-identifiers";
        if (*s == '\0')
            break;
        if (*s != '.')
            return "it must be numbers separated by dots, like "
                   "1.3.6.1.4.1.9.2.1.0";
        s++;
    }
    if (n < 2)
        return "it needs at least two sub-identifiers";
    if (first > 2)
        return "the first sub-identifier must be 0, 1 or 2";
    return NULL;
}

static enum sdc_rc parse_custom_one(struct loader *ld,
                                    const config_setting_t *el,
                                    const char *where,
                                    struct sdc_snmp_custom *c)
{
    static const char *const keys[] = {"name",  "oid", "type",    "table",
                                       "scale", "as",  "storage", NULL};
    const config_setting_t *s;
    /* in the order of enum sdc_snmp_custom_type and _as */
    static const char *const type_names[] = {"GAUGE", "DERIVE", NULL};
    static const char *const as_names[] = {"", "storage_size", "storage_used",
                                           NULL};
    int type = SDC_SNMP_CUSTOM_GAUGE, as = SDC_SNMP_AS_NONE;
    const char *why;
    enum sdc_rc rc;

    c->line = config_setting_source_line(el);
    c->scale = 1.0;
    if ((rc = check_keys(ld, el, where, keys)) ||
        (rc = get_string(ld, el, where, "name", &c->name)) ||
        (rc = get_string(ld, el, where, "oid", &c->oid)) ||
        (rc = get_bool(ld, el, where, "table", &c->table)) ||
        (rc = get_number(ld, el, where, "scale", &c->scale, NUM_POSITIVE)) ||
        (rc = get_string(ld, el, where, "storage", &c->storage)))
        return rc;
    if (!c->name)
        return missing_key(ld, el, where, "name");
    if (!c->oid)
        return missing_key(ld, el, where, "oid");
    if (!custom_name_ok(c->name))
        return cfg_error(ld, config_setting_get_member(el, "name"),
                         "%s.name '%s' must be 1 to %d characters of "
                         "[A-Za-z0-9._-], not starting with '.'",
                         where, c->name, CUSTOM_NAME_MAX);
    if ((why = oid_problem(c->oid)))
        return cfg_error(ld, config_setting_get_member(el, "oid"),
                         "%s.oid '%s' is not a numeric OID: %s", where, c->oid,
                         why);
    if (c->oid[0] == '.' && (rc = set_str(ld, &c->oid, c->oid + 1)))
        return rc;

    if ((rc = get_choice(ld, el, where, "type", type_names, true,
                         "GAUGE or DERIVE", &type)) ||
        (rc = get_choice(ld, el, where, "as", as_names, false,
                         "\"\", \"storage_size\" or \"storage_used\"", &as)))
        return rc;
    c->type = (enum sdc_snmp_custom_type)type;
    c->as = (enum sdc_snmp_custom_as)as;
    s = config_setting_get_member(el, "storage");
    if (c->storage && c->as == SDC_SNMP_AS_NONE)
        return cfg_error(ld, s,
                         "%s.storage needs as = \"storage_size\" or "
                         "\"storage_used\"",
                         where);
    if (c->as != SDC_SNMP_AS_NONE && c->type == SDC_SNMP_CUSTOM_DERIVE)
        return cfg_error(ld, config_setting_get_member(el, "as"),
                         "%s: a storage size or used figure is a GAUGE, not "
                         "a DERIVE counter",
                         where);
    if (c->storage && !custom_name_ok(c->storage))
        return cfg_error(ld, s,
                         "%s.storage '%s' must be 1 to %d characters of "
                         "[A-Za-z0-9._-], not starting with '.'",
                         where, c->storage, CUSTOM_NAME_MAX);
    if (c->as != SDC_SNMP_AS_NONE && !c->storage &&
        (rc = set_str(ld, &c->storage, c->name)))
        return rc;
    return SDC_OK;
}

/* Names unique; per storage at most one size and one used object, both
 * scalars or both table columns. */
static enum sdc_rc check_customs(struct loader *ld,
                                 const config_setting_t *list,
                                 const char *where,
                                 const struct sdc_snmp_cfg *d)
{
    for (size_t i = 0; i < d->n_custom; i++) {
        const struct sdc_snmp_custom *c = &d->custom[i];
        const config_setting_t *el = config_setting_get_elem(list, (unsigned)i);
        for (size_t k = 0; k < i; k++) {
            const struct sdc_snmp_custom *o = &d->custom[k];
            if (strcmp(o->name, c->name) == 0)
                return cfg_error(ld, config_setting_get_member(el, "name"),
                                 "%s: duplicate custom name '%s' (first on "
                                 "line %d)",
                                 where, c->name, o->line);
            if (c->as == SDC_SNMP_AS_NONE || o->as == SDC_SNMP_AS_NONE ||
                strcmp(o->storage, c->storage) != 0)
                continue;
            if (o->as == c->as)
                return cfg_error(ld, el,
                                 "%s: storage '%s' already has a %s object "
                                 "(line %d)",
                                 where, c->storage,
                                 c->as == SDC_SNMP_AS_STORAGE_SIZE ? "size"
                                                                   : "used",
                                 o->line);
            if (o->table != c->table)
                return cfg_error(ld, el,
                                 "%s: the size and used objects of storage "
                                 "'%s' must both be tables or both not "
                                 "(line %d differs)",
                                 where, c->storage, o->line);
        }
    }
    return SDC_OK;
}

static enum sdc_rc parse_custom(struct loader *ld, const config_setting_t *el,
                                const char *where, struct sdc_snmp_cfg *d)
{
    const config_setting_t *s = config_setting_get_member(el, "custom");
    char cw[WHERE_LEN + 32];
    enum sdc_rc rc;
    int n;

    if (!s)
        return SDC_OK;
    if (config_setting_type(s) != CONFIG_TYPE_LIST &&
        !(config_setting_type(s) == CONFIG_TYPE_ARRAY &&
          config_setting_length(s) == 0))
        return type_error(ld, s, where, "custom", "a list ( { ... }, ... )");
    n = config_setting_length(s);
    if (n == 0)
        return SDC_OK;
    if (n > CUSTOM_MAX)
        return cfg_error(ld, s, "%s.custom has %d objects; at most %d", where,
                         n, CUSTOM_MAX);
    d->custom = calloc((size_t)n, sizeof(*d->custom));
    if (!d->custom)
        return nomem(ld);
    d->n_custom = (size_t)n; /* zeroed entries free cleanly on error */
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        snprintf(cw, sizeof(cw), "%s.custom[%d]", where, i);
        if (config_setting_type(e) != CONFIG_TYPE_GROUP)
            return cfg_error(ld, e, "%s must be a group { ... }, not %s", cw,
                             type_name(config_setting_type(e)));
        if ((rc = parse_custom_one(ld, e, cw, &d->custom[i])))
            return rc;
    }
    return check_customs(ld, s, where, d);
}

static enum sdc_rc parse_snmp(struct loader *ld, const config_setting_t *el,
                              void *base, size_t idx)
{
    static const char *const keys[] = {"name",
                                       "address",
                                       "version",
                                       "community",
                                       "community_file",
                                       "user",
                                       "auth_protocol",
                                       "auth_password",
                                       "auth_password_file",
                                       "priv_protocol",
                                       "priv_password",
                                       "priv_password_file",
                                       "context",
                                       "role",
                                       "timeout",
                                       "retries",
                                       "uplinks",
                                       "interfaces",
                                       "custom",
                                       NULL};
    struct sdc_snmp_cfg *all = base, *d = &all[idx];
    const config_setting_t *s;
    /* in the order of enum sdc_snmp_role */
    static const char *const role_names[] = {"host", "switch", "storage", NULL};
    char where[WHERE_LEN];
    int dup, role = SDC_SNMP_ROLE_HOST;
    const char *dup_name;
    enum sdc_rc rc;

    snprintf(where, sizeof(where), "snmp[%zu]", idx);
    d->line = config_setting_source_line(el);
    d->version = 2;
    d->timeout = 2.0;
    d->retries = 1;
    d->role = SDC_SNMP_ROLE_HOST;
    if ((rc = set_str(ld, &d->community, "")) ||
        (rc = set_str(ld, &d->user, "")) ||
        (rc = set_str(ld, &d->auth_protocol, "")) ||
        (rc = set_str(ld, &d->auth_password, "")) ||
        (rc = set_str(ld, &d->priv_protocol, "")) ||
        (rc = set_str(ld, &d->priv_password, "")) ||
        (rc = set_str(ld, &d->context, "")) ||
        (rc = set_str(ld, &d->if_include, ".*")) ||
        (rc = set_str(ld, &d->if_exclude, "")))
        return rc;

    if ((rc = check_keys(ld, el, where, keys)) ||
        (rc = get_nonempty(ld, el, where, "name", &d->name)) ||
        (rc = get_nonempty(ld, el, where, "address", &d->address)))
        return rc;
    if (!d->name)
        return missing_key(ld, el, where, "name");
    if (!d->address)
        return missing_key(ld, el, where, "address");
    FIND_DUP(all, idx, d->name, dup);
    if (dup)
        return strcmp(dup_name, d->name) == 0
                   ? cfg_error(
                         ld, config_setting_get_member(el, "name"),
                         "duplicate snmp device name '%s' (first on line %d)",
                         d->name, dup)
                   : cfg_error(ld, config_setting_get_member(el, "name"),
                               "snmp device name '%s' is '%s' of line %d once "
                               "reduced to [A-Za-z0-9._-] for archive paths",
                               d->name, dup_name, dup);

    if ((rc = parse_snmp_version(ld, el, where, &d->version)) ||
        (rc = get_secret(ld, el, where, "community", SECRET_COMMUNITY,
                         &d->community)) ||
        (rc = get_string(ld, el, where, "user", &d->user)) ||
        (rc = get_string(ld, el, where, "auth_protocol", &d->auth_protocol)) ||
        (rc = get_secret(ld, el, where, "auth_password", SECRET_AUTH,
                         &d->auth_password)) ||
        (rc = get_string(ld, el, where, "priv_protocol", &d->priv_protocol)) ||
        (rc = get_secret(ld, el, where, "priv_password", SECRET_PRIV,
                         &d->priv_password)) ||
        (rc = get_string(ld, el, where, "context", &d->context)) ||
        (rc = parse_snmp_v3(ld, el, where, d)))
        return rc;
    /* v1/v2c without a community: the conventional default */
    if (d->version != 3 && !*d->community &&
        (rc = set_str(ld, &d->community, "public")))
        return rc;

    if ((rc = get_choice(ld, el, where, "role", role_names, false,
                         "host, switch or storage", &role)))
        return rc;
    d->role = (enum sdc_snmp_role)role;
    if ((rc =
             get_number(ld, el, where, "timeout", &d->timeout, NUM_POSITIVE)) ||
        (rc = get_int(ld, el, where, "retries", &d->retries, 0, 100)) ||
        (rc = parse_uplinks(ld, el, where, d)) ||
        (rc = parse_interfaces(ld, el, where, d)) ||
        (rc = parse_custom(ld, el, where, d)))
        return rc;
    s = config_setting_get_member(el, "timeout");
    if (s && d->timeout > 600)
        return cfg_error(ld, s, "%s.timeout must be at most 600 (got %g)",
                         where, d->timeout);
    return SDC_OK;
}

static enum sdc_rc parse_cluster(struct loader *ld, const config_setting_t *el,
                                 void *base, size_t idx)
{
    static const char *const keys[] = {"name", "ha_reserve_hosts",
                                       "max_vcpu_per_cpu", "host_model", NULL};
    struct sdc_cluster_cfg *all = base, *c = &all[idx];
    const config_setting_t *hm;
    char where[WHERE_LEN], hw[WHERE_LEN + 16];
    int dup;
    const char *dup_name;
    enum sdc_rc rc;

    snprintf(where, sizeof(where), "clusters[%zu]", idx);
    c->line = config_setting_source_line(el);
    c->ha_reserve_hosts = 1;
    c->max_vcpu_per_cpu = 4.0;
    if ((rc = check_keys(ld, el, where, keys)) ||
        (rc = get_nonempty(ld, el, where, "name", &c->name)))
        return rc;
    if (!c->name)
        return missing_key(ld, el, where, "name");
    FIND_DUP(all, idx, c->name, dup);
    if (dup)
        return strcmp(dup_name, c->name) == 0
                   ? cfg_error(ld, config_setting_get_member(el, "name"),
                               "duplicate cluster name '%s' (first on line %d)",
                               c->name, dup)
                   : cfg_error(ld, config_setting_get_member(el, "name"),
                               "cluster name '%s' is '%s' of line %d once "
                               "reduced to [A-Za-z0-9._-] for archive paths",
                               c->name, dup_name, dup);
    if ((rc = get_int(ld, el, where, "ha_reserve_hosts", &c->ha_reserve_hosts,
                      0, 10000)) ||
        (rc = get_number(ld, el, where, "max_vcpu_per_cpu",
                         &c->max_vcpu_per_cpu, NUM_POSITIVE)) ||
        (rc = get_group(ld, el, where, "host_model", &hm)))
        return rc;
    /* start from the default model, so a partial host_model inherits */
    if ((rc = copy_host_model(ld, &c->host_model,
                              &ld->cfg->capacity.host_model)))
        return rc;
    if (!hm)
        return SDC_OK;
    c->has_host_model = true;
    snprintf(hw, sizeof(hw), "%s.host_model", where);
    return parse_host_model(ld, hm, hw, &c->host_model);
}

static enum sdc_rc parse_planned(struct loader *ld, const config_setting_t *el,
                                 void *base, size_t idx)
{
    static const char *const keys[] = {"name",      "date",       "until",
                                       "cluster",   "pool",       "vcpus",
                                       "memory_gb", "storage_tb", NULL};
    struct sdc_planned_cfg *p = &((struct sdc_planned_cfg *)base)[idx];
    char where[WHERE_LEN];
    enum sdc_rc rc;

    snprintf(where, sizeof(where), "planned[%zu]", idx);
    p->line = config_setting_source_line(el);
    if ((rc = set_str(ld, &p->cluster, "")) ||
        (rc = set_str(ld, &p->pool, "")) ||
        (rc = check_keys(ld, el, where, keys)) ||
        (rc = get_nonempty(ld, el, where, "name", &p->name)) ||
        (rc = get_string(ld, el, where, "date", &p->date)) ||
        (rc = get_string(ld, el, where, "until", &p->until)) ||
        (rc = get_string(ld, el, where, "cluster", &p->cluster)) ||
        (rc = get_string(ld, el, where, "pool", &p->pool)) ||
        (rc = get_number(ld, el, where, "vcpus", &p->vcpus, NUM_ANY)) ||
        (rc = get_number(ld, el, where, "memory_gb", &p->memory_gb, NUM_ANY)) ||
        (rc = get_number(ld, el, where, "storage_tb", &p->storage_tb, NUM_ANY)))
        return rc;
    if (!p->name)
        return missing_key(ld, el, where, "name");
    if (!p->date)
        return missing_key(ld, el, where, "date");
    if (!date_valid(p->date))
        return cfg_error(ld, config_setting_get_member(el, "date"),
                         "%s.date '%s' is not a valid date YYYY-MM-DD", where,
                         p->date);
    if (p->until && !date_valid(p->until))
        return cfg_error(ld, config_setting_get_member(el, "until"),
                         "%s.until '%s' is not a valid date YYYY-MM-DD", where,
                         p->until);
    /* same fixed-width format, so string order is date order */
    if (p->until && strcmp(p->until, p->date) <= 0)
        return cfg_error(ld, config_setting_get_member(el, "until"),
                         "%s.until '%s' is not after date '%s'", where,
                         p->until, p->date);
    return SDC_OK;
}

/*
 * Parse every element of list @key with @fn into a new array of @size-byte
 * entries, returned in *@arr with its length in *@n even on failure (the
 * entries are zeroed, so a partly filled array is safe to free).
 */
static enum sdc_rc parse_list(struct loader *ld, const config_setting_t *root,
                              const char *key, size_t size,
                              enum sdc_rc (*fn)(struct loader *,
                                                const config_setting_t *,
                                                void *, size_t),
                              void **arr, size_t *n)
{
    const config_setting_t *list;
    size_t len;
    enum sdc_rc rc;
    *arr = NULL;
    *n = 0;
    if ((rc = get_group_list(ld, root, key, &list)) || !list)
        return rc;
    len = (size_t)config_setting_length(list);
    if (len == 0)
        return SDC_OK;
    *arr = calloc(len, size);
    if (!*arr)
        return nomem(ld);
    *n = len;
    for (size_t i = 0; i < len; i++) {
        rc = fn(ld, config_setting_get_elem(list, (unsigned)i), *arr, i);
        if (rc)
            return rc;
    }
    return SDC_OK;
}

/* A peer's name is its tag in the inventory: exactly [A-Za-z0-9._-]. */
static bool peer_name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* http(s)://host[:port][/path], printable ASCII without blanks or quotes. */
static bool peer_url_valid(const char *s, char *why, size_t len)
{
    const char *host;
    if (strncmp(s, "https://", 8) == 0)
        host = s + 8;
    else if (strncmp(s, "http://", 7) == 0)
        host = s + 7;
    else {
        snprintf(why, len, "it must start with https:// or http://");
        return false;
    }
    if (strlen(s) > 1024) {
        snprintf(why, len, "it is longer than 1024 characters");
        return false;
    }
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\' || c == '<' ||
            c == '>' || c == '#' || c == '?') {
            if (c > ' ' && c < 0x7f)
                snprintf(why, len,
                         "it holds '%c' (quotes, query and fragment are not "
                         "allowed)",
                         (char)c);
            else
                snprintf(why, len, "it holds a blank or a control character");
            return false;
        }
    }
    if (*host == '\0' || *host == '/' || *host == ':' || strchr(host, '@')) {
        snprintf(why, len, "it names no host (or holds user@: use `user`)");
        return false;
    }
    return true;
}

static enum sdc_rc parse_peer(struct loader *ld, const config_setting_t *el,
                              void *base, size_t idx)
{
    static const char *const keys[] = {
        "name",          "url",     "user",    "password",
        "password_file", "ca_file", "timeout", NULL};
    struct sdc_peer_cfg *all = base, *p = &all[idx];
    char where[WHERE_LEN], why[160];
    enum sdc_rc rc;

    snprintf(where, sizeof(where), "peers[%zu]", idx);
    p->line = config_setting_source_line(el);
    p->timeout = 30;
    if ((rc = set_str(ld, &p->user, "")) ||
        (rc = set_str(ld, &p->password, "")) ||
        (rc = set_str(ld, &p->ca_file, "")) ||
        (rc = check_keys(ld, el, where, keys)) ||
        (rc = get_nonempty(ld, el, where, "name", &p->name)) ||
        (rc = get_nonempty(ld, el, where, "url", &p->url)) ||
        (rc = get_string(ld, el, where, "user", &p->user)) ||
        (rc = get_secret(ld, el, where, "password", SECRET_PEER,
                         &p->password)) ||
        (rc = get_string(ld, el, where, "ca_file", &p->ca_file)) ||
        (rc = get_int(ld, el, where, "timeout", &p->timeout, 1, 3600)))
        return rc;
    if (!p->name)
        return missing_key(ld, el, where, "name");
    if (!p->url)
        return missing_key(ld, el, where, "url");
    if (!peer_name_valid(p->name))
        return cfg_error(ld, config_setting_get_member(el, "name"),
                         "%s.name '%s' must be 1 to 64 of [A-Za-z0-9._-]",
                         where, p->name);
    for (size_t k = 0; k < idx; k++)
        if (strcmp(all[k].name, p->name) == 0)
            return cfg_error(ld, config_setting_get_member(el, "name"),
                             "duplicate peer name '%s' (first on line %d)",
                             p->name, all[k].line);
    if (!peer_url_valid(p->url, why, sizeof(why)))
        return cfg_error(ld, config_setting_get_member(el, "url"),
                         "bad %s.url '%s': %s", where, p->url, why);
    if (strchr(p->user, ':') || strpbrk(p->user, "\r\n"))
        return cfg_error(ld, config_setting_get_member(el, "user"),
                         "%s.user must not hold ':' or a line break", where);
    if (*p->password && !*p->user)
        return cfg_error(ld, el, "%s has a password but no user", where);
    if (*p->user && !*p->password)
        return cfg_error(ld, config_setting_get_member(el, "user"),
                         "%s.user needs password or password_file", where);
    if (*p->ca_file) {
        const config_setting_t *cs = config_setting_get_member(el, "ca_file");
        char *full = NULL, eb[128];
        if (p->ca_file[0] == '/')
            full = strdup(p->ca_file);
        else if (asprintf(&full, "%s/%s", ld->dir, p->ca_file) < 0)
            full = NULL;
        if (!full)
            return nomem(ld);
        if (access(full, R_OK) != 0) {
            rc = cfg_error(ld, cs, "cannot read %s.ca_file '%s': %s", where,
                           full, errno_text(errno, eb, sizeof(eb)));
            free(full);
            return rc;
        }
        free(p->ca_file);
        p->ca_file = full;
        if (strncmp(p->url, "http://", 7) == 0)
            return cfg_error(ld, cs,
                             "%s has a ca_file but an http:// url; use "
                             "https://",
                             where);
    }
    if (*p->password && strncmp(p->url, "http://", 7) == 0 &&
        (rc = cfg_warn(ld, config_setting_get_member(el, "url"),
                       "%s: the password goes to %s in clear (http://); use "
                       "https://",
                       where, p->url)))
        return rc;
    return SDC_OK;
}

static enum sdc_rc parse_web(struct loader *ld, const config_setting_t *root)
{
    static const char *const keys[] = {"listen", "tls_cert", "tls_key",
                                       "users_file", NULL};
    struct sdc_web_cfg *w = &ld->cfg->web;
    const config_setting_t *grp;
    char why[160];
    enum sdc_rc rc;
    if ((rc = get_group(ld, root, NULL, "web", &grp)) || !grp)
        return rc;
    if ((rc = check_keys(ld, grp, "web", keys)) ||
        (rc = get_string(ld, grp, "web", "listen", &w->listen)) ||
        (rc = get_string(ld, grp, "web", "tls_cert", &w->tls_cert)) ||
        (rc = get_string(ld, grp, "web", "tls_key", &w->tls_key)) ||
        (rc = get_string(ld, grp, "web", "users_file", &w->users_file)))
        return rc;
    if (*w->listen && !listen_valid(w->listen, why, sizeof(why)))
        return cfg_error(ld, config_setting_get_member(grp, "listen"),
                         "bad web.listen '%s': %s", w->listen, why);
    if (!*w->tls_cert != !*w->tls_key)
        return cfg_error(ld, grp, "web.tls_cert and web.tls_key go together");
    /* Beyond this machine the web view needs TLS and basic auth. */
    if (*w->listen && !listen_loopback(w->listen) &&
        (!*w->tls_cert || !*w->users_file))
        return cfg_error(ld, config_setting_get_member(grp, "listen"),
                         "web.listen '%s' is not a loopback address: it "
                         "needs web.tls_cert, web.tls_key and web.users_file "
                         "(TLS and basic auth)",
                         w->listen);
    return SDC_OK;
}

static enum sdc_rc parse_reports(struct loader *ld,
                                 const config_setting_t *root)
{
    static const char *const keys[] = {
        "dir",         "monthly_day", "daily_digest", "templates", "scheduled",
        "webhook_url", "mail_to",     "mail_from",    "sendmail",  NULL};
    struct sdc_reports_cfg *r = &ld->cfg->reports;
    const config_setting_t *grp;
    char why[160];
    enum sdc_rc rc;
    if ((rc = get_group(ld, root, NULL, "reports", &grp)) || !grp)
        return rc;
    if ((rc = check_keys(ld, grp, "reports", keys)) ||
        (rc = get_string(ld, grp, "reports", "dir", &r->dir)) ||
        (rc = get_int(ld, grp, "reports", "monthly_day", &r->monthly_day, 1,
                      28)) ||
        (rc = get_string(ld, grp, "reports", "daily_digest",
                         &r->daily_digest)) ||
        (rc = get_string(ld, grp, "reports", "templates", &r->templates)) ||
        (rc = get_bool(ld, grp, "reports", "scheduled", &r->scheduled)) ||
        (rc = get_string(ld, grp, "reports", "webhook_url", &r->webhook_url)) ||
        (rc = get_string(ld, grp, "reports", "mail_to", &r->mail_to)) ||
        (rc = get_string(ld, grp, "reports", "mail_from", &r->mail_from)) ||
        (rc = get_nonempty(ld, grp, "reports", "sendmail", &r->sendmail)))
        return rc;
    if (!hhmm_parse(r->daily_digest, &r->daily_digest_second))
        return cfg_error(ld, config_setting_get_member(grp, "daily_digest"),
                         "reports.daily_digest '%s' is not a time HH:MM (or "
                         "HH:MM:SS)",
                         r->daily_digest);
    r->daily_digest_minute = r->daily_digest_second / 60;
    if (*r->webhook_url && !webhook_url_valid(r->webhook_url, why, sizeof(why)))
        return cfg_error(ld, config_setting_get_member(grp, "webhook_url"),
                         "bad reports.webhook_url '%s': %s", r->webhook_url,
                         why);
    if (*r->mail_to && !mail_list_valid(r->mail_to, false))
        return cfg_error(ld, config_setting_get_member(grp, "mail_to"),
                         "bad reports.mail_to '%s': expected mail addresses "
                         "(user@domain) separated by commas",
                         r->mail_to);
    if (*r->mail_from && !mail_list_valid(r->mail_from, true))
        return cfg_error(ld, config_setting_get_member(grp, "mail_from"),
                         "bad reports.mail_from '%s': expected one mail "
                         "address (user@domain)",
                         r->mail_from);
    if (r->sendmail[0] != '/')
        return cfg_error(ld, config_setting_get_member(grp, "sendmail"),
                         "reports.sendmail '%s' must be an absolute path",
                         r->sendmail);
    return SDC_OK;
}

/* Longest account name accepted for `user` (useradd allows 32). */
#define USER_NAME_MAX 32

/*
 * `user`: an account name of the portable set [A-Za-z0-9._-], not starting
 * with '-'.  Whether it exists is the program's to check (it matters only
 * when started as root).
 */
static enum sdc_rc parse_user(struct loader *ld, const config_setting_t *root)
{
    const config_setting_t *s = config_setting_get_member(root, "user");
    const char *u;
    size_t n;
    enum sdc_rc rc;
    if (!s)
        return SDC_OK;
    if ((rc = get_string(ld, root, NULL, "user", &ld->cfg->user)))
        return rc;
    ld->cfg->user_line = (int)config_setting_source_line(s);
    u = ld->cfg->user;
    n = strlen(u);
    if (n > USER_NAME_MAX || u[0] == '-' ||
        strspn(u, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                  "0123456789._-") != n)
        return cfg_error(ld, s,
                         "user '%.40s' is not an account name (at most %d "
                         "characters of [A-Za-z0-9._-], not starting with "
                         "'-')",
                         u, USER_NAME_MAX);
    return SDC_OK;
}

static enum sdc_rc parse_retention(struct loader *ld,
                                   const config_setting_t *root)
{
    static const char *const keys[] = {"step_days", "min5_days", "hour_days",
                                       "day_days", NULL};
    struct sdc_retention_cfg *r = &ld->cfg->retention;
    const config_setting_t *grp;
    enum sdc_rc rc;
    if ((rc = get_group(ld, root, NULL, "retention", &grp)) || !grp)
        return rc;
    if ((rc = check_keys(ld, grp, "retention", keys)) ||
        (rc = get_number(ld, grp, "retention", "step_days", &r->step_days,
                         NUM_POSITIVE)) ||
        (rc = get_number(ld, grp, "retention", "min5_days", &r->min5_days,
                         NUM_POSITIVE)) ||
        (rc = get_number(ld, grp, "retention", "hour_days", &r->hour_days,
                         NUM_POSITIVE)) ||
        (rc = get_number(ld, grp, "retention", "day_days", &r->day_days,
                         NUM_POSITIVE)))
        return rc;
    return SDC_OK;
}

/*
 * `thresholds`: the monthly report's findings.  Each share is in (0, 1];
 * the idle, oversized and undersized limits must keep their order, and a
 * resize target must lie above the share that makes a VM oversized (else a
 * resize would leave it oversized).
 */
static enum sdc_rc parse_thresholds(struct loader *ld,
                                    const config_setting_t *root)
{
    static const char *const keys[] = {
        "idle_cpu",       "idle_net_bytes",    "oversized_cpu",
        "resize_cpu",     "oversized_memory",  "resize_memory",
        "undersized_cpu", "undersized_memory", "imbalance_points",
        "min_coverage",   "interface_errors",  NULL};
    static const char *const w = "thresholds";
    struct sdc_thresholds_cfg *t = &ld->cfg->thresholds;
    const config_setting_t *grp;
    enum sdc_rc rc;

    if ((rc = get_group(ld, root, NULL, "thresholds", &grp)) || !grp)
        return rc;
    if ((rc = check_keys(ld, grp, w, keys)) ||
        (rc = get_number(ld, grp, w, "idle_cpu", &t->idle_cpu, NUM_FRACTION)) ||
        (rc = get_number(ld, grp, w, "idle_net_bytes", &t->idle_net_bytes,
                         NUM_POSITIVE)) ||
        (rc = get_number(ld, grp, w, "oversized_cpu", &t->oversized_cpu,
                         NUM_FRACTION)) ||
        (rc = get_number(ld, grp, w, "resize_cpu", &t->resize_cpu,
                         NUM_FRACTION)) ||
        (rc = get_number(ld, grp, w, "oversized_memory", &t->oversized_memory,
                         NUM_FRACTION)) ||
        (rc = get_number(ld, grp, w, "resize_memory", &t->resize_memory,
                         NUM_FRACTION)) ||
        (rc = get_number(ld, grp, w, "undersized_cpu", &t->undersized_cpu,
                         NUM_FRACTION)) ||
        (rc = get_number(ld, grp, w, "undersized_memory", &t->undersized_memory,
                         NUM_FRACTION)) ||
        (rc = get_number(ld, grp, w, "imbalance_points", &t->imbalance_points,
                         NUM_POSITIVE)) ||
        (rc = get_number(ld, grp, w, "min_coverage", &t->min_coverage,
                         NUM_FRACTION)) ||
        (rc = get_number(ld, grp, w, "interface_errors", &t->interface_errors,
                         NUM_POSITIVE)))
        return rc;
    if (t->imbalance_points > 100)
        return cfg_error(ld, config_setting_get_member(grp, "imbalance_points"),
                         "thresholds.imbalance_points must be at most 100 "
                         "(got %g)",
                         t->imbalance_points);
    if (!(t->idle_cpu < t->oversized_cpu))
        return cfg_error(ld, grp,
                         "thresholds.idle_cpu (%g) must be below "
                         "thresholds.oversized_cpu (%g)",
                         t->idle_cpu, t->oversized_cpu);
    if (!(t->oversized_cpu < t->undersized_cpu))
        return cfg_error(ld, grp,
                         "thresholds.oversized_cpu (%g) must be below "
                         "thresholds.undersized_cpu (%g)",
                         t->oversized_cpu, t->undersized_cpu);
    if (!(t->oversized_memory < t->undersized_memory))
        return cfg_error(ld, grp,
                         "thresholds.oversized_memory (%g) must be below "
                         "thresholds.undersized_memory (%g)",
                         t->oversized_memory, t->undersized_memory);
    if (!(t->resize_cpu > t->oversized_cpu))
        return cfg_error(ld, grp,
                         "thresholds.resize_cpu (%g) must be above "
                         "thresholds.oversized_cpu (%g)",
                         t->resize_cpu, t->oversized_cpu);
    if (!(t->resize_memory > t->oversized_memory))
        return cfg_error(ld, grp,
                         "thresholds.resize_memory (%g) must be above "
                         "thresholds.oversized_memory (%g)",
                         t->resize_memory, t->oversized_memory);
    return SDC_OK;
}

/* Top-level scalars. */
static enum sdc_rc parse_globals(struct loader *ld,
                                 const config_setting_t *root)
{
    struct sdc_config *cfg = ld->cfg;
    const config_setting_t *s;
    enum sdc_log_level lvl;
    enum sdc_rc rc;
    if ((rc = get_nonempty(ld, root, NULL, "data_dir", &cfg->data_dir)) ||
        (rc = get_int(ld, root, NULL, "step", &cfg->step, 1, 86400)) ||
        (rc = get_string(ld, root, NULL, "rrdcached", &cfg->rrdcached)) ||
        (rc = get_bool(ld, root, NULL, "write_process", &cfg->write_process)) ||
        (rc = get_string(ld, root, NULL, "log_level", &cfg->log_level)) ||
        (rc = get_string(ld, root, NULL, "pidfile", &cfg->pidfile)))
        return rc;
    s = config_setting_get_member(root, "step");
    if (s && cfg->step < 10 &&
        (rc = cfg_warn(ld, s, "step %d is below 10 seconds: for tests only",
                       cfg->step)))
        return rc;
    if (!sdc_log_level_parse(cfg->log_level, &lvl))
        return cfg_error(ld, config_setting_get_member(root, "log_level"),
                         "unknown log_level '%s' (expected error, warning, "
                         "notice, info or debug)",
                         cfg->log_level);
    return SDC_OK;
}

static enum sdc_rc set_defaults(struct loader *ld)
{
    struct sdc_config *cfg = ld->cfg;
    enum sdc_rc rc;
    cfg->step = 60;
    cfg->capacity.target_cpu = 0.70;
    cfg->capacity.target_memory = 0.80;
    cfg->capacity.target_storage = 0.80;
    cfg->capacity.target_network = 0.70;
    cfg->capacity.lead_time_days = 120;
    cfg->capacity.host_model.cores = 64;
    cfg->capacity.host_model.memory_gb = 1024;
    cfg->capacity.storage_unit_tb = 100.0;
    cfg->reports.monthly_day = 1;
    cfg->reports.daily_digest_minute = 19 * 60;
    cfg->reports.daily_digest_second = 19 * 3600;
    cfg->reports.scheduled = true;
    cfg->retention.step_days = 2;
    cfg->retention.min5_days = 40;
    cfg->retention.hour_days = 100;
    cfg->retention.day_days = 1825;
    cfg->thresholds.idle_cpu = 0.03;
    cfg->thresholds.idle_net_bytes = 1000;
    cfg->thresholds.oversized_cpu = 0.30;
    cfg->thresholds.resize_cpu = 0.70;
    cfg->thresholds.oversized_memory = 0.50;
    cfg->thresholds.resize_memory = 0.80;
    cfg->write_process = true;
    cfg->thresholds.undersized_cpu = 0.85;
    cfg->thresholds.undersized_memory = 0.90;
    cfg->thresholds.imbalance_points = 30;
    cfg->thresholds.min_coverage = 0.80;
    cfg->thresholds.interface_errors = 1;
    if ((rc = set_str(ld, &cfg->path, ld->path)) ||
        (rc = set_str(ld, &cfg->data_dir, "/var/lib/sdcmon")) ||
        (rc = set_str(ld, &cfg->rrdcached, "")) ||
        (rc = set_str(ld, &cfg->log_level, "info")) ||
        (rc = set_str(ld, &cfg->capacity.risk, "conservative")) ||
        (rc =
             set_str(ld, &cfg->capacity.host_model.name, "2-socket 64-core")) ||
        (rc = set_str(ld, &cfg->web.listen, "127.0.0.1:8080")) ||
        (rc = set_str(ld, &cfg->web.tls_cert, "")) ||
        (rc = set_str(ld, &cfg->web.tls_key, "")) ||
        (rc = set_str(ld, &cfg->web.users_file, "")) ||
        (rc = set_str(ld, &cfg->reports.dir, "")) ||
        (rc = set_str(ld, &cfg->reports.daily_digest, "19:00")) ||
        (rc = set_str(ld, &cfg->reports.webhook_url, "")) ||
        (rc = set_str(ld, &cfg->reports.mail_to, "")) ||
        (rc = set_str(ld, &cfg->reports.mail_from, "")) ||
        (rc = set_str(ld, &cfg->reports.sendmail, "/usr/sbin/sendmail")))
        return rc;
    if ((rc = set_str(ld, &cfg->reports.templates, "")) ||
        (rc = set_str(ld, &cfg->user, "")))
        return rc;
    return SDC_OK;
}

/* Fill paths that default to somewhere under data_dir. */
static enum sdc_rc resolve_paths(struct loader *ld)
{
    struct sdc_config *cfg = ld->cfg;
    char *p;
    if (!cfg->pidfile || !*cfg->pidfile) {
        if (asprintf(&p, "%s/sdcmond.pid", cfg->data_dir) < 0)
            return nomem(ld);
        free(cfg->pidfile);
        cfg->pidfile = p;
    }
    if (!*cfg->reports.dir) {
        if (asprintf(&p, "%s/reports", cfg->data_dir) < 0)
            return nomem(ld);
        free(cfg->reports.dir);
        cfg->reports.dir = p;
    }
    return SDC_OK;
}

static enum sdc_rc parse_all(struct loader *ld, const config_setting_t *root)
{
    static const char *const keys[] = {
        "data_dir",    "step",          "rrdcached", "log_level",  "pidfile",
        "hypervisors", "snmp",          "capacity",  "clusters",   "web",
        "reports",     "planned",       "retention", "thresholds", "user",
        "peers",       "write_process", NULL};
    struct sdc_config *cfg = ld->cfg;
    void *arr;
    enum sdc_rc rc;

    if ((rc = set_defaults(ld)) || (rc = check_keys(ld, root, NULL, keys)) ||
        (rc = parse_globals(ld, root)) || (rc = parse_capacity(ld, root)))
        return rc;
    rc = parse_list(ld, root, "hypervisors", sizeof(*cfg->hypervisors),
                    parse_hypervisor, &arr, &cfg->n_hypervisors);
    cfg->hypervisors = arr;
    if (rc)
        return rc;
    rc = parse_list(ld, root, "snmp", sizeof(*cfg->snmp), parse_snmp, &arr,
                    &cfg->n_snmp);
    cfg->snmp = arr;
    if (rc)
        return rc;
    /* after capacity: a cluster's host_model starts from the default one */
    rc = parse_list(ld, root, "clusters", sizeof(*cfg->clusters), parse_cluster,
                    &arr, &cfg->n_clusters);
    cfg->clusters = arr;
    if (rc)
        return rc;
    rc = parse_list(ld, root, "planned", sizeof(*cfg->planned), parse_planned,
                    &arr, &cfg->n_planned);
    cfg->planned = arr;
    if (rc)
        return rc;
    rc = parse_list(ld, root, "peers", sizeof(*cfg->peers), parse_peer, &arr,
                    &cfg->n_peers);
    cfg->peers = arr;
    /* before check_secret_modes: `user` names the service's group */
    if (rc == SDC_OK)
        rc = parse_user(ld, root);
    if (rc || (rc = parse_web(ld, root)) || (rc = parse_reports(ld, root)) ||
        (rc = parse_retention(ld, root)) || (rc = parse_thresholds(ld, root)) ||
        (rc = resolve_paths(ld)) || (rc = check_secret_modes(ld)))
        return rc;
    return SDC_OK;
}

/* ----------------------------------------------------------------- public */

enum sdc_rc sdc_config_load(const char *path, struct sdc_config **out,
                            struct sdc_error *err)
{
    struct loader ld = {.path = path, .err = err};
    config_t lc;
    struct stat st;
    const char *slash;
    char eb[128];
    enum sdc_rc rc;

    if (out)
        *out = NULL;
    if (!path || !*path || !out)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "sdc_config_load: no file or no result pointer");
    sdc_error_clear(err);
    if (stat(path, &st) != 0 || access(path, R_OK) != 0)
        return sdc_error_set(err, SDC_ERR_IO, "%s: cannot read config: %s",
                             path, errno_text(errno, eb, sizeof(eb)));
    if (!S_ISREG(st.st_mode))
        return sdc_error_set(err, SDC_ERR_IO,
                             "%s: cannot read config: not a regular file",
                             path);

    slash = strrchr(path, '/');
    if (!slash)
        ld.dir = strdup(".");
    else if (slash == path)
        ld.dir = strdup("/");
    else
        ld.dir = strndup(path, (size_t)(slash - path));
    ld.cfg = calloc(1, sizeof(*ld.cfg));
    if (!ld.dir || !ld.cfg) {
        free(ld.dir);
        free(ld.cfg);
        return sdc_error_set(err, SDC_ERR_NOMEM, "%s: out of memory", path);
    }

    config_init(&lc);
    config_set_include_dir(&lc, ld.dir);
    if (!config_read_file(&lc, path)) {
        if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
            rc = sdc_error_set(err, SDC_ERR_IO, "%s: cannot read config", path);
        else
            rc = sdc_error_set(err, SDC_ERR_CONFIG, "%s:%d: %s",
                               config_error_file(&lc) ? config_error_file(&lc)
                                                      : path,
                               config_error_line(&lc),
                               config_error_text(&lc) ? config_error_text(&lc)
                                                      : "syntax error");
    } else {
        rc = parse_all(&ld, config_root_setting(&lc));
    }
    config_destroy(&lc);
    free(ld.secrets);
    free(ld.dir);
    if (rc != SDC_OK) {
        sdc_config_free(ld.cfg);
        return rc;
    }
    *out = ld.cfg;
    return SDC_OK;
}

static void free_secret(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

void sdc_config_free(struct sdc_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n_hypervisors; i++) {
        free(cfg->hypervisors[i].name);
        free(cfg->hypervisors[i].uri);
        free(cfg->hypervisors[i].cluster);
    }
    free(cfg->hypervisors);
    for (size_t i = 0; i < cfg->n_snmp; i++) {
        struct sdc_snmp_cfg *d = &cfg->snmp[i];
        free(d->name);
        free(d->address);
        free_secret(d->community);
        free(d->user);
        free(d->auth_protocol);
        free_secret(d->auth_password);
        free(d->priv_protocol);
        free_secret(d->priv_password);
        free(d->context);
        for (size_t j = 0; j < d->n_uplinks; j++)
            free(d->uplinks[j]);
        free(d->uplinks);
        free(d->if_include);
        free(d->if_exclude);
        for (size_t j = 0; j < d->n_custom; j++) {
            free(d->custom[j].name);
            free(d->custom[j].oid);
            free(d->custom[j].storage);
        }
        free(d->custom);
    }
    free(cfg->snmp);
    for (size_t i = 0; i < cfg->n_clusters; i++) {
        free(cfg->clusters[i].name);
        free(cfg->clusters[i].host_model.name);
    }
    free(cfg->clusters);
    for (size_t i = 0; i < cfg->n_planned; i++) {
        free(cfg->planned[i].name);
        free(cfg->planned[i].date);
        free(cfg->planned[i].until);
        free(cfg->planned[i].cluster);
        free(cfg->planned[i].pool);
    }
    free(cfg->planned);
    for (size_t i = 0; i < cfg->n_peers; i++) {
        free(cfg->peers[i].name);
        free(cfg->peers[i].url);
        free(cfg->peers[i].user);
        free_secret(cfg->peers[i].password);
        free(cfg->peers[i].ca_file);
    }
    free(cfg->peers);
    free(cfg->capacity.risk);
    free(cfg->capacity.host_model.name);
    free(cfg->web.listen);
    free(cfg->web.tls_cert);
    free(cfg->web.tls_key);
    free(cfg->web.users_file);
    free(cfg->reports.dir);
    free(cfg->reports.daily_digest);
    free(cfg->reports.templates);
    free(cfg->user);
    free(cfg->reports.webhook_url);
    free(cfg->reports.mail_to);
    free(cfg->reports.mail_from);
    free(cfg->reports.sendmail);
    for (size_t i = 0; i < cfg->n_warnings; i++)
        free(cfg->warnings[i]);
    free(cfg->warnings);
    free(cfg->path);
    free(cfg->data_dir);
    free(cfg->rrdcached);
    free(cfg->log_level);
    free(cfg->pidfile);
    free(cfg);
}

const struct sdc_cluster_cfg *
sdc_config_find_cluster(const struct sdc_config *cfg, const char *name)
{
    if (!cfg || !name)
        return NULL;
    for (size_t i = 0; i < cfg->n_clusters; i++)
        if (strcmp(cfg->clusters[i].name, name) == 0)
            return &cfg->clusters[i];
    return NULL;
}

bool sdc_config_uplink_archive(const struct sdc_config *cfg, const char *dev,
                               const char *inst)
{
    char sd[SDC_NAME_MAX], si[SDC_NAME_MAX];
    for (size_t i = 0; i < cfg->n_snmp; i++) {
        const struct sdc_snmp_cfg *d = &cfg->snmp[i];
        sdc_name_sanitize(d->name, sd, sizeof(sd));
        if (strcmp(sd, dev) != 0)
            continue;
        for (size_t k = 0; k < d->n_uplinks; k++) {
            sdc_name_sanitize(d->uplinks[k], si, sizeof(si));
            if (strcmp(si, inst) == 0)
                return true;
        }
    }
    return false;
}
