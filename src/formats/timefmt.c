/* timefmt.c -- log time formats, see timefmt.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "formats/timefmt.h"

#include <string.h>

static inline bool dig(char c)
{
    return c >= '0' && c <= '9';
}

/* Value of the k decimal digits at s, or -1 when one is not a digit. */
static int num(const char *s, int k)
{
    int v = 0;
    for (int i = 0; i < k; i++) {
        if (!dig(s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* 1-12 for "Jan".."Dec" (case as written by servers), 0 for anything else. */
static int month_by_abbrev(const char *s)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (int m = 0; m < 12; m++)
        if (memcmp(s, months + 3 * m, 3) == 0)
            return m + 1;
    return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool clf_time_parse(const char *s, size_t n, int64_t *unix_time)
{
    /* 10/Oct/2000:13:55:36 -0700 */
    if (n != CLF_TIME_LEN || s[2] != '/' || s[6] != '/' || s[11] != ':' || s[14] != ':' ||
        s[17] != ':' || s[20] != ' ' || (s[21] != '+' && s[21] != '-'))
        return false;
    int d = num(s, 2), m = month_by_abbrev(s + 3), y = num(s + 7, 4);
    int hh = num(s + 12, 2), mm = num(s + 15, 2), ss = num(s + 18, 2);
    int zh = num(s + 22, 2), zm = num(s + 24, 2);
    if (d < 1 || d > 31 || m == 0 || y < 0 || hh < 0 || hh > 23 || mm < 0 || mm > 59 ||
        ss < 0 || ss > 60 || zh < 0 || zh > 23 || zm < 0 || zm > 59)
        return false;
    int64_t t = days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
    int64_t off = (int64_t)zh * 3600 + zm * 60;
    *unix_time = s[21] == '+' ? t - off : t + off;
    return true;
}

/* Is there a date of a known form ending right before s[c] (the clock's
 * first digit)?  `lo` bounds the look back. */
static bool date_before(const char *s, size_t lo, size_t c)
{
    size_t b = c - lo; /* bytes available before c */
    /* ISO 8601: 2000-10-10T or 2000-10-10 (11 bytes) */
    if (b >= 11 && (s[c - 1] == 'T' || s[c - 1] == ' ') && s[c - 4] == '-' && s[c - 7] == '-' &&
        num(s + c - 11, 4) >= 0 && num(s + c - 6, 2) >= 0 && num(s + c - 3, 2) >= 0)
        return true;
    /* nginx error log: 2000/10/10 (11 bytes) */
    if (b >= 11 && s[c - 1] == ' ' && s[c - 4] == '/' && s[c - 7] == '/' &&
        num(s + c - 11, 4) >= 0 && num(s + c - 6, 2) >= 0 && num(s + c - 3, 2) >= 0)
        return true;
    /* CLF: 10/Oct/2000: (12 bytes) */
    if (b >= 12 && s[c - 1] == ':' && s[c - 6] == '/' && s[c - 10] == '/' &&
        num(s + c - 5, 4) >= 0 && month_by_abbrev(s + c - 9) && num(s + c - 12, 2) >= 0)
        return true;
    /* syslog and Apache error logs: "Oct 10 " or "Oct  1 " (7 bytes). */
    if (b >= 7 && s[c - 1] == ' ' && s[c - 4] == ' ' && month_by_abbrev(s + c - 7) &&
        (dig(s[c - 3]) || s[c - 3] == ' ') && dig(s[c - 2]))
        return b == 7 || !((s[c - 8] | 0x20) >= 'a' && (s[c - 8] | 0x20) <= 'z');
    return false;
}

size_t time_cut_all(char *s, size_t n, enum time_precision precision)
{
    if (precision == TIME_SECOND || n < 8)
        return 0;
    size_t changed = 0;
    /* Each clock HH:MM:SS has a ':' at +2 and +5; look at each ':' once. */
    for (size_t k = 2; k + 6 <= n; k++) {
        if (s[k] != ':' || s[k + 3] != ':')
            continue;
        size_t c = k - 2;
        if (!dig(s[c]) || !dig(s[c + 1]) || !dig(s[k + 1]) || !dig(s[k + 2]) ||
            !dig(s[k + 4]) || !dig(s[k + 5]) || (c > 0 && dig(s[c - 1])) ||
            (k + 6 < n && dig(s[k + 6])) || !date_before(s, 0, c))
            continue;
        bool any = false;
        size_t end = k + 6;
        /* Seconds, and a fraction after them. */
        char *zero[2] = {s + k + 4, s + k + 5};
        for (int i = 0; i < 2; i++) {
            any |= *zero[i] != '0';
            *zero[i] = '0';
        }
        if (end + 1 < n && (s[end] == '.' || s[end] == ',') && dig(s[end + 1])) {
            for (end++; end < n && dig(s[end]); end++) {
                any |= s[end] != '0';
                s[end] = '0';
            }
        }
        if (precision == TIME_HOUR) {
            any |= s[k + 1] != '0' || s[k + 2] != '0';
            s[k + 1] = s[k + 2] = '0';
        }
        changed += any;
        k = end - 1;
    }
    return changed;
}
