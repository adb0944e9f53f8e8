import OpenAI from 'openai';
import { approvalEvents, ASSISTANT, ASSISTANT_AGENT, tokens } from '../../test/approvals/approval-fixtures';
import { startFakeOpenAI, type FakeOpenAI } from '../../test/helpers/fake-openai';
import { startTestService, type TestService } from '../../test/helpers/service';
import { decisions } from '../testdata/decisions';
import { MASTER_KEY, startLitellmProxy, type LitellmProxy } from './litellm-proxy';

// The approval loop through the real LiteLLM proxy and a real modelgate with the shipped policy. The proxy runs as
// the coding assistant (its token places it in staging, corp/webapp), whose pipelines.update tool needs an approval
// by platform-leads: the first call is refused 403 with the pending approval, an approver approves it through the
// API, and the same request presenting the id (metadata.modelgate_approval_id or x-modelgate-approval-id) is
// allowed and reaches the backend.
const MODEL = 'anthropic.claude-sonnet';
const UNKNOWN_ID = '0193a8f2-6b1c-7d2e-8f30-1a2b3c4d5e6f';

let service: TestService;
let provider: FakeOpenAI;
let proxy: LitellmProxy;
let client: OpenAI;
let t: ReturnType<typeof tokens>;

beforeAll(async () => {
  [service, provider] = await Promise.all([startTestService(), startFakeOpenAI()]);
  t = tokens(service);
  proxy = await startLitellmProxy({
    providerURL: provider.baseURL,
    modelgateURL: service.url,
    token: service.token({
      sub: ASSISTANT,
      scope: 'invoke:assist',
      act: { sub: ASSISTANT_AGENT },
      environment: 'staging',
      repository: 'corp/webapp',
    }),
    extraModels: [MODEL],
  });
  client = new OpenAI({ apiKey: MASTER_KEY, baseURL: proxy.url, maxRetries: 0 });
}, 300_000);

afterAll(async () => {
  proxy?.stop();
  await Promise.all([service?.close(), provider?.close()]);
});

beforeEach(() => {
  provider.requests.length = 0;
});

/** A chat call offering the pipeline tool, the same each time for the same content. */
function pipelineCall(content: string): OpenAI.Chat.ChatCompletionCreateParamsNonStreaming {
  return {
    model: MODEL,
    max_tokens: 20000,
    messages: [{ role: 'user', content }],
    tools: [{ type: 'function', function: { name: 'pipelines.update', parameters: { type: 'object' } } }],
  };
}

interface Refusal {
  status: number | undefined;
  message: string;
  modelgate: { decision_id?: string; reasons: { code: string }[]; approval?: { id: string; status: string } };
}

/** The proxy's refusal: status, message, and the `modelgate` part of the guardrail's detail. */
async function refused(call: Promise<unknown>): Promise<Refusal> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OpenAI.APIError);
  const { status, message } = error as InstanceType<typeof OpenAI.APIError>;
  return { status, message, modelgate: modelgatePart(error as InstanceType<typeof OpenAI.APIError>) };
}

// LiteLLM answers `{"error": {message, type, code, provider_specific_fields}}`, the guardrail's HTTPException detail
// (its `error` and `modelgate`) in provider_specific_fields; the OpenAI client exposes the `error` object.
function modelgatePart(error: InstanceType<typeof OpenAI.APIError>): Refusal['modelgate'] {
  const body = error.error as { provider_specific_fields?: { modelgate?: Refusal['modelgate'] } } | undefined;
  return body?.provider_specific_fields?.modelgate ?? { reasons: [] };
}

const codes = (r: Refusal) => r.modelgate.reasons.map((reason) => reason.code);

async function askForApproval(content: string): Promise<string> {
  const first = await refused(client.chat.completions.create(pipelineCall(content)));
  expect(first.status).toBe(403);
  expect(codes(first)).toEqual(['approval_required']);
  expect(first.modelgate.approval).toMatchObject({ status: 'pending' });
  const id = first.modelgate.approval!.id;
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  expect(first.message).toContain(`approval ${id} is pending`);
  expect(first.message).toContain('metadata.modelgate_approval_id');
  return id;
}

async function approve(id: string): Promise<void> {
  const reply = await service.post(`/v1/approvals/${id}/approve`, {}, t.approver);
  expect(reply.status).toBe(200);
}

describe('approvals through the modelgate guardrail in the real LiteLLM proxy', () => {
  it('allows the same request presenting the approved approval in metadata, once', async () => {
    const params = pipelineCall('Bump the deploy timeout to 20 minutes');
    const id = await askForApproval('Bump the deploy timeout to 20 minutes');

    // Presented before anyone decided: still approval_required, the same approval.
    const early = await refused(
      client.chat.completions.create({ ...params, metadata: { modelgate_approval_id: id } }),
    );
    expect(codes(early)).toEqual(['approval_required']);
    expect(early.modelgate.approval?.id).toBe(id);
    expect(provider.requests).toHaveLength(0);

    await approve(id);
    const reply = await client.chat.completions.create({
      ...params,
      metadata: { modelgate_approval_id: id },
    });
    expect(reply.choices[0]?.message.content).toBe('done');
    expect(provider.requests).toHaveLength(1);
    const sent = provider.requests[0]!.body as { messages: { content: string }[]; max_tokens: number };
    expect(sent.messages).toEqual([{ role: 'user', content: 'Bump the deploy timeout to 20 minutes' }]);
    expect(sent.max_tokens).toBe(8192); // the entitlement's cap still applies

    const events = approvalEvents(service.db, id);
    expect(events.map((e) => e.path.split('/').pop())).toEqual(['requested', 'approve', 'use']);
    const used = events.at(-1)!.record.result.approval!.decision_id as string;
    expect(decisions(service.db).find((d) => d.decision_id === used)).toMatchObject({
      outcome: 'allowed',
      subject: ASSISTANT,
      model: MODEL,
    });

    // The shipped policy grants one use: the next presentation is refused and the backend not called.
    const again = await refused(
      client.chat.completions.create({ ...params, metadata: { modelgate_approval_id: id } }),
    );
    expect(again.status).toBe(403);
    expect(codes(again)).toContain('approval_used_up');
    expect(provider.requests).toHaveLength(1);
  });

  it('takes the approval id from the x-modelgate-approval-id header too', async () => {
    const params = pipelineCall('Set the deploy timeout to 15 minutes');
    const id = await askForApproval('Set the deploy timeout to 15 minutes');
    await approve(id);
    const reply = await client.chat.completions.create(params, {
      headers: { 'x-modelgate-approval-id': id },
    });
    expect(reply.choices[0]?.message.content).toBe('done');
    expect(provider.requests).toHaveLength(1);
    expect(approvalEvents(service.db, id).map((e) => e.path.split('/').pop())).toEqual([
      'requested',
      'approve',
      'use',
    ]);
  });

  it('refuses an id bound to another request or to none (403), and one that is not a UUID (400)', async () => {
    const id = await askForApproval('Rotate the deploy key');
    await approve(id);

    const otherRequest = await refused(
      client.chat.completions.create({
        ...pipelineCall('Delete the prod pipeline'),
        metadata: { modelgate_approval_id: id },
      }),
    );
    expect(otherRequest.status).toBe(403);
    expect(codes(otherRequest)).toEqual(['approval_mismatch']);

    const unknown = await refused(
      client.chat.completions.create({
        ...pipelineCall('Rotate the deploy key'),
        metadata: { modelgate_approval_id: UNKNOWN_ID },
      }),
    );
    expect(unknown.status).toBe(403);
    expect(codes(unknown)).toEqual(['approval_mismatch']);

    const malformed = await refused(
      client.chat.completions.create({
        ...pipelineCall('Rotate the deploy key'),
        metadata: { modelgate_approval_id: 'not-an-approval' },
      }),
    );
    expect(malformed.status).toBe(400);
    expect(malformed.message).toContain('must be the id (a UUID)');

    const conflicting = await refused(
      client.chat.completions.create(
        { ...pipelineCall('Rotate the deploy key'), metadata: { modelgate_approval_id: id } },
        { headers: { 'x-modelgate-approval-id': UNKNOWN_ID } },
      ),
    );
    expect(conflicting.status).toBe(400);
    expect(conflicting.message).toContain('name different approvals');
    expect(provider.requests).toHaveLength(0);

    // None of the refused attempts spent the approval.
    await client.chat.completions.create({
      ...pipelineCall('Rotate the deploy key'),
      metadata: { modelgate_approval_id: id },
    });
    expect(provider.requests).toHaveLength(1);
  });
});
