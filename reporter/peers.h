/*
 * peers.h - pull the other agents' inventories and merge them into this
 * one before a report is built (DESIGN.md section 8: each agent keeps its
 * own inventory; the agent that writes reports pulls the others' over their
 * JSON API, GET <url>/api/v1/inventory, and merges them).
 *
 * Each peer of the config's `peers` list is asked over HTTP(S) with libcurl:
 * TLS verified against the peer's ca_file (or the system's CAs), HTTP basic
 * auth when a user is given, no redirects, a connect timeout and a timeout
 * for the whole pull, and a limit on the body.  The document is merged with
 * inventory_merge_json() (one transaction per peer: a peer that fails
 * leaves the inventory as it was).  One peer failing never stops the others
 * nor the report: each result says what happened, and the report shows it.
 */
#ifndef SDC_REPORTER_PEERS_H
#define SDC_REPORTER_PEERS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "inventory_export.h"
#include "sdc/config.h"
#include "sdc/error.h"

/* Largest body accepted from a peer by default (256 MiB). */
#define PEERS_MAX_BODY ((size_t)256 << 20)

/* The path of the inventory on a peer, appended to its url. */
#define PEERS_INVENTORY_PATH "/api/v1/inventory"

/*
 * struct peer_result - what pulling one peer did.
 * @name, @url: the peer (from the config)
 * @ok:         pulled and merged
 * @http_status: the HTTP status (0 when no answer came)
 * @bytes:      size of the body received
 * @seconds:    time the pull and the merge took
 * @stats:      rows added, updated and kept by the merge (when @ok)
 * @error:      why it failed ("" when @ok)
 */
struct peer_result {
    char name[65];
    char url[1100];
    bool ok;
    long http_status;
    size_t bytes;
    double seconds;
    struct inv_merge_stats stats;
    char error[SDC_ERROR_MSG_LEN];
};

/*
 * struct peers_opts
 * @max_body: largest body accepted; 0 for PEERS_MAX_BODY
 * @now:      the merging agent's time; 0 for the clock
 */
struct peers_opts {
    size_t max_body;
    time_t now;
};

/*
 * peers_pull_one - GET @peer's inventory and merge it into @db.
 * @out: filled in every case (ok, or the error)
 * @return: SDC_OK when pulled and merged; otherwise the error's code (the
 *          message is in @out->error).
 */
enum sdc_rc peers_pull_one(const struct sdc_peer_cfg *peer, struct inv *db,
                           const struct peers_opts *opts,
                           struct peer_result *out);

/*
 * peers_pull_all - pull every peer of @cfg into DATA_DIR/inventory.db.
 * @out, @n_out: one result per peer, in the config's order (free() it);
 *               NULL and 0 when @cfg has no peers
 * @return: SDC_OK even when peers failed (see the results); an error only
 *          when the inventory cannot be opened or memory runs out.
 */
enum sdc_rc peers_pull_all(const struct sdc_config *cfg,
                           const struct peers_opts *opts,
                           struct peer_result **out, size_t *n_out,
                           struct sdc_error *err);

/*
 * peers_results_json - the results as a JSON array for report.json:
 * [{"name", "url", "ok", "http_status", "bytes", "seconds", "added",
 *   "updated", "kept", "error"}].  NULL when out of memory.
 */
json_t *peers_results_json(const struct peer_result *r, size_t n);

/*
 * peers_add_to_report - record in a report's document (report.json) what
 * pulling the peers did: "peers" (peers_results_json()) and one note per
 * peer in "notes" (merged, with its counts; or could not be pulled, and
 * why), or one note saying the pull was skipped.
 * @n_peers: peers in the config; @skipped: the pull was not attempted
 *           (--no-peers); @r, @n: the results of peers_pull_all()
 * @return: SDC_OK or SDC_ERR_NOMEM.
 */
enum sdc_rc peers_add_to_report(json_t *doc, size_t n_peers, bool skipped,
                                const struct peer_result *r, size_t n);

#endif
