import { screenPayload } from '../../src/screening/index';
import { fake } from './fake-values';

// Inputs that make backtracking or rescanning detectors super-linear. Each must complete within jest's
// timeout and find exactly what it should. Timings are asserted only in bench/screening.bench.ts, never here.
const N = 200_000;
const EMAIL = 'jane.doe@acme-corp.com';

describe('screening adversarial inputs', () => {
  it.each<[string, string]>([
    ['200 KB of one letter', 'a'.repeat(N)],
    ['"@" repeated', '@'.repeat(N)],
    ['"a@" repeated', 'a@'.repeat(N / 2)],
    ['"a@a." repeated', 'a@a.'.repeat(N / 4)],
    ['"sk-" repeated', 'sk-'.repeat(N / 3)],
    ['"ghp_" repeated', 'ghp_'.repeat(N / 4)],
    ['digits repeated', '7'.repeat(N)],
    ['short digit groups', '12 '.repeat(N / 3)],
    ['dashed digit groups', '123-45-'.repeat(N / 7)],
    ['"-----BEGIN " repeated', '-----BEGIN '.repeat(N / 11)],
    ['"eyJ" repeated', 'eyJ'.repeat(N / 3)],
    ['"password=" repeated', 'password='.repeat(N / 9)],
    ['"://a:" repeated', '://a:'.repeat(N / 5)],
    ['service account markers', '"type": "service_account", '.repeat(N / 27)],
    ['colons', '1:'.repeat(N / 2)],
    ['dotted quads run together', '1.2.3.4.'.repeat(N / 8)],
    ['bracketed "at" marks', 'x [at] '.repeat(N / 7)],
    ['spelled "at" and "dot" around dotted words', 'a.b at c dot '.repeat(N / 13)],
    ['spelled dots before one "at"', `${'a dot '.repeat(N / 12)}at${' dot a'.repeat(N / 12)}`],
    ['a base64 blob', 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0'.repeat(N / 36)],
    // Phone candidates that reach the validators, far more than the parses a text is allowed.
    ['zero-padded ids shaped like national numbers', '0000012345 '.repeat(N / 11)],
    ['"+" and an unused calling code', '+999 123 '.repeat(N / 9)],
    ['opening parentheses and trunk zeros', '(0'.repeat(N / 2)],
    ['numbers with extension-like tails', '5550000x1 '.repeat(N / 10)],
    ['grouped runs no country groups so', '555 123 4567 8 '.repeat(N / 15)],
    // One digit run of unequal groups: every blank is a place a card could start or end.
    ['one run of unequal digit groups', '12 345 '.repeat(N / 7)],
  ])('finds nothing in %s', (_what, text) => {
    expect(screenPayload({ prompt: text }).findings).toEqual({});
  });

  it('reports private key headers without footers only as private keys', () => {
    // gitleaks' private-key rule takes the next header's "PRIVATE KEY-----" for a footer: a block of headers
    // is reported as keys (harmless for redaction), and must still take linear time.
    const result = screenPayload({ prompt: '-----BEGIN PRIVATE KEY-----\n'.repeat(N / 28) });
    expect(Object.keys(result.findings)).toEqual(['private_key']);
  });

  it('still finds a secret and an email after 200 KB of adversarial filler', () => {
    const token = fake.githubToken();
    const result = screenPayload({ prompt: `${'sk-'.repeat(N / 3)} ${token} ${'@'.repeat(1000)} ${EMAIL}` });
    expect(result.findings).toEqual({ github_token: 1, email: 1 });
  });

  it('finds each of many packed access key ids', () => {
    const key = fake.awsAccessKey();
    expect(screenPayload({ prompt: `${key} `.repeat(5000) }).findings).toEqual({ aws_access_key: 5000 });
  });

  it('screens tens of thousands of short leaves in nested arrays', () => {
    let node: unknown = EMAIL;
    for (let i = 0; i < 20_000; i++) node = [node, 'ab', 'cd'];
    const result = screenPayload({ arguments: node });
    expect(result.chars).toBe('arguments'.length + EMAIL.length + 20_000 * 4);
    expect(result.findings).toEqual({ email: 1 });
  });
});
