/**
 * `npm run bench:profile -- FILE.cpuprofile [--top N]`: summarises a V8 CPU profile (node --cpu-prof):
 * the functions with the most self time, and the inclusive time of each pipeline step.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Inclusive time of the frames whose names match, counted once per sample however deep they recur. */
const STEPS: [string, RegExp][] = [
  ['decide (whole pipeline, sync part)', /^decide$/],
  ['decideData (Data API, sync part)', /^decideData$/],
  ['express + body parsing', /^(handle|next|router|jsonBody|raw|rawParser|read|getRawBody)$/],
  ['token verification', /^(verify|verifyUncached|tokenSha256)$/],
  ['body limits + schema validation', /^(readBody|checkBodyLimits|validate\d*)$/],
  ['screening', /^(screenPayload|redactPayload)$/],
  ['policy evaluation (opa-wasm)', /^(evaluatePolicy|evaluateOrThrow)$/],
  ['audit append (prepare)', /^append$/],
  ['canonical JSON', /^canonicalJson$/],
  ['assertAuditRecord', /^assertAuditRecord$/],
  ['group commit (SQLite transaction)', /^(commitOne|flushScheduled)$/],
  ['response write (res.json)', /^(json|send)$/],
  ['garbage collector', /^\(garbage collector\)$/],
  ['idle', /^\(idle\)$/],
];

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' } },
  });
  const file = positionals[0];
  if (!file) throw new Error('usage: bench/profile.ts FILE.cpuprofile [--top N]');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  });

  const label = (n: ProfileNode) =>
    `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/(node_modules|dist|src)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
  const selfByLabel = new Map<string, number>();
  for (const [id, t] of self) {
    const key = label(byId.get(id)!);
    selfByLabel.set(key, (selfByLabel.get(key) ?? 0) + t);
  }
  const pct = (t: number) => `${((100 * t) / total).toFixed(1).padStart(5)}%`;
  console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled\n\nself time, top ${values.top}:`);
  [...selfByLabel.entries()]
    .sort((x, y) => y[1] - x[1])
    .slice(0, Number(values.top))
    .forEach(([key, t]) => console.log(`  ${pct(t)}  ${key}`));

  console.log('\nself time by area (package, node internals, our modules):');
  const byArea = new Map<string, number>();
  for (const [id, t] of self) {
    const area = areaOf(byId.get(id)!);
    byArea.set(area, (byArea.get(area) ?? 0) + t);
  }
  [...byArea.entries()]
    .sort((x, y) => y[1] - x[1])
    .filter(([, t]) => t / total >= 0.003)
    .forEach(([area, t]) => console.log(`  ${pct(t)}  ${area}`));

  console.log('\ninclusive time per step:');
  for (const [step, pattern] of STEPS) {
    let t = 0;
    for (const [id, dt] of self) {
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        if (pattern.test(byId.get(cur)!.callFrame.functionName)) {
          t += dt;
          break;
        }
      }
    }
    console.log(`  ${pct(t)}  ${step}`);
  }
}

function areaOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : `native ${functionName}`;
  if (url.startsWith('wasm://')) return 'policy WASM (opa)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `npm ${pkg[1]}`;
  const ours = /\/(?:dist|src)\/([^/]+)\//.exec(url);
  if (ours) return `modelgate ${ours[1]}/`;
  if (url.startsWith('node:')) return `node ${url.slice(5).split('/').slice(0, 2).join('/')}`;
  return url;
}

main();
