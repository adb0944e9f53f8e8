import { answersOfBoth, type BuiltinAnswer, type BuiltinCase } from '../../helpers/builtin-oracle';

const input = { n: 1 };
const UNDEFINED = 'is undefined when comparing what is not a version';

const groups: Record<string, BuiltinCase[]> = {
  'accepts versions with OPA’s rules, one leading v included': [
    ...[
      '1.0.0',
      '0.0.0',
      'v1.2.3',
      'vv1.0.0',
      'V1.0.0',
      '01.0.0',
      '1.00.0',
      '1.0',
      '1.2.3.4',
      '1..0',
      '',
      ' 1.0.0',
      '1.0.0\\n',
      '1.-1.0',
      '1.+1.0',
      '1.0.0-',
      '1.0.0-0',
      '1.0.0-01',
      '1.0.0-00a',
      '1.0.0-a.00',
      '1.0.0-a..b',
      '1.0.0--',
      '1.0.0-a.-',
      '1.0.0-é',
      '1.0.0+',
      '1.0.0+01',
      '1.0.0+a+b',
      '1.0.0-a+b-c',
      '+1.0.0',
      '9223372036854775807.0.0',
      '9223372036854775808.0.0',
      '1.0.0-99999999999999999999',
      '1.0.0-rc.1+build.5',
    ].map((v) => ({ expr: `semver.is_valid(${JSON.stringify(v)})` })),
    { expr: 'semver.is_valid(input.n)' },
    { expr: 'semver.is_valid(null)' },
  ],
  'orders versions by number, then pre-release, ignoring build metadata': [
    ...[
      ['1.0.0', '2.0.0'],
      ['2.0.0', '1.9.9'],
      ['1.10.0', '1.9.0'],
      ['1.0.10', '1.0.9'],
      ['1.0.0', '1.0.0'],
      ['v1.0.0', '1.0.0'],
      ['1.0.0-alpha', '1.0.0'],
      ['1.0.0', '1.0.0-alpha'],
      ['1.0.0-alpha', '1.0.0-alpha.1'],
      ['1.0.0-alpha.1', '1.0.0-alpha.beta'],
      ['1.0.0-alpha.beta', '1.0.0-beta'],
      ['1.0.0-beta.2', '1.0.0-beta.11'],
      ['1.0.0-rc.1', '1.0.0-beta.11'],
      ['1.0.0-2', '1.0.0-10'],
      ['1.0.0-b', '1.0.0-a1'],
      ['1.0.0-Z', '1.0.0-a'],
      ['1.0.0-99999999999999999999', '1.0.0-1'],
      ['1.0.0+a', '1.0.0+b'],
      ['1.0.0-x+a', '1.0.0-x+b'],
      ['9223372036854775807.0.0', '9223372036854775806.0.0'],
    ].map(([a, b]) => ({ expr: `semver.compare(${JSON.stringify(a)}, ${JSON.stringify(b)})` })),
  ],
  [UNDEFINED]: [
    { expr: 'semver.compare("1.0.0", "x")' },
    { expr: 'semver.compare("1.0", "1.0.0")' },
    { expr: 'semver.compare("1.0.0-rc.1", "1.0.0-rc.01")' },
    { expr: 'semver.compare(input.n, "1.0.0")' },
  ],
};

const cases = Object.values(groups).flat();
const mustFail = new Set(groups[UNDEFINED]?.map((c) => c.expr));
let answers: BuiltinAnswer[] = [];

beforeAll(async () => {
  answers = await answersOfBoth(cases, input);
});

it('has OPA answer every case but those that must be undefined', () => {
  expect(answers.filter((a) => (a.opa === undefined) !== mustFail.has(a.expr))).toEqual([]);
});

describe.each(Object.entries(groups))('%s', (_, group) => {
  it.each(group.map((c) => c.expr))('answers %s as OPA does', (expr) => {
    const answer = answers.find((a) => a.expr === expr);
    expect(answer).toBeDefined();
    expect(answer?.wasm).toEqual(answer?.opa);
  });
});
