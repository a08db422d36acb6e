/* io.c -- the CLI's line reader and buffered writer.
 *
 * Reader: one buffer of max_line + READ_CHUNK bytes holds the current line
 * and whatever follows it; lines are found with memchr and handed out as
 * pointers into the buffer, so there is no allocation per line.  gzip is
 * recognised by its magic bytes at the start of each input; concatenated
 * members are read in turn.  A line longer than max_line keeps only its
 * first max_line bytes while the rest is read and counted up to the newline.
 * Universal newlines (anonip --input) are translated to '\n' as data comes
 * in, so the per-line path only ever looks for '\n'.  reader_next_block
 * hands out up to 64 KiB of whole lines at once, for callers that scrub a
 * block in one go; a memrchr per max_line + 1 bytes finds the end of the
 * block, without a look at each line (unless lines are near max_line).
 *
 * Writer: a fixed buffer written out with write(2), or deflated first.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "io/io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define READ_CHUNK ((size_t)256 << 10)  /* bytes asked of one read(2) */
#define WRITE_BUF ((size_t)256 << 10)   /* output buffered before write(2) */
#define GZIP_WINDOW (15 + 16)           /* 32 KiB window, gzip wrapper only */

enum mode { MODE_UNKNOWN, MODE_PLAIN, MODE_GZIP };

struct reader {
    size_t max_line;
    char *buf;
    size_t cap, start, end;
    unsigned char *raw; /* compressed input (gzip mode) */
    z_stream zs;
    bool zs_init;
    bool member_done;   /* between gzip members */
    enum mode mode;
    int fd;
    const char *name;
    unsigned options;   /* RD_ flags for the next reader_open */
    bool universal;     /* of the current input */
    bool skip_lf;       /* universal: the last chunk ended in '\r' */
    bool eof, stopped, cutting;
    uint64_t dropped, bytes;
    void (*on_refill)(void *);
    void *refill_arg;
    char err[256];
};

reader *reader_new(size_t max_line)
{
    if (max_line == 0 || max_line > IO_MAX_LINE_LIMIT)
        return NULL;
    reader *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->max_line = max_line;
    r->cap = max_line + READ_CHUNK;
    r->buf = malloc(r->cap);
    r->raw = malloc(READ_CHUNK);
    if (r->buf == NULL || r->raw == NULL) {
        reader_free(r);
        return NULL;
    }
    r->fd = -1;
    return r;
}

void reader_free(reader *r)
{
    if (r == NULL)
        return;
    if (r->zs_init)
        inflateEnd(&r->zs);
    free(r->buf);
    free(r->raw);
    free(r);
}

void reader_set_options(reader *r, unsigned options)
{
    r->options = options;
}

void reader_open(reader *r, int fd, const char *name)
{
    r->fd = fd;
    r->name = name;
    r->start = r->end = 0;
    r->universal = (r->options & RD_UNIVERSAL_NEWLINES) != 0;
    r->mode = (r->options & RD_NO_GZIP) ? MODE_PLAIN : MODE_UNKNOWN;
    r->skip_lf = false;
    r->eof = r->cutting = false;
    r->member_done = false;
    r->dropped = 0;
    r->err[0] = '\0';
    if (r->zs_init) {
        inflateEnd(&r->zs);
        r->zs_init = false;
    }
}

void reader_on_refill(reader *r, void (*fn)(void *), void *arg)
{
    r->on_refill = fn;
    r->refill_arg = arg;
}

void reader_stop(reader *r)
{
    r->stopped = true;
}

bool reader_is_gzip(const reader *r)
{
    return r->mode == MODE_GZIP;
}

uint64_t reader_bytes(const reader *r)
{
    return r->bytes;
}

const char *reader_error(const reader *r)
{
    return r->err;
}

static int fail(reader *r, const char *what)
{
    snprintf(r->err, sizeof r->err, "%s: %s", r->name, what);
    return RD_ERR;
}

/* read(2) with the refill hook; returns bytes, 0 at EOF or when the hook
 * stopped the reader, RD_INTR, RD_ERR. */
static ssize_t raw_read(reader *r, void *dst, size_t n)
{
    if (r->on_refill) {
        r->on_refill(r->refill_arg);
        if (r->stopped)
            return 0;
    }
    ssize_t got = read(r->fd, dst, n);
    if (got < 0) {
        if (errno == EINTR)
            return RD_INTR;
        return fail(r, strerror(errno));
    }
    return got;
}

/* Inflates into buf[end, cap).  Returns bytes produced (> 0), 0 at the end of
 * the input, RD_INTR or RD_ERR. */
static ssize_t gz_fill(reader *r)
{
    for (;;) {
        if (r->zs.avail_in == 0) {
            if (r->stopped)
                return 0;
            ssize_t got = raw_read(r, r->raw, READ_CHUNK);
            if (got < 0)
                return got;
            if (got == 0) {
                if (!r->member_done && !r->stopped)
                    return fail(r, "truncated gzip data");
                return 0;
            }
            r->zs.next_in = r->raw;
            r->zs.avail_in = (uInt)got;
        }
        if (r->member_done) {
            /* Zero bytes after a member are padding (tape blocks, some
             * writers), as gzip -d treats them; another member may follow;
             * anything else is not ours to guess. */
            while (r->zs.avail_in > 0 && r->zs.next_in[0] == 0) {
                r->zs.next_in++;
                r->zs.avail_in--;
            }
            if (r->zs.avail_in == 0)
                continue;
            if (r->zs.next_in[0] != 0x1f)
                return fail(r, "trailing garbage after gzip data");
            if (inflateReset(&r->zs) != Z_OK)
                return fail(r, "gzip reset failed");
            r->member_done = false;
        }
        r->zs.next_out = (Bytef *)r->buf + r->end;
        r->zs.avail_out = (uInt)(r->cap - r->end);
        int rc = inflate(&r->zs, Z_NO_FLUSH);
        size_t produced = r->cap - r->end - r->zs.avail_out;
        if (rc == Z_STREAM_END)
            r->member_done = true;
        else if (rc != Z_OK && rc != Z_BUF_ERROR)
            return fail(r, "corrupt gzip data");
        if (produced > 0)
            return (ssize_t)produced;
    }
}

/* Python's universal newlines on the n > 0 bytes just read at p, in place:
 * "\r\n" and a bare "\r" become "\n".  A '\r' that ends the chunk becomes
 * '\n' at once and a '\n' opening the next chunk is dropped.  Returns the
 * new length, 0 when all there was is such a '\n'. */
static size_t universal_to_lf(reader *r, char *p, size_t n)
{
    const char *s = p, *end = p + n;
    char *w = p;
    if (r->skip_lf) {
        r->skip_lf = false;
        if (*s == '\n')
            s++;
    }
    for (;;) {
        const char *cr = memchr(s, '\r', (size_t)(end - s));
        size_t k = (size_t)((cr ? cr : end) - s);
        if (w != s)
            memmove(w, s, k);
        w += k;
        if (cr == NULL)
            return (size_t)(w - p);
        *w++ = '\n';
        s = cr + 1;
        if (s == end)
            r->skip_lf = true;
        else if (*s == '\n')
            s++;
    }
}

/* Reads more data into buf[end, cap).  Returns bytes added, 0 at EOF (eof
 * set), RD_INTR or RD_ERR. */
static ssize_t fill(reader *r)
{
    ssize_t got;
    if (r->mode == MODE_GZIP) {
        got = gz_fill(r);
    } else if (r->stopped) {
        got = 0;
    } else {
        /* Until the magic bytes are seen, read no more than the compressed
         * input buffer holds: the bytes may have to move there. */
        size_t want = r->mode == MODE_UNKNOWN ? READ_CHUNK - r->end : r->cap - r->end;
        got = raw_read(r, r->buf + r->end, want);
        if (got > 0 && r->mode == MODE_UNKNOWN) {
            size_t have = r->end + (size_t)got;
            if (have < 2 && (unsigned char)r->buf[0] == 0x1f) {
                /* Half a magic: the next byte decides.  (0x1f needs no
                 * newline translation.) */
                r->end = have;
                return got;
            }
            if (have >= 2 && (unsigned char)r->buf[0] == 0x1f && (unsigned char)r->buf[1] == 0x8b) {
                /* gzip: what we read is compressed input, not text. */
                if (inflateInit2(&r->zs, GZIP_WINDOW) != Z_OK)
                    return fail(r, "cannot start gzip decoder");
                r->zs_init = true;
                memcpy(r->raw, r->buf, have);
                r->zs.next_in = r->raw;
                r->zs.avail_in = (uInt)have;
                r->start = r->end = 0;
                r->mode = MODE_GZIP;
                return fill(r);
            }
            r->mode = MODE_PLAIN;
        }
    }
    if (got > 0 && r->universal) {
        got = (ssize_t)universal_to_lf(r, r->buf + r->end, (size_t)got);
        if (got == 0)
            return fill(r); /* the chunk was the '\n' of a "\r\n" */
    }
    if (got > 0)
        r->end += (size_t)got;
    else if (got == 0)
        r->eof = true;
    return got;
}

/* Moves unread data to the front of the buffer. */
static void compact(reader *r)
{
    if (r->start == 0)
        return;
    memmove(r->buf, r->buf + r->start, r->end - r->start);
    r->end -= r->start;
    r->start = 0;
}

/* Compacts and reads more: 0, or RD_ERR / RD_INTR from fill. */
static int refill(reader *r)
{
    compact(r);
    ssize_t got = fill(r);
    return got < 0 ? (int)got : 0;
}

int reader_next(reader *r, rline *line)
{
    for (;;) {
        if (r->cutting) {
            /* buf[0, max_line) holds the kept part; [start, end) is new
             * data of the same line until its newline. */
            char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
            size_t upto = nl ? (size_t)(nl - r->buf) : r->end;
            r->dropped += upto - r->start;
            if (nl || r->eof) {
                r->start = nl ? upto + 1 : upto;
                r->cutting = false;
                *line = (rline){.p = r->buf, .len = r->max_line, .nl = nl != NULL,
                                .cut = true, .interrupted = !nl && r->stopped,
                                .dropped = r->dropped};
                r->bytes += r->max_line + r->dropped + (nl != NULL);
                return RD_LINE;
            }
            r->start = r->end = r->max_line;
            ssize_t got = fill(r);
            if (got < 0)
                return (int)got;
            continue;
        }
        size_t avail = r->end - r->start;
        char *nl = memchr(r->buf + r->start, '\n', avail);
        size_t len = nl ? (size_t)(nl - (r->buf + r->start)) : avail;
        if (len > r->max_line) {
            compact(r);
            r->cutting = true;
            r->dropped = 0;
            r->start = r->max_line;
            continue;
        }
        if (nl || (r->eof && avail > 0)) {
            *line = (rline){.p = r->buf + r->start, .len = len, .nl = nl != NULL,
                            .interrupted = !nl && r->stopped};
            if (r->mode == MODE_UNKNOWN)
                r->mode = MODE_PLAIN; /* gzip magic can only open an input */
            r->start += len + (nl != NULL);
            r->bytes += len + (nl != NULL);
            return RD_LINE;
        }
        if (r->eof)
            return RD_EOF;
        int rc = refill(r);
        if (rc < 0)
            return rc;
    }
}

int reader_next_block(reader *r, const char **p, size_t *len)
{
    for (;;) {
        if (r->cutting)
            return RD_ONE; /* the rest of a cut line is reader_next's */
        /* A line whose '\n' lies within max_line + 1 bytes of its start is
         * not too long, so the last '\n' in such a window ends a run of good
         * lines: step by windows through the first IO_BLOCK_TARGET bytes (a
         * block that stays in cache for the caller's work on it). */
        const char *s = r->buf + r->start, *q = s, *nl;
        size_t avail = r->end - r->start;
        const char *cap = s + (avail < IO_BLOCK_TARGET ? avail : IO_BLOCK_TARGET);
        while (q < cap) {
            size_t win = (size_t)(cap - q) <= r->max_line ? (size_t)(cap - q) : r->max_line + 1;
            if ((nl = memrchr(q, '\n', win)) == NULL)
                break;
            q = nl + 1;
        }
        /* Not even one line within the target: the first line alone, when
         * it ends within max_line + 1 bytes. */
        if (q == s && (nl = memchr(s, '\n', avail <= r->max_line ? avail : r->max_line + 1)))
            q = nl + 1;
        if (q == s) {
            if (avail > r->max_line || (r->eof && avail > 0))
                return RD_ONE; /* too long, or the last line without '\n' */
            if (r->eof)
                return RD_EOF;
            int rc = refill(r);
            if (rc < 0)
                return rc;
            continue;
        }
        size_t n = (size_t)(q - s);
        if (r->mode == MODE_UNKNOWN)
            r->mode = MODE_PLAIN; /* gzip magic can only open an input */
        *p = s;
        *len = n;
        r->start += n;
        r->bytes += n;
        return RD_LINE;
    }
}

/* ---- writer ------------------------------------------------------------ */

struct writer {
    int fd;
    bool gzip, zs_init;
    bool dirty; /* bytes put since the last flush */
    z_stream zs;
    unsigned char *buf;  /* pending plain bytes */
    size_t used;
    unsigned char *zbuf; /* deflate output */
    uint64_t bytes;
    int err;
};

writer *writer_new(int fd, bool gzip)
{
    writer *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->fd = fd;
    w->gzip = gzip;
    w->buf = malloc(WRITE_BUF);
    if (gzip)
        w->zbuf = malloc(WRITE_BUF);
    if (w->buf == NULL || (gzip && w->zbuf == NULL)) {
        writer_free(w);
        return NULL;
    }
    if (gzip) {
        if (deflateInit2(&w->zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, GZIP_WINDOW, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK) {
            writer_free(w);
            return NULL;
        }
        w->zs_init = true;
    }
    return w;
}

void writer_free(writer *w)
{
    if (w == NULL)
        return;
    if (w->zs_init)
        deflateEnd(&w->zs);
    free(w->buf);
    free(w->zbuf);
    free(w);
}

/* write(2) all of p, retrying after signals and short writes. */
static int write_all(writer *w, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(w->fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            w->err = errno;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Hands the pending plain bytes to the fd, through deflate with gzip. */
static int drain(writer *w, int flush)
{
    if (!w->gzip) {
        int rc = write_all(w, w->buf, w->used);
        w->used = 0;
        return rc;
    }
    w->zs.next_in = w->buf;
    w->zs.avail_in = (uInt)w->used;
    for (;;) {
        w->zs.next_out = w->zbuf;
        w->zs.avail_out = (uInt)WRITE_BUF;
        int rc = deflate(&w->zs, flush);
        if (rc == Z_STREAM_ERROR) {
            w->err = EIO;
            return -1;
        }
        if (write_all(w, w->zbuf, WRITE_BUF - w->zs.avail_out) < 0)
            return -1;
        if (w->zs.avail_out != 0 && w->zs.avail_in == 0 && (flush != Z_FINISH || rc == Z_STREAM_END))
            break;
    }
    w->used = 0;
    return 0;
}

int writer_put(writer *w, const void *p, size_t n)
{
    const unsigned char *s = p;
    w->bytes += n;
    w->dirty = true;
    while (n > 0) {
        size_t room = WRITE_BUF - w->used;
        if (room == 0) {
            if (drain(w, Z_NO_FLUSH) < 0)
                return -1;
            room = WRITE_BUF;
        }
        size_t k = n < room ? n : room;
        memcpy(w->buf + w->used, s, k);
        w->used += k;
        s += k;
        n -= k;
    }
    return 0;
}

int writer_flush(writer *w)
{
    if (!w->dirty)
        return 0;
    w->dirty = false;
    return drain(w, w->gzip ? Z_SYNC_FLUSH : Z_NO_FLUSH);
}

int writer_finish(writer *w)
{
    w->dirty = false;
    if (!w->gzip)
        return drain(w, Z_NO_FLUSH);
    return drain(w, Z_FINISH);
}

void writer_reset(writer *w, int fd)
{
    w->fd = fd;
    w->used = 0;
    w->dirty = false;
    if (w->gzip)
        deflateReset(&w->zs);
}

uint64_t writer_bytes(const writer *w)
{
    return w->bytes;
}

int writer_errno(const writer *w)
{
    return w->err;
}
