import { constants, createHash, createPublicKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { ModelgateClientError } from './client-errors';

/**
 * The algorithms the SDK signs DPoP proofs with: one per EC curve, PS256 or RS256 for RSA, and Ed25519 or EdDSA for
 * an Ed25519 key (modelgate also verifies Ed448, which the SDK does not sign with).
 */
export type DpopAlgorithm = 'ES256' | 'ES384' | 'ES512' | 'PS256' | 'RS256' | 'Ed25519' | 'EdDSA';

/** A client's DPoP key (RFC 9449): the private key its tokens are bound to, and how to sign with it. */
export interface DpopKey {
  /** An EC (P-256, P-384, P-521), RSA or Ed25519 private key, e.g. from `createPrivateKey(pem)`. */
  privateKey: KeyObject;
  /**
   * Default: ES256 for a P-256 key, ES384 / ES512 for P-384 / P-521, PS256 for an RSA key, Ed25519 for an Ed25519
   * key. Must fit the key: RS256 for RSA, EdDSA for Ed25519 are the only other choices.
   */
  algorithm?: DpopAlgorithm;
}

/** A kind of key the SDK signs with: how errors name it, and the algorithms it fits, its default first. */
interface KeyKind {
  name: string;
  algorithms: readonly DpopAlgorithm[];
}

const EC_KINDS: Record<string, KeyKind> = {
  prime256v1: { name: 'an EC P-256 key', algorithms: ['ES256'] },
  secp384r1: { name: 'an EC P-384 key', algorithms: ['ES384'] },
  secp521r1: { name: 'an EC P-521 key', algorithms: ['ES512'] },
};

const RSA_KIND: KeyKind = { name: 'an RSA key', algorithms: ['PS256', 'RS256'] };

// RFC 9864's fully-specified name by default, as the `dpop` package signs Ed25519 keys; EdDSA (RFC 8037's name,
// which RFC 9864 deprecates) for a service whose list holds only that one. modelgate takes both by default.
const ED25519_KIND: KeyKind = { name: 'an Ed25519 key', algorithms: ['Ed25519', 'EdDSA'] };

// The keys the SDK refuses, as its errors name them. Ed448 is left out on purpose: the SDK signs with one EdDSA
// curve, the common one. X25519 and X448 keys cannot sign at all.
const REFUSED_KEYS: Record<string, string> = {
  ed448: 'an Ed448 key',
  x25519: 'an X25519 key, which cannot sign (it is for key agreement)',
  x448: 'an X448 key, which cannot sign (it is for key agreement)',
  'rsa-pss': 'an RSA-PSS key',
  dsa: 'a DSA key',
  dh: 'a DH key, which cannot sign (it is for key agreement)',
};

/** Signs one DPoP proof per request with the client's key; the key never leaves the process. */
export class DpopSigner {
  private readonly algorithm: DpopAlgorithm;
  private readonly header: string;

  constructor(private readonly key: DpopKey) {
    // At construction, not at the first request: a key that cannot make a proof is a configuration mistake.
    this.algorithm = algorithmFor(key);
    // The public half only: createPublicKey drops every private member.
    const jwk = createPublicKey(key.privateKey).export({ format: 'jwk' });
    this.header = encode({ typ: 'dpop+jwt', alg: this.algorithm, jwk });
  }

  /**
   * Returns a proof for one request: its method and URL (query and fragment dropped), bound to the access token,
   * and carrying the server's nonce when one is given (RFC 9449 section 8).
   */
  proof(method: string, url: string, accessToken: string, nonce?: string): string {
    const htu = new URL(url);
    htu.search = '';
    htu.hash = '';
    const claims = encode({
      jti: randomUUID(),
      htm: method,
      htu: htu.href,
      iat: Math.floor(Date.now() / 1000),
      ath: createHash('sha256').update(accessToken, 'ascii').digest('base64url'),
      ...(nonce !== undefined && { nonce }),
    });
    const signingInput = `${this.header}.${claims}`;
    return `${signingInput}.${this.signature(signingInput)}`;
  }

  private signature(signingInput: string): string {
    const data = Buffer.from(signingInput, 'ascii');
    const key = this.key.privateKey;
    // EdDSA hashes inside the signature scheme (RFC 8032), so node:crypto takes no digest for it.
    if (ED25519_KIND.algorithms.includes(this.algorithm)) return sign(null, data, key).toString('base64url');
    const digest = `sha${this.algorithm.slice(2)}`;
    if (this.algorithm.startsWith('ES'))
      return sign(digest, data, { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    if (this.algorithm.startsWith('PS')) {
      const pss = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
      return sign(digest, data, { key, ...pss }).toString('base64url');
    }
    return sign(digest, data, key).toString('base64url');
  }
}

/** Returns the algorithm to sign with: the one asked for if it fits the key, else the key's default; throws if none. */
function algorithmFor({ privateKey, algorithm }: DpopKey): DpopAlgorithm {
  if (privateKey.type !== 'private') {
    throw new ModelgateClientError(
      `dpop.privateKey is a ${privateKey.type} key; a DPoP proof is signed with the private key`,
    );
  }
  const kind = keyKind(privateKey);
  if (algorithm === undefined) return kind.algorithms[0]!;
  if (!kind.algorithms.includes(algorithm)) {
    throw new ModelgateClientError(
      `dpop.algorithm ${algorithm} does not fit ${kind.name}: use ${kind.algorithms.join(' or ')}`,
    );
  }
  return algorithm;
}

function keyKind(key: KeyObject): KeyKind {
  const type = key.asymmetricKeyType;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (type === 'ec' && curve !== undefined && EC_KINDS[curve]) return EC_KINDS[curve];
  if (type === 'rsa') return rsaKind(key);
  if (type === 'ed25519') return ED25519_KIND;
  const name =
    type === 'ec'
      ? `an EC key on ${curve ?? 'an unnamed curve'}`
      : (REFUSED_KEYS[type ?? ''] ?? `a ${type} key`);
  throw new ModelgateClientError(
    `dpop.privateKey is ${name}; the SDK signs DPoP proofs with EC (P-256, P-384, P-521), RSA or Ed25519 keys`,
  );
}

// The bounds modelgate puts on a proof's RSA key (RFC 7518 section 3.3's floor; a ceiling on what a verify costs):
// a key outside them would sign proofs that are all refused, which is better said when the client is made.
const RSA_MIN_BITS = 2048;
const RSA_MAX_BITS = 8192;

function rsaKind(key: KeyObject): KeyKind {
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
    throw new ModelgateClientError(
      `dpop.privateKey is an RSA key of ${bits} bits; modelgate takes RSA keys of ${RSA_MIN_BITS} to ${RSA_MAX_BITS} bits`,
    );
  }
  return RSA_KIND;
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}
