import type { ValidationProblem } from '../schemas/validators';
import { editDistance } from './edit-distance';

/** A config schema as far as this file reads it: the keys an object takes, and what its items are. */
interface SchemaNode {
  properties?: Record<string, unknown>;
  items?: unknown;
  additionalProperties?: unknown;
}

const NOT_ALLOWED = 'is not allowed here';
// More keys than this are not listed (the top level has dozens): the docs list them with what they do.
const MAX_LISTED_KEYS = 12;

/**
 * Returns the problems with unknown keys first, each saying the key it resembles or the keys allowed there:
 * a misspelt `audience` also leaves `audiences` missing, and the typo is the one to fix.
 */
export function explainConfigProblems(problems: ValidationProblem[], schema: object): ValidationProblem[] {
  const unknown = problems.filter((p) => p.message === NOT_ALLOWED);
  const others = problems.filter((p) => p.message !== NOT_ALLOWED);
  return [...unknown.map((p) => ({ ...p, message: explainUnknownKey(p.pointer, schema) })), ...others];
}

function explainUnknownKey(pointer: string, schema: object): string {
  const segments = pointer.split('/').slice(1).map(unescape);
  const key = segments.pop() ?? '';
  const allowed = Object.keys(nodeAt(schema as SchemaNode, segments)?.properties ?? {});
  const near = allowed
    .map((name) => ({ name, distance: editDistance(key.toLowerCase(), name) }))
    .filter((c) => c.distance <= Math.min(2, Math.floor(key.length / 3)))
    .sort((a, b) => a.distance - b.distance)[0];
  if (near) return `${NOT_ALLOWED}; did you mean ${near.name}?`;
  if (allowed.length > 0 && allowed.length <= MAX_LISTED_KEYS) {
    return `${NOT_ALLOWED} (keys here: ${allowed.join(', ')})`;
  }
  return `${NOT_ALLOWED} (docs/configuration.md lists the keys)`;
}

// The schema of the object a key was found in: properties by name, array items by index, map values.
function nodeAt(schema: SchemaNode, segments: string[]): SchemaNode | undefined {
  let node: SchemaNode | undefined = schema;
  for (const segment of segments) {
    if (!node) return undefined;
    const named = node.properties?.[segment];
    if (named !== undefined) node = named as SchemaNode;
    else if (/^\d+$/.test(segment) && node.items) node = node.items as SchemaNode;
    else if (typeof node.additionalProperties === 'object') node = node.additionalProperties as SchemaNode;
    else return undefined;
  }
  return node;
}

function unescape(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}
