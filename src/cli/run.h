/* run.h -- what one run of the command shares between main.c (options,
 * policy, dispatch), filter.c (input to scrubbed output) and inplace.c
 * (rewriting files through a temporary file).
 */
#ifndef LS_RUN_H
#define LS_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "io/io.h"
#include "logscrub.h"

#define DEFAULT_MAX_LINE ((size_t)1 << 20)
struct options {
    const char *output, *config;
    const char *format; /* -f NAME, or NULL for the policy's */
    bool gzip, in_place, keep_private, line_buffered, stats, no_rules, explain;
    bool break_links; /* --in-place may replace one name of a hard-linked file */
    bool set_v4, set_v6; /* given on the command line: override the policy */
    unsigned ipv4_prefix, ipv6_prefix;
    size_t max_line;
    const char *listen;       /* --listen unix:PATH */
    const char *listen_group; /* --listen-group GROUP */
    bool keep_syslog_header;  /* --keep-syslog-header */
    bool quiet;               /* --quiet: no progress on a terminal */
};

/* Everything one run of the filter shares. */
struct run {
    const struct options *opt;
    ls_worker *worker;
    reader *in;
    writer *out;
    int out_fd;
    int in_fd;            /* the current input */
    bool in_live;         /* it is a FIFO, pipe, socket or tty: flush when it would block */
    bool out_live;        /* the output is one: flush before every read */
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
/* Filters one input (fd, called `name` in messages) into run->out.
 * Returns false when the run must stop (run->rc says why).  Signals are
 * looked at between lines, or between blocks of whole lines on the block
 * path, so a SIGHUP reopen never splits a line. */
bool filter(struct run *run, int fd, const char *name);

/* The filter: FILEs (or stdin for none or "-") to stdout or -o.  Returns
 * the exit status. */
int run_filter(struct run *run, char **files, int nfiles);

/* Opens -o FILE (or takes standard output) into run->out.  Returns EX_OK,
 * or the exit status after saying why. */
int open_run_output(struct run *run);

/* Scrubs and writes one record p[0, n) (a datagram) as a line; reopens the
 * output first after SIGHUP.  dropped > 0: the record was longer, and p
 * holds only its start (failed closed as a cut line).  Returns false after
 * a write error. */
bool filter_record(struct run *run, const char *p, size_t n, uint64_t dropped);

/* After SIGHUP: reopens -o FILE. */
void reopen_if_asked(struct run *run);

/* --listen unix:PATH: receives datagrams (syslog) on PATH and writes each
 * message scrubbed as a line, until SIGTERM or SIGINT.  Returns the exit
 * status.  listen.c. */
int run_listen(struct run *run, const char *spec);

/* --in-place: rewrites each FILE.  Returns the exit status. */
int run_in_place(struct run *run, char **files, int nfiles);

/* --explain's callback (ls_explain_fn); arg is the run. */
void explain_match(void *arg, const char *rule, size_t start, size_t end, bool rejected);

/* --stats: prints the counters of the run on stderr. */
void print_stats(const struct run *run, double seconds);

/* Seconds on the monotonic clock. */
double now(void);

#endif /* LS_RUN_H */
