/* fuzz_scrub.c -- libFuzzer target for ls_scrub with the built-in default
 * policy (the IP engine followed by the shipped rule packs), on the text
 * path: every policy here reads lines as -f text.  The JSON path, which
 * -f auto takes for lines that start with '{', has fuzz_json.c, with the
 * block sweep in -f auto.
 *
 * The input is scrubbed as one line, then split at '\n' and scrubbed line by
 * line.  For every call it checks:
 *
 * - ls_scrub returns LS_OK, LS_DROPPED or LS_ERR_NOMEM, and its output
 *   pointer and length are sane (bounded growth, never NULL);
 * - the output holds no address that ip_scan finds with host bits still set
 *   for the default prefixes (/24, /48): rules run after the IP engine must
 *   not rebuild an address it would have truncated;
 * - scrubbing the output again with an addresses-only policy (ls_policy_new
 *   defaults, no rules) leaves it unchanged: the IP part is idempotent;
 * - scrubbing the same line twice with the same worker, the second time with
 *   an explain callback, gives the same output (scratch reuse), and every
 *   explained span is ordered and names a rule of the policy;
 * - the rule engine's prefilters are sound: rules_apply over the IP engine's
 *   output, then rules_apply_queries (the decoded pass over percent-encoded
 *   query tokens), gives the same result with the Aho-Corasick automaton,
 *   with the per-rule prefilters only, and with every prefilter switched
 *   off (unless one of the runs failed at a match limit);
 * - the worker's counters move by exactly one line per call and one drop per
 *   LS_DROPPED;
 * - ls_scrub_lines over the input as a block of lines (a '\n' added when it
 *   does not end in one) gives byte for byte what ls_scrub gives line by line,
 *   with the same counters and rule hits: with the addresses-only policy and
 *   with keep_private and prefixes off byte boundaries (the one-sweep path,
 *   whose '\n' boundary argument is in src/scrub.c), and with the default
 *   policy (rules: its line-by-line path).
 *
 * Any violation calls abort() after naming the broken invariant on stderr.
 * Built with clang -fsanitize=fuzzer (see fuzz/README.md) and linked with
 * fuzz/replay.c as fuzz_scrub_replay, which `make check` runs over
 * fuzz/corpus/scrub.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ip/ipaddr.h"
#include "logscrub.h"
#include "core/policy.h"
#include "rules/rules.h"

#define FUZZ_NAME "fuzz_scrub"
#include "fuzz.h"



static const char failed_marker[] = "[logscrub: line removed, a rule failed]";

/* Built once, kept for the process (the sanitizers see them as reachable). */
static ls_policy *def_policy;  /* the built-in default policy */
static ls_worker *def_worker;
static ls_policy *ip_policy;   /* ls_policy_new defaults, no rules */
static ls_worker *ip_worker;
static rules_scratch scratch;  /* for the prefilter differential */
static ls_policy *kp_policy;   /* keep_private, /20 and /52, no rules */
/* ls_scrub_lines on the first, ls_scrub line by line on the second, for
 * ip_policy, kp_policy and def_policy in turn. */
static ls_worker *blk_worker[3][2];

static void setup(void)
{
    if (def_policy)
        return;
    def_policy = ls_policy_new();
    CHECK(def_policy != NULL);
    if (ls_policy_load_default(def_policy) != LS_OK) {
        fprintf(stderr, "fuzz_scrub: default policy: %s\n", ls_policy_error(def_policy));
        abort();
    }
    CHECK(ls_policy_rule_count(def_policy) > 0);
    CHECK(ls_policy_set_format(def_policy, "text") == LS_OK);
    CHECK(ls_policy_ipv4_prefix(def_policy) == LS_DEFAULT_IPV4_PREFIX);
    CHECK(ls_policy_ipv6_prefix(def_policy) == LS_DEFAULT_IPV6_PREFIX);
    CHECK(!ls_policy_needs_key(def_policy));
    def_worker = ls_worker_new(def_policy);
    CHECK(def_worker != NULL);
    ip_policy = ls_policy_new();
    CHECK(ip_policy != NULL);
    CHECK(ls_policy_set_format(ip_policy, "text") == LS_OK);
    ip_worker = ls_worker_new(ip_policy);
    CHECK(ip_worker != NULL);
    CHECK(rules_scratch_init(&scratch, def_policy->rules, def_policy->nrules));
    kp_policy = ls_policy_new();
    CHECK(kp_policy != NULL);
    CHECK(ls_policy_set_format(kp_policy, "text") == LS_OK);
    CHECK(ls_policy_set_prefixes(kp_policy, 20, 52) == LS_OK);
    CHECK(ls_policy_set_keep_private(kp_policy, true) == LS_OK);
    const ls_policy *blk_policy[3] = {ip_policy, kp_policy, def_policy};
    for (int k = 0; k < 3; k++)
        for (int j = 0; j < 2; j++)
            CHECK((blk_worker[k][j] = ls_worker_new(blk_policy[k])) != NULL);
}

/* An exact-size copy, so that an over-read of a result is caught. */
static char *dup_exact(const char *s, size_t n)
{
    char *c = malloc(n ? n : 1);
    CHECK(c != NULL);
    if (n)
        memcpy(c, s, n);
    return c;
}

/* No address in s[0, n) keeps host bits beyond /24 or /48.  `what` says
 * whose output s is. */
static void check_no_full_address(const char *s, size_t n, const char *what)
{
    size_t from = 0, count = 0;
    ipmatch m;
    while (ip_scan(s, n, from, &m)) {
        ipaddr t = m.addr;
        CHECK(m.start >= from && m.start < m.end && m.zone_end <= n);
        ip_truncate(&t, LS_DEFAULT_IPV4_PREFIX, LS_DEFAULT_IPV6_PREFIX);
        if (memcmp(t.a, m.addr.a, sizeof t.a) != 0) {
            fprintf(stderr, "fuzz_scrub: %s holds \"%.*s\" at %zu with host bits set\n", what,
                    (int)(m.end - m.start), s + m.start, m.start);
            CHECK(!"scrubbed output holds no untruncated address");
        }
        from = m.end;
        CHECK(count++ <= n);
    }
}

/* The explain callback: spans are ordered and name a rule of the policy. */
static size_t explain_calls;
static void on_explain(void *arg, const char *rule_name, size_t start, size_t end, bool rejected)
{
    const ls_policy *p = arg;
    size_t k, n = ls_policy_rule_count(p);
    (void)rejected;
    CHECK(rule_name != NULL);
    CHECK(start <= end);
    for (k = 0; k < n; k++)
        if (strcmp(ls_policy_rule_name(p, k), rule_name) == 0)
            break;
    CHECK(k < n);
    explain_calls++;
}

/* rules_apply over the IP engine's output, three ways: they must agree. */
static void check_prefilters(const char *ip_text, size_t ip_len, ls_status rc, const char *out,
                             size_t out_len)
{
    const ls_policy *p = def_policy;
    const char *o[3];
    size_t olen[3], bad;
    rules_result r[3];
    char *copy[3];
    int k;

    for (k = 0; k < 3; k++) {
        const struct pf_matcher *pm = k == 0 ? p->matcher : NULL;
        o[k] = ip_text;
        olen[k] = ip_len;
        scratch.no_prefilter = k == 2;
        r[k] = rules_apply(p->rules, p->nrules, pm, &scratch, NULL, ip_text, ip_len, &o[k],
                           &olen[k], &bad, NULL, NULL);
        if (r[k] == RULES_SAME || r[k] == RULES_CHANGED) {
            /* Then the decoded pass over query tokens, as ls_scrub does:
             * its prefilters must be sound on the views too. */
            const char *q;
            size_t qlen;
            rules_result qr = rules_apply_queries(p->rules, p->nrules, pm, &scratch, NULL, o[k],
                                                  olen[k], &q, &qlen, &bad, NULL, NULL);
            CHECK(qr == RULES_SAME || qr == RULES_CHANGED || qr == RULES_DROP ||
                  qr == RULES_FAILED || qr == RULES_NOMEM);
            if (qr == RULES_CHANGED) {
                o[k] = q;
                olen[k] = qlen;
            }
            if (qr != RULES_SAME)
                r[k] = qr;
        }
        scratch.no_prefilter = false;
        CHECK(r[k] == RULES_SAME || r[k] == RULES_CHANGED || r[k] == RULES_DROP ||
              r[k] == RULES_FAILED || r[k] == RULES_NOMEM);
        if (r[k] == RULES_SAME) {
            o[k] = ip_text;
            olen[k] = ip_len;
        }
        /* The scratch buffers are reused by the next run: keep a copy. */
        copy[k] = dup_exact(o[k], r[k] == RULES_DROP ? 0 : olen[k]);
        if (r[k] == RULES_DROP)
            olen[k] = 0;
    }

    /* The automaton run is what ls_scrub did. */
    if (r[0] == RULES_DROP)
        CHECK(rc == LS_DROPPED);
    else if (r[0] == RULES_FAILED)
        CHECK(rc == LS_OK && out_len == sizeof failed_marker - 1 &&
              memcmp(out, failed_marker, out_len) == 0);
    else if (r[0] == RULES_SAME)
        CHECK(rc == LS_OK && out_len == olen[0] && memcmp(out, copy[0], out_len) == 0);
    else if (r[0] == RULES_CHANGED) {
        /* ls_scrub runs the IP engine once more over text the rules
         * changed (a rewrite can expose an address): compare with that. */
        const char *again;
        size_t again_len;
        CHECK(ls_scrub(ip_worker, copy[0], olen[0], &again, &again_len) == LS_OK);
        CHECK(rc == LS_OK && out_len == again_len && memcmp(out, again, out_len) == 0);
    }

    for (k = 1; k < 3; k++) {
        if (r[0] == RULES_FAILED || r[k] == RULES_FAILED || r[0] == RULES_NOMEM ||
            r[k] == RULES_NOMEM)
            continue;
        if ((r[0] == RULES_DROP) != (r[k] == RULES_DROP) || olen[0] != olen[k] ||
            memcmp(copy[0], copy[k], olen[0]) != 0) {
            fprintf(stderr,
                    "fuzz_scrub: prefilters change the result: automaton %d \"%.*s\", %s %d "
                    "\"%.*s\"\n",
                    (int)r[0], (int)olen[0], copy[0],
                    k == 1 ? "per-rule prefilters" : "no prefilters", (int)r[k], (int)olen[k],
                    copy[k]);
            CHECK(!"prefilters are sound");
        }
    }
    for (k = 0; k < 3; k++)
        free(copy[k]);
}

/* Scrubs one line and checks everything about the result. */
static void scrub_line(const char *line, size_t len)
{
    const char *out = NULL, *out2 = NULL, *ip_out = NULL, *again = NULL;
    size_t out_len = 0, out2_len = 0, ip_len = 0, again_len = 0;
    ls_counters before, after;
    ls_status rc, rc2;
    char *res, *ip_text;

    /* The IP engine alone first (fuzz_ipscan's ground), so that its own
     * bugs are told apart from what the rules do to its output. */
    CHECK(ls_scrub(ip_worker, line, len, &ip_out, &ip_len) == LS_OK);
    ip_text = dup_exact(ip_out, ip_len);
    check_no_full_address(ip_text, ip_len, "the IP engine's output");

    ls_worker_counters(def_worker, &before);
    rc = ls_scrub(def_worker, line, len, &out, &out_len);
    CHECK(rc == LS_OK || rc == LS_DROPPED || rc == LS_ERR_NOMEM);
    ls_worker_counters(def_worker, &after);
    CHECK(after.lines == before.lines + 1);
    CHECK(after.dropped == before.dropped + (rc == LS_DROPPED));
    CHECK(after.fail_closed >= before.fail_closed);
    if (rc == LS_ERR_NOMEM) {
        free(ip_text);
        return;
    }
    if (rc == LS_OK) {
        CHECK(out != NULL);
        /* Growth is bounded: an address grows to at most IP_TEXT_MAX_AS
         * bytes, a replacement to a short label. */
        CHECK(out_len <= 64 + 32 * (uint64_t)len);
        res = dup_exact(out, out_len);
        check_no_full_address(res, out_len, "the output after the rules");

        /* Addresses only, again: nothing left to change. */
        CHECK(ls_scrub(ip_worker, res, out_len, &again, &again_len) == LS_OK);
        if (again_len != out_len || memcmp(again, res, out_len) != 0) {
            fprintf(stderr, "fuzz_scrub: IP pass not idempotent: \"%.*s\" -> \"%.*s\"\n",
                    (int)out_len, res, (int)again_len, again);
            CHECK(!"scrubbing the output again changes no address");
        }
    } else {
        res = dup_exact("", 0);
    }

    /* The same line again, explained: the same result. */
    explain_calls = 0;
    ls_worker_set_explain(def_worker, on_explain, def_policy);
    rc2 = ls_scrub(def_worker, line, len, &out2, &out2_len);
    ls_worker_set_explain(def_worker, NULL, NULL);
    CHECK(rc2 == rc);
    if (rc == LS_OK)
        CHECK(out2_len == out_len && memcmp(out2, res, out_len) == 0);

    /* Prefilter soundness, on the text the rules saw. */
    check_prefilters(ip_text, ip_len, rc, res, rc == LS_OK ? out_len : 0);
    free(ip_text);
    free(res);
}

/* ls_scrub_lines on block[0, len) (whole lines) with worker bw equals
 * ls_scrub line by line with lw, output and counters (p: their policy). */
static void check_block(const ls_policy *p, ls_worker *bw, ls_worker *lw, const char *block,
                        size_t len)
{
    const char *out = NULL;
    size_t out_len = 0;
    ls_status rc = ls_scrub_lines(bw, block, len, &out, &out_len);
    CHECK(rc == LS_OK || rc == LS_ERR_NOMEM);
    if (rc == LS_ERR_NOMEM) {
        CHECK(out == NULL && out_len == 0);
        return; /* nothing counted: the two workers are still level */
    }
    CHECK(out != NULL || out_len == 0);
    char *got = dup_exact(out, out_len);

    size_t o = 0;
    bool same = true;
    for (size_t from = 0; from < len;) {
        const char *nl = memchr(block + from, '\n', len - from);
        CHECK(nl != NULL);
        size_t n = (size_t)(nl - (block + from));
        const char *l;
        size_t l_len;
        ls_status st = ls_scrub(lw, block + from, n, &l, &l_len);
        CHECK(st == LS_OK || st == LS_DROPPED || st == LS_ERR_NOMEM);
        if (st != LS_DROPPED) {
            if (o + l_len + 1 > out_len || memcmp(got + o, l, l_len) != 0 ||
                got[o + l_len] != '\n') {
                fprintf(stderr,
                        "fuzz_scrub: ls_scrub_lines differs at line offset %zu: line by line "
                        "\"%.*s\", block \"%.*s\"\n",
                        from, (int)l_len, l,
                        (int)(out_len - o < l_len + 1 ? out_len - o : l_len + 1), got + o);
                same = false;
                break;
            }
            o += l_len + 1;
        }
        from += n + 1;
    }
    CHECK(same && "ls_scrub_lines gives what ls_scrub gives line by line");
    CHECK(o == out_len);
    free(got);

    ls_counters b, l;
    ls_worker_counters(bw, &b);
    ls_worker_counters(lw, &l);
    CHECK(b.lines == l.lines && b.dropped == l.dropped && b.ipv4 == l.ipv4 && b.ipv6 == l.ipv6 &&
          b.kept == l.kept && b.fail_closed == l.fail_closed);
    for (size_t k = 0; k < ls_policy_rule_count(p); k++)
        CHECK(ls_worker_rule_hits(bw, k) == ls_worker_rule_hits(lw, k));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    size_t from = 0;

    if (size > 8192)
        return 0; /* long lines only slow the search down */
    setup();

    /* The whole input as one line (it may hold '\n' and NUL bytes). */
    scrub_line(s, size);

    /* Then line by line, as the CLI would hand it over. */
    if (memchr(s, '\n', size) != NULL) {
        while (from < size) {
            const char *nl = memchr(s + from, '\n', size - from);
            size_t end = nl ? (size_t)(nl - s) : size;
            char *line = dup_exact(s + from, end - from);
            scrub_line(line, end - from);
            free(line);
            from = end + 1;
        }
    }

    /* And as one block of lines, as the CLI hands it over without rules. */
    bool add_nl = size == 0 || s[size - 1] != '\n';
    char *block = malloc(size + add_nl);
    CHECK(block != NULL);
    if (size)
        memcpy(block, s, size);
    if (add_nl)
        block[size] = '\n';
    const ls_policy *blk_policy[3] = {ip_policy, kp_policy, def_policy};
    for (int k = 0; k < 3; k++)
        check_block(blk_policy[k], blk_worker[k][0], blk_worker[k][1], block, size + add_nl);
    free(block);
    return 0;
}
