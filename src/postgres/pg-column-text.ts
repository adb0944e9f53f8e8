import { createHash } from 'node:crypto';

/**
 * The most UTF-8 bytes of a text that a key column holds as is. A btree entry holds at most
 * 2,704 bytes, and the record keeps up to 2,048 characters of a string column (bound-record.ts): in a
 * script of three-byte characters, 6 KiB, which PostgreSQL refuses to index, failing the record.
 */
export const COLUMN_TEXT_BYTES = 1024;
const HASH_CHARS = 64;
const MARK = '…';
const HASHED = new RegExp(`${MARK}[0-9a-f]{${HASH_CHARS}}$`);
const encoder = new TextEncoder();
const MARK_BYTES = encoder.encode(MARK).length;

/**
 * Returns how PostgreSQL's tables hold a text that is a key or a filter (audit columns, usage subjects): as
 * is, unless it holds U+0000, which PostgreSQL's text cannot hold, or is over COLUMN_TEXT_BYTES; then as its
 * longest prefix that fits (U+0000 read as U+FFFD), `…` and the SHA-256 of the whole text, which no other
 * text shares. The hashed record keeps the value exactly. Queries compare with this of their parameter, so
 * a filter by the whole value still finds its rows; a snapshot of the log turns the columns back into the
 * record's values before it is verified (restoreColumnText).
 */
export function pgColumnText<T extends string | null | number>(value: T): T {
  if (typeof value !== 'string') return value;
  // A string's UTF-8 takes at most three bytes per UTF-16 unit: most texts need no count.
  const fits = value.length * 3 <= COLUMN_TEXT_BYTES || encoder.encode(value).length <= COLUMN_TEXT_BYTES;
  if (fits && !value.includes('\u0000')) return value;
  const digest = createHash('sha256').update(value).digest('hex');
  const prefix = utf8Prefix(
    value.replaceAll('\u0000', '\ufffd'),
    COLUMN_TEXT_BYTES - HASH_CHARS - MARK_BYTES,
  );
  return `${prefix}${MARK}${digest}` as T;
}

/**
 * Returns the record's own value of a column when `stored` is what pgColumnText makes of it (or, for logs
 * written before it, the value with U+0000 read as U+FFFD), else `stored` unchanged, so the verifier still
 * reports a column that was edited.
 */
export function restoreColumnText(stored: unknown, recorded: unknown): unknown {
  if (typeof recorded !== 'string') return stored;
  const held = stored === pgColumnText(recorded) || stored === recorded.replaceAll('\u0000', '\ufffd');
  return held ? recorded : stored;
}

/** Whether a stored column value may differ from the record's: only such rows need their record read. */
export function mayBeAltered(stored: unknown): boolean {
  return typeof stored === 'string' && (stored.includes('\ufffd') || HASHED.test(stored));
}

// The longest prefix of whole code points within `bytes` bytes of UTF-8.
function utf8Prefix(text: string, bytes: number): string {
  let used = 0;
  let end = 0;
  for (const char of text) {
    const size = encoder.encode(char).length;
    if (used + size > bytes) break;
    used += size;
    end += char.length;
  }
  return text.slice(0, end);
}
