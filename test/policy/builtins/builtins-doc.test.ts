import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HOST_BUILTINS, REFUSED_BUILTINS } from '../../../src/policy/builtins';
import { answersOfBoth } from '../../helpers/builtin-oracle';

const doc = readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'policies.md'), 'utf8');
const section = /## Builtins\n([\s\S]*?)\n## /.exec(doc)?.[1] ?? '';

describe('docs/policies.md, "Builtins"', () => {
  it('names every builtin modelgate provides, and every one it refuses', () => {
    expect(section).not.toBe('');
    // The table abbreviates io.jwt.verify_* after the first of each family: rs384 stands for io.jwt.verify_rs384.
    const named = (name: string) =>
      section.includes(`\`${name}\``) || section.includes(`\`${name.replace('io.jwt.verify_', '')}\``);
    const missing = [
      ...Object.keys(HOST_BUILTINS),
      'sprintf',
      'regex.split',
      ...Object.keys(REFUSED_BUILTINS),
    ];
    expect(missing.filter((name) => !named(name))).toEqual([]);
  });

  it('shows the differences it documents, beside what OPA answers', async () => {
    const answers = await answersOfBoth([
      { expr: 'json.patch([12345678901234567890], [])[0] == 12345678901234567890' },
      { expr: 'time.format(1700000000123456789)' },
      { expr: 'sprintf("%v %f", [{"a", "b"}, 1.0])' },
      { expr: '"10.0.0.5" in net.cidr_expand("10.0.0.0/18")' },
    ]);
    expect(answers.map((a) => [a.wasm, a.opa])).toEqual([
      [false, true],
      ['2023-11-14T22:13:20.123456789Z', '2023-11-14T22:13:20.123456789Z'],
      ['{"a", "b"} 1.000000', '{"a", "b"} 1.000000'],
      [true, true],
    ]);
    expect(section).toContain(
      '(`json.patch([12345678901234567890], [])[0] == 12345678901234567890` is false here',
    );
    // Past the bound, the evaluation fails: the decision is a deny, not a rule that silently does not fire.
    await expect(answersOfBoth([{ expr: '"10.0.0.5" in net.cidr_expand("10.0.0.0/17")' }])).rejects.toThrow(
      /net.cidr_expand: more than 16384 addresses/,
    );
    expect(section).toContain('`net.cidr_expand` past\n  16,384 addresses');
    // format_int is the WASM library's own: out of 32 bits it aborts the evaluation; sprintf does not.
    await expect(answersOfBoth([{ expr: 'format_int(2147483648, 10)' }])).rejects.toThrow(
      /policy evaluation failed/,
    );
    const [digits] = await answersOfBoth([{ expr: 'sprintf("%d", [2147483648])' }]);
    expect(digits).toMatchObject({ wasm: '2147483648', opa: '2147483648' });
    expect(section).toContain('`format_int` of a number outside 32 bits aborts');
  });
});
