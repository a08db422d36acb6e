/* policy.h -- the compiled policy, shared by the loader (policy.c) and the
 * scrubber (scrub.c).  Library-internal: callers see an opaque ls_policy.
 *
 * Everything here is written while the policy is loaded and configured, and
 * only read once a worker exists.
 */
#ifndef LS_POLICY_H
#define LS_POLICY_H

#include <stdatomic.h>

#include "formats/json.h"
#include "ip/ipaddr.h"
#include "logscrub.h"
#include "key/pseudonym.h"
#include "rules/rules.h"

/* Settings of the abuse section: parsed and validated here so the schema is
 * one; acted on by the abuse detectors. */
typedef struct abuse_settings {
    unsigned detectors;     /* bit per detector, see policy.c */
    uint64_t retain_default, retain_flood, retain_max; /* seconds; UINT64_MAX = never */
    bool retain_double;     /* repeat: double (else same) */
    char *retained_list;
    ipaddr *allow;          /* networks: address + prefix length in allow_len */
    unsigned *allow_len;
    size_t nallow;
} abuse_settings;

struct ls_policy {
    unsigned ipv4_prefix, ipv6_prefix;
    bool keep_private;
    bool ip_pseudonym;        /* ip.method: pseudonym */
    char *key_file;
    uint64_t rotate_seconds;
    pskey *key;              /* opened by ls_policy_open_key */
    bool minute_precision;    /* time.precision: minute */
    uint8_t format;           /* rec_format of every line, or FMT_AUTO */
    json_keyset sensitive;    /* json.sensitive_keys: values replaced whole */
    rule *rules;
    size_t nrules;
    struct pf_matcher *matcher; /* all rules' prefilter literals in one matcher */
    abuse_settings abuse;
    char **files;             /* names used in src_mark, owned here */
    size_t nfiles;
    char err[512];
    atomic_uint workers;      /* > 0: frozen */
};

/* Frees everything the loader attached to p (not p itself).  policy.c. */
void policy_free_contents(ls_policy *p);

#endif /* LS_POLICY_H */
