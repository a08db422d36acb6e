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

/* The policy's `fields:` section: what the format parsers' fields become
 * before the text path sees the line. */
enum user_action { USER_REPLACE = 0, USER_KEEP };
enum ua_action { UA_KEEP = 0, UA_GENERALISE, UA_DROP };
enum referrer_action { REF_KEEP = 0, REF_ORIGIN };
typedef struct field_actions {
    uint8_t remote_user; /* enum user_action: "[user]" (or a keyed token) by default */
    uint8_t user_agent;  /* enum ua_action */
    uint8_t referrer;    /* enum referrer_action */
    bool off;            /* --no-rules: addresses only, no field actions */
} field_actions;

/* The one part of a policy that changes while workers share it: how many
 * there are (> 0: frozen).  It lives in its own allocation, reached through
 * a plain pointer, so ls_worker_new(const ls_policy *) counts itself without
 * casting const away; const on a policy promises that its settings do not
 * change, and they do not. */
typedef struct policy_users {
    atomic_uint workers;
} policy_users;

struct ls_policy {
    unsigned ipv4_prefix, ipv6_prefix;
    bool keep_private;
    bool ip_pseudonym;        /* ip.method: pseudonym */
    char *key_file;
    uint64_t rotate_seconds;
    pskey *key;              /* opened by ls_policy_open_key or set by ls_policy_set_key */
    bool key_given;           /* key came from ls_policy_set_key: no file, no rotation */
    uint8_t time_precision;   /* time.precision: enum time_precision */
    field_actions fields;     /* fields: what happens to access-log fields */
    uint8_t format;           /* rec_format of every line, or FMT_AUTO */
    json_keyset sensitive;    /* json.sensitive_keys: values replaced whole */
    rule *rules;
    size_t nrules;
    struct pf_matcher *matcher; /* all rules' prefilter literals in one matcher */
    abuse_settings abuse;
    char **files;             /* names used in src_mark, owned here */
    size_t nfiles;
    char err[512];
    policy_users *users;
};

/* True once a worker uses p: its settings may no longer change. */
static inline bool policy_frozen(const ls_policy *p)
{
    return atomic_load(&p->users->workers) > 0;
}

/* Frees everything the loader attached to p (not p itself).  policy.c. */
void policy_free_contents(ls_policy *p);

#endif /* LS_POLICY_H */
