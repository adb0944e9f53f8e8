import RE2 from 're2';
import type { BuiltinTable } from './builtin';
import { isRegoObject } from './rego-value';

// OPA compiles a schema with gojsonschema, which never checks it against a meta-schema (its loader's Validate
// is off): a schema is refused only by the checks its parser makes on each keyword it knows, under the draft
// `$schema` names (draft 4, 6 or 7; any other value, or none, is its "hybrid" mode, which takes either form).
// Ajv checks the draft-07 meta-schema instead and so refuses schemas OPA accepts (`"enum": []`, `"type": []`,
// `"examples": 5`, a 2020-12 `$schema`, draft-04's boolean `exclusiveMinimum`) and accepts some OPA refuses
// (`minLength` above `maxLength`): the checks below follow gojsonschema's parser instead.

type Draft = 4 | 6 | 7 | 'hybrid';
type Schema = Record<string, unknown>;

const DRAFTS: Record<string, Draft> = {
  'http://json-schema.org/draft-04/schema': 4,
  'http://json-schema.org/draft-06/schema': 6,
  'http://json-schema.org/draft-07/schema': 7,
};
const TYPES = ['array', 'boolean', 'integer', 'null', 'number', 'object', 'string'];

class SchemaError extends Error {}

const isMap = (v: unknown): v is Schema => isRegoObject(v);
const atLeast = (draft: Draft, version: 6 | 7): boolean => draft === 'hybrid' || draft >= version;
const fail = (why: string): never => {
  throw new SchemaError(why);
};

/** One schema document being checked: its root (for `$ref`), its draft, and the references already followed. */
interface Check {
  root: unknown;
  draft: Draft;
  followed: Set<string>;
}

function checkSchema(node: unknown, check: Check, draft: Draft = check.draft): void {
  if (typeof node === 'boolean' && atLeast(draft, 6)) return;
  if (!isMap(node)) return fail('schema must be an object');
  const has = (key: string): boolean => Object.prototype.hasOwnProperty.call(node, key);
  const sub = (key: string, value: unknown = node[key]): void => {
    if (!isMap(value) && typeof value !== 'boolean') fail(`${key} must be a schema`);
    checkSchema(value, check, draft);
  };
  const idKey = draft === 4 || (draft === 'hybrid' && has('id')) ? 'id' : '$id';
  const strings = (keys: string[]): void =>
    keys.forEach((key) => has(key) && typeof node[key] !== 'string' && fail(`${key} must be a string`));
  strings([idKey, 'title', 'description']);
  if (has('definitions')) {
    if (!isMap(node.definitions)) fail('definitions must be an object');
    for (const definition of Object.values(node.definitions as Schema)) sub('definitions', definition);
  }
  // gojsonschema stops at a $ref: the keywords beside it are not read.
  if (has('$ref')) return followRef(node.$ref, check);
  checkType(node.type, has('type'));
  strings(['format', 'pattern']);
  if (has('properties')) {
    if (!isMap(node.properties)) fail('properties must be an object');
    for (const property of Object.values(node.properties as Schema)) sub('properties', property);
  }
  for (const key of ['additionalProperties', 'additionalItems', 'not']) if (has(key)) sub(key);
  for (const key of atLeast(draft, 6) ? ['propertyNames', 'contains'] : []) if (has(key)) sub(key);
  for (const key of atLeast(draft, 7) ? ['if', 'then', 'else'] : []) if (has(key)) sub(key);
  if (has('patternProperties')) {
    if (!isMap(node.patternProperties)) fail('patternProperties must be an object');
    for (const [pattern, value] of Object.entries(node.patternProperties as Schema)) {
      compileGoRegexp(pattern);
      sub('patternProperties', value);
    }
  }
  if (has('dependencies')) checkDependencies(node.dependencies, sub);
  if (has('items')) {
    if (Array.isArray(node.items)) node.items.forEach((item: unknown) => sub('items', item));
    else sub('items');
  }
  if (has('multipleOf') && !(typeof node.multipleOf === 'number' && node.multipleOf > 0))
    fail('multipleOf must be above 0');
  checkBounds(node, draft);
  const bounds: [string, string][] = [
    ['minLength', 'maxLength'],
    ['minProperties', 'maxProperties'],
    ['minItems', 'maxItems'],
  ];
  for (const [min, max] of bounds) {
    for (const key of [min, max]) {
      if (has(key) && !(Number.isSafeInteger(node[key]) && (node[key] as number) >= 0))
        fail(`${key} must be >= 0`);
    }
    // gojsonschema compares the string and property bounds, not the item bounds.
    if (min !== 'minItems' && has(min) && has(max) && (node[min] as number) > (node[max] as number))
      fail(`${min} > ${max}`);
  }
  if (has('pattern')) compileGoRegexp(node.pattern as string);
  if (has('uniqueItems') && typeof node.uniqueItems !== 'boolean') fail('uniqueItems must be a boolean');
  uniqueList(node.required, has('required'), (v) => typeof v === 'string');
  uniqueList(node.enum, has('enum'), () => true);
  for (const key of ['oneOf', 'anyOf', 'allOf']) {
    if (!has(key)) continue;
    if (!Array.isArray(node[key])) fail(`${key} must be an array`);
    for (const member of node[key] as unknown[]) checkSchema(member, check, draft);
  }
}

function checkType(type: unknown, present: boolean): void {
  if (!present) return;
  const list = Array.isArray(type) ? type : [type];
  if (typeof type !== 'string' && !Array.isArray(type)) fail('type must be a string or an array');
  list.forEach((t, i) => {
    if (typeof t !== 'string' || !TYPES.includes(t) || list.indexOf(t) !== i) fail('type is not valid');
  });
}

function checkBounds(node: Schema, draft: Draft): void {
  for (const [bound, exclusive] of [
    ['minimum', 'exclusiveMinimum'],
    ['maximum', 'exclusiveMaximum'],
  ] as const) {
    if (bound in node && typeof node[bound] !== 'number') fail(`${bound} must be a number`);
    if (!(exclusive in node)) continue;
    const value = node[exclusive];
    // Draft 4 takes only the boolean form, drafts 6 and 7 only the number, hybrid either.
    const ok =
      typeof value === 'boolean'
        ? draft === 4 || draft === 'hybrid'
        : typeof value === 'number' && draft !== 4;
    if (!ok) fail(`${exclusive} has the wrong type`);
    if (typeof value === 'boolean' && !(bound in node)) fail(`${exclusive} needs ${bound}`);
  }
}

function checkDependencies(dependencies: unknown, sub: (key: string, value: unknown) => void): void {
  if (!isMap(dependencies)) return fail('dependencies must be an object');
  for (const value of Object.values(dependencies)) {
    if (Array.isArray(value))
      value.forEach((v) => typeof v === 'string' || fail('dependency must be a string'));
    else sub('dependencies', value);
  }
}

function uniqueList(list: unknown, present: boolean, allowed: (v: unknown) => boolean): void {
  if (!present) return;
  if (!Array.isArray(list)) return fail('must be an array');
  const seen = new Set<string>();
  for (const value of list) {
    const key = canonicalJson(value);
    if (!allowed(value) || seen.has(key)) fail('items must be unique');
    seen.add(key);
  }
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isMap(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function compileGoRegexp(pattern: string): void {
  try {
    // RE2 is the engine of Go's regexp: a pattern Go cannot compile (a lookbehind) is refused as OPA refuses it.
    new RE2(pattern, 'u');
  } catch {
    fail('pattern must be a valid regex');
  }
}

/** Follows a `$ref` within the document; one that leaves it is refused (modelgate fetches no schemas). */
function followRef(ref: unknown, check: Check): void {
  if (typeof ref !== 'string') return fail('$ref must be a string');
  if (!ref.startsWith('#')) return fail('remote references are not fetched');
  if (check.followed.has(ref)) return;
  check.followed.add(ref);
  let target = check.root;
  let pointer = '';
  try {
    pointer = decodeURIComponent(ref.slice(1));
  } catch {
    fail('invalid reference');
  }
  for (const token of pointer === '' ? [] : pointer.replace(/^\//, '').split('/')) {
    const key = token.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(target) && /^\d+$/.test(key)) target = target[Number(key)];
    else if (isMap(target) && Object.prototype.hasOwnProperty.call(target, key)) target = target[key];
    else fail(`Object has no key '${key}'`);
  }
  if (!isMap(target) && typeof target !== 'boolean') fail('a reference must name a schema');
  checkSchema(target, check);
}

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
 * The message is modelgate's, not gojsonschema's: a policy should branch on the boolean only.
 */
function verifySchema(value: unknown): [boolean, string | null] {
  try {
    const schema = schemaOf(value);
    const uri = isMap(schema) ? schema.$schema : undefined;
    if (uri !== undefined && typeof uri !== 'string') fail('$schema must be a string');
    const draft = DRAFTS[typeof uri === 'string' ? uri.replace(/#$/, '') : ''] ?? 'hybrid';
    checkSchema(schema, { root: schema, draft, followed: new Set() });
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
