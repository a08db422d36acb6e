/* escape.c -- decoding and writing one escape sequence (see escape.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "common/escape.h"

const uint8_t esc_hexv1[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* HTML5 names of the ASCII punctuation a token or an address is spelled
 * with.  Names are case-sensitive in HTML; these are the lower-case forms
 * (and "Hat", the one ASCII name that is not). */
static const struct {
    const char *name; /* without '&' and ';' */
    uint8_t len;
    uint8_t byte;
} named[] = {
    {"period", 6, '.'}, {"colon", 5, ':'},  {"commat", 6, '@'}, {"amp", 3, '&'},
    {"percnt", 6, '%'}, {"sol", 3, '/'},    {"bsol", 4, '\\'},  {"num", 3, '#'},
    {"plus", 4, '+'},   {"equals", 6, '='}, {"quot", 4, '"'},   {"apos", 4, '\''},
    {"lt", 2, '<'},     {"gt", 2, '>'},     {"excl", 4, '!'},   {"quest", 5, '?'},
    {"comma", 5, ','},  {"semi", 4, ';'},   {"lowbar", 6, '_'}, {"dollar", 6, '$'},
    {"ast", 3, '*'},    {"lpar", 4, '('},   {"rpar", 4, ')'},   {"lsqb", 4, '['},
    {"rsqb", 4, ']'},   {"lcub", 4, '{'},   {"rcub", 4, '}'},   {"verbar", 6, '|'},
    {"grave", 5, '`'},  {"Hat", 3, '^'},
};

static bool is_punct(uint8_t c)
{
    return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
           (c >= '{' && c <= '~');
}

static bool hex_upper(const char *s, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (s[k] >= 'A' && s[k] <= 'F')
            return true;
    return false;
}

bool esc_decode_at(const char *s, size_t len, size_t i, unsigned kinds, esc_seq *e)
{
    const uint8_t *u = (const uint8_t *)s;
    size_t left = len - i;
    *e = (esc_seq){u[i], 1, ESC_NONE, false};
    if (u[i] == '%') {
        if ((kinds & 1u << ESC_PCT) && left >= 3 && esc_hexv1[u[i + 1]] && esc_hexv1[u[i + 2]]) {
            *e = (esc_seq){(uint8_t)((esc_hexv1[u[i + 1]] - 1) << 4 | (esc_hexv1[u[i + 2]] - 1)), 3,
                           ESC_PCT, hex_upper(s + i + 1, 2)};
            return true;
        }
        return false;
    }
    if (u[i] == '\\') {
        if (left < 2)
            return false;
        uint8_t n = u[i + 1];
        if (n == 'u' && (kinds & 1u << ESC_JSON_U) && left >= 6 && u[i + 2] == '0' &&
            u[i + 3] == '0' && esc_hexv1[u[i + 4]] && esc_hexv1[u[i + 5]] && u[i + 4] <= '7') {
            *e = (esc_seq){(uint8_t)((esc_hexv1[u[i + 4]] - 1) << 4 | (esc_hexv1[u[i + 5]] - 1)), 6,
                           ESC_JSON_U, hex_upper(s + i + 2, 4)};
            return true;
        }
        if (n == 'x' && (kinds & 1u << ESC_BACKSLASH_X) && left >= 4 && esc_hexv1[u[i + 2]] &&
            esc_hexv1[u[i + 3]] && u[i + 2] <= '7') {
            *e = (esc_seq){(uint8_t)((esc_hexv1[u[i + 2]] - 1) << 4 | (esc_hexv1[u[i + 3]] - 1)), 4,
                           ESC_BACKSLASH_X, hex_upper(s + i + 2, 2)};
            return true;
        }
        if ((kinds & 1u << ESC_BACKSLASH) && is_punct(n)) {
            *e = (esc_seq){n, 2, ESC_BACKSLASH, false};
            return true;
        }
        return false;
    }
    if (u[i] == '&' && left >= 4) {
        if (u[i + 1] == '#') {
            bool hex = u[i + 2] == 'x' || u[i + 2] == 'X';
            size_t k = i + 2 + hex, start = k;
            unsigned v = 0;
            if (hex) {
                while (k < len && k - start < 2 && esc_hexv1[u[k]])
                    v = v << 4 | (esc_hexv1[u[k++]] - 1u);
            } else {
                while (k < len && k - start < 3 && u[k] >= '0' && u[k] <= '9')
                    v = v * 10 + (u[k++] - '0');
            }
            if (k == start || k >= len || u[k] != ';' || v >= 0x80 ||
                !(kinds & 1u << (hex ? ESC_HTML_HEX : ESC_HTML_DEC)))
                return false;
            *e = (esc_seq){(uint8_t)v, (uint8_t)(k + 1 - i), hex ? ESC_HTML_HEX : ESC_HTML_DEC,
                           u[i + 2] == 'X' || hex_upper(s + start, k - start)};
            return true;
        }
        if (!(kinds & 1u << ESC_HTML_NAMED))
            return false;
        for (size_t t = 0; t < sizeof named / sizeof named[0]; t++) {
            size_t n = named[t].len;
            if (left >= n + 2 && s[i + 1 + n] == ';' && memcmp(s + i + 1, named[t].name, n) == 0) {
                *e = (esc_seq){named[t].byte, (uint8_t)(n + 2), ESC_HTML_NAMED, false};
                return true;
            }
        }
    }
    return false;
}

size_t esc_encode(uint8_t b, esc_kind kind, bool upper, char *out)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    switch (kind) {
    case ESC_PCT:
        out[0] = '%';
        out[1] = digits[b >> 4];
        out[2] = digits[b & 15];
        return 3;
    case ESC_JSON_U:
        memcpy(out, "\\u00", 4);
        out[4] = digits[b >> 4];
        out[5] = digits[b & 15];
        return 6;
    case ESC_BACKSLASH_X:
        out[0] = '\\';
        out[1] = 'x';
        out[2] = digits[b >> 4];
        out[3] = digits[b & 15];
        return 4;
    case ESC_BACKSLASH:
        if (!is_punct(b))
            break;
        out[0] = '\\';
        out[1] = (char)b;
        return 2;
    case ESC_HTML_NAMED:
        for (size_t t = 0; t < sizeof named / sizeof named[0]; t++) {
            if (named[t].byte == b) {
                out[0] = '&';
                memcpy(out + 1, named[t].name, named[t].len);
                out[1 + named[t].len] = ';';
                return named[t].len + 2u;
            }
        }
        __attribute__((fallthrough)); /* no name: the decimal form */
    case ESC_HTML_DEC: {
        size_t n = 0;
        out[n++] = '&';
        out[n++] = '#';
        if (b >= 100)
            out[n++] = (char)('0' + b / 100);
        if (b >= 10)
            out[n++] = (char)('0' + b / 10 % 10);
        out[n++] = (char)('0' + b % 10);
        out[n++] = ';';
        return n;
    }
    case ESC_HTML_HEX: {
        size_t n = 0;
        out[n++] = '&';
        out[n++] = '#';
        out[n++] = upper ? 'X' : 'x';
        if (b >= 16)
            out[n++] = digits[b >> 4];
        out[n++] = digits[b & 15];
        out[n++] = ';';
        return n;
    }
    case ESC_NONE:
        break;
    }
    out[0] = (char)b;
    return 1;
}
