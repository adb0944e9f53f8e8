import { auditRow } from '../helpers/audit-db';
import { runCli } from '../helpers/cli';
import { buildBundle, REGO_DIR } from '../helpers/opa';
import { startTestService, type TestService } from '../helpers/service';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  bundleWithSummarizerLimits,
  codes,
  figures,
  HAIKU,
  SUMMARIZER,
  REPORTER_CLAIMS,
  SUMMARIZER_CLAIMS,
  summary,
  usageOf,
  type UsageBody,
} from './usage-helpers';

const LIMITS = { max_tokens_per_call: 3000, daily_tokens: 30_000, requests_per_minute: 7 };
const AUDITOR_CLAIMS = { sub: 'spiffe://corp/security/auditor', scope: 'modelgate:audit' };
const SUPPORT_CLAIMS = { sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' };

describe('GET /v1/usage and `modelgate usage`', () => {
  let svc: TestService;
  let bundle: string;
  beforeAll(async () => {
    bundle = bundleWithSummarizerLimits(LIMITS);
    svc = await startTestService({ bundle });
    const token = svc.token(SUMMARIZER_CLAIMS);
    const first = await svc.post('/v1/decide', summary({ max_tokens: 2000, input_tokens: 700 }), token);
    const second = await svc.post('/v1/decide', summary({ max_tokens: 9000 }), token);
    expect([first.body.allow, second.body.allow]).toEqual([true, true]);
    const report = await svc.post(
      `/v1/decisions/${first.body.decision_id as string}/usage`,
      { input_tokens: 650, output_tokens: 1350, cost_usd: 0.25 },
      svc.token(REPORTER_CLAIMS),
    );
    expect(report.status).toBe(201);
  });
  afterAll(() => svc.close());

  it('shows callers their own usage next to the limits of the bundle’s modelgate/limits entrypoint', async () => {
    const res = await svc.get('/v1/usage', svc.token(SUMMARIZER_CLAIMS));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({
      subject: SUMMARIZER,
      // 2000 reported for the first call, 3000 (the capped max_tokens) reserved for the second.
      usage: { requests_last_minute: 2, tokens_last_hour: 5000, tokens_last_day: 5000 },
      reported_last_day: { reports: 1, tokens: 2000, cost_usd: 0.25 },
      limits: LIMITS,
      decision_id: expect.any(String),
    });
    expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({
      outcome: 'allowed',
      status: 200,
      path: '/v1/usage',
      subject: SUMMARIZER,
    });
  });

  it('adds the counters of one model when asked', async () => {
    const body = await usageOf(svc, SUMMARIZER_CLAIMS, { model: HAIKU });
    expect(body.model).toEqual({
      name: HAIKU,
      requests_last_minute: 2,
      tokens_last_hour: 5000,
      tokens_last_day: 5000,
    });
  });

  it('refuses another subject’s usage with 403 scope_missing, and records the refusal', async () => {
    const res = await svc.get(
      `/v1/usage?subject=${encodeURIComponent(SUMMARIZER)}`,
      svc.token(SUPPORT_CLAIMS),
    );
    expect(res.status).toBe(403);
    expect(codes(res.body)).toEqual(['scope_missing']);
    expect(res.body).not.toHaveProperty('usage');
    expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({
      outcome: 'rejected',
      status: 403,
      path: '/v1/usage',
      subject: 'spiffe://corp/support/reply-bot',
    });
  });

  it('shows an auditor (scope modelgate:audit) any subject’s usage', async () => {
    const own = await usageOf(svc, SUMMARIZER_CLAIMS);
    const audited = await usageOf(svc, AUDITOR_CLAIMS, { subject: SUMMARIZER });
    expect(audited.subject).toBe(SUMMARIZER);
    expect(audited.usage).toEqual(own.usage);
    expect(audited.limits).toEqual(LIMITS);
  });

  it('shows no limits for a subject the policy does not know', async () => {
    const body = await usageOf(svc, AUDITOR_CLAIMS);
    expect(body).toMatchObject({
      subject: AUDITOR_CLAIMS.sub,
      usage: { requests_last_minute: 0, tokens_last_hour: 0, tokens_last_day: 0 },
      limits: null,
    });
  });

  it('`modelgate usage --json` prints the same figures from the database file', async () => {
    const api = await usageOf(svc, SUMMARIZER_CLAIMS, { model: HAIKU });
    const out = await runCli(
      ['usage', '--subject', SUMMARIZER, '--model', HAIKU, '--db', svc.db, '--bundle', bundle, '--json'],
      {},
    );
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const cli = JSON.parse(out.stdout) as UsageBody;
    expect(cli).toEqual(figures(api));
  });

  it('`modelgate usage` prints usage against limits on the terminal', async () => {
    const out = await runCli(['usage', '--subject', SUMMARIZER, '--db', svc.db, '--bundle', bundle], {});
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`subject ${SUMMARIZER}\n`);
    expect(out.stdout).toMatch(/requests last minute +2 \/ 7\n/);
    expect(out.stdout).toMatch(/tokens last hour +5000\n/);
    expect(out.stdout).toMatch(/tokens last day +5000 \/ 30000\n/);
    expect(out.stdout).toContain('usage reports last day: 1 (2000 tokens, $0.2500)');
  });

  it('`modelgate usage` without --subject exits 2 with its usage text', async () => {
    const out = await runCli(['usage', '--db', svc.db], {});
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/usage needs --subject/);
  });

  it('`modelgate usage` with a shared database points to GET /v1/usage instead of reading a local file', async () => {
    const out = await runCli(['usage', '--subject', SUMMARIZER], {
      MODELGATE_DATABASE_URL: 'postgres://modelgate@db.invalid/modelgate',
    });
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/with database.url set, ask GET \/v1\/usage/);
  });
});

describe('GET /v1/usage with a bundle that has no modelgate/limits entrypoint', () => {
  let svc: TestService;
  beforeAll(async () => {
    // `opa build` adds every rule annotated `entrypoint: true`: take the annotation off `limits`.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-usage-nolimits-'));
    cpSync(REGO_DIR, path.join(dir, 'rego'), { recursive: true });
    const usageRego = path.join(dir, 'rego', 'modelgate', 'usage.rego');
    const source = readFileSync(usageRego, 'utf8');
    expect(source).toContain('# entrypoint: true\nlimits :=');
    writeFileSync(usageRego, source.replace('# entrypoint: true\nlimits :=', 'limits :='));
    const bundle = buildBundle(path.join(dir, 'rego'), path.join(dir, 'bundle.tar.gz'), [
      'modelgate/decision',
    ]);
    svc = await startTestService({ bundle });
  });
  afterAll(() => svc.close());

  it('shows usage with limits null', async () => {
    const res = await svc.post('/v1/decide', summary({ max_tokens: 100 }), svc.token(SUMMARIZER_CLAIMS));
    expect(res.body.allow).toBe(true);
    const body = await usageOf(svc, SUMMARIZER_CLAIMS);
    expect(body).toMatchObject({ usage: { tokens_last_day: 100 }, limits: null });
  });
});
