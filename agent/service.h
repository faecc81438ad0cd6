/*
 * service.h - sdcmond as a system service: the systemd notification
 * protocol (READY, STATUS, RELOADING, STOPPING, WATCHDOG through
 * libsystemd's sd_notify; each call does nothing when NOTIFY_SOCKET is not
 * set, so the same daemon runs under systemd, another supervisor or none)
 * and dropping root for the configured account.
 */
#ifndef SDC_AGENT_SERVICE_H
#define SDC_AGENT_SERVICE_H

#include <stdbool.h>

#include "agent.h"
#include "sdc/config.h"
#include "sdc/error.h"

/*
 * agent_notify_ready - startup (or a reload) is done: the configuration is
 * loaded, every socket is bound and the archives are open.  Sends READY=1,
 * MAINPID and a STATUS line.  Called once at the end of startup, just
 * before the first cycle, and after each reload.
 * @a: the running agent, for the status line
 */
void agent_notify_ready(const struct agent *a);

/*
 * agent_notify_status - STATUS= with the last cycle's summary (targets
 * answered, VMs, archive updates, duration), and a watchdog ping.
 * @a: the running agent
 */
void agent_notify_status(const struct agent *a);

/* agent_notify_reloading - RELOADING=1: a SIGHUP reload begins. */
void agent_notify_reloading(void);

/* agent_notify_stopping - STOPPING=1: SIGTERM (or SIGINT) was received. */
void agent_notify_stopping(void);

/*
 * agent_watchdog_slice - how long the main loop may wait before it must
 * ping the watchdog: half of WATCHDOG_USEC, or @left when there is no
 * watchdog (or @left is shorter).
 * @left: seconds the caller wants to wait
 * @return: seconds to wait now, at most @left
 */
double agent_watchdog_slice(double left);

/* agent_watchdog_ping - WATCHDOG=1 when systemd asked for a watchdog. */
void agent_watchdog_ping(void);

/*
 * agent_check_user - whether the configuration's `user` exists.
 * @cfg: the configuration; "" (no user) is valid
 * @return: SDC_OK; SDC_ERR_CONFIG "FILE:LINE: user 'x' does not exist"
 */
enum sdc_rc agent_check_user(const struct sdc_config *cfg,
                             struct sdc_error *err);

/*
 * agent_drop_privileges - when running as root and `user` is set, become
 * that account for good (initgroups, setgid, setuid, checked: root cannot
 * be regained) and set HOME, USER and LOGNAME to its own.  Called after
 * everything that needs root is done (the pid file, sockets on privileged
 * ports) and before the archives are opened, so that every file sdcmond
 * creates belongs to the account.  Not root: nothing to do (a `user` other
 * than the current account is logged).  Root without `user`: a warning.
 * @cfg:     the configuration (user, data_dir)
 * @created: sdcmond created data_dir just now, as root: hand it to the
 *           account (owner and mode 0750)
 * @return: SDC_OK; SDC_ERR_CONFIG (no such account, with file:line);
 *          SDC_ERR_IO (a switch that failed, or a data directory the
 *          account cannot write, naming owner, mode and the fix)
 */
enum sdc_rc agent_drop_privileges(const struct sdc_config *cfg, bool created,
                                  struct sdc_error *err);

#endif
