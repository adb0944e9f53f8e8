import { categoryOf, type Category, type ScreeningClass } from './classes';
import { detectTexts } from './detect-joined';
import { ruleOf } from './detect-text';
import { collectLeaves, DEFAULT_MAX_CHARS, leafPath, type PathStep } from './payload-leaves';
import { cacheScope, type ScreeningCache } from './screening-cache';
import { junctionSpans } from './split-across-leaves';

/** One finding: the class of a span of one string leaf of the payload. */
export interface Finding {
  /** Where the string leaf sits in the payload, e.g. ['messages', 0, 'content', 1, 'text']. */
  path: PathStep[];
  /** UTF-16 offset of the first character of the span in the leaf. */
  start: number;
  /** UTF-16 offset just past the span (exclusive). */
  end: number;
  class: ScreeningClass;
  /** The span is in the object key at `path` (its last step), not in the value there. */
  key?: true;
  /** The rule that found it, e.g. `stripe-access-token` (gitleaks) or `modelgate-credit-card` (hand-written). */
  rule: string;
  /** `secret` or `pii`. */
  category: Category;
}

/**
 * What screening found in a payload. Only `present`, `chars`, `findings`, `categories` and `rules` may leave the
 * process.
 */
export interface ScreeningResult {
  /** The payload has at least one string leaf. */
  present: boolean;
  /** Total length of the texts (string values, keys, numbers' decimal text), in UTF-16 code units. */
  chars: number;
  /** Number of spans per class; classes with no span are absent. */
  findings: Record<string, number>;
  /** Number of spans per category (`secret`, `pii`); categories with no span are absent. */
  categories: Record<string, number>;
  /** Number of spans per rule id; rules with no span are absent. */
  rules: Record<string, number>;
  /**
   * The spans themselves, in document order, then the two parts of each finding split across two values: for
   * redaction, never for logs or the audit record.
   */
  spans: Finding[];
}

/** Options of screenPayload. */
export interface ScreenOptions {
  /** Largest total length of the texts (`chars`); more is a 413 payload_too_large. Default 262144 (256 KiB). */
  maxChars?: number;
  /** Spans of texts the caller sent before, and where to remember those of new ones (see screening-cache.ts). */
  cache?: ScreeningCache;
  /** Whose payload (callerScope()); without it the cache is not used. */
  scope?: string;
}

/**
 * Returns the sensitive data found in every string leaf of `payload` (prompt, messages[].content as a
 * string or as content parts, input, tool-call arguments, or any other JSON). Throws
 * `RequestError(payload_too_large, 413)` before running any detector when the text exceeds `maxChars`.
 */
export function screenPayload(payload: unknown, options: ScreenOptions = {}): ScreeningResult {
  const { leaves, chars, strings } = collectLeaves(payload, options.maxChars ?? DEFAULT_MAX_CHARS);
  const findings: Record<string, number> = {};
  const categories: Record<string, number> = {};
  const rules: Record<string, number> = {};
  const spans: Finding[] = [];
  // Every text of the payload screened in one pass (see detect-joined.ts).
  const cached = cacheScope(options.cache, options.scope);
  const perLeaf = detectTexts(
    leaves.map((leaf) => leaf.text),
    {},
    cached,
  );
  leaves.forEach((leaf, i) => {
    const found = perLeaf[i] ?? [];
    if (found.length === 0) return;
    const path = leafPath(leaf);
    for (const span of found) {
      const rule = span.rule ?? ruleOf(span);
      const category = categoryOf(span.class);
      spans.push({
        path: [...path],
        start: span.start,
        end: span.end,
        class: span.class,
        rule,
        category,
        ...(leaf.key === true ? { key: true as const } : {}),
      });
      findings[span.class] = (findings[span.class] ?? 0) + 1;
      categories[category] = (categories[category] ?? 0) + 1;
      rules[rule] = (rules[rule] ?? 0) + 1;
    }
  });
  // A finding split across consecutive values counts once and is redacted in each; one that a value holds up
  // to its edge and the next continues was counted in that value already.
  for (const j of junctionSpans(leaves, cached)) {
    const rule = j.span.rule ?? ruleOf(j.span);
    const category = categoryOf(j.span.class);
    const base = { class: j.span.class, rule, category };
    for (const part of j.parts)
      spans.push({ path: leafPath(part.leaf), start: part.start, end: part.end, ...base });
    if (j.continues) continue;
    findings[j.span.class] = (findings[j.span.class] ?? 0) + 1;
    categories[category] = (categories[category] ?? 0) + 1;
    rules[rule] = (rules[rule] ?? 0) + 1;
  }
  return { present: strings > 0, chars, findings, categories, rules, spans };
}
