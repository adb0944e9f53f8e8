import RE2 from 're2';
import type { BuiltinTable, EvaluationContext } from './builtin';
import { globsMatch } from './regex-globs';
import { intOperand, stringOperand } from './strings';

/** A pattern compiled for RE2, with the name of each capture group (1-based; '' when unnamed), as Go keeps them. */
interface GoRegexp {
  re: RE2;
  names: string[];
}

// Go's Unicode categories (RE2 lacks Cn), and its long aliases keyed by Go's canonical form of a name.
const CATEGORIES = new Set(
  'C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(
    ' ',
  ),
);
const CATEGORY_ALIASES: Partial<Record<string, string>> = Object.fromEntries(
  (
    'Cased_Letter:LC Close_Punctuation:Pe Combining_Mark:M Connector_Punctuation:Pc Control:Cc Currency_Symbol:Sc ' +
    'Dash_Punctuation:Pd Decimal_Number:Nd Enclosing_Mark:Me Final_Punctuation:Pf Format:Cf Initial_Punctuation:Pi ' +
    'Letter:L Letter_Number:Nl Line_Separator:Zl Lowercase_Letter:Ll Mark:M Math_Symbol:Sm Modifier_Letter:Lm ' +
    'Modifier_Symbol:Sk Nonspacing_Mark:Mn Number:N Open_Punctuation:Ps Other:C Other_Letter:Lo Other_Number:No ' +
    'Other_Punctuation:Po Other_Symbol:So Paragraph_Separator:Zp Private_Use:Co Punctuation:P Separator:Z ' +
    'Space_Separator:Zs Spacing_Mark:Mc Surrogate:Cs Symbol:S Titlecase_Letter:Lt Unassigned:Cn Uppercase_Letter:Lu ' +
    'cntrl:Cc digit:Nd punct:P'
  )
    .split(' ')
    .map((pair) => pair.split(':'))
    .map(([name = '', short = '']) => [canonicalName(name), short]),
);

/** Go's canonical class name (Go 1.25+): first letter upper, the rest lower, without '_', '-' or ' '. */
function canonicalName(name: string): string {
  const letters = name.replace(/[_\- ]/g, '');
  return letters.charAt(0).toUpperCase() + letters.slice(1).toLowerCase();
}

/**
 * Returns RE2 syntax for Go's `\p{name}` (or `\P`): Go (1.25+) matches names loosely (`\p{letter}`, `\p{greek}`)
 * where RE2 wants them exact. A class RE2 cannot express (Cn, Assigned, or a negated range inside brackets) throws.
 */
function unicodeClass(rawName: string, negated: boolean, inClass: boolean): string {
  const caret = rawName.startsWith('^');
  const not = negated !== caret;
  const name = canonicalName(caret ? rawName.slice(1) : rawName);
  const range = name === 'Ascii' ? '\\x00-\\x7F' : name === 'Lc' ? '\\p{Lu}\\p{Ll}\\p{Lt}' : undefined;
  const alias = CATEGORY_ALIASES[name];
  if (range !== undefined || alias === 'LC') {
    const inner = range ?? '\\p{Lu}\\p{Ll}\\p{Lt}';
    if (inClass && not) throw new SyntaxError('negated range class inside brackets is not supported here');
    return inClass ? inner : `[${not ? '^' : ''}${inner}]`;
  }
  const resolved = name === 'Any' || CATEGORIES.has(name) ? name : (alias ?? name);
  if (resolved === 'Cn' || resolved === 'Assigned' || !/^[A-Za-z]+$/.test(resolved)) {
    throw new SyntaxError(`invalid character class range \\p{${rawName}}`);
  }
  return `\\${not ? 'P' : 'p'}{${resolved}}`;
}

/** ASCII punctuation: what may be escaped with a backslash in both Go's and RE2's syntax. */
const PUNCTUATION = /^[!-/:-@[-`{-~]$/;

/**
 * Returns the pattern rewritten so that the re2 package compiles it to what Go's regexp.Compile would: the package
 * translates JavaScript syntax Go refuses (`\u0041`, `\cA`), so those are refused here; `\p{…}` names are resolved
 * as Go resolves them; `\Q…\E` becomes escaped text (the package would rewrite inside it); named groups become
 * plain ones, their names kept here, since RE2 refuses a name used twice where Go allows it.
 */
function translate(pattern: string): { source: string; names: string[] } {
  const names: string[] = [];
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length;) {
    const c = pattern.charAt(i);
    const next = pattern.charAt(i + 1);
    if (c === '\\') {
      if (next === 'u' || next === 'c' || next === 'C') throw new SyntaxError(`invalid escape \\${next}`);
      if (next === 'p' || next === 'P') {
        const braced = pattern.charAt(i + 2) === '{';
        const end = braced
          ? pattern.indexOf('}', i + 3)
          : i + 2 + (Array.from(pattern.slice(i + 2))[0] ?? '').length;
        if (end < 0 || end === i + 2) throw new SyntaxError('invalid character class range');
        out += unicodeClass(
          braced ? pattern.slice(i + 3, end) : pattern.slice(i + 2, end),
          next === 'P',
          inClass,
        );
        i = braced ? end + 1 : end;
        continue;
      }
      if (next === 'Q' && !inClass) {
        const end = pattern.indexOf('\\E', i + 2);
        const quoted = pattern.slice(i + 2, end < 0 ? undefined : end);
        out += Array.from(quoted, (q) => (PUNCTUATION.test(q) ? `\\${q}` : q)).join('');
        i = end < 0 ? pattern.length : end + 2;
        continue;
      }
      out += c + next;
      i += 2;
      continue;
    }
    if (inClass) {
      const posix = c === '[' && next === ':' ? /^\[:\^?[a-z]+:\]/.exec(pattern.slice(i)) : null;
      if (posix) {
        out += posix[0];
        i += posix[0].length;
        continue;
      }
      if (c === ']') inClass = false;
      // Written as an escape, so that the re2 package never reads "(?<" inside a class as a group.
      out += c === '(' ? '\\x28' : c;
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      // A ']' right after '[' or '[^' is a literal.
      const head = /^\[\^?\]?/.exec(pattern.slice(i))?.[0] ?? '[';
      out += head;
      i += head.length;
      continue;
    }
    const group = c === '(' ? /^\(\?P?<(?![=!])([^>]*)>?/.exec(pattern.slice(i)) : null;
    if (group) {
      const name = group[1] ?? '';
      if (!group[0].endsWith('>') || !/^[A-Za-z0-9_]+$/.test(name))
        throw new SyntaxError('invalid named capture');
      names.push(name);
      out += '(';
      i += group[0].length;
      continue;
    }
    if (c === '(' && next !== '?') names.push('');
    out += c;
    i++;
  }
  return { source: out, names };
}

// Compiled patterns kept: at most 100, and at most 1 MiB of pattern text (a compiled 840 KB pattern held 17 MB).
const CACHE_SIZE = 100;
const CACHE_BYTES = 1024 * 1024;
const cache = new Map<string, GoRegexp>();
let cachedBytes = 0;

/** Returns the pattern compiled as Go's regexp.Compile would (RE2 syntax), or throws where Go fails. */
function compile(pattern: string): GoRegexp {
  const hit = cache.get(pattern);
  if (hit) return hit;
  const { source, names } = translate(pattern);
  // 'u': UTF-8 semantics, as Go's; 'g': exec searches from lastIndex with the whole input as context.
  const compiled = { re: new RE2(source, 'gu'), names };
  if (cache.size >= CACHE_SIZE || cachedBytes + pattern.length > CACHE_BYTES) {
    cache.clear();
    cachedBytes = 0;
  }
  if (pattern.length <= CACHE_BYTES) {
    cache.set(pattern, compiled);
    cachedBytes += pattern.length;
  }
  return compiled;
}

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
