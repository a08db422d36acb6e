source('gitleaks/gitleaks', 'cmd/generate/config/rules/privatekey.go')
rule('private-key', 'pem-key')
_k1 = 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAVwAAAAdzc2gtcnNhAAAAAwEAAQAAAEEAqPfgaTEWEP3S9w0tgsicURfo+nLW09/0KfOPinhYZ4ouzU+3xC4plEp8Ut9FgL0AgqNslNaK34Kq+NZjO9DAQAAATB+9/CSfvfwkgAAAAdzc2gtcnNhAAAAQQCo9+BpMRYQ/dL3DS2CyJxRF+j6ctbT3/Qp84+KeFhnii7NT7fELilKUSnxS30WAvQCCo2yU1orfgqr41mM70MBAAAAAwEAAQAAAEAgkuLEHLaqkWhLgNKagSajeobLS3rPT0Agm0f7k55FXVt743hwNgkp98bMNrzy9AQ1mJGbQZGrpr4c8ZAx3aRNAAAAIBOs/5OiPgoTdSy7bcF9IGpSE8ZgGKzgYQVZeN97YE00AAAAIQCjEr8yAZ54u6Lfzkontk5iS2OEsE0AHr18rBNkWxQ2HQAAACEBCUEaRQnMnbp79mxDXDf6AU0cN/RPBjb9qSHDcWZHGzUAAAAXcGhwc2VjbGliLWdlbmVyYXRlZC1rZXkBAgME'
_k2 = 'MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQJAIJLixBy2qpFoS4DSmoEmo3qGy0t6z09AIJtH+5OeRV1be+N4cDYJKffGzDa88vQENZiRm0GRq6a+HPGQMd2kTQIhAKMSvzIBnni7ot/OSie2TmJLY4SwTQAevXysE2RbFDYdAiEBCUEaRQnMnbp79mxDXDf6AU0cN/RPBjb9qSHDcWZHGzUCIG2Es59z8ugGrDY+pxLQnwfotadxd+Uyv/Ow5T0q5gIJAiEAyS4RaI9YG8EWx/2w0T67ZUVAw8eOMB6BIUg0Xcu+3okCIBOs/5OiPgoTdSy7bcF9IGpSE8ZgGKzgYQVZeN97Y=='
tp('-----BEGIN PRIVATE KEY-----\n{S}\n-----END PRIVATE KEY-----', _k1)
tp('-----BEGIN RSA PRIVATE KEY-----\n{S}\n-----END RSA PRIVATE KEY-----\n', _k2)
rule('private-key-non-pem-format', 'pem-key')
tp(_k2)

source('gitleaks/gitleaks', 'cmd/generate/config/rules/generic.go')
rule('generic-api-key', 'generic-api-key')
samples('generic', 'CLOJARS_34bf0e88955ff5a1c328d6a7491acc4f48e865a7b8dd4d70a70749037443')
samples('generic', 'Zf3D0LXCM3EIMbgJpUNnkRtOfOueHznB')
tp("'access_token': '{S}'", 'eyJ0eXAioiJKV1slS3oASx==')
tp('some_api_token_123 = "{S}"', '<<![a-zA-Z0-9]{60}>>')
tp('"user_auth": "{S}"', 'am9obmRvZTpkMDY5NGIxYi1jMTcxLTQ4ODYt+TMyYS0wMmUwOWQ1/mIwNjc=')
tp('"credentials" : "{S}"', '0afae57f3ccfd9d7f5767067bc48b30f719e271ba470488056e37ab35d4b6506')
tp('creds = {S}', '<<![a-zA-Z0-9]{30}>>')
tp('private-key: {S}', r'<<![a-zA-Z0-9\-_.=]{100}>>')
tp('passwd = {S}', r'<<![a-zA-Z0-9\-_.=]{30}>>')
tp('"client_secret" : "{S}",', '6da89121079f83b2eb6acccf8219ea982c3d79bccc3e9c6a85856480661f8fde')
tp('mySecretString={S}', '<<![a-zA-Z0-9]{30}>>')
tp('todo_secret_do_not_commit = {S}', '<<![a-zA-Z0-9]{30}>>')
tp(' utils.GetEnvOrDefault("api_token", "{S}")', 'dafa7817-e246-48f3-91a7-e87653d587b8')
for v in ['"accessor":"rA1wk0Y45YCufyfq",',
          'report_access_id: e8e4df51-2054-49b0-ab1c-516ac95c691d',
          'accessibilityYesOptionId = "0736f5ef-7e88-499a-80cc-90c85d2a5180"',
          '_RandomAccessIterator>\n_LIBCPP_CONSTEXPR_AFTER_CXX11 ',
          'this.ultraPictureBox1.Name = "ultraPictureBox1";',
          'rapidstring:marm64-uwp=fail',
          "event-bus-message-api:rc0.15.0_20231217_1420-SNAPSHOT'",
          'COMMUNICATION_API_VERSION=rc0.13.0_20230412_0712-SNAPSHOT',
          'MantleAPI_version=9a038989604e8da62ecddbe2094b16ce1b778be1',
          '[DEBUG]\t\torg.slf4j.slf4j-api:jar:1.7.8.:compile (version managed from default)',
          '[DEBUG]\t\torg.neo4j.neo4j-graphdb-api:jar:3.5.12:test',
          'apiUrl=apigee.corpint.com',
          'X-API-Name": "NRG0-Hermes-INTERNAL-API",',
          'author = "james.fake@ymail.com",',
          'X-MS-Exchange-Organization-AuthSource: sm02915.int.contoso.com',
          'Authentication-Results: 5h.ca.iphmx.com',
          "withCredentials([usernamePassword(credentialsId: '29f63271-dc2f-4734-8221-5b31b5169bac', usernameVariable: 'USERNAME', passwordVariable: 'PASSWORD')]) {",
          "credentialsId: 'ff083f76-7804-4ef1-80e4-fe975bb9141b'",
          "jobCredentialsId: 'f4aeb6bc-2a25-458a-8111-9be9e502c0e7'",
          '  "credentialId": "B9mTcFSck2LzJO2S3ols63",',
          'environment {\n\tCREDENTIALS_ID = "K8S_CRED"\n}',
          'dev.credentials.url=dev-lb1.api.f4ke.com:5215',
          'keyword: "Befaehigung_P2"',
          'public_key = "9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit"',
          'pub const X509_pubkey_st = struct_X509_pubkey_st;',
          '|| pIdxKey->default_rc==0',
          'monkeys-audio:mx64-uwp=fail',
          r'primaryKey=<<![a-zA-Z0-9\-_.=]{30}>>',
          r'foreignKey=<<![a-zA-Z0-9\-_.=]{30}>>',
          r'key_down_event=<<![a-zA-Z0-9\-_.=]{30}>>',
          r'issuerKeyHash=<<![a-zA-Z0-9\-_.=]{30}>>',
          '<entry key="jetbrains.mps.v8_elimination" value="executed" />',
          'minisat-master-keying:x64-uwp=fail',
          'IceSSL.KeyFile=s_rsa1024_priv.pem',
          '"bucket_key": "SalesResults-1.2"',
          '<key tag="SecurityIdentifier" name="SecurityIdentifier" type="STRING" />',
          "schemaKey = 'DOC_Vector_5_32'",
          'sequenceKey = "18"',
          'app.keystore.file=env/cert.p12',
          '-DKEYTAB_FILE=/tmp/app.keytab',
          '\tdoc.Security.KeySize = PdfEncryptionKeySize.Key128Bit;',
          'o.keySelector=n,o.haKey=!1,',
          '                                "key_name": "prod5zyxlmy-cmk",',
          '                                "kms_key_id": "555ea4a3-d53a-4412-9c66-3a7cb667b0d6",',
          '\t"key_vault_name": "web21prqodx24021",',
          '  keyVaultToStoreSecrets: cmp2-qat-1208358310',
          ',apiKey:"6fe4476ee5a1832882e326b506d14126",',
          'const validKeyChars = "0123456789abcdefghijklmnopqrstuvwxyz_-."',
          'const keyStr = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"',
          'key_length = XSalsa20.key_length',
          'pub const SN_id_Gost28147_89_None_KeyMeshing = "id-Gost28147-89-None-KeyMeshing"',
          'KeyPair = X25519.KeyPair',
          'BlindKeySignatures = Ed25519.BlindKeySignatures',
          'AVEncVideoMaxKeyframeDistance, "2987123a-ba93-4704-b489-ec1e5f25292c"',
          '            keyPressed = kVK_Return.u16',
          'timezone_mapping = {\n    "Turkey Standard Time": "Europe/Istanbul",\n}',
          'password combination.\n\nR5: Regulatory--21',
          'PuttyPassword=0',
          'LLM_SECRET_NAME = "NEXUS-GPT4-API-KEY"',
          '  <UserSecretsId>79a3edd0-2092-40a2-a04d-dcb46d5ca9ed</UserSecretsId>',
          'secret_length = X25519.secret_length',
          'secretSize must be >= XXH3_SECRET_SIZE_MIN',
          '# get build time secret for authentication\n#RUN --mount=type=secret,id=jfrog_secret \\\n#    JFROG_SECRET = $(cat /run/secrets/jfrog_secret) && \\',
          "    access_token_url='https://github.com/login/oauth/access_token',",
          'publicToken = "9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit"',
          '<SourceFile SourceLocation="F:\\Extracts\\" TokenFile="RTL_INST_CODE.cer">',
          'notes            = "Maven - io.jsonwebtoken:jjwt-jackson-0.11.2"',
          'csrf-token=Mj2qykJO5rELyHgezQ69nzUX0i3OH67V7+V4eUrLfpuyOuxmiW9rhROG/Whikle15syazJOkrjJa3U2AbhIvUw==',
          'clientId = "73082700-1f09-405b-80d0-3131bfd6272d"',
          'GITHUB_API_KEY=\nDYNATRACE_API_KEY=',
          'snowflake.password=\njdbc.snowflake.url=',
          "import { chain_Anvil1_Key, chain_Anvil2_Key } from '../blockchain-tests/pallets/supported-chains/consts';",
          'SRCREV_moby = "43fc912ef59a83054ea7f6706df4d53a7dea4d80"',
          'LIC_FILES_CHKSUM = "file://${WORKDIR}/license.html;md5=5c94767cedb5d6987c902ac850ded2c6"']:
    fp(v)
