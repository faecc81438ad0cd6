/* test_config.c - configuration loading: defaults, every key, every error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sdc/config.h"
#include "sdc/schema.h"
#include "testutil.h"

struct fx {
    char *dir;
    char path[512];
    struct sdc_config *cfg;
    struct sdc_error err;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    f->dir = tu_tmpdir("config");
    if (!f->dir) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof(f->path), "%s/sdcmon.conf", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    sdc_config_free(f->cfg);
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* Write @text as the config (mode @mode) and load it into f->cfg. */
static enum sdc_rc load_mode(struct fx *f, const char *text, unsigned mode)
{
    sdc_config_free(f->cfg);
    f->cfg = NULL;
    assert_true(tu_write_file(f->path, text, mode));
    return sdc_config_load(f->path, &f->cfg, &f->err);
}

static enum sdc_rc load(struct fx *f, const char *text)
{
    return load_mode(f, text, 0600);
}

/* Write a file @name in the fixture directory; return its full path. */
static const char *write_aux(struct fx *f, const char *name, const char *text,
                             unsigned mode)
{
    static char p[600];
    snprintf(p, sizeof(p), "%s/%s", f->dir, name);
    assert_true(tu_write_file(p, text, mode));
    return p;
}

/* Compare doubles, naming the expression on failure. */
#define assert_near(a, b) check_near((a), (b), #a, __LINE__)

static void check_near(double a, double b, const char *what, int line)
{
    double d = a - b;
    if (d < 0)
        d = -d;
    if (!(d <= 1e-9))
        fail_msg("line %d: %s is %g, expected %g", line, what, a, b);
}

static void assert_loaded(struct fx *f, enum sdc_rc rc)
{
    if (rc != SDC_OK)
        fail_msg("load failed (%s): %s", sdc_rc_name(rc), f->err.msg);
    assert_non_null(f->cfg);
}

/*
 * Load @text and expect SDC_ERR_CONFIG with a message that starts with the
 * file name and holds @needle (which should carry ":LINE: ").
 */
static void expect_error(struct fx *f, const char *text, const char *needle)
{
    enum sdc_rc rc = load(f, text);
    if (rc != SDC_ERR_CONFIG)
        fail_msg("expected SDC_ERR_CONFIG, got %s: '%s'", sdc_rc_name(rc),
                 f->err.msg);
    assert_int_equal(f->err.code, SDC_ERR_CONFIG);
    assert_null(f->cfg);
    if (strncmp(f->err.msg, f->path, strlen(f->path)) != 0)
        fail_msg("message does not start with the file: '%s'", f->err.msg);
    if (!strstr(f->err.msg, needle))
        fail_msg("message '%s' lacks '%s'", f->err.msg, needle);
}

/* ---------------------------------------------------------------- defaults */

static void test_defaults_empty_file(void **state)
{
    struct fx *f = *state;
    const struct sdc_config *c;
    assert_loaded(f, load(f, "# nothing here\n"));
    c = f->cfg;
    assert_string_equal(c->path, f->path);
    assert_string_equal(c->data_dir, "/var/lib/sdcmon");
    assert_int_equal(c->step, 60);
    assert_string_equal(c->rrdcached, "");
    assert_string_equal(c->log_level, "info");
    assert_string_equal(c->pidfile, "/var/lib/sdcmon/sdcmond.pid");
    assert_int_equal(c->n_hypervisors, 0);
    assert_null(c->hypervisors);
    assert_int_equal(c->n_snmp, 0);
    assert_int_equal(c->n_clusters, 0);
    assert_int_equal(c->n_planned, 0);
    assert_int_equal(c->n_warnings, 0);
    assert_near(c->capacity.target_cpu, 0.70);
    assert_near(c->capacity.target_memory, 0.80);
    assert_near(c->capacity.target_storage, 0.80);
    assert_near(c->capacity.target_network, 0.70);
    assert_string_equal(c->capacity.risk, "conservative");
    assert_int_equal(c->capacity.lead_time_days, 120);
    assert_string_equal(c->capacity.host_model.name, "2-socket 64-core");
    assert_int_equal(c->capacity.host_model.cores, 64);
    assert_near(c->capacity.host_model.memory_gb, 1024);
    assert_near(c->capacity.storage_unit_tb, 100.0);
    assert_string_equal(c->web.listen, "127.0.0.1:8080");
    assert_string_equal(c->web.tls_cert, "");
    assert_string_equal(c->web.tls_key, "");
    assert_string_equal(c->web.users_file, "");
    assert_string_equal(c->reports.dir, "/var/lib/sdcmon/reports");
    assert_int_equal(c->reports.monthly_day, 1);
    assert_string_equal(c->reports.daily_digest, "19:00");
    assert_int_equal(c->reports.daily_digest_minute, 19 * 60);
    assert_near(c->retention.step_days, 2);
    assert_near(c->retention.min5_days, 40);
    assert_near(c->retention.hour_days, 100);
    assert_near(c->retention.day_days, 1825);
    assert_null(sdc_config_find_cluster(c, "prod-a"));
}

static void test_defaults_in_entries(void **state)
{
    struct fx *f = *state;
    const struct sdc_config *c;
    assert_loaded(f, load(f, "data_dir = \"/srv/sdc\";\n"
                             "hypervisors = ( { name = \"hv01\"; uri = "
                             "\"test:///default\"; } );\n"
                             "snmp = ( { name = \"sw1\"; address = "
                             "\"udp:127.0.0.1:161\"; } );\n"
                             "clusters = ( { name = \"c1\"; } );\n"
                             "reports = { dir = \"\"; };\n"));
    c = f->cfg;
    assert_string_equal(c->pidfile, "/srv/sdc/sdcmond.pid");
    assert_string_equal(c->reports.dir, "/srv/sdc/reports");

    assert_int_equal(c->n_hypervisors, 1);
    assert_string_equal(c->hypervisors[0].cluster, "hv01");
    assert_int_equal(c->hypervisors[0].timeout, 10);
    assert_int_equal(c->hypervisors[0].line, 2);

    assert_int_equal(c->n_snmp, 1);
    assert_int_equal(c->snmp[0].version, 2);
    assert_string_equal(c->snmp[0].community, "public");
    assert_int_equal(c->snmp[0].role, SDC_SNMP_ROLE_HOST);
    assert_near(c->snmp[0].timeout, 2.0);
    assert_int_equal(c->snmp[0].retries, 1);
    assert_string_equal(c->snmp[0].if_include, ".*");
    assert_string_equal(c->snmp[0].if_exclude, "");
    assert_int_equal(c->snmp[0].n_uplinks, 0);
    assert_string_equal(c->snmp[0].user, "");
    assert_string_equal(c->snmp[0].auth_protocol, "");
    assert_string_equal(c->snmp[0].priv_protocol, "");
    assert_string_equal(c->snmp[0].context, "");
    assert_int_equal(c->snmp[0].line, 3);

    const struct sdc_cluster_cfg *cl = sdc_config_find_cluster(c, "c1");
    assert_non_null(cl);
    assert_int_equal(cl->ha_reserve_hosts, 1);
    assert_near(cl->max_vcpu_per_cpu, 4.0);
    assert_false(cl->has_host_model);
    /* the default model is copied in for convenience */
    assert_string_equal(cl->host_model.name, "2-socket 64-core");
    assert_int_equal(cl->host_model.cores, 64);
    assert_null(sdc_config_find_cluster(c, "nope"));
    assert_null(sdc_config_find_cluster(NULL, "c1"));
}

/* The documented example in the repository root loads as it stands. */
static void test_example_file(void **state)
{
    struct fx *f = *state;
    char path[1024];
    const struct sdc_config *c;
    const struct sdc_cluster_cfg *cl;
    snprintf(path, sizeof(path), "%s/sdcmon.conf.example", SDC_SOURCE_DIR);
    enum sdc_rc rc = sdc_config_load(path, &f->cfg, &f->err);
    assert_loaded(f, rc);
    c = f->cfg;
    assert_int_equal(c->n_warnings, 0);
    assert_int_equal(c->n_hypervisors, 3);
    assert_string_equal(c->hypervisors[0].cluster, "prod-a");
    assert_string_equal(c->hypervisors[2].cluster, "lab1");
    assert_int_equal(c->n_snmp, 2);
    assert_int_equal(c->snmp[0].role, SDC_SNMP_ROLE_SWITCH);
    assert_int_equal(c->snmp[0].n_uplinks, 2);
    assert_string_equal(c->snmp[0].uplinks[1], "Ethernet1/50");
    assert_string_equal(c->snmp[0].if_exclude, "^(lo|vnet[0-9]+)$");
    assert_int_equal(c->snmp[1].version, 3);
    assert_int_equal(c->snmp[1].role, SDC_SNMP_ROLE_STORAGE);
    cl = sdc_config_find_cluster(c, "prod-a");
    assert_non_null(cl);
    assert_true(cl->has_host_model);
    assert_int_equal(cl->host_model.cores, 96);
    assert_int_equal(c->n_planned, 2);
    assert_null(c->planned[0].until);
    assert_string_equal(c->planned[1].until, "2027-01-15");
    assert_near(c->planned[1].vcpus, -96);
    assert_string_equal(c->reports.dir, "/var/lib/sdcmon/reports");
}

/* Every key of DESIGN.md section 3, secrets inline in a 0600 file. */
static const char full_config[] =
    "data_dir = \"/srv/sdcmon\";\n"
    "step = 30;\n"
    "rrdcached = \"unix:/run/rrdcached.sock\";\n"
    "log_level = \"debug\";\n"
    "pidfile = \"/run/sdcmond.pid\";\n"
    "hypervisors = (\n"
    "  { name = \"hv01\"; uri = \"qemu+ssh://monitor@hv01/system\";"
    " cluster = \"prod-a\"; timeout = 15; },\n"
    "  { name = \"hv02\"; uri = \"test:///default\"; cluster = \"nowhere\"; }\n"
    ");\n"
    "snmp = (\n"
    "  { name = \"core-sw1\"; address = \"udp:10.1.0.1:161\"; version = \"2c\";"
    " community = \"s3cret-c\"; role = \"switch\"; },\n"
    "  { name = \"san1\"; address = \"udp:10.1.0.20:161\"; version = \"3\";"
    " user = \"mon\";\n"
    "    auth_protocol = \"sha-256\"; auth_password = \"authpass1\";"
    " priv_protocol = \"AES-128\"; priv_password = \"privpass1\";\n"
    "    context = \"ctx\"; role = \"storage\"; timeout = 2.5; retries = 3;\n"
    "    uplinks = [ \"Ethernet1/49\", \"Ethernet1/50\" ];\n"
    "    interfaces = { include = \"^eth\"; exclude = \"^(lo|vnet[0-9]+)$\"; "
    "};\n"
    "  },\n"
    "  { name = \"old\"; address = \"udp:10.1.0.30:161\"; version = 1; }\n"
    ");\n"
    "capacity = {\n"
    "  targets = { cpu = 0.6; memory = 1; storage = 0.75; network = 0.5; };\n"
    "  risk = \"expected\";\n"
    "  lead_time_days = 90;\n"
    "  host_model = { name = \"2-socket 32-core\"; cores = 32;"
    " memory_gb = 512.5; };\n"
    "  storage_unit_tb = 50;\n"
    "};\n"
    "clusters = (\n"
    "  { name = \"prod-a\"; ha_reserve_hosts = 2; max_vcpu_per_cpu = 3;\n"
    "    host_model = { name = \"2-socket 96-core\"; cores = 96;"
    " memory_gb = 1536; }; },\n"
    "  { name = \"prod-b\"; host_model = { cores = 48; }; }\n"
    ");\n"
    "web = { listen = \"[::1]:9090\"; tls_cert = \"/etc/c.pem\";"
    " tls_key = \"/etc/k.pem\"; users_file = \"/etc/users\"; };\n"
    "reports = { dir = \"/srv/reports\"; monthly_day = 28;"
    " daily_digest = \"7:05\"; };\n"
    "planned = (\n"
    "  { name = \"SICOP migration\"; date = \"2026-09-30\";"
    " cluster = \"prod-a\"; pool = \"san1-vms\";\n"
    "    vcpus = 160; memory_gb = 640; storage_tb = 10.0; },\n"
    "  { name = \"NIC websites\"; date = \"2024-02-29\";"
    " until = \"2025-01-15\"; vcpus = -96.5; memory_gb = -384; }\n"
    ");\n"
    "retention = { step_days = 0.5; min5_days = 10; hour_days = 30.25;"
    " day_days = 365; };\n";

static void test_full_config(void **state)
{
    struct fx *f = *state;
    const struct sdc_config *c;
    const struct sdc_snmp_cfg *s;
    const struct sdc_cluster_cfg *cl;
    assert_loaded(f, load(f, full_config));
    c = f->cfg;
    assert_string_equal(c->data_dir, "/srv/sdcmon");
    assert_int_equal(c->step, 30);
    assert_string_equal(c->rrdcached, "unix:/run/rrdcached.sock");
    assert_string_equal(c->log_level, "debug");
    assert_string_equal(c->pidfile, "/run/sdcmond.pid");

    assert_int_equal(c->n_hypervisors, 2);
    assert_string_equal(c->hypervisors[0].name, "hv01");
    assert_string_equal(c->hypervisors[0].uri,
                        "qemu+ssh://monitor@hv01/system");
    assert_string_equal(c->hypervisors[0].cluster, "prod-a");
    assert_int_equal(c->hypervisors[0].timeout, 15);
    assert_int_equal(c->hypervisors[0].line, 7);
    /* a cluster that is not in `clusters` is fine */
    assert_string_equal(c->hypervisors[1].cluster, "nowhere");

    assert_int_equal(c->n_snmp, 3);
    s = &c->snmp[0];
    assert_int_equal(s->version, 2);
    assert_string_equal(s->community, "s3cret-c");
    assert_int_equal(s->role, SDC_SNMP_ROLE_SWITCH);
    s = &c->snmp[1];
    assert_int_equal(s->line, 12);
    assert_int_equal(s->version, 3);
    assert_string_equal(s->user, "mon");
    assert_string_equal(s->auth_protocol, "SHA-256");
    assert_string_equal(s->auth_password, "authpass1");
    assert_string_equal(s->priv_protocol, "AES");
    assert_string_equal(s->priv_password, "privpass1");
    assert_string_equal(s->context, "ctx");
    assert_int_equal(s->role, SDC_SNMP_ROLE_STORAGE);
    assert_near(s->timeout, 2.5);
    assert_int_equal(s->retries, 3);
    assert_int_equal(s->n_uplinks, 2);
    assert_string_equal(s->uplinks[0], "Ethernet1/49");
    assert_string_equal(s->if_include, "^eth");
    assert_string_equal(s->if_exclude, "^(lo|vnet[0-9]+)$");
    assert_int_equal(c->snmp[2].version, 1);

    assert_near(c->capacity.target_cpu, 0.6);
    assert_near(c->capacity.target_memory, 1.0);
    assert_near(c->capacity.target_storage, 0.75);
    assert_near(c->capacity.target_network, 0.5);
    assert_string_equal(c->capacity.risk, "expected");
    assert_int_equal(c->capacity.lead_time_days, 90);
    assert_string_equal(c->capacity.host_model.name, "2-socket 32-core");
    assert_int_equal(c->capacity.host_model.cores, 32);
    assert_near(c->capacity.host_model.memory_gb, 512.5);
    assert_near(c->capacity.storage_unit_tb, 50);

    assert_int_equal(c->n_clusters, 2);
    cl = sdc_config_find_cluster(c, "prod-a");
    assert_non_null(cl);
    assert_int_equal(cl->ha_reserve_hosts, 2);
    assert_near(cl->max_vcpu_per_cpu, 3.0);
    assert_true(cl->has_host_model);
    assert_string_equal(cl->host_model.name, "2-socket 96-core");
    assert_int_equal(cl->host_model.cores, 96);
    assert_near(cl->host_model.memory_gb, 1536);
    /* a partial host_model inherits the rest from capacity.host_model */
    cl = sdc_config_find_cluster(c, "prod-b");
    assert_non_null(cl);
    assert_true(cl->has_host_model);
    assert_int_equal(cl->host_model.cores, 48);
    assert_string_equal(cl->host_model.name, "2-socket 32-core");
    assert_near(cl->host_model.memory_gb, 512.5);

    assert_string_equal(c->web.listen, "[::1]:9090");
    assert_string_equal(c->web.tls_cert, "/etc/c.pem");
    assert_string_equal(c->web.tls_key, "/etc/k.pem");
    assert_string_equal(c->web.users_file, "/etc/users");

    assert_string_equal(c->reports.dir, "/srv/reports");
    assert_int_equal(c->reports.monthly_day, 28);
    assert_string_equal(c->reports.daily_digest, "7:05");
    assert_int_equal(c->reports.daily_digest_minute, 7 * 60 + 5);

    assert_int_equal(c->n_planned, 2);
    assert_string_equal(c->planned[0].name, "SICOP migration");
    assert_string_equal(c->planned[0].date, "2026-09-30");
    assert_null(c->planned[0].until);
    assert_string_equal(c->planned[0].cluster, "prod-a");
    assert_string_equal(c->planned[0].pool, "san1-vms");
    assert_near(c->planned[0].vcpus, 160);
    assert_near(c->planned[0].memory_gb, 640);
    assert_near(c->planned[0].storage_tb, 10);
    assert_string_equal(c->planned[1].until, "2025-01-15");
    assert_string_equal(c->planned[1].cluster, "");
    assert_near(c->planned[1].vcpus, -96.5);
    assert_near(c->planned[1].storage_tb, 0);

    assert_near(c->retention.step_days, 0.5);
    assert_near(c->retention.min5_days, 10);
    assert_near(c->retention.hour_days, 30.25);
    assert_near(c->retention.day_days, 365);
}

/* ---------------------------------------------------------- key and type */

static void test_unknown_top_key(void **state)
{
    expect_error(*state,
                 "step = 60;\n"
                 "\n"
                 "stpe = 30;\n",
                 ":3: unknown key 'stpe' (did you mean 'step'?)");
}

static void test_unknown_key_in_hypervisor(void **state)
{
    expect_error(*state,
                 "# sdcmon\n"
                 "data_dir = \"/tmp/x\";\n"
                 "hypervisors = (\n"
                 "  { name = \"hv01\";\n"
                 "    uri = \"test:///default\";\n"
                 "    cluster = \"a\";\n"
                 "    tmeout = 10; }\n"
                 ");\n",
                 ":7: unknown key 'tmeout' in hypervisors[0]");
}

static void test_unknown_key_nested(void **state)
{
    struct fx *f = *state;
    expect_error(f,
                 "capacity = {\n"
                 "  targets = { cpu = 0.5; disk = 0.5; };\n"
                 "};\n",
                 ":2: unknown key 'disk' in capacity.targets");
    expect_error(f,
                 "snmp = ( { name = \"a\"; address = \"udp:1.2.3.4:161\";\n"
                 "  interfaces = { include = \".*\";\n"
                 "    exclud = \"lo\"; }; } );\n",
                 ":3: unknown key 'exclud' in snmp[0].interfaces");
    expect_error(f,
                 "clusters = ( { name = \"a\"; },\n"
                 "  { name = \"b\"; host_model = { cpus = 4; }; } );\n",
                 ":2: unknown key 'cpus' in clusters[1].host_model");
    expect_error(f,
                 "planned = ( { name = \"x\"; date = \"2026-01-01\";\n"
                 " vcpu = 4; } );\n",
                 ":2: unknown key 'vcpu' in planned[0]");
    expect_error(f, "web = { listen = \"\"; port = 1; };\n",
                 ":1: unknown key 'port' in web");
    expect_error(f, "reports = { digest = \"19:00\"; };\n",
                 ":1: unknown key 'digest' in reports");
    expect_error(f, "retention = { days = 3; };\n",
                 ":1: unknown key 'days' in retention");
}

static void test_wrong_type(void **state)
{
    struct fx *f = *state;
    expect_error(f, "data_dir = \"/x\";\nstep = \"60\";\n",
                 ":2: step must be an integer, not a string");
    expect_error(f, "step = 60.5;\n",
                 ":1: step must be an integer, not a float");
    expect_error(f, "data_dir = 5;\n",
                 ":1: data_dir must be a string, not an integer");
    expect_error(f,
                 "hypervisors = ( { name = \"a\"; uri = \"b\";\n"
                 "  timeout = \"10\"; } );\n",
                 ":2: hypervisors[0].timeout must be an integer, not a string");
    expect_error(f, "capacity = { targets = { cpu = \"high\"; }; };\n",
                 ":1: capacity.targets.cpu must be a number, not a string");
    expect_error(f, "web = \"127.0.0.1:80\";\n",
                 ":1: web must be a group { ... }, not a string");
    expect_error(f, "hypervisors = { name = \"a\"; uri = \"b\"; };\n",
                 ":1: hypervisors must be a list ( { ... }, ... ), not a "
                 "group");
    expect_error(f, "snmp = ( \"sw1\" );\n",
                 ":1: snmp[0] must be a group { ... }, not a string");
    expect_error(f,
                 "snmp = ( { name = \"a\"; address = \"udp:h:161\";\n"
                 "  uplinks = [ 1, 2 ]; } );\n",
                 ":2: snmp[0].uplinks[0] must be a string, not an integer");
}

/* --------------------------------------------------------------- entries */

static void test_missing_uri(void **state)
{
    expect_error(*state,
                 "hypervisors = (\n"
                 "  { name = \"hv01\"; uri = \"test:///default\"; },\n"
                 "  { name = \"hv02\"; }\n"
                 ");\n",
                 ":3: missing key 'uri' in hypervisors[1]");
}

static void test_missing_name(void **state)
{
    struct fx *f = *state;
    expect_error(f, "hypervisors = ( { uri = \"test:///default\"; } );\n",
                 ":1: missing key 'name' in hypervisors[0]");
    expect_error(f, "snmp = (\n { address = \"udp:1.2.3.4:161\"; } );\n",
                 ":2: missing key 'name' in snmp[0]");
    expect_error(f, "snmp = ( { name = \"sw\"; } );\n",
                 ":1: missing key 'address' in snmp[0]");
    expect_error(f, "clusters = ( { ha_reserve_hosts = 1; } );\n",
                 ":1: missing key 'name' in clusters[0]");
    expect_error(f, "hypervisors = ( { name = \"\"; uri = \"x\"; } );\n",
                 ":1: hypervisors[0].name must not be empty");
}

static void test_duplicate_hypervisors(void **state)
{
    expect_error(*state,
                 "hypervisors = (\n"
                 "  { name = \"hv01\"; uri = \"test:///default\"; },\n"
                 "  { name = \"hv02\"; uri = \"test:///default\"; },\n"
                 "  { name = \"hv01\"; uri = \"test:///default\"; }\n"
                 ");\n",
                 ":4: duplicate hypervisor name 'hv01' (first on line 2)");
}

static void test_duplicate_after_sanitising(void **state)
{
    /* "hv 01" and "hv/01" would both be rrd/hv/hv_01/ */
    expect_error(*state,
                 "hypervisors = (\n"
                 "  { name = \"hv 01\"; uri = \"test:///default\"; },\n"
                 "  { name = \"hv/01\"; uri = \"test:///default\"; }\n"
                 ");\n",
                 ":3: hypervisor name 'hv/01' is 'hv 01' of line 2 once "
                 "reduced to [A-Za-z0-9._-] for archive paths");
}

static void test_duplicate_snmp_and_clusters(void **state)
{
    struct fx *f = *state;
    expect_error(f,
                 "snmp = (\n"
                 "  { name = \"sw\"; address = \"udp:10.0.0.1:161\"; },\n"
                 "  { name = \"sw\"; address = \"udp:10.0.0.2:161\"; }\n"
                 ");\n",
                 ":3: duplicate snmp device name 'sw' (first on line 2)");
    expect_error(f,
                 "clusters = (\n"
                 "  { name = \"a\"; },\n"
                 "  { name = \"a\"; }\n"
                 ");\n",
                 ":3: duplicate cluster name 'a' (first on line 2)");
}

/* ------------------------------------------------------- snmp custom */

static void test_snmp_custom(void **state)
{
    struct fx *f = *state;
    const struct sdc_snmp_cfg *d;
    assert_loaded(
        f,
        load(f, "snmp = ( { name = \"san1\"; address = \"udp:10.0.0.9:161\";\n"
                "  custom = (\n"
                "    { name = \"temp\"; oid = \".1.3.6.1.4.1.99.1.0\"; },\n"
                "    { name = \"io\"; oid = \"1.3.6.1.4.1.99.2\"; type = "
                "\"DERIVE\";\n"
                "      table = true; scale = 512; },\n"
                "    { name = \"cap\"; oid = \"1.3.6.1.4.1.99.3.0\";\n"
                "      as = \"storage_size\"; storage = \"pool0\"; "
                "scale = 1048576.0; },\n"
                "    { name = \"use\"; oid = \"1.3.6.1.4.1.99.4.0\";\n"
                "      as = \"storage_used\"; storage = \"pool0\"; },\n"
                "    { name = \"lone\"; oid = \"1.3.6.1.4.1.99.5.0\"; as "
                "= \"storage_used\"; }\n"
                "  ); } );\n"));
    d = &f->cfg->snmp[0];
    assert_int_equal(d->n_custom, 5);
    assert_string_equal(d->custom[0].name, "temp");
    /* the leading dot is dropped */
    assert_string_equal(d->custom[0].oid, "1.3.6.1.4.1.99.1.0");
    assert_int_equal(d->custom[0].type, SDC_SNMP_CUSTOM_GAUGE);
    assert_false(d->custom[0].table);
    assert_near(d->custom[0].scale, 1.0);
    assert_int_equal(d->custom[0].as, SDC_SNMP_AS_NONE);
    assert_null(d->custom[0].storage);
    assert_int_equal(d->custom[0].line, 3);
    assert_int_equal(d->custom[1].type, SDC_SNMP_CUSTOM_DERIVE);
    assert_true(d->custom[1].table);
    assert_near(d->custom[1].scale, 512);
    assert_int_equal(d->custom[2].as, SDC_SNMP_AS_STORAGE_SIZE);
    assert_string_equal(d->custom[2].storage, "pool0");
    assert_near(d->custom[2].scale, 1048576.0);
    assert_int_equal(d->custom[3].as, SDC_SNMP_AS_STORAGE_USED);
    /* storage defaults to the object's own name */
    assert_string_equal(d->custom[4].storage, "lone");

    /* no custom list: none */
    assert_loaded(f, load(f, "snmp = ( { name = \"a\"; address = \"udp:h:161\";"
                             " custom = (); } );\n"));
    assert_int_equal(f->cfg->snmp[0].n_custom, 0);
    assert_null(f->cfg->snmp[0].custom);
}

static void test_snmp_custom_errors(void **state)
{
    struct fx *f = *state;
#define DEV "snmp = ( { name = \"a\"; address = \"udp:h:161\";\n custom = (\n"
    expect_error(f, DEV "{ oid = \"1.3.6\"; } ); } );\n",
                 ":3: missing key 'name' in snmp[0].custom[0]");
    expect_error(f, DEV "{ name = \"x\"; } ); } );\n",
                 ":3: missing key 'oid' in snmp[0].custom[0]");
    expect_error(f,
                 DEV "{ name = \"x\"; oid = \"1.3\"; colour = 1; } ); } );\n",
                 ":3: unknown key 'colour' in snmp[0].custom[0]");
    expect_error(f, DEV "{ name = \"a b\"; oid = \"1.3\"; } ); } );\n",
                 ":3: snmp[0].custom[0].name 'a b' must be 1 to 64 "
                 "characters of [A-Za-z0-9._-]");
    expect_error(f, DEV "{ name = \"../x\"; oid = \"1.3\"; } ); } );\n",
                 ":3: snmp[0].custom[0].name '../x' must be");
    expect_error(f, DEV "{ name = \"x\"; oid = \"iso.3.6\"; } ); } );\n",
                 ":3: snmp[0].custom[0].oid 'iso.3.6' is not a numeric OID: "
                 "it must be numbers separated by dots");
    expect_error(f, DEV "{ name = \"x\"; oid = \"1..3\"; } ); } );\n",
                 "oid '1..3' is not a numeric OID");
    expect_error(f, DEV "{ name = \"x\"; oid = \"1.3.\"; } ); } );\n",
                 "oid '1.3.' is not a numeric OID");
    expect_error(f, DEV "{ name = \"x\"; oid = \"1\"; } ); } );\n",
                 "it needs at least two sub-identifiers");
    expect_error(f, DEV "{ name = \"x\"; oid = \"7.3.6\"; } ); } );\n",
                 "the first sub-identifier must be 0, 1 or 2");
    expect_error(f, DEV "{ name = \"x\"; oid = \"1.3.4294967296\"; } ); } );\n",
                 "a sub-identifier is larger than 4294967295");
    expect_error(f, DEV "{ name = \"x\"; oid = \"\"; } ); } );\n",
                 "it is empty");
    expect_error(f,
                 DEV "{ name = \"x\"; oid = \"1.3\"; type = \"COUNTER\"; } ); "
                     "} );\n",
                 ":3: unknown type 'COUNTER' in snmp[0].custom[0] (expected "
                 "GAUGE or DERIVE)");
    expect_error(f, DEV "{ name = \"x\"; oid = \"1.3\"; table = 1; } ); } );\n",
                 ":3: snmp[0].custom[0].table must be true or false, not an "
                 "integer");
    expect_error(f, DEV "{ name = \"x\"; oid = \"1.3\"; scale = 0; } ); } );\n",
                 ":3: snmp[0].custom[0].scale must be greater than 0");
    expect_error(
        f, DEV "{ name = \"x\"; oid = \"1.3\"; as = \"disk\"; } ); } );\n",
        ":3: unknown as 'disk' in snmp[0].custom[0]");
    expect_error(
        f, DEV "{ name = \"x\"; oid = \"1.3\"; storage = \"p\"; } ); } );\n",
        ":3: snmp[0].custom[0].storage needs as = ");
    expect_error(f,
                 DEV "{ name = \"x\"; oid = \"1.3\"; type = \"DERIVE\";\n"
                     "  as = \"storage_used\"; } ); } );\n",
                 ":4: snmp[0].custom[0]: a storage size or used figure is a "
                 "GAUGE");
    expect_error(f,
                 DEV "{ name = \"x\"; oid = \"1.3\"; },\n"
                     "{ name = \"x\"; oid = \"1.4\"; } ); } );\n",
                 ":4: snmp[0]: duplicate custom name 'x' (first on line 3)");
    expect_error(f,
                 DEV "{ name = \"x\"; oid = \"1.3\"; as = \"storage_size\"; "
                     "storage = \"p\"; },\n"
                     "{ name = \"y\"; oid = \"1.4\"; as = \"storage_size\"; "
                     "storage = \"p\"; } ); } );\n",
                 ":4: snmp[0]: storage 'p' already has a size object (line "
                 "3)");
    expect_error(f,
                 DEV "{ name = \"x\"; oid = \"1.3\"; as = \"storage_size\"; "
                     "storage = \"p\"; },\n"
                     "{ name = \"y\"; oid = \"1.4\"; as = \"storage_used\"; "
                     "storage = \"p\"; table = true; } ); } );\n",
                 ":4: snmp[0]: the size and used objects of storage 'p' must "
                 "both be tables or both not (line 3 differs)");
    expect_error(f, DEV "\"x\" ); } );\n",
                 ":3: snmp[0].custom[0] must be a group { ... }, not a string");
    expect_error(f,
                 "snmp = ( { name = \"a\"; address = \"udp:h:161\";\n"
                 "  custom = 5; } );\n",
                 ":2: snmp[0].custom must be a list");
#undef DEV
}

static void test_hypervisor_timeout_range(void **state)
{
    expect_error(*state,
                 "hypervisors = ( { name = \"a\"; uri = \"b\";\n"
                 "  timeout = 0; } );\n",
                 ":2: hypervisors[0].timeout must be between 1 and 86400 "
                 "(got 0)");
}

/* ------------------------------------------------------------------ web */

static void test_listen_no_port(void **state)
{
    expect_error(*state,
                 "data_dir = \"/x\";\nweb = { listen = \"127.0.0.1\"; };\n",
                 ":2: bad web.listen '127.0.0.1': no port");
}

static void test_listen_port_range(void **state)
{
    struct fx *f = *state;
    expect_error(f, "web = { listen = \"127.0.0.1:70000\"; };\n",
                 ":1: bad web.listen '127.0.0.1:70000': port 70000 is out "
                 "of range 1..65535");
    expect_error(f, "web = { listen = \"127.0.0.1:0\"; };\n",
                 ":1: bad web.listen '127.0.0.1:0': port 0 is out of range");
    expect_error(f, "web = { listen = \"127.0.0.1:http\"; };\n",
                 ":1: bad web.listen '127.0.0.1:http': port 'http' is not a "
                 "number");
}

static void test_listen_bad_host(void **state)
{
    struct fx *f = *state;
    expect_error(f, "\n\nweb = { listen = \"garbage:8080\"; };\n",
                 ":3: bad web.listen 'garbage:8080': host 'garbage' is not "
                 "an IPv4 address");
    expect_error(f, "web = { listen = \"::1:8080\"; };\n",
                 ":1: bad web.listen '::1:8080': host '::1' is not");
    expect_error(f, "web = { listen = \"[nope]:8080\"; };\n",
                 ":1: bad web.listen '[nope]:8080': host '[nope]'");
    expect_error(f, "web = { listen = \"300.1.1.1:8080\"; };\n",
                 ":1: bad web.listen '300.1.1.1:8080'");
    expect_error(f, "web = { listen = \":8080\"; };\n",
                 ":1: bad web.listen ':8080': no host");
}

static void test_listen_good(void **state)
{
    struct fx *f = *state;
    static const char *const ok[] = {
        "", "127.0.0.1:8080", "127.9.8.7:1", "localhost:80", "[::1]:8080",
    };
    /* beyond loopback only with TLS and basic auth */
    static const char *const remote[] = {
        "0.0.0.0:1", "*:65535", "[::]:443", "[fe80::1]:9", "10.1.2.3:8443",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        char text[128];
        snprintf(text, sizeof(text), "web = { listen = \"%s\"; };\n", ok[i]);
        assert_loaded(f, load(f, text));
        assert_string_equal(f->cfg->web.listen, ok[i]);
    }
    for (size_t i = 0; i < sizeof(remote) / sizeof(remote[0]); i++) {
        char text[256], want[160];
        snprintf(text, sizeof(text),
                 "web = { listen = \"%s\"; tls_cert = \"/c.pem\"; "
                 "tls_key = \"/k.pem\"; users_file = \"/u\"; };\n",
                 remote[i]);
        assert_loaded(f, load(f, text));
        assert_string_equal(f->cfg->web.listen, remote[i]);
        snprintf(text, sizeof(text), "\nweb = {\n listen = \"%s\"; };\n",
                 remote[i]);
        snprintf(want, sizeof(want),
                 ":3: web.listen '%s' is not a loopback address: it needs "
                 "web.tls_cert",
                 remote[i]);
        expect_error(f, text, want);
        snprintf(text, sizeof(text),
                 "web = { listen = \"%s\"; tls_cert = \"/c.pem\"; "
                 "tls_key = \"/k.pem\"; };\n",
                 remote[i]);
        expect_error(f, text, "web.users_file (TLS and basic auth)");
    }
    expect_error(f, "web = { tls_cert = \"/c.pem\"; };\n",
                 ":1: web.tls_cert and web.tls_key go together");
}

/* ------------------------------------------------------------------ step */

static void test_step_zero(void **state)
{
    struct fx *f = *state;
    expect_error(f, "# test\nstep = 0;\n",
                 ":2: step must be between 1 and 86400 (got 0)");
    expect_error(f, "step = -5;\n", ":1: step must be between 1 and 86400");
}

static void test_step_five_warns(void **state)
{
    struct fx *f = *state;
    char want[600];
    assert_loaded(f, load(f, "data_dir = \"/x\";\n\nstep = 5;\n"));
    assert_int_equal(f->cfg->step, 5);
    assert_int_equal(f->cfg->n_warnings, 1);
    snprintf(want, sizeof(want),
             "%s:3: step 5 is below 10 seconds: for tests only", f->path);
    assert_string_equal(f->cfg->warnings[0], want);
    assert_loaded(f, load(f, "step = 10;\n"));
    assert_int_equal(f->cfg->n_warnings, 0);
}

/* --------------------------------------------------------------- secrets */

static const char inline_secrets[] =
    "snmp = (\n"
    "  { name = \"sw\"; address = \"udp:10.0.0.1:161\"; community = \"c0mm\"; "
    "},\n"
    "  { name = \"san\"; address = \"udp:10.0.0.2:161\"; version = \"3\";\n"
    "    user = \"mon\"; auth_protocol = \"SHA\"; auth_password = "
    "\"12345678\"; }\n"
    ");\n";

static void test_secrets_open_file_refused(void **state)
{
    struct fx *f = *state;
    char want[700];
    assert_int_equal(load_mode(f, inline_secrets, 0644), SDC_ERR_CONFIG);
    assert_null(f->cfg);
    snprintf(want, sizeof(want),
             "%s: holds secrets (community, auth_password) but is readable "
             "by others (mode 0644); chmod 600 it or use *_password_file",
             f->path);
    assert_string_equal(f->err.msg, want);
    /* group-readable is refused as well */
    assert_int_equal(load_mode(f, inline_secrets, 0640), SDC_ERR_CONFIG);
    assert_non_null(strstr(f->err.msg, "(mode 0640)"));
}

static void test_secrets_private_file_ok(void **state)
{
    struct fx *f = *state;
    assert_loaded(f, load_mode(f, inline_secrets, 0600));
    assert_string_equal(f->cfg->snmp[0].community, "c0mm");
    assert_string_equal(f->cfg->snmp[1].auth_password, "12345678");
    /* no inline secret: an open file is fine */
    assert_loaded(f, load_mode(f,
                               "snmp = ( { name = \"sw\"; address = "
                               "\"udp:10.0.0.1:161\"; } );\n",
                               0644));
}

static void test_password_file(void **state)
{
    struct fx *f = *state;
    write_aux(f, "comm.secret", "from-file\n", 0600);
    write_aux(f, "auth.secret", "auth-secret-1\r\n", 0400);
    const char *priv = write_aux(f, "priv.secret", "priv-secret-1", 0600);
    char text[1024];
    snprintf(text, sizeof(text),
             "snmp = (\n"
             "  { name = \"sw\"; address = \"udp:10.0.0.1:161\";"
             " community_file = \"comm.secret\"; },\n"
             "  { name = \"san\"; address = \"udp:10.0.0.2:161\"; version = 3;"
             " user = \"mon\";\n"
             "    auth_protocol = \"MD5\"; auth_password_file = "
             "\"%s/auth.secret\";\n"
             "    priv_protocol = \"DES\"; priv_password_file = \"%s\"; }\n"
             ");\n",
             f->dir, priv);
    /* the config holds no secret itself, so 0644 is fine */
    assert_loaded(f, load_mode(f, text, 0644));
    assert_string_equal(f->cfg->snmp[0].community, "from-file");
    assert_string_equal(f->cfg->snmp[1].auth_password, "auth-secret-1");
    assert_string_equal(f->cfg->snmp[1].priv_password, "priv-secret-1");
    assert_string_equal(f->cfg->snmp[1].priv_protocol, "DES");
}

static void test_password_file_missing(void **state)
{
    expect_error(*state,
                 "snmp = ( { name = \"sw\"; address = \"udp:10.0.0.1:161\";\n"
                 "  community_file = \"nope.secret\"; } );\n",
                 ":2: cannot read snmp[0].community_file '");
    assert_non_null(
        strstr(((struct fx *)*state)->err.msg, "No such file or directory"));
}

static void test_password_file_open_mode(void **state)
{
    struct fx *f = *state;
    write_aux(f, "comm.secret", "c\n", 0644);
    expect_error(f,
                 "snmp = ( { name = \"sw\"; address = \"udp:10.0.0.1:161\";\n"
                 "  community_file = \"comm.secret\"; } );\n",
                 "comm.secret' is readable by others (mode 0644); chmod 600 "
                 "it");
    assert_non_null(strstr(f->err.msg, ":2: snmp[0].community_file '"));
    write_aux(f, "empty.secret", "\n", 0600);
    expect_error(f,
                 "snmp = ( { name = \"sw\"; address = \"udp:10.0.0.1:161\";\n"
                 "  community_file = \"empty.secret\"; } );\n",
                 "empty.secret' holds no usable secret");
    expect_error(
        f,
        "snmp = ( { name = \"sw\"; address = \"udp:10.0.0.1:161\";\n"
        "  community = \"x\"; community_file = \"empty.secret\"; } );\n",
        ":2: snmp[0] has both community and community_file");
}

/* ----------------------------------------------------------- file-level */

static void test_syntax_error(void **state)
{
    struct fx *f = *state;
    char want[600];
    assert_int_equal(load(f, "step = 60;\n"
                             "hypervisors = (\n"
                             "  { name = \"a\"; uri = ; }\n"
                             ");\n"),
                     SDC_ERR_CONFIG);
    assert_null(f->cfg);
    snprintf(want, sizeof(want), "%s:3: syntax error", f->path);
    assert_string_equal(f->err.msg, want);
    assert_int_equal(load(f, "a = 1;\na = 2;\n"), SDC_ERR_CONFIG);
    assert_non_null(strstr(f->err.msg, ":2: duplicate setting name"));
}

static void test_missing_file(void **state)
{
    struct fx *f = *state;
    char path[600];
    snprintf(path, sizeof(path), "%s/absent.conf", f->dir);
    struct sdc_config dummy, *cfg = &dummy; /* must be reset to NULL */
    assert_int_equal(sdc_config_load(path, &cfg, &f->err), SDC_ERR_IO);
    assert_null(cfg);
    assert_int_equal(f->err.code, SDC_ERR_IO);
    assert_non_null(strstr(f->err.msg, path));
    assert_non_null(strstr(f->err.msg, "No such file or directory"));
    /* a directory is not a config file */
    assert_int_equal(sdc_config_load(f->dir, &f->cfg, &f->err), SDC_ERR_IO);
    assert_null(f->cfg);
    sdc_config_free(NULL);
}

/* ------------------------------------------------------------------ snmp */

static void test_bad_regex(void **state)
{
    struct fx *f = *state;
    expect_error(f,
                 "snmp = ( { name = \"sw\"; address = \"udp:10.0.0.1:161\";\n"
                 "  interfaces = {\n"
                 "    include = \"(eth\"; }; } );\n",
                 ":3: bad regex in snmp[0].interfaces.include '(eth': ");
    expect_error(f,
                 "snmp = ( { name = \"sw\"; address = \"udp:10.0.0.1:161\";\n"
                 "  interfaces = { exclude = \"[lo\"; }; } );\n",
                 ":2: bad regex in snmp[0].interfaces.exclude '[lo': ");
}

static void test_unknown_role(void **state)
{
    expect_error(*state,
                 "snmp = ( { name = \"sw\"; address = \"udp:10.0.0.1:161\";\n"
                 "  role = \"router\"; } );\n",
                 ":2: unknown role 'router' in snmp[0] (expected host, "
                 "switch or storage)");
}

static void test_unknown_version(void **state)
{
    struct fx *f = *state;
    expect_error(f,
                 "snmp = ( { name = \"sw\"; address = \"udp:10.0.0.1:161\";\n"
                 "  version = \"2b\"; } );\n",
                 ":2: unknown version '2b' in snmp[0] (expected 1, 2c or 3)");
    expect_error(f,
                 "snmp = ( { name = \"sw\"; address = \"udp:10.0.0.1:161\";\n"
                 "  version = 4; } );\n",
                 ":2: unknown version '4' in snmp[0]");
    assert_loaded(f, load(f, "snmp = ( { name = \"sw\"; address = \"a\";"
                             " version = 1; } );\n"));
    assert_int_equal(f->cfg->snmp[0].version, 1);
    assert_loaded(f, load(f, "snmp = ( { name = \"sw\"; address = \"a\";"
                             " version = \"1\"; } );\n"));
    assert_int_equal(f->cfg->snmp[0].version, 1);
    assert_loaded(f, load(f, "snmp = ( { name = \"sw\"; address = \"a\";"
                             " version = 2; } );\n"));
    assert_int_equal(f->cfg->snmp[0].version, 2);
    assert_loaded(f, load(f, "snmp = ( { name = \"sw\"; address = \"a\";"
                             " version = 3; user = \"u\"; } );\n"));
    assert_int_equal(f->cfg->snmp[0].version, 3);
    assert_string_equal(f->cfg->snmp[0].community, "");
}

static void test_snmp_v3_rules(void **state)
{
    struct fx *f = *state;
    expect_error(f,
                 "snmp = (\n  { name = \"san\"; address = \"udp:h:161\";"
                 " version = \"3\"; } );\n",
                 ":2: snmp[0]: version 3 needs a user");
    expect_error(f,
                 "snmp = ( { name = \"san\"; address = \"udp:h:161\";"
                 " version = \"3\"; user = \"u\";\n"
                 "  auth_protocol = \"SHA1\"; auth_password = \"12345678\";"
                 " } );\n",
                 ":2: unknown auth_protocol 'SHA1' in snmp[0] (expected MD5, "
                 "SHA, SHA-224, SHA-256, SHA-384 or SHA-512)");
    expect_error(f,
                 "snmp = ( { name = \"san\"; address = \"udp:h:161\";"
                 " version = \"3\"; user = \"u\";\n"
                 "  priv_protocol = \"3DES\"; } );\n",
                 ":2: unknown priv_protocol '3DES' in snmp[0] (expected DES, "
                 "AES, AES-192 or AES-256)");
    expect_error(f,
                 "snmp = ( { name = \"san\"; address = \"udp:h:161\";"
                 " version = \"3\"; user = \"u\";\n"
                 "\n"
                 "  priv_protocol = \"AES\"; priv_password = \"12345678\";"
                 " } );\n",
                 ":3: snmp[0]: priv_protocol needs auth_protocol");
    expect_error(f,
                 "snmp = (\n { name = \"san\"; address = \"udp:h:161\";"
                 " version = \"3\"; user = \"u\";\n"
                 "  auth_protocol = \"SHA\"; } );\n",
                 ":2: snmp[0]: auth_protocol SHA needs auth_password");
    expect_error(f,
                 "snmp = ( { name = \"san\"; address = \"udp:h:161\";"
                 " version = \"3\"; user = \"u\";\n"
                 "  auth_protocol = \"SHA\"; auth_password = \"short\"; } );\n",
                 ":2: snmp[0]: auth_password must be at least 8 characters");
}

static void test_negative_timeout(void **state)
{
    struct fx *f = *state;
    expect_error(f,
                 "snmp = ( { name = \"sw\"; address = \"udp:10.0.0.1:161\";\n"
                 "  timeout = -1; } );\n",
                 ":2: snmp[0].timeout must be greater than 0 (got -1)");
    expect_error(f,
                 "snmp = ( { name = \"sw\"; address = \"udp:10.0.0.1:161\";\n"
                 "  retries = -1; } );\n",
                 ":2: snmp[0].retries must be between 0 and 100 (got -1)");
}

/* --------------------------------------------------- capacity and others */

static void test_planned_date_invalid(void **state)
{
    struct fx *f = *state;
    expect_error(f,
                 "planned = (\n"
                 "  { name = \"x\";\n"
                 "    date = \"2026-02-30\"; }\n"
                 ");\n",
                 ":3: planned[0].date '2026-02-30' is not a valid date "
                 "YYYY-MM-DD");
    expect_error(f, "planned = ( { name = \"x\"; date = \"26-1-1\"; } );\n",
                 ":1: planned[0].date '26-1-1' is not a valid date");
    expect_error(f, "planned = ( { name = \"x\"; } );\n",
                 ":1: missing key 'date' in planned[0]");
    expect_error(f,
                 "planned = ( { name = \"x\"; date = \"2026-01-15\";\n"
                 "  until = \"2026-01-15\"; } );\n",
                 ":2: planned[0].until '2026-01-15' is not after date "
                 "'2026-01-15'");
    expect_error(f,
                 "planned = ( { name = \"x\"; date = \"2026-01-15\";\n"
                 "  until = \"2027-13-01\"; } );\n",
                 ":2: planned[0].until '2027-13-01' is not a valid date");
}

static void test_capacity_ranges(void **state)
{
    struct fx *f = *state;
    expect_error(f, "capacity = {\n  targets = { memory = 1.5; };\n};\n",
                 ":2: capacity.targets.memory must be in (0, 1] (got 1.5)");
    expect_error(f, "capacity = { targets = { cpu = 0; }; };\n",
                 ":1: capacity.targets.cpu must be in (0, 1] (got 0)");
    expect_error(f, "capacity = { risk = \"wild\"; };\n",
                 ":1: unknown capacity.risk 'wild' (expected conservative or "
                 "expected)");
    expect_error(f, "capacity = { storage_unit_tb = 0; };\n",
                 ":1: capacity.storage_unit_tb must be greater than 0");
    expect_error(f, "capacity = { host_model = { cores = 0; }; };\n",
                 ":1: capacity.host_model.cores must be between 1 and");
    expect_error(f,
                 "clusters = ( { name = \"a\"; max_vcpu_per_cpu = -2; } );\n",
                 ":1: clusters[0].max_vcpu_per_cpu must be greater than 0");
}

static void test_reports_and_retention(void **state)
{
    struct fx *f = *state;
    expect_error(f, "reports = { monthly_day = 29; };\n",
                 ":1: reports.monthly_day must be between 1 and 28 (got 29)");
    expect_error(f, "\nreports = { daily_digest = \"25:00\"; };\n",
                 ":2: reports.daily_digest '25:00' is not a time HH:MM");
    expect_error(f, "reports = { daily_digest = \"7pm\"; };\n",
                 ":1: reports.daily_digest '7pm' is not a time HH:MM");
    expect_error(f, "retention = { min5_days = 0; };\n",
                 ":1: retention.min5_days must be greater than 0 (got 0)");
    expect_error(f, "log_level = \"loud\";\n", ":1: unknown log_level 'loud'");
    expect_error(f, "data_dir = \"\";\n", ":1: data_dir must not be empty");
    assert_loaded(f, load(f, "reports = { daily_digest = \"00:00\"; };\n"
                             "retention = { step_days = 1; day_days = 0.25; };"
                             "\n"));
    assert_int_equal(f->cfg->reports.daily_digest_minute, 0);
    assert_int_equal(f->cfg->reports.daily_digest_second, 0);
    assert_near(f->cfg->retention.step_days, 1);
    assert_near(f->cfg->retention.day_days, 0.25);
    assert_near(f->cfg->retention.min5_days, 40);
}

/* Scheduled reports and delivery (issue 8): seconds in the digest time,
 * the webhook's scheme, mail addresses without header tricks, sendmail's
 * path; each error with its line. */
static void test_reports_delivery(void **state)
{
    struct fx *f = *state;
    assert_loaded(f, load(f, "\n"));
    assert_int_equal(f->cfg->reports.daily_digest_second, 19 * 3600);
    assert_true(f->cfg->reports.scheduled);
    assert_string_equal(f->cfg->reports.webhook_url, "");
    assert_string_equal(f->cfg->reports.mail_to, "");
    assert_string_equal(f->cfg->reports.sendmail, "/usr/sbin/sendmail");
    assert_loaded(f, load(f, "reports = { daily_digest = \"07:05:09\";"
                             " scheduled = false;"
                             " webhook_url = \"https://hooks.example/x?a=1\";"
                             " mail_to = \"ops@example.org, a.b+c@x-y.in\";"
                             " mail_from = \"sdcmon@dc.example\";"
                             " sendmail = \"/opt/bin/sm\"; };\n"));
    assert_int_equal(f->cfg->reports.daily_digest_second,
                     7 * 3600 + 5 * 60 + 9);
    assert_int_equal(f->cfg->reports.daily_digest_minute, 7 * 60 + 5);
    assert_false(f->cfg->reports.scheduled);
    assert_string_equal(f->cfg->reports.webhook_url,
                        "https://hooks.example/x?a=1");
    assert_string_equal(f->cfg->reports.mail_to,
                        "ops@example.org, a.b+c@x-y.in");
    assert_string_equal(f->cfg->reports.sendmail, "/opt/bin/sm");
    expect_error(f, "reports = { daily_digest = \"19:00:60\"; };\n",
                 ":1: reports.daily_digest '19:00:60' is not a time HH:MM");
    expect_error(f, "reports = { daily_digest = \"19:0:05\"; };\n",
                 ":1: reports.daily_digest '19:0:05' is not a time HH:MM");
    expect_error(f, "\n\nreports = { webhook_url = \"ftp://x/y\"; };\n",
                 ":3: bad reports.webhook_url 'ftp://x/y': the scheme must "
                 "be http:// or https://");
    expect_error(f, "reports = { webhook_url = \"http:///path\"; };\n",
                 ":1: bad reports.webhook_url 'http:///path': no host");
    expect_error(f, "reports = { webhook_url = \"http://a b/\"; };\n",
                 ":1: bad reports.webhook_url 'http://a b/': blanks");
    expect_error(f, "reports = { mail_to = \"ops\"; };\n",
                 ":1: bad reports.mail_to 'ops': expected mail addresses");
    expect_error(f,
                 "reports = {\n mail_to = \"a@b.c\\nBcc: x@evil.example\"; };"
                 "\n",
                 ":2: bad reports.mail_to");
    expect_error(f, "reports = { mail_from = \"a@b.c, d@e.f\"; };\n",
                 ":1: bad reports.mail_from 'a@b.c, d@e.f': expected one");
    expect_error(f, "reports = { sendmail = \"sendmail\"; };\n",
                 ":1: reports.sendmail 'sendmail' must be an absolute path");
    expect_error(f, "reports = { scheduled = 1; };\n", ":1: reports.scheduled");
    expect_error(f, "reports = { webhook = \"http://x/\"; };\n",
                 ":1: unknown key 'webhook'");
}

/* `thresholds`: defaults as the issue states them, overrides, ranges and
 * the order between limits, each error with its line. */
static void test_thresholds(void **state)
{
    struct fx *f = *state;
    const struct sdc_thresholds_cfg *t;

    assert_loaded(f, load(f, ""));
    t = &f->cfg->thresholds;
    assert_near(t->idle_cpu, 0.03);
    assert_near(t->idle_net_bytes, 1000);
    assert_near(t->oversized_cpu, 0.30);
    assert_near(t->resize_cpu, 0.70);
    assert_near(t->oversized_memory, 0.50);
    assert_near(t->resize_memory, 0.80);
    assert_near(t->undersized_cpu, 0.85);
    assert_near(t->undersized_memory, 0.90);
    assert_near(t->imbalance_points, 30);
    assert_near(t->min_coverage, 0.80);
    assert_near(t->interface_errors, 1);

    assert_loaded(f, load(f, "thresholds = { idle_cpu = 0.05; "
                             "idle_net_bytes = 2048; imbalance_points = 20; "
                             "min_coverage = 0.9; interface_errors = 100; "
                             "resize_cpu = 0.6; };\n"));
    t = &f->cfg->thresholds;
    assert_near(t->idle_cpu, 0.05);
    assert_near(t->idle_net_bytes, 2048);
    assert_near(t->imbalance_points, 20);
    assert_near(t->min_coverage, 0.9);
    assert_near(t->interface_errors, 100);
    assert_near(t->resize_cpu, 0.6);
    assert_near(t->oversized_cpu, 0.30);

    expect_error(f, "\nthresholds = { idle_cpu = 1.5; };\n",
                 ":2: thresholds.idle_cpu must be in (0, 1] (got 1.5)");
    expect_error(f, "thresholds = { idle_net_bytes = 0; };\n",
                 ":1: thresholds.idle_net_bytes must be greater than 0");
    expect_error(f, "thresholds = { min_coverage = \"all\"; };\n",
                 ":1: thresholds.min_coverage must be a number, not a string");
    expect_error(f, "thresholds = {\n  idle_cpus = 0.1;\n};\n",
                 ":2: unknown key 'idle_cpus' in thresholds (did you mean "
                 "'idle_cpu'?)");
    expect_error(f, "thresholds = { imbalance_points = 150; };\n",
                 ":1: thresholds.imbalance_points must be at most 100");
    expect_error(f, "\n\nthresholds = { idle_cpu = 0.4; };\n",
                 ":3: thresholds.idle_cpu (0.4) must be below "
                 "thresholds.oversized_cpu (0.3)");
    expect_error(f, "thresholds = { undersized_cpu = 0.2; };\n",
                 ":1: thresholds.oversized_cpu (0.3) must be below "
                 "thresholds.undersized_cpu (0.2)");
    expect_error(f, "thresholds = { undersized_memory = 0.4; };\n",
                 ":1: thresholds.oversized_memory (0.5) must be below "
                 "thresholds.undersized_memory (0.4)");
    expect_error(f, "thresholds = { resize_cpu = 0.25; };\n",
                 ":1: thresholds.resize_cpu (0.25) must be above "
                 "thresholds.oversized_cpu (0.3)");
    expect_error(f, "thresholds = { resize_memory = 0.5; };\n",
                 ":1: thresholds.resize_memory (0.5) must be above "
                 "thresholds.oversized_memory (0.5)");
}

/* `user` and reports.templates (running as a service, issue 8). */
static void test_user_and_templates(void **state)
{
    struct fx *f = *state;
    assert_loaded(f, load(f, "# nothing\n"));
    assert_string_equal(f->cfg->user, "");
    assert_int_equal(f->cfg->user_line, 0);
    assert_string_equal(f->cfg->reports.templates, "");
    assert_loaded(f, load(f, "step = 60;\n\nuser = \"sdcmon\";\n"
                             "reports = { templates = \"/srv/tpl\"; };\n"));
    assert_string_equal(f->cfg->user, "sdcmon");
    assert_int_equal(f->cfg->user_line, 3);
    assert_string_equal(f->cfg->reports.templates, "/srv/tpl");
    expect_error(f, "step = 60;\nuser = \"root; rm\";\n",
                 ":2: user 'root; rm' is not an account name");
    expect_error(f, "user = \"-x\";\n", ":1: user '-x' is not an account");
    expect_error(f, "user = \"abcdefghijklmnopqrstuvwxyz0123456\";\n",
                 ":1: user 'abcdefghijklmnopqrstuvwxyz0123456' is not an "
                 "account name (at most 32");
    expect_error(f, "user = 1000;\n", ":1: user must be a string");
    expect_error(f, "reports = { templates = 5; };\n",
                 ":1: reports.templates must be a string");
    expect_error(f, "usr = \"sdcmon\";\n",
                 ":1: unknown key 'usr' (did you mean 'user'?)");
}

/*
 * The packaged layout: root:GROUP 0640, GROUP the service's (the group of
 * `user`, or the process's).  Needs root to chown; the rest of the rule
 * (owner not root, group root, group-writable) is checked either way.
 */
static void test_secrets_service_group(void **state)
{
    struct fx *f = *state;
    char text[1024];
    struct passwd *pw = getpwnam("nobody");
    assert_non_null(pw);
    snprintf(text, sizeof(text), "user = \"nobody\";\n%s", inline_secrets);
    /* owned by the one who writes it, 0640: refused (not root's) unless we
     * are root; with group root: refused */
    if (geteuid() != 0) {
        assert_int_equal(load_mode(f, text, 0640), SDC_ERR_CONFIG);
        assert_non_null(strstr(f->err.msg, "(mode 0640)"));
        assert_non_null(strstr(f->err.msg, "chown root:GROUP and chmod 640"));
        print_message("root part skipped: chown needs root (uid %u)\n",
                      (unsigned)geteuid());
        return;
    }
    assert_int_equal(load_mode(f, text, 0640), SDC_ERR_CONFIG); /* root:root */
    assert_true(tu_write_file(f->path, text, 0640));
    assert_int_equal(chown(f->path, 0, pw->pw_gid), 0);
    assert_loaded(f, sdc_config_load(f->path, &f->cfg, &f->err));
    assert_string_equal(f->cfg->snmp[0].community, "c0mm");
    sdc_config_free(f->cfg);
    f->cfg = NULL;
    /* group-writable or other-readable: refused */
    assert_int_equal(chmod(f->path, 0660), 0);
    assert_int_equal(sdc_config_load(f->path, &f->cfg, &f->err),
                     SDC_ERR_CONFIG);
    assert_non_null(strstr(f->err.msg, "(mode 0660)"));
    assert_int_equal(chmod(f->path, 0644), 0);
    assert_int_equal(sdc_config_load(f->path, &f->cfg, &f->err),
                     SDC_ERR_CONFIG);
    /* owned by nobody: refused (only root's file may be shared) */
    assert_int_equal(chmod(f->path, 0640), 0);
    assert_int_equal(chown(f->path, pw->pw_uid, pw->pw_gid), 0);
    assert_int_equal(sdc_config_load(f->path, &f->cfg, &f->err),
                     SDC_ERR_CONFIG);
    /* root:nogroup 0640 without `user`, read by root: not the service's
     * group, refused */
    assert_true(tu_write_file(f->path, inline_secrets, 0640));
    assert_int_equal(chown(f->path, 0, pw->pw_gid), 0);
    assert_int_equal(sdc_config_load(f->path, &f->cfg, &f->err),
                     SDC_ERR_CONFIG);
}

/* ------------------------------------------------------------------ peers */

static void test_peers(void **state)
{
    struct fx *f = *state;
    char text[1024], want[700];
    write_aux(f, "peer-b.secret", "s3cret-b\n", 0600);
    const char *ca = write_aux(f, "ca.pem", "not parsed here\n", 0644);
    snprintf(
        text, sizeof(text),
        "peers = (\n"
        "  { name = \"agent-b\"; url = \"https://10.1.0.9:8080\";\n"
        "    user = \"report\"; password_file = \"peer-b.secret\";\n"
        "    ca_file = \"ca.pem\"; timeout = 20; },\n"
        "  { name = \"agent-c\"; url = \"https://agent-c.sdc:8443/sdc\"; }\n"
        ");\n");
    assert_loaded(f, load_mode(f, text, 0644));
    assert_int_equal(f->cfg->n_peers, 2);
    assert_string_equal(f->cfg->peers[0].name, "agent-b");
    assert_string_equal(f->cfg->peers[0].url, "https://10.1.0.9:8080");
    assert_string_equal(f->cfg->peers[0].user, "report");
    assert_string_equal(f->cfg->peers[0].password, "s3cret-b");
    /* relative to the config's directory, made absolute */
    assert_string_equal(f->cfg->peers[0].ca_file, ca);
    assert_int_equal(f->cfg->peers[0].timeout, 20);
    assert_int_equal(f->cfg->peers[0].line, 2);
    assert_string_equal(f->cfg->peers[1].user, "");
    assert_string_equal(f->cfg->peers[1].password, "");
    assert_string_equal(f->cfg->peers[1].ca_file, "");
    assert_int_equal(f->cfg->peers[1].timeout, 30);
    assert_int_equal(f->cfg->n_warnings, 0);

    /* an inline password makes the file a secret: 0644 refused */
    assert_int_equal(load_mode(f,
                               "peers = ( { name = \"b\"; url = "
                               "\"https://b:1\"; user = \"u\"; password = "
                               "\"p\"; } );\n",
                               0644),
                     SDC_ERR_CONFIG);
    snprintf(want, sizeof(want),
             "%s: holds secrets (peer password) but is readable by others "
             "(mode 0644); chmod 600 it or use *_password_file",
             f->path);
    assert_string_equal(f->err.msg, want);
    /* ... and fine at 0600; http:// with a password is warned */
    assert_loaded(f, load_mode(f,
                               "peers = ( { name = \"b\"; url = "
                               "\"http://b:1\"; user = \"u\"; password = "
                               "\"p\"; } );\n",
                               0600));
    assert_string_equal(f->cfg->peers[0].password, "p");
    assert_int_equal(f->cfg->n_warnings, 1);
    assert_non_null(strstr(f->cfg->warnings[0], ":1: peers[0]: the password "
                                                "goes to http://b:1 in clear"));
}

static void test_peers_errors(void **state)
{
    struct fx *f = *state;
    write_aux(f, "open.secret", "pw\n", 0644);
    expect_error(f, "peers = ( { name = \"b\"; } );\n",
                 ":1: missing key 'url' in peers[0]");
    expect_error(f, "peers = ( { url = \"https://b:1\"; } );\n",
                 ":1: missing key 'name' in peers[0]");
    expect_error(f,
                 "peers = (\n { name = \"a/../b\";\n url = \"https://b:1\"; "
                 "} );\n",
                 ":2: peers[0].name 'a/../b' must be 1 to 64 of "
                 "[A-Za-z0-9._-]");
    expect_error(f,
                 "peers = (\n { name = \"b\"; url = \"https://b:1\"; },\n"
                 " { name = \"b\"; url = \"https://c:1\"; } );\n",
                 ":3: duplicate peer name 'b' (first on line 2)");
    expect_error(f, "peers = ( { name = \"b\"; url = \"ftp://b\"; } );\n",
                 ":1: bad peers[0].url 'ftp://b': it must start with "
                 "https:// or http://");
    expect_error(f,
                 "peers = ( { name = \"b\"; url = \"https://b:1/x y\"; } );\n",
                 ":1: bad peers[0].url 'https://b:1/x y': it holds a blank");
    expect_error(f,
                 "peers = ( { name = \"b\"; url = \"https://u:p@b:1\"; } );\n",
                 "names no host (or holds user@: use `user`)");
    expect_error(f,
                 "peers = ( { name = \"b\"; url = \"https://b:1\";\n"
                 " user = \"u\"; } );\n",
                 ":2: peers[0].user needs password or password_file");
    expect_error(f,
                 "peers = ( { name = \"b\"; url = \"https://b:1\";\n"
                 " user = \"u\"; password_file = \"open.secret\"; } );\n",
                 "open.secret' is readable by others (mode 0644); chmod 600 "
                 "it");
    expect_error(f,
                 "peers = ( { name = \"b\"; url = \"https://b:1\";\n"
                 " ca_file = \"missing-ca.pem\"; } );\n",
                 ":2: cannot read peers[0].ca_file '");
    expect_error(f,
                 "peers = ( { name = \"b\"; url = \"https://b:1\";\n"
                 " timeout = 0; } );\n",
                 ":2: peers[0].timeout must be between 1 and 3600 (got 0)");
    expect_error(f,
                 "peers = ( { name = \"b\"; url = \"https://b:1\"; "
                 "pasword = \"x\"; } );\n",
                 "pasword");
}

/* sdc_config_uplink_archive: archive names (sanitised) against the
 * configured devices' uplinks, sanitised the same way. */
static void test_uplink_archive(void **state)
{
    struct fx *f = *state;
    char sw[64], sw2[64], up1[64], up2[64], other[64];
    enum sdc_rc rc =
        load(f, "snmp = (\n"
                "  { name = \"core sw/1\"; address = \"udp:127.0.0.1:161\";"
                " version = \"2c\"; community = \"c\";\n"
                "    uplinks = [ \"Ethernet1/49\", \"Po 2\" ]; },\n"
                "  { name = \"edge\"; address = \"udp:127.0.0.1:162\";"
                " version = \"2c\"; community = \"c\"; }\n"
                ");\n");
    assert_loaded(f, rc);
    sdc_name_sanitize("core sw/1", sw, sizeof(sw));
    sdc_name_sanitize("edge", sw2, sizeof(sw2));
    sdc_name_sanitize("Ethernet1/49", up1, sizeof(up1));
    sdc_name_sanitize("Po 2", up2, sizeof(up2));
    sdc_name_sanitize("Ethernet1/1", other, sizeof(other));
    assert_string_not_equal(sw, "core sw/1"); /* the names do change */
    assert_true(sdc_config_uplink_archive(f->cfg, sw, up1));
    assert_true(sdc_config_uplink_archive(f->cfg, sw, up2));
    assert_false(sdc_config_uplink_archive(f->cfg, sw, other));
    /* the same interface on a device that lists no uplink */
    assert_false(sdc_config_uplink_archive(f->cfg, sw2, up1));
    /* unsanitised names are not archive names */
    assert_false(sdc_config_uplink_archive(f->cfg, "core sw/1", up1));
    assert_false(sdc_config_uplink_archive(f->cfg, "nope", up1));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_defaults_empty_file),
        T(test_defaults_in_entries),
        T(test_example_file),
        T(test_uplink_archive),
        T(test_full_config),
        T(test_unknown_top_key),
        T(test_unknown_key_in_hypervisor),
        T(test_unknown_key_nested),
        T(test_wrong_type),
        T(test_missing_uri),
        T(test_missing_name),
        T(test_duplicate_hypervisors),
        T(test_duplicate_after_sanitising),
        T(test_duplicate_snmp_and_clusters),
        T(test_hypervisor_timeout_range),
        T(test_snmp_custom),
        T(test_snmp_custom_errors),
        T(test_listen_no_port),
        T(test_listen_port_range),
        T(test_listen_bad_host),
        T(test_listen_good),
        T(test_step_zero),
        T(test_step_five_warns),
        T(test_secrets_open_file_refused),
        T(test_secrets_private_file_ok),
        T(test_password_file),
        T(test_password_file_missing),
        T(test_password_file_open_mode),
        T(test_syntax_error),
        T(test_missing_file),
        T(test_bad_regex),
        T(test_unknown_role),
        T(test_unknown_version),
        T(test_snmp_v3_rules),
        T(test_negative_timeout),
        T(test_planned_date_invalid),
        T(test_capacity_ranges),
        T(test_reports_and_retention),
        T(test_reports_delivery),
        T(test_thresholds),
        T(test_user_and_templates),
        T(test_secrets_service_group),
        T(test_peers),
        T(test_peers_errors),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
