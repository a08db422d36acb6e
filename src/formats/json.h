/* json.h -- rewriting one JSON value (a line of a JSON-lines log) in place:
 * every string is decoded and handed to a callback, which may replace it;
 * values of sensitive keys are replaced whole; every other byte of the line
 * is kept as it was.  Library-internal.
 *
 * This module knows JSON, not scrubbing: what a string becomes is the
 * caller's business (src/core/scrub_json.c runs the text path on it).  It
 * never recurses on the input's nesting, so "[[[[..." costs a bounded stack
 * whatever its depth, and it allocates only by growing the scratch buffers
 * it is given.
 *
 * What it accepts is JSON (RFC 8259) with the leniency logs need: bytes
 * that are not valid UTF-8 and raw control characters inside strings are
 * taken as they are, a lone surrogate escape ("\ud800") decodes to its
 * three-byte WTF-8 form, and NaN, Infinity and -Infinity (Python's
 * json.dumps writes them) are literals like true.  Anything else that is
 * not JSON makes the whole line invalid.
 */
#ifndef LS_JSON_H
#define LS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deepest nesting of objects and arrays a line may have; deeper is
 * invalid.  Real logs nest a handful of levels; Sentry events about ten. */
#define JSON_MAX_DEPTH 128

/* The text a sensitive key's value becomes (a JSON string, quotes
 * included), as Sentry's own scrubber writes it. */
#define JSON_FILTERED "\"[Filtered]\""

/* A set of object keys matched without regard to ASCII case, and with '-'
 * and '_' the same ("Set-Cookie" is "set_cookie"; "X-Api-Key" is
 * "x_api_key").  Names are compared whole, after decoding. */
typedef struct json_keyset {
    char **names;    /* folded so; names[k] is lens[k] bytes, NUL after */
    size_t *lens;
    size_t n;
    uint64_t by_len; /* bit L set when a name of length L (< 64) is in the set */
    bool has_long;   /* some name is 64 bytes or longer */
} json_keyset;

/* The keys whose values are replaced by default (see logscrub-policy(5)),
 * NULL-terminated. */
extern const char *const json_default_sensitive_keys[];

/* Fills *ks with copies of names[0, n) (each names[k] is lens[k] bytes).
 * Returns false when out of memory; *ks is then empty and safe to free. */
bool json_keyset_init(json_keyset *ks, const char *const *names, const size_t *lens, size_t n);

/* Frees what json_keyset_init allocated and empties *ks.  Accepts an
 * empty set. */
void json_keyset_free(json_keyset *ks);

/* Are a[0, an) and b[0, bn) the same key for a set?  This function can't
 * fail. */
bool json_key_same(const char *a, size_t an, const char *b, size_t bn);

/* Is key[0, n) in the set?  This function can't fail. */
bool json_keyset_has(const json_keyset *ks, const char *key, size_t n);

/* Buffers a rewrite needs; they grow to the longest line and are reused.
 * Zero-initialise; free with json_scratch_free. */
typedef struct json_scratch {
    char *dec; /* the current string, decoded */
    size_t dec_cap;
    char *out; /* the rewritten line */
    size_t out_cap, out_len;
} json_scratch;

void json_scratch_free(json_scratch *js);

/* What a string is, for the callback. */
enum json_str {
    JSON_STR_KEY,     /* an object's key */
    JSON_STR_MEMBER,  /* the value of the key the last JSON_STR_KEY call had */
    JSON_STR_ELEMENT  /* an array's element, or the line's one value */
};

/* Called for every string of the line, in order (the values of sensitive
 * keys excepted: those are replaced unread), with its decoded text
 * s[0, n).  Sets *out, *out_len to what the string becomes (s itself, or
 * memory that stays valid until the next call) and returns 0, or returns a
 * non-zero code that stops the rewrite (json_rewrite passes it on). */
typedef int (*json_string_fn)(void *arg, enum json_str kind, const char *s, size_t n,
                              const char **out, size_t *out_len);

typedef enum json_result {
    JSON_SAME,    /* nothing changed: the input stands */
    JSON_CHANGED, /* the rewritten line is js->out[0, js->out_len) */
    JSON_INVALID, /* not JSON (or nested deeper than JSON_MAX_DEPTH) */
    JSON_STOPPED, /* the callback stopped it; *stop holds its code */
    JSON_NOMEM
} json_result;

/* Checks that in[0, len) is one JSON value with only white space around it,
 * without calling anything or allocating.  This function can't fail. */
bool json_valid(const char *in, size_t len);

/* Rewrites in[0, len), which must be one JSON value with only white space
 * around it: each string goes through fn (keys with kind JSON_STR_KEY), a
 * changed one is written back JSON-escaped, and the value of every key in
 * `sensitive` (NULL: none) becomes JSON_FILTERED, whatever its type and
 * wherever it is.  Numbers, literals, white space and unchanged strings keep
 * their bytes; a changed string keeps the spelling of the part before and
 * after its change ("\u00e9", "\/" stay as written there).  On JSON_INVALID,
 * which is returned before fn is called for the first time, nothing was
 * called; on JSON_STOPPED and JSON_NOMEM fn may have been called for some of
 * the strings. */
json_result json_rewrite(json_scratch *js, const char *in, size_t len,
                         const json_keyset *sensitive, json_string_fn fn, void *arg, int *stop);

#endif /* LS_JSON_H */
