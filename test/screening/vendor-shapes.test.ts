import { detectText } from '../../src/screening/detect-text';
import { fakeRandom } from './fake-values';

// Tokens an outside evaluation found missed even in context: gitleaks' rules for them want the vendor's
// name nearby (discord, telegr, plaid, twitter) or know only pypi.org's tokens. Every value here is fake.

const pick = fakeRandom(7);
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';
const uuid = () => [8, 4, 4, 4, 12].map((n) => pick(HEX, n)).join('-');

const discord = `${Buffer.from('198622483471925248').toString('base64url')}.${pick(B64URL, 6)}.${pick(B64URL, 27)}`;
const telegram = `7213808860:AA${pick(B64URL, 33)}`;
const testPypi = `pypi-AgENdGVzdC5weXBpLm9yZw${pick(B64URL, 60)}`;
const plaid = `access-production-${uuid()}`;
// Shaped like a Discord token's first part (M, then 23 more), but it decodes to no user id.
const notAnId = `M${pick(ALNUM, 23)}`;
const twitter = `${'A'.repeat(22)}${pick(ALNUM, 90)}`;
const npmUuid = uuid();
const mailchimp = `${pick(HEX, 32)}-us21`;
const hubspot = `pat-na1-${uuid()}`;

function secrets(text: string): Array<[string, string | undefined]> {
  return detectText(text).map((span) => [text.slice(span.start, span.end), span.rule]);
}

describe('vendor tokens known by their shape', () => {
  it.each([
    ['discord-bot-token', `client.login('${discord}')`, discord],
    ['telegram-bot-token', `bot = TeleBot("${telegram}")`, telegram],
    ['testpypi-upload-token', `password = ${testPypi}`, testPypi],
    ['plaid-access-token', `token: ${plaid}`, plaid],
    ['twitter-bearer-token', `bearer token: ${twitter}`, twitter],
    ['npm-legacy-auth-token', `//registry.npmjs.org/:_authToken=${npmUuid}`, npmUuid],
    ['mailchimp-api-key', `the key is ${mailchimp}, and it fails`, mailchimp],
    ['hubspot-private-app-token', `curl -H "Authorization: Bearer ${hubspot}"`, hubspot],
  ])('finds a %s', (id, text, token) => {
    expect(secrets(text)).toContainEqual([token, `modelgate-${id}`]);
  });

  it.each([
    ['three dotted parts whose first is no user id', `x ${notAnId}.${pick(B64URL, 6)}.${pick(B64URL, 27)} y`],
    ['a colon-separated id with a word after it', 'job 12345678:AAbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb done'],
    ['a run of A', 'A'.repeat(120)],
    ['a UUID without its .npmrc key', `request id ${uuid()}`],
    ['a placeholder before a region suffix', `${'0'.repeat(32)}-us21`],
    ['a pat- name with a UUID of zeros', 'pat-na1-00000000-0000-0000-0000-000000000000'],
  ])('reports nothing for %s', (_name, text) => {
    // Precondition for the first: the shape matches, so the user-id check is what refuses it.
    if (text.includes(notAnId))
      expect(Buffer.from(notAnId, 'base64url').toString('latin1')).not.toMatch(/^\d+$/);
    expect(
      secrets(text).filter(([, rule]) => rule?.startsWith('modelgate-') && !rule.includes('generic')),
    ).toEqual([]);
  });
});
