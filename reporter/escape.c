/* escape.c - bounded buffer, HTML/Markdown escaping, numbers, CSV writer. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

void mst_buf_init(struct mst_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : MST_BUF_MAX_DEFAULT;
    if (b->max > SIZE_MAX / 4)
        b->max = SIZE_MAX / 4; /* so len + n + 1 and cap * 2 never wrap */
}

/* Make room for @n more bytes plus the NUL, doubling up to the cap. */
static enum sdc_rc buf_reserve(struct mst_buf *b, size_t n)
{
    if (b->max == 0) /* zero-initialised, never through mst_buf_init */
        b->max = MST_BUF_MAX_DEFAULT;
    if (n > b->max || b->len > b->max - n)
        return SDC_ERR_INVALID;
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return SDC_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    char *p = realloc(b->data, cap);
    if (!p)
        return SDC_ERR_NOMEM;
    b->data = p;
    b->cap = cap;
    return SDC_OK;
}

enum sdc_rc mst_buf_append(struct mst_buf *b, const char *s, size_t n)
{
    if (n == 0)
        return SDC_OK;
    enum sdc_rc rc = buf_reserve(b, n);
    if (rc != SDC_OK)
        return rc;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return SDC_OK;
}

enum sdc_rc mst_buf_putc(struct mst_buf *b, char c)
{
    if (b->len + 1 < b->cap) {
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return SDC_OK;
    }
    return mst_buf_append(b, &c, 1);
}

char *mst_buf_release(struct mst_buf *b, size_t *len)
{
    char *p = b->data;
    size_t n = b->len;
    if (!p) {
        p = malloc(1);
        if (p)
            p[0] = '\0';
        n = 0;
    }
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    if (len)
        *len = p ? n : 0;
    return p;
}

void mst_buf_free(struct mst_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

enum sdc_rc mst_escape_html(struct mst_buf *b, const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep;
        switch (s[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            continue;
        }
        enum sdc_rc rc = mst_buf_append(b, s + start, i - start);
        if (rc == SDC_OK)
            rc = mst_buf_append(b, rep, strlen(rep));
        if (rc != SDC_OK)
            return rc;
        start = i + 1;
    }
    return mst_buf_append(b, s + start, n - start);
}

enum sdc_rc mst_escape_markdown(struct mst_buf *b, const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep;
        size_t skip = 1;
        switch (s[i]) {
        case '\\':
            rep = "\\\\";
            break;
        case '`':
            rep = "\\`";
            break;
        case '*':
            rep = "\\*";
            break;
        case '_':
            rep = "\\_";
            break;
        case '[':
            rep = "\\[";
            break;
        case ']':
            rep = "\\]";
            break;
        case '<':
            rep = "\\<";
            break;
        case '>':
            rep = "\\>";
            break;
        case '#':
            rep = "\\#";
            break;
        case '|':
            rep = "\\|";
            break;
        case '&':
            rep = "\\&";
            break;
        case '~':
            rep = "\\~";
            break;
        case '\r':
            rep = " ";
            if (i + 1 < n && s[i + 1] == '\n')
                skip = 2;
            break;
        case '\n':
            rep = " ";
            break;
        default:
            continue;
        }
        enum sdc_rc rc = mst_buf_append(b, s + start, i - start);
        if (rc == SDC_OK)
            rc = mst_buf_append(b, rep, strlen(rep));
        if (rc != SDC_OK)
            return rc;
        i += skip - 1;
        start = i + 1;
    }
    return mst_buf_append(b, s + start, n - start);
}

size_t mst_format_number(double v, char *buf)
{
    int n;
    if (isnan(v))
        n = snprintf(buf, MST_NUMBER_LEN, "nan");
    else if (isinf(v))
        n = snprintf(buf, MST_NUMBER_LEN, "%s", v < 0 ? "-inf" : "inf");
    else {
        /* 17 significant digits always read back; try shorter first. */
        n = 0;
        for (int prec = 1; prec <= 17; prec++) {
            n = snprintf(buf, MST_NUMBER_LEN, "%.*g", prec, v);
            if (strtod(buf, NULL) == v)
                break;
        }
    }
    return n > 0 ? (size_t)n : 0;
}

enum sdc_rc mst_csv_quote(struct mst_buf *b, const char *s, size_t n,
                          unsigned flags)
{
    bool quote = n > 0 && (s[0] == ' ' || s[n - 1] == ' ');
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    bool defuse = (flags & MST_CSV_DEFUSE_FORMULAS) && n > 0 &&
                  strchr("=+-@\t\r", s[0]) && s[0] != '\0';
    enum sdc_rc rc = SDC_OK;
    if (quote)
        rc = mst_buf_putc(b, '"');
    if (rc == SDC_OK && defuse)
        rc = mst_buf_putc(b, '\'');
    if (rc != SDC_OK)
        return rc;
    if (!quote)
        return mst_buf_append(b, s, n);
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '"')
            continue;
        /* the quote itself is written twice: once in this run, once here */
        rc = mst_buf_append(b, s + start, i + 1 - start);
        if (rc == SDC_OK)
            rc = mst_buf_putc(b, '"');
        if (rc != SDC_OK)
            return rc;
        start = i + 1;
    }
    rc = mst_buf_append(b, s + start, n - start);
    return rc == SDC_OK ? mst_buf_putc(b, '"') : rc;
}

void mst_csv_init(struct mst_csv *w, FILE *fp, unsigned flags)
{
    w->fp = fp;
    w->flags = flags;
    w->col = 0;
    /* one field at a time: a cell is never near this */
    mst_buf_init(&w->tmp, (size_t)16 << 20);
}

/* Write the scratch buffer (separator and field) to the stream. */
static enum sdc_rc csv_flush(struct mst_csv *w, enum sdc_rc rc,
                             struct sdc_error *err)
{
    if (rc == SDC_ERR_NOMEM)
        return sdc_error_set(err, rc, "csv: out of memory");
    if (rc != SDC_OK)
        return sdc_error_set(err, rc, "csv: field longer than %zu bytes",
                             w->tmp.max);
    errno = 0;
    if (w->tmp.len && fwrite(w->tmp.data, 1, w->tmp.len, w->fp) != w->tmp.len)
        return sdc_error_set(err, SDC_ERR_IO, "csv: write failed: %s",
                             errno ? strerror(errno) : "short write");
    w->tmp.len = 0;
    return SDC_OK;
}

/* Start a field: the comma unless it is the first of the record. */
static enum sdc_rc csv_sep(struct mst_csv *w)
{
    w->tmp.len = 0;
    return w->col++ ? mst_buf_putc(&w->tmp, ',') : SDC_OK;
}

enum sdc_rc mst_csv_strn(struct mst_csv *w, const char *s, size_t n,
                         struct sdc_error *err)
{
    enum sdc_rc rc = csv_sep(w);
    if (rc == SDC_OK && s)
        rc = mst_csv_quote(&w->tmp, s, n, w->flags);
    return csv_flush(w, rc, err);
}

enum sdc_rc mst_csv_str(struct mst_csv *w, const char *s, struct sdc_error *err)
{
    return mst_csv_strn(w, s, s ? strlen(s) : 0, err);
}

enum sdc_rc mst_csv_int(struct mst_csv *w, long long v, struct sdc_error *err)
{
    char num[MST_NUMBER_LEN];
    int n = snprintf(num, sizeof(num), "%lld", v);
    enum sdc_rc rc = csv_sep(w);
    if (rc == SDC_OK)
        rc = mst_buf_append(&w->tmp, num, (size_t)n);
    return csv_flush(w, rc, err);
}

enum sdc_rc mst_csv_num(struct mst_csv *w, double v, int decimals,
                        struct sdc_error *err)
{
    char num[512];
    size_t n = 0;
    if (!isfinite(v))
        n = 0;
    else if (decimals < 0)
        n = mst_format_number(v, num);
    else {
        int k = snprintf(num, sizeof(num), "%.*f",
                         decimals > 30 ? 30 : decimals, v);
        n = k > 0 && (size_t)k < sizeof(num) ? (size_t)k : 0;
    }
    enum sdc_rc rc = csv_sep(w);
    if (rc == SDC_OK)
        rc = mst_buf_append(&w->tmp, num, n);
    return csv_flush(w, rc, err);
}

enum sdc_rc mst_csv_end_row(struct mst_csv *w, struct sdc_error *err)
{
    w->tmp.len = 0;
    w->col = 0;
    return csv_flush(w, mst_buf_append(&w->tmp, "\r\n", 2), err);
}

void mst_csv_free(struct mst_csv *w)
{
    mst_buf_free(&w->tmp);
}
