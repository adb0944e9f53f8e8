/**
 * The SDK with a DPoP key, against a real modelgate: a token bound to the key goes as `Authorization: DPoP` with a
 * fresh proof per request, for the URL the client calls. The service is reached as https://modelgate.test, a name a
 * proxy would serve; the client's fetch sends those requests to the real port, as DNS and a proxy would.
 */
import { ModelgateClient, ModelgateDenied, type DecideRequest } from '../../src/client';
import { auditRow } from '../helpers/audit-db';
import { dpopConfirmation } from '../helpers/dpop';
import { startTestService, SUPPORT_REPLY_CALL, type TestService } from '../helpers/service';
import { generateEcKeyPair, generateRsaKeyPair, type TestKeyPair } from '../helpers/tokens';

const PUBLIC = 'https://modelgate.test';
const SUPPORT = { sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' };
const CALL = SUPPORT_REPLY_CALL as DecideRequest;

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({ dpop: { publicUrls: [PUBLIC] } });
});
afterAll(() => svc.close());

function client(key: TestKeyPair, dpop: boolean): ModelgateClient {
  return new ModelgateClient({
    baseUrl: PUBLIC,
    token: () => svc.token({ ...SUPPORT, cnf: dpopConfirmation(key) }),
    fetch: (url, init) => fetch(String(url).replace(PUBLIC, svc.url), init),
    ...(dpop && { dpop: { privateKey: key.privateKey } }),
  });
}

it.each([
  ['an EC P-256 key (ES256)', generateEcKeyPair('P-256')],
  ['an RSA key (PS256)', generateRsaKeyPair()],
])('decides and reports usage with a token bound to %s', async (_name, key) => {
  const decision = await client(key, true).decide(CALL);
  expect(decision.allow).toBe(true);
  expect(auditRow(svc.db, decision.decision_id)).toMatchObject({ outcome: 'allowed', subject: SUPPORT.sub });
  await client(key, true).reportUsage(decision.decision_id, { input_tokens: 10, output_tokens: 5 });
});

it('is refused dpop_required when the bound token goes without its key (the precondition)', async () => {
  const denied = await client(generateEcKeyPair(), false)
    .decide(CALL)
    .catch((err: unknown) => err);
  expect(denied).toBeInstanceOf(ModelgateDenied);
  expect((denied as ModelgateDenied).reasons[0]?.code).toBe('dpop_required');
});
