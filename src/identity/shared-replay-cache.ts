/**
 * Where every replica claims the DPoP proofs it accepts, so that one proof is accepted once whichever replica it
 * reaches (RFC 9449 section 11.1 across replicas). Each replica's own DpopReplayCache stays in front of it.
 */
export interface SharedReplayCache {
  /**
   * Resolves true when `key` is now claimed for `windowMs` (no replica holds a live claim of it), false when a
   * replica does; rejects when the claim cannot be made, and the proof must then be refused.
   */
  claim(key: string, windowMs: number): Promise<boolean>;
}
