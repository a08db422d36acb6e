/* anonip.c -- `logscrub --compat=anonip`: anonip 1.1's options and output,
 * minus its leaks and crashes.
 *
 * What this file owns: the anonip command line, a byte-exact model of what
 * anonip 1.1 (on Python 3.11's ipaddress and urllib.parse) does to the
 * configured columns or --regex groups, and a small streaming loop.  What it
 * does not own: finding addresses in free text (ip_scan in ipaddr.c),
 * reading lines and buffering output (io.c), messages, signals and opening
 * -o FILE (cli.c).
 *
 * Each line goes through two passes:
 *   1. the anonip pass reproduces anonip's own edit of the line, remembering
 *      which bytes it wrote ("protected spans": truncated addresses and -r
 *      replacement strings);
 *   2. the privacy pass runs ip_scan over the result and masks every
 *      address that is not inside a protected span -- addresses in other
 *      columns, and the ones anonip failed to see (upper-case bracketed IPv6,
 *      X-Forwarded-For lists, quoted values, leading-zero octets, ...).
 * On lines where anonip masks everything, pass 2 finds nothing to do and the
 * output is anonip's byte for byte.  doc/anonip-compat.md lists the
 * differences.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "cli/anonip.h"

#include "cli/cli.h"
#include "io/io.h"
#include "ip/ipaddr.h"
#include "logscrub.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

/* Lines of this many bytes or more are cut and marked (DESIGN.md §3, fail
 * closed); anonip itself has no limit. */
#define MAX_LINE ((size_t)1 << 20)

/* ---- small helpers ------------------------------------------------------ */

/* Growable byte buffer with the spans anonip wrote into it.  Spans are
 * sorted, disjoint and non-empty. */
typedef struct span {
    size_t s, e;
} span;

typedef struct text {
    char *p;
    size_t len, cap;
    span *sp;
    size_t nsp, spcap;
} text;

static void text_free(text *t)
{
    free(t->p);
    free(t->sp);
}

/* Appends n bytes; false when out of memory (t unchanged). */
static bool text_put(text *t, const char *p, size_t n)
{
    if (t->cap - t->len < n) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap - t->len < n)
            cap *= 2;
        char *np = realloc(t->p, cap);
        if (!np)
            return false;
        t->p = np;
        t->cap = cap;
    }
    if (n)
        memcpy(t->p + t->len, p, n);
    t->len += n;
    return true;
}

/* Records [s, e) as written by anonip; false when out of memory. */
static bool text_span(text *t, size_t s, size_t e)
{
    if (t->nsp == t->spcap) {
        size_t cap = t->spcap ? t->spcap * 2 : 16;
        span *np = realloc(t->sp, cap * sizeof *np);
        if (!np)
            return false;
        t->sp = np;
        t->spcap = cap;
    }
    t->sp[t->nsp].s = s;
    t->sp[t->nsp].e = e;
    t->nsp++;
    return true;
}

static void text_swap(text *a, text *b)
{
    text t = *a;
    *a = *b;
    *b = t;
}

/* Appends src with its spans shifted to their new place. */
static bool text_append(text *dst, const text *src)
{
    size_t base = dst->len;
    if (!text_put(dst, src->p, src->len))
        return false;
    for (size_t i = 0; i < src->nsp; i++)
        if (!text_span(dst, base + src->sp[i].s, base + src->sp[i].e))
            return false;
    return true;
}

/* Python's str.replace(needle, repl) on src, into dst (cleared first):
 * every non-overlapping occurrence, left to right.  Spans of src that
 * survive untouched move along; spans hit by a replacement are dropped;
 * each inserted repl becomes a span.  needle must not be empty and may
 * point into src.  Returns false when out of memory. */
static bool text_replace_all(text *dst, const text *src, const char *needle, size_t nn,
                             const char *repl, size_t rn)
{
    size_t pos = 0, si = 0;
    dst->len = 0;
    dst->nsp = 0;
    for (;;) {
        const char *hit = memmem(src->p + pos, src->len - pos, needle, nn);
        size_t hs = hit ? (size_t)(hit - src->p) : src->len;
        size_t base = dst->len;
        if (!text_put(dst, src->p + pos, hs - pos))
            return false;
        for (; si < src->nsp && src->sp[si].s < hs; si++) {
            const span *s = &src->sp[si];
            if (s->s >= pos && s->e <= hs && !text_span(dst, base + s->s - pos, base + s->e - pos))
                return false;
        }
        if (!hit)
            return true;
        base = dst->len;
        if (!text_put(dst, repl, rn))
            return false;
        if (rn && !text_span(dst, base, base + rn))
            return false;
        pos = hs + nn;
    }
}

/* ---- Python ipaddress, as anonip 1.1 sees it ---------------------------- */
/* Addresses use ipaddr's layout: IPv4 in a[12..15] with family 4. */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* IPv4Address(s): four 1-3 digit decimal octets, no leading zeros, <= 255. */
static bool py_v4(const char *s, size_t n, uint8_t o[4])
{
    size_t i = 0;
    for (int k = 0; k < 4; k++) {
        size_t st = i;
        unsigned v = 0;
        while (i < n && s[i] != '.') {
            if (!is_digit(s[i]) || i - st >= 3)
                return false;
            v = v * 10 + (unsigned)(s[i] - '0');
            i++;
        }
        if (i == st || (i - st > 1 && s[st] == '0') || v > 255)
            return false;
        o[k] = (uint8_t)v;
        if (k < 3) {
            if (i == n)
                return false;
            i++; /* the '.' */
        }
    }
    return i == n;
}

/* IPv6Address._ip_int_from_string(s) without a scope id: Python's own
 * rules (at most one "::", 1-4 hex digits per group, optional trailing
 * dotted quad without leading zeros). */
static bool py_v6(const char *s, size_t n, uint8_t a[16])
{
    struct part {
        size_t st, len;
        int val; /* >= 0: a group made from a dotted quad */
    } parts[10];
    size_t colons = 0, last = 0;

    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ':') {
            colons++;
            last = i + 1;
        }
    size_t np = colons + 1;
    if (np < 3 || np > 10)
        return false;
    bool dotted = memchr(s + last, '.', n - last) != NULL;
    if (np + (dotted ? 1 : 0) > 9)
        return false;
    size_t k = 0, st = 0;
    for (size_t i = 0; i <= n; i++)
        if (i == n || s[i] == ':') {
            parts[k].st = st;
            parts[k].len = i - st;
            parts[k].val = -1;
            k++;
            st = i + 1;
        }
    if (dotted) {
        uint8_t o[4];
        if (!py_v4(s + last, n - last, o))
            return false;
        parts[np - 1].val = o[0] << 8 | o[1];
        parts[np].val = o[2] << 8 | o[3];
        parts[np].len = 0;
        np++;
    }
#define EMPTY(i) (parts[i].val < 0 && parts[i].len == 0)
    size_t skip = 0, hi, lo, skipped;
    bool has_skip = false;
    for (size_t i = 1; i + 1 < np; i++)
        if (EMPTY(i)) {
            if (has_skip)
                return false;
            has_skip = true;
            skip = i;
        }
    if (has_skip) {
        hi = skip;
        lo = np - skip - 1;
        if (EMPTY(0) && --hi)
            return false;
        if (EMPTY(np - 1) && --lo)
            return false;
        if (hi + lo > 7)
            return false;
        skipped = 8 - hi - lo;
    } else {
        if (np != 8 || EMPTY(0) || EMPTY(np - 1))
            return false;
        hi = np;
        lo = 0;
        skipped = 0;
    }
#undef EMPTY
    unsigned groups[8] = {0};
    for (size_t i = 0; i < hi + lo; i++) {
        const struct part *p = &parts[i < hi ? i : np - lo + (i - hi)];
        unsigned v = 0;
        if (p->val >= 0) {
            v = (unsigned)p->val;
        } else {
            if (p->len == 0 || p->len > 4)
                return false;
            for (size_t j = 0; j < p->len; j++) {
                int d = hex_digit(s[p->st + j]);
                if (d < 0)
                    return false;
                v = v << 4 | (unsigned)d;
            }
        }
        groups[i < hi ? i : 8 - lo + (i - hi)] = v;
    }
    (void)skipped; /* the groups in the gap stay zero */
    for (size_t i = 0; i < 8; i++) {
        a[2 * i] = (uint8_t)(groups[i] >> 8);
        a[2 * i + 1] = (uint8_t)groups[i];
    }
    return true;
}

/* IPv6 address text with an optional "%scope": Python wants the scope
 * non-empty and free of '%'.  The scope is dropped. */
static bool py_v6_scoped(const char *s, size_t n, uint8_t a[16])
{
    const char *pct = memchr(s, '%', n);
    if (pct) {
        size_t an = (size_t)(pct - s);
        if (an + 1 == n || memchr(pct + 1, '%', n - an - 1))
            return false;
        n = an;
    }
    return py_v6(s, n, a);
}

/* _prefix_from_prefix_string: ASCII digits only, value 0..max. */
static bool py_prefix_digits(const char *s, size_t n, unsigned max, unsigned *out)
{
    unsigned v = 0;
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
        if (v > max)
            return false;
    }
    *out = v;
    return true;
}

/* 32-bit netmask (ones then zeros) to a prefix length. */
static bool mask_to_prefix(uint32_t x, unsigned *out)
{
    unsigned tz = 0;
    while (tz < 32 && !(x >> tz & 1))
        tz++;
    unsigned p = 32 - tz;
    uint64_t lead = tz == 32 ? 0 : x >> tz;
    if (lead != (((uint64_t)1 << p) - 1))
        return false;
    *out = p;
    return true;
}

static void set_mapped(ipaddr *ip)
{
    static const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    ip->mapped = ip->family == 6 && memcmp(ip->a, pre, 12) == 0;
}

/* Zeroes every bit after `keep` of the family's bits.  Can't fail. */
static void mask_bits(ipaddr *ip, unsigned keep)
{
    unsigned off = ip->family == 4 ? 12 : 0;
    unsigned total = ip->family == 4 ? 32 : 128;
    for (unsigned b = keep; b < total; b++)
        ip->a[off + b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
}

/* True when a bit after `keep` is set (Python's strict "host bits set"). */
static bool host_bits_set(const ipaddr *ip, unsigned keep)
{
    ipaddr t = *ip;
    mask_bits(&t, keep);
    return memcmp(t.a, ip->a, 16) != 0;
}

/* ipaddress.ip_network(s) with strict=True: an address, optionally with
 * "/prefix" (IPv4 also "/netmask" or "/hostmask"), IPv6 with an optional
 * scope.  Fills *ip with the network address and *plen. */
static bool py_network(const char *s, size_t n, ipaddr *ip, unsigned *plen)
{
    const char *slash = memchr(s, '/', n);
    size_t an = slash ? (size_t)(slash - s) : n;
    const char *pfx = slash ? slash + 1 : NULL;
    size_t pn = slash ? n - an - 1 : 0;
    uint8_t o[4];

    if (pfx && memchr(pfx, '/', pn))
        return false;
    memset(ip, 0, sizeof *ip);
    if (py_v4(s, an, o)) {
        unsigned p = 32;
        if (pfx && !py_prefix_digits(pfx, pn, 32, &p)) {
            uint8_t m[4];
            if (!py_v4(pfx, pn, m))
                return false;
            uint32_t x = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
            if (!mask_to_prefix(x, &p) && !mask_to_prefix(~x, &p))
                return false;
        }
        ip->family = 4;
        memcpy(ip->a + 12, o, 4);
        *plen = p;
        return !host_bits_set(ip, p);
    }
    unsigned p = 128;
    if (!py_v6_scoped(s, an, ip->a))
        return false;
    if (pfx && !py_prefix_digits(pfx, pn, 128, &p))
        return false;
    ip->family = 6;
    set_mapped(ip);
    *plen = p;
    return !host_bits_set(ip, p);
}

/* ipaddress.ip_address(s): 0 when invalid, else 4 or 6. */
static int py_address_family(const char *s, size_t n)
{
    uint8_t o[4], a[16];
    if (py_v4(s, n, o))
        return 4;
    return py_v6_scoped(s, n, a) ? 6 : 0;
}

struct net {
    uint8_t b[16];
    unsigned bits;
};

static bool in_net(const uint8_t *a, const struct net *nt)
{
    for (unsigned i = 0; i < nt->bits; i++) {
        uint8_t m = (uint8_t)(0x80u >> (i % 8));
        if ((a[i / 8] & m) != (nt->b[i / 8] & m))
            return false;
    }
    return true;
}

static bool in_any(const uint8_t *a, const struct net *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (in_net(a, &list[i]))
            return true;
    return false;
}

/* anonip's -p test: Python 3.11's is_private (the IANA "not globally
 * reachable" lists, IPv4-mapped judged by the IPv4 part), except that
 * 6to4 (2002::/16), Teredo (2001::/32) and local NAT64 (64:ff9b:1::/48)
 * are not private here: they carry a client's public IPv4 address. */
static bool py_private(const ipaddr *ip)
{
    static const struct net v4[] = {
        {{0}, 8},          {{10}, 8},          {{127}, 8},          {{169, 254}, 16},
        {{172, 16}, 12},   {{192, 0, 0}, 24},  {{192, 0, 0, 170}, 31}, {{192, 0, 2}, 24},
        {{192, 168}, 16},  {{198, 18}, 15},    {{198, 51, 100}, 24}, {{203, 0, 113}, 24},
        {{240}, 4},        {{255, 255, 255, 255}, 32},
    };
    static const struct net v4_not[] = {{{192, 0, 0, 9}, 32}, {{192, 0, 0, 10}, 32}};
    static const struct net v6[] = {
        {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128},
        {{0}, 128},
        {{0x01, 0x00}, 64},
        {{0x20, 0x01}, 23},
        {{0x20, 0x01, 0x0d, 0xb8}, 32},
        {{0xfc}, 7},
        {{0xfe, 0x80}, 10},
    };
    static const struct net v6_not[] = {
        {{0x20, 0x01, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128},
        {{0x20, 0x01, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}, 128},
        {{0x20, 0x01, 0, 3}, 32},
        {{0x20, 0x01, 0, 4, 0x01, 0x12}, 48},
        {{0x20, 0x01, 0, 0x20}, 28},
        {{0x20, 0x01, 0, 0x30}, 28},
        {{0x20, 0x01, 0, 0}, 32}, /* Teredo: embeds the client's IPv4 */
    };
    if (ip->family == 4 || ip->mapped)
        return in_any(ip->a + 12, v4, sizeof v4 / sizeof *v4) &&
               !in_any(ip->a + 12, v4_not, sizeof v4_not / sizeof *v4_not);
    return in_any(ip->a, v6, sizeof v6 / sizeof *v6) &&
           !in_any(ip->a, v6_not, sizeof v6_not / sizeof *v6_not);
}

/* str() of a Python address: dotted quad, or lower-case hex groups with
 * the longest run (>= 2, leftmost on a tie) of zero groups as "::" -- and,
 * unlike ip_format, IPv4-mapped addresses in hex too ("::ffff:102:300"). */
static size_t py_format(const ipaddr *ip, char *out)
{
    if (ip->family == 4)
        return (size_t)sprintf(out, "%u.%u.%u.%u", ip->a[12], ip->a[13], ip->a[14], ip->a[15]);
    unsigned g[8];
    int best = -1, blen = 0;
    for (int i = 0; i < 8; i++)
        g[i] = (unsigned)ip->a[2 * i] << 8 | ip->a[2 * i + 1];
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i > blen) {
            blen = j - i;
            best = i;
        }
        i = j > i ? j : i + 1;
    }
    if (blen < 2)
        best = -1;
    size_t n = 0;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            n += (size_t)sprintf(out + n, "::");
            i += blen - 1;
            continue;
        }
        if (i > 0 && i != best + blen)
            out[n++] = ':';
        n += (size_t)sprintf(out + n, "%x", g[i]);
    }
    return n;
}

/* ---- options ------------------------------------------------------------ */

struct opts {
    unsigned v4mask, v6mask;      /* bits masked (anonip's meaning) */
    uint8_t inc[16];              /* --increment, big-endian */
    bool inc_huge;                /* larger than any address */
    bool has_inc;
    const char *output, *input;
    size_t *cols; /* 0-based */
    size_t ncols;
    bool cols_set;
    const char *delim;
    size_t delim_len;
    bool delim_set;
    const char **regex; /* into argv */
    size_t nregex;
    const char *replace;
    bool skip_private, debug;
};

/* Python int(s) for option values: surrounding whitespace, a sign, '_'
 * between digits.  Magnitude in v[16] (huge when it does not fit). */
static bool py_int(const char *s, uint8_t v[16], bool *huge, bool *neg)
{
    size_t n = strlen(s), i = 0;
    while (n && strchr(" \t\n\v\f\r", s[n - 1]))
        n--;
    while (i < n && strchr(" \t\n\v\f\r", s[i]))
        i++;
    *neg = false;
    *huge = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        *neg = s[i++] == '-';
    memset(v, 0, 16);
    if (i == n)
        return false;
    for (bool prev_digit = false; i < n; i++) {
        if (s[i] == '_' && prev_digit && i + 1 < n && is_digit(s[i + 1])) {
            prev_digit = false;
            continue;
        }
        if (!is_digit(s[i]))
            return false;
        unsigned carry = (unsigned)(s[i] - '0');
        for (int k = 15; k >= 0; k--) {
            unsigned x = v[k] * 10u + carry;
            v[k] = (uint8_t)x;
            carry = x >> 8;
        }
        if (carry)
            *huge = true;
        prev_digit = true;
    }
    return true;
}

/* Small positive value of a py_int result, saturated at `cap`. */
static uint64_t small_value(const uint8_t v[16], bool huge, uint64_t cap)
{
    uint64_t x = 0;
    for (int k = 0; k < 8; k++)
        if (v[k])
            huge = true;
    for (int k = 8; k < 16; k++)
        x = x << 8 | v[k];
    return huge || x > cap ? cap : x;
}

static bool is_zero16(const uint8_t v[16])
{
    for (int k = 0; k < 16; k++)
        if (v[k])
            return false;
    return true;
}

enum kind { FLAG, ONE, MANY };
enum optid { O_V4, O_V6, O_INC, O_OUT, O_IN, O_COL, O_DELIM, O_REGEX, O_REPL, O_PRIV, O_DEBUG,
             O_VERSION, O_HELP, O_COUNT };
static const struct optdef {
    char shortc;
    const char *name;
    enum kind kind;
    const char *label; /* as argparse names it in errors */
} optdefs[O_COUNT] = {
    [O_V4] = {'4', "ipv4mask", ONE, "-4/--ipv4mask"},
    [O_V6] = {'6', "ipv6mask", ONE, "-6/--ipv6mask"},
    [O_INC] = {'i', "increment", ONE, "-i/--increment"},
    [O_OUT] = {'o', "output", ONE, "-o/--output"},
    [O_IN] = {0, "input", ONE, "--input"},
    [O_COL] = {'c', "column", MANY, "-c/--column"},
    [O_DELIM] = {'l', "delimiter", ONE, "-l/--delimiter"},
    [O_REGEX] = {0, "regex", MANY, "--regex"},
    [O_REPL] = {'r', "replace", ONE, "-r/--replace"},
    [O_PRIV] = {'p', "skip-private", FLAG, "-p/--skip-private"},
    [O_DEBUG] = {'d', "debug", FLAG, "-d/--debug"},
    [O_VERSION] = {'v', "version", FLAG, "-v/--version"},
    [O_HELP] = {'h', "help", FLAG, "-h/--help"},
};

/* Long option by exact name or unique prefix (argparse's allow_abbrev):
 * the id, -1 when unknown, -2 when ambiguous. */
static int find_long(const char *name, size_t n)
{
    int found = -1, count = 0;
    for (int i = 0; i < O_COUNT; i++) {
        if (strlen(optdefs[i].name) == n && memcmp(optdefs[i].name, name, n) == 0)
            return i;
        if (strncmp(optdefs[i].name, name, n) == 0 && strlen(optdefs[i].name) > n) {
            found = i;
            count++;
        }
    }
    return count > 1 ? -2 : found;
}

static int find_short(char c)
{
    for (int i = 0; i < O_COUNT; i++)
        if (c && optdefs[i].shortc == c)
            return i;
    return -1;
}

/* argparse's idea of "this argument is an option, not a value". */
static bool looks_like_option(const char *a)
{
    if (a[0] != '-' || a[1] == '\0')
        return false;
    if (!strchr(a, ' '))
        return true;
    if (a[1] == '-') {
        const char *eq = strchr(a + 2, '=');
        return find_long(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2)) != -1;
    }
    return find_short(a[1]) >= 0;
}

static void usage_line(FILE *f)
{
    fputs("usage: logscrub --compat=anonip [-h] [-4 INTEGER] [-6 INTEGER] [-i INTEGER]\n"
          "                                [-o FILE] [--input FILE] [-c INTEGER [INTEGER ...]]\n"
          "                                [-l STRING] [--regex STRING [STRING ...]]\n"
          "                                [-r STRING] [-p] [-d] [-v]\n",
          f);
}

static void help(void)
{
    usage_line(stdout);
    fputs("\nAnonymize IP addresses in log lines like anonip 1.1, and mask every other\n"
          "address in the line as well.\n\n"
          "options:\n"
          "  -h, --help            show this help message and exit\n"
          "  -4 INTEGER, --ipv4mask INTEGER\n"
          "                        truncate the last n bits (default: 12)\n"
          "  -6 INTEGER, --ipv6mask INTEGER\n"
          "                        truncate the last n bits (default: 84)\n"
          "  -i INTEGER, --increment INTEGER\n"
          "                        increment the IP address by n (default: 0)\n"
          "  -o FILE, --output FILE\n"
          "                        file to append to (created mode 0640; SIGHUP reopens it)\n"
          "  --input FILE          File or FIFO to read from (default: stdin)\n"
          "  -c INTEGER [INTEGER ...], --column INTEGER [INTEGER ...]\n"
          "                        assume IP address is in column n (1-based indexed;\n"
          "                        default: 1)\n"
          "  -l STRING, --delimiter STRING\n"
          "                        log delimiter (default: \" \")\n"
          "  --regex STRING [STRING ...]\n"
          "                        regex for detecting IP addresses (use optionally instead\n"
          "                        of -c)\n"
          "  -r STRING, --replace STRING\n"
          "                        replacement string in case address parsing fails\n"
          "                        (Example: 0.0.0.0)\n"
          "  -p, --skip-private    do not mask addresses in private ranges. See IANA\n"
          "                        Special-Purpose Address Registry.\n"
          "  -d, --debug           print debug messages (never log content)\n"
          "  -v, --version         show program's version number and exit\n\n"
          "Differences from anonip 1.1: see doc/anonip-compat.md.\n",
          stdout);
}

static int bad_arg(const struct optdef *d, const char *msg)
{
    errmsg("argument %s: %s", d->label, msg);
    return EX_USAGE;
}

/* Applies one value of option id; EX_OK or EX_USAGE. */
static int set_value(struct opts *o, int id, const char *val)
{
    const struct optdef *d = &optdefs[id];
    uint8_t v[16];
    bool huge, neg;

    switch (id) {
    case O_V4:
    case O_V6: {
        unsigned bits = id == O_V4 ? 32 : 128;
        uint64_t x;
        if (!py_int(val, v, &huge, &neg) || neg || (x = small_value(v, huge, 1000)) == 0 || x > bits)
            return bad_arg(d, id == O_V4 ? "must be an integer between 1 and 32"
                                         : "must be an integer between 1 and 128");
        *(id == O_V4 ? &o->v4mask : &o->v6mask) = (unsigned)x;
        return EX_OK;
    }
    case O_INC:
        if (!py_int(val, v, &huge, &neg) || neg || (is_zero16(v) && !huge))
            return bad_arg(d, "must be a positive integer");
        memcpy(o->inc, v, 16);
        o->inc_huge = huge;
        o->has_inc = true;
        return EX_OK;
    case O_COL:
        if (!py_int(val, v, &huge, &neg) || neg || (is_zero16(v) && !huge))
            return bad_arg(d, "must be a positive integer");
        o->cols[o->ncols++] = (size_t)small_value(v, huge, SIZE_MAX / 4) - 1;
        return EX_OK;
    case O_OUT:
        o->output = val;
        return EX_OK;
    case O_IN:
        o->input = val;
        return EX_OK;
    case O_DELIM:
        o->delim = val;
        o->delim_len = strlen(val);
        o->delim_set = true;
        return EX_OK;
    case O_REGEX:
        o->regex[o->nregex++] = val;
        return EX_OK;
    case O_REPL:
        o->replace = val;
        return EX_OK;
    default:
        return EX_OK;
    }
}

/* Applies flag id.  Returns false after printing the help or the version
 * (the caller then exits 0), true otherwise. */
static bool set_flag(struct opts *o, int id)
{
    if (id == O_HELP) {
        help();
        return false;
    }
    if (id == O_VERSION) {
        printf("logscrub %s (anonip 1.1.0 compatible)\n", ls_version());
        return false;
    }
    *(id == O_PRIV ? &o->skip_private : &o->debug) = true;
    return true;
}

/* Parses argv like anonip's argparse setup.  Returns EX_OK, EX_USAGE, or
 * -1 after printing help or the version (the caller then exits 0). */
static int parse_args(int argc, char **argv, struct opts *o)
{
    /* Every value list is at most argc long. */
    o->cols = calloc((size_t)argc + 1, sizeof *o->cols);
    o->regex = calloc((size_t)argc + 1, sizeof *o->regex);
    if (!o->cols || !o->regex) {
        errmsg("out of memory");
        return EX_SOFTWARE;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int id;
        const char *attached = NULL; /* value glued to the option */

        if (strcmp(a, "--") == 0 || !looks_like_option(a)) {
            errmsg("unrecognized arguments (anonip takes options only)");
            return EX_USAGE;
        }
        if (a[1] == '-') {
            const char *eq = strchr(a + 2, '=');
            id = find_long(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
            if (id == -2) {
                errmsg("ambiguous option: %s", a);
                return EX_USAGE;
            }
            if (id < 0) {
                errmsg("unrecognized option: %s", a);
                return EX_USAGE;
            }
            if (eq) {
                if (optdefs[id].kind == FLAG) {
                    errmsg("argument %s: ignored explicit argument", optdefs[id].label);
                    return EX_USAGE;
                }
                attached = eq + 1;
            }
        } else {
            /* A cluster of short flags, possibly ending in one with a value. */
            const char *c = a + 1;
            for (;;) {
                id = find_short(*c);
                if (id < 0) {
                    errmsg("unrecognized option: -%c", *c);
                    return EX_USAGE;
                }
                if (optdefs[id].kind != FLAG) {
                    if (c[1])
                        attached = c[1] == '=' ? c + 2 : c + 1;
                    break;
                }
                if (!set_flag(o, id))
                    return -1;
                if (!c[1])
                    break;
                if (c[1] == '=') {
                    errmsg("argument %s: ignored explicit argument", optdefs[id].label);
                    return EX_USAGE;
                }
                c++;
            }
            if (optdefs[id].kind == FLAG)
                continue;
        }

        switch (optdefs[id].kind) {
        case FLAG:
            if (!set_flag(o, id))
                return -1;
            break;
        case ONE: {
            const char *val = attached;
            if (!val) {
                if (i + 1 >= argc || looks_like_option(argv[i + 1]) || strcmp(argv[i + 1], "--") == 0)
                    return bad_arg(&optdefs[id], "expected one argument");
                val = argv[++i];
            }
            int rc = set_value(o, id, val);
            if (rc != EX_OK)
                return rc;
            break;
        }
        case MANY:
            /* A repeated option replaces the earlier list, as in argparse. */
            if (id == O_COL) {
                o->ncols = 0;
                o->cols_set = true;
            } else {
                o->nregex = 0;
            }
            if (attached) {
                int rc = set_value(o, id, attached);
                if (rc != EX_OK)
                    return rc;
                break;
            }
            if (i + 1 >= argc || looks_like_option(argv[i + 1]) || strcmp(argv[i + 1], "--") == 0)
                return bad_arg(&optdefs[id], "expected at least one argument");
            while (i + 1 < argc && !looks_like_option(argv[i + 1]) && strcmp(argv[i + 1], "--") != 0) {
                int rc = set_value(o, id, argv[++i]);
                if (rc != EX_OK)
                    return rc;
            }
            break;
        }
    }
    if (o->nregex && (o->cols_set || o->delim_set)) {
        errmsg("ambiguous arguments: when using \"--regex\", \"-c\" and \"-l\" can't be used");
        return EX_USAGE;
    }
    if (!o->nregex && !o->cols_set) {
        o->cols[0] = 0;
        o->ncols = 1;
    }
    if (!o->delim_set) {
        o->delim = " ";
        o->delim_len = 1;
    }
    if (o->delim_len == 0) {
        /* anonip 1.1 accepts it and then crashes on the first line. */
        errmsg("argument -l/--delimiter: must not be empty");
        return EX_USAGE;
    }
    return EX_OK;
}

/* ---- the filter --------------------------------------------------------- */

struct ctx {
    struct opts o;
    unsigned p4, p6; /* prefixes kept: 32 - v4mask, 128 - v6mask */

    /* column mode: distinct columns in ascending order, one text each */
    size_t *slot_idx;
    text *slot_text;
    bool *slot_present;
    size_t nslots;
    size_t *item_slot; /* o.cols[i] lives in slot item_slot[i] */
    size_t *fb;        /* field bounds: start, end pairs */
    size_t fbcap;

    pcre2_code *re;
    pcre2_match_data *md;
    uint32_t ngroups;

    text line, scratch, host;
    uint64_t lineno;

    int in_fd;
    reader *in;
    int out_fd;
    writer *out;
    bool line_buffered;
    bool broken_pipe; /* the output pipe closed: write nothing more, exit 0 */
    int rc;           /* a failure in flush_before_read, for run() */
};

static void dbg(const struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* -d: a note about the current line, by number only. */
static void dbg(const struct ctx *c, const char *fmt, ...)
{
    if (!c->o.debug)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "logscrub: line %llu: ", (unsigned long long)c->lineno);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* A failed write: a closed pipe sets broken_pipe and is EX_OK (the run ends
 * quietly after the line), anything else is EX_IOERR with a message.  The
 * writer is not used again either way. */
static int out_failed(struct ctx *c)
{
    int e = writer_errno(c->out);
    if (e == EPIPE) {
        c->broken_pipe = true;
        return EX_OK;
    }
    errmsg("write error: %s", strerror(e));
    return EX_IOERR;
}

/* Appends n bytes to the output.  EX_OK or EX_IOERR (see out_failed). */
static int out_put(struct ctx *c, const char *p, size_t n)
{
    if (c->broken_pipe || writer_put(c->out, p, n) == 0)
        return EX_OK;
    return out_failed(c);
}

/* Writes out what is buffered.  EX_OK or EX_IOERR (see out_failed). */
static int out_flush(struct ctx *c)
{
    if (c->broken_pipe || writer_flush(c->out) == 0)
        return EX_OK;
    return out_failed(c);
}

/* SIGHUP: switch -o FILE to a fresh open of its path (log rotation),
 * between lines.  EX_OK, EX_IOERR, or EX_CANTCREAT when the path cannot be
 * opened: this front end then stops, after flushing what it processed to
 * the old file (the main filter writes on to the old file instead). */
static int reopen_output(struct ctx *c)
{
    got_hup = 0;
    if (!c->o.output || c->broken_pipe)
        return EX_OK;
    switch (output_reopen(c->o.output, c->out, &c->out_fd)) {
    case OUTPUT_OPEN_FAILED: {
        int e = errno;
        int rc = out_flush(c);
        if (rc != EX_OK)
            return rc;
        errmsg("cannot open output %s: %s", c->o.output, strerror(e));
        return EX_CANTCREAT;
    }
    case OUTPUT_WRITE_FAILED:
        return out_failed(c);
    default:
        return EX_OK;
    }
}

/* The reader's refill hook.  Before every read(2), which may block, all
 * processed lines go out (on a pipe or a file alike, as anonip does), and
 * signals that came in meanwhile are acted on.  After a failure, a closed
 * pipe or SIGTERM the read is not made: the reader stops. */
static void flush_before_read(void *arg)
{
    struct ctx *c = arg;
    if (c->rc == EX_OK)
        c->rc = out_flush(c);
    if (c->rc == EX_OK && got_hup)
        c->rc = reopen_output(c);
    if (c->rc != EX_OK || c->broken_pipe || got_term)
        reader_stop(c->in);
}

/* anonip's extract_ip on one value: first the whole value as a network,
 * then urlparse("//" + value).hostname (lower-cased) after dropping one
 * trailing ']'.  Returns 1 with *needle the text anonip will replace (the
 * value itself or c->host) and *ip, *plen the network; 0 when anonip finds
 * no address; -1 when out of memory. */
static int anon_extract(struct ctx *c, const char *v, size_t n, const char **needle, size_t *nlen,
                         ipaddr *ip, unsigned *plen)
{
    if (py_network(v, n, ip, plen)) {
        *needle = v;
        *nlen = n;
        return 1;
    }
    if (n >= 1 && ((v[0] == '[' && n >= 2 && v[n - 1] == ']' && v[n - 2] == ']') ||
                   (v[0] != '[' && v[n - 1] == ']')))
        n--;

    /* urlsplit: drop "\t\r\n" anywhere, netloc ends at '/', '?' or '#'. */
    text *h = &c->host;
    h->len = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = v[i];
        if (ch == '/' || ch == '?' || ch == '#')
            break;
        if (ch != '\t' && ch != '\r' && ch != '\n' && !text_put(h, &ch, 1))
            return -1;
    }
    const char *nl = h->p;
    size_t nn = h->len;
    bool lb = nn && memchr(nl, '[', nn), rb = nn && memchr(nl, ']', nn);
    if (lb != rb)
        return false; /* "Invalid IPv6 URL" */

    const char *hp = nl;
    size_t hn = nn;
    for (size_t i = nn; i > 0; i--)
        if (nl[i - 1] == '@') {
            hp = nl + i;
            hn = nn - i;
            break;
        }
    const char *host, *open = hn ? memchr(hp, '[', hn) : NULL;
    size_t hostn;
    if (open) {
        const char *br = open + 1;
        size_t bn = hn - (size_t)(br - hp);
        const char *close = memchr(br, ']', bn);
        host = br;
        hostn = close ? (size_t)(close - br) : bn;
        if (lb && open != hp)
            return false; /* text before '[' */
        if (lb && close && close + 1 < hp + hn && close[1] != ':')
            return false; /* text between ']' and the port */
    } else {
        const char *colon = hn ? memchr(hp, ':', hn) : NULL;
        host = hp;
        hostn = colon ? (size_t)(colon - hp) : hn;
    }
    if (lb) {
        /* _check_bracketed_host wants an IPv6 address or an IPvFuture
         * ("v..."); the latter never parses as an address afterwards. */
        if (py_address_family(host, hostn) != 6)
            return false;
    }
    if (hostn == 0)
        return false;

    /* .hostname: lower-cased up to the zone.  Written over the netloc copy,
     * which is no longer needed (host points into it, at or after 0). */
    const char *pct = memchr(host, '%', hostn);
    size_t lower_n = pct ? (size_t)(pct - host) : hostn;
    memmove(h->p, host, hostn);
    for (size_t i = 0; i < lower_n; i++)
        if (h->p[i] >= 'A' && h->p[i] <= 'Z')
            h->p[i] = (char)(h->p[i] + ('a' - 'A'));
    if (!py_network(h->p, hostn, ip, plen))
        return false;
    *needle = h->p;
    *nlen = hostn;
    return 1;
}

/* anonip's process_ip, without its crash: -p keeps private addresses, the
 * rest is truncated and incremented.  A network with a prefix shorter than
 * the mask (anonip 1.1 dies on it) gets the same treatment as a longer one.
 * An IPv4-mapped address keeps no more bits than the IPv4 rule allows.
 * Can't fail. */
static void anon_process(struct ctx *c, ipaddr *ip, unsigned plen)
{
    if (c->o.skip_private && py_private(ip))
        return;
    unsigned keep = ip->family == 4 ? c->p4 : c->p6;
    if (ip->mapped && 96 + c->p4 < keep)
        keep = 96 + c->p4;
    if (plen < keep)
        dbg(c, "network shorter than the mask (anonip 1.1 crashes here); masked");
    mask_bits(ip, keep);
    if (!c->o.has_inc)
        return;
    /* Python: trunc_ip + increment, left as is when out of range. */
    uint8_t sum[16];
    unsigned carry = 0;
    for (int k = 15; k >= 0; k--) {
        unsigned x = ip->a[k] + c->o.inc[k] + carry;
        sum[k] = (uint8_t)x;
        carry = x >> 8;
    }
    bool over = carry || c->o.inc_huge;
    if (ip->family == 4)
        for (int k = 0; k < 12; k++)
            over = over || sum[k];
    if (over) {
        dbg(c, "increment out of range; address left truncated");
        return;
    }
    memcpy(ip->a, sum, 16);
}

/* One anonip value step.  In column mode value is t itself and a miss with
 * -r replaces all of t; in regex mode value is a group of the original line
 * and replacements go through the whole of t.  Returns false when out of
 * memory. */
static bool anon_value(struct ctx *c, text *t, const char *v, size_t n, bool column_mode,
                       const char *what, size_t which)
{
    const char *needle;
    size_t nlen;
    ipaddr ip;
    unsigned plen;
    char buf[IP_TEXT_MAX];

    int found = anon_extract(c, v, n, &needle, &nlen, &ip, &plen);
    if (found < 0)
        return false;
    if (found) {
        anon_process(c, &ip, plen);
        size_t bn = py_format(&ip, buf);
        if (!text_replace_all(&c->scratch, t, needle, nlen, buf, bn))
            return false;
        text_swap(&c->scratch, t);
        return true;
    }
    const char *r = c->o.replace;
    if (!r || !*r) {
        dbg(c, "%s %zu: no address (left for the scanner)", what, which);
        return true;
    }
    dbg(c, "%s %zu: no address, replaced", what, which);
    size_t rn = strlen(r);
    if (column_mode) {
        t->len = 0;
        t->nsp = 0;
        return text_put(t, r, rn) && text_span(t, 0, rn);
    }
    if (!text_replace_all(&c->scratch, t, v, n, r, rn))
        return false;
    text_swap(&c->scratch, t);
    return true;
}

/* Column mode: split on the delimiter as far as the last configured
 * column, run anonip's steps in the order given (repeats included), join
 * into c->line.  False when out of memory. */
static bool anon_columns(struct ctx *c, const char *p, size_t n)
{
    const size_t maxcol = c->slot_idx[c->nslots - 1];
    const char *d = c->o.delim;
    const size_t dl = c->o.delim_len;
    size_t nf = 0, pos = 0;

    for (;;) {
        if (nf == c->fbcap) {
            size_t cap = c->fbcap ? c->fbcap * 2 : 64;
            size_t *nb = realloc(c->fb, cap * 2 * sizeof *nb);
            if (!nb)
                return false;
            c->fb = nb;
            c->fbcap = cap;
        }
        const char *hit = memmem(p + pos, n - pos, d, dl);
        size_t end = hit ? (size_t)(hit - p) : n;
        c->fb[2 * nf] = pos;
        c->fb[2 * nf + 1] = end;
        nf++;
        if (!hit || nf > maxcol)
            break;
        pos = end + dl;
    }
    for (size_t s = 0; s < c->nslots; s++) {
        size_t k = c->slot_idx[s];
        text *t = &c->slot_text[s];
        t->len = 0;
        t->nsp = 0;
        c->slot_present[s] = k < nf;
        if (k < nf && !text_put(t, p + c->fb[2 * k], c->fb[2 * k + 1] - c->fb[2 * k]))
            return false;
    }
    for (size_t i = 0; i < c->o.ncols; i++) {
        size_t s = c->item_slot[i];
        text *t = &c->slot_text[s];
        if (!c->slot_present[s]) {
            dbg(c, "column %zu does not exist", c->slot_idx[s] + 1);
            continue;
        }
        if (t->len == 0)
            continue;
        /* The value is t's own text: anon_value reads it before it writes. */
        if (!anon_value(c, t, t->p, t->len, true, "column", c->slot_idx[s] + 1))
            return false;
    }
    text *out = &c->line;
    out->len = 0;
    out->nsp = 0;
    size_t s = 0;
    for (size_t k = 0; k < nf; k++) {
        if (k > 0 && !text_put(out, p + c->fb[2 * k - 1], c->fb[2 * k] - c->fb[2 * k - 1]))
            return false;
        while (s < c->nslots && c->slot_idx[s] < k)
            s++;
        bool ok = s < c->nslots && c->slot_idx[s] == k
                      ? text_append(out, &c->slot_text[s])
                      : text_put(out, p + c->fb[2 * k], c->fb[2 * k + 1] - c->fb[2 * k]);
        if (!ok)
            return false;
    }
    return text_put(out, p + c->fb[2 * nf - 1], n - c->fb[2 * nf - 1]);
}

/* Regex mode: anchored match on the original line; each distinct
 * non-empty group is handled once, in group order (anonip walks a Python
 * set, whose order varies from run to run).  Result in c->line. */
static bool anon_regex(struct ctx *c, const char *p, size_t n)
{
    text *t = &c->line;
    t->len = 0;
    t->nsp = 0;
    if (!text_put(t, p, n))
        return false;
    int rc = pcre2_match(c->re, (PCRE2_SPTR)p, n, 0, 0, c->md, NULL);
    if (rc < 0) {
        if (rc != PCRE2_ERROR_NOMATCH)
            dbg(c, "regex match failed (%d); line left for the scanner", rc);
        return true;
    }
    const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(c->md);
    for (uint32_t g = 1; g <= c->ngroups && g < (uint32_t)rc; g++) {
        if (ov[2 * g] == PCRE2_UNSET || ov[2 * g + 1] == ov[2 * g])
            continue;
        const char *v = p + ov[2 * g];
        size_t vn = ov[2 * g + 1] - ov[2 * g];
        bool seen = false;
        for (uint32_t h = 1; h < g && !seen; h++)
            seen = ov[2 * h] != PCRE2_UNSET && ov[2 * h + 1] - ov[2 * h] == vn &&
                   memcmp(p + ov[2 * h], v, vn) == 0;
        if (!seen && !anon_value(c, t, v, vn, false, "group", g))
            return false;
    }
    return true;
}

/* The privacy pass: writes t to the output with every address outside
 * anonip's spans truncated (ipaddr's canonical text, zone ids kept). */
static int scan_out(struct ctx *c, const text *t)
{
    size_t pos = 0, from = 0, si = 0, masked = 0;
    ipmatch m;
    int rc;
    while (ip_scan(t->p, t->len, from, &m)) {
        from = m.zone_end > m.start ? m.zone_end : m.start + 1;
        while (si < t->nsp && t->sp[si].e <= m.start)
            si++;
        if (si < t->nsp && t->sp[si].s <= m.start && m.end <= t->sp[si].e)
            continue; /* anonip's own output */
        if (c->o.skip_private && py_private(&m.addr))
            continue;
        char buf[IP_MATCH_TEXT_MAX];
        size_t bn = ip_truncate_match(&m, c->p4, c->p6, buf);
        if ((rc = out_put(c, t->p + pos, m.start - pos)) != EX_OK || (rc = out_put(c, buf, bn)) != EX_OK)
            return rc;
        pos = m.end;
        masked++;
    }
    if (masked)
        dbg(c, "%zu address(es) masked outside anonip's reach", masked);
    return out_put(c, t->p + pos, t->len - pos);
}

/* Python's str.rstrip(): the length without trailing Unicode whitespace
 * (ASCII, U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F,
 * U+205F, U+3000 in UTF-8). */
static size_t py_rstrip(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    while (n) {
        unsigned char b = u[n - 1];
        if (b == ' ' || (b >= '\t' && b <= '\r') || (b >= 0x1c && b <= 0x1f)) {
            n--;
        } else if (n >= 2 && u[n - 2] == 0xc2 && (b == 0x85 || b == 0xa0)) {
            n -= 2;
        } else if (n >= 3 && ((u[n - 3] == 0xe1 && u[n - 2] == 0x9a && b == 0x80) ||
                              (u[n - 3] == 0xe2 && u[n - 2] == 0x80 &&
                               (b <= 0x8a || b == 0xa8 || b == 0xa9 || b == 0xaf) && b >= 0x80) ||
                              (u[n - 3] == 0xe2 && u[n - 2] == 0x81 && b == 0x9f) ||
                              (u[n - 3] == 0xe3 && u[n - 2] == 0x80 && b == 0x80))) {
            n -= 3;
        } else {
            break;
        }
    }
    return n;
}

/* One input line to one output line (always newline-terminated, as
 * anonip's print() does). */
static int process_line(struct ctx *c, const char *p, size_t n)
{
    int rc;
    n = py_rstrip(p, n);
    if (n > 0) {
        bool ok = c->re ? anon_regex(c, p, n) : anon_columns(c, p, n);
        if (!ok) {
            errmsg("out of memory");
            return EX_SOFTWARE;
        }
        if ((rc = scan_out(c, &c->line)) != EX_OK)
            return rc;
    }
    return out_put(c, "\n", 1);
}

/* A line of MAX_LINE bytes or more: its first n (MAX_LINE) bytes at p cut
 * back to just after their last space or tab, scanned, then a marker
 * counting those and the `rest` the reader dropped; never raw. */
static int process_cut(struct ctx *c, const char *p, size_t n, uint64_t rest)
{
    size_t keep = n;
    while (keep > 0 && p[keep - 1] != ' ' && p[keep - 1] != '\t')
        keep--;
    uint64_t dropped = n - keep + rest;
    text *t = &c->line;
    t->len = 0;
    t->nsp = 0;
    int rc;
    dbg(c, "longer than %zu bytes; cut", MAX_LINE);
    if (!text_put(t, p, keep)) {
        errmsg("out of memory");
        return EX_SOFTWARE;
    }
    if ((rc = scan_out(c, t)) != EX_OK)
        return rc;
    char mark[64];
    int mn = snprintf(mark, sizeof mark, "[logscrub: %llu bytes cut]\n", (unsigned long long)dropped);
    return out_put(c, mark, (size_t)mn);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Builds the column slots or compiles the regex.  EX_OK, EX_USAGE or
 * EX_SOFTWARE. */
static int setup(struct ctx *c)
{
    struct opts *o = &c->o;
    if (o->nregex) {
        const uint32_t flags = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
        int err;
        PCRE2_SIZE off, total = 0;
        PCRE2_UCHAR msg[256];
        for (size_t i = 0; i < o->nregex; i++) {
            pcre2_code *re = pcre2_compile((PCRE2_SPTR)o->regex[i], PCRE2_ZERO_TERMINATED, flags, &err,
                                           &off, NULL);
            if (!re) {
                pcre2_get_error_message(err, msg, sizeof msg);
                errmsg("argument --regex: must be a valid regex. Error: %s at offset %zu", (char *)msg,
                       (size_t)off);
                return EX_USAGE;
            }
            pcre2_code_free(re);
            total += strlen(o->regex[i]) + 1;
        }
        /* re.match on "|".join(regexes): anchored at the start only. */
        char *joined = malloc(total + 1); /* + 1: room for the NUL with no regex */
        if (!joined)
            return EX_SOFTWARE;
        joined[0] = '\0';
        for (size_t i = 0; i < o->nregex; i++) {
            if (i)
                strcat(joined, "|");
            strcat(joined, o->regex[i]);
        }
        c->re = pcre2_compile((PCRE2_SPTR)joined, PCRE2_ZERO_TERMINATED, flags | PCRE2_ANCHORED, &err,
                              &off, NULL);
        free(joined);
        if (!c->re) {
            errmsg("failed to compile concatenated regex");
            return EX_USAGE;
        }
        pcre2_jit_compile(c->re, PCRE2_JIT_COMPLETE); /* optional speed-up */
        c->md = pcre2_match_data_create_from_pattern(c->re, NULL);
        if (!c->md || pcre2_pattern_info(c->re, PCRE2_INFO_CAPTURECOUNT, &c->ngroups) != 0)
            return EX_SOFTWARE;
        return EX_OK;
    }
    size_t *sorted = malloc(o->ncols * sizeof *sorted);
    c->slot_idx = malloc(o->ncols * sizeof *c->slot_idx);
    c->slot_text = calloc(o->ncols, sizeof *c->slot_text);
    c->slot_present = calloc(o->ncols, sizeof *c->slot_present);
    c->item_slot = malloc(o->ncols * sizeof *c->item_slot);
    if (!sorted || !c->slot_idx || !c->slot_text || !c->slot_present || !c->item_slot) {
        free(sorted);
        return EX_SOFTWARE;
    }
    memcpy(sorted, o->cols, o->ncols * sizeof *sorted);
    qsort(sorted, o->ncols, sizeof *sorted, cmp_size);
    for (size_t i = 0; i < o->ncols; i++)
        if (i == 0 || sorted[i] != sorted[i - 1])
            c->slot_idx[c->nslots++] = sorted[i];
    free(sorted);
    for (size_t i = 0; i < o->ncols; i++)
        for (size_t s = 0; s < c->nslots; s++)
            if (c->slot_idx[s] == o->cols[i])
                c->item_slot[i] = s;
    return EX_OK;
}

static void teardown(struct ctx *c)
{
    for (size_t s = 0; s < c->nslots; s++)
        text_free(&c->slot_text[s]);
    free(c->slot_idx);
    free(c->slot_text);
    free(c->slot_present);
    free(c->item_slot);
    free(c->fb);
    pcre2_match_data_free(c->md);
    pcre2_code_free(c->re);
    text_free(&c->line);
    text_free(&c->scratch);
    text_free(&c->host);
    reader_free(c->in);
    writer_free(c->out);
    free(c->o.cols);
    free(c->o.regex);
}

static int run(struct ctx *c)
{
    int rc;
    rline l;
    for (;;) {
        if (got_hup && (rc = reopen_output(c)) != EX_OK)
            return rc;
        if (got_term)
            reader_stop(c->in); /* finish what is buffered, read no more */
        int r = reader_next(c->in, &l);
        if (c->rc != EX_OK)
            return c->rc; /* flush_before_read failed */
        if (r == RD_EOF)
            break;
        if (r == RD_INTR)
            continue;
        if (r == RD_ERR) {
            errmsg("%s", reader_error(c->in)); /* "read error: ..." */
            return EX_IOERR;
        }
        c->lineno++;
        /* anonip's own reader cut a line at MAX_LINE bytes, one of exactly
         * MAX_LINE included; io's cuts only longer ones. */
        if (l.cut || l.len >= MAX_LINE)
            rc = process_cut(c, l.p, l.len, l.cut ? l.dropped : 0);
        else
            rc = process_line(c, l.p, l.len);
        if (rc != EX_OK)
            return rc;
        if (c->line_buffered && (rc = out_flush(c)) != EX_OK)
            return rc;
        if (c->broken_pipe)
            return EX_OK;
    }
    return out_flush(c);
}

int anonip_main(int argc, char **argv)
{
    struct ctx c;
    int rc;

    memset(&c, 0, sizeof c);
    c.o.v4mask = 12;
    c.o.v6mask = 84;
    c.in_fd = STDIN_FILENO;
    c.out_fd = STDOUT_FILENO;
    c.rc = EX_OK;

    rc = parse_args(argc, argv, &c.o);
    if (rc == -1) {
        teardown(&c);
        return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
    }
    if (rc == EX_OK && (rc = setup(&c)) == EX_SOFTWARE)
        errmsg("out of memory");
    if (rc != EX_OK) {
        teardown(&c);
        return rc;
    }
    c.p4 = 32 - c.o.v4mask;
    c.p6 = 128 - c.o.v6mask;
    install_signals();

    if (c.o.input) {
        c.in_fd = open(c.o.input, O_RDONLY | O_CLOEXEC);
        if (c.in_fd < 0) {
            errmsg("cannot open input %s: %s", c.o.input, strerror(errno));
            rc = EX_NOINPUT;
            goto cleanup;
        }
    }
    if (c.o.output) {
        c.out_fd = output_open(c.o.output);
        if (c.out_fd < 0) {
            errmsg("cannot open output %s: %s", c.o.output, strerror(errno));
            rc = EX_CANTCREAT;
            goto cleanup;
        }
    }
    c.in = reader_new(MAX_LINE);
    c.out = writer_new(c.out_fd, false);
    if (!c.in || !c.out) {
        errmsg("out of memory");
        rc = EX_SOFTWARE;
        goto cleanup;
    }
    /* anonip reads text: no gzip detection.  With --input, Python's
     * universal newlines end a line at a bare CR too. */
    reader_set_options(c.in, RD_NO_GZIP | (c.o.input ? RD_UNIVERSAL_NEWLINES : 0));
    /* The reader's messages are "<name>: <strerror>"; anonip's is
     * "read error: <strerror>". */
    reader_open(c.in, c.in_fd, "read error");
    reader_on_refill(c.in, flush_before_read, &c);
    c.line_buffered = interactive(c.out_fd); /* someone waits on each line */

    rc = run(&c);

cleanup:
    if (c.o.input && c.in_fd >= 0)
        close(c.in_fd);
    if (c.o.output && c.out_fd >= 0 && close(c.out_fd) != 0 && rc == EX_OK) {
        errmsg("cannot close output %s: %s", c.o.output, strerror(errno));
        rc = EX_IOERR;
    }
    teardown(&c);
    return rc;
}
