import { createServer } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startGateService } from '../../test/helpers/gate-service';
import type { TestService } from '../../test/helpers/service';
import { runPython, venvPython } from '../testdata/python';

const EMAIL = 'jane.doe@example.com';
const CARD = '4111 1111 1111 1111';
const SCRIPT = path.join(__dirname, 'e2e_check.py');
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

  it('fails closed when modelgate is unreachable: no tool runs', async () => {
    const outcomes = await callTools(`http://127.0.0.1:${await closedPort()}`);
    for (const tool of ['search_tickets', 'refund_payment', 'delete_database', 'export_report']) {
      expect(outcomes[tool]?.is_error).toBe(true);
      expect(outcomes[tool]?.text).toContain('modelgate did not answer');
    }
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
        input: { invocation: { tools: { name: string }[] } };
      };
      return {
        decision_id: row.decision_id,
        outcome: row.outcome,
        subject: record.subject,
        actor: record.actor,
        operation: record.operation,
        tool: record.input.invocation.tools[0]?.name,
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
