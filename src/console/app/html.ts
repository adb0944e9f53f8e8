import { h } from 'preact';
import htm from 'htm';

/** Tagged-template JSX for preact: no build-time JSX transform, and no inline script or style. */
export const html = htm.bind(h);

/** Returns an ISO time as the browser's local date and time. */
export function when(iso: unknown): string {
  return typeof iso === 'string' ? new Date(iso).toLocaleString() : '—';
}

// Characters that change how text reads, not what it is: C0 and C1 controls, line and paragraph separators,
// bidi marks, embeddings, overrides and isolates, invisible separators and joiners that join nothing, the
// byte-order mark and the tag characters. A reviewer must see the value that was decided on, not a reordering.
const HIDDEN =
  // eslint-disable-next-line no-control-regex -- control characters are among what must be spelled out
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u{e0000}-\u{e007f}]/gu;

/** Returns the text with each character that reorders or hides what a reader sees spelled out as ⟨U+XXXX⟩. */
export function visible(text: string): string {
  return text.replace(HIDDEN, (c) => `⟨U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩`);
}

/**
 * Renders a value a caller, a token or a policy chose: spelled out (visible) and isolated in a <bdi>, so that
 * right-to-left letters in it cannot reorder the text beside it either. Objects are shown as JSON.
 */
export function said(value: unknown) {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return html`<bdi>${visible(text)}</bdi>`;
}

/** Renders several such values with a separator between them. */
export function saidList(values: unknown[], separator: string) {
  return values.map((v, i) => html`${i > 0 ? separator : ''}${said(v)}`);
}

/**
 * Renders a request's context one entry a line (`environment: prod`), key and value each isolated; nested values
 * as JSON, a marker (`[truncated: N bytes]`) as it is. One line per entry: a long value wraps instead of hiding
 * the entries after it, and a value cannot pass for another entry.
 */
export function contextList(context: unknown) {
  if (typeof context === 'string') return said(context);
  const entries =
    typeof context === 'object' && context !== null ? Object.entries(context as Record<string, unknown>) : [];
  if (entries.length === 0) return '—';
  return html`<ul class="entries">
    ${entries.map(([k, v]) => html`<li>${said(k)}: ${said(v)}</li>`)}
  </ul>`;
}

/** Returns "class: n, class: n" for finding counts, or "none". */
export function findingsText(findings: unknown): string {
  const entries = Object.entries((findings as Record<string, number> | null) ?? {}).filter(([, n]) => n > 0);
  return entries.length === 0 ? 'none' : entries.map(([c, n]) => `${c}: ${n}`).join(', ');
}
