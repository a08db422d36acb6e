/* cli.c -- helpers shared by the logscrub command (main.c) and its anonip
 * front end (anonip.c): stderr messages, the signal flags, the -o file's
 * open and reopen, and the interactive-output test.
 *
 * It owns the signal handler and the 0640 mode of created output files.  It
 * does not own any policy on what to do after a failure: the callers word
 * their own messages and pick their own exit codes.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "cli/cli.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OUTPUT_MODE 0640 /* owner writes, the log group reads, others nothing */

volatile sig_atomic_t got_hup, got_term;

void errmsg(const char *fmt, ...)
{
    va_list ap;
    fputs("logscrub: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Only sets a flag: everything else happens in the main loop. */
static void on_signal(int sig)
{
    if (sig == SIGHUP)
        got_hup = 1;
    else
        got_term = 1;
}

void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: a blocked read returns */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int output_open(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, OUTPUT_MODE);
}

int output_reopen(const char *path, writer *w, int *fd)
{
    int nfd = output_open(path);
    if (nfd < 0)
        return OUTPUT_OPEN_FAILED;
    if (writer_finish(w) < 0) {
        close(nfd);
        return OUTPUT_WRITE_FAILED;
    }
    close(*fd);
    *fd = nfd;
    writer_reset(w, nfd);
    return OUTPUT_REOPENED;
}

bool interactive(int fd)
{
    struct stat st;
    /* A socket too: under systemd, standard output goes to journald. */
    return isatty(fd) ||
           (fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)));
}
