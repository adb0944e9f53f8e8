import { dottedGlobMatches } from '../../src/reports/dotted-glob';
import { answersOfBoth } from '../helpers/builtin-oracle';

// Patterns as entitlements write them, and the kinds of glob syntax OPA accepts or refuses; OPA is the oracle.
const PATTERNS = [
  'anthropic.claude-haiku',
  'anthropic.*',
  'anthropic.claude-*',
  'anthropic.**',
  '**',
  '*',
  '*.claude-?aiku',
  'anthropic.claude-{haiku,sonnet}',
  'anthropic.{claude-*,titan.**}',
  '{anthropic,meta}.*',
  'openai.[gG]pt-4o',
  'openai.gpt-[0-9]o',
  'openai.gpt-[!3]o',
  'openai.gpt-4[!.]',
  'a\\*b',
  'a\\.b',
  'anthropic.claude-{haiku,}',
  '{a,{b,c}}.x',
  '**.claude-haiku',
  'a,b',
  '{}',
  '[]]',
  'x.[.]',
  // Not valid glob syntax: OPA's glob.match fails, so the grant matches nothing.
  'anthropic.claude-{haiku',
  'openai.[gpt',
  'openai.gpt]',
  'a}b',
  'x\\',
  '[]',
  '[z-a]',
];
const VALUES = [
  'anthropic.claude-haiku',
  'anthropic.claude-sonnet',
  'anthropic.claude-',
  'anthropic.eu.claude-haiku',
  'anthropic.titan.text.lite',
  'meta.llama',
  'openai.gpt-4o',
  'openai.Gpt-4o',
  'openai.gpt-3o',
  'openai.gpt-4.',
  'a*b',
  'axb',
  'a.b',
  'b.x',
  'c.x',
  'x',
  'a}b',
  'openai.gpt]',
  'a,b',
  ']',
  'x..',
  '',
];

describe('dottedGlobMatches: model grants matched as the policy matches them', () => {
  it('agrees with glob.match(pattern, ["."], value) of the WASM engine and of OPA on every pattern and value', async () => {
    const pairs = PATTERNS.flatMap((pattern) => VALUES.map((value) => [pattern, value] as const));
    const answers = await answersOfBoth(
      pairs.map((_, i) => ({ expr: `glob.match(input.p[${i}][0], ["."], input.p[${i}][1])` })),
      { p: pairs },
    );
    // The engine /v1/decide runs is the one to agree with. It is more lenient than OPA's own evaluator on some
    // patterns OPA refuses (a `{` never closed matches as if closed); on every valid one they agree.
    const disagreements = pairs.flatMap(([pattern, value], i) => {
      const { wasm, opa } = answers[i]!;
      const mine = dottedGlobMatches(pattern, value);
      const wrong = mine !== (wasm === true) || (opa !== undefined && mine !== opa);
      return wrong ? [`${pattern} ${value}: ours ${mine}, the engine's ${wasm}, OPA's ${opa}`] : [];
    });
    // The precondition: the table has matches, non-matches and patterns OPA refuses.
    expect(answers.filter((a) => a.opa === true).length).toBeGreaterThan(20);
    expect(answers.filter((a) => a.opa === undefined).length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.opa === undefined && a.wasm === true).length).toBeGreaterThan(0);
    expect(disagreements).toEqual([]);
  });
});
