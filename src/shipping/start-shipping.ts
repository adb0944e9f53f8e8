import { MODELGATE_VERSION } from '../version';
import { randomUUID } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Db } from '../audit/database';
import type { DecisionLogsConfig } from '../config/config';
import { ConfigError } from '../errors';
import type { ShippingStatus } from './decision-log-shipper';
import type { ShippingReply, ShippingSettings } from './shipping-protocol';
import { newWorker } from '../threads/new-worker';
import { relayLog } from '../threads/forwarding-logger';

/** Running decision-log shipping: one shipper per configured sink, all on the shipping thread. */
export interface DecisionLogShipping {
  /** Returns where each sink stands (for /metrics and /v1/status). */
  status(): ShippingStatus[];
  /** CPU time the shipping thread has used, in seconds (null where the OS does not tell). */
  threadCpuSeconds(): number | null;
  /** Stops every shipper after its batch in flight; cursors are saved. */
  stop(): Promise<void>;
}

/**
 * Starts the shipping thread (shipping-thread.ts) for the service sink and the file sink, whichever
 * are configured; resolves once it has opened the audit log and read the cursors, rejects with the
 * config key to fix when it cannot. Should the thread die later, decisions go on (every one is still
 * recorded) and the status shows the sinks stalled, which the shipping alert catches.
 */
export async function startDecisionLogShipping(
  config: DecisionLogsConfig,
  context: { db: Db; dbFile: string; entrypoint: string; logger: Logger },
): Promise<DecisionLogShipping> {
  // OPA's labels: the agent's id (one per process run, as OPA's) and version, then the operator's.
  const labels = { app: 'modelgate', id: randomUUID(), version: MODELGATE_VERSION, ...config.labels };
  const settings: ShippingSettings = {
    dbFile: context.dbFile,
    config,
    entrypoint: context.entrypoint,
    labels,
  };
  const worker = newWorker(__dirname, 'shipping-thread', settings);
  // The head is read here, at the moment of asking: a backlog is never older than the scrape.
  const newest: Statement = context.db.prepare('SELECT max(seq) AS seq FROM audit_records');
  let sinks: ShippingStatus[] = [];
  let cpuSeconds: number | null = null;
  let nice: number | null = null;
  let failure: string | undefined;
  let onStopped: (() => void) | undefined;
  let stopping: Promise<void> | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (reply: ShippingReply) => {
      switch (reply.op) {
        case 'ready':
          sinks = reply.sinks;
          cpuSeconds = reply.cpuSeconds;
          nice = reply.nice;
          resolve();
          return;
        case 'failed':
          failure = reply.detail;
          reject(new ConfigError(reply.key, reply.detail));
          return;
        case 'status':
          sinks = reply.sinks;
          cpuSeconds = reply.cpuSeconds;
          return;
        case 'log':
          relayLog(context.logger, reply);
          return;
        case 'stopped':
          onStopped?.();
      }
    });
    worker.on('error', (err) => {
      failure ??= err.message;
      context.logger.error({ err }, 'the decision log shipping thread failed; shipping has stopped');
      reject(err);
    });
    worker.on('exit', (code) => {
      if (failure === undefined && !stopping) {
        context.logger.error({ code }, 'the decision log shipping thread exited; shipping has stopped');
        failure = `exit code ${code}`;
      }
      onStopped?.();
      reject(new Error(`the decision log shipping thread exited with code ${code}`));
    });
  });
  await ready;
  context.logger.info({ sinks, thread_nice: nice }, 'decision log shipping started from the audit log');
  return {
    status: () => {
      const head = (newest.get() as { seq: number | null }).seq ?? 0;
      return sinks.map((sink) => {
        const at = Math.max(head, sink.cursor_seq);
        const stalled = failure && `the shipping thread stopped: ${failure}`;
        return {
          ...sink,
          head_seq: at,
          backlog: at - sink.cursor_seq,
          last_error: stalled || sink.last_error,
        };
      });
    },
    threadCpuSeconds: () => cpuSeconds,
    stop: () =>
      (stopping ??= (async () => {
        if (failure === undefined) {
          const stopped = new Promise<void>((resolve) => (onStopped = resolve));
          worker.postMessage({ op: 'stop' });
          await stopped;
        }
        await worker.terminate();
      })()),
  };
}
