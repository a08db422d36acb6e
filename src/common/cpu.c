/* cpu.c -- the one CPU feature probe (see cpu.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "common/cpu.h"

#include <stdatomic.h>

/* Probed features, plus PROBED so that 0 means "not yet". */
#define PROBED (1u << 31)
static atomic_uint probed;
static atomic_uint limit; /* a cpu_level */

static unsigned probe(void)
{
    unsigned f = 0;
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("ssse3"))
        f |= CPU_SSSE3;
    if (__builtin_cpu_supports("avx2"))
        f |= CPU_AVX2;
    if (__builtin_cpu_supports("avx512bw"))
        f |= CPU_AVX512BW;
    if (__builtin_cpu_supports("avx512vbmi"))
        f |= CPU_AVX512VBMI;
#endif
    return f | PROBED;
}

/* The features each level allows. */
static unsigned allowed(cpu_level level)
{
    switch (level) {
    case CPU_LEVEL_BASELINE:
        return 0;
    case CPU_LEVEL_SSSE3:
        return CPU_SSSE3;
    case CPU_LEVEL_AVX2:
        return CPU_SSSE3 | CPU_AVX2;
    case CPU_LEVEL_AVX512:
    case CPU_LEVEL_AUTO:
        break;
    }
    return ~0u;
}

unsigned cpu_features(void)
{
    unsigned f = atomic_load_explicit(&probed, memory_order_relaxed);
    if (f == 0) {
        /* Several threads may probe at once; they all store the same. */
        f = probe();
        atomic_store_explicit(&probed, f, memory_order_relaxed);
    }
    cpu_level lv = (cpu_level)atomic_load_explicit(&limit, memory_order_relaxed);
    return f & ~PROBED & allowed(lv);
}

void cpu_set_limit(cpu_level level)
{
    atomic_store_explicit(&limit, (unsigned)level, memory_order_relaxed);
}

cpu_level cpu_limit(void)
{
    return (cpu_level)atomic_load_explicit(&limit, memory_order_relaxed);
}
