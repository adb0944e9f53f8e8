// Go's time.ParseDuration ("1h30m", "-1.5h", "300ms", "2µs"), and the days, weeks and 365-day years ("1d",
// "2w", "1y") OPA v1.22 accepts where Go's parser fails. The input is a Go string (one char per UTF-8 byte), so
// "µs" arrives as the two chars of its UTF-8 encoding.

const LIMIT = 2n ** 63n;
const GO_UNITS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  [utf8Chars('µs')]: 1_000n, // U+00B5 MICRO SIGN
  [utf8Chars('μs')]: 1_000n, // U+03BC GREEK SMALL LETTER MU
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
// OPA's second try knows the micro sign but not the Greek mu: "1d1μs" is undefined in OPA, "1d1µs" is not.
const OPA_UNITS: Readonly<Record<string, bigint>> = {
  ...Object.fromEntries(Object.entries(GO_UNITS).filter(([unit]) => unit !== utf8Chars('μs'))),
  d: 86_400_000_000_000n,
  w: 604_800_000_000_000n,
  y: 31_536_000_000_000_000n,
};

/** Returns the nanoseconds a duration means, as OPA's time.parse_duration_ns; throws where OPA fails. */
export function parseDuration(text: string): bigint {
  try {
    return parseWithUnits(text, GO_UNITS);
  } catch {
    return parseWithUnits(text, OPA_UNITS);
  }
}

function utf8Chars(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

// Go's ParseDuration with the given units.
function parseWithUnits(text: string, units: Readonly<Record<string, bigint>>): bigint {
  let s = text;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s.startsWith('-');
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw new Error(`invalid duration ${text}`);
  let total = 0n;
  while (s !== '') {
    if (!/^[0-9.]/.test(s)) throw new Error(`invalid duration ${text}`);
    const whole = /^[0-9]*/.exec(s)![0];
    s = s.slice(whole.length);
    const value = leadingInt(whole, text);
    let fraction = '';
    let hasFraction = false;
    if (s.startsWith('.')) {
      fraction = /^[0-9]*/.exec(s.slice(1))![0];
      hasFraction = fraction !== '';
      s = s.slice(1 + fraction.length);
    }
    // "." alone, or ".s", has no digits at all.
    if (whole === '' && !hasFraction) throw new Error(`invalid duration ${text}`);
    const unitText = /^[^0-9.]*/.exec(s)![0];
    if (unitText === '') throw new Error(`missing unit in duration ${text}`);
    s = s.slice(unitText.length);
    const unit = units[unitText];
    if (unit === undefined) throw new Error(`unknown unit in duration ${text}`);
    if (value > LIMIT / unit) throw new Error(`invalid duration ${text}`);
    let ns = value * unit;
    const [f, scale] = leadingFraction(fraction);
    if (f > 0n) {
      // Go computes the fraction in float64 and truncates, so ".1h" and similar round as Go rounds them.
      ns += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (ns > LIMIT) throw new Error(`invalid duration ${text}`);
    }
    total += ns;
    if (total > LIMIT) throw new Error(`invalid duration ${text}`);
  }
  if (negative) return -total;
  if (total > LIMIT - 1n) throw new Error(`invalid duration ${text}`);
  return total;
}

function leadingInt(digits: string, text: string): bigint {
  let n = 0n;
  for (const digit of digits) {
    if (n > LIMIT / 10n) throw new Error(`invalid duration ${text}`);
    n = n * 10n + BigInt(digit);
    if (n > LIMIT) throw new Error(`invalid duration ${text}`);
  }
  return n;
}

// The fraction's digits as an integer and the power of ten below it; digits that would overflow are ignored.
function leadingFraction(digits: string): [bigint, number] {
  let n = 0n;
  let scale = 1;
  for (const digit of digits) {
    const next = n * 10n + BigInt(digit);
    if (n > (LIMIT - 1n) / 10n || next > LIMIT) break;
    n = next;
    scale *= 10;
  }
  return [n, scale];
}
