import { detectText } from '../../src/screening/detect-text';

// Each kind with a number whose check digit is right, and the same number with it wrong: the check, not the
// shape alone, decides (except the UK NINO, which has no check digit and a narrow shape).

function ids(text: string): Array<[string, string | undefined]> {
  return detectText(text)
    .filter((span) => span.class === 'national_id')
    .map((span) => [text.slice(span.start, span.end), span.rule]);
}

describe('national identity numbers', () => {
  it.each([
    ['uk-nino', 'Employee NI number AB 12 34 56 C for payroll', 'AB 12 34 56 C', 'NI number BG 12 34 56 C'],
    ['es-dni', 'DNI 12345678Z', '12345678Z', 'DNI 12345678A'],
    ['es-dni', 'NIE X1234567L', 'X1234567L', 'NIE X1234567K'],
    [
      'it-codice-fiscale',
      'codice fiscale RSSMRA85T10A562S',
      'RSSMRA85T10A562S',
      'codice fiscale RSSMRA85T10A562X',
    ],
    ['fr-nir', 'NIR 1 84 12 76 451 089 46', '1 84 12 76 451 089 46', 'NIR 1 84 12 76 451 089 47'],
    ['br-cpf', 'CPF 123.456.789-09', '123.456.789-09', 'CPF 123.456.789-08'],
    ['in-aadhaar', 'Aadhaar 2341 2341 2346', '2341 2341 2346', 'Aadhaar 2341 2341 2345'],
    ['in-aadhaar', 'aadhaar no: 234123412346', '234123412346', 'aadhaar no: 234123412345'],
    ['pl-pesel', 'PESEL: 44051401359', '44051401359', 'PESEL: 44051401358'],
    ['nl-bsn', 'BSN 111222333', '111222333', 'BSN 111222334'],
    ['se-personnummer', 'personnummer 811218-9876', '811218-9876', 'personnummer 811218-9875'],
    ['ca-sin', 'SIN 046 454 286', '046 454 286', 'SIN 046 454 287'],
    ['ca-sin', 'SIN: 046-454-286', '046-454-286', 'SIN: 046-454-287'],
    ['se-personnummer', 'personnummer 198112189876', '198112189876', 'personnummer 198112189875'],
    ['nl-bsn', 'BSN 1112.22.333', '1112.22.333', 'BSN 1112.22.334'],
    ['es-dni', 'mi dni es 12345678z', '12345678z', 'mi dni es 12345678a'],
  ])('finds a %s with a right check and not with a wrong one', (kind, text, value, wrong) => {
    expect(ids(text)).toEqual([[value, `modelgate-national-id-${kind}`]]);
    expect(ids(wrong)).toEqual([]);
  });

  it.each([
    ['an amount with spaces', 'total 316 704 923,23 €'],
    ['an invoice number', 'invoice 2025-3321-0012'],
    ['nine bare digits without a label', 'order 111222333 shipped'],
    ['eleven bare digits without a label', 'call ref 44051401359'],
    ['a card number', 'card 4111 1111 1111 1111'],
    // A Luhn or Verhoeff digit passes 1 in 10: these shapes count only after their label.
    ['a gift-card code in 4-4-4', 'code 2341 2341 2346 redeemed'],
    ['a ticket number in 3-3-3', 'ticket 046-454-286 closed'],
    ['a build stamp', 'build 811218-9876 green'],
  ])('reports no national id in %s', (_name, text) => {
    expect(ids(text)).toEqual([]);
  });
});

describe('what a national id is not, and what it is not also', () => {
  it.each([
    ['an Aadhaar label before a number starting with 1', 'aadhaar 100000000004'],
    ['Spanish "sin" before nine digits', 'pedido sin 046454286 hoy'],
    ['Math.sin of a number', 'y = Math.sin 046454286'],
    ['an unspaced NINO shape without its label', 'Part CE123456A in stock'],
  ])('reports no national id for %s', (_name, text) => {
    expect(ids(text)).toEqual([]);
  });

  it('finds an unspaced NINO after its label', () => {
    expect(ids('NI number: CE123456A')).toEqual([['CE123456A', 'modelgate-national-id-uk-nino']]);
  });

  it.each([
    ['a NIR that passes Luhn', 'NIR 122056086062804'],
    ['a SIN with spaces', 'SIN 046 454 286'],
    ['a PESEL', 'PESEL: 02270803624'],
  ])('reports %s as a national id only, not also as a phone or card', (_name, text) => {
    expect(detectText(text).map((span) => span.class)).toEqual(['national_id']);
  });
});

describe('Finnish personal identity codes (henkilötunnus)', () => {
  // DDMMYY, a century sign, three digits, then DDMMYYNNN mod 31 as a character of this alphabet.
  const CHECK = '0123456789ABCDEFHJKLMNPRSTUVWXY';
  const hetu = (date: string, sign: string, serial: string): string =>
    `${date}${sign}${serial}${CHECK[Number(date + serial) % 31]}`;
  const wrongCheck = (id: string): string => id.slice(0, -1) + (id.endsWith('0') ? '1' : '0');

  it.each([
    ['born in 2004, sign A', hetu('170304', 'A', '457')],
    ['born in 1988, sign Y', hetu('290288', 'Y', '213')],
    ['born in 2011, sign C', hetu('051111', 'C', '872')],
  ])('finds one %s wherever it stands, and not with a wrong check', (_name, id) => {
    expect(ids(`asiakas ${id} soitti`)).toEqual([[id, 'modelgate-national-id-fi-hetu']]);
    expect(ids(`asiakas ${wrongCheck(id)} soitti`)).toEqual([]);
  });

  it('finds one with "-" only after its label, since YYMMDD-HHMM build stamps share the layout', () => {
    const id = hetu('120579', '-', '318');
    expect(ids(`henkilötunnus ${id}`)).toEqual([[id, 'modelgate-national-id-fi-hetu']]);
    expect(ids(`Personal identity code: ${id}`)).toEqual([[id, 'modelgate-national-id-fi-hetu']]);
    expect(ids(`build ${id}`)).toEqual([]);
  });

  it('does not report a date that does not exist', () => {
    expect(ids(`asiakas ${hetu('300204', 'A', '457')}`)).toEqual([]);
  });
});

describe('Singapore NRIC/FIN and Korean resident registration numbers, after their labels', () => {
  // Seven digits weighted 2,7,6,5,4,3,2, four more for T and G, then a letter of the citizens' or foreigners' table.
  const nric = (prefix: string, digits: string): string => {
    let sum = prefix === 'T' || prefix === 'G' ? 4 : 0;
    [2, 7, 6, 5, 4, 3, 2].forEach((w, i) => (sum += w * Number(digits[i])));
    const table = prefix === 'S' || prefix === 'T' ? 'JZIHGFEDCBA' : 'XWUTRQPNMLK';
    return `${prefix}${digits}${table[sum % 11]}`;
  };
  const otherLetter = (id: string): string => id.slice(0, -1) + (id.endsWith('A') ? 'B' : 'A');

  it.each([
    ['a citizen of the 1900s series', 'NRIC', nric('S', '8403127')],
    ['a citizen of the 2000s series', 'NRIC No.', nric('T', '0519388')],
    ['a foreigner', 'FIN:', nric('G', '6620413')],
  ])('finds the NRIC of %s, and not with another check letter nor without its label', (_name, label, id) => {
    expect(ids(`${label} ${id}`)).toEqual([[id, 'modelgate-national-id-sg-nric']]);
    expect(ids(`${label} ${otherLetter(id)}`)).toEqual([]);
    expect(ids(`code ${id}`)).toEqual([]);
  });

  it.each([
    ['dashed, born 1987', '주민등록번호', '870415-1537204'],
    ['unbroken, born 2003', 'RRN:', '0311284069315'],
    ['in English', 'resident registration number', '790923-2481736'],
  ])('finds a resident registration number %s after its label', (_name, label, id) => {
    expect(ids(`${label} ${id}`)).toEqual([[id, 'modelgate-national-id-kr-rrn']]);
    expect(ids(`ref ${id}`)).toEqual([]);
  });

  it('does not report a resident registration number whose birth date does not exist', () => {
    expect(ids('RRN 870231-1537204')).toEqual([]);
  });
});
