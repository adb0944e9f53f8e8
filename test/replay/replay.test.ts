import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { auditCount, auditRow } from '../helpers/audit-db';
import { runCli } from '../helpers/cli';
import { DEFAULT_BUNDLE } from '../helpers/opa';
import { startTestService, type TestService, testIssuerEntry } from '../helpers/service';
import {
  AUDITOR,
  buildEditedBundle,
  buildSlowBundle,
  CODEGEN,
  codegenCall,
  HAIKU,
  SONNET,
  SUMMARIZER,
  summaryCall,
  SUPPORT,
  supportCall,
} from './replay-fixtures';

interface Report {
  replayed: number;
  skipped: number;
  changed: number;
  counts: Record<string, number>;
  failed_on: string[];
  candidate: { name: string; revision: string };
  groups: {
    subject: string;
    kind: string;
    reason: string;
    count: number;
    examples: { decision_id: string }[];
  }[];
}

function pathCount(db: string, path: string): number {
  const conn = new Database(db, { readonly: true });
  try {
    return (conn.prepare('SELECT count(*) AS n FROM audit_records WHERE path = ?').get(path) as { n: number })
      .n;
  } finally {
    conn.close();
  }
}

describe('replay of recorded traffic against a candidate bundle', () => {
  let svc: TestService;
  let candidate: string;
  // The support bot's allowed haiku calls: the decisions the candidate must flip, and only those.
  const flipped: string[] = [];
  const unchangedAllowed: string[] = [];
  let rateLimited: string;
  const summarizerAllowed: string[] = [];

  beforeAll(async () => {
    candidate = buildEditedBundle((subjects) => {
      const bot = subjects[SUPPORT.sub]!;
      bot.models = (bot.models as string[]).filter((m) => m !== HAIKU);
    }, 'no-haiku-for-support');
    svc = await startTestService();
    const decide = async (claims: Record<string, unknown>, body: unknown) => {
      const res = await svc.post('/v1/decide', body, svc.token(claims));
      expect(res.status).toBe(200);
      return res.body as { decision_id: string; allow: boolean; reasons: { code: string }[] };
    };
    for (let i = 0; i < 3; i += 1) {
      const res = await decide(SUPPORT, supportCall(HAIKU));
      expect(res.allow).toBe(true);
      flipped.push(res.decision_id);
    }
    for (let i = 0; i < 2; i += 1) {
      const sonnet = await decide(SUPPORT, supportCall(SONNET));
      const codegen = await decide(CODEGEN, codegenCall(HAIKU));
      expect([sonnet.allow, codegen.allow]).toEqual([true, true]);
      unchangedAllowed.push(sonnet.decision_id, codegen.decision_id);
    }
    // Denied either way: a purpose the bot is not entitled to, a repository the pipeline is not.
    expect((await decide(SUPPORT, supportCall(HAIKU, 'marketing'))).allow).toBe(false);
    expect((await decide(CODEGEN, codegenCall(HAIKU, 'corp/payments'))).allow).toBe(false);
    // Five a minute, then rate_limited: the sixth was denied on the usage figures of its time.
    for (let i = 0; i < 5; i += 1) {
      const res = await decide(SUMMARIZER, summaryCall());
      expect(res.allow).toBe(true);
      summarizerAllowed.push(res.decision_id);
    }
    const sixth = await decide(SUMMARIZER, summaryCall());
    expect(sixth.reasons.map((r) => r.code)).toEqual(['rate_limited']);
    rateLimited = sixth.decision_id;
    // Rejected before the policy ran: no input document to replay.
    expect((await svc.post('/v1/decide', supportCall(HAIKU), null)).status).toBe(401);
  });
  afterAll(() => svc?.close());

  const replayCli = (...extra: string[]) =>
    runCli(['replay', '--bundle', candidate, '--active', DEFAULT_BUNDLE, '--db', svc.db, ...extra], {});

  it('reports exactly the decisions the candidate flips: the support bot’s haiku calls, nothing else', async () => {
    const { code, stdout, stderr } = await replayCli('--format', 'json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Report;
    expect(report).toMatchObject({ replayed: 15, skipped: 1, changed: 3, not_reproduced: 0 });
    expect(report.counts).toEqual({
      'allow-to-deny': 3,
      'deny-to-allow': 0,
      'obligations-added': 0,
      'obligations-removed': 0,
      'obligations-changed': 0,
    });
    expect(report.candidate).toEqual({ name: 'candidate', revision: 'no-haiku-for-support' });
    expect(report.groups).toHaveLength(1);
    const [group] = report.groups;
    expect(group).toMatchObject({
      subject: SUPPORT.sub,
      kind: 'allow-to-deny',
      reason: 'model_not_allowed',
      count: 3,
    });
    expect(group!.examples.map((e) => e.decision_id).sort()).toEqual([...flipped].sort());
    const examples = group!.examples.map((e) => e.decision_id);
    for (const id of [...unchangedAllowed, rateLimited]) expect(examples).not.toContain(id);
  });

  it('replays rate limits with the usage recorded at the time: a lower limit flips the 4th and 5th calls', async () => {
    const stricter = buildEditedBundle((subjects) => {
      const team = subjects[SUMMARIZER.sub]!;
      team.limits = { ...(team.limits as object), requests_per_minute: 3 };
    }, 'three-a-minute');
    const { code, stdout } = await runCli(
      ['replay', '--bundle', stricter, '--active', DEFAULT_BUNDLE, '--db', svc.db, '--format', 'json'],
      {},
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Report;
    // Minutes later the live counters would rate-limit none or all of them; the recorded figures
    // (0..4 requests in the last minute) limit exactly the calls that saw 3 and 4.
    expect(report.changed).toBe(2);
    expect(report.groups.map((g) => [g.subject, g.kind, g.reason, g.count])).toEqual([
      [SUMMARIZER.sub, 'allow-to-deny', 'rate_limited', 2],
    ]);
    expect(report.groups[0]!.examples.map((e) => e.decision_id)).toEqual(summarizerAllowed.slice(3));
    expect(report.groups[0]!.examples.map((e) => e.decision_id)).not.toContain(rateLimited);
  });

  it('exits 3 with --fail-on allow-to-deny, 0 with --fail-on deny-to-allow', async () => {
    const failing = await replayCli('--fail-on', 'allow-to-deny,deny-to-allow');
    expect(failing.code).toBe(3);
    expect(failing.stderr).toContain('the candidate changes decisions: allow-to-deny');
    const passing = await replayCli('--fail-on', 'deny-to-allow');
    expect(passing.code).toBe(0);
    const badSince = await replayCli('--since', 'last week');
    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toContain('since must be a duration');
    const unknown = await replayCli('--fail-on', 'allow-to-maybe');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown change kind "allow-to-maybe"');
  });

  it('prints a table grouped by subject, change and reason', async () => {
    const { code, stdout } = await replayCli('--subject', SUPPORT.sub);
    expect(code).toBe(0);
    expect(stdout).toContain(
      `replayed 6 recorded decisions from the start of the log to now for ${SUPPORT.sub}`,
    );
    expect(stdout).toContain('3 decisions would change: allow-to-deny 3, deny-to-allow 0');
    expect(stdout).toMatch(/^SUBJECT\s+CHANGE\s+REASON\s+COUNT\s+EXAMPLES$/m);
    expect(stdout).toMatch(new RegExp(`^${SUPPORT.sub}\\s+allow-to-deny\\s+model_not_allowed\\s+3\\s+`, 'm'));
  });

  it('limits the period with --since: a window after every decision replays nothing', async () => {
    const { code, stdout } = await replayCli(
      '--since',
      new Date(Date.now() + 60_000).toISOString(),
      '--format',
      'json',
    );
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as Report).replayed).toBe(0);
  });

  it('POST /v1/replay gives auditors the same report, and records only the call itself', async () => {
    const decisionsBefore = pathCount(svc.db, '/v1/decide');
    const usageBefore = await svc.get(
      `/v1/usage?subject=${encodeURIComponent(SUPPORT.sub)}`,
      svc.token(AUDITOR),
    );
    expect(usageBefore.status).toBe(200);
    const res = await svc.post(
      '/v1/replay',
      { bundle: readFileSync(candidate).toString('base64'), fail_on: ['allow-to-deny'] },
      svc.token(AUDITOR),
    );
    expect(res.status).toBe(200);
    const report = res.body as unknown as Report;
    expect(report).toMatchObject({ replayed: 15, changed: 3, failed_on: ['allow-to-deny'] });
    expect(report.groups.map((g) => [g.subject, g.kind, g.reason, g.count])).toEqual([
      [SUPPORT.sub, 'allow-to-deny', 'model_not_allowed', 3],
    ]);
    // Nothing replayed was recorded or reserved: only the replay call itself is an access record.
    expect(pathCount(svc.db, '/v1/decide')).toBe(decisionsBefore);
    expect(pathCount(svc.db, '/v1/replay')).toBe(1);
    const usageAfter = await svc.get(
      `/v1/usage?subject=${encodeURIComponent(SUPPORT.sub)}`,
      svc.token(AUDITOR),
    );
    expect((usageAfter.body as { usage: unknown }).usage).toEqual(
      (usageBefore.body as { usage: unknown }).usage,
    );
  });

  it('POST /v1/replay refuses a caller without the auditor scope with 403, recorded', async () => {
    const before = auditCount(svc.db);
    const res = await svc.post('/v1/replay', { bundle: 'AAAA' }, svc.token(SUPPORT));
    expect(res.status).toBe(403);
    expect((res.body.reasons as { code: string }[])[0]!.code).toBe('scope_missing');
    expect(auditCount(svc.db)).toBe(before + 1);
  });

  it.each([
    ['base64url characters', 'AB-_'],
    ['line breaks', 'QUJD\nREVG'],
    ['missing padding', 'QUJDRA'],
    ['text', 'not a bundle'],
  ])('POST /v1/replay answers 400 for a bundle with %s: not base64', async (_what, bundle) => {
    const res = await svc.post('/v1/replay', { bundle }, svc.token(AUDITOR));
    expect(res.status).toBe(400);
    expect((res.body.reasons as { message: string }[])[0]!.message).toMatch(/^bundle is not base64/);
  });

  // A `pattern` for base64 in the schema ran V8's regex engine out of stack past ~5 MB: a 500, not a 400.
  it('POST /v1/replay reads a 7 MiB upload to the end: valid base64, no bundle, a 400', async () => {
    const bundle = Buffer.alloc(7 * 1024 * 1024, 7).toString('base64');
    const res = await svc.post('/v1/replay', { bundle }, svc.token(AUDITOR));
    expect(res.status).toBe(400);
    expect((res.body.reasons as { message: string }[])[0]!.message).toContain(
      'the candidate bundle does not load',
    );
  });

  it('POST /v1/replay answers 400 for a bundle that does not load', async () => {
    const res = await svc.post(
      '/v1/replay',
      { bundle: Buffer.from('not a bundle').toString('base64') },
      svc.token(AUDITOR),
    );
    expect(res.status).toBe(400);
    expect((res.body.reasons as { message: string }[])[0]!.message).toContain(
      'the candidate bundle does not load',
    );
  });
});

// The record keeps claims outside recorded_claims as hashes, while the policy decided on the values: a pipeline
// allowed for its token's repository claim replays as a deny even with the bundle that allowed it, so a candidate
// that denies it shows no change. The report now says so instead of "0 decisions would change" alone.
describe('replay of decisions that read claims the record keeps as hashes', () => {
  let svc: TestService;
  afterEach(() => svc?.close());

  const replayJson = async () => {
    const out = await runCli(
      ['replay', '--bundle', DEFAULT_BUNDLE, '--active', DEFAULT_BUNDLE, '--db', svc.db, '--format', 'json'],
      {},
    );
    return JSON.parse(out.stdout) as Report & { not_reproduced: number; hashed_claims: string[] };
  };

  it('replays the shipped policy faithfully under the default recorded_claims', async () => {
    svc = await startTestService();
    const token = svc.token({
      ...CODEGEN,
      repository: 'corp/webapp',
      environment: 'ci',
      email: 'a@corp.example',
    });
    const res = await svc.post('/v1/decide', { invocation: codegenCall(HAIKU).invocation }, token);
    expect(res.body.allow).toBe(true);
    const report = await replayJson();
    expect(report).toMatchObject({ replayed: 1, changed: 0, not_reproduced: 0 });
    // What the shipped policy reads, and the token's times, are kept; personal data is still a hash.
    expect(report.hashed_claims).toEqual(['email']);
  });

  it('counts the decisions the active bundle does not reproduce, and names the hashed claims', async () => {
    const recorded_claims = ['iss', 'sub', 'aud', 'scope', 'exp'];
    svc = await startTestService({
      issuers: [testIssuerEntry({ recorded_claims })],
    });
    const token = svc.token({ ...CODEGEN, repository: 'corp/webapp', environment: 'ci' });
    const res = await svc.post('/v1/decide', { invocation: codegenCall(HAIKU).invocation }, token);
    expect(res.body.allow).toBe(true);
    const report = await replayJson();
    expect(report).toMatchObject({ replayed: 1, changed: 0, not_reproduced: 1 });
    expect(report.hashed_claims).toEqual(expect.arrayContaining(['environment', 'repository']));
    const table = await runCli(
      ['replay', '--bundle', DEFAULT_BUNDLE, '--active', DEFAULT_BUNDLE, '--db', svc.db],
      {},
    );
    expect(table.stdout).toContain('1 of them the active bundle does not decide as recorded');
    expect(table.stdout).toMatch(/claims kept only as hashes: .*repository/);
  });
});

// The record keeps a caller's context only up to audit.context_bytes (and the whole input up to
// audit.document_bytes); past that it keeps a marker, while the policy decided on the whole value. Replaying the
// marker is replaying another request: a pipeline that padded its context replayed as a deny under both bundles,
// so a candidate that denies its repository showed no change, and --fail-on passed.
describe('replay of decisions whose input the record cut to size', () => {
  let svc: TestService;
  let candidate: string;
  let padded: string;
  afterAll(() => svc?.close());

  beforeAll(async () => {
    candidate = buildEditedBundle((subjects) => {
      subjects[CODEGEN.sub]!.repositories = ['corp/platform-*'];
    }, 'no-webapp');
    svc = await startTestService();
    const call = codegenCall(HAIKU);
    const res = await svc.post(
      '/v1/decide',
      { ...call, context: { ...call.context, notes: 'x'.repeat(5000) } },
      svc.token(CODEGEN),
    );
    expect(res.body.allow).toBe(true);
    padded = res.body.decision_id as string;
    // The precondition: what the record keeps is not what the policy saw.
    const record = auditRow(svc.db, padded)!.record as { truncated?: object; input: { context: unknown } };
    expect(record.truncated).toHaveProperty(['input.context']);
    expect(typeof record.input.context).toBe('string');
  });

  it('does not evaluate it, counts it as unreplayable, and fails a --fail-on gate that cannot vouch for it', async () => {
    const { code, stdout, stderr } = await runCli(
      [
        'replay',
        '--bundle',
        candidate,
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
    const report = JSON.parse(stdout) as Report & {
      unreplayable: number;
      unreplayable_examples: string[];
      not_reproduced: number;
    };
    expect(report).toMatchObject({ replayed: 0, unreplayable: 1, changed: 0, not_reproduced: 0 });
    expect(report.unreplayable_examples).toEqual([padded]);
    expect(report.failed_on).toEqual(['unreplayable']);
    expect(code).toBe(3);
    expect(stderr).toContain('--fail-on cannot vouch for 1 decision it could not replay');
    const table = await runCli(
      ['replay', '--bundle', candidate, '--active', DEFAULT_BUNDLE, '--db', svc.db],
      {},
    );
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(`1 recorded decision could not be replayed`);
    expect(table.stdout).toContain(padded);
  });

  it('POST /v1/replay says the same', async () => {
    const res = await svc.post(
      '/v1/replay',
      { bundle: readFileSync(candidate).toString('base64'), fail_on: ['allow-to-deny'] },
      svc.token(AUDITOR),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ replayed: 0, unreplayable: 1, failed_on: ['unreplayable'] });
  });
});

// POST /v1/replay evaluates at most `limit` decisions, oldest first: past it, the newest traffic of the period is
// never replayed. A caller that sent enough cheap calls early in the week pushed the rest out, and the documented CI
// check (`failed_on | length == 0`) passed on a replay that had not looked at the calls the candidate flips.
describe('replay cut short by its limit', () => {
  let svc: TestService;
  let candidate: string;
  afterAll(() => svc?.close());

  beforeAll(async () => {
    candidate = buildEditedBundle((subjects) => {
      const bot = subjects[SUPPORT.sub]!;
      bot.models = (bot.models as string[]).filter((m) => m !== HAIKU);
    }, 'no-haiku-for-support');
    svc = await startTestService();
    // Two calls the candidate does not change, then the one it flips.
    for (let i = 0; i < 2; i += 1) {
      expect((await svc.post('/v1/decide', codegenCall(HAIKU), svc.token(CODEGEN))).body.allow).toBe(true);
    }
    expect((await svc.post('/v1/decide', supportCall(HAIKU), svc.token(SUPPORT))).body.allow).toBe(true);
  });

  const replayWith = (limit: number) =>
    svc.post(
      '/v1/replay',
      { bundle: readFileSync(candidate).toString('base64'), fail_on: ['allow-to-deny'], limit },
      svc.token(AUDITOR),
    );

  it('fails a fail_on gate with `truncated`: it cannot vouch for what it did not replay', async () => {
    // The precondition: with room for all three, the gate finds the flip.
    const whole = await replayWith(3);
    expect(whole.body).toMatchObject({ replayed: 3, truncated: false, failed_on: ['allow-to-deny'] });
    const cut = await replayWith(2);
    expect(cut.status).toBe(200);
    expect(cut.body).toMatchObject({ replayed: 2, changed: 0, truncated: true, failed_on: ['truncated'] });
  });
});

// A candidate is the auditor's upload, evaluated over the whole log: it must not hold the event loop that answers
// decisions, nor a core for longer than replay.timeout_seconds, nor run twice at once.
describe('replay of a candidate that evaluates slowly', () => {
  // About a second or more per decision on the 2-core build machine, with little memory; the other a third of one.
  let slow: string;
  let slowish: string;
  const services: TestService[] = [];
  afterAll(() => Promise.all(services.map((svc) => svc.close())));
  beforeAll(() => {
    slow = buildSlowBundle(2000);
    slowish = buildSlowBundle(1000);
  });

  async function serviceWith(timeoutSeconds: number, decisions: number): Promise<TestService> {
    const svc = await startTestService({ replay: { timeoutSeconds } });
    services.push(svc);
    for (let i = 0; i < decisions; i += 1) {
      expect((await svc.post('/v1/decide', supportCall(HAIKU), svc.token(SUPPORT))).body.allow).toBe(true);
    }
    return svc;
  }

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const replayOf = (svc: TestService, bundle: string) =>
    svc.post('/v1/replay', { bundle: readFileSync(bundle).toString('base64') }, svc.token(AUDITOR));

  it('answers decisions while it runs, and stops at its deadline with 503 replay_timeout, recorded', async () => {
    // Twenty slow decisions: far more than the five seconds it is given.
    const svc = await serviceWith(5, 20);
    const replaying = replayOf(svc, slow).then((res) => ({ res, at: Date.now() }));
    const answeredAt: number[] = [];
    for (const wait of [500, 1000, 1000]) {
      await sleep(wait);
      const decided = await svc.post('/v1/decide', supportCall(SONNET), svc.token(SUPPORT));
      expect(decided.status).toBe(200);
      answeredAt.push(Date.now());
    }
    const { res, at } = await replaying;
    // Every decision was answered while the replay still ran, not queued behind it.
    for (const answered of answeredAt) expect(answered).toBeLessThan(at);
    expect(res.status).toBe(503);
    expect(res.body.reasons).toEqual([
      {
        code: 'replay_timeout',
        message: expect.stringMatching(/^the replay did not finish within 5 s/) as unknown,
      },
    ]);
    expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({
      path: '/v1/replay',
      status: 503,
    });
  });

  it('runs one replay at a time: a second one meanwhile is 503 replay_busy, recorded; then the next runs', async () => {
    const svc = await serviceWith(120, 1);
    const first = replayOf(svc, slowish);
    await sleep(300);
    const second = await replayOf(svc, DEFAULT_BUNDLE);
    expect(second.status).toBe(503);
    expect((second.body.reasons as { code: string }[])[0]!.code).toBe('replay_busy');
    expect(auditRow(svc.db, second.body.decision_id as string)).toMatchObject({ path: '/v1/replay' });
    expect((await first).body).toMatchObject({ replayed: 1, changed: 0 });
    const after = await replayOf(svc, DEFAULT_BUNDLE);
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ replayed: 1, changed: 0 });
  });
});
