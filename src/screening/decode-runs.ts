import type { TextSpan } from './detector';

/** Runs shorter than this are not decoded: base64 (standard or URL alphabet) or hex of 24+ characters. */
const MIN_RUN = 24;
/** A longer run is decoded in chunks of this many characters. */
const MAX_CHUNK = 16384;
/** At most this many decoded bytes per text, so decoding stays a bounded share of screening's work. */
const MAX_DECODED = 65536;

// Character classes of ASCII codes: base64 alphabet (both), hex digit, word character ([A-Za-z0-9_]).
const BASE64 = 1;
const HEX = 2;
const WORD = 4;
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9+/_-]/.test(ch)) CLASS[c]! |= BASE64;
  if (/[0-9a-fA-F]/.test(ch)) CLASS[c]! |= HEX;
  if (/\w/.test(ch)) CLASS[c]! |= WORD;
}
const classOf = (text: string, i: number): number => {
  const c = text.charCodeAt(i);
  return c < 128 ? (CLASS[c] as number) : 0;
};

/** A candidate run: [start, end) of the text. */
type Run = [start: number, end: number];
/** Where two chunks of one long run meet: [start, end) around the cut, and the cut. */
type Seam = [start: number, end: number, cut: number];
/** How far a seam reaches into each chunk: longer than any token, and whole base64 groups (a multiple of four). */
const SEAM_REACH = 512;

/**
 * Returns the hex and base64 candidate runs of `text`. Hex: a whole word (maximal run of [A-Za-z0-9_]) of hex
 * digits, of even length from 24 to 16384. Base64: a maximal run of the base64 alphabet of 24+ characters, in
 * chunks of at most 16384, the last followed by up to two `=`. These are exactly the matches of
 * `\b(?:[0-9a-fA-F]{2}){12,8192}\b` and `[A-Za-z0-9+/_-]{24,16384}={0,2}` (a test compares them), found
 * without those regexes: the engine tries each at every position inside every shorter run, up to 24 characters
 * each, which made decoding the largest single cost of screening ordinary prose. Here the scan probes every
 * 24th character: when it is outside the alphabet, no run of 24 can cover the 24 positions before it, so the
 * scan jumps on; otherwise it walks to the ends of that run. Each character is read at most twice.
 */
export function candidateRuns(text: string): { hex: Run[]; base64: Run[] } {
  const hex: Run[] = [];
  const base64: Run[] = [];
  const n = text.length;
  // Invariant: i is 0 or the character before i is outside the alphabet.
  for (let i = 0; i + MIN_RUN <= n;) {
    const probe = i + MIN_RUN - 1;
    if ((classOf(text, probe) & BASE64) === 0) {
      i = probe + 1;
      continue;
    }
    let start = probe;
    while (start > i && (classOf(text, start - 1) & BASE64) !== 0) start--;
    let end = probe + 1;
    while (end < n && (classOf(text, end) & BASE64) !== 0) end++;
    if (end - start >= MIN_RUN) {
      wordsOf(text, start, end, hex);
      for (let from = start; end - from >= MIN_RUN; from += MAX_CHUNK) {
        let to = Math.min(end, from + MAX_CHUNK);
        if (to === end) for (let pad = 0; pad < 2 && text.charCodeAt(to) === 0x3d; pad++) to++;
        base64.push([from, to]);
      }
    }
    i = end + 1;
  }
  return { hex, base64 };
}

/** Pushes the hex words of a base64 run [start, end): its words are separated by `+`, `/` and `-`. */
function wordsOf(text: string, start: number, end: number, hex: Run[]): void {
  let word = start;
  let allHex = true;
  for (let i = start; i <= end; i++) {
    const k = i < end ? classOf(text, i) : 0;
    if ((k & WORD) !== 0) {
      if ((k & HEX) === 0) allHex = false;
      continue;
    }
    const length = i - word;
    if (allHex && length >= MIN_RUN && length <= MAX_CHUNK && length % 2 === 0) hex.push([word, i]);
    word = i + 1;
    allHex = true;
  }
}

/**
 * Returns the base64 runs with the lines of a wrapped block joined: base64 wrapped at a fixed width (MIME's 76
 * columns, the `base64` command, PEM's 64) is runs separated by one line break, and a secret cut by a break is in
 * no single line. A run is joined to the next when only `\n` or `\r\n` separates them and its length is a
 * multiple of four (so the next line starts on a whole group) and does not end in `=` padding, up to MAX_CHUNK
 * characters a block; the decoder skips the line breaks.
 */
function joinWrappedLines(text: string, runs: readonly Run[]): Run[] {
  const out: Run[] = [];
  for (const run of runs) {
    const last = out[out.length - 1];
    const wrapped =
      last !== undefined &&
      lineBreakBetween(text, last[1], run[0]) &&
      text.charCodeAt(last[1] - 1) !== 0x3d &&
      lastLineLength(text, last) % 4 === 0 &&
      run[1] - last[0] <= MAX_CHUNK;
    if (wrapped) last[1] = run[1];
    else out.push([run[0], run[1]]);
  }
  return out;
}

/** Returns whether `[from, to)` of `text` is one line break, `\n` or `\r\n`. */
function lineBreakBetween(text: string, from: number, to: number): boolean {
  if (to - from === 1) return text.charCodeAt(from) === 0x0a;
  return to - from === 2 && text.charCodeAt(from) === 0x0d && text.charCodeAt(from + 1) === 0x0a;
}

/** Returns the length of the last line of a run (of a block, whose earlier lines are whole groups already). */
function lastLineLength(text: string, run: Run): number {
  const lastBreak = text.lastIndexOf('\n', run[1] - 1);
  return run[1] - Math.max(run[0], lastBreak + 1);
}

/**
 * Returns the runs with a seam before each chunk that continues the one before it (a run longer than MAX_CHUNK is
 * cut in chunks, and a secret across the cut is in neither): the seam is decoded too, and counts only a finding
 * that crosses the cut.
 */
function withSeams(runs: readonly Run[]): Array<Run | Seam> {
  const out: Array<Run | Seam> = [];
  runs.forEach((run, i) => {
    const previous = runs[i - 1];
    if (previous !== undefined && previous[1] === run[0])
      out.push([Math.max(previous[0], run[0] - SEAM_REACH), Math.min(run[1], run[0] + SEAM_REACH), run[0]]);
    out.push(run);
  });
  return out;
}

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
export function encodedRunSpans(
  text: string,
  detect: (decoded: string) => TextSpan[],
  segments: readonly number[] = [0],
): TextSpan[] {
  const out: TextSpan[] = [];
  if (text.length < MIN_RUN) return out;
  const candidates = candidateRuns(text);
  const runs = { hex: candidates.hex, base64: withSeams(joinWrappedLines(text, candidates.base64)) };
  // Each segment (a text of its own, when many are screened joined) has its own budget, spent on its hex runs
  // first, then its base64 runs, as when it is screened alone. Runs never cross segments: the join is a newline.
  let h = 0;
  let b = 0;
  for (let s = 0; s < segments.length; s++) {
    const limit = segments[s + 1] ?? Infinity;
    let budget = MAX_DECODED;
    const screen = (list: Array<Run | Seam>, at: number, decode: (run: string) => Buffer): number => {
      let i = at;
      for (; i < list.length && (list[i] as Run)[0] < limit; i++) {
        if (budget <= 0) continue;
        const entry = list[i] as Run | Seam;
        const [start, end] = entry;
        const cut = entry.length === 3 ? entry[2] : undefined;
        const bytes = decode(text.slice(start, end));
        budget -= bytes.length;
        if (!isText(bytes)) continue;
        const found = detect(bytes.toString('latin1'));
        // Four base64 characters are three bytes: the cut's place in the decoded seam.
        const mid = cut === undefined ? 0 : ((cut - start) / 4) * 3;
        const first = cut === undefined ? found[0] : found.find((span) => span.start < mid && span.end > mid);
        if (first === undefined) continue;
        out.push({ start, end, class: first.class, rule: first.rule });
      }
      return i;
    };
    h = screen(runs.hex, h, (run) => Buffer.from(run, 'hex'));
    b = screen(runs.base64, b, (run) => Buffer.from(run.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
  }
  return out;
}
