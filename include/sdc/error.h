/*
 * error.h - return codes and error messages shared by every sdcmon library.
 *
 * Functions that can fail return enum sdc_rc (SDC_OK = 0) and, when the
 * caller passes a non-NULL struct sdc_error, fill it with a short, whole,
 * greppable message.  Libraries never print and never exit: the program
 * decides what to do with the message.
 */
#ifndef SDC_ERROR_H
#define SDC_ERROR_H

enum sdc_rc {
    SDC_OK = 0,
    SDC_ERR_NOMEM,       /* allocation failed */
    SDC_ERR_INVALID,     /* bad argument or bad input data */
    SDC_ERR_CONFIG,      /* configuration error (message carries file:line) */
    SDC_ERR_IO,          /* file system or socket error */
    SDC_ERR_LIBVIRT,     /* libvirt call failed */
    SDC_ERR_SNMP,        /* net-snmp call failed */
    SDC_ERR_RRD,         /* librrd or rrdcached call failed */
    SDC_ERR_DB,          /* SQLite call failed */
    SDC_ERR_TIMEOUT,     /* a target did not answer in time */
    SDC_ERR_UNSUPPORTED, /* the driver or device cannot do this */
};

#define SDC_ERROR_MSG_LEN 512

struct sdc_error {
    enum sdc_rc code;
    char msg[SDC_ERROR_MSG_LEN];
};

/*
 * sdc_error_set - record an error and return its code.
 * @err: where to write; may be NULL (the code is still returned)
 * @code: the code to record
 * @fmt: printf-style message, without trailing newline
 * @return: @code, so callers can write "return sdc_error_set(...)".
 */
enum sdc_rc sdc_error_set(struct sdc_error *err, enum sdc_rc code,
                          const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* sdc_error_clear - reset @err (NULL allowed) to SDC_OK with an empty message.
 */
void sdc_error_clear(struct sdc_error *err);

/* sdc_rc_name - a constant name for @rc, e.g. "SDC_ERR_IO". */
const char *sdc_rc_name(enum sdc_rc rc);

#endif
