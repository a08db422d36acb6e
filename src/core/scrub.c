/* scrub.c -- the policy object (read-only once in use) and the per-thread
 * worker that rewrites one line at a time: addresses first (ipaddr.c), then
 * the policy's rules (rules.c).
 *
 * The worker owns the only per-line memory: buffers that grow to the longest
 * line seen and are then reused, so steady-state scrubbing does not
 * allocate.  Lines without an address or rule match are not copied at all.
 *
 * ls_scrub_lines does the same for a block of whole lines.  Without rules
 * and pseudonyms it scans the whole block in one ip_scan sweep, which
 * saves the per-line overhead (finding the line, one call, one copy each).
 * That gives the per-line result because '\n' is a token boundary for the
 * scanner: no decision of ipaddr.c looks across it in a way that changes
 * a result (the argument, check by check, is at scrub_block).  A line where
 * a rewrite is touchy goes through the per-line code instead.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "logscrub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/query.h"
#include "core/policy.h"
#include "core/worker.h"
#include "formats/detect.h"
#include "ip/ipaddr.h"


/* What ls_scrub hands out when it cannot build the real output: a line that
 * says so, never the raw input. */
static const char nomem_marker[] = "[logscrub: line removed, out of memory]";
static const char failed_marker[] = "[logscrub: line removed, a rule failed]";
static const char unsettled_marker[] = "[logscrub: line removed, addresses did not settle]";

/* How many IP passes one line may need.  Each repeat pass is caused by a
 * rewrite that changed text next to an address; real text settles after
 * one, crafted chains ("::3.0::3.0::3.0.3.1", one link per pass) after a
 * few more.  A line still changing after this many is removed rather than
 * trusted. */
#define MAX_IP_PASSES 16

ls_policy *ls_policy_new(void)
{
    ls_policy *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    if ((p->users = malloc(sizeof *p->users)) == NULL) {
        free(p);
        return NULL;
    }
    atomic_init(&p->users->workers, 0);
    p->ipv4_prefix = LS_DEFAULT_IPV4_PREFIX;
    p->ipv6_prefix = LS_DEFAULT_IPV6_PREFIX;
    p->rotate_seconds = 86400;
    p->format = FMT_AUTO;
    p->fields.off = true; /* until a policy file is loaded: addresses only */
    /* JSON values of these keys are secrets whatever the rules say: on by
     * default, like the rules, so that no configuration is safe. */
    size_t n = 0, lens[32];
    while (json_default_sensitive_keys[n] && n < sizeof lens / sizeof lens[0]) {
        lens[n] = strlen(json_default_sensitive_keys[n]);
        n++;
    }
    if (!json_keyset_init(&p->sensitive, json_default_sensitive_keys, lens, n)) {
        free(p->users);
        free(p);
        return NULL;
    }
    return p;
}

void ls_policy_free(ls_policy *p)
{
    if (p == NULL)
        return;
    policy_free_contents(p);
    free(p->users);
    free(p);
}

ls_status ls_policy_set_prefixes(ls_policy *p, unsigned ipv4_prefix, unsigned ipv6_prefix)
{
    if (policy_frozen(p))
        return LS_ERR_FROZEN;
    if (ipv4_prefix > 32 || ipv6_prefix > 128)
        return LS_ERR_INVALID;
    p->ipv4_prefix = ipv4_prefix;
    p->ipv6_prefix = ipv6_prefix;
    return LS_OK;
}

ls_status ls_policy_set_format(ls_policy *p, const char *name)
{
    if (policy_frozen(p))
        return LS_ERR_FROZEN;
    rec_format f;
    if (name == NULL || !format_by_name(name, strlen(name), &f))
        return LS_ERR_INVALID;
    p->format = (uint8_t)f;
    return LS_OK;
}

const char *ls_policy_format(const ls_policy *p)
{
    return format_name((rec_format)p->format);
}

ls_status ls_policy_set_keep_private(ls_policy *p, bool keep)
{
    if (policy_frozen(p))
        return LS_ERR_FROZEN;
    p->keep_private = keep;
    return LS_OK;
}

ls_worker *ls_worker_new(const ls_policy *p)
{
    ls_worker *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    if (!rules_scratch_init(&w->rs, p->rules, p->nrules) ||
        (p->nrules > 0 && (w->hits_saved = calloc(p->nrules, sizeof *w->hits_saved)) == NULL)) {
        rules_scratch_free(&w->rs);
        free(w);
        return NULL;
    }
    w->policy = p;
    /* The policy is shared read-only from here on; the count, kept apart
     * from it (policy.h), only remembers that it may no longer change. */
    atomic_fetch_add(&p->users->workers, 1);
    return w;
}

void ls_worker_free(ls_worker *w)
{
    if (w == NULL)
        return;
    atomic_fetch_sub(&w->policy->users->workers, 1);
    rules_scratch_free(&w->rs);
    free(w->bufs[0]);
    free(w->bufs[1]);
    free(w->blk);
    free(w->hits_saved);
    free(w->fline);
    json_scratch_free(&w->js);
    free(w->ctx);
    free(w);
}

bool scrub_grow(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap && *buf != NULL)
        return true;
    size_t c = *cap ? *cap : 256;
    while (c < need) {
        if (c > SIZE_MAX / 2)
            return false;
        c *= 2;
    }
    char *b = realloc(*buf, c);
    if (b == NULL)
        return false;
    memset(b + *cap, 0, c - *cap); /* PCRE2's JIT may read past the text */
    *buf = b;
    *cap = c;
    return true;
}

/* Makes room for `need` bytes in the output buffer.  On failure the buffer
 * is unchanged and false is returned. */
static inline bool reserve(ls_worker *w, size_t need)
{
    if (need <= w->cap)
        return true;
    if (!scrub_grow(&w->buf, &w->cap, need))
        return false;
    w->bufs[w->cur] = w->buf;
    w->caps[w->cur] = w->cap;
    return true;
}

/* The same for the block buffer of ls_scrub_lines.  The buffer exists
 * afterwards even for need == 0, so that w->blk + o is never NULL + 0. */
static inline bool reserve_blk(ls_worker *w, size_t need)
{
    return (need <= w->blk_cap && w->blk != NULL) || scrub_grow(&w->blk, &w->blk_cap, need);
}

/* Switches to the other IP-pass buffer, so the output of the previous
 * pass can be read while the next one writes. */
static void flip(ls_worker *w)
{
    w->cur ^= 1;
    w->buf = w->bufs[w->cur];
    w->cap = w->caps[w->cur];
}

/* Can rewriting the address at [start, end) change how its neighbours are
 * judged?  Only through the bytes the boundary rules look at: separators
 * an address may be glued to, escapes and hex digits. */
static inline bool touchy(const char *s, size_t len, size_t start, size_t end)
{
    static const bool glue[256] = {
        ['.'] = true, [':'] = true, ['%'] = true, ['\\'] = true,
        ['0'] = true, ['1'] = true, ['2'] = true, ['3'] = true, ['4'] = true,
        ['5'] = true, ['6'] = true, ['7'] = true, ['8'] = true, ['9'] = true,
        ['a'] = true, ['b'] = true, ['c'] = true, ['d'] = true, ['e'] = true, ['f'] = true,
        ['A'] = true, ['B'] = true, ['C'] = true, ['D'] = true, ['E'] = true, ['F'] = true,
    };
    return (start > 0 && glue[(unsigned char)s[start - 1]]) ||
           (end < len && glue[(unsigned char)s[end]]);
}

/* Is `a`, found by a repeat pass, already the output of an earlier pass
 * over this line?  Truncation gives a fixed point, so the test is whether it
 * would change; a pseudonym does not (hashing it again gives another), so
 * it is looked up among the pseudonyms written.  Past the list's end an
 * address counts as new: hashed again, which is safe but inconsistent. */
static bool already_scrubbed(const ls_worker *w, const ipaddr *a)
{
    const ls_policy *p = w->policy;
    if (!p->ip_pseudonym) {
        ipaddr t = *a;
        ip_truncate(&t, p->ipv4_prefix, p->ipv6_prefix);
        return memcmp(t.a, a->a, sizeof t.a) == 0;
    }
    for (size_t k = 0; k < w->ndone; k++)
        if (memcmp(w->done[k].a, a->a, sizeof a->a) == 0 &&
            w->done[k].family == a->family && w->done[k].mapped == a->mapped)
            return true;
    return false;
}

/* Room rewrite() may need for match m. */
static inline size_t rewrite_room(const ipmatch *m)
{
    return m->end - m->start > IP_MATCH_TEXT_MAX ? m->end - m->start : IP_MATCH_TEXT_MAX;
}

/* Masks one reading of a match (truncation or pseudonym) and counts it;
 * `again` as for rewrite.  Returns whether it counted. */
static inline void mask_one(ls_worker *w, ipaddr *a, bool again, bool count)
{
    const ls_policy *p = w->policy;
    if (again && already_scrubbed(w, a))
        return;
    if (p->ip_pseudonym)
        key_ip(p->key, a, p->ipv4_prefix, p->ipv6_prefix);
    else
        ip_truncate(a, p->ipv4_prefix, p->ipv6_prefix);
    if (!count)
        return;
    if (a->family == 4 || a->mapped)
        w->count.ipv4++;
    else
        w->count.ipv6++;
}

/* Remembers a pseudonym written, for already_scrubbed. */
static inline void note_done(ls_worker *w, const ipaddr *a)
{
    if (w->policy->ip_pseudonym && w->ndone < sizeof w->done / sizeof w->done[0])
        w->done[w->ndone++] = *a;
}

/* Writes at dst (rewrite_room bytes) what replaces the address m of `in`:
 * the address as written when keep_private keeps it, else its truncation
 * or pseudonym, and counts it.  `again` marks a pass over text already
 * scrubbed: an address an earlier pass over this line wrote is not
 * scrubbed or counted again, only written out canonically (a rewrite next
 * to it may have exposed another spelling of it).  Returns the length. */
static inline size_t rewrite(ls_worker *w, const char *in, ipmatch *m, bool again, char *dst)
{
    const ls_policy *p = w->policy;
    bool two = ip_two_way(m);
    if (p->keep_private && ip_is_special(&m->addr) && (!two || ip_is_special(&m->addr2))) {
        if (!again)
            w->count.kept++;
        memcpy(dst, in + m->start, m->end - m->start);
        return m->end - m->start;
    }
    if (!two) {
        mask_one(w, &m->addr, again, true);
        note_done(w, &m->addr);
        return ip_format_match(m, dst);
    }
    /* Read two ways (ipaddr.h): mask both, count one address. */
    ipaddr was = m->addr, was2 = m->addr2;
    bool both_done = again && already_scrubbed(w, &m->addr) && already_scrubbed(w, &m->addr2);
    mask_one(w, &m->addr, again, !both_done);
    mask_one(w, &m->addr2, again, false);
    ip_merge_two(m, &was, &was2);
    note_done(w, &m->addr);
    note_done(w, &m->addr2);
    return ip_format_match(m, dst);
}

/* The IP pass: rewrites every address of in[0, len) into w->buf (which
 * must not hold `in`).  Returns false when out of memory; otherwise *out
 * is `in` (no address) or w->buf, and *touched tells whether a rewrite may
 * have changed a neighbour's context (see touchy).  `again` marks a pass
 * over text already scrubbed: addresses it leaves as they were are not
 * counted a second time. */
static bool scrub_ips(ls_worker *w, const char *in, size_t len, const char **out,
                      size_t *out_len, bool again, bool *touched)
{
    size_t from = 0, o = 0;
    bool any = false;
    ipmatch m;

    *touched = false;
    while (ip_scan(in, len, from, &m)) {
        any = true;
        if (!reserve(w, o + (m.start - from) + rewrite_room(&m)))
            return false;
        memcpy(w->buf + o, in + from, m.start - from);
        o += m.start - from;
        size_t n = rewrite(w, in, &m, again, w->buf + o);
        /* Only a rewrite that changed the text can change how its
         * neighbours read. */
        if (!*touched && touchy(in, len, m.start, m.end) &&
            (n != m.end - m.start || memcmp(w->buf + o, in + m.start, n) != 0))
            *touched = true;
        o += n;
        from = m.end;
    }
    if (!any) {
        *out = in;
        *out_len = len;
        return true;
    }
    if (!reserve(w, o + (len - from)))
        return false;
    memcpy(w->buf + o, in + from, len - from);
    *out = w->buf;
    *out_len = o + (len - from);
    return true;
}

enum passes { PASSES_OK, PASSES_NOMEM, PASSES_UNSETTLED };

/* Runs IP passes over in[0, len) until one rewrites nothing next to an
 * address (see scrub_ips), at most MAX_IP_PASSES.  `again` as for
 * scrub_ips' first pass: whether in was scrubbed already.  On PASSES_OK
 * *out is `in` or one of the worker's pass buffers. */
static enum passes ip_passes(ls_worker *w, const char *in, size_t len, bool again,
                             const char **out, size_t *out_len)
{
    bool touched;
    if (!scrub_ips(w, in, len, out, out_len, again, &touched))
        return PASSES_NOMEM;
    for (int pass = 1; touched; pass++) {
        if (pass == MAX_IP_PASSES)
            return PASSES_UNSETTLED;
        flip(w); /* the other buffer: the last pass's output is read */
        if (!scrub_ips(w, *out, *out_len, out, out_len, true, &touched))
            return PASSES_NOMEM;
    }
    return PASSES_OK;
}

/* Adapts the rules engine's explain callback to the public one. */
static void explain_rule(void *arg, size_t rule_index, size_t start, size_t end, bool rejected)
{
    ls_worker *w = arg;
    w->explain(w->explain_arg, w->policy->rules[rule_index].name, start, end, rejected);
}

ls_status scrub_nomem(ls_worker *w, const char **out, size_t *out_len)
{
    w->count.fail_closed++;
    *out = nomem_marker;
    *out_len = sizeof nomem_marker - 1;
    return LS_ERR_NOMEM;
}

/* The marker of a failed ip_passes (ps != PASSES_OK), counted. */
static ls_status passes_failed(ls_worker *w, enum passes ps, const char **out, size_t *out_len)
{
    if (ps == PASSES_NOMEM)
        return scrub_nomem(w, out, out_len);
    w->count.fail_closed++;
    *out = unsettled_marker;
    *out_len = sizeof unsettled_marker - 1;
    return LS_OK;
}

/* Where the value's new text is in the rules' output r[0, rlen) over
 * w->ctx ("KEY":"VALUE"): after the key's part, before the closing quote.
 * False when the key's part did not survive. */
static bool member_value(const ls_worker *w, const char **r, size_t *rlen)
{
    size_t c = w->ctx_len;
    if (*rlen < c || memcmp(*r, w->ctx, c) != 0)
        return false;
    *r += c;
    *rlen -= c;
    if (*rlen > 0 && (*r)[*rlen - 1] == '"')
        (*rlen)--; /* a rule may have taken it, which changes nothing */
    return true;
}

static const char filtered[] = "[Filtered]";

ls_status scrub_text(ls_worker *w, const char *in, size_t len, const char **out,
                     size_t *out_len)
{
    size_t c = w->ctx_len;
    w->ctx_len = 0;
    ls_status st = scrub_member(w, in, len, out, out_len);
    w->ctx_len = c;
    return st;
}

ls_status scrub_member(ls_worker *w, const char *in, size_t len, const char **out,
                       size_t *out_len)
{
    const ls_policy *p = w->policy;
    const char *t, *rt;
    size_t tlen, rlen, bad;
    enum passes ps;

    w->ndone = 0;
    if (p->ip_pseudonym && p->key == NULL)
        goto failed; /* ls_policy_open_key was not called: never guess */
    /* Boundary rules look at a candidate's neighbours, so rewriting one
     * address can make text next to it an address ("::3.0::3.0.3.1" ->
     * "::3.::"): ip_passes scans again until nothing that matters changes. */
    if ((ps = ip_passes(w, in, len, false, &t, &tlen)) != PASSES_OK)
        goto passes;
    *out = t;
    *out_len = tlen;
    if (p->nrules == 0)
        return LS_OK;
    rt = t;
    rlen = tlen;
    if (w->ctx_len > 0) {
        /* The key's part is in w->ctx already; the value goes after it. */
        if (tlen > SIZE_MAX - w->ctx_len - 1 ||
            !scrub_grow(&w->ctx, &w->ctx_cap, w->ctx_len + tlen + 1))
            goto nomem;
        memcpy(w->ctx + w->ctx_len, t, tlen);
        w->ctx[w->ctx_len + tlen] = '"';
        rt = w->ctx;
        rlen = w->ctx_len + tlen + 1;
    }
    rules_result rr = rules_apply(p->rules, p->nrules, p->matcher, &w->rs, p->key, rt, rlen, out,
                                  out_len, &bad, w->explain ? explain_rule : NULL, w);
    /* The rules' view: the member's "KEY":"VALUE" when there is a key. */
    const char *view = rr == RULES_CHANGED ? *out : rt;
    size_t view_len = rr == RULES_CHANGED ? *out_len : rlen;
    if ((rr == RULES_SAME || rr == RULES_CHANGED) && qs_may_decode(view, view_len)) {
        /* The rules once more over the percent-decoded views of URL
         * queries and key=value runs (common/query.h): "%20DE89..." hides
         * an IBAN from a boundary that reads "20DE89" as one word.  After
         * the pass over the text as written, so that nothing found today
         * is found differently; a line without '%' or '?' costs one
         * vector pass (qs_may_decode). */
        const char *q;
        size_t qlen;
        rules_result qr =
            rules_apply_queries(p->rules, p->nrules, p->matcher, &w->rs, p->key, view, view_len, &q,
                                &qlen, &bad, w->explain ? explain_rule : NULL, w);
        if (qr == RULES_CHANGED) {
            *out = q;
            *out_len = qlen;
        }
        if (qr != RULES_SAME)
            rr = qr;
    }
    switch (rr) {
    case RULES_SAME:
        *out = t;
        *out_len = tlen;
        return LS_OK;
    case RULES_CHANGED:
        if (w->ctx_len > 0 && !member_value(w, out, out_len)) {
            *out = filtered;
            *out_len = sizeof filtered - 1;
            return LS_OK;
        }
        /* A rewrite can turn its neighbours into an address the first pass
         * rightly skipped ("0301234567::5077" -> "[phone]::5077"): IP passes
         * over the new text.  Their output goes to w->buf, free again since
         * the rules have read it. */
        if (*out == w->buf)
            flip(w); /* cannot happen today: rules write to their own buffers */
        if ((ps = ip_passes(w, *out, *out_len, true, out, out_len)) != PASSES_OK)
            goto passes;
        return LS_OK;
    case RULES_DROP:
        w->count.dropped++;
        return LS_DROPPED;
    case RULES_FAILED:
        goto failed;
    case RULES_NOMEM:
        goto nomem;
    }
failed:
    w->count.fail_closed++;
    *out = failed_marker;
    *out_len = sizeof failed_marker - 1;
    return LS_OK;
passes:
    return passes_failed(w, ps, out, out_len);
nomem:
    return scrub_nomem(w, out, out_len);
}

/* ls_scrub without counting the line (ls_scrub_lines counts a block's
 * lines at once): picks the line's format and hands it to that format's
 * scrubber.  Every format scrubber covers all the line's text with the IP
 * scan, whatever its parser thinks (JSON: every string, keys included; a
 * number or literal cannot spell an address), and a line its parser
 * refuses is scrubbed as text (fail closed). */
static ls_status scrub_one(ls_worker *w, const char *in, size_t len, const char **out,
                           size_t *out_len)
{
    const ls_policy *p = w->policy;
    record_reset(&w->rec);
    rec_format fmt = p->format == FMT_AUTO ? format_detect(in, len) : (rec_format)p->format;
    const char *t = in;
    size_t tlen = len;
    /* Field actions first (for JSON lines: time.precision only), then the
     * format's scrubber over the whole line. */
    if (fields_wanted(p) && fields_line(w, fmt, in, len, &t, &tlen) != LS_OK)
        return scrub_nomem(w, out, out_len);
    switch (fmt) {
    case FMT_JSON:
    case FMT_SENTRY: /* an event is JSON; its own parser is not built yet */
        w->rec.format = (uint8_t)fmt;
        return scrub_json(w, t, tlen, out, out_len);
    default:
        return scrub_text(w, t, tlen, out, out_len);
    }
}

ls_status ls_scrub(ls_worker *w, const char *in, size_t len, const char **out, size_t *out_len)
{
    w->count.lines++;
    return scrub_one(w, in, len, out, out_len);
}

/* Number of '\n' bytes in s[0, n): the lines of a block. */
static size_t count_lines(const char *s, size_t n)
{
    size_t lines = 0, k = 0;
#if defined(__SSE2__)
    /* Each '\n' adds one to its byte lane (subtracting the compare's -1);
     * after at most 255 rounds, before a lane could wrap, the lanes are
     * summed with psadbw.  Four accumulators keep four loads in flight:
     * twice as fast as one on this loop. */
    const __m128i lf = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
    while (n - k >= 64) {
        __m128i a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        size_t rounds = (n - k) / 64 < 255 ? (n - k) / 64 : 255;
        for (size_t stop = k + rounds * 64; k < stop; k += 64) {
            const __m128i *v = (const __m128i *)(const void *)(s + k);
            a0 = _mm_sub_epi8(a0, _mm_cmpeq_epi8(_mm_loadu_si128(v), lf));
            a1 = _mm_sub_epi8(a1, _mm_cmpeq_epi8(_mm_loadu_si128(v + 1), lf));
            a2 = _mm_sub_epi8(a2, _mm_cmpeq_epi8(_mm_loadu_si128(v + 2), lf));
            a3 = _mm_sub_epi8(a3, _mm_cmpeq_epi8(_mm_loadu_si128(v + 3), lf));
        }
        __m128i sum = _mm_add_epi64(_mm_add_epi64(_mm_sad_epu8(a0, zero), _mm_sad_epu8(a1, zero)),
                                    _mm_add_epi64(_mm_sad_epu8(a2, zero), _mm_sad_epu8(a3, zero)));
        lines += (size_t)_mm_cvtsi128_si32(sum) +
                 (size_t)_mm_cvtsi128_si32(_mm_unpackhi_epi64(sum, sum));
    }
#endif
    for (; k < n; k++)
        lines += s[k] == '\n';
    return lines;
}

/* scrub_block has handled in[0, from) into w->blk[0, o) and found a touchy
 * address on the line that starts at ls < from: takes back what the sweep
 * did on that line before it.  The matches it rewrote there are found again (a
 * scan from the line's start finds the sweep's matches, see scrub_block) to
 * undo their counts and their change of length.  Returns the offset in
 * w->blk where the line's output starts.  This function can't fail. */
static size_t unwind_line(ls_worker *w, const char *in, size_t len, size_t ls, size_t from,
                          size_t o)
{
    const ls_policy *p = w->policy;
    size_t back = from - ls; /* output bytes of in[ls, from) */
    ipmatch r;
    char text[IP_MATCH_TEXT_MAX];
    for (size_t k = ls; k < from && ip_scan(in, len, k, &r) && r.start < from; k = r.end) {
        if (p->keep_private && ip_is_special(&r.addr) &&
            (!ip_two_way(&r) || ip_is_special(&r.addr2))) {
            w->count.kept--;
            continue; /* copied as it was: no change of length */
        }
        if (r.addr.family == 4 || r.addr.mapped)
            w->count.ipv4--;
        else
            w->count.ipv6--;
        back += ip_truncate_match(&r, p->ipv4_prefix, p->ipv6_prefix, text);
        back -= r.end - r.start;
    }
    return o - back;
}

/* The heart of the fast path of ls_scrub_lines (no rules, truncation): one
 * ip_scan sweep over the whole lines in[0, len), for lines that are text.
 * When the lines hold an address, their output is appended to w->blk at
 * *o_io (which moves past it) and *any is set; otherwise nothing is written
 * and *any is false.  Returns false when out of memory (the counters may
 * then have moved: the caller restores them).
 *
 * Why one sweep over many lines gives the per-line results: '\n' is not a
 * separator, hex digit, digit, letter, zone byte, '%' or '\\', so every
 * look at the bytes around a candidate stops at it or fails on it exactly
 * where the end (or start) of the line alone would stop or fail:
 *
 * - left_ok and after_escape at the start of a line: the '\n' before it is
 *   neither alphanumeric, '.' nor ':' (so "c == 0" and "a '\n' before c"
 *   agree), and each escape test ("%XX", "\\x", "\\uXXXX") is a conjunction
 *   over every byte of its window, one of which is the '\n' when the window
 *   reaches into the line before; the colon-run walk stops at it (not hex).
 * - right_ok, port_at, the zone id and the dotted-tail test at the end of a
 *   line: each "beyond the end" test is true exactly when the byte is not
 *   alphanumeric, not a separator and not hex, which '\n' is not.
 * - v4_at, v6_at, octet_at, pct_colon, reverse_dns_at (".in-addr.arpa":
 *   '\n' | 0x20 is '*', no byte of the suffix) and try_v6_url's decoder stop
 *   at the '\n' where the line's end stops them, with the same result.
 * - ip_scan's own walks back from a separator (over digits or hex, bounded
 *   by `i`) stop at the '\n'; `i` never passes a '\n' (it is set to m.end,
 *   p + 1 or a run end, all at most the next '\n').  Its "%XX" escape
 *   starts ((c >= 3 && s[c - 3] == '%')) may see a '%' of the line before
 *   for the second byte of a line, but left_ok then refuses that start: the
 *   byte before it is glued and after_escape fails on the '\n'.
 * - v6_plausible says "plausible" for a colon run that reaches the end of a
 *   line (its look-ahead limit), while in a block the run stops at the '\n'
 *   and may be judged implausible and skipped.  That changes no result:
 *   every address v6_at accepts in such a run has its "::", seven colons, or
 *   six colons and a dot inside the run, which makes it plausible anyway.
 * - A separator that is the last byte of a line ends ip_scan on the line
 *   alone ("p + 1 >= len"); in a block it is followed by '\n', which none
 *   of the three branches accepts as the next byte.
 * - touchy sees "start == 0" and "a '\n' before start" alike (the same for
 *   the end), so a line is touchy in a block exactly when it is alone.
 *
 * So the sweep finds exactly the matches of each line, and for a line none
 * of whose rewrites is touchy, its output is what the first IP pass of
 * ls_scrub writes.  A touchy line is written again from its start by
 * scrub_one (with the repeat passes), after which the sweep goes on.  Its
 * start is looked for only then (unwind_line): a look for '\n' at every
 * match would cost more than the rare touchy line. */
static bool sweep(ls_worker *w, const char *in, size_t len, size_t *o_io, bool *any)
{
    size_t from = 0, o = *o_io;
    ipmatch m;

    while (ip_scan(in, len, from, &m)) {
        if (touchy(in, len, m.start, m.end)) {
            /* Rare: write the line again from its start, by scrub_one. */
            const char *nl = memrchr(in, '\n', m.start);
            size_t line_in = nl ? (size_t)(nl - in) + 1 : 0;
            if (line_in > from) { /* nothing of this line written yet */
                if (!reserve_blk(w, o + (line_in - from)))
                    return false;
                memcpy(w->blk + o, in + from, line_in - from);
                o += line_in - from;
            } else if (line_in < from) {
                o = unwind_line(w, in, len, line_in, from, o);
            }
            /* The block ends in '\n', so the line has an end. */
            size_t line_end = (size_t)((const char *)memchr(in + m.end, '\n', len - m.end) - in);
            const char *t;
            size_t tlen;
            if (scrub_one(w, in + line_in, line_end - line_in, &t, &tlen) != LS_OK ||
                !reserve_blk(w, o + tlen))
                return false;
            memcpy(w->blk + o, t, tlen);
            o += tlen;
            from = line_end; /* the '\n' is copied with the text after it */
            continue;
        }
        if (!reserve_blk(w, o + (m.start - from) + rewrite_room(&m)))
            return false;
        memcpy(w->blk + o, in + from, m.start - from);
        o += m.start - from;
        o += rewrite(w, in, &m, false, w->blk + o);
        from = m.end;
    }
    *any = from > 0;
    if (from == 0)
        return true; /* no address: nothing to copy */
    if (!reserve_blk(w, o + (len - from)))
        return false;
    memcpy(w->blk + o, in + from, len - from);
    *o_io = o + (len - from);
    return true;
}

/* The offset of the first line of in[from, len) (whole lines, `from` at a
 * line's start) that format_detect calls JSON, or len.  One memchr for
 * '{' over lines that hold none; each line is looked at once. */
static size_t next_json_line(const char *in, size_t len, size_t from)
{
    const char *brace;
    while (from < len && (brace = memchr(in + from, '{', len - from)) != NULL) {
        size_t b = (size_t)(brace - in);
        const char *nl = memrchr(in + from, '\n', b - from);
        size_t ls = nl ? (size_t)(nl - in) + 1 : from;
        if (format_detect(in + ls, b + 1 - ls) == FMT_JSON)
            return ls;
        from = (size_t)((const char *)memchr(in + b, '\n', len - b) - in) + 1;
    }
    return len;
}

/* The fast path of ls_scrub_lines (no rules, truncation): the sweep over
 * in[0, len).  The output is `in` itself when nothing changed, w->blk
 * otherwise.  Returns false when out of memory.
 *
 * With -f auto, JSON lines are taken out of the sweep and given to
 * scrub_one, whatever they hold.  The sweep alone would mask every address
 * the raw bytes show (the scanner reads "\u002e" and "\/" escapes), but
 * it would not count unparsed lines, nor replace the values of sensitive
 * keys, which apply without rules; and an address whose digits are
 * written as escapes ("\u0031\u0039\u0032.0.2.1") is seen only once the
 * string is decoded.  ls_scrub_lines promises what ls_scrub gives, so the
 * lines ls_scrub would parse as JSON are parsed here too.  Finding them
 * costs one memchr for '{' per block of plain access-log lines. */
static bool scrub_block(ls_worker *w, const char *in, size_t len, const char **out, size_t *out_len)
{
    size_t j = w->policy->format == FMT_AUTO ? next_json_line(in, len, 0) : len;
    size_t o = 0, from = 0;
    bool any;
    if (j == len) {
        if (!sweep(w, in, len, &o, &any))
            return false;
        *out = any ? w->blk : in;
        *out_len = any ? o : len;
        return true;
    }
    for (;;) {
        /* in[from, j) are lines for the sweep, a JSON line starts at j. */
        if (j > from) {
            if (!sweep(w, in + from, j - from, &o, &any))
                return false;
            if (!any) {
                if (!reserve_blk(w, o + (j - from)))
                    return false;
                memcpy(w->blk + o, in + from, j - from);
                o += j - from;
            }
        }
        if (j == len)
            break;
        size_t end = (size_t)((const char *)memchr(in + j, '\n', len - j) - in);
        const char *t;
        size_t tlen;
        if (scrub_one(w, in + j, end - j, &t, &tlen) != LS_OK || !reserve_blk(w, o + tlen + 1))
            return false;
        memcpy(w->blk + o, t, tlen);
        o += tlen;
        w->blk[o++] = '\n';
        from = end + 1;
        j = next_json_line(in, len, from);
    }
    *out = w->blk;
    *out_len = o;
    return true;
}

/* The general path of ls_scrub_lines (rules or pseudonyms): ls_scrub on
 * each line, the outputs gathered in w->blk.  Returns false when out of
 * memory (the caller restores the counters and rule hits). */
static bool scrub_each(ls_worker *w, const char *in, size_t len, const char **out, size_t *out_len)
{
    size_t from = 0, o = 0;
    while (from < len) {
        size_t end = (size_t)((const char *)memchr(in + from, '\n', len - from) - in);
        const char *t;
        size_t tlen;
        ls_status st = scrub_one(w, in + from, end - from, &t, &tlen);
        if (st == LS_ERR_NOMEM)
            return false;
        if (st != LS_DROPPED) {
            if (!reserve_blk(w, o + tlen + 1))
                return false;
            memcpy(w->blk + o, t, tlen);
            o += tlen;
            w->blk[o++] = '\n';
        }
        from = end + 1;
    }
    *out = o > 0 ? w->blk : in; /* every line dropped: nothing to write */
    *out_len = o;
    return true;
}

ls_status ls_scrub_lines(ls_worker *w, const char *in, size_t len, const char **out,
                         size_t *out_len)
{
    const ls_policy *p = w->policy;
    if (len > 0 && in[len - 1] != '\n')
        return LS_ERR_INVALID;
    if (len == 0) {
        *out = in;
        *out_len = 0;
        return LS_OK;
    }
    ls_counters before = w->count;
    uint64_t unparsed_before = w->unparsed;
    if (p->nrules > 0)
        memcpy(w->hits_saved, w->rs.hits, p->nrules * sizeof *w->hits_saved);
    /* The sweep is for text: a block that is all JSON goes line by line. */
    bool fast = p->nrules == 0 && !p->ip_pseudonym && !fields_wanted(p) && p->format != FMT_JSON &&
                p->format != FMT_SENTRY;
    if (!(fast ? scrub_block(w, in, len, out, out_len) : scrub_each(w, in, len, out, out_len))) {
        /* Undo the counting, so the caller can hand the lines to ls_scrub
         * one by one (which fails closed line by line). */
        w->count = before;
        w->unparsed = unparsed_before;
        if (p->nrules > 0)
            memcpy(w->rs.hits, w->hits_saved, p->nrules * sizeof *w->hits_saved);
        *out = NULL;
        *out_len = 0;
        return LS_ERR_NOMEM;
    }
    w->count.lines += count_lines(in, len);
    return LS_OK;
}

void ls_worker_counters(const ls_worker *w, ls_counters *c)
{
    *c = w->count;
}

uint64_t ls_worker_counter(const ls_worker *w, ls_counter_id id)
{
    switch (id) {
    case LS_COUNT_LINES:
        return w->count.lines;
    case LS_COUNT_DROPPED:
        return w->count.dropped;
    case LS_COUNT_IPV4:
        return w->count.ipv4;
    case LS_COUNT_IPV6:
        return w->count.ipv6;
    case LS_COUNT_KEPT:
        return w->count.kept;
    case LS_COUNT_FAIL_CLOSED:
        return w->count.fail_closed;
    case LS_COUNT_UNPARSED:
        return w->unparsed;
    }
    return 0; /* an id from a newer header than this library */
}

void ls_worker_count_fail_closed(ls_worker *w)
{
    w->count.fail_closed++;
}

uint64_t ls_worker_rule_hits(const ls_worker *w, size_t i)
{
    return i < w->rs.nrules ? w->rs.hits[i] : 0;
}

void ls_worker_set_explain(ls_worker *w, ls_explain_fn fn, void *arg)
{
    w->explain = fn;
    w->explain_arg = arg;
}

const char *ls_strerror(ls_status st)
{
    switch (st) {
    case LS_OK:
        return "success";
    case LS_DROPPED:
        return "line dropped by a drop-line rule";
    case LS_ERR_NOMEM:
        return "out of memory";
    case LS_ERR_INVALID:
        return "invalid argument";
    case LS_ERR_FROZEN:
        return "policy in use by a worker, no longer changeable";
    case LS_ERR_CONFIG:
        return "invalid policy";
    case LS_ERR_KEY:
        return "pseudonym key unusable";
    }
    return "unknown status";
}

const char *ls_version(void)
{
#ifdef PACKAGE_VERSION
    return PACKAGE_VERSION;
#else
    return "unknown";
#endif
}
