/*
 * log.h - logging for libraries and programs.
 *
 * Libraries log through sdc_log(); where the lines go is decided by the
 * program with sdc_log_set_sink() (stderr in the foreground, syslog as a
 * daemon).  Until a program installs a sink, nothing is printed, so a
 * library used on its own stays silent.
 */
#ifndef SDC_LOG_H
#define SDC_LOG_H

#include <stdbool.h>
#include <time.h>

enum sdc_log_level {
    SDC_LOG_ERR = 3,
    SDC_LOG_WARNING = 4,
    SDC_LOG_NOTICE = 5,
    SDC_LOG_INFO = 6,
    SDC_LOG_DEBUG = 7,
};

typedef void (*sdc_log_sink_fn)(enum sdc_log_level level, const char *msg,
                                void *user);

/* sdc_log_set_sink - send every line at or above @min_level to @fn. */
void sdc_log_set_sink(sdc_log_sink_fn fn, void *user,
                      enum sdc_log_level min_level);

/* sdc_log_set_level - change the threshold only. */
void sdc_log_set_level(enum sdc_log_level min_level);

/* sdc_log_enabled - whether a line at @level would be written. */
bool sdc_log_enabled(enum sdc_log_level level);

/* sdc_log_level_parse - "error", "warning", "notice", "info", "debug". */
bool sdc_log_level_parse(const char *s, enum sdc_log_level *out);

void sdc_log(enum sdc_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define SDC_ERROR(...) sdc_log(SDC_LOG_ERR, __VA_ARGS__)
#define SDC_WARN(...) sdc_log(SDC_LOG_WARNING, __VA_ARGS__)
#define SDC_NOTICE(...) sdc_log(SDC_LOG_NOTICE, __VA_ARGS__)
#define SDC_INFO(...) sdc_log(SDC_LOG_INFO, __VA_ARGS__)
#define SDC_DEBUG(...) sdc_log(SDC_LOG_DEBUG, __VA_ARGS__)

/*
 * Rate-limited complaints, after collectd's c_complain(): the first failure
 * is logged at once, repeats are held back by an interval that doubles up
 * to one day, and the recovery is logged once.
 */
struct sdc_complaint {
    time_t last;         /* when the last line was written, 0 = not failing */
    time_t interval;     /* seconds before the next repeat may be written */
    unsigned suppressed; /* repeats held back since the last line */
};

/* sdc_complain - log a failure if the complaint's interval has passed. */
void sdc_complain(struct sdc_complaint *c, time_t now, enum sdc_log_level level,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* sdc_complain_release - log a recovery (at NOTICE) if it was failing. */
void sdc_complain_release(struct sdc_complaint *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
