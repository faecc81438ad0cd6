/* testutil.c - see testutil.h. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

char *tu_tmpdir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    char *path;
    if (!base || !*base)
        base = "/tmp";
    if (asprintf(&path, "%s/sdc-%s-XXXXXX", base, tag ? tag : "t") < 0)
        return NULL;
    if (!mkdtemp(path)) {
        free(path);
        return NULL;
    }
    return path;
}

void tu_rmrf(const char *path)
{
    char *cmd;
    if (!path || !*path || strcmp(path, "/") == 0)
        return;
    if (asprintf(&cmd, "rm -rf '%s'", path) < 0)
        return;
    if (system(cmd) != 0)
        fprintf(stderr, "testutil: could not remove %s\n", path);
    free(cmd);
}

bool tu_write_file(const char *path, const char *text, unsigned mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, (mode_t)mode);
    size_t len = strlen(text);
    bool ok;
    if (fd < 0)
        return false;
    ok = write(fd, text, len) == (ssize_t)len;
    if (fchmod(fd, (mode_t)mode) != 0)
        ok = false;
    return close(fd) == 0 && ok;
}

char *tu_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (!f)
        return NULL;
    for (;;) {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

int tu_run(const char *cmd, char **out)
{
    char *full;
    FILE *p;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int st;

    if (asprintf(&full, "( %s ) 2>&1", cmd) < 0)
        return -1;
    p = popen(full, "r");
    free(full);
    if (!p)
        return -1;
    for (;;) {
        if (cap - len < 4096) {
            if (cap >= 4u << 20)
                break;
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (!nb)
                break;
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, p);
        len += n;
        if (n == 0)
            break;
    }
    if (buf)
        buf[len] = '\0';
    st = pclose(p);
    if (out)
        *out = buf ? buf : strdup("");
    else
        free(buf);
    if (st == -1 || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

int tu_runf(char **out, const char *fmt, ...)
{
    va_list ap;
    char *cmd;
    int rc;
    va_start(ap, fmt);
    rc = vasprintf(&cmd, fmt, ap);
    va_end(ap);
    if (rc < 0)
        return -1;
    rc = tu_run(cmd, out);
    free(cmd);
    return rc;
}

int tu_free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int port = -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

pid_t tu_spawn(char *const argv[], const char *logfile)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(logfile ? logfile : "/dev/null",
                      O_WRONLY | O_CREAT | O_APPEND, 0644);
        int nul = open("/dev/null", O_RDONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        if (nul >= 0)
            dup2(nul, 0);
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int tu_wait_exit(pid_t pid, int timeout_ms)
{
    int st;
    for (int waited = 0;; waited += 10) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (r < 0)
            return -1;
        if (waited >= timeout_ms)
            return -1;
        sleep_ms(10);
    }
}

int tu_stop(pid_t pid, int timeout_ms)
{
    int rc;
    if (pid <= 0)
        return -1;
    kill(pid, SIGTERM);
    rc = tu_wait_exit(pid, timeout_ms);
    if (rc == -1) {
        kill(pid, SIGKILL);
        rc = tu_wait_exit(pid, 5000);
    }
    return rc;
}

bool tu_wait_path(const char *path, int timeout_ms)
{
    struct stat st;
    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        if (stat(path, &st) == 0)
            return true;
        sleep_ms(10);
    }
    return false;
}

bool tu_wait_unix_socket(const char *path, int timeout_ms)
{
    struct sockaddr_un a;
    if (strlen(path) >= sizeof(a.sun_path))
        return false;
    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    memcpy(a.sun_path, path, strlen(path) + 1);
    for (int waited = 0; waited <= timeout_ms; waited += 20) {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
        if (fd >= 0)
            close(fd);
        if (ok)
            return true;
        sleep_ms(20);
    }
    return false;
}

bool tu_which(const char *prog)
{
    char *cmd;
    int rc;
    if (asprintf(&cmd, "command -v '%s' >/dev/null 2>&1", prog) < 0)
        return false;
    rc = system(cmd);
    free(cmd);
    return rc == 0;
}

const char *tu_sdcmond(void)
{
    return SDC_BINARY_DIR "/sdcmond";
}

const char *tu_shared_dir(void)
{
    static const char *dir = SDC_SOURCE_DIR "/../shared";
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) ? dir : NULL;
}

double tu_rrd_last(const char *file, const char *ds, int seconds)
{
    char *out = NULL;
    double last = NAN;
    int col = -1;
    if (tu_runf(&out, "rrdtool fetch '%s' AVERAGE -s -%d", file, seconds) !=
        0) {
        free(out);
        return NAN;
    }
    /* first line: DS names; then "time: v1 v2 ..." */
    char *save = NULL;
    char *line = strtok_r(out, "\n", &save);
    if (line) {
        int i = 0;
        char *s2 = NULL;
        for (char *tok = strtok_r(line, " \t", &s2); tok;
             tok = strtok_r(NULL, " \t", &s2), i++)
            if (strcmp(tok, ds) == 0)
                col = i;
    }
    while (col >= 0 && (line = strtok_r(NULL, "\n", &save))) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        char *p = colon + 1;
        for (int i = 0; i <= col; i++) {
            char *end;
            double v = strtod(p, &end);
            if (end == p)
                break;
            if (i == col && !isnan(v))
                last = v;
            p = end;
        }
    }
    free(out);
    return last;
}

char *tu_rrd_info(const char *file, const char *key)
{
    char *out = NULL;
    char *res = NULL;
    size_t kl = strlen(key);
    if (tu_runf(&out, "rrdtool info '%s'", file) != 0) {
        free(out);
        return NULL;
    }
    for (char *line = out; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (strncmp(line, key, kl) == 0 && strncmp(line + kl, " = ", 3) == 0) {
            const char *v = line + kl + 3;
            size_t vl = strlen(v);
            if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"')
                res = strndup(v + 1, vl - 2);
            else
                res = strdup(v);
            break;
        }
        line = nl ? nl + 1 : NULL;
    }
    free(out);
    return res;
}

time_t tu_local_time(int year, int mon, int mday, int hour)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = mday;
    tm.tm_hour = hour;
    tm.tm_isdst = -1;
    return mktime(&tm);
}

void tu_drop_tmpdir(char *dir)
{
    if (!dir)
        return;
    if (getenv("SDC_KEEP_TMP"))
        fprintf(stderr, "kept %s\n", dir);
    else
        tu_rmrf(dir);
    free(dir);
}
