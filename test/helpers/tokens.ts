/**
 * Keys, key sets and tokens for tests. Tokens are assembled by hand (base64url segments + node:crypto
 * signatures) so that tests can build what no JWT library would sign: `alg: none`, forged headers,
 * HS256 keyed with an RSA public key PEM, broken segments.
 */
import {
  constants,
  createHmac,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  sign,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A generated asymmetric key pair, with the public key also as PEM (what a `public_key_file` holds). */
export interface TestKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicPem: string;
}

/** Returns a fresh RSA key pair (2048 bits unless asked). */
export function generateRsaKeyPair(modulusLength = 2048): TestKeyPair {
  return withPem(generateKeyPairSync('rsa', { modulusLength }));
}

/** Returns a fresh EC key pair on the named curve (P-256 unless asked). */
export function generateEcKeyPair(curve: 'P-256' | 'P-384' | 'P-521' = 'P-256'): TestKeyPair {
  return withPem(generateKeyPairSync('ec', { namedCurve: curve }));
}

/** Returns a fresh OKP key pair (RFC 8037): Ed25519 or Ed448 sign, X25519 and X448 are for key agreement only. */
export function generateOkpKeyPair(type: 'ed25519' | 'ed448' | 'x25519' | 'x448' = 'ed25519'): TestKeyPair {
  // One call per literal: the overloads of generateKeyPairSync take the type as a literal, not a union.
  if (type === 'ed448') return withPem(generateKeyPairSync('ed448'));
  if (type === 'x25519') return withPem(generateKeyPairSync('x25519'));
  if (type === 'x448') return withPem(generateKeyPairSync('x448'));
  return withPem(generateKeyPairSync('ed25519'));
}

/** Returns a random HS shared secret of `bytes` bytes, as base64url text (what a `secret_env` variable holds). */
export function generateHsSecret(bytes = 32): string {
  // base64url of n random bytes is longer than n: trim to exactly `bytes` characters (= bytes in UTF-8).
  return randomBytes(bytes).toString('base64url').slice(0, bytes);
}

/** Returns the public JWK of a key with optional kid / alg / use members. */
export function publicJwk(
  publicKey: KeyObject,
  members: { kid?: string; alg?: string; use?: string } = {},
): JsonWebKey {
  return { ...publicKey.export({ format: 'jwk' }), ...members };
}

/** Returns a JWKS document holding the given JWKs. */
export function buildJwks(...keys: JsonWebKey[]): { keys: JsonWebKey[] } {
  return { keys };
}

/** Returns base64url of a string or buffer, or of the JSON of anything else. */
export function base64url(value: unknown): string {
  if (typeof value === 'string') return Buffer.from(value, 'utf8').toString('base64url');
  if (Buffer.isBuffer(value)) return value.toString('base64url');
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** What {@link signToken} signs: any header (its `alg` picks the signature), any claims, a key. */
export interface SignTokenInput {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  /** A private KeyObject for RS/PS/ES/EdDSA; a secret (string, Buffer or secret KeyObject) for HS. Ignored for none. */
  key?: KeyObject | string | Buffer;
  /** Sign with this algorithm instead of `header.alg` (to forge a header that lies about the signature). */
  signAs?: string;
}

/** Returns a compact JWS built by hand; `alg: none` (any case) yields an empty signature. */
export function signToken(input: SignTokenInput): string {
  const signingInput = `${base64url(input.header)}.${base64url(input.claims)}`;
  const alg = String(input.signAs ?? input.header.alg);
  return `${signingInput}.${signature(alg, signingInput, input.key)}`;
}

/** Returns a token from three raw parts: strings are base64url-encoded as is, anything else as JSON. */
export function joinSegments(header: unknown, payload: unknown, signatureSegment = ''): string {
  return `${base64url(header)}.${base64url(payload)}.${signatureSegment}`;
}

/** Returns claims for a token that is valid now: iss, aud, sub, iat, exp (+1 h), jti; overrides win. */
export function standardClaims(
  base: { issuer: string; audience: string; nowSeconds?: number },
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const now = base.nowSeconds ?? Math.floor(Date.now() / 1000);
  return {
    iss: base.issuer,
    aud: base.audience,
    sub: 'spiffe://corp/ci/build-bot',
    iat: now,
    exp: now + 3600,
    jti: randomUUID(),
    ...overrides,
  };
}

function signature(alg: string, signingInput: string, key: KeyObject | string | Buffer | undefined): string {
  const data = Buffer.from(signingInput);
  if (alg.toLowerCase() === 'none') return '';
  if (key === undefined) throw new Error(`signToken: ${alg} needs a key`);
  // EdDSA (RFC 8037) and the fully-specified Ed25519 and Ed448 (RFC 9864) hash inside the signature scheme.
  if (['EdDSA', 'Ed25519', 'Ed448'].includes(alg)) {
    if (typeof key === 'string' || Buffer.isBuffer(key))
      throw new Error(`signToken: ${alg} needs a KeyObject`);
    return sign(null, data, key).toString('base64url');
  }
  const bits = alg.slice(2);
  const hash = `sha${bits}`;
  const family = alg.slice(0, 2);
  if (family === 'HS') return createHmac(hash, key).update(data).digest('base64url');
  if (typeof key === 'string' || Buffer.isBuffer(key)) throw new Error(`signToken: ${alg} needs a KeyObject`);
  if (family === 'RS') return sign(hash, data, key).toString('base64url');
  if (family === 'PS') {
    return sign(hash, data, {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    }).toString('base64url');
  }
  if (family === 'ES') return sign(hash, data, { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  throw new Error(`signToken: unsupported alg ${alg}`);
}

function withPem(pair: { privateKey: KeyObject; publicKey: KeyObject }): TestKeyPair {
  return { ...pair, publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** A real JWKS endpoint on 127.0.0.1 that counts the fetches it answers. */
export interface JwksServer {
  /** The key set URL, e.g. http://127.0.0.1:41234/jwks.json */
  url: string;
  /** How many times the key set was requested. */
  readonly fetchCount: number;
  setJwks(jwks: unknown): void;
  /** The Cache-Control header to send, or undefined for none. */
  setCacheControl(value: string | undefined): void;
  /** Answer with this HTTP status (and no key set) until set back to 200. */
  setStatus(status: number): void;
  /** Hold every request from now on unanswered, as an endpoint that hangs does, until {@link release}. */
  hold(): void;
  /** Answers the held requests with the current key set (those the client gave up on are dropped); stops holding. */
  release(): void;
  /** How many requests are held now and still open at the client. */
  readonly openHeld: number;
  close(): Promise<void>;
}

/** Starts a JWKS server on 127.0.0.1, port 0, serving `jwks` at /jwks.json. */
export async function startJwksServer(jwks: unknown): Promise<JwksServer> {
  let current = jwks;
  let cacheControl: string | undefined;
  let status = 200;
  let fetchCount = 0;
  let holding = false;
  const held = new Set<ServerResponse>();
  const answer = (response: ServerResponse) => {
    const headers: Record<string, string> = { 'content-type': 'application/jwk-set+json' };
    if (cacheControl !== undefined) headers['cache-control'] = cacheControl;
    response.writeHead(200, headers).end(JSON.stringify(current));
  };
  const server: Server = createServer((request, response) => {
    if (request.url !== '/jwks.json') {
      response.writeHead(404).end();
      return;
    }
    fetchCount += 1;
    if (holding) {
      held.add(response);
      response.on('close', () => held.delete(response));
      return;
    }
    if (status !== 200) {
      response.writeHead(status).end();
      return;
    }
    answer(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    get fetchCount() {
      return fetchCount;
    },
    setJwks: (next) => {
      current = next;
    },
    setCacheControl: (value) => {
      cacheControl = value;
    },
    setStatus: (next) => {
      status = next;
    },
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      for (const response of held) answer(response);
    },
    get openHeld() {
      return held.size;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
