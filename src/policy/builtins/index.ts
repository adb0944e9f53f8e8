import type { LoadedPolicy } from '@open-policy-agent/opa-wasm';
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
import { objectBuiltins } from './objects';
import { jsonSchemaBuiltins } from './json-schema';
import { jwtBuiltins } from './jwt';
import { SDK_BUILTIN_NAMES } from './sdk-builtins';
import { RawJson, type Builtin, type BuiltinTable, type EvaluationContext } from './builtin';

/**
 * The builtins modelgate gives policies beyond what `opa build -t wasm` compiles into the module and what
 * @open-policy-agent/opa-wasm ships (`sprintf`, `regex.split`, `yaml.*`).
 */
export const HOST_BUILTINS: BuiltinTable = {
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
  ...objectBuiltins,
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

// What @open-policy-agent/opa-wasm implements in JavaScript itself (src/builtins/), mended to fail as OPA does.
export const SDK_BUILTINS: ReadonlySet<string> = SDK_BUILTIN_NAMES;

/**
 * Returns what keeps this policy from running here, one sentence per problem (none when it can run): the
 * builtins its module calls on the host that neither the SDK nor modelgate provides. Checked at load so that a
 * bundle is refused once, with the names, rather than failing every decision that reaches the call.
 */
export function missingBuiltins(policy: LoadedPolicy, table: BuiltinTable = HOST_BUILTINS): string[] {
  const needed = moduleBuiltins(policy).filter((name) => !SDK_BUILTINS.has(name) && !(name in table));
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

/** Returns the names of the builtins the module leaves to its host (its `builtins` export). */
export function moduleBuiltins(policy: LoadedPolicy): string[] {
  const instance = 'instance' in policy.wasmInstance ? policy.wasmInstance.instance : policy.wasmInstance;
  const exports = instance.exports as { builtins(): number; opa_json_dump(addr: number): number };
  const text = readCString(policy.mem, exports.opa_json_dump(exports.builtins()));
  return Object.keys(JSON.parse(text) as Record<string, number>).sort();
}

function readCString(memory: { buffer: ArrayBufferLike }, address: number): string {
  const bytes = new Uint8Array(memory.buffer);
  let end = address;
  while (bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(address, end));
}

/** The adapter the SDK calls: one evaluation context at a time, set by `begin()`. */
export interface HostBuiltins {
  /** Functions by name, in the form loadPolicy's `customBuiltins` takes. */
  readonly functions: Record<string, (...args: unknown[]) => unknown>;
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
  const functions: Record<string, (...args: unknown[]) => unknown> = {};
  for (const [name, builtin] of Object.entries(table)) functions[name] = adapt(builtin, current);
  return {
    functions,
    begin: (atMs?: number) => {
      context = undefined;
      fixedMs = atMs;
    },
  };
}

function adapt(builtin: Builtin, current: () => EvaluationContext): (...args: unknown[]) => unknown {
  return (...args: unknown[]) => {
    let result: unknown;
    try {
      result = builtin(current(), ...args);
    } catch {
      // OPA's evaluator (without --strict-builtin-errors) makes a call that fails undefined.
      return undefined;
    }
    return result instanceof RawJson ? new TextEncoder().encode(result.text).buffer : result;
  };
}

function nowNs(): bigint {
  // performance.timeOrigin + now() is wall-clock time in ms with µs resolution.
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}
