/* test_scrub.c -- Criterion tests for the public library API in
 * src/logscrub.h (src/scrub.c): policy settings and their freezing, the
 * per-line contract of ls_scrub (zero copy, buffer lifetime, exact output on
 * lines with NUL bytes, invalid UTF-8 and a million bytes), counters, and
 * one policy shared by two threads.
 *
 * Inputs are (pointer, length) and outputs are compared with memcmp: log
 * lines may contain NUL bytes.  Expected outputs are written by hand from
 * the rules in logscrub.h (IPv4 keeps 24 bits, IPv6 48 by default; RFC 5952
 * text; IPv4-mapped written "::ffff:a.b.c.d").
 */
#include <criterion/criterion.h>

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
#include "testutil.h"

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

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        cr_assert_not_null(b->p);
        b->cap = cap;
    }
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
        "v1.2.3.4beta 1.2.3.4.5 10.0.19041.1 12:34:56",
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
            sb_printf(&in, "v%u.%u.%u.%ubeta ", a, b, c, d);
            sb_printf(&exp, "v%u.%u.%u.%ubeta ", a, b, c, d);
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
