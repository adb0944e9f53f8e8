import type { PrivilegesReport } from './privileges-report';
import type { ReportThreadData } from './report-thread';
import { newWorker } from '../threads/new-worker';

/** Thrown when the report cannot be made (no entitlements at the path, unreadable bundle). */
export class ReportError extends Error {}

/** Returns the privileges report, computed on a worker thread of its own. */
export function runPrivilegesReport(data: ReportThreadData): Promise<PrivilegesReport> {
  return new Promise((resolve, reject) => {
    const worker = newWorker(__dirname, 'report-thread', data);
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
