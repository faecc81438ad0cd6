/*
 * agent.h - sdcmond's state and its poll cycle.
 */
#ifndef SDC_AGENT_H
#define SDC_AGENT_H

#include <stdint.h>
#include <time.h>

#include "inventory.h"
#include "rrd_writer.h"
#include "scheduler.h"
#include "snapshot.h"
#include "sdc/config.h"
#include "sdc/log.h"

/* Per target (hypervisor or device) across cycles, found by name. */
struct agent_target_state {
    char *name;
    struct sdc_complaint complaint; /* rate-limited failure logging */
};

struct agent {
    struct sdc_config *cfg;
    struct sched *sched;
    struct rrdw *writer;
    struct inv *inv;
    struct agent_target_state *targets; /* sorted by name */
    size_t n_targets;

    /* self-metrics */
    uint64_t cycles;
    uint64_t overruns;
    uint64_t cycle_errors; /* targets that failed, summed over cycles */
    double last_cycle_seconds;
    time_t last_cycle;
    char last_summary[256]; /* the last cycle's one-line summary (STATUS=) */
    /* where the last cycle's time went: how late it started, the wait for
     * the targets (and the slowest one), the archives, the inventory, and
     * the CPU the process used meanwhile; quoted by the overrun warning so
     * a slow cycle tells our work apart from a machine that ran us late */
    char last_timing[256];

    /* where each cycle's snapshot is published for the web view; NULL:
     * none is built (set by the program, outlives the agent) */
    struct snap_store *snaps;
};

/*
 * agent_open - everything the agent needs for @cfg: data directory, RRD
 * writer, inventory, one scheduler target per hypervisor.  Takes ownership
 * of @cfg on success.
 */
enum sdc_rc agent_open(struct sdc_config *cfg, struct agent **out,
                       struct sdc_error *err);

/* agent_cycle - one poll cycle scheduled for @cycle (wall clock). */
enum sdc_rc agent_cycle(struct agent *a, time_t cycle, struct sdc_error *err);

/* agent_close - flush and free; NULL allowed. */
void agent_close(struct agent *a);

#endif
