import type { ScreeningClass } from '../classes';
import { looksRandom } from '../validators/random-token';

/** A vendor token found by its prefix and a bounded random body. */
export interface TokenRule {
  class: ScreeningClass;
  /** The rule id reported, for a vendor with no class of its own (api_token). */
  rule?: string;
  /** The text a token of this rule starts with ("gh", "sk-", …); "k_" is tested one character in (sk_, rk_). */
  prefix: string;
  /** Sticky regex tried where the prefix was found; group 1 (or 2) is the random part `accept` judges. */
  pattern: RegExp;
  accept(token: string, random: string): boolean;
}

/** Returns whether a token's random part holds two of upper case, lower case and digits. */
export const random2 = (_token: string, random: string): boolean => looksRandom(random);

// Upper case, lower case and digits: what a random alphanumeric body holds and a word run does not.
/** Returns whether a token's random part holds upper case, lower case and digits, twelve distinct characters. */
export const random3 = (_token: string, random: string): boolean =>
  looksRandom(random, { kinds: 3, minDistinct: 12 });

// A hex body has no upper case; ten distinct digits keep out runs such as "0000…" and "abab…".
/** Returns whether a token's hex part holds a letter and a digit and ten distinct characters. */
export const randomHex = (_token: string, random: string): boolean =>
  /[a-f]/i.test(random) && looksRandom(random, { minDistinct: 10 });
