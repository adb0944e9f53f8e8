import type { ScreeningClass } from './classes';

/** A span to replace in one string. */
export interface RedactionSpan {
  start: number;
  end: number;
  class: ScreeningClass;
}

/**
 * Returns spans merged so that none overlap or touch, sorted by start. A merged span takes the class of its
 * longest member (the earliest on a tie): it names what most of the replaced text was, e.g. a service
 * account key file rather than the private key inside it.
 */
export function mergeSpans(spans: readonly RedactionSpan[]): RedactionSpan[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: RedactionSpan[] = [];
  let longest = 0;
  for (const span of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && span.start <= last.end) {
      if (span.end - span.start > longest) {
        longest = span.end - span.start;
        last.class = span.class;
      }
      last.end = Math.max(last.end, span.end);
    } else {
      merged.push({ ...span });
      longest = span.end - span.start;
    }
  }
  return merged;
}

/** Returns `text` with each (merged, sorted) span replaced by `format` with "<class>" set to its class. */
export function applySpans(text: string, spans: readonly RedactionSpan[], format: string): string {
  let out = '';
  let at = 0;
  for (const span of spans) {
    out += text.slice(at, span.start) + format.split('<class>').join(span.class);
    at = span.end;
  }
  return out + text.slice(at);
}
