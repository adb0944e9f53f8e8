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
}

/** What the thread is asked: copy the WAL now, or close its connection and end. */
export type WalCheckpointRequest = 'checkpoint' | 'close';

/**
 * The writer thread's handle on the WAL checkpoint thread (wal-checkpoint-thread.ts). Should that thread
 * stop, `request` answers false and the audit store checkpoints on its own connection again, as it did
 * before: the WAL never grows without bound.
 */
export class WalCheckpointThread implements WalCheckpointer {
  private running = true;

  private constructor(
    private readonly worker: Worker,
    private readonly logger: Logger,
  ) {
    worker.on('message', (line: ForwardedLog) => relayLog(logger, line));
    worker.on('error', (err) => this.stopped(err.message));
    worker.on('exit', (code) => this.stopped(`exit code ${code}`));
    // It must never keep the writer thread alive on its own.
    worker.unref();
  }

  static start(settings: WalCheckpointSettings, logger: Logger): WalCheckpointThread {
    return new WalCheckpointThread(newWorker(__dirname, 'wal-checkpoint-thread', settings), logger);
  }

  request(): boolean {
    if (this.running) this.worker.postMessage('checkpoint' satisfies WalCheckpointRequest);
    return this.running;
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
