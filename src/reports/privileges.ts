import type { Db } from '../audit/database';
import { entitlementsAt, type Entitlement } from './entitlement-grants';
import { readPrivilegeUsage } from './privilege-usage';
import { subjectPrivileges, tightenedEntitlements, type PrivilegesReport } from './privileges-report';

/** The active bundle, as far as the report needs it. */
export interface BundleData {
  name: string;
  revision: string;
  data: Record<string, unknown>;
}

/** What to report on. Times are Unix milliseconds, [fromMs, toMs). */
export interface PrivilegesQuery {
  fromMs?: number;
  toMs?: number;
  subject?: string;
  entitlementsPath: string;
}

/**
 * Returns granted against used for every entitled subject (and every subject the log saw in the
 * period), and the tightened entitlements a reviewer could adopt.
 */
export function privilegesReport(
  db: Db,
  bundle: BundleData,
  query: PrivilegesQuery,
): { report: PrivilegesReport; tightened: Record<string, Entitlement> } {
  const entitlements = entitlementsAt(bundle.data, query.entitlementsPath);
  const usage = readPrivilegeUsage(db, query);
  const names = new Set([...Object.keys(entitlements), ...usage.keys()]);
  const subjects = [...names]
    .filter((s) => query.subject === undefined || s === query.subject)
    .sort()
    .map((s) => subjectPrivileges(s, entitlements[s], usage.get(s)));
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    report: {
      period: { from: iso(query.fromMs), to: iso(query.toMs) },
      bundle: { name: bundle.name, revision: bundle.revision },
      entitlements_path: query.entitlementsPath,
      subjects,
    },
    tightened: tightenedEntitlements(entitlements, subjects),
  };
}
