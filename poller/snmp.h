/*
 * snmp.h - the SNMP collector: every device of the config from one thread
 * and one event loop (net-snmp's asynchronous single-session API), with
 * many requests in flight, GETBULK walks, per-device timeouts and retries,
 * and asynchronous SNMPv3 engine discovery, so that one slow or dead device
 * never delays the others (DESIGN.md sections 4 and 9).
 *
 * One instance serves all devices: the agent adds a single scheduler target
 * whose read_many returns one batch per device.
 */
#ifndef SDC_SNMP_H
#define SDC_SNMP_H

#include <stddef.h>

#include "sdc/collector.h"
#include "sdc/config.h"
#include "sdc/error.h"

/* Requests in flight at once, by default. */
#define SDC_SNMP_DEFAULT_INFLIGHT 200

/* What sdc_snmp_collector's create() takes (copied, not kept). */
struct sdc_snmp_collector_cfg {
    const struct sdc_snmp_cfg *devices;
    size_t n_devices;
    double budget; /* seconds one read_many may take; devices not finished
                      by then are reported as timed out */
    unsigned max_inflight; /* 0 = SDC_SNMP_DEFAULT_INFLIGHT */
};

/*
 * snmp_global_init - once per process, before any other thread starts (it
 * sets $MIBS to "" when unset, so that init_snmp() loads no MIB file):
 * initialise net-snmp without its configuration files, MIBs or persistent
 * state (nothing under /var/lib/snmp), and send its log lines to sdc_log
 * (debug level; errors at info) instead of stderr.  Also raises the
 * open-files limit to its hard maximum (one socket per device).  Safe to
 * call more than once.
 */
enum sdc_rc snmp_global_init(struct sdc_error *err);

extern const struct sdc_collector_type sdc_snmp_collector;

#endif
