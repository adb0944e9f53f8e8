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
      { expr: 'sprintf("%v", [{"a", "b"}])' },
      { expr: 'sprintf("%f", [1.0])' },
      { expr: 'count(net.cidr_expand("10.0.0.0/15"))' },
      { expr: 'count(net.cidr_expand("10.0.0.0/16"))' },
    ]);
    expect(answers.map((a) => [a.wasm, a.opa])).toEqual([
      ['["b", "a"]', '{"a", "b"}'],
      ['%!f(int64=1)', '1.000000'],
      [undefined, 131072],
      [65536, 65536],
    ]);
    expect(section).toContain('(`["b", "a"]`) where OPA prints `{"a", "b"}`');
    expect(section).toContain('`sprintf("%f", [1.0])` gives `%!f(int64=1)`');
    expect(section).toContain('`net.cidr_expand`\n  past 65,536 addresses');
    // format_int is the WASM library's own: out of 32 bits it aborts the evaluation; sprintf does not.
    await expect(answersOfBoth([{ expr: 'format_int(2147483648, 10)' }])).rejects.toThrow(
      /policy evaluation failed/,
    );
    const [digits] = await answersOfBoth([{ expr: 'sprintf("%d", [2147483648])' }]);
    expect(digits).toMatchObject({ wasm: '2147483648', opa: '2147483648' });
    expect(section).toContain('`format_int` of a number outside 32 bits aborts');
  });
});
