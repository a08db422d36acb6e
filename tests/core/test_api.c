/* test_api.c -- Criterion tests for the parts of src/logscrub.h that exist
 * for applications linking the library: ls_strerror, counters read one by
 * one (ls_worker_counter), a pseudonym key given from memory
 * (ls_policy_set_key) and worker creation that leaves a const policy
 * untouched.
 *
 * The key tests know their answers two ways: a key file holding the same 32
 * bytes gives the same pseudonyms (the file path is what the CLI uses), and
 * the token is recomputed here with libsodium from its definition in
 * key/pseudonym.h (first 8 bytes of the 16-byte keyed BLAKE2b, in hex).
 */
#include <criterion/criterion.h>

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/policy.h"
#include "logscrub.h"
#include "../testutil.h"

#define LIT(s) s, (sizeof(s) - 1)

/* A fixed test key, and what it gives for the line below under the policy
 * below (taken from a key file with these bytes, through the CLI). */
static const unsigned char key_a[LS_KEY_BYTES] = {
    0x17, 0x73, 0x41, 0x8d, 0x70, 0x49, 0xb5, 0x91, 0x8a, 0x5e, 0x5e, 0x95, 0xb1, 0x62, 0x7a, 0x9a,
    0x25, 0x8c, 0x2f, 0xb5, 0xe5, 0xe0, 0xcb, 0xdf, 0x76, 0x1d, 0xbe, 0x20, 0xf0, 0x55, 0xa5, 0x16,
};
static const char key_a_hex[] = "1773418d7049b5918a5e5e95b1627a9a258c2fb5e5e0cbdf761dbe20f055a516";
static const char line[] = "user=alice from 203.0.113.195 x";
static const char line_key_a[] = "user=user:10f93d224b6e49db from 203.0.113.72 x";

/* Pseudonyms for addresses and for one rule; no key file. */
static const char pseudo_policy[] =
    "version: 1\n"
    "ip:\n  method: pseudonym\n"
    "rules:\n  custom:\n"
    "    - {name: user, pattern: 'user=(?<v>\\w+)', action: pseudonym}\n";

/* Scrubs `in` with a fresh worker of p and asserts LS_OK and output exp. */
static void expect_scrub(const ls_policy *p, const char *in, const char *exp)
{
    ls_worker *w = ls_worker_new(p);
    cr_assert_not_null(w);
    const char *out;
    size_t len;
    cr_assert_eq(ls_scrub(w, in, strlen(in), &out, &len), LS_OK);
    cr_expect(len == strlen(exp) && memcmp(out, exp, len) == 0, "expected \"%s\", got \"%s\"",
              exp, esc(out, len));
    ls_worker_free(w);
}

/* A policy loaded from yaml after key[0, LS_KEY_BYTES) was set. */
static ls_policy *keyed_policy(const unsigned char *key, const char *yaml)
{
    ls_policy *p = ls_policy_new();
    cr_assert_not_null(p);
    cr_assert_eq(ls_policy_set_key(p, key, LS_KEY_BYTES), LS_OK);
    cr_assert_eq(ls_policy_load_buffer(p, "test.yaml", yaml, strlen(yaml)), LS_OK, "%s",
                 ls_policy_error(p));
    return p;
}

/* ---------------------------------------------------------------------
 * ls_strerror
 * ------------------------------------------------------------------- */

Test(strerror, every_status_has_its_text)
{
    cr_expect_str_eq(ls_strerror(LS_OK), "success");
    cr_expect_str_eq(ls_strerror(LS_DROPPED), "line dropped by a drop-line rule");
    cr_expect_str_eq(ls_strerror(LS_ERR_NOMEM), "out of memory");
    cr_expect_str_eq(ls_strerror(LS_ERR_INVALID), "invalid argument");
    cr_expect_str_eq(ls_strerror(LS_ERR_FROZEN), "policy in use by a worker, no longer changeable");
    cr_expect_str_eq(ls_strerror(LS_ERR_CONFIG), "invalid policy");
    cr_expect_str_eq(ls_strerror(LS_ERR_KEY), "pseudonym key unusable");
}

Test(strerror, unknown_status_is_named_so)
{
    cr_expect_str_eq(ls_strerror((ls_status)99), "unknown status");
    cr_expect_str_eq(ls_strerror((ls_status)-1), "unknown status");
}

/* Static strings: the same pointer every time, whatever happens between. */
Test(strerror, strings_are_static)
{
    const char *a = ls_strerror(LS_ERR_CONFIG);
    ls_policy *p = ls_policy_new();
    cr_assert_eq(ls_policy_load_buffer(p, "bad.yaml", LIT("version: 2\n")), LS_ERR_CONFIG);
    ls_policy_free(p);
    cr_expect_eq(ls_strerror(LS_ERR_CONFIG), a);
}

/* ---------------------------------------------------------------------
 * ls_worker_counter
 * ------------------------------------------------------------------- */

/* Each counter moved once or twice, by known lines; every id reads what
 * ls_worker_counters copies. */
Test(counter, each_id_reads_its_counter)
{
    static const char yaml[] = "version: 1\n"
                               "rules:\n  custom:\n"
                               "    - {name: hc, pattern: 'healthcheck', action: drop-line}\n";
    ls_policy *p = ls_policy_new();
    cr_assert_eq(ls_policy_load_buffer(p, "c.yaml", LIT(yaml)), LS_OK, "%s", ls_policy_error(p));
    ls_worker *w = ls_worker_new(p);
    const char *out;
    size_t len;
    cr_assert_eq(ls_scrub(w, LIT("a 203.0.113.9 b 2001:db8:1:2::3 c 198.51.100.7"), &out, &len),
                 LS_OK);
    cr_assert_eq(ls_scrub(w, LIT("GET /healthcheck"), &out, &len), LS_DROPPED);
    ls_worker_count_fail_closed(w);

    cr_expect_eq(ls_worker_counter(w, LS_COUNT_LINES), 2);
    cr_expect_eq(ls_worker_counter(w, LS_COUNT_DROPPED), 1);
    cr_expect_eq(ls_worker_counter(w, LS_COUNT_IPV4), 2);
    cr_expect_eq(ls_worker_counter(w, LS_COUNT_IPV6), 1);
    cr_expect_eq(ls_worker_counter(w, LS_COUNT_KEPT), 0);
    cr_expect_eq(ls_worker_counter(w, LS_COUNT_FAIL_CLOSED), 1);

    ls_counters c;
    ls_worker_counters(w, &c);
    cr_expect_eq(c.lines, ls_worker_counter(w, LS_COUNT_LINES));
    cr_expect_eq(c.dropped, ls_worker_counter(w, LS_COUNT_DROPPED));
    cr_expect_eq(c.ipv4, ls_worker_counter(w, LS_COUNT_IPV4));
    cr_expect_eq(c.ipv6, ls_worker_counter(w, LS_COUNT_IPV6));
    cr_expect_eq(c.kept, ls_worker_counter(w, LS_COUNT_KEPT));
    cr_expect_eq(c.fail_closed, ls_worker_counter(w, LS_COUNT_FAIL_CLOSED));
    ls_worker_free(w);
    ls_policy_free(p);
}

/* keep_private leaves documentation and private addresses: counted kept. */
Test(counter, kept_counts_what_keep_private_left)
{
    ls_policy *p = ls_policy_new();
    cr_assert_eq(ls_policy_set_keep_private(p, true), LS_OK);
    ls_worker *w = ls_worker_new(p);
    const char *out;
    size_t len;
    cr_assert_eq(ls_scrub(w, LIT("from 10.1.2.3 and 2001:db8::1"), &out, &len), LS_OK);
    cr_expect_eq(ls_worker_counter(w, LS_COUNT_KEPT), 2);
    cr_expect_eq(ls_worker_counter(w, LS_COUNT_IPV4), 0);
    cr_expect_eq(ls_worker_counter(w, LS_COUNT_IPV6), 0);
    ls_counters c;
    ls_worker_counters(w, &c);
    cr_expect_eq(c.kept, 2);
    ls_worker_free(w);
    ls_policy_free(p);
}

/* A line that is not in the declared format is scrubbed as text and
 * counted unparsed: a counter ls_counters (frozen at six) does not have. */
Test(counter, unparsed_counts_lines_not_in_the_declared_format)
{
    ls_policy *p = ls_policy_new();
    cr_assert_eq(ls_policy_load_default(p), LS_OK, "%s", ls_policy_error(p));
    cr_assert_eq(ls_policy_set_format(p, "nginx"), LS_OK);
    ls_worker *w = ls_worker_new(p);
    const char *out;
    size_t len;
    cr_assert_eq(ls_scrub(w, LIT("not an access log line from 203.0.113.9"), &out, &len), LS_OK);
    cr_expect(len == 39 && memcmp(out, "not an access log line from 203.0.113.0", len) == 0,
              "output \"%s\"", esc(out, len));
    cr_expect_eq(ls_worker_counter(w, LS_COUNT_UNPARSED), 1);
    cr_expect_eq(ls_worker_counter(w, LS_COUNT_IPV4), 1);
    cr_expect_eq(ls_worker_counter(w, LS_COUNT_LINES), 1);
    ls_worker_free(w);
    ls_policy_free(p);
}

/* An id from a newer header reads 0 rather than something else's count. */
Test(counter, unknown_id_reads_zero)
{
    ls_policy *p = ls_policy_new();
    ls_worker *w = ls_worker_new(p);
    const char *out;
    size_t len;
    cr_assert_eq(ls_scrub(w, LIT("x 203.0.113.9"), &out, &len), LS_OK);
    cr_expect_eq(ls_worker_counter(w, (ls_counter_id)7), 0);
    cr_expect_eq(ls_worker_counter(w, (ls_counter_id)1000), 0);
    cr_expect_eq(ls_worker_counter(w, LS_COUNT_LINES), 1);
    ls_worker_free(w);
    ls_policy_free(p);
}

/* ls_scrub_lines moves the counters as its lines would one by one. */
Test(counter, block_counts_like_lines)
{
    ls_policy *p = ls_policy_new();
    ls_worker *w = ls_worker_new(p);
    const char *out;
    size_t len;
    cr_assert_eq(ls_scrub_lines(w, LIT("a 203.0.113.9\nb\nc 2001:db8::1\n"), &out, &len), LS_OK);
    cr_expect_eq(ls_worker_counter(w, LS_COUNT_LINES), 3);
    cr_expect_eq(ls_worker_counter(w, LS_COUNT_IPV4), 1);
    cr_expect_eq(ls_worker_counter(w, LS_COUNT_IPV6), 1);
    ls_worker_free(w);
    ls_policy_free(p);
}

/* ---------------------------------------------------------------------
 * ls_policy_set_key
 * ------------------------------------------------------------------- */

/* The same bytes in a key file and from memory give the same pseudonyms. */
Test(set_key, memory_key_gives_the_key_files_pseudonyms)
{
    char dir[] = "/tmp/ls-test-api-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[64], yaml[512];
    snprintf(path, sizeof path, "%s/key", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    /* A key for 24 h periods, for the period of "now" below. */
    uint64_t now = 1796515200; /* 2026-12-06 00:00 UTC */
    fprintf(f, "logscrub-key 1 86400 %llu %s\n", (unsigned long long)(now / 86400), key_a_hex);
    fclose(f);
    chmod(path, 0600);
    snprintf(yaml, sizeof yaml, "%spseudonym:\n  key_file: '%s'\n", pseudo_policy, path);

    ls_policy *file = ls_policy_new();
    cr_assert_eq(ls_policy_load_buffer(file, "file.yaml", yaml, strlen(yaml)), LS_OK, "%s",
                 ls_policy_error(file));
    cr_assert_eq(ls_policy_open_key(file, now), LS_OK, "%s", ls_policy_error(file));
    expect_scrub(file, line, line_key_a);

    ls_policy *mem = keyed_policy(key_a, pseudo_policy);
    expect_scrub(mem, line, line_key_a);

    ls_policy_free(file);
    ls_policy_free(mem);
    unlink(path);
    rmdir(dir);
}

/* The token is keyed BLAKE2b of the value, as key/pseudonym.h defines it. */
Test(set_key, token_is_keyed_blake2b_of_the_value)
{
    unsigned char h[crypto_generichash_BYTES_MIN];
    cr_assert_eq(sodium_init() < 0, 0);
    crypto_generichash(h, sizeof h, (const unsigned char *)"alice", 5, key_a, sizeof key_a);
    char exp[64] = "user=user:";
    for (size_t i = 0; i < 8; i++)
        snprintf(exp + 10 + 2 * i, 3, "%02x", h[i]);
    cr_assert_eq(strncmp(exp, line_key_a, 26), 0, "token %s", exp);

    ls_policy *p = keyed_policy(key_a, pseudo_policy);
    expect_scrub(p, "user=alice", exp);
    ls_policy_free(p);
}

/* Without a key from memory, the policy above is refused as before. */
Test(set_key, without_it_a_pseudonym_policy_needs_a_key_file)
{
    ls_policy *p = ls_policy_new();
    cr_expect_eq(ls_policy_load_buffer(p, "t.yaml", LIT(pseudo_policy)), LS_ERR_CONFIG);
    cr_expect_str_eq(ls_policy_error(p), "t.yaml:3:3: ip.method pseudonym needs pseudonym.key_file");
    ls_policy_free(p);
}

Test(set_key, refuses_wrong_length_and_null)
{
    ls_policy *p = ls_policy_new();
    cr_expect_eq(ls_policy_set_key(p, key_a, LS_KEY_BYTES - 1), LS_ERR_INVALID);
    cr_expect_eq(ls_policy_set_key(p, key_a, LS_KEY_BYTES + 1), LS_ERR_INVALID);
    cr_expect_eq(ls_policy_set_key(p, key_a, 0), LS_ERR_INVALID);
    cr_expect_eq(ls_policy_set_key(p, NULL, LS_KEY_BYTES), LS_ERR_INVALID);
    /* Nothing was set: the pseudonym policy is still refused. */
    cr_expect_eq(ls_policy_load_buffer(p, "t.yaml", LIT(pseudo_policy)), LS_ERR_CONFIG);
    ls_policy_free(p);
}

/* The bytes are copied: wiping the caller's copy changes nothing. */
Test(set_key, caller_may_wipe_its_copy)
{
    unsigned char k[LS_KEY_BYTES];
    memcpy(k, key_a, sizeof k);
    ls_policy *p = keyed_policy(k, pseudo_policy);
    sodium_memzero(k, sizeof k);
    expect_scrub(p, line, line_key_a);
    ls_policy_free(p);
}

/* The application rotates: never due, ls_policy_open_key leaves the key
 * (and the key file) alone, and a second ls_policy_set_key, with a worker
 * in existence, changes the pseudonyms. */
Test(set_key, application_rotates_it)
{
    char dir[] = "/tmp/ls-test-api-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[64], yaml[512];
    snprintf(path, sizeof path, "%s/key", dir);
    snprintf(yaml, sizeof yaml, "%spseudonym:\n  key_file: '%s'\n", pseudo_policy, path);
    ls_policy *p = keyed_policy(key_a, yaml);

    cr_expect_not(ls_policy_key_due(p, 0));
    cr_expect_not(ls_policy_key_due(p, 1796515200));
    cr_expect_not(ls_policy_key_due(p, UINT64_MAX));
    cr_expect_eq(ls_policy_open_key(p, 1796515200), LS_OK);
    cr_expect_eq(access(path, F_OK), -1, "ls_policy_open_key wrote %s", path);
    expect_scrub(p, line, line_key_a);

    ls_worker *w = ls_worker_new(p);
    const char *out;
    size_t len;
    unsigned char key_b[LS_KEY_BYTES];
    memcpy(key_b, key_a, sizeof key_b);
    key_b[0] ^= 1;
    cr_assert_eq(ls_policy_set_key(p, key_b, sizeof key_b), LS_OK);
    cr_assert_eq(ls_scrub(w, LIT(line), &out, &len), LS_OK);
    char rotated[128];
    cr_assert_lt(len, sizeof rotated);
    memcpy(rotated, out, len);
    rotated[len] = '\0';
    cr_expect_str_neq(rotated, line_key_a);
    ls_worker_free(w);

    /* Rotated is what a policy with the new key gives from the start. */
    ls_policy *q = keyed_policy(key_b, pseudo_policy);
    expect_scrub(q, line, rotated);
    ls_policy_free(q);
    ls_policy_free(p);
    rmdir(dir);
}

/* A policy that needs no key scrubs as before with one set. */
Test(set_key, unused_by_a_policy_without_pseudonyms)
{
    ls_policy *p = ls_policy_new();
    cr_assert_eq(ls_policy_set_key(p, key_a, sizeof key_a), LS_OK);
    cr_expect_not(ls_policy_needs_key(p));
    expect_scrub(p, line, "user=alice from 203.0.113.0 x");
    ls_policy_free(p);
}

/* ---------------------------------------------------------------------
 * ls_worker_new(const ls_policy *)
 * ------------------------------------------------------------------- */

/* A policy copied into a read-only page still makes workers that scrub:
 * neither ls_worker_new, ls_scrub nor ls_worker_free writes to it (a write
 * would be a SIGSEGV here).  The copy shares the original's worker count,
 * so the original is frozen while the copy's worker exists. */
Test(const_policy, workers_of_a_read_only_policy)
{
    ls_policy *p = ls_policy_new();
    cr_assert_eq(ls_policy_load_default(p), LS_OK, "%s", ls_policy_error(p));
    long page = sysconf(_SC_PAGESIZE);
    size_t size = (sizeof *p + (size_t)page - 1) / (size_t)page * (size_t)page;
    void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(mem, MAP_FAILED);
    memcpy(mem, p, sizeof *p);
    cr_assert_eq(mprotect(mem, size, PROT_READ), 0);
    const ls_policy *ro = mem;

    expect_scrub(ro, "client 203.0.113.195 mail jane.doe@example.com",
                 "client 203.0.113.0 mail [email]");
    ls_worker *w = ls_worker_new(ro);
    cr_assert_not_null(w);
    cr_expect_eq(ls_policy_set_prefixes(p, 16, 32), LS_ERR_FROZEN);
    ls_worker_free(w);
    cr_expect_eq(ls_policy_set_prefixes(p, 16, 32), LS_OK);

    munmap(mem, size);
    ls_policy_free(p);
}

/* Through const, the settings read back as they were set. */
Test(const_policy, settings_unchanged_by_workers)
{
    ls_policy *p = ls_policy_new();
    cr_assert_eq(ls_policy_set_prefixes(p, 16, 32), LS_OK);
    cr_assert_eq(ls_policy_set_format(p, "nginx"), LS_OK);
    const ls_policy *cp = p;
    ls_worker *a = ls_worker_new(cp), *b = ls_worker_new(cp);
    cr_expect_eq(ls_policy_ipv4_prefix(cp), 16);
    cr_expect_eq(ls_policy_ipv6_prefix(cp), 32);
    cr_expect_str_eq(ls_policy_format(cp), "nginx");
    cr_expect_eq(ls_policy_set_keep_private(p, true), LS_ERR_FROZEN);
    ls_worker_free(a);
    cr_expect_eq(ls_policy_set_keep_private(p, true), LS_ERR_FROZEN);
    ls_worker_free(b);
    cr_expect_eq(ls_policy_set_keep_private(p, true), LS_OK);
    ls_policy_free(p);
}
