import type { Builtin } from './builtin';
import { goJson } from './go-json';
import { parseJwks } from './jwk-parse';
import { SIGNING_ALGORITHMS, signWithJwk } from './jwk-sign';
import { lenientObject } from './lenient-json';
import { stringOperand } from './strings';

/**
 * Returns the compact JWS of header and payload texts signed with the first key of JWK (set) text, as OPA's
 * commonBuiltinJWTEncodeSign makes it: the header's `alg` must be one OPA knows; a payload that is not JSON
 * needs a `typ` other than JWT; the header and payload are signed as given, byte for byte.
 */
function encodeSign(headerText: string, payloadText: string, keyText: string): string {
  const [key] = parseJwks(keyText);
  if (key === undefined) throw new Error('no keys found in JWK set');
  const header = lenientObject(headerText);
  const alg = header.string('alg');
  if (alg === undefined) throw new Error("missing or invalid 'alg' header");
  if (!SIGNING_ALGORITHMS.has(alg)) throw new Error(`unknown JWS algorithm: ${alg}`);
  const typ = header.string('typ');
  if ((typ === undefined || typ === 'JWT') && !isJson(payloadText)) {
    throw new Error('type is JWT but payload is not JSON');
  }
  const input = `${base64url(headerText)}.${base64url(payloadText)}`;
  return `${input}.${signWithJwk(key, alg, input).toString('base64url')}`;
}

const base64url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * io.jwt.encode_sign(headers, payload, key): each operand is written as Go's json.Marshal writes OPA's JSON of
 * it (keys sorted, sets as arrays, numbers as written), so an HS*, RS* or EdDSA token is OPA's to the byte.
 */
export const jwtEncodeSign: Builtin = (_context, headers, payload, key) =>
  encodeSign(goJson(headers), goJson(payload), goJson(key));

/** io.jwt.encode_sign_raw(headers, payload, key): the three operands are JSON text, signed as given. */
export const jwtEncodeSignRaw: Builtin = (_context, headers, payload, key) =>
  encodeSign(stringOperand(headers), stringOperand(payload), stringOperand(key));
