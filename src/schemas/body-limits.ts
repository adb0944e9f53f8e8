/** Structural limits on a parsed JSON body, checked before schema validation. */
export interface BodyLimits {
  /** Deepest nesting of objects and arrays. */
  maxDepth: number;
  /** Longest array anywhere in the body. */
  maxArrayItems: number;
  /** Most keys in any one object. */
  maxObjectKeys: number;
}

export const defaultBodyLimits: BodyLimits = { maxDepth: 32, maxArrayItems: 10_000, maxObjectKeys: 1_000 };

/** Returns the first limit the value breaks as `{ pointer, message }`, or undefined when within limits. */
export function checkBodyLimits(
  value: unknown,
  limits: BodyLimits,
): { pointer: string; message: string } | undefined {
  // Iterative walk: a hostile body must not be able to overflow our stack.
  const stack: { node: unknown; depth: number; pointer: string }[] = [{ node: value, depth: 0, pointer: '' }];
  while (stack.length > 0) {
    const { node, depth, pointer } = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth >= limits.maxDepth) {
      return { pointer: pointer || '/', message: `nesting deeper than ${limits.maxDepth} levels` };
    }
    if (Array.isArray(node)) {
      if (node.length > limits.maxArrayItems) {
        return { pointer: pointer || '/', message: `array longer than ${limits.maxArrayItems} items` };
      }
      node.forEach((child, i) => {
        if (isContainer(child)) stack.push({ node: child, depth: depth + 1, pointer: `${pointer}/${i}` });
      });
    } else {
      const keys = Object.keys(node);
      if (keys.length > limits.maxObjectKeys) {
        return { pointer: pointer || '/', message: `object with more than ${limits.maxObjectKeys} keys` };
      }
      for (const key of keys) {
        const child = (node as Record<string, unknown>)[key];
        // Only objects and arrays can break a limit: a pointer is built for nothing else.
        if (!isContainer(child)) continue;
        stack.push({
          node: child,
          depth: depth + 1,
          pointer: `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`,
        });
      }
    }
  }
  return undefined;
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
