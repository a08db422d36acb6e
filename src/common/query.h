/* query.h -- percent-decoded views of URL queries and key=value runs, so
 * that the PII rules see what a person reading the URL sees.
 *
 * A rule's boundary "(?<![A-Za-z0-9])" reads the hex digits of "%20" as
 * part of a word, so "q=some%20iban:%20DE89370400440532013000" hides the
 * IBAN, and "4012+8888+8888+1881" (a form-encoded "4012 8888 8888 1881")
 * hides the card.  This module finds the tokens of a line that carry such
 * escapes, decodes one into a side buffer with a map from decoded bytes
 * back to the encoded ones, and writes a rewritten decoded token back in the
 * token's own encoding.  Which rules run on the view is rules.c's business
 * (rules_apply_queries); this file only knows bytes.
 *
 * A token is a maximal run of bytes other than controls, space, DEL and
 * '"' (the quotes of a request line, a referrer or a JSON string end it;
 * a URL keeps its quotes, spaces and controls escaped).  A token is
 * decoded when it holds
 *   - a "%XX" escape and a '?' or '=' (a URL with a query, or a key=value
 *     run such as a logged form body), or
 *   - a '+' after its first '?' (a query written form style).
 * Tokens without escapes, paths without a query ("/files/a%20b.pdf") and
 * '+' outside a query ("1.4.2+4929...", "+0000]") are never decoded.
 *
 * Decoding: "%XX" is the byte XX everywhere in the token (path, query and
 * fragment); "%25XX" -- a URL encoded twice -- is the byte XX too, and so
 * on up to QS_MAX_LEVELS levels.  '+' in the query part (after the first
 * '?', or the whole token when it has no '?') is read one of two ways,
 * because logs hold both, and the token says which: one that spells a
 * space "%20" (or "%2520") writes its '+' as it is, QS_PLUS_LITERAL (a
 * client that escapes only what it must: "?to=+41%2022%20730%205989");
 * any other reads as a form does, QS_PLUS_SPACE ("q=4012+8888+8888+1881"),
 * except that a '+' before a digit and after a byte that is no letter or
 * digit stays a '+', the sign of "+41" in "q=+41+22+730+5989".  Everything
 * else is copied.  One reading per token: trying both would let each one's
 * mistakes through ("password:+{{" read as written is a password).
 *
 * Writing back: a byte of the rewritten view that came from the token is
 * written as the token spelled it (so "%20", "+" and "%2540" survive
 * where a rule kept them, and the last four digits a keep-last rule keeps
 * stay in their encoding); a byte a rule wrote is written as itself unless
 * it would change how the URL reads or break the log line (controls,
 * space, DEL, non-ASCII, '"', '%', '&', '+', '#', '\\', '<', '>'), which
 * are written "%XX".  So "[email]" stays readable.
 *
 * Nothing allocates; any thread may call in.
 */
#ifndef LS_QUERY_H
#define LS_QUERY_H

#include <stdbool.h>
#include <stddef.h>

/* How many times "%25" may introduce one more level of encoding:
 * "%2540" is one level more than "%40", "%252540" two. */
#define QS_MAX_LEVELS 3

/* What qs_decode makes of a '+' in the query part. */
typedef enum qs_plus {
    QS_PLUS_LITERAL, /* '+' */
    QS_PLUS_SPACE    /* ' ' (except the sign of a number, see above) */
} qs_plus;

/* A token worth decoding: text[start, end) of the line, and how its '+'
 * reads. */
typedef struct qs_token {
    size_t start, end;
    bool plus_space; /* QS_PLUS_SPACE, else QS_PLUS_LITERAL */
} qs_token;

/* Walks the tokens of one line.  Set up by qs_iter_init; the state keeps
 * where the next '%' and '?' are (every token worth decoding holds one), so
 * a whole walk reads each byte a small constant number of times however
 * many tokens the line has, and a line with neither costs two memchr. */
typedef struct qs_iter {
    const char *s;
    size_t len, pos;
    size_t pct_at, q_at; /* next '%' / '?' at or after pos, or len */
} qs_iter;

/* The gate of the hot path: false when qs_next certainly finds nothing in
 * s[0, len) -- no '%', and no '?' with a '%' or '+' after it.  A vector
 * pass to the first '%' or '?', and two memchr after a '?'.  This function
 * can't fail. */
bool qs_may_decode(const char *s, size_t len);

/* Starts a walk over s[0, len).  This function can't fail. */
void qs_iter_init(qs_iter *it, const char *s, size_t len);

/* Finds the next token worth decoding (see above) and fills *t.  Returns
 * false when there is none left.  Tokens come in order and do not
 * overlap.  This function can't fail. */
bool qs_next(qs_iter *it, qs_token *t);

/* Decodes tok[0, n) (a token from qs_next) into dec, which holds n bytes,
 * and writes into map, which holds n + 1 entries, where each decoded byte
 * starts in tok: decoded byte i is tok[map[i], map[i + 1]), and
 * map[length] == n.  map may be NULL (most views are not rewritten, and
 * need no map).  Returns the decoded length (at most n).  This function
 * can't fail. */
size_t qs_decode(const char *tok, size_t n, qs_plus plus, char *dec, size_t *map);

/* Provenance of a rewritten byte that no byte of the view was copied to. */
#define QS_NEW ((size_t)-1)

/* The length qs_encode writes for the rewritten view v[0, vlen), whose
 * byte j was copied from decoded byte prov[j] - base (or is QS_NEW), of
 * the token tok whose map qs_decode wrote.  (`base` is where the decoded
 * token starts in the text the rules saw.)  This function can't fail. */
size_t qs_encoded_len(const size_t *map, size_t base, const char *v, const size_t *prov,
                      size_t vlen);

/* Writes the rewritten view back in the token's encoding (see above) into
 * dst, which holds qs_encoded_len bytes.  Returns the length written.
 * This function can't fail. */
size_t qs_encode(const char *tok, const size_t *map, size_t base, const char *v, const size_t *prov,
                 size_t vlen, char *dst);

#endif /* LS_QUERY_H */
