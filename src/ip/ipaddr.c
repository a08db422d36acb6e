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

/* Reads one octet of 1-3 decimal digits (value at most 255) at u[i];
 * returns the digit count, or 0 when there is no octet there. */
static inline size_t octet_at(const unsigned char *u, size_t len, size_t i, unsigned *v)
{
    unsigned d0, d1, d2;
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
    if (i + 3 < len && u[i + 3] - (unsigned)'0' <= 9)
        return 0; /* four digits */
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

/* Bit k set when s[base + k] is '.', ':' or '%' (for "%3A", a URL-encoded
 * ':'), for the 16 bytes at base (fewer at the end of the text). */
static inline __attribute__((always_inline)) unsigned sep_mask(const char *s, size_t len,
                                                                 size_t base)
{
    unsigned mask = 0;
#if defined(__SSE2__)
    if (len >= 16) {
        /* Near the end, load the last 16 bytes and drop what was seen. */
        size_t at = base + 16 <= len ? base : len - 16;
        const __m128i dot = _mm_set1_epi8('.'), colon = _mm_set1_epi8(':');
        const __m128i pct = _mm_set1_epi8('%');
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + at));
        __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, dot), _mm_cmpeq_epi8(v, colon));
        return (unsigned)_mm_movemask_epi8(_mm_or_si128(hit, _mm_cmpeq_epi8(v, pct))) >>
               (base - at);
    }
#endif
    for (size_t k = 0; k < 16 && base + k < len; k++)
        if (s[base + k] == '.' || s[base + k] == ':' || s[base + k] == '%')
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
           _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('%'));
}
#endif

/* Does the alphanumeric byte before s[c] end an escape sequence rather than
 * a word?  "%2C1.2.3.4" (URL), "\\t1.2.3.4" and "\\u003c1.2.3.4" (JSON). */
static bool after_escape(const char *s, size_t c)
{
    if (c >= 3 && s[c - 3] == '%' && IS(s[c - 2], C_HEX) && IS(s[c - 1], C_HEX))
        return true;
    if (c >= 2 && s[c - 2] == '\\')
        return true;
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
        if (after_escape(s, c))
            return true;
        /* "v1.2.3.4beta" is a version, not an address. */
        return glued_ok;
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
        return false;
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

/* Tries an IPv4 address starting exactly at s[c]. */
static bool try_v4(const char *s, size_t len, size_t c, ipmatch *m)
{
    uint8_t o[4];
    size_t e;
    if (!left_ok(s, c, false, false) || !v4_at(s, len, c, o, &e) ||
        !right_ok(s, len, e, false))
        return false;
    memset(m->addr.a, 0, sizeof m->addr.a);
    m->form = IP_FORM_V4;
    if (reverse_dns_at(s, len, e)) {
        /* "4.3.2.1.in-addr.arpa" names 1.2.3.4: keep the real address. */
        for (int k = 0; k < 4; k++)
            m->addr.a[12 + k] = o[3 - k];
        m->form = IP_FORM_V4_REVERSED;
    } else {
        memcpy(m->addr.a + 12, o, 4);
    }
    m->addr.family = 4;
    m->addr.mapped = false;
    m->start = c;
    m->end = m->zone_end = e;
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
    if (split) {
        if (!port_at(s, len, e))
            return false;
    } else if (e + 1 < len && s[e] == '.' && IS(s[e + 1], C_DIGIT)) {
        /* A '.' and a digit after the address: a dotted tail that did not
         * parse ("::1.2") when the last group is decimal; plain punctuation
         * after a group with a hex letter ("::d.0"). */
        size_t k = e;
        while (k > c && IS(s[k - 1], C_DIGIT))
            k--;
        if (k > c && k < e && e - k <= 3 && s[k - 1] == ':')
            return false;
    } else if (!right_ok(s, len, e, true) && !(groups == 8 && port_at(s, len, e))) {
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
    return true;
}

bool ip_scan(const char *s, size_t len, size_t from, ipmatch *m)
{
    size_t i = from; /* no address starts before i */
    size_t base = from;
#ifdef HAVE_SEP64
    bool w64 = cpu_has(CPU_AVX512BW);
#define SEP_MASK(s, len, base) (w64 ? sep_mask64(s, len, base) : sep_mask(s, len, base))
#else
#define SEP_MASK(s, len, base) sep_mask(s, len, base)
    const bool w64 = false;
#endif
    if (from >= len)
        return false;
    uint64_t mask = SEP_MASK(s, len, base);
    for (;;) {
        while (mask == 0) {
            base += w64 ? 64 : 16;
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
             * second '.' within four bytes of the first. */
            if (IS(s[p + 1], C_DIGIT) && p > i && IS(s[p - 1], C_DIGIT) &&
                ((p + 2 < len && s[p + 2] == '.') || (p + 3 < len && s[p + 3] == '.') ||
                 (p + 4 < len && s[p + 4] == '.'))) {
                size_t d = 1;
                while (d < 3 && p - d > i && IS(s[p - d - 1], C_DIGIT))
                    d++;
                for (size_t c = p - d; c < p; c++)
                    if ((c == p - d || (c >= 3 && s[c - 3] == '%')) && try_v4(s, len, c, m))
                        return true;
            }
        } else if (s[p] == '%') {
            /* URL-encoded: only "%3A" can be part of an address. */
            if (!pct_colon(s, len, p))
                continue;
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

void ip_truncate(ipaddr *ip, unsigned v4_prefix, unsigned v6_prefix)
{
    unsigned keep;
    if (ip->family == 4 || ip->mapped)
        keep = 96 + (v4_prefix > 32 ? 32 : v4_prefix);
    else
        keep = v6_prefix > 128 ? 128 : v6_prefix;
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
    for (size_t k = 0; k < sizeof v6 / sizeof v6[0]; k++)
        if (in_net(ip->a, v6[k].net, v6[k].bits))
            return true;
    return false;
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
