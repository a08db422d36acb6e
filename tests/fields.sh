#!/bin/bash
# tests/fields.sh -- the policy's field actions end to end: remote_user
# replaced by default in access and error logs (nginx, Apache), user_agent
# generalised or dropped, referrer cut to its origin, time.precision, the
# `unparsed` counter of a declared format, and --no-rules leaving fields
# alone.  Input: tests/fields/web.log (one line per log form).

. "$(dirname "$0")/lib.sh"
require_logscrub
IN=$top_srcdir/tests/fields/web.log

UA='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.112 Safari/537.36'

t_begin "default policy: remote users replaced in access and error logs, nothing else"
ls_run "$IN"
expect_rc 0
cat >"$T/expected" <<EOF2
203.0.113.0 - [user] [10/Oct/2000:13:55:36 -0700] "GET /a?x=1 HTTP/1.1" 200 2326 "https://example.com/p?q=secret" "$UA"
203.0.113.0 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "Googlebot/2.1 (+http://www.google.com/bot.html)"
www.example.com:443 198.51.100.0 - [user] [10/Oct/2000:13:55:36 +0000] "POST /login HTTP/2.0" 302 0 "-" "curl/8.5.0"
2026/12/06 10:11:12 [error] 123#0: *45 user "[user]" was not found in "/etc/nginx/.htpasswd", client: 203.0.113.0, server: example.com, request: "GET /admin HTTP/1.1", host: "example.com"
[Sun Dec 06 10:11:12.123456 2026] [auth_basic:error] [pid 4242] [client 203.0.113.0:52044] AH01618: user [user] not found: /admin
Dec  6 10:11:12 host sshd[1]: Accepted password for eve from 203.0.113.0 port 22 ssh2
just some text 2026-12-06T10:11:12.345Z done
EOF2
expect_out "$T/expected"
t_end

t_begin "fields: generalise, origin-only; time.precision: minute"
printf 'version: 1\nfields:\n  user_agent: generalise\n  referrer: origin-only\ntime:\n  precision: minute\n' >"$T/p.yaml"
ls_run -c "$T/p.yaml" "$IN"
expect_rc 0
cat >"$T/expected" <<'EOF2'
203.0.113.0 - [user] [10/Oct/2000:13:55:00 -0700] "GET /a?x=1 HTTP/1.1" 200 2326 "https://example.com" "Chrome/122 (Windows)"
203.0.113.0 - - [10/Oct/2000:13:55:00 -0700] "GET / HTTP/1.1" 200 5 "-" "Googlebot/2.1"
www.example.com:443 198.51.100.0 - [user] [10/Oct/2000:13:55:00 +0000] "POST /login HTTP/2.0" 302 0 "-" "curl/8.5.0"
2026/12/06 10:11:00 [error] 123#0: *45 user "[user]" was not found in "/etc/nginx/.htpasswd", client: 203.0.113.0, server: example.com, request: "GET /admin HTTP/1.1", host: "example.com"
[Sun Dec 06 10:11:00.000000 2026] [auth_basic:error] [pid 4242] [client 203.0.113.0:52044] AH01618: user [user] not found: /admin
Dec  6 10:11:00 host sshd[1]: Accepted password for eve from 203.0.113.0 port 22 ssh2
just some text 2026-12-06T10:11:00.000Z done
EOF2
expect_out "$T/expected"
t_end

t_begin "fields: user_agent drop, remote_user keep; time.precision: hour"
printf 'version: 1\nfields: {user_agent: drop, remote_user: keep}\ntime: {precision: hour}\n' >"$T/p.yaml"
head -n 3 "$IN" | ls_run -c "$T/p.yaml"
expect_rc 0
cat >"$T/expected" <<'EOF2'
203.0.113.0 - alice [10/Oct/2000:13:00:00 -0700] "GET /a?x=1 HTTP/1.1" 200 2326 "https://example.com/p?q=secret" "-"
203.0.113.0 - - [10/Oct/2000:13:00:00 -0700] "GET / HTTP/1.1" 200 5 "-" "-"
www.example.com:443 198.51.100.0 - alice [10/Oct/2000:13:00:00 +0000] "POST /login HTTP/2.0" 302 0 "-" "-"
EOF2
sed -i 's/198.51.100.0 - alice/198.51.100.0 - bob/' "$T/expected"
expect_out "$T/expected"
t_end

t_begin "-f nginx: lines not in the format are scrubbed as text and counted unparsed"
ls_run -f nginx --stats "$IN"
expect_rc 0
grep -q ' unparsed=4 ' "$T/err" || t_fail "want unparsed=4: $(t_show "$T/err")"
# The access lines as by default; the others as text: the error-log users stay.
sed -n 4p "$T/out" | grep -q 'user "carol" was not found' || t_fail "line 4 not scrubbed as text: $(sed -n 4p "$T/out")"
grep -q '203\.0\.113\.9\|203\.0\.113\.195\|198\.51\.100\.7' "$T/out" && t_fail "a full address in the output"
t_end

t_begin "-f auto (default): nothing counted unparsed"
ls_run --stats "$IN"
grep -q ' unparsed=0 ' "$T/err" || t_fail "want unparsed=0: $(t_show "$T/err")"
t_end

t_begin "--no-rules: addresses only, fields as they are"
ls_run --no-rules "$IN"
expect_rc 0
head -n 1 "$T/out" | grep -q '^203\.0\.113\.0 - alice \[10/Oct/2000:13:55:36 -0700\]' ||
    t_fail "first line: $(head -n 1 "$T/out")"
t_end

t_finish
