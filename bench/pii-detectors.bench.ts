/**
 * Cost of each PII detector on its own: median µs per call on the 2 KiB benchmark chat payload, on 32 KiB of
 * ordinary prose without digit runs, on 32 KiB of prose with numbers (dates, versions, ids, amounts) and on
 * 32 KiB of phone-number candidates (national numbers, half of them invalid), the phone detector's worst case.
 * Run: `npx tsx bench/pii-detectors.bench.ts`. Figures from a shared machine vary by ±30%: compare runs made
 * back to back.
 */
import { performance } from 'node:perf_hooks';
import type { Detector, TextSpan } from '../src/screening/detector';
import { creditCardDetector } from '../src/screening/detectors/credit-card';
import { emailDetector } from '../src/screening/detectors/email';
import { ibanDetector } from '../src/screening/detectors/iban';
import { ipAddressDetector } from '../src/screening/detectors/ip-address';
import { phoneDetector } from '../src/screening/detectors/phone';
import { usSsnDetector } from '../src/screening/detectors/us-ssn';
import { benchPayload } from './lib/workload';

const DETECTORS: readonly Detector[] = [
  phoneDetector,
  creditCardDetector,
  ibanDetector,
  usSsnDetector,
  emailDetector,
  ipAddressDetector,
];

const WORDS =
  'the deploy rolled out to most nodes before the health check failed and we rolled back while the team ' +
  'looked at the query plan which did a sequential scan over orders so please draft a note for customers ';
const NUMBERS =
  'build 2024.06.17 shipped at 14:05:33 on 2024-06-17, version 1.22.2, order #4155552671, invoice ' +
  '2024-0042-1187, uuid 4f1c2a9e-8b7d-4c3e-9f0a-1b2c3d4e5f60, total 1 234 567.89 EUR, port 8080, pid 31337. ';
const CANDIDATES = '0761535083 and 0123 987 6543 or 020 7946 0958, (0595) 6368079; ';

function repeat(unit: string, chars: number): string {
  return unit.repeat(Math.ceil(chars / unit.length)).slice(0, chars);
}

/** Median microseconds of one detect() call on `text`. */
function medianUs(detector: Detector, text: string): number {
  const samples: number[] = [];
  for (let i = 0; i < 220; i++) {
    const out: TextSpan[] = [];
    const t0 = performance.now();
    detector.detect(text, out);
    if (i >= 20) samples.push((performance.now() - t0) * 1000);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] as number;
}

function main(): void {
  const chat = benchPayload()
    .messages.map((m) => m.content)
    .join('\n');
  const inputs: Array<[string, string]> = [
    [`bench chat (${chat.length} chars)`, chat],
    ['32 KiB prose, no digits', repeat(WORDS, 32 * 1024)],
    ['32 KiB prose with numbers', repeat(WORDS + NUMBERS, 32 * 1024)],
    ['32 KiB phone candidates', repeat(CANDIDATES, 32 * 1024)],
  ];
  const rows = DETECTORS.map((d) => {
    const row: Record<string, string> = { detector: d.name };
    for (const [label, text] of inputs) row[label] = medianUs(d, text).toFixed(1);
    return row;
  });
  console.log('median µs per detect() call');
  console.table(rows);
}

main();
