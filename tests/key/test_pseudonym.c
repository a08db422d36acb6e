/* test_pseudonym.c -- Criterion tests for src/pseudonym.[ch]: the key
 * file (creation, exact format and mode, reuse within a period, rotation,
 * refusals), tokens, IP pseudonyms, and processes racing to rotate.
 *
 * Every test runs in its own mkdtemp directory (fixture `in_tmpdir`), and
 * time is the `now` parameter, so nothing waits on the clock and there are
 * no timing assertions.  Known-answer values were computed independently
 * with Python's hashlib.blake2b (key = bytes 0x00..0x1f, digest_size 16,
 * person=b"logscrub-ip-v1" for addresses).  Tests that need a user without
 * root's powers are skipped under root; ENOTDIR stands in for an unwritable
 * directory because even root cannot create a file under a regular file.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ip/ipaddr.h"
#include "key/pseudonym.h"

/* ---------------------------------------------------------------------
 * Fixture and helpers
 * ------------------------------------------------------------------- */

#define DAY UINT64_C(86400)
#define T0 (UINT64_C(20000) * DAY + 12345) /* 2024-10-04, mid-day */

/* "(the key bytes 0x00..0x1f)" as the file stores them */
#define KAT_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static char dir[64];
static char err[512];

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(p);
}

static void make_dir(void)
{
    strcpy(dir, "/tmp/test_pseudonym.XXXXXX");
    cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
    umask(022);
    err[0] = '\0';
}

static void remove_dir(void)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(pseudonym, .init = make_dir, .fini = remove_dir);

/* dir + "/" + name in one of four rotating buffers */
static const char *in_dir(const char *name)
{
    static char bufs[4][128];
    static int next;
    char *b = bufs[next++ % 4];
    snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
    return b;
}

static size_t read_text(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "open %s: %s", path, strerror(errno));
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return n;
}

static void write_text(const char *path, const char *text, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert(fd >= 0, "create %s: %s", path, strerror(errno));
    cr_assert_eq(write(fd, text, len), (ssize_t)len);
    cr_assert_eq(fchmod(fd, mode), 0);
    close(fd);
}

static pskey *open_ok(const char *path, uint64_t period, uint64_t now)
{
    err[0] = '\0';
    pskey *k = key_open(path, period, now, err, sizeof err);
    cr_assert_not_null(k, "key_open(%s) failed: %s", path, err);
    return k;
}

/* Opens and expects failure with a message holding path and `want`. */
static void open_fails(const char *path, uint64_t period, uint64_t now, const char *want)
{
    err[0] = '\0';
    pskey *k = key_open(path, period, now, err, sizeof err);
    cr_assert_null(k, "key_open(%s) should fail with \"%s\"", path, want);
    cr_assert(strstr(err, path) != NULL, "message does not name the file: %s", err);
    cr_assert(strstr(err, want) != NULL, "message \"%s\" lacks \"%s\"", err, want);
}

static void token(const pskey *k, const char *v, char *out)
{
    cr_assert_eq(key_token(k, v, strlen(v), out), KEY_TOKEN_LEN);
}

static mode_t file_mode(const char *path)
{
    struct stat st;
    cr_assert_eq(lstat(path, &st), 0, "stat %s: %s", path, strerror(errno));
    return st.st_mode & 07777;
}

/* Number of directory entries other than "." and "..". */
static int count_entries(const char *path)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", path);
    FILE *p = popen(cmd, "r");
    int n = -1;
    cr_assert_not_null(p);
    cr_assert_eq(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

static ipaddr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    ipaddr ip = {.family = 4};
    ip.a[12] = a, ip.a[13] = b, ip.a[14] = c, ip.a[15] = d;
    return ip;
}

static ipaddr parse_any(const char *s)
{
    ipaddr ip;
    bool ok = strchr(s, ':') ? ip_parse_v6(s, strlen(s), &ip) : ip_parse_v4(s, strlen(s), &ip);
    cr_assert(ok, "bad test address %s", s);
    return ip;
}

static void format(const ipaddr *ip, char *out)
{
    out[ip_format(ip, out)] = '\0';
}

/* Are the first `bits` bits of x and y equal? */
static bool same_prefix(const uint8_t *x, const uint8_t *y, unsigned bits)
{
    for (unsigned i = 0; i < bits; i++) {
        unsigned byte = i / 8, mask = 0x80u >> (i % 8);
        if ((x[byte] & mask) != (y[byte] & mask))
            return false;
    }
    return true;
}

static int cmp_token(const void *x, const void *y)
{
    return strcmp(x, y);
}

static int cmp_addr(const void *x, const void *y)
{
    return memcmp(x, y, 16);
}

/* ---------------------------------------------------------------------
 * Key file: creation, format, reuse, rotation
 * ------------------------------------------------------------------- */

Test(pseudonym, missing_file_is_created_0600_in_the_exact_format)
{
    const char *path = in_dir("key");
    pskey *k = open_ok(path, DAY, T0);
    key_free(k);

    cr_assert_eq(file_mode(path), 0600, "mode %04o", (unsigned)file_mode(path));
    char text[256];
    size_t n = read_text(path, text, sizeof text);
    regex_t re;
    cr_assert_eq(regcomp(&re, "^logscrub-key 1 [1-9][0-9]* (0|[1-9][0-9]*) [0-9a-f]{64}\n$",
                         REG_EXTENDED | REG_NOSUB), 0);
    cr_assert_eq(regexec(&re, text, 0, NULL, 0), 0, "bad key file (%zu bytes)", n);
    regfree(&re);
    cr_assert_eq(strlen(text), n, "NUL byte in the key file");

    uint64_t period, index;
    char hex[65];
    int used = 0;
    cr_assert_eq(sscanf(text, "logscrub-key 1 %" SCNu64 " %" SCNu64 " %64s%n", &period, &index,
                        hex, &used), 3);
    cr_assert_eq(period, DAY);
    cr_assert_eq(index, T0 / DAY);
    cr_assert_eq((size_t)used + 1, n);
    cr_assert_eq(count_entries(dir), 1, "temporary file left behind");
}

Test(pseudonym, created_mode_is_0600_whatever_the_umask)
{
    static const mode_t masks[] = {0, 022, 077, 0777};
    for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++) {
        char name[16];
        snprintf(name, sizeof name, "key%zu", i);
        const char *path = in_dir(name);
        mode_t old = umask(masks[i]);
        pskey *k = key_open(path, DAY, T0, err, sizeof err);
        umask(old);
        cr_assert_not_null(k, "umask %04o: %s", (unsigned)masks[i], err);
        key_free(k);
        cr_assert_eq(file_mode(path), 0600, "umask %04o: mode %04o", (unsigned)masks[i],
                     (unsigned)file_mode(path));
    }
}

Test(pseudonym, reopening_in_the_same_period_gives_the_same_key)
{
    const char *path = in_dir("key");
    char before[256], after[256], t1[KEY_TOKEN_MAX], t2[KEY_TOKEN_MAX];
    uint64_t start = T0 / DAY * DAY;

    pskey *k = open_ok(path, DAY, start);
    token(k, "alice@example.com", t1);
    key_free(k);
    read_text(path, before, sizeof before);

    k = open_ok(path, DAY, start + DAY - 1); /* last second of the period */
    token(k, "alice@example.com", t2);
    key_free(k);
    read_text(path, after, sizeof after);

    cr_assert_str_eq(t1, t2);
    cr_assert_str_eq(before, after, "key file rewritten within its period");
}

Test(pseudonym, next_period_rotates_the_key_and_the_file)
{
    const char *path = in_dir("key");
    char before[256], after[256], t1[KEY_TOKEN_MAX], t2[KEY_TOKEN_MAX];
    struct stat st1, st2;

    pskey *k = open_ok(path, DAY, T0);
    token(k, "alice@example.com", t1);
    key_free(k);
    read_text(path, before, sizeof before);
    cr_assert_eq(stat(path, &st1), 0);

    k = open_ok(path, DAY, T0 + DAY);
    token(k, "alice@example.com", t2);
    key_free(k);
    read_text(path, after, sizeof after);
    cr_assert_eq(stat(path, &st2), 0);

    cr_assert_str_neq(t1, t2, "same token after rotation");
    cr_assert_str_neq(before + 40, after + 40, "same key after rotation");
    cr_assert_neq(st1.st_ino, st2.st_ino, "file replaced in place, not renamed over");
    cr_assert_eq(file_mode(path), 0600);
    uint64_t period, index;
    cr_assert_eq(sscanf(after, "logscrub-key 1 %" SCNu64 " %" SCNu64, &period, &index), 2);
    cr_assert_eq(index, T0 / DAY + 1);
    cr_assert_eq(count_entries(dir), 1, "temporary file left behind");
}

Test(pseudonym, period_index_is_floor_of_now_over_period)
{
    static const struct {
        uint64_t period, now, index;
    } cases[] = {
        {DAY, 0, 0},          {DAY, DAY - 1, 0}, {DAY, DAY, 1},
        {3600, 7199, 1},      {1, 12345, 12345}, {UINT64_MAX, UINT64_MAX - 1, 0},
        {7, UINT64_MAX, UINT64_MAX / 7},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[16], text[256];
        snprintf(name, sizeof name, "key%zu", i);
        const char *path = in_dir(name);
        key_free(open_ok(path, cases[i].period, cases[i].now));
        read_text(path, text, sizeof text);
        uint64_t period, index;
        cr_assert_eq(sscanf(text, "logscrub-key 1 %" SCNu64 " %" SCNu64, &period, &index), 2);
        cr_assert_eq(period, cases[i].period, "case %zu", i);
        cr_assert_eq(index, cases[i].index, "case %zu: index %" PRIu64, i, index);
    }
}

Test(pseudonym, a_changed_period_length_rotates)
{
    const char *path = in_dir("key");
    write_text(path, "logscrub-key 1 3600 " "480000 " KAT_HEX "\n",
               sizeof("logscrub-key 1 3600 480000 " KAT_HEX "\n") - 1, 0600);
    pskey *k = open_ok(path, DAY, 480000 * UINT64_C(3600)); /* same instant, day periods */
    key_free(k);
    char text[256];
    read_text(path, text, sizeof text);
    cr_assert(strncmp(text, "logscrub-key 1 86400 20000 ", 27) == 0, "%.27s", text);
    cr_assert(strstr(text, KAT_HEX) == NULL, "old key survived");
}

Test(pseudonym, a_clock_set_back_rotates_too)
{
    const char *path = in_dir("key");
    char t1[KEY_TOKEN_MAX], t2[KEY_TOKEN_MAX];
    pskey *k = open_ok(path, DAY, T0 + 10 * DAY);
    token(k, "x", t1);
    key_free(k);
    k = open_ok(path, DAY, T0);
    token(k, "x", t2);
    key_free(k);
    cr_assert_str_neq(t1, t2);
}

Test(pseudonym, due_flips_exactly_at_period_boundaries)
{
    uint64_t start = T0 / DAY * DAY;
    pskey *k = open_ok(in_dir("key"), DAY, start + 5);
    cr_assert_not(key_due(k, start));
    cr_assert_not(key_due(k, start + 5));
    cr_assert_not(key_due(k, start + DAY - 1));
    cr_assert(key_due(k, start + DAY));
    cr_assert(key_due(k, start - 1));
    cr_assert(key_due(k, start + 100 * DAY));
    cr_assert(key_due(k, 0));
    key_free(k);

    k = open_ok(in_dir("key2"), 60, 0);
    cr_assert_not(key_due(k, 59));
    cr_assert(key_due(k, 60));
    key_free(k);
}

Test(pseudonym, a_key_file_written_by_hand_is_used_as_is)
{
    const char *path = in_dir("key");
    char text[] = "logscrub-key 1 86400 20000 " KAT_HEX "\n";
    write_text(path, text, sizeof text - 1, 0600);
    pskey *k = open_ok(path, DAY, T0);
    char t[KEY_TOKEN_MAX];
    token(k, "alice@example.com", t);
    cr_assert_str_eq(t, "5e6c9ded4b512df3");
    key_free(k);
    char after[256];
    read_text(path, after, sizeof after);
    cr_assert_str_eq(after, text);
}

/* Whatever happens when several processes open a missing or stale file at
 * once, they must all end with the key that is in the file.  Children
 * start together on a pipe; each reports its token for "probe". */
Test(pseudonym, racing_processes_agree_on_one_key)
{
    enum { ROUNDS = 20, KIDS = 6 };
    const char *path = in_dir("key");
    for (int round = 0; round < ROUNDS; round++) {
        uint64_t now = T0 + (uint64_t)round * DAY; /* every round: stale (or missing) */
        if (round % 2 == 0)
            unlink(path);
        int go[2], res[2];
        cr_assert_eq(pipe(go), 0);
        cr_assert_eq(pipe(res), 0);
        pid_t pids[KIDS];
        for (int i = 0; i < KIDS; i++) {
            pids[i] = fork();
            cr_assert(pids[i] >= 0);
            if (pids[i] == 0) {
                char c, t[KEY_TOKEN_MAX] = {0}, e[256];
                close(go[1]);
                if (read(go[0], &c, 1) < 0)
                    _exit(2);
                pskey *k = key_open(path, DAY, now, e, sizeof e);
                if (k == NULL) {
                    memset(t, '!', KEY_TOKEN_LEN);
                } else {
                    key_token(k, "probe", 5, t);
                    key_free(k);
                }
                _exit(write(res[1], t, KEY_TOKEN_LEN) == KEY_TOKEN_LEN ? 0 : 1);
            }
        }
        close(go[0]);
        close(res[1]);
        close(go[1]); /* EOF releases them all at once */
        char got[KIDS][KEY_TOKEN_LEN + 1];
        for (int i = 0; i < KIDS; i++) {
            size_t n = 0;
            while (n < KEY_TOKEN_LEN) {
                ssize_t r = read(res[0], got[i] + n, KEY_TOKEN_LEN - n);
                cr_assert(r > 0, "round %d: child %d reported nothing", round, i);
                n += (size_t)r;
            }
            got[i][KEY_TOKEN_LEN] = '\0';
        }
        close(res[0]);
        for (int i = 0; i < KIDS; i++) {
            int status;
            cr_assert_eq(waitpid(pids[i], &status, 0), pids[i]);
            cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        pskey *k = open_ok(path, DAY, now);
        char t[KEY_TOKEN_MAX];
        token(k, "probe", t);
        key_free(k);
        for (int i = 0; i < KIDS; i++)
            cr_assert_str_eq(got[i], t, "round %d: a process kept a key that is not on disk",
                             round);
        cr_assert_eq(count_entries(dir), 1, "round %d: temporary file left behind", round);
    }
}

/* ---------------------------------------------------------------------
 * Key file: refusals
 * ------------------------------------------------------------------- */

Test(pseudonym, group_or_world_accessible_files_are_refused)
{
    static const mode_t modes[] = {0644, 0640, 0604, 0660, 0610, 0601, 0666, 0400 | 040};
    const char *path = in_dir("key");
    char text[] = "logscrub-key 1 86400 20000 " KAT_HEX "\n";
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        write_text(path, text, sizeof text - 1, modes[i]);
        char want[64];
        snprintf(want, sizeof want, "mode %04o gives group or others access", (unsigned)modes[i]);
        open_fails(path, DAY, T0, want);
        cr_assert(strstr(err, KAT_HEX) == NULL);
        open_fails(path, DAY, T0 + DAY, want); /* even when stale: no silent rotation */
        char after[256];
        read_text(path, after, sizeof after);
        cr_assert_str_eq(after, text, "refused file was changed");
        cr_assert_eq(file_mode(path), modes[i]);
    }
}

Test(pseudonym, owner_only_modes_are_accepted)
{
    static const mode_t modes[] = {0600, 0400, 0700};
    char text[] = "logscrub-key 1 86400 20000 " KAT_HEX "\n";
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        char name[16];
        snprintf(name, sizeof name, "key%zu", i);
        const char *path = in_dir(name);
        write_text(path, text, sizeof text - 1, modes[i]);
        key_free(open_ok(path, DAY, T0));
        key_free(open_ok(path, DAY, T0 + DAY)); /* rotating replaces even a 0400 file */
        cr_assert_eq(file_mode(path), 0600);
    }
}

Test(pseudonym, malformed_files_are_refused_and_left_alone)
{
    static const struct {
        char text[200];
        size_t len; /* 0: strlen(text) */
        char want[64];
    } cases[] = {
        {"", 0, "empty file; not a logscrub key file"},
        {"hello world\n", 0, "not a logscrub key file"},
        {"-----BEGIN PRIVATE KEY-----\n", 0, "not a logscrub key file"},
        {"logscrub-key\n", 0, "not a logscrub key file"},
        {"LOGSCRUB-KEY 1 86400 20000 " KAT_HEX "\n", 0, "not a logscrub key file"},
        {"logscrub-key 2 86400 20000 " KAT_HEX "\n", 0, "line 1: unsupported key file version"},
        {"logscrub-key 10 86400 20000 " KAT_HEX "\n", 0, "unsupported key file version"},
        {"logscrub-key 1 0 20000 " KAT_HEX "\n", 0, "line 1: period must be"},
        {"logscrub-key 1 -86400 20000 " KAT_HEX "\n", 0, "period must be"},
        {"logscrub-key 1 1d 20000 " KAT_HEX "\n", 0, "period must be"},
        {"logscrub-key 1 086400 20000 " KAT_HEX "\n", 0, "period must be"},
        {"logscrub-key 1 99999999999999999999 1 " KAT_HEX "\n", 0, "period must be"},
        {"logscrub-key 1  86400 20000 " KAT_HEX "\n", 0, "period must be"},
        {"logscrub-key 1 86400 " KAT_HEX "\n", 0, "period index must be"},
        {"logscrub-key 1 86400 x " KAT_HEX "\n", 0, "period index must be"},
        {"logscrub-key 1 86400 20000\n", 0, "line 1: too few fields"},
        {"logscrub-key 1 86400\n", 0, "line 1: too few fields"},
        {"logscrub-key 1 86400 20000 \n", 0, "key must be 64"},
        {"logscrub-key 1 86400 20000 " KAT_HEX "0\n", 0, "key must be 64"},
        {"logscrub-key 1 86400 20000 00" KAT_HEX "\n", 0, "key must be 64"},
        {"logscrub-key 1 86400 20000 "
         "000102030405060708090A0B0C0D0E0F101112131415161718191a1b1c1d1e1f\n",
         0, "key must be 64 lowercase hex digits"},
        {"logscrub-key 1 86400 20000 "
         "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1eg\n",
         0, "key must be 64"},
        {"logscrub-key 1 86400 20000 " KAT_HEX "\r\n", 0, "key must be 64"},
        {"logscrub-key 1 86400 20000 " KAT_HEX " \n", 0, "key must be 64"},
        {"logscrub-key 1 86400 20000 " KAT_HEX, 0, "line 1: no newline at the end"},
        {"logscrub-key 1 86400 20000 " KAT_HEX "\n\n", 0, "line 2: unexpected content"},
        {"logscrub-key 1 86400 20000 " KAT_HEX "\nmore\n", 0, "line 2: unexpected content"},
        {"logscrub-key 1 86400 20000 " KAT_HEX "\n\0", 93, "line 2: unexpected content"},
        {"logscrub-key 1 86400\0 20000 " KAT_HEX "\n", 125, "period must be"},
        {"logscrub-key 1 86400 20000 " KAT_HEX "\n"
         "logscrub-key 1 86400 20000 " KAT_HEX "\n",
         0, "too long; not a logscrub key file"},
    };
    const char *path = in_dir("key");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
        write_text(path, cases[i].text, len, 0600);
        err[0] = '\0';
        pskey *k = key_open(path, DAY, T0, err, sizeof err);
        cr_assert_null(k, "case %zu accepted", i);
        cr_assert(strstr(err, path) == err, "case %zu: message does not start with the path: %s",
                  i, err);
        cr_assert(strstr(err, cases[i].want) != NULL, "case %zu: \"%s\" lacks \"%s\"", i, err,
                  cases[i].want);
        cr_assert(strstr(err, KAT_HEX) == NULL && strstr(err, "0a0b0c") == NULL,
                  "case %zu: key material in the message", i);
        /* stale too: a malformed file is never silently replaced */
        cr_assert_null(key_open(path, DAY, T0 + DAY, err, sizeof err), "case %zu", i);
        char after[256];
        FILE *f = fopen(path, "rb");
        size_t n = fread(after, 1, sizeof after, f);
        fclose(f);
        cr_assert(n == len && memcmp(after, cases[i].text, len) == 0, "case %zu: file changed", i);
    }
}

Test(pseudonym, non_regular_files_are_refused)
{
    const char *d = in_dir("adir");
    cr_assert_eq(mkdir(d, 0700), 0);
    open_fails(d, DAY, T0, "not a regular file");

    const char *fifo = in_dir("fifo"); /* must not hang waiting for a writer */
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    open_fails(fifo, DAY, T0, "not a regular file");

    open_fails("/dev/null", DAY, T0, "not a regular file");
}

Test(pseudonym, symbolic_links_are_refused)
{
    const char *real = in_dir("real");
    const char *link = in_dir("link");
    char text[] = "logscrub-key 1 86400 20000 " KAT_HEX "\n";
    write_text(real, text, sizeof text - 1, 0600);
    cr_assert_eq(symlink(real, link), 0);
    open_fails(link, DAY, T0, "is a symbolic link");
    cr_assert_eq(symlink(in_dir("nowhere"), in_dir("dangling")), 0);
    open_fails(in_dir("dangling"), DAY, T0, "is a symbolic link");
}

Test(pseudonym, a_missing_directory_is_an_error)
{
    const char *path = in_dir("no/such/dir/key");
    open_fails(path, DAY, T0, "cannot create: No such file or directory");
}

Test(pseudonym, an_unusable_directory_is_an_error)
{
    /* Root writes anywhere, but nobody creates a file under a regular
     * file: that is the failure to create that every user can provoke. */
    const char *file = in_dir("plain");
    write_text(file, "x", 1, 0600);
    open_fails(in_dir("plain/key"), DAY, T0, "Not a directory");
}

Test(pseudonym, an_unwritable_directory_is_an_error)
{
    if (geteuid() == 0) {
        remove_dir(); /* a skipped test does not run .fini */
        cr_skip_test("root can write to a 0500 directory");
    }
    const char *d = in_dir("ro");
    cr_assert_eq(mkdir(d, 0500), 0);
    open_fails(in_dir("ro/key"), DAY, T0, "cannot create: Permission denied");
    chmod(d, 0700);
}

Test(pseudonym, an_unreadable_key_file_is_an_error)
{
    if (geteuid() == 0) {
        remove_dir(); /* a skipped test does not run .fini */
        cr_skip_test("root can read a mode 0000 file");
    }
    const char *path = in_dir("key");
    write_text(path, "logscrub-key 1 86400 20000 " KAT_HEX "\n", 28 + 64, 0);
    open_fails(path, DAY, T0, "cannot open: Permission denied");
}

Test(pseudonym, bad_arguments_are_errors)
{
    open_fails(in_dir("key"), 0, T0, "period must be > 0");
    open_fails(in_dir("sub/"), DAY, T0, "must be a file name");
    cr_assert_null(key_open("", DAY, T0, err, sizeof err));
    cr_assert_null(key_open(in_dir("key"), 0, T0, NULL, 0), "NULL err is allowed");
    char tiny[8] = "xxxxxxx";
    cr_assert_null(key_open(in_dir("key"), 0, T0, tiny, sizeof tiny));
    cr_assert_eq(strlen(tiny), sizeof tiny - 1, "message not cut to errlen");
    key_free(NULL);
}

/* ---------------------------------------------------------------------
 * Tokens
 * ------------------------------------------------------------------- */

Test(pseudonym, tokens_are_16_lowercase_hex_digits_and_deterministic)
{
    pskey *k = open_ok(in_dir("key"), DAY, T0);
    char a[KEY_TOKEN_MAX], b[KEY_TOKEN_MAX];
    memset(a, 'Z', sizeof a);
    cr_assert_eq(key_token(k, "alice@example.com", 17, a), 16);
    cr_assert_eq(a[16], '\0');
    for (int i = 0; i < 16; i++)
        cr_assert(strchr("0123456789abcdef", a[i]) != NULL, "char %d: %c", i, a[i]);
    token(k, "alice@example.com", b);
    cr_assert_str_eq(a, b);
    token(k, "bob@example.com", b);
    cr_assert_str_neq(a, b);
    key_free(k);
}

Test(pseudonym, tokens_cover_every_byte_including_nul)
{
    pskey *k = open_ok(in_dir("key"), DAY, T0);
    char a[KEY_TOKEN_MAX], b[KEY_TOKEN_MAX], c[KEY_TOKEN_MAX], e[KEY_TOKEN_MAX];
    key_token(k, "a\0b", 3, a);
    key_token(k, "a\0c", 3, b);
    key_token(k, "a", 1, c);
    key_token(k, NULL, 0, e);
    cr_assert_str_neq(a, b);
    cr_assert_str_neq(a, c);
    cr_assert_str_neq(c, e);
    key_free(k);
}

Test(pseudonym, tokens_match_an_independent_blake2b)
{
    const char *path = in_dir("key");
    write_text(path, "logscrub-key 1 86400 20000 " KAT_HEX "\n", 28 + 64, 0600);
    pskey *k = open_ok(path, DAY, T0);
    char t[KEY_TOKEN_MAX];
    token(k, "alice@example.com", t);
    cr_assert_str_eq(t, "5e6c9ded4b512df3");
    key_token(k, "", 0, t);
    cr_assert_str_eq(t, "3daf97bce7888fd5");
    key_free(k);
}

Test(pseudonym, different_keys_give_different_tokens)
{
    pskey *k1 = open_ok(in_dir("key1"), DAY, T0);
    pskey *k2 = open_ok(in_dir("key2"), DAY, T0);
    int same = 0;
    for (int i = 0; i < 100; i++) {
        char v[32], a[KEY_TOKEN_MAX], b[KEY_TOKEN_MAX];
        snprintf(v, sizeof v, "user%d@example.com", i);
        token(k1, v, a);
        token(k2, v, b);
        same += strcmp(a, b) == 0;
    }
    cr_assert_eq(same, 0);
    key_free(k1);
    key_free(k2);
}

Test(pseudonym, tokens_of_many_values_do_not_collide)
{
    enum { N = 20000 };
    pskey *k = open_ok(in_dir("key"), DAY, T0);
    static char toks[N][KEY_TOKEN_LEN + 1];
    for (int i = 0; i < N; i++) {
        char v[32];
        snprintf(v, sizeof v, "%d", i);
        token(k, v, toks[i]);
    }
    qsort(toks, N, sizeof toks[0], cmp_token);
    for (int i = 1; i < N; i++)
        cr_assert_str_neq(toks[i - 1], toks[i]);
    key_free(k);
}

/* ---------------------------------------------------------------------
 * IP pseudonyms
 * ------------------------------------------------------------------- */

static pskey *kat_key(void)
{
    const char *path = in_dir("katkey");
    write_text(path, "logscrub-key 1 86400 20000 " KAT_HEX "\n", 28 + 64, 0600);
    return open_ok(path, DAY, T0);
}

Test(pseudonym, ip_pseudonyms_match_an_independent_blake2b)
{
    static const struct {
        char in[48];
        unsigned v4p, v6p;
        char out[48];
    } cases[] = {
        {"203.0.113.77", 24, 48, "203.0.113.3"},
        {"203.0.113.77", 16, 48, "203.0.184.3"},
        /* Mapped hashes as its IPv4 form: the same host bits as above. */
        {"::ffff:203.0.113.77", 24, 48, "::ffff:203.0.113.3"},
        {"2001:db8:1:2:3:4:5:6", 24, 48, "2001:db8:1:637:f05:830b:62e0:318c"},
        {"2001:db8:1:2:3:4:5:6", 24, 64, "2001:db8:1:2:f05:830b:62e0:318c"},
    };
    pskey *k = kat_key();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ipaddr ip = parse_any(cases[i].in);
        char out[IP_TEXT_MAX + 1];
        key_ip(k, &ip, cases[i].v4p, cases[i].v6p);
        format(&ip, out);
        cr_assert_str_eq(out, cases[i].out, "case %zu: %s", i, cases[i].in);
    }
    key_free(k);
}

Test(pseudonym, ip_pseudonyms_keep_exactly_the_prefix_bits)
{
    static const unsigned v4p[] = {0, 1, 8, 16, 23, 24, 31, 32, 33, 200};
    static const unsigned v6p[] = {0, 1, 8, 32, 47, 48, 64, 96, 127, 128, 129, 1000};
    static const char addrs[][48] = {
        "203.0.113.77", "0.0.0.0", "255.255.255.255", "10.1.2.3",
        "::ffff:203.0.113.77", "::ffff:0.0.0.0", "::ffff:255.255.255.255",
        "2001:db8:1:2:3:4:5:6", "::1", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "fe80::1", "64:ff9b::192.0.2.1",
    };
    pskey *k = open_ok(in_dir("key"), DAY, T0);
    for (size_t a = 0; a < sizeof addrs / sizeof addrs[0]; a++) {
        ipaddr orig = parse_any(addrs[a]);
        bool v4ish = orig.family == 4 || orig.mapped;
        size_t np = v4ish ? sizeof v4p / sizeof v4p[0] : sizeof v6p / sizeof v6p[0];
        for (size_t p = 0; p < np; p++) {
            unsigned prefix = v4ish ? v4p[p] : v6p[p];
            unsigned keep = v4ish ? 96 + (prefix > 32 ? 32 : prefix) : (prefix > 128 ? 128 : prefix);
            ipaddr ip = orig;
            /* the other family's prefix must not matter: pass a silly one */
            if (v4ish)
                key_ip(k, &ip, prefix, 7);
            else
                key_ip(k, &ip, 5, prefix);
            cr_assert_eq(ip.family, orig.family, "%s /%u: family changed", addrs[a], prefix);
            cr_assert_eq(ip.mapped, orig.mapped, "%s /%u: mapped changed", addrs[a], prefix);
            cr_assert(same_prefix(ip.a, orig.a, keep), "%s /%u: prefix bits changed", addrs[a],
                      prefix);
            if (keep == 128)
                cr_assert(memcmp(ip.a, orig.a, 16) == 0, "%s /%u: changed", addrs[a], prefix);
            if (orig.family == 4) {
                static const uint8_t zero[12];
                cr_assert(memcmp(ip.a, zero, 12) == 0, "%s /%u: v4 padding", addrs[a], prefix);
            }
            /* and it reads back as the same kind of address */
            char text[IP_TEXT_MAX + 1];
            format(&ip, text);
            ipaddr back = parse_any(text);
            cr_assert(memcmp(back.a, ip.a, 16) == 0 && back.family == ip.family &&
                          back.mapped == ip.mapped,
                      "%s /%u: %s does not read back", addrs[a], prefix, text);
            ipaddr again = orig;
            if (v4ish)
                key_ip(k, &again, prefix, 7);
            else
                key_ip(k, &again, 5, prefix);
            cr_assert(memcmp(again.a, ip.a, 16) == 0, "%s /%u: not deterministic", addrs[a],
                      prefix);
        }
    }
    key_free(k);
}

Test(pseudonym, ip_pseudonyms_depend_on_the_key)
{
    pskey *k1 = open_ok(in_dir("key"), DAY, T0);
    pskey *k2 = open_ok(in_dir("key"), DAY, T0 + DAY);
    int same = 0;
    for (int i = 0; i < 100; i++) {
        ipaddr a = v4(198, 51, (uint8_t)i, (uint8_t)(i * 7)), b = a;
        key_ip(k1, &a, 16, 48);
        key_ip(k2, &b, 16, 48);
        same += memcmp(a.a, b.a, 16) == 0;
    }
    cr_assert_lt(same, 5, "%d of 100 equal under two keys", same); /* expected 100/65536 */
    key_free(k1);
    key_free(k2);
}

/* A dual-stack server logs one client as 198.51.x.9 and ::ffff:198.51.x.9:
 * both must get one pseudonym. */
Test(pseudonym, v4_and_mapped_forms_get_the_same_host_bits)
{
    pskey *k = open_ok(in_dir("key"), DAY, T0);
    int same = 0;
    for (int i = 0; i < 100; i++) {
        ipaddr a = v4(198, 51, (uint8_t)i, 9), m = a;
        m.family = 6, m.mapped = true, m.a[10] = m.a[11] = 0xff;
        key_ip(k, &a, 16, 48);
        key_ip(k, &m, 16, 48);
        same += memcmp(a.a + 12, m.a + 12, 4) == 0 && m.mapped && a.family == 4;
    }
    cr_assert_eq(same, 100);
    key_free(k);
}

/* 1000 distinct addresses in one /16: 65536 possible outputs, so about
 * 1000^2 / (2 * 65536) = 7.6 colliding pairs are expected; 40 would be a
 * broken hash (Poisson tail below 1e-15).  In a /24 only 256 outputs
 * exist: 256 inputs give about 256 * (1 - 1/e) = 162 distinct ones. */
Test(pseudonym, ip_pseudonyms_spread_over_the_host_part)
{
    pskey *k = open_ok(in_dir("key"), DAY, T0);

    static uint8_t seen16[65536];
    int collisions = 0, unchanged = 0;
    for (int i = 0; i < 1000; i++) {
        ipaddr ip = v4(172, 20, (uint8_t)(i >> 8), (uint8_t)i), orig = ip;
        key_ip(k, &ip, 16, 48);
        unsigned host = (unsigned)ip.a[14] << 8 | ip.a[15];
        collisions += seen16[host]++ > 0;
        unchanged += memcmp(ip.a, orig.a, 16) == 0;
    }
    cr_assert_lt(collisions, 40, "%d collisions in a /16", collisions);
    cr_assert_lt(unchanged, 5, "%d addresses left unchanged", unchanged);

    uint8_t seen24[256] = {0};
    int distinct = 0;
    for (int i = 0; i < 256; i++) {
        ipaddr ip = v4(203, 0, 113, (uint8_t)i);
        key_ip(k, &ip, 24, 48);
        distinct += seen24[ip.a[15]]++ == 0;
    }
    cr_assert(distinct > 120 && distinct < 200, "%d distinct of 256 in a /24", distinct);

    /* IPv6 /64: 2^64 outputs, so 1000 inputs must all differ */
    static uint8_t outs[1000][16];
    for (int i = 0; i < 1000; i++) {
        ipaddr ip = parse_any("2001:db8:aa:bb::");
        ip.a[14] = (uint8_t)(i >> 8), ip.a[15] = (uint8_t)i;
        key_ip(k, &ip, 24, 64);
        memcpy(outs[i], ip.a, 16);
    }
    qsort(outs, 1000, 16, cmp_addr);
    for (int i = 1; i < 1000; i++)
        cr_assert(memcmp(outs[i - 1], outs[i], 16) != 0, "collision in a /64");
    key_free(k);
}

/* A plain IPv6 prefix that allows ::ffff:0:0/96 (here ::ffff:fffe:0/95,
 * whose only free bit before 96 decides it) must never give a result that
 * reads back as IPv4-mapped; without the guard half of them would. */
Test(pseudonym, plain_v6_never_becomes_v4_mapped)
{
    pskey *k = open_ok(in_dir("key"), DAY, T0);
    for (int i = 0; i < 500; i++) {
        ipaddr ip = parse_any("::fffe:0:0");
        cr_assert_not(ip.mapped);
        ip.a[14] = (uint8_t)(i >> 8), ip.a[15] = (uint8_t)i;
        key_ip(k, &ip, 24, 95);
        cr_assert_not(ip.mapped);
        char text[IP_TEXT_MAX + 1];
        format(&ip, text);
        ipaddr back = parse_any(text);
        cr_assert_not(back.mapped, "%s reads back as IPv4-mapped", text);
        cr_assert_eq(ip.a[10], 0xff);
    }
    key_free(k);
}

/* Many threads, one key: tokens and addresses equal those made alone. */

static pskey *shared_key;
static char want_tok[KEY_TOKEN_MAX];
static ipaddr want_ip;

static void *hammer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        char t[KEY_TOKEN_MAX];
        key_token(shared_key, "alice@example.com", 17, t);
        ipaddr ip = v4(203, 0, 113, 77);
        key_ip(shared_key, &ip, 24, 48);
        if (strcmp(t, want_tok) != 0 || memcmp(ip.a, want_ip.a, 16) != 0)
            return (void *)1;
    }
    return NULL;
}

Test(pseudonym, a_key_can_be_shared_by_threads)
{
    shared_key = open_ok(in_dir("key"), DAY, T0);
    key_token(shared_key, "alice@example.com", 17, want_tok);
    want_ip = v4(203, 0, 113, 77);
    key_ip(shared_key, &want_ip, 24, 48);
    pthread_t th[8];
    for (int i = 0; i < 8; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, hammer, NULL), 0);
    for (int i = 0; i < 8; i++) {
        void *r;
        pthread_join(th[i], &r);
        cr_assert_null(r, "thread %d saw a different result", i);
    }
    key_free(shared_key);
}
