/*
 * snmp_device.c - what each SNMP device is asked, by role, and how its
 * answers become archive samples and inventory facts (DESIGN.md section 4).
 *
 *   switch   interfaces (IF-MIB ifTable + ifXTable)
 *   storage  interfaces and hrStorageTable disks
 *   host     all of that, hrProcessorLoad and memory (UCD-SNMP-MIB, else
 *            the hrStorageTable RAM row)
 * plus the device's `custom` objects whatever its role.
 *
 * Interfaces are keyed by ifName (else ifDescr, else "ifIndex-N"), never by
 * ifIndex, so an agent that renumbers them after a reboot keeps their
 * history.  Counters become rates through snmp_counter.c; a sysUpTime that
 * went back or an ifCounterDiscontinuityTime that changed makes that
 * interval UNKNOWN.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snmp_priv.h"

/* Custom table columns walked together. */
#define CUSTOM_COLS_PER_WALK 8
/* Highest credible rate of a DERIVE custom object, per second. */
#define CUSTOM_MAX_RATE 1e15
/* Longest archive instance we build ("<name>-<index>"). */
#define INSTANCE_MAX 256

/* ---- plan ------------------------------------------------------------ */

static bool role_storage(const struct snmp_dev *d)
{
    return d->role == SDC_SNMP_ROLE_STORAGE || d->role == SDC_SNMP_ROLE_HOST;
}

static bool role_host(const struct snmp_dev *d)
{
    return d->role == SDC_SNMP_ROLE_HOST;
}

/* Scalars asked of every device: their position in the GET. */
enum { SC_DESCR = 0, SC_UPTIME, SC_NAME, SC_MEM_TOTAL, SC_MEM_AVAIL };

static size_t n_table_customs(const struct snmp_dev *d)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n_custom; i++)
        n += d->custom[i].table;
    return n;
}

enum sdc_rc snmp_dev_plan(struct snmp_dev *d, struct sdc_error *err)
{
    const struct snmp_oid *cols[SNMP_MAX_COLS];
    size_t ntab = n_table_customs(d);
    size_t nwalks = (ntab + CUSTOM_COLS_PER_WALK - 1) / CUSTOM_COLS_PER_WALK;
    size_t n = 0, k;

    d->njobs = SNMP_J_CUSTOM + nwalks;
    d->jobs = calloc(d->njobs, sizeof(*d->jobs));
    d->scalar_oids =
        calloc(SNMP_SC_COUNT + d->n_custom, sizeof(*d->scalar_oids));
    if (!d->jobs || !d->scalar_oids)
        return sdc_error_set(err, SDC_ERR_NOMEM, "snmp: out of memory");

    d->scalar_oids[n++] = snmp_scalar_oid(SNMP_SC_SYS_DESCR);
    d->scalar_oids[n++] = snmp_scalar_oid(SNMP_SC_SYS_UPTIME);
    d->scalar_oids[n++] = snmp_scalar_oid(SNMP_SC_SYS_NAME);
    if (role_host(d)) {
        d->scalar_oids[n++] = snmp_scalar_oid(SNMP_SC_MEM_TOTAL);
        d->scalar_oids[n++] = snmp_scalar_oid(SNMP_SC_MEM_AVAIL);
    }
    for (size_t i = 0; i < d->n_custom; i++)
        if (!d->custom[i].table)
            d->scalar_oids[n++] = &d->custom[i].oid;
    d->n_scalars = n;

    snmp_job_init_probe(&d->jobs[SNMP_J_PROBE]);
    if (snmp_job_init_get(&d->jobs[SNMP_J_SCALARS], "system", d->scalar_oids,
                          n) != SDC_OK)
        return sdc_error_set(err, SDC_ERR_NOMEM, "snmp: out of memory");

    for (k = 0; k < SNMP_IF_COLS; k++)
        cols[k] = snmp_if_col_oid((enum snmp_if_col)k);
    snmp_job_init_walk(&d->jobs[SNMP_J_IF], "ifTable", cols, SNMP_IF_COLS);
    for (k = 0; k < SNMP_IFX_COLS; k++)
        cols[k] = snmp_ifx_col_oid((enum snmp_ifx_col)k);
    snmp_job_init_walk(&d->jobs[SNMP_J_IFX], "ifXTable", cols, SNMP_IFX_COLS);
    for (k = 0; k < SNMP_HRS_COLS; k++)
        cols[k] = snmp_hrs_col_oid((enum snmp_hrs_col)k);
    snmp_job_init_walk(&d->jobs[SNMP_J_HRS], "hrStorageTable", cols,
                       role_storage(d) ? SNMP_HRS_COLS : 0);
    cols[0] = snmp_hrp_col_oid(SNMP_HRP_LOAD);
    snmp_job_init_walk(&d->jobs[SNMP_J_HRP], "hrProcessorTable", cols,
                       role_host(d) ? 1 : 0);

    /* the k-th table custom is column k % 8 of custom walk k / 8 */
    k = 0;
    for (size_t w = 0; w < nwalks; w++) {
        size_t nc = 0;
        for (; k < d->n_custom && nc < CUSTOM_COLS_PER_WALK; k++)
            if (d->custom[k].table)
                cols[nc++] = &d->custom[k].oid;
        snmp_job_init_walk(&d->jobs[SNMP_J_CUSTOM + w], "custom tables", cols,
                           nc);
    }
    return SDC_OK;
}

void snmp_dev_free_plan(struct snmp_dev *d)
{
    for (size_t i = 0; i < d->njobs; i++)
        snmp_job_free(&d->jobs[i]);
    free(d->jobs);
    free(d->scalar_oids);
    d->jobs = NULL;
    d->scalar_oids = NULL;
    d->njobs = 0;
    d->n_scalars = 0;
}

void snmp_dev_begin(struct snmp_dev *d)
{
    for (size_t i = SNMP_J_SCALARS; i < d->njobs; i++) {
        struct snmp_job *j = &d->jobs[i];
        if ((j->kind == SNMP_JOB_GET && j->n_get > 0) ||
            (j->kind == SNMP_JOB_WALK && j->ncols > 0))
            snmp_job_start(j);
        else
            j->state = SNMP_JS_IDLE;
    }
}

/* ---- counter history ------------------------------------------------- */

/* The new cycle's history, built while the old one is looked up. */
struct hist_build {
    struct snmp_hist *items;
    size_t n;
    size_t cap;
    bool nomem;
};

static int hist_cmp(const void *a, const void *b)
{
    return strcmp(((const struct snmp_hist *)a)->key,
                  ((const struct snmp_hist *)b)->key);
}

static int hist_key_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct snmp_hist *)elem)->key);
}

/*
 * The history of @key for this cycle: a copy of last cycle's (or a fresh
 * one).  The pointer is valid until the next hist_take.
 */
static struct snmp_hist *hist_take(const struct snmp_dev *d,
                                   struct hist_build *nb, const char *key)
{
    const struct snmp_hist *old =
        d->n_hist
            ? bsearch(key, d->hist, d->n_hist, sizeof(*d->hist), hist_key_cmp)
            : NULL;
    struct snmp_hist *h;

    if (nb->n == nb->cap) {
        size_t ncap = nb->cap ? nb->cap * 2 : 32;
        struct snmp_hist *p = realloc(nb->items, ncap * sizeof(*p));
        if (!p) {
            nb->nomem = true;
            return NULL;
        }
        nb->items = p;
        nb->cap = ncap;
    }
    h = &nb->items[nb->n];
    if (old)
        *h = *old;
    else
        memset(h, 0, sizeof(*h));
    h->key = strdup(key);
    if (!h->key) {
        nb->nomem = true;
        return NULL;
    }
    nb->n++;
    return h;
}

/* Replace the device's history by this cycle's. */
static void hist_commit(struct snmp_dev *d, struct hist_build *nb)
{
    for (size_t i = 0; i < d->n_hist; i++)
        free(d->hist[i].key);
    free(d->hist);
    if (nb->n > 1)
        qsort(nb->items, nb->n, sizeof(*nb->items), hist_cmp);
    /* a key taken twice (duplicate names) keeps its first entry */
    {
        size_t k = 0;
        for (size_t i = 0; i < nb->n; i++) {
            if (k > 0 && strcmp(nb->items[k - 1].key, nb->items[i].key) == 0) {
                free(nb->items[i].key);
                continue;
            }
            nb->items[k++] = nb->items[i];
        }
        nb->n = k;
    }
    d->hist = nb->items;
    d->n_hist = nb->n;
}

/* ---- helpers --------------------------------------------------------- */

static const struct snmp_val *cell(const struct snmp_row *r, size_t c)
{
    return r ? &r->cell[c] : NULL;
}

static const char *cell_str(const struct snmp_row *r, size_t c)
{
    const struct snmp_val *v = cell(r, c);
    const char *s = v ? snmp_val_str(v) : NULL;
    return s && *s ? s : NULL;
}

static bool cell_int(const struct snmp_row *r, size_t c, int64_t *out)
{
    const struct snmp_val *v = cell(r, c);
    return v && snmp_val_int(v, out);
}

static bool walk_complete(const struct snmp_job *j)
{
    return j->state == SNMP_JS_DONE && !j->cut;
}

/* What an interface counter counts, for its credible maximum. */
enum ctr_kind { CTR_OCTETS, CTR_PACKETS };

/*
 * One counter of @h to a rate, into DS @ds of @s, on a link of @speed bit/s
 * (0 = unknown).  A value of the wrong type is noted; unknown rates stay
 * unknown.
 */
static void put_rate(struct snmp_dev *d, struct sdc_sample *s, const char *ds,
                     struct snmp_ctr *c, const struct snmp_val *v,
                     bool discontinuity, enum ctr_kind kind, uint64_t speed,
                     const char *what)
{
    uint64_t raw;
    unsigned width;
    double rate, max_rate;
    enum snmp_ctr_status st;

    if (!v || v->kind == SNMP_VAL_NONE)
        return;
    if (!snmp_val_counter(v, &raw, &width)) {
        snmp_dev_note_bad(d, "%s is %s, not a counter", what,
                          snmp_val_kind_name(v->kind));
        c->width = 0;
        return;
    }
    max_rate = kind == CTR_OCTETS ? snmp_ctr_octet_limit(speed, width)
                                  : snmp_ctr_packet_limit(speed, width);
    st = snmp_ctr_update(c, raw, width, v->t, v->clock, discontinuity, max_rate,
                         &rate);
    if (st == SNMP_CTR_OK)
        sdc_sample_set_gauge(s, ds, rate);
    else if (st == SNMP_CTR_TOO_FAST || st == SNMP_CTR_BAD_VALUE)
        snmp_dev_note_bad(d, "%s: %s; unknown this interval", what,
                          snmp_ctr_status_name(st));
}

/* ---- interfaces ------------------------------------------------------ */

struct if_ent {
    char name[SNMP_STR_MAX + 32];
    uint32_t if_index;
    const struct snmp_row *r; /* ifTable row, or NULL */
    const struct snmp_row *x; /* ifXTable row, or NULL */
};

static int if_ent_cmp(const void *a, const void *b)
{
    const struct if_ent *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return (x->if_index > y->if_index) - (x->if_index < y->if_index);
}

static bool if_wanted(const struct snmp_dev *d, const char *name)
{
    if (d->has_include && regexec(&d->if_include, name, 0, NULL, 0) != 0)
        return false;
    if (d->has_exclude && regexec(&d->if_exclude, name, 0, NULL, 0) == 0)
        return false;
    return true;
}

static bool is_uplink(const struct snmp_dev *d, const char *name,
                      const char *descr)
{
    for (size_t i = 0; i < d->n_uplinks; i++)
        if (strcmp(d->uplinks[i], name) == 0 ||
            (descr && strcmp(d->uplinks[i], descr) == 0))
            return true;
    return false;
}

/* The interfaces of both tables, named, sorted, duplicates told apart. */
static struct if_ent *collect_ifs(const struct snmp_table *ift,
                                  const struct snmp_table *ifx, size_t *out_n)
{
    size_t cap = ift->nrows + ifx->nrows, n = 0;
    struct if_ent *e = calloc(cap ? cap : 1, sizeof(*e));

    if (!e)
        return NULL;
    for (int pass = 0; pass < 2; pass++) {
        const struct snmp_table *t = pass ? ifx : ift;
        for (size_t i = 0; i < t->nrows; i++) {
            const struct snmp_row *row = t->rows[i];
            const char *nm;
            if (row->idx_len != 1 || row->idx[0] == 0 ||
                row->idx[0] > INT32_MAX)
                continue;
            if (pass && snmp_table_find(ift, row->idx, 1))
                continue; /* already there from ifTable */
            e[n].if_index = row->idx[0];
            e[n].r = pass ? NULL : row;
            e[n].x = pass ? row : snmp_table_find(ifx, row->idx, 1);
            nm = cell_str(e[n].x, SNMP_IFX_NAME);
            if (!nm)
                nm = cell_str(e[n].r, SNMP_IF_DESCR);
            if (nm)
                snprintf(e[n].name, sizeof(e[n].name), "%s", nm);
            else
                snprintf(e[n].name, sizeof(e[n].name), "ifIndex-%" PRIu32,
                         e[n].if_index);
            n++;
        }
    }
    qsort(e, n, sizeof(*e), if_ent_cmp);
    /* two interfaces of one name: the second and later get their ifIndex */
    for (size_t i = 1; i < n; i++) {
        size_t first = i;
        while (first > 0 &&
               strncmp(e[first - 1].name, e[i].name, sizeof(e[i].name)) == 0)
            first--;
        if (first < i) {
            char tmp[sizeof(e[i].name)];
            snprintf(tmp, sizeof(tmp), "%.*s-ifIndex-%" PRIu32, SNMP_STR_MAX,
                     e[i].name, e[i].if_index);
            memcpy(e[i].name, tmp, sizeof(tmp));
        }
    }
    *out_n = n;
    return e;
}

static enum sdc_rc build_interfaces(struct snmp_dev *d, struct sdc_batch *b,
                                    struct hist_build *nb, time_t t,
                                    bool restarted, bool *truncated)
{
    const struct snmp_job *jif = &d->jobs[SNMP_J_IF];
    const struct snmp_job *jifx = &d->jobs[SNMP_J_IFX];
    size_t n = 0, archived = 0, over = 0;
    struct if_ent *e = collect_ifs(&jif->tab, &jifx->tab, &n);

    if (!e)
        return SDC_ERR_NOMEM;
    for (size_t i = 0; i < n && !over; i++)
        if (if_wanted(d, e[i].name) && ++archived > SNMP_ARCHIVE_IF_MAX)
            over = 1;
    if (over) {
        snmp_dev_note_bad(d,
                          "more than %d interfaces: only the first %d by name "
                          "are archived",
                          SNMP_ARCHIVE_IF_MAX, SNMP_ARCHIVE_IF_MAX);
        *truncated = true;
    }
    archived = 0;
    for (size_t i = 0; i < n && archived < SNMP_ARCHIVE_IF_MAX; i++) {
        const struct snmp_row *r = e[i].r, *x = e[i].x;
        struct sdc_interface_info info = {0};
        struct sdc_sample *s;
        struct snmp_hist *h;
        char key[sizeof(e[i].name) + 8], what[sizeof(e[i].name) + 40];
        int64_t high = 0, speed = 0, oper = 0, disc;
        bool has_high = cell_int(x, SNMP_IFX_HIGH_SPEED, &high) && high >= 0;
        bool has_speed = cell_int(r, SNMP_IF_SPEED, &speed) && speed >= 0;
        uint64_t bps =
            snmp_if_speed(has_high, (uint64_t)high, has_speed, (uint64_t)speed);
        bool discontinuity = restarted;
        const struct snmp_val *in, *out;

        if (!if_wanted(d, e[i].name))
            continue;
        archived++;
        snprintf(key, sizeof(key), "if:%s", e[i].name);
        h = hist_take(d, nb, key);
        if (!h)
            break;
        /* ifCounterDiscontinuityTime moved: the counters restarted */
        if (cell(x, SNMP_IFX_DISCONTINUITY) &&
            cell_int(x, SNMP_IFX_DISCONTINUITY, &disc) && disc >= 0) {
            if (h->has_disc && h->disc != (uint64_t)disc)
                discontinuity = true;
            h->disc = (uint64_t)disc;
            h->has_disc = true;
        }
        s = sdc_batch_add_sample(b, SDC_AR_SNMP_IF, d->name, e[i].name, t);
        if (!s) {
            free(e);
            return SDC_ERR_NOMEM;
        }
        /* 64-bit counters when the agent has them */
        in = cell(x, SNMP_IFX_HC_IN_OCTETS);
        if (!in || in->kind == SNMP_VAL_NONE)
            in = cell(r, SNMP_IF_IN_OCTETS);
        out = cell(x, SNMP_IFX_HC_OUT_OCTETS);
        if (!out || out->kind == SNMP_VAL_NONE)
            out = cell(r, SNMP_IF_OUT_OCTETS);
        snprintf(what, sizeof(what), "%s in octets", e[i].name);
        put_rate(d, s, "in_octets", &h->c[0], in, discontinuity, CTR_OCTETS,
                 bps, what);
        snprintf(what, sizeof(what), "%s out octets", e[i].name);
        put_rate(d, s, "out_octets", &h->c[1], out, discontinuity, CTR_OCTETS,
                 bps, what);
        snprintf(what, sizeof(what), "%s ifInErrors", e[i].name);
        put_rate(d, s, "in_errors", &h->c[2], cell(r, SNMP_IF_IN_ERRORS),
                 discontinuity, CTR_PACKETS, bps, what);
        snprintf(what, sizeof(what), "%s ifOutErrors", e[i].name);
        put_rate(d, s, "out_errors", &h->c[3], cell(r, SNMP_IF_OUT_ERRORS),
                 discontinuity, CTR_PACKETS, bps, what);
        snprintf(what, sizeof(what), "%s ifInDiscards", e[i].name);
        put_rate(d, s, "in_discards", &h->c[4], cell(r, SNMP_IF_IN_DISCARDS),
                 discontinuity, CTR_PACKETS, bps, what);
        snprintf(what, sizeof(what), "%s ifOutDiscards", e[i].name);
        put_rate(d, s, "out_discards", &h->c[5], cell(r, SNMP_IF_OUT_DISCARDS),
                 discontinuity, CTR_PACKETS, bps, what);
        if (bps > 0)
            sdc_sample_set_gauge(s, "speed", (double)bps);

        info.device = d->name;
        info.name = e[i].name;
        info.alias = (char *)cell_str(x, SNMP_IFX_ALIAS);
        info.descr = (char *)cell_str(r, SNMP_IF_DESCR);
        info.if_index = (int)e[i].if_index;
        info.speed = bps;
        info.uplink = is_uplink(d, e[i].name, info.descr);
        if (cell_int(r, SNMP_IF_OPER_STATUS, &oper) && oper >= 1 && oper <= 7)
            info.oper_status = (int)oper;
        if (sdc_batch_add_interface(b, &info) != SDC_OK) {
            free(e);
            return SDC_ERR_NOMEM;
        }
    }
    free(e);
    return nb->nomem ? SDC_ERR_NOMEM : SDC_OK;
}

/* ---- storages (hrStorageTable and custom "as" objects) ------------------ */

struct stor_ent {
    char name[INSTANCE_MAX];
    bool has_size, has_used;
    double size, used; /* bytes */
};

struct stor_list {
    struct stor_ent *items;
    size_t n, cap;
    bool truncated; /* storages left out past SNMP_ARCHIVE_STORAGE_MAX */
};

/* The entry named @name, created if new; NULL if out of memory or when
 * the list is full (@full set). */
static struct stor_ent *stor_get(struct stor_list *l, const char *name,
                                 bool *full)
{
    *full = false;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].name, name) == 0)
            return &l->items[i];
    if (l->n >= SNMP_ARCHIVE_STORAGE_MAX) {
        *full = true;
        return NULL;
    }
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 8;
        struct stor_ent *p = realloc(l->items, ncap * sizeof(*p));
        if (!p)
            return NULL;
        l->items = p;
        l->cap = ncap;
    }
    memset(&l->items[l->n], 0, sizeof(l->items[0]));
    snprintf(l->items[l->n].name, sizeof(l->items[0].name), "%s", name);
    return &l->items[l->n++];
}

/* A storage name not yet in @l: @name, else "@name-@idx". */
static void stor_unique(const struct stor_list *l, const char *name,
                        uint32_t idx, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s", name);
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].name, out) == 0) {
            snprintf(out, outlen, "%.*s-%" PRIu32, SNMP_STR_MAX, name, idx);
            return;
        }
}

/*
 * hrStorageTable: disks into @l; the first RAM row's size and free bytes
 * into @ram_total/@ram_avail (NaN when none).
 */
static enum sdc_rc read_hr_storage(struct snmp_dev *d, struct stor_list *l,
                                   double *ram_total, double *ram_avail)
{
    const struct snmp_table *t = &d->jobs[SNMP_J_HRS].tab;

    *ram_total = *ram_avail = NAN;
    for (size_t i = 0; i < t->nrows; i++) {
        const struct snmp_row *r = t->rows[i];
        const struct snmp_val *type = cell(r, SNMP_HRS_TYPE);
        enum snmp_storage_kind kind =
            snmp_storage_kind_of(type->kind == SNMP_VAL_OID ? type->s : NULL);
        int64_t units = 0, size = 0, used = 0;
        uint64_t sb = 0, ub = 0;
        bool has_units = cell_int(r, SNMP_HRS_UNITS, &units);
        bool size_ok = has_units && cell_int(r, SNMP_HRS_SIZE, &size) &&
                       snmp_storage_bytes(size, units, &sb);
        bool used_ok = has_units && cell_int(r, SNMP_HRS_USED, &used) &&
                       snmp_storage_bytes(used, units, &ub);
        const char *descr = cell_str(r, SNMP_HRS_DESCR);
        char name[INSTANCE_MAX], fallback[32];
        struct stor_ent *s;
        bool full;

        if (kind == HRS_KIND_OTHER || kind == HRS_KIND_VIRTUAL)
            continue;
        if ((has_units && (size < 0 || used < 0 || units < 1)) ||
            (size_ok && used_ok && ub > sb))
            snmp_dev_note_bad(d,
                              "hrStorage %s: size %" PRId64 ", used %" PRId64
                              " x %" PRId64 " bytes; unknown",
                              descr ? descr : "?", size, used, units);
        if (size_ok && used_ok && ub > sb)
            used_ok = false; /* used above size: not credible */
        if (kind == HRS_KIND_RAM) {
            if (isnan(*ram_total) && size_ok) {
                *ram_total = (double)sb;
                if (used_ok)
                    *ram_avail = (double)(sb - ub);
            }
            continue;
        }
        if (!descr) {
            snprintf(fallback, sizeof(fallback), "hrStorage-%" PRIu32,
                     r->idx_len ? r->idx[0] : 0);
            descr = fallback;
        }
        stor_unique(l, descr, r->idx_len ? r->idx[0] : 0, name, sizeof(name));
        s = stor_get(l, name, &full);
        if (full) {
            snmp_dev_note_bad(d,
                              "more than %d storages: the rest are not "
                              "archived",
                              SNMP_ARCHIVE_STORAGE_MAX);
            l->truncated = true;
            return SDC_OK;
        }
        if (!s)
            return SDC_ERR_NOMEM;
        s->has_size = size_ok;
        s->size = (double)sb;
        s->has_used = used_ok;
        s->used = (double)ub;
    }
    return SDC_OK;
}

/* Add @l's storages as samples and inventory facts. */
static enum sdc_rc emit_storages(struct snmp_dev *d, struct sdc_batch *b,
                                 const struct stor_list *l, time_t t)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct stor_ent *e = &l->items[i];
        struct sdc_sample *s =
            sdc_batch_add_sample(b, SDC_AR_SNMP_STORAGE, d->name, e->name, t);
        struct sdc_storage_info info = {0};
        if (!s)
            return SDC_ERR_NOMEM;
        if (e->has_size)
            sdc_sample_set_gauge(s, "size", e->size);
        if (e->has_used)
            sdc_sample_set_gauge(s, "used", e->used);
        info.device = d->name;
        info.descr = (char *)e->name;
        info.has_size = e->has_size && e->size >= 0 && e->size < 1.8e19;
        info.size = info.has_size ? (uint64_t)e->size : 0;
        info.has_used = e->has_used && e->used >= 0 && e->used < 1.8e19;
        info.used = info.has_used ? (uint64_t)e->used : 0;
        if (sdc_batch_add_storage(b, &info) != SDC_OK)
            return SDC_ERR_NOMEM;
    }
    return SDC_OK;
}

/* ---- custom objects ------------------------------------------------------ */

/* The value of a custom object: GAUGE x scale, or DERIVE's rate x scale. */
static bool custom_value(struct snmp_dev *d, struct hist_build *nb,
                         const struct snmp_custom *c, const char *inst,
                         const struct snmp_val *v, bool restarted, double *out)
{
    char key[INSTANCE_MAX + 16];
    struct snmp_hist *h;
    uint64_t raw;
    unsigned width;
    double rate, x;
    enum snmp_ctr_status st;

    if (!v || v->kind == SNMP_VAL_NONE)
        return false;
    if (c->type == SDC_SNMP_CUSTOM_GAUGE) {
        if (!snmp_val_number(v, &x)) {
            snmp_dev_note_bad(d, "custom %s is %s, not a number", inst,
                              snmp_val_kind_name(v->kind));
            return false;
        }
        *out = x * c->scale;
        return isfinite(*out);
    }
    snprintf(key, sizeof(key), "custom:%s", inst);
    h = hist_take(d, nb, key);
    if (!h)
        return false;
    if (!snmp_val_counter(v, &raw, &width)) {
        int64_t i;
        /* a DERIVE of another numeric type: taken as a 64-bit count */
        if (!snmp_val_int(v, &i) || i < 0) {
            snmp_dev_note_bad(d, "custom %s is %s, not a counter", inst,
                              snmp_val_kind_name(v->kind));
            h->c[0].width = 0;
            return false;
        }
        raw = (uint64_t)i;
        width = 64;
    }
    st = snmp_ctr_update(&h->c[0], raw, width, v->t, v->clock, restarted,
                         CUSTOM_MAX_RATE, &rate);
    if (st != SNMP_CTR_OK) {
        if (st == SNMP_CTR_TOO_FAST)
            snmp_dev_note_bad(d, "custom %s: %s; unknown this interval", inst,
                              snmp_ctr_status_name(st));
        return false;
    }
    *out = rate * c->scale;
    return isfinite(*out);
}

/* One custom value (a scalar or a table row) into its archive or storage. */
static enum sdc_rc custom_put(struct snmp_dev *d, struct sdc_batch *b,
                              struct hist_build *nb, struct stor_list *sl,
                              const struct snmp_custom *c, const char *suffix,
                              const struct snmp_val *v, bool restarted,
                              time_t t)
{
    char inst[INSTANCE_MAX];
    double x = 0;
    bool known;

    snprintf(inst, sizeof(inst), "%s%s%s", c->name, suffix ? "-" : "",
             suffix ? suffix : "");
    known = custom_value(d, nb, c, inst, v, restarted, &x);
    if (nb->nomem)
        return SDC_ERR_NOMEM;
    if (c->as != SDC_SNMP_AS_NONE) {
        char sname[INSTANCE_MAX];
        struct stor_ent *s;
        bool full;
        snprintf(sname, sizeof(sname), "%s%s%s", c->storage, suffix ? "-" : "",
                 suffix ? suffix : "");
        s = stor_get(sl, sname, &full);
        if (full) {
            sl->truncated = true;
            return SDC_OK;
        }
        if (!s)
            return SDC_ERR_NOMEM;
        if (known && x >= 0) {
            if (c->as == SDC_SNMP_AS_STORAGE_SIZE) {
                s->has_size = true;
                s->size = x;
            } else {
                s->has_used = true;
                s->used = x;
            }
        }
        return SDC_OK;
    }
    {
        struct sdc_sample *s =
            sdc_batch_add_sample(b, SDC_AR_SNMP_CUSTOM, d->name, inst, t);
        if (!s)
            return SDC_ERR_NOMEM;
        if (known)
            sdc_sample_set_gauge(s, "value", x);
    }
    return SDC_OK;
}

/* Every custom object; @complete is cleared if a table was not read whole. */
static enum sdc_rc build_customs(struct snmp_dev *d, struct sdc_batch *b,
                                 struct hist_build *nb, struct stor_list *sl,
                                 const struct snmp_val *scalars, bool restarted,
                                 time_t t, bool *complete)
{
    size_t si = 0, ti = 0;
    enum sdc_rc rc;

    for (size_t i = 0; i < d->n_custom; i++) {
        const struct snmp_custom *c = &d->custom[i];
        const struct snmp_job *j;
        size_t col;
        if (!c->table) {
            if (scalars[si].kind == SNMP_VAL_NONE)
                snmp_dev_note_bad(d, "custom %s: the agent has no such object",
                                  c->name);
            rc =
                custom_put(d, b, nb, sl, c, NULL, &scalars[si++], restarted, t);
            if (rc != SDC_OK)
                return rc;
            continue;
        }
        j = &d->jobs[SNMP_J_CUSTOM + ti / CUSTOM_COLS_PER_WALK];
        col = ti % CUSTOM_COLS_PER_WALK;
        ti++;
        if (c->as != SDC_SNMP_AS_NONE && !walk_complete(j))
            *complete = false;
        for (size_t r = 0, rows = 0; r < j->tab.nrows; r++) {
            const struct snmp_row *row = j->tab.rows[r];
            char idx[INSTANCE_MAX / 2];
            if (row->cell[col].kind == SNMP_VAL_NONE)
                continue;
            if (++rows > SNMP_ARCHIVE_CUSTOM_ROWS_MAX) {
                snmp_dev_note_bad(d,
                                  "custom %s: more than %d rows: the rest "
                                  "are not archived",
                                  c->name, SNMP_ARCHIVE_CUSTOM_ROWS_MAX);
                if (c->as != SDC_SNMP_AS_NONE)
                    *complete = false;
                break;
            }
            snmp_oid_format(row->idx, row->idx_len, idx, sizeof(idx));
            rc =
                custom_put(d, b, nb, sl, c, idx, &row->cell[col], restarted, t);
            if (rc != SDC_OK)
                return rc;
        }
    }
    return SDC_OK;
}

/* ---- the device's batch -------------------------------------------------- */

static const char *role_name(enum sdc_snmp_role r)
{
    switch (r) {
    case SDC_SNMP_ROLE_SWITCH:
        return "switch";
    case SDC_SNMP_ROLE_STORAGE:
        return "storage";
    case SDC_SNMP_ROLE_HOST:
        break;
    }
    return "host";
}

/* CPU and memory of a host. */
static enum sdc_rc build_host(struct snmp_dev *d, struct sdc_batch *b,
                              const struct snmp_val *sc, double ram_total,
                              double ram_avail, time_t t)
{
    const struct snmp_table *hrp = &d->jobs[SNMP_J_HRP].tab;
    struct sdc_sample *s;
    int64_t total = -1, avail = -1;
    double mean;

    if (hrp->nrows > 0) {
        int64_t *loads = calloc(hrp->nrows, sizeof(*loads));
        size_t n = 0;
        if (!loads)
            return SDC_ERR_NOMEM;
        for (size_t i = 0; i < hrp->nrows; i++)
            if (cell_int(hrp->rows[i], SNMP_HRP_LOAD, &loads[n]))
                n++;
        s = sdc_batch_add_sample(b, SDC_AR_SNMP_CPU, d->name, NULL, t);
        if (!s) {
            free(loads);
            return SDC_ERR_NOMEM;
        }
        if (snmp_cpu_mean(loads, n, &mean))
            sdc_sample_set_gauge(s, "load", mean);
        free(loads);
    }
    s = sdc_batch_add_sample(b, SDC_AR_SNMP_MEM, d->name, NULL, t);
    if (!s)
        return SDC_ERR_NOMEM;
    /* UCD-SNMP-MIB in KiB (Integer32: a negative one wrapped), else the
     * hrStorage RAM row */
    if (snmp_val_int(&sc[SC_MEM_TOTAL], &total) && total >= 0 &&
        snmp_val_int(&sc[SC_MEM_AVAIL], &avail) && avail >= 0 &&
        avail <= total) {
        sdc_sample_set_gauge(s, "total", (double)total * 1024.0);
        sdc_sample_set_gauge(s, "avail", (double)avail * 1024.0);
    } else if (!isnan(ram_total)) {
        sdc_sample_set_gauge(s, "total", ram_total);
        if (!isnan(ram_avail))
            sdc_sample_set_gauge(s, "avail", ram_avail);
    }
    return SDC_OK;
}

/* Log this cycle's ignored values and agent anomalies, rate-limited. */
static void report_anomalies(struct snmp_dev *d, time_t cycle)
{
    const char *problem = NULL;
    char label[300];

    for (size_t i = 0; i < d->njobs && !problem; i++)
        if (d->jobs[i].problem[0])
            problem = d->jobs[i].problem;
    snmp_dev_label(d, label, sizeof(label));
    if (d->bad_values == 0 && !problem) {
        sdc_complain_release(&d->bad_data, "snmp: %s: answers are sound again",
                             label);
        return;
    }
    if (d->bad_values)
        sdc_complain(&d->bad_data, cycle, SDC_LOG_WARNING,
                     "snmp: %s: %u value(s) ignored this cycle, first: %s%s%s",
                     label, d->bad_values, d->bad_example, problem ? "; " : "",
                     problem ? problem : "");
    else
        sdc_complain(&d->bad_data, cycle, SDC_LOG_WARNING, "snmp: %s: %s",
                     label, problem);
}

struct sdc_batch *snmp_dev_result(struct snmp_dev *d, time_t cycle)
{
    struct sdc_batch *b = sdc_batch_new(d->name, cycle);
    struct sdc_snmp_device_info info = {0};
    struct hist_build nb = {0};
    struct stor_list sl = {0};
    const struct snmp_job *jsc;
    const struct snmp_val *sc;
    bool restarted = false, storages_complete = true, if_truncated = false;
    double ram_total = NAN, ram_avail = NAN;
    int64_t up;
    time_t t;
    enum sdc_rc rc = SDC_OK;

    if (!b)
        return NULL;
    if (d->state != SNMP_DEV_DONE) {
        b->ok = false;
        b->error = d->err;
        if (b->error.code == SDC_OK)
            sdc_error_set(&b->error, SDC_ERR_SNMP, "device %s: not polled",
                          d->name);
        return b;
    }
    b->ok = true;
    t = d->t_done ? d->t_done : sdc_wall_time();
    jsc = &d->jobs[SNMP_J_SCALARS];
    sc = jsc->get_vals;

    /* an agent restart makes every counter's interval unknown */
    if (sc[SC_UPTIME].kind == SNMP_VAL_TICKS &&
        snmp_val_int(&sc[SC_UPTIME], &up) && jsc->uptime_local > 0) {
        /* the agent's clock against ours */
        if (d->has_uptime)
            restarted = snmp_uptime_restarted(d->uptime, (uint32_t)up,
                                              jsc->uptime_local - d->uptime_t);
        d->uptime = (uint32_t)up;
        d->uptime_t = jsc->uptime_local;
        d->has_uptime = true;
        info.uptime = (double)up / 100.0;
    } else {
        info.uptime = NAN;
    }
    if (restarted)
        SDC_INFO("snmp: device %s: the agent restarted (sysUpTime went "
                 "back); rates unknown for this interval",
                 d->name);

    info.name = d->name;
    info.address = d->address;
    info.role = (char *)role_name(d->role);
    info.sys_descr = (char *)snmp_val_str(&sc[SC_DESCR]);
    info.sys_name = (char *)snmp_val_str(&sc[SC_NAME]);
    rc = build_interfaces(d, b, &nb, t, restarted, &if_truncated);
    info.interfaces_complete = walk_complete(&d->jobs[SNMP_J_IF]) &&
                               walk_complete(&d->jobs[SNMP_J_IFX]) &&
                               !if_truncated;
    if (rc == SDC_OK && role_storage(d)) {
        storages_complete = walk_complete(&d->jobs[SNMP_J_HRS]);
        rc = read_hr_storage(d, &sl, &ram_total, &ram_avail);
    }
    if (rc == SDC_OK)
        rc = build_customs(d, b, &nb, &sl,
                           sc + (role_host(d) ? SC_MEM_AVAIL + 1 : SC_NAME + 1),
                           restarted, t, &storages_complete);
    if (rc == SDC_OK)
        rc = emit_storages(d, b, &sl, t);
    if (rc == SDC_OK && role_host(d))
        rc = build_host(d, b, sc, ram_total, ram_avail, t);
    info.storages_complete = storages_complete && !sl.truncated;
    if (rc == SDC_OK)
        rc = sdc_batch_set_snmp_device(b, &info);
    if (rc == SDC_OK && nb.nomem)
        rc = SDC_ERR_NOMEM;
    hist_commit(d, &nb);
    free(sl.items);
    if (rc != SDC_OK) {
        sdc_batch_free(b);
        b = sdc_batch_new(d->name, cycle);
        if (!b)
            return NULL;
        b->ok = false;
        sdc_error_set(&b->error, SDC_ERR_NOMEM, "device %s: out of memory",
                      d->name);
        return b;
    }
    report_anomalies(d, cycle);
    SDC_DEBUG("snmp: device %s: %u requests, %u varbinds, %zu interfaces, "
              "%zu storages, %zu samples",
              d->name, d->requests, d->varbinds, b->interfaces.len,
              b->storages.len, b->samples.len);
    return b;
}
