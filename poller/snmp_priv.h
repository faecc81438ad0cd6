/*
 * snmp_priv.h - the SNMP collector's internals, shared by its files:
 *   snmp_session.c   sessions (v1/v2c/v3), asynchronous v3 discovery, the
 *                    library's global set-up and logging;
 *   snmp_walk.c      the event loop: requests in flight, GET, GETBULK and
 *                    GETNEXT walks, responses, timeouts;
 *   snmp_device.c    what each device is asked (by role) and how the answers
 *                    become samples and inventory;
 *   snmp_collector.c the collector type (create, read_many, destroy).
 *
 * Threading: every function here runs on the one thread that calls the
 * collector's read_many (the scheduler's thread for the "snmp" target), and
 * owns every session.  Only create/destroy run elsewhere, when that thread
 * is idle or gone.
 */
#ifndef SDC_SNMP_PRIV_H
#define SDC_SNMP_PRIV_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/large_fd_set.h>
#include <net-snmp/library/snmpusm.h>
#include <poll.h>

#include "sdc/config.h"
#include "sdc/error.h"
#include "sdc/log.h"
#include "sdc/sample.h"
#include "snmp.h"
#include "snmp_counter.h"
#include "snmp_mibs.h"

/* Columns walked together in one GETBULK/GETNEXT walk. */
#define SNMP_MAX_COLS 16
/* Longest row index kept (sub-identifiers after the column's OID). */
#define SNMP_IDX_MAX 24
/* Rows kept per table; a longer table is cut (and said so). */
#define SNMP_ROWS_MAX 100000
/* Archives written per device and kind (interfaces, storages, rows of one
 * custom table): each is a file of its own, so an agent that lists absurd
 * numbers of rows cannot fill the disk.  Real devices stay far below. */
#define SNMP_ARCHIVE_IF_MAX 4096
#define SNMP_ARCHIVE_STORAGE_MAX 1024
#define SNMP_ARCHIVE_CUSTOM_ROWS_MAX 4096
/* Requests per walk: a bound on agents that never end a table. */
#define SNMP_WALK_REQUESTS_MAX 20000
/* Varbinds asked for in one GETBULK (columns x repetitions), and the most
 * repetitions. */
#define SNMP_BULK_VARBINDS 200
#define SNMP_BULK_REPS_MAX 50
/* Objects per GET request. */
#define SNMP_GET_CHUNK 24
/* Consecutive empty answers after which a walk is given up. */
#define SNMP_EMPTY_MAX 3
/* Consecutive answers that do not fit their request (a wrong request ID
 * matching another request, a confused agent) before the device fails. */
#define SNMP_INVALID_MAX 3
/* Longest engine ID (RFC 3411: 5 to 32 octets). */
#define SNMP_ENGINE_ID_MAX 32
/* Session re-open back-off after a failure to open: 5 s doubling to 5 min. */
#define SNMP_REOPEN_FIRST 5.0
#define SNMP_REOPEN_MAX 300.0

double snmp_now(void);

/* ---- tables ---------------------------------------------------------- */

struct snmp_row {
    uint8_t idx_len;
    uint32_t idx[SNMP_IDX_MAX];
    struct snmp_val cell[]; /* one per column */
};

/* The rows of a walked table, in the order first seen, with a hash index. */
struct snmp_table {
    size_t ncols;
    struct snmp_row **rows;
    size_t nrows;
    size_t cap;
    uint32_t *slots; /* open addressing: row number + 1, 0 = empty */
    size_t nslots;
};

struct snmp_row *snmp_table_find(const struct snmp_table *t,
                                 const uint32_t *idx, size_t len);
void snmp_table_clear(struct snmp_table *t);

/* ---- jobs: one GET list, one walk, or the v3 probe ---------------------- */

enum snmp_job_kind {
    SNMP_JOB_GET = 0,
    SNMP_JOB_WALK,
    SNMP_JOB_PROBE,
};

enum snmp_job_state {
    SNMP_JS_IDLE = 0, /* not part of this cycle */
    SNMP_JS_READY,    /* a request is to be sent */
    SNMP_JS_WAIT,     /* a request is in flight */
    SNMP_JS_DONE,
    SNMP_JS_FAILED, /* the agent refused it (error-status): skipped */
};

struct snmp_dev;
struct snmp_job;

/*
 * What a request's callback gets as its magic pointer.  net-snmp 5.9's
 * _sess_process_packet() stores 0 into the first int of the magic of a
 * request answered by certain SNMPv3 Reports (it assumes its synchronous
 * helper's state there), so the first member is an int kept for it.
 */
struct snmp_slot {
    int netsnmp_scratch; /* MUST stay first, see above */
    struct snmp_dev *dev;
    struct snmp_job *job;
    int reqid;
    bool live;
    double sent;     /* monotonic time it was sent */
    double watchdog; /* monotonic time after which it is given up */
};

struct snmp_job {
    enum snmp_job_kind kind;
    enum snmp_job_state state;
    const char *what; /* "ifTable", "system" ... for messages */
    struct snmp_slot slot;

    /* GET: the objects, their values, and which are absent (v1 noSuchName
     * removes them from the request) */
    const struct snmp_oid **get_oids;
    struct snmp_val *get_vals;
    bool *get_absent;
    size_t n_get;
    size_t get_pos;                 /* first object not yet asked */
    size_t get_chunk;               /* objects per request; halved on tooBig */
    size_t get_req[SNMP_GET_CHUNK]; /* objects of the request in flight */
    size_t n_get_req;
    double uptime_local; /* our time when sysUpTime.0 came, 0 = not yet */

    /* WALK: columns, where each stands, which have ended */
    const struct snmp_oid *cols[SNMP_MAX_COLS];
    size_t ncols;
    struct snmp_table tab;
    uint32_t pos[SNMP_MAX_COLS][SNMP_IDX_MAX];
    uint8_t pos_len[SNMP_MAX_COLS];
    bool col_done[SNMP_MAX_COLS];
    uint8_t req_cols[SNMP_MAX_COLS]; /* columns of the request in flight */
    size_t n_req_cols;
    unsigned reps; /* max-repetitions; halved on tooBig */
    bool ticks;    /* ask sysUpTime.0 along (the agent's clock) */
    unsigned requests;
    unsigned empty;
    unsigned invalid; /* consecutive answers that did not fit */
    bool cut; /* stopped early (rows cap, loop): the table is incomplete */

    char problem[160]; /* the first anomaly, for the log */
};

enum sdc_rc snmp_job_init_get(struct snmp_job *j, const char *what,
                              const struct snmp_oid **oids, size_t n);
void snmp_job_init_walk(struct snmp_job *j, const char *what,
                        const struct snmp_oid *const *cols, size_t ncols);
void snmp_job_init_probe(struct snmp_job *j);
/* snmp_job_start - make @j READY for this cycle, clearing old results. */
void snmp_job_start(struct snmp_job *j);
void snmp_job_free(struct snmp_job *j);

/* ---- devices --------------------------------------------------------- */

/* A `custom` object with its OID parsed. */
struct snmp_custom {
    char *name;
    char *storage;
    struct snmp_oid oid;
    enum sdc_snmp_custom_type type;
    enum sdc_snmp_custom_as as;
    bool table;
    double scale;
};

/* A counter's previous reading, kept across cycles by key. */
struct snmp_hist {
    char *key; /* "if:<name>" or "custom:<name>:<index>" */
    struct snmp_ctr c[6];
    uint64_t disc; /* ifCounterDiscontinuityTime last seen */
    bool has_disc;
    bool seen; /* read this cycle (the rest are dropped) */
};

enum snmp_dev_state {
    SNMP_DEV_IDLE = 0,
    SNMP_DEV_DISCOVER, /* v3: waiting for the engine ID */
    SNMP_DEV_POLL,
    SNMP_DEV_DONE,
    SNMP_DEV_FAILED,
};

/* Jobs of a device, by position in snmp_dev.jobs. */
enum snmp_dev_job {
    SNMP_J_PROBE = 0,
    SNMP_J_SCALARS,
    SNMP_J_IF,
    SNMP_J_IFX,
    SNMP_J_HRS,
    SNMP_J_HRP,
    SNMP_J_CUSTOM, /* and after: custom table columns, several per walk */
};

struct snmp_engine;

struct snmp_dev {
    struct snmp_engine *eng;
    size_t index; /* in the engine */

    /* configuration (copied) */
    char *name;
    char *address;
    char *community;
    char *user;
    char *context;
    int version; /* 1, 2, 3 */
    enum sdc_snmp_role role;
    double timeout; /* seconds per try */
    int retries;
    const oid *auth_proto; /* NULL = noAuth */
    size_t auth_proto_len;
    const oid *priv_proto; /* NULL = noPriv */
    size_t priv_proto_len;
    unsigned char auth_ku[USM_AUTH_KU_LEN];
    size_t auth_ku_len;
    unsigned char priv_ku[USM_PRIV_KU_LEN];
    size_t priv_ku_len;
    regex_t if_include;
    regex_t if_exclude;
    bool has_include;
    bool has_exclude;
    char **uplinks;
    size_t n_uplinks;
    struct snmp_custom *custom;
    size_t n_custom;

    /* session, kept across cycles */
    void *sess;
    unsigned char engine_id[SNMP_ENGINE_ID_MAX];
    size_t engine_id_len;
    bool engine_applied; /* the session holds it and the USM user exists */
    double reopen_at;
    unsigned open_failures;

    /* this cycle */
    enum snmp_dev_state state;
    struct snmp_job *jobs;
    size_t njobs;
    const struct snmp_oid **scalar_oids; /* what SNMP_J_SCALARS asks */
    size_t n_scalars;
    bool answered;   /* some response arrived this cycle */
    bool discovered; /* the v3 engine discovery was answered this cycle */
    bool failed_timeout;
    time_t t_done; /* wall clock when the last answer came */
    double mono_done;
    struct sdc_error err;
    unsigned requests;
    unsigned varbinds;
    unsigned bad_values;
    char bad_example[160];

    /* history for rates */
    struct snmp_hist *hist; /* sorted by key */
    size_t n_hist;
    bool has_uptime;
    uint32_t uptime; /* sysUpTime of the previous cycle */
    double uptime_t;
    struct sdc_complaint bad_data; /* rate-limited "ignored values" lines */
};

/* The engine: every device, the budget, the cap on requests in flight. */
struct snmp_engine {
    struct snmp_dev *devs;
    size_t n;
    double budget;         /* seconds a read_many may take */
    unsigned max_inflight; /* requests in flight at once */
    unsigned inflight;
    size_t rr; /* round-robin start for sending */
    netsnmp_large_fd_set fds;
    bool fds_init;
    int fds_size;
    struct pollfd *pfd; /* n entries */
    size_t *pfd_dev;    /* device of each pollfd */
};

/* ---- snmp_session.c ---------------------------------------------------- */

/* snmp_dev_setup - copy @cfg into @d (keys derived, regexes compiled). */
enum sdc_rc snmp_dev_setup(struct snmp_dev *d, const struct sdc_snmp_cfg *cfg,
                           struct sdc_error *err);
/* snmp_dev_teardown - close the session, free and wipe everything. */
void snmp_dev_teardown(struct snmp_dev *d);
/* snmp_dev_open - open the session if needed (never probes). */
enum sdc_rc snmp_dev_open(struct snmp_dev *d, struct sdc_error *err);
/* snmp_dev_close - close the session (its requests' callbacks see dead
 * slots); kept: the engine ID. */
void snmp_dev_close(struct snmp_dev *d);
/* snmp_dev_needs_discovery - v3 without a known engine ID. */
bool snmp_dev_needs_discovery(const struct snmp_dev *d);
/* snmp_probe_pdu - an empty noAuth GET that makes the agent report its
 * engine ID (RFC 3414 section 4). */
netsnmp_pdu *snmp_probe_pdu(void);
/* snmp_dev_apply_engine - give the session the discovered engine ID and
 * create its USM user (keys localised); fails on a conflict with another
 * device's credentials for the same engine and user. */
enum sdc_rc snmp_dev_apply_engine(struct snmp_dev *d, struct sdc_error *err);
/* snmp_report_text - what an SNMPv3 Report means, for a device message. */
const char *snmp_report_text(int report_type);
/* snmp_dev_label - "device NAME (ADDRESS)" into @buf. */
const char *snmp_dev_label(const struct snmp_dev *d, char *buf, size_t len);

/* ---- snmp_walk.c ------------------------------------------------------- */

/*
 * snmp_engine_run - one cycle: start every device, run the loop until all
 * are done or failed or @deadline (monotonic) passes; devices still busy
 * then are failed with a timeout and their sessions closed.
 */
void snmp_engine_run(struct snmp_engine *e, double deadline);
void snmp_engine_free_fds(struct snmp_engine *e);
/* snmp_dev_fail - end @d's cycle with an error (first error wins). */
void snmp_dev_fail(struct snmp_dev *d, enum sdc_rc code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* snmp_dev_note_bad - count a value that was ignored; keep the first. */
void snmp_dev_note_bad(struct snmp_dev *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- snmp_device.c ----------------------------------------------------- */

/* snmp_dev_plan - create @d's jobs from its role and custom objects. */
enum sdc_rc snmp_dev_plan(struct snmp_dev *d, struct sdc_error *err);
/* snmp_dev_begin - make this cycle's jobs READY (after discovery). */
void snmp_dev_begin(struct snmp_dev *d);
/*
 * snmp_dev_result - @d's batch for @cycle: samples stamped with the time
 * its answers completed, inventory facts; or a failed batch with its error.
 * NULL only when out of memory.
 */
struct sdc_batch *snmp_dev_result(struct snmp_dev *d, time_t cycle);
void snmp_dev_free_plan(struct snmp_dev *d);

#endif
