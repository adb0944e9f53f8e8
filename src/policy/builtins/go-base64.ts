/** One of Go's four base64 encodings: URL-safe or standard alphabet, padded or raw. */
export interface Base64Encoding {
  url: boolean;
  padded: boolean;
}

/**
 * Returns the bytes of base64 text as Go's encoding/base64 decodes it (not Strict): line breaks are skipped,
 * any other character outside the alphabet fails, a padded encoding wants whole quanta, a raw one no `=`.
 */
export function goBase64Decode(input: string, encoding: Base64Encoding): Buffer {
  const text = input.replace(/[\r\n]/g, '');
  const body = encoding.padded ? text.replace(/={1,2}$/, '') : text;
  const alphabet = encoding.url ? /^[A-Za-z0-9_-]*$/ : /^[A-Za-z0-9+/]*$/;
  const whole = encoding.padded ? text.length % 4 === 0 : body.length % 4 !== 1;
  if (!alphabet.test(body) || !whole) throw new Error('illegal base64 data');
  return Buffer.from(body, encoding.url ? 'base64url' : 'base64');
}

/** Go's base64.StdEncoding.DecodeString. */
export const goStdBase64 = (text: string): Buffer => goBase64Decode(text, { url: false, padded: true });
