import { MAX_LINEAGE_NODES, type LineageNode, type LineageTree } from '../audit/lineage-query';

/** Returns the tree as indented text: ancestors, the decision (marked), its descendants. */
export function renderLineage(tree: LineageTree): string {
  const lines: string[] = [];
  const describe = (n: LineageNode) =>
    `${n.decision_id}  ${n.timestamp}  ${n.outcome}${n.reasons.length > 0 ? ` (${n.reasons.join(', ')})` : ''}  ` +
    `${n.subject ?? '-'}${n.actor ? ` via ${n.actor}` : ''}  ${n.operation ?? '-'} ${n.model ?? '-'}` +
    (n.purpose ? `  purpose ${n.purpose}` : '') +
    (n.tools.length > 0 ? `  tools ${n.tools.join(', ')}` : '');
  tree.ancestors.forEach((n, i) => lines.push(`${'  '.repeat(i)}${describe(n)}`));
  const walk = (n: LineageNode, level: number, mark: string) => {
    lines.push(`${'  '.repeat(level)}${mark}${describe(n)}`);
    for (const child of n.children) walk(child, level + 1, '');
  };
  walk(tree.decision, tree.ancestors.length, '> ');
  if (tree.truncated) lines.push(`(cut at ${MAX_LINEAGE_NODES} decisions)`);
  const session = tree.decision.session_id;
  if (session) lines.push(`session ${session}`);
  return `${lines.join('\n')}\n`;
}
