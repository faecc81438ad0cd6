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
 *
 * The outbox (delivery_start_outbox): nothing is lost when a receiver is
 * down or sdcmond stops.  Each item is first written atomically (a
 * temporary file, fsync, link, fsync of the directory) as one file
 * <queued>-<nanoseconds>-<seq>-<webhook|mail>.json in the outbox directory,
 * holding the kind, the body (or subject and parts) and the time it was
 * first queued - never the URL or the addresses, which are taken from the
 * running config (delivery_target_*) when it is sent again.  The file is
 * removed once delivered.  An item that fails (all its tries, or sdcmond
 * stops first) stays; the thread sends what is in the outbox again at
 * start and then after DELIVERY_OUTBOX_RETRY_FIRST seconds, the wait
 * doubling up to DELIVERY_OUTBOX_RETRY_MAX (and at once after a fresh item
 * was delivered), oldest first, one try each, stopping at the first failure;
 * each failed item is logged as an error once, not at every pass.  An item
 * queued more than DELIVERY_OUTBOX_MAX_AGE seconds ago is dropped with an
 * error naming it; beyond DELIVERY_OUTBOX_MAX files of one kind the oldest
 * is dropped, with an error.  A file that is not a valid item (hand-made,
 * cut short) is moved to bad/ under the outbox with a warning.  The webhook
 * thread owns every name but *-mail.json; the mail thread those.
 */
#ifndef SDC_AGENT_DELIVERY_H
#define SDC_AGENT_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>

#include "sdc/error.h"

#define DELIVERY_QUEUE 16
#define DELIVERY_TRIES 5
#define DELIVERY_BACKOFF_FIRST 1.0 /* seconds */
#define DELIVERY_BACKOFF_MAX 16.0
#define DELIVERY_CONNECT_TIMEOUT 5L /* seconds */
#define DELIVERY_TIMEOUT 10L
#define DELIVERY_MAIL_TIMEOUT 60
#define DELIVERY_MAIL_STOP_GRACE 5     /* seconds sendmail gets once stopping */
#define DELIVERY_OUTBOX_MAX 1000       /* files of one kind */
#define DELIVERY_OUTBOX_MAX_AGE 604800 /* seconds: 7 days */
#define DELIVERY_OUTBOX_RETRY_FIRST 300.0 /* seconds */
#define DELIVERY_OUTBOX_RETRY_MAX 3600.0
#define DELIVERY_OUTBOX_NAME_LEN 64

/* One item as kept in the outbox. */
struct delivery_notice {
    bool mail;        /* false: a webhook */
    long long queued; /* when first queued (seconds since the epoch) */
    char *body;       /* webhook: the JSON */
    char *subject;    /* mail */
    char *text;
    char *html; /* NULL: none */
};

struct delivery;

/* delivery_start - start the thread (and libcurl). */
enum sdc_rc delivery_start(struct delivery **out, struct sdc_error *err);

/*
 * delivery_start_outbox - start the thread with its outbox in @dir (created
 * 0700 when missing; its parent must exist).  @mail: this thread sends mail
 * (and owns the *-mail.json files), else webhooks.  What is already in the
 * outbox is sent at once (before the first item queued).
 */
enum sdc_rc delivery_start_outbox(struct delivery **out, const char *dir,
                                  bool mail, struct sdc_error *err);

/*
 * delivery_target_webhook - the URL the outbox's webhook items are sent to
 * again (the running config's reports.webhook_url; "" none: they wait).
 */
void delivery_target_webhook(struct delivery *d, const char *url);

/*
 * delivery_target_mail - the command and addresses the outbox's mail items
 * are sent with again (@to "": none, they wait).
 */
void delivery_target_mail(struct delivery *d, const char *sendmail,
                          const char *to, const char *from);

/*
 * delivery_outbox_name - the file name of the item queued at @sec + @nsec
 * (wall clock), the @seq-th of this process.  Names sort by queue time.
 * @out: at least DELIVERY_OUTBOX_NAME_LEN bytes.
 */
void delivery_outbox_name(char *out, size_t len, long long sec, long nsec,
                          unsigned seq, bool mail);

/*
 * delivery_outbox_is_mail - whether @name (a file in the outbox) is a mail
 * item's by its name: true for *-mail.json.
 */
bool delivery_outbox_is_mail(const char *name);

/*
 * delivery_notice_format - @n as the text of an outbox file (malloc'd).
 * @return: NULL when out of memory.
 */
char *delivery_notice_format(const struct delivery_notice *n);

/*
 * delivery_notice_parse - read an outbox file's @text into @n (strings
 * malloc'd; free with delivery_notice_free).  @return: SDC_ERR_INVALID with
 * what is wrong (not JSON, an unknown kind, a field missing or of the wrong
 * type, a negative time) in @err; SDC_ERR_NOMEM.
 */
enum sdc_rc delivery_notice_parse(const char *text, struct delivery_notice *n,
                                  struct sdc_error *err);

/* delivery_notice_free - free @n's strings (not @n). */
void delivery_notice_free(struct delivery_notice *n);

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
 * still queued or waiting for a retry is dropped from memory, logged (with
 * an outbox, its file stays and is sent after the next start).  NULL
 * allowed.
 */
void delivery_stop(struct delivery *d);

#endif
