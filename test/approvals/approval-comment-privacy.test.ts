/**
 * An approver's comment is free text, and people paste into it what they were looking at: a key, an address.
 * It is kept as the audit log keeps the request's context: screened, every finding redacted, in the record,
 * the approval row and the summary alike.
 */
import Database from 'better-sqlite3';
import type { TestService } from '../helpers/service';
import { approvalEvents, approvalService, codes, pipelineChange, tokens } from './approval-fixtures';

function storedComment(dbFile: string, id: string): string | null {
  const db = new Database(dbFile, { readonly: true });
  try {
    return (db.prepare('SELECT comment FROM approvals WHERE id = ?').get(id) as { comment: string | null })
      .comment;
  } finally {
    db.close();
  }
}

describe('an approver comment', () => {
  let svc: TestService;
  let t: ReturnType<typeof tokens>;

  approvalService((started) => {
    svc = started;
    t = tokens(started);
  });

  async function pendingApproval(content: string): Promise<string> {
    const body = pipelineChange({ payload: { messages: [{ role: 'user', content }] } });
    const reply = await svc.post('/v1/decide', body, t.requester);
    expect(codes(reply.body)).toEqual(['approval_required']);
    return (reply.body.approval as { id: string }).id;
  }

  it('keeps a comment without findings as written', async () => {
    const id = await pendingApproval('Raise the build timeout');
    const reply = await svc.post(
      `/v1/approvals/${id}/approve`,
      { comment: 'reviewed in PR 4711' },
      t.approver,
    );
    expect(reply.status).toBe(200);
    expect(storedComment(svc.db, id)).toBe('reviewed in PR 4711');
  });

  it('is stored, recorded and shown with a pasted key and address redacted', async () => {
    const key = 'AKIAQWERTYUIOPASDFGH';
    const email = 'ops.lead@example.com';
    const id = await pendingApproval('Rotate the staging credentials');
    const reply = await svc.post(
      `/v1/approvals/${id}/deny`,
      { comment: `not with ${key} in the job; ask ${email}` },
      t.approver,
    );
    expect(reply.status).toBe(200);

    const shown = (reply.body.approval as { comment: string }).comment;
    expect(shown).toBe('not with [REDACTED:aws_access_key] in the job; ask [REDACTED:email]');
    expect(storedComment(svc.db, id)).toBe(shown);
    const summary = (await svc.get(`/v1/approvals/${id}`, t.approver)).body.approval as { comment: string };
    expect(summary.comment).toBe(shown);
    const [, verdict] = approvalEvents(svc.db, id);
    expect(verdict!.record.result.approval).toMatchObject({ event: 'denied', comment: shown });
    expect(JSON.stringify(verdict!.record)).not.toContain(key);
    expect(JSON.stringify(verdict!.record)).not.toContain(email);
  });
});
