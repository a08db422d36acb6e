source('gitleaks/gitleaks', 'cmd/generate/config/rules/clojars.go')
rule('clojars-api-token', 'clojars')
samples('clojars', 'CLOJARS_<<[a-z0-9]{60}>>')

# cloudflare.go: each rule lists the sibling rules' keys as its fps; those are
# keys too, so only the tps are recorded.
source('gitleaks/gitleaks', 'cmd/generate/config/rules/cloudflare.go')
rule('cloudflare-global-api-key', 'cloudflare')
samples('cloudflare', '<<[a-f0-9]{37}>>')
tp('cloudflare_global_api_key = "{S}"', 'd3d1443e0adc9c24564c6c5676d679d47e2ca')
tp('CLOUDFLARE_GLOBAL_API_KEY: {S}', '674538c7ecac77d064958a04a83d9e9db068c')
tp('cloudflare: "{S}"', '0574b9f43978174cc2cb9a1068681225433c4')
rule('cloudflare-api-key', 'cloudflare')
samples('cloudflare', '<<[a-z0-9_-]{40}>>')
tp('cloudflare_api_key = "{S}"', 'Bu0rrK-lerk6y0Suqo1qSqlDDajOk61wZchCkje4')
tp('CLOUDFLARE_API_KEY: {S}', '5oK0U90ME14yU6CVxV90crvfqVlNH2wRKBwcLWDc')
tp('cloudflare: "{S}"', 'oj9Yoyq0zmOyWmPPob1aoY5YSNNuJ0fbZSOURBlX')
rule('cloudflare-origin-ca-key', 'cloudflare')
_ca1 = 'v1.0-aaa334dc886f30631ba0a610-0d98ef66290d7e50aac7c27b5986c99e6f3f1084c881d8ac0eae5de1d1aa0644076ff57022069b3237d19afe60ad045f207ef2b16387ee37b749441b2ae2e9ebe5b4606e846475d4a5'
samples('cloudflare', _ca1)
tp('CLOUDFLARE_ORIGIN_CA: {S}', _ca1)
tp('CLOUDFLARE_ORIGIN_CA: {S}', 'v1.0-15d20c7fccb4234ac5cdd756-d5c2630d1b606535cf9320ae7456b090e0896cec64169a92fae4e931ab0f72f111b2e4ffed5b2bb40f6fba6b2214df23b188a23693d59ce3fb0d28f7e89a2206d98271b002dac695ed')

source('gitleaks/gitleaks', 'cmd/generate/config/rules/alibaba.go')
rule('alibaba-access-key-id', 'alibaba')
tp('alibabaKey := "{S}"', 'LTAI<<[a-f0-9]{20}>>')
rule('alibaba-secret-key', 'alibaba')
samples('alibaba', '<<[a-z0-9]{30}>>')

source('gitleaks/gitleaks', 'cmd/generate/config/rules/adobe.go')
rule('adobe-client-id', 'adobe')
samples('adobe', '<<[a-f0-9]{32}>>')
rule('adobe-client-secret', 'adobe')
tp('adobeClient := "{S}"', 'p8e-<<[a-f0-9]{32}>>')
