/* tests/test_prefilter.c -- the candidate scan (prefilter.h): each
 * implementation (Aho-Corasick, SSSE3, AVX2, AVX-512) against a naive search, on
 * hand-picked literal sets, on random ones and on the default policy's.
 *
 * A SIMD implementation the CPU lacks builds the automaton instead, so every
 * test runs everywhere; the build tests check which one was built.  Texts
 * are copied into buffers of exactly their length, so a read past the end
 * is an AddressSanitizer error in the sanitizer build. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../bench/prng.h"
#include "core/policy.h"
#include "rules/prefilter.h"
#include "rules/rules.h"
#include "../testutil.h"

#define PREFIX 8 /* bytes of a literal that count (PF_PREFIX) */

static const pf_impl impls[] = {PF_IMPL_AC, PF_IMPL_SSSE3, PF_IMPL_AVX2, PF_IMPL_AVX512};
#define NIMPLS (sizeof impls / sizeof impls[0])

static const char *impl_name(pf_impl i)
{
    return i == PF_IMPL_AC       ? "ac"
           : i == PF_IMPL_SSSE3  ? "ssse3"
           : i == PF_IMPL_AVX2   ? "avx2"
           : i == PF_IMPL_AVX512 ? "avx512"
                                 : "auto";
}

/* Whether this CPU runs implementation i. */
static bool cpu_runs(pf_impl i)
{
#if defined(__x86_64__) || defined(__i386__)
    if (i == PF_IMPL_AVX512)
        return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi");
    if (i == PF_IMPL_AVX2)
        return __builtin_cpu_supports("avx2");
    if (i == PF_IMPL_SSSE3)
        return __builtin_cpu_supports("ssse3");
    return true;
#else
    return i == PF_IMPL_AC;
#endif
}

/* rules_matcher(r, n, i), which must give implementation i when the CPU
 * runs it and `fits` (the literals are within its limits), else AC. */
static pf_matcher *build(const rule *r, size_t n, pf_impl i, bool fits)
{
    pf_matcher *m = rules_matcher(r, n, i);
    cr_assert_not_null(m, "%s: out of memory", impl_name(i));
    pf_impl want = cpu_runs(i) && fits ? i : PF_IMPL_AC;
    cr_assert_eq(pf_matcher_impl(m), want, "asked for %s, got %s", impl_name(i),
                 impl_name(pf_matcher_impl(m)));
    return m;
}

/* The set a naive search gives: rule k when one of its literals, cut to
 * PREFIX bytes, occurs in t with ASCII letters folded; every rule without
 * literals or with an empty one. */
static void naive(const rule *r, size_t n, const char *t, size_t len, uint64_t *set)
{
    char *low = malloc(len + 1);
    cr_assert_not_null(low);
    for (size_t i = 0; i < len; i++)
        low[i] = (char)(t[i] >= 'A' && t[i] <= 'Z' ? t[i] | 0x20 : t[i]);
    memset(set, 0, pf_words(n ? n : 1) * sizeof *set);
    for (size_t k = 0; k < n; k++) {
        bool in = r[k].pf.n == 0;
        for (size_t j = 0; j < r[k].pf.n && !in; j++) {
            size_t l = r[k].pf.len[j] < PREFIX ? r[k].pf.len[j] : PREFIX;
            in = l == 0 || memmem(low, len, r[k].pf.lit[j], l) != NULL;
        }
        if (in)
            set[k / 64] |= 1ull << (k % 64);
    }
    free(low);
}

/* Scans t[0, len) with every matcher in m[0, NIMPLS) and compares with the
 * naive set.  The text is copied to a buffer of exactly len bytes. */
static void check_text(pf_matcher *const *m, const rule *r, size_t n, const char *t, size_t len,
                       const char *what)
{
    size_t nw = pf_words(n ? n : 1);
    uint64_t want[8], got[8];
    cr_assert_leq(nw, 8);
    naive(r, n, t, len, want);
    char *copy = malloc(len ? len : 1);
    cr_assert_not_null(copy);
    memcpy(copy, t, len);
    for (size_t i = 0; i < NIMPLS; i++) {
        memset(got, 0xa5, sizeof got); /* every word must be written */
        pf_scan(m[i], copy, len, got);
        for (size_t w = 0; w < nw; w++)
            cr_assert_eq(got[w], want[w],
                         "%s, %s: text \"%s\" (%zu bytes), word %zu: got %#llx want %#llx", what,
                         impl_name(pf_matcher_impl(m[i])), esc(t, len), len, w,
                         (unsigned long long)got[w], (unsigned long long)want[w]);
    }
    free(copy);
}

/* Rules from a table: rule k gets the literals in lits[k] (NULL-terminated,
 * none when empty). */
#define MAXL 6
static rule *make_rules(const char *const (*lits)[MAXL], size_t n)
{
    rule *r = calloc(n ? n : 1, sizeof *r);
    cr_assert_not_null(r);
    for (size_t k = 0; k < n; k++)
        for (size_t j = 0; lits[k][j]; j++)
            cr_assert(rule_add_prefilter(&r[k], lits[k][j], strlen(lits[k][j])));
    return r;
}

static void free_rules(rule *r, size_t n)
{
    for (size_t k = 0; k < n; k++)
        rule_free(&r[k]);
    free(r);
}

static void build_all(pf_matcher **m, const rule *r, size_t n, bool fits)
{
    for (size_t i = 0; i < NIMPLS; i++)
        m[i] = build(r, n, impls[i], fits);
}

static void free_all(pf_matcher **m)
{
    for (size_t i = 0; i < NIMPLS; i++)
        pf_free(m[i]);
}

/* ---- hand-picked literal sets ---------------------------------------------- */

static const char *const basic[][MAXL] = {
    {"@", "%40", NULL},
    {"authorization", NULL}, /* counts as "authoriz" */
    {"token", "key", "secret", NULL},
    {NULL}, /* no literal: always a candidate */
    {"eyj", NULL},
    {"documents and settings", "users", NULL},
    {"aa", "aab", NULL},   /* overlapping; a two-byte one */
    {"token", "+1", NULL}, /* "token" again, in another rule */
};
#define NBASIC (sizeof basic / sizeof basic[0])

Test(prefilter, every_literal_at_every_position_and_length)
{
    rule *r = make_rules(basic, NBASIC);
    pf_matcher *m[NIMPLS];
    build_all(m, r, NBASIC, true);
    char text[200];
    size_t cases = 0;
    for (size_t k = 0; k < NBASIC; k++) {
        for (size_t j = 0; basic[k][j]; j++) {
            const char *lit = basic[k][j];
            size_t l = strlen(lit);
            for (size_t len = l; len < 90; len++) {
                for (size_t at = 0; at + l <= len; at++) {
                    memset(text, 'x', len);
                    for (size_t c = 0; c < l; c++) /* alternate the case */
                        text[at + c] = (char)((c % 2) ? toupper(lit[c]) : lit[c]);
                    check_text(m, r, NBASIC, text, len, lit);
                    cases++;
                }
            }
        }
    }
    cr_assert_gt(cases, 20000);
    free_all(m);
    free_rules(r, NBASIC);
}

Test(prefilter, empty_text_and_text_without_literals)
{
    rule *r = make_rules(basic, NBASIC);
    for (size_t i = 0; i < NIMPLS; i++) {
        pf_matcher *m = build(r, NBASIC, impls[i], true);
        uint64_t got = 0;
        pf_scan(m, NULL, 0, &got); /* what rules_apply passes when all was removed */
        cr_assert_eq(got, 1ull << 3, "%s: only the rule without literals", impl_name(impls[i]));
        pf_scan(m, "nothing to see here", 19, &got);
        cr_assert_eq(got, 1ull << 3, "%s", impl_name(impls[i]));
        pf_free(m);
    }
    free_rules(r, NBASIC);
}

Test(prefilter, literals_count_with_their_first_8_bytes)
{
    rule *r = make_rules(basic, NBASIC);
    pf_matcher *m[NIMPLS];
    build_all(m, r, NBASIC, true);
    const char *texts[] = {"x AUTHORIZ", "authori", "DOCUMENTS", "document",
                           "documen",    "Tok",     "a+1",       "+"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        check_text(m, r, NBASIC, texts[i], strlen(texts[i]), "prefix");
    uint64_t got = 0;
    pf_scan(m[NIMPLS - 1], "Authoriz", 8, &got);
    cr_assert_eq(got, 1ull << 1 | 1ull << 3);
    free_all(m);
    free_rules(r, NBASIC);
}

Test(prefilter, the_same_literal_in_two_rules_sets_both)
{
    rule *r = make_rules(basic, NBASIC);
    for (size_t i = 0; i < NIMPLS; i++) {
        pf_matcher *m = build(r, NBASIC, impls[i], true);
        uint64_t got = 0;
        pf_scan(m, "a ToKeN b", 9, &got);
        cr_assert_eq(got, 1ull << 2 | 1ull << 3 | 1ull << 7, "%s: %#llx", impl_name(impls[i]),
                     (unsigned long long)got);
        pf_free(m);
    }
    free_rules(r, NBASIC);
}

Test(prefilter, more_than_64_rules)
{
    enum { N = 130 };
    rule *many = calloc(N, sizeof *many);
    cr_assert_not_null(many);
    char lit[16];
    for (size_t k = 0; k < N; k++) {
        snprintf(lit, sizeof lit, "w%zuz", k);
        cr_assert(rule_add_prefilter(&many[k], lit, strlen(lit)));
    }
    for (size_t i = 0; i < NIMPLS; i++) {
        pf_matcher *m = build(many, N, impls[i], true);
        uint64_t set[3] = {0};
        const char *t = "a w0z b W129Z c w64z";
        pf_scan(m, t, strlen(t), set);
        cr_assert_eq(set[0], 1ull << 0, "%s", impl_name(impls[i]));
        cr_assert_eq(set[1], 1ull << 0, "%s: rule 64", impl_name(impls[i]));
        cr_assert_eq(set[2], 1ull << 1, "%s: rule 129", impl_name(impls[i]));
        pf_free(m);
    }
    free_rules(many, N);
}

/* OR 0x20, the SIMD fingerprint's fold, makes twins of bytes that are not
 * letters: '@' and '`', '[' and '{', 0x10 and '0', 0x80 and 0xa0.  The
 * verification must tell them apart. */
static const char *const twins[][MAXL] = {
    {"@", NULL},     {"@x", NULL},       {"[a", NULL},
    {"\x10z", NULL}, {"\x80\x62", NULL}, /* 0x80 'b' */
    {"_key", NULL},  {"\x10", NULL},
};
#define NTWINS (sizeof twins / sizeof twins[0])

Test(prefilter, bytes_that_differ_in_bit_5_are_not_letters)
{
    rule *r = make_rules(twins, NTWINS);
    pf_matcher *m[NIMPLS];
    build_all(m, r, NTWINS, true);
    const char *miss[] = {"`X `x", "{A {a", "0Z", "\xa0\x62", "\x7fkey", "0"};
    for (size_t i = 0; i < sizeof miss / sizeof miss[0]; i++) {
        check_text(m, r, NTWINS, miss[i], strlen(miss[i]), "twin");
        for (size_t j = 0; j < NIMPLS; j++) {
            uint64_t got = 0;
            pf_scan(m[j], miss[i], strlen(miss[i]), &got);
            cr_assert_eq(got, 0, "%s: \"%s\"", impl_name(impls[j]), esc(miss[i], strlen(miss[i])));
        }
    }
    const char hit[] = "@X [A \x10Z \x80\x42 _KEY";
    for (size_t j = 0; j < NIMPLS; j++) {
        uint64_t got = 0;
        pf_scan(m[j], hit, sizeof hit - 1, &got);
        cr_assert_eq(got, 0x7full, "%s: %#llx", impl_name(impls[j]), (unsigned long long)got);
    }
    free_all(m);
    free_rules(r, NTWINS);
}

static const char *const singles[][MAXL] = {
    {"@", NULL}, {".", NULL}, {"q", NULL}, {"\xe9", NULL}, {"+", "@", NULL}, {NULL},
};
#define NSINGLES (sizeof singles / sizeof singles[0])

Test(prefilter, only_one_byte_literals)
{
    rule *r = make_rules(singles, NSINGLES);
    pf_matcher *m[NIMPLS];
    build_all(m, r, NSINGLES, true);
    char text[80];
    const char bytes[] = "@.qQ\xe9\xc9+";
    for (size_t b = 0; b < sizeof bytes - 1; b++) {
        for (size_t len = 1; len < 70; len++) {
            for (size_t at = 0; at < len; at++) {
                memset(text, '-', len);
                text[at] = bytes[b];
                check_text(m, r, NSINGLES, text, len, "one byte");
            }
        }
    }
    check_text(m, r, NSINGLES, "@.q\xe9+", 5, "all of them");
    free_all(m);
    free_rules(r, NSINGLES);
}

Test(prefilter, an_empty_literal_occurs_in_every_text)
{
    rule r[2];
    memset(r, 0, sizeof r);
    cr_assert(rule_add_prefilter(&r[0], "abc", 3));
    cr_assert(rule_add_prefilter(&r[0], "", 0));
    cr_assert(rule_add_prefilter(&r[1], "xyz", 3));
    for (size_t i = 0; i < NIMPLS; i++) {
        pf_matcher *m = build(r, 2, impls[i], true);
        uint64_t got = 0;
        pf_scan(m, "", 0, &got);
        cr_assert_eq(got, 1, "%s", impl_name(impls[i]));
        pf_scan(m, "..xyz", 5, &got);
        cr_assert_eq(got, 3, "%s", impl_name(impls[i]));
        pf_free(m);
    }
    rule_free(&r[0]);
    rule_free(&r[1]);
}

Test(prefilter, rules_without_literals_and_no_rules)
{
    rule r[3];
    memset(r, 0, sizeof r);
    for (size_t i = 0; i < NIMPLS; i++) {
        pf_matcher *m = build(r, 3, impls[i], true);
        uint64_t got = 0;
        pf_scan(m, "anything at all, for longer than one block of 32 bytes", 54, &got);
        cr_assert_eq(got, 7, "%s", impl_name(impls[i]));
        pf_free(m);
        m = build(r, 0, impls[i], true);
        pf_scan(m, "text", 4, &got);
        cr_assert_eq(got, 0, "%s", impl_name(impls[i]));
        pf_free(m);
    }
}

/* ---- limits and the choice of implementation -------------------------------- */

Test(prefilter, too_many_literals_for_simd_build_the_automaton)
{
    enum { N = 300 }; /* distinct literals of two bytes and more: over the limit */
    rule *r = calloc(N, sizeof *r);
    cr_assert_not_null(r);
    char lit[16];
    for (size_t k = 0; k < N; k++) {
        snprintf(lit, sizeof lit, "L%03zu", k);
        cr_assert(rule_add_prefilter(&r[k], lit, strlen(lit)));
    }
    pf_matcher *m[NIMPLS];
    build_all(m, r, N, false);
    check_text(m, r, N, "..l007..L299.", 13, "300 literals");
    free_all(m);
    free_rules(r, N);

    enum { S = 40 }; /* distinct one-byte literals: over the limit */
    r = calloc(S, sizeof *r);
    cr_assert_not_null(r);
    for (size_t k = 0; k < S; k++) {
        char c = (char)('!' + k);
        cr_assert(rule_add_prefilter(&r[k], &c, 1));
    }
    build_all(m, r, S, false);
    check_text(m, r, S, "a!b#c", 5, "40 one-byte literals");
    free_all(m);
    free_rules(r, S);
}

/* Two-byte literals made of the commonest letters would be verified at
 * almost every byte: the automatic choice keeps the automaton for them,
 * while an explicit SIMD choice is obeyed. */
Test(prefilter, auto_leaves_literals_that_fire_everywhere_to_the_automaton)
{
    static const char common[] = "etaoins";
    enum { N = 49 };
    rule *r = calloc(N, sizeof *r);
    cr_assert_not_null(r);
    for (size_t k = 0; k < N; k++) {
        char lit[2] = {common[k / 7], common[k % 7]};
        cr_assert(rule_add_prefilter(&r[k], lit, 2));
    }
    pf_matcher *m = rules_matcher(r, N, PF_IMPL_AUTO);
    cr_assert_not_null(m);
    cr_assert_eq(pf_matcher_impl(m), PF_IMPL_AC);
    pf_free(m);
    pf_matcher *all[NIMPLS];
    build_all(all, r, N, true);
    check_text(all, r, N, "a station", 9, "common letters");
    free_all(all);
    free_rules(r, N);
}

/* ---- random texts ------------------------------------------------------------ */

/* Bytes for random literals and texts: few, so that literals occur, and
 * including NUL, bytes >= 0x80 and the bit-5 twins. */
static const char alphabet[] = "abcdeABCDE@`[{0 \x10.+%_\x7f\x80\xa0\xe9\xff\x00";

static char random_byte(void)
{
    return alphabet[rnd(sizeof alphabet)]; /* the last is the terminating NUL */
}

/* Flips the case of each letter of s[0, n) with probability 1/2. */
static void flip_case(char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isalpha((unsigned char)s[i]) && rnd(2))
            s[i] = (char)(s[i] ^ 0x20);
}

/* A random text of length len, with literals of r[0, n) planted at random
 * offsets, often across the 16- and 32-byte block boundaries and at the
 * end. */
static void random_text(char *t, size_t len, const rule *r, size_t n, unsigned filler)
{
    for (size_t i = 0; i < len; i++)
        t[i] = filler ? (char)filler : random_byte();
    if (!filler)
        flip_case(t, len);
    unsigned plants = n ? rnd(4) : 0;
    for (unsigned p = 0; p < plants; p++) {
        const rule *k = &r[rnd((uint32_t)n)];
        if (k->pf.n == 0)
            continue;
        size_t j = rnd((uint32_t)k->pf.n), l = k->pf.len[j];
        if (l > len)
            continue;
        size_t at;
        switch (rnd(4)) {
        case 0: /* across a block boundary, up to 576 */
            at = (1 + rnd(36)) * 16 - rnd((uint32_t)l + 1);
            break;
        case 1: /* at the end */
            at = len - l;
            break;
        default:
            at = rnd((uint32_t)(len - l + 1));
        }
        if (at + l > len)
            at = len - l;
        memcpy(t + at, k->pf.lit[j], l);
        flip_case(t + at, l);
    }
}

/* Lengths around the block sizes come up often. */
static size_t random_len(void)
{
    /* Block edges of 16, 32 and 64 bytes, and the AVX-512 scan's chunks of
     * 512 (with 8 bytes carried over). */
    static const size_t edges[] = {0,   1,   2,   3,   15,  16,  17,  18,  31,  32,  33,  34,
                                   47,  48,  49,  63,  64,  65,  66,  127, 128, 129, 255, 256,
                                   257, 511, 512, 513, 514, 515, 519, 520, 521, 575, 576, 577};
    if (rnd(3) == 0)
        return edges[rnd(sizeof edges / sizeof edges[0])];
    return rnd(600);
}

Test(prefilter, random_literal_sets_and_texts)
{
    rng_state = 20250101;
    char text[600];
    size_t texts = 0, simd = 0;
    for (unsigned set_no = 0; set_no < 60; set_no++) {
        /* Up to 150 rules (three words of set), 0 to 4 literals each, of 1
         * to 12 bytes, sometimes one that another rule has already. */
        size_t n = 1 + rnd(set_no % 3 == 0 ? 150 : 30);
        rule *r = calloc(n, sizeof *r);
        cr_assert_not_null(r);
        for (size_t k = 0; k < n; k++) {
            unsigned nl = rnd(5);
            for (unsigned j = 0; j < nl; j++) {
                char lit[12];
                size_t l = rnd(4) == 0 ? 1 : 2 + rnd(11);
                if (k > 0 && r[k - 1].pf.n > 0 && rnd(10) == 0) {
                    l = r[k - 1].pf.len[0];
                    memcpy(lit, r[k - 1].pf.lit[0], l);
                } else {
                    for (size_t i = 0; i < l; i++)
                        lit[i] = random_byte();
                }
                cr_assert(rule_add_prefilter(&r[k], lit, l));
            }
        }
        pf_matcher *m[NIMPLS];
        for (size_t i = 0; i < NIMPLS; i++) {
            m[i] = rules_matcher(r, n, impls[i]);
            cr_assert_not_null(m[i]);
        }
        simd += pf_matcher_impl(m[NIMPLS - 1]) == impls[NIMPLS - 1];
        char what[32];
        snprintf(what, sizeof what, "set %u", set_no);
        for (unsigned i = 0; i < 400; i++) {
            size_t len = random_len();
            random_text(text, len, r, n, i % 10 == 0 ? 'x' : 0);
            check_text(m, r, n, text, len, what);
            texts++;
        }
        free_all(m);
        free_rules(r, n);
    }
    cr_assert_geq(texts, 20000);
    if (cpu_runs(impls[NIMPLS - 1]))
        cr_assert_geq(simd, 50, "most sets fit the SIMD matcher: %zu of 60", simd);
}

/* The default policy's literals, as the CLI gets them, on log-like text. */
Test(prefilter, default_policy_literals_on_random_log_lines)
{
    ls_policy *p = ls_policy_new();
    cr_assert_not_null(p);
    cr_assert_eq(ls_policy_load_default(p), LS_OK);
    size_t nlits = 0;
    for (size_t k = 0; k < p->nrules; k++)
        nlits += p->rules[k].pf.n;
    cr_assert_gt(nlits, 50, "the default policy has many literals");

    /* Its own matcher is a SIMD one wherever the CPU has SIMD. */
    if (cpu_runs(PF_IMPL_AVX512))
        cr_assert_eq(pf_matcher_impl(p->matcher), PF_IMPL_AVX512);
    else if (cpu_runs(PF_IMPL_AVX2))
        cr_assert_eq(pf_matcher_impl(p->matcher), PF_IMPL_AVX2);
    else if (cpu_runs(PF_IMPL_SSSE3))
        cr_assert_eq(pf_matcher_impl(p->matcher), PF_IMPL_SSSE3);

    pf_matcher *m[NIMPLS];
    build_all(m, p->rules, p->nrules, true);
    static const char *const words[] = {
        "GET ",
        "/index.html ",
        "HTTP/1.1\" 200 ",
        "Mozilla/5.0 (iPhone; like Gecko) ",
        "Mobile Safari ",
        "?token=",
        "&user=",
        "Authorization: Bearer ",
        "eyJhbGciOi",
        "mail%40example.com ",
        "+49 30 ",
        "0049",
        "Tel. ",
        "glpat-",
        "google.com ",
        "xoxb-",
        "sk_live_",
        "AKIA",
        "ghp_",
        "/home/",
        "C:\\Users\\",
        "Steuernummer ",
        "nr. ",
        "1.2.3.4 ",
        "[23/Nov/2026:06:25:00 +0000] ",
        "\"-\" ",
        "\xc3\xa9",
        "\t",
        "PRIVATE KEY",
        "cookie: sid=",
        "code=",
        "rufnummer",
        "+1 ",
        "007 ",
    };
    char text[600];
    rng_state = 4242;
    for (unsigned i = 0; i < 20000; i++) {
        size_t len = 0, want = random_len();
        while (len < want) {
            const char *w = words[rnd(sizeof words / sizeof words[0])];
            size_t l = strlen(w);
            if (len + l > want)
                l = want - len; /* cut: a literal may be cut at the end */
            memcpy(text + len, w, l);
            len += l;
        }
        flip_case(text, len);
        check_text(m, p->rules, p->nrules, text, len, "default policy");
    }
    free_all(m);
    ls_policy_free(p);
}
