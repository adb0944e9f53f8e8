import { parentPort, workerData } from 'node:worker_threads';
import { auditMigrations } from '../audit/audit-migrations';
import { openDatabase } from '../audit/database';
import { readBundle } from '../policy/bundle';
import type { PrivilegesReport } from './privileges-report';
import { privilegesReport, type PrivilegesQuery } from './privileges';

/** What the report thread is given: everything by value, it opens its own connection. */
export interface ReportThreadData {
  db: string;
  bundle: string;
  bundleName?: string;
  query: PrivilegesQuery;
}

/** What the report thread answers: the report, or why it could not be made. */
export type ReportThreadReply = { ok: true; report: PrivilegesReport } | { ok: false; message: string };

const reply = (message: ReportThreadReply): void => parentPort?.postMessage(message);

// One report per thread: the aggregation over a large log takes seconds of synchronous SQLite
// work, which must never stall the event loop that answers decisions.
async function run(data: ReportThreadData): Promise<void> {
  const bundle = await readBundle(data.bundle, data.bundleName);
  const db = openDatabase(data.db, [auditMigrations], { readonly: true });
  try {
    reply({ ok: true, report: privilegesReport(db, bundle, data.query).report });
  } finally {
    db.close();
  }
}

run(workerData as ReportThreadData).catch((err: unknown) => {
  reply({ ok: false, message: (err as Error).message });
});
