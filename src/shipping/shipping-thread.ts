/**
 * The decision-log shipping thread: reads the audit log on a read-only connection of its own (WAL:
 * it never blocks the writer), turns records into OPA events, gzips and delivers them, and keeps
 * the cursors. None of that runs on the event loop that serves decisions; the main thread only
 * relays the status this thread reports.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import path from 'node:path';
import { auditMigrations } from '../audit/audit-migrations';
import { openDatabase } from '../audit/database';
import { ConfigError } from '../errors';
import { CursorFile } from './cursor-file';
import { DecisionLogShipper } from './decision-log-shipper';
import { EventReader } from './event-reader';
import { FileDecisionLogSink } from './file-sink';
import { HttpDecisionLogSink } from './http-sink';
import type { ShippingReply, ShippingRequest, ShippingSettings } from './shipping-protocol';
import type { DecisionLogSink } from './sinks';
import { forwardingLogger } from '../threads/forwarding-logger';
import { niceThisThread } from '../threads/thread-nice';

const port = parentPort;
if (!port) throw new Error('shipping-thread.ts runs as a worker thread, started by startDecisionLogShipping');

const post = (reply: ShippingReply): void => port.postMessage(reply);
const settings = workerData as ShippingSettings;
const logger = forwardingLogger(post);

let shippers: DecisionLogShipper[];
let close: () => void;
try {
  const { config } = settings;
  const nice = runNice(config.threadNice);
  const db = openDatabase(settings.dbFile, [auditMigrations], { readonly: true });
  close = () => db.close();
  const reader = new EventReader(db, { labels: settings.labels, entrypoint: settings.entrypoint });
  const sinks: DecisionLogSink[] = [];
  if (config.service) sinks.push(new HttpDecisionLogSink(config.service));
  if (config.file) sinks.push(new FileDecisionLogSink(config.file.path));
  const base = path.basename(settings.dbFile);
  const report = () =>
    post({ op: 'status', sinks: shippers.map((s) => s.status()), cpuSeconds: threadCpuSeconds() });
  shippers = sinks.map(
    (sink) =>
      new DecisionLogShipper(
        sink,
        reader,
        new CursorFile(path.join(config.cursorDir, `${base}.decision-logs.${sink.name}.cursor`)),
        config,
        logger,
        report,
      ),
  );
  for (const shipper of shippers) shipper.start();
  post({ op: 'ready', sinks: shippers.map((s) => s.status()), cpuSeconds: threadCpuSeconds(), nice });
} catch (err) {
  const [key, detail] =
    err instanceof ConfigError
      ? [err.key, err.detail]
      : ['db', `${settings.dbFile}: ${(err as Error).message}`];
  post({ op: 'failed', key, detail });
  process.exit(1);
}

port.on('message', (request: ShippingRequest) => {
  if (request.op !== 'stop') return;
  void Promise.all(shippers.map((shipper) => shipper.stop())).then(
    () => {
      close();
      post({ op: 'stopped' });
    },
    (err: unknown) => {
      logger.error({ err }, 'decision log shipping did not stop cleanly');
      post({ op: 'stopped' });
    },
  );
});

// Shipping is never urgent: every record waits, durably, in the audit log. At a high nice value this
// thread takes the CPU that the threads serving decisions leave over, so under saturation the backlog
// grows (and shows in /metrics) instead of decisions slowing down; measured in bench/RESULTS.md.
function runNice(nice: number): number | null {
  try {
    return niceThisThread(nice);
  } catch (err) {
    logger.warn({ err, nice }, 'cannot lower the priority of the decision log shipping thread');
    return null;
  }
}

// This thread's user + system CPU time from Linux's /proc/thread-self (read synchronously, so by
// this thread), in clock ticks of 1/100 s; null elsewhere. It is what shipping costs, for /metrics.
function threadCpuSeconds(): number | null {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    // The command name may hold spaces and parentheses: fields are counted from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}
