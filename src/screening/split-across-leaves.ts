import { categoryOf } from './classes';
import { detectTexts } from './detect-joined';
import { detectText } from './detect-text';
import type { TextSpan } from './detector';
import type { Leaf, PathNode } from './payload-leaves';

/** How much of each side of a junction is screened: longer than any single secret gitleaks describes. */
const REACH = 512;
const TOKEN_CHAR = /^[A-Za-z0-9_+/=.~-]$/;
const SECRETS = { secretsOnly: true };

/** The part of a split secret that lies in one value. */
export interface JunctionPart {
  leaf: Leaf;
  start: number;
  end: number;
}

/** A secret that starts in one string and ends in the next: its part in each. */
export interface JunctionSpan {
  parts: [JunctionPart, JunctionPart];
  span: TextSpan;
}

/**
 * Returns a function giving the field name of a string value: its last path step when that is a key, else the
 * key above the array. Memoised per path node, so that values deep in nested arrays cost one walk in total,
 * not one walk to the root each (which was quadratic in the depth).
 */
function fieldFinder(): (leaf: Leaf) => string | undefined {
  const known = new Map<PathNode, string | undefined>();
  return (leaf) => {
    const walked: PathNode[] = [];
    let field: string | undefined;
    for (let n = leaf.node; n !== undefined; n = n.parent) {
      if (known.has(n)) {
        field = known.get(n);
        break;
      }
      walked.push(n);
      if (typeof n.step === 'string') {
        field = n.step;
        break;
      }
    }
    for (const n of walked) known.set(n, field);
    return field;
  };
}

/** Two consecutive values of one field that a secret may span, and the text screened for it. */
interface Junction {
  first: Leaf;
  second: Leaf;
  tail: string;
  head: string;
}

/**
 * Returns the secrets that span two consecutive string values of the same field (messages[i].content and
 * messages[i+1].content, content parts' text, consecutive array elements): a token split across two messages
 * is found and both parts are redacted. The end of one value and the start of the next are joined without a
 * separator and screened for secrets; only spans that cross the join are kept (the others were found in each
 * value). All the joins of a payload are screened in one call (see detect-joined.ts), each as if alone.
 */
export function junctionSpans(leaves: readonly Leaf[]): JunctionSpan[] {
  const junctions: Junction[] = [];
  const last = new Map<string | undefined, Leaf>();
  const fieldOf = fieldFinder();
  for (const leaf of leaves) {
    if (leaf.key === true || leaf.number === true || leaf.text.length === 0) continue;
    const field = fieldOf(leaf);
    const previous = last.get(field);
    last.set(field, leaf);
    if (previous === undefined) continue;
    // A secret split in two has token characters on both sides of the cut; a message that ends with a
    // newline or a colon, or starts with a space, cannot be the first or second half of one.
    if (
      !TOKEN_CHAR.test(previous.text.charAt(previous.text.length - 1)) ||
      !TOKEN_CHAR.test(leaf.text.charAt(0))
    )
      continue;
    junctions.push({
      first: previous,
      second: leaf,
      tail: previous.text.slice(-REACH),
      head: leaf.text.slice(0, REACH),
    });
  }
  if (junctions.length === 0) return [];
  const joined = detectTexts(
    junctions.map((j) => j.tail + j.head),
    SECRETS,
  );
  const out: JunctionSpan[] = [];
  junctions.forEach(({ first, second, tail, head }, i) => {
    const crossing = (joined[i] ?? []).filter(
      (s) => s.start < tail.length && s.end > tail.length && categoryOf(s.class) === 'secret',
    );
    if (crossing.length === 0) return;
    // A finding of one value that the join merely extends (an email followed by the next message's first
    // word) was found in that value already: only a secret that neither side holds alone is split.
    const alone = [
      ...detectText(tail, SECRETS),
      ...detectText(head, SECRETS).map((s) => ({
        ...s,
        start: s.start + tail.length,
        end: s.end + tail.length,
      })),
    ];
    for (const span of crossing) {
      if (alone.some((a) => a.class === span.class && a.start < span.end && span.start < a.end)) continue;
      out.push({
        parts: [
          { leaf: first, start: first.text.length - tail.length + span.start, end: first.text.length },
          { leaf: second, start: 0, end: span.end - tail.length },
        ],
        span,
      });
    }
  });
  return out;
}
