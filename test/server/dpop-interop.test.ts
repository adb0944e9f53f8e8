/**
 * Proofs made by a DPoP client library, not by our own helpers: the `dpop` npm package (devDependency), in its own
 * process, with its own key pairs and thumbprints, against a real server. A mismatch in how either side encodes
 * the JWK, the thumbprint, `ath`, `htu` or an ECDSA signature would show here and nowhere else.
 */
import { auditRow } from '../helpers/audit-db';
import { startDpopLibraryClient, type DpopLibraryClient } from '../helpers/dpop-library';
import { startTestService, SUPPORT_REPLY_CALL, type TestService } from '../helpers/service';

const PUBLIC = 'https://modelgate.test';
const SUPPORT = { sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' };

describe('proofs from the dpop npm package', () => {
  let svc: TestService;
  const clients: DpopLibraryClient[] = [];
  beforeAll(async () => {
    svc = await startTestService({ dpop: { publicUrls: [PUBLIC] } });
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await svc.close();
  });

  const start = async (alg: string) => {
    const client = await startDpopLibraryClient(alg);
    clients.push(client);
    return client;
  };
  const decide = (token: string, proof: string) =>
    fetch(`${svc.url}/v1/decide`, {
      method: 'POST',
      headers: { authorization: `DPoP ${token}`, dpop: proof, 'content-type': 'application/json' },
      body: JSON.stringify(SUPPORT_REPLY_CALL),
    });

  // The library signs Ed25519 keys with RFC 9864's fully-specified alg, Ed25519, which the default list holds.
  it.each(['ES256', 'PS256', 'RS256', 'Ed25519'])(
    'takes a %s proof for a token bound to the thumbprint the library computed',
    async (alg) => {
      const client = await start(alg);
      const token = svc.token({ ...SUPPORT, cnf: { jkt: client.jkt } });
      const proof = await client.proof({ htu: `${PUBLIC}/v1/decide`, htm: 'POST', accessToken: token });
      const res = await decide(token, proof);
      const body = (await res.json()) as { allow: boolean; decision_id: string };
      expect(res.status).toBe(200);
      expect(body.allow).toBe(true);
      expect(auditRow(svc.db, body.decision_id)).toMatchObject({ outcome: 'allowed', subject: SUPPORT.sub });
      // The same proof again is a replay.
      expect((await decide(token, proof)).status).toBe(401);
    },
  );

  it("refuses the library's proof once the token is bound to another key", async () => {
    const client = await start('ES256');
    const other = await start('ES256');
    const token = svc.token({ ...SUPPORT, cnf: { jkt: other.jkt } });
    const proof = await client.proof({ htu: `${PUBLIC}/v1/decide`, htm: 'POST', accessToken: token });
    const res = await decide(token, proof);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { reasons: { code: string }[] }).reasons[0]!.code).toBe(
      'dpop_binding_mismatch',
    );
  });
});

describe('proofs from the dpop npm package, with server-provided nonces', () => {
  let svc: TestService;
  let client: DpopLibraryClient;
  beforeAll(async () => {
    svc = await startTestService({ dpop: { publicUrls: [PUBLIC], nonce: { required: true } } });
    client = await startDpopLibraryClient('ES256');
  });
  afterAll(async () => {
    client.close();
    await svc.close();
  });

  it("answers the library's proof without a nonce use_dpop_nonce, and takes its proof with the nonce handed out", async () => {
    const token = svc.token({ ...SUPPORT, cnf: { jkt: client.jkt } });
    const request = { htu: `${PUBLIC}/v1/decide`, htm: 'POST', accessToken: token };
    const decide = (proof: string) =>
      fetch(`${svc.url}/v1/decide`, {
        method: 'POST',
        headers: { authorization: `DPoP ${token}`, dpop: proof, 'content-type': 'application/json' },
        body: JSON.stringify(SUPPORT_REPLY_CALL),
      });
    const refused = await decide(await client.proof(request));
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('error="use_dpop_nonce"');
    const nonce = refused.headers.get('dpop-nonce');
    expect(nonce).not.toBeNull();

    const res = await decide(await client.proof({ ...request, nonce: nonce! }));
    const body = (await res.json()) as { allow: boolean; decision_id: string };
    expect(res.status).toBe(200);
    expect(body.allow).toBe(true);
    expect(auditRow(svc.db, body.decision_id)).toMatchObject({ outcome: 'allowed', subject: SUPPORT.sub });
  });
});
