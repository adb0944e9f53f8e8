import type { Detector, TextSpan } from '../detector';
import { eachMatch } from '../each-match';

// The marker of a key file: "type": "service_account" (single quotes too, for Python dict reprs).
const TYPE_MARKER = /["']type["']\s{0,5}:\s{0,5}["']service_account["']/g;
// The two fields that make it a key rather than a description of one. Bounded whitespace only.
const KEY_FIELD = /["']private_key(_id)?["']\s{0,5}:\s{0,5}["']/g;
// Field values: a 40-hex key id, or the start of a PEM block (JSON escapes newlines as \n). The PEM value is
// followed to its closing quote, at most 8 KiB, through one character class (base64, whitespace, the
// backslashes of escaped newlines and the dashes of the footer).
const KEY_ID_VALUE = /[0-9a-f]{40}(?=["'])/y;
const PEM_VALUE = /-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----[A-Za-z0-9+/=\s\\-]{40,8192}(?=["'])/y;

/** How far from the "type" marker the key fields may be; a key file is about 2.3 KiB. */
const BEFORE = 2048;
const AFTER = 6144;

/**
 * Detects Google Cloud service account key files. One finding covers the key material of one file: from the
 * earliest of the type marker and the key fields to the end of the last key field value. Files closer to each
 * other than the window merge into one finding (the count is a floor, never zero when a key is present).
 */
export const gcpServiceAccountDetector: Detector = {
  name: 'gcp-service-account',
  detect(text: string, out: TextSpan[]): void {
    if (!text.includes('service_account')) return;
    const regions: Array<{ from: number; to: number; start: number }> = [];
    eachMatch(TYPE_MARKER, text, (m) => {
      const from = Math.max(0, m.index - BEFORE);
      const to = m.index + m[0].length + AFTER;
      const last = regions[regions.length - 1];
      if (last !== undefined && from <= last.to) last.to = to;
      else regions.push({ from, to, start: m.index });
    });
    if (regions.length === 0) return;
    // One pass over the whole text for the fields, then a merge with the (sorted, disjoint) regions: linear.
    let r = 0;
    let found: { start: number; end: number } | undefined;
    const flush = (): void => {
      const region = regions[r];
      if (found !== undefined && region !== undefined) {
        out.push({
          start: Math.min(found.start, region.start),
          end: found.end,
          class: 'gcp_service_account_key',
        });
      }
      found = undefined;
    };
    eachMatch(KEY_FIELD, text, (m) => {
      while (r < regions.length && m.index >= (regions[r] as { to: number }).to) {
        flush();
        r++;
      }
      const region = regions[r];
      if (region === undefined) return;
      if (m.index < region.from) return;
      const valueAt = m.index + m[0].length;
      const value = m[1] === undefined ? PEM_VALUE : KEY_ID_VALUE;
      value.lastIndex = valueAt;
      if (!value.test(text)) return;
      const end = value.lastIndex;
      found =
        found === undefined ? { start: m.index, end } : { start: found.start, end: Math.max(found.end, end) };
    });
    flush();
  },
};
