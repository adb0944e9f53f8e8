import type { PolicyEngine } from '../policy/policy-engine';
import { DAY_MS } from './sliding-window';
import type { PgUsageHistory } from '../postgres/pg-usage-history';
import type { UsageLedger } from './usage-ledger';
import type { UsageSnapshotV1, UsageTracker } from './usage-tracker';

/** The optional entrypoint a bundle may define to report a subject's limits. */
export const LIMITS_ENTRYPOINT = 'modelgate/limits';

/** What GET /v1/usage and `modelgate usage` show for one subject. */
export interface UsageDescription {
  subject: string;
  usage: Omit<UsageSnapshotV1, 'model'>;
  model?: { name: string } & UsageSnapshotV1['model'];
  reported_last_day: { reports: number; tokens: number; cost_usd: number };
  /** What the policy's `modelgate/limits` entrypoint says, or null when it has none for this subject. */
  limits: unknown;
}

/** Describes a subject's usage next to the limits its policy sets. */
export class UsageView {
  constructor(
    private readonly tracker: UsageTracker,
    private readonly ledger: Pick<UsageLedger, 'reportedSince'> | Pick<PgUsageHistory, 'reportedSince'>,
    private readonly policy: { current(): PolicyEngine | undefined },
  ) {}

  /** Returns the subject's counters (and one model's), reports of the last day, and its limits. */
  async describe(subject: string, model: string | undefined, nowMs: number): Promise<UsageDescription> {
    // A shared tracker reads the counters from the database only under the subject's lock.
    const held = this.tracker.lock ? await this.tracker.lock(subject, model ?? '', nowMs) : undefined;
    let snapshot: ReturnType<UsageTracker['snapshot']>;
    try {
      snapshot = this.tracker.snapshot(subject, model ?? '', nowMs);
    } finally {
      if (held) await held.end();
    }
    const { model: modelCounters, ...usage } = snapshot;
    const description: UsageDescription = {
      subject,
      usage,
      reported_last_day: await this.ledger.reportedSince(subject, nowMs - DAY_MS),
      limits: this.limitsOf(subject),
    };
    if (model !== undefined) description.model = { name: model, ...modelCounters };
    return description;
  }

  private limitsOf(subject: string): unknown {
    const engine = this.policy.current();
    if (!engine?.hasEntrypoint(LIMITS_ENTRYPOINT)) return null;
    try {
      return engine.evaluate({ subject: { id: subject } }, LIMITS_ENTRYPOINT) ?? null;
    } catch {
      return null;
    }
  }
}
