import { seededRandom } from '../../helpers/seeded-random';
import { type BuiltinCase, describeAgainstOpa } from '../../helpers/builtin-oracle';

const input = { n: 1 };
const UNDEFINED = 'is undefined for amounts and units OPA rejects';

const units = (s: string): BuiltinCase => ({ expr: `units.parse(${JSON.stringify(s)})` });
const bytes = (s: string): BuiltinCase => ({ expr: `units.parse_bytes(${JSON.stringify(s)})` });
// json.marshal shows the number as the module holds it, so a digit lost beyond 2^53 shows.
const exactly = (c: BuiltinCase): BuiltinCase => ({ expr: `json.marshal(${c.expr})` });

// Long amounts with exponents, the same every run: big.Float rounds these to 64 bits in two steps.
const random = seededRandom(11);
const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
const longAmounts = Array.from({ length: 40 }, (_, i) => {
  const amount = `${1 + Math.floor(random() * 9)}${digits(18 + (i % 8))}.${digits(i % 5)}e${Math.floor(random() * 40) - 5}`;
  return bytes(`${amount}${['', 'k', 'ki', 'mb', 'eib'][i % 5] ?? ''}`);
});

const groups: Record<string, BuiltinCase[]> = {
  'parses SI and IEC units, m as milli and M as mega': [
    ...[
      '1',
      '1.5Ki',
      '1K',
      '1k',
      '1ki',
      '1KI',
      '1M',
      '1m',
      '1Mi',
      '1mi',
      '1MI',
      '1G',
      '1gi',
      '1T',
      '1ti',
      '1P',
      '1Pi',
    ].map(units),
    ...[
      '1E',
      '1Ei',
      '1e',
      '1000m',
      '1e3m',
      '0.5m',
      '250m',
      '-2.5k',
      '+3k',
      '010',
      '.5K',
      '5.K',
      '"12"',
      '1e3',
      '1E3',
      '1e+3',
      '1.5e-3K',
    ].map(units),
  ],
  'answers fractions to ten decimals, rounded half away from zero': [
    ...[
      '1.5',
      '0.0000000001',
      '0.00000000001',
      '0.00000000005',
      '-0.00000000005',
      '1e-7',
      '1m',
      '3m',
      '123456789.123456789',
    ].map(units),
    ...['0.333333333333', '2.00000000005', '-1.5'].map(units),
    exactly(units('123456789.123456789')),
    exactly(units('1m')),
    exactly(units('0.1')),
    { expr: 'units.parse("1.5") == 1.5' },
    { expr: 'units.parse("1m") < 0.002' },
    { expr: 'units.parse("250m") * 4' },
    { expr: 'units.parse("1.5") + units.parse_bytes("1k")' },
  ],
  'parses byte amounts in SI and IEC units, case-insensitively, truncated to whole bytes': [
    ...[
      '0',
      '1',
      '1k',
      '1kb',
      '1KB',
      '1Ki',
      '1KiB',
      '1kib',
      '1mb',
      '1MiB',
      '1g',
      '1GiB',
      '1tb',
      '1ti',
      '1pb',
      '1Pi',
      '1eb',
      '1EiB',
      '1e',
    ].map(bytes),
    ...[
      '1.1',
      '1.9',
      '-1.5k',
      '0.3kb',
      '0.29kb',
      '4.35mb',
      '1.001kb',
      '0.07kb',
      '1e3',
      '1.5e-1k',
      '.5k',
      '5.k',
      '"1k"',
      '1e+3k',
    ].map(bytes),
    ...['99999999999999999999', '16EiB', '10EB', '1e30', '0.1e1', '123.456789e2kb'].map(bytes),
    exactly(bytes('10EB')),
    exactly(bytes('16EiB')),
    exactly(bytes('99999999999999999999')),
    exactly(bytes('1e30')),
    exactly(bytes('1e400')),
    exactly(units('10E')),
    exactly(units('1e30')),
  ],
  'rounds long byte amounts to 64 bits as big.Float does': longAmounts,
  [UNDEFINED]: [
    ...['', 'K', '1 K', '1Kb', '1x', '1mm', '.', '1.2.3', '+-1', '1e1234567', '1e-1234567k', '1m ', '1é'].map(
      units,
    ),
    ...['', 'KB', '1 k', '1b', '1kibb', '.k', '0x10', '1-2', '1e1234567', '1e-', '1.2.3kb'].map(bytes),
    { expr: 'units.parse(input.n)' },
    { expr: 'units.parse_bytes(input.n)' },
  ],
};

describeAgainstOpa(groups, UNDEFINED, input);
