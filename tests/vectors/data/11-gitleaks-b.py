source('gitleaks/gitleaks', 'cmd/generate/config/rules/openai.go')
rule('openai-api-key', 'openai')
samples('openaiApiKey', 'sk-<<[a-z0-9]{20}>>T3BlbkFJ<<[a-z0-9]{20}>>')
for k in ['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',
          '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',
          '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',
          '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',
          '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',
          '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',
          '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',
          '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',
          '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']:
    tp(k)

source('gitleaks/gitleaks', 'cmd/generate/config/rules/anthropic.go')
rule('anthropic-api-key', 'anthropic')
tp('sk-ant-api03-abc123xyz-456def789ghij-klmnopqrstuvwx-3456yza789bcde-1234fghijklmnopby56aaaogaopaaaabc123xyzAA')
sample('anthropic', 'sk-ant-api03-<<[a-z0-9_-]{93}>>AA')
fp('sk-ant-api03-abc123xyz-456de-klMnopqrstuvwx-3456yza789bcde-1234fghijklmnopAA')
fp('sk-ant-api03-abc123xyz-456def789ghij-klmnopqrstuvwx-3456yza789bcde-1234fghijklmnopby56aaaogaopaaaabc123xyzBB')
rule('anthropic-admin-api-key', 'anthropic')
tp('sk-ant-admin01-abc12fake-456def789ghij-klmnopqrstuvwx-3456yza789bcde-12fakehijklmnopby56aaaogaopaaaabc123xyzAA')
sample('anthropic', 'sk-ant-admin01-<<[a-z0-9_-]{93}>>AA')
fp('sk-ant-admin01-abc123xyz-456de-klMnopqrstuvwx-3456yza789bcde-1234fghijklmnopAA')
fp('sk-ant-admin01-abc123xyz-456def789ghij-klmnopqrstuvwx-3456yza789bcde-1234fghijklmnopby56aaaogaopaaaabc123xyzBB')

source('gitleaks/gitleaks', 'cmd/generate/config/rules/huggingface.go')
rule('huggingface-access-token', 'huggingface')
samples('huggingface', 'hf_<<[a-zA-Z]{34}>>')
for t in ['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', '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',
          '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', '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',
          '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', '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',
          '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', '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']:
    tp('huggingface-cli login --token {S}', t)
tp('-H "Authorization: Bearer {S}"', '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')
tp('DEV=1 HF_TOKEN={S} poetry run python app.py', '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')
tp("use_auth_token='{S}')", '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')
tp('CI_HUB_USER_TOKEN = "{S}"', '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')
tp('''- Change line 5 and add your Hugging Face token, that is, instead of 'hf_token = "ADD_YOUR_HUGGING_FACE_TOKEN_HERE"', you will need to change it to something like'hf_token = "{S}"\'''', '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')
tp('# Not critical, only usable on the sandboxed CI instance.\n\t\tTOKEN = "{S}"', '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')
tp('''    parser.add_argument("--hf_token", type=str, default='{S}', help="Hugging Face Access Token to access PyAnnote gated models")''', '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')
fp('- (id)hf_requiredCharacteristicTypesForDisplayMetadata;')
fp('amazon.de#@#div[data-cel-widget="desktop-rhf_SponsoredProductsRemoteRHFSearchEXPSubsK2ClickPagination"]')
fp('                            _kHMSymptomhf_generatedByHomeAppForDebuggingPurposesKey,')
fp('    #define OSCHF_DebugGetExpectedAverageCrystalAmplitude NOROM_OSCHF_DebugGetExpectedAverageCrystalAmplitude')
fp('  M_UINT       (ServingCellPriorityParametersDescription_t,  H_PRIO,  2, &hf_servingcellpriorityparametersdescription_h_prio),')
fp("                    change_dir(cwd)\n\t\tsubdirs = glob.glob('HF_CAASIMULIAComputeServicesBuildTime.HF*.Linux64')\n\t\tif len(subdirs) == 1:")
fp('        os.environ.get("HF_AUTH_TOKEN",\n\t\t"hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),')
fp('# HuggingFace API Token https://huggingface.co/settings/tokens\n\t\tHUGGINGFACE_API_TOKEN=hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx,')
rule('huggingface-organization-api-token', 'huggingface')
samples('huggingface', 'api_org_<<[a-zA-Z]{34}>>')
tp('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')
tp('`{S}`', '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')
tp(r"\'{S}'\ ".rstrip(), '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')
tp('def test_private_space(self):\n        hf_token = "{S}"  # Intentionally revealing this key for testing purposes\n        io = gr.load(', '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')
tp('hf_token = "{S}"  # Intentionally revealing this key for testing purposes', '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')
tp(r'''"news_train_dataset = datasets.load_dataset('nlpHakdang/aihub-news30k',  data_files = \"train_news_text.csv\", use_auth_token='{S}')\n",''', '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')
tp("os.environ['HUGGINGFACEHUB_API_TOKEN'] = '{S}'", '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')
tp('api_org_<<[a-zA-Z]{34}>>')
fp('public static final String API_ORG_EXIST = "APIOrganizationExist";')
fp("const api_org_controller = require('../../controllers/api/index').organizations;")
fp('API_ORG_CREATE("https://qyapi.weixin.qq.com/cgi-bin/department/create?access_token=ACCESS_TOKEN"),')
fp('def test_internal_api_org_inclusion_with_href(api_name, href, expected, monkeypatch, called_with):\n\t\tmonkeypatch.setattr("requests.sessions.Session.request", called_with)')
fp('    def _api_org_96726c78_4ae3_402f_b08b_7a78c6903d2a(self, method, url, body, headers):\n        body = self.fixtures.load("api_org_96726c78_4ae3_402f_b08b_7a78c6903d2a.xml")\n        return httplib.OK, body, headers, httplib.responses[httplib.OK]')
fp('<p>You should see a token <code>hf_xxxxx</code> (old tokens are <code>api_XXXXXXXX</code> or <code>api_org_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX</code>).</p>')
fp('  From Hugging Face docs:\n\t\tYou should see a token hf_xxxxx (old tokens are api_XXXXXXXX or api_org_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx).\n\t\tIf you do not submit your API token when sending requests to the API, you will not be able to run inference on your private models.')

source('gitleaks/gitleaks', 'cmd/generate/config/rules/1password.go')
rule('1password-service-account-token', '1password')
sample('1password', '<<ops_eyJ[a-zA-Z0-9+/]{250,}={0,3}>>')
tp('PYTEST_SVC_ACCT_TOKEN={S}', 'ops_eyJzaWduSW5BZGRyZXNzIjoiemFjaC1hbmQtbGVhbm5lLjFwYXNzd29yZC5jb20iLCJ1c2VyQXV0aCI6eyJtZXRob2QiOiJTUlBnLTQwOTYiLCJhbGciOiJQQkVLMmctSFMyNTYiLCJpdGVyYXRpb25zIjo2NTAwMDAsInNhbHQiOiJlYUZRQmNVemJyTHhnM2d4bHFQLVVBIn0sImVtYWlsIjoiMm9iNGRpeDdiNTdrYUAxcGFzc3dvcmRzZXJ2aWNlYWNjb3VudHMuY29tIiwic3JwWCI6ImVmZDY4YjNhZTkwMmRjZjRiMzEzYjE5MjYwZmY0OGUzMjU2ZDlhOGNkM2JmMmY3YzI2YzU1ZWJkNjZlZGU4NWEiLCJtdWsiOnsiYWxnIjoiQTI1NkdDTSIsImV4dCI6dHJ1ZSwiayI6IlMwaGE0SDhqbEhRblJCWmxvYnBmR1BneERmbS1pRGNkZWY0bFdYU0VSbmMiLCJrZXlfb3BzIjpbImRlY3J5cHQiLCJlbmNyeXB0Il0sImt0eSI6Im9jdCIsImtpZCI6Im1wIn0sInNlY3JldEtleSI6IkEzLUdHOUVRNi1LUzQ0QVctQU5QVkYtUkdQTDktQlNKUTMtR1NHR0giLCJ0aHJvdHRsZVNlY3JldCI6eyJzZWVkIjoiN2I0OTMxMmJiOTlkZTFiNjU5ODZkYzIzOWU4YWNmZWMxMTU0M2E2OGQxYmYwMjZmZTgzMjg3NWYxNmJlOWY2NiIsInV1aWQiOiJDV1RHQ0hMNlNWRkdSTlg0SzNENUJVSDZDSSJ9LCJkZXZpY2VVdWlkIjoiMnFld3JpaGtqbmt1Zmh6ZGdmZ2hnNmM1cGUifQ')
fp('        login:\n          serviceAccountToken:\n            fn::secret: ops_eyJzaWduSW5B..[Redacted]')
fp(': To start using this service account, run the following command:\n:\n: export OP_SERVICE_ACCOUNT_TOKEN=ops_eyJzaWduSW5BZGRyZXNzIjoiaHR0cHM6...')
fp('ops_eyJ' + 'x' * 300)
rule('1password-secret-key', '1password')
samples('1password', '<<A3-[A-Z0-9]{6}-[A-Z0-9]{11}-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}>>')
samples('1password', '<<A3-[A-Z0-9]{6}-[A-Z0-9]{6}-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}>>')
tp('A3-ASWWYB-798JRYLJVD4-23DC2-86TVM-H43EB')
tp('A3-ASWWYB-798JRY-LJVD4-23DC2-86TVM-H43EB')
fp('A3-XXXXXX-XXXXXXXXXXX-XXXXX-XXXXX-XXXXX')
fp('A3-xXXXXX-XXXXXX-XXXXX-XXXXX-XXXXX-XXXXX')
