/* log.c - level-filtered logging through a program-chosen sink. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sdc/log.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static sdc_log_sink_fn log_sink;
static void *log_user;
static enum sdc_log_level log_min = SDC_LOG_INFO;

void sdc_log_set_sink(sdc_log_sink_fn fn, void *user,
                      enum sdc_log_level min_level)
{
    pthread_mutex_lock(&log_lock);
    log_sink = fn;
    log_user = user;
    log_min = min_level;
    pthread_mutex_unlock(&log_lock);
}

void sdc_log_set_level(enum sdc_log_level min_level)
{
    pthread_mutex_lock(&log_lock);
    log_min = min_level;
    pthread_mutex_unlock(&log_lock);
}

bool sdc_log_enabled(enum sdc_log_level level)
{
    bool on;
    pthread_mutex_lock(&log_lock);
    on = log_sink != NULL && level <= log_min;
    pthread_mutex_unlock(&log_lock);
    return on;
}

bool sdc_log_level_parse(const char *s, enum sdc_log_level *out)
{
    static const struct {
        const char *name;
        enum sdc_log_level level;
    } names[] = {
        {"error", SDC_LOG_ERR},       {"err", SDC_LOG_ERR},
        {"warning", SDC_LOG_WARNING}, {"warn", SDC_LOG_WARNING},
        {"notice", SDC_LOG_NOTICE},   {"info", SDC_LOG_INFO},
        {"debug", SDC_LOG_DEBUG},
    };
    for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcasecmp(s, names[i].name) == 0) {
            *out = names[i].level;
            return true;
        }
    }
    return false;
}

static void log_va(enum sdc_log_level level, const char *fmt, va_list ap)
{
    char line[1024];
    vsnprintf(line, sizeof(line), fmt, ap);
    pthread_mutex_lock(&log_lock);
    if (log_sink && level <= log_min)
        log_sink(level, line, log_user);
    pthread_mutex_unlock(&log_lock);
}

void sdc_log(enum sdc_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_va(level, fmt, ap);
    va_end(ap);
}

#define COMPLAIN_FIRST_INTERVAL 60
#define COMPLAIN_MAX_INTERVAL 86400

void sdc_complain(struct sdc_complaint *c, time_t now, enum sdc_log_level level,
                  const char *fmt, ...)
{
    va_list ap;
    if (c->last != 0 && now < c->last + c->interval) {
        c->suppressed++;
        return;
    }
    if (c->last == 0)
        c->interval = COMPLAIN_FIRST_INTERVAL;
    else if (c->interval < COMPLAIN_MAX_INTERVAL)
        c->interval = c->interval * 2 > COMPLAIN_MAX_INTERVAL
                          ? COMPLAIN_MAX_INTERVAL
                          : c->interval * 2;
    if (c->suppressed > 0) {
        sdc_log(level, "(%u similar messages suppressed)", c->suppressed);
        c->suppressed = 0;
    }
    c->last = now;
    va_start(ap, fmt);
    log_va(level, fmt, ap);
    va_end(ap);
}

void sdc_complain_release(struct sdc_complaint *c, const char *fmt, ...)
{
    va_list ap;
    if (c->last == 0)
        return;
    c->last = 0;
    c->interval = 0;
    c->suppressed = 0;
    va_start(ap, fmt);
    log_va(SDC_LOG_NOTICE, fmt, ap);
    va_end(ap);
}
