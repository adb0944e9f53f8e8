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
