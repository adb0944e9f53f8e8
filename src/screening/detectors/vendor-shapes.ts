import type { ScreeningClass } from '../classes';
import type { Detector, TextSpan } from '../detector';
import { eachMatch } from '../each-match';
import { looksRandom } from '../validators/random-token';

/** A vendor token known by its shape alone, where gitleaks' rule for it wants the vendor's name nearby. */
interface Shape {
  id: string;
  class: ScreeningClass;
  /** Global, bounded, anchored on token edges; group `token` (else the whole match) is the secret. */
  pattern: RegExp;
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
    // .npmrc's legacy auth token, a UUID: //registry.npmjs.org/:_authToken=…
    id: 'npm-legacy-auth-token',
    class: 'npm_token',
    pattern: /:_authToken=(?<token>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?![\w-])/gi,
    accept: () => true,
  },
];

/** Detects Discord and Telegram bot tokens, TestPyPI upload tokens, Plaid access tokens, Twitter bearer tokens and npm's legacy auth tokens. */
export const vendorShapesDetector: Detector = {
  name: 'vendor-shapes',
  detect(text: string, out: TextSpan[]): void {
    for (const shape of SHAPES) {
      eachMatch(shape.pattern, text, (m) => {
        const token = m.groups?.token ?? m[0];
        if (!shape.accept(token)) return;
        const start = m.index + m[0].lastIndexOf(token);
        out.push({ start, end: start + token.length, class: shape.class, rule: `modelgate-${shape.id}` });
      });
    }
  },
};
