import { categoryOf } from '../../src/screening/classes';
import { detectText } from '../../src/screening/detect-text';

// A coding agent sends code. An outside evaluation over 8,000 files of third-party code (node_modules) found
// these shapes flagged as secrets; with the default policy each would deny the request.

function secrets(text: string): string[] {
  return detectText(text)
    .filter((span) => categoryOf(span.class) === 'secret')
    .map((span) => text.slice(span.start, span.end));
}

describe('code that names a credential without holding one', () => {
  it.each([
    ['a member path after a key name (generic-api-key)', 'childVisitorKeys: visitor_keys_1.visitorKeys,'],
    ['an environment read after a comma', 'const [a] = x, TOKEN = process.env.GITHUB_TOKEN,'],
    ['a call', 'const token = sourceCode.getTokenAfter(node);'],
    ['a member path in prose form', 'secret = this._client.webhookSecret'],
    ['a keyword after a password name', 'const saltedPassword = await crypto.hash(password, salt);'],
    ['a new expression', 'const password = new SecretValue(raw);'],
    // gitleaks allows key_id, access_id and credential_id; a token's id, name or type is no more a secret.
    [
      'a token id in a log line',
      'INFO token rotated (token_id=tok_Qw7Zr2Xk9LmP4vNt8BcY3dHs, prefix=ghp_****)',
    ],
    ['a token name', 'tokenName: "ci-deploy-token-eu-west"'],
    ['a token type in a token response', '"token_type": "urn:ietf:params:oauth:token-type:jwt",'],
  ])('reports nothing for %s', (_name, text) => {
    expect(secrets(text)).toEqual([]);
  });

  it('ends a query-string token where a Markdown link ends, not in the next URL', () => {
    const text = 'see [![x](https://h.example/badge.svg?token=Zq8mT2vR9xLk4NpW7yHc)](https://h.example/repo)';
    expect(secrets(text)).toEqual(['Zq8mT2vR9xLk4NpW7yHc']);
  });
});

describe('credentials in code are still found', () => {
  it.each([
    [
      'a random token with dots after "token is"',
      'the token is AbC93kdQ.Xq7Lm2zPwR9',
      'AbC93kdQ.Xq7Lm2zPwR9',
    ],
    ['an unquoted password', 'password = hunter2x', 'hunter2x'],
    ['a quoted password', 'db.connect({ password: "Tr0ub4dor&3x" })', 'Tr0ub4dor&3x'],
    [
      'an api key in a query string',
      'GET /v1/items?api_key=Zq8mT2vR9xLk4NpW7yHc3Bf6',
      'Zq8mT2vR9xLk4NpW7yHc3Bf6',
    ],
  ])('finds %s', (_name, text, secret) => {
    expect(secrets(text)).toContain(secret);
  });
});
