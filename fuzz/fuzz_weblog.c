/* fuzz/fuzz_weblog.c -- the web log parsers (access, nginx and Apache error
 * logs), the time coarsening and the user-agent generaliser on any bytes.
 *
 * Invariants: no parser reads outside the line (ASan) or crashes; every span
 * a parser reports lies inside the line, in line order where the format
 * orders them, and a parsed line's client span holds the address it
 * decoded; time_cut_all keeps the length and only turns digits into '0';
 * cutting twice changes nothing more; ua_generalise stays within
 * UA_GENERAL_MAX. */
#define FUZZ_NAME "fuzz_weblog"
#include "fuzz.h"

#include <string.h>

#include "formats/timefmt.h"
#include "formats/useragent.h"
#include "formats/weblog.h"
#include "ip/ipaddr.h"

static void check_span(span s, size_t n)
{
    CHECK(s.start <= s.end && s.end <= n);
}

static void check_record(const char *s, size_t n, const record *r)
{
    const span all[] = {r->client, r->vhost, r->remote_user, r->time, r->request, r->method,
                        r->path, r->query, r->protocol, r->status, r->bytes, r->referrer,
                        r->user_agent, r->xff, r->message};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        check_span(all[k], n);
    CHECK(r->parsed);
    if (r->format == FMT_ACCESS) {
        CHECK(r->remote_user.end < r->time.start && r->time.end < r->request.start);
        CHECK(r->request.end < r->status.start && r->status.end < r->bytes.start);
        if (span_present(r->referrer))
            CHECK(r->bytes.end < r->referrer.start);
        if (span_present(r->user_agent))
            CHECK(r->referrer.end < r->user_agent.start);
        CHECK(r->has_time && r->status_code >= 100 && r->status_code <= 599);
    }
    if (span_present(r->method))
        CHECK(r->method.start == r->request.start && r->path.start > r->method.end);
    if (r->has_client) {
        ipaddr a;
        const char *c = s + r->client.start;
        size_t cn = r->client.end - r->client.start;
        CHECK(ip_parse_v4(c, cn, &a) || ip_parse_v6(c, cn, &a));
        CHECK(memcmp(a.a, r->client_addr.a, 16) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy so that any read past the line is caught. */
    char *s = malloc(size ? size : 1);
    CHECK(s != NULL);
    memcpy(s, data, size);
    record r;
    r = (record){0};
    if (access_parse(s, size, &r))
        check_record(s, size, &r);
    (void)access_no_user(s, size);
    r = (record){0};
    if (nginx_error_parse(s, size, &r))
        check_record(s, size, &r);
    r = (record){0};
    if (apache_error_parse(s, size, &r))
        check_record(s, size, &r);

    char out[UA_GENERAL_MAX];
    CHECK(ua_generalise(s, size, out) <= UA_GENERAL_MAX);

    for (int prec = TIME_MINUTE; prec <= TIME_HOUR; prec++) {
        char *t = malloc(size ? size : 1), *u = malloc(size ? size : 1);
        CHECK(t != NULL && u != NULL);
        memcpy(t, s, size);
        time_cut_all(t, size, (enum time_precision)prec);
        for (size_t k = 0; k < size; k++)
            CHECK(t[k] == s[k] || (s[k] >= '0' && s[k] <= '9' && t[k] == '0'));
        memcpy(u, t, size);
        CHECK(time_cut_all(u, size, (enum time_precision)prec) == 0);
        CHECK(memcmp(u, t, size) == 0);
        free(t);
        free(u);
    }
    free(s);
    return 0;
}
