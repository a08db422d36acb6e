#!/usr/bin/env bash
# bench/run.sh - time cat, anonip, `logscrub --compat=anonip`, `logscrub
# --no-rules` (addresses only) and `logscrub` with its default policy (addresses
# and the rule packs pii, secrets, pii-de) on the same generated nginx log in one
# run, and report MB/s, peak RSS, ratios and whether the targets are met:
#   issue 2: logscrub --no-rules >= 50x anonip, peak RSS < 16 MiB
#   issue 3: logscrub (default policy) >= 20x anonip
#
# Run from the build directory (`make bench` does that). Environment:
#   LOGSCRUB  logscrub binary            (default ./logscrub)
#   GEN       log generator              (default ./bench/gen-log)
#   ANONIP    anonip command             (default anonip; skipped when missing)
#   LINES     lines in the test log      (default 1000000)
#   SEED      generator seed             (default 1)
#   REPEAT    rounds (each tool once per round), best counts (default 3)
#   OUT       work/result directory      (default ./bench/out)
#   BIG=1     also pipe LINES*10 generated lines through logscrub and report
#             its peak RSS (memory must not grow with the input)
#   DIFF=1    also compare anonip's output with `logscrub --compat=anonip`'s
#   KEEP=1    keep the generated log in OUT (removed by default)
#   GNU_TIME  GNU time, for peak RSS     (default /usr/bin/time; empty: no RSS)
# Results are printed and written to $OUT/results.txt.

# `make bench` runs us with $(SHELL), which is often a POSIX sh: switch to bash
# before any bash-only syntax is parsed.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi

set -euo pipefail
export LC_ALL=C # decimal point in EPOCHREALTIME and awk, byte-wise grep

LOGSCRUB=${LOGSCRUB:-./logscrub}
GEN=${GEN:-./bench/gen-log}
ANONIP=${ANONIP:-anonip}
LINES=${LINES:-1000000}
SEED=${SEED:-1}
REPEAT=${REPEAT:-3}
OUT=${OUT:-./bench/out}
BIG=${BIG:-0}
DIFF=${DIFF:-0}
KEEP=${KEEP:-0}
GNU_TIME=${GNU_TIME-/usr/bin/time}

die() { echo "bench: $*" >&2; exit 1; }
warn() { echo "bench: WARNING: $*" >&2; }

case $LINES in '' | *[!0-9]*) die "LINES must be a number" ;; esac
case $REPEAT in '' | *[!0-9]* | 0) die "REPEAT must be a number >= 1" ;; esac

# A command is usable when it is an executable path or found in PATH.
usable() {
    case $1 in
    */*) [ -x "$1" ] ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
    esac
}

usable "$GEN" || die "generator $GEN not found (build it: make bench/gen-log)"
usable "$LOGSCRUB" || die "logscrub binary $LOGSCRUB not found (build it: make)"
HAVE_ANONIP=1
usable "$ANONIP" || HAVE_ANONIP=0

# Peak RSS comes from GNU time (Debian package "time"); without it: n/a.
TIME_BIN=
if [ -n "$GNU_TIME" ] && [ -x "$GNU_TIME" ] && "$GNU_TIME" -f '%M' -o /dev/null true 2>/dev/null; then
    TIME_BIN=$GNU_TIME
fi

# Wall clock in microseconds, into $NOW (no subshell on bash >= 5).
if [ -n "${EPOCHREALTIME:-}" ]; then
    now() { local t=$EPOCHREALTIME; NOW=${t/[.,]/}; }
else
    now() { NOW=$(date +%s%6N); }
fi

mkdir -p "$OUT"
LOG=$OUT/access-$LINES-s$SEED.log
RSSF=$OUT/.rss.$$
PATF=$OUT/.patterns.$$
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    rm -f "$RSSF" "$PATF" "$OUT/.leaks.$$"
    if [ "$KEEP" != 1 ]; then rm -f "$LOG"; fi
}
trap cleanup EXIT

# --- the input (generated once, not timed) -------------------------------
echo "bench: generating $LINES lines (seed $SEED) into $LOG"
"$GEN" -n "$LINES" -s "$SEED" >"$LOG"
BYTES=$(wc -c <"$LOG")
BYTES=${BYTES// /}
cat "$LOG" >/dev/null # warm the page cache so the first tool is not penalised

# --- timing --------------------------------------------------------------
declare -A SECS RSS

# measure NAME CMD...: run CMD <$LOG >/dev/null once; keep the best wall time
# in BEST[NAME] (microseconds) and the largest peak RSS in RSS[NAME] (KiB).
# Returns CMD's exit status when the run fails.
declare -A BEST
measure() {
    local name=$1 t0 el st=0 r
    shift
    now
    t0=$NOW
    if [ -n "$TIME_BIN" ]; then
        "$TIME_BIN" -f '%M' -o "$RSSF" "$@" <"$LOG" >/dev/null || st=$?
    else
        "$@" <"$LOG" >/dev/null || st=$?
    fi
    now
    el=$((NOW - t0))
    if [ "$st" -ne 0 ]; then
        warn "$name failed (exit $st)"
        return "$st"
    fi
    if [ -z "${BEST[$name]:-}" ] || [ "$el" -lt "${BEST[$name]}" ]; then BEST[$name]=$el; fi
    if [ -n "$TIME_BIN" ]; then
        r=$(tail -n 1 "$RSSF")
        case $r in
        '' | *[!0-9]*) ;;
        *) if [ -z "${RSS[$name]:-}" ] || [ "$r" -gt "${RSS[$name]}" ]; then RSS[$name]=$r; fi ;;
        esac
    fi
}

NR="logscrub --no-rules"
DP="logscrub (default policy)"
CA="logscrub --compat=anonip"
[ "$HAVE_ANONIP" = 1 ] || echo "bench: anonip not installed (Debian package 'anonip'): skipping it"
# The tools take turns, round after round, so that each one's best run is
# drawn from the same stretch of time: on a shared machine a slow spell then
# hits all of them, not just whichever happened to be running.
STATUS=0
for ((round = 1; round <= REPEAT; round++)); do
    echo "bench: round $round of $REPEAT"
    measure cat cat || die "cat failed"
    if [ "$HAVE_ANONIP" = 1 ] && ! measure anonip "$ANONIP"; then HAVE_ANONIP=0; fi
    if [ "$STATUS" = 0 ] && ! measure "$CA" "$LOGSCRUB" --compat=anonip; then STATUS=1; fi
    measure "$NR" "$LOGSCRUB" --no-rules || die "logscrub --no-rules failed"
    measure "$DP" "$LOGSCRUB" || die "logscrub (default policy) failed"
done
TOOLS=(cat)
[ "$HAVE_ANONIP" = 1 ] && TOOLS+=(anonip)
[ "$STATUS" = 0 ] && TOOLS+=("$CA")
TOOLS+=("$NR" "$DP")
for t in "${TOOLS[@]}"; do
    SECS[$t]=$(awk -v us="${BEST[$t]}" 'BEGIN { printf "%.3f", us / 1e6 }')
    RSS[$t]=${RSS[$t]:-n/a}
    printf 'bench: %-26s best of %d: %s s\n' "$t" "$REPEAT" "${SECS[$t]}"
done

# --- cheap correctness checks (not timed) -----------------------------------
# Addresses from about 100 sample lines: the client column, the
# X-Forwarded-For field, and IPv4 addresses in the request and referrer (not
# the user agent: "Chrome/131.0.0.0" is a version). gen-log never makes an
# address that truncation leaves unchanged, so any exact hit is a leak.
step=$((LINES / 100))
[ "$step" -ge 1 ] || step=1
awk -F'"' -v step="$step" '
    (NR - 1) % step != 0 { next }
    {
        split($1, a, " "); print a[1]
        if (NF >= 9) {                      # "xff": "client[:port], hop"
            n = split($8, x, /, */)
            for (i = 1; i <= n; i++) {
                v = x[i]
                if (v ~ /^[0-9.]+:[0-9]+$/) sub(/:[0-9]+$/, "", v)
                print v
            }
        }
        s = $2 " " $4
        while (match(s, /[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/)) {
            print substr(s, RSTART, RLENGTH); s = substr(s, RSTART + RLENGTH)
        }
    }' "$LOG" | sort -u >"$PATF"
NPAT=$(wc -l <"$PATF")
NPAT=${NPAT// /}

LEAKS=0
OUTLINES=
if "$LOGSCRUB" <"$LOG" | { grep -F -w -o -f "$PATF" || true; } | sort | uniq -c | sort -rn >"$OUT/.leaks.$$"; then
    LEAKS=$(wc -l <"$OUT/.leaks.$$")
    LEAKS=${LEAKS// /}
    OUTLINES=$("$LOGSCRUB" <"$LOG" | wc -l)
    OUTLINES=${OUTLINES// /}
else
    warn "logscrub failed during the leak check"
    LEAKS=error
fi

DIFFLINES=
if [ "$DIFF" = 1 ] && [ "$HAVE_ANONIP" = 1 ]; then
    echo "bench: comparing anonip and logscrub --compat=anonip output"
    DIFFLINES=$(diff <("$ANONIP" <"$LOG") <("$LOGSCRUB" --compat=anonip <"$LOG") | grep -c '^<' || true)
fi

# --- optional: memory must not grow with the input ------------------------
BIGRSS='' BIGSECS=''
if [ "$BIG" = 1 ]; then
    BIGN=$((LINES * 10))
    echo "bench: piping $BIGN generated lines through logscrub (BIG=1)"
    now
    t0=$NOW
    if [ -n "$TIME_BIN" ]; then
        "$GEN" -n "$BIGN" -s "$SEED" | "$TIME_BIN" -f '%M' -o "$RSSF" "$LOGSCRUB" >/dev/null ||
            die "logscrub failed on the BIG input"
        BIGRSS=$(tail -n 1 "$RSSF")
    else
        "$GEN" -n "$BIGN" -s "$SEED" | "$LOGSCRUB" >/dev/null || die "logscrub failed on the BIG input"
        BIGRSS=n/a
    fi
    now
    BIGSECS=$(awk -v us="$((NOW - t0))" 'BEGIN { printf "%.3f", us / 1e6 }')
fi

# --- report ------------------------------------------------------------------
# ratio A B: how many times faster A is than B (B's time / A's time).
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a <= 0) { print "n/a"; exit }
        r = b / a; printf (r >= 10 ? "%.1fx" : r >= 0.1 ? "%.2fx" : "%.3fx"), r }'
}
mbps() { awk -v b="$BYTES" -v s="$1" 'BEGIN { if (s <= 0) print "n/a"; else printf "%.1f", b / 1e6 / s }'; }

report() {
    local cpu ver aver t r
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
    ver=$("$LOGSCRUB" --version 2>/dev/null | head -n 1 || true)
    echo
    echo "logscrub benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "input:   $LINES lines, $BYTES bytes ($(mbps 1) MB), gen-log seed $SEED"
    echo "machine: ${cpu:-unknown cpu}, $(nproc 2>/dev/null || echo '?') cpus"
    echo "logscrub: ${ver:-unknown version} ($LOGSCRUB)"
    if [ "$HAVE_ANONIP" = 1 ]; then
        aver=$("$ANONIP" --version 2>&1 | head -n 1 || true)
        echo "anonip:  ${aver:-unknown version} ($(command -v "$ANONIP"))"
    fi
    echo "each tool: stdin from the file, stdout to /dev/null, best of $REPEAT interleaved rounds; MB = 10^6 bytes"
    [ -n "$TIME_BIN" ] || echo "peak RSS: n/a (install GNU time: apt-get install time)"
    echo
    printf '%-27s %10s %10s %14s\n' tool seconds MB/s "peak RSS KiB"
    for t in "${TOOLS[@]}"; do
        printf '%-27s %10s %10s %14s\n' "$t" "${SECS[$t]:-failed}" "$(mbps "${SECS[$t]:-0}")" "${RSS[$t]:-n/a}"
    done
    echo
    if [ "$HAVE_ANONIP" = 1 ]; then
        printf '%-46s %10s\n' "logscrub --no-rules / anonip:" "$(ratio "${SECS[$NR]}" "${SECS[anonip]}")"
        printf '%-46s %10s\n' "logscrub (default policy) / anonip:" "$(ratio "${SECS[$DP]}" "${SECS[anonip]}")"
        printf '%-46s %10s\n' "logscrub --compat=anonip / anonip:" \
            "$(ratio "${SECS[logscrub --compat=anonip]:-0}" "${SECS[anonip]}")"
    else
        printf '%-46s %10s\n' "logscrub / anonip:" "n/a (anonip not installed)"
    fi
    printf '%-46s %10s\n' "logscrub --no-rules / cat:" "$(ratio "${SECS[$NR]}" "${SECS[cat]}")"
    printf '%-46s %10s\n' "logscrub (default policy) / cat:" "$(ratio "${SECS[$DP]}" "${SECS[cat]}")"
    printf '%-46s %10s\n' "logscrub --compat=anonip / cat:" \
        "$(ratio "${SECS[logscrub --compat=anonip]:-0}" "${SECS[cat]}")"
    printf '%-46s %10s\n' "logscrub (default policy) / logscrub --no-rules:" "$(ratio "${SECS[$DP]}" "${SECS[$NR]}")"
    echo "(throughput ratios: >1x means the first is faster)"
    echo
    if [ "$HAVE_ANONIP" = 1 ]; then
        t=$(awk -v a="${SECS[$NR]}" -v b="${SECS[anonip]}" 'BEGIN { print (a > 0 && b / a >= 50) ? "met" : "NOT met" }')
        echo "target logscrub --no-rules >= 50x anonip (issue 2):         $t"
        t=$(awk -v a="${SECS[$DP]}" -v b="${SECS[anonip]}" 'BEGIN { print (a > 0 && b / a >= 20) ? "met" : "NOT met" }')
        echo "target logscrub (default policy) >= 20x anonip (issue 3):   $t"
    else
        echo "targets (50x / 20x anonip): not checked, anonip not installed"
    fi
    for t in "$NR" "$DP"; do
        if [ "${RSS[$t]}" != n/a ]; then
            r=$([ "${RSS[$t]}" -lt 16384 ] && echo met || echo "NOT met")
            printf 'target %-27s peak RSS < 16 MiB:   %s (%s KiB)\n' "$t" "$r" "${RSS[$t]}"
        fi
    done
    echo "leak check: $NPAT addresses sampled; logscrub (default policy) wrote ${OUTLINES:-?} lines for $LINES"
    if [ "$LEAKS" = 0 ]; then
        echo "leak check: OK, no sampled address found in logscrub's output"
    else
        echo "WARNING: leak check: $LEAKS sampled address(es) found in full in logscrub's output:"
        [ "$LEAKS" = error ] || head -n 5 "$OUT/.leaks.$$" | sed 's/^/  /'
    fi
    if [ -n "$OUTLINES" ] && [ "$OUTLINES" != "$LINES" ]; then
        echo "WARNING: logscrub wrote $OUTLINES lines for $LINES input lines"
    fi
    if [ -n "$DIFFLINES" ]; then
        echo "anonip vs logscrub --compat=anonip: $DIFFLINES of $LINES lines differ"
    fi
    if [ "$BIG" = 1 ]; then
        echo "memory: $BIGN lines piped in (${BIGSECS} s incl. generation): peak RSS $BIGRSS KiB" \
            "(vs ${RSS[$DP]} KiB for $LINES lines)"
        case $BIGRSS${RSS[$DP]} in
        *[!0-9]*) ;;
        *) if [ "$BIGRSS" -gt $((RSS[$DP] * 5 / 4 + 1024)) ]; then
            echo "WARNING: memory grows with the input"
        else
            echo "memory: flat (does not grow with the input)"
        fi ;;
        esac
    fi
}

report | tee "$OUT/results.txt"
exit "$STATUS"
