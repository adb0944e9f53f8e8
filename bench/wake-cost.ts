/**
 * `npx tsx bench/wake-cost.ts [--messages 2000]`: what this machine charges for waking a thread. modelgate hands
 * each decision to its screening thread and its audit writer and hears back from both; under light load those
 * threads sleep between decisions, so every hand-off wakes one. Prints the sender's cost of one `postMessage` to a
 * sleeping thread and to a busy one, the round trip to a sleeping thread, and the kernel's idle driver (whether
 * an idle vCPU halts at once or polls first, which moves the round trip; bench/RESULTS.md, "What a wake costs").
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { percentile } from './lib/stats';

// Echoes each message, or spins for the given milliseconds when asked, so that it is busy while posts arrive.
const ECHO = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => {
  if (typeof m === 'number') { const end = Date.now() + m; while (Date.now() < end); return; }
  if (m === 'echo') parentPort.postMessage(m);
});`;

// A message the size of a small chat, as modelgate posts one per decision.
const BODY = 'x'.repeat(2_000);

async function postCosts(worker: Worker, count: number, gapMs: number): Promise<number[]> {
  const costs: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    worker.postMessage(BODY);
    costs.push((performance.now() - start) * 1_000);
    if (gapMs > 0) await sleep(gapMs);
  }
  return costs;
}

async function roundTrips(worker: Worker, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    await sleep(1); // let the thread fall asleep
    const start = performance.now();
    const echoed = new Promise((resolve) => worker.once('message', resolve));
    worker.postMessage('echo');
    await echoed;
    times.push((performance.now() - start) * 1_000);
  }
  return times;
}

function describe(label: string, micros: number[]): string {
  const at = (p: number): string => percentile(micros, p).toFixed(1).padStart(7);
  return `${label.padEnd(44)}${at(50)}${at(90)}${at(99)}`;
}

function idleDriver(): string {
  const read = (file: string): string => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      return 'unknown';
    }
  };
  const pollNs = read('/sys/module/haltpoll/parameters/guest_halt_poll_ns');
  const driver = read('/sys/devices/system/cpu/cpuidle/current_driver');
  return driver === 'haltpoll' ? `${driver} (guest_halt_poll_ns ${pollNs})` : driver;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { messages: { type: 'string', default: '2000' } } });
  const count = Number(values.messages);
  const worker = new Worker(ECHO, { eval: true });
  try {
    await sleep(200);
    const sleeping = await postCosts(worker, count, 1);
    worker.postMessage(60_000); // busy from here on; the posts below queue behind the spin
    await sleep(50);
    const busy = await postCosts(worker, count, 0);
    await worker.terminate();
    const echo = new Worker(ECHO, { eval: true });
    await sleep(200);
    const trips = await roundTrips(echo, Math.min(count, 1_000));
    await echo.terminate();
    console.log(`cpu idle driver: ${idleDriver()}`);
    console.log(`${'µs'.padEnd(44)}${'p50'.padStart(7)}${'p90'.padStart(7)}${'p99'.padStart(7)}`);
    console.log(describe('postMessage to a sleeping thread (sender)', sleeping));
    console.log(describe('postMessage to a busy thread (sender)', busy));
    console.log(describe('round trip to a sleeping thread', trips));
  } finally {
    await worker.terminate();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
