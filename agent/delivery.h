/*
 * delivery.h - sends what the scheduled reports produce, on a thread of its
 * own so that neither a slow receiver nor a slow mail command ever holds up
 * polling or the next report.
 *
 * Two kinds of item, taken in order from one bounded queue:
 * - a webhook: a JSON body POSTed to an http:// or https:// URL with
 *   libcurl (Content-Type: application/json; connect timeout 5 s, whole
 *   request 10 s).  A 2xx answer is success; an answer 408, 429 or 5xx, or
 *   no answer at all, is tried again after 1, 2, 4 and 8 s (DELIVERY_TRIES
 *   tries in all, the wait doubling up to DELIVERY_BACKOFF_MAX); any other
 *   answer (a 4xx: the receiver refuses it) is not tried again.  Every
 *   failure is logged, the last one as an error.
 * - a mail: a MIME message (text/plain and, when given, text/html as
 *   multipart/alternative, both quoted-printable) written to the standard
 *   input of `SENDMAIL -t -oi` (posix_spawn, no shell), which takes the
 *   recipients from the To: header.  It starts with no signal blocked or
 *   ignored and no descriptor of sdcmond's but 0, 1 and 2.  A sendmail that
 *   exits non-zero, exits before reading the whole message, or runs past
 *   DELIVERY_MAIL_TIMEOUT seconds (writing included) is logged (and killed,
 *   and reaped).
 *
 * A full queue (DELIVERY_QUEUE items) refuses new items, logged.  Items
 * carry their own settings (URL, addresses), so a reload of the config
 * changes only later items.
 */
#ifndef SDC_AGENT_DELIVERY_H
#define SDC_AGENT_DELIVERY_H

#include <stdbool.h>

#include "sdc/error.h"

#define DELIVERY_QUEUE 16
#define DELIVERY_TRIES 5
#define DELIVERY_BACKOFF_FIRST 1.0 /* seconds */
#define DELIVERY_BACKOFF_MAX 16.0
#define DELIVERY_CONNECT_TIMEOUT 5L /* seconds */
#define DELIVERY_TIMEOUT 10L
#define DELIVERY_MAIL_TIMEOUT 60
#define DELIVERY_MAIL_STOP_GRACE 5 /* seconds sendmail gets once stopping */

struct delivery;

/* delivery_start - start the thread (and libcurl). */
enum sdc_rc delivery_start(struct delivery **out, struct sdc_error *err);

/*
 * delivery_post - queue a POST of @json (copied) to @url.
 * @return: false when the queue is full or out of memory (logged).
 */
bool delivery_post(struct delivery *d, const char *url, const char *json);

/*
 * delivery_mail - queue a mail to @to (comma-separated, already validated
 * by the config) from @from ("" for sendmail's default) with @subject
 * (ASCII, no line breaks), the text part @text and the HTML part @html
 * (NULL: text only), sent with @sendmail (absolute path).  Strings copied.
 * @return: false when the queue is full or out of memory (logged).
 */
bool delivery_mail(struct delivery *d, const char *sendmail, const char *to,
                   const char *from, const char *subject, const char *text,
                   const char *html);

/*
 * delivery_stop - stop the thread: the item being sent finishes its current
 * try (bounded by the timeouts; a sendmail still running
 * DELIVERY_MAIL_STOP_GRACE seconds after the stop is killed); what is
 * still queued or waiting for a retry is dropped, logged.  NULL allowed.
 */
void delivery_stop(struct delivery *d);

#endif
