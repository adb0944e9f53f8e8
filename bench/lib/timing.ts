import { performance } from 'node:perf_hooks';

/** Time per call of a synchronous function, in microseconds. */
export interface Timing {
  /** Median over batches of the mean time per call. */
  us: number;
  /** Calls measured (warm-up excluded). */
  calls: number;
}

/**
 * Returns the time per call of `fn`: a warm-up of `warmupMs` (the JIT and WASM tier-up settle), then
 * batches of calls for about `measureMs`; the median batch is reported so one GC pause or scheduler
 * hiccup does not move the figure.
 */
export function timeSync(fn: () => unknown, measureMs = 1000, warmupMs = 300): Timing {
  const warmEnd = performance.now() + warmupMs;
  let batch = 1;
  while (performance.now() < warmEnd) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) fn();
    // Batches of about 10 ms: long enough to time, short enough to have many.
    if (performance.now() - t0 < 10) batch *= 2;
  }
  const means: number[] = [];
  let calls = 0;
  const end = performance.now() + measureMs;
  while (performance.now() < end || means.length < 5) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) fn();
    means.push(((performance.now() - t0) * 1000) / batch);
    calls += batch;
  }
  means.sort((x, y) => x - y);
  return { us: means[Math.floor(means.length / 2)]!, calls };
}

/** Returns the time per call of an async function called one after another (same method as timeSync). */
export async function timeAsync(
  fn: () => Promise<unknown>,
  measureMs = 1000,
  warmupMs = 300,
): Promise<Timing> {
  const warmEnd = performance.now() + warmupMs;
  let batch = 1;
  while (performance.now() < warmEnd) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) await fn();
    if (performance.now() - t0 < 10) batch *= 2;
  }
  const means: number[] = [];
  let calls = 0;
  const end = performance.now() + measureMs;
  while (performance.now() < end || means.length < 5) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) await fn();
    means.push(((performance.now() - t0) * 1000) / batch);
    calls += batch;
  }
  means.sort((x, y) => x - y);
  return { us: means[Math.floor(means.length / 2)]!, calls };
}

/**
 * Returns the median and p99, in ms, of `rounds` calls of `call` awaited one after another, after `warmup` calls
 * left out: for calls that take long enough to time one by one (a database round trip).
 */
export async function timeEachCall(
  call: () => Promise<unknown>,
  rounds: number,
  warmup: number,
): Promise<{ median_ms: number; p99_ms: number }> {
  for (let i = 0; i < warmup; i++) await call();
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = process.hrtime.bigint();
    await call();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) =>
    Number(samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!.toFixed(3));
  return { median_ms: at(0.5), p99_ms: at(0.99) };
}
