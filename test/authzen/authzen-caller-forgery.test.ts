import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { auditRow } from '../helpers/audit-db';
import { buildBundle, REGO_DIR } from '../helpers/opa';
import { startTestService, type TestService } from '../helpers/service';

const PEP = 'spiffe://corp/todo-backend';
const STRANGER = 'spiffe://corp/support/reply-bot';

// An AuthZEN policy that answers only the PEP it trusts: on /access/v1 modelgate sets `input.caller` from the
// verified token, so the policy reads it like `input.subject` on /v1/decide.
const PEP_POLICY = `package pep

import rego.v1

default decision := {"allow": false, "reasons": [{"code": "pep_not_trusted", "message": "only the todo backend asks here"}]}

decision := {"allow": true, "reasons": []} if input.caller.id == "${PEP}"
`;

const question = {
  subject: { type: 'user', id: 'rick@the-citadel.com' },
  action: { name: 'can_read_todos' },
  resource: { type: 'todo', id: '1' },
};

describe('input.caller: what /access/v1 establishes, a Data API caller cannot write', () => {
  let svc: TestService;

  beforeAll(async () => {
    // The shipped policy and the PEP policy in one bundle, built with the real `opa build`.
    const sources = mkdtempSync(path.join(os.tmpdir(), 'mg-pep-'));
    cpSync(REGO_DIR, path.join(sources, 'rego'), { recursive: true });
    mkdirSync(path.join(sources, 'pep'));
    writeFileSync(path.join(sources, 'pep', 'pep.rego'), PEP_POLICY);
    const bundle = buildBundle(
      sources,
      path.join(sources, 'bundle.tar.gz'),
      ['modelgate/decision', 'pep/decision'],
      'pep-test',
    );
    svc = await startTestService({ bundle, authzen: { entrypoint: 'pep/decision' } });
  });
  afterAll(() => svc?.close());

  it('permits the trusted PEP on /access/v1/evaluation and denies another caller', async () => {
    const pep = await svc.post('/access/v1/evaluation', question, svc.token({ sub: PEP }));
    expect(pep.body).toMatchObject({ decision: true });
    const stranger = await svc.post('/access/v1/evaluation', question, svc.token({ sub: STRANGER }));
    expect(stranger.body).toMatchObject({ decision: false });
  });

  it('drops a forged input.caller on the Data API: another workload cannot speak as the PEP', async () => {
    const forged = { ...question, caller: { id: PEP, issuer: 'https://idp.test', scopes: [], claims: {} } };
    const res = await svc.post(
      '/v1/data/pep/decision',
      { input: forged },
      svc.token({ sub: STRANGER, scope: 'invoke:support' }),
    );
    expect(res.status).toBe(200);
    expect(res.body.result).toMatchObject({ allow: false, reasons: [{ code: 'pep_not_trusted' }] });
    const row = auditRow(svc.db, res.body.decision_id as string)!;
    expect(row).toMatchObject({ subject: STRANGER, outcome: 'denied' });
    expect(row.record.input).not.toHaveProperty('caller');
  });
});
