/**
 * The approval loop on a real server, a real SQLite file and the shipped policy bundle: a caller is asked
 * for an approval, an approver decides it through the API, the caller's retry is allowed (or refused), and
 * every step is a record in the verified audit chain.
 */
import { resolveApprovals } from '../../src/config/load-config';
import { decideResponseSchema } from '../../src/schemas/decide-response.schema';
import { compileValidator } from '../../src/schemas/validators';
import { auditRow } from '../helpers/audit-db';
import { runCli } from '../helpers/cli';
import { startTestService, type TestService } from '../helpers/service';
import {
  approvalEvents,
  approvalService,
  APPROVER,
  ASSISTANT,
  codes,
  pipelineChange,
  tokens,
} from './approval-fixtures';

const validateDecideReply = compileValidator(decideResponseSchema);

type ApprovalRef = { id: string; status: string; expires_at: string; approvers: string | null };

describe('approvals through the API', () => {
  let svc: TestService;
  let t: ReturnType<typeof tokens>;

  approvalService((started) => {
    svc = started;
    t = tokens(started);
  });

  async function askForApproval(
    body = pipelineChange(),
  ): Promise<{ decisionId: string; approval: ApprovalRef }> {
    const reply = await svc.post('/v1/decide', body, t.requester);
    expect(reply.status).toBe(200);
    expect(reply.body.allow).toBe(false);
    expect(codes(reply.body)).toEqual(['approval_required']);
    expect(validateDecideReply.problems(reply.body)).toEqual([]);
    return { decisionId: reply.body.decision_id as string, approval: reply.body.approval as ApprovalRef };
  }

  it('answers approval_required with a pending approval, and the same one while it is pending', async () => {
    const first = await askForApproval();
    expect(first.approval).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: 'pending',
      expires_at: expect.any(String),
      approvers: 'platform-leads',
    });
    const expiresIn = Date.parse(first.approval.expires_at) - Date.now();
    expect(expiresIn).toBeGreaterThan(3500_000);
    expect(expiresIn).toBeLessThanOrEqual(3600_000);

    const again = await askForApproval();
    expect(again.decisionId).not.toBe(first.decisionId);
    expect(again.approval).toEqual(first.approval);

    // A different payload is a different request: a different approval.
    const other = await askForApproval(
      pipelineChange({ payload: { messages: [{ role: 'user', content: 'Delete the prod pipeline' }] } }),
    );
    expect(other.approval.id).not.toBe(first.approval.id);

    const events = approvalEvents(svc.db, first.approval.id);
    expect(events.map((e) => [e.path.split('/').pop(), e.outcome, e.subject])).toEqual([
      ['requested', 'denied', ASSISTANT],
    ]);
    expect(events[0]!.record.reasons).toEqual(['approval_requested']);
    expect(events[0]!.record.result.approval).toMatchObject({
      event: 'requested',
      id: first.approval.id,
      request_decision_id: first.decisionId,
      decision_id: first.decisionId,
    });
    expect(auditRow(svc.db, first.decisionId)?.record.reasons).toEqual(['approval_required']);
  });

  it('lets an approver approve; the retry is allowed once, with caps, then refused as used up', async () => {
    const change = pipelineChange({
      payload: { messages: [{ role: 'user', content: 'Set the deploy timeout' }] },
    });
    const { decisionId, approval } = await askForApproval(change);

    const listed = await svc.get('/v1/approvals', t.approver);
    expect(listed.status).toBe(200);
    const summary = (listed.body.approvals as Record<string, unknown>[]).find((a) => a.id === approval.id);
    expect(summary).toMatchObject({
      status: 'pending',
      requester: { subject: ASSISTANT, actor: 'agent:coding-assistant' },
      invocation: {
        model: 'anthropic.claude-sonnet',
        operation: 'tool_call',
        tools: ['pipelines.update', 'repo.read_file'],
      },
      reasons: ['changes to deployment pipelines need a human approval'],
      approvers: 'platform-leads',
      can_decide: true,
      request_decision_id: decisionId,
    });
    expect(JSON.stringify(listed.body)).not.toContain('Set the deploy timeout');

    const approved = await svc.post(
      `/v1/approvals/${approval.id}/approve`,
      { comment: 'reviewed in PR 4711' },
      t.approver,
    );
    expect(approved.status).toBe(200);
    expect(approved.body.approval).toMatchObject({
      status: 'approved',
      decided_by: APPROVER,
      comment: 'reviewed in PR 4711',
    });
    const approveId = approved.body.decision_id as string;

    const retry = await svc.post('/v1/decide', { ...change, approval_id: approval.id }, t.requester);
    expect(retry.status).toBe(200);
    expect(retry.body.allow).toBe(true);
    expect(retry.body.max_tokens).toBe(8192); // the entitlement's cap still applies
    const input = auditRow(svc.db, retry.body.decision_id as string)!.record.input as Record<string, unknown>;
    expect(input.approval).toMatchObject({
      id: approval.id,
      status: 'approved',
      approved_by: APPROVER,
      uses_left: 1,
    });

    const again = await svc.post('/v1/decide', { ...change, approval_id: approval.id }, t.requester);
    expect(again.body.allow).toBe(false);
    expect(codes(again.body)).toEqual(['approval_used_up']);

    const events = approvalEvents(svc.db, approval.id);
    expect(events.map((e) => [e.path.split('/').pop(), e.outcome, e.subject])).toEqual([
      ['requested', 'denied', ASSISTANT],
      ['approve', 'allowed', APPROVER],
      ['use', 'allowed', ASSISTANT],
    ]);
    expect(events[1]!.decision_id).toBe(approveId);
    expect(events[1]!.record.result.approval).toMatchObject({
      comment: 'reviewed in PR 4711',
      request_decision_id: decisionId,
    });
    expect(events[2]!.record.result.approval).toMatchObject({
      decision_id: retry.body.decision_id,
      uses_left: 0,
    });

    const verify = await svc.get('/v1/audit/verify', t.approver);
    expect(verify.body.ok).toBe(true);

    // `modelgate audit` sees the same chain: verify is intact, and the export carries every event.
    const cliVerify = await runCli(['audit', 'verify', '--db', svc.db]);
    expect(cliVerify.code).toBe(0);
    expect(cliVerify.stdout).toContain('chain intact');
    const exported = await runCli([
      'audit',
      'export',
      '--db',
      svc.db,
      '--from',
      '2000-01-01',
      '--to',
      '2100-01-01',
      '--format',
      'jsonl',
    ]);
    expect(exported.code).toBe(0);
    for (const event of ['requested', 'approve', 'use']) {
      expect(exported.stdout).toContain(`/v1/approvals/${approval.id}/${event}`);
    }
  });

  it('spends a one-use grant once when retries race', async () => {
    const change = pipelineChange({
      payload: { messages: [{ role: 'user', content: 'Shorten the canary' }] },
    });
    const { approval } = await askForApproval(change);
    expect((await svc.post(`/v1/approvals/${approval.id}/approve`, {}, t.approver)).status).toBe(200);
    const replies = await Promise.all(
      Array.from({ length: 6 }, () =>
        svc.post('/v1/decide', { ...change, approval_id: approval.id }, t.requester),
      ),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(replies.filter((r) => r.body.allow === true)).toHaveLength(1);
    for (const r of replies.filter((r) => r.body.allow === false)) {
      expect(codes(r.body)).toEqual(['approval_used_up']);
      expect(r.body).toMatchObject({ obligations: [], max_tokens: null });
    }
    expect(approvalEvents(svc.db, approval.id).filter((e) => e.path.endsWith('/use'))).toHaveLength(1);
  });

  it('binds the approval to the caller and the payload', async () => {
    const { approval } = await askForApproval(
      pipelineChange({ payload: { messages: [{ role: 'user', content: 'Raise the replica count' }] } }),
    );
    expect((await svc.post(`/v1/approvals/${approval.id}/approve`, {}, t.approver)).status).toBe(200);

    const otherPayload = await svc.post(
      '/v1/decide',
      pipelineChange({
        approval_id: approval.id,
        payload: { messages: [{ role: 'user', content: 'Drop the database' }] },
      }),
      t.requester,
    );
    expect(otherPayload.status).toBe(403);
    expect(codes(otherPayload.body)).toEqual(['approval_mismatch']);

    const otherAgent = svc.token({
      sub: ASSISTANT,
      scope: 'invoke:assist',
      act: { sub: 'agent:someone-else' },
    });
    const stolen = await svc.post(
      '/v1/decide',
      pipelineChange({
        approval_id: approval.id,
        payload: { messages: [{ role: 'user', content: 'Raise the replica count' }] },
      }),
      otherAgent,
    );
    expect(stolen.status).toBe(403);
    expect(codes(stolen.body)).toEqual(['approval_mismatch']);
    expect(auditRow(svc.db, stolen.body.decision_id as string)?.outcome).toBe('rejected');
  });

  it('refuses self-approval, approvers outside the group and tokens without the scope, each recorded', async () => {
    const { approval } = await askForApproval(
      pipelineChange({ payload: { messages: [{ role: 'user', content: 'Rotate the deploy key' }] } }),
    );
    const self = await svc.post(`/v1/approvals/${approval.id}/approve`, {}, t.requesterAsApprover);
    expect(self.status).toBe(403);
    expect(codes(self.body)).toEqual(['self_approval']);

    const outsider = await svc.post(`/v1/approvals/${approval.id}/approve`, {}, t.outsider);
    expect(outsider.status).toBe(403);
    expect(codes(outsider.body)).toEqual(['approval_forbidden']);
    expect((outsider.body.reasons as { message: string }[])[0]!.message).toContain('platform-leads');

    const noScope = await svc.post(`/v1/approvals/${approval.id}/approve`, {}, t.auditorOnly);
    expect(noScope.status).toBe(403);
    expect(codes(noScope.body)).toEqual(['scope_missing']);
    expect(noScope.headers.get('www-authenticate')).toContain('scope="modelgate:approve"');

    const requesterReads = await svc.get('/v1/approvals', t.requester);
    expect(requesterReads.status).toBe(403);

    for (const reply of [self, outsider, noScope]) {
      expect(auditRow(svc.db, reply.body.decision_id as string)).toMatchObject({
        outcome: 'rejected',
        status: 403,
      });
    }
    const still = await svc.get(`/v1/approvals/${approval.id}`, t.approver);
    expect(still.body.approval).toMatchObject({ status: 'pending', can_decide: true });
    const outsiderView = await svc.get(`/v1/approvals/${approval.id}`, t.outsider);
    expect(outsiderView.body.approval).toMatchObject({ can_decide: false });
  });

  it('a denied approval is refused on retry, and cannot be decided twice', async () => {
    const { approval } = await askForApproval(
      pipelineChange({ payload: { messages: [{ role: 'user', content: 'Disable the canary stage' }] } }),
    );
    const denied = await svc.post(
      `/v1/approvals/${approval.id}/deny`,
      { comment: 'not during the freeze' },
      t.approver,
    );
    expect(denied.status).toBe(200);
    const twice = await svc.post(`/v1/approvals/${approval.id}/approve`, {}, t.approver);
    expect(twice.status).toBe(409);
    expect(codes(twice.body)).toEqual(['approval_not_pending']);

    const retry = await svc.post(
      '/v1/decide',
      pipelineChange({
        approval_id: approval.id,
        payload: { messages: [{ role: 'user', content: 'Disable the canary stage' }] },
      }),
      t.requester,
    );
    expect(retry.body.allow).toBe(false);
    expect(codes(retry.body)).toEqual(['approval_denied']);
    expect(approvalEvents(svc.db, approval.id).map((e) => e.path.split('/').pop())).toEqual([
      'requested',
      'deny',
    ]);
  });

  it('rejects a malformed approval_id and an unknown one with clear 4xx replies', async () => {
    const malformed = await svc.post(
      '/v1/decide',
      { ...pipelineChange(), approval_id: 'apr-1' },
      t.requester,
    );
    expect(malformed.status).toBe(400);
    expect(JSON.stringify(malformed.body.errors)).toContain('/approval_id');
    const unknown = await svc.post(
      '/v1/decide',
      pipelineChange({ approval_id: '0193a8f2-6b1c-7d2e-8f30-1a2b3c4d5e6f' }),
      t.requester,
    );
    expect(unknown.status).toBe(403);
    expect(codes(unknown.body)).toEqual(['approval_mismatch']);
    const missing = await svc.get('/v1/approvals/0193a8f2-6b1c-7d2e-8f30-1a2b3c4d5e6f', t.approver);
    expect(missing.status).toBe(404);
    const badFilter = await svc.get('/v1/approvals?status=open', t.approver);
    expect(badFilter.status).toBe(400);
  });

  it('keeps text that is no approval id out of the record of an approve or deny refused for it', async () => {
    const text = 'ghp_' + 'R8kz2Lq7Wn4Xv9Tb3Yc6Hd1Jf5Gm0Ps8Ua2E';
    for (const action of ['approve', 'deny']) {
      const refused = await svc.post(`/v1/approvals/${text}/${action}`, {}, t.approver);
      expect(refused.status).toBe(404);
      const row = auditRow(svc.db, refused.body.decision_id as string)!;
      expect(row.path).toBe(`/v1/approvals/{id}/${action}`);
      expect(JSON.stringify(row.record)).not.toContain(text);
    }
  });

  it('refuses a comment with a control character other than tab and line breaks, and keeps the approval pending', async () => {
    const asked = await svc.post(
      '/v1/decide',
      pipelineChange({ payload: { messages: [{ role: 'user', content: 'a comment with a NUL' }] } }),
      t.requester,
    );
    const id = (asked.body.approval as { id: string }).id;
    const refused = await svc.post(`/v1/approvals/${id}/approve`, { comment: 'ok\u0000' }, t.approver);
    expect(refused.status).toBe(400);
    expect(codes(refused.body)).toEqual(['body_invalid']);
    expect(
      ((await svc.get(`/v1/approvals/${id}`, t.approver)).body.approval as { status: string }).status,
    ).toBe('pending');
  });

  it('answers an id that is not valid percent-encoding with 400, not an unhandled 500', async () => {
    // %E0%A4%A cannot be decoded: the router threw before any handler ran, and the catch-all answered 500.
    for (const [method, route] of [
      ['GET', '/v1/approvals/%E0%A4%A'],
      ['POST', '/v1/approvals/%E0%A4%A/approve'],
      ['GET', '/v1/decisions/%E0%A4%A'],
      ['GET', '/v1/decisions/%E0%A4%A/lineage'],
      ['POST', '/v1/decisions/%E0%A4%A/usage'],
    ] as const) {
      const res = method === 'GET' ? await svc.get(route, t.approver) : await svc.post(route, {}, t.approver);
      expect([route, res.status]).toEqual([route, 400]);
      expect(res.body.reasons).toEqual([
        { code: 'bad_request', message: 'the path is not valid percent-encoding' },
      ]);
    }
    // The Data API answers in OPA's error body, as for its other refusals.
    const data = await svc.post('/v1/data/%E0%A4%A', { input: {} }, t.requester);
    expect(data.status).toBe(400);
    expect(data.body).toMatchObject({ message: 'the path is not valid percent-encoding' });
    // The OpenAPI document lists the 400 of each route with a path parameter.
    const doc = (await svc.get('/openapi.json')).body as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    expect(doc.paths['/v1/approvals/{id}']!.get!.responses['400']).toBeDefined();
    expect(doc.paths['/v1/decisions/{id}/lineage']!.get!.responses['400']).toBeDefined();
  });

  it('documents the approvals API in the OpenAPI document', async () => {
    const doc = (await svc.get('/openapi.json')).body as {
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/approvals',
        '/v1/approvals/{id}',
        '/v1/approvals/{id}/approve',
        '/v1/approvals/{id}/deny',
      ]),
    );
    expect(doc.components.schemas.DecideRequestV1!.properties).toHaveProperty('approval_id');
    expect(doc.components.schemas.DecideResponseV1!.properties).toHaveProperty('approval');
    expect(doc.components.schemas.PolicyInputV1!.properties).toHaveProperty('approval');
    expect(Object.keys(doc.components.schemas.ApprovalSummaryV1!.properties!)).toEqual(
      expect.arrayContaining(['requester', 'invocation', 'findings', 'reasons', 'can_decide']),
    );
  });
});

describe('the pending approvals of one subject', () => {
  let svc: TestService;
  let t: ReturnType<typeof tokens>;

  beforeAll(async () => {
    svc = await startTestService({ approvals: resolveApprovals({ max_pending_per_subject: 2 }, (p) => p) });
    t = tokens(svc);
  });
  afterAll(async () => {
    await svc.close();
  });

  const change = (n: number) =>
    pipelineChange({
      payload: { messages: [{ role: 'user', content: `Set the deploy timeout to ${n} minutes` }] },
    });

  it('opens no new approval past approvals.max_pending_per_subject: a deny approval_limit_reached, recorded', async () => {
    const opened = [];
    for (const n of [1, 2]) {
      const reply = await svc.post('/v1/decide', change(n), t.requester);
      expect(codes(reply.body)).toEqual(['approval_required']);
      opened.push((reply.body.approval as ApprovalRef).id);
    }
    const refused = await svc.post('/v1/decide', change(3), t.requester);
    expect(refused.status).toBe(200);
    expect(refused.body.allow).toBe(false);
    expect(codes(refused.body)).toEqual(['approval_required', 'approval_limit_reached']);
    expect(refused.body).not.toHaveProperty('approval');
    expect(validateDecideReply.problems(refused.body)).toEqual([]);
    expect(auditRow(svc.db, refused.body.decision_id as string)?.record.reasons).toEqual([
      'approval_required',
      'approval_limit_reached',
    ]);

    // A request already pending still gets its approval; the approver sees only the two.
    const again = await svc.post('/v1/decide', change(2), t.requester);
    expect((again.body.approval as ApprovalRef).id).toBe(opened[1]);
    const listed = await svc.get('/v1/approvals', t.approver);
    expect((listed.body.approvals as { id: string }[]).map((a) => a.id).sort()).toEqual([...opened].sort());

    // A verdict frees a place.
    expect((await svc.post(`/v1/approvals/${opened[0]}/deny`, {}, t.approver)).status).toBe(200);
    const next = await svc.post('/v1/decide', change(3), t.requester);
    expect(codes(next.body)).toEqual(['approval_required']);
    expect(next.body.approval).toBeDefined();
  });
});
