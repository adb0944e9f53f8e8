import { answersOfBoth, type BuiltinCase } from '../../helpers/builtin-oracle';

// Cases where every reading of the arrays (as arrays or as sets) gives OPA's answer.
const SUBSET_CASES = [
  'object.subset({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": 2}})',
  'object.subset({"a": 1}, {"a": 2})',
  'object.subset({"a": 1}, {"constructor": 1})',
  'object.subset({"__proto__": {"x": 1}, "toString": 2}, {"__proto__": {}, "toString": 2})',
  'object.subset({"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 3})',
  'object.subset({"a": 1, "b": 1, "c": 1, "d": 1, "e": 1}, {"a": 1, "b": 1, "c": 1, "d": 1, "e": 2})',
  'object.subset({"a": 1, "b": 1, "c": 1, "d": 1, "e": 1}, {"a": 2, "b": 1, "c": 1, "d": 1, "e": 1})',
  'object.subset({"a": 1, "b": {"x": 1}}, {"a": 1, "b": {"x": 1, "y": 2}})',
  'object.subset({"a": [1, 2], "b": [5]}, {"a": [1, 2], "b": [6]})',
  'object.subset({"a": 1}, {"b": 1})',
  'object.subset({"a": 1}, {})',
  'object.subset({}, {})',
  'object.subset({"a": [1, 2, 3]}, {"a": [2, 3]})',
  'object.subset({"a": [1, 2, 3]}, {"a": [4]})',
  'object.subset({"a": {"b": [1, 2, 3, 2]}}, {"a": {"b": [3, 2]}})',
  'object.subset({"a": {"x": "é"}}, {"a": "é"})',
  'object.subset([1, 2, 3, 4], [2, 3])',
  'object.subset([1, 2, 3], [4])',
  'object.subset([1, 2, 3], [])',
  'object.subset([1, 2, 2, 3], [2, 2])',
  'object.subset([[1], {"a": 1}], [{"a": 1}])',
  'object.subset({1, 2, 3}, {2, 3})',
  'object.subset({1, 2, 3}, {4})',
  'object.subset([1, 2, 3], {2})',
  'object.subset({"a": 1}, input.v.one)',
  'object.subset(input.v.n, input.v.n)',
  'object.subset(input.v.s, input.v.s)',
];

const PATHS_CASES = [
  'graph.reachable_paths({"a": ["b"], "b": ["c"], "c": []}, ["a"])',
  'graph.reachable_paths({"a": ["b", "c"], "b": ["d"], "c": ["d"], "d": []}, {"a"})',
  'graph.reachable_paths({"a": ["b"], "b": ["a"]}, ["a"])',
  'graph.reachable_paths({"a": ["a"]}, ["a"])',
  'graph.reachable_paths({"a": ["x"], "b": []}, ["a", "b", "zz"])',
  'graph.reachable_paths({"a": {"b"}, "b": {"c", "d"}, "c": set(), "d": ["a"]}, ["a", "d"])',
  'graph.reachable_paths(input.v.oddGraph, ["a", "b"])',
  'graph.reachable_paths({"é": ["😀"], "😀": ["ü"], "ü": []}, ["é"])',
  'graph.reachable_paths({"1": ["2"], "2": []}, [1, "1"])',
  'graph.reachable_paths({}, [])',
  'graph.reachable_paths(input.v.empty, ["a"])',
  'graph.reachable_paths({"a": []}, input.v.s)',
];

const MARSHAL_CASES = [
  'json.marshal_with_options({"b": [1, 2.5, {"z": null, "y": true}], "a": {}, "c": []}, {})',
  'json.marshal_with_options({"b": [1, 2.5, {"z": null, "y": true}], "a": {}, "c": []}, {"pretty": true})',
  'json.marshal_with_options({"b": [1, "x"], "a": {"k": "v"}}, {"indent": "  ", "prefix": "> "})',
  'json.marshal_with_options({"b": [1]}, {"indent": "  ", "pretty": false})',
  'json.marshal_with_options({"b": [1]}, {"prefix": "//"})',
  'json.marshal_with_options([], {"pretty": true})',
  'json.marshal_with_options("x", {"pretty": true, "prefix": "p"})',
  'json.marshal_with_options(input.texts, {"indent": "\\t"})',
  'json.marshal_with_options({"é": 1, "e": 2, "😀": 3, "\\uffff": 4, "Z": 5}, {"pretty": true})',
  'json.marshal_with_options({"big": 12345678901, "neg": -3, "frac": 0.25, "zero": 0}, {})',
  'json.marshal_with_options({"__proto__": 1, "constructor": [2]}, {"pretty": true, "indent": "  "})',
  'json.marshal_with_options({"a": 1}, {"indent": input.v.n})',
  'json.marshal_with_options({"a": 1}, {"pretty": input.v.s})',
  'json.marshal_with_options({"a": 1}, {"other": true})',
  'json.marshal_with_options({"a": 1}, input.v.empty)',
];

const PATCH_CASES = [
  'json.patch({"a": 1}, [{"op": "add", "path": "", "value": 5}])',
  'json.patch({"a": 1}, [{"op": "add", "path": "/", "value": 5}])',
  'json.patch({"a": 1}, [{"op": "add", "path": "//b", "value": 5}])',
  'json.patch({"a": 1}, [{"op": "add", "path": "/a", "value": {"n": [1]}}])',
  'json.patch([1, 2], [{"op": "add", "path": "/-", "value": 5}])',
  'json.patch([1, 2, 3, 4], [{"op": "remove", "path": "/1e0"}])',
  'json.patch([1, 2, 3, 4], [{"op": "remove", "path": "/.1e1"}])',
  'json.patch([1, 2, 3, 4], [{"op": "remove", "path": "/1.0"}])',
  'json.patch([1, 2], [{"op": "add", "path": "/2", "value": 5}])',
  'json.patch([1, 2], [{"op": "add", "path": "/0", "value": 5}])',
  'json.patch([1, 2], [{"op": "add", "path": "/3", "value": 5}])',
  'json.patch([1, 2], [{"op": "add", "path": "/01", "value": 5}])',
  'json.patch([1, 2], [{"op": "add", "path": "/-1", "value": 5}])',
  'json.patch([1, 2], [{"op": "add", "path": "/1.0", "value": 5}])',
  'json.patch([1, 2], [{"op": "add", "path": "/+1", "value": 5}])',
  'json.patch([1, 2], [{"op": "add", "path": "/ 1", "value": 5}])',
  'json.patch([1, 2], [{"op": "add", "path": "/x", "value": 5}])',
  'json.patch([1, 2], [{"op": "add", "path": [1], "value": 5}])',
  'json.patch([1, 2], [{"op": "add", "path": [1.5], "value": 5}])',
  'json.patch({"a": [1, 2]}, [{"op": "add", "path": ["a", "1"], "value": 9}])',
  'json.patch([1, 2], [{"op": "remove", "path": "/-"}])',
  'json.patch([1, 2], [{"op": "remove", "path": "/2"}])',
  'json.patch([1, 2, 3], [{"op": "remove", "path": "/1"}])',
  'json.patch({"a": 1}, [{"op": "remove", "path": "/b"}])',
  'json.patch({"a": 1, "b": 2}, [{"op": "remove", "path": "/b"}])',
  'json.patch({"a": 1}, [{"op": "replace", "path": "", "value": 3}])',
  'json.patch({"a": 1}, [{"op": "replace", "path": "/a", "value": 3}])',
  'json.patch({"a": 1}, [{"op": "replace", "path": "/b", "value": 3}])',
  'json.patch([1, 2], [{"op": "replace", "path": "/0", "value": 3}])',
  'json.patch({"a": {"b": 1}}, [{"op": "add", "path": "/x/y", "value": 3}])',
  'json.patch({"a": {"b": 1}}, [{"op": "move", "from": "/a", "path": "/a/c"}])',
  'json.patch({"a": {"b": 1}}, [{"op": "move", "from": "/a/b", "path": "/c"}])',
  'json.patch([1, 2, 3], [{"op": "move", "from": "/0", "path": "/-"}])',
  'json.patch({"a": {"b": 1}}, [{"op": "copy", "from": "/a", "path": "/c"}])',
  'json.patch({"a": {"b": 1}}, [{"op": "copy", "from": "/zz", "path": "/c"}])',
  'json.patch({"a": {"b": 1}}, [{"op": "copy", "path": "/c"}])',
  'json.patch({"a": [1]}, [{"op": "test", "path": "/a", "value": [1]}])',
  'json.patch({"a": [1]}, [{"op": "test", "path": "/a", "value": [2]}])',
  'json.patch({"a": {"x": 1, "y": 2}}, [{"op": "test", "path": "/a", "value": {"y": 2, "x": 1}}])',
  'json.patch({"a": 1}, [{"op": "nope", "path": "/a"}])',
  'json.patch({"a": 1}, [{"path": "/a"}])',
  'json.patch({"a": 1}, [{"op": "add", "value": 1}])',
  'json.patch({"a": 1}, [{"op": "add", "path": "/b"}])',
  'json.patch({"a": 1}, [{"op": "add", "path": "/a/b", "value": 1}])',
  'json.patch({"a": "str"}, [{"op": "add", "path": "/a/0", "value": 1}])',
  'json.patch({"a/b": 1, "m~n": 2}, [{"op": "remove", "path": "/a~1b"}, {"op": "replace", "path": "/m~0n", "value": 3}])',
  'json.patch({"é": {"😀": 1}}, [{"op": "move", "from": "/é/😀", "path": "/ü"}])',
  'json.patch({"a": 1}, [])',
  'json.patch({"a": 1}, [{"op": "add", "path": "/__proto__", "value": {"polluted": true}}])',
  'json.patch({"a": 1}, [{"op": "remove", "path": "/constructor"}])',
  'json.patch(input.v.n, [{"op": "add", "path": "/a", "value": 9}])',
  'json.patch({"a": 1}, [{"op": "add", "path": "/a", "value": 5}, {"op": "test", "path": "/a", "value": 5}])',
  'json.patch({"a": 1}, [{"op": "add", "path": "/b", "value": 5}, {"op": "test", "path": "/b", "value": 6}])',
  'json.patch({"a": 1}, input.v.empty)',
  'json.patch({"a": 1}, [input.v.n])',
];

const TEXTS = ['<tag> & "quotes"', 'line\nbreak\ttab\u0001\u007f', 'sep\u2028\u2029', 'é 日本 😀', '\\back'];

function cases(): BuiltinCase[] {
  return [...SUBSET_CASES, ...PATHS_CASES, ...MARSHAL_CASES, ...PATCH_CASES].map((expr) => ({
    expr,
    set: expr.startsWith('graph.reachable_paths'),
  }));
}

it('answers object.subset, json.patch, graph.reachable_paths and json.marshal_with_options as OPA does', async () => {
  const list = cases();
  const answers = await answersOfBoth(list, {
    texts: TEXTS,
    v: { one: [1], n: 1, s: 'a', empty: [], oddGraph: { a: null, b: 'c' } },
  });
  const defined = answers.filter((a) => a.opa !== undefined);
  expect(defined.length).toBeGreaterThan(list.length * 0.6);
  for (const answer of answers)
    expect({ expr: answer.expr, value: answer.wasm }).toEqual({ expr: answer.expr, value: answer.opa });
});

it('tells sets from arrays in object.subset, as OPA does, also where an attacker controls one side', async () => {
  const answers = await answersOfBoth(
    [
      { expr: 'object.subset([1, 2, 3], [1, 3])' },
      { expr: 'object.subset({1, 2, 3}, {1, 3})' },
      { expr: 'object.subset({"a": [1, 2, 3]}, {"a": [3, 1]})' },
      { expr: 'object.subset([], set())' },
      { expr: 'object.subset(input.roles, {"admin", "root"})' },
      { expr: 'object.subset({"groups": ["root", "admin"]}, {"groups": {"admin", "root"}})' },
      { expr: 'object.subset({"a": {1, 2, 3, 4}}, {"a": {4, 1}})' },
    ],
    { roles: ['admin', 'x', 'root'] },
  );
  expect(answers.map((a) => a.opa)).toEqual([false, true, false, false, true, false, true]);
  expect(answers.map((a) => a.wasm)).toEqual(answers.map((a) => a.opa));
});
