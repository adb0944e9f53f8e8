import type { StoredAuditRecord } from '../audit/audit-store';
import { decisionEvent } from '../audit/export-formats';

/**
 * Returns the OPA decision-log event of a record: the export's event (OPA's field names, then
 * modelgate's), except that `path` is the policy path OPA would report (the entrypoint for
 * /v1/decide, the data path for /v1/data/...), with the HTTP route kept in `http_path`.
 */
export function opaEvent(
  record: StoredAuditRecord,
  context: { labels: Record<string, string>; entrypoint: string },
): Record<string, unknown> {
  return {
    ...decisionEvent(record, context.labels),
    path: policyPath(record.path, context.entrypoint),
    http_path: record.path,
  };
}

function policyPath(route: string, entrypoint: string): string {
  if (route === '/v1/decide') return entrypoint;
  if (route.startsWith('/v1/data/')) return route.slice('/v1/data/'.length);
  return route.replace(/^\//, '');
}
