// glob.match (the gobwas/glob syntax) with "." as the only delimiter, as the default policy matches model and
// provider grants, and as the WASM module `opa build` compiles decides it: `*` any run within one segment, `**`
// any run across segments, `?` one character within a segment, `[abc]`, `[a-z]`, `[!abc]` one character of (or
// not of) a class, `{a,b}` one of the alternatives, `\x` the character x itself. Where the module is more lenient
// than OPA's own evaluator (a `{` never closed, a trailing `\`), this follows the module: the report must count a
// grant as used whenever /v1/decide matched it. A class never closed, or empty, matches nothing in both.

// What a `u` regular expression escapes: syntax characters outside a class, and within one those that end it,
// negate it, or make a range.
const SYNTAX = /[\\^$.*+?()[\]{}|/]/;
const CLASS_SYNTAX = /[\\\][^-]/;

/** Returns whether `value` matches the glob `pattern`, as OPA's glob.match(pattern, ["."], value) decides. */
export function dottedGlobMatches(pattern: string, value: string): boolean {
  const source = globSource(pattern);
  return source !== null && new RegExp(`^(?:${source})$`, 'su').test(value);
}

// Returns the pattern as a regular expression's source, or null when it is not a valid glob.
function globSource(pattern: string): string | null {
  const chars = [...pattern];
  let i = 0;
  // Reads up to the end of the pattern, or (inside braces) up to the `,` or `}` that ends an alternative.
  const sequence = (inBraces: boolean): string | null => {
    let out = '';
    while (i < chars.length) {
      const c = chars[i] as string;
      if (inBraces && (c === ',' || c === '}')) return out;
      i += 1;
      if (c === '*') {
        if (chars[i] === '*') {
          i += 1;
          out += '.*';
        } else out += '[^.]*';
      } else if (c === '?') out += '[^.]';
      else if (c === '\\') {
        if (i < chars.length) out += literal(chars[i++] as string);
      } else if (c === '[') {
        const cls = charClass();
        if (cls === null) return null;
        out += cls;
      } else if (c === '{') {
        const alternatives: string[] = [];
        for (;;) {
          const alt = sequence(true);
          if (alt === null) return null;
          alternatives.push(alt);
          if (i >= chars.length || chars[i++] === '}') break;
        }
        out += `(?:${alternatives.join('|')})`;
      } else out += literal(c);
    }
    return out;
  };
  // After `[`: `!` negates; items are characters or ranges `a-z`; `]` closes.
  const charClass = (): string | null => {
    let negated = false;
    if (chars[i] === '!') {
      negated = true;
      i += 1;
    }
    let items = '';
    while (i < chars.length && chars[i] !== ']') {
      const lo = chars[i++] as string;
      if (chars[i] === '-' && i + 1 < chars.length && chars[i + 1] !== ']') {
        const hi = chars[i + 1] as string;
        i += 2;
        if (lo.codePointAt(0)! > hi.codePointAt(0)!) return null;
        items += `${classLiteral(lo)}-${classLiteral(hi)}`;
      } else items += classLiteral(lo);
    }
    if (i >= chars.length || items === '') return null;
    i += 1;
    return `[${negated ? '^' : ''}${items}]`;
  };
  const source = sequence(false);
  return source !== null && i === chars.length ? source : null;
}

function literal(c: string): string {
  return SYNTAX.test(c) ? `\\${c}` : c;
}

function classLiteral(c: string): string {
  return CLASS_SYNTAX.test(c) ? `\\${c}` : c;
}
