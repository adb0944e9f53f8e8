/**
 * jsonwebtoken verifies ES256 tokens; EdDSA, Ed25519 and Ed448 ones are verified by modelgate's own code, which
 * must check their claims as jsonwebtoken does. One table of claim and signature cases, each run against an ES256
 * token and an EdDSA-family token with the same claims: the reason code and the message must be the same, and
 * must be the one the table expects (so that two equal mistakes cannot pass).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createTokenVerifier, loadTrustedIssuers, type StartableTokenVerifier } from '../../src/identity';
import {
  base64url,
  buildJwks,
  generateEcKeyPair,
  generateOkpKeyPair,
  publicJwk,
  signToken,
  standardClaims,
  type TestKeyPair,
} from '../helpers/tokens';

const issuer = 'https://parity.example';
const NOW = 1_900_000_000;
const SKEW = 30;
const keys = {
  ES256: { pair: generateEcKeyPair('P-256'), other: generateEcKeyPair('P-256'), kid: 'ec' },
  EdDSA: { pair: generateOkpKeyPair('ed25519'), other: generateOkpKeyPair('ed25519'), kid: 'ed25519' },
  Ed25519: {
    pair: generateOkpKeyPair('ed25519'),
    other: generateOkpKeyPair('ed25519'),
    kid: 'ed25519-pinned',
  },
  Ed448: { pair: generateOkpKeyPair('ed448'), other: generateOkpKeyPair('ed448'), kid: 'ed448' },
};
type Alg = keyof typeof keys;
let dir: string;
let verifier: StartableTokenVerifier;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'modelgate-eddsa-parity-'));
  const jwks = buildJwks(
    ...Object.entries(keys).map(([alg, { pair, kid }]) => publicJwk(pair.publicKey, { kid, alg })),
  );
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify(jwks));
  const issuers = loadTrustedIssuers(
    [
      {
        issuer,
        audiences: ['modelgate', 'modelgate-eu'],
        algorithms: ['ES256', 'EdDSA', 'Ed25519', 'Ed448'],
        clock_skew_seconds: SKEW,
        jwks_file: 'jwks.json',
      },
    ],
    { baseDir: dir },
  );
  verifier = createTokenVerifier(issuers, { logger: pino({ level: 'silent' }), now: () => NOW * 1000 });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** How a case changes the genuine token: its claims, or the compact JWS once signed. */
interface Change {
  claims?: Record<string, unknown>;
  signWith?: (alg: Alg) => TestKeyPair;
  after?: (token: string) => string;
}

const [header, payload, signature] = [0, 1, 2];
const segment = (token: string, index: number) => token.split('.')[index]!;

/** Each case: what changes, and the outcome both tokens must have (`accepted`, or `code: message`). */
const cases: [string, Change, string][] = [
  ['the genuine token', {}, 'accepted'],
  [
    'an exp in the past, beyond the skew',
    { claims: { exp: NOW - SKEW - 1 } },
    'token_expired: token has expired',
  ],
  ['an exp in the past, inside the skew', { claims: { exp: NOW - SKEW + 1 } }, 'accepted'],
  ['an exp exactly skew seconds ago', { claims: { exp: NOW - SKEW } }, 'token_expired: token has expired'],
  ['an nbf in the future, inside the skew', { claims: { nbf: NOW + SKEW } }, 'accepted'],
  [
    'an nbf in the future, beyond the skew',
    { claims: { nbf: NOW + SKEW + 1 } },
    'token_not_yet_valid: token is not valid yet (nbf)',
  ],
  [
    'an aud of another service',
    { claims: { aud: 'billing' } },
    'audience_invalid: token aud "billing" is not accepted by this issuer',
  ],
  ['an aud array holding an accepted audience', { claims: { aud: ['billing', 'modelgate-eu'] } }, 'accepted'],
  [
    'an aud array holding none',
    { claims: { aud: ['billing', 'crm'] } },
    'audience_invalid: token aud ["billing","crm"] is not accepted by this issuer',
  ],
  [
    'no aud',
    { claims: { aud: undefined } },
    'audience_invalid: token has no aud claim naming an accepted audience',
  ],
  [
    'an iss of another issuer',
    { claims: { iss: 'https://evil.example' } },
    'issuer_unknown: token issuer "https://evil.example" is not trusted',
  ],
  [
    'an exp that is a string',
    { claims: { exp: String(NOW + 600) } },
    'token_malformed: token exp claim must be a number',
  ],
  [
    'an nbf that is a string',
    { claims: { nbf: String(NOW) } },
    'token_malformed: token nbf claim must be a number',
  ],
  ['an nbf of null', { claims: { nbf: null } }, 'token_malformed: token nbf claim must be a number'],
  [
    'a payload changed after signing',
    {
      after: (t) =>
        [
          segment(t, header),
          base64url({ ...decoded(t), sub: 'spiffe://corp/admin' }),
          segment(t, signature),
        ].join('.'),
    },
    'signature_invalid: token signature is invalid',
  ],
  [
    'a signature of another key of the same type',
    { signWith: (alg) => keys[alg].other },
    'signature_invalid: token signature is invalid',
  ],
  [
    'a signature cut short',
    { after: (t) => t.slice(0, -8) },
    'signature_invalid: token signature is invalid',
  ],
  [
    'a signature with one byte changed',
    {
      after: (t) => {
        const bytes = Buffer.from(segment(t, signature), 'base64url');
        bytes[5]! ^= 1;
        return `${segment(t, header)}.${segment(t, payload)}.${bytes.toString('base64url')}`;
      },
    },
    'signature_invalid: token signature is invalid',
  ],
  [
    'no signature',
    { after: (t) => t.slice(0, t.lastIndexOf('.') + 1) },
    'signature_invalid: token signature is invalid',
  ],
];

function decoded(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment(token, payload), 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

function tokenFor(alg: Alg, change: Change): string {
  const claims = Object.fromEntries(
    Object.entries(standardClaims({ issuer, audience: 'modelgate', nowSeconds: NOW }, change.claims)).filter(
      ([, value]) => value !== undefined,
    ),
  );
  const key = (change.signWith?.(alg) ?? keys[alg].pair).privateKey;
  const token = signToken({ header: { alg, typ: 'JWT', kid: keys[alg].kid }, claims, key });
  return change.after ? change.after(token) : token;
}

async function outcome(token: string): Promise<string> {
  try {
    await verifier.verify(token);
    return 'accepted';
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    return `${code}: ${message}`;
  }
}

it('has a case for every claim jsonwebtoken checks and for broken signatures', () => {
  expect(cases.length).toBeGreaterThanOrEqual(18);
});

describe.each<Alg>(['EdDSA', 'Ed25519', 'Ed448'])(
  'an %s token is refused or accepted as an ES256 one is',
  (alg) => {
    it.each(cases)('%s', async (_name, change, expected) => {
      const es256 = await outcome(tokenFor('ES256', change));
      const okp = await outcome(tokenFor(alg, change));
      expect({ es256, [alg]: okp }).toEqual({ es256: expected, [alg]: expected });
    });
  },
);
