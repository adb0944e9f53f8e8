import RE2 from 're2';

/** A pattern compiled for RE2, with the name of each capture group (1-based; '' when unnamed), as Go keeps them. */
export interface GoRegexp {
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
export function compile(pattern: string): GoRegexp {
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
