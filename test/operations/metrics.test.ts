import { execFileSync, spawnSync } from 'node:child_process';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { auditRow } from '../helpers/audit-db';
import type { MetricsConfig } from '../../src/config/config';
import { startTestService, type Reply, type TestService } from '../helpers/service';
import { DEFAULT_INLINE_CHARS, DEFAULT_SCREENING_BUDGET_MS } from '../../src/screening';
import { isLoopback } from '../../src/server/metrics-routes';
import { parsePrometheusText, sampleValue, type Sample } from './prometheus-text';

const ROOT = path.resolve(__dirname, '..', '..');
const CODEGEN = { sub: 'spiffe://corp/ci/codegen-pipeline', scope: 'invoke:codegen' };
const call = (repository: string, payload?: unknown) => ({
  invocation: {
    model: 'anthropic.claude-sonnet',
    provider: 'bedrock',
    operation: 'completion',
    max_tokens: 4096,
  },
  context: { environment: 'ci', repository },
  ...(payload === undefined ? {} : { payload }),
});

// The metrics settings of these tests: loopback access, reason codes as most policies make, no subject labels.
function metricsWith(overrides: Partial<MetricsConfig>): MetricsConfig {
  return {
    enabled: true,
    access: 'loopback',
    scope: 'modelgate:metrics',
    host: '127.0.0.1',
    maxReasonCodes: 100,
    subjectLabelLimit: 0,
    ...overrides,
  };
}

async function scrape(url: string, headers: Record<string, string> = {}): Promise<Sample[]> {
  const res = await fetch(`${url}/metrics`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
}

const outcomeOf = (reply: Reply) =>
  reply.status !== 200 ? 'rejected' : reply.body.allow === true ? 'allowed' : 'denied';

describe('GET /metrics after real traffic', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(() => svc.close());

  it('counts every decision by endpoint, outcome and reason, and times each stage', async () => {
    const before = await scrape(svc.url);
    expect(sampleValue(before, 'modelgate_decisions_total', { outcome: 'allowed' })).toBeUndefined();
    expect(sampleValue(before, 'modelgate_audit_up')).toBe(1);

    const token = svc.token(CODEGEN);
    const replies: Reply[] = [];
    for (let i = 0; i < 3; i++) replies.push(await svc.post('/v1/decide', call('corp/webapp'), token));
    for (let i = 0; i < 2; i++) replies.push(await svc.post('/v1/decide', call('corp/payments'), token));
    replies.push(await svc.post('/v1/decide', call('corp/webapp'), null));
    replies.push(await svc.post('/v1/decide', { invocation: { model: 'm' } }, token));
    const emailPayload = {
      messages: [{ role: 'user', content: 'mail jane.doe@example.com and bob@example.org' }],
    };
    replies.push(await svc.post('/v1/decide', call('corp/webapp', emailPayload), token));
    replies.push(await svc.post('/v1/data/modelgate/decision', { input: call('corp/webapp') }, token));

    const decideReplies = replies.slice(0, -1);
    const expected = { allowed: 0, denied: 0, rejected: 0 };
    for (const reply of decideReplies) expected[outcomeOf(reply)] += 1;
    // The traffic covers all three outcomes, so a metric that ignored one would be caught.
    expect(Object.values(expected).every((n) => n > 0)).toBe(true);

    const after = await scrape(svc.url);
    for (const [outcome, count] of Object.entries(expected)) {
      expect(sampleValue(after, 'modelgate_decisions_total', { endpoint: '/v1/decide', outcome })).toBe(
        count,
      );
    }
    expect(
      sampleValue(after, 'modelgate_decisions_total', { endpoint: '/v1/data', outcome: 'allowed' }),
    ).toBe(1);

    const reasonCounts = new Map<string, number>();
    for (const reply of decideReplies) {
      for (const { code } of reply.body.reasons as { code: string }[]) {
        const key = `${outcomeOf(reply)} ${code}`;
        reasonCounts.set(key, (reasonCounts.get(key) ?? 0) + 1);
      }
    }
    expect(reasonCounts.size).toBeGreaterThan(0);
    for (const [key, count] of reasonCounts) {
      const [outcome, reason] = key.split(' ') as [string, string];
      expect(
        sampleValue(after, 'modelgate_decision_reasons_total', { endpoint: '/v1/decide', outcome, reason }),
      ).toBe(count);
    }

    const total = replies.length;
    expect(sampleValue(after, 'modelgate_decision_duration_seconds_count', { endpoint: '/v1/decide' })).toBe(
      decideReplies.length,
    );
    // Every decision is recorded, so every one has a record stage; only those past the token have identity.
    expect(sampleValue(after, 'modelgate_decision_stage_duration_seconds_count', { stage: 'record' })).toBe(
      total,
    );
    expect(sampleValue(after, 'modelgate_decision_stage_duration_seconds_count', { stage: 'identity' })).toBe(
      total - 1,
    );
    for (const stage of ['validate', 'screen', 'usage', 'evaluate']) {
      expect(
        sampleValue(after, 'modelgate_decision_stage_duration_seconds_count', { stage }),
      ).toBeGreaterThan(0);
    }
    expect(
      sampleValue(after, 'modelgate_screening_findings_total', { class: 'email', category: 'pii' }),
    ).toBe(2);

    // The audit metrics come from the writer thread: every decision is one committed record.
    expect(sampleValue(after, 'modelgate_audit_records_total')).toBe(total);
    expect(sampleValue(after, 'modelgate_audit_commit_batch_records_sum')).toBe(total);
    expect(sampleValue(after, 'modelgate_audit_commit_duration_seconds_count')).toBeGreaterThan(0);
    expect(sampleValue(after, 'modelgate_audit_queue_depth')).toBe(0);
    expect(sampleValue(after, 'modelgate_audit_database_size_bytes')).toBeGreaterThan(0);
    expect(sampleValue(after, 'modelgate_audit_disk_free_bytes')).toBeGreaterThan(0);
    expect(auditRow(svc.db, replies[0]!.body.decision_id as string)).toBeTruthy();

    const { bundle, revision } = replies[0]!.body.policy as { bundle: string; revision: string };
    expect(sampleValue(after, 'modelgate_policy_bundle_info', { bundle, revision })).toBe(1);
    expect(sampleValue(after, 'modelgate_policy_loaded')).toBe(1);
    expect(sampleValue(after, 'modelgate_policy_activations_total')).toBe(1);
    expect(sampleValue(after, 'modelgate_usage_active_reservations')).toBe(expected.allowed + 1);
    expect(sampleValue(after, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    // No subject label unless an operator opts in.
    expect(after.some((s) => Object.values(s.labels).includes(CODEGEN.sub))).toBe(false);
  });

  // Prometheus' own linter, on what the service serves: prom-client's default process metrics included.
  it('passes `promtool check metrics`', async () => {
    await svc.post('/v1/decide', call('corp/payments'), svc.token(CODEGEN));
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    const promtool = execFileSync(path.join(ROOT, 'scripts', 'ensure-promtool.sh'), {
      encoding: 'utf8',
    }).trim();
    const lint = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
  });

  it("counts the screening cache's lookups: a text the caller sent before is a hit", async () => {
    // Each screening thread and the event loop have a cache of their own, and a small payload goes to whichever
    // thread is idle, or stays on the event loop while none is: the same text could meet another cache on its
    // second call (it did, under load). With small payloads kept inline, both calls meet the event loop's.
    const inline = await startTestService({
      screening: {
        inlineChars: DEFAULT_INLINE_CHARS,
        budgetMs: DEFAULT_SCREENING_BUDGET_MS,
        threads: 0,
        shareSmall: false,
      },
    });
    try {
      await countsARepeatedTextAsAHit(inline);
    } finally {
      await inline.close();
    }
  });

  async function countsARepeatedTextAsAHit(svc: TestService): Promise<void> {
    const token = svc.token(CODEGEN);
    const payload = {
      messages: [{ role: 'user', content: 'summarise the design review of the billing service' }],
    };
    const lookups = async () => {
      const samples = await scrape(svc.url);
      return {
        hits: sampleValue(samples, 'modelgate_screening_cache_hits_total') ?? 0,
        misses: sampleValue(samples, 'modelgate_screening_cache_misses_total') ?? 0,
      };
    };
    const before = await lookups();
    expect((await svc.post('/v1/decide', call('corp/webapp', payload), token)).status).toBe(200);
    const first = await lookups();
    expect(first.misses).toBeGreaterThan(before.misses);
    expect((await svc.post('/v1/decide', call('corp/webapp', payload), token)).status).toBe(200);
    const second = await lookups();
    // The message's text (and the keys "messages" and "content") came from the cache this time.
    expect(second.hits).toBeGreaterThanOrEqual(first.hits + 3);
    expect(second.misses).toBe(first.misses);
  }

  it('counts a bundle reload as an activation', async () => {
    const before = await scrape(svc.url);
    expect(sampleValue(before, 'modelgate_policy_activations_total')).toBe(1);
    await svc.reloadPolicy();
    const after = await scrape(svc.url);
    expect(sampleValue(after, 'modelgate_policy_activations_total')).toBe(2);
    expect(sampleValue(after, 'modelgate_policy_activation_failures_total')).toBe(0);
  });
});

describe('GET /metrics without a policy', () => {
  it('shows the policy not loaded and the failed activation', async () => {
    const svc = await startTestService({ bundle: '/nonexistent/modelgate.tar.gz' });
    try {
      const samples = await scrape(svc.url);
      expect(sampleValue(samples, 'modelgate_policy_loaded')).toBe(0);
      expect(sampleValue(samples, 'modelgate_policy_activation_failures_total')).toBe(1);
      expect(samples.some((s) => s.name === 'modelgate_policy_bundle_info')).toBe(false);
    } finally {
      await svc.close();
    }
  });
});

describe('GET /metrics access', () => {
  it('serves a separate metrics port without auth, and no /metrics on the service port', async () => {
    const svc = await startTestService({
      metrics: metricsWith({ port: 0 }),
    });
    try {
      expect(svc.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(svc.metricsUrl).not.toBe(svc.url);
      expect(sampleValue(await scrape(svc.metricsUrl!), 'modelgate_audit_up')).toBe(1);
      expect((await svc.get('/metrics')).status).toBe(404);
      expect((await fetch(`${svc.metricsUrl}/v1/decide`)).status).toBe(404);
    } finally {
      await svc.close();
    }
  });

  it('with access "scope", asks for a token carrying the metrics scope', async () => {
    const svc = await startTestService({
      metrics: metricsWith({ access: 'scope' }),
    });
    try {
      const anonymous = await svc.get('/metrics');
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="modelgate"');
      const unscoped = await svc.get('/metrics', svc.token({ scope: 'invoke:codegen' }));
      expect(unscoped.status).toBe(403);
      expect(unscoped.headers.get('www-authenticate')).toBe(
        'Bearer error="insufficient_scope", scope="modelgate:metrics"',
      );
      const scoped = await scrape(svc.url, {
        authorization: `Bearer ${svc.token({ scope: 'modelgate:metrics' })}`,
      });
      expect(sampleValue(scoped, 'modelgate_audit_up')).toBe(1);
    } finally {
      await svc.close();
    }
  });

  it('counts per subject only when enabled, the subjects past the limit as "other"', async () => {
    const svc = await startTestService({
      metrics: metricsWith({ subjectLabelLimit: 1 }),
    });
    try {
      for (const sub of ['spiffe://a', 'spiffe://b', 'spiffe://c']) {
        await svc.post('/v1/decide', call('corp/webapp'), svc.token({ sub }));
      }
      const samples = await scrape(svc.url);
      const subjects = samples.filter((s) => s.name === 'modelgate_subject_decisions_total');
      expect(subjects.map((s) => [s.labels.subject, s.value]).sort()).toEqual([
        ['other', 2],
        ['spiffe://a', 1],
      ]);
    } finally {
      await svc.close();
    }
  });

  // The TLS set-up docs/operations.md recommends (nginx on the same host, deploy/nginx-scale.conf, or a sidecar)
  // connects from loopback for every caller: access "loopback" served the metrics to anyone who reached the proxy.
  it('with access "loopback", refuses a scrape relayed by a proxy on the same host', async () => {
    const svc = await startTestService();
    const proxy = await loopbackProxy(svc.url);
    try {
      expect(sampleValue(await scrape(svc.url), 'modelgate_audit_up')).toBe(1);
      const relayed = await fetch(`${proxy.url}/metrics`);
      expect(relayed.status).toBe(403);
      expect(await relayed.text()).not.toContain('modelgate_audit_up');
      for (const [name, value] of [
        ['x-forwarded-for', '203.0.113.7'],
        ['forwarded', 'for=203.0.113.7'],
        ['x-real-ip', '203.0.113.7'],
      ] as const) {
        const res = await fetch(`${svc.url}/metrics`, { headers: { [name]: value } });
        expect(res.status).toBe(403);
        expect(((await res.json()) as { reasons: unknown[] }).reasons).toEqual([
          expect.objectContaining({ code: 'scope_missing' }),
        ]);
      }
    } finally {
      await proxy.close();
      await svc.close();
    }
  });

  // The alerts read modelgate's own codes (keys_unavailable, audit_unavailable): a policy's codes seen first, past
  // max_reason_codes, turned those into "other" and blinded the alerts.
  it("caps the reason codes a policy makes, never modelgate's own", async () => {
    const svc = await startTestService({
      metrics: metricsWith({ maxReasonCodes: 1 }),
    });
    try {
      // No environment, provider or repository: the policy denies it with a code for each.
      const bare = { invocation: { model: 'anthropic.claude-sonnet', operation: 'completion' } };
      const denied = await svc.post('/v1/decide', bare, svc.token(CODEGEN));
      const policyCodes = (denied.body.reasons as { code: string }[]).map((r) => r.code);
      expect(policyCodes.length).toBeGreaterThan(1);
      expect((await svc.post('/v1/decide', call('corp/payments'), null)).status).toBe(401);
      const reasons = (await scrape(svc.url))
        .filter((s) => s.name === 'modelgate_decision_reasons_total')
        .map((s) => s.labels.reason);
      expect(reasons).toContain('other');
      expect(reasons).toContain('token_missing');
    } finally {
      await svc.close();
    }
  });

  it('knows loopback addresses from others', () => {
    expect(['127.0.0.1', '127.3.4.5', '::1', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true);
    expect(['10.0.0.1', '::ffff:10.0.0.1', '2001:db8::1', '', undefined].some(isLoopback)).toBe(false);
  });
});

// A reverse proxy on loopback that relays every request to `target` as nginx-scale.conf does: X-Forwarded-For set.
async function loopbackProxy(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const upstream = request(
      `${target}${req.url ?? '/'}`,
      { method: req.method, headers: { ...req.headers, 'x-forwarded-for': '203.0.113.7' } },
      (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
