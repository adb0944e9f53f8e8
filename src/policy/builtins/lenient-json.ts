/**
 * JSON text's top-level members as jwx reads a JWS header or sniffs a JWK set (jwsbb and jwkbb, on
 * valyala/fastjson): the text is parsed leniently (a number is any run of digits, signs, dots and exponents;
 * strings are not checked), the first of two equal keys wins, and escapes are undone on a best-effort basis.
 */
export interface LenientObject {
  /** Whether the text parsed at all. */
  parsed: boolean;
  /** Returns whether the text is an object with this member. */
  has(name: string): boolean;
  /** Returns a member when it is a string, else undefined (missing, another type, not parsed). */
  string(name: string): string | undefined;
}

const MAX_DEPTH = 300;
const WHITESPACE = /[ \n\t\r]*/y;
const NUMBER = /[0-9.eE+-]*/y;

class LenientParser {
  at = 0;
  constructor(private readonly text: string) {}

  skip(): void {
    WHITESPACE.lastIndex = this.at;
    WHITESPACE.exec(this.text);
    this.at = WHITESPACE.lastIndex;
  }

  // Returns the value's raw string for a string, null for any other value; throws where fastjson fails.
  value(depth: number): string | null {
    if (depth > MAX_DEPTH) throw new Error('too big depth for the nested JSON');
    const c = this.text[this.at];
    if (c === undefined) throw new Error('cannot parse empty string');
    if (c === '{') return this.object(depth, undefined);
    if (c === '[') return this.array(depth);
    if (c === '"') {
      this.at++;
      return this.rawString();
    }
    for (const word of ['true', 'false', 'null']) {
      if (c === word[0]) {
        if (this.text.startsWith(word, this.at)) this.at += word.length;
        else if (word === 'null' && /^nan/i.test(this.text.slice(this.at, this.at + 3))) this.at += 3;
        else throw new Error('unexpected value');
        return null;
      }
    }
    this.number();
    return null;
  }

  // fastjson's parseRawNumber: any run of number characters; inf or nan (after an optional sign) too.
  private number(): void {
    NUMBER.lastIndex = this.at;
    const run = NUMBER.exec(this.text)![0];
    const signed = run === '-' || run === '+';
    if (run.length > 0 && !signed) {
      this.at += run.length;
      return;
    }
    const word = this.text.slice(this.at + run.length, this.at + run.length + 3);
    if (!/^(inf|nan)$/i.test(word)) throw new Error('unexpected char');
    this.at += run.length + 3;
  }

  // Fills `members` (when given) with the first value of each key; returns null as the value of an object.
  object(depth: number, members: Map<string, string | null> | undefined): null {
    this.at++;
    this.skip();
    if (this.text[this.at] === '}') {
      this.at++;
      return null;
    }
    for (;;) {
      this.skip();
      if (this.text[this.at] !== '"') throw new Error("cannot find opening '\"' for object key");
      this.at++;
      const key = unescapeBestEffort(this.rawString());
      this.skip();
      if (this.text[this.at] !== ':') throw new Error("missing ':' after object key");
      this.at++;
      this.skip();
      const value = this.value(depth + 1);
      if (members !== undefined && !members.has(key)) members.set(key, value);
      if (this.separator('}')) return null;
    }
  }

  private array(depth: number): null {
    this.at++;
    this.skip();
    if (this.text[this.at] === ']') {
      this.at++;
      return null;
    }
    for (;;) {
      this.skip();
      this.value(depth + 1);
      if (this.separator(']')) return null;
    }
  }

  private separator(close: string): boolean {
    this.skip();
    const c = this.text[this.at++];
    if (c === close) return true;
    if (c !== ',') throw new Error(`missing ',' or '${close}'`);
    return false;
  }

  // Up to the first quote not escaped by an odd run of backslashes; the escapes stay as written.
  private rawString(): string {
    for (let end = this.text.indexOf('"', this.at); end >= 0; end = this.text.indexOf('"', end + 1)) {
      let slashes = 0;
      while (this.text[end - 1 - slashes] === '\\' && end - 1 - slashes >= this.at) slashes++;
      if (slashes % 2 === 0) {
        const raw = this.text.slice(this.at, end);
        this.at = end + 1;
        return raw;
      }
    }
    throw new Error("missing closing '\"'");
  }
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** fastjson's unescapeStringBestEffort: an escape it cannot read stays as written. */
function unescapeBestEffort(raw: string): string {
  return raw.replace(
    /\\(u([0-9a-fA-F]{4})(?:\\u([0-9a-fA-F]{4}))?|[\s\S])/g,
    (whole, escape: string, hi?: string, lo?: string) => {
      if (escape[0] !== 'u' || hi === undefined) return SIMPLE_ESCAPES[escape] ?? whole;
      const high = parseInt(hi, 16);
      if (high < 0xd800 || high > 0xdfff)
        return String.fromCharCode(high) + (lo === undefined ? '' : unescapeBestEffort(`\\u${lo}`));
      if (lo === undefined) return whole;
      const low = parseInt(lo, 16);
      return high <= 0xdbff && low >= 0xdc00 && low <= 0xdfff ? String.fromCharCode(high, low) : '\ufffd';
    },
  );
}

/**
 * Returns the first JSON value of the text and what follows it dropped, as a Go json.Decoder reads one value
 * (jwx parses a single JWK so): the text need only be JSON up to the end of that value.
 */
export function firstValueText(text: string): string {
  const parser = new LenientParser(text);
  parser.skip();
  const start = parser.at;
  try {
    parser.value(1);
  } catch {
    // Not even lenient JSON: what JSON.parse makes of it decides.
    return text;
  }
  return text.slice(start, parser.at);
}

/** Returns the text's top-level members as jwsbb.HeaderGetString and HeaderHas read them. */
export function lenientObject(text: string): LenientObject {
  const members = new Map<string, string | null>();
  let parsed = true;
  try {
    const parser = new LenientParser(text);
    parser.skip();
    if (text[parser.at] === '{') parser.object(1, members);
    else parser.value(1);
    parser.skip();
    if (parser.at < text.length) throw new Error('unexpected tail');
  } catch {
    parsed = false;
  }
  return {
    parsed,
    has: (name) => parsed && members.has(name),
    string: (name) => {
      const raw = parsed ? members.get(name) : undefined;
      return raw === null || raw === undefined ? undefined : unescapeBestEffort(raw);
    },
  };
}
