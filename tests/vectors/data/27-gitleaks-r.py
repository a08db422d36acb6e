source('gitleaks/gitleaks', 'cmd/generate/config/rules/stripe.go')
rule('stripe-access-token', 'stripe')
samples('stripe', 'sk_test_<<[a-z0-9]{30}>>')
samples('stripe', 'sk_prod_<<[a-z0-9]{99}>>')
tp('sk_test_51OuEMLAlTWGaDypq4P5cuDHbuKeG4tAGPYHJpEXQ7zE8mKK3jkhTFPvCxnSSK5zB5EQZrJsYdsatNmAHGgb0vSKD00GTMSWRHs')
tp('rk_prod_51OuEMLAlTWGaDypquDn9aZigaJOsa9NR1w1BxZXs9JlYsVVkv5XDu6aLmAxwt5Tgun5WcSwQMKzQyqV16c9iD4sx00BRijuoon')
fp('nonMatchingToken := "task_test_<<[a-z0-9]{30}>>"')

# privatekey.go, a later version than the one in 15-gitleaks-f.py
source('gitleaks/gitleaks', 'cmd/generate/config/rules/privatekey.go')
rule('private-key', 'pem-key')
tp('-----BEGIN PRIVATE KEY-----\n{S}\n-----END PRIVATE KEY-----',
   'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDAC4AWkdwKYSd8\nKs14IReLcYgADhoXk56ZzXI=')
tp('-----BEGIN RSA PRIVATE KEY-----\n{S}\n-----END RSA PRIVATE KEY-----\n',
   'MIIEpQIBAAKCAQEAn6/O8li+SX4m98LLYt/PKSzEmQ++ZBD7Loh9P13f4yQ92EF3\nyxR5MsXFu9PRsrYQA7/4UTPHiC4y2sAVCBg4C2yyBpUEtMQjyCESi6Y=')
tp('-----BEGIN PGP PRIVATE KEY BLOCK-----\n{S}\n-----END PGP PRIVATE KEY BLOCK-----',
   'lQWGBGSVV4YBDAClvRnxezIRy2Yv7SFlzC0iFiRF/O/jePSw+XYhvcrTaqSYTGic\n=8xQN')
fp('-----BEGIN PRIVATE KEY-----\nanything\n-----END PRIVATE KEY-----')
fp('-----BEGIN OPENSSH PRIVATE KEY----------END OPENSSH PRIVATE KEY-----')
