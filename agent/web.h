/*
 * web.h - the web view inside sdcmond (libmicrohttpd): HTML pages from the
 * mustache templates (web-*.html.mustache), SVG graphs drawn from the
 * archives by the reports' chart module, the JSON API under /api/v1/,
 * Prometheus metrics at /metrics and the generated reports under /reports/.
 *
 * The server reads only the snapshots the agent publishes after each cycle
 * (snapshot.h) and the archives (librrd's thread-safe fetch), so it never
 * holds a lock the poller needs.  MHD runs its own threads (a small pool,
 * non-blocking I/O), so a slow client never blocks the others.
 *
 * Security: only GET and HEAD; TLS (MHD's HTTPS) when web.tls_cert and
 * web.tls_key are set; basic auth when web.users_file is set (the config
 * refuses a non-loopback listen address without both); limits on
 * connections (total and per IP), request size and time; security headers
 * on every response.
 */
#ifndef SDC_AGENT_WEB_H
#define SDC_AGENT_WEB_H

#include "sdc/config.h"
#include "sdc/error.h"
#include "snapshot.h"

/*
 * web_start - serve @cfg's web view (nothing when web.listen is "") from
 * the snapshots in @store, which must outlive the server.  Copies what it
 * needs from @cfg.
 * @return: SDC_OK; SDC_ERR_IO (cannot listen, cannot read the TLS files or
 *          the templates); SDC_ERR_CONFIG (a bad users file, with
 *          file:line); SDC_ERR_UNSUPPORTED (TLS asked for and libmicrohttpd
 *          built without it); SDC_ERR_NOMEM.
 */
enum sdc_rc web_start(const struct sdc_config *cfg, struct snap_store *store,
                      struct sdc_error *err);

/*
 * web_reload - take a reloaded configuration: restart the server when
 * anything of the web's changed (listen address, TLS, users, directories,
 * targets).  If the new one cannot start (the error is returned), the
 * web view stays off until the next reload.
 */
enum sdc_rc web_reload(const struct sdc_config *cfg, struct sdc_error *err);

/* web_stop - stop serving (waits for requests in flight); idempotent. */
void web_stop(void);

/* web_url - the base URL being served ("http://127.0.0.1:8080/"), or "". */
const char *web_url(void);

#endif
