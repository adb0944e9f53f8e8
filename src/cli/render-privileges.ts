import { csvField } from '../audit/export-formats';
import type { PrivilegesReport, SubjectPrivileges } from '../reports/privileges-report';

/** Returns the report as text: a block per subject, findings indented under it. */
export function renderPrivilegesTable(report: PrivilegesReport): string {
  const lines = [
    `privileges from ${report.period.from ?? 'the start of the log'} to ${report.period.to ?? 'now'}, ` +
      `grants of ${report.bundle.name} ${report.bundle.revision} at ${report.entitlements_path}`,
  ];
  for (const s of report.subjects) {
    lines.push(
      '',
      `${s.subject}${s.entitled ? '' : ' (no entitlement)'}  allowed ${s.allowed}  denied ${s.denied}  ` +
        `last used ${s.last_used ?? 'never'}`,
    );
    for (const [field, unused] of Object.entries(s.unused)) {
      if (unused.length > 0) lines.push(`  unused ${field}: ${unused.join(', ')}`);
    }
    for (const b of s.budgets) {
      if (b.far_above_use) lines.push(`  ${b.limit} ${b.granted}, peak used ${b.peak_used}: far above use`);
    }
    for (const [what, n] of Object.entries(s.missing_grants))
      lines.push(`  denied for a missing grant: ${what} (${n})`);
  }
  return `${lines.join('\n')}\n`;
}

/** The CSV header: one row per finding, so a spreadsheet can filter and count them. */
const HEADER = ['subject', 'finding', 'item', 'granted', 'used'];

/** Returns the findings as CSV (RFC 4180, CRLF): unused grants, budgets far above use, missing grants. */
export function renderPrivilegesCsv(report: PrivilegesReport): string {
  const rows: unknown[][] = [HEADER];
  for (const s of report.subjects) rows.push(...findings(s));
  return rows.map((r) => `${r.map(csvField).join(',')}\r\n`).join('');
}

function findings(s: SubjectPrivileges): unknown[][] {
  const rows: unknown[][] = [];
  for (const [field, unused] of Object.entries(s.unused)) {
    for (const item of unused) rows.push([s.subject, `unused_${field}`, item, true, 0]);
  }
  for (const b of s.budgets) {
    if (b.far_above_use) rows.push([s.subject, 'budget_far_above_use', b.limit, b.granted, b.peak_used]);
  }
  for (const [what, n] of Object.entries(s.missing_grants))
    rows.push([s.subject, 'missing_grant', what, false, n]);
  return rows;
}
