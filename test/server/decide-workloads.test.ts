import { auditRow } from '../helpers/audit-db';
import { startTestService, type TestService } from '../helpers/service';

const CODEGEN = 'spiffe://corp/ci/codegen-pipeline';
const SUPPORT = 'spiffe://corp/support/reply-bot';
const TRIAGE = 'spiffe://corp/agents/triage-workflow';
const SUMMARIZER = 'spiffe://corp/data/doc-summarizer';
const ASSISTANT = 'spiffe://corp/dev/coding-assistant';
const FINANCE = 'spiffe://corp/finance/invoice-assistant';

describe('POST /v1/decide: the six default workloads', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(() => svc.close());

  const decide = (claims: Record<string, unknown>, body: unknown) =>
    svc.post('/v1/decide', body, svc.token(claims));
  const codes = (body: Record<string, unknown>) => (body.reasons as { code: string }[]).map((r) => r.code);

  describe('CI/CD pipeline (code generation)', () => {
    const ci = { sub: CODEGEN, scope: 'invoke:codegen' };
    const call = (context: Record<string, unknown>) => ({
      invocation: {
        model: 'anthropic.claude-sonnet',
        provider: 'bedrock',
        operation: 'completion',
        max_tokens: 4096,
      },
      context,
    });

    it('allows an approved repository and environment, and records the allow', async () => {
      const res = await decide(ci, call({ environment: 'ci', repository: 'corp/webapp' }));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ allow: true, reasons: [], max_tokens: 4096 });
      expect(res.body.policy).toMatchObject({ bundle: 'modelgate', entrypoint: 'modelgate/decision' });
      const row = auditRow(svc.db, res.body.decision_id as string);
      expect(row).toMatchObject({ outcome: 'allowed', status: 200, subject: CODEGEN, path: '/v1/decide' });
      expect(row!.record).toMatchObject({
        model: 'anthropic.claude-sonnet',
        operation: 'completion',
        max_tokens: 4096,
      });
    });

    it('denies an unapproved repository with repository_not_allowed, recorded as denied', async () => {
      const res = await decide(ci, call({ environment: 'ci', repository: 'corp/payments' }));
      expect(res.status).toBe(200);
      expect(res.body.allow).toBe(false);
      expect(codes(res.body)).toContain('repository_not_allowed');
      const row = auditRow(svc.db, res.body.decision_id as string);
      expect(row).toMatchObject({ outcome: 'denied', subject: CODEGEN });
      expect(row!.record.reasons).toContain('repository_not_allowed');
    });

    it('trusts the token’s repository claim over the caller’s context', async () => {
      const res = await decide(
        { ...ci, repository: 'corp/payments', environment: 'ci' },
        call({ repository: 'corp/webapp' }),
      );
      expect(res.body.allow).toBe(false);
      expect(codes(res.body)).toContain('context_mismatch');
    });

    it('denies production with environment_not_allowed', async () => {
      const res = await decide(ci, call({ environment: 'prod', repository: 'corp/webapp' }));
      expect(codes(res.body)).toContain('environment_not_allowed');
    });
  });

  describe('customer-support bot', () => {
    const bot = { sub: SUPPORT, scope: 'invoke:support' };
    const invocation = {
      model: 'anthropic.claude-haiku',
      provider: 'bedrock',
      operation: 'chat',
      purpose: 'support-reply',
      max_tokens: 4096,
    };

    it('caps max_tokens to the per-call cap and says so in an obligation', async () => {
      const res = await decide(bot, { invocation });
      expect(res.body.allow).toBe(true);
      expect(res.body.max_tokens).toBe(2048);
      expect(res.body.obligations).toEqual(
        expect.arrayContaining([{ type: 'cap_tokens', max_tokens: 2048 }]),
      );
      expect(auditRow(svc.db, res.body.decision_id as string)!.record.max_tokens).toBe(2048);
    });

    it('denies a purpose it is not entitled to', async () => {
      const res = await decide(bot, { invocation: { ...invocation, purpose: 'marketing' } });
      expect(codes(res.body)).toContain('purpose_not_allowed');
    });

    it('denies without its scope, with scope_missing', async () => {
      const res = await decide({ sub: SUPPORT }, { invocation });
      expect(res.body.allow).toBe(false);
      expect(codes(res.body)).toContain('scope_missing');
    });
  });

  describe('agentic workflow (tools granted per acting agent)', () => {
    const agent = (act: string | undefined) => ({
      sub: TRIAGE,
      scope: 'invoke:agents',
      ...(act ? { act: { sub: act } } : {}),
    });
    const call = (tool: string) => ({
      invocation: {
        model: 'anthropic.claude-sonnet',
        operation: 'tool_call',
        purpose: 'ticket-triage',
        tools: [{ name: tool }],
      },
    });

    it('allows a tool granted to the acting agent and records the actor', async () => {
      const res = await decide(agent('agent:triage'), call('tickets.create'));
      expect(res.body.allow).toBe(true);
      const row = auditRow(svc.db, res.body.decision_id as string);
      expect(row!.record.actor).toBe('agent:triage');
    });

    it('denies a tool the agent was not granted with actor_not_allowed', async () => {
      const res = await decide(agent('agent:reporter'), call('tickets.create'));
      expect(codes(res.body)).toContain('actor_not_allowed');
    });

    it('denies tools without an acting agent with actor_required', async () => {
      const res = await decide(agent(undefined), call('tickets.read'));
      expect(codes(res.body)).toContain('actor_required');
    });

    it('turns require_approval into a deny approval_required, keeping the obligation', async () => {
      const res = await decide(agent('agent:triage'), call('tickets.close'));
      expect(res.body.allow).toBe(false);
      expect(codes(res.body)).toContain('approval_required');
      expect(res.body.obligations).toEqual(
        expect.arrayContaining([expect.objectContaining({ type: 'require_approval' })]),
      );
      expect(res.body.max_tokens).toBeNull();
      const row = auditRow(svc.db, res.body.decision_id as string);
      expect(row).toMatchObject({ outcome: 'denied' });
      expect(row!.record.reasons).toContain('approval_required');
    });
  });

  describe('data team (cost caps and rate limits)', () => {
    it('allows a document summary and caps it at 4096 tokens a call', async () => {
      const res = await decide(
        { sub: SUMMARIZER, scope: 'invoke:summarize' },
        {
          invocation: {
            model: 'anthropic.claude-haiku',
            operation: 'chat',
            purpose: 'document-summary',
            max_tokens: 8000,
          },
        },
      );
      expect(res.body.allow).toBe(true);
      expect(res.body.max_tokens).toBe(4096);
    });
  });

  describe('coding assistant', () => {
    const assistant = { sub: ASSISTANT, scope: 'invoke:assist', act: { sub: 'agent:coding-assistant' } };
    const call = (environment: string, tool: string) => ({
      invocation: { model: 'anthropic.claude-sonnet', operation: 'tool_call', tools: [{ name: tool }] },
      context: { environment, repository: 'corp/webapp' },
    });

    it('may read repository context in dev', async () => {
      expect((await decide(assistant, call('dev', 'repo.read_file'))).body.allow).toBe(true);
    });

    it('never works in production', async () => {
      const res = await decide(assistant, call('prod', 'repo.read_file'));
      expect(codes(res.body)).toContain('environment_not_allowed');
    });

    it('may not update deployment pipelines without an approval', async () => {
      const res = await decide(assistant, call('dev', 'pipelines.update'));
      expect(res.body.allow).toBe(false);
      expect(codes(res.body)).toContain('approval_required');
    });
  });

  describe('finance model', () => {
    const finance = { sub: FINANCE, scope: 'invoke:finance', act: { sub: 'agent:invoice-assistant' } };
    const call = (tools: string[], purpose: string) => ({
      invocation: {
        model: 'anthropic.claude-sonnet',
        provider: 'bedrock',
        operation: 'tool_call',
        purpose,
        tools: tools.map((name) => ({ name })),
      },
    });

    it('may summarise invoices', async () => {
      expect((await decide(finance, call(['invoices.read'], 'invoice-summary'))).body.allow).toBe(true);
    });

    it('may not initiate payments without an approval', async () => {
      const res = await decide(finance, call(['payments.initiate'], 'payment-preparation'));
      expect(res.body.allow).toBe(false);
      expect(codes(res.body)).toContain('approval_required');
    });
  });

  it('denies an identity the policy does not know with unknown_subject', async () => {
    const res = await decide(
      { sub: 'spiffe://corp/stranger' },
      { invocation: { model: 'anthropic.claude-sonnet', operation: 'chat' } },
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ allow: false, obligations: [], max_tokens: null });
    expect(codes(res.body)).toContain('unknown_subject');
    expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({
      outcome: 'denied',
      subject: 'spiffe://corp/stranger',
    });
  });
});
