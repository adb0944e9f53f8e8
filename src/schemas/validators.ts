import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { decideRequestSchema, type DecideRequestV1 } from './decide-request.schema';
import { decisionDocumentSchema, type DecisionV1 } from './decision-document.schema';

/** One validation problem: where (RFC 6901 pointer into the document) and what, in plain words. */
export interface ValidationProblem {
  pointer: string;
  message: string;
}

// One Ajv instance, every validator compiled once at module load, never per request.
const ajv = new Ajv({ allErrors: true, strict: true, strictTuples: false, allowUnionTypes: true });
addFormats(ajv);

/** A compiled validator that narrows its input to T or returns every problem. */
export interface Validator<T> {
  (value: unknown): value is T;
  problems(value: unknown): ValidationProblem[];
}

/**
 * Returns a validator compiled once for a schema. A schema with an `$id` the shared instance already
 * holds (compiled on its own, or embedded in another schema) is taken from it: Ajv refuses to compile
 * a second schema under a known id, and which module loads first must not matter.
 */
export function compileValidator<T>(schema: object): Validator<T> {
  const id = (schema as { $id?: string }).$id;
  const validate: ValidateFunction = (id !== undefined && ajv.getSchema(id)) || ajv.compile(schema);
  const check = ((value: unknown) => validate(value)) as Validator<T>;
  check.problems = (value) => (validate(value) ? [] : toProblems(validate.errors ?? []));
  return check;
}

export const validateDecideRequest = compileValidator<DecideRequestV1>(decideRequestSchema);
export const validateDecisionDocument = compileValidator<DecisionV1>(decisionDocumentSchema);

function toProblems(errors: ErrorObject[]): ValidationProblem[] {
  // anyOf/if branches repeat the same complaint at the same place; keep the most specific first.
  const seen = new Set<string>();
  const problems: ValidationProblem[] = [];
  const alternatives = missingAlternatives(errors);
  for (const error of errors) {
    if (error.keyword === 'if' || error.keyword === 'anyOf') continue;
    const merged = alternatives.get(error);
    if (merged === null) continue;
    const problem = merged ?? describe(error);
    const key = `${problem.pointer} ${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  if (problems.length === 0 && errors[0]) problems.push(describe(errors[0]));
  return problems;
}

/**
 * An anyOf whose every branch failed only for a missing member says one thing: give one of them. Its first
 * branch's error becomes "/subject is required, or else /evaluations/0/subject is" and the others are dropped (null),
 * where listed one by one they read as if each were needed.
 */
function missingAlternatives(errors: ErrorObject[]): Map<ErrorObject, ValidationProblem | null> {
  const merged = new Map<ErrorObject, ValidationProblem | null>();
  for (const anyOf of errors.filter((e) => e.keyword === 'anyOf')) {
    const branches = errors.filter((e) => e.schemaPath.startsWith(`${anyOf.schemaPath}/`));
    if (branches.length < 2 || !branches.every((e) => e.keyword === 'required')) continue;
    const [first, ...others] = branches.map(describe);
    const or = others.map((p) => `, or else ${p.pointer} is`).join('');
    merged.set(branches[0]!, { pointer: first!.pointer, message: `is required${or}` });
    for (const other of branches.slice(1)) merged.set(other, null);
  }
  return merged;
}

function describe(error: ErrorObject): ValidationProblem {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return {
        pointer: `${error.instancePath}/${escape(String(params.missingProperty))}`,
        message: `is required`,
      };
    case 'additionalProperties':
      return {
        pointer: `${error.instancePath}/${escape(String(params.additionalProperty))}`,
        message: 'is not allowed here',
      };
    case 'enum':
      return {
        pointer: error.instancePath || '/',
        message: `must be one of ${(params.allowedValues as unknown[]).join(', ')}`,
      };
    default:
      return { pointer: error.instancePath || '/', message: error.message ?? 'is invalid' };
  }
}

function escape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
