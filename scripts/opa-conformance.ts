/**
 * Runs OPA's own conformance cases (v1/test/cases/testdata/<v1|v0> in OPA's Go module, read where `go mod
 * download` put it, never copied here) through modelgate's WASM engine: each case is built with the pinned
 * `opa build -t wasm` and modelgate's capabilities, loaded as production loads a bundle, and evaluated.
 * Usage: tsx scripts/opa-conformance.ts [--cases v0] [--only REGEX] [--verbose]
 * Prints a count per outcome; with --verbose, each case that is not a pass.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { capabilitiesOf } from '../src/cli/commands/bundle';
import { readBundle } from '../src/policy/bundle';
import { WasmPolicyEngine } from '../src/policy/wasm-policy-engine';

interface Case {
  note: string;
  query: string;
  modules?: string[];
  data?: Record<string, unknown>;
  input?: unknown;
  input_term?: string;
  want_defined?: boolean;
  want_result?: Record<string, unknown>[];
  want_error?: string;
  want_error_code?: string;
  sort_bindings?: boolean;
  strict_error?: boolean;
}

/** How one case is evaluated: the modules to build, the entrypoint, and how its result becomes result rows. */
interface Plan {
  modules: string[];
  entrypoint: string;
  rows(result: unknown): Record<string, unknown>[];
}

type Outcome = 'pass' | 'set order' | 'fail' | 'refused' | 'skipped';

const root = path.join(__dirname, '..');
const args = process.argv.slice(2);
const option = (name: string): string | undefined => args[args.indexOf(name) + 1];
const rego = option('--cases') === 'v0' ? 'v0' : 'v1';
const only = new RegExp(args.includes('--only') ? (option('--only') ?? '') : '');

// OPA's module as `go mod download` fetches it: the version the pinned binary is.
function opaModule(): string {
  const version = readFileSync(path.join(root, '.opa-version'), 'utf8').trim();
  const out = execFileSync(
    'go',
    ['mod', 'download', '-json', `github.com/open-policy-agent/opa@${version}`],
    {
      encoding: 'utf8',
    },
  );
  return (JSON.parse(out) as { Dir: string }).Dir;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return yamlFiles(file);
    return /\.ya?ml$/.test(name) ? [file] : [];
  });
}

// A query `data.a.b = x` is the entrypoint a/b; any other becomes a rule whose set holds the query's rows.
function plan(c: Case): Plan | undefined {
  const direct = /^data\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*) = ([A-Za-z_]\w*)$/.exec(c.query.trim());
  if (direct && direct[2] !== 'input' && direct[2] !== 'data') {
    const [, ref, name] = direct as unknown as [string, string, string];
    return {
      modules: c.modules ?? [],
      entrypoint: ref.replaceAll('.', '/'),
      rows: (result) => (result === undefined ? [] : [{ [name]: result }]),
    };
  }
  if (c.query.trim() === 'data = x') return undefined;
  const vars = Object.keys(c.want_result?.[0] ?? {});
  const head = vars.length > 0 ? `{${vars.map((v) => `"${v}": ${v}`).join(', ')}}` : '{}';
  const imports = rego === 'v0' ? 'import rego.v1\n\n' : '';
  const rule = `package mgq\n\n${imports}rows contains ${head} if {\n\t${c.query.trim().replaceAll('\n', '; ')}\n}\n`;
  return {
    modules: [...(c.modules ?? []), rule],
    entrypoint: 'mgq/rows',
    rows: (result) => (result ?? []) as Record<string, unknown>[],
  };
}

function build(opa: string, dir: string, p: Plan, capabilities?: string): string | undefined {
  const files = p.modules.map((text, i) => {
    const file = path.join(dir, `module-${i}.rego`);
    writeFileSync(file, text);
    return file;
  });
  const out = path.join(dir, 'bundle.tar.gz');
  const flags = [
    '-t',
    'wasm',
    '-e',
    p.entrypoint,
    '-o',
    out,
    ...(capabilities ? ['--capabilities', capabilities] : []),
  ];
  try {
    execFileSync(opa, ['build', ...flags, ...(rego === 'v0' ? ['--v0-compatible'] : []), ...files], {
      stdio: 'pipe',
    });
    return out;
  } catch {
    return undefined;
  }
}

// As OPA's e2e runner hands a Rego term to its SDK: as JSON, sets as arrays.
function termAsJson(opa: string, term: string): unknown {
  const out = JSON.parse(execFileSync(opa, ['eval', '-f', 'json', term], { encoding: 'utf8' })) as {
    result: { expressions: { value: unknown }[] }[];
  };
  return out.result[0]?.expressions[0]?.value;
}

// Rows compared as a set, keys sorted; `sortArrays` also sorts every array, since a set's order in the module's
// JSON is its own and JSON cannot tell a set from an array (OPA's runner sorts sets where a case sorts bindings).
function rowsText(rows: Record<string, unknown>[], sortArrays: boolean): string {
  const canon = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      const items = v.map(canon);
      return sortArrays ? items.map((x) => JSON.stringify(x)).sort() : items;
    }
    if (v === null || typeof v !== 'object') return v;
    const object = v as Record<string, unknown>;
    return Object.keys(object)
      .sort()
      .map((k) => [k, canon(object[k])]);
  };
  return JSON.stringify([...new Set(rows.map((row) => JSON.stringify(canon(row))))].sort());
}

function compare(c: Case, rows: Record<string, unknown>[] | undefined): Outcome {
  const wantsError = (c.want_error ?? c.want_error_code) !== undefined && !c.strict_error;
  // OPA's WASM compiler has no strict builtin errors: a strict error is an empty result there.
  if (rows === undefined) return wantsError ? 'pass' : 'fail';
  if (c.want_defined !== undefined) return rows.length > 0 === c.want_defined ? 'pass' : 'fail';
  if (c.want_result === undefined) return rows.length === 0 ? 'pass' : 'fail';
  const sorted = c.sort_bindings === true;
  if (rowsText(rows, sorted) === rowsText(c.want_result, sorted)) return 'pass';
  return rowsText(rows, true) === rowsText(c.want_result, true) ? 'set order' : 'fail';
}

async function run(opa: string, c: Case, capabilities: string, skip: Set<string>): Promise<Outcome> {
  const p = plan(c);
  if (skip.has(c.note) || p === undefined) return 'skipped';
  const input = c.input_term === undefined ? c.input : termAsJson(opa, c.input_term);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'modelgate-conformance-'));
  try {
    const bundle = build(opa, dir, p, capabilities);
    if (bundle === undefined) {
      // Built without modelgate's capabilities, it compiles: a builtin modelgate does not serve.
      if (build(opa, dir, p) !== undefined) return 'refused';
      // OPA itself rejects it at compile time, which a case may want; else it needs OPA's test-only builtins.
      return (c.want_error ?? c.want_error_code) !== undefined ? 'pass' : 'skipped';
    }
    let engine: WasmPolicyEngine;
    try {
      engine = await WasmPolicyEngine.load({ ...(await readBundle(bundle)), data: c.data ?? {} });
    } catch {
      return 'refused';
    }
    let rows: Record<string, unknown>[] | undefined;
    try {
      rows = p.rows(engine.evaluate(input, p.entrypoint));
    } catch {
      rows = undefined;
    }
    return compare(c, rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const opa = execFileSync(path.join(root, 'scripts', 'ensure-opa.sh'), { encoding: 'utf8' }).trim();
  const module = opaModule();
  const exceptionsFile = path.join(module, 'internal/wasm/sdk/test/e2e/exceptions.yaml');
  // The cases OPA's own WASM end-to-end test leaves out.
  const skip = new Set(Object.keys(parse(readFileSync(exceptionsFile, 'utf8')) as Record<string, string>));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'modelgate-capabilities-'));
  const capabilities = path.join(dir, 'capabilities.json');
  writeFileSync(capabilities, JSON.stringify(await capabilitiesOf(opa)));
  const cases = path.join(module, 'v1/test/cases/testdata', rego);
  const counts: Record<string, number> = {};
  try {
    for (const file of yamlFiles(cases).filter((f) => only.test(path.relative(cases, f)))) {
      for (const c of (parse(readFileSync(file, 'utf8')) as { cases?: Case[] }).cases ?? []) {
        const outcome = await run(opa, c, capabilities, skip);
        counts[outcome] = (counts[outcome] ?? 0) + 1;
        if (args.includes('--verbose') && outcome !== 'pass') console.log(`${outcome}: ${c.note}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`OPA ${rego} conformance cases through modelgate's WASM engine:`, counts);
}

void main();
