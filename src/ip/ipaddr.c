/* ipaddr.c -- the IP engine: a hand-written scanner that finds IPv4 and IPv6
 * addresses in free text, plus parsing, truncation and canonical formatting.
 *
 * Why not a regex: the scanner runs on every byte of every line, and the
 * decisions that matter (token boundaries, ports glued to IPv6, hex dumps,
 * embedded dotted quads) are easier to state and to test as code.
 *
 * The scan jumps from one '.' or ':' to the next (SSE2 where available):
 * every address has one of them within its first five bytes, so only the few
 * bytes before such a separator can start an address.  Each candidate is
 * parsed greedily by the RFC 4291 grammar, then its neighbours are checked:
 * an address glued to letters or digits ("v1.2.3.4beta"), or part of a
 * longer dotted number ("1.2.3.4.5") or colon run (hex dumps), is not one.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "ip/ipaddr.h"

#include "common/cpu.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Byte classes, built once by hand so the hot path is one table load. */
enum {
    C_DIGIT = 1, /* 0-9 */
    C_HEX = 2,   /* 0-9 a-f A-F */
    C_ALNUM = 4, /* 0-9 a-z A-Z: glues to an address */
    C_ZONE = 8   /* characters allowed in a zone id */
};

static const uint8_t cls[256] = {
#define D (C_DIGIT | C_HEX | C_ALNUM | C_ZONE)
#define H (C_HEX | C_ALNUM | C_ZONE)
#define L (C_ALNUM | C_ZONE)
    ['0'] = D, ['1'] = D, ['2'] = D, ['3'] = D, ['4'] = D,
    ['5'] = D, ['6'] = D, ['7'] = D, ['8'] = D, ['9'] = D,
    ['a'] = H, ['b'] = H, ['c'] = H, ['d'] = H, ['e'] = H, ['f'] = H,
    ['A'] = H, ['B'] = H, ['C'] = H, ['D'] = H, ['E'] = H, ['F'] = H,
    ['g'] = L, ['h'] = L, ['i'] = L, ['j'] = L, ['k'] = L, ['l'] = L, ['m'] = L,
    ['n'] = L, ['o'] = L, ['p'] = L, ['q'] = L, ['r'] = L, ['s'] = L, ['t'] = L,
    ['u'] = L, ['v'] = L, ['w'] = L, ['x'] = L, ['y'] = L, ['z'] = L,
    ['G'] = L, ['H'] = L, ['I'] = L, ['J'] = L, ['K'] = L, ['L'] = L, ['M'] = L,
    ['N'] = L, ['O'] = L, ['P'] = L, ['Q'] = L, ['R'] = L, ['S'] = L, ['T'] = L,
    ['U'] = L, ['V'] = L, ['W'] = L, ['X'] = L, ['Y'] = L, ['Z'] = L,
    ['_'] = C_ZONE, ['.'] = C_ZONE, ['~'] = C_ZONE, ['-'] = C_ZONE,
#undef D
#undef H
#undef L
};

#define IS(c, k) (cls[(unsigned char)(c)] & (k))

/* One more than the value of a hex digit; 0 for any other byte. */
static const uint8_t hexv1[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
    ['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
    ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* Reads one octet at u[i]: 1-3 decimal digits, or four with a leading zero
 * ("0203", as zero-padded logs write them), value at most 255.  Returns the
 * digit count, or 0 when there is no octet there. */
static inline size_t octet_at(const unsigned char *u, size_t len, size_t i, unsigned *v)
{
    unsigned d0, d1, d2, d3;
    if (i >= len || (d0 = u[i] - (unsigned)'0') > 9)
        return 0;
    if (i + 1 >= len || (d1 = u[i + 1] - (unsigned)'0') > 9) {
        *v = d0;
        return 1;
    }
    if (i + 2 >= len || (d2 = u[i + 2] - (unsigned)'0') > 9) {
        *v = d0 * 10 + d1;
        return 2;
    }
    if (i + 3 < len && (d3 = u[i + 3] - (unsigned)'0') <= 9) {
        if (d0 != 0 || (i + 4 < len && u[i + 4] - (unsigned)'0' <= 9))
            return 0; /* four digits without a leading zero, or five */
        *v = d1 * 100 + d2 * 10 + d3;
        return *v <= 255 ? 4 : 0;
    }
    *v = d0 * 100 + d1 * 10 + d2;
    return *v <= 255 ? 3 : 0;
}

/* Parses a dotted quad starting at s[i] (digits only, 1-3 per octet, each at
 * most 255; leading zeros read as decimal).  On success stores the four
 * octets and the end offset. */
static bool v4_at(const char *s, size_t len, size_t i, uint8_t oct[4], size_t *end)
{
    const unsigned char *u = (const unsigned char *)s;
    for (int k = 0; k < 4; k++) {
        if (k > 0) {
            if (i >= len || u[i] != '.')
                return false;
            i++;
        }
        unsigned v;
        size_t n = octet_at(u, len, i, &v);
        if (n == 0)
            return false;
        oct[k] = (uint8_t)v;
        i += n;
    }
    *end = i;
    return true;
}

/* Parses the longest IPv6 address starting at s[i] by the RFC 4291 grammar.
 * On success fills *ip and *end and tells whether a dotted quad ended it and
 * how many groups were written out.  When a group runs past four hex digits
 * after a single ':' ("::1:44580", Apache's unbracketed client:port), the
 * address ends before that ':' and *split is set; the caller decides whether
 * what follows is a port. */
static bool v6_at(const char *s, size_t len, size_t i, ipaddr *ip, size_t *end, bool *dotted,
                  int *groups, bool *split)
{
    uint16_t g[8];
    int n = 0, dc = -1;
    bool dq = false;
    *split = false;

    if (i < len && s[i] == ':') {
        if (i + 1 >= len || s[i + 1] != ':')
            return false;
        dc = 0;
        i += 2;
    }
    while (n < 8 && i < len && hexv1[(unsigned char)s[i]]) {
        size_t gs = i;
        unsigned v = 0, x;
        while (i < len && i - gs < 4 && (x = hexv1[(unsigned char)s[i]]) != 0) {
            v = (v << 4) | (x - 1);
            i++;
        }
        if (i < len && hexv1[(unsigned char)s[i]]) {
            /* Five or more hex digits: not a group.  After a single ':' the
             * address may end there; otherwise there is none. */
            if (n == 0 || s[gs - 1] != ':' || (gs >= 2 && s[gs - 2] == ':'))
                return false;
            i = gs - 1;
            *split = true;
            break;
        }
        if (i < len && s[i] == '.') {
            uint8_t o[4];
            size_t e;
            if ((dc >= 0 ? n <= 5 : n == 6) && v4_at(s, len, gs, o, &e)) {
                g[n++] = (uint16_t)(o[0] << 8 | o[1]);
                g[n++] = (uint16_t)(o[2] << 8 | o[3]);
                i = e;
                dq = true;
            } else {
                g[n++] = (uint16_t)v; /* caller rejects the '.' that follows */
            }
            break;
        }
        g[n++] = (uint16_t)v;
        if (n == 8 || i + 1 >= len || s[i] != ':')
            break;
        if (s[i + 1] == ':') {
            if (dc >= 0)
                break; /* a second "::": the address ends before it */
            dc = n;
            i += 2;
        } else if (IS(s[i + 1], C_HEX)) {
            i += 1;
        } else {
            break; /* a lone trailing ':' is punctuation, not ours */
        }
    }
    if (dc < 0 ? n != 8 : n > 7)
        return false;

    memset(ip->a, 0, sizeof ip->a);
    int tail = dc < 0 ? 0 : n - dc;
    for (int k = 0; k < n; k++) {
        int pos = (dc >= 0 && k >= dc) ? 8 - tail + (k - dc) : k;
        ip->a[2 * pos] = (uint8_t)(g[k] >> 8);
        ip->a[2 * pos + 1] = (uint8_t)g[k];
    }
    static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    ip->family = 6;
    ip->mapped = memcmp(ip->a, mapped_prefix, 12) == 0;
    *end = i;
    *dotted = dq;
    *groups = dc >= 0 && dc == n ? -n : n; /* negative: ends with "::" */
    return true;
}

bool ip_parse_v4(const char *s, size_t len, ipaddr *out)
{
    uint8_t o[4];
    size_t end;
    if (!v4_at(s, len, 0, o, &end) || end != len)
        return false;
    memset(out->a, 0, sizeof out->a);
    memcpy(out->a + 12, o, 4);
    out->family = 4;
    out->mapped = false;
    return true;
}

bool ip_parse_v6(const char *s, size_t len, ipaddr *out)
{
    size_t end;
    bool dotted, split;
    int groups;
    return v6_at(s, len, 0, out, &end, &dotted, &groups, &split) && end == len && !split;
}

/* Bit k set when s[base + k] is '.', ':', or the start of an escape ('%',
 * '\\', '&': "%3A", "\\u002e", "&#46;"), for the 16 bytes at base (fewer
 * at the end of the text). */
static inline __attribute__((always_inline)) unsigned sep_mask(const char *s, size_t len,
                                                                 size_t base)
{
    unsigned mask = 0;
#if defined(__SSE2__)
    if (len >= 16) {
        /* Near the end, load the last 16 bytes and drop what was seen. */
        size_t at = base + 16 <= len ? base : len - 16;
        const __m128i dot = _mm_set1_epi8('.'), colon = _mm_set1_epi8(':');
        const __m128i pct = _mm_set1_epi8('%'), bsl = _mm_set1_epi8('\\');
        const __m128i amp = _mm_set1_epi8('&');
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + at));
        __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, dot), _mm_cmpeq_epi8(v, colon));
        __m128i esc = _mm_or_si128(_mm_cmpeq_epi8(v, bsl), _mm_cmpeq_epi8(v, amp));
        hit = _mm_or_si128(hit, _mm_or_si128(esc, _mm_cmpeq_epi8(v, pct)));
        return (unsigned)_mm_movemask_epi8(hit) >> (base - at);
    }
#endif
    for (size_t k = 0; k < 16 && base + k < len; k++)
        if (s[base + k] == '.' || s[base + k] == ':' || s[base + k] == '%' ||
            s[base + k] == '\\' || s[base + k] == '&')
            mask |= 1u << k;
    return mask;
}

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_SEP64 1
#include <immintrin.h>

/* sep_mask for 64 bytes at once, on CPUs with AVX-512BW (chosen at run
 * time: the build targets the x86-64 baseline).  A masked load reads
 * nothing at or past len.  Four times fewer steps between separators. */
__attribute__((target("avx512bw"))) static uint64_t sep_mask64(const char *s, size_t len,
                                                                size_t base)
{
    size_t left = len - base;
    __mmask64 valid = left >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << left) - 1;
    __m512i v = _mm512_maskz_loadu_epi8(valid, s + base);
    return _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('.')) |
           _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(':')) |
           _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('%')) |
           _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\\')) |
           _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('&'));
}

#endif

/* Does the alphanumeric byte before s[c] end an escape sequence rather than
 * a word?  "%2C1.2.3.4" (URL), "\\t1.2.3.4" and "\\u003c1.2.3.4" (JSON). */
static bool after_escape(const char *s, size_t c)
{
    if (c >= 3 && s[c - 3] == '%' && IS(s[c - 2], C_HEX) && IS(s[c - 1], C_HEX))
        return true;
    if (c >= 2 && s[c - 2] == '\\' && s[c - 1] != 'x' && s[c - 1] != 'u')
        return true;
    if (c >= 4 && s[c - 4] == '\\' && s[c - 3] == 'x' && IS(s[c - 2], C_HEX) && IS(s[c - 1], C_HEX))
        return true; /* "\\x0032.0.2.1": a NUL, then the address */
    return c >= 6 && s[c - 6] == '\\' && s[c - 5] == 'u' && IS(s[c - 4], C_HEX) &&
           IS(s[c - 3], C_HEX) && IS(s[c - 2], C_HEX) && IS(s[c - 1], C_HEX);
}

/* May an address start at s[c] as far as the bytes before it go?  With
 * `glued_ok`, a letter right before the start is accepted (see ip_scan). */
static bool left_ok(const char *s, size_t c, bool v6, bool glued_ok)
{
    if (c == 0)
        return true;
    char b = s[c - 1];
    if (IS(b, C_ALNUM)) {
        /* Right after "\\x" or "\\u" the digits are the escape's ("\\x0032"
         * is one character): the escaped reading is try_encoded's. */
        if (c >= 2 && s[c - 2] == '\\' && (b == 'x' || b == 'u'))
            return false;
        if (after_escape(s, c))
            return true;
        /* A letter glued to a dotted quad ("from1.2.3.4", "v1.2.3.4beta")
         * does not make it something else: when in doubt, mask.  A digit
         * before it means a longer number.  IPv6 is judged by the caller. */
        return v6 ? glued_ok : !IS(b, C_DIGIT);
    }
    if (b == '.') /* "5.1.2.3.4": the tail of a longer dotted number */
        return v6 || !(c >= 2 && IS(s[c - 2], C_DIGIT));
    if (b == ':' && v6) {
        /* Inside a colon run ("00:11:...:88"): the earlier start was tried
         * already.  "id:2001:db8::1" still counts: "d" is glued to "i", so it
         * is not a group of its own; nor is the "4" of "1.2.3.4:2001:...". */
        if ((c >= 2 && s[c - 2] == ':') || s[c] == ':')
            return false; /* ":::" is never part of an address */
        size_t q = c - 1;
        while (q > 0 && IS(s[q - 1], C_HEX) && c - 1 - q < 5)
            q--;
        size_t run = c - 1 - q;
        if (run >= 1 && run <= 4 && (q == 0 || !(IS(s[q - 1], C_ALNUM) || s[q - 1] == '.')))
            return false;
    }
    return true;
}

/* May an address that ends at s[e] end there? */
static bool right_ok(const char *s, size_t len, size_t e, bool v6)
{
    if (e >= len)
        return true;
    char b = s[e];
    if (IS(b, C_ALNUM))
        return !v6 && !IS(b, C_DIGIT); /* "1.2.3.4ms": see left_ok */
    if (e + 1 < len) {
        char n = s[e + 1];
        if (b == '.' && IS(n, C_DIGIT))
            return false;
        if (v6 && b == ':' &&
            (IS(n, C_HEX) || (n == ':' && e + 2 < len && IS(s[e + 2], C_HEX))))
            return false;
    }
    return true;
}

/* Can the run of hex digits, ':' and '.' that starts with the ':' at s[p]
 * hold an IPv6 address?  One needs "::", seven colons, or six colons and a
 * dotted quad; times ("13:55:36") and MACs have fewer.  Stores where the run
 * ends (at most 45 bytes are looked at) and whether it has a '.'. */
static bool v6_plausible(const char *s, size_t len, size_t p, size_t *run_end, bool *dot)
{
    unsigned colons = 0;
    bool dbl = false;
    size_t k = p, lim = len - p > IP_TEXT_MAX ? p + IP_TEXT_MAX : len;
    *dot = false;
    for (; k < lim; k++) {
        if (s[k] == ':') {
            colons++;
            if (k > p && s[k - 1] == ':')
                dbl = true;
        } else if (s[k] == '.') {
            *dot = true;
        } else if (!IS(s[k], C_HEX)) {
            break;
        }
    }
    *run_end = k;
    return dbl || colons >= 7 || (*dot && colons >= 6) || k == lim;
}

/* Is s[p, len) ".in-addr.arpa" (any case), the reverse-DNS form? */
static bool reverse_dns_at(const char *s, size_t len, size_t p)
{
    static const char suffix[] = ".in-addr.arpa";
    if (len - p < sizeof suffix - 1)
        return false;
    for (size_t k = 0; k < sizeof suffix - 1; k++)
        if ((s[p + k] | (s[p + k] == '.' || s[p + k] == '-' ? 0 : 0x20)) != suffix[k])
            return false;
    return true;
}

/* Value of five decimal digits. */
static unsigned long strtoul_5(const char *d)
{
    unsigned long v = 0;
    for (int k = 0; k < 5; k++)
        v = v * 10 + (unsigned long)(d[k] - '0');
    return v;
}

/* Is s[e] the ':' of a five-digit port (an ephemeral client port, as Apache
 * logs it), followed by a boundary?  Shorter ones look like hex groups. */
static bool port_at(const char *s, size_t len, size_t e)
{
    if (e >= len || s[e] != ':')
        return false;
    size_t k = e + 1;
    while (k < len && IS(s[k], C_DIGIT) && k - e <= 5)
        k++;
    size_t n = k - e - 1;
    if (n != 5 || strtoul_5(s + e + 1) > 65535)
        return false;
    return k >= len || !(IS(s[k], C_ALNUM) || s[k] == ':' || s[k] == '.');
}

/* Reads the run of dotted decimal numbers that starts with the digit at
 * s[c]: stores where each number starts and ends and returns how many there
 * are, or 6 for more than five or for a number of more than five digits. */
static int dotted_run(const char *s, size_t len, size_t c, size_t st[5], size_t en[5])
{
    int n = 0;
    size_t k = c;
    for (;;) {
        size_t b = k;
        while (k < len && IS(s[k], C_DIGIT))
            k++;
        if (k - b > 5 || n == 5)
            return 6;
        st[n] = b;
        en[n++] = k;
        if (!(k + 1 < len && s[k] == '.' && IS(s[k + 1], C_DIGIT)))
            return n;
        k++;
    }
}

static inline void set_v4(ipaddr *ip, const uint8_t o[4])
{
    memset(ip->a, 0, sizeof ip->a);
    memcpy(ip->a + 12, o, 4);
    ip->family = 4;
    ip->mapped = false;
}

/* Is s[c] a letter (not a digit)? */
static inline bool letter_at(const char *s, size_t len, size_t c)
{
    return c < len && IS(s[c], C_ALNUM) && !IS(s[c], C_DIGIT);
}

/* try_v4 for five dotted numbers at s[c] of which the first or the last
 * four are an address (tcpdump's "1.2.3.4.443", an OID's "1.1.2.3.4"). */
__attribute__((noinline, cold)) static bool try_v4_five(const char *s, size_t len, size_t c,
                                                         ipmatch *m)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t st[5], en[5];
    uint8_t o[5];
    bool ok[5];
    int n = dotted_run(s, len, c, st, en);
    if (n != 5 || !right_ok(s, len, en[4], false))
        return false;
    for (int k = 0; k < 5; k++) {
        unsigned v = 0;
        ok[k] = octet_at(u, len, st[k], &v) == en[k] - st[k];
        o[k] = (uint8_t)v;
    }
    bool first = ok[0] && ok[1] && ok[2] && ok[3];
    bool last = ok[1] && ok[2] && ok[3] && ok[4];
    if (!first && !last)
        return false;
    m->enc_sep = m->enc_dig = IP_ENC_LIT;
    m->enc_upper = false;
    m->form = first && last ? IP_FORM_V4_FIVE : first ? IP_FORM_V4_NUM_LAST : IP_FORM_V4_NUM_FIRST;
    set_v4(&m->addr, first ? o : o + 1);
    if (first && last) { /* which four is anyone's guess: mask both */
        set_v4(&m->addr2, o + 1);
    } else {
        /* The match takes the whole run: the number is kept as written. */
        size_t k = first ? 4 : 0;
        m->num_len = (uint8_t)(en[k] - st[k]);
        memcpy(m->num, s + st[k], m->num_len);
    }
    m->start = st[0];
    m->end = m->zone_end = en[4];
    return true;
}

/* Tries an IPv4 address starting exactly at s[c]: a dotted quad, or five
 * dotted numbers (try_v4_five). */
static inline __attribute__((always_inline)) bool try_v4(const char *s, size_t len, size_t c,
                                                          ipmatch *m)
{
    uint8_t o[4];
    size_t e;
    if (!left_ok(s, c, false, false))
        return false;
    if (!v4_at(s, len, c, o, &e)) {
        /* Five numbers whose first is no octet ("256.1.2.3.4"): the last
         * four must be a dotted quad.  When the first is an octet, a later
         * number failed, and it is in the last four too. */
        size_t k = c;
        unsigned v;
        while (k < len && k - c < 6 && IS(s[k], C_DIGIT))
            k++;
        if (k >= len || s[k] != '.' || octet_at((const unsigned char *)s, len, c, &v) == k - c ||
            !v4_at(s, len, k + 1, o, &e))
            return false;
        return try_v4_five(s, len, c, m);
    }
    if (!right_ok(s, len, e, false))
        return s[e] == '.' && try_v4_five(s, len, c, m);
    m->form = IP_FORM_V4;
    m->enc_sep = m->enc_dig = IP_ENC_LIT;
    m->enc_upper = false;
    m->start = c;
    m->end = m->zone_end = e;
    if (reverse_dns_at(s, len, e)) {
        /* "4.3.2.1.in-addr.arpa" names 1.2.3.4: keep the real address. */
        uint8_t r[4] = {o[3], o[2], o[1], o[0]};
        set_v4(&m->addr, r);
        m->form = IP_FORM_V4_REVERSED;
        return true;
    }
    set_v4(&m->addr, o);
    if (c >= 2 && s[c - 1] == '.' && letter_at(s, len, c - 2) && e + 1 < len && s[e] == '.' &&
        letter_at(s, len, e + 1)) {
        /* Between host name labels: providers write it either way round
         * ("static.4.3.2.1.clients.example"). */
        uint8_t r[4] = {o[3], o[2], o[1], o[0]};
        set_v4(&m->addr2, r);
        m->form = IP_FORM_V4_EITHER;
    }
    return true;
}

/* Are the eight groups of s[c, e) each exactly two hex digits, as in a byte
 * dump or iptables' "MAC=" field rather than an address?  (A global
 * address's first group has four digits.) */
static bool byte_groups(const char *s, size_t c, size_t e)
{
    size_t run = 0;
    for (size_t k = c; k <= e; k++) {
        if (k == e || s[k] == ':') {
            if (run != 2)
                return false;
            run = 0;
        } else {
            run++;
        }
    }
    return true;
}

/* Tries an IPv6 address starting exactly at s[c]. */
static bool try_v6(const char *s, size_t len, size_t c, bool glued_ok, ipmatch *m)
{
    size_t e;
    bool dotted, split;
    int groups;
    if (!left_ok(s, c, true, glued_ok) ||
        !v6_at(s, len, c, &m->addr, &e, &dotted, &groups, &split))
        return false;
    /* "::" and a short group before it ("b::", "ab::") are C++ scopes and
     * placeholders far more often than addresses; "2a01::" is a network. */
    if (groups == 0 || (groups == -1 && e - c < 5))
        return false;
    /* Apache writes "[client 2001:db8::7:52044]": a port glued with ':'.  A
     * five-digit port shows up as a too-long group (split), or follows all
     * eight groups. */
    int ng = groups < 0 ? -groups : groups;
    if (split) {
        if (!port_at(s, len, e)) {
            /* A last group glued to a word ("...:370:7334abc"): its first
             * four digits end the address, and the match takes the rest of
             * the hex run with it, so what is written after the mask
             * ("abc") cannot read as more groups. */
            size_t lim = e + 5;
            bool d2, s2;
            if (ng < 2 || lim > len || !v6_at(s, lim, c, &m->addr, &e, &d2, &groups, &s2) ||
                e != lim || s2)
                return false;
            dotted = d2;
            while (e < len && IS(s[e], C_HEX))
                e++;
        }
    } else if (e + 1 < len && s[e] == '.' && IS(s[e + 1], C_DIGIT)) {
        /* A '.' and a digit after the address: a dotted tail that did not
         * parse ("::1.2") when the last group is decimal; plain punctuation
         * after a group with a hex letter ("::d.0"). */
        size_t k = e;
        while (k > c && IS(s[k - 1], C_DIGIT))
            k--;
        if (k > c && k < e && e - k <= 3 && s[k - 1] == ':')
            return false;
    } else if (!right_ok(s, len, e, true)) {
        /* A word glued on ("2001:db8::1x") does not make it no address;
         * nor do a port or more groups after all eight ("...:7334:443",
         * nine groups), unless all are byte pairs (a hex dump). */
        bool glued = IS(s[e], C_ALNUM) && ng >= 3;
        bool more = groups == 8 && (port_at(s, len, e) || (s[e] == ':' && !byte_groups(s, c, e)));
        if (!glued && !more)
            return false;
    }
    /* A zone id ("%eth0", "%25eth0") is reported but stays ordinary text for
     * the scan, so an address glued after it is still found.  "%2C" and the
     * like are URL escapes, not zones. */
    size_t z = e;
    if (z + 1 < len && s[z] == '%' && IS(s[z + 1], C_ZONE) &&
        !(z + 2 < len && IS(s[z + 1], C_HEX) && IS(s[z + 2], C_HEX) &&
          !(s[z + 1] == '2' && s[z + 2] == '5'))) {
        z++;
        while (z < len && IS(s[z], C_ZONE))
            z++;
    }
    m->start = c;
    m->end = e;
    m->zone_end = z;
    m->form = dotted ? IP_FORM_V6_DOTTED : IP_FORM_V6;
    m->enc_sep = m->enc_dig = IP_ENC_LIT;
    m->enc_upper = false;
    return true;
}

/* Is s[k] the start of "%3A" or "%3a", a URL-encoded ':'? */
static bool pct_colon(const char *s, size_t len, size_t k)
{
    return k + 2 < len && s[k] == '%' && s[k + 1] == '3' && (s[k + 2] | 0x20) == 'a';
}

/* Tries a URL-encoded IPv6 address ("2001%3Adb8%3A%3A1", as in a query
 * string) starting exactly at s[c].  The text is decoded into a small buffer,
 * parsed by the same grammar and judged by the same boundary rules. */
static bool try_v6_url(const char *s, size_t len, size_t c, bool glued_ok, ipmatch *m)
{
    char dec[IP_TEXT_MAX + 1];
    size_t at[IP_TEXT_MAX + 2]; /* offset in s of each decoded byte, and the end */
    size_t n = 0, k = c;
    bool encoded = false;
    while (n < IP_TEXT_MAX + 1 && k < len) {
        at[n] = k;
        if (IS(s[k], C_HEX) || s[k] == '.') {
            dec[n++] = s[k++];
        } else if (pct_colon(s, len, k)) {
            dec[n++] = ':';
            k += 3;
            encoded = true;
        } else {
            break;
        }
    }
    at[n] = k;
    size_t e;
    bool dotted, split;
    int groups;
    if (!encoded || !left_ok(s, c, true, glued_ok) ||
        !v6_at(dec, n, 0, &m->addr, &e, &dotted, &groups, &split) || split)
        return false;
    if (groups == 0 || (groups == -1 && e < 5))
        return false;
    if (!right_ok(dec, n, e, true) || (e == n && k < len && IS(s[k], C_ALNUM)))
        return false;
    m->start = c;
    m->end = m->zone_end = at[e];
    m->form = IP_FORM_V6_URL;
    m->enc_sep = m->enc_dig = IP_ENC_LIT;
    m->enc_upper = false;
    return true;
}

/* Can c be part of an address's text? */
static inline bool addr_char(unsigned char c)
{
    return hexv1[c] != 0 || c == '.' || c == ':';
}

/* Value of the two hex digits at s[k]; -1 when they are not both hex. */
static inline int hex2(const char *s, size_t len, size_t k)
{
    if (k + 1 >= len || !hexv1[(unsigned char)s[k]] || !hexv1[(unsigned char)s[k + 1]])
        return -1;
    return (hexv1[(unsigned char)s[k]] - 1) << 4 | (hexv1[(unsigned char)s[k + 1]] - 1);
}

/* Notes in *upper the case of the hex digits s[k], s[k + 1] when they tell
 * one (a letter among them); *upper starts at -1, unknown. */
static inline void note_case(const char *s, size_t k, int *upper)
{
    for (size_t j = k; j < k + 2; j++)
        if (*upper < 0 && IS(s[j], C_HEX) && !IS(s[j], C_DIGIT))
            *upper = s[j] < 'a';
}

/* Reads one character of an address at s[k], as itself or escaped: "%2E",
 * "%252E", "\\u002e", "\\x2e", "\\.", "&#46;", "&#x2e;", "&period;".  Stores
 * it and its spelling; returns the bytes it takes, 0 when no address
 * character is there. */
static size_t enc_char(const char *s, size_t len, size_t k, char *ch, uint8_t *kind, int *upper)
{
    unsigned char c = (unsigned char)s[k];
    int v;
    *kind = IP_ENC_LIT;
    if (addr_char(c)) {
        *ch = (char)c;
        return 1;
    }
    if (c == '%') {
        if ((v = hex2(s, len, k + 1)) == '%' && (v = hex2(s, len, k + 3)) >= 0 &&
            addr_char((unsigned char)v)) {
            *kind = IP_ENC_PCT25;
            note_case(s, k + 3, upper);
            *ch = (char)v;
            return 5;
        }
        if ((v = hex2(s, len, k + 1)) >= 0 && addr_char((unsigned char)v)) {
            *kind = IP_ENC_PCT;
            note_case(s, k + 1, upper);
            *ch = (char)v;
            return 3;
        }
        return 0;
    }
    if (c == '\\' && k + 1 < len) {
        char n = s[k + 1];
        if (n == '.' || n == ':') {
            *kind = IP_ENC_BSL;
            *ch = n;
            return 2;
        }
        if (n == 'x' && (v = hex2(s, len, k + 2)) >= 0 && addr_char((unsigned char)v)) {
            *kind = IP_ENC_X;
            note_case(s, k + 2, upper);
            *ch = (char)v;
            return 4;
        }
        if (n == 'u' && k + 5 < len && s[k + 2] == '0' && s[k + 3] == '0' &&
            (v = hex2(s, len, k + 4)) >= 0 && addr_char((unsigned char)v)) {
            *kind = IP_ENC_U;
            note_case(s, k + 4, upper);
            *ch = (char)v;
            return 6;
        }
        return 0;
    }
    if (c == '&' && k + 3 < len) {
        if (s[k + 1] == '#') {
            size_t j = k + 2;
            unsigned val = 0;
            bool hex = s[j] == 'x' || s[j] == 'X';
            if (hex)
                j++;
            size_t d0 = j;
            while (j < len && j - d0 < 3 && (hex ? hexv1[(unsigned char)s[j]] != 0 : IS(s[j], C_DIGIT))) {
                val = val * (hex ? 16u : 10u) + (hex ? hexv1[(unsigned char)s[j]] - 1u : (unsigned)(s[j] - '0'));
                j++;
            }
            if (j == d0 || j >= len || s[j] != ';' || val > 255 || !addr_char((unsigned char)val))
                return 0;
            if (hex)
                note_case(s, d0, upper);
            *kind = hex ? IP_ENC_HEXENT : IP_ENC_DEC;
            *ch = (char)val;
            return j + 1 - k;
        }
        if (len - k >= 8 && memcmp(s + k, "&period;", 8) == 0) {
            *kind = IP_ENC_NAMED;
            *ch = '.';
            return 8;
        }
        if (len - k >= 7 && memcmp(s + k, "&colon;", 7) == 0) {
            *kind = IP_ENC_NAMED;
            *ch = ':';
            return 7;
        }
    }
    return 0;
}

/* Tries an address with at least one escaped character (enc_char) that
 * starts exactly at s[c].  The text is decoded into a small buffer and
 * judged there by the same rules as plain text; the byte after it is kept
 * (a space for an escape of anything else) so the right boundary is seen. */
static bool try_encoded_at(const char *s, size_t len, size_t c, ipmatch *m)
{
    enum { DEC_MAX = IP_TEXT_MAX + 24 };
    char dec[DEC_MAX + 1];
    size_t at[DEC_MAX + 1];
    uint8_t kind[DEC_MAX];
    size_t n = 0, k = c;
    int upper = -1;
    bool encoded = false;
    while (n < DEC_MAX && k < len) {
        size_t w = enc_char(s, len, k, &dec[n], &kind[n], &upper);
        if (w == 0)
            break;
        encoded |= kind[n] != IP_ENC_LIT;
        at[n++] = k;
        k += w;
    }
    if (!encoded)
        return false;
    at[n] = k;
    size_t dn = n;
    if (k < len)
        dec[dn++] = s[k] == '%' || s[k] == '\\' || s[k] == '&' ? ' ' : s[k];
    ipmatch t;
    bool v6 = memchr(dec, ':', n) != NULL;
    /* A word glued to a group of three or four digits, as in ip_scan. */
    bool glued = c > 0 && IS(s[c - 1], C_ALNUM) && !IS(s[c - 1], C_HEX) && n > 3 &&
                 IS(dec[0], C_HEX) && IS(dec[1], C_HEX) && IS(dec[2], C_HEX);
    if (!((v6 && left_ok(s, c, true, glued) && try_v6(dec, dn, 0, false, &t)) ||
          (left_ok(s, c, false, false) && try_v4(dec, dn, 0, &t))))
        return false;
    if (t.end > n)
        return false;
    uint8_t sep = IP_ENC_LIT, dig = IP_ENC_LIT;
    bool any = false, seen_sep = false, seen_dig = false;
    for (size_t j = t.start; j < t.end; j++) {
        any |= kind[j] != IP_ENC_LIT;
        if (dec[j] == '.' || dec[j] == ':') {
            if (!seen_sep || (sep == IP_ENC_LIT && kind[j] != IP_ENC_LIT))
                sep = kind[j];
            seen_sep = true;
        } else if (!seen_dig || (dig == IP_ENC_LIT && kind[j] != IP_ENC_LIT)) {
            /* The first escaped digit's spelling, if any is escaped: a
             * match with escapes is never written back as plain text. */
            dig = kind[j];
            seen_dig = true;
        }
    }
    if (!any)
        return false; /* plain text: the plain scan's business */
    *m = t;
    m->start = at[t.start];
    m->end = m->zone_end = at[t.end];
    m->enc_sep = sep;
    m->enc_dig = dig;
    m->enc_upper = upper < 0 ? (sep == IP_ENC_PCT || sep == IP_ENC_PCT25) : upper == 1;
    return true;
}

/* Tries an address with escaped characters around the escape at s[p]: it
 * may start anywhere in the run of address characters before it (not
 * before `from`), after one of its separators, or at p. */
__attribute__((noinline)) static bool try_encoded(const char *s, size_t len, size_t from, size_t p, ipmatch *m)
{
    size_t r = p;
    while (r > from && p - r < IP_TEXT_MAX && addr_char((unsigned char)s[r - 1]))
        r--;
    /* The hex digits of an escape before ("%3Ad%3A%3A": "3A") are that
     * escape's, not a start: "3Ad::" is no address there. */
    while (r < p && ((r >= 1 && s[r - 1] == '%') || (r >= 2 && s[r - 2] == '%') ||
                     (r >= 3 && s[r - 3] == '%' && s[r - 2] == '2' && s[r - 1] == '5')))
        r++;
    for (size_t c = r; c <= p; c++)
        if ((c == r || c == p || s[c - 1] == '.' || s[c - 1] == ':') && try_encoded_at(s, len, c, m))
            return true;
    return false;
}

/* Does s[p] start an escape that enc_char reads as an address character? */
static inline bool enc_start(const char *s, size_t len, size_t p)
{
    char ch;
    uint8_t kind;
    int upper = -1;
    return enc_char(s, len, p, &ch, &kind, &upper) > 1;
}

/* Is there a '-' in s[p - 5, p - 1) (not before `from`), as there is
 * before the last group of a dashed address that ends at s[p]? */
static inline bool dash_before(const char *s, size_t from, size_t p)
{
    if (p >= from + 8) {
        uint64_t w;
        memcpy(&w, s + p - 8, 8); /* s[p - 8, p): the top byte is s[p - 1] */
        w ^= 0x2d2d2d2d2d2d2d2dull;
        /* A zero byte among bytes 3-6 (s[p - 5] .. s[p - 2]). */
        uint64_t z = (w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull;
        return (z & 0x00ffffffff000000ull) != 0;
    }
    for (size_t k = 2; k <= 5 && p >= from + k; k++)
        if (s[p - k] == '-')
            return true;
    return false;
}

/* Tries an address spelled with '-' in a host name, ending at the '.' at
 * s[p]: "ip-1-2-3-4.", "host1-2-3-4.", "2001-db8--1.".  Starts not before
 * `from`. */
__attribute__((noinline)) static bool try_dashed(const char *s, size_t from, size_t p, ipmatch *m)
{
    char buf[IP_TEXT_MAX + 1];
    size_t r = p;
    while (r > from && p - r < IP_TEXT_MAX && (IS(s[r - 1], C_HEX) || s[r - 1] == '-'))
        r--;
    for (size_t c = r; c < p; c++) {
        if (c != r && s[c - 1] != '-')
            continue;
        if (s[c] == '-' && !(c + 1 < p && s[c + 1] == '-'))
            continue;
        size_t n = p - c;
        bool digits = true;
        for (size_t k = 0; k < n; k++) {
            buf[k] = s[c + k] == '-' ? ':' : s[c + k];
            digits &= s[c + k] == '-' || IS(s[c + k], C_DIGIT);
        }
        ipaddr a;
        if (digits) {
            /* IPv4: exactly four numbers; a digit before is a longer
             * number, a letter is glue ("host1-2-3-4"). */
            for (size_t k = 0; k < n; k++)
                if (buf[k] == ':')
                    buf[k] = '.';
            uint8_t o[4];
            size_t e;
            if (c > 0 && IS(s[c - 1], C_DIGIT))
                continue;
            if (!v4_at(buf, n, 0, o, &e) || e != n)
                continue;
            set_v4(&m->addr, o);
            m->form = IP_FORM_V4;
        } else {
            for (size_t k = 0; k < n; k++)
                if (buf[k] == '.')
                    buf[k] = ':';
            size_t e;
            bool dotted, split;
            int groups;
            /* Its first group has four digits, as every global address's
             * and fe80's do: "ab--cd." in a name is no address. */
            if ((c > 0 && IS(s[c - 1], C_HEX)) || n < 7 || s[c + 4] != '-' ||
                !(IS(s[c], C_HEX) && IS(s[c + 1], C_HEX) && IS(s[c + 2], C_HEX) &&
                  IS(s[c + 3], C_HEX)))
                continue;
            if (!v6_at(buf, n, 0, &a, &e, &dotted, &groups, &split) || e != n || split ||
                groups == 0 || (groups == -1 && n < 5))
                continue;
            m->addr = a;
            m->form = IP_FORM_V6;
        }
        m->start = c;
        m->end = m->zone_end = p;
        m->enc_sep = IP_ENC_DASH;
        m->enc_dig = IP_ENC_LIT;
        m->enc_upper = false;
        return true;
    }
    return false;
}

/* Tries the 32 nibbles of an ".ip6.arpa" name in the run of one-character
 * labels around the '.' at s[p] (the run starts not before `from`). */
__attribute__((noinline)) static bool try_nibbles(const char *s, size_t len, size_t from, size_t p, ipmatch *m)
{
    static const char suffix[] = "ip6.arpa";
    size_t q = p - 1; /* the nibble before s[p] */
    while (q >= from + 2 && s[q - 1] == '.' && IS(s[q - 2], C_HEX) &&
           (q == 2 || !IS(s[q - 3], C_ALNUM)) && p - q < 64)
        q -= 2;
    size_t z = q; /* after the run's last "h." */
    while (z + 1 < len && IS(s[z], C_HEX) && s[z + 1] == '.' && z - q < 80)
        z += 2;
    if (z - q < 64 || len - z < sizeof suffix - 1)
        return false;
    for (size_t k = 0; k < sizeof suffix - 1; k++)
        if ((s[z + k] | (s[z + k] == '.' || IS(s[z + k], C_DIGIT) ? 0 : 0x20)) != suffix[k])
            return false;
    size_t start = z - 64;
    memset(&m->addr, 0, sizeof m->addr);
    for (int k = 0; k < 32; k++) {
        unsigned v = hexv1[(unsigned char)s[start + 2 * (31 - k)]] - 1u;
        m->addr.a[k / 2] |= (uint8_t)(k % 2 ? v : v << 4);
    }
    m->addr.family = 6;
    static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    m->addr.mapped = memcmp(m->addr.a, mapped_prefix, 12) == 0;
    m->start = start;
    m->end = m->zone_end = z - 1;
    m->form = IP_FORM_V6_NIBBLE;
    m->enc_sep = m->enc_dig = IP_ENC_LIT;
    m->enc_upper = false;
    return true;
}

bool ip_scan(const char *s, size_t len, size_t from, ipmatch *m)
{
    size_t i = from; /* no address starts before i */
    size_t base = from;
#ifdef HAVE_SEP64
    const size_t width = cpu_has(CPU_AVX512BW) ? 64 : 16;
#define SEP_MASK(s, len, base) (width == 64 ? sep_mask64(s, len, base) : sep_mask(s, len, base))
#else
#define SEP_MASK(s, len, base) sep_mask(s, len, base)
    const size_t width = 16;
#endif
    if (from >= len)
        return false;
    uint64_t mask = SEP_MASK(s, len, base);
    for (;;) {
        while (mask == 0) {
            base += width;
            if (base >= len)
                return false;
            mask = SEP_MASK(s, len, base);
        }
        size_t p = base + (size_t)__builtin_ctzll(mask);
        mask &= mask - 1;
        if (p + 1 >= len)
            return false;
        /* The first separator of an address tells its family: an IPv6
         * address never opens with a dotted quad, and an IPv4 address has
         * no ':'.  It also bounds where the address can start: after at most
         * three digits (IPv4) or four hex digits (IPv6).  Starts inside a
         * longer run are tried only after a "%XX" escape. */
        if (s[p] == '.') {
            /* Cheap refusals first: most dots in a log line are in names
             * ("robots.txt") or versions ("5.0"), and a dotted quad has its
             * second '.' within five bytes of the first. */
            unsigned nk = cls[(unsigned char)s[p + 1]];
            if (!(nk & C_ALNUM)) {
                i = p + 1;
                continue;
            }
            if (!(nk & C_DIGIT)) {
                unsigned char nx = (unsigned char)s[p + 1];
                /* An ".ip6.arpa" name is looked for at its end (and below,
                 * when a dotted quad inside it would be found first); a host
                 * name that spells an address with '-' ends at a '.' and a
                 * label. */
                if ((nx | 0x20) == 'i' && p > from && IS(s[p - 1], C_HEX) &&
                    try_nibbles(s, len, from, p, m))
                    return true;
                if (p >= from + 2 && (IS(s[p - 1], C_HEX) || s[p - 1] == '-') &&
                    dash_before(s, from, p) && try_dashed(s, from, p, m))
                    return true;
                i = p + 1;
                continue;
            }
            if (p > i && IS(s[p - 1], C_DIGIT) &&
                ((p + 2 < len && s[p + 2] == '.') || (p + 3 < len && s[p + 3] == '.') ||
                 (p + 4 < len && s[p + 4] == '.') ||
                 (s[p + 1] == '0' && p + 5 < len && s[p + 5] == '.'))) {
                size_t d = 1;
                while (d < 4 && p - d > i && IS(s[p - d - 1], C_DIGIT))
                    d++;
                for (size_t c = p - d; c < p; c++) {
                    /* Starts after an escape's hex digits are tried too:
                     * "%2C1.2.3.4", "\\x0032.0.2.1" (a NUL, then 32.0.2.1). */
                    bool after_hex = (c >= 3 && s[c - 3] == '%') ||
                                     (c >= 4 && s[c - 4] == '\\' && s[c - 3] == 'x');
                    if (!((c == p - d || after_hex) && try_v4(s, len, c, m)))
                        continue;
                    /* One-digit labels: maybe the middle of an ".ip6.arpa"
                     * name, which is masked whole. */
                    ipmatch t;
                    if (c >= 2 && s[c - 1] == '.' && s[c + 1] == '.' &&
                        try_nibbles(s, len, from, c + 1, &t))
                        *m = t;
                    return true;
                }
            }
        } else if (s[p] == '\\' || s[p] == '&') {
            if (enc_start(s, len, p) && try_encoded(s, len, from, p, m))
                return true;
        } else if (s[p] == '%') {
            /* URL-encoded: "%3A" is the common case, tried first; any other
             * escape of an address character by the general decoder. */
            if (!pct_colon(s, len, p)) {
                if (enc_start(s, len, p) && try_encoded(s, len, from, p, m))
                    return true;
                continue;
            }
            size_t h = 0;
            while (h < 4 && p - h > i && IS(s[p - h - 1], C_HEX))
                h++;
            /* Hex digits right after a '%' are that escape's ("%3Ad%3A":
             * "3A" is a colon), so a group starts after them.  Reading
             * "3Ad" as one would find, once "x001%3Ad%3A%3A1" has been
             * rewritten to "x1%3Ad%3A%3A", a second address inside it. */
            if (h >= 2 && p - h > 0 && s[p - h - 1] == '%')
                h -= 2;
            bool glued_ok = h >= 3 && p - h > 0 && IS(s[p - h - 1], C_ALNUM) &&
                            !IS(s[p - h - 1], C_HEX);
            if (h > 0 && try_v6_url(s, len, p - h, glued_ok, m))
                return true;
            if (h == 0 && pct_colon(s, len, p + 3) && try_v6_url(s, len, p, false, m))
                return true;
            if (try_encoded(s, len, from, p, m))
                return true;
        } else if (IS(s[p + 1], C_HEX) || s[p + 1] == ':') {
            size_t run_end;
            bool dot;
            if (!v6_plausible(s, len, p, &run_end, &dot)) {
                if (!dot) {
                    /* Nothing in this run is an address: skip all of it. */
                    i = base = run_end;
                    if (base >= len)
                        return false;
                    mask = SEP_MASK(s, len, base);
                    continue;
                }
                i = p + 1; /* a dotted quad may follow, as in "x:1.2.3.4" */
                continue;
            }
            size_t h = 0;
            while (h < 4 && p - h > i && IS(s[p - h - 1], C_HEX))
                h++;
            /* A letter glued to a group of three or four hex digits
             * ("x2001:db8::1") still starts an address: skipping it would let
             * a later start keep the wrong groups.  A shorter glued group is
             * the end of a label ("IPv6:", "src:", "remote:") and the address
             * starts after its ':'; a hex letter before means a longer hex
             * word ("deadbeef::1"), not an address. */
            bool glued_ok = h >= 3 && p - h > 0 && IS(s[p - h - 1], C_ALNUM) &&
                            !IS(s[p - h - 1], C_HEX);
            for (size_t c = p - h; c < p; c++)
                if ((c == p - h || (c >= 3 && s[c - 3] == '%')) &&
                    try_v6(s, len, c, c == p - h && glued_ok, m))
                    return true;
            if (s[p + 1] == ':' && try_v6(s, len, p, false, m))
                return true;
        }
        i = p + 1;
    }
}

unsigned ip_keep_bits(const ipaddr *ip, unsigned v4_prefix, unsigned v6_prefix)
{
    unsigned v4 = v4_prefix > 32 ? 32 : v4_prefix;
    if (ip->family == 4 || ip->mapped)
        return 96 + v4;
    unsigned keep = v6_prefix > 128 ? 128 : v6_prefix;
    /* 6to4: 2002:V4ADDR::/48 would keep all of V4ADDR at a /48. */
    if (ip->a[0] == 0x20 && ip->a[1] == 0x02 && v4 < 32 && keep > 16 + v4)
        keep = 16 + v4;
    return keep;
}

void ip_truncate(ipaddr *ip, unsigned v4_prefix, unsigned v6_prefix)
{
    if (ip->family == 4 && v4_prefix <= 32) { /* the common case, in one step */
        uint32_t mask = v4_prefix == 0 ? 0 : 0xffffffffu << (32 - v4_prefix);
        uint8_t *o = ip->a + 12;
        uint32_t a = ((uint32_t)o[0] << 24 | (uint32_t)o[1] << 16 | (uint32_t)o[2] << 8 | o[3]) & mask;
        o[0] = (uint8_t)(a >> 24);
        o[1] = (uint8_t)(a >> 16);
        o[2] = (uint8_t)(a >> 8);
        o[3] = (uint8_t)a;
        return;
    }
    unsigned keep = ip_keep_bits(ip, v4_prefix, v6_prefix);
    for (unsigned byte = keep / 8; byte < 16; byte++) {
        unsigned bits = byte == keep / 8 ? keep % 8 : 0;
        ip->a[byte] &= (uint8_t)(0xff00u >> bits);
    }
}

/* Is the address inside prefix/bits?  `prefix` holds the leading bytes. */
static bool in_net(const uint8_t *a, const uint8_t *prefix, unsigned bits)
{
    unsigned full = bits / 8, rest = bits % 8;
    if (memcmp(a, prefix, full) != 0)
        return false;
    return rest == 0 || ((a[full] ^ prefix[full]) & (0xff00u >> rest) & 0xff) == 0;
}

bool ip_is_special(const ipaddr *ip)
{
    static const struct {
        uint8_t net[4];
        uint8_t bits;
    } v4[] = {
        {{0, 0, 0, 0}, 8},         /* "this network", unspecified */
        {{10, 0, 0, 0}, 8},        /* private, RFC 1918 */
        {{100, 64, 0, 0}, 10},     /* shared address space, RFC 6598 */
        {{127, 0, 0, 0}, 8},       /* loopback */
        {{169, 254, 0, 0}, 16},    /* link-local */
        {{172, 16, 0, 0}, 12},     /* private */
        {{192, 0, 2, 0}, 24},      /* documentation, RFC 5737 */
        {{192, 168, 0, 0}, 16},    /* private */
        {{198, 51, 100, 0}, 24},   /* documentation */
        {{203, 0, 113, 0}, 24},    /* documentation */
        {{255, 255, 255, 255}, 32} /* limited broadcast */
    };
    static const struct {
        uint8_t net[16];
        uint8_t bits;
    } v6[] = {
        {{0}, 128},                                                /* :: */
        {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128},   /* ::1 */
        {{0xfe, 0x80}, 10},                                        /* link-local */
        {{0xfc}, 7},                                               /* unique local */
        {{0x20, 0x01, 0x0d, 0xb8}, 32},                            /* documentation */
        {{0x3f, 0xff}, 20}                                         /* documentation, RFC 9637 */
    };
    if (ip->family == 4 || ip->mapped) {
        for (size_t k = 0; k < sizeof v4 / sizeof v4[0]; k++)
            if (in_net(ip->a + 12, v4[k].net, v4[k].bits))
                return true;
        return false;
    }
    for (size_t k = 0; k < sizeof v6 / sizeof v6[0]; k++) {
        if (!in_net(ip->a, v6[k].net, v6[k].bits))
            continue;
        /* Link-local and unique-local addresses say nothing about a person
         * unless their interface id spells a public IPv4 address:
         * "fe80::8.8.4.4", ISATAP's "fe80::5efe:8.8.4.4". */
        if (k == 2 || k == 3) {
            static const uint8_t iids[4][4] = {
                {0, 0, 0, 0}, {0, 0, 0xff, 0xff}, {0, 0, 0x5e, 0xfe}, {2, 0, 0x5e, 0xfe}};
            bool embeds = false;
            for (size_t j = 0; j < 4; j++)
                embeds |= memcmp(ip->a + 8, iids[j], 4) == 0;
            if (embeds) {
                ipaddr emb = {.family = 4};
                memcpy(emb.a + 12, ip->a + 12, 4);
                if (!ip_is_special(&emb))
                    return false;
            }
        }
        return true;
    }
    return false;
}

void ip_merge_two(ipmatch *m, const ipaddr *was, const ipaddr *was2)
{
    if (!ip_two_way(m))
        return;
    /* Both readings as positions in the written numbers: FIVE's addr
     * covers numbers 0-3 and addr2 numbers 1-4; EITHER's addr2 is addr
     * backwards. */
    uint8_t out[5], orig[5];
    if (m->form == IP_FORM_V4_FIVE) {
        memcpy(orig, was->a + 12, 4);
        orig[4] = was2->a[15];
        memcpy(out, orig, 5);
        for (int k = 0; k < 4; k++)
            if (m->addr2.a[12 + k] != was2->a[12 + k])
                out[k + 1] = m->addr2.a[12 + k];
        for (int k = 0; k < 4; k++)
            if (m->addr.a[12 + k] != was->a[12 + k])
                out[k] = m->addr.a[12 + k];
        memcpy(m->addr.a + 12, out, 4);
        memcpy(m->addr2.a + 12, out + 1, 4);
        return;
    }
    memcpy(orig, was->a + 12, 4);
    memcpy(out, orig, 4);
    for (int k = 0; k < 4; k++)
        if (m->addr2.a[12 + k] != was2->a[12 + k])
            out[3 - k] = m->addr2.a[12 + k];
    for (int k = 0; k < 4; k++)
        if (m->addr.a[12 + k] != was->a[12 + k])
            out[k] = m->addr.a[12 + k];
    memcpy(m->addr.a + 12, out, 4);
    for (int k = 0; k < 4; k++)
        m->addr2.a[12 + k] = out[3 - k];
}

/* Writes 0-255 in decimal; returns the length. */
static size_t put_u8(char *out, unsigned v)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324"
                                "25262728293031323334353637383940414243444546474849"
                                "50515253545556575859606162636465666768697071727374"
                                "75767778798081828384858687888990919293949596979899";
    if (v < 10) {
        out[0] = (char)('0' + v);
        return 1;
    }
    if (v < 100) {
        memcpy(out, pairs + 2 * v, 2);
        return 2;
    }
    out[0] = (char)('0' + v / 100);
    memcpy(out + 1, pairs + 2 * (v % 100), 2);
    return 3;
}

static size_t put_v4(char *out, const uint8_t *o)
{
    size_t n = 0;
    for (int k = 0; k < 4; k++) {
        if (k)
            out[n++] = '.';
        n += put_u8(out + n, o[k]);
    }
    return n;
}

size_t ip_format_as(const ipaddr *ip, enum ip_form form, char *out)
{
    if (form == IP_FORM_V4_REVERSED && ip->family == 4) {
        uint8_t r[4] = {ip->a[15], ip->a[14], ip->a[13], ip->a[12]};
        return put_v4(out, r);
    }
    if (form != IP_FORM_V6_URL)
        return ip_format(ip, out);
    char plain[IP_TEXT_MAX];
    size_t n = ip_format(ip, plain), o = 0;
    for (size_t k = 0; k < n; k++) {
        if (plain[k] == ':') {
            memcpy(out + o, "%3A", 3);
            o += 3;
        } else {
            out[o++] = plain[k];
        }
    }
    return o;
}

size_t ip_format(const ipaddr *ip, char *out)
{
    if (ip->family == 4)
        return put_v4(out, ip->a + 12);
    if (ip->mapped) {
        memcpy(out, "::ffff:", 7);
        return 7 + put_v4(out + 7, ip->a + 12);
    }
    unsigned g[8];
    for (int k = 0; k < 8; k++)
        g[k] = (unsigned)ip->a[2 * k] << 8 | ip->a[2 * k + 1];
    /* RFC 5952 4.2: compress the longest run of two or more zero groups,
     * the first one on a tie. */
    int best = -1, best_len = 1;
    for (int k = 0; k < 8;) {
        if (g[k] != 0) {
            k++;
            continue;
        }
        int e = k;
        while (e < 8 && g[e] == 0)
            e++;
        if (e - k > best_len) {
            best = k;
            best_len = e - k;
        }
        k = e;
    }
    static const char digits[] = "0123456789abcdef";
    size_t n = 0;
    for (int k = 0; k < 8; k++) {
        if (k == best) {
            out[n++] = ':';
            out[n++] = ':';
            k += best_len - 1;
            continue;
        }
        if (k > 0 && k != best + best_len)
            out[n++] = ':';
        int shift = g[k] >= 0x1000 ? 12 : g[k] >= 0x100 ? 8 : g[k] >= 0x10 ? 4 : 0;
        for (; shift >= 0; shift -= 4)
            out[n++] = digits[(g[k] >> shift) & 0xf];
    }
    return n;
}

/* Writes c spelled as `kind` (enum ip_enc); returns the length. */
static size_t put_enc(char *out, char c, uint8_t kind, bool upper)
{
    const char *hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    unsigned v = (unsigned char)c;
    char h[2] = {hex[v >> 4], hex[v & 15]};
    switch (kind) {
    case IP_ENC_PCT:
        out[0] = '%';
        memcpy(out + 1, h, 2);
        return 3;
    case IP_ENC_PCT25:
        memcpy(out, "%25", 3);
        memcpy(out + 3, h, 2);
        return 5;
    case IP_ENC_U:
        memcpy(out, "\\u00", 4);
        memcpy(out + 4, h, 2);
        return 6;
    case IP_ENC_X:
        memcpy(out, "\\x", 2);
        memcpy(out + 2, h, 2);
        return 4;
    case IP_ENC_BSL:
        out[0] = '\\';
        out[1] = c;
        return 2;
    case IP_ENC_DEC:
        memcpy(out, "&#", 2);
        {
            size_t n = 2 + put_u8(out + 2, v);
            out[n] = ';';
            return n + 1;
        }
    case IP_ENC_HEXENT:
        memcpy(out, "&#x", 3);
        memcpy(out + 3, h, 2);
        out[5] = ';';
        return 6;
    case IP_ENC_NAMED:
        if (c == '.') {
            memcpy(out, "&period;", 8);
            return 8;
        }
        memcpy(out, "&colon;", 7);
        return 7;
    case IP_ENC_DASH:
        out[0] = '-';
        return 1;
    default:
        out[0] = c;
        return 1;
    }
}

size_t ip_format_match(const ipmatch *m, char *out)
{
    char plain[IP_TEXT_MAX + 70];
    size_t n;
    if (m->enc_sep == IP_ENC_LIT && m->enc_dig == IP_ENC_LIT) {
        /* The common case, without the copy below. */
        if (m->form == IP_FORM_V4 || m->form == IP_FORM_V4_EITHER)
            return put_v4(out, m->addr.a + 12);
        if (m->form <= IP_FORM_V6_URL || m->form == IP_FORM_V4_EITHER)
            return ip_format_as(&m->addr, m->form, out);
    }
    switch (m->form) {
    case IP_FORM_V4_FIVE:
        n = put_v4(plain, m->addr.a + 12);
        plain[n++] = '.';
        n += put_u8(plain + n, m->addr2.a[15]);
        break;
    case IP_FORM_V4_NUM_FIRST:
        memcpy(plain, m->num, m->num_len);
        plain[m->num_len] = '.';
        n = m->num_len + 1 + put_v4(plain + m->num_len + 1, m->addr.a + 12);
        break;
    case IP_FORM_V4_NUM_LAST:
        n = put_v4(plain, m->addr.a + 12);
        plain[n++] = '.';
        memcpy(plain + n, m->num, m->num_len);
        n += m->num_len;
        break;
    case IP_FORM_V6_NIBBLE:
        n = 0;
        for (int k = 31; k >= 0; k--) {
            unsigned v = k % 2 ? m->addr.a[k / 2] & 15u : (unsigned)m->addr.a[k / 2] >> 4;
            plain[n++] = "0123456789abcdef"[v];
            if (k > 0)
                plain[n++] = '.';
        }
        break;
    default:
        n = ip_format_as(&m->addr, m->form, plain);
    }
    if (m->enc_sep == IP_ENC_LIT && m->enc_dig == IP_ENC_LIT) {
        memcpy(out, plain, n);
        return n;
    }
    size_t o = 0;
    for (size_t k = 0; k < n; k++) {
        bool sep = plain[k] == '.' || plain[k] == ':';
        o += put_enc(out + o, plain[k], sep ? m->enc_sep : m->enc_dig, m->enc_upper);
    }
    return o;
}

size_t ip_truncate_match(ipmatch *m, unsigned v4_prefix, unsigned v6_prefix, char *out)
{
    ipaddr was = m->addr, was2 = m->addr; /* addr2 is set for two-way matches only */
    ip_truncate(&m->addr, v4_prefix, v6_prefix);
    if (ip_two_way(m)) {
        was2 = m->addr2;
        ip_truncate(&m->addr2, v4_prefix, v6_prefix);
        ip_merge_two(m, &was, &was2);
    }
    return ip_format_match(m, out);
}
