import { RawJson } from './builtin';

/**
 * A Rego set handed to, or returned by, a host builtin. The module's JSON dump writes a set as an array, losing
 * what OPA's answers depend on (object.subset, net.cidr_contains_matches, set operators on a result); builtins
 * read operands from the module's Rego dump instead, where a set is `{…}` or `set()`.
 */
export class RegoSet {
  constructor(readonly items: unknown[]) {}
}

/** A number as the module wrote it (`1.0`, `1e400`, 21 digits): what sprintf needs to type it as OPA does. */
export class RegoNumber {
  constructor(readonly text: string) {}
}

/**
 * Returns the value of the module's Rego text (`opa_value_dump`): JSON, plus sets. Numbers are JavaScript
 * numbers, or RegoNumber where `exactNumbers` asks for their text; a key that is not a string is `keyText` of it.
 */
export function parseRegoValue(
  text: string,
  exactNumbers = false,
  keyText: (key: unknown) => string = regoValueText,
): unknown {
  const parser = new RegoTextParser(text, exactNumbers, keyText);
  const value = parser.value();
  parser.end();
  return value;
}

// Unrolled (runs of plain characters between escapes): `(?:[^"\\]|\\.)*` keeps a backtracking entry per
// character and overflows the stack on a string of some megabytes.
const STRING = /"[^"\\]*(?:\\.[^"\\]*)*"/y;
// As written, which to_number keeps: `.5` and `5.` too.
const NUMBER = /-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;

class RegoTextParser {
  private at = 0;

  constructor(
    private readonly text: string,
    private readonly exactNumbers: boolean,
    private readonly keyText: (key: unknown) => string,
  ) {}

  value(): unknown {
    this.space();
    const c = this.text[this.at];
    if (c === '"') return this.string();
    if (c === '[') return this.list(']', (items) => items);
    if (c === '{') return this.braces();
    if (this.text.startsWith('set()', this.at)) {
      this.at += 5;
      return new RegoSet([]);
    }
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length;
        return value;
      }
    }
    return this.number();
  }

  end(): void {
    this.space();
    if (this.at !== this.text.length) throw new Error(`unexpected text at ${this.at} of a Rego value`);
  }

  private string(): string {
    const end = this.match(STRING);
    if (!end) throw new Error('unterminated string in a Rego value');
    return JSON.parse(end) as string;
  }

  private number(): number | RegoNumber {
    const match = this.match(NUMBER);
    if (!match) throw new Error(`unexpected text at ${this.at} of a Rego value`);
    return this.exactNumbers ? new RegoNumber(match) : Number(match);
  }

  // Sticky, from the current position: slicing the rest of the text for each token would make a long result
  // cost its length squared.
  private match(token: RegExp): string | undefined {
    token.lastIndex = this.at;
    const found = token.exec(this.text)?.[0];
    if (found !== undefined) this.at += found.length;
    return found;
  }

  // `{}` is an empty object; `{k: v, …}` an object; `{a, …}` a set: told apart after the first value, which is
  // kept (parsing it again would double the work at each level of nested sets).
  private braces(): unknown {
    this.at++;
    this.space();
    if (this.text[this.at] === '}') {
      this.at++;
      return {};
    }
    const first = this.value();
    this.space();
    if (this.text[this.at] !== ':') {
      const items = [first];
      while (!this.separator('}')) items.push(this.value());
      return new RegoSet(items);
    }
    const object: Record<string, unknown> = {};
    for (let key = first; ; key = this.value()) {
      this.expect(':');
      // A key that is not a string (Rego allows any) becomes its text: `{1: "a"}` has the key "1".
      Object.defineProperty(object, typeof key === 'string' ? key : this.keyText(key), {
        value: this.value(),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      if (this.separator('}')) return object;
    }
  }

  private list<T>(close: string, make: (items: unknown[]) => T): T {
    this.at++;
    const items: unknown[] = [];
    this.space();
    if (this.text[this.at] === close) {
      this.at++;
      return make(items);
    }
    for (;;) {
      items.push(this.value());
      if (this.separator(close)) return make(items);
    }
  }

  /** Reads `,` (false: more follows) or `close` (true). */
  private separator(close: string): boolean {
    this.space();
    const c = this.text[this.at++];
    if (c === close) return true;
    if (c !== ',') throw new Error(`expected , or ${close} at ${this.at - 1} of a Rego value`);
    return false;
  }

  private expect(c: string): void {
    this.space();
    if (this.text[this.at++] !== c) throw new Error(`expected ${c} at ${this.at - 1} of a Rego value`);
  }

  private space(): void {
    while (/\s/.test(this.text[this.at] ?? '')) this.at++;
  }
}

/** Returns a builtin's result as Rego text for the module (`opa_value_parse`): sets as sets, numbers as given. */
export function regoValueText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof RegoNumber) return value.text;
  if (value instanceof RegoSet) {
    return value.items.length === 0 ? 'set()' : `{${value.items.map(regoValueText).join(', ')}}`;
  }
  if (Array.isArray(value)) return `[${value.map(regoValueText).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => `${stringText(k)}: ${regoValueText(v)}`);
    return `{${entries.join(', ')}}`;
  }
  if (typeof value === 'string') return stringText(value);
  // Infinity or NaN has no Rego form: the call is undefined, as OPA's is for a number out of range.
  if (typeof value === 'number' && !Number.isFinite(value)) throw new UndefinedResult('not a Rego number');
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return JSON.stringify(value);
  throw new Error(`no Rego value for ${typeof value}`);
}

/** Thrown while writing a result that has no Rego form: the call is undefined. */
export class UndefinedResult extends Error {}

// The module's parser refuses an unpaired surrogate escape; Go writes U+FFFD for it.
function stringText(s: string): string {
  return JSON.stringify(s.toWellFormed());
}

/** Returns `value` with every set listed as an array in OPA's order: for builtins that take sets as collections. */
export function setsAsArrays(value: unknown): unknown {
  // Sorted before its members' sets become arrays: a set orders after arrays and objects, an array does not.
  if (value instanceof RegoSet) return [...value.items].sort(compareRegoValues).map(setsAsArrays);
  if (Array.isArray(value)) return value.map(setsAsArrays);
  if (value !== null && typeof value === 'object' && !(value instanceof RegoNumber)) {
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(copy, k, {
        value: setsAsArrays(v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return copy;
  }
  return value;
}

/** Returns whether a builtin's operand is a Rego object (not an array, a set or a number as written). */
export const isRegoObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  !(v instanceof RegoSet) &&
  !(v instanceof RegoNumber);

function rank(v: unknown): number {
  if (v === null) return 0;
  if (typeof v === 'boolean') return 1;
  if (typeof v === 'number' || v instanceof RegoNumber) return 2;
  if (typeof v === 'string') return 3;
  if (Array.isArray(v)) return 4;
  return v instanceof RegoSet ? 6 : 5;
}

/**
 * Returns a negative, zero or positive number as OPA orders two values: null < boolean < number < string <
 * array < object < set; strings by their bytes (Go's order), collections element by element.
 */
export function compareRegoValues(a: unknown, b: unknown): number {
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  if (typeof a === 'boolean') return Number(a) - Number(b);
  if (rank(a) === 2) return compareNumbers(a as number | RegoNumber, b as number | RegoNumber);
  if (typeof a === 'string') return compareStrings(a, b as string);
  if (a instanceof RegoSet && b instanceof RegoSet) {
    return compareLists([...a.items].sort(compareRegoValues), [...b.items].sort(compareRegoValues));
  }
  if (Array.isArray(a) && Array.isArray(b)) return compareLists(a, b);
  if (isRegoObject(a) && isRegoObject(b)) {
    const ka = Object.keys(a).sort(compareRegoValues);
    const kb = Object.keys(b).sort(compareRegoValues);
    for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
      const [x, y] = [ka[i]!, kb[i]!];
      const c = compareRegoValues(x, y) || compareRegoValues(a[x], b[y]);
      if (c !== 0) return c;
    }
    return ka.length - kb.length;
  }
  return 0;
}

function compareLists(a: unknown[], b: unknown[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareRegoValues(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** Returns how Go orders two strings: by their UTF-8 bytes (UTF-16 order differs past the BMP). */
export function compareStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

// Numbers by value: exactly when both are integers written out (past 2^53), else as doubles.
function compareNumbers(a: number | RegoNumber, b: number | RegoNumber): number {
  const text = (n: number | RegoNumber) => (typeof n === 'number' ? String(n) : n.text);
  const [x, y] = [text(a), text(b)];
  if (/^-?\d+$/.test(x) && /^-?\d+$/.test(y)) {
    const [i, j] = [BigInt(x), BigInt(y)];
    return i < j ? -1 : i > j ? 1 : 0;
  }
  return Number(x) - Number(y);
}
