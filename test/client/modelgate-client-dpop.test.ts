/**
 * The SDK with a DPoP key, against a real modelgate: a token bound to the key goes as `Authorization: DPoP` with a
 * fresh proof per request, for the URL the client calls. The service is reached as https://modelgate.test, a name a
 * proxy would serve; the client's fetch sends those requests to the real port, as DNS and a proxy would. EC, RSA and
 * Ed25519 keys sign proofs the service takes; a key the SDK cannot sign with is refused when the client is made.
 */
import { createPrivateKey } from 'node:crypto';
import {
  ModelgateClient,
  ModelgateClientError,
  ModelgateDenied,
  type DecideRequest,
  type DpopKey,
} from '../../src/client';
import { auditRow } from '../helpers/audit-db';
import { dpopConfirmation, publicJwkOf } from '../helpers/dpop';
import { startTestService, SUPPORT_REPLY_CALL, type TestService } from '../helpers/service';
import {
  generateEcKeyPair,
  generateOkpKeyPair,
  generateRsaKeyPair,
  type TestKeyPair,
} from '../helpers/tokens';

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

describe('with an Ed25519 key', () => {
  const ed25519 = generateOkpKeyPair('ed25519');

  // A client whose proofs' headers are kept, request by request; `service` is the real one behind the public name.
  function ed25519Client(dpop: DpopKey, headers: Record<string, unknown>[], service = svc) {
    return new ModelgateClient({
      baseUrl: PUBLIC,
      token: () => service.token({ ...SUPPORT, cnf: dpopConfirmation(ed25519) }),
      dpop,
      fetch: (url, init) => {
        const proof = new Headers(init?.headers).get('dpop')!;
        headers.push(
          JSON.parse(Buffer.from(proof.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>,
        );
        return fetch(String(url).replace(PUBLIC, service.url), init);
      },
    });
  }

  const privateJwk = ed25519.privateKey.export({ format: 'jwk' });

  it.each<[string, DpopKey, string]>([
    ['Ed25519 (RFC 9864) by default', { privateKey: ed25519.privateKey }, 'Ed25519'],
    ['EdDSA (RFC 8037) when asked', { privateKey: ed25519.privateKey, algorithm: 'EdDSA' }, 'EdDSA'],
    [
      'Ed25519 for a key read from PEM',
      { privateKey: createPrivateKey(ed25519.privateKey.export({ type: 'pkcs8', format: 'pem' })) },
      'Ed25519',
    ],
    [
      'Ed25519 for a key read from a private JWK',
      { privateKey: createPrivateKey({ key: privateJwk, format: 'jwk' }) },
      'Ed25519',
    ],
  ])('signs proofs the real service takes, alg %s, with the public OKP jwk', async (_name, dpop, alg) => {
    const headers: Record<string, unknown>[] = [];
    const sdk = ed25519Client(dpop, headers);
    const decision = await sdk.decide(CALL);
    expect(decision.allow).toBe(true);
    expect(auditRow(svc.db, decision.decision_id)).toMatchObject({
      outcome: 'allowed',
      subject: SUPPORT.sub,
    });
    await sdk.reportUsage(decision.decision_id, { input_tokens: 10, output_tokens: 5 });
    // The private key's JWK has `d`; the header carries crv, kty and x only.
    expect(privateJwk.d).toEqual(expect.any(String));
    const jwk = publicJwkOf(ed25519);
    expect(Object.keys(jwk).sort()).toEqual(['crv', 'kty', 'x']);
    expect(headers).toEqual([
      { typ: 'dpop+jwt', alg, jwk },
      { typ: 'dpop+jwt', alg, jwk },
    ]);
  });

  it("signs with the alg a service that lists only RFC 8037's EdDSA takes, when asked", async () => {
    const narrowed = await startTestService({ dpop: { publicUrls: [PUBLIC], algorithms: ['EdDSA'] } });
    try {
      const refused = await ed25519Client({ privateKey: ed25519.privateKey }, [], narrowed)
        .decide(CALL)
        .catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(ModelgateDenied);
      expect((refused as ModelgateDenied).reasons[0]?.code).toBe('dpop_proof_invalid');
      const asked = { privateKey: ed25519.privateKey, algorithm: 'EdDSA' } as const;
      const decision = await ed25519Client(asked, [], narrowed).decide(CALL);
      expect(decision.allow).toBe(true);
      expect(auditRow(narrowed.db, decision.decision_id)).toMatchObject({ outcome: 'allowed' });
    } finally {
      await narrowed.close();
    }
  });
});

describe('refuses, when the client is made, a key it cannot sign proofs with', () => {
  const client = (dpop: DpopKey) => () =>
    new ModelgateClient({
      baseUrl: PUBLIC,
      token: () => 'unused',
      dpop,
      fetch: () => Promise.reject(new Error('sent')),
    });

  it.each<[string, DpopKey, string, RegExp]>([
    [
      'an Ed448 key',
      { privateKey: generateOkpKeyPair('ed448').privateKey },
      'ed448',
      /^dpop\.privateKey is an Ed448 key; .*Ed25519/,
    ],
    [
      'an X25519 key',
      { privateKey: generateOkpKeyPair('x25519').privateKey },
      'x25519',
      /^dpop\.privateKey is an X25519 key, which cannot sign/,
    ],
    [
      'an X448 key',
      { privateKey: generateOkpKeyPair('x448').privateKey },
      'x448',
      /^dpop\.privateKey is an X448 key, which cannot sign/,
    ],
    [
      'a public key',
      { privateKey: generateOkpKeyPair('ed25519').publicKey },
      'ed25519',
      /^dpop\.privateKey is a public key/,
    ],
    [
      'an Ed25519 key with ES256',
      { privateKey: generateOkpKeyPair('ed25519').privateKey, algorithm: 'ES256' },
      'ed25519',
      /^dpop\.algorithm ES256 does not fit an Ed25519 key: use Ed25519 or EdDSA$/,
    ],
    [
      'an EC P-256 key with EdDSA',
      { privateKey: generateEcKeyPair('P-256').privateKey, algorithm: 'EdDSA' },
      'ec',
      /^dpop\.algorithm EdDSA does not fit an EC P-256 key: use ES256$/,
    ],
    [
      'an EC P-256 key with PS256 (which it used to sign, as a proof modelgate refused)',
      { privateKey: generateEcKeyPair('P-256').privateKey, algorithm: 'PS256' },
      'ec',
      /^dpop\.algorithm PS256 does not fit an EC P-256 key: use ES256$/,
    ],
    [
      'an RSA key of 1024 bits (modelgate refuses its proofs)',
      { privateKey: generateRsaKeyPair(1024).privateKey },
      'rsa',
      /^dpop\.privateKey is an RSA key of 1024 bits; modelgate takes RSA keys of 2048 to 8192 bits$/,
    ],
    [
      'an RSA key with Ed25519',
      { privateKey: generateRsaKeyPair().privateKey, algorithm: 'Ed25519' },
      'rsa',
      /^dpop\.algorithm Ed25519 does not fit an RSA key: use PS256 or RS256$/,
    ],
  ])('%s', (_name, dpop, keyType, message) => {
    // The key is what the case says: the refusal is of it, not of a key that failed to generate.
    expect(dpop.privateKey.asymmetricKeyType).toBe(keyType);
    const make = client(dpop);
    expect(make).toThrow(ModelgateClientError);
    expect(make).toThrow(message);
  });
});
