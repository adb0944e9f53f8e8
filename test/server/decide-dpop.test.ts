/**
 * Sender-constrained tokens (RFC 9449 DPoP, RFC 7800 cnf) against a real server: the attacker has stolen a token
 * bound to a client's key, but not the key. Every request goes over node:http so that a test can send what fetch
 * would merge (two DPoP headers) and read every header of the reply.
 */
import { createHash, randomBytes, randomUUID, type JsonWebKey } from 'node:crypto';
import http from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { DEFAULT_METRICS } from '../../src/config/config';
import {
  DEFAULT_DPOP_CLOCK_SKEW_SECONDS,
  DEFAULT_DPOP_MAX_AGE_SECONDS,
} from '../../src/identity/dpop-checker';
import { auditRow } from '../helpers/audit-db';
import {
  accessTokenHash,
  dpopConfirmation,
  dpopProof,
  jwkThumbprint,
  publicJwkOf,
  unsignedJws,
} from '../helpers/dpop';
import { startTestService, SUPPORT_REPLY_CALL, type TestService } from '../helpers/service';
import { generateEcKeyPair, generateRsaKeyPair } from '../helpers/tokens';

// Where callers reach the service: a name in front of it, and a gateway that strips /modelgate before passing on.
const PUBLIC = 'https://modelgate.test';
const GATEWAY = 'https://gw.test/modelgate';
const ALGS = 'ES256 PS256';
const SUPPORT = { sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' };

interface RawReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
  text: string;
}

/** Sends one request with exactly the header lines given (repeated names stay separate lines). */
function send(
  baseUrl: string,
  request: { method?: string; path: string; headers: [string, string][]; body?: unknown },
): Promise<RawReply> {
  const text = request.body === undefined ? '' : JSON.stringify(request.body);
  const headers = [
    ...['host', new URL(baseUrl).host, 'content-length', String(Buffer.byteLength(text))],
    ...(request.body === undefined ? [] : ['content-type', 'application/json']),
    ...request.headers.flat(),
  ];
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${baseUrl}${request.path}`,
      { method: request.method ?? 'POST', headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: res.headers['content-type']?.startsWith('application/json')
              ? (JSON.parse(body) as Record<string, unknown>)
              : {},
            text: body,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

function reasonCode(reply: RawReply): string | undefined {
  return (reply.body.reasons as { code: string }[] | undefined)?.[0]?.code;
}

/**
 * Returns a 3072-bit RSA public JWK with a 3063-bit public exponent: one verify with it costs about as much as a
 * private-key operation (milliseconds), where a real key (e = 65537) costs microseconds. No private key exists.
 */
function costlyRsaJwk(): JsonWebKey {
  const n = randomBytes(384);
  n[0]! |= 0x80;
  n[383]! |= 1;
  const e = randomBytes(383);
  e[0]! |= 0x40;
  e[382]! |= 1;
  return { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') };
}

describe('DPoP-bound tokens against a real server', () => {
  let svc: TestService;
  const logLines: string[] = [];
  const client = generateEcKeyPair('P-256');
  const attacker = generateEcKeyPair('P-256');

  beforeAll(async () => {
    const logger = pino(
      { level: 'debug' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          logLines.push(chunk.toString('utf8'));
          done();
        },
      }),
    );
    svc = await startTestService(
      {
        dpop: {
          publicUrls: [PUBLIC, GATEWAY],
          algorithms: ['ES256', 'PS256'],
          maxAgeSeconds: 60,
          clockSkewSeconds: 5,
          replayCacheEntries: 10_000,
        },
        // Each refusal's own record is asserted: record every anonymous rejection, none counted together.
        audit: { synchronous: 'FULL', anonymousRecordsPerMinute: 0 },
        // /metrics behind a token too: it authenticates like every other route.
        metrics: { ...DEFAULT_METRICS, access: 'scope' },
      },
      logger,
    );
  });
  afterAll(() => svc.close());

  const boundToken = (claims: Record<string, unknown> = {}) =>
    svc.token({ ...SUPPORT, cnf: dpopConfirmation(client), ...claims });
  const proofFor = (token: string, overrides: Partial<Parameters<typeof dpopProof>[0]> = {}) =>
    dpopProof({ key: client, htm: 'POST', htu: `${PUBLIC}/v1/decide`, token, ...overrides });
  const decide = (headers: [string, string][]) =>
    send(svc.url, { path: '/v1/decide', headers, body: SUPPORT_REPLY_CALL });
  const withDpop = (token: string, ...proofs: string[]): [string, string][] => [
    ['authorization', `DPoP ${token}`],
    ...proofs.map((p): [string, string] => ['dpop', p]),
  ];

  it('allows a bound token with a valid proof, recorded with its subject (the precondition of every refusal below)', async () => {
    const token = boundToken();
    const reply = await decide(withDpop(token, proofFor(token)));
    expect(reply.status).toBe(200);
    expect(reply.body.allow).toBe(true);
    expect(reply.headers['www-authenticate']).toBeUndefined();
    expect(auditRow(svc.db, reply.body.decision_id as string)).toMatchObject({
      outcome: 'allowed',
      subject: SUPPORT.sub,
    });
  });

  it('refuses a bound token presented as Bearer with 401 dpop_required, recorded (RFC 9449 section 7.2)', async () => {
    const token = boundToken();
    const reply = await decide([['authorization', `Bearer ${token}`]]);
    expect(reply.status).toBe(401);
    expect(reasonCode(reply)).toBe('dpop_required');
    expect(reply.headers['www-authenticate']).toBe(
      `DPoP error="invalid_token", error_description="dpop_required", algs="${ALGS}"`,
    );
    expect(auditRow(svc.db, reply.body.decision_id as string)).toMatchObject({
      outcome: 'rejected',
      status: 401,
      subject: null,
    });
  });

  it('refuses a bound token presented as Bearer even with a valid proof beside it', async () => {
    const token = boundToken();
    const reply = await decide([
      ['authorization', `Bearer ${token}`],
      ['dpop', proofFor(token)],
    ]);
    expect(reply.status).toBe(401);
    expect(reasonCode(reply)).toBe('dpop_required');
  });

  it('offers both schemes when no token is sent', async () => {
    const reply = await decide([]);
    expect(reply.status).toBe(401);
    expect(reply.headers['www-authenticate']).toBe(`Bearer realm="modelgate", DPoP algs="${ALGS}"`);
  });

  it('still takes an unbound token as Bearer, and ignores a DPoP header beside it', async () => {
    const token = svc.token(SUPPORT);
    expect((await decide([['authorization', `Bearer ${token}`]])).status).toBe(200);
    const reply = await decide([
      ['authorization', `Bearer ${token}`],
      ['dpop', 'not.a.proof'],
    ]);
    expect(reply.status).toBe(200);
  });

  // Each check of RFC 9449 section 4.3 (and 7.1) failing on its own: the token is always the client's bound token.
  const now = () => Math.floor(Date.now() / 1000);
  const rsaClient = generateRsaKeyPair();
  const failures: [string, (token: string) => [string, string][], string, string, string][] = [
    ['no DPoP header', (t) => withDpop(t), 'dpop_proof_missing', 'invalid_dpop_proof', 'needs a DPoP header'],
    [
      'two DPoP headers',
      (t) => withDpop(t, proofFor(t), proofFor(t)),
      'dpop_proof_invalid',
      'invalid_dpop_proof',
      'more than one DPoP header',
    ],
    [
      'a DPoP header that is no JWS',
      (t) => withDpop(t, 'not-a-jws'),
      'dpop_proof_invalid',
      'invalid_dpop_proof',
      'not three dot-separated segments',
    ],
    [
      'typ JWT instead of dpop+jwt',
      (t) => withDpop(t, proofFor(t, { header: { typ: 'JWT' } })),
      'dpop_proof_invalid',
      'invalid_dpop_proof',
      'typ header must be dpop+jwt',
    ],
    [
      'no typ',
      (t) => withDpop(t, proofFor(t, { header: { typ: undefined } })),
      'dpop_proof_invalid',
      'invalid_dpop_proof',
      'typ header must be dpop+jwt',
    ],
    [
      'alg none',
      (t) =>
        withDpop(
          t,
          unsignedJws(
            { typ: 'dpop+jwt', alg: 'none', jwk: publicJwkOf(client) },
            { jti: 'x', htm: 'POST', htu: `${PUBLIC}/v1/decide`, iat: now(), ath: accessTokenHash(t) },
          ),
        ),
      'dpop_proof_invalid',
      'invalid_dpop_proof',
      'alg must be one of',
    ],
    [
      'alg HS256 (symmetric)',
      (t) =>
        withDpop(
          t,
          unsignedJws(
            { typ: 'dpop+jwt', alg: 'HS256', jwk: publicJwkOf(client) },
            { jti: 'x', htm: 'POST', htu: `${PUBLIC}/v1/decide`, iat: now(), ath: accessTokenHash(t) },
          ),
        ),
      'dpop_proof_invalid',
      'invalid_dpop_proof',
      'alg must be one of',
    ],
    [
      'an asymmetric alg off the allowlist (RS256)',
      (t) =>
        withDpop(
          t,
          dpopProof({ key: rsaClient, alg: 'RS256', htm: 'POST', htu: `${PUBLIC}/v1/decide`, token: t }),
        ),
      'dpop_proof_invalid',
      'invalid_dpop_proof',
      'alg must be one of',
    ],
    [
      'an alg that does not fit the jwk (PS256 with an EC key)',
      (t) => withDpop(t, proofFor(t, { header: { alg: 'PS256' } })),
      'dpop_proof_invalid',
      'invalid_dpop_proof',
      'cannot verify PS256',
    ],
    [
      'no jwk header',
      (t) => withDpop(t, proofFor(t, { header: { jwk: undefined } })),
      'dpop_proof_invalid',
      'invalid_dpop_proof',
      'jwk header must be a JSON object',
    ],
    [
      'a jwk with the private key in it',
      (t) => withDpop(t, proofFor(t, { header: { jwk: client.privateKey.export({ format: 'jwk' }) } })),
      'dpop_proof_invalid',
      'invalid_dpop_proof',
      'private key material',
    ],
    [
      'a signature by another key than the jwk',
      (t) => withDpop(t, proofFor(t, { signWith: attacker })),
      'dpop_proof_invalid',
      'invalid_dpop_proof',
      'signature does not verify',
    ],
    [
      'a crit header',
      (t) => withDpop(t, proofFor(t, { header: { crit: ['exp'] } })),
      'dpop_proof_invalid',
      'invalid_dpop_proof',
      '(crit)',
    ],
    [
      'no jti',
      (t) => withDpop(t, proofFor(t, { claims: { jti: undefined } })),
      'dpop_proof_invalid',
      'invalid_dpop_proof',
      'jti claim',
    ],
    [
      'no htm',
      (t) => withDpop(t, proofFor(t, { claims: { htm: undefined } })),
      'dpop_proof_invalid',
      'invalid_dpop_proof',
      'htm claim',
    ],
    [
      'no htu',
      (t) => withDpop(t, proofFor(t, { claims: { htu: undefined } })),
      'dpop_proof_invalid',
      'invalid_dpop_proof',
      'htu claim',
    ],
    [
      'no iat',
      (t) => withDpop(t, proofFor(t, { claims: { iat: undefined } })),
      'dpop_proof_invalid',
      'invalid_dpop_proof',
      'iat claim',
    ],
    [
      'no ath',
      (t) => withDpop(t, proofFor(t, { claims: { ath: undefined } })),
      'dpop_proof_invalid',
      'invalid_dpop_proof',
      'ath claim',
    ],
    [
      'htm GET for a POST',
      (t) => withDpop(t, proofFor(t, { htm: 'GET' })),
      'dpop_proof_invalid',
      'invalid_dpop_proof',
      'htm is not the method',
    ],
    [
      'htm post in lower case',
      (t) => withDpop(t, proofFor(t, { htm: 'post' })),
      'dpop_proof_invalid',
      'invalid_dpop_proof',
      'htm is not the method',
    ],
    [
      'htu of another service',
      (t) => withDpop(t, proofFor(t, { htu: 'https://other.test/v1/decide' })),
      'dpop_proof_invalid',
      'invalid_dpop_proof',
      'htu is not the URI',
    ],
    [
      'htu of another path',
      (t) => withDpop(t, proofFor(t, { htu: `${PUBLIC}/v1/data/modelgate/decision` })),
      'dpop_proof_invalid',
      'invalid_dpop_proof',
      'htu is not the URI',
    ],
    [
      'htu over http where https is configured',
      (t) => withDpop(t, proofFor(t, { htu: 'http://modelgate.test/v1/decide' })),
      'dpop_proof_invalid',
      'invalid_dpop_proof',
      'htu is not the URI',
    ],
    [
      "htu of the URL the request reached, which is not configured (the Host header is the caller's)",
      (t) => withDpop(t, proofFor(t, { htu: `${svc.url}/v1/decide` })),
      'dpop_proof_invalid',
      'invalid_dpop_proof',
      'htu is not the URI',
    ],
    [
      'iat older than max_age_seconds and the skew',
      (t) => withDpop(t, proofFor(t, { iat: now() - 60 - 5 - 10 })),
      'dpop_proof_stale',
      'invalid_dpop_proof',
      'iat is more than 60 s old',
    ],
    [
      'iat in the future beyond the skew',
      (t) => withDpop(t, proofFor(t, { iat: now() + 5 + 10 })),
      'dpop_proof_stale',
      'invalid_dpop_proof',
      'iat is more than 60 s old',
    ],
    [
      'iat that is not a number',
      (t) => withDpop(t, proofFor(t, { iat: String(now()) as unknown as number })),
      'dpop_proof_invalid',
      'invalid_dpop_proof',
      'iat claim must be a number',
    ],
    [
      'ath of another token',
      (t) => withDpop(t, proofFor(t, { claims: { ath: accessTokenHash(`${t}x`) } })),
      'dpop_binding_mismatch',
      'invalid_dpop_proof',
      'ath is not the hash',
    ],
    [
      "a valid proof by the attacker's own key (the stolen token is bound to the client's)",
      (t) => withDpop(t, dpopProof({ key: attacker, htm: 'POST', htu: `${PUBLIC}/v1/decide`, token: t })),
      'dpop_binding_mismatch',
      'invalid_dpop_proof',
      'cnf.jkt',
    ],
  ];

  it('covers every check of RFC 9449 section 4.3', () => {
    expect(failures.length).toBeGreaterThanOrEqual(25);
  });

  it.each(failures)(
    'refuses %s with 401, its reason code and challenge, recorded',
    async (_name, make, code, error, message) => {
      const token = boundToken();
      const headers = make(token);
      const reply = await decide(headers);
      expect(reply.status).toBe(401);
      expect(reply.body.allow).toBe(false);
      expect(reasonCode(reply)).toBe(code);
      expect((reply.body.reasons as { message: string }[])[0]!.message).toContain(message);
      expect(reply.headers['www-authenticate']).toBe(
        `DPoP error="${error}", error_description="${code}", algs="${ALGS}"`,
      );
      const row = auditRow(svc.db, reply.body.decision_id as string);
      expect(row).toMatchObject({ outcome: 'rejected', status: 401, subject: null, path: '/v1/decide' });
      expect(row!.record.reasons).toEqual([code]);
      // Neither the reply nor the record holds the token or a proof.
      const proofs = headers.filter(([name]) => name === 'dpop').map(([, value]) => value);
      for (const secret of [token, ...proofs.filter((p) => p.length > 20)]) {
        expect(reply.text).not.toContain(secret);
        expect(JSON.stringify(row)).not.toContain(secret);
      }
    },
  );

  it('refuses a replayed proof with 401 dpop_proof_replayed, recorded', async () => {
    const token = boundToken();
    const proof = proofFor(token);
    expect((await decide(withDpop(token, proof))).status).toBe(200);
    const replay = await decide(withDpop(token, proof));
    expect(replay.status).toBe(401);
    expect(reasonCode(replay)).toBe('dpop_proof_replayed');
    expect(replay.headers['www-authenticate']).toBe(
      `DPoP error="invalid_dpop_proof", error_description="dpop_proof_replayed", algs="${ALGS}"`,
    );
    expect(auditRow(svc.db, replay.body.decision_id as string)).toMatchObject({
      outcome: 'rejected',
      status: 401,
    });
    // A fresh proof for the same token still works: it is the proof that was spent, not the token.
    expect((await decide(withDpop(token, proofFor(token)))).status).toBe(200);
  });

  it('checks the proof on every request, after the token itself was verified and cached', async () => {
    const token = boundToken();
    expect((await decide(withDpop(token, proofFor(token)))).status).toBe(200);
    expect((await decide(withDpop(token, proofFor(token)))).status).toBe(200);
    const noProof = await decide(withDpop(token));
    expect(reasonCode(noProof)).toBe('dpop_proof_missing');
    const stolen = await decide(
      withDpop(token, dpopProof({ key: attacker, htm: 'POST', htu: `${PUBLIC}/v1/decide`, token })),
    );
    expect(reasonCode(stolen)).toBe('dpop_binding_mismatch');
    expect(reasonCode(await decide([['authorization', `Bearer ${token}`]]))).toBe('dpop_required');
  });

  // A proof for POST /v1/decide carrying `jwk` and a signature of nothing: the checks under test come first.
  const unsignedProofWith = (jwk: JsonWebKey, token: string) =>
    unsignedJws(
      { typ: 'dpop+jwt', alg: 'PS256', jwk },
      {
        jti: randomUUID(),
        htm: 'POST',
        htu: `${PUBLIC}/v1/decide`,
        iat: Math.floor(Date.now() / 1000),
        ath: accessTokenHash(token),
      },
    );

  it('refuses a key other than the bound one before verifying with it: a stolen token buys no costly RSA verify', async () => {
    // An RSA key with a 3072-bit public exponent makes one verify cost milliseconds (a private-key operation)
    // where a real key costs microseconds: the thumbprint must be compared before the signature is checked.
    const costly = costlyRsaJwk();
    const token = boundToken();
    const proof = unsignedProofWith(costly, token);
    const reply = await decide(withDpop(token, proof));
    expect(reply.status).toBe(401);
    expect(reasonCode(reply)).toBe('dpop_binding_mismatch');
    expect((reply.body.reasons as { message: string }[])[0]!.message).toContain('cnf.jkt');
  });

  it("refuses a proof key whose RSA exponent is huge, even the token's own: a client cannot make each verify costly", async () => {
    const costly = costlyRsaJwk();
    const token = svc.token({ ...SUPPORT, cnf: { jkt: jwkThumbprint(costly) } });
    const proof = unsignedProofWith(costly, token);
    const reply = await decide(withDpop(token, proof));
    expect(reply.status).toBe(401);
    expect(reasonCode(reply)).toBe('dpop_proof_invalid');
    expect((reply.body.reasons as { message: string }[])[0]!.message).toContain('public exponent');
  });

  it('refuses the DPoP scheme with a token bound to no key: 401 dpop_token_unbound', async () => {
    const token = svc.token(SUPPORT);
    const reply = await decide(withDpop(token, proofFor(token)));
    expect(reply.status).toBe(401);
    expect(reasonCode(reply)).toBe('dpop_token_unbound');
    expect(reply.headers['www-authenticate']).toBe(
      `DPoP error="invalid_token", error_description="dpop_token_unbound", algs="${ALGS}"`,
    );
    expect(auditRow(svc.db, reply.body.decision_id as string)).toMatchObject({ outcome: 'rejected' });
  });

  // modelgate sees no client certificate behind a proxy: an mTLS-bound token (RFC 8705) cannot be checked.
  it.each([
    [
      'an mTLS certificate thumbprint (x5t#S256)',
      { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' },
    ],
    ['a key id (kid)', { kid: 'client-key-1' }],
    ['a DPoP thumbprint and a certificate thumbprint', { jkt: 'abc', 'x5t#S256': 'def' }],
    ['nothing', {}],
  ])('refuses a token whose cnf holds %s: 401 token_binding_unsupported, recorded', async (_name, cnf) => {
    for (const scheme of ['Bearer', 'DPoP']) {
      const token = svc.token({ ...SUPPORT, cnf });
      const reply = await decide([
        ['authorization', `${scheme} ${token}`],
        ['dpop', proofFor(token)],
      ]);
      expect(reply.status).toBe(401);
      expect(reasonCode(reply)).toBe('token_binding_unsupported');
      expect(auditRow(svc.db, reply.body.decision_id as string)).toMatchObject({ outcome: 'rejected' });
    }
  });

  it('refuses a cnf claim that is no JSON object: 401 token_malformed', async () => {
    const token = svc.token({ ...SUPPORT, cnf: 'jkt' });
    expect(reasonCode(await decide([['authorization', `Bearer ${token}`]]))).toBe('token_malformed');
  });

  it.each([
    ['the scheme and host in upper case, the default port', 'HTTPS://MODELGATE.TEST:443/v1/decide'],
    ['an unreserved character percent-encoded', `${PUBLIC}/v1/%64ecide`],
    ['a dot segment', `${PUBLIC}/v1/../v1/decide`],
    ['a query and a fragment, which are ignored', `${PUBLIC}/v1/decide?x=1#y`],
    ['the gateway that strips its /modelgate prefix', `${GATEWAY}/v1/decide`],
  ])('accepts an htu with %s (RFC 3986 section 6 normalisation)', async (_name, htu) => {
    const token = boundToken();
    const reply = await decide(withDpop(token, proofFor(token, { htu })));
    expect(reasonCode(reply)).toBeUndefined();
    expect(reply.status).toBe(200);
  });

  it('checks htu against the path without the query the request carries', async () => {
    const token = boundToken();
    const reply = await send(svc.url, {
      path: '/v1/data/modelgate/decision?provenance',
      headers: withDpop(token, proofFor(token, { htu: `${PUBLIC}/v1/data/modelgate/decision` })),
      body: { input: {} },
    });
    expect(reply.status).toBe(200);
  });

  // Every route that takes a caller's token: the Data API (both methods), AuthZEN, the audit and usage APIs,
  // approvals, and /metrics with metrics.access "scope". A valid proof gets past identity; none is a 401.
  const auditor = { sub: 'user:auditor', scope: 'modelgate:audit' };
  it.each([
    ['POST', '/v1/data/modelgate/decision', { input: {} }, SUPPORT],
    ['GET', '/v1/data/modelgate/decision', undefined, SUPPORT],
    [
      'POST',
      '/access/v1/evaluation',
      { subject: { type: 'user', id: 'a' }, action: { name: 'read' }, resource: { type: 'doc', id: '1' } },
      SUPPORT,
    ],
    ['GET', '/v1/usage', undefined, SUPPORT],
    ['GET', '/v1/decisions?limit=1', undefined, auditor],
    ['GET', '/v1/approvals', undefined, auditor],
    ['GET', '/metrics', undefined, { sub: 'prometheus', scope: 'modelgate:metrics' }],
  ] as const)('%s %s takes a bound token only with its proof', async (method, target, body, claims) => {
    const path = target.split('?')[0]!;
    const token = boundToken(claims);
    const proof = proofFor(token, { htm: method, htu: `${PUBLIC}${path}` });
    const ok = await send(svc.url, { method, path: target, headers: withDpop(token, proof), body });
    expect(ok.status).not.toBe(401);
    const refused = await send(svc.url, { method, path: target, headers: withDpop(token), body });
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe(
      `DPoP error="invalid_dpop_proof", error_description="dpop_proof_missing", algs="${ALGS}"`,
    );
    const bearer = await send(svc.url, {
      method,
      path: target,
      headers: [['authorization', `Bearer ${token}`]],
      body,
    });
    expect(bearer.status).toBe(401);
  });

  it('writes no token, proof or key to the log or the audit log', async () => {
    const token = boundToken();
    const proof = proofFor(token);
    await decide(withDpop(token, proof));
    await decide(withDpop(token, proof));
    await decide(withDpop(token, proofFor(token, { signWith: attacker })));
    await decide([['authorization', `Bearer ${token}`]]);
    const log = logLines.join('');
    expect(log).toContain('dpop_proof_replayed');
    const jwk = publicJwkOf(client);
    for (const secret of [
      token,
      proof,
      token.split('.')[2]!,
      proof.split('.')[2]!,
      jwk.x!,
      accessTokenHash(token),
    ]) {
      expect(log).not.toContain(secret);
    }
    expect(jwkThumbprint(jwk)).toBe(dpopConfirmation(client).jkt);
  });
});

describe('the DPoP replay cache when it is full', () => {
  let svc: TestService;
  const client = generateEcKeyPair();
  beforeAll(async () => {
    svc = await startTestService({
      dpop: { publicUrls: ['https://modelgate.test'], replayCacheEntries: 2 },
    });
  });
  afterAll(() => svc.close());

  it('refuses a proof it could not remember with 503 dpop_replay_cache_full, recorded, rather than forget one', async () => {
    const token = svc.token({ ...SUPPORT, cnf: dpopConfirmation(client) });
    const proof = () =>
      dpopProof({ key: client, htm: 'POST', htu: 'https://modelgate.test/v1/decide', token });
    const call = () =>
      send(svc.url, {
        path: '/v1/decide',
        headers: [
          ['authorization', `DPoP ${token}`],
          ['dpop', proof()],
        ],
        body: SUPPORT_REPLY_CALL,
      });
    expect((await call()).status).toBe(200);
    expect((await call()).status).toBe(200);
    const full = await call();
    expect(full.status).toBe(503);
    expect(reasonCode(full)).toBe('dpop_replay_cache_full');
    expect(full.headers['www-authenticate']).toBeUndefined();
    // Room comes when the first proof leaves: at most the window (max age + 2 skew) from now.
    const window = DEFAULT_DPOP_MAX_AGE_SECONDS + 2 * DEFAULT_DPOP_CLOCK_SKEW_SECONDS;
    const retryAfter = Number(full.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(window - 10);
    expect(retryAfter).toBeLessThanOrEqual(window);
    expect(auditRow(svc.db, full.body.decision_id as string)).toMatchObject({
      outcome: 'rejected',
      status: 503,
    });
  });
});

describe('a service without dpop configured', () => {
  let svc: TestService;
  const client = generateEcKeyPair();
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(() => svc.close());

  it('still refuses a bound token presented as Bearer: 401 dpop_required', async () => {
    const token = svc.token({ ...SUPPORT, cnf: dpopConfirmation(client) });
    const reply = await send(svc.url, {
      path: '/v1/decide',
      headers: [['authorization', `Bearer ${token}`]],
      body: SUPPORT_REPLY_CALL,
    });
    expect(reply.status).toBe(401);
    expect(reasonCode(reply)).toBe('dpop_required');
    expect(reply.headers['www-authenticate']).toBe(
      'Bearer error="invalid_token", error_description="dpop_required"',
    );
  });

  it('refuses the DPoP scheme, naming the setting: 401 token_malformed', async () => {
    const token = svc.token({ ...SUPPORT, cnf: dpopConfirmation(client) });
    const proof = dpopProof({ key: client, htm: 'POST', htu: `${svc.url}/v1/decide`, token });
    const reply = await send(svc.url, {
      path: '/v1/decide',
      headers: [
        ['authorization', `DPoP ${token}`],
        ['dpop', proof],
      ],
      body: SUPPORT_REPLY_CALL,
    });
    expect(reply.status).toBe(401);
    expect(reasonCode(reply)).toBe('token_malformed');
    expect((reply.body.reasons as { message: string }[])[0]!.message).toContain('dpop.public_urls');
  });

  it('keeps the Bearer challenge as it was', async () => {
    const reply = await send(svc.url, { path: '/v1/decide', headers: [], body: SUPPORT_REPLY_CALL });
    expect(reply.headers['www-authenticate']).toBe('Bearer realm="modelgate"');
  });
});

// The RFC 7638 example key (section 3.1) and its thumbprint: the helper that binds test tokens is itself right.
test('the test helper computes the RFC 7638 thumbprint of the RFC example key', () => {
  const n =
    '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw';
  expect(jwkThumbprint({ kty: 'RSA', n, e: 'AQAB' })).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  expect(createHash('sha256').update('x').digest('base64url')).toBe(accessTokenHash('x'));
});
