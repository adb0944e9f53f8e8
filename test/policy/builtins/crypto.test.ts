import { answersOfBoth, type BuiltinCase } from '../../helpers/builtin-oracle';

// Strings that stress byte handling: empty, non-ASCII, astral, control characters and JSON specials.
const TEXTS = [
  '',
  'abc',
  'héllo wörld',
  '日本語',
  '😀 emoji',
  'line\nbreak\ttab\u0000nul',
  '"quoted" \\ back',
  '<&>',
];

const DIGESTS = ['crypto.md5', 'crypto.sha1', 'crypto.sha256'];
const HMACS = ['crypto.hmac.md5', 'crypto.hmac.sha1', 'crypto.hmac.sha256', 'crypto.hmac.sha512'];

function cases(): BuiltinCase[] {
  const list: BuiltinCase[] = [];
  TEXTS.forEach((_, i) => DIGESTS.forEach((f) => list.push({ expr: `${f}(input.texts[${i}])` })));
  TEXTS.forEach((_, i) =>
    HMACS.forEach((f) =>
      list.push({ expr: `${f}(input.texts[${i}], input.texts[${(i + 3) % TEXTS.length}])` }),
    ),
  );
  // A key longer than the hash's block is hashed first (RFC 2104).
  HMACS.forEach((f) =>
    list.push({ expr: `${f}("message", concat("", [input.texts[2] | x := numbers.range(1, 40)[_]]))` }),
  );
  list.push(
    { expr: 'crypto.hmac.equal("abc", "abc")' },
    { expr: 'crypto.hmac.equal("abc", "abd")' },
    { expr: 'crypto.hmac.equal("abc", "abcd")' },
    { expr: 'crypto.hmac.equal("", "")' },
    { expr: 'crypto.hmac.equal(crypto.hmac.sha256("m", "k"), crypto.hmac.sha256("m", "k"))' },
    { expr: 'crypto.hmac.equal(input.texts[3], input.texts[3])' },
    // A non-string argument is a type error in OPA: the call is undefined.
    { expr: 'crypto.sha256(input.number)' },
    { expr: 'crypto.hmac.sha256(input.number, "k")' },
    { expr: 'crypto.hmac.sha256("m", input.number)' },
    { expr: 'crypto.hmac.equal(input.number, "1")' },
  );
  return list;
}

const INPUT = { texts: TEXTS, number: 1 };

it('answers every digest, HMAC and MAC comparison as OPA does, including non-ASCII input and type errors', async () => {
  const list = cases();
  const answers = await answersOfBoth(list, INPUT);
  const defined = answers.filter((a) => a.opa !== undefined);
  expect(defined.length).toBeGreaterThan(list.length - 5);
  for (const answer of answers)
    expect({ expr: answer.expr, value: answer.wasm }).toEqual({ expr: answer.expr, value: answer.opa });
});

it('proves the oracle distinguishes digests (a wrong hash would be caught)', async () => {
  const answers = await answersOfBoth([{ expr: 'crypto.md5("a")' }, { expr: 'crypto.sha1("a")' }]);
  expect(answers.map((a) => a.opa)).toEqual([
    '0cc175b9c0f1b6a831c399e269772661',
    '86f7e437faa5a7fce15d1ddcb9eaeaea377667b8',
  ]);
  expect(answers.map((a) => a.wasm)).toEqual(answers.map((a) => a.opa));
});
