import { detectText } from '../../src/screening/detect-text';

// Numbers an outside evaluation found read as personal data: 6.7% of "Order number: <11 digits>" as Chinese
// mobiles, and AWS account ids inside ARNs as Maestro cards. Redacting them breaks the prompt for nothing.

function pii(text: string): Array<[string, string]> {
  return detectText(text).map((span) => [text.slice(span.start, span.end), span.class]);
}

describe('numbers that are named as something else', () => {
  it.each([
    ['an order number', 'Order number: 13812345678'],
    ['an invoice number', 'invoice #13812345678 paid'],
    ['a tracking number', 'Tracking no. 13912345678 out for delivery'],
    ['an account id in an ARN', 'arn:aws:iam::572662666385:role/deploy'],
    ['an order number in prose', 'my order number is 13812345678, where is it?'],
    ['an order id as a JSON key', '{"order_id": "13812345678", "status": "late"}'],
    ['an order number in a table', '| order | 13812345678 |'],
    ['an AWS account id', 'deploy to AWS account 572662666385 today'],
    ['a case number', 'Case: 07785545652'],
    ['a case number as a JSON key', '{"case_number": "07785545652"}'],
  ])('reports nothing for %s', (_name, text) => {
    expect(pii(text)).toEqual([]);
  });

  it.each([
    ['after a phone label', 'phone: 13812345678', '13812345678', 'phone'],
    ['in prose', 'call me at 13812345678', '13812345678', 'phone'],
    ['after "order from"', 'Order from +44 20 7946 0958 today', '+44 20 7946 0958', 'phone'],
    ['a card after a payment label', 'paid with 4111 1111 1111 1111', '4111 1111 1111 1111', 'credit_card'],
    ['with "+" after an id label', 'Reference: +44 20 7946 0958', '+44 20 7946 0958', 'phone'],
    [
      'a card after an account label, spaced',
      'account: 4111 1111 1111 1111',
      '4111 1111 1111 1111',
      'credit_card',
    ],
    ['grouped after an id label', 'booking: (415) 555-0100 ask for Lee', '(415) 555-0100', 'phone'],
    [
      'a card where an ARN account id would be',
      'arn:aws:iam::4111 1111 1111 1111',
      '4111 1111 1111 1111',
      'credit_card',
    ],
  ])('still finds a number %s', (_name, text, value, cls) => {
    expect(pii(text)).toContainEqual([value, cls]);
  });
});

describe('dotted numbers that are versions or section numbers, not IPv4 addresses', () => {
  const ips = (text: string): string[] => pii(text).flatMap(([v, c]) => (c === 'ip_address' ? [v] : []));

  it.each([
    ['a section number', 'see section 7.6.1.1 for details'],
    ['a section sign', 'as required by § 4.1.2.3'],
    ['a section sign glued to the number', 'under §4.1.2.3 of the contract'],
    ['an abbreviated section in a standard', 'RFC 2616 sec. 14.1.2.3'],
    ['a clause, table and figure', 'clause 12.3.4.5, table 3.1.2.4 and fig. 2.1.1.1'],
    ['a list after a plural word', 'sections 7.6.1.1, 7.6.1.2 and 8.1.2.3 changed'],
    ['a version after "is"', 'the firmware version is 2.0.0.1'],
    ['a version word', 'version 10.2.0.1 and release 2.0.0.1 and v1.2.3.4'],
    ['a browser token in a user agent', 'Mozilla/5.0 (Windows NT 10.0) Chrome/120.0.100.109 Safari/537.36'],
    ['a product token at the start', 'firefox/121.0.1.1 crashed'],
    ['a Windows build number', 'Build 6.3.9600.17031'],
    ['part of a longer dotted run', 'OID 1.2.3.4.5 and 5.1.2.3.4'],
  ])('reports no IP address in %s', (_name, text) => {
    expect(ips(text)).toEqual([]);
  });

  it.each([
    ['after "connect to"', 'connect to 8.8.8.8 now', '8.8.8.8'],
    ['in an assignment', 'host=34.201.10.3', '34.201.10.3'],
    ['after a label', 'ip: 52.1.2.3', '52.1.2.3'],
    [
      'at the start of a log line',
      '203.0.113.9 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200',
      '203.0.113.9',
    ],
    ['in a forwarding header', 'X-Forwarded-For: 198.51.100.7', '198.51.100.7'],
    ['in a URL', 'curl http://34.201.10.3/health', '34.201.10.3'],
    ['as a path segment', 'GET /api/hosts/34.201.10.3/status', '34.201.10.3'],
    ['at the end of a sentence', 'the resolver is 1.1.1.1.', '1.1.1.1'],
    ['after a word that ends like a version prefix', 'dev 8.8.8.8', '8.8.8.8'],
    ['after a version word further back', 'version 2 of the API moved to 52.1.2.3', '52.1.2.3'],
    ['as the secondary of a DNS pair', 'DNS servers: 10.0.0.2 (pri), sec: 8.8.4.4', '8.8.4.4'],
    [
      'an IPv6 address after a version word',
      'version 6 address 2001:db8::8a2e:370:7334',
      '2001:db8::8a2e:370:7334',
    ],
  ])('still reports an address %s', (_name, text, value) => {
    expect(ips(text)).toEqual([value]);
  });
});

describe('zero-padded ids that a "00" would make international numbers', () => {
  const phones = (text: string): string[] => pii(text).flatMap(([v, c]) => (c === 'phone' ? [v] : []));
  // A North American number (1, 332, 555, 0147) behind "00": with a "+" it is a number; zero-padded, an id.
  const nanp = '13325550147';

  it('reads the digits as a number after a "+" (precondition)', () => {
    expect(phones(`call +${nanp}`)).toEqual([`+${nanp}`]);
  });

  it.each([
    ['one unbroken run', `id 00${nanp}`],
    ['six digits, a dash and seven, as a Korean resident number', `00${nanp.slice(0, 4)}-${nanp.slice(4)}`],
  ])('reports no phone for %s', (_name, text) => {
    expect(phones(text)).toEqual([]);
  });

  it.each([
    [
      'the country code apart',
      `00${nanp.slice(0, 1)} ${nanp.slice(1, 4)} ${nanp.slice(4, 7)} ${nanp.slice(7)}`,
    ],
    ['"00" apart', `00 ${nanp.slice(0, 1)} ${nanp.slice(1)}`],
    ['one run after a phone label', `tel 00${nanp}`],
  ])('still finds a "00" number with %s', (_name, text) => {
    expect(phones(text)).toHaveLength(1);
  });
});

describe('phone-shaped tails of longer digit runs', () => {
  const phones = (text: string): string[] => pii(text).flatMap(([v, c]) => (c === 'phone' ? [v] : []));
  const spanish = '612 345 678';
  const american = '415 555 2671';

  it('finds both numbers standing alone (precondition)', () => {
    expect(phones(`call ${spanish} or ${american}`)).toEqual([spanish, american]);
  });

  it.each([
    ['a 2-3-3-3 business number', `ABN 47 ${spanish}`],
    ['a 2-3-3-4 number', `ref 47 ${american}`],
  ])('reports no phone inside %s', (_name, text) => {
    expect(phones(text)).toEqual([]);
  });

  it.each([
    ['an area code in parentheses after a digit', '2 (415) 555-2671', '(415) 555-2671'],
    ['a number after a date', `17.06.2024 ${american}`, american],
    ['a trunk-prefixed number after a digit', '7 020 7946 0958', '020 7946 0958'],
  ])('still finds %s', (_name, text, value) => {
    expect(phones(text)).toEqual([value]);
  });

  it('still finds a second number right after a first', () => {
    expect(phones(`${american} ${spanish}`)).toEqual([american, spanish]);
  });
});
