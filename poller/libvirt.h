/*
 * libvirt.h - the libvirt collector: one hypervisor per instance, its own
 * connection (read-only where the driver allows), kept across cycles and
 * re-opened after a failure with back-off.
 */
#ifndef SDC_LIBVIRT_H
#define SDC_LIBVIRT_H

#include "sdc/collector.h"
#include "sdc/error.h"

/*
 * lv_global_init - once per process, before any thread polls: initialise
 * libvirt and libxml2, install a silent error handler and start libvirt's
 * event loop in a thread of its own (so keepalive can find dead peers).
 */
enum sdc_rc lv_global_init(struct sdc_error *err);

extern const struct sdc_collector_type sdc_libvirt_collector;

#endif
