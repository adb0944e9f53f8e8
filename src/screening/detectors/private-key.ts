import type { Detector, TextSpan } from '../detector';

// "-----BEGIN RSA PRIVATE KEY-----", "…OPENSSH PRIVATE KEY…", "…ENCRYPTED PRIVATE KEY…", "…PGP PRIVATE KEY
// BLOCK…". The literal prefix anchors the search; the label part is bounded to 40 characters.
// Four dashes as well as five: a dash fewer must not hide a key (gitleaks' rule wants five).
const HEADER = /----(?:-)?BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?----(?:-)?/g;
const FOOTER = /----(?:-)?END[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?----(?:-)?/y;
// A key body has base64 lines; one run of 40 base64 characters tells a key from a mention of the header
// ("paste your -----BEGIN PRIVATE KEY----- block here").
const BASE64_LINE = /[A-Za-z0-9+/]{40}/;
// Body of a key whose footer is missing (truncated paste): base64, whitespace and the backslashes of escaped
// newlines, one bounded character class. It cannot run into the next header: "-" is not part of it.
const MAX_BODY = 16384;
const BODY = /[A-Za-z0-9+/=\s\\]{0,16384}/y;

/** Returns the end of `text[from, to)` once trailing whitespace and escaped newlines are dropped. */
function trimEnd(text: string, from: number, to: number): number {
  let end = to;
  for (;;) {
    const c = text.charCodeAt(end - 1);
    if (end > from && (c === 32 || c === 9 || c === 10 || c === 13)) end--;
    else if (end - 1 > from && (c === 110 || c === 114) && text.charCodeAt(end - 2) === 92) end -= 2;
    else return end;
  }
}

/**
 * Detects private key blocks. The span runs from the header to the end of the footer, or to the end of the
 * base64 body when the footer is missing. Headers with no base64 body are mentions, not keys.
 */
export const privateKeyDetector: Detector = {
  name: 'private-key',
  detect(text: string, out: TextSpan[]): void {
    // Footer positions only move forward as headers do, so each is searched for once: linear even for
    // thousands of headers with no footer.
    if (!text.includes('----BEGIN')) return;
    let footerAt = -2;
    const headers = [...text.matchAll(HEADER)];
    for (let i = 0; i < headers.length; i++) {
      const header = headers[i] as RegExpExecArray;
      const bodyFrom = header.index + header[0].length;
      const nextHeader = headers[i + 1]?.index ?? text.length;
      if (footerAt !== -1 && footerAt < bodyFrom) footerAt = text.indexOf('----END', bodyFrom);
      let end = -1;
      if (footerAt !== -1 && footerAt < nextHeader && footerAt - bodyFrom <= MAX_BODY) {
        FOOTER.lastIndex = footerAt;
        if (FOOTER.test(text) && BASE64_LINE.test(text.slice(bodyFrom, footerAt))) end = FOOTER.lastIndex;
      }
      if (end === -1) {
        // Truncated: take the base64 body that follows.
        BODY.lastIndex = bodyFrom;
        const body = BODY.exec(text);
        if (body === null || !BASE64_LINE.test(body[0])) continue;
        end = trimEnd(text, bodyFrom, bodyFrom + body[0].length);
      }
      out.push({ start: header.index, end, class: 'private_key' });
    }
  },
};
