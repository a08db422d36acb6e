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

#include <stdatomic.h>
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
 *
 * Most lines are ordinary log lines that fail every prescan, and several
 * prescans are asked about every line (the card, IBAN and MAC rules have no
 * literal to filter on), so the common ones share one cheap pass: the line
 * is cut into 64-byte words, each byte class becomes a 64-bit mask, and a
 * few shifts and ANDs of those masks show where a shape could start.  Only
 * the rare positions that survive are checked byte by byte.  The digit runs
 * of phone numbers, wanted only after a rule's literal matched, and the
 * base64 tail are computed when first asked. */

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

/* The line ends (before spaces, tabs and CR) in 64 base64 characters.
 * Checked from the end: a log line's last byte is seldom base64. */
static bool base64_tail(const char *s, size_t len)
{
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        len--;
    if (len < 64)
        return false;
    for (size_t k = len; k-- > len - 64;)
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
        return (ls_prescan){PS_DIGITS_NARROW, 13}; /* 13-19 digits, single spaces or dashes */
    if (v == ls_valid_steuer_id)
        return (ls_prescan){PS_DIGITS_NARROW, 11}; /* 11 digits, single spaces */
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
        {"intl-digit-run-9", {PS_DIGITS_INTL, 9}},
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
    f->have = 0;
}

/* ---- the shapes pass ---------------------------------------------------- */

/* Byte classes of one 64-byte word: bit k is byte k. */
typedef struct cls64 {
    uint64_t digit, alpha, hex;
    uint64_t narrow; /* ' ' and '-': separators inside card and tax numbers */
    uint64_t pair;   /* ':' and '-': separators of a MAC's hex pairs */
    uint64_t dot;
} cls64;

#if defined(__SSE2__)
static inline __m128i byte_range(__m128i v, char lo, char hi)
{
    /* Signed compares: bytes >= 0x80 are negative and never in range. */
    return _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8((char)(lo - 1))),
                         _mm_cmplt_epi8(v, _mm_set1_epi8((char)(hi + 1))));
}

static inline uint64_t bits16(__m128i m, unsigned shift)
{
    return (uint64_t)(unsigned)_mm_movemask_epi8(m) << shift;
}

/* Loads the 16 bytes of text at `at` (< len) without reading past len:
 * directly, from the last 16 bytes of the text (*sh says how many of them
 * to drop), or from a zeroed copy when the text is shorter than 16. */
static inline __m128i load16(const char *text, size_t len, size_t at, unsigned *sh)
{
    *sh = 0;
    if (at + 16 <= len)
        return _mm_loadu_si128((const __m128i *)(const void *)(text + at));
    if (len >= 16) {
        *sh = (unsigned)(at - (len - 16));
        return _mm_loadu_si128((const __m128i *)(const void *)(text + len - 16));
    }
    char pad[16] = {0};
    memcpy(pad, text + at, len - at);
    return _mm_loadu_si128((const __m128i *)(const void *)pad);
}
#endif

#if defined(__SSE2__)
/* Adds the classes of one 16-byte block v, shifted right by sh bytes (the
 * block was loaded early to stay inside the text), at bit k of c. */
static inline void classify16(__m128i v, unsigned sh, unsigned k, cls64 *c)
{
    /* Folding by OR 0x20 maps letters to lower case and no other byte
     * into a-z (0x40-0x5f become 0x60-0x7f, none of them letters). */
    __m128i lower = _mm_or_si128(v, _mm_set1_epi8(0x20));
    __m128i d = byte_range(v, '0', '9');
    __m128i dash = _mm_cmpeq_epi8(v, _mm_set1_epi8('-'));
    c->digit |= bits16(d, 0) >> sh << k;
    c->alpha |= bits16(byte_range(lower, 'a', 'z'), 0) >> sh << k;
    c->hex |= bits16(_mm_or_si128(d, byte_range(lower, 'a', 'f')), 0) >> sh << k;
    c->narrow |= bits16(_mm_or_si128(dash, _mm_cmpeq_epi8(v, _mm_set1_epi8(' '))), 0) >> sh
                 << k;
    c->pair |= bits16(_mm_or_si128(dash, _mm_cmpeq_epi8(v, _mm_set1_epi8(':'))), 0) >> sh << k;
    c->dot |= bits16(_mm_cmpeq_epi8(v, _mm_set1_epi8('.')), 0) >> sh << k;
}
#endif

/* Classes of the 64 bytes at text + base (those at or past len count as
 * bytes of no class). */
static void classify(const char *text, size_t len, size_t base, cls64 *c)
{
    *c = (cls64){0, 0, 0, 0, 0, 0};
#if defined(__SSE2__)
    for (unsigned k = 0; k < 64 && base + k < len; k += 16) {
        unsigned sh;
        __m128i v = load16(text, len, base + k, &sh);
        classify16(v, sh, k, c);
    }
#else
    for (unsigned k = 0; k < 64 && base + k < len; k++) {
        uint64_t b = 1ull << k;
        char ch = text[base + k];
        if (is_digit_c(ch))
            c->digit |= b;
        if (is_alpha_c(ch))
            c->alpha |= b;
        if (is_hex_c(ch))
            c->hex |= b;
        if (ch == ' ' || ch == '-')
            c->narrow |= b;
        if (ch == ':' || ch == '-')
            c->pair |= b;
        if (ch == '.')
            c->dot |= b;
    }
#endif
}

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_CLASSIFY_X86 1
#include <immintrin.h>

/* The same classes with wider registers, for CPUs that have them (chosen
 * at run time: the build targets the x86-64 baseline).  AVX-512BW compares
 * straight into 64-bit masks, one load per word; a masked load stops at
 * len without touching memory past it. */
__attribute__((target("avx512bw"))) static void classify_avx512(const char *text, size_t len,
                                                                 size_t base, cls64 *c)
{
    __mmask64 valid = len - base >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << (len - base)) - 1;
    __m512i v = _mm512_maskz_loadu_epi8(valid, text + base);
    __m512i lower = _mm512_or_si512(v, _mm512_set1_epi8(0x20));
    /* x - lo <= hi - lo, unsigned: lo <= x <= hi in one compare. */
    __mmask64 d = _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8('0')),
                                         _mm512_set1_epi8(9));
    __mmask64 dash = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('-'));
    c->digit = d;
    c->alpha = _mm512_cmple_epu8_mask(_mm512_sub_epi8(lower, _mm512_set1_epi8('a')),
                                      _mm512_set1_epi8(25));
    c->hex = d | _mm512_cmple_epu8_mask(_mm512_sub_epi8(lower, _mm512_set1_epi8('a')),
                                        _mm512_set1_epi8(5));
    c->narrow = dash | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(' '));
    c->pair = dash | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(':'));
    c->dot = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('.'));
}

#define AVX2_RANGE(v, lo, hi)                                                           \
    _mm256_and_si256(_mm256_cmpgt_epi8(v, _mm256_set1_epi8((char)((lo) - 1))),          \
                     _mm256_cmpgt_epi8(_mm256_set1_epi8((char)((hi) + 1)), v))
#define AVX2_BITS(m) ((uint64_t)(uint32_t)_mm256_movemask_epi8(m))

/* Loads the 32 bytes of text at `at` for a word ending at most at len:
 * directly, from the last 32 bytes of the text (*sh says how many of them
 * to drop), or from a zeroed copy when the text is shorter than 32. */
__attribute__((target("avx2"))) static inline __m256i load32(const char *text, size_t len,
                                                             size_t at, unsigned *sh)
{
    *sh = 0;
    if (at + 32 <= len)
        return _mm256_loadu_si256((const __m256i *)(const void *)(text + at));
    if (len >= 32) {
        *sh = (unsigned)(at - (len - 32));
        return _mm256_loadu_si256((const __m256i *)(const void *)(text + len - 32));
    }
    char pad[32] = {0};
    memcpy(pad, text + at, len - at);
    return _mm256_loadu_si256((const __m256i *)(const void *)pad);
}

/* AVX2: two 32-byte halves per word. */
__attribute__((target("avx2"))) static void classify_avx2(const char *text, size_t len,
                                                           size_t base, cls64 *c)
{
    *c = (cls64){0, 0, 0, 0, 0, 0};
    for (unsigned k = 0; k < 64 && base + k < len; k += 32) {
        unsigned sh;
        __m256i v = load32(text, len, base + k, &sh);
        __m256i lower = _mm256_or_si256(v, _mm256_set1_epi8(0x20));
        __m256i d = AVX2_RANGE(v, '0', '9');
        __m256i dash = _mm256_cmpeq_epi8(v, _mm256_set1_epi8('-'));
        c->digit |= AVX2_BITS(d) >> sh << k;
        c->alpha |= AVX2_BITS(AVX2_RANGE(lower, 'a', 'z')) >> sh << k;
        c->hex |= AVX2_BITS(_mm256_or_si256(d, AVX2_RANGE(lower, 'a', 'f'))) >> sh << k;
        c->narrow |= AVX2_BITS(_mm256_or_si256(dash, _mm256_cmpeq_epi8(v, _mm256_set1_epi8(' '))))
                     >> sh << k;
        c->pair |= AVX2_BITS(_mm256_or_si256(dash, _mm256_cmpeq_epi8(v, _mm256_set1_epi8(':'))))
                   >> sh << k;
        c->dot |= AVX2_BITS(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('.'))) >> sh << k;
    }
}

typedef void classify_fn(const char *, size_t, size_t, cls64 *);

/* The widest code ls_prescan_simd_limit allows (an ls_simd_limit). */
static atomic_uint simd_limit;

static bool simd_ok(ls_simd_limit need)
{
    unsigned lim = atomic_load_explicit(&simd_limit, memory_order_relaxed);
    return lim == LS_SIMD_AUTO || lim >= (unsigned)need;
}

static classify_fn *pick_classify(void)
{
    if (simd_ok(LS_SIMD_AVX512) && __builtin_cpu_supports("avx512bw"))
        return classify_avx512;
    if (simd_ok(LS_SIMD_AVX2) && __builtin_cpu_supports("avx2"))
        return classify_avx2;
    return classify;
}
#endif

void ls_prescan_simd_limit(ls_simd_limit limit)
{
#ifdef HAVE_CLASSIFY_X86
    atomic_store(&simd_limit, (unsigned)limit);
#else
    (void)limit;
#endif
}

/* Bit k of the result is bit k + n of the word pair (cur, next): the byte n
 * places later.  1 <= n <= 63. */
static inline uint64_t later(uint64_t cur, uint64_t next, unsigned n)
{
    return cur >> n | next << (64 - n);
}

/* Bit k of the result is the byte n places earlier.  1 <= n <= 63. */
static inline uint64_t earlier(uint64_t prev, uint64_t cur, unsigned n)
{
    return cur << n | prev >> (64 - n);
}

/* Is there a run of at least LS_NARROW_FAST_MIN one bits lying wholly in m? */
static inline bool long_run(uint64_t m)
{
    m &= m >> 1; /* bit k: bits k..k+1 set */
    m &= m >> 2; /* k..k+3 */
    m &= m >> 4; /* k..k+7 */
    m &= m >> (LS_NARROW_FAST_MIN - 8);
    return m != 0;
}

/* For each set bit of cand, lowest first, sets at_ to its offset in the
 * text (bit k is base + k) and result to the expression check (which uses
 * at_), until result is true. */
#define ANY_AT(cand, check, result)                                                       \
    do {                                                                                  \
        uint64_t c_ = (cand);                                                             \
        while (c_ && !(result)) {                                                         \
            size_t at_ = base + (size_t)__builtin_ctzll(c_);                              \
            c_ &= c_ - 1;                                                                 \
            result = check;                                                               \
        }                                                                                 \
    } while (0)

static void shapes(ls_line_features *f)
{
    const char *s = f->text;
    size_t len = f->len;
    f->narrow_maybe = f->iban = f->pairs = f->quads = false;
    cls64 prev = {0, 0, 0, 0, 0, 0}, cur, next = {0, 0, 0, 0, 0, 0};
#ifdef HAVE_CLASSIFY_X86
    classify_fn *classes = pick_classify();
#else
    void (*classes)(const char *, size_t, size_t, cls64 *) = classify;
#endif
    if (len > 0)
        classes(s, len, 0, &cur);
    unsigned run = 0; /* length of the narrow run open at the end of prev */
    for (size_t base = 0; base < len; base += 64) {
        if (base + 64 < len)
            classes(s, len, base + 64, &next);
        else
            next = (cls64){0, 0, 0, 0, 0, 0};

        /* Narrow runs: digits, and a single separator between two digits.
         * A run crossing into the next word is carried in `run`. */
        if (!f->narrow_maybe) {
            uint64_t m = cur.digit | (cur.narrow & earlier(prev.digit, cur.digit, 1) &
                                      later(cur.digit, next.digit, 1));
            if (m == ~0ull) {
                run += 64;
            } else {
                unsigned head = (unsigned)__builtin_ctzll(~m);
                f->narrow_maybe = run + head >= LS_NARROW_FAST_MIN || long_run(m);
                run = (unsigned)__builtin_clzll(~m);
            }
            if (run >= LS_NARROW_FAST_MIN)
                f->narrow_maybe = true;
        }
        /* IBAN: two letters, then two digits. */
        if (!f->iban) {
            uint64_t e = earlier(prev.alpha, cur.alpha, 2) & earlier(prev.alpha, cur.alpha, 1) &
                         cur.digit & later(cur.digit, next.digit, 1);
            ANY_AT(e, iban_line(s + at_ - 2, len - (at_ - 2)), f->iban);
        }
        /* MAC: two hex pairs joined by ':' or '-' start the six. */
        if (!f->pairs) {
            uint64_t h = cur.hex, hn = next.hex, p = cur.pair, pn = next.pair;
            uint64_t e = h & later(h, hn, 1) & later(p, pn, 2) & later(h, hn, 3) &
                         later(h, hn, 4) & later(p, pn, 5);
            ANY_AT(e, hex_pairs(s + at_, len - at_), f->pairs);
        }
        /* Cisco MAC: four hex digits, '.', a hex digit ... '.'. */
        if (!f->quads) {
            uint64_t h = cur.hex, hn = next.hex, d = cur.dot, dn = next.dot;
            uint64_t e = h & later(h, hn, 1) & later(h, hn, 2) & later(h, hn, 3) &
                         later(d, dn, 4) & later(h, hn, 5) & later(d, dn, 9);
            ANY_AT(e, hex_quads(s + at_, len - at_), f->quads);
        }
        prev = cur;
        cur = next;
    }
    f->have |= LS_FEAT_SHAPES;
}

/* ---- digit runs, counted exactly ---------------------------------------- */

/* Most digits in a narrow run: digits with at most one ' ' or '-' between
 * two of them. */
static void narrow_exact(ls_line_features *f)
{
    const char *s = f->text;
    unsigned best = 0, n = 0;
    for (size_t k = 0; k < f->len; k++) {
        if (is_digit_c(s[k])) {
            if (++n > best)
                best = n;
        } else if (!((s[k] == ' ' || s[k] == '-') && n > 0 && k + 1 < f->len &&
                     is_digit_c(s[k + 1]))) {
            n = 0;
        }
    }
    f->narrow = best;
    f->have |= LS_FEAT_NARROW;
}

/* Wide runs: digits with any number of white space, '.', '/', '-', '(' and
 * ')' between them, as phone numbers are written; any other byte (a
 * "breaker") ends a run. */
enum { DR_DIGIT = 1, DR_WIDE = 2 };
static const uint8_t dr_class[256] = {
    ['0'] = DR_DIGIT, ['1'] = DR_DIGIT, ['2'] = DR_DIGIT, ['3'] = DR_DIGIT, ['4'] = DR_DIGIT,
    ['5'] = DR_DIGIT, ['6'] = DR_DIGIT, ['7'] = DR_DIGIT, ['8'] = DR_DIGIT, ['9'] = DR_DIGIT,
    [' '] = DR_WIDE, ['-'] = DR_WIDE, ['\t'] = DR_WIDE, ['\n'] = DR_WIDE, ['\v'] = DR_WIDE,
    ['\f'] = DR_WIDE, ['\r'] = DR_WIDE, ['.'] = DR_WIDE, ['/'] = DR_WIDE, ['('] = DR_WIDE,
    [')'] = DR_WIDE,
};

/* Digit, breaker and '0' masks of one 64-byte word. */
typedef struct wide64 {
    uint64_t digit, brk, zero;
    uint64_t prefix; /* '+' and '%': where an international prefix may start */
} wide64;

/* Masks of the 64 bytes at text + base; bytes at or past len count as
 * breakers, which ends a run at the end of the text. */
static void wide_masks(const char *text, size_t len, size_t base, wide64 *m)
{
    uint64_t d = 0, keep = 0, z = 0, pre = 0;
#if defined(__SSE2__)
    for (unsigned k = 0; k < 64 && base + k < len; k += 16) {
        unsigned sh;
        __m128i v = load16(text, len, base + k, &sh);
        __m128i dm = byte_range(v, '0', '9');
        __m128i w = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')),
                                 _mm_cmpeq_epi8(v, _mm_set1_epi8('-')));
        w = _mm_or_si128(w, byte_range(v, '\t', '\r'));
        w = _mm_or_si128(w, byte_range(v, '.', '/'));
        w = _mm_or_si128(w, byte_range(v, '(', ')'));
        d |= bits16(dm, 0) >> sh << k;
        keep |= bits16(_mm_or_si128(dm, w), 0) >> sh << k;
        z |= bits16(_mm_cmpeq_epi8(v, _mm_set1_epi8('0')), 0) >> sh << k;
        pre |= bits16(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('+')),
                                   _mm_cmpeq_epi8(v, _mm_set1_epi8('%'))),
                      0) >> sh << k;
    }
#else
    const char *s = text + base;
    for (unsigned k = 0; k < 64 && base + k < len; k++) {
        uint8_t c = dr_class[(unsigned char)s[k]];
        d |= (uint64_t)(c == DR_DIGIT) << k;
        keep |= (uint64_t)(c != 0) << k;
        z |= (uint64_t)(s[k] == '0') << k;
        pre |= (uint64_t)(s[k] == '+' || s[k] == '%') << k;
    }
#endif
    m->digit = d;
    m->brk = ~keep;
    m->zero = z;
    m->prefix = pre;
}

#ifdef HAVE_CLASSIFY_X86
__attribute__((target("avx512bw"))) static void wide_masks_avx512(const char *text, size_t len,
                                                                   size_t base, wide64 *m)
{
    __mmask64 valid = len - base >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << (len - base)) - 1;
    __m512i v = _mm512_maskz_loadu_epi8(valid, text + base);
    __mmask64 d = _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8('0')),
                                         _mm512_set1_epi8(9));
    __mmask64 w = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(' ')) |
                  _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('-')) |
                  _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8('\t')),
                                         _mm512_set1_epi8('\r' - '\t')) |
                  _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8('.')),
                                         _mm512_set1_epi8(1)) |
                  _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8('(')),
                                         _mm512_set1_epi8(1));
    m->digit = d;
    m->brk = ~((d | w) & valid);
    m->zero = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('0')) & valid;
    m->prefix = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('+')) |
                _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('%'));
}
#endif

#ifdef HAVE_CLASSIFY_X86
__attribute__((target("avx2"))) static void wide_masks_avx2(const char *text, size_t len,
                                                             size_t base, wide64 *m)
{
    uint64_t d = 0, keep = 0, z = 0, pre = 0;
    for (unsigned k = 0; k < 64 && base + k < len; k += 32) {
        unsigned sh;
        __m256i v = load32(text, len, base + k, &sh);
        __m256i dm = AVX2_RANGE(v, '0', '9');
        __m256i w = _mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(' ')),
                                    _mm256_cmpeq_epi8(v, _mm256_set1_epi8('-')));
        w = _mm256_or_si256(w, AVX2_RANGE(v, '\t', '\r'));
        w = _mm256_or_si256(w, AVX2_RANGE(v, '.', '/'));
        w = _mm256_or_si256(w, AVX2_RANGE(v, '(', ')'));
        d |= AVX2_BITS(dm) >> sh << k;
        keep |= AVX2_BITS(_mm256_or_si256(dm, w)) >> sh << k;
        z |= AVX2_BITS(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('0'))) >> sh << k;
        pre |= AVX2_BITS(_mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('+')),
                                         _mm256_cmpeq_epi8(v, _mm256_set1_epi8('%'))))
               >> sh << k;
    }
    m->digit = d;
    m->brk = ~keep;
    m->zero = z;
    m->prefix = pre;
}
#endif

typedef void wide_fn(const char *, size_t, size_t, wide64 *);

static wide_fn *pick_wide(void)
{
#ifdef HAVE_CLASSIFY_X86
    if (simd_ok(LS_SIMD_AVX512) && __builtin_cpu_supports("avx512bw"))
        return wide_masks_avx512;
    if (simd_ok(LS_SIMD_AVX2) && __builtin_cpu_supports("avx2"))
        return wide_masks_avx2;
#endif
    return wide_masks;
}

/* Digits in the wide run from u[*k] to the next breaker; *k ends there. */
static unsigned run_digits(const uint8_t *u, size_t len, size_t *k)
{
    unsigned n = 0;
    size_t i = *k;
    for (; i < len && dr_class[u[i]] != 0; i++)
        n += dr_class[u[i]] == DR_DIGIT;
    *k = i;
    return n;
}

/* The most digits in one wide run: of all runs, or (zero_led) of the runs
 * whose first digit is 0 (national phone numbers).  A digit starts a run
 * when the nearest byte before it that is not a separator is a breaker (or
 * there is none).  Adding the separator mask to the positions just after
 * breakers carries each of those across the separators that follow, and
 * the carry comes to rest on that next non-separator: a bit per run start,
 * for a whole word at once.  Only the runs at those starts are walked; log
 * lines have a dozen or two, and few of them start with a zero. */
static unsigned longest_run(const ls_line_features *f, bool zero_led)
{
    const uint8_t *u = (const uint8_t *)f->text;
    size_t len = f->len;
    unsigned best = 0;
    uint64_t brk_top = 1; /* the byte before the word is a breaker (bit 63 of prev) */
    uint64_t carry = 0;   /* a carry crossing into this word */
    size_t done = 0;      /* bytes already counted as part of a run */
    wide_fn *masks = pick_wide();
    for (size_t base = 0; base < len; base += 64) {
        wide64 m;
        masks(f->text, len, base, &m);
        uint64_t sep = ~(m.digit | m.brk);
        uint64_t seeds = m.brk << 1 | brk_top;
        uint64_t sum = seeds + sep;
        uint64_t out = sum < seeds;
        sum += carry;
        out |= sum < carry;
        uint64_t starts = (sum ^ sep) & ~sep & m.digit & (zero_led ? m.zero : ~0ull);
        while (starts) {
            size_t k = base + (size_t)__builtin_ctzll(starts);
            starts &= starts - 1;
            if (k < done)
                continue;
            unsigned n = run_digits(u, len, &k);
            if (n > best)
                best = n;
            done = k;
        }
        carry = out;
        brk_top = m.brk >> 63;
    }
    return best;
}

/* Wide runs after an international dialling prefix: '+' or "%2B" right
 * before a digit 1-9, or "00" and a digit 1-9 with no digit before the
 * "00" (the digits after the "00" are counted).  The masks find the few
 * '+', '%' and "00" candidates; each is then checked and its run counted. */
static void intl(ls_line_features *f)
{
    const uint8_t *u = (const uint8_t *)f->text;
    size_t len = f->len;
    unsigned best = 0;
    uint64_t digit_top = 0; /* bit 63 of the previous word's digits */
    wide_fn *masks = pick_wide();
    for (size_t base = 0; base < len; base += 64) {
        wide64 m;
        masks(f->text, len, base, &m);
        uint64_t lead0 = m.zero & ~(m.digit << 1 | digit_top); /* a '0' after a non-digit */
        uint64_t cand = m.prefix | lead0;
        while (cand) {
            size_t k = base + (size_t)__builtin_ctzll(cand);
            cand &= cand - 1;
            size_t first; /* where the counted digits start */
            if (u[k] == '+')
                first = k + 1;
            else if (u[k] == '%')
                first = k + 3 < len && u[k + 1] == '2' && (u[k + 2] | 0x20) == 'b' ? k + 3 : len;
            else
                first = k + 2 < len && u[k + 1] == '0' ? k + 2 : len;
            if (first < len && u[first] >= '1' && u[first] <= '9') {
                unsigned n = run_digits(u, len, &first);
                if (n > best)
                    best = n;
            }
        }
        digit_top = m.digit >> 63;
    }
    f->intl = best;
    f->have |= LS_FEAT_INTL;
}

bool ls_prescan_compute(ls_prescan p, ls_line_features *f)
{
    switch (p.kind) {
    case PS_NONE:
        return true;
    case PS_DIGITS_NARROW:
        if (p.min >= LS_NARROW_FAST_MIN) {
            if (!(f->have & LS_FEAT_SHAPES))
                shapes(f);
            if (!f->narrow_maybe)
                return false;
        }
        if (!(f->have & LS_FEAT_NARROW))
            narrow_exact(f);
        return f->narrow >= p.min;
    case PS_DIGITS_WIDE:
        if (!(f->have & LS_FEAT_WIDE)) {
            f->wide = longest_run(f, false);
            f->have |= LS_FEAT_WIDE;
        }
        return f->wide >= p.min;
    case PS_DIGITS_WIDE_ZERO:
        if (!(f->have & LS_FEAT_ZERO)) {
            f->wide_zero = longest_run(f, true);
            f->have |= LS_FEAT_ZERO;
        }
        return f->wide_zero >= p.min;
    case PS_DIGITS_INTL:
        if (!(f->have & LS_FEAT_INTL))
            intl(f);
        return f->intl >= p.min;
    case PS_BASE64_TAIL:
        if (!(f->have & LS_FEAT_B64)) {
            f->b64 = base64_tail(f->text, f->len);
            f->have |= LS_FEAT_B64;
        }
        return f->b64;
    case PS_IBAN:
    case PS_HEX_PAIRS:
    case PS_HEX_QUADS:
        if (!(f->have & LS_FEAT_SHAPES))
            shapes(f);
        return p.kind == PS_IBAN ? f->iban : p.kind == PS_HEX_PAIRS ? f->pairs : f->quads;
    }
    return true;
}
