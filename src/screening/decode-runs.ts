import type { TextSpan } from './detector';

// Runs that may be encoded text: base64 (standard or URL alphabet) of 24+ characters, hex of 24+ digits.
// Bounded repetitions, one pass each.
const BASE64_RUN = /[A-Za-z0-9+/_-]{24,16384}={0,2}/g;
const HEX_RUN = /\b(?:[0-9a-fA-F]{2}){12,8192}\b/g;
/** At most this many decoded bytes per text, so decoding stays a bounded share of screening's work. */
const MAX_DECODED = 65536;

/** Returns whether decoded bytes read as text: printable ASCII, tabs and newlines only. */
function isText(bytes: Buffer): boolean {
  for (const b of bytes)
    if (!((b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d)) return false;
  return bytes.length > 0;
}

/**
 * Returns spans over the base64- and hex-encoded runs of `text` whose decoded text holds a finding: one span
 * per run, over the whole encoded run (so redaction removes the secret in the form it was sent), with the
 * class and rule of the first finding inside. Runs that do not decode to printable text are skipped, which
 * keeps digests, random keys and binary blobs out. `detect` screens the decoded text (one level: it is not
 * decoded again).
 */
export function encodedRunSpans(text: string, detect: (decoded: string) => TextSpan[]): TextSpan[] {
  const out: TextSpan[] = [];
  let budget = MAX_DECODED;
  const scan = (re: RegExp, decode: (run: string) => Buffer): void => {
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null && budget > 0; m = re.exec(text)) {
      const run = m[0];
      const bytes = decode(run);
      budget -= bytes.length;
      if (!isText(bytes)) continue;
      const inner = detect(bytes.toString('latin1'));
      const first = inner[0];
      if (first === undefined) continue;
      out.push({ start: m.index, end: m.index + run.length, class: first.class, rule: first.rule });
    }
  };
  scan(HEX_RUN, (run) => Buffer.from(run, 'hex'));
  scan(BASE64_RUN, (run) => Buffer.from(run.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
  return out;
}
