import { answersOfBoth } from '../../helpers/builtin-oracle';

it('answers a native builtin the same both ways, and an undefined call as undefined', async () => {
  const answers = await answersOfBoth([{ expr: 'upper(input.s)' }, { expr: 'to_number("x")' }], { s: 'ab' });
  expect(answers).toEqual([
    { expr: 'upper(input.s)', wasm: 'AB', opa: 'AB' },
    { expr: 'to_number("x")', wasm: undefined, opa: undefined },
  ]);
});
