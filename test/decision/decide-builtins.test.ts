import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { auditRow } from '../helpers/audit-db';
import { opaBuildBundle } from '../helpers/bundles';
import { startTestService, type TestService } from '../helpers/service';

// A security team's policy using builtins the WASM module leaves to its host: semver, sprintf, time, net.
const POLICY = `package modelgate

default decision := {"allow": true, "reasons": [], "obligations": []}

version := v if {
  parts := split(input.invocation.model, "@")
  count(parts) == 2
  v := parts[1]
}

deny contains {"code": "model_too_old", "message": sprintf("model version %v is older than %v", [version, "2.0.0"])} if {
  semver.compare(version, "2.0.0") < 0
}

deny contains {"code": "outside_hours", "message": sprintf("hour %d (UTC) is closed", [hour])} if {
  hour := time.clock([time.now_ns(), "UTC"])[0]
  not hour in numbers.range(0, 23)
}

deny contains {"code": "network_blocked", "message": "the caller's network is blocked"} if {
  count(net.cidr_contains_matches({"203.0.113.0/24"}, object.get(input.context, "source_ip", "0.0.0.0"))) > 0
}

decision := {"allow": false, "reasons": [r | some r in deny], "obligations": []} if count(deny) > 0
`;

describe('/v1/decide with a policy that calls host builtins', () => {
  let svc: TestService;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-decide-builtins-'));
    mkdirSync(path.join(dir, 'rego', 'modelgate'), { recursive: true });
    writeFileSync(path.join(dir, 'rego', 'modelgate', 'decision.rego'), POLICY);
    const bundle = opaBuildBundle(path.join(dir, 'rego'), path.join(dir, 'b.tar.gz'), {
      revision: 'builtins',
    });
    svc = await startTestService({
      policyBundle: { name: 'modelgate', source: { kind: 'file', path: bundle, watch: false } },
    });
  });
  afterAll(() => svc?.close());

  const decide = (model: string, context: Record<string, unknown> = {}) =>
    svc.post(
      '/v1/decide',
      { invocation: { model, operation: 'chat', max_tokens: 10 }, context },
      svc.token(),
    );

  it('denies by the policy, with its message, and records it', async () => {
    const res = await decide('anthropic.claude@1.5.0');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      allow: false,
      reasons: [{ code: 'model_too_old', message: 'model version 1.5.0 is older than 2.0.0' }],
    });
    const row = auditRow(svc.db, res.body.decision_id as string);
    expect(JSON.stringify(row?.record)).toContain('model_too_old');
  });

  it('allows what the policy allows, and denies a blocked network by a set of ranges', async () => {
    expect((await decide('anthropic.claude@2.1.0')).body).toMatchObject({ allow: true });
    expect((await decide('anthropic.claude@2.1.0', { source_ip: '203.0.113.7' })).body).toMatchObject({
      allow: false,
      reasons: [{ code: 'network_blocked' }],
    });
  });
});
