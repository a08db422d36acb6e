/* main.c -- the logscrub command: parses options and runs one of four
 * jobs: the filter (filter.c: files or stdin to stdout or -o FILE),
 * --in-place rewriting (inplace.c), `logscrub check` (validate a policy, run
 * its rule examples), or the anonip-compatible front end (anonip.c).
 * Scrubbing itself is the library's (logscrub.h); reading and writing are
 * io.c's; messages, signals and opening -o are cli.c's.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cli/anonip.h"
#include "cli/cli.h"
#include "cli/run.h"
#include "io/io.h"
#include "logscrub.h"

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
          "  -f, --format NAME     how lines are read: auto (default, per line: '{' first\n"
          "                        is JSON), text, nginx, apache, nginx-error,\n"
          "                        apache-error, json, sentry, envelope\n"
          "      --no-rules        addresses only: no rules, no JSON sensitive keys\n"
          "      --explain         report each rule match (rule, byte offsets) on stderr\n"
          "  -o, --output FILE     append to FILE (created mode 0640); SIGHUP reopens it\n"
          "  -z, --gzip            gzip-compress the output\n"
          "      --in-place        rewrite each FILE safely (gzip input stays gzip)\n"
          "      --break-links     with --in-place, rewrite a FILE that has other hard\n"
          "                        links: only this name gets the scrubbed copy\n"
          "      --ipv4-prefix N   keep N leading bits of IPv4 addresses (0-32, default 24)\n"
          "      --ipv6-prefix N   keep N leading bits of IPv6 addresses (0-128, default 48)\n"
          "      --keep-private    leave private, loopback, link-local, unspecified and\n"
          "                        documentation addresses unchanged\n"
          "      --max-line SIZE   longest line kept whole, e.g. 64K (default 1M);\n"
          "                        longer lines are cut and marked\n"
          "      --line-buffered   flush the output after every line\n"
          "      --listen unix:PATH\n"
          "                        read syslog datagrams (nginx's syslog:server=unix:)\n"
          "                        from a socket created at PATH (mode 0660), not files\n"
          "      --listen-group GROUP\n"
          "                        give the socket to GROUP (the server's)\n"
          "      --keep-syslog-header\n"
          "                        keep each datagram's \"<PRI>time tag: \" header\n"
          "      --stats           print counters to standard error at exit\n"
          "      --quiet           no progress line on a terminal (shown for long runs\n"
          "                        when standard error is a tty)\n"
          "      --compat=anonip   accept anonip 1.1's options and output (first argument)\n"
          "  -h, --help            show this help and exit\n"
          "  -V, --version         show the version (and the libraries') and exit\n"
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
    if (st == LS_OK && opt->format && ls_policy_set_format(p, opt->format) != LS_OK) {
        errmsg("--format: expected auto, text, nginx, apache, nginx-error, apache-error, json, "
               "sentry or envelope");
        ls_policy_free(p);
        return EX_USAGE;
    }
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
       OPT_STATS, OPT_COMPAT, OPT_NO_RULES, OPT_EXPLAIN, OPT_BREAK_LINKS, OPT_LISTEN,
       OPT_LISTEN_GROUP, OPT_KEEP_SYSLOG_HEADER, OPT_QUIET };

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
        {"format", required_argument, NULL, 'f'},
        {"gzip", no_argument, NULL, 'z'},
        {"in-place", no_argument, NULL, OPT_IN_PLACE},
        {"break-links", no_argument, NULL, OPT_BREAK_LINKS},
        {"ipv4-prefix", required_argument, NULL, OPT_V4},
        {"ipv6-prefix", required_argument, NULL, OPT_V6},
        {"keep-private", no_argument, NULL, OPT_KEEP_PRIVATE},
        {"max-line", required_argument, NULL, OPT_MAX_LINE},
        {"line-buffered", no_argument, NULL, OPT_LINE_BUFFERED},
        {"stats", no_argument, NULL, OPT_STATS},
        {"compat", required_argument, NULL, OPT_COMPAT},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"listen-group", required_argument, NULL, OPT_LISTEN_GROUP},
        {"keep-syslog-header", no_argument, NULL, OPT_KEEP_SYSLOG_HEADER},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {NULL, 0, NULL, 0}};
    struct options opt = {.ipv4_prefix = LS_DEFAULT_IPV4_PREFIX,
                          .ipv6_prefix = LS_DEFAULT_IPV6_PREFIX,
                          .max_line = DEFAULT_MAX_LINE};
    unsigned long v;
    int c;
    opterr = 0; /* our own one-line messages below */
    while ((c = getopt_long(argc, argv, ":o:c:f:zhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': opt.output = optarg; break;
        case 'c': opt.config = optarg; break;
        case OPT_NO_RULES: opt.no_rules = true; break;
        case OPT_EXPLAIN: opt.explain = true; break;
        case 'f': opt.format = optarg; break;
        case 'z': opt.gzip = true; break;
        case OPT_IN_PLACE: opt.in_place = true; break;
        case OPT_BREAK_LINKS: opt.break_links = true; break;
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
        case OPT_LISTEN: opt.listen = optarg; break;
        case OPT_LISTEN_GROUP: opt.listen_group = optarg; break;
        case OPT_KEEP_SYSLOG_HEADER: opt.keep_syslog_header = true; break;
        case OPT_QUIET: opt.quiet = true; break;
        case OPT_COMPAT:
            errmsg("--compat=anonip must be the first argument");
            return EX_USAGE;
        case 'h': usage(stdout); return EX_OK;
        case 'V': print_versions(stdout); return EX_OK;
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
    if (opt.listen && (opt.in_place || nfiles > 0)) {
        errmsg("--listen reads its socket: no FILE, no --in-place");
        return EX_USAGE;
    }
    if ((opt.listen_group || opt.keep_syslog_header) && !opt.listen) {
        errmsg("--listen-group and --keep-syslog-header only apply to --listen");
        return EX_USAGE;
    }
    if (opt.break_links && !opt.in_place) {
        errmsg("--break-links only applies to --in-place");
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
    int rc = opt.listen     ? run_listen(&run, opt.listen)
             : opt.in_place ? run_in_place(&run, files, nfiles)
                            : run_filter(&run, files, nfiles);
    if (opt.stats)
        print_stats(&run, now() - t0);
    writer_free(run.out);
    reader_free(run.in);
    ls_worker_free(run.worker);
    ls_policy_free(policy);
    return rc;
}
