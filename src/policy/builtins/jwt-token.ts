import { stringOperand } from './strings';

/** A compact JWS split into its three base64url parts, as OPA splits it (no decoding yet). */
export interface TokenParts {
  header: string;
  payload: string;
  signature: string;
}

/** Returns the token's three parts; throws unless it is a string with exactly two full stops. */
export function tokenParts(token: unknown): TokenParts {
  const parts = stringOperand(token).split('.');
  if (parts.length !== 3) throw new Error(`encoded JWT must have 3 sections, found ${parts.length}`);
  return { header: parts[0]!, payload: parts[1]!, signature: parts[2]! };
}

/** Returns the bytes of base64url text, padded or not, refusing what Go's decoder refuses. */
export function base64urlBytes(text: string): Buffer {
  const unpadded = text.replace(/={1,2}$/, '');
  const padding = text.length - unpadded.length;
  if (!/^[A-Za-z0-9_-]*$/.test(unpadded) || unpadded.length % 4 === 1) throw new Error('illegal base64 data');
  if (padding > 0 && (text.length % 4 !== 0 || padding !== (4 - (unpadded.length % 4)) % 4)) {
    throw new Error('illegal base64 data');
  }
  return Buffer.from(unpadded, 'base64url');
}

/** Returns the JSON object a base64url part holds; throws for other JSON, and for JWE headers (`enc`). */
export function jsonObject(part: string, what: 'header' | 'payload'): Record<string, unknown> {
  return objectOf(base64urlBytes(part).toString('utf8'), what);
}

/** Returns the JSON object in `text`; throws for other JSON, and for JWE headers (`enc`). */
export function objectOf(text: string, what: 'header' | 'payload'): Record<string, unknown> {
  const value = JSON.parse(text) as unknown;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`JWT ${what}: decoded JSON type was not an Object`);
  }
  if (what === 'header' && 'enc' in value) throw new Error('JWT is a JWE object, which is not supported');
  return value as Record<string, unknown>;
}
