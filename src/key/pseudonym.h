/* pseudonym.h -- keyed pseudonyms (libsodium): the secret key, its key file
 * and its rotation per period, and the two things made with it: tokens for
 * values and prefix-preserving pseudonyms for IP addresses.
 *
 * The key exists so that pseudonyms cannot be recomputed by whoever reads
 * the scrubbed logs (every IPv4 address can be tried against an unkeyed
 * hash), and it rotates so that linkage ends with the period: a new key is
 * drawn from the CSPRNG and the old one is destroyed, after which the old
 * period's pseudonyms cannot be traced back by anyone.
 *
 * Key file: text, mode 0600, exactly one line
 *     "logscrub-key 1 <period-seconds> <period-index> <64 lowercase hex>\n"
 * where period-index = floor(unix_time / period-seconds), so 24 h periods
 * start at 00:00 UTC.  The file is always written whole to a temporary file
 * in the same directory and renamed over the old one, so readers see either
 * the old key or the new one, never a mix.
 *
 * Thread safety: an pskey is read-only after key_open (its memory is
 * even page-protected read-only), so key_token, key_ip and key_due
 * may be called on one key from any number of threads.  key_open may be
 * called from several threads or processes on the same file at once; they
 * all end up with the same key.  key_free must not race with users.
 */
#ifndef LS_PSEUDONYM_H
#define LS_PSEUDONYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ip/ipaddr.h"

typedef struct pskey pskey;

/* Characters in a token: 16 lowercase hex digits, i.e. 64 bits of keyed
 * BLAKE2b.  64 bits keep tokens short in log lines while making an
 * accidental collision within one period negligible (about n^2 / 2^65 for n
 * distinct values: 3e-8 for a million).  Hex rather than base32: no
 * alphabet to explain, and tokens look like nothing else a rule matches. */
#define KEY_TOKEN_LEN 16

/* Size of the buffer key_token writes: room for the token and a NUL,
 * with slack so the format may grow without touching callers. */
#define KEY_TOKEN_MAX 64

/* Opens the key file at `path` for the period of length period_seconds
 * (> 0) that contains the unix time `now`.
 *
 * If the file is missing, a fresh random key is written (mode 0600).  If it
 * holds a key for another period length or another period index (in either
 * direction: a clock set back still rotates), a fresh key replaces it and
 * the old key is gone.  If it holds the key for now's period, that key is
 * used.  When several processes open a stale or missing file at once, they
 * agree on one key: creation uses link(2), which fails if another process
 * won, and replacement happens under flock(2) on the old file, after which
 * losers read the winner's file.
 *
 * Refused, with a message in err and NULL returned:
 *   - a file that group or others can access in any way ("PATH: mode 0640
 *     gives group or others access; a key file must be 0600"),
 *   - a symbolic link or anything but a regular file (rotation renames a
 *     new file over the path, which would replace a link, not its target),
 *   - a file not in the format above ("PATH: not a logscrub key file", or
 *     "PATH: line 1: ..." naming the part that is wrong),
 *   - a directory that is missing, not a directory, or not writable when a
 *     key must be written ("PATH: cannot create: No such file or
 *     directory"),
 *   - a file that cannot be read ("PATH: cannot open: Permission denied").
 * Messages name the file but never contain key material or file content.
 * err may be NULL; a message longer than errlen is cut.
 *
 * Ownership: the caller frees the key with key_free.  key_open calls
 * sodium_init (idempotent and thread-safe) so callers need not. */
pskey *key_open(const char *path, uint64_t period_seconds, uint64_t now, char *err,
                    size_t errlen);

/* A key from 32 given bytes, never due for rotation: for an application
 * that holds its own secret and rotates it itself (ls_policy_set_key), for
 * tests, and for `logscrub check`, whose examples need tokens that do not
 * change.  The bytes are copied; the caller may wipe its copy.  Returns
 * NULL when out of memory.  Real pseudonyms need a secret, random key: one
 * known to the readers of the logs lets them recompute every pseudonym. */
pskey *key_from_bytes(const unsigned char key[32]);

/* True when `now` lies outside the period k was opened for, so the caller
 * should open the key again (key_open rotates the file) and free k.
 * This function can't fail. */
bool key_due(const pskey *k, uint64_t now);

/* Destroys k: the key bytes are wiped (sodium_free zeroes its guarded
 * memory).  Accepts NULL. */
void key_free(pskey *k);

/* Writes the token for v[0, len) into out (at least KEY_TOKEN_MAX bytes):
 * KEY_TOKEN_LEN lowercase hex digits of keyed BLAKE2b (crypto_generichash
 * keyed with k) of the bytes, then a NUL.  Returns KEY_TOKEN_LEN.  Same key
 * and same bytes give the same token; another key gives an unrelated one.
 * v may contain NUL bytes; v may be NULL when len is 0.  This function
 * can't fail. */
size_t key_token(const pskey *k, const char *v, size_t len, char *out);

/* Replaces the host part of *addr with a keyed pseudonym, in place.
 *
 * The first v4_prefix bits of the IPv4 part (family 4, or IPv4-mapped
 * family 6) or v6_prefix bits (other IPv6) are kept, exactly the bits
 * ip_truncate keeps; the others are taken from a keyed BLAKE2b hash of the
 * full 16-byte address and its family, domain-separated from key_token
 * by BLAKE2b personalisation.  So the result is a valid address in the same
 * prefix, the same input gives the same output under one key, and a prefix
 * of 32 (v4) or 128 (v6) leaves the address unchanged.
 *
 * family and mapped never change: an IPv4 or IPv4-mapped address stays one.
 * 1.2.3.4 and ::ffff:1.2.3.4 get the same host bits: one client, logged
 * both ways by a dual-stack server, keeps one pseudonym.  A non-mapped
 * IPv6 result that would fall inside
 * ::ffff:0:0/96 (possible only when v6_prefix < 96 and the kept bits allow
 * it) has bit 95 flipped, so it never reads back as an IPv4-mapped address.
 * addr must be family 4 or 6 as ipaddr.h produces.  This function can't
 * fail. */
void key_ip(const pskey *k, ipaddr *addr, unsigned v4_prefix, unsigned v6_prefix);

#endif /* LS_PSEUDONYM_H */
