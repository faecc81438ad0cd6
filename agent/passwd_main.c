/*
 * passwd_main.c - sdcmon-passwd: print a users_file line "USER:HASH" for
 * the web view's basic auth, the hash crypt(3) SHA-512 ("$6$") with a
 * random salt.  The password is read from standard input (one line; asked
 * for twice, without echo, on a terminal).
 */
#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "web_auth.h"

static const char usage_text[] =
    "Usage: sdcmon-passwd USER >> users_file\n"
    "       sdcmon-passwd --help | --version\n"
    "\n"
    "Reads a password from standard input (asks twice, without echo, on a\n"
    "terminal) and prints \"USER:HASH\", HASH a crypt(3) SHA-512 string with\n"
    "a random salt (libcrypt's crypt_gensalt): one line of sdcmond's\n"
    "web.users_file, which the web view's basic auth checks.  The same as\n"
    "`printf '%s:%s\\n' USER \"$(mkpasswd -m sha-512)\"`.\n"
    "\n"
    "USER is 1 to 64 characters without ':' or a newline.\n"
    "\n"
    "Exit status: 0 printed; 1 no random salt or crypt failed; 2 a usage\n"
    "error, no password, or the two passwords differ.\n"
    "\n"
    "Files: the users file named by web.users_file in sdcmon.conf; keep it\n"
    "readable by sdcmond's account only (chmod 0640, group sdcmon).\n"
    "\n"
    "Examples:\n"
    "  sdcmon-passwd planner >> /etc/sdcmon/users\n"
    "  printf '%s\\n' \"$PW\" | sdcmon-passwd wallscreen >> /etc/sdcmon/users\n"
    "\n"
    "See sdcmon-passwd(1), sdcmon.conf(5), sdcmond(8).\n";

/* One line from stdin without its newline; echo off on a terminal. */
static int read_line(const char *prompt, char *buf, size_t len)
{
    struct termios old, quiet;
    int tty = isatty(0);
    size_t n;
    if (tty) {
        fputs(prompt, stderr);
        tcgetattr(0, &old);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(0, TCSAFLUSH, &quiet);
    }
    if (!fgets(buf, (int)len, stdin))
        buf[0] = '\0';
    if (tty) {
        tcsetattr(0, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    n = strlen(buf);
    if (n && buf[n - 1] == '\n')
        buf[--n] = '\0';
    else if (n == len - 1)
        return -1; /* too long */
    if (n && buf[n - 1] == '\r')
        buf[--n] = '\0';
    return 0;
}

int main(int argc, char **argv)
{
    char pw[1024], again[1024], setting[CRYPT_GENSALT_OUTPUT_SIZE];
    struct crypt_data *cd;
    const char *h;

    if (argc == 2 &&
        (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0)) {
        printf("sdcmon-passwd %s\n", SDC_VERSION);
        return 0;
    }
    if (argc != 2 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "--help") == 0) {
        fputs(usage_text, argc == 2 ? stdout : stderr);
        return argc == 2 ? 0 : 2;
    }
    if (!*argv[1] || strchr(argv[1], ':') || strchr(argv[1], '\n') ||
        strlen(argv[1]) > WEB_AUTH_MAX_USER) {
        fprintf(stderr,
                "sdcmon-passwd: a user name is 1..%d characters "
                "without ':'\n",
                WEB_AUTH_MAX_USER);
        return 2;
    }
    if (read_line("Password: ", pw, sizeof(pw)) != 0 || !*pw) {
        fputs("sdcmon-passwd: no password, or longer than 1,022 bytes\n",
              stderr);
        return 2;
    }
    if (isatty(0)) {
        if (read_line("Again: ", again, sizeof(again)) != 0 ||
            strcmp(pw, again) != 0) {
            fputs("sdcmon-passwd: the passwords differ\n", stderr);
            return 2;
        }
    }
    /* a "$6$" setting with a random salt from libcrypt itself */
    if (!crypt_gensalt_rn("$6$", 0, NULL, 0, setting, (int)sizeof(setting))) {
        fprintf(stderr, "sdcmon-passwd: no random salt: %s\n", strerror(errno));
        return 1;
    }
    cd = calloc(1, sizeof(*cd));
    h = cd ? crypt_r(pw, setting, cd) : NULL;
    memset(pw, 0, sizeof(pw));
    if (!h || h[0] != '$') {
        fputs("sdcmon-passwd: crypt failed\n", stderr);
        free(cd);
        return 1;
    }
    printf("%s:%s\n", argv[1], h);
    free(cd);
    return 0;
}
