import { isPlaceholderValue } from './placeholder';

// What a Docker config.json "auths" entry holds: base64 of "user:password" (or "user:token").
const AUTH_VALUE = /^[A-Za-z0-9+/]{4,1024}={0,2}$/;
const PRINTABLE = /^[\x20-\x7e]+$/;
// `"auth": "` right before a value, its quotes escaped or not (`\"auth\":\"`): 36 characters are enough to see it.
const AUTH_KEY_BEFORE = /"auth\\{0,3}"\s{0,8}:\s{0,8}\\{0,3}"$/;

/** Returns what a base64 "auth" value decodes to when that is printable text, else undefined (a binary blob). */
function decodedText(value: string): string | undefined {
  if (!AUTH_VALUE.test(value)) return undefined;
  const decoded = Buffer.from(value, 'base64').toString('latin1');
  return PRINTABLE.test(decoded) ? decoded : undefined;
}

// Documentation writes placeholders with an owner: my_username:my_password, your-user:your-token.
const OWNER = /^(?:my|our|some|the)[_-]?/i;
const placeholder = (part: string): boolean =>
  isPlaceholderValue(part) || isPlaceholderValue(part.replace(OWNER, ''));

/** Returns whether a base64 value decodes to "user:password" with a user and a password that are no placeholders. */
export function decodesToAuthPair(value: string): boolean {
  const decoded = decodedText(value);
  if (decoded === undefined) return false;
  const colon = decoded.indexOf(':');
  if (colon < 1) return false;
  const password = decoded.slice(colon + 1);
  return password.length >= 4 && !placeholder(password) && !placeholder(decoded.slice(0, colon));
}

/**
 * Returns whether the value at `start` is a Docker-style `"auth": "<base64>"` whose text is no credential pair: it
 * decodes to printable text without a colon, or to a placeholder pair (`user:password`). gitleaks' generic rule
 * reports every "auth" value of enough entropy; a binary value (a random key in base64) is left to it.
 */
export function isAuthValueWithoutPair(text: string, start: number, value: string): boolean {
  if (!AUTH_KEY_BEFORE.test(text.slice(Math.max(0, start - 36), start))) return false;
  return decodedText(value) !== undefined && !decodesToAuthPair(value);
}
