/* json.c -- the JSON-lines rewriter of json.h: a validating pass, then a
 * rewriting pass over the same grammar, both driven by one loop whose only
 * memory of the nesting is a bit per level (object or array).
 *
 * Two passes so that a line found invalid halfway has had no string
 * scrubbed, counted or explained before it goes to the text path whole: the
 * validating pass is a plain byte scan, much cheaper than the scrubbing the
 * second pass calls for.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "formats/json.h"

#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// clang-format off
const char *const json_default_sensitive_keys[] = {
    "password", "passwd", "pwd", "secret", "token", "access_token", "refresh_token",
    "authorization", "proxy-authorization", "cookie", "set-cookie", "api_key", "apikey",
    "x-api-key", "session", "sessionid", "csrf", "xsrf", "private_key", "client_secret", NULL,
};
// clang-format on

/* A key's byte as key sets compare it: ASCII lower case, '-' as '_'
 * ("Set-Cookie" is "set_cookie"). */
static inline unsigned char fold(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c == '-' ? '_' : c;
}

bool json_key_same(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return false;
    for (size_t i = 0; i < an; i++)
        if (fold((unsigned char)a[i]) != fold((unsigned char)b[i]))
            return false;
    return true;
}

/* ---- key sets ------------------------------------------------------------ */

bool json_keyset_init(json_keyset *ks, const char *const *names, const size_t *lens, size_t n)
{
    *ks = (json_keyset){0};
    if (n == 0)
        return true;
    if ((ks->names = calloc(n, sizeof *ks->names)) == NULL ||
        (ks->lens = calloc(n, sizeof *ks->lens)) == NULL) {
        json_keyset_free(ks);
        return false;
    }
    for (size_t k = 0; k < n; k++) {
        char *s = malloc(lens[k] + 1);
        if (s == NULL) {
            json_keyset_free(ks);
            return false;
        }
        for (size_t i = 0; i < lens[k]; i++)
            s[i] = (char)fold((unsigned char)names[k][i]);
        s[lens[k]] = '\0';
        ks->names[ks->n] = s;
        ks->lens[ks->n++] = lens[k];
        if (lens[k] < 64)
            ks->by_len |= (uint64_t)1 << lens[k];
        else
            ks->has_long = true;
    }
    return true;
}

void json_keyset_free(json_keyset *ks)
{
    if (ks->names)
        for (size_t k = 0; k < ks->n; k++)
            free(ks->names[k]);
    free(ks->names);
    free(ks->lens);
    *ks = (json_keyset){0};
}

bool json_keyset_has(const json_keyset *ks, const char *key, size_t n)
{
    /* Most keys of a line have a length no name has: one test. */
    if (n < 64 ? !(ks->by_len >> n & 1) : !ks->has_long)
        return false;
    for (size_t k = 0; k < ks->n; k++) {
        if (ks->lens[k] != n)
            continue;
        size_t i = 0;
        while (i < n && fold((unsigned char)key[i]) == (unsigned char)ks->names[k][i])
            i++;
        if (i == n)
            return true;
    }
    return false;
}

/* ---- buffers --------------------------------------------------------------- */

void json_scratch_free(json_scratch *js)
{
    free(js->dec);
    free(js->out);
    *js = (json_scratch){0};
}

/* Grows *buf (capacity *cap) to at least `need` bytes, keeping its content.
 * New bytes are zeroed: decoded strings go to PCRE2, whose JIT may read a
 * little past the text.  On failure nothing changes and false is returned. */
static bool grow(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : 256;
    while (c < need) {
        if (c > SIZE_MAX / 2)
            return false;
        c *= 2;
    }
    char *b = realloc(*buf, c);
    if (b == NULL)
        return false;
    memset(b + *cap, 0, c - *cap);
    *buf = b;
    *cap = c;
    return true;
}

/* ---- lexical pieces (shared by both passes) -------------------------------- */

static inline bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline size_t skip_ws(const char *s, size_t len, size_t k)
{
    while (k < len && is_ws(s[k]))
        k++;
    return k;
}

static inline int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The four hex digits at s[k, k + 4) (k + 4 <= len checked by the caller),
 * or -1. */
static inline long hex4(const char *s, size_t k)
{
    long v = 0;
    for (size_t i = 0; i < 4; i++) {
        int h = hexval(s[k + i]);
        if (h < 0)
            return -1;
        v = v << 4 | h;
    }
    return v;
}

/* The string whose opening quote is s[*k]: moves *k past its closing quote
 * and tells whether it holds an escape.  False when it is not terminated
 * or an escape is malformed.  Raw control bytes and bytes that are not
 * UTF-8 are taken as they are (json.h). */
static bool scan_string(const char *s, size_t len, size_t *k, bool *escaped)
{
    size_t i = *k + 1;
    *escaped = false;
    for (;;) {
#if defined(__SSE2__)
        /* Strings are most of a line: 16 bytes a step to the next quote or
         * backslash. */
        const __m128i quote = _mm_set1_epi8('"'), bsl = _mm_set1_epi8('\\');
        while (i + 16 <= len) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            unsigned m = (unsigned)_mm_movemask_epi8(
                _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bsl)));
            if (m != 0) {
                i += (size_t)__builtin_ctz(m);
                break;
            }
            i += 16;
        }
#endif
        while (i < len && s[i] != '"' && s[i] != '\\')
            i++;
        if (i >= len)
            return false;
        if (s[i] == '"')
            break;
        *escaped = true;
        if (i + 1 >= len)
            return false;
        switch (s[i + 1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            i += 2;
            break;
        case 'u':
            if (i + 6 > len || hex4(s, i + 2) < 0)
                return false;
            i += 6;
            break;
        default:
            return false;
        }
    }
    *k = i + 1;
    return true;
}

/* A number at s[*k] (RFC 8259's grammar, exactly); moves *k past it. */
static bool scan_number(const char *s, size_t len, size_t *k)
{
    size_t i = *k;
    if (i < len && s[i] == '-')
        i++;
    if (i >= len)
        return false;
    if (s[i] == '0') {
        i++;
    } else if (s[i] >= '1' && s[i] <= '9') {
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
    } else {
        return false;
    }
    if (i < len && s[i] == '.') {
        size_t d = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    *k = i;
    return true;
}

/* A literal at s[*k]: true, false, null, and Python's NaN, Infinity and
 * -Infinity; moves *k past it. */
static bool scan_literal(const char *s, size_t len, size_t *k)
{
    static const struct {
        const char *w;
        size_t n;
    } lits[] = {{"true", 4}, {"false", 5}, {"null", 4}, {"NaN", 3}, {"Infinity", 8},
                {"-Infinity", 9}};
    for (size_t j = 0; j < sizeof lits / sizeof lits[0]; j++) {
        if (len - *k >= lits[j].n && memcmp(s + *k, lits[j].w, lits[j].n) == 0) {
            *k += lits[j].n;
            return true;
        }
    }
    return false;
}

/* Moves *k past the value at s[*k] of a line already found valid: a
 * sensitive key's value, replaced unread.  Containers are crossed by
 * counting brackets outside strings, so no nesting is remembered. */
static void skip_value(const char *s, size_t len, size_t *k)
{
    size_t i = *k;
    bool esc;
    if (s[i] == '"') {
        scan_string(s, len, &i, &esc);
    } else if (s[i] == '{' || s[i] == '[') {
        size_t depth = 0;
        do {
            if (s[i] == '"') {
                scan_string(s, len, &i, &esc);
                continue;
            }
            if (s[i] == '{' || s[i] == '[')
                depth++;
            else if (s[i] == '}' || s[i] == ']')
                depth--;
            i++;
        } while (depth > 0);
    } else if (!scan_number(s, len, &i)) {
        scan_literal(s, len, &i);
    }
    *k = i;
}

/* ---- decoding and encoding strings ------------------------------------------ */

/* UTF-8 for code point cp < 0x10000 (a lone surrogate gives its three-byte
 * WTF-8 form), into d; returns the length. */
static size_t put_utf8_bmp(char *d, unsigned long cp)
{
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xc0 | cp >> 6);
        d[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    d[0] = (char)(0xe0 | cp >> 12);
    d[1] = (char)(0x80 | (cp >> 6 & 0x3f));
    d[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
}

/* Decodes the unit of a valid string body s[k, end) that starts at k (one
 * raw byte, an escape, or a surrogate pair's two escapes) into d (room for
 * 4 bytes), sets *dlen and returns its length in s. */
static size_t decode_unit(const char *s, size_t k, size_t end, char *d, size_t *dlen)
{
    if (s[k] != '\\') {
        d[0] = s[k];
        *dlen = 1;
        return 1;
    }
    char e = s[k + 1];
    if (e != 'u') {
        static const char map[128] = {['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b',
                                      ['f'] = '\f', ['n'] = '\n',  ['r'] = '\r', ['t'] = '\t'};
        d[0] = map[(unsigned char)e & 0x7f];
        *dlen = 1;
        return 2;
    }
    unsigned long cp = (unsigned long)hex4(s, k + 2);
    if (cp >= 0xd800 && cp <= 0xdbff && k + 12 <= end && s[k + 6] == '\\' && s[k + 7] == 'u') {
        long lo = hex4(s, k + 8);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + ((unsigned long)lo - 0xdc00);
            d[0] = (char)(0xf0 | cp >> 18);
            d[1] = (char)(0x80 | (cp >> 12 & 0x3f));
            d[2] = (char)(0x80 | (cp >> 6 & 0x3f));
            d[3] = (char)(0x80 | (cp & 0x3f));
            *dlen = 4;
            return 12;
        }
    }
    *dlen = put_utf8_bmp(d, cp);
    return 6;
}

/* Decodes the valid string body s[0, n) into d (room for n bytes: no unit
 * decodes longer than it is written); returns the decoded length. */
static size_t decode(const char *s, size_t n, char *d)
{
    size_t k = 0, o = 0;
    while (k < n) {
        const char *bs = memchr(s + k, '\\', n - k);
        size_t run = bs ? (size_t)(bs - s) - k : n - k;
        memcpy(d + o, s + k, run);
        o += run;
        k += run;
        if (k < n) {
            size_t dl;
            k += decode_unit(s, k, n, d + o, &dl);
            o += dl;
        }
    }
    return o;
}

/* Longest JSON text one byte of a string becomes: "\u001f" for a control
 * byte; a UTF-8 sequence escaped is at most 3 bytes of text per byte. */
#define ENC_MAX 6

/* How the writer of a line escapes what JSON lets it write either way, so
 * that a rewritten string looks like its neighbours: PHP writes "\/" for
 * '/', Python writes non-ASCII as "\u00e9". */
enum {
    STYLE_KNOWN = 1,     /* the line has been looked at */
    STYLE_SLASH = 2,     /* '/' as "\/" */
    STYLE_ASCII = 4,     /* every non-ASCII character as \uXXXX */
    STYLE_UPPER = 8      /* \uXXXX with upper-case hex digits */
};

/* The style of the line in[0, len): an escape is used when the line has
 * it and never the raw form ("\/" and no '/' written raw; a non-ASCII
 * escape and no byte above 0x7f).  A guess from the whole line, taken only
 * when a string changes; either way the output means the same. */
static unsigned line_style(const char *in, size_t len)
{
    bool esc_slash = false, raw_slash = false, esc_high = false, raw_high = false;
    bool upper = false, lower_hex = false;
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)in[k];
        if (c >= 0x80) {
            raw_high = true;
        } else if (c == '/') {
            raw_slash = true;
        } else if (c == '\\' && k + 1 < len) {
            char e = in[++k];
            if (e == '/') {
                esc_slash = true;
            } else if (e == 'u' && k + 4 < len && hex4(in, k + 1) >= 0) {
                esc_high |= hex4(in, k + 1) >= 0x80;
                for (size_t i = k + 1; i < k + 5; i++) {
                    upper |= in[i] >= 'A' && in[i] <= 'F';
                    lower_hex |= in[i] >= 'a' && in[i] <= 'f';
                }
                k += 4;
            }
        }
    }
    return STYLE_KNOWN | (esc_slash && !raw_slash ? STYLE_SLASH : 0) |
           (esc_high && !raw_high ? STYLE_ASCII : 0) | (upper && !lower_hex ? STYLE_UPPER : 0);
}

/* The code point of the UTF-8 sequence at t[k, n), or -1 when it is not
 * one (WTF-8 surrogates included: they are read as such); *len gets its
 * length. */
static long utf8_at(const char *t, size_t k, size_t n, size_t *len)
{
    unsigned char c = (unsigned char)t[k];
    size_t l = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    if (l == 0 || k + l > n)
        return -1;
    long cp = c & (0x3f >> (l - 1));
    for (size_t i = 1; i < l; i++) {
        unsigned char x = (unsigned char)t[k + i];
        if ((x & 0xc0) != 0x80)
            return -1;
        cp = cp << 6 | (x & 0x3f);
    }
    if ((l == 3 && cp < 0x800) || (l == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return -1; /* overlong or out of range */
    *len = l;
    return cp;
}

static size_t put_u(char *d, unsigned cp, unsigned style)
{
    const char *hex = style & STYLE_UPPER ? "0123456789ABCDEF" : "0123456789abcdef";
    d[0] = '\\';
    d[1] = 'u';
    d[2] = hex[cp >> 12 & 15];
    d[3] = hex[cp >> 8 & 15];
    d[4] = hex[cp >> 4 & 15];
    d[5] = hex[cp & 15];
    return 6;
}

/* Writes t[0, n) JSON-escaped into d (room for ENC_MAX * n bytes): '"',
 * '\\' and control characters escaped, WTF-8 lone surrogates back as
 * "\uXXXX", '/' and non-ASCII characters as `style` says, every other byte
 * (valid UTF-8 or not) as it is.  Returns the length written. */
static size_t encode(const char *t, size_t n, char *d, unsigned style)
{
    size_t o = 0;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)t[k];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\' && c != '/') {
            d[o++] = (char)c;
            continue;
        }
        if (c >= 0x80) {
            size_t l;
            long cp = utf8_at(t, k, n, &l);
            bool surrogate = cp >= 0xd800 && cp <= 0xdfff;
            if (cp < 0 || !(surrogate || style & STYLE_ASCII)) {
                d[o++] = (char)c; /* raw: as it came, valid UTF-8 or not */
                continue;
            }
            if (cp >= 0x10000) {
                o += put_u(d + o, 0xd800u + (unsigned)((cp - 0x10000) >> 10), style);
                o += put_u(d + o, 0xdc00u + (unsigned)((cp - 0x10000) & 0x3ff), style);
            } else {
                o += put_u(d + o, (unsigned)cp, style);
            }
            k += l - 1;
            continue;
        }
        switch (c) {
        case '/':
            if (style & STYLE_SLASH)
                d[o++] = '\\';
            d[o++] = '/';
            break;
        case '"': d[o++] = '\\'; d[o++] = '"'; break;
        case '\\': d[o++] = '\\'; d[o++] = '\\'; break;
        case '\b': d[o++] = '\\'; d[o++] = 'b'; break;
        case '\f': d[o++] = '\\'; d[o++] = 'f'; break;
        case '\n': d[o++] = '\\'; d[o++] = 'n'; break;
        case '\r': d[o++] = '\\'; d[o++] = 'r'; break;
        case '\t': d[o++] = '\\'; d[o++] = 't'; break;
        default:
            o += put_u(d + o, c, style);
        }
    }
    return o;
}

/* ---- the rewriting pass ------------------------------------------------------- */

typedef struct rewriter {
    json_scratch *js;
    const char *in;
    size_t len;
    const json_keyset *sensitive;
    json_string_fn fn;
    void *arg;
    bool started; /* js->out holds in[0, copied) rewritten */
    size_t copied;
    unsigned style; /* line_style, 0 until a string changes */
    int stop;
} rewriter;

/* Appends n bytes from src to the output. */
static bool out_put(rewriter *rw, const char *src, size_t n)
{
    json_scratch *js = rw->js;
    if (n == 0)
        return true; /* js->out may not exist yet */
    if (n > SIZE_MAX - js->out_len || !grow(&js->out, &js->out_cap, js->out_len + n))
        return false;
    memcpy(js->out + js->out_len, src, n);
    js->out_len += n;
    return true;
}

/* Replaces in[start, end) in the output: copies what lies between the last
 * replacement and start, and makes room for `room` bytes more, which the
 * caller writes at js->out + js->out_len.  Returns false when out of
 * memory. */
static bool out_replace(rewriter *rw, size_t start, size_t end, size_t room)
{
    json_scratch *js = rw->js;
    if (!rw->started) {
        js->out_len = 0;
        rw->copied = 0;
        rw->started = true;
    }
    if (!out_put(rw, rw->in + rw->copied, start - rw->copied))
        return false;
    rw->copied = end;
    return room <= SIZE_MAX - js->out_len && grow(&js->out, &js->out_cap, js->out_len + room);
}

/* Writes the string whose body in source form is s[0, sn), decoded
 * d[0, dn), as its new text o[0, on): the parts before and after the
 * change keep their source spelling, the changed middle is encoded.  The
 * split points are moved back (front) and forth (back) to the nearest
 * boundary of a source unit, so no escape is cut.  Writes at the output's
 * end, where out_replace made room. */
static void write_changed(rewriter *rw, const char *s, size_t sn, const char *d, size_t dn,
                          const char *o, size_t on)
{
    json_scratch *js = rw->js;
    size_t min = dn < on ? dn : on, p = 0, q = 0;
    while (p < min && d[p] == o[p])
        p++;
    while (q < min - p && d[dn - 1 - q] == o[on - 1 - q])
        q++;
    size_t sp, dp, ss, ds; /* source and decoded offsets of the two split points */
    if (s == d) {
        sp = dp = p; /* no escape: the offsets are the same */
        ss = ds = dn - q;
    } else {
        size_t sk = 0, dk = 0, dl;
        char tmp[4];
        while (sk < sn) {
            size_t sl = decode_unit(s, sk, sn, tmp, &dl);
            if (dk + dl > p)
                break;
            sk += sl;
            dk += dl;
        }
        sp = sk;
        dp = dk;
        while (dk < dn - q) {
            sk += decode_unit(s, sk, sn, tmp, &dl);
            dk += dl;
        }
        ss = sk;
        ds = dk;
    }
    /* The style matters only for '/' and non-ASCII; most changes are
     * addresses and markers, which hold neither. */
    const char *mid = o + dp;
    size_t mn = on - (dn - ds) - dp;
    if (rw->style == 0) {
        for (size_t i = 0; i < mn; i++) {
            if (mid[i] == '/' || (unsigned char)mid[i] >= 0x80) {
                rw->style = line_style(rw->in, rw->len);
                break;
            }
        }
    }
    char *w = js->out + js->out_len;
    *w++ = '"';
    memcpy(w, s, sp);
    w += sp;
    w += encode(mid, mn, w, rw->style);
    memcpy(w, s + ss, sn - ss);
    w += sn - ss;
    *w++ = '"';
    js->out_len = (size_t)(w - js->out);
}

/* The string in[start, end) (quotes included) of kind `kind`: decoded, given
 * to the callback, written back when it changed.  For a key, *sensitive
 * tells whether its value is to be filtered.  Returns JSON_SAME (nothing
 * to stop for), JSON_STOPPED or JSON_NOMEM. */
static json_result do_string(rewriter *rw, enum json_str kind, size_t start, size_t end,
                             bool escaped, bool *sensitive)
{
    json_scratch *js = rw->js;
    const char *s = rw->in + start + 1, *d = s, *o;
    size_t sn = end - start - 2, dn = sn, on;
    if (escaped) {
        if (!grow(&js->dec, &js->dec_cap, sn + 1))
            return JSON_NOMEM;
        dn = decode(s, sn, js->dec);
        d = js->dec;
    }
    if (sensitive)
        *sensitive = rw->sensitive != NULL && json_keyset_has(rw->sensitive, d, dn);
    if ((rw->stop = rw->fn(rw->arg, kind, d, dn, &o, &on)) != 0)
        return JSON_STOPPED;
    if ((o == d && on == dn) || (on == dn && memcmp(o, d, dn) == 0))
        return JSON_SAME;
    if (on > (SIZE_MAX - sn - 2) / ENC_MAX || !out_replace(rw, start, end, sn + 2 + ENC_MAX * on))
        return JSON_NOMEM;
    write_changed(rw, s, sn, d, dn, o, on);
    return JSON_SAME;
}

/* ---- the grammar, for both passes ------------------------------------------- */

/* Walks the line as one JSON value: checks it when rw is NULL, rewrites it
 * otherwise (on a line already checked).  The nesting is a bit per level
 * (1: object), so no recursion follows the input's depth.  Returns
 * JSON_SAME for a valid line (rewritten or not: rw->started tells),
 * JSON_INVALID, JSON_STOPPED or JSON_NOMEM. */
static json_result walk(const char *in, size_t len, rewriter *rw)
{
    uint64_t objects[(JSON_MAX_DEPTH + 63) / 64] = {0};
    unsigned depth = 0;
    size_t k = skip_ws(in, len, 0);
    json_result rc;
    bool esc, sens;

    for (;;) {
        /* A value starts at k. */
        if (k >= len)
            return JSON_INVALID;
        size_t start = k;
        char c = in[k];
        if (c == '{' || c == '[') {
            if (depth == JSON_MAX_DEPTH)
                return JSON_INVALID;
            uint64_t bit = (uint64_t)1 << (depth % 64);
            objects[depth / 64] = c == '{' ? objects[depth / 64] | bit : objects[depth / 64] & ~bit;
            depth++;
            k = skip_ws(in, len, k + 1);
            if (k < len && in[k] == (c == '{' ? '}' : ']')) {
                depth--;
                k++;
                goto after_value;
            }
            if (c == '[')
                continue;
            goto key;
        }
        if (c == '"') {
            if (!scan_string(in, len, &k, &esc))
                return JSON_INVALID;
            enum json_str kind = depth > 0 && objects[(depth - 1) / 64] >> ((depth - 1) % 64) & 1
                                     ? JSON_STR_MEMBER
                                     : JSON_STR_ELEMENT;
            if (rw && (rc = do_string(rw, kind, start, k, esc, NULL)) != JSON_SAME)
                return rc;
        } else if ((c == '-' && !(k + 1 < len && in[k + 1] == 'I')) || (c >= '0' && c <= '9')) {
            if (!scan_number(in, len, &k))
                return JSON_INVALID;
        } else if (!scan_literal(in, len, &k)) {
            return JSON_INVALID;
        }

    after_value:
        k = skip_ws(in, len, k);
        if (depth == 0)
            return k == len ? JSON_SAME : JSON_INVALID;
        if (k >= len)
            return JSON_INVALID;
        bool in_object = objects[(depth - 1) / 64] >> ((depth - 1) % 64) & 1;
        if (in[k] == (in_object ? '}' : ']')) {
            depth--;
            k++;
            goto after_value;
        }
        if (in[k] != ',')
            return JSON_INVALID;
        k = skip_ws(in, len, k + 1);
        if (!in_object)
            continue;

    key:
        /* A key starts at k, inside an object. */
        if (k >= len || in[k] != '"')
            return JSON_INVALID;
        start = k;
        if (!scan_string(in, len, &k, &esc))
            return JSON_INVALID;
        if (rw && (rc = do_string(rw, JSON_STR_KEY, start, k, esc, &sens)) != JSON_SAME)
            return rc;
        k = skip_ws(in, len, k);
        if (k >= len || in[k] != ':')
            return JSON_INVALID;
        k = skip_ws(in, len, k + 1);
        if (rw && sens && k < len) {
            /* The whole value goes, unread: whatever it holds is the
             * secret. */
            start = k;
            skip_value(in, len, &k);
            size_t n = sizeof JSON_FILTERED - 1;
            if (k - start != n || memcmp(in + start, JSON_FILTERED, n) != 0) {
                if (!out_replace(rw, start, k, n))
                    return JSON_NOMEM;
                memcpy(rw->js->out + rw->js->out_len, JSON_FILTERED, n);
                rw->js->out_len += n;
            }
            goto after_value;
        }
    }
}

bool json_valid(const char *in, size_t len)
{
    return walk(in, len, NULL) == JSON_SAME;
}

json_result json_rewrite(json_scratch *js, const char *in, size_t len,
                         const json_keyset *sensitive, json_string_fn fn, void *arg, int *stop)
{
    if (!json_valid(in, len))
        return JSON_INVALID;
    rewriter rw = {.js = js, .in = in, .len = len, .sensitive = sensitive, .fn = fn, .arg = arg};
    json_result rc = walk(in, len, &rw);
    if (rc == JSON_STOPPED)
        *stop = rw.stop;
    if (rc != JSON_SAME)
        return rc;
    if (!rw.started)
        return JSON_SAME;
    return out_put(&rw, in + rw.copied, len - rw.copied) ? JSON_CHANGED : JSON_NOMEM;
}
