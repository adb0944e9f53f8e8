import { compareRegoValues, compareStrings, RegoNumber, RegoSet } from './rego-value';

/**
 * Returns a JSON value as OPA prints the Rego value (`ast.Value.String()`): strings Go-quoted, object keys in
 * Rego's order, `, ` and `: ` between items, sets in Rego's order.
 */
export function regoText(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof RegoNumber) return value.text;
  if (value instanceof RegoSet) {
    const items = [...value.items].sort(compareRegoValues);
    return items.length === 0 ? 'set()' : `{${items.map(regoText).join(', ')}}`;
  }
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(regoText).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => compareStrings(a, b));
  return `{${entries.map(([k, v]) => `${goQuote(k)}: ${regoText(v)}`).join(', ')}}`;
}

/** Returns `text` as Go's strconv.Quote writes it: double quotes, Go escapes, printable Unicode kept. */
export function goQuote(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (code === 0x07) out += '\\a';
    else if (code === 0x08) out += '\\b';
    else if (code === 0x0c) out += '\\f';
    else if (code === 0x0a) out += '\\n';
    else if (code === 0x0d) out += '\\r';
    else if (code === 0x09) out += '\\t';
    else if (code === 0x0b) out += '\\v';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (/\p{C}|\p{Z}/u.test(char) && char !== ' ') {
      out +=
        code > 0xffff
          ? `\\U${code.toString(16).padStart(8, '0')}`
          : `\\u${code.toString(16).padStart(4, '0')}`;
    } else out += char;
  }
  return `${out}"`;
}
