import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { auditCount, auditRow } from '../helpers/audit-db';
import { runCli } from '../helpers/cli';
import { buildBundle, DEFAULT_BUNDLE, REGO_DIR } from '../helpers/opa';
import { startTestService, type TestService } from '../helpers/service';
import { buildEditedBundle } from '../replay/replay-fixtures';

const SUPPORT = { sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' };
const TRIAGE = {
  sub: 'spiffe://corp/agents/triage-workflow',
  scope: 'invoke:agents',
  act: { sub: 'agent:triage' },
};
const AUDITOR = { sub: 'spiffe://corp/security/auditor', scope: 'modelgate:audit' };

interface Subject {
  subject: string;
  allowed: number;
  denied: number;
  unused: { models: string[]; operations: string[]; purposes: string[]; tools: string[] };
  budgets: { limit: string; granted: number; peak_used: number; far_above_use: boolean }[];
  missing_grants: Record<string, number>;
}
interface Report {
  subjects: Subject[];
}

describe('privileges report: granted against used, on a log built by real decisions', () => {
  let svc: TestService;
  const support = (model: string) => ({
    invocation: { model, provider: 'bedrock', operation: 'chat', purpose: 'support-reply', max_tokens: 512 },
  });
  const tool = (...names: string[]) => ({
    invocation: {
      model: 'anthropic.claude-sonnet',
      operation: 'tool_call',
      purpose: 'ticket-triage',
      tools: names.map((name) => ({ name })),
    },
  });

  beforeAll(async () => {
    svc = await startTestService();
    const decide = async (claims: Record<string, unknown>, body: unknown) =>
      (await svc.post('/v1/decide', body, svc.token(claims))).body as { allow: boolean };
    for (let i = 0; i < 3; i += 1)
      expect((await decide(SUPPORT, support('anthropic.claude-haiku'))).allow).toBe(true);
    expect((await decide(SUPPORT, support('openai.gpt-4o'))).allow).toBe(false);
    expect((await decide(TRIAGE, tool('tickets.read'))).allow).toBe(true);
    expect(
      (await decide(TRIAGE, { invocation: { ...tool('tickets.read').invocation, operation: 'chat' } })).allow,
    ).toBe(true);
    // One tool granted, one not: only the second is a missing grant.
    expect((await decide(TRIAGE, tool('tickets.read', 'shell.exec'))).allow).toBe(false);
    // The subject has the tool, the acting agent has not.
    expect((await decide({ ...TRIAGE, act: { sub: 'agent:reporter' } }, tool('inventory.query'))).allow).toBe(
      false,
    );
  });
  afterAll(() => svc?.close());

  const cli = (...extra: string[]) =>
    runCli(['report', 'privileges', '--db', svc.db, '--bundle', DEFAULT_BUNDLE, ...extra], {});
  const subjectOf = (report: Report, id: string) => report.subjects.find((s) => s.subject === id)!;

  it('flags grants never used, budgets far above peak use, and a denial that suggests a missing grant', async () => {
    const { code, stdout } = await cli('--format', 'json');
    expect(code).toBe(0);
    const bot = subjectOf(JSON.parse(stdout) as Report, SUPPORT.sub);
    expect(bot).toMatchObject({ allowed: 3, denied: 1 });
    expect(bot.unused).toEqual({
      models: ['anthropic.claude-sonnet'],
      operations: [],
      purposes: ['case-summary'],
      tools: [],
    });
    // Peak daily tokens: the third call saw 2 x 512 reserved, and reserved 512 itself.
    expect(bot.budgets).toEqual([
      { limit: 'daily_tokens', granted: 500000, peak_used: 1536, far_above_use: true },
      { limit: 'requests_per_minute', granted: 30, peak_used: 3, far_above_use: true },
    ]);
    expect(bot.missing_grants).toEqual({ 'model_not_allowed openai.gpt-4o': 1 });
    const triage = subjectOf(JSON.parse(stdout) as Report, TRIAGE.sub);
    expect(triage.unused.tools.sort()).toEqual(['inventory.query', 'tickets.close', 'tickets.create']);
    expect(triage.unused.operations).toEqual([]);
    expect(triage.missing_grants).toEqual({
      'actor_not_allowed inventory.query': 1,
      'tool_not_allowed shell.exec': 1,
    });
    // An identity that made no call at all is reported too, every grant unused.
    const codegen = subjectOf(JSON.parse(stdout) as Report, 'spiffe://corp/ci/codegen-pipeline');
    expect(codegen).toMatchObject({
      allowed: 0,
      unused: { models: ['anthropic.claude-sonnet', 'anthropic.claude-haiku'] },
    });
  });

  it('prints a table and a CSV of findings', async () => {
    const table = await cli('--subject', SUPPORT.sub);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(`${SUPPORT.sub}  allowed 3  denied 1  last used 20`);
    // The block docs/investigations.md shows, line for line after the header.
    const block = table.stdout
      .slice(table.stdout.indexOf(`${SUPPORT.sub}  allowed`))
      .trimEnd()
      .split('\n')
      .slice(1);
    expect(block).toEqual([
      '  unused models: anthropic.claude-sonnet',
      '  unused purposes: case-summary',
      '  daily_tokens 500000, peak used 1536: far above use',
      '  requests_per_minute 30, peak used 3: far above use',
      '  denied for a missing grant: model_not_allowed openai.gpt-4o (1)',
    ]);
    const csv = await cli('--subject', SUPPORT.sub, '--format', 'csv');
    const rows = csv.stdout.trimEnd().split('\r\n');
    expect(rows[0]).toBe('subject,finding,item,granted,used');
    expect(rows).toContain(`${SUPPORT.sub},unused_models,anthropic.claude-sonnet,true,0`);
    expect(rows).toContain(`${SUPPORT.sub},missing_grant,model_not_allowed openai.gpt-4o,false,1`);
  });

  it('writes a tightened entitlements file that, built and replayed, still allows every recorded allowed call', async () => {
    const patch = path.join(svc.dir, 'tightened.json');
    const { code, stderr } = await cli('--format', 'json', '--patch', patch);
    expect(code).toBe(0);
    expect(stderr).toContain('nothing was applied');
    const tightened = JSON.parse(readFileSync(patch, 'utf8')) as {
      subjects: Record<string, { models: string[] }>;
    };
    // Precondition: the patch really tightens something.
    expect(tightened.subjects[SUPPORT.sub]!.models).toEqual(['anthropic.claude-haiku']);

    const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-tightened-'));
    cpSync(REGO_DIR, path.join(dir, 'rego'), { recursive: true });
    writeFileSync(path.join(dir, 'rego', 'entitlements', 'data.json'), JSON.stringify(tightened));
    const bundle = buildBundle(path.join(dir, 'rego'), path.join(dir, 'tightened.tar.gz'), [
      'modelgate/decision',
      'modelgate/limits',
    ]);
    const replay = await runCli(
      [
        'replay',
        '--bundle',
        bundle,
        '--active',
        DEFAULT_BUNDLE,
        '--db',
        svc.db,
        '--format',
        'json',
        '--fail-on',
        'allow-to-deny',
      ],
      {},
    );
    expect(replay.code).toBe(0);
    const report = JSON.parse(replay.stdout) as { replayed: number; counts: Record<string, number> };
    expect(report.replayed).toBe(8);
    expect(report.counts['allow-to-deny']).toBe(0);
  });

  it('GET /v1/reports/privileges gives auditors the report, and refuses others with 403, recorded', async () => {
    const res = await svc.get(
      `/v1/reports/privileges?since=7d&subject=${encodeURIComponent(SUPPORT.sub)}`,
      svc.token(AUDITOR),
    );
    expect(res.status).toBe(200);
    const report = res.body as unknown as Report;
    expect(report.subjects.map((s) => s.subject)).toEqual([SUPPORT.sub]);
    expect(report.subjects[0]!.unused.models).toEqual(['anthropic.claude-sonnet']);
    const before = auditCount(svc.db);
    const forbidden = await svc.get('/v1/reports/privileges', svc.token(SUPPORT));
    expect(forbidden.status).toBe(403);
    expect(auditCount(svc.db)).toBe(before + 1);
    const bad = await svc.get('/v1/reports/privileges?since=yesterday', svc.token(AUDITOR));
    expect(bad.status).toBe(400);
  });
});

// The policy counts a call's prompt as the larger of its declared input_tokens and a token per four characters of
// payload (rego/modelgate/usage.rego), while the peak the report took counted the declared figure only. A bot that
// declared nothing and sent 8,000 characters peaked, for the report, at its 512 output tokens: the patch lowered
// its daily budget to 1,024, below the 2,000 tokens its prompt alone commits, and denied the call it had allowed.
describe('privileges report: the peak of a subject that sends its prompt as payload', () => {
  let svc: TestService;
  let promptTokens: number;
  beforeAll(async () => {
    svc = await startTestService();
    const res = await svc.post(
      '/v1/decide',
      {
        invocation: {
          model: 'anthropic.claude-haiku',
          provider: 'bedrock',
          operation: 'chat',
          purpose: 'support-reply',
          max_tokens: 512,
        },
        payload: { messages: [{ role: 'user', content: 'Where is my parcel? '.repeat(400) }] },
      },
      svc.token(SUPPORT),
    );
    expect([res.body.allow, res.body.reasons]).toEqual([true, []]);
    // What the policy counted as the prompt: a token per four characters of payload (none declared).
    const record = auditRow(svc.db, res.body.decision_id as string)!.record as {
      input: { payload: { chars: number } };
    };
    expect(record.input.payload.chars).toBeGreaterThanOrEqual(8_000);
    promptTokens = Math.ceil(record.input.payload.chars / 4);
  });
  afterAll(() => svc?.close());

  it('counts the payload’s tokens, so the tightened budget still allows the call', async () => {
    const patch = path.join(svc.dir, 'tightened.json');
    const { code, stdout } = await runCli(
      [
        'report',
        'privileges',
        '--db',
        svc.db,
        '--bundle',
        DEFAULT_BUNDLE,
        '--format',
        'json',
        '--patch',
        patch,
      ],
      {},
    );
    expect(code).toBe(0);
    const bot = (JSON.parse(stdout) as Report).subjects.find((s) => s.subject === SUPPORT.sub)!;
    // The prompt, plus the 512 tokens it may write.
    expect(bot.budgets[0]).toEqual({
      limit: 'daily_tokens',
      granted: 500000,
      peak_used: promptTokens + 512,
      far_above_use: true,
    });
    const tightened = JSON.parse(readFileSync(patch, 'utf8')) as {
      subjects: Record<string, { limits: { daily_tokens: number } }>;
    };
    expect(tightened.subjects[SUPPORT.sub]!.limits.daily_tokens).toBe(2 * (promptTokens + 512));

    const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-tightened-'));
    cpSync(REGO_DIR, path.join(dir, 'rego'), { recursive: true });
    writeFileSync(path.join(dir, 'rego', 'entitlements', 'data.json'), JSON.stringify(tightened));
    const bundle = buildBundle(path.join(dir, 'rego'), path.join(dir, 'tightened.tar.gz'), [
      'modelgate/decision',
      'modelgate/limits',
    ]);
    const replay = await runCli(
      [
        'replay',
        '--bundle',
        bundle,
        '--active',
        DEFAULT_BUNDLE,
        '--db',
        svc.db,
        '--fail-on',
        'allow-to-deny',
      ],
      {},
    );
    expect(replay.stdout).toContain('replayed 1 recorded decisions');
    expect(replay.code).toBe(0);
  });
});

// The policy matches model grants with OPA's glob.match ("." the delimiter): `{a,b}` alternatives, `[...]` classes
// and `**` across dots. The report knew `*` and `?` only and took the rest literally, so a bot that used
// anthropic.claude-haiku under the grant anthropic.claude-{haiku,sonnet} was told the grant was unused, and the
// patch took away the model it used.
describe('privileges report: model grants with the rest of glob syntax', () => {
  let svc: TestService;
  let bundle: string;
  beforeAll(async () => {
    bundle = buildEditedBundle((subjects) => {
      subjects[SUPPORT.sub]!.models = ['anthropic.claude-{haiku,sonnet}', 'openai.[gG]pt-4o', 'meta.**'];
    }, 'glob-grants');
    svc = await startTestService({ bundle });
    for (const model of ['anthropic.claude-haiku', 'openai.gpt-4o', 'meta.llama.3-70b']) {
      const res = await svc.post(
        '/v1/decide',
        {
          invocation: {
            model,
            provider: 'bedrock',
            operation: 'chat',
            purpose: 'support-reply',
            max_tokens: 64,
          },
        },
        svc.token(SUPPORT),
      );
      expect([model, res.body.allow]).toEqual([model, true]);
    }
  });
  afterAll(() => svc?.close());

  it('counts each grant as used by the models the policy matched with it, and the patch keeps them', async () => {
    const patch = path.join(svc.dir, 'tightened.json');
    const { code, stdout } = await runCli(
      ['report', 'privileges', '--db', svc.db, '--bundle', bundle, '--format', 'json', '--patch', patch],
      {},
    );
    expect(code).toBe(0);
    const bot = (JSON.parse(stdout) as Report).subjects.find((s) => s.subject === SUPPORT.sub)!;
    expect(bot.unused.models).toEqual([]);
    const tightened = JSON.parse(readFileSync(patch, 'utf8')) as {
      subjects: Record<string, { models: string[] }>;
    };
    expect(tightened.subjects[SUPPORT.sub]!.models).toHaveLength(3);
  });
});
