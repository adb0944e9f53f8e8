import { BuiltinLimitError, type BuiltinTable } from './builtin';
import { compareRegoValues, isRegoObject, RegoSet } from './rego-value';

// Sets arrive as RegoSet (index.ts, READS_SETS): OPA patches a set by its members and returns a set.
type Json = null | boolean | number | string | Json[] | RegoSet | { [key: string]: Json };

const isObject = (v: unknown): v is Record<string, Json> => isRegoObject(v);
// Own members only: "constructor" or "__proto__" is an ordinary key in a Rego object.
const hasKey = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);
const equal = (a: unknown, b: unknown): boolean => compareRegoValues(a, b) === 0;

// Each copy of the root doubles the document: past this many values the evaluation fails (a deny).
const MAX_PATCH_NODES = 100_000;

/** Returns how many values `value` holds, counting at most to `limit` (a copied subtree counts each time). */
function nodeCount(value: unknown, limit: number): number {
  let count = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0 && count <= limit) {
    const next = pending.pop();
    count++;
    if (Array.isArray(next)) pending.push(...next);
    else if (next instanceof RegoSet) pending.push(...next.items);
    else if (isObject(next)) pending.push(...Object.values(next));
  }
  return count;
}

/** Returns a JSON Patch path as segments: a JSON Pointer (OPA trims every leading "/") or an array of segments. */
function patchPath(path: unknown): Json[] {
  if (Array.isArray(path)) return path as Json[];
  if (typeof path !== 'string') throw new TypeError('path must be a string or an array');
  if (path === '') return [];
  return path
    .replace(/^\/+/, '')
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** Returns the array index a segment names (OPA's edittree toIndex), `length` for "-". */
function arrayIndex(segment: Json, length: number): number {
  if (segment === '-') return length;
  // OPA reads `1.0` and `+1` as indices but not an exponent form (`1e0`).
  const isNumeral = typeof segment === 'string' && /^[+-]?(\d+\.?\d*|\.\d+)$/.test(segment);
  const n = typeof segment === 'number' ? segment : isNumeral ? Number(segment) : NaN;
  if (!Number.isSafeInteger(n)) throw new Error('invalid array index');
  if (typeof segment === 'string' && segment !== '0' && segment.startsWith('0'))
    throw new Error('leading zeros');
  return n;
}

function parentOf(doc: Json, path: Json[]): Json {
  let node = doc;
  for (const segment of path.slice(0, -1)) node = childOf(node, segment);
  return node;
}

/** Returns a deep copy of a value to patch: sets stay RegoSet, and a key like "__proto__" stays an own key. */
function copyOf(value: Json): Json {
  if (Array.isArray(value)) return value.map(copyOf);
  if (value instanceof RegoSet) return new RegoSet(value.items.map((item) => copyOf(item as Json)));
  if (!isObject(value)) return value;
  const copy: Record<string, Json> = {};
  for (const [key, item] of Object.entries(value)) setKey(copy, key, copyOf(item));
  return copy;
}

// Defined, not assigned: assigning "__proto__" would replace the prototype instead of adding a member.
function setKey(object: Record<string, Json>, key: string, value: Json): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

// A set's member is its own path segment (OPA's edittree): "/tags/a" names the member "a" of the set at tags.
const memberIndex = (set: RegoSet, segment: Json): number =>
  set.items.findIndex((item) => equal(item, segment));

function childOf(node: Json, segment: Json): Json {
  if (node instanceof RegoSet) {
    const i = memberIndex(node, segment);
    if (i < 0) throw new Error('path not found');
    return node.items[i] as Json;
  }
  if (Array.isArray(node)) {
    const i = arrayIndex(segment, node.length);
    if (i < 0 || i >= node.length) throw new Error('index out of range');
    return node[i] as Json;
  }
  if (isObject(node) && typeof segment === 'string' && hasKey(node, segment)) return node[segment] as Json;
  throw new Error('path not found');
}

function insertAt(doc: Json, path: Json[], value: Json): Json {
  if (path.length === 0) return copyOf(value);
  const parent = parentOf(doc, path);
  const last = path[path.length - 1] as Json;
  if (Array.isArray(parent)) {
    const i = arrayIndex(last, parent.length);
    if (i < 0 || i > parent.length) throw new Error('index out of range');
    parent.splice(i, 0, copyOf(value));
  } else if (parent instanceof RegoSet) {
    // A member is its own key, so an add must name the value it adds.
    if (!equal(last, value)) throw new Error('set key does not equal the value to insert');
    if (memberIndex(parent, last) < 0) parent.items.push(copyOf(value));
  } else if (isObject(parent) && typeof last === 'string') setKey(parent, last, copyOf(value));
  else throw new Error('cannot insert here');
  return doc;
}

// The whole document removed: a replace may put one back; OPA's evaluator crashes when none is, so undefined.
const REMOVED = Symbol('removed') as unknown as Json;

function deleteAt(doc: Json, path: Json[]): Json {
  if (path.length === 0) return REMOVED;
  const parent = parentOf(doc, path);
  const last = path[path.length - 1] as Json;
  childOf(parent, last);
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length), 1);
  else if (parent instanceof RegoSet) parent.items.splice(memberIndex(parent, last), 1);
  else delete (parent as Record<string, Json>)[last as string];
  return doc;
}

const renderAt = (doc: Json, path: Json[]): Json =>
  path.reduce<Json>((node, segment) => childOf(node, segment), doc);

/** Returns json.patch(target, operations): RFC 6902 as OPA's evaluator applies it (topdown/json.go). */
function jsonPatch(target: unknown, operations: unknown): Json {
  if (!Array.isArray(operations)) throw new TypeError('operations must be an array');
  let doc = copyOf(target as Json);
  // Each copy of the root doubles the document: 22 copies of 1.5 KB took minutes.
  let size = nodeCount(doc, MAX_PATCH_NODES);
  const grow = (chunk: Json): Json => {
    size += nodeCount(chunk, MAX_PATCH_NODES);
    if (size > MAX_PATCH_NODES)
      throw new BuiltinLimitError(`json.patch: more than ${MAX_PATCH_NODES} values`);
    return chunk;
  };
  for (const operation of operations as unknown[]) {
    if (!isObject(operation) || !('path' in operation) || typeof operation.op !== 'string')
      throw new Error('bad operation');
    const path = patchPath(operation.path);
    const value = (): Json => {
      if (!('value' in operation)) throw new Error("missing required attribute 'value'");
      return operation.value;
    };
    const from = (): Json[] => {
      if (!('from' in operation)) throw new Error("missing required attribute 'from'");
      return patchPath(operation.from);
    };
    if (operation.op === 'add') doc = insertAt(doc, path, grow(value()));
    else if (operation.op === 'remove') doc = deleteAt(doc, path);
    else if (operation.op === 'replace') doc = insertAt(deleteAt(doc, path), path, grow(value()));
    else if (operation.op === 'move') {
      const source = from();
      const chunk = renderAt(doc, source);
      doc = insertAt(deleteAt(doc, source), path, chunk);
    } else if (operation.op === 'copy') doc = insertAt(doc, path, grow(renderAt(doc, from())));
    else if (operation.op === 'test') {
      if (!equal(renderAt(doc, path), value())) throw new Error('test failed');
    } else throw new Error(`unrecognized op: '${operation.op}'`);
  }
  if (doc === REMOVED) throw new Error('the patch removed the whole document');
  return doc;
}

/** OPA's json.patch. */
export const jsonPatchBuiltins: BuiltinTable = {
  'json.patch': (_, target, operations) => jsonPatch(target, operations),
};
