/*
 * snmp_collector.c - the SNMP collector type: one instance for every
 * device, read with read_many (one batch per device per cycle).
 *
 * create() copies the configuration and plans each device's requests; it
 * opens no session (sessions are opened by read_many, on the thread that
 * will own them, and kept across cycles).  read_many() runs one cycle of
 * the event loop within the budget and returns every device's batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snmp_priv.h"

struct snmp_ctx {
    struct snmp_engine eng;
    unsigned long cycles;
};

static void snmp_destroy(void *p)
{
    struct snmp_ctx *c = p;
    if (!c)
        return;
    for (size_t i = 0; i < c->eng.n; i++)
        snmp_dev_teardown(&c->eng.devs[i]);
    free(c->eng.devs);
    free(c->eng.pfd);
    free(c->eng.pfd_dev);
    snmp_engine_free_fds(&c->eng);
    free(c);
}

static enum sdc_rc snmp_create(const void *cfgp, void **out,
                               struct sdc_error *err)
{
    const struct sdc_snmp_collector_cfg *cfg = cfgp;
    struct snmp_ctx *c;
    size_t n;
    enum sdc_rc rc;

    *out = NULL;
    if (!cfg || (cfg->n_devices > 0 && !cfg->devices))
        return sdc_error_set(err, SDC_ERR_INVALID,
                             "snmp: no device configuration");
    rc = snmp_global_init(err);
    if (rc != SDC_OK)
        return rc;
    n = cfg->n_devices;
    c = calloc(1, sizeof(*c));
    if (!c)
        return sdc_error_set(err, SDC_ERR_NOMEM, "snmp: out of memory");
    c->eng.budget = cfg->budget > 0 ? cfg->budget : 1.0;
    c->eng.max_inflight =
        cfg->max_inflight ? cfg->max_inflight : SDC_SNMP_DEFAULT_INFLIGHT;
    c->eng.devs = calloc(n ? n : 1, sizeof(*c->eng.devs));
    c->eng.pfd = calloc(n ? n : 1, sizeof(*c->eng.pfd));
    c->eng.pfd_dev = calloc(n ? n : 1, sizeof(*c->eng.pfd_dev));
    if (!c->eng.devs || !c->eng.pfd || !c->eng.pfd_dev) {
        snmp_destroy(c);
        return sdc_error_set(err, SDC_ERR_NOMEM, "snmp: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        struct snmp_dev *d = &c->eng.devs[i];
        c->eng.n = i + 1; /* so destroy frees what is set up */
        d->eng = &c->eng;
        d->index = i;
        rc = snmp_dev_setup(d, &cfg->devices[i], err);
        if (rc == SDC_OK)
            rc = snmp_dev_plan(d, err);
        if (rc != SDC_OK) {
            snmp_destroy(c);
            return rc;
        }
    }
    *out = c;
    return SDC_OK;
}

static enum sdc_rc snmp_read_many(void *p, time_t cycle,
                                  struct sdc_batch_list *out,
                                  struct sdc_error *err)
{
    struct snmp_ctx *c = p;
    double t0 = snmp_now();
    size_t ok = 0;
    unsigned long requests = 0, varbinds = 0;

    snmp_engine_run(&c->eng, t0 + c->eng.budget);
    for (size_t i = 0; i < c->eng.n; i++) {
        struct snmp_dev *d = &c->eng.devs[i];
        struct sdc_batch *b = snmp_dev_result(d, cycle);
        if (!b || sdc_batch_list_push(out, b) != SDC_OK) {
            sdc_batch_free(b);
            return sdc_error_set(err, SDC_ERR_NOMEM, "snmp: out of memory");
        }
        ok += b->ok;
        requests += d->requests;
        varbinds += d->varbinds;
    }
    c->cycles++;
    SDC_DEBUG("snmp: cycle %lld: %zu/%zu devices answered, %lu requests, %lu "
              "varbinds, %.3f s",
              (long long)cycle, ok, c->eng.n, requests, varbinds,
              snmp_now() - t0);
    return SDC_OK;
}

const struct sdc_collector_type sdc_snmp_collector = {
    .name = "snmp",
    .create = snmp_create,
    .read = NULL,
    .read_many = snmp_read_many,
    .destroy = snmp_destroy,
};
