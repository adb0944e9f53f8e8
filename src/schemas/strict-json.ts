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
  /** Null for arrays; the keys seen so far: an array while few (cheaper than a Set), a Set past SMALL_OBJECT. */
  keys: string[] | Set<string> | null;
  expectKey: boolean;
  key: string; // the current member name, for pointers
  index: number; // the current array index, for pointers
}

// Most objects of a body have a handful of keys: a linear search of an array beats hashing into a Set.
const SMALL_OBJECT = 8;

// One pass over text JSON.parse accepted, so every token is well formed: only keys, strings with escapes
// and numbers need looking at. Strings are skipped with indexOf, not char by char: they are most of a body.
// Nothing is allocated per array element or per value string: pointers are built only for an error, by a
// function of its own (a closure over `stack` here made the whole pass twice as slow).
function checkStrict(text: string): void {
  const stack: Frame[] = [];
  // Where the next backslash is (-1: none left); only strings that contain one need decoding. Text decoded
  // from UTF-8 holds no lone surrogate, so an escape is the only way one gets in.
  let nextEscape = text.indexOf('\\');
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      stack.push({ keys: c === 0x7b ? [] : null, expectKey: c === 0x7b, key: '', index: 0 });
      i++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      i++;
    } else if (c === 0x2c /* , */) {
      const frame = stack[stack.length - 1]!;
      if (frame.keys) frame.expectKey = true;
      else frame.index++;
      i++;
    } else if (c === 0x22 /* " */) {
      const end = stringEnd(text, i);
      const escaped = nextEscape !== -1 && nextEscape < end;
      if (escaped) nextEscape = text.indexOf('\\', end);
      const frame = stack[stack.length - 1];
      const isKey = frame !== undefined && frame.keys !== null && frame.expectKey;
      if (isKey || escaped) {
        const decoded = escaped ? (JSON.parse(text.slice(i, end + 1)) as string) : text.slice(i + 1, end);
        if (escaped && LONE_SURROGATE.test(decoded)) {
          const where = isKey ? `a key under ${pointerOf(stack)}` : `the string at ${pointerOf(stack)}`;
          throw new StrictJsonError(`${where} holds a lone UTF-16 surrogate`, pointerOf(stack));
        }
        if (isKey) {
          frame.expectKey = false;
          frame.key = decoded;
          if (!addKey(frame, decoded)) {
            throw new StrictJsonError(
              `duplicate key "${printable(decoded)}" at ${pointerOf(stack)}`,
              pointerOf(stack),
            );
          }
        }
      }
      i = end + 1;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let end = i + 1;
      let plain = true;
      while (end < text.length && isNumberChar(text.charCodeAt(end))) {
        const d = text.charCodeAt(end);
        if (d === 0x65 || d === 0x45) plain = false;
        end++;
      }
      // Without an exponent, fewer than 309 digits always fit a double.
      if ((!plain || end - i > 300) && !Number.isFinite(Number(text.slice(i, end)))) {
        throw new StrictJsonError(
          `the number at ${pointerOf(stack)} is too large for a double`,
          pointerOf(stack),
        );
      }
      i = end;
    } else {
      i++;
    }
  }
}

// The JSON Pointer (RFC 6901) of where the pass is.
function pointerOf(stack: readonly Frame[]): string {
  const tokens = stack.map((f) =>
    (f.keys === null ? String(f.index) : f.key).replace(/~/g, '~0').replace(/\//g, '~1'),
  );
  return tokens.length === 0 ? '/' : `/${tokens.join('/')}`;
}

// Records a key of an object; false when the object already has it.
function addKey(frame: Frame, key: string): boolean {
  const keys = frame.keys!;
  if (Array.isArray(keys)) {
    if (keys.includes(key)) return false;
    keys.push(key);
    if (keys.length > SMALL_OBJECT) frame.keys = new Set(keys);
    return true;
  }
  if (keys.has(key)) return false;
  keys.add(key);
  return true;
}

// The closing quote: the next one not preceded by an odd number of backslashes.
function stringEnd(text: string, start: number): number {
  let i = text.indexOf('"', start + 1);
  for (;;) {
    let slashes = 0;
    while (text.charCodeAt(i - 1 - slashes) === 0x5c) slashes++;
    if (slashes % 2 === 0) return i;
    i = text.indexOf('"', i + 1);
  }
}

function isNumberChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;
}

// A key is echoed in the 400, so keep it short and free of control characters.
function printable(key: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what must not be echoed
  const clean = key.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 64 ? `${clean.slice(0, 64)}…` : clean;
}
