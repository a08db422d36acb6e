#!/bin/bash
# tests/cli.sh -- the logscrub command line: every option, input/output form
# and error path, checked byte for byte against what the spec promises.
# Exit codes are sysexits: 64 usage, 66 input missing, 73 cannot create
# output, 74 I/O error.

. "$(dirname "$0")/lib.sh"
require gzip cmp diff stat od dd
# As root, permission tests run the binary as nobody.
if [ "$(id -u)" -eq 0 ]; then
    require setpriv
fi
require_logscrub

umask 022

# mk FILE TEXT: writes printf '%b' TEXT to FILE (so \n, \r, \0, \xff work).
mk() {
    printf '%b' "$2" >"$1"
}

SECRET='SECRET-c4f3'
L1='203.0.113.195 - - [10/Oct/2023:13:55:36 +0000] "GET / HTTP/1.1" 200 5\n'
S1='203.0.113.0 - - [10/Oct/2023:13:55:36 +0000] "GET / HTTP/1.1" 200 5\n'
mk "$T/one.log" "$L1"

# ---------------------------------------------------------------- inputs --

t_begin "stdin to stdout"
ls_run <"$T/one.log"
expect_rc 0
expect_out_str "$S1"
expect_err_empty
t_end

t_begin "FILE argument"
ls_run "$T/one.log" </dev/null
expect_rc 0
expect_out_str "$S1"
expect_err_empty
t_end

t_begin "'-' reads stdin"
ls_run - <"$T/one.log"
expect_rc 0
expect_out_str "$S1"
t_end

mk "$T/a.log" '198.51.100.7 a1\n198.51.100.8 a2\n'
mk "$T/b.log" '2001:db8:abcd:12::1 b1\n'
mk "$T/c.log" '192.0.2.1 c1\n'
t_begin "several files in order, '-' among them"
ls_run "$T/a.log" - "$T/c.log" <"$T/b.log"
expect_rc 0
expect_out_str '198.51.100.0 a1\n198.51.100.0 a2\n2001:db8:abcd:: b1\n192.0.2.0 c1\n'
t_end

mk "$T/nonl1.log" '198.51.100.7 first'
mk "$T/nonl2.log" 'second 192.0.2.200'
t_begin "missing final newline between files gets one, the last stays missing"
ls_run "$T/nonl1.log" "$T/nonl2.log" "$T/nonl1.log"
expect_rc 0
expect_out_str '198.51.100.0 first\nsecond 192.0.2.0\n198.51.100.0 first'
t_end

: >"$T/empty.log"
t_begin "empty files add nothing"
ls_run "$T/empty.log" "$T/c.log" "$T/empty.log"
expect_rc 0
expect_out_str '192.0.2.0 c1\n'
t_end

t_begin "empty stdin gives empty output"
ls_run </dev/null
expect_rc 0
expect_out_empty
expect_err_empty
t_end

# ---------------------------------------------------------------- -o ------

t_begin "-o appends to an existing file, stdout stays empty"
mk "$T/app.log" 'old line 192.0.2.9\n'
ls_run -o "$T/app.log" <"$T/one.log"
expect_rc 0
expect_out_empty
mk "$T/expected" "old line 192.0.2.9\n$S1"
expect_same "$T/expected" "$T/app.log"
ls_run --output "$T/app.log" <"$T/one.log"
expect_rc 0
mk "$T/expected" "old line 192.0.2.9\n$S1$S1"
expect_same "$T/expected" "$T/app.log"
t_end

t_begin "-o creates the file with mode 0640"
rm -f "$T/new.log"
ls_run -o "$T/new.log" <"$T/one.log"
expect_rc 0
expect_mode "$T/new.log" 640
mk "$T/expected" "$S1"
expect_same "$T/expected" "$T/new.log"
t_end

t_begin "-o keeps the mode of an existing file"
mk "$T/m604.log" ''
chmod 604 "$T/m604.log"
ls_run -o "$T/m604.log" <"$T/one.log"
expect_rc 0
expect_mode "$T/m604.log" 604
t_end

# ---------------------------------------------------------------- gzip ----

t_begin "-z output is gzip and round-trips through gzip -dc"
ls_run -z <"$T/one.log"
expect_rc 0
if [ "$(head -c 2 "$T/out" | od -An -tx1 | tr -d ' \n')" != 1f8b ]; then
    t_fail "stdout does not start with the gzip magic 1f 8b"
fi
gzip -dc <"$T/out" >"$T/dec" 2>"$T/gzerr" || t_fail "gzip -dc failed: $(cat "$T/gzerr")"
mk "$T/expected" "$S1"
expect_same "$T/expected" "$T/dec"
t_end

t_begin "-z -o appends a gzip member; the file decompresses to both runs"
rm -f "$T/z.gz"
ls_run -z -o "$T/z.gz" <"$T/one.log"
expect_rc 0
ls_run --gzip -o "$T/z.gz" <"$T/c.log"
expect_rc 0
expect_out_empty
expect_mode "$T/z.gz" 640
gzip -t "$T/z.gz" 2>"$T/gzerr" || t_fail "gzip -t failed: $(cat "$T/gzerr")"
gzip -dc <"$T/z.gz" >"$T/dec" 2>/dev/null
mk "$T/expected" "${S1}192.0.2.0 c1\n"
expect_same "$T/expected" "$T/dec"
t_end

t_begin "-z with a missing final newline keeps it missing"
ls_run -z "$T/nonl2.log"
expect_rc 0
gzip -dc <"$T/out" >"$T/dec" 2>/dev/null
mk "$T/expected" 'second 192.0.2.0'
expect_same "$T/expected" "$T/dec"
t_end

gzip -c <"$T/a.log" >"$T/a.log.gz"
gzip -c <"$T/b.log" >"$T/b.log.gz"
t_begin "gzip input detected by magic (FILE)"
ls_run "$T/a.log.gz"
expect_rc 0
expect_out_str '198.51.100.0 a1\n198.51.100.0 a2\n'
expect_err_empty
t_end

t_begin "gzip input detected by magic (stdin)"
ls_run <"$T/a.log.gz"
expect_rc 0
expect_out_str '198.51.100.0 a1\n198.51.100.0 a2\n'
t_end

t_begin "gzip input detected without a .gz name"
cp "$T/a.log.gz" "$T/rotated.1"
ls_run "$T/rotated.1"
expect_rc 0
expect_out_str '198.51.100.0 a1\n198.51.100.0 a2\n'
t_end

t_begin "multi-member gzip (cat a.gz b.gz)"
cat "$T/a.log.gz" "$T/b.log.gz" >"$T/multi.gz"
ls_run "$T/multi.gz"
expect_rc 0
expect_out_str '198.51.100.0 a1\n198.51.100.0 a2\n2001:db8:abcd:: b1\n'
ls_run <"$T/multi.gz"
expect_rc 0
expect_out_str '198.51.100.0 a1\n198.51.100.0 a2\n2001:db8:abcd:: b1\n'
t_end

t_begin "zero padding after gzip data is accepted (as gzip -dc does)"
{ cat "$T/a.log.gz"; head -c 512 /dev/zero; } >"$T/padded.gz"
ls_run "$T/padded.gz"
expect_rc 0
expect_out_str '198.51.100.0 a1\n198.51.100.0 a2\n'
t_end

t_begin "other bytes after gzip data: exit 74, lines before it kept"
{ cat "$T/a.log.gz"; printf 'junk'; } >"$T/junk.gz"
ls_run "$T/junk.gz"
expect_rc 74
expect_out_str '198.51.100.0 a1\n198.51.100.0 a2\n'
expect_err_line
expect_err_has 'trailing garbage after gzip data'
t_end

t_begin "gzip and plain files mixed"
gzip -c <"$T/nonl1.log" >"$T/nonl1.log.gz"
ls_run "$T/c.log" "$T/nonl1.log.gz" "$T/b.log"
expect_rc 0
expect_out_str '192.0.2.0 c1\n198.51.100.0 first\n2001:db8:abcd:: b1\n'
t_end

# A gzip stream with the secret inside, then damaged two ways.
awk -v s="$SECRET" 'BEGIN { for (i = 0; i < 2000; i++)
    printf "%s 203.0.113.%d line %d %s\n", s, i % 250, i, s }' >"$T/secret.log"
gzip -c <"$T/secret.log" >"$T/secret.gz"
size=$(stat -c %s "$T/secret.gz")
head -c $((size / 2)) "$T/secret.gz" >"$T/trunc.gz"
cp "$T/secret.gz" "$T/corrupt.gz"
printf '\xde\xad\xbe\xef\xde\xad\xbe\xef' |
    dd of="$T/corrupt.gz" bs=1 seek=$((size / 3)) conv=notrunc status=none
head -c 12 "$T/secret.gz" >"$T/header-only.gz"

for kind in trunc corrupt header-only; do
    t_begin "$kind gzip input: exit 74, one error line without content"
    ls_run "$T/$kind.gz"
    expect_rc 74
    expect_err_line
    expect_err_lacks "$SECRET"
    expect_err_lacks "203.0.113."
    expect_file_lacks "$T/out" "203.0.113.1 "
    t_end
done

t_begin "corrupt gzip on stdin: exit 74"
ls_run <"$T/corrupt.gz"
expect_rc 74
expect_err_line
expect_err_lacks "$SECRET"
t_end

# ---------------------------------------------------------------- in-place

t_begin "--in-place plain file: scrubbed, mode and owner kept, no temp left"
mkdir "$T/ip"
mk "$T/ip/access.log" "$L1"'no address here\n'
chmod 604 "$T/ip/access.log"
owner_before=$(stat -c %U:%G "$T/ip/access.log")
if [ "$(id -u)" -eq 0 ]; then
    chown 65534:65534 "$T/ip/access.log"
    owner_before=65534:65534
fi
ls_run --in-place "$T/ip/access.log"
expect_rc 0
expect_out_empty
expect_err_empty
mk "$T/expected" "$S1"'no address here\n'
expect_same "$T/expected" "$T/ip/access.log"
expect_mode "$T/ip/access.log" 604
if [ "$(id -u)" -eq 0 ]; then
    owner_after=$(stat -c %u:%g "$T/ip/access.log")
else
    owner_after=$(stat -c %U:%G "$T/ip/access.log")
fi
[ "$owner_after" = "$owner_before" ] || t_fail "owner changed: $owner_before -> $owner_after"
left=$(ls -A "$T/ip")
[ "$left" = access.log ] || t_fail "directory should hold only access.log, holds: $left"
t_end

t_begin "--in-place .gz stays gzip"
mkdir "$T/ipz"
mk "$T/ipz/plain" "$L1"'tail 2001:DB8:ABCD:12::1\n'
gzip -c <"$T/ipz/plain" >"$T/ipz/access.log.gz"
rm "$T/ipz/plain"
chmod 640 "$T/ipz/access.log.gz"
ls_run --in-place "$T/ipz/access.log.gz"
expect_rc 0
expect_out_empty
if [ "$(head -c 2 "$T/ipz/access.log.gz" | od -An -tx1 | tr -d ' \n')" != 1f8b ]; then
    t_fail "rewritten file is not gzip any more"
fi
gzip -dc <"$T/ipz/access.log.gz" >"$T/dec" 2>/dev/null || t_fail "gzip -dc of rewritten file failed"
mk "$T/expected" "$S1"'tail 2001:db8:abcd::\n'
expect_same "$T/expected" "$T/dec"
expect_mode "$T/ipz/access.log.gz" 640
left=$(ls -A "$T/ipz")
[ "$left" = access.log.gz ] || t_fail "directory should hold only access.log.gz, holds: $left"
t_end

t_begin "--in-place several files, last line without newline kept so"
mkdir "$T/ip2"
mk "$T/ip2/x.log" '192.0.2.77 x'
mk "$T/ip2/y.log" '192.0.2.78 y\n'
ls_run --in-place "$T/ip2/x.log" "$T/ip2/y.log"
expect_rc 0
mk "$T/expected" '192.0.2.0 x'
expect_same "$T/expected" "$T/ip2/x.log"
mk "$T/expected" '192.0.2.0 y\n'
expect_same "$T/expected" "$T/ip2/y.log"
t_end

t_begin "--in-place failure (read-only directory): exit 73, original untouched"
mkdir "$T/ro"
mk "$T/ro/access.log" "$L1"
chmod 644 "$T/ro/access.log"
cp "$T/ro/access.log" "$T/ro-orig"
ino_before=$(stat -c %i "$T/ro/access.log")
if [ "$(id -u)" -eq 0 ]; then
    # root ignores directory permissions: run as nobody in a nobody-owned dir.
    chown -R 65534:65534 "$T/ro"
    chmod 555 "$T/ro"
    chmod o+x "$T"
    setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$LOGSCRUB" --in-place "$T/ro/access.log" >"$T/out" 2>"$T/err"
    RC=$?
else
    chmod 555 "$T/ro"
    ls_run --in-place "$T/ro/access.log"
fi
expect_rc 73
expect_err_line
expect_err_lacks "203.0.113"
expect_same "$T/ro-orig" "$T/ro/access.log"
[ "$(stat -c %i "$T/ro/access.log")" = "$ino_before" ] || t_fail "file was replaced"
left=$(ls -A "$T/ro")
[ "$left" = access.log ] || t_fail "directory should hold only access.log, holds: $left"
chmod 755 "$T/ro"
t_end

t_begin "--in-place on corrupt gzip: exit 74, original untouched, no temp left"
mkdir "$T/ipc"
cp "$T/corrupt.gz" "$T/ipc/bad.gz"
ls_run --in-place "$T/ipc/bad.gz"
expect_rc 74
expect_err_line
expect_err_lacks "$SECRET"
expect_same "$T/corrupt.gz" "$T/ipc/bad.gz"
left=$(ls -A "$T/ipc")
[ "$left" = bad.gz ] || t_fail "directory should hold only bad.gz, holds: $left"
t_end

t_begin "--in-place with -o: usage error 64, file untouched"
cp "$T/one.log" "$T/ipo.log"
ls_run --in-place -o "$T/ipo-out.log" "$T/ipo.log"
expect_rc 64
expect_err_line
expect_same "$T/one.log" "$T/ipo.log"
[ ! -e "$T/ipo-out.log" ] || t_fail "-o file was created"
t_end

t_begin "--in-place without FILE: usage error 64"
ls_run --in-place <"$T/one.log"
expect_rc 64
expect_err_line
expect_out_empty
t_end

t_begin "--in-place missing FILE: exit 66"
ls_run --in-place "$T/no-such-file.log"
expect_rc 66
expect_err_line
expect_err_has no-such-file.log
t_end

t_begin "--in-place -: usage error 64 (standard input cannot be rewritten)"
ls_run --in-place - <"$T/one.log"
expect_rc 64
expect_out_empty
expect_err_line
t_end

t_begin "--in-place through a symbolic link rewrites the target, keeps the link"
mkdir -p "$T/ipl"
printf '203.0.113.9 via link\n' >"$T/ipl/real.log"
ln -s real.log "$T/ipl/link.log"
ls_run --in-place "$T/ipl/link.log"
expect_rc 0
[ -L "$T/ipl/link.log" ] || t_fail "the link was replaced by a file"
printf '203.0.113.0 via link\n' >"$T/expected"
expect_same "$T/expected" "$T/ipl/real.log"
t_end

t_begin "a directory as input: exit 66, the other files still filtered"
mkdir -p "$T/adir"
printf '203.0.113.9 a\n' >"$T/f1.log"
printf '198.51.100.7 b\n' >"$T/f2.log"
ls_run "$T/f1.log" "$T/adir" "$T/f2.log"
expect_rc 66
expect_out_str '203.0.113.0 a\n198.51.100.0 b\n'
expect_err_line
expect_err_has 'Is a directory'
t_end

t_begin "a missing file between others: reported, the rest filtered, exit 66"
ls_run "$T/f1.log" "$T/no-such.log" "$T/f2.log"
expect_rc 66
expect_out_str '203.0.113.0 a\n198.51.100.0 b\n'
expect_err_line
expect_err_has no-such.log
t_end

# ---------------------------------------------------------------- errors --

t_begin "missing input file: exit 66, message names the file, no content"
mk "$T/sec.log" "$SECRET 203.0.113.9 $SECRET\n"
ls_run "$T/sec.log" "$T/missing-input.log"
expect_rc 66
expect_err_line
expect_err_has missing-input.log
expect_err_lacks "$SECRET"
expect_file_lacks "$T/out" "203.0.113.9"
t_end

t_begin "unreadable input file (permission denied): exit 66, no content"
mk "$T/unreadable.log" "$SECRET 203.0.113.9\n"
chmod 600 "$T/unreadable.log"
if [ "$(id -u)" -eq 0 ]; then
    # root reads anything: run as nobody, who may enter $T but not read the file.
    chmod o+x "$T"
    setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$LOGSCRUB" "$T/unreadable.log" >"$T/out" 2>"$T/err"
    RC=$?
else
    chmod 000 "$T/unreadable.log"
    ls_run "$T/unreadable.log"
fi
expect_rc 66
expect_err_line
expect_err_has unreadable.log
expect_err_lacks "$SECRET"
expect_out_empty
t_end

t_begin "unwritable -o (no such directory): exit 73"
ls_run -o "$T/no-such-dir/out.log" <"$T/sec.log"
expect_rc 73
expect_err_line
expect_err_lacks "$SECRET"
expect_out_empty
t_end

t_begin "-o naming a directory: exit 73"
mkdir -p "$T/adir"
ls_run -o "$T/adir" <"$T/sec.log"
expect_rc 73
expect_err_line
expect_out_empty
t_end

if [ -w /dev/full ]; then
    t_begin "write error (-o /dev/full): exit 74, no content in message"
    ls_run -o /dev/full <"$T/sec.log"
    expect_rc 74
    expect_err_line
    expect_err_lacks "$SECRET"
    t_end

    t_begin "write error (stdout is /dev/full): exit 74"
    "$LOGSCRUB" <"$T/sec.log" >/dev/full 2>"$T/err"
    RC=$?
    expect_rc 74
    expect_err_line
    expect_err_lacks "$SECRET"
    t_end
fi

for bad in "--ipv4-prefix 33" "--ipv6-prefix 129" "--ipv4-prefix abc" \
    "--ipv6-prefix x48" "--ipv4-prefix -1" "--ipv4-prefix 24x" \
    "--ipv4-prefix=" "--ipv6-prefix 1e2" "--max-line abc" "--max-line 12Q" \
    "--bogus" "-q" "--compat=nosuch"; do
    t_begin "usage error: $bad -> 64"
    # shellcheck disable=SC2086 # word splitting wanted
    ls_run $bad <"$T/sec.log"
    expect_rc 64
    expect_err_line
    expect_err_lacks "$SECRET"
    expect_out_empty
    t_end
done

t_begin "option missing its value (--ipv4-prefix at the end) -> 64"
ls_run --ipv4-prefix <"$T/sec.log"
expect_rc 64
expect_err_line
expect_out_empty
t_end

# ---------------------------------------------------------------- prefixes

mk "$T/pfx.log" '203.0.113.195 2001:db8:abcd:12:3456::1 ::ffff:192.0.2.33\n'
pfx() { # pfx "ARGS" EXPECTED
    t_begin "prefix ${1:-(defaults)}"
    # shellcheck disable=SC2086
    ls_run $1 <"$T/pfx.log"
    expect_rc 0
    expect_out_str "$2"
    expect_err_empty
    t_end
}
pfx "" '203.0.113.0 2001:db8:abcd:: ::ffff:192.0.2.0\n'
pfx "--ipv4-prefix 16" '203.0.0.0 2001:db8:abcd:: ::ffff:192.0.0.0\n'
pfx "--ipv4-prefix=16" '203.0.0.0 2001:db8:abcd:: ::ffff:192.0.0.0\n'
pfx "--ipv4-prefix 0" '0.0.0.0 2001:db8:abcd:: ::ffff:0.0.0.0\n'
pfx "--ipv4-prefix 32" '203.0.113.195 2001:db8:abcd:: ::ffff:192.0.2.33\n'
pfx "--ipv4-prefix 20" '203.0.112.0 2001:db8:abcd:: ::ffff:192.0.0.0\n'
pfx "--ipv6-prefix 32" '203.0.113.0 2001:db8:: ::ffff:192.0.2.0\n'
pfx "--ipv6-prefix 64" '203.0.113.0 2001:db8:abcd:12:: ::ffff:192.0.2.0\n'
pfx "--ipv6-prefix 36" '203.0.113.0 2001:db8:a000:: ::ffff:192.0.2.0\n'
pfx "--ipv6-prefix 0" '203.0.113.0 :: ::ffff:192.0.2.0\n'
pfx "--ipv6-prefix 128" '203.0.113.0 2001:db8:abcd:12:3456::1 ::ffff:192.0.2.0\n'
pfx "--ipv4-prefix 32 --ipv6-prefix 128" '203.0.113.195 2001:db8:abcd:12:3456::1 ::ffff:192.0.2.33\n'

t_begin "--ipv6-prefix 8 truncates one-group forms (x::, [x::]:port, x::%zone)"
mk "$T/xcc.log" '2a01:: x [2a01::]:443 fe80::%eth0 ff02:: 2a01::1\n'
ls_run --ipv6-prefix 8 <"$T/xcc.log"
expect_rc 0
expect_out_str '2a00:: x [2a00::]:443 fe00::%eth0 ff00:: 2a00::\n'
t_end

t_begin "prefix /32 and /128 still rewrite to canonical text"
mk "$T/canon.log" '192.030.000.006 2001:DB8:0:0:0:0:0:1 ::FFFF:C000:0221\n'
ls_run --ipv4-prefix 32 --ipv6-prefix 128 <"$T/canon.log"
expect_rc 0
expect_out_str '192.30.0.6 2001:db8::1 ::ffff:192.0.2.33\n'
t_end

KP_IN='10.1.2.3 192.168.1.77 127.0.0.1 169.254.3.4 0.0.0.0 192.0.2.33 198.51.100.7 203.0.113.195 100.64.1.2 172.16.5.4 8.8.8.8 fe80::1 ::1 fd00::1 2001:db8::5 2606:4700::1111 ::ffff:10.9.8.7\n'
mk "$T/kp.log" "$KP_IN"
t_begin "--keep-private leaves private/loopback/link-local/unspecified/documentation alone"
ls_run --keep-private <"$T/kp.log"
expect_rc 0
expect_out_str '10.1.2.3 192.168.1.77 127.0.0.1 169.254.3.4 0.0.0.0 192.0.2.33 198.51.100.7 203.0.113.195 100.64.1.2 172.16.5.4 8.8.8.0 fe80::1 ::1 fd00::1 2001:db8::5 2606:4700:: ::ffff:10.9.8.7\n'
t_end

t_begin "without --keep-private those ranges are masked too"
ls_run <"$T/kp.log"
expect_rc 0
expect_out_str '10.1.2.0 192.168.1.0 127.0.0.0 169.254.3.0 0.0.0.0 192.0.2.0 198.51.100.0 203.0.113.0 100.64.1.0 172.16.5.0 8.8.8.0 fe80:: :: fd00:: 2001:db8:: 2606:4700:: ::ffff:10.9.8.0\n'
t_end

# ---------------------------------------------------------------- max-line

x1000=$(printf 'x%.0s' $(seq 1000))
y100=$(printf 'y%.0s' $(seq 100))
x1010=$(printf 'x%.0s' $(seq 1010))
z100=$(printf 'z%.0s' $(seq 100))
x2000=$(printf 'x%.0s' $(seq 2000))
x1024=$(printf 'x%.0s' $(seq 1024))

t_begin "--max-line: cut after the last space, exact marker"
mk "$T/long1.log" "203.0.113.195 $x1000 $y100\nshort 192.0.2.1\n"
ls_run --max-line 1K <"$T/long1.log"
expect_rc 0
expect_out_str "203.0.113.0 $x1000 [logscrub: 100 bytes cut]\nshort 192.0.2.0\n"
t_end

t_begin "--max-line: no space in the kept part -> only the marker"
mk "$T/long2.log" "203.0.113.195$x2000\n"
ls_run --max-line 1K <"$T/long2.log"
expect_rc 0
expect_out_str "[logscrub: 2013 bytes cut]\n"
expect_file_lacks "$T/out" 203.0.113
t_end

t_begin "--max-line: address straddling the limit does not leak"
mk "$T/long3.log" "$x1010 203.0.113.195 tail$z100\n"
ls_run --max-line 1K <"$T/long3.log"
expect_rc 0
expect_out_str "$x1010 [logscrub: 118 bytes cut]\n"
expect_file_lacks "$T/out" 203.0.113
t_end

t_begin "--max-line: cut at a tab, missing final newline stays missing"
mk "$T/long4.log" "a\t$x1010\t$y100"
ls_run --max-line 1K <"$T/long4.log"
expect_rc 0
expect_out_str "a\t$x1010\t[logscrub: 100 bytes cut]"
t_end

t_begin "--max-line: a line of exactly the limit is processed whole"
mk "$T/long5.log" "$x1024\n203.0.113.195 ok\n"
ls_run --max-line 1K <"$T/long5.log"
expect_rc 0
expect_out_str "$x1024\n203.0.113.0 ok\n"
t_end

t_begin "--max-line 2K and 1M are accepted"
ls_run --max-line 2K <"$T/long1.log"
expect_rc 0
mk "$T/expected" "203.0.113.0 $x1000 $y100\nshort 192.0.2.0\n"
expect_out "$T/expected"
ls_run --max-line 1M <"$T/long1.log"
expect_rc 0
expect_out "$T/expected"
t_end

t_begin "default max-line (1M): a 1.5 MiB line is cut"
awk 'BEGIN { s = sprintf("%1000s", ""); gsub(/ /, "w", s);
    printf "203.0.113.195";
    for (i = 0; i < 1536; i++) printf " %s", s; printf "\n" }' >"$T/huge.log"
ls_run <"$T/huge.log"
expect_rc 0
# 1 MiB = 1048576 bytes: "203.0.113.195" (13) + k * 1001 bytes; the last space
# inside the first 1048576 bytes is at 13 + 1047 * 1001 = 1048060 (0-based),
# so 1048061 bytes are kept and 13 + 1536 * 1001 - 1048061 = 489488 are cut.
lines=$(wc -l <"$T/out")
[ "$lines" -eq 1 ] || t_fail "expected 1 output line, got $lines"
tail -c 30 "$T/out" >"$T/tail"
mk "$T/expected" ' [logscrub: 489488 bytes cut]\n'
tail -c 30 "$T/expected" >"$T/expected.tail"
expect_same "$T/expected.tail" "$T/tail"
expect_file_lacks "$T/out" 203.0.113.195
[ "$(head -c 12 "$T/out")" = "203.0.113.0 " ] || t_fail "line does not start with the scrubbed address"
t_end

# ---------------------------------------------------------------- bytes ---

t_begin "CRLF preserved"
mk "$T/crlf.log" '203.0.113.195 x\r\n10.0.0.1\r\nplain\r\n\r\n'
ls_run <"$T/crlf.log"
expect_rc 0
expect_out_str '203.0.113.0 x\r\n10.0.0.0\r\nplain\r\n\r\n'
t_end

t_begin "NUL bytes preserved"
mk "$T/nul.log" 'a\0b 203.0.113.195\0c\n\0\0\nno\0ip\n'
ls_run <"$T/nul.log"
expect_rc 0
expect_out_str 'a\0b 203.0.113.0\0c\n\0\0\nno\0ip\n'
t_end

t_begin "invalid UTF-8 preserved"
mk "$T/utf.log" '\xff\xfe bad \xc3\x28 203.0.113.195 \xe2\x82\n\xc0\xaf\xed\xa0\x80 only bad bytes\n'
ls_run <"$T/utf.log"
expect_rc 0
expect_out_str '\xff\xfe bad \xc3\x28 203.0.113.0 \xe2\x82\n\xc0\xaf\xed\xa0\x80 only bad bytes\n'
t_end

t_begin "empty lines kept"
mk "$T/emp.log" '\n\n203.0.113.195\n\n'
ls_run <"$T/emp.log"
expect_rc 0
expect_out_str '\n\n203.0.113.0\n\n'
t_end

t_begin "missing final newline stays missing"
mk "$T/nonl.log" 'a\n203.0.113.195'
ls_run <"$T/nonl.log"
expect_rc 0
expect_out_str 'a\n203.0.113.0'
ls_run "$T/nonl.log"
expect_out_str 'a\n203.0.113.0'
t_end

t_begin "--no-rules: input without an address passes byte for byte"
printf 'GET /index.html 1.2.3.4.5.6 v1.2.3beta 00:1a:2b:3c:4d:5e 12:34:56 10.0.19041.1\n' >"$T/plain.log"
ls_run --no-rules <"$T/plain.log"
expect_rc 0
expect_out "$T/plain.log"
t_end

t_begin "default policy: the same line loses only the MAC's device part"
ls_run <"$T/plain.log"
expect_rc 0
expect_out_str 'GET /index.html 1.2.3.4.5.6 v1.2.3beta 00:1a:2b:******** 12:34:56 10.0.19041.1\n'
t_end

# ------------------------------------------------------- query strings ---
# The decoded pass (logscrub(1), QUERY STRINGS): values hidden by %XX and
# '+' in a request line, a referrer and a JSON URL field are found, the
# replacement is written in the token's encoding, decoys stay byte for
# byte.  Each case alone, then all as one stream.

Q_REQ='203.0.113.0 - - [01/May/2024:12:00:00 +0000] "GET /s?@ HTTP/1.1" 200 512 "-" "Mozilla/5.0"'
Q_REF='203.0.113.0 - - [01/May/2024:12:00:00 +0000] "GET / HTTP/1.1" 200 512 "https://r.example/?@" "Mozilla/5.0"'
Q_JSON='{"ts":"2024-05-01T12:00:00Z","url":"/s?@","status":200}'
# QUERY <TAB> EXPECTED ("=" for a decoy that must stay as it is).
Q_CASES='q=AWSToken%3DAKIAQYLPMN5HHHFPZAM2	q=AWSToken%3D[redacted]
q=some%20iban:%20DE89370400440532013000	q=some%20iban:%20[iban]
q=4012+8888+8888+1881	q=****+****+****+1881
q=emails:%20info@presidio.site%20or%20anotherinfo@presidio.site	q=emails:[email]%20or%20[email]
q=%2B41%2022%20730%205989	q=[phone]
q=DE89+3704+0044+0532+0130+00	q=[iban]
mac=AA%3ABB%3ACC%3A11%3A22%3A33	mac=AA%3ABB%3ACC%3A********
q=contact%2520info%2540presidio.site	q=contact%2520[email]
q=4012%25208888%25208888%25201881	q=****%2520****%2520****%25201881
id=%7B550e8400-e29b-41d4-a716-446655440000%7D&ts=2024-05-01T12%3A30%3A45%2B02%3A00	=
q=a%20%20%20%20b&u=%C3%BC&pct=100%25&v=1.4.2%2B4929135724680131	=
q=winter+germany&lang=de&page=2	='
: >"$T/q.in"
: >"$T/q.want"
while IFS=$'\t' read -r q want; do
    [ "$want" = "=" ] && want=$q
    for tpl in "$Q_REQ" "$Q_REF" "$Q_JSON"; do
        in=${tpl/@/$q}
        exp=${tpl/@/$want}
        printf '%s\n' "$in" >>"$T/q.in"
        printf '%s\n' "$exp" >>"$T/q.want"
        printf '%s\n' "$exp" >"$T/q1.want"
        t_begin "query: $in"
        printf '%s\n' "$in" >"$T/q1.in"
        ls_run <"$T/q1.in"
        expect_rc 0
        expect_out "$T/q1.want"
        expect_err_empty
        t_end
    done
done <<<"$Q_CASES"

t_begin "query cases as one stream"
ls_run <"$T/q.in"
expect_rc 0
expect_out "$T/q.want"
t_end

t_begin "--no-rules leaves query strings alone"
ls_run --no-rules <"$T/q.in"
expect_rc 0
expect_out "$T/q.in"
t_end

t_begin "--explain: a match in a decoded query names its encoded bytes"
printf '%s\n' 'GET /s?q=some%20iban:%20DE89370400440532013000 HTTP/1.1' >"$T/qe.in"
printf '%s\n' 'GET /s?q=some%20iban:%20[iban] HTTP/1.1' >"$T/qe.want"
ls_run --explain <"$T/qe.in"
expect_rc 0
expect_out "$T/qe.want"
grep -qx 'logscrub: explain: line 1: rule iban matched bytes 24-46' "$T/err" ||
    t_fail "explain: $(t_show "$T/err")"
t_end

# ---------------------------------------------------------------- stats ---

STATS_RE='^logscrub: stats: lines=[0-9]+ bytes_in=[0-9]+ bytes_out=[0-9]+ ipv4=[0-9]+ ipv6=[0-9]+ kept=[0-9]+ dropped=[0-9]+ fail_closed=[0-9]+ unparsed=[0-9]+ seconds=[0-9]+\.[0-9]{3} mb_per_s=[0-9]+\.[0-9]$'
# stats_field NAME: the integer after NAME= in the stats line.
stats_field() {
    sed -n "s/.* $1=\([0-9]*\).*/\1/p" "$T/err" | head -n 1
}
# expect_stats lines ipv4 ipv6 kept fail_closed INPUT
expect_stats() {
    expect_err_line
    if ! grep -Eq "$STATS_RE" "$T/err"; then
        t_fail "stats line does not match the format: $(cat -A "$T/err")"
        return
    fi
    local k want got i=1
    for k in lines ipv4 ipv6 kept fail_closed; do
        want=${!i}
        got=$(stats_field "$k")
        [ "$got" = "$want" ] || t_fail "stats $k=$got, expected $want"
        i=$((i + 1))
    done
    got=$(stats_field bytes_in)
    want=$(wc -c <"$6")
    [ "$got" = "$want" ] || t_fail "stats bytes_in=$got, expected $want"
    got=$(stats_field bytes_out)
    want=$(wc -c <"$T/out")
    [ "$got" = "$want" ] || t_fail "stats bytes_out=$got, expected $want"
}

mk "$T/st.log" '203.0.113.195 2001:db8::1 ::ffff:198.51.100.1\n10.0.0.1\n\nno ip here'
t_begin "--stats counts lines and addresses"
ls_run --stats --no-rules <"$T/st.log"
expect_rc 0
expect_out_str '203.0.113.0 2001:db8:: ::ffff:198.51.100.0\n10.0.0.0\n\nno ip here'
expect_stats 4 3 1 0 0 "$T/st.log"
t_end

t_begin "--stats with the default policy adds one line of rule hits"
mk "$T/pii.log" 'mail alice@example.com and bob@example.org\nno pii 203.0.113.7'
ls_run --stats <"$T/pii.log"
expect_rc 0
expect_out_str 'mail [email] and [email]\nno pii 203.0.113.0'
[ "$(wc -l <"$T/err")" -eq 2 ] || t_fail "expected 2 stderr lines: $(t_show "$T/err")"
head -n 1 "$T/err" | grep -Eq "$STATS_RE" || t_fail "stats line: $(t_show "$T/err")"
sed -n 2p "$T/err" | grep -Eq '^logscrub: stats: rules:( [a-z0-9-]+=[0-9]+)+$' ||
    t_fail "rules line: $(t_show "$T/err")"
sed -n 2p "$T/err" | grep -q ' email=2 ' || t_fail "email hits: $(t_show "$T/err")"
t_end

t_begin "--stats with --keep-private counts kept"
ls_run --stats --no-rules --keep-private <"$T/st.log"
expect_rc 0
expect_out_str '203.0.113.195 2001:db8::1 ::ffff:198.51.100.1\n10.0.0.1\n\nno ip here'
expect_stats 4 0 0 4 0 "$T/st.log"
t_end

t_begin "--stats counts fail_closed for a cut line"
ls_run --stats --no-rules --max-line 1K <"$T/long1.log"
expect_rc 0
expect_stats 2 2 0 0 1 "$T/long1.log"
t_end

t_begin "--stats with nothing to do"
ls_run --stats --no-rules </dev/null
expect_rc 0
expect_out_empty
expect_stats 0 0 0 0 0 /dev/null
t_end

t_begin "no --stats, no stderr"
ls_run <"$T/st.log"
expect_err_empty
t_end

# ---------------------------------------------------------------- help ----

for h in --help -h; do
    t_begin "$h: usage on stdout, exit 0, every option listed"
    ls_run "$h" </dev/null
    expect_rc 0
    expect_err_empty
    [ -s "$T/out" ] || t_fail "no usage text"
    grep -qi '^usage:.*logscrub' "$T/out" || t_fail "no 'Usage: logscrub' line"
    for opt in -o --output -z --gzip --in-place --break-links --ipv4-prefix --ipv6-prefix \
        --keep-private --max-line --line-buffered --stats --help --version \
        --compat; do
        grep -qe "$opt\\b" "$T/out" || t_fail "--help does not mention $opt"
    done
    t_end
done

# The libraries as loaded: the versions pkg-config knows (Debian ships one
# of each), PCRE2 with its JIT.
if command -v pkg-config >/dev/null && pkg-config --exists libpcre2-8 zlib yaml-0.1 libsodium; then
    printf 'logscrub 0.1.0\nPCRE2 %s (JIT on)\nzlib %s\nlibyaml %s\nlibsodium %s\n' \
        "$(pkg-config --modversion libpcre2-8)" "$(pkg-config --modversion zlib)" \
        "$(pkg-config --modversion yaml-0.1)" "$(pkg-config --modversion libsodium)" >"$T/versions"
fi
for v in --version -V; do
    t_begin "$v prints logscrub's and the libraries' versions"
    ls_run "$v" </dev/null
    expect_rc 0
    if [ -f "$T/versions" ]; then
        expect_out "$T/versions"
    else
        head -n 1 "$T/out" | grep -qx 'logscrub 0.1.0' || t_fail "first line: $(head -n 1 "$T/out")"
    fi
    expect_err_empty
    t_end
done

# ---------------------------------------------------------------- pipes ---

awk 'BEGIN { for (i = 0; i < 100000; i++)
    printf "203.0.113.%d - - [10/Oct/2023:13:55:36 +0000] \"GET /p/%d HTTP/1.1\" 200 5 \"-\" \"agent\"\n", i % 256, i }' >"$T/big.log"

t_begin "broken pipe: '$(basename "$LOGSCRUB") big | head -1' exits 0 quietly"
first=$("$LOGSCRUB" "$T/big.log" 2>"$T/err" | head -n 1; echo "rc=${PIPESTATUS[0]}")
[ "$first" = "$(printf '203.0.113.0 - - [10/Oct/2023:13:55:36 +0000] "GET /p/0 HTTP/1.1" 200 5 "-" "agent"\nrc=0')" ] ||
    t_fail "got: $first"
expect_err_empty
t_end

t_begin "broken pipe with SIGPIPE ignored by the parent: still exit 0 quietly"
first=$( (trap '' PIPE; "$LOGSCRUB" "$T/big.log" 2>"$T/err" | head -n 1; echo "rc=${PIPESTATUS[0]}"))
[ "$(printf '%s' "$first" | tail -n 1)" = rc=0 ] || t_fail "got: $first"
expect_err_empty
t_end

t_begin "broken pipe with -z: exit 0 quietly"
rc=$("$LOGSCRUB" -z "$T/big.log" 2>"$T/err" | head -c 10 >/dev/null; echo "${PIPESTATUS[0]}")
[ "$rc" = 0 ] || t_fail "exit status $rc"
expect_err_empty
t_end

t_begin "--format: an unknown name is a usage error, nothing written"
printf '203.0.113.195 x\n' >"$T/f.log"
ls_run -f bogus "$T/f.log"
expect_rc 64
expect_out_str ''
expect_err_line
expect_err_has '--format: expected auto, text'
t_end

t_begin "--format text and -f json read lines (as text in this release)"
ls_run --format text "$T/f.log"
expect_rc 0
expect_out_str '203.0.113.0 x\n'
ls_run -f json "$T/f.log"
expect_rc 0
expect_out_str '203.0.113.0 x\n'
t_end

t_begin "policy format: an unknown name is FILE:LINE:COL, exit 78"
printf 'version: 1\nformat: xml\n' >"$T/fmt.yaml"
ls_run -c "$T/fmt.yaml" "$T/f.log"
expect_rc 78
expect_out_str ''
expect_err_has "$T/fmt.yaml:2:9: format: expected auto"
t_end

t_begin "policy json.sensitive_keys: a bad entry is FILE:LINE:COL, exit 78"
printf 'version: 1\njson:\n  sensitive_keys: [token, Token]\n' >"$T/keys.yaml"
ls_run -c "$T/keys.yaml" "$T/f.log"
expect_rc 78
expect_out_str ''
expect_err_has "$T/keys.yaml:3:27: json.sensitive_keys: \"Token\" is listed twice"
t_end

t_begin "-f json: JSON lines rewritten, a line that is not JSON scrubbed as text and counted"
printf '{"ip":"192.0.2.5","password":"p","n":[1,true,null]}\nnot json 192.0.2.6\n' >"$T/j.log"
ls_run -f json --stats "$T/j.log"
expect_rc 0
expect_out_str '{"ip":"192.0.2.0","password":"[Filtered]","n":[1,true,null]}\nnot json 192.0.2.0\n'
expect_err_has " unparsed=1 "
t_end

t_begin "-f auto (the default) reads '{' lines as JSON; --no-rules keeps sensitive keys as they are"
printf '{"ip":"192.0.2.5","password":"p"}\n' >"$T/j2.log"
ls_run "$T/j2.log"
expect_rc 0
expect_out_str '{"ip":"192.0.2.0","password":"[Filtered]"}\n'
ls_run --no-rules "$T/j2.log"
expect_rc 0
expect_out_str '{"ip":"192.0.2.0","password":"p"}\n'
t_end

# ------------------------------------------------------------- progress ---
if command -v script >/dev/null; then
    # script(1) gives logscrub a terminal as stderr; the input pauses a
    # second, so the progress line (size unknown: a pipe) shows once.
    t_begin "progress on a terminal: a line on stderr, ended by a newline"
    script -qec "{ printf '203.0.113.195 a\\n'; sleep 1; printf 'b\\n'; } | '$LOGSCRUB' -o '$T/prog.out'" \
        /dev/null >"$T/tty" 2>&1
    tr '\r' '\n' <"$T/tty" | grep -Eq '^logscrub: 0\.0 MB, [0-9]+ MB/s +$' ||
        t_fail "no progress line: $(cat -A "$T/tty" | head -c 300)"
    printf '203.0.113.0 a\nb\n' >"$T/prog.want"
    expect_same "$T/prog.want" "$T/prog.out"
    t_end

    t_begin "--quiet: no progress on a terminal"
    script -qec "{ printf 'a\\n'; sleep 1; printf 'b\\n'; } | '$LOGSCRUB' --quiet -o '$T/prog2.out'" \
        /dev/null >"$T/tty2" 2>&1
    [ -s "$T/tty2" ] && t_fail "output on the terminal: $(cat -A "$T/tty2" | head -c 200)"
    t_end
fi

t_finish
