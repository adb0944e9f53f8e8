import { createServer } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { approvalEvents, ASSISTANT, ASSISTANT_AGENT, tokens } from '../../test/approvals/approval-fixtures';
import { startGateService } from '../../test/helpers/gate-service';
import { startTestService, type TestService } from '../../test/helpers/service';
import { startTricklingServer } from '../../test/helpers/trickling-server';
import { runPython, venvPython } from '../testdata/python';

const EMAIL = 'jane.doe@example.com';
const CARD = '4111 1111 1111 1111';
const SCRIPT = path.join(__dirname, 'e2e_check.py');
const APPROVAL_SCRIPT = path.join(__dirname, 'approval_check.py');
const EVASION_SCRIPT = path.join(__dirname, 'evasion_check.py');
const SERVER_ID = 'spiffe://corp/mcp/tickets';
const AGENT = 'agent:triage';

interface ToolOutcome {
  tool: string;
  is_error: boolean;
  text: string;
}

let python: string;
let service: TestService;

beforeAll(async () => {
  python = venvPython('mcp');
  service = await startGateService();
});

afterAll(async () => {
  await service?.close();
});

async function callTools(baseUrl: string): Promise<Record<string, ToolOutcome>> {
  const token = service.token({ sub: SERVER_ID, act: { sub: AGENT } });
  const out = await runPython(python, SCRIPT, {
    MODELGATE_URL: baseUrl,
    MODELGATE_TOKEN: token,
    SEARCH_QUERY: `tickets from ${EMAIL} paid with ${CARD}`,
  });
  const outcomes = out
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as ToolOutcome);
  return Object.fromEntries(outcomes.map((o) => [o.tool, o]));
}

describe('FastMCP middleware in front of a real FastMCP server and client', () => {
  it('runs an allowed tool on redacted arguments, and refuses approval and forbidden tools with reasons', async () => {
    const outcomes = await callTools(service.url);
    expect(outcomes.search_tickets).toEqual({
      tool: 'search_tickets',
      is_error: false,
      text: 'searched for: tickets from [REDACTED:email] paid with [REDACTED:credit_card]',
    });
    expect(outcomes.refund_payment?.is_error).toBe(true);
    expect(outcomes.refund_payment?.text).toMatch(/approval_required.*refunds need a human approval/);
    expect(outcomes.delete_database?.is_error).toBe(true);
    expect(outcomes.delete_database?.text).toContain('tool_not_allowed');
    expect(outcomes.delete_database?.text).not.toContain('deleted prod');
    // An obligation of the policy's own that the middleware cannot fulfil: refused, the tool does not run.
    expect(outcomes.export_report?.is_error).toBe(true);
    expect(outcomes.export_report?.text).toMatch(/obligation_not_enforced.*watermark/);

    // Every call is a decision in the audit log, with the MCP server as subject and the agent as actor.
    const records = toolCallRecords(service.db);
    expect(records.map((r) => [r.tool, r.outcome])).toEqual([
      ['search_tickets', 'allowed'],
      ['refund_payment', 'denied'],
      ['delete_database', 'denied'],
      ['export_report', 'allowed'],
    ]);
    for (const r of records)
      expect(r).toMatchObject({ subject: SERVER_ID, actor: AGENT, operation: 'tool_call' });
    const deniedId = /decision ([0-9a-f-]{36})/.exec(outcomes.delete_database!.text)?.[1];
    expect(deniedId).toBe(records[2]?.decision_id);
  });

  // A read timeout fires only when nothing arrives for that long: a modelgate that sends its answer a byte at a
  // time held every call open for as long as it went on.
  it('fails closed when modelgate trickles its answer: each call refused within its 2 s deadline', async () => {
    const trickling = await startTricklingServer();
    try {
      const started = Date.now();
      const outcomes = await callTools(trickling.url);
      for (const tool of ['search_tickets', 'refund_payment', 'delete_database', 'export_report']) {
        expect(outcomes[tool]?.is_error).toBe(true);
        expect(outcomes[tool]?.text).toContain('modelgate did not answer within 2');
      }
      expect(Date.now() - started).toBeLessThan(60_000);
    } finally {
      await trickling.close();
    }
  }, 90_000);

  it('fails closed when modelgate is unreachable: no tool runs', async () => {
    const outcomes = await callTools(`http://127.0.0.1:${await closedPort()}`);
    for (const tool of ['search_tickets', 'refund_payment', 'delete_database', 'export_report']) {
      expect(outcomes[tool]?.is_error).toBe(true);
      expect(outcomes[tool]?.text).toContain('modelgate did not answer');
    }
  });
});

describe('a client trying to run a tool, or give one content, that modelgate did not clear', () => {
  async function callEvasions(acceptInputResponses = false): Promise<ToolOutcome[]> {
    const token = service.token({ sub: SERVER_ID, act: { sub: AGENT } });
    const out = await runPython(python, EVASION_SCRIPT, {
      MODELGATE_URL: service.url,
      MODELGATE_TOKEN: token,
      ACCEPT_INPUT_RESPONSES: acceptInputResponses ? '1' : '0',
    });
    return out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as ToolOutcome);
  }

  it('asks modelgate about an app tool called by its hashed address under the name the tool is listed by', async () => {
    const before = toolCallRecords(service.db).length;
    const [listed, hashedDelete, hashedSearch] = await callEvasions();
    // Precondition: by its listed name the tool is refused, and the hashed address does reach the app's tools.
    expect(listed).toMatchObject({ tool: 'delete_database', is_error: true });
    expect(listed?.text).toContain('tool_not_allowed');
    expect(hashedSearch?.tool).toMatch(/^__[0-9a-f]{12}_search_tickets$/);
    expect(hashedSearch).toMatchObject({
      is_error: false,
      text: 'searched for: tickets from [REDACTED:email]',
    });

    expect(hashedDelete?.tool).toMatch(/^__[0-9a-f]{12}_delete_database$/);
    expect(hashedDelete?.is_error).toBe(true);
    expect(hashedDelete?.text).toContain('tool_not_allowed');
    expect(hashedDelete?.text).not.toContain('deleted prod');
    const records = toolCallRecords(service.db).slice(before, before + 3);
    expect(records.map((r) => [r.tool, r.outcome])).toEqual([
      ['delete_database', 'denied'],
      ['delete_database', 'denied'],
      ['search_tickets', 'allowed'],
    ]);
  });

  it("refuses a call that carries the client's answers to a tool's questions, which modelgate cannot screen", async () => {
    // Precondition: with the answers accepted, the client's e-mail address reaches the tool as the client sent it,
    // while the same address in the arguments is redacted.
    const accepted = (await callEvasions(true)).find((o) => o.tool === 'lookup_customer');
    expect(accepted).toMatchObject({ is_error: false });
    expect(accepted?.text).toContain(`looked up refund status for {'email': '${EMAIL}'}`);

    const before = toolCallRecords(service.db).length;
    const refused = (await callEvasions()).find((o) => o.tool === 'lookup_customer');
    expect(refused?.is_error).toBe(true);
    expect(refused?.text).toContain('input_responses_not_screened');
    expect(refused?.text).not.toContain(EMAIL);
    // The first round, without answers, was asked about and allowed; the round with the answers never reached modelgate.
    const records = toolCallRecords(service.db).slice(before);
    expect(records.filter((r) => r.tool === 'lookup_customer').map((r) => r.outcome)).toEqual(['allowed']);
  });
});

describe('approvals through the FastMCP middleware (shipped policy)', () => {
  let shipped: TestService;
  let t: ReturnType<typeof tokens>;

  beforeAll(async () => {
    shipped = await startTestService();
    t = tokens(shipped);
  });
  afterAll(async () => {
    await shipped?.close();
  });

  /** Calls pipelines.update with the same arguments once per id (null: no approval in _meta). */
  async function callPipeline(approvalIds: (string | null)[]) {
    const out = await runPython(python, APPROVAL_SCRIPT, {
      MODELGATE_URL: shipped.url,
      MODELGATE_TOKEN: t.requester,
      APPROVAL_IDS: JSON.stringify(approvalIds),
    });
    return out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { approval_id: string | null; is_error: boolean; text: string });
  }

  it('runs the tool when the retry presents the approved approval in _meta, and refuses wrong ids', async () => {
    const [first] = await callPipeline([null]);
    expect(first?.is_error).toBe(true);
    expect(first?.text).toContain('approval_required');
    expect(first?.text).toMatch(/_meta \{"modelgate\/approval_id": "[0-9a-f-]{36}"\}/);
    const id = /approval ([0-9a-f-]{36}) is pending/.exec(first!.text)?.[1];
    expect(id).toBeDefined();

    // Presented before anyone decided: still pending, the same approval, and the tool does not run.
    const [early] = await callPipeline([id!]);
    expect(early?.is_error).toBe(true);
    expect(early?.text).toContain(`approval ${id} is pending`);

    const approved = await shipped.post(`/v1/approvals/${id}/approve`, {}, t.approver);
    expect(approved.status).toBe(200);

    const [unknown, malformed, retry, again] = await callPipeline([
      '0193a8f2-6b1c-7d2e-8f30-1a2b3c4d5e6f',
      'not-an-approval',
      id!,
      id!,
    ]);
    expect(unknown).toMatchObject({ is_error: true, text: expect.stringContaining('approval_mismatch') });
    expect(malformed?.is_error).toBe(true);
    expect(malformed?.text).toContain('modelgate/approval_id must be the id (a UUID)');
    // The tool ran on the arguments as sent: the approval id travelled in _meta, not in them.
    expect(retry).toEqual({
      approval_id: id,
      is_error: false,
      text: 'updated webapp-deploy: timeout 20 min',
    });
    // The shipped policy grants one use.
    expect(again?.is_error).toBe(true);
    expect(again?.text).toContain('approval_used_up');

    const events = approvalEvents(shipped.db, id!);
    expect(events.map((e) => e.path.split('/').pop())).toEqual(['requested', 'approve', 'use']);
    const used = events.at(-1)!.record.result.approval!.decision_id as string;
    const allowed = toolCallRecords(shipped.db).find((r) => r.decision_id === used);
    expect(allowed).toMatchObject({
      outcome: 'allowed',
      subject: ASSISTANT,
      actor: ASSISTANT_AGENT,
      tool: 'pipelines.update',
    });
  });
});

function toolCallRecords(dbFile: string) {
  const db = new Database(dbFile, { readonly: true });
  try {
    const rows = db
      .prepare(
        "SELECT decision_id, outcome, record FROM audit_records WHERE path = '/v1/decide' ORDER BY seq",
      )
      .all() as {
      decision_id: string;
      outcome: string;
      record: string;
    }[];
    return rows.map((row) => {
      const record = JSON.parse(row.record) as {
        subject: string;
        actor: string;
        operation: string;
        input: { invocation: { tools: { name: string }[] } } | null; // null on a rejected request
      };
      return {
        decision_id: row.decision_id,
        outcome: row.outcome,
        subject: record.subject,
        actor: record.actor,
        operation: record.operation,
        tool: record.input?.invocation.tools[0]?.name,
      };
    });
  } finally {
    db.close();
  }
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
