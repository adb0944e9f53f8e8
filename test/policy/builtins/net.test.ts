import { BuiltinLimitError } from '../../../src/policy/builtins/builtin';
import { RegoSet } from '../../../src/policy/builtins/rego-value';
import { netBuiltins } from '../../../src/policy/builtins/net';
import { seededRandom } from '../../helpers/seeded-random';
import { type BuiltinCase, describeAgainstOpa } from '../../helpers/builtin-oracle';

const input = { n: 1, obj: { a: '10.0.0.0/8' } };
const UNDEFINED = 'is undefined where OPA fails';

const valid = (s: string): BuiltinCase => ({ expr: `net.cidr_is_valid(${JSON.stringify(s)})` });
const expand = (s: string): BuiltinCase => ({ expr: `net.cidr_expand(${JSON.stringify(s)})`, set: true });
const merge = (...s: string[]): BuiltinCase => ({ expr: `net.cidr_merge(${JSON.stringify(s)})`, set: true });
const matches = (a: unknown, b: unknown): BuiltinCase => ({
  expr: `net.cidr_contains_matches(${JSON.stringify(a)}, ${JSON.stringify(b)})`,
  set: true,
});

// Lists of networks near each other (so that many merge), the same every run.
const random = seededRandom(7);
const pick = (n: number) => Math.floor(random() * n);
const v4 = () => `10.${pick(2)}.${pick(4)}.${pick(8) * 32}/${24 + pick(9)}`;
const v6 = () => `2001:db8:${pick(4).toString(16)}:${(pick(4) * 0x4000).toString(16)}::/${48 + pick(20)}`;
const randomLists = Array.from({ length: 24 }, (_, i) =>
  merge(...Array.from({ length: 2 + pick(10) }, () => (i % 3 === 2 ? v6() : v4()))),
);

const groups: Record<string, BuiltinCase[]> = {
  'accepts CIDRs as Go’s net.ParseCIDR does': [
    ...[
      '10.0.0.0/8',
      '10.1.2.3/8',
      '0.0.0.0/0',
      '255.255.255.255/32',
      '1.2.3.4/33',
      '1.2.3.4/08',
      '1.2.3.4/+8',
    ].map(valid),
    ...['1.2.3/8', '1.2.3.4.5/8', '01.2.3.4/8', '1.2.3.256/8', '1.2.3.4', '1.2.3.4/', '/8', '1.2.3.4/8 '].map(
      valid,
    ),
    ...[
      '2001:db8::/32',
      '::/0',
      '::1/128',
      '::/129',
      'fe80::1%eth0/64',
      '2001:db8::1:2:3:4:5/64',
      '1:2:3:4:5:6:7:8/64',
    ].map(valid),
    ...[
      '1:2:3:4:5:6:7:8:9/64',
      '1::2::3/64',
      '::ffff:1.2.3.4/120',
      '::1.2.3.4/120',
      '1:2:3:4:5:6:1.2.3.4/96',
    ].map(valid),
    ...[
      '1:2:3:4:5:6:7:8::/64',
      '::1:2:3:4:5:6:7/64',
      '1:2:3:4:5:1.2.3.4/64',
      '::1.2.3.4.5/64',
      '1::1.2.3.4/64',
      '::/64',
      ':/64',
      ':::/64',
      '1:::2/64',
      '::1.2.3.4:5/64',
      '1.2.3.4::/64',
      '00000::/64',
      '0000::/64',
      'a:b/64',
      '12345::/16',
      ':1::/16',
      '1::/16:',
      'g::/16',
      '2001:DB8::/32',
      '1:2:3:4:5:6:7::/64',
      '::1.2.3/96',
    ].map(valid),
    { expr: 'net.cidr_is_valid(input.n)' },
  ],
  'expands a network into its addresses': [
    ...[
      '1.2.3.4/30',
      '1.2.3.4/32',
      '10.0.0.0/24',
      '255.255.255.254/31',
      '2001:db8::/126',
      '2001:db8::ff/120',
    ].map(expand),
    ...['::ffff:1.2.3.4/126', '::/126', '::1.2.3.4/126', '0:0:0:1::/127', '1.2.3.4/22'].map(expand),
  ],
  'merges adjacent, overlapping and duplicate networks': [
    merge('10.0.0.0/8', '11.0.0.0/8'),
    merge('1.2.3.4/32', '1.2.3.5/32', '1.2.3.6/31'),
    merge('1.2.3.1/32', '1.2.3.2/32', '1.2.3.3/32', '1.2.3.4/32', '1.2.3.5/32', '1.2.3.6/32'),
    merge('1.2.3.0/24', '1.2.5.0/24'),
    merge('1.2.3.0/24', '1.2.3.0/24'),
    merge('1.2.3.0/24', '1.2.3.128/25'),
    merge('0.0.0.0/0', '1.2.3.4'),
    merge('10.1.2.3', '11.0.0.0/8'),
    merge('10.1.2.3'),
    merge('172.16.5.4', '192.168.1.1', '224.0.0.1'),
    merge('192.168.1.1', '192.168.1.1'),
    merge('2001:db8::/33', '2001:db8:8000::/33'),
    merge('2001:db8::/32', '2001:db8::/48', '2001:db9::/32'),
    merge('2001:db8::1/128', '2001:db8::2/127', '2001:db8::4/128'),
    merge('::/0', '10.0.0.0/8'),
    merge('::/80', '10.0.0.0/8'),
    merge('::/127', '::2/128'),
    merge('::/97', '::8000:0/97'),
    merge('::ffff:1.2.3.0/120'),
    merge('::ffff:1.2.3.0/120', '1.2.3.0/24'),
    merge('::ffff:1.2.3.0/120', '2001:db8::/32', '0.0.0.0/0'),
    merge('255.255.255.254/32', '255.255.255.255/32'),
    merge('0.0.0.0/32', '0.0.0.1/32'),
    merge('1.2.3.4/30', '2001:db8::/32'),
    merge(),
    { expr: 'net.cidr_merge({"10.0.0.0/9", "10.128.0.0/9"})', set: true },
  ],
  'merges random lists of nearby networks': randomLists,
  'matches networks to the addresses and networks they contain, by key': [
    matches('10.0.0.0/8', '10.1.2.3'),
    matches('10.0.0.0/8', '11.1.2.3'),
    matches('10.0.0.0/8', '10.0.0.0/9'),
    matches('10.0.0.0/9', '10.0.0.0/8'),
    matches(['10.0.0.0/8', '192.168.0.0/16'], ['10.1.2.3', '192.168.1.1', '8.8.8.8']),
    matches({ a: '10.0.0.0/8', b: ['192.168.0.0/16', 'x'] }, ['10.1.2.3', '192.168.1.1']),
    matches({ b: '10.0.0.0/8', a: '10.0.0.0/16' }, { y: '10.0.0.1', x: '10.0.0.2' }),
    matches('10.0.0.0/8', [['10.0.0.1', 5]]),
    matches('2001:db8::/32', ['2001:db8::1', '2001:db9::1', '2001:db8::/48']),
    matches('::ffff:0:0/96', ['1.2.3.4', '::ffff:1.2.3.4']),
    matches('1.2.3.0/24', ['::ffff:1.2.3.4', '::ffff:1.2.3.0/120']),
    matches([], ['1.2.3.4']),
    { expr: 'net.cidr_contains_matches("10.0.0.0/8", input.n)', set: true },
  ],
  [UNDEFINED]: [
    expand('1.2.3.4'),
    expand('1.2.3.4/33'),
    { expr: 'net.cidr_expand(input.n)', set: true },
    merge('2001:db8::1', '10.0.0.0/8'),
    merge('10.0.0.0/33'),
    { expr: 'net.cidr_merge(input.obj)', set: true },
    { expr: 'net.cidr_merge(["10.0.0.0/8", input.n])', set: true },
    matches('10.0.0.0/8', [[]]),
    matches('10.0.0.0/8', 'x'),
    matches('x', '10.0.0.1'),
    matches('10.0.0.0/8', [['x']]),
  ],
};

describeAgainstOpa(groups, UNDEFINED, input);

// OPA itself panics on these (opa eval exits), so there is no oracle: modelgate makes the call undefined.
it.each([
  [['::2/128', '::3/128']],
  [['::1/128', '::1/128']],
  [['::ffff:1.2.3.0/121', '::ffff:1.2.3.128/121']],
  [['255.255.255.255/32', '::1:0:0:0/128']],
])('refuses to merge %j, where OPA panics', (cidrs) => {
  const merge = netBuiltins['net.cidr_merge'];
  expect(() => merge?.({ nowNs: 0n, memo: new Map() }, cidrs)).toThrow(RangeError);
});

it('fails the evaluation rather than expand a network of more than 16,384 addresses, which OPA would list', () => {
  const expandCidr = netBuiltins['net.cidr_expand'];
  const context = { nowNs: 0n, memo: new Map() };
  expect((expandCidr?.(context, '10.0.0.0/18') as RegoSet).items).toHaveLength(16384);
  expect(() => expandCidr?.(context, '10.0.0.0/17')).toThrow(BuiltinLimitError);
  expect(() => expandCidr?.(context, '2001:db8::/64')).toThrow(BuiltinLimitError);
});
