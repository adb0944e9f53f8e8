/**
 * An approval is bound to the context the policy decided on (environment, repository, lineage), not only to
 * the invocation and payload: the shipped policy allows the coding assistant in dev and staging and in every
 * corp/* repository, so a grant for one place must not be spendable in another.
 */
import Database from 'better-sqlite3';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBundle } from '../helpers/opa';
import { auditRow } from '../helpers/audit-db';
import { startTestService, type TestService } from '../helpers/service';
import { approvalService, codes, pipelineChange, tokens } from './approval-fixtures';

function approvalRow(dbFile: string, id: string): unknown {
  const db = new Database(dbFile, { readonly: true });
  try {
    return db.prepare('SELECT * FROM approvals WHERE id = ?').get(id);
  } finally {
    db.close();
  }
}

describe('approval binding and the request context', () => {
  let svc: TestService;
  let t: ReturnType<typeof tokens>;

  approvalService((started) => {
    svc = started;
    t = tokens(started);
  });

  const withContext = (context: Record<string, unknown>, approvalId?: string) => ({
    ...pipelineChange(approvalId ? { approval_id: approvalId } : {}),
    context,
  });

  it('refuses an approval granted for staging/corp/webapp on a call for dev/corp/payments', async () => {
    const asked = await svc.post(
      '/v1/decide',
      withContext({ environment: 'staging', repository: 'corp/webapp' }),
      t.requester,
    );
    expect(codes(asked.body)).toEqual(['approval_required']);
    const id = (asked.body.approval as { id: string }).id;
    expect((await svc.post(`/v1/approvals/${id}/approve`, {}, t.approver)).status).toBe(200);

    const elsewhere = await svc.post(
      '/v1/decide',
      withContext({ environment: 'dev', repository: 'corp/payments' }, id),
      t.requester,
    );
    expect(elsewhere.status).toBe(403);
    expect(codes(elsewhere.body)).toEqual(['approval_mismatch']);

    // The request it was granted for is still allowed, once.
    const same = await svc.post(
      '/v1/decide',
      withContext({ environment: 'staging', repository: 'corp/webapp' }, id),
      t.requester,
    );
    expect(same.status).toBe(200);
    expect(same.body.allow).toBe(true);
  });

  it('asks for a separate approval for the same invocation in another context', async () => {
    const a = await svc.post(
      '/v1/decide',
      withContext({ environment: 'staging', repository: 'corp/a' }),
      t.requester,
    );
    const b = await svc.post(
      '/v1/decide',
      withContext({ environment: 'staging', repository: 'corp/b' }),
      t.requester,
    );
    const again = await svc.post(
      '/v1/decide',
      withContext({ repository: 'corp/a', environment: 'staging' }),
      t.requester,
    );
    const idOf = (r: { body: Record<string, unknown> }) => (r.body.approval as { id: string }).id;
    expect(idOf(a)).not.toBe(idOf(b));
    // Key order does not matter: canonical JSON.
    expect(idOf(again)).toBe(idOf(a));
  });

  it('shows approvers, and the approve entrypoint, the context as the audit log keeps it', async () => {
    const context = {
      environment: 'staging',
      repository: 'corp/webapp',
      requested_by: 'jane.doe@corp.example',
    };
    const body = {
      ...withContext(context),
      invocation: {
        ...(pipelineChange().invocation as Record<string, unknown>),
        purpose: 'ask 555-0100 or jane.doe@corp.example',
      },
    };
    const asked = await svc.post('/v1/decide', body, t.requester);
    expect(codes(asked.body)).toEqual(['approval_required']);
    const id = (asked.body.approval as { id: string }).id;

    const shown = await svc.get(`/v1/approvals/${id}`, t.approver);
    const summary = shown.body.approval as Record<string, unknown>;
    const kept = auditRow(svc.db, asked.body.decision_id as string)!.record.input as Record<string, unknown>;
    expect(summary.context).toEqual({
      environment: 'staging',
      repository: 'corp/webapp',
      requested_by: '[REDACTED:email]',
    });
    expect({ approval_id: null, ...(summary.context as object) }).toEqual(kept.context);
    expect((summary.invocation as { purpose: string }).purpose).not.toContain('jane.doe@corp.example');
    expect(JSON.stringify(approvalRow(svc.db, id))).not.toContain('jane.doe@corp.example');

    expect((await svc.post(`/v1/approvals/${id}/approve`, {}, t.approver)).status).toBe(200);
  });

  it('keeps and shows the invocation as the audit log keeps it: a token in the provider is redacted', async () => {
    // The coding assistant's entitlement names no providers, so any provider name passes the policy.
    const token = `ghp_${'a1B2c3D4e5F6'.repeat(3)}`;
    const body = {
      ...withContext({ environment: 'staging', repository: 'corp/webapp' }),
      invocation: {
        ...(pipelineChange().invocation as Record<string, unknown>),
        provider: `gateway-${token}`,
      },
    };
    const asked = await svc.post('/v1/decide', body, t.requester);
    expect(codes(asked.body)).toEqual(['approval_required']);
    const id = (asked.body.approval as { id: string }).id;
    // The precondition: the audit log redacts it.
    const kept = auditRow(svc.db, asked.body.decision_id as string)!;
    expect(JSON.stringify(kept.record)).not.toContain(token);
    expect(kept.record.provider).toBe('gateway-[REDACTED:github_token]');

    const summary = (await svc.get(`/v1/approvals/${id}`, t.approver)).body.approval as {
      invocation: Record<string, unknown>;
    };
    expect(summary.invocation.provider).toBe(kept.record.provider);
    expect(JSON.stringify(approvalRow(svc.db, id))).not.toContain(token);
    // Only what is shown was redacted: the binding hashed the request as sent, so its retry is still this one.
    expect((await svc.post(`/v1/approvals/${id}/approve`, {}, t.approver)).status).toBe(200);
    const retry = await svc.post('/v1/decide', { ...body, approval_id: id }, t.requester);
    expect(retry.body.allow).toBe(true);
  });

  it('hands the approve entrypoint the context, so a policy can ask more of some approvals', async () => {
    // The shipped policy, and one rule more: nobody approves a change to the payments repository without the sre group.
    const src = mkdtempSync(path.join(os.tmpdir(), 'mg-approve-context-'));
    cpSync(path.join(__dirname, '..', '..', 'rego'), src, { recursive: true });
    writeFileSync(
      path.join(src, 'modelgate', 'prod_approvals.rego'),
      `package modelgate

approve_deny contains reason("sre_required", "payments changes need an SRE") if {
\tinput.request.context.repository == "corp/payments"
\tnot "sre" in object.get(input.approver.claims, "groups", [])
}
`,
    );
    const bundle = buildBundle(src, path.join(src, 'bundle.tar.gz'), [
      'modelgate/decision',
      'modelgate/limits',
      'modelgate/approve',
    ]);
    const prodSvc = await startTestService({ bundle });
    try {
      const pt = tokens(prodSvc);
      const ask = async (repository: string) => {
        const reply = await prodSvc.post(
          '/v1/decide',
          withContext({ environment: 'staging', repository }),
          pt.requester,
        );
        return (reply.body.approval as { id: string }).id;
      };
      const [webapp, payments] = [await ask('corp/webapp'), await ask('corp/payments')];
      expect((await prodSvc.post(`/v1/approvals/${webapp}/approve`, {}, pt.approver)).status).toBe(200);
      const refused = await prodSvc.post(`/v1/approvals/${payments}/approve`, {}, pt.approver);
      expect(refused.status).toBe(403);
      expect(codes(refused.body)).toEqual(['approval_forbidden']);
      expect(JSON.stringify(refused.body)).toContain('payments changes need an SRE');
    } finally {
      await prodSvc.close();
    }
  });

  it('shows a context past the record limit as the record does: a marker', async () => {
    const context = { environment: 'staging', repository: 'corp/webapp', notes: 'x'.repeat(5000) };
    const asked = await svc.post('/v1/decide', withContext(context), t.requester);
    const id = (asked.body.approval as { id: string }).id;
    const summary = (await svc.get(`/v1/approvals/${id}`, t.approver)).body.approval as Record<
      string,
      unknown
    >;
    expect(summary.context).toMatch(/^\[truncated: \d+ bytes\]$/);
  });
});
