#!/usr/bin/env bash
# bench/json.sh - the JSON-lines benchmark: time logscrub on generated
# application logs (`gen-log --json`) read as JSON (-f json, and -f auto,
# which detects them) against the same file read as text (-f text), with the
# same rules, in one run; report MB/s, the ratio and whether the target of
# issue 11 is met: the json path at least half the MB/s of the text path.
# Also with --no-rules (addresses only), where the text path is the block
# sweep, for information.
#
# Run from the build directory (`make bench-json` does that). Environment:
#   LOGSCRUB  logscrub binary            (default ./logscrub)
#   GEN       log generator              (default ./bench/gen-log)
#   LINES     lines in the test log      (default 1000000)
#   SEED      generator seed             (default 1)
#   REPEAT    rounds (each mode once per round), best counts (default 3)
#   OUT       work/result directory      (default ./bench/out)
#   KEEP=1    keep the generated log in OUT (removed by default)
# Results are printed and written to $OUT/json-results.txt.

if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi

set -euo pipefail
export LC_ALL=C

LOGSCRUB=${LOGSCRUB:-./logscrub}
GEN=${GEN:-./bench/gen-log}
LINES=${LINES:-1000000}
SEED=${SEED:-1}
REPEAT=${REPEAT:-3}
OUT=${OUT:-./bench/out}
KEEP=${KEEP:-0}

die() { echo "bench-json: $*" >&2; exit 1; }

case $LINES in '' | *[!0-9]*) die "LINES must be a number" ;; esac
case $REPEAT in '' | *[!0-9]* | 0) die "REPEAT must be a number >= 1" ;; esac
[ -x "$GEN" ] || die "generator $GEN not found (build it: make bench/gen-log)"
[ -x "$LOGSCRUB" ] || die "logscrub binary $LOGSCRUB not found (build it: make)"

if [ -n "${EPOCHREALTIME:-}" ]; then
    now() { local t=$EPOCHREALTIME; NOW=${t/[.,]/}; }
else
    now() { NOW=$(date +%s%6N); }
fi

mkdir -p "$OUT"
LOG=$OUT/app-$LINES-s$SEED.jsonl
cleanup() { if [ "$KEEP" != 1 ]; then rm -f "$LOG"; fi; }
trap cleanup EXIT

echo "bench-json: generating $LINES JSON lines (seed $SEED) into $LOG"
"$GEN" --json -n "$LINES" -s "$SEED" >"$LOG"
BYTES=$(wc -c <"$LOG")
BYTES=${BYTES// /}
cat "$LOG" >/dev/null

# measure NAME CMD...: best wall time of CMD <$LOG >/dev/null in BEST[NAME].
declare -A BEST
measure() {
    local name=$1 t0
    shift
    now
    t0=$NOW
    "$@" <"$LOG" >/dev/null || die "$name failed"
    now
    local el=$((NOW - t0))
    if [ -z "${BEST[$name]:-}" ] || [ "$el" -lt "${BEST[$name]}" ]; then BEST[$name]=$el; fi
}

MODES=("text" "json" "auto" "text --no-rules" "json --no-rules")
for ((round = 1; round <= REPEAT; round++)); do
    echo "bench-json: round $round of $REPEAT"
    for m in "${MODES[@]}"; do
        # shellcheck disable=SC2086 # the mode is two words on purpose
        measure "$m" "$LOGSCRUB" -f $m
    done
done

# The json path must parse every line (none unparsed) and leave no sampled
# address of the input in full: checked once, untimed.
"$LOGSCRUB" -f json --stats <"$LOG" 2>"$OUT/.stats.$$" >"$OUT/.out.$$" || die "stats run failed"
UNPARSED=$(sed -n 's/.* unparsed=\([0-9]*\) .*/\1/p' "$OUT/.stats.$$")
SAMPLE=$(grep -o '"remote_addr":"[0-9.]*"' "$LOG" | awk 'NR <= 1000' | sort -u | cut -d'"' -f4)
LEAKS=$(grep -c -F -w -f <(printf '%s\n' $SAMPLE) "$OUT/.out.$$" || true)
rm -f "$OUT/.stats.$$" "$OUT/.out.$$"

mbps() { awk -v b="$BYTES" -v us="$1" 'BEGIN { printf "%.1f", b / us }'; }

report() {
    echo
    echo "logscrub JSON-lines benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "input:   $LINES lines, $BYTES bytes, gen-log --json seed $SEED"
    echo "machine: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null), $(nproc) cpus"
    echo "best of $REPEAT interleaved rounds; stdin from the file, stdout to /dev/null; MB = 10^6 bytes"
    echo
    printf '%-28s %10s %10s\n' mode seconds MB/s
    for m in "${MODES[@]}"; do
        printf '%-28s %10s %10s\n' "logscrub -f $m" \
            "$(awk -v us="${BEST[$m]}" 'BEGIN { printf "%.3f", us / 1e6 }')" "$(mbps "${BEST[$m]}")"
    done
    echo
    local r
    r=$(awk -v j="${BEST[json]}" -v t="${BEST[text]}" 'BEGIN { printf "%.2f", t / j }')
    echo "json path / text path, default policy:   ${r}x of the text path's MB/s"
    echo "json path / text path, --no-rules:       $(awk -v j="${BEST[json --no-rules]}" \
        -v t="${BEST[text --no-rules]}" 'BEGIN { printf "%.2f", t / j }')x"
    echo "target json >= 0.5x text, default policy (issue 11): $(awk -v r="$r" \
        'BEGIN { print (r >= 0.5) ? "met" : "NOT met" }')"
    echo "unparsed lines in -f json: ${UNPARSED:-?} (expected 0)"
    echo "leak check: $(wc -w <<<"$SAMPLE") client addresses sampled, ${LEAKS} found in full in the output"
}

report | tee "$OUT/json-results.txt"
