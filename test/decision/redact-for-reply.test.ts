import { redactForReply } from '../../src/decision/redact-for-reply';
import type { EnforcedDecision } from '../../src/decision/obligations';
import { ReasonCode } from '../../src/errors';
import { redactPayload, ScreeningPool } from '../../src/screening';

/** A chat of `n` messages, each with one email address. */
const mailChat = (n: number): { messages: Array<{ role: string; content: string }> } => ({
  messages: Array.from({ length: n }, (_, i) => ({
    role: 'user',
    content: `Please write to jane.doe${i}@acme-corp.com about the invoice.`,
  })),
});
const allowed: EnforcedDecision = {
  allow: true,
  reasons: [],
  obligations: [{ type: 'redact', classes: ['email'] }],
  maxTokens: null,
  redactClasses: ['email'],
};

// The redaction step of /v1/decide with a real pool whose threads get 1 ms for a redaction (the screening before
// it is given a minute explicitly); the reservation is a fake of our Reservation interface.
describe('redactForReply', () => {
  let pool: ScreeningPool;
  beforeEach(() => {
    pool = new ScreeningPool({ inlineChars: 0, threads: 1, budgetMs: 1 });
  });
  afterEach(() => pool.close());
  const config = () => ({ maxChars: 1_000_000, redactionFormat: '[<class>]', pool });

  it('releases the reservation and throws screening_timeout when the redaction runs out of time', async () => {
    const payload = mailChat(4000);
    const screening = await pool.screen(payload, {}, 60_000);
    expect(screening.findings).toEqual({ email: 4000 }); // precondition: screened on a thread, spans to apply
    const release = jest.fn();
    const error = await redactForReply(config(), payload, screening, {
      enforced: allowed,
      reservation: { release },
    }).catch((err: unknown) => err);
    expect(error).toMatchObject({
      code: ReasonCode.ScreeningTimeout,
      status: 503,
      message: 'redacting the payload took longer than 1 ms',
    });
    expect(release).toHaveBeenCalledTimes(1);
  });

  it('returns the redacted payload of an allow, and nothing for a deny, keeping the reservation', async () => {
    const payload = mailChat(3);
    const screening = await pool.screen(payload, {}, 60_000);
    const release = jest.fn();
    const inline = { ...config(), pool: undefined };
    expect(
      await redactForReply(inline, payload, screening, { enforced: allowed, reservation: { release } }),
    ).toEqual({
      payload: redactPayload(payload, screening, ['email'], '[<class>]'),
    });
    const denied = { ...allowed, allow: false };
    expect(
      await redactForReply(config(), payload, screening, { enforced: denied, reservation: { release } }),
    ).toBe(undefined);
    expect(release).not.toHaveBeenCalled();
  });
});
