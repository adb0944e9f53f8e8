import { constants, generateKeyPairSync, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { answersOfBoth, type BuiltinCase, describeAgainstOpa } from '../../helpers/builtin-oracle';

const UNDEFINED = 'leaves undefined, as OPA does';

const privateJwk = (key: KeyObject): JsonWebKey => key.export({ format: 'jwk' });
const pem = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }).toString();
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 });
const rsa512 = generateKeyPairSync('rsa', { modulusLength: 512 });
const rsaE3 = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 });
const ec256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const ec521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
const otherEc256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const otherEd = generateKeyPairSync('ed25519');
const x25519 = generateKeyPairSync('x25519');

const rsaJwk = privateJwk(rsa.privateKey);
const ecJwk = privateJwk(ec256.privateKey);
const flipLastByte = (b64: string): string => {
  const bytes = Buffer.from(b64, 'base64url');
  bytes[bytes.length - 1]! ^= 1;
  return bytes.toString('base64url');
};
const P256_ORDER = 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551';
// Bytes whose standard base64 holds + and /, written padded: jwx guesses the encoding from the text.
const stdSecret = Buffer.from([0xfb, 0xff, 0xbf, 0x01, 0x02]).toString('base64');

const keys: Record<string, unknown> = {
  oct: { kty: 'oct', k: Buffer.from('a shared secret').toString('base64url') },
  octStd: { kty: 'oct', k: stdSecret },
  octShort: { kty: 'oct', k: Buffer.from('42').toString('base64url') },
  octEmpty: { kty: 'oct', k: '' },
  octNoK: { kty: 'oct' },
  octBadBase64: { kty: 'oct', k: 'a' },
  octUpperKty: { KTY: 'oct', k: 'c2VjcmV0' },
  octWrongKty: { kty: 'OCT', k: 'c2VjcmV0' },
  octAlgKnown: { kty: 'oct', k: 'c2VjcmV0', alg: 'RSA-OAEP' },
  octAlgUnknown: { kty: 'oct', k: 'c2VjcmV0', alg: 'HS1024' },
  octKidNumber: { kty: 'oct', k: 'c2VjcmV0', kid: 5 },
  octKidNull: { kty: 'oct', k: 'c2VjcmV0', kid: null },
  octKeyOps: { kty: 'oct', k: 'c2VjcmV0', key_ops: ['sign', 'whatever'] },
  octKeyOpsString: { kty: 'oct', k: 'c2VjcmV0', key_ops: 'sign' },
  octX5cGarbage: { kty: 'oct', k: 'c2VjcmV0', x5c: ['Z2FyYmFnZQ=='] },
  octExtra: { kty: 'oct', k: 'c2VjcmV0', extra: { nested: [1, 2] } },
  octWithD: { kty: 'oct', k: 'c2VjcmV0', d: 'eA' },
  octPaddedUrl: { kty: 'oct', k: 'c2VjcmV0MQ==' },
  octLineBreak: { kty: 'oct', k: 'c2Vj\ncmV0' },
  rsa: rsaJwk,
  rsaWithAlg: { ...rsaJwk, alg: 'RS256', kid: 'k1', use: 'sig' },
  rsa1024: privateJwk(rsa1024.privateKey),
  rsa512: privateJwk(rsa512.privateKey),
  rsaNoCrt: { kty: 'RSA', n: rsaJwk.n, e: rsaJwk.e, d: rsaJwk.d, p: rsaJwk.p, q: rsaJwk.q },
  rsaSomeCrt: { ...rsaJwk, qi: undefined },
  rsaWrongDp: { ...rsaJwk, dp: rsaJwk.dq },
  rsaWrongD: { ...rsaJwk, d: flipLastByte(rsaJwk.d!) },
  rsaSwappedPrimes: { ...rsaJwk, p: rsaJwk.q, q: rsaJwk.p },
  rsaNoP: { ...rsaJwk, p: undefined },
  rsaEvenE: { ...rsaJwk, e: 'AQAA' },
  rsaE3: privateJwk(rsaE3.privateKey),
  rsaZeroPrefixN: {
    ...rsaJwk,
    n: Buffer.concat([Buffer.alloc(1), Buffer.from(rsaJwk.n!, 'base64url')]).toString('base64url'),
  },
  rsaPublic: rsa.publicKey.export({ format: 'jwk' }),
  rsaNullD: { ...rsa.publicKey.export({ format: 'jwk' }), d: null },
  ec256: ecJwk,
  ec384: privateJwk(ec384.privateKey),
  ec521: privateJwk(ec521.privateKey),
  ecOtherPoint: { ...ecJwk, x: privateJwk(otherEc256.privateKey).x, y: privateJwk(otherEc256.privateKey).y },
  ecOffCurve: { ...ecJwk, y: flipLastByte(ecJwk.y!) },
  ecZeroD: { ...ecJwk, d: Buffer.alloc(32).toString('base64url') },
  ecOrderD: { ...ecJwk, d: Buffer.from(P256_ORDER, 'hex').toString('base64url') },
  ecShortD: { ...ecJwk, d: Buffer.from(ecJwk.d!, 'base64url').subarray(1).toString('base64url') },
  ecUnknownCurve: { ...ecJwk, crv: 'secp256k1' },
  ecPublic: ec256.publicKey.export({ format: 'jwk' }),
  ed: privateJwk(ed.privateKey),
  edOtherX: { ...privateJwk(ed.privateKey), x: privateJwk(otherEd.privateKey).x },
  x25519: privateJwk(x25519.privateKey),
  set: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }, rsa.publicKey.export({ format: 'jwk' })] },
  setRsaFirst: { keys: [rsaJwk, { kty: 'oct', k: 'c2VjcmV0' }] },
  setPublicFirst: { keys: [rsa.publicKey.export({ format: 'jwk' }), { kty: 'oct', k: 'c2VjcmV0' }] },
  setBadSecond: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }, { kty: 'oct' }] },
  // A null d still makes the probe read a private key, which then has no d.
  setNullDSecond: {
    keys: [
      { kty: 'oct', k: 'c2VjcmV0' },
      { ...rsa.publicKey.export({ format: 'jwk' }), d: null },
    ],
  },
  setEmpty: { keys: [] },
  setNotList: { keys: 'c2VjcmV0' },
};

const input = {
  keys,
  rsaPem: pem(rsa.publicKey),
  rsa1024Pem: pem(rsa1024.publicKey),
  ec256Pem: pem(ec256.publicKey),
  ec384Pem: pem(ec384.publicKey),
  ec521Pem: pem(ec521.publicKey),
  otherEc256Pem: pem(otherEc256.publicKey),
  edPem: pem(ed.publicKey),
  octText: JSON.stringify(keys.oct),
  text: 'a string from the input',
  headers: { alg: 5 },
};

const CLAIMS = '{"iss": "joe", "exp": 1300819380, "http://example.com/is_root": true}';
const sign = (alg: string, key: string, payload = CLAIMS, extra = ''): BuiltinCase => ({
  expr: `io.jwt.encode_sign({"alg": "${alg}"${extra}}, ${payload}, input.keys.${key})`,
});
const raw = (header: string, payload: string, key = 'input.octText'): BuiltinCase => ({
  expr: `io.jwt.encode_sign_raw(${JSON.stringify(header)}, ${JSON.stringify(payload)}, ${key})`,
});
// PS* and ES* signatures are random: compared by their header, payload, length, and whether they verify.
const shape = (alg: string, key: string, pem: string): BuiltinCase => ({
  expr: [
    '[d[0], d[1], count(d[2]), valid] if {',
    `  t := io.jwt.encode_sign({"alg": "${alg}", "typ": "JWT"}, {"sub": "a"}, input.keys.${key})`,
    '  d := io.jwt.decode(t)',
    `  valid := io.jwt.verify_${alg.toLowerCase()}(t, input.${pem})`,
    '}',
  ].join('\n'),
});

const groups: Record<string, BuiltinCase[]> = {
  'signs HMAC, RSA PKCS #1 and EdDSA tokens to the byte': [
    sign('HS256', 'oct'),
    sign('HS384', 'oct'),
    sign('HS512', 'oct'),
    sign('HS256', 'octStd'),
    sign('HS256', 'octShort'),
    sign('HS256', 'set'),
    sign('RS256', 'rsa'),
    sign('RS384', 'rsa'),
    sign('RS512', 'rsa'),
    sign('RS256', 'rsaWithAlg'),
    sign('RS256', 'rsa1024'),
    sign('RS256', 'rsaNoCrt'),
    sign('RS256', 'rsaSomeCrt'),
    sign('RS256', 'setRsaFirst'),
    sign('EdDSA', 'ed'),
  ],
  'reads JWK members as jwx does': [
    sign('HS256', 'octUpperKty'),
    sign('HS256', 'octAlgKnown'),
    sign('HS256', 'octKidNull'),
    sign('HS256', 'octKeyOps'),
    sign('HS256', 'octExtra'),
    // jwx reads one JSON value from a lone key's text and ignores what follows.
    raw('{"alg":"HS256"}', '{}', '"{\\"kty\\": \\"oct\\", \\"k\\": \\"c2VjcmV0\\"} tail"'),
    sign('HS256', 'octWithD'),
    sign('HS256', 'octPaddedUrl'),
    sign('HS256', 'octLineBreak'),
    sign('RS256', 'rsaE3'),
    sign('RS256', 'rsaZeroPrefixN'),
  ],
  'writes header and payload as Go writes OPA values': [
    sign('HS256', 'oct', '{"a": 1.0, "b": 1e3, "c": 12345678901234567890123, "d": 0.1, "e": -0}'),
    sign('HS256', 'oct', '{"html": "<a href=\\"x\\">&</a>", "u": "é😀\\u2028", "ctl": "\\t\\n"}'),
    sign('HS256', 'oct', '{"z": 1, "a": {"y": [3, {"b": 2, "a": 1}], "x": null}, "m": false}'),
    sign('HS256', 'oct', '{"aud": {"saul", "bob"}, "iat": 1.678e15 / 1e6}'),
    sign('HS256', 'oct', 'input'),
    sign('HS256', 'oct', '{}', ', "typ": "JWT", "kid": "<&>", "x5t": "é"'),
    { expr: 'io.jwt.encode_sign({"alg": "HS256"}, input.text, input.keys.oct)' },
  ],
  'signs PS* and ES* tokens that verify, with OPA header, payload and length': [
    shape('PS256', 'rsa', 'rsaPem'),
    shape('PS384', 'rsa', 'rsaPem'),
    shape('PS512', 'rsa', 'rsaPem'),
    shape('PS384', 'rsa1024', 'rsa1024Pem'),
    shape('ES256', 'ec256', 'ec256Pem'),
    shape('ES384', 'ec384', 'ec384Pem'),
    shape('ES512', 'ec521', 'ec521Pem'),
    shape('ES256', 'ec384', 'ec384Pem'),
    // Go signs with d: the token verifies with d·G, not with the JWK's own x and y.
    shape('ES256', 'ecOtherPoint', 'ec256Pem'),
    shape('ES256', 'ecOtherPoint', 'otherEc256Pem'),
  ],
  'signs raw header and payload text as given, reading the header as jwx does': [
    raw('{"typ":"JWT",\r\n "alg":"HS256"}', '{"iss":"joe",\r\n "exp":1300819380}'),
    raw('{"alg":"HS256","alg":"RS256"}', '{}'),
    raw('{"alg":"HS256","x":1ee,"y":-nan}', '{}'),
    raw('{"alg":"HS\\u0032\\u0035\\u0036"}', '{}'),
    raw(' {"alg" : "HS256"} ', '{ }'),
    raw('{"typ":"text/plain","alg":"HS256"}', 'not json'),
    raw('{"typ":"text/plain","alg":"HS256"}', ''),
    raw('{"typ":"jwt","alg":"HS256"}', 'not json'),
    raw('{"alg":"HS256"}', '{}', '"{\\"keys\\": [{\\"kty\\": \\"oct\\", \\"k\\": \\"c2VjcmV0\\"}]}"'),
    raw('{"alg":"EdDSA"}', '{"a":1}', 'json.marshal(input.keys.ed)'),
    raw('{"alg":"RS256"}', '{"a":1}', 'json.marshal(input.keys.rsa)'),
    raw('{"alg":"HS256","typ":"JWT"}', '[1, 1e400, "\\ud800"]'),
    raw(
      '{"alg":"HS256"}',
      '{}',
      '"{\\"a\\": {\\"keys\\": []}, \\"kty\\": \\"oct\\", \\"k\\": \\"c2VjcmV0\\"}"',
    ),
  ],
  [UNDEFINED]: [
    sign('HS256', 'octEmpty'),
    sign('HS256', 'octNoK'),
    sign('HS256', 'octBadBase64'),
    sign('HS256', 'octWrongKty'),
    sign('HS256', 'octAlgUnknown'),
    sign('HS256', 'octKidNumber'),
    sign('HS256', 'octKeyOpsString'),
    sign('HS256', 'octX5cGarbage'),
    sign('HS256', 'rsa'),
    sign('RS256', 'oct'),
    sign('RS256', 'rsa512'),
    sign('RS256', 'rsaWrongDp'),
    sign('RS256', 'rsaWrongD'),
    sign('RS256', 'rsaSwappedPrimes'),
    sign('RS256', 'rsaNoP'),
    sign('RS256', 'rsaEvenE'),
    sign('RS256', 'rsaPublic'),
    sign('HS256', 'rsaNullD'),
    sign('PS512', 'rsa1024'),
    sign('ES256', 'rsa'),
    sign('ES256', 'ecOffCurve'),
    sign('ES256', 'ecZeroD'),
    sign('ES256', 'ecOrderD'),
    sign('ES256', 'ecShortD'),
    sign('ES256', 'ecUnknownCurve'),
    sign('ES256', 'ecPublic'),
    sign('EdDSA', 'edOtherX'),
    sign('EdDSA', 'x25519'),
    sign('EdDSA', 'ec256'),
    sign('HS256', 'setPublicFirst'),
    sign('HS256', 'setBadSecond'),
    sign('HS256', 'setNullDSecond'),
    sign('HS256', 'setEmpty'),
    sign('HS256', 'setNotList'),
    sign('none', 'oct'),
    sign('hs256', 'oct'),
    { expr: 'io.jwt.encode_sign(input.headers, {}, input.keys.oct)' },
    { expr: 'io.jwt.encode_sign(input.text, {}, input.keys.oct)' },
    { expr: 'io.jwt.encode_sign({"alg": "HS256"}, {}, input.text)' },
    raw('{"alg":"HS256"} tail', '{}'),
    raw('[{"alg":"HS256"}]', '{}'),
    raw('{"alg":5}', '{}'),
    raw('', '{}'),
    raw('{"alg":"HS256"}', 'not json'),
    raw('{"alg":"HS256","typ":"JWT"}', 'not json'),
    raw('{"alg":"HS256","typ":1}', 'not json'),
    raw('{"alg":"HS256"}', '{}', '"not json"'),
    raw('{"alg":"HS256"}', '{}', '"[]"'),
    raw(
      '{"alg":"HS256"}',
      '{}',
      '"{\\"keys\\": [{\\"kty\\": \\"oct\\", \\"k\\": \\"c2VjcmV0\\"}], \\"x\\": 1ee}"',
    ),
    raw('{"alg":"HS256"}', '{}', 'input.keys.oct'),
    { expr: 'io.jwt.encode_sign_raw(input.keys.oct, "{}", input.octText)' },
  ],
};

describeAgainstOpa(groups, UNDEFINED, input);

it('salts PS* signatures with as many bytes as the hash (RFC 7518 §3.5), as OPA does', async () => {
  const [answer] = await answersOfBoth(
    [{ expr: 'io.jwt.encode_sign({"alg": "PS384"}, {"sub": "a"}, input.keys.rsa)' }],
    input,
  );
  // node checks the salt's length exactly when told one.
  const saltOf = (token: unknown, saltLength: number): boolean => {
    const [header, payload, signature] = String(token).split('.') as [string, string, string];
    const options = { key: rsa.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength };
    return verify(
      'sha384',
      Buffer.from(`${header}.${payload}`),
      options,
      Buffer.from(signature, 'base64url'),
    );
  };
  expect([saltOf(answer?.opa, 48), saltOf(answer?.opa, 32)]).toEqual([true, false]);
  expect([saltOf(answer?.wasm, 48), saltOf(answer?.wasm, 32)]).toEqual([true, false]);
});
