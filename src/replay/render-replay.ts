import type { ReplayReport } from './replay-report';

/** Returns the report as a terminal table: a summary, then one row per group with example ids. */
export function renderReplay(report: ReplayReport): string {
  const period = `${report.period.from ?? 'the start of the log'} to ${report.period.to ?? 'now'}`;
  const lines = [
    `replayed ${report.replayed} recorded decisions from ${period}` +
      (report.subject ? ` for ${report.subject}` : '') +
      (report.skipped > 0 ? ` (${report.skipped} rejected before the policy ran: skipped)` : ''),
    `active    ${report.active.name} ${report.active.revision}`,
    `candidate ${report.candidate.name} ${report.candidate.revision}`,
    `${report.changed} decisions would change: ` +
      Object.entries(report.counts)
        .map(([kind, n]) => `${kind} ${n}`)
        .join(', '),
  ];
  if (report.not_reproduced > 0)
    lines.push(
      `${report.not_reproduced} of them the active bundle does not decide as recorded (allow against deny): an older ` +
        'bundle decided them, or the policy reads what the record keeps only as a hash; their replay says little',
    );
  if (report.unreplayable > 0)
    lines.push(
      `${report.unreplayable} recorded decision${report.unreplayable === 1 ? '' : 's'} could not be replayed: the ` +
        'record cut its input to size (audit.context_bytes, audit.claims_bytes, audit.document_bytes), so neither ' +
        `bundle's outcome is known; e.g. ${report.unreplayable_examples.join(', ')}`,
    );
  if (report.hashed_claims.length > 0)
    lines.push(
      `claims kept only as hashes: ${report.hashed_claims.join(', ')}; a rule that reads one is not replayed ` +
        'faithfully (list the claims your rules read in the issuer’s recorded_claims)',
    );
  if (report.truncated)
    lines.push('truncated: the record limit stopped the replay before the end of the period');
  if (report.groups.length > 0) {
    const rows = report.groups.map((g) => [
      g.subject ?? '(none)',
      g.kind,
      g.reason,
      String(g.count),
      g.examples.map((e) => `${e.decision_id} (${e.model ?? '-'})`).join(', '),
    ]);
    const header = ['SUBJECT', 'CHANGE', 'REASON', 'COUNT', 'EXAMPLES'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
    const format = (row: string[]) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] as number)))
        .join('  ')
        .trimEnd();
    lines.push('', format(header), ...rows.map(format));
  }
  if (report.ungrouped_changes > 0)
    lines.push(
      `${report.ungrouped_changes} more changes are counted above but not grouped: the report holds ` +
        `${report.groups.length} groups at most; narrow it with --subject, --since or --until`,
    );
  return `${lines.join('\n')}\n`;
}
