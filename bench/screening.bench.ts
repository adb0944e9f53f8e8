/**
 * Screening micro-benchmark: median time of screenPayload on realistic chat payloads of 1 KiB, 32 KiB and
 * 256 KiB (a few findings each), a per-detector breakdown at 32 KiB, and a linearity check on adversarial
 * inputs (time at 2N over time at N; a linear detector stays near 2, the check fails above 4).
 * Run: `npx tsx bench/screening.bench.ts`.
 */
import { performance } from 'node:perf_hooks';
import { DETECTORS } from '../src/screening/detect-text';
import type { TextSpan } from '../src/screening/detector';
import { screenPayload } from '../src/screening/index';
import { UPSTREAM } from '../src/screening/rules/upstream-rules';

const PROSE = [
  'Can you summarise the incident from last night? The deploy of build 2024.06.17 rolled out to 3 of 12 nodes before the health check failed.',
  'Sure. At 02:14 UTC the canary started returning 502s; latency went from 180ms to 2.3s and the rollback finished at 02:31.',
  'The root cause was a missing index on orders(created_at); the migration ran but the new query plan did a sequential scan.',
  'Here is the stack trace:\n  at OrderRepository.findRecent (src/orders/repo.ts:88:13)\n  at async Handler.list (src/orders/handler.ts:41:20)',
  'Please draft a customer-facing note, keep it under 120 words, and mention that no data was lost.',
  'Config diff: replicas 3 -> 5, cpu limit "2" -> "4", feature flag checkout_v2 stays off until Thursday.',
  'We should add an alert on p95 > 800ms for 5 minutes, and a runbook link in the pager message.',
  'The customer asked whether invoices from 2024-05-01 to 2024-05-31 are affected; they are not.',
];
const FINDINGS = [
  'You can reach the on-call lead at maria.garcia@acme-corp.com or +44 20 7946 0321.',
  'The failing request came from 203.0.113.77 with header x-request-id 4f1c2a9e-8b7d-4c3e-9f0a-1b2c3d4e5f60.',
  'Oops, the env dump had DB_PASSWORD=Kettle-fake42! in it, rotate that please.',
];

/** Returns a chat payload whose string leaves total about `chars` characters, with a few findings. */
export function chatPayload(chars: number): { messages: Array<{ role: string; content: string }> } {
  const messages: Array<{ role: string; content: string }> = [];
  let total = 0;
  let i = 0;
  while (total < chars) {
    const role = i % 2 === 0 ? 'user' : 'assistant';
    // Every fifth message carries a finding, the first one included, so even 1 KiB has one.
    let content = i % 5 === 0 ? `${FINDINGS[(i / 5) % FINDINGS.length] as string}\n` : '';
    for (let k = 0; k < 6; k++) content += `${PROSE[(i + k) % PROSE.length] as string}\n`;
    content = content.slice(0, Math.max(0, chars - total - role.length));
    messages.push({ role, content });
    total += role.length + content.length;
    i++;
  }
  return { messages };
}

/** Returns the median and 95th percentile of `fn`'s run time in milliseconds. */
export function time(fn: () => unknown, iterations: number): { median: number; p95: number } {
  for (let i = 0; i < Math.min(20, iterations); i++) fn(); // warm up the JIT and the regex compiler
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return {
    median: samples[Math.floor(samples.length / 2)] as number,
    p95: samples[Math.floor(samples.length * 0.95)] as number,
  };
}

/** Adversarial inputs: repetitions that would make a backtracking or rescanning detector super-linear. */
export const ADVERSARIAL: Record<string, (n: number) => unknown> = {
  'a repeated': (n) => ({ prompt: 'a'.repeat(n) }),
  '@ repeated': (n) => ({ prompt: '@'.repeat(n) }),
  'a@ repeated': (n) => ({ prompt: 'a@'.repeat(n / 2) }),
  'sk- repeated': (n) => ({ prompt: 'sk-'.repeat(n / 3) }),
  'digits repeated': (n) => ({ prompt: '1'.repeat(n) }),
  'digit groups': (n) => ({ prompt: '12 '.repeat(n / 3) }),
  '-----BEGIN  repeated': (n) => ({ prompt: '-----BEGIN '.repeat(n / 11) }),
  'BEGIN PRIVATE KEY headers': (n) => ({ prompt: '-----BEGIN PRIVATE KEY-----\n'.repeat(n / 28) }),
  'eyJ repeated': (n) => ({ prompt: 'eyJ'.repeat(n / 3) }),
  'AKIA keys packed': (n) => ({ prompt: 'AKIAABCDEFGHIJKLMNOP '.repeat(n / 21) }),
  'password= repeated': (n) => ({ prompt: 'password='.repeat(n / 9) }),
  ':// repeated': (n) => ({ prompt: '://a:'.repeat(n / 5) }),
  'type service_account': (n) => ({ prompt: '"type": "service_account", '.repeat(n / 27) }),
  'colons (IPv6)': (n) => ({ prompt: '1:'.repeat(n / 2) }),
  'dotted quads': (n) => ({ prompt: '1.2.3.4.'.repeat(n / 8) }),
  'base64 blob': (n) => ({ prompt: 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0'.repeat(n / 36) }),
  'nested short strings': (n) => {
    let node: unknown = 'x';
    for (let i = 0; i < n / 16; i++) node = [node, 'ab'];
    return { arguments: node };
  },
};

const KIB256 = 262144;
const fill = (unit: string): string => unit.repeat(Math.floor(KIB256 / unit.length));

/**
 * 256 KiB inputs built to stress the rule set: near misses of the common shapes, and for every upstream rule
 * its keywords followed by an assignment of a value one character too short or of the wrong alphabet, so that
 * the prefilter lets the rule run and the regex has to reject every candidate.
 */
export function stressInputs(): Array<[string, string]> {
  const inputs: Array<[string, string]> = [
    ['JWT-shaped near misses', fill('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.x ')],
    ['AKIA-shaped near misses', fill('AKIAABCDEFGHIJKLMNO ')],
    ['AKIA keys packed', fill('AKIAABCDEFGHIJKLMNOP ')],
    ['token= with short values', fill('token = "abc123XYZ" ')],
    ['api_key: with long values', fill('api_key: Q7vK2mZp9XwL4rT8nB3cY6hF1dJ5sA0e\n')],
    ['credential-like words', fill('secret key token password auth credential access ')],
  ];
  for (const rule of UPSTREAM.rules) {
    const word = rule.keywords[0];
    if (word === undefined || rule.regex === '') continue;
    inputs.push([`${rule.id} near misses`, fill(`${word}_token = "${word}Ab1" `)]);
  }
  return inputs;
}

/** Runs the benchmark and prints its results; returns false when a linearity check fails. */
export function main(): boolean {
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
  console.log('\nscreenPayload on chat payloads (median / p95, ms):');
  for (const [label, chars, iterations] of [
    ['1 KiB', 1024, 2000],
    ['32 KiB', 32768, 400],
    ['256 KiB', 262144, 60],
  ] as const) {
    const payload = chatPayload(chars);
    const result = screenPayload(payload);
    const t = time(() => screenPayload(payload), iterations);
    console.log(
      `  ${label.padEnd(8)} chars=${String(result.chars).padEnd(7)} findings=${JSON.stringify(result.findings)}  ` +
        `median ${t.median.toFixed(3)}  p95 ${t.p95.toFixed(3)}`,
    );
  }

  console.log('\nper detector on the 32 KiB payload (median, ms):');
  const text = chatPayload(32768)
    .messages.map((m) => m.content)
    .join('\n');
  for (const detector of DETECTORS) {
    const t = time(() => detector.detect(text, [] as TextSpan[]), 300);
    console.log(`  ${detector.name.padEnd(24)} ${t.median.toFixed(4)}`);
  }

  console.log('\nlinearity on adversarial inputs (median ms at N=64 KiB and 2N; ratio should stay under 4):');
  let ok = true;
  const n = 65536;
  for (const [name, make] of Object.entries(ADVERSARIAL)) {
    const small = make(n);
    const large = make(2 * n);
    const a = time(() => screenPayload(small), 15).median;
    const b = time(() => screenPayload(large), 15).median;
    const ratio = b / Math.max(a, 0.001);
    if (ratio > 4) ok = false;
    console.log(
      `  ${name.padEnd(28)} ${a.toFixed(2).padStart(7)} ${b.toFixed(2).padStart(7)}  x${ratio.toFixed(2)}${ratio > 4 ? '  NOT LINEAR' : ''}`,
    );
  }

  console.log(
    '\nevent-loop bound: one screenPayload call on 256 KiB stress inputs (max of 3 runs, ms; bound 20):',
  );
  const results = stressInputs().map(([name, text]) => {
    const payload = { prompt: text };
    let worst = 0;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      screenPayload(payload);
      worst = Math.max(worst, performance.now() - t0);
    }
    return { name, worst };
  });
  results.sort((a, b) => b.worst - a.worst);
  for (const r of results.slice(0, 12))
    console.log(`  ${r.name.padEnd(48)} ${r.worst.toFixed(1).padStart(7)}`);
  const over = results.filter((r) => r.worst > 20);
  console.log(
    `  ${results.length} inputs, ${over.length} over 20 ms; median ${results[Math.floor(results.length / 2)]?.worst.toFixed(1)} ms`,
  );
  return ok;
}

if (require.main === module) process.exitCode = main() ? 0 : 1;
