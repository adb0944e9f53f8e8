import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { AuditStoreStats } from '../audit/sqlite-audit-store';
import { ConfigError, ReasonCode, UnavailableError } from '../errors';
import type { UsageReportRow, UsageReportWriter } from '../usage/usage-reports';
import {
  fromWire,
  type CommitTiming,
  type WriterReply,
  type WriterRequest,
  type WriterResults,
  type WriterSettings,
} from './protocol';
import { newWorker } from '../threads/new-worker';
import { relayLog } from '../threads/forwarding-logger';

type Op = WriterRequest['op'];
type Call = { resolve: (result: unknown) => void; reject: (err: Error) => void };

/**
 * The main thread's handle on the writer thread: sends it requests, settles each with its reply,
 * and, should the thread die, rejects everything with audit_unavailable from then on (fail closed:
 * decisions are refused, /ready reports the store down, an orchestrator restarts the service).
 */
export class WriterThread implements UsageReportWriter {
  private readonly calls = new Map<number, Call>();
  private nextId = 1;
  // Set once the thread takes no more requests (stopped, closed, or never started); every request
  // after that, and every one still unanswered, is rejected with it.
  private failure: Error | undefined;
  private counters: AuditStoreStats = { appended: 0, commits: 0, failedCommits: 0, checkpoints: 0 };
  private readonly started: Promise<void>;
  private onStarted: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private commitObserver: ((timing: CommitTiming) => void) | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly logger: Logger,
  ) {
    this.started = new Promise((resolve, reject) => (this.onStarted = { resolve, reject }));
    worker.on('message', (reply: WriterReply) => this.onReply(reply));
    worker.on('error', (err) => this.stopped(err.message));
    worker.on('exit', (code) => this.stopped(`exit code ${code}`));
  }

  /** Starts the thread; resolves once it has opened the database, rejects if it cannot. */
  static async start(settings: WriterSettings, logger: Logger): Promise<WriterThread> {
    const thread = new WriterThread(newWorker(__dirname, 'writer-thread', settings), logger);
    await thread.started;
    return thread;
  }

  /** Sends one request; resolves with the thread's result or rejects with the error it reported. */
  request<K extends Op>(request: Omit<Extract<WriterRequest, { op: K }>, 'id'>): Promise<WriterResults[K]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve: resolve as (result: unknown) => void, reject });
      this.worker.postMessage({ ...request, id });
    });
  }

  insertReport(row: UsageReportRow): Promise<boolean> {
    return this.request<'report'>({ op: 'report', row });
  }

  /** Counters of the audit store in the thread, as of its latest reply. */
  stats(): AuditStoreStats {
    return { ...this.counters };
  }

  /** Calls `observer` with each group commit the thread made (or failed to): its records and duration. */
  observeCommits(observer: (timing: CommitTiming) => void): void {
    this.commitObserver = observer;
  }

  /** False once the thread has stopped or been closed. */
  get running(): boolean {
    return this.failure === undefined;
  }

  /** Commits what the thread holds, closes its database and ends it. */
  async close(): Promise<void> {
    if (this.failure) return;
    try {
      await this.request<'close'>({ op: 'close' });
    } finally {
      this.rejectAll(new UnavailableError(ReasonCode.AuditUnavailable, 'the audit log is closed'));
      await this.worker.terminate();
    }
  }

  private onReply(reply: WriterReply): void {
    switch (reply.op) {
      case 'ready':
        this.onStarted?.resolve();
        return;
      case 'failed':
        // It exits next: that exit is this failure, not another one.
        this.rejectAll(new ConfigError(reply.key, reply.detail));
        return;
      case 'log':
        relayLog(this.logger, reply);
        return;
      case 'done': {
        this.counters = reply.stats;
        for (const commit of reply.commits ?? []) this.commitObserver?.(commit);
        const call = this.calls.get(reply.id);
        this.calls.delete(reply.id);
        if (reply.error) call?.reject(fromWire(reply.error));
        else call?.resolve(reply.result);
      }
    }
  }

  private stopped(why: string): void {
    if (this.failure) return;
    this.logger.error({ why }, 'the audit writer thread stopped; every decision is refused until restart');
    this.rejectAll(
      new UnavailableError(
        ReasonCode.AuditUnavailable,
        `the audit log cannot record decisions (its writer thread stopped: ${why})`,
      ),
    );
  }

  private rejectAll(failure: Error): void {
    this.failure ??= failure;
    this.onStarted?.reject(this.failure);
    for (const call of this.calls.values()) call.reject(this.failure);
    this.calls.clear();
  }
}
