# LeapBeyond/scrubadub tests: "BEFORE:" texts; the part replaced by a
# {{PLACEHOLDER}} in "AFTER:" is the secret.
source('LeapBeyond/scrubadub', 'tests/test_detector_credit_card.py')
for _t, _c in [('test_american_express', '378282246310005'), ('test_american_express2', '371449635398431'),
               ('test_american_corporate', '378734493671000'), ('test_diners_club', '30569309025904'),
               ('test_diners_club2', '38520000023237'), ('test_discover', '6011111111111117'),
               ('test_discover2', '6011000990139424'), ('test_jcb', '3530111333300000'),
               ('test_jcb2', '3566002020360505'), ('test_mastercard', '5555555555554444'),
               ('test_mastercard2', '5105105105105100'), ('test_visa', '4111111111111111'),
               ('test_visa2', '4012888888881881')]:
    rule(_t, 'card')
    tp('My credit card is {S}.', _c)

source('LeapBeyond/scrubadub', 'tests/test_detector_emails.py')
for _t, _e in [('test_john_gmail', 'john@gmail.com'), ('test_John_gmail', 'John@gmail.com'),
               ('test_John1_example_com', 'John1@example.com'), ('test_adam_example_info', 'adam80@example.info'),
               ('test_uppercase', 'HELLO@EXAMPLE.COM'), ('test_fancy_john_gmail', 'john at gmail.com')]:
    rule(_t, 'email')
    tp('My email is {S}', _e)

source('LeapBeyond/scrubadub', 'tests/test_urls.py')
rule('UrlTestCase', 'url')
tp('{S} is neat', 'http://bit.ly/aser')
tp('{S} is neat', 'https://bit.ly/aser')
tp('{S} is neat', 'www.bit.ly/aser')
tp('{S} is good', 'https://this.is/a/long?url=very#url')
tp('{S} http://www.google.com/two', 'http://bit.ly/number-one')
tp('http://bit.ly/number-one {S}', 'http://www.google.com/two')
rule('UrlKeepDomainTestCase', 'url')
tp('Find jobs at http://facebook.com{S}', '/jobs')
tp('http://public.com{S}', '/this/is/very/private')

source('LeapBeyond/scrubadub', 'tests/test_credentials.py')
rule('test_clean_root_root_combo', 'password')
tp('username: {S}\npassword: {S}\n\n', 'root')
rule('test_clean_whitespaceless', 'password')
tp('username:root\npassword:{S}', 'crickets')
rule('test_clean_colonless', 'password')
tp('username root\npassword {S}', 'crickets')
rule('test_clean_email_username', 'password')
tp('username: joe@example.com\npassword {S}', 'moi')
rule('test_clean_alternate_keywords', 'password')
tp('login snoop pw {S}', 'biggreenhat')
rule('test_clean_singleletter_keywords', 'password')
tp('u: snoop\np: {S}', 'biggreenhat')
rule('test_clean_singleletter_keyword_exceptions', 'password')
fp('This is your problem')
rule('test_clean_camelcase_keywords', 'password')
tp('UserName snoop PassWord {S}', 'biggreenhat')

source('LeapBeyond/scrubadub', 'tests/test_phone_numbers.py')
rule('test_clean_american_phone_number', 'phone')
for _p in ['1-312-515-2239', '+1-312-515-2239', '1 (312) 515-2239', '312-515-2239', '(312) 515-2239', '(312)515-2239']:
    tp('My phone number is {S}', _p)
rule('test_clean_extension_phone_numbers', 'phone')
for _p in ['312-515-2239 x12', '312-515-2239 ext. 12', '312-515-2239 ext.12']:
    tp('My phone number is {S}', _p)
rule('test_clean_international_phone_numbers', 'phone')
for _p in ['+47 21 30 85 99', '+45 69 19 88 56', '+46 852 503 499', '+31 619 837 236', '+86 135 3727 4136', '+61267881324']:
    tp('My phone number is {S}', _p)
rule('test_clean_multiple_phone_numbers', 'phone')
tp('Call me on my cell {S} or in my office 773.415.7432', '312.714.8142')
tp('Call me on my cell 312.714.8142 or in my office {S}', '773.415.7432')

source('LeapBeyond/scrubadub', 'tests/test_detector_en_US_ssn.py')
for _t, _s in [('test_example', '726-60-2033'), ('test_hyphens', '109-99-6000'),
               ('test_dots', '109.99.6000'), ('test_spaces', '109 99 6000')]:
    rule(_t, 'us-ssn')
    tp('My social security number is {S}', _s)

# madisonmay/CommonRegex test.py: each string must be matched whole.
source('madisonmay/CommonRegex', 'test.py')
rule('TestPhones', 'phone')
for _p in ['12345678900', '1234567890', '+1 234 567 8900', '234-567-8900', '1-234-567-8900', '1.234.567.8900',
           '5678900', '567-8900', '(123) 456 7890', '+41 22 730 5989', '(+41) 22 730 5989', '+442345678900']:
    tp(_p)
rule('TestPhonesWithExts', 'phone')
for _p in ['(523)222-8888 ext 527', '(523)222-8888x623', '(523)222-8888 x623', '(523)222-8888 x 623',
           '(523)222-8888EXT623', '523-222-8888EXT623', '(523) 222-8888 x 623']:
    tp(_p)
rule('TestLinks', 'url')
# upstream list lacks a comma after the third entry, so two strings join
for _u in ['www.google.com', 'http://www.google.com', 'www.google.com/?query=dogsub.example.com',
           'http://www.google.com/%&#/?q=dog', 'google.com']:
    tp(_u)
fp('www.google.con')
rule('TestEmails', 'email')
for _e in ['john.smith@gmail.com', 'john_smith@gmail.com', 'john@example.net']:
    tp(_e)
fp('john.smith@gmail..com')
rule('TestIPs', 'ipv4')
for _i in ['127.0.0.1', '192.168.1.1', '8.8.8.8']:
    tp(_i)
rule('TestIPv6s', 'ipv6')
for _i in ['fe80:0000:0000:0000:0204:61ff:fe9d:f156', 'fe80:0:0:0:204:61ff:fe9d:f156', 'fe80::204:61ff:fe9d:f156',
           'fe80:0000:0000:0000:0204:61ff:254.157.241.86', 'fe80:0:0:0:0204:61ff:254.157.241.86',
           'fe80::204:61ff:254.157.241.86', '::1']:
    tp(_i)
rule('TestCreditCards', 'card')
for _c in ['0000-0000-0000-0000', '0123456789012345', '0000 0000 0000 0000', '012345678901234']:
    tp(_c)
rule('TestBTCAddresses', 'btc')
for _b in ['1LgqButDNV2rVHe9DATt6WqD8tKZEKvaK2', '19P6EYhu6kZzRy9Au4wRRZVE8RemrxPbZP',
           '1bones8KbQge9euDn523z5wVhwkTP3uc1', '1Bow5EMqtDGV5n5xZVgdpRPJiiDK6XSjiC']:
    tp(_b)
for _b in ['2LgqButDNV2rVHe9DATt6WqD8tKZEKvaK2', '19Ry9Au4wRRZVE8RemrxPbZP',
           '1bones8KbQge9euDn523z5wVhwkTP3uc12939', '1Bow5EMqtDGV5n5xZVgdpR']:
    fp(_b)
# Entity types that logscrub does not treat as personal data: CommonRegex's
# matches for them are recorded as decoys (label neg) under kind "decoy".
rule('TestDates', 'decoy')
for _d in ['1-19-14', '1.19.14', '01.19.14', 'January 19th, 2014', 'Jan. 19th, 2014', 'Jan 19 2014', '19 Jan 2014']:
    fp(_d)
rule('TestTimes', 'decoy')
for _d in ['09:45', '9:45', '23:45', '9:00am', '9am', '9:00 A.M.', '9:00 pm']:
    fp(_d)
rule('TestPrices', 'decoy')
for _d in ['$1.23', '$1', '$1,000', '$10,000.00', '$1,10,0', '$100.000']:
    fp(_d)
rule('TestHexColors', 'decoy')
for _d in ['#fff', '#123', '#4e32ff', '#12345678']:
    fp(_d)
