#!/bin/bash
# tests/nginx-live.sh -- Debian's nginx, on 127.0.0.1 in a temporary prefix,
# writes its access log into a FIFO (contrib/nginx/logscrub.conf) that
# logscrub reads with -o FILE, as contrib/systemd/logscrub@.service does.
# Requests come from several loopback addresses and over [::1], with and
# without X-Forwarded-For; the output is rotated (mv + SIGHUP) and nginx is
# restarted.  Checked: each request is in the scrubbed log within a second,
# exactly once in the end, and no full address reaches the disk.

. "$(dirname "$0")/lib.sh"
require curl mkfifo awk
require_logscrub
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$NGINX" ]; then
    echo "$T_SUITE: SKIP: nginx is not installed (apt-get install nginx-light)"
    exit 77
fi

d=$T/nginx
mkdir -p "$d/conf" "$d/logs" "$d/run" "$d/tmp"
chmod 755 "$T" "$d" "$d/tmp"
mkfifo -m 600 "$d/run/access.fifo"

# The shipped snippet, with the FIFO moved into the temporary prefix.
sed "s|/run/logscrub/access.fifo|$d/run/access.fifo|" \
    "$top_srcdir/contrib/nginx/logscrub.conf" >"$d/conf/logscrub.conf"

ipv6=false
if [ -e /proc/net/if_inet6 ] && grep -q ' lo$' /proc/net/if_inet6; then
    ipv6=true
fi

port=$(free_port 20000)
[ -n "$port" ] || { echo "$T_SUITE: no free port"; echo "$T_SUITE: 0 passed, 1 failed"; exit 1; }

listen6=
$ipv6 && listen6="listen [::1]:$port;"
cat >"$d/conf/nginx.conf" <<CONF
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
    include $d/conf/logscrub.conf;
    server {
        listen 127.0.0.1:$port;
        $listen6
        location / { return 200 "ok\n"; }
    }
}
CONF

nginx_start() {
    "$NGINX" -p "$d" -c "$d/conf/nginx.conf" 2>>"$d/nginx.err"
}
nginx_stop() {
    local pid i
    pid=$(cat "$d/run/nginx.pid" 2>/dev/null) || return 0
    kill -QUIT "$pid" 2>/dev/null
    for i in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null
}

# logscrub first, the FIFO opened read-write: nginx closing it is no EOF.
"$LOGSCRUB" -o "$d/logs/access.log" <>"$d/run/access.fifo" 2>"$d/logscrub.err" &
ls_pid=$!
t_bg "$ls_pid"

t_begin "nginx starts with the shipped snippet"
nginx_start || t_fail "nginx did not start: $(head -c 300 "$d/nginx.err")"
t_end

n=0
late=0
# request FROM-ADDR [XFF]: one request with a unique path; waits up to a
# second for its scrubbed line in the output.
request() {
    local from=$1 xff=${2:-} url host
    n=$((n + 1))
    if [ "$from" = ::1 ]; then
        url="http://[::1]:$port/r/$n?q=$n"
    else
        url="http://127.0.0.1:$port/r/$n?q=$n"
    fi
    local args=(-s -o /dev/null -g --max-time 5)
    [ "$from" = ::1 ] || args+=(--interface "$from")
    [ -n "$xff" ] && args+=(-H "X-Forwarded-For: $xff")
    curl "${args[@]}" "$url" || t_fail "curl from $from failed"
    local i
    for i in $(seq 20); do
        grep -q "GET /r/$n?q=$n " "$d/logs/access.log" 2>/dev/null && return 0
        sleep 0.05
    done
    late=$((late + 1))
    t_fail "request $n from $from not in the scrubbed log within a second"
}

burst() {
    request 127.0.0.1
    request 127.0.0.2
    request 127.0.0.3 "203.0.113.195, 198.51.100.7"
    request 127.10.20.30 "2001:db8:85a3::8a2e:370:7334"
    $ipv6 && request ::1 "203.0.113.44"
    return 0
}

t_begin "requests reach the scrubbed log within a second"
burst
t_end

t_begin "rotation: mv + SIGHUP, the next requests go to the new file"
mv "$d/logs/access.log" "$d/logs/access.log.1"
kill -HUP "$ls_pid"
sleep 0.2
before=$n
burst
[ -f "$d/logs/access.log" ] || t_fail "no new access.log after SIGHUP"
grep -q "GET /r/$((before + 1))?" "$d/logs/access.log.1" 2>/dev/null &&
    t_fail "a request after the rotation went to the old file"
t_end

t_begin "nginx restart: logscrub keeps reading, nothing lost"
nginx_stop
nginx_start || t_fail "nginx did not start again: $(tail -c 300 "$d/nginx.err")"
burst
t_end

nginx_stop
kill -TERM "$ls_pid"
wait_rc=0
wait "$ls_pid" || wait_rc=$?

t_begin "logscrub exits 0 on SIGTERM, nothing on stderr"
RC=$wait_rc
expect_rc 0
[ -s "$d/logscrub.err" ] && t_fail "stderr: $(head -c 200 "$d/logscrub.err")"
t_end

cat "$d/logs/access.log.1" "$d/logs/access.log" >"$d/all.log"

t_begin "every request exactly once, in order"
for k in $(seq "$n"); do
    c=$(grep -c "GET /r/$k?q=$k " "$d/all.log")
    [ "$c" = 1 ] || t_fail "request $k appears $c times"
done
lines=$(wc -l <"$d/all.log")
[ "$lines" = "$n" ] || t_fail "$lines lines for $n requests"
awk -v n="$n" '{ if (match($0, /\/r\/[0-9]+\?/)) { k = substr($0, RSTART + 3, RLENGTH - 4) + 0;
    if (k != ++want) { print "out of order at " k; exit 1 } } }' "$d/all.log" >"$d/order" ||
    t_fail "$(cat "$d/order")"
t_end

t_begin "no full address on disk; each client truncated"
for a in 127.0.0.1 127.0.0.2 127.0.0.3 127.10.20.30 203.0.113.195 198.51.100.7 203.0.113.44 \
    '2001:db8:85a3::8a2e:370:7334' '"::1 '; do
    grep -qF -- "$a" "$d/all.log" && t_fail "$a is in the scrubbed log"
done
grep -q '^127\.0\.0\.0 - - \[' "$d/all.log" || t_fail "no 127.0.0.0 client"
grep -q '^127\.10\.20\.0 - - \[.*"203\.0\.113\.0, 198\.51\.100\.0"$' "$d/all.log" ||
    grep -q '"203\.0\.113\.0, 198\.51\.100\.0"$' "$d/all.log" || t_fail "X-Forwarded-For list not truncated"
grep -q '"2001:db8:85a3::"$' "$d/all.log" || t_fail "IPv6 X-Forwarded-For not truncated"
if $ipv6; then
    grep -q '^:: - - \[.*"203\.0\.113\.0"$' "$d/all.log" || t_fail "::1 client not truncated to ::"
fi
t_end

t_finish
