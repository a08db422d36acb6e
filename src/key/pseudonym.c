/* pseudonym.c -- the pseudonym key: key file, rotation, tokens, IP
 * pseudonyms.  See pseudonym.h for the file format and the contracts.
 *
 * Owns: the key's memory (sodium_malloc: guard pages, mlock where the
 * limit allows, zeroed by sodium_free) and the key file's life cycle.
 * Does not own: deciding when to rotate (callers ask key_due) or what
 * the tokens are wrapped in (the rule engine adds "<name>:").
 */
#include "key/pseudonym.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define KEY_BYTES crypto_generichash_KEYBYTES /* 32: BLAKE2b's recommended key size */
#define KEY_MAGIC "logscrub-key 1 "           /* magic and format version */

/* Longest valid key file: magic (15) + 20 digits + ' ' + 20 digits + ' '
 * + 64 hex + '\n' = 122 bytes.  Reading one byte more than this tells a
 * too-long file from a valid one. */
#define KEY_FILE_MAX 128

/* Attempts to settle on a key when other processes keep replacing the
 * file under us.  Each lost race means another process wrote a current
 * key, so the second attempt normally succeeds; the bound only stops a
 * pathological loop (say, two clocks a period apart fighting). */
#define OPEN_ATTEMPTS 8

struct pskey {
    uint64_t period; /* period length in seconds, > 0 */
    uint64_t index;  /* which period: floor(now / period) at open */
    unsigned char key[KEY_BYTES];
};

/* BLAKE2b personalisation for IP pseudonyms.  key_token uses plain
 * crypto_generichash (all-zero personalisation), so the two never share
 * hash values even for the same input bytes. */
static const unsigned char ip_personal[crypto_generichash_blake2b_PERSONALBYTES] = "logscrub-ip-v1";
static const unsigned char zero_salt[crypto_generichash_blake2b_SALTBYTES];

static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Formats a message into err[0, errlen), cut to fit; no-op without err. */
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Reads up to cap bytes from fd into buf.  Returns the count, or -1 with
 * errno set. */
static ssize_t read_upto(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n < cap) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    return (ssize_t)n;
}

/* Writes all of buf; returns 0, or -1 with errno set. */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

enum { NUM_OK, NUM_BAD, NUM_LAST };

/* Reads a decimal number of 1-20 digits from s[*i, n) ending at a ' '.
 * Leading zeros are refused because the writer never makes them.  Returns
 * NUM_OK and advances *i past the space; NUM_LAST when a valid number ends
 * the line instead (a field is missing); NUM_BAD otherwise. */
static int parse_u64(const char *s, size_t n, size_t *i, uint64_t *out)
{
    size_t start = *i;
    uint64_t v = 0;
    while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
        unsigned d = (unsigned)(s[*i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return NUM_BAD;
        v = v * 10 + d;
        (*i)++;
    }
    size_t digits = *i - start;
    if (digits == 0 || (digits > 1 && s[start] == '0'))
        return NUM_BAD;
    if (*i == n || s[*i] == '\n')
        return NUM_LAST;
    if (s[*i] != ' ')
        return NUM_BAD;
    (*i)++;
    *out = v;
    return NUM_OK;
}

/* Checks the whole key file text s[0, n) (n <= KEY_FILE_MAX + 1).  On
 * success fills *period, *index and *hex (the 64 hex digits, inside s) and
 * returns true; otherwise writes a message naming path (never the content)
 * and returns false. */
static bool parse_key_file(const char *path, const char *s, size_t n, uint64_t *period,
                           uint64_t *index, const char **hex, char *err, size_t errlen)
{
    static const char magic[] = KEY_MAGIC;
    const size_t mlen = sizeof magic - 1;
    const size_t vpos = sizeof "logscrub-key " - 1; /* where the version starts */

    if (n == 0) {
        seterr(err, errlen, "%s: empty file; not a logscrub key file", path);
        return false;
    }
    if (n > KEY_FILE_MAX) {
        seterr(err, errlen, "%s: too long; not a logscrub key file", path);
        return false;
    }
    if (n < vpos || memcmp(s, magic, vpos) != 0) {
        seterr(err, errlen, "%s: not a logscrub key file", path);
        return false;
    }
    if (n < mlen || memcmp(s + vpos, magic + vpos, mlen - vpos) != 0) {
        seterr(err, errlen, "%s: line 1: unsupported key file version (this logscrub reads 1)",
               path);
        return false;
    }
    size_t i = mlen;
    int r = parse_u64(s, n, &i, period);
    if (r == NUM_OK && *period == 0)
        r = NUM_BAD;
    if (r == NUM_BAD) {
        seterr(err, errlen, "%s: line 1: period must be a number of seconds > 0", path);
        return false;
    }
    if (r == NUM_OK) {
        r = parse_u64(s, n, &i, index);
        if (r == NUM_BAD) {
            seterr(err, errlen, "%s: line 1: period index must be a decimal number", path);
            return false;
        }
    }
    if (r == NUM_LAST) {
        seterr(err, errlen, "%s: line 1: too few fields (want magic, version, period, index, key)",
               path);
        return false;
    }
    size_t h = i;
    while (i < n && ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
        i++;
    if (i - h != 2 * KEY_BYTES || (i < n && s[i] != '\n')) {
        seterr(err, errlen, "%s: line 1: key must be %d lowercase hex digits", path,
               2 * KEY_BYTES);
        return false;
    }
    if (i == n) {
        seterr(err, errlen, "%s: line 1: no newline at the end (truncated?)", path);
        return false;
    }
    if (i + 1 != n) {
        seterr(err, errlen, "%s: line 2: unexpected content after the key line", path);
        return false;
    }
    *hex = s + h;
    return true;
}

/* Fsyncs the directory holding path so a rename or link in it is durable.
 * Returns 0, or -1 with errno set.  File systems that cannot sync a
 * directory (EINVAL) count as success: there is nothing more to do. */
static int sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    if (slash == NULL)
        dir = strdup(".");
    else if (slash == path)
        dir = strdup("/");
    else
        dir = strndup(path, (size_t)(slash - path));
    if (dir == NULL)
        return -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int saved = errno;
    free(dir);
    if (fd < 0) {
        errno = saved;
        return -1;
    }
    int r = fsync(fd);
    saved = errno;
    close(fd);
    if (r < 0 && saved != EINVAL) {
        errno = saved;
        return -1;
    }
    return 0;
}

enum { WRITE_OK = 0, WRITE_LOST = 1, WRITE_FAILED = -1 };

/* Writes k as the key file at path: a temporary file "path.XXXXXX" in the
 * same directory, chmod 0600 before any key byte is written, fsync, then
 * moved into place -- with link(2) when `replace` is false, so that a file
 * created meanwhile by another process wins (WRITE_LOST), or rename(2)
 * when replacing (the caller holds the lock).  Then the directory is
 * synced.  On WRITE_FAILED err says why; on every outcome the temporary
 * file is gone and the text of the key is wiped from the stack. */
static int write_key_file(const char *path, const pskey *k, bool replace, char *err,
                          size_t errlen)
{
    char line[KEY_FILE_MAX];
    size_t plen = strlen(path);
    char *tmp = malloc(plen + sizeof ".XXXXXX");
    if (tmp == NULL) {
        seterr(err, errlen, "%s: cannot create: out of memory", path);
        return WRITE_FAILED;
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".XXXXXX", sizeof ".XXXXXX");

    int rc = WRITE_FAILED;
    bool tmp_exists = true; /* false once rename has moved it into place */
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        seterr(err, errlen, "%s: cannot create: %s", path, strerror(errno));
        free(tmp);
        return WRITE_FAILED;
    }
    int n = snprintf(line, sizeof line, KEY_MAGIC "%" PRIu64 " %" PRIu64 " ", k->period,
                     k->index);
    sodium_bin2hex(line + n, sizeof line - (size_t)n, k->key, KEY_BYTES);
    size_t len = (size_t)n + 2 * KEY_BYTES;
    line[len++] = '\n';

    /* mkstemp makes the file 0600 (POSIX.1-2008 requires it); saying so
     * again before any key byte exists costs nothing and holds on older
     * systems and under any umask. */
    if (fchmod(fd, S_IRUSR | S_IWUSR) < 0 || write_all(fd, line, len) < 0 || fsync(fd) < 0) {
        seterr(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        close(fd);
        goto cleanup;
    }
    if (close(fd) < 0) {
        seterr(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        goto cleanup;
    }
    if (!replace) {
        if (link(tmp, path) == 0) {
            rc = WRITE_OK;
        } else if (errno == EEXIST) {
            rc = WRITE_LOST;
            goto cleanup;
        } else if (errno == EPERM || errno == ENOTSUP || errno == EOPNOTSUPP || errno == ENOSYS) {
            /* A file system without hard links: fall back to rename, which
             * is still atomic for readers but lets a simultaneous creator's
             * key be overwritten (that process then holds a key that is not
             * on disk until its next rotation). */
            replace = true;
        } else {
            seterr(err, errlen, "%s: cannot create: %s", path, strerror(errno));
            goto cleanup;
        }
    }
    if (replace) {
        if (rename(tmp, path) < 0) {
            seterr(err, errlen, "%s: cannot replace: %s", path, strerror(errno));
            goto cleanup;
        }
        tmp_exists = false;
        rc = WRITE_OK;
    }
    if (sync_dir(path) < 0) {
        seterr(err, errlen, "%s: cannot sync its directory: %s", path, strerror(errno));
        rc = WRITE_FAILED; /* the key is in place, but perhaps not after a crash */
    }

cleanup:
    if (tmp_exists)
        unlink(tmp); /* after a link: the extra name, so the key has one */
    free(tmp);
    sodium_memzero(line, sizeof line);
    return rc;
}

/* Explains why the key file at path could not be opened (errno from an
 * O_NOFOLLOW open). */
static void open_error(const char *path, int e, char *err, size_t errlen)
{
    struct stat st;
    if (e == ELOOP && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
        seterr(err, errlen,
               "%s: is a symbolic link; key rotation replaces the file, so give the real path",
               path);
    else
        seterr(err, errlen, "%s: cannot open: %s", path, strerror(e));
}

enum { TRY_DONE = 0, TRY_AGAIN = 1, TRY_FAILED = -1 };

/* One attempt at settling on the key for k->period/k->index: use the file
 * if it is current, create it if missing, replace it if stale.  TRY_AGAIN
 * means another process changed the file meanwhile; read it again. */
static int try_open(const char *path, pskey *k, char *err, size_t errlen)
{
    /* O_NONBLOCK: a FIFO at the path must not hang us; for a regular file
     * it changes nothing. */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno != ENOENT) {
            open_error(path, errno, err, errlen);
            return TRY_FAILED;
        }
        randombytes_buf(k->key, KEY_BYTES);
        int w = write_key_file(path, k, false, err, errlen);
        return w == WRITE_OK ? TRY_DONE : w == WRITE_LOST ? TRY_AGAIN : TRY_FAILED;
    }

    int rc = TRY_FAILED;
    char buf[KEY_FILE_MAX + 1];
    struct stat st;
    if (fstat(fd, &st) < 0) {
        seterr(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        goto cleanup;
    }
    if (!S_ISREG(st.st_mode)) {
        seterr(err, errlen, "%s: not a regular file", path);
        goto cleanup;
    }
    /* Refused rather than fixed: once others could read it, the key may
     * have leaked, and pseudonyms made with it are not safe to rely on. */
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        seterr(err, errlen, "%s: mode %04o gives group or others access; a key file must be 0600",
               path, (unsigned)(st.st_mode & 07777));
        goto cleanup;
    }
    ssize_t n = read_upto(fd, buf, sizeof buf);
    if (n < 0) {
        seterr(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        goto cleanup;
    }
    uint64_t period, index;
    const char *hex;
    if (!parse_key_file(path, buf, (size_t)n, &period, &index, &hex, err, errlen))
        goto cleanup;

    if (period == k->period && index == k->index) {
        /* hex was checked by parse_key_file, so this cannot fail */
        sodium_hex2bin(k->key, KEY_BYTES, hex, 2 * KEY_BYTES, NULL, NULL, NULL);
        rc = TRY_DONE;
        goto cleanup;
    }

    /* Stale: replace it under an exclusive lock on the old file.  Whoever
     * gets the lock second finds the path no longer names the file it
     * locked and reads the winner's key instead of writing its own. */
    int r;
    while ((r = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
        ;
    if (r < 0) {
        seterr(err, errlen, "%s: cannot lock: %s", path, strerror(errno));
        goto cleanup;
    }
    struct stat now_st;
    if (lstat(path, &now_st) < 0 || now_st.st_dev != st.st_dev || now_st.st_ino != st.st_ino) {
        rc = TRY_AGAIN;
        goto cleanup;
    }
    randombytes_buf(k->key, KEY_BYTES);
    rc = write_key_file(path, k, true, err, errlen) == WRITE_OK ? TRY_DONE : TRY_FAILED;

cleanup:
    sodium_memzero(buf, sizeof buf);
    close(fd); /* releases the lock */
    return rc;
}

pskey *key_open(const char *path, uint64_t period_seconds, uint64_t now, char *err,
                    size_t errlen)
{
    if (path == NULL || path[0] == '\0' || path[strlen(path) - 1] == '/') {
        seterr(err, errlen, "%s: key file must be a file name", path ? path : "(null)");
        return NULL;
    }
    if (period_seconds == 0) {
        seterr(err, errlen, "%s: key rotation period must be > 0", path);
        return NULL;
    }
    if (sodium_init() < 0) {
        seterr(err, errlen, "%s: cannot initialise libsodium", path);
        return NULL;
    }
    pskey *k = sodium_malloc(sizeof *k);
    if (k == NULL) {
        seterr(err, errlen, "%s: out of memory for the key", path);
        return NULL;
    }
    k->period = period_seconds;
    k->index = now / period_seconds;

    for (int attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
        int r = try_open(path, k, err, errlen);
        if (r == TRY_DONE) {
            sodium_mprotect_readonly(k); /* best effort: read-only from here on */
            return k;
        }
        if (r == TRY_FAILED)
            break;
        if (attempt + 1 == OPEN_ATTEMPTS)
            seterr(err, errlen, "%s: key file keeps changing under us; giving up", path);
    }
    sodium_free(k);
    return NULL;
}

pskey *key_from_bytes(const unsigned char key[32])
{
    if (sodium_init() < 0)
        return NULL;
    pskey *k = sodium_malloc(sizeof *k);
    if (k == NULL)
        return NULL;
    k->period = UINT64_MAX; /* one period that never ends */
    k->index = 0;
    memcpy(k->key, key, KEY_BYTES);
    sodium_mprotect_readonly(k);
    return k;
}

bool key_due(const pskey *k, uint64_t now)
{
    return now / k->period != k->index;
}

void key_free(pskey *k)
{
    if (k != NULL)
        sodium_free(k); /* makes the pages writable again, zeroes, unmaps */
}

size_t key_token(const pskey *k, const char *v, size_t len, char *out)
{
    /* BLAKE2b's shortest output is 16 bytes; the token shows the first 8.
     * (A 16-byte digest cut to 8 is as good a 64-bit PRF as any.) */
    unsigned char h[crypto_generichash_BYTES_MIN];
    static const char digits[] = "0123456789abcdef";
    crypto_generichash(h, sizeof h, (const unsigned char *)v, len, k->key, KEY_BYTES);
    for (size_t i = 0; i < KEY_TOKEN_LEN / 2; i++) {
        out[2 * i] = digits[h[i] >> 4];
        out[2 * i + 1] = digits[h[i] & 0xf];
    }
    out[KEY_TOKEN_LEN] = '\0';
    return KEY_TOKEN_LEN;
}

void key_ip(const pskey *k, ipaddr *addr, unsigned v4_prefix, unsigned v6_prefix)
{
    unsigned keep = ip_keep_bits(addr, v4_prefix, v6_prefix); /* as ip_truncate */
    if (keep >= 128)
        return;

    /* Input: the full address and its family, so the host bits depend on
     * the whole address, not just on what is replaced.  An IPv4-mapped
     * address hashes as its IPv4 form: a dual-stack server logs one client
     * both ways, and both must get the same pseudonym. */
    unsigned char in[17], h[16];
    memcpy(in, addr->a, 16);
    in[16] = addr->family;
    if (addr->mapped) {
        memset(in, 0, 12);
        in[16] = 4;
    }
    crypto_generichash_blake2b_salt_personal(h, sizeof h, in, sizeof in, k->key, KEY_BYTES,
                                             zero_salt, ip_personal);
    for (unsigned byte = keep / 8; byte < 16; byte++) {
        uint8_t kept = byte == keep / 8 ? (uint8_t)(0xff00u >> (keep % 8)) : 0;
        addr->a[byte] = (uint8_t)((addr->a[byte] & kept) | (h[byte] & ~kept));
    }
    /* A plain IPv6 result must not land in ::ffff:0:0/96, where it would
     * print as hex but parse back as IPv4-mapped.  That needs keep < 96,
     * so bit 95 (the last bit of a[11]) is a replaced bit and may flip. */
    if (addr->family == 6 && !addr->mapped && keep < 96 &&
        memcmp(addr->a, mapped_prefix, sizeof mapped_prefix) == 0)
        addr->a[11] ^= 1;
}
