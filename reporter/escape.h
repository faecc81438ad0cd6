/*
 * escape.h - output escaping for reports: a bounded growable buffer, HTML
 * and Markdown escaping (used by the mustache renderer, mustache.h), number
 * formatting, and an RFC 4180 CSV writer (CSV files are written directly,
 * not through templates).
 *
 * Nothing here prints or exits.  Functions that append to a buffer return
 * SDC_OK, SDC_ERR_NOMEM (allocation failed) or SDC_ERR_INVALID (the buffer's
 * size cap would be exceeded); the buffer is left valid either way.
 */
#ifndef SDC_REPORTER_ESCAPE_H
#define SDC_REPORTER_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "sdc/error.h"

/* Default cap of a struct mst_buf: 64 MiB. */
#define MST_BUF_MAX_DEFAULT ((size_t)64 << 20)

/*
 * struct mst_buf - a byte buffer that grows up to @max bytes.
 * @data: the bytes, NUL-terminated once anything was appended (NULL before);
 *        may contain NUL bytes of its own (use @len)
 * @len:  bytes held, not counting the terminating NUL
 * @cap:  bytes allocated
 * @max:  most bytes it may hold
 */
struct mst_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
};

/* mst_buf_init - an empty buffer capped at @max bytes (0: the default). */
void mst_buf_init(struct mst_buf *b, size_t max);

/* mst_buf_append - append @n bytes of @s (@s may be NULL when @n is 0). */
enum sdc_rc mst_buf_append(struct mst_buf *b, const char *s, size_t n);

/* mst_buf_putc - append one byte. */
enum sdc_rc mst_buf_putc(struct mst_buf *b, char c);

/*
 * mst_buf_release - hand the bytes to the caller, who frees them with free();
 * an empty buffer gives an allocated "" (NULL only if that allocation fails).
 * @len: if non-NULL, set to the length.  The buffer is left empty.
 */
char *mst_buf_release(struct mst_buf *b, size_t *len);

/* mst_buf_free - free the bytes; the buffer is left empty and reusable. */
void mst_buf_free(struct mst_buf *b);

/*
 * mst_escape_html - append @s (@n bytes) with & < > " ' written as &amp;
 * &lt; &gt; &quot; &#39;: safe in element content and in quoted attributes.
 */
enum sdc_rc mst_escape_html(struct mst_buf *b, const char *s, size_t n);

/*
 * mst_escape_markdown - append @s (@n bytes) for Markdown (CommonMark/GFM),
 * including table cells: \ ` * _ [ ] < > # | & ~ get a backslash in front,
 * and each line break (\n, \r\n or \r) becomes one space, so a value cannot
 * end a table cell or row, start a heading, or open emphasis, a code span, a
 * link, an HTML tag or an entity; it reads back as the same characters.
 * List markers (- + 1.) are left alone: values belong in table cells and
 * running text, not at the start of a line.
 */
enum sdc_rc mst_escape_markdown(struct mst_buf *b, const char *s, size_t n);

/* Longest text mst_format_number() writes, with its NUL. */
#define MST_NUMBER_LEN 32

/*
 * mst_format_number - @v in the shortest "%g" form that reads back as the
 * same double: 85 -> "85", 1.21 -> "1.21", 0.1 + 0.2 ->
 * "0.30000000000000004", 1e21 -> "1e+21"; "nan", "inf", "-inf" for those.
 * Uses the C library's LC_NUMERIC (the "C" locale unless the program changed
 * it).
 * @buf: at least MST_NUMBER_LEN bytes
 * @return: the length written.
 */
size_t mst_format_number(double v, char *buf);

/* Flags of mst_csv_quote() and struct mst_csv. */
enum mst_csv_flags {
    /*
     * Defuse spreadsheet formulas: a text field that starts with = + - @ TAB
     * or CR gets a leading apostrophe, so a VM named "=HYPERLINK(...)" is
     * shown as text by spreadsheet programs.  Changes such values as read by
     * a CSV parser; numbers written with mst_csv_int/num are not affected.
     */
    MST_CSV_DEFUSE_FORMULAS = 1 << 0,
};

/*
 * mst_csv_quote - append one CSV field (RFC 4180): as is, or between double
 * quotes with inner quotes doubled when it holds , " CR or LF, or starts or
 * ends with a space.  No separator is written.
 * @flags: enum mst_csv_flags
 */
enum sdc_rc mst_csv_quote(struct mst_buf *b, const char *s, size_t n,
                          unsigned flags);

/*
 * struct mst_csv - writes CSV records to a stdio stream: fields separated by
 * commas, records ended by CRLF (RFC 4180).  Usage:
 *
 *   struct mst_csv w;
 *   mst_csv_init(&w, fp, 0);
 *   mst_csv_str(&w, "name", err); mst_csv_str(&w, "vcpus", err);
 *   mst_csv_end_row(&w, err);
 *   ...
 *
 * Each call returns SDC_OK, or SDC_ERR_IO when the stream refused the
 * bytes (message with strerror), SDC_ERR_NOMEM.  The stream stays the
 * caller's: flush and close it yourself, and check that too.
 */
struct mst_csv {
    FILE *fp;
    unsigned flags;
    size_t col;
    struct mst_buf tmp;
};

/* mst_csv_init - write to @fp with @flags (enum mst_csv_flags). */
void mst_csv_init(struct mst_csv *w, FILE *fp, unsigned flags);

/* mst_csv_str - a text field; NULL writes an empty field. */
enum sdc_rc mst_csv_str(struct mst_csv *w, const char *s,
                        struct sdc_error *err);

/* mst_csv_strn - a text field of @n bytes. */
enum sdc_rc mst_csv_strn(struct mst_csv *w, const char *s, size_t n,
                         struct sdc_error *err);

/* mst_csv_int - an integer field. */
enum sdc_rc mst_csv_int(struct mst_csv *w, long long v, struct sdc_error *err);

/*
 * mst_csv_num - a number field with @decimals digits after the point
 * ("%.*f"), or the shortest exact form (mst_format_number) when @decimals
 * is negative.  NaN and infinities give an empty field (no data).
 */
enum sdc_rc mst_csv_num(struct mst_csv *w, double v, int decimals,
                        struct sdc_error *err);

/* mst_csv_end_row - end the record (CRLF). */
enum sdc_rc mst_csv_end_row(struct mst_csv *w, struct sdc_error *err);

/* mst_csv_free - free the writer's scratch memory (not the stream). */
void mst_csv_free(struct mst_csv *w);

#endif
