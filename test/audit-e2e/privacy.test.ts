/**
 * The audit log never holds a raw payload or a token: payloads full of secrets and personal data go
 * through the real server from several identities (allowed, denied, rejected), then the raw bytes of the
 * database file and its WAL are searched for every value, while the server runs and after it stopped.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { auditRow } from '../helpers/audit-db';
import {
  startTestService,
  TEST_AUDIENCE,
  TEST_ISSUER,
  type Reply,
  type TestService,
} from '../helpers/service';
import { generateRsaKeyPair, signToken, standardClaims } from '../helpers/tokens';
import { fake, ibanFor, withLuhnDigit } from '../screening/fake-values';
import { codegenAllowed, FINANCE, supportAllowed } from './e2e-fixtures';

const secrets = {
  aws_access_key: fake.awsAccessKey(),
  aws_secret_key: fake.awsSecretKey(),
  github_token: fake.githubToken(),
  gitlab_token: fake.gitlabToken(),
  slack_token: fake.slackBotToken(),
  stripe_key: fake.stripeKey(),
  npm_token: fake.npmToken(),
  openai_api_key: fake.openaiKey(),
  anthropic_api_key: fake.anthropicKey(),
  private_key: fake.privateKey(),
  jwt: fake.jwt(),
  url_credentials: 'Fake-e2e-Pa55word',
  password_assignment: 'Kettle-e2e-fake42!',
};
const pii = {
  email: 'jane.doe.e2e@acme-corp.com',
  phone: '+44 20 7946 0958',
  credit_card: withLuhnDigit('453201511283036'),
  iban: ibanFor('GB', 'NWBK60161331926819'),
  us_ssn: '219-09-9998',
  ip_address: '203.0.113.7',
};

const piiText = [
  `Customer ${pii.email} called from ${pii.phone}.`,
  `Card ${pii.credit_card}, refund to IBAN ${pii.iban}.`,
  `SSN ${pii.us_ssn}, last login from ${pii.ip_address}.`,
].join('\n');
const secretText = [
  `key ${secrets.aws_access_key}`,
  `aws_secret_access_key = ${secrets.aws_secret_key}`,
  `GITHUB_TOKEN=${secrets.github_token} GITLAB_TOKEN=${secrets.gitlab_token}`,
  `slack ${secrets.slack_token} stripe ${secrets.stripe_key} npm ${secrets.npm_token}`,
  `OPENAI_API_KEY=${secrets.openai_api_key}`,
  `ANTHROPIC_API_KEY=${secrets.anthropic_api_key}`,
  secrets.private_key,
  `Authorization: Bearer ${secrets.jwt}`,
  `git clone https://deploy:${secrets.url_credentials}@git.corp.example/app.git`,
  `password=${secrets.password_assignment}`,
].join('\n');

const codes = (body: Record<string, unknown>) => (body.reasons as { code: string }[]).map((r) => r.code);

// Every form a value could take in the files: as sent, JSON-escaped, and each long line of a multi-line one.
function needles(name: string, value: string): [string, string][] {
  const forms = new Set([value, JSON.stringify(value).slice(1, -1)]);
  for (const line of value.split('\n')) if (line.length >= 16) forms.add(line);
  return [...forms].map((form) => [name, form]);
}

function tokenNeedles(name: string, token: string): [string, string][] {
  const [, payload, signature] = token.split('.');
  return [
    [name, token],
    [`${name} (claims segment)`, payload!],
    [`${name} (signature segment)`, signature!],
  ];
}

function leaked(bytes: Buffer, searched: [string, string][]): string[] {
  return searched.filter(([, form]) => bytes.includes(Buffer.from(form, 'utf8'))).map(([name]) => name);
}

function fileBytes(db: string): Buffer {
  const files = [db, `${db}-wal`].filter((file) => existsSync(file));
  return Buffer.concat(files.map((file) => readFileSync(file)));
}

describe('raw payloads and tokens never reach the audit log', () => {
  let svc: TestService;
  const replies: Record<string, Reply> = {};
  const tokens: Record<string, string> = {};
  let searched: [string, string][];
  let running = false;

  beforeAll(async () => {
    svc = await startTestService();
    running = true;
    const attacker = generateRsaKeyPair();
    const now = Math.floor(Date.now() / 1000);
    Object.assign(tokens, {
      support: svc.token(supportAllowed.claims),
      codegen: svc.token(codegenAllowed.claims),
      finance: svc.token({ sub: FINANCE, scope: 'invoke:finance', act: { sub: 'agent:invoice-assistant' } }),
      triage: svc.token({
        sub: 'spiffe://corp/agents/triage-workflow',
        scope: 'invoke:agents',
        act: { sub: 'agent:triage' },
      }),
      forged: signToken({
        header: { alg: 'RS256', typ: 'JWT' },
        claims: standardClaims(
          { issuer: TEST_ISSUER, audience: TEST_AUDIENCE },
          { sub: 'spiffe://corp/attacker' },
        ),
        key: attacker.privateKey,
      }),
      expired: svc.token({ iat: now - 7200, exp: now - 3600 }),
    });
    const decide = (token: string | null, body: unknown) => svc.post('/v1/decide', body, token);
    const messages = (text: string) => ({ messages: [{ role: 'user', content: text }] });

    replies.supportAllowed = await decide(tokens.support!, {
      ...supportAllowed.body,
      payload: messages(piiText),
    });
    replies.supportDenied = await decide(tokens.support!, {
      ...supportAllowed.body,
      payload: messages(`${piiText}\n${secretText}`),
    });
    replies.codegenDenied = await decide(tokens.codegen!, {
      ...codegenAllowed.body,
      payload: { prompt: secretText },
    });
    replies.financeDenied = await decide(tokens.finance!, {
      invocation: {
        model: 'anthropic.claude-sonnet',
        provider: 'bedrock',
        operation: 'tool_call',
        purpose: 'invoice-summary',
        tools: [{ name: 'invoices.read' }],
      },
      payload: { arguments: { customer: { ssn: pii.us_ssn, card: pii.credit_card, email: pii.email } } },
    });
    replies.triageAllowed = await decide(tokens.triage!, {
      invocation: {
        model: 'anthropic.claude-sonnet',
        operation: 'tool_call',
        purpose: 'ticket-triage',
        tools: [{ name: 'tickets.create' }],
      },
      payload: { arguments: { reporter: pii.email, callback: pii.phone, note: piiText } },
    });
    replies.badBody = await decide(tokens.support!, {
      invocation: { model: 'anthropic.claude-haiku', operation: 'exfiltrate' },
      payload: { prompt: `${secretText}\n${piiText}` },
    });
    replies.notJson = await decide(tokens.support!, `{"payload": {"prompt": ${JSON.stringify(secretText)}`);
    replies.forgedToken = await decide(tokens.forged!, {
      ...supportAllowed.body,
      payload: messages(secretText),
    });
    replies.expiredToken = await decide(tokens.expired!, {
      ...supportAllowed.body,
      payload: messages(piiText),
    });
    replies.noToken = await decide(null, {
      ...supportAllowed.body,
      payload: { input: [secretText, piiText] },
    });

    searched = [
      ...Object.entries({ ...secrets, ...pii }).flatMap(([name, value]) => needles(name, value)),
      ...Object.entries(tokens).flatMap(([name, token]) => tokenNeedles(`${name} token`, token)),
    ];
  });
  afterAll(async () => {
    if (running) await svc.close();
    if (svc) rmSync(svc.dir, { recursive: true, force: true });
  });

  it('sent every value and recorded every call as allowed, denied or rejected (the precondition)', () => {
    const outcomes = Object.fromEntries(
      Object.entries(replies).map(([name, res]) => [
        name,
        [res.status, auditRow(svc.db, res.body.decision_id as string)?.outcome],
      ]),
    );
    expect(outcomes).toEqual({
      supportAllowed: [200, 'allowed'],
      supportDenied: [200, 'denied'],
      codegenDenied: [200, 'denied'],
      financeDenied: [200, 'denied'],
      triageAllowed: [200, 'allowed'],
      badBody: [400, 'rejected'],
      notJson: [400, 'rejected'],
      forgedToken: [401, 'rejected'],
      expiredToken: [401, 'rejected'],
      noToken: [401, 'rejected'],
    });
    expect(codes(replies.supportDenied!.body)).toContain('secret_detected');
    expect(codes(replies.codegenDenied!.body)).toContain('secret_detected');
    expect(codes(replies.financeDenied!.body)).toContain('pii_detected');
  });

  it('masked the personal data in the allowed replies (the values were really there)', () => {
    const redacted = JSON.stringify(replies.supportAllowed!.body.redacted_payload);
    for (const name of Object.keys(pii)) expect(redacted).toContain(`[REDACTED:${name}]`);
    expect(leaked(Buffer.from(redacted), searched)).toEqual([]);
    const triage = JSON.stringify(replies.triageAllowed!.body.redacted_payload);
    expect(triage).toContain('[REDACTED:email]');
    expect(triage).toContain('[REDACTED:phone]');
  });

  it('stored finding counts for every class, and no payload text', () => {
    const findings = (name: string) => {
      const input = auditRow(svc.db, replies[name]!.body.decision_id as string)!.record.input as {
        payload: { present: boolean; chars: number; findings: Record<string, number> };
      };
      expect(input.payload.present).toBe(true);
      expect(Object.keys(input.payload).sort()).toEqual([
        'categories',
        'chars',
        'findings',
        'present',
        'rules',
      ]);
      return input.payload.findings;
    };
    const atLeastOne = (classes: string[]) =>
      Object.fromEntries(classes.map((name) => [name, expect.any(Number)]));
    expect(findings('supportAllowed')).toEqual(atLeastOne(Object.keys(pii)));
    expect(findings('supportDenied')).toEqual(atLeastOne([...Object.keys(pii), ...Object.keys(secrets)]));
    expect(findings('codegenDenied')).toEqual(expect.objectContaining(atLeastOne(Object.keys(secrets))));
    expect(findings('financeDenied')).toEqual(
      expect.objectContaining(atLeastOne(['us_ssn', 'credit_card', 'email'])),
    );
  });

  it('finds no raw value and no token in the database file or its WAL while the server runs', () => {
    const bytes = fileBytes(svc.db);
    expect(existsSync(`${svc.db}-wal`)).toBe(true);
    // The bytes searched are the ones the records were written to: every decision id is in them.
    for (const res of Object.values(replies))
      expect(bytes.includes(Buffer.from(res.body.decision_id as string))).toBe(true);
    expect(leaked(bytes, searched)).toEqual([]);
  });

  it('finds no raw value and no token in the database file after shutdown', async () => {
    await svc.close();
    running = false;
    const bytes = fileBytes(svc.db);
    for (const res of Object.values(replies))
      expect(bytes.includes(Buffer.from(res.body.decision_id as string))).toBe(true);
    expect(leaked(bytes, searched)).toEqual([]);
  });
});
