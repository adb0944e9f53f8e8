/**
 * `npm run bench`: the side-by-side load test (A, B, C) and the micro-benchmarks; prints both tables
 * and writes them, with the date, the machine and the command, into bench/RESULTS.md.
 *   --quick           short runs, to check the harness (numbers not meaningful)
 *   --load-only | --micro-only
 *   --normal          also run A with audit synchronous NORMAL
 *   --no-pg           leave out contender A/PG (A on a throw-away PostgreSQL, which is installed if missing)
 *   --pg              accepted for older command lines: A/PG runs unless --no-pg
 *   --cpu-prof DIR    write V8 CPU profiles of the modelgate servers into DIR
 *   --main FILE       run this compiled CLI (e.g. a snapshot of an older build) instead of building dist/
 *   --before FILE     also run A and B on this compiled CLI (an older build), alternating with the others
 *   --before-label T  what the table calls that build
 *   --section NAME    the RESULTS.md section the load table goes to (default `load`)
 *   --no-write        print only, leave RESULTS.md alone
 * The load section ends with the cost of metrics and decision-log shipping, on against off
 * (bench/observability.ts, which `npm run bench:observability` runs alone).
 * Every load run ends with the regression guard: its ratios to C against bench/baseline.json
 * (lib/regression-guard.ts); a run that writes RESULTS.md also records them there.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, opaBinary } from './lib/bench-policy';
import { buildDist } from './lib/build-dist';
import { describeMachine } from './lib/machine';
import { replaceSection } from './lib/markdown';
import { runLoad } from './load';
import { runMicro } from './micro';
import { runObservability } from './observability';
import { compareWithBaseline, ratiosToC, readBaseline, writeBaseline } from './lib/regression-guard';

const RESULTS = path.join(ROOT, 'bench', 'RESULTS.md');
const BASELINE = path.join(ROOT, 'bench', 'baseline.json');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      'load-only': { type: 'boolean', default: false },
      'micro-only': { type: 'boolean', default: false },
      normal: { type: 'boolean', default: false },
      pg: { type: 'boolean', default: false },
      'no-pg': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      connections: { type: 'string', default: '64' },
      main: { type: 'string' },
      before: { type: 'string' },
      'before-label': { type: 'string' },
      section: { type: 'string', default: 'load' },
    },
  });
  const started = Date.now();
  const log = (line: string) =>
    console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  const command = [
    'npm run bench',
    ...(process.argv.slice(2).length ? ['--', ...process.argv.slice(2).map(shellQuote)] : []),
  ].join(' ');
  const header = (title: string) =>
    `## ${title}\n\n${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC — \`${command}\`\n\n` +
    `Machine: ${describeMachine(opaBinary())}\n`;
  const write = !values['no-write'] && !values.quick;

  if (!values['micro-only']) {
    let build;
    if (values.main) {
      build = { main: path.resolve(values.main), memoryProbe: '' };
      log(`using ${build.main}`);
    } else {
      log('compiling src/ into dist/ (as npm run build does)');
      build = buildDist();
    }
    const quick = values.quick;
    const load = await runLoad({
      build,
      connections: Number(values.connections),
      warmupSeconds: quick ? 1 : 5,
      saturationSeconds: quick ? 2 : 8,
      saturationRounds: quick ? 1 : 3,
      fixedSeconds: quick ? 2 : 10,
      fixedRounds: quick ? 1 : 2,
      normal: values.normal,
      postgres: !values['no-pg'],
      beforeMain: values.before ? path.resolve(values.before) : undefined,
      beforeLabel: values['before-label'],
      cpuProfDir: values['cpu-prof'],
      log,
    });
    const title = values.main
      ? `Load: A, B and C side by side (${path.relative(ROOT, build.main)})`
      : 'Load: A, B and C side by side';
    const observability = await runObservability({
      build,
      rounds: quick ? 1 : 4,
      seconds: quick ? 2 : 8,
      connections: 32,
      cpuRps: 400,
      cpuSeconds: quick ? 2 : 10,
      metrics: true,
      shipping: true,
      log,
    });
    const section = `${header(title)}\n${load.markdown}\n\n${observability.markdown}`;
    console.log(`\n${section}\n`);
    if (write) await replaceSection(RESULTS, values.section, section);
    const ratios = ratiosToC(load.contenders);
    console.log(`\n${compareWithBaseline(ratios, readBaseline(BASELINE))}\n`);
    if (write && !values.main) {
      const machine = describeMachine(opaBinary());
      writeBaseline(BASELINE, { recorded_at: new Date().toISOString(), command, machine, ratios });
    }
  }
  if (!values['load-only']) {
    const micro = await runMicro({ quick: values.quick, log });
    const section = `${header('Micro-benchmarks')}\n${micro.markdown}`;
    console.log(`\n${section}\n`);
    if (write) await replaceSection(RESULTS, 'micro', section);
  }
  log(write ? `done; results written to ${path.relative(process.cwd(), RESULTS)}` : 'done');
}

function shellQuote(arg: string): string {
  return /^[\w./=:-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
