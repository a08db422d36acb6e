/* weblog.h -- parsers for web server logs: the access-log family (nginx and
 * Apache combined, common, vhost-combined, with optional quoted fields after
 * the user agent such as $http_x_forwarded_for) and the nginx and Apache
 * error logs.  Each fills a record (record.h) with the spans of the raw line
 * and returns false when the line is not in its format; nothing is
 * allocated and nothing is changed. */
#ifndef LS_WEBLOG_H
#define LS_WEBLOG_H

#include <stdbool.h>
#include <stddef.h>

#include "formats/record.h"

/* Longest $remote_user looked at: a longer one is no access-log line. */
#define WEBLOG_USER_MAX 512

/* $remote_addr - $remote_user [$time_local] "$request" $status $bytes
 * ["$http_referer" "$http_user_agent" ["$extra"...]], optionally with a
 * virtual host before it (vhost-combined: "example.com:443 addr - ...").
 * Quoted fields may hold \" and \\ escapes (nginx escapes them as \x22).
 * Sets client (and has_client when it is an address), vhost, remote_user,
 * time (has_time), request, method, path, query, protocol, status
 * (status_code), bytes, referrer, user_agent and xff (the first extra
 * field). */
bool access_parse(const char *s, size_t n, record *r);

/* nginx: "2000/10/10 13:55:36 [error] 123#0: *45 MESSAGE, client: ADDR,
 * server: ..., request: \"...\"".  Sets time (has_time, local time taken
 * as UTC), message, client, request and its parts; basic-auth failures
 * (`user "NAME" was not found`, `user "NAME": password mismatch`) set
 * remote_user to NAME and the event. */
bool nginx_error_parse(const char *s, size_t n, record *r);

/* Apache 2.4: "[Tue Oct 10 13:55:36.123456 2000] [module:level] [pid N]
 * [client ADDR:PORT] AHnnnnn: MESSAGE".  Sets message, client; AH01618
 * (`user NAME not found`) and AH01617 (`user NAME: authentication
 * failure`) set remote_user and the event. */
bool apache_error_parse(const char *s, size_t n, record *r);

/* Cheap test for the common case of an access-log line without a remote
 * user: "- - [" right after the first token, or after the second
 * (vhost-combined).  False means "look closer", not "has a user". */
bool access_no_user(const char *s, size_t n);

#endif /* LS_WEBLOG_H */
