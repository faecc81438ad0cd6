/*
 * findings.h - the rules of the monthly optimisation report (DESIGN.md
 * section 6, issue 5): which VM is shut off, idle, oversized or undersized
 * and what that frees or needs; hot hosts; which VMs to move between the
 * hottest and the coolest host of an imbalanced cluster; which volumes no
 * VM uses.
 *
 * Pure functions over plain numbers (the report gathers them from the
 * archives and the inventory, monthly.c), so each rule is tested on its
 * own (tests/reporter/test_findings.c).  Shares are fractions (0.03 = 3%),
 * memory and storage in bytes, CPU in CPUs; NaN means "no data" and never
 * triggers a finding.
 */
#ifndef SDC_REPORTER_FINDINGS_H
#define SDC_REPORTER_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "sdc/config.h"

#define FD_GIB 1073741824.0

/* The thresholds (config `thresholds`) and planning targets (capacity). */
struct fd_limits {
    struct sdc_thresholds_cfg t;
    double target_cpu;
    double target_memory;
    double target_storage;
    double target_network;
};

/* fd_limits_from_config - the limits a configuration sets. */
void fd_limits_from_config(const struct sdc_config *cfg, struct fd_limits *l);

/* What the inventory (and the CPU data) say a VM did during the month. */
enum fd_vm_month {
    FD_MONTH_UNKNOWN = 0, /* no state known for the month */
    FD_MONTH_RUNNING,     /* running (or blocked) throughout */
    FD_MONTH_SHUTOFF,     /* shut off throughout, no CPU time */
    FD_MONTH_MIXED,       /* changed state, or came or went, in the month */
};

/*
 * struct fd_vm_in - one VM's month.
 * @month:         enum fd_vm_month
 * @coverage:      share of the month with CPU data (0..1)
 * @vcpus:         vCPUs allocated
 * @memory:        memory allocated (bytes)
 * @cpu_p95:       p95 CPU as a share of its vCPUs
 * @cpu_p95_cpus:  p95 CPU in CPUs busy
 * @mem_p95:       p95 memory used as a share of the allocation
 * @mem_p95_bytes: p95 memory used (bytes)
 * @net_p95:       p95 network, rx + tx over its interfaces (bytes/s); 0
 *                 for a VM without interfaces
 * @disk_capacity, @disk_allocation: its disks (bytes provisioned, used)
 */
struct fd_vm_in {
    enum fd_vm_month month;
    double coverage;
    int vcpus;
    double memory;
    double cpu_p95;
    double cpu_p95_cpus;
    double mem_p95;
    double mem_p95_bytes;
    double net_p95;
    double disk_capacity;
    double disk_allocation;
};

/*
 * The one class a VM is counted in, by precedence: shut off > idle >
 * oversized.  Undersized is a separate flag (it needs, not frees), and a VM
 * may be undersized in CPU and oversized in memory.
 */
enum fd_vm_class {
    FD_VM_OK = 0,
    FD_VM_NOT_JUDGED, /* too little data (coverage), or state unknown */
    FD_VM_SHUTOFF,
    FD_VM_IDLE,
    FD_VM_OVERSIZED,
};

/* Why a VM was not judged. */
enum fd_reason {
    FD_REASON_NONE = 0,
    FD_REASON_COVERAGE, /* data for less than min_coverage of the month */
    FD_REASON_STATE,    /* shut off with no known state for the month */
};

/*
 * struct fd_vm_out - the verdict.
 * @cls:            enum fd_vm_class
 * @reason:         with FD_VM_NOT_JUDGED
 * @oversized_cpu, @oversized_mem: which part of an oversized VM
 * @undersized_cpu, @undersized_mem: undersized (independent of @cls)
 * @rec_vcpus:      recommended vCPUs (0: keep as is)
 * @rec_memory:     recommended memory in bytes, whole GiB (0: keep)
 * @free_vcpus, @free_memory, @free_storage: what it frees (counted once)
 * @need_vcpus, @need_memory: what an undersized VM needs
 */
struct fd_vm_out {
    enum fd_vm_class cls;
    enum fd_reason reason;
    bool oversized_cpu;
    bool oversized_mem;
    bool undersized_cpu;
    bool undersized_mem;
    int rec_vcpus;
    double rec_memory;
    double free_vcpus;
    double free_memory;
    double free_storage;
    double need_vcpus;
    double need_memory;
};

/*
 * fd_rec_vcpus - vCPUs so that @p95_cpus stays under @target of them:
 * max(1, ceil(p95_cpus / target)).  1 for unknown input.
 */
int fd_rec_vcpus(double p95_cpus, double target);

/*
 * fd_rec_memory - the whole number of GiB (at least 1) that keeps
 * @p95_bytes under @target of it, in bytes.  1 GiB for unknown input.
 */
double fd_rec_memory(double p95_bytes, double target);

/*
 * fd_vm_judge - the rules of the issue, with @l's thresholds:
 *   shut off: shut off the whole month; frees its vCPUs, memory and disk
 *             (the disk's allocation, else its capacity);
 *   idle:     running the whole month, p95 CPU < idle_cpu of its vCPUs and
 *             p95 network < idle_net_bytes; frees its vCPUs and memory;
 *   oversized: p95 CPU < oversized_cpu: vCPUs fd_rec_vcpus(resize_cpu) if
 *             fewer than now; p95 memory used < oversized_memory: memory
 *             fd_rec_memory(resize_memory) if less than now; frees the
 *             difference;
 *   undersized: p95 CPU > undersized_cpu, or p95 memory > undersized_memory;
 *             needs what fd_rec_vcpus/fd_rec_memory add (at least 1 vCPU or
 *             1 GiB: a p95 near 100% hides how much more it would use).
 * A VM with data for less than min_coverage of the month is not judged
 * (except shut off, which is judged from the inventory).
 */
void fd_vm_judge(const struct fd_limits *l, const struct fd_vm_in *vm,
                 struct fd_vm_out *out);

/* fd_vm_class_name - "ok", "not judged", "shut off", "idle", "oversized". */
const char *fd_vm_class_name(enum fd_vm_class c);

/*
 * fd_over - whether @p95 (a share) is above @target; false for NaN.
 */
bool fd_over(double p95, double target);

/*
 * Moves between the hottest and the coolest host of a cluster.
 * A host as the plan sees it: p95 CPU and memory as shares, its CPUs and
 * memory (bytes).
 */
struct fd_host {
    double cpu_p95;
    double mem_p95;
    double cpus;
    double mem_total;
};

/* A VM that could move: its p95 CPU (CPUs busy) and memory (bytes). */
struct fd_move_cand {
    size_t id; /* the caller's index */
    double cpus;
    double memory;
};

enum fd_dim {
    FD_DIM_CPU = 0,
    FD_DIM_MEMORY,
};

#define FD_MAX_MOVES 8

/*
 * struct fd_plan - the suggested moves and the hosts' estimated p95 after
 * them (a VM's p95 moved from one host to the other: an estimate, since
 * p95s do not add exactly).
 */
struct fd_plan {
    size_t n;
    size_t id[FD_MAX_MOVES];
    struct fd_host hot_after;
    struct fd_host cool_after;
};

/*
 * fd_plan_moves - greedy: the VMs of @hot with the biggest p95 CPU (for
 * FD_DIM_CPU; memory for FD_DIM_MEMORY) first, each moved if it fits on
 * @cool (its p95 CPU and memory stay within the targets) and does not make
 * @cool hotter than @hot on @dim, until the spread is within
 * imbalance_points or FD_MAX_MOVES are planned.  @cands is reordered.
 */
void fd_plan_moves(const struct fd_limits *l, enum fd_dim dim,
                   const struct fd_host *hot, const struct fd_host *cool,
                   struct fd_move_cand *cands, size_t n, struct fd_plan *plan);

/*
 * A set of strings (the paths and volume names disks refer to), for
 * orphaned volumes.
 */
struct fd_refs;

/* fd_refs_new - an empty set; NULL when out of memory. */
struct fd_refs *fd_refs_new(void);
void fd_refs_free(struct fd_refs *r);

/*
 * fd_refs_add_disk - what a disk uses: its @source and each element of its
 * backing chain @backing ("a <- b <- c", inventory.h); either may be NULL.
 * @return: false when out of memory.
 */
bool fd_refs_add_disk(struct fd_refs *r, const char *source,
                      const char *backing);

/* fd_refs_has - whether @s was added. */
bool fd_refs_has(const struct fd_refs *r, const char *s);

/*
 * fd_volume_used - whether a volume is used by a disk: its @path, or
 * "<pool name>/<volume name>" for any of the @n_pool_names names hosts give
 * the pool (a disk of type volume).
 */
bool fd_volume_used(const struct fd_refs *r, const char *path,
                    const char *vol_name, const char *const *pool_names,
                    size_t n_pool_names);

#endif
