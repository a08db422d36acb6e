#!/bin/bash
# tests/peer-vectors.sh -- measure a logscrub build against the peer test
# vectors in tests/vectors/peers.tsv (see tests/vectors/README.md).
#
# Every vector is rendered in four log contexts (plain, json, nginx, form),
# one line per vector, and each context is run through ONE logscrub process.
# A positive is caught when its secret, encoded as that context encodes it,
# no longer appears in the output line; a negative is kept when the output
# line equals the input line byte for byte.
#
# Usage: tests/peer-vectors.sh [--tsv] [--by-source] [--misses KIND|all]
#                              [--context CTX] [--vectors FILE] [--counts]
#   (no option)    table per kind: positives caught, negatives kept, per context
#   --tsv          machine-readable summary: kind label context total ok
#   --by-source    the same table grouped by upstream repository instead of kind
#   --misses KIND  list the missed positives and changed negatives of KIND
#                  (or of every kind with "all"), with context and output
#   --context CTX  with --misses: only this context
#   --vectors FILE another vector file (default tests/vectors/peers.tsv)
#   --counts       only count the vectors per source file and kind (no run)
# Environment: LOGSCRUB (default: ../build/logscrub relative to this script),
#              LOGSCRUB_ARGS (extra arguments, e.g. "-c my-policy.yaml").
# Exit status: 0, unless logscrub fails or prints a different number of lines.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${LOGSCRUB:=$here/../build/logscrub}"
: "${LOGSCRUB_ARGS:=}"
export LOGSCRUB LOGSCRUB_ARGS
export PEER_VECTORS_DEFAULT="$here/vectors/peers.tsv"

if [ ! -x "$LOGSCRUB" ]; then
    echo "peer-vectors: $LOGSCRUB is not an executable (set LOGSCRUB)" >&2
    exit 1
fi
command -v python3 >/dev/null 2>&1 || {
    echo "peer-vectors: python3 not found" >&2
    exit 1
}

exec python3 - "$@" <<'PYEOF'
import json
import os
import re
import shlex
import signal
import subprocess
import sys

CONTEXTS = ('plain', 'json', 'nginx', 'form')


def usage(msg=None):
    if msg:
        print('peer-vectors: ' + msg, file=sys.stderr)
    print('usage: peer-vectors.sh [--tsv] [--by-source] [--misses KIND|all] '
          '[--context CTX] [--vectors FILE] [--counts]', file=sys.stderr)
    sys.exit(1)


args = sys.argv[1:]
opt_tsv = False
opt_by_source = False
opt_misses = None
opt_context = None
opt_counts = False
vec_file = os.environ['PEER_VECTORS_DEFAULT']
while args:
    a = args.pop(0)
    if a == '--tsv':
        opt_tsv = True
    elif a == '--by-source':
        opt_by_source = True
    elif a == '--counts':
        opt_counts = True
    elif a == '--misses':
        if not args:
            usage('--misses needs a kind')
        opt_misses = args.pop(0)
    elif a == '--context':
        if not args:
            usage('--context needs a context name')
        opt_context = args.pop(0)
        if opt_context not in CONTEXTS:
            usage('unknown context %r' % opt_context)
    elif a == '--vectors':
        if not args:
            usage('--vectors needs a file')
        vec_file = args.pop(0)
    elif a in ('-h', '--help'):
        usage()
    else:
        usage('unknown argument %r' % a)

# ---------------------------------------------------------------- reading

UNESC = {'t': '\t', 'n': '\n', 'r': '\r', '\\': '\\'}


def unescape(s):
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == '\\' and i + 1 < len(s) and s[i + 1] in UNESC:
            out.append(UNESC[s[i + 1]])
            i += 2
        else:
            out.append(c)
            i += 1
    return ''.join(out)


vectors = []        # dicts: source kind label value secret
with open(vec_file, encoding='utf-8') as f:
    for lineno, line in enumerate(f, 1):
        line = line.rstrip('\n')
        if not line or line.startswith('#'):
            continue
        parts = line.split('\t')
        if len(parts) not in (4, 5) or parts[2] not in ('pos', 'neg'):
            print('peer-vectors: %s:%d: malformed line' % (vec_file, lineno),
                  file=sys.stderr)
            sys.exit(1)
        value = unescape(parts[3])
        secret = unescape(parts[4]) if len(parts) == 5 and parts[4] else ''
        vectors.append({'source': parts[0], 'kind': parts[1],
                        'label': parts[2], 'value': value,
                        'secret': secret or value})

if opt_counts:
    # vector counts per upstream source file and per kind; no logscrub run
    from collections import Counter
    by_src = Counter()
    by_kind = Counter()
    for v in vectors:
        by_src[(v['source'].split('#', 1)[0], v['label'])] += 1
        by_kind[(v['kind'], v['label'])] += 1
    for title, c in (('source', by_src), ('kind', by_kind)):
        keys = sorted({k for k, _ in c})
        w = max(len(k) for k in keys)
        print('%-*s %5s %5s' % (w, title, 'pos', 'neg'))
        for k in keys:
            print('%-*s %5d %5d' % (w, k, c[(k, 'pos')], c[(k, 'neg')]))
        print('%-*s %5d %5d' % (w, 'TOTAL', sum(n for (k, l), n in c.items() if l == 'pos'),
                                sum(n for (k, l), n in c.items() if l == 'neg')))
        print()
    sys.exit(0)

# ---------------------------------------------------------------- rendering

PLAIN_PRE = '2024-05-01T12:00:00Z INFO app: value='
PLAIN_POST = ' done'
JSON_PRE = '{"ts":"2024-05-01T12:00:00Z","level":"info","msg":"value='
JSON_POST = ' done"}'
# The client address is written already truncated (203.0.113.9 -> .0), so
# that a kept line is byte-identical to its input.
NGINX_PRE = '203.0.113.0 - - [01/May/2024:12:00:00 +0000] "GET /search?q='
NGINX_POST = ' HTTP/1.1" 200 512 "-" "Mozilla/5.0"'

FORM_SAFE = set(b'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
                b'0123456789_.-~')


def enc_plain(v):
    # an application logger escapes line breaks inside a message
    return v.replace('\n', '\\n').replace('\r', '\\r')


def enc_json(v):
    return json.dumps(v, ensure_ascii=False)[1:-1]


def enc_nginx(v):
    # the way a browser leaves a query: space, " % < > \ # and control or
    # non-ASCII bytes as %XX; everything else (=&+:/@,; ...) as is
    out = []
    for b in v.encode('utf-8'):
        if b <= 0x20 or b >= 0x7f or b in b'"%<>\\#':
            out.append('%%%02X' % b)
        else:
            out.append(chr(b))
    return ''.join(out)


def enc_form(v):
    # urllib.parse.quote_plus
    out = []
    for b in v.encode('utf-8'):
        if b == 0x20:
            out.append('+')
        elif b in FORM_SAFE:
            out.append(chr(b))
        else:
            out.append('%%%02X' % b)
    return ''.join(out)


ENC = {'plain': enc_plain, 'json': enc_json, 'nginx': enc_nginx,
       'form': enc_form}
WRAP = {'plain': (PLAIN_PRE, PLAIN_POST), 'json': (JSON_PRE, JSON_POST),
        'nginx': (NGINX_PRE, NGINX_POST), 'form': (NGINX_PRE, NGINX_POST)}


def render(ctx, v):
    pre, post = WRAP[ctx]
    return pre + ENC[ctx](v) + post


# ---------------------------------------------------------------- running

cmd = [os.environ['LOGSCRUB']] + shlex.split(os.environ.get('LOGSCRUB_ARGS', ''))
results = {}        # ctx -> list of (input line, output line)
for ctx in CONTEXTS:
    lines = [render(ctx, v['value']) for v in vectors]
    data = ('\n'.join(lines) + '\n').encode('utf-8')
    try:
        p = subprocess.run(cmd, input=data, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    except OSError as e:
        print('peer-vectors: cannot run %s: %s' % (cmd[0], e), file=sys.stderr)
        sys.exit(1)
    if p.returncode != 0:
        print('peer-vectors: logscrub failed (exit %d) on the %s context:\n%s'
              % (p.returncode, ctx, p.stderr.decode('utf-8', 'replace')),
              file=sys.stderr)
        sys.exit(1)
    out = p.stdout.decode('utf-8', 'replace').split('\n')
    if out and out[-1] == '':
        out.pop()
    if len(out) != len(lines):
        print('peer-vectors: %s context: %d lines in, %d lines out'
              % (ctx, len(lines), len(out)), file=sys.stderr)
        sys.exit(1)
    results[ctx] = list(zip(lines, out))

# a reader that stops early (| head) ends the report quietly; set only
# now, so that a logscrub that stops reading its input is reported above
signal.signal(signal.SIGPIPE, signal.SIG_DFL)

# ---------------------------------------------------------------- judging

IPV4 = re.compile(r'(?<![0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9])')
IPV6 = re.compile(r'(?<![0-9A-Za-z:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f.]{0,15}'
                  r'(?![0-9A-Za-z])')


def strip_ips(s):
    return IPV6.sub('<ip>', IPV4.sub('<ip>', s))


def judge(v, ctx, inp, out):
    """True when the vector passes in this context."""
    if v['label'] == 'neg':
        return out == inp
    sec = ENC[ctx](v['secret'])
    # occurrences that belong to the context template itself do not count
    base = render(ctx, '').count(sec)
    return out.count(sec) <= base


# stats[group][ctx] = [pos_total, pos_caught, neg_total, neg_kept]
def group_of(v):
    if opt_by_source:
        return v['source'].split(':', 1)[0]
    return v['kind']


stats = {}
for i, v in enumerate(vectors):
    g = stats.setdefault(group_of(v), {c: [0, 0, 0, 0] for c in CONTEXTS})
    for ctx in CONTEXTS:
        inp, out = results[ctx][i]
        ok = judge(v, ctx, inp, out)
        s = g[ctx]
        if v['label'] == 'pos':
            s[0] += 1
            s[1] += ok
        else:
            s[2] += 1
            s[3] += ok


def esc(s):
    return (s.replace('\\', '\\\\').replace('\t', '\\t')
             .replace('\n', '\\n').replace('\r', '\\r'))


if opt_misses is not None:
    n = 0
    for i, v in enumerate(vectors):
        if opt_misses != 'all' and v['kind'] != opt_misses:
            continue
        for ctx in CONTEXTS:
            if opt_context and ctx != opt_context:
                continue
            inp, out = results[ctx][i]
            if judge(v, ctx, inp, out):
                continue
            n += 1
            what = 'missed' if v['label'] == 'pos' else 'changed'
            note = ''
            if v['label'] == 'neg' and strip_ips(inp) == strip_ips(out):
                note = ' (differs only in IP addresses)'
            print('%s %s %s [%s]%s' % (what, v['kind'], ctx, v['source'], note))
            print('  value:  ' + esc(v['value']))
            if v['label'] == 'pos' and v['secret'] != v['value']:
                print('  secret: ' + esc(v['secret']))
            print('  output: ' + out)
    print('%d misses' % n)
    sys.exit(0)


def pct(ok, total):
    return '%d/%d %5.1f%%' % (ok, total, 100.0 * ok / total) if total else '-'


groups = sorted(stats)
tot = {c: [0, 0, 0, 0] for c in CONTEXTS}
for g in groups:
    for c in CONTEXTS:
        for k in range(4):
            tot[c][k] += stats[g][c][k]

if opt_tsv:
    print('\t'.join(['group' if opt_by_source else 'kind', 'label', 'context',
                     'total', 'ok']))
    for g in groups + ['TOTAL']:
        row = tot if g == 'TOTAL' else stats[g]
        for c in CONTEXTS:
            s = row[c]
            if s[0]:
                print('%s\tpos\t%s\t%d\t%d' % (g, c, s[0], s[1]))
            if s[2]:
                print('%s\tneg\t%s\t%d\t%d' % (g, c, s[2], s[3]))
    sys.exit(0)

name = 'source' if opt_by_source else 'kind'
w = max([len(name), len('TOTAL')] + [len(g) for g in groups])
hdr = ('%-*s %5s  ' % (w, name, 'pos') + '  '.join('%-17s' % ('caught ' + c)
                                                   for c in CONTEXTS)
       + '  %5s  ' % 'neg' + '  '.join('%-15s' % ('kept ' + c)
                                       for c in CONTEXTS))
print(hdr.rstrip())
for g in groups + ['TOTAL']:
    row = tot if g == 'TOTAL' else stats[g]
    npos = row['plain'][0]
    nneg = row['plain'][2]
    line = '%-*s %5d  ' % (w, g, npos)
    line += '  '.join('%-17s' % pct(row[c][1], row[c][0]) for c in CONTEXTS)
    line += '  %5d  ' % nneg
    line += '  '.join('%-15s' % pct(row[c][3], row[c][2]) for c in CONTEXTS)
    print(line.rstrip())
PYEOF
