import { loadPolicy, type LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { BundleError, type Bundle } from './bundle';
import { PolicyEvaluationError, type PolicyEngine, type PolicyInfo } from './policy-engine';

/** A policy compiled by `opa build -t wasm`, evaluated in-process with @open-policy-agent/opa-wasm. */
export class WasmPolicyEngine implements PolicyEngine {
  readonly info: PolicyInfo;
  private readonly policy: LoadedPolicy;

  private constructor(policy: LoadedPolicy, info: PolicyInfo) {
    this.policy = policy;
    this.info = info;
  }

  /** Loads a bundle's WASM module and data; checks compatibility once, here, not per request. */
  static async load(bundle: Bundle): Promise<WasmPolicyEngine> {
    let policy: LoadedPolicy;
    try {
      policy = await loadPolicy(bundle.wasm);
      policy.setData(bundle.data);
    } catch (err) {
      throw new BundleError(
        `bundle ${bundle.name}: the WASM module does not load: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    const entrypoints = Object.keys(policy.entrypoints as Record<string, number>);
    return new WasmPolicyEngine(policy, { bundle: bundle.name, revision: bundle.revision, entrypoints });
  }

  /** Returns whether the WASM module was compiled with this entrypoint (`opa build -e`). */
  hasEntrypoint(entrypoint: string): boolean {
    return this.info.entrypoints.includes(entrypoint);
  }

  /** Returns the entrypoint's result for this input, or undefined when the result set is empty. */
  evaluate(input: unknown, entrypoint: string): unknown {
    let resultSet: unknown;
    try {
      resultSet = this.policy.evaluate(input, entrypoint);
    } catch (err) {
      throw new PolicyEvaluationError(`policy evaluation failed: ${(err as Error).message}`, { cause: err });
    }
    if (!Array.isArray(resultSet) || resultSet.length === 0) return undefined;
    return (resultSet[0] as { result?: unknown }).result;
  }
}
