import { ReasonCode, RequestError } from '../errors';

/** A path step: an object key or an array index. */
export type PathStep = string | number;

/** Where a string leaf sits, as a linked list back to the root so paths are built only for leaves with findings. */
export interface PathNode {
  readonly parent: PathNode | undefined;
  readonly step: PathStep;
}

/** A text of a payload screening reads: a string value, an object key, or a number as its decimal text. */
export interface Leaf {
  readonly text: string;
  readonly node: PathNode | undefined;
  /** The text is the key at `node` (the last path step), not the value there. */
  readonly key?: true;
  /** The text is a number's decimal text. */
  readonly number?: true;
}

/** Returns the path of a leaf from the payload root, e.g. ['messages', 0, 'content']. */
export function leafPath(leaf: Leaf): PathStep[] {
  const path: PathStep[] = [];
  for (let n = leaf.node; n !== undefined; n = n.parent) path.push(n.step);
  return path.reverse();
}

/** The default limit on the total length of a payload's texts (string values, keys, numbers): 256 KiB of UTF-16 code units. */
export const DEFAULT_MAX_CHARS = 262144;

/**
 * Returns every text of a JSON value in document order (object members in insertion order, each key before
 * its value, then array elements), with their total length. Keys and numbers are texts too (a token can be a
 * key, a card number a JSON number), and the model reads them like string values, so they count toward `chars`:
 * otherwise a prompt sent as the keys of tool arguments would spend no budget and pass any size limit. Booleans
 * and nulls are skipped. The walk is iterative, so a deeply nested payload cannot overflow the stack, and it stops
 * with `RequestError(payload_too_large, 413)` as soon as the total passes `maxChars`, before any detector runs.
 */
export function collectLeaves(
  payload: unknown,
  maxChars: number,
): { leaves: Leaf[]; chars: number; strings: number; values: number } {
  const leaves: Leaf[] = [];
  let chars = 0;
  let strings = 0;
  // Every value walked, texts or not (containers, booleans, nulls): a payload of a million empty strings has no
  // text, yet walking, screening and copying it is work in proportion to them.
  let values = 0;
  const read = (leaf: Leaf) => {
    chars += leaf.text.length;
    if (chars > maxChars) {
      throw new RequestError(ReasonCode.PayloadTooLarge, 413, `payload text exceeds ${maxChars} characters`, {
        details: { max_chars: maxChars },
      });
    }
    leaves.push(leaf);
  };
  const stack: Array<{ value: unknown; node: PathNode | undefined; key?: true }> = [
    { value: payload, node: undefined },
  ];
  while (stack.length > 0) {
    const { value, node, key } = stack.pop() as (typeof stack)[number];
    if (key !== true) values++;
    if (key === true) {
      read({ text: String(node?.step), node, key: true });
    } else if (typeof value === 'string') {
      strings++;
      read({ text: value, node });
    } else if (Array.isArray(value)) {
      // Pushed in reverse so they pop in document order.
      for (let i = value.length - 1; i >= 0; i--) {
        const item: unknown = value[i];
        // Counted, not pushed: a boolean or null has no text, and an array of them costs no path nodes.
        if (item === null || typeof item === 'boolean') values++;
        else stack.push({ value: item, node: { parent: node, step: i } });
      }
    } else if (typeof value === 'number') {
      read({ text: String(value), node, number: true });
    } else if (typeof value === 'object' && value !== null) {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string;
        const child: PathNode = { parent: node, step: key };
        stack.push({ value: (value as Record<string, unknown>)[key], node: child });
        stack.push({ value: undefined, node: child, key: true });
      }
    }
  }
  return { leaves, chars, strings, values };
}
