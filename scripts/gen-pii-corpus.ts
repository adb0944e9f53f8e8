/**
 * Generates the multi-locale PII part of the screening corpus, once, with a fixed seed; the output is committed
 * (test/screening/corpus/generated-pii.jsonl and generated-negatives.jsonl) and this script is kept to show how
 * it was made and to regenerate it on purpose. Usage: `npx tsx scripts/gen-pii-corpus.ts`.
 *
 * Values come from @faker-js/faker (names, emails, IBANs, IPs, faker's own phone formats) and, for phone
 * numbers, from Google's libphonenumber metadata: faker's phone formats are random digits in a locale's
 * pattern and are often not numbers of that country, so a faker number is kept only when the metadata says it
 * is valid, and valid numbers of each of the 33 countries the detector covers are drawn from the metadata's own
 * ranges and written in the national, international, E.164 and other forms people use. Card numbers are built
 * from each network's published IIN ranges and lengths with a Luhn check digit. Negatives are look-alikes:
 * source code, package manifests, hashes, UUIDs, versions, dates, times, tracking and order numbers, amounts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allFakers, type Faker } from '@faker-js/faker';
import {
  getCountryCallingCode,
  parsePhoneNumberFromString,
  type CountryCode,
  type PhoneNumber,
} from 'libphonenumber-js/max';
import { NATIONAL_COUNTRIES } from '../src/screening/validators/phone-number';

const SEED = 20261129;
const OUT = join(__dirname, '..', 'test', 'screening', 'corpus');

interface Row {
  text: string;
  labels: Array<{ class: string; value: string }>;
}

const LOCALES: ReadonlyArray<[string, CountryCode]> = [
  ['en_US', 'US'],
  ['en_GB', 'GB'],
  ['de', 'DE'],
  ['fr', 'FR'],
  ['es', 'ES'],
  ['it', 'IT'],
  ['pt_BR', 'BR'],
  ['ru', 'RU'],
  ['ja', 'JP'],
  ['zh_CN', 'CN'],
  ['ko', 'KR'],
  ['en_IN', 'IN'],
  ['id_ID', 'ID'],
  ['tr', 'TR'],
  ['vi', 'VN'],
  ['nl', 'NL'],
  ['pl', 'PL'],
  ['es_MX', 'MX'],
  ['uk', 'UA'],
  ['en_AU', 'AU'],
  ['fa', 'IR'],
  ['th', 'TH'],
  ['en_NG', 'NG'],
];

function fakerFor(locale: string): Faker {
  const f = (allFakers as Record<string, Faker>)[locale];
  if (f === undefined) throw new Error(`faker has no locale ${locale}`);
  return f;
}

const base = fakerFor('en');

// ----------------------------------------------------------------------------------------------- phones

const PHONE_TEMPLATES = [
  'Please call {name} on {v} before noon.',
  'Contact: {name}, {v}',
  'You can reach me at {v} any time.',
  '{name} (mobile {v}) will meet the courier.',
  'Kontakt: {v}',
  'Téléphone : {v}',
  'Teléfono de contacto: {v}',
  'Телефон: {v}',
  '联系电话：{v}',
  '電話番号 {v} までご連絡ください。',
  'Hotline {v} is open 24/7, ask for {name}.',
  '"phone": "{v}"',
  'customer={name}; phone={v}; status=active',
];

/** Draws a valid national significant number of `country`: a mobile example with random tail, or random digits. */
function drawNumber(country: CountryCode): PhoneNumber | undefined {
  const cc = getCountryCallingCode(country);
  for (let tries = 0; tries < 5000; tries++) {
    const length = base.number.int({ min: 8, max: country === 'CN' ? 11 : 10 });
    const first = base.number.int({ min: 1, max: 9 });
    const nsn = `${first}${base.string.numeric(length - 1)}`;
    const number = parsePhoneNumberFromString(`+${cc}${nsn}`);
    if (number?.isValid() && number.country === country) return number;
  }
  return undefined;
}

/** The ways a number is written; each returns undefined when the form does not apply to the number. */
const PHONE_FORMS: ReadonlyArray<(n: PhoneNumber) => string | undefined> = [
  (n) => n.formatInternational(),
  (n) => n.formatNational(),
  (n) => n.number, // E.164
  (n) => `00${n.formatInternational().slice(1)}`,
  (n) => n.formatInternational().replace(/ /g, '-'),
  // "+44306 999 0379": the country code glued to the first group.
  (n) => n.formatInternational().replace(' ', ''),
  // "0761535083": a national number as one run of digits (trunk-prefixed countries only).
  (n) => {
    const digits = n.formatNational().replace(/\D/g, '');
    return digits.startsWith('0') && digits.length >= 10 ? digits : undefined;
  },
  (n) => `${n.formatInternational()} ext. ${base.string.numeric({ length: { min: 2, max: 4 } })}`,
];

function phoneRows(): Row[] {
  const rows: Row[] = [];
  for (const country of NATIONAL_COUNTRIES) {
    for (let k = 0; k < 3; k++) {
      const number = drawNumber(country);
      if (number === undefined) throw new Error(`no valid number drawn for ${country}`);
      for (const form of PHONE_FORMS) {
        if (base.number.float() < 0.45) continue; // a sample of the forms per number keeps the file small
        const value = form(number);
        if (value === undefined) continue;
        const template = base.helpers.arrayElement(PHONE_TEMPLATES);
        rows.push({
          text: template.replace('{name}', base.person.firstName()).replace('{v}', value),
          labels: [{ class: 'phone', value }],
        });
      }
    }
  }
  // North American numbers as faker writes them, extensions included: 262-456-9667x962, (551) 389-3688 x0018.
  for (let k = 0; k < 20; k++) {
    const area = `${base.number.int({ min: 2, max: 9 })}${base.string.numeric(2)}`;
    const exchange = `${base.number.int({ min: 2, max: 9 })}${base.string.numeric(2)}`;
    if (area[1] === '1' && area[2] === '1') continue;
    const line = base.string.numeric(4);
    const ext = base.string.numeric({ length: { min: 2, max: 4 } });
    const value = base.helpers.arrayElement([
      `${area}-${exchange}-${line}x${ext}`,
      `(${area}) ${exchange}-${line} x${ext}`,
      `${area}.${exchange}.${line}`,
      `1-${area}-${exchange}-${line}`,
      `+1 ${area} ${exchange} ${line}`,
    ]);
    rows.push({ text: `Call ${base.person.fullName()} at ${value}.`, labels: [{ class: 'phone', value }] });
  }
  // faker's own phone numbers in each locale, where the metadata says they are numbers of that country.
  for (const [locale, country] of LOCALES) {
    const f = fakerFor(locale);
    let kept = 0;
    for (let tries = 0; tries < 200 && kept < 4; tries++) {
      const style = base.helpers.arrayElement(['human', 'national', 'international'] as const);
      const value = f.phone.number({ style });
      const number = parsePhoneNumberFromString(value, country);
      if (number === undefined || !number.isValid()) continue;
      kept++;
      const template = base.helpers.arrayElement(PHONE_TEMPLATES);
      rows.push({
        text: template.replace('{name}', f.person.firstName()).replace('{v}', value),
        labels: [{ class: 'phone', value }],
      });
    }
  }
  return rows;
}

// ------------------------------------------------------------------------------------------------ cards

interface Network {
  name: string;
  prefixes: readonly string[];
  lengths: readonly number[];
}

// Published IIN ranges (a representative prefix of each range) and lengths of each network.
const NETWORKS: readonly Network[] = [
  { name: 'Visa', prefixes: ['4'], lengths: [13, 16, 19] },
  { name: 'Mastercard', prefixes: ['51', '55', '2221', '2720'], lengths: [16] },
  { name: 'American Express', prefixes: ['34', '37'], lengths: [15] },
  { name: 'Discover', prefixes: ['6011', '644', '649', '65'], lengths: [16, 19] },
  { name: 'JCB', prefixes: ['3528', '3589'], lengths: [15, 16, 19] },
  { name: 'Diners Club', prefixes: ['300', '305', '36', '38'], lengths: [14, 16] },
  { name: 'UnionPay', prefixes: ['62', '81'], lengths: [16, 17, 18, 19] },
  {
    name: 'Maestro',
    prefixes: ['5018', '5020', '5038', '5893', '6304', '6759', '6761'],
    lengths: [12, 13, 15, 19],
  },
  { name: 'Mir', prefixes: ['2200', '2204'], lengths: [16, 19] },
  { name: 'RuPay', prefixes: ['60', '65', '81', '82', '508'], lengths: [16] },
  { name: 'Troy', prefixes: ['9792'], lengths: [16] },
  { name: 'Verve', prefixes: ['506099', '506198', '650002', '507865'], lengths: [16, 19] },
  { name: 'Elo', prefixes: ['636368', '504175', '438935', '451416'], lengths: [16] },
  { name: 'UATP', prefixes: ['1'], lengths: [15] },
  { name: 'Dankort', prefixes: ['5019'], lengths: [16] },
  { name: 'InterPayment', prefixes: ['636'], lengths: [16, 19] },
];

function luhnDigit(partial: string): string {
  let sum = 0;
  for (let i = 0; i < partial.length; i++) {
    let d = Number(partial[partial.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

function cardNumber(prefix: string, length: number): string {
  const partial = prefix + base.string.numeric(length - prefix.length - 1);
  return partial + luhnDigit(partial);
}

function groups(digits: string, sizes: readonly number[]): string[] {
  const out: string[] = [];
  let at = 0;
  for (const size of sizes) {
    if (at >= digits.length) break;
    out.push(digits.slice(at, at + size));
    at += size;
  }
  if (at < digits.length) out.push(digits.slice(at));
  return out;
}

/** The ways a card number is written: ungrouped, in fours with any separator, in pairs, Amex/Diners layouts. */
function cardForms(digits: string): string[] {
  const fours = groups(digits, [4, 4, 4, 4, 4]);
  const forms = [digits, fours.join(' '), fours.join('-'), fours.join('.'), fours.join('/')];
  forms.push(fours.join('\u00a0'), fours.join('  '), groups(digits, Array(10).fill(2)).join(' '));
  if (digits.length === 15) forms.push(groups(digits, [4, 6, 5]).join(' '));
  if (digits.length === 14) forms.push(groups(digits, [4, 6, 4]).join(' '));
  return forms;
}

const CARD_TEMPLATES = [
  'My card number is {v}, expiry 09/28.',
  'charge it to {v} please',
  'Kartennummer: {v}',
  'Numéro de carte {v} (exp 11/27)',
  'tarjeta {v}',
  '卡号 {v}',
  '{"payment_method":"card","number":"{v}"}',
  'card={v}&cvv=123',
];

function cardRows(): Row[] {
  const rows: Row[] = [];
  for (const network of NETWORKS) {
    for (const length of network.lengths) {
      for (const prefix of network.prefixes) {
        const digits = cardNumber(prefix, length);
        const value = base.helpers.arrayElement(cardForms(digits));
        const text = base.helpers.arrayElement(CARD_TEMPLATES).replace('{v}', value);
        rows.push({ text, labels: [{ class: 'credit_card', value }] });
      }
    }
  }
  // Glued to a word: "cc4111111111111111".
  for (let k = 0; k < 6; k++) {
    const network = base.helpers.arrayElement(NETWORKS.slice(0, 7));
    const value = cardNumber(base.helpers.arrayElement(network.prefixes), network.lengths[0] as number);
    rows.push({ text: `paid with cc${value} yesterday`, labels: [{ class: 'credit_card', value }] });
  }
  return rows;
}

// ----------------------------------------------------------------------------- IBANs, emails, SSNs, IPs

function ibanRows(): Row[] {
  const countries = [
    'DE',
    'FR',
    'GB',
    'ES',
    'IT',
    'NL',
    'PL',
    'BE',
    'AT',
    'CH',
    'PT',
    'SE',
    'NO',
    'DK',
    'FI',
    'IE',
    'TR',
    'SA',
    'AE',
    'BR',
    'UA',
    'RO',
    'CZ',
    'HU',
    'GR',
  ];
  const templates = [
    'IBAN: {v}',
    'Please transfer the deposit to {v} by Friday.',
    'Bankverbindung {v} (Sparkasse)',
    'RIB / IBAN {v}',
    '{"iban":"{v}","bic":"DEUTDEFF"}',
  ];
  const rows: Row[] = [];
  for (const countryCode of countries) {
    for (const formatted of [true, false]) {
      let value: string;
      try {
        value = base.finance.iban({ formatted, countryCode });
      } catch {
        continue; // a country faker has no IBAN format for
      }
      if (!formatted && base.number.float() < 0.2) value = value.toLowerCase();
      rows.push({
        text: base.helpers.arrayElement(templates).replace('{v}', value),
        labels: [{ class: 'iban', value }],
      });
    }
  }
  return rows;
}

function emailRows(): Row[] {
  const rows: Row[] = [];
  const templates = [
    'Send the contract to {v} today.',
    'From: {v}',
    'E-Mail: {v}',
    'メール: {v}',
    'reply-to={v}',
    'cc {v}, thanks',
  ];
  for (const [locale] of LOCALES) {
    const f = fakerFor(locale);
    for (let k = 0; k < 4; k++) {
      const value = f.internet.email();
      rows.push({
        text: base.helpers.arrayElement(templates).replace('{v}', value),
        labels: [{ class: 'email', value }],
      });
    }
    // An internationalised local part (RFC 6531): the person's name in the locale's own script.
    const local = `${f.person.firstName()}.${f.person.lastName()}`.replace(/[\s'’]/g, '').toLowerCase();
    const value = `${local}@${base.internet.domainName()}`;
    rows.push({
      text: base.helpers.arrayElement(templates).replace('{v}', value),
      labels: [{ class: 'email', value }],
    });
  }
  // A full-width at sign, folded by normalisation before detection.
  for (let k = 0; k < 5; k++) {
    const value = base.internet.email().replace('@', '\uff20');
    rows.push({ text: `write to ${value} instead`, labels: [{ class: 'email', value }] });
  }
  return rows;
}

function ssnRows(): Row[] {
  const rows: Row[] = [];
  for (let k = 0; k < 30; k++) {
    let area = base.number.int({ min: 1, max: 899 });
    if (area === 666) area = 667;
    const a = String(area).padStart(3, '0');
    const g = String(base.number.int({ min: 1, max: 99 })).padStart(2, '0');
    const s = String(base.number.int({ min: 1, max: 9999 })).padStart(4, '0');
    const [value, text] = base.helpers.arrayElement([
      [`${a}-${g}-${s}`, `SSN ${a}-${g}-${s} on file for ${base.person.fullName()}`],
      [`${a} ${g} ${s}`, `social security number: ${a} ${g} ${s}`],
      [`${a}${g}${s}`, `SSN: ${a}${g}${s}`],
      [`${a}-${g}-${s}`, `"ssn": "${a}-${g}-${s}"`],
    ]);
    rows.push({ text, labels: [{ class: 'us_ssn', value }] });
  }
  return rows;
}

function publicV4(address: string): boolean {
  const [a, b] = address.split('.').map(Number) as [number, number];
  return !(
    a === 0 ||
    a === 10 ||
    a === 127 ||
    a >= 224 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19))
  );
}

function ipRows(): Row[] {
  const rows: Row[] = [];
  const templates = [
    'client {v} connected',
    'Failed login from {v} at 03:12 UTC',
    'X-Forwarded-For: {v}',
    '{"remote_addr":"{v}","status":403}',
    'my home IP is {v}, please allow it',
  ];
  while (rows.length < 25) {
    const value = base.internet.ipv4();
    if (!publicV4(value)) continue;
    rows.push({
      text: base.helpers.arrayElement(templates).replace('{v}', value),
      labels: [{ class: 'ip_address', value }],
    });
  }
  for (let k = 0; k < 20; k++) {
    let value = base.internet.ipv6();
    if (value.startsWith('f') || value.startsWith('0'))
      value = `2001:db8${value.slice(value.indexOf(':', 5))}`;
    if (k % 3 === 0) value = value.replace(/(:0{1,4}){2,}:?/, '::');
    rows.push({
      text: base.helpers.arrayElement(templates).replace('{v}', value),
      labels: [{ class: 'ip_address', value }],
    });
  }
  return rows;
}

// -------------------------------------------------------------------------------------------- negatives

function negativeRows(): Row[] {
  const texts: string[] = [];
  const d = (): Date => base.date.past({ years: 5 });
  for (let k = 0; k < 40; k++) {
    const date = d();
    const [y, m, day] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    const p2 = (n: number): string => String(n).padStart(2, '0');
    texts.push(
      `Released ${y}-${p2(m)}-${p2(day)} ${p2(date.getUTCHours())}:${p2(date.getUTCMinutes())}:${p2(date.getUTCSeconds())} as v${base.system.semver()}`,
      `Termin am ${p2(day)}.${p2(m)}.${y} um ${p2(date.getUTCHours())}.${p2(date.getUTCMinutes())} Uhr`,
      `due ${p2(m)}/${p2(day)}/${y}, invoice ${y}-${base.string.numeric(4)}-${base.string.numeric(4)}`,
      `request ${base.string.uuid()} took ${base.number.int({ min: 3, max: 900 })} ms`,
      `commit ${base.git.commitSha()} (${base.git.commitSha({ length: 7 })}) merged`,
      `sha256: ${base.string.hexadecimal({ length: 64, casing: 'lower', prefix: '' })}`,
      `"integrity": "sha512-${base.string.alphanumeric(86)}=="`,
      `  "${base.word.noun()}-${base.word.noun()}": "^${base.system.semver()}",`,
      `Order #${base.string.numeric(9)} shipped via UPS 1Z${base.string.alphanumeric({ length: 6, casing: 'upper' })}${base.string.numeric(10)}`,
      `USPS tracking ${base.string.numeric(4)} ${base.string.numeric(4)} ${base.string.numeric(4)} ${base.string.numeric(4)} ${base.string.numeric(4)} ${base.string.numeric(2)}`,
      `FedEx ${base.string.numeric(12)}, order ${base.string.numeric(8)}`,
      `timestamp ${base.number.int({ min: 1500000000, max: 1800000000 })} (epoch), ${base.number.int({ min: 1500000000000, max: 1800000000000 })} ms`,
      `total ${base.number.int({ min: 1, max: 999 })} ${base.string.numeric(3)} ${base.string.numeric(3)},${base.string.numeric(2)} €`,
      `population ${base.number.int({ min: 1000000, max: 999999999 }).toLocaleString('en-US')}`,
      `location ${base.location.latitude()}, ${base.location.longitude()}`,
      `listen on 10.${base.number.int(255)}.${base.number.int(255)}.${base.number.int(255)}:${base.internet.port()} and 192.168.${base.number.int(255)}.${base.number.int(255)}`,
      `mac ${base.internet.mac()} version ${base.number.int(20)}.${base.number.int(20)}.${base.number.int(99)}.${base.number.int(9999)}`,
      `const retries = ${base.number.int(9)}; const timeoutMs = ${base.number.int({ min: 1000, max: 99999 })}; // ${base.hacker.phrase()}`,
      `for (let i = 0; i < ${base.number.int({ min: 100, max: 100000 })}; i++) sum += a[i] * ${base.number.float({ fractionDigits: 6 })};`,
      `ISBN ${base.commerce.isbn({ separator: '-' })}, EAN ${base.commerce.isbn({ variant: 13, separator: '' })}`,
      `pid ${base.number.int({ min: 100, max: 99999 })} rss ${base.number.int({ min: 10000, max: 9999999 })} kB uptime ${base.number.int({ min: 1000, max: 9999999 })} s`,
      `build ${y}.${p2(m)}.${p2(day)}.${base.number.int(99)} (${base.string.numeric(10)})`,
    );
  }
  return texts.map((text) => ({ text, labels: [] }));
}

function main(): void {
  base.seed(SEED);
  for (const [locale] of LOCALES) fakerFor(locale).seed(SEED);
  base.setDefaultRefDate('2026-01-01T00:00:00Z');
  const positives = [...phoneRows(), ...cardRows(), ...ibanRows(), ...emailRows(), ...ssnRows(), ...ipRows()];
  const negatives = negativeRows();
  const write = (file: string, rows: Row[]): void =>
    writeFileSync(join(OUT, file), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  write('generated-pii.jsonl', positives);
  write('generated-negatives.jsonl', negatives);
  console.log(
    `generated-pii.jsonl: ${positives.length} rows; generated-negatives.jsonl: ${negatives.length} rows`,
  );
}

main();
