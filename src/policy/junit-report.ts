import type { CaseResult } from './bundle-cases';

/** Returns a JUnit XML report of bundle case results, one test suite per case file. */
export function junitReport(results: CaseResult[], suiteName: string): string {
  const byFile = new Map<string, CaseResult[]>();
  for (const r of results) byFile.set(r.case.file, [...(byFile.get(r.case.file) ?? []), r]);
  const failures = results.filter((r) => r.problems.length > 0).length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xml(suiteName)}" tests="${results.length}" failures="${failures}">`,
  ];
  for (const [file, rs] of byFile) {
    const fileFailures = rs.filter((r) => r.problems.length > 0).length;
    lines.push(`  <testsuite name="${xml(file)}" tests="${rs.length}" failures="${fileFailures}">`);
    for (const r of rs) {
      const time = (r.durationMs / 1000).toFixed(4);
      const open = `    <testcase classname="${xml(file)}" name="${xml(r.case.name)}" time="${time}"`;
      if (r.problems.length === 0) {
        lines.push(`${open}/>`);
      } else {
        lines.push(`${open}>`);
        lines.push(`      <failure message="${xml(r.problems[0]!)}">${xml(r.problems.join('\n'))}</failure>`);
        lines.push('    </testcase>');
      }
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
