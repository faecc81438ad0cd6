/* snmp_counter.c - SNMP counters to rates; see snmp_counter.h. */
#include <math.h>

#include "snmp_counter.h"

#define TWO_POW_32 4294967296.0

enum snmp_ctr_status snmp_ctr_update(struct snmp_ctr *c, uint64_t raw,
                                     unsigned width, double t, unsigned clock,
                                     bool discontinuity, double max_rate,
                                     double *rate)
{
    struct snmp_ctr prev = *c;
    uint64_t delta;
    double dt, r;

    if ((width != 32 && width != 64) || !isfinite(t) ||
        (width == 32 && raw > UINT32_MAX)) {
        c->width = 0; /* the next reading starts afresh */
        return SNMP_CTR_BAD_VALUE;
    }
    c->raw = raw;
    c->t = t;
    c->width = (uint8_t)width;
    c->clock = (uint8_t)clock;
    if (prev.width != width || prev.clock != clock)
        return SNMP_CTR_FIRST;
    if (discontinuity)
        return SNMP_CTR_RESET;
    dt = t - prev.t;
    if (!(dt > 0))
        return SNMP_CTR_BAD_TIME;
    /* Unsigned subtraction is the difference modulo 2^64: exactly one
     * wrap of a 64-bit counter.  Reduced modulo 2^32 it is one wrap of a
     * 32-bit counter. */
    delta = raw - prev.raw;
    if (width == 32)
        delta &= UINT32_MAX;
    r = (double)delta / dt;
    if (max_rate > 0 && r > max_rate)
        return SNMP_CTR_TOO_FAST;
    *rate = r;
    return SNMP_CTR_OK;
}

const char *snmp_ctr_status_name(enum snmp_ctr_status s)
{
    switch (s) {
    case SNMP_CTR_OK:
        return "ok";
    case SNMP_CTR_FIRST:
        return "first reading";
    case SNMP_CTR_RESET:
        return "counter reset";
    case SNMP_CTR_BAD_TIME:
        return "no time passed";
    case SNMP_CTR_TOO_FAST:
        return "rate above the link's capacity (a reset)";
    case SNMP_CTR_BAD_VALUE:
        return "impossible value";
    }
    return "?";
}

double snmp_ctr_octet_limit(uint64_t speed, unsigned width)
{
    double l;
    if (speed == 0 || width != 32)
        return SNMP_CTR_MAX_OCTET_RATE;
    l = SNMP_CTR_SPEED_FACTOR * (double)speed / 8.0;
    return l < SNMP_CTR_MAX_OCTET_RATE ? l : SNMP_CTR_MAX_OCTET_RATE;
}

double snmp_ctr_packet_limit(uint64_t speed, unsigned width)
{
    double l;
    if (speed == 0 || width != 32)
        return SNMP_CTR_MAX_PACKET_RATE;
    l = SNMP_CTR_SPEED_FACTOR * (double)speed / 8.0 / SNMP_CTR_MIN_FRAME;
    /* a slow link still gets a few packets a second */
    if (l < 10.0)
        l = 10.0;
    return l < SNMP_CTR_MAX_PACKET_RATE ? l : SNMP_CTR_MAX_PACKET_RATE;
}

bool snmp_uptime_restarted(uint32_t prev, uint32_t now, double dt)
{
    double ticks = dt * 100.0;
    /* clocks and network delays differ: half the interval, at least 2 s */
    double slack = fmax(ticks * 0.5, 200.0);

    if (!(dt > 0))
        return false;
    if (now >= prev)
        return (double)(now - prev) + slack < ticks;
    /* went back: a wrap past 2^32 lands near prev + ticks - 2^32 */
    {
        double expect = (double)prev + ticks - TWO_POW_32;
        if (expect > -slack && fabs((double)now - expect) <= slack)
            return false;
    }
    return true;
}
