import type { Logger } from 'pino';
import { readBundle } from './bundle';
import type { PolicyEngine } from './policy-engine';
import { WasmPolicyEngine } from './wasm-policy-engine';

/** Holds the loaded policy and swaps it atomically on reload; a failed reload keeps the old one. */
export class PolicyHolder {
  private engine: PolicyEngine | undefined;
  /** Bundles put in force, and loads that failed (the policy in force stayed), for metrics. */
  readonly activations = { succeeded: 0, failed: 0 };

  constructor(
    private readonly location: string,
    private readonly entrypoint: string,
    private readonly logger: Logger,
    private readonly name?: string,
  ) {}

  /** Returns the policy in force, if any. */
  current(): PolicyEngine | undefined {
    return this.engine;
  }

  /** Loads (or reloads) the bundle; throws when it cannot, leaving the current policy in force. */
  async load(): Promise<PolicyEngine> {
    try {
      const engine = await this.activate();
      this.activations.succeeded += 1;
      return engine;
    } catch (err) {
      this.activations.failed += 1;
      throw err;
    }
  }

  private async activate(): Promise<PolicyEngine> {
    const bundle = await readBundle(this.location, this.name);
    const engine = await WasmPolicyEngine.load(bundle);
    if (!engine.hasEntrypoint(this.entrypoint)) {
      throw new Error(
        `bundle ${this.location} has no entrypoint ${this.entrypoint} (it has: ${engine.info.entrypoints.join(', ') || 'none'}); ` +
          `build it with \`opa build -t wasm -e ${this.entrypoint}\``,
      );
    }
    this.engine = engine;
    this.logger.info({ bundle: engine.info.bundle, revision: engine.info.revision }, 'policy bundle loaded');
    return engine;
  }
}
