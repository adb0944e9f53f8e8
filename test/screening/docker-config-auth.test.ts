/**
 * Docker's config.json keeps each registry login as "auth": base64 of "user:password". gitleaks' generic rule finds
 * such a value only when its base64 has enough entropy, and reports any "auth" value alike, pair or not.
 */
import type { TextSpan } from '../../src/screening/detector';
import { detectText } from '../../src/screening/detect-text';
import { upstreamRulesDetector } from '../../src/screening/rules/upstream-rules';
import { fakeRandom } from './fake-values';

const pick = fakeRandom(11);
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const ALNUM = `ABCDEFGHIJKLMNOPQRSTUVWXYZ${LOWER}0123456789`;
const b64 = (text: string): string => Buffer.from(text).toString('base64');
const configJson = (auth: string): string =>
  JSON.stringify({ auths: { 'registry.example.test': { auth } }, credsStore: 'desktop' }, null, 2);

// A weak password of the kind people set (the user name and a number): its base64 falls under gitleaks' entropy
// threshold.
const user = pick(LOWER, 5);
const weakPair = b64(`${user}:${user}${pick('0123456789', 3)}`);
const strongPair = b64(`ci-robot:${pick(ALNUM, 32)}`);

const credentials = (text: string): string[] =>
  detectText(text)
    .filter((s) => s.class === 'generic_credential')
    .map((s) => text.slice(s.start, s.end));

describe('Docker config auths', () => {
  it('builds a weak pair that gitleaks alone does not report (the case this rule is for)', () => {
    const spans: TextSpan[] = [];
    upstreamRulesDetector.detect(configJson(weakPair), spans);
    expect(spans).toEqual([]);
    spans.length = 0;
    upstreamRulesDetector.detect(configJson(strongPair), spans);
    expect(spans.map((s) => s.rule)).toEqual(['generic-api-key']);
  });

  it.each([
    ['a config.json', (auth: string) => configJson(auth)],
    [
      'an auths entry in a sentence',
      (auth: string) => `my docker login broke, config has {"auth": "${auth}"} in it`,
    ],
    [
      'a CI variable, escaped',
      (auth: string) =>
        `environment = ["DOCKER_AUTH_CONFIG={\\"auths\\":{\\"r.test\\":{\\"auth\\":\\"${auth}\\"}}}"]`,
    ],
    [
      'a log line',
      (auth: string) => `DEBUG loaded credentials {"auths":{"ghcr.io":{"auth":"${auth}"}}} from disk`,
    ],
  ])('finds the user:password pair in %s', (_name, build) => {
    for (const auth of [weakPair, strongPair]) {
      expect(credentials(build(auth))).toEqual([auth]);
    }
  });

  it('reports the weak pair under its own rule', () => {
    const text = configJson(weakPair);
    expect(detectText(text).map((s) => s.rule)).toEqual(['modelgate-docker-config-auth']);
  });

  it('finds the pair inside a base64-encoded .dockerconfigjson', () => {
    const secret = b64(configJson(weakPair));
    const text = `data:\n  .dockerconfigjson: ${secret}\n`;
    expect(credentials(text)).toEqual([secret]);
  });

  it.each([
    ['a value without a colon', b64(`deploy-${pick(ALNUM, 16)}`)],
    ['a placeholder password', b64('username:password')],
    ['a placeholder pair', b64('<user>:<token>')],
    ['an instruction', b64('myuser:your-token-here')],
    ['an owned placeholder', b64('my_username:my_password')],
    ['an empty password', b64(`${pick(LOWER, 8)}:`)],
  ])('leaves %s alone', (_name, auth) => {
    expect(Buffer.from(auth, 'base64').toString()).toMatch(/^[\x20-\x7e]+$/);
    expect(credentials(configJson(auth))).toEqual([]);
  });
});
