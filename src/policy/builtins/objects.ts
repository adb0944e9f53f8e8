import { BuiltinLimitError, type BuiltinTable } from './builtin';
import { compareRegoValues, compareStrings, isRegoObject, RegoNumber, RegoSet } from './rego-value';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: unknown): v is Record<string, Json> => isRegoObject(v);
// Own members only: "constructor" or "__proto__" is an ordinary key in a Rego object.
const hasKey = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/** Returns the values sorted in OPA's order without duplicates: how a Rego set of them would be listed. */
function asSortedSet<T>(values: T[]): T[] {
  const sorted = [...values].sort(compareRegoValues);
  return sorted.filter((v, i) => i === 0 || compareRegoValues(sorted[i - 1], v) !== 0);
}

const equal = (a: unknown, b: unknown): boolean => compareRegoValues(a, b) === 0;
const contains = (list: unknown[], value: unknown): boolean => list.some((x) => equal(x, value));

// object.subset's readings, as OPA's topdown/subset.go; sets arrive as RegoSet (index.ts, READS_SETS).
const setSubset = (sup: RegoSet, sub: RegoSet): boolean =>
  sub.items.every((x) => sup.items.some((y) => equal(x, y)));

function arraySubset(sup: unknown[], sub: unknown[]): boolean {
  if (sub.length > sup.length) return false;
  for (let start = 0; start + sub.length <= sup.length; start++) {
    if (sub.every((x, i) => equal(sup[start + i], x))) return true;
  }
  return sub.length === 0;
}

function arraySetSubset(sup: unknown[], sub: RegoSet): boolean {
  // OPA counts matches over the array, so a repeated element counts twice and an empty array never contains
  // the empty set: kept, since this must answer what OPA answers.
  let unmatched = sub.items.length;
  for (const x of sup) {
    if (sub.items.some((y) => equal(x, y))) unmatched--;
    if (unmatched === 0) return true;
  }
  return false;
}

function objectSubsetOf(sup: Record<string, unknown>, sub: Record<string, unknown>): boolean {
  return Object.entries(sub).every(([key, value]) => {
    if (!hasKey(sup, key)) return false;
    const other = sup[key];
    if (equal(other, value)) return true;
    if (isObject(other) && isObject(value)) return objectSubsetOf(other, value);
    if (other instanceof RegoSet && value instanceof RegoSet) return setSubset(other, value);
    if (Array.isArray(other) && Array.isArray(value)) return arraySubset(other, value);
    return false;
  });
}

/** Returns object.subset(sup, sub) as OPA answers it: objects recursively, sets by membership, arrays as runs. */
function objectSubset(sup: unknown, sub: unknown): boolean {
  if (isObject(sup) && isObject(sub)) return objectSubsetOf(sup, sub);
  if (sup instanceof RegoSet && sub instanceof RegoSet) return setSubset(sup, sub);
  if (Array.isArray(sup) && Array.isArray(sub)) return arraySubset(sup, sub);
  if (Array.isArray(sup) && sub instanceof RegoSet) return arraySetSubset(sup, sub);
  throw new TypeError('both arguments object.subset must be of the same type or array and set');
}

// Bounds on work an attacker's input could make exponential; past them the evaluation fails (a deny).
const MAX_WALK = 20_000;
const MAX_PATCH_NODES = 100_000;

/** Returns how many values `value` holds, counting at most to `limit` (a copied subtree counts each time). */
function nodeCount(value: unknown, limit: number): number {
  let count = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0 && count <= limit) {
    const next = pending.pop();
    count++;
    if (Array.isArray(next)) pending.push(...next);
    else if (isObject(next)) pending.push(...Object.values(next));
  }
  return count;
}

/** Returns the paths graph.reachable_paths finds (topdown/reachable.go); a Rego set, so sorted and unique. */
function reachablePaths(graph: unknown, initial: unknown): RegoSet {
  if (!isObject(graph)) throw new TypeError('graph must be an object');
  if (!Array.isArray(initial)) throw new TypeError('initial vertices must be an array or a set');
  // Object keys are strings: a vertex of another type is never in the graph.
  const edgesOf = (node: Json): Json | undefined =>
    typeof node === 'string' && hasKey(graph, node) ? graph[node] : undefined;
  const neighbours = (edges: Json): Json[] => (Array.isArray(edges) ? edges : []);
  const paths: Json[][] = [];
  let steps = 0;
  const walk = (root: Json, path: Json[], reached: Json[]): void => {
    // Paths can be exponential in the graph's size (layers of vertices joined to both of the next).
    if (++steps > MAX_WALK) throw new BuiltinLimitError(`graph.reachable_paths: more than ${MAX_WALK} steps`);
    const edges = edgesOf(root);
    if (edges === undefined) return void paths.push(path);
    const here = [...path, root];
    if (neighbours(edges).length === 0) return void paths.push(here);
    const reachedHere = [...reached, root];
    for (const next of neighbours(edges)) {
      if (contains(reachedHere, next)) paths.push(here);
      else walk(next, here, reachedHere);
    }
  };
  for (const node of initial as Json[]) {
    const edges = edgesOf(node);
    if (edges === undefined) continue;
    if (neighbours(edges).length === 0) paths.push([node]);
    for (const next of neighbours(edges)) walk(next, [node], [node]);
  }
  return new RegoSet(asSortedSet(paths));
}

function goJsonString(s: string): string {
  // Go's encoding/json also escapes < > & (for HTML) and U+2028/U+2029 (for JavaScript), as \u00XX.
  return JSON.stringify(s).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Returns a number as OPA prints it: as written in the policy or data (1.0, 1e3, 30 digits). */
function goNumber(n: number | RegoNumber): string {
  return n instanceof RegoNumber ? n.text : String(n).replace('e+', 'e');
}

/** Returns a value as Go's json.Marshal (indent undefined) or json.MarshalIndent writes it. */
function goJson(value: unknown, indent?: { prefix: string; unit: string }, depth = 0): string {
  const open = indent ? `\n${indent.prefix}${indent.unit.repeat(depth + 1)}` : '';
  const close = indent ? `\n${indent.prefix}${indent.unit.repeat(depth)}` : '';
  if (value instanceof RegoNumber) return goNumber(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${value.map((v) => open + goJson(v, indent, depth + 1)).join(',')}${close}]`;
  }
  if (isObject(value)) {
    // Go writes a map's keys sorted as byte strings.
    const keys = Object.keys(value).sort(compareStrings);
    if (keys.length === 0) return '{}';
    const sep = indent ? ': ' : ':';
    return `{${keys.map((k) => open + goJsonString(k) + sep + goJson(value[k], indent, depth + 1)).join(',')}${close}}`;
  }
  if (typeof value === 'string') return goJsonString(value);
  if (typeof value === 'number') return goNumber(value);
  return JSON.stringify(value);
}

function marshalWithOptions(value: unknown, options: unknown): string {
  if (!isObject(options)) throw new TypeError('options must be an object');
  let prefix = '';
  let unit = '\t';
  let implicitPretty = false;
  let pretty: boolean | undefined;
  for (const [key, option] of Object.entries(options)) {
    if (key === 'pretty' && typeof option === 'boolean') pretty = option;
    else if ((key === 'prefix' || key === 'indent') && typeof option === 'string') {
      if (key === 'prefix') prefix = option;
      else unit = option;
      implicitPretty = true;
    } else throw new Error(`bad option ${key}`);
  }
  // A prefix or an indent asks for pretty output unless "pretty" says otherwise; Go does not prefix line one.
  return (pretty ?? implicitPretty) ? prefix + goJson(value, { prefix, unit }) : goJson(value);
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

function childOf(node: Json, segment: Json): Json {
  if (Array.isArray(node)) {
    const i = arrayIndex(segment, node.length);
    if (i < 0 || i >= node.length) throw new Error('index out of range');
    return node[i] as Json;
  }
  if (isObject(node) && typeof segment === 'string' && hasKey(node, segment)) return node[segment] as Json;
  throw new Error('path not found');
}

function insertAt(doc: Json, path: Json[], value: Json): Json {
  if (path.length === 0) return structuredClone(value);
  const parent = parentOf(doc, path);
  const last = path[path.length - 1] as Json;
  if (Array.isArray(parent)) {
    const i = arrayIndex(last, parent.length);
    if (i < 0 || i > parent.length) throw new Error('index out of range');
    parent.splice(i, 0, structuredClone(value));
  } else if (isObject(parent) && typeof last === 'string') {
    // Defined, not assigned: assigning "__proto__" would replace the prototype instead of adding a member.
    Object.defineProperty(parent, last, {
      value: structuredClone(value),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else throw new Error('cannot insert here');
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
  else delete (parent as Record<string, Json>)[last as string];
  return doc;
}

const renderAt = (doc: Json, path: Json[]): Json =>
  path.reduce<Json>((node, segment) => childOf(node, segment), doc);

/** Returns json.patch(target, operations): RFC 6902 as OPA's evaluator applies it (topdown/json.go). */
function jsonPatch(target: unknown, operations: unknown): Json {
  if (!Array.isArray(operations)) throw new TypeError('operations must be an array');
  let doc = structuredClone(target) as Json;
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

/** OPA's object.subset, json.patch, json.marshal_with_options and graph.reachable_paths. */
export const objectBuiltins: BuiltinTable = {
  'object.subset': (_, sup, sub) => objectSubset(sup, sub),
  'json.patch': (_, target, operations) => jsonPatch(target, operations),
  'json.marshal_with_options': (_, value, options) => marshalWithOptions(value, options),
  'graph.reachable_paths': (_, graph, initial) => reachablePaths(graph, initial),
};
