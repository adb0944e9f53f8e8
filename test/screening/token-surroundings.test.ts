import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { categoryOf } from '../../src/screening/classes';
import { detectText } from '../../src/screening/detect-text';
import { forPayloads } from '../../src/screening/rules/upstream-rules';

// gitleaks' rules end a token at a quote, backtick, space or semicolon, as source files do. A prompt also puts
// one in a tag, in parentheses, before a comma, at the end of a sentence, in Markdown emphasis: there, about
// half the rules that know a token by its shape missed it (an outside evaluation on gitleaks' own samples).

const examples = JSON.parse(readFileSync(join(__dirname, 'gitleaks-examples.json'), 'utf8')) as {
  rules: Record<string, { positive: string[] }>;
};

const SURROUNDINGS: Array<[string, (s: string) => string]> = [
  ['an XML tag', (s) => `Use this: <api_key>${s}</api_key> please`],
  ['an HTML paragraph', (s) => `<p>The token is ${s}</p>`],
  ['parentheses', (s) => `the deploy key (${s}) stopped working`],
  ['a comma', (s) => `my token is ${s}, can you check it`],
  ['the end of a sentence', (s) => `Here is the key: ${s}.`],
  ['Markdown bold', (s) => `key: **${s}**`],
  ['square brackets', (s) => `tokens [${s}] leaked`],
  ['a question', (s) => `is this valid: ${s}?`],
];

function secretsIn(text: string): Array<{ start: number; end: number }> {
  return detectText(text).filter((span) => categoryOf(span.class) === 'secret');
}

// A token screening finds with no hint but its own shape: what no surrounding may lose.
function selfIdentifyingTokens(): string[] {
  const tokens = new Set<string>();
  for (const { positive } of Object.values(examples.rules)) {
    for (const text of positive) {
      for (const span of secretsIn(text)) {
        const token = text.slice(span.start, span.end);
        if (token.length < 16 || /[\s<>(),]/.test(token)) continue;
        // No word around it that names a key: the token's shape alone.
        const bare = `look ${token} now`;
        if (secretsIn(bare).some((s) => bare.slice(s.start, s.end) === token)) tokens.add(token);
      }
    }
  }
  return [...tokens];
}

describe('a token the rules know by its shape, wherever a prompt puts it', () => {
  const tokens = selfIdentifyingTokens();

  it('has hundreds of such tokens from the upstream examples to try', () => {
    expect(tokens.length).toBeGreaterThan(300);
  });

  it.each(SURROUNDINGS)('is found, as itself, in %s', (_name, wrap) => {
    const missed = tokens.filter((token) => {
      const text = wrap(token);
      const at = text.indexOf(token);
      return !secretsIn(text).some((s) => s.start <= at && s.end >= at + token.length);
    });
    // Before: 45-72% of these were missed in tags, parentheses and before a comma.
    expect({ missed: missed.length, of: tokens.length, first: missed.slice(0, 3) }).toMatchObject({
      missed: 0,
    });
  });

  it('redacts the token, not the character after it', () => {
    const token = tokens.find((t) => t.startsWith('hf_')) ?? tokens[0]!;
    const text = `<hf_token>${token}</hf_token>`;
    const [span] = secretsIn(text);
    expect(text.slice(span!.start, span!.end)).toBe(token);
  });
});

describe('forPayloads', () => {
  it('widens the source-file terminator and leaves other patterns as they are', () => {
    const source = `\\b(glpat-[a-z]{20})(?:[\\x60'"\\s;]|\\\\[nr]|$)`;
    expect(forPayloads(source)).toBe(
      `\\b(glpat-[a-z]{20})(?:[\\x60'"\\s;,!?)\\]}<>|&*]|\\.(?:\\s|$)|\\\\[nr]|$)`,
    );
    expect(forPayloads('ghp_[0-9a-zA-Z]{36}')).toBe('ghp_[0-9a-zA-Z]{36}');
  });

  it('keeps a trailing terminator out of the secret of a rule without a group', () => {
    expect(forPayloads('tok_[a-z]{8}(?:[^a-z]|\\z)')).toBe('(tok_[a-z]{8})(?:[^a-z]|\\z)');
    // A rule with its own group already says where the secret is.
    expect(forPayloads('(tok_[a-z]{8})(?:[^a-z]|\\z)')).toBe('(tok_[a-z]{8})(?:[^a-z]|\\z)');
  });
});
