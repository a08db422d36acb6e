#!/bin/bash
# tests/block.sh -- the filter's block path against its line-by-line path.
#
# Without rules the CLI scrubs whole blocks of lines at once (reader_next_block
# and ls_scrub_lines); with rules it goes line by line.  A policy whose one rule
# never matches forces the line-by-line path with the same addresses-only
# result, so the two runs must agree byte for byte, output and --stats
# counters, on every kind of input: the golden logs, blocks larger than the
# reader's, cut lines between blocks, empty lines, a missing final newline
# between files, gzip and standard input.

. "$(dirname "$0")/lib.sh"
require gzip cmp diff awk
require_logscrub

NEVER=$T/never.yaml
printf 'version: 1\nfields: {remote_user: keep}\nrules:\n  custom:\n    - {name: never, pattern: "zq9-never-zq9", action: mask}\n' \
    >"$NEVER"

# The --stats line without its timing fields, from $T/err.
stats_counts() {
    grep '^logscrub: stats: lines=' "$T/err" | sed 's/ seconds=.*//'
}

# same_both NAME ARGS...: `logscrub --no-rules ARGS` (blocks) and
# `logscrub -c never.yaml ARGS` (lines) give the same output, exit status and
# counters.  Arguments are passed as they are, so stdin must be a file.
same_both() {
    local name=$1
    shift
    t_begin "$name"
    ls_run --stats --no-rules "$@" <"${STDIN:-/dev/null}"
    local rc_block=$RC
    cp "$T/out" "$T/out.block"
    stats_counts >"$T/stats.block"
    ls_run --stats -c "$NEVER" "$@" <"${STDIN:-/dev/null}"
    [ "$RC" -eq "$rc_block" ] || t_fail "exit status: blocks $rc_block, lines $RC"
    expect_same "$T/out" "$T/out.block"
    stats_counts >"$T/stats.lines"
    [ -s "$T/stats.lines" ] || t_fail "no stats line: $(t_show "$T/err")"
    expect_same "$T/stats.lines" "$T/stats.block"
    t_end
}

# --- the golden logs, with their own arguments ---------------------------
for in in "$top_srcdir"/tests/golden/*.in; do
    name=$(basename "$in" .in)
    args=()
    if [ -f "${in%.in}.args" ]; then
        read -r -a args <"${in%.in}.args"
    fi
    same_both "golden $name ${args[*]}" "${args[@]}" "$in"
done

# --- generated logs --------------------------------------------------------
# 30000 lines (about 1.5 MB, many blocks): addresses of every form, empty
# lines, lines the rewrites make touchy, and every 97th line longer than 200
# bytes (cut with --max-line 200); the last line has no '\n'.
awk 'BEGIN {
    for (i = 0; i < 30000; i++) {
        k = i % 11
        if (i % 97 == 0) {
            s = sprintf("%d.%d.%d.%d long", 11 + i % 200, i % 256, (i * 7) % 256, i % 250)
            for (j = 0; j < 40; j++) s = s sprintf(" w%d-%d", i, j)
            line = s " 203.0.113." (i % 256)
        } else if (k == 0) line = ""
        else if (k == 1) line = sprintf("%d.%d.%d.%d - - [x] \"GET /%d\" 200", 1 + i % 223, i % 256, (i * 3) % 256, (i * 5) % 256, i)
        else if (k == 2) line = sprintf("[2001:db8:%x:%x::%x]:443 ok", i, i % 7, i)
        else if (k == 3) line = sprintf("c %d.%d.%d.%d:%d then ::3.0::3.0.3.1", 1 + i % 223, i % 256, 7, 9, 1024 + i)
        else if (k == 4) line = sprintf("xff=\"10.%d.%d.%d, ::ffff:%d.%d.%d.%d\"", i % 256, 1, 2, 1 + i % 223, 1, 2, 3)
        else if (k == 5) line = sprintf("q=2001%%3Adb8%%3A%%3A%x&r=%d.%d.%d.%d%%2C", i, 1 + i % 223, 0, 2, 1)
        else if (k == 6) line = sprintf("v1.2.3.4beta 00:11:22:33:44:55 13:55:%02d %d.%d.%d", i % 60, 1, 2, 3)
        else if (k == 7) line = sprintf("%d.%d.%d.%d.in-addr.arpa fe80::%x%%eth0", 4, 3, 2, 1 + i % 200, i)
        else if (k == 8) line = sprintf("\\t%d.%d.%d.%d\\u003c::1:44580 1::2:3:4:5:6:7", 1 + i % 223, 2, 3, 4)
        else if (k == 9) line = sprintf("no address on line %d", i)
        else line = sprintf("fd00::%x 192.168.%d.%d 198.51.100.%d", i, i % 256, 1, i % 256)
        printf "%s%s", line, (i < 29999 ? "\n" : "")
    }
}' >"$T/gen.log"
printf '203.0.113.9 starts the second file\n\n192.0.2.1' >"$T/second.log"
gzip -c "$T/gen.log" >"$T/gen.log.gz"

same_both "generated log" "$T/gen.log"
same_both "generated log, --max-line 200 (cut lines between blocks)" --max-line 200 "$T/gen.log"
same_both "--max-line 64: blocks of many short lines" --max-line 64 "$T/gen.log"
same_both "--keep-private and odd prefixes" --keep-private --ipv4-prefix 20 --ipv6-prefix 52 \
    "$T/gen.log"
same_both "two files, the first without a final newline" "$T/gen.log" "$T/second.log"
same_both "gzip input, then plain" --max-line 200 "$T/gen.log.gz" "$T/second.log"
STDIN=$T/gen.log same_both "standard input" --max-line 200
same_both "a missing input among others" "$T/second.log" "$T/missing.log" "$T/gen.log"

t_begin "the generated log really has blocks, cut lines and touchy lines"
ls_run --stats --no-rules --max-line 200 "$T/gen.log"
grep -q 'fail_closed=310 ' "$T/err" || t_fail "expected 310 cut lines: $(t_show "$T/err")"
grep -q '^c [0-9.]*\.7\.0:[0-9]* then ::\.::$' "$T/out" || t_fail "touchy lines not as expected"
[ "$(wc -c <"$T/gen.log")" -gt 1000000 ] || t_fail "generated log too small"
t_end

t_finish
