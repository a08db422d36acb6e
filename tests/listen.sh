#!/bin/bash
# tests/listen.sh -- --listen unix:PATH: syslog datagrams in, scrubbed lines
# out.  util-linux's logger sends RFC 3164 datagrams as nginx does; then
# Debian's nginx logs to the socket itself (access_log syslog:server=unix:).

. "$(dirname "$0")/lib.sh"
require logger stat
require_logscrub

# wait_for FILE N: until FILE has N lines (2 s at most).
wait_for() {
    local i
    for i in $(seq 40); do
        [ "$(cat "$1" 2>/dev/null | wc -l)" -ge "$2" ] && return 0
        sleep 0.05
    done
    return 1
}

# start ARGS...: logscrub --listen unix:$T/s.sock ARGS... in the background.
start() {
    "$LOGSCRUB" --listen "unix:$T/s.sock" "$@" 2>"$T/err" &
    LPID=$!
    t_bg "$LPID"
    local i
    for i in $(seq 40); do
        [ -S "$T/s.sock" ] && return 0
        sleep 0.05
    done
    t_fail "no socket after 2 s: $(t_show "$T/err")"
}

# stop: SIGTERM, then RC = its exit status.
stop() {
    kill -TERM "$LPID"
    wait "$LPID"
    RC=$?
}

send() {
    logger --rfc3164 -d -u "$T/s.sock" -t nginx -- "$1"
}

t_begin "datagrams: header stripped, scrubbed, in the file at once, socket 0660"
start -o "$T/out.log"
m=$(stat -c %a "$T/s.sock")
[ "$m" = 660 ] || t_fail "socket mode $m, want 660"
send '203.0.113.195 - alice [10/Oct/2000:13:55:36 +0000] "GET /a HTTP/1.1" 200 5 "-" "curl/8.5.0"'
send 'client 2001:db8:85a3::8a2e:370:7334 closed'
wait_for "$T/out.log" 2 || t_fail "lines not written within 2 s"
stop
expect_rc 0
printf '%s\n' '203.0.113.0 - [user] [10/Oct/2000:13:55:36 +0000] "GET /a HTTP/1.1" 200 5 "-" "curl/8.5.0"' \
    'client 2001:db8:85a3:: closed' >"$T/expected"
expect_same "$T/expected" "$T/out.log"
[ -e "$T/s.sock" ] && t_fail "socket left after SIGTERM"
t_end

t_begin "--keep-syslog-header keeps <PRI>, time and tag; SIGHUP reopens -o"
start -o "$T/out2.log" --keep-syslog-header
send 'from 198.51.100.7'
wait_for "$T/out2.log" 1 || t_fail "first line not written"
mv "$T/out2.log" "$T/out2.log.1"
kill -HUP "$LPID"
sleep 0.2
send 'from 198.51.100.8'
wait_for "$T/out2.log" 1 || t_fail "no new file after SIGHUP"
stop
expect_rc 0
grep -Eq '^<[0-9]+>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [^ ]+ nginx: from 198\.51\.100\.0$' "$T/out2.log.1" ||
    t_fail "header not kept: $(cat "$T/out2.log.1")"
grep -q 'nginx: from 198\.51\.100\.0$' "$T/out2.log" || t_fail "after SIGHUP: $(cat "$T/out2.log" 2>&1)"
t_end

t_begin "--listen-group gives the socket to the group"
g=$(id -gn)
start -o "$T/out3.log" --listen-group "$g"
[ "$(stat -c %G "$T/s.sock")" = "$g" ] || t_fail "group $(stat -c %G "$T/s.sock"), want $g"
stop
expect_rc 0
t_end

t_begin "a stale socket is replaced; a file in the way is refused (exit 73)"
"$LOGSCRUB" --listen "unix:$T/stale.sock" -o /dev/null 2>/dev/null &
p=$!
sleep 0.3
kill -KILL "$p"
wait "$p" 2>/dev/null
[ -S "$T/stale.sock" ] || t_fail "no stale socket to test with"
"$LOGSCRUB" --listen "unix:$T/stale.sock" -o /dev/null 2>"$T/err" &
p=$!
sleep 0.3
kill -TERM "$p"
wait "$p"
RC=$?
expect_rc 0
printf 'x\n' >"$T/plain"
ls_run --listen "unix:$T/plain" </dev/null
expect_rc 73
expect_err_line "logscrub: $T/plain: exists and is not a socket"
[ "$(cat "$T/plain")" = x ] || t_fail "the file was changed"
t_end

t_begin "usage errors: FILE with --listen, no unix: prefix, an unknown group"
ls_run --listen "unix:$T/u.sock" somefile </dev/null
expect_rc 64
ls_run --listen "$T/u.sock" </dev/null
expect_rc 64
expect_err_line "logscrub: --listen: expected unix:PATH"
ls_run --listen "unix:$T/u.sock" --listen-group no-such-group-zq9 </dev/null
expect_rc 64
ls_run --keep-syslog-header </dev/null
expect_rc 64
t_end

# ------------------------------------------------------------ real nginx --
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ -x "$NGINX" ] && command -v curl >/dev/null; then
    d=$T/ng
    mkdir -p "$d/logs" "$d/tmp" "$d/run"
    chmod 755 "$T" "$d" "$d/tmp" "$d/run"
    port=$(free_port 40000)
    cat >"$d/nginx.conf" <<CONF
worker_processes 1;
pid $d/run/nginx.pid;
error_log $d/logs/error.log;
events { worker_connections 64; }
http {
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    access_log syslog:server=unix:$d/run/log.sock,nohostname combined;
    server { listen 127.0.0.1:$port; location / { return 200 "ok\n"; } }
}
CONF
    t_begin "nginx logs to the socket (syslog:server=unix:): each request scrubbed within a second"
    # nginx's workers send; started as root they run as nobody:nogroup.
    grp=()
    [ "$(id -u)" = 0 ] && grp=(--listen-group "$(id -gn nobody)")
    "$LOGSCRUB" --listen "unix:$d/run/log.sock" "${grp[@]}" -o "$d/logs/access.log" 2>"$T/ng.err" &
    lp=$!
    t_bg "$lp"
    for i in $(seq 40); do [ -S "$d/run/log.sock" ] && break; sleep 0.05; done
    "$NGINX" -p "$d" -c "$d/nginx.conf" 2>"$d/nginx.err" || t_fail "nginx: $(head -c 300 "$d/nginx.err")"
    for k in 1 2 3; do
        curl -s -o /dev/null --max-time 5 --interface "127.0.0.$((k + 1))" "http://127.0.0.1:$port/r/$k" ||
            t_fail "curl $k failed"
        wait_for "$d/logs/access.log" "$k" || t_fail "request $k not in the log within 2 s"
    done
    kill -QUIT "$(cat "$d/run/nginx.pid")" 2>/dev/null
    sleep 0.3
    kill -TERM "$lp"
    wait "$lp"
    RC=$?
    expect_rc 0
    [ "$(wc -l <"$d/logs/access.log")" = 3 ] || t_fail "$(wc -l <"$d/logs/access.log") lines, want 3"
    for k in 1 2 3; do
        grep -q "^127\.0\.0\.0 - - \[.*\] \"GET /r/$k HTTP/1\.1\" 200 3 " "$d/logs/access.log" ||
            t_fail "request $k: $(grep "/r/$k " "$d/logs/access.log")"
    done
    grep -q '127\.0\.0\.[1-9]' "$d/logs/access.log" && t_fail "a full client address in the log"
    t_end
else
    echo "# nginx or curl missing: the real-nginx case is not run"
fi

t_finish
