/* gen-pii.c - deterministic generator of a labelled PII corpus for logscrub.
 *
 * Usage: gen-pii [-n LINES] [-s SEED] [-l LABELS]   (defaults: 10000 lines, seed 1)
 *
 * Writes LINES log lines to stdout: nginx "combined" lines with personal data
 * in query strings and referrers, JSON application logs, syslog-style lines,
 * and Sentry-style exception messages with file paths. Into some of them it
 * plants personal data and secrets of every kind the default policy (rule
 * packs pii, secrets, pii-de) claims to remove; into others it puts decoys
 * that look similar and must survive untouched (UUIDs, digests, versions,
 * timestamps, durations, numbers that fail their checksum, `logo@2x.png`,
 * `git@github.com:...`, parameter names like `tokenizer=`). About a sixth of
 * the lines carry neither.
 *
 * With -l FILE, every planted value and every decoy is listed in FILE, one
 * record a line, tab-separated:
 *
 *   LINE  KIND  pii|decoy  VALUE
 *
 * LINE is the 1-based line number in the output, KIND names the shape
 * (`email`, `card`, `uuid`, ...), VALUE is the exact bytes as they appear in
 * the line, with `\` written as `\\` and bytes below 0x20, 0x7f and above as
 * `\xHH`. Each value occurs exactly once in its line (a line where a value
 * would occur twice is drawn again), so "is the value still in the output
 * line" is a fair test of whether it was removed.
 *
 * Only forms that rules/README.md says the rules handle are planted: the
 * checksums are right (Luhn for cards, mod 97 for IBANs, ISO 7064 for the
 * Steuer-ID), national German numbers follow a context word, and so on. Known
 * gaps (cookies without a `Cookie:` prefix, `+` as a space in a phone number,
 * `\u0040` in e-mail addresses, ...) are left out on purpose.
 *
 * The output depends only on LINES and SEED: own splitmix64 PRNG, no floating
 * point, no rand()/gmtime()/locale; no expression draws two random numbers
 * where C leaves the order open. A shorter run is a prefix of a longer one.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prng.h"

#define PICK(a) ((a)[rnd(COUNT(a))])

/* ---- value builder: a small string on the stack ------------------------------ */

struct vb {
    char b[640];
    size_t n;
};

static void vb_mem(struct vb *v, const char *s, size_t n)
{
    if (v->n + n >= sizeof v->b) /* never with the lengths used below */
        n = sizeof v->b - 1 - v->n;
    memcpy(v->b + v->n, s, n);
    v->n += n;
    v->b[v->n] = '\0';
}

static void vb_str(struct vb *v, const char *s)
{
    vb_mem(v, s, strlen(s));
}

static void vb_chr(struct vb *v, char c)
{
    vb_mem(v, &c, 1);
}

static void vb_uint(struct vb *v, uint64_t x)
{
    char t[20];
    size_t i = sizeof t;
    do {
        t[--i] = (char)('0' + x % 10);
        x /= 10;
    } while (x);
    vb_mem(v, t + i, sizeof t - i);
}

static void vb_2d(struct vb *v, unsigned x)
{
    vb_chr(v, (char)('0' + x / 10 % 10));
    vb_chr(v, (char)('0' + x % 10));
}

static void vb_from(struct vb *v, const char *set, int len)
{
    size_t k = strlen(set);
    for (int i = 0; i < len; i++)
        vb_chr(v, set[rnd((uint32_t)k)]);
}

static const char DIG[] = "0123456789";
static const char HEX[] = "0123456789abcdef";
static const char UPNUM[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
static const char ALNUM[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char B64STD[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/* Characters a password may hold and still be one unquoted value in a query
 * string or k=v text (rules/README.md, secret-param: &,; quotes, brackets and
 * whitespace end a value). */
static const char PWCHARS[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!*$_.~-";

static void vb_digits(struct vb *v, int len)
{
    vb_from(v, DIG, len);
}

/* base64 (std or url alphabet) of n bytes, with or without '=' padding. */
static void vb_base64(struct vb *v, const unsigned char *s, size_t n, const char *alpha, int pad)
{
    for (size_t i = 0; i < n; i += 3) {
        uint32_t w = (uint32_t)s[i] << 16;
        if (i + 1 < n)
            w |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < n)
            w |= s[i + 2];
        vb_chr(v, alpha[w >> 18 & 63]);
        vb_chr(v, alpha[w >> 12 & 63]);
        if (i + 1 < n)
            vb_chr(v, alpha[w >> 6 & 63]);
        else if (pad)
            vb_chr(v, '=');
        if (i + 2 < n)
            vb_chr(v, alpha[w & 63]);
        else if (pad)
            vb_chr(v, '=');
    }
}

/* A random string over `set` of length len that holds at least one upper
 * case letter, one lower case letter and one digit (tokens, PEM lines). */
static void vb_mixed(struct vb *v, const char *set, int len)
{
    for (;;) {
        size_t start = v->n;
        int up = 0, lo = 0, dg = 0;
        vb_from(v, set, len);
        for (size_t i = start; i < v->n; i++) {
            char c = v->b[i];
            up |= c >= 'A' && c <= 'Z';
            lo |= c >= 'a' && c <= 'z';
            dg |= c >= '0' && c <= '9';
        }
        if (up && lo && dg)
            return;
        v->n = start;
        v->b[start] = '\0';
    }
}

/* ---- the current line and its labels ----------------------------------------- */

enum kind {
    /* planted personal data and secrets */
    K_EMAIL,
    K_PHONE_INTL,
    K_PHONE_DE_INTL,
    K_PHONE_DE_NATIONAL,
    K_CARD,
    K_IBAN,
    K_URL_CRED,
    K_HOME_USER,
    K_MAC,
    K_AUTH_HEADER,
    K_BEARER,
    K_JWT,
    K_AWS_KEY,
    K_GITHUB,
    K_GITLAB,
    K_SLACK,
    K_SLACK_HOOK,
    K_STRIPE,
    K_GOOGLE,
    K_SECRET_PARAM,
    K_COOKIE,
    K_OAUTH_CODE,
    K_PEM,
    K_STEUER_ID,
    K_NPII,
    /* decoys */
    D_UUID = K_NPII,
    D_SHA1,
    D_SHA256,
    D_GITSHA,
    D_VERSION,
    D_ISO_TIME,
    D_EPOCH_S,
    D_EPOCH_MS,
    D_DURATION,
    D_ORDER_NO,
    D_NUM11,
    D_IBAN_BAD,
    D_STEUER_BAD,
    D_ASSET,
    D_PKG,
    D_GIT_REMOTE,
    D_PARAM_NAME,
    D_MSGID,
    D_MAC_SPECIAL,
    D_AWS_ROLE,
    D_STRIPE_PK,
    D_STATUS_CODE,
    D_URL_PATH,
    D_PROSE,
    K_NKINDS
};

static const char *const kind_name[K_NKINDS] = {"email",
                                                "phone-intl",
                                                "phone-de-intl",
                                                "phone-de-national",
                                                "card",
                                                "iban",
                                                "url-credentials",
                                                "home-path-user",
                                                "mac",
                                                "auth-header",
                                                "bearer-token",
                                                "jwt",
                                                "aws-key",
                                                "github-token",
                                                "gitlab-token",
                                                "slack-token",
                                                "slack-webhook",
                                                "stripe-key",
                                                "google-api-key",
                                                "secret-param",
                                                "cookie",
                                                "oauth-code",
                                                "pem-key",
                                                "steuer-id",
                                                "uuid",
                                                "sha1",
                                                "sha256",
                                                "git-sha",
                                                "version",
                                                "iso-time",
                                                "epoch-s",
                                                "epoch-ms",
                                                "duration",
                                                "order-no-luhn-fail",
                                                "number-11",
                                                "iban-bad-checksum",
                                                "steuer-id-bad",
                                                "asset-at",
                                                "pkg-at-version",
                                                "git-remote",
                                                "param-name",
                                                "message-id",
                                                "mac-special",
                                                "aws-role-id",
                                                "stripe-publishable",
                                                "status-code",
                                                "url-path",
                                                "prose"};

enum ctx { C_QUERY, C_JSON, C_TEXT };

#define LINE_ROOM 8192
#define LAB_MAX   40

struct lab {
    int kind;
    size_t off, len;
};

static char line[LINE_ROOM];
static size_t ll;
static struct lab lab_v[LAB_MAX];
static int nlab;
static int line_bad; /* overflow: the line is drawn again */

static void put(const char *s, size_t n)
{
    if (ll + n >= LINE_ROOM - 2) {
        line_bad = 1;
        return;
    }
    memcpy(line + ll, s, n);
    ll += n;
}

static void puts_(const char *s)
{
    put(s, strlen(s));
}

static void putc_(char c)
{
    put(&c, 1);
}

static void putv(const struct vb *v)
{
    put(v->b, v->n);
}

static void putu(uint64_t x)
{
    struct vb v = {.n = 0};
    vb_uint(&v, x);
    putv(&v);
}

/* Appends value v to the line and records it as kind k. */
static void plant(int k, const char *s, size_t n)
{
    if (nlab == LAB_MAX) {
        line_bad = 1;
        return;
    }
    lab_v[nlab].kind = k;
    lab_v[nlab].off = ll;
    lab_v[nlab].len = n;
    nlab++;
    put(s, n);
}

static void plantv(int k, const struct vb *v)
{
    plant(k, v->b, v->n);
}

static void plants(int k, const char *s)
{
    plant(k, s, strlen(s));
}

/* pre, the value (labelled), post. */
static void frag(const char *pre, int k, const struct vb *v, const char *post)
{
    puts_(pre);
    plantv(k, v);
    puts_(post);
}

/* ---- time ---------------------------------------------------------------------- */

static int64_t now_s;   /* current line's Unix time */
static unsigned now_ms; /* and milliseconds */

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static const char MON[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

enum tfmt { T_CLF, T_ISO, T_ISO_OFS, T_SYSLOG, T_PY };

/* Time t (seconds) with milliseconds ms in one of the log formats. */
static void vb_time(struct vb *v, int64_t t, unsigned ms, enum tfmt f)
{
    int64_t y;
    unsigned m, d, sod = (unsigned)(t % 86400);
    civil_from_days(t / 86400, &y, &m, &d);
    if (f == T_CLF) {
        vb_2d(v, d);
        vb_chr(v, '/');
        vb_str(v, MON[m - 1]);
        vb_chr(v, '/');
        vb_uint(v, (uint64_t)y);
        vb_chr(v, ':');
    } else if (f == T_SYSLOG) {
        vb_str(v, MON[m - 1]);
        vb_chr(v, ' ');
        vb_chr(v, d < 10 ? ' ' : (char)('0' + d / 10));
        vb_chr(v, (char)('0' + d % 10));
        vb_chr(v, ' ');
    } else {
        vb_uint(v, (uint64_t)y);
        vb_chr(v, '-');
        vb_2d(v, m);
        vb_chr(v, '-');
        vb_2d(v, d);
        vb_chr(v, f == T_PY ? ' ' : 'T');
    }
    vb_2d(v, sod / 3600);
    vb_chr(v, ':');
    vb_2d(v, sod / 60 % 60);
    vb_chr(v, ':');
    vb_2d(v, sod % 60);
    if (f == T_CLF) {
        vb_str(v, " +0000");
    } else if (f == T_ISO || f == T_ISO_OFS || f == T_PY) {
        vb_chr(v, f == T_PY ? ',' : '.');
        vb_chr(v, (char)('0' + ms / 100));
        vb_2d(v, ms % 100);
        if (f == T_ISO)
            vb_chr(v, 'Z');
        else if (f == T_ISO_OFS)
            vb_str(v, "+02:00");
    }
}

/* ---- names -------------------------------------------------------------------- */

static const char *const FIRST[] = {"alice", "bob",   "carol",  "dave",  "erin",    "frank",
                                    "grace", "heidi", "ivan",   "judy",  "mallory", "oscar",
                                    "peggy", "trent", "victor", "wendy", "lukas",   "mia",
                                    "jonas", "lea",   "noah",   "emma",  "finn",    "hanna"};
static const char *const LAST[] = {"smith",  "jones",  "mueller",  "schmidt",  "garcia", "weber",
                                   "meyer",  "wagner", "becker",   "hoffmann", "novak",  "rossi",
                                   "dubois", "jansen", "kowalski", "nielsen"};
static const char *const DOMAINS[] = {"example.com",      "example.org",    "example.net",
                                      "mail.example.com", "example.co.uk",  "firma-beispiel.de",
                                      "uni-example.edu",  "shop.example.io"};

static void vb_cap(struct vb *v, const char *s)
{
    vb_chr(v, (char)(s[0] - 'a' + 'A'));
    vb_str(v, s + 1);
}

static void vb_upper(struct vb *v, const char *s)
{
    for (; *s; s++)
        vb_chr(v, (*s >= 'a' && *s <= 'z') ? (char)(*s - 'a' + 'A') : *s);
}

/* A user name as it appears in home directories. */
static void vb_username(struct vb *v)
{
    static const char *const utf8[] = {"j\xc3\xb6rg", "m\xc3\xbcller", "s\xc3\xb8ren",
                                       "ren\xc3\xa9"};
    switch (rnd(8)) {
    case 0:
        vb_str(v, PICK(FIRST));
        vb_chr(v, '.');
        vb_str(v, PICK(LAST));
        break;
    case 1:
        vb_chr(v, PICK(FIRST)[0]);
        vb_str(v, PICK(LAST));
        break;
    case 2:
        vb_cap(v, PICK(FIRST));
        break;
    case 3:
        vb_str(v, PICK(utf8));
        break;
    default:
        vb_str(v, PICK(FIRST));
        if (chance(500))
            vb_uint(v, 10 + rnd(90));
        break;
    }
}

/* A Windows profile name, sometimes "First Last" (rules/README.md:
 * names with spaces are matched when a separator follows). */
static void vb_winuser(struct vb *v)
{
    if (chance(250)) {
        vb_cap(v, PICK(FIRST));
        vb_chr(v, ' ');
        vb_cap(v, PICK(LAST));
    } else {
        vb_username(v);
    }
}

/* ---- checksums -------------------------------------------------------------- */

/* Luhn: the check digit that makes digits[0..n) + it valid. */
static char luhn_digit(const char *d, size_t n)
{
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned x = (unsigned)(d[n - 1 - i] - '0');
        if (i % 2 == 0) { /* doubled: they are every second from the check digit */
            x *= 2;
            if (x > 9)
                x -= 9;
        }
        sum += x;
    }
    return (char)('0' + (10 - sum % 10) % 10);
}

static int luhn_ok(const char *d, size_t n)
{
    return n > 1 && luhn_digit(d, n - 1) == d[n - 1];
}

/* IBAN: mod 97 of BBAN + country + "00" with letters as 10..35. */
static unsigned iban_mod(const char *cc, const char *bban, const char *check)
{
    char s[64];
    size_t n = 0;
    unsigned r = 0;
    n += (size_t)snprintf(s + n, sizeof s - n, "%s%s%s", bban, cc, check);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            r = (r * 10 + (unsigned)(c - '0')) % 97;
        } else {
            unsigned x = (unsigned)(c - 'A' + 10);
            r = (r * 100 + x) % 97;
        }
    }
    return r;
}

/* Steuer-ID: ISO 7064 MOD 11,10 check digit of the first 10 digits. */
static char steuer_digit(const char *d)
{
    unsigned product = 10;
    for (int i = 0; i < 10; i++) {
        unsigned sum = ((unsigned)(d[i] - '0') + product) % 10;
        if (sum == 0)
            sum = 10;
        product = (sum * 2) % 11;
    }
    unsigned c = 11 - product;
    return (char)('0' + (c == 10 ? 0 : c));
}

/* Ten digits that satisfy the Steuer-ID digit rule: first digit not 0, one
 * digit twice (or three times, never three in a row), the others distinct. */
static void steuer_body(char *d)
{
    for (;;) {
        int twice = !chance(200);
        unsigned miss1 = rnd(10), miss2 = rnd(10), dup = rnd(10);
        if (dup == miss1 || (!twice && (miss2 == miss1 || dup == miss2)))
            continue;
        int n = 0;
        for (unsigned x = 0; x < 10; x++)
            if (x != miss1 && (twice || x != miss2))
                d[n++] = (char)('0' + x);
        d[n++] = (char)('0' + dup);
        if (!twice)
            d[n++] = (char)('0' + dup);
        for (int i = n - 1; i > 0; i--) { /* Fisher-Yates */
            int j = (int)rnd((uint32_t)i + 1);
            char t = d[i];
            d[i] = d[j];
            d[j] = t;
        }
        if (d[0] == '0')
            continue;
        int run = 0;
        for (int i = 2; i < 10; i++)
            run |= d[i] == d[i - 1] && d[i] == d[i - 2];
        if (!run)
            return;
    }
}

/* ---- value makers --------------------------------------------------------------- */

static void vb_uuid(struct vb *v)
{
    vb_from(v, HEX, 8);
    vb_chr(v, '-');
    vb_from(v, HEX, 4);
    vb_str(v, "-4");
    vb_from(v, HEX, 3);
    vb_chr(v, '-');
    vb_chr(v, "89ab"[rnd(4)]);
    vb_from(v, HEX, 3);
    vb_chr(v, '-');
    vb_from(v, HEX, 12);
}

/* E-mail address. pct: the %40 form is allowed (URLs). */
static void vb_email(struct vb *v, int pct)
{
    const char *at = "@";
    switch (rnd(10)) {
    case 0: /* First.Last@Example.COM */
        vb_cap(v, PICK(FIRST));
        vb_chr(v, '.');
        vb_cap(v, PICK(LAST));
        vb_chr(v, '@');
        vb_str(v, "Example.COM");
        return;
    case 1: /* all upper case */
        vb_upper(v, PICK(FIRST));
        vb_chr(v, '.');
        vb_upper(v, PICK(LAST));
        vb_chr(v, '@');
        vb_upper(v, PICK(DOMAINS));
        return;
    case 2: /* plus tag */
        vb_str(v, PICK(FIRST));
        vb_chr(v, '+');
        vb_str(v, chance(500) ? "news" : "shop");
        vb_uint(v, rnd(100));
        break;
    case 3: /* UTF-8 local part */
        vb_str(v, chance(500) ? "j\xc3\xb6rg.m\xc3\xbcller" : "fran\xc3\xa7ois.dupr\xc3\xa9");
        vb_uint(v, rnd(1000));
        break;
    case 4: /* IDN domain (punycode) */
        vb_str(v, PICK(FIRST));
        vb_uint(v, rnd(1000));
        vb_str(v, "@xn--mller-kva.de");
        return;
    case 5:
        vb_str(v, PICK(FIRST));
        vb_chr(v, '-');
        vb_str(v, PICK(LAST));
        vb_uint(v, rnd(100));
        break;
    default:
        vb_str(v, PICK(FIRST));
        vb_chr(v, '.');
        vb_str(v, PICK(LAST));
        if (chance(500))
            vb_uint(v, 1950 + rnd(60));
        break;
    }
    if (pct && chance(400))
        at = "%40";
    vb_str(v, at);
    vb_str(v, PICK(DOMAINS));
}

/* Digits grouped by `groups` (0-terminated) with separator sep (0 = none). */
static void vb_grouped(struct vb *v, const char *digits, const int *groups, const char *sep)
{
    size_t k = 0;
    for (int i = 0; groups[i]; i++) {
        if (i)
            vb_str(v, sep);
        vb_mem(v, digits + k, (size_t)groups[i]);
        k += (size_t)groups[i];
    }
}

struct country {
    const char *cc;
    int g[6]; /* national number grouping, 0-terminated */
};

static const struct country PHONES[] = {
    {"44", {2, 4, 4}},    {"44", {4, 6}},       {"1", {3, 3, 4}},     {"33", {1, 2, 2, 2, 2}},
    {"39", {2, 4, 4}},    {"31", {2, 3, 4}},    {"43", {1, 3, 5}},    {"41", {2, 3, 2, 2}},
    {"34", {3, 2, 2, 2}}, {"48", {2, 3, 2, 2}}, {"46", {1, 3, 3, 2}}, {"353", {1, 3, 4}},
    {"61", {1, 4, 4}},    {"81", {2, 4, 4}},    {"420", {3, 3, 3}},   {"45", {2, 2, 2, 2}},
    {"352", {3, 3, 3}},   {"86", {3, 4, 4}}};

/* Would a dotted phone contain four dot-separated groups of 1-3 digits (an
 * IPv4 address to the IP engine, which runs before the rules)? */
static int dotted_quad_risk(const char *cc, const int *g)
{
    int run = strlen(cc) <= 3, best = run;
    for (int i = 0; g[i]; i++) {
        run = g[i] <= 3 ? run + 1 : 0;
        if (run > best)
            best = run;
    }
    return best >= 4;
}

/* An international number (not +49). query: as it appears in a URL. */
static void vb_phone_intl(struct vb *v, int query)
{
    const struct country *c = &PHONES[rnd(COUNT(PHONES))];
    struct vb d = {.n = 0};
    int total = 0;
    for (int i = 0; c->g[i]; i++)
        total += c->g[i];
    vb_chr(&d, (char)('1' + rnd(9)));
    vb_digits(&d, total - 1);
    static const char *const seps[] = {" ", " ", "-", ".", "/"};
    const char *sep = PICK(seps);
    if (!strcmp(sep, ".") && dotted_quad_risk(c->cc, c->g))
        sep = " ";
    if (query) {
        switch (rnd(3)) {
        case 0:
            vb_str(v, "%2B");
            vb_str(v, c->cc);
            vb_mem(v, d.b, d.n);
            return;
        case 1:
            vb_chr(v, '+');
            vb_str(v, c->cc);
            vb_mem(v, d.b, d.n);
            return;
        default:
            vb_str(v, "00");
            vb_str(v, c->cc);
            vb_chr(v, '-');
            vb_grouped(v, d.b, c->g, "-");
            return;
        }
    }
    switch (rnd(6)) {
    case 0: /* compact */
        vb_chr(v, '+');
        vb_str(v, c->cc);
        vb_mem(v, d.b, d.n);
        return;
    case 1: /* 00 form: separator after the country code */
        vb_str(v, "00");
        vb_str(v, c->cc);
        vb_str(v, strcmp(sep, "/") ? sep : " ");
        vb_grouped(v, d.b, c->g, strcmp(sep, "/") ? sep : " ");
        return;
    case 2: /* area code in parentheses: +1 (555) 010-4477 */
        vb_chr(v, '+');
        vb_str(v, c->cc);
        vb_str(v, " (");
        vb_mem(v, d.b, (size_t)c->g[0]);
        vb_str(v, ") ");
        {
            const int *rest = c->g + 1;
            size_t off = (size_t)c->g[0];
            for (int i = 0; rest[i]; i++) {
                if (i)
                    vb_chr(v, '-');
                vb_mem(v, d.b + off, (size_t)rest[i]);
                off += (size_t)rest[i];
            }
        }
        return;
    case 3: /* trunk zero in parentheses: +44 (0)20 7946 0321 */
        vb_chr(v, '+');
        vb_str(v, c->cc);
        vb_str(v, " (0)");
        vb_grouped(v, d.b, c->g, " ");
        return;
    default:
        vb_chr(v, '+');
        vb_str(v, c->cc);
        vb_str(v, sep);
        vb_grouped(v, d.b, c->g, sep);
        return;
    }
}

/* German national significant number: area code (without 0) and subscriber. */
static void de_number(struct vb *area, struct vb *sub)
{
    static const char *const areas[] = {"30",  "40",  "89",   "69",  "221", "211",
                                        "351", "341", "6221", "711", "151", "152",
                                        "160", "170", "171",  "176", "179", "1512"};
    const char *a = PICK(areas);
    vb_str(area, a);
    int mobile = a[0] == '1';
    vb_chr(sub, (char)('1' + rnd(9)));
    vb_digits(sub, mobile ? 6 + (int)rnd(2) : 5 + (int)rnd(3));
}

static void vb_phone_de_intl(struct vb *v, int query)
{
    struct vb a = {.n = 0}, s = {.n = 0};
    de_number(&a, &s);
    if (query) {
        vb_str(v, chance(500) ? "%2B49" : "+49");
        vb_mem(v, a.b, a.n);
        vb_mem(v, s.b, s.n);
        return;
    }
    /* prefix, area code, separator, subscriber, suffix */
    static const struct {
        const char *pre, *sep, *post;
    } forms[] = {
        {"+49 ", " ", ""},
        {"+49 (0)", " ", ""},
        {"0049 ", " ", "-0"}, /* 0049 89 1234567-0 */
        {"+49/", "/", ""},
        {"+49-", "-", ""},
        {"+49 0", " ", ""}, /* the mistaken trunk 0 */
        {"+49", "", ""},
    };
    unsigned k = rnd(COUNT(forms));
    vb_str(v, forms[k].pre);
    vb_mem(v, a.b, a.n);
    vb_str(v, forms[k].sep);
    vb_mem(v, s.b, s.n);
    vb_str(v, forms[k].post);
}

/* National form 0<area> <subscriber> in one of the ways people write it. */
static void vb_phone_de_national(struct vb *v, int query)
{
    struct vb a = {.n = 0}, s = {.n = 0};
    de_number(&a, &s);
    if (query) {
        vb_chr(v, '0');
        vb_mem(v, a.b, a.n);
        vb_chr(v, chance(500) ? '-' : '/');
        vb_mem(v, s.b, s.n);
        return;
    }
    switch (rnd(7)) {
    case 0:
        vb_str(v, "(0");
        vb_mem(v, a.b, a.n);
        vb_str(v, ") ");
        vb_mem(v, s.b, 3);
        vb_chr(v, ' ');
        vb_mem(v, s.b + 3, 2);
        vb_chr(v, ' ');
        vb_mem(v, s.b + 5, s.n - 5);
        break;
    case 1:
        vb_chr(v, '0');
        vb_mem(v, a.b, a.n);
        vb_str(v, " / ");
        vb_mem(v, s.b, 3);
        vb_chr(v, ' ');
        vb_mem(v, s.b + 3, s.n - 3);
        break;
    case 2:
        vb_chr(v, '0');
        vb_mem(v, a.b, a.n);
        vb_chr(v, '/');
        vb_mem(v, s.b, s.n);
        vb_str(v, "-0");
        break;
    case 3:
        vb_chr(v, '0');
        vb_mem(v, a.b, a.n);
        vb_mem(v, s.b, s.n);
        break;
    case 4:
        vb_chr(v, '0');
        vb_mem(v, a.b, a.n);
        vb_chr(v, '-');
        vb_mem(v, s.b, s.n);
        break;
    default:
        vb_chr(v, '0');
        vb_mem(v, a.b, a.n);
        vb_chr(v, ' ');
        vb_mem(v, s.b, s.n);
        break;
    }
}

/* Card digits that pass Luhn for a real issuer prefix; len in *n. */
static void card_digits(char *d, size_t *n, int *brand)
{
    static const struct {
        const char *prefix;
        int len;
    } B[] = {{"4", 16},    {"4", 16},    {"4", 13},    {"4", 19},    {"51", 16}, {"53", 16},
             {"55", 16},   {"2221", 16}, {"2720", 16}, {"34", 15},   {"37", 15}, {"6011", 16},
             {"65", 16},   {"644", 16},  {"649", 16},  {"6011", 19}, {"36", 14}, {"3528", 16},
             {"3589", 16}, {"6759", 18}, {"5018", 17}, {"6304", 19}};
    for (;;) {
        unsigned b = rnd(COUNT(B));
        size_t pl = strlen(B[b].prefix);
        memcpy(d, B[b].prefix, pl);
        for (size_t i = pl; i < (size_t)B[b].len - 1; i++)
            d[i] = DIG[rnd(10)];
        d[B[b].len - 1] = luhn_digit(d, (size_t)B[b].len - 1);
        *n = (size_t)B[b].len;
        *brand = (int)b;
        int same = 1;
        for (size_t i = 1; i < *n; i++)
            same &= d[i] == d[0];
        if (!same)
            return;
    }
}

static void vb_card(struct vb *v, int query)
{
    char d[24];
    size_t n;
    int brand;
    card_digits(d, &n, &brand);
    int style = query ? (int)rnd(2) * 2 : (int)rnd(3); /* 0 compact, 1 space, 2 dash */
    const char *sep = style == 1 ? " " : "-";
    static const int g16[] = {4, 4, 4, 4, 0}, g15[] = {4, 6, 5, 0}, g14[] = {4, 6, 4, 0},
                     g19[] = {4, 4, 4, 4, 3, 0};
    const int *g = n == 16 ? g16 : n == 15 ? g15 : n == 14 ? g14 : n == 19 ? g19 : NULL;
    if (style == 0 || !g)
        vb_mem(v, d, n);
    else
        vb_grouped(v, d, g, sep);
}

/* A 16-digit number with a card prefix that fails Luhn (order numbers). */
static void vb_order_no(struct vb *v)
{
    char d[16];
    d[0] = "3456"[rnd(4)];
    for (int i = 1; i < 15; i++)
        d[i] = DIG[rnd(10)];
    char good = luhn_digit(d, 15);
    d[15] = (char)('0' + ((good - '0') + 1 + rnd(9)) % 10);
    vb_mem(v, d, 16);
}

struct ibanfmt {
    const char *cc;
    const char *bban; /* n digit, a letter, c letter or digit */
};

static const struct ibanfmt IBANS[] = {
    {"DE", "nnnnnnnnnnnnnnnnnn"},       {"DE", "nnnnnnnnnnnnnnnnnn"},
    {"AT", "nnnnnnnnnnnnnnnn"},         {"CH", "nnnnncccccccccccc"},
    {"GB", "aaaannnnnnnnnnnnnn"},       {"FR", "nnnnnnnnnnccccccccccnnn"},
    {"NL", "aaaannnnnnnnnn"},           {"BE", "nnnnnnnnnnnn"},
    {"ES", "nnnnnnnnnnnnnnnnnnnn"},     {"IT", "annnnnnnnnncccccccccccc"},
    {"PL", "nnnnnnnnnnnnnnnnnnnnnnnn"}, {"NO", "nnnnnnnnnnn"},
    {"LU", "nnnccccccccccccc"},         {"IE", "aaaannnnnnnnnnnnnn"},
    {"DK", "nnnnnnnnnnnnnn"},           {"SE", "nnnnnnnnnnnnnnnnnnnn"},
    {"FI", "nnnnnnnnnnnnnn"},           {"PT", "nnnnnnnnnnnnnnnnnnnnn"}};

/* Does any 4-4-4-4 run of digit groups in a grouped IBAN look like a card
 * (issuer prefix, passes Luhn)? card-number runs before iban and would take
 * it; a decoy must not be such a number by accident. */
static int grouped_card_risk(const char *s, size_t n)
{
    for (size_t i = 0; i + 19 <= n; i++) {
        if (i && s[i - 1] != ' ')
            continue;
        char d[16];
        int ok = 1;
        for (int g = 0; g < 4 && ok; g++) {
            for (int k = 0; k < 4; k++) {
                char c = s[i + (size_t)g * 5 + (size_t)k];
                ok &= c >= '0' && c <= '9';
                d[g * 4 + k] = c;
            }
            if (g < 3)
                ok &= s[i + (size_t)g * 5 + 4] == ' ';
        }
        if (!ok)
            continue;
        int pre = (d[0] == '2' && d[1] >= '2' && d[1] <= '7') || (d[0] >= '3' && d[0] <= '6');
        if (pre && luhn_ok(d, 16))
            return 1;
    }
    return 0;
}

/* IBAN, good = right check digits. Styles: compact, lower-case compact,
 * groups of four. query: compact only. */
static void vb_iban(struct vb *v, int good, int query)
{
    for (;;) {
        const struct ibanfmt *f = &IBANS[rnd(COUNT(IBANS))];
        char bban[40];
        size_t n = strlen(f->bban);
        for (size_t i = 0; i < n; i++) {
            char t = f->bban[i];
            if (t == 'n')
                bban[i] = DIG[rnd(10)];
            else if (t == 'a')
                bban[i] = (char)('A' + rnd(26));
            else
                bban[i] = chance(700) ? DIG[rnd(10)] : (char)('A' + rnd(26));
        }
        bban[n] = '\0';
        unsigned check = 98 - iban_mod(f->cc, bban, "00");
        if (!good) {
            check = (check + 1 + rnd(90)) % 97;
            if (check < 2)
                check += 2;
        }
        char full[48];
        snprintf(full, sizeof full, "%s%02u%s", f->cc, check, bban);
        int style = query ? (int)rnd(2) : (int)rnd(4);
        struct vb t = {.n = 0};
        if (style == 1) {
            for (const char *p = full; *p; p++)
                vb_chr(&t, (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p);
        } else if (style >= 2) {
            for (size_t i = 0; full[i]; i++) {
                if (i && i % 4 == 0)
                    vb_chr(&t, ' ');
                vb_chr(&t, full[i]);
            }
        } else {
            vb_str(&t, full);
        }
        if (!good && grouped_card_risk(t.b, t.n))
            continue;
        vb_mem(v, t.b, t.n);
        return;
    }
}

static void vb_steuer(struct vb *v, int good, int spaced)
{
    char d[12];
    steuer_body(d);
    d[10] = steuer_digit(d);
    if (!good)
        d[10] = (char)('0' + ((d[10] - '0') + 1 + rnd(9)) % 10);
    d[11] = '\0';
    if (spaced) {
        static const int g[] = {2, 3, 3, 3, 0};
        vb_grouped(v, d, g, " ");
    } else {
        vb_mem(v, d, 11);
    }
}

static void vb_mac(struct vb *v, int *cisco)
{
    static const char *const ouis[] = {"001a2b", "a45e60", "f01898", "3c22fb",
                                       "b827eb", "dca632", "0050c2", "e4b97a"};
    char h[13];
    memcpy(h, PICK(ouis), 6);
    for (;;) {
        for (int i = 6; i < 12; i++)
            h[i] = HEX[rnd(16)];
        if (memcmp(h + 6, "000000", 6) && memcmp(h + 6, "ffffff", 6))
            break;
    }
    h[12] = '\0';
    int upper = chance(400);
    if (upper)
        for (int i = 0; i < 12; i++)
            if (h[i] >= 'a')
                h[i] = (char)(h[i] - 'a' + 'A');
    *cisco = chance(150);
    if (*cisco) {
        for (int i = 0; i < 12; i++) {
            if (i && i % 4 == 0)
                vb_chr(v, '.');
            vb_chr(v, h[i]);
        }
        return;
    }
    char sep = chance(300) ? '-' : ':';
    for (int i = 0; i < 12; i += 2) {
        if (i)
            vb_chr(v, sep);
        vb_mem(v, h + i, 2);
    }
}

static void vb_password(struct vb *v)
{
    static const char *const words[] = {"hunter",  "Sommer", "passw0rd", "Geheim",
                                        "letmein", "dragon", "Winter",   "qwerty"};
    if (chance(400)) {
        vb_str(v, PICK(words));
        vb_uint(v, 10 + rnd(9990));
        vb_chr(v, "!*$._"[rnd(5)]);
    } else {
        vb_mixed(v, PWCHARS, 10 + (int)rnd(14));
    }
}

static void vb_token(struct vb *v)
{
    switch (rnd(3)) {
    case 0:
        vb_str(v, "ya29.");
        vb_mixed(v, B64URL, 30 + (int)rnd(40));
        break;
    case 1:
        vb_mixed(v, ALNUM, 32 + (int)rnd(16));
        break;
    default:
        vb_mixed(v, B64URL, 20 + (int)rnd(30));
        break;
    }
}

static void vb_jwt(struct vb *v)
{
    static const char *const hdrs[] = {"{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
                                       "{\"alg\":\"RS256\",\"kid\":\"k1\",\"typ\":\"JWT\"}",
                                       "{\"alg\":\"ES256\"}", "{\"alg\":\"none\"}"};
    const char *h = PICK(hdrs);
    char p[160];
    unsigned sub = rnd(100000);
    const char *name = PICK(FIRST);
    unsigned iat = 1714000000u + rnd(999999);
    int pl = snprintf(p, sizeof p, "{\"sub\":\"u-%u\",\"name\":\"%s\",\"iat\":%u}", sub, name, iat);
    vb_base64(v, (const unsigned char *)h, strlen(h), B64URL, 0);
    vb_chr(v, '.');
    vb_base64(v, (const unsigned char *)p, (size_t)pl, B64URL, 0);
    vb_chr(v, '.');
    if (strstr(h, "none") == NULL)
        vb_from(v, B64URL, strstr(h, "HS256") ? 43 : 86);
}

static void vb_basic(struct vb *v)
{
    struct vb up = {.n = 0};
    vb_str(&up, PICK(FIRST));
    vb_chr(&up, ':');
    vb_password(&up);
    vb_base64(v, (const unsigned char *)up.b, up.n, B64STD, 1);
}

/* ---- fragments: one planted value with its context ------------------------------- */

static const char *const HOSTS[] = {"files.example.com", "db.internal",     "cache.internal",
                                    "mq.example.net",    "ftp.example.org", "repo.example.com"};

/* A home-directory path holding user name u; ctx decides the escaping. */
static void home_path(int ctx)
{
    struct vb u = {.n = 0};
    static const char *const tails[] = {"app/views.py",         ".config/app/settings.toml",
                                        "dev/app/index.js",     "projects/api/main.go",
                                        "Downloads/report.pdf", ".cache/pip/log.txt"};
    static const char *const wtails[] = {"AppData\\Local\\app\\config.json", "Desktop\\report.docx",
                                         "Documents\\invoice.xlsx",
                                         "AppData\\Roaming\\app\\app.log"};
    if (ctx == C_QUERY) {
        vb_username(&u);
        switch (rnd(3)) {
        case 0:
            frag("f=C%3A%5CUsers%5C", K_HOME_USER, &u, "%5Creport.pdf");
            break;
        case 1:
            frag("path=%2Fhome%2F", K_HOME_USER, &u, "%2F.bashrc");
            break;
        default:
            frag("file=%2FUsers%2F", K_HOME_USER, &u, "%2FDesktop%2Fa.txt");
            break;
        }
        return;
    }
    int form = (int)rnd(7);
    if (form >= 3)
        vb_winuser(&u);
    else
        vb_username(&u);
    const char *tail = PICK(tails);
    if (ctx == C_JSON) {
        puts_("\"filename\":\"");
        switch (form) {
        case 0:
            frag("/home/", K_HOME_USER, &u, "/");
            puts_(tail);
            break;
        case 1:
            frag("\\/home\\/", K_HOME_USER, &u, "\\/");
            puts_(tail);
            break;
        case 2:
            frag("/Users/", K_HOME_USER, &u, "/");
            puts_(tail);
            break;
        default: {
            frag(chance(500) ? "C:\\\\Users\\\\" : "D:\\\\Users\\\\", K_HOME_USER, &u, "\\\\");
            for (const char *p = PICK(wtails); *p; p++) {
                if (*p == '\\')
                    putc_('\\');
                putc_(*p);
            }
            break;
        }
        }
        putc_('"');
        return;
    }
    switch (form) {
    case 0:
        frag(chance(300) ? "/var/home/" : "/home/", K_HOME_USER, &u, "/");
        puts_(tail);
        break;
    case 1:
        frag("file:///home/", K_HOME_USER, &u, "/");
        puts_(tail);
        break;
    case 2:
        frag("/Users/", K_HOME_USER, &u, "/");
        puts_(tail);
        break;
    case 3:
        frag("c:/users/", K_HOME_USER, &u, "/");
        puts_("app/x.js");
        break;
    case 4:
        frag("C:\\Documents and Settings\\", K_HOME_USER, &u, "\\");
        puts_("app.ini");
        break;
    default:
        frag("C:\\Users\\", K_HOME_USER, &u, "\\");
        puts_(PICK(wtails));
        break;
    }
}

/* Emits one planted value of kind k in context ctx (with its key or context
 * word). Returns 0 when k has no natural form in ctx (nothing written). */
static int pii_frag(int k, int ctx)
{
    struct vb v = {.n = 0};
    const int q = ctx == C_QUERY, j = ctx == C_JSON;
    switch (k) {
    case K_EMAIL: {
        static const char *const tk[] = {"user=", "from=", "login ok user=", "to=<"};
        vb_email(&v, q);
        if (q)
            frag(chance(500) ? "email=" : "subscriber=", k, &v, "");
        else if (j)
            frag(chance(500) ? "\"email\":\"" : "\"contact\":\"", k, &v, "\"");
        else {
            const char *pre = PICK(tk);
            frag(pre, k, &v, pre[strlen(pre) - 1] == '<' ? ">," : "");
        }
        return 1;
    }
    case K_PHONE_INTL:
        vb_phone_intl(&v, q);
        if (q)
            frag(chance(500) ? "to=" : "phone=", k, &v, "");
        else if (j)
            frag("\"phone\":\"", k, &v, "\"");
        else
            frag(chance(500) ? "call from " : "callback=", k, &v, ";");
        return 1;
    case K_PHONE_DE_INTL:
        vb_phone_de_intl(&v, q);
        if (q)
            frag("to=", k, &v, "");
        else if (j)
            frag("\"tel\":\"", k, &v, "\"");
        else
            frag(chance(500) ? "Rueckruf an " : "sms to ", k, &v, ",");
        return 1;
    case K_PHONE_DE_NATIONAL: {
        static const char *const qk[] = {"mobil=", "tel=", "telefon=", "fax=", "phone="};
        static const char *const jk[] = {"\"telefon\":\"", "\"phone\":\"", "\"mobil\":\"",
                                         "\"fax\":\"", "\"handy\":\""};
        static const char *const tk[] = {
            "Tel.: ",     "Tel: ",         "Telefon: ", "Mobil: ",     "Handynummer: ", "Fax ",
            "Tel.-Nr.: ", "phone_number=", "Festnetz ", "Rufnummer: ", "mobile=",       "Handy "};
        vb_phone_de_national(&v, q);
        if (q)
            frag(PICK(qk), k, &v, "");
        else if (j)
            frag(PICK(jk), k, &v, "\"");
        else
            frag(PICK(tk), k, &v, ",");
        return 1;
    }
    case K_CARD: {
        static const char *const tk[] = {"card=", "cc: ", "pan=", "payment card ", "card number "};
        vb_card(&v, q);
        if (q)
            frag(chance(500) ? "card=" : "cc_number=", k, &v, "");
        else if (j)
            frag(chance(500) ? "\"pan\":\"" : "\"card_number\":\"", k, &v, "\"");
        else
            frag(PICK(tk), k, &v, chance(300) ? " exp 12/27" : "");
        return 1;
    }
    case K_IBAN:
        vb_iban(&v, 1, q);
        if (q)
            frag("iban=", k, &v, "");
        else if (j)
            frag("\"iban\":\"", k, &v, "\"");
        else
            frag(chance(500) ? "IBAN: " : "payee ", k, &v, ";");
        return 1;
    case K_URL_CRED: {
        static const char *const sch[] = {"https", "http", "ftp",     "postgres", "mysql",
                                          "redis", "amqp", "mongodb", "smtp"};
        const char *s = PICK(sch);
        int form = (int)rnd(5); /* 0-2 user:pass, 3 :token, 4 user only */
        if (form < 3 || form == 4) {
            vb_str(&v, PICK(FIRST));
            if (chance(500)) {
                vb_chr(&v, '_');
                vb_str(&v, PICK(LAST));
            }
        }
        if (form != 4) {
            vb_chr(&v, ':');
            vb_password(&v);
        }
        const char *host = PICK(HOSTS);
        if (j) {
            puts_("\"url\":\"");
            puts_(s);
            puts_(":\\/\\/");
            plantv(k, &v);
            putc_('@');
            puts_(host);
            puts_("\\/x\"");
        } else {
            puts_(q ? "src=" : chance(500) ? "connecting to " : "dsn=");
            puts_(s);
            puts_("://");
            plantv(k, &v);
            putc_('@');
            puts_(host);
            puts_("/data");
        }
        return 1;
    }
    case K_HOME_USER:
        home_path(ctx);
        return 1;
    case K_MAC: {
        int cisco;
        vb_mac(&v, &cisco);
        if (q)
            frag("mac=", k, &v, "");
        else if (j)
            frag("\"mac\":\"", k, &v, "\"");
        else if (cisco)
            frag("%PORT_SECURITY-2-PSECURE_VIOLATION: address ", k, &v, " on port Gi1/0/7");
        else if (chance(500))
            frag("DHCPACK on 10.0.0.17 to ", k, &v, " (laptop) via eth0");
        else
            frag("wlan0: STA ", k, &v, " associated");
        return 1;
    }
    case K_AUTH_HEADER: {
        int form = (int)rnd(q ? 1 : 4);
        if (form == 1)
            vb_basic(&v);
        else if (form == 3)
            vb_from(&v, HEX, 32);
        else
            vb_token(&v);
        if (q) {
            frag("authorization=Bearer%20", k, &v, "");
        } else if (j) {
            static const char *const jp[] = {
                "\"Authorization\":\"Bearer ", "\"Authorization\":\"Basic ",
                "\"Authorization\":\"Token ",
                "\"Authorization\":\"Digest username=\\\"x\\\", response=\\\""};
            frag(jp[form], k, &v, form == 3 ? "\\\"\"" : "\"");
        } else {
            static const char *const tp[] = {
                "Authorization: Bearer ", "Authorization: Basic ", "Proxy-Authorization: Basic ",
                "Authorization: Digest username=\"alice\", realm=\"api\", uri=\"/x\", response=\""};
            frag(tp[form], k, &v, form == 3 ? "\"" : "");
        }
        return 1;
    }
    case K_BEARER:
        if (chance(300)) {
            vb_mixed(&v, B64STD, 24 + (int)rnd(20));
            vb_str(&v, "==");
        } else {
            vb_token(&v);
        }
        if (q)
            return 0;
        if (j)
            frag("\"hdr\":\"bearer ", k, &v, "\"");
        else
            frag("upstream call with Bearer ", k, &v, " failed");
        return 1;
    case K_JWT:
        vb_jwt(&v);
        if (q)
            frag(chance(500) ? "state=" : "assertion=", k, &v, "");
        else if (j)
            frag("\"hint\":\"", k, &v, "\"");
        else
            frag("rejected jwt ", k, &v, " from client");
        return 1;
    case K_AWS_KEY:
        vb_str(&v, chance(700) ? "AKIA" : "ASIA");
        vb_from(&v, UPNUM, 16);
        if (q)
            frag("AWSAccessKeyId=", k, &v, "");
        else if (j)
            frag("\"AccessKeyId\":\"", k, &v, "\"");
        else
            frag("aws_access_key_id=", k, &v, "");
        return 1;
    case K_GITHUB:
        if (chance(250)) {
            vb_str(&v, "github_pat_11");
            vb_from(&v, UPNUM, 20);
            vb_chr(&v, '_');
            vb_mixed(&v, ALNUM, 59);
        } else {
            vb_str(&v, "gh");
            vb_chr(&v, "pousr"[rnd(5)]);
            vb_chr(&v, '_');
            vb_mixed(&v, ALNUM, 36);
        }
        if (q)
            frag("gh_token=", k, &v, "");
        else if (j)
            frag("\"credential\":\"", k, &v, "\"");
        else
            frag("GITHUB_TOKEN=", k, &v, "");
        return 1;
    case K_GITLAB: {
        static const char *const pre[] = {"glpat-", "glptt-", "gldt-", "glrt-", "glcbt-"};
        vb_str(&v, PICK(pre));
        vb_mixed(&v, ALNUM, 20);
        if (q)
            frag("private_token=", k, &v, "");
        else if (j)
            frag("\"runner_token\":\"", k, &v, "\"");
        else
            frag("PRIVATE-TOKEN: ", k, &v, "");
        return 1;
    }
    case K_SLACK:
        vb_str(&v, "xox");
        vb_chr(&v, "bpa"[rnd(3)]);
        vb_chr(&v, '-');
        vb_digits(&v, 11);
        vb_chr(&v, '-');
        vb_digits(&v, 13);
        vb_chr(&v, '-');
        vb_mixed(&v, ALNUM, 24);
        if (q)
            frag("slack=", k, &v, "");
        else if (j)
            frag("\"slack_bot\":\"", k, &v, "\"");
        else
            frag("slack auth ", k, &v, " failed");
        return 1;
    case K_SLACK_HOOK:
        vb_chr(&v, 'T');
        vb_from(&v, UPNUM, 8);
        vb_str(&v, "/B");
        vb_from(&v, UPNUM, 10);
        vb_chr(&v, '/');
        vb_mixed(&v, ALNUM, 24);
        if (q)
            frag("hook=https://hooks.slack.com/services/", k, &v, "");
        else if (j)
            frag("\"webhook\":\"https://hooks.slack.com/services/", k, &v, "\"");
        else
            frag("POST https://hooks.slack.com/services/", k, &v, " -> 200");
        return 1;
    case K_STRIPE:
        if (chance(200)) {
            vb_str(&v, "whsec_");
            vb_mixed(&v, ALNUM, 32);
        } else {
            vb_str(&v, chance(700) ? "sk_" : "rk_");
            vb_str(&v, chance(500) ? "live_" : "test_");
            vb_mixed(&v, ALNUM, 24 + (int)rnd(76));
        }
        if (q)
            frag("stripe_key=", k, &v, "");
        else if (j)
            frag("\"restricted\":\"", k, &v, "\"");
        else
            frag("stripe key=", k, &v, " mode=live");
        return 1;
    case K_GOOGLE:
        vb_str(&v, "AIza");
        vb_mixed(&v, B64URL, 35);
        if (q)
            frag("key=", k, &v, "");
        else if (j)
            frag("\"mapsKey\":\"", k, &v, "\"");
        else
            frag("geocoder key ", k, &v, " rejected");
        return 1;
    case K_SECRET_PARAM: {
        static const char *const qk[] = {
            "password=", "token=",        "api_key=", "apikey=",        "session=",
            "sid=",      "access_token=", "passwd=",  "client_secret=", "refresh_token="};
        static const char *const jk[] = {"\"password\":\"",     "\"client_secret\":\"",
                                         "\"access_token\":\"", "\"refresh_token\":\"",
                                         "\"sessionid\":\"",    "\"api_key\":\"",
                                         "\"secret\":\""};
        static const char *const tk[] = {
            "password=", "token=",      "api_key=",        "session=",
            "sid=",      "--password=", "user[password]=", "X-Api-Key: ",
            "secret: ",  "Pwd=",        "passphrase => "};
        vb_password(&v);
        if (j && chance(300)) {
            vb_chr(&v, ' ');
            vb_mixed(&v, ALNUM, 6);
        }
        if (q)
            frag(PICK(qk), k, &v, "");
        else if (j)
            frag(PICK(jk), k, &v, "\"");
        else
            frag(PICK(tk), k, &v, "");
        return 1;
    }
    case K_COOKIE: {
        if (q)
            return 0;
        struct vb w = {.n = 0};
        vb_mixed(&v, ALNUM, 16 + (int)rnd(16));
        if (j) {
            frag("\"cookie\":\"lang=de; auth=", k, &v, "\"");
            return 1;
        }
        switch (rnd(3)) {
        case 0:
            vb_str(&w, "GA1.2.");
            vb_uint(&w, 1000000000u + rnd(999999999));
            vb_chr(&w, '.');
            vb_uint(&w, 1714000000u + rnd(999999));
            frag("Cookie: _ga=", k, &w, "; ");
            frag("sessionid=", k, &v, "; theme=dark");
            break;
        case 1:
            frag("Set-Cookie: sid=", k, &v, "; Path=/; HttpOnly; Secure; SameSite=Lax");
            break;
        default:
            vb_mixed(&w, ALNUM, 32);
            frag("cookie: csrftoken=", k, &w, ";");
            frag("remember_me=", k, &v, "");
            break;
        }
        return 1;
    }
    case K_OAUTH_CODE:
        if (chance(500)) {
            vb_str(&v, "4/0Aea");
            vb_mixed(&v, B64URL, 30 + (int)rnd(30));
        } else {
            vb_mixed(&v, ALNUM, 22);
        }
        if (q)
            frag("code=", k, &v, "&state=af0ifjsldkj");
        else if (j)
            frag("\"redirect\":\"https://app.example.com/cb?code=", k, &v, "&state=xyz\"");
        else
            frag("redirect https://app.example.com/cb#state=xyz&code=", k, &v, "");
        return 1;
    case K_PEM: {
        if (q)
            return 0;
        static const char *const types[] = {"RSA ", "EC ", "OPENSSH ", "", "ENCRYPTED "};
        const char *t = PICK(types);
        vb_mixed(&v, B64STD, 64);
        if (j) {
            puts_("\"key\":\"-----BEGIN ");
            puts_(t);
            puts_("PRIVATE KEY-----\\n");
            plantv(k, &v);
            puts_("\\n");
            struct vb w = {.n = 0};
            vb_mixed(&w, B64STD, 24);
            putv(&w);
            puts_("==\\n-----END ");
            puts_(t);
            puts_("PRIVATE KEY-----\\n\"");
        } else {
            puts_("key=-----BEGIN ");
            puts_(t);
            puts_("PRIVATE KEY-----");
            plantv(k, &v);
            puts_("-----END ");
            puts_(t);
            puts_("PRIVATE KEY-----");
        }
        return 1;
    }
    case K_STEUER_ID: {
        static const char *const tk[] = {
            "steuer-id=", "Steuer-IdNr.: ", "Steueridentifikationsnummer: ",
            "IdNr ",      "Id.-Nr. ",       "tax id: ",
            "TIN="};
        vb_steuer(&v, 1, !q && !j && chance(300));
        if (q)
            frag("steuerid=", k, &v, "");
        else if (j)
            frag(chance(500) ? "\"tin\":\"" : "\"steuerId\":\"", k, &v, "\"");
        else
            frag(PICK(tk), k, &v, ";");
        return 1;
    }
    }
    return 0;
}

/* One decoy of kind k in context ctx; 0 when k has no form there. */
static int decoy_frag(int k, int ctx)
{
    struct vb v = {.n = 0};
    const int q = ctx == C_QUERY, j = ctx == C_JSON;
    const char *key = NULL; /* key name: query/text "key=", JSON "key":"..." */
    switch (k) {
    case D_UUID:
        vb_uuid(&v);
        key = q ? "id" : "request_id";
        break;
    case D_SHA1:
        vb_from(&v, HEX, 40);
        key = q ? "rev" : "commit";
        break;
    case D_SHA256:
        vb_from(&v, HEX, 64);
        key = q ? "checksum" : "sha256";
        break;
    case D_GITSHA:
        vb_from(&v, HEX, 7 + (int)rnd(6));
        key = "build";
        break;
    case D_VERSION: {
        static const char *const pre[] = {"", "v", "nginx/", "", "openssl-"};
        vb_str(&v, PICK(pre));
        vb_uint(&v, rnd(20));
        vb_chr(&v, '.');
        vb_uint(&v, rnd(30));
        vb_chr(&v, '.');
        vb_uint(&v, rnd(40));
        if (chance(200))
            vb_str(&v, "-rc.1");
        else if (chance(150)) {
            vb_chr(&v, '+');
            vb_uint(&v, 20240000000000ull + rnd(999999));
        }
        key = "version";
        break;
    }
    case D_ISO_TIME: {
        int64_t t = now_s - (int64_t)rnd(86400);
        unsigned ms = rnd(1000);
        vb_time(&v, t, ms, chance(500) ? T_ISO : T_ISO_OFS);
        key = q ? "since" : "created_at";
        break;
    }
    case D_EPOCH_S:
        vb_uint(&v, (uint64_t)now_s - rnd(100000));
        key = q ? "t" : "epoch";
        break;
    case D_EPOCH_MS: {
        uint64_t t = (uint64_t)now_s - rnd(100000);
        vb_uint(&v, t * 1000 + rnd(1000));
        key = q ? "_" : "ts_ms";
        break;
    }
    case D_DURATION:
        switch (rnd(4)) {
        case 0:
            vb_uint(&v, rnd(100000));
            vb_str(&v, "ms");
            break;
        case 1:
            vb_uint(&v, rnd(60));
            vb_chr(&v, '.');
            vb_2d(&v, rnd(100));
            vb_uint(&v, rnd(10));
            vb_chr(&v, 's');
            break;
        case 2:
            vb_uint(&v, 1 + rnd(59));
            vb_chr(&v, 'm');
            vb_uint(&v, rnd(60));
            vb_chr(&v, 's');
            break;
        default:
            vb_uint(&v, 1 + rnd(23));
            vb_chr(&v, 'h');
            vb_uint(&v, rnd(60));
            vb_chr(&v, 'm');
            vb_uint(&v, rnd(60));
            vb_chr(&v, 's');
            break;
        }
        key = q ? "timeout" : "took";
        break;
    case D_ORDER_NO:
        vb_order_no(&v);
        key = q ? "order" : "order_id";
        break;
    case D_NUM11: /* even a valid Steuer-ID: no context word, so it stays */
        vb_steuer(&v, chance(500), 0);
        key = q ? "ref" : "customer";
        break;
    case D_IBAN_BAD:
        vb_iban(&v, 0, q);
        key = "iban";
        break;
    case D_STEUER_BAD:
        vb_steuer(&v, 0, 0);
        key = q ? "steuerid" : "steuer-id";
        if (j)
            key = "tin";
        break;
    case D_ASSET: {
        static const char *const a[] = {"logo@2x.png",   "icon@3x.webp", "banner@1.5x.jpg",
                                        "sprite@2x.svg", "hero@2x.avif", "avatar@3x.png"};
        vb_str(&v, PICK(a));
        if (q) {
            frag("img=%2Fstatic%2F", k, &v, "");
            return 1;
        }
        key = "asset";
        break;
    }
    case D_PKG: {
        static const char *const a[] = {"pkg@1.2.3",      "lodash@4.17.21",
                                        "react@18.2.0",   "@scope/ui@2.0.0-beta.1",
                                        "left-pad@1.3.0", "express@4.19.2"};
        vb_str(&v, PICK(a));
        if (!q && !j) {
            frag("npm install ", k, &v, " done");
            return 1;
        }
        key = "pkg";
        break;
    }
    case D_GIT_REMOTE:
        vb_str(&v, "git@github.com:");
        vb_str(&v, PICK(LAST));
        vb_str(&v, "-org/");
        vb_str(&v, PICK(FIRST));
        vb_str(&v, "-svc.git");
        key = q ? "repo" : "remote";
        break;
    case D_PARAM_NAME: {
        static const char *const a[] = {"monkey=banana",        "tokenizer=bpe",
                                        "token_type=Bearer",    "passwords_count=3",
                                        "session_count=4",      "password_changed=true",
                                        "auth_method=password", "tokens=5",
                                        "sessions_active=12",   "api_keys_total=7"};
        const char *s = PICK(a);
        if (j) {
            const char *eq = strchr(s, '=');
            puts_("\"");
            struct vb w = {.n = 0};
            vb_mem(&w, s, (size_t)(eq - s));
            vb_str(&w, "\":\"");
            vb_str(&w, eq + 1);
            plantv(k, &w);
            puts_("\"");
            return 1;
        }
        plants(k, s);
        return 1;
    }
    case D_MSGID:
        if (q)
            return 0;
        vb_chr(&v, '<');
        vb_uint(&v, 20240501000000ull + rnd(999999));
        vb_chr(&v, '.');
        vb_from(&v, UPNUM, 10);
        vb_str(&v, "@mail.example.com>");
        if (j)
            frag("\"message-id\":\"", k, &v, "\"");
        else
            frag("message-id=", k, &v, "");
        return 1;
    case D_MAC_SPECIAL:
        if (q)
            return 0;
        if (chance(500)) {
            vb_str(&v, chance(500) ? "ff:ff:ff:ff:ff:ff" : "00:00:00:00:00:00");
            key = "dst";
        } else {
            for (int i = 0; i < 16; i++) {
                if (i)
                    vb_chr(&v, ':');
                vb_from(&v, HEX, 2);
            }
            key = "fingerprint";
        }
        break;
    case D_AWS_ROLE:
        vb_str(&v, chance(500) ? "AROA" : "AIDA");
        vb_from(&v, UPNUM, 16);
        key = "RoleId";
        break;
    case D_STRIPE_PK:
        vb_str(&v, "pk_live_");
        vb_mixed(&v, ALNUM, 24);
        key = "publishableKey";
        break;
    case D_STATUS_CODE:
        if (!q)
            return 0;
        vb_str(&v, "code=");
        vb_uint(&v, 400 + rnd(104));
        plantv(k, &v);
        return 1;
    case D_URL_PATH: {
        static const char *const a[] = {"/api/users/1234/profile", "/users/42/settings",
                                        "https://example.com/home/kim", "/opt/app/home/cfg"};
        if (q)
            return 0;
        vb_str(&v, PICK(a));
        key = "route";
        break;
    }
    case D_PROSE: {
        static const char *const a[] = {"supports Bearer or Basic auth",
                                        "authorization failed for request 42",
                                        "cookie consent accepted",
                                        "token expired",
                                        "session timed out",
                                        "password policy updated"};
        if (q || j)
            return 0;
        plants(k, PICK(a));
        return 1;
    }
    default:
        return 0;
    }
    if (j) {
        puts_("\"");
        puts_(key);
        puts_("\":\"");
        plantv(k, &v);
        puts_("\"");
    } else {
        puts_(key);
        putc_('=');
        plantv(k, &v);
    }
    return 1;
}

/* ---- lines ------------------------------------------------------------------------ */

enum mode { M_PLAIN, M_DECOY, M_PII };

/* Fragments for one line: PII kinds chosen uniformly, decoys likewise. */
static void frags(int mode, int ctx, const char *sep, int *first)
{
    int npii = 0;
    if (mode == M_PII) {
        npii = 1 + chance(350);
        npii += chance(100);
    }
    int ndec = mode == M_DECOY ? 1 + (int)rnd(3) : mode == M_PII ? (int)rnd(2) : 0;
    while (npii || ndec) {
        int pii = npii && (!ndec || chance(600));
        if (!*first)
            puts_(sep);
        int done = 0;
        while (!done) {
            if (pii)
                done = pii_frag((int)rnd(K_NPII), ctx);
            else
                done = decoy_frag(K_NPII + (int)rnd(K_NKINDS - K_NPII), ctx);
        }
        *first = 0;
        if (pii)
            npii--;
        else
            ndec--;
    }
}

static void put_ipv4(void)
{
    unsigned a;
    do {
        a = 11 + rnd(212);
    } while (a == 127 || a == 169 || a == 172 || a == 192 || a == 100);
    putu(a);
    putc_('.');
    putu(rnd(256));
    putc_('.');
    putu(rnd(256));
    putc_('.');
    putu(1 + rnd(254));
}

static void line_nginx(int mode)
{
    static const char *const paths[] = {
        "/search",       "/api/v1/users/me",       "/account/verify",
        "/checkout/pay", "/oauth/callback",        "/s3/download",
        "/subscribe",    "/maps/api/geocode/json", "/login",
        "/cb",           "/unsubscribe",           "/track"};
    static const char *const uas[] = {
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.4 Safari/605.1.15",
        "curl/8.5.0", "python-requests/2.31.0", "okhttp/4.12.0"};
    struct vb t = {.n = 0};
    if (chance(800)) {
        put_ipv4();
    } else {
        puts_("2001:db8:");
        putu(rnd(10));
        puts_("::");
        putu(1 + rnd(9));
    }
    puts_(" - - [");
    vb_time(&t, now_s, 0, T_CLF);
    putv(&t);
    puts_("] \"");
    puts_(chance(850) ? "GET " : "POST ");
    if (mode == M_DECOY && chance(150)) {
        if (chance(500))
            plants(D_ASSET, chance(500) ? "/img/logo@2x.png" : "/static/icon@3x.webp");
        else
            plants(D_URL_PATH, chance(500) ? "/home/about" : "/home/kim/blog");
    } else {
        puts_(PICK(paths));
    }
    putc_('?');
    int first = 1;
    int refpii = mode == M_PII && chance(250);
    if (mode == M_PLAIN || refpii || chance(500)) {
        puts_("page=");
        putu(1 + rnd(20));
        first = 0;
    }
    frags(refpii ? M_PLAIN : mode, C_QUERY, "&", &first);
    puts_(" HTTP/1.1\" ");
    putu(chance(900) ? 200 : 302);
    putc_(' ');
    putu(100 + rnd(50000));
    puts_(" \"");
    if (refpii) {
        puts_("https://www.example.com/account?");
        first = 1;
        frags(M_PII, C_QUERY, "&", &first);
    } else if (chance(500)) {
        puts_("https://www.example.com/");
    } else {
        putc_('-');
    }
    puts_("\" \"");
    puts_(PICK(uas));
    putc_('"');
}

static void line_json(int mode)
{
    static const char *const msgs[] = {
        "user signed up",    "login ok",       "payment authorized",   "profile updated",
        "webhook delivered", "request failed", "sending notification", "token refreshed"};
    static const char *const levels[] = {"info", "info", "warn", "error", "debug"};
    struct vb t = {.n = 0};
    vb_time(&t, now_s, now_ms, T_ISO);
    puts_("{\"ts\":\"");
    putv(&t);
    puts_("\",\"level\":\"");
    puts_(PICK(levels));
    puts_("\",\"logger\":\"app.");
    puts_(chance(500) ? "auth" : "billing");
    puts_("\",\"msg\":\"");
    puts_(PICK(msgs));
    putc_('"');
    int first = 0;
    frags(mode, C_JSON, ",", &first);
    puts_(",\"duration_ms\":");
    putu(rnd(5000));
    putc_('}');
}

static void line_syslog(int mode)
{
    static const char *const hosts[] = {"web-01", "web-02", "api-3", "worker-7", "gw"};
    static const char *const apps[] = {"app", "billing", "authd", "mailer", "dhcpd", "hostapd"};
    static const char *const msgs[] = {"request",  "login ok",      "payment",   "callback",
                                       "retrying", "config loaded", "debug dump"};
    struct vb t = {.n = 0};
    vb_time(&t, now_s, 0, T_SYSLOG);
    putv(&t);
    putc_(' ');
    puts_(PICK(hosts));
    putc_(' ');
    puts_(PICK(apps));
    putc_('[');
    putu(100 + rnd(60000));
    puts_("]: ");
    if (mode == M_PII && chance(60)) {
        /* A PEM body logged line by line: only the base64 run. */
        struct vb v = {.n = 0};
        vb_mixed(&v, B64STD, 64);
        plantv(K_PEM, &v);
        return;
    }
    puts_(PICK(msgs));
    int first = 0;
    frags(mode, C_TEXT, " ", &first);
}

static void line_sentry(int mode)
{
    static const char *const exc[] = {"ValueError", "KeyError", "TypeError", "FileNotFoundError",
                                      "RuntimeError"};
    struct vb t = {.n = 0};
    vb_time(&t, now_s, now_ms, T_PY);
    putv(&t);
    puts_(" ERROR [sentry] event_id=");
    struct vb e = {.n = 0};
    vb_from(&e, HEX, 32);
    putv(&e);
    putc_(' ');
    puts_(PICK(exc));
    puts_(": ");
    int first = 1;
    if (mode == M_PII && chance(500)) {
        /* the classic: a file path with the user name in a stack frame */
        puts_(chance(500) ? "in handler at File \"" : "at Object.<anonymous> (");
        home_path(C_TEXT);
        puts_(chance(500) ? "\", line " : ":");
        putu(1 + rnd(900));
        if (chance(500)) {
            puts_(" context: ");
            frags(M_PII, C_TEXT, " ", &first);
        }
        return;
    }
    if (mode == M_PII && chance(300)) {
        puts_("{\"exception\":{\"type\":\"");
        puts_(PICK(exc));
        puts_("\"},\"frames\":[{");
        home_path(C_JSON);
        puts_(",\"lineno\":");
        putu(1 + rnd(900));
        puts_("}]}");
        return;
    }
    puts_("unhandled exception while processing ");
    frags(mode, C_TEXT, " ", &first);
    if (first)
        puts_("job");
}

/* Count of occurrences (overlapping) of s[0..n) in the line. */
static int occurrences(const char *s, size_t n)
{
    int c = 0;
    for (size_t i = 0; i + n <= ll; i++)
        if (line[i] == s[0] && memcmp(line + i, s, n) == 0)
            c++;
    return c;
}

static void write_label(FILE *f, unsigned long lineno, const struct lab *l)
{
    fprintf(f, "%lu\t%s\t%s\t", lineno, kind_name[l->kind], l->kind < K_NPII ? "pii" : "decoy");
    for (size_t i = 0; i < l->len; i++) {
        unsigned char c = (unsigned char)line[l->off + i];
        if (c == '\\')
            fputs("\\\\", f);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f);
    }
    fputc('\n', f);
}

static void usage(void)
{
    fputs("usage: gen-pii [-n LINES] [-s SEED] [-l LABELS]\n", stderr);
    exit(64);
}

static unsigned long parse_num(const char *s)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        usage();
    return v;
}

int main(int argc, char **argv)
{
    unsigned long lines = 10000, seed = 1;
    const char *labfile = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc)
            lines = parse_num(argv[++i]);
        else if (!strcmp(argv[i], "-s") && i + 1 < argc)
            seed = parse_num(argv[++i]);
        else if (!strcmp(argv[i], "-l") && i + 1 < argc)
            labfile = argv[++i];
        else
            usage();
    }
    FILE *lf = NULL;
    if (labfile && !(lf = fopen(labfile, "w"))) {
        fprintf(stderr, "gen-pii: %s: %s\n", labfile, strerror(errno));
        return 73;
    }
    rng_state = seed * 0x2545f4914f6cdd1dULL + 0x5eed;
    static char obuf[1 << 16];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    now_s = 1714521600; /* 2024-05-01T00:00:00Z */
    for (unsigned long n = 1; n <= lines; n++) {
        now_s += rnd(3);
        now_ms = rnd(1000);
        int tries = 0;
        for (;;) {
            ll = 0;
            nlab = 0;
            line_bad = 0;
            unsigned r = rnd(100);
            int mode = tries >= 50 ? M_PLAIN : r < 55 ? M_PII : r < 85 ? M_DECOY : M_PLAIN;
            switch (rnd(10)) {
            case 0:
            case 1:
            case 2:
                line_nginx(mode);
                break;
            case 3:
            case 4:
            case 5:
                line_json(mode);
                break;
            case 6:
            case 7:
                line_syslog(mode);
                break;
            default:
                line_sentry(mode);
                break;
            }
            int ok = !line_bad;
            for (int i = 0; ok && i < nlab; i++)
                ok = occurrences(line + lab_v[i].off, lab_v[i].len) == 1;
            if (ok)
                break;
            tries++;
        }
        line[ll++] = '\n';
        fwrite(line, 1, ll, stdout);
        if (lf)
            for (int i = 0; i < nlab; i++)
                write_label(lf, n, &lab_v[i]);
    }
    if (fflush(stdout) || ferror(stdout)) {
        fprintf(stderr, "gen-pii: write error: %s\n", strerror(errno));
        return 74;
    }
    if (lf && fclose(lf)) {
        fprintf(stderr, "gen-pii: %s: %s\n", labfile, strerror(errno));
        return 74;
    }
    return 0;
}
