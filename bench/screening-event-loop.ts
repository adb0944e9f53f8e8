/**
 * Event-loop bound of screening: 256 KiB payloads built to stress each rule (bench/screening.bench.ts'
 * stressInputs) are screened the way /v1/decide screens them (a ScreeningPool: small payloads inline, large
 * ones on a thread with a time budget), while `perf_hooks.monitorEventLoopDelay` samples how long the event
 * loop was held. The issue's bound is 20 ms. For comparison, the same inputs are timed inline (what the event
 * loop would be held for without the pool).
 * `--case redact` measures instead what an allowed decision with a redact obligation holds the loop for: payloads
 * of 4,000 messages with an email each (about 240 KiB), already screened, redacted on the event loop
 * (redactPayload, what /v1/decide did before) and through the pool (ScreeningPool.redact, what it does now).
 * Run: `npx tsx bench/screening-event-loop.ts [--case stress|redact|all] [--limit N] [--concurrency C]
 * [--payloads P]`.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ReasonCode } from '../src/errors';
import { DEFAULT_SCREENING_BUDGET_MS, redactPayload, ScreeningPool, screenPayload } from '../src/screening';
import { chatPayload, stressInputs } from './screening.bench';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      limit: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '4' },
      'inline-sample': { type: 'string', default: '12' },
      case: { type: 'string', default: 'stress' },
      payloads: { type: 'string', default: '60' },
    },
  });
  if (values.case === 'redact' || values.case === 'all') {
    await redaction(Number(values.payloads), Number(values.concurrency));
    if (values.case === 'redact') return;
  }
  // Flat strings, as JSON.parse gives them to the service.
  const inputs = stressInputs()
    .slice(0, Number(values.limit))
    .map(([name, text]) => ({ name, payload: JSON.parse(JSON.stringify({ prompt: text })) as unknown }));
  const pool = new ScreeningPool();
  // Let the threads compile the rule set before measuring.
  await pool.screen(chatPayload(32768), {}, 60_000);

  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const t0 = performance.now();
  let timeouts = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < inputs.length) {
      const input = inputs[next++]!;
      await pool.screen(input.payload).catch((err: { code?: string }) => {
        if (err.code === ReasonCode.ScreeningTimeout) timeouts++;
        else throw err;
      });
    }
  };
  await Promise.all(Array.from({ length: Number(values.concurrency) }, worker));
  const seconds = (performance.now() - t0) / 1000;
  histogram.disable();
  await pool.close();
  // The same measurement with nothing to do: on a shared machine the OS alone delays the loop now and then.
  const idle = monitorEventLoopDelay({ resolution: 1 });
  idle.enable();
  await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, seconds * 1000)));
  idle.disable();
  console.log(`node ${process.version}; ${inputs.length} stress inputs of 256 KiB through a ScreeningPool`);
  console.log(
    `  idle baseline (same length, no work): max ${ms(idle.max)} ms, p99 ${ms(idle.percentile(99))} ms`,
  );
  console.log(
    `  event-loop delay: max ${ms(histogram.max)} ms, p99 ${ms(histogram.percentile(99))} ms, ` +
      `mean ${ms(histogram.mean)} ms (bound 20 ms) over ${seconds.toFixed(1)} s; ` +
      `${timeouts} screening_timeout (budget ${DEFAULT_SCREENING_BUDGET_MS} ms)`,
  );

  // Inline, for comparison: the heaviest inputs as the event loop would see them without the pool.
  const sample = Number(values['inline-sample']);
  const inline = inputs.map(({ name, payload }) => {
    const started = performance.now();
    screenPayload(payload);
    return { name, ms: performance.now() - started };
  });
  inline.sort((a, b) => b.ms - a.ms);
  const over = inline.filter((r) => r.ms > 20).length;
  console.log(
    `  inline (no pool): ${over} of ${inline.length} over 20 ms; median ` +
      `${inline[inline.length >> 1]?.ms.toFixed(1)} ms; heaviest:`,
  );
  for (const r of inline.slice(0, sample))
    console.log(`    ${r.name.padEnd(48)} ${r.ms.toFixed(1).padStart(7)} ms`);
}

void main();

const ms = (ns: number): string => (ns / 1e6).toFixed(1);

/** A chat of `n` messages with an email address each, as JSON.parse gives it to the service. */
function mailChat(n: number): unknown {
  const messages = Array.from({ length: n }, (_, i) => ({
    role: i % 2 === 0 ? 'user' : 'assistant',
    content: `Write to jane.doe${i}@acme-corp.com about the invoice.`,
  }));
  return JSON.parse(JSON.stringify({ messages })) as unknown;
}

/**
 * Event-loop hold of redacting large allowed payloads, as /v1/decide does it: each payload screened on a thread,
 * then redacted, inline (redactPayload, before) or through the pool (ScreeningPool.redact, after). `concurrency`
 * decisions at a time. Reported: the event loop's delay over the whole run (screening included, the same in
 * both), and with one at a time, the loop's busy time during the redaction step alone.
 */
async function redaction(count: number, concurrency: number): Promise<void> {
  const pool = new ScreeningPool({ inlineChars: 16384, budgetMs: 60_000 });
  const payloads = Array.from({ length: count }, () => mailChat(4000));
  const warm = await pool.screen(payloads[0]);
  await pool.redact(payloads[0], warm, ['email'], '[REDACTED:<class>]');
  redactPayload(payloads[0], warm, ['email'], '[REDACTED:<class>]');
  console.log(
    `node ${process.version}; ${count} allowed payloads of ${warm.chars} characters, ` +
      `${warm.spans.length} emails each, ${concurrency} at a time`,
  );

  for (const where of ['inline (redactPayload)', 'pool (ScreeningPool.redact)']) {
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    let busyMs = 0;
    let longest = 0;
    const t0 = performance.now();
    histogram.enable();
    let next = 0;
    const decision = async (): Promise<void> => {
      while (next < count) {
        const payload = payloads[next++];
        const result = await pool.screen(payload);
        const elu = performance.eventLoopUtilization();
        const started = performance.now();
        if (where.startsWith('inline')) redactPayload(payload, result, ['email'], '[REDACTED:<class>]');
        else {
          const redacted = pool.redact(payload, result, ['email'], '[REDACTED:<class>]');
          longest = Math.max(longest, performance.now() - started); // sending it: the synchronous part
          await redacted;
        }
        if (where.startsWith('inline')) longest = Math.max(longest, performance.now() - started);
        busyMs += performance.eventLoopUtilization(elu).active;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, decision));
    histogram.disable();
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `  ${where.padEnd(28)} event-loop delay max ${ms(histogram.max)} ms, p99 ${ms(histogram.percentile(99))} ms ` +
        `over ${seconds.toFixed(1)} s; longest synchronous call ${longest.toFixed(1)} ms` +
        (concurrency === 1
          ? `; loop busy during redaction ${(busyMs / count).toFixed(2)} ms per payload`
          : ''),
    );
  }
  await pool.close();
  const idle = monitorEventLoopDelay({ resolution: 1 });
  idle.enable();
  await new Promise((resolve) => setTimeout(resolve, 3000));
  idle.disable();
  console.log(`  idle baseline (3 s, no work): max ${ms(idle.max)} ms, p99 ${ms(idle.percentile(99))} ms`);
}
