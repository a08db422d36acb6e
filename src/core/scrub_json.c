/* scrub_json.c -- the JSON path of the scrubber: formats/json.c rewrites
 * the line, and each of its strings goes through the text path here,
 * decoded, so a rule sees "a@example.com" where the line says
 * "a\u0040example.com".
 *
 * Keys go through scrub_text like values: a key is usually a plain name
 * that nothing changes, but maps keyed by client address or by e-mail
 * address are common, and nothing personal may pass because it sits left
 * of a colon.  A member's value is scrubbed with its key in front
 * (scrub_member), because the rules were written for JSON read as text and
 * find many values by the key before them ("tin", "telefon", and the
 * "message-id" whose <...@...> is no e-mail address).  Whatever stops the
 * text path (a drop-line rule, a failing rule, no memory) stops the line:
 * its result is the text path's, for the whole line, as in text.
 *
 * Addresses are masked as the strings read once decoded, which is what
 * every program that reads JSON sees.  Read as plain bytes, an escape's hex
 * digits can join the text after them into an address the strings do not
 * hold ("\u0001::ffff:198.51.100.0", decoded a control byte and a masked
 * IPv4-mapped address, reads as 1::ffff:c633:6400).  Masking that reading
 * too would break the escape and the line's JSON, and hide no data: the
 * digits are the escape's.  So it is left alone, by decision.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "core/worker.h"

#include <string.h>

/* Why a string's scrubbing stopped the line (json_string_fn codes). */
enum { STOP_DROP = 1, STOP_FAILED, STOP_NOMEM };

typedef struct json_ctx {
    ls_worker *w;
    const char *marker; /* the text path's fail-closed output, on STOP_* */
    size_t marker_len;
} json_ctx;

static int on_string(void *arg, enum json_str kind, const char *s, size_t n, const char **out,
                     size_t *out_len)
{
    json_ctx *c = arg;
    ls_worker *w = c->w;
    uint64_t failed = w->count.fail_closed;
    ls_status st = kind == JSON_STR_MEMBER ? scrub_member(w, s, n, out, out_len)
                                           : scrub_text(w, s, n, out, out_len);
    if (st == LS_OK && kind == JSON_STR_KEY && w->count.fail_closed == failed) {
        /* The context of the member's value: "KEY":" as the key now reads. */
        if (*out_len > SIZE_MAX - 4 || !scrub_grow(&w->ctx, &w->ctx_cap, *out_len + 4)) {
            c->marker_len = 0;
            return STOP_NOMEM;
        }
        w->ctx[0] = '"';
        memcpy(w->ctx + 1, *out, *out_len);
        memcpy(w->ctx + 1 + *out_len, "\":\"", 3);
        w->ctx_len = *out_len + 4;
    }
    if (st == LS_DROPPED)
        return STOP_DROP;
    if (st == LS_ERR_NOMEM || c->w->count.fail_closed != failed) {
        /* *out is a marker, which stands for the whole line. */
        c->marker = *out;
        c->marker_len = *out_len;
        return st == LS_ERR_NOMEM ? STOP_NOMEM : STOP_FAILED;
    }
    return 0;
}

/* Is s[0, n) empty or white space only?  Such a line in a JSON log holds
 * nothing to parse, and is not counted as unparsed. */
static bool blank(const char *s, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (s[k] != ' ' && s[k] != '\t' && s[k] != '\r')
            return false;
    return true;
}

ls_status scrub_json(ls_worker *w, const char *in, size_t len, const char **out,
                     size_t *out_len)
{
    const ls_policy *p = w->policy;
    json_ctx c = {.w = w};
    int stop = 0;
    json_result r = json_rewrite(&w->js, in, len, p->sensitive.n > 0 ? &p->sensitive : NULL,
                                 on_string, &c, &stop);
    w->ctx_len = 0;
    switch (r) {
    case JSON_SAME:
    case JSON_CHANGED:
        w->rec.parsed = true;
        *out = r == JSON_SAME ? in : w->js.out;
        *out_len = r == JSON_SAME ? len : w->js.out_len;
        return LS_OK;
    case JSON_INVALID:
        /* Counted with -f auto too: a line that opens with '{' and is not
         * JSON is worth a look (web-log guesses are not counted, see
         * fields.c: most text lines start with a letter). */
        if (!blank(in, len))
            w->unparsed++;
        return scrub_text(w, in, len, out, out_len);
    case JSON_STOPPED:
        if (stop == STOP_DROP)
            return LS_DROPPED; /* counted by scrub_text */
        if (stop == STOP_NOMEM && c.marker_len == 0)
            break;
        *out = c.marker;
        *out_len = c.marker_len;
        return stop == STOP_NOMEM ? LS_ERR_NOMEM : LS_OK;
    case JSON_NOMEM:
        break;
    }
    return scrub_nomem(w, out, out_len);
}
