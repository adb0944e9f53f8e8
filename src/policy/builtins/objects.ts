import { BuiltinLimitError, type BuiltinTable } from './builtin';
import { goJson } from './go-json';
import { compareRegoValues, isRegoObject, RegoSet } from './rego-value';

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

/** OPA's object.subset, json.marshal_with_options and graph.reachable_paths. */
export const objectBuiltins: BuiltinTable = {
  'object.subset': (_, sup, sub) => objectSubset(sup, sub),
  'json.marshal_with_options': (_, value, options) => marshalWithOptions(value, options),
  'graph.reachable_paths': (_, graph, initial) => reachablePaths(graph, initial),
};
