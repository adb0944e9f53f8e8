import type { PrivilegesReport } from './privileges-report';
import type { ReportThreadData, ReportThreadReply } from './report-thread';
import { runOnThread } from '../threads/run-on-thread';

/** Thrown when the report cannot be made (no entitlements at the path, unreadable bundle). */
export class ReportError extends Error {}

/** Returns the privileges report, computed on a worker thread of its own. */
export async function runPrivilegesReport(data: ReportThreadData): Promise<PrivilegesReport> {
  let reply: ReportThreadReply;
  try {
    reply = await runOnThread<ReportThreadReply>(__dirname, 'report-thread', data, {
      what: 'the report thread',
    });
  } catch (err) {
    throw new ReportError((err as Error).message, { cause: err });
  }
  if (!reply.ok) throw new ReportError(reply.message);
  return reply.report;
}
