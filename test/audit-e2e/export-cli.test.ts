/**
 * `modelgate audit export` on a log the real server wrote: JSON Lines events carry OPA's decision-log
 * field names, so tools that read OPA decision logs read modelgate's too.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli';
import { startTestService } from '../helpers/service';
import { CODEGEN, codegenAllowed, strangerDenied, supportAllowed, withReader } from './e2e-fixtures';

// The fields of an OPA decision-log event (docs: Management APIs, Decision Logs) modelgate fills in.
const OPA_FIELDS = ['decision_id', 'path', 'input', 'result', 'timestamp', 'bundles', 'labels'];

type Event = Record<string, unknown> & {
  decision_id: string;
  timestamp: string;
  input: Record<string, unknown> | null;
  result: Record<string, unknown> | null;
  bundles: Record<string, { revision: string }>;
  labels: Record<string, string>;
};

describe('modelgate audit export on a log the server wrote', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-export-cli-'));
  let db: string;
  const replies: Record<string, string> = {};
  let revision: string;
  let serviceDir: string | undefined;
  afterAll(() => {
    for (const folder of [dir, serviceDir]) if (folder) rmSync(folder, { recursive: true, force: true });
  });

  beforeAll(async () => {
    const svc = await startTestService();
    try {
      const decide = async (name: string, token: string | null, body: unknown) => {
        // Apart by a few milliseconds, so that each record has a timestamp of its own for the range test.
        await new Promise((resolve) => setTimeout(resolve, 3));
        const res = await svc.post('/v1/decide', body, token);
        replies[name] = res.body.decision_id as string;
        return res;
      };
      const allowed = await decide('allowed', svc.token(codegenAllowed.claims), codegenAllowed.body);
      revision = (allowed.body.policy as { revision: string }).revision;
      await decide('denied', svc.token(strangerDenied.claims), strangerDenied.body);
      await decide('rejected', null, supportAllowed.body);
      await decide('support', svc.token(supportAllowed.claims), supportAllowed.body);
    } finally {
      await svc.close();
    }
    serviceDir = svc.dir;
    db = svc.db;
  });

  const exportJsonl = async (file: string) => {
    const result = await runCli([
      'audit',
      'export',
      '--db',
      db,
      '--from',
      '2000-01-01',
      '--to',
      '2100-01-01',
      '--format',
      'jsonl',
      '--out',
      file,
    ]);
    expect(result.code).toBe(0);
    return {
      result,
      events: readFileSync(file, 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as Event),
    };
  };

  it('exports every record, oldest first, one JSON event per line', async () => {
    const { result, events } = await exportJsonl(path.join(dir, 'all.jsonl'));
    const stored = withReader(db, (d) =>
      (
        d.prepare('SELECT decision_id FROM audit_records ORDER BY ts_ms, seq').all() as {
          decision_id: string;
        }[]
      ).map((r) => r.decision_id),
    );
    expect(stored).toHaveLength(4);
    expect(events.map((e) => e.decision_id)).toEqual(stored);
    expect(result.stderr).toMatch(/exported 4 records to /);
  });

  it('names the fields as OPA decision logs do, for allowed, denied and rejected decisions', async () => {
    const { events } = await exportJsonl(path.join(dir, 'fields.jsonl'));
    for (const event of events) for (const field of OPA_FIELDS) expect(event).toHaveProperty(field);
    const byId = new Map(events.map((e) => [e.decision_id, e]));

    const allowed = byId.get(replies.allowed!)!;
    expect(allowed).toMatchObject({
      path: '/v1/decide',
      labels: { app: 'modelgate' },
      bundles: { modelgate: { revision } },
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      outcome: 'allowed',
    });
    expect(allowed.input).toMatchObject({
      subject: { id: CODEGEN },
      invocation: { model: 'anthropic.claude-sonnet' },
    });
    expect(allowed.result).toMatchObject({ allow: true });

    expect(byId.get(replies.denied!)!.result).toMatchObject({ allow: false });
    // Refused before the policy ran: no input document, no result, no bundle.
    expect(byId.get(replies.rejected!)).toMatchObject({
      input: null,
      result: null,
      bundles: {},
      outcome: 'rejected',
      status: 401,
    });
  });

  it('exports only [from, to)', async () => {
    const { events } = await exportJsonl(path.join(dir, 'all-again.jsonl'));
    const from = events[1]!.timestamp;
    const to = events[3]!.timestamp;
    const file = path.join(dir, 'range.jsonl');
    const result = await runCli([
      'audit',
      'export',
      '--db',
      db,
      '--from',
      from,
      '--to',
      to,
      '--format',
      'jsonl',
      '--out',
      file,
    ]);
    expect(result.code).toBe(0);
    const ranged = readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as Event).decision_id);
    expect(ranged).toEqual(
      events.filter((e) => e.timestamp >= from && e.timestamp < to).map((e) => e.decision_id),
    );
    expect(ranged).toContain(events[1]!.decision_id);
    expect(ranged).not.toContain(events[3]!.decision_id);
  });
});
