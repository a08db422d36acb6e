/* rules.c -- compiling PII rules and applying them to a line.
 *
 * Each rule runs over the whole line (after the IP engine), on the output of
 * the rule before it.  A literal prefilter, given or derived from the
 * pattern, keeps PCRE2 away from lines that cannot match.  Only the span a
 * rule selects (its named group "v", or the whole match) is rewritten, and
 * only after its validator agreed.  A rule that errors out -- most likely a
 * hostile line hitting the match limit -- makes the whole line fail closed.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* JIT stack per worker: enough for the shipped patterns; a line that needs
 * more fails closed like any other limit. */
#define JIT_STACK_START (32u << 10)
#define JIT_STACK_MAX (1u << 20)

/* ---- compiling ----------------------------------------------------------- */

/* Finds the longest run of literal bytes that every match must contain, by
 * a deliberately simple reading of the pattern: top level only, no
 * alternation, no extended mode, no \Q.  Anything it does not understand
 * ends a run, so a run is never wrong, only sometimes shorter than it could
 * be.  Writes the run to out (at most cap bytes) and returns its length. */
static size_t derive_literal(const char *p, size_t n, char *out, size_t cap)
{
    if (memmem(p, n, "(?x", 3) || memmem(p, n, "\\Q", 2) || memmem(p, n, "(?|", 3))
        return 0;
    char run[256];
    size_t rlen = 0, best = 0;
    int depth = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        int lit = -1; /* the literal byte at p[i], if it is one */
        size_t next = i + 1;
        if (c == '\\') {
            if (i + 1 >= n)
                return 0;
            char e = p[i + 1];
            bool alnum = (e >= '0' && e <= '9') || (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z');
            /* Escapes with an argument ("\x41", "\k<q>", "\p{L}", "\cA",
             * ...) would need a real parser to skip: derive nothing. */
            if (strchr("xocgkpPNu", e))
                return 0;
            if (!alnum)
                lit = (unsigned char)e;
            next = i + 2;
        } else if (c == '[') {
            /* Skip the class: "[]...]" and "[^]...]" include a ']'. */
            size_t k = i + 1;
            if (k < n && p[k] == '^')
                k++;
            if (k < n && p[k] == ']')
                k++;
            while (k < n && p[k] != ']')
                k += p[k] == '\\' ? 2 : 1;
            next = k + 1;
        } else if (c == '{') {
            /* A quantifier's bounds ("{8,15}"), never literal text. */
            const char *close = memchr(p + i, '}', n - i);
            if (close == NULL)
                return 0;
            next = (size_t)(close - p) + 1;
        } else if (c == '(') {
            depth++;
        } else if (c == ')') {
            depth--;
        } else if (c == '|') {
            if (depth == 0)
                return 0; /* top-level alternation: no literal is required */
        } else if (depth == 0 && !strchr(".^$?*+}", c)) {
            lit = (unsigned char)c;
        }
        /* A quantifier after this item may make it optional or repeat it. */
        char q = next < n ? p[next] : '\0';
        bool optional = q == '?' || q == '*' ||
                        (q == '{' && next + 1 < n && (p[next + 1] == '0' || p[next + 1] == ','));
        if (lit >= 0 && depth == 0 && !optional && rlen < sizeof run) {
            run[rlen++] = (char)lit;
            if (q == '+' || q == '{')
                lit = -1; /* repeated: the run cannot continue past it */
        } else {
            lit = -1;
        }
        if (lit < 0) {
            if (rlen > best && rlen <= cap) {
                memcpy(out, run, rlen);
                best = rlen;
            }
            rlen = 0;
        }
        i = next - 1;
    }
    if (rlen > best && rlen <= cap) {
        memcpy(out, run, rlen);
        best = rlen;
    }
    return best;
}

bool rule_compile(rule *r, const char *pattern, size_t len, bool icase, char *err,
                  size_t errlen)
{
    int code;
    PCRE2_SIZE off;
    uint32_t opts = PCRE2_NEVER_BACKSLASH_C | (icase ? PCRE2_CASELESS : 0);
    r->re = pcre2_compile((PCRE2_SPTR)pattern, len, opts, &code, &off, NULL);
    if (r->re == NULL) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(code, msg, sizeof msg);
        snprintf(err, errlen, "PCRE2 error at offset %zu: %s", (size_t)off, (char *)msg);
        return false;
    }
    /* Without JIT (an unsupported CPU) the interpreter does the same work.
     * LOGSCRUB_NO_JIT forces that: valgrind cannot follow JIT-generated
     * code and reports false errors in it (tests/valgrind.sh sets it). */
    if (getenv("LOGSCRUB_NO_JIT") == NULL)
        (void)pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE);

    int v = pcre2_substring_number_from_name(r->re, (PCRE2_SPTR) "v");
    r->group_v = v > 0 ? (uint32_t)v : 0;

    if (r->prefilter == NULL) {
        char lit[64];
        bool inline_icase = memmem(pattern, len, "(?i", 3) != NULL;
        size_t n = derive_literal(pattern, len, lit, sizeof lit);
        if (n > 0) {
            r->prefilter = malloc(n);
            if (r->prefilter == NULL) {
                snprintf(err, errlen, "out of memory");
                return false;
            }
            memcpy(r->prefilter, lit, n);
            r->prefilter_len = n;
            r->prefilter_icase = icase || inline_icase;
        }
    }
    uint32_t type = 0, unit = 0;
    r->required_char = -1;
    if (!icase && pcre2_pattern_info(r->re, PCRE2_INFO_LASTCODETYPE, &type) == 0 && type == 1 &&
        pcre2_pattern_info(r->re, PCRE2_INFO_LASTCODEUNIT, &unit) == 0)
        r->required_char = (int)unit;
    return true;
}

void rule_free(rule *r)
{
    free(r->name);
    pcre2_code_free(r->re);
    free(r->with);
    free(r->prefilter);
    for (size_t k = 0; k < r->nexamples; k++) {
        free(r->examples[k].in);
        free(r->examples[k].out);
    }
    free(r->examples);
}

/* ---- scratch ------------------------------------------------------------- */

bool rules_scratch_init(rules_scratch *s, const rule *rules, size_t n)
{
    memset(s, 0, sizeof *s);
    uint32_t groups = 1;
    for (size_t k = 0; k < n; k++) {
        uint32_t c = 0;
        pcre2_pattern_info(rules[k].re, PCRE2_INFO_CAPTURECOUNT, &c);
        if (c + 1 > groups)
            groups = c + 1;
    }
    s->md = pcre2_match_data_create(groups, NULL);
    s->mctx = pcre2_match_context_create(NULL);
    s->hits = calloc(n ? n : 1, sizeof *s->hits);
    s->nrules = n;
    if (s->md == NULL || s->mctx == NULL || s->hits == NULL)
        return false;
    pcre2_set_match_limit(s->mctx, RULE_MATCH_LIMIT);
    pcre2_set_depth_limit(s->mctx, RULE_DEPTH_LIMIT);
    s->jit = pcre2_jit_stack_create(JIT_STACK_START, JIT_STACK_MAX, NULL);
    if (s->jit)
        pcre2_jit_stack_assign(s->mctx, NULL, s->jit);
    return true;
}

void rules_scratch_free(rules_scratch *s)
{
    pcre2_match_data_free(s->md);
    pcre2_match_context_free(s->mctx);
    pcre2_jit_stack_free(s->jit);
    free(s->buf[0]);
    free(s->buf[1]);
    free(s->hits);
    memset(s, 0, sizeof *s);
}

/* ---- applying ------------------------------------------------------------ */

/* Case-insensitive (ASCII) search for needle in hay. */
static bool contains_icase(const char *hay, size_t n, const char *needle, size_t m)
{
    if (m == 0)
        return true;
    char lo = (char)(needle[0] | 0x20), up = (char)(needle[0] & ~0x20);
    bool letter = (lo >= 'a' && lo <= 'z');
    for (size_t i = 0; i + m <= n; i++) {
        char c = hay[i];
        if (letter ? (c != lo && c != up) : c != needle[0])
            continue;
        size_t k = 1;
        for (; k < m; k++) {
            char a = hay[i + k], b = needle[k];
            if (a == b)
                continue;
            if (((a | 0x20) >= 'a' && (a | 0x20) <= 'z') && (a | 0x20) == (b | 0x20))
                continue;
            break;
        }
        if (k == m)
            return true;
    }
    return false;
}

/* May the rule match anywhere in text?  false only when it certainly can't. */
static bool may_match(const rule *r, const char *text, size_t len)
{
    if (r->prefilter) {
        if (r->prefilter_icase)
            return contains_icase(text, len, r->prefilter, r->prefilter_len);
        return memmem(text, len, r->prefilter, r->prefilter_len) != NULL;
    }
    if (r->required_char >= 0)
        return memchr(text, r->required_char, len) != NULL;
    return true;
}

/* Growable output: buffer `which` of the scratch. */
typedef struct out_buf {
    rules_scratch *s;
    int which;
    size_t len;
} out_buf;

static bool put(out_buf *o, const char *p, size_t n)
{
    rules_scratch *s = o->s;
    size_t need = o->len + n;
    if (need > s->cap[o->which]) {
        size_t cap = s->cap[o->which] ? s->cap[o->which] : 256;
        while (cap < need)
            cap *= 2;
        char *b = realloc(s->buf[o->which], cap);
        if (b == NULL)
            return false;
        s->buf[o->which] = b;
        s->cap[o->which] = cap;
    }
    memcpy(s->buf[o->which] + o->len, p, n);
    o->len += n;
    return true;
}

static bool is_alnum(char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Writes the replacement of span[0, n) for rule r. */
static bool emit(out_buf *o, const rule *r, const ls_key *key, const char *span, size_t n)
{
    switch (r->action) {
    case ACT_MASK:
        for (size_t k = 0; k < n; k++)
            if (!put(o, "*", 1))
                return false;
        return true;
    case ACT_REPLACE:
        return put(o, r->with, r->with_len);
    case ACT_REMOVE:
        return true;
    case ACT_KEEP_LAST: {
        /* Mask letters and digits except the last `keep` of them; keep
         * separators so "4111 1111 1111 1111" stays readable. */
        size_t alnum = 0;
        for (size_t k = 0; k < n; k++)
            alnum += is_alnum(span[k]);
        size_t seen = 0;
        for (size_t k = 0; k < n; k++) {
            bool a = is_alnum(span[k]);
            seen += a;
            const char *c = a && seen + r->keep <= alnum ? "*" : span + k;
            if (!put(o, c, 1))
                return false;
        }
        return true;
    }
    case ACT_PSEUDONYM: {
        char tok[64]; /* ls_key_token writes at most 64 bytes */
        size_t t = ls_key_token(key, span, n, tok);
        return put(o, r->name, strlen(r->name)) && put(o, ":", 1) && put(o, tok, t);
    }
    case ACT_DROP_LINE:
        break;
    }
    return true;
}

/* Runs one rule.  Returns RULES_SAME, RULES_CHANGED (o holds the text),
 * RULES_DROP, RULES_FAILED or RULES_NOMEM. */
static rules_result apply_one(const rule *r, size_t ri, rules_scratch *s, const ls_key *key,
                              const char *t, size_t len, out_buf *o, rules_explain_fn explain,
                              void *arg)
{
    size_t pos = 0, copied = 0;
    bool changed = false;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
    while (pos <= len) {
        int rc = pcre2_match(r->re, (PCRE2_SPTR)t, len, pos, 0, s->md, s->mctx);
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        if (rc < 0)
            return RULES_FAILED;
        size_t ms = ov[0], me = ov[1];
        size_t vs = ms, ve = me;
        if (r->group_v && (uint32_t)rc > r->group_v && ov[2 * r->group_v] != PCRE2_UNSET) {
            vs = ov[2 * r->group_v];
            ve = ov[2 * r->group_v + 1];
        }
        bool rejected = r->validator && !r->validator(t + vs, ve - vs);
        if (explain)
            explain(arg, ri, vs, ve, rejected);
        if (rejected || vs < copied) {
            pos = ms + 1; /* a later start may still pass */
            continue;
        }
        s->hits[ri]++;
        if (r->action == ACT_DROP_LINE)
            return RULES_DROP;
        if (!changed) {
            o->len = 0;
            changed = true;
        }
        if (!put(o, t + copied, vs - copied) || !emit(o, r, key, t + vs, ve - vs))
            return RULES_NOMEM;
        copied = ve;
        pos = me > ms ? me : me + 1;
    }
    if (!changed)
        return RULES_SAME;
    if (!put(o, t + copied, len - copied))
        return RULES_NOMEM;
    return RULES_CHANGED;
}

rules_result rules_apply(const rule *rules, size_t n, rules_scratch *s, const ls_key *key,
                         const char *text, size_t len, const char **out, size_t *out_len,
                         size_t *failed_rule, rules_explain_fn explain, void *explain_arg)
{
    const char *cur = text;
    size_t cur_len = len;
    int cur_buf = -1; /* which scratch buffer holds cur, -1 for the input */
    for (size_t k = 0; k < n; k++) {
        const rule *r = &rules[k];
        if (!may_match(r, cur, cur_len))
            continue;
        if (r->action == ACT_PSEUDONYM && key == NULL) {
            *failed_rule = k;
            return RULES_FAILED;
        }
        out_buf o = {.s = s, .which = cur_buf == 0 ? 1 : 0, .len = 0};
        rules_result rc = apply_one(r, k, s, key, cur, cur_len, &o, explain, explain_arg);
        if (rc == RULES_SAME)
            continue;
        if (rc != RULES_CHANGED) {
            *failed_rule = k;
            return rc;
        }
        cur = s->buf[o.which];
        cur_len = o.len;
        cur_buf = o.which;
    }
    if (cur_buf < 0)
        return RULES_SAME;
    *out = cur;
    *out_len = cur_len;
    return RULES_CHANGED;
}
