/** The bounds a fetched document's Cache-Control is held to. */
export interface CacheLifetimeBounds {
  /** The longest a document is used, whatever its max-age says; also the lifetime without Cache-Control. */
  maxAgeMs: number;
  /** The shortest lifetime given, so that no-store or max-age=0 cannot make every request fetch again. */
  floorMs: number;
}

/**
 * Returns how long a fetched key set or metadata document may be used: its Cache-Control max-age when that is
 * shorter than our maximum (a provider announcing a rotation), the floor for no-store or no-cache, and our
 * maximum otherwise. A longer max-age never stretches the maximum: it is what bounds trust in a key that was
 * revoked at the source.
 */
export function cacheLifetimeMs(cacheControl: string | null, bounds: CacheLifetimeBounds): number {
  const { maxAgeMs, floorMs } = bounds;
  if (!cacheControl) return maxAgeMs;
  if (/\bno-(store|cache)\b/i.test(cacheControl)) return floorMs;
  const match = /\bmax-age\s*=\s*(\d+)/i.exec(cacheControl);
  if (!match) return maxAgeMs;
  return Math.min(maxAgeMs, Math.max(floorMs, Number(match[1]) * 1000));
}
