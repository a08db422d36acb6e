/* weblog.c -- web server log parsers, see weblog.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "formats/weblog.h"

#include <string.h>

#include "formats/timefmt.h"
#include "ip/ipaddr.h"

static inline span mk(size_t a, size_t b)
{
    return (span){(uint32_t)a, (uint32_t)b};
}

/* End of the token that starts at s[k]: the next space or the end. */
static size_t token_end(const char *s, size_t n, size_t k)
{
    const char *sp = memchr(s + k, ' ', n - k);
    return sp ? (size_t)(sp - s) : n;
}

/* Sets client (and the decoded address) from s[a, b), an address with an
 * optional ":port" (IPv4) or in brackets. */
static void set_client(record *r, const char *s, size_t a, size_t b)
{
    r->has_client = false; /* the last client field of a line counts */
    r->client = mk(a, b);
    if (a < b && s[a] == '[') {
        const char *rb = memchr(s + a, ']', b - a);
        if (rb && ip_parse_v6(s + a + 1, (size_t)(rb - s) - a - 1, &r->client_addr)) {
            r->client = mk(a + 1, (size_t)(rb - s));
            r->has_client = true;
        }
        return;
    }
    if (ip_parse_v4(s + a, b - a, &r->client_addr) || ip_parse_v6(s + a, b - a, &r->client_addr)) {
        r->has_client = true;
        return;
    }
    /* ADDR:PORT (Apache error logs), IPv4 or unbracketed IPv6. */
    const char *colon = NULL;
    for (size_t k = b; k > a; k--)
        if (s[k - 1] == ':') {
            colon = s + k - 1;
            break;
        }
    if (colon) {
        size_t e = (size_t)(colon - s);
        if (ip_parse_v4(s + a, e - a, &r->client_addr) || ip_parse_v6(s + a, e - a, &r->client_addr)) {
            r->client = mk(a, e);
            r->has_client = true;
        }
    }
}

/* The end of a quoted field whose opening quote is at s[q]: the index of
 * its closing quote (an unescaped '"' followed by a space or the end), or
 * 0 when there is none. */
static size_t quoted_end(const char *s, size_t n, size_t q)
{
    for (size_t k = q + 1; k < n; k++) {
        if (s[k] == '\\') {
            k++;
            continue;
        }
        if (s[k] == '"' && (k + 1 == n || s[k + 1] == ' '))
            return k;
    }
    return 0;
}

/* Splits the request r->request into method, path, query, protocol. */
static void split_request(const char *s, record *r)
{
    size_t a = r->request.start, b = r->request.end, k = a;
    while (k < b && s[k] >= 'A' && s[k] <= 'Z')
        k++;
    if (k == a || k >= b || s[k] != ' ')
        return; /* "-", junk, a TLS handshake: no parts */
    r->method = mk(a, k);
    size_t t = k + 1, te = t;
    while (te < b && s[te] != ' ')
        te++;
    const char *qm = memchr(s + t, '?', te - t);
    if (qm) {
        r->path = mk(t, (size_t)(qm - s));
        r->query = mk((size_t)(qm - s) + 1, te);
    } else {
        r->path = mk(t, te);
    }
    if (te < b)
        r->protocol = mk(te + 1, b);
}

bool access_no_user(const char *s, size_t n)
{
    size_t e = token_end(s, n, 0);
    if (e + 6 <= n && memcmp(s + e, " - - [", 6) == 0)
        return true;
    if (e >= n)
        return false;
    size_t e2 = token_end(s, n, e + 1);
    return e2 + 6 <= n && memcmp(s + e2, " - - [", 6) == 0;
}

/* Parses the access-log fields that start at s[k] with the client token
 * s[c0, c1). */
static bool access_from(const char *s, size_t n, size_t c0, size_t c1, record *r)
{
    /* " - " (ident, always "-"), then remote_user up to " [". */
    if (c1 + 3 > n || memcmp(s + c1, " - ", 3) != 0)
        return false;
    size_t u = c1 + 3, lim = n - u > WEBLOG_USER_MAX + 2 ? u + WEBLOG_USER_MAX + 2 : n, tb = 0;
    for (size_t k = u; k + 1 < lim; k++) {
        if (s[k] == ' ' && s[k + 1] == '[' && k + 2 + CLF_TIME_LEN < n &&
            s[k + 2 + CLF_TIME_LEN] == ']' &&
            clf_time_parse(s + k + 2, CLF_TIME_LEN, &r->time_unix)) {
            tb = k;
            break;
        }
    }
    if (tb == 0 || tb == u)
        return false;
    set_client(r, s, c0, c1);
    r->remote_user = mk(u, tb);
    r->time = mk(tb + 2, tb + 2 + CLF_TIME_LEN);
    r->has_time = true;
    size_t k = tb + 3 + CLF_TIME_LEN; /* after ']' */
    if (k + 2 > n || s[k] != ' ' || s[k + 1] != '"')
        return false;
    size_t qe = quoted_end(s, n, k + 1);
    if (qe == 0)
        return false;
    r->request = mk(k + 2, qe);
    split_request(s, r);
    k = qe + 1;
    /* status: three digits */
    if (k + 4 > n || s[k] != ' ' || s[k + 1] < '1' || s[k + 1] > '5' || s[k + 2] < '0' ||
        s[k + 2] > '9' || s[k + 3] < '0' || s[k + 3] > '9')
        return false;
    r->status = mk(k + 1, k + 4);
    r->status_code = (uint16_t)((s[k + 1] - '0') * 100 + (s[k + 2] - '0') * 10 + (s[k + 3] - '0'));
    k += 4;
    if (k + 2 > n || s[k] != ' ')
        return false;
    size_t b0 = k + 1, b1 = b0;
    while (b1 < n && s[b1] >= '0' && s[b1] <= '9')
        b1++;
    if (b1 == b0 && s[b0] == '-')
        b1 = b0 + 1;
    if (b1 == b0 || (b1 < n && s[b1] != ' '))
        return false;
    r->bytes = mk(b0, b1);
    k = b1;
    /* Up to three quoted fields: referrer, user agent, an extra one. */
    span *fields[3] = {&r->referrer, &r->user_agent, &r->xff};
    for (int f = 0; f < 3 && k + 2 < n && s[k] == ' ' && s[k + 1] == '"'; f++) {
        size_t e = quoted_end(s, n, k + 1);
        if (e == 0)
            return false;
        *fields[f] = mk(k + 2, e);
        k = e + 1;
    }
    r->format = FMT_ACCESS;
    r->parsed = true;
    return true;
}

bool access_parse(const char *s, size_t n, record *r)
{
    size_t e1 = token_end(s, n, 0);
    if (e1 == 0 || e1 >= n)
        return false;
    if (access_from(s, n, 0, e1, r))
        return true;
    /* vhost-combined: "host:port client - user [...". */
    size_t e2 = token_end(s, n, e1 + 1);
    if (e2 == e1 + 1 || e2 >= n)
        return false;
    record_reset(r);
    if (!access_from(s, n, e1 + 1, e2, r))
        return false;
    r->vhost = mk(0, e1);
    return true;
}

/* Finds the NUL-terminated `lit` in s[a, b); returns its offset or b. */
static size_t find_lit(const char *s, size_t a, size_t b, const char *lit)
{
    size_t m = strlen(lit);
    for (size_t k = a; k + m <= b; k++)
        if (memcmp(s + k, lit, m) == 0)
            return k;
    return b;
}

/* `user "NAME" was not found` / `user "NAME": password mismatch` in the
 * message s[a, b). */
static void nginx_auth_user(const char *s, size_t a, size_t b, record *r)
{
    size_t k = find_lit(s, a, b, "user \"");
    if (k == b)
        return;
    size_t u = k + 6, e = u;
    while (e < b && s[e] != '"')
        e++;
    if (e >= b || e == u)
        return;
    if (find_lit(s, e, b, "\" was not found") == e) {
        r->event = EV_AUTH_USER_UNKNOWN;
        r->remote_user = mk(u, e);
    } else if (find_lit(s, e, b, "\": password mismatch") == e) {
        r->event = EV_AUTH_PASSWORD;
        r->remote_user = mk(u, e);
    }
}

bool nginx_error_parse(const char *s, size_t n, record *r)
{
    /* 2000/10/10 13:55:36 [error] 123#0: */
    if (n < 27 || s[4] != '/' || s[7] != '/' || s[10] != ' ' || s[13] != ':' || s[16] != ':' ||
        s[19] != ' ' || s[20] != '[')
        return false;
    for (size_t k = 0; k < 19; k++)
        if (k != 4 && k != 7 && k != 10 && k != 13 && k != 16 && (s[k] < '0' || s[k] > '9'))
            return false;
    const char *rb = memchr(s + 21, ']', n - 21 < 12 ? n - 21 : 12);
    if (rb == NULL)
        return false;
    size_t k = (size_t)(rb - s) + 1;
    /* " PID#TID: " */
    if (k >= n || s[k] != ' ')
        return false;
    size_t p = k + 1;
    while (p < n && s[p] >= '0' && s[p] <= '9')
        p++;
    if (p == k + 1 || p >= n || s[p] != '#')
        return false;
    p++;
    while (p < n && s[p] >= '0' && s[p] <= '9')
        p++;
    if (p + 2 > n || s[p] != ':' || s[p + 1] != ' ')
        return false;
    size_t m = p + 2;
    if (m < n && s[m] == '*') { /* connection id */
        size_t q = m + 1;
        while (q < n && s[q] >= '0' && s[q] <= '9')
            q++;
        if (q < n && s[q] == ' ')
            m = q + 1;
    }
    size_t ce = find_lit(s, m, n, ", client: ");
    r->message = mk(m, ce);
    if (ce < n) {
        size_t a = ce + 10, b = a;
        while (b < n && s[b] != ',' && s[b] != ' ')
            b++;
        set_client(r, s, a, b);
        size_t rq = find_lit(s, b, n, ", request: \"");
        if (rq < n) {
            size_t q0 = rq + 12, q1 = q0;
            while (q1 < n && s[q1] != '"')
                q1 += s[q1] == '\\' ? 2 : 1;
            if (q1 <= n) {
                r->request = mk(q0, q1 < n ? q1 : n);
                split_request(s, r);
            }
        }
    }
    nginx_auth_user(s, m, ce, r);
    if (find_lit(s, m, ce, "limiting requests") < ce)
        r->event = EV_LIMIT_REQ;
    else if (find_lit(s, m, ce, "limiting connections") < ce)
        r->event = EV_LIMIT_CONN;
    else if (find_lit(s, m, ce, "client sent invalid") < ce)
        r->event = EV_BAD_REQUEST;
    r->format = FMT_ERROR_NGINX;
    r->parsed = true;
    return true;
}

bool apache_error_parse(const char *s, size_t n, record *r)
{
    /* [Www Mmm DD HH:MM:SS[.frac] YYYY] */
    if (n < 26 || s[0] != '[' || s[4] != ' ' || s[8] != ' ' || s[11] != ' ' || s[14] != ':' ||
        s[17] != ':')
        return false;
    const char *rb = memchr(s, ']', n < 40 ? n : 40);
    if (rb == NULL)
        return false;
    size_t k = (size_t)(rb - s) + 1, msg = n;
    /* Bracketed fields; "[client ADDR:PORT]" among them. */
    while (k + 1 < n && s[k] == ' ' && s[k + 1] == '[') {
        const char *e = memchr(s + k + 2, ']', n - k - 2);
        if (e == NULL)
            return false;
        size_t a = k + 2, b = (size_t)(e - s);
        if (b - a > 7 && memcmp(s + a, "client ", 7) == 0)
            set_client(r, s, a + 7, b);
        k = b + 1;
    }
    if (k < n && s[k] == ' ')
        msg = k + 1;
    else
        msg = k;
    r->message = mk(msg, n);
    /* AH01618: user NAME not found / AH01617: user NAME: authentication failure */
    size_t u = find_lit(s, msg, n, "AH0161");
    if (u + 14 <= n && (s[u + 6] == '7' || s[u + 6] == '8') && memcmp(s + u + 7, ": user ", 7) == 0) {
        size_t a = u + 14, b = a;
        while (b < n && s[b] != ' ' && s[b] != ':')
            b++;
        if (b > a) {
            r->remote_user = mk(a, b);
            r->event = s[u + 6] == '8' ? EV_AUTH_USER_UNKNOWN : EV_AUTH_PASSWORD;
        }
    }
    r->format = FMT_ERROR_APACHE;
    r->parsed = true;
    return true;
}
