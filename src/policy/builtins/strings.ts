import type { BuiltinTable, EvaluationContext } from './builtin';

/** Returns the argument when it is a string; throws (the call becomes undefined) otherwise. */
export function stringOperand(value: unknown): string {
  if (typeof value !== 'string') throw new TypeError('operand must be a string');
  return value;
}

/**
 * Returns the argument as an integer, as OPA's `IntOperand` does: any number with no fractional part (`2.0` is 2),
 * within Go's int64; throws for anything else.
 */
export function intOperand(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw new TypeError('operand must be an integer');
  if (Math.abs(value) > 2 ** 63) throw new RangeError('operand out of int64 range');
  return value;
}

/** Returns a string, or the strings of an array (a Rego set arrives as an array), as OPA's string-or-collection operands. */
function stringsOperand(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) throw new TypeError('operand must be a string, set or array');
  return value.map(stringOperand);
}

/** Splits into code points, as Go splits a string into runes. */
function runes(s: string): string[] {
  return Array.from(s);
}

function anyPrefixMatch(_: EvaluationContext, search: unknown, base: unknown): boolean {
  const strs = stringsOperand(search);
  const prefixes = stringsOperand(base);
  return strs.some((s) => prefixes.some((p) => s.startsWith(p)));
}

function anySuffixMatch(_: EvaluationContext, search: unknown, base: unknown): boolean {
  const strs = stringsOperand(search);
  const suffixes = stringsOperand(base);
  return strs.some((s) => suffixes.some((p) => s.endsWith(p)));
}

/** Go's strings.Count: non-overlapping occurrences; an empty substring counts once per rune, plus one. */
function count(_: EvaluationContext, search: unknown, substring: unknown): number {
  const s = stringOperand(search);
  const sub = stringOperand(substring);
  if (sub === '') return runes(s).length + 1;
  let n = 0;
  for (let at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length)) n++;
  return n;
}

/** Go's strings.SplitN with a limit (negative: no limit): an empty separator splits into runes. */
function goSplitN(s: string, sep: string, limit: number): string[] {
  if (limit === 0) return [];
  if (sep === '') {
    const all = runes(s);
    if (limit < 0 || limit >= all.length) return all;
    return [...all.slice(0, limit - 1), all.slice(limit - 1).join('')];
  }
  const parts = s.split(sep);
  if (limit < 0 || limit >= parts.length) return parts;
  return [...parts.slice(0, limit - 1), parts.slice(limit - 1).join(sep)];
}

/**
 * OPA's strings.split_n: the first n pieces of a full split when n >= 0 (the n-th piece is not the remainder),
 * the last |n| pieces when n < 0.
 */
function splitN(_: EvaluationContext, text: unknown, delimiter: unknown, limit: unknown): string[] {
  const s = stringOperand(text);
  const sep = stringOperand(delimiter);
  const n = intOperand(limit);
  if (n >= 0) return goSplitN(s, sep, n + 1).slice(0, n);
  const parts = goSplitN(s, sep, -1);
  return parts.slice(Math.max(parts.length + n, 0));
}

/** OPA's indexof_n: every (overlapping) start of the search string, in runes, not UTF-16 units. */
const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

function indexOfN(_: EvaluationContext, haystack: unknown, needle: unknown): number[] {
  const base = stringOperand(haystack);
  const search = stringOperand(needle);
  if (search.length === 0) throw new RangeError('empty search character');
  // indexOf finds each (overlapping) match in linear time; OPA counts positions in runes, not UTF-16 units.
  const found: number[] = [];
  let rune = 0;
  let unit = 0;
  for (let at = base.indexOf(search); at !== -1; at = base.indexOf(search, at + 1)) {
    for (; unit < at; unit++) if (!isLowSurrogate(base.charCodeAt(unit))) rune++;
    found.push(rune);
  }
  return found;
}

/** String builtins: `strings.any_prefix_match`, `strings.any_suffix_match`, `strings.count`, `strings.split_n`, `indexof_n`. */
export const stringBuiltins: BuiltinTable = {
  'strings.any_prefix_match': anyPrefixMatch,
  'strings.any_suffix_match': anySuffixMatch,
  'strings.count': count,
  'strings.split_n': splitN,
  indexof_n: indexOfN,
};
