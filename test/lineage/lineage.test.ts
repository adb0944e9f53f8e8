import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  lineageTree,
  MAX_ANCESTORS,
  sqliteLineageSource,
  type LineageSource,
} from '../../src/audit/lineage-query';
import { auditRow } from '../helpers/audit-db';
import { runCli } from '../helpers/cli';
import { buildBundle, REGO_DIR } from '../helpers/opa';
import { startTestService, type TestService } from '../helpers/service';
import { buildEditedBundle } from '../replay/replay-fixtures';

const TRIAGE = 'spiffe://corp/agents/triage-workflow';
const AGENT = { sub: TRIAGE, scope: 'invoke:agents', act: { sub: 'agent:triage' } };
const SUPPORT = { sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' };
const AUDITOR = { sub: 'spiffe://corp/security/auditor', scope: 'modelgate:audit' };
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** A triage call: the prompt (chat) or a tool call, optionally continuing a parent decision. */
function triage(operation: 'chat' | 'tool_call', tool: string, context: Record<string, unknown> = {}) {
  return {
    invocation: {
      model: 'anthropic.claude-sonnet',
      operation,
      purpose: 'ticket-triage',
      tools: [{ name: tool }],
    },
    context,
  };
}

type DecideBody = { decision_id: string; allow: boolean; reasons: { code: string; message: string }[] };
type Lineage = { depth: number; parent_id: string | null; root_id: string | null; session_id: string | null };

async function decide(svc: TestService, claims: Record<string, unknown>, body: unknown, headers = {}) {
  const res = await svc.post('/v1/decide', body, svc.token(claims), headers);
  return { status: res.status, body: res.body as unknown as DecideBody };
}

function recordedLineage(svc: TestService, id: string): Lineage & Record<string, unknown> {
  return (auditRow(svc.db, id)!.record.input as { lineage: Lineage & Record<string, unknown> }).lineage;
}

describe('decision lineage: a prompt, the tool calls it led to, and their checks', () => {
  let svc: TestService;
  let prompt: string;
  let read: string;
  let create: string;
  let close: string;

  beforeAll(async () => {
    svc = await startTestService();
    const a = await decide(svc, AGENT, triage('chat', 'tickets.read', { session_id: 'chat-4711' }), {
      traceparent: TRACEPARENT,
    });
    expect(a.body.allow).toBe(true);
    prompt = a.body.decision_id;
    const b = await decide(svc, AGENT, triage('tool_call', 'tickets.read', { parent_decision_id: prompt }));
    expect(b.body.allow).toBe(true);
    read = b.body.decision_id;
    const c = await decide(svc, AGENT, triage('tool_call', 'tickets.create', { parent_decision_id: read }));
    expect(c.body.allow).toBe(true);
    create = c.body.decision_id;
    // A write tool that needs an approval: a denied decision in the chain.
    const d = await decide(svc, AGENT, triage('tool_call', 'tickets.close', { parent_decision_id: read }));
    expect(d.body.reasons.map((r) => r.code)).toContain('approval_required');
    close = d.body.decision_id;
  });
  afterAll(() => svc?.close());

  it('gives the policy input.lineage: depth, root and parent, session inherited, trace id', () => {
    expect(recordedLineage(svc, prompt)).toEqual({
      parent_id: null,
      root_id: null,
      depth: 0,
      session_id: 'chat-4711',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      parent: null,
      root: null,
    });
    const second = recordedLineage(svc, create);
    expect(second).toMatchObject({ parent_id: read, root_id: prompt, depth: 2, session_id: 'chat-4711' });
    expect(second.root).toEqual({
      decision_id: prompt,
      subject: TRIAGE,
      actor: 'agent:triage',
      model: 'anthropic.claude-sonnet',
      operation: 'chat',
      purpose: 'ticket-triage',
      tools: ['tickets.read'],
    });
    expect(second.parent).toMatchObject({
      decision_id: read,
      operation: 'tool_call',
      tools: ['tickets.read'],
    });
  });

  it('GET /v1/decisions/{id}/lineage shows ancestors and descendants with outcomes and reasons', async () => {
    const res = await svc.get(`/v1/decisions/${read}/lineage`, svc.token(AUDITOR));
    expect(res.status).toBe(200);
    const tree = res.body as {
      ancestors: { decision_id: string }[];
      decision: {
        decision_id: string;
        depth: number;
        children: { decision_id: string; outcome: string; reasons: string[] }[];
      };
    };
    expect(tree.ancestors.map((n) => n.decision_id)).toEqual([prompt]);
    expect(tree.decision).toMatchObject({ decision_id: read, depth: 1 });
    expect(tree.decision.children.map((n) => [n.decision_id, n.outcome])).toEqual([
      [create, 'allowed'],
      [close, 'denied'],
    ]);
    expect(tree.decision.children[1]!.reasons).toContain('approval_required');

    const forbidden = await svc.get(`/v1/decisions/${read}/lineage`, svc.token(AGENT));
    expect(forbidden.status).toBe(403);
    const missing = await svc.get(
      '/v1/decisions/0193a8f2-6b1c-7d2e-8f30-1a2b3c4d5e6f/lineage',
      svc.token(AUDITOR),
    );
    expect(missing.status).toBe(404);
  });

  it('modelgate audit lineage prints the chain, the asked decision marked', async () => {
    const { code, stdout } = await runCli(['audit', 'lineage', create, '--db', svc.db], {});
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${prompt}  \\S+  allowed  ${TRIAGE} via agent:triage  chat `));
    expect(lines[1]).toMatch(new RegExp(`^  ${read}  .*tool_call .*tools tickets\\.read$`));
    expect(lines[2]).toMatch(new RegExp(`^    > ${create}  `));
    expect(lines[3]).toBe('session chat-4711');
    const unknown = await runCli(['audit', 'lineage', 'nope', '--db', svc.db], {});
    expect(unknown.code).toBe(1);
  });

  it('the export carries the links', async () => {
    const out = path.join(svc.dir, 'export.jsonl');
    const day = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const { code } = await runCli(
      ['audit', 'export', '--from', day, '--to', tomorrow, '--format', 'jsonl', '--out', out, '--db', svc.db],
      {},
    );
    expect(code).toBe(0);
    const events = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const byId = new Map(events.map((e) => [e.decision_id, e]));
    expect(byId.get(create)).toMatchObject({
      parent_decision_id: read,
      root_decision_id: prompt,
      session_id: 'chat-4711',
    });
    // As in OPA's decision-log events, a link the record lacks is left out rather than null.
    expect(byId.get(create)).not.toHaveProperty('trace_id');
    expect(byId.get(prompt)).toMatchObject({ trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' });
    expect(byId.get(prompt)).not.toHaveProperty('parent_decision_id');
  });

  it.each([
    ['parent_invalid', () => 'not-a-uuid'],
    ['parent_not_found', () => '0193a8f2-6b1c-7d2e-8f30-1a2b3c4d5e6f'],
    ['parent_not_allowed', () => close],
  ])('refuses a parent with 400 %s, and records the refusal', async (code, parent) => {
    const res = await decide(
      svc,
      AGENT,
      triage('tool_call', 'tickets.read', { parent_decision_id: parent() }),
    );
    expect(res.status).toBe(400);
    expect(res.body.reasons.map((r) => r.code)).toEqual([code]);
    expect(auditRow(svc.db, res.body.decision_id)).toMatchObject({ outcome: 'rejected', status: 400 });
    expect(auditRow(svc.db, res.body.decision_id)!.record.reasons).toEqual([code]);
  });

  it('refuses another subject’s decision as a parent with 400 parent_foreign, saying nothing about it', async () => {
    const res = await decide(svc, SUPPORT, {
      invocation: {
        model: 'anthropic.claude-haiku',
        provider: 'bedrock',
        operation: 'chat',
        purpose: 'support-reply',
      },
      context: { parent_decision_id: prompt },
    });
    expect(res.status).toBe(400);
    expect(res.body.reasons[0]!.code).toBe('parent_foreign');
    expect(res.body.reasons[0]!.message).not.toContain(TRIAGE);
    expect(auditRow(svc.db, res.body.decision_id)).toMatchObject({
      outcome: 'rejected',
      subject: SUPPORT.sub,
    });
  });

  // session_id is the one free text of a chain that `modelgate audit lineage` prints as it is: a caller could clear
  // the investigator's screen and print chain lines of its own with terminal escapes.
  it.each([
    ['a terminal escape', 'chat-1\u001b[2J\u001b[H'],
    ['a line break', 'chat-1\n0193a8f2-6b1c-7d2e-8f30-1a2b3c4d5e6f  allowed'],
    ['a bidi override', 'chat-\u202e1'],
  ])('refuses a session_id with %s: 400 parent_invalid, recorded', async (_what, sessionId) => {
    const res = await decide(svc, AGENT, triage('chat', 'tickets.read', { session_id: sessionId }));
    expect(res.status).toBe(400);
    expect(res.body.reasons.map((r) => r.code)).toEqual(['parent_invalid']);
    expect(auditRow(svc.db, res.body.decision_id)).toMatchObject({ outcome: 'rejected', status: 400 });
  });

  it('ignores an invalid traceparent, as W3C Trace Context asks', async () => {
    const res = await decide(svc, AGENT, triage('chat', 'tickets.read'), { traceparent: '00-zz-00-01' });
    expect(res.status).toBe(200);
    expect(auditRow(svc.db, res.body.decision_id)!.record.input).not.toHaveProperty('lineage');
  });
});

describe('decision lineage: a stale parent', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ lineage: { maxParentAgeSeconds: 1 } });
  });
  afterAll(() => svc?.close());

  it('refuses a parent older than lineage.max_parent_age_seconds with 400 parent_stale', async () => {
    const parent = await decide(svc, AGENT, triage('chat', 'tickets.read'));
    expect(parent.body.allow).toBe(true);
    // Fresh, it is accepted: the refusal below is about age alone.
    const fresh = await decide(
      svc,
      AGENT,
      triage('tool_call', 'tickets.read', { parent_decision_id: parent.body.decision_id }),
    );
    expect(fresh.body.allow).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const res = await decide(
      svc,
      AGENT,
      triage('tool_call', 'tickets.read', { parent_decision_id: parent.body.decision_id }),
    );
    expect(res.status).toBe(400);
    expect(res.body.reasons.map((r) => r.code)).toEqual(['parent_stale']);
    expect(auditRow(svc.db, res.body.decision_id)).toMatchObject({ outcome: 'rejected', status: 400 });
  });
});

describe('decision lineage: a policy that caps delegation depth', () => {
  let svc: TestService;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-depth-'));
    const rego = path.join(dir, 'rego');
    cpSync(REGO_DIR, rego, { recursive: true });
    writeFileSync(
      path.join(rego, 'modelgate', 'depth_cap.rego'),
      [
        'package modelgate',
        '',
        'deny contains reason("chain_too_deep", "a tool call may follow a prompt, not another tool call") if {',
        '\tinput.lineage.depth > 1',
        '}',
        '',
      ].join('\n'),
    );
    const bundle = buildBundle(rego, path.join(dir, 'depth.tar.gz'), [
      'modelgate/decision',
      'modelgate/limits',
    ]);
    svc = await startTestService({ bundle });
  });
  afterAll(() => svc?.close());

  it('allows depth 1 and denies depth 2 with the policy’s own reason', async () => {
    const prompt = await decide(svc, AGENT, triage('chat', 'tickets.read'));
    const first = await decide(
      svc,
      AGENT,
      triage('tool_call', 'tickets.read', { parent_decision_id: prompt.body.decision_id }),
    );
    expect(first.body.allow).toBe(true);
    const second = await decide(
      svc,
      AGENT,
      triage('tool_call', 'tickets.read', { parent_decision_id: first.body.decision_id }),
    );
    expect(second.status).toBe(200);
    expect(second.body.allow).toBe(false);
    expect(second.body.reasons.map((r) => r.code)).toEqual(['chain_too_deep']);
    expect(auditRow(svc.db, second.body.decision_id)).toMatchObject({ outcome: 'denied' });
  });
});

describe('decision lineage: the index', () => {
  it('finds children through the audit_records_lineage_parent index, not a scan', async () => {
    const svc = await startTestService();
    try {
      const db = new Database(svc.db, { readonly: true });
      const plan = db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT record FROM audit_records WHERE json_extract(record, '$.input.lineage.parent_id') = ? ORDER BY seq LIMIT 10`,
        )
        .all('x') as { detail: string }[];
      db.close();
      expect(plan.map((p) => p.detail).join('\n')).toContain('USING INDEX audit_records_lineage_parent');
      // In index order: no sort that reads every child of a parent before the limit applies.
      expect(plan.map((p) => p.detail).join('\n')).not.toContain('TEMP B-TREE');
    } finally {
      await svc.close();
    }
  });
});

// Each child a caller names its parent in is a record, denied ones included (a rate-limited call still records
// its lineage), so one decision can gather millions of children within lineage.max_parent_age_seconds. The walk
// read every child of a node before counting them against MAX_LINEAGE_NODES: an auditor opening that chain made
// the service load them all.
describe('decision lineage: a parent with more children than one answer holds', () => {
  let svc: TestService;
  let parent: string;
  afterAll(() => svc?.close());

  beforeAll(async () => {
    svc = await startTestService();
    const a = await decide(svc, AGENT, triage('chat', 'tickets.read'));
    expect(a.body.allow).toBe(true);
    parent = a.body.decision_id;
    for (let i = 0; i < 12; i += 1) {
      const child = await decide(
        svc,
        AGENT,
        triage('tool_call', 'tickets.read', { parent_decision_id: parent }),
      );
      expect(child.status).toBe(200);
    }
  });

  it('reads no more children than the answer can hold, and says it was cut', async () => {
    const db = new Database(svc.db, { readonly: true });
    try {
      const source = sqliteLineageSource(db);
      let read = 0;
      const counting: LineageSource = {
        byId: source.byId,
        byParent: async (...args) => {
          const records = await source.byParent(...args);
          read += records.length;
          return records;
        },
      };
      // The precondition: all twelve are there to be read.
      expect((await lineageTree(source, parent))!.decision.children).toHaveLength(12);
      const tree = (await lineageTree(counting, parent, 5))!;
      expect(tree.truncated).toBe(true);
      expect(tree.decision.children).toHaveLength(4);
      expect(read).toBeLessThanOrEqual(5);
    } finally {
      db.close();
    }
  });
});

// The record keeps an input of at most audit.document_bytes; past that, a marker, and with it the decision's own
// input.lineage is gone. A caller whose allowed call was that large (every tool it may offer, each named at length:
// input.lineage copies the tools of the parent and of the root) could name it as a parent and start the chain over:
// its child got depth 1 and itself as the root, whatever chain it was in, and passed max_chain_depth.
describe('decision lineage: a parent whose recorded input was cut to size', () => {
  let svc: TestService;
  const tools = Array.from({ length: 128 }, (_, i) => ({
    name: `tickets.read.${String(i).padStart(3, '0')}.${'x'.repeat(200)}`,
  }));
  beforeAll(async () => {
    const bundle = buildEditedBundle((subjects) => {
      const triageGrant = subjects[TRIAGE]!;
      for (const tool of tools) {
        (triageGrant.tools as Record<string, unknown>)[tool.name] = {
          access: 'read',
          agents: ['agent:triage'],
        };
      }
      triageGrant.limits = { ...(triageGrant.limits as object), max_chain_depth: 1 };
    }, 'many-tools');
    svc = await startTestService({ bundle });
  });
  afterAll(() => svc?.close());

  const call = (operation: 'chat' | 'tool_call', context: Record<string, unknown> = {}) => ({
    invocation: { model: 'anthropic.claude-sonnet', operation, purpose: 'ticket-triage', tools },
    context,
  });

  it('refuses it as a parent with 400 parent_invalid, recorded: its place in a chain is unknown', async () => {
    const a = await decide(svc, AGENT, call('chat'));
    expect(a.body.allow).toBe(true);
    const b = await decide(svc, AGENT, call('tool_call', { parent_decision_id: a.body.decision_id }));
    expect(b.body.allow).toBe(true);
    // The precondition: b was decided at depth 1, but its record kept none of its input's lineage (a marker, or the
    // budget figures alone).
    const record = auditRow(svc.db, b.body.decision_id)!.record as { truncated?: object; input: unknown };
    expect(record.truncated).toHaveProperty(['input']);
    expect(JSON.stringify(record.input)).not.toContain('lineage');

    const c = await decide(
      svc,
      AGENT,
      triage('tool_call', tools[0]!.name, { parent_decision_id: b.body.decision_id }),
    );
    expect(c.status).toBe(400);
    expect(c.body.reasons.map((r) => r.code)).toEqual(['parent_invalid']);
    expect(c.body.reasons[0]!.message).toContain('cut to size');
    expect(auditRow(svc.db, c.body.decision_id)).toMatchObject({ outcome: 'rejected', status: 400 });
  });
});

// Retention prunes the oldest records, and with them the start of a chain that was still alive. The walk up
// stopped at the first missing parent and said nothing: the investigator read the oldest remaining ancestor as
// the decision that started the chain, and its prompt as the origin of the tool call.
describe('decision lineage: a chain whose first decisions were pruned', () => {
  let svc: TestService;
  let prompt: string;
  let read: string;
  let create: string;
  afterAll(() => svc?.close());

  beforeAll(async () => {
    svc = await startTestService();
    const a = await decide(svc, AGENT, triage('chat', 'tickets.read'));
    expect(a.body.allow).toBe(true);
    prompt = a.body.decision_id;
    const promptMs = Date.parse(auditRow(svc.db, prompt)!.record.timestamp as string);
    // The next record must be at least a millisecond younger, so that a prune can cut between them.
    while (Date.now() <= promptMs) await new Promise((resolve) => setTimeout(resolve, 1));
    const b = await decide(svc, AGENT, triage('tool_call', 'tickets.read', { parent_decision_id: prompt }));
    expect(b.body.allow).toBe(true);
    read = b.body.decision_id;
    const c = await decide(svc, AGENT, triage('tool_call', 'tickets.create', { parent_decision_id: read }));
    expect(c.body.allow).toBe(true);
    create = c.body.decision_id;
  });

  it('says a chain whose root is in the log is complete', async () => {
    const res = await svc.get(`/v1/decisions/${read}/lineage`, svc.token(AUDITOR));
    expect((res.body as { ancestors_complete: boolean }).ancestors_complete).toBe(true);
  });

  it('says the ancestors do not reach the root, over the API and on the terminal', async () => {
    const before = auditRow(svc.db, read)!.record.timestamp as string;
    const pruned = await runCli(['audit', 'prune', '--before', before, '--db', svc.db], {});
    expect(pruned.code).toBe(0);
    // The precondition: the prompt is gone, its tool call is not.
    expect(auditRow(svc.db, prompt)).toBeUndefined();
    expect(auditRow(svc.db, read)).toBeDefined();

    const res = await svc.get(`/v1/decisions/${create}/lineage`, svc.token(AUDITOR));
    expect(res.status).toBe(200);
    const tree = res.body as { ancestors: { decision_id: string }[]; ancestors_complete: boolean };
    expect(tree.ancestors.map((n) => n.decision_id)).toEqual([read]);
    expect(tree.ancestors_complete).toBe(false);

    const { code, stdout } = await runCli(['audit', 'lineage', create, '--db', svc.db], {});
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`${prompt}  (not in the log: pruned, or past the 256 ancestors shown)`);
    expect(lines[1]).toMatch(new RegExp(`^  ${read}  `));
    expect(lines[2]).toMatch(new RegExp(`^    > ${create}  `));
  });
});

// A chain deeper than one answer holds: the walk up stops at MAX_ANCESTORS, which must read as a cut too.
describe('decision lineage: a chain deeper than the ancestors one answer holds', () => {
  it('shows the nearest MAX_ANCESTORS ancestors and says they do not reach the root', async () => {
    const id = (i: number) => `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`;
    const record = (i: number) =>
      JSON.stringify({
        decision_id: id(i),
        timestamp: '2026-11-29T10:00:00.000Z',
        outcome: 'allowed',
        status: 200,
        reasons: [],
        input: {
          lineage: { parent_id: i === 0 ? null : id(i - 1), depth: i, session_id: null, trace_id: null },
        },
      });
    const deepest = MAX_ANCESTORS + 5;
    const source: LineageSource = {
      byId: async (decisionId) => record(Number(decisionId.slice(-12))),
      byParent: async () => [],
    };
    const tree = (await lineageTree(source, id(deepest)))!;
    expect(tree.ancestors).toHaveLength(MAX_ANCESTORS);
    expect(tree.ancestors[0]!.parent_id).toBe(id(deepest - MAX_ANCESTORS - 1));
    expect(tree.ancestors_complete).toBe(false);
    // The precondition that tells the cut from a walk that found the root: a shallow chain is complete.
    expect((await lineageTree(source, id(3)))!.ancestors_complete).toBe(true);
  });
});
