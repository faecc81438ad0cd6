/*
 * scheduler.h - runs every target's read() on a thread of its own and collects
 * one cycle's results within each target's timeout.
 *
 * libvirt calls have no timeout, so a hung hypervisor must only ever block
 * its own thread: the cycle waits at most the target's timeout, then reports
 * it as timed out, and while it is still busy later cycles skip it (logged
 * and counted), never wait for it.
 */
#ifndef SDC_SCHEDULER_H
#define SDC_SCHEDULER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sdc/collector.h"
#include "sdc/error.h"
#include "sdc/sample.h"

struct sched;

struct sched_target_stats {
    const char *name;
    uint64_t reads;      /* reads that returned in time */
    uint64_t errors;     /* reads that failed */
    uint64_t timeouts;   /* cycles it did not answer within its timeout */
    uint64_t skipped;    /* cycles skipped because it was still busy */
    double last_seconds; /* duration of the last read that returned */
};

enum sdc_rc sched_new(struct sched **out, struct sdc_error *err);

/*
 * sched_add - a target read by @type with config entry @cfg (copied by the
 * type's create()), answering within @timeout seconds.  Starts its thread.
 */
enum sdc_rc sched_add(struct sched *s, const struct sdc_collector_type *type,
                      const void *cfg, const char *name, double timeout,
                      struct sdc_error *err);

/*
 * sched_run_cycle - ask every target for a reading for @cycle and wait until
 * each has answered or its timeout has passed.  Returns one batch per
 * target, in the order they were added: ok, failed (with the error), or
 * failed with SDC_ERR_TIMEOUT.  The caller frees the batches and the array.
 */
enum sdc_rc sched_run_cycle(struct sched *s, time_t cycle,
                            struct sdc_batch ***out, size_t *n,
                            struct sdc_error *err);

/*
 * sched_first_start - the first cycle start after @now: the next multiple of
 * @step seconds of the wall clock, so that every agent's archives line up.
 */
time_t sched_first_start(double now, int step);

/*
 * sched_next_start - the start after the cycle that began at @start and
 * ended at @end (wall clock).  A cycle that ran past the next start(s)
 * overran: those starts are missed (never run late and bunched up) and
 * their number is stored in @missed (0 when on time).
 */
time_t sched_next_start(time_t start, double end, int step, long *missed);

size_t sched_count(const struct sched *s);
void sched_get_stats(struct sched *s, size_t i, struct sched_target_stats *out);

/*
 * sched_free - stop every thread.  A thread still inside a read (a hung
 * target) is detached and its context leaked on purpose: freeing what it
 * uses would be worse.
 */
void sched_free(struct sched *s);

#endif
