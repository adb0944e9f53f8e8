/** One decision of a chain, as the policy sees it in `input.lineage.parent` and `.root`. */
export interface LineageLinkV1 {
  decision_id: string;
  subject: string | null;
  actor: string | null;
  model: string | null;
  operation: string | null;
  purpose: string | null;
  /** Names of the tools the call offered the model. */
  tools: string[];
}

/**
 * `input.lineage`: where this call sits in a chain of decisions (a prompt, the tool calls its output
 * proposed, their follow-ups). Present only when the request names a parent, a session or a trace.
 */
export interface LineageV1 {
  /** context.parent_decision_id, checked: it exists, was allowed, is recent and is the caller's. */
  parent_id: string | null;
  /** The first decision of the chain; null when this call starts one. */
  root_id: string | null;
  /** 0 for a call without a parent, the parent's depth + 1 otherwise. */
  depth: number;
  /** context.session_id, else the parent's. */
  session_id: string | null;
  /** The trace id of a valid W3C traceparent header. */
  trace_id: string | null;
  parent: LineageLinkV1 | null;
  root: LineageLinkV1 | null;
}
