#!/bin/bash
# tests/leaks.sh -- the table of address forms that once leaked
# (tests/leaks.cases): each INPUT, alone on stdin, must come out exactly as
# EXPECTED; then each section's inputs again as one stream, which takes the
# block path of the scrubber rather than the line path.

. "$(dirname "$0")/lib.sh"
require cmp
require_logscrub

CASES=$top_srcdir/tests/leaks.cases
[ -r "$CASES" ] || { echo "$T_SUITE: $CASES not readable"; echo "$T_SUITE: 0 passed, 1 failed"; exit 1; }

args=()
section=0
: >"$T/in.0"
: >"$T/want.0"
sections=(0)
declare -A sargs=([0]="")
while IFS= read -r line || [ -n "$line" ]; do
    case $line in
    '' | '#'*) continue ;;
    '@args'*)
        read -r -a args <<<"${line#@args}"
        section=$((section + 1))
        sections+=("$section")
        sargs[$section]="${args[*]}"
        : >"$T/in.$section"
        : >"$T/want.$section"
        continue
        ;;
    esac
    if [[ $line != *$'\t'* ]]; then
        t_begin "leaks.cases: malformed line"
        t_fail "no TAB in a case line"
        t_end
        continue
    fi
    in=${line%%$'\t'*}
    want=${line#*$'\t'}
    printf '%s\n' "$in" >>"$T/in.$section"
    printf '%s\n' "$want" >>"$T/want.$section"
    t_begin "${args[*]:+[${args[*]}] }$in"
    printf '%s\n' "$in" | "$LOGSCRUB" "${args[@]}" >"$T/out" 2>"$T/err"
    RC=$?
    expect_rc 0
    expect_err_empty
    got=$(cat "$T/out")
    [ "$got" = "$want" ] || t_fail "got: $got" "want: $want"
    t_end
done <"$CASES"

for s in "${sections[@]}"; do
    read -r -a args <<<"${sargs[$s]}"
    t_begin "section $s${args[*]:+ (${args[*]})} as one stream"
    "$LOGSCRUB" "${args[@]}" <"$T/in.$s" >"$T/out" 2>"$T/err"
    RC=$?
    expect_rc 0
    cmp -s "$T/out" "$T/want.$s" || t_fail "$(diff "$T/want.$s" "$T/out" | head -5)"
    t_end
done

t_finish
