/**
 * The per-key share of the DPoP replay cache, against a real server: one client flooding the service with valid
 * proofs of its key is refused 429 once it holds its share, and every other key's proofs keep working, where
 * before it filled the cache and had everyone refused 503 dpop_replay_cache_full.
 */
import {
  DEFAULT_DPOP_CLOCK_SKEW_SECONDS,
  DEFAULT_DPOP_MAX_AGE_SECONDS,
} from '../../src/identity/dpop-checker';
import { auditRow } from '../helpers/audit-db';
import { dpopConfirmation, dpopProof } from '../helpers/dpop';
import {
  fetchReply,
  startTestService,
  SUPPORT_REPLY_CALL,
  type Reply,
  type TestService,
} from '../helpers/service';
import { generateEcKeyPair, type TestKeyPair } from '../helpers/tokens';

const PUBLIC = 'https://modelgate.test';
const SUPPORT = { sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' };
const CACHE = 100;
const PER_KEY = 10;
const REPLAY_WINDOW_SECONDS = DEFAULT_DPOP_MAX_AGE_SECONDS + 2 * DEFAULT_DPOP_CLOCK_SKEW_SECONDS;

function reasonCode(reply: Reply): string | undefined {
  return (reply.body.reasons as { code: string }[] | undefined)?.[0]?.code;
}

describe('the per-key share of the DPoP replay cache', () => {
  let svc: TestService;
  const flooder = generateEcKeyPair('P-256');
  const bystander = generateEcKeyPair('P-256');

  beforeAll(async () => {
    svc = await startTestService({
      dpop: { publicUrls: [PUBLIC], replayCacheEntries: CACHE, replayEntriesPerKey: PER_KEY },
      // The refusal's own record is asserted: record every anonymous rejection, none counted together.
      audit: { synchronous: 'FULL', anonymousRecordsPerMinute: 0 },
    });
  });
  afterAll(() => svc.close());

  // A fresh, valid proof per call: each one takes a place in the replay cache.
  const call = (key: TestKeyPair, path = '/v1/decide', body: unknown = SUPPORT_REPLY_CALL) => {
    const token = svc.token({ ...SUPPORT, cnf: dpopConfirmation(key) });
    const proof = dpopProof({ key, htm: 'POST', htu: `${PUBLIC}${path}`, token });
    return fetchReply(`${svc.url}${path}`, {
      method: 'POST',
      headers: { authorization: `DPoP ${token}`, dpop: proof, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  };

  it('refuses a key past its share with 429 dpop_replay_quota_exceeded, recorded, and lets another key through', async () => {
    for (let i = 0; i < PER_KEY; i++) expect((await call(flooder)).status).toBe(200);
    const refused = await call(flooder);
    expect(refused.status).toBe(429);
    expect(refused.body.allow).toBe(false);
    expect(reasonCode(refused)).toBe('dpop_replay_quota_exceeded');
    expect((refused.body.reasons as { message: string }[])[0]!.message).toContain(
      'dpop.replay_entries_per_key',
    );
    // Not a credential problem: no challenge that would send a client to fetch a new token.
    expect(refused.headers.get('www-authenticate')).toBeNull();
    // By then every proof the key holds has left: max age + 2 × clock skew.
    expect(refused.headers.get('retry-after')).toBe(String(REPLAY_WINDOW_SECONDS));
    expect(auditRow(svc.db, refused.body.decision_id as string)).toMatchObject({
      outcome: 'rejected',
      status: 429,
      subject: null,
    });
    expect((await call(bystander)).status).toBe(200);
  });

  it('keeps refusing the flooding key alone, however long it goes on: the cache never fills', async () => {
    // More proofs than the whole cache holds: without the share, the cache would be full after CACHE of them.
    for (let i = 0; i < CACHE; i++)
      expect(reasonCode(await call(flooder))).toBe('dpop_replay_quota_exceeded');
    const other = await call(bystander);
    expect(other.status).toBe(200);
    expect(other.body.allow).toBe(true);
  });

  it("answers the Data API's flood in OPA's error body, with the reason code in errors", async () => {
    const reply = await call(flooder, '/v1/data/modelgate/decision', { input: {} });
    expect(reply.status).toBe(429);
    expect(reply.body).toMatchObject({
      code: 'too_many_requests',
      errors: [{ code: 'dpop_replay_quota_exceeded' }],
    });
  });
});
