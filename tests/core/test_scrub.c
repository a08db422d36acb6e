/* test_scrub.c -- Criterion tests for the public library API in
 * src/logscrub.h (src/scrub.c): policy settings and their freezing, the
 * per-line contract of ls_scrub (zero copy, buffer lifetime, exact output on
 * lines with NUL bytes, invalid UTF-8 and a million bytes), counters, one
 * policy shared by two threads, and ls_scrub_lines: a block of lines gives
 * byte for byte what ls_scrub gives line by line (golden logs, random lines
 * built from address fragments, the touchy cases, rules and pseudonyms).
 *
 * Inputs are (pointer, length) and outputs are compared with memcmp: log
 * lines may contain NUL bytes.  Expected outputs are written by hand from
 * the rules in logscrub.h (IPv4 keeps 24 bits, IPv6 48 by default; RFC 5952
 * text; IPv4-mapped written "::ffff:a.b.c.d").
 */
#include <criterion/criterion.h>

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

#include "logscrub.h"
#include "../testutil.h"

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------- */

/* A string literal and its length, NUL bytes inside included. */
#define LIT(s) s, (sizeof(s) - 1)


/* Scrubs in[0, inlen) with w and asserts LS_OK and output exp[0, explen). */
static void check_scrub(ls_worker *w, const char *in, size_t inlen, const char *exp,
                        size_t explen)
{
    const char *out = NULL;
    size_t out_len = (size_t)-1;
    ls_status st = ls_scrub(w, in, inlen, &out, &out_len);
    cr_assert_eq(st, LS_OK, "ls_scrub(\"%s\") returned %d", esc(in, inlen), (int)st);
    cr_assert_not_null(out);
    cr_assert(out_len == explen && memcmp(out, exp, explen) == 0,
              "ls_scrub(\"%s\")\n  expected \"%s\" (%zu bytes)\n  actual   \"%s\" (%zu bytes)",
              esc(in, inlen), esc(exp, explen), explen, esc(out, out_len), out_len);
}

#define CHECK(w, in, exp) check_scrub((w), LIT(in), LIT(exp))

/* A fresh policy with its settings applied, or fails the test. */
static ls_policy *policy_with(unsigned v4, unsigned v6, bool keep)
{
    ls_policy *p = ls_policy_new();
    cr_assert_not_null(p);
    cr_assert_eq(ls_policy_set_prefixes(p, v4, v6), LS_OK);
    cr_assert_eq(ls_policy_set_keep_private(p, keep), LS_OK);
    return p;
}

static ls_counters counters_of(const ls_worker *w)
{
    ls_counters c;
    memset(&c, 0xa5, sizeof c);
    ls_worker_counters(w, &c);
    return c;
}

#define ASSERT_COUNTERS(w, l, v4, v6, k, fc)                                            \
    do {                                                                                \
        ls_counters c_ = counters_of(w);                                                \
        cr_assert(c_.lines == (l) && c_.ipv4 == (v4) && c_.ipv6 == (v6) &&              \
                      c_.kept == (k) && c_.fail_closed == (fc),                         \
                  "counters lines=%llu ipv4=%llu ipv6=%llu kept=%llu fail_closed=%llu, " \
                  "expected %llu %llu %llu %llu %llu",                                  \
                  (unsigned long long)c_.lines, (unsigned long long)c_.ipv4,            \
                  (unsigned long long)c_.ipv6, (unsigned long long)c_.kept,             \
                  (unsigned long long)c_.fail_closed, (unsigned long long)(l),          \
                  (unsigned long long)(v4), (unsigned long long)(v6),                   \
                  (unsigned long long)(k), (unsigned long long)(fc));                   \
    } while (0)

/* A growing byte string for building long inputs and their expected
 * outputs side by side. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

/* Appends s[0, n); the buffer exists afterwards even for n == 0. */
static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->len + n > b->cap || b->p == NULL) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        cr_assert_not_null(b->p);
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    cr_assert(n >= 0 && (size_t)n < sizeof tmp);
    sb_add(b, tmp, (size_t)n);
}

/* ---------------------------------------------------------------------
 * policy
 * ------------------------------------------------------------------- */

Test(policy, version_is_0_1_0)
{
    cr_assert_str_eq(ls_version(), "0.1.0");
}

Test(policy, free_functions_accept_null)
{
    ls_policy_free(NULL);
    ls_worker_free(NULL);
}

Test(policy, default_constants)
{
    cr_assert_eq(LS_DEFAULT_IPV4_PREFIX, 24u);
    cr_assert_eq(LS_DEFAULT_IPV6_PREFIX, 48u);
}

Test(policy, defaults_keep_24_and_48_bits_and_mask_private)
{
    ls_policy *p = ls_policy_new();
    cr_assert_not_null(p);
    ls_worker *w = ls_worker_new(p);
    cr_assert_not_null(w);

    CHECK(w, "203.0.113.195 - - [10/Oct/2023:13:55:36 +0000] \"GET / HTTP/1.1\" 200 5",
          "203.0.113.0 - - [10/Oct/2023:13:55:36 +0000] \"GET / HTTP/1.1\" 200 5");
    CHECK(w, "[2001:DB8:ABCD:12::1]:443", "[2001:db8:abcd::]:443");
    CHECK(w, "xff=\"198.51.100.7, 2001:db8::5\"", "xff=\"198.51.100.0, 2001:db8::\"");
    CHECK(w, "::ffff:192.0.2.33", "::ffff:192.0.2.0");
    CHECK(w, "fe80::1%eth0", "fe80::%eth0");
    /* Not kept by default: private, loopback, link-local, unspecified. */
    CHECK(w, "10.1.2.3 192.168.77.1 127.0.0.1 169.254.9.9 ::1 fd12:3456:789a:1::1",
          "10.1.2.0 192.168.77.0 127.0.0.0 169.254.9.0 :: fd12:3456:789a::");
    ASSERT_COUNTERS(w, 6, 1 + 1 + 1 + 4, 1 + 1 + 1 + 2, 0, 0);

    ls_worker_free(w);
    ls_policy_free(p);
}

Test(policy, prefixes_at_the_limits)
{
    ls_policy *p = policy_with(0, 0, false);
    ls_worker *w = ls_worker_new(p);
    CHECK(w, "1.2.3.4 2001:db8::1 ::ffff:9.8.7.6", "0.0.0.0 :: ::ffff:0.0.0.0");
    ls_worker_free(w);

    cr_assert_eq(ls_policy_set_prefixes(p, 32, 128), LS_OK);
    w = ls_worker_new(p);
    CHECK(w, "1.2.3.4 2001:DB8:0:0:0:0:0:1 ::ffff:9.8.7.6", "1.2.3.4 2001:db8::1 ::ffff:9.8.7.6");
    ls_worker_free(w);

    cr_assert_eq(ls_policy_set_prefixes(p, 16, 32), LS_OK);
    w = ls_worker_new(p);
    CHECK(w, "1.2.3.4 2001:db8:1234:5678::1 ::ffff:9.8.7.6", "1.2.0.0 2001:db8:: ::ffff:9.8.0.0");
    ls_worker_free(w);

    /* Bits that do not fall on a byte or group boundary. */
    cr_assert_eq(ls_policy_set_prefixes(p, 20, 52), LS_OK);
    w = ls_worker_new(p);
    CHECK(w, "198.51.255.255 2001:db8:abcd:ffff:1::", "198.51.240.0 2001:db8:abcd:f000::");
    ls_worker_free(w);
    ls_policy_free(p);
}

Test(policy, out_of_range_prefixes_are_invalid_and_change_nothing)
{
    ls_policy *p = policy_with(16, 32, false);

    cr_assert_eq(ls_policy_set_prefixes(p, 33, 48), LS_ERR_INVALID);
    cr_assert_eq(ls_policy_set_prefixes(p, 24, 129), LS_ERR_INVALID);
    cr_assert_eq(ls_policy_set_prefixes(p, 33, 129), LS_ERR_INVALID);
    cr_assert_eq(ls_policy_set_prefixes(p, UINT_MAX, 0), LS_ERR_INVALID);
    cr_assert_eq(ls_policy_set_prefixes(p, 0, UINT_MAX), LS_ERR_INVALID);

    /* Still 16/32: neither half of a refused pair was applied. */
    ls_worker *w = ls_worker_new(p);
    CHECK(w, "1.2.3.4 2001:db8:1234:5678::1", "1.2.0.0 2001:db8::");
    ls_worker_free(w);
    ls_policy_free(p);
}

Test(policy, frozen_while_a_worker_exists)
{
    ls_policy *p = ls_policy_new();
    ls_worker *w1 = ls_worker_new(p);
    ls_worker *w2 = ls_worker_new(p);
    cr_assert_not_null(w1);
    cr_assert_not_null(w2);

    cr_assert_eq(ls_policy_set_prefixes(p, 8, 16), LS_ERR_FROZEN);
    cr_assert_eq(ls_policy_set_keep_private(p, true), LS_ERR_FROZEN);
    /* A frozen policy refuses before it looks at the values. */
    cr_assert_eq(ls_policy_set_prefixes(p, 33, 129), LS_ERR_FROZEN);

    ls_worker_free(w1);
    cr_assert_eq(ls_policy_set_prefixes(p, 8, 16), LS_ERR_FROZEN);
    cr_assert_eq(ls_policy_set_keep_private(p, true), LS_ERR_FROZEN);

    /* Unchanged: the defaults still apply on the remaining worker. */
    CHECK(w2, "10.20.30.40 2001:db8:1:2::3", "10.20.30.0 2001:db8:1::");

    ls_worker_free(w2);
    /* All workers gone: configurable again, and new workers use it. */
    cr_assert_eq(ls_policy_set_prefixes(p, 8, 16), LS_OK);
    cr_assert_eq(ls_policy_set_keep_private(p, true), LS_OK);
    cr_assert_eq(ls_policy_set_prefixes(p, 33, 16), LS_ERR_INVALID);

    ls_worker *w3 = ls_worker_new(p);
    CHECK(w3, "10.20.30.40 8.8.4.4 2a00:1450:4001::1", "10.20.30.40 8.0.0.0 2a00::");
    cr_assert_eq(ls_policy_set_keep_private(p, false), LS_ERR_FROZEN);
    ls_worker_free(w3);
    ls_policy_free(p);
}

/* One line with every "special" kind next to public addresses. */
static const char special_line[] =
    "10.1.2.3 8.8.8.8 192.168.1.1 127.0.0.1 ::1 FE80::0001%eth0 2001:db8::1 "
    "2a00:1450:4001:81a::200e 100.64.1.2 100.128.1.2 172.16.5.4 172.32.0.1 "
    "169.254.1.1 0.0.0.0 ::ffff:10.1.2.3 ::ffff:8.8.4.4 fd00::1 3fff::1 "
    "255.255.255.255 192.0.2.1 198.51.100.1 203.0.113.1 [fc00::5]:80 1.2.3.4";

Test(policy, keep_private_on_leaves_special_addresses_as_written)
{
    ls_policy *p = policy_with(24, 48, true);
    ls_worker *w = ls_worker_new(p);

    CHECK(w, special_line,
          "10.1.2.3 8.8.8.0 192.168.1.1 127.0.0.1 ::1 FE80::0001%eth0 2001:db8::1 "
          "2a00:1450:4001:: 100.64.1.2 100.128.1.0 172.16.5.4 172.32.0.0 "
          "169.254.1.1 0.0.0.0 ::ffff:10.1.2.3 ::ffff:8.8.4.0 fd00::1 3fff::1 "
          "255.255.255.255 192.0.2.1 198.51.100.1 203.0.113.1 [fc00::5]:80 1.2.3.0");
    /* Rewritten: 8.8.8.8 100.128.1.2 172.32.0.1 ::ffff:8.8.4.4 1.2.3.4 (v4),
     * 2a00:... (v6); the other 18 are kept. */
    ASSERT_COUNTERS(w, 1, 5, 1, 18, 0);

    ls_worker_free(w);
    ls_policy_free(p);
}

Test(policy, keep_private_off_masks_everything)
{
    ls_policy *p = policy_with(24, 48, false);
    ls_worker *w = ls_worker_new(p);

    CHECK(w, special_line,
          "10.1.2.0 8.8.8.0 192.168.1.0 127.0.0.0 :: fe80::%eth0 2001:db8:: "
          "2a00:1450:4001:: 100.64.1.0 100.128.1.0 172.16.5.0 172.32.0.0 "
          "169.254.1.0 0.0.0.0 ::ffff:10.1.2.0 ::ffff:8.8.4.0 fd00:: 3fff:: "
          "255.255.255.0 192.0.2.0 198.51.100.0 203.0.113.0 [fc00::]:80 1.2.3.0");
    /* v4: 10.1.2.3 8.8.8.8 192.168.1.1 127.0.0.1 100.64.1.2 100.128.1.2
     * 172.16.5.4 172.32.0.1 169.254.1.1 0.0.0.0 two mapped 255.255.255.255
     * 192.0.2.1 198.51.100.1 203.0.113.1 1.2.3.4 = 17; v6: the other 7. */
    ASSERT_COUNTERS(w, 1, 17, 7, 0, 0);

    ls_worker_free(w);
    ls_policy_free(p);
}

/* ---------------------------------------------------------------------
 * scrub
 * ------------------------------------------------------------------- */

Test(scrub, unchanged_line_is_returned_without_copy)
{
    ls_policy *p = ls_policy_new();
    ls_worker *w = ls_worker_new(p);
    static const char lines[][64] = {
        "GET /index.html HTTP/1.1 200 5120",
        "v1.2.3 1.2.3.4.5.6 10.0.19041.1 12:34:56 jquery-3.6.0.min.js",
        "aa:bb:cc:dd:ee:ff std::vector ::",
        "",
    };
    for (size_t k = 0; k < sizeof lines / sizeof lines[0]; k++) {
        const char *out = NULL;
        size_t out_len = 12345;
        size_t len = strlen(lines[k]);
        cr_assert_eq(ls_scrub(w, lines[k], len, &out, &out_len), LS_OK);
        cr_assert(out == lines[k], "line %zu \"%s\": out is not in", k, lines[k]);
        cr_assert_eq(out_len, len, "line %zu", k);
    }
    ASSERT_COUNTERS(w, 4, 0, 0, 0, 0);
    ls_worker_free(w);
    ls_policy_free(p);
}

Test(scrub, changed_line_goes_to_the_worker_buffer)
{
    ls_policy *p = ls_policy_new();
    ls_worker *w = ls_worker_new(p);
    static const char in[] = "client 192.0.2.200 said hi";
    const char *out = NULL;
    size_t out_len = 0;

    cr_assert_eq(ls_scrub(w, in, sizeof in - 1, &out, &out_len), LS_OK);
    cr_assert((uintptr_t)out + out_len <= (uintptr_t)in || (uintptr_t)out >= (uintptr_t)(in + sizeof in),
              "output overlaps the input");
    cr_assert_eq(out_len, sizeof "client 192.0.2.0 said hi" - 1);
    cr_assert_eq(memcmp(out, "client 192.0.2.0 said hi", out_len), 0);
    cr_assert_str_eq(in, "client 192.0.2.200 said hi", "the input was modified");

    /* The same worker hands out the same buffer again once it is big enough. */
    const char *first = out;
    cr_assert_eq(ls_scrub(w, LIT("8.8.8.8"), &out, &out_len), LS_OK);
    cr_assert_eq(out, first);
    cr_assert_eq(out_len, 7);
    cr_assert_eq(memcmp(out, "8.8.8.0", 7), 0);

    ls_worker_free(w);
    ls_policy_free(p);
}

Test(scrub, output_stays_valid_until_the_next_call_on_that_worker)
{
    ls_policy *p = ls_policy_new();
    ls_worker *w1 = ls_worker_new(p);
    ls_worker *w2 = ls_worker_new(p);
    const char *out1 = NULL;
    size_t len1 = 0;

    char *in = strdup("from 203.0.113.9 to 2001:db8:aaaa:bbbb::1");
    cr_assert_eq(ls_scrub(w1, in, strlen(in), &out1, &len1), LS_OK);
    static const char exp1[] = "from 203.0.113.0 to 2001:db8:aaaa::";
    /* Overwrite and free the input; use another worker a lot; allocate. */
    memset(in, 'X', strlen(in));
    free(in);
    for (int k = 0; k < 1000; k++) {
        char line[64];
        int n = snprintf(line, sizeof line, "%d.%d.%d.%d [%x::%x]", k & 255, k >> 8, 7, k % 13,
                         k + 1, k);
        const char *o2;
        size_t l2;
        cr_assert_eq(ls_scrub(w2, line, (size_t)n, &o2, &l2), LS_OK);
    }
    void *junk = malloc(1 << 20);
    memset(junk, 'J', 1 << 20);
    cr_assert_eq(len1, sizeof exp1 - 1);
    cr_assert_eq(memcmp(out1, exp1, len1), 0, "got \"%s\"", esc(out1, len1));
    free(junk);

    /* A line needing a bigger buffer than before still comes out whole,
     * and so does a short one after it. */
    sbuf big = {0}, bigexp = {0};
    for (int k = 0; k < 200; k++) {
        sb_printf(&big, "x=10.0.%d.%d ", k, 255 - k);
        sb_printf(&bigexp, "x=10.0.%d.0 ", k);
    }
    check_scrub(w1, big.p, big.len, bigexp.p, bigexp.len);
    CHECK(w1, "1.1.1.1", "1.1.1.0");
    free(big.p);
    free(bigexp.p);

    ls_worker_free(w1);
    ls_worker_free(w2);
    ls_policy_free(p);
}

Test(scrub, addresses_at_edges_and_next_to_punctuation)
{
    ls_policy *p = ls_policy_new();
    ls_worker *w = ls_worker_new(p);

    CHECK(w, "1.2.3.4", "1.2.3.0");
    CHECK(w, "1.2.3.4,5.6.7.8;9.10.11.12", "1.2.3.0,5.6.7.0;9.10.11.0");
    CHECK(w, "(2001:db8:1:2::7)", "(2001:db8:1::)");
    CHECK(w, "host=[2001:db8::1%25en0]:8443/path", "host=[2001:db8::%25en0]:8443/path");
    CHECK(w, "192.168.001.010", "192.168.1.0");
    CHECK(w, "::FFFF:C000:0221", "::ffff:192.0.2.0");
    ls_worker_free(w);
    ls_policy_free(p);
}

/* Chains where each rewrite exposes the next address, one per pass
 * ("::3.0::3.0.3.1" -> "::3.0::" + "." ... -> "::.::").  Fuzzing found one
 * built of URL-encoded groups that the old limit of four repeat passes left
 * partly untruncated.  Passes go on while they change text next to an
 * address; a line still changing after 16 is removed. */
static char *chain(int links)
{
    static char buf[512];
    int n = 0;
    for (int k = 0; k < links; k++)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "::3.0");
    snprintf(buf + n, sizeof buf - (size_t)n, "::3.0.3.1");
    return buf;
}

Test(scrub, address_chains_settle_or_fail_closed)
{
    ls_policy *p = ls_policy_new();
    ls_worker *w = ls_worker_new(p);
    const char *eight = chain(8);
    check_scrub(w, eight, strlen(eight), LIT("::.::.::.::.::.::.::.::.::"));
    ASSERT_COUNTERS(w, 1, 0, 9, 0, 0);

    static const char marker[] = "[logscrub: line removed, addresses did not settle]";
    const char *in = chain(20), *out;
    size_t out_len;
    cr_assert_eq(ls_scrub(w, in, strlen(in), &out, &out_len), LS_OK);
    cr_assert(out_len == sizeof marker - 1 && memcmp(out, marker, out_len) == 0,
              "got \"%.*s\"", (int)out_len, out);
    cr_assert_eq(counters_of(w).fail_closed, 1);

    /* Text that a repeat pass leaves as it is does not count as change. */
    CHECK(w, "host=[2001:db8::1%25en0]:8443/path", "host=[2001:db8::%25en0]:8443/path");
    CHECK(w, "::3.0::3.0.3.1", "::.::"); /* settles on the second pass */
    cr_assert_eq(counters_of(w).fail_closed, 1);
    ls_worker_free(w);
    ls_policy_free(p);
}

/* Hex digits right after a '%' belong to that escape: in "%3Ad%3A%3A" no
 * group starts at the "3" (found by fuzzing: after "x001%3Ad%3A%3A1" was
 * rewritten to "x1%3Ad%3A%3A", a second pass found "3Ad::" in it). */
Test(scrub, no_address_starts_inside_a_url_escape)
{
    ls_policy *p = ls_policy_new();
    ls_worker *w = ls_worker_new(p);
    CHECK(w, "pho001%3Ad%3A%3A1 32", "pho1%3Ad%3A%3A 32");
    CHECK(w, "pho1%3Ad%3A%3A 32", "pho1%3Ad%3A%3A 32");
    CHECK(w, "q=2001%3Adb8%3A%3A1&x", "q=2001%3Adb8%3A%3A&x");
    ls_worker_free(w);
    ls_policy_free(p);
}

Test(scrub, nul_bytes_and_invalid_utf8_pass_through)
{
    ls_policy *p = ls_policy_new();
    ls_worker *w = ls_worker_new(p);

    /* Literal pieces are split so that "\xff" is not read as "\xff1..". */
    CHECK(w, "\0" "1.2.3.4" "\0",
             "\0" "1.2.3.0" "\0");
    CHECK(w, "\xc3\x28" "203.0.113.77" "\xff\xfe" " x\0y " "2001:db8:abcd:1::2" "\x80\r",
             "\xc3\x28" "203.0.113.0" "\xff\xfe" " x\0y " "2001:db8:abcd::" "\x80\r");
    CHECK(w, "\xe2\x82" "[fe80::abcd%wlan0]" "\0\0\0" "8.8.4.4:53" "\xf0\x9f\x98",
             "\xe2\x82" "[fe80::%wlan0]" "\0\0\0" "8.8.4.0:53" "\xf0\x9f\x98");
    /* Nothing to scrub: same pointer, and the length is not strlen's. */
    static const char raw[] = "abc\0def\xff\xfe\r";
    const char *out;
    size_t out_len;
    cr_assert_eq(ls_scrub(w, raw, sizeof raw - 1, &out, &out_len), LS_OK);
    cr_assert_eq(out, raw);
    cr_assert_eq(out_len, sizeof raw - 1);
    /* An address cut short by the length argument: only len bytes count. */
    static const char tail[] = "ip 10.9.8.7 end";
    check_scrub(w, tail, 12, LIT("ip 10.9.8.0 "));
    check_scrub(w, tail, 11, LIT("ip 10.9.8.0"));
    cr_assert_eq(ls_scrub(w, tail, 10, &out, &out_len), LS_OK);
    cr_assert_eq(out, tail, "\"ip 10.9.8.\" has no address");
    cr_assert_eq(out_len, 10);

    ASSERT_COUNTERS(w, 7, 2 + 1 + 2, 1 + 1, 0, 0);
    ls_worker_free(w);
    ls_policy_free(p);
}

Test(scrub, one_mebibyte_line_with_thousands_of_addresses)
{
    ls_policy *p = ls_policy_new();
    ls_worker *w = ls_worker_new(p);
    sbuf in = {0}, exp = {0};
    uint64_t v4 = 0, v6 = 0;

    for (unsigned k = 0; in.len < ((size_t)1 << 20); k++) {
        unsigned a = k % 223 + 1, b = (k / 7) % 256, c = (k * 13) % 256, d = (k * 31) % 256;
        switch (k % 4) {
        case 0:
            sb_printf(&in, "%u.%u.%u.%u - ", a, b, c, d);
            sb_printf(&exp, "%u.%u.%u.0 - ", a, b, c);
            v4++;
            break;
        case 1:
            sb_printf(&in, "[2001:db8:%x:%x::%x]:%u ", k & 0xffff, c, d, k % 65536);
            sb_printf(&exp, "[2001:db8:%x::]:%u ", k & 0xffff, k % 65536);
            v6++;
            break;
        case 2:
            sb_printf(&in, "xff=\"::ffff:%u.%u.%u.%u\"\t", a, b, c, d);
            sb_printf(&exp, "xff=\"::ffff:%u.%u.%u.0\"\t", a, b, c);
            v4++;
            break;
        default:
            /* Not addresses, then a NUL and an invalid UTF-8 byte. */
            sb_printf(&in, "v%u.%u.%u.%u.%u.%ubeta ", a, b, c, d, a, b);
            sb_printf(&exp, "v%u.%u.%u.%u.%u.%ubeta ", a, b, c, d, a, b);
            sb_add(&in, "\0\xff ", 3);
            sb_add(&exp, "\0\xff ", 3);
            break;
        }
    }
    cr_assert_geq(v4 + v6, 10000);
    check_scrub(w, in.p, in.len, exp.p, exp.len);
    ASSERT_COUNTERS(w, 1, v4, v6, 0, 0);
    /* Again on the now large buffer: same result. */
    check_scrub(w, in.p, in.len, exp.p, exp.len);
    ASSERT_COUNTERS(w, 2, 2 * v4, 2 * v6, 0, 0);

    free(in.p);
    free(exp.p);
    ls_worker_free(w);
    ls_policy_free(p);
}

Test(scrub, counters_add_up)
{
    ls_policy *p = policy_with(24, 48, true);
    ls_worker *w = ls_worker_new(p);

    ASSERT_COUNTERS(w, 0, 0, 0, 0, 0);
    CHECK(w, "", "");
    ASSERT_COUNTERS(w, 1, 0, 0, 0, 0);
    CHECK(w, "8.8.8.8 ::ffff:1.1.1.1 2606:4700::1111", "8.8.8.0 ::ffff:1.1.1.0 2606:4700::");
    ASSERT_COUNTERS(w, 2, 2, 1, 0, 0);
    CHECK(w, "10.0.0.1 ::1 ::ffff:192.168.0.1 fe80::1", "10.0.0.1 ::1 ::ffff:192.168.0.1 fe80::1");
    ASSERT_COUNTERS(w, 3, 2, 1, 4, 0);
    ls_worker_count_fail_closed(w);
    ls_worker_count_fail_closed(w);
    ASSERT_COUNTERS(w, 3, 2, 1, 4, 2);
    CHECK(w, "no address here", "no address here");
    ASSERT_COUNTERS(w, 4, 2, 1, 4, 2);

    /* Counters belong to the worker, not the policy. */
    ls_worker *w2 = ls_worker_new(p);
    ASSERT_COUNTERS(w2, 0, 0, 0, 0, 0);
    CHECK(w2, "9.9.9.9", "9.9.9.0");
    ASSERT_COUNTERS(w2, 1, 1, 0, 0, 0);
    ASSERT_COUNTERS(w, 4, 2, 1, 4, 2);

    ls_worker_free(w2);
    ls_worker_free(w);
    ls_policy_free(p);
}

/* Out of memory: a line whose output buffer cannot be allocated comes back
 * as a marker, never as the raw input, and the worker keeps working.  The
 * failure is made real with RLIMIT_AS (each Criterion test runs in its own
 * process); sanitizers and valgrind manage memory their own way, so the test
 * is skipped under them. */
Test(scrub, out_of_memory_fails_closed)
{
    if (UNDER_ASAN || RUNNING_ON_VALGRIND)
        cr_skip_test("address-space limits do not work under ASan or valgrind");
    ls_policy *p = ls_policy_new();
    ls_worker *w = ls_worker_new(p);
    CHECK(w, "warm 1.2.3.4", "warm 1.2.3.0"); /* a small buffer exists */

    size_t len = (size_t)64 << 20;
    char *in = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(in, MAP_FAILED);
    memset(in, 'x', len);
    memcpy(in, "ip 198.51.100.23 ", 17);

    /* Room for small allocations, not for a 64 MiB output buffer. */
    struct rlimit old, lim;
    cr_assert_eq(getrlimit(RLIMIT_AS, &old), 0);
    unsigned long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    cr_assert_not_null(f);
    cr_assert_eq(fscanf(f, "%lu", &pages), 1);
    fclose(f);
    lim = old;
    lim.rlim_cur = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + ((rlim_t)16 << 20);
    cr_assert_eq(setrlimit(RLIMIT_AS, &lim), 0);

    const char *out = NULL;
    size_t out_len = 0;
    ls_status st = ls_scrub(w, in, len, &out, &out_len);
    cr_assert_eq(setrlimit(RLIMIT_AS, &old), 0);

    cr_assert_eq(st, LS_ERR_NOMEM);
    cr_assert_not_null(out);
    cr_assert((uintptr_t)out + out_len <= (uintptr_t)in || (uintptr_t)out >= (uintptr_t)in + len,
              "the marker points into the raw input");
    cr_assert_gt(out_len, 0);
    cr_assert_lt(out_len, 200);
    cr_assert_null(memmem(out, out_len, "198.51.100", 10), "marker holds the address");
    ASSERT_COUNTERS(w, 2, 2, 0, 0, 1);

    /* Still usable. */
    CHECK(w, "after 203.0.113.9", "after 203.0.113.0");
    ASSERT_COUNTERS(w, 3, 3, 0, 0, 1);
    munmap(in, len);
    ls_worker_free(w);
    ls_policy_free(p);
}

/* ---- two threads, one policy ---------------------------------------- */

#define MT_LINES 10000

typedef struct mt_job {
    const ls_policy *policy;
    pthread_barrier_t *start;
    char (*in)[128];
    size_t *in_len;
    char (*exp)[128];
    size_t *exp_len;
    /* results, checked on the main thread */
    char (*got)[128];
    size_t *got_len;
    size_t mismatches;
    int status_errors;
    ls_counters count;
} mt_job;

static void *mt_run(void *arg)
{
    mt_job *j = arg;
    ls_worker *w = ls_worker_new(j->policy);
    if (w == NULL) {
        j->status_errors++;
        return NULL;
    }
    pthread_barrier_wait(j->start);
    for (int k = 0; k < MT_LINES; k++) {
        const char *out;
        size_t len;
        if (ls_scrub(w, j->in[k], j->in_len[k], &out, &len) != LS_OK || len > 128) {
            j->status_errors++;
            continue;
        }
        memcpy(j->got[k], out, len);
        j->got_len[k] = len;
        if (len != j->exp_len[k] || memcmp(out, j->exp[k], len) != 0)
            j->mismatches++;
    }
    ls_worker_counters(w, &j->count);
    ls_worker_free(w);
    return NULL;
}

Test(scrub, two_threads_share_one_policy)
{
    ls_policy *p = policy_with(16, 32, true);
    char (*in)[128] = calloc(MT_LINES, 128);
    char (*exp)[128] = calloc(MT_LINES, 128);
    size_t *in_len = calloc(MT_LINES, sizeof *in_len);
    size_t *exp_len = calloc(MT_LINES, sizeof *exp_len);
    cr_assert(in && exp && in_len && exp_len);

    uint64_t v4 = 0, v6 = 0, kept = 0;
    for (unsigned k = 0; k < MT_LINES; k++) {
        unsigned a = 11 + k % 80, /* 11..90: no special /8 */ b = k % 256, c = (k * 7) % 256;
        int n, e;
        switch (k % 5) {
        case 0:
            n = snprintf(in[k], 128, "%u.%u.%u.%u - - \"GET /%u HTTP/1.1\" 200", a, b, c, k % 256, k);
            e = snprintf(exp[k], 128, "%u.%u.0.0 - - \"GET /%u HTTP/1.1\" 200", a, b, k);
            v4++;
            break;
        case 1:
            n = snprintf(in[k], 128, "[2a02:%x:%x:1::%x]:443 ok", k, c + 1, k);
            e = snprintf(exp[k], 128, "[2a02:%x::]:443 ok", k);
            v6++;
            break;
        case 2:
            n = snprintf(in[k], 128, "lan 10.%u.%u.%u kept", b, c, k % 200);
            e = snprintf(exp[k], 128, "lan 10.%u.%u.%u kept", b, c, k % 200);
            kept++;
            break;
        case 3:
            n = snprintf(in[k], 128, "line %u without addresses", k);
            e = snprintf(exp[k], 128, "line %u without addresses", k);
            break;
        default:
            n = snprintf(in[k], 128, "xff=::ffff:%u.%u.%u.%u,fd00::%x", a, b, c, k % 256, k);
            e = snprintf(exp[k], 128, "xff=::ffff:%u.%u.0.0,fd00::%x", a, b, k);
            v4++;
            kept++;
            break;
        }
        in_len[k] = (size_t)n;
        exp_len[k] = (size_t)e;
    }

    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 2);
    mt_job jobs[2];
    pthread_t th[2];
    for (int t = 0; t < 2; t++) {
        jobs[t] = (mt_job){.policy = p, .start = &start, .in = in, .in_len = in_len,
                           .exp = exp, .exp_len = exp_len,
                           .got = calloc(MT_LINES, 128),
                           .got_len = calloc(MT_LINES, sizeof(size_t))};
        cr_assert(jobs[t].got && jobs[t].got_len);
        cr_assert_eq(pthread_create(&th[t], NULL, mt_run, &jobs[t]), 0);
    }
    for (int t = 0; t < 2; t++)
        cr_assert_eq(pthread_join(th[t], NULL), 0);
    pthread_barrier_destroy(&start);

    for (int t = 0; t < 2; t++) {
        cr_assert_eq(jobs[t].status_errors, 0, "thread %d", t);
        cr_assert_eq(jobs[t].mismatches, 0, "thread %d", t);
        cr_assert(jobs[t].count.lines == MT_LINES && jobs[t].count.ipv4 == v4 &&
                      jobs[t].count.ipv6 == v6 && jobs[t].count.kept == kept &&
                      jobs[t].count.fail_closed == 0,
                  "thread %d counters", t);
    }
    for (int k = 0; k < MT_LINES; k++) {
        cr_assert(jobs[0].got_len[k] == exp_len[k] &&
                      memcmp(jobs[0].got[k], exp[k], exp_len[k]) == 0,
                  "line %d: \"%s\"", k, esc(jobs[0].got[k], jobs[0].got_len[k]));
        cr_assert(jobs[1].got_len[k] == jobs[0].got_len[k] &&
                      memcmp(jobs[1].got[k], jobs[0].got[k], jobs[0].got_len[k]) == 0,
                  "line %d differs between threads", k);
    }
    /* Both workers are gone: the policy may change again. */
    cr_assert_eq(ls_policy_set_prefixes(p, 24, 48), LS_OK);

    for (int t = 0; t < 2; t++) {
        free(jobs[t].got);
        free(jobs[t].got_len);
    }
    free(in);
    free(exp);
    free(in_len);
    free(exp_len);
    ls_policy_free(p);
}

/* ---------------------------------------------------------------------
 * scrub_lines: ls_scrub_lines against ls_scrub line by line
 * ------------------------------------------------------------------- */

/* What ls_scrub gives for each line of block[0, len) (whole lines), each
 * followed by '\n', dropped lines left out: the contract of ls_scrub_lines. */
static sbuf per_line(ls_worker *w, const char *block, size_t len)
{
    sbuf b = {0};
    sb_add(&b, "", 0); /* allocated: memcmp(out, b.p, 0) must not see NULL */
    for (size_t from = 0; from < len;) {
        const char *nl = memchr(block + from, '\n', len - from);
        cr_assert_not_null(nl, "test bug: the block must end in '\\n'");
        size_t n = (size_t)(nl - (block + from));
        const char *out;
        size_t out_len;
        ls_status st = ls_scrub(w, block + from, n, &out, &out_len);
        cr_assert(st == LS_OK || st == LS_DROPPED, "ls_scrub returned %d", (int)st);
        if (st == LS_OK) {
            sb_add(&b, out, out_len);
            sb_add(&b, "\n", 1);
        }
        from += n + 1;
    }
    return b;
}

/* Both workers (of policy p) have the same counters and rule hits. */
static void expect_same_counters(const ls_policy *p, const ls_worker *bw, const ls_worker *lw,
                                 const char *what)
{
    ls_counters b = counters_of(bw), l = counters_of(lw);
    cr_assert(b.lines == l.lines && b.dropped == l.dropped && b.ipv4 == l.ipv4 &&
                  b.ipv6 == l.ipv6 && b.kept == l.kept && b.fail_closed == l.fail_closed,
              "%s: counters by block lines=%llu dropped=%llu ipv4=%llu ipv6=%llu kept=%llu "
              "fail_closed=%llu, line by line %llu %llu %llu %llu %llu %llu",
              what, (unsigned long long)b.lines, (unsigned long long)b.dropped,
              (unsigned long long)b.ipv4, (unsigned long long)b.ipv6, (unsigned long long)b.kept,
              (unsigned long long)b.fail_closed, (unsigned long long)l.lines,
              (unsigned long long)l.dropped, (unsigned long long)l.ipv4, (unsigned long long)l.ipv6,
              (unsigned long long)l.kept, (unsigned long long)l.fail_closed);
    for (size_t k = 0; k < ls_policy_rule_count(p); k++)
        cr_assert_eq(ls_worker_rule_hits(bw, k), ls_worker_rule_hits(lw, k), "%s: hits of rule %s",
                     what, ls_policy_rule_name(p, k));
}

/* Scrubs block[0, len) with ls_scrub_lines on bw and line by line on lw
 * (both workers of p) and asserts the same bytes and the same counters. */
static void check_block(const ls_policy *p, ls_worker *bw, ls_worker *lw, const char *block,
                        size_t len, const char *what)
{
    const char *out = NULL;
    size_t out_len = (size_t)-1;
    ls_status st = ls_scrub_lines(bw, block, len, &out, &out_len);
    cr_assert_eq(st, LS_OK, "%s: ls_scrub_lines returned %d", what, (int)st);
    sbuf exp = per_line(lw, block, len);
    if (out_len != exp.len || memcmp(out, exp.p, exp.len) != 0) {
        size_t d = 0;
        while (d < out_len && d < exp.len && out[d] == exp.p[d])
            d++;
        size_t from = d > 120 ? d - 120 : 0;
        size_t el = exp.len - from < 240 ? exp.len - from : 240;
        size_t ol = out_len - from < 240 ? out_len - from : 240;
        cr_assert_fail("%s: block output differs at byte %zu (%zu bytes, line by line %zu)\n"
                       "  line by line \"%s\"\n  block        \"%s\"",
                       what, d, out_len, exp.len, esc(exp.p + from, el), esc(out + from, ol));
    }
    expect_same_counters(p, bw, lw, what);
    free(exp.p);
}

/* The address settings every differential runs under: the defaults,
 * --keep-private, and prefixes at the limits and off byte boundaries. */
static const struct {
    unsigned v4, v6;
    bool keep;
} ip_variants[] = {
    {24, 48, false}, {24, 48, true},  {0, 0, false},  {32, 128, false},
    {32, 128, true}, {16, 32, false}, {20, 52, true}, {8, 19, false},
};
#define N_VARIANTS (sizeof ip_variants / sizeof ip_variants[0])

/* Checks block under every address setting, whole and cut into pieces at
 * line boundaries (so buffers are reused between calls). */
static void check_block_all_ways(const char *block, size_t len, const char *what)
{
    for (size_t v = 0; v < N_VARIANTS; v++) {
        ls_policy *p = policy_with(ip_variants[v].v4, ip_variants[v].v6, ip_variants[v].keep);
        ls_worker *bw = ls_worker_new(p), *lw = ls_worker_new(p);
        cr_assert(bw && lw);
        char name[256];
        snprintf(name, sizeof name, "%s (/%u /%u%s)", what, ip_variants[v].v4, ip_variants[v].v6,
                 ip_variants[v].keep ? " keep-private" : "");
        check_block(p, bw, lw, block, len, name);
        /* Pieces of 1, 2, 3, ... lines. */
        size_t from = 0, lines = 1;
        while (from < len) {
            size_t end = from;
            for (size_t k = 0; k < lines && end < len; k++) {
                const char *nl = memchr(block + end, '\n', len - end);
                end = (size_t)(nl - block) + 1;
            }
            check_block(p, bw, lw, block + from, end - from, name);
            from = end;
            lines = lines % 7 + 1;
        }
        ls_worker_free(bw);
        ls_worker_free(lw);
        ls_policy_free(p);
    }
}

Test(scrub_lines, exact_output_and_counters)
{
    ls_policy *p = ls_policy_new();
    ls_worker *w = ls_worker_new(p);
    static const char in[] = "a 203.0.113.195\n"
                             "\n"
                             "b 1.2.3.4:80 [2001:db8:abcd:12::1]:443\n"
                             "no address\n"
                             "c 5.6.7.8 then 1.2.3.4:80\n"
                             "::3.0::3.0.3.1\n";
    static const char exp[] = "a 203.0.113.0\n"
                              "\n"
                              "b 1.2.3.0:80 [2001:db8:abcd::]:443\n"
                              "no address\n"
                              "c 5.6.7.0 then 1.2.3.0:80\n"
                              "::.::\n";
    const char *out;
    size_t out_len;
    cr_assert_eq(ls_scrub_lines(w, LIT(in), &out, &out_len), LS_OK);
    cr_assert(out_len == sizeof exp - 1 && memcmp(out, exp, out_len) == 0, "got \"%s\"",
              esc(out, out_len));
    /* IPv6 as ls_scrub counts "::3.0::3.0.3.1" over its passes: compared
     * with the line-by-line worker below. */
    ls_counters c = counters_of(w);
    cr_assert_eq(c.lines, 6);
    cr_assert_eq(c.ipv4, 1 + 1 + 2);
    cr_assert_eq(c.kept + c.dropped + c.fail_closed, 0);
    ls_worker *lw = ls_worker_new(p);
    sbuf ref = per_line(lw, LIT(in));
    cr_assert(ref.len == sizeof exp - 1 && memcmp(ref.p, exp, ref.len) == 0);
    expect_same_counters(p, w, lw, "exact");
    free(ref.p);
    ls_worker_free(lw);
    ls_worker_free(w);
    ls_policy_free(p);
}

Test(scrub_lines, block_without_address_is_returned_without_copy)
{
    ls_policy *p = ls_policy_new();
    ls_worker *w = ls_worker_new(p);
    static const char in[] = "nothing\n\nto see 1.2.3 here\0\xff\n";
    const char *out;
    size_t out_len;
    cr_assert_eq(ls_scrub_lines(w, LIT(in), &out, &out_len), LS_OK);
    cr_assert_eq(out, in);
    cr_assert_eq(out_len, sizeof in - 1);
    ASSERT_COUNTERS(w, 3, 0, 0, 0, 0);
    ls_worker_free(w);
    ls_policy_free(p);
}

Test(scrub_lines, empty_block_and_newlines_only)
{
    ls_policy *p = ls_policy_new();
    ls_worker *w = ls_worker_new(p);
    const char *out = NULL;
    size_t out_len = 99;
    cr_assert_eq(ls_scrub_lines(w, "", 0, &out, &out_len), LS_OK);
    cr_assert_eq(out_len, 0);
    ASSERT_COUNTERS(w, 0, 0, 0, 0, 0);
    static const char nls[] = "\n\n\n\n\n";
    cr_assert_eq(ls_scrub_lines(w, LIT(nls), &out, &out_len), LS_OK);
    cr_assert(out_len == 5 && memcmp(out, nls, 5) == 0);
    ASSERT_COUNTERS(w, 5, 0, 0, 0, 0);
    check_block_all_ways(LIT(nls), "newlines only");
    ls_worker_free(w);
    ls_policy_free(p);
}

Test(scrub_lines, block_without_final_newline_is_invalid)
{
    ls_policy *p = ls_policy_new();
    ls_worker *w = ls_worker_new(p);
    const char *out = NULL;
    size_t out_len = 0;
    cr_assert_eq(ls_scrub_lines(w, LIT("1.2.3.4\n5.6.7.8"), &out, &out_len), LS_ERR_INVALID);
    cr_assert_eq(ls_scrub_lines(w, LIT("1.2.3.4"), &out, &out_len), LS_ERR_INVALID);
    ASSERT_COUNTERS(w, 0, 0, 0, 0, 0);
    ls_worker_free(w);
    ls_policy_free(p);
}

/* Rewrites whose neighbours may change (touchy) send their line through the
 * per-line code; the lines around them stay on the sweep.  Earlier matches
 * on the same line, kept or rewritten, longer or shorter than written, are
 * taken back first. */
Test(scrub_lines, touchy_lines_give_the_per_line_result)
{
    static const char in[] =
        "1.2.3.4:80\n"
        "::3.0::3.0.3.1\n"
        "a 5.6.7.8 then 1.2.3.4:80\n"
        "10.0.0.1 198.51.100.7:443 after\n"
        "1::2:3:4:5:6:7 ::ffff:1:2 1.2.3.4:5\n"
        "2001%3Adb8%3A%3A1 5.6.7.8:1\n"
        "1.2.3.4.in-addr.arpa 4.3.2.1.in-addr.arpa:53\n"
        "[fe80::1%eth0]:22 fe80::2%25eth1 9.9.9.9%\n"
        "x\\t1.2.3.4\\n 5.6.7.8\\\n"
        "%2C1.2.3.4%2C5.6.7.8.\n"
        "1.2.3.4\n"
        "::3.0::3.0.3.1 ::3.0::3.0.3.1\n"
        "0301234567::5077 2001:db8::7:52044 ::1:44580\n"
        "1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4 5.5.5.5 6.6.6.6 10.1.1.1 ::1 7.7.7.7:7\n"
        "last 8.8.8.8:53";
    sbuf b = {0};
    sb_add(&b, in, sizeof in - 1);
    sb_add(&b, "\n", 1);
    check_block_all_ways(b.p, b.len, "touchy");
    free(b.p);
}

/* Address-like fragments, and the bytes the boundary rules look at. */
// clang-format off
static const char *const fragments[] = {
    "1.2.3.4", "203.0.113.195", "10.0.0.1", "192.168.1.1", "255.255.255.255", "0.0.0.0",
    "001.002.003.004", "256.1.1.1", "1.2.3", "1.2.3.4.5", "2001:db8::1", "::1", "::",
    "fe80::1%eth0", "fe80::1%25en0", "::ffff:1.2.3.4", "::ffff:1:2", "2001:DB8:ABCD:12::1",
    "1:2:3:4:5:6:7:8", "1::2:3:4:5:6:7", "::3.0::3.0.3.1", "2001%3Adb8%3A%3A1", "%3A", "%3a",
    "%25", "%2C", "[", "]", ":80", ":44580", ":65536", ".in-addr.arpa", "4.3.2.1", ":", "::",
    ".", "..", "%", "\\", "\\t", "\\u003c", "a", "f", "g", "x", "z", "0", "9", "12", "255",
    "abc", "dead", "beef", "cafe:", " ", " ", " ", "\t", ",", "\"", "\r", "-", "_", "~", "v",
    "in-addr", "\xff", "00:11:22:33:44:55", "13:55:36", "deadbeef::1", "x2001:db8::1",
};
// clang-format on
#define N_FRAGMENTS (sizeof fragments / sizeof fragments[0])

static uint64_t xs_state;
static uint64_t xs(void)
{
    xs_state ^= xs_state << 13;
    xs_state ^= xs_state >> 7;
    xs_state ^= xs_state << 17;
    return xs_state;
}

/* `lines` random lines of 0 to 14 fragments, plus NUL and '\n' bytes
 * inside (a '\n' fragment starts another line). */
static sbuf random_block(uint64_t seed, size_t lines)
{
    sbuf b = {0};
    xs_state = seed * 0x9e3779b97f4a7c15ull + 1;
    for (size_t k = 0; k < lines; k++) {
        size_t n = (size_t)(xs() % 15);
        for (size_t i = 0; i < n; i++) {
            uint64_t r = xs() % (N_FRAGMENTS + 2);
            if (r == N_FRAGMENTS)
                sb_add(&b, "\0", 1);
            else if (r == N_FRAGMENTS + 1)
                sb_add(&b, "\n", 1);
            else
                sb_add(&b, fragments[r], strlen(fragments[r]));
        }
        sb_add(&b, "\n", 1);
    }
    return b;
}

Test(scrub_lines, random_lines_of_address_fragments, .timeout = 120)
{
    for (uint64_t seed = 1; seed <= 8; seed++) {
        sbuf b = random_block(seed, 500);
        char what[64];
        snprintf(what, sizeof what, "random seed %llu", (unsigned long long)seed);
        check_block_all_ways(b.p, b.len, what);
        free(b.p);
    }
}

/* The golden logs (tests/golden/NAME.in), found from $top_srcdir (set by
 * make check) or the current directory. */
static DIR *open_golden(char *dir, size_t size)
{
    const char *top = getenv("top_srcdir");
    const char *tries[] = {top, ".", ".."};
    for (size_t k = 0; k < 3; k++) {
        if (tries[k] == NULL)
            continue;
        snprintf(dir, size, "%s/tests/golden", tries[k]);
        DIR *d = opendir(dir);
        if (d)
            return d;
    }
    cr_assert_fail("tests/golden not found (set top_srcdir)");
    return NULL;
}

static sbuf read_file(const char *path)
{
    sbuf b = {0};
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        sb_add(&b, chunk, n);
    fclose(f);
    return b;
}

/* Every golden log under every address setting, and with the built-in
 * policy (rules: the line-by-line path inside ls_scrub_lines). */
Test(scrub_lines, golden_logs, .timeout = 120)
{
    char dir[PATH_MAX];
    DIR *d = open_golden(dir, sizeof dir);
    struct dirent *e;
    int files = 0;
    ls_policy *rp = ls_policy_new();
    cr_assert_eq(ls_policy_load_default(rp), LS_OK, "%s", ls_policy_error(rp));
    ls_worker *rbw = ls_worker_new(rp), *rlw = ls_worker_new(rp);
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 4 || strcmp(e->d_name + n - 3, ".in") != 0)
            continue;
        char path[PATH_MAX + 256];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        sbuf b = read_file(path);
        if (b.len == 0 || b.p[b.len - 1] != '\n')
            sb_add(&b, "\n", 1);
        check_block_all_ways(b.p, b.len, e->d_name);
        check_block(rp, rbw, rlw, b.p, b.len, e->d_name);
        free(b.p);
        files++;
    }
    closedir(d);
    cr_assert_geq(files, 7, "only %d golden logs in %s", files, dir);
    ls_counters c = counters_of(rbw);
    cr_assert_gt(c.ipv4 + c.ipv6, 100, "the golden logs hold addresses");
    ls_worker_free(rbw);
    ls_worker_free(rlw);
    ls_policy_free(rp);
}

/* With rules the block goes line by line: drop-line rules leave their line
 * out, rule hits add up the same, and a line of the rules' making that
 * holds an address is scrubbed again, as ls_scrub does. */
Test(scrub_lines, rules_drop_lines_and_count_hits)
{
    static const char yaml[] = "version: 1\n"
                               "rules:\n"
                               "  custom:\n"
                               "    - {name: pw, pattern: 'pw=(?<v>\\w+)', action: mask}\n"
                               "    - {name: hc, pattern: 'healthcheck', action: drop-line}\n"
                               "    - {name: ph, pattern: '0301234567', action: replace, "
                               "with: '[phone]'}\n";
    ls_policy *p = ls_policy_new();
    cr_assert_eq(ls_policy_load_buffer(p, "t.yaml", yaml, sizeof yaml - 1), LS_OK, "%s",
                 ls_policy_error(p));
    ls_worker *bw = ls_worker_new(p), *lw = ls_worker_new(p);
    static const char in[] = "pw=secret 1.2.3.4\n"
                             "GET /healthcheck 10.0.0.1\n"
                             "\n"
                             "0301234567::5077 pw=x\n"
                             "healthcheck\n";
    ls_worker *w = ls_worker_new(p);
    const char *out;
    size_t out_len;
    cr_assert_eq(ls_scrub_lines(w, LIT(in), &out, &out_len), LS_OK);
    /* The phone rule makes "::5077" an address, which goes too. */
    static const char exp[] = "pw=****** 1.2.3.0\n"
                              "\n"
                              "[phone]:: pw=*\n";
    cr_assert(out_len == sizeof exp - 1 && memcmp(out, exp, out_len) == 0, "got \"%s\"",
              esc(out, out_len));
    ls_counters c = counters_of(w);
    cr_assert_eq(c.lines, 5);
    cr_assert_eq(c.dropped, 2);
    cr_assert_eq(ls_worker_rule_hits(w, 0), 2);
    cr_assert_eq(ls_worker_rule_hits(w, 1), 2);
    cr_assert_eq(ls_worker_rule_hits(w, 2), 1);
    ls_worker_free(w);
    check_block(p, bw, lw, LIT(in), "rules");
    /* A block of dropped lines only: empty output. */
    check_block(p, bw, lw, LIT("healthcheck\nhealthcheck 2\n"), "dropped only");
    cr_assert_eq(ls_scrub_lines(bw, LIT("healthcheck\nhealthcheck 2\n"), &out, &out_len), LS_OK);
    cr_assert_eq(out_len, 0);
    cr_assert_eq(counters_of(bw).dropped, 2 + 2 + 2);
    sbuf level = per_line(lw, LIT("healthcheck\nhealthcheck 2\n")); /* counters stay level */
    free(level.p);
    for (uint64_t seed = 11; seed <= 13; seed++) {
        sbuf b = random_block(seed, 300);
        check_block(p, bw, lw, b.p, b.len, "rules, random");
        free(b.p);
    }
    ls_worker_free(bw);
    ls_worker_free(lw);
    ls_policy_free(p);
}

/* Pseudonyms go line by line too, with the same key: the same tokens. */
Test(scrub_lines, pseudonyms_match_line_by_line)
{
    char dir[] = "/tmp/test_scrub.XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char yaml[512], key[64];
    snprintf(key, sizeof key, "%s/key", dir);
    int n = snprintf(yaml, sizeof yaml,
                     "version: 1\nip:\n  method: pseudonym\npseudonym:\n  key_file: '%s'\n", key);
    ls_policy *p = ls_policy_new();
    cr_assert_eq(ls_policy_load_buffer(p, "t.yaml", yaml, (size_t)n), LS_OK, "%s",
                 ls_policy_error(p));
    cr_assert_eq(ls_policy_open_key(p, 1700000000), LS_OK, "%s", ls_policy_error(p));
    ls_worker *bw = ls_worker_new(p), *lw = ls_worker_new(p);
    static const char in[] = "a 203.0.113.195 b 2001:db8::1\n1.2.3.4:80\n::3.0::3.0.3.1\n";
    check_block(p, bw, lw, LIT(in), "pseudonym");
    ls_worker *w = ls_worker_new(p);
    const char *out;
    size_t out_len;
    cr_assert_eq(ls_scrub_lines(w, LIT(in), &out, &out_len), LS_OK);
    /* Prefix-preserving: the prefixes may stay, the whole addresses not
     * (but for a chance of 1 in 2^80 or so). */
    cr_assert_null(memmem(out, out_len, "203.0.113.195 b 2001:db8::1\n", 28));
    ls_worker_free(w);
    sbuf b = random_block(21, 300);
    check_block(p, bw, lw, b.p, b.len, "pseudonym, random");
    free(b.p);
    ls_worker_free(bw);
    ls_worker_free(lw);
    ls_policy_free(p);
    unlink(key);
    rmdir(dir);
}

/* Out of memory: nothing is handed out and nothing counted, so the caller
 * can go line by line.  RLIMIT_AS as in out_of_memory_fails_closed. */
static void block_out_of_memory(ls_policy *p)
{
    ls_worker *w = ls_worker_new(p);
    cr_assert_not_null(w);
    const char *out;
    size_t out_len;
    /* Warm up: a small block buffer exists, rules have hits. */
    cr_assert_eq(ls_scrub_lines(w, LIT("warm 1.2.3.4 a@example.com\n"), &out, &out_len), LS_OK);
    ls_counters before = counters_of(w);
    uint64_t hits[64];
    size_t nrules = ls_policy_rule_count(p) < 64 ? ls_policy_rule_count(p) : 64;
    for (size_t k = 0; k < nrules; k++)
        hits[k] = ls_worker_rule_hits(w, k);

    size_t len = (size_t)64 << 20;
    char *in = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(in, MAP_FAILED);
    memset(in, 'x', len);
    static const char head[] = "mail a@example.com from 198.51.100.23\nip 198.51.100.23 ";
    memcpy(in, head, sizeof head - 1);
    in[len - 1] = '\n';

    struct rlimit old, lim;
    cr_assert_eq(getrlimit(RLIMIT_AS, &old), 0);
    unsigned long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    cr_assert_not_null(f);
    cr_assert_eq(fscanf(f, "%lu", &pages), 1);
    fclose(f);
    lim = old;
    lim.rlim_cur = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + ((rlim_t)16 << 20);
    cr_assert_eq(setrlimit(RLIMIT_AS, &lim), 0);
    out = in;
    out_len = 1;
    ls_status st = ls_scrub_lines(w, in, len, &out, &out_len);
    cr_assert_eq(setrlimit(RLIMIT_AS, &old), 0);

    cr_assert_eq(st, LS_ERR_NOMEM);
    cr_assert_null(out);
    cr_assert_eq(out_len, 0);
    ls_counters after = counters_of(w);
    cr_assert(memcmp(&before, &after, sizeof before) == 0, "counters moved");
    for (size_t k = 0; k < nrules; k++)
        cr_assert_eq(ls_worker_rule_hits(w, k), hits[k], "rule %s", ls_policy_rule_name(p, k));

    /* Still usable. */
    cr_assert_eq(ls_scrub_lines(w, LIT("after 203.0.113.9\n"), &out, &out_len), LS_OK);
    cr_assert(out_len == 18 && memcmp(out, "after 203.0.113.0\n", 18) == 0);
    munmap(in, len);
    ls_worker_free(w);
}

Test(scrub_lines, out_of_memory_changes_nothing)
{
    if (UNDER_ASAN || RUNNING_ON_VALGRIND)
        cr_skip_test("address-space limits do not work under ASan or valgrind");
    ls_policy *p = ls_policy_new();
    block_out_of_memory(p); /* the sweep */
    ls_policy_free(p);
    p = ls_policy_new();
    cr_assert_eq(ls_policy_load_default(p), LS_OK);
    block_out_of_memory(p); /* line by line, with rules */
    ls_policy_free(p);
}

/* ---------------------------------------------------------------------
 * Leaks (issue 8): random addresses, rendered in every spelling and
 * context the scanner is meant to see through, never come out whole.
 * ------------------------------------------------------------------- */

static uint32_t leak_rand(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

/* Decodes what a reader of the output would decode (URL escapes, twice;
 * JSON and C escapes; HTML entities; '-' as `dash`), drops the leading zeros
 * of numbers and lowers the case.  Written independently of ipaddr.c. */
static size_t leak_decode(const char *s, size_t n, char dash, char *out)
{
    size_t o = test_unescape(s, n, dash, out);
    for (size_t k = 0; k < o; k++)
        out[k] = (char)tolower((unsigned char)out[k]);
    /* Leading zeros: "0195" reads as 195. */
    size_t w = 0;
    for (size_t k = 0; k < o; k++) {
        bool lead = out[k] == '0' && (k == 0 || !isdigit((unsigned char)out[k - 1])) &&
                    k + 1 < o && isdigit((unsigned char)out[k + 1]);
        if (lead && (w == 0 || !isdigit((unsigned char)out[w - 1])))
            continue;
        out[w++] = out[k];
    }
    return w;
}

/* The spellings of one character the scanner must see through. */
enum leak_enc { LE_LIT, LE_PCT, LE_pct, LE_PCT25, LE_U, LE_X, LE_BSL, LE_DEC, LE_HEXENT };

static void leak_char(sbuf *b, unsigned char c, enum leak_enc e)
{
    switch (e) {
    case LE_PCT: sb_printf(b, "%%%02X", c); break;
    case LE_pct: sb_printf(b, "%%%02x", c); break;
    case LE_PCT25: sb_printf(b, "%%25%02X", c); break;
    case LE_U: sb_printf(b, "\\u%04x", c); break;
    case LE_X: sb_printf(b, "\\x%02x", c); break;
    case LE_BSL: sb_printf(b, "\\%c", c); break;
    case LE_DEC: sb_printf(b, "&#%u;", c); break;
    case LE_HEXENT: sb_printf(b, "&#x%02x;", c); break;
    default: sb_add(b, (const char *)&c, 1); break;
    }
}

/* Spells the text s (an address) with each '.' and ':' as `sep` and each
 * digit as `dig`. */
static void leak_spell(sbuf *b, const char *s, enum leak_enc sep, enum leak_enc dig)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        leak_char(b, c, c == '.' || c == ':' ? sep : isdigit(c) ? dig : LE_LIT);
    }
}

Test(leaks, random_addresses_in_every_spelling_never_come_out_whole, .timeout = 120)
{
    static const enum leak_enc seps[][2] = {
        {LE_LIT, LE_LIT}, {LE_PCT, LE_LIT}, {LE_pct, LE_LIT},    {LE_PCT25, LE_LIT},
        {LE_U, LE_LIT},   {LE_X, LE_LIT},   {LE_BSL, LE_LIT},    {LE_DEC, LE_LIT},
        {LE_HEXENT, LE_LIT}, {LE_PCT, LE_PCT}, {LE_LIT, LE_U}, {LE_DEC, LE_DEC},
    };
    static const char *const ctx[][2] = {
        {"client ", " port 22"}, {"{\"ip\":\"", "\"}"}, {"GET /?ip=", "&x=1 HTTP/1.1"},
        {"from", "ms"},          {"(", ")"},            {"x=", ""},
    };
    ls_policy *p = policy_with(24, 48, false);
    ls_worker *w = ls_worker_new(p);
    uint32_t x = 0x2545f491;
    sbuf in = {0};
    char *dec = malloc(1 << 16);
    cr_assert_not_null(dec);
    unsigned tried = 0;
    for (int round = 0; round < 300; round++) {
        unsigned o[4] = {leak_rand(&x) % 223 + 1, leak_rand(&x) % 256, leak_rand(&x) % 256,
                         leak_rand(&x) % 255 + 1};
        char v4[32], v4r[32], v4d[32], v4z[40], v4p[40], v6[64], v6d[80];
        snprintf(v4, sizeof v4, "%u.%u.%u.%u", o[0], o[1], o[2], o[3]);
        snprintf(v4r, sizeof v4r, "%u.%u.%u.%u", o[3], o[2], o[1], o[0]);
        snprintf(v4d, sizeof v4d, "%u-%u-%u-%u", o[0], o[1], o[2], o[3]);
        snprintf(v4z, sizeof v4z, "%04u.%04u.%04u.%04u", o[0], o[1], o[2], o[3]);
        snprintf(v4p, sizeof v4p, "%s.%u", v4, leak_rand(&x) % 65536);
        unsigned g[8];
        g[0] = 0x2000 + leak_rand(&x) % 0x1fff;
        for (int k = 1; k < 8; k++)
            g[k] = 0x1000 + leak_rand(&x) % 0xefff; /* four digits, no zero group */
        snprintf(v6, sizeof v6, "%x:%x:%x:%x:%x:%x:%x:%x", g[0], g[1], g[2], g[3], g[4], g[5],
                 g[6], g[7]);
        snprintf(v6d, sizeof v6d, "%x-%x-%x-%x-%x-%x-%x-%x.ipv6-literal.net", g[0], g[1], g[2],
                 g[3], g[4], g[5], g[6], g[7]);
        const char *forms[] = {v4, v4z, v4p, v6};
        for (size_t f = 0; f < 4; f++) {
            for (size_t e = 0; e < sizeof seps / sizeof seps[0]; e++) {
                for (size_t c = 0; c < sizeof ctx / sizeof ctx[0]; c++) {
                    in.len = 0;
                    sb_printf(&in, "%s", ctx[c][0]);
                    leak_spell(&in, forms[f], seps[e][0], seps[e][1]);
                    if (f == 3 && c == 0)
                        sb_printf(&in, ":443"); /* Netty's "addr:port" */
                    sb_printf(&in, "%s", ctx[c][1]);
                    const char *out;
                    size_t out_len;
                    cr_assert_eq(ls_scrub(w, in.p, in.len, &out, &out_len), LS_OK);
                    size_t n = leak_decode(out, out_len, 0, dec);
                    dec[n] = '\0';
                    tried++;
                    if (f < 3) {
                        cr_assert(strstr(dec, v4) == NULL, "\"%s\" -> \"%s\": %s comes out",
                                  esc(in.p, in.len), esc(out, out_len), v4);
                    } else {
                        /* No group of the host part (groups 4-8) survives. */
                        for (int k = 3; k < 8; k++) {
                            char grp[8];
                            snprintf(grp, sizeof grp, "%x", g[k]);
                            cr_assert(strstr(dec, grp) == NULL,
                                      "\"%s\" -> \"%s\": group %s comes out", esc(in.p, in.len),
                                      esc(out, out_len), grp);
                        }
                    }
                }
            }
        }
        /* Host names: dashed and reversed dotted, kept in shape. */
        const char *names[][2] = {{"ec2-", ".compute-1.amazonaws.com"},
                                  {"ip-", ".example.com"},
                                  {"host", ".isp.example"}};
        for (size_t k = 0; k < 3; k++) {
            in.len = 0;
            sb_printf(&in, "%s%s%s", names[k][0], v4d, names[k][1]);
            const char *out;
            size_t out_len;
            cr_assert_eq(ls_scrub(w, in.p, in.len, &out, &out_len), LS_OK);
            size_t n = leak_decode(out, out_len, '.', dec);
            dec[n] = '\0';
            cr_assert(strstr(dec, v4) == NULL, "\"%s\" -> \"%s\"", esc(in.p, in.len),
                      esc(out, out_len));
        }
        in.len = 0;
        sb_printf(&in, "static.%s.clients.your-server.de %s", v4r, v6d);
        const char *out;
        size_t out_len;
        cr_assert_eq(ls_scrub(w, in.p, in.len, &out, &out_len), LS_OK);
        size_t n = leak_decode(out, out_len, 0, dec);
        dec[n] = '\0';
        cr_assert(strstr(dec, v4r) == NULL, "\"%s\" -> \"%s\"", esc(in.p, in.len),
                  esc(out, out_len));
        for (int k = 3; k < 8; k++) {
            char grp[8];
            snprintf(grp, sizeof grp, "%x", g[k]);
            cr_assert(strstr(dec, grp) == NULL, "\"%s\" -> \"%s\": group %s", esc(in.p, in.len),
                      esc(out, out_len), grp);
        }
    }
    cr_assert_eq(tried, 300u * 4 * 12 * 6);
    free(dec);
    free(in.p);
    ls_worker_free(w);
    ls_policy_free(p);
}

/* ---------------------------------------------------------------------
 * Percent-encoded queries (the decoded pass, src/common/query.h) with the
 * default policy: each value in a request line, a referrer and a JSON URL
 * field; line by line and as a block.
 * ------------------------------------------------------------------- */

/* Each template is the text before and after the query. */
static const char *const query_templates[][2] = {
    {"203.0.113.0 - - [01/May/2024:12:00:00 +0000] \"GET /s?",
     " HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\""},
    {"203.0.113.0 - - [01/May/2024:12:00:00 +0000] \"GET / HTTP/1.1\" 200 512 "
     "\"https://r.example/?",
     "\" \"Mozilla/5.0\""},
    {"{\"ts\":\"2024-05-01T12:00:00Z\",\"url\":\"/s?", "\",\"status\":200}"},
};

typedef struct query_case {
    const char *in, *out; /* the query; out NULL: must stay as it is */
} query_case;

/* Each case in each template, through ls_scrub, then all of them as one
 * block through ls_scrub_lines: the same bytes. */
static void check_queries(const query_case *c, size_t n)
{
    ls_policy *p = ls_policy_new();
    cr_assert_not_null(p);
    cr_assert_eq(ls_policy_load_default(p), LS_OK, "%s", ls_policy_error(p));
    ls_worker *w = ls_worker_new(p);
    cr_assert_not_null(w);
    sbuf in = {0}, want = {0};
    for (size_t t = 0; t < sizeof query_templates / sizeof query_templates[0]; t++) {
        for (size_t k = 0; k < n; k++) {
            char li[512], lo[512];
            snprintf(li, sizeof li, "%s%s%s", query_templates[t][0], c[k].in,
                     query_templates[t][1]);
            snprintf(lo, sizeof lo, "%s%s%s", query_templates[t][0], c[k].out ? c[k].out : c[k].in,
                     query_templates[t][1]);
            check_scrub(w, li, strlen(li), lo, strlen(lo));
            sb_add(&in, li, strlen(li));
            sb_add(&in, "\n", 1);
            sb_add(&want, lo, strlen(lo));
            sb_add(&want, "\n", 1);
        }
    }
    const char *out;
    size_t out_len;
    cr_assert_eq(ls_scrub_lines(w, in.p, in.len, &out, &out_len), LS_OK);
    cr_expect(out_len == want.len && memcmp(out, want.p, out_len) == 0,
              "block:\n%s\nwanted:\n%s", esc(out, out_len), esc(want.p, want.len));
    free(in.p);
    free(want.p);
    ls_worker_free(w);
    ls_policy_free(p);
}

Test(queries, values_hidden_by_escapes_are_found)
{
    static const query_case cases[] = {
        {"q=AWSToken%3DAKIAQYLPMN5HHHFPZAM2", "q=AWSToken%3D[redacted]"},
        {"q=some%20iban:%20DE89370400440532013000", "q=some%20iban:%20[iban]"},
        /* A keep-last card keeps its last four digits and its '+'. */
        {"q=4012+8888+8888+1881", "q=****+****+****+1881"},
        {"q=card%204012%208888%208888%201881%20ok", "q=card%20****%20****%20****%201881%20ok"},
        {"q=emails:%20info@presidio.site%20or%20anotherinfo@presidio.site",
         "q=emails:[email]%20or%20[email]"},
        {"q=%2B41%2022%20730%205989", "q=[phone]"},
        {"q=+41%2022%20730%205989&x=1", "q=[phone]&x=1"},
        {"q=call+me+%2B41+22+730+5989", "q=call+me+[phone]"},
        /* Spaced IBANs, form style and escaped. */
        {"q=DE89+3704+0044+0532+0130+00", "q=[iban]"},
        {"q=iban%3A%20DE89%203704%200044%200532%200130%2000%2C%20ok", "q=iban%3A%20[iban]%2C%20ok"},
        {"mac=AA%3ABB%3ACC%3A11%3A22%3A33", "mac=AA%3ABB%3ACC%3A********"},
        {"e=bob+tag%40example.com&n=1", "e=[email]&n=1"},
        {"t=x%22ghp_0123456789abcdefghijABCDEFGHIJ012345%22",
         "t=x%22[github-token]%22"},
    };
    check_queries(cases, sizeof cases / sizeof cases[0]);
}

Test(queries, double_encoding_is_read_once_more)
{
    static const query_case cases[] = {
        {"q=contact%2520info%2540presidio.site", "q=contact%2520[email]"},
        {"q=%252B41%252022%2520730%25205989", "q=[phone]"},
        {"q=4012%25208888%25208888%25201881", "q=****%2520****%2520****%25201881"},
        {"q=AWSToken%253DAKIAQYLPMN5HHHFPZAM2", "q=AWSToken%253D[redacted]"},
        {"q=AA%253ABB%253ACC%253A11%253A22%253A33", "q=AA%253ABB%253ACC%253A********"},
    };
    check_queries(cases, sizeof cases / sizeof cases[0]);
}

Test(queries, decoys_stay_byte_identical)
{
    static const query_case cases[] = {
        {"id=550e8400-e29b-41d4-a716-446655440000&ts=2024-05-01T12%3A30%3A45%2B02%3A00", NULL},
        {"id=%7B550e8400-e29b-41d4-a716-446655440000%7D&q=a%20%20%20%20b", NULL},
        {"q=%20%20%20%20&r=%2F%2F%2F&u=%C3%BC%C3%A4&pct=100%25", NULL},
        {"sha=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855&n=%31", NULL},
        {"v=1.4.2%2B4929135724680131&ms=1714566645123&t=12%3A30%3A45", NULL},
        {"q=order+4929135724680130+paid&d=2024-05-01+12%3A30", NULL},
        {"q=winter+germany&lang=de&page=2", NULL},
        {"q=DE89%203704%200044%200532%200130%2001", NULL}, /* fails mod 97 */
        {"q=12%3A30%3A45%20took%201234ms%20v1.2.3", NULL},
        {"img=%2Fstatic%2Fsprite%402x.png&v=%40scope%2Fui%402.0.0", NULL},
    };
    check_queries(cases, sizeof cases / sizeof cases[0]);
}
