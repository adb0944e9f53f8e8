import type { BuiltinTable } from './builtin';
import { isRegoObject } from './rego-value';
import { checkSchemaDocument, SchemaError, type Draft } from './json-schema-keywords';

// The drafts gojsonschema knows by their `$schema`.
const DRAFTS: Record<string, Draft> = {
  'http://json-schema.org/draft-04/schema': 4,
  'http://json-schema.org/draft-06/schema': 6,
  'http://json-schema.org/draft-07/schema': 7,
};

const fail = (why: string): never => {
  throw new SchemaError(why);
};

/** Returns the schema a json.verify_schema argument holds: JSON text is parsed, an object taken as it is. */
function schemaOf(value: unknown): unknown {
  if (typeof value === 'string') {
    try {
      return JSON.parse(value);
    } catch {
      return fail('invalid JSON string');
    }
  }
  if (typeof value === 'object' && value !== null) return value;
  return fail('wrong type, expected string or object');
}

/**
 * Returns OPA's json.verify_schema answer: [true, null] for a schema OPA compiles, else [false, message].
 * The message is gojsonschema's for the first fault its parser meets, as OPA's.
 */
function verifySchema(value: unknown): [boolean, string | null] {
  try {
    const schema = schemaOf(value);
    const uri = isRegoObject(schema) ? schema.$schema : undefined;
    if (uri !== undefined && typeof uri !== 'string') fail('$schema must be of type string');
    const draft = DRAFTS[typeof uri === 'string' ? uri.replace(/#$/, '') : ''] ?? 'hybrid';
    checkSchemaDocument(schema, draft);
    return [true, null];
  } catch (error) {
    if (!(error instanceof SchemaError)) throw error;
    return [false, `jsonschema: ${error.message}`];
  }
}

/** OPA's json.verify_schema; json.match_schema is left out (its error objects are gojsonschema's own). */
export const jsonSchemaBuiltins: BuiltinTable = {
  'json.verify_schema': (_, schema) => verifySchema(schema),
};
