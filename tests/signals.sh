#!/bin/bash
# tests/signals.sh -- logscrub under signals and on FIFOs:
#   SIGHUP reopens -o between lines (log rotation under load: no line lost,
#   duplicated, reordered or split), SIGTERM/SIGINT finish cleanly (complete
#   lines, valid gzip, exit 0), and output to a FIFO is line-buffered.

. "$(dirname "$0")/lib.sh"
require mkfifo timeout gzip awk env
require_logscrub

umask 022

# The producer: numbered lines with an IPv4 and an IPv6 client that the
# default policy truncates.  gen_raw FIRST COUNT / gen_scrubbed FIRST COUNT.
gen_raw() {
    awk -v a="$1" -v n="$2" 'BEGIN { for (i = a; i < a + n; i++)
        printf "line %07d client 203.0.113.%d xff=\"2001:db8:%x:%x::1, 198.51.100.%d\" end\n",
            i, i % 256, i % 65535 + 1, (i * 7) % 65535 + 1, (i * 3) % 256 }'
}
gen_scrubbed() {
    awk -v a="$1" -v n="$2" 'BEGIN { for (i = a; i < a + n; i++)
        printf "line %07d client 203.0.113.0 xff=\"2001:db8:%x::, 198.51.100.0\" end\n",
            i, i % 65535 + 1 }'
}
LINE_RE='^line [0-9]{7} client 203\.0\.113\.0 xff="2001:db8:[0-9a-f]{1,4}::, 198\.51\.100\.0" end$'

# wait_for FILE: up to 5 s for FILE to exist.
wait_for() {
    local i
    for i in $(seq 50); do
        [ -e "$1" ] && return 0
        sleep 0.1
    done
    return 1
}


# check_lines FILE...: every file ends in a newline and every line in it is
# a complete scrubbed producer line.
check_lines() {
    local f bad
    for f in "$@"; do
        if [ -s "$f" ] && [ "$(tail -c 1 "$f" | od -An -tx1 | tr -d ' ')" != 0a ]; then
            t_fail "$f does not end with a newline (a line was split)"
        fi
        bad=$(grep -Evc "$LINE_RE" "$f")
        [ "$bad" -eq 0 ] || t_fail "$f: $bad lines are not complete scrubbed lines, e.g.: $(grep -Ev "$LINE_RE" "$f" | head -n 2)"
    done
}

# check_consecutive FILE: lines numbered 1, 2, 3, ... with no gap; prints
# the count.
check_consecutive() {
    awk '{ n++; if ($2 + 0 != n) { printf "line %d has number %s\n", n, $2; exit 1 } }
         END { print n + 0 > "/dev/stderr" }' "$1" 2>"$T/count" >"$T/gap" ||
        t_fail "numbering broken in $1: $(cat "$T/gap")"
    cat "$T/count"
}

# ----------------------------------------------------------- SIGHUP ----------

# rotate_test NAME [-z]: rotates out.log K times under load and checks the
# union of all files.
rotate_test() {
    local name=$1 z=${2:-} d="$T/hup${2:-}" n_batches=40 batch=2500 k
    local total=$((n_batches * batch)) rotations=6
    t_begin "$name"
    mkdir "$d"
    mkfifo "$d/in.fifo"
    "$LOGSCRUB" ${z:+"$z"} -o "$d/out.log" <"$d/in.fifo" 2>"$d/err" &
    local pid=$!
    t_bg "$pid"
    (
        for b in $(seq 0 $((n_batches - 1))); do
            gen_raw $((b * batch + 1)) "$batch"
            sleep 0.05
        done
    ) >"$d/in.fifo" &
    local prod=$!
    t_bg "$prod"
    if ! wait_for "$d/out.log"; then
        t_fail "out.log was never created"
    fi
    sleep 0.3
    for k in $(seq 1 "$rotations"); do
        mv "$d/out.log" "$d/out.log.$k" 2>/dev/null || t_fail "rotation $k: no out.log to rename"
        kill -HUP "$pid" 2>/dev/null || t_fail "logscrub gone before rotation $k"
        sleep 0.25
    done
    wait "$prod"
    wait_exit "$pid" 20
    expect_rc 0
    if [ -s "$d/err" ]; then
        t_fail "stderr not empty: $(head -n 3 "$d/err")"
    fi
    local files=()
    for k in $(seq 1 "$rotations"); do
        files+=("$d/out.log.$k")
    done
    files+=("$d/out.log")
    for k in "${files[@]}"; do
        [ -e "$k" ] || t_fail "$k missing: SIGHUP did not reopen the output"
    done
    expect_mode "$d/out.log" 640
    local nonempty=0
    : >"$d/union"
    for k in "${files[@]}"; do
        [ -e "$k" ] || continue
        if [ -n "$z" ]; then
            if [ -s "$k" ]; then
                gzip -t "$k" 2>/dev/null || t_fail "$k is not a complete gzip file"
            fi
            gzip -dc <"$k" >"$k.txt" 2>/dev/null
        else
            cp "$k" "$k.txt"
        fi
        [ -s "$k.txt" ] && nonempty=$((nonempty + 1))
        check_lines "$k.txt"
        cat "$k.txt" >>"$d/union"
    done
    [ "$nonempty" -ge 3 ] || t_fail "only $nonempty files got lines: the rotation did not happen under load"
    gen_scrubbed 1 "$total" >"$d/expected"
    if ! cmp -s "$d/expected" "$d/union"; then
        t_fail "union of rotated files != every line once in order ($(wc -l <"$d/union") of $total lines); first difference:"
        t_fail "$(diff "$d/expected" "$d/union" | head -n 6)"
    fi
    t_end
}

rotate_test "SIGHUP reopens -o under load: every line once, in order, unsplit"
rotate_test "SIGHUP reopens -z -o under load: each file valid gzip, every line once" -z

# logrotate without delaycompress: rename, HUP, then compress the renamed file
# at once.  With the input idle at that moment, everything written so far
# must already be in out.log.1 and out.log must be reopened, or lines are lost.
t_begin "SIGHUP while the input is idle: logrotate-style compress right after loses nothing"
d="$T/hup-idle"
mkdir "$d"
mkfifo "$d/in.fifo"
exec 3<>"$d/in.fifo"
"$LOGSCRUB" -o "$d/out.log" <"$d/in.fifo" 2>"$d/err" 3>&- &
pid=$!
t_bg "$pid"
gen_raw 1 3 >&3
wait_for "$d/out.log" || t_fail "out.log was never created"
sleep 0.5
mv "$d/out.log" "$d/out.log.1"
kill -HUP "$pid"
sleep 1
[ -e "$d/out.log" ] || t_fail "out.log not reopened within 1 s of SIGHUP while the input was idle"
gen_scrubbed 1 3 >"$d/expected"
expect_same "$d/expected" "$d/out.log.1"
gzip "$d/out.log.1" # logrotate's compress: the renamed file is gone now
gen_raw 4 2 >&3
exec 3>&-
wait_exit "$pid" 10
expect_rc 0
gen_scrubbed 4 2 >"$d/expected"
expect_same "$d/expected" "$d/out.log"
gzip -dc "$d/out.log.1.gz" >"$d/old" 2>/dev/null
gen_scrubbed 1 3 >"$d/expected"
expect_same "$d/expected" "$d/old"
[ -s "$d/err" ] && t_fail "stderr not empty: $(head -n 3 "$d/err")"
t_end

# ----------------------------------------------------------- SIGTERM/INT -----

t_begin "SIGTERM while the input is idle: prompt exit 0, lines read so far written"
d="$T/term-idle"
mkdir "$d"
mkfifo "$d/in.fifo"
exec 3<>"$d/in.fifo"
"$LOGSCRUB" -z -o "$d/out.gz" <"$d/in.fifo" 2>"$d/err" 3>&- &
pid=$!
t_bg "$pid"
gen_raw 1 2 >&3
wait_for "$d/out.gz" || t_fail "out.gz was never created"
sleep 0.5
kill -TERM "$pid"
wait_exit "$pid" 5
exec 3>&-
expect_rc 0
gzip -t "$d/out.gz" 2>/dev/null || t_fail "out.gz is not a complete gzip file"
gzip -dc "$d/out.gz" >"$d/plain" 2>/dev/null
gen_scrubbed 1 2 >"$d/expected"
expect_same "$d/expected" "$d/plain"
t_end

# stop_test NAME SIGNAL [-z]: slow producer, then SIGNAL; the output must hold
# complete lines 1..n without a gap and, with -z, be a complete gzip file.
stop_test() {
    local name=$1 sig=$2 z=${3:-} d="$T/stop-$2${3:-}"
    t_begin "$name"
    mkdir "$d"
    mkfifo "$d/in.fifo"
    local out="$d/out.log"
    [ -n "$z" ] && out="$d/out.log.gz"
    env --default-signal="$sig" "$LOGSCRUB" ${z:+"$z"} -o "$out" <"$d/in.fifo" 2>"$d/err" &
    local pid=$!
    t_bg "$pid"
    (
        trap '' PIPE
        i=1
        while [ "$i" -le 100000 ]; do
            gen_raw "$i" 5 || exit 0
            i=$((i + 5))
            sleep 0.01
        done
    ) >"$d/in.fifo" 2>/dev/null &
    local prod=$!
    t_bg "$prod"
    wait_for "$out" || t_fail "$out was never created"
    sleep 1
    kill -"$sig" "$pid"
    wait_exit "$pid" 10
    kill "$prod" 2>/dev/null
    wait "$prod" 2>/dev/null
    expect_rc 0
    [ -s "$d/err" ] && t_fail "stderr not empty: $(head -n 3 "$d/err")"
    if [ -n "$z" ]; then
        gzip -t "$out" 2>"$d/gzerr" || t_fail "gzip -t $out failed: $(cat "$d/gzerr")"
        gzip -dc <"$out" >"$d/plain" 2>/dev/null
    else
        cp "$out" "$d/plain"
    fi
    check_lines "$d/plain"
    local n
    n=$(check_consecutive "$d/plain")
    [ "${n:-0}" -ge 5 ] || t_fail "only ${n:-0} lines written before the signal"
    t_end
}

stop_test "SIGTERM with -z -o: exit 0, valid gzip, complete lines" TERM -z
stop_test "SIGINT with -o: exit 0, complete lines" INT
stop_test "SIGTERM with -o: exit 0, complete lines" TERM

# ----------------------------------------------------------- line buffering --

# fifo_test NAME MODE: MODE stdout|-o|line-buffered-file.  Writes one line
# into logscrub's open stdin and expects it on the output within 5 s.
fifo_test() {
    local name=$1 mode=$2 d="$T/fifo-$2" got=
    t_begin "$name"
    mkdir "$d"
    mkfifo "$d/in.fifo"
    # Our end of the input stays open (fd 3) until the test closes it; the
    # child must not inherit it, or it would never see end of input.
    exec 3<>"$d/in.fifo"
    case $mode in
        stdout)
            mkfifo "$d/out.fifo"
            exec 4<>"$d/out.fifo"
            "$LOGSCRUB" <"$d/in.fifo" >"$d/out.fifo" 2>"$d/err" 3>&- 4<&- &
            ;;
        -o)
            mkfifo "$d/out.fifo"
            exec 4<>"$d/out.fifo"
            "$LOGSCRUB" -o "$d/out.fifo" <"$d/in.fifo" 2>"$d/err" 3>&- 4<&- &
            ;;
        line-buffered-file)
            "$LOGSCRUB" --line-buffered -o "$d/out.log" <"$d/in.fifo" 2>"$d/err" 3>&- &
            ;;
        live-input-file)
            "$LOGSCRUB" -o "$d/out.log" <"$d/in.fifo" 2>"$d/err" 3>&- &
            ;;
    esac
    local pid=$!
    t_bg "$pid"
    printf '203.0.113.195 - - "GET /first HTTP/1.1" 200\n' >&3
    if [ "$mode" = line-buffered-file ] || [ "$mode" = live-input-file ]; then
        local i
        for i in $(seq 50); do
            [ -s "$d/out.log" ] && break
            sleep 0.1
        done
        got=$(head -n 1 "$d/out.log" 2>/dev/null)
    else
        IFS= read -r -t 5 got <&4
    fi
    [ "$got" = '203.0.113.0 - - "GET /first HTTP/1.1" 200' ] ||
        t_fail "first line not seen within 5 s while the input stays open; got: '$got'"
    printf '198.51.100.7 second\n' >&3
    exec 3>&-
    wait_exit "$pid" 10
    expect_rc 0
    if [ "$mode" = line-buffered-file ] || [ "$mode" = live-input-file ]; then
        printf '203.0.113.0 - - "GET /first HTTP/1.1" 200\n198.51.100.0 second\n' >"$d/expected"
        expect_same "$d/expected" "$d/out.log"
    else
        got=
        IFS= read -r -t 5 got <&4
        [ "$got" = '198.51.100.0 second' ] || t_fail "second line: got '$got'"
        exec 4<&-
    fi
    t_end
}

fifo_test "stdout is a FIFO: output is line-buffered" stdout
fifo_test "-o FILE is a FIFO: output is line-buffered" -o
fifo_test "--line-buffered with -o regular file flushes each line" line-buffered-file
fifo_test "input is a FIFO that pauses: -o regular file is flushed" live-input-file

# A pipe that pauses: the line is in the file while the writer still sleeps.
t_begin "input is a pipe that pauses: -o regular file is flushed"
d="$T/pipe-pause"
mkdir "$d"
{ printf '203.0.113.195 paused\n'; sleep 4; printf '198.51.100.7 later\n'; } |
    "$LOGSCRUB" -o "$d/out.log" 2>"$d/err" &
pid=$!
t_bg "$pid"
got=
for i in $(seq 30); do
    got=$(head -n 1 "$d/out.log" 2>/dev/null)
    [ -n "$got" ] && break
    sleep 0.1
done
[ "$got" = '203.0.113.0 paused' ] || t_fail "first line not in the file within 3 s; got: '$got'"
wait_exit "$pid" 10
expect_rc 0
printf '203.0.113.0 paused\n198.51.100.0 later\n' >"$d/expected"
expect_same "$d/expected" "$d/out.log"
t_end

t_finish
