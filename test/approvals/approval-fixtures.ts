import Database from 'better-sqlite3';
import { startTestService, type TestService } from '../helpers/service';

/** The shipped coding assistant: changing a pipeline needs an approval by `platform-leads`. */
export const ASSISTANT = 'spiffe://corp/dev/coding-assistant';
export const ASSISTANT_AGENT = 'agent:coding-assistant';
export const APPROVER = 'user:alice@corp';
export const APPROVE_SCOPE = 'modelgate:approve';

/** A pipeline change: needs an approval; the payload carries an e-mail address the policy does not redact here. */
export function pipelineChange(
  overrides: { payload?: unknown; approval_id?: string; max_tokens?: number } = {},
) {
  const body: Record<string, unknown> = {
    invocation: {
      model: 'anthropic.claude-sonnet',
      operation: 'tool_call',
      max_tokens: overrides.max_tokens ?? 20000,
      tools: [{ name: 'repo.read_file' }, { name: 'pipelines.update' }],
    },
    payload: overrides.payload ?? {
      messages: [{ role: 'user', content: 'Bump the deploy timeout to 20 minutes' }],
    },
    context: { environment: 'staging', repository: 'corp/webapp' },
  };
  if (overrides.approval_id) body.approval_id = overrides.approval_id;
  return body;
}

/** Tokens of the cast: the requester, an approver in the group, one outside it, a reader without approve scope. */
export function tokens(svc: Pick<TestService, 'token'>) {
  return {
    requester: svc.token({ sub: ASSISTANT, scope: 'invoke:assist', act: { sub: ASSISTANT_AGENT } }),
    approver: svc.token({
      sub: APPROVER,
      scope: `${APPROVE_SCOPE} modelgate:audit`,
      groups: ['platform-leads'],
    }),
    outsider: svc.token({ sub: 'user:bob@corp', scope: APPROVE_SCOPE, groups: ['finance'] }),
    auditorOnly: svc.token({ sub: 'user:carol@corp', scope: 'modelgate:audit' }),
    requesterAsApprover: svc.token({ sub: ASSISTANT, scope: APPROVE_SCOPE, groups: ['platform-leads'] }),
  };
}

/** Starts a service on the shipped policy for the enclosing describe block, hands it to `use`, stops it after. */
export function approvalService(use: (svc: TestService) => void): void {
  let svc: TestService | undefined;
  beforeAll(async () => {
    svc = await startTestService();
    use(svc);
  });
  afterAll(async () => {
    await svc?.close();
  });
}

/** One audit row as the approval tests read it. */
export interface EventRow {
  seq: number;
  decision_id: string;
  path: string;
  outcome: string;
  subject: string | null;
  record: { reasons: string[]; result: { approval?: Record<string, unknown> } };
}

/** Returns the audit records of one approval's events, oldest first, read straight from the file. */
export function approvalEvents(dbFile: string, approvalId: string): EventRow[] {
  const db = new Database(dbFile, { readonly: true });
  try {
    const rows = db
      .prepare(
        `SELECT seq, decision_id, path, outcome, subject, record FROM audit_records
          WHERE path LIKE ? ORDER BY seq`,
      )
      .all(`/v1/approvals/${approvalId}/%`) as (Omit<EventRow, 'record'> & { record: string })[];
    // Refused calls on these paths are recorded too (outcome rejected, no result): not events.
    return rows
      .map((r) => ({ ...r, record: JSON.parse(r.record) as EventRow['record'] }))
      .filter((r) => r.record.result?.approval !== undefined);
  } finally {
    db.close();
  }
}

/** The reason codes of a reply. */
export const codes = (body: Record<string, unknown>) =>
  ((body.reasons as { code: string }[] | undefined) ?? []).map((r) => r.code);
