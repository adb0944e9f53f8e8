import { constants, createHash, createPublicKey, randomUUID, sign, type KeyObject } from 'node:crypto';

/** The algorithms the SDK signs DPoP proofs with: one per EC and RSA key type (modelgate also verifies EdDSA). */
export type DpopAlgorithm = 'ES256' | 'ES384' | 'ES512' | 'PS256' | 'RS256';

/** A client's DPoP key (RFC 9449): the private key its tokens are bound to, and how to sign with it. */
export interface DpopKey {
  privateKey: KeyObject;
  /** Default: ES256 for a P-256 key, ES384 / ES512 for P-384 / P-521, PS256 for an RSA key. */
  algorithm?: DpopAlgorithm;
}

const CURVE_ALGORITHMS: Record<string, DpopAlgorithm> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
};

/** Signs one DPoP proof per request with the client's key; the key never leaves the process. */
export class DpopSigner {
  private readonly algorithm: DpopAlgorithm;
  private readonly header: string;

  constructor(private readonly key: DpopKey) {
    const curve = key.privateKey.asymmetricKeyDetails?.namedCurve;
    this.algorithm = key.algorithm ?? (curve ? CURVE_ALGORITHMS[curve] : undefined) ?? 'PS256';
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
    const digest = `sha${this.algorithm.slice(2)}`;
    const key = this.key.privateKey;
    if (this.algorithm.startsWith('ES'))
      return sign(digest, data, { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    if (this.algorithm.startsWith('PS')) {
      const pss = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
      return sign(digest, data, { key, ...pss }).toString('base64url');
    }
    return sign(digest, data, key).toString('base64url');
  }
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}
