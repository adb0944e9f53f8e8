import { BuiltinLimitError } from './builtin';

/** An RSA private key's numbers as a PKCS #1 structure or a JWK gives them; CRT values may be missing. */
export interface RsaNumbers {
  n: bigint;
  e: bigint;
  d: bigint;
  primes: bigint[];
  dp?: bigint;
  dq?: bigint;
  qi?: bigint;
}

/** The CRT values Go keeps for each prime past the second of a multi-prime key. */
export interface CrtValue {
  exp: bigint;
  coeff: bigint;
  r: bigint;
}

/** An RSA private key as Go's crypto/rsa holds it once precomputed: every CRT value present. */
export interface RsaPrivateKey {
  n: bigint;
  e: bigint;
  d: bigint;
  primes: bigint[];
  dp: bigint;
  dq: bigint;
  qi: bigint;
  crtValues: CrtValue[];
}

/**
 * Returns the key as Go's rsa.PrivateKey.Precompute and Validate leave it, or throws where they fail: a
 * two-prime key must be consistent (p·q, the CRT exponents and coefficient, d) as FIPS 186-5 asks; a
 * multi-prime key is only checked as far as Go checks it.
 */
export function goRsaPrivateKey(numbers: RsaNumbers): RsaPrivateKey {
  checkSize(numbers);
  checkPublicKey(numbers.n, numbers.e);
  if (numbers.n <= 1n) throw new Error('crypto/rsa: modulus must be > 1');
  if (numbers.d < 0n || numbers.d >= numbers.n) throw new Error('crypto/rsa: d overflows the modulus');
  if (numbers.primes.length < 2) throw new Error('crypto/rsa: missing primes');
  if (numbers.primes.length > 2) return multiPrime(numbers);
  const [p, q] = numbers.primes as [bigint, bigint];
  if (p <= 1n || q <= 1n) throw new Error('crypto/rsa: modulus must be > 1');
  const given = numbers.dp !== undefined && numbers.dq !== undefined && numbers.qi !== undefined;
  if (!given && p % 2n === 0n) throw new Error('crypto/rsa: p is even');
  const dp = given ? numbers.dp! : numbers.d % (p - 1n);
  const dq = given ? numbers.dq! : numbers.d % (q - 1n);
  // Go takes q^(p-2) mod p, which for a prime p is q's inverse; the inverse is found in a fraction of the time.
  const qi = given ? numbers.qi! : modInverse(q, p);
  if (qi >= p) throw new Error('crypto/rsa: qInv overflows p');
  checkConsistent({ ...numbers, p, q, dp, dq, qi });
  return { n: numbers.n, e: numbers.e, d: numbers.d, primes: [p, q], dp, dq, qi, crtValues: [] };
}

/** The largest RSA modulus modelgate reads from a policy's input, as for verification; Go sets no bound. */
export const MAX_RSA_BITS = 16384;

// Checked before any arithmetic, which a caller's input could otherwise make unbounded: the inverse of two
// primes takes time quadratic in their size (two of 64 kbits, 0.8 s), and a multi-prime key's CRT values hold
// a product of the primes before each, quadratic in their number. A key's primes multiply to its modulus, so
// together they have at most one bit more each than it has.
function checkSize({ n, primes }: RsaNumbers): void {
  const primeBits = primes.reduce((sum, prime) => sum + bitLength(prime), 0);
  if (bitLength(n) > MAX_RSA_BITS || primeBits > MAX_RSA_BITS + primes.length) {
    throw new BuiltinLimitError(`an RSA key of more than ${MAX_RSA_BITS} bits`);
  }
}

/** Returns the bit length of a non-negative integer (Go's big.Int BitLen). */
export function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

function checkPublicKey(n: bigint, e: bigint): void {
  if (n % 2n === 0n) throw new Error('crypto/rsa: public modulus is even');
  if (e < 2n) throw new Error('crypto/rsa: public exponent too small or negative');
  if (e % 2n === 0n) throw new Error('crypto/rsa: public exponent is even');
  if (e > 2n ** 31n - 1n) throw new Error('crypto/rsa: public exponent too large');
}

// Go's checkPrivateKey for a two-prime key.
function checkConsistent(k: { n: bigint; e: bigint; d: bigint; p: bigint; q: bigint } & CrtParts): void {
  const { n, e, d, p, q, dp, dq, qi } = k;
  if (p >= n || q >= n) throw new Error('crypto/rsa: invalid prime');
  if ((p * q) % n !== 0n) throw new Error('crypto/rsa: p * q != n');
  if (p - 1n <= 1n || q - 1n <= 1n) throw new Error('crypto/rsa: invalid prime');
  if (dp >= p - 1n || (e * dp) % (p - 1n) !== 1n) throw new Error('crypto/rsa: invalid CRT exponent');
  if (dq >= q - 1n || (e * dq) % (q - 1n) !== 1n) throw new Error('crypto/rsa: invalid CRT exponent');
  if (((q % p) * qi) % p !== 1n) throw new Error('crypto/rsa: invalid CRT coefficient');
  if (d % (p - 1n) !== dp) throw new Error('crypto/rsa: d does not match dP');
  if (d % (q - 1n) !== dq) throw new Error('crypto/rsa: d does not match dQ');
  if (p === q) throw new Error('crypto/rsa: p == q');
  // Integer division, as Go's: for a modulus under 200 bits the bound is negative and never fails.
  const bound = Math.trunc(bitLength(n) / 2) - 100;
  if (bitLength(p > q ? p - q : q - p) <= bound) throw new Error('crypto/rsa: |p - q| too small');
  if (bitLength(d) <= Math.trunc(bitLength(n) / 2)) throw new Error('crypto/rsa: d too small');
}

interface CrtParts {
  dp: bigint;
  dq: bigint;
  qi: bigint;
}

// Go's precomputeLegacy: the CRT values are computed afresh from d (those given are dropped).
function multiPrime(numbers: RsaNumbers): RsaPrivateKey {
  const { primes, d } = numbers;
  if (primes.some((prime) => prime <= 1n)) throw new Error('crypto/rsa: prime factor is <= 1');
  const [p, q] = primes as [bigint, bigint];
  const qi = modInverse(q, p);
  const crtValues: CrtValue[] = [];
  let r = p * q;
  for (const prime of primes.slice(2)) {
    crtValues.push({ exp: d % (prime - 1n), coeff: modInverse(r, prime), r });
    r *= prime;
  }
  return { ...numbers, dp: d % (p - 1n), dq: d % (q - 1n), qi, crtValues };
}

// Go's big.Int ModInverse: nil (here a throw) when the two are not coprime.
function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [((a % m) + m) % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  if (oldR !== 1n) throw new Error('crypto/rsa: prime factors are not relatively prime');
  return ((oldS % m) + m) % m;
}
