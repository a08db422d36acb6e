/* validate.c -- the validators behind a rule's `validator:` key: Luhn for
 * payment cards, ISO 13616 for IBANs, the German Steuer-ID rules, and IP
 * addresses through the IP engine's parsers.
 *
 * This file owns only checks on one candidate; finding candidates is the
 * rule engine's job (rules.c).  Every function reads its input once, keeps
 * its state in a few locals and never allocates, so the cost per regex
 * candidate stays at a few nanoseconds and any thread may call in.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "validate.h"

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "ipaddr.h"

#define IS_DIGIT(c) ((unsigned char)((c) - '0') <= 9)

/* ---------------------------------------------------------------------
 * Payment cards
 * ------------------------------------------------------------------- */

/* Card numbers are 13 to 19 digits (ISO/IEC 7812). */
#define LUHN_MIN 13
#define LUHN_MAX 19

bool ls_valid_luhn(const char *s, size_t len)
{
    /* Digits plus at most one separator between each pair. */
    if (len < LUHN_MIN || len > 2 * LUHN_MAX - 1)
        return false;

    /* Right to left, so the doubling starts at the second-to-last digit
     * whatever the length. */
    unsigned n = 0, sum = 0;
    bool after_digit = false, all_same = true;
    char first = 0;
    for (size_t i = len; i-- > 0;) {
        char c = s[i];
        if (IS_DIGIT(c)) {
            unsigned d = (unsigned)(c - '0');
            if (n & 1) {
                d *= 2;
                if (d > 9)
                    d -= 9;
            }
            sum += d;
            if (n == 0)
                first = c;
            else if (c != first)
                all_same = false;
            if (++n > LUHN_MAX)
                return false;
            after_digit = true;
        } else if ((c == ' ' || c == '-') && after_digit) {
            after_digit = false; /* a separator must have a digit on each side */
        } else {
            return false;
        }
    }
    return after_digit && n >= LUHN_MIN && !all_same && sum % 10 == 0;
}

/* ---------------------------------------------------------------------
 * IBAN
 * ------------------------------------------------------------------- */

/* ISO 13616 caps an IBAN at 34 characters; the longest registered today is
 * Russia's 33. */
#define IBAN_MAX 34

#define CC(a, b) [(a) - 'A'][(b) - 'A']

/* IBAN length by country, from the SWIFT IBAN registry (ISO 13616); 0 for
 * countries without one.  Dependent territories that use their parent's
 * code (GF, GP, RE ... as FR; JE, GG, IM as GB; AX as FI) are not listed. */
static const uint8_t iban_len[26][26] = {
    CC('A', 'D') = 24, CC('A', 'E') = 23, CC('A', 'L') = 28, CC('A', 'T') = 20, CC('A', 'Z') = 28,
    CC('B', 'A') = 20, CC('B', 'E') = 16, CC('B', 'G') = 22, CC('B', 'H') = 22, CC('B', 'I') = 27,
    CC('B', 'R') = 29, CC('B', 'Y') = 28, CC('C', 'H') = 21, CC('C', 'R') = 22, CC('C', 'Y') = 28,
    CC('C', 'Z') = 24, CC('D', 'E') = 22, CC('D', 'J') = 27, CC('D', 'K') = 18, CC('D', 'O') = 28,
    CC('E', 'E') = 20, CC('E', 'G') = 29, CC('E', 'S') = 24, CC('F', 'I') = 18, CC('F', 'K') = 18,
    CC('F', 'O') = 18, CC('F', 'R') = 27, CC('G', 'B') = 22, CC('G', 'E') = 22, CC('G', 'I') = 23,
    CC('G', 'L') = 18, CC('G', 'R') = 27, CC('G', 'T') = 28, CC('H', 'N') = 28, CC('H', 'R') = 21,
    CC('H', 'U') = 28, CC('I', 'E') = 22, CC('I', 'L') = 23, CC('I', 'Q') = 23, CC('I', 'S') = 26,
    CC('I', 'T') = 27, CC('J', 'O') = 30, CC('K', 'W') = 30, CC('K', 'Z') = 20, CC('L', 'B') = 28,
    CC('L', 'C') = 32, CC('L', 'I') = 21, CC('L', 'T') = 20, CC('L', 'U') = 20, CC('L', 'V') = 21,
    CC('L', 'Y') = 25, CC('M', 'C') = 27, CC('M', 'D') = 24, CC('M', 'E') = 22, CC('M', 'K') = 19,
    CC('M', 'N') = 20, CC('M', 'R') = 27, CC('M', 'T') = 31, CC('M', 'U') = 30, CC('N', 'I') = 28,
    CC('N', 'L') = 18, CC('N', 'O') = 15, CC('O', 'M') = 23, CC('P', 'K') = 24, CC('P', 'L') = 28,
    CC('P', 'S') = 29, CC('P', 'T') = 25, CC('Q', 'A') = 29, CC('R', 'O') = 24, CC('R', 'S') = 22,
    CC('R', 'U') = 33, CC('S', 'A') = 24, CC('S', 'C') = 31, CC('S', 'D') = 18, CC('S', 'E') = 24,
    CC('S', 'I') = 19, CC('S', 'K') = 24, CC('S', 'M') = 27, CC('S', 'O') = 23, CC('S', 'T') = 25,
    CC('S', 'V') = 28, CC('T', 'L') = 23, CC('T', 'N') = 24, CC('T', 'R') = 26, CC('U', 'A') = 29,
    CC('V', 'A') = 22, CC('V', 'G') = 24, CC('X', 'K') = 20, CC('Y', 'E') = 30,
};

#undef CC

/* ISO 13616 value of an IBAN character: 0-9 for digits, 10-35 for letters
 * of either case, -1 for anything else. */
static int iban_value(char c)
{
    if (IS_DIGIT(c))
        return c - '0';
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    return -1;
}

/* Folds one character into a running mod 97 remainder.  A letter stands for
 * two decimal digits, so it shifts by 100; rem < 97 keeps everything far
 * below UINT_MAX. */
static unsigned mod97_add(unsigned rem, int v)
{
    return v < 10 ? (rem * 10 + (unsigned)v) % 97 : (rem * 100 + (unsigned)v) % 97;
}

bool ls_valid_iban(const char *s, size_t len)
{
    /* 2-letter country, 2 check digits and a non-empty BBAN; at most one
     * space between characters. */
    if (len < 5 || len > 2 * IBAN_MAX - 1)
        return false;

    /* Compact copy (values, not text): the check moves the first four
     * characters to the end, which is easier on an array than on text with
     * spaces in it. */
    int v[IBAN_MAX];
    size_t n = 0;
    bool after_char = false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == ' ') {
            if (!after_char)
                return false;
            after_char = false;
            continue;
        }
        int x = iban_value(s[i]);
        if (x < 0 || n == IBAN_MAX)
            return false;
        v[n++] = x;
        after_char = true;
    }
    if (!after_char || n < 5)
        return false;

    if (v[0] < 10 || v[1] < 10 || v[2] > 9 || v[3] > 9)
        return false;
    if (iban_len[v[0] - 10][v[1] - 10] != n)
        return false; /* unknown country (0) or wrong length */
    /* 00, 01 and 99 never come out of the check digit computation (98 - r
     * for r in 0..96), but 00/97, 01/98 and 02/99 agree mod 97. */
    int check = v[2] * 10 + v[3];
    if (check < 2 || check > 98)
        return false;

    unsigned rem = 0;
    for (size_t i = 4; i < n; i++)
        rem = mod97_add(rem, v[i]);
    for (size_t i = 0; i < 4; i++)
        rem = mod97_add(rem, v[i]);
    return rem == 1;
}

/* ---------------------------------------------------------------------
 * Steuer-ID
 * ------------------------------------------------------------------- */

#define STEUER_ID_DIGITS 11

bool ls_valid_steuer_id(const char *s, size_t len)
{
    if (len < STEUER_ID_DIGITS || len > 2 * STEUER_ID_DIGITS - 1)
        return false;

    uint8_t d[STEUER_ID_DIGITS];
    size_t n = 0;
    bool after_digit = false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == ' ') {
            if (!after_digit)
                return false;
            after_digit = false;
        } else if (IS_DIGIT(s[i]) && n < STEUER_ID_DIGITS) {
            d[n++] = (uint8_t)(s[i] - '0');
            after_digit = true;
        } else {
            return false;
        }
    }
    if (!after_digit || n != STEUER_ID_DIGITS || d[0] == 0)
        return false;

    /* Digit frequencies in the first 10 digits: exactly one digit twice or
     * three times, the others at most once -- so 9 or 8 distinct digits. */
    unsigned count[10] = {0};
    unsigned repeated = 0, max = 0;
    for (size_t i = 0; i < 10; i++) {
        unsigned c = ++count[d[i]];
        if (c == 2)
            repeated++;
        if (c > max)
            max = c;
    }
    if (repeated != 1 || max > 3)
        return false;
    /* A digit that occurs three times may not fill three adjacent places.
     * Only the tripled digit can, so any run of three is the violation. */
    for (size_t i = 0; i + 2 < 10; i++)
        if (d[i] == d[i + 1] && d[i] == d[i + 2])
            return false;

    /* ISO 7064 MOD 11,10 (hybrid system): p starts at 10; per digit,
     * t = (p + digit) mod 10 with 0 read as 10, then p = 2t mod 11.  The
     * check digit is 11 - p, with 10 written as 0. */
    unsigned p = 10;
    for (size_t i = 0; i < 10; i++) {
        unsigned t = (p + d[i]) % 10;
        if (t == 0)
            t = 10;
        p = (2 * t) % 11;
    }
    unsigned check = 11 - p;
    if (check == 10)
        check = 0;
    return d[10] == check;
}

/* ---------------------------------------------------------------------
 * IP addresses and the name table
 * ------------------------------------------------------------------- */

bool ls_valid_ipv4(const char *s, size_t len)
{
    ipaddr ip;
    return len > 0 && ip_parse_v4(s, len, &ip);
}

bool ls_valid_ipv6(const char *s, size_t len)
{
    ipaddr ip;
    return len > 0 && ip_parse_v6(s, len, &ip);
}

/* Policy names; len saves a strlen per lookup. */
static const struct {
    const char *name;
    size_t len;
    ls_validator fn;
} validators[] = {
    {"luhn", 4, ls_valid_luhn},           /* payment cards */
    {"iban", 4, ls_valid_iban},           /* bank accounts */
    {"steuer-id", 9, ls_valid_steuer_id}, /* German tax ID */
    {"ipv4", 4, ls_valid_ipv4},           /* via ipaddr.c */
    {"ipv6", 4, ls_valid_ipv6},           /* via ipaddr.c */
};

ls_validator ls_validator_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof validators / sizeof validators[0]; i++)
        if (validators[i].len == len && memcmp(validators[i].name, name, len) == 0)
            return validators[i].fn;
    return NULL;
}

/* ---- prescans: necessary conditions over a whole line ------------------
 * Each kind states a condition that every span its rules can accept
 * implies for the line holding it, so a line failing it needs no regex.
 * The digit runs, wanted by several rules, are counted in one pass and
 * kept in the features; the rest are computed when first asked. */

static bool is_digit_c(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha_c(char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static bool is_hex_c(char c)
{
    return is_digit_c(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

#if !defined(__SSE2__)
/* Byte classes for digit runs: a digit, a separator inside card and tax
 * numbers (space, dash), one inside phone numbers (also other white
 * space, . / ( )). */
enum { DR_DIGIT = 1, DR_NARROW = 2, DR_WIDE = 4 };
static const uint8_t dr_class[256] = {
    ['0'] = DR_DIGIT, ['1'] = DR_DIGIT, ['2'] = DR_DIGIT, ['3'] = DR_DIGIT, ['4'] = DR_DIGIT,
    ['5'] = DR_DIGIT, ['6'] = DR_DIGIT, ['7'] = DR_DIGIT, ['8'] = DR_DIGIT, ['9'] = DR_DIGIT,
    [' '] = DR_NARROW | DR_WIDE, ['-'] = DR_NARROW | DR_WIDE, ['\t'] = DR_WIDE, ['\n'] = DR_WIDE,
    ['\v'] = DR_WIDE, ['\f'] = DR_WIDE, ['\r'] = DR_WIDE, ['.'] = DR_WIDE, ['/'] = DR_WIDE,
    ['('] = DR_WIDE, [')'] = DR_WIDE,
};
#endif

/* Called where two letters are followed by two digits: are there 15 or more
 * letters and digits in the run of letters, digits and spaces from the
 * first letter?  The shortest IBAN (Norway) has 15. */
static bool iban_line(const char *s, size_t len)
{
    unsigned alnum = 0;
    for (size_t k = 0; k < len && alnum < 15; k++) {
        if (is_digit_c(s[k]) || is_alpha_c(s[k]))
            alnum++;
        else if (s[k] != ' ')
            break;
    }
    return alnum >= 15;
}

/* The line ends (before spaces, tabs and CR) in 64 base64 characters. */
static bool base64_tail(const char *s, size_t len)
{
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        len--;
    if (len < 64)
        return false;
    for (size_t k = len - 64; k < len; k++)
        if (!(is_digit_c(s[k]) || is_alpha_c(s[k]) || s[k] == '+' || s[k] == '/'))
            return false;
    return true;
}

/* Six hex pairs joined by one kind of separator, ':' or '-' (a MAC),
 * starting at s[0]. */
static bool hex_pairs(const char *s, size_t len)
{
    if (len < 17 || (s[2] != ':' && s[2] != '-'))
        return false;
    for (size_t k = 0; k < 6; k++)
        if (!is_hex_c(s[3 * k]) || !is_hex_c(s[3 * k + 1]) || (k < 5 && s[3 * k + 2] != s[2]))
            return false;
    return true;
}

/* Three groups of four hex digits joined by '.' (a MAC the Cisco way),
 * starting at s[0]. */
static bool hex_quads(const char *s, size_t len)
{
    if (len < 14 || s[4] != '.' || s[9] != '.')
        return false;
    for (size_t k = 0; k < 14; k++)
        if (k != 4 && k != 9 && !is_hex_c(s[k]))
            return false;
    return true;
}

ls_prescan ls_validator_prescan(ls_validator v)
{
    if (v == ls_valid_luhn)
        return (ls_prescan){PS_DIGITS_NARROW, 13}; /* 13-19 digits, spaces or dashes */
    if (v == ls_valid_steuer_id)
        return (ls_prescan){PS_DIGITS_NARROW, 11}; /* 11 digits, spaces */
    if (v == ls_valid_iban)
        return (ls_prescan){PS_IBAN, 0};
    return (ls_prescan){PS_NONE, 0};
}

bool ls_prescan_find(const char *name, size_t len, ls_prescan *out)
{
    static const struct {
        const char *name;
        ls_prescan p;
    } table[] = {
        {"base64-tail", {PS_BASE64_TAIL, 0}}, {"digit-run-7", {PS_DIGITS_WIDE, 7}},
        {"digit-run-9", {PS_DIGITS_WIDE, 9}}, {"zero-digit-run-7", {PS_DIGITS_WIDE_ZERO, 7}},
        {"hex-pairs", {PS_HEX_PAIRS, 0}},
        {"hex-quads", {PS_HEX_QUADS, 0}},
    };
    for (size_t k = 0; k < sizeof table / sizeof table[0]; k++) {
        if (strlen(table[k].name) == len && memcmp(table[k].name, name, len) == 0) {
            *out = table[k].p;
            return true;
        }
    }
    return false;
}

void ls_features_reset(ls_line_features *f, const char *text, size_t len)
{
    f->text = text;
    f->len = len;
    f->done = false;
}

/* Looks for the shapes (IBAN, MAC) at one position of interest i. */
static void shapes_at(const char *s, size_t len, size_t i, ls_line_features *f)
{
    char ch = s[i];
    if (is_digit_c(ch)) {
        if (!f->iban && i >= 2 && i + 1 < len && is_alpha_c(s[i - 1]) && is_alpha_c(s[i - 2]) &&
            is_digit_c(s[i + 1]))
            f->iban = iban_line(s + i - 2, len - (i - 2));
    } else if (ch == ':' || ch == '-') {
        if (!f->pairs && i >= 2)
            f->pairs = hex_pairs(s + i - 2, len - (i - 2));
    } else if (ch == '.') {
        if (!f->quads && i >= 4)
            f->quads = hex_quads(s + i - 4, len - (i - 4));
    }
}

#if defined(__SSE2__)
static inline __m128i byte_range(__m128i v, char lo, char hi)
{
    /* Signed compares: bytes >= 0x80 are negative and never in range. */
    return _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8((char)(lo - 1))),
                         _mm_cmplt_epi8(v, _mm_set1_epi8((char)(hi + 1))));
}

/* State of the digit runs across blocks. */
typedef struct runs {
    unsigned n, w;        /* digits in the open narrow / wide run */
    bool gap_n, gap_w;    /* every byte since the last digit is a narrow / wide separator */
    bool w_zero;          /* the open wide run's first digit is 0 */
} runs;

/* Does the gap bits `gap` (bytes without digits) keep a run open? */
static inline void gap_bytes(runs *r, unsigned gap, unsigned keep_n, unsigned keep_w)
{
    if (gap) {
        r->gap_n = r->gap_n && (keep_n & gap) == gap;
        r->gap_w = r->gap_w && (keep_w & gap) == gap;
    }
}

/* One block of 16 bytes (`valid` of them real).  Digit runs are followed chunk by
 * chunk (a chunk is a maximal row of digits): a chunk extends the open run
 * when the gap before it held separators only. */
static inline void block(const char *blk, unsigned valid, __m128i v, runs *r,
                         ls_line_features *f)
{
    unsigned all = valid == 16 ? 0xffffu : (1u << valid) - 1;
    __m128i d = byte_range(v, '0', '9');
    __m128i narrow = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')),
                                  _mm_cmpeq_epi8(v, _mm_set1_epi8('-')));
    __m128i wide = _mm_or_si128(narrow, byte_range(v, '\t', '\r'));
    wide = _mm_or_si128(wide, _mm_cmpeq_epi8(v, _mm_set1_epi8('.')));
    wide = _mm_or_si128(wide, _mm_cmpeq_epi8(v, _mm_set1_epi8('/')));
    wide = _mm_or_si128(wide, byte_range(v, '(', ')'));
    unsigned dm = (unsigned)_mm_movemask_epi8(d) & all;
    unsigned keep_n = (unsigned)_mm_movemask_epi8(narrow);
    unsigned keep_w = (unsigned)_mm_movemask_epi8(wide);
    unsigned pos = 0;
    while (pos < 16 && (dm >> pos) != 0) {
        unsigned start = (unsigned)__builtin_ctz(dm >> pos) + pos;
        gap_bytes(r, ((1u << start) - 1) & ~((1u << pos) - 1), keep_n, keep_w);
        unsigned n = (unsigned)__builtin_ctz(~(dm >> start)); /* chunk length */
        r->n = r->gap_n ? r->n + n : n;
        if (!r->gap_w)
            r->w_zero = blk[start] == '0';
        r->w = r->gap_w ? r->w + n : n;
        if (r->n > f->narrow)
            f->narrow = r->n;
        if (r->w > f->wide)
            f->wide = r->w;
        if (r->w_zero && r->w > f->wide_zero)
            f->wide_zero = r->w;
        r->gap_n = r->gap_w = true; /* an empty gap so far */
        pos = start + n;
    }
    if (pos < 16)
        gap_bytes(r, all & ~((1u << pos) - 1), keep_n, keep_w);
}

/* Looks at the positions where a shape can start (see shapes_at) in the
 * block at s + i; `prev` holds the byte before it in lane 0 of a shifted
 * copy. */
static inline void events(const char *s, size_t len, size_t i, unsigned valid, __m128i v,
                          __m128i prev, ls_line_features *f)
{
    unsigned all = valid == 16 ? 0xffffu : (1u << valid) - 1;
    __m128i d = byte_range(v, '0', '9');
    /* Positions of interest: a digit after a letter, ':', '-' and '.'. */
    __m128i lower = _mm_or_si128(prev, _mm_set1_epi8(0x20));
    __m128i edge = _mm_and_si128(d, byte_range(lower, 'a', 'z'));
    __m128i seps = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(':')),
                                _mm_cmpeq_epi8(v, _mm_set1_epi8('-')));
    seps = _mm_or_si128(seps, _mm_cmpeq_epi8(v, _mm_set1_epi8('.')));
    unsigned ev = (unsigned)_mm_movemask_epi8(_mm_or_si128(edge, seps)) & all;
    while (ev) {
        size_t at = i + (size_t)__builtin_ctz(ev);
        ev &= ev - 1;
        shapes_at(s, len, at, f);
    }
}
#endif

/* One pass for everything the prescans ask: the longest digit runs, and the
 * shapes (IBAN, MAC) looked for only where they can start. */
static void compute(ls_line_features *f)
{
    const char *s = f->text;
    size_t len = f->len, i = 0;
    f->narrow = f->wide = f->wide_zero = 0;
    f->iban = f->pairs = f->quads = false;
#if defined(__SSE2__)
    runs r = {0, 0, false, false, false};
    char pad[16];
    __m128i carry = _mm_setzero_si128(); /* the previous block's last byte, in lane 0 */
    for (; i < len; i += 16) {
        __m128i v;
        unsigned valid = 16;
        if (i + 16 <= len) {
            v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        } else { /* the tail, padded */
            memset(pad, 0, sizeof pad);
            valid = (unsigned)(len - i);
            memcpy(pad, s + i, valid);
            v = _mm_loadu_si128((const __m128i *)(const void *)pad);
        }
        __m128i prev = _mm_or_si128(_mm_slli_si128(v, 1), carry);
        block(valid == 16 ? s + i : pad, valid, v, &r, f);
        if (!(f->iban && f->pairs && f->quads))
            events(s, len, i, valid, v, prev, f);
        carry = _mm_srli_si128(v, 15);
    }
#else
    const uint8_t *u = (const uint8_t *)s;
    unsigned n = 0, w = 0;
    bool w_zero = false;
    for (; i < len; i++) {
        uint8_t c = dr_class[u[i]];
        unsigned digit = c & DR_DIGIT;
        n = (n + digit) & -(unsigned)((c & (DR_DIGIT | DR_NARROW)) != 0);
        if (digit && w == 0)
            w_zero = s[i] == '0';
        w = (w + digit) & -(unsigned)((c & (DR_DIGIT | DR_WIDE)) != 0);
        f->narrow = n > f->narrow ? n : f->narrow;
        f->wide = w > f->wide ? w : f->wide;
        if (w_zero && w > f->wide_zero)
            f->wide_zero = w;
        char ch = s[i];
        if ((digit && i > 0 && is_alpha_c(s[i - 1])) || ch == ':' || ch == '-' || ch == '.')
            shapes_at(s, len, i, f);
    }
#endif
    f->b64 = base64_tail(s, len);
    f->done = true;
}

bool ls_prescan_test(ls_prescan p, ls_line_features *f)
{
    switch (p.kind) {
    case PS_NONE:
        return true;
    default:
        break;
    }
    if (!f->done)
        compute(f);
    switch (p.kind) {
    case PS_DIGITS_NARROW: return f->narrow >= p.min;
    case PS_DIGITS_WIDE: return f->wide >= p.min;
    case PS_DIGITS_WIDE_ZERO: return f->wide_zero >= p.min;
    case PS_IBAN: return f->iban;
    case PS_BASE64_TAIL: return f->b64;
    case PS_HEX_PAIRS: return f->pairs;
    case PS_HEX_QUADS: return f->quads;
    default: return true;
    }
}
