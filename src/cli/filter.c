/* filter.c -- the filter: reads each input, scrubs it line by line (or block
 * by block without rules) through the library and writes the result, acting
 * on signals between lines.  Also the --stats and --explain reports.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/run.h"
#include "io/io.h"
#include "logscrub.h"


/* Records a write failure: quiet for a closed pipe, a message otherwise. */
static void write_failed(struct run *run)
{
    int e = writer_errno(run->out);
    if (e == EPIPE) {
        got_term = 1; /* stop reading; nobody is listening */
        if (run->rc == EX_OK)
            run->rc = -EPIPE;
        return;
    }
    errmsg("%s: write error: %s", run->opt->output ? run->opt->output : "standard output",
           strerror(e));
    run->rc = EX_IOERR;
    run->write_error = true;
}

/* The reader's refill hook: called before a read(2) that may block.  A
 * live input (FIFO, pipe, socket, tty) that has nothing to read now means a
 * pause: what is scrubbed goes out, whatever the output is, so `tail -f` and
 * fail2ban see each line within moments and a crash loses nothing already
 * read.  A busy stream (data ready) stays block-buffered.  A live output
 * (tty, FIFO, socket) is flushed before every read, as before. */
static void flush_before_read(void *arg)
{
    struct run *run = arg;
    if (!run->out_live) {
        if (!run->in_live)
            return;
        struct pollfd pfd = {.fd = run->in_fd, .events = POLLIN};
        if (poll(&pfd, 1, 0) > 0)
            return; /* more is there: no pause */
    }
    if (run->rc == EX_OK && writer_flush(run->out) < 0)
        write_failed(run);
}

/* Writes one scrubbed line.  Returns false after a write error. */
static bool emit(struct run *run, const rline *l)
{
    const char *out;
    size_t out_len;
    char marker[64];
    size_t marker_len = 0;
    size_t keep = l->len;
    bool nl = l->nl;

    run->lineno++;
    if (l->cut || l->interrupted) {
        /* Fail closed: keep whole words only, so no address or other token
         * is split into pieces the scanner cannot recognise. */
        while (keep > 0 && l->p[keep - 1] != ' ' && l->p[keep - 1] != '\t')
            keep--;
        uint64_t gone = l->dropped + (l->len - keep);
        marker_len = (size_t)snprintf(marker, sizeof marker, "[logscrub: %" PRIu64 " bytes cut]",
                                      gone);
        ls_worker_count_fail_closed(run->worker);
        if (l->interrupted)
            nl = true; /* the next writer must not continue this line */
    }
    if (run->rotate_key) {
        /* A new period starts a new key: yesterday's pseudonyms end here. */
        time_t t = time(NULL);
        if (ls_policy_key_due(run->policy, (uint64_t)t) &&
            ls_policy_open_key(run->policy, (uint64_t)t) != LS_OK) {
            errmsg("%s", ls_policy_error(run->policy));
            run->rc = EX_CONFIG;
            return false;
        }
    }
    /* On failure out is a marker, never the input. */
    if (ls_scrub(run->worker, l->p, keep, &out, &out_len) == LS_DROPPED)
        return true; /* a drop-line rule: this line has no output line */

    if (run->need_nl && writer_put(run->out, "\n", 1) < 0)
        goto fail;
    run->need_nl = false;
    if (writer_put(run->out, out, out_len) < 0 ||
        (marker_len && writer_put(run->out, marker, marker_len) < 0))
        goto fail;
    if (nl) {
        if (writer_put(run->out, "\n", 1) < 0)
            goto fail;
    } else {
        run->need_nl = true; /* written only if another line follows */
    }
    if (run->flush_each_line && writer_flush(run->out) < 0)
        goto fail;
    return true;
fail:
    write_failed(run);
    return false;
}

/* Writes the scrubbed form of in[0, len), whole lines each ending in '\n'
 * (from reader_next_block), as emit would line by line.  Returns false after
 * a write error. */
static bool emit_block(struct run *run, const char *in, size_t len)
{
    const char *out;
    size_t out_len;
    ls_counters before, after;

    ls_worker_counters(run->worker, &before);
    if (ls_scrub_lines(run->worker, in, len, &out, &out_len) != LS_OK) {
        /* Out of memory, nothing done: line by line, each failing closed. */
        for (size_t from = 0; from < len;) {
            const char *nl = memchr(in + from, '\n', len - from);
            rline l = {.p = in + from, .len = (size_t)(nl - (in + from)), .nl = true};
            if (!emit(run, &l))
                return false;
            from += l.len + 1;
        }
        return true;
    }
    ls_worker_counters(run->worker, &after);
    run->lineno += after.lines - before.lines;
    if (run->need_nl && writer_put(run->out, "\n", 1) < 0)
        goto fail;
    run->need_nl = false;
    if (writer_put(run->out, out, out_len) < 0)
        goto fail;
    /* All lines of the block are whole: flushing after it is flushing
     * after its last line. */
    if (run->flush_each_line && writer_flush(run->out) < 0)
        goto fail;
    return true;
fail:
    write_failed(run);
    return false;
}

/* Reopens -o after SIGHUP.  The old file stays in use if the new one cannot
 * be opened, so no line is lost either way. */
static void reopen_output(struct run *run)
{
    got_hup = 0;
    if (run->opt->output == NULL)
        return;
    int rc = output_reopen(run->opt->output, run->out, &run->out_fd);
    if (rc == OUTPUT_OPEN_FAILED)
        errmsg("%s: cannot reopen: %s; still writing to the old file", run->opt->output,
               strerror(errno));
    else if (rc == OUTPUT_WRITE_FAILED)
        write_failed(run);
}

/* --explain: where a rule matched.  Offsets only: never log content. */
void explain_match(void *arg, const char *rule, size_t start, size_t end, bool rejected)
{
    const struct run *run = arg;
    fprintf(stderr, "logscrub: explain: line %" PRIu64 ": rule %s matched bytes %zu-%zu%s\n",
            run->lineno, rule, start, end, rejected ? " (validator refused)" : "");
}

/* Filters one input into run->out.  Returns false when the run must stop.
 * Signals are looked at between lines, or between blocks of whole lines on
 * the block path, so a SIGHUP reopen never splits a line. */
bool filter(struct run *run, int fd, const char *name)
{
    rline l;
    run->lineno = 0;
    run->in_fd = fd;
    run->in_live = interactive(fd);
    reader_open(run->in, fd, name);
    for (;;) {
        if (got_hup)
            reopen_output(run);
        if (got_term)
            reader_stop(run->in);
        int rc;
        if (run->block) {
            const char *p;
            size_t n;
            rc = reader_next_block(run->in, &p, &n);
            if (rc == RD_LINE) {
                if (!emit_block(run, p, n))
                    return false;
                continue;
            }
            if (rc == RD_ONE) /* a cut line or a last one without '\n' */
                rc = reader_next(run->in, &l);
        } else {
            rc = reader_next(run->in, &l);
        }
        if (rc == RD_LINE) {
            if (!emit(run, &l))
                return false;
        } else if (rc == RD_EOF) {
            return run->rc == EX_OK;
        } else if (rc == RD_ERR) {
            errmsg("%s", reader_error(run->in));
            run->rc = EX_IOERR;
            return false;
        } else if (run->rc != EX_OK) { /* RD_INTR after a failed flush */
            return false;
        }
    }
}

double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void print_stats(const struct run *run, double seconds)
{
    ls_counters c;
    ls_worker_counters(run->worker, &c);
    uint64_t in = reader_bytes(run->in);
    fprintf(stderr,
            "logscrub: stats: lines=%" PRIu64 " bytes_in=%" PRIu64 " bytes_out=%" PRIu64
            " ipv4=%" PRIu64 " ipv6=%" PRIu64 " kept=%" PRIu64 " dropped=%" PRIu64
            " fail_closed=%" PRIu64 " unparsed=%" PRIu64 " seconds=%.3f mb_per_s=%.1f\n",
            c.lines, in, run->bytes_out + (run->out ? writer_bytes(run->out) : 0), c.ipv4,
            c.ipv6, c.kept, c.dropped, c.fail_closed, c.unparsed, seconds,
            seconds > 0 ? (double)in / 1e6 / seconds : 0.0);
    size_t n = ls_policy_rule_count(run->policy);
    if (n == 0)
        return;
    fputs("logscrub: stats: rules:", stderr);
    for (size_t k = 0; k < n; k++)
        fprintf(stderr, " %s=%" PRIu64, ls_policy_rule_name(run->policy, k),
                ls_worker_rule_hits(run->worker, k));
    fputc('\n', stderr);
}

/* Opens an input file for reading; a directory or an unreadable file is
 * reported (by name, never content) and gives -1. */
static int open_input(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        fd = -1;
        errno = EISDIR;
    }
    if (fd < 0)
        errmsg("%s: %s", path, strerror(errno));
    return fd;
}

/* The filter: FILEs (or stdin) to stdout or -o. */
int run_filter(struct run *run, char **files, int nfiles)
{
    const struct options *opt = run->opt;
    run->out_fd = STDOUT_FILENO;
    if (opt->output) {
        run->out_fd = output_open(opt->output);
        if (run->out_fd < 0) {
            errmsg("%s: cannot open for writing: %s", opt->output, strerror(errno));
            return EX_CANTCREAT;
        }
    }
    run->out = writer_new(run->out_fd, opt->gzip);
    if (run->out == NULL) {
        errmsg("out of memory");
        return EX_SOFTWARE;
    }
    run->flush_each_line = opt->line_buffered;
    run->out_live = interactive(run->out_fd);
    if (!opt->line_buffered)
        reader_on_refill(run->in, flush_before_read, run);

    static char *stdin_only[] = {"-"};
    if (nfiles == 0) {
        files = stdin_only;
        nfiles = 1;
    }
    /* Like cat: an input that cannot be opened is reported and skipped, the
     * others are still filtered, and the exit status says so at the end. */
    bool missing = false;
    for (int k = 0; k < nfiles && run->rc == EX_OK && !got_term; k++) {
        bool is_stdin = strcmp(files[k], "-") == 0;
        int fd = is_stdin ? STDIN_FILENO : open_input(files[k]);
        if (fd < 0) {
            missing = true;
            continue;
        }
        filter(run, fd, is_stdin ? "standard input" : files[k]);
        if (!is_stdin)
            close(fd);
    }
    if (missing && run->rc == EX_OK)
        run->rc = EX_NOINPUT;
    /* Whatever stopped the run, lines already scrubbed are written out and
     * a gzip stream is ended properly -- unless the output itself failed. */
    if (!run->write_error && run->rc != -EPIPE) {
        if (writer_finish(run->out) < 0)
            write_failed(run);
    }
    if (opt->output && close(run->out_fd) < 0 && run->rc == EX_OK) {
        errmsg("%s: %s", opt->output, strerror(errno));
        run->rc = EX_IOERR;
    }
    return run->rc == -EPIPE ? EX_OK : run->rc;
}