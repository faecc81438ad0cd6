/*
 * config.h - sdcmon configuration (libconfig syntax), DESIGN.md section 3.
 *
 * sdc_config_load() parses and validates a file; every error names the file
 * and line ("sdcmon.conf:12: ...").  The returned structure owns all of its
 * strings; free it with sdc_config_free().
 */
#ifndef SDC_CONFIG_H
#define SDC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "sdc/error.h"

/*
 * Every string of a loaded configuration is non-NULL ("" when the key is
 * absent and has no other default), except sdc_planned_cfg.until, which is
 * NULL when absent.  SNMP secrets are filled from the file named by
 * community_file / auth_password_file / priv_password_file when given
 * (relative names are taken from the directory of the config file).  A
 * v1/v2c device without a community gets "public".
 */

struct sdc_host_model {
    char *name;
    int cores;
    double memory_gb;
};

struct sdc_hypervisor_cfg {
    char *name;    /* unique among hypervisors; used in archive paths */
    char *uri;     /* libvirt URI */
    char *cluster; /* defaults to the hypervisor's own name */
    int timeout;   /* seconds the cycle waits for this host; default 10 */
    int line;      /* line in the config file, for messages */
};

enum sdc_snmp_role {
    SDC_SNMP_ROLE_HOST = 0,
    SDC_SNMP_ROLE_SWITCH,
    SDC_SNMP_ROLE_STORAGE,
};

/* A vendor object polled besides the standard MIBs (`custom` list). */
enum sdc_snmp_custom_type {
    SDC_SNMP_CUSTOM_GAUGE = 0, /* archived as read, times scale */
    SDC_SNMP_CUSTOM_DERIVE,    /* a counter: its rate per second, times scale */
};

enum sdc_snmp_custom_as {
    SDC_SNMP_AS_NONE = 0,     /* its own archive custom-<name>.rrd */
    SDC_SNMP_AS_STORAGE_SIZE, /* storage-<storage>.rrd "size" (bytes) */
    SDC_SNMP_AS_STORAGE_USED, /* storage-<storage>.rrd "used" (bytes) */
};

struct sdc_snmp_custom {
    char *name; /* [A-Za-z0-9._-], unique within the device */
    char *oid;  /* numeric, dotted, no leading dot: "1.3.6.1.4.1.9.2.1.0";
                   a scalar is read with GET (give the instance, e.g. ".0"),
                   a table column is walked */
    enum sdc_snmp_custom_type type; /* default GAUGE */
    bool table;                     /* default false */
    double scale;                   /* default 1.0, > 0 */
    enum sdc_snmp_custom_as as;     /* default SDC_SNMP_AS_NONE */
    char *storage; /* with `as`: the storage's name, default @name; a size
                      and a used object with the same storage pair up (for
                      tables, row by row as "<storage>-<index>") */
    int line;
};

struct sdc_snmp_cfg {
    char *name;
    char *address; /* net-snmp transport address, e.g. "udp:10.1.0.1:161" */
    int version;   /* 1, 2 (for "2c") or 3 */
    char *community;
    char *user;
    char *auth_protocol; /* "", "MD5", "SHA", "SHA-224", "SHA-256", "SHA-384",
                            "SHA-512" */
    char *auth_password;
    char *priv_protocol; /* "", "DES", "AES" (AES-128), "AES-192", "AES-256" */
    char *priv_password;
    char *context;
    enum sdc_snmp_role role;
    double timeout; /* seconds per request; default 2 */
    int retries;    /* default 1 */
    char **uplinks; /* ifNames that count as uplinks */
    size_t n_uplinks;
    char *if_include; /* POSIX extended regex on ifName; default ".*" */
    char *if_exclude; /* default "" = exclude nothing */
    struct sdc_snmp_custom *custom; /* vendor objects; NULL when none */
    size_t n_custom;
    int line;
};

struct sdc_cluster_cfg {
    char *name;
    int ha_reserve_hosts;    /* default 1 */
    double max_vcpu_per_cpu; /* default 4.0 */
    bool has_host_model;     /* else capacity.host_model applies */
    struct sdc_host_model host_model;
    int line;
};

struct sdc_planned_cfg {
    char *name;
    char *date;  /* YYYY-MM-DD */
    char *until; /* YYYY-MM-DD or NULL */
    char *cluster;
    char *pool;
    double vcpus;
    double memory_gb;
    double storage_tb;
    int line;
};

struct sdc_capacity_cfg {
    double target_cpu;     /* default 0.70 */
    double target_memory;  /* default 0.80 */
    double target_storage; /* default 0.80 */
    double target_network; /* default 0.70 */
    char *risk;            /* "conservative" (default) or "expected" */
    int lead_time_days;    /* default 120 */
    struct sdc_host_model host_model;
    double storage_unit_tb; /* default 100.0 */
};

struct sdc_web_cfg {
    char *listen; /* "127.0.0.1:8080" by default; "" disables the web view */
    char *tls_cert;
    char *tls_key;
    char *users_file;
};

struct sdc_reports_cfg {
    char *dir;          /* "" in the file = data_dir/reports (resolved here) */
    int monthly_day;    /* 1..28, default 1 */
    char *daily_digest; /* "HH:MM" or "HH:MM:SS", default "19:00" */
    int daily_digest_minute; /* minutes after midnight, derived */
    char *templates; /* "" = found beside the programs (share/sdcmon/templates
                        under the install prefix); else this directory */
    int daily_digest_second; /* seconds after midnight, derived */
    bool scheduled;    /* sdcmond writes the scheduled reports; default true */
    char *webhook_url; /* "" = none; else http:// or https:// URL that gets
                          a JSON POST after each scheduled report */
    char *mail_to;     /* "" = none; else addresses (comma separated) that
                          get the daily digest through sendmail */
    char *mail_from;   /* "" = the sendmail's default sender */
    char *sendmail;    /* absolute path; default "/usr/sbin/sendmail" */
};

/*
 * Retention of every archive (DESIGN.md section 4).  Each figure is how long
 * the consolidation is kept, in days; fractions allowed (tests, benchmarks).
 */
struct sdc_retention_cfg {
    double step_days; /* AVERAGE of one step; default 2 */
    double min5_days; /* AVERAGE of 5 minutes; default 40 */
    double hour_days; /* AVERAGE and MAX of 1 hour; default 100 */
    double day_days;  /* AVERAGE and MAX of 1 day; default 1825 (5 years) */
};

/*
 * Thresholds of the monthly optimisation report's findings (`thresholds`
 * group, DESIGN.md section 6).  Fractions are of a VM's vCPUs or allocated
 * memory, judged on the month's 95th percentile (p95).  Hot hosts, full
 * pools and busy links use capacity.targets instead.
 */
struct sdc_thresholds_cfg {
    double idle_cpu;          /* idle: p95 CPU below this share of its vCPUs
                                 (default 0.03) ... */
    double idle_net_bytes;    /* ... and p95 network (rx + tx) below this many
                                 bytes/s (default 1000, 1 kB/s) */
    double oversized_cpu;     /* oversized: p95 CPU below this share (0.30) */
    double resize_cpu;        /* recommended vCPUs keep p95 under this (0.70) */
    double oversized_memory;  /* oversized: p95 memory used below this share
                                 of the allocation (0.50) */
    double resize_memory;     /* recommended memory (whole GiB) keeps p95
                                 under this (0.80) */
    double undersized_cpu;    /* undersized: p95 CPU above this (0.85) */
    double undersized_memory; /* undersized: p95 memory used above (0.90) */
    double imbalance_points;  /* imbalance: hosts of a cluster whose p95
                                 differ by more than this many percentage
                                 points (30) */
    double min_coverage;      /* entities with data for less of the month are
                                 listed, not judged (0.80) */
    double interface_errors;  /* errors + discards in the month from which an
                                 interface is listed (1) */
};

/*
 * Another agent whose inventory the reporting agent pulls and merges
 * (`peers` list, DESIGN.md section 8): GET <url>/api/v1/inventory.
 */
struct sdc_peer_cfg {
    char *name;     /* [A-Za-z0-9._-], unique: the tag of its merged rows */
    char *url;      /* "http://host:port" or "https://host:port[/prefix]" */
    char *user;     /* HTTP basic auth user; "" = no auth */
    char *password; /* from `password` or `password_file`; "" = none */
    char *ca_file;  /* CA bundle that signs the peer's certificate (relative
                       names from the config's directory); "" = the
                       system's CAs */
    int timeout;    /* seconds for the whole pull; default 30 */
    int line;
};

struct sdc_config {
    char *path; /* the file this came from */
    char *data_dir;
    int step;           /* seconds, >= 1 */
    char *rrdcached;    /* "" = write files directly */
    bool write_process; /* direct: librrd's updates in a child process */
    char *log_level;    /* "info" by default */
    char *pidfile;      /* default data_dir/sdcmond.pid */

    struct sdc_hypervisor_cfg *hypervisors;
    size_t n_hypervisors;
    struct sdc_snmp_cfg *snmp;
    size_t n_snmp;
    struct sdc_cluster_cfg *clusters;
    size_t n_clusters;
    struct sdc_planned_cfg *planned;
    size_t n_planned;
    struct sdc_peer_cfg *peers; /* NULL when none */
    size_t n_peers;

    struct sdc_capacity_cfg capacity;
    struct sdc_web_cfg web;
    struct sdc_reports_cfg reports;
    struct sdc_retention_cfg retention;
    struct sdc_thresholds_cfg thresholds;

    /* `user`: the account sdcmond switches to when started as root, after
     * it has bound its sockets and taken its pid file; "" = stay as
     * started.  @user_line: its line in the file (0 when absent), for
     * messages about an account that does not exist. */
    char *user;
    int user_line;

    /* Warnings that are not errors ("step below 10 is for tests"), each
     * already prefixed with file:line.  The program logs them. */
    char **warnings;
    size_t n_warnings;
};

/*
 * sdc_config_load - read, validate and return the configuration in @path.
 * @out: set to a new configuration on success, NULL otherwise
 * @err: on failure, SDC_ERR_CONFIG (or SDC_ERR_IO / SDC_ERR_NOMEM) and a
 *       message "FILE:LINE: what is wrong"
 */
enum sdc_rc sdc_config_load(const char *path, struct sdc_config **out,
                            struct sdc_error *err);

/* sdc_config_free - free @cfg and everything it owns; NULL is allowed. */
void sdc_config_free(struct sdc_config *cfg);

/* sdc_config_find_cluster - the [clusters] entry named @name, or NULL. */
const struct sdc_cluster_cfg *
sdc_config_find_cluster(const struct sdc_config *cfg, const char *name);

/*
 * sdc_config_uplink_archive - whether an interface archive is of an uplink
 * the configuration lists.
 * @cfg:  the configuration
 * @dev:  the SNMP device's archive directory name (sdc_name_sanitize()d)
 * @inst: the interface's archive instance name (sdc_name_sanitize()d)
 *
 * The configured device and uplink names are sanitised the same way before
 * they are compared, as the archive paths were made from them.
 *
 * Return: true when some [snmp] device whose name gives @dev lists an uplink
 * whose name gives @inst.
 */
bool sdc_config_uplink_archive(const struct sdc_config *cfg, const char *dev,
                               const char *inst);

#endif
