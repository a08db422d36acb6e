source('gitleaks/gitleaks', 'cmd/generate/config/rules/pulumi.go')
rule('pulumi-api-token', 'pulumi')
sample('pulumi-api-token', 'pul-<<[a-f0-9]{40}>>')

source('gitleaks/gitleaks', 'cmd/generate/config/rules/rubygems.go')
rule('rubygems-api-token', 'rubygems')
samples('rubygemsAPIToken', 'rubygems_<<[a-f0-9]{48}>>')

source('gitleaks/gitleaks', 'cmd/generate/config/rules/planetscale.go')
for rid, pre in [('planetscale-password', 'pscale_pw_'), ('planetscale-api-token', 'pscale_tkn_'),
                 ('planetscale-oauth-token', 'pscale_oauth_')]:
    rule(rid, 'planetscale')
    for n in (32, 43, 64):
        samples('planetScale', pre + r'<<[a-z0-9=_\-]{%d}>>' % n)

source('gitleaks/gitleaks', 'cmd/generate/config/rules/sendinblue.go')
rule('sendinblue-api-token', 'sendinblue')
samples('sendinblue', 'xkeysib-<<[a-f0-9]{64}>>-<<[a-z0-9]{16}>>')
