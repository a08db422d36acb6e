/* prescan.c -- prescans: cheap necessary conditions over a whole line that
 * tell the rule engine when a rule's regex cannot match, so it need not run.
 * The validators they stand in front of are validate.c's; this file owns
 * only the line-wide passes (byte classes as 64-bit masks, digit runs).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "rules/prescan.h"

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/cpu.h"

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

prescan_spec prescan_of_validator(validator_fn v)
{
    if (v == valid_luhn)
        return (prescan_spec){PS_DIGITS_NARROW, 13}; /* 13-19 digits, single spaces or dashes */
    if (v == valid_steuer_id)
        return (prescan_spec){PS_DIGITS_NARROW, 11}; /* 11 digits, single spaces */
    if (v == valid_iban)
        return (prescan_spec){PS_IBAN, 0};
    return (prescan_spec){PS_NONE, 0};
}

bool prescan_find(const char *name, size_t len, prescan_spec *out)
{
    static const struct {
        const char *name;
        prescan_spec p;
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

void features_reset(line_features *f, const char *text, size_t len)
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

static classify_fn *pick_classify(void)
{
    if (cpu_has(CPU_AVX512BW))
        return classify_avx512;
    if (cpu_has(CPU_AVX2))
        return classify_avx2;
    return classify;
}
#endif

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

/* Is there a run of at least NARROW_FAST_MIN one bits lying wholly in m? */
static inline bool long_run(uint64_t m)
{
    m &= m >> 1; /* bit k: bits k..k+1 set */
    m &= m >> 2; /* k..k+3 */
    m &= m >> 4; /* k..k+7 */
    m &= m >> (NARROW_FAST_MIN - 8);
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

static void shapes(line_features *f)
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
                f->narrow_maybe = run + head >= NARROW_FAST_MIN || long_run(m);
                run = (unsigned)__builtin_clzll(~m);
            }
            if (run >= NARROW_FAST_MIN)
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
    f->have |= FEAT_SHAPES;
}

/* ---- digit runs, counted exactly ---------------------------------------- */

/* Most digits in a narrow run: digits with at most one ' ' or '-' between
 * two of them. */
static void narrow_exact(line_features *f)
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
    f->have |= FEAT_NARROW;
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
    if (cpu_has(CPU_AVX512BW))
        return wide_masks_avx512;
    if (cpu_has(CPU_AVX2))
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
static unsigned longest_run(const line_features *f, bool zero_led)
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
static void intl(line_features *f)
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
    f->have |= FEAT_INTL;
}

bool prescan_compute(prescan_spec p, line_features *f)
{
    switch (p.kind) {
    case PS_NONE:
        return true;
    case PS_DIGITS_NARROW:
        if (p.min >= NARROW_FAST_MIN) {
            if (!(f->have & FEAT_SHAPES))
                shapes(f);
            if (!f->narrow_maybe)
                return false;
        }
        if (!(f->have & FEAT_NARROW))
            narrow_exact(f);
        return f->narrow >= p.min;
    case PS_DIGITS_WIDE:
        if (!(f->have & FEAT_WIDE)) {
            f->wide = longest_run(f, false);
            f->have |= FEAT_WIDE;
        }
        return f->wide >= p.min;
    case PS_DIGITS_WIDE_ZERO:
        if (!(f->have & FEAT_ZERO)) {
            f->wide_zero = longest_run(f, true);
            f->have |= FEAT_ZERO;
        }
        return f->wide_zero >= p.min;
    case PS_DIGITS_INTL:
        if (!(f->have & FEAT_INTL))
            intl(f);
        return f->intl >= p.min;
    case PS_BASE64_TAIL:
        if (!(f->have & FEAT_B64)) {
            f->b64 = base64_tail(f->text, f->len);
            f->have |= FEAT_B64;
        }
        return f->b64;
    case PS_IBAN:
    case PS_HEX_PAIRS:
    case PS_HEX_QUADS:
        if (!(f->have & FEAT_SHAPES))
            shapes(f);
        return p.kind == PS_IBAN ? f->iban : p.kind == PS_HEX_PAIRS ? f->pairs : f->quads;
    }
    return true;
}
