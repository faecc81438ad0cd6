/*
 * rrd_proc.h - librrd's updates done by a child process of their own.
 *
 * librrd maps every archive it updates and unmaps it afterwards.  In a
 * process whose other threads are running on other cores (the web view
 * under load), each unmap must interrupt those cores to flush their TLBs,
 * and the updating thread waits for them; the other threads are interrupted
 * thousands of times a cycle.  A child process has an address space of its
 * own, used by one thread, so its unmaps interrupt nobody.  A crash inside
 * librrd on a damaged archive also costs that one update and a new child,
 * not the agent.
 *
 * The child is the agent's own program started with RRDP_CHILD_ARG; its
 * main() hands over to rrdp_child_main() at once.  Updates go to it in
 * order over a socketpair and are answered in order; the parent pipelines
 * them (no round trip per archive).
 */
#ifndef SDC_RRD_PROC_H
#define SDC_RRD_PROC_H

#include <stddef.h>
#include <sys/types.h>

#include "sdc/error.h"

/* The argument that makes the agent's program an update child. */
#define RRDP_CHILD_ARG "--rrd-writer"

struct rrdp;

/* One update: the archive's absolute path and librrd's "t:v:v..." line. */
struct rrdp_item {
    const char *path;
    const char *line;
};

/*
 * rrdp_result_fn - the outcome of update @i: @msg is NULL when it was done,
 * else librrd's error (or why the child could not do it).
 */
typedef void (*rrdp_result_fn)(void *ctx, size_t i, const char *msg);

/*
 * rrdp_new - a writer process pool of one, started from @exe (an absolute
 * path, e.g. "/proc/self/exe") with RRDP_CHILD_ARG.  The child is started
 * at once (to report a program that cannot start) and again whenever it
 * has died.  Signals TERM, INT and HUP are blocked in the child: it ends
 * when the parent closes its socket (or dies), after the update in hand.
 */
enum sdc_rc rrdp_new(const char *exe, struct rrdp **out, struct sdc_error *err);

/* rrdp_free - close the socket and wait for the child (killed after 10 s). */
void rrdp_free(struct rrdp *p);

/*
 * rrdp_update - have the child do @n updates, in order, and call @fn once
 * for each.  A child that dies or stays silent for the timeout (60 s)
 * fails the update it had in hand; a new child does the rest (up to three
 * times a call, then the rest fail).  Not thread-safe: one caller at a
 * time (the writer holds a lock).
 */
void rrdp_update(struct rrdp *p, const struct rrdp_item *items, size_t n,
                 rrdp_result_fn fn, void *ctx);

/* rrdp_set_timeout - how long a child may stay silent in a call before it
 * is killed (@ms <= 0: the default, 60 s). */
void rrdp_set_timeout(struct rrdp *p, int ms);

/* rrdp_pid - the running child's PID, 0 when none. */
pid_t rrdp_pid(const struct rrdp *p);

/* rrdp_restarts - children started after the first one. */
unsigned long rrdp_restarts(const struct rrdp *p);

/*
 * rrdp_child_main - serve updates read from @fd until end of file.
 * @return: the child's exit status (0 at end of file, 2 on a broken
 * request).  Prints nothing.
 */
int rrdp_child_main(int fd);

#endif
