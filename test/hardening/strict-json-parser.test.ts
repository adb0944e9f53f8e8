import { parseStrictJson, StrictJsonError } from '../../src/schemas/strict-json';

// Unit cases of the strict pass: escapes at string ends, pointers into arrays, what stays accepted.

test.each([
  ['{"a\\\\":1,"b":"x\\\\"}', { 'a\\': 1, b: 'x\\' }],
  [
    '{"q":"say \\"hi\\"","r":[1e5,-0.5,12345678901234567000]}',
    { q: 'say "hi"', r: [1e5, -0.5, 12345678901234567000] },
  ],
  ['{"a":{"x":1},"b":{"x":2}}', { a: { x: 1 }, b: { x: 2 } }],
  ['"\\ud83d\\ude00"', '😀'],
])('accepts %s', (text, value) => {
  expect(parseStrictJson(text)).toEqual(value);
});

test.each([
  ['{"x":"\\"","x":1}', 'duplicate key "x" at /x'],
  ['{"a":[0,{"k":1,"k":2}]}', 'duplicate key "k" at /a/1/k'],
  ['["ok","\\ud800"]', 'the string at /1 holds a lone UTF-16 surrogate'],
  ['{"a":[1e5,2E400]}', 'the number at /a/1 is too large for a double'],
  ['{"\\udc00":1}', 'holds a lone UTF-16 surrogate'],
])('refuses %s', (text, message) => {
  expect(() => parseStrictJson(text)).toThrow(StrictJsonError);
  expect(() => parseStrictJson(text)).toThrow(message);
});

test('finds a duplicate among many keys, and among few', () => {
  const many = Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`);
  expect(() => parseStrictJson(`{"a":[{${many.join(',')},"k3":0}]}`)).toThrow(
    'duplicate key "k3" at /a/0/k3',
  );
  expect(() => parseStrictJson(`{${many.slice(0, 8).join(',')},"k7":0}`)).toThrow(
    'duplicate key "k7" at /k7',
  );
  expect(parseStrictJson(`{${many.join(',')}}`)).toHaveProperty('k39', 39);
});

test('leaves syntax errors to JSON.parse', () => {
  expect(() => parseStrictJson('{"a":')).toThrow(SyntaxError);
});
