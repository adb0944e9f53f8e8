/**
 * Canonical JSON, the exact bytes the hash chain covers: object keys sorted by UTF-16 code units,
 * no whitespace, strings and numbers as ECMAScript's JSON.stringify writes them. These are the
 * rules of RFC 8785 (JCS), so any JCS implementation reproduces our hashes.
 */

/** Thrown for values that have no single JSON spelling (NaN, Infinity, bigint, functions, cycles). */
export class CanonicalJsonError extends TypeError {}

/** Returns the canonical JSON text of a JSON-compatible value; throws CanonicalJsonError otherwise. */
export function canonicalJson(value: unknown): string {
  const out = write(value, []);
  if (out === undefined) throw new CanonicalJsonError('canonical JSON: the top-level value is not JSON');
  return out;
}

// Returns undefined for values JSON omits from objects (undefined, functions, symbols), as JSON.stringify
// does. `ancestors` is the path of open containers, to refuse cycles; it stays as shallow as the value.
function write(value: unknown, ancestors: object[]): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      // JSON.stringify would quietly write null; a hashed document must not change meaning like that.
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`canonical JSON: ${value} has no JSON form`);
      // For finite numbers JSON.stringify is Number::toString, which is what String() calls.
      return String(value);
    case 'bigint':
      throw new CanonicalJsonError('canonical JSON: a bigint has no JSON form');
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  const object = value as Record<string, unknown> & { toJSON?: () => unknown };
  if (typeof object.toJSON === 'function') return write(object.toJSON(), ancestors);
  if (ancestors.includes(object)) throw new CanonicalJsonError('canonical JSON: the value is circular');
  ancestors.push(object);
  let out: string;
  if (Array.isArray(object)) {
    out = '[';
    for (let i = 0; i < object.length; i++) {
      out += `${i > 0 ? ',' : ''}${write(object[i], ancestors) ?? 'null'}`;
    }
    out += ']';
  } else {
    out = '{';
    // Default sort compares UTF-16 code units, which is what RFC 8785 prescribes.
    for (const key of Object.keys(object).sort()) {
      const member = write(object[key], ancestors);
      if (member !== undefined) out += `${out.length > 1 ? ',' : ''}${quote(key)}:${member}`;
    }
    out += '}';
  }
  ancestors.pop();
  return out;
}

// Characters JSON.stringify escapes: quote, backslash, controls, and surrogates (lone ones are escaped;
// pairs are not, but are rare enough to take the slow path too).
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

// Most keys and strings need no escaping, and JSON.stringify of a lone string was the single largest
// cost of canonicalJson in CPU profiles of /v1/decide: quote those directly.
function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}
