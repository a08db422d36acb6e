#!/usr/bin/env bash
# bench/pii-recall.sh - recall and decoy survival of logscrub's rules on a
# labelled corpus from bench/gen-pii, plus collateral changes and throughput.
#
# Run from the build directory. Environment:
#   LOGSCRUB  logscrub binary              (default ./logscrub)
#   GEN_PII   corpus generator             (default ./bench/gen-pii)
#   LINES     lines in the corpus          (default 100000)
#   SEED      generator seed               (default 1)
#   REPEAT    timed runs per mode, best counts (default 3; 0: no timing)
#   OUT       work/result directory        (default ./bench/out)
#   ARGS      extra logscrub arguments for the scored run (e.g. "-c my.yaml";
#             default: none, i.e. the built-in default policy)
#   KEEP=1    keep the corpus, labels and outputs in OUT
#
# Scoring (lines are one-in-one-out; the shipped packs use no drop-line):
#   recall          planted values no longer present verbatim on their output line
#   decoy survival  decoy values still present verbatim on their output line
#   collateral      lines with no planted value whose output differs from
#                   `logscrub --no-rules` (i.e. changed by a rule, not by IP truncation)
#   generator check labelled values that `--no-rules` already changes (the IP
#                   engine would then be doing the rules' work): must be 0
#   partly removed  planted values that are gone but whose first or last 4 bytes
#                   are still in place on the line (a rule took only part of them;
#                   informational, not counted against recall)
# Details go to OUT/pii-misses.tsv, OUT/pii-partial.tsv, OUT/pii-false-positives.tsv,
# OUT/pii-collateral.txt and OUT/pii-gen-errors.tsv; the report to
# OUT/pii-results.txt. The last line is
#   pii-recall: recall X% (a/b), decoy survival Y% (c/d)
# Exit status: 0 when the run worked (whatever the scores), 1 when a program failed.

if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi

set -euo pipefail
export LC_ALL=C

LOGSCRUB=${LOGSCRUB:-./logscrub}
GEN_PII=${GEN_PII:-./bench/gen-pii}
LINES=${LINES:-100000}
SEED=${SEED:-1}
REPEAT=${REPEAT:-3}
OUT=${OUT:-./bench/out}
ARGS=${ARGS:-}
KEEP=${KEEP:-0}

die() { echo "pii-recall: $*" >&2; exit 1; }

case $LINES in '' | *[!0-9]* | 0) die "LINES must be a number >= 1" ;; esac
case $REPEAT in '' | *[!0-9]*) die "REPEAT must be a number" ;; esac
[ -x "$GEN_PII" ] || die "generator $GEN_PII not found (build it: make bench/gen-pii)"
[ -x "$LOGSCRUB" ] || die "logscrub binary $LOGSCRUB not found (build it: make)"

mkdir -p "$OUT"
P=$OUT/pii-$LINES-s$SEED
CORPUS=$P.log LABELS=$P.labels SCRUBBED=$P.out BASE=$P.base
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    rm -f "$P.explain-in" "$P.explain-err"
    if [ "$KEEP" != 1 ]; then rm -f "$CORPUS" "$LABELS" "$SCRUBBED" "$BASE"; fi
}
trap cleanup EXIT

# shellcheck disable=SC2206 # ARGS is split on purpose
EXTRA=($ARGS)

echo "pii-recall: generating $LINES lines (seed $SEED) into $CORPUS" >&2
"$GEN_PII" -n "$LINES" -s "$SEED" -l "$LABELS" >"$CORPUS" || die "gen-pii failed"
BYTES=$(wc -c <"$CORPUS")
BYTES=${BYTES// /}

"$LOGSCRUB" "${EXTRA[@]}" <"$CORPUS" >"$SCRUBBED" || die "logscrub ${EXTRA[*]} failed (exit $?)"
"$LOGSCRUB" --no-rules <"$CORPUS" >"$BASE" || die "logscrub --no-rules failed (exit $?)"
NOUT=$(wc -l <"$SCRUBBED")
NBASE=$(wc -l <"$BASE")
[ "${NOUT// /}" = "$LINES" ] || die "logscrub wrote ${NOUT// /} lines for $LINES (lines must be 1:1)"
[ "${NBASE// /}" = "$LINES" ] || die "logscrub --no-rules wrote ${NBASE// /} lines for $LINES"

# --- scoring -----------------------------------------------------------------
# Labels are in line order: walk the three files in step. A label's value is
# unescaped (\\ and \xHH) and searched for as a fixed string (index()).
SUMMARY=$P.summary
awk -F'\t' -v out="$SCRUBBED" -v base="$BASE" -v lines="$LINES" \
    -v misses="$OUT/pii-misses.tsv" -v fps="$OUT/pii-false-positives.tsv" \
    -v coll="$OUT/pii-collateral.txt" -v generr="$OUT/pii-gen-errors.tsv" \
    -v partial="$OUT/pii-partial.tsv" -v inp="$CORPUS" '
function unesc(s,    r, i, c) {
    if (index(s, "\\") == 0) return s
    r = ""
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c == "\\") {
            if (substr(s, i + 1, 1) == "x") { r = r chr[substr(s, i + 2, 2)]; i += 3 }
            else { r = r substr(s, i + 1, 1); i++ }
        } else r = r c
    }
    return r
}
# Reads output, base and input up to line n.
function advance(n) {
    while (cur < n) {
        if ((getline o < out) <= 0 || (getline b < base) <= 0 || (getline x < inp) <= 0) {
            print "pii-recall: short file at line " cur + 1 > "/dev/stderr"; exit 1
        }
        cur++
        if (!haspii[cur] && o != b) {
            ncoll++
            print "line " cur ":\n  in:       " x "\n  no-rules: " b "\n  default:  " o > coll
        }
    }
}
BEGIN {
    hex = "0123456789abcdef"
    for (i = 1; i < 256; i++)
        chr[substr(hex, int(i / 16) + 1, 1) substr(hex, i % 16 + 1, 1)] = sprintf("%c", i)
    cur = 0; ncoll = 0; npii = 0; nrem = 0; ndec = 0; nsurv = 0; nerr = 0
    npart = 0; printf "" > partial; printf "" > misses; printf "" > fps; printf "" > coll; printf "" > generr
    # Pass 1 is not needed for haspii: a line is settled only after all its labels
    # are read, so labels are buffered per line.
    pl = 0
}
function settle(n,    i, v, k, c, s, L, a) {
    # Labels of line n are in L*[1..nl]; first mark it, then walk to it.
    for (i = 1; i <= nl; i++) if (Lc[i] == "pii") haspii[n] = 1
    advance(n)
    for (i = 1; i <= nl; i++) {
        v = unesc(Lv[i]); k = Lk[i]; c = Lc[i]
        kinds[k] = c
        if (index(b, v) == 0) { nerr++; print n "\t" k "\t" c "\t" Lv[i] > generr }
        if (c == "pii") {
            npii++; tot[k]++
            if (index(o, v) == 0) {
                nrem++; ok[k]++
                # Removed, but is an end of it still in place (a rule took
                # only part of it)? An end is its first or last 4 bytes with
                # up to 8 bytes of the line next to it. By design mac keeps
                # its vendor prefix and card its last 4 digits.
                # A side with fewer than 4 bytes of context is not checked
                # (".com" alone proves nothing).
                s = index(b, v); L = length(v); a = s > 8 ? s - 8 : 1
                if (L >= 8 && ((k != "mac" && s > 4 && index(o, substr(b, a, s - a + 4)) > 0) || \
                               (k != "card" && s + L + 3 <= length(b) && \
                                index(o, substr(b, s + L - 4, 12)) > 0))) {
                    npart++; print n "\t" k "\t" Lv[i] "\t" o > partial
                }
            } else print n "\t" k "\t" Lv[i] > misses
        } else {
            ndec++; tot[k]++
            if (index(o, v) > 0) { nsurv++; ok[k]++ }
            else print n "\t" k "\t" Lv[i] "\t" o > fps
        }
    }
    nl = 0
}
{
    if (NF < 4) { print "pii-recall: bad label line " NR > "/dev/stderr"; exit 1 }
    if ($1 + 0 != pl && nl > 0) settle(pl)
    pl = $1 + 0
    nl++; Lk[nl] = $2; Lc[nl] = $3; Lv[nl] = $4
}
END {
    if (nl > 0) settle(pl)
    advance(lines)
    nlab = 0
    for (k in kinds) names[++nlab] = k
    # sort: pii kinds first, then decoys, by name (insertion sort; a few dozen)
    for (i = 2; i <= nlab; i++) {
        t = names[i]
        for (j = i - 1; j >= 1 && (kinds[names[j]] kinds[t] == "piidecoy" ? 0 : \
             (kinds[names[j]] == kinds[t] ? names[j] > t : kinds[names[j]] == "decoy")); j--)
            names[j + 1] = names[j]
        names[j + 1] = t
    }
    for (i = 1; i <= nlab; i++) {
        k = names[i]
        printf "K\t%s\t%s\t%d\t%d\n", kinds[k], k, ok[k] + 0, tot[k]
    }
    nclean = 0
    for (n = 1; n <= lines; n++) if (!haspii[n]) nclean++
    printf "S\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", nrem, npii, nsurv, ndec, ncoll, nclean, nerr, npart
}' "$LABELS" >"$SUMMARY" || die "scoring failed"

read -r _ REM NPII SURV NDEC COLL NCLEAN GENERR PARTIAL < <(grep '^S' "$SUMMARY")

# --- throughput --------------------------------------------------------------
if [ -n "${EPOCHREALTIME:-}" ]; then
    now() { local t=$EPOCHREALTIME; NOW=${t/[.,]/}; }
else
    now() { NOW=$(date +%s%6N); }
fi
# best_time CMD...: best wall time of REPEAT runs, in microseconds, into BEST.
best_time() {
    local i t0
    BEST=
    for ((i = 0; i < REPEAT; i++)); do
        now
        t0=$NOW
        "$@" <"$CORPUS" >/dev/null || die "$* failed"
        now
        if [ -z "$BEST" ] || [ $((NOW - t0)) -lt "$BEST" ]; then BEST=$((NOW - t0)); fi
    done
}
mbps() { awk -v b="$BYTES" -v us="$1" 'BEGIN { if (us <= 0) print "n/a"; else printf "%.1f", b / us }'; }
T_RULES='' T_NORULES=''
if [ "$REPEAT" -gt 0 ]; then
    cat "$CORPUS" >/dev/null
    best_time "$LOGSCRUB" "${EXTRA[@]}"
    T_RULES=$BEST
    best_time "$LOGSCRUB" --no-rules
    T_NORULES=$BEST
fi

# --- which rules fired on the false positives --------------------------------
# Re-run the lines with a false positive under --explain to name the rules.
explain_fps() {
    local n
    [ -s "$OUT/pii-false-positives.tsv" ] || return 0
    cut -f1 "$OUT/pii-false-positives.tsv" | sort -nu | head -n 50 >"$P.explain-in"
    while read -r n; do
        sed -n "${n}{p;q}" "$CORPUS" |
            "$LOGSCRUB" "${EXTRA[@]}" --explain 2>&1 >/dev/null |
            sed -n "s/^logscrub: explain: line 1: rule \([^ ]*\) .*/\1/p" | sort -u | tr '\n' ' ' |
            sed "s/^/  line $n: rules matched: /; s/ \$//"
        echo
    done <"$P.explain-in"
}

# --- report ------------------------------------------------------------------
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else if (a == b) print "100%"; else printf "%.2f%%", 100 * a / b }'; }

report() {
    local ver
    ver=$("$LOGSCRUB" --version 2>/dev/null | head -n 1 || true)
    echo "logscrub PII recall  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "corpus:   $LINES lines, $BYTES bytes, gen-pii seed $SEED"
    echo "logscrub: ${ver:-unknown version} ($LOGSCRUB${ARGS:+ $ARGS}; default policy unless -c)"
    echo
    printf '%-22s %-6s %8s %8s %9s\n' kind class ok total rate
    awk -F'\t' '$1 == "K" {
        r = ($5 == 0) ? "n/a" : ($4 == $5) ? "100%" : sprintf("%.2f%%", 100 * $4 / $5)
        printf "%-22s %-6s %8d %8d %9s\n", $3, $2, $4, $5, r }' "$SUMMARY"
    echo "(pii: ok = removed; decoy: ok = survived)"
    echo
    echo "planted values: $NPII, removed: $REM, still present: $((NPII - REM))"
    echo "partly removed: $PARTIAL of the removed values still show their first or last 4 bytes in place"
    echo "decoys: $NDEC, survived: $SURV, changed: $((NDEC - SURV))"
    echo "collateral: $COLL of $NCLEAN lines without a planted value changed beyond IP truncation"
    echo "generator check: $GENERR labelled values changed by --no-rules alone (must be 0)"
    if [ -n "$T_RULES" ]; then
        echo "throughput: default policy $(mbps "$T_RULES") MB/s ($(awk -v u="$T_RULES" 'BEGIN{printf "%.3f", u/1e6}') s)," \
            "--no-rules $(mbps "$T_NORULES") MB/s ($(awk -v u="$T_NORULES" 'BEGIN{printf "%.3f", u/1e6}') s); best of $REPEAT"
    fi
    if [ "$REM" != "$NPII" ]; then
        echo
        echo "misses (line, kind, value still in the output; first 30 of $((NPII - REM)), all in $OUT/pii-misses.tsv):"
        head -n 30 "$OUT/pii-misses.tsv" | sed 's/^/  /'
    fi
    if [ "$PARTIAL" != 0 ]; then
        echo
        echo "partly removed (line, kind, value, output line; first 10 of $PARTIAL, all in $OUT/pii-partial.tsv):"
        head -n 10 "$OUT/pii-partial.tsv" | cut -c 1-400 | sed 's/^/  /'
    fi
    if [ "$SURV" != "$NDEC" ]; then
        echo
        echo "false positives (line, kind, decoy changed; first 30 of $((NDEC - SURV)), all in $OUT/pii-false-positives.tsv):"
        head -n 30 "$OUT/pii-false-positives.tsv" | cut -f1-3 | sed 's/^/  /'
        explain_fps | head -n 30
    fi
    if [ "$COLL" != 0 ]; then
        echo
        echo "collateral changes (first 5 of $COLL, all in $OUT/pii-collateral.txt):"
        head -n 20 "$OUT/pii-collateral.txt" | cut -c 1-400 | sed 's/^/  /'
    fi
    if [ "$GENERR" != 0 ]; then
        echo
        echo "generator check failed (first 10 in $OUT/pii-gen-errors.tsv):"
        head -n 10 "$OUT/pii-gen-errors.tsv" | sed 's/^/  /'
    fi
    echo
    echo "pii-recall: collateral $COLL, partly removed $PARTIAL, generator errors $GENERR"
    echo "pii-recall: recall $(pct "$REM" "$NPII") ($REM/$NPII), decoy survival $(pct "$SURV" "$NDEC") ($SURV/$NDEC)"
}

report | tee "$OUT/pii-results.txt"
