/* main.c -- the logscrub command: parses options and runs one of four
 * jobs: the filter (files or stdin to stdout or -o FILE), --in-place
 * rewriting, `logscrub check` (validate a policy, run its rule examples), or
 * the anonip-compatible front end.  Scrubbing itself is the
 * library's (logscrub.h); reading and writing are io.c's; messages, signals
 * and opening -o are cli.c's.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "anonip.h"
#include "cli.h"
#include "io.h"
#include "logscrub.h"

#define DEFAULT_MAX_LINE ((size_t)1 << 20)
struct options {
    const char *output, *config;
    bool gzip, in_place, keep_private, line_buffered, stats, no_rules, explain;
    bool set_v4, set_v6; /* given on the command line: override the policy */
    unsigned ipv4_prefix, ipv6_prefix;
    size_t max_line;
};

/* Everything one run of the filter shares. */
struct run {
    const struct options *opt;
    ls_worker *worker;
    reader *in;
    writer *out;
    int out_fd;
    bool flush_each_line; /* --line-buffered */
    bool block;           /* addresses only, truncated: scrub whole blocks */
    bool need_nl;         /* the last line written had no '\n' */
    uint64_t bytes_out;   /* of finished outputs (in-place files) */
    uint64_t lineno;      /* of the current input, for --explain */
    ls_policy *policy;
    bool rotate_key;      /* the policy uses pseudonyms: check the key's period */
    int rc;               /* exit status so far */
    bool write_error;     /* the output failed: nothing more can be written */
};

static void usage(FILE *f)
{
    fputs("Usage: logscrub [OPTIONS] [FILE...]\n"
          "       logscrub --in-place [OPTIONS] FILE...\n"
          "       logscrub check [-c FILE]\n"
          "       logscrub --compat=anonip [ANONIP OPTIONS]\n"
          "Truncate every IPv4 and IPv6 address in log lines and scrub personal data\n"
          "by the rules of a policy.  Reads FILEs (gzip detected automatically) or\n"
          "standard input; writes standard output.\n"
          "\n"
          "  -c, --config FILE     policy file (default: the built-in policy, which uses\n"
          "                        the rule packs pii, secrets and pii-de)\n"
          "      --no-rules        addresses only: do not apply the policy's rules\n"
          "      --explain         report each rule match (rule, byte offsets) on stderr\n"
          "  -o, --output FILE     append to FILE (created mode 0640); SIGHUP reopens it\n"
          "  -z, --gzip            gzip-compress the output\n"
          "      --in-place        rewrite each FILE safely (gzip input stays gzip)\n"
          "      --ipv4-prefix N   keep N leading bits of IPv4 addresses (0-32, default 24)\n"
          "      --ipv6-prefix N   keep N leading bits of IPv6 addresses (0-128, default 48)\n"
          "      --keep-private    leave private, loopback, link-local, unspecified and\n"
          "                        documentation addresses unchanged\n"
          "      --max-line SIZE   longest line kept whole, e.g. 64K (default 1M);\n"
          "                        longer lines are cut and marked\n"
          "      --line-buffered   flush the output after every line\n"
          "      --stats           print counters to standard error at exit\n"
          "      --compat=anonip   accept anonip 1.1's options and output (first argument)\n"
          "  -h, --help            show this help and exit\n"
          "  -V, --version         show the version and exit\n"
          "\n"
          "\n"
          "check validates the policy and runs every rule's examples.\n"
          "\n"
          "Exit status: 0 ok, 64 usage, 65 check: examples failed, 66 cannot open input,\n"
          "70 internal error, 73 cannot create output, 74 input/output error,\n"
          "75 --in-place interrupted (file left unchanged), 78 bad policy or key file.\n"
          "See logscrub(1) and logscrub-policy(5).\n",
          f);
}

/* Parses a decimal number within [0, max]; false on anything else. */
static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end != '\0' || v > max)
        return false;
    *out = v;
    return true;
}

/* Parses "N", "NK", "NM" or "NG" (binary multiples). */
static bool parse_size(const char *s, size_t *out)
{
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return false;
    unsigned shift = 0;
    switch (*end) {
    case '\0': break;
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: return false;
    }
    if (*end != '\0' || v == 0 || v > (IO_MAX_LINE_LIMIT >> shift))
        return false;
    *out = (size_t)(v << shift);
    return true;
}

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

static void flush_before_read(void *arg)
{
    struct run *run = arg;
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
static void explain_match(void *arg, const char *rule, size_t start, size_t end, bool rejected)
{
    const struct run *run = arg;
    fprintf(stderr, "logscrub: explain: line %" PRIu64 ": rule %s matched bytes %zu-%zu%s\n",
            run->lineno, rule, start, end, rejected ? " (validator refused)" : "");
}

/* Filters one input into run->out.  Returns false when the run must stop.
 * Signals are looked at between lines, or between blocks of whole lines on
 * the block path, so a SIGHUP reopen never splits a line. */
static bool filter(struct run *run, int fd, const char *name)
{
    rline l;
    run->lineno = 0;
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

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_stats(const struct run *run, double seconds)
{
    ls_counters c;
    ls_worker_counters(run->worker, &c);
    uint64_t in = reader_bytes(run->in);
    fprintf(stderr,
            "logscrub: stats: lines=%" PRIu64 " bytes_in=%" PRIu64 " bytes_out=%" PRIu64
            " ipv4=%" PRIu64 " ipv6=%" PRIu64 " kept=%" PRIu64 " dropped=%" PRIu64
            " fail_closed=%" PRIu64 " seconds=%.3f mb_per_s=%.1f\n",
            c.lines, in, run->bytes_out + (run->out ? writer_bytes(run->out) : 0), c.ipv4,
            c.ipv6, c.kept, c.dropped, c.fail_closed, seconds,
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
static int run_filter(struct run *run, char **files, int nfiles)
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
    if (!opt->line_buffered && interactive(run->out_fd))
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

/* Rewrites one file through a temporary file in the same directory.  On any
 * failure the temporary file is removed and the original is untouched. */
static int in_place_one(struct run *run, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        errmsg("%s: %s", path, strerror(errno));
        return EX_NOINPUT;
    }
    struct stat st;
    unsigned char magic[2];
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        errmsg("%s: not a regular file", path);
        close(fd);
        return EX_NOINPUT;
    }
    bool gz = pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;

    char *dcopy = strdup(path), *bcopy = strdup(path);
    char tmp[PATH_MAX];
    bool tmp_made = false;
    int tfd = -1, rc = EX_OK;
    if (dcopy == NULL || bcopy == NULL) {
        errmsg("out of memory");
        rc = EX_SOFTWARE;
        goto cleanup;
    }
    const char *dir = dirname(dcopy);
    if ((size_t)snprintf(tmp, sizeof tmp, "%s/.%s.logscrub.XXXXXX", dir, basename(bcopy)) >=
        sizeof tmp) {
        errmsg("%s: path too long", path);
        rc = EX_CANTCREAT;
        goto cleanup;
    }
    tfd = mkostemp(tmp, O_CLOEXEC);
    if (tfd < 0) {
        errmsg("%s: cannot create temporary file: %s", path, strerror(errno));
        rc = EX_CANTCREAT;
        goto cleanup;
    }
    tmp_made = true;
    run->out = writer_new(tfd, gz || run->opt->gzip);
    if (run->out == NULL) {
        errmsg("out of memory");
        rc = EX_SOFTWARE;
        goto cleanup;
    }
    run->out_fd = tfd;
    run->need_nl = false;
    run->rc = EX_OK;
    bool ok = filter(run, fd, path);
    if (ok && got_term) {
        errmsg("%s: interrupted; file left unchanged", path);
        rc = EX_TEMPFAIL;
        goto cleanup;
    }
    if (!ok) {
        rc = run->rc == -EPIPE ? EX_IOERR : run->rc;
        goto cleanup;
    }
    if (writer_finish(run->out) < 0) {
        errmsg("%s: cannot write temporary file: %s", path, strerror(writer_errno(run->out)));
        rc = EX_IOERR;
        goto cleanup;
    }
    if (fchmod(tfd, st.st_mode & 07777) < 0 ||
        ((st.st_uid != geteuid() || st.st_gid != getegid()) &&
         fchown(tfd, st.st_uid, st.st_gid) < 0)) {
        errmsg("%s: cannot keep mode or owner: %s", path, strerror(errno));
        rc = EX_CANTCREAT;
        goto cleanup;
    }
    if (fsync(tfd) < 0 || close(tfd) < 0) {
        tfd = -1;
        errmsg("%s: cannot write temporary file: %s", path, strerror(errno));
        rc = EX_IOERR;
        goto cleanup;
    }
    tfd = -1;
    if (rename(tmp, path) < 0) {
        errmsg("%s: cannot replace: %s", path, strerror(errno));
        rc = EX_CANTCREAT;
        goto cleanup;
    }
    tmp_made = false;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd); /* the rename is durable; failure here loses nothing */
        close(dfd);
    }
cleanup:
    if (tfd >= 0)
        close(tfd);
    if (tmp_made)
        unlink(tmp);
    if (run->out)
        run->bytes_out += writer_bytes(run->out);
    writer_free(run->out);
    run->out = NULL;
    close(fd);
    free(dcopy);
    free(bcopy);
    return rc;
}

static int run_in_place(struct run *run, char **files, int nfiles)
{
    for (int k = 0; k < nfiles; k++) {
        /* Rewrite what a symbolic link points to: replacing the link itself
         * would leave the raw target behind. */
        char *real = realpath(files[k], NULL);
        if (real == NULL) {
            errmsg("%s: %s", files[k], strerror(errno));
            return EX_NOINPUT;
        }
        int rc = in_place_one(run, real);
        free(real);
        if (rc != EX_OK)
            return rc;
    }
    return EX_OK;
}

static void print_line(void *arg, const char *message)
{
    (void)arg;
    puts(message);
}

/* `logscrub check [-c FILE]`: loads the policy and runs its examples. */
static int run_check(int argc, char **argv)
{
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *config = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'h': usage(stdout); return EX_OK;
        case ':': errmsg("option '%s' needs a value; see --help", argv[optind - 1]); return EX_USAGE;
        default: errmsg("check: unknown option '%s'; see --help", argv[optind - 1]); return EX_USAGE;
        }
    }
    if (optind < argc) {
        errmsg("check: unexpected argument '%s'; see --help", argv[optind]);
        return EX_USAGE;
    }
    ls_policy *p = ls_policy_new();
    if (p == NULL) {
        errmsg("out of memory");
        return EX_SOFTWARE;
    }
    ls_status st = config ? ls_policy_load_file(p, config) : ls_policy_load_default(p);
    if (st != LS_OK) {
        fprintf(stderr, "%s\n", ls_policy_error(p));
        ls_policy_free(p);
        return st == LS_ERR_NOMEM ? EX_SOFTWARE : EX_CONFIG;
    }
    size_t total = 0, failed = ls_policy_check_examples(p, print_line, NULL, &total);
    if (failed == SIZE_MAX) {
        errmsg("out of memory");
        ls_policy_free(p);
        return EX_SOFTWARE;
    }
    printf("logscrub check: %zu rules, %zu examples, %zu failed\n", ls_policy_rule_count(p),
           total, failed);
    ls_policy_free(p);
    return failed ? EX_DATAERR : EX_OK;
}

/* Builds the policy the filter runs: the -c file or the built-in one (none
 * at all with --no-rules and no -c), then the command line's overrides.
 * Prints the problem and returns an exit status other than EX_OK on
 * failure; *out is then NULL. */
static int make_policy(const struct options *opt, ls_policy **out)
{
    *out = NULL;
    ls_policy *p = ls_policy_new();
    if (p == NULL) {
        errmsg("out of memory");
        return EX_SOFTWARE;
    }
    ls_status st = LS_OK;
    if (opt->config)
        st = ls_policy_load_file(p, opt->config);
    else if (!opt->no_rules)
        st = ls_policy_load_default(p);
    if (st == LS_OK && opt->no_rules)
        st = ls_policy_drop_rules(p);
    if (st == LS_OK && (opt->set_v4 || opt->set_v6))
        st = ls_policy_set_prefixes(p, opt->set_v4 ? opt->ipv4_prefix : ls_policy_ipv4_prefix(p),
                                    opt->set_v6 ? opt->ipv6_prefix : ls_policy_ipv6_prefix(p));
    if (st == LS_OK && opt->keep_private)
        st = ls_policy_set_keep_private(p, true);
    if (st == LS_OK)
        st = ls_policy_open_key(p, (uint64_t)time(NULL));
    if (st != LS_OK) {
        /* Policy messages are "FILE:LINE:COL: what", printed as they are. */
        if (st == LS_ERR_NOMEM)
            errmsg("out of memory");
        else
            fprintf(stderr, "%s\n", ls_policy_error(p));
        ls_policy_free(p);
        return st == LS_ERR_NOMEM ? EX_SOFTWARE : EX_CONFIG;
    }
    *out = p;
    return EX_OK;
}

enum { OPT_IN_PLACE = 256, OPT_V4, OPT_V6, OPT_KEEP_PRIVATE, OPT_MAX_LINE, OPT_LINE_BUFFERED,
       OPT_STATS, OPT_COMPAT, OPT_NO_RULES, OPT_EXPLAIN };

int main(int argc, char **argv)
{
    if (argc > 1 && strncmp(argv[1], "--compat", 8) == 0) {
        const char *mode = argv[1][8] == '=' ? argv[1] + 9 : NULL;
        if (mode && strcmp(mode, "anonip") == 0) {
            argv[1] = argv[0];
            return anonip_main(argc - 1, argv + 1);
        }
        errmsg("--compat takes 'anonip' as --compat=anonip");
        return EX_USAGE;
    }
    if (argc > 1 && strcmp(argv[1], "check") == 0)
        return run_check(argc - 1, argv + 1);

    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"config", required_argument, NULL, 'c'},
        {"no-rules", no_argument, NULL, OPT_NO_RULES},
        {"explain", no_argument, NULL, OPT_EXPLAIN},
        {"gzip", no_argument, NULL, 'z'},
        {"in-place", no_argument, NULL, OPT_IN_PLACE},
        {"ipv4-prefix", required_argument, NULL, OPT_V4},
        {"ipv6-prefix", required_argument, NULL, OPT_V6},
        {"keep-private", no_argument, NULL, OPT_KEEP_PRIVATE},
        {"max-line", required_argument, NULL, OPT_MAX_LINE},
        {"line-buffered", no_argument, NULL, OPT_LINE_BUFFERED},
        {"stats", no_argument, NULL, OPT_STATS},
        {"compat", required_argument, NULL, OPT_COMPAT},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    struct options opt = {.ipv4_prefix = LS_DEFAULT_IPV4_PREFIX,
                          .ipv6_prefix = LS_DEFAULT_IPV6_PREFIX,
                          .max_line = DEFAULT_MAX_LINE};
    unsigned long v;
    int c;
    opterr = 0; /* our own one-line messages below */
    while ((c = getopt_long(argc, argv, ":o:c:zhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': opt.output = optarg; break;
        case 'c': opt.config = optarg; break;
        case OPT_NO_RULES: opt.no_rules = true; break;
        case OPT_EXPLAIN: opt.explain = true; break;
        case 'z': opt.gzip = true; break;
        case OPT_IN_PLACE: opt.in_place = true; break;
        case OPT_V4:
            if (!parse_uint(optarg, 32, &v)) {
                errmsg("--ipv4-prefix: expected a number from 0 to 32");
                return EX_USAGE;
            }
            opt.ipv4_prefix = (unsigned)v;
            opt.set_v4 = true;
            break;
        case OPT_V6:
            if (!parse_uint(optarg, 128, &v)) {
                errmsg("--ipv6-prefix: expected a number from 0 to 128");
                return EX_USAGE;
            }
            opt.ipv6_prefix = (unsigned)v;
            opt.set_v6 = true;
            break;
        case OPT_KEEP_PRIVATE: opt.keep_private = true; break;
        case OPT_MAX_LINE:
            if (!parse_size(optarg, &opt.max_line)) {
                errmsg("--max-line: expected a size from 1 to 256M, such as 64K or 1M");
                return EX_USAGE;
            }
            break;
        case OPT_LINE_BUFFERED: opt.line_buffered = true; break;
        case OPT_STATS: opt.stats = true; break;
        case OPT_COMPAT:
            errmsg("--compat=anonip must be the first argument");
            return EX_USAGE;
        case 'h': usage(stdout); return EX_OK;
        case 'V': printf("logscrub %s\n", ls_version()); return EX_OK;
        case ':':
            errmsg("option '%s' needs a value; see --help", argv[optind - 1]);
            return EX_USAGE;
        default:
            if (optopt)
                errmsg("unknown option '-%c'; see --help", optopt);
            else
                errmsg("unknown option '%s'; see --help", argv[optind - 1]);
            return EX_USAGE;
        }
    }
    char **files = argv + optind;
    int nfiles = argc - optind;
    if (opt.in_place && opt.output) {
        errmsg("--in-place and --output cannot be used together");
        return EX_USAGE;
    }
    if (opt.in_place && nfiles == 0) {
        errmsg("--in-place needs at least one FILE");
        return EX_USAGE;
    }
    for (int k = 0; opt.in_place && k < nfiles; k++) {
        if (strcmp(files[k], "-") == 0) {
            errmsg("--in-place cannot rewrite standard input");
            return EX_USAGE;
        }
    }

    ls_policy *policy;
    int prc = make_policy(&opt, &policy);
    if (prc != EX_OK)
        return prc; /* nothing was written, no output file created */
    struct run run = {.opt = &opt, .rc = EX_OK, .policy = policy};
    run.rotate_key = ls_policy_needs_key(policy);
    /* Without rules and pseudonyms a block of lines is scrubbed in one go
     * (the same output, counters and errors as line by line, faster). */
    run.block = ls_policy_rule_count(policy) == 0 && !run.rotate_key;
    run.worker = ls_worker_new(policy);
    run.in = reader_new(opt.max_line);
    if (run.worker == NULL || run.in == NULL) {
        errmsg("out of memory");
        ls_worker_free(run.worker);
        reader_free(run.in);
        ls_policy_free(policy);
        return EX_SOFTWARE;
    }
    if (opt.explain)
        ls_worker_set_explain(run.worker, explain_match, &run);
    install_signals();
    double t0 = now();
    int rc = opt.in_place ? run_in_place(&run, files, nfiles) : run_filter(&run, files, nfiles);
    if (opt.stats)
        print_stats(&run, now() - t0);
    writer_free(run.out);
    reader_free(run.in);
    ls_worker_free(run.worker);
    ls_policy_free(policy);
    return rc;
}
