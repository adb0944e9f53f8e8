/**
 * Micro-benchmarks (`npm run bench:micro`, also part of `npm run bench`): policy evaluation in WASM
 * against `opa bench`, JWT verification per algorithm cached and uncached, audit append per record
 * with group commit, and screening per KiB. In-process, on the code in src/.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBenchPolicy } from './lib/bench-policy';
import { fmt, markdownTable } from './lib/markdown';
import { auditAppend } from './micro/audit-append';
import { jwtVerify } from './micro/jwt-verify';
import { screeningPerKiB } from './micro/screening-per-kib';
import { wasmEval } from './micro/wasm-eval';

/** What the micro-benchmarks measured, as Markdown. */
export interface MicroResult {
  markdown: string;
}

/** Runs every micro-benchmark; `quick` shortens each measurement (numbers not meaningful). */
export async function runMicro(options: {
  quick: boolean;
  log: (line: string) => void;
}): Promise<MicroResult> {
  const { log } = options;
  const ms = options.quick ? 100 : 1500;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'modelgate-micro-'));
  try {
    log('micro: policy evaluation (WASM) and opa bench');
    const policy = buildBenchPolicy(dir);
    const wasm = await wasmEval(policy, dir, ms);
    log('micro: JWT verification');
    const jwt = await jwtVerify(ms);
    log('micro: audit append');
    const audit = await auditAppend(dir, options.quick ? 500 : 5000, ms);
    log('micro: screening');
    const screening = screeningPerKiB(ms);

    const us = (value: number) => fmt(value, 1);
    const sections = [
      '**Policy evaluation**, `modelgate/decision` on the benchmark input ' +
        `(${wasm.inputBytes} bytes of JSON), per call:`,
      '',
      markdownTable(
        ['evaluator', 'µs/call'],
        [
          ['modelgate WasmPolicyEngine.evaluate (what the pipeline calls)', us(wasm.engine)],
          ['  of which JSON.stringify(input)', us(wasm.stringify)],
          ['opa-wasm evaluate on pre-encoded input (eval + result parse)', us(wasm.preEncoded)],
          [`opa bench, topdown (${wasm.opaBenchNote})`, us(wasm.opaBench)],
        ],
      ),
      '',
      '`opa bench -t wasm` is not available: the pinned OPA is built without a WebAssembly runtime.',
      '',
      '**JWT verification**, per token:',
      '',
      markdownTable(
        ['alg', 'uncached µs', 'cached µs', 'signature only µs', 'note'],
        jwt.map((r) => [r.alg, us(r.uncached), us(r.cached), us(r.signatureOnly), r.note]),
      ),
      '',
      `**Audit append**, ${audit.recordBytes}-byte canonical record, ${audit.concurrency} concurrent appenders ` +
        'each awaiting durability (the pipeline’s pattern), group commit on:',
      '',
      markdownTable(
        [
          'synchronous',
          'records',
          'µs/record (wall)',
          'records/commit',
          `ms until a batch of ${audit.concurrency} is durable: p50`,
          'p99',
          'max',
        ],
        audit.rows.map((r) => [
          r.synchronous,
          String(r.records),
          us(r.usPerRecord),
          fmt(r.recordsPerCommit, 1),
          fmt(r.batch.p50, 2),
          fmt(r.batch.p99, 2),
          fmt(r.batch.max, 2),
        ]),
      ),
      '',
      `CPU before the queue, per record: schema check ${us(audit.prepare.assert)} µs, canonical JSON ` +
        `${us(audit.prepare.canonical)} µs, chain hash ${us(audit.prepare.hash)} µs.`,
      '',
      '**Screening**, `screenPayload` then `redactPayload` of the classes found:',
      '',
      markdownTable(
        ['payload', 'chars', 'findings', 'screen µs', 'µs/KiB', 'redact µs'],
        screening.map((r) => [
          r.label,
          String(r.chars),
          JSON.stringify(r.findings),
          us(r.screenUs),
          us(r.usPerKiB),
          us(r.redactUs),
        ]),
      ),
    ];
    return { markdown: sections.join('\n') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
