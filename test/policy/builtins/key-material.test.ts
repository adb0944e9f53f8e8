import { HOST_BUILTINS } from '../../../src/policy/builtins';
import type { EvaluationContext } from '../../../src/policy/builtins/builtin';

// A JWK secret and a PEM body that a message must never quote: a call that fails is undefined in the policy,
// but a message that held key material would reach a log the day a caller printed it.
const SECRET = Buffer.from('very secret key material').toString('base64url');
const PEM_BODY = Buffer.from(`${'k'.repeat(40)}very secret key material`).toString('base64');

const failing: [string, unknown[]][] = [
  ['io.jwt.encode_sign_raw', ['{"alg":"HS256"}', '{}', `{"kty":"oct","k":${SECRET}}`]],
  ['io.jwt.encode_sign_raw', ['{"alg":"HS256"}', '{}', `{"keys":[{"kty":"oct","k":${SECRET}}]}`]],
  ['io.jwt.encode_sign_raw', ['{"alg":"RS256"}', '{}', `{"kty":"oct","k":"${SECRET}"}`]],
  [
    'io.jwt.encode_sign',
    [{ alg: 'ES256' }, {}, { kty: 'EC', crv: 'P-256', x: SECRET, y: SECRET, d: SECRET }],
  ],
  [
    'io.jwt.encode_sign',
    [{ alg: 'RS256' }, {}, { kty: 'RSA', n: SECRET, e: 'AQAB', d: SECRET, p: SECRET, q: SECRET }],
  ],
  ['io.jwt.encode_sign', [{ alg: 'EdDSA' }, {}, { kty: 'OKP', crv: 'Ed25519', x: SECRET, d: SECRET }]],
  [
    'crypto.parse_private_keys',
    [`-----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}\n-----END RSA PRIVATE KEY-----\n`],
  ],
  [
    'crypto.x509.parse_rsa_private_key',
    [`-----BEGIN PRIVATE KEY-----\n${PEM_BODY}\n-----END PRIVATE KEY-----\n`],
  ],
  ['crypto.x509.parse_rsa_private_key', [`${PEM_BODY}!`]],
];

const context: EvaluationContext = { nowNs: 0n, memo: new Map() };

function messageOf(name: string, args: unknown[]): string {
  try {
    HOST_BUILTINS[name]!(context, ...args);
  } catch (err) {
    return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  throw new Error(`${name} did not fail`);
}

it('quotes a JWK in its own error when JSON.parse fails (the hazard the builtins guard against)', () => {
  expect(() => JSON.parse(`{"kty":"oct","k":${SECRET}}`)).toThrow(SECRET.slice(0, 8));
});

it.each(failing)('%s fails without quoting key material', (name, args) => {
  const message = messageOf(name, args);
  expect(message).not.toContain(SECRET.slice(0, 8));
  expect(message).not.toContain('very secret');
  expect(message).not.toContain(PEM_BODY.slice(0, 16));
});
