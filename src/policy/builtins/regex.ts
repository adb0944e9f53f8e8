import type { BuiltinTable, EvaluationContext } from './builtin';
import { globsMatch } from './regex-globs';
import { intOperand, stringOperand } from './strings';
import { compile, type GoRegexp } from './go-regexp';

/** Returns the leftmost match at or after `from` (UTF-16 index), as Go's doExecute does from a position. */
function matchFrom(re: GoRegexp, s: string, from: number): RegExpExecArray | null {
  re.re.lastIndex = from;
  return re.re.exec(s);
}

/** Returns the width of the code point at `i`, 0 at the end: Go advances by a rune after an empty match. */
function width(s: string, i: number): number {
  if (i >= s.length) return 0;
  const code = s.codePointAt(i) ?? 0;
  return code > 0xffff ? 2 : 1;
}

/** Go's FindAllStringIndex: successive non-overlapping matches; an empty one right after a match is skipped. */
function findAllIndex(re: GoRegexp, s: string, n: number): [number, number][] {
  const found: [number, number][] = [];
  const limit = n < 0 ? s.length + 1 : n;
  let prevEnd = -1;
  for (let pos = 0; found.length < limit && pos <= s.length;) {
    const m = matchFrom(re, s, pos);
    if (!m) break;
    const end = m.index + m[0].length;
    let accept = true;
    if (end === pos) {
      if (m.index === prevEnd) accept = false;
      pos += width(s, pos) || 1;
    } else {
      pos = end;
    }
    prevEnd = end;
    if (accept) found.push([m.index, end]);
  }
  return found;
}

function findAll(re: GoRegexp, s: string, n: number): string[] {
  return findAllIndex(re, s, n).map(([start, end]) => s.slice(start, end));
}

/**
 * OPA's regex.split: Go's Regexp.Split(s, -1), which drops a leading empty match and keeps no capture groups
 * (JavaScript's String.split keeps them, and the SDK's split used JavaScript's regular expressions).
 */
export function regexSplit(pattern: unknown, value: unknown): string[] {
  const re = compile(stringOperand(pattern));
  const s = stringOperand(value);
  if (pattern !== '' && s === '') return [''];
  const parts: string[] = [];
  let begin = 0;
  let end = 0;
  for (const [start, stop] of findAllIndex(re, s, -1)) {
    end = start;
    if (stop !== 0) parts.push(s.slice(begin, end));
    begin = stop;
  }
  if (end !== s.length) parts.push(s.slice(begin));
  return parts;
}

/** Go's Regexp.Expand: `$1`, `$name`, `${1}x` (a name is the longest run of letters, digits and '_'), `$$`. */
function expand(re: GoRegexp, template: string, m: RegExpExecArray): string {
  let out = '';
  let rest = template;
  for (let at = rest.indexOf('$'); at >= 0; at = rest.indexOf('$')) {
    out += rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (rest.startsWith('$')) {
      out += '$';
      rest = rest.slice(1);
      continue;
    }
    const ref = /^(?:\{([\p{L}\p{Nd}_]+)\}|([\p{L}\p{Nd}_]+))/u.exec(rest);
    const name = ref?.[1] ?? ref?.[2];
    if (!ref || name === undefined) {
      out += '$';
      continue;
    }
    rest = rest.slice(ref[0].length);
    // A number is a group index unless it has a leading zero (or is absurdly long): then it is a name.
    const index = /^(0|[1-9][0-9]{0,8})$/.test(name) ? Number(name) : -1;
    if (index >= 0) {
      out += m[index] ?? '';
    } else {
      const group = re.names.findIndex((n, i) => n === name && m[i + 1] !== undefined);
      if (group >= 0) out += m[group + 1] ?? '';
    }
  }
  return out + rest;
}

/** Go's ReplaceAllString: every match replaced by the expanded template; no empty match right after a match. */
function replaceAll(re: GoRegexp, s: string, template: string): string {
  let out = '';
  let lastEnd = 0;
  for (let pos = 0; pos <= s.length;) {
    const m = matchFrom(re, s, pos);
    if (!m) break;
    const end = m.index + m[0].length;
    out += s.slice(lastEnd, m.index);
    if (end > lastEnd || m.index === 0) out += expand(re, template, m);
    lastEnd = end;
    const w = width(s, pos);
    pos = pos + w > end ? pos + w : pos + 1 > end ? pos + 1 : end;
  }
  return out + s.slice(lastEnd);
}

function regexReplace(_: EvaluationContext, base: unknown, pattern: unknown, value: unknown): string {
  const s = stringOperand(base);
  const re = compile(stringOperand(pattern));
  return replaceAll(re, s, stringOperand(value));
}

function regexFindN(_: EvaluationContext, pattern: unknown, value: unknown, number: unknown): string[] {
  const re = compile(stringOperand(pattern));
  const s = stringOperand(value);
  return findAll(re, s, intOperand(number));
}

/** Go's regexp.QuoteMeta. */
function quoteRegexp(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/**
 * OPA's regex.template_match (gorilla/mux's templates): the text between one-byte delimiters is a regexp, the
 * rest literal, the whole anchored; unbalanced delimiters fail.
 */
function templateMatch(
  _: EvaluationContext,
  template: unknown,
  value: unknown,
  start: unknown,
  end: unknown,
): boolean {
  const tpl = stringOperand(template);
  const s = stringOperand(value);
  const [open, close] = [stringOperand(start), stringOperand(end)];
  if (Buffer.byteLength(open) !== 1 || Buffer.byteLength(close) !== 1) {
    throw new RangeError('delimiters have to be exactly one character long');
  }
  let source = '^';
  let level = 0;
  let from = 0;
  let last = 0;
  for (let i = 0; i < tpl.length; i++) {
    // As Go's switch: a character that is both delimiters only opens.
    if (tpl[i] === open) {
      if (++level === 1) from = i;
    } else if (tpl[i] === close) {
      if (--level < 0) throw new SyntaxError('unbalanced braces');
      if (level > 0) continue;
      const inner = tpl.slice(from + 1, i);
      compile(`^${inner}$`);
      source += `${quoteRegexp(tpl.slice(last, from))}(${inner})`;
      last = i + 1;
    }
  }
  if (level !== 0) throw new SyntaxError('unbalanced braces');
  const re = compile(`${source}${quoteRegexp(tpl.slice(last))}$`);
  return matchFrom(re, s, 0) !== null;
}

/** gobwas/glob's QuoteMeta: a backslash before each of `*?\[]{}`. */
function globQuoteMeta(_: EvaluationContext, pattern: unknown): string {
  return stringOperand(pattern).replace(/[*?\\[\]{}]/g, '\\$&');
}

/**
 * Regular-expression builtins with Go's regexp semantics, run by RE2 itself: `regex.replace`, `regex.find_n`,
 * `regex.template_match`, and `glob.quote_meta`.
 */
export const regexBuiltins: BuiltinTable = {
  'regex.replace': regexReplace,
  'regex.split': (_context, pattern, value) => regexSplit(pattern, value),
  'regex.find_n': regexFindN,
  'regex.template_match': templateMatch,
  'regex.globs_match': globsMatch,
  'glob.quote_meta': globQuoteMeta,
};
