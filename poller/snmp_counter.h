/*
 * snmp_counter.h - SNMP counters turned into rates per second.
 *
 * An SNMP counter is 32 or 64 bits wide, wraps to 0 past its maximum and
 * starts again from 0 when the agent restarts.  The archive keeps the rate
 * (DESIGN.md section 4), so the poller remembers each counter's previous
 * reading and derives the rate itself:
 *   - one wrap within the interval gives the right rate
 *     (delta = new + 2^width - old);
 *   - a reset gives UNKNOWN, never a spike: the caller reports the
 *     discontinuities it sees (sysUpTime going back, ifCounterDiscontinuity-
 *     Time changing), and a rate above a limit (1.5 x the link speed, or an
 *     absolute cap) is taken for a reset too;
 *   - the first reading, a change of width (64-bit counters appearing) or
 *     of clock (the agent's sysUpTime or ours, see below) and a reading no
 *     later than the previous one give UNKNOWN.
 * The speed limit applies to 32-bit counters: a 32-bit reset can look like
 * a plausible wrap, while a 64-bit counter never wraps in practice (its
 * reset looks like a wrap of ~2^64, caught by the absolute cap), and
 * loopback and virtual interfaces carry far more than the 10 Mbit/s they
 * report.
 *
 * Times: preferably the agent's own clock (sysUpTime read in the same
 * response as the counters: the two are sampled together, free of network
 * and scheduling jitter), else ours.  A reading keeps which clock it used,
 * and two readings on different clocks make no rate.
 * Pure functions, no I/O: unit-tested in tests/poller/test_snmp_counter.c.
 */
#ifndef SDC_SNMP_COUNTER_H
#define SDC_SNMP_COUNTER_H

#include <stdbool.h>
#include <stdint.h>

/* Highest credible octet rate when the speed is unknown: 2 Tbit/s. */
#define SNMP_CTR_MAX_OCTET_RATE 2.5e11
/* Highest credible rate of packet-like counters (errors, discards) when the
 * speed is unknown. */
#define SNMP_CTR_MAX_PACKET_RATE 4e9
/* A rate this many times the link speed is a reset, not traffic. */
#define SNMP_CTR_SPEED_FACTOR 1.5
/* Smallest Ethernet frame on the wire (with preamble and gap), bytes: the
 * most packets a link can carry is its speed / 8 / this. */
#define SNMP_CTR_MIN_FRAME 64.0

/* Which clock a reading's time comes from. */
enum snmp_clock {
    SNMP_CLOCK_LOCAL = 0, /* ours (monotonic), when the answer came */
    SNMP_CLOCK_AGENT,     /* the agent's sysUpTime in the same answer */
};

/* The previous reading of one counter. */
struct snmp_ctr {
    uint64_t raw;  /* the counter's value */
    double t;      /* when it was read, seconds on @clock */
    uint8_t width; /* 32 or 64; 0 = no reading yet */
    uint8_t clock; /* enum snmp_clock */
};

enum snmp_ctr_status {
    SNMP_CTR_OK = 0,    /* *rate is set */
    SNMP_CTR_FIRST,     /* no previous reading, or its width changed */
    SNMP_CTR_RESET,     /* the caller saw a discontinuity */
    SNMP_CTR_BAD_TIME,  /* not later than the previous reading */
    SNMP_CTR_TOO_FAST,  /* above @max_rate: taken for a reset */
    SNMP_CTR_BAD_VALUE, /* a 32-bit counter above 2^32 - 1, or bad width */
};

/*
 * snmp_ctr_update - the rate since the previous reading of @c, then @c
 * holds this reading (whatever the result, so the next interval is fine).
 * @raw: the counter now; @width: 32 or 64
 * @t: when it was read (seconds), on @clock (enum snmp_clock)
 * @discontinuity: the caller knows the counter restarted in between
 * @max_rate: highest credible rate (> 0; 0 = none), e.g.
 *            snmp_ctr_octet_limit()
 * @rate: set on SNMP_CTR_OK only
 */
enum snmp_ctr_status snmp_ctr_update(struct snmp_ctr *c, uint64_t raw,
                                     unsigned width, double t, unsigned clock,
                                     bool discontinuity, double max_rate,
                                     double *rate);

/* snmp_ctr_status_name - "ok", "first reading", "reset" ... */
const char *snmp_ctr_status_name(enum snmp_ctr_status s);

/*
 * snmp_ctr_octet_limit - highest credible bytes/s of a @width-bit counter
 * on a link of @speed bit/s (0 = unknown): SNMP_CTR_SPEED_FACTOR x speed /
 * 8 for a 32-bit counter, never above SNMP_CTR_MAX_OCTET_RATE (the limit of
 * 64-bit counters and of unknown speeds).
 */
double snmp_ctr_octet_limit(uint64_t speed, unsigned width);

/* snmp_ctr_packet_limit - the same for packets (errors, discards) per s. */
double snmp_ctr_packet_limit(uint64_t speed, unsigned width);

/*
 * snmp_uptime_restarted - whether the agent restarted between two readings
 * of sysUpTime (TimeTicks, 1/100 s) taken @dt seconds apart: it went back
 * (other than by wrapping past 2^32), or advanced by far less than @dt.
 */
bool snmp_uptime_restarted(uint32_t prev, uint32_t now, double dt);

#endif
