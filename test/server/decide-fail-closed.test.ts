import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { auditCount, auditRow } from '../helpers/audit-db';
import { buildBundle } from '../helpers/opa';
import { startTestService, type TestService } from '../helpers/service';

const call = { invocation: { model: 'acme.model-x', operation: 'chat', max_tokens: 900 } };

// A policy that has nothing to do with the default one: its own package, entrypoint and data.
const ACME_POLICY = `package acme.gate

verdict := {"allow": true, "reasons": [], "obligations": [
  {"type": "cap_tokens", "max_tokens": data.acme.cap},
  {"type": "watermark", "style": "invisible"}
]} if input.invocation.model in data.acme.models

verdict := {"allow": false, "reasons": [{"code": "acme_says_no", "message": "not on the list"}]} if {
  not input.invocation.model in data.acme.models
}

# Deliberately broken outputs, each behind its own entrypoint.
missing_allow := {"allowed": true}
wrong_types := {"allow": "yes", "reasons": "none"}
undefined_result if input.never
typo_redact := {"allow": true, "reasons": [], "obligations": [{"type": "redact", "classes": ["emails"]}]}
`;

function writeAcmeBundle(dir: string): string {
  const src = path.join(dir, 'acme-src');
  mkdirSync(path.join(src, 'acme'), { recursive: true });
  writeFileSync(path.join(src, 'gate.rego'), ACME_POLICY);
  writeFileSync(path.join(src, 'acme', 'data.json'), JSON.stringify({ cap: 512, models: ['acme.model-x'] }));
  return buildBundle(src, path.join(dir, 'acme.tar.gz'), [
    'acme/gate/verdict',
    'acme/gate/missing_allow',
    'acme/gate/wrong_types',
    'acme/gate/undefined_result',
    'acme/gate/typo_redact',
  ]);
}

const codes = (body: Record<string, unknown>) => (body.reasons as { code: string }[]).map((r) => r.code);

describe('a second, unrelated bundle', () => {
  let dir: string;
  let bundle: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mg-acme-'));
    bundle = writeAcmeBundle(dir);
  });

  it('decides with its own entrypoint, enforces cap_tokens and passes unknown obligations through', async () => {
    const svc = await startTestService({ bundle, entrypoint: 'acme/gate/verdict', bundleName: 'acme' });
    try {
      const res = await svc.post('/v1/decide', call, svc.token({ sub: 'anyone' }));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ allow: true, max_tokens: 512 });
      expect(res.body.obligations).toEqual(
        expect.arrayContaining([
          { type: 'watermark', style: 'invisible' },
          { type: 'cap_tokens', max_tokens: 512 },
        ]),
      );
      expect(res.body.policy).toEqual({ bundle: 'acme', revision: 'test', entrypoint: 'acme/gate/verdict' });
      const denied = await svc.post(
        '/v1/decide',
        { invocation: { model: 'other', operation: 'chat' } },
        svc.token(),
      );
      expect(codes(denied.body)).toEqual(['acme_says_no']);
      expect(auditRow(svc.db, res.body.decision_id as string)!.record.bundle).toEqual({
        name: 'acme',
        revision: 'test',
      });
    } finally {
      await svc.close();
    }
  });

  it.each([
    ['a document without allow', 'acme/gate/missing_allow'],
    ['a document of the wrong types', 'acme/gate/wrong_types'],
    ['an undefined result', 'acme/gate/undefined_result'],
    ['a redact obligation naming an unknown class', 'acme/gate/typo_redact'],
  ])(
    'denies %s with policy_output_invalid and records what the policy returned',
    async (_name, entrypoint) => {
      const svc = await startTestService({ bundle, entrypoint });
      try {
        const res = await svc.post('/v1/decide', call, svc.token());
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ allow: false, obligations: [], max_tokens: null });
        expect(codes(res.body)).toEqual(['policy_output_invalid']);
        expect(res.body).not.toHaveProperty('redacted_payload');
        const row = auditRow(svc.db, res.body.decision_id as string);
        expect(row).toMatchObject({ outcome: 'denied' });
        expect(row!.record.reasons).toEqual(['policy_output_invalid']);
      } finally {
        await svc.close();
      }
    },
  );
});

describe('a policy that fails to evaluate', () => {
  // Two complete definitions of allow that both apply: OPA's evaluators stop with a conflict error.
  const CONFLICT_POLICY = `package acme.gate

verdict := {"allow": allow, "reasons": [], "obligations": []}

allow := true if input.invocation.operation == "chat"
allow := false if input.invocation.model == "acme.model-x"
`;
  let svc: TestService;
  const lines: Record<string, unknown>[] = [];
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-conflict-'));
    const src = path.join(dir, 'src');
    mkdirSync(src);
    writeFileSync(path.join(src, 'gate.rego'), CONFLICT_POLICY);
    const bundle = buildBundle(src, path.join(dir, 'conflict.tar.gz'), ['acme/gate/verdict']);
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    svc = await startTestService({ bundle, entrypoint: 'acme/gate/verdict', bundleName: 'acme' }, logger);
  });
  afterAll(() => svc.close());

  it('answers 503 policy_error, records it, and logs why, with the Rego file and line, for the policy author', async () => {
    const res = await svc.post('/v1/decide', call, svc.token());
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ allow: false, obligations: [] });
    expect(codes(res.body)).toEqual(['policy_error']);
    // The reply does not echo the policy's internals.
    expect(JSON.stringify(res.body)).not.toContain('gate.rego');
    expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({
      outcome: 'rejected',
      status: 503,
    });

    const failure = lines.find((l) => l.msg === 'policy evaluation failed');
    expect(failure).toMatchObject({
      level: 50,
      decision_id: res.body.decision_id,
      bundle: 'acme',
      revision: 'test',
      path: '/v1/decide',
    });
    expect(failure!.error).toMatch(/gate\.rego:6:1: var assignment conflict/);
  });
});

describe('no policy loaded', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ bundle: path.join(os.tmpdir(), 'no-such-bundle.tar.gz') });
  });
  afterAll(() => svc.close());

  it('answers 503 policy_unavailable, allow false, and records it', async () => {
    const res = await svc.post('/v1/decide', call, svc.token());
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ allow: false });
    expect(codes(res.body)).toEqual(['policy_unavailable']);
    expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({
      outcome: 'rejected',
      status: 503,
    });
  });

  it('is alive but not ready', async () => {
    expect((await svc.get('/health')).status).toBe(200);
    const ready = await svc.get('/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ ready: false, checks: { policy: false, store: true } });
  });

  it("fails OPA's health check with ?bundles or ?plugins, as OPA does with a bundle not activated", async () => {
    for (const query of ['bundles', 'bundles=true', 'plugins']) {
      const res = await svc.get(`/health?${query}`);
      expect(res.status).toBe(500);
      expect(res.body.error).toMatch(/policy bundle/);
    }
  });
});

describe('audit log locked by another writer', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(() => svc.close());

  it('answers 503 audit_unavailable with allow false, keeps what was stored, and recovers', async () => {
    const token = svc.token({ sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' });
    const body = {
      invocation: {
        model: 'anthropic.claude-haiku',
        provider: 'bedrock',
        operation: 'chat',
        purpose: 'support-reply',
      },
    };
    const first = await svc.post('/v1/decide', body, token);
    expect(first.body.allow).toBe(true); // precondition: this call is an allow when the log can record
    const stored = auditCount(svc.db);

    const locker = new Database(svc.db);
    locker.exec('BEGIN EXCLUSIVE');
    try {
      const res = await svc.post('/v1/decide', body, token);
      expect(res.status).toBe(503);
      expect(res.body.allow).toBe(false);
      expect(codes(res.body)).toEqual(['audit_unavailable']);
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    expect(auditCount(svc.db)).toBe(stored);
    expect(auditRow(svc.db, first.body.decision_id as string)).toMatchObject({ outcome: 'allowed' });

    const after = await svc.post('/v1/decide', body, token);
    expect(after.status).toBe(200);
    expect(after.body.allow).toBe(true);
    expect(auditCount(svc.db)).toBe(stored + 1);
  });
});
