#!/usr/bin/env bash
# tests/pii-corpus.sh -- the default policy on a labelled corpus from
# bench/gen-pii: every planted value removed, every decoy kept, and no line
# without a planted value changed by a rule (IP truncation aside).
#
# Scoring is bench/pii-recall.sh's (REPEAT=0: no timing). On a failure the
# exact values are printed; they are generated test data, not real PII.
source "$(dirname "$0")/lib.sh"

require_logscrub
GEN_PII=${GEN_PII:-$top_builddir/bench/gen-pii}
if [ ! -x "$GEN_PII" ]; then
    echo "$T_SUITE: $GEN_PII is not an executable; build it first (make check builds it)" >&2
    echo "$T_SUITE: 0 passed, 1 failed"
    exit 1
fi
RECALL=$top_srcdir/bench/pii-recall.sh
N=3000
SEED=20240501

t_begin "gen-pii is deterministic and labels every line it claims"
"$GEN_PII" -n "$N" -s "$SEED" -l "$T/a.labels" >"$T/a.log" || t_fail "gen-pii failed"
"$GEN_PII" -n "$N" -s "$SEED" -l "$T/b.labels" >"$T/b.log" || t_fail "gen-pii failed"
cmp -s "$T/a.log" "$T/b.log" || t_fail "same seed, different corpus"
cmp -s "$T/a.labels" "$T/b.labels" || t_fail "same seed, different labels"
"$GEN_PII" -n 100 -s "$SEED" >"$T/short.log" || t_fail "gen-pii -n 100 failed"
head -n 100 "$T/a.log" | cmp -s - "$T/short.log" || t_fail "a shorter run is not a prefix"
[ "$(wc -l <"$T/a.log")" -eq "$N" ] || t_fail "gen-pii wrote $(wc -l <"$T/a.log") lines, not $N"
bad=$(awk -F'\t' 'NF != 4 || $1 !~ /^[0-9]+$/ || ($3 != "pii" && $3 != "decoy")' "$T/a.labels" | head -n 3)
[ -z "$bad" ] || t_fail "malformed label lines: $bad"
[ "$(awk -F'\t' '$3 == "pii"' "$T/a.labels" | cut -f2 | sort -u | wc -l)" -ge 20 ] ||
    t_fail "fewer than 20 PII kinds planted"
t_end

# One scored run; the tests below read its summary files.
OUT=$T/score
mkdir -p "$OUT"
LOGSCRUB=$LOGSCRUB GEN_PII=$GEN_PII LINES=$N SEED=$SEED REPEAT=0 OUT=$OUT KEEP=1 \
    bash "$RECALL" >"$T/report" 2>"$T/report.err"
RC=$?
S=$(grep '^S' "$OUT/pii-$N-s$SEED.summary" 2>/dev/null)
read -r _ REM NPII SURV NDEC COLL NCLEAN GENERR PARTIAL <<<"${S:-S x x x x x x x x}"

t_begin "pii-recall.sh scores the corpus"
expect_rc 0
[ -n "$S" ] || t_fail "no summary; report:" "$(head -n 20 "$T/report" "$T/report.err")"
grep -q '^pii-recall: recall .*, decoy survival ' "$T/report" || t_fail "no closing line"
t_end

t_begin "generator check: --no-rules leaves every labelled value alone"
[ "$GENERR" = 0 ] || t_fail "$GENERR labelled values changed by IP truncation alone:" \
    "$(head -n 10 "$OUT/pii-gen-errors.tsv")"
t_end

t_begin "recall is 100% (every planted value removed)"
if [ "$REM" != "$NPII" ]; then
    t_fail "recall $REM/$NPII; still present (line, kind, value):"
    t_fail "$(head -n 20 "$OUT/pii-misses.tsv")"
fi
t_end

t_begin "no planted value is only partly removed"
if [ "$PARTIAL" != 0 ]; then
    t_fail "$PARTIAL values keep their first or last 4 bytes in place (line, kind, value):"
    t_fail "$(head -n 20 "$OUT/pii-partial.tsv" | cut -f1-3)"
fi
t_end

t_begin "decoy survival is 100% (every decoy unchanged)"
if [ "$SURV" != "$NDEC" ]; then
    t_fail "decoy survival $SURV/$NDEC; changed (line, kind, value):"
    t_fail "$(head -n 20 "$OUT/pii-false-positives.tsv" | cut -f1-3)"
fi
t_end

t_begin "lines without a planted value change only by IP truncation"
if [ "$COLL" != 0 ]; then
    t_fail "$COLL of $NCLEAN such lines changed by a rule:"
    t_fail "$(head -n 12 "$OUT/pii-collateral.txt" | cut -c 1-300)"
fi
t_end

t_finish
