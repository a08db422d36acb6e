/* validate.h -- checksum and shape validators for PII rule candidates:
 * payment cards (Luhn), IBANs, German tax IDs (Steuer-ID) and IP addresses.
 *
 * A rule's regex finds a candidate; its validator decides whether the
 * candidate is the real thing.  They run on every regex candidate, so they
 * are cheap: one pass over the text, no allocation, no locale, no state.
 * All of them are safe to call from any thread.
 *
 * Inputs are (pointer, length) and never NUL-terminated; s may be NULL
 * when len is 0.  The whole of s[0, len) must be the candidate: leading or
 * trailing spaces, brackets or other text make a validator return false.
 */
#ifndef LS_VALIDATE_H
#define LS_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

/* A validator: true when s[0, len) is a valid value of its kind. */
typedef bool (*ls_validator)(const char *s, size_t len);

/* Payment card number: 13 to 19 digits that pass the Luhn mod 10 check.
 * A single space or '-' may separate any two digits and is ignored; a
 * separator at either end or two in a row is rejected.  Numbers made of one
 * digit repeated ("0000 0000 0000 0000") are rejected: they pass Luhn but
 * are fill patterns, not cards.  The issuer prefix (IIN) is not checked. */
bool ls_valid_luhn(const char *s, size_t len);

/* IBAN (ISO 13616): a country code with an IBAN in the registry, two check
 * digits from 02 to 98, then an alphanumeric BBAN, the whole exactly the
 * registry length for that country and congruent to 1 mod 97 after moving
 * the first four characters to the end (ISO 7064 MOD 97-10).  Letters may
 * be upper or lower case.  A single space may separate any two characters
 * (the "DE89 3704 ..." print form) and is ignored; a space at either end or
 * two in a row is rejected.  The per-country BBAN layout is not checked. */
bool ls_valid_iban(const char *s, size_t len);

/* German tax identification number (steuerliche Identifikationsnummer,
 * IdNr): 11 digits, a single space allowed between any two (not at the
 * ends, not doubled).  The first digit is not 0.  In the first 10 digits
 * exactly one digit occurs twice or three times and every other digit at
 * most once; a digit that occurs three times must not fill three adjacent
 * positions.  The 11th digit is the ISO 7064 MOD 11,10 check digit. */
bool ls_valid_steuer_id(const char *s, size_t len);

/* IPv4 dotted quad, exactly as ip_parse_v4 (src/ipaddr.h) accepts it. */
bool ls_valid_ipv4(const char *s, size_t len);

/* IPv6 address in any RFC 4291 text form, exactly as ip_parse_v6 accepts it
 * (no brackets, no zone id). */
bool ls_valid_ipv6(const char *s, size_t len);

/* Looks a validator up by its policy name: "luhn", "iban", "steuer-id",
 * "ipv4" or "ipv6", compared case-sensitively over exactly name[0, len).
 * Returns NULL for any other name, a prefix ("luh") or a longer string
 * ("luhnx") included. */
ls_validator ls_validator_find(const char *name, size_t len);

/* A prescan: a cheap necessary condition over a whole line, such that no
 * part of a line failing it can be accepted by the rule it guards -- so the
 * rule's regex need not run.  Validators bring one; rules without a
 * validator may name one in the policy. */
typedef enum ls_prescan_kind {
    PS_NONE,
    PS_DIGITS_NARROW, /* min digits in a run of digits with single spaces or dashes between */
    PS_DIGITS_WIDE,   /* min digits in a run of digits, white space and . / - ( ) */
    PS_DIGITS_WIDE_ZERO, /* the same, counting only runs whose first digit is 0 */
    PS_DIGITS_INTL,   /* min digits in a wide run right after '+', "%2B" or a leading "00" */
    PS_IBAN,          /* two letters, two digits, 15 letters and digits in a run */
    PS_BASE64_TAIL,   /* the line ends in 64 base64 characters */
    PS_HEX_PAIRS,     /* six hex pairs joined by ':' or '-' */
    PS_HEX_QUADS      /* three hex quads joined by '.' */
} ls_prescan_kind;

typedef struct ls_prescan {
    ls_prescan_kind kind;
    unsigned min;
} ls_prescan;

/* The prescan implied by a validator (PS_NONE for ipv4, ipv6). */
ls_prescan ls_validator_prescan(ls_validator v);

/* A prescan by policy name: "base64-tail", "digit-run-7", "digit-run-9",
 * "zero-digit-run-7", "intl-digit-run-9", "hex-pairs" or "hex-quads".  Returns false
 * for an unknown name. */
bool ls_prescan_find(const char *name, size_t len, ls_prescan *out);

/* Which parts of ls_line_features hold their text's answers. */
enum {
    LS_FEAT_SHAPES = 1, /* narrow_maybe, iban, pairs, quads */
    LS_FEAT_NARROW = 2, /* narrow */
    LS_FEAT_WIDE = 4,   /* wide */
    LS_FEAT_B64 = 8,    /* b64 */
    LS_FEAT_ZERO = 16,  /* wide_zero */
    LS_FEAT_INTL = 32   /* intl */
};

/* The shapes pass only tells whether a narrow run can reach this many
 * digits; a prescan asking for fewer counts them exactly right away. */
#define LS_NARROW_FAST_MIN 11

/* What prescans learn about one text, each part computed when first needed
 * and then shared by every rule that looks at the same text.  Private to
 * validate.c apart from its size: callers only reset and test. */
typedef struct ls_line_features {
    const char *text;
    size_t len;
    unsigned have;         /* which of the parts below are computed */
    bool narrow_maybe;     /* a narrow run may hold 11 or more digits */
    bool iban, pairs, quads, b64;
    unsigned narrow;       /* most digits in a narrow run */
    unsigned wide;         /* ... in a wide run */
    unsigned wide_zero;    /* ... in a wide run whose first digit is 0 */
    unsigned intl;         /* ... in a wide run after an international prefix */
} ls_line_features;

/* Starts features for a new text.  This function can't fail. */
void ls_features_reset(ls_line_features *f, const char *text, size_t len);

/* Computes what p needs and answers ls_prescan_test.  This function can't
 * fail. */
bool ls_prescan_compute(ls_prescan p, ls_line_features *f);

/* Does the text of f pass prescan p?  Answers already known (a rule per
 * line asks several) come back without a call.  This function can't fail. */
static inline bool ls_prescan_test(ls_prescan p, ls_line_features *f)
{
    bool shapes = f->have & LS_FEAT_SHAPES;
    switch (p.kind) {
    case PS_NONE:
        return true;
    case PS_IBAN:
        if (shapes)
            return f->iban;
        break;
    case PS_HEX_PAIRS:
        if (shapes)
            return f->pairs;
        break;
    case PS_HEX_QUADS:
        if (shapes)
            return f->quads;
        break;
    case PS_DIGITS_NARROW:
        if (shapes && !f->narrow_maybe && p.min >= LS_NARROW_FAST_MIN)
            return false;
        break;
    case PS_BASE64_TAIL:
        if (f->have & LS_FEAT_B64)
            return f->b64;
        break;
    default:
        break;
    }
    return ls_prescan_compute(p, f);
}

/* For tests and benchmarks: the widest vector code every thread may use to
 * compute features.  LS_SIMD_AUTO (the default) lets each CPU pick its
 * best; the others cap it, so each code path can be run on a CPU that has
 * them all.  This function can't fail. */
typedef enum ls_simd_limit {
    LS_SIMD_AUTO = 0,
    LS_SIMD_BASELINE, /* SSE2 (x86-64 baseline) or portable C */
    LS_SIMD_AVX2,
    LS_SIMD_AVX512
} ls_simd_limit;
void ls_prescan_simd_limit(ls_simd_limit limit);

#endif /* LS_VALIDATE_H */
