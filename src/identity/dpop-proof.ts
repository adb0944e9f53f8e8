import { createPublicKey, type KeyObject } from 'node:crypto';
import { AuthenticationError, ReasonCode } from '../errors';
import type { JwtAlgorithm } from '../schemas/issuer-config.schema';
import { describeKey, isJwtAlgorithm, keyFamilyOf, keyFitsAlgorithm, weakKeyProblem } from './algorithms';
import { decodeUnverified, DPOP_PROOF } from './decode-token';
import { jwkThumbprint, thumbprintMembers } from './jwk-thumbprint';
import { jwsSignatureVerifies } from './jws-signature';
import { tokenType } from './token-type';

/** The claims of a DPoP proof whose form and signature checked out, and the thumbprint of the key that signed it. */
export interface DpopProof {
  /** RFC 7638 thumbprint of the proof's `jwk`: what the token's `cnf.jkt` must be. */
  jkt: string;
  jti: string;
  htm: string;
  htu: string;
  iat: number;
  ath: string;
  /** The `nonce` claim as sent (RFC 9449 section 8): checked only where nonces are in use, so not typed here. */
  nonce: unknown;
}

// A proof key is the caller's choice, not the operator's: these bound what one verify may cost. A public exponent
// as long as the modulus makes a verify a private-key operation (8 ms for 3072 bits, against 0.06 ms with 65537);
// real keys use 65537, and OpenSSL itself caps exponents at 64 bits only above 3072-bit moduli.
const RSA_MAX_PROOF_BITS = 8192;
const RSA_MAX_PUBLIC_EXPONENT = 2n ** 32n - 1n;

// RFC 7517 and 7518: the members that hold private or symmetric key material.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * Returns the claims of a DPoP proof after RFC 9449 section 4.3 steps 2 to 7: one well-formed JWS, `typ`
 * dpop+jwt, an asymmetric `alg` on the list, a `jwk` that is a public key fit for it and is the key `boundJkt`
 * names, a signature that verifies with it, and the claims a proof for a protected resource needs (step 3, with
 * `ath`). Throws `dpop_proof_invalid`, or `dpop_binding_mismatch` for another key. What the claims must equal
 * (method, URI, time, token) is the caller's to check.
 */
export function readDpopProof(
  proof: string,
  algorithms: readonly JwtAlgorithm[],
  boundJkt: string,
): DpopProof {
  const { header, payload } = decodeUnverified(proof, DPOP_PROOF);
  if (typeof header.typ !== 'string' || tokenType(header.typ) !== 'dpop+jwt') {
    throw invalid('DPoP proof typ header must be dpop+jwt');
  }
  const alg = header.alg;
  // The allowlist holds asymmetric algorithms only (the schema's enum); `none` and HS* are never on it.
  if (!isJwtAlgorithm(alg) || keyFamilyOf(alg) === 'hmac' || !algorithms.includes(alg)) {
    throw invalid(`DPoP proof alg must be one of ${algorithms.join(', ')}`);
  }
  if (header.crit !== undefined) throw invalid('DPoP proof has critical header parameters (crit)');
  const { key, jkt } = proofKey(header.jwk, alg, boundJkt);
  if (!jwsSignatureVerifies(proof, alg, key)) {
    throw invalid('DPoP proof signature does not verify with the key in its jwk header');
  }
  return { jkt, ...requiredClaims(payload), nonce: payload.nonce };
}

function proofKey(jwk: unknown, alg: JwtAlgorithm, boundJkt: string): { key: KeyObject; jkt: string } {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw invalid('DPoP proof jwk header must be a JSON object: the public key that signed it');
  }
  const members = jwk as Record<string, unknown>;
  // A private key in a header sent with every request is a leaked key: refuse it rather than use its public half.
  if (PRIVATE_MEMBERS.some((name) => Object.hasOwn(members, name))) {
    throw invalid('DPoP proof jwk header holds private key material; it must be a public key');
  }
  const required = thumbprintMembers(members);
  if (!required) throw invalid('DPoP proof jwk header must be an EC, RSA or OKP public key');
  // Before the key is built or used: a caller holding a stolen token would otherwise choose the key the signature
  // is verified with, and an RSA key with a huge exponent costs milliseconds per verify.
  const jkt = jwkThumbprint(required);
  if (jkt !== boundJkt) {
    throw new AuthenticationError(
      ReasonCode.DpopBindingMismatch,
      'DPoP proof is signed by a key other than the one the token is bound to (cnf.jkt)',
    );
  }
  let key: KeyObject;
  try {
    // Only the members that define the key: the thumbprint is of exactly these, so the key is too.
    key = createPublicKey({ key: { ...required }, format: 'jwk' });
  } catch {
    throw invalid('DPoP proof jwk header is not a usable public key');
  }
  if (!keyFitsAlgorithm(key, alg)) {
    throw invalid(`DPoP proof jwk header is ${describeKey(key)}, which cannot verify ${alg}`);
  }
  const weak = weakKeyProblem(key) ?? costlyKeyProblem(key);
  if (weak) throw invalid(`DPoP proof jwk header ${weak}`);
  return { key, jkt };
}

function costlyKeyProblem(key: KeyObject): string | undefined {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType !== 'rsa' || !details) return undefined;
  if ((details.modulusLength ?? 0) > RSA_MAX_PROOF_BITS) {
    return `is an RSA key of more than ${RSA_MAX_PROOF_BITS} bits`;
  }
  if ((details.publicExponent ?? 0n) > RSA_MAX_PUBLIC_EXPONENT) {
    return 'is an RSA key whose public exponent is above 2^32 - 1 (real keys use 65537)';
  }
  return undefined;
}

function requiredClaims(payload: Record<string, unknown>): Omit<DpopProof, 'jkt' | 'nonce'> {
  const { jti, htm, htu, iat, ath } = payload;
  if (typeof jti !== 'string' || jti === '') throw invalid('DPoP proof jti claim must be a non-empty string');
  if (typeof htm !== 'string' || htm === '') throw invalid('DPoP proof htm claim must be a non-empty string');
  if (typeof htu !== 'string' || htu === '') throw invalid('DPoP proof htu claim must be a non-empty string');
  if (typeof iat !== 'number' || !Number.isFinite(iat))
    throw invalid('DPoP proof iat claim must be a number');
  // RFC 9449 section 4.2: required when the proof goes with an access token, as every proof here does.
  if (typeof ath !== 'string' || ath === '') throw invalid('DPoP proof ath claim must be a non-empty string');
  return { jti, htm, htu, iat, ath };
}

function invalid(message: string): AuthenticationError {
  return new AuthenticationError(ReasonCode.DpopProofInvalid, message);
}
