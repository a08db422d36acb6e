/* fuzz_policy.c -- libFuzzer target for the policy loader (src/policy.c:
 * libyaml, the schema checks, rule compilation) and for whatever policy it
 * accepts (src/rules.c, prefilter.c, validate.c).
 *
 * The input is a policy file, loaded with ls_policy_load_buffer under the
 * name "fuzz.yaml".  Checks:
 *
 * - the result is LS_OK, LS_ERR_CONFIG or LS_ERR_NOMEM;
 * - LS_OK leaves ls_policy_error() empty; a failure leaves a message of the
 *   form "FILE:LINE:COL: what" (LINE and COL from 1, within the file's
 *   size), where FILE is "fuzz.yaml" or the path of a built-in rule pack;
 *   running out of memory says "fuzz.yaml: out of memory";
 * - loading is deterministic: a second policy loaded from the same bytes has
 *   the same status, message and rules;
 * - a policy loads once: a second ls_policy_load_buffer is LS_ERR_INVALID;
 * - an accepted policy has prefixes in range and rules with unique names made
 *   of [a-z0-9-]; ls_policy_check_examples reports exactly the examples it
 *   counts as failed, with messages that name the file and the rule;
 * - workers scrub a few fixed lines and the input's first lines with status
 *   LS_OK, LS_DROPPED or LS_ERR_NOMEM and a non-NULL output (the policy has
 *   no key: pseudonyms fail closed, which is fine); after
 *   ls_policy_drop_rules a policy scrubs addresses only, and setters on a
 *   policy in use answer LS_ERR_FROZEN;
 * - nothing leaks (LeakSanitizer, valgrind).
 *
 * Hermetic: a rules.use entry holding '/' names a file to read.  Such
 * inputs are skipped (found with libyaml, the loader's own parser, before
 * loading), so the fuzzer never opens files such as /dev/stdin.  Only the
 * built-in packs are reachable.  The key file is never opened
 * (ls_policy_open_key is not called).
 *
 * Built with clang -fsanitize=fuzzer (see fuzz/README.md) and linked with
 * fuzz/replay.c as fuzz_policy_replay, which `make check` runs over
 * fuzz/corpus/policy.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/embedded.h"
#include "logscrub.h"
#include "core/policy.h"

#define FUZZ_NAME "fuzz_policy"
#include "fuzz.h"



#define NAME "fuzz.yaml"

/* True when some "use" key anywhere maps to a list holding a scalar with a
 * '/': the loader would read that path from disk. */
static bool names_a_file(const uint8_t *data, size_t size)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    bool found = false;

    if (memchr(data, '/', size) == NULL)
        return false;
    if (!yaml_parser_initialize(&parser))
        return true; /* no memory: skip rather than guess */
    yaml_parser_set_input_string(&parser, data, size);
    if (!yaml_parser_load(&parser, &doc)) {
        yaml_parser_delete(&parser);
        return false; /* the loader fails on the same YAML error */
    }
    for (yaml_node_t *n = doc.nodes.start; n < doc.nodes.top && !found; n++) {
        if (n->type != YAML_MAPPING_NODE)
            continue;
        for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
             pr < n->data.mapping.pairs.top && !found; pr++) {
            yaml_node_t *k = yaml_document_get_node(&doc, pr->key);
            yaml_node_t *v = yaml_document_get_node(&doc, pr->value);
            if (!k || !v || k->type != YAML_SCALAR_NODE || k->data.scalar.length != 3 ||
                memcmp(k->data.scalar.value, "use", 3) != 0 || v->type != YAML_SEQUENCE_NODE)
                continue;
            for (yaml_node_item_t *it = v->data.sequence.items.start;
                 it < v->data.sequence.items.top; it++) {
                yaml_node_t *e = yaml_document_get_node(&doc, *it);
                if (e && e->type == YAML_SCALAR_NODE &&
                    memchr(e->data.scalar.value, '/', e->data.scalar.length))
                    found = true;
            }
        }
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return found;
}

/* Parses an unsigned decimal at *s, advancing past it; 0 when there is none. */
static unsigned long number(const char **s)
{
    unsigned long v = 0;
    const char *p = *s;
    while (*p >= '0' && *p <= '9' && v < 1000000000ul)
        v = v * 10 + (unsigned long)(*p++ - '0');
    if (p == *s)
        return 0;
    *s = p;
    return v;
}

/* Length of the file whose name opens msg followed by ':', or 0. */
static size_t file_of(const char *msg, size_t *file_len)
{
    size_t n = strlen(NAME);
    if (strncmp(msg, NAME ":", n + 1) == 0) {
        *file_len = n;
        return 0; /* the caller knows the input's size */
    }
    for (const embedded_file *e = embedded_files; e->name; e++) {
        n = strlen(e->path);
        if (strncmp(msg, e->path, n) == 0 && msg[n] == ':') {
            CHECK(strcmp(e->kind, "pack") == 0); /* only packs are loaded by name */
            *file_len = n;
            return e->len;
        }
    }
    return 0;
}

/* "FILE:LINE:COL: what", with the position inside the file. */
static void check_message(const char *msg, size_t input_size)
{
    size_t flen = 0, fsize;
    const char *p;
    unsigned long line, col;

    CHECK(msg != NULL && msg[0] != '\0');
    CHECK(strlen(msg) < 512);
    fsize = file_of(msg, &flen);
    if (flen == 0) {
        fprintf(stderr, "fuzz_policy: message names no known file: %s\n", msg);
        CHECK(!"message starts with fuzz.yaml or a built-in pack path");
    }
    if (flen == strlen(NAME))
        fsize = input_size;
    p = msg + flen + 1;
    line = number(&p);
    if (*p != ':' || line == 0) {
        fprintf(stderr, "fuzz_policy: bad message: %s\n", msg);
        CHECK(!"message has FILE:LINE:COL:");
    }
    p++;
    col = number(&p);
    if (*p != ':' || p[1] != ' ' || p[2] == '\0' || col == 0) {
        fprintf(stderr, "fuzz_policy: bad message: %s\n", msg);
        CHECK(!"message has FILE:LINE:COL: what");
    }
    if (line > fsize + 1 || col > fsize + 1) {
        fprintf(stderr, "fuzz_policy: position outside the file (%zu bytes): %s\n", fsize, msg);
        CHECK(!"position inside the file");
    }
}

static bool name_ok(const char *s)
{
    if (s == NULL || *s == '\0')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
            return false;
    return true;
}

typedef struct report {
    size_t calls;
} report;

static void on_failed_example(void *arg, const char *message)
{
    report *r = arg;
    size_t flen = 0;
    CHECK(message != NULL && message[0] != '\0');
    (void)file_of(message, &flen);
    CHECK(flen > 0);
    CHECK(strstr(message, ": rule ") != NULL && strstr(message, " example ") != NULL);
    r->calls++;
}

/* Lines with something for most kinds of rule. */
#define L(s) {s, sizeof s - 1}
static const struct {
    const char *s;
    size_t n;
} lines[] = {
    L(""),
    L("GET /index.html HTTP/1.1 from 203.0.113.77 and 2001:db8:1:2:3:4:5:6"),
    L("login ok user=alice.smith@example.com method=password phone=+49 151 23456789"),
    L("card 4111 1111 1111 1111 iban DE89 3704 0044 0532 0130 00 steuer-id 86095742719"),
    L("Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345 cookie: sid=deadbeef; x=1"),
    L("https://bob:pw123@example.org/x?token=s3cr3t&code=abcdef12 aa:bb:cc:dd:ee:ff"),
    L("\x00\xff\r\t x=4.3.2.1.in-addr.arpa %3A%3A1 ::ffff:198.51.100.9 "),
};

/* Scrubs s[0, n) and checks the status and output. */
static void scrub(ls_worker *w, const char *s, size_t n)
{
    const char *out = NULL;
    size_t out_len = 0;
    char *copy = malloc(n ? n : 1);
    CHECK(copy != NULL);
    if (n)
        memcpy(copy, s, n);
    ls_status rc = ls_scrub(w, copy, n, &out, &out_len);
    CHECK(rc == LS_OK || rc == LS_DROPPED || rc == LS_ERR_NOMEM);
    if (rc != LS_DROPPED) {
        CHECK(out != NULL);
        if (out_len > 0) /* touch it all: ASan checks the span */
            CHECK(memchr(out, '\xa5', out_len) != (const void *)1);
    }
    free(copy);
}

static void scrub_all(ls_worker *w, const uint8_t *data, size_t size)
{
    size_t from = 0, count = 0;
    for (size_t k = 0; k < sizeof lines / sizeof *lines; k++)
        scrub(w, lines[k].s, lines[k].n);
    /* The policy text itself, a few lines of it. */
    while (from < size && count++ < 8) {
        const uint8_t *nl = memchr(data + from, '\n', size - from);
        size_t end = nl ? (size_t)(nl - data) : size;
        scrub(w, (const char *)data + from, end - from);
        from = end + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ls_policy *p, *q;
    ls_status rc, rc2;
    size_t n;

    if (size > 16384 || names_a_file(data, size))
        return 0;

    p = ls_policy_new();
    CHECK(p != NULL);
    CHECK(ls_policy_error(p) != NULL && ls_policy_error(p)[0] == '\0');
    rc = ls_policy_load_buffer(p, NAME, (const char *)data, size);
    CHECK(rc == LS_OK || rc == LS_ERR_CONFIG || rc == LS_ERR_NOMEM);
    if (rc == LS_OK) {
        if (ls_policy_error(p)[0] != '\0') {
            fprintf(stderr, "fuzz_policy: LS_OK with a message: %s\n", ls_policy_error(p));
            CHECK(!"LS_OK leaves no message");
        }
    } else if (rc == LS_ERR_NOMEM) {
        CHECK(strcmp(ls_policy_error(p), NAME ": out of memory") == 0);
    } else {
        check_message(ls_policy_error(p), size);
    }

    /* One load per policy. */
    CHECK(ls_policy_load_buffer(p, NAME, (const char *)data, size) == LS_ERR_INVALID);

    /* Deterministic. */
    q = ls_policy_new();
    CHECK(q != NULL);
    rc2 = ls_policy_load_buffer(q, NAME, (const char *)data, size);
    if (rc != LS_ERR_NOMEM && rc2 != LS_ERR_NOMEM) {
        CHECK(rc2 == rc);
        if (strcmp(ls_policy_error(p), ls_policy_error(q)) != 0) {
            fprintf(stderr, "fuzz_policy: messages differ:\n  %s\n  %s\n", ls_policy_error(p),
                    ls_policy_error(q));
            CHECK(!"the same input gives the same message");
        }
    }

    if (rc == LS_OK && rc2 == LS_OK) {
        report rep = {0};
        size_t total = 0, failed, want_total = 0;
        ls_worker *w, *w2;

        n = ls_policy_rule_count(p);
        CHECK(n == ls_policy_rule_count(q));
        CHECK(ls_policy_rule_name(p, n) == NULL);
        CHECK(ls_policy_ipv4_prefix(p) <= 32 && ls_policy_ipv6_prefix(p) <= 128);
        CHECK(ls_policy_ipv4_prefix(p) == ls_policy_ipv4_prefix(q));
        CHECK(ls_policy_ipv6_prefix(p) == ls_policy_ipv6_prefix(q));
        for (size_t k = 0; k < n; k++) {
            const char *name = ls_policy_rule_name(p, k);
            CHECK(name_ok(name));
            CHECK(strcmp(name, ls_policy_rule_name(q, k)) == 0);
            for (size_t j = 0; j < k; j++)
                CHECK(strcmp(name, ls_policy_rule_name(p, j)) != 0);
            want_total += p->rules[k].nexamples;
        }
        CHECK((n == 0) == (p->matcher == NULL));

        failed = ls_policy_check_examples(p, on_failed_example, &rep, &total);
        if (failed != SIZE_MAX) {
            CHECK(total == want_total);
            CHECK(failed <= total);
            CHECK(failed == rep.calls);
        }

        w = ls_worker_new(p);
        w2 = ls_worker_new(p); /* two workers share one policy */
        CHECK(w != NULL && w2 != NULL);
        CHECK(ls_policy_set_prefixes(p, 8, 8) == LS_ERR_FROZEN);
        CHECK(ls_policy_set_keep_private(p, true) == LS_ERR_FROZEN);
        CHECK(ls_policy_drop_rules(p) == LS_ERR_FROZEN);
        CHECK(ls_policy_load_buffer(p, NAME, (const char *)data, size) == LS_ERR_FROZEN);
        scrub_all(w, data, size);
        scrub(w2, lines[2].s, lines[2].n);
        CHECK(ls_worker_rule_hits(w, n) == 0);
        ls_worker_free(w2);
        ls_worker_free(w);

        /* Addresses only after drop_rules. */
        CHECK(ls_policy_drop_rules(q) == LS_OK);
        CHECK(ls_policy_rule_count(q) == 0 && ls_policy_rule_name(q, 0) == NULL);
        w = ls_worker_new(q);
        CHECK(w != NULL);
        scrub_all(w, data, size);
        ls_worker_free(w);
    }
    ls_policy_free(q);
    ls_policy_free(p);
    return 0;
}
