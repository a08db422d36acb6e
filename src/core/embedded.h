/* embedded.h -- the shipped policy and rule packs, built into the binary
 * from the .yaml files under rules/ by tools/embed-rules.sh (Makefile.am). */
#ifndef LS_EMBEDDED_H
#define LS_EMBEDDED_H

#include <stddef.h>

typedef struct embedded_file {
    const char *name;          /* "pii", "default", ... (file name without .yaml) */
    const char *kind;          /* "pack" or "policy" */
    const char *path;          /* "rules/pii.yaml": where it lives in the source tree */
    const unsigned char *data; /* the file's bytes, not NUL-terminated */
    size_t len;
} embedded_file;

/* All embedded files; the list ends with an entry whose name is NULL. */
extern const embedded_file embedded_files[];

/* The embedded file called name[0, len), or NULL. */
const embedded_file *embedded_find(const char *name, size_t len);

#endif /* LS_EMBEDDED_H */
