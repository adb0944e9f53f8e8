import { open, stat, type FileHandle } from 'node:fs/promises';
import type { DecisionLogSink } from './sinks';

/**
 * Appends each event as one JSON line to a file for log agents, fsynced before the batch counts as delivered. The
 * file is the one at the path when the batch is written: after a rotation (renamed) or a removal, the next batch
 * opens a new file there, as log agents expect.
 */
export class FileDecisionLogSink implements DecisionLogSink {
  readonly name = 'file';
  private handle: FileHandle | undefined;

  constructor(private readonly file: string) {}

  async deliver(events: string[]): Promise<void> {
    const handle = await this.current();
    await handle.write(`${events.join('\n')}\n`);
    await handle.datasync();
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }

  // The open file while it is still the one at the path, else a new one opened there.
  private async current(): Promise<FileHandle> {
    if (this.handle && !(await this.moved(this.handle))) return this.handle;
    await this.close();
    this.handle = await open(this.file, 'a', 0o640);
    return this.handle;
  }

  private async moved(handle: FileHandle): Promise<boolean> {
    const opened = await handle.stat();
    try {
      const atPath = await stat(this.file);
      return atPath.ino !== opened.ino || atPath.dev !== opened.dev;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
      throw err;
    }
  }
}
