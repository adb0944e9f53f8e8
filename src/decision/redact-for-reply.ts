import { redactPayload, type ScreeningResult } from '../screening';
import type { Reservation } from '../usage/usage-tracker';
import type { DecisionDeps } from './decision-deps';
import type { EnforcedDecision } from './obligations';

/**
 * Returns the payload to reply with when the decision allows, with the classes of its redact obligations
 * masked; undefined when it denies or there is no payload. A payload screened on a thread is redacted on one
 * (ScreeningPool.redact), so copying a large payload does not hold the event loop. Runs before the decision is
 * recorded: when redaction fails or runs out of time (screening_timeout) it releases the reservation and
 * throws, and the decision is recorded as that deny, never as an allow without its redacted payload.
 */
export async function redactForReply(
  config: DecisionDeps['screening'],
  payload: unknown,
  screening: ScreeningResult,
  decision: { enforced: EnforcedDecision; reservation: Reservation | undefined },
): Promise<{ payload: unknown } | undefined> {
  const { enforced, reservation } = decision;
  if (!enforced.allow || payload === undefined) return undefined;
  const { pool, redactionFormat } = config;
  try {
    return {
      payload: pool
        ? await pool.redact(payload, screening, enforced.redactClasses, redactionFormat)
        : redactPayload(payload, screening, enforced.redactClasses, redactionFormat),
    };
  } catch (err) {
    reservation?.release();
    throw err;
  }
}
