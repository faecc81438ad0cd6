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
    char *daily_digest; /* "HH:MM", default "19:00" */
    int daily_digest_minute; /* minutes after midnight, derived */
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

struct sdc_config {
    char *path; /* the file this came from */
    char *data_dir;
    int step;        /* seconds, >= 1 */
    char *rrdcached; /* "" = write files directly */
    char *log_level; /* "info" by default */
    char *pidfile;   /* default data_dir/sdcmond.pid */

    struct sdc_hypervisor_cfg *hypervisors;
    size_t n_hypervisors;
    struct sdc_snmp_cfg *snmp;
    size_t n_snmp;
    struct sdc_cluster_cfg *clusters;
    size_t n_clusters;
    struct sdc_planned_cfg *planned;
    size_t n_planned;

    struct sdc_capacity_cfg capacity;
    struct sdc_web_cfg web;
    struct sdc_reports_cfg reports;
    struct sdc_retention_cfg retention;

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

#endif
