import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { answersOfBoth, answersOfWasm } from '../../helpers/builtin-oracle';
import { publicJwk, signToken } from '../../helpers/tokens';

// A DER writer for RSA private keys no tool writes: primes of any size and count, CRT values left out.
function tlv(tag: number, content: Buffer): Buffer {
  const size = content.length;
  const digits: number[] = [];
  for (let rest = size; rest > 0; rest = Math.floor(rest / 256)) digits.unshift(rest % 256);
  const length = size < 0x80 ? [size] : [0x80 | digits.length, ...digits];
  return Buffer.concat([Buffer.from([tag, ...length]), content]);
}
const bytesOf = (value: bigint): Buffer => {
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
};
const derInt = (value: bigint): Buffer => {
  const bytes = bytesOf(value);
  return tlv(0x02, bytes[0]! >= 0x80 ? Buffer.concat([Buffer.alloc(1), bytes]) : bytes);
};
const derSeq = (...parts: Buffer[]): Buffer => tlv(0x30, Buffer.concat(parts));
const pemOf = (der: Buffer): string => {
  const lines = der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return `-----BEGIN RSA PRIVATE KEY-----\n${lines}\n-----END RSA PRIVATE KEY-----\n`;
};
/** A random odd number of `bytes` bytes, its top bit set: two of them keep Euclid's algorithm busy. */
const oddOf = (bytes: number): bigint => {
  const random = randomBytes(bytes);
  random[0]! |= 0x80;
  random[bytes - 1]! |= 1;
  return BigInt(`0x${random.toString('hex')}`);
};
/** The first `count` primes from 3 on: pairwise coprime, as Go's precomputation needs them. */
function smallPrimes(count: number): bigint[] {
  const found: number[] = [];
  for (let c = 3; found.length < count; c += 2) {
    if (found.every((p) => p * p > c || c % p !== 0)) found.push(c);
  }
  return found.map(BigInt);
}
/** A real 2048-bit RSA modulus, so that every check before the primes' arithmetic passes. */
function modulus(): { n: string; value: bigint } {
  const n = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }).n!;
  return { n, value: BigInt(`0x${Buffer.from(n, 'base64url').toString('hex')}`) };
}

// Work a caller's input could make unbounded fails the evaluation (a deny with policy_error): an undefined
// call would let a deny rule that depends on it pass.
describe('bounds on host builtins fail the evaluation, never a deny rule', () => {
  const failsEvaluation = (expr: string, input: unknown = {}) =>
    expect(answersOfBoth([{ expr }], input)).rejects.toThrow(/policy evaluation failed: .*more than/);

  it('net.cidr_expand of a network past 16,384 addresses', async () => {
    await failsEvaluation('"10.0.0.5" in net.cidr_expand(input.range)', { range: '10.0.0.0/16' });
  });

  it('numbers.range_step past 100,000 numbers', async () => {
    await failsEvaluation('count(numbers.range_step(0, input.n, 1))', { n: 200_000 });
  });

  it('json.patch whose copies double the document past 100,000 values', async () => {
    const copies = Array.from({ length: 22 }, (_, i) => ({ op: 'copy', from: '', path: `/k${i}` }));
    await failsEvaluation('json.patch(input.doc, input.ops)', { doc: { a: [1, 2, 3] }, ops: copies });
  });

  it('graph.reachable_paths on a graph with exponentially many paths', async () => {
    const graph: Record<string, string[]> = {};
    for (let layer = 0; layer < 18; layer++) {
      for (const side of ['a', 'b']) graph[`${side}${layer}`] = [`a${layer + 1}`, `b${layer + 1}`];
    }
    await failsEvaluation('count(graph.reachable_paths(input.graph, {"a0"}))', { graph });
  });

  it('a JWK set of more than 64 keys handed to io.jwt.verify_rs256', async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = signToken({ header: { alg: 'RS256' }, claims: { sub: 'x' }, key: pair.privateKey });
    const keys = JSON.stringify({ keys: Array.from({ length: 65 }, () => publicJwk(pair.publicKey)) });
    await failsEvaluation('io.jwt.verify_rs256(input.token, input.keys)', { token, keys });
  });

  // OPA is not asked: these bounds are modelgate's, and OPA's own evaluator spent over 2 minutes on the first key.
  const failsInWasm = (expr: string, input: unknown) =>
    expect(answersOfWasm([{ expr }], input)).rejects.toThrow(/policy evaluation failed: .*more than/);

  // A modular inverse of two 64-kbit numbers took 0.7 s, and the time grows with the square of their size: a
  // 1 MiB body made it minutes. Keys past 16,384 bits are refused before any arithmetic, as for verification.
  describe('RSA private keys whose primes are past 16,384 bits', () => {
    const { n, value } = modulus();
    const [p, q] = [oddOf(8192), oddOf(8192)];
    const pem = pemOf(derSeq(...[0n, value, 65537n, 3n, p, q].map(derInt)));

    it('crypto.parse_private_keys', async () => {
      await failsInWasm('crypto.parse_private_keys(input.pem)', { pem });
    });

    it('crypto.x509.parse_rsa_private_key', async () => {
      await failsInWasm('crypto.x509.parse_rsa_private_key(input.pem)', { pem });
    });

    it('io.jwt.encode_sign_raw', async () => {
      const [pText, qText] = [p, q].map((x) => bytesOf(x).toString('base64url'));
      const key = JSON.stringify({ kty: 'RSA', n, e: 'AQAB', d: 'Aw', p: pText, q: qText });
      await failsInWasm('io.jwt.encode_sign_raw(`{"alg":"RS256"}`, `{}`, input.key)', { key });
    });
  });

  // Go's precomputation keeps, for each prime past the second, the product of those before it: k primes give
  // k^2 / 2 of them in the result. 2,000 took a 35 kB key to a 7 MB result, 6,000 a 100 kB key to 73 MB in 5 s.
  it('crypto.parse_private_keys of a key whose primes multiply far past its modulus', async () => {
    const { value } = modulus();
    const [p, q, ...others] = smallPrimes(2000) as [bigint, bigint, ...bigint[]];
    const more = derSeq(...others.map((prime) => derSeq(derInt(prime), derInt(1n), derInt(1n))));
    const pem = pemOf(derSeq(...[1n, value, 65537n, 3n, p, q, 1n, 1n, 1n].map(derInt), more));
    await failsInWasm('count(crypto.parse_private_keys(input.pem))', { pem });
  });

  it('a result over 16 MiB', async () => {
    await failsEvaluation('count(regex.replace(input.s, "a", input.t))', {
      s: 'a'.repeat(1000),
      t: 'x'.repeat(20_000),
    });
  });
});

it('refuses an RSA key whose public exponent is past 2^31 - 1, as OPA does: slow to check, never issued', async () => {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const token = signToken({ header: { alg: 'RS256' }, claims: { sub: 'x' }, key: pair.privateKey });
  const huge = JSON.stringify({
    ...publicJwk(pair.publicKey),
    e: Buffer.alloc(384, 0xff).toString('base64url'),
  });
  const answers = await answersOfBoth(
    [
      { expr: 'io.jwt.verify_rs256(input.token, input.usual)' },
      { expr: 'io.jwt.verify_rs256(input.token, input.huge)' },
    ],
    { token, usual: JSON.stringify(publicJwk(pair.publicKey)), huge },
  );
  expect(answers.map((a) => [a.opa, a.wasm])).toEqual([
    [true, true],
    [undefined, undefined],
  ]);
});
