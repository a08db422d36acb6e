#!/usr/bin/env bash
# tests/policy-check.sh -- `logscrub check` on the shipped policy and on
# every shipped rule pack on its own: each rule's examples (positives and
# decoys) must pass.  Also checks that check reports failures and bad
# policies the documented way.
. "$(dirname "$0")/lib.sh"
require_logscrub

t_begin "built-in default policy: all examples pass"
ls_run check
expect_rc 0
grep -qE '^logscrub check: [1-9][0-9]* rules, [1-9][0-9]* examples, 0 failed$' "$T/out" ||
    t_fail "unexpected summary: $(cat "$T/out")"
t_end

for pack in "$top_srcdir"/rules/*.yaml; do
    name=$(basename "$pack" .yaml)
    [ "$name" = default ] && continue
    t_begin "rule pack $name: all examples pass"
    printf 'version: 1\nrules:\n  use: [%s]\n' "$pack" >"$T/policy.yaml"
    ls_run check -c "$T/policy.yaml"
    expect_rc 0
    grep -qE ' examples, 0 failed$' "$T/out" || t_fail "$(cat "$T/out")"
    t_end
done

t_begin "the optional pack secrets-extra loads by name after the default packs"
printf 'version: 1\nrules:\n  use: [pii, secrets, pii-de, secrets-extra]\n' >"$T/policy.yaml"
ls_run check -c "$T/policy.yaml"
expect_rc 0
grep -qE '^logscrub check: [1-9][0-9]* rules, [1-9][0-9]* examples, 0 failed$' "$T/out" ||
    t_fail "unexpected summary: $(cat "$T/out")"
t_end

t_begin "a failing example is reported with its place, exit 65"
cat >"$T/bad.yaml" <<'YAML'
version: 1
rules:
  custom:
    - name: order-email
      pattern: 'customer=(?<v>[^&\s]+@[^&\s]+)'
      action: replace
      with: '[email]'
      examples:
        - in: 'GET /o?customer=a@example.com'
          out: 'GET /o?customer=[email]'
        - in: 'GET /o?customer=b@example.com'
          out: 'GET /o?customer=b@example.com'
YAML
ls_run check -c "$T/bad.yaml"
expect_rc 65
printf '%s\n' \
    "$T/bad.yaml:11:11: rule order-email example 2: expected \"GET /o?customer=b@example.com\", got \"GET /o?customer=[email]\"" \
    'logscrub check: 1 rules, 2 examples, 1 failed' >"$T/expected"
expect_out "$T/expected"
t_end

t_begin "a bad policy: FILE:LINE:COL on stderr, exit 78, nothing on stdout"
printf 'version: 1\nip:\n  ipv4_prefix: 33\n' >"$T/bad2.yaml"
ls_run check -c "$T/bad2.yaml"
expect_rc 78
expect_out_empty
printf '%s\n' "$T/bad2.yaml:3:16: ip.ipv4_prefix: expected a number from 0 to 32" >"$T/experr"
expect_same "$T/experr" "$T/err"
t_end

t_begin "a bad policy stops the filter before any output: -o is not created"
echo '203.0.113.9' >"$T/in.log"
ls_run -c "$T/bad2.yaml" -o "$T/never.log" "$T/in.log"
expect_rc 78
[ -e "$T/never.log" ] && t_fail "output file was created"
t_end

t_begin "nesting deeper than 64 levels: exit 78 within seconds, exact message, no output"
head -c 100000 /dev/zero | tr '\0' '[' >"$T/deep.yaml"
timeout 10 "$LOGSCRUB" check -c "$T/deep.yaml" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 78
expect_out_empty
printf '%s\n' "$T/deep.yaml:1:65: nesting deeper than 64 levels" >"$T/experr"
expect_same "$T/experr" "$T/err"
echo '203.0.113.9' >"$T/in.log"
timeout 10 "$LOGSCRUB" -c "$T/deep.yaml" "$T/in.log" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 78
expect_out_empty
expect_same "$T/experr" "$T/err"
t_end

# The example policy that make install puts in $(sysconfdir)/logscrub: as
# shipped, and with its commented rules section switched on.
t_begin "doc/policy.example.yaml passes check, as shipped"
ls_run check -c "$top_srcdir/doc/policy.example.yaml"
expect_rc 0
expect_out_str 'logscrub check: 30 rules, 241 examples, 0 failed\n'
t_end

t_begin "doc/policy.example.yaml passes check with its commented rules on"
sed -e 's/^  #\(disable\|custom\)/  \1/' -e 's/^  #  /    /' \
    "$top_srcdir/doc/policy.example.yaml" >"$T/example-on.yaml"
ls_run check -c "$T/example-on.yaml"
expect_rc 0
expect_out_str 'logscrub check: 30 rules, 232 examples, 0 failed\n'
printf 'order ORD-12345678 shipped\n' | ls_run -c "$T/example-on.yaml"
expect_out_str 'order ************ shipped\n'
t_end

t_finish
