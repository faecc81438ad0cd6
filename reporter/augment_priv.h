/*
 * augment_priv.h - what the augmentation projection gathers and computes
 * (augment.c) and builds its document from (augment_doc.c).  Not for other
 * modules.
 *
 * Units inside: CPUs (busy or logical), bytes, bit/s; vCPUs for
 * allocation.  NaN is "no data".
 */
#ifndef SDC_REPORTER_AUGMENT_PRIV_H
#define SDC_REPORTER_AUGMENT_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "augment.h"
#include "fetch.h"
#include "forecast.h"
#include "purchase.h"

#define A_NOTE_LEN 240
#define A_NOTES_MAX 12

enum a_kind {
    A_CPU = 0, /* cluster CPU, CPUs busy */
    A_MEMORY,  /* cluster memory, bytes */
    A_POOL,    /* storage pool, bytes */
    A_STORAGE, /* SNMP storage, bytes */
    A_UPLINK,  /* uplink, bit/s */
};

/* A planned entry as it applies to one resource, in the resource's unit. */
struct a_event {
    const char *name; /* the config's (not owned) */
    int64_t from;
    int64_t until; /* -1: for good */
    double amount;
    double vcpus; /* CPU: the vCPUs it allocates */
};

/* One horizon's purchase, without (0) and with (1) reclaimable capacity. */
struct a_buy {
    bool ok;
    char why[160];
    struct pu_plan plan[2];
};

/* Days over which a daily-peak figure is read (the week's highest): used
 * today, the value at each horizon and each month of the path. */
#define AUG_WEEK 7

struct a_res {
    enum a_kind kind;
    char *id;      /* cluster name, pool key, "dev/descr", "dev/ifName" */
    char *name;    /* what people call it */
    char *cluster; /* CPU, memory: the cluster; else "" */
    int order;     /* position in the report */

    /* history (UTC days, @n days from @start_day; NaN = UNKNOWN) */
    int64_t start_day;
    size_t n;
    double *peak;      /* daily peak */
    double *mean;      /* daily mean */
    double *alloc;     /* CPU: vCPUs; memory: allocated bytes; NULL */
    const double *fit; /* what the forecast runs on: @peak or @mean */
    bool fit_peak;
    double capacity;  /* last known; NaN */
    double target;    /* fraction */
    double alloc_now; /* last known allocation; NaN */
    double used_now;  /* last value the forecast ran on; NaN */
    int64_t last_day; /* of data; -1 */
    size_t n_known;

    /* forecast */
    bool fc_ok;
    char why[A_NOTE_LEN]; /* when !fc_ok: why there is no forecast */
    struct fc_result fc;
    bool alloc_ok;
    struct fc_result fc_alloc; /* CPU: vCPUs allocated, linear */
    double busy_per_vcpu;      /* CPU: CPUs busy per vCPU allocated now */

    /* planned demand */
    struct a_event *ev;
    size_t n_ev;

    /* lines over days today .. today + n_line - 1 (risk line, bounds) */
    size_t n_line;
    double *organic;                 /* risk line, no planned */
    double *line;                    /* risk line with planned */
    double *planned;                 /* planned per day */
    double *vcpu_line;               /* CPU: vCPUs allocated with planned */
    double *lo80, *hi80, *mean_line; /* with planned, for the runway range */

    struct pu_runway runway;         /* risk line with planned */
    struct pu_runway runway_organic; /* without planned */
    struct pu_runway runway_early;   /* hi80 with planned */
    struct pu_runway runway_late;    /* lo80 with planned */
    /* CPU, memory: against target x the capacity left with the HA
     * reserve out (what the purchase keeps under target) */
    bool has_ha;
    double usable_now;
    int ha_reserve;
    struct pu_runway runway_ha;

    /* purchases of this resource alone, per horizon */
    struct a_buy buy[AUG_MAX_HORIZONS];

    char notes[A_NOTES_MAX][A_NOTE_LEN];
    size_t n_notes;
};

/* A cluster: hosts and the purchase for CPU and memory together. */
struct a_cluster {
    char *name;
    int hosts;
    double threads_per_core; /* logical CPUs per core of its hosts */
    bool threads_known;
    int ha_reserve;
    double max_vcpu_per_cpu;
    struct sdc_host_model model; /* not owned */
    struct a_res *cpu;
    struct a_res *mem;
    struct pu_cluster pc;
    bool pc_ok;
    char why[A_NOTE_LEN];
    struct a_buy buy[AUG_MAX_HORIZONS];
    double reclaim_vcpus;
    double reclaim_memory;
};

struct a_ctx {
    const struct aug_opts *o;
    const struct sdc_config *cfg;
    struct fetch_src src;
    int64_t today;
    int horizons[AUG_MAX_HORIZONS];
    size_t n_horizons;
    bool conservative;

    struct a_res *res;
    size_t n_res;
    struct a_cluster *cl;
    size_t n_cl;

    /* reclaimable capacity from the latest monthly report */
    bool have_monthly;
    char monthly_month[16];
    char monthly_path[4096];
    json_t *monthly; /* the document */

    pthread_mutex_t lock;
    size_t done;
    json_t *notes; /* report notes (strings) */
    bool oom;
};

/* a_note - add a note (printf) to the report's notes. */
void a_note(struct a_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* a_res_note - add a note to one resource. */
void a_res_note(struct a_res *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* a_reclaim_pool - storage reclaimable in pool @key per the monthly
 * report (bytes, 0 when none). */
double a_reclaim_pool(const struct a_ctx *c, const char *key);

/* a_kind_key - "cpu", "memory", "pool", "storage", "uplink". */
const char *a_kind_key(enum a_kind k);

/* a_build_doc - the document and the charts (augment_doc.c). */
enum sdc_rc a_build_doc(struct a_ctx *c, struct monthly_report *out,
                        struct sdc_error *err);

/* a_day_text - "14 March 2027"; a_month_text - "March 2027";
 * a_day_iso - "2027-03-14". */
void a_day_text(int64_t day, char *buf, size_t len);
void a_month_text(int64_t day, char *buf, size_t len);
void a_day_iso(int64_t day, char *buf, size_t len);

#endif
