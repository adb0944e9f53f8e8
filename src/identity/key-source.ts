import type { KeyObject } from 'node:crypto';
import { AuthenticationError, ReasonCode } from '../errors';
import type { JwtAlgorithm } from '../schemas/issuer-config.schema';
import { keyFitsAlgorithm } from './algorithms';
import type { VerificationKey } from './trusted-issuer';

/** The header fields that choose a key; `alg` is already on the issuer's allowlist. */
export interface KeyRequest {
  alg: JwtAlgorithm;
  kid?: string;
}

/** Finds the key that verifies a token of one issuer. */
export interface KeySource {
  /** Returns the key for this header, or throws AuthenticationError `key_unknown`. */
  keyFor(request: KeyRequest): Promise<KeyObject>;
  /** Returns what the source holds now, for GET /v1/status and /ready. */
  held(): KeyHoldings;
}

/** The keys a source holds and whether they can verify tokens now; the keys themselves are never shown. */
export interface KeyHoldings {
  /** Empty before a key set was first fetched. */
  keys: readonly VerificationKey[];
  /** Unix ms from which the next token fetches the key set again; null for keys from configuration or none yet. */
  refreshDueMs: number | null;
  /** Unix ms until which the key set is served while its refresh fails; null as refreshDueMs. */
  usableUntilMs: number | null;
  /** Served past refreshDueMs because the refresh failed. */
  stale: boolean;
  /** False when tokens are refused for want of keys: none fetched yet, an empty set, or stale past usableUntilMs. */
  usable: boolean;
  /** The host (and port) the key set is fetched from; null when none is known or keys come from configuration. */
  jwksHost: string | null;
}

/** Why no key was chosen: `unknown` may be cured by refreshing a key set, `unfit` may not. */
export type KeyMiss = { miss: 'unknown' | 'unfit'; message: string };

/**
 * Returns the key a token header selects, or why none does.
 * With `matchKid`, a `kid` must name a key. A token without one may use the only key of the set that can
 * verify its `alg`: an issuer that publishes an RSA and an EC key but omits `kid` is still unambiguous, while
 * two keys that could both verify it are refused rather than tried in turn.
 * Without `matchKid` (a single PEM key or secret) the `kid` is irrelevant.
 */
export function selectKey(
  keys: readonly VerificationKey[],
  request: KeyRequest,
  matchKid: boolean,
): { key: KeyObject } | KeyMiss {
  if (matchKid && request.kid === undefined && keys.length !== 1) return unnamedKey(keys, request.alg);
  let named: readonly VerificationKey[] = keys;
  if (matchKid && request.kid !== undefined) {
    named = keys.filter((k) => k.kid === request.kid);
    if (named.length === 0) return { miss: 'unknown', message: 'no key matches the token kid' };
  }
  const fit = named.find((k) => keyCanVerify(k, request.alg));
  if (!fit) return { miss: 'unfit', message: `the selected key cannot verify ${request.alg}` };
  return { key: fit.key };
}

function unnamedKey(keys: readonly VerificationKey[], alg: JwtAlgorithm): { key: KeyObject } | KeyMiss {
  const fit = keys.filter((k) => keyCanVerify(k, alg));
  if (fit.length === 1) return { key: (fit[0] as VerificationKey).key };
  const count = fit.length === 0 ? 'no key' : `${fit.length} keys`;
  return { miss: 'unknown', message: `the token has no kid and ${count} of the key set can verify ${alg}` };
}

/** Keys known at start-up: a PEM file, a JWKS file, a shared secret, the development issuer. */
export class StaticKeySource implements KeySource {
  constructor(
    private readonly keys: readonly VerificationKey[],
    private readonly matchKid: boolean,
  ) {}

  /** Returns the configured key for this header, or throws `key_unknown`. */
  async keyFor(request: KeyRequest): Promise<KeyObject> {
    const selected = selectKey(this.keys, request, this.matchKid);
    if ('miss' in selected) throw new AuthenticationError(ReasonCode.KeyUnknown, selected.message);
    return selected.key;
  }

  /** Returns the configured keys: never refreshed, always usable (loading refused a source without keys). */
  held(): KeyHoldings {
    const usable = this.keys.length > 0;
    return { keys: this.keys, refreshDueMs: null, usableUntilMs: null, stale: false, usable, jwksHost: null };
  }
}

/** Returns whether a key may verify `alg`: its own `alg` (if it names one) agrees, and its type fits. */
export function keyCanVerify(key: VerificationKey, alg: JwtAlgorithm): boolean {
  return (key.alg === undefined || key.alg === alg) && keyFitsAlgorithm(key.key, alg);
}
