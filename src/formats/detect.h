/* detect.h -- which format a line is in, for -f auto: decided from its
 * first bytes, cheaply, since it runs on every line.  Library-internal.
 */
#ifndef LS_DETECT_H
#define LS_DETECT_H

#include <stddef.h>

#include "formats/record.h"

/* The format of line[0, len) (never FMT_AUTO): FMT_JSON when its first
 * byte after spaces and tabs is '{'.  Lines no parser claims are FMT_TEXT.
 * This function can't fail. */
rec_format format_detect(const char *line, size_t len);

/* The format called name[0, len) in policies and on the command line
 * ("auto", "text", "nginx", "apache", "nginx-error", "apache-error",
 * "json", "sentry", "envelope"); false for any other name. */
bool format_by_name(const char *name, size_t len, rec_format *out);

/* The policy name of a format ("auto" for FMT_AUTO). */
const char *format_name(rec_format f);

#endif /* LS_DETECT_H */
