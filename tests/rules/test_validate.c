/* test_validate.c -- Criterion tests for src/validate.[ch]: Luhn for card
 * numbers, ISO 13616 IBANs, the German Steuer-ID, the IP validators and the
 * name lookup.
 *
 * Every test walks static tables in its own loop (Criterion 2.4.1's
 * parameterized tests crash on structs holding `const char *` under
 * PIE+ASLR) and names the failing case by table, index and input.
 *
 * Where the fixtures come from:
 *  - cards: the issuers' and payment gateways' published test numbers
 *    (Visa 4111..., Mastercard 5555...4444 and 2-series, Amex 378282...,
 *    Discover 6011..., Diners, JCB, UnionPay, Dankort, Maestro);
 *  - IBANs: the examples printed in the SWIFT IBAN registry;
 *  - derived numbers (Luhn-valid 12/20-digit numbers, IBANs that pass
 *    mod 97 but have the wrong length, unknown country or out-of-range check
 *    digits, Steuer-IDs) were computed with a separate Python script using
 *    the textbook algorithms, and the Steuer-ID ones are re-checked here by
 *    steuer_ref(), an independent model written from the rules' wording.
 */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/cpu.h"
#include "rules/prescan.h"
#include "rules/validate.h"
#include "../testutil.h"

/* ---------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------- */

/* A string literal and its length, NUL bytes inside included. */
#define LIT(s) s, (sizeof(s) - 1)

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* One input: text and length (the length may stop short of the text). */
struct vcase {
    const char *s;
    size_t len;
};


/* Runs fn over every case and expects `want` for each. */
static void expect_all(validator_fn fn, const char *what, const struct vcase *c, size_t n,
                       bool want)
{
    for (size_t i = 0; i < n; i++) {
        bool got = fn(c[i].s, c[i].len);
        cr_expect(got == want, "%s[%zu] \"%s\": expected %s, got %s", what, i,
                  esc(c[i].s, c[i].len), want ? "valid" : "invalid", got ? "valid" : "invalid");
    }
}

#define EXPECT_ALL(fn, table, want) expect_all(fn, #table, table, N_OF(table), want)

/* Copies s[0, n) into buf as digits only (separators dropped); returns the
 * digit count. */
static size_t digits_only(const char *s, size_t n, char *buf)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] >= '0' && s[i] <= '9')
            buf[o++] = s[i];
    return o;
}

/* ---------------------------------------------------------------------
 * Luhn
 * ------------------------------------------------------------------- */

/* Published test PANs, compact. */
static const struct vcase cards_valid[] = {
    /* Visa: 16 digits, 13 digits (the old short form), 19 digits */
    {LIT("4111111111111111")},
    {LIT("4012888888881881")},
    {LIT("4222222222222")},
    {LIT("4242424242424242")},
    {LIT("4000056655665556")},
    {LIT("4000002500003155")},
    {LIT("4917610000000000003")},
    /* Mastercard, 5-series and 2-series */
    {LIT("5555555555554444")},
    {LIT("5105105105105100")},
    {LIT("5200828282828210")},
    {LIT("2223003122003222")},
    {LIT("2221000000000009")},
    /* American Express: 15 digits */
    {LIT("378282246310005")},
    {LIT("371449635398431")},
    {LIT("378734493671000")},
    {LIT("340000000000009")},
    /* Discover */
    {LIT("6011111111111117")},
    {LIT("6011000990139424")},
    {LIT("6011000000000004")},
    {LIT("6011981111111113")},
    /* Diners Club: 14 and 16 digits */
    {LIT("30569309025904")},
    {LIT("38520000023237")},
    {LIT("36227206271667")},
    {LIT("3056930009020004")},
    /* JCB */
    {LIT("3530111333300000")},
    {LIT("3566002020360505")},
    {LIT("3566111111111113")},
    /* UnionPay: 16 and 19 digits */
    {LIT("6200000000000005")},
    {LIT("6205500000000000004")},
    /* Dankort, Maestro */
    {LIT("5019717010103742")},
    {LIT("6759649826438453")},
    {LIT("6304000000000000")},
    /* Luhn-valid at the length limits (not issuer numbers) */
    {LIT("4111111111119")},       /* 13 */
    {LIT("4111111111111111110")}, /* 19 */
};

/* Test PANs written the way people and forms write them. */
static const struct vcase cards_grouped[] = {
    {LIT("4111 1111 1111 1111")},
    {LIT("4111-1111-1111-1111")},
    {LIT("5555 5555 5555 4444")},
    {LIT("5105-1051-0510-5100")},
    {LIT("2223 0031 2200 3222")},
    {LIT("3782 822463 10005")}, /* Amex 4-6-5 */
    {LIT("3714-496353-98431")},
    {LIT("6011 1111 1111 1117")},
    {LIT("3056 930902 5904")}, /* Diners 4-6-4 */
    {LIT("3530 1113 3330 0000")},
    {LIT("6205 5000 0000 0000 004")},
    {LIT("4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1")},
    {LIT("4111-1111 1111-1111")}, /* mixed separators are tolerated */
    {LIT("4222 2222 22222")},
};

/* Numbers that must fail: Luhn, length, separators, fill patterns, junk. */
static const struct vcase cards_invalid[] = {
    /* one digit changed */
    {LIT("4111111111111112")},
    {LIT("4012888888881882")},
    {LIT("5555555555554443")},
    {LIT("378282246310006")},
    {LIT("6011111111111118")},
    {LIT("3530111333300001")},
    {LIT("5111111111111111")},
    /* two adjacent digits transposed */
    {LIT("4012888888818881")},
    {LIT("5555555555545444")},
    {LIT("378282246301005")},
    {LIT("387282246310005")},
    {LIT("6011000990319424")},
    /* Luhn-valid but too short or too long */
    {LIT("411111111117")},             /* 12 */
    {LIT("41111111111111111115")},     /* 20 */
    {LIT("4111 1111 1117")},           /* 12, grouped */
    {LIT("4111 1111 1111 1111 1115")}, /* 20, grouped */
    {LIT("0")},
    {LIT("")},
    /* separators where they do not belong */
    {LIT(" 4111111111111111")},
    {LIT("4111111111111111 ")},
    {LIT("-4111111111111111")},
    {LIT("4111111111111111-")},
    {LIT("4111  1111 1111 1111")},
    {LIT("4111--1111-1111-1111")},
    {LIT("4111 -1111-1111-1111")},
    {LIT("4111.1111.1111.1111")},
    {LIT("4111/1111/1111/1111")},
    {LIT("4111\t1111\t1111\t1111")},
    {LIT("4111_1111_1111_1111")},
    /* other bytes */
    {LIT("411111111111111a")},
    {LIT("4111111111111111\0")},
    {LIT("41111111\0"
         "11111111")},
    {LIT("\xef\xbc\x94"
         "111111111111111")}, /* fullwidth 4 */
    {LIT("+4111111111111111")},
    /* fill patterns that pass Luhn */
    {LIT("0000000000000")},
    {LIT("0000 0000 0000 0000")},
    {LIT("0000000000000000000")},
};

Test(validate, luhn_accepts_published_test_numbers)
{
    EXPECT_ALL(valid_luhn, cards_valid, true);
}

Test(validate, luhn_accepts_single_space_or_dash_between_digits)
{
    EXPECT_ALL(valid_luhn, cards_grouped, true);
}

Test(validate, luhn_rejects_bad_checksums_lengths_separators)
{
    EXPECT_ALL(valid_luhn, cards_invalid, false);
}

/* Luhn catches every single-digit error: change each digit of each test
 * number, grouped forms included, to each other value. */
Test(validate, luhn_rejects_every_single_digit_change)
{
    const struct vcase *tabs[] = {cards_valid, cards_grouped};
    size_t ns[] = {N_OF(cards_valid), N_OF(cards_grouped)};
    for (size_t t = 0; t < 2; t++) {
        for (size_t i = 0; i < ns[t]; i++) {
            char buf[64];
            size_t n = tabs[t][i].len;
            memcpy(buf, tabs[t][i].s, n);
            for (size_t k = 0; k < n; k++) {
                if (buf[k] < '0' || buf[k] > '9')
                    continue;
                char orig = buf[k];
                for (char d = '0'; d <= '9'; d++) {
                    if (d == orig)
                        continue;
                    buf[k] = d;
                    cr_expect(!valid_luhn(buf, n), "\"%s\" (digit %zu of \"%s\" changed)",
                              esc(buf, n), k, esc(tabs[t][i].s, n));
                }
                buf[k] = orig;
            }
        }
    }
}

/* Luhn catches every adjacent transposition except 09 <-> 90. */
Test(validate, luhn_rejects_adjacent_transpositions)
{
    for (size_t i = 0; i < N_OF(cards_valid); i++) {
        char buf[32];
        size_t n = cards_valid[i].len;
        memcpy(buf, cards_valid[i].s, n);
        for (size_t k = 0; k + 1 < n; k++) {
            char a = buf[k], b = buf[k + 1];
            if (a == b || (a == '0' && b == '9') || (a == '9' && b == '0'))
                continue;
            buf[k] = b;
            buf[k + 1] = a;
            cr_expect(!valid_luhn(buf, n), "\"%s\" (digits %zu,%zu of \"%s\" swapped)",
                      esc(buf, n), k, k + 1, cards_valid[i].s);
            buf[k] = a;
            buf[k + 1] = b;
        }
    }
}

Test(validate, luhn_length_limits_are_13_to_19_digits)
{
    /* "4" followed by 11..19 ones and a check digit: lengths 12..20. */
    for (size_t n = 12; n <= 20; n++) {
        char buf[24];
        buf[0] = '4';
        memset(buf + 1, '1', n - 2);
        buf[n - 1] = '0';
        unsigned ok = 0;
        for (char d = '0'; d <= '9'; d++) {
            buf[n - 1] = d;
            ok += valid_luhn(buf, n);
        }
        cr_expect(ok == (n >= 13 && n <= 19 ? 1u : 0u),
                  "length %zu: %u of 10 check digits accepted", n, ok);
    }
}

Test(validate, luhn_rejects_one_digit_repeated_at_every_length)
{
    for (char d = '0'; d <= '9'; d++) {
        for (size_t n = 13; n <= 19; n++) {
            char buf[19];
            memset(buf, d, n);
            cr_expect(!valid_luhn(buf, n), "\"%s\"", esc(buf, n));
        }
    }
}

/* The length is the end: bytes after it are neither read nor needed. */
Test(validate, luhn_reads_only_len_bytes)
{
    static const char text[] = "4111111111111111999 trailing";
    cr_expect(valid_luhn(text, 16));
    cr_expect(!valid_luhn(text, 17));
    cr_expect(!valid_luhn(text, 15));
    cr_expect(!valid_luhn(NULL, 0));
}

/* ---------------------------------------------------------------------
 * IBAN
 * ------------------------------------------------------------------- */

/* The SWIFT registry examples, compact (electronic form). */
static const struct vcase ibans_valid[] = {
    {LIT("DE89370400440532013000")},          /* 22 */
    {LIT("GB29NWBK60161331926819")},          /* 22 */
    {LIT("FR1420041010050500013M02606")},     /* 27, letter inside */
    {LIT("NL91ABNA0417164300")},              /* 18 */
    {LIT("AT611904300234573201")},            /* 20 */
    {LIT("CH9300762011623852957")},           /* 21 */
    {LIT("BE68539007547034")},                /* 16 */
    {LIT("IT60X0542811101000000123456")},     /* 27 */
    {LIT("ES9121000418450200051332")},        /* 24 */
    {LIT("NO9386011117947")},                 /* 15, the shortest */
    {LIT("MT84MALT011000012345MTLCAST001S")}, /* 31 */
    /* check digits at the ends of the 02..98 range */
    {LIT("DE97370400440000000060")},
    {LIT("DE02370400440000000024")},
};

/* Print form (groups of four) and lower or mixed case. */
static const struct vcase ibans_written[] = {
    {LIT("DE89 3704 0044 0532 0130 00")},
    {LIT("GB29 NWBK 6016 1331 9268 19")},
    {LIT("FR14 2004 1010 0505 0001 3M02 606")},
    {LIT("NL91 ABNA 0417 1643 00")},
    {LIT("AT61 1904 3002 3457 3201")},
    {LIT("CH93 0076 2011 6238 5295 7")},
    {LIT("BE68 5390 0754 7034")},
    {LIT("IT60 X054 2811 1010 0000 0123 456")},
    {LIT("ES91 2100 0418 4502 0005 1332")},
    {LIT("NO93 8601 1117 947")},
    {LIT("MT84 MALT 0110 0001 2345 MTLC AST0 01S")},
    {LIT("de89370400440532013000")},
    {LIT("gb29nwbk60161331926819")},
    {LIT("gb29 nwbk 6016 1331 9268 19")},
    {LIT("Gb29NwBk60161331926819")},
    {LIT("mt84malt011000012345mtlcast001s")},
    {LIT("fr1420041010050500013m02606")},
    {LIT("DE 89 370400440532013000")}, /* odd grouping is still one space */
};

static const struct vcase ibans_invalid[] = {
    /* wrong check digits */
    {LIT("DE88370400440532013000")},
    {LIT("DE90370400440532013000")},
    {LIT("GB28NWBK60161331926819")},
    {LIT("FR1520041010050500013M02606")},
    {LIT("NL92ABNA0417164300")},
    {LIT("NO9486011117947")},
    {LIT("MT85MALT011000012345MTLCAST001S")},
    /* one character of the BBAN changed or two swapped */
    {LIT("DE89370400440532013001")},
    {LIT("DE89370400440532031000")},
    {LIT("GB29NWBK60161331926818")},
    {LIT("MT84MALT011000012345MTLCAST001T")},
    {LIT("IT60X0542811101000000123465")},
    /* pass mod 97 but have the wrong length for their country */
    {LIT("DE5137040044053201300")},    /* DE, 21 */
    {LIT("DE9837040044053201300000")}, /* DE, 23 */
    {LIT("NO10860111179471")},         /* NO, 16 */
    {LIT("GB24NWBK6016133192681")},    /* GB, 21 */
    /* pass mod 97 but the country has no IBAN */
    {LIT("US88370400440532013000")},
    {LIT("XX46370400440532013000")},
    /* pass mod 97 but check digits 00 / 99 (aliases of 97 / 02) */
    {LIT("DE00370400440000000060")},
    {LIT("DE99370400440000000024")},
    /* shape */
    {LIT("")},
    {LIT("DE89")},
    {LIT("DE8")},
    {LIT("D E")},
    {LIT("1E89370400440532013000")},
    {LIT("DEX9370400440532013000")},
    {LIT("89DE370400440532013000")},
    {LIT("DE89-3704-0044-0532-0130-00")},
    {LIT(" DE89370400440532013000")},
    {LIT("DE89370400440532013000 ")},
    {LIT("DE89  3704 0044 0532 0130 00")},
    {LIT("DE89\t3704\t0044\t0532\t0130\t00")},
    {LIT("DE89370400440532013000\0")},
    {LIT("DE893704004405320\0"
         "13000")},
    {LIT("DE89370400440532013000DE89370400440532013000")}, /* > 34 */
    {LIT("\xc3\x84"
         "E89370400440532013000")},
};

Test(validate, iban_accepts_registry_examples)
{
    EXPECT_ALL(valid_iban, ibans_valid, true);
}

Test(validate, iban_accepts_print_form_and_any_case)
{
    EXPECT_ALL(valid_iban, ibans_written, true);
}

Test(validate, iban_rejects_bad_check_length_country_and_shape)
{
    EXPECT_ALL(valid_iban, ibans_invalid, false);
}

/* MOD 97-10 catches every single substitution of a digit by a digit and of
 * a letter by a letter (the difference, at most 25 times a power of ten, is
 * never a multiple of 97).  A digit replaced by a letter or the other way
 * round changes the length of the numeric string and may slip through
 * (1 in 97); the per-country BBAN layout, not checked here, would catch
 * that, so those changes are not part of the promise. */
Test(validate, iban_rejects_every_same_class_substitution)
{
    static const char digits[] = "0123456789";
    static const char letters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (size_t i = 0; i < N_OF(ibans_valid); i++) {
        char buf[40];
        size_t n = ibans_valid[i].len;
        memcpy(buf, ibans_valid[i].s, n);
        for (size_t k = 0; k < n; k++) {
            char orig = buf[k];
            const char *set = (orig >= '0' && orig <= '9') ? digits : letters;
            for (const char *c = set; *c; c++) {
                if (*c == orig)
                    continue;
                buf[k] = *c;
                cr_expect(!valid_iban(buf, n), "\"%s\" (char %zu of \"%s\" changed)",
                          esc(buf, n), k, ibans_valid[i].s);
            }
            buf[k] = orig;
        }
    }
}

Test(validate, iban_reads_only_len_bytes)
{
    static const char text[] = "NO9386011117947123 rest";
    cr_expect(valid_iban(text, 15));
    cr_expect(!valid_iban(text, 16));
    cr_expect(!valid_iban(NULL, 0));
}

/* ---------------------------------------------------------------------
 * Steuer-ID
 * ------------------------------------------------------------------- */

/* Independent model of the rules, written from their wording rather than
 * from validate.c: digits only, 11 of them, no leading 0; among the first
 * ten, the number of distinct digits is 9 (one doubled) or 8 with some digit
 * three times (one tripled); no digit three times in a row; and the ISO 7064
 * MOD 11,10 verification: run the hybrid recurrence over the first ten
 * digits, then (p + check digit) mod 10 must be 1. */
static bool steuer_ref(const char d[11])
{
    if (d[0] == '0')
        return false;
    int count[10] = {0}, distinct = 0, max = 0;
    for (int i = 0; i < 10; i++) {
        int c = ++count[d[i] - '0'];
        if (c == 1)
            distinct++;
        if (c > max)
            max = c;
    }
    if (!((distinct == 9 && max == 2) || (distinct == 8 && max == 3)))
        return false;
    for (int i = 2; i < 10; i++)
        if (d[i] == d[i - 1] && d[i - 1] == d[i - 2])
            return false;
    int p = 10;
    for (int i = 0; i < 10; i++) {
        int sum = (p + d[i] - '0') % 10;
        p = (sum ? sum : 10) * 2 % 11;
    }
    return (p + d[10] - '0') % 10 == 1;
}

static const struct vcase steuer_valid[] = {
    {LIT("86095742719")}, /* a widely quoted example IdNr (7 doubled) */
    {LIT("12345678995")}, /* 9 doubled; worked example on kryptografie.de */
    {LIT("11234567890")}, /* doubled digits adjacent; check digit 10 -> 0 */
    {LIT("98765432198")},
    {LIT("21314567894")},
    {LIT("22134567894")},
    {LIT("91003456789")}, /* 0 doubled */
    {LIT("11213456783")}, /* 1 three times, two of them adjacent */
    {LIT("12131456787")}, /* 1 three times, none adjacent */
    {LIT("54321067559")}, /* 5 three times, last two adjacent */
    {LIT("76543210779")},
    {LIT("34567890336")},
    /* single spaces between digits */
    {LIT("86 095 742 719")},
    {LIT("12 345 678 995")},
    {LIT("8 6 0 9 5 7 4 2 7 1 9")},
};

static const struct vcase steuer_invalid[] = {
    /* wrong check digit */
    {LIT("86095742718")},
    {LIT("86095742710")},
    {LIT("12345678994")},
    {LIT("11234567891")},
    /* leading 0 (otherwise valid: 1 doubled, right check digit) */
    {LIT("01123456782")},
    {LIT("01234567896")}, /* and all distinct */
    /* digit frequencies, each with the right MOD 11,10 check digit */
    {LIT("12345678903")}, /* all ten distinct */
    {LIT("10987654326")}, /* all ten distinct */
    {LIT("11223456785")}, /* two digits doubled */
    {LIT("12123456787")}, /* two digits doubled, apart */
    {LIT("47110234564")}, /* 4 and 1 doubled */
    {LIT("31415926539")}, /* three digits doubled */
    {LIT("27182818283")}, /* 8 three times and more */
    {LIT("11213456679")}, /* 1 tripled and 6 doubled */
    {LIT("11112345678")}, /* 1 four times, in a row */
    {LIT("12131415674")}, /* 1 four times, apart */
    {LIT("11123456786")}, /* 1 three times in a row, at the start */
    {LIT("23455567893")}, /* 5 three times in a row, inside */
    /* shape */
    {LIT("")},
    {LIT("8609574271")},
    {LIT("860957427190")},
    {LIT("86095742719 ")},
    {LIT(" 86095742719")},
    {LIT("86  095 742 719")},
    {LIT("86-095-742-719")},
    {LIT("86/095/742/719")},
    {LIT("8609574271a")},
    {LIT("86095742719\0")},
    {LIT("86095\0"
         "742719")},
};

/* Guards the fixtures themselves: every valid row passes the reference
 * model, and every invalid row that is 11 bare digits fails it (so the
 * "wrong digit frequency" rows are wrong for that reason, not by a typo in
 * the check digit). */
Test(validate, steuer_id_fixtures_agree_with_reference_model)
{
    for (size_t i = 0; i < N_OF(steuer_valid); i++) {
        char d[32];
        size_t n = digits_only(steuer_valid[i].s, steuer_valid[i].len, d);
        cr_expect(n == 11 && steuer_ref(d), "steuer_valid[%zu] \"%s\" fails the model", i,
                  steuer_valid[i].s);
    }
    for (size_t i = 0; i < N_OF(steuer_invalid); i++) {
        char d[32];
        const struct vcase *c = &steuer_invalid[i];
        if (c->len == 11 && digits_only(c->s, c->len, d) == 11)
            cr_expect(!steuer_ref(d), "steuer_invalid[%zu] \"%s\" passes the model", i, c->s);
    }
}

Test(validate, steuer_id_accepts_valid_numbers)
{
    EXPECT_ALL(valid_steuer_id, steuer_valid, true);
}

Test(validate, steuer_id_rejects_check_digit_leading_zero_frequency_and_shape)
{
    EXPECT_ALL(valid_steuer_id, steuer_invalid, false);
}

/* For every valid compact number, exactly one of the ten check digits
 * passes. */
Test(validate, steuer_id_only_one_check_digit_fits)
{
    for (size_t i = 0; i < N_OF(steuer_valid); i++) {
        if (steuer_valid[i].len != 11)
            continue;
        char buf[11];
        memcpy(buf, steuer_valid[i].s, 11);
        unsigned ok = 0;
        for (char d = '0'; d <= '9'; d++) {
            buf[10] = d;
            bool got = valid_steuer_id(buf, 11);
            ok += got;
            cr_expect(got == (d == steuer_valid[i].s[10]), "\"%s\"", esc(buf, 11));
        }
        cr_expect(ok == 1, "%s: %u check digits accepted", steuer_valid[i].s, ok);
    }
}

/* Differential test against the reference model on 200000 numbers from a
 * fixed LCG (failures reproduce).  Uniform random digits would hardly ever
 * hit the frequency rule, so each stem starts as a permutation of 0-9 and
 * then gets up to two digits copied over others: all distinct, one digit
 * doubled, one tripled (sometimes in a row), two doubled.  The check digit
 * is random, so about one in ten of the well-formed stems is valid. */
static uint64_t lcg_state;

static unsigned lcg(unsigned bound)
{
    lcg_state = lcg_state * 6364136223846793005u + 1442695040888963407u;
    return (unsigned)(lcg_state >> 33) % bound;
}

Test(validate, steuer_id_matches_reference_model_on_random_numbers)
{
    unsigned valid_double = 0, valid_triple = 0, rejected = 0;
    lcg_state = 0x9e3779b97f4a7c15u;
    for (unsigned round = 0; round < 200000; round++) {
        char d[11];
        for (int i = 0; i < 10; i++)
            d[i] = (char)('0' + i);
        for (int i = 9; i > 0; i--) {
            int j = (int)lcg((unsigned)i + 1);
            char tmp = d[i];
            d[i] = d[j];
            d[j] = tmp;
        }
        unsigned copies = lcg(3);
        unsigned from = lcg(10);
        for (unsigned c = 0; c < copies; c++) {
            /* copy d[from] (or, half the time for the second copy, some
             * other digit) over a random position */
            unsigned src = (c == 1 && lcg(2)) ? lcg(10) : from;
            d[lcg(10)] = d[src];
        }
        d[10] = (char)('0' + lcg(10));

        bool want = steuer_ref(d);
        cr_assert(valid_steuer_id(d, 11) == want, "\"%s\": expected %s", esc(d, 11),
                  want ? "valid" : "invalid");
        if (!want) {
            rejected++;
            continue;
        }
        int count[10] = {0}, max = 0;
        for (int i = 0; i < 10; i++)
            if (++count[d[i] - '0'] > max)
                max = count[d[i] - '0'];
        if (max == 3)
            valid_triple++;
        else
            valid_double++;
    }
    cr_expect(valid_double > 1000 && valid_triple > 100 && rejected > 100000,
              "poor coverage: %u valid with a double, %u with a triple, %u rejected", valid_double,
              valid_triple, rejected);
}

/* ---------------------------------------------------------------------
 * IP addresses (the parsers themselves are tested in test_ipaddr.c)
 * ------------------------------------------------------------------- */

static const struct vcase ipv4_valid[] = {
    {LIT("192.0.2.1")}, {LIT("0.0.0.0")}, {LIT("255.255.255.255")},
    {LIT("10.1.2.3")},  {LIT("1.2.3.4")}, {LIT("192.030.0.6")},
};

static const struct vcase ipv4_invalid[] = {
    {LIT("")},           {LIT("1.2.3")},
    {LIT("1.2.3.4.5")},  {LIT("256.1.1.1")},
    {LIT("1.2.3.4 ")},   {LIT(" 1.2.3.4")},
    {LIT("1.2.3.4:80")}, {LIT("1.2.3.-4")},
    {LIT("1..2.3")},     {LIT("a.b.c.d")},
    {LIT("::1")},        {LIT("1.2.3.4\0")},
    {LIT("1234.1.1.1")}, {LIT("4111111111111111")},
};

static const struct vcase ipv6_valid[] = {
    {LIT("::1")},
    {LIT("::")},
    {LIT("2001:db8::1")},
    {LIT("2001:DB8:0:0:8:800:200C:417A")},
    {LIT("fe80::1")},
    {LIT("::ffff:192.0.2.1")},
    {LIT("64:ff9b::192.0.2.33")},
    {LIT("2001:db8:85a3:8d3:1319:8a2e:370:7348")},
};

static const struct vcase ipv6_invalid[] = {
    {LIT("")},
    {LIT("1.2.3.4")},
    {LIT("2001:db8:::1")},
    {LIT("2001:db8::1::2")},
    {LIT("[2001:db8::1]")},
    {LIT("fe80::1%eth0")},
    {LIT("2001:db8::g")},
    {LIT("12345::1")},
    {LIT("1:2:3:4:5:6:7:8:9")},
    {LIT("2001:db8::1 ")},
    {LIT("2001:db8::1\0")},
};

Test(validate, ipv4_follows_ip_parse_v4)
{
    EXPECT_ALL(valid_ipv4, ipv4_valid, true);
    EXPECT_ALL(valid_ipv4, ipv4_invalid, false);
    cr_expect(!valid_ipv4(NULL, 0));
    cr_expect(valid_ipv4("1.2.3.45", 7), "only len bytes are the address");
}

Test(validate, ipv6_follows_ip_parse_v6)
{
    EXPECT_ALL(valid_ipv6, ipv6_valid, true);
    EXPECT_ALL(valid_ipv6, ipv6_invalid, false);
    cr_expect(!valid_ipv6(NULL, 0));
    cr_expect(valid_ipv6("::1zz", 3), "only len bytes are the address");
}

/* ---------------------------------------------------------------------
 * Lookup by name
 * ------------------------------------------------------------------- */

Test(validate, validator_find_knows_the_five_names)
{
    cr_expect(validator_find(LIT("luhn")) == valid_luhn);
    cr_expect(validator_find(LIT("iban")) == valid_iban);
    cr_expect(validator_find(LIT("steuer-id")) == valid_steuer_id);
    cr_expect(validator_find(LIT("ipv4")) == valid_ipv4);
    cr_expect(validator_find(LIT("ipv6")) == valid_ipv6);
    /* the length bounds the name: the rest of the buffer is not looked at */
    cr_expect(validator_find("luhnx", 4) == valid_luhn);
    cr_expect(validator_find("ipv6: yes", 4) == valid_ipv6);
}

Test(validate, validator_find_rejects_other_names)
{
    static const struct vcase bad[] = {
        {LIT("")},           {LIT("luh")},      {LIT("l")},         {LIT("luhnx")},
        {LIT("LUHN")},       {LIT("Luhn")},     {LIT("ibanx")},     {LIT("iba")},
        {LIT("steuer")},     {LIT("steuer-i")}, {LIT("steuer_id")}, {LIT("steuerid")},
        {LIT("steuer-id ")}, {LIT(" luhn")},    {LIT("ipv")},       {LIT("ipv5")},
        {LIT("ip")},         {LIT("luhn\0")},   {LIT("mod97")},     {LIT("email")},
    };
    for (size_t i = 0; i < N_OF(bad); i++)
        cr_expect(validator_find(bad[i].s, bad[i].len) == NULL, "bad[%zu] \"%s\" was found", i,
                  esc(bad[i].s, bad[i].len));
    cr_expect(validator_find(NULL, 0) == NULL);
    cr_expect(validator_find("luhn", 3) == NULL);
}

/* ---------------------------------------------------------------------
 * Prescans: the fast line features against a reference model written
 * straight from each prescan's definition (prescan.h), byte by byte.
 * ------------------------------------------------------------------- */

static bool ref_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool ref_alnum(char c)
{
    return ref_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool ref_hex(char c)
{
    return ref_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool ref_wide_sep(char c)
{
    return c != '\0' && strchr(" \t\n\v\f\r./-()", c) != NULL;
}

/* Most digits in a run: digits joined by single ' '/'-' (narrow) or by any
 * wide separators (wide; zero: only runs whose first digit is '0'). */
static unsigned ref_narrow(const char *s, size_t len)
{
    unsigned best = 0;
    for (size_t i = 0; i < len; i++) {
        if (!ref_digit(s[i]) || (i > 0 && ref_digit(s[i - 1])) ||
            (i > 1 && (s[i - 1] == ' ' || s[i - 1] == '-') && ref_digit(s[i - 2])))
            continue; /* not the first digit of a run */
        unsigned n = 0;
        size_t k = i;
        while (k < len) {
            if (ref_digit(s[k])) {
                n++;
                k++;
            } else if ((s[k] == ' ' || s[k] == '-') && k + 1 < len && ref_digit(s[k + 1])) {
                k++;
            } else {
                break;
            }
        }
        if (n > best)
            best = n;
    }
    return best;
}

static unsigned ref_wide(const char *s, size_t len, bool zero)
{
    unsigned best = 0, n = 0;
    bool first_zero = false;
    for (size_t i = 0; i < len; i++) {
        if (ref_digit(s[i])) {
            if (n == 0)
                first_zero = s[i] == '0';
            n++;
            if ((!zero || first_zero) && n > best)
                best = n;
        } else if (!ref_wide_sep(s[i])) {
            n = 0;
        }
    }
    return best;
}

/* Digits in the wide run after an international prefix: "+" or "%2B"
 * (any case b) right before a digit 1-9, or "00" not after a digit and
 * right before a digit 1-9; the prefix's own digits do not count. */
static unsigned ref_intl(const char *s, size_t len)
{
    unsigned best = 0;
    for (size_t i = 0; i < len; i++) {
        size_t first;
        if (s[i] == '+')
            first = i + 1;
        else if (i + 2 < len && s[i] == '%' && s[i + 1] == '2' && (s[i + 2] == 'b' || s[i + 2] == 'B'))
            first = i + 3;
        else if (i + 1 < len && s[i] == '0' && s[i + 1] == '0' && !(i > 0 && ref_digit(s[i - 1])))
            first = i + 2;
        else
            continue;
        if (first >= len || s[first] < '1' || s[first] > '9')
            continue;
        unsigned n = 0;
        for (size_t k = first; k < len && (ref_digit(s[k]) || ref_wide_sep(s[k])); k++)
            n += ref_digit(s[k]);
        if (n > best)
            best = n;
    }
    return best;
}

static bool ref_iban(const char *s, size_t len)
{
    for (size_t i = 0; i + 4 <= len; i++) {
        if (!(ref_alnum(s[i]) && !ref_digit(s[i]) && ref_alnum(s[i + 1]) && !ref_digit(s[i + 1]) &&
              ref_digit(s[i + 2]) && ref_digit(s[i + 3])))
            continue;
        unsigned n = 0;
        for (size_t k = i; k < len && (ref_alnum(s[k]) || s[k] == ' '); k++)
            n += ref_alnum(s[k]);
        if (n >= 15)
            return true;
    }
    return false;
}

static bool ref_pairs(const char *s, size_t len)
{
    for (size_t i = 0; i + 17 <= len; i++) {
        char sep = s[i + 2];
        bool ok = sep == ':' || sep == '-';
        for (size_t k = 0; ok && k < 6; k++)
            ok = ref_hex(s[i + 3 * k]) && ref_hex(s[i + 3 * k + 1]) &&
                 (k == 5 || s[i + 3 * k + 2] == sep);
        if (ok)
            return true;
    }
    return false;
}

static bool ref_quads(const char *s, size_t len)
{
    for (size_t i = 0; i + 14 <= len; i++) {
        bool ok = s[i + 4] == '.' && s[i + 9] == '.';
        for (size_t k = 0; ok && k < 14; k++)
            ok = k == 4 || k == 9 || ref_hex(s[i + k]);
        if (ok)
            return true;
    }
    return false;
}

static bool ref_b64(const char *s, size_t len)
{
    while (len > 0 && strchr(" \t\r", s[len - 1]) && s[len - 1] != '\0')
        len--;
    if (len < 64)
        return false;
    for (size_t k = len - 64; k < len; k++)
        if (!(ref_alnum(s[k]) || s[k] == '+' || s[k] == '/'))
            return false;
    return true;
}

/* Asks every prescan about s, each on fresh features and again on shared
 * ones in a scrambled order, and compares with the model. */
static void check_prescans(const char *s, size_t len)
{
    static const prescan_spec ps[] = {
        {PS_DIGITS_NARROW, 1},  {PS_DIGITS_NARROW, 5},  {PS_DIGITS_NARROW, 11},
        {PS_DIGITS_NARROW, 12}, {PS_DIGITS_NARROW, 13}, {PS_DIGITS_NARROW, 19},
        {PS_DIGITS_WIDE, 3},    {PS_DIGITS_WIDE, 7},    {PS_DIGITS_WIDE, 9},
        {PS_DIGITS_WIDE_ZERO, 4}, {PS_DIGITS_WIDE_ZERO, 7}, {PS_IBAN, 0},
        {PS_DIGITS_INTL, 2},    {PS_DIGITS_INTL, 9},
        {PS_BASE64_TAIL, 0},    {PS_HEX_PAIRS, 0},      {PS_HEX_QUADS, 0},
        {PS_NONE, 0},
    };
    size_t n = sizeof ps / sizeof ps[0];
    bool want[sizeof ps / sizeof ps[0]];
    for (size_t k = 0; k < n; k++) {
        switch (ps[k].kind) {
        case PS_DIGITS_NARROW: want[k] = ref_narrow(s, len) >= ps[k].min; break;
        case PS_DIGITS_WIDE: want[k] = ref_wide(s, len, false) >= ps[k].min; break;
        case PS_DIGITS_WIDE_ZERO: want[k] = ref_wide(s, len, true) >= ps[k].min; break;
        case PS_DIGITS_INTL: want[k] = ref_intl(s, len) >= ps[k].min; break;
        case PS_IBAN: want[k] = ref_iban(s, len); break;
        case PS_BASE64_TAIL: want[k] = ref_b64(s, len); break;
        case PS_HEX_PAIRS: want[k] = ref_pairs(s, len); break;
        case PS_HEX_QUADS: want[k] = ref_quads(s, len); break;
        default: want[k] = true; break;
        }
        line_features f;
        features_reset(&f, s, len);
        bool got = prescan_test(ps[k], &f);
        cr_assert_eq(got, want[k], "prescan kind %d min %u on \"%s\" (%zu bytes): got %d",
                     (int)ps[k].kind, ps[k].min, esc(s, len), len, got);
    }
    line_features shared;
    features_reset(&shared, s, len);
    for (size_t j = 0; j < n; j++) {
        size_t k = (j * 7 + len) % n; /* 7 and 18 are coprime: every index once */
        cr_assert_eq(prescan_test(ps[k], &shared), want[k],
                     "shared features, prescan kind %d min %u on \"%s\"", (int)ps[k].kind,
                     ps[k].min, esc(s, len));
    }
}

static void baseline(void)
{
    cpu_set_limit(CPU_LEVEL_BASELINE);
}

static void avx2(void)
{
    cpu_set_limit(CPU_LEVEL_AVX2);
}

/* Each prescan test runs three times: with the code this CPU picks, with
 * AVX2 at most, and with the baseline code every x86-64 has. */
#define PRESCAN_TEST(name)                                                          \
    static void name(void);                                                        \
    Test(prescan, name) { name(); }                                                \
    Test(prescan_avx2, name, .init = avx2) { name(); }                             \
    Test(prescan_baseline, name, .init = baseline) { name(); }                     \
    static void name(void)

PRESCAN_TEST(fixed_cases_agree_with_the_model)
{
    static const char *const cases[] = {
        "",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111 x",
        "4111  1111 1111 1111", /* two spaces: runs of 4 and 12 */
        "12345678901",
        "1234567890",
        "2026-11-23 06:25:00,123 INFO",
        "ip 1.2.3.4 - - [23/Nov/2026:06:25:00 +0000] \"GET / HTTP/1.1\" 200 29474 \"-\"",
        "call +49 (0) 30 1234-5678 now",
        "call %2B49 30 1234-5678, 0049 30 12345678 or 10049301234567",
        "+0000] +4 +44 20 7946 0958 %2b1 202 555 0173 %2C1234567890 +0 123456789",
        "00 1 234 567 890 .001 212 555 0123 x0012125550123",
        "tel 030/1234 5678",
        "0 1 2 3 4 5 6",
        "x 0.1.2.3.4.5.6 y",
        "DE89 3704 0044 0532 0130 00",
        "GB82WEST12345698765432",
        "ab12cdefghijklmno",
        "ab12 cdef ghij klm",
        "00:1A:2b:3C:4d:5E",
        "00-1a-2b-3c-4d-5e",
        "00:1a-2b:3c:4d:5e",
        "00:1a:2b:3c:4d:5",
        "0011.2233.4455",
        "0011.2233.445",
        "-----BEGIN-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj \r",
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cK",
        /* runs crossing the 64-byte words the fast pass works in */
        "..........................................................1234 5678 9012 3456",
        "...........................................................12345678901",
        "..............................................................00:1a:2b:3c:4d:5e",
        ".............................................................0011.2233.4455",
        "..............................................................DE89370400440532013000",
        /* one string in two pieces (the parentheses tell clang so) */
        ("................................................................................"
         "....................................................1 2 3 4 5 6 7 8 9 0 1 2 3"),
        "1234567890123456789012345678901234567890123456789012345678901234", /* one word */
        /* separators before a zero-led run, crossing a word border */
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx  ( 030) 1234567",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx9  ( 030) 1234567",
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        check_prescans(cases[k], strlen(cases[k]));
}

PRESCAN_TEST(random_texts_agree_with_the_model)
{
    /* An alphabet weighted towards the bytes the prescans care about, so
     * that every feature is true on a good share of the texts. */
    static const char alpha[] = "0123456789012345678901234567890123456789      ----::..."
                                "abcdefABCDEFxyzXYZ/()+%\t\r\n\0\x80\xff=;";
    static const char *const planted[] = {
        "00:1a:2b:3c:4d:5e", "0A-1B-2C-3D-4E-5F", "0011.2233.4455", "aBcD.eF01.2345",
        "DE89 3704 0044 0532 0130 00", "NO9386011117947", "4111 1111 1111 1111",
        "12345678901", "+49 (0) 30 1234-5678", "0 30 / 12 34 56", "%2B44 20 7946 0958",
        "0033 1 23 45 67 89",
    };
    uint64_t x = 0x9e3779b97f4a7c15ull;
    char buf[300];
    unsigned hits[8] = {0};
    for (int t = 0; t < 20000; t++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        size_t len = (size_t)(x >> 33) % sizeof buf;
        for (size_t i = 0; i < len; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            buf[i] = alpha[(x >> 33) % (sizeof alpha - 1)];
        }
        /* Half the texts get a shape planted, whole or cut short, anywhere
         * (the fast pass works in 64-byte words: across their borders too). */
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        const char *plant = planted[(x >> 33) % (sizeof planted / sizeof planted[0])];
        size_t plen = strlen(plant) - (x >> 20) % 3;
        if ((x >> 40) & 1 && len > plen) {
            size_t at = (size_t)(x >> 43) % (len - plen + 1);
            memcpy(buf + at, plant, plen);
        }
        check_prescans(buf, len);
        hits[0] += ref_narrow(buf, len) >= 13;
        hits[1] += ref_wide(buf, len, true) >= 7;
        hits[2] += ref_iban(buf, len);
        hits[3] += ref_pairs(buf, len);
        hits[4] += ref_quads(buf, len);
        hits[5] += ref_intl(buf, len) >= 9;
    }
    /* The generator must actually exercise the positive side. */
    for (int k = 0; k < 6; k++)
        cr_assert_gt(hits[k], 20, "feature %d true on only %u texts", k, hits[k]);
}
