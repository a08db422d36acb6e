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
    IP_FORM_V6_URL       /* URL-encoded, each ':' written "%3A" (query strings) */
};

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
    enum ip_form form;
} ipmatch;

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
 * `from`.  Token boundaries are respected: "1.2.3.4.5", "v1.2.3.4beta",
 * MAC addresses and "12:34:56" are not addresses; "%2C", "\t" and "\u003c"
 * escapes before an address are boundaries; an unbracketed IPv6 address
 * followed by a five-digit decimal port (Apache: "::1:44580") is found
 * without the port; a URL-encoded one ("2001%3Adb8%3A%3A1") is found with
 * form IP_FORM_V6_URL, and its text does not parse with ip_parse_v6.  Returns true and fills *m, or false when there is none.
 * To iterate, call again with from = m->end. */
bool ip_scan(const char *s, size_t len, size_t from, ipmatch *m);

/* Zeroes every bit after the prefix: IPv4 and IPv4-mapped addresses keep
 * v4_prefix bits of the IPv4 part, other IPv6 addresses keep v6_prefix bits.
 * This function can't fail. */
void ip_truncate(ipaddr *ip, unsigned v4_prefix, unsigned v6_prefix);

/* True for addresses that say nothing about a person: private (RFC 1918,
 * RFC 6598 shared, fc00::/7), loopback, link-local, unspecified (0.0.0.0/8,
 * ::), limited broadcast and documentation ranges (RFC 5737, RFC 3849,
 * RFC 9637).  IPv4-mapped addresses are
 * judged by their IPv4 part. */
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
