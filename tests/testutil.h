/* tests/testutil.h -- small helpers shared by the Criterion suites. */
#ifndef LS_TESTUTIL_H
#define LS_TESTUTIL_H

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Printable form of s[0, n) for failure messages: \xNN for anything but
 * printable ASCII (and for '\\'), cut at about 2 KB.  Six rotating
 * buffers, so up to six results can appear in one message. */
static inline const char *esc(const char *s, size_t n)
{
    static char bufs[6][2048];
    static unsigned k;
    char *b = bufs[k++ % 6];
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < sizeof bufs[0]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            b[o++] = (char)c;
        else
            o += (size_t)snprintf(b + o, 5, "\\x%02x", c);
    }
    b[o] = '\0';
    return b;
}

/* Decodes s[0, n) the way a reader of a log would, independently of
 * ipaddr.c's decoder: "%XX" and "%25XX", "\\uXXXX", "\\xXX", "\\c" (any
 * character), "&period;", "&colon;", "&#NN;", "&#xHH;", and with `dash` (not
 * 0) each '-' as that character.  Writes at most n bytes to out; returns the
 * length. */
static inline size_t test_unescape(const char *s, size_t n, char dash, char *out)
{
    size_t o = 0;
    for (size_t k = 0; k < n;) {
        unsigned v;
        const char *semi;
        if (s[k] == '%' && k + 4 < n && s[k + 1] == '2' && s[k + 2] == '5' &&
            isxdigit((unsigned char)s[k + 3]) && isxdigit((unsigned char)s[k + 4]) &&
            sscanf(s + k + 3, "%2x", &v) == 1) {
            out[o++] = (char)v;
            k += 5;
        } else if (s[k] == '%' && k + 2 < n && isxdigit((unsigned char)s[k + 1]) &&
                   isxdigit((unsigned char)s[k + 2]) && sscanf(s + k + 1, "%2x", &v) == 1) {
            out[o++] = (char)v;
            k += 3;
        } else if (s[k] == '\\' && k + 5 < n && s[k + 1] == 'u' &&
                   sscanf(s + k + 2, "%4x", &v) == 1) {
            out[o++] = (char)v;
            k += 6;
        } else if (s[k] == '\\' && k + 3 < n && s[k + 1] == 'x' &&
                   sscanf(s + k + 2, "%2x", &v) == 1) {
            out[o++] = (char)v;
            k += 4;
        } else if (s[k] == '\\' && k + 1 < n) {
            out[o++] = s[k + 1];
            k += 2;
        } else if (k + 8 <= n && memcmp(s + k, "&period;", 8) == 0) {
            out[o++] = '.';
            k += 8;
        } else if (k + 7 <= n && memcmp(s + k, "&colon;", 7) == 0) {
            out[o++] = ':';
            k += 7;
        } else if (s[k] == '&' && k + 3 < n && s[k + 1] == '#' &&
                   (semi = memchr(s + k, ';', n - k)) != NULL) {
            bool hex = s[k + 2] == 'x';
            out[o++] = (char)strtoul(s + k + 2 + hex, NULL, hex ? 16 : 10);
            k = (size_t)(semi - s) + 1;
        } else if (s[k] == '-' && dash) {
            out[o++] = dash;
            k++;
        } else {
            out[o++] = s[k++];
        }
    }
    return o;
}

#endif /* LS_TESTUTIL_H */
