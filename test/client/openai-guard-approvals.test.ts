/**
 * The approval loop through the OpenAI guard, on a real modelgate with the shipped policy: the coding assistant's
 * call offering `pipelines.update` is denied approval_required with a pending approval, an approver approves it
 * through the API, and the same call presenting the approval id (`{ modelgate: { approvalId } }`) reaches the model.
 */
import OpenAI from 'openai';
import { guardOpenAI, ModelgateClient, ModelgateDenied } from '../../src/client';
import { approvalEvents, ASSISTANT, tokens } from '../approvals/approval-fixtures';
import { auditRow } from '../helpers/audit-db';
import { startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai';
import { startTestService, type TestService } from '../helpers/service';

let service: TestService;
let provider: FakeOpenAI;
let t: ReturnType<typeof tokens>;

beforeAll(async () => {
  [service, provider] = await Promise.all([startTestService(), startFakeOpenAI()]);
  t = tokens(service);
});

afterAll(async () => {
  await Promise.all([service?.close(), provider?.close()]);
});

beforeEach(() => {
  provider.requests.length = 0;
});

function assistant() {
  const openai = new OpenAI({ apiKey: 'sk-fake-provider-key', baseURL: provider.baseURL, maxRetries: 0 });
  const modelgate = new ModelgateClient({ baseUrl: service.url, token: () => t.requester });
  return guardOpenAI(openai, modelgate, { context: { environment: 'staging', repository: 'corp/webapp' } });
}

/** A chat call offering the pipeline tool: the shipped entitlements require an approval by platform-leads. */
function pipelineCall(content: string): OpenAI.Chat.ChatCompletionCreateParamsNonStreaming {
  return {
    model: 'anthropic.claude-sonnet',
    max_tokens: 20000,
    messages: [{ role: 'user', content }],
    tools: [{ type: 'function', function: { name: 'pipelines.update', parameters: { type: 'object' } } }],
  };
}

async function denied(call: Promise<unknown>): Promise<ModelgateDenied> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelgateDenied);
  return error as ModelgateDenied;
}

async function approve(id: string): Promise<void> {
  const reply = await service.post(`/v1/approvals/${id}/approve`, { comment: 'reviewed' }, t.approver);
  expect(reply.status).toBe(200);
}

describe('approvals through the OpenAI guard', () => {
  it('denies with the pending approval, then allows the same call presenting it once approved', async () => {
    const guard = assistant();
    const params = pipelineCall('Bump the deploy timeout to 20 minutes');

    const first = await denied(guard.chat.completions.create(params));
    expect(first.reasons.map((r) => r.code)).toEqual(['approval_required']);
    expect(first.approval).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: 'pending',
      approvers: 'platform-leads',
    });
    expect(first.message).toContain(`approval ${first.approval!.id} is pending`);
    const id = first.approval!.id;

    // Presented before anyone decided: still approval_required, the same approval, no new one.
    const early = await denied(guard.chat.completions.create(params, { modelgate: { approvalId: id } }));
    expect(early.reasons.map((r) => r.code)).toEqual(['approval_required']);
    expect(early.approval?.id).toBe(id);
    expect(provider.requests).toHaveLength(0);

    await approve(id);

    // The OpenAI client's own request options still reach it beside the guard's; an id in capitals is the same
    // id (the LiteLLM guardrail and the MCP middleware take it either way too).
    const reply = await guard.chat.completions.create(params, {
      headers: { 'x-request-tag': 'retry-1' },
      modelgate: { approvalId: id.toUpperCase() },
    });
    expect(reply.choices[0]?.message.content).toBe('done');
    expect(provider.requests).toHaveLength(1);
    const sent = provider.requests[0]!;
    expect(sent.headers['x-request-tag']).toBe('retry-1');
    expect(JSON.stringify(sent.body)).not.toContain(id);
    expect((sent.body as { max_tokens: number }).max_tokens).toBe(8192); // the entitlement's cap still applies

    const events = approvalEvents(service.db, id);
    expect(events.map((e) => e.path.split('/').pop())).toEqual(['requested', 'approve', 'use']);
    const used = events.at(-1)!;
    expect(used.subject).toBe(ASSISTANT);
    expect(auditRow(service.db, used.record.result.approval!.decision_id as string)?.outcome).toBe('allowed');

    // One use (the shipped default): the next retry with the same id is denied, and the model not called.
    const again = await denied(guard.chat.completions.create(params, { modelgate: { approvalId: id } }));
    expect(again.reasons.map((r) => r.code)).toContain('approval_used_up');
    expect(provider.requests).toHaveLength(1);
  });

  it('refuses an approval id that belongs to another call, or to none, and a malformed one', async () => {
    const guard = assistant();
    const asked = await denied(guard.chat.completions.create(pipelineCall('Set the deploy timeout')));
    const id = asked.approval!.id;
    await approve(id);

    // Approved, but for another payload: the binding does not match.
    const other = await denied(
      guard.chat.completions.create(pipelineCall('Delete the prod pipeline'), {
        modelgate: { approvalId: id },
      }),
    );
    expect(other.status).toBe(403);
    expect(other.reasons.map((r) => r.code)).toEqual(['approval_mismatch']);

    const unknown = await denied(
      guard.chat.completions.create(pipelineCall('Set the deploy timeout'), {
        modelgate: { approvalId: '0193a8f2-6b1c-7d2e-8f30-1a2b3c4d5e6f' },
      }),
    );
    expect(unknown.status).toBe(403);
    expect(unknown.reasons.map((r) => r.code)).toEqual(['approval_mismatch']);

    const malformed = await denied(
      guard.chat.completions.create(pipelineCall('Set the deploy timeout'), {
        modelgate: { approvalId: 'not-an-approval' },
      }),
    );
    expect(malformed.status).toBe(400);
    expect(malformed.reasons.map((r) => r.code)).toEqual(['body_invalid']);
    expect(provider.requests).toHaveLength(0);

    // The approval was not spent by the refused attempts: the right call still gets through with it.
    await guard.chat.completions.create(pipelineCall('Set the deploy timeout'), {
      modelgate: { approvalId: id },
    });
    expect(provider.requests).toHaveLength(1);
  });
});
