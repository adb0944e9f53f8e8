import type { KeyObject } from 'node:crypto';
import type { JwtAlgorithm } from '../schemas/issuer-config.schema';

/** One key a token may be verified with; `kid` and `alg` come from the JWK when it names them. */
export interface VerificationKey {
  key: KeyObject;
  kid?: string;
  /** When the JWK pins an algorithm, the key verifies only that one. */
  alg?: string;
}

/** Where an issuer's keys come from once the configuration has been loaded. */
export type IssuerKeys =
  /** `matchKid`: a JWKS file chooses by kid; a PEM key or a secret is the only key and ignores it. */
  { kind: 'static'; keys: VerificationKey[]; matchKid: boolean } | { kind: 'jwks_url'; url: string };

/** A trusted issuer after validation and key loading: what the verifier works with. */
export interface TrustedIssuer {
  issuer: string;
  audiences: string[];
  algorithms: JwtAlgorithm[];
  clockSkewSeconds: number;
  keys: IssuerKeys;
  /** Where this entry came from, for logs: e.g. `issuers[2]` or `dev-issuer`. */
  source: string;
}
