/*
 * cluster.h - what one cycle's batches say together: a VM seen on two
 * hypervisors (a migration) counted once, and the cluster archives summed
 * over the cluster's hypervisors.
 */
#ifndef SDC_CLUSTER_H
#define SDC_CLUSTER_H

#include <stddef.h>
#include <time.h>

#include "sdc/config.h"
#include "sdc/error.h"
#include "sdc/sample.h"

/*
 * cluster_dedup_vms - keep each VM in one batch only: where it runs, else
 * where it is otherwise active (paused ...), else the first batch listing it.
 * Its samples, disks and NICs are removed from the other batches.
 * @return: how many duplicate listings were removed.
 */
size_t cluster_dedup_vms(struct sdc_batch *const *batches, size_t n);

/*
 * cluster_aggregate - one sample per cluster for cluster/<name>/cpu.rrd and
 * mem.rrd, added to @out.  A cluster whose hypervisors did not all answer
 * gets a row of UNKNOWN values, never an under-count (DESIGN.md section 4).
 */
enum sdc_rc cluster_aggregate(const struct sdc_config *cfg,
                              struct sdc_batch *const *batches, size_t n,
                              time_t t, struct sdc_batch *out,
                              struct sdc_error *err);

#endif
