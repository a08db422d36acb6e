/* cpu.h -- which vector instruction sets the scanners may use: probed once
 * from the CPU, and one switch that caps them for tests and benchmarks.
 *
 * Every SIMD path of the library (the IP scanner's separator search, the
 * prescans' byte classes, the prefilter's literal matcher) asks here, so
 * one cap runs all of them at the same level.  The build targets the
 * x86-64 baseline (SSE2); wider code is chosen at run time.  On other
 * architectures every answer is "baseline".
 */
#ifndef LS_CPU_H
#define LS_CPU_H

/* Feature bits, as cpu_features() reports them. */
enum { CPU_SSSE3 = 1u << 0, CPU_AVX2 = 1u << 1, CPU_AVX512BW = 1u << 2, CPU_AVX512VBMI = 1u << 3 };

/* Levels for cpu_set_limit: each allows the features of the ones before. */
typedef enum cpu_level {
    CPU_LEVEL_AUTO = 0, /* everything the CPU has (the default) */
    CPU_LEVEL_BASELINE, /* SSE2 on x86-64, portable C elsewhere */
    CPU_LEVEL_SSSE3,
    CPU_LEVEL_AVX2,
    CPU_LEVEL_AVX512 /* AVX-512 BW and VBMI */
} cpu_level;

/* The features this CPU has, less those the limit forbids.  Cheap (a load
 * after the first call).  This function can't fail. */
unsigned cpu_features(void);

/* Caps the features every thread's next cpu_features() call reports.  A
 * prefilter is chosen when the policy is built, so set the limit before
 * loading one.  This function can't fail. */
void cpu_set_limit(cpu_level level);

/* The limit in force. */
cpu_level cpu_limit(void);

/* True when every bit of `need` is in cpu_features(). */
static inline int cpu_has(unsigned need)
{
    return (cpu_features() & need) == need;
}

#endif /* LS_CPU_H */
