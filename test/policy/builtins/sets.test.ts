import { answersOfBoth } from '../../helpers/builtin-oracle';

// Host builtins read their operands from the module's Rego dump and answer Rego values: a set stays a set both
// ways, which the SDK's JSON hand-over lost (an object.subset or a cidr_contains_matches key could differ).
it('hands sets to host builtins and back as sets, as OPA evaluates them', async () => {
  const answers = await answersOfBoth(
    [
      { expr: 'count(net.cidr_expand("10.0.0.0/30") & {"10.0.0.1", "10.9.9.9"})' },
      { expr: 'net.cidr_merge(["10.0.0.0/25", "10.0.0.128/25"]) == {"10.0.0.0/24"}' },
      { expr: 'net.cidr_contains_matches({"10.0.0.0/8", "192.168.0.0/16"}, input.ips)', set: true },
      { expr: 'net.cidr_contains_matches({["10.0.0.0/8", "corp"]}, {"10.1.2.3"})', set: true },
      { expr: 'graph.reachable_paths({"a": ["b"], "b": []}, {"a"}) == {["a", "b"]}' },
      { expr: 'sprintf("%v %v %v", [{"b", "a"}, set(), {"k": {3, 1}}])' },
      { expr: 'sprintf("%v|%f|%d|%v", [1.0, 1.0, 12345678901234567890123, 1e400])' },
      { expr: 'strings.any_prefix_match({"svc-", "job-"}, "job-7")' },
      { expr: 'object.subset({"a", "b", "c"}, {"c", "a"})' },
    ],
    { ips: ['10.1.2.3', '192.168.5.5', '8.8.8.8'] },
  );
  expect(answers.every((a) => a.opa !== undefined)).toBe(true);
  for (const a of answers) expect({ expr: a.expr, value: a.wasm }).toEqual({ expr: a.expr, value: a.opa });
});

it('reads every number and string form the module writes, and orders numbers by value', async () => {
  const answers = await answersOfBoth([
    { expr: 'sprintf("%v %v %v", [to_number(".5"), to_number("5."), to_number("-.5e-3")])' },
    { expr: 'sprintf("%v", [{10, 9, 100, 2.5, "a"}])' },
    { expr: 'sprintf("%v", [{{{{{{1}}}}}}])' },
    { expr: 'count(json.patch([to_number("5.")], []))' },
  ]);
  for (const a of answers) expect({ expr: a.expr, value: a.wasm }).toEqual({ expr: a.expr, value: a.opa });
});

it('makes a result with no Rego form an undefined call, never a failed evaluation', async () => {
  const answers = await answersOfBoth(
    [{ expr: 'json.patch([1e300 * 1e300], [])' }, { expr: 'yaml.unmarshal(input.text)' }],
    { text: 'a: "\\ud800"' },
  );
  expect(answers.map((a) => a.wasm)).toEqual([undefined, { a: '\ufffd' }]);
});

it('fails the evaluation on input too deep for a builtin, rather than let a deny rule pass', async () => {
  let doc: unknown = 1;
  for (let i = 0; i < 2_600; i++) doc = [doc];
  const [deny] = await answersOfBoth([{ expr: 'count(json.patch(input.doc, [])) > 0' }], { doc }).catch(
    (err: Error) => [{ wasm: err.message, opa: undefined }],
  );
  expect(String(deny?.wasm)).toMatch(/policy evaluation failed|stack/);
});

it('gives a key that is not a string its Rego text', async () => {
  const [answer] = await answersOfBoth([{ expr: 'sprintf("%v", [{1: "a"}])' }]);
  expect(answer).toMatchObject({ wasm: '{"1": "a"}', opa: '{1: "a"}' });
});

it('prints numbers in json.marshal_with_options as they are written, as OPA', async () => {
  const [answer] = await answersOfBoth([
    { expr: 'json.marshal_with_options({"a": 1.0, "b": 1e3, "c": 12345678901234567890, "s": {3, 1}}, {})' },
  ]);
  expect(answer?.wasm).toEqual(answer?.opa);
  expect(answer?.wasm).toBe('{"a":1.0,"b":1e3,"c":12345678901234567890,"s":[1,3]}');
});
