import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import pino from 'pino';
import { createTokenVerifier, loadTrustedIssuers } from '../../src/identity';
import { DEFAULT_JWKS_LIMITS } from '../../src/identity/remote-jwks-key-source';
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
import { parsePrometheusText, sampleValue, type Sample } from './prometheus-text';

const ROOT = path.resolve(__dirname, '..', '..');
const REMOTE_ISSUER = 'https://idp.key-metrics.example';
const FETCHES = 'modelgate_issuer_key_fetches_total';
const LAST_SUCCESS = 'modelgate_issuer_key_last_success_timestamp_seconds';
// A key set is fetched at most once per refetch interval, whatever the reason: recovery waits for it.
const REFETCH_INTERVAL_MS = DEFAULT_JWKS_LIMITS.refetchIntervalMs;

async function scrape(url: string): Promise<{ text: string; samples: Sample[] }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return { text, samples: parsePrometheusText(text) };
}

describe('issuer key-set metrics of a running service', () => {
  it(
    'count a failing key-set fetch, then its recovery, and move the last-success time',
    async () => {
      const pair = generateRsaKeyPair();
      const jwks = await startJwksServer(buildJwks(publicJwk(pair.publicKey, { kid: 'k1' })));
      jwks.setStatus(500);
      const svc = await startTestService({
        issuers: [
          testIssuerEntry(),
          { issuer: REMOTE_ISSUER, audiences: [TEST_AUDIENCE], algorithms: ['RS256'], jwks_url: jwks.url },
        ],
      });
      const startedAt = Date.now();
      const token = () =>
        signToken({
          header: { alg: 'RS256', kid: 'k1' },
          claims: standardClaims(
            { issuer: REMOTE_ISSUER, audience: TEST_AUDIENCE },
            { sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' },
          ),
          key: pair.privateKey,
        });
      try {
        // Precondition: start-up did try the key set, and the try failed.
        expect(jwks.fetchCount).toBe(1);
        const failing = (await scrape(svc.url)).samples;
        const issuer = { issuer: REMOTE_ISSUER, document: 'jwks' };
        expect(sampleValue(failing, FETCHES, { ...issuer, outcome: 'error' })).toBe(1);
        expect(sampleValue(failing, FETCHES, { ...issuer, outcome: 'ok' })).toBe(0);
        expect(sampleValue(failing, FETCHES, { ...issuer, outcome: 'refused' })).toBe(0);
        expect(sampleValue(failing, LAST_SUCCESS, { issuer: REMOTE_ISSUER })).toBeUndefined();
        // Static keys are never fetched: no series for them.
        expect(failing.some((s) => s.name === FETCHES && s.labels.issuer === TEST_ISSUER)).toBe(false);

        const refused = await svc.post('/v1/decide', SUPPORT_REPLY_CALL, token());
        expect(refused.status).toBe(503);
        expect(refused.body).toMatchObject({ allow: false, reasons: [{ code: 'keys_unavailable' }] });
        const afterRefusal = (await scrape(svc.url)).samples;
        expect(
          sampleValue(afterRefusal, 'modelgate_decision_reasons_total', { reason: 'keys_unavailable' }),
        ).toBe(1);

        jwks.setStatus(200);
        await new Promise((r) => setTimeout(r, REFETCH_INTERVAL_MS - (Date.now() - startedAt) + 500));
        const before = Date.now() / 1000;
        const served = await svc.post('/v1/decide', SUPPORT_REPLY_CALL, token());
        expect(served.status).toBe(200);
        expect(jwks.fetchCount).toBe(2);
        const recovered = await scrape(svc.url);
        expect(sampleValue(recovered.samples, FETCHES, { ...issuer, outcome: 'error' })).toBe(1);
        expect(sampleValue(recovered.samples, FETCHES, { ...issuer, outcome: 'ok' })).toBe(1);
        const lastSuccess = sampleValue(recovered.samples, LAST_SUCCESS, { issuer: REMOTE_ISSUER });
        expect(lastSuccess).toBeGreaterThanOrEqual(Math.floor(before));
        expect(lastSuccess).toBeLessThanOrEqual(Date.now() / 1000);

        const promtool = execFileSync(path.join(ROOT, 'scripts', 'ensure-promtool.sh'), {
          encoding: 'utf8',
        }).trim();
        const lint = spawnSync(promtool, ['check', 'metrics'], { input: recovered.text, encoding: 'utf8' });
        expect(lint.stdout + lint.stderr).toBe('');
      } finally {
        await svc.close();
        await jwks.close();
      }
    },
    REFETCH_INTERVAL_MS + 30_000,
  );
});

describe('issuer key-set fetch counts', () => {
  it('count a discovery document or key set that arrives but cannot be used as refused, per document', async () => {
    const docs = await startDocumentServer();
    const pair = generateRsaKeyPair();
    const discoveryUrl = `${docs.origin}/.well-known/openid-configuration`;
    const jwksUrl = `${docs.origin}/keys`;
    docs.serve(discoveryUrl, { json: { issuer: 'https://someone-else.example', jwks_uri: jwksUrl } });
    let clock = Date.now();
    const issuers = loadTrustedIssuers(
      [
        {
          issuer: REMOTE_ISSUER,
          audiences: [TEST_AUDIENCE],
          algorithms: ['RS256'],
          discovery_url: discoveryUrl,
        },
      ],
      { baseDir: __dirname },
    );
    const verifier = createTokenVerifier(issuers, {
      logger: pino({ level: 'silent' }),
      now: () => clock,
      fetch: docs.fetch,
    });
    const counts = () =>
      Object.fromEntries(
        (verifier.keyFetches()[0]?.counts ?? []).map((c) => [`${c.document} ${c.outcome}`, c.count]),
      );
    try {
      await verifier.prefetchKeys();
      // A discovery document naming another issuer is refused; the key set was then never asked for.
      expect(docs.hits(discoveryUrl)).toBe(1);
      expect(counts()).toEqual({
        'discovery ok': 0,
        'discovery error': 0,
        'discovery refused': 1,
        'jwks ok': 0,
        'jwks error': 1,
        'jwks refused': 0,
      });
      expect(verifier.keyFetches()[0]).toMatchObject({ issuer: REMOTE_ISSUER, lastSuccessMs: null });

      docs.serve(discoveryUrl, { json: { issuer: REMOTE_ISSUER, jwks_uri: jwksUrl } });
      docs.serve(jwksUrl, {
        json: buildJwks(publicJwk(generateRsaKeyPair(1024).publicKey, { kid: 'weak' })),
      });
      clock += REFETCH_INTERVAL_MS;
      await verifier.prefetchKeys();
      expect(counts()).toMatchObject({ 'discovery ok': 1, 'jwks refused': 1, 'jwks ok': 0 });

      docs.serve(jwksUrl, { json: buildJwks(publicJwk(pair.publicKey, { kid: 'k1' })) });
      clock += REFETCH_INTERVAL_MS;
      await verifier.prefetchKeys();
      expect(counts()).toMatchObject({ 'jwks ok': 1, 'jwks refused': 1, 'jwks error': 1 });
      expect(verifier.keyFetches()[0]?.lastSuccessMs).toBe(clock);
    } finally {
      await docs.close();
    }
  });
});
