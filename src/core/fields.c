/* fields.c -- the policy's field actions (fields:, time.precision) on one
 * line, before the text path (IP passes, rules) sees it.
 *
 * A line in an access-log or error-log format is parsed only when an action
 * needs its fields: the default (remote_user replaced, nothing else) skips
 * the parse for the usual "ADDR - - [" line, so the nginx path costs one
 * look at the first token.  The record the parser fills describes the raw
 * line (record.h); the rewritten copy goes to w->fline.  Whatever the
 * parser thinks, the text path then covers the whole line.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "core/worker.h"
#include "formats/timefmt.h"
#include "formats/useragent.h"
#include "formats/weblog.h"
#include "key/pseudonym.h"

/* Bytes a rewrite of one field may add: a pseudonym ("user:" + token) or a
 * generalised user agent replace text that may be shorter. */
#define FIELD_GROWTH (KEY_TOKEN_MAX + UA_GENERAL_MAX + 16)

/* The scheme and host of the URL u[0, n) ("https://example.com/a?b" ->
 * "https://example.com"): its length, or n when it is no absolute URL. */
static size_t origin_len(const char *u, size_t n)
{
    const char *sep = n > 3 ? memchr(u, ':', n < 16 ? n : 16) : NULL;
    if (sep == NULL || (size_t)(sep - u) + 3 > n || sep[1] != '/' || sep[2] != '/')
        return n;
    size_t k = (size_t)(sep - u) + 3;
    while (k < n && u[k] != '/' && u[k] != '?' && u[k] != '#')
        k++;
    return k;
}

/* Appends `add` for the span sp of in, after copying in[*from, sp.start). */
static void put_field(char *dst, size_t *o, const char *in, size_t *from, span sp, const char *add,
                      size_t addn)
{
    memcpy(dst + *o, in + *from, sp.start - *from);
    *o += sp.start - *from;
    memcpy(dst + *o, add, addn);
    *o += addn;
    *from = sp.end;
}

bool fields_wanted(const ls_policy *p)
{
    return !p->fields.off;
}

ls_status fields_line(ls_worker *w, rec_format fmt, const char *in, size_t len, const char **out,
                      size_t *out_len)
{
    const ls_policy *p = w->policy;
    const field_actions *fa = &p->fields;
    *out = in;
    *out_len = len;
    bool web = fmt == FMT_ACCESS || fmt == FMT_ERROR_NGINX || fmt == FMT_ERROR_APACHE;
    bool user = fa->remote_user == USER_REPLACE;
    bool need = web && (fa->user_agent != UA_KEEP || fa->referrer != REF_KEEP ||
                        (user && !(fmt == FMT_ACCESS && access_no_user(in, len))));
    bool parsed = false;
    if (need) {
        record *r = &w->rec;
        parsed = fmt == FMT_ACCESS         ? access_parse(in, len, r)
                 : fmt == FMT_ERROR_NGINX ? nginx_error_parse(in, len, r)
                                          : apache_error_parse(in, len, r);
        if (!parsed) {
            record_reset(r);
            if (p->format != FMT_AUTO)
                w->unparsed++; /* declared, and wrong: scrubbed as text */
        }
    }
    bool cut = p->time_precision != TIME_SECOND;
    if (!parsed && !cut)
        return LS_OK;
    if (!scrub_grow(&w->fline, &w->fline_cap, len + FIELD_GROWTH + 1))
        return LS_ERR_NOMEM;
    char *dst = w->fline;
    size_t o = 0, from = 0;
    if (parsed) {
        const record *r = &w->rec;
        /* Spans in line order: remote_user, then referrer, then agent. */
        span ru = r->remote_user;
        if (user && span_present(ru) && !(ru.end - ru.start == 1 && in[ru.start] == '-')) {
            char tok[KEY_TOKEN_MAX + 8];
            size_t tn;
            if (p->key) {
                memcpy(tok, "user:", 5);
                tn = 5 + key_token(p->key, in + ru.start, ru.end - ru.start, tok + 5);
            } else {
                memcpy(tok, "[user]", 6);
                tn = 6;
            }
            put_field(dst, &o, in, &from, ru, tok, tn);
        }
        span rf = r->referrer;
        if (fa->referrer == REF_ORIGIN && span_present(rf)) {
            size_t keep = origin_len(in + rf.start, rf.end - rf.start);
            span cutoff = {(uint32_t)(rf.start + keep), rf.end};
            if (keep < rf.end - rf.start)
                put_field(dst, &o, in, &from, cutoff, "", 0);
        }
        span ua = r->user_agent;
        if (fa->user_agent != UA_KEEP && span_present(ua)) {
            char g[UA_GENERAL_MAX];
            size_t gn = 1;
            if (fa->user_agent == UA_DROP)
                g[0] = '-';
            else
                gn = ua_generalise(in + ua.start, ua.end - ua.start, g);
            put_field(dst, &o, in, &from, ua, g, gn);
        }
    }
    memcpy(dst + o, in + from, len - from);
    o += len - from;
    if (cut)
        time_cut_all(dst, o, (enum time_precision)p->time_precision);
    if (o == len && memcmp(dst, in, len) == 0)
        return LS_OK; /* nothing changed: stay zero-copy */
    *out = dst;
    *out_len = o;
    return LS_OK;
}
