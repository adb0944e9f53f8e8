import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors';
import { loadTrustedIssuers } from '../../src/identity';
import {
  buildJwks,
  generateEcKeyPair,
  generateHsSecret,
  generateOkpKeyPair,
  generateRsaKeyPair,
  publicJwk,
} from '../helpers/tokens';

const rsa = generateRsaKeyPair();
const ec = generateEcKeyPair('P-256');
// RFC 7518 §3.3: RSA keys under 2048 bits must not be used; 1024 is what old IdPs and copied examples have.
const weak = generateRsaKeyPair(1024);
const other = generateRsaKeyPair();
const ed25519 = generateOkpKeyPair('ed25519');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'modelgate-issuers-'));
  writeFileSync(join(dir, 'rsa.pem'), rsa.publicPem);
  writeFileSync(join(dir, 'ec.pem'), ec.publicPem);
  writeFileSync(join(dir, 'rsa-private.pem'), rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(
    join(dir, 'ec-jwks.json'),
    JSON.stringify(buildJwks(publicJwk(ec.publicKey, { kid: 'ec-1' }))),
  );
  writeFileSync(join(dir, 'not-json.json'), '{ keys: ');
  writeFileSync(join(dir, 'ed25519.pem'), ed25519.publicPem);
  writeFileSync(join(dir, 'ed448.pem'), generateOkpKeyPair('ed448').publicPem);
  writeFileSync(join(dir, 'x25519.pem'), generateOkpKeyPair('x25519').publicPem);
  writeFileSync(
    join(dir, 'ed-private-jwks.json'),
    JSON.stringify(buildJwks({ ...ed25519.privateKey.export({ format: 'jwk' }), kid: 'ed' })),
  );
  writeFileSync(
    join(dir, 'x25519-jwks.json'),
    JSON.stringify(buildJwks(publicJwk(generateOkpKeyPair('x25519').publicKey, { kid: 'x' }))),
  );
  writeFileSync(join(dir, 'rsa-1024.pem'), weak.publicPem);
  writeFileSync(
    join(dir, 'weak-jwks.json'),
    JSON.stringify(
      buildJwks(publicJwk(rsa.publicKey, { kid: 'ok' }), publicJwk(weak.publicKey, { kid: 'weak' })),
    ),
  );
  writeFileSync(
    join(dir, 'dup-kid-jwks.json'),
    JSON.stringify(
      buildJwks(publicJwk(rsa.publicKey, { kid: 'k' }), publicJwk(other.publicKey, { kid: 'k' })),
    ),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = { issuer: 'https://idp.example', audiences: ['modelgate'] };
const load = (entries: unknown, env: NodeJS.ProcessEnv = {}) =>
  loadTrustedIssuers(entries, { baseDir: dir, env });

/** Returns the ConfigError a load throws, failing the test when it throws nothing or something else. */
function configError(entries: unknown, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    load(entries, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, but the issuers loaded');
}

describe('loads', () => {
  test('a PEM issuer with a path relative to the config folder and the default 30 s skew', () => {
    const [issuer] = load([{ ...base, algorithms: ['RS256', 'PS256'], public_key_file: 'rsa.pem' }]);
    expect(issuer).toMatchObject({
      issuer: base.issuer,
      algorithms: ['RS256', 'PS256'],
      clockSkewSeconds: 30,
      source: 'issuers[0]',
    });
    expect(issuer?.keys).toMatchObject({ kind: 'static', matchKid: false });
  });

  test('an Ed25519 PEM issuer for EdDSA and Ed25519, and an Ed448 one for EdDSA and Ed448', () => {
    const issuers = load([
      { ...base, algorithms: ['EdDSA', 'Ed25519'], public_key_file: 'ed25519.pem' },
      {
        ...base,
        issuer: 'https://idp.example/448',
        algorithms: ['EdDSA', 'Ed448'],
        public_key_file: 'ed448.pem',
      },
    ]);
    expect(issuers.map((i) => i.algorithms)).toEqual([
      ['EdDSA', 'Ed25519'],
      ['EdDSA', 'Ed448'],
    ]);
  });

  test('a JWKS file issuer that chooses keys by kid', () => {
    const [issuer] = load([
      { ...base, algorithms: ['ES256'], jwks_file: 'ec-jwks.json', clock_skew_seconds: 0 },
    ]);
    expect(issuer?.clockSkewSeconds).toBe(0);
    expect(issuer?.keys).toMatchObject({ kind: 'static', matchKid: true, keys: [{ kid: 'ec-1' }] });
  });

  test('a JWKS URL issuer over https, and over http on a loopback host', () => {
    const issuers = load([
      { ...base, algorithms: ['RS256'], jwks_url: 'https://idp.example/.well-known/jwks.json' },
      { ...base, issuer: 'local', algorithms: ['RS256'], jwks_url: 'http://127.0.0.1:8080/jwks.json' },
    ]);
    expect(issuers.map((i) => i.keys.kind)).toEqual(['jwks_url', 'jwks_url']);
  });

  test('a discovery URL issuer over https, and over http on a loopback host', () => {
    const issuers = load([
      {
        ...base,
        algorithms: ['RS256'],
        discovery_url: 'https://idp.example/.well-known/openid-configuration',
      },
      {
        ...base,
        issuer: 'https://as.example/tenant',
        algorithms: ['ES256'],
        discovery_url: 'http://127.0.0.1:8080/.well-known/oauth-authorization-server/tenant',
      },
    ]);
    expect(issuers.map((i) => i.keys)).toEqual([
      { kind: 'discovery_url', url: 'https://idp.example/.well-known/openid-configuration' },
      { kind: 'discovery_url', url: 'http://127.0.0.1:8080/.well-known/oauth-authorization-server/tenant' },
    ]);
  });

  test('an HS issuer whose secret comes from the named environment variable', () => {
    const [issuer] = load([{ ...base, algorithms: ['HS256'], secret_env: 'CI_JWT_SECRET' }], {
      CI_JWT_SECRET: generateHsSecret(32),
    });
    expect(issuer?.keys).toMatchObject({ kind: 'static', matchKid: false });
  });
});

describe('refuses, naming the key', () => {
  const cases: [string, unknown, string, RegExp, NodeJS.ProcessEnv?][] = [
    ['a list that is not a list', { issuer: 'x' }, 'issuers', /list/],
    ['an empty list', [], 'issuers', /at least one/],
    ['an entry that is not an object', ['https://idp.example'], 'issuers[0]', /object/],
    [
      'an entry without a key source',
      [{ ...base, algorithms: ['RS256'] }],
      'issuers[0]',
      /exactly one of .*found none/,
    ],
    [
      'an entry with two key sources',
      [{ ...base, algorithms: ['RS256'], public_key_file: 'rsa.pem', jwks_url: 'https://idp.example/jwks' }],
      'issuers[0]',
      /found public_key_file and jwks_url/,
    ],
    [
      'a missing issuer',
      [{ audiences: ['m'], algorithms: ['RS256'], public_key_file: 'rsa.pem' }],
      'issuers[0].issuer',
      /required/,
    ],
    [
      'an empty audience list',
      [{ ...base, audiences: [], algorithms: ['RS256'], public_key_file: 'rsa.pem' }],
      'issuers[0].audiences',
      /./,
    ],
    [
      'an empty algorithm list',
      [{ ...base, algorithms: [], public_key_file: 'rsa.pem' }],
      'issuers[0].algorithms',
      /./,
    ],
    [
      'alg none',
      [{ ...base, algorithms: ['RS256', 'none'], public_key_file: 'rsa.pem' }],
      'issuers[0].algorithms[1]',
      /one of/,
    ],
    [
      'EdDSA with an RSA PEM',
      [{ ...base, algorithms: ['EdDSA'], public_key_file: 'rsa.pem' }],
      'issuers[0].algorithms',
      /EdDSA cannot be verified .*public_key_file \(an RSA key\)/,
    ],
    [
      'Ed448 with an Ed25519 PEM (RFC 9864: each name allows its own curve)',
      [{ ...base, algorithms: ['Ed448'], public_key_file: 'ed25519.pem' }],
      'issuers[0].algorithms',
      /Ed448 cannot be verified .*public_key_file \(an Ed25519 key\)/,
    ],
    [
      'EdDSA with an X25519 PEM (a key agreement key)',
      [{ ...base, algorithms: ['EdDSA'], public_key_file: 'x25519.pem' }],
      'issuers[0].algorithms',
      /EdDSA cannot be verified .*public_key_file \(an X25519 key\)/,
    ],
    [
      'an Ed25519 JWK with its private d',
      [{ ...base, algorithms: ['EdDSA'], jwks_file: 'ed-private-jwks.json' }],
      'issuers[0].jwks_file',
      /keys\[0\] contains private key material/,
    ],
    [
      'a JWKS file whose only OKP key is an X25519 one',
      [{ ...base, algorithms: ['EdDSA'], jwks_file: 'x25519-jwks.json' }],
      'issuers[0].jwks_file',
      /holds no signature keys/,
    ],
    [
      'alg EdDSA448, which no RFC names',
      [{ ...base, algorithms: ['EdDSA448'], public_key_file: 'ed448.pem' }],
      'issuers[0].algorithms[0]',
      /one of/,
    ],
    [
      'a skew above 300 s',
      [{ ...base, algorithms: ['RS256'], public_key_file: 'rsa.pem', clock_skew_seconds: 301 }],
      'issuers[0].clock_skew_seconds',
      /300/,
    ],
    [
      'an unknown property',
      [{ ...base, algorithms: ['RS256'], public_key_file: 'rsa.pem', secret: 'x' }],
      'issuers[0].secret',
      /not allowed/,
    ],
    [
      'a second entry for the same issuer',
      [
        { ...base, algorithms: ['RS256'], public_key_file: 'rsa.pem' },
        { ...base, algorithms: ['ES256'], public_key_file: 'ec.pem' },
      ],
      'issuers[1].issuer',
      /duplicates issuers\[0\]/,
    ],
    [
      'HS256 on a PEM issuer',
      [{ ...base, algorithms: ['RS256', 'HS256'], public_key_file: 'rsa.pem' }],
      'issuers[0].algorithms',
      /HS256.*only on an issuer with secret_env/,
    ],
    [
      'RS256 on a secret_env issuer',
      [{ ...base, algorithms: ['HS256', 'RS256'], secret_env: 'S' }],
      'issuers[0].algorithms',
      /only HS256, HS384, HS512; remove RS256/,
      { S: 'x'.repeat(64) },
    ],
    [
      'ES256 with an RSA PEM',
      [{ ...base, algorithms: ['ES256'], public_key_file: 'rsa.pem' }],
      'issuers[0].algorithms',
      /ES256 cannot be verified .*public_key_file \(an RSA key\)/,
    ],
    [
      'ES384 with a P-256 PEM',
      [{ ...base, algorithms: ['ES384'], public_key_file: 'ec.pem' }],
      'issuers[0].algorithms',
      /ES384 .*an EC P-256 key/,
    ],
    [
      'RS256 with an EC key in a JWKS',
      [{ ...base, algorithms: ['RS256'], jwks_file: 'ec-jwks.json' }],
      'issuers[0].algorithms',
      /RS256 cannot be verified .*jwks_file/,
    ],
    [
      'a private key as public_key_file',
      [{ ...base, algorithms: ['RS256'], public_key_file: 'rsa-private.pem' }],
      'issuers[0].public_key_file',
      /private key/,
    ],
    [
      'a key file that does not exist',
      [{ ...base, algorithms: ['RS256'], public_key_file: 'missing.pem' }],
      'issuers[0].public_key_file',
      /cannot read .*missing\.pem \(ENOENT\)/,
    ],
    [
      'a 1024-bit RSA PEM',
      [{ ...base, algorithms: ['RS256'], public_key_file: 'rsa-1024.pem' }],
      'issuers[0].public_key_file',
      /rsa-1024\.pem is an RSA key of 1024 bits; at least 2048 are required/,
    ],
    [
      'a 1024-bit RSA key in a JWKS file, beside a good one',
      [{ ...base, algorithms: ['RS256'], jwks_file: 'weak-jwks.json' }],
      'issuers[0].jwks_file',
      /keys\[1\] is an RSA key of 1024 bits/,
    ],
    [
      'two keys with one kid in a JWKS file',
      [{ ...base, algorithms: ['RS256'], jwks_file: 'dup-kid-jwks.json' }],
      'issuers[0].jwks_file',
      /keys\[1\] has the kid of keys\[0\]/,
    ],
    [
      'a JWKS file that is not JSON',
      [{ ...base, algorithms: ['RS256'], jwks_file: 'not-json.json' }],
      'issuers[0].jwks_file',
      /not JSON/,
    ],
    [
      'a JWKS URL over plain http to a remote host',
      [{ ...base, algorithms: ['RS256'], jwks_url: 'http://idp.example/jwks' }],
      'issuers[0].jwks_url',
      /https/,
    ],
    [
      'an entry with jwks_url and discovery_url',
      [
        {
          ...base,
          algorithms: ['RS256'],
          jwks_url: 'https://idp.example/jwks',
          discovery_url: 'https://idp.example/.well-known/openid-configuration',
        },
      ],
      'issuers[0]',
      /exactly one of public_key_file, jwks_file, jwks_url, discovery_url, secret_env \(found jwks_url and discovery_url\)/,
    ],
    [
      'a discovery URL over plain http to a remote host',
      [
        {
          ...base,
          algorithms: ['RS256'],
          discovery_url: 'http://idp.example/.well-known/openid-configuration',
        },
      ],
      'issuers[0].discovery_url',
      /https/,
    ],
    [
      'a discovery URL with credentials',
      [
        {
          ...base,
          algorithms: ['RS256'],
          discovery_url: 'https://u:p@idp.example/.well-known/openid-configuration',
        },
      ],
      'issuers[0].discovery_url',
      /credentials/,
    ],
    [
      'a discovery URL that is the issuer, not its metadata document',
      [{ ...base, algorithms: ['RS256'], discovery_url: 'https://idp.example/realms/corp' }],
      'issuers[0].discovery_url',
      /\/\.well-known\/ in its path/,
    ],
    [
      'a discovery URL with an HS algorithm',
      [
        {
          ...base,
          algorithms: ['HS256'],
          discovery_url: 'https://idp.example/.well-known/openid-configuration',
        },
      ],
      'issuers[0].algorithms',
      /secret_env/,
    ],
    [
      'a JWKS URL that is not http(s)',
      [{ ...base, algorithms: ['RS256'], jwks_url: 'file:///etc/jwks.json' }],
      'issuers[0].jwks_url',
      /./,
    ],
    [
      'a secret_env that is a secret, not a name',
      [{ ...base, algorithms: ['HS256'], secret_env: 'c2VjcmV0LXZhbHVl+/==' }],
      'issuers[0].secret_env',
      /pattern/,
    ],
    [
      'an unset secret_env variable',
      [{ ...base, algorithms: ['HS256'], secret_env: 'UNSET_SECRET' }],
      'issuers[0].secret_env',
      /UNSET_SECRET is not set/,
    ],
    [
      'a secret shorter than 32 bytes',
      [{ ...base, algorithms: ['HS256'], secret_env: 'SHORT' }],
      'issuers[0].secret_env',
      /31 bytes; at least 32/,
      { SHORT: 'x'.repeat(31) },
    ],
    [
      'a 32-byte secret for HS512',
      [{ ...base, algorithms: ['HS512'], secret_env: 'S' }],
      'issuers[0].secret_env',
      /at least 64/,
      { S: 'x'.repeat(32) },
    ],
  ];

  // A rest parameter: jest would take a fifth declared parameter for a `done` callback.
  test.each(cases)('%s', (...[, entries, key, message, env]) => {
    const error = configError(entries, env ?? {});
    expect(error.key).toBe(key);
    expect(error.message).toMatch(message);
  });

  test('a short secret without ever printing it', () => {
    const secret = generateHsSecret(20);
    const error = configError([{ ...base, algorithms: ['HS256'], secret_env: 'SHORT' }], { SHORT: secret });
    // Precondition: it failed for the length, not for something else.
    expect(error.key).toBe('issuers[0].secret_env');
    expect(error.message).not.toContain(secret);
  });
});

test('loads after a schema embedding the issuer schema was compiled in the shared Ajv (same $id)', async () => {
  await jest.isolateModulesAsync(async () => {
    // Fresh modules, and the embedding schema compiled first: the order in which the config loader runs.
    const { compileValidator } = await import('../../src/schemas/validators');
    const { issuerConfigSchema } = await import('../../src/schemas/issuer-config.schema');
    compileValidator({ type: 'array', items: issuerConfigSchema });
    const identity = await import('../../src/identity/issuer-config');
    const entries = [{ ...base, algorithms: ['RS256'], public_key_file: 'rsa.pem' }];
    expect(identity.loadTrustedIssuers(entries, { baseDir: dir })).toHaveLength(1);
  });
});
