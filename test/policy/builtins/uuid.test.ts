import { type BuiltinCase, answersOfBoth, describeAgainstOpa } from '../../helpers/builtin-oracle';

const input = { n: 1 };
const UNDEFINED = 'is undefined for what is not a UUID';

const parse = (s: string): BuiltinCase => ({ expr: `uuid.parse(${JSON.stringify(s)})` });

const groups: Record<string, BuiltinCase[]> = {
  'reads the version and variant of any UUID': [
    parse('6BA7B810-9DAD-F1D1-80B4-00C04FD430C8'),
    parse('1ec9414c-232a-6b00-b3c8-9e6bdeced846'),
    parse('017f22e2-79b0-7cc3-98c4-dc0c0c07398f'),
    parse('00000000-0000-0000-0000-000000000000'),
    parse('f81d4fae-7dec-41d0-a765-00a0c91e6bf6'),
    parse('f81d4fae-7dec-51d0-c765-00a0c91e6bf6'),
    parse('f81d4fae-7dec-31d0-e765-00a0c91e6bf6'),
    { expr: 'uuid.parse(uuid.rfc4122("any"))' },
  ],
  'reads time, node and clock sequence of versions 1 and 2, and id and domain of version 2': [
    parse('6ba7b810-9dad-11d1-80b4-00c04fd430c8'),
    parse('000003e8-9dad-21d1-80b4-03c04fd430c8'),
    parse('000003e8-9dad-21d1-c0b4-01c04fd430c8'),
    parse('000003e8-9dad-21d1-e0b4-02c04fd430c8'),
    parse('000003e8-9dad-21d1-0001-02c04fd430c8'),
    parse('000003e8-9dad-21d1-0002-02c04fd430c8'),
    parse('000003e8-9dad-21d1-0009-02c04fd430c8'),
    parse('00000000-0000-1000-8000-000000000000'),
    parse('ffffffff-ffff-1fff-bfff-ffffffffffff'),
    { expr: 'json.marshal(uuid.parse("00000000-0000-1000-8000-000000000000").time)' },
    { expr: 'json.marshal(uuid.parse("ffffffff-ffff-1fff-bfff-ffffffffffff").time)' },
  ],
  'takes the braced, URN and bare-hex forms (without checking the braces)': [
    parse('{6ba7b810-9dad-11d1-80b4-00c04fd430c8}'),
    parse('x6ba7b810-9dad-11d1-80b4-00c04fd430c8y'),
    parse('urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8'),
    parse('URN:UUID:6ba7b810-9dad-11d1-80b4-00c04fd430c8'),
    parse('6ba7b8109dad11d180b400c04fd430c8'),
  ],
  [UNDEFINED]: [
    parse('6ba7b810-9dad-11d1-80b4-00c04fd430c'),
    parse('6ba7b810x9dad-11d1-80b4-00c04fd430c8'),
    parse('6ba7b810-9dad-11d1-80b4-00c04fd430c8 '),
    parse('urn:uuix:6ba7b810-9dad-11d1-80b4-00c04fd430c8'),
    parse('6ba7b8109dad11d180b400c04fd430cg'),
    parse('é6ba7b810-9dad-11d1-80b4-00c04fd430c8'),
    parse(''),
    { expr: 'uuid.parse(input.n)' },
  ],
};

describeAgainstOpa(groups, UNDEFINED, input);

describe('uuid.rfc4122', () => {
  const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const draws: BuiltinCase[] = [
    { expr: 'uuid.rfc4122("k")' },
    { expr: 'concat("", [uuid.rfc4122("k")])' },
    { expr: 'uuid.rfc4122("other")' },
    { expr: '{u | some i in numbers.range(1, 20); u := uuid.rfc4122("loop")}' },
  ];

  it('answers a random version 4 UUID, the same for the same key within one evaluation', async () => {
    const [first, again, other, loop] = await answersOfBoth(draws);
    expect(first?.opa).toMatch(V4);
    expect(first?.wasm).toMatch(V4);
    expect(other?.wasm).toMatch(V4);
    expect(again?.wasm).toBe(first?.wasm);
    expect(other?.wasm).not.toBe(first?.wasm);
    expect(loop?.wasm).toHaveLength(1);
  });

  it('answers a new UUID in a new evaluation', async () => {
    const [a] = await answersOfBoth(draws.slice(0, 1));
    const [b] = await answersOfBoth(draws.slice(0, 1));
    expect(a?.wasm).toMatch(V4);
    expect(b?.wasm).not.toBe(a?.wasm);
  });
});
