import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PrivilegesReport } from './privileges-report';
import type { ReportThreadData } from './report-thread';

/** Thrown when the report cannot be made (no entitlements at the path, unreadable bundle). */
export class ReportError extends Error {}

/** Returns the privileges report, computed on a worker thread of its own. */
export function runPrivilegesReport(data: ReportThreadData): Promise<PrivilegesReport> {
  return new Promise((resolve, reject) => {
    const worker = newReportWorker(data);
    worker.once('message', (message: { ok: boolean; report?: PrivilegesReport; message?: string }) => {
      if (message.ok) resolve(message.report as PrivilegesReport);
      else reject(new ReportError(message.message ?? 'the report failed'));
      void worker.terminate();
    });
    worker.once('error', (err) =>
      reject(new ReportError(`the report thread failed: ${err.message}`, { cause: err })),
    );
  });
}

// As the writer thread: built, dist/reports/report-thread.js; from sources, the .ts through tsx.
function newReportWorker(data: ReportThreadData): Worker {
  const built = join(__dirname, 'report-thread.js');
  if (existsSync(built)) return new Worker(built, { workerData: data });
  const source = join(__dirname, 'report-thread.ts');
  const code = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(source)});`;
  return new Worker(code, { eval: true, workerData: data });
}
