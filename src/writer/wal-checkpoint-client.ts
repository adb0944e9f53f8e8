import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { SynchronousMode } from '../audit/database';
import type { WalCheckpointer } from '../audit/sqlite-audit-store';
import { relayLog, type ForwardedLog } from '../threads/forwarding-logger';
import { newWorker } from '../threads/new-worker';

/** What the WAL checkpoint thread is started with. */
export interface WalCheckpointSettings {
  path: string;
  synchronous: SynchronousMode;
  /** Above this size of WAL, the store copies the rest itself once (see `request`). Default MAX_WAL_BYTES. */
  maxWalBytes?: number;
}

/** What the thread is asked: copy the WAL now, or close its connection and end. */
export type WalCheckpointRequest = 'checkpoint' | 'close';

/** What the thread reports after each copy: how large the WAL was (its frames, headers included). */
export interface WalReport {
  op: 'wal';
  bytes: number;
}

/** Default bound on the WAL before the store catches up itself: 64 MiB, about 4 s of appends at 2,500 a second. */
export const MAX_WAL_BYTES = 64 * 1024 * 1024;

/**
 * The writer thread's handle on the WAL checkpoint thread (wal-checkpoint-thread.ts). Should that thread
 * stop, `request` answers false and the audit store checkpoints on its own connection again, as it did
 * before. The thread copies while commits go on, so SQLite starts the WAL over only when a copy catches up
 * between two commits, which under commits that never pause it would not: once the thread reports a WAL over
 * `maxWalBytes`, `request` answers false once, and the store's own copy, between its commits, catches up.
 */
export class WalCheckpointThread implements WalCheckpointer {
  private running = true;
  private reported = 0;
  private catchUp = false;

  private constructor(
    private readonly worker: Worker,
    private readonly logger: Logger,
    maxWalBytes: number,
  ) {
    worker.on('message', (message: ForwardedLog | WalReport) => {
      if (message.op === 'log') return relayLog(logger, message);
      this.reported = message.bytes;
      if (message.bytes > maxWalBytes) this.catchUp = true;
    });
    worker.on('error', (err) => this.stopped(err.message));
    worker.on('exit', (code) => this.stopped(`exit code ${code}`));
    // It must never keep the writer thread alive on its own.
    worker.unref();
  }

  static start(settings: WalCheckpointSettings, logger: Logger): WalCheckpointThread {
    const worker = newWorker(__dirname, 'wal-checkpoint-thread', settings);
    return new WalCheckpointThread(worker, logger, settings.maxWalBytes ?? MAX_WAL_BYTES);
  }

  /** Size of the WAL at the thread's latest copy, in bytes; 0 before its first. */
  get walBytes(): number {
    return this.reported;
  }

  request(): boolean {
    if (!this.running) return false;
    if (this.catchUp) {
      this.catchUp = false;
      return false;
    }
    this.worker.postMessage('checkpoint' satisfies WalCheckpointRequest);
    return true;
  }

  /** Closes the thread's connection and waits for the thread to end. */
  async close(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    const exited = once(this.worker, 'exit');
    this.worker.postMessage('close' satisfies WalCheckpointRequest);
    await exited;
  }

  private stopped(why: string): void {
    if (!this.running) return;
    this.running = false;
    this.logger.warn(
      { why },
      'the audit WAL checkpoint thread stopped; the writer thread checkpoints itself',
    );
  }
}
