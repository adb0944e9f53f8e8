import { type BuiltinCase, answersOfBoth, describeAgainstOpa } from '../../helpers/builtin-oracle';

const input = { half: 1.5, s: 'x' };
const UNDEFINED = 'is undefined for a step that is not a positive integer, or bounds that are not integers';

const groups: Record<string, BuiltinCase[]> = {
  'counts from the first bound toward the second, by the step': [
    { expr: 'numbers.range_step(1, 10, 2)' },
    { expr: 'numbers.range_step(1, 9, 2)' },
    { expr: 'numbers.range_step(10, 1, 3)' },
    { expr: 'numbers.range_step(0, 0, 5)' },
    { expr: 'numbers.range_step(-5, 5, 5)' },
    { expr: 'numbers.range_step(0, 10, 99999999999999999999)' },
    { expr: 'numbers.range_step(5, -5, 4)' },
    { expr: 'numbers.range_step(1, 3, 100)' },
    { expr: 'numbers.range_step(1.0, 3, 1)' },
    { expr: 'numbers.range_step(1, 10, 2.0)' },
    { expr: 'count(numbers.range_step(0, 99999, 1))' },
  ],
  'answers 0 for rand.intn of 0 or 1': [
    { expr: 'rand.intn("zero", 0)' },
    { expr: 'rand.intn("one", 1)' },
    { expr: 'rand.intn("minus-one", -1)' },
  ],
  [UNDEFINED]: [
    { expr: 'numbers.range_step(1, 10, 0)' },
    { expr: 'numbers.range_step(1, 10, -1)' },
    { expr: 'numbers.range_step(1.5, 3, 1)' },
    { expr: 'numbers.range_step(1, input.half, 1)' },
    { expr: 'numbers.range_step(1, 3, input.half)' },
    { expr: 'numbers.range_step(input.s, 3, 1)' },
    { expr: 'rand.intn("x", input.half)' },
    { expr: 'rand.intn(input.half, 3)' },
  ],
};

describeAgainstOpa(groups, UNDEFINED, input);

describe('rand.intn', () => {
  const draws: BuiltinCase[] = [
    { expr: 'rand.intn("k", 1000000000000)' },
    { expr: 'rand.intn("k", 1000000000000) + 0' },
    { expr: 'rand.intn("k", -1000000000000)' },
    { expr: 'rand.intn("other", 1000000000000)' },
    { expr: '[rand.intn("small", 10) | numbers.range(1, 50)[_]]' },
    { expr: 'rand.intn("big", 1152921504606846976)' },
  ];

  it('answers an integer in [0, |n|), the same for the same arguments within one evaluation', async () => {
    const [first, again, negated, other, small, big] = await answersOfBoth(draws);
    for (const answer of [first, negated, other]) {
      expect(Number.isInteger(answer?.wasm)).toBe(true);
      expect(answer?.wasm).toBeGreaterThanOrEqual(0);
      expect(answer?.wasm).toBeLessThan(1e12);
    }
    expect(again?.wasm).toBe(first?.wasm);
    expect(negated?.wasm).toBe(first?.wasm);
    // Two different strings draw independently: equal by chance once in 10^12.
    expect(other?.wasm).not.toBe(first?.wasm);
    expect(new Set(small?.wasm as number[]).size).toBe(1);
    expect(big?.wasm).toBeGreaterThanOrEqual(0);
    expect(big?.wasm).toBeLessThan(2 ** 60);
  });

  it('answers a new number in a new evaluation', async () => {
    const [a] = await answersOfBoth(draws.slice(0, 1));
    const [b] = await answersOfBoth(draws.slice(0, 1));
    expect(Number.isInteger(a?.wasm)).toBe(true);
    expect(b?.wasm).not.toBe(a?.wasm);
  });
});
