/* fuzz/fuzz.h -- what every fuzz target shares.  Define FUZZ_NAME (the
 * target's name, for messages) before including it. */
#ifndef LS_FUZZ_H
#define LS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The entry point libFuzzer calls, and fuzz/replay.c for make check. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant: on failure, say which and abort, so libFuzzer keeps the
 * input and the replay test fails. */
#define CHECK(cond)                                                                \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, FUZZ_NAME ": invariant failed at %s:%d: %s\n", __FILE__, \
                    __LINE__, #cond);                                              \
            abort();                                                               \
        }                                                                          \
    } while (0)

#endif /* LS_FUZZ_H */
