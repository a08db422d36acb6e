/* test_weblog.c -- the web log parsers, time formats and user agents of
 * src/formats: exact spans for each field of each line form, refusals, the
 * time arithmetic against known values, and the coarsening of timestamps. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "formats/timefmt.h"
#include "formats/useragent.h"
#include "formats/weblog.h"

/* The text of span sp of s, in a static buffer ("<absent>" when absent). */
static const char *sp(const char *s, span x)
{
    static char buf[4][1024];
    static int k;
    char *b = buf[k++ % 4];
    if (!span_present(x))
        return "<absent>";
    snprintf(b, 1024, "%.*s", (int)(x.end - x.start), s + x.start);
    return b;
}

#define EQ(s, field, want) \
    cr_expect_str_eq(sp((s), r.field), (want), "%s of \"%s\"", #field, (s))

Test(access, combined_line_has_every_field)
{
    const char *s = "203.0.113.195 - alice [10/Oct/2000:13:55:36 -0700] \"GET /a/b?x=1&y=2 HTTP/1.1\" "
                    "200 2326 \"https://example.com/p?q=1\" \"Mozilla/5.0 (X11) \\\"quoted\\\"\"";
    record r = {0};
    cr_assert(access_parse(s, strlen(s), &r));
    EQ(s, client, "203.0.113.195");
    EQ(s, remote_user, "alice");
    EQ(s, time, "10/Oct/2000:13:55:36 -0700");
    EQ(s, request, "GET /a/b?x=1&y=2 HTTP/1.1");
    EQ(s, method, "GET");
    EQ(s, path, "/a/b");
    EQ(s, query, "x=1&y=2");
    EQ(s, protocol, "HTTP/1.1");
    EQ(s, status, "200");
    EQ(s, bytes, "2326");
    EQ(s, referrer, "https://example.com/p?q=1");
    EQ(s, user_agent, "Mozilla/5.0 (X11) \\\"quoted\\\"");
    EQ(s, xff, "<absent>");
    EQ(s, vhost, "<absent>");
    cr_expect(r.has_client && r.client_addr.family == 4 && r.client_addr.a[15] == 195);
    cr_expect(r.has_time && r.time_unix == 971211336, "time_unix %lld", (long long)r.time_unix);
    cr_expect_eq(r.status_code, 200);
    cr_expect_eq(r.format, FMT_ACCESS);
    cr_expect(r.parsed);
}

Test(access, common_vhost_xff_ipv6_and_odd_requests)
{
    record r = {0};
    const char *common = "2001:db8::1 - - [01/Jan/2026:00:00:00 +0000] \"HEAD / HTTP/1.0\" 304 -";
    cr_assert(access_parse(common, strlen(common), &r));
    EQ(common, client, "2001:db8::1");
    EQ(common, remote_user, "-");
    EQ(common, bytes, "-");
    EQ(common, referrer, "<absent>");
    cr_expect(r.has_client && r.client_addr.family == 6);
    cr_expect_eq(r.time_unix, 1767225600);

    r = (record){0};
    const char *vh = "www.example.com:443 198.51.100.7 - bob [10/Oct/2000:13:55:36 +0000] "
                     "\"POST /login HTTP/2.0\" 302 0 \"-\" \"curl/8.5.0\" \"203.0.113.9, 10.0.0.1\"";
    cr_assert(access_parse(vh, strlen(vh), &r));
    EQ(vh, vhost, "www.example.com:443");
    EQ(vh, client, "198.51.100.7");
    EQ(vh, remote_user, "bob");
    EQ(vh, xff, "203.0.113.9, 10.0.0.1");
    EQ(vh, user_agent, "curl/8.5.0");

    r = (record){0};
    const char *tls = "192.0.2.1 - - [10/Oct/2000:13:55:36 +0000] \"\\x16\\x03\\x01\" 400 157 \"-\" \"-\"";
    cr_assert(access_parse(tls, strlen(tls), &r));
    EQ(tls, request, "\\x16\\x03\\x01");
    EQ(tls, method, "<absent>");
    cr_expect_eq(r.status_code, 400);

    /* A user name with a space, as Apache writes it. */
    r = (record){0};
    const char *sp_user = "192.0.2.1 - john doe [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1";
    cr_assert(access_parse(sp_user, strlen(sp_user), &r));
    EQ(sp_user, remote_user, "john doe");
}

Test(access, refusals)
{
    static const char *const bad[] = {
        "",
        "just text",
        "203.0.113.195 - - [10/Oct/2000:13:55:36] \"GET / HTTP/1.1\" 200 1",
        "203.0.113.195 - - [10/Foo/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1",
        "203.0.113.195 - - [10/Oct/2000:13:55:36 +0000] GET / HTTP/1.1 200 1",
        "203.0.113.195 - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 2000 1",
        "203.0.113.195 - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 12x",
        "203.0.113.195 - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1",
        "203.0.113.195 x - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1",
        "Dec  6 10:11:12 host sshd[1]: Accepted password for eve from 203.0.113.5",
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        record r = {0};
        cr_expect(!access_parse(bad[k], strlen(bad[k]), &r), "accepted \"%s\"", bad[k]);
    }
}

Test(access, no_user_quick_test)
{
    cr_expect(access_no_user("1.2.3.4 - - [x", 14));
    cr_expect(access_no_user("h:443 1.2.3.4 - - [x", 20));
    cr_expect(!access_no_user("1.2.3.4 - alice [x", 18));
    cr_expect(!access_no_user("1.2.3.4", 7));
}

Test(errorlog, nginx_auth_failures_and_fields)
{
    record r = {0};
    const char *s = "2026/12/06 10:11:12 [error] 123#0: *45 user \"carol\" was not found in "
                    "\"/etc/nginx/.htpasswd\", client: 203.0.113.9, server: example.com, request: "
                    "\"GET /admin?x=1 HTTP/1.1\", host: \"example.com\"";
    cr_assert(nginx_error_parse(s, strlen(s), &r));
    EQ(s, remote_user, "carol");
    EQ(s, client, "203.0.113.9");
    EQ(s, request, "GET /admin?x=1 HTTP/1.1");
    EQ(s, query, "x=1");
    EQ(s, message, "user \"carol\" was not found in \"/etc/nginx/.htpasswd\"");
    cr_expect_eq(r.event, EV_AUTH_USER_UNKNOWN);
    cr_expect(r.has_client);

    r = (record){0};
    const char *pw = "2026/12/06 10:11:12 [error] 1#1: *2 user \"dan\": password mismatch, client: "
                     "2001:db8::5, server: _, request: \"GET / HTTP/2.0\"";
    cr_assert(nginx_error_parse(pw, strlen(pw), &r));
    EQ(pw, remote_user, "dan");
    EQ(pw, client, "2001:db8::5");
    cr_expect_eq(r.event, EV_AUTH_PASSWORD);

    r = (record){0};
    const char *lim = "2026/12/06 10:11:12 [error] 1#1: *2 limiting requests, excess: 10.5 by zone "
                      "\"one\", client: 192.0.2.7, server: _, request: \"GET / HTTP/1.1\"";
    cr_assert(nginx_error_parse(lim, strlen(lim), &r));
    cr_expect_eq(r.event, EV_LIMIT_REQ);
    EQ(lim, remote_user, "<absent>");

    r = (record){0};
    cr_expect(!nginx_error_parse("2026-12-06 10:11:12 [error] x", 29, &r));
}

Test(errorlog, apache_auth_failures_and_client)
{
    record r = {0};
    const char *s = "[Sun Dec 06 10:11:12.123456 2026] [auth_basic:error] [pid 4242] "
                    "[client 203.0.113.9:52044] AH01618: user dave not found: /admin";
    cr_assert(apache_error_parse(s, strlen(s), &r));
    EQ(s, remote_user, "dave");
    EQ(s, client, "203.0.113.9");
    cr_expect_eq(r.event, EV_AUTH_USER_UNKNOWN);
    EQ(s, message, "AH01618: user dave not found: /admin");

    r = (record){0};
    const char *pw = "[Sun Dec 06 10:11:12 2026] [auth_basic:error] [pid 1] [client "
                     "2001:db8::7:52044] AH01617: user erin: authentication failure for \"/\": "
                     "Password Mismatch";
    cr_assert(apache_error_parse(pw, strlen(pw), &r));
    EQ(pw, remote_user, "erin");
    EQ(pw, client, "2001:db8::7");
    cr_expect_eq(r.event, EV_AUTH_PASSWORD);
}

Test(timefmt, clf_time_values_and_refusals)
{
    int64_t t;
    cr_expect(clf_time_parse("01/Jan/1970:00:00:00 +0000", 26, &t) && t == 0);
    cr_expect(clf_time_parse("01/Jan/1970:01:00:00 +0100", 26, &t) && t == 0);
    cr_expect(clf_time_parse("29/Feb/2024:23:59:59 -0000", 26, &t) && t == 1709251199);
    cr_expect(clf_time_parse("06/Dec/2026:21:33:41 +0000", 26, &t) && t == 1796592821, /* date -u -d "2026-12-06 21:33:41" +%s */
              "%lld", (long long)t);
    cr_expect(!clf_time_parse("32/Jan/2000:00:00:00 +0000", 26, &t));
    cr_expect(!clf_time_parse("01/jan/2000:00:00:00 +0000", 26, &t));
    cr_expect(!clf_time_parse("01/Jan/2000:24:00:00 +0000", 26, &t));
    cr_expect(!clf_time_parse("01/Jan/2000:00:00:00 0000", 25, &t));
}

Test(timefmt, cut_every_known_form)
{
    static const struct {
        const char *in, *minute, *hour;
    } c[] = {
        {"[10/Oct/2000:13:55:36 -0700]", "[10/Oct/2000:13:55:00 -0700]", "[10/Oct/2000:13:00:00 -0700]"},
        {"2026-12-06T10:11:12.345678Z x", "2026-12-06T10:11:00.000000Z x", "2026-12-06T10:00:00.000000Z x"},
        {"2026-12-06 10:11:12,999 INFO", "2026-12-06 10:11:00,000 INFO", "2026-12-06 10:00:00,000 INFO"},
        {"\"ts\":\"2026-12-06T10:11:12+01:00\"", "\"ts\":\"2026-12-06T10:11:00+01:00\"",
         "\"ts\":\"2026-12-06T10:00:00+01:00\""},
        {"2026/12/06 10:11:12 [error]", "2026/12/06 10:11:00 [error]", "2026/12/06 10:00:00 [error]"},
        {"Dec  6 10:11:12 host", "Dec  6 10:11:00 host", "Dec  6 10:00:00 host"},
        {"[Sun Dec 06 10:11:12.123 2026]", "[Sun Dec 06 10:11:00.000 2026]", "[Sun Dec 06 10:00:00.000 2026]"},
        /* Not timestamps: no date before the clock. */
        {"took 12:34:56 to run", "took 12:34:56 to run", "took 12:34:56 to run"},
        {"MAC 00:11:22:33:44:55", "MAC 00:11:22:33:44:55", "MAC 00:11:22:33:44:55"},
        {"xDec  6 10:11:12", "xDec  6 10:11:12", "xDec  6 10:11:12"},
    };
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        char b[128];
        size_t n = strlen(c[k].in);
        memcpy(b, c[k].in, n + 1);
        time_cut_all(b, n, TIME_SECOND);
        cr_expect_str_eq(b, c[k].in);
        time_cut_all(b, n, TIME_MINUTE);
        cr_expect_str_eq(b, c[k].minute, "minute of \"%s\"", c[k].in);
        memcpy(b, c[k].in, n + 1);
        time_cut_all(b, n, TIME_HOUR);
        cr_expect_str_eq(b, c[k].hour, "hour of \"%s\"", c[k].in);
    }
}

Test(useragent, generalise_families_bots_and_others)
{
    static const struct {
        const char *in, *out;
    } c[] = {
        {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/122.0.6261.112 Safari/537.36", "Chrome/122 (Windows)"},
        {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge/131 (Windows)"},
        {"Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/118.0", "Firefox/118 (Linux)"},
        {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
         "Gecko) Version/17.0 Mobile/15E148 Safari/604.1", "Safari/17 (iOS)"},
        {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0", "Opera/106 (macOS)"},
        {"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/121.0.6167.101 Mobile Safari/537.36", "Chrome/121 (Android)"},
        {"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot/2.1"},
        {"Googlebot/2.1 (+http://www.google.com/bot.html)", "Googlebot/2.1"},
        {"curl/8.5.0", "curl/8.5.0"},
        {"python-requests/2.31.0", "python-requests/2.31.0"},
        {"-", "-"},
        {"", "-"},
        {"Mozilla/5.0", "Mozilla (other)"},
    };
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        char out[UA_GENERAL_MAX + 1];
        size_t n = ua_generalise(c[k].in, strlen(c[k].in), out);
        cr_assert(n <= UA_GENERAL_MAX);
        out[n] = '\0';
        cr_expect_str_eq(out, c[k].out, "\"%s\"", c[k].in);
    }
}
