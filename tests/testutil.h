/* tests/testutil.h -- small helpers shared by the Criterion suites. */
#ifndef LS_TESTUTIL_H
#define LS_TESTUTIL_H

#include <stddef.h>
#include <stdio.h>

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

#endif /* LS_TESTUTIL_H */
