// The small readers Go's time.Parse is made of: literal text, fixed and loose numbers, month and day names,
// fractions. Strings are Go strings (one char per UTF-8 byte).

const MAX_INT = 2n ** 63n;

/** Why a value does not fit its layout (OPA makes the call undefined; the message is only for us). */
export class ParseFailure extends Error {}

/** Returns `value` after the layout's literal text `prefix` (a run of spaces matches any run of spaces). */
export function skipLiteral(value: string, prefix: string): string {
  let v = value;
  let p = prefix;
  while (p !== '') {
    if (p[0] === ' ') {
      if (v !== '' && v[0] !== ' ') throw new ParseFailure('missing literal');
      p = p.trimStart();
      v = v.replace(/^ +/, '');
      continue;
    }
    if (v === '' || v[0] !== p[0]) throw new ParseFailure('missing literal');
    p = p.slice(1);
    v = v.slice(1);
  }
  return v;
}

/** Returns the number two digits write, where two are required (Go's getnum with fixed width). */
export function fixedTwo(s: string): number {
  if (!isDigitAt(s, 0) || !isDigitAt(s, 1)) throw new ParseFailure('bad number');
  return Number(s.slice(0, 2));
}

/**
 * Returns `v` after 1 to `max` digits (exactly `max` when `fixed`), which it hands to `accept`; `accept`
 * answering false means out of range.
 */
export function number(v: string, fixed: boolean, max: number, accept: (n: number) => boolean): string {
  let length = 0;
  while (length < max && isDigitAt(v, length)) length++;
  if (length === 0 || (fixed && length !== max)) throw new ParseFailure('bad number');
  if (!accept(Number(v.slice(0, length)))) throw new ParseFailure('value out of range');
  return v.slice(length);
}

/** Returns `v` after a name from `names` (ASCII letters in any case), whose index it hands to `found`. */
export function lookupName(v: string, names: string[], found: (index: number) => void): string {
  // Go compares names ignoring the case of ASCII letters only.
  const index = names.findIndex(
    (name) => v.length >= name.length && sameLetters(v.slice(0, name.length), name),
  );
  if (index < 0) throw new ParseFailure('bad name');
  found(index);
  return v.slice(names[index]!.length);
}

function sameLetters(a: string, b: string): boolean {
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    const x = a.charCodeAt(i) | 0x20;
    if (x !== (b.charCodeAt(i) | 0x20) || x < 0x61 || x > 0x7a) return false;
  }
  return true;
}

/** Returns the nanoseconds of a fraction ".123" (`length` counts the separator); digits past the 9th are dropped. */
export function fraction(v: string, length: number): number {
  if (!isSeparator(v[0])) throw new ParseFailure('bad fraction');
  const digits = v.slice(1, Math.min(length, 10));
  const n = atoi(digits);
  if (n < 0) throw new ParseFailure('fraction out of range');
  return n * 10 ** (10 - Math.min(length, 10));
}

/** Returns the integer `s` writes as Go's atoi reads it: an optional sign, then only digits. */
export function atoi(s: string): number {
  const negative = s.startsWith('-');
  const digits = negative || s.startsWith('+') ? s.slice(1) : s;
  if (!/^[0-9]*$/.test(digits)) throw new ParseFailure('bad number');
  const n = Number(leadingInt(digits));
  return negative ? -n : n;
}

/** Returns the value of a run of digits; throws beyond 2^63, as Go's leadingInt. */
export function leadingInt(digits: string): bigint {
  let n = 0n;
  for (const digit of digits) {
    n = n * 10n + BigInt(digit);
    if (n > MAX_INT) throw new ParseFailure('number overflows');
  }
  return n;
}

/** Returns whether `s` has an ASCII digit at `i`. */
export function isDigitAt(s: string, i: number): boolean {
  return i < s.length && s[i]! >= '0' && s[i]! <= '9';
}

/** Returns whether `c` separates seconds from their fraction ("." or ","). */
export function isSeparator(c: string | undefined): boolean {
  return c === '.' || c === ',';
}
