#!/usr/bin/env bash
# tests/pseudonym.sh -- keyed pseudonyms end to end: the key file is created
# 0600, the same value gets the same pseudonym within a period and another
# one under a new key, IP pseudonyms keep the configured prefix, and a key
# file logscrub must not use stops it with exit 78 before any output.
. "$(dirname "$0")/lib.sh"
require_logscrub
require stat grep

KEY="$T/keys/key"
mkdir -p "$T/keys"
cat >"$T/policy.yaml" <<YAML
version: 1
ip:
  ipv4_prefix: 24
  ipv6_prefix: 48
  method: pseudonym
pseudonym:
  key_file: $KEY
  rotate: 24h
rules:
  custom:
    - name: user
      pattern: 'user=(?<v>[a-z]+)'
      action: pseudonym
YAML
printf 'GET /?user=alice from 203.0.113.77\nGET /?user=bob from 203.0.113.78\nagain user=alice 203.0.113.77 2001:db8:1:2::99\n' >"$T/in.log"

t_begin "first run creates the key file, mode 0600, one line"
ls_run -c "$T/policy.yaml" "$T/in.log"
expect_rc 0
expect_err_empty
[ "$(stat -c %a "$KEY" 2>/dev/null)" = 600 ] || t_fail "key file mode $(stat -c %a "$KEY" 2>&1)"
[ "$(wc -l <"$KEY")" -eq 1 ] || t_fail "key file is not one line"
grep -Eq '^logscrub-key 1 86400 [0-9]+ [0-9a-f]{64}$' "$KEY" || t_fail "key file format"
t_end
cp "$T/out" "$T/run1"

t_begin "pseudonyms: tokens for values, prefix kept for addresses, none raw"
# Line 1 and 3 name alice and 203.0.113.77: the same pseudonyms; bob differs.
a1=$(sed -n 1p "$T/run1" | grep -o 'user=user:[0-9a-f]\{16\}')
a3=$(sed -n 3p "$T/run1" | grep -o 'user=user:[0-9a-f]\{16\}')
b2=$(sed -n 2p "$T/run1" | grep -o 'user=user:[0-9a-f]\{16\}')
[ -n "$a1" ] && [ "$a1" = "$a3" ] || t_fail "alice: '$a1' vs '$a3'"
[ -n "$b2" ] && [ "$b2" != "$a1" ] || t_fail "bob: '$b2'"
ip1=$(sed -n 1p "$T/run1" | grep -o '203\.0\.113\.[0-9]*')
ip3=$(sed -n 3p "$T/run1" | grep -o '203\.0\.113\.[0-9]*')
[ -n "$ip1" ] && [ "$ip1" = "$ip3" ] || t_fail "address pseudonym: '$ip1' vs '$ip3'"
sed -n 3p "$T/run1" | grep -Eq ' 2001:db8:1:[0-9a-f:]+$' || t_fail "IPv6 prefix: $(sed -n 3p "$T/run1")"
# (The host byte of an address pseudonym may equal the real one by chance,
# 1 in 256 with a random key, so only the user names are checked here.)
grep -q 'alice\|bob' "$T/run1" && t_fail "a user name survived"
t_end

t_begin "one address, one pseudonym: alone, next to a rule match, and before :port"
# A rule rewrite or a ':' next to the address makes logscrub scan the line
# again; that pass must not hash the pseudonym a second time.
printf 'plain 203.0.113.77\nuser=carol 203.0.113.77\nport 203.0.113.77:80\n' >"$T/same.log"
ls_run -c "$T/policy.yaml" "$T/same.log"
expect_rc 0
n=$(grep -o '203\.0\.113\.[0-9]*' "$T/out" | sort -u | wc -l)
[ "$n" -eq 1 ] || t_fail "addresses differ: $(grep -o '203\.0\.113\.[0-9]*' "$T/out" | tr '\n' ' ')"
[ "$(grep -o '203\.0\.113\.[0-9]*' "$T/out" | head -1)" = "$ip1" ] ||
    t_fail "not the pseudonym of the first run"
t_end

t_begin "second run in the same period: same key, same output"
ls_run -c "$T/policy.yaml" "$T/in.log"
expect_rc 0
expect_same "$T/run1" "$T/out"
t_end

t_begin "a new key (the old one destroyed) gives other pseudonyms"
rm -f "$KEY"
ls_run -c "$T/policy.yaml" "$T/in.log"
expect_rc 0
cmp -s "$T/run1" "$T/out" && t_fail "same output under a new key"
t_end

t_begin "a key file readable by others: exit 78, no output, file named"
chmod 0644 "$KEY"
ls_run -c "$T/policy.yaml" -o "$T/never.log" "$T/in.log"
expect_rc 78
expect_out_empty
[ -e "$T/never.log" ] && t_fail "output file was created"
expect_err_has "$KEY"
expect_err_has "0600"
t_end

t_begin "a malformed key file: exit 78, message names it, no key material"
printf 'not a key\n' >"$KEY"
chmod 0600 "$KEY"
ls_run -c "$T/policy.yaml" "$T/in.log"
expect_rc 78
expect_out_empty
expect_err_has "$KEY"
t_end

t_begin "key file in a missing directory: exit 78"
sed "s|$KEY|$T/nodir/key|" "$T/policy.yaml" >"$T/policy2.yaml"
ls_run -c "$T/policy2.yaml" "$T/in.log"
expect_rc 78
expect_out_empty
expect_err_has "$T/nodir/key"
t_end

t_begin "logscrub check uses a fixed test key and creates no key file"
ls_run check -c "$T/policy2.yaml"
expect_rc 0
[ -e "$T/nodir" ] && t_fail "check created something"
t_end

t_finish
