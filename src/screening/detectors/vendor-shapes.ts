import type { ScreeningClass } from '../classes';
import type { Detector, TextSpan } from '../detector';
import { eachMatch } from '../each-match';
import { decodesToAuthPair } from '../validators/docker-auth';
import { looksRandom } from '../validators/random-token';

/** A vendor token known by its shape alone, where gitleaks' rule for it wants the vendor's name nearby. */
interface Shape {
  id: string;
  class: ScreeningClass;
  /** Global, bounded, anchored on token edges; group `token` (else the whole match) is the secret. */
  pattern: RegExp;
  /** Characters of the token that a lookbehind checked before the match (the match starts on a rarer literal). */
  before?: number;
  accept(token: string): boolean;
}

// A Discord bot token's first part is the bot's user id (a snowflake, 17-20 digits) in base64.
function discordIdPart(token: string): boolean {
  return /^\d{17,20}$/.test(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('latin1'));
}

const SHAPES: readonly Shape[] = [
  {
    id: 'discord-bot-token',
    class: 'api_token',
    pattern: /(?<![\w-])[MNO][\w-]{23,25}\.[\w-]{6}\.[\w-]{27,38}(?![\w-])/g,
    accept: (token) => discordIdPart(token) && looksRandom(token.slice(token.lastIndexOf('.') + 1)),
  },
  {
    // <bot id>:A<34>, what @BotFather hands out (gitleaks' own shape, without the word "telegram" before it).
    id: 'telegram-bot-token',
    class: 'api_token',
    pattern: /(?<![\w:])\d{5,16}:A[\w-]{34}(?![\w-])/g,
    accept: (token) => looksRandom(token.slice(token.indexOf(':') + 2)),
  },
  {
    // "AgENdGVzdC5weXBpLm9yZw" is the macaroon's location, test.pypi.org (gitleaks knows pypi.org's only).
    id: 'testpypi-upload-token',
    class: 'api_token',
    pattern: /(?<![\w-])pypi-AgENdGVzdC5weXBpLm9yZw[\w-]{50,1000}(?![\w-])/g,
    accept: () => true,
  },
  {
    id: 'plaid-access-token',
    class: 'api_token',
    pattern:
      /(?<![\w-])access-(?:sandbox|development|production)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![\w-])/g,
    accept: () => true,
  },
  {
    // An app-only bearer token: 22 "A"s, then the URL-encoded key.
    id: 'twitter-bearer-token',
    class: 'api_token',
    pattern: /(?<![\w%])A{22}[A-Za-z0-9%]{80,100}(?![A-Za-z0-9%])/g,
    accept: (token) => looksRandom(token.slice(22), { kinds: 3, minDistinct: 12 }),
  },
  {
    // 32 hex digits and the data centre: gitleaks' rule wants the word "mailchimp" before it.
    id: 'mailchimp-api-key',
    class: 'api_token',
    // The scan starts on "-us" and looks back for the key: a pattern starting on a hex digit is tried at almost
    // every position of a text (measured: 0.17 against 0.01 ms on the 32 KiB benchmark text).
    pattern: /-us\d{1,2}(?![\w-])(?<=(?<![\w-])[0-9a-f]{32}-us\d{1,2})/g,
    before: 32,
    accept: (token) =>
      /[a-f]/.test(token.slice(0, 32)) && looksRandom(token.slice(0, 32), { minDistinct: 10 }),
  },
  {
    // A HubSpot private app token: pat-, the region (na1, eu1, ap1), a UUID. The boundary is checked after the
    // literal, so the scan can skip to "pat-".
    id: 'hubspot-private-app-token',
    class: 'api_token',
    pattern:
      /pat-(?<=(?<![\w-])pat-)(?:na|eu|ap)\d-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![\w-])/g,
    accept: (token) => looksRandom(token.slice(8).replace(/-/g, ''), { minDistinct: 10 }),
  },
  {
    // .npmrc's legacy auth token, a UUID: //registry.npmjs.org/:_authToken=…
    id: 'npm-legacy-auth-token',
    class: 'npm_token',
    pattern: /:_authToken=(?<token>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?![\w-])/gi,
    accept: () => true,
  },
  {
    // "auth": "<base64 of user:password>" in ~/.docker/config.json (and in a decoded .dockerconfigjson secret). Only
    // a value that decodes to a user, a colon and a password that is no placeholder counts: other "auth" fields hold
    // flags, modes or opaque blobs. gitleaks' generic rule finds most of these already, not those of low entropy.
    id: 'docker-config-auth',
    class: 'generic_credential',
    // Also escaped inside a string (DOCKER_AUTH_CONFIG in a CI file: {\"auths\": {…{\"auth\": \"…\"}}}).
    pattern: /"auth\\{0,3}"\s{0,8}:\s{0,8}\\{0,3}"(?<token>[A-Za-z0-9+/]{8,1024}={0,2})\\{0,3}"/g,
    accept: decodesToAuthPair,
  },
];

/** Detects Discord and Telegram bot tokens, TestPyPI upload tokens, Plaid access tokens, Twitter bearer tokens, Mailchimp keys, HubSpot private app tokens, npm's legacy auth tokens and Docker config auths. */
export const vendorShapesDetector: Detector = {
  name: 'vendor-shapes',
  detect(text: string, out: TextSpan[]): void {
    for (const shape of SHAPES) {
      eachMatch(shape.pattern, text, (m) => {
        const before = shape.before ?? 0;
        const token =
          before > 0 ? text.slice(m.index - before, m.index + m[0].length) : (m.groups?.token ?? m[0]);
        if (!shape.accept(token)) return;
        const start = before > 0 ? m.index - before : m.index + m[0].lastIndexOf(token);
        out.push({ start, end: start + token.length, class: shape.class, rule: `modelgate-${shape.id}` });
      });
    }
  },
};
