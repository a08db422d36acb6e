/* scrub.c -- the policy object (read-only once in use) and the per-thread
 * worker that rewrites one line at a time: addresses first (ipaddr.c), then
 * the policy's rules (rules.c).
 *
 * The worker owns the only per-line memory: buffers that grow to the longest
 * line seen and are then reused, so steady-state scrubbing does not
 * allocate.  Lines without an address or rule match are not copied at all.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "logscrub.h"

#include <stdlib.h>
#include <string.h>

#include "ipaddr.h"
#include "policy.h"

struct ls_worker {
    const ls_policy *policy;
    char *bufs[2]; /* outputs of IP passes; buf is the one being written */
    size_t caps[2];
    char *buf;
    size_t cap;
    int cur;       /* which of bufs buf is */
    /* Pseudonym mode: the addresses this line's passes wrote so far, so a
     * repeat pass copies them through instead of hashing them again. */
    ipaddr done[32];
    size_t ndone;
    rules_scratch rs;
    ls_counters count;
    ls_explain_fn explain;
    void *explain_arg;
};

/* What ls_scrub hands out when it cannot build the real output: a line that
 * says so, never the raw input. */
static const char nomem_marker[] = "[logscrub: line removed, out of memory]";
static const char failed_marker[] = "[logscrub: line removed, a rule failed]";

ls_policy *ls_policy_new(void)
{
    ls_policy *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->ipv4_prefix = LS_DEFAULT_IPV4_PREFIX;
    p->ipv6_prefix = LS_DEFAULT_IPV6_PREFIX;
    p->rotate_seconds = 86400;
    atomic_init(&p->workers, 0);
    return p;
}

void ls_policy_free(ls_policy *p)
{
    if (p == NULL)
        return;
    policy_free_contents(p);
    free(p);
}

ls_status ls_policy_set_prefixes(ls_policy *p, unsigned ipv4_prefix, unsigned ipv6_prefix)
{
    if (atomic_load(&p->workers) > 0)
        return LS_ERR_FROZEN;
    if (ipv4_prefix > 32 || ipv6_prefix > 128)
        return LS_ERR_INVALID;
    p->ipv4_prefix = ipv4_prefix;
    p->ipv6_prefix = ipv6_prefix;
    return LS_OK;
}

ls_status ls_policy_set_keep_private(ls_policy *p, bool keep)
{
    if (atomic_load(&p->workers) > 0)
        return LS_ERR_FROZEN;
    p->keep_private = keep;
    return LS_OK;
}

ls_worker *ls_worker_new(const ls_policy *p)
{
    ls_worker *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    if (!rules_scratch_init(&w->rs, p->rules, p->nrules)) {
        rules_scratch_free(&w->rs);
        free(w);
        return NULL;
    }
    w->policy = p;
    /* The policy is shared read-only from here on; the counter only
     * remembers that it may no longer change. */
    atomic_fetch_add(&((ls_policy *)p)->workers, 1);
    return w;
}

void ls_worker_free(ls_worker *w)
{
    if (w == NULL)
        return;
    atomic_fetch_sub(&((ls_policy *)w->policy)->workers, 1);
    rules_scratch_free(&w->rs);
    free(w->bufs[0]);
    free(w->bufs[1]);
    free(w);
}

/* Makes room for `need` bytes in the output buffer.  On failure the buffer
 * is unchanged and false is returned. */
static bool reserve(ls_worker *w, size_t need)
{
    if (need <= w->cap)
        return true;
    size_t cap = w->cap ? w->cap : 256;
    while (cap < need) {
        if (cap > SIZE_MAX / 2)
            return false;
        cap *= 2;
    }
    char *b = realloc(w->buf, cap);
    if (b == NULL)
        return false;
    memset(b + w->cap, 0, cap - w->cap); /* PCRE2's JIT may read past the text */
    w->buf = w->bufs[w->cur] = b;
    w->cap = w->caps[w->cur] = cap;
    return true;
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

/* The IP pass: rewrites every address of in[0, len) into w->buf (which
 * must not hold `in`).  Returns false when out of memory; otherwise *out
 * is `in` (no address) or w->buf, and *touched tells whether a rewrite may
 * have changed a neighbour's context (see touchy).  `again` marks a pass
 * over text already scrubbed: addresses it leaves as they were are not
 * counted a second time. */
static bool scrub_ips(ls_worker *w, const char *in, size_t len, const char **out,
                      size_t *out_len, bool again, bool *touched)
{
    const ls_policy *p = w->policy;
    size_t from = 0, o = 0;
    bool any = false;
    ipmatch m;

    *touched = false;
    while (ip_scan(in, len, from, &m)) {
        any = true;
        if (!*touched && touchy(in, len, m.start, m.end))
            *touched = true;
        if (p->keep_private && ip_is_special(&m.addr)) {
            if (!again)
                w->count.kept++;
            /* Copy through the kept address as it was written. */
            if (!reserve(w, o + (m.end - from)))
                return false;
            memcpy(w->buf + o, in + from, m.end - from);
            o += m.end - from;
            from = m.end;
            continue;
        }
        /* An address an earlier pass over this line wrote is not scrubbed
         * or counted again, only written out canonically (a rewrite next to
         * it may have exposed another spelling of it). */
        if (!(again && already_scrubbed(w, &m.addr))) {
            if (p->ip_pseudonym) {
                ls_key_ip(p->key, &m.addr, p->ipv4_prefix, p->ipv6_prefix);
                if (w->ndone < sizeof w->done / sizeof w->done[0])
                    w->done[w->ndone++] = m.addr;
            } else {
                ip_truncate(&m.addr, p->ipv4_prefix, p->ipv6_prefix);
            }
            if (m.addr.family == 4 || m.addr.mapped)
                w->count.ipv4++;
            else
                w->count.ipv6++;
        }
        if (!reserve(w, o + (m.start - from) + IP_TEXT_MAX_AS))
            return false;
        memcpy(w->buf + o, in + from, m.start - from);
        o += m.start - from;
        o += ip_format_as(&m.addr, m.form, w->buf + o);
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

/* Adapts the rules engine's explain callback to the public one. */
static void explain_rule(void *arg, size_t rule_index, size_t start, size_t end, bool rejected)
{
    ls_worker *w = arg;
    w->explain(w->explain_arg, w->policy->rules[rule_index].name, start, end, rejected);
}

ls_status ls_scrub(ls_worker *w, const char *in, size_t len, const char **out, size_t *out_len)
{
    const ls_policy *p = w->policy;
    const char *t;
    size_t tlen, bad;

    w->count.lines++;
    w->ndone = 0;
    if (p->ip_pseudonym && p->key == NULL)
        goto failed; /* ls_policy_open_key was not called: never guess */
    bool touched;
    if (!scrub_ips(w, in, len, &t, &tlen, false, &touched))
        goto nomem;
    /* Boundary rules look at a candidate's neighbours, so rewriting one
     * address can make text next to it an address ("::3.0::3.0.3.1" ->
     * "::3.::").  When a rewrite touched such bytes, scan once more. */
    for (int pass = 0; touched && pass < 4; pass++) {
        flip(w);
        if (!scrub_ips(w, t, tlen, &t, &tlen, true, &touched))
            goto nomem;
    }
    *out = t;
    *out_len = tlen;
    if (p->nrules == 0)
        return LS_OK;
    switch (rules_apply(p->rules, p->nrules, p->matcher, &w->rs, p->key, t, tlen, out, out_len,
                        &bad, w->explain ? explain_rule : NULL, w)) {
    case RULES_SAME:
        return LS_OK;
    case RULES_CHANGED:
        /* A rewrite can turn its neighbours into an address the first pass
         * rightly skipped ("0301234567::5077" -> "[phone]::5077"): one
         * more IP pass over the new text.  Its output goes to w->buf, free
         * again since the rules have read it. */
        if (*out == w->buf)
            flip(w); /* cannot happen today: rules write to their own buffers */
        if (!scrub_ips(w, *out, *out_len, out, out_len, true, &touched))
            goto nomem;
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
nomem:
    w->count.fail_closed++;
    *out = nomem_marker;
    *out_len = sizeof nomem_marker - 1;
    return LS_ERR_NOMEM;
}

void ls_worker_counters(const ls_worker *w, ls_counters *c)
{
    *c = w->count;
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

const char *ls_version(void)
{
#ifdef PACKAGE_VERSION
    return PACKAGE_VERSION;
#else
    return "unknown";
#endif
}
