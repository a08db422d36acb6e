#!/bin/bash
# anonip-diff.sh -- differential test of `logscrub --compat=anonip` against
# Debian's anonip 1.1.
#
# Part 1 generates logs (fixed seed) whose addresses sit where anonip handles
# them and runs both programs under many option sets: the outputs must be
# byte-identical.  Part 2 feeds the inputs where anonip 1.1 leaks or crashes
# and checks logscrub's exact masked output (doc/anonip-compat.md).  Part 3
# checks option errors and exit codes.
#
# Needs: LOGSCRUB (the binary), anonip and python3 (anonip's own runtime,
# used here only to generate inputs).  Exit 0 pass, 1 fail, 77 skip.

set -u

LOGSCRUB=${LOGSCRUB:-${top_builddir:-.}/logscrub}
if ! command -v anonip >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
    echo "anonip-diff: anonip or python3 not installed, skipping"
    exit 77
fi
if [ ! -x "$LOGSCRUB" ]; then
    echo "anonip-diff: $LOGSCRUB not built"
    exit 1
fi

# anonip reads stdin with surrogateescape under C/C.UTF-8 (what Apache's
# envvars give it); fix the locale so both runs see the same thing.
export LC_ALL=C.UTF-8 PYTHONHASHSEED=0

tmp=$(mktemp -d "${TMPDIR:-/tmp}/anonip-diff.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() {
    fail=$((fail + 1))
    echo "FAIL: $*"
}

# ---- part 1: generated logs, byte-identical output ------------------------

python3 - "$tmp" <<'EOF'
import random, sys
out = sys.argv[1]
rnd = random.Random(20240517)

def v4():
    return "%d.%d.%d.%d" % (rnd.choice([1, 8, 23, 81, 100, 151, 185, 203, 217, 255]),
                            rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))

def hx():
    return "%x" % rnd.randrange(0x10000)

def v6():
    g = [hx() for _ in range(8)]
    form = rnd.randrange(6)
    if form == 0:
        return ":".join(g)                                   # full
    if form == 1:
        return "2001:db8:%s::%s" % (g[0], g[1])              # compressed
    if form == 2:
        return "2a02:%s:%s:%s::1" % (g[0], g[1], g[2])
    if form == 3:
        return ":".join("%04x" % int(x, 16) for x in g)      # leading zeros
    if form == 4:
        return "2001:DB8:%s::%s" % (g[0].upper(), g[1].upper())  # upper, unbracketed
    return "fe80::%s:%s" % (g[0], g[1])

def addr():
    k = rnd.randrange(14)
    if k < 4:
        return v4()
    if k < 7:
        return v6()
    if k == 7:
        return "%s:%d" % (v4(), rnd.randrange(1, 65536))
    if k == 8:
        return "[%s]:%d" % (v6().lower(), rnd.randrange(1, 65536))
    if k == 9:
        return "[%s]" % v6().lower()
    if k == 10:
        return "::ffff:%s" % v4()
    if k == 11:
        return rnd.choice(["10.1.2.3", "192.168.0.7", "172.16.5.4", "127.0.0.1", "::1",
                           "fd00::1:2", "fe80::1", "100.64.1.2", "169.254.1.1"])
    if k == 12:
        return "%s/32" % v4()
    return rnd.choice(["-", "unknown", "", "localhost", "1.2.3", "::x"])

FILL = ["-", "GET", "\"GET / HTTP/1.1\"", "200", "5326", "[10/Oct/2000:13:55:36", "-0700]",
        "\"Mozilla/5.0 (X11; Linux x86_64)\"", "\"-\"", "example.com", "user", "x\x00y",
        "caf\u00e9", "\udcff\udcfe", "a\rb", "\"https://example.org/p?q=1\""]

SAFE = ["-", "GET", "200", "5326", "example.com", "user", "caf\u00e9"]

def line(ipcols, ncols, delim, safe=False):
    fill = [t for t in (SAFE if safe else FILL) if delim not in t]
    return [addr() if i in ipcols else rnd.choice(fill) for i in range(ncols)]

def write(name, ipcols, delim=" ", n=150, safe=False):
    with open("%s/%s" % (out, name), "wb") as fh:
        for i in range(n):
            r = rnd.random()
            if r < 0.03:
                s = ""
            elif r < 0.05:
                s = rnd.choice(["   ", "\t", " \t "])
            else:
                ncols = rnd.randrange(max(ipcols) + 1 if safe else 1, 8)
                s = delim.join(line(ipcols, ncols, delim, safe))
                if rnd.random() < 0.05:
                    s += rnd.choice(["  ", "\t", "\r", "\u00a0", "\u3000"])
            fh.write(s.encode("utf-8", "surrogateescape"))
            fh.write(b"\n")
        # the last line lacks its newline: anonip adds one
        fh.write(delim.join(line(ipcols, max(ipcols) + 1, delim)).encode("utf-8", "surrogateescape"))

write("c1.log", {0})
write("c2.log", {1})
write("c13.log", {0, 2})
write("c5.log", {4})
# for --regex: PCRE2 and Python's re differ on invalid UTF-8 and CR
write("re.log", {1}, safe=True)
write("semi.log", {2}, delim=";")
write("tab.log", {1}, delim="\t")
write("dd.log", {0, 1}, delim=" | ")
EOF
# file|options (one line each)
cat >"$tmp/sets" <<'EOF'
c1.log|
c1.log|-4 8 -6 64
c1.log|-4 32 -6 128
c1.log|-4 1 -6 1
c1.log|-4 16 -6 80
c1.log|--ipv4mask 24 --ipv6mask 100
c1.log|--ipv4=4 --ipv6=8
c1.log|-i 1
c1.log|-i 300 -4 8
c1.log|-i 99999999999999999999999999999999999999999
c1.log|-r 0.0.0.0
c1.log|-r REDACTED -i 1
c1.log|-p
c1.log|-p -r x
c1.log|--skip-private -4 24
c1.log|-pd
c1.log|-c 1 1
c1.log|-c1
c1.log|--column 1 3
c5.log|-c 5
c1.log|--regex ^(\S+)
c1.log|--regex ^(\S+)(?:\s|$) -r -
c1.log|--regex ^([0-9a-fA-F:.\[\]]+) ^(\S+)
c1.log|--reg ^(?P<ip>\S*) -4 20
c2.log|-c 2
c2.log|-c 2 -4 8 -6 32 -i 2
c2.log|-c 2 -r 0.0.0.0 -p
c2.log|--col 2
re.log|--regex ^\S+\s(\S+)
re.log|--regex ^(?:\S+)\s([^\s]+)(?:\s(\S+))? -r -
re.log|--regex ^([a-f]+)\s ^\S+\s(\S+) -i 3
c13.log|-c 1 3
c13.log|-c 3 1 -i 7
c13.log|-c 1 3 -r unknown
semi.log|-l ; -c 3
semi.log|--delimiter=; -c 3 -4 4 -6 120
tab.log|-l 	 -c 2
tab.log|-l 	 -c 2 -p
dd.log|-l  |  -c 1 2
dd.log|-l  |  -c 2 1 -r 0
EOF

n=0
while IFS='|' read -r file opts; do
    n=$((n + 1))
    # The delimiter options carry spaces and tabs: split them by hand.
    case "$opts" in
    "-l  |  "*) set -- -l " | " ${opts#-l  |  } ;;
    "-l 	 "*) set -- -l "	" ${opts#-l 	 } ;;
    *) set -f; set -- $opts; set +f ;;
    esac
    anonip "$@" <"$tmp/$file" >"$tmp/a.$n" 2>/dev/null
    arc=$?
    "$LOGSCRUB" --compat=anonip "$@" <"$tmp/$file" >"$tmp/b.$n" 2>"$tmp/e.$n"
    brc=$?
    if [ $arc -ne 0 ] || [ $brc -ne 0 ]; then
        bad "$file [$opts]: exit anonip=$arc logscrub=$brc"
    elif cmp -s "$tmp/a.$n" "$tmp/b.$n"; then
        ok
    else
        bad "$file [$opts]: output differs"
        diff -a "$tmp/a.$n" "$tmp/b.$n" | head -n 6
    fi
    # --input FILE (Python's universal newlines: a bare CR ends a line) and
    # -o FILE must give the same bytes as the pipe.
    if [ "$opts" = "" ] || [ "$opts" = "-c 2" ]; then
        tr -d '\377\376' <"$tmp/$file" >"$tmp/in.$n" # anonip --input dies on invalid UTF-8
        anonip "$@" --input "$tmp/in.$n" -o "$tmp/ao.$n" 2>/dev/null
        "$LOGSCRUB" --compat=anonip "$@" --input "$tmp/in.$n" -o "$tmp/bo.$n"
        if cmp -s "$tmp/ao.$n" "$tmp/bo.$n"; then ok; else bad "$file [$opts --input -o]: output differs"; fi
    fi
done <"$tmp/sets"

# ---- part 2: where anonip 1.1 leaks or crashes, logscrub's exact output ---

# expect OPTIONS -- INPUT EXPECTED (printf formats)
expect() {
    local args=() in want
    while [ "$1" != "--" ]; do args+=("$1"); shift; done
    shift
    in=$1 want=$2
    printf -- "$in" >"$tmp/k.in"
    printf -- "$want" >"$tmp/k.want"
    "$LOGSCRUB" --compat=anonip "${args[@]}" <"$tmp/k.in" >"$tmp/k.out" 2>"$tmp/k.err"
    local rc=$?
    if [ $rc -eq 0 ] && cmp -s "$tmp/k.want" "$tmp/k.out"; then
        ok
    else
        bad "leak case [${args[*]}] $(printf '%q' "$in"): rc=$rc, got $(od -An -c "$tmp/k.out" | tr -s ' ' | head -c 200)"
    fi
}

# Upper-case IPv6 in brackets, with or without a port: anonip lower-cases the
# host it finds and then cannot replace it.
expect -- '[2001:DB8:ABCD:12::1]:443 x\n' '[2001:db8:abc0::]:443 x\n'
expect -- '[2001:DB8::1] x\n' '[2001:db8::] x\n'
expect -- '[FE80::1%%eth0]:8 x\n' '[fe80::%%eth0]:8 x\n'
# X-Forwarded-For lists, quoted values, leading/trailing junk.
expect -- '1.2.3.4, 5.6.7.8 - x\n' '1.2.0.0, 5.6.0.0 - x\n'
expect -- '1.2.3.4,5.6.7.8\n' '1.2.0.0,5.6.0.0\n'
expect -- '"1.2.3.4" x\n' '"1.2.0.0" x\n'
expect -- "'2001:db8::7' x\n" "'2001:db8::' x\n"
expect -c 2 -- 'a xff="198.51.100.7, 2001:db8::5" b\n' 'a xff="198.51.96.0, 2001:db8::" b\n'
expect -- '1.2.3.4\000x\n' '1.2.0.0\000x\n'
expect -- '  1.2.3.4 x\n' '  1.2.0.0 x\n'
expect -- '2001:DB8::1] x\n' '2001:db8::] x\n'
# Octets with leading zeros, IPv4 in brackets.
expect -- '010.001.002.003 x\n' '10.1.0.0 x\n'
expect -- '[1.2.3.4]:80 x\n' '[1.2.0.0]:80 x\n'
# Addresses outside the configured column(s).
expect -- '- 1.2.3.4 "GET /?ip=203.0.113.9 HTTP/1.1"\n' '- 1.2.0.0 "GET /?ip=203.0.112.0 HTTP/1.1"\n'
expect -c 2 -- '1.2.3.4 5.6.7.8 [::ffff:9.9.9.9]:1\n' '1.2.0.0 5.6.0.0 [::ffff:9.9.0.0]:1\n'
expect --regex '^(\S+) ' -- '1.2.3.4 via 10.9.8.7\n' '1.2.0.0 via 10.9.0.0\n'
expect -p -- '10.1.2.3 via 10.9.8.7 and 8.8.8.8\n' '10.1.2.3 via 10.9.8.7 and 8.8.0.0\n'
# Substring replacement: anonip mangles 11.2.3.45 into "11.2.0.05".
expect -- '1.2.3.4/11.2.3.45\n' '1.2.0.0/11.2.0.0\n'
# Short CIDR prefixes: anonip dies with "new prefix must be shorter" and
# loses every later line; logscrub masks and carries on.
expect -- '8.0.0.0/8 a\n1.2.3.4 b\n' '8.0.0.0 a\n1.2.0.0 b\n'
expect -- '2001:db8::/32\n1.2.3.4\n' '2001:db8::\n1.2.0.0\n'
expect -- '0.0.0.0/0\n' '0.0.0.0\n'
expect -i 1 -- '9.0.0.0/255.0.0.0\n' '9.0.0.1\n'
# -p: 6to4 and Teredo carry a public IPv4 address; masked even with -p.
expect -p -- '2002:c000:204::1 x\n' '2002:c000:200:: x\n'
expect -p -- '2001:0:4136:e378:8000:63bf:3fff:fdd2 x\n' '2001:0:4130:: x\n'
# An IPv4-mapped address keeps no more than the IPv4 rule's bits.
expect -4 8 -6 4 -- '::ffff:1.2.3.255\n' '::ffff:102:300\n'
# Invalid UTF-8 with -o or --input: anonip raises UnicodeError and stops.
printf 'a\377 1.2.3.4\n5.6.7.8 \376\n' >"$tmp/bad.in"
printf 'a\377 1.2.0.0\n5.6.0.0 \376\n' >"$tmp/bad.want"
"$LOGSCRUB" --compat=anonip -o "$tmp/bad.out" <"$tmp/bad.in"
if cmp -s "$tmp/bad.want" "$tmp/bad.out"; then ok; else bad "invalid UTF-8 with -o"; fi
"$LOGSCRUB" --compat=anonip --input "$tmp/bad.in" >"$tmp/bad.out2"
if cmp -s "$tmp/bad.want" "$tmp/bad.out2"; then ok; else bad "invalid UTF-8 with --input"; fi
mode=$(stat -c %a "$tmp/bad.out")
if [ "$mode" = 640 ]; then ok; else bad "-o file mode $mode, want 640"; fi

# ---- part 3: options and exit codes ----------------------------------------

code() {
    local want=$1
    shift
    "$LOGSCRUB" --compat=anonip "$@" </dev/null >"$tmp/c.out" 2>"$tmp/c.err"
    local rc=$?
    if [ $rc -ne "$want" ]; then
        bad "[$*]: exit $rc, want $want"
    elif [ "$want" -ne 0 ] && ! grep -q '^logscrub: ' "$tmp/c.err"; then
        bad "[$*]: no 'logscrub: ' message"
    elif [ "$(wc -l <"$tmp/c.err")" -gt 1 ]; then
        bad "[$*]: more than one line on stderr"
    else
        ok
    fi
}
code 64 -4 0
code 64 -4 33
code 64 -6 129
code 64 -i 0
code 64 -c 0
code 64 -c
code 64 -l ''
code 64 --regex '('
code 64 --regex '(x)' -c 2
code 64 --bogus
code 64 --i 3
code 64 stray
code 66 --input "$tmp/does-not-exist"
code 73 -o "$tmp/no/such/dir/out.log"
code 0 -v
code 0 -h
code 0 -4 12 -6 84

echo "anonip-diff: $pass passed, $fail failed"
[ $fail -eq 0 ]
