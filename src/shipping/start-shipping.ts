import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db } from '../audit/database';
import type { DecisionLogsConfig } from '../config/config';
import { CursorFile } from './cursor-file';
import { DecisionLogShipper, type ShippingStatus } from './decision-log-shipper';
import { FileDecisionLogSink } from './file-sink';
import { HttpDecisionLogSink } from './http-sink';
import { RecordReader } from './record-reader';
import type { DecisionLogSink } from './sinks';

/** Running decision-log shipping: one shipper per configured sink. */
export interface DecisionLogShipping {
  /** Returns where each sink stands (for /metrics and /v1/status). */
  status(): ShippingStatus[];
  /** Stops every shipper after its batch in flight; cursors are saved. */
  stop(): Promise<void>;
}

/** Starts a shipper for the service sink and for the file sink, whichever are configured. */
export function startDecisionLogShipping(
  config: DecisionLogsConfig,
  context: { db: Db; dbFile: string; entrypoint: string; logger: Logger },
): DecisionLogShipping {
  const sinks: DecisionLogSink[] = [];
  if (config.service) sinks.push(new HttpDecisionLogSink(config.service));
  if (config.file) sinks.push(new FileDecisionLogSink(config.file.path));
  // OPA's labels: the agent's id (one per process run, as OPA's) and version, then the operator's.
  const labels = { app: 'modelgate', id: randomUUID(), version: modelgateVersion(), ...config.labels };
  const reader = new RecordReader(context.db);
  const base = path.basename(context.dbFile);
  const shippers = sinks.map(
    (sink) =>
      new DecisionLogShipper(
        sink,
        reader,
        new CursorFile(path.join(config.cursorDir, `${base}.decision-logs.${sink.name}.cursor`)),
        { ...config, labels, entrypoint: context.entrypoint },
        context.logger,
      ),
  );
  for (const shipper of shippers) shipper.start();
  context.logger.info(
    { sinks: shippers.map((s) => s.status()) },
    'decision log shipping started from the audit log',
  );
  return {
    status: () => shippers.map((shipper) => shipper.status()),
    stop: async () => {
      await Promise.all(shippers.map((shipper) => shipper.stop()));
    },
  };
}

function modelgateVersion(): string {
  const manifest = path.resolve(__dirname, '..', '..', 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}
