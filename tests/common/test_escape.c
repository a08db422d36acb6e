/* test_escape.c -- one escape sequence decoded and written back
 * (src/common/escape.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "common/escape.h"

struct dec_case {
    const char *text;
    uint8_t byte, len, kind;
    bool upper;
};

/* Decodes text at offset 0 with every kind allowed. */
static bool dec(const char *text, esc_seq *e)
{
    return esc_decode_at(text, strlen(text), 0, ESC_ALL, e);
}

Test(escape, each_kind_decodes_at_its_start)
{
    static const struct dec_case cases[] = {
        {"%2E", '.', 3, ESC_PCT, true},
        {"%2e0", '.', 3, ESC_PCT, false},
        {"%3a", ':', 3, ESC_PCT, false},
        {"%ff", 0xff, 3, ESC_PCT, false},
        {"\\u002e", '.', 6, ESC_JSON_U, false},
        {"\\u003A", ':', 6, ESC_JSON_U, true},
        {"\\x2e", '.', 4, ESC_BACKSLASH_X, false},
        {"\\.", '.', 2, ESC_BACKSLASH, false},
        {"&#46;", '.', 5, ESC_HTML_DEC, false},
        {"&#x2e;", '.', 6, ESC_HTML_HEX, false},
        {"&#X2E;", '.', 6, ESC_HTML_HEX, true},
        {"&period;", '.', 8, ESC_HTML_NAMED, false},
        {"&colon;", ':', 7, ESC_HTML_NAMED, false},
        {"&commat;", '@', 8, ESC_HTML_NAMED, false},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        esc_seq e;
        cr_assert(dec(cases[k].text, &e), "%s", cases[k].text);
        cr_assert_eq(e.byte, cases[k].byte, "%s", cases[k].text);
        cr_assert_eq(e.len, cases[k].len, "%s", cases[k].text);
        cr_assert_eq(e.kind, cases[k].kind, "%s", cases[k].text);
        cr_assert_eq(e.upper, cases[k].upper, "%s", cases[k].text);
    }
}

Test(escape, near_misses_are_plain_bytes)
{
    static const char *const cases[] = {
        "%2",     "%2g",      "%",        "\\",   "\\u00e9", "\\u012e", "\\u002",
        "\\x8f",  "\\n",      "\\a",      "&#46", "&#;",     "&#x;",    "&#1234;",
        "&#200;", "&periodx", "&Period;", "&",    "&#x2e",
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        esc_seq e;
        cr_assert_not(dec(cases[k], &e), "%s", cases[k]);
        cr_assert_eq(e.len, 1, "%s", cases[k]);
        cr_assert_eq(e.kind, ESC_NONE, "%s", cases[k]);
        cr_assert_eq(e.byte, (uint8_t)cases[k][0], "%s", cases[k]);
    }
}

Test(escape, never_reads_past_len)
{
    /* "%2E" cut to two bytes is no escape, whatever follows in memory. */
    esc_seq e;
    cr_assert_not(esc_decode_at("%2E", 2, 0, ESC_ALL, &e));
    cr_assert_not(esc_decode_at("&#46;", 4, 0, ESC_ALL, &e));
    cr_assert_not(esc_decode_at("\\u002e", 5, 0, ESC_ALL, &e));
}

Test(escape, kinds_mask_selects)
{
    esc_seq e;
    cr_assert_not(esc_decode_at("&#46;", 5, 0, 1u << ESC_PCT, &e));
    cr_assert(esc_decode_at("%2e", 3, 0, 1u << ESC_PCT, &e));
    cr_assert_not(esc_decode_at("\\.", 2, 0, 1u << ESC_JSON_U, &e));
}

Test(escape, encode_round_trips)
{
    static const char *const cases[] = {"%2E",   "%2e",    "\\u002e", "\\u003A",  "\\x2e",  "\\.",
                                        "&#46;", "&#x2e;", "&#X2E;",  "&period;", "&colon;"};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        esc_seq e;
        char out[ESC_MAX_LEN];
        cr_assert(dec(cases[k], &e), "%s", cases[k]);
        size_t n = esc_encode(e.byte, (esc_kind)e.kind, e.upper, out);
        cr_assert(n == strlen(cases[k]) && memcmp(out, cases[k], n) == 0, "%s -> %.*s", cases[k],
                  (int)n, out);
    }
}

Test(escape, encode_fallbacks)
{
    char out[ESC_MAX_LEN];
    size_t n = esc_encode('7', ESC_HTML_NAMED, false, out); /* no name for a digit */
    cr_assert(n == 5 && memcmp(out, "&#55;", 5) == 0);
    n = esc_encode('7', ESC_BACKSLASH, false, out); /* "\7" is not punctuation */
    cr_assert(n == 1 && out[0] == '7');
    n = esc_encode('3', ESC_NONE, false, out);
    cr_assert(n == 1 && out[0] == '3');
}
