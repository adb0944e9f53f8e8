import { luhnValid } from './luhn';

// Check digits of national identity numbers, each as its issuer publishes it. Inputs are the number's
// characters without separators, already matched to the right length and alphabet by the detector.

const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';

/** Spain's DNI (8 digits and a letter) and NIE (X, Y or Z, 7 digits and a letter): the letter is the number mod 23. */
export function spanishIdValid(id: string): boolean {
  const upper = id.toUpperCase();
  const lead = 'XYZ'.indexOf(upper[0]!);
  const digits = lead >= 0 ? `${lead}${upper.slice(1, 8)}` : upper.slice(0, 8);
  return DNI_LETTERS[Number(digits) % 23] === upper[8];
}

// Codice fiscale: the value of each character in an odd (1st, 3rd, …) and in an even position.
const CF_ODD = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];

function cfValue(c: string, odd: boolean): number {
  const code = c.charCodeAt(0);
  const index = code <= 57 ? code - 48 : code - 65; // a digit counts as the letter of the same index
  return odd ? CF_ODD[index]! : index;
}

/** Italy's codice fiscale (16 characters): the last letter checks the first fifteen. */
export function codiceFiscaleValid(id: string): boolean {
  const upper = id.toUpperCase();
  let sum = 0;
  for (let i = 0; i < 15; i++) sum += cfValue(upper[i]!, i % 2 === 0);
  return String.fromCharCode(65 + (sum % 26)) === upper[15];
}

/** France's NIR (social security number, 13 characters and a 2-digit key): key = 97 - number mod 97; Corsica 2A/2B count as 19/18. */
export function nirValid(id: string): boolean {
  const upper = id.toUpperCase();
  const body = upper.slice(0, 13).replace('2A', '19').replace('2B', '18');
  if (!/^\d{13}$/.test(body)) return false;
  return 97 - Number(BigInt(body) % 97n) === Number(upper.slice(13, 15));
}

/** Brazil's CPF (11 digits): two mod-11 check digits; a number of one repeated digit is not issued. */
export function cpfValid(digits: string): boolean {
  if (/^(\d)\1{10}$/.test(digits)) return false;
  const check = (length: number): number => {
    let sum = 0;
    for (let i = 0; i < length; i++) sum += Number(digits[i]) * (length + 1 - i);
    const rest = (sum * 10) % 11;
    return rest === 10 ? 0 : rest;
  };
  return check(9) === Number(digits[9]) && check(10) === Number(digits[10]);
}

// Verhoeff's dihedral-group tables, for India's Aadhaar number.
const VERHOEFF_D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/** India's Aadhaar number (12 digits, not starting with 0 or 1): Verhoeff's check digit. */
export function aadhaarValid(digits: string): boolean {
  let c = 0;
  for (let i = 0; i < digits.length; i++) {
    const d = Number(digits[digits.length - 1 - i]);
    c = VERHOEFF_D[c]![VERHOEFF_P[i % 8]![d]!]!;
  }
  return c === 0;
}

/** Poland's PESEL (11 digits): weighted check digit, and a birth date the century-coded month makes real. */
export function peselValid(digits: string): boolean {
  const weights = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];
  let sum = 0;
  for (let i = 0; i < 10; i++) sum += Number(digits[i]) * weights[i]!;
  if ((10 - (sum % 10)) % 10 !== Number(digits[10])) return false;
  const month = Number(digits.slice(2, 4)) % 20;
  const day = Number(digits.slice(4, 6));
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

/** The Netherlands' BSN (9 digits): the "eleven test", with the last digit weighted -1. */
export function bsnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number(digits[i]) * (9 - i);
  sum -= Number(digits[8]);
  return sum % 11 === 0 && sum !== 0;
}

/** Sweden's personnummer (YYMMDD and 4 digits): a real month and day, Luhn over the 10 digits. */
export function personnummerValid(digits: string): boolean {
  const month = Number(digits.slice(2, 4));
  const day = Number(digits.slice(4, 6)) % 60; // a samordningsnummer adds 60 to the day
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && luhnValid(digits);
}

/** Canada's SIN (9 digits): Luhn, and not starting with 8 (business numbers); 0 is used for examples. */
export function sinValid(digits: string): boolean {
  return digits[0] !== '8' && luhnValid(digits);
}

const HETU_CHECK = '0123456789ABCDEFHJKLMNPRSTUVWXY';
const HETU_CENTURY: Record<string, number> = { A: 2000, B: 2000, C: 2000, D: 2000, E: 2000, F: 2000 };

/**
 * Finland's henkilötunnus (DDMMYY, a century sign, three digits and a check character): the date must exist,
 * the check is DDMMYYNNN mod 31. A "+" or "-" sign arrives stripped (ten characters); 1800 and 1900 have the same
 * calendar, so the sign is not needed to check the date.
 */
export function hetuValid(id: string): boolean {
  const sign = id.length === 11 ? id[6]! : '-';
  const digits = id.slice(0, 6) + id.slice(-4, -1);
  if (!/^\d{9}$/.test(digits)) return false;
  const [day, month, yy] = [Number(id.slice(0, 2)), Number(id.slice(2, 4)), Number(id.slice(4, 6))];
  const year = (HETU_CENTURY[sign] ?? 1900) + yy;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (month < 1 || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return false;
  return HETU_CHECK[Number(digits) % 31] === id[id.length - 1];
}

/**
 * Singapore's NRIC and FIN (S, T, F or G, seven digits, a check letter): weights 2,7,6,5,4,3,2, four more for
 * the 2000s series (T, G), and a letter table for citizens (S, T) and one for foreigners (F, G).
 */
export function nricValid(id: string): boolean {
  const weights = [2, 7, 6, 5, 4, 3, 2];
  let sum = id[0] === 'T' || id[0] === 'G' ? 4 : 0;
  for (let i = 0; i < 7; i++) sum += Number(id[i + 1]) * weights[i]!;
  const table = id[0] === 'S' || id[0] === 'T' ? 'JZIHGFEDCBA' : 'XWUTRQPNMLK';
  return table[sum % 11] === id[8];
}

/**
 * South Korea's resident registration number (YYMMDD, then seven digits, the first 1–8): the birth date must
 * exist in the century the first digit names. Numbers issued since October 2020 have no check digit, so none is
 * required; this is why the number counts only after its label.
 */
export function rrnValid(digits: string): boolean {
  const century = '1256'.includes(digits[6]!) ? 1900 : 2000;
  const [year, month, day] = [
    century + Number(digits.slice(0, 2)),
    Number(digits.slice(2, 4)),
    Number(digits.slice(4, 6)),
  ];
  const date = new Date(Date.UTC(year, month - 1, day));
  return month >= 1 && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
