import { type BuiltinCase, describeAgainstOpa } from '../../helpers/builtin-oracle';

// OPA patches a set by its members: a path segment names the member itself, an add must name the value it
// adds, and the result is still a set. These cases read the set back sorted, since OPA's JSON lists a set
// sorted and the module lists it in hash order; `is_set` proves that a set came back.
const input = { ops: [{ op: 'remove', path: '/owners' }], key: 'k' };
const UNDEFINED = 'is undefined where OPA refuses the patch';

const expr = (text: string): BuiltinCase => ({ expr: text });

const groups: Record<string, BuiltinCase[]> = {
  'names a member of a set by the member itself': [
    expr(
      'sort(json.patch({"owners": {"ana", "bo", "cy"}}, [{"op": "remove", "path": "/owners/bo"}]).owners)',
    ),
    expr(
      'sort(json.patch({"owners": {"ana"}}, [{"op": "add", "path": "owners/dee", "value": "dee"}]).owners)',
    ),
    expr(
      'sort(json.patch({"owners": {"ana"}}, [{"op": "add", "path": "/owners/ana", "value": "ana"}]).owners)',
    ),
    expr('sort(json.patch({"owners": {"ana"}}, [{"op": "add", "path": "/owners/-", "value": "-"}]).owners)'),
    expr('sort(json.patch({"x", "y"}, [{"op": "remove", "path": "/x"}]))'),
    expr('sort(json.patch({"ids": {7, 8}}, [{"op": "remove", "path": ["ids", 8]}]).ids)'),
    expr('sort(json.patch({["r", 1]}, [{"op": "add", "path": [["r", 1], 2], "value": "w"}]))'),
    expr(
      'sort(json.patch({"s": {{"id": 1}}}, [{"op": "add", "path": ["s", {"id": 1}, "on"], "value": true}]).s)',
    ),
    expr(
      'sort(json.patch({"owners": {"ana", "bo"}}, [{"op": "replace", "path": "/owners/bo", "value": "bo"}]).owners)',
    ),
    {
      expr: '[sort(moved.from), sort(moved.to)]',
      rules:
        'moved := json.patch({"from": {"p", "q"}, "to": {"r"}}, [{"op": "move", "from": "/from/p", "path": "/to/p"}])',
    },
    expr('is_set(json.patch({"owners": {"ana"}}, []).owners)'),
    expr('json.patch({"s": {3, 4}}, [{"op": "test", "path": "/s", "value": {4, 3}}]).s == {3, 4}'),
  ],
  [UNDEFINED]: [
    expr('json.patch({"owners": {"ana"}}, [{"op": "add", "path": "/owners/dee", "value": "eve"}])'),
    expr('json.patch({"owners": {"ana", "bo"}}, [{"op": "replace", "path": "/owners/bo", "value": "eve"}])'),
    expr('json.patch({"owners": {"ana"}}, [{"op": "remove", "path": "/owners/zed"}])'),
    expr('json.patch({"ids": {7, 8}}, [{"op": "remove", "path": "/ids/8"}])'),
    expr('json.patch({"s": {3, 4}}, [{"op": "test", "path": "/s", "value": [3, 4]}])'),
    expr('json.patch({"owners": 1}, [{"op": "remove", "path": {"owners"}}])'),
    // The type checker refuses a set of operations written out; one built from input reaches the builtin.
    expr('json.patch({"owners": 1}, object.get({"k": {op | some op in input.ops}}, input.key, []))'),
  ],
};

describeAgainstOpa(groups, UNDEFINED, input);
