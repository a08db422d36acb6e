/* embedded.c -- looking up the built-in policy and rule packs. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "core/embedded.h"

#include <string.h>

const embedded_file *embedded_find(const char *name, size_t len)
{
    for (const embedded_file *e = embedded_files; e->name; e++)
        if (strlen(e->name) == len && memcmp(e->name, name, len) == 0)
            return e;
    return NULL;
}
