/* io.h -- line reader (plain or gzip, detected by magic bytes) and buffered
 * writer (plain or gzip) for the CLI.
 *
 * Neither prints nor exits: failures come back as status values and a
 * message kept on the object, which names the file but never repeats its
 * content.
 */
#ifndef LS_IO_H
#define LS_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- reader ------------------------------------------------------------ */

typedef struct reader reader;

enum {
    RD_ONE = 2,  /* reader_next_block: the next line must come from reader_next */
    RD_LINE = 1, /* *line (reader_next_block: the block) filled */
    RD_EOF = 0,  /* no more lines */
    RD_ERR = -1, /* read or decompression error: see reader_error() */
    RD_INTR = -2 /* a signal interrupted a read; call again */
};

typedef struct rline {
    const char *p;    /* line text without its '\n'; valid until the next call */
    size_t len;
    bool nl;          /* the line ended with '\n' (RD_UNIVERSAL_NEWLINES: or "\r") */
    bool cut;         /* longer than max_line: p holds only the first max_line bytes */
    bool interrupted; /* reading stopped (reader_stop) before the line ended */
    uint64_t dropped; /* with cut: bytes of the line not in p (excluding '\n') */
} rline;

/* Longest --max-line accepted: the reader holds one such line in memory. */
#define IO_MAX_LINE_LIMIT ((size_t)256 << 20)

/* Most bytes reader_next_block puts in a block of several lines.  Blocks of
 * 16 KiB to 1 MiB ran equally fast on the benchmark log (--no-rules, within
 * the noise); a small one keeps the caller's block buffer, and so the peak
 * RSS (issue #2 wants less than 16 MiB), small: 1 MiB blocks cost 1 MiB
 * more.  Per block there is one call, so 64 KiB (about 250 log lines) leaves
 * nothing to gain. */
#define IO_BLOCK_TARGET ((size_t)64 << 10)

/* Makes a reader for lines of at most max_line bytes (1..IO_MAX_LINE_LIMIT).
 * Returns NULL when out of memory. */
reader *reader_new(size_t max_line);

/* Frees the reader.  Accepts NULL.  Does not close the fd. */
void reader_free(reader *r);

enum {
    RD_NO_GZIP = 1 << 0,           /* read every input as plain text */
    RD_UNIVERSAL_NEWLINES = 1 << 1 /* Python's: "\r\n" and a bare "\r" end a line too */
};

/* Sets RD_ options (0: the defaults, gzip detected and only '\n' ending a
 * line) for the inputs opened after this call.  With RD_UNIVERSAL_NEWLINES
 * no line holds a '\r' and each terminator counts as one byte in
 * reader_bytes.  This function can't fail. */
void reader_set_options(reader *r, unsigned options);

/* Starts reading a new input from fd; `name` is used in error messages only
 * and must outlive the input.  Buffered data of a previous input is
 * discarded; a reader_stop stays in force (a stopped run reads no further
 * input).  This function can't fail. */
void reader_open(reader *r, int fd, const char *name);

/* Installs fn(arg), called just before every read(2) that may block, so the
 * caller can flush output that must not wait for more input.  fn may call
 * reader_stop: that read is then not made. */
void reader_on_refill(reader *r, void (*fn)(void *), void *arg);

/* Returns the next line (RD_LINE), RD_EOF, RD_ERR or RD_INTR. */
int reader_next(reader *r, rline *line);

/* Returns the next lines as one block (reading more only when no whole
 * line is buffered): RD_LINE with p[0, *len) holding one or more lines,
 * each ending in '\n' and none longer than max_line, valid until the next
 * call.  A block holds the whole lines buffered that fit in IO_BLOCK_TARGET
 * bytes, or else the one line that does not fit.  Returns RD_ONE when the
 * next line is not such a line (longer than max_line, or the last one
 * without a '\n' at the end of the input or after reader_stop): get it with
 * reader_next, then call this again.  RD_EOF, RD_ERR and RD_INTR as
 * reader_next; reader_bytes counts the block.  The two may be mixed freely:
 * both hand out the same lines in the same order. */
int reader_next_block(reader *r, const char **p, size_t *len);

/* After this, reader_next returns what is already buffered and then RD_EOF;
 * a last partial line comes back with `interrupted` set.  Safe to call
 * repeatedly. */
void reader_stop(reader *r);

/* True once the current input turned out to be gzip. */
bool reader_is_gzip(const reader *r);

/* Total bytes handed out for the current and earlier inputs, counting the
 * newline and the dropped part of cut lines (decompressed size). */
uint64_t reader_bytes(const reader *r);

/* The last error, e.g. "access.log.gz: corrupt gzip data". */
const char *reader_error(const reader *r);

/* ---- writer ------------------------------------------------------------ */

typedef struct writer writer;

/* Makes a writer on fd (not owned: the caller closes it).  With gzip the
 * output is one gzip member per open (reopen starts a new member).  Returns
 * NULL when out of memory. */
writer *writer_new(int fd, bool gzip);

/* Frees the writer without flushing.  Accepts NULL. */
void writer_free(writer *w);

/* Appends n bytes.  Returns 0, or -1 with writer_errno() set.  After any
 * failure the writer's state is undefined: the only calls left are
 * writer_errno and writer_free. */
int writer_put(writer *w, const void *p, size_t n);

/* Writes out everything buffered (gzip: a sync flush, so a reader of the
 * file sees whole lines).  Returns 0, or -1 with writer_errno() set. */
int writer_flush(writer *w);

/* Ends the output on the current fd: flushes and, with gzip, writes the
 * stream trailer.  Returns 0, or -1 with writer_errno() set. */
int writer_finish(writer *w);

/* Continues on a new fd after writer_finish (SIGHUP reopen). */
void writer_reset(writer *w, int fd);

/* Bytes accepted by writer_put so far (uncompressed). */
uint64_t writer_bytes(const writer *w);

/* errno of the last failure (EPIPE for a closed pipe), or 0. */
int writer_errno(const writer *w);

#endif /* LS_IO_H */
