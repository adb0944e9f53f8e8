import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { PolicyEngine } from './policy-engine';

/** What a case expects of the decision; every field is optional (partial match). */
export interface CaseExpectation {
  allow?: boolean;
  /** Codes that must all be present; an empty list means no reasons at all. */
  reasons?: string[];
  /** Each must match one actual obligation on the fields it names (arrays compared as sets). */
  obligations?: Record<string, unknown>[];
  /** Obligation types that must not appear. */
  absent_obligations?: string[];
}

/** One decision case: an input document and what the compiled policy must answer. */
export interface BundleCase {
  file: string;
  name: string;
  input: unknown;
  expect: CaseExpectation;
}

/** The outcome of one case: the problems found (empty when it passed). */
export interface CaseResult {
  case: BundleCase;
  problems: string[];
  actual: unknown;
  durationMs: number;
}

/** Thrown when a case file cannot be read or is not in the documented format. */
export class CaseFileError extends Error {}

/** Returns every case in the given files and folders (`*.yaml`, `*.yml`, `*.json`, recursively). */
export async function loadCases(locations: string[]): Promise<BundleCase[]> {
  const files: string[] = [];
  for (const location of locations) files.push(...(await caseFiles(location)));
  const cases: BundleCase[] = [];
  for (const file of files.sort()) cases.push(...parseCaseFile(file, await fs.readFile(file, 'utf8')));
  return cases;
}

async function caseFiles(location: string): Promise<string[]> {
  const stat = await fs.stat(location).catch((err: unknown) => {
    throw new CaseFileError(`${location}: cannot read (${(err as NodeJS.ErrnoException).code})`);
  });
  if (!stat.isDirectory()) return [location];
  const entries = await fs.readdir(location, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && /\.(ya?ml|json)$/i.test(e.name))
    .map((e) => path.join(e.parentPath, e.name));
}

/** Returns the cases of one file; `input_defaults` is deep-merged under each case's input. */
export function parseCaseFile(file: string, text: string): BundleCase[] {
  let doc: unknown;
  try {
    doc = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new CaseFileError(`${file}: cannot parse: ${(err as Error).message}`);
  }
  const root = doc as { input_defaults?: unknown; cases?: unknown } | null;
  if (!root || !Array.isArray(root.cases))
    throw new CaseFileError(`${file}: expected a top-level "cases" list`);
  rejectUnknownKeys(root, ROOT_KEYS, `${file}:`);
  return root.cases.map((raw, i) => {
    const c = raw as { name?: unknown; input?: unknown; expect?: unknown };
    if (typeof c?.name !== 'string') throw new CaseFileError(`${file}: cases[${i}] needs a "name"`);
    if (typeof c.expect !== 'object' || c.expect === null) {
      throw new CaseFileError(`${file}: case "${c.name}" needs an "expect" mapping`);
    }
    rejectUnknownKeys(c, CASE_KEYS, `${file}: case "${c.name}":`);
    rejectUnknownKeys(c.expect, EXPECT_KEYS, `${file}: case "${c.name}":`, 'expect.');
    return {
      file,
      name: c.name,
      input: deepMerge(root.input_defaults ?? {}, c.input ?? {}),
      expect: c.expect as CaseExpectation,
    };
  });
}

// A misspelt key (`reason:`, `inputs:`) would otherwise be ignored, and the case would pass checking less than its
// author wrote: in CI, a policy change that breaks the case would ship.
const ROOT_KEYS = new Set(['description', 'input_defaults', 'cases']);
const CASE_KEYS = new Set(['name', 'description', 'input', 'expect']);
const EXPECT_KEYS = new Set(['allow', 'reasons', 'obligations', 'absent_obligations']);

function rejectUnknownKeys(value: object, known: Set<string>, where: string, prefix = ''): void {
  const unknown = Object.keys(value).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new CaseFileError(
      `${where} unknown key "${prefix}${unknown[0]}" (expected ${[...known].map((k) => prefix + k).join(', ')})`,
    );
  }
}

/** Runs every case against the compiled policy. */
export function runCases(engine: PolicyEngine, entrypoint: string, cases: BundleCase[]): CaseResult[] {
  return cases.map((c) => {
    const started = performance.now();
    let actual: unknown;
    let problems: string[];
    try {
      actual = engine.evaluate(c.input, entrypoint);
      problems = compare(c.expect, actual);
    } catch (err) {
      problems = [`evaluation failed: ${(err as Error).message}`];
    }
    return { case: c, problems, actual, durationMs: performance.now() - started };
  });
}

/** Returns the differences between what a case expects and what the policy returned. */
export function compare(expect: CaseExpectation, actual: unknown): string[] {
  if (actual === undefined) return ['the entrypoint is undefined for this input'];
  const doc = actual as {
    allow?: unknown;
    reasons?: { code?: string }[];
    obligations?: Record<string, unknown>[];
  };
  const problems: string[] = [];
  if (expect.allow !== undefined && doc.allow !== expect.allow) {
    problems.push(`allow: expected ${expect.allow}, got ${JSON.stringify(doc.allow)}`);
  }
  const codes = (doc.reasons ?? []).map((r) => r.code);
  if (expect.reasons !== undefined) {
    if (expect.reasons.length === 0 && codes.length > 0)
      problems.push(`reasons: expected none, got [${codes.join(', ')}]`);
    const missing = expect.reasons.filter((code) => !codes.includes(code));
    if (missing.length > 0)
      problems.push(`reasons: missing [${missing.join(', ')}], got [${codes.join(', ')}]`);
  }
  const obligations = doc.obligations ?? [];
  for (const wanted of expect.obligations ?? []) {
    if (!obligations.some((o) => matches(wanted, o))) {
      problems.push(
        `obligations: none matches ${JSON.stringify(wanted)}; got ${JSON.stringify(obligations)}`,
      );
    }
  }
  for (const type of expect.absent_obligations ?? []) {
    if (obligations.some((o) => o.type === type))
      problems.push(`obligations: expected no "${type}", got one`);
  }
  return problems;
}

// Partial match: every field the expectation names must match; arrays are compared as sets.
function matches(expected: unknown, actual: unknown): boolean {
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      expected.length === actual.length &&
      expected.every((e) => actual.some((a) => matches(e, a)))
    );
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') return false;
    return Object.entries(expected).every(([k, v]) => matches(v, (actual as Record<string, unknown>)[k]));
  }
  return expected === actual;
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? deepMerge(base[k], v) : v;
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
