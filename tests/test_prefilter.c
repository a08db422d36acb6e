/* tests/test_prefilter.c -- the Aho-Corasick candidate scan against a naive
 * search: every literal, at every position of texts of many lengths (the
 * scan splits a text in two halves), in any letter case. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <strings.h>
#include <stdio.h>
#include <string.h>

#include "prefilter.h"
#include "rules.h"

/* Rule k gets the literals in lits[k] (NULL-terminated), none when empty. */
static const char *const lits[][4] = {
    {"@", "%40", NULL},
    {"authorization", NULL},
    {"token", "key", "secret", NULL},
    {NULL}, /* no literal: always a candidate */
    {"eyj", NULL},
    {"documents and settings", "users", NULL},
    {"aa", "aab", NULL}, /* overlapping literals */
};
#define NRULES (sizeof lits / sizeof lits[0])

static rule rules[NRULES];

static void setup(void)
{
    memset(rules, 0, sizeof rules);
    for (size_t k = 0; k < NRULES; k++)
        for (size_t j = 0; lits[k][j]; j++)
            cr_assert(rule_add_prefilter(&rules[k], lits[k][j], strlen(lits[k][j])));
}

static void teardown(void)
{
    for (size_t k = 0; k < NRULES; k++)
        rule_free(&rules[k]);
}

/* The set a naive, case-insensitive search gives. */
static uint64_t naive(const char *t, size_t len)
{
    uint64_t set = 0;
    for (size_t k = 0; k < NRULES; k++) {
        if (lits[k][0] == NULL)
            set |= 1ull << k;
        for (size_t j = 0; lits[k][j]; j++) {
            size_t l = strlen(lits[k][j]);
            for (size_t i = 0; i + l <= len; i++)
                if (strncasecmp(t + i, lits[k][j], l) == 0)
                    set |= 1ull << k;
        }
    }
    return set;
}

Test(prefilter, every_literal_at_every_position_and_length, .init = setup, .fini = teardown)
{
    pf_matcher *m = pf_build(rules, NRULES);
    cr_assert_not_null(m);
    char text[200];
    size_t cases = 0;
    for (size_t k = 0; k < NRULES; k++) {
        for (size_t j = 0; lits[k][j]; j++) {
            const char *lit = lits[k][j];
            size_t l = strlen(lit);
            for (size_t len = l; len < 90; len++) {
                for (size_t at = 0; at + l <= len; at++) {
                    memset(text, 'x', len);
                    for (size_t c = 0; c < l; c++) /* alternate the case */
                        text[at + c] = (char)((c % 2) ? toupper(lit[c]) : lit[c]);
                    uint64_t got = 0;
                    pf_scan(m, text, len, &got);
                    uint64_t want = naive(text, len);
                    cr_assert_eq(got, want, "literal \"%s\" at %zu of %zu: got %#llx want %#llx",
                                 lit, at, len, (unsigned long long)got,
                                 (unsigned long long)want);
                    cases++;
                }
            }
        }
    }
    cr_assert_gt(cases, 10000);
    pf_free(m);
}

Test(prefilter, empty_text_and_no_literals, .init = setup, .fini = teardown)
{
    pf_matcher *m = pf_build(rules, NRULES);
    uint64_t got = 0;
    pf_scan(m, "", 0, &got);
    cr_assert_eq(got, 1ull << 3, "only the rule without literals");
    pf_scan(m, "nothing to see here", 19, &got);
    cr_assert_eq(got, 1ull << 3);
    pf_free(m);
}

Test(prefilter, more_than_64_rules)
{
    static rule many[130];
    memset(many, 0, sizeof many);
    char lit[16];
    for (size_t k = 0; k < 130; k++) {
        snprintf(lit, sizeof lit, "w%zuz", k);
        cr_assert(rule_add_prefilter(&many[k], lit, strlen(lit)));
    }
    pf_matcher *m = pf_build(many, 130);
    cr_assert_not_null(m);
    uint64_t set[3] = {0};
    const char *t = "a w0z b W129Z c w64z";
    pf_scan(m, t, strlen(t), set);
    cr_assert_eq(set[0], 1ull << 0);
    cr_assert_eq(set[1], 1ull << 0); /* rule 64 */
    cr_assert_eq(set[2], 1ull << 1); /* rule 129 */
    pf_free(m);
    for (size_t k = 0; k < 130; k++)
        rule_free(&many[k]);
}
