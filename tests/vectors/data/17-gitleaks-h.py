source('gitleaks/gitleaks', 'cmd/generate/config/rules/mailgun.go')
rule('mailgun-private-api-token', 'mailgun')
samples('mailgun', 'key-<<[a-f0-9]{32}>>')
rule('mailgun-pub-key', 'mailgun')
samples('mailgun', 'pubkey-<<[a-f0-9]{32}>>')
rule('mailgun-signing-key', 'mailgun')
samples('mailgun', '<<[a-f0-9]{32}>>-00001111-22223333')

source('gitleaks/gitleaks', 'cmd/generate/config/rules/mailchimp.go')
rule('mailchimp-api-key', 'mailchimp')
samples('mailchimp', '<<[a-f0-9]{32}>>-us20')
tp('mailchimp_api_key: {S}', 'cefa780880ba5f5696192a34f6292c35-us18')
tp('MAILCHIMPE_KEY = "{S}"', 'b5b9f8e50c640da28993e8b6a48e3e53-us18')
# Listed upstream among the fps but commented there as a false negative:
# it is a key, so it is a positive here.
rule('mailchimp-api-key:upstream-fn', 'mailchimp')
tp('MailchimpSDK.initialize(token: {S})', '3012a5754bbd716926f99c028f7ea428-us18')

source('gitleaks/gitleaks', 'cmd/generate/config/rules/dropbox.go')
rule('dropbox-api-token', 'dropbox')
samples('dropbox', '<<[a-z0-9]{15}>>')
