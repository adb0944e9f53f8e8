import { LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { parseRegoValue, regoValueText, UndefinedResult } from './rego-value';
import { BuiltinLimitError } from './builtin';

/** The exports of an OPA WASM module (ABI 1.x) that its host calls. */
interface OpaExports {
  builtins(): number;
  opa_json_dump(value: number): number;
  opa_value_dump(value: number): number;
  opa_value_parse(address: number, length: number): number;
  opa_malloc(length: number): number;
  opa_free(address: number): void;
  opa_wasm_abi_version?: number | { value: number };
  opa_wasm_abi_minor_version?: number | { value: number };
}

/** What the module's builtin calls go to: the builtin's name, its operands as Rego values. */
export interface BuiltinHost {
  /** Returns the builtin's result, undefined when the call is undefined; throws to fail the evaluation. */
  call(name: string, operands: (exactNumbers: boolean) => unknown[]): unknown;
}

/** A policy whose builtin calls this host answers, with the names of the builtins it may call. */
export interface HostedPolicy {
  policy: LoadedPolicy;
  builtins: string[];
}

const UTF8_ENCODER = new TextEncoder();
const UTF8_DECODER = new TextDecoder();

// A result larger than this is refused (the evaluation fails): one call must not exhaust the module's memory.
const MAX_RESULT_BYTES = 16 * 1024 * 1024;

/**
 * Instantiates an OPA WASM module whose builtin calls `host` answers, and returns it as the SDK's LoadedPolicy,
 * which evaluates it. The SDK's own dispatch hands operands over as JSON (a set becomes an array, `1.0` becomes
 * `1`, digits past 2^53 are lost) and calls its own sprintf before any host builtin; this one reads operands
 * from the module's Rego dump and writes results back as Rego values, sets included.
 */
export async function loadHostedPolicy(
  wasm: Buffer,
  memory: WebAssembly.Memory,
  host: BuiltinHost,
): Promise<HostedPolicy> {
  const names: Record<number, string> = {};
  // The import functions are made before the instance they serve exists.
  const linked: { exports?: OpaExports } = {};
  const text = (address: number): string => cString(memory, address);
  const call = (id: number, addresses: number[]): number => {
    const module = linked.exports!;
    const name = names[id] ?? `builtin ${id}`;
    const result = host.call(name, (exact) => addresses.map((a) => operand(module, a, exact)));
    if (result === undefined) return 0;
    let written: string;
    try {
      written = regoValueText(result);
    } catch (err) {
      if (err instanceof UndefinedResult) return 0;
      throw err;
    }
    const bytes = UTF8_ENCODER.encode(written);
    if (bytes.length > MAX_RESULT_BYTES) throw new BuiltinLimitError(`${name}: a result of more than 16 MiB`);
    const address = module.opa_malloc(bytes.length);
    new Uint8Array(memory.buffer).set(bytes, address);
    const value = module.opa_value_parse(address, bytes.length);
    module.opa_free(address);
    if (value === 0) throw new Error(`${name}: the module could not read the result`);
    return value;
  };
  // The dump's text is freed once read: a policy making many calls in one evaluation would otherwise hold them all.
  const operand = (module: OpaExports, address: number, exact: boolean): unknown => {
    const dump = module.opa_value_dump(address);
    const value = text(dump);
    module.opa_free(dump);
    return parseRegoValue(value, exact);
  };
  const env = {
    memory,
    opa_abort: (address: number) => {
      throw new Error(text(address));
    },
    // print() output: `opa build` drops print calls unless asked; there is no console to write it to here.
    opa_println: () => undefined,
    opa_builtin0: (id: number) => call(id, []),
    opa_builtin1: (id: number, _ctx: number, a: number) => call(id, [a]),
    opa_builtin2: (id: number, _ctx: number, a: number, b: number) => call(id, [a, b]),
    opa_builtin3: (id: number, _ctx: number, a: number, b: number, c: number) => call(id, [a, b, c]),
    opa_builtin4: (id: number, _ctx: number, a: number, b: number, c: number, d: number) =>
      call(id, [a, b, c, d]),
  };
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(wasm), { env });
  const exports = instance.exports as unknown as OpaExports;
  linked.exports = exports;
  if (numberOf(exports.opa_wasm_abi_version) !== 1) {
    throw new Error(`unsupported ABI version ${numberOf(exports.opa_wasm_abi_version)}`);
  }
  const map = JSON.parse(text(exports.opa_json_dump(exports.builtins()))) as Record<string, number>;
  for (const [name, id] of Object.entries(map)) names[id] = name;
  const Policy = LoadedPolicy as unknown as new (
    instance: unknown,
    memory: unknown,
    minor: number,
  ) => LoadedPolicy;
  const policy = new Policy(instance, memory, numberOf(exports.opa_wasm_abi_minor_version) ?? 0);
  return { policy, builtins: Object.keys(map).sort() };
}

function numberOf(global: number | { value: number } | undefined): number | undefined {
  return typeof global === 'object' ? global.value : global;
}

function cString(memory: WebAssembly.Memory, address: number): string {
  const bytes = new Uint8Array(memory.buffer);
  let end = address;
  while (bytes[end] !== 0) end++;
  return UTF8_DECODER.decode(bytes.subarray(address, end));
}
