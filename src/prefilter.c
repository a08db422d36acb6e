/* prefilter.c -- the Aho-Corasick automaton over all rules' prefilter
 * literals (see prefilter.h).
 *
 * States are built as a trie, then completed into a DFA by a breadth-first
 * walk (each missing transition takes its failure state's), so scanning is
 * one table load per byte.  Bytes are mapped to a few classes first -- the
 * distinct lower-case bytes of all literals, plus "other" -- which keeps the
 * table small enough to stay in cache.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "prefilter.h"

#include <stdlib.h>
#include <string.h>

struct pf_matcher {
    uint8_t cls[256];    /* byte -> class; 0 is "no literal has this byte" */
    size_t ncls;
    uint32_t *delta;     /* nstates * ncls: next state * ncls, | OUT_FLAG when it has
                          * outputs -- the row offset saves a multiply per byte */
    uint64_t *out;       /* nstates * nwords: rules whose literal ends here */
    bool *has_out;       /* any bit set in out[state] */
    size_t nstates, nwords;
    size_t maxlen;       /* longest literal */
    uint64_t *always;    /* rules without literals: always candidates */
};

#define OUT_FLAG 0x80000000u

/* Only the first PF_PREFIX bytes of a literal go into the automaton: any
 * occurrence of the literal holds its prefix, so the filter stays sound,
 * while the table stays small enough for the cache and the walks' overlap
 * stays short. */
#define PF_PREFIX 8

static size_t lit_len(const rule *r, size_t j)
{
    return r->pf_len[j] < PF_PREFIX ? r->pf_len[j] : PF_PREFIX;
}

static uint8_t fold(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c | 0x20) : c;
}

void pf_free(pf_matcher *m)
{
    if (m == NULL)
        return;
    free(m->delta);
    free(m->out);
    free(m->has_out);
    free(m->always);
    free(m);
}

pf_matcher *pf_build(const rule *rules, size_t n)
{
    pf_matcher *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    m->nwords = pf_words(n ? n : 1);
    m->always = calloc(m->nwords, sizeof *m->always);
    if (m->always == NULL)
        goto nomem;

    /* Classes: every byte a literal uses (case folded) gets its own. */
    size_t states = 1;
    m->ncls = 1;
    for (size_t k = 0; k < n; k++) {
        if (rules[k].npf == 0)
            m->always[k / 64] |= 1ull << (k % 64);
        for (size_t j = 0; j < rules[k].npf; j++) {
            states += lit_len(&rules[k], j);
            if (lit_len(&rules[k], j) > m->maxlen)
                m->maxlen = lit_len(&rules[k], j);
            for (size_t i = 0; i < lit_len(&rules[k], j); i++) {
                uint8_t c = fold((uint8_t)rules[k].pf[j][i]);
                if (m->cls[c] == 0) {
                    m->cls[c] = (uint8_t)m->ncls++;
                    if (m->ncls == 256)
                        goto nomem; /* cannot happen: at most 230 folded bytes */
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
    if (m->delta == NULL || m->out == NULL || m->has_out == NULL || fail == NULL ||
        queue == NULL) {
        free(fail);
        free(queue);
        goto nomem;
    }

    /* The trie.  0 in delta means "no edge yet" (state 0 is never a child). */
    m->nstates = 1;
    for (size_t k = 0; k < n; k++) {
        for (size_t j = 0; j < rules[k].npf; j++) {
            uint32_t s = 0;
            for (size_t i = 0; i < lit_len(&rules[k], j); i++) {
                uint8_t c = m->cls[(uint8_t)rules[k].pf[j][i]];
                uint32_t *t = &m->delta[s * m->ncls + c];
                if (*t == 0)
                    *t = (uint32_t)m->nstates++;
                s = *t;
            }
            m->out[s * m->nwords + k / 64] |= 1ull << (k % 64);
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
    return m;
nomem:
    pf_free(m);
    return NULL;
}

/* Adds the outputs of the state whose row is `row` to set. */
static inline void take(const pf_matcher *m, uint32_t row, uint64_t *set)
{
    size_t state = row / m->ncls;
    for (size_t w = 0; w < m->nwords; w++)
        set[w] |= m->out[state * m->nwords + w];
}

void pf_scan(const pf_matcher *m, const char *text, size_t len, uint64_t *set)
{
    memcpy(set, m->always, m->nwords * sizeof *set);
    const uint8_t *u = (const uint8_t *)text;
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
