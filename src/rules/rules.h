/* rules.h -- compiled PII rules and the engine that applies them to a line.
 *
 * A rule is a PCRE2 pattern (JIT-compiled), an optional prefilter (literals
 * of which a matching line must hold one), an optional validator (whose
 * prescan is a second prefilter), an action and its examples.  Rules are built by
 * policy.c and are read-only afterwards; everything that changes per line
 * (match data, output buffers, hit counters) lives in a rules_scratch owned
 * by one worker.
 */
#ifndef LS_RULES_H
#define LS_RULES_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "key/pseudonym.h"
#include "rules/prefilter.h"
#include "rules/prescan.h"
#include "rules/validate.h"

/* Where something came from in a YAML file, 1-based, for messages. */
typedef struct src_mark {
    const char *file; /* owned by the policy's string pool */
    unsigned line, col;
} src_mark;

typedef enum rule_action {
    ACT_MASK,      /* same length of '*' */
    ACT_REPLACE,   /* fixed text */
    ACT_PSEUDONYM, /* "<rule>:<keyed token>" */
    ACT_REMOVE,    /* span deleted */
    ACT_DROP_LINE, /* the whole line is dropped */
    ACT_KEEP_LAST  /* letters and digits masked but the last `keep` */
} rule_action;

typedef struct rule_example {
    char *in, *out;
    size_t in_len, out_len;
    src_mark where;
} rule_example;

typedef struct rule {
    char *name;
    src_mark where;
    pcre2_code *re;
    uint32_t group_v; /* capture number of (?<v>...), 0 for the whole match */
    rule_action action;
    char *with;       /* ACT_REPLACE */
    size_t with_len;
    unsigned keep;    /* ACT_KEEP_LAST */
    validator_fn validator;
    prescan_spec prescan;       /* the validator's necessary condition */
    prescan_spec prescan_named; /* one named in the policy */
    pf_literals pf;     /* literals, lower case: a line that can match holds one of
                         * them, compared without regard to ASCII case */
    bool jit;           /* JIT-compiled: pcre2_jit_match can be used */
    int required_char;  /* PCRE2's last required byte, or -1 */
    bool uses_g;        /* the pattern has a \G: see apply_one */
    rule_example *examples;
    size_t nexamples;
} rule;

/* Most bytes of the line a decoded view keeps before its token for
 * lookbehinds: the longest shipped lookbehind is 8 ("(?<!OPTIONS )"); a
 * policy's longer one sees at most this much. */
#define RULES_VIEW_CONTEXT_MAX 64u

/* Limits that make a hostile line fail closed instead of stalling. */
#define RULE_MATCH_LIMIT 100000u
#define RULE_DEPTH_LIMIT 1000u

/* The two output buffers a run of rules alternates between, and in a
 * mapped run (rules_apply_queries) the provenance of each byte. */
typedef struct rules_bufs {
    char *buf[2];
    size_t cap[2];
    size_t *prov[2];
    size_t prov_cap[2];
} rules_bufs;

/* Per-worker state for running rules. */
typedef struct rules_scratch {
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit;
    rules_bufs out;  /* rules_apply's outputs */
    rules_bufs qout; /* rules_apply_queries': the rules' outputs on a view */
    char *qdec;      /* the decoded view of a token (query.h) */
    size_t qdec_cap;
    size_t *qmap; /* its map back to the token */
    size_t qmap_cap;
    char *qtok; /* a rewritten token, written back encoded */
    size_t qtok_cap;
    char *qline; /* rules_apply_queries' output line */
    size_t qline_cap;
    size_t ctx;         /* bytes of the line a view keeps before its token */
    char *lower;        /* the current text in lower case, for prefilters */
    size_t lower_cap;
    bool no_prefilter;  /* run every regex (soundness check of prefilters) */
    uint64_t *cand;     /* candidate rules of the current text (prefilter.h) */
    line_features feat; /* prescan results for the current text */
    uint64_t *hits; /* one per rule */
    size_t nrules;
} rules_scratch;

/* Outcome of running the rules on a line. */
typedef enum rules_result {
    RULES_SAME,      /* nothing changed: the input stands */
    RULES_CHANGED,   /* *out holds the new text */
    RULES_DROP,      /* a drop-line rule matched */
    RULES_FAILED,    /* a rule hit a match limit or failed: fail closed */
    RULES_NOMEM
} rules_result;

/* Called for each match when explaining: rule index, span in the
 * text the rule saw, and whether the validator rejected it. */
typedef void (*rules_explain_fn)(void *arg, size_t rule_index, size_t start, size_t end,
                                 bool rejected);

/* Prepares scratch space for rules[0, n).  Returns false when out of memory
 * (the scratch is then safe to pass to rules_scratch_free). */
bool rules_scratch_init(rules_scratch *s, const rule *rules, size_t n);

/* Frees what rules_scratch_init allocated.  Accepts a zeroed scratch. */
void rules_scratch_free(rules_scratch *s);

/* Runs rules[0, n) in order over text[0, len), each on the output of the
 * previous one; `pm` (built from the same rules, or NULL) picks the rules
 * worth running in one pass over the text.  `key` is needed only by pseudonym rules (NULL otherwise is
 * a failure of that rule: RULES_FAILED).  On RULES_CHANGED *out and *out_len
 * point into the scratch, valid until the next call.  On RULES_FAILED
 * *failed_rule names the rule.  `explain` may be NULL. */
rules_result rules_apply(const rule *rules, size_t n, const pf_matcher *pm,
                         rules_scratch *s, const pskey *key, const char *text, size_t len,
                         const char **out, size_t *out_len, size_t *failed_rule,
                         rules_explain_fn explain, void *explain_arg);

/* The decoded pass (see common/query.h): for each token of text[0, len)
 * that holds percent escapes in a URL query or key=value run, or a '+' in
 * a query, runs rules[0, n) as rules_apply does over the token's decoded
 * view and writes what they changed back into the token in its own
 * encoding; every other byte of the text is kept.  Returns and sets *out,
 * *out_len and *failed_rule as rules_apply does; `text` may be
 * rules_apply's output (it is read, never written).  Explained spans are
 * byte offsets of the encoded bytes in `text`. */
rules_result rules_apply_queries(const rule *rules, size_t n, const pf_matcher *pm,
                                 rules_scratch *s, const pskey *key, const char *text, size_t len,
                                 const char **out, size_t *out_len, size_t *failed_rule,
                                 rules_explain_fn explain, void *explain_arg);

/* Adds literal lit[0, len) to r's prefilter list (stored in lower case).
 * Returns false when out of memory. */
bool rule_add_prefilter(rule *r, const char *lit, size_t len);

/* Compiles `pattern` for rule r (JIT where available) and, unless the rule
 * already has prefilters, derives one from the pattern.  On failure returns false and writes "PCRE2 error at offset N:
 * MESSAGE" into err. */
bool rule_compile(rule *r, const char *pattern, size_t len, bool icase, char *err,
                  size_t errlen);

/* Builds one prefilter matcher for the literals of rules[0, n) (see
 * pf_build_with; PF_IMPL_AUTO picks the fastest).  Returns NULL when out of
 * memory. */
pf_matcher *rules_matcher(const rule *rules, size_t n, pf_impl want);

/* Frees one rule's members (not the struct).  Accepts a zeroed rule. */
void rule_free(rule *r);

#endif /* LS_RULES_H */
