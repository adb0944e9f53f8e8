import { Metadata } from 'libphonenumber-js/core';
import {
  getCountries,
  getCountryCallingCode,
  parsePhoneNumberFromString,
  type CountryCode,
  type PhoneNumber,
} from 'libphonenumber-js/max';
import maxMetadata from 'libphonenumber-js/metadata.max.json';

/**
 * Phone-number validation on Google's libphonenumber metadata (the `libphonenumber-js` port, "max" set: the
 * per-type number patterns, so `isValid()` checks that a number is in a range a country assigns, not only its
 * length). The phone detector finds candidates with a linear digit-run scan and asks this module only about
 * them.
 *
 * A national number (no "+" or "00") has no country, so it is tried against the countries below: the 20 most
 * populous (UN World Population Prospects 2024: IN CN US ID PK NG BR BD RU ET MX JP EG PH CD VN IR TR DE TH) and
 * 13 more among the largest by internet users or by this project's users (GB FR IT KR ES PL UA NL AU CA ZA AR
 * SA). International numbers are checked for every country the metadata knows.
 */
// prettier-ignore
export const NATIONAL_COUNTRIES: readonly CountryCode[] = [
  'IN', 'CN', 'US', 'ID', 'PK', 'NG', 'BR', 'BD', 'RU', 'ET', 'MX', 'JP', 'EG', 'PH', 'CD', 'VN', 'IR', 'TR',
  'DE', 'TH', 'GB', 'FR', 'IT', 'KR', 'ES', 'PL', 'UA', 'NL', 'AU', 'CA', 'ZA', 'AR', 'SA',
];

interface Plan {
  country: CountryCode;
  /** The trunk prefix dialled before national numbers ("0", "8"), or "" when there is none. */
  trunk: string;
  lengths: ReadonlySet<number>;
  /** The country's general national-number pattern: a cheap first filter before the library's parse. */
  pattern: RegExp;
  /** Digit-group lengths of the country's national formats ("3,4,4" for CN 138 0013 8000). */
  shapes: ReadonlySet<string>;
}

interface NumberFormat {
  pattern(): string;
  format(): string;
}

/**
 * Returns the group lengths a national format writes, e.g. "(\\d{2})(\\d{4,5})(\\d{4})" with "$1 $2-$3" gives
 * "2,4,4" and "2,5,4". Groups the format joins ("$1$2") are added up.
 */
function shapesOf(format: NumberFormat, into: Set<string>): void {
  const ranges: Array<[number, number]> = [];
  for (const m of format.pattern().matchAll(/\((?:\\d|\[[^\]]*\])(?:\{(\d+)(?:,(\d+))?\})?\)/g)) {
    const min = m[1] === undefined ? 1 : Number(m[1]);
    ranges.push([min, m[2] === undefined ? min : Number(m[2])]);
  }
  let combos: number[][] = [[]];
  for (const [min, max] of ranges) {
    const next: number[][] = [];
    for (const c of combos) for (let n = min; n <= max; n++) next.push([...c, n]);
    combos = next;
  }
  const pieces = format
    .format()
    .split(/[^$\d]+/)
    .filter((p) => p !== '');
  for (const c of combos) {
    const shape = pieces.map((piece) =>
      [...piece.matchAll(/\$(\d)/g)].reduce((n, ref) => n + (c[Number(ref[1]) - 1] ?? 0), 0),
    );
    into.add(shape.join(','));
  }
}

const PLANS: readonly Plan[] = NATIONAL_COUNTRIES.map((country) => {
  const metadata = new Metadata(maxMetadata);
  metadata.selectNumberingPlan(country);
  // The typings stop at a few members; these accessors exist on the numbering plan of the pinned version.
  const plan = metadata.numberingPlan as unknown as {
    possibleLengths(): number[];
    nationalPrefix(): string | undefined;
    nationalNumberPattern(): string;
    formats(): NumberFormat[];
  };
  const shapes = new Set<string>();
  for (const format of plan.formats()) shapesOf(format, shapes);
  return {
    country,
    trunk: plan.nationalPrefix() ?? '',
    lengths: new Set(plan.possibleLengths()),
    pattern: new RegExp(`^(?:${plan.nationalNumberPattern()})$`),
    shapes,
  };
});

/** Every national grouping of every country above: most grouped digit runs fail this one lookup. */
const ALL_SHAPES: ReadonlySet<string> = new Set(PLANS.flatMap((plan) => [...plan.shapes]));

function lengthsOf(country: CountryCode): number[] {
  const metadata = new Metadata(maxMetadata);
  metadata.selectNumberingPlan(country);
  return (metadata.numberingPlan as unknown as { possibleLengths(): number[] }).possibleLengths();
}

/**
 * National-number lengths by country calling code, over every country that shares the code (+1, +7, +44 …):
 * what the library's isPossible() checks, without a parse per number. Non-geographic codes (+800, +882 …) are
 * not here and go to the library.
 */
const LENGTHS_BY_CALLING_CODE = new Map<string, Set<number>>();
for (const country of getCountries()) {
  const code = getCountryCallingCode(country);
  const lengths = LENGTHS_BY_CALLING_CODE.get(code) ?? new Set<number>();
  for (const n of lengthsOf(country)) lengths.add(n);
  LENGTHS_BY_CALLING_CODE.set(code, lengths);
}

/** Returns whether `digits` are exactly a country calling code in use (44, 1, 380), geographic codes only. */
export function isCallingCode(digits: string): boolean {
  return LENGTHS_BY_CALLING_CODE.has(digits);
}

/** Plans by the trunk prefix a number starts with and its national length, for the trunk path ("IT" under "0"). */
const BY_TRUNK = new Map<string, Plan[]>();
for (const plan of PLANS) {
  const trunk = plan.country === 'IT' ? '' : plan.trunk;
  if (trunk === '' && plan.country !== 'IT') continue;
  for (const n of plan.lengths) {
    const key = `${plan.country === 'IT' ? '0' : trunk}:${plan.country === 'IT' ? n : n + trunk.length}`;
    BY_TRUNK.set(key, [...(BY_TRUNK.get(key) ?? []), plan]);
  }
}

/**
 * Library parses allowed per screened string. A parse costs 10–20 µs; past the budget (a text made of
 * thousands of phone-shaped runs) a candidate that passes the cheap length-and-pattern filter is reported
 * without the parse, so the cost stays linear and the error is on the side of redacting.
 */
const PARSES_PER_TEXT = 32;

/** Counts library parses for one screened string; `reset` at the start of each. */
export class ParseBudget {
  private left = PARSES_PER_TEXT;
  reset(): void {
    this.left = PARSES_PER_TEXT;
  }
  /** Returns whether a parse may run, and takes it. */
  take(): boolean {
    if (this.left <= 0) return false;
    this.left--;
    return true;
  }
}

/** Digit strings that are test patterns, not numbers: 0123456789, 9876543210, 5555555555. */
function isPattern(digits: string): boolean {
  if (/^(\d)\1+$/.test(digits)) return true;
  return '012345678901234567890'.includes(digits) || '098765432109876543210'.includes(digits);
}

/**
 * Whether `digits` (the digits after "+" or "00") are a possible international number: a country calling code
 * in use and a length that country's numbers have. The "+" is the evidence, so the number need not be in an
 * assigned range (documentation and drama ranges such as +44 7700 900xxx count).
 */
export function validInternational(digits: string, budget: ParseBudget): boolean {
  if (digits.length < 7 || digits.length > 15 || digits[0] === '0' || isPattern(digits)) return false;
  for (let n = 1; n <= 3; n++) {
    const lengths = LENGTHS_BY_CALLING_CODE.get(digits.slice(0, n));
    if (lengths !== undefined) return lengths.has(digits.length - n); // calling codes are prefix-free
  }
  if (!budget.take()) return true; // past the budget: the "+" and the E.164 length decide
  const number = parsePhoneNumberFromString(`+${digits}`);
  return number !== undefined && number.isPossible();
}

/** Whether `nsn` may be a national significant number of `plan` (length and general pattern). */
function plausible(plan: Plan, nsn: string): boolean {
  return plan.lengths.has(nsn.length) && plan.pattern.test(nsn);
}

function parseIn(plan: Plan, digits: string, budget: ParseBudget): PhoneNumber | 'unchecked' | undefined {
  if (!budget.take()) return 'unchecked';
  const number = parsePhoneNumberFromString(digits, plan.country);
  return number !== undefined && number.country === plan.country && number.isValid() ? number : undefined;
}

/**
 * Whether `digits`, written with a trunk prefix ("020 7946 0958", "8 (495) 123-45-67", "0761535083"), are a
 * valid national number of one of the countries. Italy keeps the leading 0 inside the number, so it is tried
 * whole.
 */
export function validTrunkNational(digits: string, budget: ParseBudget): boolean {
  if (digits.length < 9 || digits.length > 13) return false;
  for (const plan of BY_TRUNK.get(`${digits[0] as string}:${digits.length}`) ?? []) {
    let nsn: string;
    if (plan.trunk !== '' && digits.startsWith(plan.trunk)) nsn = digits.slice(plan.trunk.length);
    else if (plan.country === 'IT' && digits[0] === '0') nsn = digits;
    else continue;
    if (isPattern(nsn) || !plausible(plan, nsn)) continue;
    if (parseIn(plan, digits, budget) !== undefined) return true;
  }
  return false;
}

/** Digit-group lengths of a nationally formatted number, without a trunk prefix the writer left out. */
function groupLengths(formatted: string, trunk: string): number[] {
  const groups = formatted.split(/\D+/).filter((g) => g !== '');
  if (trunk !== '' && groups[0]?.startsWith(trunk)) groups[0] = groups[0].slice(trunk.length);
  return groups.filter((g) => g !== '').map((g) => g.length);
}

/**
 * Whether `digits`, written without a trunk prefix in groups of `lengths` ("138 0013 8000", "(11) 91234-5678",
 * "612 34 56 78"), are a valid number of one of the countries, grouped the way that country writes it. Both
 * conditions are needed: without a prefix, grouped digits are as often amounts, ids or dates.
 */
export function validGroupedNational(
  digits: string,
  lengths: readonly number[],
  budget: ParseBudget,
): boolean {
  const shape = lengths.join(',');
  if (digits.length < 9 || digits.length > 12 || !ALL_SHAPES.has(shape) || isPattern(digits)) return false;
  for (const plan of PLANS) {
    if (plan.trunk !== '' && digits.startsWith(plan.trunk)) continue; // the trunk path's case
    if (!plan.shapes.has(shape) || !plausible(plan, digits)) continue;
    const number = parseIn(plan, digits, budget);
    if (number === 'unchecked') return false; // no shape to compare with: stay quiet
    if (number !== undefined && groupLengths(number.formatNational(), plan.trunk).join(',') === shape)
      return true;
  }
  return false;
}

/** Whether an ungrouped run after a phone label ("tel: 13800138000") is a valid number of one of the countries. */
export function validLabelledNational(digits: string, budget: ParseBudget): boolean {
  if (validTrunkNational(digits, budget)) return true;
  if (digits.length < 9 || digits.length > 12 || isPattern(digits)) return false;
  return PLANS.some((plan) => plausible(plan, digits) && parseIn(plan, digits, budget) !== undefined);
}

/**
 * Whether digits written after a phone label ("phone: 8 (648) 350-30-56", "call me at 68 0013-3890") have the
 * length of a national number of one of the countries, with or without its trunk prefix. The label is the
 * evidence, so the number need not be in a range the country has assigned (as for "+" numbers).
 */
export function possibleLabelledNational(digits: string): boolean {
  if (digits.length < 9 || digits.length > 13 || isPattern(digits)) return false;
  return PLANS.some(
    (plan) =>
      plan.lengths.has(digits.length) ||
      (plan.trunk !== '' &&
        digits.startsWith(plan.trunk) &&
        plan.lengths.has(digits.length - plan.trunk.length)),
  );
}

const CN_PLAN = PLANS.find((plan) => plan.country === 'CN') as Plan;

/**
 * Whether an ungrouped run of eleven digits is a Chinese mobile number ("13800138000"): in China mobiles are
 * written this way, without label, prefix or grouping, and the 1[3-9] ranges are the operators' own.
 */
export function validChineseMobile(digits: string, budget: ParseBudget): boolean {
  if (digits.length !== 11 || digits[0] !== '1' || isPattern(digits) || !plausible(CN_PLAN, digits))
    return false;
  const number = parseIn(CN_PLAN, digits, budget);
  return number !== 'unchecked' && number !== undefined && number.getType() === 'MOBILE';
}
