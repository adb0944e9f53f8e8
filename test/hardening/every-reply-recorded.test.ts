import { createSign } from 'node:crypto';
import { auditRow } from '../helpers/audit-db';
import { startTestService, type Reply, type TestService } from '../helpers/service';

// Issue #13, item 1: each of these got an unrecorded 503 audit_unavailable (a silent oracle for
// stolen tokens). Each must now get a decision id, a 4xx or 200, and a record under that id.

const invocation = { model: 'anthropic.claude-haiku', operation: 'chat' };

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

function recordOf(reply: Reply) {
  const id = reply.body.decision_id;
  expect(typeof id).toBe('string');
  const row = auditRow(svc.db, id as string);
  expect(row).toBeDefined();
  expect(row!.status).toBe(reply.status);
  return row!.record;
}

test('a 600-character Data API path without a token is refused 401 and recorded', async () => {
  const path = `/v1/data/${'abcde/'.repeat(100).slice(0, 599)}`;
  const reply = await svc.post(path, { input: {} }, null);
  expect(reply.status).toBe(401);
  const record = recordOf(reply);
  expect((record.path as string).length).toBeLessThanOrEqual(512);
  expect(record.truncated).toMatchObject({ path: { bytes: path.length } });
});

test.each(['1e309', '-1e309'])('/v1/decide with %s in context is a recorded 400', async (number) => {
  const body = `{"invocation":${JSON.stringify(invocation)},"context":{"n":${number}}}`;
  const reply = await svc.post('/v1/decide', body, svc.token());
  expect(reply.status).toBe(400);
  expect(JSON.stringify(reply.body.reasons)).toContain('/context/n');
  expect(recordOf(reply).outcome).toBe('rejected');
});

test('a Data API input holding 1e309 is a recorded 400', async () => {
  const reply = await svc.post('/v1/data/modelgate/decision', '{"input":{"x":1e309}}', svc.token());
  expect(reply.status).toBe(400);
  recordOf(reply);
});

test.each([
  ['a number', 42],
  ['an object', { name: 'claude' }],
])('a Data API invocation.model that is %s is decided and recorded as text', async (_name, model) => {
  const reply = await svc.post(
    '/v1/data/modelgate/decision',
    { input: { invocation: { model, operation: 'chat' } } },
    svc.token(),
  );
  expect(reply.status).toBe(200);
  expect(recordOf(reply).model).toBe(JSON.stringify(model));
});

test('a 3000-character Data API purpose is stored truncated with its length and hash', async () => {
  const purpose = 'p'.repeat(3000);
  const reply = await svc.post(
    '/v1/data/modelgate/decision',
    { input: { invocation: { ...invocation, purpose } } },
    svc.token(),
  );
  expect(reply.status).toBe(200);
  const record = recordOf(reply);
  expect((record.purpose as string).length).toBeLessThan(3000);
  expect(record.truncated).toMatchObject({ purpose: { bytes: 3000 } });
});

test('a token whose exp is 1e309 is a recorded 401', async () => {
  const token = svc.token({ exp: 'EXP' }).split('.');
  const claims = Buffer.from(token[1]!, 'base64url').toString().replace('"EXP"', '1e309');
  // Re-signed: the test issuer really signed this payload, so only the claim is at fault.
  const signed = signRaw(svc, claims);
  expect(signed.split('.').length).toBe(3);
  const reply = await svc.post('/v1/decide', { invocation }, signed);
  expect(reply.status).toBe(401);
  recordOf(reply);
});

test.each(['sub', 'jti', 'act'])(
  'a token whose %s is over 2048 characters is decided and recorded',
  async (claim) => {
    const long = 'x'.repeat(3000);
    const claims = claim === 'act' ? { act: { sub: long } } : { [claim]: long };
    const reply = await svc.post('/v1/decide', { invocation }, svc.token(claims));
    expect([200, 401]).toContain(reply.status);
    const record = recordOf(reply);
    const column = { sub: 'subject', jti: 'token_id', act: 'actor' }[claim]!;
    expect(record.truncated).toMatchObject({ [column]: { bytes: 3000 } });
  },
);

function signRaw(service: TestService, claimsJson: string): string {
  const head = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url');
  const body = Buffer.from(claimsJson).toString('base64url');
  const signature = createSign('sha256')
    .update(`${head}.${body}`)
    .sign(service.rsa.privateKey)
    .toString('base64url');
  return `${head}.${body}.${signature}`;
}
