/* worker.h -- the per-thread worker (ls_worker) and what the scrubbers of
 * the formats share inside src/core: the text path (IP passes, then the
 * rules) that every format falls back to and uses for its fields.
 * Library-internal.
 */
#ifndef LS_WORKER_H
#define LS_WORKER_H

#include "core/policy.h"
#include "formats/json.h"
#include "formats/record.h"
#include "ip/ipaddr.h"
#include "logscrub.h"
#include "rules/rules.h"

struct ls_worker {
    const ls_policy *policy;
    char *bufs[2]; /* outputs of IP passes; buf is the one being written */
    size_t caps[2];
    char *buf;
    size_t cap;
    int cur; /* which of bufs buf is */
    /* Pseudonym mode: the addresses this line's passes wrote so far, so a
     * repeat pass copies them through instead of hashing them again. */
    ipaddr done[32];
    size_t ndone;
    rules_scratch rs;
    char *blk; /* ls_scrub_lines' output */
    size_t blk_cap;
    uint64_t *hits_saved; /* rule hits as ls_scrub_lines began (nrules) */
    record rec;           /* what the format parser found in the current line */
    char *fline;          /* the line after field actions (fields.c) */
    size_t fline_cap;
    json_scratch js;      /* the JSON rewriter's buffers */
    char *ctx;            /* the rules' view of a JSON member: "KEY":"VALUE" */
    size_t ctx_cap;
    size_t ctx_len;       /* of the "KEY":" part, 0 for none */
    ls_counters count;
    uint64_t unparsed;    /* LS_COUNT_UNPARSED (not in the frozen ls_counters) */
    ls_explain_fn explain;
    void *explain_arg;
};

/* The text path: the whole of in[0, len) through the IP passes, then the
 * policy's rules, then IP passes again where a rule changed the text.  The
 * contract of ls_scrub (outputs, markers, return values) without counting
 * the line.  Format scrubbers call it for a line their parser refuses. */
ls_status scrub_text(ls_worker *w, const char *in, size_t len, const char **out,
                     size_t *out_len);

/* Does the policy have field actions (fields:, time.precision) that may
 * change a line?  False with --no-rules (ls_policy_drop_rules). */
bool fields_wanted(const ls_policy *p);

/* Applies the field actions to the line in[0, len), read as `fmt` (the
 * declared format, or the guess of -f auto): parses it when an action needs
 * its fields (w->rec), replaces remote_user, generalises or drops the user
 * agent, cuts the referrer to its origin, coarsens timestamps.  *out is in
 * (nothing changed) or w->fline, valid until the next call.  A line that
 * does not parse in its declared format is counted in `unparsed` and left
 * to the text path.  Returns LS_OK or LS_ERR_NOMEM.  fields.c. */
ls_status fields_line(ls_worker *w, rec_format fmt, const char *in, size_t len, const char **out,
                      size_t *out_len);

/* scrub_text for the value in[0, len) of a JSON member whose key context
 * w->ctx[0, w->ctx_len) ("KEY":" with its key as scrubbed) was set: the IP
 * passes see the value alone, the rules see it after its key, quoted, as
 * they see a JSON line in text ('"tin":"57291046850"': rules look for
 * their context words before a value).  A rule that changes the key's part
 * has judged the pair, and the value becomes "[Filtered]".  Explain offsets
 * are into that view.  With w->ctx_len 0 it is scrub_text. */
ls_status scrub_member(ls_worker *w, const char *in, size_t len, const char **out,
                       size_t *out_len);

/* Grows *buf (capacity *cap) to at least `need` bytes, zeroing the new
 * ones (PCRE2's JIT may read past a text).  On failure nothing changes and
 * false is returned. */
bool scrub_grow(char **buf, size_t *cap, size_t need);

/* Puts the out-of-memory marker in *out and counts the fail-closed event;
 * returns LS_ERR_NOMEM.  For a format scrubber whose own buffers ran out. */
ls_status scrub_nomem(ls_worker *w, const char **out, size_t *out_len);

/* The JSON path (scrub_json.c): a JSON value rewritten string by string
 * through scrub_text (member values through scrub_member), sensitive keys'
 * values replaced; a line that is not JSON goes to scrub_text whole and is
 * counted as unparsed.  The contract of scrub_text. */
ls_status scrub_json(ls_worker *w, const char *in, size_t len, const char **out,
                     size_t *out_len);

#endif /* LS_WORKER_H */
