/* prefilter.h -- one pass over a line that tells which rules can match.
 *
 * All rules' prefilter literals (at most their first 8 bytes count) are
 * searched for at once, compared without regard to ASCII case; the result is
 * the set of rules one of whose literals occurs, plus the rules without
 * literals, which are always in the set.  The set is exact for the literals
 * (a superset of the rules that match, which is safe because the rule's regex
 * decides).  Built once per policy, read-only afterwards.
 *
 * Two implementations give the same sets: a SIMD literal matcher ("Teddy"
 * style, SSSE3, AVX2 or AVX-512, chosen at build time by the CPU) and an Aho-Corasick
 * automaton, used on other CPUs and when the literals do not suit the SIMD
 * matcher.  See prefilter.c.
 */
#ifndef LS_PREFILTER_H
#define LS_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pf_matcher pf_matcher;

/* One rule's literals: lit[k][0, len[k]), lower case (compared without
 * regard to ASCII case).  A set with n == 0, or with an empty literal, makes
 * its rule always a candidate. */
typedef struct pf_literals {
    char **lit;
    size_t *len;
    size_t n;
} pf_literals;

/* Builds the matcher for the literal sets rules[0, n), one per rule, choosing the implementation (see
 * pf_build_with, PF_IMPL_AUTO).  Returns NULL when out of memory. */
pf_matcher *pf_build(const pf_literals *rules, size_t n);

/* The implementations, for tests and benchmarks. */
typedef enum pf_impl {
    PF_IMPL_AUTO,  /* the fastest the CPU and the literals allow */
    PF_IMPL_AC,    /* Aho-Corasick, any CPU */
    PF_IMPL_SSSE3, /* SIMD, 16 bytes per step */
    PF_IMPL_AVX2,  /* SIMD, 32 bytes per step */
    PF_IMPL_AVX512 /* SIMD, 64 bytes per step (AVX-512 BW and VBMI) */
} pf_impl;

/* Builds the matcher for rules[0, n) with implementation `want`.  A SIMD
 * implementation the CPU lacks, or whose limits the literals exceed (too
 * many of them, too many distinct one-byte literals), gives the
 * Aho-Corasick one instead: ask pf_matcher_impl what was built.  An explicit
 * SIMD choice skips PF_IMPL_AUTO's estimate of whether SIMD pays off.
 * Returns NULL when out of memory. */
pf_matcher *pf_build_with(const pf_literals *rules, size_t n, pf_impl want);

/* The implementation m uses (never PF_IMPL_AUTO).  This function can't
 * fail. */
pf_impl pf_matcher_impl(const pf_matcher *m);

/* Frees m.  Accepts NULL. */
void pf_free(pf_matcher *m);

/* Words of a candidate set for n rules: bit k of word k / 64 is rule k. */
static inline size_t pf_words(size_t n)
{
    return (n + 63) / 64;
}

/* Fills set (pf_words(n) words) with the rules that may match text[0, len).
 * text may hold any bytes; nothing outside text[0, len) is read.
 * This function can't fail. */
void pf_scan(const pf_matcher *m, const char *text, size_t len, uint64_t *set);

#endif /* LS_PREFILTER_H */
