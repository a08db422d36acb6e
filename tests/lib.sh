# tests/lib.sh -- helpers shared by the shell tests (sourced, not run).
#
# Gives each script a private temp dir ($T), TAP-like "ok N - name" lines,
# a closing "<script>: N passed, M failed" line and the exit status make check
# expects (0 all passed, 1 some failed, 77 skipped).  Programs come from the
# environment make check sets up (LOGSCRUB, top_srcdir, top_builddir); when a
# script is run by hand they default to an in-tree build.
#
# A test is a block:
#     t_begin "name"
#     ls_run ARGS... <input        # runs $LOGSCRUB: stdout $T/out, stderr $T/err, $RC
#     expect_rc 0
#     expect_out "$T/expected"     # byte-exact, diff -u on failure
#     t_end
# Every expect_* adds a reason to the current test; t_end prints ok/not ok.

set -u

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${LOGSCRUB:=$top_builddir/logscrub}"
export top_srcdir top_builddir LOGSCRUB

T_SUITE=${T_SUITE:-$(basename "$0" .sh)}
T_NUM=0
T_PASSED=0
T_FAILED=0
T_NAME=
T_BAD=0
T_DIAG=
T_PIDS=()
RC=0

T=$(mktemp -d "${TMPDIR:-/tmp}/logscrub-$T_SUITE.XXXXXX") || exit 99

t_cleanup() {
    local p
    for p in "${T_PIDS[@]}"; do
        kill "$p" 2>/dev/null
    done
    chmod -R u+rwx "$T" 2>/dev/null
    rm -rf "$T"
}
trap t_cleanup EXIT
trap 'exit 1' INT TERM

# Remembers a background pid so that the cleanup kills it if still running.
t_bg() {
    T_PIDS+=("$1")
}

# wait_exit PID SECONDS: waits for a background process; sets RC (124 when
# it had to be killed).
wait_exit() {
    local i
    for i in $(seq $(($2 * 10))); do
        if ! kill -0 "$1" 2>/dev/null; then
            wait "$1"
            RC=$?
            return
        fi
        sleep 0.1
    done
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    RC=124
}

# free_port BASE: prints an unprivileged TCP port on 127.0.0.1 that nobody
# listens on, from BASE + (PID mod 20000) on; nothing when 50 are taken.
free_port() {
    local p start=$(($1 + $$ % 20000))
    for p in $(seq "$start" $((start + 50))); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
}

# Exits with 77 (skip) unless every named program is on PATH.
require() {
    local p
    for p in "$@"; do
        if ! command -v "$p" >/dev/null 2>&1; then
            echo "$T_SUITE: skipped: $p not found"
            exit 77
        fi
    done
}

require_logscrub() {
    if [ ! -x "$LOGSCRUB" ]; then
        echo "$T_SUITE: $LOGSCRUB is not an executable; build it first" >&2
        echo "$T_SUITE: 0 passed, 1 failed"
        exit 1
    fi
}

t_begin() {
    T_NAME=$1
    T_BAD=0
    T_DIAG=
}

# Records a failure reason for the current test.
t_fail() {
    T_BAD=1
    T_DIAG+="$*"$'\n'
}

t_end() {
    T_NUM=$((T_NUM + 1))
    if [ "$T_BAD" -eq 0 ]; then
        echo "ok $T_NUM - $T_NAME"
        T_PASSED=$((T_PASSED + 1))
    else
        echo "not ok $T_NUM - $T_NAME"
        printf '%s' "$T_DIAG" | cut -c 1-300 | sed 's/^/#   /'
        T_FAILED=$((T_FAILED + 1))
    fi
}

# One-assertion test: t_check NAME COMMAND... (passes when COMMAND succeeds).
t_check() {
    local name=$1
    shift
    t_begin "$name"
    "$@" || t_fail "command failed: $*"
    t_end
}

# Prints the closing line and exits 0 when every test passed, 1 otherwise.
t_finish() {
    echo "$T_SUITE: $T_PASSED passed, $T_FAILED failed"
    [ "$T_FAILED" -eq 0 ] && [ "$T_PASSED" -gt 0 ]
    exit $?
}

# Runs $LOGSCRUB with the given arguments; stdout goes to $T/out, stderr to
# $T/err, the exit status to $RC.  Redirect stdin at the call site.
ls_run() {
    "$LOGSCRUB" "$@" >"$T/out" 2>"$T/err"
    RC=$?
}

# Shows a file for a diagnostic: visible control bytes, at most 20 lines.
t_show() {
    cat -A -- "$1" 2>/dev/null | head -n 20
}

expect_rc() {
    if [ "$RC" -ne "$1" ]; then
        t_fail "exit status $RC, expected $1; stderr:"
        t_fail "$(t_show "$T/err")"
    fi
}

# expect_same EXPECTED_FILE ACTUAL_FILE: byte-identical or a diff -u of both.
expect_same() {
    if [ ! -e "$2" ]; then
        t_fail "$2 does not exist"
    elif ! cmp -s -- "$1" "$2"; then
        t_fail "output differs (--- expected +++ actual, control bytes shown by cat -A):"
        t_fail "$(diff -u --label expected --label actual <(cat -A -- "$1") <(cat -A -- "$2") | head -n 40)"
    fi
}

expect_out() {
    expect_same "$1" "$T/out"
}

# expect_out_str TEXT: stdout equals printf '%b' TEXT (so \n, \r, \0 work).
expect_out_str() {
    printf '%b' "$1" >"$T/expected"
    expect_same "$T/expected" "$T/out"
}

expect_out_empty() {
    if [ -s "$T/out" ]; then
        t_fail "stdout should be empty but is:"
        t_fail "$(t_show "$T/out")"
    fi
}

expect_err_empty() {
    if [ -s "$T/err" ]; then
        t_fail "stderr should be empty but is:"
        t_fail "$(t_show "$T/err")"
    fi
}

# The error contract: exactly one line on stderr, "logscrub: <what>".
expect_err_line() {
    local n
    n=$(wc -l <"$T/err")
    if [ "$n" -ne 1 ] || ! head -n 1 "$T/err" | grep -q '^logscrub: .'; then
        t_fail "stderr should be one line 'logscrub: ...' but is:"
        t_fail "$(t_show "$T/err")"
    fi
}

# expect_err_has STRING / expect_err_lacks STRING: fixed-string search.
expect_err_has() {
    if ! grep -qF -- "$1" "$T/err"; then
        t_fail "stderr should mention '$1' but is:"
        t_fail "$(t_show "$T/err")"
    fi
}

expect_err_lacks() {
    if grep -qaF -- "$1" "$T/err"; then
        t_fail "stderr must not contain '$1' but is:"
        t_fail "$(t_show "$T/err")"
    fi
}

# expect_file_lacks FILE STRING: raw data must not leak into FILE.
expect_file_lacks() {
    if [ -e "$1" ] && grep -qaF -- "$2" "$1"; then
        t_fail "$1 must not contain '$2'"
    fi
}

# expect_mode FILE OCTAL (e.g. 640)
expect_mode() {
    local m
    m=$(stat -c %a -- "$1" 2>/dev/null)
    [ "$m" = "$2" ] || t_fail "mode of $1 is '$m', expected $2"
}
