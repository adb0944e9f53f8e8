import { SCREENING_CLASSES, type ScreeningClass } from '../../src/screening/classes';
import { detectText } from '../../src/screening/detect-text';
import { fake, gcpKeyFile, ibanFor, withLuhnDigit } from './fake-values';

/** The substrings reported for one class. */
function found(text: string, cls: ScreeningClass): string[] {
  return detectText(text)
    .filter((s) => s.class === cls)
    .map((s) => text.slice(s.start, s.end));
}

/** Every class reported for a text. */
function classesIn(text: string): ScreeningClass[] {
  return [...new Set(detectText(text).map((s) => s.class))];
}

describe('secret detectors', () => {
  const ak = fake.awsAccessKey();
  const sk = fake.awsSecretKey();

  it.each<[string, ScreeningClass, string, string]>([
    ['an AWS access key id in code', 'aws_access_key', `accessKeyId: '${ak}'`, ak],
    ['an AWS secret after aws_secret_access_key', 'aws_secret_key', `aws_secret_access_key = ${sk}`, sk],
    ['an AWS secret near an access key id with no name', 'aws_secret_key', `key ${ak} secret ${sk}`, sk],
    ['a GitHub token', 'github_token', `Authorization: token ${fake.githubToken()}`, ''],
    ['a GitLab token', 'gitlab_token', `PRIVATE-TOKEN: ${fake.gitlabToken()}`, ''],
    ['a Slack bot token', 'slack_token', `SLACK_BOT_TOKEN=${fake.slackBotToken()}`, ''],
    ['a Slack webhook URL', 'slack_token', `post to ${fake.slackWebhook()} now`, ''],
    ['a Stripe secret key', 'stripe_key', `stripe.api_key = "${fake.stripeKey()}"`, ''],
    ['an npm token', 'npm_token', `//registry.npmjs.org/:_authToken=${fake.npmToken()}`, ''],
    ['an OpenAI project key', 'openai_api_key', `OPENAI_API_KEY=${fake.openaiKey()}`, ''],
    ['an Anthropic key', 'anthropic_api_key', `x-api-key: ${fake.anthropicKey()}`, ''],
    ['a JWT', 'jwt', `Bearer ${fake.jwt()}`, ''],
    [
      'URL credentials (the userinfo only)',
      'url_credentials',
      'postgres://app:Kettle-fake42!@db.fake.internal:5432/app',
      'app:Kettle-fake42!',
    ],
    [
      'a password assignment (the value only)',
      'password_assignment',
      'DB_PASSWORD=Kettle-fake42!',
      'Kettle-fake42!',
    ],
    [
      'an XML password element',
      'password_assignment',
      '<password>Kettle-fake42!</password>',
      'Kettle-fake42!',
    ],
    [
      'an Azure storage account key',
      'azure_connection_string',
      `AccountName=fake;AccountKey=${fake.azureAccountKey()};`,
      '',
    ],
  ])('reports %s', (_what, cls, text, expected) => {
    const spans = found(text, cls);
    expect(spans).toHaveLength(1);
    if (expected !== '') expect(spans[0]).toBe(expected);
  });

  it('reports a PEM private key block from header to footer', () => {
    const key = fake.privateKey();
    expect(found(`here:\n${key}\nthanks`, 'private_key')).toEqual([key]);
  });

  it('reports a private key with JSON-escaped newlines and a truncated one without footer', () => {
    const escaped = fake.privateKey('PRIVATE KEY', '\\n');
    expect(found(`"key": "${escaped}"`, 'private_key')).toEqual([escaped]);
    const truncated = fake.privateKey('OPENSSH PRIVATE KEY').split('\n').slice(0, 3).join('\n');
    expect(found(`${truncated}\n...`, 'private_key')).toEqual([truncated]);
  });

  it('reports a GCP service account key file and the private key inside it', () => {
    const keyId = fake.gcpKeyId();
    const text = gcpKeyFile(keyId);
    const [span] = found(text, 'gcp_service_account_key');
    expect(span).toContain(keyId);
    expect(span).toContain('"type": "service_account"');
    expect(found(text, 'private_key')).toHaveLength(1);
  });

  it.each([
    ['the AWS documentation example key', 'aws_access_key_id = AKIAIOSFODNN7EXAMPLE'],
    [
      'the AWS documentation example secret',
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    ],
    [
      'a git SHA next to an access key id as an AWS secret',
      `deploy ${'3f786850e387550fdab836ed7e6dc881de23001b'} done`,
    ],
    [
      'placeholder tokens',
      'GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx SLACK=xoxb-your-bot-token-here',
    ],
    ['publishable Stripe keys', `pk_live_${'Ab1'.repeat(8)}`],
    ['kebab-case identifiers after sk-', '.sk-button-primary-large-rounded-shadow-hover-animated-v2 {}'],
    ['a private key header with no key', 'paste your -----BEGIN PRIVATE KEY----- block here'],
    [
      'a public key',
      '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----',
    ],
    [
      'base64 JSON that is not a JOSE header',
      `cursor=${Buffer.from('{"page":2}').toString('base64url')}.eyJ4IjoxfQ.abc`,
    ],
    ['URL placeholders', 'postgres://user:password@localhost/db and https://${USER}:${PASS}@host/'],
    ['SSH remotes', 'git clone git@github.com:corp/payments.git'],
    [
      'password type annotations and references',
      'password: string; password = os.environ["PW"]; password: ${DB_PASSWORD}',
    ],
    ['password placeholders', 'PASSWORD=changeme\n"password": "<your-password>"\npassword: ********'],
    [
      'password-like names that are not assignments',
      'password_hash=$2b$12$abc --password-stdin passwordless: true',
    ],
    [
      'the Azure storage emulator key',
      'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
    ],
  ])('does not report %s', (_what, text) => {
    expect(classesIn(text).filter((c) => c !== 'email' && c !== 'ip_address')).toEqual([]);
  });
});

describe('personal-data detectors', () => {
  it.each<[string, ScreeningClass, string, string]>([
    [
      'an email address',
      'email',
      'write to jane.doe+billing@mail.fakebank.co.uk today',
      'jane.doe+billing@mail.fakebank.co.uk',
    ],
    ['an international phone number', 'phone', 'call +44 20 7946 0958 now', '+44 20 7946 0958'],
    ['a North American phone number', 'phone', 'call (415) 555-2671 now', '(415) 555-2671'],
    ['a trunk-0 national phone number', 'phone', 'Tel. 030 1234 5678', '030 1234 5678'],
    ['an ungrouped number after a phone label', 'phone', 'phone: 4155552671', '4155552671'],
    [
      'a card number in groups',
      'credit_card',
      `card ${withLuhnDigit('411111111111111')
        .replace(/(\d{4})/g, '$1 ')
        .trim()}`,
      '4111 1111 1111 1111',
    ],
    [
      'an IBAN in paper format',
      'iban',
      'IBAN DE89 3704 0044 0532 0130 00, BIC X',
      'DE89 3704 0044 0532 0130 00',
    ],
    [
      'an IBAN in electronic format',
      'iban',
      `iban=${ibanFor('GB', 'NWBK60161331926819')}`,
      ibanFor('GB', 'NWBK60161331926819'),
    ],
    ['a dashed SSN', 'us_ssn', 'SSN 219-09-9998', '219-09-9998'],
    ['a bare SSN after its label', 'us_ssn', 'social security number 219099998', '219099998'],
    ['a public IPv4 address', 'ip_address', 'from 203.0.113.7 port 22', '203.0.113.7'],
    ['a public IPv6 address', 'ip_address', 'AAAA 2606:4700:4700::1111', '2606:4700:4700::1111'],
  ])('reports %s', (_what, cls, text, expected) => {
    expect(found(text, cls)).toEqual([expected]);
  });

  it.each<[string, ScreeningClass, string]>([
    [
      'file names and package specs as emails',
      'email',
      'logo@2x.png react@18.2.0 @angular/core@17.0.1 root@localhost',
    ],
    [
      'dates, times, ISBNs and versions as phones',
      'phone',
      '2024-01-15 12:30:45 ISBN 978-3-16-148410-0 build 10.0.19041.1',
    ],
    ['order numbers and timestamps as phones', 'phone', 'order #10023456 epoch 1700000000 ZIP 94105-1234'],
    ['a Luhn-invalid card number', 'credit_card', `order ${withLuhnDigit('411111111111111').slice(0, 15)}2`],
    ['an IMEI (Luhn-valid, no card issuer length)', 'credit_card', 'IMEI 356938035643809'],
    ['an IBAN with a wrong checksum', 'iban', 'DE00 3704 0044 0532 0130 00'],
    ['SSNs in never-issued ranges', 'us_ssn', '000-12-3456 666-12-3456 912-78-1234 123-00-4567 123-45-0000'],
    [
      'private, loopback and reserved addresses',
      'ip_address',
      '10.0.0.1 192.168.1.1 172.16.0.1 127.0.0.1 169.254.169.254 ::1 fe80::1',
    ],
    ['version numbers as addresses', 'ip_address', 'version 1.2.3.4, firmware 2.0.0.1, OID 1.3.6.1.4.1.311'],
    ['versions in JSON as addresses', 'ip_address', '{"v8": "9.4.146.26", "version": "1.0.0.0"}'],
    ['byte dumps as phones', 'phone', '<Buffer 01 02 03 04 05 06 07 08> octets: 00 00 00 01 23 45 67 89 ab'],
  ])('does not report %s', (_what, cls, text) => {
    expect(found(text, cls)).toEqual([]);
  });
});

describe('detectText', () => {
  it('reports nothing in a string too short to hold any finding', () => {
    expect(detectText('2a0::1')).toHaveLength(1); // precondition: the shortest finding is 6 characters
    expect(detectText('1.1.1.1')).toHaveLength(1);
    expect(detectText('a::1b')).toEqual([]);
  });

  it('returns spans sorted by start with no duplicates', () => {
    const text = `b@fake.test a@fake.test ${fake.githubToken()} a@fake.test`;
    const spans = detectText(text);
    expect(spans.map((s) => s.start)).toEqual([...spans.map((s) => s.start)].sort((a, b) => a - b));
    expect(spans).toHaveLength(4);
  });

  it('reports every class on a text that contains one of each', () => {
    const ak = fake.awsAccessKey();
    const text = [
      `${ak} ${fake.awsSecretKey()}`,
      gcpKeyFile(fake.gcpKeyId()),
      `AccountKey=${fake.azureAccountKey()};`,
      fake.githubToken(),
      fake.gitlabToken(),
      fake.slackBotToken(),
      fake.stripeKey(),
      fake.npmToken(),
      fake.openaiKey(),
      fake.anthropicKey(),
      fake.jwt(),
      'https://u:Kettle-fake42@h.fake.test/',
      'password=Kettle-fake42',
      '+44 20 7946 0958',
      `card ${withLuhnDigit('411111111111111')}`,
      'DE89 3704 0044 0532 0130 00',
      '219-09-9998',
      '203.0.113.7',
      `shpat_${'0f3a9c7e51b2d48a6e0c9b7f1d2a3e4b'}`,
      'client_secret: Q7vK2mZp9XwL4rT8nB3cY6hF1dJ5sA0e',
      'DNI 12345678Z',
    ].join('\n');
    expect(new Set(classesIn(text))).toEqual(new Set(SCREENING_CLASSES));
  });
});
