import { seededRandom } from '../../helpers/seeded-random';
import { type BuiltinCase, describeAgainstOpa } from '../../helpers/builtin-oracle';

const input = { n: 1, half: 1.5 };
const UNDEFINED = 'is undefined for patterns Go refuses, and for operands OPA rejects';

const replace = (s: string, pattern: string, value: string): BuiltinCase => ({
  expr: `regex.replace(${JSON.stringify(s)}, ${JSON.stringify(pattern)}, ${JSON.stringify(value)})`,
});
const findN = (pattern: string, s: string, n: number): BuiltinCase => ({
  expr: `regex.find_n(${JSON.stringify(pattern)}, ${JSON.stringify(s)}, ${n})`,
});
const template = (tpl: string, s: string, open = '{', close = '}'): BuiltinCase => ({
  expr: `regex.template_match(${JSON.stringify(tpl)}, ${JSON.stringify(s)}, ${JSON.stringify(open)}, ${JSON.stringify(close)})`,
});

const globs = (a: string, b: string): BuiltinCase => ({
  expr: `regex.globs_match(${JSON.stringify(a)}, ${JSON.stringify(b)})`,
});

// Pairs of small globs, the same every run: glob-intersection's answers follow its algorithm, not set theory.
const random = seededRandom(3);
const parts = ['a', 'b', 'c', '.', '[ab]', '[a-c]', '[b-z]', '[]', '\\.', '\\*', 'é'];
const glob = () =>
  Array.from({ length: Math.floor(random() * 5) }, () => {
    const part = parts[Math.floor(random() * parts.length)] ?? 'a';
    return part + (['', '', '+', '*'][Math.floor(random() * 4)] ?? '');
  }).join('');
const randomGlobs = Array.from({ length: 150 }, () => globs(glob(), glob()));

const groups: Record<string, BuiltinCase[]> = {
  'replaces every match as Go’s ReplaceAllString, empty matches included': [
    replace('aaa', '^a', 'b'),
    replace('abc', 'b*', '-'),
    replace('abc', '', '-'),
    replace('héllo wörld', '[öé]', '_'),
    replace('😀a😀', 'x*', '-'),
    replace('a\nb', '^b', 'X'),
    replace('a\nb', '(?m)^b', 'X'),
    replace('a.b', '.', 'x'),
    replace('AbC', '(?i)[a-c]', '*'),
    replace('foo bar', '\\bb', 'B'),
    replace('no match', 'xyz', 'q'),
  ],
  'expands $n, ${n}, $name and $$ as Go does': [
    replace('abab', '(a)(b)', '$2$1'),
    replace('ab', '(a)(b)', '$1x'),
    replace('ab', '(a)(b)', '${1}x'),
    replace('ab', '(?P<first>a)(?<second>b)', '[$second|$first]'),
    replace('ab', '(?P<n>a)(?P<n>b)', '[$n]'),
    replace('ab', '(?P<n>x)?(?P<n>b)', '[$n]'),
    replace('ab', '(a)', '$$1'),
    replace('ab', '(a)', '$'),
    replace('ab', '(a)', '${1'),
    replace('ab', '(a)', '$01'),
    replace('ab', '(a)', '$9'),
    replace('ab', '(a)', '$é'),
    replace('ab', '(a)', '$0$0'),
    replace('ab', '(a)|(b)', '<$2>'),
  ],
  'reads Go syntax: \\Q…\\E, classes, POSIX classes, Unicode classes, flags': [
    replace('a.b*c', '\\Q.b*\\E', '!'),
    replace('a/b(?<c', '\\Q/(?<\\E', '!'),
    replace('a]b(c', '[](]', '!'),
    replace('ab1', '[[:alpha:]]', '!'),
    replace('ab1', '[^[:alpha:]]', '!'),
    replace('aΩb', '\\p{Greek}', '!'),
    replace('aΩb', '\\pL', '!'),
    replace('aΩ1', '\\p{^L}', '!'),
    replace('aΩ1', '\\p{Letter}', '!'),
    replace('aΩ1', '\\p{cased letter}', '!'),
    replace('aΩ1', '\\p{Decimal-Number}', '!'),
    replace('aΩ1', '\\p{greek}', '!'),
    replace('aΩ1', '\\p{LATIN}', '!'),
    replace('aΩ1', '\\pl', '!'),
    replace('aΩ1', '\\p{lu}', '!'),
    replace('aΩ1', '\\P{^letter}', '!'),
    replace('aΩ1', '\\p{any}', '!'),
    replace('aΩ1', '\\p{ASCII}', '!'),
    replace('aΩ1', '\\P{ascii}', '!'),
    replace('aΩ1', '[\\p{ascii}Ω]', '!'),
    replace('aΩ1A', '\\p{LC}', '!'),
    replace('aΩ1A', '[^\\p{Cased_Letter}]', '!'),
    replace('aΩ1', '(?i)\\p{Lu}', '!'),
    replace('aΩ1A', '\\p{Lu }', '!'),
    replace('a/b', '/', '!'),
    replace('aAbB', '(?U)a+?', '!'),
    replace('x\ny', '(?s).+', '!'),
    replace('AAA', '\\x41{2}', '!'),
    replace('a\tb', '\\t', '!'),
  ],
  'finds up to n matches, all when n is negative': [
    findN('a', 'abcabc', -1),
    findN('a', 'abcabca', 2),
    findN('a', 'abcabca', 0),
    findN('', 'abc', -1),
    findN('', 'é😀', -1),
    findN('b*', 'abbc', -1),
    findN('[0-9]+', 'a1b22c333', 2),
    findN('x', 'abc', -1),
    findN('(a)(b)?', 'abaab', -1),
    { expr: 'regex.find_n("a", "aaa", 1.0)' },
  ],
  'matches templates: literal text, regexps between delimiters, the whole anchored': [
    template('urn:foo:{.*}', 'urn:foo:bar:baz'),
    template('urn:foo:{.*}', 'urn:foo.bar'),
    template('urn:foo.bar:{[a-z]+}', 'urn:foo.bar:baz'),
    template('urn:foo.bar:{[a-z]+}', 'urn:fooxbar:baz'),
    template('urn:foo:<[0-9]{2,10}>', 'urn:foo:123', '<', '>'),
    template('urn:foo:<[0-9]{2,10}>', 'urn:foo:1', '<', '>'),
    template('a{b{c}d}e', 'abcde'),
    template('{a}{b}', 'ab'),
    template('', ''),
    template('plain', 'plain'),
    template('plain', 'plainx'),
    template('é{.}', 'éx'),
  ],
  'intersects globs as glob-intersection does': [
    globs('a.a.', '.b.b'),
    globs('[a-z]+', '[0-9]*'),
    globs('[a-z]+', '[a-c]*'),
    globs('[]', '.'),
    globs('[]', 'a'),
    globs('a*b*c', 'abc'),
    globs('', ''),
    globs('', 'a*'),
    globs('a*', ''),
    globs('a+', 'aaa'),
    globs('a+b', 'a*b'),
    globs('.*', 'anything'),
    globs('a.+z', 'abcz'),
    globs('[a-cx-z]+', '[c-x]'),
    globs('\\[a\\]', '[[]a[\\]]'),
    globs('a*a*', 'a+'),
    globs('x[ab]*[ba]*', 'xab'),
    globs('😀.', '.é'),
    globs('.+.[a-c]', '.*.*'),
    globs('a*[]+[]', '.+'),
    globs('[]*a+.*', 'a+'),
    globs('b+[ab].+', '.+'),
    globs('[ab]+[]*.*', 'a*[]a'),
  ],
  'intersects random pairs of globs as glob-intersection does': [
    ...new Map(randomGlobs.map((c) => [c.expr, c])).values(),
  ],
  'quotes glob metacharacters': [
    { expr: 'glob.quote_meta("*.github.com")' },
    { expr: 'glob.quote_meta("[a-z]?{x,y}\\\\!-,.é")' },
    { expr: 'glob.quote_meta("")' },
  ],
  [UNDEFINED]: [
    replace('abc', '\\u0061', 'x'),
    replace('abc', '\\cA', 'x'),
    replace('abc', '\\C', 'x'),
    replace('abc', '\\p{Script=Greek}', 'x'),
    replace('abc', '\\p{Old_Italic}', 'x'),
    replace('abc', '\\p{L&}', 'x'),
    replace('abc', '\\p{', 'x'),
    replace('abc', '\\p', 'x'),
    replace('abc', '(?<=a)b', 'x'),
    replace('abc', '(a', 'x'),
    replace('abc', '(?P<>a)', 'x'),
    replace('abc', '(?P<a-b>a)', 'x'),
    replace('abc', '\\1', 'x'),
    replace('abc', 'a{1001}', 'x'),
    replace('abc', '[z-a]', 'x'),
    findN('(', 'abc', -1),
    { expr: 'regex.find_n("a", "aaa", input.half)' },
    { expr: 'regex.replace(input.n, "a", "b")' },
    template('{a', 'a'),
    template('a}', 'a'),
    template('{(}', '('),
    template('x', 'x', '{{', '}'),
    template('x', 'x', 'é', '}'),
    template('<a>', 'a', '<', '<'),
    { expr: 'glob.quote_meta(input.n)' },
    globs('a**', 'a'),
    globs('a\\', 'a'),
    globs('[b-a]', 'a'),
    globs('*a', 'a'),
    globs('a]', 'a'),
    globs('[a', 'a'),
    globs('[-a]', 'a'),
    globs('[a-]', 'a'),
    globs('[a--]', 'a'),
    globs('[a-b-c]', 'a'),
    { expr: 'regex.globs_match("a", input.n)' },
  ],
};

describeAgainstOpa(groups, UNDEFINED, input);
