import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli';
import { opaBuildBundle } from '../helpers/bundles';
import { startTestService, type TestService } from '../helpers/service';

// A policy that allows only when time.now_ns() is the decision's own instant, the one in its input and record.
const CLOCKED = `package modelgate

at_decision_time if time.now_ns() == input.time.unix_ms * 1000000

decision := {"allow": true, "reasons": [], "obligations": []} if at_decision_time

decision := {"allow": false, "reasons": [{"code": "clock_drift"}], "obligations": []} if not at_decision_time
`;

function clockedBundle(dir: string, revision: string): string {
  const sources = path.join(dir, `rego-${revision}`);
  mkdirSync(path.join(sources, 'modelgate'), { recursive: true });
  writeFileSync(path.join(sources, 'modelgate', 'decision.rego'), CLOCKED);
  return opaBuildBundle(sources, path.join(dir, `${revision}.tar.gz`), { revision });
}

describe('time.now_ns() in a decision', () => {
  let dir: string;
  let active: string;
  let svc: TestService;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mg-replay-time-'));
    active = clockedBundle(dir, 'clocked');
    svc = await startTestService({
      policyBundle: { name: 'modelgate', source: { kind: 'file', path: active, watch: false } },
    });
  });
  afterAll(() => svc?.close());

  it('is the decision time in its input, and a later replay answers as the decision did', async () => {
    const body = { invocation: { model: 'anthropic.claude-haiku', operation: 'chat', max_tokens: 10 } };
    for (let i = 0; i < 3; i += 1) {
      const res = await svc.post('/v1/decide', body, svc.token());
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ allow: true });
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    const candidate = clockedBundle(dir, 'candidate');
    const replay = await runCli(
      ['replay', '--bundle', candidate, '--active', active, '--db', svc.db, '--format', 'json'],
      {},
    );
    expect(replay.stderr).toBe('');
    expect(JSON.parse(replay.stdout)).toMatchObject({ replayed: 3, changed: 0 });
  });
});
