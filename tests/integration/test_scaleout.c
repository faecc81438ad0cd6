/*
 * test_scaleout.c - several agents, one archive store (DESIGN.md section 8),
 * and the agent's reliability through rrdcached:
 *
 *  1. the pull of a peer's inventory (reporter/peers.c) from a real HTTPS
 *     server on loopback (libmicrohttpd, a certificate the test makes with
 *     openssl, basic auth) serving inventory_export_json() of a real second
 *     agent's inventory: merged; refused for a wrong password, an unknown
 *     CA, a name the certificate does not carry, a body over the limit,
 *     garbage, hostile rows (nothing written), a peer too slow, a port that
 *     refuses;
 *  2. a real rrdcached on loopback TCP and two sdcmond with disjoint
 *     hypervisors writing through it (each with its own data directory and
 *     inventory); the archives on disk lack what the daemon holds, yet
 *     sdcmon-report monthly for the current month (pulling agent B's
 *     inventory from B's own web view, /api/v1/inventory over TLS with
 *     basic auth) and `rrdtool fetch --daemon` see every entity
 *     of both agents, with the values of the last cycles; a failing peer
 *     (a wrong password: B's 401) is named in the report, which is still
 *     written; --no-peers;
 *  3. SIGTERM in the middle of a cycle through rrdcached: the cycle
 *     finishes, sdcmond flushes and exits 0; rrdcached is then killed with
 *     SIGKILL (it cannot flush anything itself) and every update of the
 *     cycle is in the files on disk, with the fixture's values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "inventory.h"
#include "inventory_export.h"
#include "itest.h"
#include "peers.h"
#include "testutil.h"

#define FIX SDC_SOURCE_DIR "/tests/fixtures"
#define DC SDC_SOURCE_DIR "/demo/dc"
#define REPORT_BIN SDC_BINARY_DIR "/sdcmon-report"
#define TEMPLATES SDC_SOURCE_DIR "/templates"

#define PEER_USER "report"
#define PEER_PASS "s3cret-b"

#define UUID_WEB01 "7f3c1a2e-0001-4a00-8000-00000000a001" /* on hv-a */
#define UUID_APP01 "7f3c1a2e-0006-4a00-8000-00000000b001" /* on hv-b */

struct ctx {
    char *dir;
};

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    c->dir = tu_tmpdir("scaleout");
    assert_non_null(c->dir);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    tu_drop_tmpdir(c->dir);
    free(c);
    return 0;
}

/* ---- a CA and a server certificate for 127.0.0.1, made with openssl ---- */

static void make_certs(const char *dir)
{
    char *ext = it_path(dir, "srv.ext");
    assert_true(tu_write_file(ext,
                              "subjectAltName=IP:127.0.0.1\n"
                              "basicConstraints=CA:FALSE\n"
                              "keyUsage=digitalSignature,keyEncipherment\n"
                              "extendedKeyUsage=serverAuth\n",
                              0600));
    assert_int_equal(
        tu_runf(NULL,
                "cd '%s' && openssl req -x509 -newkey ec -pkeyopt "
                "ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out "
                "ca.pem -days 2 -subj '/CN=sdcmon test CA' 2>&1 && openssl "
                "req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                "-keyout srv.key -out srv.csr -subj '/CN=127.0.0.1' 2>&1 && "
                "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key "
                "-CAcreateserial -out srv.pem -days 2 -extfile srv.ext 2>&1",
                dir),
        0);
    free(ext);
}

/* ---- the peer: agent B's JSON API, as the web view will serve it ---- */

struct peer_srv {
    struct MHD_Daemon *d;
    int port;
    char *db_path; /* the agent's inventory, exported at each request */
    unsigned requests;
};

/*
 * inventory_export_json() of the inventory at @path, as text; with @hostile,
 * the first VM's uuid is a path.  NULL on failure.
 */
static char *export_text(const char *path, bool hostile, size_t *rows)
{
    struct inv *db = NULL;
    struct sdc_error err = {0};
    json_t *doc, *v;
    const char *k;
    char *text;

    if (inv_open(path, &db, &err) != SDC_OK)
        return NULL;
    doc = inventory_export_json(db, 0, &err);
    inv_close(db);
    if (!doc)
        return NULL;
    if (rows) {
        *rows = 0;
        json_object_foreach(doc, k, v) if (json_is_array(v)) *rows +=
            json_array_size(v);
    }
    if (hostile)
        json_object_set_new(json_array_get(json_object_get(doc, "vms"), 0),
                            "uuid", json_string("../../../etc/passwd"));
    text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return text;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status,
                             const char *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;
    MHD_add_response_header(r, "Content-Type", "application/json");
    ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    struct peer_srv *s = cls;
    char *pass = NULL, *user;
    bool auth;
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)con_cls;

    __atomic_add_fetch(&s->requests, 1, __ATOMIC_SEQ_CST);
    if (strcmp(method, "GET") != 0)
        return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "{}");
    user = MHD_basic_auth_get_username_password(conn, &pass);
    auth = user && pass && strcmp(user, PEER_USER) == 0 &&
           strcmp(pass, PEER_PASS) == 0;
    MHD_free(user);
    MHD_free(pass);
    if (!auth) {
        struct MHD_Response *r = MHD_create_response_from_buffer(
            2, (void *)"{}", MHD_RESPMEM_PERSISTENT);
        enum MHD_Result ret =
            MHD_queue_basic_auth_fail_response(conn, "sdcmon", r);
        MHD_destroy_response(r);
        return ret;
    }
    if (strcmp(url, "/ok/api/v1/inventory") == 0 ||
        strcmp(url, "/hostile/api/v1/inventory") == 0) {
        char *text = export_text(s->db_path, url[1] == 'h', NULL);
        enum MHD_Result ret =
            text ? reply(conn, MHD_HTTP_OK, text)
                 : reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "{}");
        free(text);
        return ret;
    }
    if (strcmp(url, "/garbage/api/v1/inventory") == 0)
        return reply(conn, MHD_HTTP_OK, "<html>not an inventory</html>");
    if (strcmp(url, "/ctrl/api/v1/inventory") == 0)
        return reply(conn, MHD_HTTP_OK, "\x1b]0;owned\x07\x1b[2J\xff\xfe");
    if (strcmp(url, "/slow/api/v1/inventory") == 0) {
        sleep(3);
        return reply(conn, MHD_HTTP_OK, "{}");
    }
    return reply(conn, MHD_HTTP_NOT_FOUND, "{}");
}

/* Serve the inventory at @db_path over HTTPS on a free port of 127.0.0.1. */
static void peer_start(struct peer_srv *s, const char *dir, const char *db_path)
{
    char *kp = it_path(dir, "srv.key"), *cp = it_path(dir, "srv.pem");
    char *key = tu_read_file(kp), *cert = tu_read_file(cp);
    struct sockaddr_in sa = {0};
    const union MHD_DaemonInfo *info;

    assert_non_null(key);
    assert_non_null(cert);
    assert_true(MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES);
    s->db_path = strdup(db_path);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
            MHD_USE_TLS,
        0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &sa,
        MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_HTTPS_MEM_CERT, cert,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    assert_non_null(s->d);
    info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    assert_non_null(info);
    s->port = info->port;
    assert_true(s->port > 0);
    free(key);
    free(cert);
    free(kp);
    free(cp);
}

static void peer_stop(struct peer_srv *s)
{
    MHD_stop_daemon(s->d);
    free(s->db_path);
}

static long sql_long(const char *path, const char *sql)
{
    char *out = NULL;
    long v;
    assert_int_equal(tu_runf(&out, "sqlite3 '%s' \"%s\"", path, sql), 0);
    v = strtol(out, NULL, 10);
    free(out);
    return v;
}

static char *sql_dump(const char *path)
{
    char *out = NULL;
    assert_int_equal(tu_runf(&out, "sqlite3 '%s' .dump", path), 0);
    return out;
}

/* ---- 1. the pull, case by case ---- */

static __attribute__((unused)) void test_peer_pull(void **state)
{
    struct ctx *c = *state;
    char *bdir = it_path(c->dir, "b"), *conf, *bdb, *adb, *ca, *dump0, *dump1;
    char body[1024], url[256];
    struct peer_srv srv = {0};
    struct sdc_peer_cfg peer = {0};
    struct peer_result r;
    struct peers_opts po = {0};
    struct inv *a = NULL;
    struct sdc_error err = {0};
    size_t rows;
    char *text;

    /* agent B: a real sdcmond run on its own hypervisor */
    assert_int_equal(mkdir(bdir, 0700), 0);
    snprintf(body, sizeof(body),
             "step = 10;\nhypervisors = ( { name = \"hv-b\"; uri = "
             "\"test://%s/hv-b.xml\"; } );\n",
             FIX);
    conf = it_write_config(bdir, body);
    assert_int_equal(it_run_sdcmond(bdir, conf, "--once"), 0);
    bdb = it_path(bdir, "data/inventory.db");
    text = export_text(bdb, false, &rows);
    assert_non_null(text);
    assert_true(rows > 10);
    free(text);

    make_certs(c->dir);
    peer_start(&srv, c->dir, bdb);
    ca = it_path(c->dir, "ca.pem");
    adb = it_path(c->dir, "a.db");
    assert_int_equal(inv_open(adb, &a, &err), SDC_OK);

    snprintf(url, sizeof(url), "https://127.0.0.1:%d/ok", srv.port);
    peer.name = "agent-b";
    peer.url = url;
    peer.user = PEER_USER;
    peer.password = PEER_PASS;
    peer.ca_file = ca;
    peer.timeout = 10;

    /* pulled and merged: everything B has */
    assert_int_equal(peers_pull_one(&peer, a, &po, &r), SDC_OK);
    assert_true(r.ok);
    assert_int_equal(r.http_status, 200);
    assert_int_equal(r.stats.added, rows);
    assert_true(r.bytes > 1000);
    assert_string_equal(r.error, "");
    assert_int_equal(sql_long(adb, "SELECT count(*) FROM vms WHERE host = "
                                   "'hv-b'"),
                     sql_long(bdb, "SELECT count(*) FROM vms"));
    assert_true(sql_long(adb, "SELECT count(*) FROM vms") >= 3);
    assert_int_equal(sql_long(adb, "SELECT count(*) FROM peer_rows WHERE "
                                   "peer = 'agent-b'"),
                     (long)rows);
    /* again, over the wire: nothing changes */
    dump0 = sql_dump(adb);
    assert_int_equal(peers_pull_one(&peer, a, &po, &r), SDC_OK);
    assert_int_equal(r.stats.added + r.stats.updated, 0);
    assert_int_equal(r.stats.kept, rows);
    dump1 = sql_dump(adb);
    assert_string_equal(dump0, dump1);
    free(dump1);

    /* a wrong password */
    peer.password = "wrong";
    assert_int_not_equal(peers_pull_one(&peer, a, &po, &r), SDC_OK);
    assert_false(r.ok);
    assert_int_equal(r.http_status, 401);
    assert_non_null(strstr(r.error, "HTTP 401: the peer refused user "
                                    "'report'"));
    peer.password = PEER_PASS;

    /* a CA the peer's certificate is not signed by (the system's) */
    peer.ca_file = "";
    assert_int_equal(peers_pull_one(&peer, a, &po, &r), SDC_ERR_IO);
    assert_non_null(strstr(r.error, "certificate"));
    assert_int_equal(r.http_status, 0);
    peer.ca_file = ca;

    /* a name the certificate does not carry */
    snprintf(url, sizeof(url), "https://localhost:%d/ok", srv.port);
    assert_int_equal(peers_pull_one(&peer, a, &po, &r), SDC_ERR_IO);
    assert_non_null(strstr(r.error, "localhost"));
    assert_int_equal(r.http_status, 0);

    /* a body over the limit */
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/ok", srv.port);
    po.max_body = 1000;
    assert_int_equal(peers_pull_one(&peer, a, &po, &r), SDC_ERR_INVALID);
    assert_non_null(strstr(r.error, "the answer is larger than 1000 bytes"));
    po.max_body = 0;

    /* not JSON */
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/garbage", srv.port);
    assert_int_equal(peers_pull_one(&peer, a, &po, &r), SDC_ERR_INVALID);
    assert_non_null(strstr(r.error, "the answer is not JSON"));
    /* terminal escapes and bytes that are not UTF-8 in the answer never
     * reach the message (it goes to a terminal and into report.json) */
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/ctrl", srv.port);
    assert_int_equal(peers_pull_one(&peer, a, &po, &r), SDC_ERR_INVALID);
    assert_non_null(strstr(r.error, "the answer is not JSON"));
    for (const char *q = r.error; *q; q++)
        assert_true((unsigned char)*q >= 0x20 && (unsigned char)*q < 0x7f);
    {
        json_t *j = peers_results_json(&r, 1);
        assert_non_null(j);
        json_decref(j);
    }

    /* a hostile row: refused, nothing written */
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/hostile", srv.port);
    assert_int_equal(peers_pull_one(&peer, a, &po, &r), SDC_ERR_INVALID);
    assert_non_null(strstr(r.error, "refused: vms[0]: 'uuid' is not a UUID"));
    dump1 = sql_dump(adb);
    assert_string_equal(dump0, dump1);
    free(dump1);

    /* no answer within the timeout */
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/slow", srv.port);
    peer.timeout = 1;
    assert_int_equal(peers_pull_one(&peer, a, &po, &r), SDC_ERR_TIMEOUT);
    assert_non_null(strstr(r.error, "no answer within 1 s"));
    assert_true(r.seconds < 2.5);
    peer.timeout = 10;

    /* nothing listens */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", tu_free_port());
    peer.user = "";
    peer.password = "";
    peer.ca_file = "";
    assert_int_equal(peers_pull_one(&peer, a, &po, &r), SDC_ERR_IO);
    assert_non_null(strstr(r.error, "/api/v1/inventory"));
    assert_int_equal(r.http_status, 0);

    dump1 = sql_dump(adb);
    assert_string_equal(dump0, dump1);
    free(dump1);
    free(dump0);
    inv_close(a);
    peer_stop(&srv);
    free(adb);
    free(ca);
    free(bdb);
    free(conf);
    free(bdir);
}

/* ---- rrdcached on loopback TCP ---- */

static bool wait_tcp(int port, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 50) {
        struct sockaddr_in sa = {0};
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        bool ok;
        sa.sin_family = AF_INET;
        sa.sin_port = htons((uint16_t)port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
        close(fd);
        if (ok)
            return true;
        usleep(50 * 1000);
    }
    return false;
}

/* rrdcached -l 127.0.0.1:PORT -b BASE -B -R: writes only under BASE, makes
 * the directories the relative paths name, holds updates an hour. */
static pid_t start_rrdcached(const char *dir, const char *base, int *port)
{
    char *journal = it_path(dir, "journal"), *pidf = it_path(dir, "rrdc.pid");
    char *log = it_path(dir, "rrdcached.log"), listen[64];
    pid_t pid;
    *port = tu_free_port();
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", *port);
    assert_int_equal(mkdir(journal, 0700), 0);
    {
        char *argv[] = {"rrdcached",  "-g", "-l",   listen, "-b",
                        (char *)base, "-B", "-R",   "-F",   "-w",
                        "3600",       "-f", "7200", "-j",   journal,
                        "-p",         pidf, NULL};
        pid = tu_spawn(argv, log);
    }
    assert_true(pid > 0);
    if (!wait_tcp(*port, 10000))
        fail_msg("rrdcached did not listen on %s, see %s", listen, log);
    free(journal);
    free(pidf);
    free(log);
    return pid;
}

static pid_t start_sdcmond(const char *dir, const char *conf)
{
    char *log = it_path(dir, "sdcmond.log");
    char *argv[] = {(char *)tu_sdcmond(), "-c", (char *)conf, "--foreground",
                    NULL};
    pid_t pid = tu_spawn(argv, log);
    free(log);
    assert_true(pid > 0);
    return pid;
}

/* Small archives: the step rows reach furthest back, so a report on the
 * current month reads them (one row per cycle). */
#define SMALL_RETENTION                                                        \
    "retention = { step_days = 2.0; min5_days = 0.01; hour_days = 0.01; "      \
    "day_days = 0.01; };\n"

static json_t *load_json(const char *path)
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j)
        fail_msg("%s: %s (line %d)", path, je.text, je.line);
    return j;
}

static const json_t *find_by(const json_t *arr, const char *key,
                             const char *value)
{
    size_t i;
    const json_t *e;
    json_array_foreach(arr, i, e)
    {
        const char *v = json_string_value(json_object_get(e, key));
        if (v && strcmp(v, value) == 0)
            return e;
    }
    return NULL;
}

/* A VM of the report has a finite mean CPU for the month. */
static double vm_cpu_mean(const json_t *rep, const char *uuid)
{
    const json_t *vm = find_by(json_object_get(rep, "vms"), "id", uuid);
    const json_t *v;
    if (!vm)
        fail_msg("VM %s is not in the report", uuid);
    v = json_object_get(json_object_get(json_object_get(vm, "cpu"), "mean"),
                        "value");
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* ---- 2. two agents, one rrdcached, one report ---- */

static __attribute__((unused)) void test_two_agents_one_rrdcached(void **state)
{
    struct ctx *c = *state;
    char *base = it_path(c->dir, "store"); /* rrdcached's -b: the archives */
    char *adir = it_path(c->dir, "a"), *bdir = it_path(c->dir, "b");
    char *aconf, *bconf, *ca, *passf, *out = NULL, *bdb, *rep_path, *f;
    char *bdb_a, *users;
    char body[4096], month[16], outdir[600];
    struct peer_srv srv = {0};
    pid_t rc_pid, a_pid, b_pid;
    int port;
    json_t *rep, *peers, *notes;
    time_t now = time(NULL);
    struct tm tm;

    assert_int_equal(mkdir(base, 0755), 0);
    assert_int_equal(mkdir(adir, 0700), 0);
    assert_int_equal(mkdir(bdir, 0700), 0);
    make_certs(c->dir);
    ca = it_path(c->dir, "ca.pem");
    passf = it_path(c->dir, "peer-b.secret");
    assert_true(tu_write_file(passf, PEER_PASS "\n", 0600));
    rc_pid = start_rrdcached(c->dir, base, &port);
    bdb = it_path(bdir, "inventory.db");
    /* B serves its inventory from its own web view (/api/v1/inventory)
     * over TLS with basic auth: a users file hashed by openssl (SHA-512
     * crypt, as sdcmon-passwd makes) */
    users = it_path(c->dir, "b-users");
    assert_int_equal(tu_runf(NULL,
                             "printf '%%s:%%s\\n' " PEER_USER
                             " \"$(openssl passwd -6 " PEER_PASS ")\" > '%s'",
                             users),
                     0);
    srv.port = tu_free_port();

    /* B: its own data directory (inventory, pid file) on "its" machine;
     * its archives go to the store through rrdcached, as relative paths */
    snprintf(body, sizeof(body),
             "data_dir = \"%s\";\nstep = 4;\nrrdcached = "
             "\"127.0.0.1:%d\";\n" SMALL_RETENTION
             "web = { listen = \"127.0.0.1:%d\"; tls_cert = \"%s/srv.pem\";"
             " tls_key = \"%s/srv.key\"; users_file = \"%s\"; };\n"
             "hypervisors = ( { name = \"hv-b\"; uri = \"test://%s/hv-b.xml\"; "
             "cluster = \"prod-b\"; } );\n",
             bdir, port, srv.port, c->dir, c->dir, users, FIX);
    bconf = it_path(bdir, "sdcmon.conf");
    assert_true(tu_write_file(bconf, body, 0600));
    b_pid = start_sdcmond(bdir, bconf);

    /* A: the reporting agent, on the archive host (data_dir = the store);
     * it pulls B's inventory; agent-c's password is wrong */
    localtime_r(&now, &tm);
    strftime(month, sizeof(month), "%Y-%m", &tm);
    snprintf(body, sizeof(body),
             "data_dir = \"%s\";\nstep = 4;\nrrdcached = "
             "\"127.0.0.1:%d\";\n" SMALL_RETENTION
             "hypervisors = ( { name = \"hv-a\"; uri = \"test://%s/hv-a.xml\"; "
             "cluster = \"prod-a\"; } );\n"
             "web = { listen = \"\"; };\n"
             "peers = (\n"
             "  { name = \"agent-b\"; url = \"https://127.0.0.1:%d\";\n"
             "    user = \"" PEER_USER "\"; password_file = \"%s\"; ca_file = "
             "\"%s\"; timeout = 10; },\n"
             "  { name = \"agent-c\"; url = \"https://127.0.0.1:%d/\";\n"
             "    user = \"" PEER_USER "\"; password = \"nope\"; ca_file = "
             "\"%s\"; }\n"
             ");\n",
             base, port, FIX, srv.port, passf, ca, srv.port, ca);
    aconf = it_path(adir, "sdcmon.conf");
    assert_true(tu_write_file(aconf, body, 0600));
    a_pid = start_sdcmond(adir, aconf);

    assert_true(it_wait_log(adir, "1/1 hypervisors answered", 3, 60000));
    assert_true(it_wait_log(bdir, "1/1 hypervisors answered", 3, 60000));
    assert_true(it_wait_log(bdir, "(TLS) (basic auth)", 1, 10000));

    /* both agents' archives are in the one store, none where B lives */
    {
        char *d = it_path(base, "rrd/hv");
        assert_int_equal(tu_runf(&out, "ls '%s'", d), 0);
        assert_string_equal(out, "hv-a\nhv-b\n");
        free(out);
        free(d);
        d = it_path(bdir, "rrd");
        assert_int_equal(it_count_files(d, "*.rrd"), 0);
        free(d);
        d = it_path(base, "rrd/vm/" UUID_APP01);
        assert_true(it_count_files(d, "*.rrd") >= 3);
        free(d);
    }
    /* rrdcached holds the values: the files on disk have none yet */
    f = it_path(base, "rrd/hv/hv-b/mem.rrd");
    assert_true(isnan(tu_rrd_last(f, "total", 600)));
    free(f);
    f = it_path(base, "rrd/vm/" UUID_APP01 "/cpu.rrd");
    assert_true(isnan(tu_rrd_last(f, "time", 600)));
    free(f);
    f = it_path(base, "rrd/vm/" UUID_WEB01 "/cpu.rrd");
    assert_true(isnan(tu_rrd_last(f, "time", 600)));
    free(f);

    /* the monthly report of the current month, as A's operator runs it */
    snprintf(outdir, sizeof(outdir), "%s/report", c->dir);
    assert_int_equal(tu_runf(&out,
                             "'%s' monthly -q -c '%s' --month %s --templates "
                             "'%s' --out '%s'",
                             REPORT_BIN, aconf, month, TEMPLATES, outdir),
                     0);
    /* the failing peer is named, and the report is still written */
    assert_non_null(strstr(out, "peer agent-c: GET https://127.0.0.1:"));
    assert_non_null(strstr(out, "HTTP 401"));
    free(out);
    rep_path = it_path(outdir, "report.json");
    rep = load_json(rep_path);
    bdb_a = it_path(base, "inventory.db");
    peers = json_object_get(rep, "peers");
    assert_int_equal(json_array_size(peers), 2);
    {
        const json_t *pb = find_by(peers, "name", "agent-b");
        const json_t *pc = find_by(peers, "name", "agent-c");
        assert_non_null(pb);
        assert_non_null(pc);
        assert_true(json_is_true(json_object_get(pb, "ok")));
        assert_true(json_integer_value(json_object_get(pb, "added")) > 10);
        assert_int_equal(json_integer_value(json_object_get(pb, "added")),
                         sql_long(bdb_a, "SELECT count(*) FROM peer_rows "
                                         "WHERE peer = 'agent-b'"));
        assert_true(json_is_false(json_object_get(pc, "ok")));
        assert_int_equal(json_integer_value(json_object_get(pc, "http_status")),
                         401);
    }
    notes = json_object_get(rep, "notes");
    {
        size_t i;
        const json_t *n;
        int merged = 0, failed = 0;
        json_array_foreach(notes, i, n)
        {
            const char *s = json_string_value(n);
            merged += strstr(s, "Inventory of peer agent agent-b merged") != 0;
            failed += strstr(s, "Peer agent agent-c could not be pulled") != 0;
        }
        assert_int_equal(merged, 1);
        assert_int_equal(failed, 1);
    }
    /* every entity of both agents: hosts, their VMs, with this month's
     * figures from values the files did not hold a moment ago */
    {
        const json_t *hosts = json_object_get(rep, "hosts");
        const json_t *ha = find_by(hosts, "name", "hv-a");
        const json_t *hb = find_by(hosts, "name", "hv-b");
        assert_non_null(ha);
        assert_non_null(hb);
        assert_int_equal(json_integer_value(json_object_get(ha, "vms")), 5);
        assert_string_equal(json_string_value(json_object_get(hb, "cluster")),
                            "prod-b");
        assert_true(json_integer_value(json_object_get(hb, "vms")) >= 2);
        assert_true(json_integer_value(json_object_get(
                        json_object_get(rep, "counts"), "vms")) >= 7);
    }
    assert_true(isfinite(vm_cpu_mean(rep, UUID_WEB01)));
    assert_true(isfinite(vm_cpu_mean(rep, UUID_APP01)));
    /* the test driver's CPU time is the wall clock: one busy CPU (rates are
     * % of the VM's vCPUs: app01 has 4) */
    assert_float_equal(vm_cpu_mean(rep, UUID_APP01), 25.0, 1.0);
    {
        char *html = it_path(outdir, "report.html"), *text = tu_read_file(html);
        assert_non_null(text);
        assert_non_null(strstr(text, "Peer agent agent-c could not be pulled"));
        assert_non_null(strstr(text, "app01"));
        free(text);
        free(html);
    }
    json_decref(rep);

    /* rrdtool through the daemon sees B's values too (relative names: the
     * daemon's -B base) */
    assert_int_equal(
        tu_runf(&out,
                "cd / && rrdtool fetch --daemon 127.0.0.1:%d "
                "rrd/hv/hv-b/mem.rrd AVERAGE -s -40 | awk 'NR > 2 && $2 != "
                "\"-nan\" && $2 != \"nan\" { v = $2 } END { printf \"%%.0f\", "
                "v }'",
                port),
        0);
    assert_float_equal(strtod(out, NULL), 33554432.0 * 1024, 0);
    free(out);

    /* --no-peers: nothing pulled, and the report says so */
    snprintf(outdir, sizeof(outdir), "%s/report-nopeers", c->dir);
    assert_int_equal(tu_runf(&out,
                             "'%s' monthly -q --no-peers -c '%s' --month %s "
                             "--templates '%s' --out '%s'",
                             REPORT_BIN, aconf, month, TEMPLATES, outdir),
                     0);
    free(out);
    free(rep_path);
    rep_path = it_path(outdir, "report.json");
    rep = load_json(rep_path);
    assert_int_equal(json_array_size(json_object_get(rep, "peers")), 0);
    {
        char *s = json_dumps(json_object_get(rep, "notes"), 0);
        assert_non_null(strstr(s, "were not pulled (--no-peers)"));
        free(s);
    }
    /* B's VMs are still known from the last merge */
    assert_non_null(find_by(json_object_get(rep, "vms"), "id", UUID_APP01));
    json_decref(rep);

    assert_int_equal(tu_stop(a_pid, 30000), 0);
    assert_int_equal(tu_stop(b_pid, 30000), 0);
    assert_int_equal(tu_stop(rc_pid, 10000), 0);
    free(users);
    free(bdb_a);
    free(rep_path);
    free(bdb);
    free(passf);
    free(ca);
    free(aconf);
    free(bconf);
    free(adir);
    free(bdir);
    free(base);
}

/* ---- 3. SIGTERM in the middle of a cycle, through rrdcached ---- */

static __attribute__((unused)) void test_sigterm_mid_cycle(void **state)
{
    struct ctx *c = *state;
    char *base = it_path(c->dir, "data"), *conf, *log, *rrd, *out = NULL;
    char body[2048];
    const char *p;
    pid_t rc_pid, pid;
    int port;
    long long cycle;
    unsigned long long updates, created;

    assert_int_equal(mkdir(base, 0755), 0);
    rc_pid = start_rrdcached(c->dir, base, &port);
    snprintf(body, sizeof(body),
             "step = 2;\nrrdcached = \"127.0.0.1:%d\";\n"
             "retention = { step_days = 0.01; min5_days = 0.01; hour_days = "
             "0.01; day_days = 0.01; };\n"
             "hypervisors = (\n"
             " { name = \"hv01\"; uri = \"test://%s/hv01.xml\"; cluster = "
             "\"prod-a\"; },\n"
             " { name = \"hv02\"; uri = \"test://%s/hv02.xml\"; cluster = "
             "\"prod-a\"; },\n"
             " { name = \"hv03\"; uri = \"test://%s/hv03.xml\"; cluster = "
             "\"prod-b\"; },\n"
             " { name = \"hv04\"; uri = \"test://%s/hv04.xml\"; cluster = "
             "\"prod-b\"; }\n);\n",
             port, DC, DC, DC, DC);
    conf = it_write_config(c->dir, body);
    pid = start_sdcmond(c->dir, conf);

    /* the first archive of the first cycle: ~500 more to write */
    rrd = it_path(c->dir, "data/rrd");
    for (int waited = 0; waited < 60000 && it_count_files(rrd, "*.rrd") < 1;
         waited += 5)
        usleep(5 * 1000);
    assert_int_equal(kill(pid, SIGTERM), 0);
    assert_int_equal(tu_wait_exit(pid, 90000), 0);
    log = it_read_log(c->dir);
    assert_non_null(strstr(log, "stopping after the cycle in flight"));
    assert_non_null(strstr(log, "sdcmond stopped"));
    assert_null(strstr(log, "flush at exit failed"));
    p = strstr(log, ": 4/4 hypervisors answered, 100 VMs, ");
    assert_non_null(p);
    while (p > log && p[-1] != ' ')
        p--;
    assert_int_equal(sscanf(p,
                            "%lld: 4/4 hypervisors answered, 100 VMs, %llu "
                            "archive updates, %llu created",
                            &cycle, &updates, &created),
                     3);
    /* one cycle only: the signal came during the first */
    assert_null(strstr(strstr(log, "100 VMs") + 1, "100 VMs"));
    free(log);
    assert_int_equal(created, 505);
    assert_true(updates >= 500);

    /* rrdcached dies without flushing anything: whatever is on disk now,
     * sdcmond flushed */
    assert_int_equal(kill(rc_pid, SIGKILL), 0);
    assert_int_equal(tu_wait_exit(rc_pid, 10000), 128 + SIGKILL);
    assert_int_equal(it_count_files(rrd, "*.rrd"), 505);
    /* every update of the cycle is in its file */
    assert_int_equal(
        tu_runf(&out,
                "cd '%s' && find . -name '*.rrd' | while read "
                "f; do rrdtool last \"$f\"; done | grep -c '^%lld$'",
                rrd, cycle),
        0);
    assert_int_equal(strtoull(out, NULL, 10), updates);
    free(out);
    /* and the values: hv01's memory, prod-a's allocated vCPUs and CPUs
     * (demo/dc/hv-manifest.json: 117 + 99 running vCPUs, 2 x 128 CPUs) */
    {
        char *f = it_path(rrd, "hv/hv01/mem.rrd");
        assert_float_equal(tu_rrd_last(f, "total", 60), 549755813888.0, 0);
        free(f);
        f = it_path(rrd, "cluster/prod-a/cpu.rrd");
        assert_float_equal(tu_rrd_last(f, "vcpus", 60), 216.0, 0);
        assert_float_equal(tu_rrd_last(f, "capacity", 60), 256.0, 0);
        free(f);
    }
    free(rrd);
    free(conf);
    free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_peer_pull, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_agents_one_rrdcached, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sigterm_mid_cycle, setup,
                                        teardown),
    };
    if (!tu_which("rrdtool") || !tu_which("rrdcached") ||
        !tu_which("openssl") || !tu_which("sqlite3")) {
        fprintf(stderr, "rrdtool, rrdcached, openssl and sqlite3 are needed: "
                        "run scripts/deps --test\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
