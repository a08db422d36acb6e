/* useragent.h -- fields.user_agent: generalise, the user agent reduced to
 * browser family, major version and OS family ("Chrome/122 (Windows)"). */
#ifndef LS_USERAGENT_H
#define LS_USERAGENT_H

#include <stddef.h>

/* Longest text ua_generalise writes. */
#define UA_GENERAL_MAX 64

/* Writes the generalised form of the user agent ua[0, n) into out (at least
 * UA_GENERAL_MAX bytes) and returns its length:
 * - browsers: "FAMILY/MAJOR (OS)", FAMILY one of Edge, Opera, Firefox,
 *   Chrome, Safari (the first that the agent names, in that order, since
 *   Edge and Opera also say Chrome and Safari), OS one of Windows, Android,
 *   iOS, macOS, ChromeOS, Linux, or "(other)";
 * - bots and crawlers (a "bot", "crawl", "spider" or "slurp" in the text)
 *   and agents that do not start with "Mozilla/": their first product token
 *   ("Googlebot/2.1", "curl/8.5.0"), cut at 40 bytes;
 * - "-" and empty agents as they are ("-" for empty).
 * Nothing of the rest (build numbers, device models, locales) is kept.
 * This function can't fail. */
size_t ua_generalise(const char *ua, size_t n, char *out);

#endif /* LS_USERAGENT_H */
