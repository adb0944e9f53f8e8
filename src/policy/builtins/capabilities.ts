import { HOST_BUILTINS, REFUSED_BUILTINS } from '.';
import { loadHostedPolicy } from './host-policy';

/** The parts of OPA's capabilities document (`opa capabilities`) that this module reads. */
export interface Capabilities {
  builtins: { name: string; infix?: string; decl?: { args?: unknown[] } }[];
  [other: string]: unknown;
}

// Builtins the probe cannot call as `name(args…)`: the compiler's own, and `print`, which `opa build` drops.
const NOT_PROBED = /^(internal\.|print$)/;

/**
 * Returns a Rego module (v0 syntax, so deprecated builtins compile too) with one rule per builtin in
 * `capabilities` that calls it, for `opa build -t wasm -e probe`: the module's `builtins` export then names
 * those the compiler leaves to the host.
 */
export function probeModule(capabilities: Capabilities): string {
  const rules = capabilities.builtins
    .filter((b) => b.infix === undefined && b.decl !== undefined && !NOT_PROBED.test(b.name))
    .map((b, i) => {
      const args = (b.decl?.args ?? []).map((_, k) => `input.a${k}`).join(', ');
      return `r${i} = x { x := ${b.name}(${args}) }`;
    });
  return `package probe\n\n${rules.join('\n')}\n`;
}

/** Returns the builtins a compiled probe module leaves to its host. */
export async function leftToHost(probeWasm: Buffer): Promise<string[]> {
  const memory = new WebAssembly.Memory({ initial: 5 });
  const probe = await loadHostedPolicy(probeWasm, memory, { call: () => undefined });
  return probe.builtins;
}

/**
 * Returns OPA's capabilities less the builtins a WASM policy cannot call here: those the compiler leaves to
 * the host that neither the SDK nor modelgate provides. `opa build --capabilities` and `opa check
 * --capabilities` with it fail at the line that calls one.
 */
export function servedCapabilities(capabilities: Capabilities, hostBuiltins: string[]): Capabilities {
  const missing = new Set(hostBuiltins.filter((name) => !(name in HOST_BUILTINS)));
  for (const name of Object.keys(REFUSED_BUILTINS)) missing.add(name);
  return { ...capabilities, builtins: capabilities.builtins.filter((b) => !missing.has(b.name)) };
}
