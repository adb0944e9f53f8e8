/**
 * What GET /v1/status shows of each issuer's verification keys (verifier.keyStatus()) and when /ready warns
 * (issuerKeysWarning): real key sets and discovery documents served over HTTP on 127.0.0.1, a fake clock.
 */
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { KeyFetchErrorCode } from '../../src/errors';
import {
  createTokenVerifier,
  ensureDevIssuer,
  issuerKeysWarning,
  loadTrustedIssuers,
  type JwksClientLimits,
  type StartableTokenVerifier,
} from '../../src/identity';
import { issuerKeysStatusSchema } from '../../src/schemas/issuer-keys-status.schema';
import { compileValidator } from '../../src/schemas/validators';
import { startDocumentServer, type DocumentReply, type DocumentServer } from '../helpers/document-server';
import { buildJwks, generateHsSecret, generateRsaKeyPair, publicJwk } from '../helpers/tokens';

const ISSUER = 'https://idp.key-status.example';
const AUDIENCE = 'modelgate';
// The limits of remote-jwks-key-source.ts: a fetch at most every 30 s, a key set kept 10 min, served 1 h past that.
const REFETCH_MS = 30_000;
const MAX_AGE_MS = 10 * 60_000;
const STALE_IF_ERROR_MS = 60 * 60_000;
const pair = generateRsaKeyPair();
const validStatus = compileValidator(issuerKeysStatusSchema);

let docs: DocumentServer;
let clock: number;

beforeEach(async () => {
  docs = await startDocumentServer();
  clock = Date.parse('2026-11-29T10:00:00.000Z');
});

afterEach(() => docs.close());

function verifierFor(entries: unknown[], limits?: Partial<JwksClientLimits>): StartableTokenVerifier {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-key-status-'));
  writeFileSync(path.join(dir, 'rsa.pem'), pair.publicPem);
  writeFileSync(
    path.join(dir, 'jwks.json'),
    JSON.stringify(buildJwks(publicJwk(pair.publicKey, { kid: 'f1' }))),
  );
  const issuers = loadTrustedIssuers(entries, {
    baseDir: dir,
    env: { HS_SECRET: HS_SECRET_VALUE },
  });
  return createTokenVerifier(issuers, {
    logger: pino({ level: 'silent' }),
    now: () => clock,
    fetch: docs.fetch,
    ...(limits && { jwks: limits }),
  });
}

const HS_SECRET_VALUE = generateHsSecret();
const remote = (keys: Record<string, string>, issuer = ISSUER) => ({
  issuer,
  audiences: [AUDIENCE],
  algorithms: ['RS256'],
  ...keys,
});

function onlyStatus(verifier: StartableTokenVerifier) {
  const [status, ...others] = verifier.keyStatus();
  expect(others).toEqual([]);
  expect(validStatus.problems(status)).toEqual([]);
  return status!;
}

const iso = (ms: number) => new Date(ms).toISOString();

describe('keys from configuration', () => {
  it('show their source, count and kids, and never a secret or the name of its variable', () => {
    const verifier = verifierFor([
      remote({ public_key_file: 'rsa.pem' }, `${ISSUER}/pem`),
      remote({ jwks_file: 'jwks.json' }, `${ISSUER}/file`),
      { issuer: `${ISSUER}/hs`, audiences: [AUDIENCE], algorithms: ['HS256'], secret_env: 'HS_SECRET' },
    ]);
    const statuses = verifier.keyStatus();
    for (const status of statuses) expect(validStatus.problems(status)).toEqual([]);
    const fixed = {
      usable: true,
      stale: false,
      refresh_due_at: null,
      usable_until: null,
      jwks_host: null,
      fetches: [],
    };
    expect(statuses).toEqual([
      {
        issuer: `${ISSUER}/pem`,
        config_key: 'issuers[0]',
        key_source: 'public_key_file',
        keys: 1,
        kids: [],
        ...fixed,
      },
      {
        issuer: `${ISSUER}/file`,
        config_key: 'issuers[1]',
        key_source: 'jwks_file',
        keys: 1,
        kids: ['f1'],
        ...fixed,
      },
      {
        issuer: `${ISSUER}/hs`,
        config_key: 'issuers[2]',
        key_source: 'secret_env',
        keys: 1,
        kids: [],
        ...fixed,
      },
    ]);
    const shown = JSON.stringify(statuses);
    expect(shown).not.toContain(HS_SECRET_VALUE);
    expect(shown).not.toContain('HS_SECRET');
    expect(shown).not.toContain(pair.publicPem.split('\n')[1]!);
    expect(statuses.map(issuerKeysWarning)).toEqual([undefined, undefined, undefined]);
  });

  it('show the development issuer as such', () => {
    const dev = ensureDevIssuer(mkdtempSync(path.join(os.tmpdir(), 'mg-key-status-dev-')));
    const verifier = createTokenVerifier([dev], { logger: pino({ level: 'silent' }) });
    expect(onlyStatus(verifier)).toMatchObject({
      config_key: 'dev-issuer',
      key_source: 'development',
      usable: true,
      keys: 1,
      kids: [dev.kid],
    });
  });
});

describe('a jwks_url', () => {
  it('shows a failure with its code and status, then the keys once a fetch succeeds, then stale, then unusable', async () => {
    const url = `${docs.origin}/keys`;
    const startedAt = clock;
    docs.serve(url, { status: 503, text: 'upstream says: secret-body-text' });
    const verifier = verifierFor([remote({ jwks_url: url })]);

    await verifier.prefetchKeys();
    expect(docs.hits(url)).toBe(1);
    const failing = onlyStatus(verifier);
    expect(failing).toEqual({
      issuer: ISSUER,
      config_key: 'issuers[0]',
      key_source: 'jwks_url',
      usable: false,
      keys: 0,
      kids: [],
      stale: false,
      refresh_due_at: null,
      usable_until: null,
      jwks_host: new URL(docs.origin).host,
      fetches: [
        {
          document: 'jwks',
          last_success_at: null,
          last_failure: { at: iso(startedAt), code: 'key_fetch_http_status', http_status: 503 },
        },
      ],
    });
    expect(JSON.stringify(failing)).not.toContain('secret-body-text');
    expect(issuerKeysWarning(failing)).toBe(
      `issuers[0] has no verification keys: no key set fetched yet (last failure: jwks ` +
        `key_fetch_http_status 503 at ${iso(startedAt)}); its tokens are refused keys_unavailable until a fetch succeeds`,
    );

    docs.serve(url, { json: buildJwks(publicJwk(pair.publicKey, { kid: 'k1' }), publicJwk(pair.publicKey)) });
    clock += REFETCH_MS;
    const fetchedAt = clock;
    await verifier.prefetchKeys();
    const held = onlyStatus(verifier);
    expect(held).toMatchObject({
      usable: true,
      keys: 2,
      kids: ['k1'],
      stale: false,
      refresh_due_at: iso(fetchedAt + MAX_AGE_MS),
      usable_until: iso(fetchedAt + MAX_AGE_MS + STALE_IF_ERROR_MS),
      fetches: [
        {
          document: 'jwks',
          last_success_at: iso(fetchedAt),
          // The last failure stays, so that a flapping key set shows.
          last_failure: { at: iso(startedAt), code: 'key_fetch_http_status', http_status: 503 },
        },
      ],
    });
    expect(issuerKeysWarning(held)).toBeUndefined();

    // Due for refresh with nothing tried yet (keys are fetched on demand): neither stale nor unusable.
    docs.serve(url, { status: 500 });
    clock = fetchedAt + MAX_AGE_MS + STALE_IF_ERROR_MS + 1;
    expect(onlyStatus(verifier)).toMatchObject({ usable: true, stale: false });

    clock = fetchedAt + MAX_AGE_MS;
    await verifier.prefetchKeys();
    expect(onlyStatus(verifier)).toMatchObject({
      usable: true,
      stale: true,
      keys: 2,
      refresh_due_at: iso(fetchedAt + MAX_AGE_MS),
    });

    clock = fetchedAt + MAX_AGE_MS + STALE_IF_ERROR_MS;
    await verifier.prefetchKeys();
    const expired = onlyStatus(verifier);
    expect(expired).toMatchObject({ usable: false, stale: true, keys: 2, kids: ['k1'] });
    expect(issuerKeysWarning(expired)).toBe(
      `issuers[0] has no usable verification keys: its key set was served until ` +
        `${iso(fetchedAt + MAX_AGE_MS + STALE_IF_ERROR_MS)} and cannot be refreshed (last failure: jwks ` +
        `key_fetch_http_status 500 at ${iso(clock)}); its tokens are refused keys_unavailable`,
    );
  });

  it('shows the host only, never the path or query of the configured URL', async () => {
    const url = `${docs.origin}/keys?signature=query-secret`;
    docs.serve(url, { json: buildJwks(publicJwk(pair.publicKey, { kid: 'k1' })) });
    const verifier = verifierFor([remote({ jwks_url: url })]);
    await verifier.prefetchKeys();
    const status = onlyStatus(verifier);
    expect(status).toMatchObject({ usable: true, jwks_host: new URL(docs.origin).host });
    expect(JSON.stringify(status)).not.toContain('query-secret');
    expect(JSON.stringify(status)).not.toContain('/keys');
  });

  it('warns of a key set that holds no signature keys', async () => {
    const url = `${docs.origin}/keys`;
    docs.serve(url, { json: { keys: [] } });
    const verifier = verifierFor([remote({ jwks_url: url })]);
    await verifier.prefetchKeys();
    const status = onlyStatus(verifier);
    expect(status).toMatchObject({ usable: false, keys: 0, refresh_due_at: iso(clock + MAX_AGE_MS) });
    expect(status.fetches[0]).toMatchObject({ last_success_at: iso(clock), last_failure: null });
    expect(issuerKeysWarning(status)).toBe(
      `issuers[0] has no verification keys: its key set holds no signature keys; ` +
        'its tokens are refused key_unknown',
    );
  });
});

describe('failure codes', () => {
  const url = () => `${docs.origin}/keys`;
  it.each<[string, KeyFetchErrorCode, DocumentReply]>([
    ['not JSON', KeyFetchErrorCode.NotJson, { text: '<html>' }],
    ['larger than the limit', KeyFetchErrorCode.TooLarge, { json: { keys: [], pad: 'x'.repeat(2048) } }],
    [
      'a key set of one weak key',
      KeyFetchErrorCode.KeySetUnusable,
      { json: buildJwks(publicJwk(generateRsaKeyPair(1024).publicKey, { kid: 'weak' })) },
    ],
    ['not a key set', KeyFetchErrorCode.KeySetUnusable, { json: { hello: 'world' } }],
    [
      'a redirect (never followed)',
      KeyFetchErrorCode.Failed,
      { status: 302, headers: { location: 'https://elsewhere.example/keys' } },
    ],
  ])('a reply %s is %s', async (_what, code, reply) => {
    docs.serve(url(), reply);
    const verifier = verifierFor([remote({ jwks_url: url() })], { maxBytes: 1024 });
    await verifier.prefetchKeys();
    expect(docs.hits(url())).toBe(1);
    expect(onlyStatus(verifier).fetches).toEqual([
      { document: 'jwks', last_success_at: null, last_failure: { at: iso(clock), code, http_status: null } },
    ]);
  });

  describe('without a reply', () => {
    let tcp: TcpServer;
    const sockets: Socket[] = [];
    beforeEach(async () => {
      // Accepts connections and never answers.
      tcp = createTcpServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    });
    afterEach(async () => {
      for (const socket of sockets.splice(0)) socket.destroy();
      await new Promise((resolve) => tcp.close(resolve));
    });

    it('a server that does not answer in time is key_fetch_timeout; a closed port is key_fetch_failed', async () => {
      const silent = `http://127.0.0.1:${(tcp.address() as AddressInfo).port}/keys`;
      const closed = `http://127.0.0.1:${await closedPort()}/keys`;
      const verifier = createTokenVerifier(
        loadTrustedIssuers([remote({ jwks_url: silent }), remote({ jwks_url: closed }, `${ISSUER}/closed`)], {
          baseDir: __dirname,
        }),
        { logger: pino({ level: 'silent' }), now: () => clock, jwks: { timeoutMs: 200 } },
      );
      await verifier.prefetchKeys();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(verifier.keyStatus().map((s) => s.fetches[0]?.last_failure?.code)).toEqual([
        'key_fetch_timeout',
        'key_fetch_failed',
      ]);
    });
  });
});

// A port that was just free: nothing listens there, so a connection is refused.
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('a discovery_url', () => {
  it('shows the discovery failure beside the key set it kept from fetching, then the jwks_uri host', async () => {
    const discoveryUrl = `${docs.origin}/.well-known/openid-configuration`;
    // The key set lives on another host, as with most providers; the document server answers for it too.
    const jwksUri = 'https://keys.key-status.example/certs';
    docs.serve(discoveryUrl, { status: 500 });
    docs.serve(jwksUri, { json: buildJwks(publicJwk(pair.publicKey, { kid: 'd1' })) });
    const startedAt = clock;
    const verifier = verifierFor([remote({ discovery_url: discoveryUrl })]);

    await verifier.prefetchKeys();
    const failing = onlyStatus(verifier);
    expect(failing).toMatchObject({ key_source: 'discovery_url', usable: false, keys: 0, jwks_host: null });
    expect(failing.fetches).toEqual([
      {
        document: 'discovery',
        last_success_at: null,
        last_failure: { at: iso(startedAt), code: 'key_fetch_http_status', http_status: 500 },
      },
      {
        document: 'jwks',
        last_success_at: null,
        last_failure: { at: iso(startedAt), code: 'jwks_uri_unknown', http_status: null },
      },
    ]);
    expect(issuerKeysWarning(failing)).toContain(
      `(last failure: discovery key_fetch_http_status 500 at ${iso(startedAt)}; jwks jwks_uri_unknown at ${iso(startedAt)})`,
    );

    docs.serve(discoveryUrl, { json: { issuer: 'https://another.example', jwks_uri: jwksUri } });
    clock += REFETCH_MS;
    await verifier.prefetchKeys();
    expect(onlyStatus(verifier).fetches[0]?.last_failure).toMatchObject({
      code: 'discovery_issuer_mismatch',
    });

    docs.serve(discoveryUrl, {
      json: { issuer: ISSUER, jwks_uri: 'https://user:pw-secret@keys.example/certs' },
    });
    clock += REFETCH_MS;
    await verifier.prefetchKeys();
    const refused = onlyStatus(verifier);
    expect(refused.fetches[0]?.last_failure).toMatchObject({ code: 'discovery_document_invalid' });
    expect(JSON.stringify(refused)).not.toContain('pw-secret');

    docs.serve(discoveryUrl, { json: { issuer: ISSUER, jwks_uri: jwksUri } });
    clock += REFETCH_MS;
    await verifier.prefetchKeys();
    expect(onlyStatus(verifier)).toMatchObject({
      usable: true,
      keys: 1,
      kids: ['d1'],
      jwks_host: 'keys.key-status.example',
      fetches: [
        { document: 'discovery', last_success_at: iso(clock) },
        { document: 'jwks', last_success_at: iso(clock) },
      ],
    });
  });
});
