/* fuzz_ipscan.c -- libFuzzer target for the IP engine (src/ipaddr.c).
 *
 * Runs ip_scan over the input, iterating every match, and checks what the
 * rest of logscrub relies on: matches are ordered, non-overlapping and inside
 * the buffer; the matched text parses to the reported address in the reported
 * form; ip_format and ip_format_as output parses back to the same address and
 * ip_format output is found again by ip_scan;
 * ip_truncate zeroes exactly the host bits and is idempotent; scrubbing the
 * input as src/scrub.c does leaves no untruncated address behind.  Any violation
 * calls abort() after naming the broken invariant on stderr.
 *
 * Built two ways: with clang -fsanitize=fuzzer for real fuzzing (see
 * fuzz/README.md), and linked with fuzz/replay.c as fuzz_ipscan_replay, which
 * `make check` runs over fuzz/corpus/ipscan.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ip/ipaddr.h"

#define FUZZ_NAME "fuzz_ipscan"
#include "fuzz.h"



/* Same address: family, mapped flag and all 16 bytes. */
static bool same_addr(const ipaddr *x, const ipaddr *y)
{
    return x->family == y->family && x->mapped == y->mapped &&
           memcmp(x->a, y->a, sizeof x->a) == 0;
}

/* Parses formatted text back with the parser its family calls for. */
static bool reparse(const char *s, size_t len, const ipaddr *like, ipaddr *out)
{
    if (like->family == 4)
        return ip_parse_v4(s, len, out);
    return ip_parse_v6(s, len, out);
}

/* The shape every address must have, whoever produced it. */
static void check_addr_shape(const ipaddr *ip)
{
    static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t zero12[12] = {0};

    CHECK(ip->family == 4 || ip->family == 6);
    if (ip->family == 4) {
        CHECK(!ip->mapped);
        CHECK(memcmp(ip->a, zero12, 12) == 0);
    } else {
        CHECK(ip->mapped == (memcmp(ip->a, mapped_prefix, 12) == 0));
    }
}

/* True for "::" and "x::" with a one- or two-digit group: ip_scan leaves
 * these alone in free text on purpose (they are mostly C++ scopes such as
 * "b::"), so formatted text of that shape is exempt from the re-scan checks
 * -- but not from re-parsing: they are RFC 4291 forms. */
static bool scanner_skips(const char *s, size_t len)
{
    return (len == 2 || len == 3 || len == 4) && s[len - 2] == ':' && s[len - 1] == ':' &&
           (len == 2 || s[0] != ':');
}

/* ip_format must write canonical text that fits, parses back to the same
 * address and that ip_scan finds whole.  Returns the text length. */
static size_t check_format(const ipaddr *ip, char *text)
{
    char buf[IP_TEXT_MAX + 16];
    ipaddr back;
    ipmatch m;
    size_t len, i;

    memset(buf, 0x5a, sizeof buf);
    len = ip_format(ip, buf);
    CHECK(len > 0 && len <= IP_TEXT_MAX);
    for (i = len; i < sizeof buf; i++)
        CHECK((unsigned char)buf[i] == 0x5a); /* wrote past its length */
    for (i = 0; i < len; i++)
        CHECK((buf[i] >= '0' && buf[i] <= '9') || (buf[i] >= 'a' && buf[i] <= 'f') ||
              buf[i] == '.' || buf[i] == ':');
    if (!reparse(buf, len, ip, &back)) {
        fprintf(stderr, "fuzz_ipscan: ip_format wrote \"%.*s\", which does not parse\n",
                (int)len, buf);
        CHECK(!"ip_format output re-parses");
    }
    CHECK(same_addr(&back, ip));
    if (!scanner_skips(buf, len)) {
        if (!ip_scan(buf, len, 0, &m)) {
            fprintf(stderr, "fuzz_ipscan: ip_scan does not find \"%.*s\"\n", (int)len, buf);
            CHECK(!"ip_scan finds formatted text");
        }
        CHECK(m.start == 0 && m.end == len && m.zone_end == len);
        CHECK(same_addr(&m.addr, ip));
    }
    memcpy(text, buf, len);
    return len;
}

/* Host bits after the prefix are zero; the network part is unchanged. */
static void check_truncated(const ipaddr *orig, const ipaddr *t, unsigned p4, unsigned p6)
{
    unsigned first, bits, bit;

    CHECK(t->family == orig->family && t->mapped == orig->mapped);
    if (orig->family == 4 || orig->mapped) {
        first = 96;
        bits = 96 + p4;
    } else {
        first = 0;
        bits = p6;
        /* 6to4 (2002:V4ADDR::/48): at most the IPv4 prefix of V4ADDR. */
        if (orig->a[0] == 0x20 && orig->a[1] == 0x02 && p4 < 32 && bits > 16 + p4)
            bits = 16 + p4;
    }
    for (bit = 0; bit < 128; bit++) {
        unsigned byte = bit / 8, mask = 0x80u >> (bit % 8);
        if (bit < first || bit < bits)
            CHECK((t->a[byte] & mask) == (orig->a[byte] & mask));
        else
            CHECK((t->a[byte] & mask) == 0);
    }
}

static void check_truncate(const ipaddr *ip, unsigned p4, unsigned p6)
{
    char text[IP_TEXT_MAX];
    ipaddr t = *ip, t2;

    ip_truncate(&t, p4, p6);
    check_addr_shape(&t);
    check_truncated(ip, &t, p4, p6);
    t2 = t;
    ip_truncate(&t2, p4, p6);
    CHECK(same_addr(&t, &t2)); /* idempotent */
    (void)check_format(&t, text);
    if (p4 == 32 && p6 == 128)
        CHECK(same_addr(&t, ip));
}

/* Everything one address must satisfy, wherever it came from. */
static void check_address(const ipaddr *ip, const uint8_t *data, size_t size)
{
    char text[IP_TEXT_MAX];
    unsigned p4, p6;

    check_addr_shape(ip);
    (void)check_format(ip, text);

    /* Mapped addresses are judged by their IPv4 part. */
    if (ip->mapped) {
        ipaddr v4 = *ip;
        memset(v4.a, 0, 12);
        v4.family = 4;
        v4.mapped = false;
        CHECK(ip_is_special(ip) == ip_is_special(&v4));
    } else {
        (void)ip_is_special(ip);
    }

    check_truncate(ip, 24, 48);
    check_truncate(ip, 0, 0);
    check_truncate(ip, 32, 128);
    p4 = size > 0 ? data[0] % 33u : 16;
    p6 = size > 1 ? data[1] % 129u : 64;
    check_truncate(ip, p4, p6);
}

/* The matched text is the reported address in the reported form, and
 * ip_format_as writes text of that form that parses back to it. */
static void check_match_text(const char *t, size_t len, const ipmatch *m)
{
    char buf[IP_MATCH_TEXT_MAX + 16];
    ipaddr again;
    size_t n, i;

    /* Escaped, dashed and two-way matches: their text is checked by the
     * unit tests' decoder; here, that their readings agree and the
     * replacement text stays in bounds. */
    if (m->enc_sep != IP_ENC_LIT || m->enc_dig != IP_ENC_LIT || m->form == IP_FORM_V4_FIVE ||
        m->form == IP_FORM_V4_NUM_FIRST || m->form == IP_FORM_V4_NUM_LAST ||
        m->form == IP_FORM_V4_EITHER || m->form == IP_FORM_V6_NIBBLE || m->form == IP_FORM_V6_URL) {
        if (m->form == IP_FORM_V4_FIVE) {
            CHECK(m->addr.family == 4 && m->addr2.family == 4);
            CHECK(memcmp(m->addr.a + 13, m->addr2.a + 12, 3) == 0);
        } else if (m->form == IP_FORM_V4_EITHER) {
            for (i = 0; i < 4; i++)
                CHECK(m->addr.a[12 + i] == m->addr2.a[15 - i]);
        } else if (m->form == IP_FORM_V6_NIBBLE) {
            CHECK(m->addr.family == 6 && len == 63);
        }
        memset(buf, 0x5a, sizeof buf);
        n = ip_format_match(m, buf);
        CHECK(n > 0 && n <= IP_MATCH_TEXT_MAX);
        for (i = n; i < sizeof buf; i++)
            CHECK((unsigned char)buf[i] == 0x5a);
        return;
    }

    switch (m->form) {
    case IP_FORM_V4:
    case IP_FORM_V4_REVERSED:
        CHECK(m->addr.family == 4);
        CHECK(ip_parse_v4(t, len, &again));
        if (m->form == IP_FORM_V4_REVERSED) {
            uint8_t r[4] = {again.a[15], again.a[14], again.a[13], again.a[12]};
            memcpy(again.a + 12, r, 4);
        }
        break;
    case IP_FORM_V6:
    case IP_FORM_V6_DOTTED: {
        /* A last group glued to more hex ("...:7334abc") is matched whole;
         * its first four digits end the address. */
        const char *colon = memrchr(t, ':', len);
        if (colon && len - (size_t)(colon + 1 - t) > 4 && !memchr(colon, '.', len - (size_t)(colon - t)))
            len = (size_t)(colon + 5 - t);
        CHECK(m->addr.family == 6);
        CHECK(ip_parse_v6(t, len, &again));
        CHECK((memchr(t, '.', len) != NULL) == (m->form == IP_FORM_V6_DOTTED));
        break;
    }
    default:
        CHECK(!"unknown form");
        return;
    }
    CHECK(same_addr(&again, &m->addr));

    memset(buf, 0x5a, sizeof buf);
    n = ip_format_as(&m->addr, m->form, buf);
    CHECK(n > 0 && n <= IP_TEXT_MAX);
    for (i = n; i < sizeof buf; i++)
        CHECK((unsigned char)buf[i] == 0x5a);
    if (m->form == IP_FORM_V4 || m->form == IP_FORM_V4_REVERSED) {
        CHECK(ip_parse_v4(buf, n, &again));
        if (m->form == IP_FORM_V4_REVERSED) {
            uint8_t r[4] = {again.a[15], again.a[14], again.a[13], again.a[12]};
            memcpy(again.a + 12, r, 4);
        }
    } else {
        CHECK(ip_parse_v6(buf, n, &again));
    }
    CHECK(same_addr(&again, &m->addr));
}

/* One IP pass the way src/core/scrub.c does it (every match truncated and
 * written back with ip_truncate_match, everything else copied).  Returns a
 * malloc'ed copy of exactly *olen bytes, so an over-read is caught. */
static char *scrub_pass(const char *s, size_t size, unsigned p4, unsigned p6, size_t *olen)
{
    size_t o = 0, from = 0, count = 0;
    ipmatch m;
    char *out = malloc(size + 1 + (size / 2 + 1) * IP_MATCH_TEXT_MAX), *exact;

    CHECK(out != NULL);
    while (ip_scan(s, size, from, &m)) {
        memcpy(out + o, s + from, m.start - from);
        o += m.start - from;
        o += ip_truncate_match(&m, p4, p6, out + o);
        from = m.end;
        CHECK(count++ <= size);
    }
    memcpy(out + o, s + from, size - from);
    o += size - from;
    exact = malloc(o ? o : 1);
    CHECK(exact != NULL);
    memcpy(exact, out, o);
    free(out);
    *olen = o;
    return exact;
}

/* Is every address in s[0, size) truncated already?  Reports the first that
 * is not when `say`. */
static bool all_truncated(const char *s, size_t size, unsigned p4, unsigned p6, bool say)
{
    size_t from = 0;
    ipmatch m;
    while (ip_scan(s, size, from, &m)) {
        ipaddr t = m.addr, t2 = m.addr; /* addr2 is set for two-way matches only */
        if (ip_two_way(&m))
            t2 = m.addr2;
        ip_truncate(&t, p4, p6);
        ip_truncate(&t2, p4, p6);
        if (!same_addr(&t, &m.addr) || (ip_two_way(&m) && !same_addr(&t2, &m.addr2))) {
            if (say)
                fprintf(stderr, "fuzz_ipscan: after scrubbing /%u,/%u, \"%.*s\" at %zu still has host bits\n",
                        p4, p6, (int)(m.end - m.start), s + m.start, m.start);
            return false;
        }
        from = m.end;
    }
    return true;
}

/* Scrubs s as src/core/scrub.c does, a pass and as many more as it takes
 * (scrub.c's repeat passes: a rewrite can make its neighbours an address,
 * "...:370:7334:443" at /110 gives "...:370:0:443"), and checks that the
 * result holds no address with host bits.  scrub.c gives up after
 * MAX_IP_PASSES and fails closed; here eight passes must do. */
static void check_scrub_idempotent(const char *s, size_t size, unsigned p4, unsigned p6)
{
    size_t n;
    char *t = scrub_pass(s, size, p4, p6, &n);
    for (int pass = 1; !all_truncated(t, n, p4, p6, pass == 8); pass++) {
        if (pass == 8)
            CHECK(!"scrubbed text holds no untruncated address");
        size_t n2;
        char *t2 = scrub_pass(t, n, p4, p6, &n2);
        free(t);
        t = t2;
        n = n2;
    }
    free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    size_t from = 0, prev_end = 0, count = 0;
    ipmatch m;
    ipaddr whole;

    /* Every match, in order.  The documented iteration restarts right after
     * the address (from = m.end): a zone id is reported, not consumed. */
    while (from <= size && ip_scan(s, size, from, &m)) {
        CHECK(m.start >= from);
        CHECK(m.start >= prev_end); /* ordered, address spans never overlap */
        CHECK(m.start < m.end);
        CHECK(m.end <= m.zone_end);
        CHECK(m.zone_end <= size);
        CHECK(count++ <= size); /* no endless loop */
        if (m.zone_end > m.end) {
            CHECK(s[m.end] == '%');
            CHECK(m.zone_end - m.end >= 2);
            CHECK(m.addr.family == 6);
        }
        check_match_text(s + m.start, m.end - m.start, &m);
        check_address(&m.addr, data, size);
        prev_end = m.end;
        from = m.end;
    }

    check_scrub_idempotent(s, size, 24, 48);
    check_scrub_idempotent(s, size, size > 3 ? data[3] % 33u : 8, size > 4 ? data[4] % 129u : 20);

    /* Scanning from any offset finds nothing before that offset. */
    if (size > 2) {
        size_t off = data[2] % (size + 1);
        if (ip_scan(s, size, off, &m)) {
            CHECK(m.start >= off && m.start < m.end && m.zone_end <= size);
        }
    }

    /* The whole input as one address: the parsers agree with the scanner
     * (a lone address is always found, whole). */
    if (size <= 64 && ip_parse_v4(s, size, &whole)) {
        check_address(&whole, data, size);
        CHECK(ip_scan(s, size, 0, &m));
        CHECK(m.start == 0 && m.end == size && same_addr(&m.addr, &whole));
    }
    if (size <= 64 && ip_parse_v6(s, size, &whole)) {
        CHECK(whole.family == 6);
        check_address(&whole, data, size);
        if (scanner_skips(s, size))
            return 0;
        CHECK(ip_scan(s, size, 0, &m));
        CHECK(m.start == 0 && m.end == size && same_addr(&m.addr, &whole));
    }
    return 0;
}
