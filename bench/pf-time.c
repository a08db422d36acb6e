/* bench/pf-time.c -- times the prefilter scan (src/prefilter.c) alone, each
 * implementation on the same lines:
 *
 *     bench/pf-time [-r REPS] [-c POLICY] FILE
 *
 * The policy's rules (the built-in default without -c) are compiled once per
 * implementation (Aho-Corasick, SSSE3, AVX2, AVX-512; those the CPU lacks are left
 * out), every line of FILE is scanned by each in turn, and the best of REPS
 * passes is printed in ns per line and per byte, with the ratio to the
 * automaton.  The passes alternate between implementations, so a busy
 * machine slows them alike.  Before timing, the sets of all implementations
 * are compared line by line; a difference is an error (exit 1).
 *
 * Not a test (the timings vary) and not built by default:
 * `make bench/pf-time`. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/policy.h"
#include "rules/prefilter.h"

static const struct {
    pf_impl impl;
    const char *name;
} impls[] = {{PF_IMPL_AC, "aho-corasick"},
             {PF_IMPL_SSSE3, "ssse3"},
             {PF_IMPL_AVX2, "avx2"},
             {PF_IMPL_AVX512, "avx512"}};
#define NIMPLS (sizeof impls / sizeof impls[0])

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Reads all of path into *buf.  Returns its size, or -1 with a message. */
static long slurp(const char *path, char **buf)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0) {
        perror(path);
        return -1;
    }
    long size = ftell(f);
    rewind(f);
    *buf = malloc(size > 0 ? (size_t)size : 1);
    if (*buf == NULL || fread(*buf, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "pf-time: cannot read %s\n", path);
        fclose(f);
        return -1;
    }
    fclose(f);
    return size;
}

int main(int argc, char **argv)
{
    int reps = 7, opt;
    const char *policy = NULL;
    while ((opt = getopt(argc, argv, "r:c:")) != -1) {
        if (opt == 'r' && atoi(optarg) > 0)
            reps = atoi(optarg);
        else if (opt == 'c')
            policy = optarg;
        else
            goto usage;
    }
    if (optind != argc - 1)
        goto usage;

    ls_policy *p = ls_policy_new();
    if (p == NULL ||
        (policy ? ls_policy_load_file(p, policy) : ls_policy_load_default(p)) != LS_OK) {
        fprintf(stderr, "pf-time: %s\n", p ? ls_policy_error(p) : "out of memory");
        return 1;
    }
    char *buf;
    long size = slurp(argv[optind], &buf);
    if (size < 0)
        return 1;
    size_t nlines = 0, cap = 1024;
    size_t *start = malloc(cap * sizeof *start), *len = malloc(cap * sizeof *len);
    for (long i = 0; i < size && start && len;) {
        const char *nl = memchr(buf + i, '\n', (size_t)(size - i));
        long end = nl ? nl - buf : size;
        if (nlines == cap) {
            cap *= 2;
            start = realloc(start, cap * sizeof *start);
            len = realloc(len, cap * sizeof *len);
            if (start == NULL || len == NULL)
                break;
        }
        start[nlines] = (size_t)i;
        len[nlines++] = (size_t)(end - i);
        i = end + 1;
    }
    if (start == NULL || len == NULL || nlines == 0) {
        fprintf(stderr, "pf-time: no lines, or out of memory\n");
        return 1;
    }

    pf_matcher *m[NIMPLS];
    size_t nm = 0;
    const char *name[NIMPLS];
    for (size_t i = 0; i < NIMPLS; i++) {
        pf_matcher *x = rules_matcher(p->rules, p->nrules, impls[i].impl);
        if (x == NULL) {
            fprintf(stderr, "pf-time: out of memory\n");
            return 1;
        }
        if (pf_matcher_impl(x) != impls[i].impl) { /* the CPU or the literals refuse it */
            printf("%-13s not available here\n", impls[i].name);
            pf_free(x);
            continue;
        }
        name[nm] = impls[i].name;
        m[nm++] = x;
    }

    size_t nw = pf_words(p->nrules ? p->nrules : 1);
    uint64_t *a = calloc(nw, sizeof *a), *b = calloc(nw, sizeof *b);
    if (a == NULL || b == NULL)
        return 1;
    for (size_t l = 0; l < nlines; l++) {
        pf_scan(m[0], buf + start[l], len[l], a);
        for (size_t i = 1; i < nm; i++) {
            pf_scan(m[i], buf + start[l], len[l], b);
            if (memcmp(a, b, nw * sizeof *a) != 0) {
                fprintf(stderr, "pf-time: line %zu: %s and %s differ\n", l + 1, name[0], name[i]);
                return 1;
            }
        }
    }

    double best[NIMPLS];
    uint64_t sum = 0; /* keeps the scans from being optimised away */
    for (size_t i = 0; i < nm; i++)
        best[i] = 1e30;
    for (int r = 0; r < reps; r++) {
        for (size_t i = 0; i < nm; i++) {
            double t0 = now();
            for (size_t l = 0; l < nlines; l++) {
                pf_scan(m[i], buf + start[l], len[l], a);
                sum += a[0];
            }
            double t = now() - t0;
            if (t < best[i])
                best[i] = t;
        }
    }
    printf("%zu lines, %.0f bytes per line, %zu rules, best of %d passes (sum %llu)\n", nlines,
           (double)size / (double)nlines, p->nrules, reps, (unsigned long long)(sum % 1000));
    for (size_t i = 0; i < nm; i++)
        printf("%-13s %7.1f ns/line %6.3f ns/byte  %.2fx the automaton's time\n", name[i],
               best[i] * 1e9 / (double)nlines, best[i] * 1e9 / (double)size, best[i] / best[0]);
    for (size_t i = 0; i < nm; i++)
        pf_free(m[i]);
    ls_policy_free(p);
    free(a);
    free(b);
    free(start);
    free(len);
    free(buf);
    return 0;
usage:
    fprintf(stderr, "usage: pf-time [-r REPS] [-c POLICY] FILE\n");
    return 64;
}
