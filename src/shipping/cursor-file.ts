import { readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors';

/**
 * Where a sink stands: the seq of the last audit record it acknowledged, and that record's chain hash, so a restart
 * can tell the shipped log from another one at the same path. The hash is absent from cursors of earlier versions
 * and from one an operator wrote by hand.
 */
export interface Cursor {
  seq: number;
  hash?: string;
}

/**
 * A sink's cursor file. Written to a temporary file, fsynced and renamed over the old one, so a crash leaves the old
 * cursor or the new one, never a torn file; a restart resumes right after it.
 */
export class CursorFile {
  constructor(readonly file: string) {}

  /** Returns the saved cursor, or seq 0 when there is none yet (ship from the start of the log). */
  read(): Cursor {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { seq: 0 };
      throw new ConfigError(
        'decision_logs.cursor_dir',
        `cannot read ${this.file}: ${(err as Error).message}`,
      );
    }
    let saved: { seq?: unknown; hash?: unknown } | null = null;
    try {
      saved = JSON.parse(text) as { seq?: unknown; hash?: unknown } | null;
    } catch {
      saved = null;
    }
    const seq = saved?.seq;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
      throw new ConfigError('decision_logs.cursor_dir', `${this.file} holds no valid seq`);
    }
    const hash = saved?.hash;
    if (hash !== undefined && typeof hash !== 'string') {
      throw new ConfigError('decision_logs.cursor_dir', `${this.file} holds a hash that is not a string`);
    }
    return hash === undefined ? { seq } : { seq, hash };
  }

  /**
   * Saves the cursor durably (fsync of the file and of its folder). Asynchronous on purpose: an fsync on
   * the event loop would stall every decision in flight for as long as the disk takes.
   */
  async write(cursor: Cursor): Promise<void> {
    const temp = `${this.file}.tmp`;
    const file = await open(temp, 'w', 0o600);
    try {
      await file.writeFile(JSON.stringify({ ...cursor, at: new Date().toISOString() }));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, this.file);
    const dir = await open(path.dirname(this.file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
