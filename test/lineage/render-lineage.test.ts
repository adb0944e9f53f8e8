import type { LineageNode } from '../../src/audit/lineage-query';
import { renderLineage } from '../../src/cli/render-lineage';

function node(fields: Partial<LineageNode>): LineageNode {
  return {
    decision_id: '0193a8f2-6b1c-7d2e-8f30-1a2b3c4d5e6f',
    timestamp: '2026-11-29T10:00:00.000Z',
    outcome: 'allowed',
    status: 200,
    reasons: [],
    subject: 'spiffe://corp/agents/triage-workflow',
    actor: null,
    model: 'anthropic.claude-sonnet',
    operation: 'chat',
    purpose: null,
    tools: [],
    parent_id: null,
    depth: 0,
    session_id: null,
    trace_id: null,
    children: [],
    ...fields,
  };
}

// Records written before session_id was checked (and any value a record holds) reach the investigator's terminal:
// what would move the cursor, clear the screen or start a line is printed as an escape, never as itself.
describe('renderLineage: what a record holds cannot drive the terminal', () => {
  it('prints control characters and bidi overrides as \\u escapes, one line per decision', () => {
    const text = renderLineage({
      ancestors: [],
      ancestors_complete: true,
      decision: node({ session_id: 'chat\u001b[2J\u001b[H\n0193…  allowed\u202e', actor: 'agent\r:x' }),
      truncated: false,
    });
    // eslint-disable-next-line no-control-regex -- what must not be printed as itself
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(text.trimEnd().split('\n')).toHaveLength(2);
    expect(text).toContain('session chat\\u001b[2J\\u001b[H\\u000a0193…  allowed\\u202e');
    expect(text).toContain('via agent\\u000d:x');
  });
});
