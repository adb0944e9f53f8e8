import type { Builtin, EvaluationContext } from './builtin';
import { headerUsable, tokenHeader } from './jwt-header';
import { policyKeys, type PolicyKey } from './jwt-keys';
import { verifiedByKeys } from './jwt-signature';
import { base64urlBytes, jsonObject, objectOf, tokenParts } from './jwt-token';

/** The constraints object of `io.jwt.decode_verify`, read as OPA reads it. */
interface Constraints {
  keys?: PolicyKey[];
  secret: string;
  alg: string;
  iss: string;
  aud: string;
  /** Nanoseconds since the epoch; the evaluation's time when not given. */
  time: number;
}

const UNVERIFIED = [false, {}, {}];

/**
 * io.jwt.decode_verify(token, constraints): [valid, header, payload]. Invalid tokens and unmet constraints give
 * `[false, {}, {}]`; malformed tokens and constraints make the call undefined, as in OPA.
 */
export const decodeVerify: Builtin = (context, token, options) => {
  const constraints = constraintsOf(options, context);
  let text = token;
  for (;;) {
    const parts = tokenParts(text);
    const decoded = jsonObject(parts.header, 'header');
    const header = tokenHeader(decoded);
    if (!headerUsable(header)) return UNVERIFIED;
    if (constraints.alg !== '' && constraints.alg !== header.alg) return UNVERIFIED;
    const signature = base64urlBytes(parts.signature);
    // A secret is a key like any other, without alg or kid: OPA verifies with it under the header's alg.
    const keys = constraints.keys ?? [{ key: Buffer.from(constraints.secret), alg: '', kid: '' }];
    if (!verifiedByKeys(keys, header, header.alg, { parts, signature })) return UNVERIFIED;
    const payloadText = base64urlBytes(parts.payload).toString('utf8');
    // A nested token (RFC 7519 §5.2): the inner one must verify under the same constraints.
    if (header.cty.toLowerCase() === 'jwt') {
      text = payloadText;
      continue;
    }
    const payload = objectOf(payloadText, 'payload');
    return claimsHold(payload, constraints) ? [true, decoded, payload] : UNVERIFIED;
  }
};

function constraintsOf(options: unknown, context: EvaluationContext): Constraints {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error('operand 2 must be an object');
  }
  const constraints: Constraints = { secret: '', alg: '', iss: '', aud: '', time: Number(context.nowNs) };
  for (const [name, value] of Object.entries(options)) {
    if (name === 'cert') constraints.keys = policyKeys(stringConstraint(name, value));
    else if (name === 'secret' || name === 'alg' || name === 'iss' || name === 'aud') {
      constraints[name] = stringConstraint(name, value);
    } else if (name === 'time') {
      if (typeof value !== 'number' || value < 0)
        throw new Error('token time constraint: must be a non-negative number');
      constraints.time = value;
    } else throw new Error(`unknown token validation constraint: ${name}`);
  }
  const keyConstraints = (constraints.keys ? 1 : 0) + (constraints.secret !== '' ? 1 : 0);
  if (keyConstraints !== 1)
    throw new Error(keyConstraints > 1 ? 'duplicate key constraints' : 'no key constraint');
  return constraints;
}

function stringConstraint(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new Error(`${name} constraint: must be a string`);
  return value;
}

// RFC 7519 §4.1: iss and aud as constrained (a token with an audience needs the constraint to name it), exp
// and nbf against the constraint's time, in seconds.
function claimsHold(payload: Record<string, unknown>, constraints: Constraints): boolean {
  if (constraints.iss !== '' && payload.iss !== constraints.iss) return false;
  if ('aud' in payload) {
    const aud = payload.aud;
    const named =
      typeof aud === 'string' ? aud === constraints.aud : Array.isArray(aud) && aud.includes(constraints.aud);
    if (!named) return false;
  } else if (constraints.aud !== '') return false;
  const now = constraints.time / 1e9;
  if ('exp' in payload) {
    if (typeof payload.exp !== 'number') throw new Error('exp value must be a number');
    if (now >= payload.exp) return false;
  }
  if ('nbf' in payload) {
    if (typeof payload.nbf !== 'number') throw new Error('nbf value must be a number');
    if (now < payload.nbf) return false;
  }
  return true;
}
