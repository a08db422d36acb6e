/* scrub.c -- the policy (read-only once in use) and the per-thread worker
 * that rewrites one line at a time.
 *
 * The worker owns the only per-line memory: one output buffer that grows to
 * the longest line seen and is then reused, so steady-state scrubbing does
 * not allocate.  Lines without an address are not copied at all.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "logscrub.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ipaddr.h"

struct ls_policy {
    unsigned ipv4_prefix;
    unsigned ipv6_prefix;
    bool keep_private;
    atomic_uint workers; /* > 0: frozen */
};

struct ls_worker {
    const ls_policy *policy;
    char *buf;
    size_t cap;
    ls_counters count;
};

/* What ls_scrub hands out when it cannot build the real output: a line that
 * says so, never the raw input. */
static const char nomem_marker[] = "[logscrub: line removed, out of memory]";

ls_policy *ls_policy_new(void)
{
    ls_policy *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->ipv4_prefix = LS_DEFAULT_IPV4_PREFIX;
    p->ipv6_prefix = LS_DEFAULT_IPV6_PREFIX;
    p->keep_private = false;
    atomic_init(&p->workers, 0);
    return p;
}

void ls_policy_free(ls_policy *p)
{
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
    free(w->buf);
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
    w->buf = b;
    w->cap = cap;
    return true;
}

ls_status ls_scrub(ls_worker *w, const char *in, size_t len, const char **out, size_t *out_len)
{
    const ls_policy *p = w->policy;
    size_t from = 0, o = 0;
    ipmatch m;

    w->count.lines++;
    while (ip_scan(in, len, from, &m)) {
        if (p->keep_private && ip_is_special(&m.addr)) {
            w->count.kept++;
            /* Copy through the kept address as it was written. */
            if (!reserve(w, o + (m.end - from)))
                goto nomem;
            memcpy(w->buf + o, in + from, m.end - from);
            o += m.end - from;
            from = m.end;
            continue;
        }
        ip_truncate(&m.addr, p->ipv4_prefix, p->ipv6_prefix);
        if (m.addr.family == 4 || m.addr.mapped)
            w->count.ipv4++;
        else
            w->count.ipv6++;
        if (!reserve(w, o + (m.start - from) + IP_TEXT_MAX_AS))
            goto nomem;
        memcpy(w->buf + o, in + from, m.start - from);
        o += m.start - from;
        o += ip_format_as(&m.addr, m.form, w->buf + o);
        from = m.end;
    }
    if (from == 0 && o == 0) {
        *out = in;
        *out_len = len;
        return LS_OK;
    }
    if (!reserve(w, o + (len - from)))
        goto nomem;
    memcpy(w->buf + o, in + from, len - from);
    *out = w->buf;
    *out_len = o + (len - from);
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

const char *ls_version(void)
{
#ifdef PACKAGE_VERSION
    return PACKAGE_VERSION;
#else
    return "unknown";
#endif
}
