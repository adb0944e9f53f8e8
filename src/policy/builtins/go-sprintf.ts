import { formatGoFloat, hexFloat } from './go-float';
import { goQuote, regoText } from './rego-text';
import { RegoNumber } from './rego-value';

/**
 * An argument as OPA hands it to Go's fmt: int64, *big.Int (an integer beyond int64), float64 or string (any
 * other value as its Rego text).
 */
type GoArg =
  | { type: 'int64'; value: bigint }
  | { type: '*big.Int'; value: bigint }
  | { type: 'float64'; value: number }
  | { type: 'string'; value: string };

/** One directive: `%[flags][width][.precision]verb`, its argument chosen by position or `[n]`. */
interface Directive {
  minus: boolean;
  plus: boolean;
  space: boolean;
  zero: boolean;
  sharp: boolean;
  width?: number;
  precision?: number;
}

/**
 * Returns `format` with `args` formatted as OPA's sprintf does: Go's fmt.Sprintf over int64, float64 and
 * string arguments, every other value (object, array, boolean, null) as its Rego text; mistakes are spelled
 * into the result as Go spells them (`%!d(string=x)`, `%!v(MISSING)`, `%!(EXTRA int64=1)`), never thrown.
 */
export function goSprintf(format: string, values: readonly unknown[]): string {
  return new Formatter(format, values.map(goArg)).run();
}

const PLAIN: Directive = { minus: false, plus: false, space: false, zero: false, sharp: false };

/** Walks a format once, as Go's fmt.(*pp).doPrintf does. */
class Formatter {
  private out = '';
  private at = 0;
  private next = 0;
  private reordered = false;
  private badIndex = false;

  constructor(
    private readonly format: string,
    private readonly args: GoArg[],
  ) {}

  run(): string {
    while (this.at < this.format.length) {
      const percent = this.format.indexOf('%', this.at);
      const end = percent === -1 ? this.format.length : percent;
      this.out += this.format.slice(this.at, end);
      this.at = end + 1;
      if (percent !== -1 && !this.directive()) break;
    }
    if (!this.reordered && this.next < this.args.length) {
      const extra = this.args.slice(this.next).map((a) => `${a.type}=${formatArg(a, 'v', PLAIN)}`);
      this.out += `%!(EXTRA ${extra.join(', ')})`;
    }
    return this.out;
  }

  /** Formats the directive after a `%`; returns false when the format ends inside it. */
  private directive(): boolean {
    const d = this.flags();
    this.badIndex = false;
    this.argIndex();
    d.width = this.count('%!(BADWIDTH)', d);
    if (this.format[this.at] === '.') {
      this.at++;
      this.argIndex();
      d.precision = this.count('%!(BADPREC)') ?? 0;
    }
    if (this.at >= this.format.length) {
      this.out += '%!(NOVERB)';
      return false;
    }
    const verb = String.fromCodePoint(this.format.codePointAt(this.at)!);
    this.at += verb.length;
    if (verb === '%') this.out += '%';
    else if (this.badIndex) this.out += `%!${verb}(BADINDEX)`;
    else {
      const arg = this.args[this.next++];
      this.out += arg === undefined ? `%!${verb}(MISSING)` : formatArg(arg, verb, d);
    }
    return true;
  }

  private flags(): Directive {
    const d: Directive = { ...PLAIN };
    for (; this.at < this.format.length; this.at++) {
      const c = this.format[this.at];
      if (c === '-') d.minus = true;
      else if (c === '+') d.plus = true;
      else if (c === ' ') d.space = true;
      else if (c === '0') d.zero = !d.minus;
      else if (c === '#') d.sharp = true;
      else break;
    }
    return d;
  }

  /** Reads `[n]`: the next argument is the nth. */
  private argIndex(): void {
    if (this.format[this.at] !== '[') return;
    this.reordered = true;
    const close = this.format.indexOf(']', this.at);
    if (close === -1) {
      this.badIndex = true;
      return;
    }
    const text = this.format.slice(this.at + 1, close);
    this.at = close + 1;
    const n = /^\d+$/.test(text) ? Number(text) : 0;
    if (n < 1 || n > this.args.length) this.badIndex = true;
    else this.next = n - 1;
  }

  /** Reads a width or precision: digits, or `*` taking an int argument (a negative width means `-`). */
  private count(bad: string, d?: Directive): number | undefined {
    if (this.format[this.at] === '*') {
      this.at++;
      const arg = this.args[this.next++];
      this.argIndex();
      if (arg?.type !== 'int64' || (d === undefined && arg.value < 0n)) {
        this.out += bad;
        return undefined;
      }
      if (arg.value < 0n && d) d.minus = true;
      return Number(arg.value < 0n ? -arg.value : arg.value);
    }
    const digits = /^\d*/.exec(this.format.slice(this.at))![0];
    this.at += digits.length;
    return digits === '' ? undefined : Number(digits);
  }
}

// Go writes an invalid code point (negative, a surrogate, beyond U+10FFFF) as U+FFFD.
function rune(value: bigint): string {
  const valid = value >= 0n && value <= 0x10ffffn && !(value >= 0xd800n && value <= 0xdfffn);
  return valid ? String.fromCodePoint(Number(value)) : '\ufffd';
}

function goArg(value: unknown): GoArg {
  if (typeof value === 'string') return { type: 'string', value };
  if (value instanceof RegoNumber) return numberArg(value.text);
  if (typeof value === 'number') {
    // -0 is no integer to OPA either (it is written -0.0, or computed).
    if (Number.isInteger(value) && !Object.is(value, -0)) {
      return Math.abs(value) < 2 ** 63
        ? { type: 'int64', value: BigInt(value) }
        : { type: '*big.Int', value: BigInt(value) };
    }
    return { type: 'float64', value };
  }
  return { type: 'string', value: regoText(value) };
}

// OPA types a number by how it is written: a fraction or an exponent makes a float64 (its text when no float64
// holds it), otherwise an int64, or a *big.Int beyond.
function numberArg(text: string): GoArg {
  if (/[.eE]/.test(text)) {
    const value = Number(text);
    return Number.isFinite(value) ? { type: 'float64', value } : { type: 'string', value: text };
  }
  const value = BigInt(text);
  const int64 = value >= -(2n ** 63n) && value < 2n ** 63n;
  return int64 ? { type: 'int64', value } : { type: '*big.Int', value };
}

function formatArg(arg: GoArg, verb: string, d: Directive): string {
  if (arg.type === 'string') return formatString(arg.value, verb, d);
  if (arg.type === 'int64') return formatInt(arg.value, verb, d);
  if (arg.type === '*big.Int') return formatBigInt(arg.value, verb, d);
  return formatFloat(arg.value, verb, d);
}

function bad(arg: GoArg, verb: string): string {
  const text = arg.type === 'float64' ? goFloat(Math.abs(arg.value), 'g', undefined) : String(arg.value);
  const sign = arg.type === 'float64' && arg.value < 0 ? '-' : '';
  return `%!${verb}(${arg.type}=${sign}${text})`;
}

function formatString(value: string, verb: string, d: Directive): string {
  switch (verb) {
    case 'v':
      return pad(d.sharp ? goQuote(value) : truncated(value, d.precision), d);
    case 's':
      return pad(truncated(value, d.precision), d);
    case 'q':
      return pad(goQuote(truncated(value, d.precision)), d);
    case 'x':
    case 'X': {
      // Go: a space flag puts a space (and the 0x prefix) between bytes.
      const bytes = [...Buffer.from(value, 'utf8')].map((b) => b.toString(16).padStart(2, '0'));
      const prefix = d.sharp ? '0x' : '';
      const text = d.space ? bytes.map((b) => prefix + b).join(' ') : prefix + bytes.join('');
      return pad(verb === 'X' ? text.toUpperCase() : text, d);
    }
    default:
      return bad({ type: 'string', value }, verb);
  }
}

// A precision on a string counts characters (Go: runes).
function truncated(value: string, precision: number | undefined): string {
  return precision === undefined ? value : [...value].slice(0, precision).join('');
}

// big.Int formats itself (its Format method): %s and %v as %d, and its own spelling of a wrong verb.
function formatBigInt(value: bigint, verb: string, d: Directive): string {
  if (verb === 's' || verb === 'v') return formatInt(value, 'd', d);
  if ('bdoOxX'.includes(verb)) return formatInt(value, verb, d);
  return `%!${verb}(big.Int=${value})`;
}

const INT_BASES: Readonly<Record<string, number>> = { d: 10, v: 10, b: 2, o: 8, O: 8, x: 16, X: 16 };

function formatInt(value: bigint, verb: string, d: Directive): string {
  if (verb === 'c') return pad(rune(value), d);
  if (verb === 'q') return pad(`'${goQuote(rune(value)).slice(1, -1)}'`, d);
  if (verb === 'U') return pad(`U+${value.toString(16).toUpperCase().padStart(4, '0')}`, d);
  const base = INT_BASES[verb];
  if (base === undefined) return bad({ type: 'int64', value }, verb);
  let digits = (value < 0n ? -value : value).toString(base);
  if (verb === 'X') digits = digits.toUpperCase();
  if (d.precision !== undefined)
    digits = d.precision === 0 && value === 0n ? '' : digits.padStart(d.precision, '0');
  let prefix = '';
  if (verb === 'O') prefix = '0o';
  else if (d.sharp && verb === 'o' && !digits.startsWith('0')) prefix = '0';
  else if (d.sharp && (verb === 'x' || verb === 'X')) prefix = verb === 'x' ? '0x' : '0X';
  else if (d.sharp && verb === 'b') prefix = '0b';
  const sign = value < 0n ? '-' : d.plus ? '+' : d.space ? ' ' : '';
  return padNumber(sign, prefix + digits, d, d.precision === undefined);
}

function formatFloat(value: number, verb: string, d: Directive): string {
  if (!'eEfFgGvxX'.includes(verb) || verb.length !== 1) return bad({ type: 'float64', value }, verb);
  if (!Number.isFinite(value)) {
    const text = Number.isNaN(value) ? 'NaN' : value > 0 ? (d.plus ? '+Inf' : 'Inf') : '-Inf';
    return pad(text, d);
  }
  const negative = value < 0 || Object.is(value, -0);
  const body =
    verb === 'x' || verb === 'X'
      ? hexFloat(Math.abs(value), verb, d.precision)
      : goFloat(Math.abs(value), verb === 'v' ? 'g' : verb, d.precision);
  const sign = negative ? '-' : d.plus ? '+' : d.space ? ' ' : '';
  return padNumber(sign, body, d, true);
}

/** Returns a non-negative float as Go's strconv.FormatFloat writes it for this fmt verb and precision. */
function goFloat(value: number, verb: string, precision: number | undefined): string {
  const lower = verb.toLowerCase() as 'e' | 'f' | 'g';
  const text = formatGoFloat(value, lower, precision);
  return verb === 'E' || verb === 'G' ? text.toUpperCase() : text;
}

function padNumber(sign: string, body: string, d: Directive, zeroAllowed: boolean): string {
  const width = d.width ?? 0;
  const length = [...sign].length + [...body].length;
  if (length >= width) return sign + body;
  if (d.minus) return sign + body + ' '.repeat(width - length);
  if (d.zero && zeroAllowed) return sign + '0'.repeat(width - length) + body;
  return ' '.repeat(width - length) + sign + body;
}

function pad(text: string, d: Directive): string {
  const width = d.width ?? 0;
  const length = [...text].length;
  if (length >= width) return text;
  return d.minus ? text + ' '.repeat(width - length) : (d.zero ? '0' : ' ').repeat(width - length) + text;
}
