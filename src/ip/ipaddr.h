/* ipaddr.h -- IP addresses: parsing text forms, finding them in free text,
 * truncating them to a prefix and formatting them back.
 *
 * Everything here works on (pointer, length) text and never allocates.
 * It owns no state, so it is safe to call from any thread.
 */
#ifndef LS_IPADDR_H
#define LS_IPADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One address.  IPv4 lives in a[12..15] with family 4 (a[0..11] zero), so a
 * v4 address and its IPv4-mapped v6 form differ only in `family`, `mapped`. */
typedef struct ipaddr {
    uint8_t a[16];
    uint8_t family; /* 4 or 6 */
    bool mapped;    /* family 6 and in ::ffff:0:0/96: truncated by the v4 rule */
} ipaddr;

/* Longest text ip_format writes, without a terminating NUL:
 * "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" is 45 bytes. */
#define IP_TEXT_MAX 46

/* Longest text ip_format_as writes: the same with each ':' as "%3A". */
#define IP_TEXT_MAX_AS (IP_TEXT_MAX + 2 * 7)

/* How an address was written, for callers that keep the original style. */
enum ip_form {
    IP_FORM_V4 = 1,      /* dotted quad */
    IP_FORM_V6,          /* hex groups only */
    IP_FORM_V6_DOTTED,   /* hex groups ending in a dotted quad */
    IP_FORM_V4_REVERSED, /* "4.3.2.1" before ".in-addr.arpa": addr holds 1.2.3.4 */
    IP_FORM_V6_URL,      /* URL-encoded, each ':' written "%3A" (query strings) */
    IP_FORM_V4_FIVE,     /* five dotted numbers ("IP.port", "1.IP"): addr holds the
                          * first four, addr2 the last four; both are masked */
    IP_FORM_V4_EITHER,   /* a dotted quad between host name labels
                          * ("static.4.3.2.1.example"): addr holds it as
                          * written, addr2 reversed; both are masked */
    IP_FORM_V6_NIBBLE,   /* the 32 nibbles of an ".ip6.arpa" name, reversed */
    IP_FORM_V4_NUM_LAST, /* five dotted numbers, the first four an address and
                          * the last (num) none: "1.2.3.4.52344" */
    IP_FORM_V4_NUM_FIRST /* the same with the first none: "489.0.0.59.79" */
};

/* How the characters of an address were spelled, for writing them back the
 * same way: separators and digits each keep the spelling of their first. */
enum ip_enc {
    IP_ENC_LIT = 0, /* as themselves */
    IP_ENC_PCT,     /* "%2E" */
    IP_ENC_PCT25,   /* "%252E", URL-encoded twice */
    IP_ENC_U,       /* "\u002e", JSON */
    IP_ENC_X,       /* "\x2e" */
    IP_ENC_BSL,     /* "\." (separators only) */
    IP_ENC_DEC,     /* "&#46;" */
    IP_ENC_HEXENT,  /* "&#x2e;" */
    IP_ENC_NAMED,   /* "&period;", "&colon;" (separators only) */
    IP_ENC_DASH     /* '-' for each separator, as in host names
                     * ("ip-1-2-3-4", "2001-db8--1") */
};

/* Longest text ip_format_match writes: every character escaped, at most
 * eight bytes each ("&period;"), for the longest address and a fifth
 * number or 63 bytes of nibbles. */
#define IP_MATCH_TEXT_MAX (8 * (IP_TEXT_MAX + 20))

/* A found address: text[start, end) is the address itself.  A zone id such
 * as "%eth0" or "%25eth0" that follows is reported as [end, zone_end)
 * (zone_end == end without one) but is not consumed: the scan goes on right
 * after the address, so text glued to the zone is still scanned.  Brackets
 * and ports are outside the match. */
typedef struct ipmatch {
    size_t start;
    size_t end;
    size_t zone_end;
    ipaddr addr;
    ipaddr addr2; /* the other reading of a two-way form (ip_two_way) */
    enum ip_form form;
    uint8_t enc_sep;  /* enum ip_enc of the separators */
    uint8_t enc_dig;  /* enum ip_enc of the digits */
    bool enc_upper;   /* escapes wrote hex digits in upper case */
    uint8_t num_len;  /* IP_FORM_V4_NUM_*: the number that is no octet, */
    char num[5];      /* as written (1-5 digits), kept as it is */
} ipmatch;

/* Is the match read two ways (addr and addr2), both of which are masked? */
static inline bool ip_two_way(const ipmatch *m)
{
    return m->form == IP_FORM_V4_FIVE || m->form == IP_FORM_V4_EITHER;
}

/* Parses s[0, len) as exactly one dotted-quad IPv4 address (1-3 decimal
 * digits per octet, leading zeros allowed and read as decimal).  Returns
 * true and fills *out on success; false leaves *out undefined. */
bool ip_parse_v4(const char *s, size_t len, ipaddr *out);

/* Parses s[0, len) as exactly one IPv6 address in any RFC 4291 text form
 * (upper or lower case, "::", trailing dotted quad).  No brackets, no zone.
 * Unlike ip_scan, this accepts "::" and "x::" (the scanner leaves those
 * alone in free text, where they are mostly C++ scopes).
 * Returns true and fills *out on success. */
bool ip_parse_v6(const char *s, size_t len, ipaddr *out);

/* Finds the first address in s[from, len) whose text starts at or after
 * `from`.  When in doubt it reports an address: a leak is worse than a
 * masked version number.  Token boundaries are respected where they tell
 * an address from something else: "1.2.3.4.5.6", MAC addresses, hex dumps
 * and "12:34:56" are not addresses; letters glued to an address are not a
 * boundary ("from1.2.3.4ms", "v1.2.3.4beta" are masked); "%2C", "\t" and
 * "\u003c" escapes before an address are boundaries.  Also found:
 * - an unbracketed IPv6 address followed by a port or more groups
 *   ("2001:db8::1:44580", eight groups then ":443"), without what follows;
 * - five dotted numbers whose first or last four are an address
 *   ("1.2.3.4.443", "1.1.2.3.4"), as IP_FORM_V4_FIVE when both readings
 *   are addresses, else IP_FORM_V4_NUM_LAST/FIRST with the whole run in the
 *   match (so a rewrite changes no neighbour's reading);
 * - octets with leading zeros ("0203.0.113.0195", four digits at most);
 * - addresses whose separators or digits are escaped ("1%2E2%2E3%2E4",
 *   "%31.2.3.4", "1%252E2...", "1\u002e2...", "1\x2e2...", "1\.2\.3\.4",
 *   "1&#46;2...", "1&period;2..."), with enc_sep/enc_dig set; a URL-encoded
 *   IPv6 address ("2001%3Adb8%3A%3A1") has form IP_FORM_V6_URL;
 * - addresses spelled in host names with '-' ("ip-1-2-3-4.example",
 *   "2001-db8--1.ipv6.example"; followed by a '.'), enc_sep IP_ENC_DASH;
 *   a dotted quad between labels ("static.4.3.2.1.example") as
 *   IP_FORM_V4_EITHER; ".in-addr.arpa" and ".ip6.arpa" names.
 * The text of a match with an escape or a two-way form does not parse with
 * ip_parse_v4/v6.  Returns true and fills *m, or false when there is none.
 * To iterate, call again with from = m->end. */
bool ip_scan(const char *s, size_t len, size_t from, ipmatch *m);

/* How many leading bits of a[] the prefixes keep: 96 + v4_prefix for IPv4
 * and IPv4-mapped addresses, v6_prefix for other IPv6 addresses, but at most
 * 16 + v4_prefix in 6to4 space (2002::/16), whose bits 16-47 are an IPv4
 * address, when v4_prefix truncates at all (is below 32). */
unsigned ip_keep_bits(const ipaddr *ip, unsigned v4_prefix, unsigned v6_prefix);

/* Zeroes every bit after the prefix (ip_keep_bits): IPv4 and IPv4-mapped addresses keep
 * v4_prefix bits of the IPv4 part, other IPv6 addresses keep v6_prefix bits.
 * This function can't fail. */
void ip_truncate(ipaddr *ip, unsigned v4_prefix, unsigned v6_prefix);

/* For a two-way match whose readings m->addr and m->addr2 have been
 * masked (truncated or pseudonymised; `was` and `was2` are them as found):
 * makes both readings agree on every byte, taking a byte from whichever
 * reading changed it (m->addr on a tie), so the text written hides what
 * either masking hid.  Does nothing for other matches. */
void ip_merge_two(ipmatch *m, const ipaddr *was, const ipaddr *was2);

/* Writes the text that replaces match m, whose address (and addr2) the
 * caller has masked: ip_format_as in the match's form, each character
 * spelled as the original spelled its kind (enc_sep, enc_dig).  `out` holds
 * at least IP_MATCH_TEXT_MAX bytes.  Returns the length. */
size_t ip_format_match(const ipmatch *m, char *out);

/* Truncates both readings of m (ip_truncate, ip_merge_two) and writes its
 * replacement text (ip_format_match).  Returns the length. */
size_t ip_truncate_match(ipmatch *m, unsigned v4_prefix, unsigned v6_prefix, char *out);

/* True for addresses that say nothing about a person: private (RFC 1918,
 * RFC 6598 shared, fc00::/7), loopback, link-local, unspecified (0.0.0.0/8,
 * ::), limited broadcast and documentation ranges (RFC 5737, RFC 3849,
 * RFC 9637).  IPv4-mapped addresses are
 * judged by their IPv4 part; a link-local or unique-local address whose
 * interface id embeds a public IPv4 address (fe80::8.8.4.4,
 * fe80::5efe:8.8.4.4) is not special. */
bool ip_is_special(const ipaddr *ip);

/* Writes the address as text into out (at least IP_TEXT_MAX bytes) and
 * returns the length; no NUL is written.  IPv4 is dotted decimal without
 * leading zeros; IPv6 is RFC 5952 (lower case, longest run of two or more
 * zero groups compressed, leftmost on a tie); IPv4-mapped addresses are
 * written "::ffff:a.b.c.d". */
size_t ip_format(const ipaddr *ip, char *out);

/* Like ip_format, but in the match's own style: an IP_FORM_V4_REVERSED
 * address in reversed octet order (so "4.3.2.1.in-addr.arpa" stays a
 * reverse-DNS name), an IP_FORM_V6_URL one with each ':' as "%3A".  `out`
 * holds at least IP_TEXT_MAX_AS bytes. */
size_t ip_format_as(const ipaddr *ip, enum ip_form form, char *out);

#endif /* LS_IPADDR_H */
