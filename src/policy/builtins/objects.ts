import type { BuiltinTable } from './builtin';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: unknown): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
// Own members only: "constructor" or "__proto__" is an ordinary key in a Rego object.
const hasKey = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/** Returns whether two JSON values are equal, object members in any order (OPA's term equality on JSON). */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => hasKey(b, k) && jsonEqual(a[k], b[k]));
  }
  return a === b;
}

/** Returns a negative, zero or positive number as OPA orders two JSON values (null < boolean < number < string < array < object). */
function compareJson(a: unknown, b: unknown): number {
  const rank = (v: unknown): number =>
    v === null ? 0 : Array.isArray(v) ? 4 : ({ boolean: 1, number: 2, string: 3 }[typeof v as string] ?? 5);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  if (typeof a === 'boolean' || typeof a === 'number') return Number(a) - Number(b);
  // Go compares strings as bytes; UTF-16 order differs for characters beyond the BMP.
  if (typeof a === 'string') return Buffer.compare(Buffer.from(a), Buffer.from(b as string));
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compareJson(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).sort(compareJson);
    const kb = Object.keys(b).sort(compareJson);
    for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
      const [x, y] = [ka[i] as string, kb[i] as string];
      const c = compareJson(x, y) || compareJson(a[x], b[y]);
      if (c !== 0) return c;
    }
    return ka.length - kb.length;
  }
  return 0;
}

/** Returns the values sorted in OPA's order without duplicates: how a Rego set of them would be listed. */
function asSortedSet<T>(values: T[]): T[] {
  const sorted = [...values].sort(compareJson);
  return sorted.filter((v, i) => i === 0 || compareJson(sorted[i - 1], v) !== 0);
}

const contains = (list: unknown[], value: unknown): boolean => list.some((x) => jsonEqual(x, value));
// A Rego set reaches us without duplicates, so an array with one cannot have been a set.
const canBeSet = (list: unknown[]): boolean =>
  list.every((x, i) => !list.slice(0, i).some((y) => jsonEqual(x, y)));

// OPA's three readings of object.subset on two collections (topdown/subset.go).
const setSubset = (sup: unknown[], sub: unknown[]): boolean => sub.every((x) => contains(sup, x));

function arraySubset(sup: unknown[], sub: unknown[]): boolean {
  if (sub.length > sup.length) return false;
  for (let start = 0; start + sub.length <= sup.length; start++) {
    if (sub.every((x, i) => jsonEqual(sup[start + i], x))) return true;
  }
  return sub.length === 0;
}

function arraySetSubset(sup: unknown[], sub: unknown[]): boolean {
  // OPA counts matches over the array, so a repeated element counts twice and an empty array never contains
  // the empty set: kept, since this must answer what OPA answers.
  let unmatched = sub.length;
  for (const x of sup) {
    if (contains(sub, x)) unmatched--;
    if (unmatched === 0) return true;
  }
  return false;
}

/** The answers object.subset may have, one per way the arrays in its arguments may have been Rego sets. */
type Answers = Set<boolean>;

function collectionAnswers(sup: unknown[], sub: unknown[], topLevel: boolean): Answers {
  const answers: Answers = new Set([arraySubset(sup, sub)]);
  if (canBeSet(sub) && canBeSet(sup)) answers.add(setSubset(sup, sub));
  // An array super-value with a set sub-value is a reading OPA has only for the arguments themselves.
  if (topLevel && canBeSet(sub)) answers.add(arraySetSubset(sup, sub));
  return answers;
}

function objectAnswers(sup: Record<string, Json>, sub: Record<string, Json>): Answers {
  let canBeTrue = true;
  let canBeFalse = false;
  for (const [key, value] of Object.entries(sub)) {
    if (!hasKey(sup, key)) return new Set([false]);
    const other = sup[key];
    if (jsonEqual(other, value)) continue;
    const answers =
      isObject(other) && isObject(value)
        ? objectAnswers(other, value)
        : Array.isArray(other) && Array.isArray(value)
          ? collectionAnswers(other, value, false)
          : new Set([false]);
    canBeTrue &&= answers.has(true);
    canBeFalse ||= answers.has(false);
  }
  return new Set([...(canBeTrue ? [true] : []), ...(canBeFalse ? [false] : [])]);
}

/**
 * Returns object.subset(sup, sub). A Rego set arrives here as an array, so where arrays meet OPA may have
 * compared two arrays (contiguous sub-array), two sets (membership) or an array and a set (membership counted over
 * the array): every reading the arguments allow is computed, and where they disagree the call throws (undefined),
 * since answering either could be wrong, e.g. object.subset([1, 2, 3], [1, 3]) is false for arrays, true for sets.
 */
function objectSubset(sup: unknown, sub: unknown): boolean {
  let answers: Answers;
  if (isObject(sup) && isObject(sub)) answers = objectAnswers(sup, sub);
  else if (Array.isArray(sup) && Array.isArray(sub)) answers = collectionAnswers(sup, sub, true);
  else throw new TypeError('both arguments object.subset must be of the same type or array and set');
  if (answers.size !== 1) throw new Error('the answer depends on which arrays were sets');
  return answers.has(true);
}

/** Returns the paths graph.reachable_paths finds (topdown/reachable.go); a Rego set, so sorted and unique. */
function reachablePaths(graph: unknown, initial: unknown): Json[][] {
  if (!isObject(graph)) throw new TypeError('graph must be an object');
  if (!Array.isArray(initial)) throw new TypeError('initial vertices must be an array or a set');
  // Object keys are strings: a vertex of another type is never in the graph.
  const edgesOf = (node: Json): Json | undefined =>
    typeof node === 'string' && hasKey(graph, node) ? graph[node] : undefined;
  const neighbours = (edges: Json): Json[] => (Array.isArray(edges) ? edges : []);
  const paths: Json[][] = [];
  const walk = (root: Json, path: Json[], reached: Json[]): void => {
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
  return asSortedSet(paths);
}

function goJsonString(s: string): string {
  // Go's encoding/json also escapes < > & (for HTML) and U+2028/U+2029 (for JavaScript), as \u00XX.
  return JSON.stringify(s).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Returns a number as OPA prints it: integers in full, exponents without a plus sign. */
function goNumber(n: number): string {
  return String(n).replace('e+', 'e');
}

/** Returns a value as Go's json.Marshal (indent undefined) or json.MarshalIndent writes it. */
function goJson(value: unknown, indent?: { prefix: string; unit: string }, depth = 0): string {
  const open = indent ? `\n${indent.prefix}${indent.unit.repeat(depth + 1)}` : '';
  const close = indent ? `\n${indent.prefix}${indent.unit.repeat(depth)}` : '';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${value.map((v) => open + goJson(v, indent, depth + 1)).join(',')}${close}]`;
  }
  if (isObject(value)) {
    // Go writes a map's keys sorted as byte strings.
    const keys = Object.keys(value).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
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
    if (operation.op === 'add') doc = insertAt(doc, path, value());
    else if (operation.op === 'remove') doc = deleteAt(doc, path);
    else if (operation.op === 'replace') doc = insertAt(deleteAt(doc, path), path, value());
    else if (operation.op === 'move') {
      const source = from();
      const chunk = renderAt(doc, source);
      doc = insertAt(deleteAt(doc, source), path, chunk);
    } else if (operation.op === 'copy') doc = insertAt(doc, path, renderAt(doc, from()));
    else if (operation.op === 'test') {
      if (!jsonEqual(renderAt(doc, path), value())) throw new Error('test failed');
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
