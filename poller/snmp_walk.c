/*
 * snmp_walk.c - the SNMP event loop: every device's requests from one
 * thread, many in flight, with net-snmp's single-session asynchronous API.
 *
 * Each device has a few jobs (a GET of scalars, table walks, the v3 probe);
 * each job has at most one request in flight, and the engine keeps at most
 * max_inflight requests in flight overall, sending round-robin over the
 * devices so that none waits behind a large one.  The loop polls the
 * sockets of the sessions with requests in flight, reads what arrived
 * (snmp_sess_read2: the callbacks run there), lets net-snmp resend or time
 * out requests (snmp_sess_timeout, per device timeout and retries), and
 * stops at the cycle's deadline: a device still busy then has failed, and
 * a dead device only ever costs its own timeouts, which run concurrently.
 *
 * Callbacks only record: they decode varbinds into the job's table and set
 * states.  Every request is sent from the loop, never from a callback.
 *
 * Walks: several columns of one table in a GETBULK (v2c, v3; max-repetitions
 * from SNMP_BULK_VARBINDS / columns) or a GETNEXT (v1), with sysUpTime.0
 * asked along (a GETBULK non-repeater) so that counters come with the
 * agent's own clock.  A column ends at endOfMibView, an exception, an OID
 * outside it, or an OID not after the previous one (an agent looping); a
 * table ends at SNMP_ROWS_MAX rows and a walk at SNMP_WALK_REQUESTS_MAX
 * requests.
 *
 * Answers are checked against their request before anything is taken from
 * them: a response under another request's ID (a wrong request ID that
 * happens to match), more varbinds than asked, OIDs not after the ones
 * asked or NULL values are refused, and the request is sent again (the
 * device fails after SNMP_INVALID_MAX such answers in a row).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snmp_priv.h"

/* ---- tables ---------------------------------------------------------- */

static uint32_t idx_hash(const uint32_t *idx, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= idx[i];
        h *= 16777619u;
    }
    return h;
}

struct snmp_row *snmp_table_find(const struct snmp_table *t,
                                 const uint32_t *idx, size_t len)
{
    size_t mask, i;
    if (t->nslots == 0)
        return NULL;
    mask = t->nslots - 1;
    for (i = idx_hash(idx, len) & mask; t->slots[i]; i = (i + 1) & mask) {
        struct snmp_row *r = t->rows[t->slots[i] - 1];
        if (r->idx_len == len && memcmp(r->idx, idx, len * sizeof(*idx)) == 0)
            return r;
    }
    return NULL;
}

static bool table_rehash(struct snmp_table *t, size_t nslots)
{
    uint32_t *slots = calloc(nslots, sizeof(*slots));
    if (!slots)
        return false;
    free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
    for (size_t r = 0; r < t->nrows; r++) {
        size_t i =
            idx_hash(t->rows[r]->idx, t->rows[r]->idx_len) & (nslots - 1);
        while (slots[i])
            i = (i + 1) & (nslots - 1);
        slots[i] = (uint32_t)(r + 1);
    }
    return true;
}

/* The row of @idx, created if new; NULL when the table is full (@full) or
 * out of memory. */
static struct snmp_row *table_get(struct snmp_table *t, const uint32_t *idx,
                                  size_t len, bool *full)
{
    struct snmp_row *r = snmp_table_find(t, idx, len);
    size_t i;

    *full = false;
    if (r)
        return r;
    if (t->nrows >= SNMP_ROWS_MAX) {
        *full = true;
        return NULL;
    }
    if (t->nrows == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 16;
        struct snmp_row **rows = realloc(t->rows, ncap * sizeof(*rows));
        if (!rows)
            return NULL;
        t->rows = rows;
        t->cap = ncap;
    }
    if ((t->nrows + 1) * 2 > t->nslots &&
        !table_rehash(t, t->nslots ? t->nslots * 2 : 64))
        return NULL;
    r = calloc(1, sizeof(*r) + t->ncols * sizeof(r->cell[0]));
    if (!r)
        return NULL;
    r->idx_len = (uint8_t)len;
    memcpy(r->idx, idx, len * sizeof(*idx));
    t->rows[t->nrows++] = r;
    for (i = idx_hash(idx, len) & (t->nslots - 1); t->slots[i];
         i = (i + 1) & (t->nslots - 1))
        ;
    t->slots[i] = (uint32_t)t->nrows;
    return r;
}

void snmp_table_clear(struct snmp_table *t)
{
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++)
            snmp_val_clear(&t->rows[r]->cell[c]);
        free(t->rows[r]);
    }
    free(t->rows);
    free(t->slots);
    t->rows = NULL;
    t->slots = NULL;
    t->nrows = t->cap = t->nslots = 0;
}

/* ---- jobs ------------------------------------------------------------ */

enum sdc_rc snmp_job_init_get(struct snmp_job *j, const char *what,
                              const struct snmp_oid **oids, size_t n)
{
    memset(j, 0, sizeof(*j));
    j->kind = SNMP_JOB_GET;
    j->what = what;
    j->get_oids = oids;
    j->n_get = n;
    j->get_vals = calloc(n ? n : 1, sizeof(*j->get_vals));
    j->get_absent = calloc(n ? n : 1, sizeof(*j->get_absent));
    if (!j->get_vals || !j->get_absent)
        return SDC_ERR_NOMEM;
    return SDC_OK;
}

void snmp_job_init_walk(struct snmp_job *j, const char *what,
                        const struct snmp_oid *const *cols, size_t ncols)
{
    memset(j, 0, sizeof(*j));
    j->kind = SNMP_JOB_WALK;
    j->what = what;
    if (ncols > SNMP_MAX_COLS)
        ncols = SNMP_MAX_COLS;
    for (size_t i = 0; i < ncols; i++)
        j->cols[i] = cols[i];
    j->ncols = ncols;
    j->tab.ncols = ncols;
}

void snmp_job_init_probe(struct snmp_job *j)
{
    memset(j, 0, sizeof(*j));
    j->kind = SNMP_JOB_PROBE;
    j->what = "SNMPv3 engine discovery";
}

void snmp_job_start(struct snmp_job *j)
{
    j->state = SNMP_JS_READY;
    j->slot.live = false;
    j->problem[0] = '\0';
    j->invalid = 0;
    switch (j->kind) {
    case SNMP_JOB_GET:
        for (size_t i = 0; i < j->n_get; i++) {
            snmp_val_clear(&j->get_vals[i]);
            j->get_absent[i] = false;
        }
        j->get_pos = 0;
        j->get_chunk = SNMP_GET_CHUNK;
        j->uptime_local = 0;
        j->n_get_req = 0;
        if (j->n_get == 0)
            j->state = SNMP_JS_DONE;
        break;
    case SNMP_JOB_WALK: {
        unsigned reps =
            SNMP_BULK_VARBINDS / (unsigned)(j->ncols ? j->ncols : 1);
        snmp_table_clear(&j->tab);
        memset(j->pos_len, 0, sizeof(j->pos_len));
        memset(j->col_done, 0, sizeof(j->col_done));
        j->reps = reps < 1                    ? 1
                  : reps > SNMP_BULK_REPS_MAX ? SNMP_BULK_REPS_MAX
                                              : reps;
        j->requests = 0;
        j->empty = 0;
        j->cut = false;
        j->n_req_cols = 0;
        j->ticks = true;
        if (j->ncols == 0)
            j->state = SNMP_JS_DONE;
        break;
    }
    case SNMP_JOB_PROBE:
        break;
    }
}

void snmp_job_free(struct snmp_job *j)
{
    if (j->kind == SNMP_JOB_GET && j->get_vals)
        for (size_t i = 0; i < j->n_get; i++)
            snmp_val_clear(&j->get_vals[i]);
    free(j->get_vals);
    free(j->get_absent);
    snmp_table_clear(&j->tab);
    memset(j, 0, sizeof(*j));
}

/* ---- device failures and notes ------------------------------------------ */

static void slot_end(struct snmp_slot *slot)
{
    if (!slot->live)
        return;
    slot->live = false;
    if (slot->dev && slot->dev->eng->inflight > 0)
        slot->dev->eng->inflight--;
}

void snmp_dev_fail(struct snmp_dev *d, enum sdc_rc code, const char *fmt, ...)
{
    char label[300], msg[SDC_ERROR_MSG_LEN];
    va_list ap;

    if (d->state == SNMP_DEV_FAILED || d->state == SNMP_DEV_DONE)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    sdc_error_set(&d->err, code, "%s: %s",
                  snmp_dev_label(d, label, sizeof(label)), msg);
    d->state = SNMP_DEV_FAILED;
    for (size_t i = 0; i < d->njobs; i++)
        slot_end(&d->jobs[i].slot);
}

void snmp_dev_note_bad(struct snmp_dev *d, const char *fmt, ...)
{
    va_list ap;
    if (d->bad_values++ > 0)
        return;
    va_start(ap, fmt);
    vsnprintf(d->bad_example, sizeof(d->bad_example), fmt, ap);
    va_end(ap);
}

static void job_problem(struct snmp_job *j, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void job_problem(struct snmp_job *j, const char *fmt, ...)
{
    va_list ap;
    if (j->problem[0])
        return;
    va_start(ap, fmt);
    vsnprintf(j->problem, sizeof(j->problem), fmt, ap);
    va_end(ap);
}

/* The device gave no answer in time to @j's request. */
static void dev_timeout(struct snmp_dev *d, const struct snmp_job *j)
{
    const char *tries = d->retries == 1 ? "retry" : "retries";
    if (j->kind == SNMP_JOB_PROBE)
        snmp_dev_fail(d, SDC_ERR_TIMEOUT,
                      "timeout after %d %s of %.3g s: no answer to SNMPv3 "
                      "engine discovery (host down?)",
                      d->retries, tries, d->timeout);
    else if (!d->answered && d->version != 3)
        snmp_dev_fail(d, SDC_ERR_TIMEOUT,
                      "timeout after %d %s of %.3g s: no answer (wrong "
                      "community, or host down)",
                      d->retries, tries, d->timeout);
    else if (!d->answered && d->discovered)
        /* an agent that cannot decrypt a request drops it */
        snmp_dev_fail(d, SDC_ERR_TIMEOUT,
                      "timeout after %d %s of %.3g s: the agent answered "
                      "engine discovery but not the requests (wrong v3 "
                      "privacy password or protocol?)",
                      d->retries, tries, d->timeout);
    else if (!d->answered)
        snmp_dev_fail(d, SDC_ERR_TIMEOUT,
                      "timeout after %d %s of %.3g s: no answer (host down, "
                      "or wrong v3 privacy password or protocol?)",
                      d->retries, tries, d->timeout);
    else
        snmp_dev_fail(d, SDC_ERR_TIMEOUT,
                      "timeout after %d %s of %.3g s while reading %s",
                      d->retries, tries, d->timeout, j->what);
}

/* ---- requests -------------------------------------------------------- */

/* sysUpTime, and its instance sysUpTime.0 */
static const struct snmp_oid uptime_base = {8, {1, 3, 6, 1, 2, 1, 1, 3}};

/* When the agent read an answer's values, on which clock; and when it came
 * by ours (for the restart check, which compares the two clocks). */
struct answer_clock {
    double t;
    uint8_t clock; /* enum snmp_clock */
    double local;
};

/* @base followed by @idx as a net-snmp OID; false if too long. */
static bool make_oid(const struct snmp_oid *base, const uint32_t *idx,
                     size_t idx_len, oid *out, size_t *out_len)
{
    if (base->len + idx_len > MAX_OID_LEN)
        return false;
    for (size_t i = 0; i < base->len; i++)
        out[i] = base->id[i];
    for (size_t i = 0; i < idx_len; i++)
        out[base->len + i] = idx[i];
    *out_len = base->len + idx_len;
    return true;
}

/* The GET request for the next objects; NULL when none are left (the job
 * is then DONE) or out of memory (@nomem). */
static netsnmp_pdu *build_get(struct snmp_job *j, bool *nomem)
{
    netsnmp_pdu *pdu;
    oid name[MAX_OID_LEN];
    size_t len;

    while (j->get_pos < j->n_get && j->get_absent[j->get_pos])
        j->get_pos++;
    if (j->get_pos >= j->n_get) {
        j->state = SNMP_JS_DONE;
        return NULL;
    }
    pdu = snmp_pdu_create(SNMP_MSG_GET);
    if (!pdu) {
        *nomem = true;
        return NULL;
    }
    j->n_get_req = 0;
    for (size_t i = j->get_pos; i < j->n_get && j->n_get_req < j->get_chunk &&
                                j->n_get_req < SNMP_GET_CHUNK;
         i++) {
        if (j->get_absent[i] || !make_oid(j->get_oids[i], NULL, 0, name, &len))
            continue;
        if (!snmp_add_null_var(pdu, name, len)) {
            snmp_free_pdu(pdu);
            *nomem = true;
            return NULL;
        }
        j->get_req[j->n_get_req++] = i;
    }
    return pdu;
}

/* The next GETBULK (GETNEXT for v1) of a walk; NULL when every column has
 * ended (the job is then DONE) or out of memory. */
static netsnmp_pdu *build_walk(const struct snmp_dev *d, struct snmp_job *j,
                               bool *nomem)
{
    netsnmp_pdu *pdu;
    oid name[MAX_OID_LEN];
    size_t len;

    j->n_req_cols = 0;
    for (size_t c = 0; c < j->ncols; c++)
        if (!j->col_done[c])
            j->req_cols[j->n_req_cols++] = (uint8_t)c;
    if (j->n_req_cols == 0) {
        j->state = SNMP_JS_DONE;
        return NULL;
    }
    if (j->requests >= SNMP_WALK_REQUESTS_MAX) {
        job_problem(j, "%s: stopped after %u requests", j->what, j->requests);
        j->cut = true;
        j->state = SNMP_JS_DONE;
        return NULL;
    }
    pdu =
        snmp_pdu_create(d->version == 1 ? SNMP_MSG_GETNEXT : SNMP_MSG_GETBULK);
    if (!pdu) {
        *nomem = true;
        return NULL;
    }
    if (d->version != 1) {
        /* fewer columns left: as many varbinds, so more rows each */
        unsigned reps = j->reps * (unsigned)j->ncols / (unsigned)j->n_req_cols;
        if (reps > SNMP_BULK_REPS_MAX)
            reps = SNMP_BULK_REPS_MAX;
        if (reps < 1)
            reps = 1;
        pdu->non_repeaters = j->ticks ? 1 : 0;
        pdu->max_repetitions = (long)reps;
    }
    /* the agent's clock in the same answer: sysUpTime.0 is the object after
     * sysUpTime (a non-repeater of the GETBULK) */
    if (j->ticks) {
        const struct snmp_oid *up = &uptime_base;
        if (!make_oid(up, NULL, 0, name, &len) ||
            !snmp_add_null_var(pdu, name, len)) {
            snmp_free_pdu(pdu);
            *nomem = true;
            return NULL;
        }
    }
    for (size_t k = 0; k < j->n_req_cols; k++) {
        size_t c = j->req_cols[k];
        if (!make_oid(j->cols[c], j->pos[c], j->pos_len[c], name, &len) ||
            !snmp_add_null_var(pdu, name, len)) {
            snmp_free_pdu(pdu);
            *nomem = true;
            return NULL;
        }
    }
    return pdu;
}

static int snmp_response_cb(int op, netsnmp_session *sp, int reqid,
                            netsnmp_pdu *pdu, void *magic);

/* Send @j's next request. */
static void job_send(struct snmp_engine *e, struct snmp_dev *d,
                     struct snmp_job *j)
{
    netsnmp_pdu *pdu = NULL;
    bool nomem = false;
    int reqid;

    switch (j->kind) {
    case SNMP_JOB_GET:
        pdu = build_get(j, &nomem);
        break;
    case SNMP_JOB_WALK:
        pdu = build_walk(d, j, &nomem);
        break;
    case SNMP_JOB_PROBE:
        pdu = snmp_probe_pdu();
        nomem = !pdu;
        break;
    }
    if (nomem) {
        snmp_dev_fail(d, SDC_ERR_NOMEM, "out of memory");
        return;
    }
    if (!pdu)
        return; /* the job is done */
    j->slot.netsnmp_scratch = 0;
    j->slot.dev = d;
    j->slot.job = j;
    /* live before sending: a callback can only come from a later read */
    reqid = snmp_sess_async_send(d->sess, pdu, snmp_response_cb, &j->slot);
    if (reqid == 0) {
        int liberr = 0, syserr = 0;
        char *msg = NULL;
        snmp_free_pdu(pdu);
        snmp_sess_error(d->sess, &liberr, &syserr, &msg);
        snmp_dev_fail(d, SDC_ERR_SNMP, "cannot send a request: %s",
                      msg ? msg : "unknown error");
        free(msg);
        return;
    }
    j->slot.reqid = reqid;
    j->slot.live = true;
    /* net-snmp's own timeout and retries end the request first; this only
     * catches a request it dropped without a callback */
    j->slot.sent = snmp_now();
    j->slot.watchdog =
        j->slot.sent + d->timeout * (double)(d->retries + 2) + 1.0;
    j->state = SNMP_JS_WAIT;
    if (j->kind == SNMP_JOB_WALK)
        j->requests++;
    e->inflight++;
    d->requests++;
}

/* ---- responses ------------------------------------------------------- */

/* Decode one varbind into @v (time @t); false if it carries no value. */
static bool decode_vb(const netsnmp_variable_list *vb, struct snmp_val *v,
                      const struct answer_clock *at)
{
    long integer = 0;
    uint64_t c64 = 0;

    v->t = at->t;
    v->clock = at->clock;
    switch (vb->type) {
    case ASN_INTEGER:
    case ASN_COUNTER:
    case ASN_GAUGE:
    case ASN_TIMETICKS:
        if (!vb->val.integer || vb->val_len < sizeof(long))
            return false;
        integer = *vb->val.integer;
        break;
    case ASN_COUNTER64:
        if (!vb->val.counter64 || vb->val_len < sizeof(struct counter64))
            return false;
        c64 = ((uint64_t)(vb->val.counter64->high & 0xffffffffUL) << 32) |
              (uint64_t)(vb->val.counter64->low & 0xffffffffUL);
        break;
    }
    return snmp_val_decode(
        v, vb->type, integer, c64, vb->val.string, vb->val_len, vb->val.objid,
        vb->type == ASN_OBJECT_ID ? vb->val_len / sizeof(oid) : 0);
}

/* Whether @vb is sysUpTime.0 with a TimeTicks value; its ticks. */
static bool vb_uptime(const netsnmp_variable_list *vb, uint32_t *ticks)
{
    const struct snmp_oid *o = snmp_scalar_oid(SNMP_SC_SYS_UPTIME);
    if (!vb || vb->type != ASN_TIMETICKS || !vb->val.integer ||
        vb->val_len < sizeof(long) || vb->name_length != o->len)
        return false;
    for (size_t i = 0; i < o->len; i++)
        if (vb->name[i] != o->id[i])
            return false;
    if (*vb->val.integer < 0 || (unsigned long)*vb->val.integer > UINT32_MAX)
        return false;
    *ticks = (uint32_t)*vb->val.integer;
    return true;
}

/* The answer's clock: the agent's when @vb is its sysUpTime.0, else ours. */
static struct answer_clock clock_of(const netsnmp_variable_list *vb,
                                    double local)
{
    struct answer_clock at = {local, SNMP_CLOCK_LOCAL, local};
    uint32_t ticks;
    if (vb_uptime(vb, &ticks)) {
        at.t = (double)ticks / 100.0;
        at.clock = SNMP_CLOCK_AGENT;
    }
    return at;
}

static bool vb_exception(const netsnmp_variable_list *vb)
{
    return vb->type == SNMP_NOSUCHOBJECT || vb->type == SNMP_NOSUCHINSTANCE ||
           vb->type == SNMP_ENDOFMIBVIEW || vb->type == ASN_NULL;
}

/* The varbind's OID as 32-bit sub-identifiers; false if it has a bigger
 * one (only an agent in error sends it). */
static bool vb_name(const netsnmp_variable_list *vb, uint32_t *out, size_t *len)
{
    if (!vb->name || vb->name_length > SNMP_OID_MAX)
        return false;
    for (size_t i = 0; i < vb->name_length; i++) {
        if (vb->name[i] > UINT32_MAX)
            return false;
        out[i] = (uint32_t)vb->name[i];
    }
    *len = vb->name_length;
    return true;
}

/* A response that fits its request: the device is answering. */
static void answer_ok(struct snmp_dev *d, struct snmp_job *j, double now)
{
    d->answered = true;
    d->mono_done = now;
    d->t_done = sdc_wall_time();
    j->invalid = 0;
}

/*
 * A response that does not fit its request (another request's answer under
 * a wrong request ID, OIDs going nowhere): ask again, a few times.
 */
static void answer_invalid(struct snmp_dev *d, struct snmp_job *j,
                           const char *why)
{
    snmp_dev_note_bad(d, "an answer to %s did not fit its request: %s", j->what,
                      why);
    if (++j->invalid > SNMP_INVALID_MAX) {
        snmp_dev_fail(d, SDC_ERR_SNMP,
                      "its answers to %s do not fit the requests (%s)", j->what,
                      why);
        return;
    }
    j->state = SNMP_JS_READY;
}

/*
 * The request object a GET answer's varbind is for: the first one asked
 * with that OID not matched yet (the same object may be asked twice, as a
 * system object and as a custom one); -1 if none.
 */
static long get_match(const struct snmp_job *j, const bool *got,
                      const netsnmp_variable_list *vb)
{
    uint32_t name[SNMP_OID_MAX];
    size_t len;

    if (!vb_name(vb, name, &len))
        return -1;
    for (size_t k = 0; k < j->n_get_req; k++) {
        const struct snmp_oid *o = j->get_oids[j->get_req[k]];
        if (!got[k] && snmp_oid_cmp(o->id, o->len, name, len) == 0)
            return (long)k;
    }
    return -1;
}

static void handle_get(struct snmp_dev *d, struct snmp_job *j,
                       const netsnmp_pdu *pdu, double now)
{
    bool got[SNMP_GET_CHUNK] = {false};
    size_t nvb = 0;
    struct answer_clock at;
    uint32_t ticks;

    /* every varbind must be one of the objects asked, and some must come */
    if (pdu->errstat == SNMP_ERR_NOERROR) {
        for (const netsnmp_variable_list *vb = pdu->variables; vb;
             vb = vb->next_variable) {
            long k = ++nvb <= j->n_get_req ? get_match(j, got, vb) : -1;
            if (k < 0) {
                answer_invalid(d, j, "varbinds other than the objects asked");
                return;
            }
            got[k] = true;
        }
        if (nvb == 0 && j->n_get_req > 0) {
            answer_invalid(d, j, "no varbinds");
            return;
        }
        memset(got, 0, sizeof(got));
    }
    answer_ok(d, j, now);
    if (pdu->errstat == SNMP_ERR_TOOBIG) {
        if (j->get_chunk > 1) {
            j->get_chunk /= 2;
        } else if (j->n_get_req > 0) {
            j->get_absent[j->get_req[0]] = true;
            job_problem(j, "%s: object too big to answer", j->what);
        }
        j->state = SNMP_JS_READY;
        return;
    }
    if (pdu->errstat != SNMP_ERR_NOERROR) {
        /* v1 noSuchName (or an agent's error) names one object: drop it
         * and ask again for the others; without a usable index, drop the
         * whole request's objects */
        long ei = pdu->errindex;
        if (ei >= 1 && (size_t)ei <= j->n_get_req) {
            j->get_absent[j->get_req[ei - 1]] = true;
        } else {
            for (size_t k = 0; k < j->n_get_req; k++)
                j->get_absent[j->get_req[k]] = true;
            job_problem(j, "%s: agent error %s", j->what,
                        snmp_errstring(pdu->errstat));
        }
        j->state = SNMP_JS_READY;
        return;
    }
    /* the agent's clock, when sysUpTime.0 is in this answer */
    at = clock_of(NULL, now);
    for (const netsnmp_variable_list *vb = pdu->variables; vb;
         vb = vb->next_variable)
        if (vb_uptime(vb, &ticks)) {
            at = clock_of(vb, now);
            j->uptime_local = now;
            break;
        }
    /* matched by OID, not by position: never trust the order */
    for (const netsnmp_variable_list *vb = pdu->variables; vb;
         vb = vb->next_variable) {
        long k = get_match(j, got, vb);
        size_t i;
        if (k < 0)
            continue;
        got[k] = true;
        i = j->get_req[k];
        d->varbinds++;
        if (vb_exception(vb))
            continue;
        if (!decode_vb(vb, &j->get_vals[i], &at)) {
            char on[64];
            snmp_oid_format(j->get_oids[i]->id, j->get_oids[i]->len, on,
                            sizeof(on));
            snmp_dev_note_bad(d, "%s has an unusable value (type 0x%02x)", on,
                              (unsigned)vb->type);
        }
    }
    /* what was asked and not answered stays unknown */
    j->get_pos = j->n_get_req ? j->get_req[j->n_get_req - 1] + 1 : j->n_get;
    j->state = j->get_pos >= j->n_get ? SNMP_JS_DONE : SNMP_JS_READY;
}

/* One varbind of a walk for column @c; false if the column has ended. */
static bool walk_vb(struct snmp_dev *d, struct snmp_job *j, size_t c,
                    const netsnmp_variable_list *vb,
                    const struct answer_clock *at)
{
    const struct snmp_oid *base = j->cols[c];
    uint32_t name[SNMP_OID_MAX];
    size_t len, ilen;
    const uint32_t *idx;
    struct snmp_row *row;
    bool full;

    if (vb_exception(vb))
        return false;
    if (!vb_name(vb, name, &len) || len <= base->len ||
        snmp_oid_cmp(name, base->len, base->id, base->len) != 0)
        return false; /* left the column */
    idx = name + base->len;
    ilen = len - base->len;
    if (ilen > SNMP_IDX_MAX) {
        job_problem(j, "%s: a row index of %zu sub-identifiers; stopped",
                    j->what, ilen);
        j->cut = true;
        return false;
    }
    if (j->pos_len[c] > 0 &&
        snmp_oid_cmp(idx, ilen, j->pos[c], j->pos_len[c]) <= 0) {
        char on[128];
        snmp_oid_format(name, len, on, sizeof(on));
        job_problem(j, "%s: the agent went back to %s (a loop); stopped",
                    j->what, on);
        j->cut = true;
        return false;
    }
    memcpy(j->pos[c], idx, ilen * sizeof(*idx));
    j->pos_len[c] = (uint8_t)ilen;
    d->varbinds++;
    row = table_get(&j->tab, idx, ilen, &full);
    if (!row) {
        if (full)
            job_problem(j, "%s: more than %d rows; stopped", j->what,
                        SNMP_ROWS_MAX);
        else
            job_problem(j, "%s: out of memory; stopped", j->what);
        j->cut = true;
        for (size_t k = 0; k < j->ncols; k++)
            j->col_done[k] = true;
        return false;
    }
    if (!decode_vb(vb, &row->cell[c], at)) {
        char on[128];
        snmp_oid_format(name, len, on, sizeof(on));
        snmp_dev_note_bad(d, "%s has an unusable value (type 0x%02x)", on,
                          (unsigned)vb->type);
    }
    return true;
}

/*
 * Whether the varbinds of a GETNEXT/GETBULK answer can belong to the
 * request in flight: not more than asked, and the first one of each column
 * after where the column stood (or an exception).
 */
static const char *walk_answer_problem(const struct snmp_job *j,
                                       const netsnmp_pdu *pdu, size_t nr,
                                       size_t limit, char *buf, size_t buflen)
{
    size_t i = 0;
    for (const netsnmp_variable_list *vb = pdu->variables; vb;
         vb = vb->next_variable, i++) {
        uint32_t name[SNMP_OID_MAX], asked[SNMP_OID_MAX];
        const struct snmp_oid *base;
        size_t len, c;
        int cmp;
        if (i >= limit)
            return "more varbinds than asked";
        if (vb->type == ASN_NULL)
            return "a NULL value";
        if (i < nr || i >= nr + j->n_req_cols)
            continue; /* the non-repeater (sysUpTime), later rows */
        c = j->req_cols[i - nr];
        base = j->cols[c];
        if (!vb_name(vb, name, &len))
            return "an OID with a sub-identifier above 2^32";
        memcpy(asked, base->id, base->len * sizeof(*asked));
        memcpy(asked + base->len, j->pos[c], j->pos_len[c] * sizeof(*asked));
        cmp = snmp_oid_cmp(name, len, asked, base->len + j->pos_len[c]);
        /* an exception names the OID asked; a value comes after it */
        if (vb_exception(vb) ? cmp < 0 : cmp <= 0) {
            char a[96], g[96];
            snmp_oid_format(asked, base->len + j->pos_len[c], a, sizeof(a));
            snmp_oid_format(name, len, g, sizeof(g));
            snprintf(buf, buflen, "%s for %s, not after it", g, a);
            return buf;
        }
    }
    return NULL;
}

static void handle_walk(struct snmp_dev *d, struct snmp_job *j,
                        const netsnmp_pdu *pdu, double now)
{
    size_t i = 0, used = 0, limit, nr = j->ticks ? 1 : 0;
    unsigned reps = d->version == 1 ? 1 : (unsigned)SNMP_BULK_REPS_MAX;
    const char *problem;
    char why[256];
    struct answer_clock at;

    if (pdu->errstat != SNMP_ERR_NOERROR)
        answer_ok(d, j, now);
    if (pdu->errstat == SNMP_ERR_TOOBIG) {
        if (j->reps <= 1) {
            job_problem(j, "%s: answer too big even one row at a time",
                        j->what);
            j->state = SNMP_JS_FAILED;
            return;
        }
        j->reps /= 2;
        j->state = SNMP_JS_READY;
        return;
    }
    if (pdu->errstat == SNMP_ERR_NOSUCHNAME && d->version == 1 &&
        pdu->errindex >= 1 && (size_t)pdu->errindex <= nr + j->n_req_cols) {
        /* v1: the end of the MIB view for that column (or no sysUpTime in
         * the view: do without it) */
        if ((size_t)pdu->errindex <= nr)
            j->ticks = false;
        else
            j->col_done[j->req_cols[pdu->errindex - 1 - nr]] = true;
        j->state = SNMP_JS_READY;
        return;
    }
    if (pdu->errstat != SNMP_ERR_NOERROR) {
        job_problem(j, "%s: agent error %s", j->what,
                    snmp_errstring(pdu->errstat));
        j->state = SNMP_JS_FAILED;
        return;
    }
    /* after the non-repeater, varbind nr + i belongs to column
     * req_cols[i % n]; at most what was asked is read, whatever the agent
     * sent */
    limit = nr + j->n_req_cols * reps;
    problem = walk_answer_problem(j, pdu, nr, limit, why, sizeof(why));
    if (problem && j->ticks) {
        /* perhaps an agent that gets non-repeaters wrong: once more
         * without sysUpTime (then on our clock) */
        j->ticks = false;
        j->state = SNMP_JS_READY;
        return;
    }
    if (problem) {
        answer_invalid(d, j, problem);
        return;
    }
    answer_ok(d, j, now);
    at = clock_of(nr ? pdu->variables : NULL, now);
    for (const netsnmp_variable_list *vb = pdu->variables; vb && i < limit;
         vb = vb->next_variable, i++) {
        size_t c;
        if (i < nr)
            continue;
        c = j->req_cols[(i - nr) % j->n_req_cols];
        if (j->col_done[c])
            continue;
        if (walk_vb(d, j, c, vb, &at))
            used++;
        else
            j->col_done[c] = true;
    }
    if (used == 0 && i <= nr) {
        if (++j->empty >= SNMP_EMPTY_MAX) {
            job_problem(j, "%s: the agent keeps answering nothing", j->what);
            j->state = SNMP_JS_FAILED;
            return;
        }
    } else {
        j->empty = 0;
    }
    j->state = SNMP_JS_READY; /* build_walk finds out whether it is done */
}

static void handle_report(struct snmp_dev *d, struct snmp_job *j,
                          netsnmp_pdu *pdu)
{
    int type = snmpv3_get_report_type(pdu);

    if (j->kind == SNMP_JOB_PROBE) {
        slot_end(&j->slot);
        d->discovered = true;
        if (pdu->securityEngineIDLen < 1 ||
            pdu->securityEngineIDLen > SNMP_ENGINE_ID_MAX ||
            !pdu->securityEngineID) {
            snmp_dev_fail(d, SDC_ERR_SNMP,
                          "engine discovery: the agent's report carries no "
                          "usable engine ID");
            return;
        }
        memcpy(d->engine_id, pdu->securityEngineID, pdu->securityEngineIDLen);
        d->engine_id_len = pdu->securityEngineIDLen;
        j->state = SNMP_JS_DONE;
        return;
    }
    if (type == SNMPERR_NOT_IN_TIME_WINDOW)
        return; /* net-snmp resends with the agent's time (or gives up:
                   then the watchdog ends the request) */
    slot_end(&j->slot);
    d->answered = true;
    if (type == SNMPERR_UNKNOWN_ENG_ID)
        d->engine_id_len = 0; /* discovered again next cycle */
    snmp_dev_fail(d, SDC_ERR_SNMP, "%s", snmp_report_text(type));
}

/*
 * When the agent read the values of an answer arriving now: half-way
 * through the round trip (the agent answers somewhere between; our reading
 * of the socket may lag under load).  After a resend the first send time
 * says nothing: then the arrival time.
 */
static double answer_time(const struct snmp_dev *d,
                          const struct snmp_slot *slot)
{
    double now = snmp_now(), rtt = now - slot->sent;
    if (rtt >= 0 && rtt <= d->timeout)
        return slot->sent + rtt / 2;
    return now;
}

/*
 * The callback of every request: @magic is the job's slot.  A slot that is
 * no longer live (the device failed, the cycle ended, the session closed)
 * ignores what comes.  Returning 1 lets net-snmp free the request.
 */
static int snmp_response_cb(int op, netsnmp_session *sp, int reqid,
                            netsnmp_pdu *pdu, void *magic)
{
    struct snmp_slot *slot = magic;
    struct snmp_dev *d;
    struct snmp_job *j;
    double now;

    (void)sp;
    if (!slot || !slot->live || !slot->dev || !slot->job)
        return 1;
    if (op == NETSNMP_CALLBACK_OP_RESEND || op == NETSNMP_CALLBACK_OP_CONNECT)
        return 1;
    d = slot->dev;
    j = slot->job;
    if (d->state != SNMP_DEV_DISCOVER && d->state != SNMP_DEV_POLL)
        return 1;
    if ((op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE ||
         op == NETSNMP_CALLBACK_OP_SEC_ERROR) &&
        pdu && pdu->command == SNMP_MSG_REPORT) {
        /* net-snmp 5.9 hands a Report over twice, first as a security
         * error, then as a message: the first ends the request.  It was
         * matched by message ID; a Report may carry request ID 0. */
        handle_report(d, j, pdu);
        return 1;
    }
    if (reqid != slot->reqid)
        return 1;
    slot_end(slot);
    switch (op) {
    case NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE:
        if (!pdu || pdu->command != SNMP_MSG_RESPONSE) {
            snmp_dev_fail(d, SDC_ERR_SNMP,
                          "unexpected PDU type in answer to %s", j->what);
            break;
        }
        now = answer_time(d, slot);
        if (j->kind == SNMP_JOB_GET)
            handle_get(d, j, pdu, now);
        else if (j->kind == SNMP_JOB_WALK)
            handle_walk(d, j, pdu, now);
        else
            snmp_dev_fail(d, SDC_ERR_SNMP,
                          "engine discovery: a response instead of a "
                          "report (not an SNMPv3 agent?)");
        break;
    case NETSNMP_CALLBACK_OP_TIMED_OUT:
        dev_timeout(d, j);
        break;
    case NETSNMP_CALLBACK_OP_SEC_ERROR:
        snmp_dev_fail(d, SDC_ERR_SNMP,
                      "security error on an answer (wrong v3 password?)");
        break;
    default:
        snmp_dev_fail(d, SDC_ERR_SNMP, "request failed (send error %d)", op);
        break;
    }
    return 1;
}

/* ---- the loop ---------------------------------------------------------- */

static bool dev_busy(const struct snmp_dev *d)
{
    return d->state == SNMP_DEV_DISCOVER || d->state == SNMP_DEV_POLL;
}

/* Start @d's cycle: open its session, then discovery or the jobs. */
static void dev_start(struct snmp_dev *d)
{
    struct sdc_error err;

    d->state = SNMP_DEV_POLL;
    sdc_error_clear(&d->err);
    d->answered = false;
    d->discovered = false;
    d->t_done = 0;
    d->mono_done = 0;
    d->requests = 0;
    d->varbinds = 0;
    d->bad_values = 0;
    d->bad_example[0] = '\0';
    for (size_t i = 0; i < d->njobs; i++) {
        d->jobs[i].state = SNMP_JS_IDLE;
        d->jobs[i].slot.live = false;
    }
    sdc_error_clear(&err);
    if (snmp_dev_open(d, &err) != SDC_OK) {
        d->state = SNMP_DEV_FAILED;
        d->err = err;
        return;
    }
    if (d->version == 3 && !d->engine_applied && d->engine_id_len > 0 &&
        snmp_dev_apply_engine(d, &err) != SDC_OK) {
        d->state = SNMP_DEV_FAILED;
        d->err = err;
        return;
    }
    if (snmp_dev_needs_discovery(d)) {
        d->state = SNMP_DEV_DISCOVER;
        snmp_job_start(&d->jobs[SNMP_J_PROBE]);
        return;
    }
    snmp_dev_begin(d);
}

/* Move devices along: discovery finished, all jobs finished. */
static void dev_progress(struct snmp_dev *d)
{
    if (d->state == SNMP_DEV_DISCOVER &&
        d->jobs[SNMP_J_PROBE].state == SNMP_JS_DONE) {
        struct sdc_error err;
        sdc_error_clear(&err);
        if (snmp_dev_apply_engine(d, &err) != SDC_OK) {
            d->state = SNMP_DEV_FAILED;
            d->err = err;
            return;
        }
        d->state = SNMP_DEV_POLL;
        snmp_dev_begin(d);
    }
    if (d->state == SNMP_DEV_POLL) {
        for (size_t i = 0; i < d->njobs; i++)
            if (d->jobs[i].state == SNMP_JS_READY ||
                d->jobs[i].state == SNMP_JS_WAIT)
                return;
        d->state = SNMP_DEV_DONE;
        if (!d->t_done) {
            d->t_done = sdc_wall_time();
            d->mono_done = snmp_now();
        }
    }
}

/* Send READY jobs' requests, round-robin over devices, within the cap. */
static void dispatch(struct snmp_engine *e)
{
    for (size_t k = 0; k < e->n; k++) {
        struct snmp_dev *d = &e->devs[(e->rr + k) % e->n];
        /* a finished discovery makes the device's jobs READY right now */
        dev_progress(d);
        for (size_t i = 0; i < d->njobs && dev_busy(d); i++) {
            struct snmp_job *j = &d->jobs[i];
            if (j->state != SNMP_JS_READY)
                continue;
            if (e->inflight >= e->max_inflight)
                goto out;
            job_send(e, d, j);
        }
        dev_progress(d);
    }
out:
    if (e->n)
        e->rr = (e->rr + 1) % e->n;
}

static bool dev_has_live(const struct snmp_dev *d)
{
    for (size_t i = 0; i < d->njobs; i++)
        if (d->jobs[i].slot.live)
            return true;
    return false;
}

static int dev_sock(const struct snmp_dev *d)
{
    netsnmp_transport *t = d->sess ? snmp_sess_transport(d->sess) : NULL;
    return t ? t->sock : -1;
}

/* Make the (large) fd set hold @fd; it is kept all clear between uses. */
static bool fds_fit(struct snmp_engine *e, int fd)
{
    int size = fd + 1 > FD_SETSIZE ? 2 * (fd + 1) : FD_SETSIZE;
    if (!e->fds_init) {
        netsnmp_large_fd_set_init(&e->fds, size);
        e->fds_init = true;
    } else if (fd >= e->fds_size) {
        if (!netsnmp_large_fd_set_resize(&e->fds, size))
            return false;
    } else {
        return true;
    }
    e->fds_size = size;
    NETSNMP_LARGE_FD_ZERO(&e->fds);
    return true;
}

void snmp_engine_free_fds(struct snmp_engine *e)
{
    if (e->fds_init)
        netsnmp_large_fd_set_cleanup(&e->fds);
    e->fds_init = false;
}

/* Whether a request is waiting to be sent and the cap lets it go. */
static bool can_send(const struct snmp_engine *e)
{
    if (e->inflight >= e->max_inflight)
        return false;
    for (size_t i = 0; i < e->n; i++) {
        const struct snmp_dev *d = &e->devs[i];
        if (!dev_busy(d))
            continue;
        for (size_t k = 0; k < d->njobs; k++)
            if (d->jobs[k].state == SNMP_JS_READY)
                return true;
    }
    return false;
}

/* Wait for answers until @until at the latest, read them, run timeouts. */
static void wait_and_read(struct snmp_engine *e, double until)
{
    double now = snmp_now();
    double wake = can_send(e) ? now : until;
    size_t np = 0;
    int ms, rc, rd;

    for (size_t i = 0; i < e->n; i++) {
        struct snmp_dev *d = &e->devs[i];
        struct timeval tv = {0, 0};
        int numfds = 0, block = 1, fd;
        if (!dev_busy(d) || !dev_has_live(d))
            continue;
        fd = dev_sock(d);
        if (fd < 0 || !fds_fit(e, fd))
            continue;
        snmp_sess_select_info2_flags(d->sess, &numfds, &e->fds, &tv, &block,
                                     NETSNMP_SELECT_NOALARMS);
        NETSNMP_LARGE_FD_CLR(fd, &e->fds);
        if (!block) {
            double t = now + (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
            if (t < wake)
                wake = t;
        }
        for (size_t k = 0; k < d->njobs; k++)
            if (d->jobs[k].slot.live && d->jobs[k].slot.watchdog < wake)
                wake = d->jobs[k].slot.watchdog;
        e->pfd[np].fd = fd;
        e->pfd[np].events = POLLIN;
        e->pfd[np].revents = 0;
        e->pfd_dev[np] = i;
        np++;
    }
    ms = (int)ceil((wake - now) * 1000.0);
    if (ms < 0)
        ms = 0;
    if (np == 0 && ms > 10)
        ms = 10; /* nothing in flight: look again soon */
    rc = poll(e->pfd, (nfds_t)np, ms);
    if (rc < 0 && errno != EINTR)
        SDC_DEBUG("snmp: poll: %s", strerror(errno));
    for (size_t p = 0; rc > 0 && p < np; p++) {
        struct snmp_dev *d = &e->devs[e->pfd_dev[p]];
        int fd = e->pfd[p].fd;
        if (!(e->pfd[p].revents & (POLLIN | POLLERR | POLLHUP)) || !d->sess)
            continue;
        NETSNMP_LARGE_FD_SET(fd, &e->fds);
        rd = snmp_sess_read2(d->sess, &e->fds);
        NETSNMP_LARGE_FD_CLR(fd, &e->fds);
        if (rd < 0 && dev_busy(d) && snmp_sess_session(d->sess) &&
            snmp_sess_session(d->sess)->s_errno == ECONNREFUSED)
            snmp_dev_fail(d, SDC_ERR_SNMP,
                          "no SNMP agent listens there (port unreachable)");
    }
    now = snmp_now();
    for (size_t p = 0; p < np; p++) {
        struct snmp_dev *d = &e->devs[e->pfd_dev[p]];
        if (!d->sess || !dev_busy(d))
            continue;
        snmp_sess_timeout(d->sess);
        for (size_t k = 0; k < d->njobs && dev_busy(d); k++) {
            struct snmp_job *j = &d->jobs[k];
            if (j->slot.live && now > j->slot.watchdog) {
                slot_end(&j->slot);
                dev_timeout(d, j);
            }
        }
    }
}

void snmp_engine_run(struct snmp_engine *e, double deadline)
{
    e->inflight = 0;
    e->rr = 0;
    for (size_t i = 0; i < e->n; i++)
        dev_start(&e->devs[i]);
    for (;;) {
        size_t busy = 0;
        dispatch(e);
        for (size_t i = 0; i < e->n; i++) {
            dev_progress(&e->devs[i]);
            if (dev_busy(&e->devs[i]))
                busy++;
        }
        if (busy == 0 || snmp_now() >= deadline)
            break;
        wait_and_read(e, deadline);
    }
    for (size_t i = 0; i < e->n; i++) {
        struct snmp_dev *d = &e->devs[i];
        if (dev_busy(d)) {
            snmp_dev_fail(d, SDC_ERR_TIMEOUT,
                          "not finished within the cycle's %.1f s (%u "
                          "requests sent, %s)",
                          e->budget, d->requests,
                          d->answered     ? "answering slowly"
                          : d->discovered ? "engine discovery answered, no "
                                            "answer since"
                                          : "no answer");
        }
        /* a failed device's requests may still be queued: start afresh;
         * a v3 agent that answered nothing may have a new engine ID (a
         * re-installed agent ignores requests for the old one): discover
         * it again next cycle */
        if (d->state == SNMP_DEV_FAILED) {
            if (d->version == 3 && !d->answered)
                d->engine_id_len = 0;
            snmp_dev_close(d);
        }
    }
    e->inflight = 0;
}
