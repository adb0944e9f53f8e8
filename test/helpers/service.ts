import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { startService, type RunningService } from '../../src/compose';
import type { Config } from '../../src/config/config';
import type { IssuerConfig } from '../../src/schemas/issuer-config.schema';
import { DEFAULT_BUNDLE } from './opa';
import { generateEcKeyPair, generateRsaKeyPair, signToken, standardClaims, type TestKeyPair } from './tokens';

export const TEST_ISSUER = 'https://idp.test';
export const TEST_AUDIENCE = 'modelgate';

/** A call the default policy allows for spiffe://corp/support/reply-bot with scope invoke:support. */
export const SUPPORT_REPLY_CALL = {
  invocation: {
    model: 'anthropic.claude-haiku',
    provider: 'bedrock',
    operation: 'chat',
    purpose: 'support-reply',
  },
};

/** A real modelgate on 127.0.0.1:<ephemeral>, with a real SQLite file in a fresh temp folder. */
export interface TestService extends RunningService {
  dir: string;
  db: string;
  rsa: TestKeyPair;
  ec: TestKeyPair;
  /** Signs an RS256 token for the test issuer; claims override the standard ones. */
  token(claims?: Record<string, unknown>): string;
  /** POSTs JSON with a bearer token (or none when token is null). */
  post(route: string, body: unknown, token?: string | null, headers?: Record<string, string>): Promise<Reply>;
  get(route: string, token?: string | null): Promise<Reply>;
}

export interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** Fetches a URL; the body parsed as JSON, or `{ raw: text }` when it is not JSON. */
export async function fetchReply(url: string, init: RequestInit): Promise<Reply> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { raw: text };
  }
  return { status: res.status, headers: res.headers, body };
}

/**
 * The test issuer's RS256 entry as startTestService trusts it (its key file is relative to the service's folder),
 * with `extra` settings: for a test that configures its own issuers and keeps this one.
 */
export function testIssuerEntry(extra: Partial<IssuerConfig> = {}): IssuerConfig {
  return {
    issuer: TEST_ISSUER,
    audiences: [TEST_AUDIENCE],
    algorithms: ['RS256'],
    public_key_file: 'rsa.pem',
    ...extra,
  };
}

/** Starts a service trusting an RSA (RS256) and an EC (ES256) key of the test issuer; silent unless given a logger. */
export async function startTestService(
  overrides: Partial<Config> = {},
  logger?: Logger,
): Promise<TestService> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-service-'));
  const rsa = generateRsaKeyPair();
  const ec = generateEcKeyPair();
  writeFileSync(path.join(dir, 'rsa.pem'), rsa.publicPem);
  writeFileSync(path.join(dir, 'ec.pem'), ec.publicPem);
  const issuers: IssuerConfig[] = [
    testIssuerEntry(),
    {
      issuer: `${TEST_ISSUER}/ec`,
      audiences: [TEST_AUDIENCE],
      algorithms: ['ES256'],
      public_key_file: 'ec.pem',
    },
  ];
  const config: Config = {
    port: 0,
    host: '127.0.0.1',
    db: path.join(dir, 'modelgate.db'),
    dataDir: path.join(dir, 'data'),
    bundle: DEFAULT_BUNDLE,
    entrypoint: 'modelgate/decision',
    defaultDecision: 'modelgate/decision',
    issuers,
    baseDir: dir,
    auditorScope: 'modelgate:audit',
    logLevel: 'silent',
    limits: { bodyBytes: 1024 * 1024, payloadChars: 256 * 1024, maxDepth: 32, maxArrayItems: 10_000 },
    redactionFormat: '[REDACTED:<class>]',
    audit: { synchronous: 'FULL' },
    reservationTtlSeconds: 86400,
    source: null,
    ...overrides,
  };
  const service = await startService(config, logger ?? pino({ level: 'silent' }));
  const request = (route: string, init: RequestInit) => fetchReply(`${service.url}${route}`, init);
  const auth = (token: string | null | undefined): Record<string, string> =>
    token ? { authorization: `Bearer ${token}` } : {};
  return {
    ...service,
    dir,
    db: config.db,
    rsa,
    ec,
    token: (claims = {}) =>
      signToken({
        header: { alg: 'RS256', typ: 'JWT' },
        claims: standardClaims({ issuer: TEST_ISSUER, audience: TEST_AUDIENCE }, claims),
        key: rsa.privateKey,
      }),
    post: (route, body, token, headers = {}) =>
      request(route, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth(token), ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    get: (route, token) => request(route, { headers: auth(token) }),
  };
}
