import {
  DECODE_DEPTH,
  detectNormalised,
  detectText,
  MIN_FINDING_LENGTH,
  type DetectOptions,
} from './detect-text';
import { textAt, type Joins, type TextSpan } from './detector';
import { normalise, type Normalised } from './normalise';
import { keyOfText, textKey, type CacheScope } from './screening-cache';

/**
 * What goes between two texts: a newline on each side, so that a boundary, a line end or whitespace is seen
 * where a text ends or starts, and NULs between them that no whitespace run or `.` passes through. Look-backs
 * of the detectors either stop at a newline or a NUL (phone and version labels, URL userinfo) or read at most
 * 12 characters (the card detector's "imei"): eight NULs keep any word of the previous text out of them.
 */
const SEPARATOR = `\n${'\0'.repeat(8)}\n`;

/**
 * Returns detectText's spans for each of `texts`, found by screening them joined as one text: a payload has
 * many short strings (roles, keys, model names, content parts), and each detector then costs one call per
 * payload instead of one per string. The result is what screening each text alone gives: the separator stops
 * every pattern that is not meant to run over lines; a match that runs over one anyway (a multi-line rule, a
 * truncated PEM body) makes each text it touches be screened again alone; detectors that read around a match
 * run on each text alone (see detectNormalised).
 */
export function detectTexts(
  all: readonly string[],
  options: DetectOptions = {},
  cached?: CacheScope,
): TextSpan[][] {
  // Each distinct text is screened once (keys such as "role" and "content" repeat in every message), and texts
  // shorter than any finding not at all.
  const index = new Map<string, number>();
  for (const text of all)
    if (text.length >= MIN_FINDING_LENGTH && !index.has(text)) index.set(text, index.size);
  const distinct = [...index.keys()];
  const found =
    cached === undefined ? detectDistinct(distinct, options) : detectRemembered(distinct, options, cached);
  return all.map((text) => {
    const i = index.get(text);
    return i === undefined ? [] : (found[i] ?? []).map((span) => ({ ...span }));
  });
}

/**
 * detectDistinct's result, taking each text's spans from the cache when the caller sent the same text before
 * (see screening-cache.ts): only the texts not found there are screened, and their spans then remembered.
 */
function detectRemembered(
  texts: readonly string[],
  options: DetectOptions,
  cached: CacheScope,
): (readonly TextSpan[])[] {
  const { cache, scope } = cached;
  const depth = options.decodeDepth ?? DECODE_DEPTH;
  const tag = `${depth === DECODE_DEPTH ? '' : `d${depth}`}${options.secretsOnly === true ? 's' : ''}`;
  const keys = texts.map((text) => (tag === '' ? keyOfText(cached, text) : textKey(scope, tag, text)));
  const found = keys.map((key) => (key === undefined ? undefined : cache.get(key)));
  const missing = texts.flatMap((_, i) => (found[i] === undefined ? [i] : []));
  if (missing.length > 0) {
    const screened = detectDistinct(
      missing.map((i) => texts[i] as string),
      options,
    );
    missing.forEach((i, j) => {
      const spans = screened[j] ?? [];
      found[i] = spans;
      const key = keys[i];
      if (key !== undefined) cache.set(key, spans);
    });
  }
  return found as (readonly TextSpan[])[];
}

function detectDistinct(texts: readonly string[], options: DetectOptions): TextSpan[][] {
  // A text holding a NUL could imitate a join: such payloads (rare) are screened text by text.
  if (texts.length < 2 || texts.some((t) => t.includes('\0')))
    return texts.map((t) => detectText(t, options));
  const result: TextSpan[][] = texts.map(() => []);
  // A separator before the first text and after the last too: the rules' anchors match only at separators.
  const starts: number[] = [];
  let at = SEPARATOR.length;
  for (const text of texts) {
    starts.push(at);
    at += text.length + SEPARATOR.length;
  }
  const normalised = normalise(`${SEPARATOR}${texts.join(SEPARATOR)}${SEPARATOR}`, { keepNul: true });
  const normalisedAt = normalisedOffsets(normalised, starts);
  const joins: Joins = {
    starts: normalisedAt,
    ends: normalisedOffsets(
      normalised,
      starts.map((s, i) => s + (texts[i] as string).length),
    ),
    unsure: [],
  };
  const alone = new Set<number>();
  const touched = (from: number, to: number, offsets: readonly number[]): void => {
    for (let i = textAt(offsets, from); i < texts.length && (offsets[i] as number) < to; i++) alone.add(i);
  };
  for (const span of detectNormalised(normalised, options, joins)) {
    const i = textAt(starts, span.start);
    const start = starts[i] as number;
    if (span.start < start || span.end > start + (texts[i] as string).length) {
      touched(span.start, span.end, starts);
      continue;
    }
    span.start -= start;
    span.end -= start;
    result[i]?.push(span);
  }
  for (const [from, to] of joins.unsure) touched(from, to, normalisedAt);
  for (const i of alone) result[i] = detectText(texts[i] as string, options);
  return result;
}

/**
 * Returns the normalised offsets of ascending original offsets of the joined text (text starts or ends: they
 * border a separator, which normalisation leaves as it is), the same offsets when nothing changed.
 */
function normalisedOffsets(normalised: Normalised, offsets: readonly number[]): number[] {
  const from = normalised.from;
  if (from === undefined) return [...offsets];
  // `from` is ascending: the first normalised unit that came from at or after an offset is at that offset.
  const out: number[] = [];
  let k = 0;
  for (const offset of offsets) {
    while (k < from.length && (from[k] as number) < offset) k++;
    out.push(k);
  }
  return out;
}
