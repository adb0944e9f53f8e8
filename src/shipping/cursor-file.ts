import { readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors';

/**
 * A sink's cursor: the seq of the last audit record the sink acknowledged. Written to a temporary
 * file, fsynced and renamed over the old one, so a crash leaves the old cursor or the new one, never
 * a torn file; a restart resumes right after it.
 */
export class CursorFile {
  constructor(readonly file: string) {}

  /** Returns the saved seq, or 0 when there is no cursor yet (ship from the start of the log). */
  read(): number {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw new ConfigError(
        'decision_logs.cursor_dir',
        `cannot read ${this.file}: ${(err as Error).message}`,
      );
    }
    let seq: unknown;
    try {
      seq = (JSON.parse(text) as { seq?: unknown } | null)?.seq;
    } catch {
      seq = undefined;
    }
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
      throw new ConfigError('decision_logs.cursor_dir', `${this.file} holds no valid seq`);
    }
    return seq;
  }

  /**
   * Saves `seq` durably (fsync of the file and of its folder). Asynchronous on purpose: an fsync on
   * the event loop would stall every decision in flight for as long as the disk takes.
   */
  async write(seq: number): Promise<void> {
    const temp = `${this.file}.tmp`;
    const file = await open(temp, 'w', 0o600);
    try {
      await file.writeFile(JSON.stringify({ seq, at: new Date().toISOString() }));
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
