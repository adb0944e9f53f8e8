import { answersOfBoth, type BuiltinCase } from '../../helpers/builtin-oracle';

const VALID = [
  {},
  {
    type: 'object',
    properties: { a: { type: 'string', minLength: 1 }, b: { type: 'integer' } },
    required: ['a'],
  },
  {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'array',
    items: { type: 'number' },
    minItems: 1,
  },
  { $schema: 'http://json-schema.org/draft-04/schema#', type: 'string', pattern: '^[a-z]+$' },
  { $schema: 'http://json-schema.org/draft-06/schema#', const: 'x' },
  {
    definitions: { id: { type: 'string', format: 'uuid' } },
    properties: { id: { $ref: '#/definitions/id' } },
  },
  { anyOf: [{ type: 'null' }, { enum: ['a', 'é', 1] }], not: { const: 2 } },
  { type: ['string', 'null'], maxLength: 10, format: 'email' },
  {
    properties: { tags: { type: 'array', uniqueItems: true, items: { type: 'string' } } },
    additionalProperties: false,
  },
  { if: { properties: { a: { const: 1 } } }, then: { required: ['b'] }, else: { required: ['c'] } },
  { patternProperties: { '^x-': { type: 'string' } }, propertyNames: { maxLength: 5 } },
  { title: 'unknown keywords are ignored', foo: 5 },
];

// Schemas Ajv's draft-07 meta-schema would judge differently from gojsonschema's parser.
const ACCEPTED_BY_GOJSONSCHEMA = [
  { exclusiveMinimum: true, minimum: 1 },
  { $schema: 'http://json-schema.org/draft-04/schema#', exclusiveMaximum: true, maximum: 1 },
  { id: 'x' },
  { enum: [] },
  { type: [] },
  { allOf: [] },
  { anyOf: [] },
  { $schema: 'https://json-schema.org/draft/2020-12/schema' },
  { $schema: 'http://example.com/custom' },
  { examples: 5, readOnly: 'x', $comment: 5, contentMediaType: 5, default: 1 },
  { dependencies: { a: ['b'], c: { required: ['d'] } } },
  { required: [] },
  { items: [{ type: 'string' }, true], additionalItems: false },
  { properties: { a: true, b: false, self: { $ref: '#' } } },
  { $ref: '#/definitions/a', type: 'not checked beside a $ref', definitions: { a: { type: 'string' } } },
  { pattern: '\\p{L}+\\z' },
  { propertyNames: { maxLength: 3 }, contains: { const: null } },
  { $schema: 'http://json-schema.org/draft-04/schema#', propertyNames: 5, contains: 5, if: 5 },
  { maxItems: 1, minItems: 2 },
];

const INVALID = [
  { type: 'foo' },
  { type: 'object', properties: { a: { type: 'string', minLength: -1 } } },
  { required: 'a' },
  { $ref: '#/definitions/missing' },
  { pattern: '(?<=a)b' },
  { properties: 5 },
  { items: 'string' },
  { minimum: 'one' },
  { allOf: {} },
  { type: ['string', 'string'] },
  { $schema: 'http://json-schema.org/draft-04/schema#', exclusiveMinimum: 5 },
  { $schema: 'http://json-schema.org/draft-07/schema#', exclusiveMinimum: true, minimum: 1 },
  { exclusiveMaximum: true },
  { $schema: 5 },
  { $schema: 'http://json-schema.org/draft-04/schema#', properties: { a: true } },
  { minLength: 3, maxLength: 2 },
  { minProperties: 3, maxProperties: 2 },
  { maxLength: 1.5 },
  { multipleOf: 0 },
  { multipleOf: '2' },
  { required: ['a', 'a'] },
  { enum: [1, 2, 1] },
  { enum: 'a' },
  { uniqueItems: 'yes' },
  { dependencies: { a: [1] } },
  { dependencies: { a: 'b' } },
  { patternProperties: { '(?<=a)': {} } },
  { patternProperties: { a: 5 } },
  { additionalProperties: 'no' },
  { definitions: { a: 5 } },
  { items: [5] },
  { not: 5 },
  { oneOf: [{}, 5] },
  { propertyNames: 5 },
  { if: 5 },
  { title: 5 },
  { format: 5 },
  { $id: 5 },
  { $ref: 5 },
  { $ref: '#/definitions/a/b', definitions: { a: {} } },
  { $ref: '#/definitions/a', definitions: { a: 5 } },
  { properties: { a: { $ref: '#/properties/b' }, b: { minimum: 'x' } } },
  { minimum: '1' },
  { maximum: null },
];

function cases(): BuiltinCase[] {
  const list: BuiltinCase[] = [];
  VALID.forEach((_, i) => list.push({ expr: `json.verify_schema(input.valid[${i}])` }));
  VALID.forEach((_, i) => list.push({ expr: `json.verify_schema(json.marshal(input.valid[${i}]))` }));
  ACCEPTED_BY_GOJSONSCHEMA.forEach((_, i) => list.push({ expr: `json.verify_schema(input.accepted[${i}])` }));
  INVALID.forEach((_, i) => list.push({ expr: `json.verify_schema(input.invalid[${i}])[0]` }));
  list.push(
    { expr: 'json.verify_schema("{bad")' },
    { expr: 'json.verify_schema("true")' },
    { expr: 'json.verify_schema(input.number)' },
  );
  return list;
}

it('accepts the schemas OPA accepts, with [true, null], and refuses those it refuses', async () => {
  const list = cases();
  const answers = await answersOfBoth(list, {
    valid: VALID,
    accepted: ACCEPTED_BY_GOJSONSCHEMA,
    invalid: INVALID,
    number: 3,
  });
  expect(answers.filter((a) => a.opa !== undefined).length).toBe(list.length);
  expect(answers.filter((a) => a.opa === false).length).toBe(INVALID.length);
  for (const answer of answers)
    expect({ expr: answer.expr, value: answer.wasm }).toEqual({ expr: answer.expr, value: answer.opa });
});

// Two faults each: the reason given is for the keyword gojsonschema's parser reads first.
const TWO_FAULTS = [
  { type: 'text', minLength: -1 },
  { maxLength: -2, pattern: 5 },
  { required: [1], minItems: 'a' },
  { enum: 'x', not: 5 },
  { multipleOf: -1, minimum: 'a' },
  { items: 5, multipleOf: 0 },
  { title: 5, definitions: 5 },
  { additionalItems: 'x', propertyNames: 3 },
  { uniqueItems: 1, required: 'r' },
  { $schema: 'http://json-schema.org/draft-04/schema#', exclusiveMaximum: 2, maximum: 'm' },
];

it("gives gojsonschema's reason for a schema OPA refuses, as OPA does", async () => {
  const schemas = [...INVALID, ...TWO_FAULTS];
  const answers = await answersOfBoth(
    schemas.map((_, i) => ({ expr: `json.verify_schema(input.schemas[${i}])` })),
    { schemas },
  );
  expect(answers.filter((a) => Array.isArray(a.opa) && a.opa[0] === false).length).toBe(schemas.length);
  for (const answer of answers)
    expect({ expr: answer.expr, value: answer.wasm }).toEqual({ expr: answer.expr, value: answer.opa });
});
