import { categoryOf } from './classes';
import { detectText } from './detect-text';
import type { TextSpan } from './detector';
import type { Leaf } from './payload-leaves';

/** How much of each side of a junction is screened: longer than any single secret gitleaks describes. */
const REACH = 512;
const TOKEN_CHAR = /^[A-Za-z0-9_+/=.~-]$/;

/** A secret that starts in one string and ends in the next. */
export interface JunctionSpan {
  first: Leaf;
  /** Offset in `first` where the finding starts; it runs to the end of `first`. */
  start: number;
  second: Leaf;
  /** Offset in `second` where the finding ends; it starts at the beginning of `second`. */
  end: number;
  span: TextSpan;
}

/** The field name of a string value: its last path step when that is a key, else the key above the array. */
function fieldOf(leaf: Leaf): string | undefined {
  for (let n = leaf.node; n !== undefined; n = n.parent) if (typeof n.step === 'string') return n.step;
  return undefined;
}

/**
 * Returns the secrets that span two consecutive string values of the same field (messages[i].content and
 * messages[i+1].content, content parts' text, consecutive array elements): a token split across two messages
 * is found and both parts are redacted. The end of one value and the start of the next are joined without a
 * separator and screened; only spans that cross the join are kept (the others were found in each value).
 */
export function junctionSpans(leaves: readonly Leaf[]): JunctionSpan[] {
  const out: JunctionSpan[] = [];
  const last = new Map<string | undefined, Leaf>();
  for (const leaf of leaves) {
    if (leaf.key === true || leaf.number === true || leaf.text.length === 0) continue;
    const field = fieldOf(leaf);
    const previous = last.get(field);
    last.set(field, leaf);
    if (previous === undefined) continue;
    // A secret split in two has token characters on both sides of the cut; a message that ends with a full
    // stop or a newline, or starts with a space, cannot be the first or second half of one.
    if (
      !TOKEN_CHAR.test(previous.text.charAt(previous.text.length - 1)) ||
      !TOKEN_CHAR.test(leaf.text.charAt(0))
    )
      continue;
    const tail = previous.text.slice(-REACH);
    const head = leaf.text.slice(0, REACH);
    const crossing = detectText(tail + head).filter(
      (s) => s.start < tail.length && s.end > tail.length && categoryOf(s.class) === 'secret',
    );
    if (crossing.length === 0) continue;
    // A finding of one value that the join merely extends (an email followed by the next message's first
    // word) was found in that value already: only a secret that neither side holds alone is split.
    const alone = [
      ...detectText(tail),
      ...detectText(head).map((s) => ({ ...s, start: s.start + tail.length, end: s.end + tail.length })),
    ];
    for (const span of crossing) {
      if (alone.some((a) => a.class === span.class && a.start < span.end && span.start < a.end)) continue;
      out.push({
        first: previous,
        start: previous.text.length - tail.length + span.start,
        second: leaf,
        end: span.end - tail.length,
        span,
      });
    }
  }
  return out;
}
