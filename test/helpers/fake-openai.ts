import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake provider received. */
export interface ProviderRequest {
  path: string;
  authorization: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/**
 * A local OpenAI-compatible server: answers chat completions and responses (both streamed too), text completions,
 * embeddings and the model list, and keeps what it got.
 */
export interface FakeOpenAI {
  /** Base URL for an OpenAI client, e.g. http://127.0.0.1:41234/v1 */
  baseURL: string;
  /** Every request but the model list: what a test means by "the backend saw the call". */
  requests: ProviderRequest[];
  /**
   * Model-list requests (GET /v1/models). A gateway sends them on its own schedule (LiteLLM at start and at times
   * after), they carry no content, so they are kept apart from `requests`.
   */
  listings: ProviderRequest[];
  /**
   * When set, a streamed chat completion sends its first event, then waits for this before the rest: a test can
   * see that the first event reached its client while the stream was still open.
   */
  streamHold?: Promise<void>;
  close(): Promise<void>;
}

// Fixed usage figures, so a test can check that the guard reported exactly these.
export const FAKE_USAGE = { input: 21, output: 7 };

/** Starts the fake provider on 127.0.0.1, port 0. */
export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const requests: ProviderRequest[] = [];
  const listings: ProviderRequest[] = [];
  const fake: FakeOpenAI = { baseURL: '', requests, listings, close: () => Promise.resolve() };
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => {
      const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      const path = (req.url ?? '').replace(/\?.*$/, '');
      const seen = { path, authorization: req.headers.authorization, headers: req.headers, body };
      (req.method === 'GET' && path === '/v1/models' ? listings : requests).push(seen);
      if (path === '/v1/chat/completions' && body.stream === true) {
        void stream(res, body, fake.streamHold);
        return;
      }
      if (path === '/v1/responses' && body.stream === true) {
        streamResponse(res, body);
        return;
      }
      const reply = answer(path, body);
      res.writeHead(reply ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply ?? { error: { message: `no route ${path}` } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fake.baseURL = `http://127.0.0.1:${port}/v1`;
  fake.close = () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    });
  return fake;
}

// A streamed chat completion as server-sent events: "do", "ne", a usage event when the caller asked for one
// (stream_options.include_usage), then [DONE].
async function stream(
  res: ServerResponse,
  body: Record<string, unknown>,
  hold?: Promise<void>,
): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({
      id: 'chatcmpl-fake',
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, delta, finish_reason: null }],
      ...extra,
    })}\n\n`;
  res.write(chunk({ role: 'assistant', content: 'do' }));
  await hold;
  res.write(chunk({ content: 'ne' }));
  const options = body.stream_options as { include_usage?: boolean } | undefined;
  if (options?.include_usage) {
    const usage = {
      prompt_tokens: FAKE_USAGE.input,
      completion_tokens: FAKE_USAGE.output,
      total_tokens: FAKE_USAGE.input + FAKE_USAGE.output,
    };
    res.write(chunk({}, { choices: [], usage }));
  }
  res.end('data: [DONE]\n\n');
}

// A streamed Responses call as server-sent events: created, the text, then completed with the whole response and
// its usage, as the Responses API sends them.
function streamResponse(res: ServerResponse, body: Record<string, unknown>): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const completed = answer('/v1/responses', body)!;
  const created = { ...completed, status: 'in_progress', output: [], usage: null };
  const events: Record<string, unknown>[] = [
    { type: 'response.created', response: created },
    {
      type: 'response.output_text.delta',
      item_id: 'msg-fake',
      output_index: 0,
      content_index: 0,
      delta: 'done',
    },
    { type: 'response.completed', response: completed },
  ];
  events.forEach((event, sequence) =>
    res.write(
      `event: ${String(event.type)}\ndata: ${JSON.stringify({ ...event, sequence_number: sequence })}\n\n`,
    ),
  );
  res.end();
}

function answer(path: string, body: Record<string, unknown>): Record<string, unknown> | undefined {
  const created = Math.floor(Date.now() / 1000);
  if (path === '/v1/chat/completions') {
    return {
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created,
      model: body.model,
      choices: [
        { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'done', refusal: null } },
      ],
      usage: {
        prompt_tokens: FAKE_USAGE.input,
        completion_tokens: FAKE_USAGE.output,
        total_tokens: FAKE_USAGE.input + FAKE_USAGE.output,
      },
    };
  }
  if (path === '/v1/completions') {
    return {
      id: 'cmpl-fake',
      object: 'text_completion',
      created,
      model: body.model,
      choices: [{ index: 0, finish_reason: 'stop', text: 'done', logprobs: null }],
      usage: {
        prompt_tokens: FAKE_USAGE.input,
        completion_tokens: FAKE_USAGE.output,
        total_tokens: FAKE_USAGE.input + FAKE_USAGE.output,
      },
    };
  }
  if (path === '/v1/responses') {
    return {
      id: 'resp-fake',
      object: 'response',
      created_at: created,
      status: 'completed',
      model: body.model,
      output: [
        {
          type: 'message',
          id: 'msg-fake',
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'done', annotations: [] }],
        },
      ],
      usage: {
        input_tokens: FAKE_USAGE.input,
        output_tokens: FAKE_USAGE.output,
        total_tokens: FAKE_USAGE.input + FAKE_USAGE.output,
      },
    };
  }
  if (path === '/v1/models') {
    return { object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', created, owned_by: 'fake' }] };
  }
  if (path === '/v1/embeddings') {
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    return {
      object: 'list',
      model: body.model,
      data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.1, 0.2, 0.3] })),
      usage: { prompt_tokens: FAKE_USAGE.input, total_tokens: FAKE_USAGE.input },
    };
  }
  return undefined;
}
