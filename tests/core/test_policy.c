/* test_policy.c -- Criterion tests for loading a policy (src/policy.c):
 * every schema error is reported once with its exact message and 1-based
 * "FILE:LINE:COL", rule packs named by path (errors inside a pack name the
 * pack file), rule order, disable, and ls_policy_needs_key.
 *
 * The shipped packs (rules/NAME.yaml) are not relied on: packs used here are
 * written to a temporary directory and named by absolute path.  Each table
 * of cases is looped over inside one Test (Criterion 2.4.1 parameterized
 * tests and `const char *` members do not mix, see STYLE.md).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logscrub.h"

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------- */

/* One error case: a policy text and the exact message it must produce. */
typedef struct err_case {
    const char *yaml;
    const char *msg;
} err_case;

/* Loads text as "t.yaml" into a fresh policy; *rc gets the status.  The
 * caller frees the policy. */
static ls_policy *load(const char *text, ls_status *rc)
{
    ls_policy *p = ls_policy_new();
    cr_assert_not_null(p);
    *rc = ls_policy_load_buffer(p, "t.yaml", text, strlen(text));
    return p;
}

/* Expects text to fail with LS_ERR_CONFIG and exactly msg. */
static void expect_error(const char *text, const char *msg)
{
    ls_status rc;
    ls_policy *p = load(text, &rc);
    cr_expect_eq(rc, LS_ERR_CONFIG, "status %d for:\n%s", (int)rc, text);
    cr_expect_str_eq(ls_policy_error(p), msg, "for:\n%s\nexpected: %s\nactual:   %s", text, msg,
                     ls_policy_error(p));
    ls_policy_free(p);
}

static void expect_errors(const err_case *c, size_t n)
{
    for (size_t k = 0; k < n; k++)
        expect_error(c[k].yaml, c[k].msg);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Expects text to load; returns the policy (caller frees). */
static ls_policy *load_ok(const char *text)
{
    ls_status rc;
    ls_policy *p = load(text, &rc);
    cr_assert_eq(rc, LS_OK, "status %d, error \"%s\" for:\n%s", (int)rc, ls_policy_error(p), text);
    cr_assert_str_eq(ls_policy_error(p), "");
    return p;
}

/* printf into a malloc'd string. */
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

/* Temporary directory for pack files, made per test and removed after. */
static char tmpdir[64];

static void tmp_setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ls-test-policy-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp: %s", strerror(errno));
}

static void tmp_teardown(void)
{
    char *cmd = fmt("rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", tmpdir);
    free(cmd);
}

/* Writes text to tmpdir/name and returns the absolute path (malloc'd). */
static char *write_pack(const char *name, const char *text)
{
    char *path = fmt("%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
    return path;
}

/* Asserts the policy's rule names are exactly names[0, n), in order. */
static void expect_rule_names(const ls_policy *p, const char *const *names, size_t n)
{
    cr_expect_eq(ls_policy_rule_count(p), n, "rule count %zu, expected %zu",
                 ls_policy_rule_count(p), n);
    for (size_t k = 0; k < n && k < ls_policy_rule_count(p); k++)
        cr_expect_str_eq(ls_policy_rule_name(p, k), names[k], "rule %zu", k);
    cr_expect_null(ls_policy_rule_name(p, ls_policy_rule_count(p)));
}

/* A pack with the given rule names (mask rules matching the name). */
static const char pack_a[] = "version: 1\n"
                             "pack: a\n"
                             "description: 'pack a'\n"
                             "rules:\n"
                             "  - name: a1\n"
                             "    pattern: 'a1=\\w+'\n"
                             "    action: mask\n"
                             "  - name: a2\n"
                             "    pattern: 'a2=\\w+'\n"
                             "    action: mask\n";
static const char pack_b[] = "version: 1\n"
                             "pack: b\n"
                             "rules:\n"
                             "  - name: b1\n"
                             "    pattern: 'b1=\\w+'\n"
                             "    action: replace\n"
                             "    with: '[b1]'\n";

/* Scrubs a NUL-free line and returns a malloc'd copy of the output. */
static char *scrub_str(ls_worker *w, const char *in)
{
    const char *out;
    size_t out_len;
    ls_status st = ls_scrub(w, in, strlen(in), &out, &out_len);
    cr_assert_eq(st, LS_OK);
    return strndup(out, out_len);
}

/* ---------------------------------------------------------------------
 * Document level
 * ------------------------------------------------------------------- */

Test(policy, yaml_syntax_error_has_position)
{
    static const err_case c[] = {
        {"version: 1\nip: [a\n",
         "t.yaml:3:1: did not find expected ',' or ']' while parsing a flow sequence"},
        {"version: 1\nip:\n\tipv4_prefix: 24\n",
         "t.yaml:3:1: found character that cannot start any token while scanning for the "
         "next token"},
    };
    expect_errors(c, N(c));
}

Test(policy, empty_file)
{
    static const err_case c[] = {
        {"", "t.yaml:1:1: the file is empty"},
        {"# only a comment\n", "t.yaml:1:1: the file is empty"},
    };
    expect_errors(c, N(c));
}

Test(policy, two_documents)
{
    expect_error("version: 1\n---\nversion: 1\n", "t.yaml:3:1: only one YAML document is allowed");
}

/* A second document that does not even parse must not be ignored. */
Test(policy, broken_second_document_is_an_error)
{
    ls_status rc;
    ls_policy *p = load("version: 1\n---\n[unclosed\n", &rc);
    cr_expect_eq(rc, LS_ERR_CONFIG, "status %d (error \"%s\")", (int)rc, ls_policy_error(p));
    cr_expect_eq(strncmp(ls_policy_error(p), "t.yaml:", 7), 0, "error \"%s\"", ls_policy_error(p));
    ls_policy_free(p);
}

Test(policy, root_must_be_a_mapping)
{
    static const err_case c[] = {
        {"- a\n", "t.yaml:1:1: policy: expected a mapping, found a list"},
        {"hello\n", "t.yaml:1:1: policy: expected a mapping, found a scalar"},
    };
    expect_errors(c, N(c));
}

/* n copies of unit followed by tail, in a malloc'd string. */
static char *repeat(const char *unit, size_t n, const char *tail)
{
    size_t u = strlen(unit), t = strlen(tail);
    char *s = malloc(u * n + t + 1);
    cr_assert_not_null(s);
    for (size_t k = 0; k < n; k++)
        memcpy(s + k * u, unit, u);
    memcpy(s + u * n, tail, t + 1);
    return s;
}

/* Nesting is bounded at 64 levels, in every YAML style, and the bound is
 * found before libyaml's scanner slows down: 100000 "[" used to take time
 * growing with the square of the depth (over 30 s for 200 KB). */
Test(policy, nesting_depth_is_bounded, .timeout = 10)
{
    char *y = repeat("[", 100000, "");
    expect_error(y, "t.yaml:1:65: nesting deeper than 64 levels");
    free(y);

    /* 64 levels pass the bound (and fail the schema); 65 do not. */
    char *open64 = repeat("[", 64, ""), *close64 = repeat("]", 64, "\n");
    y = fmt("%s%s", open64, close64);
    expect_error(y, "t.yaml:1:1: policy: expected a mapping, found a list");
    free(y);
    y = fmt("[%s%s]", open64, close64);
    expect_error(y, "t.yaml:1:65: nesting deeper than 64 levels");
    free(y);
    free(open64);
    free(close64);

    /* Block lists, flow mappings, block mappings by indentation: the place
     * is where the 65th collection starts. */
    y = repeat("- ", 100000, "x\n");
    expect_error(y, "t.yaml:1:129: nesting deeper than 64 levels");
    free(y);
    y = repeat("{a: ", 100000, "\n");
    expect_error(y, "t.yaml:1:257: nesting deeper than 64 levels");
    free(y);
    char *text = strdup("version: 1\nip:\n");
    cr_assert_not_null(text);
    for (int k = 0; k < 70; k++) {
        char *more = fmt("%s%*sa%d:\n", text, k + 1, "", k);
        free(text);
        text = more;
    }
    expect_error(text, "t.yaml:66:65: nesting deeper than 64 levels");
    free(text);
}

Test(policy, version)
{
    static const err_case c[] = {
        {"ip: {}\n", "t.yaml:1:1: version: missing (this format is version 1)"},
        {"version: 2\n", "t.yaml:1:10: version: this logscrub reads version 1 only"},
        {"version: '1'\n", "t.yaml:1:10: version: this logscrub reads version 1 only"},
        {"version: 1.0\n", "t.yaml:1:10: version: this logscrub reads version 1 only"},
        {"version: [1]\n", "t.yaml:1:10: version: this logscrub reads version 1 only"},
    };
    expect_errors(c, N(c));
}

Test(policy, minimal_policy_loads)
{
    ls_policy *p = load_ok("version: 1\n");
    cr_expect_eq(ls_policy_rule_count(p), 0);
    cr_expect_not(ls_policy_needs_key(p));
    ls_policy_free(p);
}

/* ---------------------------------------------------------------------
 * Unknown and duplicate keys
 * ------------------------------------------------------------------- */

Test(policy, unknown_top_level_key)
{
    static const err_case c[] = {
        {"version: 1\nfoo: 1\n", "t.yaml:2:1: policy: unknown key \"foo\""},
        {"version: 1\nRules: {}\n", "t.yaml:2:1: policy: unknown key \"Rules\""},
        {"? [a]\n: 1\n", "t.yaml:1:3: policy: keys must be plain names"},
    };
    expect_errors(c, N(c));
}

Test(policy, unknown_nested_keys)
{
    static const err_case c[] = {
        {"version: 1\nip:\n  ipv4: 24\n", "t.yaml:3:3: ip: unknown key \"ipv4\""},
        {"version: 1\npseudonym:\n  keyfile: /k\n",
         "t.yaml:3:3: pseudonym: unknown key \"keyfile\""},
        {"version: 1\ntime:\n  zone: utc\n", "t.yaml:3:3: time: unknown key \"zone\""},
        {"version: 1\nrules:\n  enable: []\n", "t.yaml:3:3: rules: unknown key \"enable\""},
        {"version: 1\nabuse:\n  detector: []\n", "t.yaml:3:3: abuse: unknown key \"detector\""},
        {"version: 1\nabuse:\n  retain:\n    forever: 1d\n",
         "t.yaml:4:5: abuse.retain: unknown key \"forever\""},
        {"version: 1\nrules:\n  custom:\n    - name: a\n      pattern: a\n      action: mask\n"
         "      colour: red\n",
         "t.yaml:7:7: rule: unknown key \"colour\""},
        {"version: 1\nrules:\n  custom:\n    - name: a\n      pattern: a\n      action: mask\n"
         "      examples:\n        - in: a\n          out: '*'\n          note: x\n",
         "t.yaml:10:11: example: unknown key \"note\""},
    };
    expect_errors(c, N(c));
}

Test(policy, duplicate_keys)
{
    static const err_case c[] = {
        {"version: 1\nversion: 1\n", "t.yaml:2:1: policy: duplicate key \"version\""},
        {"version: 1\nip:\n  ipv4_prefix: 8\n  ipv4_prefix: 16\n",
         "t.yaml:4:3: ip: duplicate key \"ipv4_prefix\""},
        {"version: 1\nrules:\n  custom:\n    - name: a\n      pattern: a\n      action: mask\n"
         "      name: b\n",
         "t.yaml:7:7: rule: duplicate key \"name\""},
        {"version: 1\nabuse: {retain: {max: 1d, max: 2d}}\n",
         "t.yaml:2:27: abuse.retain: duplicate key \"max\""},
    };
    expect_errors(c, N(c));
}

/* ---------------------------------------------------------------------
 * Types and values
 * ------------------------------------------------------------------- */

Test(policy, wrong_types)
{
    static const err_case c[] = {
        {"version: 1\nip: [1]\n", "t.yaml:2:5: ip: expected a mapping, found a list"},
        {"version: 1\nip: 24\n", "t.yaml:2:5: ip: expected a mapping, found a scalar"},
        {"version: 1\nip:\n  method: {a: b}\n",
         "t.yaml:3:11: ip.method: expected a value, found a mapping"},
        {"version: 1\nip:\n  ipv4_prefix: [24]\n",
         "t.yaml:3:16: ip.ipv4_prefix: expected a value, found a list"},
        {"version: 1\nrules:\n  use: pii\n",
         "t.yaml:3:8: rules.use: expected a list, found a scalar"},
        {"version: 1\nrules:\n  custom: {name: a}\n",
         "t.yaml:3:11: rules.custom: expected a list, found a mapping"},
        {"version: 1\nrules:\n  custom: [a]\n",
         "t.yaml:3:12: rule: expected a mapping, found a scalar"},
        {"version: 1\nrules:\n  custom:\n    - name: a\n      pattern: [a]\n      action: mask\n",
         "t.yaml:5:16: pattern: expected a value, found a list"},
        {"version: 1\nrules:\n  custom:\n    - name: a\n      pattern: a\n      action: mask\n"
         "      examples: {in: a}\n",
         "t.yaml:7:17: examples: expected a list, found a mapping"},
        {"version: 1\nrules:\n  custom:\n    - name: a\n      pattern: a\n      action: mask\n"
         "      examples: [x]\n",
         "t.yaml:7:18: example: expected a mapping, found a scalar"},
        {"version: 1\nrules:\n  custom:\n    - name: a\n      pattern: a\n      action: mask\n"
         "      examples:\n        - in: a\n",
         "t.yaml:8:11: example: needs both in and out"},
        {"version: 1\nabuse:\n  detectors: {a: 1}\n",
         "t.yaml:3:14: abuse.detectors: expected a list, found a mapping"},
        {"version: 1\nabuse:\n  allow: 10.0.0.0/8\n",
         "t.yaml:3:10: abuse.allow: expected a list, found a scalar"},
        {"version: 1\nrules:\n  disable: x\n",
         "t.yaml:3:12: rules.disable: expected a list, found a scalar"},
    };
    expect_errors(c, N(c));
}

Test(policy, prefixes)
{
    static const err_case c[] = {
        {"version: 1\nip:\n  ipv4_prefix: 33\n",
         "t.yaml:3:16: ip.ipv4_prefix: expected a number from 0 to 32"},
        {"version: 1\nip:\n  ipv4_prefix: \"24\"\n",
         "t.yaml:3:16: ip.ipv4_prefix: expected a number from 0 to 32"},
        {"version: 1\nip:\n  ipv4_prefix: -1\n",
         "t.yaml:3:16: ip.ipv4_prefix: expected a number from 0 to 32"},
        {"version: 1\nip:\n  ipv4_prefix: 0x10\n",
         "t.yaml:3:16: ip.ipv4_prefix: expected a number from 0 to 32"},
        {"version: 1\nip:\n  ipv6_prefix: 129\n",
         "t.yaml:3:16: ip.ipv6_prefix: expected a number from 0 to 128"},
        {"version: 1\nip:\n  ipv6_prefix: 99999999999\n",
         "t.yaml:3:16: ip.ipv6_prefix: expected a number from 0 to 128"},
    };
    expect_errors(c, N(c));

    ls_policy *p = load_ok("version: 1\nip:\n  ipv4_prefix: 0\n  ipv6_prefix: 128\n");
    ls_policy_free(p);
    p = load_ok("version: 1\nip:\n  ipv4_prefix: 32\n  ipv6_prefix: 0\n");
    ls_policy_free(p);
}

/* The prefixes loaded are the ones ls_scrub applies. */
Test(policy, prefixes_take_effect)
{
    ls_policy *p = load_ok("version: 1\nip:\n  ipv4_prefix: 16\n  keep_private: true\n");
    ls_worker *w = ls_worker_new(p);
    cr_assert_not_null(w);
    char *o = scrub_str(w, "a 93.184.216.34 b 10.1.2.3");
    cr_expect_str_eq(o, "a 93.184.0.0 b 10.1.2.3");
    free(o);
    ls_worker_free(w);
    ls_policy_free(p);
}

Test(policy, choices_and_bools)
{
    static const err_case c[] = {
        {"version: 1\nip:\n  keep_private: yes\n",
         "t.yaml:3:17: ip.keep_private: expected true or false"},
        {"version: 1\nip:\n  keep_private: 1\n",
         "t.yaml:3:17: ip.keep_private: expected true or false"},
        {"version: 1\nip:\n  method: hash\n",
         "t.yaml:3:11: ip.method: expected one of truncate, pseudonym"},
        {"version: 1\ntime:\n  precision: day\n",
         "t.yaml:3:14: time.precision: expected one of second, minute, hour"},
        {"version: 1\nfields:\n  user_agent: hide\n",
         "t.yaml:3:15: fields.user_agent: expected one of keep, generalise, drop"},
        {"version: 1\nfields:\n  remote_user: pseudonym\n",
         "t.yaml:3:16: fields.remote_user: expected one of replace, keep"},
        {"version: 1\nfields:\n  referrer: none\n",
         "t.yaml:3:13: fields.referrer: expected one of keep, origin-only"},
        {"version: 1\nfields:\n  cookie: drop\n",
         "t.yaml:3:3: fields: unknown key \"cookie\""},
        {"version: 1\nabuse:\n  retain: {repeat: triple}\n",
         "t.yaml:3:20: abuse.retain.repeat: expected one of same, double"},
        {"version: 1\nrules:\n  custom:\n    - name: a\n      pattern: a\n      action: mask\n"
         "      ignore_case: 1\n",
         "t.yaml:7:20: ignore_case: expected true or false"},
    };
    expect_errors(c, N(c));
}

Test(policy, durations)
{
    static const char *const bad[] = {"0h", "10x", "1.5h", "''",         "h",
                                      "24", "-1h", "24 h", "1000000000s"};
    for (size_t k = 0; k < N(bad); k++) {
        char *y = fmt("version: 1\npseudonym:\n  rotate: %s\n", bad[k]);
        expect_error(y, "t.yaml:3:11: pseudonym.rotate: expected a duration such as 30s, 15m, "
                        "24h or 30d");
        free(y);
        y = fmt("version: 1\nabuse:\n  retain:\n    default: %s\n", bad[k]);
        expect_error(y, "t.yaml:4:14: abuse.retain.default: expected a duration such as 30s, "
                        "15m, 24h or 30d, or never");
        free(y);
    }
    static const char *const good[] = {"30s", "15m", "24h", "30d", "1s", "999999999d"};
    for (size_t k = 0; k < N(good); k++) {
        char *y = fmt("version: 1\npseudonym:\n  rotate: %s\nabuse:\n  retain: {default: %s, "
                      "max: %s}\n",
                      good[k], good[k], good[k]);
        ls_policy_free(load_ok(y));
        free(y);
    }
}

Test(policy, never_only_where_allowed)
{
    expect_error("version: 1\npseudonym:\n  rotate: never\n",
                 "t.yaml:3:11: pseudonym.rotate: expected a duration such as 30s, 15m, 24h or "
                 "30d");
    ls_policy_free(load_ok("version: 1\nabuse:\n  retain:\n    default: never\n"
                           "    flood: never\n    max: never\n    repeat: same\n"));
}

Test(policy, detectors)
{
    expect_error("version: 1\nabuse:\n  detectors: [probe, ddos]\n",
                 "t.yaml:3:22: abuse.detectors: expected one of bruteforce, probe, sensitive, "
                 "exploit, scanner, badreq, flood");
    expect_error("version: 1\nabuse:\n  detectors: [[probe]]\n",
                 "t.yaml:3:15: abuse.detectors: expected a value, found a list");
    ls_policy_free(load_ok("version: 1\nabuse:\n  detectors: []\n"));
}

Test(policy, cidrs)
{
    static const err_case c[] = {
        {"version: 1\nabuse:\n  allow: [1.2.3.4/33]\n",
         "t.yaml:3:11: abuse.allow: prefix length above 32"},
        {"version: 1\nabuse:\n  allow: ['2001:db8::/129']\n",
         "t.yaml:3:11: abuse.allow: prefix length above 128"},
        {"version: 1\nabuse:\n  allow: [garbage]\n",
         "t.yaml:3:11: abuse.allow: expected an address or network such as 192.0.2.0/24 or "
         "2001:db8::/32"},
        {"version: 1\nabuse:\n  allow: [1.2.3/8]\n",
         "t.yaml:3:11: abuse.allow: expected an address or network such as 192.0.2.0/24 or "
         "2001:db8::/32"},
        {"version: 1\nabuse:\n  allow: [1.2.3.4/]\n",
         "t.yaml:3:11: abuse.allow: bad prefix length"},
        {"version: 1\nabuse:\n  allow: [1.2.3.4/-1]\n",
         "t.yaml:3:11: abuse.allow: bad prefix length"},
        {"version: 1\nabuse:\n  allow: [1.2.3.4/0024]\n",
         "t.yaml:3:11: abuse.allow: bad prefix length"},
        {"version: 1\nabuse:\n  allow: [10.0.0.0/8, {a: b}]\n",
         "t.yaml:3:23: abuse.allow: expected a value, found a mapping"},
    };
    expect_errors(c, N(c));
    ls_policy_free(load_ok("version: 1\nabuse:\n  allow: [127.0.0.0/8, '::1/128', 192.0.2.1, "
                           "'2001:db8::', 0.0.0.0/0, '::/0']\n"));
}

/* ---------------------------------------------------------------------
 * Rules
 * ------------------------------------------------------------------- */

/* "version: 1 / rules: / custom:" then one rule whose mapping starts at
 * line 4, column 7. */
#define CUSTOM "version: 1\nrules:\n  custom:\n"

Test(policy, rule_needs_name_pattern_action)
{
    static const err_case c[] = {
        {CUSTOM "    - pattern: a\n      action: mask\n", "t.yaml:4:7: rule: needs a name"},
        {CUSTOM "    - name: a\n      action: mask\n", "t.yaml:4:7: rule: needs a pattern"},
        {CUSTOM "    - name: a\n      pattern: a\n", "t.yaml:4:7: rule: needs an action"},
        {CUSTOM "    - {}\n", "t.yaml:4:7: rule: needs a name"},
    };
    expect_errors(c, N(c));
}

Test(policy, rule_name_syntax)
{
    static const err_case c[] = {
        {CUSTOM "    - name: Email\n      pattern: a\n      action: mask\n",
         "t.yaml:4:13: rule name: use lower-case letters, digits and '-'"},
        {CUSTOM "    - name: my_rule\n      pattern: a\n      action: mask\n",
         "t.yaml:4:13: rule name: use lower-case letters, digits and '-'"},
        {CUSTOM "    - name: 'a b'\n      pattern: a\n      action: mask\n",
         "t.yaml:4:13: rule name: use lower-case letters, digits and '-'"},
        {CUSTOM "    - name: ''\n      pattern: a\n      action: mask\n",
         "t.yaml:4:13: rule name: must not be empty"},
        {CUSTOM "    - name: [a]\n      pattern: a\n      action: mask\n",
         "t.yaml:4:13: rule name: expected a value, found a list"},
    };
    expect_errors(c, N(c));
    ls_policy *p = load_ok(CUSTOM "    - name: card-2\n      pattern: a\n      action: mask\n");
    cr_expect_str_eq(ls_policy_rule_name(p, 0), "card-2");
    ls_policy_free(p);
}

Test(policy, duplicate_rule_names_name_first_place)
{
    expect_error(CUSTOM "    - name: a\n      pattern: a\n      action: mask\n"
                        "    - name: b\n      pattern: b\n      action: mask\n"
                        "    - name: a\n      pattern: c\n      action: mask\n",
                 "t.yaml:10:13: rule \"a\" is defined twice (first at t.yaml:4:7)");
}

Test(policy, bad_regex)
{
    static const err_case c[] = {
        {CUSTOM "    - name: a\n      pattern: 'ab(c'\n      action: mask\n",
         "t.yaml:5:16: rule \"a\": PCRE2 error at offset 4: missing closing parenthesis"},
        {CUSTOM "    - name: a\n      pattern: 'x{2,1}'\n      action: mask\n",
         "t.yaml:5:16: rule \"a\": PCRE2 error at offset 5: numbers out of order in {} "
         "quantifier"},
        {CUSTOM "    - name: a\n      pattern: '[z-a]'\n      action: mask\n",
         "t.yaml:5:16: rule \"a\": PCRE2 error at offset 3: range out of order in character "
         "class"},
    };
    expect_errors(c, N(c));
    /* \C is refused: it could split a character and is never needed. */
    ls_status rc;
    ls_policy *p = load(CUSTOM "    - name: a\n      pattern: 'a\\Cb'\n      action: mask\n", &rc);
    cr_expect_eq(rc, LS_ERR_CONFIG);
    cr_expect(strstr(ls_policy_error(p), "t.yaml:5:16: rule \"a\": PCRE2 error at offset ") ==
                  ls_policy_error(p),
              "error \"%s\"", ls_policy_error(p));
    ls_policy_free(p);
}

Test(policy, actions_and_their_keys)
{
    static const err_case c[] = {
        {CUSTOM "    - name: a\n      pattern: a\n      action: hash\n",
         "t.yaml:6:15: action: expected one of mask, replace, pseudonym, remove, drop-line, "
         "keep-last"},
        {CUSTOM "    - name: a\n      pattern: a\n      action: replace\n",
         "t.yaml:4:7: rule \"a\": action replace needs with"},
        {CUSTOM "    - name: a\n      pattern: a\n      action: mask\n      with: x\n",
         "t.yaml:7:13: with: only for action replace"},
        {CUSTOM "    - name: a\n      pattern: a\n      action: replace\n      with: [x]\n",
         "t.yaml:7:13: with: expected a value, found a list"},
        {CUSTOM "    - name: a\n      pattern: a\n      action: keep-last\n",
         "t.yaml:4:7: rule \"a\": action keep-last needs keep"},
        {CUSTOM "    - name: a\n      pattern: a\n      action: mask\n      keep: 4\n",
         "t.yaml:7:13: keep: only for action keep-last"},
        {CUSTOM "    - name: a\n      pattern: a\n      action: keep-last\n      keep: -1\n",
         "t.yaml:7:13: keep: expected a number from 0 to 1000"},
        {CUSTOM "    - name: a\n      pattern: a\n      action: keep-last\n      keep: 1001\n",
         "t.yaml:7:13: keep: expected a number from 0 to 1000"},
        {CUSTOM "    - name: a\n      pattern: a\n      action: mask\n      validator: md5\n",
         "t.yaml:7:18: validator: expected one of luhn, iban, steuer-id, ipv4, ipv6"},
        {CUSTOM "    - name: a\n      pattern: a\n      action: mask\n      validator: Luhn\n",
         "t.yaml:7:18: validator: expected one of luhn, iban, steuer-id, ipv4, ipv6"},
        {CUSTOM "    - name: a\n      pattern: a\n      action: mask\n      prefilter: {a: b}\n",
         "t.yaml:7:18: prefilter: expected a list, found a mapping"},
        {CUSTOM "    - name: a\n      pattern: a\n      action: mask\n      prefilter: []\n",
         "t.yaml:7:18: prefilter: the list must not be empty"},
        {CUSTOM "    - name: a\n      pattern: a\n      action: mask\n      prefilter: ''\n",
         "t.yaml:7:18: prefilter: must not be empty"},
        {CUSTOM "    - name: a\n      pattern: a\n      action: mask\n      prefilter: [a, [b]]\n",
         "t.yaml:7:22: prefilter: expected a value, found a list"},
        {CUSTOM "    - name: a\n      pattern: a\n      action: mask\n      prefilter: [a, '']\n",
         "t.yaml:7:22: prefilter: must not be empty"},
        {CUSTOM "    - name: a\n      pattern: a\n      action: mask\n      description: [a]\n",
         "t.yaml:7:20: description: expected a value, found a list"},
    };
    expect_errors(c, N(c));
    /* Every action and validator name is accepted. */
    static const char *const ok[] = {"action: mask",
                                     "action: replace\n      with: ''",
                                     "action: remove",
                                     "action: drop-line",
                                     "action: keep-last\n      keep: 0",
                                     "action: mask\n      validator: luhn",
                                     "action: mask\n      validator: iban",
                                     "action: mask\n      validator: steuer-id",
                                     "action: mask\n      validator: ipv4",
                                     "action: mask\n      validator: ipv6"};
    for (size_t k = 0; k < N(ok); k++) {
        char *y = fmt(CUSTOM "    - name: a\n      pattern: a\n      %s\n", ok[k]);
        ls_policy_free(load_ok(y));
        free(y);
    }
}

Test(policy, pseudonym_needs_key_file)
{
    expect_error("version: 1\nip:\n  method: pseudonym\n",
                 "t.yaml:3:3: ip.method pseudonym needs pseudonym.key_file");
    expect_error(CUSTOM "    - name: a\n      pattern: a\n      action: mask\n"
                        "    - name: user\n      pattern: 'u=\\w+'\n      action: pseudonym\n",
                 "t.yaml:7:7: rule \"user\": action pseudonym needs pseudonym.key_file");
}

Test(policy, needs_key)
{
    ls_policy *p = load_ok("version: 1\nip:\n  method: truncate\n"
                           "rules:\n  custom:\n"
                           "    - name: a\n      pattern: a\n      action: mask\n");
    cr_expect_not(ls_policy_needs_key(p));
    ls_policy_free(p);

    p = load_ok("version: 1\nip:\n  method: pseudonym\npseudonym:\n  key_file: /nonexistent/k\n");
    cr_expect(ls_policy_needs_key(p));
    ls_policy_free(p);

    p = load_ok("version: 1\npseudonym:\n  key_file: /nonexistent/k\n"
                "rules:\n  custom:\n"
                "    - name: user\n      pattern: 'u=\\w+'\n      action: pseudonym\n");
    cr_expect(ls_policy_needs_key(p));
    ls_policy_free(p);

    /* A key file alone does not create a need. */
    p = load_ok("version: 1\npseudonym:\n  key_file: /nonexistent/k\n  rotate: 1h\n");
    cr_expect_not(ls_policy_needs_key(p));
    cr_expect_eq(ls_policy_open_key(p, 1700000000u), LS_OK); /* a no-op */
    ls_policy_free(p);
}

Test(policy, open_key_reports_unusable_key_file)
{
    ls_policy *p = load_ok("version: 1\nip:\n  method: pseudonym\npseudonym:\n"
                           "  key_file: /nonexistent-dir/k\n");
    cr_expect_eq(ls_policy_open_key(p, 1700000000u), LS_ERR_KEY);
    cr_expect(strstr(ls_policy_error(p), "/nonexistent-dir/k") != NULL, "error \"%s\"",
              ls_policy_error(p));
    ls_policy_free(p);
}

/* ---------------------------------------------------------------------
 * Rule packs
 * ------------------------------------------------------------------- */

Test(policy, unknown_builtin_pack)
{
    expect_error("version: 1\nrules:\n  use: [nosuchpack]\n",
                 "t.yaml:3:9: rules.use: no built-in rule pack \"nosuchpack\"");
    /* "default" is built in, but it is a policy, not a pack. */
    expect_error("version: 1\nrules:\n  use: [default]\n",
                 "t.yaml:3:9: rules.use: no built-in rule pack \"default\"");
    expect_error("version: 1\nrules:\n  use: [[pii]]\n",
                 "t.yaml:3:9: rules.use: expected a value, found a list");
}

Test(policy, missing_pack_path_is_named, .init = tmp_setup, .fini = tmp_teardown)
{
    char *path = fmt("%s/no-such-pack.yaml", tmpdir);
    char *y = fmt("version: 1\nrules:\n  use: ['%s']\n", path);
    char *msg = fmt("%s:1:1: cannot read: No such file or directory", path);
    expect_error(y, msg);
    free(msg);
    free(y);
    free(path);
}

Test(policy, pack_order_then_custom, .init = tmp_setup, .fini = tmp_teardown)
{
    char *a = write_pack("a.yaml", pack_a), *b = write_pack("b.yaml", pack_b);
    char *y = fmt("version: 1\nrules:\n  use: ['%s', '%s']\n  custom:\n"
                  "    - name: c1\n      pattern: 'c1=\\w+'\n      action: remove\n",
                  a, b);
    ls_policy *p = load_ok(y);
    static const char *const ab[] = {"a1", "a2", "b1", "c1"};
    expect_rule_names(p, ab, N(ab));
    ls_policy_free(p);
    free(y);

    y = fmt("version: 1\nrules:\n  custom:\n    - name: c1\n      pattern: 'c1=\\w+'\n"
            "      action: remove\n  use: ['%s', '%s']\n",
            b, a);
    p = load_ok(y);
    static const char *const ba[] = {"b1", "a1", "a2", "c1"};
    expect_rule_names(p, ba, N(ba));
    ls_policy_free(p);
    free(y);
    free(a);
    free(b);
}

Test(policy, disable_removes_exactly_that_rule, .init = tmp_setup, .fini = tmp_teardown)
{
    char *a = write_pack("a.yaml", pack_a), *b = write_pack("b.yaml", pack_b);
    char *y = fmt("version: 1\nrules:\n  use: ['%s', '%s']\n  disable: [a1]\n", a, b);
    ls_policy *p = load_ok(y);
    static const char *const names[] = {"a2", "b1"};
    expect_rule_names(p, names, N(names));
    ls_worker *w = ls_worker_new(p);
    cr_assert_not_null(w);
    char *o = scrub_str(w, "a1=x a2=yy b1=z");
    cr_expect_str_eq(o, "a1=x ***** [b1]");
    free(o);
    ls_worker_free(w);
    ls_policy_free(p);
    free(y);

    /* Unknown names are errors; so is a custom rule (disable covers packs). */
    y = fmt("version: 1\nrules:\n  use: ['%s']\n  disable: [a1, a3]\n", a);
    expect_error(y, "t.yaml:4:17: rules.disable: no rule \"a3\" in the packs used");
    free(y);
    expect_error("version: 1\nrules:\n  disable: [x]\n  custom:\n    - name: x\n"
                 "      pattern: x\n      action: mask\n",
                 "t.yaml:3:13: rules.disable: no rule \"x\" in the packs used");
    free(a);
    free(b);
}

Test(policy, errors_inside_a_pack_name_the_pack, .init = tmp_setup, .fini = tmp_teardown)
{
    static const struct {
        const char *text;
        const char *msg; /* after "PATH:" */
    } c[] = {
        {"version: 1\npack: x\nrules:\n  - name: r\n    pattern: 'a(b'\n    action: mask\n",
         "5:14: rule \"r\": PCRE2 error at offset 3: missing closing parenthesis"},
        {"pack: x\nrules: []\n", "1:1: version: missing (this format is version 1)"},
        {"version: 2\npack: x\nrules: []\n", "1:10: version: this logscrub reads version 1 only"},
        {"version: 1\npack: x\nrules: []\nuse: [y]\n", "4:1: rule pack: unknown key \"use\""},
        {"version: 1\nrules: []\n", "1:1: rule pack: needs a pack name"},
        {"version: 1\npack: x\n", "1:1: rule pack: needs rules"},
        {"version: 1\npack: [x]\nrules: []\n", "2:7: pack: expected a value, found a list"},
        {"version: 1\npack: x\nrules: {}\n", "3:8: rules: expected a list, found a mapping"},
        {"version: 1\npack: x\nrules:\n  - name: r\n    pattern: a\n    action: mask\n"
         "    keep: 2\n",
         "7:11: keep: only for action keep-last"},
        {"version: 1\npack: x\nrules: [a\n",
         "4:1: did not find expected ',' or ']' while parsing a flow sequence"},
        {"", "1:1: the file is empty"},
        {"version: 1\npack: x\nrules: []\n---\nversion: 1\n",
         "5:1: only one YAML document is allowed"},
    };
    for (size_t k = 0; k < N(c); k++) {
        char *path = write_pack("bad.yaml", c[k].text);
        char *y = fmt("version: 1\nrules:\n  use: ['%s']\n", path);
        char *msg = fmt("%s:%s", path, c[k].msg);
        expect_error(y, msg);
        free(msg);
        free(y);
        free(path);
    }
}

Test(policy, nesting_bound_holds_in_a_pack, .init = tmp_setup, .fini = tmp_teardown,
     .timeout = 10)
{
    char *deep = repeat("[", 100000, "\n");
    char *text = fmt("version: 1\npack: x\nrules: %s", deep);
    char *path = write_pack("deep.yaml", text);
    char *y = fmt("version: 1\nrules:\n  use: ['%s']\n", path);
    char *msg = fmt("%s:3:71: nesting deeper than 64 levels", path);
    expect_error(y, msg);
    free(msg);
    free(y);
    free(path);
    free(text);
    free(deep);
}

Test(policy, duplicate_rule_across_packs_names_both, .init = tmp_setup, .fini = tmp_teardown)
{
    char *a = write_pack("a.yaml", pack_a);
    char *b = write_pack("b.yaml", "version: 1\npack: b\nrules:\n  - name: b1\n    pattern: b\n"
                                   "    action: mask\n  - name: a2\n    pattern: x\n"
                                   "    action: mask\n");
    char *y = fmt("version: 1\nrules:\n  use: ['%s', '%s']\n", a, b);
    char *msg = fmt("%s:7:11: rule \"a2\" is defined twice (first at %s:8:5)", b, a);
    expect_error(y, msg);
    free(msg);
    free(y);

    /* A custom rule clashing with a pack rule points into the pack. */
    y = fmt("version: 1\nrules:\n  use: ['%s']\n  custom:\n    - name: a1\n      pattern: z\n"
            "      action: mask\n",
            a);
    msg = fmt("t.yaml:5:13: rule \"a1\" is defined twice (first at %s:5:5)", a);
    expect_error(y, msg);
    free(msg);
    free(y);

    /* The same pack twice defines every rule twice. */
    y = fmt("version: 1\nrules:\n  use: ['%s', '%s']\n", a, a);
    msg = fmt("%s:5:11: rule \"a1\" is defined twice (first at %s:5:5)", a, a);
    expect_error(y, msg);
    free(msg);
    free(y);
    free(a);
    free(b);
}

/* After a disable, the name is free again for a custom rule. */
Test(policy, disabled_name_can_be_reused, .init = tmp_setup, .fini = tmp_teardown)
{
    char *a = write_pack("a.yaml", pack_a);
    char *y = fmt("version: 1\nrules:\n  use: ['%s']\n  disable: [a2]\n  custom:\n"
                  "    - name: a2\n      pattern: 'a2=\\w+'\n      action: remove\n",
                  a);
    ls_policy *p = load_ok(y);
    static const char *const names[] = {"a1", "a2"};
    expect_rule_names(p, names, N(names));
    ls_policy_free(p);
    free(y);
    free(a);
}

/* A pack path longer than a fixed buffer must still be read as written. */
Test(policy, long_pack_path, .init = tmp_setup, .fini = tmp_teardown)
{
    char dir[200], file[160];
    memset(dir, 'd', sizeof dir - 1);
    dir[sizeof dir - 1] = '\0';
    memset(file, 'f', sizeof file - 1);
    memcpy(file + sizeof file - 6, ".yaml", 6);
    char *sub = fmt("%s/%s", tmpdir, dir);
    cr_assert_eq(mkdir(sub, 0700), 0, "mkdir: %s", strerror(errno));
    char *rel = fmt("%s/%s", dir, file);
    char *path = write_pack(rel, pack_b);
    cr_assert_gt(strlen(path), 300);
    char *y = fmt("version: 1\nrules:\n  use: ['%s']\n", path);
    ls_status rc;
    ls_policy *p = load(y, &rc);
    cr_expect_eq(rc, LS_OK, "error \"%s\"", ls_policy_error(p));
    cr_expect_eq(ls_policy_rule_count(p), 1);
    ls_policy_free(p);
    free(y);
    free(path);
    free(rel);
    free(sub);
}

/* ---------------------------------------------------------------------
 * Whole policies
 * ------------------------------------------------------------------- */

Test(policy, full_policy_with_every_key, .init = tmp_setup, .fini = tmp_teardown)
{
    char *a = write_pack("a.yaml", pack_a);
    char *key = fmt("%s/key", tmpdir);
    char *y = fmt("# every key of the schema\n"
                  "version: 1\n"
                  "ip:\n"
                  "  ipv4_prefix: 24\n"
                  "  ipv6_prefix: 48\n"
                  "  method: truncate\n"
                  "  keep_private: false\n"
                  "pseudonym:\n"
                  "  key_file: '%s'\n"
                  "  rotate: 24h\n"
                  "time:\n"
                  "  precision: minute\n"
                  "rules:\n"
                  "  use: ['%s']\n"
                  "  disable: [a2]\n"
                  "  custom:\n"
                  "    - name: order-email\n"
                  "      description: 'e-mail in order links'\n"
                  "      pattern: 'customer=(?<v>[^&\\s]+@[^&\\s]+)'\n"
                  "      action: replace\n"
                  "      with: '[email]'\n"
                  "      prefilter: 'customer='\n"
                  "      ignore_case: false\n"
                  "      examples:\n"
                  "        - in:  'GET /o?customer=a@example.com'\n"
                  "          out: 'GET /o?customer=[email]'\n"
                  "        - {in: 'no customer here', out: 'no customer here'}\n"
                  "    - name: card\n"
                  "      pattern: '\\b(?:\\d[ -]?){12,18}\\d\\b'\n"
                  "      action: keep-last\n"
                  "      keep: 4\n"
                  "      validator: luhn\n"
                  "    - name: user\n"
                  "      pattern: 'user=(?<v>\\w+)'\n"
                  "      action: pseudonym\n"
                  "      ignore_case: true\n"
                  "    - name: debug\n"
                  "      pattern: 'DEBUG'\n"
                  "      action: drop-line\n"
                  "    - name: sid\n"
                  "      pattern: ' sid=\\w+'\n"
                  "      action: remove\n"
                  "    - name: pin\n"
                  "      pattern: 'pin=(?<v>\\d+)'\n"
                  "      action: mask\n"
                  "abuse:\n"
                  "  detectors: [bruteforce, probe, sensitive, exploit, scanner, badreq, flood]\n"
                  "  retain: { default: 30d, flood: never, repeat: double, max: 365d }\n"
                  "  retained_list: /var/lib/logscrub/retained.tsv\n"
                  "  allow: [127.0.0.0/8, '::1/128']\n",
                  key, a);
    ls_policy *p = load_ok(y);
    static const char *const names[] = {"a1", "order-email", "card", "user", "debug", "sid", "pin"};
    expect_rule_names(p, names, N(names));
    cr_expect(ls_policy_needs_key(p));
    ls_policy_free(p);
    free(y);
    free(key);
    free(a);
}

Test(policy, load_file_and_missing_file, .init = tmp_setup, .fini = tmp_teardown)
{
    char *path = write_pack("policy.yaml", "version: 1\nip:\n  ipv4_prefix: 33\n");
    ls_policy *p = ls_policy_new();
    cr_expect_eq(ls_policy_load_file(p, path), LS_ERR_CONFIG);
    char *msg = fmt("%s:3:16: ip.ipv4_prefix: expected a number from 0 to 32", path);
    cr_expect_str_eq(ls_policy_error(p), msg);
    free(msg);
    ls_policy_free(p);
    free(path);

    path = write_pack("ok.yaml", "version: 1\nrules:\n  custom:\n    - name: x\n"
                                 "      pattern: x\n      action: mask\n");
    p = ls_policy_new();
    cr_expect_eq(ls_policy_load_file(p, path), LS_OK, "error \"%s\"", ls_policy_error(p));
    cr_expect_eq(ls_policy_rule_count(p), 1);
    ls_policy_free(p);
    free(path);

    path = fmt("%s/missing.yaml", tmpdir);
    p = ls_policy_new();
    cr_expect_eq(ls_policy_load_file(p, path), LS_ERR_CONFIG);
    msg = fmt("%s:1:1: cannot read: No such file or directory", path);
    cr_expect_str_eq(ls_policy_error(p), msg);
    free(msg);
    ls_policy_free(p);
    free(path);
}

/* The shipped packs are still being written: only the shape of the result
 * is checked. */
Test(policy, load_default_ok_or_points_into_rules)
{
    ls_policy *p = ls_policy_new();
    ls_status rc = ls_policy_load_default(p);
    if (rc != LS_OK) {
        cr_expect_eq(rc, LS_ERR_CONFIG);
        cr_expect_eq(strncmp(ls_policy_error(p), "rules/", 6), 0, "error \"%s\"",
                     ls_policy_error(p));
    } else {
        cr_expect_str_eq(ls_policy_error(p), "");
    }
    ls_policy_free(p);
}

Test(policy, one_load_per_policy)
{
    ls_status rc;
    ls_policy *p =
        load("version: 1\nrules:\n  custom:\n    - {name: a, pattern: a, action: mask}\n", &rc);
    cr_assert_eq(rc, LS_OK);
    cr_expect_eq(ls_policy_load_buffer(p, "u.yaml", "version: 1\n", 11), LS_ERR_INVALID);
    cr_expect_eq(ls_policy_rule_count(p), 1);
    ls_worker *w = ls_worker_new(p);
    cr_expect_eq(ls_policy_load_buffer(p, "u.yaml", "version: 1\n", 11), LS_ERR_FROZEN);
    ls_worker_free(w);
    ls_policy_free(p);
}
