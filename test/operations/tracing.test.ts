import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startChildService } from '../helpers/child-service';
import { fetchReply } from '../helpers/service';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: { stringValue?: string } }[];
}

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

// A real OTLP/HTTP receiver: collects the JSON span exports POSTed to /v1/traces.
async function startReceiver(): Promise<{ server: Server; url: string; spans: OtlpSpan[]; posts: number }> {
  const state = { spans: [] as OtlpSpan[], posts: 0 };
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => {
      state.posts += 1;
      const body = JSON.parse(text) as {
        resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
      };
      for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) state.spans.push(...ss.spans);
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  return Object.assign(state, { server, url });
}

const attr = (span: OtlpSpan, key: string) => span.attributes.find((a) => a.key === key)?.value.stringValue;

describe('OpenTelemetry tracing', () => {
  it('exports one span per decision and one child per stage over OTLP/HTTP, joining the caller trace', async () => {
    const receiver = await startReceiver();
    try {
      // A process of its own: the OTLP exporter loads parts of itself with import(), which jest's VM lacks.
      const svc = await startChildService({
        config: {
          tracing: { otlp_endpoint: receiver.url, service_name: 'modelgate-test', export_delay_ms: 60_000 },
        },
      });
      const token = svc.token({ sub: 'spiffe://corp/ci/codegen-pipeline', scope: 'invoke:codegen' });
      const body = {
        invocation: { model: 'anthropic.claude-sonnet', operation: 'completion', max_tokens: 10 },
        context: { environment: 'ci', repository: 'corp/webapp' },
      };
      const plain = await svc.post('/v1/decide', body, token);
      const joined = await fetchReply(`${svc.url}/v1/decide`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`,
        },
        body: JSON.stringify(body),
      });
      expect(receiver.posts).toBe(0); // nothing exported before the batch is due or the service stops
      const exit = await svc.stop(); // SIGTERM: a graceful stop flushes the spans
      expect([exit, receiver.posts, svc.output().slice(-3000)]).toEqual([
        { code: 0, signal: null },
        1,
        expect.any(String),
      ]);

      const roots = receiver.spans.filter((s) => s.name === 'decision /v1/decide');
      expect(roots.map((s) => attr(s, 'modelgate.decision_id'))).toEqual([
        plain.body.decision_id,
        joined.body.decision_id,
      ]);
      const replies = [plain, joined];
      for (const [i, root] of roots.entries()) {
        const children = receiver.spans.filter((s) => s.parentSpanId === root.spanId);
        expect(children.map((s) => s.name)).toEqual([
          'identity',
          'validate',
          'screen',
          'usage',
          'evaluate',
          'record',
        ]);
        expect(children.every((s) => s.traceId === root.traceId)).toBe(true);
        expect(attr(root, 'modelgate.outcome')).toBe(replies[i]!.body.allow ? 'allowed' : 'denied');
      }
      expect(roots[0]!.traceId).not.toBe(CALLER_TRACE);
      expect(roots[1]).toMatchObject({ traceId: CALLER_TRACE, parentSpanId: CALLER_SPAN });
    } finally {
      receiver.server.close();
    }
  });

  // Span names and http.route are meant to be low-cardinality (OpenTelemetry's HTTP conventions): a name or route per
  // policy path or approval id grows every span-metrics series set and index downstream without bound.
  it('names spans and http.route by the route template, the path itself in url.path', async () => {
    const receiver = await startReceiver();
    try {
      const svc = await startChildService({
        config: { tracing: { otlp_endpoint: receiver.url, export_delay_ms: 60_000 } },
      });
      const token = svc.token({ sub: 'spiffe://corp/ci/codegen-pipeline', scope: 'invoke:codegen' });
      const data = await svc.post('/v1/data/tenants/acme-4711/allow', { input: {} }, token);
      const approvalId = '0193a8f2-6b1c-7d2e-8f30-1a2b3c4d5e6f';
      const approval = await svc.post(`/v1/approvals/${approvalId}/approve`, {}, token);
      await svc.stop();
      const spanOf = (id: unknown) =>
        receiver.spans.find((s) => attr(s, 'modelgate.decision_id') === id && s.parentSpanId === undefined);
      const dataSpan = spanOf(data.body.decision_id);
      const approvalSpan = spanOf(approval.body.decision_id);
      expect([dataSpan?.name, attr(dataSpan!, 'http.route'), attr(dataSpan!, 'url.path')]).toEqual([
        'decision /v1/data',
        '/v1/data/{path}',
        '/v1/data/tenants/acme-4711/allow',
      ]);
      expect([
        approvalSpan?.name,
        attr(approvalSpan!, 'http.route'),
        attr(approvalSpan!, 'url.path'),
      ]).toEqual([
        'decision /v1/approvals/{id}/approve',
        '/v1/approvals/{id}/approve',
        `/v1/approvals/${approvalId}/approve`,
      ]);
    } finally {
      receiver.server.close();
    }
  });

  it("samples callers' traces at sample_ratio too with follow_caller_sampling: false", async () => {
    const receiver = await startReceiver();
    try {
      const start = (follow: boolean) =>
        startChildService({
          config: {
            tracing: {
              otlp_endpoint: receiver.url,
              sample_ratio: 0,
              follow_caller_sampling: follow,
              export_delay_ms: 60_000,
            },
          },
        });
      const decisionsOf = async (follow: boolean) => {
        const svc = await start(follow);
        const token = svc.token({ sub: 'spiffe://corp/ci/codegen-pipeline', scope: 'invoke:codegen' });
        const reply = await fetchReply(`${svc.url}/v1/decide`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${token}`,
            traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`,
          },
          body: JSON.stringify({ invocation: { model: 'anthropic.claude-sonnet', operation: 'completion' } }),
        });
        await svc.stop();
        const id = reply.body.decision_id;
        return receiver.spans.filter((s) => attr(s, 'modelgate.decision_id') === id).length;
      };
      // A caller that says "sampled" is followed by default, even with sample_ratio 0 (the precondition)...
      expect(await decisionsOf(true)).toBe(1);
      // ...and not when the operator says so: a stolen token cannot turn a 0% setting into 100%.
      expect(await decisionsOf(false)).toBe(0);
    } finally {
      receiver.server.close();
    }
  });

  it('does not let a caller pick trace ids that its sample_ratio always samples (follow_caller_sampling: false)', async () => {
    const receiver = await startReceiver();
    try {
      const svc = await startChildService({
        config: {
          tracing: {
            otlp_endpoint: receiver.url,
            sample_ratio: 0.05,
            follow_caller_sampling: false,
            export_delay_ms: 60_000,
          },
        },
      });
      const token = svc.token({ sub: 'spiffe://corp/ci/codegen-pipeline', scope: 'invoke:codegen' });
      // Its four 32-bit words XOR to 0: a trace-id ratio sampler samples it at any ratio above 0.
      const chosen = '00000001000000010000000000000000';
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        const span = (i + 1).toString(16).padStart(16, '0');
        const reply = await fetchReply(`${svc.url}/v1/decide`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${token}`,
            traceparent: `00-${chosen}-${span}-01`,
          },
          body: JSON.stringify({ invocation: { model: 'anthropic.claude-sonnet', operation: 'completion' } }),
        });
        ids.push(reply.body.decision_id as string);
      }
      await svc.stop();
      const sampled = receiver.spans.filter(
        (s) => s.name === 'decision /v1/decide' && ids.includes(attr(s, 'modelgate.decision_id') ?? ''),
      );
      // At 5%, 20 decisions sample about one; nine or more happens once in ten million runs.
      expect(sampled.length).toBeLessThan(9);
    } finally {
      receiver.server.close();
    }
  });

  it('loads no OpenTelemetry SDK or exporter when tracing is off', () => {
    const root = path.resolve(__dirname, '..', '..');
    const loaded = (module: string) =>
      execFileSync(
        process.execPath,
        [
          '--require',
          require.resolve('tsx/cjs'),
          '-e',
          `require(${JSON.stringify(module)}); console.log(Object.keys(require.cache).filter((k) => /@opentelemetry\\/(sdk-|exporter-|otlp-)/.test(k)).length)`,
        ],
        { cwd: root, encoding: 'utf8' },
      ).trim();
    // Precondition: the probe sees the SDK when it is loaded. (@opentelemetry/api, a no-op facade, is
    // loaded by prom-client for exemplars either way.)
    expect(Number(loaded('@opentelemetry/sdk-trace-base'))).toBeGreaterThan(0);
    expect(loaded('./src/compose')).toBe('0');
  });
});
