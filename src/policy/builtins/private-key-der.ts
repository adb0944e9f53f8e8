import {
  DER,
  derChildren,
  derElement,
  derInt64,
  derInteger,
  derOid,
  expectUniversal,
  isUniversal,
  type DerElement,
} from './go-der';
import { EC_CURVES, publicPoint } from './ec-curves';
import { goRsaPrivateKey, type RsaPrivateKey } from './go-rsa-key';

/** A private key as Go's crypto/x509 parses it from a PEM block. */
export type ParsedPrivateKey =
  | ({ type: 'rsa' } & RsaPrivateKey)
  | { type: 'ec'; curveOid: string; d: Buffer; x: Buffer; y: Buffer }
  | { type: 'ed25519'; seed: Buffer }
  | { type: 'x25519'; d: Buffer };

const RSA_OID = '1.2.840.113549.1.1.1';
const EC_OID = '1.2.840.10045.2.1';
const ED25519_OID = '1.3.101.112';
const X25519_OID = '1.3.101.110';

/** Returns the key in a PEM block of one of the types OPA reads, or undefined for any other type. */
export function parsePrivateKeyBlock(type: string, der: Buffer): ParsedPrivateKey | undefined {
  if (type === 'RSA PRIVATE KEY') return parsePkcs1(der);
  if (type === 'PRIVATE KEY') return parsePkcs8(der);
  if (type === 'EC PRIVATE KEY') return parseSec1(undefined, der);
  return undefined;
}

// Go's ParsePKCS1PrivateKey: nothing may follow the structure, every number must be positive.
function parsePkcs1(der: Buffer): ParsedPrivateKey {
  const outer = derElement(der, 0);
  if (outer.end !== der.length) throw new Error('asn1: syntax error: trailing data');
  const fields = sequence(outer);
  const version = derInt64(fields[0]);
  const [n, e, d, p, q] = [
    derInteger(fields[1]),
    derInt64(fields[2]),
    derInteger(fields[3]),
    derInteger(fields[4]),
    derInteger(fields[5]),
  ];
  // Go's asn1 fills optional fields in order while the next element is an INTEGER, then looks for the others.
  const crt = fields.slice(6, 9);
  const given = crt.findIndex((f) => !isUniversal(f, DER.INTEGER));
  const [dp, dq, qi] = (given < 0 ? crt : crt.slice(0, given)).map((f) => derInteger(f));
  const others = otherPrimes(fields, 6 + (given < 0 ? crt.length : given));
  if (version > 1n) throw new Error('x509: unsupported private key version');
  if ([n, d, p, q, dp ?? 1n, dq ?? 1n, qi ?? 1n].some((x) => x <= 0n)) {
    throw new Error('x509: private key contains zero or negative value');
  }
  if (others.some((x) => x <= 0n)) throw new Error('x509: private key contains zero or negative prime');
  return { type: 'rsa', ...goRsaPrivateKey({ n, e, d, primes: [p, q, ...others], dp, dq, qi }) };
}

// The optional SEQUENCE OF {prime, exponent, coefficient}; only the primes are read, as Go reads them.
function otherPrimes(fields: DerElement[], at: number): bigint[] {
  const list = fields[at];
  if (!isUniversal(list, DER.SEQUENCE)) return [];
  return derChildren(list.content).map((entry) => {
    const parts = sequence(entry);
    derInteger(parts[1]);
    derInteger(parts[2]);
    return derInteger(parts[0]);
  });
}

// Go's ParsePKCS8PrivateKey: RSA, EC on a curve it knows, Ed25519 and X25519; other algorithms fail.
function parsePkcs8(der: Buffer): ParsedPrivateKey {
  const fields = sequence(derElement(der, 0));
  derInt64(fields[0]);
  const algorithm = sequence(fields[1]);
  const oid = derOid(algorithm[0]);
  const parameters = algorithm[1];
  const inner = expectUniversal(fields[2], DER.OCTET_STRING).content;
  if (oid === RSA_OID) return parsePkcs1(inner);
  if (oid === EC_OID) {
    const curve = isUniversal(parameters, DER.OID) ? derOid(parameters) : undefined;
    return parseSec1(curve, inner);
  }
  if (oid === ED25519_OID || oid === X25519_OID) {
    if (parameters !== undefined) throw new Error('x509: invalid private key parameters');
    const bytes = expectUniversal(derElement(inner, 0), DER.OCTET_STRING).content;
    if (oid === X25519_OID) {
      if (bytes.length !== 32) throw new Error('crypto/ecdh: invalid private key size');
      return { type: 'x25519', d: Buffer.from(bytes) };
    }
    if (bytes.length !== 32) throw new Error('x509: invalid Ed25519 private key length');
    return { type: 'ed25519', seed: Buffer.from(bytes) };
  }
  throw new Error('x509: PKCS#8 wrapping contained private key with unknown algorithm');
}

// Go's parseECPrivateKey: version 1, a curve it knows (PKCS #8's, else the key's own), a scalar in [1, n).
function parseSec1(pkcs8Curve: string | undefined, der: Buffer): ParsedPrivateKey {
  const fields = sequence(derElement(der, 0));
  const version = derInt64(fields[0]);
  let scalar = expectUniversal(fields[1], DER.OCTET_STRING).content;
  const named = explicitField(fields, 2, 0, (inner) => derOid(inner));
  explicitField(fields, named.present ? 3 : 2, 1, (inner) => bitString(inner));
  const ownCurve = named.value;
  if (version !== 1n) throw new Error('x509: unknown EC private key version');
  const curveOid = pkcs8Curve ?? ownCurve;
  const curve = curveOid === undefined ? undefined : EC_CURVES[curveOid];
  if (curveOid === undefined || curve === undefined) throw new Error('x509: unknown elliptic curve');
  // Go takes scalars with leading zero bytes, and short ones, as OpenSSL once wrote them.
  while (scalar.length > curve.size) {
    if (scalar[0] !== 0) throw new Error('x509: invalid private key length');
    scalar = scalar.subarray(1);
  }
  const d = Buffer.concat([Buffer.alloc(curve.size - scalar.length), scalar]);
  // Go's ecdsa.ParseRawPrivateKey: the public point is d·G, whatever the structure's own public key says.
  return { type: 'ec', curveOid, d, ...publicPoint(curve, d) };
}

// An optional explicitly tagged field at `index`, as Go's asn1 matches one: its tag, and constructed unless
// empty (an empty one stands for the default, absent here).
function explicitField<T>(
  fields: DerElement[],
  index: number,
  tag: number,
  read: (inner: DerElement) => T,
): { present: boolean; value?: T } {
  const field = fields[index];
  const empty = field?.content.length === 0;
  if (field === undefined || field.cls !== 2 || field.tag !== tag || !(empty || field.constructed)) {
    return { present: false };
  }
  return { present: true, value: empty ? undefined : read(derElement(field.content, 0)) };
}

// Go's parseBitString: a count of unused bits (at most 7, and zero bits) before the bytes.
function bitString(element: DerElement): void {
  const bytes = expectUniversal(element, DER.BIT_STRING).content;
  const unused = bytes[0];
  if (unused === undefined) throw new Error('asn1: zero length BIT STRING');
  const last = bytes[bytes.length - 1]!;
  if (unused > 7 || (bytes.length === 1 && unused > 0) || (last & ((1 << unused) - 1)) !== 0) {
    throw new Error('asn1: invalid padding bits in BIT STRING');
  }
}

function sequence(element: DerElement | undefined): DerElement[] {
  return derChildren(expectUniversal(element, DER.SEQUENCE).content);
}
