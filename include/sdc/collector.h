/*
 * collector.h - the interface every source of samples implements.
 *
 * A collector type is a table of functions; an instance is the type plus its
 * context.  The agent's scheduler runs each instance's read() on a thread of
 * its own, so a read may block (libvirt calls have no timeout); the scheduler
 * waits at most the target's timeout and skips a target still busy.
 */
#ifndef SDC_COLLECTOR_H
#define SDC_COLLECTOR_H

#include <time.h>

#include "sdc/error.h"
#include "sdc/sample.h"

struct sdc_collector_type {
    const char *name; /* "libvirt", "snmp" */

    /*
     * create - a context for one target.  @cfg is the type's own config
     * entry (e.g. struct sdc_hypervisor_cfg); it is copied, not kept.
     * Must not block on the network.
     */
    enum sdc_rc (*create)(const void *cfg, void **ctx, struct sdc_error *err);

    /*
     * read - poll the target once and fill @out (its cycle and source are set
     * by the caller).  On failure return an error: the batch is discarded.
     */
    enum sdc_rc (*read)(void *ctx, struct sdc_batch *out,
                        struct sdc_error *err);

    /*
     * read_many - for a collector that serves many targets from one thread
     * (SNMP: one event loop for every device): one batch per target of the
     * cycle @cycle into @out, each with its own ok/error.  Set either read or
     * read_many.  An error return means nothing could be read at all.
     */
    enum sdc_rc (*read_many)(void *ctx, time_t cycle,
                             struct sdc_batch_list *out, struct sdc_error *err);

    /* destroy - free the context; NULL is allowed. */
    void (*destroy)(void *ctx);
};

#endif
