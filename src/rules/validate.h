/* validate.h -- checksum and shape validators for PII rule candidates:
 * payment cards (Luhn), IBANs, German tax IDs (Steuer-ID) and IP addresses.
 *
 * A rule's regex finds a candidate; its validator decides whether the
 * candidate is the real thing.  They run on every regex candidate, so they
 * are cheap: one pass over the text, no allocation, no locale, no state.
 * All of them are safe to call from any thread.
 *
 * Inputs are (pointer, length) and never NUL-terminated; s may be NULL
 * when len is 0.  The whole of s[0, len) must be the candidate: leading or
 * trailing spaces, brackets or other text make a validator return false.
 */
#ifndef LS_VALIDATE_H
#define LS_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

/* A validator: true when s[0, len) is a valid value of its kind. */
typedef bool (*validator_fn)(const char *s, size_t len);

/* Payment card number: 13 to 19 digits that pass the Luhn mod 10 check.
 * A single space or '-' may separate any two digits and is ignored; a
 * separator at either end or two in a row is rejected.  Numbers made of one
 * digit repeated ("0000 0000 0000 0000") are rejected: they pass Luhn but
 * are fill patterns, not cards.  The issuer prefix (IIN) is not checked. */
bool valid_luhn(const char *s, size_t len);

/* IBAN (ISO 13616): a country code with an IBAN in the registry, two check
 * digits from 02 to 98, then an alphanumeric BBAN, the whole exactly the
 * registry length for that country and congruent to 1 mod 97 after moving
 * the first four characters to the end (ISO 7064 MOD 97-10).  Letters may
 * be upper or lower case.  A single space may separate any two characters
 * (the "DE89 3704 ..." print form) and is ignored; a space at either end or
 * two in a row is rejected.  The per-country BBAN layout is not checked. */
bool valid_iban(const char *s, size_t len);

/* German tax identification number (steuerliche Identifikationsnummer,
 * IdNr): 11 digits, a single space allowed between any two (not at the
 * ends, not doubled).  The first digit is not 0.  In the first 10 digits
 * exactly one digit occurs twice or three times and every other digit at
 * most once; a digit that occurs three times must not fill three adjacent
 * positions.  The 11th digit is the ISO 7064 MOD 11,10 check digit. */
bool valid_steuer_id(const char *s, size_t len);

/* IPv4 dotted quad, exactly as ip_parse_v4 (src/ipaddr.h) accepts it. */
bool valid_ipv4(const char *s, size_t len);

/* IPv6 address in any RFC 4291 text form, exactly as ip_parse_v6 accepts it
 * (no brackets, no zone id). */
bool valid_ipv6(const char *s, size_t len);

/* Looks a validator up by its policy name: "luhn", "iban", "steuer-id",
 * "ipv4" or "ipv6", compared case-sensitively over exactly name[0, len).
 * Returns NULL for any other name, a prefix ("luh") or a longer string
 * ("luhnx") included. */
validator_fn validator_find(const char *name, size_t len);

#endif /* LS_VALIDATE_H */
