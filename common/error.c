/* error.c - sdc_error helpers. */
#include <stdarg.h>
#include <stdio.h>

#include "sdc/error.h"

enum sdc_rc sdc_error_set(struct sdc_error *err, enum sdc_rc code,
                          const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}

void sdc_error_clear(struct sdc_error *err)
{
    if (err) {
        err->code = SDC_OK;
        err->msg[0] = '\0';
    }
}

const char *sdc_rc_name(enum sdc_rc rc)
{
    switch (rc) {
    case SDC_OK:
        return "SDC_OK";
    case SDC_ERR_NOMEM:
        return "SDC_ERR_NOMEM";
    case SDC_ERR_INVALID:
        return "SDC_ERR_INVALID";
    case SDC_ERR_CONFIG:
        return "SDC_ERR_CONFIG";
    case SDC_ERR_IO:
        return "SDC_ERR_IO";
    case SDC_ERR_LIBVIRT:
        return "SDC_ERR_LIBVIRT";
    case SDC_ERR_SNMP:
        return "SDC_ERR_SNMP";
    case SDC_ERR_RRD:
        return "SDC_ERR_RRD";
    case SDC_ERR_DB:
        return "SDC_ERR_DB";
    case SDC_ERR_TIMEOUT:
        return "SDC_ERR_TIMEOUT";
    case SDC_ERR_UNSUPPORTED:
        return "SDC_ERR_UNSUPPORTED";
    }
    return "SDC_ERR_?";
}
