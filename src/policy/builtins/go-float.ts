/**
 * Go's strconv.FormatFloat for the verbs fmt uses (%e, %f, %g and %v's shortest %g), from the double's exact
 * decimal value: JavaScript's toFixed and toExponential round a tie up (2.5 → "3"), Go to even ("2").
 */

/** A non-negative decimal: digits without leading zeros, and where the decimal point falls among them. */
interface Decimal {
  digits: string;
  /** The point is after `point` digits (may be negative or beyond the digits). */
  point: number;
}

/** Returns a non-negative finite double as Go formats it for `verb` (e, f, g) and `precision` (shortest: none). */
export function formatGoFloat(value: number, verb: 'e' | 'f' | 'g', precision?: number): string {
  if (value === 0) return zero(verb, precision);
  if (verb === 'f') {
    const exact = exactDecimal(value);
    const p = precision ?? 6;
    return fixed(roundAt(exact, exact.point + p), p);
  }
  if (verb === 'e') {
    // fmt's %e has six digits after the point unless told.
    const p = precision ?? 6;
    return exponential(roundSignificant(exactDecimal(value), p + 1), p);
  }
  const d =
    precision === undefined ? shortest(value) : roundSignificant(exactDecimal(value), Math.max(precision, 1));
  // %e when the exponent is < -4 or >= the precision; 6 for the shortest form (%v): 1234567.5 is 1.2345675e+06.
  let limit = precision === undefined ? 6 : Math.max(precision, 1);
  if (precision !== undefined && limit > d.digits.length && d.digits.length >= d.point)
    limit = d.digits.length;
  const exponent = d.point - 1;
  if (exponent < -4 || exponent >= limit) return exponential(d, d.digits.length - 1);
  return fixed(d, Math.max(d.digits.length - d.point, 0));
}

function zero(verb: 'e' | 'f' | 'g', precision?: number): string {
  if (verb === 'g') return '0';
  const p = precision ?? 6;
  const fraction = p > 0 ? `.${'0'.repeat(p)}` : '';
  return verb === 'e' ? `0${fraction}e+00` : `0${fraction}`;
}

/** Returns the exact decimal value of a positive double (every double is a finite decimal). */
function exactDecimal(value: number): Decimal {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exponent: number;
  if (biased === 0) exponent = -1074;
  else {
    mantissa |= 1n << 52n;
    exponent = biased - 1075;
  }
  if (exponent >= 0) return normalise((mantissa << BigInt(exponent)).toString(), null);
  // m / 2^k = m * 5^k / 10^k
  const digits = (mantissa * 5n ** BigInt(-exponent)).toString();
  return normalise(digits, digits.length + exponent);
}

function normalise(digits: string, point: number | null): Decimal {
  const at = point ?? digits.length;
  const leading = digits.length - digits.replace(/^0+/, '').length;
  const trimmed = digits.slice(leading).replace(/0+$/, '');
  return { digits: trimmed, point: at - leading };
}

/** The shortest digits that read back as the same double (JavaScript and Go agree on them). */
function shortest(value: number): Decimal {
  const [mantissa, exp] = value.toExponential().split('e') as [string, string];
  return normalise(mantissa.replace('.', ''), Number(exp) + 1);
}

function roundSignificant(d: Decimal, count: number): Decimal {
  return roundAt(d, count);
}

/** Rounds to `keep` digits from the first one, a tie to even, as Go's decimal rounding does. */
function roundAt(d: Decimal, keep: number): Decimal {
  if (keep >= d.digits.length) return d;
  if (keep < 0) return { digits: '', point: d.point };
  const head = d.digits.slice(0, keep);
  const rest = d.digits.slice(keep);
  const up =
    rest[0]! > '5' ||
    (rest[0] === '5' && (/[1-9]/.test(rest.slice(1)) || (keep > 0 && Number(head[keep - 1]) % 2 === 1)));
  if (!up) return normalise(head, d.point);
  const bumped = (BigInt(head || '0') + 1n).toString();
  // 999 + 1 = 1000: one more digit before the point.
  const grew = bumped.length > Math.max(head.length, 1) || (head === '' && bumped === '1');
  return normalise(bumped, d.point + (grew && head !== '' ? 1 : head === '' ? 1 : 0));
}

function fixed(d: Decimal, fractionDigits?: number): string {
  const fraction = fractionDigits ?? Math.max(d.digits.length - d.point, 0);
  const all = d.point <= 0 ? '0'.repeat(-d.point + 1) + d.digits : d.digits.padEnd(d.point + 0, '0');
  const point = d.point <= 0 ? 1 : d.point;
  const integer = all.slice(0, point) || '0';
  const rest = all.slice(point).padEnd(fraction, '0').slice(0, fraction);
  return fraction > 0 ? `${integer}.${rest}` : integer;
}

function exponential(d: Decimal, fractionDigits: number): string {
  const digits = d.digits.padEnd(fractionDigits + 1, '0');
  const exponent = d.point - 1;
  const mantissa = fractionDigits > 0 ? `${digits[0]}.${digits.slice(1, fractionDigits + 1)}` : digits[0]!;
  const sign = exponent < 0 ? '-' : '+';
  return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

/** Returns a non-negative finite double in Go's %x form: 0x1.8p+00 (shortest, or `precision` hex digits). */
export function hexFloat(value: number, verb: 'x' | 'X', precision?: number): string {
  let text: string;
  if (value === 0) text = precision ? `0x0.${'0'.repeat(precision)}p+00` : '0x0p+00';
  else {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, value);
    const bits = view.getBigUint64(0);
    let exponent = Number((bits >> 52n) & 0x7ffn) - 1023;
    let fraction = bits & ((1n << 52n) - 1n);
    if (exponent === -1023) {
      // Subnormal: shift the leading one into place, as Go normalises it.
      exponent = -1022;
      while ((fraction & (1n << 52n)) === 0n) {
        fraction <<= 1n;
        exponent--;
      }
      fraction &= (1n << 52n) - 1n;
    }
    let lead = 1n;
    if (precision !== undefined && precision < 13) {
      const drop = BigInt(52 - 4 * precision);
      const rest = fraction & ((1n << drop) - 1n);
      const half = 1n << (drop - 1n);
      fraction >>= drop;
      if (rest > half || (rest === half && (fraction & 1n) === 1n)) fraction++;
      if (fraction >> BigInt(4 * precision) === 1n) {
        lead = 2n;
        fraction = 0n;
      }
    }
    if (lead === 2n) {
      lead = 1n;
      exponent++;
    }
    const width = precision !== undefined && precision < 13 ? precision : 13;
    let digits = fraction.toString(16).padStart(width, '0');
    if (precision === undefined) digits = digits.replace(/0+$/, '');
    else digits = digits.padEnd(precision, '0');
    const sign = exponent < 0 ? '-' : '+';
    const mantissa = digits === '' ? `${lead}` : `${lead}.${digits}`;
    text = `0x${mantissa}p${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return verb === 'X' ? text.toUpperCase() : text;
}
