import { MAX_ANCESTORS, MAX_LINEAGE_NODES, type LineageNode, type LineageTree } from '../audit/lineage-query';

// Control characters (C0, DEL, C1) and bidi controls: what could move the cursor, clear the screen, start a line
// or reorder what the investigator reads.
// eslint-disable-next-line no-control-regex -- control characters are exactly what must not reach the terminal
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Returns the tree as indented text: ancestors, the decision (marked), its descendants; first, when the ancestors
 * do not reach the root, the id of the parent that is not shown.
 */
export function renderLineage(tree: LineageTree): string {
  const lines: string[] = [];
  const unshown = tree.ancestors_complete ? null : (tree.ancestors[0] ?? tree.decision).parent_id;
  if (unshown !== null) {
    lines.push(
      printable(`${unshown}  (not in the log: pruned, or past the ${MAX_ANCESTORS} ancestors shown)`),
    );
  }
  const indent = unshown === null ? 0 : 1;
  const describe = (n: LineageNode) =>
    printable(
      `${n.decision_id}  ${n.timestamp}  ${n.outcome}${n.reasons.length > 0 ? ` (${n.reasons.join(', ')})` : ''}  ` +
        `${n.subject ?? '-'}${n.actor ? ` via ${n.actor}` : ''}  ${n.operation ?? '-'} ${n.model ?? '-'}` +
        (n.purpose ? `  purpose ${n.purpose}` : '') +
        (n.tools.length > 0 ? `  tools ${n.tools.join(', ')}` : ''),
    );
  tree.ancestors.forEach((n, i) => lines.push(`${'  '.repeat(indent + i)}${describe(n)}`));
  const walk = (n: LineageNode, level: number, mark: string) => {
    lines.push(`${'  '.repeat(level)}${mark}${describe(n)}`);
    for (const child of n.children) walk(child, level + 1, '');
  };
  walk(tree.decision, indent + tree.ancestors.length, '> ');
  if (tree.truncated) lines.push(`(cut at ${MAX_LINEAGE_NODES} decisions)`);
  const session = tree.decision.session_id;
  if (session) lines.push(`session ${printable(session)}`);
  return `${lines.join('\n')}\n`;
}

// Every value of a record is the caller's or its issuer's: shown, never obeyed by the terminal.
function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
