import { compareStrings, isRegoObject, RegoNumber } from './rego-value';

function goJsonString(s: string): string {
  // Go's encoding/json also escapes < > & (for HTML) and U+2028/U+2029 (for JavaScript), as \u00XX.
  return JSON.stringify(s).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Returns a number as OPA prints it: as written in the policy or data (1.0, 1e3, 30 digits). */
function goNumber(n: number | RegoNumber): string {
  return n instanceof RegoNumber ? n.text : String(n).replace('e+', 'e');
}

/**
 * Returns a value as Go's json.Marshal (indent undefined) or json.MarshalIndent writes the JSON form OPA makes
 * of a Rego value (ast.JSON): keys sorted as byte strings, HTML characters escaped, numbers as written.
 */
export function goJson(value: unknown, indent?: { prefix: string; unit: string }, depth = 0): string {
  const open = indent ? `\n${indent.prefix}${indent.unit.repeat(depth + 1)}` : '';
  const close = indent ? `\n${indent.prefix}${indent.unit.repeat(depth)}` : '';
  if (value instanceof RegoNumber) return goNumber(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${value.map((v) => open + goJson(v, indent, depth + 1)).join(',')}${close}]`;
  }
  if (isRegoObject(value)) {
    const keys = Object.keys(value).sort(compareStrings);
    if (keys.length === 0) return '{}';
    const sep = indent ? ': ' : ':';
    return `{${keys.map((k) => open + goJsonString(k) + sep + goJson(value[k], indent, depth + 1)).join(',')}${close}}`;
  }
  if (typeof value === 'string') return goJsonString(value);
  if (typeof value === 'number') return goNumber(value);
  return JSON.stringify(value);
}
