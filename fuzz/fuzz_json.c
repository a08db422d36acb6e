/* fuzz_json.c -- libFuzzer target for the JSON path: src/formats/json.c
 * (tokenizer, decoder, rewriter) and src/core/scrub_json.c, through
 * ls_scrub with -f json, and the -f auto block sweep that hands JSON lines
 * to it.
 *
 * The input is scrubbed as one line, then split at '\n' and scrubbed line
 * by line.  For every line it checks:
 *
 * - ls_scrub returns LS_OK, LS_DROPPED or LS_ERR_NOMEM; the counters move
 *   by one line, and `unparsed` by one exactly when json_valid says the
 *   line is not JSON (blank lines aside);
 * - a valid line gives a valid line whose bytes outside strings are the
 *   input's, byte for byte, with as many strings (policies without
 *   sensitive keys here, so that no value is replaced whole);
 * - with addresses only, each string of the output (keys too) is exactly
 *   what the text path gives for the input's string, decoded;
 * - no decoded string of the output holds an address that ip_scan finds
 *   with host bits beyond /24, /48 (the default policy too);
 * - scrubbing a valid line's output again (addresses only) changes nothing
 *   (for lines that are not JSON that is fuzz_scrub's text-path invariant);
 * - with the built-in sensitive keys, a valid line stays valid, and the
 *   value of each such key is "[Filtered]";
 * - ls_scrub_lines over the input as a block of lines with -f auto gives
 *   what ls_scrub gives line by line, counters included: the no-rules
 *   sweep takes JSON lines out, the rules path does not need to.
 *
 * Any violation calls abort() after naming the broken invariant.  Linked
 * with fuzz/replay.c as fuzz_json_replay, which `make check` runs over
 * fuzz/corpus/json.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/json.h"
#include "ip/ipaddr.h"
#include "logscrub.h"

#define FUZZ_NAME "fuzz_json"
#include "fuzz.h"

static const char no_keys[] = "version: 1\njson: {sensitive_keys: []}\n";

/* Built once, kept for the process. */
static ls_policy *ip_json;   /* addresses only, no sensitive keys, -f json */
static ls_policy *ip_text;   /* addresses only, -f text: the oracle for strings */
static ls_policy *def_json;  /* the default policy's rules, no sensitive keys, -f json */
static ls_policy *keys_json; /* addresses and the built-in sensitive keys, -f json */
static ls_worker *w_ip, *w_text, *w_def, *w_keys, *w_again;
/* ls_scrub_lines on the first, ls_scrub line by line on the second, with
 * -f auto: addresses and sensitive keys; the default policy. */
static ls_policy *blk_policy[2];
static ls_worker *blk_worker[2][2];

static ls_policy *make(const char *format, bool rules, bool keys)
{
    ls_policy *p = ls_policy_new();
    CHECK(p != NULL);
    if (rules) {
        /* The default packs, without sensitive keys. */
        static const char yaml[] = "version: 1\nrules: {use: [pii, secrets, pii-de]}\n"
                                   "json: {sensitive_keys: []}\n";
        CHECK(ls_policy_load_buffer(p, "fuzz.yaml", yaml, sizeof yaml - 1) == LS_OK);
    } else if (!keys) {
        CHECK(ls_policy_load_buffer(p, "fuzz.yaml", no_keys, sizeof no_keys - 1) == LS_OK);
    }
    CHECK(ls_policy_set_format(p, format) == LS_OK);
    return p;
}

static void setup(void)
{
    if (ip_json)
        return;
    ip_json = make("json", false, false);
    ip_text = make("text", false, false);
    def_json = make("json", true, false);
    keys_json = make("json", false, true);
    CHECK((w_ip = ls_worker_new(ip_json)) && (w_text = ls_worker_new(ip_text)) &&
          (w_def = ls_worker_new(def_json)) && (w_keys = ls_worker_new(keys_json)) &&
          (w_again = ls_worker_new(ip_json)));
    blk_policy[0] = make("auto", false, true);
    blk_policy[1] = ls_policy_new();
    CHECK(blk_policy[1] && ls_policy_load_default(blk_policy[1]) == LS_OK);
    for (int k = 0; k < 2; k++)
        for (int j = 0; j < 2; j++)
            CHECK((blk_worker[k][j] = ls_worker_new(blk_policy[k])) != NULL);
}

static char *dup_exact(const char *s, size_t n)
{
    char *c = malloc(n ? n : 1);
    CHECK(c != NULL);
    if (n)
        memcpy(c, s, n);
    return c;
}

/* ---- strings of a valid line, decoded ---------------------------------------- */

/* The decoded strings of a line, one after the other, each with its
 * length in front. */
typedef struct strlist {
    char *p;
    size_t len, cap, n;
} strlist;

static void list_add(strlist *l, const char *s, size_t n)
{
    size_t need = l->len + sizeof n + n;
    if (need > l->cap) {
        l->cap = need * 2;
        l->p = realloc(l->p, l->cap);
        CHECK(l->p != NULL);
    }
    memcpy(l->p + l->len, &n, sizeof n);
    memcpy(l->p + l->len + sizeof n, s, n);
    l->len = need;
    l->n++;
}

static int collect(void *arg, enum json_str kind, const char *s, size_t n, const char **out,
                   size_t *out_len)
{
    (void)kind;
    list_add(arg, s, n);
    *out = s;
    *out_len = n;
    return 0;
}

static json_scratch js;

/* The strings of the valid line s[0, n). */
static strlist strings_of(const char *s, size_t n)
{
    strlist l = {0};
    int stop = 0;
    CHECK(json_rewrite(&js, s, n, NULL, collect, &l, &stop) == JSON_SAME);
    return l;
}

/* s[0, n) with every string's body taken out: what must not change. */
static char *skeleton(const char *s, size_t n, size_t *sk_len)
{
    char *o = malloc(n ? n : 1);
    CHECK(o != NULL);
    size_t k = 0, m = 0;
    while (k < n) {
        if (s[k] != '"') {
            o[m++] = s[k++];
            continue;
        }
        o[m++] = '"';
        for (k++; k < n && s[k] != '"'; k++)
            if (s[k] == '\\')
                k++;
        k++;
    }
    *sk_len = m;
    return o;
}

/* No address in s[0, n) keeps host bits beyond /24 or /48. */
static void check_masked(const char *s, size_t n, const char *what)
{
    ipmatch m;
    for (size_t from = 0; ip_scan(s, n, from, &m); from = m.end) {
        ipaddr t = m.addr;
        ip_truncate(&t, LS_DEFAULT_IPV4_PREFIX, LS_DEFAULT_IPV6_PREFIX);
        if (memcmp(t.a, m.addr.a, sizeof t.a) != 0) {
            fprintf(stderr, "fuzz_json: a string of %s holds \"%.*s\" with host bits set\n",
                    what, (int)(m.end - m.start), s + m.start);
            CHECK(!"no decoded string holds an untruncated address");
        }
    }
}

static void check_strings_masked(const strlist *l, const char *what)
{
    size_t off = 0;
    for (size_t k = 0; k < l->n; k++) {
        size_t n;
        memcpy(&n, l->p + off, sizeof n);
        check_masked(l->p + off + sizeof n, n, what);
        off += sizeof n + n;
    }
}

static bool blank(const char *s, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (s[k] != ' ' && s[k] != '\t' && s[k] != '\r')
            return false;
    return true;
}

/* Scrubs line[0, len) with w; checks status and counters, and returns a
 * copy of the output (NULL when dropped or out of memory). */
static char *run(ls_worker *w, const char *line, size_t len, bool valid, size_t *out_len)
{
    ls_counters b, a;
    const char *out;
    ls_worker_counters(w, &b);
    uint64_t ub = ls_worker_counter(w, LS_COUNT_UNPARSED);
    ls_status rc = ls_scrub(w, line, len, &out, out_len);
    ls_worker_counters(w, &a);
    CHECK(ls_worker_counter(w, LS_COUNT_UNPARSED) == ub + (!valid && !blank(line, len)));
    CHECK(rc == LS_OK || rc == LS_DROPPED || rc == LS_ERR_NOMEM);
    CHECK(a.lines == b.lines + 1);
    if (rc != LS_OK)
        return NULL;
    CHECK(out != NULL);
    CHECK(*out_len <= 64 + 32 * (uint64_t)len);
    return dup_exact(out, *out_len);
}

static void scrub_line(const char *line, size_t len)
{
    bool valid = json_valid(line, len);
    size_t n, n2;

    /* Addresses only. */
    char *out = run(w_ip, line, len, valid, &n);
    CHECK(out != NULL); /* no rule can drop or fail */
    const char *again;
    size_t again_len;
    CHECK(ls_scrub(w_again, out, n, &again, &again_len) == LS_OK);
    if (valid && (again_len != n || memcmp(again, out, n) != 0)) {
        fprintf(stderr, "fuzz_json: not idempotent: \"%.*s\" -> \"%.*s\"\n", (int)n, out,
                (int)again_len, again);
        CHECK(!"scrubbing the output again changes nothing");
    }
    if (valid) {
        CHECK(json_valid(out, n));
        size_t a, b;
        char *sa = skeleton(line, len, &a), *sb = skeleton(out, n, &b);
        if (a != b || memcmp(sa, sb, a) != 0) {
            fprintf(stderr, "fuzz_json: bytes outside strings changed: \"%.*s\" -> \"%.*s\"\n",
                    (int)len, line, (int)n, out);
            CHECK(!"every byte outside the strings is kept");
        }
        free(sa);
        free(sb);
        strlist si = strings_of(line, len), so = strings_of(out, n);
        CHECK(si.n == so.n);
        size_t oi = 0, oo = 0;
        for (size_t k = 0; k < si.n; k++) {
            size_t li, lo;
            memcpy(&li, si.p + oi, sizeof li);
            memcpy(&lo, so.p + oo, sizeof lo);
            const char *t;
            size_t tl;
            CHECK(ls_scrub(w_text, si.p + oi + sizeof li, li, &t, &tl) == LS_OK);
            if (tl != lo || memcmp(t, so.p + oo + sizeof lo, lo) != 0) {
                fprintf(stderr, "fuzz_json: string %zu is \"%.*s\", the text path gives \"%.*s\"\n",
                        k, (int)lo, so.p + oo + sizeof lo, (int)tl, t);
                CHECK(!"each string is what the text path makes of it");
            }
            oi += sizeof li + li;
            oo += sizeof lo + lo;
        }
        check_strings_masked(&so, "the addresses-only output");
        free(si.p);
        free(so.p);
    }
    free(out);

    /* The default rules. */
    out = run(w_def, line, len, valid, &n);
    if (out && valid && json_valid(out, n)) {
        strlist so = strings_of(out, n);
        check_strings_masked(&so, "the default policy's output");
        free(so.p);
        size_t a, b;
        char *sa = skeleton(line, len, &a), *sb = skeleton(out, n, &b);
        CHECK(a == b && memcmp(sa, sb, a) == 0);
        free(sa);
        free(sb);
    } else if (out && valid) {
        /* Only a marker replaces a valid line by something else. */
        CHECK(memcmp(out, "[logscrub: line removed", 23) == 0);
    }
    free(out);

    /* Sensitive keys: still valid. */
    out = run(w_keys, line, len, valid, &n2);
    CHECK(out != NULL);
    if (valid)
        CHECK(json_valid(out, n2));
    free(out);
}

/* ls_scrub_lines on block[0, len) with bw equals ls_scrub line by line with
 * lw, output and counters. */
static void check_block(ls_worker *bw, ls_worker *lw, const char *block, size_t len)
{
    const char *out = NULL;
    size_t out_len = 0;
    ls_status rc = ls_scrub_lines(bw, block, len, &out, &out_len);
    CHECK(rc == LS_OK || rc == LS_ERR_NOMEM);
    if (rc == LS_ERR_NOMEM)
        return;
    char *got = dup_exact(out, out_len);
    size_t o = 0;
    for (size_t from = 0; from < len;) {
        const char *nl = memchr(block + from, '\n', len - from);
        CHECK(nl != NULL);
        size_t n = (size_t)(nl - (block + from));
        const char *l;
        size_t l_len;
        ls_status st = ls_scrub(lw, block + from, n, &l, &l_len);
        CHECK(st == LS_OK || st == LS_DROPPED);
        if (st == LS_OK) {
            if (o + l_len + 1 > out_len || memcmp(got + o, l, l_len) != 0 ||
                got[o + l_len] != '\n') {
                fprintf(stderr, "fuzz_json: ls_scrub_lines differs at line offset %zu\n", from);
                CHECK(!"ls_scrub_lines gives what ls_scrub gives line by line");
            }
            o += l_len + 1;
        }
        from += n + 1;
    }
    CHECK(o == out_len);
    free(got);
    ls_counters b, l;
    ls_worker_counters(bw, &b);
    ls_worker_counters(lw, &l);
    CHECK(b.lines == l.lines && b.dropped == l.dropped && b.ipv4 == l.ipv4 && b.ipv6 == l.ipv6 &&
          b.kept == l.kept && b.fail_closed == l.fail_closed &&
          ls_worker_counter(bw, LS_COUNT_UNPARSED) == ls_worker_counter(lw, LS_COUNT_UNPARSED));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    if (size > 16384)
        return 0;
    setup();

    char *whole = dup_exact(s, size);
    scrub_line(whole, size);
    free(whole);
    if (memchr(s, '\n', size) != NULL) {
        for (size_t from = 0; from < size;) {
            const char *nl = memchr(s + from, '\n', size - from);
            size_t end = nl ? (size_t)(nl - s) : size;
            char *line = dup_exact(s + from, end - from);
            scrub_line(line, end - from);
            free(line);
            from = end + 1;
        }
    }

    bool add_nl = size == 0 || s[size - 1] != '\n';
    char *block = malloc(size + add_nl);
    CHECK(block != NULL);
    if (size)
        memcpy(block, s, size);
    if (add_nl)
        block[size] = '\n';
    for (int k = 0; k < 2; k++)
        check_block(blk_worker[k][0], blk_worker[k][1], block, size + add_nl);
    free(block);
    return 0;
}
