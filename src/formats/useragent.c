/* useragent.c -- see useragent.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "formats/useragent.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Case-insensitive search for the NUL-terminated needle in s[0, n). */
static const char *find_ci(const char *s, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t k = 0; k + m <= n; k++) {
        size_t j = 0;
        while (j < m && (s[k + j] | 0x20) == (needle[j] | 0x20))
            j++;
        if (j == m)
            return s + k;
    }
    return NULL;
}

/* Exact search. */
static const char *find(const char *s, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t k = 0; k + m <= n; k++)
        if (memcmp(s + k, needle, m) == 0)
            return s + k;
    return NULL;
}

/* The major version after "TOKEN/" at p (digits only), at most 6 digits;
 * 0 digits when there is none. */
static size_t major_at(const char *p, const char *end, const char **digits)
{
    *digits = p;
    size_t k = 0;
    while (p + k < end && k < 6 && p[k] >= '0' && p[k] <= '9')
        k++;
    return k;
}

static const char *os_family(const char *s, size_t n)
{
    if (find(s, n, "Windows"))
        return "Windows";
    if (find(s, n, "Android"))
        return "Android";
    if (find(s, n, "iPhone") || find(s, n, "iPad") || find(s, n, "iPod"))
        return "iOS";
    if (find(s, n, "Mac OS X") || find(s, n, "Macintosh"))
        return "macOS";
    if (find(s, n, "CrOS"))
        return "ChromeOS";
    if (find(s, n, "Linux") || find(s, n, "X11"))
        return "Linux";
    return "other";
}

size_t ua_generalise(const char *ua, size_t n, char *out)
{
    if (n == 0 || (n == 1 && ua[0] == '-')) {
        out[0] = '-';
        return 1;
    }
    bool bot = find_ci(ua, n, "bot") || find_ci(ua, n, "crawl") || find_ci(ua, n, "spider") ||
               find_ci(ua, n, "slurp");
    if (bot || n < 8 || memcmp(ua, "Mozilla/", 8) != 0) {
        /* The product token: for bots the one that names the bot. */
        const char *p = ua, *end = ua + n;
        if (bot && memcmp(ua, "Mozilla/", n < 8 ? n : 8) == 0) {
            static const char *const words[] = {"bot", "crawl", "spider", "slurp"};
            for (size_t w = 0; w < 4; w++) {
                const char *h = find_ci(ua, n, words[w]);
                if (h) {
                    p = h;
                    break;
                }
            }
            /* Back to the start of that token. */
            while (p > ua && p[-1] != ' ' && p[-1] != '(' && p[-1] != ';' && p[-1] != '+')
                p--;
        }
        size_t k = 0;
        while (p + k < end && k < 40 && p[k] != ' ' && p[k] != ';' && p[k] != ')' && p[k] != '(')
            k++;
        if (k == 0) {
            out[0] = '-';
            return 1;
        }
        memcpy(out, p, k);
        return k;
    }
    static const struct {
        const char *token, *name;
    } families[] = {
        {"Edg/", "Edge"},       {"EdgA/", "Edge"},     {"EdgiOS/", "Edge"},  {"OPR/", "Opera"},
        {"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"}, {"Chrome/", "Chrome"}, {"CriOS/", "Chrome"},
        {"Version/", "Safari"},
    };
    const char *os = os_family(ua, n);
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
        const char *h = find(ua, n, families[f].token);
        if (!h)
            continue;
        if (strcmp(families[f].name, "Safari") == 0 && !find(ua, n, "Safari/"))
            continue;
        const char *digits;
        size_t k = major_at(h + strlen(families[f].token), ua + n, &digits);
        int w = k ? snprintf(out, UA_GENERAL_MAX, "%s/%.*s (%s)", families[f].name, (int)k, digits, os)
                  : snprintf(out, UA_GENERAL_MAX, "%s (%s)", families[f].name, os);
        return (size_t)w;
    }
    return (size_t)snprintf(out, UA_GENERAL_MAX, "Mozilla (%s)", os);
}
