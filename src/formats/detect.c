/* detect.c -- format names, and the per-line guess of -f auto. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "formats/detect.h"

#include <stdbool.h>
#include <string.h>

// clang-format off
static const struct {
    const char *name;
    rec_format fmt;
} names[] = {
    {"auto", FMT_AUTO},
    {"text", FMT_TEXT},
    {"nginx", FMT_ACCESS},
    {"apache", FMT_ACCESS},
    {"nginx-error", FMT_ERROR_NGINX},
    {"apache-error", FMT_ERROR_APACHE},
    {"json", FMT_JSON},
    {"sentry", FMT_SENTRY},
    {"envelope", FMT_ENVELOPE},
};
// clang-format on

bool format_by_name(const char *name, size_t len, rec_format *out)
{
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        if (strlen(names[k].name) == len && memcmp(names[k].name, name, len) == 0) {
            *out = names[k].fmt;
            return true;
        }
    }
    return false;
}

const char *format_name(rec_format f)
{
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (names[k].fmt == f)
            return names[k].name;
    return "text";
}

rec_format format_detect(const char *line, size_t len)
{
    /* A JSON log line is an object: '{' after optional blanks.  A text line
     * that starts so ("{main} started") is found out by the parser and
     * goes to text. */
    size_t k = 0;
    while (k < len && (line[k] == ' ' || line[k] == '\t'))
        k++;
    if (k < len && line[k] == '{')
        return FMT_JSON;
    /* nginx error logs: "2000/10/10 13:55:36 ["; Apache's: "[Tue Oct 10 ";
     * access logs start with an address or a host name (vhost-combined).
     * The parser has the last word (a line it refuses is text). */
    const unsigned char *s = (const unsigned char *)line;
    if (len < 8)
        return FMT_TEXT;
    if (len > 20 && s[4] == '/' && s[10] == ' ' && s[19] == ' ' && s[20] == '[' &&
        s[0] >= '0' && s[0] <= '9')
        return FMT_ERROR_NGINX;
    if (s[0] == '[' && s[1] >= 'A' && s[1] <= 'Z' && s[4] == ' ' && s[8] == ' ')
        return FMT_ERROR_APACHE;
    if ((s[0] >= '0' && s[0] <= '9') || (s[0] >= 'a' && s[0] <= 'f') ||
        (s[0] >= 'A' && s[0] <= 'F') || s[0] == ':' || (s[0] >= 'g' && s[0] <= 'z'))
        return FMT_ACCESS;
    return FMT_TEXT;
}
