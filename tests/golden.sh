#!/bin/bash
# tests/golden.sh -- whole-log golden tests: for each tests/golden/NAME.in,
# `logscrub [NAME.args] <NAME.in` must print exactly NAME.out and exit 0.
#
# NAME.args (optional) holds extra command-line arguments on one line, split
# on white space.  REGEN=1 rewrites every NAME.out from the current binary
# instead of comparing; review the result with `git diff tests/golden` line
# by line before committing it -- the .out files are the specification.

. "$(dirname "$0")/lib.sh"
require cmp diff
require_logscrub

GOLDEN=$top_srcdir/tests/golden

shopt -s nullglob
inputs=("$GOLDEN"/*.in)
if [ "${#inputs[@]}" -eq 0 ]; then
    echo "$T_SUITE: no inputs in $GOLDEN"
    echo "$T_SUITE: 0 passed, 1 failed"
    exit 1
fi

for in in "${inputs[@]}"; do
    name=$(basename "$in" .in)
    args=()
    if [ -f "$GOLDEN/$name.args" ]; then
        read -r -a args <"$GOLDEN/$name.args"
    fi
    t_begin "golden $name${args[*]:+ (${args[*]})}"
    ls_run "${args[@]}" <"$in"
    if [ "${REGEN:-0}" = 1 ]; then
        if [ "$RC" -eq 0 ]; then
            cp "$T/out" "$GOLDEN/$name.out"
        else
            t_fail "not regenerated: exit status $RC"
        fi
    fi
    expect_rc 0
    expect_err_empty
    if [ ! -f "$GOLDEN/$name.out" ]; then
        t_fail "$GOLDEN/$name.out is missing (REGEN=1 creates it)"
    elif ! cmp -s "$GOLDEN/$name.out" "$T/out"; then
        t_fail "output differs from $name.out (--- expected +++ actual):"
        t_fail "$(diff -u --label "$name.out" --label actual "$GOLDEN/$name.out" "$T/out" | head -n 60)"
    fi
    t_end
done

t_finish
