#!/usr/bin/env python3
"""Build tests/vectors/peers.tsv from the vector lists in tests/vectors/data/.

The lists are plain Python files that call the helpers defined here
(rule, tp, fp, samples, sample).  Secrets that the upstream test suites
generate at run time are written as templates in which <<REGEX>> stands for
"a string that matches REGEX"; this script fills them in with its own small
regex sampler, seeded per source, so the output is the same on every run.

Usage: gen-samples.py [-o OUT]   (default: peers.tsv next to this script)
The output is committed; tests never run this script.
"""

import argparse
import os
import random
import re
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------------------
# A small regex sampler: literals, escapes, classes, groups, alternation,
# ? * + {n} {n,m}.  Unbounded repeats produce at most 8 extra copies.

_CLASS = {
    'd': [chr(c) for c in range(48, 58)],
    'w': [chr(c) for c in range(48, 58)] + [chr(c) for c in range(65, 91)]
         + [chr(c) for c in range(97, 123)] + ['_'],
    's': [' '],
}
_ESC = {'n': '\n', 't': '\t', 'r': '\r'}


class _Parser:
    def __init__(self, pat):
        self.p = pat
        self.i = 0

    def peek(self):
        return self.p[self.i] if self.i < len(self.p) else None

    def take(self):
        c = self.p[self.i]
        self.i += 1
        return c

    def parse_alt(self):
        branches = [self.parse_seq()]
        while self.peek() == '|':
            self.take()
            branches.append(self.parse_seq())
        return ('alt', branches)

    def parse_seq(self):
        items = []
        while self.peek() is not None and self.peek() not in '|)':
            atom = self.parse_atom()
            if atom is None:
                continue
            items.append(self.parse_quant(atom))
        return ('seq', items)

    def parse_quant(self, atom):
        c = self.peek()
        lo = hi = None
        if c == '?':
            self.take(); lo, hi = 0, 1
        elif c == '*':
            self.take(); lo, hi = 0, 8
        elif c == '+':
            self.take(); lo, hi = 1, 8
        elif c == '{' and self._is_count():
            self.take()
            j = self.p.index('}', self.i)
            body = self.p[self.i:j]
            self.i = j + 1
            if ',' in body:
                a, b = body.split(',', 1)
                lo = int(a or 0)
                hi = int(b) if b else lo + 8
            else:
                lo = hi = int(body)
        else:
            return atom
        if self.peek() in ('?', '+'):    # lazy / possessive: same sample
            self.take()
        return ('rep', atom, lo, hi)

    def _is_count(self):
        j = self.p.find('}', self.i)
        if j < 0:
            return False
        body = self.p[self.i + 1:j]
        return body != '' and all(ch.isdigit() or ch == ',' for ch in body)

    def parse_atom(self):
        c = self.take()
        if c == '(':
            if self.peek() == '?':
                self.take()
                if self.peek() == ':':
                    self.take()
                elif self.peek() == 'P' or self.peek() == '<':
                    j = self.p.index('>', self.i)
                    self.i = j + 1
                else:               # inline flags such as (?i) or (?i:
                    while self.peek() not in (':', ')'):
                        self.take()
                    if self.take() == ')':
                        return None
            node = self.parse_alt()
            assert self.take() == ')', self.p
            return node
        if c == '[':
            return self.parse_class()
        if c == '.':
            return ('set', [chr(x) for x in range(97, 123)])
        if c in '^$':
            return None
        if c == '\\':
            e = self.take()
            if e in _CLASS:
                return ('set', _CLASS[e])
            if e == 'b' or e == 'B' or e == 'A' or e == 'z':
                return None
            if e == 'x':
                h = self.p[self.i:self.i + 2]
                self.i += 2
                return ('lit', chr(int(h, 16)))
            return ('lit', _ESC.get(e, e))
        return ('lit', c)

    def parse_class(self):
        neg = False
        if self.peek() == '^':
            self.take(); neg = True
        chars = []
        first = True
        while True:
            c = self.take()
            if c == ']' and not first:
                break
            first = False
            if c == '\\':
                e = self.take()
                if e in _CLASS:
                    chars.extend(_CLASS[e]); continue
                if e == 'x':
                    h = self.p[self.i:self.i + 2]; self.i += 2
                    c = chr(int(h, 16))
                else:
                    c = _ESC.get(e, e)
            if self.peek() == '-' and self.p[self.i + 1] != ']':
                self.take()
                d = self.take()
                if d == '\\':
                    d = self.take()
                chars.extend(chr(x) for x in range(ord(c), ord(d) + 1))
            else:
                chars.append(c)
        if neg:
            allowed = [chr(x) for x in range(48, 58)] + \
                      [chr(x) for x in range(97, 123)]
            chars = [ch for ch in allowed if ch not in chars]
        # dedupe, keep order
        seen = []
        for ch in chars:
            if ch not in seen:
                seen.append(ch)
        return ('set', seen)


def _emit(node, rng, out):
    kind = node[0]
    if kind == 'lit':
        out.append(node[1])
    elif kind == 'set':
        out.append(rng.choice(node[1]))
    elif kind == 'seq':
        for n in node[1]:
            _emit(n, rng, out)
    elif kind == 'alt':
        _emit(rng.choice(node[1]), rng, out)
    elif kind == 'rep':
        for _ in range(rng.randint(node[2], node[3])):
            _emit(node[1], rng, out)


def sample_regex(pat, rng):
    parser = _Parser(pat)
    tree = parser.parse_alt()
    if parser.i != len(pat):
        raise ValueError('cannot parse regex %r at %d' % (pat, parser.i))
    out = []
    _emit(tree, rng, out)
    return ''.join(out)


def expand(template, rng):
    """Replace every <<REGEX>> in template by a sample of REGEX.
    <<!REGEX>> retries until the sample contains a digit 1-9."""
    out = []
    i = 0
    while True:
        j = template.find('<<', i)
        if j < 0:
            out.append(template[i:])
            break
        k = template.find('>>', j + 2)
        # a regex may itself end in '>' (rare); take the last '>>' run
        while template.startswith('>', k + 2):
            k += 1
        out.append(template[i:j])
        pat = template[j + 2:k]
        if pat.startswith('!'):
            # "plausible" secret: retry until it holds a digit 1-9
            while True:
                smp = sample_regex(pat[1:], rng)
                if any(c in '123456789' for c in smp):
                    break
        else:
            smp = sample_regex(pat, rng)
        # self-check: the sample must match the pattern it came from
        if not re.fullmatch(pat.lstrip('!'), smp):
            raise ValueError('sample %r does not match %r' % (smp, pat))
        out.append(smp)
        i = k + 2
    return ''.join(out)


# --------------------------------------------------------------------------
# Vector collection

VECTORS = []          # (source, kind, label, value, secret)
_cur = {'repo': None, 'path': None, 'anchor': None, 'kind': None, 'rng': None}


def source(repo, path):
    _cur['repo'] = repo
    _cur['path'] = path
    _cur['anchor'] = None


def rule(anchor, kind, path=None):
    """Start a group: anchor is the upstream rule/test name."""
    if path is not None:
        _cur['path'] = path
    _cur['anchor'] = anchor
    _cur['kind'] = kind
    seed = zlib.crc32(('%s:%s#%s' % (_cur['repo'], _cur['path'],
                                     anchor)).encode())
    _cur['rng'] = random.Random(seed)


def _src():
    s = '%s:%s' % (_cur['repo'], _cur['path'])
    if _cur['anchor']:
        s += '#' + _cur['anchor']
    return s


def _add(label, value, secret, kind=None):
    VECTORS.append((_src(), kind or _cur['kind'], label, value, secret))


def tp(value, secret=None, kind=None):
    """A positive.  value may contain {S}, replaced by the expanded secret.
    Without secret, the whole (expanded) value must disappear."""
    rng = _cur['rng']
    if secret is None:
        _add('pos', expand(value, rng), '', kind)
    else:
        s = expand(secret, rng)
        v = expand(value, rng)
        v = v.replace('{S}', s) if '{S}' in v else v
        if s not in v:
            raise ValueError('secret %r not in value %r' % (s, v))
        _add('pos', v, '' if s == v else s, kind)


def spans(text, positions, kind=None):
    """A test case given as text plus expected result spans (start, end).
    No spans: a negative.  Otherwise one positive per span, the span's text
    being the substring that must disappear."""
    if not positions:
        _add('neg', text, '', kind)
        return
    for st, en in positions:
        sec = text[st:en]
        if not sec:
            raise ValueError('empty span %r in %r' % ((st, en), text))
        _add('pos', text, '' if sec == text else sec, kind)


def fp(value, kind=None):
    _add('neg', expand(value, _cur['rng']), '', kind)


# The shapes in which gitleaks' sample helpers place an identifier {i} and a
# secret {s} (a subset of the helper's list; see README.md).
SAMPLE_FORMS = [
    '{i}Token="{s}"',
    '{i}Token = {s}',
    '{\n    "{i}_token": "{s}"\n}',
    '<{i}Token>{s}</{i}Token>',
    '{i}_token: {s}',
    '{i}_token: "{s}"',
    '{i}_token: |\n  {s}',
    '{i}Token := "{s}"',
    "{i}Token = '{s}'",
    '{i}Token,{s},',
    '{i}_TOKEN ?= "{s}"',
]


def samples(ident, secret, kind=None, tail=''):
    """All forms of the multi-form sample helper, one secret for all.
    tail: text that upstream passes as part of the secret argument but that
    is not itself secret (it is placed after the secret)."""
    s = expand(secret, _cur['rng'])
    for form in SAMPLE_FORMS:
        _add('pos', form.replace('{i}', ident).replace('{s}', s + tail), s, kind)


def sample(ident, secret, kind=None):
    """The single-form helper: IDENT_api_token = "SECRET"."""
    s = expand(secret, _cur['rng'])
    _add('pos', '%s_api_token = "%s"' % (ident, s), s, kind)


# --------------------------------------------------------------------------

def esc(s):
    return (s.replace('\\', '\\\\').replace('\t', '\\t')
             .replace('\n', '\\n').replace('\r', '\\r'))


HEADER = """\
# logscrub peer test vectors (generated by gen-samples.py; see README.md)
# Format: one vector per line, fields separated by TAB:
#   source  kind  label  value  [secret]
# source  upstream repo:path#rule-or-test the vector was taken from
# kind    logscrub-side kind name (lower case), e.g. email, card, github
# label   pos = must be scrubbed, neg = must be left unchanged
# value   the text; TAB, LF, CR and backslash are escaped as \\t \\n \\r \\\\
# secret  (pos only, optional) the substring that must disappear; when
#         empty, the whole value must disappear
# Lines starting with # are comments.
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('-o', default=os.path.join(HERE, 'peers.tsv'))
    args = ap.parse_args()
    ddir = os.path.join(HERE, 'data')
    g = {k: v for k, v in globals().items()
         if k in ('source', 'rule', 'tp', 'fp', 'samples', 'sample', 'spans')}
    for name in sorted(os.listdir(ddir)):
        if name.endswith('.py'):
            path = os.path.join(ddir, name)
            with open(path, encoding='utf-8') as f:
                code = compile(f.read(), path, 'exec')
            exec(code, dict(g))
    seen = set()
    lines = []
    for src, kind, label, value, secret in VECTORS:
        key = (kind, label, value, secret)
        if key in seen:
            continue
        seen.add(key)
        fields = [src, kind, label, esc(value)]
        if secret:
            fields.append(esc(secret))
        lines.append('\t'.join(fields))
    with open(args.o, 'w', encoding='utf-8', newline='\n') as f:
        f.write(HEADER)
        for ln in lines:
            f.write(ln + '\n')
    print('%s: %d vectors' % (args.o, len(lines)), file=sys.stderr)


if __name__ == '__main__':
    main()
