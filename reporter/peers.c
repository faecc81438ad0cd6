/*
 * peers.c - pull the other agents' inventories over their JSON API and
 * merge them (peers.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "peers.h"

/* Seconds allowed to connect, within the peer's whole timeout. */
#define PEERS_CONNECT_TIMEOUT 10

struct body {
    char *p;
    size_t len, cap, max;
    bool too_big;
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *user)
{
    struct body *b = user;
    size_t n = size * nmemb;
    if (n > b->max - b->len) {
        b->too_big = true;
        return 0; /* libcurl stops with CURLE_WRITE_ERROR */
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        char *np;
        while (cap < b->len + n + 1)
            cap *= 2;
        np = realloc(b->p, cap);
        if (!np)
            return 0;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return n;
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static enum sdc_rc fail(struct peer_result *r, enum sdc_rc rc, const char *fmt,
                        ...) __attribute__((format(printf, 3, 4)));

static enum sdc_rc fail(struct peer_result *r, enum sdc_rc rc, const char *fmt,
                        ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof(r->error), fmt, ap);
    va_end(ap);
    /* a message may quote the peer's answer (JSON errors show the token
     * they stopped at): it goes to a terminal and into report.json, so
     * control characters and bytes that may not be UTF-8 become '?' */
    for (char *p = r->error; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c >= 0x7f)
            *p = '?';
    }
    r->ok = false;
    return rc;
}

/* GET the document into @b; the result's error on failure. */
static enum sdc_rc fetch(const struct sdc_peer_cfg *peer, const char *url,
                         struct body *b, struct peer_result *r)
{
    char ebuf[CURL_ERROR_SIZE] = "";
    char ua[64];
    CURL *h = curl_easy_init();
    CURLcode cc;
    int brc = 0;

    if (!h)
        return fail(r, SDC_ERR_NOMEM, "cannot start libcurl");
    snprintf(ua, sizeof(ua), "sdcmon-report/%s", SDC_VERSION);
    brc |= curl_easy_setopt(h, CURLOPT_URL, url);
    brc |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    brc |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    brc |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    brc |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
    brc |= curl_easy_setopt(h, CURLOPT_USERAGENT, ua);
    brc |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
                            (long)(peer->timeout < PEERS_CONNECT_TIMEOUT
                                       ? peer->timeout
                                       : PEERS_CONNECT_TIMEOUT));
    brc |= curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)peer->timeout);
    brc |= curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)b->max);
    brc |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    brc |= curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
    brc |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    brc |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    brc |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    if (*peer->ca_file)
        brc |= curl_easy_setopt(h, CURLOPT_CAINFO, peer->ca_file);
    if (*peer->user) {
        brc |= curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        brc |= curl_easy_setopt(h, CURLOPT_USERNAME, peer->user);
        brc |= curl_easy_setopt(h, CURLOPT_PASSWORD, peer->password);
    }
    if (brc != CURLE_OK) {
        curl_easy_cleanup(h);
        return fail(r, SDC_ERR_INVALID, "libcurl refused an option for %s",
                    url);
    }
    cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->http_status);
    curl_easy_cleanup(h);
    r->bytes = b->len;
    if (b->too_big || cc == CURLE_FILESIZE_EXCEEDED)
        return fail(r, SDC_ERR_INVALID,
                    "GET %s: the answer is larger than %zu bytes", url, b->max);
    if (cc == CURLE_OPERATION_TIMEDOUT)
        return fail(r, SDC_ERR_TIMEOUT, "GET %s: no answer within %d s: %s",
                    url, peer->timeout, *ebuf ? ebuf : curl_easy_strerror(cc));
    if (cc != CURLE_OK)
        return fail(r, SDC_ERR_IO, "GET %s: %s", url,
                    *ebuf ? ebuf : curl_easy_strerror(cc));
    if (r->http_status == 401 || r->http_status == 403)
        return fail(r, SDC_ERR_IO,
                    "GET %s: HTTP %ld: the peer refused user '%s' (check "
                    "user and password)",
                    url, r->http_status, peer->user);
    if (r->http_status != 200)
        return fail(r, SDC_ERR_IO, "GET %s: HTTP %ld", url, r->http_status);
    return SDC_OK;
}

enum sdc_rc peers_pull_one(const struct sdc_peer_cfg *peer, struct inv *db,
                           const struct peers_opts *opts,
                           struct peer_result *out)
{
    struct body b = {0};
    char url[1200];
    size_t ulen;
    json_error_t je;
    json_t *doc = NULL;
    struct sdc_error err = {0};
    double t0 = mono_now();
    enum sdc_rc rc;

    memset(out, 0, sizeof(*out));
    snprintf(out->name, sizeof(out->name), "%s", peer->name);
    snprintf(out->url, sizeof(out->url), "%s", peer->url);
    b.max = opts && opts->max_body ? opts->max_body : PEERS_MAX_BODY;
    ulen = strlen(peer->url);
    while (ulen > 0 && peer->url[ulen - 1] == '/')
        ulen--;
    snprintf(url, sizeof(url), "%.*s%s", (int)ulen, peer->url,
             PEERS_INVENTORY_PATH);

    rc = fetch(peer, url, &b, out);
    if (rc == SDC_OK) {
        doc = json_loadb(b.p ? b.p : "", b.len, JSON_REJECT_DUPLICATES, &je);
        if (!doc)
            rc = fail(out, SDC_ERR_INVALID,
                      "GET %s: the answer is not JSON (line %d: %s)", url,
                      je.line, je.text);
    }
    free(b.p);
    if (rc == SDC_OK) {
        rc = inventory_merge_json(db, doc, peer->name, opts ? opts->now : 0,
                                  &out->stats, &err);
        if (rc != SDC_OK)
            fail(out, rc, "%s: refused: %s", url, err.msg);
    }
    json_decref(doc);
    out->ok = rc == SDC_OK;
    out->seconds = mono_now() - t0;
    return rc;
}

enum sdc_rc peers_pull_all(const struct sdc_config *cfg,
                           const struct peers_opts *opts,
                           struct peer_result **out, size_t *n_out,
                           struct sdc_error *err)
{
    struct peer_result *res;
    struct inv *db = NULL;
    char path[4096];
    enum sdc_rc rc;

    *out = NULL;
    *n_out = 0;
    if (cfg->n_peers == 0)
        return SDC_OK;
    res = calloc(cfg->n_peers, sizeof(*res));
    if (!res)
        return sdc_error_set(err, SDC_ERR_NOMEM, "peers: out of memory");
    snprintf(path, sizeof(path), "%s/inventory.db", cfg->data_dir);
    rc = inv_open(path, &db, err);
    if (rc != SDC_OK) {
        free(res);
        return rc;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        inv_close(db);
        free(res);
        return sdc_error_set(err, SDC_ERR_NOMEM,
                             "peers: libcurl would not "
                             "start");
    }
    for (size_t i = 0; i < cfg->n_peers; i++)
        peers_pull_one(&cfg->peers[i], db, opts, &res[i]);
    curl_global_cleanup();
    inv_close(db);
    *out = res;
    *n_out = cfg->n_peers;
    return SDC_OK;
}

json_t *peers_results_json(const struct peer_result *r, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        json_t *o = json_pack(
            "{s:s, s:s, s:b, s:I, s:I, s:f, s:I, s:I, s:I, s:s}", "name",
            r[i].name, "url", r[i].url, "ok", r[i].ok, "http_status",
            (json_int_t)r[i].http_status, "bytes", (json_int_t)r[i].bytes,
            "seconds", r[i].seconds, "added", (json_int_t)r[i].stats.added,
            "updated", (json_int_t)r[i].stats.updated, "kept",
            (json_int_t)r[i].stats.kept, "error", r[i].error);
        if (!o || json_array_append_new(arr, o) != 0) {
            json_decref(o);
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

enum sdc_rc peers_add_to_report(json_t *doc, size_t n_peers, bool skipped,
                                const struct peer_result *r, size_t n)
{
    json_t *arr = peers_results_json(r, n), *notes;
    char note[SDC_ERROR_MSG_LEN + 160];
    if (!arr || json_object_set_new(doc, "peers", arr) != 0)
        return SDC_ERR_NOMEM;
    notes = json_object_get(doc, "notes");
    if (!json_is_array(notes)) {
        notes = json_array();
        if (!notes || json_object_set_new(doc, "notes", notes) != 0)
            return SDC_ERR_NOMEM;
    }
    if (skipped && n_peers > 0) {
        snprintf(note, sizeof(note),
                 "The inventories of the %zu peer agent(s) were not pulled "
                 "(--no-peers): what they poll is as of their last merge.",
                 n_peers);
        if (json_array_append_new(notes, json_string(note)) != 0)
            return SDC_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (r[i].ok)
            snprintf(note, sizeof(note),
                     "Inventory of peer agent %s merged: %zu rows added, "
                     "%zu updated, %zu unchanged.",
                     r[i].name, r[i].stats.added, r[i].stats.updated,
                     r[i].stats.kept);
        else
            snprintf(note, sizeof(note),
                     "Peer agent %s could not be pulled, so its inventory is "
                     "as of its last merge (or missing): %s",
                     r[i].name, r[i].error);
        if (json_array_append_new(notes, json_string(note)) != 0)
            return SDC_ERR_NOMEM;
    }
    return SDC_OK;
}
