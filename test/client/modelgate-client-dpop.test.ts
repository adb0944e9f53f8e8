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

describe('against a service that requires DPoP nonces', () => {
  let nonced: TestService;
  beforeAll(async () => {
    nonced = await startTestService({
      dpop: { publicUrls: [PUBLIC], nonce: { required: true } },
      // Each refusal's own record is counted below: record every anonymous rejection.
      audit: { synchronous: 'FULL', anonymousRecordsPerMinute: 0 },
    });
  });
  afterAll(() => nonced.close());

  /** What the client sent and was answered, request by request. */
  interface Exchange {
    nonceSent: unknown;
    status: number;
    nonceReceived: string | null;
  }

  // The real service behind the public name; `rewrite` may change a reply before the client reads it.
  function noncedClient(key: TestKeyPair, exchanges: Exchange[], rewrite?: (res: Response) => Response) {
    return new ModelgateClient({
      baseUrl: PUBLIC,
      token: () => nonced.token({ ...SUPPORT, cnf: dpopConfirmation(key) }),
      dpop: { privateKey: key.privateKey },
      fetch: async (url, init) => {
        const proof = new Headers(init?.headers).get('dpop')!;
        const claims = JSON.parse(Buffer.from(proof.split('.')[1]!, 'base64url').toString()) as {
          nonce?: unknown;
        };
        let res = await fetch(String(url).replace(PUBLIC, nonced.url), init);
        if (rewrite) res = rewrite(res);
        exchanges.push({
          nonceSent: claims.nonce,
          status: res.status,
          nonceReceived: res.headers.get('dpop-nonce'),
        });
        return res;
      },
    });
  }

  it('retries once with the nonce of the refusal, then sends the latest nonce with every request', async () => {
    const exchanges: Exchange[] = [];
    const sdk = noncedClient(generateEcKeyPair('P-256'), exchanges);
    const first = await sdk.decide(CALL);
    expect(first.allow).toBe(true);
    expect(exchanges).toEqual([
      { nonceSent: undefined, status: 401, nonceReceived: expect.stringMatching(/^[\w-]{22}$/) },
      { nonceSent: exchanges[0]!.nonceReceived, status: 200, nonceReceived: expect.any(String) },
    ]);
    const second = await sdk.decide(CALL);
    await sdk.reportUsage(second.decision_id, { input_tokens: 10, output_tokens: 5 });
    expect(exchanges).toHaveLength(4);
    expect(exchanges[2]).toMatchObject({ nonceSent: exchanges[1]!.nonceReceived, status: 200 });
    expect(exchanges[3]).toMatchObject({ nonceSent: exchanges[2]!.nonceReceived, status: 201 });
    expect(auditRow(nonced.db, second.decision_id)).toMatchObject({
      outcome: 'allowed',
      subject: SUPPORT.sub,
    });
  });

  it("retries only once: a nonce the service keeps refusing is the caller's ModelgateDenied", async () => {
    const exchanges: Exchange[] = [];
    // A proxy that hands out a nonce of its own instead of modelgate's.
    const wrongNonce = (res: Response) => {
      const headers = new Headers(res.headers);
      headers.set('dpop-nonce', 'not-the-services-nonce');
      return new Response(res.body, { status: res.status, headers });
    };
    const denied = await noncedClient(generateEcKeyPair('P-256'), exchanges, wrongNonce)
      .decide(CALL)
      .catch((err: unknown) => err);
    expect(denied).toBeInstanceOf(ModelgateDenied);
    expect((denied as ModelgateDenied).reasons[0]?.code).toBe('dpop_nonce_invalid');
    expect(exchanges.map((e) => [e.nonceSent, e.status])).toEqual([
      [undefined, 401],
      ['not-the-services-nonce', 401],
    ]);
  });
});
