source('gitleaks/gitleaks', 'cmd/generate/config/rules/npm.go')
rule('npm-access-token', 'npm')
sample('npmAccessToken', 'npm_<<[a-z0-9]{36}>>')

source('gitleaks/gitleaks', 'cmd/generate/config/rules/pypi.go')
rule('pypi-upload-token', 'pypi')
samples('pypi', 'pypi-AgEIcHlwaS5vcmc<<[a-f0-9]{32}>><<[a-f0-9]{32}>>')

source('gitleaks/gitleaks', 'cmd/generate/config/rules/sendgrid.go')
rule('sendgrid-api-token', 'sendgrid')
sample('sengridAPIToken', r'SG.<<[a-z0-9=_\-]{66}>>')

source('gitleaks/gitleaks', 'cmd/generate/config/rules/twilio.go')
rule('twilio-api-key', 'twilio')
samples('twilio', 'SK<<[a-f0-9]{32}>>')

source('gitleaks/gitleaks', 'cmd/generate/config/rules/datadog.go')
rule('datadog-access-token', 'datadog')
samples('datadog', '<<[a-z0-9]{40}>>')

source('gitleaks/gitleaks', 'cmd/generate/config/rules/shopify.go')
for rid, pre in [('shopify-shared-secret', 'shpss_'), ('shopify-access-token', 'shpat_'),
                 ('shopify-custom-access-token', 'shpca_'), ('shopify-private-app-access-token', 'shppa_')]:
    rule(rid, 'shopify')
    samples('shopify', pre + '<<[a-f0-9]{32}>>')

source('gitleaks/gitleaks', 'cmd/generate/config/rules/sentry.go')
rule('sentry-access-token', 'sentry')
sample('sentry', '<<[a-f0-9]{64}>>')

source('gitleaks/gitleaks', 'cmd/generate/config/rules/hashicorp_vault.go')
rule('vault-service-token', 'vault')
sample('vault', r'<<s\.[0-9][a-zA-Z0-9]{23}>>')
tp('token: {S}', 's.ZC9Ecf4M5g9o34Q6RkzGsj0z')
sample('vault', r'<<hvs\.[0-9][\w\-]{89}>>')
tp('-vaultToken {S}"', 'hvs.CAESIP2jTxc9S2K7Z6CtcFWQv7-044m_oSsxnPE1H3nF89l3GiYKHGh2cy5sQmlIZVNyTWJNcDRsYWJpQjlhYjVlb1cQh6PL8wEYAg')
fp("  credentials: new AWS.SharedIniFileCredentials({ profile: '<YOUR_PROFILE>' })")
fp('INFO 4 --- [           main] o.s.b.f.s.DefaultListableBeanFactory     : Overriding bean definition for bean')
fp('s.xxxxxxxxxxxxxxxxxxxxxxxx')
fp('s.THISSTRINGISALLUPPERCASE')
fp('s.thisstringisalllowercase')
fp('s.AcceptanceTimeoutSeconds ')
fp('s.makeKubeConfigController = args')
fp('hvs.' + 'x' * 96)
rule('vault-batch-token', 'vault')
samples('vault', 'hvb.<<[a-z0-9_-]{138}>>')
tp('hvb.AAAAAQJgxDgqsGNorpoOR7hPZ5SU-ynBvCl764jyRP_fnX7WvkdkDzGjbLNGdPdtlY33Als2P36yDZueqzfdGw9RsaTeaYXSH7E4RYSWuRoQ9YRKIw8o7mDDY2ZcT3KOB7RwtW1w1FN2eDqcy_sbCjXPaM1iBVH-mqMSYRmRd2nb5D1SJPeBzIYRqSglLc31wUGN7xEzyrKUczqOKsIcybQA')
