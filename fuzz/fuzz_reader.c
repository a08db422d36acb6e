/* fuzz_reader.c -- libFuzzer target for the CLI's line reader (src/io.c):
 * line splitting, cutting of long lines, universal newlines and gzip
 * detection and decoding.
 *
 * The input is fed to one reader several ways, each compared with a simple
 * model of what the reader must hand out:
 *
 *  1. whole, from a memfd, as plain text (RD_NO_GZIP), max_line 64;
 *  2. in pieces (a SOCK_SEQPACKET socket pair: each read(2) returns exactly
 *     one piece, cut at points derived from the input), plain, with
 *     universal newlines, max_line 1, 3, 64 or 4096;
 *  3. in pieces with gzip detection on (the default options): input that
 *     opens with the gzip magic is compared with zlib's own decoding of it
 *     (members in turn, zero bytes between and after them skipped as
 *     padding; anything else after a member is an error),
 *     other input with the plain model;
 *  4. compressed by the harness into one or two gzip members (sometimes
 *     with an empty member first), whole or in pieces: it must read back as
 *     the plain input, without error.
 *
 * The model: lines are the text split after each '\n' (with universal
 * newlines "\r\n" and a lone '\r' end a line too and count one byte); a line
 * longer than max_line keeps its first max_line bytes, `cut` is set and
 * `dropped` counts the rest; only the last line may lack its newline; the
 * lines, newlines and dropped counts add up to the (decoded) input and to
 * the growth of reader_bytes.  When decoding fails, RD_ERR comes back, the
 * lines before it are a prefix of what zlib decoded, and the reader's error
 * names the input.  The same reader is reopened for every run, so state
 * left over from one input (gzip, cutting, a pending "\r\n") is caught too.
 *
 * Built with clang -fsanitize=fuzzer (see fuzz/README.md) and linked with
 * fuzz/replay.c as fuzz_reader_replay, which `make check` runs over
 * fuzz/corpus/reader.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
/* next_in as const Bytef *: the input is only read (-Wcast-qual). */
#define ZLIB_CONST
#include <zlib.h>

#include "io/io.h"

#define FUZZ_NAME "fuzz_reader"
#include "fuzz.h"



#define READER_MAX_INPUT 16384          /* larger inputs are skipped */
#define MAX_DECODED (1u << 20)   /* gzip that inflates to more is skipped */
#define MAX_PIECES 12

/* ---- byte buffers ----------------------------------------------------- */

typedef struct buf {
    uint8_t *p;
    size_t len, cap;
} buf;

static void put(buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        CHECK(q != NULL);
        b->p = q;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
}

/* ---- feeding the reader ----------------------------------------------- */

/* A small deterministic generator, seeded from the input. */
static uint64_t rng;
static unsigned next_rand(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)(rng >> 33);
}

static int memfd_with(const uint8_t *p, size_t n)
{
    int fd = memfd_create("fuzz_reader", 0);
    CHECK(fd >= 0);
    size_t off = 0;
    while (off < n) {
        ssize_t k = write(fd, p + off, n - off);
        CHECK(k > 0);
        off += (size_t)k;
    }
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    return fd;
}

/* A socket whose reads return the pieces of p one by one, then EOF.  The
 * first piece is often a single byte: half a gzip magic. */
static int pieces_with(const uint8_t *p, size_t n)
{
    int sv[2];
    size_t off = 0, count = 0;
    int size = 1 << 20;
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
    (void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    for (count = 0; off < n; count++) {
        size_t left = n - off, k;
        if (count + 1 >= MAX_PIECES)
            k = left;
        else if (count == 0 && (next_rand() & 1))
            k = 1;
        else
            k = 1 + next_rand() % (left < 300 ? left : 300);
        if (k > left)
            k = left;
        CHECK(send(sv[0], p + off, k, 0) == (ssize_t)k);
        off += k;
    }
    close(sv[0]);
    return sv[1];
}

/* ---- the model -------------------------------------------------------- */

/* Python's universal newlines: "\r\n" and '\r' become '\n'. */
static void universal(const uint8_t *p, size_t n, buf *out)
{
    for (size_t k = 0; k < n; k++) {
        if (p[k] == '\r') {
            put(out, "\n", 1);
            if (k + 1 < n && p[k + 1] == '\n')
                k++;
        } else {
            put(out, p + k, 1);
        }
    }
}

/* zlib's decoding of a gzip stream the way the reader documents it:
 * members in turn, zero padding after one, nothing else.  Returns true when the stream is
 * complete and sound; *out holds what was decoded either way.  *too_big
 * when it inflates beyond MAX_DECODED. */
static bool gunzip(const uint8_t *p, size_t n, buf *out, bool *too_big)
{
    z_stream zs;
    uint8_t chunk[4096];
    bool ok = false, member_done = false, full = false;
    memset(&zs, 0, sizeof zs);
    *too_big = false;
    CHECK(inflateInit2(&zs, 15 + 16) == Z_OK);
    zs.next_in = p;
    zs.avail_in = (uInt)n;
    for (;;) {
        if (member_done) {
            /* Zero bytes after a member are padding (as gzip -d reads them). */
            while (zs.avail_in > 0 && zs.next_in[0] == 0) {
                zs.next_in++;
                zs.avail_in--;
            }
            if (zs.avail_in == 0) {
                ok = true;
                break;
            }
            if (zs.next_in[0] != 0x1f || inflateReset(&zs) != Z_OK)
                break;
            member_done = false;
        }
        if (zs.avail_in == 0 && !full)
            break; /* truncated */
        zs.next_out = chunk;
        zs.avail_out = sizeof chunk;
        int rc = inflate(&zs, Z_NO_FLUSH);
        full = zs.avail_out == 0; /* more output may be pending */
        put(out, chunk, sizeof chunk - zs.avail_out);
        if (out->len > MAX_DECODED) {
            *too_big = true;
            break;
        }
        if (rc == Z_STREAM_END)
            member_done = true;
        else if (rc == Z_BUF_ERROR && zs.avail_in == 0 && !full)
            break; /* truncated */
        else if (rc != Z_OK && rc != Z_BUF_ERROR)
            break;
    }
    inflateEnd(&zs);
    return ok;
}

/* deflate into one gzip member. */
static void gzip_member(const uint8_t *p, size_t n, int level, buf *out)
{
    z_stream zs;
    uint8_t chunk[4096];
    int rc;
    memset(&zs, 0, sizeof zs);
    CHECK(deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    zs.next_in = p;
    zs.avail_in = (uInt)n;
    do {
        zs.next_out = chunk;
        zs.avail_out = sizeof chunk;
        rc = deflate(&zs, Z_FINISH);
        CHECK(rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR);
        put(out, chunk, sizeof chunk - zs.avail_out);
    } while (rc != Z_STREAM_END);
    deflateEnd(&zs);
}

/* Reads everything from fd and compares it with text[0, n) after the
 * model.  complete: the input is sound, so the run must end in RD_EOF with
 * every byte accounted for; otherwise it must end in RD_ERR (or RD_EOF only
 * when the reader saw no gzip: want_gzip false) after a prefix. */
static void run(reader *r, int fd, unsigned options, size_t max_line, const uint8_t *text,
                size_t n, bool complete, int want_gzip)
{
    rline line;
    size_t off = 0, lines = 0;
    uint64_t bytes0 = reader_bytes(r);
    bool last_open = false; /* a line without '\n' was handed out */
    int rc;

    reader_set_options(r, options);
    reader_open(r, fd, "fuzz-input");
    CHECK(reader_error(r)[0] == '\0');
    CHECK(!reader_is_gzip(r) || !"reopen forgets gzip");
    while ((rc = reader_next(r, &line)) == RD_LINE) {
        CHECK(!last_open); /* only the last line may lack its newline */
        CHECK(!line.interrupted);
        CHECK(line.p != NULL || line.len == 0);
        CHECK(line.len <= max_line);
        CHECK(lines++ <= n + 1);
        if (line.cut) {
            CHECK(line.len == max_line);
            CHECK(line.dropped >= 1);
        } else {
            CHECK(line.dropped == 0);
            CHECK(line.len > 0 || line.nl); /* no empty last line */
        }
        /* The text, then the dropped rest, then the newline. */
        CHECK(off + line.len <= n);
        if (memcmp(line.p, text + off, line.len) != 0) {
            fprintf(stderr, "fuzz_reader: line %zu at offset %zu differs (len %zu)\n", lines,
                    off, line.len);
            CHECK(!"line text matches the input");
        }
        CHECK(memchr(line.p, '\n', line.len) == NULL);
        if (options & RD_UNIVERSAL_NEWLINES)
            CHECK(memchr(line.p, '\r', line.len) == NULL);
        off += line.len;
        CHECK(line.dropped <= n - off);
        CHECK(memchr(text + off, '\n', (size_t)line.dropped) == NULL);
        off += (size_t)line.dropped;
        if (line.nl) {
            CHECK(off < n && text[off] == '\n');
            off++;
        } else {
            CHECK(off == n || text[off] != '\n');
            last_open = true;
        }
        CHECK(reader_bytes(r) - bytes0 == off);
    }
    if (complete) {
        if (rc != RD_EOF) {
            fprintf(stderr, "fuzz_reader: status %d (%s) on sound input\n", rc, reader_error(r));
            CHECK(!"sound input reads to RD_EOF");
        }
        if (off != n) {
            fprintf(stderr, "fuzz_reader: read %zu of %zu bytes\n", off, n);
            CHECK(!"every byte is handed out");
        }
        CHECK(reader_next(r, &line) == RD_EOF); /* and stays at EOF */
        CHECK(reader_error(r)[0] == '\0');
    } else {
        if (rc != RD_ERR) {
            fprintf(stderr, "fuzz_reader: status %d after %zu bytes on broken gzip\n", rc, off);
            CHECK(!"broken gzip ends in RD_ERR");
        }
        CHECK(strncmp(reader_error(r), "fuzz-input: ", 12) == 0);
        CHECK(reader_error(r)[12] != '\0');
    }
    if (want_gzip >= 0)
        CHECK(reader_is_gzip(r) == (want_gzip == 1));
    close(fd);
}

static const size_t max_lines[] = {1, 3, 64, 4096};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    buf uni = {0}, dec = {0}, gz = {0}, dec_uni = {0};
    size_t max_line;
    bool magic = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    reader *r;

    if (size > READER_MAX_INPUT)
        return 0;
    rng = 0x9e3779b97f4a7c15ull;
    for (size_t k = 0; k < size; k++)
        rng = (rng ^ data[k]) * 0x100000001b3ull;
    max_line = max_lines[next_rand() % 4];

    r = reader_new(64);
    CHECK(r != NULL);

    /* 1: whole, plain. */
    run(r, memfd_with(data, size), RD_NO_GZIP, 64, data, size, true, 0);

    /* 3: in pieces, detecting gzip.  (Before 2, so that a half-read gzip
     * stream is followed by a fresh input on the same reader.) */
    if (magic) {
        bool too_big;
        bool ok = gunzip(data, size, &dec, &too_big);
        if (!too_big) {
            run(r, pieces_with(data, size), 0, 64, dec.p, dec.len, ok, 1);
            /* and with universal newlines on the decoded text */
            if (ok) {
                universal(dec.p, dec.len, &dec_uni);
                run(r, pieces_with(data, size), RD_UNIVERSAL_NEWLINES, 64, dec_uni.p,
                    dec_uni.len, true, 1);
            }
        }
    } else {
        run(r, pieces_with(data, size), 0, 64, data, size, true, 0);
    }
    reader_free(r);

    /* 2: in pieces, universal newlines, another line limit. */
    r = reader_new(max_line);
    CHECK(r != NULL);
    CHECK(reader_new(0) == NULL);
    CHECK(reader_new(IO_MAX_LINE_LIMIT + 1) == NULL);
    universal(data, size, &uni);
    run(r, pieces_with(data, size), RD_UNIVERSAL_NEWLINES | RD_NO_GZIP, max_line, uni.p,
        uni.len, true, 0);

    /* 4: the input compressed by us: it reads back as the input. */
    {
        size_t split = size ? next_rand() % (size + 1) : 0;
        unsigned shape = next_rand() % 4;
        if (shape == 1)
            gzip_member(data, 0, 6, &gz); /* an empty member first */
        if (shape >= 2) {
            gzip_member(data, split, 1, &gz); /* two members */
            gzip_member(data + split, size - split, 9, &gz);
        } else {
            gzip_member(data, size, 6, &gz);
        }
        run(r, (next_rand() & 1) ? memfd_with(gz.p, gz.len) : pieces_with(gz.p, gz.len), 0,
            max_line, data, size, true, 1);
        /* Truncated by one byte: an error, never a silent short read. */
        if (gz.len > 0) {
            run(r, pieces_with(gz.p, gz.len - 1), 0, max_line, data, size, false, 1);
        }
        /* Trailing garbage after the last member. */
        put(&gz, "x", 1);
        run(r, memfd_with(gz.p, gz.len), 0, max_line, data, size, false, 1);
    }
    reader_free(r);

    free(uni.p);
    free(dec.p);
    free(dec_uni.p);
    free(gz.p);
    return 0;
}
