import { hash } from 'node:crypto';
import { categoryOf } from './classes';
import { detectTexts } from './detect-joined';
import { detectText, wantsWideContext } from './detect-text';
import type { TextSpan } from './detector';
import { leafPath, type Leaf, type PathNode } from './payload-leaves';
import { keyOfText, type CacheScope } from './screening-cache';

/** How much of each side of a junction is screened at most: longer than any single secret gitleaks describes. */
const REACH = 512;
/**
 * How much text before the run of non-blank characters that ends a value is screened with it: what a rule reads
 * before a secret (a name, `=`, quotes, "the token is"; gitleaks' generic rule reads at most about 80).
 */
const CONTEXT_BEFORE = 160;
/** How much text after the run of non-blank characters that starts a value: a closing quote, a terminator. */
const CONTEXT_AFTER = 64;
const BLANK = /\s/;
const TOKEN_CHAR = /^[A-Za-z0-9_+/=.~-]$/;
const SECRETS = { secretsOnly: true };

/** The part of a split secret that lies in one value. */
export interface JunctionPart {
  leaf: Leaf;
  start: number;
  end: number;
}

/** A secret that starts in one string and ends in a later one: its part in each (two or more). */
export interface JunctionSpan {
  parts: JunctionPart[];
  span: TextSpan;
  /**
   * The secret is one that a value holds alone up to its edge (a private key cut off at the end of a message),
   * continued in the next: both parts are redacted, and it is not counted again.
   */
  continues?: true;
}

/**
 * Returns a function giving the field name of a string value: its last path step when that is a key, else the
 * key above the array. Memoised per path node, so that values deep in nested arrays cost one walk in total,
 * not one walk to the root each (which was quadratic in the depth).
 */
function fieldFinder(): (leaf: Leaf) => string | undefined {
  const known = new Map<PathNode, string | undefined>();
  return (leaf) => {
    const walked: PathNode[] = [];
    let field: string | undefined;
    for (let n = leaf.node; n !== undefined; n = n.parent) {
      if (known.has(n)) {
        field = known.get(n);
        break;
      }
      walked.push(n);
      if (typeof n.step === 'string') {
        field = n.step;
        break;
      }
    }
    for (const n of walked) known.set(n, field);
    return field;
  };
}

/**
 * Returns a function telling whether a value sits inside an array (messages, content parts, list elements):
 * only there is a value the continuation of another. Memoised per path node like fieldFinder.
 */
function arrayFinder(): (node: PathNode | undefined) => boolean {
  const known = new Map<PathNode, boolean>();
  const inArray = (node: PathNode | undefined): boolean => {
    if (node === undefined) return false;
    let found = known.get(node);
    if (found === undefined) {
      found = typeof node.step === 'number' || inArray(node.parent);
      known.set(node, found);
    }
    return found;
  };
  return inArray;
}

/**
 * Returns the end of `first` and the start of `second` that a secret split between them can involve. A secret
 * is a run of non-blank characters, so the one across the cut lies within the run that ends `first` and the run
 * that starts `second`; around it, only what a rule reads before and after a secret is needed. Ordinary
 * messages end and start with a short word, and their windows are then a few hundred characters instead of two
 * whole messages. Detectors that read further (a PEM body, a service account file, a JWK) get the full reach
 * whenever what they look for is there.
 */
function junctionWindow(first: string, second: string): { tail: string; head: string } {
  const tail = first.slice(-REACH);
  const head = second.slice(0, REACH);
  if (wantsWideContext(tail) || wantsWideContext(head)) return { tail, head };
  let runStart = tail.length;
  while (runStart > 0 && !BLANK.test(tail.charAt(runStart - 1))) runStart--;
  let runEnd = 0;
  while (runEnd < head.length && !BLANK.test(head.charAt(runEnd))) runEnd++;
  return {
    tail: tail.slice(Math.max(0, runStart - CONTEXT_BEFORE)),
    head: head.slice(0, runEnd + CONTEXT_AFTER),
  };
}

/**
 * Returns the secrets that span consecutive string values of the same field inside arrays (messages[i].content
 * and messages[i+1].content, content parts' text, consecutive array elements; not the `model` of two objects): a
 * token split across two messages, or sent a few characters per message, is found and every part is redacted.
 * The end of one value and the start of the next are joined without a separator and screened for secrets; only
 * spans that cross the join are kept (the others were found in each value); runs of short token-only values are
 * joined whole with the values around them (chainsOf). All the joins of a payload are screened in one call (see
 * detect-joined.ts), each as if alone; with `cached`, a join the caller sent before is not screened again.
 */
export function junctionSpans(leaves: readonly Leaf[], cached?: CacheScope): JunctionSpan[] {
  const pairs: Leaf[][] = [];
  const chains: Leaf[][] = [];
  for (const sequence of fieldSequences(leaves)) {
    sequence.forEach((leaf, i) => {
      const previous = sequence[i - 1];
      if (previous !== undefined && cuttable(previous, leaf)) pairs.push([previous, leaf]);
    });
    chains.push(...chainsOf(sequence));
  }
  return [...joinSpans(pairs, pairFindings, cached), ...dedupe(joinSpans(chains, chainFindings, cached))];
}

/**
 * A secret found across the values of a join, in the coordinates of their texts written one after the other
 * (the first value whole, not only its tail): what is remembered for a join the caller sends again.
 */
interface JoinFinding extends TextSpan {
  continues?: true;
}

/**
 * Returns the secrets across each join (consecutive values: a pair, or a chain window), taking a join's findings
 * from the cache when the caller sent the same values in a row before. The key is made of the values' own keys,
 * which screening them computed already (see keyOfText), so a join that is remembered costs no hash, no window
 * and no detector.
 */
function joinSpans(
  joins: readonly Leaf[][],
  find: (joins: readonly Leaf[][]) => JoinFinding[][],
  cached: CacheScope | undefined,
): JunctionSpan[] {
  if (joins.length === 0) return [];
  const keys = joins.map((join) => (cached === undefined ? undefined : joinKey(cached, join)));
  const found = keys.map((key) =>
    key === undefined ? undefined : (cached?.cache.get(key) as JoinFinding[] | undefined),
  );
  const missing = joins.flatMap((_, i) => (found[i] === undefined ? [i] : []));
  if (missing.length > 0) {
    const fresh = find(missing.map((i) => joins[i] as Leaf[]));
    missing.forEach((i, j) => {
      found[i] = fresh[j] ?? [];
      const key = keys[i];
      if (key !== undefined) cached?.cache.set(key, found[i] as JoinFinding[]);
    });
  }
  return joins.flatMap((join, i) => (found[i] ?? []).map((finding) => partsOf(join, finding)));
}

/** Returns the cache key of a join: its values' keys in order, or undefined when one has none (not well-formed). */
function joinKey(cached: CacheScope, join: readonly Leaf[]): string | undefined {
  let key = 'join';
  for (const leaf of join) {
    const part = keyOfText(cached, leaf.text);
    if (part === undefined) return undefined;
    key += `:${part}`;
  }
  // A pair's key is two keys long; a chain window may join hundreds of one-character values, and the cache counts
  // entries, not bytes, so a longer key is itself hashed: an entry stays about 100 bytes whatever was sent.
  return join.length <= 2 ? key : `join:${hash('sha256', key, 'base64')}`;
}

/** Returns a join's finding as the part of it in each value it touches. */
function partsOf(join: readonly Leaf[], finding: JoinFinding): JunctionSpan {
  const parts: JunctionPart[] = [];
  let at = 0;
  for (const leaf of join) {
    const from = Math.max(finding.start, at) - at;
    const to = Math.min(finding.end, at + leaf.text.length) - at;
    if (from < to) parts.push({ leaf, start: from, end: to });
    at += leaf.text.length;
  }
  const span: TextSpan = { start: finding.start, end: finding.end, class: finding.class };
  if (finding.rule !== undefined) span.rule = finding.rule;
  return { parts, span, ...(finding.continues === true ? { continues: true as const } : {}) };
}

/** Drops the findings that overlapping chain windows found twice (the same parts). */
function dedupe(spans: JunctionSpan[]): JunctionSpan[] {
  const seen = new Set<string>();
  return spans.filter((j) => {
    const id = j.parts.map((p) => `${leafPath(p.leaf).join('\0')}\0${p.start}\0${p.end}`).join('\n');
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

// A message's text is its content string or its content parts' text (OpenAI, Anthropic, Bedrock, Gemini parts):
// one field, so that a token cut between a plain message and the next one's text part is joined too.
const SAME_FIELD: ReadonlyMap<string, string> = new Map([['text', 'content']]);

/** Returns, per field, the string values inside arrays that a split secret may run through, in order. */
function fieldSequences(leaves: readonly Leaf[]): Leaf[][] {
  const byField = new Map<string | undefined, Leaf[]>();
  const fieldOf = fieldFinder();
  const inArray = arrayFinder();
  for (const leaf of leaves) {
    if (leaf.key === true || leaf.number === true || leaf.text.length === 0 || !inArray(leaf.node)) continue;
    const own = fieldOf(leaf);
    const field = (own !== undefined && SAME_FIELD.get(own)) || own;
    const sequence = byField.get(field);
    if (sequence === undefined) byField.set(field, [leaf]);
    else sequence.push(leaf);
  }
  return [...byField.values()];
}

// A secret split in two has token characters on both sides of the cut; a message that ends with a newline or a
// colon, or starts with a space, cannot be the first or second half of one.
function cuttable(first: Leaf, second: Leaf): boolean {
  return TOKEN_CHAR.test(first.text.charAt(first.text.length - 1)) && TOKEN_CHAR.test(second.text.charAt(0));
}

/** The secrets that cross the one cut of each pair, in the pair's coordinates (JoinFinding). */
function pairFindings(pairs: readonly Leaf[][]): JoinFinding[][] {
  const windows = pairs.map(([first, second]) => junctionWindow((first as Leaf).text, (second as Leaf).text));
  const joined = detectTexts(
    windows.map((w) => w.tail + w.head),
    SECRETS,
  );
  return pairs.map(([first], i): JoinFinding[] => {
    const { tail, head } = windows[i] as { tail: string; head: string };
    const crossing = (joined[i] ?? []).filter(
      (s) => s.start < tail.length && s.end > tail.length && categoryOf(s.class) === 'secret',
    );
    if (crossing.length === 0) return [];
    // A finding of one value that the join merely extends was found in that value already: only a secret that
    // neither side holds alone is split. Unless the one a side holds reaches the cut (a private key whose first
    // value ends mid-body): then the next value may hold the rest of it, which is redacted with it.
    const alone = [
      ...detectText(tail, SECRETS),
      ...detectText(head, SECRETS).map((s) => ({
        ...s,
        start: s.start + tail.length,
        end: s.end + tail.length,
      })),
    ];
    const offset = (first as Leaf).text.length - tail.length;
    return crossing.flatMap((span): JoinFinding[] => {
      const held = alone.find((a) => a.class === span.class && a.start < span.end && span.start < a.end);
      const reachesCut = held !== undefined && (held.end === tail.length || held.start === tail.length);
      if (held !== undefined && !reachesCut) return [];
      const finding: JoinFinding = { ...span, start: span.start + offset, end: span.end + offset };
      if (held !== undefined) finding.continues = true;
      return [finding];
    });
  });
}

/** Total length of the whole values a chain window holds between its two ends. */
const CHAIN_REACH = REACH;
const WHOLE_TOKEN = /^[A-Za-z0-9_+/=.~-]+$/;

/** Whether a value may be the middle of a secret split three ways or more: token characters only, short. */
function isMiddle(leaf: Leaf): boolean {
  return leaf.text.length <= CHAIN_REACH && WHOLE_TOKEN.test(leaf.text);
}

/**
 * Returns the runs of three or more consecutive values that one secret may run through (a secret sent a few
 * characters per message or content part): every cut cuttable, every value between the two ends a middle. A
 * long run is cut into windows (windowsOf).
 */
function chainsOf(sequence: readonly Leaf[]): Leaf[][] {
  const chains: Leaf[][] = [];
  const emit = (first: number, last: number): void => {
    if (last - first >= 2) chains.push(...windowsOf(sequence.slice(first, last + 1)));
  };
  let start = 0;
  for (let i = 1; i < sequence.length; i++) {
    const previous = sequence[i - 1] as Leaf;
    const cut = cuttable(previous, sequence[i] as Leaf);
    if (cut && (i - 1 === start || isMiddle(previous))) continue;
    emit(start, i - 1);
    start = cut ? i - 1 : i;
  }
  emit(start, sequence.length - 1);
  return chains;
}

/**
 * Splits a chain into windows of at most CHAIN_REACH characters of middles, each with the values around them as
 * its ends, the next starting half a reach before the previous one's end: a secret of up to half the reach lies
 * whole in one window.
 */
function windowsOf(chain: readonly Leaf[]): Leaf[][] {
  const windows: Leaf[][] = [];
  const length = (i: number): number => (chain[i] as Leaf).text.length;
  for (let from = 1; ;) {
    let to = from;
    for (let chars = 0; to < chain.length - 1 && chars + length(to) <= CHAIN_REACH; to++) chars += length(to);
    windows.push(chain.slice(from - 1, to + 1));
    if (to >= chain.length - 1) return windows;
    let back = to;
    for (let kept = 0; back > from + 1 && kept + length(back - 1) <= CHAIN_REACH / 2; back--)
      kept += length(back - 1);
    from = back;
  }
}

/** The secrets that cross two cuts or more of each chain window, in the window's coordinates (JoinFinding). */
function chainFindings(chains: readonly Leaf[][]): JoinFinding[][] {
  const windows = chains.map((chain) => {
    const first = chain[0] as Leaf;
    const { tail } = junctionWindow(first.text, (chain[1] as Leaf).text);
    const { head } = junctionWindow(
      (chain[chain.length - 2] as Leaf).text,
      (chain[chain.length - 1] as Leaf).text,
    );
    const texts = [tail, ...chain.slice(1, -1).map((leaf) => leaf.text), head];
    // Where each value's text starts in the window.
    const starts: number[] = [];
    let at = 0;
    for (const text of texts) {
      starts.push(at);
      at += text.length;
    }
    return { texts, starts, offset: first.text.length - tail.length };
  });
  const found = detectTexts(
    windows.map((w) => w.texts.join('')),
    SECRETS,
  );
  return windows.map(({ texts, starts, offset }, i) => {
    // What each value holds alone, in window coordinates: screened once per window, and only if needed.
    let alone: TextSpan[] | undefined;
    const aloneSpans = (): TextSpan[] =>
      (alone ??= texts.flatMap((text, k) =>
        detectText(text, SECRETS).map((s) => ({
          ...s,
          start: s.start + starts[k]!,
          end: s.end + starts[k]!,
        })),
      ));
    return (found[i] ?? []).flatMap((span): JoinFinding[] => {
      if (categoryOf(span.class) !== 'secret') return [];
      // Three values or more: a secret across one cut is a pair's (pairFindings).
      const touched = starts.filter(
        (from, k) => span.start < from + (texts[k] as string).length && from < span.end,
      );
      if (touched.length < 3) return [];
      // A value that holds the secret alone had it found there; the window only extends it.
      const held = aloneSpans().some(
        (a) => a.class === span.class && a.start < span.end && span.start < a.end,
      );
      return held ? [] : [{ ...span, start: span.start + offset, end: span.end + offset }];
    });
  });
}
