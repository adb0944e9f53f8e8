import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { answersOfBoth, type BuiltinAnswer } from '../../helpers/builtin-oracle';

type Format = 'pkcs1' | 'pkcs8' | 'sec1';
const pemOf = (key: KeyObject, type: Format): string => key.export({ type, format: 'pem' }).toString();
const derOf = (key: KeyObject, type: Format): Buffer => key.export({ type, format: 'der' });

/** Returns DER bytes as a PEM block of the given type, 64 characters a line. */
function pemBlock(type: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}

// A minimal DER writer, to build keys no tool writes: inconsistent, padded, without a curve.
function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length =
    n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}
function derInt(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  return tlv(0x02, Buffer.from(hex, 'hex'));
}
const derSeq = (...parts: Buffer[]): Buffer => tlv(0x30, Buffer.concat(parts));
const P256_OID = Buffer.from('06082a8648ce3d030107', 'hex');

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsa512 = generateKeyPairSync('rsa', { modulusLength: 512 });
const ec256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const ec521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
const ec224 = generateKeyPairSync('ec', { namedCurve: 'secp224r1' });
const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
const ed = generateKeyPairSync('ed25519');
const x25519 = generateKeyPairSync('x25519');
const multiPrime = execFileSync(
  'openssl',
  ['genpkey', '-algorithm', 'rsa', '-pkeyopt', 'rsa_keygen_bits:2048', '-pkeyopt', 'rsa_keygen_primes:3'],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
);

const big = (b64: string | undefined): bigint =>
  BigInt(`0x${Buffer.from(b64!, 'base64url').toString('hex')}`);
const rsaJwk = rsa.privateKey.export({ format: 'jwk' });
const [n, e, d, p, q, dp, dq, qi] = (['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'] as const).map((name) =>
  big(rsaJwk[name]),
) as [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];
const pkcs1 = (...numbers: bigint[]): string =>
  pemBlock('RSA PRIVATE KEY', derSeq(derInt(0n), ...numbers.map(derInt)));
const ecScalar = Buffer.from(ec256.privateKey.export({ format: 'jwk' }).d!, 'base64url');
const sec1 = (scalar: Buffer, withCurve = true): string =>
  pemBlock(
    'EC PRIVATE KEY',
    derSeq(derInt(1n), tlv(0x04, scalar), ...(withCurve ? [tlv(0xa0, P256_OID)] : [])),
  );
const P256_ORDER = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
const tamper = (pem: string): string => pem.replace(/\n(.)/, (_, c: string) => `\n${c === 'A' ? 'B' : 'A'}`);

const VALID: Record<string, string> = {
  pkcs1: pemOf(rsa.privateKey, 'pkcs1'),
  pkcs8Rsa: pemOf(rsa.privateKey, 'pkcs8'),
  rsa512: pemOf(rsa512.privateKey, 'pkcs1'),
  pkcs1WithoutCrt: pkcs1(n, e, d, p, q),
  multiPrime,
  sec1: pemOf(ec256.privateKey, 'sec1'),
  sec1WithParameters: `-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n${pemOf(ec256.privateKey, 'sec1')}`,
  sec1PaddedScalar: sec1(Buffer.concat([Buffer.alloc(1), ecScalar])),
  sec1ShortScalar: sec1(ecScalar.subarray(1)),
  pkcs8Ec384: pemOf(ec384.privateKey, 'pkcs8'),
  pkcs8Ec521: pemOf(ec521.privateKey, 'pkcs8'),
  pkcs8Ec224: pemOf(ec224.privateKey, 'pkcs8'),
  ed25519: pemOf(ed.privateKey, 'pkcs8'),
  x25519: pemOf(x25519.privateKey, 'pkcs8'),
  pkcs8TrailingData: pemBlock(
    'PRIVATE KEY',
    Buffer.concat([derOf(ed.privateKey, 'pkcs8'), Buffer.from([5, 0])]),
  ),
  several: `junk\n${pemOf(ed.privateKey, 'pkcs8')}${rsa.publicKey.export({ type: 'spki', format: 'pem' })}text between\n${pemOf(rsa512.privateKey, 'pkcs1')}`,
  base64: Buffer.from(pemOf(ec256.privateKey, 'sec1')).toString('base64'),
  publicOnly: rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  encryptedPkcs8: rsa.privateKey
    .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'x' })
    .toString(),
  tamperedBase64: pemOf(rsa512.privateKey, 'pkcs1').replace(/\n[A-Za-z0-9+/]/, '\n*'),
  nope: 'nope',
  notBase64: 'invalid',
};

const FAILING: Record<string, string> = {
  pkcs1TrailingData: pemBlock(
    'RSA PRIVATE KEY',
    Buffer.concat([derOf(rsa.privateKey, 'pkcs1'), Buffer.from([5, 0])]),
  ),
  pkcs1WrongDp: pkcs1(n, e, d, p, q, dq, dq, qi),
  pkcs1WrongQi: pkcs1(n, e, d, p, q, dp, dq, qi + 1n),
  pkcs1SwappedPrimes: pkcs1(n, e, d, q, p, dp, dq, qi),
  pkcs1EvenE: pkcs1(n, 65536n, d, p, q, dp, dq, qi),
  pkcs1Tampered: tamper(pemOf(rsa.privateKey, 'pkcs1')),
  encryptedPkcs1: rsa.privateKey
    .export({ type: 'pkcs1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'x' })
    .toString(),
  sec1WithoutCurve: sec1(ecScalar, false),
  sec1ZeroScalar: sec1(Buffer.alloc(32)),
  sec1OrderScalar: sec1(P256_ORDER),
  sec1LongScalar: sec1(Buffer.concat([Buffer.from([1]), ecScalar])),
  secp256k1: pemOf(k1.privateKey, 'sec1'),
  // Every block is parsed, so a faulty key after a good one fails the call, even parse_rsa_private_key's.
  goodThenFaulty: `${pemOf(ed.privateKey, 'pkcs8')}${sec1(P256_ORDER)}`,
  rsaPss: pemOf(generateKeyPairSync('rsa-pss', { modulusLength: 1024 }).privateKey, 'pkcs8'),
  ed448: pemOf(generateKeyPairSync('ed448').privateKey, 'pkcs8'),
  x448: pemOf(generateKeyPairSync('x448').privateKey, 'pkcs8'),
  dsa: pemOf(generateKeyPairSync('dsa', { modulusLength: 1024, divisorLength: 160 }).privateKey, 'pkcs8'),
};

const input = { ...VALID, ...FAILING, empty: '' };

// Big integers (Go's JSON of an RSA or EC key) compared exactly: quoted before parsing, members in any order.
function exactly(answer: unknown): unknown {
  if (typeof answer !== 'string') return answer;
  const quoted = answer.replace(/(?<=[:[,])(-?\d+)(?=[,\]}])/g, '"$1"');
  const sortKeys = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sortKeys)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
          )
        : v;
  return sortKeys(JSON.parse(quoted));
}

describe('crypto.parse_private_keys and crypto.x509.parse_rsa_private_key', () => {
  let answers: BuiltinAnswer[] = [];
  const names = Object.keys(input);

  beforeAll(async () => {
    const cases = names.flatMap((name) => [
      // json.marshal keeps every digit of Go's big integers.
      { expr: `json.marshal(crypto.parse_private_keys(input.${name}))` },
      { expr: `crypto.x509.parse_rsa_private_key(input.${name})` },
    ]);
    answers = await answersOfBoth(cases, input);
  });

  it('has OPA read every valid input and refuse every faulty one (the precondition)', () => {
    const defined = (name: string) =>
      answers.find((a) => a.expr === `json.marshal(crypto.parse_private_keys(input.${name}))`)?.opa !==
      undefined;
    expect(Object.keys(VALID).filter((name) => !defined(name))).toEqual([]);
    expect(Object.keys(FAILING).filter(defined)).toEqual([]);
  });

  it.each(names)('answers %s as OPA does, to the last digit', (name) => {
    for (const answer of answers.filter((a) => a.expr.includes(`(input.${name})`))) {
      expect({ expr: answer.expr, value: exactly(answer.wasm) }).toEqual({
        expr: answer.expr,
        value: exactly(answer.opa),
      });
    }
  });
});
