/* record.h -- what a format parser learns about one log line: where its
 * fields are (for field actions and for rules limited to fields) and the
 * facts abuse detection needs (client, log time, request, status, agent).
 *
 * A record describes the RAW line, before any scrubbing: spans are offsets
 * into the text the parser was given, and client_addr is the full address.
 * It lives in the worker that parsed the line and is overwritten by the
 * next line; whoever needs it later (the abuse detectors) copies what it
 * keeps.  The full address must never reach the scrubbed output from here.
 *
 * Parsers fill what their format has and leave the rest absent (a span with
 * start == end, has_* false).  A line that does not parse in its declared
 * format gives parsed == false and is scrubbed as text.
 */
#ifndef LS_RECORD_H
#define LS_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ip/ipaddr.h"

/* text[start, end) of the line; start == end when the field is absent.
 * Quoted fields exclude their quotes. */
typedef struct span {
    uint32_t start, end;
} span;

static inline bool span_present(span s)
{
    return s.end > s.start;
}

/* Formats a line can be in (the policy's and -f's names in comments). */
typedef enum rec_format {
    FMT_TEXT = 0,     /* "text": free text, no fields */
    FMT_ACCESS,       /* "nginx", "apache": combined, common, vhost-combined */
    FMT_ERROR_NGINX,  /* "nginx-error" */
    FMT_ERROR_APACHE, /* "apache-error" */
    FMT_JSON,         /* "json": one JSON value per line */
    FMT_SENTRY,       /* "sentry": one Sentry event per line (JSON) */
    FMT_ENVELOPE,     /* "envelope": Sentry envelope (header line, items) */
    FMT_AUTO = 255    /* policies and -f only ("auto"): decided per line */
} rec_format;

/* What an error-log line (or an access-log status) tells about the client,
 * beyond the request itself. */
typedef enum rec_event {
    EV_NONE = 0,
    EV_AUTH_USER_UNKNOWN,  /* basic auth: user "x" was not found */
    EV_AUTH_PASSWORD,      /* basic auth: password mismatch */
    EV_LIMIT_REQ,          /* nginx: limiting requests */
    EV_LIMIT_CONN,         /* nginx: limiting connections */
    EV_BAD_REQUEST         /* the server logged the request as malformed */
} rec_event;

typedef struct record {
    uint8_t format;   /* rec_format the line was parsed as */
    bool parsed;      /* false: the declared format did not fit (scrubbed as text) */

    /* Fields (access logs; error logs fill the ones they carry). */
    span client;      /* $remote_addr (error logs: "client: X") */
    span vhost;       /* vhost-combined's server name (with its :port) */
    span remote_user; /* $remote_user ("-" when none) */
    span time;        /* inside the brackets: 10/Oct/2000:13:55:36 -0700 */
    span request;     /* inside the quotes: GET /a?b=c HTTP/1.1 */
    span method, path, query, protocol; /* parts of request; query without '?' */
    span status, bytes;
    span referrer, user_agent;
    span xff;         /* a trailing "$http_x_forwarded_for" field, when present */
    span message;     /* error logs: the message text */

    /* Facts, decoded. */
    bool has_client;
    ipaddr client_addr; /* full address of `client` */
    bool has_time;
    int64_t time_unix;  /* log time, seconds since the epoch, UTC */
    uint16_t status_code; /* 0 when absent */
    uint8_t event;      /* rec_event */
} record;

/* Empties r for a new line.  This function can't fail. */
static inline void record_reset(record *r)
{
    *r = (record){0};
}

#endif /* LS_RECORD_H */
