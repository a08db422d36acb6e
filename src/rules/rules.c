/* rules.c -- compiling PII rules and applying them to a line.
 *
 * Each rule runs over the whole line (after the IP engine), on the output of
 * the rule before it.  Prefilters keep PCRE2 away from lines that cannot
 * match: literals (given in the policy, or derived from the pattern) of which
 * the line must hold one, and the validator's prescan.  Only the span a
 * rule selects (its named group "v", or the whole match) is rewritten, and
 * only after its validator agreed.  A rule that errors out -- most likely a
 * hostile line hitting the match limit -- makes the whole line fail closed.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "rules/rules.h"

#include "common/query.h"
#include "rules/prefilter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* JIT stack per worker: enough for the shipped patterns; a line that needs
 * more fails closed like any other limit. */
#define JIT_STACK_START (32u << 10)
#define JIT_STACK_MAX (1u << 20)

/* ---- compiling ----------------------------------------------------------- */

/* Does an inline option group ("(?i)", "(?mx:", "(?^i)") set flag f? */
static bool has_flag(const char *p, size_t n, char f)
{
    for (const char *q = p; (q = memmem(q, n - (size_t)(q - p), "(?", 2)) != NULL; q += 2) {
        for (const char *k = q + 2; k < p + n; k++) {
            if (*k == f)
                return true;
            if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || *k == '^' || *k == '-'))
                break;
        }
    }
    return false;
}

/* Length of the quantifier "{n}", "{n,}", "{n,m}" or "{,m}" at p, or 0 when
 * the '{' there is a literal brace. */
static size_t quantifier_len(const char *p, size_t n)
{
    size_t k = 1, digits = 0;
    while (k < n && p[k] >= '0' && p[k] <= '9')
        k++, digits++;
    if (k < n && p[k] == ',') {
        k++;
        while (k < n && p[k] >= '0' && p[k] <= '9')
            k++, digits++;
    }
    return k < n && p[k] == '}' && digits > 0 ? k + 1 : 0;
}

/* Finds the longest run of literal bytes that every match must contain, by
 * a deliberately simple reading of the pattern: top level only, no
 * alternation, no extended mode, no \Q.  Anything it does not understand
 * ends a run, so a run is never wrong, only sometimes shorter than it could
 * be.  Writes the run to out (at most cap bytes) and returns its length. */
static size_t derive_literal(const char *p, size_t n, char *out, size_t cap)
{
    if (has_flag(p, n, 'x') || memmem(p, n, "\\Q", 2) || memmem(p, n, "(?|", 3))
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
            if (strchr("xocgkpPNu", e) || (e >= '0' && e <= '9'))
                return 0; /* digits: back references and octal escapes alike */
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
            while (k < n && p[k] != ']') {
                if (p[k] == '[' && k + 1 < n && (p[k + 1] == ':' || p[k + 1] == '.' ||
                                                 p[k + 1] == '=')) {
                    /* A POSIX class such as [:alpha:] ends with ":]". */
                    const char *end = memmem(p + k + 2, n - k - 2, (char[]){p[k + 1], ']'}, 2);
                    if (end == NULL)
                        return 0;
                    k = (size_t)(end - p) + 2;
                    continue;
                }
                k += p[k] == '\\' ? 2 : 1;
            }
            next = k + 1;
        } else if (c == '{' && quantifier_len(p + i, n - i)) {
            /* A quantifier's bounds ("{8,15}"), never literal text. */
            next = i + quantifier_len(p + i, n - i);
        } else if (c == '{') {
            if (depth == 0)
                lit = '{'; /* not a quantifier: PCRE2 reads it as itself */
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
        bool quant = q == '{' && quantifier_len(p + next, n - next) > 0;
        bool optional = q == '?' || q == '*' ||
                        (quant && (p[next + 1] == '0' || p[next + 1] == ','));
        if (lit >= 0 && depth == 0 && !optional && rlen < sizeof run) {
            run[rlen++] = (char)lit;
            if (q == '+' || quant)
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

/* Does the pattern use "\G" (a backslash that is not itself escaped,
 * then G)?  A "\G" inside a class or \Q...\E counts too: saying yes
 * too often only costs a decoded view its context for that rule. */
static bool has_escape_g(const char *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (p[i] != '\\')
            continue;
        if (p[i + 1] == 'G')
            return true;
        i++; /* the escaped byte, a backslash included */
    }
    return false;
}

bool rule_add_prefilter(rule *r, const char *lit, size_t len)
{
    char **pf = realloc(r->pf.lit, (r->pf.n + 1) * sizeof *pf);
    if (pf == NULL)
        return false;
    r->pf.lit = pf;
    size_t *pl = realloc(r->pf.len, (r->pf.n + 1) * sizeof *pl);
    if (pl == NULL)
        return false;
    r->pf.len = pl;
    char *copy = malloc(len ? len : 1);
    if (copy == NULL)
        return false;
    for (size_t k = 0; k < len; k++) {
        char c = lit[k];
        copy[k] = c >= 'A' && c <= 'Z' ? (char)(c | 0x20) : c;
    }
    r->pf.lit[r->pf.n] = copy;
    r->pf.len[r->pf.n++] = len;
    return true;
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
    r->jit = getenv("LOGSCRUB_NO_JIT") == NULL &&
             pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE) == 0;

    int v = pcre2_substring_number_from_name(r->re, (PCRE2_SPTR) "v");
    r->group_v = v > 0 ? (uint32_t)v : 0;

    if (r->pf.n == 0) {
        char lit[64];
        size_t n = derive_literal(pattern, len, lit, sizeof lit);
        if (n > 0 && !rule_add_prefilter(r, lit, n)) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
    }
    r->prescan = r->validator ? prescan_of_validator(r->validator) : (prescan_spec){PS_NONE, 0};
    uint32_t type = 0, unit = 0;
    r->uses_g = has_escape_g(pattern, len);
    r->required_char = -1;
    if (!icase && !has_flag(pattern, len, 'i') && pcre2_pattern_info(r->re, PCRE2_INFO_LASTCODETYPE, &type) == 0 && type == 1 &&
        pcre2_pattern_info(r->re, PCRE2_INFO_LASTCODEUNIT, &unit) == 0)
        r->required_char = (int)unit;
    return true;
}

void rule_free(rule *r)
{
    free(r->name);
    pcre2_code_free(r->re);
    free(r->with);
    for (size_t k = 0; k < r->pf.n; k++)
        free(r->pf.lit[k]);
    free(r->pf.lit);
    free(r->pf.len);
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
    s->cand = calloc(pf_words(n ? n : 1), sizeof *s->cand);
    s->nrules = n;
    /* Context a decoded view keeps before its token: the longest
     * lookbehind of any rule, within reason. */
    for (size_t k = 0; k < n; k++) {
        uint32_t lb = 0;
        if (pcre2_pattern_info(rules[k].re, PCRE2_INFO_MAXLOOKBEHIND, &lb) == 0 && lb > s->ctx)
            s->ctx = lb < RULES_VIEW_CONTEXT_MAX ? lb : RULES_VIEW_CONTEXT_MAX;
    }
    if (s->md == NULL || s->mctx == NULL || s->hits == NULL || s->cand == NULL)
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
    for (int k = 0; k < 2; k++) {
        free(s->out.buf[k]);
        free(s->out.prov[k]);
        free(s->qout.buf[k]);
        free(s->qout.prov[k]);
    }
    free(s->qdec);
    free(s->qmap);
    free(s->qtok);
    free(s->qline);
    free(s->lower);
    free(s->cand);
    free(s->hits);
    memset(s, 0, sizeof *s);
}

/* ---- applying ------------------------------------------------------------ */

/* The text in lower case (ASCII), made once per text and shared by every
 * case-insensitive prefilter.  NULL when out of memory. */
static const char *lowered(rules_scratch *s, const char *text, size_t len, bool *have)
{
    if (*have)
        return s->lower;
    if (len > s->lower_cap) {
        size_t cap = s->lower_cap ? s->lower_cap : 256;
        while (cap < len)
            cap *= 2;
        char *b = realloc(s->lower, cap);
        if (b == NULL)
            return NULL;
        s->lower = b;
        s->lower_cap = cap;
    }
    for (size_t k = 0; k < len; k++) {
        char c = text[k];
        s->lower[k] = c >= 'A' && c <= 'Z' ? (char)(c | 0x20) : c;
    }
    *have = true;
    return s->lower;
}

/* May the rule match anywhere in text?  false only when it certainly can't.
 * `have_lower` says whether s->lower already holds this text. */
static bool may_match(const rule *r, rules_scratch *s, const char *text, size_t len,
                      bool *have_lower)
{
    if (s->no_prefilter)
        return true;
    if (s->feat.text != text || s->feat.len != len)
        features_reset(&s->feat, text, len);
    if (!prescan_test(r->prescan, &s->feat) || !prescan_test(r->prescan_named, &s->feat))
        return false;
    if (r->pf.n > 0) {
        const char *hay = lowered(s, text, len, have_lower);
        if (hay == NULL)
            return true; /* no memory for the copy: let the regex decide */
        for (size_t k = 0; k < r->pf.n; k++)
            if (memmem(hay, len, r->pf.lit[k], r->pf.len[k]) != NULL)
                return true;
        return false;
    }
    if (r->required_char >= 0)
        return memchr(text, r->required_char, len) != NULL;
    return true;
}

/* Grows buf (capacity *cap elements of `size` bytes) to hold `need`
 * elements, the new part zeroed: PCRE2's JIT may read past the subject's
 * end, and that must stay defined.  Returns the buffer, moved or not, or
 * NULL when out of memory (buf is then unchanged). */
static void *grow_raw(void *buf, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap && buf != NULL)
        return buf;
    size_t c = *cap ? *cap : 256;
    while (c < need) {
        if (c > SIZE_MAX / 2 / size)
            return NULL;
        c *= 2;
    }
    char *b = realloc(buf, c * size);
    if (b == NULL)
        return NULL;
    memset(b + *cap * size, 0, (c - *cap) * size);
    *cap = c;
    return b;
}

/* grow_raw for byte and offset buffers: false when out of memory. */
static inline bool grow_bytes(char **buf, size_t *cap, size_t need)
{
    char *b = grow_raw(*buf, cap, need, 1);
    if (b == NULL)
        return false;
    *buf = b;
    return true;
}

static inline bool grow_sizes(size_t **buf, size_t *cap, size_t need)
{
    size_t *b = grow_raw(*buf, cap, need, sizeof **buf);
    if (b == NULL)
        return false;
    *buf = b;
    return true;
}

/* Growable output: buffer `which` of a rules_bufs.  In a mapped run
 * (rules_apply_queries) every byte written also gets its provenance: the
 * byte of the first rule's input it was copied from, or QS_NEW. */
typedef struct out_buf {
    rules_bufs *b;
    int which;
    bool mapped;
    const size_t *prov_in; /* provenance of the input text; NULL: identity */
    size_t len;
} out_buf;

/* Appends p[0, n), bytes a rule wrote (provenance QS_NEW). */
static inline bool put(out_buf *o, const char *p, size_t n)
{
    if (n == 0)
        return true; /* the buffer may not exist yet: memcpy wants a pointer */
    rules_bufs *b = o->b;
    size_t need = o->len + n;
    if (!grow_bytes(&b->buf[o->which], &b->cap[o->which], need))
        return false;
    memcpy(b->buf[o->which] + o->len, p, n);
    if (o->mapped) {
        if (!grow_sizes(&b->prov[o->which], &b->prov_cap[o->which], need))
            return false;
        for (size_t k = 0; k < n; k++)
            b->prov[o->which][o->len + k] = QS_NEW;
    }
    o->len += n;
    return true;
}

/* Appends t[from, from + n), bytes copied from the rule's input. */
static inline bool put_src(out_buf *o, const char *t, size_t from, size_t n)
{
    if (!o->mapped)
        return put(o, t + from, n);
    if (n == 0)
        return true;
    size_t at = o->len;
    if (!put(o, t + from, n))
        return false;
    size_t *pv = o->b->prov[o->which] + at;
    if (o->prov_in != NULL)
        memcpy(pv, o->prov_in + from, n * sizeof *pv);
    else
        for (size_t k = 0; k < n; k++)
            pv[k] = from + k;
    return true;
}

/* What keep-last masks: letters, digits and every non-ASCII byte (so an
 * accented letter is not left readable). */
static bool is_alnum(char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
           (unsigned char)c >= 0x80;
}

/* Writes the replacement of t[vs, ve) for rule r. */
static bool emit(out_buf *o, const rule *r, const pskey *key, const char *t, size_t vs, size_t ve)
{
    const char *span = t + vs;
    size_t n = ve - vs;
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
         * separators so "4111 1111 1111 1111" stays readable.  What is
         * kept counts as copied, so a decoded view writes it back in its
         * own encoding ("4012+8888..." keeps its '+'). */
        size_t alnum = 0;
        for (size_t k = 0; k < n; k++)
            alnum += is_alnum(span[k]);
        size_t seen = 0;
        for (size_t k = 0; k < n; k++) {
            bool a = is_alnum(span[k]);
            seen += a;
            if (!(a && seen + r->keep <= alnum ? put(o, "*", 1) : put_src(o, t, vs + k, 1)))
                return false;
        }
        return true;
    }
    case ACT_PSEUDONYM: {
        char tok[64]; /* key_token writes at most 64 bytes */
        size_t tl = key_token(key, span, n, tok);
        return put(o, r->name, strlen(r->name)) && put(o, ":", 1) && put(o, tok, tl);
    }
    case ACT_DROP_LINE:
        break;
    }
    return true;
}

/* Where byte i of a mapped run's current text came from, for explaining:
 * the provenance of the first byte at or after i that was copied, or
 * `orig_len` when none was.  Provenance grows with i (rules never reorder
 * text), so a span maps to an ordered span. */
static size_t origin(const size_t *prov, size_t len, size_t i, size_t orig_len)
{
    if (prov == NULL)
        return i;
    for (; i < len; i++)
        if (prov[i] != QS_NEW)
            return prov[i];
    return orig_len;
}

/* Runs one rule over t[0, len) into o, matches starting at lo or later
 * (t[0, lo) is context for lookbehinds, copied unchanged).  Returns
 * RULES_SAME, RULES_CHANGED (o holds the text), RULES_DROP, RULES_FAILED or
 * RULES_NOMEM.  In a mapped run the explained spans are mapped back to the
 * first rule's input, whose length is orig_len. */
static inline __attribute__((always_inline)) rules_result
apply_one(const rule *r, size_t ri, rules_scratch *s, const pskey *key, const char *t, size_t len,
          size_t lo, out_buf *o, size_t orig_len, rules_explain_fn explain, void *arg)
{
    size_t pos = lo, copied = 0;
    bool changed = false;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
    /* "\G" holds where a match attempt starts, so at lo it would hold as
     * if a match had ended there ("\G(?!^)" continues a cookie list): a
     * rule with one sees the text from lo on, where lo is the start,
     * without the context.  `sub` is where its subject starts. */
    size_t sub = r->uses_g ? lo : 0;
    while (pos <= len) {
        int rc = r->jit ? pcre2_jit_match(r->re, (PCRE2_SPTR)t + sub, len - sub, pos - sub, 0,
                                          s->md, s->mctx)
                        : pcre2_match(r->re, (PCRE2_SPTR)t + sub, len - sub, pos - sub, 0, s->md,
                                      s->mctx);
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        if (rc < 0)
            return RULES_FAILED;
        size_t ms = ov[0] + sub, me = ov[1] + sub;
        size_t vs = ms, ve = me;
        if (r->group_v && (uint32_t)rc > r->group_v && ov[2 * r->group_v] != PCRE2_UNSET) {
            vs = ov[2 * r->group_v] + sub;
            ve = ov[2 * r->group_v + 1] + sub;
        }
        if (vs < lo) {
            pos = ms + 1; /* "v" captured inside a lookbehind, in the context */
            continue;
        }
        bool rejected = r->validator && !r->validator(t + vs, ve - vs);
        if (explain && !o->mapped)
            explain(arg, ri, vs, ve, rejected);
        else if (explain)
            explain(arg, ri, origin(o->prov_in, len, vs, orig_len),
                    origin(o->prov_in, len, ve, orig_len), rejected);
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
        if (!put_src(o, t, copied, vs - copied) || !emit(o, r, key, t, vs, ve))
            return RULES_NOMEM;
        copied = ve;
        pos = me > ms ? me : me + 1;
    }
    if (!changed)
        return RULES_SAME;
    if (!put_src(o, t, copied, len - copied))
        return RULES_NOMEM;
    return RULES_CHANGED;
}

/* The first rule at or after `from` in candidate set `set` of n rules, or
 * n when there is none. */
static inline size_t next_cand(const uint64_t *set, size_t n, size_t from)
{
    if (from >= n)
        return n;
    size_t w = from / 64;
    uint64_t bits = set[w] & (~(uint64_t)0 << (from % 64));
    while (bits == 0) {
        if (++w >= pf_words(n))
            return n;
        bits = set[w];
    }
    size_t k = w * 64 + (size_t)__builtin_ctzll(bits);
    return k < n ? k : n;
}

/* rules_apply, writing into bufs, with matches starting at lo or later
 * (text[0, lo) is context for lookbehinds, left as it is); `mapped` also
 * keeps the provenance of every byte (*out_prov, unset on RULES_SAME). */
static inline __attribute__((always_inline)) rules_result
apply_all(const rule *rules, size_t n, const struct pf_matcher *pm, rules_scratch *s,
          rules_bufs *bufs, bool mapped, const pskey *key, const char *text, size_t len, size_t lo,
          const char **out, size_t *out_len, const size_t **out_prov, size_t *failed_rule,
          rules_explain_fn explain, void *explain_arg)
{
    const char *cur = text;
    size_t cur_len = len;
    int cur_buf = -1; /* which buffer holds cur, -1 for the input */
    bool have_lower = false;
    bool use_pm = pm != NULL && !s->no_prefilter;
    features_reset(&s->feat, cur, cur_len);
    if (use_pm)
        pf_scan(pm, cur, cur_len, s->cand);
    /* With the matcher only its candidates are visited (most lines have
     * few); the set is read again after each rewrite rescans it. */
    for (size_t k = use_pm ? next_cand(s->cand, n, 0) : 0; k < n;
         k = use_pm ? next_cand(s->cand, n, k + 1) : k + 1) {
        const rule *r = &rules[k];
        if (use_pm) {
            /* The matcher answered for all literals at once; only the
             * validator's prescan is left to ask. */
            if (!prescan_test(r->prescan, &s->feat) || !prescan_test(r->prescan_named, &s->feat))
                continue;
        } else if (!may_match(r, s, cur, cur_len, &have_lower)) {
            continue;
        }
        if (r->action == ACT_PSEUDONYM && key == NULL) {
            *failed_rule = k;
            return RULES_FAILED;
        }
        out_buf o = {.b = bufs,
                     .which = cur_buf == 0 ? 1 : 0,
                     .mapped = mapped,
                     .prov_in = cur_buf < 0 ? NULL : bufs->prov[cur_buf],
                     .len = 0};
        rules_result rc = apply_one(r, k, s, key, cur, cur_len, lo, &o, len, explain, explain_arg);
        if (rc == RULES_SAME)
            continue;
        if (rc != RULES_CHANGED) {
            *failed_rule = k;
            return rc;
        }
        cur = bufs->buf[o.which];
        cur_len = o.len;
        cur_buf = o.which;
        have_lower = false;
        features_reset(&s->feat, cur, cur_len);
        if (use_pm) /* the rewrite may add or remove later rules' literals */
            pf_scan(pm, cur, cur_len, s->cand);
    }
    if (cur_buf < 0)
        return RULES_SAME;
    *out = cur != NULL ? cur : ""; /* all removed: the buffer was never needed */
    *out_len = cur_len;
    if (out_prov != NULL)
        *out_prov = bufs->prov[cur_buf];
    return RULES_CHANGED;
}

rules_result rules_apply(const rule *rules, size_t n, const struct pf_matcher *pm, rules_scratch *s,
                         const pskey *key, const char *text, size_t len, const char **out,
                         size_t *out_len, size_t *failed_rule, rules_explain_fn explain,
                         void *explain_arg)
{
    return apply_all(rules, n, pm, s, &s->out, false, key, text, len, 0, out, out_len, NULL,
                     failed_rule, explain, explain_arg);
}

/* ---- applying to decoded queries ----------------------------------------- */

/* Explaining a decoded view: spans in the view (mapped back to the view the
 * first rule saw) become spans of encoded bytes in the whole text. */
typedef struct view_explain {
    rules_explain_fn fn;
    void *arg;
    const size_t *map; /* qs_decode's map of the token */
    size_t ctx;        /* bytes of context before the decoded token */
    size_t base;       /* where the token starts in the text */
} view_explain;

static void explain_view(void *arg, size_t rule_index, size_t start, size_t end, bool rejected)
{
    const view_explain *v = arg;
    /* Spans start in the token (apply_one), so start >= ctx. */
    v->fn(v->arg, rule_index, v->base + v->map[start - v->ctx], v->base + v->map[end - v->ctx],
          rejected);
}

/* Runs the rules over the decoded view of the token text[start, end)
 * (see query.h): the token decoded, after up to s->ctx bytes of the text
 * before it, so that lookbehinds ("(?<!GET )") see what they see in the
 * line (a rule with "\G" sees no context, see apply_one); the subject
 * ends where the token does, at a delimiter.  When the rules rewrite the
 * token, writes it back in its encoding at s->qtok (*new_len bytes).
 * Returns what rules_apply would. */
static rules_result apply_view(const rule *rules, size_t n, const struct pf_matcher *pm,
                               rules_scratch *s, const pskey *key, const char *text, size_t start,
                               size_t end, qs_plus plus, size_t *new_len, size_t *failed_rule,
                               rules_explain_fn explain, void *explain_arg)
{
    const char *tok = text + start;
    size_t tok_len = end - start;
    size_t ctx = start < s->ctx ? start : s->ctx;
    if (!grow_bytes(&s->qdec, &s->qdec_cap, ctx + tok_len + 1) ||
        !grow_sizes(&s->qmap, &s->qmap_cap, tok_len + 1))
        return RULES_NOMEM;
    memcpy(s->qdec, text + start - ctx, ctx);
    /* The map only when explaining: a view the rules leave alone (most of
     * them) needs none, and one they rewrite is decoded again below. */
    size_t dlen = qs_decode(tok, tok_len, plus, s->qdec + ctx, explain ? s->qmap : NULL);
    if (dlen == tok_len && memcmp(s->qdec + ctx, tok, tok_len) == 0)
        return RULES_SAME; /* this reading is the text itself: done already */
    const char *v;
    size_t vlen;
    const size_t *prov;
    view_explain ve = {explain, explain_arg, s->qmap, ctx, start};
    rules_result rc = apply_all(rules, n, pm, s, &s->qout, true, key, s->qdec, ctx + dlen, ctx, &v,
                                &vlen, &prov, failed_rule, explain ? explain_view : NULL, &ve);
    if (rc != RULES_CHANGED)
        return rc;
    /* No match starts in the context, so the rewrite begins with it,
     * copied; should that ever not hold, the line fails closed. */
    for (size_t j = 0; j < ctx; j++)
        if (j >= vlen || prov[j] != j) {
            *failed_rule = 0;
            return RULES_FAILED;
        }
    if (!explain) /* the same decoding again, now with its map; the rules'
                   * output is in s->qout, so the view may be overwritten */
        qs_decode(tok, tok_len, plus, s->qdec + ctx, s->qmap);
    size_t need = qs_encoded_len(s->qmap, ctx, v + ctx, prov + ctx, vlen - ctx);
    if (!grow_bytes(&s->qtok, &s->qtok_cap, need ? need : 1))
        return RULES_NOMEM;
    *new_len = qs_encode(tok, s->qmap, ctx, v + ctx, prov + ctx, vlen - ctx, s->qtok);
    return RULES_CHANGED;
}

/* Appends p[0, n) to the line being built in s->qline. */
static bool put_line(rules_scratch *s, size_t *len, const char *p, size_t n)
{
    if (n == 0)
        return true;
    if (!grow_bytes(&s->qline, &s->qline_cap, *len + n))
        return false;
    memcpy(s->qline + *len, p, n);
    *len += n;
    return true;
}

rules_result rules_apply_queries(const rule *rules, size_t n, const struct pf_matcher *pm,
                                 rules_scratch *s, const pskey *key, const char *text, size_t len,
                                 const char **out, size_t *out_len, size_t *failed_rule,
                                 rules_explain_fn explain, void *explain_arg)
{
    qs_iter it;
    qs_token t;
    size_t copied = 0, o = 0;
    bool changed = false;
    if (n == 0)
        return RULES_SAME;
    qs_iter_init(&it, text, len);
    while (qs_next(&it, &t)) {
        size_t new_len;
        rules_result rc = apply_view(rules, n, pm, s, key, text, t.start, t.end,
                                     t.plus_space ? QS_PLUS_SPACE : QS_PLUS_LITERAL, &new_len,
                                     failed_rule, explain, explain_arg);
        if (rc == RULES_SAME)
            continue;
        if (rc != RULES_CHANGED)
            return rc;
        if (!put_line(s, &o, text + copied, t.start - copied) || !put_line(s, &o, s->qtok, new_len))
            return RULES_NOMEM;
        copied = t.end;
        changed = true;
    }
    if (!changed)
        return RULES_SAME;
    if (!put_line(s, &o, text + copied, len - copied))
        return RULES_NOMEM;
    *out = o > 0 ? s->qline : "";
    *out_len = o;
    return RULES_CHANGED;
}

pf_matcher *rules_matcher(const rule *rules, size_t n, pf_impl want)
{
    pf_literals *sets = calloc(n ? n : 1, sizeof *sets);
    if (sets == NULL)
        return NULL;
    for (size_t k = 0; k < n; k++)
        sets[k] = rules[k].pf; /* shallow: the matcher copies what it keeps */
    pf_matcher *m = pf_build_with(sets, n, want);
    free(sets);
    return m;
}
