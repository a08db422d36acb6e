/* logscrub.h -- public interface of the logscrub scrubbing library
 * (liblogscrub; `pkg-config --cflags --libs logscrub`).
 *
 * The library turns one log line (or a block of whole lines, see
 * ls_scrub_lines) into its scrubbed form.  It never prints,
 * never exits and installs no signal handlers; reading, writing and command
 * line handling belong to the caller (see src/cli/main.c for the reference
 * CLI, tests/install/example.c for the smallest complete program).
 *
 * Inputs are (pointer, length) pairs: log lines may contain NUL bytes.
 *
 * Threading: an ls_policy is configured once, then only read.  Any number of
 * threads may share one policy, each with its own ls_worker.  A worker is not
 * safe to share between threads.  Each function below names its class:
 *   [any]    may be called from any thread at any time (no shared state).
 *   [setup]  changes a policy: one thread at a time per policy, and no other
 *            call on the same policy or its workers may run meanwhile.
 *   [read]   only reads a policy: any number of threads at once, and at the
 *            same time as ls_scrub on its workers, but not during a [setup]
 *            or [rotate] call on the same policy.
 *   [rotate] replaces a policy's pseudonym key while workers exist: not
 *            while any of its workers is inside ls_scrub or ls_scrub_lines,
 *            nor during another call on the same policy.
 *   [worker] uses one worker: one thread at a time per worker; workers of
 *            one policy run in parallel freely.
 * ls_worker_new and ls_worker_free count the policy's workers atomically,
 * so threads may make and free workers of one policy at once ([read]).
 *
 * Strings: every string returned is owned by the library, never by the
 * caller (never free one); how long it stays valid is stated per function.
 * No string returned or reported ever contains log content.
 */
#ifndef LOGSCRUB_H
#define LOGSCRUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* LS_API marks the functions liblogscrub exports.  The library is built
 * with -fvisibility=hidden, so everything else in it (the scanners, the rule
 * engine, the key code) stays out of the application's namespace; the
 * attribute is harmless when the header is used by an application. */
#if defined(__GNUC__) && __GNUC__ >= 4
#define LS_API __attribute__((visibility("default")))
#else
#define LS_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ls_policy ls_policy;
typedef struct ls_worker ls_worker;

/* Results.  The values are part of the ABI; new ones are added at the end. */
typedef enum ls_status {
    LS_OK = 0,
    LS_DROPPED,     /* ls_scrub: a drop-line rule matched; write nothing */
    LS_ERR_NOMEM,   /* allocation failed; the object is unchanged */
    LS_ERR_INVALID, /* an argument is out of range */
    LS_ERR_FROZEN,  /* the policy already has workers and is read-only */
    LS_ERR_CONFIG,  /* bad policy: ls_policy_error() says "FILE:LINE:COL: what" */
    LS_ERR_KEY      /* the pseudonym key file cannot be used: ls_policy_error() */
} ls_status;

/* A short English text for a status ("out of memory"), without detail:
 * ls_policy_error() has the specific message.  An unknown value gives
 * "unknown status".  The string is static: valid for the life of the
 * process, never NULL.  [any] */
LS_API const char *ls_strerror(ls_status st);

/* Defaults: keep /24 of IPv4 and /48 of IPv6; private, loopback and
 * documentation ranges are masked like any other address. */
#define LS_DEFAULT_IPV4_PREFIX 24u
#define LS_DEFAULT_IPV6_PREFIX 48u

/* Counters a worker keeps, by number for ls_worker_counter.  The values are
 * part of the ABI: a new counter is added at the end, and an older library
 * returns 0 for an id it does not know. */
typedef enum ls_counter_id {
    LS_COUNT_LINES = 0,       /* lines passed to ls_scrub */
    LS_COUNT_DROPPED = 1,     /* lines dropped by drop-line rules */
    LS_COUNT_IPV4 = 2,        /* IPv4 addresses (incl. IPv4-mapped) rewritten */
    LS_COUNT_IPV6 = 3,        /* IPv6 addresses rewritten */
    LS_COUNT_KEPT = 4,        /* addresses left alone by keep_private */
    LS_COUNT_FAIL_CLOSED = 5, /* lines or spans masked because processing failed */
    LS_COUNT_UNPARSED = 6     /* lines not in their declared format (-f), scrubbed as text */
} ls_counter_id;

/* The same counters as one struct, for ls_worker_counters: the older way,
 * kept for existing callers.  It is frozen as it is: counters added later
 * are only read with ls_worker_counter, so the struct's size never
 * changes.  Add them up across workers for a report. */
typedef struct ls_counters {
    uint64_t lines;       /* lines passed to ls_scrub */
    uint64_t dropped;     /* lines dropped by drop-line rules */
    uint64_t ipv4;        /* IPv4 addresses (incl. IPv4-mapped) rewritten */
    uint64_t ipv6;        /* IPv6 addresses rewritten */
    uint64_t kept;        /* addresses left alone by keep_private */
    uint64_t fail_closed; /* lines or spans masked because processing failed */
} ls_counters;

/* Returns a policy holding the defaults, or NULL when out of memory.  It
 * scrubs addresses only; loading a policy (ls_policy_load_*, the built-in
 * default too) adds its rules and its field actions (remote_user replaced,
 * unless the policy says otherwise).  The caller frees it with
 * ls_policy_free.  [any] */
LS_API ls_policy *ls_policy_new(void);

/* Frees a policy.  Accepts NULL.  All workers made from it must be freed
 * first; every string it returned is gone with it.  [setup] */
LS_API void ls_policy_free(ls_policy *p);

/* Sets how many leading bits of an address survive: 0..32 for IPv4, 0..128
 * for IPv6.  Returns LS_ERR_INVALID for a value out of range and
 * LS_ERR_FROZEN once a worker exists; the policy is unchanged then.
 * [setup] */
LS_API ls_status ls_policy_set_prefixes(ls_policy *p, unsigned ipv4_prefix, unsigned ipv6_prefix);

/* When keep is true, private, loopback, link-local, unspecified and
 * documentation addresses are left as they are.  LS_ERR_FROZEN once a worker
 * exists.  [setup] */
LS_API ls_status ls_policy_set_keep_private(ls_policy *p, bool keep);

/* Sets the format every line is read in: "auto" (the default: decided per
 * line from its first bytes), "text", "nginx", "apache", "nginx-error",
 * "apache-error", "json", "sentry" or "envelope".  Overrides the policy
 * file's `format`.  LS_ERR_INVALID for another name (or NULL),
 * LS_ERR_FROZEN once a worker exists; the policy is unchanged then.
 * [setup] */
LS_API ls_status ls_policy_set_format(ls_policy *p, const char *name);

/* The format in force, by the names above.  The string is static: valid
 * for the life of the process.  [read] */
LS_API const char *ls_policy_format(const ls_policy *p);

/* Loads a policy file (YAML, see logscrub-policy(5)) into a policy fresh
 * from ls_policy_new, replacing its defaults.  Rule packs it names are taken
 * from the ones built in, or read from paths.  Returns LS_ERR_CONFIG with
 * ls_policy_error() set on any problem; the policy must then be freed.
 * LS_ERR_FROZEN once a worker exists, LS_ERR_INVALID when the policy was
 * loaded before.  A policy that uses pseudonyms needs pseudonym.key_file
 * unless ls_policy_set_key was called first.  The path is only read during
 * the call.  [setup] */
LS_API ls_status ls_policy_load_file(ls_policy *p, const char *path);

/* Loads the built-in default policy (the shipped rule packs), as
 * ls_policy_load_file would.  [setup] */
LS_API ls_status ls_policy_load_default(ls_policy *p);

/* Like ls_policy_load_file, from yaml[0, len); `name` is used in messages
 * in place of a file name.  Both are only read during the call.  [setup] */
LS_API ls_status ls_policy_load_buffer(ls_policy *p, const char *name, const char *yaml, size_t len);

/* Removes all rules and field actions (addresses only, as --no-rules).
 * LS_ERR_FROZEN once a worker exists.  Rule names returned before are gone.
 * [setup] */
LS_API ls_status ls_policy_drop_rules(ls_policy *p);

/* The prefixes in force (from the defaults, a policy file or a setter).
 * These functions can't fail.  [read] */
LS_API unsigned ls_policy_ipv4_prefix(const ls_policy *p);
LS_API unsigned ls_policy_ipv6_prefix(const ls_policy *p);

/* The message of the last failure on this policy ("FILE:LINE:COL: what"
 * for LS_ERR_CONFIG), "" when nothing failed yet.  Never log content, never
 * key material.  The string is owned by the policy: valid until
 * ls_policy_free, its text replaced by the next failing call on the policy
 * (copy it to keep it).  [read] */
LS_API const char *ls_policy_error(const ls_policy *p);

/* Does the policy need a pseudonym key (ip.method or a rule)?  [read] */
LS_API bool ls_policy_needs_key(const ls_policy *p);

/* Opens (or creates, or rotates) the pseudonym key for time `now` (Unix
 * seconds) when the policy needs one; a no-op otherwise, and also after
 * ls_policy_set_key (the application rotates its own key).  May be called
 * again to rotate.  Returns LS_ERR_KEY with ls_policy_error() set when the
 * key file cannot be used; the key in use, if any, stays then.  [rotate] */
LS_API ls_status ls_policy_open_key(ls_policy *p, uint64_t now);

/* True when the key file's period has ended at `now` (call
 * ls_policy_open_key).  Always false for a key from ls_policy_set_key.
 * [read] */
LS_API bool ls_policy_key_due(const ls_policy *p, uint64_t now);

/* Bytes in a pseudonym key given to ls_policy_set_key: a BLAKE2b key. */
#define LS_KEY_BYTES 32u

/* Uses key[0, len) as the pseudonym key instead of a key file: for an
 * application that holds its own secret (a crash reporter given one by its
 * server, a service with a secret store).  len must be LS_KEY_BYTES.  The
 * bytes are copied into guarded, read-only memory (wiped on free), so the
 * caller may wipe its copy at once.  The key must be secret and random:
 * whoever knows it can recompute every pseudonym.
 *
 * From then on the policy's pseudonym.key_file is not used: ls_policy_open_key
 * does nothing and ls_policy_key_due is false; the same key gives the same
 * pseudonyms as long as it is in use, and the application rotates it by
 * calling ls_policy_set_key again (the old key is wiped).  Called before
 * ls_policy_load_*, it lets a policy that uses pseudonyms leave out
 * pseudonym.key_file.  A policy that needs no key keeps it unused.
 *
 * Returns LS_ERR_INVALID (key NULL or len wrong) or LS_ERR_NOMEM, with the
 * key in use unchanged, or LS_OK.  [rotate] */
LS_API ls_status ls_policy_set_key(ls_policy *p, const unsigned char *key, size_t len);

/* Number of active rules, and their names in the order they run: NULL for
 * i >= ls_policy_rule_count.  A name is owned by the policy, valid until
 * ls_policy_drop_rules or ls_policy_free.  [read] */
LS_API size_t ls_policy_rule_count(const ls_policy *p);
LS_API const char *ls_policy_rule_name(const ls_policy *p, size_t i);

/* Runs every rule's examples (each through its own rule only; pseudonyms
 * with a fixed all-zero test key).  Calls fn once per failing example with
 * a message "FILE:LINE:COL: rule NAME example N: ...", stores the number of
 * examples in *total and returns the number that failed (SIZE_MAX when out
 * of memory).  The message is valid only during the call to fn, which is
 * made from the calling thread before this function returns.  [read] */
typedef void (*ls_report_fn)(void *arg, const char *message);
LS_API size_t ls_policy_check_examples(const ls_policy *p, ls_report_fn fn, void *arg, size_t *total);

/* Makes a worker for one thread.  The policy becomes read-only (its setters
 * return LS_ERR_FROZEN) until its last worker is freed, and must outlive
 * the worker.  The policy itself is not changed, hence const: the count of
 * its workers is kept apart from its settings.  Returns NULL when out of
 * memory.  The caller frees the worker with ls_worker_free.  [read] */
LS_API ls_worker *ls_worker_new(const ls_policy *p);

/* Frees a worker.  Accepts NULL.  Its output buffers are gone with it.
 * [read] for the policy; no other call on this worker may run. */
LS_API void ls_worker_free(ls_worker *w);

/* Scrubs one line (without its line terminator; a trailing '\r' is just
 * another byte): addresses first, then the policy's rules in order.  On
 * return *out and *out_len hold the scrubbed text: either
 * `in` itself when the line holds no address, or a buffer owned by the
 * worker that stays valid until the next ls_scrub or ls_scrub_lines on the
 * same worker or ls_worker_free (even if the text came out the same, e.g.
 * an address kept by keep_private).
 * Returns LS_DROPPED when a drop-line rule matched (write nothing).  When a
 * rule fails (its match limit, most likely), the addresses of a crafted
 * line keep exposing new ones after 16 passes, or memory runs out, *out is
 * a fixed marker text, never the raw input, so callers fail closed by
 * writing it; the return value is LS_OK for the first two (counted in
 * fail_closed) and LS_ERR_NOMEM for memory.  The markers are static.
 * [worker] */
LS_API ls_status ls_scrub(ls_worker *w, const char *in, size_t len, const char **out, size_t *out_len);

/* Scrubs a block of whole lines: in[0, len) holds zero or more lines, each
 * ending in '\n' (LS_ERR_INVALID, with nothing done, when the last byte is
 * not '\n').  On LS_OK, *out and *out_len hold exactly what ls_scrub gives
 * for each line in turn, each followed by '\n' (nothing for a line a
 * drop-line rule dropped), and the counters and rule hits moved as those
 * ls_scrub calls would have moved them: one `lines` per '\n'.  *out is
 * `in` itself or a buffer owned by the worker, valid as ls_scrub's.
 * Without rules and with ip.method truncate this is one scan over the whole block, much cheaper than a call per line; otherwise
 * it calls ls_scrub's code line by line (explain callbacks included, their
 * offsets relative to each line; a pseudonym key is not rotated within a
 * block).  A failing rule gives its marker line, as with ls_scrub.
 * Returns LS_ERR_NOMEM when memory runs out: *out is then NULL, *out_len 0,
 * and the counters and rule hits are as before the call, so the caller can
 * hand the same lines to ls_scrub one at a time, which fails closed line by
 * line (explain callbacks already made are then made again).  [worker] */
LS_API ls_status ls_scrub_lines(ls_worker *w, const char *in, size_t len, const char **out,
                         size_t *out_len);

/* Matches of rule i (ls_policy_rule_name order) that were rewritten; 0 for
 * i out of range.  [worker] */
LS_API uint64_t ls_worker_rule_hits(const ls_worker *w, size_t i);

/* Asks the worker to report each rule match of the following ls_scrub calls:
 * fn(arg, rule name, start, end, rejected) with offsets into the text that
 * rule saw (after the IP engine and earlier rules; in a JSON line, one
 * decoded string, a member's value as "KEY":"VALUE"); `rejected` when the
 * validator said no.  NULL turns it off.  fn runs in the thread calling
 * ls_scrub, inside it; `rule` is the policy's rule name (valid as
 * ls_policy_rule_name's).  [worker] */
typedef void (*ls_explain_fn)(void *arg, const char *rule, size_t start, size_t end,
                              bool rejected);
LS_API void ls_worker_set_explain(ls_worker *w, ls_explain_fn fn, void *arg);

/* Copies the worker's counters into *c.  This function can't fail.  The
 * older way: ls_worker_counter reads each counter, including ones added
 * after ls_counters was frozen.  [worker] */
LS_API void ls_worker_counters(const ls_worker *w, ls_counters *c);

/* The worker's counter `id` (see ls_counter_id); 0 for an unknown id.
 * This function can't fail.  [worker] */
LS_API uint64_t ls_worker_counter(const ls_worker *w, ls_counter_id id);

/* Records a fail-closed event the caller handled itself (for example a line
 * cut at the length limit), so that counters stay in one place.  [worker] */
LS_API void ls_worker_count_fail_closed(ls_worker *w);

/* Library version as "MAJOR.MINOR.PATCH".  The string is static.  [any] */
LS_API const char *ls_version(void);

#ifdef __cplusplus
}
#endif

#endif /* LOGSCRUB_H */
