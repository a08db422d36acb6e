/* test_io.c -- Criterion tests for src/io.[ch]: the line reader (plain and
 * gzip input, long-line cutting, stop, refill hook, signals, reuse, the
 * no-gzip and universal-newline options) and the buffered writer (plain and
 * gzip output, flush, reopen, broken pipe).
 *
 * Inputs go through real file descriptors: temporary files (already
 * unlinked) for data of any size, pipes where blocking and signals matter.
 * gzip input is made here with zlib's deflate (windowBits 31) and gzip
 * output is checked with inflate, so each side is tested against zlib
 * rather than against the other.  Lines are compared with memcmp: they may
 * hold NUL bytes.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "io/io.h"
#include "../testutil.h"

/* Tests block on pipes on purpose; a bug must not hang `make check`. */
TestSuite(reader, .timeout = 60);
TestSuite(writer, .timeout = 60);

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------- */

/* A string literal and its length, NUL bytes inside included. */
#define LIT(s) s, (sizeof(s) - 1)


/* A growing byte string. */
typedef struct sbuf {
    unsigned char *p;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const void *s, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        cr_assert_not_null(b->p);
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void write_full(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        ssize_t k = write(fd, s, n);
        if (k < 0 && errno == EINTR)
            continue;
        cr_assert_gt(k, 0, "write: %s", strerror(errno));
        s += k;
        n -= (size_t)k;
    }
}

/* A temporary file (already unlinked) holding data, positioned at 0. */
static int tmp_with(const void *data, size_t len)
{
    char path[] = "/tmp/test_io.XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
    unlink(path);
    write_full(fd, data, len);
    cr_assert_eq(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

/* An empty unlinked temporary file for the writer. */
static int tmp_empty(void)
{
    return tmp_with("", 0);
}

/* The whole content of a (temporary) file, read with pread. */
static sbuf slurp(int fd)
{
    sbuf b = {0};
    char chunk[65536];
    off_t off = 0;
    for (;;) {
        ssize_t k = pread(fd, chunk, sizeof chunk, off);
        cr_assert_geq(k, 0, "pread: %s", strerror(errno));
        if (k == 0)
            break;
        sb_add(&b, chunk, (size_t)k);
        off += k;
    }
    return b;
}

/* A deterministic byte stream that does not compress well. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Text lines of hex digits (varying length) until at least `size` bytes. */
static sbuf random_lines(size_t size, size_t *nlines)
{
    static const char hex[] = "0123456789abcdef";
    sbuf b = {0};
    size_t n = 0;
    while (b.len < size) {
        size_t len = (size_t)(rng() % 200);
        for (size_t i = 0; i < len; i++) {
            char c = hex[rng() & 15];
            sb_add(&b, &c, 1);
        }
        sb_add(&b, "\n", 1);
        n++;
    }
    if (nlines)
        *nlines = n;
    return b;
}

/* ---- gzip making and checking with zlib ----------------------------- */

typedef struct gzmaker {
    z_stream zs;
    sbuf out;
} gzmaker;

static void gz_begin(gzmaker *g, int level)
{
    memset(g, 0, sizeof *g);
    cr_assert_eq(deflateInit2(&g->zs, level, Z_DEFLATED, 15 + 16 /* gzip wrapper */, 8,
                              Z_DEFAULT_STRATEGY),
                 Z_OK);
}

/* Compresses data with the given flush mode (Z_NO_FLUSH, Z_SYNC_FLUSH,
 * Z_FINISH), appending to g->out. */
static void gz_add(gzmaker *g, const void *data, size_t len, int flush)
{
    unsigned char chunk[65536];
    g->zs.next_in = (Bytef *)(uintptr_t)data;
    g->zs.avail_in = (uInt)len;
    for (;;) {
        g->zs.next_out = chunk;
        g->zs.avail_out = sizeof chunk;
        int rc = deflate(&g->zs, flush);
        cr_assert(rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR, "deflate %d", rc);
        sb_add(&g->out, chunk, sizeof chunk - g->zs.avail_out);
        if (flush == Z_FINISH ? rc == Z_STREAM_END
                              : (g->zs.avail_in == 0 && g->zs.avail_out != 0))
            break;
    }
}

static sbuf gz_end(gzmaker *g)
{
    deflateEnd(&g->zs);
    return g->out;
}

/* One complete gzip member holding data. */
static sbuf gz(const void *data, size_t len, int level)
{
    gzmaker g;
    gz_begin(&g, level);
    gz_add(&g, data, len, Z_FINISH);
    return gz_end(&g);
}

/* Decodes a whole gzip file (one or more members, nothing after the last)
 * and returns the data; *members gets the member count. */
static sbuf gunzip_all(const unsigned char *z, size_t zlen, int *members)
{
    sbuf out = {0};
    z_stream zs;
    unsigned char chunk[65536];
    memset(&zs, 0, sizeof zs);
    cr_assert_eq(inflateInit2(&zs, 15 + 16), Z_OK);
    zs.next_in = (Bytef *)(uintptr_t)z;
    zs.avail_in = (uInt)zlen;
    int n = 0;
    for (;;) {
        zs.next_out = chunk;
        zs.avail_out = sizeof chunk;
        int rc = inflate(&zs, Z_NO_FLUSH);
        sb_add(&out, chunk, sizeof chunk - zs.avail_out);
        if (rc == Z_STREAM_END) {
            n++;
            if (zs.avail_in == 0)
                break;
            cr_assert_eq(inflateReset(&zs), Z_OK);
            continue;
        }
        cr_assert_eq(rc, Z_OK, "inflate: %d (%s) after member %d", rc,
                     zs.msg ? zs.msg : "", n);
    }
    inflateEnd(&zs);
    if (members)
        *members = n;
    return out;
}

/* ---- reading lines -------------------------------------------------- */

/* A reader with max_line on a temporary file holding data. */
static reader *reader_on(size_t max_line, const void *data, size_t len, const char *name, int *fd)
{
    reader *r = reader_new(max_line);
    cr_assert_not_null(r);
    *fd = tmp_with(data, len);
    reader_open(r, *fd, name);
    return r;
}

/* Asserts that the next result is RD_LINE with exactly these fields. */
static void expect_line_at(int at, reader *r, const void *exp, size_t explen, bool nl, bool cut,
                           uint64_t dropped, bool interrupted)
{
    rline l;
    memset(&l, 0xa5, sizeof l);
    int rc = reader_next(r, &l);
    cr_assert_eq(rc, RD_LINE, "line %d: reader_next returned %d (%s)", at, rc, reader_error(r));
    cr_assert(l.len == explen && memcmp(l.p, exp, explen) == 0,
              "line %d:\n  expected \"%s\" (%zu bytes)\n  actual   \"%s\" (%zu bytes)", at,
              esc(exp, explen), explen, esc(l.p, l.len), l.len);
    cr_assert_eq(l.nl, nl, "line %d: nl", at);
    cr_assert_eq(l.cut, cut, "line %d: cut", at);
    cr_assert_eq(l.interrupted, interrupted, "line %d: interrupted", at);
    cr_assert_eq(l.dropped, cut ? dropped : 0, "line %d: dropped %llu, expected %llu", at,
                 (unsigned long long)l.dropped, (unsigned long long)(cut ? dropped : 0));
}

#define EXPECT_LINE(r, lit, nl) expect_line_at(__LINE__, (r), LIT(lit), (nl), false, 0, false)
#define EXPECT_CUT(r, p, len, nl, dropped) \
    expect_line_at(__LINE__, (r), (p), (len), (nl), true, (dropped), false)
#define EXPECT_RC(r, want)                                                            \
    do {                                                                              \
        rline l_;                                                                     \
        int rc_ = reader_next((r), &l_);                                              \
        cr_assert_eq(rc_, (want), "reader_next returned %d, expected %d (error \"%s\")", \
                     rc_, (want), reader_error(r));                                   \
    } while (0)

/* Reads lines until something other than RD_LINE, appending each with its
 * '\n' (if it had one) to *text; returns the final status. */
static int read_rest(reader *r, sbuf *text, size_t *nlines)
{
    rline l;
    int rc;
    while ((rc = reader_next(r, &l)) == RD_LINE) {
        cr_assert(!l.cut, "unexpected cut line");
        sb_add(text, l.p, l.len);
        if (l.nl)
            sb_add(text, "\n", 1);
        if (nlines)
            (*nlines)++;
    }
    return rc;
}

/* ---- signals -------------------------------------------------------- */

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

/* SIGALRM interrupts system calls (no SA_RESTART) and fires once after
 * `ms` milliseconds. */
static void alarm_in(int ms)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    cr_assert_eq(sigaction(SIGALRM, &sa, NULL), 0);
    struct itimerval it = {.it_value = {.tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000}};
    cr_assert_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
}

/* ---------------------------------------------------------------------
 * reader
 * ------------------------------------------------------------------- */

Test(reader, new_refuses_bad_sizes_and_free_accepts_null)
{
    cr_assert_null(reader_new(0));
    cr_assert_null(reader_new(IO_MAX_LINE_LIMIT + 1));
    reader *r = reader_new(1);
    cr_assert_not_null(r);
    cr_assert_str_eq(reader_error(r), "");
    cr_assert_eq(reader_bytes(r), 0);
    cr_assert_eq(reader_is_gzip(r), false);
    reader_free(r);
    reader_free(NULL);
}

Test(reader, lines_with_final_newline)
{
    int fd;
    reader *r = reader_on(1024, LIT("a\nbb\n\nccc\n"), "in", &fd);
    EXPECT_LINE(r, "a", true);
    EXPECT_LINE(r, "bb", true);
    EXPECT_LINE(r, "", true);
    EXPECT_LINE(r, "ccc", true);
    EXPECT_RC(r, RD_EOF);
    EXPECT_RC(r, RD_EOF); /* and it stays there */
    cr_assert_eq(reader_bytes(r), 10);
    cr_assert_eq(reader_is_gzip(r), false);
    cr_assert_str_eq(reader_error(r), "");
    reader_free(r);
    close(fd);
}

Test(reader, last_line_without_newline)
{
    int fd;
    reader *r = reader_on(1024, LIT("first\nlast"), "in", &fd);
    EXPECT_LINE(r, "first", true);
    EXPECT_LINE(r, "last", false);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 10);
    reader_free(r);
    close(fd);
}

Test(reader, crlf_keeps_the_cr)
{
    int fd;
    reader *r = reader_on(1024, LIT("x\r\ny\r\n\r\nz\r"), "in", &fd);
    EXPECT_LINE(r, "x\r", true);
    EXPECT_LINE(r, "y\r", true);
    EXPECT_LINE(r, "\r", true);
    EXPECT_LINE(r, "z\r", false);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 10);
    reader_free(r);
    close(fd);
}

Test(reader, nul_bytes_inside_lines)
{
    int fd;
    reader *r = reader_on(1024, LIT("a\0b\n\0\n\0\0\xff\n\0"), "in", &fd);
    EXPECT_LINE(r, "a\0b", true);
    EXPECT_LINE(r, "\0", true);
    EXPECT_LINE(r, "\0\0\xff", true);
    EXPECT_LINE(r, "\0", false);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 11);
    reader_free(r);
    close(fd);
}

Test(reader, empty_lines_only)
{
    int fd;
    reader *r = reader_on(16, LIT("\n\n\n"), "in", &fd);
    EXPECT_LINE(r, "", true);
    EXPECT_LINE(r, "", true);
    EXPECT_LINE(r, "", true);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 3);
    reader_free(r);
    close(fd);
}

Test(reader, empty_file_is_eof_at_once)
{
    int fd;
    reader *r = reader_on(16, "", 0, "in", &fd);
    EXPECT_RC(r, RD_EOF);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 0);
    cr_assert_eq(reader_is_gzip(r), false);
    cr_assert_str_eq(reader_error(r), "");
    reader_free(r);
    close(fd);
}

Test(reader, one_byte_files)
{
    int fd;
    reader *r = reader_on(16, LIT("x"), "in", &fd);
    EXPECT_LINE(r, "x", false);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 1);
    close(fd);

    fd = tmp_with(LIT("\n"));
    reader_open(r, fd, "nl");
    EXPECT_LINE(r, "", true);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 2);
    close(fd);

    /* Half a gzip magic is just a byte. */
    fd = tmp_with(LIT("\x1f"));
    reader_open(r, fd, "half-magic");
    EXPECT_LINE(r, "\x1f", false);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_is_gzip(r), false);
    cr_assert_eq(reader_bytes(r), 3);
    close(fd);

    /* max_line 1 and a 1-byte line: not cut. */
    reader_free(r);
    r = reader_on(1, LIT("y\nzz\n"), "in", &fd);
    EXPECT_LINE(r, "y", true);
    EXPECT_CUT(r, "z", 1, true, 1);
    EXPECT_RC(r, RD_EOF);
    reader_free(r);
    close(fd);
}

Test(reader, line_of_exactly_max_line_is_not_cut)
{
    int fd;
    reader *r = reader_on(8, LIT("12345678\n123456789\nok\n12345678"), "in", &fd);
    EXPECT_LINE(r, "12345678", true);
    EXPECT_CUT(r, "12345678", 8, true, 1);
    EXPECT_LINE(r, "ok", true);
    EXPECT_LINE(r, "12345678", false);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 9 + 10 + 3 + 8);
    reader_free(r);
    close(fd);
}

Test(reader, max_line_plus_one_at_end_of_input_is_cut)
{
    int fd;
    reader *r = reader_on(8, LIT("123456789"), "in", &fd);
    EXPECT_CUT(r, "12345678", 8, false, 1);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 9);
    reader_free(r);
    close(fd);
}

Test(reader, long_final_line_without_newline)
{
    int fd;
    sbuf in = {0};
    sb_add(&in, LIT("short\n"));
    for (int k = 0; k < 100; k++)
        sb_add(&in, &"abcdefghij"[k % 10], 1);
    reader *r = reader_on(16, in.p, in.len, "in", &fd);
    EXPECT_LINE(r, "short", true);
    EXPECT_CUT(r, "abcdefghijabcdef", 16, false, 84);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 106);
    free(in.p);
    reader_free(r);
    close(fd);
}

/* A 3 MiB line plus neighbours, for the long-line tests. */
static sbuf long_line_input(size_t *long_len)
{
    sbuf in = {0};
    sb_add(&in, LIT("before\n"));
    size_t n = (size_t)3 << 20;
    for (size_t i = 0; i < n; i++) {
        char c = (char)('A' + i % 26);
        sb_add(&in, &c, 1);
    }
    sb_add(&in, LIT("\nnext\n\nafter"));
    *long_len = n;
    return in;
}

static void expect_long_line_output(reader *r, size_t max_line, size_t long_len)
{
    char *head = malloc(max_line);
    for (size_t i = 0; i < max_line; i++)
        head[i] = (char)('A' + i % 26);
    EXPECT_LINE(r, "before", true);
    EXPECT_CUT(r, head, max_line, true, long_len - max_line);
    EXPECT_LINE(r, "next", true);
    EXPECT_LINE(r, "", true);
    EXPECT_LINE(r, "after", false);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 7 + long_len + 1 + 5 + 1 + 5);
    free(head);
}

Test(reader, very_long_line_from_a_file)
{
    size_t long_len;
    sbuf in = long_line_input(&long_len);
    int fd;
    reader *r = reader_on(1000, in.p, in.len, "in", &fd);
    expect_long_line_output(r, 1000, long_len);
    free(in.p);
    reader_free(r);
    close(fd);
}

Test(reader, very_long_line_from_a_pipe_in_small_writes)
{
    size_t long_len;
    sbuf in = long_line_input(&long_len);
    int p[2];
    cr_assert_eq(pipe(p), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(p[0]);
        for (size_t off = 0; off < in.len;) {
            size_t n = in.len - off < 3001 ? in.len - off : 3001;
            ssize_t k = write(p[1], in.p + off, n);
            if (k <= 0)
                _exit(1);
            off += (size_t)k;
        }
        _exit(0);
    }
    close(p[1]);
    reader *r = reader_new(1000);
    reader_open(r, p[0], "pipe");
    expect_long_line_output(r, 1000, long_len);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    free(in.p);
    reader_free(r);
    close(p[0]);
}

Test(reader, very_long_line_in_gzip)
{
    size_t long_len;
    sbuf in = long_line_input(&long_len);
    sbuf z = gz(in.p, in.len, 6);
    cr_assert_lt(z.len, (size_t)64 << 10); /* compressible: see large_gzip_file */
    int fd;
    reader *r = reader_on(1000, z.p, z.len, "in.gz", &fd);
    expect_long_line_output(r, 1000, long_len);
    cr_assert(reader_is_gzip(r));
    free(in.p);
    free(z.p);
    reader_free(r);
    close(fd);
}

Test(reader, gzip_single_member)
{
    static const char text[] = "one\ntwo \0 bytes\n\nlast without newline";
    sbuf z = gz(LIT(text), 6);
    int fd;
    reader *r = reader_on(1024, z.p, z.len, "in.gz", &fd);
    cr_assert_eq(reader_is_gzip(r), false, "nothing read yet");
    EXPECT_LINE(r, "one", true);
    cr_assert_eq(reader_is_gzip(r), true);
    EXPECT_LINE(r, "two \0 bytes", true);
    EXPECT_LINE(r, "", true);
    EXPECT_LINE(r, "last without newline", false);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), sizeof text - 1);
    cr_assert_eq(reader_is_gzip(r), true);
    cr_assert_str_eq(reader_error(r), "");
    free(z.p);
    reader_free(r);
    close(fd);
}

Test(reader, gzip_empty_member_is_an_empty_input)
{
    sbuf z = gz("", 0, 6);
    int fd;
    reader *r = reader_on(1024, z.p, z.len, "empty.gz", &fd);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_is_gzip(r), true);
    cr_assert_eq(reader_bytes(r), 0);
    free(z.p);
    reader_free(r);
    close(fd);
}

Test(reader, gzip_multi_member_gives_all_lines)
{
    /* A line split across members, and an empty member in between. */
    sbuf a = gz(LIT("one\ntw"), 6), e = gz("", 0, 1), b = gz(LIT("o\nthree\n"), 9);
    sbuf all = {0};
    sb_add(&all, a.p, a.len);
    sb_add(&all, e.p, e.len);
    sb_add(&all, b.p, b.len);
    int fd;
    reader *r = reader_on(1024, all.p, all.len, "multi.gz", &fd);
    EXPECT_LINE(r, "one", true);
    EXPECT_LINE(r, "two", true);
    EXPECT_LINE(r, "three", true);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 14);
    cr_assert(reader_is_gzip(r));
    free(a.p);
    free(e.p);
    free(b.p);
    free(all.p);
    reader_free(r);
    close(fd);
}

Test(reader, gzip_truncated_trailer)
{
    sbuf z = gz(LIT("line one\nline two\n"), 6);
    int fd;
    reader *r = reader_on(1024, z.p, z.len - 4, "in.gz", &fd);
    /* The deflate data is whole, only the length field is short. */
    EXPECT_LINE(r, "line one", true);
    EXPECT_LINE(r, "line two", true);
    EXPECT_RC(r, RD_ERR);
    cr_assert_str_eq(reader_error(r), "in.gz: truncated gzip data");
    free(z.p);
    reader_free(r);
    close(fd);
}

Test(reader, gzip_truncated_anywhere)
{
    size_t nlines;
    sbuf text = random_lines(20000, &nlines);
    sbuf z = gz(text.p, text.len, 6);
    /* Cut inside the header, inside the deflate data, inside the trailer. */
    size_t cuts[] = {2, 3, 9, 10, 11, z.len / 3, z.len / 2, z.len - 9, z.len - 8, z.len - 1};
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        int fd;
        reader *r = reader_on(1024, z.p, cuts[k], "cut.gz", &fd);
        sbuf got = {0};
        int rc = read_rest(r, &got, NULL);
        cr_assert_eq(rc, RD_ERR, "cut at %zu of %zu: rc %d", cuts[k], z.len, rc);
        cr_assert_str_eq(reader_error(r), "cut.gz: truncated gzip data", "cut at %zu", cuts[k]);
        cr_assert_leq(got.len, text.len, "cut at %zu", cuts[k]);
        cr_assert(got.len == 0 || memcmp(got.p, text.p, got.len) == 0,
                  "cut at %zu: lines before the error are not the input's", cuts[k]);
        cr_assert_eq(reader_bytes(r), got.len);
        free(got.p);
        reader_free(r);
        close(fd);
    }
    free(text.p);
    free(z.p);
}

Test(reader, gzip_corrupt_method_byte)
{
    sbuf z = gz(LIT("hello\n"), 6);
    z.p[2] = 7; /* compression method: only 8 (deflate) exists */
    int fd;
    reader *r = reader_on(1024, z.p, z.len, "bad.gz", &fd);
    EXPECT_RC(r, RD_ERR);
    cr_assert_str_eq(reader_error(r), "bad.gz: corrupt gzip data");
    cr_assert(reader_is_gzip(r));
    free(z.p);
    reader_free(r);
    close(fd);
}

Test(reader, gzip_corrupt_stored_block_length)
{
    sbuf z = gz(LIT("stored data\n"), 0);
    /* Level 0: a 10-byte header, then one stored block: a header byte, LEN
     * (2 bytes), NLEN (2 bytes, LEN's complement). */
    cr_assert_eq(z.p[10] & 0x06, 0, "not a stored block");
    z.p[13] ^= 0x01;
    int fd;
    reader *r = reader_on(1024, z.p, z.len, "bad.gz", &fd);
    EXPECT_RC(r, RD_ERR);
    cr_assert_str_eq(reader_error(r), "bad.gz: corrupt gzip data");
    free(z.p);
    reader_free(r);
    close(fd);
}

Test(reader, gzip_corrupt_crc)
{
    static const char text[] = "alpha\nbeta\n";
    sbuf z = gz(LIT(text), 6);
    z.p[z.len - 8] ^= 0xff; /* CRC-32 in the trailer */
    int fd;
    reader *r = reader_on(1024, z.p, z.len, "crc.gz", &fd);
    sbuf got = {0};
    int rc = read_rest(r, &got, NULL);
    cr_assert_eq(rc, RD_ERR);
    cr_assert_str_eq(reader_error(r), "crc.gz: corrupt gzip data");
    cr_assert(got.len == 0 || memcmp(got.p, text, got.len) == 0);
    free(got.p);
    free(z.p);
    reader_free(r);
    close(fd);
}

Test(reader, gzip_trailing_garbage)
{
    sbuf z = gz(LIT("data\n"), 6);
    sb_add(&z, LIT("garbage\n"));
    int fd;
    reader *r = reader_on(1024, z.p, z.len, "tail.gz", &fd);
    EXPECT_LINE(r, "data", true);
    EXPECT_RC(r, RD_ERR);
    cr_assert_str_eq(reader_error(r), "tail.gz: trailing garbage after gzip data");
    free(z.p);
    reader_free(r);
    close(fd);
}

Test(reader, gzip_trailing_bytes_that_look_like_a_member)
{
    sbuf z = gz(LIT("data\n"), 6);
    sb_add(&z, LIT("\x1f\x8b\x08\x00junk-junk-junk"));
    int fd;
    reader *r = reader_on(1024, z.p, z.len, "tail.gz", &fd);
    EXPECT_LINE(r, "data", true);
    EXPECT_RC(r, RD_ERR);
    cr_assert_neq(reader_error(r)[0], '\0');
    cr_assert_eq(strncmp(reader_error(r), "tail.gz: ", 9), 0, "%s", reader_error(r));
    free(z.p);
    reader_free(r);
    close(fd);
}

/* A gzip file larger than one read buffer (256 KiB), read from a regular
 * file so that the first read(2) returns more than that at once. */
Test(reader, large_gzip_file)
{
    /* Keep every buffer on the main heap and free the test's own big ones
     * before the reader is made, so that the reader's buffers sit next to
     * the top chunk: an overrun then trips glibc's heap checks even without
     * a sanitizer.  The input is compared by length, line count and CRC. */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    size_t nlines;
    sbuf text = random_lines((size_t)1 << 20, &nlines);
    sbuf z = gz(text.p, text.len, 1);
    cr_assert_gt(z.len, (size_t)300 << 10, "needs > 256 KiB compressed, got %zu", z.len);
    int fd = tmp_with(z.p, z.len);
    size_t text_len = text.len;
    uLong text_crc = crc32(0L, text.p, (uInt)text.len);
    free(text.p);
    free(z.p);

    reader *r = reader_new((size_t)1 << 20);
    cr_assert_not_null(r);
    reader_open(r, fd, "big.gz");
    sbuf got = {0};
    size_t n = 0;
    int rc = read_rest(r, &got, &n);
    cr_assert_eq(rc, RD_EOF, "rc %d: %s", rc, reader_error(r));
    cr_assert_eq(n, nlines);
    cr_assert_eq(got.len, text_len);
    cr_assert_eq(crc32(0L, got.p, (uInt)got.len), text_crc);
    cr_assert_eq(reader_bytes(r), text_len);
    cr_assert(reader_is_gzip(r));
    free(got.p);
    reader_free(r);
    close(fd);
}

/* The same through a pipe, where no read(2) returns more than the pipe
 * holds. */
Test(reader, large_gzip_from_a_pipe)
{
    size_t nlines;
    sbuf text = random_lines((size_t)1 << 20, &nlines);
    sbuf z = gz(text.p, text.len, 1);
    int p[2];
    cr_assert_eq(pipe(p), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(p[0]);
        for (size_t off = 0; off < z.len;) {
            ssize_t k = write(p[1], z.p + off, z.len - off < 5000 ? z.len - off : 5000);
            if (k <= 0)
                _exit(1);
            off += (size_t)k;
        }
        _exit(0);
    }
    close(p[1]);
    reader *r = reader_new((size_t)1 << 20);
    reader_open(r, p[0], "pipe.gz");
    sbuf got = {0};
    size_t n = 0;
    int rc = read_rest(r, &got, &n);
    cr_assert_eq(rc, RD_EOF, "rc %d: %s", rc, reader_error(r));
    cr_assert_eq(n, nlines);
    cr_assert(got.len == text.len && memcmp(got.p, text.p, text.len) == 0);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    free(got.p);
    free(text.p);
    free(z.p);
    reader_free(r);
    close(p[0]);
}

Test(reader, plain_input_is_not_gzip)
{
    int fd;
    reader *r = reader_on(64, LIT("\x8b\x1f not magic\n"), "in", &fd);
    EXPECT_LINE(r, "\x8b\x1f not magic", true);
    cr_assert_eq(reader_is_gzip(r), false);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_is_gzip(r), false);
    reader_free(r);
    close(fd);
}

Test(reader, bytes_add_up_over_inputs_and_cut_lines)
{
    int fd;
    reader *r = reader_on(4, LIT("abcdefgh\nab\r\n"), "one", &fd);
    EXPECT_CUT(r, "abcd", 4, true, 4);
    EXPECT_LINE(r, "ab\r", true);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 13);
    close(fd);

    sbuf z = gz(LIT("xyz\n123456"), 6);
    fd = tmp_with(z.p, z.len);
    reader_open(r, fd, "two.gz");
    EXPECT_LINE(r, "xyz", true);
    EXPECT_CUT(r, "1234", 4, false, 2);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 13 + 10);
    free(z.p);
    reader_free(r);
    close(fd);
}

Test(reader, stop_returns_buffered_lines_then_interrupted_partial)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    write_full(p[1], LIT("a\nb\nparti"));
    /* The write end stays open: another read would block. */
    reader *r = reader_new(64);
    reader_open(r, p[0], "pipe");
    EXPECT_LINE(r, "a", true);
    reader_stop(r);
    reader_stop(r); /* safe to repeat */
    EXPECT_LINE(r, "b", true);
    expect_line_at(__LINE__, r, LIT("parti"), false, false, 0, true);
    EXPECT_RC(r, RD_EOF);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 9);
    reader_free(r);
    close(p[0]);
    close(p[1]);
}

static void count_calls(void *arg)
{
    ++*(int *)arg;
}

Test(reader, stop_before_reading_reads_nothing)
{
    int p[2], calls = 0;
    cr_assert_eq(pipe(p), 0);
    write_full(p[1], LIT("never read\n"));
    reader *r = reader_new(64);
    reader_open(r, p[0], "pipe");
    reader_on_refill(r, count_calls, &calls);
    reader_stop(r);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(calls, 0);
    cr_assert_eq(reader_bytes(r), 0);
    reader_free(r);
    close(p[0]);
    close(p[1]);
}

Test(reader, stop_in_gzip_input_keeps_decoded_lines)
{
    /* Sync-flushed gzip without its end: all three lines decodable, and a
     * blocking read would follow. */
    gzmaker g;
    gz_begin(&g, 6);
    gz_add(&g, LIT("one\ntwo\nthr"), Z_SYNC_FLUSH);
    sbuf z = g.out;
    int p[2];
    cr_assert_eq(pipe(p), 0);
    write_full(p[1], z.p, z.len);
    reader *r = reader_new(64);
    reader_open(r, p[0], "pipe.gz");
    EXPECT_LINE(r, "one", true);
    reader_stop(r);
    EXPECT_LINE(r, "two", true);
    expect_line_at(__LINE__, r, LIT("thr"), false, false, 0, true);
    EXPECT_RC(r, RD_EOF); /* not "truncated": we stopped */
    cr_assert(reader_is_gzip(r));
    deflateEnd(&g.zs);
    free(z.p);
    reader_free(r);
    close(p[0]);
    close(p[1]);
}

Test(reader, stop_during_a_cut_line_after_a_signal)
{
    alarms = 0;
    int p[2];
    cr_assert_eq(pipe(p), 0);
    write_full(p[1], LIT("abcdefgh"));
    reader *r = reader_new(4);
    reader_open(r, p[0], "pipe");
    alarm_in(100);
    EXPECT_RC(r, RD_INTR); /* blocked looking for the end of the long line */
    cr_assert_eq(alarms, 1);
    reader_stop(r);
    expect_line_at(__LINE__, r, "abcd", 4, false, true, 4, true);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 8);
    reader_free(r);
    close(p[0]);
    close(p[1]);
}

/* Each refill writes the next chunk into the (empty) pipe, or closes it:
 * the read that follows can only succeed if the hook ran before it. */
typedef struct refill_feed {
    int wfd;
    int calls;
    const char *chunks[4];
} refill_feed;

static void feed_next(void *arg)
{
    refill_feed *f = arg;
    const char *c = f->calls < 4 ? f->chunks[f->calls] : NULL;
    f->calls++;
    if (c != NULL) {
        write_full(f->wfd, c, strlen(c));
    } else if (f->wfd >= 0) {
        close(f->wfd);
        f->wfd = -1;
    }
}

Test(reader, refill_hook_runs_before_every_read)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    refill_feed f = {.wfd = p[1], .chunks = {"first li", "ne\nsecond\n", "third", NULL}};
    reader *r = reader_new(64);
    reader_open(r, p[0], "pipe");
    reader_on_refill(r, feed_next, &f);
    alarm_in(5000); /* a hook that ran late would leave read(2) blocked */
    EXPECT_LINE(r, "first line", true);
    cr_assert_eq(f.calls, 2);
    EXPECT_LINE(r, "second", true);
    cr_assert_eq(f.calls, 2, "a buffered line needs no read");
    EXPECT_LINE(r, "third", false);
    cr_assert_eq(f.calls, 4);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(f.calls, 4);
    cr_assert_eq(alarms, 0);
    reader_free(r);
    close(p[0]);
}

Test(reader, refill_hook_runs_for_gzip_input)
{
    int calls = 0;
    sbuf z = gz(LIT("a\nb\n"), 6);
    int fd;
    reader *r = reader_on(64, z.p, z.len, "in.gz", &fd);
    reader_on_refill(r, count_calls, &calls);
    EXPECT_LINE(r, "a", true);
    EXPECT_LINE(r, "b", true);
    EXPECT_RC(r, RD_EOF);
    /* One read for the data, one that finds the end of the file. */
    cr_assert_eq(calls, 2);
    free(z.p);
    reader_free(r);
    close(fd);
}

Test(reader, signal_interrupts_a_blocking_read)
{
    alarms = 0;
    int p[2];
    cr_assert_eq(pipe(p), 0);
    reader *r = reader_new(64);
    reader_open(r, p[0], "pipe");

    alarm_in(50);
    EXPECT_RC(r, RD_INTR);
    cr_assert_eq(alarms, 1);

    write_full(p[1], LIT("hello\nwor"));
    EXPECT_LINE(r, "hello", true);
    /* Half a line buffered: the next read blocks and is interrupted too. */
    alarm_in(50);
    EXPECT_RC(r, RD_INTR);
    cr_assert_eq(alarms, 2);

    write_full(p[1], LIT("ld\nend"));
    close(p[1]);
    EXPECT_LINE(r, "world", true);
    EXPECT_LINE(r, "end", false);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 15);
    cr_assert_str_eq(reader_error(r), "");
    reader_free(r);
    close(p[0]);
}

Test(reader, signal_interrupts_a_blocking_read_in_gzip)
{
    alarms = 0;
    gzmaker g;
    gz_begin(&g, 6);
    gz_add(&g, LIT("alpha\nbeta\n"), Z_SYNC_FLUSH);
    size_t first = g.out.len;
    gz_add(&g, LIT("gamma\n"), Z_FINISH);
    sbuf z = gz_end(&g);

    int p[2];
    cr_assert_eq(pipe(p), 0);
    write_full(p[1], z.p, first);
    reader *r = reader_new(64);
    reader_open(r, p[0], "pipe.gz");
    EXPECT_LINE(r, "alpha", true);
    EXPECT_LINE(r, "beta", true);
    alarm_in(50);
    EXPECT_RC(r, RD_INTR);
    cr_assert_eq(alarms, 1);
    write_full(p[1], z.p + first, z.len - first);
    close(p[1]);
    EXPECT_LINE(r, "gamma", true);
    EXPECT_RC(r, RD_EOF);
    cr_assert(reader_is_gzip(r));
    cr_assert_eq(reader_bytes(r), 17);
    free(z.p);
    reader_free(r);
    close(p[0]);
}

Test(reader, gzip_magic_split_across_reads)
{
    alarms = 0;
    sbuf z = gz(LIT("split magic\n"), 6);
    int p[2];
    cr_assert_eq(pipe(p), 0);
    write_full(p[1], z.p, 1);
    reader *r = reader_new(64);
    reader_open(r, p[0], "pipe.gz");
    alarm_in(50);
    EXPECT_RC(r, RD_INTR); /* one byte in, waiting for the second */
    cr_assert_eq(reader_is_gzip(r), false);
    write_full(p[1], z.p + 1, z.len - 1);
    close(p[1]);
    EXPECT_LINE(r, "split magic", true);
    cr_assert(reader_is_gzip(r));
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 12);
    free(z.p);
    reader_free(r);
    close(p[0]);
}

Test(reader, max_line_boundary_across_reads)
{
    alarms = 0;
    int p[2];
    cr_assert_eq(pipe(p), 0);
    reader *r = reader_new(8);
    reader_open(r, p[0], "pipe");

    /* Exactly max_line bytes, then its newline in a later read: not cut. */
    write_full(p[1], LIT("12345678"));
    alarm_in(50);
    EXPECT_RC(r, RD_INTR);
    write_full(p[1], LIT("\n"));
    EXPECT_LINE(r, "12345678", true);

    /* One byte more arrives later: cut, and the rest is counted. */
    write_full(p[1], LIT("abcdefgh"));
    alarm_in(50);
    EXPECT_RC(r, RD_INTR);
    write_full(p[1], LIT("i"));
    alarm_in(50);
    EXPECT_RC(r, RD_INTR); /* cut, still looking for the newline */
    write_full(p[1], LIT("jk\nnext\n"));
    close(p[1]);
    EXPECT_CUT(r, "abcdefgh", 8, true, 3);
    EXPECT_LINE(r, "next", true);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 9 + 12 + 5);
    cr_assert_eq(alarms, 3);
    reader_free(r);
    close(p[0]);
}

Test(reader, reopen_discards_buffered_data)
{
    int fd1, fd2;
    reader *r = reader_on(64, LIT("a\nbuffered\nmore\npartial"), "one", &fd1);
    EXPECT_LINE(r, "a", true);
    fd2 = tmp_with(LIT("x\ny"));
    reader_open(r, fd2, "two");
    EXPECT_LINE(r, "x", true);
    EXPECT_LINE(r, "y", false);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 2 + 2 + 1);
    reader_free(r);
    close(fd1);
    close(fd2);
}

Test(reader, reopen_after_gzip_and_back)
{
    sbuf z = gz(LIT("g1\ng2\ng3\n"), 6);
    int fd1, fd2, fd3;
    reader *r = reader_on(64, z.p, z.len, "one.gz", &fd1);
    EXPECT_LINE(r, "g1", true);
    cr_assert(reader_is_gzip(r));

    /* Mid-way through a gzip input, on to a plain one. */
    fd2 = tmp_with(LIT("plain\n"));
    reader_open(r, fd2, "two");
    cr_assert_eq(reader_is_gzip(r), false);
    EXPECT_LINE(r, "plain", true);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_is_gzip(r), false);

    fd3 = tmp_with(z.p, z.len);
    reader_open(r, fd3, "three.gz");
    EXPECT_LINE(r, "g1", true);
    EXPECT_LINE(r, "g2", true);
    EXPECT_LINE(r, "g3", true);
    EXPECT_RC(r, RD_EOF);
    cr_assert(reader_is_gzip(r));
    cr_assert_eq(reader_bytes(r), 3 + 6 + 9);
    free(z.p);
    reader_free(r);
    close(fd1);
    close(fd2);
    close(fd3);
}

Test(reader, reopen_in_the_middle_of_a_cut_line)
{
    alarms = 0;
    int p[2], fd;
    cr_assert_eq(pipe(p), 0);
    write_full(p[1], LIT("abcdefgh"));
    reader *r = reader_new(4);
    reader_open(r, p[0], "pipe");
    alarm_in(50);
    EXPECT_RC(r, RD_INTR);

    fd = tmp_with(LIT("ok\n"));
    reader_open(r, fd, "next");
    EXPECT_LINE(r, "ok", true);
    EXPECT_RC(r, RD_EOF);
    reader_free(r);
    close(fd);
    close(p[0]);
    close(p[1]);
}

Test(reader, reopen_after_an_error)
{
    sbuf z = gz(LIT("x\n"), 6);
    int fd1, fd2;
    reader *r = reader_on(64, z.p, z.len - 1, "bad.gz", &fd1);
    EXPECT_LINE(r, "x", true);
    EXPECT_RC(r, RD_ERR);
    cr_assert_str_eq(reader_error(r), "bad.gz: truncated gzip data");
    fd2 = tmp_with(LIT("fine\n"));
    reader_open(r, fd2, "good");
    cr_assert_str_eq(reader_error(r), "");
    EXPECT_LINE(r, "fine", true);
    EXPECT_RC(r, RD_EOF);
    free(z.p);
    reader_free(r);
    close(fd1);
    close(fd2);
}

Test(reader, read_error_names_the_input)
{
    int fd = open("/tmp", O_RDONLY | O_DIRECTORY);
    cr_assert_geq(fd, 0);
    reader *r = reader_new(64);
    reader_open(r, fd, "somedir");
    EXPECT_RC(r, RD_ERR);
    char want[128];
    snprintf(want, sizeof want, "somedir: %s", strerror(EISDIR));
    cr_assert_str_eq(reader_error(r), want);
    reader_free(r);
    close(fd);
}

/* ---- options: RD_NO_GZIP, RD_UNIVERSAL_NEWLINES (anonip) ---------------- */

Test(reader, universal_newlines_end_lines_at_cr_and_crlf)
{
    reader *r = reader_new(64);
    reader_set_options(r, RD_UNIVERSAL_NEWLINES);
    int fd = tmp_with(LIT("a\rb\r\nc\n\r\r\n\nd\0\r\re"));
    reader_open(r, fd, "in");
    EXPECT_LINE(r, "a", true);
    EXPECT_LINE(r, "b", true);
    EXPECT_LINE(r, "c", true);
    EXPECT_LINE(r, "", true); /* "\r" */
    EXPECT_LINE(r, "", true); /* "\r\n" */
    EXPECT_LINE(r, "", true); /* "\n" */
    EXPECT_LINE(r, "d\0", true);
    EXPECT_LINE(r, "", true);
    EXPECT_LINE(r, "e", false);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 16 - 2, "each \"\\r\\n\" counts as one byte");
    reader_free(r);
    close(fd);
}

Test(reader, universal_newlines_crlf_split_across_reads)
{
    /* The '\r' ends the line at once; the '\n' arriving alone in the next
     * read is the rest of the same terminator, not an empty line. */
    int p[2];
    cr_assert_eq(pipe(p), 0);
    refill_feed f = {.wfd = p[1], .chunks = {"x\r", "\n", "y\r", NULL}};
    reader *r = reader_new(64);
    reader_set_options(r, RD_UNIVERSAL_NEWLINES);
    reader_open(r, p[0], "pipe");
    reader_on_refill(r, feed_next, &f);
    alarm_in(5000);
    EXPECT_LINE(r, "x", true);
    cr_assert_eq(f.calls, 1, "a line ending in '\\r' needs no further read");
    EXPECT_LINE(r, "y", true);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(f.calls, 4);
    cr_assert_eq(alarms, 0);
    reader_free(r);
    close(p[0]);
}

Test(reader, universal_newlines_with_a_one_byte_first_read)
{
    /* One byte is too few to rule out gzip only when it is 0x1f; a lone
     * '\r' is text and is translated at once. */
    int p[2];
    cr_assert_eq(pipe(p), 0);
    refill_feed f = {.wfd = p[1], .chunks = {"\r", "\n", "y\n", NULL}};
    reader *r = reader_new(64);
    reader_set_options(r, RD_UNIVERSAL_NEWLINES);
    reader_open(r, p[0], "pipe");
    reader_on_refill(r, feed_next, &f);
    alarm_in(5000);
    EXPECT_LINE(r, "", true);
    EXPECT_LINE(r, "y", true);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_is_gzip(r), false);
    cr_assert_eq(alarms, 0);
    reader_free(r);
    close(p[0]);
}

Test(reader, universal_newlines_cut_line_ends_at_cr)
{
    int fd;
    reader *r = reader_new(4);
    reader_set_options(r, RD_UNIVERSAL_NEWLINES);
    fd = tmp_with(LIT("abcdefg\r\nhi\rjklmn\r"));
    reader_open(r, fd, "in");
    EXPECT_CUT(r, "abcd", 4, true, 3);
    EXPECT_LINE(r, "hi", true);
    EXPECT_CUT(r, "jklm", 4, true, 1);
    EXPECT_RC(r, RD_EOF);
    reader_free(r);
    close(fd);
}

Test(reader, universal_newlines_still_detect_gzip)
{
    sbuf z = gz(LIT("one\r\ntwo\rthree\n"), 6);
    int fd = tmp_with(z.p, z.len);
    reader *r = reader_new(64);
    reader_set_options(r, RD_UNIVERSAL_NEWLINES);
    reader_open(r, fd, "in.gz");
    EXPECT_LINE(r, "one", true);
    EXPECT_LINE(r, "two", true);
    EXPECT_LINE(r, "three", true);
    EXPECT_RC(r, RD_EOF);
    cr_assert(reader_is_gzip(r));
    free(z.p);
    reader_free(r);
    close(fd);
}

Test(reader, no_gzip_reads_gzip_bytes_as_text)
{
    const char data[] = "\x1f\x8b\x08\x00zz\nx\n";
    int fd = tmp_with(data, sizeof data - 1);
    reader *r = reader_new(64);
    reader_set_options(r, RD_NO_GZIP);
    reader_open(r, fd, "in");
    EXPECT_LINE(r, "\x1f\x8b\x08\x00zz", true);
    EXPECT_LINE(r, "x", true);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_is_gzip(r), false);
    reader_free(r);
    close(fd);
}

Test(reader, options_apply_from_the_next_open)
{
    int fd1 = tmp_with(LIT("a\rb\n"));
    int fd2 = tmp_with(LIT("a\rb\n"));
    reader *r = reader_new(64);
    reader_open(r, fd1, "one");
    reader_set_options(r, RD_UNIVERSAL_NEWLINES);
    EXPECT_LINE(r, "a\rb", true); /* opened with the defaults */
    EXPECT_RC(r, RD_EOF);
    reader_open(r, fd2, "two");
    EXPECT_LINE(r, "a", true);
    EXPECT_LINE(r, "b", true);
    EXPECT_RC(r, RD_EOF);
    reader_free(r);
    close(fd1);
    close(fd2);
}

static void stop_reader(void *arg)
{
    reader_stop(arg);
}

Test(reader, refill_hook_may_stop_the_reader)
{
    /* The hook stops the reader: the read that would block is not made,
     * and what is buffered comes back as after reader_stop. */
    int p[2];
    cr_assert_eq(pipe(p), 0);
    write_full(p[1], LIT("a\npart"));
    reader *r = reader_new(64);
    reader_open(r, p[0], "pipe");
    EXPECT_LINE(r, "a", true);
    reader_on_refill(r, stop_reader, r);
    alarm_in(5000);
    expect_line_at(__LINE__, r, LIT("part"), false, false, 0, true);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(alarms, 0);
    reader_free(r);
    close(p[0]);
    close(p[1]);
}

Test(reader, refill_hook_may_stop_a_gzip_reader)
{
    gzmaker g;
    gz_begin(&g, 6);
    gz_add(&g, LIT("one\ntw"), Z_SYNC_FLUSH);
    sbuf z = g.out;
    int p[2];
    cr_assert_eq(pipe(p), 0);
    write_full(p[1], z.p, z.len);
    reader *r = reader_new(64);
    reader_open(r, p[0], "pipe.gz");
    EXPECT_LINE(r, "one", true);
    reader_on_refill(r, stop_reader, r);
    alarm_in(5000);
    expect_line_at(__LINE__, r, LIT("tw"), false, false, 0, true);
    EXPECT_RC(r, RD_EOF); /* not "truncated": we stopped */
    cr_assert_eq(alarms, 0);
    deflateEnd(&g.zs);
    free(z.p);
    reader_free(r);
    close(p[0]);
    close(p[1]);
}

/* ---------------------------------------------------------------------
 * writer
 * ------------------------------------------------------------------- */

Test(writer, free_accepts_null)
{
    writer_free(NULL);
}

Test(writer, plain_output_is_exact_and_buffered)
{
    int fd = tmp_empty();
    writer *w = writer_new(fd, false);
    cr_assert_not_null(w);
    cr_assert_eq(writer_errno(w), 0);
    cr_assert_eq(writer_put(w, LIT("hello ")), 0);
    cr_assert_eq(writer_put(w, LIT("world\n")), 0);
    cr_assert_eq(writer_put(w, "", 0), 0);
    cr_assert_eq(writer_put(w, LIT("\0\xff\r\n")), 0);
    cr_assert_eq(writer_bytes(w), 16);

    sbuf got = slurp(fd);
    cr_assert_eq(got.len, 0, "written before a flush");
    free(got.p);

    cr_assert_eq(writer_flush(w), 0);
    got = slurp(fd);
    cr_assert(got.len == 16 && memcmp(got.p, "hello world\n\0\xff\r\n", 16) == 0, "got \"%s\"",
              esc((char *)got.p, got.len));
    free(got.p);

    cr_assert_eq(writer_flush(w), 0); /* nothing new: nothing written */
    cr_assert_eq(writer_put(w, LIT("tail")), 0);
    cr_assert_eq(writer_finish(w), 0);
    got = slurp(fd);
    cr_assert(got.len == 20 && memcmp(got.p, "hello world\n\0\xff\r\ntail", 20) == 0);
    cr_assert_eq(writer_bytes(w), 20);
    cr_assert_eq(writer_errno(w), 0);
    free(got.p);
    writer_free(w);
    close(fd);
}

Test(writer, plain_large_writes)
{
    int fd = tmp_empty();
    writer *w = writer_new(fd, false);
    sbuf want = {0};
    /* One put larger than the buffer, then many small ones across its edge. */
    size_t big = ((size_t)1 << 20) + 123;
    unsigned char *blob = malloc(big);
    for (size_t i = 0; i < big; i++)
        blob[i] = (unsigned char)rng();
    cr_assert_eq(writer_put(w, blob, big), 0);
    sb_add(&want, blob, big);
    for (int k = 0; k < 100000; k++) {
        char line[32];
        int n = snprintf(line, sizeof line, "%d\n", k);
        cr_assert_eq(writer_put(w, line, (size_t)n), 0);
        sb_add(&want, line, (size_t)n);
    }
    cr_assert_eq(writer_finish(w), 0);
    cr_assert_eq(writer_bytes(w), want.len);
    sbuf got = slurp(fd);
    cr_assert_eq(got.len, want.len);
    cr_assert_eq(memcmp(got.p, want.p, want.len), 0);
    free(blob);
    free(got.p);
    free(want.p);
    writer_free(w);
    close(fd);
}

Test(writer, gzip_output_decodes_to_the_exact_bytes)
{
    int fd = tmp_empty();
    writer *w = writer_new(fd, true);
    cr_assert_not_null(w);
    static const char text[] = "203.0.113.0 - - \"GET /\" 200\n\0binary\xff\r\nlast";
    cr_assert_eq(writer_put(w, text, 20), 0);
    cr_assert_eq(writer_put(w, text + 20, sizeof text - 1 - 20), 0);
    cr_assert_eq(writer_finish(w), 0);
    cr_assert_eq(writer_bytes(w), sizeof text - 1);

    sbuf z = slurp(fd);
    cr_assert_geq(z.len, 18);
    cr_assert(z.p[0] == 0x1f && z.p[1] == 0x8b && z.p[2] == 8, "not a gzip header");
    int members;
    sbuf got = gunzip_all(z.p, z.len, &members);
    cr_assert_eq(members, 1);
    cr_assert(got.len == sizeof text - 1 && memcmp(got.p, text, got.len) == 0, "got \"%s\"",
              esc((char *)got.p, got.len));
    free(z.p);
    free(got.p);
    writer_free(w);
    close(fd);
}

Test(writer, gzip_empty_output_is_a_valid_member)
{
    int fd = tmp_empty();
    writer *w = writer_new(fd, true);
    cr_assert_eq(writer_finish(w), 0);
    sbuf z = slurp(fd);
    int members;
    sbuf got = gunzip_all(z.p, z.len, &members);
    cr_assert_eq(members, 1);
    cr_assert_eq(got.len, 0);
    free(z.p);
    free(got.p);
    writer_free(w);
    close(fd);
}

Test(writer, gzip_large_writes)
{
    size_t nlines;
    sbuf text = random_lines((size_t)3 << 20, &nlines);
    int fd = tmp_empty();
    writer *w = writer_new(fd, true);
    /* Odd-sized puts, some bigger than the 256 KiB buffer. */
    size_t off = 0, step = 1;
    while (off < text.len) {
        size_t n = text.len - off < step ? text.len - off : step;
        cr_assert_eq(writer_put(w, text.p + off, n), 0);
        off += n;
        step = step * 7 % 700001 + 1;
    }
    cr_assert_eq(writer_finish(w), 0);
    cr_assert_eq(writer_bytes(w), text.len);
    sbuf z = slurp(fd);
    int members;
    sbuf got = gunzip_all(z.p, z.len, &members);
    cr_assert_eq(members, 1);
    cr_assert(got.len == text.len && memcmp(got.p, text.p, text.len) == 0);
    free(text.p);
    free(z.p);
    free(got.p);
    writer_free(w);
    close(fd);
}

/* Inflates a gzip stream that has no end yet; returns what came out and
 * asserts that zlib neither failed nor saw an end. */
static sbuf inflate_partial(const unsigned char *z, size_t zlen)
{
    sbuf out = {0};
    z_stream zs;
    unsigned char chunk[65536];
    memset(&zs, 0, sizeof zs);
    cr_assert_eq(inflateInit2(&zs, 15 + 16), Z_OK);
    zs.next_in = (Bytef *)(uintptr_t)z;
    zs.avail_in = (uInt)zlen;
    for (;;) {
        zs.next_out = chunk;
        zs.avail_out = sizeof chunk;
        int rc = inflate(&zs, Z_SYNC_FLUSH);
        sb_add(&out, chunk, sizeof chunk - zs.avail_out);
        cr_assert(rc == Z_OK || rc == Z_BUF_ERROR, "inflate: %d", rc);
        if (zs.avail_in == 0 && zs.avail_out != 0)
            break;
    }
    inflateEnd(&zs);
    return out;
}

Test(writer, gzip_flush_makes_everything_so_far_decodable)
{
    int fd = tmp_empty();
    writer *w = writer_new(fd, true);
    cr_assert_eq(writer_put(w, LIT("line1\nline2\n")), 0);
    cr_assert_eq(writer_flush(w), 0);

    sbuf z = slurp(fd);
    /* A sync flush ends with an empty stored block: 00 00 ff ff. */
    cr_assert_geq(z.len, 14);
    cr_assert_eq(memcmp(z.p + z.len - 4, "\x00\x00\xff\xff", 4), 0);
    sbuf got = inflate_partial(z.p, z.len);
    cr_assert(got.len == 12 && memcmp(got.p, "line1\nline2\n", 12) == 0, "got \"%s\"",
              esc((char *)got.p, got.len));
    free(got.p);

    size_t before = z.len;
    free(z.p);
    cr_assert_eq(writer_flush(w), 0); /* nothing new */
    z = slurp(fd);
    cr_assert_eq(z.len, before, "an idle flush wrote %zu bytes", z.len - before);
    free(z.p);

    cr_assert_eq(writer_put(w, LIT("line3\n")), 0);
    cr_assert_eq(writer_flush(w), 0);
    z = slurp(fd);
    got = inflate_partial(z.p, z.len);
    cr_assert(got.len == 18 && memcmp(got.p, "line1\nline2\nline3\n", 18) == 0);
    free(got.p);
    free(z.p);

    cr_assert_eq(writer_finish(w), 0);
    z = slurp(fd);
    int members;
    got = gunzip_all(z.p, z.len, &members);
    cr_assert_eq(members, 1);
    cr_assert(got.len == 18 && memcmp(got.p, "line1\nline2\nline3\n", 18) == 0);
    free(got.p);
    free(z.p);
    writer_free(w);
    close(fd);
}

Test(writer, finish_and_reset_make_two_gzip_members)
{
    int fd1 = tmp_empty(), fd2 = tmp_empty();
    writer *w = writer_new(fd1, true);
    cr_assert_eq(writer_put(w, LIT("first file\n")), 0);
    cr_assert_eq(writer_finish(w), 0);
    writer_reset(w, fd2);
    cr_assert_eq(writer_put(w, LIT("second file\nno newline")), 0);
    cr_assert_eq(writer_finish(w), 0);
    cr_assert_eq(writer_bytes(w), 11 + 22);
    cr_assert_eq(writer_errno(w), 0);

    sbuf z1 = slurp(fd1), z2 = slurp(fd2);
    int m1, m2, m12;
    sbuf g1 = gunzip_all(z1.p, z1.len, &m1), g2 = gunzip_all(z2.p, z2.len, &m2);
    cr_assert_eq(m1, 1);
    cr_assert_eq(m2, 1);
    cr_assert(g1.len == 11 && memcmp(g1.p, "first file\n", 11) == 0);
    cr_assert(g2.len == 22 && memcmp(g2.p, "second file\nno newline", 22) == 0);

    /* Appended to one file they are a valid multi-member gzip. */
    sbuf both = {0};
    sb_add(&both, z1.p, z1.len);
    sb_add(&both, z2.p, z2.len);
    sbuf g12 = gunzip_all(both.p, both.len, &m12);
    cr_assert_eq(m12, 2);
    cr_assert(g12.len == 33 && memcmp(g12.p, "first file\nsecond file\nno newline", 33) == 0);

    /* ... and the reader takes them as one input. */
    int fd3 = tmp_with(both.p, both.len);
    reader *r = reader_new(64);
    reader_open(r, fd3, "both.gz");
    EXPECT_LINE(r, "first file", true);
    EXPECT_LINE(r, "second file", true);
    EXPECT_LINE(r, "no newline", false);
    EXPECT_RC(r, RD_EOF);
    reader_free(r);

    free(z1.p);
    free(z2.p);
    free(g1.p);
    free(g2.p);
    free(both.p);
    free(g12.p);
    writer_free(w);
    close(fd1);
    close(fd2);
    close(fd3);
}

Test(writer, plain_finish_and_reset_continue_on_the_new_fd)
{
    int fd1 = tmp_empty(), fd2 = tmp_empty();
    writer *w = writer_new(fd1, false);
    cr_assert_eq(writer_put(w, LIT("one\n")), 0);
    cr_assert_eq(writer_finish(w), 0);
    writer_reset(w, fd2);
    cr_assert_eq(writer_put(w, LIT("two\n")), 0);
    cr_assert_eq(writer_flush(w), 0);
    sbuf a = slurp(fd1), b = slurp(fd2);
    cr_assert(a.len == 4 && memcmp(a.p, "one\n", 4) == 0);
    cr_assert(b.len == 4 && memcmp(b.p, "two\n", 4) == 0);
    cr_assert_eq(writer_bytes(w), 8);
    free(a.p);
    free(b.p);
    writer_free(w);
    close(fd1);
    close(fd2);
}

/* A pipe whose read end is already closed; SIGPIPE ignored. */
static int broken_pipe(void)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    return p[1];
}

Test(writer, closed_pipe_gives_epipe_on_flush)
{
    int fd = broken_pipe();
    writer *w = writer_new(fd, false);
    cr_assert_eq(writer_put(w, LIT("x\n")), 0, "buffered, nothing written yet");
    cr_assert_eq(writer_flush(w), -1);
    cr_assert_eq(writer_errno(w), EPIPE);
    writer_free(w);
    close(fd);
}

Test(writer, closed_pipe_gives_epipe_on_a_large_put)
{
    int fd = broken_pipe();
    writer *w = writer_new(fd, false);
    size_t n = (size_t)300 << 10;
    char *blob = malloc(n);
    memset(blob, 'x', n);
    cr_assert_eq(writer_put(w, blob, n), -1);
    cr_assert_eq(writer_errno(w), EPIPE);
    free(blob);
    writer_free(w);
    close(fd);
}

Test(writer, closed_pipe_gives_epipe_with_gzip)
{
    int fd = broken_pipe();
    writer *w = writer_new(fd, true);
    cr_assert_eq(writer_put(w, LIT("x\n")), 0);
    cr_assert_eq(writer_finish(w), -1);
    cr_assert_eq(writer_errno(w), EPIPE);
    writer_free(w);
    close(fd);

    fd = broken_pipe();
    w = writer_new(fd, true);
    cr_assert_eq(writer_put(w, LIT("y\n")), 0);
    cr_assert_eq(writer_flush(w), -1);
    cr_assert_eq(writer_errno(w), EPIPE);
    writer_free(w);
    close(fd);
}

/* ---------------------------------------------------------------------
 * reader_next_block
 * ------------------------------------------------------------------- */

/* Asserts that the next result is RD_LINE with a block of exactly exp. */
static void expect_block_at(int at, reader *r, const void *exp, size_t explen)
{
    const char *p = NULL;
    size_t len = (size_t)-1;
    int rc = reader_next_block(r, &p, &len);
    cr_assert_eq(rc, RD_LINE, "line %d: reader_next_block returned %d (%s)", at, rc,
                 reader_error(r));
    cr_assert(len == explen && memcmp(p, exp, explen) == 0,
              "line %d:\n  expected block \"%s\" (%zu bytes)\n  actual   \"%s\" (%zu bytes)", at,
              esc(exp, explen), explen, esc(p, len), len);
}

#define EXPECT_BLOCK(r, lit) expect_block_at(__LINE__, (r), LIT(lit))
#define EXPECT_BLOCK_RC(r, want)                                                              \
    do {                                                                                      \
        const char *p_;                                                                       \
        size_t n_;                                                                            \
        int rc_ = reader_next_block((r), &p_, &n_);                                           \
        cr_assert_eq(rc_, (want), "reader_next_block returned %d, expected %d (\"%s\")", rc_, \
                     (want), reader_error(r));                                                \
    } while (0)

Test(reader, block_holds_every_whole_line_buffered)
{
    int fd;
    reader *r = reader_on(1024, LIT("a\nbb\n\nccc\n"), "in", &fd);
    EXPECT_BLOCK(r, "a\nbb\n\nccc\n");
    EXPECT_BLOCK_RC(r, RD_EOF);
    EXPECT_BLOCK_RC(r, RD_EOF);
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 10);
    reader_free(r);
    close(fd);
}

Test(reader, block_of_empty_lines_and_nul_bytes)
{
    int fd;
    reader *r = reader_on(16, LIT("\n\n\0\n\n"), "in", &fd);
    EXPECT_BLOCK(r, "\n\n\0\n\n");
    EXPECT_BLOCK_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 5);
    reader_free(r);
    close(fd);
}

Test(reader, block_on_an_empty_input_is_eof)
{
    int fd;
    reader *r = reader_on(16, "", 0, "in", &fd);
    EXPECT_BLOCK_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 0);
    reader_free(r);
    close(fd);
}

Test(reader, block_leaves_a_last_line_without_newline_to_reader_next)
{
    int fd;
    reader *r = reader_on(1024, LIT("first\nsecond\nlast"), "in", &fd);
    EXPECT_BLOCK(r, "first\nsecond\n");
    EXPECT_BLOCK_RC(r, RD_ONE);
    EXPECT_BLOCK_RC(r, RD_ONE); /* nothing taken: still the same line */
    EXPECT_LINE(r, "last", false);
    EXPECT_BLOCK_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 17);
    reader_free(r);

    /* Only such a line. */
    close(fd);
    r = reader_on(1024, LIT("x"), "in", &fd);
    EXPECT_BLOCK_RC(r, RD_ONE);
    EXPECT_LINE(r, "x", false);
    EXPECT_BLOCK_RC(r, RD_EOF);
    reader_free(r);
    close(fd);
}

Test(reader, block_ends_before_a_line_longer_than_max_line)
{
    int fd;
    reader *r =
        reader_on(8, LIT("12345678\nok\n123456789\nafter\n12345678\n1234567890abc"), "in", &fd);
    EXPECT_BLOCK(r, "12345678\nok\n"); /* exactly max_line: whole */
    EXPECT_BLOCK_RC(r, RD_ONE);
    EXPECT_CUT(r, "12345678", 8, true, 1);
    EXPECT_BLOCK(r, "after\n12345678\n");
    EXPECT_BLOCK_RC(r, RD_ONE);
    EXPECT_CUT(r, "12345678", 8, false, 5);
    EXPECT_BLOCK_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 9 + 3 + 10 + 6 + 9 + 13);
    reader_free(r);
    close(fd);
}

Test(reader, block_spans_many_lines_even_with_a_small_max_line)
{
    sbuf in = {0};
    for (int k = 0; k < 1000; k++)
        sb_add(&in, k % 3 ? "abcdefg\n" : "\n", k % 3 ? 8 : 1);
    int fd;
    reader *r = reader_on(7, in.p, in.len, "in", &fd);
    expect_block_at(__LINE__, r, in.p, in.len);
    EXPECT_BLOCK_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), in.len);
    free(in.p);
    reader_free(r);
    close(fd);
}

Test(reader, block_after_reader_next_continues_where_it_left_off)
{
    int fd;
    reader *r = reader_on(64, LIT("one\ntwo\nthree\nfour\n"), "in", &fd);
    EXPECT_LINE(r, "one", true);
    EXPECT_BLOCK(r, "two\nthree\nfour\n");
    EXPECT_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 19);
    reader_free(r);
    close(fd);
}

/* A block stops at IO_BLOCK_TARGET bytes; a longer line (not longer than
 * max_line) comes alone, and a line of max_line + 1 goes to reader_next. */
Test(reader, block_size_is_bounded_and_long_lines_come_alone)
{
    size_t big = IO_BLOCK_TARGET + 100, max_line = 2 * IO_BLOCK_TARGET;
    sbuf in = {0};
    for (int k = 0; k < 2000; k++)
        sb_add(&in, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\n", 63);
    size_t small_part = in.len;
    char *line = malloc(max_line + 1);
    cr_assert_not_null(line);
    memset(line, 'x', max_line + 1);
    sb_add(&in, line, big);
    sb_add(&in, "\n", 1);
    sb_add(&in, "tail\n", 5);
    sb_add(&in, line, max_line + 1);
    sb_add(&in, "\n", 1);
    sb_add(&in, "end\n", 4);

    int fd;
    reader *r = reader_on(max_line, in.p, in.len, "in", &fd);
    const char *p;
    size_t n, got = 0;
    while (got < small_part) {
        cr_assert_eq(reader_next_block(r, &p, &n), RD_LINE);
        cr_assert_leq(n, IO_BLOCK_TARGET);
        cr_assert_eq(n % 63, 0, "a block of whole 63-byte lines");
        cr_assert(memcmp(p, in.p + got, n) == 0);
        got += n;
    }
    cr_assert_eq(got, small_part);
    cr_assert_eq(reader_next_block(r, &p, &n), RD_LINE);
    cr_assert_eq(n, big + 1, "the long line alone: %zu bytes", n);
    cr_assert(memcmp(p, line, big) == 0 && p[big] == '\n');
    EXPECT_BLOCK(r, "tail\n");
    EXPECT_BLOCK_RC(r, RD_ONE);
    EXPECT_CUT(r, line, max_line, true, 1);
    EXPECT_BLOCK(r, "end\n");
    EXPECT_BLOCK_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), in.len);
    free(line);
    free(in.p);
    reader_free(r);
    close(fd);
}

Test(reader, block_from_gzip_input)
{
    sbuf z = gz(LIT("alpha\nbeta\ngamma"), 6);
    int fd;
    reader *r = reader_on(64, z.p, z.len, "in.gz", &fd);
    EXPECT_BLOCK(r, "alpha\nbeta\n");
    cr_assert(reader_is_gzip(r));
    EXPECT_BLOCK_RC(r, RD_ONE);
    EXPECT_LINE(r, "gamma", false);
    EXPECT_BLOCK_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 16);
    free(z.p);
    reader_free(r);
    close(fd);
}

Test(reader, block_with_universal_newlines)
{
    int fd;
    reader *r = reader_new(64);
    cr_assert_not_null(r);
    reader_set_options(r, RD_UNIVERSAL_NEWLINES);
    fd = tmp_with(LIT("a\r\nb\rc\n\r\rd"));
    reader_open(r, fd, "in");
    EXPECT_BLOCK(r, "a\nb\nc\n\n\n");
    EXPECT_BLOCK_RC(r, RD_ONE);
    EXPECT_LINE(r, "d", false);
    EXPECT_BLOCK_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 9);
    reader_free(r);
    close(fd);
}

Test(reader, block_after_stop_then_interrupted_partial)
{
    int p[2], calls = 0;
    cr_assert_eq(pipe(p), 0);
    write_full(p[1], LIT("a\nb\nparti"));
    reader *r = reader_new(64);
    reader_open(r, p[0], "pipe");
    reader_on_refill(r, count_calls, &calls);
    EXPECT_BLOCK(r, "a\nb\n");
    cr_assert_eq(calls, 1);
    reader_stop(r);
    EXPECT_BLOCK_RC(r, RD_ONE); /* no read: the hook is not called again */
    cr_assert_eq(calls, 1);
    expect_line_at(__LINE__, r, LIT("parti"), false, false, 0, true);
    EXPECT_BLOCK_RC(r, RD_EOF);
    cr_assert_eq(reader_bytes(r), 9);
    reader_free(r);
    close(p[0]);
    close(p[1]);
}

Test(reader, block_read_interrupted_by_a_signal)
{
    alarms = 0;
    int p[2];
    cr_assert_eq(pipe(p), 0);
    write_full(p[1], LIT("half"));
    reader *r = reader_new(64);
    reader_open(r, p[0], "pipe");
    alarm_in(50);
    EXPECT_BLOCK_RC(r, RD_INTR); /* "half" is buffered, the next read blocks */
    cr_assert_eq(alarms, 1);
    write_full(p[1], LIT(" line\nnext\n"));
    EXPECT_BLOCK(r, "half line\nnext\n");
    close(p[1]);
    EXPECT_BLOCK_RC(r, RD_EOF);
    reader_free(r);
    close(p[0]);
}

Test(reader, block_read_error_names_the_input)
{
    reader *r = reader_new(64);
    reader_open(r, -1, "nowhere.log");
    EXPECT_BLOCK_RC(r, RD_ERR);
    cr_assert_str_eq(reader_error(r), "nowhere.log: Bad file descriptor");
    reader_free(r);
}

/* What a reader hands out, one record per line: flags, dropped bytes and
 * the text, so that two ways of reading can be compared byte for byte. */
static void record_line(sbuf *rec, const char *p, size_t len, bool nl, bool cut, bool intr,
                        uint64_t dropped)
{
    char head[64];
    int n = snprintf(head, sizeof head, "[%zu %d%d%d %llu]", len, nl, cut, intr,
                     (unsigned long long)dropped);
    sb_add(rec, head, (size_t)n);
    sb_add(rec, p, len);
}

/* Reads everything with reader_next only. */
static int record_by_lines(reader *r, sbuf *rec)
{
    rline l;
    int rc;
    while ((rc = reader_next(r, &l)) == RD_LINE)
        record_line(rec, l.p, l.len, l.nl, l.cut, l.interrupted, l.dropped);
    return rc;
}

/* Reads everything with reader_next_block, and reader_next on RD_ONE;
 * checks every block's promises on the way. */
static int record_by_blocks(reader *r, size_t max_line, sbuf *rec, size_t *nblocks)
{
    for (;;) {
        const char *p;
        size_t n;
        int rc = reader_next_block(r, &p, &n);
        if (rc == RD_ONE) {
            rline l;
            rc = reader_next(r, &l);
            cr_assert_eq(rc, RD_LINE, "RD_ONE, then reader_next returned %d", rc);
            record_line(rec, l.p, l.len, l.nl, l.cut, l.interrupted, l.dropped);
            continue;
        }
        if (rc != RD_LINE)
            return rc;
        cr_assert_gt(n, 0);
        cr_assert_eq(p[n - 1], '\n', "a block ends with a whole line");
        size_t lines = 0;
        for (size_t from = 0; from < n; lines++) {
            const char *nl = memchr(p + from, '\n', n - from);
            size_t len = (size_t)(nl - (p + from));
            cr_assert_leq(len, max_line, "a line of the block is longer than max_line");
            record_line(rec, p + from, len, true, false, false, 0);
            from += len + 1;
        }
        cr_assert(n <= IO_BLOCK_TARGET || lines == 1, "%zu bytes in %zu lines", n, lines);
        (*nblocks)++;
    }
}

/* Random text: lines of random length (some longer than max_line, some
 * empty, some with NUL bytes or '\r'), the last one with or without '\n'. */
static sbuf random_text(size_t max_line, size_t lines)
{
    sbuf b = {0};
    for (size_t k = 0; k < lines; k++) {
        size_t len;
        switch (rng() % 8) {
        // clang-format off
        case 0: len = 0; break;
        case 1: len = max_line + rng() % 3; break; /* at the edge */
        case 2: len = rng() % (3 * max_line + 2); break;
        default: len = rng() % (max_line + 1); break;
        // clang-format on
        }
        for (size_t i = 0; i < len; i++) {
            static const char alphabet[] = "abc 0123.:\r\t\0";
            char c = alphabet[rng() % (sizeof alphabet - 1)];
            sb_add(&b, &c, 1);
        }
        if (k + 1 < lines || rng() % 2)
            sb_add(&b, "\n", 1);
    }
    return b;
}

/* Blocks and lines hand out the same lines, for random inputs and line
 * limits, from a file and from a pipe fed in odd-sized writes. */
Test(reader, blocks_and_lines_agree_on_random_inputs)
{
    static const size_t limits[] = {1, 2, 3, 7, 64, 100, 1000, 100000};
    size_t blocks_seen = 0;
    rng_state = 0x2545f4914f6cdd1dull;
    for (int round = 0; round < 48; round++) {
        size_t max_line = limits[round % 8];
        size_t lines = max_line >= 1000 ? 60 + rng() % 60 : 1 + rng() % 400;
        sbuf in = random_text(max_line, lines);
        bool piped = round % 3 == 2;
        sbuf by_lines = {0}, by_blocks = {0};
        uint64_t bytes_lines, bytes_blocks;
        int fd;

        reader *r = reader_on(max_line, in.p, in.len, "in", &fd);
        cr_assert_eq(record_by_lines(r, &by_lines), RD_EOF);
        bytes_lines = reader_bytes(r);
        close(fd);
        reader_free(r);

        r = reader_new(max_line);
        cr_assert_not_null(r);
        pid_t pid = -1;
        if (piped) {
            int p[2];
            cr_assert_eq(pipe(p), 0);
            pid = fork();
            cr_assert_geq(pid, 0);
            if (pid == 0) {
                close(p[0]);
                for (size_t off = 0, step = 1; off < in.len; step = step * 7 % 4093 + 1) {
                    size_t n = in.len - off < step ? in.len - off : step;
                    ssize_t k = write(p[1], in.p + off, n);
                    if (k <= 0)
                        _exit(1);
                    off += (size_t)k;
                }
                _exit(0);
            }
            close(p[1]);
            fd = p[0];
        } else {
            fd = tmp_with(in.p, in.len);
        }
        reader_open(r, fd, "in");
        cr_assert_eq(record_by_blocks(r, max_line, &by_blocks, &blocks_seen), RD_EOF);
        bytes_blocks = reader_bytes(r);
        if (piped) {
            int status;
            cr_assert_eq(waitpid(pid, &status, 0), pid);
            cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        close(fd);
        reader_free(r);

        cr_assert_eq(bytes_blocks, in.len, "round %d: reader_bytes", round);
        cr_assert_eq(bytes_lines, in.len, "round %d: reader_bytes by lines", round);
        cr_assert(
            by_lines.len == by_blocks.len &&
                (by_lines.len == 0 || memcmp(by_lines.p, by_blocks.p, by_lines.len) == 0),
            "round %d (max_line %zu%s): blocks and lines differ:\n  lines  \"%s\"\n"
            "  blocks \"%s\"",
            round, max_line, piped ? ", pipe" : "", esc((const char *)by_lines.p, by_lines.len),
            esc((const char *)by_blocks.p, by_blocks.len));
        free(by_lines.p);
        free(by_blocks.p);
        free(in.p);
    }
    cr_assert_gt(blocks_seen, 100, "the inputs must exercise blocks, not only RD_ONE");
}
