/**
 * Strict JSON: what JSON.parse accepts, minus what it silently changes. JSON.parse keeps the last of
 * two equal keys (so a proxy that keeps the first and modelgate disagree on what was asked), turns
 * 1e309 into Infinity (which no audit record can hold), and passes lone UTF-16 surrogates
 * ("\ud800") that the policy engine cannot decode. RFC 8259 leaves all three to the parser; we refuse them.
 *
 * Hand-written rather than a dependency: the rules are three, JSON.parse still does the parsing
 * (and its syntax errors), and this is one linear pass over text JSON.parse has already accepted.
 */

/** A body or token segment that is valid JSON but not strict JSON; the message names the key or pointer. */
export class StrictJsonError extends Error {
  constructor(
    message: string,
    readonly pointer: string,
  ) {
    super(message);
    this.name = 'StrictJsonError';
  }
}

/** Returns the value of strict JSON text; throws SyntaxError (not JSON) or StrictJsonError (see above). */
export function parseStrictJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  checkStrict(text);
  return value;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

interface Frame {
  keys: Set<string> | null; // null for arrays
  expectKey: boolean;
  key: string; // the current member name or array index, for pointers
  index: number;
}

// One pass over text JSON.parse accepted, so every token is well formed: only keys, strings with escapes
// and numbers with an exponent or many digits need looking at.
function checkStrict(text: string): void {
  const stack: Frame[] = [];
  const pointer = (): string =>
    stack.map((f) => `/${f.key.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('') || '/';
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      stack.push({ keys: c === 0x7b ? new Set() : null, expectKey: c === 0x7b, key: '0', index: 0 });
      i++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      i++;
    } else if (c === 0x2c /* , */) {
      const frame = stack[stack.length - 1]!;
      if (frame.keys) frame.expectKey = true;
      else frame.key = String(++frame.index);
      i++;
    } else if (c === 0x22 /* " */) {
      const end = stringEnd(text, i);
      const raw = text.slice(i + 1, end);
      const decoded = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
      const frame = stack[stack.length - 1];
      if (frame?.keys && frame.expectKey) {
        frame.expectKey = false;
        frame.key = decoded;
        if (LONE_SURROGATE.test(decoded)) {
          throw new StrictJsonError(
            `a key under ${parentPointer(stack)} holds a lone UTF-16 surrogate`,
            pointer(),
          );
        }
        if (frame.keys.has(decoded)) {
          throw new StrictJsonError(`duplicate key "${printable(decoded)}" at ${pointer()}`, pointer());
        }
        frame.keys.add(decoded);
      } else if (LONE_SURROGATE.test(decoded)) {
        throw new StrictJsonError(`the string at ${pointer()} holds a lone UTF-16 surrogate`, pointer());
      }
      i = end + 1;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let end = i + 1;
      while (end < text.length && isNumberChar(text.charCodeAt(end))) end++;
      const token = text.slice(i, end);
      if (!Number.isFinite(Number(token))) {
        throw new StrictJsonError(`the number at ${pointer()} is too large for a double`, pointer());
      }
      i = end;
    } else {
      i++;
    }
  }
}

function stringEnd(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) i += 2;
    else if (c === 0x22) return i;
    else i++;
  }
}

function isNumberChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;
}

function parentPointer(stack: Frame[]): string {
  return (
    stack
      .slice(0, -1)
      .map((f) => `/${f.key}`)
      .join('') || '/'
  );
}

// A key is echoed in the 400, so keep it short and free of control characters.
function printable(key: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what must not be echoed
  const clean = key.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 64 ? `${clean.slice(0, 64)}…` : clean;
}
