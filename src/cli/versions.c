/* versions.c -- --version: logscrub's version and those of the libraries it
 * runs with (as loaded, not as built), and whether PCRE2's JIT is on. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <sodium.h>
#include <stdio.h>
#include <yaml.h>
#include <zlib.h>

#include "cli/cli.h"
#include "logscrub.h"

void print_versions(FILE *f)
{
    char pcre[64] = "?";
    uint32_t jit = 0;
    pcre2_config(PCRE2_CONFIG_VERSION, pcre);
    pcre2_config(PCRE2_CONFIG_JIT, &jit);
    /* PCRE2 writes "10.42 2022-12-11": the version is the first word. */
    for (char *p = pcre; *p; p++)
        if (*p == ' ')
            *p = '\0';
    fprintf(f, "logscrub %s\n", ls_version());
    fprintf(f, "PCRE2 %s (JIT %s)\n", pcre, jit ? "on" : "off");
    fprintf(f, "zlib %s\n", zlibVersion());
    fprintf(f, "libyaml %s\n", yaml_get_version_string());
    fprintf(f, "libsodium %s\n", sodium_version_string());
}
