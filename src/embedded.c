/* embedded.c -- looking up the built-in policy and rule packs. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "embedded.h"

#include <string.h>

const ls_embedded_file *ls_embedded_find(const char *name, size_t len)
{
    for (const ls_embedded_file *e = ls_embedded_files; e->name; e++)
        if (strlen(e->name) == len && memcmp(e->name, name, len) == 0)
            return e;
    return NULL;
}
