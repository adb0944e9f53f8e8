import { ModelgateError, ReasonCode } from '../errors';
import { isScreeningClass, type ScreeningClass } from './classes';
import { applySpans, mergeSpans, type RedactionSpan } from './merge-spans';
import type { PathStep } from './payload-leaves';
import type { ScreeningResult } from './screen-payload';

/** The default replacement: "<class>" is replaced by the class name, e.g. "[REDACTED:email]". */
export const DEFAULT_REDACTION_FORMAT = '[REDACTED:<class>]';

/**
 * A redact obligation named classes screening does not know. Enforcing it partially could let the data it
 * meant through (a typo such as "emails" redacts nothing), so the decision must fail closed as
 * policy_output_invalid.
 */
export class UnknownClassError extends ModelgateError {
  constructor(readonly classes: string[]) {
    super(
      ReasonCode.PolicyOutputInvalid,
      500,
      `redact obligation names unknown classes: ${classes.join(', ')}`,
      {
        details: { unknown_classes: classes },
      },
    );
  }
}

/** The spans to apply, as a tree keyed by path step, so the copy finds a leaf's spans as it walks. */
interface SpanTree {
  children: Map<PathStep, SpanTree>;
  spans: RedactionSpan[];
  applied: boolean;
  /** Spans in the object key that leads to this node. */
  keySpans: RedactionSpan[];
  keyApplied: boolean;
}

const emptyNode = (): SpanTree => ({
  children: new Map(),
  spans: [],
  applied: false,
  keySpans: [],
  keyApplied: false,
});

function spanTree(result: ScreeningResult, classes: ReadonlySet<string>): SpanTree {
  const root = emptyNode();
  for (const finding of result.spans) {
    if (!classes.has(finding.class)) continue;
    let node = root;
    for (const step of finding.path) {
      let child = node.children.get(step);
      if (child === undefined) {
        child = emptyNode();
        node.children.set(step, child);
      }
      node = child;
    }
    (finding.key === true ? node.keySpans : node.spans).push({
      start: finding.start,
      end: finding.end,
      class: finding.class,
    });
  }
  return root;
}

function mismatch(): ModelgateError {
  return new ModelgateError(
    ReasonCode.InternalError,
    500,
    'screening result does not match the payload it redacts',
  );
}

function redactText(text: string, spans: RedactionSpan[], format: string): string {
  for (const span of spans) {
    if (!(span.start >= 0 && span.start < span.end && span.end <= text.length)) throw mismatch();
  }
  return applySpans(text, mergeSpans(spans), format);
}

/** Returns a value with its spans redacted: a string, or a number as its redacted decimal text (a string). */
function redactLeaf(value: string | number, node: SpanTree | undefined, format: string): string | number {
  if (node === undefined || node.spans.length === 0) return value;
  node.applied = true;
  return redactText(String(value), node.spans, format);
}

/** Returns an object key with its spans redacted. */
function redactKey(key: string, node: SpanTree | undefined, format: string): string {
  if (node === undefined || node.keySpans.length === 0) return key;
  node.keyApplied = true;
  return redactText(key, node.keySpans, format);
}

function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  // A JSON body may have an own "__proto__" key; plain assignment would set the copy's prototype instead.
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * Returns a deep copy of `payload`, same shape, with every span of the listed classes replaced by `format`
 * ("<class>" in it becomes the class name; default "[REDACTED:<class>]"). Overlapping or touching spans are
 * merged first (the merged span takes the class of its longest member). Text outside those spans, spans of
 * other classes are copied unchanged. An object key with a span is renamed to its redacted text; a
 * number with a span becomes its redacted decimal text (a string); booleans and nulls are copied as they are. Throws UnknownClassError for a class name
 * screening does not report, and an internal error if `result` was not computed from this payload.
 */
export function redactPayload(
  payload: unknown,
  result: ScreeningResult,
  classes: readonly string[],
  format: string = DEFAULT_REDACTION_FORMAT,
): unknown {
  const unknown = classes.filter((c) => !isScreeningClass(c));
  if (unknown.length > 0) throw new UnknownClassError(unknown);
  const tree = spanTree(result, new Set<ScreeningClass>(classes as ScreeningClass[]));
  const copy = (value: unknown, node: SpanTree | undefined): unknown =>
    typeof value === 'string' || typeof value === 'number' ? redactLeaf(value, node, format) : value;

  // Iterative copy: containers are created first and filled as the walk reaches them, so deep nesting
  // cannot overflow the stack.
  const rootHolder: Record<string, unknown> = {};
  const stack: Array<{
    value: unknown;
    node: SpanTree | undefined;
    target: Record<string, unknown> | unknown[];
    key: string | number;
  }> = [{ value: payload, node: tree, target: rootHolder, key: 'root' }];
  while (stack.length > 0) {
    const { value, node, target, key } = stack.pop() as (typeof stack)[number];
    let out: unknown;
    if (Array.isArray(value)) {
      const array: unknown[] = new Array<unknown>(value.length);
      for (let i = 0; i < value.length; i++)
        stack.push({ value: value[i], node: node?.children.get(i), target: array, key: i });
      out = array;
    } else if (typeof value === 'object' && value !== null) {
      const object: Record<string, unknown> = {};
      // Pushed in reverse so they pop, and are set on the copy, in document order.
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i] as string;
        const child = node?.children.get(k);
        stack.push({
          value: (value as Record<string, unknown>)[k],
          node: child,
          target: object,
          // A key that holds a secret is renamed; a second key redacted to the same name then overwrites
          // the first value, which only removes more of the payload.
          key: redactKey(k, child, format),
        });
      }
      out = object;
    } else {
      out = copy(value, node);
    }
    if (Array.isArray(target)) target[key as number] = out;
    else setKey(target, key as string, out);
  }
  if (!allApplied(tree)) throw mismatch();
  return rootHolder.root;
}

function allApplied(tree: SpanTree): boolean {
  const stack = [tree];
  while (stack.length > 0) {
    const node = stack.pop() as SpanTree;
    if ((node.spans.length > 0 && !node.applied) || (node.keySpans.length > 0 && !node.keyApplied))
      return false;
    for (const child of node.children.values()) stack.push(child);
  }
  return true;
}
