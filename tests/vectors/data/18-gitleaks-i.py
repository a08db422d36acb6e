source('gitleaks/gitleaks', 'cmd/generate/config/rules/doppler.go')
rule('doppler-api-token', 'doppler')
samples('doppler', 'dp.pt.<<[a-z0-9]{43}>>')

source('gitleaks/gitleaks', 'cmd/generate/config/rules/linear.go')
rule('linear-api-key', 'linear')
samples('linear', 'lin_api_<<[a-z0-9]{40}>>')
rule('linear-client-secret', 'linear')
samples('linear', '<<[a-f0-9]{32}>>')

source('gitleaks/gitleaks', 'cmd/generate/config/rules/okta.go')
rule('okta-access-token', 'okta')
sample('okta', '<<[a-z0-9]{42}>>')

source('gitleaks/gitleaks', 'cmd/generate/config/rules/postman.go')
rule('postman-api-token', 'postman')
sample('postmanAPItoken', 'PMAK-<<[a-f0-9]{24}>>-<<[a-f0-9]{34}>>')

source('gitleaks/gitleaks', 'cmd/generate/config/rules/square.go')
rule('square-access-token', 'square')
samples('square', r'<<(?:EAAA|sq0atp-)[\w-]{22,60}>>')
tp('ARG token={S}', 'sq0atp-812erere3wewew45678901')
tp('ARG token={S}', 'EAAAlsBxkkVgvmr7FasTFbM6VUGZ31EJ4jZKTJZySgElBDJ_wyafHuBFquFexY7E')
fp('aws-cli@sha256:eaaa7b11777babe28e6133a8b19ff71cea687e0d7f05158dee95a71f76ce3d00')
rule('square-secret', 'square')
samples('square', r'<<sq0csp-[0-9A-Za-z\-_]{43}>>')
tp('value: "{S}"', 'sq0csp-0p9h7g6f4s3s3s3-4a3ardgwa6ADRDJDDKUFYDYDYDY')

source('gitleaks/gitleaks', 'cmd/generate/config/rules/sourcegraph.go')
rule('sourcegraph-access-token', 'sourcegraph')
tp('sgp_AaD80dc6E02eCAE1_d3cba16CC0F18fA14A2EFB61CbDFceEBf9fAD16b')
tp('environment("TOKEN", "{S}")', 'sgp_1a2b3c4d5e6f7890_AbC123DeF456789012345678901234567890AbCd')
tp('sgp_0D697F54cb24238EefB29af05Abf1b505E90950F')
tp('sgp_local_d7dfFD43cF2503B1da673EB560aAa3e80f16FA42')
tp('sgp_local_bcD1DA18de0d6476Be0f3BD7Ef9Da4f09b479aE5')
tp('{"token": "{S}"}', 'sgp_1A2B3C4D5E6F7890_abcdef1234567890abcdef1234567890abcdef12')
for v in ['sgp_5555555dAAAAA7777777CcccCFaaaaaaaaaaaaaa', 'sgp_local_d45b6G86aBb0F2Cee943902dbaDBCFCFDD1dA089',
          'sgp_652d9a2e48FC7E!FcDbEA1BC2E2A6CE23cFe7F7D', 'sgp_78Ad84a5B6e8A2fE5B_4085FB0ccaDDd29DB66Fd7FE9bA2C1cdCE8400CD',
          'BcAeb6640ad7DAD46AD73687946Ce85047d5C9Bb', 'sgp_0000000000000000_0000000000000000000000000000000000000000',
          'sgp_xxxxxxxxxxxxxxxx_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx']:
    fp(v)

source('gitleaks/gitleaks', 'cmd/generate/config/rules/databricks.go')
rule('databricks-api-token', 'databricks')
samples('databricks', 'dapi<<[a-f0-9]{32}>>')
tp('token = dapif13ac4b49d1cb31f69f678e39602e381-2')
fp('DATABRICKS_TOKEN=dapi123456789012345678a9bc01234defg5')
