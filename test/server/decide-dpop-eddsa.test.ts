/**
 * DPoP proofs signed with EdDSA (RFC 8037), Ed25519 or Ed448 (RFC 9864) against a real server with the default
 * `dpop.algorithms`: the proof's `jwk` is an OKP key, its thumbprint hashes crv, kty and x. Proofs here are made by
 * hand (test/helpers/dpop.ts); dpop-interop.test.ts takes the `dpop` package's own Ed25519 proofs.
 */
import { auditRow } from '../helpers/audit-db';
import { dpopConfirmation, dpopProof, jwkThumbprint, publicJwkOf } from '../helpers/dpop';
import { startTestService, SUPPORT_REPLY_CALL, type Reply, type TestService } from '../helpers/service';
import { generateOkpKeyPair, type TestKeyPair } from '../helpers/tokens';

const PUBLIC = 'https://modelgate.test';
const SUPPORT = { sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' };
const DEFAULT_ALGS = 'ES256 ES384 ES512 EdDSA Ed25519 Ed448 PS256 PS384 PS512 RS256 RS384 RS512';

describe('EdDSA DPoP proofs against a real server', () => {
  let svc: TestService;
  const ed25519 = generateOkpKeyPair('ed25519');
  const ed448 = generateOkpKeyPair('ed448');
  const x25519 = generateOkpKeyPair('x25519');

  beforeAll(async () => {
    svc = await startTestService({
      dpop: { publicUrls: [PUBLIC] },
      // Each refusal's own record is asserted: record every anonymous rejection, none counted together.
      audit: { synchronous: 'FULL', anonymousRecordsPerMinute: 0 },
    });
  });
  afterAll(() => svc.close());

  const boundTo = (key: TestKeyPair) => svc.token({ ...SUPPORT, cnf: dpopConfirmation(key) });
  const decide = (token: string, proof: string): Promise<Reply> =>
    svc.post('/v1/decide', SUPPORT_REPLY_CALL, null, { authorization: `DPoP ${token}`, dpop: proof });
  const proof = (
    token: string,
    key: TestKeyPair,
    alg: string,
    extra: Partial<Parameters<typeof dpopProof>[0]> = {},
  ) => dpopProof({ key, alg, htm: 'POST', htu: `${PUBLIC}/v1/decide`, token, ...extra });

  it('binds tokens to the RFC 8037 thumbprint of an OKP key: crv, kty and x', () => {
    const jwk = publicJwkOf(ed25519);
    expect(Object.keys(jwk).sort()).toEqual(['crv', 'kty', 'x']);
    expect(dpopConfirmation(ed25519).jkt).toBe(jwkThumbprint(jwk));
  });

  it.each<[string, string, () => TestKeyPair]>([
    ['EdDSA', 'Ed25519', () => ed25519],
    ['EdDSA', 'Ed448', () => ed448],
    ['Ed25519', 'Ed25519', () => ed25519],
    ['Ed448', 'Ed448', () => ed448],
  ])('allows a %s proof by the bound %s key, recorded with its subject', async (alg, _curve, key) => {
    const token = boundTo(key());
    const dpop = proof(token, key(), alg);
    const reply = await decide(token, dpop);
    expect(reply.status).toBe(200);
    expect(reply.body.allow).toBe(true);
    expect(auditRow(svc.db, reply.body.decision_id as string)).toMatchObject({
      outcome: 'allowed',
      subject: SUPPORT.sub,
    });
    // The same proof again is a replay.
    expect((await decide(token, dpop)).body.reasons).toEqual([
      expect.objectContaining({ code: 'dpop_proof_replayed' }),
    ]);
  });

  it.each<[string, () => [string, string], string]>([
    [
      'an X25519 jwk (a key agreement key), for EdDSA',
      () => {
        const token = boundTo(x25519);
        return [token, proof(token, x25519, 'EdDSA', { signWith: ed25519 })];
      },
      'DPoP proof jwk header is an X25519 key, which cannot verify EdDSA',
    ],
    [
      'an Ed25519 jwk for alg Ed448',
      () => {
        const token = boundTo(ed25519);
        return [token, proof(token, ed25519, 'Ed448')];
      },
      'DPoP proof jwk header is an Ed25519 key, which cannot verify Ed448',
    ],
    [
      'an Ed448 jwk for alg Ed25519',
      () => {
        const token = boundTo(ed448);
        return [token, proof(token, ed448, 'Ed25519')];
      },
      'DPoP proof jwk header is an Ed448 key, which cannot verify Ed25519',
    ],
    [
      'an EdDSA signature by another Ed25519 key than the jwk',
      () => {
        const token = boundTo(ed25519);
        return [token, proof(token, ed25519, 'EdDSA', { signWith: generateOkpKeyPair('ed25519') })];
      },
      'DPoP proof signature does not verify with the key in its jwk header',
    ],
    [
      'an OKP jwk without x',
      () => {
        const token = boundTo(ed25519);
        return [token, proof(token, ed25519, 'EdDSA', { header: { jwk: { kty: 'OKP', crv: 'Ed25519' } } })];
      },
      'DPoP proof jwk header must be an EC, RSA or OKP public key',
    ],
    [
      'an OKP jwk with its private d',
      () => {
        const token = boundTo(ed25519);
        const jwk = ed25519.privateKey.export({ format: 'jwk' });
        return [token, proof(token, ed25519, 'EdDSA', { header: { jwk } })];
      },
      'DPoP proof jwk header holds private key material; it must be a public key',
    ],
  ])('refuses a proof with %s: 401 dpop_proof_invalid, recorded', async (_name, make, message) => {
    const [token, dpop] = make();
    const reply = await decide(token, dpop);
    expect(reply.status).toBe(401);
    expect(reply.body.reasons).toEqual([{ code: 'dpop_proof_invalid', message }]);
    expect(reply.headers.get('www-authenticate')).toBe(
      `DPoP error="invalid_dpop_proof", error_description="dpop_proof_invalid", algs="${DEFAULT_ALGS}"`,
    );
    expect(auditRow(svc.db, reply.body.decision_id as string)).toMatchObject({
      outcome: 'rejected',
      status: 401,
    });
  });

  it("refuses a valid EdDSA proof by a key other than the token's: 401 dpop_binding_mismatch", async () => {
    const token = boundTo(ed25519);
    const reply = await decide(token, proof(token, generateOkpKeyPair('ed25519'), 'EdDSA'));
    expect(reply.status).toBe(401);
    expect(reply.body.reasons).toEqual([expect.objectContaining({ code: 'dpop_binding_mismatch' })]);
  });
});
