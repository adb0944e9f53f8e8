import { open, type FileHandle } from 'node:fs/promises';
import type { DecisionLogSink } from './sinks';

/** Appends each event as one JSON line to a file for log agents, fsynced before the batch counts as delivered. */
export class FileDecisionLogSink implements DecisionLogSink {
  readonly name = 'file';
  private handle: FileHandle | undefined;

  constructor(private readonly file: string) {}

  async deliver(events: string[]): Promise<void> {
    this.handle ??= await open(this.file, 'a', 0o640);
    await this.handle.write(`${events.join('\n')}\n`);
    await this.handle.datasync();
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
