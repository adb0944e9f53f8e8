import type { LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { parseRegoValue, setsAsArrays } from './builtins/rego-value';

/** The parts of the SDK's LoadedPolicy that one evaluation uses (ABI 1.2's one-call `opa_eval`). */
interface PolicyInstance {
  minorVersion: number;
  mem: { buffer: ArrayBuffer; grow(pages: number): number };
  dataAddr: number;
  dataHeapPtr: number;
  entrypoints: Record<string, number>;
  wasmInstance: { exports: { opa_eval: OpaEval } };
}

type OpaEval = (
  reserved: 0,
  entrypoint: number,
  data: number,
  input: number,
  inputLength: number,
  heap: number,
  format: number,
) => number;

// opa_eval's output formats: 0 is JSON, where a set is an array in the module's hash order; 1 is Rego text.
const REGO_TEXT = 1;
const PAGE_BYTES = 64 * 1024;
const UTF8_ENCODER = new TextEncoder();
const UTF8_DECODER = new TextDecoder();

/**
 * Returns the result set of `entrypoint` for `input`, as the SDK's `evaluate` does, but with every set a sorted
 * array, as OPA's server writes it: `deny contains msg` answers `["a", "b"]` in OPA's order, not the module's.
 * The result comes as Rego text; without a set the result's text is JSON, read natively, so only results holding
 * a set pay for the Rego parser.
 */
export function evaluateWithSets(policy: LoadedPolicy, input: unknown, entrypoint: string): unknown {
  const instance = policy as unknown as PolicyInstance;
  if (instance.minorVersion < 2) return policy.evaluate(input, entrypoint);
  const id = Object.hasOwn(instance.entrypoints, entrypoint) ? instance.entrypoints[entrypoint] : undefined;
  if (id === undefined) throw new Error(`entrypoint ${entrypoint} is not valid in this instance`);
  const inputBytes = input === undefined ? undefined : UTF8_ENCODER.encode(JSON.stringify(input));
  const inputAddress = instance.dataHeapPtr;
  const inputLength = inputBytes?.byteLength ?? 0;
  if (inputBytes) {
    const short = inputAddress + inputLength - instance.mem.buffer.byteLength;
    if (short > 0) instance.mem.grow(Math.ceil(short / PAGE_BYTES));
    new Uint8Array(instance.mem.buffer).set(inputBytes, inputAddress);
  }
  const address = instance.wasmInstance.exports.opa_eval(
    0,
    id,
    instance.dataAddr,
    inputBytes ? inputAddress : 0,
    inputLength,
    inputAddress + inputLength,
    REGO_TEXT,
  );
  return readResultSet(cString(instance.mem, address));
}

// The result set is itself a Rego set: `{{"result": …}}`, or `set()` when empty. Its one member, without a set
// inside, is JSON.
function readResultSet(text: string): unknown {
  if (text === 'set()') return [];
  try {
    return [JSON.parse(text.slice(1, -1))];
  } catch {
    // A set (`{"a", "b"}`, `set()`) or a key that is not a string makes the member Rego, not JSON.
    return setsAsArrays(parseRegoValue(text, false, jsonKey));
  }
}

// OPA's server writes a key that is not a string as its JSON: `{1: 2, {3: 4}: 5}` has the keys "1" and '{"3":4}'.
function jsonKey(key: unknown): string {
  return JSON.stringify(setsAsArrays(key));
}

function cString(memory: { buffer: ArrayBuffer }, address: number): string {
  const bytes = new Uint8Array(memory.buffer);
  const end = bytes.indexOf(0, address);
  return UTF8_DECODER.decode(bytes.subarray(address, end));
}
