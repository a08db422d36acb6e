#!/bin/bash
# tests/logrotate.sh -- Debian's logrotate, run as `logrotate -f -s STATE
# CONF` in a temporary directory, with the two stanzas of the shipped
# contrib/logrotate.d/logscrub (paths moved into the directory):
#   live: logscrub writes the file and reopens it on SIGHUP after logrotate
#         moved it (postrotate's `systemctl reload` becomes a kill -HUP);
#   raw:  the server writes full addresses, postrotate scrubs the file just
#         rotated in place, then logrotate compresses it.
# Two rotations each; checked: every line exactly once, scrubbed, modes kept.

. "$(dirname "$0")/lib.sh"
require gzip mkfifo sed awk
require_logscrub
LOGROTATE=$(command -v logrotate || echo /usr/sbin/logrotate)
if [ ! -x "$LOGROTATE" ]; then
    echo "$T_SUITE: SKIP: logrotate is not installed (apt-get install logrotate)"
    exit 77
fi
CONF=$top_srcdir/contrib/logrotate.d/logscrub

# stanza N: the Nth stanza of the shipped file, uncommented.
stanza() {
    awk -v want="$1" '
        /^#?\/var\/log\// { k++; on = (k == want) }
        on { sub(/^#/, ""); print }
        on && /^}/ { on = 0 }
    ' "$CONF"
}

# lines FROM TO: raw log lines with distinct addresses and paths.
lines() {
    local k
    for k in $(seq "$1" "$2"); do
        printf '203.0.113.%d - - [06/Dec/2026:10:00:00 +0000] "GET /p/%d HTTP/1.1" 200 5 "-" "curl"\n' \
            $((k % 250 + 1)) "$k"
    done
}

# scrubbed FROM TO: what logscrub makes of lines FROM TO.
scrubbed() {
    lines "$1" "$2" | sed 's/^203\.0\.113\.[0-9]* /203.0.113.0 /'
}


# ------------------------------------------------------------------ live --
d=$T/live
mkdir -p "$d/log"
mkfifo "$d/in.fifo"
exec 3<>"$d/in.fifo"
"$LOGSCRUB" -o "$d/log/access.log" <"$d/in.fifo" 2>"$d/err" 3>&- &
pid=$!
t_bg "$pid"
stanza 1 | sed -e "s|/var/log/logscrub|$d/log|" \
    -e "s|systemctl reload 'logscrub@\*.service'|kill -HUP $pid|" >"$d/conf"

# wait_lines FILE N: until FILE has N lines (3 s at most).
wait_lines() {
    local i
    for i in $(seq 60); do
        [ "$(cat "$1" 2>/dev/null | wc -l)" -ge "$2" ] && return 0
        sleep 0.05
    done
    return 1
}

t_begin "live: the shipped stanza is what logrotate expects"
grep -q "kill -HUP $pid" "$d/conf" || t_fail "postrotate not found in stanza 1"
grep -q "maxage 30" "$d/conf" || t_fail "no maxage 30"
t_end

t_begin "live: two rotations, logscrub reopens, nothing lost"
lines 1 100 >&3
wait_lines "$d/log/access.log" 100 || t_fail "first lines not written"
"$LOGROTATE" -f -s "$d/state" "$d/conf" 2>"$d/lr.err" || t_fail "logrotate 1: $(head -c 200 "$d/lr.err")"
lines 101 200 >&3
wait_lines "$d/log/access.log" 100 || t_fail "logscrub did not reopen access.log"
"$LOGROTATE" -f -s "$d/state" "$d/conf" 2>>"$d/lr.err" || t_fail "logrotate 2: $(head -c 200 "$d/lr.err")"
lines 201 250 >&3
wait_lines "$d/log/access.log" 50 || t_fail "logscrub did not reopen access.log again"
exec 3>&-
wait_exit "$pid" 10
expect_rc 0
[ -f "$d/log/access.log.2.gz" ] && [ -f "$d/log/access.log.1" ] ||
    t_fail "expected access.log.1 and access.log.2.gz (delaycompress): $(ls "$d/log" | tr '\n' ' ')"
{ gzip -dc "$d/log/access.log.2.gz"; cat "$d/log/access.log.1" "$d/log/access.log"; } >"$d/all"
scrubbed 1 250 >"$d/expected"
expect_same "$d/expected" "$d/all"
for f in "$d/log/access.log" "$d/log/access.log.1"; do
    m=$(stat -c %a "$f")
    [ "$m" = 640 ] || t_fail "$(basename "$f"): mode $m, want 640"
done
t_end

# ------------------------------------------------------------------- raw --
d=$T/raw
mkdir -p "$d/log"
stanza 2 | sed -e "s|/var/log/nginx|$d/log|g" -e "s|/run/nginx.pid|$d/nginx.pid|g" \
    -e "s|/usr/local/bin/logscrub|$LOGSCRUB|" >"$d/conf"

t_begin "raw: the shipped stanza is what logrotate expects"
grep -q -- "--in-place" "$d/conf" || t_fail "stanza 2 has no --in-place postrotate"
grep -q "delaycompress" "$d/conf" && t_fail "stanza 2 must not delay compression"
t_end

t_begin "raw: two rotations, each rotated file scrubbed and compressed"
lines 1 120 >"$d/log/access.log"
chmod 640 "$d/log/access.log"
"$LOGROTATE" -f -s "$d/state" "$d/conf" 2>"$d/lr.err" || t_fail "logrotate 1: $(head -c 300 "$d/lr.err")"
lines 121 200 >>"$d/log/access.log" # the server goes on writing (a new file)
chmod 640 "$d/log/access.log"
"$LOGROTATE" -f -s "$d/state" "$d/conf" 2>>"$d/lr.err" || t_fail "logrotate 2: $(head -c 300 "$d/lr.err")"
[ -f "$d/log/access.log.1.gz" ] && [ -f "$d/log/access.log.2.gz" ] ||
    t_fail "expected access.log.1.gz and access.log.2.gz: $(ls "$d/log" | tr '\n' ' ')"
gzip -dc "$d/log/access.log.2.gz" >"$d/got2" 2>/dev/null
gzip -dc "$d/log/access.log.1.gz" >"$d/got1" 2>/dev/null
scrubbed 1 120 >"$d/exp2"
scrubbed 121 200 >"$d/exp1"
expect_same "$d/exp2" "$d/got2"
expect_same "$d/exp1" "$d/got1"
for f in "$d/log/access.log.1.gz" "$d/log/access.log.2.gz"; do
    m=$(stat -c %a "$f")
    [ "$m" = 640 ] || t_fail "$(basename "$f"): mode $m, want 640"
done
ls "$d/log" | grep -q 'logscrub\.' && t_fail "a temporary file was left: $(ls -a "$d/log" | tr '\n' ' ')"
t_end

t_finish
