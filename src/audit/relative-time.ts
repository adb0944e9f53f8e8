import { ReasonCode, RequestError } from '../errors';
import { DURATION_PATTERN } from '../schemas/time.schema';
import { parseInstant } from './time-range';

const DURATION = new RegExp(DURATION_PATTERN);
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Returns the start of a look-back period in Unix milliseconds: `30m`, `24h`, `7d`, `4w` before
 * `nowMs`, or an RFC 3339 date or date-time with a zone. Throws RequestError 400 naming the field.
 */
export function parseSince(value: string, nowMs: number, field = 'since'): number {
  const match = DURATION.exec(value);
  if (match) return nowMs - Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  try {
    return parseInstant(value, field);
  } catch {
    throw new RequestError(
      ReasonCode.BadRequest,
      400,
      `${field} must be a duration (30m, 24h, 7d, 4w) or an RFC 3339 date or date-time with a zone, got "${value}"`,
    );
  }
}
