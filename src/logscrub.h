/* logscrub.h -- public interface of the logscrub scrubbing library.
 *
 * The library turns one log line into its scrubbed form.  It never prints,
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
    LS_ERR_NOMEM,   /* allocation failed; the object is unchanged */
    LS_ERR_INVALID, /* an argument is out of range */
    LS_ERR_FROZEN   /* the policy already has workers and is read-only */
} ls_status;

/* Defaults: keep /24 of IPv4 and /48 of IPv6; private, loopback and
 * documentation ranges are masked like any other address. */
#define LS_DEFAULT_IPV4_PREFIX 24u
#define LS_DEFAULT_IPV6_PREFIX 48u

/* Counters a worker keeps; add them up across workers for a report. */
typedef struct ls_counters {
    uint64_t lines;       /* lines passed to ls_scrub */
    uint64_t ipv4;        /* IPv4 addresses (incl. IPv4-mapped) rewritten */
    uint64_t ipv6;        /* IPv6 addresses rewritten */
    uint64_t kept;        /* addresses left alone by keep_private */
    uint64_t fail_closed; /* lines or spans masked because processing failed */
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

/* Makes a worker for one thread.  The policy becomes read-only and must
 * outlive the worker.  Returns NULL when out of memory. */
ls_worker *ls_worker_new(const ls_policy *p);

/* Frees a worker.  Accepts NULL. */
void ls_worker_free(ls_worker *w);

/* Scrubs one line (without its line terminator; a trailing '\r' is just
 * another byte).  On return *out and *out_len hold the scrubbed text: either
 * `in` itself when the line holds no address, or a buffer owned by the
 * worker that stays valid until the next call on the same worker (even if
 * the text came out the same, e.g. an address kept by keep_private).  Returns LS_ERR_NOMEM
 * when the output buffer cannot grow; *out is then a fixed marker text, never
 * the raw input, so callers fail closed by writing it. */
ls_status ls_scrub(ls_worker *w, const char *in, size_t len, const char **out, size_t *out_len);

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
