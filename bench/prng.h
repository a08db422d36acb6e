/* bench/prng.h -- the deterministic random numbers both log generators use
 * (splitmix64, Steele, Lea, Flood 2014): a fixed seed gives the same file on
 * every machine and compiler.  Each generator is one .c file, so the state
 * lives here as a static. */
#ifndef LS_BENCH_PRNG_H
#define LS_BENCH_PRNG_H

#include <stdint.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t rng_state;

static inline uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n) for n < 2^32 (multiply-shift; the bias is far below
 * anything benchmark data could show). */
static inline uint32_t rnd(uint32_t n)
{
    return (uint32_t)(((rng_next() >> 32) * (uint64_t)n) >> 32);
}

/* True with probability permille/1000. */
static inline int chance(unsigned permille)
{
    return rnd(1000) < permille;
}

#endif /* LS_BENCH_PRNG_H */
