/*
 * mustache.c - mustache templates over jansson values: the compiler (source
 * to a flat list of nodes), the renderer, and the template directory loader.
 *
 * A compiled template is an array of nodes.  A section node's body is the
 * nodes after it up to its 'end' index, so rendering needs no tree.  Text
 * nodes point into the template's own copy of the source.
 *
 * Indentation of standalone partials: the spec wants the whitespace before a
 * standalone {{> name}} put at the start of every line of the partial's
 * template, but not inside interpolated data.  The compiler marks each node
 * that begins a source line (line_start); the renderer writes the current
 * indentation before such nodes and after each newline inside a text node
 * that is not the node's last byte.  A non-standalone tag that begins a line
 * and produces no node (comment, set delimiters, end of section) leaves an
 * empty line_start text node in its place, so the indentation is written
 * where the text before that tag would have been.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escape.h"
#include "mustache.h"

enum node_type {
    NODE_TEXT,
    NODE_VAR,      /* {{name}}: escaped */
    NODE_RAW,      /* {{{name}}}, {{& name}}: verbatim */
    NODE_SECTION,  /* {{#name}} body {{/name}} */
    NODE_INVERTED, /* {{^name}} body {{/name}} */
    NODE_PARTIAL,  /* {{> name}}, {{>* name}} */
};

struct node {
    uint8_t type;     /* enum node_type */
    bool line_start;  /* begins a source line: gets the partial indentation */
    bool standalone;  /* PARTIAL: alone on its line (indentation applies) */
    bool dynamic;     /* PARTIAL: the name is looked up in the data */
    uint32_t line;    /* source line, from 1 */
    uint32_t off;     /* TEXT: offset in src; others: offset in names */
    uint32_t len;     /* TEXT: bytes; others: name length */
    uint32_t end;     /* SECTION, INVERTED: index of the node after the body */
    uint32_t ind_off; /* PARTIAL: its indentation, as a slice of src */
    uint32_t ind_len;
};

struct mst_template {
    char *name;
    char *src;
    size_t src_len;
    char *names; /* tag names, each NUL-terminated */
    size_t names_len;
    size_t names_cap;
    struct node *nodes;
    uint32_t n_nodes;
    uint32_t nodes_cap;
};

/* ---- compiler ---- */

struct compiler {
    struct mst_template *t;
    uint32_t open[MST_MAX_NESTING]; /* indices of the open sections */
    unsigned n_open;
    size_t line_pos; /* line_no is the line of offset line_pos */
    uint32_t line_no;
    char otag[MST_MAX_DELIM + 1];
    char ctag[MST_MAX_DELIM + 1];
    size_t olen;
    size_t clen;
    struct sdc_error *err;
};

static bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' ||
           ch == '\f';
}

/* The line of @off; offsets asked for never decrease. */
static uint32_t line_at(struct compiler *c, size_t off)
{
    const char *s = c->t->src;
    for (; c->line_pos < off; c->line_pos++)
        if (s[c->line_pos] == '\n')
            c->line_no++;
    return c->line_no;
}

static enum sdc_rc nomem(struct compiler *c)
{
    return sdc_error_set(c->err, SDC_ERR_NOMEM, "template %s: out of memory",
                         c->t->name);
}

static struct node *add_node(struct compiler *c, enum node_type type,
                             uint32_t line)
{
    struct mst_template *t = c->t;
    if (t->n_nodes == t->nodes_cap) {
        uint32_t cap = t->nodes_cap ? t->nodes_cap * 2 : 32;
        struct node *v = realloc(t->nodes, cap * sizeof(*v));
        if (!v)
            return NULL;
        t->nodes = v;
        t->nodes_cap = cap;
    }
    struct node *nd = &t->nodes[t->n_nodes++];
    memset(nd, 0, sizeof(*nd));
    nd->type = (uint8_t)type;
    nd->line = line;
    return nd;
}

/* Copy a tag name into the names pool; its offset in *off. */
static bool add_name(struct compiler *c, const char *s, size_t n, uint32_t *off)
{
    struct mst_template *t = c->t;
    if (t->names_len + n + 1 > t->names_cap) {
        size_t cap = t->names_cap ? t->names_cap : 256;
        while (cap < t->names_len + n + 1)
            cap *= 2;
        char *p = realloc(t->names, cap);
        if (!p)
            return false;
        t->names = p;
        t->names_cap = cap;
    }
    *off = (uint32_t)t->names_len;
    memcpy(t->names + t->names_len, s, n);
    t->names[t->names_len + n] = '\0';
    t->names_len += n + 1;
    return true;
}

/* The source between @from and @to as a text node (nothing if empty). */
static enum sdc_rc add_text(struct compiler *c, size_t from, size_t to,
                            uint32_t line)
{
    if (from >= to)
        return SDC_OK;
    const char *s = c->t->src;
    struct node *nd = add_node(c, NODE_TEXT, line);
    if (!nd)
        return nomem(c);
    nd->off = (uint32_t)from;
    nd->len = (uint32_t)(to - from);
    nd->line_start = from == 0 || s[from - 1] == '\n';
    return SDC_OK;
}

/* An empty text node that only writes the indentation (see the top). */
static enum sdc_rc add_indent_mark(struct compiler *c, uint32_t line)
{
    struct node *nd = add_node(c, NODE_TEXT, line);
    if (!nd)
        return nomem(c);
    nd->line_start = true;
    return SDC_OK;
}

/* Trim blanks from both ends of [*from, *to). */
static void trim(const char *s, size_t *from, size_t *to)
{
    while (*from < *to && is_space(s[*from]))
        (*from)++;
    while (*to > *from && is_space(s[*to - 1]))
        (*to)--;
}

/* A tag name: non-empty, without blanks inside. */
static enum sdc_rc check_name(struct compiler *c, size_t from, size_t to,
                              uint32_t line)
{
    const char *s = c->t->src;
    if (from == to)
        return sdc_error_set(c->err, SDC_ERR_INVALID,
                             "template %s:%u: empty tag name", c->t->name,
                             line);
    for (size_t i = from; i < to; i++)
        if (is_space(s[i]) || s[i] == '\0')
            return sdc_error_set(c->err, SDC_ERR_INVALID,
                                 "template %s:%u: bad tag name '%.*s' (blank "
                                 "inside)",
                                 c->t->name, line,
                                 (int)(to - from > 64 ? 64 : to - from),
                                 s + from);
    return SDC_OK;
}

/* {{=<% %>=}}: the content between the '='s is in [from, to). */
static enum sdc_rc set_delimiters(struct compiler *c, size_t from, size_t to,
                                  uint32_t line)
{
    const char *s = c->t->src;
    trim(s, &from, &to);
    size_t a_end = from;
    while (a_end < to && !is_space(s[a_end]))
        a_end++;
    size_t b = a_end;
    while (b < to && is_space(s[b]))
        b++;
    size_t alen = a_end - from, blen = to - b;
    bool ok = alen > 0 && blen > 0 && alen <= MST_MAX_DELIM &&
              blen <= MST_MAX_DELIM && !memchr(s + from, '=', alen) &&
              !memchr(s + b, '=', blen) && !memchr(s + from, '\0', alen) &&
              !memchr(s + b, '\0', blen);
    for (size_t i = b; ok && i < to; i++)
        ok = !is_space(s[i]);
    if (!ok)
        return sdc_error_set(c->err, SDC_ERR_INVALID,
                             "template %s:%u: bad set-delimiter tag '%.*s' "
                             "(want two delimiters of 1 to %d bytes, separated "
                             "by a space, without '=')",
                             c->t->name, line,
                             (int)(to - from > 64 ? 64 : to - from), s + from,
                             MST_MAX_DELIM);
    memcpy(c->otag, s + from, alen);
    c->otag[alen] = '\0';
    c->olen = alen;
    memcpy(c->ctag, s + b, blen);
    c->ctag[blen] = '\0';
    c->clen = blen;
    return SDC_OK;
}

static enum sdc_rc open_section(struct compiler *c, enum node_type type,
                                size_t from, size_t to, uint32_t line,
                                bool line_start)
{
    if (c->n_open == MST_MAX_NESTING)
        return sdc_error_set(c->err, SDC_ERR_INVALID,
                             "template %s:%u: sections nested more than %d "
                             "deep",
                             c->t->name, line, MST_MAX_NESTING);
    struct node *nd = add_node(c, type, line);
    if (!nd || !add_name(c, c->t->src + from, to - from, &nd->off))
        return nomem(c);
    nd->len = (uint32_t)(to - from);
    nd->line_start = line_start;
    c->open[c->n_open++] = c->t->n_nodes - 1;
    return SDC_OK;
}

static enum sdc_rc close_section(struct compiler *c, size_t from, size_t to,
                                 uint32_t line)
{
    struct mst_template *t = c->t;
    int n = (int)(to - from > 64 ? 64 : to - from);
    if (c->n_open == 0)
        return sdc_error_set(c->err, SDC_ERR_INVALID,
                             "template %s:%u: closing tag '%.*s' without an "
                             "open section",
                             t->name, line, n, t->src + from);
    struct node *open = &t->nodes[c->open[c->n_open - 1]];
    if (open->len != to - from ||
        memcmp(t->names + open->off, t->src + from, to - from) != 0)
        return sdc_error_set(c->err, SDC_ERR_INVALID,
                             "template %s:%u: closing tag '%.*s' does not "
                             "match section '%s' opened at line %u",
                             t->name, line, n, t->src + from,
                             t->names + open->off, open->line);
    open->end = t->n_nodes;
    c->n_open--;
    return SDC_OK;
}

/* One tag that starts at @tag; *pos is the end of the text before it. */
static enum sdc_rc compile_tag(struct compiler *c, size_t *pos, size_t tag)
{
    const char *s = c->t->src;
    size_t n = c->t->src_len;
    const char *name = c->t->name;
    size_t q = tag + c->olen;
    char sigil = q < n ? s[q] : '\0';
    char close[MST_MAX_DELIM + 2];
    size_t close_len;
    enum sdc_rc rc;

    if (sigil != '\0' && strchr("#^/>!={&<$", sigil))
        q++;
    else
        sigil = '\0';
    if (sigil == '{' || sigil == '=') {
        close[0] = sigil == '{' ? '}' : '=';
        memcpy(close + 1, c->ctag, c->clen + 1);
        close_len = c->clen + 1;
    } else {
        memcpy(close, c->ctag, c->clen + 1);
        close_len = c->clen;
    }
    /* line_at() only goes forward: the text's line first */
    uint32_t text_line = line_at(c, *pos);
    uint32_t line = line_at(c, tag);
    const char *cend = q <= n ? memmem(s + q, n - q, close, close_len) : NULL;
    if (!cend)
        return sdc_error_set(c->err, SDC_ERR_INVALID,
                             "template %s:%u: unclosed tag (no '%s' after "
                             "'%s')",
                             name, line, close, c->otag);
    size_t from = q, to = (size_t)(cend - s);
    size_t tag_end = to + close_len;

    /* standalone: alone on its line but for blanks */
    bool standalone = false, line_start;
    size_t ls = tag, next = tag_end;
    while (ls > 0 && is_blank(s[ls - 1]))
        ls--;
    line_start = tag == 0 || s[tag - 1] == '\n';
    if (sigil != '\0' && strchr("#^/>!=", sigil) &&
        (ls == 0 || s[ls - 1] == '\n')) {
        size_t j = tag_end;
        while (j < n && is_blank(s[j]))
            j++;
        if (j == n)
            standalone = true, next = n;
        else if (s[j] == '\n')
            standalone = true, next = j + 1;
        else if (s[j] == '\r' && j + 1 < n && s[j + 1] == '\n')
            standalone = true, next = j + 2;
    }
    rc = add_text(c, *pos, standalone ? ls : tag, text_line);
    if (rc != SDC_OK)
        return rc;
    *pos = standalone ? next : tag_end;
    /* a tag without a node of its own that begins a line: keep its place */
    bool mark = !standalone && line_start;

    switch (sigil) {
    case '!':
        return mark ? add_indent_mark(c, line) : SDC_OK;
    case '=':
        rc = set_delimiters(c, from, to, line);
        if (rc == SDC_OK && mark)
            rc = add_indent_mark(c, line);
        return rc;
    case '<':
    case '$':
        return sdc_error_set(c->err, SDC_ERR_INVALID,
                             "template %s:%u: template inheritance ('%s%c') "
                             "is not supported",
                             name, line, c->otag, sigil);
    default:
        break;
    }

    trim(s, &from, &to);
    bool dynamic = false;
    if (sigil == '>' && from < to && s[from] == '*') {
        dynamic = true;
        from++;
        trim(s, &from, &to);
    }
    rc = check_name(c, from, to, line);
    if (rc != SDC_OK)
        return rc;

    switch (sigil) {
    case '#':
        return open_section(c, NODE_SECTION, from, to, line,
                            line_start && !standalone);
    case '^':
        return open_section(c, NODE_INVERTED, from, to, line,
                            line_start && !standalone);
    case '/':
        if (mark && (rc = add_indent_mark(c, line)) != SDC_OK)
            return rc;
        return close_section(c, from, to, line);
    default: {
        enum node_type type = sigil == '>'    ? NODE_PARTIAL
                              : sigil == '\0' ? NODE_VAR
                                              : NODE_RAW;
        struct node *nd = add_node(c, type, line);
        if (!nd || !add_name(c, s + from, to - from, &nd->off))
            return nomem(c);
        nd->len = (uint32_t)(to - from);
        nd->line_start = line_start && !standalone;
        nd->dynamic = dynamic;
        nd->standalone = standalone;
        if (standalone) {
            nd->ind_off = (uint32_t)ls;
            nd->ind_len = (uint32_t)(tag - ls);
        }
        return SDC_OK;
    }
    }
}

void mst_template_free(struct mst_template *t)
{
    if (!t)
        return;
    free(t->name);
    free(t->src);
    free(t->names);
    free(t->nodes);
    free(t);
}

const char *mst_template_name(const struct mst_template *t)
{
    return t ? t->name : NULL;
}

enum sdc_rc mst_compile(const char *name, const char *text, size_t len,
                        struct mst_template **out, struct sdc_error *err)
{
    if (!out)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "mst_compile: no output pointer");
    *out = NULL;
    if (!name)
        name = "(inline)";
    if (!text && len > 0)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "template %s: no template text", name);
    if (len > MST_MAX_TEMPLATE)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "template %s: larger than %zu bytes", name,
                             MST_MAX_TEMPLATE);
    struct compiler c = {.line_no = 1, .olen = 2, .clen = 2, .err = err};
    memcpy(c.otag, "{{", 3);
    memcpy(c.ctag, "}}", 3);
    struct mst_template *t = calloc(1, sizeof(*t));
    if (!t)
        return sdc_error_set(err, SDC_ERR_NOMEM, "template %s: out of memory",
                             name);
    c.t = t;
    t->name = strdup(name);
    t->src = malloc(len + 1);
    if (!t->name || !t->src) {
        mst_template_free(t);
        return sdc_error_set(err, SDC_ERR_NOMEM, "template %s: out of memory",
                             name);
    }
    if (len)
        memcpy(t->src, text, len);
    t->src[len] = '\0';
    t->src_len = len;

    enum sdc_rc rc = SDC_OK;
    size_t pos = 0;
    while (rc == SDC_OK && pos < len) {
        const char *p = memmem(t->src + pos, len - pos, c.otag, c.olen);
        if (!p) {
            rc = add_text(&c, pos, len, line_at(&c, pos));
            break;
        }
        rc = compile_tag(&c, &pos, (size_t)(p - t->src));
    }
    if (rc == SDC_OK && c.n_open > 0) {
        const struct node *open = &t->nodes[c.open[c.n_open - 1]];
        rc = sdc_error_set(err, SDC_ERR_INVALID,
                           "template %s:%u: unclosed section '%s'", t->name,
                           open->line, t->names + open->off);
    }
    if (rc != SDC_OK) {
        mst_template_free(t);
        return rc;
    }
    *out = t;
    return SDC_OK;
}

/* ---- renderer ---- */

/* A partial from mst_partials.map, compiled during this render. */
struct cached_partial {
    const json_t *src;
    struct mst_template *t;
};

struct render {
    struct mst_buf out;
    struct mst_buf ind; /* indentation of the open standalone partials */
    const json_t **stack;
    unsigned depth; /* entries on stack */
    unsigned nest;  /* sections and partials open */
    unsigned max_nest;
    unsigned long steps;
    unsigned long max_steps;
    enum mst_escape escape;
    const struct mst_partials *partials;
    struct cached_partial *cache;
    size_t n_cache;
    size_t cap_cache;
    struct sdc_error *err;
};

static enum sdc_rc out_failed(struct render *r, const struct mst_template *t,
                              const struct node *nd, enum sdc_rc rc)
{
    if (rc == SDC_ERR_NOMEM)
        return sdc_error_set(r->err, rc, "template %s: out of memory", t->name);
    return sdc_error_set(r->err, rc,
                         "template %s:%u: output larger than %zu bytes",
                         t->name, nd->line, r->out.max);
}

/* Resolve a (dotted) name against the context stack; NULL if missing. */
static const json_t *lookup(const struct render *r, const char *name,
                            size_t len)
{
    if (len == 1 && name[0] == '.')
        return r->depth ? r->stack[r->depth - 1] : NULL;
    const char *end = name + len;
    const char *dot = memchr(name, '.', len);
    size_t part = (size_t)((dot ? dot : end) - name);
    const json_t *v = NULL;
    for (unsigned k = r->depth; k-- > 0;) {
        if (json_is_object(r->stack[k]) &&
            (v = json_object_getn(r->stack[k], name, part)) != NULL)
            break;
    }
    while (v && dot) {
        name = dot + 1;
        dot = memchr(name, '.', (size_t)(end - name));
        part = (size_t)((dot ? dot : end) - name);
        v = json_is_object(v) ? json_object_getn(v, name, part) : NULL;
    }
    return v;
}

static bool truthy(const json_t *v)
{
    if (!v)
        return false;
    switch (json_typeof(v)) {
    case JSON_NULL:
    case JSON_FALSE:
        return false;
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_ARRAY:
        return json_array_size(v) > 0;
    default:
        return true;
    }
}

/* Write a value as text, escaped by @mode. */
static enum sdc_rc put_value(struct mst_buf *b, const json_t *v,
                             enum mst_escape mode)
{
    char num[MST_NUMBER_LEN];
    const char *s = NULL;
    size_t n = 0;
    if (!v)
        return SDC_OK;
    switch (json_typeof(v)) {
    case JSON_STRING:
        s = json_string_value(v);
        n = json_string_length(v);
        break;
    case JSON_INTEGER: {
        int k = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
                         json_integer_value(v));
        s = num;
        n = k > 0 ? (size_t)k : 0;
        break;
    }
    case JSON_REAL:
        n = mst_format_number(json_real_value(v), num);
        s = num;
        break;
    case JSON_TRUE:
        s = "true";
        n = 4;
        break;
    case JSON_FALSE:
        s = "false";
        n = 5;
        break;
    default:
        return SDC_OK;
    }
    switch (mode) {
    case MST_ESCAPE_HTML:
        return mst_escape_html(b, s, n);
    case MST_ESCAPE_MARKDOWN:
        return mst_escape_markdown(b, s, n);
    case MST_ESCAPE_NONE:
        break;
    }
    return mst_buf_append(b, s, n);
}

/* Text, with the indentation after each inner line break. */
static enum sdc_rc put_text(struct render *r, const char *s, size_t n,
                            size_t ind_off, size_t ind_len)
{
    if (ind_len == 0)
        return mst_buf_append(&r->out, s, n);
    while (n > 0) {
        const char *nl = memchr(s, '\n', n);
        size_t k = nl ? (size_t)(nl - s) + 1 : n;
        enum sdc_rc rc = mst_buf_append(&r->out, s, k);
        s += k;
        n -= k;
        if (rc == SDC_OK && nl && n > 0)
            rc = mst_buf_append(&r->out, r->ind.data + ind_off, ind_len);
        if (rc != SDC_OK)
            return rc;
    }
    return SDC_OK;
}

/* The partial called @name, or NULL; compiles map entries on first use. */
static enum sdc_rc find_partial(struct render *r, const struct mst_template *t,
                                const struct node *nd, const char *name,
                                const struct mst_template **out)
{
    const struct mst_partials *p = r->partials;
    *out = NULL;
    if (!p)
        return SDC_OK;
    const json_t *src = p->map ? json_object_get(p->map, name) : NULL;
    if (src && json_is_string(src)) {
        for (size_t i = 0; i < r->n_cache; i++) {
            if (r->cache[i].src == src) {
                *out = r->cache[i].t;
                return SDC_OK;
            }
        }
        if (r->n_cache == r->cap_cache) {
            size_t cap = r->cap_cache ? r->cap_cache * 2 : 8;
            struct cached_partial *v = realloc(r->cache, cap * sizeof(*v));
            if (!v)
                return sdc_error_set(r->err, SDC_ERR_NOMEM,
                                     "partial %s: out of memory", name);
            r->cache = v;
            r->cap_cache = cap;
        }
        struct mst_template *pt;
        enum sdc_rc rc = mst_compile(name, json_string_value(src),
                                     json_string_length(src), &pt, r->err);
        if (rc != SDC_OK)
            return rc;
        r->cache[r->n_cache].src = src;
        r->cache[r->n_cache].t = pt;
        r->n_cache++;
        *out = pt;
        return SDC_OK;
    }
    if (!p->lookup)
        return SDC_OK;
    enum sdc_rc rc = p->lookup(p->ctx, name, out, r->err);
    if (rc != SDC_OK && r->err) {
        /* say which tag asked for it */
        char why[sizeof(r->err->msg)];
        memcpy(why, r->err->msg, sizeof(why));
        sdc_error_set(r->err, rc, "template %s:%u: partial '%.*s': %s", t->name,
                      nd->line, MST_MAX_NAME, name, why);
    }
    return rc;
}

static enum sdc_rc render_nodes(struct render *r, const struct mst_template *t,
                                uint32_t i, uint32_t end, size_t ind_off,
                                size_t ind_len);

/* {{> name}} at node @nd. */
static enum sdc_rc render_partial(struct render *r,
                                  const struct mst_template *t,
                                  const struct node *nd, size_t ind_off,
                                  size_t ind_len)
{
    const char *name = t->names + nd->off;
    if (nd->dynamic) {
        const json_t *v = lookup(r, name, nd->len);
        if (!json_is_string(v) ||
            strlen(json_string_value(v)) != json_string_length(v))
            return SDC_OK;
        name = json_string_value(v);
    }
    if (r->nest >= r->max_nest)
        return sdc_error_set(r->err, SDC_ERR_INVALID,
                             "template %s:%u: partial '%.*s' nested more "
                             "than %u deep (a partial that includes itself?)",
                             t->name, nd->line, MST_MAX_NAME, name,
                             r->max_nest);
    const struct mst_template *p = NULL;
    enum sdc_rc rc = find_partial(r, t, nd, name, &p);
    if (rc != SDC_OK)
        return rc;
    if (!p)
        return SDC_OK;
    /*
     * A standalone partial is indented by the enclosing indentation plus its
     * own: the enclosing one is the tail of r->ind, so append ours.
     * Any other partial is not indented.
     */
    size_t mark = r->ind.len;
    if (nd->standalone) {
        rc = mst_buf_append(&r->ind, t->src + nd->ind_off, nd->ind_len);
        if (rc != SDC_OK)
            return sdc_error_set(r->err, rc,
                                 "template %s:%u: partial indentation longer "
                                 "than %zu bytes",
                                 t->name, nd->line, r->ind.max);
        ind_len += nd->ind_len;
    } else {
        ind_off = mark;
        ind_len = 0;
    }
    r->nest++;
    rc = render_nodes(r, p, 0, p->n_nodes, ind_off, ind_len);
    r->nest--;
    r->ind.len = mark;
    return rc;
}

/* {{#name}} or {{^name}} at node index @i. */
static enum sdc_rc render_section(struct render *r,
                                  const struct mst_template *t, uint32_t i,
                                  size_t ind_off, size_t ind_len)
{
    const struct node *nd = &t->nodes[i];
    const json_t *v = lookup(r, t->names + nd->off, nd->len);
    bool show = truthy(v);
    enum sdc_rc rc = SDC_OK;
    if (nd->type == NODE_INVERTED ? show : !show)
        return SDC_OK;
    if (r->nest >= r->max_nest)
        return sdc_error_set(r->err, SDC_ERR_INVALID,
                             "template %s:%u: section '%s' nested more than "
                             "%u deep",
                             t->name, nd->line, t->names + nd->off,
                             r->max_nest);
    r->nest++;
    if (nd->type == NODE_INVERTED) {
        rc = render_nodes(r, t, i + 1, nd->end, ind_off, ind_len);
    } else if (json_is_array(v)) {
        size_t n = json_array_size(v);
        for (size_t k = 0; k < n && rc == SDC_OK; k++) {
            if (++r->steps > r->max_steps)
                rc = sdc_error_set(r->err, SDC_ERR_INVALID,
                                   "template %s:%u: rendering takes more "
                                   "than %lu steps",
                                   t->name, nd->line, r->max_steps);
            if (rc != SDC_OK)
                break;
            r->stack[r->depth++] = json_array_get(v, k);
            rc = render_nodes(r, t, i + 1, nd->end, ind_off, ind_len);
            r->depth--;
        }
    } else {
        r->stack[r->depth++] = v;
        rc = render_nodes(r, t, i + 1, nd->end, ind_off, ind_len);
        r->depth--;
    }
    r->nest--;
    return rc;
}

static enum sdc_rc render_nodes(struct render *r, const struct mst_template *t,
                                uint32_t i, uint32_t end, size_t ind_off,
                                size_t ind_len)
{
    enum sdc_rc rc = SDC_OK;
    while (i < end) {
        const struct node *nd = &t->nodes[i];
        if (++r->steps > r->max_steps)
            return sdc_error_set(r->err, SDC_ERR_INVALID,
                                 "template %s:%u: rendering takes more than "
                                 "%lu steps",
                                 t->name, nd->line, r->max_steps);
        if (nd->line_start && ind_len > 0) {
            rc = mst_buf_append(&r->out, r->ind.data + ind_off, ind_len);
            if (rc != SDC_OK)
                return out_failed(r, t, nd, rc);
        }
        switch ((enum node_type)nd->type) {
        case NODE_TEXT:
            rc = put_text(r, t->src + nd->off, nd->len, ind_off, ind_len);
            if (rc != SDC_OK)
                return out_failed(r, t, nd, rc);
            i++;
            break;
        case NODE_VAR:
        case NODE_RAW:
            rc = put_value(&r->out, lookup(r, t->names + nd->off, nd->len),
                           nd->type == NODE_VAR ? r->escape : MST_ESCAPE_NONE);
            if (rc != SDC_OK)
                return out_failed(r, t, nd, rc);
            i++;
            break;
        case NODE_SECTION:
        case NODE_INVERTED:
            rc = render_section(r, t, i, ind_off, ind_len);
            if (rc != SDC_OK)
                return rc;
            i = nd->end;
            break;
        case NODE_PARTIAL:
            rc = render_partial(r, t, nd, ind_off, ind_len);
            if (rc != SDC_OK)
                return rc;
            i++;
            break;
        }
    }
    return SDC_OK;
}

enum sdc_rc mst_template_render(const struct mst_template *t,
                                const json_t *data,
                                const struct mst_partials *partials,
                                const struct mst_opts *opts, char **out,
                                size_t *out_len, struct sdc_error *err)
{
    if (out)
        *out = NULL;
    if (out_len)
        *out_len = 0;
    if (!t || !out)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "mst_template_render: no template or no output "
                             "pointer");
    struct mst_opts o = {0};
    if (opts)
        o = *opts;
    if (o.escape != MST_ESCAPE_HTML && o.escape != MST_ESCAPE_MARKDOWN &&
        o.escape != MST_ESCAPE_NONE)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "template %s: unknown escape mode %d", t->name,
                             (int)o.escape);
    struct render r = {
        .max_nest = o.max_depth ? o.max_depth : MST_MAX_DEPTH_DEFAULT,
        .max_steps = o.max_steps ? o.max_steps : MST_MAX_STEPS_DEFAULT,
        .escape = o.escape,
        .partials = partials,
        .err = err,
    };
    mst_buf_init(&r.out, o.max_output ? o.max_output : MST_MAX_OUTPUT_DEFAULT);
    mst_buf_init(&r.ind, (size_t)1 << 20);
    if (r.max_nest > 100000)
        r.max_nest = 100000;
    /* each open section or partial pushes at most one context */
    r.stack = malloc((r.max_nest + 2) * sizeof(*r.stack));
    if (!r.stack)
        return sdc_error_set(err, SDC_ERR_NOMEM, "template %s: out of memory",
                             t->name);
    if (data)
        r.stack[r.depth++] = data;

    enum sdc_rc rc = render_nodes(&r, t, 0, t->n_nodes, 0, 0);

    for (size_t i = 0; i < r.n_cache; i++)
        mst_template_free(r.cache[i].t);
    free(r.cache);
    free(r.stack);
    mst_buf_free(&r.ind);
    if (rc != SDC_OK) {
        mst_buf_free(&r.out);
        return rc;
    }
    *out = mst_buf_release(&r.out, out_len);
    if (!*out)
        return sdc_error_set(err, SDC_ERR_NOMEM, "template %s: out of memory",
                             t->name);
    return SDC_OK;
}

enum sdc_rc mst_render(const char *tmpl, const json_t *data,
                       const struct mst_partials *partials,
                       enum mst_escape mode, char **out, struct sdc_error *err)
{
    if (out)
        *out = NULL;
    if (!tmpl || !out)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "mst_render: no template or no output pointer");
    struct mst_template *t;
    enum sdc_rc rc = mst_compile(NULL, tmpl, strlen(tmpl), &t, err);
    if (rc != SDC_OK)
        return rc;
    struct mst_opts opts = {.escape = mode};
    rc = mst_template_render(t, data, partials, &opts, out, NULL, err);
    mst_template_free(t);
    return rc;
}

/* ---- template directory ---- */

struct loader_entry {
    char *name;
    struct mst_template *t; /* NULL: the file does not exist */
};

struct mst_loader {
    char *dir;
    char *suffix;
    pthread_mutex_t lock;
    struct loader_entry *v;
    size_t n;
    size_t cap;
};

bool mst_name_valid(const char *name)
{
    if (!name || !name[0] || name[0] == '.' || strstr(name, ".."))
        return false;
    size_t n = 0;
    for (const char *p = name; *p; p++, n++) {
        char ch = *p;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
                  ch == '.';
        if (!ok || n >= MST_MAX_NAME)
            return false;
    }
    return true;
}

enum sdc_rc mst_loader_new(const char *dir, const char *suffix,
                           struct mst_loader **out, struct sdc_error *err)
{
    struct stat st;
    if (!out)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "mst_loader_new: no output pointer");
    *out = NULL;
    if (!dir || !dir[0])
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "template directory not given");
    if (!suffix || strchr(suffix, '/'))
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "template suffix '%s' is not a file name suffix",
                             suffix ? suffix : "(null)");
    if (stat(dir, &st) != 0)
        return sdc_error_set(err, SDC_ERR_IO, "template directory '%s': %s",
                             dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return sdc_error_set(err, SDC_ERR_IO,
                             "template directory '%s': not a directory", dir);
    struct mst_loader *l = calloc(1, sizeof(*l));
    if (!l)
        return sdc_error_set(err, SDC_ERR_NOMEM,
                             "template loader: out of "
                             "memory");
    l->dir = strdup(dir);
    l->suffix = strdup(suffix);
    if (!l->dir || !l->suffix || pthread_mutex_init(&l->lock, NULL) != 0) {
        free(l->dir);
        free(l->suffix);
        free(l);
        return sdc_error_set(err, SDC_ERR_NOMEM,
                             "template loader: out of "
                             "memory");
    }
    *out = l;
    return SDC_OK;
}

void mst_loader_free(struct mst_loader *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].name);
        mst_template_free(l->v[i].t);
    }
    free(l->v);
    pthread_mutex_destroy(&l->lock);
    free(l->dir);
    free(l->suffix);
    free(l);
}

/* Read @path whole; errno-style code in *eno on failure. */
static char *read_template(const char *path, size_t *len, int *eno)
{
    struct stat st;
    *eno = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *eno = errno;
        return NULL;
    }
    if (fstat(fd, &st) != 0)
        *eno = errno;
    else if (!S_ISREG(st.st_mode))
        *eno = EISDIR;
    else if ((size_t)st.st_size > MST_MAX_TEMPLATE)
        *eno = EFBIG;
    if (*eno) {
        close(fd);
        return NULL;
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        *eno = ENOMEM;
        close(fd);
        return NULL;
    }
    /* the file may grow after fstat: read up to the cap */
    for (;;) {
        ssize_t k = read(fd, buf + n, cap - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            *eno = errno;
            free(buf);
            close(fd);
            return NULL;
        }
        if (k == 0)
            break;
        n += (size_t)k;
        if (n == cap) {
            if (cap > MST_MAX_TEMPLATE) {
                *eno = EFBIG;
                free(buf);
                close(fd);
                return NULL;
            }
            char *p = realloc(buf, cap * 2);
            if (!p) {
                *eno = ENOMEM;
                free(buf);
                close(fd);
                return NULL;
            }
            buf = p;
            cap *= 2;
        }
    }
    close(fd);
    *len = n;
    return buf;
}

/* The entry for @name, read and compiled on first use; lock held. */
static enum sdc_rc loader_get_locked(struct mst_loader *l, const char *name,
                                     bool missing_ok,
                                     const struct mst_template **out,
                                     struct sdc_error *err)
{
    char path[PATH_MAX];
    *out = NULL;
    if (!mst_name_valid(name))
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "bad template name '%.*s' (want letters, digits, "
                             "'_', '-', '.'; no '/' or '..')",
                             MST_MAX_NAME, name ? name : "");
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->v[i].name, name) != 0)
            continue;
        if (l->v[i].t || missing_ok) {
            *out = l->v[i].t;
            return SDC_OK;
        }
        return sdc_error_set(err, SDC_ERR_IO, "template %s/%s%s: %s", l->dir,
                             name, l->suffix, strerror(ENOENT));
    }
    int n = snprintf(path, sizeof(path), "%s/%s%s", l->dir, name, l->suffix);
    if (n < 0 || (size_t)n >= sizeof(path))
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "template %s/%s%s: path too long", l->dir, name,
                             l->suffix);
    size_t len = 0;
    int eno = 0;
    char *text = read_template(path, &len, &eno);
    if (!text && eno == ENOMEM)
        return sdc_error_set(err, SDC_ERR_NOMEM, "template %s: out of memory",
                             path);
    if (!text && eno == EFBIG)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "template %s: larger than %zu bytes", path,
                             MST_MAX_TEMPLATE);
    if (!text && eno != ENOENT)
        return sdc_error_set(err, SDC_ERR_IO, "template %s: %s", path,
                             strerror(eno));
    struct mst_template *t = NULL;
    if (text) {
        enum sdc_rc rc =
            mst_compile(path + strlen(l->dir) + 1, text, len, &t, err);
        free(text);
        if (rc != SDC_OK)
            return rc;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        struct loader_entry *v = realloc(l->v, cap * sizeof(*v));
        if (!v) {
            mst_template_free(t);
            return sdc_error_set(err, SDC_ERR_NOMEM,
                                 "template %s: out of memory", path);
        }
        l->v = v;
        l->cap = cap;
    }
    char *copy = strdup(name);
    if (!copy) {
        mst_template_free(t);
        return sdc_error_set(err, SDC_ERR_NOMEM, "template %s: out of memory",
                             path);
    }
    l->v[l->n].name = copy;
    l->v[l->n].t = t;
    l->n++;
    if (!t && !missing_ok)
        return sdc_error_set(err, SDC_ERR_IO, "template %s: %s", path,
                             strerror(ENOENT));
    *out = t;
    return SDC_OK;
}

static enum sdc_rc loader_get(struct mst_loader *l, const char *name,
                              bool missing_ok, const struct mst_template **out,
                              struct sdc_error *err)
{
    pthread_mutex_lock(&l->lock);
    enum sdc_rc rc = loader_get_locked(l, name, missing_ok, out, err);
    pthread_mutex_unlock(&l->lock);
    return rc;
}

enum sdc_rc mst_loader_get(struct mst_loader *l, const char *name,
                           const struct mst_template **out,
                           struct sdc_error *err)
{
    if (!out)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "mst_loader_get: no output pointer");
    *out = NULL;
    if (!l)
        return sdc_error_set(err, SDC_ERR_INVALID, "mst_loader_get: no loader");
    return loader_get(l, name, false, out, err);
}

static enum sdc_rc loader_partial(void *ctx, const char *name,
                                  const struct mst_template **out,
                                  struct sdc_error *err)
{
    return loader_get(ctx, name, true, out, err);
}

struct mst_partials mst_loader_partials(struct mst_loader *l)
{
    struct mst_partials p = {.map = NULL, .lookup = loader_partial, .ctx = l};
    return p;
}

enum sdc_rc mst_loader_render(struct mst_loader *l, const char *name,
                              const json_t *data, const struct mst_opts *opts,
                              char **out, size_t *out_len,
                              struct sdc_error *err)
{
    const struct mst_template *t;
    if (out)
        *out = NULL;
    if (!out)
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "mst_loader_render: no output pointer");
    enum sdc_rc rc = mst_loader_get(l, name, &t, err);
    if (rc != SDC_OK)
        return rc;
    struct mst_partials p = mst_loader_partials(l);
    return mst_template_render(t, data, &p, opts, out, out_len, err);
}
