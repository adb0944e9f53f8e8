import type { Request } from 'express';
import { ReasonCode, RequestError } from '../errors';
import { NAME_PATTERN } from '../schemas/decide-request.schema';

const NAME = new RegExp(NAME_PATTERN);

/**
 * Returns a GET route's query parameters as strings, each one of `names`, given once, not empty and without
 * control characters; throws RequestError 400 bad_request saying which rule it broke. An empty value (`?from=`)
 * is refused rather than read as "no filter": it is most often a client's unset variable, and the OpenAPI
 * document says minLength 1.
 */
export function readQuery<Name extends string>(
  req: Request,
  names: readonly Name[],
  noun = 'parameter',
): Partial<Record<Name, string>> {
  const values: Partial<Record<Name, string>> = {};
  for (const [key, value] of Object.entries(req.query)) {
    if (!(names as readonly string[]).includes(key))
      throw new RequestError(ReasonCode.BadRequest, 400, `unknown ${noun} "${key}"; use ${names.join(', ')}`);
    if (typeof value !== 'string') throw new RequestError(ReasonCode.BadRequest, 400, `give ${key} once`);
    if (value === '')
      throw new RequestError(ReasonCode.BadRequest, 400, `${key} is empty; leave it out instead`);
    // No name or time holds one, and PostgreSQL's text cannot: refused alike on every backend.
    if (!NAME.test(value))
      throw new RequestError(ReasonCode.BadRequest, 400, `${key} holds a control character`);
    values[key as Name] = value;
  }
  return values;
}

/** Returns a `limit` query value as a number, or `fallback` when it is absent; 400 unless a whole number in [1, max]. */
export function readLimit(value: string | undefined, max: number, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1 || Number(value) > max)
    throw new RequestError(ReasonCode.BadRequest, 400, `limit must be a whole number from 1 to ${max}`);
  return Number(value);
}
