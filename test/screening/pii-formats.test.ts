import type { ScreeningClass } from '../../src/screening/classes';
import { detectText } from '../../src/screening/detect-text';
import { ParseBudget, validTrunkNational } from '../../src/screening/validators/phone-number';
import { ibanFor, withLuhnDigit } from './fake-values';

/** The substrings reported for one class, after normalisation, mapped back to the original text. */
function found(text: string, cls: ScreeningClass): string[] {
  return detectText(text)
    .filter((s) => s.class === cls)
    .map((s) => text.slice(s.start, s.end));
}

describe('phone numbers of the largest locales', () => {
  it.each<[string, string]>([
    // International forms, any grouping.
    ['United Kingdom, odd grouping', 'call +44306 999 0379 today'],
    ['Germany, dashes', 'Tel +49-30-1234567'],
    ['France, 00 prefix', 'joindre au 0033 1 98 90 23 64'],
    ['Switzerland, 00 prefix in pairs', 'Handy 0041 79 703 10 13'],
    ['India, E.164', 'WhatsApp +919876501234'],
    ['Indonesia, parenthesised code', 'hubungi (+62) 812 3456 7890'],
    ['Nigeria', 'call +234 803 123 4567'],
    ['Brazil', 'ligue +55 11 91234-5678'],
    ['Russia', 'звоните +7 495 123-45-67'],
    ['Japan', '連絡先 +81 3-1234-5678'],
    ['Korea', '+82 10-1234-5678 로 연락'],
    ['a parenthesised trunk zero', 'London (+44) (0)20 7946 0321'],
    // National forms with a trunk prefix.
    ['UK national', 'Ring 020 7946 0958'],
    ['German national', 'Kontakt: 089 12345678'],
    ['French national in pairs', 'Téléphone : 01 42 68 53 00'],
    ['Russian with trunk 8', 'Телефон: 8 (495) 123-45-67'],
    ['Japanese mobile', '携帯 090-1234-5678'],
    ['Korean mobile', '010-1234-5678'],
    ['Nigerian mobile', 'call 0803 123 4567'],
    ['Turkish mobile', 'ara 0532 123 45 67'],
    ['Pakistani mobile', 'call 0300 1234567'],
    ['Indian mobile, 6-5 grouping', 'फ़ोन 098765 01234'],
    ['a national digit run', 'my number is 0761535083'],
    ['Australian area code in parentheses', 'phone (02) 9374 4000'],
    // National forms without a prefix, grouped as the country writes them.
    ['Chinese mobile', '手机 138 0013 8000'],
    ['Chinese mobile after a label, ungrouped', '手机：13800138000'],
    ['Chinese mobile, ungrouped, no label', '请联系 13996001338 谢谢'],
    ['Brazilian mobile', 'celular (11) 91234-5678'],
    ['Mexican number', 'llámame al 55 1234 5678'],
    ['Spanish mobile', 'móvil 612 34 56 78'],
    ['Italian mobile', 'cellulare 312 345 6789'],
    ['Polish mobile', 'telefon 512 345 678'],
    // North America.
    ['grouped 3-3-4', 'call (415) 555-2671 now'],
    ['dotted', 'call 415.555.2671 now'],
    ['with a leading 1', 'call 1-800-555-0199'],
    ['labelled, ungrouped', 'phone: 4155552671'],
    // After a label in prose, grouped numbers of a possible length count even outside assigned ranges.
    ['after "my phone number is"', 'My phone number is 9568413953.'],
    ['after "call me at"', 'Call me at 3931822788'],
    ['after "text me on"', 'text me on 07700 900123'],
    ['labelled, in an unassigned Russian range', 'тел. 8 (648) 350-30-56'],
    ['labelled, in an unassigned Brazilian range', 'contact: 68 0013-3890'],
    ['an assignment', 'customer=Jo; phone=+91 98765 01234; status=active'],
  ])('%s', (_name, text) => {
    expect(found(text, 'phone')).toHaveLength(1);
  });

  it.each<[string, string, string]>([
    ['x and digits glued on', 'call 262-456-9667x962 now', '262-456-9667x962'],
    ['" x"', 'ring (551) 389-3688 x0018.', '(551) 389-3688 x0018'],
    ['" ext. "', 'desk +1 415-555-2671 ext. 12', '+1 415-555-2671 ext. 12'],
    ['", poste"', 'au 514 555-2671, poste 628', '514 555-2671, poste 628'],
    ['" доб."', 'тел. +7 495 123-45-67 доб. 12', '+7 495 123-45-67 доб. 12'],
  ])('includes an extension: %s', (_name, text, value) => {
    expect(found(text, 'phone')).toEqual([value]);
  });

  it.each<[string, string, string]>([
    ['after "+91"', 'WhatsApp +91 98765 43210', '+91 98765 43210'],
    ['after "Mobile:", grouped 5-5', 'Mobile: 98765 43210', '98765 43210'],
    ['after "Ph:"', 'Ph: 9876501234', '9876501234'],
    ['after "Ph." and "No."', 'Ph. No. 9876501234', '9876501234'],
    ['after a label and a dash', 'Mobile No - 9876501234', '9876501234'],
    ['after a qualified label', 'Phone (M): 9876501234', '9876501234'],
    ['as a JSON value', '{"name": "Ravi", "phone": "9876501234"}', '9876501234'],
    ['as a snake_case key', 'phone_number: 9876501234', '9876501234'],
    ['in an assignment to a compound name', 'mobile_no=9876501234', '9876501234'],
    ['as a camelCase key', '{"mobileNumber":"9876501234"}', '9876501234'],
    ['in a table', '| Mobile | 9876501234 |', '9876501234'],
    ['before a label in parentheses', 'Ravi 9876501234 (mobile)', '9876501234'],
    ['after a Hindi label', 'मोबाइल: 9876501234', '9876501234'],
    ['after another Hindi label', 'फ़ोन नंबर 9876501234', '9876501234'],
  ])('finds an Indian mobile number written bare %s', (_name, text, value) => {
    expect(found(text, 'phone')).toEqual([value]);
  });

  it.each<[string, string]>([
    ['without any label', 'ref 9876501234 closed'],
    ['after an id key', '{"order_id": "9876501234"}'],
    ['as an id in a table', '| Order | 9876501234 |'],
    ['after a compound id key', 'ticket_number: 9876501234'],
    ['before an id label in parentheses', '9876501234 (order)'],
    ['after a word that only ends like a label', 'graph: 9876501234'],
  ])('does not report a bare ten-digit run %s', (_name, text) => {
    expect(found(text, 'phone')).toEqual([]);
  });

  it.each<[string, string, string]>([
    ['a mobile, national', 'ara 0532 123 45 67 lütfen', '0532 123 45 67'],
    ['a mobile, international', 'WhatsApp: +90 532 123 45 67', '+90 532 123 45 67'],
    ['an Istanbul landline, area in parentheses', 'Tel: (0212) 555 12 34', '(0212) 555 12 34'],
    [
      'a trunk zero apart, area in parentheses',
      'bize 0 (532) 123-4567 numarasından ulaşın',
      '0 (532) 123-4567',
    ],
    ['a trunk zero apart, whole', 'bize 0 532 123 45 67 numarasından ulaşın', '0 532 123 45 67'],
    ['a landline with a trunk zero apart, whole', 'santral 0 212 555 12 34', '0 212 555 12 34'],
    ['a mobile after "Cep:", without the trunk zero', 'Cep: 5321234567', '5321234567'],
    ['a mobile after "GSM"', 'GSM 5321234567', '5321234567'],
  ])('finds a Turkish number: %s', (_name, text, value) => {
    expect(found(text, 'phone')).toEqual([value]);
  });

  it.each<[string, string]>([
    ['an amount in lira', 'tutar 1 234 567,89 TL'],
    ['a postcode after "CEP"', 'CEP: 01310-100'],
    ['a zero before a list of pairs', 'bytes 0 12 34 56 78 90'],
    // Numbers in code and data that start at zero: their rest is no phone number, so neither are they.
    ['a list of numbers', 'values: 0 255 128 64 32'],
    ['an array as code writes it', 'sizes = [0 128 256 64 32]'],
    ['an array as NumPy prints it', 'array: [  0 400 300  20  10]'],
  ])('does not report %s as a Turkish number', (_name, text) => {
    expect(found(text, 'phone')).toEqual([]);
  });

  it('finds a phone number written in full-width digits', () => {
    expect(found('電話 ０９０-１２３４-５６７８', 'phone')).toEqual(['０９０-１２３４-５６７８']);
  });

  it.each<[string, string]>([
    ['ISO dates and times', 'deployed 2024-06-17 14:05:33 and 2023-01-02T03:04:05Z'],
    ['dotted and slashed dates', 'Termin am 01.02.2024 um 10.30, due 06/17/2024 12'],
    ['versions', 'version 10.22.2.1234, build 2024.06.17.3 (v1.2.3456789)'],
    ['order and invoice numbers', 'Order #4155552671, invoice 2024-0042-1187, ref=0761535083'],
    ['UUIDs', 'request 12345678-1234-5678-1234-567812345678 done'],
    ['hashes', 'sha 5d41402abc4b2a76b9719d911017c592 at 9a0364b9e99bb480dd25e1f0284c8555'],
    ['card numbers', 'card 4111 1111 1111 1111 and 3411 091481 42190'],
    ['IP addresses', 'client 192.168.100.200 and 203.0.113.77'],
    ['ISBNs', 'ISBN 978-3-16-148410-0 (also 0-306-40615-2)'],
    ['epoch timestamps and ids', 'epoch 1732900000, ms 1732900000123, id 100200300400'],
    ['amounts', 'total 699 112 993,58 € or $ 612 345 678 or 1 234 567 890 EUR'],
    ['coordinates', 'coords 51.5072178, -0.1275'],
    ['tracking numbers', 'UPS 1Z999AA10123456784, USPS 9400 1000 0000 0000 0000 00'],
    ['test patterns', 'dial 0123456789 or 9876543210 or 0000000000'],
    ['SSN-shaped numbers', 'SSN 078-05-1121 and 020-03-5047'],
    ['numbers glued to words', 'ID415-555-2671a and tel415.555.2671b'],
    ['byte dumps', 'octets: 00 00 00 01 23 45 67 89 ab'],
    ['a date after a phone label', 'Call me at 2024-06-17 10:30'],
    ['an id after a phone word', 'contact id 9568413953, ring buffer 12345678901'],
    ['a count after a phone word', 'call 3 times, then 1234567890'],
    ['a bracketed build id', 'build 2024.04.30.91 (0436041819)'],
    ['eleven digits from 1 outside the Chinese mobile ranges', 'id 12345678901 and 10000000001'],
  ])('does not call %s phone numbers', (_name, text) => {
    expect(found(text, 'phone')).toEqual([]);
  });

  it('does not report a valid-length national run that no country assigns', () => {
    // Precondition: the run has a trunk prefix and a length national numbers have (a zero-padded id).
    expect('0000012345'.length).toBe(10);
    expect(validTrunkNational('0000012345', new ParseBudget())).toBe(false);
    expect(found('call 0000012345', 'phone')).toEqual([]);
  });

  it('stays linear past the parse budget: every candidate of a long text is still judged', () => {
    const unit = 'call 020 7946 0958 or 0761535083; ';
    const text = unit.repeat(300);
    // 600 candidates, far more than the 32 parses a text gets; past the budget the cheap filter decides.
    expect(found(text, 'phone')).toHaveLength(600);
  });
});

describe('card numbers of every network', () => {
  const card = (prefix: string, length: number): string =>
    withLuhnDigit(prefix + '0123456789012345678'.slice(0, length - prefix.length - 1));

  it.each<[string, string, number]>([
    ['Visa 13', '4', 13],
    ['Visa 16', '4', 16],
    ['Visa 19', '4', 19],
    ['Mastercard 51–55', '53', 16],
    ['Mastercard 2-series', '2221', 16],
    ['American Express', '37', 15],
    ['Discover', '6011', 16],
    ['Discover 19', '65', 19],
    ['JCB 15 (2131)', '2131', 15],
    ['JCB 15 (1800)', '1800', 15],
    ['JCB 16', '3530', 16],
    ['JCB 16 outside the issued 3528–3589', '3598', 16],
    ['Diners Club 14', '36', 14],
    ['UnionPay 16', '62', 16],
    ['UnionPay 19', '62', 19],
    ['UnionPay 81', '81', 17],
    ['Maestro 12', '5018', 12],
    ['Maestro 12, an older range', '5743', 12],
    ['Maestro 12 (6390)', '6390', 12],
    ['Maestro 19', '6759', 19],
    ['Mir', '2200', 16],
    ['RuPay', '508', 16],
    ['Troy', '9792', 16],
    ['Verve', '506099', 19],
    ['Elo', '636368', 16],
    ['UATP', '1', 15],
    ['Dankort', '5019', 16],
    ['InterPayment', '636', 18],
    ['InstaPayment', '637', 16],
  ])('%s', (_name, prefix, length) => {
    const number = card(prefix, length);
    expect(number).toHaveLength(length);
    expect(found(`card ${number} exp 09/28`, 'credit_card')).toEqual([number]);
  });

  const visa = withLuhnDigit('411111111111111');
  const fours = visa.match(/.{4}/g) as string[];
  it.each<[string, string]>([
    ['spaces', fours.join(' ')],
    ['no-break spaces', fours.join('\u00a0')],
    ['double spaces', fours.join('  ')],
    ['dots', fours.join('.')],
    ['slashes', fours.join('/')],
    ['dashes', fours.join('-')],
    ['pairs', (visa.match(/.{2}/g) as string[]).join(' ')],
    ['13 digits as 4-4-4-1', '4222 2222 2222 2'],
    ['Amex 4-6-5', '3782 822463 10005'],
    ['Diners 4-6-4', '3056 930902 5904'],
  ])('separated by %s', (_name, value) => {
    expect(found(`pay with ${value} please`, 'credit_card')).toEqual([value]);
  });

  it('finds a number glued to a word', () => {
    expect(found(`cc${visa}`, 'credit_card')).toEqual([visa]);
  });

  it.each<[string, string]>([
    ['a failing Luhn check', '4111 1111 1111 1112'],
    ['an unknown issuer prefix', withLuhnDigit('990000000000000')],
    ['a length the network does not issue', withLuhnDigit('3700000000000')],
    ['mixed separators', '4111-1111 1111.1111'],
    ['an unusual grouping', '41111 11111 111111'],
    ['an IMEI', `IMEI ${withLuhnDigit('35209900176148')}`],
    ['15 digits from 35 outside JCB’s issued range', withLuhnDigit('35980000000000')],
    ['a Finnish IBAN glued to its country code', 'FI2112345600000785'],
    ['a longer digit run', `${withLuhnDigit('411111111111111')}12345`],
  ])('does not report %s', (_name, text) => {
    expect(found(text, 'credit_card')).toEqual([]);
  });
});

describe('IBAN, SSN, email and IP false-positive controls and formats', () => {
  it.each<[string, ScreeningClass, string, string]>([
    [
      'an IBAN in paper format',
      'iban',
      'IBAN DE89 3704 0044 0532 0130 00 BANK',
      'DE89 3704 0044 0532 0130 00',
    ],
    ['an IBAN in lower case', 'iban', 'iban gb82west12345698765432', 'gb82west12345698765432'],
    ['an SSN with dashes', 'us_ssn', 'SSN 123-45-6789 on file', '123-45-6789'],
    ['an SSN after a label, ungrouped', 'us_ssn', 'SSN: 123456789', '123456789'],
    [
      'an internationalised local part',
      'email',
      'write to josé.garcía@example.com',
      'josé.garcía@example.com',
    ],
    ['a CJK local part', 'email', 'メール: 博之.川田@example.jp', '博之.川田@example.jp'],
    ['a full-width at sign', 'email', 'mail jane.doe＠example.com now', 'jane.doe＠example.com'],
    ['an internationalised domain', 'email', 'schreib an müller@bücher.de heute', 'müller@bücher.de'],
    ['a domain with a Cyrillic TLD', 'email', 'пишите: иван@почта.рф сегодня', 'иван@почта.рф'],
    ['a CJK domain', 'email', 'メール user@例え.jp まで', 'user@例え.jp'],
    ['an address followed by Japanese text', 'email', 'メール user@example.jpまで', 'user@example.jp'],
    ['a punycode domain', 'email', 'mail ivan@xn--80a1acny.xn--p1ai now', 'ivan@xn--80a1acny.xn--p1ai'],
    ['a public IPv4 address', 'ip_address', 'from 203.0.113.77 at noon', '203.0.113.77'],
    [
      'a public IPv6 address',
      'ip_address',
      'from 2001:db8:85a3::8a2e:370:7334 at noon',
      '2001:db8:85a3::8a2e:370:7334',
    ],
  ])('finds %s', (_name, cls, text, value) => {
    expect(found(text, cls)).toEqual([value]);
  });

  it.each<[string, ScreeningClass, string]>([
    ['an IBAN with a wrong checksum', 'iban', 'IBAN DE89 3704 0044 0532 0130 01'],
    ['an IBAN of the wrong length', 'iban', 'DE89370400440532013'],
    ['an SSN with area 000, 666 or 9xx', 'us_ssn', '000-12-3456 666-12-3456 912-34-5678'],
    ['an SSN-shaped tail of a phone number', 'us_ssn', 'call 0055 800 63 0580'],
    ['a ZIP+4 code', 'us_ssn', 'ZIP 94105-1234'],
    ['an SSH remote', 'email', 'git clone git@github.com:corp/repo.git'],
    ['a file name with @2x', 'email', 'logo@2x.png'],
    ['a package spec', 'email', 'npm i left-pad@1.3.0'],
    ['a scoped package spec', 'email', 'npm i @types/node@20.1.0 @babel/core@7.24.0'],
    ['a decorator and a file name in other scripts', 'email', '@Component 图标@2x.png'],
    ['URL userinfo', 'email', 'https://user@example.com/path'],
    ['private, loopback and link-local IPv4', 'ip_address', '10.0.0.1 127.0.0.1 192.168.1.1 169.254.0.1'],
    ['a four-part version', 'ip_address', 'version 1.2.3.4'],
    ['loopback and link-local IPv6', 'ip_address', '::1 fe80::1 fd00::1'],
    ['C++ scope syntax', 'ip_address', 'std::vector a::b'],
  ])('does not report %s', (_name, cls, text) => {
    expect(found(text, cls)).toEqual([]);
  });
});

describe('email addresses written to escape address harvesters', () => {
  it.each<[string, string, string]>([
    ['"[at]" and "[dot]"', 'mail jane.doe [at] example [dot] com today', 'jane.doe [at] example [dot] com'],
    ['"(at)" and a real dot', 'Kontakt: jane.doe(at)example.com.', 'jane.doe(at)example.com'],
    ['"{at}" and "{dot}"', 'jane.doe {at} example {dot} org', 'jane.doe {at} example {dot} org'],
    [
      'capitals and "<at>"',
      'JANE_DOE<AT>MAIL.EXAMPLE<DOT>CO<DOT>UK',
      'JANE_DOE<AT>MAIL.EXAMPLE<DOT>CO<DOT>UK',
    ],
    [
      'a bracketed dot in the local part',
      'write to jane[dot]doe[at]example[dot]com',
      'jane[dot]doe[at]example[dot]com',
    ],
    [
      '"at" and "dot" spelled out',
      'reach jane dot doe at example dot com soon',
      'jane dot doe at example dot com',
    ],
    [
      'a dotted local part and a spelled domain',
      'jane.doe at example dot co dot uk',
      'jane.doe at example dot co dot uk',
    ],
  ])('finds an address with %s, whole', (_name, text, value) => {
    expect(found(text, 'email')).toEqual([value]);
  });

  it.each<[string, string]>([
    ['"at" and "dot" in prose', 'meet at home dot'],
    ['an undotted word before "at"', 'look at this dot com bubble'],
    ['an abbreviation before "at"', 'e.g. at home dot com'],
    ['a spelled "at" before a real domain', 'jane.doe at example.com hosts the docs'],
    ['a bracketed "at" before a host without a dot', 'ping admin (at) localhost'],
    ['a bracketed "at" before a file name', 'icon [at] 2x.png'],
    ['a time', 'see you (at) 10.30 tomorrow'],
    // Code: a call whose argument is named "at", then another expression. An address is padded on both sides or
    // on neither.
    ['a call before a member access', 'df.iloc(at) pandas.loc'],
    ['a call before a module path', 'print(at) os.path'],
    ['a call before a dotted name', 'obj.attr(at) foo.com'],
    ['a call after a space', 'obj.attr (at)foo.com'],
  ])('does not report %s', (_name, text) => {
    expect(found(text, 'email')).toEqual([]);
  });
});

describe('IPv6 addresses that carry an IPv4 address', () => {
  const v4 = '198.51.100.23';

  it('reports the carried IPv4 address alone as public (precondition)', () => {
    expect(found(`from ${v4} at noon`, 'ip_address')).toEqual([v4]);
  });

  it.each<[string, string]>([
    ['a prefix then a dotted tail', `2001:db8:7::${v4}`],
    ['mapped', `::ffff:${v4}`],
    ['mapped, written in full', `0:0:0:0:0:FFFF:${v4}`],
    ['translated (SIIT)', `::ffff:0:${v4}`],
    ['NAT64', `64:ff9b::${v4}`],
    ['mapped, in hex groups', '::ffff:c633:6417'],
  ])('covers the whole address, dotted tail included: %s', (_form, address) => {
    expect(found(`peer ${address} closed`, 'ip_address')).toEqual([address]);
  });

  it.each<[string, string]>([
    ['mapped private', '::ffff:10.20.30.40'],
    ['mapped loopback', '::ffff:127.0.0.1'],
    ['NAT64 of a private address', '64:ff9b::192.168.4.5'],
    ['compatible private', '::172.16.8.9'],
  ])('does not report an IPv6 address carrying a private IPv4 address: %s', (_form, address) => {
    expect(found(`peer ${address} closed`, 'ip_address')).toEqual([]);
  });

  it('does not report part of an address whose dotted tail is not an IPv4 address', () => {
    expect(found('peer 2001:db8::256.1.1.1 closed', 'ip_address')).toEqual([]);
  });
});

describe('card numbers written with what follows them', () => {
  const visa = withLuhnDigit('453201511283036');
  const master = withLuhnDigit('545454545454545');
  const amex = withLuhnDigit('37828224631000');
  const fours = (digits: string, sep: string): string => digits.replace(/(\d{4})(?=\d)/g, `$1${sep}`);
  const amexSpaced = `${amex.slice(0, 4)} ${amex.slice(4, 10)} ${amex.slice(10)}`;

  it.each<[string, string, string[]]>([
    ['expiry and code after a grouped card', `card ${fours(visa, ' ')} 08/29 123`, [fours(visa, ' ')]],
    ['expiry and code after an unbroken card', `${visa} 08/29 123`, [visa]],
    ['a code right after an unbroken card', `${visa} 737`, [visa]],
    ['expiry month and year as two groups', `${fours(master, ' ')} 08 29`, [fours(master, ' ')]],
    ['two unbroken cards in a row', `cards ${visa} ${master}`, [visa, master]],
    [
      'a dashed card, then a spaced one',
      `${fours(visa, '-')} ${fours(master, ' ')}`,
      [fours(visa, '-'), fours(master, ' ')],
    ],
    ['an Amex number, then a year', `${amexSpaced} 2029`, [amexSpaced]],
  ])('finds each card in %s', (_name, text, cards) => {
    expect(found(text, 'credit_card')).toEqual(cards);
  });

  it.each<[string, string]>([
    ['a table of four-digit groups with a card-shaped stretch', `0000 ${fours(visa, ' ')} 0000`],
    ['a run of digits longer than a card', `${visa}${master}`],
    ['a run laid out as one longer number', `RS35 ${fours(visa, ' ')} 70`],
    // Counters and tables print a long number beside others: no expiry or code is longer than four digits,
    // and a card has at most three such groups after it.
    ['a counter beside a six-digit one', `rx_bytes ${visa} 482113 tx 0`],
    ['a byte count and a packet count', `eth0: ${visa} 3911024509`],
    ['a row of small counters', `lo ${visa} 12 0 0 3 0`],
  ])('does not report %s', (_name, text) => {
    expect(found(fours(visa, ' '), 'credit_card')).toEqual([fours(visa, ' ')]);
    expect(found(text, 'credit_card')).toEqual([]);
  });
});

describe('separators that forms print', () => {
  const iban = ibanFor('DE', '370400440532013000');
  const dashed = iban.replace(/(.{4})(?=.)/g, '$1-');

  it('finds the IBAN in paper format with spaces (precondition)', () => {
    const spaced = iban.replace(/(.{4})(?=.)/g, '$1 ');
    expect(found(`IBAN ${spaced} please`, 'iban')).toEqual([spaced]);
  });

  it('finds an IBAN in groups of four joined by dashes', () => {
    expect(found(`IBAN ${dashed} please`, 'iban')).toEqual([dashed]);
  });

  it('finds a dashed IBAN followed by a dashed word, without the word', () => {
    expect(found(`${dashed}-BANK`, 'iban')).toEqual([dashed]);
  });

  it('does not report a dashed IBAN with a wrong check digit or mixed separators', () => {
    const wrong = `${dashed.slice(0, -1)}${(Number(dashed.slice(-1)) + 1) % 10}`;
    expect(found(`IBAN ${wrong}`, 'iban')).toEqual([]);
    expect(found(`IBAN ${dashed.replace('-', ' ')}`, 'iban')).toEqual([]);
  });

  it('finds an SSN printed with dots, as with dashes', () => {
    expect(found('SSN 123-45-6789 on file', 'us_ssn')).toEqual(['123-45-6789']);
    expect(found('SSN 123.45.6789 on file', 'us_ssn')).toEqual(['123.45.6789']);
  });

  it.each<[string, string]>([
    ['mixed dots and dashes', 'SSN 123.45-6789'],
    ['a longer dotted number', 'item 1.123.45.6789 and 123.45.6789.1'],
    ['an unissuable dotted number', 'ref 666.45.6789'],
  ])('does not report a dotted SSN shape: %s', (_name, text) => {
    expect(found(text, 'us_ssn')).toEqual([]);
  });
});
