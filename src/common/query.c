/* query.c -- finding, decoding and re-encoding the percent-encoded tokens
 * of a line (see query.h for what and why). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "common/query.h"

#include <string.h>

#include "common/cpu.h"
#include "common/escape.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_GATE_X86 1
#include <immintrin.h>
#endif

/* The bytes the token walks look for: those that end a token (controls,
 * space, DEL and '"'), and '+' and '%'.  One load and one test a byte. */
enum { TE_DELIM = 1, TE_PLUS = 2, TE_PCT = 4 };
// clang-format off
static const unsigned char te_class[256] = {
    [0x00] = TE_DELIM, [0x01] = TE_DELIM, [0x02] = TE_DELIM, [0x03] = TE_DELIM,
    [0x04] = TE_DELIM, [0x05] = TE_DELIM, [0x06] = TE_DELIM, [0x07] = TE_DELIM,
    [0x08] = TE_DELIM, [0x09] = TE_DELIM, [0x0a] = TE_DELIM, [0x0b] = TE_DELIM,
    [0x0c] = TE_DELIM, [0x0d] = TE_DELIM, [0x0e] = TE_DELIM, [0x0f] = TE_DELIM,
    [0x10] = TE_DELIM, [0x11] = TE_DELIM, [0x12] = TE_DELIM, [0x13] = TE_DELIM,
    [0x14] = TE_DELIM, [0x15] = TE_DELIM, [0x16] = TE_DELIM, [0x17] = TE_DELIM,
    [0x18] = TE_DELIM, [0x19] = TE_DELIM, [0x1a] = TE_DELIM, [0x1b] = TE_DELIM,
    [0x1c] = TE_DELIM, [0x1d] = TE_DELIM, [0x1e] = TE_DELIM, [0x1f] = TE_DELIM,
    [' '] = TE_DELIM,  ['"'] = TE_DELIM,  [0x7f] = TE_DELIM,  ['+'] = TE_PLUS,
    ['%'] = TE_PCT,
};
// clang-format on

static inline bool is_delim(unsigned char c)
{
    return te_class[c] == TE_DELIM;
}

/* Bytes a rule wrote that are written "%XX" inside a token: they would end
 * the token or the log line's quoting, start an escape, or change how the
 * query splits or reads ('&', '+', '#'). */
static bool must_escape(unsigned char c)
{
    return c <= 0x20 || c >= 0x7f || c == '"' || c == '%' || c == '&' || c == '+' || c == '#' ||
           c == '\\' || c == '<' || c == '>';
}

/* The gate finds the first byte of a line that is a or b: where a token
 * worth decoding would have to be (see qs_may_decode).  Portable version. */
static size_t gate_c(const char *s, size_t len, char a, char b)
{
    for (size_t k = 0; k < len; k++)
        if (s[k] == a || s[k] == b)
            return k;
    return len;
}

#ifdef HAVE_GATE_X86
static inline unsigned sse2_hits(const char *p, __m128i a, __m128i b)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, a), _mm_cmpeq_epi8(v, b)));
}

/* SSE2 (the x86-64 baseline): 16 bytes a step; the last step overlaps the
 * one before rather than falling back to bytes. */
static size_t gate_sse2(const char *s, size_t len, char a, char b)
{
    if (len < 16)
        return gate_c(s, len, a, b);
    const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
    unsigned m;
    for (size_t k = 0; k + 16 < len; k += 16)
        if ((m = sse2_hits(s + k, va, vb)) != 0)
            return k + (size_t)__builtin_ctz(m);
    if ((m = sse2_hits(s + len - 16, va, vb)) != 0)
        return len - 16 + (size_t)__builtin_ctz(m);
    return len;
}

__attribute__((target("avx2"))) static inline unsigned avx2_hits(const char *p, __m256i a,
                                                                 __m256i b)
{
    __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)p);
    return (unsigned)_mm256_movemask_epi8(
        _mm256_or_si256(_mm256_cmpeq_epi8(v, a), _mm256_cmpeq_epi8(v, b)));
}

/* AVX2: 32 bytes a step, the last one overlapping. */
__attribute__((target("avx2"))) static size_t gate_avx2(const char *s, size_t len, char a, char b)
{
    if (len < 32)
        return gate_sse2(s, len, a, b);
    const __m256i va = _mm256_set1_epi8(a), vb = _mm256_set1_epi8(b);
    unsigned m;
    for (size_t k = 0; k + 32 < len; k += 32)
        if ((m = avx2_hits(s + k, va, vb)) != 0)
            return k + (size_t)__builtin_ctz(m);
    if ((m = avx2_hits(s + len - 32, va, vb)) != 0)
        return len - 32 + (size_t)__builtin_ctz(m);
    return len;
}
#endif

static inline size_t gate(const char *s, size_t len, char a, char b)
{
#ifdef HAVE_GATE_X86
    /* Asked on every call (cpu_set_limit may change the answer): a load
     * and a compare after the first. */
    return cpu_has(CPU_AVX2) ? gate_avx2(s, len, a, b) : gate_sse2(s, len, a, b);
#else
    return gate_c(s, len, a, b);
#endif
}

bool qs_may_decode(const char *s, size_t len)
{
    size_t p = gate(s, len, '%', '?');
    if (p >= len)
        return false;
    /* A '?' first: a token worth decoding needs a '%' or a '+' after it,
     * which most queries ("?page=2&sort=asc") have not. */
    return s[p] == '%' || gate(s + p, len - p, '%', '+') < len - p;
}

static size_t find(const char *s, size_t len, size_t from, char c)
{
    const char *p = memchr(s + from, c, len - from);
    return p != NULL ? (size_t)(p - s) : len;
}

void qs_iter_init(qs_iter *it, const char *s, size_t len)
{
    it->s = s;
    it->len = len;
    it->pos = 0;
    it->pct_at = find(s, len, 0, '%');
    it->q_at = find(s, len, 0, '?');
}

static inline bool is_pct_escape(const char *s, size_t k, size_t end)
{
    return k + 3 <= end && esc_hexv1[(unsigned char)s[k + 1]] && esc_hexv1[(unsigned char)s[k + 2]];
}

/* The end of the token that holds s[c] (c < len), and whether a '+' or a
 * "%XX" escape is in it at or after c. */
static size_t token_end(const char *s, size_t len, size_t c, bool *plus, bool *pct)
{
    size_t b = c;
    for (; b < len; b++) {
        unsigned k = te_class[(unsigned char)s[b]];
        if (k == 0)
            continue;
        if (k == TE_DELIM)
            break;
        if (k == TE_PLUS)
            *plus = true;
        else if (is_pct_escape(s, b, len))
            *pct = true;
    }
    return b;
}

bool qs_next(qs_iter *it, qs_token *t)
{
    const char *s = it->s;
    size_t len = it->len;
    for (;;) {
        /* Every token worth decoding holds a '%' (the escape) or a '?'
         * (before its '+'): only tokens around one are looked at, so the
         * '+' of "+0000]" in every access log line costs nothing. */
        if (it->pct_at < it->pos)
            it->pct_at = find(s, len, it->pos, '%');
        if (it->q_at < it->pos)
            it->q_at = find(s, len, it->pos, '?');
        size_t c = it->pct_at < it->q_at ? it->pct_at : it->q_at;
        if (c >= len) {
            it->pos = len;
            return false;
        }
        /* c is the token's first '%' or first '?', whichever comes first:
         * neither is in [it->pos, c). */
        bool plus = false, pct = false, q, eq = false, plus_before = false;
        size_t b = token_end(s, len, c, &plus, &pct);
        if (s[c] == '?' && !plus && !pct) {
            it->pos = b; /* the common "?page=2&sort=asc": nothing to decode */
            continue;
        }
        /* The token's start.  it->pos is 0 or just past the last token
         * looked at (a delimiter), so the walk back reads bytes not read
         * before: a walk over the whole line is linear. */
        size_t a = c;
        while (a > it->pos && !is_delim((unsigned char)s[a - 1])) {
            a--;
            eq = eq || s[a] == '=';
            plus_before = plus_before || s[a] == '+';
        }
        it->pos = b;
        if (s[c] == '?') {
            q = true; /* plus: a '+' after the first '?' */
        } else {
            const char *qm = memchr(s + c, '?', b - c);
            q = qm != NULL;
            if (q)
                plus = memchr(qm, '+', (size_t)(s + b - qm)) != NULL;
            else
                plus = plus || plus_before; /* a key=value run: '+' anywhere */
            eq = eq || memchr(s + c, '=', b - c) != NULL;
        }
        if ((pct && (q || eq)) || (plus && q)) {
            /* A token that spells a space "%20" does not spell it '+'. */
            bool sp20 = pct && (memmem(s + a, b - a, "%20", 3) != NULL ||
                                memmem(s + a, b - a, "%2520", 5) != NULL);
            *t = (qs_token){.start = a, .end = b, .plus_space = plus && !sp20};
            return true;
        }
    }
}

static inline bool is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Bytes of an address's local part that a sub-address runs over. */
static inline bool is_local(unsigned char c)
{
    return is_alnum(c) || c == '.' || c == '_' || c == '-' || c == '+';
}

/* Does the '+' at tok[i] (i < n) stay a '+' under QS_PLUS_SPACE?  `prev`
 * is the decoded byte before it (0 at the start).  Two cases read better
 * as a '+' than as a space, and reading them so costs nothing when wrong
 * (a rule then sees one '+' more): the sign of a number after a
 * non-word byte ("=+41", " +49"), and the '+' of a sub-address, between
 * two words the second of which runs into an '@' ("bob+tag@example.com",
 * also "%40" and "%2540"), so that the whole address is found, not
 * "tag@example.com" with "bob" left. */
static bool plus_stays(const char *tok, size_t n, size_t i, unsigned char prev)
{
    if (i + 1 >= n)
        return false;
    unsigned char next = (unsigned char)tok[i + 1];
    if (next >= '0' && next <= '9' && !is_alnum(prev))
        return true;
    if (!is_alnum(prev) || !is_alnum(next))
        return false;
    /* 64 bytes: the longest local part. */
    for (size_t k = i + 1; k < n && k <= i + 64; k++) {
        if (tok[k] == '@')
            return true;
        if (tok[k] == '%')
            return (k + 3 <= n && tok[k + 1] == '4' && tok[k + 2] == '0') ||
                   (k + 5 <= n && memcmp(tok + k + 1, "2540", 4) == 0);
        if (!is_local((unsigned char)tok[k]))
            return false;
    }
    return false;
}

size_t qs_decode(const char *tok, size_t n, qs_plus plus, char *dec, size_t *map)
{
    /* '+' is read in the query part: after the first '?', or everywhere in
     * a key=value run without one. */
    const char *qm = memchr(tok, '?', n);
    size_t plus_from = qm != NULL ? (size_t)(qm - tok) + 1 : 0;
    size_t d = 0, i = 0;
    while (i < n) {
        /* A run of plain bytes first: copied, mapped one to one. */
        size_t j = i;
        while (j < n && tok[j] != '%' && tok[j] != '+')
            j++;
        memcpy(dec + d, tok + i, j - i);
        if (map == NULL) {
            d += j - i;
            i = j;
        } else {
            for (; i < j; i++)
                map[d++] = i;
        }
        if (i == n)
            break;
        if (map != NULL)
            map[d] = i;
        if (tok[i] == '%' && is_pct_escape(tok, i, n)) {
            unsigned b = (esc_hexv1[(unsigned char)tok[i + 1]] - 1u) << 4 |
                         (esc_hexv1[(unsigned char)tok[i + 2]] - 1u);
            size_t k = i + 3;
            /* "%25" followed by two hex digits: one level more. */
            for (int lv = 0;
                 b == '%' && lv < QS_MAX_LEVELS && k + 2 <= n && esc_hexv1[(unsigned char)tok[k]] &&
                 esc_hexv1[(unsigned char)tok[k + 1]];
                 lv++) {
                b = (esc_hexv1[(unsigned char)tok[k]] - 1u) << 4 |
                    (esc_hexv1[(unsigned char)tok[k + 1]] - 1u);
                k += 2;
            }
            dec[d++] = (char)b;
            i = k;
        } else if (tok[i] == '+' && plus == QS_PLUS_SPACE && i >= plus_from) {
            dec[d] = plus_stays(tok, n, i, d > 0 ? (unsigned char)dec[d - 1] : 0) ? '+' : ' ';
            d++;
            i++;
        } else {
            dec[d++] = tok[i++];
        }
    }
    if (map != NULL)
        map[d] = n;
    return d;
}

size_t qs_encoded_len(const size_t *map, size_t base, const char *v, const size_t *prov,
                      size_t vlen)
{
    size_t n = 0;
    for (size_t j = 0; j < vlen; j++) {
        if (prov[j] == QS_NEW)
            n += must_escape((unsigned char)v[j]) ? 3 : 1;
        else
            n += map[prov[j] - base + 1] - map[prov[j] - base];
    }
    return n;
}

size_t qs_encode(const char *tok, const size_t *map, size_t base, const char *v, const size_t *prov,
                 size_t vlen, char *dst)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0, j = 0;
    while (j < vlen) {
        if (prov[j] == QS_NEW) {
            unsigned char c = (unsigned char)v[j++];
            if (must_escape(c)) {
                dst[o++] = '%';
                dst[o++] = hex[c >> 4];
                dst[o++] = hex[c & 15];
            } else {
                dst[o++] = (char)c;
            }
            continue;
        }
        /* A run of bytes copied in order: one copy of their encoding. */
        size_t first = prov[j] - base, last = first;
        while (j + 1 < vlen && prov[j + 1] == last + base + 1)
            last = prov[++j] - base;
        j++;
        memcpy(dst + o, tok + map[first], map[last + 1] - map[first]);
        o += map[last + 1] - map[first];
    }
    return o;
}
