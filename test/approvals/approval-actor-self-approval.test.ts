/**
 * Separation of duties covers the agent as well as the subject: an agent that asked for an approval must not
 * decide it through a token it holds for someone else (RFC 8693 delegation: sub is the approver, act the agent),
 * whatever the approver's scope and groups. Before, only the approver's own subject was compared.
 */
import type { TestService } from '../helpers/service';
import {
  approvalService,
  APPROVE_SCOPE,
  ASSISTANT,
  ASSISTANT_AGENT,
  codes,
  pipelineChange,
  tokens,
} from './approval-fixtures';

describe('self-approval through a delegated token', () => {
  let svc: TestService;
  let t: ReturnType<typeof tokens>;

  approvalService((started) => {
    svc = started;
    t = tokens(started);
  });

  const delegated = (act: Record<string, unknown>) =>
    svc.token({ sub: 'user:alice@corp', scope: APPROVE_SCOPE, groups: ['platform-leads'], act });

  it.each([
    ['the requesting agent acting for an approver', { sub: ASSISTANT_AGENT }],
    ['the requesting subject acting for an approver', { sub: ASSISTANT }],
    [
      'the requesting agent deeper in the actor chain',
      { sub: 'agent:wrapper', act: { sub: ASSISTANT_AGENT } },
    ],
  ])('refuses %s with 403 self_approval, and lists it as not decidable', async (_what, act) => {
    const asked = await svc.post(
      '/v1/decide',
      pipelineChange({ payload: { messages: [{ role: 'user', content: `change ${JSON.stringify(act)}` }] } }),
      t.requester,
    );
    const id = (asked.body.approval as { id: string }).id;
    const token = delegated(act);

    const listed = await svc.get(`/v1/approvals/${id}`, token);
    expect(listed.status).toBe(200);
    expect((listed.body.approval as { can_decide: boolean }).can_decide).toBe(false);

    for (const action of ['approve', 'deny']) {
      const res = await svc.post(`/v1/approvals/${id}/${action}`, {}, token);
      expect(res.status).toBe(403);
      expect(codes(res.body)).toEqual(['self_approval']);
    }
    // A person with the same scope and group, without the agent, still decides it.
    expect((await svc.post(`/v1/approvals/${id}/approve`, {}, t.approver)).status).toBe(200);
  });

  // RFC 8693: the outermost act is the current actor, nested ones are prior actors. A person who acted earlier in
  // the chain that asked (here user:dave, who handed the work to the coding assistant) is a requester too.
  const throughDave = (dave: string) =>
    svc.token({
      sub: ASSISTANT,
      scope: 'invoke:assist',
      act: { sub: ASSISTANT_AGENT, act: { sub: dave } },
    });
  const davesChange = (content: string) =>
    pipelineChange({ payload: { messages: [{ role: 'user', content }] } });

  it('refuses an approver who acted earlier in the chain that asked, and lists it as not decidable', async () => {
    const change = davesChange('dave asks');
    const asked = await svc.post('/v1/decide', change, throughDave('user:dave@corp'));
    expect(codes(asked.body)).toEqual(['approval_required']);
    const id = (asked.body.approval as { id: string }).id;
    const dave = svc.token({ sub: 'user:dave@corp', scope: APPROVE_SCOPE, groups: ['platform-leads'] });

    const listed = (await svc.get(`/v1/approvals/${id}`, dave)).body.approval as Record<string, unknown>;
    expect(listed.requester).toEqual({
      subject: ASSISTANT,
      issuer: expect.any(String),
      actor: ASSISTANT_AGENT,
      prior_actors: ['user:dave@corp'],
    });
    expect(listed.can_decide).toBe(false);
    for (const action of ['approve', 'deny']) {
      const res = await svc.post(`/v1/approvals/${id}/${action}`, {}, dave);
      expect(res.status).toBe(403);
      expect(codes(res.body)).toEqual(['self_approval']);
    }
    expect((await svc.post(`/v1/approvals/${id}/approve`, {}, t.approver)).status).toBe(200);
  });

  it('binds the approval to the whole chain: a chain with another prior actor cannot spend it', async () => {
    const change = davesChange('dave asks again');
    const asked = await svc.post('/v1/decide', change, throughDave('user:dave@corp'));
    const id = (asked.body.approval as { id: string }).id;
    expect((await svc.post(`/v1/approvals/${id}/approve`, {}, t.approver)).status).toBe(200);

    const mallory = await svc.post(
      '/v1/decide',
      { ...change, approval_id: id },
      throughDave('user:mallory@corp'),
    );
    expect(mallory.status).toBe(403);
    expect(codes(mallory.body)).toEqual(['approval_mismatch']);
    const dave = await svc.post('/v1/decide', { ...change, approval_id: id }, throughDave('user:dave@corp'));
    expect(dave.body.allow).toBe(true);
  });
});
