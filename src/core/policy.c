/* policy.c -- loading a policy and its rule packs from YAML (libyaml's
 * document API), checking the schema strictly, and compiling the rules.
 *
 * Every problem is reported once, as "FILE:LINE:COL: what is wrong" with
 * 1-based positions, and loading stops there.  The schema is documented in
 * logscrub-policy(5); this file is its executable form, so the two change
 * together.  Rule packs named without a '/' come from the copies built into
 * the binary (the .yaml files under rules/, see embedded.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/embedded.h"
#include "core/policy.h"
#include "formats/detect.h"
#include "rules/prefilter.h"

/* One YAML document being read. */
typedef struct ydoc {
    ls_policy *p;
    yaml_document_t doc;
    const char *file; /* name in messages, owned by p->files */
    char *text;       /* the file's bytes (read from disk), or NULL */
} ydoc;

/* Loader state across the policy and its packs. */
typedef struct loader {
    ls_policy *p;
    rule *rules;
    size_t nrules, cap;
    size_t ncustom_first; /* index of the first custom rule */
} loader;

/* ---- messages ------------------------------------------------------------ */

static ls_status fail_at(ls_policy *p, const char *file, unsigned line, unsigned col,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static ls_status fail_node(ydoc *d, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static ls_status fail_at(ls_policy *p, const char *file, unsigned line, unsigned col,
                         const char *fmt, ...)
{
    int n = snprintf(p->err, sizeof p->err, "%s:%u:%u: ", file, line, col);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < sizeof p->err)
        vsnprintf(p->err + n, sizeof p->err - (size_t)n, fmt, ap);
    va_end(ap);
    return LS_ERR_CONFIG;
}

static ls_status fail_node(ydoc *d, const yaml_node_t *n, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fail_at(d->p, d->file, (unsigned)n->start_mark.line + 1,
                   (unsigned)n->start_mark.column + 1, "%s", msg);
}

static src_mark mark_of(const ydoc *d, const yaml_node_t *n)
{
    return (src_mark){d->file, (unsigned)n->start_mark.line + 1, (unsigned)n->start_mark.column + 1};
}

/* Keeps a copy of a file name for the policy's lifetime. */
static const char *intern(ls_policy *p, const char *name)
{
    for (size_t k = 0; k < p->nfiles; k++)
        if (strcmp(p->files[k], name) == 0)
            return p->files[k];
    char **f = realloc(p->files, (p->nfiles + 1) * sizeof *f);
    if (f == NULL)
        return NULL;
    p->files = f;
    if ((f[p->nfiles] = strdup(name)) == NULL)
        return NULL;
    return f[p->nfiles++];
}

/* ---- YAML plumbing -------------------------------------------------------- */

static yaml_node_t *node(ydoc *d, int index)
{
    return yaml_document_get_node(&d->doc, index);
}

static const char *type_name(const yaml_node_t *n)
{
    return n->type == YAML_MAPPING_NODE    ? "a mapping"
           : n->type == YAML_SEQUENCE_NODE ? "a list"
                                           : "a scalar";
}

static bool scalar_is(const yaml_node_t *n, const char *s)
{
    return n->type == YAML_SCALAR_NODE && n->data.scalar.length == strlen(s) &&
           memcmp(n->data.scalar.value, s, n->data.scalar.length) == 0;
}

/* Deepest nesting of mappings and lists a policy or pack may have.  The
 * schema needs 5 (rules.custom[].examples[].in); libyaml's scanner, given
 * no bound, takes time growing with the square of the depth (200 KB of
 * "[[[..." took over 30 s). */
#define MAX_DEPTH 64

/* Reports the first mapping or list nested deeper than MAX_DEPTH in
 * text[0, len), reading libyaml's events, which stop there long before the
 * scanner's cost grows.  A YAML error is left for parse_doc to report
 * (with the same parser it stops at the same place). */
static ls_status check_depth(ydoc *d, const char *text, size_t len)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return LS_ERR_NOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    ls_status rc = LS_OK;
    unsigned depth = 0;
    yaml_event_t ev;
    while (rc == LS_OK && yaml_parser_parse(&parser, &ev)) {
        yaml_event_type_t t = ev.type;
        if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
            if (++depth > MAX_DEPTH)
                rc = fail_at(d->p, d->file, (unsigned)ev.start_mark.line + 1,
                             (unsigned)ev.start_mark.column + 1,
                             "nesting deeper than %d levels", MAX_DEPTH);
        } else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) {
            depth--;
        }
        yaml_event_delete(&ev);
        if (t == YAML_STREAM_END_EVENT)
            break;
    }
    yaml_parser_delete(&parser);
    return rc;
}

/* Is text[0, len) one of the files built into the binary?  Those are
 * checked by `make check` and need no depth pass (a quarter of the default
 * policy's load time). */
static bool is_embedded(const char *text, size_t len)
{
    for (const embedded_file *e = embedded_files; e->name; e++)
        if (e->len == len && memcmp(e->data, text, len) == 0)
            return true;
    return false;
}

/* Parses the document in text[0, len).  A second document is an error. */
static ls_status parse_doc(ydoc *d, const char *text, size_t len)
{
    ls_status depth_rc = is_embedded(text, len) ? LS_OK : check_depth(d, text, len);
    if (depth_rc != LS_OK) {
        memset(&d->doc, 0, sizeof d->doc);
        return depth_rc;
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return LS_ERR_NOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    ls_status rc = LS_OK;
    if (!yaml_parser_load(&parser, &d->doc)) {
        /* libyaml's marks are 0-based. */
        yaml_mark_t m = parser.problem_mark;
        rc = fail_at(d->p, d->file, (unsigned)m.line + 1, (unsigned)m.column + 1, "%s%s%s",
                     parser.problem ? parser.problem : "YAML error",
                     parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        memset(&d->doc, 0, sizeof d->doc);
        return rc;
    }
    yaml_document_t extra;
    if (yaml_parser_load(&parser, &extra)) {
        yaml_node_t *root = yaml_document_get_root_node(&extra);
        if (root)
            rc = fail_at(d->p, d->file, (unsigned)root->start_mark.line + 1,
                         (unsigned)root->start_mark.column + 1,
                         "only one YAML document is allowed");
        yaml_document_delete(&extra);
    } else {
        yaml_mark_t m = parser.problem_mark;
        rc = fail_at(d->p, d->file, (unsigned)m.line + 1, (unsigned)m.column + 1,
                     "only one YAML document is allowed, and the next one is broken: %s",
                     parser.problem ? parser.problem : "YAML error");
    }
    yaml_parser_delete(&parser);
    return rc;
}

/* Iterates a mapping: checks every key is a scalar from `allowed` (a NULL-
 * terminated list), appears once, and stores each value node by key index
 * into vals (NULL when absent). */
static ls_status read_map(ydoc *d, yaml_node_t *map, const char *what,
                          const char *const *allowed, yaml_node_t **vals)
{
    if (map->type != YAML_MAPPING_NODE)
        return fail_node(d, map, "%s: expected a mapping, found %s", what, type_name(map));
    size_t nallowed = 0;
    while (allowed[nallowed])
        nallowed++;
    for (size_t k = 0; k < nallowed; k++)
        vals[k] = NULL;
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
         pr++) {
        yaml_node_t *key = node(d, pr->key), *val = node(d, pr->value);
        if (key->type != YAML_SCALAR_NODE)
            return fail_node(d, key, "%s: keys must be plain names", what);
        size_t k = 0;
        while (k < nallowed && !scalar_is(key, allowed[k]))
            k++;
        if (k == nallowed)
            return fail_node(d, key, "%s: unknown key \"%.*s\"", what,
                             (int)(key->data.scalar.length > 60 ? 60 : key->data.scalar.length),
                             (const char *)key->data.scalar.value);
        if (vals[k])
            return fail_node(d, key, "%s: duplicate key \"%s\"", what, allowed[k]);
        vals[k] = val;
    }
    return LS_OK;
}

static ls_status want_scalar(ydoc *d, yaml_node_t *n, const char *what)
{
    if (n->type != YAML_SCALAR_NODE)
        return fail_node(d, n, "%s: expected a value, found %s", what, type_name(n));
    return LS_OK;
}

/* A non-empty string value, copied. */
static ls_status get_string(ydoc *d, yaml_node_t *n, const char *what, char **out, size_t *len)
{
    ls_status rc = want_scalar(d, n, what);
    if (rc)
        return rc;
    size_t l = n->data.scalar.length;
    if (l == 0 && len == NULL)
        return fail_node(d, n, "%s: must not be empty", what);
    char *s = malloc(l + 1);
    if (s == NULL)
        return LS_ERR_NOMEM;
    memcpy(s, n->data.scalar.value, l);
    s[l] = '\0';
    free(*out);
    *out = s;
    if (len)
        *len = l;
    return LS_OK;
}

/* An unsigned decimal in [lo, hi], written plainly (not quoted). */
static ls_status get_uint(ydoc *d, yaml_node_t *n, const char *what, unsigned long lo,
                          unsigned long hi, unsigned long *out)
{
    ls_status rc = want_scalar(d, n, what);
    if (rc)
        return rc;
    const char *s = (const char *)n->data.scalar.value;
    size_t l = n->data.scalar.length;
    unsigned long v = 0;
    bool ok = l > 0 && l <= 9 && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    for (size_t k = 0; ok && k < l; k++) {
        ok = s[k] >= '0' && s[k] <= '9';
        v = v * 10 + (unsigned long)(s[k] - '0');
    }
    if (!ok || v < lo || v > hi)
        return fail_node(d, n, "%s: expected a number from %lu to %lu", what, lo, hi);
    *out = v;
    return LS_OK;
}

static ls_status get_bool(ydoc *d, yaml_node_t *n, const char *what, bool *out)
{
    ls_status rc = want_scalar(d, n, what);
    if (rc)
        return rc;
    if (scalar_is(n, "true"))
        *out = true;
    else if (scalar_is(n, "false"))
        *out = false;
    else
        return fail_node(d, n, "%s: expected true or false", what);
    return LS_OK;
}

/* One of the words in `choices` (NULL-terminated); stores its index. */
static ls_status get_choice(ydoc *d, yaml_node_t *n, const char *what,
                            const char *const *choices, unsigned *out)
{
    ls_status rc = want_scalar(d, n, what);
    if (rc)
        return rc;
    char list[200] = "";
    for (unsigned k = 0; choices[k]; k++) {
        if (scalar_is(n, choices[k])) {
            *out = k;
            return LS_OK;
        }
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "", choices[k]);
    }
    return fail_node(d, n, "%s: expected one of %s", what, list);
}

/* A duration "<n>s", "<n>m", "<n>h" or "<n>d" (n > 0), or "never" when
 * allowed (stored as UINT64_MAX). */
static ls_status get_duration(ydoc *d, yaml_node_t *n, const char *what, bool never_ok,
                              uint64_t *out)
{
    ls_status rc = want_scalar(d, n, what);
    if (rc)
        return rc;
    if (never_ok && scalar_is(n, "never")) {
        *out = UINT64_MAX;
        return LS_OK;
    }
    const char *s = (const char *)n->data.scalar.value;
    size_t l = n->data.scalar.length;
    uint64_t v = 0;
    size_t k = 0;
    while (k < l && k < 9 && s[k] >= '0' && s[k] <= '9')
        v = v * 10 + (uint64_t)(s[k++] - '0');
    uint64_t unit = 0;
    if (k > 0 && k + 1 == l) {
        switch (s[k]) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        }
    }
    if (unit == 0 || v == 0)
        return fail_node(d, n, "%s: expected a duration such as 30s, 15m, 24h or 30d%s", what,
                         never_ok ? ", or never" : "");
    *out = v * unit;
    return LS_OK;
}

static ls_status want_seq(ydoc *d, yaml_node_t *n, const char *what)
{
    if (n->type != YAML_SEQUENCE_NODE)
        return fail_node(d, n, "%s: expected a list, found %s", what, type_name(n));
    return LS_OK;
}

#define SEQ_EACH(d, seq, it) \
    for (yaml_node_item_t *it = (seq)->data.sequence.items.start; \
         it < (seq)->data.sequence.items.top; it++)

/* ---- rules ----------------------------------------------------------------- */

static bool name_ok(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
            return false;
    return true;
}

static rule *find_rule(loader *L, const char *name)
{
    for (size_t k = 0; k < L->nrules; k++)
        if (strcmp(L->rules[k].name, name) == 0)
            return &L->rules[k];
    return NULL;
}

static const char *const rule_keys[] = {"name",      "description", "pattern",   "action",
                                        "with",      "keep",        "validator", "prefilter",
                                        "ignore_case", "examples",  "prescan",   NULL};
enum { RK_NAME, RK_DESC, RK_PATTERN, RK_ACTION, RK_WITH, RK_KEEP, RK_VALIDATOR, RK_PREFILTER,
       RK_ICASE, RK_EXAMPLES, RK_PRESCAN };
static const char *const action_names[] = {"mask",   "replace",   "pseudonym", "remove",
                                           "drop-line", "keep-last", NULL};

static ls_status read_examples(ydoc *d, yaml_node_t *seq, rule *r)
{
    ls_status rc = want_seq(d, seq, "examples");
    if (rc)
        return rc;
    size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    r->examples = calloc(n ? n : 1, sizeof *r->examples);
    if (r->examples == NULL)
        return LS_ERR_NOMEM;
    static const char *const ex_keys[] = {"in", "out", NULL};
    SEQ_EACH(d, seq, it)
    {
        yaml_node_t *ex = node(d, *it), *v[2];
        if ((rc = read_map(d, ex, "example", ex_keys, v)))
            return rc;
        if (!v[0] || !v[1])
            return fail_node(d, ex, "example: needs both in and out");
        rule_example *e = &r->examples[r->nexamples++];
        e->where = mark_of(d, ex);
        if ((rc = get_string(d, v[0], "example in", &e->in, &e->in_len)) ||
            (rc = get_string(d, v[1], "example out", &e->out, &e->out_len)))
            return rc;
    }
    return LS_OK;
}

/* prefilter: one literal, or a list of literals of which a line that can
 * match holds at least one, compared without regard to ASCII case. */
static ls_status read_prefilter(ydoc *d, yaml_node_t *n, rule *r)
{
    if (n->type == YAML_SCALAR_NODE) {
        if (n->data.scalar.length == 0)
            return fail_node(d, n, "prefilter: must not be empty");
        return rule_add_prefilter(r, (const char *)n->data.scalar.value, n->data.scalar.length)
                   ? LS_OK
                   : LS_ERR_NOMEM;
    }
    ls_status rc = want_seq(d, n, "prefilter");
    if (rc)
        return rc;
    if (n->data.sequence.items.start == n->data.sequence.items.top)
        return fail_node(d, n, "prefilter: the list must not be empty");
    SEQ_EACH(d, n, it)
    {
        yaml_node_t *lit = node(d, *it);
        if ((rc = want_scalar(d, lit, "prefilter")))
            return rc;
        if (lit->data.scalar.length == 0)
            return fail_node(d, lit, "prefilter: must not be empty");
        if (!rule_add_prefilter(r, (const char *)lit->data.scalar.value, lit->data.scalar.length))
            return LS_ERR_NOMEM;
    }
    return LS_OK;
}

/* Reads one rule mapping and appends it, compiled, to L. */
static ls_status read_rule(ydoc *d, loader *L, yaml_node_t *map)
{
    yaml_node_t *v[RK_PRESCAN + 1];
    ls_status rc = read_map(d, map, "rule", rule_keys, v);
    if (rc)
        return rc;
    if (!v[RK_NAME])
        return fail_node(d, map, "rule: needs a name");
    if (!v[RK_PATTERN])
        return fail_node(d, map, "rule: needs a pattern");
    if (!v[RK_ACTION])
        return fail_node(d, map, "rule: needs an action");
    if (L->nrules == L->cap) {
        size_t cap = L->cap ? 2 * L->cap : 16;
        rule *nr = realloc(L->rules, cap * sizeof *nr);
        if (nr == NULL)
            return LS_ERR_NOMEM;
        L->rules = nr;
        L->cap = cap;
    }
    rule *r = &L->rules[L->nrules];
    memset(r, 0, sizeof *r);
    r->where = mark_of(d, map);
    if ((rc = get_string(d, v[RK_NAME], "rule name", &r->name, NULL)))
        goto bad;
    if (!name_ok(r->name)) {
        rc = fail_node(d, v[RK_NAME], "rule name: use lower-case letters, digits and '-'");
        goto bad;
    }
    rule *other = find_rule(L, r->name);
    if (other) {
        rc = fail_node(d, v[RK_NAME], "rule \"%s\" is defined twice (first at %s:%u:%u)",
                       r->name, other->where.file, other->where.line, other->where.col);
        goto bad;
    }
    unsigned act;
    if ((rc = get_choice(d, v[RK_ACTION], "action", action_names, &act)))
        goto bad;
    r->action = (rule_action)act;
    if (v[RK_WITH] && r->action != ACT_REPLACE) {
        rc = fail_node(d, v[RK_WITH], "with: only for action replace");
        goto bad;
    }
    if (r->action == ACT_REPLACE) {
        if (!v[RK_WITH]) {
            rc = fail_node(d, map, "rule \"%s\": action replace needs with", r->name);
            goto bad;
        }
        if ((rc = get_string(d, v[RK_WITH], "with", &r->with, &r->with_len)))
            goto bad;
    }
    if (v[RK_KEEP] && r->action != ACT_KEEP_LAST) {
        rc = fail_node(d, v[RK_KEEP], "keep: only for action keep-last");
        goto bad;
    }
    if (r->action == ACT_KEEP_LAST) {
        unsigned long keep;
        if (!v[RK_KEEP]) {
            rc = fail_node(d, map, "rule \"%s\": action keep-last needs keep", r->name);
            goto bad;
        }
        if ((rc = get_uint(d, v[RK_KEEP], "keep", 0, 1000, &keep)))
            goto bad;
        r->keep = (unsigned)keep;
    }
    if (v[RK_VALIDATOR]) {
        if ((rc = want_scalar(d, v[RK_VALIDATOR], "validator")))
            goto bad;
        r->validator = validator_find((const char *)v[RK_VALIDATOR]->data.scalar.value,
                                         v[RK_VALIDATOR]->data.scalar.length);
        if (r->validator == NULL) {
            rc = fail_node(d, v[RK_VALIDATOR],
                           "validator: expected one of luhn, iban, steuer-id, ipv4, ipv6");
            goto bad;
        }
    }
    if (v[RK_PRESCAN]) {
        if ((rc = want_scalar(d, v[RK_PRESCAN], "prescan")))
            goto bad;
        if (!prescan_find((const char *)v[RK_PRESCAN]->data.scalar.value,
                             v[RK_PRESCAN]->data.scalar.length, &r->prescan_named)) {
            rc = fail_node(d, v[RK_PRESCAN],
                           "prescan: expected one of base64-tail, digit-run-7, digit-run-9, "
                           "zero-digit-run-7, intl-digit-run-9, hex-pairs, hex-quads");
            goto bad;
        }
    }
    bool icase = false;
    if (v[RK_ICASE] && (rc = get_bool(d, v[RK_ICASE], "ignore_case", &icase)))
        goto bad;
    if (v[RK_PREFILTER] && (rc = read_prefilter(d, v[RK_PREFILTER], r)))
        goto bad;
    if (v[RK_DESC] && (rc = want_scalar(d, v[RK_DESC], "description")))
        goto bad;
    if ((rc = want_scalar(d, v[RK_PATTERN], "pattern")))
        goto bad;
    char err[256];
    if (!rule_compile(r, (const char *)v[RK_PATTERN]->data.scalar.value,
                      v[RK_PATTERN]->data.scalar.length, icase, err, sizeof err)) {
        rc = fail_node(d, v[RK_PATTERN], "rule \"%s\": %s", r->name, err);
        goto bad;
    }
    if (v[RK_EXAMPLES] && (rc = read_examples(d, v[RK_EXAMPLES], r)))
        goto bad;
    L->nrules++;
    return LS_OK;
bad:
    rule_free(r);
    return rc;
}

static ls_status read_rule_list(ydoc *d, loader *L, yaml_node_t *seq, const char *what)
{
    ls_status rc = want_seq(d, seq, what);
    if (rc)
        return rc;
    SEQ_EACH(d, seq, it)
    {
        if ((rc = read_rule(d, L, node(d, *it))))
            return rc;
    }
    return LS_OK;
}

/* ---- documents ------------------------------------------------------------- */

static ls_status open_doc(ls_policy *p, ydoc *d, const char *name, const char *text, size_t len)
{
    memset(d, 0, sizeof *d);
    d->p = p;
    d->file = intern(p, name);
    if (d->file == NULL)
        return LS_ERR_NOMEM;
    ls_status rc = parse_doc(d, text, len);
    if (rc)
        return rc;
    if (yaml_document_get_root_node(&d->doc) == NULL)
        return fail_at(p, d->file, 1, 1, "the file is empty");
    return LS_OK;
}

static void close_doc(ydoc *d)
{
    yaml_document_delete(&d->doc);
    free(d->text);
}

/* Reads a whole file into memory for libyaml; names it in errors. */
static ls_status slurp(ls_policy *p, const char *path, char **text, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return fail_at(p, path, 1, 1, "cannot read: %s", strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        if (cap >= (64u << 20)) {
            free(buf);
            fclose(f);
            return fail_at(p, path, 1, 1, "file is larger than 64 MiB");
        }
        char *b = realloc(buf, cap * 2);
        if (b == NULL)
            free(buf);
        buf = b;
        cap *= 2;
    }
    bool err = ferror(f);
    fclose(f);
    if (buf == NULL)
        return LS_ERR_NOMEM;
    if (err) {
        free(buf);
        return fail_at(p, path, 1, 1, "read error");
    }
    *text = buf;
    *len = n;
    return LS_OK;
}

/* Checks "version: 1" in a document's root mapping value. */
static ls_status check_version(ydoc *d, yaml_node_t *root, yaml_node_t *ver)
{
    if (!ver)
        return fail_node(d, root, "version: missing (this format is version 1)");
    if (!scalar_is(ver, "1") || ver->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return fail_node(d, ver, "version: this logscrub reads version 1 only");
    return LS_OK;
}

/* Loads a rule pack (built-in name or path) into L. */
static ls_status load_pack(ydoc *pd, loader *L, yaml_node_t *ref)
{
    ls_policy *p = L->p;
    ls_status rc = want_scalar(pd, ref, "rules.use");
    if (rc)
        return rc;
    const char *name = (const char *)ref->data.scalar.value;
    size_t nlen = ref->data.scalar.length;
    ydoc d;
    char *text = NULL;
    size_t len = 0;
    char fname[4096];
    if (nlen >= sizeof fname || memchr(name, '\0', nlen))
        return fail_node(pd, ref, "rules.use: path too long or not a path");
    if (memchr(name, '/', nlen)) {
        memcpy(fname, name, nlen);
        fname[nlen] = '\0';
        if ((rc = slurp(p, fname, &text, &len)))
            return rc;
    } else {
        const embedded_file *e = embedded_find(name, nlen);
        if (e == NULL || strcmp(e->kind, "pack") != 0)
            return fail_node(pd, ref, "rules.use: no built-in rule pack \"%.*s\"",
                             (int)(nlen > 60 ? 60 : nlen), name);
        snprintf(fname, sizeof fname, "%s", e->path);
        text = malloc(e->len ? e->len : 1);
        if (text == NULL)
            return LS_ERR_NOMEM;
        memcpy(text, e->data, e->len);
        len = e->len;
    }
    rc = open_doc(p, &d, fname, text, len);
    d.text = text;
    if (rc == LS_OK) {
        static const char *const pack_keys[] = {"version", "pack", "description", "rules", NULL};
        yaml_node_t *root = yaml_document_get_root_node(&d.doc), *v[4];
        if (!(rc = read_map(&d, root, "rule pack", pack_keys, v)) &&
            !(rc = check_version(&d, root, v[0]))) {
            if (!v[1])
                rc = fail_node(&d, root, "rule pack: needs a pack name");
            else if (!v[3])
                rc = fail_node(&d, root, "rule pack: needs rules");
            else if (!(rc = want_scalar(&d, v[1], "pack")) &&
                     !(rc = v[2] ? want_scalar(&d, v[2], "description") : LS_OK))
                rc = read_rule_list(&d, L, v[3], "rules");
        }
    }
    close_doc(&d);
    return rc;
}

static ls_status read_ip(ydoc *d, yaml_node_t *map)
{
    static const char *const keys[] = {"ipv4_prefix", "ipv6_prefix", "method", "keep_private",
                                       NULL};
    static const char *const methods[] = {"truncate", "pseudonym", NULL};
    yaml_node_t *v[4];
    ls_status rc = read_map(d, map, "ip", keys, v);
    unsigned long n;
    unsigned m;
    if (rc)
        return rc;
    if (v[0]) {
        if ((rc = get_uint(d, v[0], "ip.ipv4_prefix", 0, 32, &n)))
            return rc;
        d->p->ipv4_prefix = (unsigned)n;
    }
    if (v[1]) {
        if ((rc = get_uint(d, v[1], "ip.ipv6_prefix", 0, 128, &n)))
            return rc;
        d->p->ipv6_prefix = (unsigned)n;
    }
    if (v[2]) {
        if ((rc = get_choice(d, v[2], "ip.method", methods, &m)))
            return rc;
        d->p->ip_pseudonym = m == 1;
    }
    if (v[3] && (rc = get_bool(d, v[3], "ip.keep_private", &d->p->keep_private)))
        return rc;
    return LS_OK;
}

static ls_status read_pseudonym(ydoc *d, yaml_node_t *map)
{
    static const char *const keys[] = {"key_file", "rotate", NULL};
    yaml_node_t *v[2];
    ls_status rc = read_map(d, map, "pseudonym", keys, v);
    if (rc)
        return rc;
    if (v[0] && (rc = get_string(d, v[0], "pseudonym.key_file", &d->p->key_file, NULL)))
        return rc;
    if (v[1] && (rc = get_duration(d, v[1], "pseudonym.rotate", false, &d->p->rotate_seconds)))
        return rc;
    return LS_OK;
}

static ls_status read_time(ydoc *d, yaml_node_t *map)
{
    static const char *const keys[] = {"precision", NULL};
    static const char *const precisions[] = {"second", "minute", "hour", NULL};
    yaml_node_t *v[1];
    unsigned m;
    ls_status rc = read_map(d, map, "time", keys, v);
    if (rc)
        return rc;
    if (v[0]) {
        if ((rc = get_choice(d, v[0], "time.precision", precisions, &m)))
            return rc;
        d->p->time_precision = (uint8_t)m; /* enum time_precision */
    }
    return LS_OK;
}

/* fields: {remote_user: replace|keep, user_agent: keep|generalise|drop,
 *          referrer: keep|origin-only} */
static ls_status read_fields(ydoc *d, yaml_node_t *map)
{
    static const char *const keys[] = {"remote_user", "user_agent", "referrer", NULL};
    static const char *const users[] = {"replace", "keep", NULL};
    static const char *const uas[] = {"keep", "generalise", "drop", NULL};
    static const char *const refs[] = {"keep", "origin-only", NULL};
    yaml_node_t *v[3];
    unsigned m;
    ls_status rc = read_map(d, map, "fields", keys, v);
    if (rc)
        return rc;
    if (v[0]) {
        if ((rc = get_choice(d, v[0], "fields.remote_user", users, &m)))
            return rc;
        d->p->fields.remote_user = (uint8_t)m;
    }
    if (v[1]) {
        if ((rc = get_choice(d, v[1], "fields.user_agent", uas, &m)))
            return rc;
        d->p->fields.user_agent = (uint8_t)m;
    }
    if (v[2]) {
        if ((rc = get_choice(d, v[2], "fields.referrer", refs, &m)))
            return rc;
        d->p->fields.referrer = (uint8_t)m;
    }
    return LS_OK;
}

/* json: { sensitive_keys: [NAME, ...] }: the list replaces the built-in
 * one (an empty list turns the replacing off).  Names are compared as
 * json_key_same does, so two that differ only in case are one twice. */
static ls_status read_json(ydoc *d, yaml_node_t *map)
{
    static const char *const keys[] = {"sensitive_keys", NULL};
    yaml_node_t *v[1];
    ls_status rc = read_map(d, map, "json", keys, v);
    if (rc || v[0] == NULL)
        return rc;
    if ((rc = want_seq(d, v[0], "json.sensitive_keys")))
        return rc;
    size_t n = (size_t)(v[0]->data.sequence.items.top - v[0]->data.sequence.items.start), k = 0;
    const char **names = calloc(n ? n : 1, sizeof *names);
    size_t *lens = calloc(n ? n : 1, sizeof *lens);
    if (names == NULL || lens == NULL) {
        rc = LS_ERR_NOMEM;
        goto done;
    }
    SEQ_EACH(d, v[0], it)
    {
        yaml_node_t *e = node(d, *it);
        if ((rc = want_scalar(d, e, "json.sensitive_keys")))
            goto done;
        if (e->data.scalar.length == 0) {
            rc = fail_node(d, e, "json.sensitive_keys: a key name must not be empty");
            goto done;
        }
        names[k] = (const char *)e->data.scalar.value;
        lens[k] = e->data.scalar.length;
        for (size_t j = 0; j < k; j++) {
            if (json_key_same(names[j], lens[j], names[k], lens[k])) {
                rc = fail_node(d, e, "json.sensitive_keys: \"%.*s\" is listed twice",
                               (int)(lens[k] > 60 ? 60 : lens[k]), names[k]);
                goto done;
            }
        }
        k++;
    }
    json_keyset_free(&d->p->sensitive);
    if (!json_keyset_init(&d->p->sensitive, names, lens, n))
        rc = LS_ERR_NOMEM;
done:
    free(names);
    free(lens);
    return rc;
}

/* "203.0.113.0/24" or "2001:db8::/32". */
/* format: NAME (see formats/detect.h). */
static ls_status read_format(ydoc *d, yaml_node_t *n)
{
    ls_status rc = want_scalar(d, n, "format");
    if (rc)
        return rc;
    rec_format f;
    if (!format_by_name((const char *)n->data.scalar.value, n->data.scalar.length, &f))
        return fail_node(d, n,
                         "format: expected auto, text, nginx, apache, nginx-error, apache-error, "
                         "json, sentry or envelope");
    d->p->format = (uint8_t)f;
    return LS_OK;
}

static ls_status read_cidr(ydoc *d, yaml_node_t *n, ipaddr *ip, unsigned *plen)
{
    ls_status rc = want_scalar(d, n, "abuse.allow");
    if (rc)
        return rc;
    const char *s = (const char *)n->data.scalar.value;
    size_t l = n->data.scalar.length;
    const char *slash = memchr(s, '/', l);
    size_t al = slash ? (size_t)(slash - s) : l;
    bool v4 = ip_parse_v4(s, al, ip);
    if (!v4 && !ip_parse_v6(s, al, ip))
        return fail_node(d, n, "abuse.allow: expected an address or network such as "
                               "192.0.2.0/24 or 2001:db8::/32");
    unsigned max = ip->family == 4 ? 32 : 128, v = max;
    if (slash) {
        v = 0;
        size_t k = al + 1;
        if (k == l || l - k > 3)
            return fail_node(d, n, "abuse.allow: bad prefix length");
        for (; k < l; k++) {
            if (s[k] < '0' || s[k] > '9')
                return fail_node(d, n, "abuse.allow: bad prefix length");
            v = v * 10 + (unsigned)(s[k] - '0');
        }
        if (v > max)
            return fail_node(d, n, "abuse.allow: prefix length above %u", max);
    }
    *plen = v;
    return LS_OK;
}

static ls_status read_abuse(ydoc *d, yaml_node_t *map)
{
    static const char *const keys[] = {"detectors", "retain", "retained_list", "allow", NULL};
    abuse_settings *a = &d->p->abuse;
    yaml_node_t *v[4];
    ls_status rc = read_map(d, map, "abuse", keys, v);
    if (rc)
        return rc;
    if (v[0]) {
        /* Bit k of detectors is names[k]. */
        static const char *const names[] = {"bruteforce", "probe",  "sensitive", "exploit",
                                            "scanner",    "badreq", "flood",     NULL};
        if ((rc = want_seq(d, v[0], "abuse.detectors")))
            return rc;
        a->detectors = 0;
        SEQ_EACH(d, v[0], it)
        {
            unsigned k;
            if ((rc = get_choice(d, node(d, *it), "abuse.detectors", names, &k)))
                return rc;
            a->detectors |= 1u << k;
        }
    }
    if (v[1]) {
        static const char *const rkeys[] = {"default", "flood", "repeat", "max", NULL};
        static const char *const repeats[] = {"same", "double", NULL};
        yaml_node_t *r[4];
        unsigned k;
        if ((rc = read_map(d, v[1], "abuse.retain", rkeys, r)))
            return rc;
        if (r[0] && (rc = get_duration(d, r[0], "abuse.retain.default", true, &a->retain_default)))
            return rc;
        if (r[1] && (rc = get_duration(d, r[1], "abuse.retain.flood", true, &a->retain_flood)))
            return rc;
        if (r[2]) {
            if ((rc = get_choice(d, r[2], "abuse.retain.repeat", repeats, &k)))
                return rc;
            a->retain_double = k == 1;
        }
        if (r[3] && (rc = get_duration(d, r[3], "abuse.retain.max", true, &a->retain_max)))
            return rc;
    }
    if (v[2] && (rc = get_string(d, v[2], "abuse.retained_list", &a->retained_list, NULL)))
        return rc;
    if (v[3]) {
        if ((rc = want_seq(d, v[3], "abuse.allow")))
            return rc;
        size_t n = (size_t)(v[3]->data.sequence.items.top - v[3]->data.sequence.items.start);
        a->allow = calloc(n ? n : 1, sizeof *a->allow);
        a->allow_len = calloc(n ? n : 1, sizeof *a->allow_len);
        if (a->allow == NULL || a->allow_len == NULL)
            return LS_ERR_NOMEM;
        SEQ_EACH(d, v[3], it)
        {
            if ((rc = read_cidr(d, node(d, *it), &a->allow[a->nallow], &a->allow_len[a->nallow])))
                return rc;
            a->nallow++;
        }
    }
    return LS_OK;
}

/* Drops the rules named in `disable` (each must exist). */
static ls_status apply_disable(ydoc *d, loader *L, yaml_node_t *seq)
{
    ls_status rc = want_seq(d, seq, "rules.disable");
    if (rc)
        return rc;
    SEQ_EACH(d, seq, it)
    {
        yaml_node_t *n = node(d, *it);
        if ((rc = want_scalar(d, n, "rules.disable")))
            return rc;
        size_t k = 0;
        for (; k < L->nrules; k++)
            if (scalar_is(n, L->rules[k].name))
                break;
        if (k == L->nrules)
            return fail_node(d, n, "rules.disable: no rule \"%.*s\" in the packs used",
                             (int)(n->data.scalar.length > 60 ? 60 : n->data.scalar.length),
                             (const char *)n->data.scalar.value);
        rule_free(&L->rules[k]);
        memmove(&L->rules[k], &L->rules[k + 1], (L->nrules - k - 1) * sizeof *L->rules);
        L->nrules--;
    }
    return LS_OK;
}

static ls_status read_rules_section(ydoc *d, loader *L, yaml_node_t *map)
{
    static const char *const keys[] = {"use", "disable", "custom", NULL};
    yaml_node_t *v[3];
    ls_status rc = read_map(d, map, "rules", keys, v);
    if (rc)
        return rc;
    if (v[0]) {
        if ((rc = want_seq(d, v[0], "rules.use")))
            return rc;
        SEQ_EACH(d, v[0], it)
        {
            if ((rc = load_pack(d, L, node(d, *it))))
                return rc;
        }
    }
    if (v[1] && (rc = apply_disable(d, L, v[1])))
        return rc;
    if (v[2] && (rc = read_rule_list(d, L, v[2], "rules.custom")))
        return rc;
    return LS_OK;
}

static ls_status load_policy_doc(ls_policy *p, ydoc *d)
{
    static const char *const keys[] = {"version", "ip",     "pseudonym", "time", "rules",
                                       "abuse",   "format", "fields",    "json", NULL};
    yaml_node_t *root = yaml_document_get_root_node(&d->doc), *v[9];
    loader L = {.p = p};
    ls_status rc;
    if ((rc = read_map(d, root, "policy", keys, v)) || (rc = check_version(d, root, v[0])))
        return rc;
    /* A policy file brings the field actions (their defaults included: the
     * remote user replaced); a bare ls_policy_new() scrubs addresses only. */
    p->fields.off = false;
    if ((v[1] && (rc = read_ip(d, v[1]))) || (v[2] && (rc = read_pseudonym(d, v[2]))) ||
        (v[3] && (rc = read_time(d, v[3]))) || (v[5] && (rc = read_abuse(d, v[5]))) ||
        (v[6] && (rc = read_format(d, v[6]))) || (v[7] && (rc = read_fields(d, v[7]))) ||
        (v[8] && (rc = read_json(d, v[8]))) ||
        (v[4] && (rc = read_rules_section(d, &L, v[4])))) {
        for (size_t k = 0; k < L.nrules; k++)
            rule_free(&L.rules[k]);
        free(L.rules);
        return rc;
    }
    p->rules = L.rules;
    p->nrules = L.nrules;
    /* Pseudonyms need a key file, unless the application gave the key
     * (ls_policy_set_key): say where the need comes from. */
    if (p->key_file == NULL && !p->key_given) {
        if (p->ip_pseudonym)
            return fail_node(d, v[1], "ip.method pseudonym needs pseudonym.key_file");
        for (size_t k = 0; k < p->nrules; k++)
            if (p->rules[k].action == ACT_PSEUDONYM)
                return fail_at(p, p->rules[k].where.file, p->rules[k].where.line,
                               p->rules[k].where.col,
                               "rule \"%s\": action pseudonym needs pseudonym.key_file",
                               p->rules[k].name);
    }
    return LS_OK;
}

/* ---- public entry points ---------------------------------------------------- */

ls_status ls_policy_load_buffer(ls_policy *p, const char *name, const char *yaml, size_t len)
{
    if (policy_frozen(p))
        return LS_ERR_FROZEN;
    if (p->rules || p->files)
        return LS_ERR_INVALID; /* one load per policy */
    ydoc d;
    ls_status rc = open_doc(p, &d, name, yaml, len);
    if (rc == LS_OK)
        rc = load_policy_doc(p, &d);
    close_doc(&d);
    if (rc == LS_OK && p->nrules > 0 && (p->matcher = rules_matcher(p->rules, p->nrules, PF_IMPL_AUTO)) == NULL)
        rc = LS_ERR_NOMEM;
    if (rc == LS_ERR_NOMEM)
        snprintf(p->err, sizeof p->err, "%s: out of memory", name);
    return rc;
}

ls_status ls_policy_load_file(ls_policy *p, const char *path)
{
    char *text;
    size_t len;
    ls_status rc = slurp(p, path, &text, &len);
    if (rc)
        return rc;
    rc = ls_policy_load_buffer(p, path, text, len);
    free(text);
    return rc;
}

ls_status ls_policy_load_default(ls_policy *p)
{
    const embedded_file *e = embedded_find("default", 7);
    if (e == NULL)
        return LS_ERR_INVALID;
    return ls_policy_load_buffer(p, e->path, (const char *)e->data, e->len);
}

ls_status ls_policy_drop_rules(ls_policy *p)
{
    if (policy_frozen(p))
        return LS_ERR_FROZEN;
    for (size_t k = 0; k < p->nrules; k++)
        rule_free(&p->rules[k]);
    free(p->rules);
    p->rules = NULL;
    p->nrules = 0;
    p->fields.off = true; /* addresses only: no field actions either */
    pf_free(p->matcher);
    p->matcher = NULL;
    /* Addresses only: sensitive keys are rules of a kind, and go too. */
    json_keyset_free(&p->sensitive);
    return LS_OK;
}

unsigned ls_policy_ipv4_prefix(const ls_policy *p)
{
    return p->ipv4_prefix;
}

unsigned ls_policy_ipv6_prefix(const ls_policy *p)
{
    return p->ipv6_prefix;
}

const char *ls_policy_error(const ls_policy *p)
{
    return p->err;
}

size_t ls_policy_rule_count(const ls_policy *p)
{
    return p->nrules;
}

const char *ls_policy_rule_name(const ls_policy *p, size_t i)
{
    return i < p->nrules ? p->rules[i].name : NULL;
}

bool ls_policy_needs_key(const ls_policy *p)
{
    if (p->ip_pseudonym)
        return true;
    for (size_t k = 0; k < p->nrules; k++)
        if (p->rules[k].action == ACT_PSEUDONYM)
            return true;
    return false;
}

ls_status ls_policy_open_key(ls_policy *p, uint64_t now)
{
    /* A key given from memory is the application's to rotate. */
    if (p->key_given || !ls_policy_needs_key(p))
        return LS_OK;
    if (p->key_file == NULL) {
        snprintf(p->err, sizeof p->err, "pseudonyms need pseudonym.key_file in the policy");
        return LS_ERR_KEY;
    }
    char err[300];
    pskey *k = key_open(p->key_file, p->rotate_seconds, now, err, sizeof err);
    if (k == NULL) {
        snprintf(p->err, sizeof p->err, "%s", err);
        return LS_ERR_KEY;
    }
    key_free(p->key);
    p->key = k;
    return LS_OK;
}

bool ls_policy_key_due(const ls_policy *p, uint64_t now)
{
    return p->key != NULL && !p->key_given && key_due(p->key, now);
}

_Static_assert(LS_KEY_BYTES == 32, "key_from_bytes takes 32 bytes");

ls_status ls_policy_set_key(ls_policy *p, const unsigned char *key, size_t len)
{
    if (key == NULL || len != LS_KEY_BYTES)
        return LS_ERR_INVALID;
    pskey *k = key_from_bytes(key);
    if (k == NULL) {
        snprintf(p->err, sizeof p->err, "pseudonym key: out of memory");
        return LS_ERR_NOMEM;
    }
    key_free(p->key);
    p->key = k;
    p->key_given = true;
    return LS_OK;
}

void policy_free_contents(ls_policy *p)
{
    pf_free(p->matcher);
    for (size_t k = 0; k < p->nrules; k++)
        rule_free(&p->rules[k]);
    free(p->rules);
    for (size_t k = 0; k < p->nfiles; k++)
        free(p->files[k]);
    free(p->files);
    free(p->key_file);
    key_free(p->key);
    free(p->abuse.retained_list);
    free(p->abuse.allow);
    free(p->abuse.allow_len);
    json_keyset_free(&p->sensitive);
}

/* Writes text for a message: examples are policy text, not log content, so
 * they may be shown, but control bytes are escaped and length is capped. */
static void show(char *out, size_t cap, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t k = 0; k < n && o + 5 < cap; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c < 0x20 || c == 0x7f)
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    out[o] = '\0';
}

/* Runs one example through rule r alone, with or without its prefilters:
 * over the text as written, then over its decoded query strings.
 * On success stores a malloc'd copy of the output (a dropped line is "")
 * and returns true; false when the rule failed or memory ran out. */
static bool run_example(const rule *r, rules_scratch *s, const pskey *key,
                        const rule_example *ex, bool no_prefilter, char **out, size_t *out_len)
{
    const char *o = ex->in;
    size_t olen = ex->in_len, bad;
    s->no_prefilter = no_prefilter;
    rules_result rc =
        rules_apply(r, 1, NULL, s, key, ex->in, ex->in_len, &o, &olen, &bad, NULL, NULL);
    if (rc == RULES_SAME || rc == RULES_CHANGED) {
        /* Then over decoded query strings, as the filter does (scrub.c). */
        const char *q;
        size_t qlen;
        rules_result qr =
            rules_apply_queries(r, 1, NULL, s, key, o, olen, &q, &qlen, &bad, NULL, NULL);
        if (qr == RULES_CHANGED) {
            o = q;
            olen = qlen;
        }
        if (qr != RULES_SAME)
            rc = qr;
    }
    s->no_prefilter = false;
    if (rc == RULES_FAILED || rc == RULES_NOMEM)
        return false;
    if (rc == RULES_DROP)
        olen = 0;
    *out = malloc(olen ? olen : 1);
    if (*out == NULL)
        return false;
    memcpy(*out, o, olen);
    *out_len = olen;
    return true;
}

size_t ls_policy_check_examples(const ls_policy *p, ls_report_fn fn, void *arg, size_t *total)
{
    static const unsigned char zero_key[32];
    pskey *key = key_from_bytes(zero_key);
    if (key == NULL)
        return SIZE_MAX;
    size_t failed = 0, count = 0;
    for (size_t k = 0; k < p->nrules; k++) {
        const rule *r = &p->rules[k];
        rules_scratch s;
        if (!rules_scratch_init(&s, r, 1)) {
            rules_scratch_free(&s);
            key_free(key);
            return SIZE_MAX;
        }
        for (size_t e = 0; e < r->nexamples; e++) {
            const rule_example *ex = &r->examples[e];
            char want[300], got[300], msg[1000];
            char *plain = NULL; /* output with prefilters off, copied */
            size_t plain_len = 0;
            bool plain_ok = run_example(r, &s, key, ex, true, &plain, &plain_len);
            char *out = NULL;
            size_t out_len = 0;
            bool out_ok = run_example(r, &s, key, ex, false, &out, &out_len);
            count++;
            show(want, sizeof want, ex->out, ex->out_len);
            if (!out_ok)
                snprintf(got, sizeof got, "(the rule failed: match limit or memory)");
            else
                show(got, sizeof got, out, out_len);
            msg[0] = '\0';
            if (!out_ok || out_len != ex->out_len || memcmp(out, ex->out, out_len) != 0) {
                snprintf(msg, sizeof msg, "%s:%u:%u: rule %s example %zu: expected \"%s\", got \"%s\"",
                         ex->where.file, ex->where.line, ex->where.col, r->name, e + 1, want, got);
            } else if (plain_ok != out_ok || plain_len != out_len ||
                       memcmp(plain, out, out_len) != 0) {
                snprintf(msg, sizeof msg,
                         "%s:%u:%u: rule %s example %zu: the prefilter hides a match the "
                         "pattern makes",
                         ex->where.file, ex->where.line, ex->where.col, r->name, e + 1);
            }
            free(plain);
            free(out);
            if (msg[0]) {
                failed++;
                fn(arg, msg);
            }
        }
        rules_scratch_free(&s);
    }
    key_free(key);
    *total = count;
    return failed;
}
