/*
 * monthly_doc.c - judging what monthly.c gathered (findings.h) and
 * building the report's JSON document: report.json, which the templates
 * also render (monthly.h describes its parts).
 *
 * Text here is plain text (evidence, actions): the templates escape it for
 * HTML or Markdown, the CSV writer quotes it.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart_svg.h"
#include "figure.h"
#include "json_util.h"
#include "monthly_priv.h"

#define TEXT_LEN 512
/* Risks of one kind listed one by one in the first section; more are
 * summed up in one line. */
#define MAX_RISKS_EACH 3
/* Pools drawn in the "top pools" chart. */
#define TOP_POOLS 5

/* ------------------------------------------------------------- helpers */

static json_t *jstr(struct m_ctx *c, const char *s)
{
    json_t *j = ju_string(s);
    if (!j)
        c->oom = true;
    return j;
}

static void set(struct m_ctx *c, json_t *o, const char *k, json_t *v)
{
    if (!ju_set_new(o, k, v))
        c->oom = true;
}

static void set_s(struct m_ctx *c, json_t *o, const char *k, const char *s)
{
    set(c, o, k, jstr(c, s));
}

static void set_f(struct m_ctx *c, json_t *o, const char *k, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));

static void set_f(struct m_ctx *c, json_t *o, const char *k, const char *fmt,
                  ...)
{
    char buf[TEXT_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    set_s(c, o, k, buf);
}

static void push(struct m_ctx *c, json_t *a, json_t *v)
{
    if (!ju_append_new(a, v))
        c->oom = true;
}

static json_t *obj(struct m_ctx *c)
{
    json_t *o = json_object();
    if (!o)
        c->oom = true;
    return o;
}

static json_t *arr(struct m_ctx *c)
{
    json_t *a = json_array();
    if (!a)
        c->oom = true;
    return a;
}

enum st_kind { ST_PCT, ST_RATE_BYTES, ST_BITS, ST_CPUS, ST_BYTES };

static json_t *fig_of(enum st_kind k, double v)
{
    switch (k) {
    case ST_PCT:
        return fig_pct(v);
    case ST_RATE_BYTES:
        return fig_rate_bytes(v);
    case ST_BITS:
        return fig_rate_bits(v);
    case ST_CPUS:
        return fig_cpus(v);
    case ST_BYTES:
        return fig_bytes(v);
    }
    return NULL;
}

/* {"mean", "p95", "max", "coverage"} of @s. */
static json_t *stat_obj(struct m_ctx *c, const struct stats *s, enum st_kind k)
{
    json_t *o = obj(c);
    set(c, o, "mean", fig_of(k, s->mean));
    set(c, o, "p95", fig_of(k, s->p95));
    set(c, o, "max", fig_of(k, s->max));
    set(c, o, "coverage", fig_pct(s->coverage));
    return o;
}

/* A utilisation against a target: stats plus target, over, status. */
static json_t *use_obj(struct m_ctx *c, const struct stats *s, double target,
                       bool judged)
{
    json_t *o = stat_obj(c, s, ST_PCT);
    bool over = judged && fd_over(s->p95, target);
    set(c, o, "target", fig_pct(target));
    set(c, o, "over", json_boolean(over));
    set_s(c, o, "status",
          s->n == 0                       ? "no data"
          : !judged                       ? "too little data"
          : over                          ? "over target"
          : fd_over(s->p95, target * 0.9) ? "near target"
                                          : "within target");
    return o;
}

static void text_list(char *buf, size_t len, const char *const *parts, size_t n)
{
    size_t k = 0, used = 0;
    buf[0] = 0;
    for (size_t i = 0; i < n; i++) {
        int w;
        if (!parts[i] || !*parts[i])
            continue;
        w = snprintf(buf + used, len - used, "%s%s", k == 0 ? "" : ", ",
                     parts[i]);
        if (w < 0 || (size_t)w >= len - used)
            break;
        used += (size_t)w;
        k++;
    }
}

/* "4 vCPUs, 16 GiB memory, 80 GiB disk" for what is freed or needed. */
static void amounts_text(double vcpus, double mem, double disk, char *buf,
                         size_t len)
{
    char a[FIG_TEXT_LEN + 16] = "", b[FIG_TEXT_LEN + 16] = "",
                          d[FIG_TEXT_LEN + 16] = "", t[FIG_TEXT_LEN];
    const char *parts[3] = {a, b, d};
    if (vcpus > 0) {
        fig_text_count(vcpus, vcpus == 1 ? "vCPU" : "vCPUs", t);
        snprintf(a, sizeof(a), "%s", t);
    }
    if (mem > 0) {
        fig_text_bytes(mem, t);
        snprintf(b, sizeof(b), "%s memory", t);
    }
    if (disk > 0) {
        fig_text_bytes(disk, t);
        snprintf(d, sizeof(d), "%s storage", t);
    }
    text_list(buf, len, parts, 3);
}

static const char *owner_or(const char *o)
{
    return o && *o ? o : "(no owner)";
}

static double nz(double v)
{
    return isfinite(v) ? v : 0;
}

/* ------------------------------------------------------------ previous */

struct prev {
    json_t *doc; /* NULL: no record */
    char month[PERIOD_MONTH_LEN];
    char path[4096];
};

/* The entry of list @list (e.g. summary.clusters) whose @key is @val. */
static const json_t *prev_find(const struct prev *pv, const char *sect,
                               const char *list, const char *key,
                               const char *val)
{
    const json_t *a, *e;
    size_t i;
    if (!pv->doc)
        return NULL;
    a = json_object_get(json_object_get(pv->doc, sect), list);
    json_array_foreach(a, i, e)
    {
        const json_t *k = json_object_get(e, key);
        if (json_is_string(k) && strcmp(json_string_value(k), val) == 0)
            return e;
    }
    return NULL;
}

/* The change of figure @path ("cpu.p95") of @now against entry @was. */
static json_t *change_of(const struct prev *pv, const json_t *was, double now,
                         const char *a, const char *b, const char *unit,
                         double scale)
{
    double before;
    if (!pv->doc)
        return fig_change(NAN, unit, "no record");
    if (!was)
        return fig_change(NAN, unit, "new this month");
    before = fig_value(b ? json_object_get(json_object_get(was, a), b)
                         : json_object_get(was, a));
    if (!isfinite(before) || !isfinite(now))
        return fig_change(NAN, unit, "no data");
    return fig_change(now * scale - before, unit, NULL);
}

static void prev_load(struct m_ctx *c, struct prev *pv)
{
    json_error_t je;
    period_prev(&c->p, pv->month);
    if (c->o->prev_path)
        snprintf(pv->path, sizeof(pv->path), "%s", c->o->prev_path);
    else
        snprintf(pv->path, sizeof(pv->path), "%s/monthly/%s/report.json",
                 c->cfg->reports.dir, pv->month);
    pv->doc = json_load_file(pv->path, 0, &je);
    if (!pv->doc) {
        FILE *f = fopen(pv->path, "r");
        if (f) {
            fclose(f);
            m_note(c,
                   "The report of %s (%s) could not be read (%s, line %d): "
                   "no changes are shown.",
                   pv->month, pv->path, je.text, je.line);
        } else {
            m_note(c,
                   "No report for %s was found (%s): changes from the month "
                   "before are not shown.",
                   pv->month, pv->path);
        }
    } else if (!json_is_object(pv->doc) ||
               !json_is_object(json_object_get(pv->doc, "summary"))) {
        m_note(c, "%s is not a monthly report.json: changes are not shown.",
               pv->path);
        json_decref(pv->doc);
        pv->doc = NULL;
    }
}

/* ----------------------------------------------------------- the period */

static void iso_time(time_t t, char *buf, size_t len)
{
    struct tm tm;
    char z[8];
    if (!localtime_r(&t, &tm) ||
        !strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm)) {
        snprintf(buf, len, "?");
        return;
    }
    if (strftime(z, sizeof(z), "%z", &tm) == 5) {
        size_t n = strlen(buf);
        snprintf(buf + n, len - n, "%.3s:%.2s", z, z + 3);
    }
}

static json_t *period_obj(struct m_ctx *c)
{
    static const char *const months[] = {
        "January", "February", "March",     "April",   "May",      "June",
        "July",    "August",   "September", "October", "November", "December"};
    json_t *o = obj(c);
    char a[64], b[64];
    struct tm tm;
    const struct period *p = &c->p;

    iso_time(p->start, a, sizeof(a));
    iso_time(p->end, b, sizeof(b));
    set_s(c, o, "start", a);
    set_s(c, o, "end", b);
    set(c, o, "start_epoch", json_integer((json_int_t)p->start));
    set(c, o, "end_epoch", json_integer((json_int_t)p->end));
    m_format_time(p->start, a, sizeof(a));
    set_s(c, o, "start_text", a);
    m_format_time(p->until, b, sizeof(b));
    set_s(c, o, "until_text", b);
    set(c, o, "partial", json_boolean(p->partial));
    set(c, o, "days",
        json_real(round((double)(p->end - p->start) / 8640.0) / 10.0));
    set_s(c, o, "timezone",
          localtime_r(&p->start, &tm) && tm.tm_zone ? tm.tm_zone : "local");
    set_f(c, o, "name", "%s %d", months[p->month - 1], p->year);
    return o;
}

static json_t *resolution_obj(struct m_ctx *c)
{
    json_t *o = obj(c);
    time_t s = c->max_step;
    set(c, o, "seconds", json_integer((json_int_t)s));
    if (!s) {
        set_s(c, o, "text", "no data");
        set_s(c, o, "note", "");
    } else if (s <= 300) {
        set_s(c, o, "text",
              s == 300 ? "5-minute averages" : "averages of one poll cycle");
        set_s(c, o, "note", "");
    } else {
        char t[64];
        if (s % 3600 == 0)
            snprintf(t, sizeof(t), "%lld-hour averages", (long long)(s / 3600));
        else
            snprintf(t, sizeof(t), "%lld-second averages", (long long)s);
        set_s(c, o, "text", t);
        set_f(c, o, "note",
              "The archives no longer hold 5-minute rows for %s (kept %g "
              "days), so percentiles come from %s: short peaks are smoothed "
              "and p95 reads lower than it would at 5 minutes.",
              c->p.name, c->cfg->retention.min5_days, t);
    }
    return o;
}

/* The thresholds as the report states them. */
static json_t *thresholds_arr(struct m_ctx *c)
{
    const struct sdc_thresholds_cfg *t = &c->lim.t;
    json_t *a = arr(c);
    struct {
        const char *key;
        const char *rule;
        json_t *fig;
    } rows[] = {
        {"idle_cpu", "Idle VM: running all month and p95 CPU below",
         fig_pct(t->idle_cpu)},
        {"idle_net_bytes", "Idle VM: and p95 network (rx + tx) below",
         fig_rate_bytes(t->idle_net_bytes)},
        {"oversized_cpu", "Oversized VM: p95 CPU below",
         fig_pct(t->oversized_cpu)},
        {"resize_cpu", "Recommended vCPUs keep p95 CPU under",
         fig_pct(t->resize_cpu)},
        {"oversized_memory", "Oversized VM: p95 memory used below",
         fig_pct(t->oversized_memory)},
        {"resize_memory", "Recommended memory (whole GiB) keeps p95 under",
         fig_pct(t->resize_memory)},
        {"undersized_cpu", "Undersized VM: p95 CPU above",
         fig_pct(t->undersized_cpu)},
        {"undersized_memory", "Undersized VM: p95 memory used above",
         fig_pct(t->undersized_memory)},
        {"imbalance_points",
         "Imbalance: host p95s of a cluster apart by more than",
         fig_count(t->imbalance_points, "points")},
        {"min_coverage", "Judged only with data for at least",
         fig_pct(t->min_coverage)},
        {"interface_errors",
         "Interfaces listed from errors + discards in the month",
         fig_count(t->interface_errors, "count")},
        {"target_cpu",
         "Hot host or cluster: p95 CPU above (capacity.targets.cpu)",
         fig_pct(c->lim.target_cpu)},
        {"target_memory",
         "Hot host: p95 memory above (capacity.targets.memory)",
         fig_pct(c->lim.target_memory)},
        {"target_storage", "Pool or storage over target: p95 used above",
         fig_pct(c->lim.target_storage)},
        {"target_network",
         "Link over target: p95 in or out above, of its speed",
         fig_pct(c->lim.target_network)},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        json_t *o = obj(c);
        set_s(c, o, "key", rows[i].key);
        set_s(c, o, "rule", rows[i].rule);
        set(c, o, "value", rows[i].fig);
        push(c, a, o);
    }
    return a;
}

/* ------------------------------------------------------------- judging */

struct totals {
    double vcpus[3], memory[3], storage[4]; /* shutoff, idle, oversized,
                                               orphans */
    size_t vms[3];
    size_t orphans;
    double need_vcpus, need_memory;
    size_t undersized;
};

static void judge_vms(struct m_ctx *c, struct totals *tot)
{
    for (size_t i = 0; i < c->n_vms; i++) {
        struct m_vm *vm = &c->vms[i];
        struct fd_vm_in in = {
            .month = vm->month,
            .coverage = vm->cpu.coverage,
            .vcpus = vm->vcpus,
            .memory = vm->memory,
            .cpu_p95 = vm->cpu.p95,
            .cpu_p95_cpus = vm->cpu_cpus.p95,
            .mem_p95 = vm->mem.p95,
            .mem_p95_bytes = vm->mem_bytes.p95,
            .net_p95 = vm->net.p95,
            .disk_capacity = vm->disk_capacity,
            .disk_allocation = vm->disk_allocation,
        };
        /* the CPU data corrects the inventory */
        if (vm->month == FD_MONTH_SHUTOFF && vm->cpu_active) {
            vm->month = in.month = FD_MONTH_MIXED;
            snprintf(vm->month_note, sizeof(vm->month_note),
                     "the inventory says shut off, but its CPU data shows it "
                     "ran");
        } else if (vm->month == FD_MONTH_UNKNOWN &&
                   vm->cpu.coverage >= c->lim.t.min_coverage &&
                   vm->cpu_active) {
            vm->month = in.month = FD_MONTH_RUNNING;
            snprintf(vm->month_note, sizeof(vm->month_note),
                     "running (from its CPU data)");
        }
        fd_vm_judge(&c->lim, &in, &vm->verdict);
        switch (vm->verdict.cls) {
        case FD_VM_SHUTOFF:
        case FD_VM_IDLE:
        case FD_VM_OVERSIZED: {
            int k = vm->verdict.cls == FD_VM_SHUTOFF ? 0
                    : vm->verdict.cls == FD_VM_IDLE  ? 1
                                                     : 2;
            tot->vms[k]++;
            tot->vcpus[k] += vm->verdict.free_vcpus;
            tot->memory[k] += vm->verdict.free_memory;
            tot->storage[k] += vm->verdict.free_storage;
            break;
        }
        default:
            break;
        }
        if (vm->verdict.undersized_cpu || vm->verdict.undersized_mem) {
            tot->undersized++;
            tot->need_vcpus += vm->verdict.need_vcpus;
            tot->need_memory += vm->verdict.need_memory;
        }
    }
}

/* Common fields of a VM finding. */
static json_t *vm_finding(struct m_ctx *c, const struct m_vm *vm,
                          const char *kind)
{
    json_t *o = obj(c);
    set_s(c, o, "kind", kind);
    set_s(c, o, "name", vm->name);
    set_s(c, o, "id", vm->uuid);
    set_s(c, o, "owner", owner_or(vm->owner));
    set_s(c, o, "host", vm->host);
    set_s(c, o, "cluster", vm->cluster);
    set(c, o, "vcpus", fig_vcpus(vm->vcpus));
    set(c, o, "memory", fig_bytes(vm->memory));
    set(c, o, "coverage", fig_pct(vm->cpu.coverage));
    set(c, o, "free_vcpus", fig_vcpus(vm->verdict.free_vcpus));
    set(c, o, "free_memory", fig_bytes(vm->verdict.free_memory));
    set(c, o, "free_storage", fig_bytes(vm->verdict.free_storage));
    set(c, o, "need_vcpus", fig_vcpus(vm->verdict.need_vcpus));
    set(c, o, "need_memory", fig_bytes(vm->verdict.need_memory));
    return o;
}

static const char *mem_method_text(enum m_mem_method m)
{
    switch (m) {
    case M_MEM_BALLOON:
        return "current - usable (guest balloon statistics)";
    case M_MEM_RSS:
        return "rss capped at current (no balloon statistics)";
    case M_MEM_MIXED:
        return "current - usable where the guest reported it, else rss";
    case M_MEM_NONE:
        break;
    }
    return "no memory data";
}

static void vm_findings(struct m_ctx *c, json_t *fnd)
{
    json_t *shut = arr(c), *idle = arr(c), *over = arr(c), *under = arr(c);
    char ev[TEXT_LEN], fr[TEXT_LEN], t1[FIG_TEXT_LEN], t2[FIG_TEXT_LEN],
        t3[FIG_TEXT_LEN], t4[FIG_TEXT_LEN], when[32];

    for (size_t i = 0; i < c->n_vms; i++) {
        const struct m_vm *vm = &c->vms[i];
        const struct fd_vm_out *v = &vm->verdict;
        json_t *o;
        if (v->cls == FD_VM_SHUTOFF) {
            o = vm_finding(c, vm, "shutoff");
            m_format_time(vm->state_since, when, sizeof(when));
            set(c, o, "disk_capacity", fig_bytes(vm->disk_capacity));
            set(c, o, "disk_allocation", fig_bytes(vm->disk_allocation));
            set_s(c, o, "shut_off_since", vm->state_since ? when : "");
            snprintf(ev, sizeof(ev),
                     "%s since %s (inventory); no CPU time during the month",
                     vm->state, vm->state_since ? when : "before the month");
            amounts_text(v->free_vcpus, v->free_memory, v->free_storage, fr,
                         sizeof(fr));
            set_s(c, o, "evidence", ev);
            set_s(c, o, "frees", fr);
            set_s(c, o, "needs", "");
            set_f(c, o, "action",
                  "Confirm with %s that it is no longer needed, then delete "
                  "it (archive its disks first if in doubt)",
                  owner_or(vm->owner));
            push(c, shut, o);
        } else if (v->cls == FD_VM_IDLE) {
            o = vm_finding(c, vm, "idle");
            set(c, o, "cpu_p95", fig_pct(vm->cpu.p95));
            set(c, o, "cpu_p95_cpus", fig_cpus(vm->cpu_cpus.p95));
            set(c, o, "net_p95", fig_rate_bytes(vm->net.p95));
            fig_text_pct(vm->cpu.p95 * 100, t1);
            fig_text_rate_bytes(vm->net.p95, t2);
            fig_text_pct(c->lim.t.idle_cpu * 100, t3);
            fig_text_rate_bytes(c->lim.t.idle_net_bytes, t4);
            snprintf(ev, sizeof(ev),
                     "running all month; p95 CPU %s of %d vCPUs (limit %s); "
                     "p95 network %s (limit %s)%s",
                     t1, vm->vcpus, t3, t2, t4,
                     vm->n_net_files == 0 ? ", no network interface" : "");
            amounts_text(v->free_vcpus, v->free_memory, 0, fr, sizeof(fr));
            set_s(c, o, "evidence", ev);
            set_s(c, o, "frees", fr);
            set_s(c, o, "needs", "");
            set_f(c, o, "action",
                  "Ask %s whether it is still needed; retire it or shut it "
                  "down",
                  owner_or(vm->owner));
            push(c, idle, o);
        } else if (v->cls == FD_VM_OVERSIZED) {
            char a[TEXT_LEN / 2] = "", b[TEXT_LEN / 2] = "";
            const char *parts[2] = {a, b};
            o = vm_finding(c, vm, "oversized");
            set(c, o, "cpu_p95", fig_pct(vm->cpu.p95));
            set(c, o, "cpu_p95_cpus", fig_cpus(vm->cpu_cpus.p95));
            set(c, o, "mem_p95", fig_pct(vm->mem.p95));
            set(c, o, "mem_p95_used", fig_bytes(vm->mem_bytes.p95));
            set_s(c, o, "mem_method", mem_method_text(vm->mem_method));
            set(c, o, "recommended_vcpus",
                v->oversized_cpu ? fig_vcpus(v->rec_vcpus) : json_null());
            set(c, o, "recommended_memory",
                v->oversized_mem ? fig_bytes(v->rec_memory) : json_null());
            if (v->oversized_cpu) {
                fig_text_pct(vm->cpu.p95 * 100, t1);
                fig_text_cpus(vm->cpu_cpus.p95, t2);
                fig_text_pct(c->lim.t.resize_cpu * 100, t3);
                snprintf(a, sizeof(a),
                         "p95 CPU %s of %d vCPUs (%s): %d vCPU%s keep it "
                         "under %s",
                         t1, vm->vcpus, t2, v->rec_vcpus,
                         v->rec_vcpus == 1 ? "" : "s", t3);
            }
            if (v->oversized_mem) {
                fig_text_pct(vm->mem.p95 * 100, t1);
                fig_text_bytes(vm->mem_bytes.p95, t2);
                fig_text_bytes(vm->memory, t3);
                fig_text_bytes(v->rec_memory, t4);
                snprintf(b, sizeof(b),
                         "p95 memory used %s (%s of %s, %s): %s keep it "
                         "under %.0f%%",
                         t1, t2, t3,
                         vm->mem_method == M_MEM_BALLOON ? "balloon"
                         : vm->mem_method == M_MEM_RSS   ? "rss"
                                                         : "balloon/rss",
                         t4, c->lim.t.resize_memory * 100);
            }
            text_list(ev, sizeof(ev), parts, 2);
            amounts_text(v->free_vcpus, v->free_memory, 0, fr, sizeof(fr));
            set_s(c, o, "evidence", ev);
            set_s(c, o, "frees", fr);
            set_s(c, o, "needs", "");
            {
                char ra[64] = "", rb[64] = "", act[TEXT_LEN];
                const char *rp[2] = {ra, rb};
                if (v->oversized_cpu)
                    snprintf(ra, sizeof(ra), "%d vCPU%s", v->rec_vcpus,
                             v->rec_vcpus == 1 ? "" : "s");
                if (v->oversized_mem) {
                    fig_text_bytes(v->rec_memory, t4);
                    snprintf(rb, sizeof(rb), "%s memory", t4);
                }
                text_list(act, sizeof(act), rp, 2);
                set_f(c, o, "action", "Resize to %s at its next maintenance",
                      act);
            }
            push(c, over, o);
        }
        if (v->undersized_cpu || v->undersized_mem) {
            char a[TEXT_LEN / 2] = "", b[TEXT_LEN / 2] = "";
            const char *parts[2] = {a, b};
            o = vm_finding(c, vm, "undersized");
            /* an undersized VM frees nothing itself (an oversized memory
             * finding of the same VM carries what it frees) */
            set(c, o, "free_vcpus", fig_vcpus(0));
            set(c, o, "free_memory", fig_bytes(0));
            set(c, o, "free_storage", fig_bytes(0));
            set(c, o, "cpu_p95", fig_pct(vm->cpu.p95));
            set(c, o, "cpu_p95_cpus", fig_cpus(vm->cpu_cpus.p95));
            set(c, o, "mem_p95", fig_pct(vm->mem.p95));
            set(c, o, "mem_p95_used", fig_bytes(vm->mem_bytes.p95));
            set_s(c, o, "mem_method", mem_method_text(vm->mem_method));
            set(c, o, "recommended_vcpus",
                v->undersized_cpu ? fig_vcpus(v->rec_vcpus) : json_null());
            set(c, o, "recommended_memory",
                v->undersized_mem ? fig_bytes(v->rec_memory) : json_null());
            if (v->undersized_cpu) {
                fig_text_pct(vm->cpu.p95 * 100, t1);
                fig_text_pct(c->lim.t.undersized_cpu * 100, t2);
                snprintf(a, sizeof(a), "p95 CPU %s of %d vCPUs (limit %s)", t1,
                         vm->vcpus, t2);
            }
            if (v->undersized_mem) {
                fig_text_pct(vm->mem.p95 * 100, t1);
                fig_text_bytes(vm->mem_bytes.p95, t2);
                fig_text_bytes(vm->memory, t3);
                fig_text_pct(c->lim.t.undersized_memory * 100, t4);
                snprintf(b, sizeof(b),
                         "p95 memory used %s (%s of %s; limit %s)", t1, t2, t3,
                         t4);
            }
            text_list(ev, sizeof(ev), parts, 2);
            amounts_text(v->need_vcpus, v->need_memory, 0, fr, sizeof(fr));
            set_s(c, o, "evidence", ev);
            set_s(c, o, "frees", "");
            set_f(c, o, "needs", "at least %s more", fr);
            {
                char ra[64] = "", rb[64] = "", act[TEXT_LEN];
                const char *rp[2] = {ra, rb};
                if (v->undersized_cpu)
                    snprintf(ra, sizeof(ra), "%d vCPUs", v->rec_vcpus);
                if (v->undersized_mem) {
                    fig_text_bytes(v->rec_memory, t4);
                    snprintf(rb, sizeof(rb), "%s memory", t4);
                }
                text_list(act, sizeof(act), rp, 2);
                set_f(c, o, "action",
                      "Give it %s (a p95 near 100%% hides how much more it "
                      "would use: check after resizing)",
                      act);
            }
            push(c, under, o);
        }
    }
    set(c, fnd, "shutoff", shut);
    set(c, fnd, "idle", idle);
    set(c, fnd, "oversized", over);
    set(c, fnd, "undersized", under);
}

static struct m_host *host_by_name(struct m_ctx *c, const char *name)
{
    for (size_t i = 0; i < c->n_hosts; i++)
        if (strcmp(c->hosts[i].name, name) == 0)
            return &c->hosts[i];
    return NULL;
}

static void judge_hosts(struct m_ctx *c)
{
    for (size_t i = 0; i < c->n_hosts; i++) {
        struct m_host *h = &c->hosts[i];
        h->judged = h->cpu.coverage >= c->lim.t.min_coverage;
        /* polled the whole month: enough data, and up to its last day */
        h->polled = h->judged && h->last_data + 86400 >= c->p.until;
        h->hot_cpu = h->judged && fd_over(h->cpu.p95, c->lim.target_cpu);
        h->hot_mem = h->judged && h->mem.coverage >= c->lim.t.min_coverage &&
                     fd_over(h->mem.p95, c->lim.target_memory);
    }
}

static void hot_host_findings(struct m_ctx *c, json_t *fnd)
{
    json_t *a = arr(c);
    char ev[TEXT_LEN], nd[TEXT_LEN], t1[FIG_TEXT_LEN], t2[FIG_TEXT_LEN],
        t3[FIG_TEXT_LEN];
    for (size_t i = 0; i < c->n_hosts; i++) {
        const struct m_host *h = &c->hosts[i];
        char a1[TEXT_LEN / 2] = "", a2[TEXT_LEN / 2] = "";
        char n1[TEXT_LEN / 2] = "", n2[TEXT_LEN / 2] = "";
        const char *ep[2] = {a1, a2}, *np[2] = {n1, n2};
        double need_cpus = NAN, need_mem = NAN;
        json_t *o;
        if (!h->hot_cpu && !h->hot_mem)
            continue;
        o = obj(c);
        set_s(c, o, "kind", "hot_host");
        set_s(c, o, "name", h->name);
        set_s(c, o, "id", h->name);
        set_s(c, o, "owner", "");
        set_s(c, o, "cluster", h->cluster);
        set(c, o, "cpu_p95", fig_pct(h->cpu.p95));
        set(c, o, "mem_p95", fig_pct(h->mem.p95));
        set(c, o, "target_cpu", fig_pct(c->lim.target_cpu));
        set(c, o, "target_memory", fig_pct(c->lim.target_memory));
        if (h->hot_cpu) {
            fig_text_pct(h->cpu.p95 * 100, t1);
            fig_text_pct(c->lim.target_cpu * 100, t2);
            snprintf(a1, sizeof(a1), "p95 CPU %s of %.0f CPUs (target %s)", t1,
                     nz(h->cpus), t2);
            need_cpus = (h->cpu.p95 - c->lim.target_cpu) * h->cpus;
            fig_text_cpus(need_cpus, t3);
            snprintf(n1, sizeof(n1), "about %s of p95 load moved off", t3);
        }
        if (h->hot_mem) {
            fig_text_pct(h->mem.p95 * 100, t1);
            fig_text_pct(c->lim.target_memory * 100, t2);
            fig_text_bytes(h->mem_total, t3);
            snprintf(a2, sizeof(a2), "p95 memory used %s of %s (target %s)", t1,
                     t3, t2);
            need_mem = (h->mem.p95 - c->lim.target_memory) * h->mem_total;
            fig_text_bytes(need_mem, t3);
            snprintf(n2, sizeof(n2), "about %s of memory moved off", t3);
        }
        set(c, o, "need_cpus", fig_cpus(need_cpus));
        set(c, o, "need_memory", fig_bytes(need_mem));
        set(c, o, "free_vcpus", fig_vcpus(NAN));
        set(c, o, "free_memory", fig_bytes(NAN));
        set(c, o, "free_storage", fig_bytes(NAN));
        set(c, o, "need_vcpus", fig_vcpus(NAN));
        text_list(ev, sizeof(ev), ep, 2);
        text_list(nd, sizeof(nd), np, 2);
        set_s(c, o, "evidence", ev);
        set_s(c, o, "frees", "");
        set_s(c, o, "needs", nd);
        set_f(c, o, "action",
              "Move VMs to a cooler host of %s, or add capacity to the "
              "cluster",
              h->cluster);
        push(c, a, o);
    }
    set(c, fnd, "hot_hosts", a);
}

/* Imbalance within each cluster, with the moves that would even it. */
static void imbalance_findings(struct m_ctx *c, json_t *fnd)
{
    json_t *a = arr(c);
    char ev[TEXT_LEN], t1[FIG_TEXT_LEN], t2[FIG_TEXT_LEN], t3[FIG_TEXT_LEN];
    double limit = c->lim.t.imbalance_points / 100.0;

    for (size_t k = 0; k < c->n_clusters; k++) {
        const struct m_cluster *cl = &c->clusters[k];
        for (int d = 0; d < 2; d++) {
            enum fd_dim dim = d == 0 ? FD_DIM_CPU : FD_DIM_MEMORY;
            struct m_host *hot = NULL, *cool = NULL;
            struct fd_move_cand *cands;
            struct fd_plan plan;
            struct fd_host fh, fc;
            size_t nc = 0;
            json_t *o, *moves;
            for (size_t i = 0; i < c->n_hosts; i++) {
                struct m_host *h = &c->hosts[i];
                const struct stats *s = dim == FD_DIM_CPU ? &h->cpu : &h->mem;
                if (strcmp(h->cluster, cl->name) != 0 || !h->judged ||
                    !isfinite(s->p95) || s->coverage < c->lim.t.min_coverage)
                    continue;
                if (!hot ||
                    s->p95 > (dim == FD_DIM_CPU ? hot->cpu.p95 : hot->mem.p95))
                    hot = h;
                if (!cool || s->p95 < (dim == FD_DIM_CPU ? cool->cpu.p95
                                                         : cool->mem.p95))
                    cool = h;
            }
            if (!hot || !cool || hot == cool)
                continue;
            {
                double sh = dim == FD_DIM_CPU ? hot->cpu.p95 : hot->mem.p95;
                double sc = dim == FD_DIM_CPU ? cool->cpu.p95 : cool->mem.p95;
                if (!(sh - sc > limit))
                    continue;
            }
            cands = calloc(hot->n_vms ? hot->n_vms : 1, sizeof(*cands));
            if (!cands) {
                c->oom = true;
                return;
            }
            for (size_t i = 0; i < c->n_vms && nc < hot->n_vms; i++) {
                const struct m_vm *vm = &c->vms[i];
                if (strcmp(vm->host, hot->name) != 0 ||
                    vm->cpu.coverage < c->lim.t.min_coverage ||
                    vm->verdict.cls == FD_VM_SHUTOFF)
                    continue;
                cands[nc].id = i;
                cands[nc].cpus = vm->cpu_cpus.p95;
                cands[nc].memory = vm->memory;
                nc++;
            }
            fh = (struct fd_host){hot->cpu.p95, hot->mem.p95, hot->cpus,
                                  hot->mem_total};
            fc = (struct fd_host){cool->cpu.p95, cool->mem.p95, cool->cpus,
                                  cool->mem_total};
            fd_plan_moves(&c->lim, dim, &fh, &fc, cands, nc, &plan);
            free(cands);

            o = obj(c);
            set_s(c, o, "kind", "imbalance");
            set_s(c, o, "name", cl->name);
            set_s(c, o, "id", cl->name);
            set_s(c, o, "owner", "");
            set_s(c, o, "cluster", cl->name);
            set_s(c, o, "dimension", dim == FD_DIM_CPU ? "CPU" : "memory");
            set_s(c, o, "hottest", hot->name);
            set_s(c, o, "coolest", cool->name);
            set(c, o, "hottest_p95",
                fig_pct(dim == FD_DIM_CPU ? hot->cpu.p95 : hot->mem.p95));
            set(c, o, "coolest_p95",
                fig_pct(dim == FD_DIM_CPU ? cool->cpu.p95 : cool->mem.p95));
            set(c, o, "spread",
                fig_points(dim == FD_DIM_CPU ? hot->cpu.p95 - cool->cpu.p95
                                             : hot->mem.p95 - cool->mem.p95));
            fig_text_pct(
                (dim == FD_DIM_CPU ? hot->cpu.p95 : hot->mem.p95) * 100, t1);
            fig_text_pct(
                (dim == FD_DIM_CPU ? cool->cpu.p95 : cool->mem.p95) * 100, t2);
            snprintf(ev, sizeof(ev),
                     "p95 %s %s on %s, %s on %s: %.0f points apart (limit "
                     "%.0f)",
                     dim == FD_DIM_CPU ? "CPU" : "memory", t1, hot->name, t2,
                     cool->name,
                     ((dim == FD_DIM_CPU ? hot->cpu.p95 - cool->cpu.p95
                                         : hot->mem.p95 - cool->mem.p95)) *
                         100,
                     c->lim.t.imbalance_points);
            set_s(c, o, "evidence", ev);
            moves = arr(c);
            for (size_t m = 0; m < plan.n; m++) {
                const struct m_vm *vm = &c->vms[plan.id[m]];
                json_t *mv = obj(c);
                set_s(c, mv, "name", vm->name);
                set_s(c, mv, "id", vm->uuid);
                set_s(c, mv, "owner", owner_or(vm->owner));
                set_s(c, mv, "from", hot->name);
                set_s(c, mv, "to", cool->name);
                set(c, mv, "cpu_p95_cpus", fig_cpus(vm->cpu_cpus.p95));
                set(c, mv, "memory", fig_bytes(vm->memory));
                push(c, moves, mv);
            }
            set(c, o, "moves", moves);
            set(c, o, "has_moves", json_boolean(plan.n > 0));
            set(c, o, "hottest_after",
                fig_pct(dim == FD_DIM_CPU ? plan.hot_after.cpu_p95
                                          : plan.hot_after.mem_p95));
            set(c, o, "coolest_after",
                fig_pct(dim == FD_DIM_CPU ? plan.cool_after.cpu_p95
                                          : plan.cool_after.mem_p95));
            set(c, o, "free_vcpus", fig_vcpus(NAN));
            set(c, o, "free_memory", fig_bytes(NAN));
            set(c, o, "free_storage", fig_bytes(NAN));
            set(c, o, "need_vcpus", fig_vcpus(NAN));
            set(c, o, "need_memory", fig_bytes(NAN));
            set_s(c, o, "frees", "");
            if (plan.n) {
                fig_text_pct((dim == FD_DIM_CPU ? plan.hot_after.cpu_p95
                                                : plan.hot_after.mem_p95) *
                                 100,
                             t1);
                fig_text_pct((dim == FD_DIM_CPU ? plan.cool_after.cpu_p95
                                                : plan.cool_after.mem_p95) *
                                 100,
                             t2);
                snprintf(t3, sizeof(t3), "%zu VM%s", plan.n,
                         plan.n == 1 ? "" : "s");
                set_f(c, o, "action",
                      "Move %s from %s to %s (listed): p95 %s about %s on "
                      "%s and %s on %s afterwards (estimate)",
                      t3, hot->name, cool->name,
                      dim == FD_DIM_CPU ? "CPU" : "memory", t1, hot->name, t2,
                      cool->name);
                set_s(c, o, "needs", "");
            } else {
                set_f(c, o, "action",
                      "No VM of %s fits on %s within its targets: rebalance "
                      "by hand or add capacity",
                      hot->name, cool->name);
                set_s(c, o, "needs", "");
            }
            push(c, a, o);
        }
    }
    set(c, fnd, "imbalance", a);
}

/* Orphaned volumes, judged once per pool; withheld when in doubt. */
static void orphan_findings(struct m_ctx *c, json_t *fnd, struct totals *tot)
{
    json_t *a = arr(c), *w = arr(c);
    char ev[TEXT_LEN], t1[FIG_TEXT_LEN];

    for (size_t p = 0; p < c->n_pools; p++) {
        const struct m_pool *pl = &c->pools[p];
        char why[TEXT_LEN] = "";
        size_t nvol = 0, norph = 0;
        double orph_bytes = 0;
        const char *names[66];
        size_t nn = 0;
        bool doubt = false;

        if (!pl->in_inventory)
            continue;
        /* who sees it, and were they polled all month? */
        for (size_t k = 0; k < pl->n_hosts && !doubt; k++) {
            const struct m_host *h = host_by_name(c, pl->hosts[k]);
            if (!h || !h->polled) {
                doubt = true;
                snprintf(why, sizeof(why),
                         "%s, which sees this pool, was not polled the "
                         "whole month (data for %.0f%% of it)",
                         pl->hosts[k], h ? h->cpu.coverage * 100 : 0.0);
            }
        }
        if (!doubt && pl->n_hosts == 0) {
            doubt = true;
            snprintf(why, sizeof(why),
                     "no hypervisor is recorded as seeing this pool");
        }
        /* a shared pool may be seen by hosts it was not listed for: every
         * host of the same clusters must have been polled too */
        for (size_t i = 0; i < c->n_hosts && !doubt && pl->shared; i++) {
            const struct m_host *h = &c->hosts[i];
            bool same = false;
            for (size_t k = 0; k < pl->n_hosts && !same; k++) {
                const struct m_host *ph = host_by_name(c, pl->hosts[k]);
                same = ph && strcmp(ph->cluster, h->cluster) == 0;
            }
            if (same && !h->polled) {
                doubt = true;
                snprintf(why, sizeof(why),
                         "%s, in a cluster that shares this pool, was not "
                         "polled the whole month (data for %.0f%% of it)",
                         h->name, h->cpu.coverage * 100);
            }
        }
        for (size_t k = 0; k < pl->n_hosts && nn < 64; k++)
            names[nn++] = pl->host_names[k];
        names[nn++] = pl->name;

        for (size_t v = 0; v < c->n_volumes; v++) {
            const struct m_volume *vol = &c->volumes[v];
            json_t *o;
            if (strcmp(vol->pool_key, pl->key) != 0)
                continue;
            /* a volume the pool no longer lists is gone */
            if (pl->last_seen && vol->last_seen + 86400 < pl->last_seen)
                continue;
            nvol++;
            if (fd_volume_used(c->refs, vol->path, vol->name, names, nn))
                continue;
            norph++;
            orph_bytes += isfinite(vol->allocation) && vol->allocation > 0
                              ? vol->allocation
                              : nz(vol->capacity);
            if (doubt)
                continue;
            o = obj(c);
            set_s(c, o, "kind", "orphaned_volume");
            set_s(c, o, "name", vol->name);
            set_s(c, o, "id", *vol->path ? vol->path : vol->name);
            set_s(c, o, "owner", "");
            set_s(c, o, "pool", pl->key);
            set_s(c, o, "pool_name", pl->name);
            set_s(c, o, "path", vol->path);
            set(c, o, "capacity", fig_bytes(vol->capacity));
            set(c, o, "allocation", fig_bytes(vol->allocation));
            {
                double fs = isfinite(vol->allocation) && vol->allocation > 0
                                ? vol->allocation
                                : nz(vol->capacity);
                set(c, o, "free_storage", fig_bytes(fs));
                tot->storage[3] += fs;
                tot->orphans++;
                fig_text_bytes(fs, t1);
                set_s(c, o, "frees", t1);
            }
            set(c, o, "free_vcpus", fig_vcpus(NAN));
            set(c, o, "free_memory", fig_bytes(NAN));
            set(c, o, "need_vcpus", fig_vcpus(NAN));
            set(c, o, "need_memory", fig_bytes(NAN));
            {
                char hosts[TEXT_LEN] = "";
                const char *hp[16];
                size_t nh = 0;
                for (size_t k = 0; k < pl->n_hosts && nh < 16; k++)
                    hp[nh++] = pl->hosts[k];
                text_list(hosts, sizeof(hosts), hp, nh);
                snprintf(ev, sizeof(ev),
                         "no disk of any VM uses it, directly or as a backing "
                         "file; pool seen by %s, all polled the whole month",
                         hosts);
            }
            set_s(c, o, "evidence", ev);
            set_s(c, o, "needs", "");
            set_s(c, o, "action",
                  "Check who created it; delete it if nobody claims it");
            push(c, a, o);
        }
        if (doubt && norph > 0) {
            json_t *o = obj(c);
            set_s(c, o, "pool", pl->key);
            set_s(c, o, "pool_name", pl->name);
            set(c, o, "volumes", fig_count((double)norph, "count"));
            set(c, o, "size", fig_bytes(orph_bytes));
            set_s(c, o, "reason", why);
            push(c, w, o);
        }
    }
    set(c, fnd, "orphaned_volumes", a);
    set(c, fnd, "orphans_withheld", w);
}

/* Pools and SNMP storages over the storage target. */
static void storage_findings(struct m_ctx *c, json_t *fnd)
{
    json_t *pa = arr(c), *sa = arr(c);
    char ev[TEXT_LEN], t1[FIG_TEXT_LEN], t2[FIG_TEXT_LEN], t3[FIG_TEXT_LEN];
    double target = c->lim.target_storage;

    for (size_t i = 0; i < c->n_pools; i++) {
        const struct m_pool *pl = &c->pools[i];
        json_t *o;
        double need;
        if (pl->use.coverage < c->lim.t.min_coverage ||
            !fd_over(pl->use.p95, target))
            continue;
        o = obj(c);
        set_s(c, o, "kind", "pool_over_target");
        set_s(c, o, "name", *pl->name ? pl->name : pl->key);
        set_s(c, o, "id", pl->key);
        set_s(c, o, "owner", "");
        set(c, o, "p95", fig_pct(pl->use.p95));
        set(c, o, "last", fig_pct(pl->use.last));
        set(c, o, "target", fig_pct(target));
        set(c, o, "capacity", fig_bytes(pl->capacity));
        set(c, o, "allocation", fig_bytes(pl->allocation));
        need = nz(pl->allocation) - target * nz(pl->capacity);
        set(c, o, "need_storage", fig_bytes(need > 0 ? need : 0));
        fig_text_pct(pl->use.p95 * 100, t1);
        fig_text_pct(target * 100, t2);
        fig_text_bytes(pl->capacity, t3);
        snprintf(ev, sizeof(ev), "p95 allocation %s of %s (target %s)", t1, t3,
                 t2);
        set_s(c, o, "evidence", ev);
        fig_text_bytes(need > 0 ? need : 0, t1);
        set_f(c, o, "needs", "%s freed or added to get under the target", t1);
        set_s(c, o, "frees", "");
        set_s(c, o, "action",
              "Reclaim orphaned volumes and shut-off VMs' disks here, or "
              "extend the pool");
        push(c, pa, o);
    }
    for (size_t i = 0; i < c->n_storages; i++) {
        const struct m_storage *s = &c->storages[i];
        json_t *o;
        double need;
        if (s->use.coverage < c->lim.t.min_coverage ||
            !fd_over(s->use.p95, target))
            continue;
        o = obj(c);
        set_s(c, o, "kind", "storage_over_target");
        set_s(c, o, "name", s->descr);
        set_f(c, o, "id", "%s/%s", s->device, s->descr);
        set_s(c, o, "device", s->device);
        set_s(c, o, "owner", "");
        set(c, o, "p95", fig_pct(s->use.p95));
        set(c, o, "target", fig_pct(target));
        set(c, o, "size", fig_bytes(s->size));
        set(c, o, "used", fig_bytes(s->used));
        need = nz(s->used) - target * nz(s->size);
        set(c, o, "need_storage", fig_bytes(need > 0 ? need : 0));
        fig_text_pct(s->use.p95 * 100, t1);
        fig_text_pct(target * 100, t2);
        fig_text_bytes(s->size, t3);
        snprintf(ev, sizeof(ev), "p95 used %s of %s (target %s)", t1, t3, t2);
        set_s(c, o, "evidence", ev);
        fig_text_bytes(need > 0 ? need : 0, t1);
        set_f(c, o, "needs", "%s freed or added to get under the target", t1);
        set_s(c, o, "frees", "");
        set_s(c, o, "action", "Clean up or extend the volume");
        push(c, sa, o);
    }
    set(c, fnd, "pools_over_target", pa);
    set(c, fnd, "storages_over_target", sa);
}

static void link_findings(struct m_ctx *c, json_t *fnd)
{
    json_t *la = arr(c), *ea = arr(c);
    char ev[TEXT_LEN], t1[FIG_TEXT_LEN], t2[FIG_TEXT_LEN], t3[FIG_TEXT_LEN],
        t4[FIG_TEXT_LEN];
    double target = c->lim.target_network;

    for (size_t i = 0; i < c->n_ifaces; i++) {
        const struct m_iface *f = &c->ifaces[i];
        double errs =
            f->in_errors + f->out_errors + f->in_discards + f->out_discards;
        bool in_over = fd_over(f->in.p95, target),
             out_over = fd_over(f->out.p95, target);
        json_t *o;
        if (f->uplink && f->coverage >= c->lim.t.min_coverage &&
            (in_over || out_over)) {
            double worst = in_over && (!out_over || f->in.p95 >= f->out.p95)
                               ? f->in.p95
                               : f->out.p95;
            o = obj(c);
            set_s(c, o, "kind", "link_over_target");
            set_s(c, o, "name", f->name);
            set_f(c, o, "id", "%s/%s", f->device, f->name);
            set_s(c, o, "device", f->device);
            set_s(c, o, "owner", "");
            set_s(c, o, "direction",
                  in_over && out_over ? "in and out"
                  : in_over           ? "in"
                                      : "out");
            set(c, o, "in_p95", fig_pct(f->in.p95));
            set(c, o, "out_p95", fig_pct(f->out.p95));
            set(c, o, "in_p95_rate", fig_rate_bits(f->in_p95_bps));
            set(c, o, "out_p95_rate", fig_rate_bits(f->out_p95_bps));
            set(c, o, "speed", fig_rate_bits(f->speed));
            set(c, o, "target", fig_pct(target));
            set(c, o, "worst_p95", fig_pct(worst));
            fig_text_pct(f->in.p95 * 100, t1);
            fig_text_pct(f->out.p95 * 100, t2);
            fig_text_rate_bits(f->speed, t3);
            fig_text_pct(target * 100, t4);
            snprintf(ev, sizeof(ev), "p95 in %s, out %s of %s (target %s)", t1,
                     t2, t3, t4);
            set_s(c, o, "evidence", ev);
            fig_text_rate_bits((worst - target) * nz(f->speed), t1);
            set_f(c, o, "needs",
                  "about %s more capacity, or that much traffic "
                  "moved",
                  t1);
            set(c, o, "need_bits",
                fig_rate_bits((worst - target) * nz(f->speed)));
            set_s(c, o, "frees", "");
            set_s(c, o, "action",
                  "Add a link to the bundle or move traffic to another "
                  "uplink");
            push(c, la, o);
        }
        if (f->coverage > 0 && errs >= c->lim.t.interface_errors) {
            o = obj(c);
            set_s(c, o, "kind", "interface_errors");
            set_s(c, o, "name", f->name);
            set_f(c, o, "id", "%s/%s", f->device, f->name);
            set_s(c, o, "device", f->device);
            set_s(c, o, "owner", "");
            set(c, o, "uplink", json_boolean(f->uplink));
            set(c, o, "in_errors", fig_count(round(f->in_errors), "count"));
            set(c, o, "out_errors", fig_count(round(f->out_errors), "count"));
            set(c, o, "in_discards", fig_count(round(f->in_discards), "count"));
            set(c, o, "out_discards",
                fig_count(round(f->out_discards), "count"));
            set(c, o, "total", fig_count(round(errs), "count"));
            snprintf(ev, sizeof(ev),
                     "%.0f errors in, %.0f out; %.0f discards in, %.0f out "
                     "during the month",
                     f->in_errors, f->out_errors, f->in_discards,
                     f->out_discards);
            set_s(c, o, "evidence", ev);
            set_s(c, o, "frees", "");
            set_s(c, o, "needs", "");
            set_s(c, o, "action",
                  f->in_errors + f->out_errors > 0
                      ? "Check the cable, optics and duplex settings"
                      : "Discards without errors: look for congestion or "
                        "buffer limits");
            push(c, ea, o);
        }
    }
    set(c, fnd, "links_over_target", la);
    set(c, fnd, "interface_errors", ea);
}

/* ------------------------------------------------------------- summary */

static const struct sdc_cluster_cfg *cluster_cfg(const struct m_ctx *c,
                                                 const char *name)
{
    return sdc_config_find_cluster(c->cfg, name);
}

static json_t *clusters_arr(struct m_ctx *c, const struct prev *pv)
{
    json_t *a = arr(c);
    for (size_t i = 0; i < c->n_clusters; i++) {
        const struct m_cluster *cl = &c->clusters[i];
        const struct sdc_cluster_cfg *cc = cluster_cfg(c, cl->name);
        const json_t *was =
            prev_find(pv, "summary", "clusters", "name", cl->name);
        bool judged = cl->cpu.coverage >= c->lim.t.min_coverage;
        json_t *o = obj(c), *u;
        set_s(c, o, "name", cl->name);
        set(c, o, "hosts", json_integer((json_int_t)cl->n_hosts));
        set_f(c, o, "hosts_text", "%zu host%s", cl->n_hosts,
              cl->n_hosts == 1 ? "" : "s");
        set(c, o, "coverage", fig_pct(cl->cpu.coverage));
        u = use_obj(c, &cl->cpu, c->lim.target_cpu, judged);
        set(c, u, "change",
            change_of(pv, was, cl->cpu.p95 * 100, "cpu", "p95", "points", 1));
        set(c, o, "cpu", u);
        u = use_obj(c, &cl->mem, c->lim.target_memory,
                    cl->mem.coverage >= c->lim.t.min_coverage);
        set(c, u, "change",
            change_of(pv, was, cl->mem.p95 * 100, "memory", "p95", "points",
                      1));
        set(c, o, "memory", u);
        set(c, o, "cpu_capacity", fig_cpus(cl->cpu_capacity));
        set(c, o, "cpu_used_p95", fig_cpus(cl->cpu_used_p95));
        set(c, o, "vcpus", fig_vcpus(cl->cpu_vcpus));
        set(c, o, "vcpu_ratio", fig_ratio(cl->vcpu_ratio));
        set(c, o, "vcpu_ratio_limit",
            fig_ratio(cc ? cc->max_vcpu_per_cpu : 4.0));
        set(c, o, "vcpu_ratio_over",
            json_boolean(
                fd_over(cl->vcpu_ratio, cc ? cc->max_vcpu_per_cpu : 4.0)));
        set(c, o, "vcpu_ratio_change",
            change_of(pv, was, cl->vcpu_ratio, "vcpu_ratio", NULL, "ratio", 1));
        set(c, o, "mem_capacity", fig_bytes(cl->mem_capacity));
        set(c, o, "mem_used_p95", fig_bytes(cl->mem_used_p95));
        set(c, o, "mem_allocated", fig_bytes(cl->mem_allocated));
        set(c, o, "vram_ratio", fig_ratio(cl->vram_ratio));
        set(c, o, "vram_ratio_change",
            change_of(pv, was, cl->vram_ratio, "vram_ratio", NULL, "ratio", 1));
        set_s(c, o, "note",
              cl->cpu.n == 0 && *cl->note ? cl->note
              : !judged                   ? "too little data to judge"
                                          : "");
        push(c, a, o);
    }
    return a;
}

static json_t *hosts_arr(struct m_ctx *c)
{
    json_t *a = arr(c);
    for (size_t i = 0; i < c->n_hosts; i++) {
        const struct m_host *h = &c->hosts[i];
        json_t *o = obj(c);
        set_s(c, o, "name", h->name);
        set_s(c, o, "cluster", h->cluster);
        set(c, o, "vms", json_integer((json_int_t)h->n_vms));
        set(c, o, "cpus", fig_count(h->cpus, "CPUs"));
        set(c, o, "memory", fig_bytes(h->mem_total));
        set(c, o, "coverage", fig_pct(h->cpu.coverage));
        set(c, o, "cpu", use_obj(c, &h->cpu, c->lim.target_cpu, h->judged));
        set(c, o, "mem",
            use_obj(c, &h->mem, c->lim.target_memory,
                    h->judged && h->mem.coverage >= c->lim.t.min_coverage));
        set(c, o, "hot", json_boolean(h->hot_cpu || h->hot_mem));
        set(c, o, "polled", json_boolean(h->polled));
        set_s(c, o, "note", h->cpu.n == 0 ? h->note : "");
        push(c, a, o);
    }
    return a;
}

static json_t *pools_arr(struct m_ctx *c, const struct prev *pv,
                         double *cap_total)
{
    json_t *a = arr(c);
    *cap_total = 0;
    for (size_t i = 0; i < c->n_pools; i++) {
        const struct m_pool *pl = &c->pools[i];
        const json_t *was = prev_find(pv, "summary", "pools", "key", pl->key);
        json_t *o = obj(c), *u;
        char hosts[TEXT_LEN];
        const char *hp[32];
        size_t nh = 0;
        for (size_t k = 0; k < pl->n_hosts && nh < 32; k++)
            hp[nh++] = pl->hosts[k];
        text_list(hosts, sizeof(hosts), hp, nh);
        if (isfinite(pl->capacity))
            *cap_total += pl->capacity;
        set_s(c, o, "key", pl->key);
        set_s(c, o, "name", *pl->name ? pl->name : pl->key);
        set_s(c, o, "type", pl->type);
        set(c, o, "shared", json_boolean(pl->shared || pl->n_hosts > 1));
        set_s(c, o, "hosts", hosts);
        set(c, o, "capacity", fig_bytes(pl->capacity));
        set(c, o, "allocation", fig_bytes(pl->allocation));
        set(c, o, "provisioned", fig_bytes(pl->provisioned));
        set(c, o, "provisioned_ratio",
            fig_ratio(safe_div(pl->provisioned, pl->capacity)));
        set(c, o, "coverage", fig_pct(pl->use.coverage));
        u = use_obj(c, &pl->use, c->lim.target_storage,
                    pl->use.coverage >= c->lim.t.min_coverage);
        set(c, u, "last", fig_pct(pl->use.last));
        set(c, u, "change",
            change_of(pv, was, pl->use.p95 * 100, "use", "p95", "points", 1));
        set(c, o, "use", u);
        set_s(c, o, "note", pl->use.n == 0 ? pl->note : "");
        push(c, a, o);
    }
    return a;
}

static json_t *storages_arr(struct m_ctx *c, const struct prev *pv)
{
    json_t *a = arr(c);
    for (size_t i = 0; i < c->n_storages; i++) {
        const struct m_storage *s = &c->storages[i];
        char id[2 * SDC_NAME_MAX + 2];
        const json_t *was;
        json_t *o = obj(c), *u;
        snprintf(id, sizeof(id), "%s/%s", s->device, s->descr);
        was = prev_find(pv, "summary", "storages", "id", id);
        set_s(c, o, "id", id);
        set_s(c, o, "device", s->device);
        set_s(c, o, "name", s->descr);
        set(c, o, "size", fig_bytes(s->size));
        set(c, o, "used", fig_bytes(s->used));
        set(c, o, "coverage", fig_pct(s->use.coverage));
        u = use_obj(c, &s->use, c->lim.target_storage,
                    s->use.coverage >= c->lim.t.min_coverage);
        set(c, u, "change",
            change_of(pv, was, s->use.p95 * 100, "use", "p95", "points", 1));
        set(c, o, "use", u);
        set_s(c, o, "note", s->use.n == 0 ? s->note : "");
        push(c, a, o);
    }
    return a;
}

static json_t *uplinks_arr(struct m_ctx *c, const struct prev *pv)
{
    json_t *a = arr(c);
    for (size_t i = 0; i < c->n_ifaces; i++) {
        const struct m_iface *f = &c->ifaces[i];
        char id[2 * SDC_NAME_MAX + 2];
        const json_t *was;
        bool judged = f->coverage >= c->lim.t.min_coverage;
        json_t *o, *u;
        if (!f->uplink)
            continue;
        o = obj(c);
        snprintf(id, sizeof(id), "%s/%s", f->device, f->name);
        was = prev_find(pv, "summary", "uplinks", "id", id);
        set_s(c, o, "id", id);
        set_s(c, o, "device", f->device);
        set_s(c, o, "name", f->name);
        set_s(c, o, "alias", f->alias);
        set(c, o, "speed", fig_rate_bits(f->speed));
        set(c, o, "coverage", fig_pct(f->coverage));
        u = use_obj(c, &f->in, c->lim.target_network, judged);
        set(c, u, "p95_rate", fig_rate_bits(f->in_p95_bps));
        set(c, u, "change",
            change_of(pv, was, f->in.p95 * 100, "in", "p95", "points", 1));
        set(c, o, "in", u);
        u = use_obj(c, &f->out, c->lim.target_network, judged);
        set(c, u, "p95_rate", fig_rate_bits(f->out_p95_bps));
        set(c, u, "change",
            change_of(pv, was, f->out.p95 * 100, "out", "p95", "points", 1));
        set(c, o, "out", u);
        set(c, o, "over",
            json_boolean(judged &&
                         (fd_over(f->in.p95, c->lim.target_network) ||
                          fd_over(f->out.p95, c->lim.target_network))));
        set_s(c, o, "note", f->coverage == 0 ? f->note : "");
        push(c, a, o);
    }
    return a;
}

static const char *vm_month_text(const struct m_vm *vm)
{
    return vm->month_note[0] ? vm->month_note : "unknown";
}

static json_t *vms_arr(struct m_ctx *c)
{
    json_t *a = arr(c);
    for (size_t i = 0; i < c->n_vms; i++) {
        const struct m_vm *vm = &c->vms[i];
        json_t *o = obj(c);
        set_s(c, o, "id", vm->uuid);
        set_s(c, o, "name", vm->name);
        set_s(c, o, "owner", owner_or(vm->owner));
        set_s(c, o, "host", vm->host);
        set_s(c, o, "cluster", vm->cluster);
        set_s(c, o, "state", vm->state);
        set_s(c, o, "month", vm_month_text(vm));
        set(c, o, "vcpus", fig_vcpus(vm->vcpus > 0 ? vm->vcpus : NAN));
        set(c, o, "memory", fig_bytes(vm->memory));
        set(c, o, "disk_capacity", fig_bytes(vm->disk_capacity));
        set(c, o, "disk_allocation", fig_bytes(vm->disk_allocation));
        set(c, o, "coverage", fig_pct(vm->cpu.coverage));
        set(c, o, "resolution_s", json_integer((json_int_t)vm->step));
        set(c, o, "cpu", stat_obj(c, &vm->cpu, ST_PCT));
        set(c, o, "cpu_p95_cpus", fig_cpus(vm->cpu_cpus.p95));
        set(c, o, "mem", stat_obj(c, &vm->mem, ST_PCT));
        set(c, o, "mem_p95_used", fig_bytes(vm->mem_bytes.p95));
        set_s(c, o, "mem_method", mem_method_text(vm->mem_method));
        set(c, o, "net", stat_obj(c, &vm->net, ST_RATE_BYTES));
        set_s(c, o, "class", fd_vm_class_name(vm->verdict.cls));
        set(c, o, "undersized",
            json_boolean(vm->verdict.undersized_cpu ||
                         vm->verdict.undersized_mem));
        set_s(c, o, "note", vm->note);
        push(c, a, o);
    }
    return a;
}

/* Entities with too little data: listed, not judged. */
static json_t *not_judged_arr(struct m_ctx *c)
{
    json_t *a = arr(c);
    char r[TEXT_LEN], t[FIG_TEXT_LEN];
    double min = c->lim.t.min_coverage;
#define NJ(kind_, name_, id_, cov_, reason_)                                   \
    do {                                                                       \
        json_t *o_ = obj(c);                                                   \
        set_s(c, o_, "kind", kind_);                                           \
        set_s(c, o_, "name", name_);                                           \
        set_s(c, o_, "id", id_);                                               \
        set(c, o_, "coverage", fig_pct(cov_));                                 \
        set_s(c, o_, "reason", reason_);                                       \
        push(c, a, o_);                                                        \
    } while (0)

    for (size_t i = 0; i < c->n_clusters; i++) {
        const struct m_cluster *cl = &c->clusters[i];
        if (cl->cpu.coverage >= min)
            continue;
        fig_text_pct(cl->cpu.coverage * 100, t);
        snprintf(r, sizeof(r), "data for %s of the month%s%s", t,
                 cl->cpu.n == 0 && *cl->note ? ": " : "",
                 cl->cpu.n == 0 ? cl->note : "");
        NJ("cluster", cl->name, cl->name, cl->cpu.coverage, r);
    }
    for (size_t i = 0; i < c->n_hosts; i++) {
        const struct m_host *h = &c->hosts[i];
        char last[32];
        if (h->cpu.coverage >= min)
            continue;
        fig_text_pct(h->cpu.coverage * 100, t);
        m_format_time(h->last_data, last, sizeof(last));
        if (h->cpu.n > 0)
            snprintf(r, sizeof(r), "data for %s of the month; last %s", t,
                     last);
        else
            snprintf(r, sizeof(r), "data for %s of the month%s%s", t,
                     *h->note ? ": " : "", h->note);
        NJ("host", h->name, h->name, h->cpu.coverage, r);
    }
    for (size_t i = 0; i < c->n_vms; i++) {
        const struct m_vm *vm = &c->vms[i];
        if (vm->verdict.cls != FD_VM_NOT_JUDGED)
            continue;
        fig_text_pct(vm->cpu.coverage * 100, t);
        if (vm->verdict.reason == FD_REASON_STATE)
            snprintf(r, sizeof(r), "no CPU data and %s", vm_month_text(vm));
        else
            snprintf(r, sizeof(r), "data for %s of the month; %s", t,
                     vm_month_text(vm));
        NJ("vm", vm->name, vm->uuid, vm->cpu.coverage, r);
    }
    for (size_t i = 0; i < c->n_pools; i++) {
        const struct m_pool *pl = &c->pools[i];
        if (pl->use.coverage >= min)
            continue;
        fig_text_pct(pl->use.coverage * 100, t);
        snprintf(r, sizeof(r), "data for %s of the month%s%s", t,
                 pl->use.n == 0 && *pl->note ? ": " : "",
                 pl->use.n == 0 ? pl->note : "");
        NJ("pool", *pl->name ? pl->name : pl->key, pl->key, pl->use.coverage,
           r);
    }
    for (size_t i = 0; i < c->n_storages; i++) {
        const struct m_storage *s = &c->storages[i];
        char id[2 * SDC_NAME_MAX + 2];
        if (s->use.coverage >= min)
            continue;
        snprintf(id, sizeof(id), "%s/%s", s->device, s->descr);
        fig_text_pct(s->use.coverage * 100, t);
        snprintf(r, sizeof(r), "data for %s of the month", t);
        NJ("storage", s->descr, id, s->use.coverage, r);
    }
    for (size_t i = 0; i < c->n_ifaces; i++) {
        const struct m_iface *f = &c->ifaces[i];
        char id[2 * SDC_NAME_MAX + 2];
        if (!f->uplink || f->coverage >= min)
            continue;
        snprintf(id, sizeof(id), "%s/%s", f->device, f->name);
        fig_text_pct(f->coverage * 100, t);
        snprintf(r, sizeof(r), "data for %s of the month", t);
        NJ("uplink", f->name, id, f->coverage, r);
    }
#undef NJ
    return a;
}

/* Usage and findings per owner (vms.owner). */
static json_t *owners_arr(struct m_ctx *c)
{
    json_t *a = arr(c);
    bool *done = calloc(c->n_vms ? c->n_vms : 1, sizeof(*done));
    if (!done) {
        c->oom = true;
        return a;
    }
    /* owners in name order, "(no owner)" last: VMs are sorted by name, so
     * collect owners first */
    for (;;) {
        const char *next = NULL;
        json_t *o;
        double vms = 0, vcpus = 0, mem = 0, disk = 0, cpu_mean = 0, fv = 0,
               fm = 0, fs = 0, nv = 0, nm = 0;
        size_t nf = 0;
        for (size_t i = 0; i < c->n_vms; i++) {
            const char *ow = c->vms[i].owner;
            if (done[i])
                continue;
            if (!next || (*ow && !*next) ||
                (*ow && *next && strcmp(ow, next) < 0))
                next = ow;
        }
        if (!next)
            break;
        for (size_t i = 0; i < c->n_vms; i++) {
            const struct m_vm *vm = &c->vms[i];
            const struct fd_vm_out *v = &vm->verdict;
            if (done[i] || strcmp(vm->owner, next) != 0)
                continue;
            done[i] = true;
            vms++;
            vcpus += vm->vcpus > 0 ? vm->vcpus : 0;
            mem += nz(vm->memory);
            disk += nz(vm->disk_capacity);
            cpu_mean += nz(vm->cpu_cpus.mean);
            fv += v->free_vcpus;
            fm += v->free_memory;
            fs += v->free_storage;
            nv += v->need_vcpus;
            nm += v->need_memory;
            nf += (v->cls == FD_VM_SHUTOFF || v->cls == FD_VM_IDLE ||
                   v->cls == FD_VM_OVERSIZED) +
                  (v->undersized_cpu || v->undersized_mem);
        }
        o = obj(c);
        set_s(c, o, "owner", owner_or(next));
        set(c, o, "vms", fig_count(vms, "count"));
        set(c, o, "vcpus", fig_vcpus(vcpus));
        set(c, o, "memory", fig_bytes(mem));
        set(c, o, "disk", fig_bytes(disk));
        set(c, o, "cpu_mean_cpus", fig_cpus(cpu_mean));
        set(c, o, "findings", fig_count((double)nf, "count"));
        set(c, o, "free_vcpus", fig_vcpus(fv));
        set(c, o, "free_memory", fig_bytes(fm));
        set(c, o, "free_storage", fig_bytes(fs));
        set(c, o, "need_vcpus", fig_vcpus(nv));
        set(c, o, "need_memory", fig_bytes(nm));
        {
            char nd[TEXT_LEN];
            amounts_text(nv, nm, 0, nd, sizeof(nd));
            set_s(c, o, "needs", *nd ? nd : "-");
        }
        push(c, a, o);
    }
    free(done);
    return a;
}

/* ------------------------------------------------------------- charts */

static json_t *chart_json(struct m_ctx *c, struct chart *ch)
{
    struct sdc_error e = {0};
    bool no_mem = false;
    json_t *j = fig_chart(ch, &no_mem, &e);
    if (no_mem)
        c->oom = true;
    else if (!j)
        m_note(c, "A chart could not be drawn: %s", e.msg);
    return j ? j : json_null();
}

static json_t *charts(struct m_ctx *c)
{
    json_t *view = obj(c), *cc = arr(c);
    char title[256], lab[64];
    size_t order[TOP_POOLS], n_top = 0;

    for (size_t i = 0; i < c->n_clusters; i++) {
        const struct m_cluster *cl = &c->clusters[i];
        struct chart_opts opt = {.unit = CHART_UNIT_PERCENT,
                                 .flags = CHART_Y_MIN | CHART_Y_MAX,
                                 .y_min = 0,
                                 .y_max = 100,
                                 .height = 260,
                                 .t_start = c->p.start,
                                 .t_end = c->p.until};
        struct chart *ch;
        json_t *o;
        if (cl->cpu.n == 0 && cl->mem.n == 0)
            continue;
        snprintf(title, sizeof(title),
                 "%s: CPU and memory used, %% of capacity", cl->name);
        opt.title = title;
        ch = chart_new(&opt);
        if (ch) {
            chart_add_line(ch, "CPU", cl->cpu_s.start, cl->cpu_s.step,
                           cl->cpu_s.v, cl->cpu_s.n, 0);
            chart_add_line(ch, "memory", cl->mem_s.start, cl->mem_s.step,
                           cl->mem_s.v, cl->mem_s.n, 0);
            snprintf(lab, sizeof(lab), "CPU target %.0f%%",
                     c->lim.target_cpu * 100);
            chart_add_hline(ch, lab, c->lim.target_cpu * 100,
                            CHART_HLINE_TARGET);
            snprintf(lab, sizeof(lab), "memory target %.0f%%",
                     c->lim.target_memory * 100);
            chart_add_hline(ch, lab, c->lim.target_memory * 100,
                            CHART_HLINE_NOTE);
        }
        o = obj(c);
        set_s(c, o, "name", cl->name);
        set(c, o, "svg", chart_json(c, ch));
        push(c, cc, o);
    }
    set(c, view, "cluster_charts", cc);

    /* top pools by p95 */
    for (size_t i = 0; i < c->n_pools; i++) {
        const struct m_pool *pl = &c->pools[i];
        size_t k;
        if (pl->use.n == 0 || !pl->s.v)
            continue;
        for (k = n_top; k > 0 && c->pools[order[k - 1]].use.p95 < pl->use.p95;
             k--)
            if (k < TOP_POOLS)
                order[k] = order[k - 1];
        if (k < TOP_POOLS) {
            order[k] = i;
            if (n_top < TOP_POOLS)
                n_top++;
        }
    }
    if (n_top > 0) {
        struct chart_opts opt = {.unit = CHART_UNIT_PERCENT,
                                 .flags = CHART_Y_MIN | CHART_Y_MAX,
                                 .y_min = 0,
                                 .y_max = 100,
                                 .height = 280,
                                 .t_start = c->p.start,
                                 .t_end = c->p.until};
        struct chart *ch;
        snprintf(title, sizeof(title),
                 "Fullest pools: allocation, %% of capacity");
        opt.title = title;
        ch = chart_new(&opt);
        for (size_t k = 0; ch && k < n_top; k++) {
            const struct m_pool *pl = &c->pools[order[k]];
            chart_add_line(ch, *pl->name ? pl->name : pl->key, pl->s.start,
                           pl->s.step, pl->s.v, pl->s.n, 0);
        }
        if (ch) {
            snprintf(lab, sizeof(lab), "target %.0f%%",
                     c->lim.target_storage * 100);
            chart_add_hline(ch, lab, c->lim.target_storage * 100,
                            CHART_HLINE_TARGET);
        }
        set(c, view, "pool_chart", chart_json(c, ch));
    } else {
        set(c, view, "pool_chart", json_null());
    }
    return view;
}

/* --------------------------------------------------------------- totals */

static json_t *totals_obj(struct m_ctx *c, const struct totals *t,
                          const struct prev *pv)
{
    json_t *o = obj(c), *bd = arr(c), *ch = obj(c);
    const json_t *pt = pv->doc ? json_object_get(pv->doc, "totals") : NULL;
    double v = t->vcpus[0] + t->vcpus[1] + t->vcpus[2];
    double m = t->memory[0] + t->memory[1] + t->memory[2];
    double s = t->storage[0] + t->storage[3];
    static const char *const what[4] = {"VMs shut off all month", "Idle VMs",
                                        "Oversized VMs (resize)",
                                        "Orphaned volumes"};
    static const char *const keys[4] = {"shutoff", "idle", "oversized",
                                        "orphaned_volumes"};

    set(c, o, "reclaimable_vcpus", fig_vcpus(v));
    set(c, o, "reclaimable_memory", fig_bytes(m));
    set(c, o, "reclaimable_storage", fig_bytes(s));
    set(c, o, "needed_vcpus", fig_vcpus(t->need_vcpus));
    set(c, o, "needed_memory", fig_bytes(t->need_memory));
    set(c, o, "undersized_vms", fig_count((double)t->undersized, "count"));
    {
        char nd[TEXT_LEN];
        amounts_text(t->need_vcpus, t->need_memory, 0, nd, sizeof(nd));
        set_s(c, o, "needed_text", *nd ? nd : "nothing");
        set_f(c, o, "undersized_text", "%zu undersized VM%s", t->undersized,
              t->undersized == 1 ? "" : "s");
    }
    for (int k = 0; k < 4; k++) {
        json_t *r = obj(c);
        set_s(c, r, "key", keys[k]);
        set_s(c, r, "what", what[k]);
        set(c, r, "count",
            fig_count((double)(k < 3 ? t->vms[k] : t->orphans), "count"));
        set(c, r, "vcpus", fig_vcpus(k < 3 ? t->vcpus[k] : 0));
        set(c, r, "memory", fig_bytes(k < 3 ? t->memory[k] : 0));
        /* idle and oversized VMs keep their disks (retire first) */
        set(c, r, "storage",
            fig_bytes(k == 0   ? t->storage[0]
                      : k == 3 ? t->storage[3]
                               : 0));
        push(c, bd, r);
    }
    set(c, o, "breakdown", bd);
    if (!pt) {
        const char *why = pv->doc ? "no data" : "no record";
        set(c, ch, "reclaimable_vcpus", fig_change(NAN, "vCPUs", why));
        set(c, ch, "reclaimable_memory", fig_change(NAN, "bytes", why));
        set(c, ch, "reclaimable_storage", fig_change(NAN, "bytes", why));
    } else {
        set(c, ch, "reclaimable_vcpus",
            change_of(pv, pt, v, "reclaimable_vcpus", NULL, "vCPUs", 1));
        set(c, ch, "reclaimable_memory",
            change_of(pv, pt, m, "reclaimable_memory", NULL, "bytes", 1));
        set(c, ch, "reclaimable_storage",
            change_of(pv, pt, s, "reclaimable_storage", NULL, "bytes", 1));
    }
    set(c, o, "change", ch);
    return o;
}

/* The first section's list: risks first (one line each, capped), then what
 * to reclaim, one line per kind. */
static json_t *actions_arr(struct m_ctx *c, const json_t *fnd,
                           const struct totals *t)
{
    static const char *const risks[] = {"hot_hosts",
                                        "imbalance",
                                        "links_over_target",
                                        "pools_over_target",
                                        "storages_over_target",
                                        "undersized"};
    static const char *const lead[] = {
        "Hot host",         "Imbalance in cluster", "Link over target",
        "Pool over target", "Storage over target",  "Undersized VM"};
    static const char *const plural[] = {
        "Hot hosts",         "Imbalanced clusters",  "Links over target",
        "Pools over target", "Storages over target", "Undersized VMs"};
    json_t *a = arr(c);
    char line[TEXT_LEN * 2], fr[TEXT_LEN];

    /* a kind with few findings: one line each; with more, one line that
     * names the first and counts the rest (section 3 lists them all) */
    for (size_t k = 0; k < sizeof(risks) / sizeof(risks[0]); k++) {
        const json_t *l = json_object_get(fnd, risks[k]), *e;
        size_t i, n = json_array_size(l);
        if (n > 0 && n <= MAX_RISKS_EACH) {
            json_array_foreach(l, i, e)
            {
                json_t *o = obj(c);
                snprintf(line, sizeof(line), "%s. %s.",
                         json_string_value(json_object_get(e, "evidence")),
                         json_string_value(json_object_get(e, "action")));
                set_s(c, o, "kind", "risk");
                set_s(c, o, "lead", lead[k]);
                set_s(c, o, "name",
                      json_string_value(json_object_get(e, "name")));
                set_s(c, o, "text", line);
                push(c, a, o);
            }
        } else if (n > MAX_RISKS_EACH) {
            json_t *o = obj(c);
            size_t used = 0;
            used += (size_t)snprintf(line, sizeof(line), "%zu, among them ", n);
            for (i = 0; i < MAX_RISKS_EACH && used < sizeof(line); i++) {
                e = json_array_get(l, i);
                used += (size_t)snprintf(
                    line + used, sizeof(line) - used, "%s%s (%s)",
                    i ? "; " : "",
                    json_string_value(json_object_get(e, "name")),
                    json_string_value(json_object_get(e, "evidence")));
            }
            if (used < sizeof(line))
                snprintf(line + used, sizeof(line) - used,
                         ". All %zu are listed under Findings.", n);
            set_s(c, o, "kind", "risk");
            set_s(c, o, "lead", plural[k]);
            set_s(c, o, "name", "");
            set_s(c, o, "text", line);
            push(c, a, o);
        }
    }
    for (int k = 0; k < 4; k++) {
        static const char *const lead2[4] = {"Shut off all month", "Idle",
                                             "Oversized", "Orphaned volumes"};
        static const char *const one[4] = {
            "Delete it after checking with its owner",
            "Ask its owner whether it is still needed",
            "Resize it at its next maintenance",
            "Delete it if nobody claims it"};
        static const char *const many[4] = {
            "Delete them after checking with their owners",
            "Ask their owners whether they are still needed",
            "Resize them at their next maintenance",
            "Delete them if nobody claims them"};
        size_t n = k < 3 ? t->vms[k] : t->orphans;
        json_t *o;
        if (n == 0)
            continue;
        amounts_text(k < 3 ? t->vcpus[k] : 0, k < 3 ? t->memory[k] : 0,
                     k == 0   ? t->storage[0]
                     : k == 3 ? t->storage[3]
                              : 0,
                     fr, sizeof(fr));
        snprintf(line, sizeof(line), "%zu %s%s free%s %s. %s.", n,
                 k == 3 ? "volume" : "VM", n == 1 ? "" : "s", n == 1 ? "s" : "",
                 fr, n == 1 ? one[k] : many[k]);
        o = obj(c);
        set_s(c, o, "kind", "reclaim");
        set_s(c, o, "lead", lead2[k]);
        set_s(c, o, "name", "");
        set_s(c, o, "text", line);
        push(c, a, o);
    }
    return a;
}

/* Counts per kind of finding, with the rule, for the summary table. */
static json_t *kinds_arr(struct m_ctx *c, const json_t *fnd)
{
    const struct sdc_thresholds_cfg *t = &c->lim.t;
    json_t *a = arr(c);
    char rule[TEXT_LEN];
    struct {
        const char *key;
        const char *title;
    } k[] = {
        {"shutoff", "VMs shut off all month"},
        {"idle", "Idle VMs"},
        {"oversized", "Oversized VMs"},
        {"undersized", "Undersized VMs"},
        {"orphaned_volumes", "Orphaned volumes"},
        {"hot_hosts", "Hot hosts"},
        {"imbalance", "Imbalanced clusters"},
        {"pools_over_target", "Pools over target"},
        {"storages_over_target", "Storages over target"},
        {"links_over_target", "Links over target"},
        {"interface_errors", "Interfaces with errors or discards"},
    };
    for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
        json_t *o = obj(c);
        switch (i) {
        case 0:
            snprintf(rule, sizeof(rule),
                     "Shut off the whole month (inventory state) with no CPU "
                     "time; frees its vCPUs, memory and disk");
            break;
        case 1: {
            char nb[FIG_TEXT_LEN];
            fig_text_rate_bytes(t->idle_net_bytes, nb);
            snprintf(rule, sizeof(rule),
                     "Running the whole month, p95 CPU below %g%% of its "
                     "vCPUs and p95 network below %s; frees its vCPUs "
                     "and memory",
                     t->idle_cpu * 100, nb);
        } break;
        case 2:
            snprintf(rule, sizeof(rule),
                     "p95 CPU below %g%%: vCPUs = max(1, ceil(p95 CPUs / "
                     "%g)); p95 memory used below %g%%: memory = whole GiB "
                     "keeping p95 under %g%%",
                     t->oversized_cpu * 100, t->resize_cpu,
                     t->oversized_memory * 100, t->resize_memory * 100);
            break;
        case 3:
            snprintf(rule, sizeof(rule),
                     "p95 CPU above %g%% of its vCPUs, or p95 memory used "
                     "above %g%%",
                     t->undersized_cpu * 100, t->undersized_memory * 100);
            break;
        case 4:
            snprintf(rule, sizeof(rule),
                     "A volume no disk uses, directly or as a backing file; "
                     "withheld when a hypervisor that sees the pool was not "
                     "polled the whole month");
            break;
        case 5:
            snprintf(rule, sizeof(rule),
                     "p95 CPU above %g%% or p95 memory above %g%%",
                     c->lim.target_cpu * 100, c->lim.target_memory * 100);
            break;
        case 6:
            snprintf(rule, sizeof(rule),
                     "Host p95s of one cluster more than %g points apart",
                     t->imbalance_points);
            break;
        case 7:
        case 8:
            snprintf(rule, sizeof(rule), "p95 used above %g%%",
                     c->lim.target_storage * 100);
            break;
        case 9:
            snprintf(rule, sizeof(rule),
                     "Uplinks whose p95 in or out is above %g%% of their "
                     "speed",
                     c->lim.target_network * 100);
            break;
        default:
            snprintf(rule, sizeof(rule),
                     "At least %g error%s or discard%s in the month",
                     t->interface_errors, t->interface_errors == 1 ? "" : "s",
                     t->interface_errors == 1 ? "" : "s");
            break;
        }
        set_s(c, o, "key", k[i].key);
        set_s(c, o, "title", k[i].title);
        set(c, o, "count",
            json_integer(
                (json_int_t)json_array_size(json_object_get(fnd, k[i].key))));
        set_s(c, o, "rule", rule);
        push(c, a, o);
    }
    return a;
}

/*
 * Order a list of findings biggest first by figure @key (then by name), so
 * that tables and the first section start with what matters most.  Stable
 * insertion sort: lists are short, and the key is a parameter.
 */
static void sort_desc(struct m_ctx *c, json_t *list, const char *key)
{
    size_t n = json_array_size(list);
    json_t **v;
    if (n < 2)
        return;
    v = malloc(n * sizeof(*v));
    if (!v) {
        c->oom = true;
        return;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(list, i));
    for (size_t i = 1; i < n; i++) {
        json_t *x = v[i];
        double fx = fig_value(json_object_get(x, key));
        size_t j = i;
        if (!isfinite(fx))
            fx = -INFINITY;
        while (j > 0) {
            double fy = fig_value(json_object_get(v[j - 1], key));
            if (!isfinite(fy))
                fy = -INFINITY;
            if (fy >= fx)
                break;
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
    json_array_clear(list);
    for (size_t i = 0; i < n; i++)
        if (json_array_append_new(list, v[i]))
            c->oom = true;
    free(v);
}

static void sort_findings(struct m_ctx *c, json_t *fnd)
{
    static const struct {
        const char *list;
        const char *key;
    } order[] = {
        {"shutoff", "free_memory"},
        {"idle", "free_memory"},
        {"oversized", "free_memory"},
        {"undersized", "cpu_p95"},
        {"orphaned_volumes", "free_storage"},
        {"hot_hosts", "cpu_p95"},
        {"imbalance", "spread"},
        {"pools_over_target", "p95"},
        {"storages_over_target", "p95"},
        {"links_over_target", "worst_p95"},
        {"interface_errors", "total"},
    };
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        sort_desc(c, json_object_get(fnd, order[i].list), order[i].key);
}

enum sdc_rc m_build_doc(struct m_ctx *c, struct monthly_report *out,
                        struct sdc_error *err)
{
    json_t *doc = obj(c), *fnd = obj(c), *sum = obj(c), *counts = obj(c),
           *prevo = obj(c);
    struct totals tot;
    struct prev pv;
    char gen[64];
    double pool_cap = 0;
    size_t nfind = 0, nuplinks = 0;
    const char *key;
    json_t *val;

    memset(&tot, 0, sizeof(tot));
    memset(&pv, 0, sizeof(pv));
    prev_load(c, &pv);
    judge_hosts(c);
    judge_vms(c, &tot);

    set_s(c, doc, "report", "monthly");
    set(c, doc, "format_version", json_integer(MONTHLY_FORMAT_VERSION));
    set_s(c, doc, "title", "Monthly optimisation report");
    set_s(c, doc, "month", c->p.name);
    set(c, doc, "period", period_obj(c));
    m_format_time(c->now, gen, sizeof(gen));
    set_s(c, doc, "generated", gen);
    set_f(c, doc, "generator", "sdcmon-report %s", SDC_VERSION);
    set_s(c, doc, "data_dir", c->cfg->data_dir);
    set(c, doc, "resolution", resolution_obj(c));
    set(c, doc, "no_data", json_boolean(!c->any_data));
    set(c, doc, "thresholds", thresholds_arr(c));
    set(c, doc, "min_coverage", fig_pct(c->lim.t.min_coverage));

    vm_findings(c, fnd);
    hot_host_findings(c, fnd);
    imbalance_findings(c, fnd);
    orphan_findings(c, fnd, &tot);
    storage_findings(c, fnd);
    link_findings(c, fnd);
    sort_findings(c, fnd);
    json_object_foreach(fnd, key, val)
    {
        if (strcmp(key, "orphans_withheld") != 0)
            nfind += json_array_size(val);
    }

    set(c, doc, "totals", totals_obj(c, &tot, &pv));
    set(c, doc, "actions", actions_arr(c, fnd, &tot));
    set(c, doc, "finding_kinds", kinds_arr(c, fnd));
    {
        json_t *rules = obj(c), *e;
        size_t i;
        json_array_foreach(json_object_get(doc, "finding_kinds"), i, e)
            set(c, rules, json_string_value(json_object_get(e, "key")),
                json_incref(json_object_get(e, "rule")));
        set(c, doc, "rules", rules);
    }

    set(c, sum, "clusters", clusters_arr(c, &pv));
    set(c, sum, "pools", pools_arr(c, &pv, &pool_cap));
    set(c, sum, "storages", storages_arr(c, &pv));
    set(c, sum, "uplinks", uplinks_arr(c, &pv));
    set(c, sum, "disk_provisioned", fig_bytes(c->disk_total));
    set(c, sum, "pool_capacity", fig_bytes(pool_cap));
    set(c, sum, "storage_ratio", fig_ratio(safe_div(c->disk_total, pool_cap)));
    nuplinks = json_array_size(json_object_get(sum, "uplinks"));
    set(c, doc, "summary", sum);
    set(c, doc, "hosts", hosts_arr(c));
    set(c, doc, "findings", fnd);
    set(c, doc, "owners", owners_arr(c));
    set(c, doc, "not_judged", not_judged_arr(c));
    set(c, doc, "vms", vms_arr(c));

    set(c, counts, "vms", json_integer((json_int_t)c->n_vms));
    set(c, counts, "hosts", json_integer((json_int_t)c->n_hosts));
    set(c, counts, "clusters", json_integer((json_int_t)c->n_clusters));
    set(c, counts, "pools", json_integer((json_int_t)c->n_pools));
    set(c, counts, "storages", json_integer((json_int_t)c->n_storages));
    set(c, counts, "uplinks", json_integer((json_int_t)nuplinks));
    set(c, counts, "interfaces", json_integer((json_int_t)c->n_ifaces));
    set(c, counts, "findings", json_integer((json_int_t)nfind));
    set(c, counts, "not_judged",
        json_integer(
            (json_int_t)json_array_size(json_object_get(doc, "not_judged"))));
    set(c, doc, "counts", counts);

    set_s(c, prevo, "month", pv.month);
    set(c, prevo, "found", json_boolean(pv.doc != NULL));
    set_s(c, prevo, "path", pv.path);
    set(c, doc, "previous", prevo);
    set_s(c, doc, "snapshots",
          "Old snapshots are not listed: the inventory does not record "
          "snapshots.");
    if (c->p.partial) {
        char u[32];
        m_format_time(c->p.until, u, sizeof(u));
        m_note(c,
               "%s is in progress: figures cover %s to %s, and \"the whole "
               "month\" means that part of it.",
               c->p.name,
               json_string_value(json_object_get(json_object_get(doc, "period"),
                                                 "start_text")),
               u);
    }
    if (!c->any_data)
        m_note(c,
               "No archive holds any data for %s: nothing could be measured. "
               "Check the month, the data directory (%s) and that sdcmond was "
               "running.",
               c->p.name, c->cfg->data_dir);
    set(c, doc, "notes", json_incref(c->notes));
    out->view = charts(c);
    json_decref(pv.doc);
    out->doc = doc;
    out->no_data = !c->any_data;
    if (c->oom) {
        monthly_report_free(out);
        return sdc_error_set(err, SDC_ERR_NOMEM,
                             "out of memory building the report");
    }
    return SDC_OK;
}
