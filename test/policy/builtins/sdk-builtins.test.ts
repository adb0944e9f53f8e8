import { answersOfBoth } from '../../helpers/builtin-oracle';

// The SDK's own JavaScript builtins threw where OPA's answer or are undefined, failing the whole evaluation.
it("answers the SDK's own builtins as OPA does where they used to fail the evaluation", async () => {
  const exprs = [
    'yaml.unmarshal("a: [")',
    'yaml.unmarshal("a: 1\\nb: [x, y]")',
    'yaml.is_valid("a: [")',
    'yaml.is_valid("a: 1")',
    'json.is_valid("{")',
    'json.is_valid("{}")',
    'yaml.marshal({"a": [1, "x"]})',
    'regex.split("a", "xay")',
    'regex.split("(?i)a", "xAy")',
    'regex.split("(,)", "a,b,,c")',
    'regex.split("x*", "axbxxc")',
    'regex.split("", "abc")',
    'regex.split("a", "")',
    'regex.split("[", "a")',
  ];
  const answers = await answersOfBoth(exprs.map((expr) => ({ expr })));
  expect(answers.filter((a) => a.opa !== undefined)).toHaveLength(exprs.length - 2);
  for (const a of answers) expect({ expr: a.expr, value: a.wasm }).toEqual({ expr: a.expr, value: a.opa });
});
