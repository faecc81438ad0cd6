/*
 * web_auth.h - HTTP basic auth against a users file: one "user:hash" per
 * line, the hash a crypt(3) SHA-512 string ("$6$salt$..."; make one with
 * `mkpasswd -m sha-512` or sdcmon-passwd); blank lines and lines starting
 * with '#' are ignored.
 */
#ifndef SDC_AGENT_WEB_AUTH_H
#define SDC_AGENT_WEB_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "sdc/error.h"

/* Longest user name and hash line accepted. */
#define WEB_AUTH_MAX_USER 64
#define WEB_AUTH_MAX_LINE 512
/* Most users in one file. */
#define WEB_AUTH_MAX_USERS 1000

struct web_users;

/*
 * web_users_load - read @path.
 * @return: SDC_OK; SDC_ERR_IO (cannot read, with the path); SDC_ERR_CONFIG
 *          for a bad line ("FILE:LINE: ..."): no colon, an empty or too
 *          long user, a hash that is not "$6$...", a repeated user, an
 *          empty file; SDC_ERR_NOMEM.
 */
enum sdc_rc web_users_load(const char *path, struct web_users **out,
                           struct sdc_error *err);

/*
 * web_users_parse - the same from @text (@name for messages).
 */
enum sdc_rc web_users_parse(const char *name, const char *text,
                            struct web_users **out, struct sdc_error *err);

/* web_users_count - how many users @u holds. */
size_t web_users_count(const struct web_users *u);

/*
 * web_users_check - whether @user with @password is allowed: crypt_r of
 * the password with the stored hash as setting, compared in constant time.
 * An unknown user costs the same hash computation (against a dummy hash),
 * so timing does not tell which users exist.
 */
bool web_users_check(const struct web_users *u, const char *user,
                     const char *password);

/* web_users_free - free @u (NULL allowed). */
void web_users_free(struct web_users *u);

#endif
