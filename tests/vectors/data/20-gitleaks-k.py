source('gitleaks/gitleaks', 'cmd/generate/config/rules/telegram.go')
rule('telegram-bot-api-token', 'telegram')
_tg = '<<[0-9]{8}:A[a-z0-9_-]{34}>>'
sample('telegram', _tg)
tp('const bot = new Telegraf("{S}")', _tg)
tp('TELEGRAM_API_TOKEN = {S}', _tg)
tp('telegram bot: {S}', _tg)
sample('telegram', '<<[0-9]{5}:A[a-z0-9_-]{34}>>')
sample('telegram', '<<[0-9]{16}:A[a-z0-9_-]{34}>>')
fp('telegram_api_token = "<<[0-9]{4}:A[a-z0-9_-]{34}>>"')
fp('telegram_api_token = "<<[0-9]{17}:A[a-z0-9_-]{34}>>"')
fp('telegram_api_token = "<xsd:element name="AgencyIdentificationCode" type="clm<<[0-9]{5}>>:AgencyIdentificationCodeContentType"/>"')
fp('telegram_api_token = "token:"clm<<[0-9]{5}>>:AgencyIdentificationCodeContentType""')
fp('telegram_api_token = "<xsd:element name="AgencyIdentificationCode" type="clm<<[0-9]{8}>>:AgencyIdentificationCodeContentType"/>"')

source('gitleaks/gitleaks', 'cmd/generate/config/rules/sidekiq.go')
rule('sidekiq-secret', 'sidekiq')
for v in ['BUNDLE_ENTERPRISE__CONTRIBSYS__COM: {S}', 'export BUNDLE_ENTERPRISE__CONTRIBSYS__COM={S}',
          'export BUNDLE_ENTERPRISE__CONTRIBSYS__COM = {S}', 'BUNDLE_GEMS__CONTRIBSYS__COM: "{S}"',
          'export BUNDLE_GEMS__CONTRIBSYS__COM="{S}"', 'export BUNDLE_GEMS__CONTRIBSYS__COM = "{S}"',
          'export BUNDLE_ENTERPRISE__CONTRIBSYS__COM={S};',
          "export BUNDLE_ENTERPRISE__CONTRIBSYS__COM={S} && echo 'hello world'"]:
    tp(v, 'cafebabe:deadbeef')
rule('sidekiq-sensitive-url', 'url-credentials')
for v in ['https://{S}@gems.contribsys.com/', 'https://{S}@gems.contribsys.com',
          'http://{S}@gems.contribsys.com/', 'http://{S}@gems.contribsys.com']:
    tp(v, 'cafebabe:deadbeef')
for v in ['https://{S}@enterprise.contribsys.com/', 'https://{S}@enterprise.contribsys.com',
          'http://{S}@enterprise.contribsys.com/', 'http://{S}@enterprise.contribsys.com',
          'http://{S}@enterprise.contribsys.com#heading1',
          'http://{S}@enterprise.contribsys.com?param1=true&param2=false',
          'http://{S}@enterprise.contribsys.com:80',
          'http://{S}@enterprise.contribsys.com:80/path?param1=true&param2=false#heading1']:
    tp(v, 'cafeb4b3:d3adb33f')

source('gitleaks/gitleaks', 'cmd/generate/config/rules/database.go')
rule('database-password', 'password')
_dbc = '[a-zA-Z0-9:;<@=},!$?^]'
samples('DB_PASSWORD', '<<%s{20}>>' % _dbc)
samples('db_password', '<<%s{6}>>' % _dbc)
samples('DB_PASSWD', '<<%s{10}>>' % _dbc)
samples('$DB_PASSWD', '<<%s{15}>>' % _dbc)
samples('$DB_PASSWORD', '<<%s{50}>>' % _dbc)
tp('pwd = {S}', '<<%s{20}>>' % _dbc)
tp('pwd: {S}', '<<%s{50}>>' % _dbc)
fp('DB_PASSWORD=[value]')
fp('somepwd=XXXXXXXXXXXXXXX')

source('gitleaks/gitleaks', 'cmd/generate/config/rules/newrelic.go')
rule('new-relic-user-api-key', 'newrelic')
samples('new-relic', 'NRAK-<<[a-z0-9]{27}>>')
rule('new-relic-user-api-id', 'newrelic')
samples('new-relic', '<<[a-z0-9]{64}>>')
rule('new-relic-browser-api-token', 'newrelic')
samples('new-relic', 'NRJS-<<[a-f0-9]{19}>>')
rule('new-relic-insert-key', 'newrelic')
samples('new-relic', 'NRII-<<[a-f0-9]{32}>>')
