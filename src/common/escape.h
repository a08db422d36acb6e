/* escape.h -- reading the escape sequences log text uses to spell a byte:
 * URL "%XX", JSON "\uXXXX", C-style "\xHH" and "\.", HTML "&#NN;", "&#xHH;"
 * and a few named entities.  The IP scanner and the rule engine both look
 * through them (an address or an e-mail address written with escapes is
 * still one), and both write replacements back in the escape they found.
 *
 * Only the decoding of one sequence at one offset lives here, inline and
 * table-driven, so the hot loops that ask pay a load and a compare when the
 * byte is not an escape.  Nothing allocates; any thread may call in.
 */
#ifndef LS_ESCAPE_H
#define LS_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* One more than the value of a hex digit; 0 for any other byte. */
extern const uint8_t esc_hexv1[256];

/* The kinds of escape, as esc_decode_at reports them and esc_encode writes
 * them.  ESC_NONE is a plain byte. */
typedef enum esc_kind {
    ESC_NONE = 0,
    ESC_PCT,         /* "%2E" (either case of hex digit; the case is kept in flags) */
    ESC_JSON_U,      /* "\u002e" (only code points below 0x80 decode to a byte) */
    ESC_BACKSLASH_X, /* "\x2e" */
    ESC_BACKSLASH,   /* "\." : a backslash before a punctuation byte */
    ESC_HTML_DEC,    /* "&#46;" */
    ESC_HTML_HEX,    /* "&#x2e;" or "&#X2E;" */
    ESC_HTML_NAMED   /* "&period;", "&colon;", "&commat;", "&amp;", ... */
} esc_kind;

/* What one escape decoded to. */
typedef struct esc_seq {
    uint8_t byte; /* the byte it spells */
    uint8_t len;  /* bytes of text it takes (1 for ESC_NONE) */
    uint8_t kind; /* an esc_kind */
    bool upper;   /* hex digits in upper case ("%2E", "&#X2E;"), for writing back */
} esc_seq;

/* Longest escape esc_decode_at reads ("&#x0002e;" style padding is not
 * accepted, so "&commat;" and "\u002e" are the longest, 8 and 6 bytes). */
#define ESC_MAX_LEN 8

/* Which kinds esc_decode_at may decode, as a bit set of (1u << kind). */
#define ESC_ALL                                                                               \
    ((1u << ESC_PCT) | (1u << ESC_JSON_U) | (1u << ESC_BACKSLASH_X) | (1u << ESC_BACKSLASH) | \
     (1u << ESC_HTML_DEC) | (1u << ESC_HTML_HEX) | (1u << ESC_HTML_NAMED))

/* Decodes the escape of a kind in `kinds` that starts at s[i] (i < len).
 * Returns true and fills *e when there is one; false when s[i] starts no
 * such escape (then *e is {s[i], 1, ESC_NONE}).  Never reads outside
 * s[0, len).  "%XX" decodes to any byte; the others only to bytes below
 * 0x80 (wider code points are not what an address or a token is made of).
 * This function can't fail. */
bool esc_decode_at(const char *s, size_t len, size_t i, unsigned kinds, esc_seq *e);

/* Writes byte b the way escape kind `kind` spells it (ESC_NONE: the byte
 * itself; `upper` picks the case of hex digits; ESC_HTML_NAMED falls back
 * to ESC_HTML_DEC for a byte without a name; ESC_BACKSLASH writes "\"
 * before punctuation and the plain byte otherwise) into out, which holds
 * ESC_MAX_LEN bytes.  Returns the length written.  This function can't
 * fail. */
size_t esc_encode(uint8_t b, esc_kind kind, bool upper, char *out);

/* Is s[i] the first byte of a possible escape ('%', '\\' or '&')?  A cheap
 * test for hot loops before calling esc_decode_at. */
static inline bool esc_may_start(char c)
{
    return c == '%' || c == '\\' || c == '&';
}

#endif /* LS_ESCAPE_H */
