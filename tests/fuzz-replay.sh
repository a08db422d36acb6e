#!/bin/bash
# tests/fuzz-replay.sh -- replays the scanner fuzz corpus (fuzz/corpus/ipscan)
# through fuzz/fuzz_ipscan_replay, one test per input, so that a saved crash
# or invariant violation fails `make check` with the input named.

. "$(dirname "$0")/lib.sh"

REPLAY=$top_builddir/fuzz/fuzz_ipscan_replay
CORPUS=$top_srcdir/fuzz/corpus/ipscan

if [ ! -x "$REPLAY" ]; then
    echo "$T_SUITE: $REPLAY is not built (make check builds it)" >&2
    echo "$T_SUITE: 0 passed, 1 failed"
    exit 1
fi

shopt -s nullglob
inputs=("$CORPUS"/*)
if [ "${#inputs[@]}" -eq 0 ]; then
    echo "$T_SUITE: no inputs in $CORPUS" >&2
    echo "$T_SUITE: 0 passed, 1 failed"
    exit 1
fi

for f in "${inputs[@]}"; do
    [ -f "$f" ] || continue
    t_begin "replay $(basename "$f")"
    # (the group keeps bash's own "Aborted" notice out of the test output)
    { "$REPLAY" "$f" >"$T/out" 2>"$T/err"; RC=$?; } 2>/dev/null
    expect_rc 0
    grep -qx 'fuzz-replay: 1 inputs ok' "$T/out" || t_fail "unexpected output: $(head -n 3 "$T/out")"
    if [ "$RC" -ne 0 ]; then
        t_fail "input (hex): $(od -An -tx1 -v "$f" | tr -d '\n' | head -c 400)"
    fi
    t_end
done

t_finish
