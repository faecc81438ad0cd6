/*
 * fsutil.h - small file-system helpers shared by the report builders
 * (monthly.c, digest.c, augment.c): sorted listings of an archive directory.
 *
 * Nothing here prints or exits.
 */
#ifndef SDC_REPORTER_FSUTIL_H
#define SDC_REPORTER_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "sdc/error.h"

/*
 * fs_list_names - the entries of a directory whose names start with @prefix
 * and end with @suffix, with both cut off, sorted by strcmp().
 * @dir:       directory to read; a missing or unreadable one holds no names
 * @prefix:    leading part the name must have ("" for any)
 * @suffix:    trailing part the name must have ("" for any)
 * @dirs_only: keep only entries that are directories (stat() follows links)
 * @max:       keep at most this many names (0: no limit)
 * @out:       set to the array (NULL when there are no names); free it with
 *             fs_names_free() even when SDC_ERR_NOMEM is returned
 * @n:         set to the number of names in @out
 *
 * Names starting with '.' and names no longer than @prefix plus @suffix are
 * skipped.
 *
 * Return: SDC_OK, or SDC_ERR_NOMEM when an allocation failed; the listing
 * then stops there and @out holds the names read so far, sorted.
 */
enum sdc_rc fs_list_names(const char *dir, const char *prefix,
                          const char *suffix, bool dirs_only, size_t max,
                          char ***out, size_t *n);

/*
 * fs_names_free - free an array from fs_list_names().
 * @v: the array (NULL allowed)
 * @n: the number of names in it
 */
void fs_names_free(char **v, size_t n);

#endif
