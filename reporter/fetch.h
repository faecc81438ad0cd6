/*
 * fetch.h - read time series out of the archives of DESIGN.md section 4.
 *
 * Reads with librrd's thread-safe rrd_fetch_r only (the per-thread error
 * cleared before each call), so the reporter and the web view's threads may
 * fetch at once.  When the archives are written through rrdcached, each file
 * is flushed through the daemon first, so a fetch sees every value written
 * so far (DESIGN.md section 8: "flush before fetch").
 *
 * Paths come only from sdc_archive_relpath(): the entity names are
 * sanitised before they touch the file system.
 *
 * Time convention, as `rrdtool fetch` prints it: the value at time t is the
 * consolidated value of the interval (t - step, t].
 */
#ifndef SDC_REPORTER_FETCH_H
#define SDC_REPORTER_FETCH_H

#include <stddef.h>
#include <time.h>

#include "sdc/error.h"
#include "sdc/schema.h"

/* Room for a data-source name (librrd allows 19 bytes) with its NUL. */
#define SERIES_NAME_LEN 20
/* Room for a unit of the schema ("bytes", "ns/s", ...) with its NUL. */
#define SERIES_UNIT_LEN 16

/* Most rows one fetch may return (80 MB per data source). */
#define FETCH_MAX_ROWS ((size_t)10000000)

/*
 * struct series - one data source over time, regularly spaced.
 * @start: time of v[0] (the end of its interval, as rrdtool fetch prints)
 * @step:  seconds between values (> 0)
 * @n:     number of values (may be 0)
 * @v:     the values, v[i] at @start + i * @step; NaN where the archive
 *         holds UNKNOWN.  Owned by the series: free with series_free().
 * @name:  the data source, e.g. "used"
 * @unit:  its unit from the schema, e.g. "bytes", "ns/s", "%"; "" when the
 *         archive holds a data source the schema does not know
 */
struct series {
    time_t start;
    time_t step;
    size_t n;
    double *v;
    char name[SERIES_NAME_LEN];
    char unit[SERIES_UNIT_LEN];
};

/*
 * struct series_set - every data source of one archive over the same rows,
 * in the archive's order.  @s[i].start, .step and .n are the same for all.
 */
struct series_set {
    size_t n;
    struct series *s;
};

/*
 * struct fetch_src - where the archives are.
 * @data_dir:  DATA_DIR; archives are DATA_DIR/rrd/<kind>/<id>/<file>.rrd
 * @rrdcached: NULL or "" to read the files as they are; else the address the
 *             writers use ("unix:/path", "/path" or "host:port"): each file
 *             is flushed through the daemon before it is read.  Over a UNIX
 *             socket the daemon gets the absolute path; over TCP the path
 *             relative to its -b base directory, which must be @data_dir as
 *             the daemon sees it (the files themselves are still read here,
 *             so the data directory must be visible to this host).
 */
struct fetch_src {
    const char *data_dir;
    const char *rrdcached;
};

/*
 * struct fetch_req - which archive, which consolidation, which time range.
 * @type, @id, @instance: the archive (see sdc_archive_relpath(); @instance
 *             only for per-instance types such as SDC_AR_VM_DISK)
 * @cf:        "AVERAGE" or "MAX" (also "MIN", "LAST" if an archive has them)
 * @start:     first time wanted (epoch seconds, > 0)
 * @end:       last time wanted (> @start); librrd aligns both to the step
 *             of the archive it chooses
 * @resolution: seconds per row wanted; librrd picks the consolidation that
 *             covers the whole range with the step nearest to it (0: the
 *             finest available)
 */
struct fetch_req {
    enum sdc_archive type;
    const char *id;
    const char *instance;
    const char *cf;
    time_t start;
    time_t end;
    unsigned long resolution;
};

/*
 * fetch_series - one data source of an archive.
 * @ds:  the data source name, e.g. "used"
 * @out: filled on success (free with series_free()); zeroed on error
 * @return: SDC_OK; SDC_ERR_INVALID for a bad request or a data source the
 *          archive does not have; SDC_ERR_IO when the archive does not exist
 *          or cannot be read; SDC_ERR_RRD when librrd or rrdcached fails
 *          (message from librrd); SDC_ERR_NOMEM.
 */
enum sdc_rc fetch_series(const struct fetch_src *src,
                         const struct fetch_req *req, const char *ds,
                         struct series *out, struct sdc_error *err);

/*
 * fetch_all - every data source of an archive at once (one read of the
 * file), e.g. "used" and "capacity" of cluster/<name>/cpu.rrd.
 * @out: filled on success (free with series_set_free()); zeroed on error
 * @return: as fetch_series().
 */
enum sdc_rc fetch_all(const struct fetch_src *src, const struct fetch_req *req,
                      struct series_set *out, struct sdc_error *err);

/* series_set_find - the series of data source @name in @set, or NULL. */
const struct series *series_set_find(const struct series_set *set,
                                     const char *name);

/* series_time - the time of value @i of @s. */
time_t series_time(const struct series *s, size_t i);

/* series_free - free the values of @s (NULL allowed); @s is left empty. */
void series_free(struct series *s);

/* series_set_free - free every series of @set (NULL allowed). */
void series_set_free(struct series_set *set);

#endif
