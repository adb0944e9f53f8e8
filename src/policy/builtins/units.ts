import { RawJson, type BuiltinTable, type EvaluationContext } from './builtin';
import { stringOperand } from './strings';

/** A rational number n/d, d > 0. */
interface Rational {
  n: bigint;
  d: bigint;
}

/**
 * The largest decimal exponent accepted. OPA computes any exponent up to six digits exactly (a million-digit
 * integer); on the event loop that would stall every other decision, so beyond this the call is undefined.
 */
const MAX_EXPONENT = 1000;

const BINARY: Partial<Record<string, bigint>> = {
  ki: 2n ** 10n,
  mi: 2n ** 20n,
  gi: 2n ** 30n,
  ti: 2n ** 40n,
  pi: 2n ** 50n,
  ei: 2n ** 60n,
};
const DECIMAL: Partial<Record<string, bigint>> = {
  k: 10n ** 3n,
  m: 10n ** 6n,
  g: 10n ** 9n,
  t: 10n ** 12n,
  p: 10n ** 15n,
  e: 10n ** 18n,
};

/**
 * Splits "10.5Mi" into its amount and unit as OPA does: the amount is the leading run of digits, '.', '+', '-' and
 * an 'e' or 'E' that starts an exponent (one followed by a digit or sign); an exponent of more than six digits fails.
 */
function splitAmount(s: string): [string, string] {
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? '';
    if (/[0-9.+-]/.test(c)) continue;
    if (c !== 'e' && c !== 'E') return [s.slice(0, i), s.slice(i)];
    const next = s[i + 1] ?? '';
    if (!/[0-9+-]/.test(next)) return [s.slice(0, i), s.slice(i)];
    if (next === '+' || next === '-') i++;
    const digits = /^[0-9]*/.exec(s.slice(i + 1))?.[0] ?? '';
    if (digits.length > 6) throw new RangeError('exponent too large');
  }
  return [s, ''];
}

/** Returns the decimal amount as mantissa digits and a power of ten, or throws where Go's big number parsers fail. */
function decimal(amount: string): { mantissa: bigint; exp10: number } {
  const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/.exec(amount);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new RangeError('could not parse amount to a number');
  const fraction = m[3] ?? '';
  const exp10 = Number(m[4] ?? '0') - fraction.length;
  if (Math.abs(exp10) > MAX_EXPONENT) throw new RangeError('exponent too large to compute here');
  const mantissa = BigInt(`${m[2]}${fraction}` || '0');
  return { mantissa: m[1] === '-' ? -mantissa : mantissa, exp10 };
}

function exact(amount: string): Rational {
  const { mantissa, exp10 } = decimal(amount);
  return exp10 >= 0
    ? { n: mantissa * 10n ** BigInt(exp10), d: 1n }
    : { n: mantissa, d: 10n ** BigInt(-exp10) };
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** Rounds n/d to `bits` significant bits, half to even, as big.Float does at that precision. */
function round(x: Rational, bits: number): Rational {
  const negative = x.n < 0n;
  const n = negative ? -x.n : x.n;
  if (n === 0n) return { n: 0n, d: 1n };
  // Scale so that the quotient has exactly `bits` bits before rounding.
  let shift = bits - (bitLength(n) - bitLength(x.d));
  const quotient = (s: number) => (s >= 0 ? (n << BigInt(s)) / x.d : n / (x.d << BigInt(-s)));
  if (bitLength(quotient(shift)) > bits) shift--;
  const num = shift >= 0 ? n << BigInt(shift) : n;
  const den = shift >= 0 ? x.d : x.d << BigInt(-shift);
  let q = num / den;
  const twice = (num % den) * 2n;
  if (twice > den || (twice === den && (q & 1n) === 1n)) q++;
  const value = shift >= 0 ? { n: q, d: 1n << BigInt(shift) } : { n: q << BigInt(-shift), d: 1n };
  return negative ? { n: -value.n, d: value.d } : value;
}

/** Returns 5^n as big.Float's pow5 computes it at 128 bits: exact to 5^27, then by squaring, rounding as it goes. */
function pow5(n: number): Rational {
  if (n <= 27) return { n: 5n ** BigInt(n), d: 1n };
  let z: Rational = { n: 5n ** 27n, d: 1n };
  let f: Rational = { n: 5n, d: 1n };
  for (let k = n - 27; k > 0; k = Math.floor(k / 2)) {
    if (k % 2 === 1) z = round({ n: z.n * f.n, d: z.d * f.d }, 128);
    f = round({ n: f.n * f.n, d: f.d * f.d }, 192);
  }
  return z;
}

/**
 * Returns the amount as big.Float's SetString leaves it at 64 bits: the exact digits times 2^k, multiplied or
 * divided by 5^k (see pow5), rounded once to 64 bits.
 */
function float64Bits(amount: string): Rational {
  const { mantissa, exp10 } = decimal(amount);
  const z = exp10 >= 0 ? { n: mantissa << BigInt(exp10), d: 1n } : { n: mantissa, d: 1n << BigInt(-exp10) };
  const p = pow5(Math.abs(exp10));
  return round(exp10 >= 0 ? { n: z.n * p.n, d: z.d * p.d } : { n: z.n * p.d, d: z.d * p.n }, 64);
}

/** Returns an integer as a JSON number, or as JSON text where a double would lose digits. */
function integer(n: bigint): number | RawJson {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(n)
    : new RawJson(`${n}`);
}

/** Go's Rat.FloatString(10): ten decimals, the last rounded half away from zero. */
function floatString10(x: Rational): string {
  const abs = x.n < 0n ? -x.n : x.n;
  let q = abs / x.d;
  let r = ((abs % x.d) * 10n ** 10n) / x.d;
  if ((((abs % x.d) * 10n ** 10n) % x.d) * 2n >= x.d) r++;
  if (r >= 10n ** 10n) [q, r] = [q + 1n, r - 10n ** 10n];
  return `${x.n < 0n ? '-' : ''}${q}.${`${r}`.padStart(10, '0')}`;
}

/** The exact value of the double 0.001, which OPA multiplies by for "m" (so "1000m" is not quite 1). */
const MILLI: Rational = { n: BigInt(0.001 * 2 ** 72), d: 2n ** 72n };

/** Returns what units.parse multiplies by: SI and IEC prefixes in either case, except "m" (milli) and "M" (mega). */
function unitFactor(unit: string): Rational | undefined {
  if (unit === 'm') return MILLI;
  if (unit === '') return { n: 1n, d: 1n };
  let multiplier: bigint | undefined;
  if (unit === 'M') multiplier = DECIMAL.m;
  else if (/^[kKgGtTpPeE]$/.test(unit)) multiplier = DECIMAL[unit.toLowerCase()];
  else if (/^[kmgtpeKMGTPE]i$/.test(unit)) multiplier = BINARY[unit.toLowerCase()];
  return multiplier === undefined ? undefined : { n: multiplier, d: 1n };
}

function unitsParse(_: EvaluationContext, text: unknown): number | RawJson {
  // Quotes are dropped (as units.parse_bytes drops them); spaces are refused.
  const s = stringOperand(text).replace(/"/g, '');
  if (s.includes(' ')) throw new RangeError('spaces not allowed in resource strings');
  const [amount, raw] = splitAmount(s);
  if (amount === '') throw new RangeError('no amount provided');
  // Only the unit's first letter keeps its case, so that "m" (milli) and "M" (mega) differ.
  const unit = raw.length > 1 ? raw[0] + raw.slice(1).toLowerCase() : raw;
  const factor = unitFactor(unit);
  if (!factor) throw new RangeError(`unit ${unit} not recognized`);
  const x = exact(amount);
  const value = { n: x.n * factor.n, d: x.d * factor.d };
  if (value.n % value.d === 0n) return integer(value.n / value.d);
  // As JSON text, so that the module holds OPA's number as written ("0.0010000000"), not a double's nearest.
  return new RawJson(floatString10(value));
}

function unitsParseBytes(_: EvaluationContext, text: unknown): number | RawJson {
  const s = stringOperand(text).toLowerCase().replace(/"/g, '');
  if (s.includes(' ')) throw new RangeError('spaces not allowed in resource strings');
  const [amount, unit] = splitAmount(s);
  if (amount === '') throw new RangeError('no byte amount provided');
  const match = /^(?:([kmgtpe])(i?)b?)?$/.exec(unit);
  if (!match) throw new RangeError(`byte unit ${unit} not recognized`);
  const factor = match[1] === undefined ? 1n : match[2] ? BINARY[`${match[1]}i`] : DECIMAL[match[1]];
  if (factor === undefined) throw new RangeError(`byte unit ${unit} not recognized`);
  const x = float64Bits(amount);
  // The product is rounded to 64 bits again, then truncated toward zero.
  const product = round({ n: x.n * factor, d: x.d }, 64);
  return integer(product.n / product.d);
}

/** Unit builtins: `units.parse` (SI, IEC and milli; may answer a fraction), `units.parse_bytes` (whole bytes). */
export const unitBuiltins: BuiltinTable = {
  'units.parse': unitsParse,
  'units.parse_bytes': unitsParseBytes,
};
