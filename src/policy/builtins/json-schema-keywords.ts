import RE2 from 're2';
import { isRegoObject } from './rego-value';

// OPA compiles a schema with gojsonschema, which never checks it against a meta-schema (its loader's Validate
// is off): a schema is refused only by the checks its parser makes on each keyword it knows, under the draft
// `$schema` names (draft 4, 6 or 7; any other value, or none, is its "hybrid" mode, which takes either form).
// Ajv checks the draft-07 meta-schema instead and so refuses schemas OPA accepts (`"enum": []`, `"type": []`,
// `"examples": 5`, a 2020-12 `$schema`, draft-04's boolean `exclusiveMinimum`) and accepts some OPA refuses
// (`minLength` above `maxLength`): the checks below follow gojsonschema's parser instead.

/** The draft a schema's `$schema` names; any other value, or none, is gojsonschema's hybrid mode. */
export type Draft = 4 | 6 | 7 | 'hybrid';
type Schema = Record<string, unknown>;

// In gojsonschema's order, which its message for an unknown type lists.
const TYPES = ['array', 'boolean', 'integer', 'number', 'null', 'object', 'string'];

/** Thrown where gojsonschema's parser refuses a schema; the message is its own. */
export class SchemaError extends Error {}

const isMap = (v: unknown): v is Schema => isRegoObject(v);
const isSchema = (v: unknown): boolean => isMap(v) || typeof v === 'boolean';
const atLeast = (draft: Draft, version: 6 | 7): boolean => draft === 'hybrid' || draft >= version;
const fail = (why: string): never => {
  throw new SchemaError(why);
};
// The message texts are gojsonschema's (its English locale), so a policy that shows the reason shows OPA's.
const invalidType = (expected: string, given: string): never =>
  fail(`Invalid type. Expected: ${expected}, given: ${given}`);
const NOT_A_SCHEMA = 'Expected: Valid Schema, given: Invalid JSON';

/** One schema document being checked: its root (for `$ref`), its draft, and the references already followed. */
interface Check {
  root: unknown;
  draft: Draft;
  followed: Set<string>;
}

/** One schema object being checked: its keywords, and how to check a subschema under it. */
interface Node {
  schema: Schema;
  has(key: string): boolean;
  sub(value: unknown): void;
  draft: Draft;
}

// The keywords in the order gojsonschema's parser reads them: where a schema has several faults, the first
// one reported is the one OPA reports.
function checkSchema(value: unknown, check: Check, draft: Draft = check.draft): void {
  if (typeof value === 'boolean' && atLeast(draft, 6)) return;
  if (!isMap(value)) return fail(NOT_A_SCHEMA);
  const node: Node = {
    schema: value,
    has: (key) => Object.prototype.hasOwnProperty.call(value, key),
    sub: (child) => checkSchema(child, check, draft),
    draft,
  };
  stringAt(node, draft === 4 || (draft === 'hybrid' && node.has('id')) ? 'id' : '$id');
  if (node.has('definitions')) checkDefinitions(node);
  stringAt(node, 'title');
  stringAt(node, 'description');
  // gojsonschema stops at a $ref: the keywords beside it are not read.
  if (node.has('$ref')) return followRef(value.$ref, check);
  checkType(node);
  checkSubschemas(node);
  checkNumbers(node);
  checkStrings(node);
  checkObjects(node);
  checkArrays(node);
  checkCombinators(node);
}

function stringAt(node: Node, key: string): void {
  if (node.has(key) && typeof node.schema[key] !== 'string') invalidType('string', key);
}

function checkDefinitions({ schema, sub }: Node): void {
  if (!isMap(schema.definitions)) return invalidType('Array Of Schemas', 'definitions');
  for (const definition of Object.values(schema.definitions)) {
    if (!isSchema(definition)) invalidType('Array Of Schemas', 'definitions');
    sub(definition);
  }
}

function checkType({ schema, has }: Node): void {
  if (!has('type')) return;
  const type = schema.type;
  // gojsonschema names the keyword where it names the expected type, and the other way round.
  if (typeof type !== 'string' && !Array.isArray(type)) return invalidType('type', 'string/Array Of Strings');
  const list: unknown[] = Array.isArray(type) ? type : [type];
  list.forEach((t, i) => {
    if (typeof t !== 'string') invalidType('type', 'string/Array Of Strings');
    if (!TYPES.includes(t as string))
      fail(
        `has a primitive type that is NOT VALID -- given: /${t as string}/ Expected valid values are:[${TYPES.join(' ')}]`,
      );
    if (list.indexOf(t) !== i) fail(`${t as string} type is duplicated`);
  });
}

/** Checks the keywords whose values are schemas: properties, items and the others, in gojsonschema's order. */
function checkSubschemas(node: Node): void {
  const { schema, has, sub, draft } = node;
  if (has('properties')) {
    if (!isMap(schema.properties)) fail('Properties must be of type object');
    Object.values(schema.properties as Schema).forEach(sub);
  }
  schemaOrBoolean(node, 'additionalProperties');
  if (has('patternProperties')) {
    if (!isMap(schema.patternProperties)) invalidType('Valid Schema', 'patternProperties');
    for (const [pattern, value] of Object.entries(schema.patternProperties as Schema)) {
      if (!compilesInGo(pattern)) fail(`Invalid regex pattern '${pattern}'`);
      sub(value);
    }
  }
  if (has('propertyNames') && atLeast(draft, 6)) {
    // gojsonschema names patternProperties here.
    if (!isSchema(schema.propertyNames)) invalidType('Valid Schema', 'patternProperties');
    sub(schema.propertyNames);
  }
  if (has('dependencies')) checkDependencies(schema.dependencies, sub);
  if (has('items')) {
    const items = schema.items;
    if (!Array.isArray(items) && !isSchema(items)) invalidType('Valid Schema/Array Of Schemas', 'items');
    for (const item of Array.isArray(items) ? items : [items]) {
      if (!isSchema(item)) invalidType('Valid Schema/Array Of Schemas', 'items');
      sub(item);
    }
  }
  schemaOrBoolean(node, 'additionalItems');
}

// additionalProperties and additionalItems: a boolean is taken as it is, in every draft.
function schemaOrBoolean({ schema, has, sub }: Node, key: string): void {
  if (!has(key) || typeof schema[key] === 'boolean') return;
  if (!isMap(schema[key])) invalidType('boolean/Valid Schema', key);
  sub(schema[key]);
}

function checkDependencies(dependencies: unknown, sub: (value: unknown) => void): void {
  if (!isMap(dependencies)) return fail('dependencies must be of type object');
  const wrong = 'Dependency must be of type Schema Or Array Of Strings';
  for (const value of Object.values(dependencies)) {
    if (Array.isArray(value)) value.forEach((v) => typeof v === 'string' || fail(wrong));
    else if (isSchema(value)) sub(value);
    else fail(wrong);
  }
}

function checkNumbers({ schema, has, draft }: Node): void {
  if (has('multipleOf')) {
    if (typeof schema.multipleOf !== 'number') invalidType('Number', 'multipleOf');
    if ((schema.multipleOf as number) <= 0) fail('multipleOf must be strictly greater than 0');
  }
  for (const [bound, exclusive] of [
    ['minimum', 'exclusiveMinimum'],
    ['maximum', 'exclusiveMaximum'],
  ] as const) {
    if (has(bound) && typeof schema[bound] !== 'number') fail(`${bound} must be of a Number`);
    if (!has(exclusive)) continue;
    const value = schema[exclusive];
    // Draft 4 takes only the boolean form, drafts 6 and 7 only the number, hybrid either.
    const expected = draft === 4 ? 'boolean' : draft === 'hybrid' ? 'boolean/number' : 'number';
    const ok =
      typeof value === 'boolean'
        ? draft === 4 || draft === 'hybrid'
        : typeof value === 'number' && draft !== 4;
    if (!ok) invalidType(expected, exclusive);
    if (typeof value === 'boolean' && !has(bound)) fail(`${exclusive} cannot be used without ${bound}`);
  }
}

function checkStrings(node: Node): void {
  counts(node, 'minLength', 'maxLength', true);
  stringAt(node, 'pattern');
  if (node.has('pattern') && !compilesInGo(node.schema.pattern as string))
    fail('pattern must be a valid regex');
  stringAt(node, 'format');
}

function checkObjects(node: Node): void {
  counts(node, 'minProperties', 'maxProperties', true);
  uniqueList(node, 'required', (v) => typeof v === 'string' || invalidType('string', 'required'));
}

function checkArrays(node: Node): void {
  // gojsonschema compares the string and property bounds, not the item bounds.
  counts(node, 'minItems', 'maxItems', false);
  if (node.has('uniqueItems') && typeof node.schema.uniqueItems !== 'boolean')
    fail('uniqueItems must be of a boolean');
  if (node.has('contains') && atLeast(node.draft, 6)) node.sub(node.schema.contains);
}

function checkCombinators(node: Node): void {
  const { schema, has, sub, draft } = node;
  uniqueList(node, 'enum', () => true);
  for (const key of ['oneOf', 'anyOf', 'allOf']) {
    if (!has(key)) continue;
    if (!Array.isArray(schema[key])) fail(`${key} must be of an array`);
    (schema[key] as unknown[]).forEach(sub);
  }
  for (const key of atLeast(draft, 7) ? ['not', 'if', 'then', 'else'] : ['not']) {
    if (!has(key)) continue;
    if (!isSchema(schema[key])) fail(`${key} must be of an object`);
    sub(schema[key]);
  }
}

/** Checks a pair of counts (minLength, maxLength): non-negative integers, and, where `ordered`, min ≤ max. */
function counts({ schema, has }: Node, min: string, max: string, ordered: boolean): void {
  for (const key of [min, max]) {
    if (!has(key)) continue;
    if (!Number.isSafeInteger(schema[key])) fail(`${key} must be of an integer`);
    if ((schema[key] as number) < 0) fail(`${key} must be greater than or equal to 0`);
  }
  if (ordered && has(min) && has(max) && (schema[min] as number) > (schema[max] as number))
    fail(`${min} cannot be greater than ${max}`);
}

function uniqueList({ schema, has }: Node, key: string, allowed: (v: unknown) => boolean): void {
  if (!has(key)) return;
  const list = schema[key];
  if (!Array.isArray(list)) return fail(`${key} must be of an array`);
  const seen = new Set<string>();
  for (const value of list) {
    allowed(value);
    const text = canonicalJson(value);
    if (seen.has(text)) fail(`${key} items must be unique`);
    seen.add(text);
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

function compilesInGo(pattern: string): boolean {
  try {
    // RE2 is the engine of Go's regexp: a pattern Go cannot compile (a lookbehind) is refused as OPA refuses it.
    new RE2(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}

/** Follows a `$ref` within the document; one that leaves it is refused (modelgate fetches no schemas). */
function followRef(ref: unknown, check: Check): void {
  if (typeof ref !== 'string') return invalidType('string', '$ref');
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
  if (!isSchema(target)) fail('Valid Schema must be of type object');
  checkSchema(target, check);
}

/** Checks a schema document as gojsonschema's parser does under `draft`; throws SchemaError at the first fault. */
export function checkSchemaDocument(schema: unknown, draft: Draft): void {
  checkSchema(schema, { root: schema, draft, followed: new Set() });
}
