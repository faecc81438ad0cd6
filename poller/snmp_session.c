/*
 * snmp_session.c - SNMP sessions: the library's global set-up, one
 * single-session handle per device kept across cycles, SNMPv3 without the
 * synchronous engine-ID probe, and what the agents' Reports mean.
 *
 * SNMPv3: snmp_sess_open() would probe the agent's engine ID synchronously
 * (blocking the loop for up to timeout x retries on a dead device), so the
 * session is opened with SNMP_FLAGS_DONT_PROBE.  The engine loop sends the
 * probe itself (snmp_probe_pdu) like any request, and when the agent's
 * Report names its engine ID, snmp_dev_apply_engine() gives it to the
 * session and creates the USM user with keys localised to that engine.  The
 * first authenticated request then gets a notInTimeWindow Report, which
 * net-snmp answers by resending with the agent's boots and time.
 */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "snmp_priv.h"

double snmp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- global set-up ------------------------------------------------------ */

/* net-snmp's log lines: to sdc_log, one line, printable, bounded. */
static int snmp_log_cb(int major, int minor, void *serverarg, void *clientarg)
{
    const struct snmp_log_message *m = serverarg;
    char line[320];
    size_t n = 0;
    (void)major;
    (void)minor;
    (void)clientarg;
    if (!m || !m->msg)
        return 0;
    for (const char *p = m->msg; *p && n + 1 < sizeof(line); p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\n' || c == '\r')
            c = ' ';
        line[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    while (n > 0 && line[n - 1] == ' ')
        n--;
    line[n] = '\0';
    if (n == 0)
        return 0;
    sdc_log(m->priority <= LOG_ERR ? SDC_LOG_INFO : SDC_LOG_DEBUG,
            "snmp: net-snmp: %s", line);
    return 0;
}

static pthread_once_t snmp_once = PTHREAD_ONCE_INIT;

static void snmp_init_once(void)
{
    struct rlimit rl;

    /* no snmp.conf, no persistent files under /var/lib/snmp, no MIB files:
     * every OID we use is numeric */
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                           NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                           NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                           NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                           NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                           NETSNMP_DS_LIB_DONT_LOAD_HOST_FILES, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                           NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
    netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 0);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_ERRORS, 0);
    /* init_snmp() loads the MIB modules named by $MIBS, or a default
     * list: none are needed, so an empty list unless the user set one.
     * This runs before the agent starts any thread (see snmp.h). */
    if (!getenv("MIBS"))
        setenv("MIBS", "", 0);
    netsnmp_set_mib_directory("/nonexistent/sdcmon-no-mibs");
    /* the library's log lines go to sdc_log, never to stderr */
    snmp_disable_log();
    snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING,
                           snmp_log_cb, NULL);
    snmp_enable_calllog();
    init_snmp("sdcmond");

    /* one UDP socket per device */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

enum sdc_rc snmp_global_init(struct sdc_error *err)
{
    (void)err;
    pthread_once(&snmp_once, snmp_init_once);
    return SDC_OK;
}

/* ---- configuration --------------------------------------------------- */

const char *snmp_dev_label(const struct snmp_dev *d, char *buf, size_t len)
{
    snprintf(buf, len, "device %s (%s)", d->name, d->address);
    return buf;
}

static char *dup_str(const char *s)
{
    return strdup(s ? s : "");
}

static void wipe_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

static bool auth_proto_of(const char *name, const oid **proto, size_t *len)
{
    static const struct {
        const char *name;
        const oid *proto;
        size_t len;
    } t[] = {
        {"MD5", usmHMACMD5AuthProtocol, OID_LENGTH(usmHMACMD5AuthProtocol)},
        {"SHA", usmHMACSHA1AuthProtocol, OID_LENGTH(usmHMACSHA1AuthProtocol)},
        {"SHA-224", usmHMAC128SHA224AuthProtocol,
         OID_LENGTH(usmHMAC128SHA224AuthProtocol)},
        {"SHA-256", usmHMAC192SHA256AuthProtocol,
         OID_LENGTH(usmHMAC192SHA256AuthProtocol)},
        {"SHA-384", usmHMAC256SHA384AuthProtocol,
         OID_LENGTH(usmHMAC256SHA384AuthProtocol)},
        {"SHA-512", usmHMAC384SHA512AuthProtocol,
         OID_LENGTH(usmHMAC384SHA512AuthProtocol)},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (strcmp(name, t[i].name) == 0) {
            *proto = t[i].proto;
            *len = t[i].len;
            return true;
        }
    return false;
}

static bool priv_proto_of(const char *name, const oid **proto, size_t *len)
{
    static const struct {
        const char *name;
        const oid *proto;
        size_t len;
    } t[] = {
        {"DES", usmDESPrivProtocol, OID_LENGTH(usmDESPrivProtocol)},
        {"AES", usmAESPrivProtocol, OID_LENGTH(usmAESPrivProtocol)},
        {"AES-192", usmAES192PrivProtocol, OID_LENGTH(usmAES192PrivProtocol)},
        {"AES-256", usmAES256PrivProtocol, OID_LENGTH(usmAES256PrivProtocol)},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (strcmp(name, t[i].name) == 0) {
            *proto = t[i].proto;
            *len = t[i].len;
            return true;
        }
    return false;
}

/* The master key Ku of a passphrase, hashed with the auth protocol. */
static enum sdc_rc make_ku(const struct snmp_dev *d, const char *pass,
                           unsigned char *ku, size_t *kulen,
                           struct sdc_error *err)
{
    *kulen = USM_AUTH_KU_LEN;
    if (generate_Ku(d->auth_proto, (u_int)d->auth_proto_len,
                    (const u_char *)pass, strlen(pass), ku,
                    kulen) != SNMPERR_SUCCESS)
        return sdc_error_set(err, SDC_ERR_SNMP,
                             "snmp: device %s: cannot derive a key from the "
                             "v3 passphrase",
                             d->name);
    return SDC_OK;
}

static enum sdc_rc setup_v3(struct snmp_dev *d, const struct sdc_snmp_cfg *c,
                            struct sdc_error *err)
{
    enum sdc_rc rc;
    if (*c->auth_protocol &&
        !auth_proto_of(c->auth_protocol, &d->auth_proto, &d->auth_proto_len))
        return sdc_error_set(err, SDC_ERR_UNSUPPORTED,
                             "snmp: device %s: auth protocol %s is not "
                             "supported by this net-snmp",
                             d->name, c->auth_protocol);
    if (*c->priv_protocol &&
        !priv_proto_of(c->priv_protocol, &d->priv_proto, &d->priv_proto_len))
        return sdc_error_set(err, SDC_ERR_UNSUPPORTED,
                             "snmp: device %s: privacy protocol %s is not "
                             "supported by this net-snmp",
                             d->name, c->priv_protocol);
    if (d->auth_proto) {
        rc = make_ku(d, c->auth_password, d->auth_ku, &d->auth_ku_len, err);
        if (rc != SDC_OK)
            return rc;
    }
    if (d->priv_proto) {
        rc = make_ku(d, c->priv_password, d->priv_ku, &d->priv_ku_len, err);
        if (rc != SDC_OK)
            return rc;
    }
    return SDC_OK;
}

static enum sdc_rc compile_re(const struct snmp_dev *d, const char *re,
                              regex_t *rx, bool *has, struct sdc_error *err)
{
    char msg[128];
    int rc;
    if (!re || !*re)
        return SDC_OK;
    rc = regcomp(rx, re, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        regerror(rc, rx, msg, sizeof(msg));
        return sdc_error_set(err, SDC_ERR_CONFIG,
                             "snmp: device %s: bad interface regex '%s': %s",
                             d->name, re, msg);
    }
    *has = true;
    return SDC_OK;
}

enum sdc_rc snmp_dev_setup(struct snmp_dev *d, const struct sdc_snmp_cfg *c,
                           struct sdc_error *err)
{
    enum sdc_rc rc;

    d->name = dup_str(c->name);
    d->address = dup_str(c->address);
    d->community = dup_str(c->community);
    d->user = dup_str(c->user);
    d->context = dup_str(c->context);
    if (!d->name || !d->address || !d->community || !d->user || !d->context)
        return sdc_error_set(err, SDC_ERR_NOMEM, "snmp: out of memory");
    d->version = c->version;
    d->role = c->role;
    d->timeout = c->timeout > 0 ? c->timeout : 2.0;
    d->retries = c->retries >= 0 ? c->retries : 1;
    if (d->version == 3 && (rc = setup_v3(d, c, err)) != SDC_OK)
        return rc;
    if ((rc = compile_re(d, c->if_include, &d->if_include, &d->has_include,
                         err)) != SDC_OK ||
        (rc = compile_re(d, c->if_exclude, &d->if_exclude, &d->has_exclude,
                         err)) != SDC_OK)
        return rc;
    if (c->n_uplinks) {
        d->uplinks = calloc(c->n_uplinks, sizeof(*d->uplinks));
        if (!d->uplinks)
            return sdc_error_set(err, SDC_ERR_NOMEM, "snmp: out of memory");
        for (size_t i = 0; i < c->n_uplinks; i++) {
            d->uplinks[i] = dup_str(c->uplinks[i]);
            if (!d->uplinks[i])
                return sdc_error_set(err, SDC_ERR_NOMEM, "snmp: out of memory");
            d->n_uplinks = i + 1;
        }
    }
    if (c->n_custom) {
        d->custom = calloc(c->n_custom, sizeof(*d->custom));
        if (!d->custom)
            return sdc_error_set(err, SDC_ERR_NOMEM, "snmp: out of memory");
        d->n_custom = c->n_custom;
        for (size_t i = 0; i < c->n_custom; i++) {
            const struct sdc_snmp_custom *in = &c->custom[i];
            struct snmp_custom *o = &d->custom[i];
            o->name = dup_str(in->name);
            o->storage = in->storage ? dup_str(in->storage) : NULL;
            if (!o->name || (in->storage && !o->storage))
                return sdc_error_set(err, SDC_ERR_NOMEM, "snmp: out of memory");
            if (!snmp_oid_parse(in->oid, &o->oid))
                return sdc_error_set(err, SDC_ERR_CONFIG,
                                     "snmp: device %s: custom %s: bad OID "
                                     "'%s'",
                                     d->name, in->name, in->oid);
            o->type = in->type;
            o->as = in->as;
            o->table = in->table;
            o->scale = in->scale > 0 ? in->scale : 1.0;
        }
    }
    return SDC_OK;
}

void snmp_dev_teardown(struct snmp_dev *d)
{
    snmp_dev_close(d);
    snmp_dev_free_plan(d);
    free(d->name);
    free(d->address);
    wipe_free(d->community);
    free(d->user);
    free(d->context);
    explicit_bzero(d->auth_ku, sizeof(d->auth_ku));
    explicit_bzero(d->priv_ku, sizeof(d->priv_ku));
    if (d->has_include)
        regfree(&d->if_include);
    if (d->has_exclude)
        regfree(&d->if_exclude);
    for (size_t i = 0; i < d->n_uplinks; i++)
        free(d->uplinks[i]);
    free(d->uplinks);
    for (size_t i = 0; i < d->n_custom; i++) {
        free(d->custom[i].name);
        free(d->custom[i].storage);
    }
    free(d->custom);
    for (size_t i = 0; i < d->n_hist; i++)
        free(d->hist[i].key);
    free(d->hist);
    memset(d, 0, sizeof(*d));
}

/* ---- sessions ----------------------------------------------------------- */

static void open_failed(struct snmp_dev *d)
{
    double delay = SNMP_REOPEN_FIRST;
    d->open_failures++;
    for (unsigned i = 1; i < d->open_failures && delay < SNMP_REOPEN_MAX; i++)
        delay *= 2;
    d->reopen_at = snmp_now() + fmin(delay, SNMP_REOPEN_MAX);
}

enum sdc_rc snmp_dev_open(struct snmp_dev *d, struct sdc_error *err)
{
    netsnmp_session s;
    char label[300];
    double now = snmp_now();

    if (d->sess)
        return SDC_OK;
    snmp_dev_label(d, label, sizeof(label));
    if (d->open_failures > 0 && now < d->reopen_at)
        return sdc_error_set(err, SDC_ERR_SNMP,
                             "%s: no session (opening failed); next attempt "
                             "in %.0f s",
                             label, d->reopen_at - now);
    snmp_sess_init(&s);
    s.peername = d->address;
    s.timeout = (long)(d->timeout * 1e6);
    s.retries = d->retries;
    if (d->version == 3) {
        s.version = SNMP_VERSION_3;
        s.securityModel = SNMP_SEC_MODEL_USM;
        s.securityName = d->user;
        s.securityNameLen = strlen(d->user);
        s.securityLevel = d->priv_proto   ? SNMP_SEC_LEVEL_AUTHPRIV
                          : d->auth_proto ? SNMP_SEC_LEVEL_AUTHNOPRIV
                                          : SNMP_SEC_LEVEL_NOAUTH;
        /* never the synchronous engine-ID probe: see the file comment */
        s.flags |= SNMP_FLAGS_DONT_PROBE;
        if (d->auth_proto) {
            s.securityAuthProto = (oid *)d->auth_proto;
            s.securityAuthProtoLen = d->auth_proto_len;
            memcpy(s.securityAuthKey, d->auth_ku, d->auth_ku_len);
            s.securityAuthKeyLen = d->auth_ku_len;
        }
        if (d->priv_proto) {
            s.securityPrivProto = (oid *)d->priv_proto;
            s.securityPrivProtoLen = d->priv_proto_len;
            memcpy(s.securityPrivKey, d->priv_ku, d->priv_ku_len);
            s.securityPrivKeyLen = d->priv_ku_len;
        }
        if (*d->context) {
            s.contextName = d->context;
            s.contextNameLen = strlen(d->context);
        }
    } else {
        s.version = d->version == 1 ? SNMP_VERSION_1 : SNMP_VERSION_2c;
        s.community = (u_char *)d->community;
        s.community_len = strlen(d->community);
    }
    d->sess = snmp_sess_open(&s);
    /* the copies in @s were only borrowed; clear the key material */
    explicit_bzero(s.securityAuthKey, sizeof(s.securityAuthKey));
    explicit_bzero(s.securityPrivKey, sizeof(s.securityPrivKey));
    if (!d->sess) {
        int liberr = 0, syserr = 0;
        char *msg = NULL;
        snmp_error(&s, &liberr, &syserr, &msg);
        sdc_error_set(err, SDC_ERR_SNMP, "%s: cannot open a session: %s", label,
                      msg ? msg : "unknown error");
        free(msg);
        open_failed(d);
        return SDC_ERR_SNMP;
    }
    /* net-snmp 5.9 clears the flag while opening and would then probe at
     * the first send, synchronously: set it again on the session itself */
    if (d->version == 3 && snmp_sess_session(d->sess))
        snmp_sess_session(d->sess)->flags |= SNMP_FLAGS_DONT_PROBE;
    if (d->open_failures > 0)
        SDC_NOTICE("snmp: %s: session opened after %u failures", label,
                   d->open_failures);
    d->open_failures = 0;
    d->engine_applied = false;
    return SDC_OK;
}

void snmp_dev_close(struct snmp_dev *d)
{
    if (!d->sess)
        return;
    /* close() runs the callbacks of requests still queued: make them see
     * dead slots */
    for (size_t i = 0; i < d->njobs; i++)
        d->jobs[i].slot.live = false;
    snmp_sess_close(d->sess);
    d->sess = NULL;
    d->engine_applied = false;
}

bool snmp_dev_needs_discovery(const struct snmp_dev *d)
{
    return d->version == 3 && !d->engine_applied;
}

netsnmp_pdu *snmp_probe_pdu(void)
{
    netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GET);
    if (!pdu)
        return NULL;
    pdu->version = SNMP_VERSION_3;
    pdu->securityModel = SNMP_SEC_MODEL_USM;
    pdu->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
    /* an empty user name: the agent answers usmStatsUnknownEngineIDs */
    pdu->securityName = strdup("");
    if (!pdu->securityName) {
        snmp_free_pdu(pdu);
        return NULL;
    }
    pdu->securityNameLen = 0;
    return pdu;
}

/* Same credentials (protocols and master keys) as another device's. */
static bool same_credentials(const struct snmp_dev *a, const struct snmp_dev *b)
{
    return a->auth_proto == b->auth_proto && a->priv_proto == b->priv_proto &&
           a->auth_ku_len == b->auth_ku_len &&
           a->priv_ku_len == b->priv_ku_len &&
           memcmp(a->auth_ku, b->auth_ku, a->auth_ku_len) == 0 &&
           memcmp(a->priv_ku, b->priv_ku, a->priv_ku_len) == 0;
}

static void hex(const unsigned char *b, size_t n, char *out, size_t outlen)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 3 <= outlen; i++, k += 2)
        snprintf(out + k, outlen - k, "%02x", b[i]);
    if (outlen)
        out[k < outlen ? k : outlen - 1] = '\0';
}

enum sdc_rc snmp_dev_apply_engine(struct snmp_dev *d, struct sdc_error *err)
{
    netsnmp_session *s;
    char label[300], eid[2 * SNMP_ENGINE_ID_MAX + 1];
    unsigned char *copy, *ccopy = NULL;

    snmp_dev_label(d, label, sizeof(label));
    if (!d->sess || d->engine_id_len == 0)
        return sdc_error_set(err, SDC_ERR_SNMP, "%s: no engine ID to apply",
                             label);
    hex(d->engine_id, d->engine_id_len, eid, sizeof(eid));
    /*
     * net-snmp keeps one USM user per (engine ID, user name) for the whole
     * process: two devices that reach the same agent engine with the same
     * user name must use the same credentials, or they would overwrite each
     * other's keys.  The first one keeps them.
     */
    for (size_t i = 0; i < d->eng->n; i++) {
        const struct snmp_dev *o = &d->eng->devs[i];
        if (o == d || o->version != 3 || !o->engine_applied ||
            o->engine_id_len != d->engine_id_len ||
            memcmp(o->engine_id, d->engine_id, d->engine_id_len) != 0 ||
            strcmp(o->user, d->user) != 0 || same_credentials(o, d))
            continue;
        return sdc_error_set(err, SDC_ERR_CONFIG,
                             "%s: v3 user '%s' on engine %s is also used by "
                             "device %s with other credentials (net-snmp "
                             "keeps one key per engine and user)",
                             label, d->user, eid, o->name);
    }
    s = snmp_sess_session(d->sess);
    copy = malloc(d->engine_id_len);
    if (!s || !copy) {
        free(copy);
        return sdc_error_set(err, SDC_ERR_NOMEM, "%s: out of memory", label);
    }
    /* a fresh session has no context engine ID: the agent's own */
    if (s->contextEngineIDLen == 0) {
        ccopy = malloc(d->engine_id_len);
        if (!ccopy) {
            free(copy);
            return sdc_error_set(err, SDC_ERR_NOMEM, "%s: out of memory",
                                 label);
        }
        memcpy(ccopy, d->engine_id, d->engine_id_len);
    }
    memcpy(copy, d->engine_id, d->engine_id_len);
    free(s->securityEngineID);
    s->securityEngineID = copy;
    s->securityEngineIDLen = d->engine_id_len;
    if (ccopy) {
        free(s->contextEngineID);
        s->contextEngineID = ccopy;
        s->contextEngineIDLen = d->engine_id_len;
    }
    /* (re)create the USM user for this engine from the session's keys */
    s->flags &= ~SNMP_FLAGS_USER_CREATED;
    if (usm_create_user_from_session(s) != SNMPERR_SUCCESS)
        return sdc_error_set(err, SDC_ERR_SNMP,
                             "%s: cannot create the v3 user '%s' for engine "
                             "%s",
                             label, d->user, eid);
    d->engine_applied = true;
    SDC_DEBUG("snmp: %s: engine ID %s", label, eid);
    return SDC_OK;
}

const char *snmp_report_text(int report_type)
{
    switch (report_type) {
    case SNMPERR_AUTHENTICATION_FAILURE:
        return "authentication failure (wrong v3 password?)";
    case SNMPERR_DECRYPTION_ERR:
        return "decryption failure (wrong v3 privacy password or protocol?)";
    case SNMPERR_UNKNOWN_USER_NAME:
        return "unknown v3 user (not configured on the agent?)";
    case SNMPERR_UNSUPPORTED_SEC_LEVEL:
        return "security level not supported for this user (auth or privacy "
               "not configured on the agent?)";
    case SNMPERR_UNKNOWN_ENG_ID:
        return "the agent's engine ID changed; discovering it again next "
               "cycle";
    case SNMPERR_NOT_IN_TIME_WINDOW:
        return "not in time window (agent clock or boots changed)";
    }
    return "the agent refused the request with an SNMPv3 report";
}
