import { ReasonCode, RequestError } from '../errors';
import { AUDIT_OUTCOMES } from './audit-record';
import type { AuditQuery } from './audit-store';
import { parseRange } from './time-range';

/** Default and maximum page sizes of query(). */
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

/** A query turned into SQL: named parameters, and one row more than the page to know if another follows. */
export interface QueryPlan {
  sql: string;
  params: Record<string, string | number>;
  limit: number;
}

/** The position after which the next page starts: keyset pagination on (ts_ms, seq), newest first. */
export interface CursorPosition {
  tsMs: number;
  seq: number;
}

/**
 * A cursor as the API takes it: the position itself, `<ts_ms>.<seq>` of the last record of a page. Any such
 * value is a position a page can start after, so the OpenAPI document can state exactly what is valid. At most
 * 15 digits each, so that every value is an exact double.
 */
export const CURSOR_PATTERN = '^(-?\\d{1,15})\\.(\\d{1,15})$';
const CURSOR = new RegExp(CURSOR_PATTERN);
// The base64url `v1:<ts_ms>:<seq>` cursors of earlier versions, still read so that paging through a rolling
// upgrade continues.
const OLD_CURSOR = /^v1:(-?\d{1,15}):(\d{1,15})$/;

/** Returns the cursor for a position. */
export function encodeCursor(position: CursorPosition): string {
  return `${position.tsMs}.${position.seq}`;
}

/** Returns the position a cursor encodes; throws RequestError 400 bad_request if it is not one. */
export function decodeCursor(cursor: string): CursorPosition {
  const match = CURSOR.exec(cursor) ?? OLD_CURSOR.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) {
    throw new RequestError(
      ReasonCode.BadRequest,
      400,
      'cursor is not a cursor: give the next_cursor of the previous page (<ts_ms>.<seq>)',
    );
  }
  return { tsMs: Number(match[1]), seq: Number(match[2]) };
}

/**
 * Returns the SQL for one page. Filtering on a reason drives the query from audit_reasons'
 * (reason, ts_ms, seq) index; otherwise from the (column, ts_ms) index of the first equality
 * filter or from ts_ms. Either way rows come out in index order, so no sort and no OFFSET scan.
 */
export function planQuery(filter: AuditQuery): QueryPlan {
  const limit = pageSize(filter.limit);
  if (filter.outcome !== undefined && !AUDIT_OUTCOMES.includes(filter.outcome)) {
    throw new RequestError(ReasonCode.BadRequest, 400, `outcome must be one of ${AUDIT_OUTCOMES.join(', ')}`);
  }
  const { fromMs, toMs } = parseRange(filter.from, filter.to);
  // With a reason, audit_reasons (x) carries its own copy of ts_ms and seq and leads the join.
  const key = filter.reason === undefined ? 'r' : 'x';
  const where: string[] = [];
  const params: Record<string, string | number> = { limit: limit + 1 };
  const equal = (column: 'subject' | 'model' | 'outcome' | 'reason', value: string | undefined) => {
    if (value === undefined) return;
    where.push(`${column === 'reason' ? 'x' : 'r'}.${column} = @${column}`);
    params[column] = value;
  };
  equal('reason', filter.reason);
  equal('subject', filter.subject);
  equal('model', filter.model);
  equal('outcome', filter.outcome);
  if (fromMs !== undefined) {
    where.push(`${key}.ts_ms >= @fromMs`);
    params.fromMs = fromMs;
  }
  if (toMs !== undefined) {
    where.push(`${key}.ts_ms < @toMs`);
    params.toMs = toMs;
  }
  if (filter.cursor !== undefined) {
    const position = decodeCursor(filter.cursor);
    where.push(`(${key}.ts_ms, ${key}.seq) < (@cursorTs, @cursorSeq)`);
    params.cursorTs = position.tsMs;
    params.cursorSeq = position.seq;
  }
  const from =
    filter.reason === undefined ? 'audit_records r' : 'audit_reasons x JOIN audit_records r ON r.seq = x.seq';
  const sql =
    `SELECT r.seq, r.ts_ms, r.record, r.prev_hash, r.hash FROM ${from}` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY ${key}.ts_ms DESC, ${key}.seq DESC LIMIT @limit`;
  return { sql, params, limit };
}

function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RequestError(ReasonCode.BadRequest, 400, `limit must be a whole number from 1 to ${MAX_LIMIT}`);
  }
  return Math.min(limit, MAX_LIMIT);
}
