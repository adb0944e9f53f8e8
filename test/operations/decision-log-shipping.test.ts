import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import Database from 'better-sqlite3';
import type { DecisionLogsConfig } from '../../src/config/config';
import { startTestService, type TestService } from '../helpers/service';
import { DecisionLogCollector } from './decision-log-collector';
import { opaDecisionEventSchema } from './opa-decision-event.schema';
import { parsePrometheusText, sampleValue } from './prometheus-text';
import { waitFor } from '../helpers/wait-for';

const COLLECTOR_TOKEN = 'collector-test-token-value';
const MAX_EVENTS = 7;
const codegen = { sub: 'spiffe://corp/ci/codegen-pipeline', scope: 'invoke:codegen' };
const body = (repository: string) => ({
  invocation: {
    model: 'anthropic.claude-sonnet',
    provider: 'bedrock',
    operation: 'completion',
    max_tokens: 64,
  },
  context: { environment: 'ci', repository },
});

// Decisions of every outcome: allowed, denied, and rejected (no token).
async function decide(svc: TestService, count: number): Promise<void> {
  const token = svc.token(codegen);
  for (let i = 0; i < count; i++) {
    const kind = i % 3;
    const res = await svc.post(
      '/v1/decide',
      body(kind === 1 ? 'corp/payments' : 'corp/webapp'),
      kind === 2 ? null : token,
    );
    expect(res.body.decision_id).toBeDefined();
  }
}

function loggedIds(dbFile: string): string[] {
  const db = new Database(dbFile, { readonly: true });
  try {
    return (
      db.prepare('SELECT decision_id FROM audit_records ORDER BY seq').all() as { decision_id: string }[]
    ).map((r) => r.decision_id);
  } finally {
    db.close();
  }
}

async function metrics(svc: TestService) {
  const res = await fetch(`${svc.url}/metrics`);
  return parsePrometheusText(await res.text());
}

describe('decision-log shipping to an OPA decision log service', () => {
  let collector: DecisionLogCollector;
  beforeAll(async () => {
    collector = await DecisionLogCollector.start();
  });
  afterAll(() => collector.close());

  it('delivers every decision exactly once, in order, through failure, slowness and a restart', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-shipping-'));
    writeFileSync(path.join(dir, 'collector-token'), `${COLLECTOR_TOKEN}\n`);
    const decisionLogs: DecisionLogsConfig = {
      service: {
        url: collector.url,
        resource: '/logs',
        bearerTokenFile: path.join(dir, 'collector-token'),
        timeoutMs: 10_000,
      },
      file: { path: path.join(dir, 'decisions.jsonl') },
      cursorDir: dir,
      labels: { environment: 'test' },
      maxEvents: MAX_EVENTS,
      maxBytes: 1024 * 1024,
      maxDelayMs: 50,
      minRetryDelayMs: 20,
      maxRetryDelayMs: 200,
      threadNice: 19,
    };
    const db = path.join(dir, 'shipped.db');

    // 1. The collector is down: nothing is lost, the backlog grows and shows in /metrics.
    collector.mode = 'fail';
    const a = await startTestService({ db, decisionLogs });
    await decide(a, 20);
    await waitFor('three failed deliveries', () => collector.failures >= 3);
    // The collector answers before the shipping thread has counted the answer (and that thread runs at nice 19).
    const service = () => a.decisionLogStatus().find((s) => s.sink === 'service');
    await waitFor('the thread to count them', () => (service()?.failed_deliveries_total ?? 0) >= 3);
    expect(collector.accepted).toHaveLength(0);
    const down = await metrics(a);
    expect(sampleValue(down, 'modelgate_decision_log_backlog_records', { sink: 'service' })).toBe(20);
    expect(
      sampleValue(down, 'modelgate_decision_log_failed_deliveries_total', { sink: 'service' }),
    ).toBeGreaterThanOrEqual(3);
    expect(
      sampleValue(down, 'modelgate_decision_log_last_success_timestamp_seconds', { sink: 'service' }),
    ).toBeUndefined();
    expect(a.decisionLogStatus().find((s) => s.sink === 'service')).toMatchObject({
      backlog: 20,
      last_success_at: null,
    });

    // 2. It comes back slow for one batch, then fails again; modelgate restarts with that batch acknowledged.
    // (Without the limit, how many slow batches land before the stop depends on how loaded the machine is.)
    collector.acceptDeliveries = 1;
    collector.mode = 'slow';
    await waitFor('the first accepted batch', () => collector.acceptedDeliveries === 1);
    await a.close();
    const beforeRestart = collector.accepted.length;
    expect(beforeRestart).toBeGreaterThan(0);
    expect(beforeRestart).toBeLessThan(20);
    collector.acceptDeliveries = undefined;

    // 3. After the restart, more decisions; the collector is healthy again.
    const b = await startTestService({ db, decisionLogs });
    try {
      await decide(b, 10);
      collector.mode = 'ok';
      await waitFor('all 30 decisions', () => collector.accepted.length >= 30);
      await waitFor('the file sink', () => b.decisionLogStatus().every((s) => s.backlog === 0));
      await new Promise((resolve) => setTimeout(resolve, 300)); // time for a duplicate to show up, if any

      const expected = loggedIds(db);
      expect(expected).toHaveLength(30);
      const shipped = collector.accepted.map((e) => e.decision_id);
      expect(shipped).toEqual(expected);
      expect(collector.accepted.map((e) => e.seq)).toEqual(expected.map((_, i) => i + 1));

      for (const delivery of collector.deliveries) {
        expect(delivery.headers['content-encoding']).toBe('gzip');
        expect(delivery.headers['content-type']).toBe('application/json');
        expect(delivery.headers.authorization).toBe(`Bearer ${COLLECTOR_TOKEN}`);
        expect(delivery.events.length).toBeLessThanOrEqual(MAX_EVENTS);
      }

      const fileIds = readFileSync(decisionLogs.file!.path, 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => (JSON.parse(line) as { decision_id: string }).decision_id);
      expect(fileIds).toEqual(expected);

      const up = await metrics(b);
      // Prometheus' own linter on the shipping metrics, which the default service of metrics.test.ts does not have.
      const promtool = execFileSync(path.join(__dirname, '..', '..', 'scripts', 'ensure-promtool.sh'), {
        encoding: 'utf8',
      }).trim();
      const text = await (await fetch(`${b.url}/metrics`)).text();
      expect(text).toContain('modelgate_decision_log_shipped_total');
      const lint = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect([lint.status, lint.stdout + lint.stderr]).toEqual([0, '']);
      expect(sampleValue(up, 'modelgate_decision_log_backlog_records', { sink: 'service' })).toBe(0);
      expect(sampleValue(up, 'modelgate_decision_log_cursor_seq', { sink: 'service' })).toBe(30);
      // The shipping thread's own CPU time: what shipping costs, apart from the decisions.
      expect(sampleValue(up, 'modelgate_decision_log_thread_cpu_seconds_total')).toBeGreaterThan(0);
      const lastSuccess = sampleValue(up, 'modelgate_decision_log_last_success_timestamp_seconds', {
        sink: 'service',
      });
      expect(Math.abs(lastSuccess! - Date.now() / 1000)).toBeLessThan(60);
    } finally {
      await b.close();
    }
  });

  it("ships events in OPA's decision-log event shape", () => {
    // Precondition: the test above delivered events to check.
    expect(collector.accepted.length).toBeGreaterThan(0);
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const valid = ajv.compile(opaDecisionEventSchema);
    for (const event of collector.accepted) {
      expect(valid(event) ? [] : valid.errors).toEqual([]);
    }
    const allowed = collector.accepted.find((e) => e.outcome === 'allowed')!;
    expect(allowed).toMatchObject({
      path: 'modelgate/decision',
      http_path: '/v1/decide',
      labels: { app: 'modelgate', environment: 'test' },
      bundles: { modelgate: { revision: expect.any(String) } },
      requested_by: '127.0.0.1',
    });
    expect((allowed.result as { allow: boolean }).allow).toBe(true);
    expect((allowed.input as { subject: { id: string } }).subject.id).toBe(codegen.sub);
    const rejected = collector.accepted.find((e) => e.outcome === 'rejected')!;
    expect(rejected).toMatchObject({ input: null, result: null, reasons: ['token_missing'] });
  });
});
