/**
 * The keys of the model providers a gateway's callers hold, found by their shape: gitleaks' rule set (v8.30)
 * knows OpenAI's, Anthropic's, Cohere's, Perplexity's and Hugging Face's, not Groq's, xAI's, Replicate's,
 * LangSmith's, Pinecone's or the sk-<32 hex> keys of DeepSeek and DashScope; and a bearer token pasted with its
 * Authorization header (an HTTP log, a request copied from a browser) was found only inside a curl command; nor
 * was an OAuth refresh token pasted with its token response.
 */
import { detectText } from '../../src/screening/detect-text';
import { drawn } from './fake-values';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';
const B64URL = `${ALNUM}-_`;
const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const uuidOf = (seed: string): string =>
  [8, 4, 4, 4, 12].map((n, i) => drawn(`${seed}${i}`, n, HEX)).join('-');

const found = (text: string) =>
  detectText(text).map((s) => ({ class: s.class, value: text.slice(s.start, s.end) }));

describe('model providers’ keys', () => {
  it.each([
    ['Groq', `gsk_${drawn('groq', 52, ALNUM)}`],
    ['xAI', `xai-${drawn('xai', 80, ALNUM)}`],
    ['Replicate', `r8_${drawn('replicate', 37, ALNUM)}`],
    ['DeepSeek / DashScope', `sk-${drawn('deepseek', 32, HEX)}`],
    ['LangSmith personal', `lsv2_pt_${drawn('ls', 32, HEX)}_${drawn('ls2', 10, HEX)}`],
    ['LangSmith service', `lsv2_sk_${drawn('lss', 32, HEX)}_${drawn('lss2', 10, HEX)}`],
    ['Pinecone', `pcsk_${drawn('pc', 6, ALNUM)}_${drawn('pc2', 64, ALNUM)}`],
    ['OpenRouter', `sk-or-v1-${drawn('openrouter', 64, HEX)}`],
    ['Langfuse secret', `sk-lf-${uuidOf('langfuse')}`],
    ['ElevenLabs', `sk_${drawn('elevenlabs', 48, HEX)}`],
    ['Hugging Face with digits', `hf_${drawn('hf', 34, ALNUM)}`],
    ['Hugging Face organisation', `api_org_${drawn('hforg', 34, ALNUM)}`],
    ['Together', `tgp_v1_${drawn('together', 43, B64URL)}`],
    ['NVIDIA', `nvapi-${drawn('nvidia', 64, B64URL)}`],
    ['Cerebras', `csk-${drawn('cerebras', 48, LOWER_ALNUM)}`],
  ])('finds a %s key as an api_token', (_name, key) => {
    for (const text of [key, `export KEY=${key}`, `{"apiKey": "${key}"}`, `my key is ${key}, thanks`]) {
      expect(found(text)).toContainEqual({ class: 'api_token', value: key });
    }
  });

  it.each([
    ['a package name', 'pip install xai-sdk groq-python'],
    ['a short sk- value', 'the class sk-4f2a is a skeleton'],
    ['an sk- digest prefix of the wrong length', `sk-${drawn('d', 31, HEX)}`],
    ['a CSS class of words', 'sk-button-primary-large-v2-hover-active-state'],
    ['a plain word run after gsk_', `gsk_${'a'.repeat(52)}`],
    ['a Langfuse placeholder of zeros', `sk-lf-${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}`],
    ['an OpenRouter placeholder', `sk-or-v1-${'x'.repeat(64)}`],
    ['a Hugging Face placeholder', `hf_${'x'.repeat(34)}`],
    ['a Python name after hf_', 'hf_hub_download(repo_id, filename)'],
  ])('leaves %s alone', (_name, text) => {
    expect(found(text).filter((f) => f.class === 'api_token')).toEqual([]);
  });
});

describe('a bearer token with its Authorization header', () => {
  const token = drawn('bearer', 40, B64URL);
  it.each([
    `Authorization: Bearer ${token}`,
    `authorization: bearer ${token}`,
    `-H 'Authorization: Bearer ${token}'`,
    `{"headers": {"Authorization": "Bearer ${token}"}}`,
    `Proxy-Authorization: Bearer ${token}`,
    `Authorization: token ${token}`,
    `request.headers["authorization"] = "Bearer ${token}"`,
    // Other schemes that carry a secret as is: DPoP-bound tokens (RFC 9449), Okta's API tokens, Splunk HEC tokens,
    // Elasticsearch and Django REST Framework API keys, FCM's legacy server keys.
    `Authorization: DPoP ${token}`,
    `Authorization: SSWS ${token}`,
    `Authorization: Splunk ${token}`,
    `Authorization: ApiKey ${token}`,
    `Authorization: Api-Key ${token}`,
    `Authorization: key=${token}`,
  ])('finds it in %s', (text) => {
    expect(found(text)).toContainEqual({ class: 'generic_credential', value: token });
  });

  it('finds HTTP basic credentials', () => {
    const basic = Buffer.from(`deploy:${drawn('pw', 20, ALNUM)}`).toString('base64');
    expect(found(`Authorization: Basic ${basic}`)).toContainEqual({
      class: 'generic_credential',
      value: basic,
    });
  });

  it.each([
    'Authorization: Bearer ${TOKEN}',
    'Authorization: Bearer <your-token-here>',
    'Authorization: Bearer YOUR_API_KEY_GOES_HERE',
    'Authorization: Bearer xxxxxxxxxxxxxxxxxxxxxxxx',
    'the Authorization header carries a bearer token issued by the IdP',
  ])('leaves a placeholder or prose alone: %s', (text) => {
    expect(found(text)).toEqual([]);
  });
});

describe('an OAuth refresh token', () => {
  // Google's refresh tokens start "1//" and hold "/", which gitleaks' generic value pattern stops at; Microsoft
  // Entra's ("0.A…", "1.A…") run to over a thousand characters, past its 150.
  const google = `1//0g${drawn('google-refresh', 98, B64URL)}`;
  const entra = `0.A${drawn('entra-a', 60, B64URL)}.AgAB${drawn('entra-b', 900, B64URL)}`;

  it.each([
    [
      'Google’s, in a token response',
      google,
      (t: string) => `{"access_token": "x", "refresh_token": "${t}"}`,
    ],
    [
      'Google’s, in a form body',
      google,
      (t: string) => `grant_type=refresh_token&refresh_token=${t}&client_id=app`,
    ],
    ['Entra’s, in a token response', entra, (t: string) => `{"refresh_token": "${t}", "expires_in": 4742}`],
    ['Entra’s, in YAML', entra, (t: string) => `refresh_token: ${t}\n`],
    [
      'Entra’s, in the Azure CLI’s camel case',
      entra,
      (t: string) => `{"tokenType": "Bearer", "refreshToken": "${t}"}`,
    ],
  ])('finds %s', (_name, token, write) => {
    expect(found(write(token))).toContainEqual({ class: 'generic_credential', value: token });
  });

  it.each([
    'refresh_token: "${REFRESH_TOKEN}"',
    'refresh_token = get_refresh_token(user)',
    'self.refresh_token = self.oauth_client.refresh_token',
    'const { accessToken, refreshToken } = await exchangeAuthorizationCode(code);',
    'refreshToken: string | undefined;',
    // A variable named for the token it holds: code, whatever its mix of cases and digits.
    'const session = { refreshToken: refreshTokenFromStorage, accessToken: accessTokenFromStorage };',
    'self.access_token = access_token_from_cache_v2',
    // A test's fixture, named for what it stands for.
    `const tokens = { access_token: "test-access-token-123", refreshToken: 'mock-refresh-token-value-1' };`,
  ])('leaves a reference or code alone: %s', (text) => {
    expect(found(text)).toEqual([]);
  });
});
