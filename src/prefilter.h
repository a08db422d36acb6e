/* prefilter.h -- one pass over a line that tells which rules can match.
 *
 * Every rule's prefilter literals go into one Aho-Corasick automaton whose
 * transitions fold ASCII case, so a single scan of the line yields the set
 * of rules one of whose literals occurs (compared without case: a superset,
 * which is safe because the rule's regex decides).  Rules without literals
 * are always in the set.  Built once per policy, read-only afterwards.
 */
#ifndef LS_PREFILTER_H
#define LS_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"

typedef struct pf_matcher pf_matcher;

/* Builds the matcher for rules[0, n).  Returns NULL when out of memory. */
pf_matcher *pf_build(const rule *rules, size_t n);

/* Frees m.  Accepts NULL. */
void pf_free(pf_matcher *m);

/* Words of a candidate set for n rules: bit k of word k / 64 is rule k. */
static inline size_t pf_words(size_t n)
{
    return (n + 63) / 64;
}

/* Fills set (pf_words(n) words) with the rules that may match text[0, len).
 * This function can't fail. */
void pf_scan(const pf_matcher *m, const char *text, size_t len, uint64_t *set);

#endif /* LS_PREFILTER_H */
