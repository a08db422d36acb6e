/* prescan.h -- prescans: cheap necessary conditions over a whole line, such
 * that no part of a line failing one can be accepted by the rule it guards,
 * so the rule's regex need not run.  Validators (validate.h) bring one;
 * rules without a validator may name one in the policy.
 *
 * All of them read only text[0, len), never allocate, and are safe to call
 * from any thread (each thread keeps its own line_features).
 */
#ifndef LS_PRESCAN_H
#define LS_PRESCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "rules/validate.h"

/* A prescan: a cheap necessary condition over a whole line, such that no
 * part of a line failing it can be accepted by the rule it guards -- so the
 * rule's regex need not run.  Validators bring one; rules without a
 * validator may name one in the policy. */
typedef enum prescan_kind {
    PS_NONE,
    PS_DIGITS_NARROW, /* min digits in a run of digits with single spaces or dashes between */
    PS_DIGITS_WIDE,   /* min digits in a run of digits, white space and . / - ( ) */
    PS_DIGITS_WIDE_ZERO, /* the same, counting only runs whose first digit is 0 */
    PS_DIGITS_INTL,   /* min digits in a wide run right after '+', "%2B" or a leading "00" */
    PS_IBAN,          /* two letters, two digits, 15 letters and digits in a run */
    PS_BASE64_TAIL,   /* the line ends in 64 base64 characters */
    PS_HEX_PAIRS,     /* six hex pairs joined by ':' or '-' */
    PS_HEX_QUADS      /* three hex quads joined by '.' */
} prescan_kind;

typedef struct prescan_spec {
    prescan_kind kind;
    unsigned min;
} prescan_spec;

/* The prescan implied by a validator (PS_NONE for ipv4, ipv6). */
prescan_spec prescan_of_validator(validator_fn v);

/* A prescan by policy name: "base64-tail", "digit-run-7", "digit-run-9",
 * "zero-digit-run-7", "intl-digit-run-9", "hex-pairs" or "hex-quads".  Returns false
 * for an unknown name. */
bool prescan_find(const char *name, size_t len, prescan_spec *out);

/* Which parts of line_features hold their text's answers. */
enum {
    FEAT_SHAPES = 1, /* narrow_maybe, iban, pairs, quads */
    FEAT_NARROW = 2, /* narrow */
    FEAT_WIDE = 4,   /* wide */
    FEAT_B64 = 8,    /* b64 */
    FEAT_ZERO = 16,  /* wide_zero */
    FEAT_INTL = 32   /* intl */
};

/* The shapes pass only tells whether a narrow run can reach this many
 * digits; a prescan asking for fewer counts them exactly right away. */
#define NARROW_FAST_MIN 11

/* What prescans learn about one text, each part computed when first needed
 * and then shared by every rule that looks at the same text.  Private to
 * validate.c apart from its size: callers only reset and test. */
typedef struct line_features {
    const char *text;
    size_t len;
    unsigned have;         /* which of the parts below are computed */
    bool narrow_maybe;     /* a narrow run may hold 11 or more digits */
    bool iban, pairs, quads, b64;
    unsigned narrow;       /* most digits in a narrow run */
    unsigned wide;         /* ... in a wide run */
    unsigned wide_zero;    /* ... in a wide run whose first digit is 0 */
    unsigned intl;         /* ... in a wide run after an international prefix */
} line_features;

/* Starts features for a new text.  This function can't fail. */
void features_reset(line_features *f, const char *text, size_t len);

/* Computes what p needs and answers prescan_test.  This function can't
 * fail. */
bool prescan_compute(prescan_spec p, line_features *f);

/* Does the text of f pass prescan p?  Answers already known (a rule per
 * line asks several) come back without a call.  This function can't fail. */
static inline bool prescan_test(prescan_spec p, line_features *f)
{
    bool shapes = f->have & FEAT_SHAPES;
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
        if (shapes && !f->narrow_maybe && p.min >= NARROW_FAST_MIN)
            return false;
        break;
    case PS_BASE64_TAIL:
        if (f->have & FEAT_B64)
            return f->b64;
        break;
    default:
        break;
    }
    return prescan_compute(p, f);
}


#endif /* LS_PRESCAN_H */
