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

#include "rules/validate.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "ip/ipaddr.h"

#define IS_DIGIT(c) ((unsigned char)((c) - '0') <= 9)

/* ---------------------------------------------------------------------
 * Payment cards
 * ------------------------------------------------------------------- */

/* Card numbers are 13 to 19 digits (ISO/IEC 7812). */
#define LUHN_MIN 13
#define LUHN_MAX 19

bool valid_luhn(const char *s, size_t len)
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

bool valid_iban(const char *s, size_t len)
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

bool valid_steuer_id(const char *s, size_t len)
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

bool valid_ipv4(const char *s, size_t len)
{
    ipaddr ip;
    return len > 0 && ip_parse_v4(s, len, &ip);
}

bool valid_ipv6(const char *s, size_t len)
{
    ipaddr ip;
    return len > 0 && ip_parse_v6(s, len, &ip);
}

/* Policy names; len saves a strlen per lookup. */
static const struct {
    const char *name;
    size_t len;
    validator_fn fn;
} validators[] = {
    {"luhn", 4, valid_luhn},           /* payment cards */
    {"iban", 4, valid_iban},           /* bank accounts */
    {"steuer-id", 9, valid_steuer_id}, /* German tax ID */
    {"ipv4", 4, valid_ipv4},           /* via ipaddr.c */
    {"ipv6", 4, valid_ipv6},           /* via ipaddr.c */
};

validator_fn validator_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof validators / sizeof validators[0]; i++)
        if (validators[i].len == len && memcmp(validators[i].name, name, len) == 0)
            return validators[i].fn;
    return NULL;
}

