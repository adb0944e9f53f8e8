import { readFileSync } from 'node:fs';
import path from 'node:path';
import { detectTexts } from '../../src/screening/detect-joined';
import { detectText } from '../../src/screening/detect-text';
import { readCorpus } from '../../src/screening/evaluate-corpus';
import { anchorsAtJoins, UPSTREAM_RULES } from '../../src/screening/rules/upstream-rules';
import { fake } from './fake-values';

const examples = JSON.parse(readFileSync(path.join(__dirname, 'gitleaks-examples.json'), 'utf8')) as {
  rules: Record<string, { positive: string[]; negative: string[] }>;
};

/** detectTexts must give, for each text, exactly what detectText gives it alone. */
function expectSameAsAlone(texts: string[]): void {
  expect(detectTexts(texts)).toEqual(texts.map((t) => detectText(t)));
}

describe('detectTexts: many texts screened joined', () => {
  it("gives each of gitleaks' own examples what screening it alone gives, whatever its neighbours", () => {
    let found = 0;
    for (const { positive, negative } of Object.values(examples.rules)) {
      const texts = [...positive, ...negative];
      found += texts.filter((t) => detectText(t).length > 0).length;
      // Neighbours glued to the example with token characters, and keys and roles between them.
      expectSameAsAlone(texts.flatMap((t) => ['content', t, 'abc123']));
    }
    expect(found).toBeGreaterThan(6000); // precondition: the examples are found
  });

  it('gives each labelled corpus record (secrets and personal data) what screening it alone gives', () => {
    const texts = readCorpus(path.join(__dirname, 'corpus')).map((r) => r.record.text);
    expect(texts.filter((t) => detectText(t).length > 0).length).toBeGreaterThan(100); // precondition
    // Neighbours that end with a label a look-back could read (imei, phone, version) and glued digits.
    expectSameAsAlone(texts.flatMap((t) => ['my imei', t, 'phone:', '12345', 'version']));
  });

  it('keeps matches anchored at the end or start of a text (sidekiq URL, a token at the very end)', () => {
    const url = examples.rules['sidekiq-sensitive-url']?.positive[0] as string;
    expect(detectText(url).map((s) => s.rule)).toContain('sidekiq-sensitive-url'); // precondition
    expectSameAsAlone(['role', url, url, `see ${fake.githubToken()}`, fake.githubToken()]);
  });

  it('screens alone the texts a multi-line match runs across (curl over two messages, a PEM body)', () => {
    const curl = examples.rules['curl-auth-user']?.positive[0] as string;
    expect(detectText(curl).length).toBeGreaterThan(0); // precondition
    const pem = `-----BEGIN RSA PRIVATE KEY-----\n${'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7'.repeat(2)}\n`;
    expectSameAsAlone(['curl https://example.com', curl, pem, 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldY end']);
  });

  it('screens text by text when a text holds a NUL, which could imitate a join', () => {
    expectSameAsAlone([`a\n${'\0'.repeat(30)}\nb`, `token ${fake.githubToken()}`]);
  });

  it('maps spans back through normalisation (look-alike letters, zero-width characters)', () => {
    const token = fake.githubToken();
    const hidden = `${token.slice(0, 6)}\u200b${token.slice(6)}`;
    expect(detectText(hidden)).toHaveLength(1); // precondition
    expectSameAsAlone(['«prompt»', hidden, `АKIA${'Z7Q2M4K6P3R3T5VX'} ’quoted’`, hidden]);
  });
});

describe('anchorsAtJoins', () => {
  it('turns anchors outside character classes into the separator and leaves classes and escapes alone', () => {
    expect(anchorsAtJoins('a$')).toBe('a(?:\\n\\x00)');
    expect(anchorsAtJoins('^a\\z')).toBe('(?:\\x00\\n)a(?:\\n\\x00)');
    expect(anchorsAtJoins('[$^]\\$[^a$]')).toBe('[$^]\\$[^a$]');
    expect(anchorsAtJoins('[]$]\\A')).toBe('[]$](?:\\x00\\n)');
  });

  it('compiles for every upstream rule', () => {
    expect(UPSTREAM_RULES.length).toBeGreaterThan(200);
    for (const rule of UPSTREAM_RULES) expect(rule.joinedRegex.source.length).toBeGreaterThan(0);
  });
});
