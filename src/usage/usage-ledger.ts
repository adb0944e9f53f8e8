import type { Statement } from 'better-sqlite3';
import type { Db } from '../audit/database';
import { ForbiddenError, ModelgateError, ReasonCode, RequestError } from '../errors';
import type { MemoryUsageTracker } from './memory-usage-tracker';
import { DAY_MS } from './sliding-window';
import type { UsageReportWriter } from './usage-reports';
import type { UsageTracker } from './usage-tracker';
import { recordedReservation } from './prompt-tokens';
import {
  RESERVED_INPUT_TOKENS,
  RESERVED_MAX_TOKENS,
  RESERVED_PAYLOAD_CHARS,
  RESTORE_INDEX,
} from './usage-migrations';

/** What a caller reports an invocation really used. */
export interface UsageReport {
  input_tokens: number;
  output_tokens: number;
  cost_usd?: number;
}

/** The scope of a trusted usage reporter unless configured. */
export const DEFAULT_REPORTER_SCOPE = 'modelgate:usage-report';

/** Who reports: a trusted reporter (a gateway that saw the provider's bill) may lower a reservation. */
export interface Reporter {
  subject: string;
  trusted: boolean;
}

/** A decision as the ledger needs it to accept a report. */
export interface ReportedDecision {
  subject: string | null;
  /** The model it was for ('' when none was named). */
  model: string;
  /** What the decision reserved: its effective max_tokens plus its prompt (promptTokens of input_tokens and payload chars). */
  reservedTokens: number;
  outcome: string;
  /** The API path the decision was made on: only model decisions reserve tokens. */
  path: string;
  timestampMs: number;
}

/** What restore() read, and how long it took. */
export interface RestoreResult {
  decisions: number;
  reports: number;
  ms: number;
}

/**
 * Returns whether decisions on this API path reserve tokens when allowed: /v1/decide and the Data API, OPA's
 * default decision (`POST /`, recorded as `/`) included.
 */
export function isReservingPath(path: string): boolean {
  return path === '/v1/decide' || path === '/' || path.startsWith('/v1/data/');
}

// isReservingPath as SQL over audit_records r. `/` was missing once: a budget spent through POST / was counted
// until a restart and forgotten by it.
const RESERVING_PATH_SQL = `(r.path = '/v1/decide' OR r.path = '/' OR substr(r.path, 1, 9) = '/v1/data/')`;

// The allowed model decisions of the last day, oldest first, each with what it reserved and, when
// reported, what it used. Reserved tokens are read back from the hashed record exactly as the
// pipeline computed them: the effective max_tokens plus promptTokens of the invocation's input_tokens and
// the payload's characters. No decision id: a
// report finds its reservation by time and tokens (MemoryUsageTracker.settlement), so a million rows are a
// million strings less.
function restoreQuery(index: string, subjectFilter: string): string {
  return `
    SELECT r.subject, r.model, r.ts_ms,
           ${RESERVED_MAX_TOKENS}, ${RESERVED_INPUT_TOKENS}, ${RESERVED_PAYLOAD_CHARS},
           u.input_tokens + u.output_tokens, u.settles_exactly
      FROM audit_records r INDEXED BY ${index}
      LEFT JOIN usage_reports u ON u.decision_id = r.decision_id
     WHERE r.outcome = 'allowed' AND r.ts_ms > ? AND r.subject IS NOT NULL ${subjectFilter}
       AND ${RESERVING_PATH_SQL}
     ORDER BY r.ts_ms`;
}
// Everyone: the partial index of allowed decisions, already in time order (no sort), which also
// holds the three JSON figures, so no record is read or parsed.
const RESTORE_ALL = restoreQuery(RESTORE_INDEX, '');
// One subject (the CLI): the audit log's (subject, ts_ms) index, then only that subject's records.
const RESTORE_SUBJECT = restoreQuery('audit_records_subject', 'AND r.subject = ?');

type RestoreRow = [
  subject: string,
  model: string | null,
  atMs: number,
  maxTokens: unknown,
  inputTokens: unknown,
  payloadChars: unknown,
  reported: number | null,
  settlesExactly: number | null,
];

/**
 * The durable side of usage: reports (written through a UsageReportWriter), and the rebuild of the in-memory counters from
 * the audit log (allowed decisions of the last day) and the reports at start-up.
 */
export class UsageLedger {
  private readonly statements = new Map<string, Statement>();

  /** `db` is null when the history lives elsewhere (PostgreSQL: see PgUsageHistory); then only report() works. */
  constructor(
    private readonly db: Db | null,
    private readonly tracker: MemoryUsageTracker | UsageTracker,
    private readonly reservationTtlMs: number,
    private readonly reports: UsageReportWriter,
  ) {}

  /**
   * Rebuilds the counters for the last day (of one subject, when given: what the CLI needs);
   * returns how many decisions and reports were read.
   */
  restore(nowMs: number, subject?: string): RestoreResult {
    const started = performance.now();
    const query = this.statement(subject === undefined ? RESTORE_ALL : RESTORE_SUBJECT).raw(true);
    const params = subject === undefined ? [nowMs - DAY_MS] : [nowMs - DAY_MS, subject];
    const tracker = this.tracker;
    if (!('restore' in tracker)) throw new TypeError('only an in-memory tracker is rebuilt from the log');
    let decisions = 0;
    let reports = 0;
    for (const row of query.iterate(...params) as Iterable<RestoreRow>) {
      const [rowSubject, model, atMs, maxTokens, inputTokens, payloadChars, reported, settlesExactly] = row;
      decisions += 1;
      if (reported !== null) reports += 1;
      const reserved = recordedReservation(maxTokens, inputTokens, payloadChars);
      tracker.restore(
        {
          subject: rowSubject,
          model: model ?? '',
          tokens: reported === null ? reserved : settledTokens(reported, reserved, settlesExactly === 1),
          atMs,
          pending: reported === null,
        },
        nowMs,
      );
    }
    return { decisions, reports, ms: Math.round(performance.now() - started) };
  }

  /**
   * Records what an allowed decision really used. A trusted reporter's figure replaces the
   * reservation; a self-report may only raise it (else a caller frees its own budget by reporting
   * zero). Throws 403 not_owner for someone else's decision (unless trusted), 409 conflict for a
   * second report, a decision that reserved nothing (denied, or not a model decision) or an expired reservation.
   */
  async report(
    decisionId: string,
    reporter: Reporter,
    decision: ReportedDecision,
    usage: UsageReport,
    nowMs: number,
  ): Promise<void> {
    if (!reporter.trusted && decision.subject !== reporter.subject) {
      throw new ForbiddenError(
        ReasonCode.NotOwner,
        'only the subject that was allowed, or a trusted usage reporter, may report its usage',
      );
    }
    if (decision.outcome !== 'allowed' || !isReservingPath(decision.path)) {
      const what = decision.outcome !== 'allowed' ? 'was not allowed' : 'is not a model decision';
      throw new RequestError(
        ReasonCode.Conflict,
        409,
        `decision ${decisionId} ${what}; there is no reservation to report usage for`,
      );
    }
    if (nowMs - decision.timestampMs > this.reservationTtlMs) {
      throw new RequestError(
        ReasonCode.Conflict,
        409,
        `the reservation of decision ${decisionId} has expired`,
      );
    }
    // Looked up before the report is stored: see MemoryUsageTracker.settlement.
    const settle = this.tracker.settlement({
      subject: decision.subject ?? reporter.subject,
      model: decision.model,
      atMs: decision.timestampMs,
      tokens: decision.reservedTokens,
    });
    let inserted: boolean;
    try {
      inserted = await this.reports.insertReport({
        decision_id: decisionId,
        subject: decision.subject ?? reporter.subject,
        input_tokens: usage.input_tokens,
        output_tokens: usage.output_tokens,
        cost_usd: usage.cost_usd ?? null,
        reported_ms: nowMs,
        settles_exactly: reporter.trusted ? 1 : 0,
      });
    } catch (err) {
      throw new ModelgateError(ReasonCode.UsageUnavailable, 503, 'the usage ledger cannot record reports', {
        cause: err,
      });
    }
    if (!inserted) {
      throw new RequestError(
        ReasonCode.Conflict,
        409,
        `usage for decision ${decisionId} was already reported`,
      );
    }
    // False when the subject is not in memory (its next read from the ledger counts the report) or the
    // reservation already left the day window (there is nothing to replace).
    const used = usage.input_tokens + usage.output_tokens;
    settle(settledTokens(used, decision.reservedTokens, reporter.trusted), nowMs);
  }

  /** Returns the reports a subject made since `sinceMs`: how many, their tokens and cost. */
  reportedSince(subject: string, sinceMs: number): { reports: number; tokens: number; cost_usd: number } {
    return this.statement(
      `SELECT count(*) AS reports, coalesce(sum(input_tokens + output_tokens), 0) AS tokens,
              coalesce(sum(cost_usd), 0) AS cost_usd
         FROM usage_reports WHERE subject = ? AND reported_ms > ?`,
    ).get(subject, sinceMs) as { reports: number; tokens: number; cost_usd: number };
  }

  private statement(sql: string): Statement {
    if (!this.db) throw new TypeError('this ledger has no SQLite history; read it from PgUsageHistory');
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }
}

/** One allowed model decision of the last day as a shared (PostgreSQL) reservation: what it counts now. */
export interface LastDayReservation {
  decisionId: string;
  subject: string;
  model: string;
  tokens: number;
  atMs: number;
  /** Unreported: its tokens count only for the reservation TTL. */
  held: boolean;
}

/**
 * The allowed model decisions of the last day in an SQLite log, oldest first, each with the tokens it counts
 * (settled when reported, else reserved), as restore() counts them: what `audit migrate` writes into
 * PostgreSQL's shared reservations, so the day's budgets move with the log.
 */
export function* lastDayReservations(db: Db, nowMs: number): Generator<LastDayReservation> {
  const rows = db
    .prepare(
      `SELECT r.decision_id, r.subject, r.model, r.ts_ms, ${RESERVED_MAX_TOKENS}, ${RESERVED_INPUT_TOKENS},
              ${RESERVED_PAYLOAD_CHARS}, u.input_tokens + u.output_tokens, u.settles_exactly
         FROM audit_records r LEFT JOIN usage_reports u ON u.decision_id = r.decision_id
        WHERE r.outcome = 'allowed' AND r.ts_ms > ? AND r.subject IS NOT NULL
          AND ${RESERVING_PATH_SQL}
        ORDER BY r.ts_ms`,
    )
    .raw(true)
    .iterate(nowMs - DAY_MS) as Iterable<[string, ...RestoreRow]>;
  for (const [decisionId, subject, model, atMs, maxTokens, inputTokens, chars, reported, exactly] of rows) {
    const reserved = recordedReservation(maxTokens, inputTokens, chars);
    const tokens = reported === null ? reserved : settledTokens(reported, reserved, exactly === 1);
    yield { decisionId, subject, model: model ?? '', tokens, atMs, held: reported === null };
  }
}

// What a report leaves counted: the reported figure from a trusted reporter, else never less than the reservation.
function settledTokens(reported: number, reserved: number, exactly: boolean): number {
  return exactly ? reported : Math.max(reported, reserved);
}
