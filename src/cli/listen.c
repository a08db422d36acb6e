/* listen.c -- --listen unix:PATH: nginx (or anything) logs to syslog over a
 * Unix datagram socket, which never blocks its writers: when nothing reads,
 * datagrams are dropped rather than stalling the server.  Each datagram is
 * one message; its syslog header ("<190>Dec  6 10:11:12 [host] nginx: ") is
 * stripped unless --keep-syslog-header, and the message is scrubbed and
 * written as a line.  The output is flushed whenever no datagram waits.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/run.h"
#include "io/io.h"

/* Largest datagram read whole; nginx sends at most 2 KiB of message. */
#define DGRAM_MAX ((size_t)64 << 10)

/* Mode of the socket file: the server's group may write. */
#define LISTEN_MODE 0660

/* Length of the syslog header at the start of m[0, n): "<PRI>" then an
 * RFC 3164 timestamp ("Mmm dd hh:mm:ss ") or an RFC 5424 version and
 * timestamp, then an optional host and the tag up to ": ".  0 when m does
 * not start with one (the datagram is then scrubbed whole). */
static size_t syslog_header(const char *m, size_t n)
{
    size_t k = 0;
    if (n < 3 || m[0] != '<')
        return 0;
    for (k = 1; k < n && k < 5 && m[k] >= '0' && m[k] <= '9'; k++)
        ;
    if (k == 1 || k >= n || m[k] != '>')
        return 0;
    k++;
    /* The tag ends at the first ": " in the next 128 bytes, after the
     * timestamp (which holds ':' but no ": "). */
    size_t lim = n - k > 128 ? k + 128 : n;
    for (size_t j = k; j + 1 < lim; j++)
        if (m[j] == ':' && m[j + 1] == ' ')
            return j + 2;
    return 0;
}

int run_listen(struct run *run, const char *spec)
{
    const struct options *opt = run->opt;
    if (strncmp(spec, "unix:", 5) != 0 || spec[5] == '\0') {
        errmsg("--listen: expected unix:PATH");
        return EX_USAGE;
    }
    const char *path = spec + 5;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        errmsg("--listen: %s: path too long for a socket", path);
        return EX_USAGE;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    gid_t gid = (gid_t)-1;
    if (opt->listen_group) {
        struct group *g = getgrnam(opt->listen_group);
        if (g == NULL) {
            errmsg("--listen-group: no group %s", opt->listen_group);
            return EX_USAGE;
        }
        gid = g->gr_gid;
    }
    /* A socket left by an earlier run is replaced; anything else is not. */
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            errmsg("%s: exists and is not a socket", path);
            return EX_CANTCREAT;
        }
        unlink(path);
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        errmsg("--listen: socket: %s", strerror(errno));
        return EX_OSERR;
    }
    mode_t old = umask(0177); /* no window in which others may connect */
    int b = bind(fd, (const struct sockaddr *)&sa, sizeof sa);
    umask(old);
    if (b < 0 || chmod(path, LISTEN_MODE) < 0 || (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0)) {
        errmsg("%s: cannot listen: %s", path, strerror(errno));
        close(fd);
        if (b == 0)
            unlink(path);
        return EX_CANTCREAT;
    }
    int rc = open_run_output(run);
    char *buf = rc == EX_OK ? malloc(DGRAM_MAX) : NULL;
    if (rc == EX_OK && buf == NULL) {
        errmsg("out of memory");
        rc = EX_SOFTWARE;
    }
    while (rc == EX_OK && !got_term) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int pr = poll(&pfd, 1, -1);
        if (pr < 0) {
            if (errno == EINTR) {
                reopen_if_asked(run);
                continue;
            }
            errmsg("--listen: poll: %s", strerror(errno));
            rc = EX_OSERR;
            break;
        }
        /* Every datagram waiting, then a flush: a busy socket stays
         * block-buffered, a quiet one is written at once. */
        for (;;) {
            ssize_t got = recv(fd, buf, DGRAM_MAX, MSG_DONTWAIT | MSG_TRUNC);
            if (got < 0) {
                if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                    errmsg("--listen: recv: %s", strerror(errno));
                    rc = EX_IOERR;
                }
                break;
            }
            /* Longer than the buffer: fail closed as a cut line. */
            size_t n = (size_t)got > DGRAM_MAX ? DGRAM_MAX : (size_t)got;
            uint64_t dropped = (uint64_t)got - n;
            while (dropped == 0 && n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
                n--;
            size_t h = opt->keep_syslog_header ? 0 : syslog_header(buf, n);
            if (!filter_record(run, buf + h, n - h, dropped)) {
                rc = run->rc != EX_OK ? run->rc : EX_IOERR;
                break;
            }
        }
        if (rc == EX_OK && writer_flush(run->out) < 0) {
            errmsg("%s: write error: %s", opt->output ? opt->output : "standard output",
                   strerror(writer_errno(run->out)));
            rc = EX_IOERR;
        }
    }
    free(buf);
    close(fd);
    unlink(path);
    if (run->out && rc == EX_OK && writer_finish(run->out) < 0) {
        errmsg("%s: write error: %s", opt->output ? opt->output : "standard output",
               strerror(writer_errno(run->out)));
        rc = EX_IOERR;
    }
    return rc;
}
