import { auditRow } from '../helpers/audit-db';
import { startTestService, type TestService } from '../helpers/service';

// Issue #13, item 5: a per-issuer max_token_lifetime_seconds (default a day).

const invocation = { model: 'anthropic.claude-haiku', operation: 'chat' };
const now = () => Math.floor(Date.now() / 1000);

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

async function expect401(token: string, code: string) {
  const reply = await svc.post('/v1/decide', { invocation }, token);
  expect(reply.status).toBe(401);
  expect(reply.body.reasons).toEqual([expect.objectContaining({ code })]);
  expect(reply.headers.get('www-authenticate')).toContain(code);
  expect(auditRow(svc.db, reply.body.decision_id as string)?.status).toBe(401);
}

test('a token living just under a day is accepted (the precondition)', async () => {
  const t = now();
  const reply = await svc.post('/v1/decide', { invocation }, svc.token({ iat: t, exp: t + 86_000 }));
  expect(reply.status).toBe(200);
});

test('exp more than a day after iat is 401 token_lifetime_too_long', async () => {
  const t = now();
  await expect401(svc.token({ iat: t, exp: t + 2 * 86_400 }), 'token_lifetime_too_long');
});

test('without iat, exp more than a day from now is 401 token_lifetime_too_long', async () => {
  await expect401(svc.token({ iat: undefined, exp: now() + 30 * 86_400 }), 'token_lifetime_too_long');
});

test('iat in the future beyond the clock skew is 401 token_not_yet_valid', async () => {
  const t = now();
  await expect401(svc.token({ iat: t + 600, exp: t + 3600 }), 'token_not_yet_valid');
});

test('an issuer may allow longer tokens', async () => {
  const issuers = [
    {
      issuer: 'https://idp.test',
      audiences: ['modelgate'],
      algorithms: ['RS256' as const],
      public_key_file: 'rsa.pem',
      max_token_lifetime_seconds: 7 * 86_400,
    },
  ];
  const long = await startTestService({ issuers });
  try {
    const t = now();
    const reply = await long.post('/v1/decide', { invocation }, long.token({ iat: t, exp: t + 3 * 86_400 }));
    expect(reply.status).toBe(200);
  } finally {
    await long.close();
  }
});
