import { goQuote } from './go-sprintf';
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
