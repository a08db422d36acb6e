/* test_rules.c -- Criterion tests for the rule engine (src/rules.c) through
 * the public API: a policy with custom rules loaded from a YAML string, a
 * worker, ls_scrub.  Covers every action, the named group v, validators,
 * ignore_case, explicit and derived prefilters (a derived prefilter may make
 * a rule skip work, never skip a match), rule order, the IP engine running
 * first, repeated and zero-length matches, failing closed on a match limit,
 * hit counters, explain, ls_policy_check_examples, and lines with NUL bytes
 * and invalid UTF-8.
 *
 * Outputs are compared with memcmp on (pointer, length): lines may contain
 * NUL bytes.  Tables of cases are looped over inside one Test (see
 * STYLE.md on Criterion 2.4.1 parameterized tests).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "logscrub.h"
#include "../testutil.h"

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------- */

#define LIT(s) s, (sizeof(s) - 1)
#define N(a)   (sizeof(a) / sizeof((a)[0]))

static const char failed_marker[] = "[logscrub: line removed, a rule failed]";


static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *s = NULL;
    cr_assert_geq(vasprintf(&s, f, ap), 0);
    va_end(ap);
    return s;
}

/* Loads yaml as "t.yaml"; asserts success. */
static ls_policy *policy_from(const char *yaml)
{
    ls_policy *p = ls_policy_new();
    cr_assert_not_null(p);
    ls_status rc = ls_policy_load_buffer(p, "t.yaml", yaml, strlen(yaml));
    cr_assert_eq(rc, LS_OK, "status %d, error \"%s\" for:\n%s", (int)rc, ls_policy_error(p), yaml);
    return p;
}

/* YAML for one custom rule "r" with `pattern` (single-quoted: ' doubled)
 * and `rest` (further keys, each line indented by 6 spaces). */
static char *one_rule(const char *pattern, const char *rest)
{
    char q[512];
    size_t o = 0;
    for (const char *s = pattern; *s && o + 2 < sizeof q; s++) {
        if (*s == '\'')
            q[o++] = '\'';
        q[o++] = *s;
    }
    q[o] = '\0';
    return fmt("version: 1\nrules:\n  custom:\n    - name: r\n      pattern: '%s'\n%s", q, rest);
}

/* A policy and a worker made from it. */
typedef struct fixture {
    ls_policy *p;
    ls_worker *w;
} fixture;

static fixture make(const char *yaml)
{
    fixture f;
    f.p = policy_from(yaml);
    f.w = ls_worker_new(f.p);
    cr_assert_not_null(f.w);
    return f;
}

static fixture make_rule(const char *pattern, const char *rest)
{
    char *y = one_rule(pattern, rest);
    fixture f = make(y);
    free(y);
    return f;
}

static void done(fixture *f)
{
    ls_worker_free(f->w);
    ls_policy_free(f->p);
}

/* Scrubs in[0, inlen) and expects LS_OK with exp[0, explen).  Returns
 * whether it matched (the check itself is a non-fatal expectation). */
static bool scrub_is(ls_worker *w, const char *in, size_t inlen, const char *exp, size_t explen)
{
    const char *out = NULL;
    size_t out_len = 0;
    ls_status st = ls_scrub(w, in, inlen, &out, &out_len);
    bool ok = st == LS_OK && out_len == explen && memcmp(out, exp, explen) == 0;
    cr_expect(ok, "input    \"%s\"\nexpected \"%s\"\nactual   \"%s\" (status %d)", esc(in, inlen),
              esc(exp, explen), st == LS_OK || st == LS_DROPPED ? esc(out, out_len) : "?", (int)st);
    return ok;
}

#define SCRUB_IS(w, in, exp) scrub_is((w), LIT(in), LIT(exp))

/* Runs pattern with action mask over in and expects every byte of in
 * masked: the rule must see and match the whole input. */
static void expect_masked(const char *pattern, const char *in, size_t inlen)
{
    fixture f = make_rule(pattern, "      action: mask\n");
    char exp[256];
    cr_assert_lt(inlen, sizeof exp);
    memset(exp, '*', inlen);
    bool ok = scrub_is(f.w, in, inlen, exp, inlen);
    cr_expect(ok, "pattern '%s' did not mask \"%s\"", pattern, esc(in, inlen));
    done(&f);
}

typedef struct match_case {
    const char *pattern;
    const char *in; /* fully matched by pattern */
} match_case;

static void expect_all_masked(const match_case *c, size_t n)
{
    for (size_t k = 0; k < n; k++)
        expect_masked(c[k].pattern, c[k].in, strlen(c[k].in));
}

/* ---------------------------------------------------------------------
 * Actions
 * ------------------------------------------------------------------- */

Test(rules, mask_is_same_length_stars)
{
    fixture f = make_rule("secret=\\w+", "      action: mask\n");
    SCRUB_IS(f.w, "a secret=hunter2 b", "a ************** b");
    SCRUB_IS(f.w, "no match here", "no match here");
    SCRUB_IS(f.w, "", "");
    done(&f);
}

Test(rules, named_group_v_selects_the_span)
{
    fixture f = make_rule("secret=(?<v>\\w+)", "      action: mask\n");
    SCRUB_IS(f.w, "a secret=hunter2 b", "a secret=******* b");
    done(&f);
    /* Other groups do not matter; only the one named v does. */
    f = make_rule("(k)ey=(?<v>\\w+)(;)", "      action: replace\n      with: '[v]'\n");
    SCRUB_IS(f.w, "key=abc; key=d;", "key=[v]; key=[v];");
    done(&f);
}

Test(rules, replace)
{
    fixture f = make_rule("tok-\\d+", "      action: replace\n      with: '[tok]'\n");
    SCRUB_IS(f.w, "x tok-123 y tok-4", "x [tok] y [tok]");
    done(&f);
    /* An empty replacement is allowed and works like remove. */
    f = make_rule("tok-\\d+", "      action: replace\n      with: ''\n");
    SCRUB_IS(f.w, "x tok-123 y", "x  y");
    done(&f);
}

Test(rules, remove)
{
    fixture f = make_rule(" sid=\\w+", "      action: remove\n");
    SCRUB_IS(f.w, "GET /a sid=abc HTTP sid=d", "GET /a HTTP");
    done(&f);
    f = make_rule(".*", "      action: remove\n");
    SCRUB_IS(f.w, "everything", "");
    done(&f);
}

Test(rules, keep_last)
{
    fixture f = make_rule("\\d+(?:[ -]\\d+)*", "      action: keep-last\n      keep: 4\n");
    SCRUB_IS(f.w, "card 4111-1111 1111-1111 end", "card ****-**** ****-1111 end");
    SCRUB_IS(f.w, "card 4111111111111111", "card ************1111");
    done(&f);

    /* Letters count like digits; separators are kept; the last N of the
     * letters and digits survive. */
    f = make_rule("acct=(?<v>[A-Za-z0-9./-]+)", "      action: keep-last\n      keep: 2\n");
    SCRUB_IS(f.w, "acct=AB-12.cd", "acct=**-**.cd");
    SCRUB_IS(f.w, "acct=a/b", "acct=a/b");
    SCRUB_IS(f.w, "acct=x", "acct=x");
    done(&f);

    f = make_rule("pin=(?<v>\\d+)", "      action: keep-last\n      keep: 0\n");
    SCRUB_IS(f.w, "pin=1234", "pin=****");
    done(&f);
}

Test(rules, drop_line)
{
    fixture f = make_rule("DEBUG", "      action: drop-line\n");
    const char *out;
    size_t out_len;
    cr_expect_eq(ls_scrub(f.w, LIT("x DEBUG y"), &out, &out_len), LS_DROPPED);
    SCRUB_IS(f.w, "x INFO y", "x INFO y");
    cr_expect_eq(ls_scrub(f.w, LIT("DEBUG"), &out, &out_len), LS_DROPPED);
    ls_counters c;
    ls_worker_counters(f.w, &c);
    cr_expect_eq(c.lines, 3);
    cr_expect_eq(c.dropped, 2);
    cr_expect_eq(c.fail_closed, 0);
    cr_expect_eq(ls_worker_rule_hits(f.w, 0), 2);
    done(&f);
}

/* A drop-line rule after others drops the line even when earlier rules
 * changed it; one before them stops the line at once. */
Test(rules, drop_line_among_other_rules)
{
    fixture f = make("version: 1\nrules:\n  custom:\n"
                     "    - {name: m, pattern: 'pw=\\w+', action: mask}\n"
                     "    - {name: d, pattern: 'healthcheck', action: drop-line}\n"
                     "    - {name: z, pattern: 'z', action: mask}\n");
    const char *out;
    size_t out_len;
    cr_expect_eq(ls_scrub(f.w, LIT("pw=x healthcheck z"), &out, &out_len), LS_DROPPED);
    cr_expect_eq(ls_worker_rule_hits(f.w, 0), 1);
    cr_expect_eq(ls_worker_rule_hits(f.w, 1), 1);
    cr_expect_eq(ls_worker_rule_hits(f.w, 2), 0);
    done(&f);
}

Test(rules, validator_luhn_decides)
{
    fixture f = make_rule("\\b\\d+\\b", "      action: mask\n      validator: luhn\n");
    SCRUB_IS(f.w, "cc 4111111111111111 ok", "cc **************** ok");
    SCRUB_IS(f.w, "cc 4111111111111112 no", "cc 4111111111111112 no");
    SCRUB_IS(f.w, "4111111111111112 4111111111111111", "4111111111111112 ****************");
    cr_expect_eq(ls_worker_rule_hits(f.w, 0), 2);
    done(&f);
}

/* The validator sees only the v span. */
Test(rules, validator_sees_group_v)
{
    fixture f = make_rule("card=(?<v>[\\d ]+);", "      action: keep-last\n      keep: 4\n"
                                                 "      validator: luhn\n");
    SCRUB_IS(f.w, "card=4111 1111 1111 1111; card=4111 1111 1111 1112;",
             "card=**** **** **** 1111; card=4111 1111 1111 1112;");
    done(&f);
}

Test(rules, ignore_case)
{
    fixture f = make_rule("password=\\S+", "      action: mask\n      ignore_case: true\n");
    SCRUB_IS(f.w, "PassWord=x1 password=y", "*********** **********");
    done(&f);
    f = make_rule("password=\\S+", "      action: mask\n      ignore_case: false\n");
    SCRUB_IS(f.w, "PassWord=x1 password=y", "PassWord=x1 **********");
    done(&f);
}

/* ---------------------------------------------------------------------
 * Prefilters
 * ------------------------------------------------------------------- */

Test(rules, explicit_prefilter_gates_the_rule)
{
    fixture f = make_rule("k=\\w+", "      action: mask\n      prefilter: 'zzz'\n");
    SCRUB_IS(f.w, "k=abc", "k=abc");         /* literal absent: the rule does not run */
    SCRUB_IS(f.w, "zzz k=abc", "zzz *****"); /* present: it does */
    SCRUB_IS(f.w, "zz k=abc zz", "zz k=abc zz");
    cr_expect_eq(ls_worker_rule_hits(f.w, 0), 1);
    done(&f);

    /* Prefilters are compared without case when the rule ignores case. */
    f = make_rule("k=\\w+",
                  "      action: mask\n      prefilter: 'zzz'\n      ignore_case: true\n");
    SCRUB_IS(f.w, "ZzZ k=abc", "ZzZ *****");
    SCRUB_IS(f.w, "k=abc", "k=abc");
    done(&f);

    /* A list: any one of the literals lets the rule run. */
    f = make_rule("k=\\w+", "      action: mask\n      prefilter: [foo, bar]\n");
    SCRUB_IS(f.w, "bar k=1", "bar ***");
    SCRUB_IS(f.w, "foo k=1", "foo ***");
    SCRUB_IS(f.w, "baz k=1", "baz k=1");
    done(&f);
}

/* The patterns of the brief: a naive literal would be wrong for each. */
Test(rules, derived_prefilter_never_misses_basic)
{
    static const match_case c[] = {
        {"ab?c", "ac"},      {"ab?c", "abc"},       {"a(b)c", "abc"},         {"x|y", "x"},
        {"x|y", "y"},        {"(?i)abc", "ABC"},    {"(?i)abc", "aBc"},       {"a\\.b", "a.b"},
        {"a{0,2}bc", "abc"}, {"a{0,2}bc", "bc"},    {"a{0,2}bc", "aabc"},     {"[a-c]+d", "abcd"},
        {"[a-c]+d", "cd"},   {"foo+bar", "foobar"}, {"foo+bar", "fooooobar"}, {"ab*c", "ac"},
        {"ab*?c", "ac"},     {"ab{0}c", "ac"},      {"ab{0,}c", "ac"},        {"(ab)?cd", "cd"},
        {"a(b|c)d", "acd"},  {"(a|b)|c", "c"},      {"[]a]x", "]x"},          {"[^]a]x", "bx"},
        {"a\\|b", "a|b"},    {"x\\(y", "x(y"},      {"abc$", "abc"},          {"^abc", "abc"},
        {"ab+c", "abbbc"},   {"ab{2}c", "abbc"},    {"(?:ab)+c", "ababc"},    {"ab(?=c)c", "abc"},
        {"a.c", "axc"},
    };
    expect_all_masked(c, N(c));
}

/* Escapes whose letters or digits are not literal text: \xHH, \x{..},
 * octal \101 and \o{..}, \cX, \p{..}, back references \g{..} \k<..>. */
Test(rules, derived_prefilter_escapes_with_alnum_arguments)
{
    static const match_case c[] = {
        {"\\x41BC", "ABC"},     {"\\x{41}b", "Ab"},      {"\\101z", "Az"},
        {"\\o{101}z", "Az"},    {"\\cAx", "\x01x"},      {"\\p{Lu}x", "Ax"},
        {"(a)\\g{1}", "aa"},    {"(a)\\g1", "aa"},       {"(?<n>a)\\k<n>", "aa"},
        {"\\012x", "\nx"},      {"(?<n>a)\\k{n}", "aa"}, {"(?<n>a)\\k'n'", "aa"},
        {"ab\\x2dcd", "ab-cd"},
    };
    expect_all_masked(c, N(c));
}

/* The digits of a counted repeat are not literal text. */
Test(rules, derived_prefilter_counted_repeats)
{
    static const match_case c[] = {
        {"x{12}", "xxxxxxxxxxxx"},
        {"ab{10}", "abbbbbbbbbb"},
        {"a{0,2}bc", "bc"},
        {"[0-9]{10}", "0000000000"},
        {"\\b\\d{16}\\b", "5105105105105100"},
        {"\\d{4}[ -]?\\d{4}[ -]?\\d{4}[ -]?\\d{4}", "5105 1051 0510 5100"},
    };
    expect_all_masked(c, N(c));
}

/* A '{' that does not start a quantifier is literal text, and what
 * follows it up to the next '}' is still pattern: alternation, groups. */
Test(rules, derived_prefilter_literal_braces)
{
    static const match_case c[] = {
        {"a{x}b", "a{x}b"},
        {"ab{|}c", "}c"},
        {"{(}x)?z", "{z"},
    };
    expect_all_masked(c, N(c));
}

Test(rules, derived_prefilter_posix_class)
{
    static const match_case c[] = {
        {"[[:alpha:]]x", "ax"},
        {"[[:digit:][:space:]]+end", "1 2end"},
    };
    expect_all_masked(c, N(c));
}

/* Case-insensitive and extended mode can be switched on inline in more ways
 * than "(?i" and "(?x". */
Test(rules, derived_prefilter_inline_options)
{
    static const match_case c[] = {
        {"(?mi)abc", "ABC"},   {"(?si)abc", "ABC"},   {"(?^i)abc", "ABC"},
        {"(?ix)a b c", "abc"}, {"(?mx)a b c", "abc"}, {"(?i:ab)c", "ABc"},
    };
    expect_all_masked(c, N(c));
}

/* With no literal at the top level, the last byte PCRE2 requires is the
 * fallback filter; under an inline (?i) that byte may come in either
 * case. */
Test(rules, required_byte_respects_inline_caseless)
{
    static const match_case c[] = {
        {"(?i:abc)", "ABC"},
        {"(?i)(abc)", "ABC"},
        {"(?i)(ABC)", "abc"},
        {"x|(?i:yz)", "YZ"},
    };
    expect_all_masked(c, N(c));
}

typedef struct reports reports;
static void collect(void *arg, const char *message);

/* The same through ls_policy_check_examples, which runs one rule alone. */
Test(rules, required_byte_respects_inline_caseless_in_examples)
{
    static const match_case c[] = {
        {"(?i:abc)", "ABC"},
        {"(?i)(abc)", "ABC"},
        {"(?i)(ABC)", "abc"},
        {"x|(?i:yz)", "YZ"},
    };
    for (size_t k = 0; k < N(c); k++) {
        char *rest = fmt("      action: mask\n      examples:\n        - {in: '%s', out: '%.*s'}\n",
                         c[k].in, (int)strlen(c[k].in), "****************");
        char *y = one_rule(c[k].pattern, rest);
        ls_policy *p = policy_from(y);
        size_t total = 0;
        size_t failed = ls_policy_check_examples(p, collect, NULL, &total);
        cr_expect_eq(failed, 0, "pattern '%s' on \"%s\"", c[k].pattern, c[k].in);
        cr_expect_eq(total, 1);
        ls_policy_free(p);
        free(y);
        free(rest);
    }
}

/* ---------------------------------------------------------------------
 * Order and the IP engine
 * ------------------------------------------------------------------- */

Test(rules, each_rule_sees_the_previous_output)
{
    fixture f = make("version: 1\nrules:\n  custom:\n"
                     "    - {name: one, pattern: 'secret', action: replace, with: 'token'}\n"
                     "    - {name: two, pattern: 'token', action: replace, with: 'X'}\n");
    SCRUB_IS(f.w, "a secret b", "a X b");
    SCRUB_IS(f.w, "a token b", "a X b");
    done(&f);
    /* Reversed: the second rule's output is not seen by the first. */
    f = make("version: 1\nrules:\n  custom:\n"
             "    - {name: two, pattern: 'token', action: replace, with: 'X'}\n"
             "    - {name: one, pattern: 'secret', action: replace, with: 'token'}\n");
    SCRUB_IS(f.w, "a secret b", "a token b");
    done(&f);
}

Test(rules, ip_engine_runs_first)
{
    fixture f =
        make("version: 1\nrules:\n  custom:\n"
             "    - {name: full, pattern: '1\\.2\\.3\\.4', action: replace, with: '[full]'}\n"
             "    - {name: net, pattern: '1\\.2\\.3\\.0', action: replace, with: '[net]'}\n");
    SCRUB_IS(f.w, "from 1.2.3.4 to 1.2.3.99", "from [net] to [net]");
    cr_expect_eq(ls_worker_rule_hits(f.w, 0), 0);
    cr_expect_eq(ls_worker_rule_hits(f.w, 1), 2);
    ls_counters c;
    ls_worker_counters(f.w, &c);
    cr_expect_eq(c.ipv4, 2);
    done(&f);
}

Test(rules, many_matches_per_line)
{
    fixture f = make_rule("\\d", "      action: mask\n");
    SCRUB_IS(f.w, "a1b22c333", "a*b**c***");
    cr_expect_eq(ls_worker_rule_hits(f.w, 0), 6);
    done(&f);
    f = make_rule("x", "      action: replace\n      with: 'yy'\n");
    char in[1000], exp[2000];
    memset(in, 'x', sizeof in);
    memset(exp, 'y', sizeof exp);
    scrub_is(f.w, in, sizeof in, exp, sizeof exp);
    done(&f);
}

Test(rules, zero_length_matches_terminate, .timeout = 10)
{
    fixture f = make_rule("x*", "      action: replace\n      with: '-'\n");
    SCRUB_IS(f.w, "axxb", "-a--b-");
    SCRUB_IS(f.w, "", "-");
    done(&f);
    f = make_rule("\\b", "      action: replace\n      with: '|'\n");
    SCRUB_IS(f.w, "ab cd", "|ab| |cd|");
    done(&f);
    f = make_rule("(?=a)", "      action: mask\n");
    SCRUB_IS(f.w, "banana", "banana");
    done(&f);
    f = make_rule("", "      action: remove\n");
    SCRUB_IS(f.w, "abc", "abc");
    done(&f);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

Test(rules, catastrophic_backtracking_fails_closed, .timeout = 60)
{
    fixture f = make("version: 1\nrules:\n  custom:\n"
                     "    - {name: evil, pattern: '(a+)+$', action: mask}\n");
    /* Short lines hit the match limit, long ones the JIT stack too. */
    static const size_t lens[] = {20, 40, 5000, 100000};
    ls_counters c;
    for (size_t k = 0; k < N(lens); k++) {
        size_t n = lens[k];
        char *line = malloc(n + 1);
        memset(line, 'a', n);
        line[n] = 'b';
        const char *out = NULL;
        size_t out_len = 0;
        double t0 = now_s();
        ls_status st = ls_scrub(f.w, line, n + 1, &out, &out_len);
        double dt = now_s() - t0;
        cr_expect_eq(st, LS_OK);
        cr_expect(out_len == sizeof failed_marker - 1 && memcmp(out, failed_marker, out_len) == 0,
                  "length %zu: output \"%s\"", n, esc(out, out_len > 80 ? 80 : out_len));
        ls_worker_counters(f.w, &c);
        cr_expect_eq(c.fail_closed, k + 1);
        cr_expect_lt(dt, 5.0, "length %zu took %.2f s", n, dt);
        free(line);
    }
    /* The worker is fine afterwards. */
    SCRUB_IS(f.w, "bbb", "bbb");
    SCRUB_IS(f.w, "aaa", "***");
    ls_worker_counters(f.w, &c);
    cr_expect_eq(c.fail_closed, N(lens));
    done(&f);
}

Test(rules, rule_hits_per_rule)
{
    fixture f = make("version: 1\nrules:\n  custom:\n"
                     "    - {name: a, pattern: 'a=\\d', action: mask}\n"
                     "    - {name: b, pattern: 'b=\\d', action: mask, validator: luhn}\n"
                     "    - {name: c, pattern: 'c=\\d', action: remove}\n");
    SCRUB_IS(f.w, "a=1 a=2 b=3 c=4", "*** *** b=3 ");
    SCRUB_IS(f.w, "a=5", "***");
    cr_expect_eq(ls_worker_rule_hits(f.w, 0), 3);
    cr_expect_eq(ls_worker_rule_hits(f.w, 1), 0); /* rejected by the validator */
    cr_expect_eq(ls_worker_rule_hits(f.w, 2), 1);
    cr_expect_eq(ls_worker_rule_hits(f.w, 3), 0); /* out of range */
    done(&f);
}

/* ---------------------------------------------------------------------
 * Explain
 * ------------------------------------------------------------------- */

typedef struct seen {
    char rule[32];
    size_t start, end;
    bool rejected;
} seen;

typedef struct seen_log {
    seen s[16];
    size_t n;
} seen_log;

static void record(void *arg, const char *rule, size_t start, size_t end, bool rejected)
{
    seen_log *l = arg;
    if (l->n < N(l->s)) {
        snprintf(l->s[l->n].rule, sizeof l->s[0].rule, "%s", rule);
        l->s[l->n].start = start;
        l->s[l->n].end = end;
        l->s[l->n].rejected = rejected;
    }
    l->n++;
}

static void expect_seen(const seen_log *l, size_t i, const char *rule, size_t start, size_t end,
                        bool rejected)
{
    cr_assert_lt(i, l->n);
    cr_expect_str_eq(l->s[i].rule, rule, "event %zu", i);
    cr_expect_eq(l->s[i].start, start, "event %zu start %zu", i, l->s[i].start);
    cr_expect_eq(l->s[i].end, end, "event %zu end %zu", i, l->s[i].end);
    cr_expect_eq(l->s[i].rejected, rejected, "event %zu rejected", i);
}

Test(rules, explain_reports_rule_and_offsets)
{
    fixture f = make("version: 1\nrules:\n  custom:\n"
                     "    - {name: tok, pattern: 'tok=(?<v>\\w+)', action: replace, with: 'T'}\n"
                     "    - {name: card, pattern: '\\b\\d+\\b', action: mask, validator: luhn}\n");
    seen_log l = {0};
    ls_worker_set_explain(f.w, record, &l);
    /* 0         1         2         3         4         5
     * 0123456789012345678901234567890123456789012345678901 */
    SCRUB_IS(f.w, "tok=abcd 4111111111111112 4111111111111111 tok=x",
             "tok=T 4111111111111112 **************** tok=T");
    cr_expect_eq(l.n, 4);
    expect_seen(&l, 0, "tok", 4, 8, false);
    expect_seen(&l, 1, "tok", 47, 48, false);
    /* The card rule sees the output of tok: "tok=T 4111... 4111... tok=T". */
    expect_seen(&l, 2, "card", 6, 22, true);
    expect_seen(&l, 3, "card", 23, 39, false);

    /* Offsets are after the IP engine. */
    l.n = 0;
    ls_worker_set_explain(f.w, record, &l);
    SCRUB_IS(f.w, "10.20.30.40 tok=zz", "10.20.30.0 tok=T");
    cr_expect_geq(l.n, 1);
    expect_seen(&l, 0, "tok", 15, 17, false);
    /* card may or may not look at the short numbers: if it does, luhn
     * refuses each of them. */
    for (size_t k = 1; k < l.n && k < N(l.s); k++) {
        cr_expect_str_eq(l.s[k].rule, "card");
        cr_expect(l.s[k].rejected);
    }

    /* Turned off: no more calls. */
    ls_worker_set_explain(f.w, NULL, NULL);
    l.n = 0;
    SCRUB_IS(f.w, "tok=abcd", "tok=T");
    cr_expect_eq(l.n, 0);
    done(&f);
}

/* ---------------------------------------------------------------------
 * Examples
 * ------------------------------------------------------------------- */

struct reports {
    char msg[8][600];
    size_t n;
};

static void collect(void *arg, const char *message)
{
    reports *r = arg;
    if (r == NULL) {
        fprintf(stderr, "%s\n", message);
        return;
    }
    if (r->n < N(r->msg))
        snprintf(r->msg[r->n], sizeof r->msg[0], "%s", message);
    r->n++;
}

Test(rules, check_examples_pass_and_fail)
{
    ls_policy *p = policy_from("version: 1\n"                                  /* 1 */
                               "rules:\n"                                      /* 2 */
                               "  custom:\n"                                   /* 3 */
                               "    - name: tok\n"                             /* 4 */
                               "      pattern: 'tok-\\d+'\n"                   /* 5 */
                               "      action: replace\n"                       /* 6 */
                               "      with: '[tok]'\n"                         /* 7 */
                               "      examples:\n"                             /* 8 */
                               "        - in: 'a tok-1 b'\n"                   /* 9 */
                               "          out: 'a [tok] b'\n"                  /* 10 */
                               "        - in: 'tok-2'\n"                       /* 11 */
                               "          out: 'tok-2'\n"                      /* 12 */
                               "        - {in: 'no match', out: 'no match'}\n" /* 13 */
                               "        - {in: 'x tok-3', out: 'x [TOK]'}\n"   /* 14 */
                               "    - name: debug\n"                           /* 15 */
                               "      pattern: DEBUG\n"                        /* 16 */
                               "      action: drop-line\n"                     /* 17 */
                               "      examples:\n"                             /* 18 */
                               "        - {in: 'a DEBUG b', out: ''}\n"        /* 19 */
                               "        - {in: 'a INFO b', out: ''}\n"         /* 20 */
                               "    - name: none\n"                            /* 21 */
                               "      pattern: none\n"                         /* 22 */
                               "      action: mask\n");                        /* 23 */
    reports r = {0};
    size_t total = 0;
    size_t failed = ls_policy_check_examples(p, collect, &r, &total);
    cr_expect_eq(total, 6);
    cr_expect_eq(failed, 3);
    cr_assert_eq(r.n, 3);
    cr_expect_str_eq(r.msg[0],
                     "t.yaml:11:11: rule tok example 2: expected \"tok-2\", got \"[tok]\"");
    cr_expect_str_eq(r.msg[1],
                     "t.yaml:14:11: rule tok example 4: expected \"x [TOK]\", got \"x [tok]\"");
    cr_expect_str_eq(r.msg[2],
                     "t.yaml:20:11: rule debug example 2: expected \"\", got \"a INFO b\"");
    ls_policy_free(p);
}

Test(rules, check_examples_all_pass)
{
    ls_policy *p = policy_from("version: 1\nrules:\n  custom:\n"
                               "    - name: pin\n      pattern: 'pin=(?<v>\\d+)'\n"
                               "      action: keep-last\n      keep: 1\n      examples:\n"
                               "        - {in: 'pin=1234', out: 'pin=***4'}\n"
                               "        - {in: 'pin=', out: 'pin='}\n"
                               "        - {in: \"pin=1\\tpin=22\", out: \"pin=1\\tpin=*2\"}\n");
    reports r = {0};
    size_t total = 0;
    cr_expect_eq(ls_policy_check_examples(p, collect, &r, &total), 0);
    cr_expect_eq(total, 3);
    cr_expect_eq(r.n, 0, "first report: %s", r.msg[0]);
    ls_policy_free(p);
}

/* Control bytes in examples are shown escaped. */
Test(rules, check_examples_escapes_control_bytes)
{
    ls_policy *p = policy_from("version: 1\nrules:\n  custom:\n"
                               "    - name: t\n      pattern: 'a'\n      action: mask\n"
                               "      examples:\n"
                               "        - {in: \"a\\tb\", out: \"a\\tb\"}\n");
    reports r = {0};
    size_t total = 0;
    cr_expect_eq(ls_policy_check_examples(p, collect, &r, &total), 1);
    cr_expect_eq(total, 1);
    cr_expect_str_eq(r.msg[0],
                     "t.yaml:8:11: rule t example 1: expected \"a\\x09b\", got \"*\\x09b\"");
    ls_policy_free(p);
}

/* logscrub.h: pseudonym examples run with a fixed all-zero test key. */
Test(rules, check_examples_pseudonym_uses_zero_key)
{
    cr_assert_geq(sodium_init(), 0);
    unsigned char key[crypto_generichash_KEYBYTES] = {0}, h[crypto_generichash_BYTES_MIN];
    crypto_generichash(h, sizeof h, (const unsigned char *)"alice", 5, key, sizeof key);
    char tok[17];
    for (size_t i = 0; i < 8; i++)
        snprintf(tok + 2 * i, 3, "%02x", h[i]);
    char *y = fmt("version: 1\npseudonym:\n  key_file: /nonexistent/key\nrules:\n  custom:\n"
                  "    - name: user\n      pattern: 'user=(?<v>\\w+)'\n      action: pseudonym\n"
                  "      examples:\n        - {in: 'user=alice', out: 'user=user:%s'}\n"
                  "        - {in: 'nobody', out: 'nobody'}\n",
                  tok);
    ls_policy *p = policy_from(y);
    reports r = {0};
    size_t total = 0;
    cr_expect_eq(ls_policy_check_examples(p, collect, &r, &total), 0, "first report: %s", r.msg[0]);
    cr_expect_eq(total, 2);
    ls_policy_free(p);
    free(y);
}

/* ---------------------------------------------------------------------
 * Pseudonym action
 * ------------------------------------------------------------------- */

static bool is_hex16(const char *s, size_t n)
{
    if (n != 16)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

Test(rules, pseudonym_tokens_are_stable_per_key)
{
    char dir[] = "/tmp/ls-test-rules-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char *y = fmt("version: 1\npseudonym:\n  key_file: '%s/key'\nrules:\n  custom:\n"
                  "    - {name: user, pattern: 'user=(?<v>\\w+)', action: pseudonym}\n",
                  dir);
    ls_policy *p = policy_from(y);
    cr_assert_eq(ls_policy_open_key(p, (uint64_t)time(NULL)), LS_OK, "%s", ls_policy_error(p));
    ls_worker *w = ls_worker_new(p);
    const char *out;
    size_t len;
    char a1[64], a2[64], b[64];
    cr_assert_eq(ls_scrub(w, LIT("user=alice x"), &out, &len), LS_OK);
    cr_assert(len == 5 + 5 + 16 + 2 && memcmp(out, "user=user:", 10) == 0 &&
                  is_hex16(out + 10, 16) && memcmp(out + 26, " x", 2) == 0,
              "output \"%s\"", esc(out, len));
    memcpy(a1, out + 10, 16);
    cr_assert_eq(ls_scrub(w, LIT("user=alice"), &out, &len), LS_OK);
    memcpy(a2, out + 10, 16);
    cr_assert_eq(ls_scrub(w, LIT("user=bob"), &out, &len), LS_OK);
    memcpy(b, out + 10, 16);
    cr_expect_eq(memcmp(a1, a2, 16), 0);
    cr_expect_neq(memcmp(a1, b, 16), 0);
    ls_worker_free(w);
    ls_policy_free(p);
    char *k = fmt("%s/key", dir);
    unlink(k);
    rmdir(dir);
    free(k);
    free(y);
}

/* Without ls_policy_open_key a pseudonym rule cannot work: fail closed. */
Test(rules, pseudonym_without_open_key_fails_closed)
{
    ls_policy *p = policy_from("version: 1\npseudonym:\n  key_file: /nonexistent/key\n"
                               "rules:\n  custom:\n"
                               "    - {name: user, pattern: 'user=\\w+', action: pseudonym}\n");
    ls_worker *w = ls_worker_new(p);
    const char *out;
    size_t len;
    cr_expect_eq(ls_scrub(w, LIT("user=alice"), &out, &len), LS_OK);
    cr_expect(len == sizeof failed_marker - 1 && memcmp(out, failed_marker, len) == 0,
              "output \"%s\"", esc(out, len));
    ls_counters c;
    ls_worker_counters(w, &c);
    cr_expect_eq(c.fail_closed, 1);
    ls_worker_free(w);
    ls_policy_free(p);
}

/* ---------------------------------------------------------------------
 * Bytes
 * ------------------------------------------------------------------- */

Test(rules, lines_with_nul_bytes)
{
    fixture f = make_rule("secret=\\w+", "      action: mask\n");
    SCRUB_IS(f.w, "a\0secret=ab\0c", "a\0*********\0c");
    SCRUB_IS(f.w, "\0\0\0", "\0\0\0");
    done(&f);
    /* . matches a NUL byte; the match runs past it. */
    f = make_rule("k=.{3}", "      action: mask\n");
    SCRUB_IS(f.w, "k=a\0b!", "*****!");
    done(&f);
}

Test(rules, pattern_matching_a_nul_byte)
{
    fixture f = make_rule("k\\x00v", "      action: replace\n      with: '[kv]'\n");
    SCRUB_IS(f.w, "a k\0v b", "a [kv] b");
    done(&f);
    f = make_rule("k\\0v", "      action: replace\n      with: '[kv]'\n");
    SCRUB_IS(f.w, "a k\0v b", "a [kv] b");
    done(&f);
}

Test(rules, invalid_utf8_runs_in_byte_mode)
{
    fixture f = make_rule("x.y", "      action: mask\n");
    SCRUB_IS(f.w, "x\xffy z\xc3", "*** z\xc3");
    SCRUB_IS(f.w, "x\xc3\xa9y", "x\xc3\xa9y"); /* two bytes, not one character */
    done(&f);
    f = make_rule("[\\x80-\\xff]+", "      action: replace\n      with: '?'\n");
    SCRUB_IS(f.w,
             "a\xc3\xa9"
             "b\xff\xfe"
             "c\xed\xa0\x80",
             "a?b?c?");
    done(&f);
    f = make_rule("name=(?<v>\\S+)", "      action: mask\n");
    SCRUB_IS(f.w, "name=J\xc3\xbcrgen\xff end", "name=******** end");
    done(&f);
}

/* ---------------------------------------------------------------------
 * Decoded queries: the rules once more over the percent-decoded view of
 * a URL query or key=value token, and the rewrite written back encoded
 * (src/common/query.h, rules_apply_queries)
 * ------------------------------------------------------------------- */

/* A word rule whose boundary reads "%20tok" as one word. */
#define TOK_RULE "(?<![A-Za-z0-9])tok-\\d+(?![A-Za-z0-9])"

Test(rules, query_escapes_are_boundaries)
{
    fixture f = make_rule(TOK_RULE, "      action: replace\n      with: '[tok]'\n");
    SCRUB_IS(f.w, "GET /p?q=a%20tok-123%20b HTTP/1.1", "GET /p?q=a%20[tok]%20b HTTP/1.1");
    SCRUB_IS(f.w, "GET /p?q=x%3Dtok-1%2Ctok-2%22 HTTP/1.1", "GET /p?q=x%3D[tok]%2C[tok]%22 HTTP/1.1");
    /* Form style: '+' is a space in the query. */
    SCRUB_IS(f.w, "GET /p?q=a+tok-123+b HTTP/1.1", "GET /p?q=a+[tok]+b HTTP/1.1");
    /* A referrer, a JSON string, a key=value run with an escape. */
    SCRUB_IS(f.w, "\"-\" \"https://r.example/s?q=a%20tok-7\" \"UA\"",
             "\"-\" \"https://r.example/s?q=a%20[tok]\" \"UA\"");
    SCRUB_IS(f.w, "{\"url\":\"/cb?q=a%20tok-7&n=1\",\"n\":2}",
             "{\"url\":\"/cb?q=a%20[tok]&n=1\",\"n\":2}");
    SCRUB_IS(f.w, "msg=see%20tok-9 other", "msg=see%20[tok] other");
    /* Twice encoded, three times. */
    SCRUB_IS(f.w, "GET /p?q=a%2520tok-1%252520b", "GET /p?q=a%2520[tok]%252520b");
    /* An escape of a letter is a letter: no boundary. */
    SCRUB_IS(f.w, "GET /p?q=%41tok-1", "GET /p?q=%41tok-1");
    /* Not decoded: a path without query or '='. */
    SCRUB_IS(f.w, "GET /files/a%20tok-1 HTTP/1.1", "GET /files/a%20tok-1 HTTP/1.1");
    done(&f);
}

Test(rules, query_rewrites_keep_the_encoding)
{
    /* mask: new bytes for the whole span, escapes included. */
    fixture f = make_rule("secret=(?<v>\\w+)", "      action: mask\n");
    SCRUB_IS(f.w, "/p?x=secret%3Dab%63%26y=1", "/p?x=secret%3D***%26y=1");
    done(&f);

    /* keep-last: kept bytes are copied, so they keep their spelling. */
    f = make_rule("(?<![0-9])\\d{4}(?: \\d{4}){3}(?![0-9])",
                  "      action: keep-last\n      keep: 4\n");
    SCRUB_IS(f.w, "/p?c=4111+1111+1111+1111&d=1", "/p?c=****+****+****+1111&d=1");
    SCRUB_IS(f.w, "/p?c=4111%201111%201111%2011%311", "/p?c=****%20****%20****%2011%311");
    done(&f);

    /* remove: the encoded bytes of the span go. */
    f = make_rule("&sid=\\w+", "      action: remove\n");
    SCRUB_IS(f.w, "/p?a=1%26sid%3Dabc%26b=2 x", "/p?a=1%26b=2 x");
    done(&f);

    /* replace: readable, but what would change the URL is escaped; the
     * same replacement outside a token is written as it is. */
    f = make_rule(TOK_RULE, "      action: replace\n      with: '[a b&c]'\n");
    SCRUB_IS(f.w, "tok-1 /p?q=%20tok-2", "[a b&c] /p?q=%20[a%20b%26c]");
    done(&f);
}

Test(rules, query_drop_line_and_fail_closed)
{
    fixture f = make_rule("DROPME", "      action: drop-line\n");
    const char *out;
    size_t out_len;
    cr_expect_eq(ls_scrub(f.w, LIT("GET /p?q=DROP%4DE HTTP/1.1"), &out, &out_len), LS_DROPPED);
    SCRUB_IS(f.w, "GET /p?q=DROP%4D HTTP/1.1", "GET /p?q=DROP%4D HTTP/1.1");
    done(&f);

    /* A match limit hit on the decoded view fails the line closed. */
    f = make("version: 1\nrules:\n  custom:\n"
             "    - {name: evil, pattern: '(a+)+$', action: mask}\n");
    char line[256] = "GET /p?q=";
    for (int k = 0; k < 40; k++)
        strcat(line, "%61");
    strcat(line, "b");
    scrub_is(f.w, line, strlen(line), failed_marker, sizeof failed_marker - 1);
    ls_counters c;
    ls_worker_counters(f.w, &c);
    cr_expect_eq(c.fail_closed, 1);
    done(&f);
}

Test(rules, query_view_sees_the_line_before_the_token)
{
    /* The lookbehind sees "GET " in the line, as it does in the first
     * pass: the request path is not taken for a directory. */
    fixture f = make_rule("(?<!GET )/u/(?<v>\\w+)", "      action: replace\n      with: '[u]'\n");
    SCRUB_IS(f.w, "GET /u/bob?x=%20 1", "GET /u/bob?x=%20 1");
    SCRUB_IS(f.w, "see /u/bob?x=%20 1", "see /u/[u]?x=%20 1");
    SCRUB_IS(f.w, "GET /p?next=%2Fu%2Fbob", "GET /p?next=%2Fu%2F[u]");
    done(&f);
}

Test(rules, query_explain_offsets_are_encoded_bytes)
{
    fixture f = make_rule(TOK_RULE, "      action: replace\n      with: 'T'\n");
    seen_log l = {0};
    ls_worker_set_explain(f.w, record, &l);
    /* 0         1         2
     * 0123456789012345678901234567 */
    SCRUB_IS(f.w, "GET /p?q=a%20tok-12 HTTP/1.1", "GET /p?q=a%20T HTTP/1.1");
    cr_expect_eq(l.n, 1);
    expect_seen(&l, 0, "r", 13, 19, false);
    /* Twice encoded: the span covers the escapes. */
    l.n = 0;
    SCRUB_IS(f.w, "/p?q=%2574ok-1", "/p?q=T");
    cr_expect_eq(l.n, 1);
    expect_seen(&l, 0, "r", 5, 14, false);
    done(&f);
}

Test(rules, query_other_bytes_stay)
{
    /* CR, NUL and invalid UTF-8 around a rewritten token survive. */
    fixture f = make_rule(TOK_RULE, "      action: replace\n      with: '[tok]'\n");
    SCRUB_IS(f.w, "\xff\0 /p?q=%20tok-1\xfe \"x\"\r", "\xff\0 /p?q=%20[tok]\xfe \"x\"\r");
    SCRUB_IS(f.w, "a=%20tok-1 b=%20tok-2 c=%20tok-3", "a=%20[tok] b=%20[tok] c=%20[tok]");
    cr_expect_eq(ls_worker_rule_hits(f.w, 0), 4);
    done(&f);
}

Test(rules, query_check_examples_see_the_decoded_pass)
{
    /* An example is run as the filter runs its rule: over the line as
     * written, then over its decoded query strings. */
    ls_policy *p = policy_from("version: 1\nrules:\n  custom:\n"
                               "    - name: tok\n      pattern: '(?<![A-Za-z0-9])tok-\\d+'\n"
                               "      action: replace\n      with: '[tok]'\n      examples:\n"
                               "        - {in: 'GET /p?q=a%20tok-1', out: 'GET /p?q=a%20[tok]'}\n"
                               "        - {in: 'GET /p?q=a+tok-2', out: 'GET /p?q=a+[tok]'}\n"
                               "        - {in: 'GET /p/a%20tok-3', out: 'GET /p/a%20tok-3'}\n");
    reports r = {0};
    size_t total = 0;
    cr_expect_eq(ls_policy_check_examples(p, collect, &r, &total), 0);
    cr_expect_eq(total, 3);
    cr_expect_eq(r.n, 0, "first report: %s", r.msg[0]);
    ls_policy_free(p);
}

Test(rules, query_view_start_is_no_match_end)
{
    /* "\G" continues a list after a match; at the start of a decoded token
     * no match has ended, so a rule with one does not continue there. */
    fixture f = make_rule("(?:x=|\\G(?!^),)(?<v>\\d+)", "      action: replace\n      with: 'N'\n");
    SCRUB_IS(f.w, "x=1,2,3", "x=N,N,N");
    SCRUB_IS(f.w, "a ,5%20=x", "a ,5%20=x");
    SCRUB_IS(f.w, "a /p?x=1,2%20", "a /p?x=N,N%20");
    SCRUB_IS(f.w, "a /p?q=%78=1,2", "a /p?q=%78=N,N");
    done(&f);
}
