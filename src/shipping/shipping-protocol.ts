import type { DecisionLogsConfig } from '../config/config';
import type { ShippingStatus } from './decision-log-shipper';

/** What the shipping thread is started with (workerData). */
export interface ShippingSettings {
  dbFile: string;
  config: DecisionLogsConfig;
  entrypoint: string;
  /** OPA's labels of every event: the agent's id and version, then the operator's. */
  labels: Record<string, string>;
}

/** From the main thread: finish the batch in flight, save the cursors, then answer `stopped`. */
export type ShippingRequest = { op: 'stop' };

export type ShippingReply =
  // nice: the nice value the thread runs at (null where threads cannot be told apart).
  | { op: 'ready'; sinks: ShippingStatus[]; cpuSeconds: number | null; nice: number | null }
  | { op: 'failed'; key: string; detail: string }
  // Sent after every delivery attempt: where each sink stands, as the thread sees it.
  // cpuSeconds: the CPU time this thread has used (null where the OS does not tell).
  | { op: 'status'; sinks: ShippingStatus[]; cpuSeconds: number | null }
  | { op: 'log'; level: 'info' | 'warn' | 'error'; fields: Record<string, unknown>; message: string }
  | { op: 'stopped' };
