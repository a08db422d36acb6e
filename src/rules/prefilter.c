/* prefilter.c -- the candidate scan over all rules' prefilter literals (see
 * prefilter.h): a SIMD literal matcher, with an Aho-Corasick automaton for
 * other CPUs and for literal sets the SIMD matcher does not suit.
 *
 * Literals.  Only the first PF_PREFIX bytes of a literal count, compared
 * with ASCII letters folded to lower case; equal literals are merged and
 * carry the set of their rules.  An empty literal occurs in every text, so
 * its rule is always a candidate, like a rule without literals.
 *
 * SIMD ("Teddy", the technique Hyperscan published; this is its own code).
 * The text is read 16 bytes at a time: SSSE3 works on two 128-bit halves,
 * AVX2 has the 16 bytes in both lanes of a 256-bit register.  AVX-512 (with
 * VBMI) reads 64 at a time with exact byte tables in place of the nibble
 * ones below, and verifies differently: see teddy_scan64.
 *  - Longer literals are sorted into 16 buckets, a bit each: buckets 0-7 in
 *    the first half or lane, 8-15 in the second.  A literal's fingerprint is
 *    three of its bytes in a row, the rarest (by byte_freq) of its first
 *    PF_PREFIX, compared without bit 5 (the high-nibble tables accept it
 *    either way) -- a cheap, lossy case fold ('@' and '`' become one) that
 *    adds candidates and never loses one.  A two-byte literal's third
 *    fingerprint byte is "any".  For each fingerprint position k, two
 *    16-entry tables map a byte's low and high nibble to the buckets with
 *    such a nibble at k; two pshufb and an AND give, for every byte, the
 *    buckets whose fingerprint byte k it may be.  Those for k = 0 and 1,
 *    shifted by two and one bytes (the previous block's last bytes carried
 *    in), ANDed with k = 2's, give the buckets whose fingerprint may end at
 *    each byte.
 *  - These candidates are verified against each literal of the bucket, 8
 *    bytes at once: (text | 0x20 at the literal's letters) & length mask
 *    == literal.  So the set is exactly the automaton's, not a superset.
 *  - One-byte literals ('@', '.') stay out of the buckets, where they would
 *    fire on most bytes of a line: another nibble-table pair flags the
 *    bytes that may be one, checked exactly; a literal found is dropped
 *    from the tables for the rest of the text.
 *  - Once every rule of a bucket is in the set, the bucket is switched off;
 *    when all buckets and one-byte literals are done, the scan stops.
 *  - Nothing outside text[0, len) is read.  A text under 32 bytes is
 *    scanned from a zeroed copy; in a longer one the last block is the 16
 *    bytes that end at len, overlapping the one before, with its
 *    fingerprint bytes 0 and 1 read again 2 and 1 bytes earlier.  A
 *    two-byte literal that ends the text has its "any" byte at len: that
 *    one end position is checked byte by byte.
 *  Buckets are chosen at build time: every literal starts in a bucket of
 *  its own, and the two buckets whose merging adds the least expected
 *  verification work are merged until 16 remain.  The work is estimated
 *  from byte_freq, a model of log text; with PF_IMPL_AUTO the same
 *  estimate sends literal sets that would verify too often to the
 *  automaton.
 *
 * Aho-Corasick.  States are built as a trie, then completed into a DFA by a
 * breadth-first walk (each missing transition takes its failure state's), so
 * scanning is one table load per byte.  Bytes are mapped to a few classes
 * first -- the distinct lower-case bytes of all literals, plus "other" --
 * which keeps the table small enough to stay in cache.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "rules/prefilter.h"

#include <stdlib.h>
#include <string.h>

#include "common/cpu.h"

#if defined(__x86_64__) || defined(__i386__)
#define PF_X86 1
#include <immintrin.h>
#endif

/* Only the first PF_PREFIX bytes of a literal count: any occurrence of the
 * literal holds its prefix, so the filter stays sound, while the automaton
 * stays small enough for the cache and a SIMD verification is one 8-byte
 * compare. */
#define PF_PREFIX 8

typedef struct pf_teddy pf_teddy;

struct pf_matcher {
    pf_impl impl;
    size_t nwords;
    uint64_t *always; /* rules without literals: always candidates */
    /* PF_IMPL_AC */
    uint8_t cls[256]; /* byte -> class; 0 is "no literal has this byte" */
    size_t ncls;
    uint32_t *delta; /* nstates * ncls: next state * ncls, | OUT_FLAG when it has
                      * outputs -- the row offset saves a multiply per byte */
    uint64_t *out;   /* nstates * nwords: rules whose literal ends here */
    bool *has_out;   /* any bit set in out[state] */
    size_t nstates;
    size_t maxlen; /* longest literal */
    /* PF_IMPL_SSSE3, PF_IMPL_AVX2 */
    pf_teddy *teddy;
};

#define OUT_FLAG 0x80000000u

static size_t lit_len(const pf_literals *r, size_t j)
{
    return r->len[j] < PF_PREFIX ? r->len[j] : PF_PREFIX;
}

static uint8_t fold(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c | 0x20) : c;
}

static void set_bit(uint64_t *set, size_t k)
{
    set[k / 64] |= 1ull << (k % 64);
}

/* ---- Aho-Corasick --------------------------------------------------------- */

/* Builds the automaton into m (nwords and always set).  Returns false when
 * out of memory; pf_free then frees what was built. */
static bool ac_build(pf_matcher *m, const pf_literals *rules, size_t n)
{
    /* Classes: every byte a literal uses (case folded) gets its own. */
    size_t states = 1;
    m->ncls = 1;
    for (size_t k = 0; k < n; k++) {
        for (size_t j = 0; j < rules[k].n; j++) {
            states += lit_len(&rules[k], j);
            if (lit_len(&rules[k], j) > m->maxlen)
                m->maxlen = lit_len(&rules[k], j);
            for (size_t i = 0; i < lit_len(&rules[k], j); i++) {
                uint8_t c = fold((uint8_t)rules[k].lit[j][i]);
                if (m->cls[c] == 0) {
                    m->cls[c] = (uint8_t)m->ncls++;
                    if (m->ncls == 256)
                        return false; /* cannot happen: at most 230 folded bytes */
                }
            }
        }
    }
    for (int c = 'A'; c <= 'Z'; c++)
        m->cls[c] = m->cls[c | 0x20];

    m->delta = calloc(states * m->ncls, sizeof *m->delta);
    m->out = calloc(states * m->nwords, sizeof *m->out);
    m->has_out = calloc(states, sizeof *m->has_out);
    uint32_t *fail = calloc(states, sizeof *fail);
    uint32_t *queue = calloc(states, sizeof *queue);
    if (m->delta == NULL || m->out == NULL || m->has_out == NULL || fail == NULL || queue == NULL) {
        free(fail);
        free(queue);
        return false;
    }

    /* The trie.  0 in delta means "no edge yet" (state 0 is never a child).
     * Empty literals are left out: their rules are in m->always. */
    m->nstates = 1;
    for (size_t k = 0; k < n; k++) {
        for (size_t j = 0; j < rules[k].n; j++) {
            if (lit_len(&rules[k], j) == 0)
                continue;
            uint32_t s = 0;
            for (size_t i = 0; i < lit_len(&rules[k], j); i++) {
                uint8_t c = m->cls[(uint8_t)rules[k].lit[j][i]];
                uint32_t *t = &m->delta[s * m->ncls + c];
                if (*t == 0)
                    *t = (uint32_t)m->nstates++;
                s = *t;
            }
            set_bit(&m->out[s * m->nwords], k);
            m->has_out[s] = true;
        }
    }

    /* Breadth first: failure links, then missing edges from the failure
     * state, and outputs inherited along failure links. */
    size_t head = 0, tail = 0;
    for (size_t c = 0; c < m->ncls; c++) {
        uint32_t t = m->delta[c];
        if (t) {
            fail[t] = 0;
            queue[tail++] = t;
        }
    }
    while (head < tail) {
        uint32_t s = queue[head++];
        for (size_t w = 0; w < m->nwords; w++)
            m->out[s * m->nwords + w] |= m->out[fail[s] * m->nwords + w];
        m->has_out[s] = m->has_out[s] || m->has_out[fail[s]];
        for (size_t c = 0; c < m->ncls; c++) {
            uint32_t *t = &m->delta[s * m->ncls + c];
            uint32_t via_fail = m->delta[fail[s] * m->ncls + c];
            if (*t) {
                fail[*t] = via_fail;
                queue[tail++] = *t;
            } else {
                *t = via_fail;
            }
        }
    }
    free(fail);
    free(queue);
    /* Scanning form: each transition holds the target's row offset and
     * whether the target has outputs. */
    for (size_t i = 0; i < m->nstates * m->ncls; i++) {
        uint32_t t = m->delta[i];
        m->delta[i] = (uint32_t)(t * m->ncls) | (m->has_out[t] ? OUT_FLAG : 0);
    }
    return true;
}

/* Adds the outputs of the state whose row is `row` to set. */
static inline void take(const pf_matcher *m, uint32_t row, uint64_t *set)
{
    size_t state = row / m->ncls;
    for (size_t w = 0; w < m->nwords; w++)
        set[w] |= m->out[state * m->nwords + w];
}

static void ac_scan(const pf_matcher *m, const uint8_t *u, size_t len, uint64_t *set)
{
    const uint32_t *delta = m->delta;
    const uint8_t *cls = m->cls;
    /* Each byte's step waits for the previous one's table load, so two
     * walks run side by side: one over the first half, one over the second
     * starting maxlen - 1 bytes early, so that a literal crossing the middle
     * is still seen whole by the second walk. */
    size_t half = len / 2, back = m->maxlen > 0 ? m->maxlen - 1 : 0;
    size_t b = half > back ? half - back : 0;
    size_t n1 = half, n2 = len - b;
    uint32_t r1 = 0, r2 = 0; /* rows: state * ncls */
    size_t i = 0;
    for (; i < n1 && i < n2; i++) {
        uint32_t t1 = delta[r1 + cls[u[i]]];
        uint32_t t2 = delta[r2 + cls[u[b + i]]];
        r1 = t1 & ~OUT_FLAG;
        r2 = t2 & ~OUT_FLAG;
        if ((t1 | t2) & OUT_FLAG) {
            if (t1 & OUT_FLAG)
                take(m, r1, set);
            if (t2 & OUT_FLAG)
                take(m, r2, set);
        }
    }
    for (; i < n2; i++) { /* the second walk is the longer one */
        uint32_t t2 = delta[r2 + cls[u[b + i]]];
        r2 = t2 & ~OUT_FLAG;
        if (t2 & OUT_FLAG)
            take(m, r2, set);
    }
}

/* ---- SIMD ----------------------------------------------------------------- */

#ifdef PF_X86

#define PF_BUCKETS    16  /* bucket bits: two bytes per text byte */
#define PF_FP         3   /* fingerprint bytes */
#define PF_MAX_SINGLE 32  /* one-byte literals: bits of scan_state.pending */
#define PF_MAX_LITS   256 /* longer literals: bounds the bucket merging's O(n^2) */
#define PF_SGROUPS    5   /* groups of one-byte literals: 8 to a group, ASCII apart */

/* The cost model, in cycles per text byte: a candidate (a mispredicted
 * branch, the bucket loop) and each literal compared for it, as measured on
 * the default policy.  A literal set estimated to cost more than PF_MAX_COST
 * in verification goes to the automaton (about 4.5 cycles per byte in all)
 * under PF_IMPL_AUTO. */
#define PF_CAND_COST 40.0
#define PF_LIT_COST  4.0
#define PF_MAX_COST  1.5

typedef struct pf_lit {
    uint64_t bytes; /* the folded literal, byte i in bits 8i..8i+7, 0 past len */
    uint64_t orm;   /* 0x20 in the bytes that are letters: folds the text's */
    uint64_t mask;  /* 0xff in the bytes below len */
    uint8_t len;    /* 1..PF_PREFIX */
    uint8_t off;    /* where its fingerprint starts in it */
    uint32_t set;   /* offset of its rule set in pf_teddy.sets */
} pf_lit;

/* Up to 8 literals of one bucket, one per 64-bit lane, for verifying them
 * at once with AVX-512: lane j holds literal j's bytes, orm and mask (as in
 * pf_lit).  The text window is the 16 bytes that start 7 before the
 * fingerprint's end e; idx picks each literal's 8 bytes from it. */
typedef struct pf_group {
    uint64_t bytes[8], orm[8], mask[8];
    int64_t rel[8];    /* 2 + off: the literal starts at e - rel */
    int64_t len[8];    /* its length */
    uint64_t word0[8]; /* word 0 of its rule set: all of it for up to 64 rules */
    uint8_t idx[64];   /* lane j byte i: window byte 5 - off + i */
    uint32_t set[8];   /* offset of its rule set in pf_teddy.sets */
    uint8_t lanes;     /* bit per lane in use */
} pf_group;

struct pf_teddy {
    /* [position][low, high nibble][buckets 0-7, 8-15][nibble] -> bucket bits;
     * one 32-byte row per position and nibble, an AVX2 register's two lanes */
    uint8_t nib[PF_FP][2][2][16];
    pf_lit *lits;                   /* literals of 2+ bytes, grouped by bucket */
    uint16_t first[PF_BUCKETS + 1]; /* bucket b is lits[first[b], first[b + 1]) */
    unsigned buckets;               /* bit per non-empty bucket */
    unsigned two;                   /* buckets holding a two-byte literal */
    uint64_t *bucket_set;           /* PF_BUCKETS * nwords: its literals' rules */
    size_t nsingle;                 /* one-byte literals */
    uint8_t single[PF_MAX_SINGLE];  /* the byte (folded) */
    uint32_t single_set[PF_MAX_SINGLE];
    /* Flags for the bytes that may be one-byte literal i (bit 5 ignored):
     * single_lo[i][low nibble] & single_hi[high nibble] != 0. */
    uint8_t single_lo[PF_MAX_SINGLE][16];
    uint8_t single_hi[16];
    uint64_t *sets; /* rule sets of the literals, nwords words each */
    double cost;    /* estimated verification cycles per byte */
    /* PF_IMPL_AVX512.  Exact byte tables: [position][buckets 0-7, 8-15]
     * [byte & 0x7f] -> the buckets with that byte (either case for a
     * letter) at fingerprint position k.  Entry x stands for bytes x and
     * x | 0x80, so it holds the buckets of both. */
    uint8_t byte_tab[PF_FP][2][128];
    /* One-byte literals in groups of up to 8, each of bytes below 0x80 or
     * of bytes from 0x80 (so that byte & 0x7f, with the byte's bit 7, tells
     * them apart): sgroup_tab[g][byte & 0x7f] has bit j for
     * single[sgroup_lit[g][j]]. */
    size_t nsgroup;
    uint8_t sgroup_tab[PF_SGROUPS][128];
    bool sgroup_high[PF_SGROUPS];
    uint8_t sgroup_n[PF_SGROUPS];
    uint8_t sgroup_lit[PF_SGROUPS][8];
    pf_group *groups;                /* the literals again, 8 to a group */
    uint16_t gfirst[PF_BUCKETS + 1]; /* bucket b is groups[gfirst[b], gfirst[b + 1]) */
};

static void teddy_free(pf_teddy *t)
{
    if (t == NULL)
        return;
    free(t->lits);
    free(t->groups);
    free(t->bucket_set);
    free(t->sets);
    free(t);
}

/* How common each byte is in log text, per mille, after OR 0x20 (so only
 * bytes with bit 5 set occur): rounded from a mix of nginx access and error
 * logs, syslog and JSON lines, 0 raised to 1.  Space, digits, '.', '/' and
 * ':' dominate; without this, fingerprints such as "%40", "+49" and "004"
 * land in one bucket that fires on every " 20".  Bytes >= 0x80 count 1. */
// clang-format off
static const uint8_t byte_freq[2][32] = {
    /* 0x20 */ {85, 1, 28, 1, 1, 1, 1, 1, 5, 5, 1, 4, 5, 14, 47, 43,
                76, 51, 37, 26, 20, 19, 19, 11, 13, 10, 37, 5, 1, 2, 1, 1},
    /* 0x60 */ {1, 28, 10, 19, 11, 43, 11, 13, 16, 26, 1, 10, 23, 18, 18, 32,
                22, 1, 20, 22, 38, 7, 6, 14, 9, 2, 3, 5, 1, 5, 1, 2},
};
// clang-format on

/* Share of text bytes (OR 0x20) whose nibbles are in lo and hi (bit per
 * nibble value). */
static double byte_share(uint16_t lo, uint16_t hi)
{
    unsigned sum = 0;
    hi &= 0xcccc; /* bit 5 clear: no folded byte has that high nibble */
    for (unsigned hs = hi; hs != 0; hs &= hs - 1) {
        int h = __builtin_ctz(hs);
        if (h & 8) {
            sum += (unsigned)__builtin_popcount(lo);
            continue;
        }
        for (unsigned ls = lo; ls != 0; ls &= ls - 1)
            sum += byte_freq[h >> 2][(h & 1) << 4 | __builtin_ctz(ls)];
    }
    return sum / 1000.0;
}

/* A bucket while they are being merged: the nibbles its literals have at
 * each fingerprint position (bit per nibble value) and how many there are. */
typedef struct cluster {
    uint16_t lo[PF_FP], hi[PF_FP];
    size_t n;
    double cost; /* cluster_cost */
} cluster;

/* Expected verification cycles per text byte that bucket c costs; positions
 * are taken as independent. */
static double cluster_cost(const cluster *c)
{
    double p = 1;
    for (int k = 0; k < PF_FP; k++)
        p *= byte_share(c->lo[k], c->hi[k]);
    return p * (PF_CAND_COST + PF_LIT_COST * (double)c->n);
}

static cluster merged(const cluster *a, const cluster *b)
{
    cluster c;
    for (int k = 0; k < PF_FP; k++) {
        c.lo[k] = a->lo[k] | b->lo[k];
        c.hi[k] = a->hi[k] | b->hi[k];
    }
    c.n = a->n + b->n;
    c.cost = cluster_cost(&c);
    return c;
}

/* Fingerprint byte k of l: its byte off + k, OR 0x20; -1 for "any byte"
 * (past the end of a two-byte literal). */
static int fp_byte(const pf_lit *l, int k)
{
    if (l->off + k >= l->len)
        return -1;
    return (uint8_t)(l->bytes >> (8 * (l->off + k))) | 0x20;
}

/* Puts the fingerprint of l on its rarest three bytes (by byte_freq): a
 * literal's first bytes are often common ones ("mob" of "mobil"). */
static void choose_window(pf_lit *l)
{
    double best = 2;
    uint8_t best_off = 0;
    for (int o = 0; o == 0 || o + PF_FP <= l->len; o++) {
        l->off = (uint8_t)o;
        double p = 1;
        for (int k = 0; k < PF_FP; k++) {
            int b = fp_byte(l, k);
            if (b >= 0)
                p *= byte_share((uint16_t)(1u << (b & 15)), (uint16_t)(1u << (b >> 4)));
        }
        if (p < best) {
            best = p;
            best_off = (uint8_t)o;
        }
    }
    l->off = best_off;
}

/* Sorts lits[0, nl) into at most PF_BUCKETS buckets: every literal starts
 * in a bucket of its own and the two buckets whose merging costs least are
 * merged until PF_BUCKETS remain.  bucket[i] gets literal i's; *cost the
 * estimated verification cost.  Returns the number of buckets, 0 when out
 * of memory. */
static size_t assign_buckets(const pf_lit *lits, size_t nl, unsigned *bucket, double *cost)
{
    cluster *c = calloc(nl, sizeof *c);
    float *delta = malloc(nl * nl * sizeof *delta); /* [a * nl + b], a < b */
    size_t *id = malloc(nl * sizeof *id);           /* literal -> cluster */
    bool *alive = malloc(nl * sizeof *alive);
    if (c == NULL || delta == NULL || id == NULL || alive == NULL) {
        free(c);
        free(delta);
        free(id);
        free(alive);
        return 0;
    }
    for (size_t i = 0; i < nl; i++) {
        for (int k = 0; k < PF_FP; k++) {
            int b = fp_byte(&lits[i], k);
            c[i].lo[k] = b < 0 ? 0xffff : (uint16_t)(1u << (b & 15));
            c[i].hi[k] = b < 0 ? 0xffff : (uint16_t)(1u << (b >> 4));
        }
        c[i].n = 1;
        c[i].cost = cluster_cost(&c[i]);
        id[i] = i;
        alive[i] = true;
    }
    for (size_t a = 0; a < nl; a++) {
        for (size_t b = a + 1; b < nl; b++) {
            cluster m = merged(&c[a], &c[b]);
            delta[a * nl + b] = (float)(m.cost - c[a].cost - c[b].cost);
        }
    }
    for (size_t left = nl; left > PF_BUCKETS; left--) {
        size_t ba = 0, bb = 0;
        bool found = false;
        for (size_t a = 0; a < nl; a++) {
            if (!alive[a])
                continue;
            for (size_t b = a + 1; b < nl; b++) {
                if (alive[b] && (!found || delta[a * nl + b] < delta[ba * nl + bb])) {
                    ba = a;
                    bb = b;
                    found = true;
                }
            }
        }
        c[ba] = merged(&c[ba], &c[bb]);
        alive[bb] = false;
        for (size_t i = 0; i < nl; i++)
            if (id[i] == bb)
                id[i] = ba;
        for (size_t x = 0; x < nl; x++) {
            if (!alive[x] || x == ba)
                continue;
            size_t lo = x < ba ? x : ba, hi = x < ba ? ba : x;
            cluster m = merged(&c[ba], &c[x]);
            delta[lo * nl + hi] = (float)(m.cost - c[ba].cost - c[x].cost);
        }
    }
    size_t nb = 0;
    *cost = 0;
    for (size_t a = 0; a < nl; a++) {
        if (!alive[a])
            continue;
        *cost += c[a].cost;
        for (size_t i = 0; i < nl; i++)
            if (id[i] == a)
                bucket[i] = (unsigned)nb;
        nb++;
    }
    free(c);
    free(delta);
    free(id);
    free(alive);
    return nb;
}

/* A bit for each of the 8 high nibbles a byte OR 0x20 can have (2, 3, 6,
 * 7, 0xa, 0xb, 0xe, 0xf: bit 1 set), 0 for the others. */
static uint8_t hi_class(int h)
{
    return (h & 2) ? (uint8_t)(1u << ((h >> 2) << 1 | (h & 1))) : 0;
}

/* Builds the SIMD tables for rules[0, n) (m->nwords set) into *out.
 * Returns 1 on success, 0 when the literals exceed the limits (too many, or
 * too many distinct one-byte ones), -1 when out of memory. */
static int teddy_build(const pf_matcher *m, const pf_literals *rules, size_t n, pf_teddy **out)
{
    size_t nw = m->nwords, total = 0;
    for (size_t k = 0; k < n; k++)
        total += rules[k].n;
    int rc = -1;
    pf_teddy *t = calloc(1, sizeof *t);
    pf_lit *all = calloc(total ? total : 1, sizeof *all); /* distinct literals */
    unsigned *bucket = calloc(total ? total : 1, sizeof *bucket);
    if (t == NULL || all == NULL || bucket == NULL)
        goto done;
    t->sets = calloc((total ? total : 1) * nw, sizeof *t->sets);
    t->bucket_set = calloc(PF_BUCKETS * nw, sizeof *t->bucket_set);
    if (t->sets == NULL || t->bucket_set == NULL)
        goto done;

    /* Distinct literals, each with its rules. */
    size_t nall = 0, nsingle = 0, nlong = 0;
    for (size_t k = 0; k < n; k++) {
        for (size_t j = 0; j < rules[k].n; j++) {
            size_t len = lit_len(&rules[k], j);
            if (len == 0)
                continue; /* in m->always */
            pf_lit l = {0};
            for (size_t i = 0; i < len; i++) {
                uint8_t c = fold((uint8_t)rules[k].lit[j][i]);
                l.bytes |= (uint64_t)c << (8 * i);
                l.mask |= 0xffull << (8 * i);
                if (c >= 'a' && c <= 'z')
                    l.orm |= 0x20ull << (8 * i);
            }
            l.len = (uint8_t)len;
            size_t i = 0;
            while (i < nall && !(all[i].len == l.len && all[i].bytes == l.bytes))
                i++;
            if (i == nall) {
                l.set = (uint32_t)(nall * nw);
                all[nall++] = l;
                if (len == 1)
                    nsingle++;
                else
                    nlong++;
                if (nsingle > PF_MAX_SINGLE || nlong > PF_MAX_LITS) {
                    rc = 0; /* also keeps this quadratic search short */
                    goto done;
                }
            }
            set_bit(&t->sets[all[i].set], k);
        }
    }

    /* One-byte literals. */
    for (size_t i = 0; i < nall; i++) {
        if (all[i].len != 1)
            continue;
        uint8_t c = (uint8_t)all[i].bytes, f = c | 0x20;
        t->single[t->nsingle] = c;
        t->single_lo[t->nsingle][f & 15] = hi_class(f >> 4);
        t->single_set[t->nsingle++] = all[i].set;
    }
    for (int h = 0; h < 16; h++)
        t->single_hi[h] = hi_class(h | 2); /* case: bit 5 either way */
    for (size_t i = 0; i < t->nsingle; i++) {
        uint8_t c = t->single[i];
        bool high = c >= 0x80;
        size_t g = 0;
        while (g < t->nsgroup && (t->sgroup_high[g] != high || t->sgroup_n[g] == 8))
            g++;
        if (g == t->nsgroup) { /* at most 4 of 8 and 1, or 3 and 2, ...: 5 */
            t->nsgroup++;
            t->sgroup_high[g] = high;
        }
        uint8_t bit = (uint8_t)(1u << t->sgroup_n[g]);
        t->sgroup_lit[g][t->sgroup_n[g]++] = (uint8_t)i;
        t->sgroup_tab[g][c & 0x7f] |= bit;
        if (c >= 'a' && c <= 'z')
            t->sgroup_tab[g][c ^ 0x20] |= bit;
    }

    /* Longer ones: into buckets, grouped by bucket. */
    t->lits = calloc(nlong ? nlong : 1, sizeof *t->lits);
    if (t->lits == NULL)
        goto done;
    size_t nl = 0;
    for (size_t i = 0; i < nall; i++) {
        if (all[i].len > 1) {
            t->lits[nl] = all[i];
            choose_window(&t->lits[nl++]);
        }
    }
    size_t nb = 0;
    if (nl > 0 && (nb = assign_buckets(t->lits, nl, bucket, &t->cost)) == 0)
        goto done;
    size_t at = 0;
    for (size_t b = 0; b < nb; b++) {
        t->first[b] = (uint16_t)at;
        for (size_t i = 0; i < nl; i++)
            if (bucket[i] == b)
                all[at++] = t->lits[i];
    }
    for (size_t b = nb; b <= PF_BUCKETS; b++)
        t->first[b] = (uint16_t)at;
    memcpy(t->lits, all, nl * sizeof *t->lits);

    /* The nibble tables and each bucket's rules. */
    for (size_t b = 0; b < nb; b++) {
        uint8_t bit = (uint8_t)(1u << (b % 8));
        int half = (int)(b / 8);
        t->buckets |= 1u << b;
        for (size_t i = t->first[b]; i < t->first[b + 1]; i++) {
            const pf_lit *l = &t->lits[i];
            if (l->len == 2)
                t->two |= 1u << b;
            for (int k = 0; k < PF_FP; k++) {
                int c = fp_byte(l, k);
                for (int x = 0; x < 16; x++) {
                    if (c < 0 || x == (c & 15))
                        t->nib[k][0][half][x] |= bit;
                    if (c < 0 || (x | 2) == c >> 4) /* case: bit 5 either way */
                        t->nib[k][1][half][x] |= bit;
                }
                if (c < 0) { /* "any": a two-byte literal's third byte */
                    for (int x = 0; x < 128; x++)
                        t->byte_tab[k][half][x] |= bit;
                    continue;
                }
                uint8_t e = (uint8_t)(l->bytes >> (8 * (l->off + k))); /* folded */
                t->byte_tab[k][half][e & 0x7f] |= bit;
                if (e >= 'a' && e <= 'z')
                    t->byte_tab[k][half][(e ^ 0x20) & 0x7f] |= bit;
            }
            for (size_t w = 0; w < nw; w++)
                t->bucket_set[b * nw + w] |= t->sets[l->set + w];
        }
    }

    /* The literals in groups of 8 for AVX-512 verification. */
    t->groups = calloc(nl / 8 + PF_BUCKETS, sizeof *t->groups);
    if (t->groups == NULL)
        goto done;
    size_t ng = 0;
    for (size_t b = 0; b < PF_BUCKETS; b++) {
        t->gfirst[b] = (uint16_t)ng;
        for (size_t i = t->first[b]; i < t->first[b + 1]; i++) {
            size_t j = (i - t->first[b]) % 8;
            if (j == 0)
                ng++;
            pf_group *g = &t->groups[ng - 1];
            const pf_lit *l = &t->lits[i];
            g->bytes[j] = l->bytes;
            g->orm[j] = l->orm;
            g->mask[j] = l->mask;
            g->rel[j] = 2 + l->off;
            g->len[j] = l->len;
            g->word0[j] = t->sets[l->set];
            for (int k = 0; k < 8; k++)
                g->idx[8 * j + k] = (uint8_t)(5 - l->off + k); /* off <= 5: below 16 */
            g->set[j] = l->set;
            g->lanes |= (uint8_t)(1u << j);
        }
    }
    t->gfirst[PF_BUCKETS] = (uint16_t)ng;
    rc = 1;
done:
    free(all);
    free(bucket);
    if (rc == 1)
        *out = t;
    else
        teddy_free(t);
    return rc;
}

/* Whether set holds every rule of want (nw words). */
static bool covers(const uint64_t *set, const uint64_t *want, size_t nw)
{
    for (size_t w = 0; w < nw; w++)
        if ((set[w] & want[w]) != want[w])
            return false;
    return true;
}

static void add_set(uint64_t *set, const uint64_t *r, size_t nw)
{
    for (size_t w = 0; w < nw; w++)
        set[w] |= r[w];
}

static inline uint64_t load8(const uint8_t *p)
{
    uint64_t x;
    memcpy(&x, p, 8);
    return x;
}

/* The n < 8 bytes at p, zero-extended (x86 is little-endian). */
static uint64_t load_tail(const uint8_t *p, size_t n)
{
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++)
        x |= (uint64_t)p[i] << (8 * i);
    return x;
}

/* Verifies the buckets `bits` whose fingerprint may end at text position
 * end (its third byte; end <= len): adds the rules of their literals that
 * occur to set.  Returns `live` without the buckets now done. */
static unsigned verify_at(const pf_matcher *m, const uint8_t *u, size_t len, size_t end,
                          unsigned bits, unsigned live, uint64_t *set)
{
    const pf_teddy *t = m->teddy;
    size_t nw = m->nwords;
    while (bits != 0) {
        unsigned b = (unsigned)__builtin_ctz(bits);
        bits &= bits - 1;
        bool hit = false;
        for (size_t i = t->first[b]; i < t->first[b + 1]; i++) {
            const pf_lit *l = &t->lits[i];
            /* The literal would start at s = end - 2 - off. */
            if (end < 2u + l->off || end - 2 - l->off + l->len > len)
                continue;
            size_t s = end - 2 - l->off;
            uint64_t x = len - s >= 8 ? load8(u + s) : load_tail(u + s, len - s);
            if (((x | l->orm) & l->mask) == l->bytes) {
                add_set(set, &t->sets[l->set], nw);
                hit = true;
            }
        }
        if (hit && covers(set, &t->bucket_set[b * nw], nw))
            live &= ~(1u << b);
    }
    return live;
}

/* What a scan carries from block to block. */
typedef struct scan_state {
    unsigned live;    /* buckets not done */
    uint32_t pending; /* one-byte literals not found */
} scan_state;

/* The rare part of a block at text position base (16 bytes, blk[i] being
 * text byte base + i): the bytes flagged in sflag may be pending one-byte
 * literals, and bit i of `where` says that buckets cand[i] (0-7) |
 * cand[16 + i] << 8 (8-15) may end at base + i.  Adds what is there to set
 * and updates st. */
static void block_hits(const pf_matcher *m, const uint8_t *u, size_t len, size_t base,
                       const uint8_t *blk, uint32_t sflag, const uint8_t *cand, uint32_t where,
                       scan_state *st, uint64_t *set)
{
    const pf_teddy *t = m->teddy;
    for (; sflag != 0; sflag &= sflag - 1) {
        uint8_t c = fold(blk[__builtin_ctz(sflag)]);
        for (uint32_t q = st->pending; q != 0; q &= q - 1) {
            unsigned i = (unsigned)__builtin_ctz(q);
            if (t->single[i] == c) {
                add_set(set, &t->sets[t->single_set[i]], m->nwords);
                st->pending &= ~(1u << i);
            }
        }
    }
    for (; where != 0; where &= where - 1) {
        unsigned i = (unsigned)__builtin_ctz(where);
        unsigned bits = (cand[i] | (unsigned)cand[16 + i] << 8) & st->live;
        if (bits != 0)
            st->live = verify_at(m, u, len, base + i, bits, st->live, set);
    }
}

/* A two-byte literal that ends the text has the "any byte" third position
 * of its fingerprint at len, which no block holds: checked here, with the
 * tables read one byte at a time. */
static unsigned verify_end(const pf_matcher *m, const uint8_t *u, size_t len, unsigned live,
                           uint64_t *set)
{
    const pf_teddy *t = m->teddy;
    unsigned bits = t->two & live;
    if (len < 2 || bits == 0)
        return live;
    for (int k = 0; k < 2; k++) {
        uint8_t c = u[len - 2 + k];
        unsigned lo = t->nib[k][0][0][c & 15] | (unsigned)t->nib[k][0][1][c & 15] << 8;
        unsigned hi = t->nib[k][1][0][c >> 4] | (unsigned)t->nib[k][1][1][c >> 4] << 8;
        bits &= lo & hi;
    }
    return bits ? verify_at(m, u, len, len, bits, live, set) : live;
}

/* The low-nibble table that flags the bytes that may be one of the pending
 * one-byte literals (with single_hi for the high nibble). */
__attribute__((target("ssse3"))) static inline __m128i singles_table(const pf_teddy *t,
                                                                     uint32_t pending)
{
    __m128i x = _mm_setzero_si128();
    for (; pending != 0; pending &= pending - 1)
        x = _mm_or_si128(x, _mm_loadu_si128((const __m128i *)t->single_lo[__builtin_ctz(pending)]));
    return x;
}

/* ---- SSSE3: two 128-bit halves per step, buckets 0-7 and 8-15 ---- */

/* The buckets whose fingerprint byte k each byte may be (lo, hi: its nibbles). */
#define LOOKUP16(k, h, lo, hi) \
    _mm_and_si128(_mm_shuffle_epi8(tab[k][0][h], lo), _mm_shuffle_epi8(tab[k][1][h], hi))

__attribute__((target("ssse3"))) static void teddy_scan16(const pf_matcher *m, const uint8_t *u,
                                                          size_t len, uint64_t *set)
{
    const pf_teddy *t = m->teddy;
    __m128i tab[PF_FP][2][2]; /* [position][low, high nibble][half] */
    for (int k = 0; k < PF_FP; k++)
        for (int n = 0; n < 2; n++)
            for (int h = 0; h < 2; h++)
                tab[k][n][h] = _mm_loadu_si128((const __m128i *)t->nib[k][n][h]);
    const __m128i low4 = _mm_set1_epi8(0x0f);
    const __m128i zero = _mm_setzero_si128();
    const __m128i shi = _mm_loadu_si128((const __m128i *)t->single_hi);
    scan_state st = {t->buckets, (uint32_t)((1ull << t->nsingle) - 1)};
    if (st.live == 0 && st.pending == 0)
        return; /* no literals: only rules that are always candidates */
    __m128i slo = singles_table(t, st.pending);
    __m128i live0 = _mm_set1_epi8((char)st.live), live1 = _mm_set1_epi8((char)(st.live >> 8));
    __m128i prev[2][2] = {{zero, zero}, {zero, zero}}; /* [k = 0, 1][half] */
    /* A text shorter than two blocks is scanned from a zeroed copy. */
    uint8_t pad[32] = {0};
    const uint8_t *src = u;
    if (len < 32) {
        if (len > 0) /* text may be NULL when len is 0 */
            memcpy(pad, u, len);
        src = pad;
    }
    size_t p = 0;
    for (; p + 16 <= len || (src == pad && p < len); p += 16) {
        __m128i f = _mm_loadu_si128((const __m128i *)(src + p));
        __m128i lo = _mm_and_si128(f, low4);
        __m128i hi = _mm_and_si128(_mm_srli_epi16(f, 4), low4);
        __m128i r[2];
        for (int h = 0; h < 2; h++) {
            __m128i m0 = LOOKUP16(0, h, lo, hi);
            __m128i m1 = LOOKUP16(1, h, lo, hi);
            __m128i m2 = LOOKUP16(2, h, lo, hi);
            r[h] = _mm_and_si128(m2, _mm_alignr_epi8(m1, prev[1][h], 15));
            r[h] = _mm_and_si128(r[h], _mm_alignr_epi8(m0, prev[0][h], 14));
            prev[0][h] = m0;
            prev[1][h] = m1;
        }
        r[0] = _mm_and_si128(r[0], live0);
        r[1] = _mm_and_si128(r[1], live1);
        __m128i s = _mm_and_si128(_mm_shuffle_epi8(slo, lo), _mm_shuffle_epi8(shi, hi));
        __m128i any = _mm_or_si128(_mm_or_si128(r[0], r[1]), s);
        if (_mm_movemask_epi8(_mm_cmpeq_epi8(any, zero)) != 0xffff) {
            uint32_t valid = len - p >= 16 ? 0xffff : (1u << (len - p)) - 1;
            uint32_t sflag = ~(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(s, zero)) & valid;
            uint32_t where =
                ~(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(r[0], r[1]), zero)) &
                valid;
            uint8_t cand[32];
            _mm_storeu_si128((__m128i *)cand, r[0]);
            _mm_storeu_si128((__m128i *)(cand + 16), r[1]);
            block_hits(m, u, len, p, src + p, sflag, cand, where, &st, set);
            if (st.live == 0 && st.pending == 0)
                return;
            slo = singles_table(t, st.pending);
            live0 = _mm_set1_epi8((char)st.live);
            live1 = _mm_set1_epi8((char)(st.live >> 8));
        }
    }
    if (p < len) {
        /* The last bytes: the block that ends at len, whose fingerprint
         * bytes 0 and 1 are read again at q - 2 and q - 1 (len >= 32, so
         * q >= 16).  Positions before p are done already. */
        size_t q = len - 16;
        __m128i f = _mm_loadu_si128((const __m128i *)(u + q));
        __m128i f0 = _mm_loadu_si128((const __m128i *)(u + q - 2));
        __m128i f1 = _mm_loadu_si128((const __m128i *)(u + q - 1));
        __m128i lo = _mm_and_si128(f, low4), hi = _mm_and_si128(_mm_srli_epi16(f, 4), low4);
        __m128i lo0 = _mm_and_si128(f0, low4), hi0 = _mm_and_si128(_mm_srli_epi16(f0, 4), low4);
        __m128i lo1 = _mm_and_si128(f1, low4), hi1 = _mm_and_si128(_mm_srli_epi16(f1, 4), low4);
        __m128i r[2];
        for (int h = 0; h < 2; h++) {
            r[h] = _mm_and_si128(LOOKUP16(2, h, lo, hi), LOOKUP16(1, h, lo1, hi1));
            r[h] = _mm_and_si128(r[h], LOOKUP16(0, h, lo0, hi0));
        }
        r[0] = _mm_and_si128(r[0], live0);
        r[1] = _mm_and_si128(r[1], live1);
        __m128i s = _mm_and_si128(_mm_shuffle_epi8(slo, lo), _mm_shuffle_epi8(shi, hi));
        uint32_t fresh = 0xffff & (0xffffu << (p - q));
        uint32_t sflag = ~(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(s, zero)) & fresh;
        uint32_t where =
            ~(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(r[0], r[1]), zero)) & fresh;
        if ((sflag | where) != 0) {
            uint8_t cand[32];
            _mm_storeu_si128((__m128i *)cand, r[0]);
            _mm_storeu_si128((__m128i *)(cand + 16), r[1]);
            block_hits(m, u, len, q, u + q, sflag, cand, where, &st, set);
        }
    }
    verify_end(m, u, len, st.live, set);
}

/* ---- AVX2: the 16 text bytes in both lanes, buckets 0-7 and 8-15 ---- */

/* The buckets whose fingerprint byte k each byte may be (lo, hi: its nibbles). */
#define LOOKUP32(k, lo, hi) \
    _mm256_and_si256(_mm256_shuffle_epi8(tab[k][0], lo), _mm256_shuffle_epi8(tab[k][1], hi))

/* The one-byte literal flags go in lane 0 only; lane 1 stays zero. */
#define SINGLES32(slo) _mm256_inserti128_si256(_mm256_setzero_si256(), slo, 0)

__attribute__((target("avx2"))) static void teddy_scan32(const pf_matcher *m, const uint8_t *u,
                                                         size_t len, uint64_t *set)
{
    const pf_teddy *t = m->teddy;
    __m256i tab[PF_FP][2]; /* [position][low, high nibble], lanes: buckets 0-7, 8-15 */
    for (int k = 0; k < PF_FP; k++)
        for (int n = 0; n < 2; n++)
            tab[k][n] = _mm256_loadu_si256((const __m256i *)t->nib[k][n]);
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    const __m256i zero = _mm256_setzero_si256();
    const __m256i shi = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)t->single_hi));
    scan_state st = {t->buckets, (uint32_t)((1ull << t->nsingle) - 1)};
    if (st.live == 0 && st.pending == 0)
        return; /* no literals: only rules that are always candidates */
    __m256i slo = SINGLES32(singles_table(t, st.pending));
    __m256i livev =
        _mm256_set_m128i(_mm_set1_epi8((char)(st.live >> 8)), _mm_set1_epi8((char)st.live));
    __m256i prev0 = zero, prev1 = zero;
    uint8_t pad[32] = {0};
    const uint8_t *src = u;
    if (len < 32) {
        if (len > 0) /* text may be NULL when len is 0 */
            memcpy(pad, u, len);
        src = pad;
    }
    size_t p = 0;
    for (; p + 16 <= len || (src == pad && p < len); p += 16) {
        __m256i f = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(src + p)));
        __m256i lo = _mm256_and_si256(f, low4);
        __m256i hi = _mm256_and_si256(_mm256_srli_epi16(f, 4), low4);
        __m256i m0 = LOOKUP32(0, lo, hi);
        __m256i m1 = LOOKUP32(1, lo, hi);
        __m256i m2 = LOOKUP32(2, lo, hi);
        __m256i r = _mm256_and_si256(m2, _mm256_alignr_epi8(m1, prev1, 15));
        r = _mm256_and_si256(r, _mm256_alignr_epi8(m0, prev0, 14));
        r = _mm256_and_si256(r, livev);
        prev0 = m0;
        prev1 = m1;
        __m256i s = _mm256_and_si256(_mm256_shuffle_epi8(slo, lo), _mm256_shuffle_epi8(shi, hi));
        __m256i any = _mm256_or_si256(r, s);
        if (!_mm256_testz_si256(any, any)) {
            uint32_t valid = len - p >= 16 ? 0xffff : (1u << (len - p)) - 1;
            uint32_t sflag = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(s, zero)) & valid;
            uint32_t nz = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(r, zero));
            uint8_t cand[32];
            _mm256_storeu_si256((__m256i *)cand, r);
            block_hits(m, u, len, p, src + p, sflag, cand, (nz | nz >> 16) & valid, &st, set);
            if (st.live == 0 && st.pending == 0)
                return;
            slo = SINGLES32(singles_table(t, st.pending));
            livev =
                _mm256_set_m128i(_mm_set1_epi8((char)(st.live >> 8)), _mm_set1_epi8((char)st.live));
        }
    }
    if (p < len) {
        /* The last bytes, as in teddy_scan16. */
        size_t q = len - 16;
        __m256i f = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(u + q)));
        __m256i f0 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(u + q - 2)));
        __m256i f1 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(u + q - 1)));
        __m256i lo = _mm256_and_si256(f, low4);
        __m256i hi = _mm256_and_si256(_mm256_srli_epi16(f, 4), low4);
        __m256i r = LOOKUP32(2, lo, hi);
        r = _mm256_and_si256(r, LOOKUP32(1, _mm256_and_si256(f1, low4),
                                         _mm256_and_si256(_mm256_srli_epi16(f1, 4), low4)));
        r = _mm256_and_si256(r, LOOKUP32(0, _mm256_and_si256(f0, low4),
                                         _mm256_and_si256(_mm256_srli_epi16(f0, 4), low4)));
        r = _mm256_and_si256(r, livev);
        __m256i s = _mm256_and_si256(_mm256_shuffle_epi8(slo, lo), _mm256_shuffle_epi8(shi, hi));
        uint32_t fresh = 0xffff & (0xffffu << (p - q));
        uint32_t sflag = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(s, zero)) & fresh;
        uint32_t nz = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(r, zero));
        uint32_t where = (nz | nz >> 16) & fresh;
        if ((sflag | where) != 0) {
            uint8_t cand[32];
            _mm256_storeu_si256((__m256i *)cand, r);
            block_hits(m, u, len, q, u + q, sflag, cand, where, &st, set);
        }
    }
    verify_end(m, u, len, st.live, set);
}

/* ---- AVX-512 (BW, VBMI): 64 text bytes per step, exact byte tables ---- */

#define PF_AVX512 __attribute__((target("avx512f,avx512bw,avx512vbmi")))

/* Where the time of the 16-byte scans goes on log lines is branches that
 * the candidates make unpredictable, more than the table lookups.  So this
 * one looks up 8 blocks of 64 bytes (a chunk) without a branch, keeping
 * their candidates, and then verifies them all, each bucket's literals in
 * groups of 8 with one compare.  One-byte literals are not verified at
 * all: their flags are ORed over the text and read once at the end.
 *
 * vpermt2b looks a byte up in a 128-byte table held in two registers (bit 7
 * of the byte is ignored, hence byte_tab's x | 0x80 entries), so one
 * instruction gives the exact buckets of 64 bytes for a fingerprint
 * position and half, where the nibble tables need two shuffles and lose
 * precision.  The bytes 1 and 2 before each text byte (fingerprint
 * positions 1 and 0) are loaded again one and two bytes earlier; in the
 * first block they are shifted in with zeros.  Masked loads read only
 * text[0, len), so a short text or the last block needs no copy.  Buckets
 * found done are taken out of the tables between chunks. */

#define PF_CHUNK 8 /* blocks of 64 bytes looked up before their candidates are verified */

/* Index vectors for vpermb: byte i - 1 and i - 2 (the low bytes are
 * masked off where used). */
static const uint8_t back1[64] = {63, 0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14,
                                  15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
                                  31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46,
                                  47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62};
static const uint8_t back2[64] = {62, 63, 0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13,
                                  14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
                                  30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45,
                                  46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61};

/* Verifies bucket b's literals for a fingerprint that ends at text position
 * e (2 <= e < len): win is the text from e - 7 on (16 bytes, zeros outside
 * the text).  The rules of the literals found go to *acc (nw == 1) or to
 * set. */
PF_AVX512 static inline void verify64(const pf_teddy *t, size_t nw, const uint8_t *win, size_t e,
                                      size_t len, unsigned b, uint64_t *acc, uint64_t *set)
{
    __m512i w = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)win));
    __m512i ev = _mm512_set1_epi64((long long)e), lenv = _mm512_set1_epi64((long long)len);
    for (size_t i = t->gfirst[b]; i < t->gfirst[b + 1]; i++) {
        const pf_group *g = &t->groups[i];
        __m512i x = _mm512_permutexvar_epi8(_mm512_loadu_si512(g->idx), w);
        x = _mm512_ternarylogic_epi64(x, _mm512_loadu_si512(g->orm), _mm512_loadu_si512(g->mask),
                                      0xa8); /* (x | orm) & mask */
        /* The literal must lie in the text: the window's zeros are bytes
         * a literal may have. */
        __m512i s = _mm512_sub_epi64(ev, _mm512_loadu_si512(g->rel));
        __mmask8 in = _mm512_mask_cmpge_epi64_mask(g->lanes, s, _mm512_setzero_si512());
        in =
            _mm512_mask_cmple_epi64_mask(in, _mm512_add_epi64(s, _mm512_loadu_si512(g->len)), lenv);
        __mmask8 hit = _mm512_mask_cmpeq_epi64_mask(in, x, _mm512_loadu_si512(g->bytes));
        if (nw == 1) {
            *acc |= (uint64_t)_mm512_mask_reduce_or_epi64(hit, _mm512_loadu_si512(g->word0));
        } else {
            for (unsigned h = hit; h != 0; h &= h - 1)
                add_set(set, &t->sets[g->set[__builtin_ctz(h)]], nw);
        }
    }
}

/* Takes the buckets not in live out of position 2's tables. */
#define KEEP_LIVE(live)                                      \
    do {                                                     \
        __m512i lv0 = _mm512_set1_epi8((char)(live));        \
        __m512i lv1 = _mm512_set1_epi8((char)((live) >> 8)); \
        t20a = _mm512_and_si512(t20a, lv0);                  \
        t20b = _mm512_and_si512(t20b, lv0);                  \
        t21a = _mm512_and_si512(t21a, lv1);                  \
        t21b = _mm512_and_si512(t21b, lv1);                  \
    } while (0)

/* The buckets of 64 bytes x at fingerprint position k, half h: tables
 * t<k><h>a (bytes 0-63) and t<k><h>b (64-127), named one by one so that
 * they stay in registers. */
#define LOOKUP64(k, h, x) _mm512_permutex2var_epi8(t##k##h##a, x, t##k##h##b)
#define LOAD64(k, h)                                            \
    __m512i t##k##h##a = _mm512_loadu_si512(t->byte_tab[k][h]); \
    __m512i t##k##h##b = _mm512_loadu_si512(t->byte_tab[k][h] + 64)

/* The flags of one-byte literal group g for 64 bytes f, of which `valid`
 * are text and `high` have bit 7 set. */
#define SINGLES64(g, ta, tb) \
    _mm512_maskz_permutex2var_epi8(valid &(t->sgroup_high[g] ? high : ~high), ta, f, tb)

PF_AVX512 static void teddy_scan64(const pf_matcher *m, const uint8_t *u, size_t len, uint64_t *set)
{
    const pf_teddy *t = m->teddy;
    size_t nw = m->nwords, ng = t->nsgroup;
    unsigned live = t->buckets;
    if (live == 0 && ng == 0)
        return; /* no literals: only rules that are always candidates */
    LOAD64(0, 0);
    LOAD64(0, 1);
    LOAD64(1, 0);
    LOAD64(1, 1);
    LOAD64(2, 0);
    LOAD64(2, 1);
    KEEP_LIVE(live);
    /* Group 0 of the one-byte literals in registers, any others (over 8,
     * or bytes from 0x80) from memory. */
    __m512i s0a = _mm512_loadu_si512(t->sgroup_tab[0]);
    __m512i s0b = _mm512_loadu_si512(t->sgroup_tab[0] + 64);
    __m512i sacc0 = _mm512_setzero_si512();
    __m512i sacc[PF_SGROUPS];
    for (size_t g = 1; g < ng; g++)
        sacc[g] = _mm512_setzero_si512();
    /* The chunk's text from 8 bytes before it to 16 after it, zeros past
     * len, for verify64's windows; its candidates. */
    uint8_t text[8 + 64 * PF_CHUNK + 16];
    uint8_t cand[PF_CHUNK][2][64];
    uint64_t where[PF_CHUNK];
    memset(text, 0, 8);
    uint64_t acc = 0;
    for (size_t p = 0; p < len;) {
        size_t base = p, nb = 0;
        for (; nb < PF_CHUNK && p < len; nb++, p += 64) {
            size_t n = len - p;
            __mmask64 valid = n >= 64 ? ~0ull : (1ull << n) - 1;
            __mmask64 ends = valid; /* where a fingerprint may end */
            __m512i f = _mm512_maskz_loadu_epi8(valid, u + p), f0, f1;
            if (p == 0) {
                f1 = _mm512_maskz_permutexvar_epi8(~1ull, _mm512_loadu_si512(back1), f);
                f0 = _mm512_maskz_permutexvar_epi8(~3ull, _mm512_loadu_si512(back2), f);
                ends &= ~3ull; /* a fingerprint has 3 bytes */
            } else {
                f1 = _mm512_maskz_loadu_epi8(valid, u + p - 1);
                f0 = _mm512_maskz_loadu_epi8(valid, u + p - 2);
            }
            __m512i r0 = _mm512_ternarylogic_epi64(LOOKUP64(0, 0, f0), LOOKUP64(1, 0, f1),
                                                   LOOKUP64(2, 0, f), 0x80); /* a & b & c */
            __m512i r1 = _mm512_ternarylogic_epi64(LOOKUP64(0, 1, f0), LOOKUP64(1, 1, f1),
                                                   LOOKUP64(2, 1, f), 0x80);
            _mm512_storeu_si512(text + 8 + 64 * nb, f);
            _mm512_storeu_si512(cand[nb][0], r0);
            _mm512_storeu_si512(cand[nb][1], r1);
            where[nb] = _mm512_test_epi8_mask(_mm512_or_si512(r0, r1), _mm512_set1_epi8(-1)) & ends;
            __mmask64 high = _mm512_movepi8_mask(f);
            sacc0 = _mm512_or_si512(sacc0, SINGLES64(0, s0a, s0b));
            for (size_t g = 1; g < ng; g++) {
                __m512i ta = _mm512_loadu_si512(t->sgroup_tab[g]);
                __m512i tb = _mm512_loadu_si512(t->sgroup_tab[g] + 64);
                sacc[g] = _mm512_or_si512(sacc[g], SINGLES64(g, ta, tb));
            }
        }
        /* A literal may go on past the chunk: the next 16 bytes of text,
         * if any (p is past len after a short last block). */
        size_t more = p >= len ? 0 : len - p < 16 ? len - p : 16;
        __m512i next = _mm512_maskz_loadu_epi8((1ull << more) - 1, u + p);
        _mm_storeu_si128((__m128i *)(text + 8 + 64 * nb), _mm512_castsi512_si128(next));
        for (size_t j = 0; j < nb; j++) {
            for (uint64_t w = where[j]; w != 0; w &= w - 1) {
                size_t i = (size_t)__builtin_ctzll(w), at = 64 * j + i;
                for (unsigned bits = cand[j][0][i] | (unsigned)cand[j][1][i] << 8; bits != 0;
                     bits &= bits - 1)
                    verify64(t, nw, text + 8 + at - 7, base + at, len,
                             (unsigned)__builtin_ctz(bits), &acc, set);
            }
        }
        if (p < len) { /* another chunk: carry 8 bytes, drop the buckets done */
            memcpy(text, text + 64 * PF_CHUNK, 8);
            set[0] |= acc;
            for (unsigned q = live; q != 0; q &= q - 1) {
                unsigned b = (unsigned)__builtin_ctz(q);
                if (covers(set, &t->bucket_set[b * nw], nw))
                    live &= ~(1u << b);
            }
            KEEP_LIVE(live);
        }
    }
    set[0] |= acc;
    sacc[0] = sacc0;
    for (size_t g = 0; g < ng; g++) {
        uint64_t x = (uint64_t)_mm512_reduce_or_epi64(sacc[g]);
        x |= x >> 32;
        x |= x >> 16;
        x |= x >> 8;
        for (unsigned j = (unsigned)x & 0xff; j != 0; j &= j - 1)
            add_set(set, &t->sets[t->single_set[t->sgroup_lit[g][__builtin_ctz(j)]]], nw);
    }
    verify_end(m, u, len, live, set);
}

static bool impl_ok(pf_impl impl)
{
    if (impl == PF_IMPL_AVX512)
        return cpu_has(CPU_AVX512BW | CPU_AVX512VBMI);
    if (impl == PF_IMPL_AVX2)
        return cpu_has(CPU_AVX2);
    if (impl == PF_IMPL_SSSE3)
        return cpu_has(CPU_SSSE3);
    return false;
}

#else /* !PF_X86 */

static void teddy_free(pf_teddy *t)
{
    (void)t;
}

#endif /* PF_X86 */

/* ---- the interface -------------------------------------------------------- */

void pf_free(pf_matcher *m)
{
    if (m == NULL)
        return;
    free(m->delta);
    free(m->out);
    free(m->has_out);
    free(m->always);
    teddy_free(m->teddy);
    free(m);
}

pf_matcher *pf_build(const pf_literals *rules, size_t n)
{
    return pf_build_with(rules, n, PF_IMPL_AUTO);
}

pf_matcher *pf_build_with(const pf_literals *rules, size_t n, pf_impl want)
{
    pf_matcher *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    m->nwords = pf_words(n ? n : 1);
    m->always = calloc(m->nwords, sizeof *m->always);
    if (m->always == NULL)
        goto nomem;
    for (size_t k = 0; k < n; k++) {
        bool always = rules[k].n == 0;
        for (size_t j = 0; j < rules[k].n; j++)
            always = always || lit_len(&rules[k], j) == 0;
        if (always)
            set_bit(m->always, k);
    }

    bool automatic = want == PF_IMPL_AUTO;
#ifdef PF_X86
    if (automatic)
        want = impl_ok(PF_IMPL_AVX512) ? PF_IMPL_AVX512
               : impl_ok(PF_IMPL_AVX2) ? PF_IMPL_AVX2
                                       : PF_IMPL_SSSE3;
    if (want != PF_IMPL_AC && impl_ok(want)) {
        int rc = teddy_build(m, rules, n, &m->teddy);
        if (rc < 0)
            goto nomem;
        if (rc > 0 && (!automatic || m->teddy->cost <= PF_MAX_COST)) {
            m->impl = want;
            return m;
        }
        teddy_free(m->teddy);
        m->teddy = NULL;
    }
#else
    (void)automatic;
#endif
    m->impl = PF_IMPL_AC;
    if (!ac_build(m, rules, n))
        goto nomem;
    return m;
nomem:
    pf_free(m);
    return NULL;
}

pf_impl pf_matcher_impl(const pf_matcher *m)
{
    return m->impl;
}

void pf_scan(const pf_matcher *m, const char *text, size_t len, uint64_t *set)
{
    for (size_t w = 0; w < m->nwords; w++) /* usually one word: no memcpy call */
        set[w] = m->always[w];
    const uint8_t *u = (const uint8_t *)text;
#ifdef PF_X86
    if (m->impl == PF_IMPL_AVX512) {
        teddy_scan64(m, u, len, set);
        return;
    }
    if (m->impl == PF_IMPL_AVX2) {
        teddy_scan32(m, u, len, set);
        return;
    }
    if (m->impl == PF_IMPL_SSSE3) {
        teddy_scan16(m, u, len, set);
        return;
    }
#endif
    ac_scan(m, u, len, set);
}
