/*
 * thread_util.h - small helpers shared by sdcmond's worker threads (the
 * report thread, reports.c, and the delivery thread, delivery.c): their
 * signal mask and their monotonic wait deadlines.
 */
#ifndef SDC_AGENT_THREAD_UTIL_H
#define SDC_AGENT_THREAD_UTIL_H

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

/*
 * agent_thread_block_signals - block SIGTERM, SIGINT, SIGHUP and SIGPIPE in
 * the calling thread.
 *
 * The first three are main()'s (it takes them with sigtimedwait()), whatever
 * the thread that started this one blocked; with SIGPIPE blocked a peer that
 * goes away is an EPIPE, not the end of sdcmond.  Threads this one starts
 * inherit the mask.
 */
static inline void agent_thread_block_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/*
 * agent_deadline_after - the CLOCK_MONOTONIC time @seconds from now, for
 * pthread_cond_timedwait() on a condition variable that uses that clock.
 * @seconds: how long from now, not negative
 *
 * Return: the deadline, with tv_nsec below one second.
 */
static inline struct timespec agent_deadline_after(double seconds)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)seconds;
    until.tv_nsec += (long)((seconds - floor(seconds)) * 1e9);
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    return until;
}

#endif
