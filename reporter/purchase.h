/*
 * purchase.h - the arithmetic of the augmentation projection: when a
 * demand line reaches a threshold (runway), how many whole units of
 * capacity keep it under target through a horizon, when each must be in
 * service and when it must be ordered.  Pure functions: no I/O, no
 * allocation, no globals; the report (augment.c) feeds them the forecast.
 *
 * Days are civil days counted from 1970-01-01 (forecast.h).  A demand
 * line is one value a day, element 0 being "today" (the last day with data,
 * planned demand included) and element i the day @today + i; a NaN value
 * does not constrain (no forecast for that quantity).
 *
 * Cluster capacity (DESIGN.md section 6, "keeping ha_reserve_hosts
 * spare"): with k new hosts of the host model,
 *   usable(k) = total now + k * unit - reserve * max(host now, unit if k > 0)
 * where "host now" is the current total divided by the hosts (an average
 * host): the reserve is ha_reserve_hosts of the largest kind of host the
 * cluster then has, so that losing them still leaves usable(k).  CPU
 * demand must stay at or under target_cpu * usable CPUs, memory under
 * target_memory * usable memory, and the vCPUs allocated at or under
 * max_vcpu_per_cpu * usable CPUs (the ceiling holds after a host failure
 * too).  The hosts to buy are the most any of the three needs: whichever
 * binds first.
 *
 * Storage: demand at or under target * (capacity + k * unit).
 *
 * Reclaimable capacity (the latest monthly report's VMs shut off, idle and
 * oversized, orphaned volumes) lowers memory demand, the vCPUs allocated
 * and storage demand by what it frees; CPU busy is left as it is (VMs that
 * are shut off or idle use next to no CPU, and resizing a VM does not
 * change the work it does).
 */
#ifndef SDC_REPORTER_PURCHASE_H
#define SDC_REPORTER_PURCHASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdc/error.h"

/* More units than this is refused (a unit far too small for the demand). */
#define PU_MAX_UNITS 100000
/* The in-service days of this many first units are listed. */
#define PU_UNITS_LISTED 12
/* Relative slack of comparisons (a line exactly on the target crosses). */
#define PU_EPS 1e-9

enum pu_runway_status {
    PU_RUNWAY_CROSSES = 0,  /* the line reaches the threshold on @day */
    PU_RUNWAY_ALREADY_OVER, /* today's value is at or over it */
    PU_RUNWAY_NOT_WITHIN,   /* the line stays under it to its end */
    PU_RUNWAY_NO_LIMIT,     /* no threshold (capacity unknown or zero) */
};

/*
 * struct pu_runway
 * @day:  the first day at or over the threshold (today when already over;
 *        0 otherwise)
 * @days: @day - today
 */
struct pu_runway {
    enum pu_runway_status status;
    int64_t day;
    int64_t days;
};

/*
 * pu_runway - when @line (n values, line[0] = today) first reaches
 * @threshold.  NaN values are skipped.  A threshold that is not finite
 * and > 0 gives PU_RUNWAY_NO_LIMIT.
 */
void pu_runway(const double *line, size_t n, int64_t today, double threshold,
               struct pu_runway *out);

/* pu_planned_active - a planned entry from @from (inclusive) until @until
 * (exclusive; < 0: for good) counts on @day. */
bool pu_planned_active(int64_t day, int64_t from, int64_t until);

/*
 * pu_order_by - the order date of a unit needed in service on @in_service:
 * @lead_days earlier.  @late_days: how many days before @today that is
 * (0 when the order date is today or later).
 */
void pu_order_by(int64_t in_service, int lead_days, int64_t today,
                 int64_t *order_day, int64_t *late_days);

/*
 * struct pu_cluster - one cluster's capacity and rules.
 * @cpus, @memory:       capacity now (logical CPUs, bytes)
 * @hosts:               hosts now (>= 1)
 * @ha_reserve:          hosts kept spare (>= 0)
 * @max_vcpu_per_cpu:    ceiling of vCPUs allocated per usable CPU (<= 0:
 *                       none)
 * @target_cpu, @target_memory: planning ceilings (fractions, > 0)
 * @unit_cpus, @unit_memory:    one new host (logical CPUs, bytes)
 */
struct pu_cluster {
    double cpus;
    double memory;
    int hosts;
    int ha_reserve;
    double max_vcpu_per_cpu;
    double target_cpu;
    double target_memory;
    double unit_cpus;
    double unit_memory;
};

/*
 * pu_usable - usable capacity of a cluster whose capacity now is @total
 * over @hosts hosts, with @k new hosts of @unit each and @reserve kept
 * spare (formula above).  May be negative (a cluster smaller than its
 * reserve).
 */
double pu_usable(double total, int hosts, int reserve, double unit, int k);

/* What limits a purchase. */
enum pu_bind {
    PU_BIND_NONE = 0, /* nothing to buy */
    PU_BIND_CPU,      /* CPU demand against target */
    PU_BIND_MEMORY,   /* memory demand against target */
    PU_BIND_VCPU,     /* vCPUs allocated against the ceiling */
    PU_BIND_STORAGE,  /* storage demand against target */
};

/* pu_bind_name - "CPU", "memory", "vCPU ceiling", "storage", "nothing". */
const char *pu_bind_name(enum pu_bind b);

/*
 * struct pu_hosts - hosts one day's demand needs.
 * @n:        the most of the three (what to buy)
 * @n_cpu, @n_memory, @n_vcpu: what each constraint alone needs
 * @bind:     which needs @n (CPU, then memory, then vCPU on a tie)
 */
struct pu_hosts {
    int n;
    int n_cpu;
    int n_memory;
    int n_vcpu;
    enum pu_bind bind;
};

/*
 * pu_hosts_for - the fewest new hosts that keep @cpu (CPUs busy), @memory
 * (bytes) and @vcpus (allocated) within @c's rules; NaN demand does not
 * constrain.
 * @return: SDC_OK; SDC_ERR_INVALID when the rules are not usable (no
 *          hosts, a target <= 0) or when no count up to PU_MAX_UNITS is
 *          enough (e.g. a unit of 0 CPUs while CPU is short).
 */
enum sdc_rc pu_hosts_for(const struct pu_cluster *c, double cpu, double memory,
                         double vcpus, struct pu_hosts *out,
                         struct sdc_error *err);

/*
 * pu_units_for - the fewest @unit-sized units that keep @demand at or
 * under @target * (@capacity + k * @unit).
 * @return: SDC_OK; SDC_ERR_INVALID for a target or unit <= 0 when units
 *          are needed, or more than PU_MAX_UNITS.
 */
enum sdc_rc pu_units_for(double capacity, double target, double unit,
                         double demand, int *out, struct sdc_error *err);

/* struct pu_reclaim - what the latest monthly report says a cluster can
 * free (vCPUs, bytes of memory); all 0 for "without".  Storage reclaim is
 * pu_plan_storage()'s @reclaim. */
struct pu_reclaim {
    double vcpus;
    double memory;
};

/*
 * struct pu_plan - what to buy to stay within the rules through a horizon.
 * @units:       units to buy (hosts or storage units): the most any day
 *               up to the horizon needs
 * @bind:        what needs them (on the day the most are needed)
 * @n_cpu, @n_memory, @n_vcpu: for clusters, each constraint's own need on
 *               its worst day
 * @in_service:  the day the first unit must be in service (today when it
 *               is needed already); 0 when @units is 0
 * @order_day, @late_days: pu_order_by() of @in_service
 * @unit_day[k]: the day unit k + 1 must be in service, for the first
 *               PU_UNITS_LISTED units
 */
struct pu_plan {
    int units;
    enum pu_bind bind;
    int n_cpu;
    int n_memory;
    int n_vcpu;
    int64_t in_service;
    int64_t order_day;
    int64_t late_days;
    int64_t unit_day[PU_UNITS_LISTED];
};

/*
 * pu_plan_hosts - hosts to buy for a cluster whose daily demand lines are
 * @cpu, @memory, @vcpus (each @n values, [0] = @today, the last being the
 * horizon; any may be NULL: not constrained), less @rec (NULL: nothing
 * reclaimed).
 * @return: as pu_hosts_for(); SDC_ERR_INVALID for n == 0.
 */
enum sdc_rc pu_plan_hosts(const struct pu_cluster *c, const double *cpu,
                          const double *memory, const double *vcpus, size_t n,
                          int64_t today, int lead_days,
                          const struct pu_reclaim *rec, struct pu_plan *out,
                          struct sdc_error *err);

/*
 * pu_plan_storage - storage units for a daily demand line @demand (bytes;
 * @n values, [0] = @today) less @reclaim bytes, against @capacity bytes,
 * @target and @unit bytes.
 * @return: as pu_units_for(); SDC_ERR_INVALID for n == 0.
 */
enum sdc_rc pu_plan_storage(double capacity, double target, double unit,
                            const double *demand, size_t n, int64_t today,
                            int lead_days, double reclaim, struct pu_plan *out,
                            struct sdc_error *err);

#endif
