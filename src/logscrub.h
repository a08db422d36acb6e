/* logscrub.h -- public interface of the logscrub scrubbing library.
 *
 * The library turns one log line (or a block of whole lines, see
 * ls_scrub_lines) into its scrubbed form.  It never prints,
 * never exits and installs no signal handlers; reading, writing and command
 * line handling belong to the caller (see src/main.c for the reference CLI).
 *
 * Threading: an ls_policy is configured once, then only read.  Any number of
 * threads may share one policy, each with its own ls_worker.  A worker is not
 * safe to share between threads.
 *
 * Inputs are (pointer, length) pairs: log lines may contain NUL bytes.
 */
#ifndef LOGSCRUB_H
#define LOGSCRUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ls_policy ls_policy;
typedef struct ls_worker ls_worker;

typedef enum ls_status {
    LS_OK = 0,
    LS_DROPPED,     /* ls_scrub: a drop-line rule matched; write nothing */
    LS_ERR_NOMEM,   /* allocation failed; the object is unchanged */
    LS_ERR_INVALID, /* an argument is out of range */
    LS_ERR_FROZEN,  /* the policy already has workers and is read-only */
    LS_ERR_CONFIG,  /* bad policy: ls_policy_error() says "FILE:LINE:COL: what" */
    LS_ERR_KEY      /* the pseudonym key file cannot be used: ls_policy_error() */
} ls_status;

/* Defaults: keep /24 of IPv4 and /48 of IPv6; private, loopback and
 * documentation ranges are masked like any other address. */
#define LS_DEFAULT_IPV4_PREFIX 24u
#define LS_DEFAULT_IPV6_PREFIX 48u

/* Counters a worker keeps; add them up across workers for a report. */
typedef struct ls_counters {
    uint64_t lines;       /* lines passed to ls_scrub */
    uint64_t dropped;     /* lines dropped by drop-line rules */
    uint64_t ipv4;        /* IPv4 addresses (incl. IPv4-mapped) rewritten */
    uint64_t ipv6;        /* IPv6 addresses rewritten */
    uint64_t kept;        /* addresses left alone by keep_private */
    uint64_t fail_closed; /* lines or spans masked because processing failed */
    uint64_t unparsed;    /* lines their format's parser refused (scrubbed as text) */
} ls_counters;

/* Returns a policy holding the defaults, or NULL when out of memory. */
ls_policy *ls_policy_new(void);

/* Frees a policy.  Accepts NULL.  All workers made from it must be freed
 * first. */
void ls_policy_free(ls_policy *p);

/* Sets how many leading bits of an address survive: 0..32 for IPv4, 0..128
 * for IPv6.  Returns LS_ERR_INVALID for a value out of range and
 * LS_ERR_FROZEN once a worker exists; the policy is unchanged then. */
ls_status ls_policy_set_prefixes(ls_policy *p, unsigned ipv4_prefix, unsigned ipv6_prefix);

/* When keep is true, private, loopback, link-local, unspecified and
 * documentation addresses are left as they are.  LS_ERR_FROZEN once a worker
 * exists. */
ls_status ls_policy_set_keep_private(ls_policy *p, bool keep);

/* Sets the format every line is read in: "auto" (the default: decided per
 * line from its first bytes), "text", "nginx", "apache", "nginx-error",
 * "apache-error", "json", "sentry" or "envelope".  Overrides the policy
 * file's `format`.  LS_ERR_INVALID for another name (or NULL),
 * LS_ERR_FROZEN once a worker exists; the policy is unchanged then. */
ls_status ls_policy_set_format(ls_policy *p, const char *name);

/* The format in force, by the names above.  The string is static. */
const char *ls_policy_format(const ls_policy *p);

/* Loads a policy file (YAML, see logscrub-policy(5)) into a policy fresh
 * from ls_policy_new, replacing its defaults.  Rule packs it names are taken
 * from the ones built in, or read from paths.  Returns LS_ERR_CONFIG with
 * ls_policy_error() set on any problem; the policy must then be freed. */
ls_status ls_policy_load_file(ls_policy *p, const char *path);

/* Loads the built-in default policy (the shipped rule packs). */
ls_status ls_policy_load_default(ls_policy *p);

/* Like ls_policy_load_file, from memory; `name` is used in messages. */
ls_status ls_policy_load_buffer(ls_policy *p, const char *name, const char *yaml, size_t len);

/* Removes all rules (addresses only, as --no-rules).  LS_ERR_FROZEN once a
 * worker exists. */
ls_status ls_policy_drop_rules(ls_policy *p);

/* The prefixes in force (from the defaults, a policy file or a setter). */
unsigned ls_policy_ipv4_prefix(const ls_policy *p);
unsigned ls_policy_ipv6_prefix(const ls_policy *p);

/* The last error message, "" when there was none.  Never log content. */
const char *ls_policy_error(const ls_policy *p);

/* Does the policy need a pseudonym key (ip.method or a rule)? */
bool ls_policy_needs_key(const ls_policy *p);

/* Opens (or creates, or rotates) the pseudonym key for time `now` (Unix
 * seconds) when the policy needs one; a no-op otherwise.  May be called
 * again to rotate, but never while a worker is inside ls_scrub.  Returns
 * LS_ERR_KEY with ls_policy_error() set when the key file cannot be used. */
ls_status ls_policy_open_key(ls_policy *p, uint64_t now);

/* True when the key's period has ended at `now` (call ls_policy_open_key). */
bool ls_policy_key_due(const ls_policy *p, uint64_t now);

/* Number of active rules, and their names in the order they run. */
size_t ls_policy_rule_count(const ls_policy *p);
const char *ls_policy_rule_name(const ls_policy *p, size_t i);

/* Runs every rule's examples (each through its own rule only; pseudonyms
 * with a fixed all-zero test key).  Calls fn once per failing example with
 * a message "FILE:LINE:COL: rule NAME example N: ...", stores the number of
 * examples in *total and returns the number that failed (SIZE_MAX when out
 * of memory). */
typedef void (*ls_report_fn)(void *arg, const char *message);
size_t ls_policy_check_examples(const ls_policy *p, ls_report_fn fn, void *arg, size_t *total);

/* Makes a worker for one thread.  The policy becomes read-only and must
 * outlive the worker.  Returns NULL when out of memory. */
ls_worker *ls_worker_new(const ls_policy *p);

/* Frees a worker.  Accepts NULL. */
void ls_worker_free(ls_worker *w);

/* Scrubs one line (without its line terminator; a trailing '\r' is just
 * another byte): addresses first, then the policy's rules in order.  On return *out and *out_len hold the scrubbed text: either
 * `in` itself when the line holds no address, or a buffer owned by the
 * worker that stays valid until the next call on the same worker (even if
 * the text came out the same, e.g. an address kept by keep_private).
 * Returns LS_DROPPED when a drop-line rule matched (write nothing).  When a
 * rule fails (its match limit, most likely), the addresses of a crafted
 * line keep exposing new ones after 16 passes, or memory runs out, *out is
 * a fixed marker text, never the raw input, so callers fail closed by
 * writing it; the return value is LS_OK for the first two (counted in
 * fail_closed) and LS_ERR_NOMEM for memory. */
ls_status ls_scrub(ls_worker *w, const char *in, size_t len, const char **out, size_t *out_len);

/* Scrubs a block of whole lines: in[0, len) holds zero or more lines, each
 * ending in '\n' (LS_ERR_INVALID, with nothing done, when the last byte is
 * not '\n').  On LS_OK, *out and *out_len hold exactly what ls_scrub gives
 * for each line in turn, each followed by '\n' (nothing for a line a
 * drop-line rule dropped), and the counters and rule hits moved as those
 * ls_scrub calls would have moved them: one `lines` per '\n'.  *out is
 * `in` itself or a buffer owned by the worker, valid until the next call on
 * the same worker.  Without rules and with ip.method truncate this is one
 * scan over the whole block, much cheaper than a call per line; otherwise
 * it calls ls_scrub's code line by line (explain callbacks included, their
 * offsets relative to each line; a pseudonym key is not rotated within a
 * block).  A failing rule gives its marker line, as with ls_scrub.
 * Returns LS_ERR_NOMEM when memory runs out: *out is then NULL, *out_len 0,
 * and the counters and rule hits are as before the call, so the caller can
 * hand the same lines to ls_scrub one at a time, which fails closed line by
 * line (explain callbacks already made are then made again). */
ls_status ls_scrub_lines(ls_worker *w, const char *in, size_t len, const char **out,
                         size_t *out_len);

/* Matches of rule i (ls_policy_rule_name order) that were rewritten. */
uint64_t ls_worker_rule_hits(const ls_worker *w, size_t i);

/* Asks the worker to report each rule match of the following ls_scrub calls:
 * fn(arg, rule name, start, end, rejected) with offsets into the text that
 * rule saw (after the IP engine and earlier rules; in a JSON line, one
 * decoded string, a member's value as "KEY":"VALUE"); `rejected` when the
 * validator said no.  NULL turns it off. */
typedef void (*ls_explain_fn)(void *arg, const char *rule, size_t start, size_t end,
                              bool rejected);
void ls_worker_set_explain(ls_worker *w, ls_explain_fn fn, void *arg);

/* Copies the worker's counters into *c.  This function can't fail. */
void ls_worker_counters(const ls_worker *w, ls_counters *c);

/* Records a fail-closed event the caller handled itself (for example a line
 * cut at the length limit), so that counters stay in one place. */
void ls_worker_count_fail_closed(ls_worker *w);

/* Library version as "MAJOR.MINOR.PATCH". */
const char *ls_version(void);

#ifdef __cplusplus
}
#endif

#endif /* LOGSCRUB_H */
