/**
 * A running service whose identity providers fail at start-up and then recover: GET /v1/status shows each
 * issuer's failure and then its keys, and /ready warns while an issuer has no keys, answering 200 throughout.
 */
import { KeyFetchErrorCode } from '../../src/errors';
import { DEFAULT_JWKS_LIMITS } from '../../src/identity/remote-jwks-key-source';
import { readinessSchema } from '../../src/schemas/readiness.schema';
import { statusSchema } from '../../src/schemas/status.schema';
import { compileValidator } from '../../src/schemas/validators';
import { startDocumentServer } from '../helpers/document-server';
import {
  SUPPORT_REPLY_CALL,
  startTestService,
  TEST_AUDIENCE,
  TEST_ISSUER,
  testIssuerEntry,
} from '../helpers/service';
import {
  buildJwks,
  generateRsaKeyPair,
  publicJwk,
  signToken,
  standardClaims,
  startJwksServer,
} from '../helpers/tokens';

const JWKS_ISSUER = 'https://idp.key-status.example';
const DISCOVERY_ISSUER = 'https://sso.key-status.example/realms/corp';
// A key set is fetched at most once per refetch interval, whatever the reason: recovery waits for it.
const REFETCH_INTERVAL_MS = DEFAULT_JWKS_LIMITS.refetchIntervalMs;
const validStatus = compileValidator(statusSchema);
const validReadiness = compileValidator(readinessSchema);

interface IssuerKeys {
  issuer: string;
  usable: boolean;
  keys: number;
  kids: string[];
  fetches: { document: string; last_success_at: string | null; last_failure: { code: string } | null }[];
}

describe('issuer keys of a running service whose identity providers fail, then recover', () => {
  it(
    'shows each failure in /v1/status and a /ready warning while no keys are held, then the keys; /ready is 200 throughout',
    async () => {
      const pair = generateRsaKeyPair();
      const keySet = buildJwks(publicJwk(pair.publicKey, { kid: 'k1' }));
      const jwks = await startJwksServer(keySet);
      jwks.setStatus(500);
      const docs = await startDocumentServer();
      const discoveryUrl = `${docs.origin}/realms/corp/.well-known/openid-configuration`;
      const certsUrl = `${docs.origin}/realms/corp/certs`;
      docs.serve(discoveryUrl, { status: 503 });
      docs.serve(certsUrl, { json: keySet });
      const svc = await startTestService({
        issuers: [
          testIssuerEntry(),
          { issuer: JWKS_ISSUER, audiences: [TEST_AUDIENCE], algorithms: ['RS256'], jwks_url: jwks.url },
          {
            issuer: DISCOVERY_ISSUER,
            audiences: [TEST_AUDIENCE],
            algorithms: ['RS256'],
            discovery_url: discoveryUrl,
          },
        ],
      });
      const startedAt = Date.now();
      const operator = svc.token({ scope: 'modelgate:operate' });
      const issuerKeys = async () => {
        const reply = await svc.get('/v1/status', operator);
        expect(reply.status).toBe(200);
        expect(validStatus.problems(reply.body)).toEqual([]);
        const byIssuer = new Map((reply.body.issuer_keys as IssuerKeys[]).map((s) => [s.issuer, s]));
        return (issuer: string) => byIssuer.get(issuer)!;
      };
      const readiness = async () => {
        const reply = await svc.get('/ready');
        expect(validReadiness.problems(reply.body)).toEqual([]);
        return { status: reply.status, warnings: reply.body.warnings as string[] };
      };
      const tokenOf = (issuer: string) =>
        signToken({
          header: { alg: 'RS256', kid: 'k1' },
          claims: standardClaims(
            { issuer, audience: TEST_AUDIENCE },
            { sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' },
          ),
          key: pair.privateKey,
        });
      try {
        // Precondition: start-up tried both providers, and both failed.
        expect(jwks.fetchCount).toBe(1);
        expect(docs.hits(discoveryUrl)).toBe(1);
        expect(docs.hits(certsUrl)).toBe(0);

        const failing = await issuerKeys();
        expect(failing(TEST_ISSUER)).toMatchObject({ usable: true, keys: 1, fetches: [] });
        expect(failing(JWKS_ISSUER)).toMatchObject({
          key_source: 'jwks_url',
          usable: false,
          keys: 0,
          fetches: [
            {
              document: 'jwks',
              last_success_at: null,
              last_failure: { code: KeyFetchErrorCode.HttpStatus, http_status: 500 },
            },
          ],
        });
        expect(failing(DISCOVERY_ISSUER)).toMatchObject({
          key_source: 'discovery_url',
          usable: false,
          jwks_host: null,
          fetches: [
            {
              document: 'discovery',
              last_success_at: null,
              last_failure: { code: KeyFetchErrorCode.HttpStatus, http_status: 503 },
            },
            { document: 'jwks', last_failure: { code: KeyFetchErrorCode.JwksUriUnknown } },
          ],
        });

        const unready = await readiness();
        expect(unready.status).toBe(200);
        expect(unready.warnings).toHaveLength(2);
        expect(unready.warnings[0]).toMatch(
          /^issuers\[1\] has no verification keys: no key set fetched yet \(last failure: jwks key_fetch_http_status 500 at .+\); its tokens are refused keys_unavailable until a fetch succeeds$/,
        );
        expect(unready.warnings[1]).toContain(
          'issuers[2] has no verification keys: no key set fetched yet (last failure: discovery key_fetch_http_status 503 at ',
        );
        // /ready answers anyone: it names the entry, and only /v1/status (an auditor's) names the issuer.
        expect(JSON.stringify(unready.warnings)).not.toContain('key-status.example');
        expect(JSON.stringify(unready.warnings)).not.toContain(DISCOVERY_ISSUER);

        const refused = await svc.post('/v1/decide', SUPPORT_REPLY_CALL, tokenOf(JWKS_ISSUER));
        expect(refused.status).toBe(503);
        expect(refused.body).toMatchObject({ reasons: [{ code: 'keys_unavailable' }] });

        // Both providers recover; the next token of each fetches once the refetch interval has passed.
        jwks.setStatus(200);
        docs.serve(discoveryUrl, { json: { issuer: DISCOVERY_ISSUER, jwks_uri: certsUrl } });
        const readyWhileWaiting: number[] = [];
        while (Date.now() - startedAt < REFETCH_INTERVAL_MS + 500) {
          readyWhileWaiting.push((await readiness()).status);
          await new Promise((resolve) => setTimeout(resolve, 2_000));
        }
        expect(readyWhileWaiting.length).toBeGreaterThan(10);
        expect(readyWhileWaiting.every((status) => status === 200)).toBe(true);
        const recoveredAfter = new Date().toISOString();
        for (const issuer of [JWKS_ISSUER, DISCOVERY_ISSUER]) {
          const served = await svc.post('/v1/decide', SUPPORT_REPLY_CALL, tokenOf(issuer));
          expect({ issuer, status: served.status }).toEqual({ issuer, status: 200 });
        }

        const recovered = await issuerKeys();
        expect(recovered(JWKS_ISSUER)).toMatchObject({ usable: true, keys: 1, kids: ['k1'], stale: false });
        const [jwksFetch] = recovered(JWKS_ISSUER).fetches;
        expect((jwksFetch?.last_success_at ?? '') >= recoveredAfter).toBe(true);
        // The failure stays in view after the recovery, so that a flapping provider shows.
        expect(jwksFetch?.last_failure).toMatchObject({ code: KeyFetchErrorCode.HttpStatus });
        expect(recovered(DISCOVERY_ISSUER)).toMatchObject({
          usable: true,
          kids: ['k1'],
          jwks_host: new URL(docs.origin).host,
          fetches: [
            { document: 'discovery', last_failure: { code: KeyFetchErrorCode.HttpStatus } },
            { document: 'jwks', last_failure: { code: KeyFetchErrorCode.JwksUriUnknown } },
          ],
        });
        for (const fetch of recovered(DISCOVERY_ISSUER).fetches) {
          expect((fetch.last_success_at ?? '') >= recoveredAfter).toBe(true);
        }

        expect(await readiness()).toEqual({ status: 200, warnings: [] });
      } finally {
        await svc.close();
        await jwks.close();
        await docs.close();
      }
    },
    REFETCH_INTERVAL_MS + 30_000,
  );
});
