import { h } from 'preact';
import htm from 'htm';

/** Tagged-template JSX for preact: no build-time JSX transform, and no inline script or style. */
export const html = htm.bind(h);

/** Returns an ISO time as the browser's local date and time. */
export function when(iso: unknown): string {
  return typeof iso === 'string' ? new Date(iso).toLocaleString() : '—';
}

/** A request's context in one line: `environment: prod, repository: corp/payments`; nested values as JSON. */
export function contextText(context: unknown): string {
  if (typeof context === 'string') return context;
  if (typeof context !== 'object' || context === null) return '—';
  const entries = Object.entries(context as Record<string, unknown>);
  if (entries.length === 0) return '—';
  return entries.map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ');
}

/** Returns "class: n, class: n" for finding counts, or "none". */
export function findingsText(findings: unknown): string {
  const entries = Object.entries((findings as Record<string, number> | null) ?? {}).filter(([, n]) => n > 0);
  return entries.length === 0 ? 'none' : entries.map(([c, n]) => `${c}: ${n}`).join(', ');
}
