/* test_query.c -- finding, decoding and writing back percent-encoded
 * tokens (src/common/query.c): which tokens of a line are decoded, what
 * each reading of '+' gives, the map back to the encoded bytes, and the
 * encoding of rewritten views.  Tables are looped over inside one Test
 * (STYLE.md on Criterion 2.4.1 parameterized tests). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/cpu.h"
#include "common/query.h"
#include "../testutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The tokens qs_next finds in line, written "[token]" (+ for the space
 * reading of '+') and joined by spaces, into out. */
static void tokens_of(const char *line, char *out, size_t cap)
{
    qs_iter it;
    qs_token t;
    size_t o = 0, len = strlen(line), last_end = 0;
    out[0] = '\0';
    qs_iter_init(&it, line, len);
    while (qs_next(&it, &t)) {
        cr_assert(t.start < t.end && t.end <= len && t.start >= last_end, "%s", line);
        last_end = t.end;
        o += (size_t)snprintf(out + o, cap - o, "%s[%.*s]%s", o ? " " : "", (int)(t.end - t.start),
                              line + t.start, t.plus_space ? "+" : "");
        cr_assert_lt(o, cap);
    }
}

Test(query, which_tokens_are_decoded)
{
    static const struct {
        const char *line, *tokens;
    } cases[] = {
        /* A request line: the URL, not the method or the protocol. */
        {"\"GET /s?q=a%20b HTTP/1.1\" 200", "[/s?q=a%20b]"},
        /* Form style: '+' in the query alone is enough. */
        {"GET /s?q=4012+8888+8888+1881 HTTP/1.1", "[/s?q=4012+8888+8888+1881]+"},
        /* A referrer and a JSON string end at their quotes. */
        {"\"-\" \"https://r.example/?q=x%40y\" \"UA\"", "[https://r.example/?q=x%40y]"},
        {"{\"url\":\"/cb?e=x%2540y&n=1\",\"n\":2}", "[/cb?e=x%2540y&n=1]"},
        /* A key=value run without '?' needs an escape; its '+' then
         * counts too. */
        {"msg=card%3A+4012 other=plain+text", "[msg=card%3A+4012]+"},
        /* A token that spells spaces %20 keeps its '+' as written. */
        {"GET /s?q=+41%2022%20730 HTTP/1.1", "[/s?q=+41%2022%20730]"},
        {"GET /s?q=a%2520b+c HTTP/1.1", "[/s?q=a%2520b+c]"},
        /* Several tokens on a line, in order. */
        {"a=%41 b /p?x=1+2 c=%zz d=%4", "[a=%41] [/p?x=1+2]+"},
        /* Not decoded: no escape and no '+' in a query, a path without
         * query or '=', '+' outside a query, a '%' that starts no escape. */
        {"GET /category/sale?page=6&sort=price_asc HTTP/2.0", ""},
        {"GET /files/My%20Doc.pdf HTTP/1.1", ""},
        {"[01/May/2024:12:00:00 +0000] build=1.4.2+4929135724680131", ""},
        {"(compatible; +https://openai.com/gptbot)", ""},
        {"cpu=100% load=50%zz", ""},
        {"/a+b?c", ""},
        {"", ""},
        {"?", ""},
        {"%", ""},
        {"=%41", "[=%41]"},
        {"?+", "[?+]+"},
    };
    for (size_t k = 0; k < N(cases); k++) {
        char got[512];
        tokens_of(cases[k].line, got, sizeof got);
        cr_expect_str_eq(got, cases[k].tokens, "line \"%s\"", cases[k].line);
        /* The gate never says no where qs_next finds a token. */
        if (cases[k].tokens[0] != '\0')
            cr_expect(qs_may_decode(cases[k].line, strlen(cases[k].line)), "%s", cases[k].line);
    }
}

Test(query, gate_at_every_width)
{
    /* Lengths around the vector widths, the hit at every offset: the
     * overlapping last step must see the last byte, the first the first. */
    static const cpu_level levels[] = {CPU_LEVEL_AUTO, CPU_LEVEL_BASELINE};
    char buf[80];
    for (size_t l = 0; l < N(levels); l++) {
        cpu_set_limit(levels[l]);
        for (size_t len = 0; len <= sizeof buf; len++) {
            memset(buf, 'a', sizeof buf);
            cr_expect(!qs_may_decode(buf, len), "len %zu", len);
            for (size_t at = 0; at < len; at++) {
                memset(buf, 'a', sizeof buf);
                buf[at] = '%';
                cr_expect(qs_may_decode(buf, len), "'%%' at %zu of %zu", at, len);
                /* A '?' needs a '%' or '+' after it. */
                buf[at] = '?';
                cr_expect(!qs_may_decode(buf, len), "'?' alone at %zu of %zu", at, len);
                if (at + 1 < len) {
                    buf[len - 1] = '+';
                    cr_expect(qs_may_decode(buf, len), "'?' then '+' at %zu of %zu", at, len);
                }
            }
        }
    }
    cpu_set_limit(CPU_LEVEL_AUTO);
}

/* Decodes tok with `plus` and checks the text and that the map covers the
 * token in order, every decoded byte its own escape. */
static void expect_decoded(const char *tok, qs_plus plus, const char *want)
{
    size_t n = strlen(tok);
    char *dec = malloc(n + 1);
    size_t *map = malloc((n + 1) * sizeof *map);
    size_t d = qs_decode(tok, n, plus, dec, map);
    cr_expect(d == strlen(want) && memcmp(dec, want, d) == 0, "\"%s\" (%s) -> \"%s\", want \"%s\"",
              tok, plus == QS_PLUS_SPACE ? "space" : "literal", esc(dec, d), want);
    cr_expect_eq(map[0], 0);
    cr_expect_eq(map[d], n);
    for (size_t i = 0; i < d; i++)
        cr_expect_lt(map[i], map[i + 1], "\"%s\": map not increasing at %zu", tok, i);
    /* Without a map: the same text. */
    char *dec2 = malloc(n + 1);
    cr_expect_eq(qs_decode(tok, n, plus, dec2, NULL), d);
    cr_expect(memcmp(dec, dec2, d) == 0);
    free(dec);
    free(dec2);
    free(map);
}

Test(query, decoding)
{
    static const struct {
        const char *tok;
        qs_plus plus;
        const char *want;
    } cases[] = {
        {"q=some%20iban:%20DE89", QS_PLUS_LITERAL, "q=some iban: DE89"},
        {"AWSToken%3DAKIA", QS_PLUS_LITERAL, "AWSToken=AKIA"},
        {"%2b41%2022", QS_PLUS_LITERAL, "+41 22"},
        {"%e4%C3%BC", QS_PLUS_LITERAL, "\xe4\xc3\xbc"},
        {"x%0A%0d%09", QS_PLUS_LITERAL, "x\n\r\t"},
        /* Twice encoded, and more, up to QS_MAX_LEVELS more levels. */
        {"info%2540presidio.site", QS_PLUS_LITERAL, "info@presidio.site"},
        {"a%252540b", QS_PLUS_LITERAL, "a@b"},
        {"a%25252540b", QS_PLUS_LITERAL, "a@b"},
        {"a%2525252540b", QS_PLUS_LITERAL, "a%40b"},
        /* "%25" before no hex pair is a '%'; a broken escape is text. */
        {"100%25 %25zz %2 %g1 %", QS_PLUS_LITERAL, "100% %zz %2 %g1 %"},
        /* '+' as written, or read as a form does. */
        {"/p?q=4012+8888+8888+1881", QS_PLUS_LITERAL, "/p?q=4012+8888+8888+1881"},
        {"/p?q=4012+8888+8888+1881", QS_PLUS_SPACE, "/p?q=4012 8888 8888 1881"},
        /* Only in the query part: the path keeps its '+'. */
        {"/a+b/c?d+e", QS_PLUS_SPACE, "/a+b/c?d e"},
        {"k=a+b", QS_PLUS_SPACE, "k=a b"},
        /* The sign of a number stays. */
        {"/p?q=+41+22+730+5989", QS_PLUS_SPACE, "/p?q=+41 22 730 5989"},
        {"/p?q=call++49+151", QS_PLUS_SPACE, "/p?q=call +49 151"},
        {"/p?q=%2B41+22", QS_PLUS_SPACE, "/p?q=+41 22"},
        /* So does a sub-address's '+'. */
        {"/p?e=bob+tag@example.com", QS_PLUS_SPACE, "/p?e=bob+tag@example.com"},
        {"/p?e=bob+tag%40example.com", QS_PLUS_SPACE, "/p?e=bob+tag@example.com"},
        {"/p?e=bob+tag%2540example.com", QS_PLUS_SPACE, "/p?e=bob+tag@example.com"},
        {"/p?e=bob+tag+x@example.com", QS_PLUS_SPACE, "/p?e=bob+tag+x@example.com"},
        {"/p?e=mail+me+at+bob%20x", QS_PLUS_SPACE, "/p?e=mail me at bob x"},
        {"/p?e=a+b=c@d", QS_PLUS_SPACE, "/p?e=a b=c@d"},
        {"/p?q=+", QS_PLUS_SPACE, "/p?q= "},
        {"", QS_PLUS_SPACE, ""},
    };
    for (size_t k = 0; k < N(cases); k++)
        expect_decoded(cases[k].tok, cases[k].plus, cases[k].want);
}

Test(query, nul_bytes_decode_and_stay)
{
    char dec[8];
    size_t map[8];
    size_t d = qs_decode("%00a\0%2500", 10, QS_PLUS_SPACE, dec, map);
    cr_expect(d == 4 && memcmp(dec, "\0a\0\0", 4) == 0, "%s", esc(dec, d));
}

Test(query, map_points_at_each_escape)
{
    /* No '?': the whole token is a key=value run, so its '+' reads as a
     * space (no word after it); the last byte decodes from "%41". */
    size_t map[12];
    char dec[12];
    size_t d = qs_decode("a%2540b+%41", 11, QS_PLUS_SPACE, dec, map);
    cr_assert_eq(d, 5);
    cr_expect(memcmp(dec, "a@b A", 5) == 0, "%s", esc(dec, d));
    static const size_t want[] = {0, 1, 6, 7, 8, 11};
    for (size_t i = 0; i < N(want); i++)
        cr_expect_eq(map[i], want[i], "map[%zu] = %zu", i, map[i]);
}

/* Rewrites: decoded bytes copied back, bytes a rule wrote, both mixed. */
Test(query, encoding_back)
{
    const char *tok = "q=4012+8888%201881";
    size_t n = strlen(tok), map[20];
    char dec[20];
    size_t d = qs_decode(tok, n, QS_PLUS_SPACE, dec, map);
    cr_assert_eq(d, 16);
    cr_assert(memcmp(dec, "q=4012 8888 1881", 16) == 0);

    /* Everything copied: the token itself, escapes and '+' as they were. */
    size_t prov[32];
    for (size_t j = 0; j < d; j++)
        prov[j] = j;
    char out[64];
    cr_expect_eq(qs_encoded_len(map, 0, dec, prov, d), n);
    size_t o = qs_encode(tok, map, 0, dec, prov, d, out);
    cr_expect(o == n && memcmp(out, tok, n) == 0, "%s", esc(out, o));

    /* A keep-last rewrite: the stars are new, the rest copied. */
    const char *v = "q=**** **** 1881";
    for (size_t j = 2; j < 11; j++)
        if (v[j] == '*')
            prov[j] = QS_NEW;
    o = qs_encode(tok, map, 0, v, prov, d, out);
    cr_expect(o == qs_encoded_len(map, 0, v, prov, d));
    cr_expect(o == 18 && memcmp(out, "q=****+****%201881", 18) == 0, "%s", esc(out, o));

    /* A replacement: readable, but what would change the URL is escaped. */
    const char *r = "q=[a b&c+d%e#f\"g\\h<i>j\x01\xff]";
    size_t rl = strlen(r), rp[64];
    rp[0] = 0;
    rp[1] = 1;
    for (size_t j = 2; j < rl; j++)
        rp[j] = QS_NEW;
    const char *want = "q=[a%20b%26c%2Bd%25e%23f%22g%5Ch%3Ci%3Ej%01%FF]";
    cr_expect_eq(qs_encoded_len(map, 0, r, rp, rl), strlen(want));
    o = qs_encode(tok, map, 0, r, rp, rl, out);
    cr_expect(o == strlen(want) && memcmp(out, want, o) == 0, "%s", esc(out, o));

    /* With context before the token: provenance counts from `base`. */
    size_t pb[20];
    for (size_t j = 0; j < d; j++)
        pb[j] = j + 8;
    o = qs_encode(tok, map, 8, dec, pb, d, out);
    cr_expect(o == n && memcmp(out, tok, n) == 0, "%s", esc(out, o));
}
