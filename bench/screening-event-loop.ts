/**
 * Event-loop bound of screening: 256 KiB payloads built to stress each rule (bench/screening.bench.ts'
 * stressInputs) are screened the way /v1/decide screens them (a ScreeningPool: small payloads inline, large
 * ones on a thread with a time budget), while `perf_hooks.monitorEventLoopDelay` samples how long the event
 * loop was held. The issue's bound is 20 ms. For comparison, the same inputs are timed inline (what the event
 * loop would be held for without the pool).
 * Run: `npx tsx bench/screening-event-loop.ts [--limit N] [--concurrency C]`.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ReasonCode } from '../src/errors';
import { DEFAULT_SCREENING_BUDGET_MS, ScreeningPool, screenPayload } from '../src/screening';
import { chatPayload, stressInputs } from './screening.bench';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      limit: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '4' },
      'inline-sample': { type: 'string', default: '12' },
    },
  });
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
  const ms = (ns: number): string => (ns / 1e6).toFixed(1);
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
