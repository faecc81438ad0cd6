/*
 * purchase.c - runway, hosts and storage units to buy, order dates
 * (purchase.h).
 */
#include <math.h>
#include <string.h>

#include "purchase.h"

/* a >= b, with a relative slack so that a value exactly on it counts. */
static bool at_or_over(double a, double b)
{
    return a >= b - PU_EPS * fabs(b);
}

/* a <= b, with the same slack. */
static bool at_or_under(double a, double b)
{
    return a <= b + PU_EPS * fabs(b);
}

void pu_runway(const double *line, size_t n, int64_t today, double threshold,
               struct pu_runway *out)
{
    memset(out, 0, sizeof(*out));
    if (!isfinite(threshold) || threshold <= 0) {
        out->status = PU_RUNWAY_NO_LIMIT;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(line[i]) || !at_or_over(line[i], threshold))
            continue;
        out->status = i == 0 ? PU_RUNWAY_ALREADY_OVER : PU_RUNWAY_CROSSES;
        out->day = today + (int64_t)i;
        out->days = (int64_t)i;
        return;
    }
    out->status = PU_RUNWAY_NOT_WITHIN;
}

bool pu_planned_active(int64_t day, int64_t from, int64_t until)
{
    return day >= from && (until < 0 || day < until);
}

void pu_order_by(int64_t in_service, int lead_days, int64_t today,
                 int64_t *order_day, int64_t *late_days)
{
    int64_t o = in_service - (lead_days > 0 ? lead_days : 0);
    *order_day = o;
    *late_days = o < today ? today - o : 0;
}

double pu_usable(double total, int hosts, int reserve, double unit, int k)
{
    double per = hosts > 0 ? total / hosts : 0;
    double big = k > 0 && unit > per ? unit : per;
    return total + k * unit - (reserve > 0 ? reserve : 0) * big;
}

const char *pu_bind_name(enum pu_bind b)
{
    switch (b) {
    case PU_BIND_CPU:
        return "CPU";
    case PU_BIND_MEMORY:
        return "memory";
    case PU_BIND_VCPU:
        return "vCPU ceiling";
    case PU_BIND_STORAGE:
        return "storage";
    case PU_BIND_NONE:
        break;
    }
    return "nothing";
}

/*
 * The fewest k in 0..PU_MAX_UNITS with demand <= limit * usable(k); -1
 * when none.  usable(k) grows with k once k >= 1 (each host adds @unit,
 * the reserve grows at most once, at k = 1), so a scan from 0 is exact.
 */
static int fewest(double demand, double limit, double total, int hosts,
                  int reserve, double unit)
{
    if (!isfinite(demand) || demand <= 0)
        return 0;
    if (at_or_under(demand, limit * pu_usable(total, hosts, reserve, unit, 0)))
        return 0;
    if (!(unit > 0))
        return -1;
    {
        /* a first guess from the linear part, then step to the exact k */
        double per = hosts > 0 ? total / hosts : 0;
        double big = unit > per ? unit : per;
        double g = (demand / limit - total + reserve * big) / unit;
        int k = g < 1 ? 1 : g > PU_MAX_UNITS ? PU_MAX_UNITS : (int)ceil(g) - 1;
        if (k < 1)
            k = 1;
        while (k > 1 &&
               at_or_under(demand, limit * pu_usable(total, hosts, reserve,
                                                     unit, k - 1)))
            k--;
        for (; k <= PU_MAX_UNITS; k++)
            if (at_or_under(demand,
                            limit * pu_usable(total, hosts, reserve, unit, k)))
                return k;
    }
    return -1;
}

enum sdc_rc pu_hosts_for(const struct pu_cluster *c, double cpu, double memory,
                         double vcpus, struct pu_hosts *out,
                         struct sdc_error *err)
{
    int r = c->ha_reserve > 0 ? c->ha_reserve : 0;
    memset(out, 0, sizeof(*out));
    if (c->hosts < 1 || !(c->target_cpu > 0) || !(c->target_memory > 0))
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "a cluster needs hosts and targets above 0");
    out->n_cpu = fewest(cpu, c->target_cpu, c->cpus, c->hosts, r, c->unit_cpus);
    out->n_memory = fewest(memory, c->target_memory, c->memory, c->hosts, r,
                           c->unit_memory);
    out->n_vcpu = c->max_vcpu_per_cpu > 0
                      ? fewest(vcpus, c->max_vcpu_per_cpu, c->cpus, c->hosts, r,
                               c->unit_cpus)
                      : 0;
    if (out->n_cpu < 0 || out->n_memory < 0 || out->n_vcpu < 0)
        return sdc_error_set(
            err, SDC_ERR_INVALID,
            "no number of hosts of the model (%g CPUs, %g bytes) up to %d "
            "keeps the cluster within its targets",
            c->unit_cpus, c->unit_memory, PU_MAX_UNITS);
    out->n = out->n_cpu;
    out->bind = out->n_cpu > 0 ? PU_BIND_CPU : PU_BIND_NONE;
    if (out->n_memory > out->n) {
        out->n = out->n_memory;
        out->bind = PU_BIND_MEMORY;
    }
    if (out->n_vcpu > out->n) {
        out->n = out->n_vcpu;
        out->bind = PU_BIND_VCPU;
    }
    return SDC_OK;
}

enum sdc_rc pu_units_for(double capacity, double target, double unit,
                         double demand, int *out, struct sdc_error *err)
{
    double g;
    *out = 0;
    if (!isfinite(demand) || demand <= 0)
        return SDC_OK;
    if (!(target > 0))
        return sdc_error_set(err, SDC_ERR_INVALID, "a target must be above 0");
    if (at_or_under(demand, target * capacity))
        return SDC_OK;
    if (!(unit > 0))
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "the storage unit must be above 0");
    g = (demand / target - capacity) / unit;
    if (!(g < PU_MAX_UNITS))
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "more than %d units of %g bytes would be needed",
                             PU_MAX_UNITS, unit);
    *out = (int)ceil(g);
    while (*out > 1 &&
           at_or_under(demand, target * (capacity + (*out - 1) * unit)))
        (*out)--;
    while (!at_or_under(demand, target * (capacity + *out * unit)))
        (*out)++;
    return SDC_OK;
}

static void plan_finish(struct pu_plan *p, int64_t today, int lead_days)
{
    if (p->units > 0)
        pu_order_by(p->in_service, lead_days, today, &p->order_day,
                    &p->late_days);
}

/* Record that day @i needs @k units. */
static void plan_day(struct pu_plan *p, size_t i, int64_t today, int k,
                     enum pu_bind bind)
{
    for (int u = p->units; u < k && u < PU_UNITS_LISTED; u++)
        p->unit_day[u] = today + (int64_t)i;
    if (k > p->units) {
        if (p->units == 0)
            p->in_service = today + (int64_t)i;
        p->units = k;
        p->bind = bind;
    }
}

static double minus(const double *v, size_t i, double r)
{
    double x;
    if (!v)
        return NAN;
    x = v[i] - r;
    return x > 0 ? x : isfinite(x) ? 0 : NAN;
}

enum sdc_rc pu_plan_hosts(const struct pu_cluster *c, const double *cpu,
                          const double *memory, const double *vcpus, size_t n,
                          int64_t today, int lead_days,
                          const struct pu_reclaim *rec, struct pu_plan *out,
                          struct sdc_error *err)
{
    struct pu_reclaim none = {0};
    memset(out, 0, sizeof(*out));
    if (n == 0)
        return sdc_error_set(err, SDC_ERR_INVALID, "an empty demand line");
    if (!rec)
        rec = &none;
    for (size_t i = 0; i < n; i++) {
        struct pu_hosts h;
        enum sdc_rc rc =
            pu_hosts_for(c, cpu ? cpu[i] : NAN, minus(memory, i, rec->memory),
                         minus(vcpus, i, rec->vcpus), &h, err);
        if (rc)
            return rc;
        if (h.n_cpu > out->n_cpu)
            out->n_cpu = h.n_cpu;
        if (h.n_memory > out->n_memory)
            out->n_memory = h.n_memory;
        if (h.n_vcpu > out->n_vcpu)
            out->n_vcpu = h.n_vcpu;
        plan_day(out, i, today, h.n, h.bind);
    }
    plan_finish(out, today, lead_days);
    return SDC_OK;
}

enum sdc_rc pu_plan_storage(double capacity, double target, double unit,
                            const double *demand, size_t n, int64_t today,
                            int lead_days, double reclaim, struct pu_plan *out,
                            struct sdc_error *err)
{
    memset(out, 0, sizeof(*out));
    if (n == 0)
        return sdc_error_set(err, SDC_ERR_INVALID, "an empty demand line");
    for (size_t i = 0; i < n; i++) {
        int k;
        enum sdc_rc rc = pu_units_for(capacity, target, unit,
                                      minus(demand, i, reclaim), &k, err);
        if (rc)
            return rc;
        plan_day(out, i, today, k, PU_BIND_STORAGE);
    }
    plan_finish(out, today, lead_days);
    return SDC_OK;
}
