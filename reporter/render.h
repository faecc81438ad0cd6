/*
 * render.h - write a report's directory: report.html and report.md through
 * the mustache templates (templates/<name>.html.mustache, .md.mustache and
 * their partials), one CSV file per table (RFC 4180, written directly), and
 * report.json.
 *
 * Atomic: everything is written into a temporary directory beside the
 * target (".<name>.tmp-XXXXXX"), synced, and renamed into place; a report
 * already there is swapped out in one step (renameat2 RENAME_EXCHANGE) and
 * then removed.  A reader sees the old report or the new one, never half.
 *
 * The templates get report.json's document with the report's view (charts)
 * and "has": {"<list>": true|false} for every list of the document, so a
 * template can show a table's header only when it has rows.
 */
#ifndef SDC_REPORTER_RENDER_H
#define SDC_REPORTER_RENDER_H

#include <stddef.h>

#include "monthly.h"
#include "sdc/config.h"
#include "sdc/error.h"

enum render_format {
    RENDER_HTML = 1 << 0,
    RENDER_MD = 1 << 1,
    RENDER_CSV = 1 << 2,
    RENDER_JSON = 1 << 3,
    RENDER_ALL = RENDER_HTML | RENDER_MD | RENDER_CSV | RENDER_JSON,
};

/*
 * render_formats_parse - "html,md,csv,json" (any of them, comma separated)
 * into enum render_format bits.
 * @return: SDC_OK; SDC_ERR_INVALID naming the unknown format.
 */
enum sdc_rc render_formats_parse(const char *list, unsigned *out,
                                 struct sdc_error *err);

/*
 * render_template_dir - where the templates are: $SDCMON_TEMPLATES when
 * set; else PREFIX/share/sdcmon/templates for the PREFIX/bin (or sbin) the
 * running program was installed in (found through /proc/self/exe, so an
 * installed tree can be moved) when it exists; else the directory of the
 * configured install prefix when it exists; else the source tree's
 * templates/ (running from a build tree).
 */
const char *render_template_dir(void);

/* What a CSV column writes: a string, a figure's value (or a plain
 * number), an integer, true/false. */
enum render_col_type {
    RENDER_COL_STR = 0,
    RENDER_COL_FIG,
    RENDER_COL_INT,
    RENDER_COL_BOOL,
};

/* struct render_col - a CSV column: its header and the value at the
 * dotted @path ("cpu.p95") of each row; a list ends with a NULL header. */
struct render_col {
    const char *header;
    const char *path;
    enum render_col_type type;
};

/*
 * struct render_table - one CSV file @file: a row per element of the
 * array at the dotted path @list of the document.  With @sub, a row per
 * element of each element's array @sub instead, its @parent_cols (of the
 * element) first, then @cols (of the sub-element).
 */
struct render_table {
    const char *file;
    const char *list;
    const struct render_col *cols;
    const char *sub;
    const struct render_col *parent_cols;
};

/*
 * render_config_template_dir - the configuration's reports.templates when
 * set, else render_template_dir().  What every report written for a
 * configuration should use.
 */
const char *render_config_template_dir(const struct sdc_config *cfg);

/*
 * struct render_opts
 * @template_dir: NULL: render_template_dir()
 * @name:         the template, e.g. "monthly" (monthly.html.mustache ...)
 * @formats:      enum render_format bits; 0: all
 * @out_dir:      the report's directory, e.g. .../reports/monthly/2026-03
 *                (its parents are created)
 * @tables, @n_tables: the CSV files; NULL: the monthly report's
 */
struct render_opts {
    const char *template_dir;
    const char *name;
    unsigned formats;
    const char *out_dir;
    const struct render_table *tables;
    size_t n_tables;
};

/*
 * render_report - write @r into @o->out_dir.
 * @files: if non-NULL, set to the number of files written
 * @return: SDC_OK; SDC_ERR_IO (file system, with the path), SDC_ERR_INVALID
 *          (a template error, with template and line), SDC_ERR_NOMEM.  On
 *          error nothing is left behind and an earlier report stays.
 */
enum sdc_rc render_report(const struct monthly_report *r,
                          const struct render_opts *o, size_t *files,
                          struct sdc_error *err);

#endif
