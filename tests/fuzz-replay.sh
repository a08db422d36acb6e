#!/bin/bash
# tests/fuzz-replay.sh -- replays every fuzz target's corpus through its
# replay program (fuzz/fuzz_TARGET_replay over fuzz/corpus/TARGET), one test
# per input, so that a saved crash or invariant violation fails `make check`
# with the target and input named.

. "$(dirname "$0")/lib.sh"

TARGETS="ipscan policy scrub reader weblog json"

shopt -s nullglob
for target in $TARGETS; do
    REPLAY=$top_builddir/fuzz/fuzz_${target}_replay
    CORPUS=$top_srcdir/fuzz/corpus/$target

    if [ ! -x "$REPLAY" ]; then
        t_begin "$target: replay program"
        t_fail "$REPLAY is not built (make check builds it)"
        t_end
        continue
    fi
    inputs=("$CORPUS"/*)
    if [ "${#inputs[@]}" -eq 0 ]; then
        t_begin "$target: corpus"
        t_fail "no inputs in $CORPUS"
        t_end
        continue
    fi

    for f in "${inputs[@]}"; do
        [ -f "$f" ] || continue
        t_begin "$target: replay $(basename "$f")"
        # (the group keeps bash's own "Aborted" notice out of the test output)
        { "$REPLAY" "$f" >"$T/out" 2>"$T/err"; RC=$?; } 2>/dev/null
        expect_rc 0
        grep -qx 'fuzz-replay: 1 inputs ok' "$T/out" || t_fail "unexpected output: $(head -n 3 "$T/out")"
        if [ "$RC" -ne 0 ]; then
            t_fail "input (hex): $(od -An -tx1 -v "$f" | tr -d '\n' | head -c 400)"
        fi
        t_end
    done
done

t_finish
