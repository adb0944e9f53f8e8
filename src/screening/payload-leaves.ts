import { ReasonCode, RequestError } from '../errors';

/** A path step: an object key or an array index. */
export type PathStep = string | number;

/** Where a string leaf sits, as a linked list back to the root so paths are built only for leaves with findings. */
interface PathNode {
  readonly parent: PathNode | undefined;
  readonly step: PathStep;
}

/** A string leaf of a payload. */
export interface Leaf {
  readonly text: string;
  readonly node: PathNode | undefined;
}

/** Returns the path of a leaf from the payload root, e.g. ['messages', 0, 'content']. */
export function leafPath(leaf: Leaf): PathStep[] {
  const path: PathStep[] = [];
  for (let n = leaf.node; n !== undefined; n = n.parent) path.push(n.step);
  return path.reverse();
}

/** The default limit on the total length of a payload's string leaves: 256 KiB of UTF-16 code units. */
export const DEFAULT_MAX_CHARS = 262144;

/**
 * Returns every string leaf of a JSON value in document order (object keys in insertion order, then array
 * elements), with their total length. Object keys are not leaves: they are field names of the payload's
 * shape, and redaction must keep that shape. Non-string leaves are skipped. The walk is iterative, so a
 * deeply nested payload cannot overflow the stack, and it stops with `RequestError(payload_too_large, 413)`
 * as soon as the total passes `maxChars`, before any detector runs.
 */
export function collectLeaves(payload: unknown, maxChars: number): { leaves: Leaf[]; chars: number } {
  const leaves: Leaf[] = [];
  let chars = 0;
  const stack: Array<{ value: unknown; node: PathNode | undefined }> = [{ value: payload, node: undefined }];
  while (stack.length > 0) {
    const { value, node } = stack.pop() as { value: unknown; node: PathNode | undefined };
    if (typeof value === 'string') {
      chars += value.length;
      if (chars > maxChars) {
        throw new RequestError(
          ReasonCode.PayloadTooLarge,
          413,
          `payload text exceeds ${maxChars} characters`,
          { details: { max_chars: maxChars } },
        );
      }
      leaves.push({ text: value, node });
    } else if (Array.isArray(value)) {
      // Pushed in reverse so they pop in document order.
      for (let i = value.length - 1; i >= 0; i--)
        stack.push({ value: value[i], node: { parent: node, step: i } });
    } else if (typeof value === 'object' && value !== null) {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string;
        stack.push({ value: (value as Record<string, unknown>)[key], node: { parent: node, step: key } });
      }
    }
  }
  return { leaves, chars };
}
