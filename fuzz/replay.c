/* replay.c -- runs a libFuzzer target over saved inputs without libFuzzer.
 *
 * Usage: fuzz_TARGET_replay FILE|DIR...   (the same main for every target)
 * Each FILE, and each regular file directly inside each DIR (sorted by name,
 * dot files skipped), is read whole into a buffer of exactly its size (so
 * AddressSanitizer sees any over-read) and passed to LLVMFuzzerTestOneInput.
 * A failing input aborts inside the target; this program itself only fails
 * (exit 1) when it cannot read its arguments.  On success it prints
 * "fuzz-replay: N inputs ok".
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads one file and runs the target on it.  Returns 0, or -1 after printing
 * why the file could not be read. */
static int replay_file(const char *path)
{
    FILE *f;
    uint8_t *buf = NULL;
    size_t cap = 0, len = 0, n;
    int rc = -1;

    f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "fuzz-replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            uint8_t *nbuf = realloc(buf, ncap);
            if (nbuf == NULL) {
                fprintf(stderr, "fuzz-replay: %s: out of memory\n", path);
                goto cleanup;
            }
            buf = nbuf;
            cap = ncap;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        fprintf(stderr, "fuzz-replay: %s: read error\n", path);
        goto cleanup;
    }
    {
        /* An exact-size copy, so that reading one byte too far is caught. */
        uint8_t *exact = malloc(len ? len : 1);
        if (exact == NULL) {
            fprintf(stderr, "fuzz-replay: %s: out of memory\n", path);
            goto cleanup;
        }
        memcpy(exact, buf, len);
        LLVMFuzzerTestOneInput(exact, len);
        free(exact);
    }
    rc = 0;
cleanup:
    free(buf);
    fclose(f);
    return rc;
}

static int by_name(const struct dirent **x, const struct dirent **y)
{
    return strcmp((*x)->d_name, (*y)->d_name);
}

/* Replays every regular file in dir; adds them to *count.  Returns 0 or -1. */
static int replay_dir(const char *dir, unsigned long *count)
{
    struct dirent **names;
    int n, i, rc = 0;

    n = scandir(dir, &names, NULL, by_name);
    if (n < 0) {
        fprintf(stderr, "fuzz-replay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    for (i = 0; i < n; i++) {
        char path[4096];
        struct stat st;

        if (names[i]->d_name[0] != '.' &&
            (size_t)snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name) < sizeof path &&
            stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            if (replay_file(path) == 0)
                (*count)++;
            else
                rc = -1;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    unsigned long count = 0;
    int i, failed = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    for (i = 1; i < argc; i++) {
        struct stat st;

        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "fuzz-replay: %s: %s\n", argv[i], strerror(errno));
            failed = 1;
        } else if (S_ISDIR(st.st_mode)) {
            if (replay_dir(argv[i], &count) != 0)
                failed = 1;
        } else if (replay_file(argv[i]) == 0) {
            count++;
        } else {
            failed = 1;
        }
    }
    if (failed)
        return 1;
    printf("fuzz-replay: %lu inputs ok\n", count);
    return 0;
}
