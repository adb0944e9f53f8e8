import Database from 'better-sqlite3';

/** One decision of `POST /v1/decide`, as the tests read it from the audit database file. */
export interface RecordedDecision {
  decision_id: string;
  outcome: string;
  subject: string;
  model: string;
  max_tokens: number | null;
  /** The policy input: what the policy decided on (invocation, payload findings, ...). */
  input: {
    invocation?: { operation?: string; tools?: { name: string }[] };
    payload?: { findings: Record<string, number> };
  } | null;
}

/** Returns the decisions of `POST /v1/decide` in the order they were recorded. */
export function decisions(dbFile: string): RecordedDecision[] {
  const db = new Database(dbFile, { readonly: true });
  try {
    const rows = db
      .prepare(
        "SELECT decision_id, outcome, subject, record FROM audit_records WHERE path = '/v1/decide' ORDER BY seq",
      )
      .all() as { decision_id: string; outcome: string; subject: string; record: string }[];
    return rows.map((r) => {
      const record = JSON.parse(r.record) as Pick<RecordedDecision, 'model' | 'max_tokens' | 'input'>;
      return {
        decision_id: r.decision_id,
        outcome: r.outcome,
        subject: r.subject,
        model: record.model,
        max_tokens: record.max_tokens,
        input: record.input,
      };
    });
  } finally {
    db.close();
  }
}
