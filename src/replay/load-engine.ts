import { readBundle } from '../policy/bundle';
import type { PolicyEngine } from '../policy/policy-engine';
import { WasmPolicyEngine } from '../policy/wasm-policy-engine';

/** Returns a policy engine for the bundle at `location`; throws when it has no such entrypoint. */
export async function loadReplayEngine(location: string, entrypoint: string): Promise<PolicyEngine> {
  const engine = await WasmPolicyEngine.load(await readBundle(location));
  if (!engine.hasEntrypoint(entrypoint)) {
    throw new TypeError(
      `${location} has no entrypoint ${entrypoint} (it has: ${engine.info.entrypoints.join(', ') || 'none'})`,
    );
  }
  return engine;
}
