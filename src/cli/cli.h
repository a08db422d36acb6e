/* cli.h -- what the two front ends (main.c's filter and anonip.c) share:
 * error messages, signal flags, opening and reopening the -o file, and the
 * "is someone waiting on this fd" test.
 *
 * Process-wide by nature (stderr, signal dispositions), so these are plain
 * functions and globals rather than an object.
 */
#ifndef LS_CLI_H
#define LS_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "io/io.h"

/* Prints one line on stderr: "logscrub: ", the formatted message, '\n'.
 * Callers never pass log text.  This function can't fail (a failed write
 * to stderr is ignored). */
void errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Set by the handlers install_signals() puts in place; the main loop reads
 * them between lines and clears got_hup when it has reopened the output. */
extern volatile sig_atomic_t got_hup;  /* SIGHUP: reopen -o FILE */
extern volatile sig_atomic_t got_term; /* SIGTERM or SIGINT: finish and exit */

/* Catches SIGHUP, SIGTERM and SIGINT into the flags above, without
 * SA_RESTART so a blocked read(2) returns EINTR, and ignores SIGPIPE so a
 * closed output pipe shows up as EPIPE from write(2).  This function can't
 * fail. */
void install_signals(void);

/* Opens path for appending, creating it mode 0640 (log files are not for
 * everyone), close-on-exec.  Returns the fd, or -1 with errno set. */
int output_open(const char *path);

enum {
    OUTPUT_REOPENED = 0,
    OUTPUT_OPEN_FAILED = -1, /* errno set; w and *fd unchanged, still usable */
    OUTPUT_WRITE_FAILED = -2 /* writer_errno(w) set; *fd unchanged, w unusable */
};

/* After SIGHUP (log rotation): opens path afresh, ends the output on *fd
 * with writer_finish, closes *fd and continues w on the new fd, stored in
 * *fd.  The new file is opened first, so when that fails nothing changes
 * and no line is lost.  Returns one of the OUTPUT_ values above; on
 * OUTPUT_WRITE_FAILED the new fd is closed again. */
int output_reopen(const char *path, writer *w, int *fd);

/* True when fd is a terminal or a pipe: a person or a program is waiting
 * on the output, so it should not sit in a buffer while we wait for more
 * input.  False for anything else, and when fd is invalid. */
bool interactive(int fd);

/* --version: logscrub's version, then PCRE2 (and whether its JIT is on),
 * zlib, libyaml and libsodium as loaded at run time.  versions.c. */
void print_versions(FILE *f);

#endif /* LS_CLI_H */
