import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';

/** /ready warns below this much free space on the database volume unless configured. */
export const DEFAULT_DISK_WARN_FREE_MB = 1024;

/** The database volume's free space against the warning threshold. */
export interface DiskState {
  path: string;
  free_bytes: number | null;
  warn_below_bytes: number;
  /** False when free space is below the threshold: decisions still work, but not for long. */
  ok: boolean;
}

/**
 * Returns a probe of the free space where the database lives. A full disk makes every append fail,
 * and failed appends deny every caller (fail closed): operators need the warning before that.
 */
export function diskProbe(dbFile: string, warnFreeMb: number): () => DiskState {
  const dir = dirname(dbFile);
  const warnBelow = warnFreeMb * 1024 * 1024;
  return () => {
    let free: number | null = null;
    try {
      const stats = statfsSync(dir);
      free = stats.bavail * stats.bsize;
    } catch {
      // Unknown free space is reported as such, never as "ok".
    }
    return {
      path: dir,
      free_bytes: free,
      warn_below_bytes: warnBelow,
      ok: free !== null && free >= warnBelow,
    };
  };
}
