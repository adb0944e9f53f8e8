import Ajv from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { buildOpenApiDocument } from '../../src/schemas/openapi';

// Every example the OpenAPI document gives must be valid where it stands: generated clients, mock servers and
// schemathesis' examples phase send them as they are. The status bundle's example lacked three required
// members until redocly's linter said so.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const document = buildOpenApiDocument() as { [key: string]: Json };

// A schema and the examples it holds, with where it stands; `$id`s are dropped (the same embedded schema appears
// under several components) and `#/components/...` references resolve against the document's components.
function schemasWithExamples(node: Json, where: string, found: { where: string; schema: Json }[]): void {
  if (Array.isArray(node)) node.forEach((item, i) => schemasWithExamples(item, `${where}/${i}`, found));
  else if (node !== null && typeof node === 'object') {
    if (Array.isArray(node.examples) && ('type' in node || 'properties' in node || '$ref' in node))
      found.push({ where, schema: node });
    for (const [key, value] of Object.entries(node))
      if (key !== 'examples') schemasWithExamples(value, `${where}/${key}`, found);
  }
  return;
}

function withoutIds(node: Json): Json {
  if (Array.isArray(node)) return node.map(withoutIds);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k]) => k !== '$id')
      .map(([k, v]) => [k, withoutIds(v)]),
  );
}

const found: { where: string; schema: Json }[] = [];
schemasWithExamples(document, '#', found);

test('the document has examples to check (the precondition)', () => {
  expect(found.length).toBeGreaterThan(100);
});

test.each(found.map((f) => [f.where, f.schema] as const))(
  'the examples at %s are valid',
  (_where, schema) => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const { examples, ...rest } = withoutIds(schema) as { examples: Json[] };
    const validate = ajv.compile({ ...rest, components: withoutIds(document.components!) });
    for (const example of examples) {
      const ok = validate(example);
      expect({ example, errors: ok ? [] : validate.errors }).toEqual({ example, errors: [] });
    }
  },
);
