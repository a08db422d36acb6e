#!/usr/bin/env bash
# tests/valgrind.sh -- runs the CLI under valgrind's memcheck on real inputs:
# every read of uninitialised memory, invalid access or leak fails the test.
# Output must also equal the plain run's, so valgrind changes nothing else.
# Skipped (77) without valgrind, and in sanitizer builds (ASan and valgrind
# cannot share a process).
. "$(dirname "$0")/lib.sh"
require valgrind gzip setfattr getfattr setfacl
require_logscrub
if [ "${LS_SANITIZERS:-no}" = yes ]; then
    echo "valgrind: skipped: sanitizer build"
    exit 77
fi

# valgrind cannot follow PCRE2's JIT-generated code (false reports with
# "???" frames); the interpreter runs the same patterns.
export LOGSCRUB_NO_JIT=1

vg() {
    valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
        --errors-for-leak-kinds=definite,indirect "$LOGSCRUB" "$@"
}

# vg_case NAME INPUT ARGS...: valgrind run equals the plain run, exit 0.
vg_case() {
    local name=$1 input=$2
    shift 2
    t_begin "$name"
    "$LOGSCRUB" "$@" <"$input" >"$T/plain" 2>/dev/null
    vg "$@" <"$input" >"$T/out" 2>"$T/err"
    RC=$?
    expect_rc 0
    expect_same "$T/plain" "$T/out"
    t_end
}

cat "$top_srcdir"/samples/*.log "$top_srcdir"/tests/golden/*.in >"$T/all.log"
gzip -c "$T/all.log" >"$T/all.log.gz"
# A long line (cut at --max-line) and a final line without newline.
{
    head -c 300000 /dev/zero | tr '\0' 'a'
    printf ' 203.0.113.9\nlast 2001:db8::1'
} >"$T/long.log"

vg_case "defaults on the samples and golden inputs" "$T/all.log"
vg_case "gzip input, gzip output" "$T/all.log.gz" -z
vg_case "prefixes and keep-private" "$T/all.log" --ipv4-prefix 16 --ipv6-prefix 32 --keep-private
vg_case "cut long line, --stats" "$T/long.log" --max-line 64K --stats
vg_case "anonip compatibility mode" "$T/all.log" --compat=anonip -c 1 -4 8 -6 80

t_begin "--in-place on a gzip file"
cp "$T/all.log.gz" "$T/inplace.log.gz"
vg --in-place "$T/inplace.log.gz" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 0
"$LOGSCRUB" "$T/all.log" >"$T/want"
gzip -dc "$T/inplace.log.gz" >"$T/got"
expect_same "$T/want" "$T/got"
t_end

t_begin "--in-place keeping xattrs and an ACL, removing a stale temp file"
mkdir "$T/ipx"
cp "$T/all.log" "$T/ipx/a.log"
printf 'stale\n' >"$T/ipx/.a.log.logscrub.Stale1"
if setfattr -n user.test -v hello "$T/ipx/a.log" 2>/dev/null; then
    setfacl -m u:65534:r "$T/ipx/a.log"
fi
before=$(getfattr --absolute-names -d -m - -e hex "$T/ipx/a.log" 2>/dev/null)
vg --in-place "$T/ipx/a.log" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 0
expect_err_empty
"$LOGSCRUB" "$T/all.log" >"$T/want"
expect_same "$T/want" "$T/ipx/a.log"
[ "$before" = "$(getfattr --absolute-names -d -m - -e hex "$T/ipx/a.log" 2>/dev/null)" ] ||
    t_fail "extended attributes changed"
[ "$(ls -A "$T/ipx")" = a.log ] || t_fail "the stale temp file is still there"
t_end

t_finish
