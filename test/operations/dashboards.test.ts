import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { startTestService, TEST_AUDIENCE, testIssuerEntry } from '../helpers/service';
import { buildJwks, generateRsaKeyPair, publicJwk, startJwksServer } from '../helpers/tokens';
import { DecisionLogCollector } from './decision-log-collector';
import { parsePrometheusText } from './prometheus-text';

const DOCS = path.resolve(__dirname, '..', '..', 'docs', 'operations');
const METRIC = /\b(?:modelgate|process)_[a-z_]+\b/g;

interface Rule {
  alert: string;
  expr: string;
  labels: { severity: string };
  annotations: { summary: string };
}

const rules = (): Rule[] =>
  (
    parseYaml(readFileSync(path.join(DOCS, 'prometheus-alerts.yml'), 'utf8')) as {
      groups: { rules: Rule[] }[];
    }
  ).groups.flatMap((g) => g.rules);

const dashboardExprs = (): string[] => {
  const dashboard = JSON.parse(readFileSync(path.join(DOCS, 'grafana-dashboard.json'), 'utf8')) as {
    panels: { targets: { expr: string }[] }[];
    templating: { list: { query: string }[] };
  };
  return [
    ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)),
    ...dashboard.templating.list.map((v) => v.query),
  ];
};

describe('the example alert rules and Grafana dashboard', () => {
  let exposed: Set<string>;
  beforeAll(async () => {
    // A service with shipping on, an issuer whose key set is fetched, and one decision made, so every metric
    // family has samples.
    const collector = await DecisionLogCollector.start();
    const jwks = await startJwksServer(buildJwks(publicJwk(generateRsaKeyPair().publicKey, { kid: 'k1' })));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-dash-'));
    const svc = await startTestService({
      issuers: [
        testIssuerEntry(),
        {
          issuer: 'https://idp.remote.test',
          audiences: [TEST_AUDIENCE],
          algorithms: ['RS256'],
          jwks_url: jwks.url,
        },
      ],
      decisionLogs: {
        service: { url: collector.url, resource: '/logs', timeoutMs: 5000 },
        cursorDir: dir,
        labels: {},
        maxEvents: 100,
        maxBytes: 1 << 20,
        maxDelayMs: 20,
        minRetryDelayMs: 10,
        maxRetryDelayMs: 100,
        threadNice: 19,
      },
    });
    try {
      const payload = { prompt: 'write to ops@example.com' };
      await svc.post('/v1/decide', { invocation: { model: 'm', operation: 'chat' }, payload }, svc.token());
      const deadline = Date.now() + 10_000;
      while (svc.decisionLogStatus()[0]?.last_success_at == null && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      const text = await (await fetch(`${svc.url}/metrics`)).text();
      exposed = new Set(parsePrometheusText(text).map((s) => s.name));
    } finally {
      await svc.close();
      await collector.close();
      await jwks.close();
    }
  });

  it('alert on audit unavailable, policy not loaded, disk low and a denial spike, with severity and summary', () => {
    const byName = new Map(rules().map((r) => [r.alert, r]));
    for (const name of [
      'ModelgateAuditUnavailable',
      'ModelgatePolicyNotLoaded',
      'ModelgateAuditDiskLow',
      'ModelgateDenialSpike',
    ]) {
      expect(byName.get(name)).toMatchObject({
        labels: { severity: expect.any(String) },
        annotations: { summary: expect.any(String) },
      });
    }
  });

  it('name only metrics that /metrics exposes', () => {
    // Precondition: the scrape holds the families the rules and panels are built on.
    expect(exposed.has('modelgate_decision_log_last_success_timestamp_seconds')).toBe(true);
    expect(exposed.has('modelgate_issuer_key_last_success_timestamp_seconds')).toBe(true);
    const named = [...rules().map((r) => r.expr), ...dashboardExprs()].flatMap((e) => e.match(METRIC) ?? []);
    expect(named.length).toBeGreaterThan(20);
    expect([...new Set(named)].filter((name) => !exposed.has(name))).toEqual([]);
  });
});
