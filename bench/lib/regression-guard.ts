/**
 * The regression guard of `npm run bench` (issue #19, item 5): every load run is reduced to ratios
 * to C (OPA's server, measured in the same run, so machine speed and other load mostly cancel), and
 * compared with the ratios of the last recorded run in bench/baseline.json. A ratio more than 10%
 * worse is flagged. A report, never a failure: timings do not fail builds. A full run (not --quick,
 * not --no-write) records its ratios as the new baseline.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { ContenderResult } from '../load';

/** Worse by more than this fraction is flagged. */
export const TOLERANCE = 0.1;

/** What bench/baseline.json holds. */
export interface Baseline {
  recorded_at: string;
  command: string;
  machine: string;
  /** Every ratio is "higher is better": throughput ÷ C's, C's CPU or latency ÷ the contender's. */
  ratios: Record<string, number>;
}

/** Returns the ratios to C of a load run: req/s, CPU per request, p50, p99 and p99.9, per contender. */
export function ratiosToC(contenders: ContenderResult[]): Record<string, number> {
  const c = contenders.find((r) => r.name === 'C');
  if (!c) return {};
  const ratios: Record<string, number> = {};
  for (const r of contenders) {
    if (r.name === 'C') continue;
    ratios[`${r.name} req/s ÷ C`] = r.rps / c.rps;
    ratios[`C CPU/req ÷ ${r.name}`] = c.cpuUsPerRequest / r.cpuUsPerRequest;
    ratios[`C p50 ÷ ${r.name}`] = c.latency.p50 / r.latency.p50;
    ratios[`C p99 ÷ ${r.name}`] = c.latency.p99 / r.latency.p99;
    ratios[`C p99.9 ÷ ${r.name}`] = c.latency.p999 / r.latency.p999;
  }
  return ratios;
}

/** Returns the recorded baseline, or null when there is none (or it cannot be read). */
export function readBaseline(file: string): Baseline | null {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Baseline;
  } catch {
    return null;
  }
}

/** Writes `ratios` as the new baseline. */
export function writeBaseline(file: string, baseline: Baseline): void {
  writeFileSync(file, `${JSON.stringify(baseline, null, 2)}\n`);
}

/** Returns the comparison as Markdown: every ratio now and then, those more than 10% worse flagged. */
export function compareWithBaseline(ratios: Record<string, number>, baseline: Baseline | null): string {
  if (!baseline) return 'Regression guard: no bench/baseline.json yet; a full run records one.';
  const lines = [
    `Regression guard: ratios to C now vs. the run of ${baseline.recorded_at} (\`${baseline.command}\`); ` +
      `higher is better; flagged when more than ${TOLERANCE * 100}% worse. A report, not a failure.`,
    '',
    '| ratio | recorded | now | change | |',
    '| --- | --- | --- | --- | --- |',
  ];
  let flagged = 0;
  for (const [name, now] of Object.entries(ratios)) {
    const then = baseline.ratios[name];
    if (then === undefined || !Number.isFinite(then) || !Number.isFinite(now)) {
      lines.push(`| ${name} | | ${now.toPrecision(3)} | new | |`);
      continue;
    }
    const change = now / then - 1;
    const worse = change < -TOLERANCE;
    if (worse) flagged += 1;
    lines.push(
      `| ${name} | ${then.toPrecision(3)} | ${now.toPrecision(3)} | ${change >= 0 ? '+' : ''}${(change * 100).toFixed(0)}% | ${worse ? '**dropped**' : ''} |`,
    );
  }
  lines.push(
    '',
    flagged ? `**${flagged} ratio(s) dropped by more than 10%.**` : 'No ratio dropped by more than 10%.',
  );
  return lines.join('\n');
}
