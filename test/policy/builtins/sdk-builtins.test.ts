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
    'yaml.is_valid("a: 1\\n---\\nb: 2\\n")',
    'yaml.unmarshal("a: 1\\n---\\nb: 2\\n")',
    'yaml.is_valid("a: 1\\n---\\nb: [\\n")',
    'yaml.unmarshal("a: 1\\n---\\nb: [\\n")',
    'yaml.is_valid(input.n)',
  ];
  const answers = await answersOfBoth(
    exprs.map((expr) => ({ expr })),
    { n: 1 },
  );
  expect(answers.filter((a) => a.opa !== undefined)).toHaveLength(exprs.length - 3);
  for (const a of answers) expect({ expr: a.expr, value: a.wasm }).toEqual({ expr: a.expr, value: a.opa });
});
