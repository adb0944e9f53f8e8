/**
 * The evasion suite: payloads that hide a secret or a card number with the tricks issue #12 lists, each with
 * the raw values that must not survive redaction. Used by test/screening/evasion.test.ts and printed by
 * `npm run eval:screening`. Every value here is fake (random characters made for this suite).
 */

/** One evasion: a payload and the strings that must be gone from its redacted copy. */
export interface EvasionCase {
  technique: string;
  payload: unknown;
  /** Substrings of the payload that carry the secret; none may remain after redaction. */
  secrets: string[];
  /** The category screening must report for it. */
  category: 'secret' | 'pii';
  /** Why screening does not catch it yet (the test then checks that it is indeed missed, so a fix is noticed). */
  gap?: string;
}

const GH = 'ghp_Q7vK2mZp9XwL4rT8nB3cY6hF1dJ5sA0eFAKE';
const AKIA = 'AKIAZ7Q2M4K6P3R3T5VX';
const CARD = '4111111111111111';
const grouped = (sep: string, size = 4): string => CARD.match(new RegExp(`.{1,${size}}`, 'g'))!.join(sep);
const digits = (zero: number): string =>
  [...CARD].map((d) => String.fromCodePoint(zero + Number(d))).join('');
const insert = (value: string, ch: string, at = 6): string => value.slice(0, at) + ch + value.slice(at);
const base64 = (value: string): string => Buffer.from(value).toString('base64');
const wrapped = (value: string, width: number): string =>
  value.match(new RegExp(`.{1,${width}}`, 'g'))!.join('\n');
const htmlRefs = (value: string): string => [...value].map((c) => `&#${c.charCodeAt(0)};`).join('');
const uEscapes = (value: string): string =>
  [...value].map((c) => `\\u00${c.charCodeAt(0).toString(16)}`).join('');
const PEM_BODY =
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7FAKEq3vK2mZp9XwL4rT8nB3cY6hF1dJ5sA0eQ7vK2mZp9XwL4rT8nB3c';

export const EVASION_CASES: readonly EvasionCase[] = [
  {
    technique: 'zero-width space (U+200B) inside a token',
    payload: { prompt: `token ${insert(GH, '\u200b')}` },
    secrets: [insert(GH, '\u200b')],
    category: 'secret',
  },
  {
    technique: 'zero-width non-joiner (U+200C) inside a token',
    payload: { prompt: `use ${insert(GH, '\u200c', 10)}` },
    secrets: [insert(GH, '\u200c', 10)],
    category: 'secret',
  },
  {
    technique: 'soft hyphen (U+00AD) inside a card number',
    payload: { prompt: `card ${insert(CARD, '\u00ad', 8)}` },
    secrets: [insert(CARD, '\u00ad', 8)],
    category: 'pii',
  },
  {
    technique: 'word joiner (U+2060) inside a card number',
    payload: { prompt: `card ${insert(CARD, '\u2060', 4)}` },
    secrets: [insert(CARD, '\u2060', 4)],
    category: 'pii',
  },
  {
    technique: 'combining grapheme joiner (U+034F) inside a token',
    payload: { prompt: `token ${insert(GH, '\u034f', 12)}` },
    secrets: [insert(GH, '\u034f', 12)],
    category: 'secret',
  },
  {
    technique: 'variation selector (U+FE0F) inside a card number',
    payload: { prompt: `card ${insert(CARD, '\ufe0f', 8)}` },
    secrets: [insert(CARD, '\ufe0f', 8)],
    category: 'pii',
  },
  {
    technique: 'NUL (U+0000) inside a token',
    payload: { prompt: `token ${insert(GH, '\u0000', 10)}` },
    secrets: [insert(GH, '\u0000', 10)],
    category: 'secret',
  },
  {
    technique: 'C0 control (U+001B, escape) inside an access key id',
    payload: { prompt: `key ${insert(AKIA, '\u001b', 8)}` },
    secrets: [insert(AKIA, '\u001b', 8)],
    category: 'secret',
  },
  {
    technique: 'DEL (U+007F) inside a card number',
    payload: { prompt: `card ${insert(CARD, '\u007f', 8)}` },
    secrets: [insert(CARD, '\u007f', 8)],
    category: 'pii',
  },
  {
    technique: 'C1 control (U+0090) inside a token',
    payload: { prompt: `token ${insert(GH, '\u0090', 14)}` },
    secrets: [insert(GH, '\u0090', 14)],
    category: 'secret',
  },
  {
    technique: 'Cyrillic А in AKIA…',
    payload: { prompt: `key \u0410${AKIA.slice(1)}` },
    secrets: [`\u0410${AKIA.slice(1)}`],
    category: 'secret',
  },
  {
    technique: 'Cyrillic р in ghр_…',
    payload: { prompt: `gh\u0440${GH.slice(3)}` },
    secrets: [`gh\u0440${GH.slice(3)}`],
    category: 'secret',
  },
  {
    technique: 'full-width digits in a card number',
    payload: { prompt: `card ${digits(0xff10)}` },
    secrets: [digits(0xff10)],
    category: 'pii',
  },
  {
    technique: 'Arabic-Indic digits in a card number',
    payload: { prompt: `card ${digits(0x660)}` },
    secrets: [digits(0x660)],
    category: 'pii',
  },
  {
    technique: 'full-width ＠ in an email address',
    payload: { prompt: 'write to jane.doe\uff20acme-corp.com' },
    secrets: ['jane.doe\uff20acme-corp.com'],
    category: 'pii',
  },
  {
    technique: 'card digits separated by dots',
    payload: { prompt: `card ${grouped('.')}` },
    secrets: [grouped('.')],
    category: 'pii',
  },
  {
    technique: 'card digits separated by slashes',
    payload: { prompt: `card ${grouped('/')}` },
    secrets: [grouped('/')],
    category: 'pii',
  },
  {
    technique: 'card digits separated by no-break spaces',
    payload: { prompt: `card ${grouped('\u00a0')}` },
    secrets: [grouped('\u00a0')],
    category: 'pii',
  },
  {
    technique: 'card digits separated by double spaces',
    payload: { prompt: `card ${grouped('  ')}` },
    secrets: [grouped('  ')],
    category: 'pii',
  },
  {
    technique: 'card digits in groups of two',
    payload: { prompt: `card ${grouped(' ', 2)}` },
    secrets: [grouped(' ', 2)],
    category: 'pii',
  },
  {
    technique: 'card number glued to a word',
    payload: { prompt: `cc${CARD} thanks` },
    secrets: [CARD],
    category: 'pii',
  },
  {
    technique: 'token glued to a word',
    payload: { prompt: `mytoken${GH}` },
    secrets: [GH],
    category: 'secret',
  },
  {
    technique: 'lower-case PEM armour',
    payload: { prompt: `-----begin private key-----\n${PEM_BODY}\n-----end private key-----` },
    secrets: [PEM_BODY],
    category: 'secret',
  },
  {
    technique: 'PEM armour with four dashes',
    payload: { prompt: `----BEGIN RSA PRIVATE KEY----\n${PEM_BODY}\n----END RSA PRIVATE KEY----` },
    secrets: [PEM_BODY],
    category: 'secret',
  },
  {
    technique: 'JWK private key',
    payload: {
      prompt: `{"kty":"RSA","n":"u1FAKEq3vK2mZp9XwL4rT8nB3cY6hF1d","e":"AQAB","d":"${PEM_BODY.slice(40)}"}`,
    },
    secrets: [PEM_BODY.slice(40)],
    category: 'secret',
  },
  {
    technique: 'AWS secret key in prose',
    payload: { prompt: 'the aws secret access key is Zq8mT2vR9xLk4NpW7yHc3Bf6Jd1Gs5Ua0EiOoQrX' },
    secrets: ['Zq8mT2vR9xLk4NpW7yHc3Bf6Jd1Gs5Ua0EiOoQrX'],
    category: 'secret',
  },
  {
    technique: 'secret as a JSON object key',
    payload: { arguments: { [GH]: 'value' } },
    secrets: [GH],
    category: 'secret',
  },
  {
    technique: 'card number as a JSON number',
    payload: { arguments: { card: Number(CARD) } },
    secrets: [CARD],
    category: 'pii',
  },
  {
    technique: 'base64-encoded token',
    payload: { prompt: base64(`token=${GH}`) },
    secrets: [base64(`token=${GH}`)],
    category: 'secret',
  },
  {
    technique: 'token base64-encoded twice',
    payload: { prompt: base64(base64(`token=${GH}`)) },
    secrets: [base64(base64(`token=${GH}`))],
    category: 'secret',
  },
  {
    technique: 'token in base64 wrapped at 76 columns (MIME, the base64 command)',
    payload: {
      prompt: wrapped(base64(`# deploy settings for the staging cluster\nGITHUB_TOKEN=${GH}\n`), 76),
    },
    secrets: wrapped(base64(`# deploy settings for the staging cluster\nGITHUB_TOKEN=${GH}\n`), 76).split(
      '\n',
    ),
    category: 'secret',
  },
  {
    technique: 'hex-encoded token',
    payload: { prompt: Buffer.from(GH).toString('hex') },
    secrets: [Buffer.from(GH).toString('hex')],
    category: 'secret',
  },
  {
    technique: 'token as HTML character references',
    payload: { prompt: `token: ${htmlRefs(GH)}` },
    secrets: [htmlRefs(GH.slice(4))],
    category: 'secret',
  },
  {
    technique: 'token as \\u escapes',
    payload: { prompt: `token: ${uEscapes(GH)}` },
    secrets: [uEscapes(GH.slice(4))],
    category: 'secret',
  },
  {
    technique: 'URL-encoded token',
    payload: { prompt: `q=${encodeURIComponent(`token: ${GH}`).replace(/_/g, '%5F')}` },
    secrets: [GH.slice(4)],
    category: 'secret',
  },
  {
    technique: 'token split across two messages',
    payload: {
      messages: [
        { role: 'user', content: `my token is ${GH.slice(0, 20)}` },
        { role: 'user', content: GH.slice(20) },
      ],
    },
    secrets: [GH.slice(0, 20), GH.slice(20)],
    category: 'secret',
  },
  {
    technique: 'token split across three messages',
    payload: {
      messages: [
        { role: 'user', content: `my token is ${GH.slice(0, 14)}` },
        { role: 'user', content: GH.slice(14, 28) },
        { role: 'user', content: GH.slice(28) },
      ],
    },
    secrets: [GH.slice(0, 14), GH.slice(14, 28), GH.slice(28)],
    category: 'secret',
  },
  {
    technique: "token split between a message's content and the next message's text part",
    payload: {
      messages: [
        { role: 'user', content: `my token is ${GH.slice(0, 20)}` },
        { role: 'user', content: [{ type: 'text', text: GH.slice(20) }] },
      ],
    },
    secrets: [GH.slice(0, 20), GH.slice(20)],
    category: 'secret',
  },
];

/** The outcome of one evasion case. */
export interface EvasionResult {
  technique: string;
  /** Screening reported the case's category and redaction left none of its secrets. */
  caught: boolean;
  gap?: string;
}

/**
 * Returns, for each case, whether screening caught it: a finding of its category, and none of its secret
 * substrings (as raw text or as JSON-escaped text) left in the payload redacted for every class.
 */
export function runEvasionSuite(
  screen: (payload: unknown) => { spans: Array<{ category: string }> },
  redactAll: (payload: unknown, result: never) => unknown,
): EvasionResult[] {
  return EVASION_CASES.map((c) => {
    const result = screen(c.payload);
    const redacted = JSON.stringify(redactAll(c.payload, result as never));
    const left = c.secrets.some(
      (s) => redacted.includes(s) || redacted.includes(JSON.stringify(s).slice(1, -1)),
    );
    const caught = result.spans.some((s) => s.category === c.category) && !left;
    return { technique: c.technique, caught, ...(c.gap === undefined ? {} : { gap: c.gap }) };
  });
}
