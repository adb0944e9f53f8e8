/**
 * A 32-digit hex key (Azure OpenAI, Azure AI services, Datadog, Twilio, …) assigned to a key name. gitleaks'
 * generic-api-key wants a Shannon entropy of 3.5, which about one random 32-digit hex key in five lacks; an
 * outside evaluation on trufflehog's Azure OpenAI samples missed two of six that way.
 */
import { detectText } from '../../src/screening/detect-text';
import { fakeRandom } from './fake-values';

const HEX = '0123456789abcdef';

function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
}

// Random hex keys whose entropy is under gitleaks' threshold: the ones its generic rule leaves.
function lowEntropyKeys(count: number): string[] {
  const draw = fakeRandom(2024);
  const keys: string[] = [];
  while (keys.length < count) {
    const key = draw(HEX, 32);
    if (entropy(key) < 3.5 && /[a-f]/.test(key) && /[0-9]/.test(key)) keys.push(key);
  }
  return keys;
}

const credentials = (text: string) =>
  detectText(text)
    .filter((s) => s.class === 'generic_credential')
    .map((s) => text.slice(s.start, s.end));

describe('a hex key assigned to a key name', () => {
  const keys = lowEntropyKeys(5);

  it('draws keys below gitleaks’ entropy threshold', () => {
    for (const key of keys) expect(entropy(key)).toBeLessThan(3.5);
  });

  it.each([
    ['an env file', (k: string) => `AZURE_OPENAI_KEY=${k}`],
    ['a JSON settings file', (k: string) => `{"Values": {"AZURE_OPENAI_KEY": "${k}"}}`],
    ['Python', (k: string) => `os.environ["OPENAI_API_KEY"] = '${k}'`],
    ['an HTTP header', (k: string) => `Ocp-Apim-Subscription-Key: ${k}`],
    ['YAML', (k: string) => `datadog:\n  api_key: ${k}\n`],
    ['a client secret', (k: string) => `client_secret = "${k}"`],
    // Names that end in a word of the not-a-credential list ("id", "row", "page") without being that word.
    ['a name ending in letters of "id"', (k: string) => `ANDROID_KEY=${k}`],
    ['a name ending in letters of "row"', (k: string) => `ESCROW_SECRET=${k}`],
    ['a camel-case name ending in letters of "page"', (k: string) => `homepageToken: "${k}"`],
  ])('finds it in %s', (_name, write) => {
    for (const key of keys) expect(credentials(write(key))).toContain(key);
  });

  it('leaves a key that gitleaks’ generic rule allowlists alone', () => {
    // "000000" is one of that rule's stop words; the value otherwise passes every check of this detector.
    const key = `000000${fakeRandom(7)(HEX, 26)}`;
    expect(/[a-f]/.test(key) && new Set(key).size >= 10).toBe(true);
    expect(credentials(`AZURE_OPENAI_KEY=${key}`)).toEqual([]);
  });

  it.each([
    ['a cache key', (k: string) => `cache_key = "${k}"`],
    ['a map entry', (k: string) => `{"key": "${k}", "value": 3}`],
    ['a pagination token', (k: string) => `next_page_token: ${k}`],
    ['a digest', (k: string) => `sha256: ${k}${k}`],
    ['a commit', (k: string) => `commit_sha=${k}abcd1234`],
    ['an object key', (k: string) => `object_key: ${k}`],
    ['a camel-case object key', (k: string) => `s3ObjectKey: "${k}"`],
    ['a camel-case page token', (k: string) => `nextPageToken: "${k}"`],
    ['a session id key', (k: string) => `SESSION_ID_KEY=${k}`],
  ])('leaves %s alone', (_name, write) => {
    for (const key of keys) expect(credentials(write(key))).toEqual([]);
  });
});
