import type { AuditRecordV1 } from './audit-record';
import type { Db } from './database';

/** Most decisions one lineage answer holds; a larger tree is cut and says so. */
export const MAX_LINEAGE_NODES = 1000;
/** Most ancestors one lineage answer holds: a parent chain longer than this is not a conversation any more. */
export const MAX_ANCESTORS = 256;

/** One decision of a chain, with what an investigator needs to read it. */
export interface LineageNode {
  decision_id: string;
  timestamp: string;
  outcome: AuditRecordV1['outcome'];
  status: number;
  reasons: string[];
  subject: string | null;
  actor: string | null;
  model: string | null;
  operation: string | null;
  purpose: string | null;
  tools: string[];
  parent_id: string | null;
  depth: number;
  session_id: string | null;
  trace_id: string | null;
  /** Decisions that named this one as their parent, oldest first (only below the asked decision). */
  children: LineageNode[];
}

/** A decision's place in its chain: every ancestor up to the root, and every descendant. */
export interface LineageTree {
  /** Oldest first: the root, ..., the parent. */
  ancestors: LineageNode[];
  /**
   * Whether `ancestors` starts at the root. False when the walk up stopped at a parent the log no longer holds
   * (retention pruned it) or after MAX_ANCESTORS: the first ancestor then names a parent_id that is not shown.
   */
  ancestors_complete: boolean;
  /** The decision asked for, its descendants nested in `children`. */
  decision: LineageNode;
  /** Whether MAX_LINEAGE_NODES cut the descendants. */
  truncated: boolean;
}

interface RecordRow {
  record: string;
}

/** Where lineageTree reads records (canonical JSON): one by decision id, and the children of one. */
export interface LineageSource {
  byId(decisionId: string): Promise<string | undefined>;
  /** The first `limit` records that name `decisionId` as their parent, oldest first (in log order). */
  byParent(decisionId: string, limit: number): Promise<string[]>;
}

/** Returns the lineage source of an SQLite audit log. */
export function sqliteLineageSource(db: Db): LineageSource {
  const byId = db.prepare('SELECT record FROM audit_records WHERE decision_id = ?');
  // The same expression as the audit_records_lineage_parent index, so SQLite uses it. In log order (seq): the
  // index holds a parent's children in that order already, so LIMIT stops the read there; ordered by ts_ms,
  // SQLite read every child of the parent to sort them first, on the event loop.
  const byParent = db.prepare(
    `SELECT record FROM audit_records WHERE json_extract(record, '$.input.lineage.parent_id') = ? ORDER BY seq LIMIT ?`,
  );
  return {
    byId: async (id) => (byId.get(id) as RecordRow | undefined)?.record,
    byParent: async (id, limit) => (byParent.all(id, limit) as RecordRow[]).map((row) => row.record),
  };
}

/** Returns a decision's lineage tree, or null if no such decision is recorded. */
export async function lineageTree(
  source: LineageSource,
  decisionId: string,
  maxNodes = MAX_LINEAGE_NODES,
): Promise<LineageTree | null> {
  const read = (record: string | undefined) =>
    record === undefined ? null : toNode(JSON.parse(record) as AuditRecordV1);
  const decision = read(await source.byId(decisionId));
  if (!decision) return null;

  const ancestors: LineageNode[] = [];
  let parentId = decision.parent_id;
  while (parentId !== null && ancestors.length < MAX_ANCESTORS) {
    const parent = read(await source.byId(parentId));
    if (!parent) break; // pruned by retention: the chain above it is gone
    ancestors.unshift(parent);
    parentId = parent.parent_id;
  }
  // Still naming a parent: the walk did not reach the root, and the answer must not pass its oldest for one.
  const ancestorsComplete = parentId === null;

  // Breadth first, so a cut keeps the nearest descendants.
  let nodes = 1;
  let truncated = false;
  const queue = [decision];
  while (queue.length > 0 && !truncated) {
    const node = queue.shift() as LineageNode;
    // One more than still fits, to know whether the tree was cut: a caller can name one decision as the parent
    // of millions (denied calls record their lineage too), and reading them all would hold them all in memory.
    for (const record of await source.byParent(node.decision_id, maxNodes - nodes + 1)) {
      if (nodes >= maxNodes) {
        truncated = true;
        break;
      }
      const child = toNode(JSON.parse(record) as AuditRecordV1);
      node.children.push(child);
      queue.push(child);
      nodes += 1;
    }
  }
  return { ancestors, ancestors_complete: ancestorsComplete, decision, truncated };
}

function toNode(record: AuditRecordV1): LineageNode {
  const input = record.input as {
    invocation?: { tools?: { name: string }[] };
    lineage?: { parent_id: string | null; depth: number; session_id: string | null; trace_id: string | null };
  } | null;
  const lineage = input?.lineage;
  return {
    decision_id: record.decision_id,
    timestamp: record.timestamp,
    outcome: record.outcome,
    status: record.status,
    reasons: record.reasons,
    subject: record.subject,
    actor: record.actor,
    model: record.model,
    operation: record.operation,
    purpose: record.purpose,
    tools: (input?.invocation?.tools ?? []).map((t) => t.name),
    parent_id: lineage?.parent_id ?? null,
    depth: lineage?.depth ?? 0,
    session_id: lineage?.session_id ?? null,
    trace_id: lineage?.trace_id ?? null,
    children: [],
  };
}
