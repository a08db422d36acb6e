#!/bin/bash
# tests/inplace.sh -- --in-place on files that are not plain single-name
# files: hard links (refused unless --break-links), FIFOs and devices
# (exit 66 at once), extended attributes and ACLs (kept), and temporary files
# left by a killed run (removed by the next run once their writer is gone).
# The plain cases (mode, owner, gzip, failures) are in tests/cli.sh.

. "$(dirname "$0")/lib.sh"
require cmp stat timeout mkfifo setfattr getfattr setfacl getfacl flock
if [ "$(id -u)" -eq 0 ]; then
    require setpriv
fi
require_logscrub

umask 022

# The directory every test works in, resolved: --in-place names files by
# their real path in its messages.
D=$(realpath "$T")

L1='203.0.113.195 - - [10/Oct/2023:13:55:36 +0000] "GET / HTTP/1.1" 200 5\n'
S1='203.0.113.0 - - [10/Oct/2023:13:55:36 +0000] "GET / HTTP/1.1" 200 5\n'

# expect_err_str TEXT: stderr equals printf '%b' TEXT.
expect_err_str() {
    printf '%b' "$1" >"$T/expected-err"
    if ! cmp -s "$T/expected-err" "$T/err"; then
        t_fail "stderr differs (--- expected +++ actual):"
        t_fail "$(diff -u --label expected --label actual "$T/expected-err" "$T/err" | head -n 20)"
    fi
}

# t_skip NAME REASON: says why a test did not run (it counts neither way).
t_skip() {
    echo "# skipped: $1: $2"
}

# expect_only DIR NAME...: DIR holds exactly these names (sorted), nothing else.
expect_only() {
    local dir=$1 got want
    shift
    got=$(ls -A "$dir" | sort | tr '\n' ' ')
    want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
    [ "$got" = "$want" ] || t_fail "$dir should hold '$want' but holds '$got'"
}

printf '%b' "$L1" >"$T/raw"
printf '%b' "$S1" >"$T/scrubbed"

# ---------------------------------------------------------- hard links ----

t_begin "hard-linked file: exit 73, both names unchanged, no temp left"
mkdir "$T/hl"
cp "$T/raw" "$T/hl/a.log"
ln "$T/hl/a.log" "$T/hl/b.log"
ino=$(stat -c %i "$T/hl/a.log")
ls_run --in-place "$T/hl/a.log"
expect_rc 73
expect_out_empty
expect_err_str "logscrub: $D/hl/a.log: has 2 hard links; --in-place would leave the raw copy under the other names (use --break-links to replace only this name)\n"
expect_same "$T/raw" "$T/hl/a.log"
expect_same "$T/raw" "$T/hl/b.log"
[ "$(stat -c %i:%h "$T/hl/a.log")" = "$ino:2" ] || t_fail "a.log was replaced or unlinked"
expect_only "$T/hl" a.log b.log
t_end

t_begin "hard-linked file among several: the files before it rewritten, it and the rest not"
mkdir "$T/hl3"
cp "$T/raw" "$T/hl3/first.log"
cp "$T/raw" "$T/hl3/linked.log"
ln "$T/hl3/linked.log" "$T/hl3/other.log"
ln "$T/hl3/linked.log" "$T/hl3/third.log"
cp "$T/raw" "$T/hl3/last.log"
ls_run --in-place "$T/hl3/first.log" "$T/hl3/linked.log" "$T/hl3/last.log"
expect_rc 73
expect_err_str "logscrub: $D/hl3/linked.log: has 3 hard links; --in-place would leave the raw copy under the other names (use --break-links to replace only this name)\n"
expect_same "$T/scrubbed" "$T/hl3/first.log"
expect_same "$T/raw" "$T/hl3/linked.log"
expect_same "$T/raw" "$T/hl3/last.log"
t_end

t_begin "--break-links: this name scrubbed (its own inode now), the other name keeps the original"
mkdir "$T/bl"
cp "$T/raw" "$T/bl/a.log"
chmod 640 "$T/bl/a.log"
ln "$T/bl/a.log" "$T/bl/b.log"
ino=$(stat -c %i "$T/bl/b.log")
ls_run --in-place --break-links "$T/bl/a.log"
expect_rc 0
expect_out_empty
expect_err_empty
expect_same "$T/scrubbed" "$T/bl/a.log"
expect_same "$T/raw" "$T/bl/b.log"
expect_mode "$T/bl/a.log" 640
[ "$(stat -c %h "$T/bl/a.log")" = 1 ] || t_fail "a.log should have 1 link, has $(stat -c %h "$T/bl/a.log")"
[ "$(stat -c %i:%h "$T/bl/b.log")" = "$ino:1" ] || t_fail "b.log should be the old inode, now alone"
expect_only "$T/bl" a.log b.log
t_end

t_begin "--break-links on a file with one link: rewritten as usual"
mkdir "$T/bl1"
cp "$T/raw" "$T/bl1/a.log"
ls_run --break-links --in-place "$T/bl1/a.log"
expect_rc 0
expect_err_empty
expect_same "$T/scrubbed" "$T/bl1/a.log"
expect_only "$T/bl1" a.log
t_end

t_begin "--break-links without --in-place: usage error 64, nothing read"
ls_run --break-links "$T/raw"
expect_rc 64
expect_out_empty
expect_err_str 'logscrub: --break-links only applies to --in-place\n'
t_end

# ------------------------------------------------------ not regular -----
# Each run gets 10 s: opening a FIFO for reading used to wait for a writer
# forever.

t_begin "FIFO: exit 66 at once, the FIFO left as it was, no temp file"
mkdir "$T/ff"
mkfifo -m 600 "$T/ff/access.log"
timeout 10 "$LOGSCRUB" --in-place "$T/ff/access.log" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 66
expect_out_empty
expect_err_str "logscrub: $D/ff/access.log: not a regular file\n"
[ -p "$T/ff/access.log" ] || t_fail "the FIFO is gone or replaced"
expect_mode "$T/ff/access.log" 600
expect_only "$T/ff" access.log
t_end

t_begin "FIFO through a symbolic link: exit 66 at once"
ln -s access.log "$T/ff/link.log"
timeout 10 "$LOGSCRUB" --in-place "$T/ff/link.log" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 66
expect_err_str "logscrub: $D/ff/access.log: not a regular file\n"
[ -p "$T/ff/access.log" ] && [ -L "$T/ff/link.log" ] || t_fail "the FIFO or the link changed"
t_end

t_begin "FIFO after a regular file: the first rewritten, then exit 66"
cp "$T/raw" "$T/ff/before.log"
timeout 10 "$LOGSCRUB" --in-place "$T/ff/before.log" "$T/ff/access.log" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 66
expect_err_str "logscrub: $D/ff/access.log: not a regular file\n"
expect_same "$T/scrubbed" "$T/ff/before.log"
t_end

t_begin "character device (/dev/null): exit 66, not opened for writing"
timeout 10 "$LOGSCRUB" --in-place /dev/null >"$T/out" 2>"$T/err"
RC=$?
expect_rc 66
expect_out_empty
expect_err_str "logscrub: /dev/null: not a regular file\n"
[ -c /dev/null ] || t_fail "/dev/null is no longer a character device"
t_end

t_begin "directory: exit 66"
mkdir "$T/ff/dir.log"
timeout 10 "$LOGSCRUB" --in-place "$T/ff/dir.log" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 66
expect_err_str "logscrub: $D/ff/dir.log: not a regular file\n"
t_end

# ------------------------------------------------- extended attributes ----
# xattrs of FILE as getfattr dumps them (hex values, every namespace the
# caller may read), for before/after comparisons.
xattrs() {
    getfattr --absolute-names -d -m - -e hex "$1" 2>/dev/null
}

if touch "$T/xprobe" && setfattr -n user.probe -v 1 "$T/xprobe" 2>/dev/null; then
    XATTRS=yes
else
    XATTRS=no
fi
XSKIP="the file system of $T does not support user extended attributes"
rm -f "$T/xprobe"

if [ "$XATTRS" = yes ]; then
    t_begin "user xattrs (binary values too) and an ACL are kept on the new file"
    mkdir "$T/xa"
    cp "$T/raw" "$T/xa/a.log"
    chmod 640 "$T/xa/a.log"
    setfattr -n user.test -v hello "$T/xa/a.log"
    setfattr -n user.bin -v 0x00ff0a "$T/xa/a.log"
    setfacl -m u:65534:r,g:65534:rw "$T/xa/a.log"
    before=$(xattrs "$T/xa/a.log")
    acl_before=$(getfacl -n --absolute-names "$T/xa/a.log")
    ino=$(stat -c %i "$T/xa/a.log")
    ls_run --in-place "$T/xa/a.log"
    expect_rc 0
    expect_out_empty
    expect_err_empty
    expect_same "$T/scrubbed" "$T/xa/a.log"
    [ "$(stat -c %i "$T/xa/a.log")" != "$ino" ] || t_fail "the file was not replaced"
    [ "$(getfattr --absolute-names --only-values -n user.test "$T/xa/a.log")" = hello ] ||
        t_fail "user.test is not 'hello'"
    [ "$(getfattr --absolute-names -n user.bin -e hex "$T/xa/a.log" | sed -n 2p)" = user.bin=0x00ff0a ] ||
        t_fail "user.bin is not 0x00ff0a"
    printf '# file: %s\n# owner: %s\n# group: %s\nuser::rw-\nuser:65534:r--\ngroup::r--\ngroup:65534:rw-\nmask::rw-\nother::---\n\n' \
        "$D/xa/a.log" "$(id -u)" "$(id -g)" >"$T/expected-acl"
    getfacl -n --absolute-names "$T/xa/a.log" >"$T/acl" 2>&1
    expect_same "$T/expected-acl" "$T/acl"
    [ "$acl_before" = "$(cat "$T/acl")" ] || t_fail "ACL changed"
    [ "$before" = "$(xattrs "$T/xa/a.log")" ] || t_fail "xattrs changed: $(xattrs "$T/xa/a.log")"
    expect_mode "$T/xa/a.log" 660
    expect_only "$T/xa" a.log
    t_end

    t_begin "an ACL the directory's default ACL would give the new file is not added"
    mkdir "$T/xd"
    cp "$T/raw" "$T/xd/a.log"
    chmod 640 "$T/xd/a.log"
    setfattr -n user.keep -v yes "$T/xd/a.log"
    setfacl -d -m u:65534:rw "$T/xd"
    before=$(xattrs "$T/xd/a.log")
    ls_run --in-place "$T/xd/a.log"
    expect_rc 0
    expect_err_empty
    expect_same "$T/scrubbed" "$T/xd/a.log"
    [ "$before" = "$(xattrs "$T/xd/a.log")" ] || t_fail "xattrs changed: $(xattrs "$T/xd/a.log")"
    printf '# file: %s\n# owner: %s\n# group: %s\nuser::rw-\ngroup::r--\nother::---\n\n' \
        "$D/xd/a.log" "$(id -u)" "$(id -g)" >"$T/expected-acl"
    getfacl -n --absolute-names "$T/xd/a.log" >"$T/acl" 2>&1
    expect_same "$T/expected-acl" "$T/acl"
    expect_mode "$T/xd/a.log" 640
    t_end
else
    t_skip "user xattrs and an ACL are kept" "$XSKIP"
    t_skip "an inherited default ACL is not added" "$XSKIP"
fi

# A security.capability attribute is readable by everyone but only settable
# with CAP_SETFCAP: a run as nobody can read it and cannot keep it.
RSKIP=
[ "$(id -u)" -eq 0 ] || RSKIP="needs root to set security.capability"
if [ -z "$RSKIP" ] && [ "$XATTRS" = yes ]; then
    mkdir "$T/xr"
    cp "$T/raw" "$T/xr/a.log"
    # chown drops file capabilities: owner first, then the attribute.
    chown -R 65534:65534 "$T/xr"
    setfattr -n security.capability -v 0x0100000200200000000000000000000000000000 \
        "$T/xr/a.log" 2>/dev/null || RSKIP="the file system refuses security.capability"
elif [ -z "$RSKIP" ]; then
    RSKIP=$XSKIP
fi
if [ -z "$RSKIP" ]; then
    t_begin "an attribute the new file cannot get: exit 73, original untouched, no temp left"
    chmod o+x "$T"
    before=$(xattrs "$T/xr/a.log")
    ino=$(stat -c %i "$T/xr/a.log")
    setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$LOGSCRUB" --in-place "$T/xr/a.log" >"$T/out" 2>"$T/err"
    RC=$?
    expect_rc 73
    expect_out_empty
    expect_err_str "logscrub: $D/xr/a.log: cannot keep extended attribute security.capability: Operation not permitted\n"
    expect_same "$T/raw" "$T/xr/a.log"
    [ "$(stat -c %i "$T/xr/a.log")" = "$ino" ] || t_fail "the file was replaced"
    [ "$before" = "$(xattrs "$T/xr/a.log")" ] || t_fail "xattrs changed"
    expect_only "$T/xr" a.log
    t_end
else
    t_skip "an attribute the new file cannot get is refused" "$RSKIP"
fi

# ------------------------------------------------ stale temporary files --
# A run holds an flock on its temporary file .NAME.logscrub.XXXXXX while it
# writes; the next run on NAME removes those it can lock (their writer is
# gone) and nothing else.

# locked_by_other FILE: true while someone holds an flock on FILE.
locked_by_other() {
    ! flock -n "$1" true 2>/dev/null
}

t_begin "stale temp files (no writer) removed by the next run; look-alikes left alone"
mkdir "$T/st"
cp "$T/raw" "$T/st/a.log"
for n in .a.log.logscrub.Ab12Cd .a.log.logscrub.zzzzzz .a.log.logscrub.000000; do
    printf 'partial 203.0.113.0\n' >"$T/st/$n"
done
# Not temp files of a.log: wrong length, other characters, another file's,
# no leading dot; a symbolic link and a FIFO with a temp file's name.
keep=(.a.log.logscrub.Ab12C .a.log.logscrub.Ab12Cde .a.log.logscrub.Ab-2Cd
    .b.log.logscrub.Ab12Cd a.log.logscrub.Ab12Cd .a.log.logscrub.Ab12Cd.x
    .a.log.logscrub.Sym123 .a.log.logscrub.Fifo12)
for n in "${keep[@]:0:6}"; do
    printf 'other\n' >"$T/st/$n"
done
ln -s a.log "$T/st/.a.log.logscrub.Sym123"
mkfifo "$T/st/.a.log.logscrub.Fifo12"
timeout 10 "$LOGSCRUB" --in-place "$T/st/a.log" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 0
expect_out_empty
expect_err_empty
expect_same "$T/scrubbed" "$T/st/a.log"
expect_only "$T/st" a.log "${keep[@]}"
[ -L "$T/st/.a.log.logscrub.Sym123" ] && [ -p "$T/st/.a.log.logscrub.Fifo12" ] ||
    t_fail "the link or the FIFO was replaced"
t_end

t_begin "a temp file locked by another process is left alone, removed once it is free"
mkdir "$T/lk"
cp "$T/raw" "$T/lk/a.log"
printf 'held\n' >"$T/lk/.a.log.logscrub.Held01"
# The subshell becomes sleep holding the lock on fd 9: killing it frees it.
(flock -x 9 && exec sleep 60) 9<"$T/lk/.a.log.logscrub.Held01" &
holder=$!
t_bg "$holder"
for i in $(seq 100); do
    locked_by_other "$T/lk/.a.log.logscrub.Held01" && break
    sleep 0.05
done
locked_by_other "$T/lk/.a.log.logscrub.Held01" || t_fail "the test could not take the lock"
ls_run --in-place "$T/lk/a.log"
expect_rc 0
expect_err_empty
expect_same "$T/scrubbed" "$T/lk/a.log"
printf 'held\n' >"$T/expected"
expect_same "$T/expected" "$T/lk/.a.log.logscrub.Held01"
expect_only "$T/lk" a.log .a.log.logscrub.Held01
kill "$holder"
wait "$holder" 2>/dev/null
ls_run --in-place "$T/lk/a.log"
expect_rc 0
expect_err_empty
expect_same "$T/scrubbed" "$T/lk/a.log"
expect_only "$T/lk" a.log
t_end

t_begin "kill -9 mid-rewrite: the writer's temp file locked while it lives, removed after"
mkdir "$T/kl"
awk -v l="${L1%\\n}" 'BEGIN { for (i = 0; i < 600000; i++) print l }' >"$T/kl/big.log"
awk -v l="${S1%\\n}" 'BEGIN { for (i = 0; i < 600000; i++) print l }' >"$T/kl-expected"
"$LOGSCRUB" --in-place "$T/kl/big.log" 2>"$T/err-a" &
writer=$!
t_bg "$writer"
tmpf=
for i in $(seq 1000); do
    tmpf=$(compgen -G "$T/kl/.big.log.logscrub.??????" | head -n 1)
    [ -n "$tmpf" ] && locked_by_other "$tmpf" && break
    tmpf=
    sleep 0.01
done
if [ -z "$tmpf" ]; then
    t_fail "no locked temp file seen while the writer ran"
else
    kill -STOP "$writer"
    # Another run on the same file meanwhile: it must not take the live
    # writer's file for a stale one.
    ls_run --in-place "$T/kl/big.log"
    expect_rc 0
    expect_err_empty
    [ -f "$tmpf" ] || t_fail "the live writer's temp file was removed"
    kill -KILL "$writer"
    wait "$writer" 2>/dev/null
    [ -f "$tmpf" ] || t_fail "kill -9 left no temp file to clean up"
    ls_run --in-place "$T/kl/big.log"
    expect_rc 0
    expect_err_empty
    expect_only "$T/kl" big.log
    expect_same "$T/kl-expected" "$T/kl/big.log"
fi
t_end

t_finish
