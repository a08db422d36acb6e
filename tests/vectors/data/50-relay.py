# getsentry/relay, relay-pii: builtin rule tests (input -> output with the
# match replaced) and the legacy data-scrubber tests in convert.rs (field
# values; key/value tests are rendered here as a one-field JSON object).
def _luhn(n):
    s = 0
    for i, c in enumerate(reversed(n)):
        x = int(c)
        if i % 2:
            x = x * 2 - 9 if x > 4 else x * 2
        s += x
    return s % 10 == 0


def _mod97(s):
    s = s.replace(' ', '')
    r = s[4:] + s[:4]
    return int(''.join(str(int(c, 36)) for c in r)) % 97 == 1


source('getsentry/relay', 'relay-pii/src/builtin.rs')
rule('test_ipv4', 'ipv4')
tp('before {S} after', '127.0.0.1')
rule('test_ipv6', 'ipv6')
tp('before {S} after', '::1')
tp('[{S}]', '2001:0db8:85a3:0000:0000:8a2e:0370:7334')
tp('before {S} after', '2001:0db8:85a3:0000:0000:8a2e:0370:7334')
fp('foo::1')
rule('test_imei', 'imei')
tp('before {S} after', '356938035643809')
rule('test_mac', 'mac')
tp('ether {S}', '4a:00:04:10:9b:50')
rule('test_uuid', 'uuid')
tp('user id {S}', 'ceee0822-ed8f-4622-b2a3-789e73e75cd1')
rule('test_email', 'email')
tp('John Appleseed <{S}>', 'john@appleseed.com')
rule('test_iban_different_rules', 'iban')
tp('some iban: {S}!', 'DE89370400440532013000')
rule('test_iban_scrubbing_word_boundaries', 'iban')
# NO9386011117945 fails the ISO 7064 mod-97 check; the anchor says so.
rule('test_iban_scrubbing_word_boundaries:fails-mod97', 'iban')
tp('some iban: {S}!', 'NO9386011117945')
rule('test_iban_scrubbing_word_boundaries', 'iban')
fp('fooNO9386011117945bar')
rule('test_invalid_iban_codes', 'iban')
fp('some iban: NO938601111794!')
tp('some iban: {S}!', 'RU0204452560040702810412345678901')
fp('some iban: RU02044525600407028104123456789010!')
fp('some iban: N19386011117945!')
# "Randomized the digits in case of PII" (upstream comment): most of these
# fail the mod-97 check; those are filed under an anchor that says so.
_relay_ibans = '''AD5878942710639732891555 AE843009416531083386439 AL57203331634841980876917055
AT894962316580861740 AZ20NABZ32222583861167817527 BA899087481698693720 BE02622338508282
BG74BNBG62683163859900 BH94BMAG81742510166411 BR6012720184945313263694220C2
BY42NBRB5423804338230Z59AB39 CH9094408966251267229 CR66628293047983395760
CY07828977709558493944217267 CZ3250044769520155043487 DE33286483480880127754 DK0104500396509359
DO00BAGR96761901498775724456 EE270648064710638158 EG690300132939956610501715864
ES1855993856250575846003 FI1536654201409964 FO7570156750217051 FR1014777374033381713M74535
GB24NWBK56308374074647 GE73NB0994186171721443 GI49NWBK125988332328154 GL9054108607699188
GR5565802405556734747216550 GT99TRAJ50683085639204647556 HR6800577821254763445
HU40379712415496584277966835 IE81AIBK65375754273298 IL273293887744694290805
IQ81NBIQ089246287424886 IS781608418318734844854556 IT53X5801219709784172710195
JO61CBJO9436591471899095231319 KW43CBKU4883997798760620316108 KZ51056KZT0837966427
LB33882243832059959713929005 LC66HEMM254988987389111701748958 LI29737657519298857AA
LT274687648772993442 LU366704963860370207 LV56BANK7310410483037 LY14487832647995492999076
MC6264639373071228615685245 MD21AG907990943540501824 ME03582335388820811523
MK23858890780702871 MR9327063831155222861023437 MT51MALT379454641617MTLCAST058S
MU03BOMM4322185029224038400MUR NL96ABNA5744731632 NO9058068238671 PK25SCBL8656172440308193
PL12349940962957508091419645 PS76PALS166923702872903852485 PT14459770251588993280123
QA18DOHB89519772639156ABCDEFG RO17AAAA6B92357725591367 RS15219225977278176022
SA5110364369768070892889 SC23SSCB28695826925340049496USD SE1264086862739970624960
SI02570384665487060 SK8246443378900295468504 SM58U9584120480537549943122
SV18CENR54739364351768235550 TL666057100094711717888 TN9055668722925051026777
TR685596983808399006011173 UA660626845659376320141789664 VA02458628330591922762
VG84VPVG5177475162070855 XK074179726503194891'''.split()
for _i in _relay_ibans:
    rule('test_valid_iban_codes' + ('' if _mod97(_i) else ':fails-mod97'), 'iban')
    tp('some iban: {S}!', _i)
rule('test_creditcard', 'card')
for _c in ['4571234567890111', '4571 2345 6789 0111']:
    rule('test_creditcard' + ('' if _luhn(_c.replace(' ', '')) else ':fails-luhn'), 'card')
    tp('John Appleseed {S}!', _c)
rule('test_pemkey', 'pem-key')
tp('This is a comment I left on my key\n\n            -----BEGIN EC PRIVATE KEY-----\n{S}\n-----END EC PRIVATE KEY-----',
   'MIHbAgEBBEFbLvIaAaez3q0u6BQYMHZ28B7iSdMPPaODUMGkdorl3ShgTbYmzqGL\nfojr3jkJIxFS07AoLQpsawOFZipxSQHieaAHBgUrgQQAI6GBiQOBhgAEAdaBHsBo\nKBuPVQL2F6z57Xb034TRlpaarne/XGWaCsohtl3YYcFll3A7rV+wHudcKFSvrgjp\nsoH5cUhpnhOL9ujuAM7Ldk1G+11Mf7EZ5sjrLe81fSB8S16D2vjtxkf/+mmwwhlM\nHdmUCGvfKiF2CodxyLon1XkK8pX+Ap86MbJhluqK')
rule('test_urlauth', 'url-credentials')
tp('https://{S}@example.com/', 'username:password')
rule('test_usssn', 'us-ssn')
tp("Hi I'm Hilda and my SSN is {S}", '078-05-1120')
rule('test_userpath', 'home-path')
tp('C:\\Users\\{S}\\Desktop', 'mitsuhiko')
tp('File in /Users/{S}/Development/sentry-stripping', 'mitsuhiko')
tp('C:\\Windows\\Profiles\\{S}\\Temp', 'Armin')

source('getsentry/relay', 'relay-pii/src/convert.rs')
for _t, _c in [('test_sanitize_credit_card', '4571234567890111'),
               ('test_sanitize_credit_card_amex', '378282246310005'),
               ('test_sanitize_credit_card_discover', '6011111111111117'),
               ('test_sanitize_credit_card_visa', '4111111111111111'),
               ('test_sanitize_credit_card_mastercard', '5555555555554444')]:
    rule(_t + ('' if _luhn(_c) else ':fails-luhn'), 'card')
    tp(_c)
rule('test_sanitize_credit_card_within_value_1:fails-luhn', 'card')
tp("'{S}'", '4571234567890111')
rule('test_sanitize_credit_card_within_value_2:fails-luhn', 'card')
tp('foo {S}', '4571234567890111')
rule('test_does_not_sanitize_timestamp_looks_like_card', 'card')
fp('1453843029218310')
rule('test_csp_blocked_uri:fails-luhn', 'card')
tp('https://example.com/?foo={S}&bar=baz', '4571234567890111')
rule('test_sanitize_url', 'url-credentials')
tp('pg://matt{S}localhost/1', ':pass@')
tp("foo 'redis://redis{S}localhost:6379/0' bar", ':foo@')
tp("'redis://redis{S}localhost:6379/0'", ':foo@')
tp('foo redis://redis{S}localhost:6379/0 bar', ':foo@')
tp('foo redis://redis:foo@localhost:6379/0 bar pg://matt{S}localhost/1', ':foo@')
fp('postgres:///path')
tp('{"a":"https://localhost","b":"foo@localhost","c":"pg://matt{S}localhost/1","d":"lol"}', ':pass@')
rule('sensitive_vars', 'password')
fp('{"foo": "bar"}')
tp('{"password": "{S}"}', 'hello')
tp('{"the_secret": "{S}"}', 'hello')
tp('{"a_password_here": "{S}"}', 'hello')
tp('{"api_key": "{S}"}', 'secret_key', kind='generic-api-key')
tp('{"apiKey": "{S}"}', 'secret_key', kind='generic-api-key')
rule('test_querystring_as_string', 'password')
tp('foo=bar&password={S}&the_secret={S}&a_password_here={S}&api_key=secret_key', 'hello')
tp('foo=bar&password=hello&the_secret=hello&a_password_here=hello&api_key={S}', 'secret_key', kind='generic-api-key')
rule('test_querystring_as_string_with_partials', 'password')
fp('foo=bar&password&baz=bar')
rule('test_sanitize_http_body', 'password')
tp('{"email":"zzzz@gmail.com","password":"{S}"}', 'zzzzz')
rule('test_does_sanitize_private_key', 'pem-key')
tp('""-----BEGIN PRIVATE KEY-----\n{S}\n-----END PRIVATE KEY-----""',
   'MIIJRAIBADANBgkqhkiG9w0BAQEFAASCCS4wggkqAgEAAoICAQCoNFY4P+EeIXl0\nmLpO+i8uFqAaEFQ8ZX2VVpA13kNEHuiWXC3HPlQ+7G+O3XmAsO+Wf/xY6pCSeQ8h\nmLpO+i8uFqAaEFQ8ZX2VVpA13kNEHuiWXC3HPlQ+7G+O3XmAsO+Wf/xY6pCSeQ8h')
rule('test_does_sanitize_encrypted_private_key', 'pem-key')
tp('""-----BEGIN ENCRYPTED PRIVATE KEY-----\n{S}\n-----END ENCRYPTED PRIVATE KEY-----""',
   'MIIJjjBABgkqhkiG9w0BBQ0wMzAbBgkqhkiG9w0BBQwwDgQIWVhErdQOFVoCAggA\nIrlYQUV1ig4U3viYh1Y8viVvRlANKICvgj4faYNH36UterkfDjzMonb/cXNeJEOS\nYgorM2Pfuec5vtPRPKd88+Ds/ktIlZhjJwnJjHQMX+lSw5t0/juna2sLH2dpuAbi\nPSk=')
rule('test_does_sanitize_rsa_private_key', 'pem-key')
tp('""-----BEGIN RSA PRIVATE KEY-----\n{S}\n-----END RSA PRIVATE KEY-----""',
   '+wn9Iu+zgamKDUu22xc45F2gdwM04rTITlZgjAs6U1zcvOzGxk8mWJD5MqFWwAtF\nzN87YGV0VMTG6ehxnkI4Fg6i0JPU3QIDAQABAoICAQCoCPjlYrODRU+vd2YeU/gM\nTHd+9FBxiHLGXNKhG/FRSyREXEt+NyYIf/0cyByc9tNksat794ddUqnLOg0vwSkv')
# relay scrubs public keys too; logscrub keeps them on purpose, so they get
# a kind of their own.
rule('test_does_sanitize_public_key', 'pem-public-key')
tp('""-----BEGIN PUBLIC KEY-----\n{S}\n-----END PUBLIC KEY-----""',
   'MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEA6A6TQjlPyMurLh/igZY4\nizA9sJgeZ7s5+nGydO4AI9k33gcy2DObZuadWRMnDwc3uH/qoAPw/mo3KOcgEtxU\nxdwiQeATa3HVPcQDCQiKm8xIG2Ny0oUbR0IFNvClvx7RWnPEMk05CuvsL0AA3eH5\nxn02Yg0JTLgZEtUT3whwFm8CAwEAAQ==')
rule('test_does_sanitize_social_security_number', 'us-ssn')
tp('123-45-6789')
rule('test_should_have_mysql_pwd_as_a_default', 'password')
tp('{"MYSQL_PWD": "{S}"}', 'the one')
tp('{"mysql_pwd": "{S}"}', 'the one')
rule('test_authorization_scrubbing', 'password')
tp('{"authorization": "{S}"}', 'foobar')
tp('{"auth": "{S}"}', 'foobar')
fp('{"auXth": "foobar"}')
rule('test_doesnt_scrub_not_scrubbed', 'password')
tp('{"is_authenticated": "{S}"}', 'foobar')
fp('{"is_authenticated": "null"}')
fp('{"is_authenticated": true}')
rule('test_safe_fields_for_token', 'password')
tp('{"password": "{S}"}', 'foo')
tp('{"my-token": "{S}"}', 'secret')
tp('{"new_token": "{S}"}', 'hidden')
tp('{"secret-token-here": "{S}"}', 'ops')
