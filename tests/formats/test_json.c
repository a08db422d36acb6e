/* test_json.c -- Criterion tests for the JSON path: src/formats/json.c (the
 * tokenizer and rewriter) and src/core/scrub_json.c (its strings through
 * the text path, sensitive keys, the fallback to text), through the public
 * API where it can be reached so.
 *
 * The table tests/formats/json.cases holds most cases with their exact
 * outputs; the tests here add what a table cannot say: counters, nesting
 * limits, long lines, blocks, policies, rules that stop a line, and a
 * property test over random documents written by jansson.  jansson is the
 * independent judge of every output: it must parse whenever the input
 * parses, with the same structure.
 */
#include <criterion/criterion.h>

#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/json.h"
#include "ip/ipaddr.h"
#include "logscrub.h"
#include "../testutil.h"

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------- */

/* A growing byte string. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->p = realloc(b->p, cap);
        cr_assert_not_null(b->p);
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char t[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t, sizeof t, fmt, ap);
    va_end(ap);
    cr_assert(n >= 0 && (size_t)n < sizeof t);
    sb_add(b, t, (size_t)n);
}

/* A policy: the built-in default one, or ls_policy_new's (no rules), in
 * format `format`. */
static ls_policy *policy(bool rules, const char *format)
{
    ls_policy *p = ls_policy_new();
    cr_assert_not_null(p);
    if (rules)
        cr_assert_eq(ls_policy_load_default(p), LS_OK, "%s", ls_policy_error(p));
    cr_assert_eq(ls_policy_set_format(p, format), LS_OK);
    return p;
}

/* A policy from YAML text, which must load. */
static ls_policy *policy_yaml(const char *yaml)
{
    ls_policy *p = ls_policy_new();
    cr_assert_not_null(p);
    ls_status st = ls_policy_load_buffer(p, "t.yaml", yaml, strlen(yaml));
    cr_assert_eq(st, LS_OK, "status %d: %s", (int)st, ls_policy_error(p));
    return p;
}

/* The counters, unparsed included (it is not in the frozen ls_counters). */
typedef struct jcounters {
    uint64_t lines, dropped, ipv4, ipv6, kept, fail_closed, unparsed;
} jcounters;

static jcounters counters(const ls_worker *w)
{
    ls_counters c;
    ls_worker_counters(w, &c);
    return (jcounters){c.lines, c.dropped, c.ipv4, c.ipv6, c.kept, c.fail_closed,
                       ls_worker_counter(w, LS_COUNT_UNPARSED)};
}

/* Scrubs in[0, n) with w; asserts LS_OK and returns a NUL-terminated copy
 * of the output (free it), its length in *out_len. */
static char *scrub(ls_worker *w, const char *in, size_t n, size_t *out_len)
{
    const char *out = NULL;
    size_t len = 0;
    ls_status st = ls_scrub(w, in, n, &out, &len);
    cr_assert_eq(st, LS_OK, "ls_scrub(\"%s\") returned %d", esc(in, n), (int)st);
    cr_assert_not_null(out);
    char *c = malloc(len + 1);
    cr_assert_not_null(c);
    memcpy(c, out, len);
    c[len] = '\0';
    *out_len = len;
    return c;
}

/* Expects w to turn the string `in` into exactly `exp`. */
static void expect(ls_worker *w, const char *in, const char *exp)
{
    size_t n;
    char *out = scrub(w, in, strlen(in), &n);
    cr_expect(n == strlen(exp) && memcmp(out, exp, n) == 0,
              "input    %s\nexpected %s\nactual   %s", esc(in, strlen(in)), esc(exp, strlen(exp)),
              esc(out, n));
    free(out);
}

static json_t *parse(const char *s, size_t n)
{
    json_error_t e;
    return json_loadb(s, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
}

/* Is `out` shaped as `in` (json.cases' rules)?  On a mismatch *why says
 * where. */
static bool same_shape(const json_t *in, const json_t *out, bool keys_may_change,
                       const char **why)
{
    if (json_is_string(out) && strcmp(json_string_value(out), "[Filtered]") == 0)
        return true; /* a sensitive key's value, whatever it was */
    if (json_typeof(in) != json_typeof(out)) {
        *why = "a value changed its type";
        return false;
    }
    switch (json_typeof(in)) {
    case JSON_OBJECT: {
        if (json_object_size(in) != json_object_size(out)) {
            *why = "an object changed its size";
            return false;
        }
        void *a = json_object_iter((json_t *)(uintptr_t)in), *b = json_object_iter((json_t *)(uintptr_t)out);
        for (; a && b; a = json_object_iter_next((json_t *)(uintptr_t)in, a),
                       b = json_object_iter_next((json_t *)(uintptr_t)out, b)) {
            if (!keys_may_change && strcmp(json_object_iter_key(a), json_object_iter_key(b))) {
                *why = "a key changed";
                return false;
            }
            if (!same_shape(json_object_iter_value(a), json_object_iter_value(b),
                            keys_may_change, why))
                return false;
        }
        return true;
    }
    case JSON_ARRAY:
        if (json_array_size(in) != json_array_size(out)) {
            *why = "an array changed its size";
            return false;
        }
        for (size_t k = 0; k < json_array_size(in); k++)
            if (!same_shape(json_array_get(in, k), json_array_get(out, k), keys_may_change, why))
                return false;
        return true;
    case JSON_STRING:
        return true;
    default:
        if (!json_equal((json_t *)(uintptr_t)in, (json_t *)(uintptr_t)out)) {
            *why = "a number or literal changed";
            return false;
        }
        return true;
    }
}

/* When jansson parses in[0, n), out[0, on) must parse too, shaped alike. */
static void expect_valid_as_input(const char *in, size_t n, const char *out, size_t on,
                                  bool keys_may_change)
{
    json_t *ji = parse(in, n);
    if (ji == NULL)
        return;
    json_t *jo = parse(out, on);
    cr_expect_not_null(jo, "output is not JSON: %s", esc(out, on));
    const char *why = "";
    if (jo)
        cr_expect(same_shape(ji, jo, keys_may_change, &why), "%s:\n  in  %s\n  out %s", why,
                  esc(in, n), esc(out, on));
    json_decref(ji);
    json_decref(jo);
}

/* The table tests/formats/json.cases, found from $top_srcdir (set by make
 * check) or the current directory. */
static FILE *open_cases(void)
{
    const char *top = getenv("top_srcdir");
    const char *tries[] = {top, ".", ".."};
    char path[4096];
    for (size_t k = 0; k < 3; k++) {
        if (tries[k] == NULL)
            continue;
        snprintf(path, sizeof path, "%s/tests/formats/json.cases", tries[k]);
        FILE *f = fopen(path, "rb");
        if (f)
            return f;
    }
    cr_assert_fail("tests/formats/json.cases not found (set top_srcdir)");
    return NULL;
}

/* One line of the table without its '\n', in buf; false at the end. */
static bool read_line(FILE *f, sbuf *buf, unsigned *lineno)
{
    buf->len = 0;
    sb_add(buf, "", 0);
    int c;
    bool any = false;
    while ((c = fgetc(f)) != EOF && c != '\n') {
        char ch = (char)c;
        sb_add(buf, &ch, 1);
        any = true;
    }
    if (c == EOF && !any)
        return false;
    ++*lineno;
    return true;
}

/* ---------------------------------------------------------------------
 * The table
 * ------------------------------------------------------------------- */

Test(json, table_of_cases)
{
    ls_policy *pol[2][2] = {{policy(true, "auto"), policy(true, "json")},
                            {policy(false, "auto"), policy(false, "json")}};
    ls_worker *wk[2][2];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            cr_assert_not_null(wk[i][j] = ls_worker_new(pol[i][j]));

    FILE *f = open_cases();
    sbuf line = {0}, name = {0}, in = {0};
    unsigned lineno = 0, ncases = 0;
    while (read_line(f, &line, &lineno)) {
        if (line.len == 0 || line.p[0] == '#')
            continue;
        cr_assert(strncmp(line.p, "== ", 3) == 0, "json.cases:%u: expected a \"== NAME\" line",
                  lineno);
        name.len = 0;
        sb_add(&name, line.p + 3, line.len - 3);
        bool json_fmt = strstr(name.p, "  json") != NULL;
        bool ip_only = strstr(name.p, "  ip-only") != NULL;
        bool unparsed = strstr(name.p, " unparsed") != NULL;
        bool keys_change = strstr(name.p, "  keys-change") != NULL;

        cr_assert(read_line(f, &line, &lineno) && strncmp(line.p, "< ", 2) == 0,
                  "json.cases:%u: expected \"< INPUT\"", lineno);
        in.len = 0;
        sb_add(&in, line.p + 2, line.len - 2);
        cr_assert(read_line(f, &line, &lineno) && line.len >= 2 && line.p[0] == '>',
                  "json.cases:%u: expected \"> OUTPUT\" or \">=\"", lineno);
        bool same = line.p[1] == '=';
        const char *exp = same ? in.p : line.p + 2;
        size_t exp_len = same ? in.len : line.len - 2;

        ls_worker *w = wk[ip_only][json_fmt];
        jcounters before = counters(w);
        const char *out;
        size_t out_len;
        cr_assert_eq(ls_scrub(w, in.p, in.len, &out, &out_len), LS_OK, "%s", name.p);
        cr_expect(out_len == exp_len && memcmp(out, exp, exp_len) == 0,
                  "json.cases:%u: %s\n  input    %s\n  expected %s\n  actual   %s", lineno,
                  name.p, esc(in.p, in.len), esc(exp, exp_len), esc(out, out_len));
        if (same)
            cr_expect_eq(out, in.p, "json.cases:%u: %s: unchanged but copied", lineno, name.p);
        jcounters after = counters(w);
        cr_expect_eq(after.unparsed - before.unparsed, unparsed ? 1u : 0u,
                     "json.cases:%u: %s: unparsed counted %llu times", lineno, name.p,
                     (unsigned long long)(after.unparsed - before.unparsed));
        cr_expect_eq(after.fail_closed, before.fail_closed, "%s", name.p);
        char *copy = malloc(out_len + 1);
        memcpy(copy, out, out_len);
        expect_valid_as_input(in.p, in.len, copy, out_len, keys_change);
        free(copy);
        ncases++;
    }
    fclose(f);
    cr_expect_geq(ncases, 50u, "only %u cases read", ncases);
    free(line.p);
    free(name.p);
    free(in.p);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            ls_worker_free(wk[i][j]);
            ls_policy_free(pol[i][j]);
        }
}

/* ---------------------------------------------------------------------
 * The tokenizer alone
 * ------------------------------------------------------------------- */

Test(json, valid_and_invalid_documents)
{
    static const char *const good[] = {
        "{}", "[]", " {} ", "\t[ ]\r", "0", "-0", "1e5", "-1.5E-7", "\"\"", "true", "null",
        "NaN", "-Infinity", "[[],[{}],{\"a\":[]}]", "{\"a\":{\"b\":{\"c\":[1,2,{\"d\":null}]}}}",
        "\"\\u0000\\ud800\\uDFFF\"", "\"\x01\x7f\xff\"", "{\"\":\"\"}",
    };
    static const char *const bad[] = {
        "", " ", "{", "}", "[", "]", "{]", "[}", "{\"a\"}", "{\"a\":}", "{:1}", "{1:1}",
        "[1 2]", "[,1]", "[1,]", "01", "1.", ".1", "1e", "+1", "-", "--1", "tru", "nul",
        "True", "\"", "\"\\", "\"\\u12\"", "\"\\q\"", "{} {}", "[]x", "nan", "infinity",
        "-NaN", "\"a\"\"b\"",
    };
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++)
        cr_expect(json_valid(good[k], strlen(good[k])), "rejected: %s",
                  esc(good[k], strlen(good[k])));
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        cr_expect(!json_valid(bad[k], strlen(bad[k])), "accepted: %s",
                  esc(bad[k], strlen(bad[k])));
}

/* A callback that upper-cases ASCII letters of values and records what it
 * was given, to see decoding and kinds. */
static char seen[4096];
static size_t seen_len;
static char upper_buf[4096];
static int upper(void *arg, enum json_str kind, const char *s, size_t n, const char **out,
                 size_t *out_len)
{
    int *stop_at = arg;
    static const char kinds[] = {'K', 'M', 'E'};
    seen[seen_len++] = kinds[kind];
    memcpy(seen + seen_len, s, n);
    seen_len += n;
    seen[seen_len++] = '|';
    if (stop_at && --*stop_at == 0)
        return 7;
    if (kind == JSON_STR_KEY) {
        *out = s;
        *out_len = n;
        return 0;
    }
    for (size_t k = 0; k < n; k++)
        upper_buf[k] = s[k] >= 'a' && s[k] <= 'z' ? (char)(s[k] - 32) : s[k];
    *out = upper_buf;
    *out_len = n;
    return 0;
}

Test(json, rewrite_decodes_every_string_and_names_its_kind)
{
    json_scratch js = {0};
    const char in[] = "{\"k\\u0065y\":\"v\\u00e9\",\"a\":[\"x\",{\"b\":\"\\ud83d\\ude00y\"}]}";
    int stop = 0;
    seen_len = 0;
    cr_assert_eq(json_rewrite(&js, in, sizeof in - 1, NULL, upper, NULL, &stop), JSON_CHANGED);
    const char exp_seen[] = "Kkey|Mv\xc3\xa9|Ka|Ex|Kb|M\xf0\x9f\x98\x80y|";
    cr_expect(seen_len == sizeof exp_seen - 1 && memcmp(seen, exp_seen, seen_len) == 0, "%s",
              esc(seen, seen_len));
    const char exp[] = "{\"k\\u0065y\":\"V\\u00e9\",\"a\":[\"X\",{\"b\":\"\\ud83d\\ude00Y\"}]}";
    cr_expect(js.out_len == sizeof exp - 1 && memcmp(js.out, exp, js.out_len) == 0, "%s",
              esc(js.out, js.out_len));
    json_scratch_free(&js);
}

Test(json, a_callback_stops_the_rewrite_and_an_invalid_line_calls_nothing)
{
    json_scratch js = {0};
    int stop = 0, stop_at = 2;
    const char in[] = "{\"a\":\"x\",\"b\":\"y\"}";
    seen_len = 0;
    cr_expect_eq(json_rewrite(&js, in, sizeof in - 1, NULL, upper, &stop_at, &stop),
                 JSON_STOPPED);
    cr_expect_eq(stop, 7);
    /* Invalid at its very end: nothing was called before that was known. */
    const char bad[] = "{\"a\":\"x\",\"b\":\"y\"]";
    seen_len = 0;
    cr_expect_eq(json_rewrite(&js, bad, sizeof bad - 1, NULL, upper, NULL, &stop), JSON_INVALID);
    cr_expect_eq(seen_len, 0u);
    json_scratch_free(&js);
}

Test(json, key_sets_fold_case_and_dashes)
{
    const char *names[] = {"Set-Cookie", "token"};
    size_t lens[] = {10, 5};
    json_keyset ks;
    cr_assert(json_keyset_init(&ks, names, lens, 2));
    cr_expect(json_keyset_has(&ks, "set_cookie", 10));
    cr_expect(json_keyset_has(&ks, "SET-COOKIE", 10));
    cr_expect(json_keyset_has(&ks, "Token", 5));
    cr_expect(!json_keyset_has(&ks, "tokens", 6));
    cr_expect(!json_keyset_has(&ks, "toke", 4));
    cr_expect(!json_keyset_has(&ks, "setcookie", 9));
    json_keyset_free(&ks);
    json_keyset_free(&ks); /* empty: safe */
    cr_expect(json_key_same("A-b", 3, "a_B", 3));
    cr_expect(!json_key_same("ab", 2, "abc", 3));
}

/* ---------------------------------------------------------------------
 * Nesting and length
 * ------------------------------------------------------------------- */

/* {"password":"x","d":[[...["192.0.2.5"]...]]} with `arrays` levels of
 * arrays inside the object. */
static sbuf nested(size_t arrays)
{
    sbuf b = {0};
    sb_str(&b, "{\"password\":\"x\",\"d\":");
    for (size_t k = 0; k < arrays; k++)
        sb_str(&b, "[");
    sb_str(&b, "\"192.0.2.5\"");
    for (size_t k = 0; k < arrays; k++)
        sb_str(&b, "]");
    sb_str(&b, "}");
    return b;
}

Test(json, nesting_up_to_the_limit_is_parsed)
{
    ls_policy *p = policy(false, "auto");
    ls_worker *w = ls_worker_new(p);
    sbuf in = nested(JSON_MAX_DEPTH - 1); /* the object is one level */
    size_t n;
    char *out = scrub(w, in.p, in.len, &n);
    sbuf e2 = {0};
    sb_str(&e2, "{\"password\":\"[Filtered]\",\"d\":");
    for (size_t k = 0; k < JSON_MAX_DEPTH - 1; k++)
        sb_str(&e2, "[");
    sb_str(&e2, "\"192.0.2.0\"");
    for (size_t k = 0; k < JSON_MAX_DEPTH - 1; k++)
        sb_str(&e2, "]");
    sb_str(&e2, "}");
    cr_expect(n == e2.len && memcmp(out, e2.p, n) == 0, "%s", esc(out, n));
    cr_expect_eq(counters(w).unparsed, 0u);
    free(out);
    free(in.p);
    free(e2.p);
    ls_worker_free(w);
    ls_policy_free(p);
}

Test(json, nesting_past_the_limit_is_text)
{
    ls_policy *p = policy(false, "auto");
    ls_worker *w = ls_worker_new(p);
    sbuf in = nested(JSON_MAX_DEPTH);
    size_t n;
    char *out = scrub(w, in.p, in.len, &n);
    /* As text: the address masked, the password not (no rules). */
    char *at = strstr(in.p, "192.0.2.5");
    at[8] = '0';
    cr_expect(n == in.len && memcmp(out, in.p, n) == 0, "%s", esc(out, n));
    cr_expect_eq(counters(w).unparsed, 1u);
    free(out);
    free(in.p);
    ls_worker_free(w);
    ls_policy_free(p);
}

Test(json, a_million_open_brackets_do_not_overflow_the_stack)
{
    ls_policy *p = policy(true, "json");
    ls_worker *w = ls_worker_new(p);
    size_t len = 1000000;
    char *in = malloc(len);
    memset(in, '[', len);
    size_t n;
    char *out = scrub(w, in, len, &n);
    cr_expect(n == len && memcmp(out, in, n) == 0);
    cr_expect_eq(counters(w).unparsed, 1u);
    /* And closed again: still too deep. */
    char *in2 = malloc(2 * len);
    memset(in2, '[', len);
    memset(in2 + len, ']', len);
    free(out);
    out = scrub(w, in2, 2 * len, &n);
    cr_expect(n == 2 * len && memcmp(out, in2, n) == 0);
    cr_expect_eq(counters(w).unparsed, 2u);
    free(out);
    free(in);
    free(in2);
    ls_worker_free(w);
    ls_policy_free(p);
}

Test(json, a_long_line_is_rewritten_whole)
{
    ls_policy *p = policy(true, "auto");
    ls_worker *w = ls_worker_new(p);
    sbuf in = {0}, exp = {0};
    sb_str(&in, "{");
    sb_str(&exp, "{");
    for (unsigned k = 0; in.len < (2u << 20); k++) {
        const char *sep = k ? "," : "";
        sb_printf(&in, "%s\"k%u\":\"from 192.0.%u.%u user%u\\u0040example.com\",\"n%u\":%u", sep,
                  k, k % 256, 1 + k % 250, k, k, k);
        sb_printf(&exp, "%s\"k%u\":\"from 192.0.%u.0 [email]\",\"n%u\":%u", sep, k, k % 256, k,
                  k);
        if (k % 100 == 0) {
            sb_printf(&in, ",\"token\":[\"t%u\",{\"x\":1}]", k);
            sb_str(&exp, ",\"token\":\"[Filtered]\"");
        }
    }
    sb_str(&in, "}");
    sb_str(&exp, "}");
    size_t n;
    char *out = scrub(w, in.p, in.len, &n);
    cr_expect(n == exp.len && memcmp(out, exp.p, n) == 0, "%zu bytes, expected %zu", n, exp.len);
    expect_valid_as_input(in.p, in.len, out, n, false);
    free(out);
    free(in.p);
    free(exp.p);
    ls_worker_free(w);
    ls_policy_free(p);
}

/* ---------------------------------------------------------------------
 * Rules that stop a line, counters, blocks
 * ------------------------------------------------------------------- */

Test(json, a_drop_line_rule_in_a_value_drops_the_line)
{
    ls_policy *p = policy_yaml("version: 1\n"
                               "rules:\n"
                               "  custom:\n"
                               "    - name: drop-debug\n"
                               "      pattern: 'DEBUG'\n"
                               "      action: drop-line\n");
    ls_worker *w = ls_worker_new(p);
    const char in[] = "{\"ip\":\"192.0.2.5\",\"level\":\"DEBUG\"}";
    const char *out;
    size_t n;
    cr_expect_eq(ls_scrub(w, in, sizeof in - 1, &out, &n), LS_DROPPED);
    cr_expect_eq(counters(w).dropped, 1u);
    ls_worker_free(w);
    ls_policy_free(p);
}

Test(json, a_rule_that_takes_the_key_filters_the_value)
{
    /* The match covers the key's part: the pair is judged, the value goes,
     * the key stays (keys are rewritten only by what matches in them). */
    ls_policy *p = policy_yaml("version: 1\n"
                               "rules:\n"
                               "  custom:\n"
                               "    - name: ssn\n"
                               "      pattern: 'ssn\":\"[0-9-]+'\n"
                               "      action: replace\n"
                               "      with: 'X'\n");
    ls_worker *w = ls_worker_new(p);
    expect(w, "{\"ssn\":\"078-05-1120\",\"n\":\"ssn\"}", "{\"ssn\":\"[Filtered]\",\"n\":\"ssn\"}");
    /* As text, the same rule does what it says. */
    expect(w, "x ssn\":\"078-05-1120", "x X");
    ls_worker_free(w);
    ls_policy_free(p);
}

Test(json, counters_count_addresses_once)
{
    ls_policy *p = policy(true, "auto");
    ls_worker *w = ls_worker_new(p);
    expect(w, "{\"192.0.2.5\":\"198.51.100.7\",\"a\":[\"2001:db8:1:2::3\"]}",
           "{\"192.0.2.0\":\"198.51.100.0\",\"a\":[\"2001:db8:1::\"]}");
    jcounters c = counters(w);
    cr_expect_eq(c.lines, 1u);
    cr_expect_eq(c.ipv4, 2u);
    cr_expect_eq(c.ipv6, 1u);
    cr_expect_eq(c.unparsed, 0u);
    ls_worker_free(w);
    ls_policy_free(p);
}

/* ls_scrub_lines on a block gives what ls_scrub gives line by line, with
 * the same counters: JSON lines leave the no-rules sweep. */
static void check_block(ls_policy *p, const char *block)
{
    ls_worker *wb = ls_worker_new(p), *wl = ls_worker_new(p);
    size_t len = strlen(block);
    const char *out;
    size_t out_len;
    cr_assert_eq(ls_scrub_lines(wb, block, len, &out, &out_len), LS_OK);
    sbuf exp = {0};
    sb_add(&exp, "", 0);
    for (const char *s = block; *s;) {
        const char *nl = strchr(s, '\n');
        size_t n;
        char *o = scrub(wl, s, (size_t)(nl - s), &n);
        sb_add(&exp, o, n);
        sb_add(&exp, "\n", 1);
        free(o);
        s = nl + 1;
    }
    cr_expect(out_len == exp.len && memcmp(out, exp.p, exp.len) == 0,
              "block:\n%s\nline by line:\n%s", esc(out, out_len), esc(exp.p, exp.len));
    jcounters a = counters(wb), b = counters(wl);
    cr_expect(memcmp(&a, &b, sizeof a) == 0, "counters differ: unparsed %llu vs %llu",
              (unsigned long long)a.unparsed, (unsigned long long)b.unparsed);
    free(exp.p);
    ls_worker_free(wb);
    ls_worker_free(wl);
}

static const char mixed_block[] =
    "192.0.2.5 - - [10/Oct/2000:13:55:36 -0700] \"GET /{a} HTTP/1.1\" 200 5 \"-\" \"x\"\n"
    "{\"ip\":\"\\u0031\\u0039\\u0032.0.2.1\",\"password\":\"p\"}\n"
    "  {\"ip\":\"198.51.100.7\"}\n"
    "{main} started 203.0.113.9\n"
    "\n"
    "no json here 2001:db8:1:2::3 {\"a\":1}\n"
    "{\"k\":\"v\"}\n"
    "{\"a\":\"::3.0::3.0::3.0.3.1\"}\n"
    "tail 192.0.2.77\n";

Test(json, blocks_without_rules_give_what_lines_give)
{
    ls_policy *p = policy(false, "auto");
    check_block(p, mixed_block);
    ls_policy_free(p);
    p = policy(false, "json");
    check_block(p, mixed_block);
    ls_policy_free(p);
    p = policy(false, "text");
    check_block(p, mixed_block);
    ls_policy_free(p);
}

Test(json, blocks_with_rules_give_what_lines_give)
{
    ls_policy *p = policy(true, "auto");
    check_block(p, mixed_block);
    ls_policy_free(p);
}

Test(json, the_block_sweep_still_masks_json_lines)
{
    ls_policy *p = policy(false, "auto");
    ls_worker *w = ls_worker_new(p);
    const char block[] = "{\"ip\":\"\\u0031\\u0039\\u0032.0.2.1\",\"password\":\"p\"}\n"
                         "192.0.2.5 x\n";
    const char exp[] = "{\"ip\":\"\\u0031\\u0039\\u0032.0.2.0\",\"password\":\"[Filtered]\"}\n"
                       "192.0.2.0 x\n";
    const char *out;
    size_t n;
    cr_assert_eq(ls_scrub_lines(w, block, sizeof block - 1, &out, &n), LS_OK);
    cr_expect(n == sizeof exp - 1 && memcmp(out, exp, n) == 0, "%s", esc(out, n));
    ls_worker_free(w);
    ls_policy_free(p);
}

/* ---------------------------------------------------------------------
 * Policies
 * ------------------------------------------------------------------- */

Test(json, policy_sensitive_keys_replace_the_built_in_list)
{
    ls_policy *p = policy_yaml("version: 1\n"
                               "json:\n"
                               "  sensitive_keys: [ssn, Card-Number]\n");
    ls_worker *w = ls_worker_new(p);
    expect(w, "{\"SSN\":\"123\",\"card_number\":4111,\"password\":\"p\"}",
           "{\"SSN\":\"[Filtered]\",\"card_number\":\"[Filtered]\",\"password\":\"p\"}");
    ls_worker_free(w);
    ls_policy_free(p);
}

Test(json, an_empty_sensitive_keys_list_filters_nothing)
{
    ls_policy *p = policy_yaml("version: 1\njson: {sensitive_keys: []}\n");
    ls_worker *w = ls_worker_new(p);
    expect(w, "{\"password\":\"p\",\"token\":{\"a\":1}}", "{\"password\":\"p\",\"token\":{\"a\":1}}");
    ls_worker_free(w);
    ls_policy_free(p);
}

Test(json, no_rules_means_no_sensitive_keys)
{
    ls_policy *p = ls_policy_new();
    cr_assert_eq(ls_policy_drop_rules(p), LS_OK);
    ls_worker *w = ls_worker_new(p);
    expect(w, "{\"password\":\"p\",\"ip\":\"192.0.2.5\"}", "{\"password\":\"p\",\"ip\":\"192.0.2.0\"}");
    ls_worker_free(w);
    ls_policy_free(p);
}

Test(json, the_default_policy_keeps_the_built_in_list)
{
    ls_policy *p = policy(true, "auto");
    ls_worker *w = ls_worker_new(p);
    static const char *const keys[] = {
        "password", "passwd", "pwd", "secret", "token", "access_token", "refresh_token",
        "authorization", "proxy-authorization", "cookie", "set-cookie", "api_key", "apikey",
        "x-api-key", "session", "sessionid", "csrf", "xsrf", "private_key", "client_secret",
    };
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        char in[128], exp[128];
        snprintf(in, sizeof in, "{\"%s\":1}", keys[k]);
        snprintf(exp, sizeof exp, "{\"%s\":\"[Filtered]\"}", keys[k]);
        expect(w, in, exp);
    }
    ls_worker_free(w);
    ls_policy_free(p);
}

static void expect_config_error(const char *yaml, const char *msg)
{
    ls_policy *p = ls_policy_new();
    cr_assert_not_null(p);
    cr_expect_eq(ls_policy_load_buffer(p, "t.yaml", yaml, strlen(yaml)), LS_ERR_CONFIG);
    cr_expect_str_eq(ls_policy_error(p), msg);
    ls_policy_free(p);
}

Test(json, bad_json_sections_are_reported_with_their_place)
{
    expect_config_error("version: 1\njson:\n  sensitive_keys: password\n",
                        "t.yaml:3:19: json.sensitive_keys: expected a list, found a scalar");
    expect_config_error("version: 1\njson:\n  sensitive_keys: [a, '']\n",
                        "t.yaml:3:23: json.sensitive_keys: a key name must not be empty");
    expect_config_error("version: 1\njson:\n  sensitive_keys: [set-cookie, SET_COOKIE]\n",
                        "t.yaml:3:32: json.sensitive_keys: \"SET_COOKIE\" is listed twice");
    expect_config_error("version: 1\njson:\n  sensitive_keys: [[a]]\n",
                        "t.yaml:3:20: json.sensitive_keys: expected a value, found a list");
    expect_config_error("version: 1\njson:\n  keys: []\n", "t.yaml:3:3: json: unknown key \"keys\"");
    expect_config_error("version: 1\njson: [a]\n",
                        "t.yaml:2:7: json: expected a mapping, found a list");
}

/* ---------------------------------------------------------------------
 * Property: random documents written by jansson
 * ------------------------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15u;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* Pieces strings are made of: addresses in several spellings, e-mail
 * addresses, separators JSON escapes, non-ASCII, NUL. */
static const char *const pieces[] = {
    "192.0.2.55", "2001:db8:1:2::3", "[2001:db8::7]:443", "::ffff:198.51.100.9", "10.1.2.3:80",
    "a@example.com", "x", " ", "/", "\\", "\"", "\t", "\n", "\x01", "é", "😀",
    "GET /a?b=c", "1.2", "::", "%2F", "\\u002e", "{", "}", "[", ":", ",", "tok", "",
};
static const char *const keys[] = {"ip", "msg", "Password", "token", "u", "192.0.2.8", "", "a b",
                                   "é", "x-api-key"};

static json_t *random_string(void)
{
    char s[256];
    size_t n = 0;
    for (unsigned k = rnd(5); k > 0; k--) {
        const char *p = pieces[rnd(sizeof pieces / sizeof pieces[0])];
        size_t l = strlen(p);
        if (n + l < sizeof s) {
            memcpy(s + n, p, l);
            n += l;
        }
    }
    if (rnd(10) == 0 && n + 1 < sizeof s)
        s[n++] = '\0';
    return json_stringn_nocheck(s, n);
}

static json_t *random_value(int depth)
{
    switch (depth > 4 ? rnd(4) : rnd(7)) {
    case 0: return random_string();
    case 1: return json_integer((json_int_t)rnd(100000) - 50000);
    case 2: return json_real((double)rnd(1000) / 8.0);
    case 3: return rnd(3) == 0 ? json_true() : rnd(2) ? json_false() : json_null();
    case 4: case 5: {
        json_t *o = json_object();
        for (unsigned k = rnd(4); k > 0; k--)
            json_object_set_new_nocheck(o, keys[rnd(sizeof keys / sizeof keys[0])],
                                        random_value(depth + 1));
        return o;
    }
    default: {
        json_t *a = json_array();
        for (unsigned k = rnd(4); k > 0; k--)
            json_array_append_new(a, random_value(depth + 1));
        return a;
    }
    }
}

/* No address in s[0, n) keeps host bits beyond /24, /48. */
static bool masked(const char *s, size_t n)
{
    if (n == 0)
        return true;
    ipmatch m;
    for (size_t from = 0; ip_scan(s, n, from, &m); from = m.end) {
        ipaddr t = m.addr;
        ip_truncate(&t, 24, 48);
        if (memcmp(t.a, m.addr.a, sizeof t.a) != 0)
            return false;
    }
    return true;
}

/* No string of j (keys too) holds an address with host bits beyond /24,
 * /48.  Strings as decoded: see src/core/scrub_json.c on the bytes. */
static bool strings_masked(const json_t *j)
{
    if (json_is_string(j))
        return masked(json_string_value(j), json_string_length(j));
    if (json_is_array(j)) {
        for (size_t k = 0; k < json_array_size(j); k++)
            if (!strings_masked(json_array_get(j, k)))
                return false;
    }
    if (json_is_object(j)) {
        for (void *it = json_object_iter((json_t *)(uintptr_t)j); it;
             it = json_object_iter_next((json_t *)(uintptr_t)j, it)) {
            const char *k = json_object_iter_key(it);
            if (!masked(k, strlen(k)) || !strings_masked(json_object_iter_value(it)))
                return false;
        }
    }
    return true;
}

/* Every string of `out` (keys too) is what scrub_text makes of the string of
 * `in` in its place (a text worker, no rules), or "[Filtered]" for a
 * sensitive key's value. */
static void expect_strings_scrubbed(const json_t *in, const json_t *out, ls_worker *text,
                                    bool filtered)
{
    if (filtered) {
        cr_expect(json_is_string(out) && strcmp(json_string_value(out), "[Filtered]") == 0);
        return;
    }
    if (json_is_string(in)) {
        size_t n;
        char *exp = scrub(text, json_string_value(in), json_string_length(in), &n);
        cr_expect(json_is_string(out) && json_string_length(out) == n &&
                      memcmp(json_string_value(out), exp, n) == 0,
                  "string %s became %s, expected %s",
                  esc(json_string_value(in), json_string_length(in)),
                  json_is_string(out) ? esc(json_string_value(out), json_string_length(out)) : "?",
                  esc(exp, n));
        free(exp);
    } else if (json_is_object(in)) {
        void *a = json_object_iter((json_t *)(uintptr_t)in), *b = json_object_iter((json_t *)(uintptr_t)out);
        for (; a && b; a = json_object_iter_next((json_t *)(uintptr_t)in, a),
                       b = json_object_iter_next((json_t *)(uintptr_t)out, b)) {
            const char *k = json_object_iter_key(a);
            size_t n;
            char *exp = scrub(text, k, strlen(k), &n);
            cr_expect(strlen(json_object_iter_key(b)) == n &&
                          memcmp(json_object_iter_key(b), exp, n) == 0,
                      "key %s became %s", esc(k, strlen(k)),
                      esc(json_object_iter_key(b), strlen(json_object_iter_key(b))));
            free(exp);
            bool sens = json_key_same(k, strlen(k), "password", 8) ||
                        json_key_same(k, strlen(k), "token", 5) ||
                        json_key_same(k, strlen(k), "x-api-key", 9);
            expect_strings_scrubbed(json_object_iter_value(a), json_object_iter_value(b), text,
                                    sens);
        }
    } else if (json_is_array(in)) {
        for (size_t k = 0; k < json_array_size(in) && k < json_array_size(out); k++)
            expect_strings_scrubbed(json_array_get(in, k), json_array_get(out, k), text, false);
    }
}

Test(json, random_documents_stay_valid_and_every_string_is_scrubbed)
{
    static const size_t flags[] = {JSON_COMPACT, 0, JSON_ENSURE_ASCII,
                                   JSON_COMPACT | JSON_ESCAPE_SLASH,
                                   JSON_ENSURE_ASCII | JSON_ESCAPE_SLASH};
    ls_policy *pj = policy(false, "json"), *pt = policy(false, "text"), *pd = policy(true, "json");
    ls_worker *wj = ls_worker_new(pj), *wt = ls_worker_new(pt), *wd = ls_worker_new(pd);
    for (unsigned round = 0; round < 3000; round++) {
        json_t *doc = random_value(0);
        size_t f = flags[rnd(sizeof flags / sizeof flags[0])];
        char *text = json_dumps(doc, f | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
        cr_assert_not_null(text);
        size_t len = strlen(text);
        json_t *in = parse(text, len);
        cr_assert_not_null(in, "jansson cannot read its own %s", text);

        /* Addresses only: each string is exactly what the text path makes. */
        size_t n;
        char *out = scrub(wj, text, len, &n);
        json_t *jo = parse(out, n);
        cr_expect_not_null(jo, "not JSON: %s\nfrom: %s", esc(out, n), esc(text, len));
        if (jo) {
            expect_strings_scrubbed(in, jo, wt, false);
            const char *why = "";
            cr_expect(same_shape(in, jo, true, &why), "%s: %s", why, esc(out, n));
        }
        cr_expect(jo == NULL || strings_masked(jo), "an address survived in %s", esc(out, n));
        json_decref(jo);
        free(out);

        /* The default policy: valid, same shape, addresses masked. */
        out = scrub(wd, text, len, &n);
        jo = parse(out, n);
        cr_expect_not_null(jo, "not JSON: %s\nfrom: %s", esc(out, n), esc(text, len));
        const char *why = "";
        if (jo)
            cr_expect(same_shape(in, jo, true, &why), "%s: %s", why, esc(out, n));
        cr_expect(jo == NULL || strings_masked(jo), "an address survived in %s", esc(out, n));
        json_decref(jo);
        free(out);

        json_decref(in);
        json_decref(doc);
        free(text);
    }
    cr_expect_eq(counters(wj).unparsed, 0u);
    cr_expect_eq(counters(wd).unparsed, 0u);
    ls_worker_free(wj);
    ls_worker_free(wt);
    ls_worker_free(wd);
    ls_policy_free(pj);
    ls_policy_free(pt);
    ls_policy_free(pd);
}
