import type { Logger } from 'pino';
import { BundleErrorCode } from '../errors';
import { BundleError, parseBundle, type BundleFiles } from './bundle';
import { verifyBundleSignature, type SigningPolicy } from './bundle-signature';
import type { PolicyEngine } from './policy-engine';
import type { VerificationKey } from './verification-keys';
import { WasmPolicyEngine } from './wasm-policy-engine';

/** The status of the policy bundle, as GET /v1/status and the reload log lines report it. */
export interface BundleStatus {
  name: string;
  /** Where it comes from: `file:<path>` or the bundle server URL. */
  source: string;
  active: {
    revision: string;
    /** Signing key id, or null for an unsigned bundle. */
    key_id: string | null;
    etag: string | null;
    /** Where the active bundle was read from: the source, or the persisted copy after a restart. */
    origin: string;
    downloaded_at: string;
    activated_at: string;
  } | null;
  /** The last time the source was read or asked, whatever the outcome (a 304 counts). */
  last_request_at: string | null;
  last_error: { code: BundleErrorCode; message: string; at: string } | null;
}

/** The policy in force with the files it was read from, for work on another thread (replay). */
export interface ActiveBundleFiles {
  engine: PolicyEngine;
  name: string;
  origin: string;
  files: BundleFiles;
}

/** Where a candidate bundle came from. */
export interface CandidateMeta {
  /** `file:<path>`, the URL, or `persisted:<path>`. */
  origin: string;
  downloadedAtMs: number;
  etag?: string | null;
}

/**
 * Holds the policy in force and replaces it only with a bundle that was fully read, verified,
 * instantiated and found to have the entrypoint. The swap is one reference assignment: a decision
 * reads `current()` once and evaluates with that engine to the end, so each decision sees exactly
 * one bundle, and in-flight decisions finish on the old one.
 */
export class ActiveBundle {
  /** Since start, for the metrics: bundles put in force, and candidates that could not be (read or refused). */
  readonly activations = { succeeded: 0, failed: 0 };
  // Engine and files in one reference, swapped at once: a replay's thread evaluates exactly the engine in force.
  private active: ActiveBundleFiles | undefined;
  private state: BundleStatus;

  constructor(
    private readonly options: {
      name: string;
      source: string;
      entrypoint: string;
      signing?: SigningPolicy;
      keys: Map<string, VerificationKey>;
      logger: Logger;
      now?: () => number;
    },
  ) {
    this.state = {
      name: options.name,
      source: options.source,
      active: null,
      last_request_at: null,
      last_error: null,
    };
  }

  /** Returns the policy in force, if any. */
  current(): PolicyEngine | undefined {
    return this.active?.engine;
  }

  /** Returns the policy in force with its bundle files (a few MiB, kept so a worker thread can load the same). */
  currentFiles(): ActiveBundleFiles | undefined {
    return this.active;
  }

  /** Returns a copy of the bundle's status. */
  status(): BundleStatus {
    return structuredClone(this.state);
  }

  /** Records that the source was asked (a 304 or an unchanged file included). */
  noteRequest(atMs: number): void {
    this.state.last_request_at = new Date(atMs).toISOString();
  }

  /** Records that the source served the bundle in force again: an earlier refusal no longer stands. */
  noteUnchanged(): void {
    this.state.last_error = null;
  }

  /** Records an error that kept a bundle from activation; the policy in force stays. */
  noteError(err: unknown, origin: string): void {
    this.activations.failed += 1;
    const code = err instanceof BundleError ? err.code : BundleErrorCode.Invalid;
    const message = (err as Error).message;
    this.state.last_error = { code, message, at: new Date(this.now()).toISOString() };
    this.options.logger.error(
      {
        bundle: this.options.name,
        source: this.options.source,
        origin,
        code,
        err: message,
        active: this.state.active?.revision ?? null,
      },
      this.active
        ? 'policy bundle not activated; the active bundle stays in force'
        : 'policy bundle not activated; no policy is loaded, every decision is denied with policy_unavailable',
    );
  }

  /** Verifies and activates a candidate; throws BundleError (and records it) when it is refused. */
  async activate(files: BundleFiles, meta: CandidateMeta): Promise<PolicyEngine> {
    try {
      const signature = await verifyBundleSignature(files, {
        signing: this.options.signing,
        keys: this.options.keys,
        nowMs: this.now(),
      });
      const bundle = parseBundle(files, this.options.name, meta.origin);
      const engine = await WasmPolicyEngine.load(bundle).catch((err: unknown) => {
        throw new BundleError((err as Error).message, { code: BundleErrorCode.NotLoadable, cause: err });
      });
      if (!engine.hasEntrypoint(this.options.entrypoint)) {
        throw new BundleError(
          `bundle ${this.options.name} has no entrypoint ${this.options.entrypoint} (it has: ${engine.info.entrypoints.join(', ') || 'none'}); ` +
            `build it with \`opa build -t wasm -e ${this.options.entrypoint}\``,
          { code: BundleErrorCode.NotLoadable },
        );
      }
      const previous = this.active?.engine.info.revision ?? null;
      this.active = { engine, name: this.options.name, origin: meta.origin, files };
      const activatedAt = new Date(this.now()).toISOString();
      this.state.active = {
        revision: engine.info.revision,
        key_id: signature.keyId,
        etag: meta.etag ?? null,
        origin: meta.origin,
        downloaded_at: new Date(meta.downloadedAtMs).toISOString(),
        activated_at: activatedAt,
      };
      this.state.last_error = null;
      this.activations.succeeded += 1;
      this.options.logger.info(
        { bundle: this.options.name, source: this.options.source, previous, ...this.state.active },
        'policy bundle activated',
      );
      return engine;
    } catch (err) {
      this.noteError(err, meta.origin);
      throw err;
    }
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
