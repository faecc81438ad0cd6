/*
 * mustache.h - a mustache template renderer whose data is a jansson value.
 *
 * Implements the mustache spec (github.com/mustache/spec, v1.3 era):
 * interpolation ({{x}} escaped, {{{x}}} and {{& x}} verbatim), dotted names,
 * the implicit iterator {{.}}, context-stack lookup, sections, inverted
 * sections, comments, partials (with the indentation of standalone partial
 * tags), set delimiters, the standalone-line rules, and the optional dynamic
 * partial names ({{>*name}}).  Not implemented: lambdas (JSON has no code)
 * and template inheritance ({{<parent}} {{$block}}), refused with an error.
 *
 * Data model (jansson):
 *   - interpolation: strings as they are; integers in decimal; reals in the
 *     shortest form that reads back exactly (1.21 -> "1.21", 2.0 -> "2");
 *     true/false as "true"/"false"; null, objects and arrays as nothing.
 *   - falsy: a missing name, null, false, "" and [].  Everything else is
 *     truthy, including 0 and {} (a report must be able to show a zero).
 *   - {{#list}} renders once per element of an array, pushing the element;
 *     once for any other truthy value, pushing it.  {{^x}} renders once when
 *     x is falsy.
 *   - a name "a.b.c" finds "a" in the innermost context (object) that has
 *     the key, then "b" and "c" inside that value only; "." is the innermost
 *     context itself.
 *
 * Limits, each an error rather than a crash or a hang: templates of at most
 * MST_MAX_TEMPLATE bytes; sections nested at most MST_MAX_NESTING deep in one
 * template; at render time the nesting of sections and partials together, the
 * output size and the work done (steps) are capped (struct mst_opts).
 *
 * Error messages name the template and line:
 *   "template report.html.mustache:42: unclosed section 'vms'"
 *
 * Thread-safety: a compiled template is read-only and may be rendered from
 * several threads at once; a struct mst_loader has its own lock.
 */
#ifndef SDC_REPORTER_MUSTACHE_H
#define SDC_REPORTER_MUSTACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "sdc/error.h"

/* Largest template source accepted by mst_compile(). */
#define MST_MAX_TEMPLATE ((size_t)4 << 20)
/* Deepest nesting of sections inside one template. */
#define MST_MAX_NESTING 64
/* Longest delimiter accepted by a set-delimiter tag, e.g. {{=<% %>=}}. */
#define MST_MAX_DELIM 16
/* Longest partial name. */
#define MST_MAX_NAME 128

/* Defaults of struct mst_opts. */
#define MST_MAX_OUTPUT_DEFAULT ((size_t)64 << 20)
#define MST_MAX_DEPTH_DEFAULT 64
#define MST_MAX_STEPS_DEFAULT 32000000UL

/* How {{name}} escapes; {{{name}}} and {{& name}} never escape. */
enum mst_escape {
    MST_ESCAPE_HTML = 0, /* & < > " ' as entities (mst_escape_html) */
    MST_ESCAPE_MARKDOWN, /* Markdown punctuation, line breaks to spaces */
    MST_ESCAPE_NONE,     /* verbatim: plain text */
};

/*
 * struct mst_opts - render options; a zeroed struct (or NULL) means HTML
 * escaping and the default limits.
 * @escape:     enum mst_escape
 * @max_output: output cap in bytes (0: MST_MAX_OUTPUT_DEFAULT, 64 MiB)
 * @max_depth:  sections and partials open at once (0: MST_MAX_DEPTH_DEFAULT);
 *              stops a partial that includes itself for ever
 * @max_steps:  tags and loop iterations visited (0: MST_MAX_STEPS_DEFAULT);
 *              stops templates whose work explodes without output, such as
 *              a partial that includes itself twice
 */
struct mst_opts {
    enum mst_escape escape;
    size_t max_output;
    unsigned max_depth;
    unsigned long max_steps;
};

/* A compiled template: parse once, render many times. */
struct mst_template;

/*
 * mst_partial_fn - find the partial @name (NUL-terminated).
 * @out: set to a compiled template that stays valid until the render call
 *       returns (the provider keeps ownership), or NULL if there is no such
 *       partial (it then renders as nothing, as the spec says)
 * @return: SDC_OK, or an error (with @err filled) that aborts the render.
 */
typedef enum sdc_rc (*mst_partial_fn)(void *ctx, const char *name,
                                      const struct mst_template **out,
                                      struct sdc_error *err);

/*
 * struct mst_partials - where {{> name}} finds its template.
 * @map:    a JSON object of name -> template text, compiled on first use in
 *          each render call; may be NULL
 * @lookup: consulted when @map is NULL or lacks the name; may be NULL
 * @ctx:    passed to @lookup
 */
struct mst_partials {
    const json_t *map;
    mst_partial_fn lookup;
    void *ctx;
};

/*
 * mst_compile - parse a template.
 * @name: used in error messages, e.g. "report.html.mustache"; NULL: "(inline)"
 * @text: the source, @len bytes (need not be NUL-terminated)
 * @out:  set to the template; free with mst_template_free()
 * @return: SDC_OK; SDC_ERR_INVALID for a syntax error (message with line);
 *          SDC_ERR_NOMEM.
 */
enum sdc_rc mst_compile(const char *name, const char *text, size_t len,
                        struct mst_template **out, struct sdc_error *err);

/* mst_template_free - free @t (NULL allowed). */
void mst_template_free(struct mst_template *t);

/* mst_template_name - the name given to mst_compile(). */
const char *mst_template_name(const struct mst_template *t);

/*
 * mst_template_render - render @t against @data.
 * @data:     the root context; NULL renders as if every name were missing
 * @partials: may be NULL (every partial renders as nothing)
 * @opts:     may be NULL (HTML escaping, default limits)
 * @out:      set to the output, NUL-terminated, allocated (caller frees with
 *            free()); NULL on error
 * @out_len:  if non-NULL, set to the output length (a JSON string holding
 *            "\u0000" puts a NUL inside the output)
 * @return: SDC_OK; SDC_ERR_INVALID for a limit hit or a bad partial
 *          (message with template name and line); SDC_ERR_NOMEM; or what a
 *          partial lookup returned.
 */
enum sdc_rc mst_template_render(const struct mst_template *t,
                                const json_t *data,
                                const struct mst_partials *partials,
                                const struct mst_opts *opts, char **out,
                                size_t *out_len, struct sdc_error *err);

/*
 * mst_render - compile and render a NUL-terminated template in one call
 * (default limits; error messages name it "(inline)").
 */
enum sdc_rc mst_render(const char *tmpl, const json_t *data,
                       const struct mst_partials *partials,
                       enum mst_escape mode, char **out, struct sdc_error *err);

/*
 * Template directory.  A struct mst_loader reads templates from one
 * directory: the template or partial NAME is the file DIR/NAME + SUFFIX, the
 * suffix naming the output format:
 *
 *   templates/report.html.mustache   loader suffix ".html.mustache"
 *   templates/header.html.mustache   {{> header}} in an HTML template
 *   templates/report.md.mustache     loader suffix ".md.mustache"
 *
 * Names are 1..MST_MAX_NAME bytes of [A-Za-z0-9_.-], not starting with '.'
 * and without "..", so no name leaves the directory; a partial tag with any
 * other name is an error.  A partial whose file does not exist renders as
 * nothing (the spec's rule); other read errors fail the render.  Files are
 * read and compiled once and kept until mst_loader_free().
 */
struct mst_loader;

/*
 * mst_loader_new - a loader for @dir (must be a directory) and @suffix
 * (e.g. ".html.mustache"; may be "").
 * @return: SDC_OK; SDC_ERR_IO if @dir is not a readable directory;
 *          SDC_ERR_INVALID; SDC_ERR_NOMEM.
 */
enum sdc_rc mst_loader_new(const char *dir, const char *suffix,
                           struct mst_loader **out, struct sdc_error *err);

/* mst_loader_free - free @l and its templates (NULL allowed). */
void mst_loader_free(struct mst_loader *l);

/*
 * mst_name_valid - whether @name is acceptable as a template name (see
 * above).
 */
bool mst_name_valid(const char *name);

/*
 * mst_loader_get - the compiled template @name, read on first use.
 * @out: set to the template, owned by the loader
 * @return: SDC_OK; SDC_ERR_INVALID for a bad name or a syntax error;
 *          SDC_ERR_IO if the file is missing or unreadable; SDC_ERR_NOMEM.
 */
enum sdc_rc mst_loader_get(struct mst_loader *l, const char *name,
                           const struct mst_template **out,
                           struct sdc_error *err);

/*
 * mst_loader_partials - a struct mst_partials that finds partials through
 * @l (valid while @l lives).
 */
struct mst_partials mst_loader_partials(struct mst_loader *l);

/*
 * mst_loader_render - render the template @name with partials from the same
 * directory; arguments and results as mst_template_render().
 */
enum sdc_rc mst_loader_render(struct mst_loader *l, const char *name,
                              const json_t *data, const struct mst_opts *opts,
                              char **out, size_t *out_len,
                              struct sdc_error *err);

#endif
