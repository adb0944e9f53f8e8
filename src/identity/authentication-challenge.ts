import { ReasonCode } from '../errors';
import type { AuthScheme } from './parse-authorization';

// RFC 9449 section 7.1: a proof that fails section 4.3 is `invalid_dpop_proof`; every other refusal of a
// credential is RFC 6750's `invalid_token`.
const PROOF_CODES: ReadonlySet<string> = new Set([
  ReasonCode.DpopProofMissing,
  ReasonCode.DpopProofInvalid,
  ReasonCode.DpopProofStale,
  ReasonCode.DpopProofReplayed,
  ReasonCode.DpopBindingMismatch,
]);

// RFC 6750 section 3.1: a request that sent no credentials gets a challenge without an error code; the
// realm gives the challenge a parameter, as in the RFC's own example.
const NO_CREDENTIALS = 'realm="modelgate"';

// RFC 9449 section 9: a proof without the nonce the resource server requires, or with one it no longer takes.
const NONCE_CODES: ReadonlySet<string> = new Set([ReasonCode.DpopNonceMissing, ReasonCode.DpopNonceInvalid]);

/** What a challenge is built from. */
export interface ChallengeContext {
  /** The scheme the request used, if it sent an Authorization header. */
  scheme: AuthScheme | undefined;
  /** The DPoP proof algorithms accepted; empty when DPoP is not enabled. */
  dpopAlgorithms: readonly string[];
  /** For `scope_missing`: the scope the resource needs. */
  scope?: string;
}

/**
 * Returns the WWW-Authenticate value for a refused request: for a 401 without any token, the realm alone; for
 * any other 401, `invalid_token`, `invalid_dpop_proof` or `use_dpop_nonce` with the reason code as its
 * description; for a 403 `scope_missing`, `insufficient_scope` with the scope; else undefined. With DPoP enabled,
 * a request that used (or must use) DPoP gets a DPoP challenge with `algs`; any other gets the Bearer challenge
 * followed by a bare DPoP one, so that a client learns both schemes are taken (RFC 9449 section 7.2).
 */
export function authenticationChallenge(
  error: { code: string; status: number },
  context: ChallengeContext,
): string | undefined {
  let params: string;
  if (error.status === 401 && error.code === ReasonCode.TokenMissing) {
    params = NO_CREDENTIALS;
  } else if (error.status === 401) {
    params = `error="${errorOf(error.code)}", error_description="${error.code}"`;
  } else if (error.code === ReasonCode.ScopeMissing && context.scope !== undefined) {
    params = `error="insufficient_scope", scope="${context.scope}"`;
  } else {
    return undefined;
  }
  if (context.dpopAlgorithms.length === 0) return `Bearer ${params}`;
  const algs = `algs="${context.dpopAlgorithms.join(' ')}"`;
  const asDpop =
    context.scheme === 'dpop' ||
    PROOF_CODES.has(error.code) ||
    NONCE_CODES.has(error.code) ||
    error.code === ReasonCode.DpopRequired;
  return asDpop ? `DPoP ${params}, ${algs}` : `Bearer ${params}, DPoP ${algs}`;
}

function errorOf(code: string): string {
  if (NONCE_CODES.has(code)) return 'use_dpop_nonce';
  return PROOF_CODES.has(code) ? 'invalid_dpop_proof' : 'invalid_token';
}
