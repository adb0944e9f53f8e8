import { chmodSync, chownSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/errors';
import { auditRow } from '../helpers/audit-db';
import { startTestService, SUPPORT_REPLY_CALL, type TestService } from '../helpers/service';
import { fake } from '../screening/fake-values';

// Issue #13, item 4: the audit DB held raw secrets in purpose, model and context, and every verified
// claim (email, name, ...). Now they are screened and redacted, and only configured claims are kept.

const secretKey = fake.awsSecretKey();
const github = fake.githubToken();
const email = 'jane.doe.rest@acme-corp.com';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(() => svc?.close());

function dbBytes(db: string): string {
  return ['', '-wal']
    .map((suffix) => {
      try {
        return readFileSync(db + suffix).toString('latin1');
      } catch {
        return '';
      }
    })
    .join('');
}

test('secrets in purpose, model and context are recorded redacted; the policy still decided', async () => {
  const body = {
    invocation: {
      model: `anthropic.claude-haiku:${github}`,
      operation: 'chat',
      purpose: `aws_secret_access_key=${secretKey}`,
    },
    context: { note: `mail ${email}`, environment: 'prod' },
  };
  const reply = await svc.post('/v1/decide', body, svc.token());
  expect(reply.status).toBe(200);
  const record = auditRow(svc.db, reply.body.decision_id as string)!.record;
  expect(record.purpose).toContain('[REDACTED:');
  expect(record.model).toContain('[REDACTED:');
  const input = record.input as { context: Record<string, string>; invocation: Record<string, string> };
  expect(input.context.note).toBe('mail [REDACTED:email]');
  expect(input.context.environment).toBe('prod');
  expect(input.invocation.purpose).toContain('[REDACTED:');
  const bytes = dbBytes(svc.db);
  for (const value of [secretKey, github, email]) expect(bytes).not.toContain(value);
});

test('only the configured claims are kept; the others are recorded as their hash', async () => {
  const token = svc.token({
    email: 'claims.person@acme-corp.com',
    name: 'Claims Person',
    scope: 'invoke:x',
    // Authorization data in the claims Okta and Entra (scp, roles) and Auth0 (permissions) use for it.
    scp: ['invoke:y'],
    roles: ['Invoke.All'],
    permissions: ['invoke:z'],
  });
  const reply = await svc.post('/v1/decide', { invocation: { model: 'm', operation: 'chat' } }, token);
  expect(reply.status).toBe(200);
  const record = auditRow(svc.db, reply.body.decision_id as string)!.record;
  const claims = (record.input as { subject: { claims: Record<string, unknown> } }).subject.claims;
  expect(claims.sub).toBe('spiffe://corp/ci/build-bot');
  expect(claims.scope).toBe('invoke:x');
  expect(claims).toMatchObject({ scp: ['invoke:y'], roles: ['Invoke.All'], permissions: ['invoke:z'] });
  expect(claims.email).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(claims.name).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(dbBytes(svc.db)).not.toContain('Claims Person');
});

test('the Data API input is screened too', async () => {
  const input = { invocation: { model: 'm', operation: 'chat' }, notes: { owner: `contact ${email}` } };
  const reply = await svc.post('/v1/data/modelgate/decision', { input }, svc.token());
  expect(reply.status).toBe(200);
  const record = auditRow(svc.db, reply.body.decision_id as string)!.record;
  expect((record.input as { notes: { owner: string } }).notes.owner).toBe('contact [REDACTED:email]');
});

test('a secret in the Data API path is recorded redacted, from an anonymous caller too', async () => {
  // The path after /v1/data/ is the caller's text: a key pasted into it once reached the log as it was.
  const pathSecret = fake.githubToken();
  const signed = await svc.post(`/v1/data/${pathSecret}`, { input: {} }, svc.token());
  const anonymous = await svc.post(`/v1/data/x/${pathSecret}`, { input: {} }, null);
  expect([signed.status, anonymous.status]).toEqual([200, 401]);
  expect(auditRow(svc.db, signed.body.decision_id as string)!.path).toBe('/v1/data/[REDACTED:github_token]');
  const rejected = auditRow(svc.db, anonymous.body.decision_id as string)!;
  expect(rejected.path).toBe('/v1/data/x/[REDACTED:github_token]');
  expect(rejected.record.path).toBe(rejected.path);
  expect(dbBytes(svc.db)).not.toContain(pathSecret);
});

test('a secret in the name of a Data API input member is recorded redacted, without the original beside it', async () => {
  const inKey = fake.githubToken();
  const inProto = fake.awsSecretKey();
  // Raw text: JSON.stringify of an object literal would not carry an own "__proto__" member.
  const body = `{"input":{"invocation":{"model":"m","operation":"chat"},"${inKey}":{"x":1},"__proto__":{"note":"aws_secret_access_key=${inProto}"}}}`;
  const reply = await svc.post('/v1/data/modelgate/decision', body, svc.token());
  expect(reply.status).toBe(200);
  const input = auditRow(svc.db, reply.body.decision_id as string)!.record.input as Record<string, unknown>;
  expect(Object.keys(input)).toContain('[REDACTED:github_token]');
  expect(Object.keys(input)).not.toContain(inKey);
  expect(JSON.stringify(input)).toContain(
    '"__proto__":{"note":"aws_secret_access_key=[REDACTED:aws_secret_key]"}',
  );
  const bytes = dbBytes(svc.db);
  for (const value of [inKey, inProto]) expect(bytes).not.toContain(value);
});

test("a policy reason that repeats a caller's value is recorded redacted, as the value is", async () => {
  const tool = fake.githubToken();
  const body = { invocation: { ...SUPPORT_REPLY_CALL.invocation, tools: [{ name: tool }] } };
  const caller = svc.token({ sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' });
  const reply = await svc.post('/v1/decide', body, caller);
  // The precondition: the shipped policy names the tool it refuses, so the reply (to its own caller) holds it.
  expect(JSON.stringify(reply.body)).toContain(`tool ${tool} is not granted`);
  const record = auditRow(svc.db, reply.body.decision_id as string)!.record;
  expect(JSON.stringify(record.result)).toContain('tool [REDACTED:github_token] is not granted');
  expect(dbBytes(svc.db)).not.toContain(tool);
});

describe('file modes', () => {
  test('a configured database path gets a 0700 folder and 0600 files', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-modes-'));
    const db = path.join(dir, 'nested', 'audit', 'modelgate.db');
    const own = await startTestService({ db });
    try {
      const reply = await own.post(
        '/v1/decide',
        { invocation: { model: 'm', operation: 'chat' } },
        own.token(),
      );
      expect(reply.status).toBe(200);
      expect(statSync(path.dirname(db)).mode & 0o777).toBe(0o700);
      for (const file of [db, `${db}-wal`, `${db}-shm`]) expect(statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      await own.close();
    }
  });

  test('refuses to start on an audit database others can read, naming it and the fix', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-modes-'));
    const db = path.join(dir, 'modelgate.db');
    const first = await startTestService({ db });
    await first.close();
    chmodSync(db, 0o644);
    const started = startTestService({ db });
    await expect(started).rejects.toThrow(ConfigError);
    await expect(started).rejects.toThrow(`chmod 600 ${db}`);
  });

  test('refuses to start on a checkpoint signing key others can read', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-modes-'));
    const { generateKeyPairSync } = await import('node:crypto');
    const key = path.join(dir, 'signing.pem');
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' });
    writeFileSync(key, pem, { mode: 0o644 });
    chmodSync(key, 0o644);
    const started = startTestService({
      audit: { synchronous: 'FULL', checkpoint: { privateKeyFile: key, everyRecords: 10, everySeconds: 60 } },
    });
    await expect(started).rejects.toThrow(`chmod 600 ${key}`);
  });

  // A Kubernetes Secret volume holds its files as root, group fsGroup, mode defaultMode: 0440 lets the pod's
  // user read the key through its group. PostgreSQL allows its server key that way (root-owned, 0640 at most).
  const signingKey = async (mode: number, owner: number): Promise<string> => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-modes-'));
    const { generateKeyPairSync } = await import('node:crypto');
    const key = path.join(dir, 'signing.pem');
    writeFileSync(key, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
    chmodSync(key, mode);
    chownSync(key, owner, 0);
    return key;
  };
  const withKey = (key: string) =>
    startTestService({
      audit: { synchronous: 'FULL', checkpoint: { privateKeyFile: key, everyRecords: 10, everySeconds: 60 } },
    });
  const asRoot = process.getuid?.() === 0 ? test : test.skip;

  asRoot(
    'starts with a root-owned signing key its group may read, as a Secret volume mounts it',
    async () => {
      const service = await withKey(await signingKey(0o440, 0));
      await service.close();
    },
  );

  asRoot('refuses a root-owned signing key its group may write, or others read', async () => {
    for (const mode of [0o660, 0o644]) {
      const key = await signingKey(mode, 0);
      await expect(withKey(key)).rejects.toThrow(`chmod 600 ${key}`);
    }
  });

  asRoot('refuses a group-readable signing key owned by another user, who is not root', async () => {
    const key = await signingKey(0o640, 1000);
    await expect(withKey(key)).rejects.toThrow(`chmod 600 ${key}`);
  });
});
