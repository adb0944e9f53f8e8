import type { LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { BundleError, type Bundle } from './bundle';
import {
  PolicyEvaluationError,
  type EvaluationOptions,
  type PolicyEngine,
  type PolicyInfo,
} from './policy-engine';
import { errorText } from '../errors';
import { hostBuiltins, missingBuiltins, type HostBuiltins } from './builtins';
import { loadHostedPolicy, type HostedPolicy } from './builtins/host-policy';
import { evaluateWithSets } from './evaluate-with-sets';

/** A policy compiled by `opa build -t wasm`, evaluated in-process with @open-policy-agent/opa-wasm. */
export class WasmPolicyEngine implements PolicyEngine {
  readonly info: PolicyInfo;
  private readonly policy: LoadedPolicy;
  private readonly builtins: HostBuiltins;

  private constructor(policy: LoadedPolicy, builtins: HostBuiltins, info: PolicyInfo) {
    this.policy = policy;
    this.builtins = builtins;
    this.info = info;
  }

  /** Loads a bundle's WASM module and data; checks compatibility once, here, not per request. */
  static async load(bundle: Bundle): Promise<WasmPolicyEngine> {
    const builtins = hostBuiltins();
    let hosted: HostedPolicy;
    try {
      hosted = await loadWithData(bundle.wasm, bundle.data, builtins);
    } catch (err) {
      throw new BundleError(`bundle ${bundle.name}: the WASM module does not load: ${errorText(err)}`, {
        cause: err,
      });
    }
    const missing = missingBuiltins(hosted.builtins);
    const policy = hosted.policy;
    if (missing.length > 0) throw new BundleError(`bundle ${bundle.name}: ${missing.join('; ')}`);
    const entrypoints = Object.keys(policy.entrypoints as Record<string, number>);
    return new WasmPolicyEngine(policy, builtins, {
      bundle: bundle.name,
      revision: bundle.revision,
      entrypoints,
    });
  }

  /** Returns whether the WASM module was compiled with this entrypoint (`opa build -e`). */
  hasEntrypoint(entrypoint: string): boolean {
    return this.info.entrypoints.includes(entrypoint);
  }

  /** Returns the entrypoint's result for this input, or undefined when the result set is empty. */
  evaluate(input: unknown, entrypoint: string, options: EvaluationOptions = {}): unknown {
    let resultSet: unknown;
    this.builtins.begin(options.nowMs);
    try {
      resultSet = evaluateWithSets(this.policy, input, entrypoint);
    } catch (err) {
      throw new PolicyEvaluationError(`policy evaluation failed: ${errorText(err)}`, { cause: err });
    }
    if (!Array.isArray(resultSet) || resultSet.length === 0) return undefined;
    return (resultSet[0] as { result?: unknown }).result;
  }
}

const WASM_PAGE_BYTES = 64 * 1024;
// What OPA's SDK starts a policy's memory with.
const SDK_MEMORY_PAGES = 5;
// What the memory of OPA's WASM module can grow to (32-bit addresses).
const WASM_MAX_PAGES = 65_536;
// OPA's JSON parser in the module holds a document in 2 to 19 times its JSON's bytes (measured on entitlements,
// lists of strings, maps of numbers, large strings, nested objects, groups of ids), the text itself included.
const DATA_MEMORY_FACTOR = 20;
// The module's own static data and the first evaluations' inputs and results.
const BASE_MEMORY_PAGES = 16;

/**
 * Instantiates a policy with its memory sized for `data` first, then loads `data` into it. OPA's allocator
 * grows the module's memory one 64 KiB page at a time, and V8 may collect garbage at each growth: 39 MB of
 * entitlements (100,000 subjects) took 5 to 50 s to load that way, 6,000 growths while the event loop waited,
 * and 0.8 s in memory sized first. Pages reserved and never written cost address space and commit charge, not
 * resident memory.
 */
export async function loadWithData(
  wasm: Buffer,
  data: unknown,
  builtins: HostBuiltins = hostBuiltins(),
): Promise<HostedPolicy> {
  // Serialised once here: setData takes the text as it is and skips its own JSON.stringify.
  const text = JSON.stringify(data ?? {});
  const json = utf8(text);
  const pages = Math.min(
    WASM_MAX_PAGES,
    BASE_MEMORY_PAGES + Math.ceil((json.byteLength * DATA_MEMORY_FACTOR) / WASM_PAGE_BYTES),
  );
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: pages });
  } catch (err) {
    // A host that accounts committed memory strictly (vm.overcommit_memory = 2) may refuse a large memory
    // that a small one, grown as OPA asks, would still get: load as OPA's SDK does, slowly for large data.
    if (!(err instanceof RangeError)) throw err;
    memory = new WebAssembly.Memory({ initial: SDK_MEMORY_PAGES });
  }
  const hosted = await loadHostedPolicy(wasm, memory, builtins);
  const policy = hosted.policy;
  try {
    policy.setData(json);
  } catch (err) {
    // OPA's JSON parser in the module refuses an unpaired UTF-16 surrogate escape ("\ud800"), which JSON.parse
    // accepts (a folder bundle's data.json as written) and OPA's server reads as U+FFFD (Go's encoding/json).
    const readable = JSON.stringify(wellFormed(data ?? {}));
    if (readable === text)
      throw new Error(`OPA's JSON parser refused the bundle's data (${errorText(err)})`, { cause: err });
    policy.setData(utf8(readable));
  }
  return hosted;
}

// setData reads the whole ArrayBuffer; TextEncoder gives each text one of its own, exactly its length.
function utf8(text: string): ArrayBuffer {
  return new TextEncoder().encode(text).buffer as ArrayBuffer;
}

/** Returns `value` with every unpaired UTF-16 surrogate in its strings and keys replaced by U+FFFD. */
function wellFormed(value: unknown): unknown {
  if (typeof value === 'string') return value.toWellFormed();
  if (Array.isArray(value)) return value.map(wellFormed);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key.toWellFormed(), wellFormed(item)]),
  );
}
