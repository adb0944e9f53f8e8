import { timeBuiltins } from './time';
import { stringBuiltins } from './strings';
import { regexBuiltins } from './regex';
import { netBuiltins } from './net';
import { semverBuiltins } from './semver';
import { unitBuiltins } from './units';
import { numberBuiltins } from './numbers';
import { uuidBuiltins } from './uuid';
import { encodingBuiltins } from './encoding';
import { cryptoBuiltins } from './crypto';
import { privateKeyBuiltins } from './private-keys';
import { objectBuiltins } from './objects';
import { jsonPatchBuiltins } from './json-patch';
import { jsonSchemaBuiltins } from './json-schema';
import { jwtBuiltins } from './jwt';
import { sdkBuiltins } from './sdk-builtins';
import { BuiltinLimitError, type BuiltinTable, type EvaluationContext } from './builtin';
import type { BuiltinHost } from './host-policy';
import { setsAsArrays } from './rego-value';

/**
 * The builtins a WASM policy calls on its host here: what `opa build -t wasm` leaves out of the module, from
 * modelgate and from @open-policy-agent/opa-wasm's own JavaScript (`yaml.*`, `json.is_valid`).
 */
export const HOST_BUILTINS: BuiltinTable = {
  ...sdkBuiltins,
  // A trace note goes to OPA's explain output, which the Data API does not serve; the call is true, as in OPA.
  trace: () => true,
  ...timeBuiltins,
  ...stringBuiltins,
  ...regexBuiltins,
  ...netBuiltins,
  ...semverBuiltins,
  ...unitBuiltins,
  ...numberBuiltins,
  ...uuidBuiltins,
  ...encodingBuiltins,
  ...cryptoBuiltins,
  ...privateKeyBuiltins,
  ...objectBuiltins,
  ...jsonPatchBuiltins,
  ...jsonSchemaBuiltins,
  ...jwtBuiltins,
};

/** Builtins a policy cannot use here, each with why: the bundle is refused when it loads. */
export const REFUSED_BUILTINS: Readonly<Record<string, string>> = {
  'http.send': 'a decision must not wait on, or be steered by, another service',
  'net.lookup_ip_addr': 'a decision must not wait on DNS',
  'providers.aws.sign_req': 'it signs requests for http.send, which is not provided',
  'opa.runtime': "modelgate is not OPA's runtime; pass configuration in the bundle's data",
};

// Builtins whose answer depends on whether an operand is a set or an array: they get sets as RegoSet. The rest
// get a set as an array in OPA's order (they take both alike). json.patch names a set's members by value and
// hands the set back.
const READS_SETS = new Set(['object.subset', 'net.cidr_contains_matches', 'sprintf', 'json.patch']);
// Builtins that get numbers as written (RegoNumber): sprintf types a number by how it is written (1 is an int64,
// 1.0 a float64) and prints big ones in full, json.marshal_with_options and io.jwt.encode_sign print them as
// written; the time builtins take nanoseconds past 2^53.
const EXACT_NUMBERS = new Set([
  'sprintf',
  'io.jwt.encode_sign',
  'json.marshal_with_options',
  'time.add_date',
  'time.clock',
  'time.date',
  'time.diff',
  'time.format',
  'time.weekday',
]);

/**
 * Returns what keeps a policy calling these builtins on its host from running here, one sentence per problem
 * (none when it can run). Checked at load so that a bundle is refused once, with the names, rather than failing
 * every decision that reaches the call.
 */
export function missingBuiltins(called: string[], table: BuiltinTable = HOST_BUILTINS): string[] {
  const needed = called.filter((name) => !(name in table));
  const refused = needed.filter((name) => name in REFUSED_BUILTINS);
  const unknown = needed.filter((name) => !(name in REFUSED_BUILTINS));
  const problems = refused.map(
    (name) => `the policy calls ${name}, which modelgate refuses: ${REFUSED_BUILTINS[name]}`,
  );
  if (unknown.length > 0) {
    problems.push(
      `the policy calls builtins that modelgate does not provide to WASM policies: ${unknown.join(', ')} ` +
        '(docs/policies.md, "Builtins", lists those it does)',
    );
  }
  return problems;
}

/** The host of one loaded policy: its builtin calls, one evaluation context at a time, set by `begin()`. */
export interface HostBuiltins extends BuiltinHost {
  /** Starts a new evaluation at `nowMs` (now, read at the first builtin call, when not given). */
  begin(nowMs?: number): void;
}

/** Returns the host builtins for one loaded policy. */
export function hostBuiltins(table: BuiltinTable = HOST_BUILTINS): HostBuiltins {
  let context: EvaluationContext | undefined;
  let fixedMs: number | undefined;
  // Created on the first builtin call of an evaluation, so a policy that calls none pays nothing.
  const current = (): EvaluationContext =>
    (context ??= { nowNs: fixedMs === undefined ? nowNs() : BigInt(fixedMs) * 1_000_000n, memo: new Map() });
  return {
    begin: (atMs?: number) => {
      context = undefined;
      fixedMs = atMs;
    },
    call: (name, operands) => {
      const builtin = table[name];
      if (builtin === undefined) throw new Error(`not implemented: built-in function ${name}`);
      const values = operands(EXACT_NUMBERS.has(name));
      try {
        return builtin(current(), ...(READS_SETS.has(name) ? values : values.map(setsAsArrays)));
      } catch (err) {
        // A bound of modelgate's fails the evaluation, and so does running out of stack on deep input (an
        // undefined call would let a deny rule that depends on it pass); any other failure makes the call
        // undefined, as OPA's evaluator does without --strict-builtin-errors.
        if (err instanceof BuiltinLimitError || isStackOverflow(err)) throw err;
        return undefined;
      }
    },
  };
}

function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && /call stack/i.test(err.message);
}

function nowNs(): bigint {
  // performance.timeOrigin + now() is wall-clock time in ms with µs resolution.
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}
