import OpenAI from 'openai';
import { approvalEvents, ASSISTANT, ASSISTANT_AGENT, tokens } from '../../test/approvals/approval-fixtures';
import { startFakeOpenAI, type FakeOpenAI } from '../../test/helpers/fake-openai';
import { startTestService, type TestService } from '../../test/helpers/service';
import { decisions } from '../testdata/decisions';
import { startGateway, type NginxGateway } from './nginx-gateway';

// The approval loop through the nginx gateway and a real modelgate with the shipped policy. The caller is the coding
// assistant (its token places it in staging, corp/webapp), whose pipelines.update tool needs an approval by
// platform-leads: the first call is refused 403 with the pending approval, an approver approves it through the API,
// and the same request presenting the id in X-Modelgate-Approval-Id is allowed, once, and reaches the provider.
const MODEL = 'anthropic.claude-sonnet';
const PARAMS: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming = {
  model: MODEL,
  max_tokens: 20000,
  messages: [{ role: 'user', content: 'Bump the deploy timeout to 20 minutes' }],
  tools: [{ type: 'function', function: { name: 'pipelines.update', parameters: { type: 'object' } } }],
};

let service: TestService;
let provider: FakeOpenAI;
let gateway: NginxGateway;
let client: OpenAI;

beforeAll(async () => {
  [service, provider] = await Promise.all([startTestService(), startFakeOpenAI()]);
  gateway = await startGateway({
    modelgate: new URL(service.url).host,
    providerOrigin: new URL(provider.baseURL).origin,
    providerKey: 'sk-provider-key-of-the-gateway',
  });
  const jwt = service.token({
    sub: ASSISTANT,
    scope: 'invoke:assist',
    act: { sub: ASSISTANT_AGENT },
    environment: 'staging',
    repository: 'corp/webapp',
  });
  client = new OpenAI({ apiKey: async () => jwt, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
}, 300_000);

afterAll(async () => {
  await gateway?.stop();
  await Promise.all([service?.close(), provider?.close()]);
});

interface ModelgatePart {
  reasons: { code: string }[];
  approval?: { id: string; status: string };
}

async function refused(call: Promise<unknown>): Promise<{ status?: number; modelgate: ModelgatePart }> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OpenAI.APIError);
  const { status, error: body } = error as InstanceType<typeof OpenAI.APIError>;
  return { status, modelgate: (body as { modelgate: ModelgatePart }).modelgate };
}

const withApproval = (id: string) => ({ headers: { 'x-modelgate-approval-id': id } });

it('allows the same request presenting the approved approval in X-Modelgate-Approval-Id, once', async () => {
  const first = await refused(client.chat.completions.create(PARAMS));
  expect(first.status).toBe(403);
  expect(first.modelgate.reasons.map((r) => r.code)).toEqual(['approval_required']);
  const id = first.modelgate.approval!.id;
  expect(id).toMatch(/^[0-9a-f-]{36}$/);

  const approved = await service.post(`/v1/approvals/${id}/approve`, {}, tokens(service).approver);
  expect(approved.status).toBe(200);
  // In capitals, as a client may print it: the gateway sends modelgate the lower-case spelling.
  const reply = await client.chat.completions.create(PARAMS, withApproval(id.toUpperCase()));
  expect(reply.choices[0]?.message.content).toBe('done');
  expect(provider.requests).toHaveLength(1);
  const sent = provider.requests[0]!;
  expect(sent.body).toMatchObject({ messages: PARAMS.messages, max_tokens: 8192 });
  expect(sent.headers['x-modelgate-approval-id']).toBeUndefined();

  const events = approvalEvents(service.db, id);
  expect(events.map((e) => e.path.split('/').pop())).toEqual(['requested', 'approve', 'use']);
  const used = events.at(-1)!.record.result.approval!.decision_id as string;
  expect(decisions(service.db).find((d) => d.decision_id === used)).toMatchObject({
    outcome: 'allowed',
    subject: ASSISTANT,
    model: MODEL,
  });

  // The shipped policy grants one use: the next presentation is refused and the provider not called.
  const again = await refused(client.chat.completions.create(PARAMS, withApproval(id)));
  expect(again.status).toBe(403);
  expect(again.modelgate.reasons.map((r) => r.code)).toContain('approval_used_up');
  expect(provider.requests).toHaveLength(1);
});
