import { startTestService, type TestService } from '../helpers/service';
import { bundleWithSummarizerLimits, SUMMARIZER_CLAIMS, summary, usageOf } from '../usage/usage-helpers';

// Issue #13, item 6: a caller freed its own daily budget by reporting zero tokens for each allowed
// decision. Self-reports may now only raise a reservation; a trusted reporter settles it either way.

const GATEWAY = { sub: 'spiffe://corp/llm-gateway', scope: 'modelgate:usage-report' };

let svc: TestService;
let bundle: string;
beforeAll(async () => {
  bundle = bundleWithSummarizerLimits({
    max_tokens_per_call: 4096,
    daily_tokens: 20_000,
    requests_per_minute: 1000,
  });
  svc = await startTestService({ bundle });
});
afterAll(() => svc.close());

const allow = async () => {
  const res = await svc.post(
    '/v1/decide',
    summary({ max_tokens: 2000, input_tokens: 500 }),
    svc.token(SUMMARIZER_CLAIMS),
  );
  expect(res.body.allow).toBe(true);
  return res.body.decision_id as string;
};
const dayTokens = async () => (await usageOf(svc, SUMMARIZER_CLAIMS)).usage.tokens_last_day;
const report = (id: string, body: unknown, claims: Record<string, unknown>) =>
  svc.post(`/v1/decisions/${id}/usage`, body, svc.token(claims));

test('a self-report of zero tokens does not free the budget it reserved', async () => {
  const before = await dayTokens();
  const id = await allow();
  expect(await dayTokens()).toBe(before + 2500);
  const res = await report(id, { input_tokens: 0, output_tokens: 0 }, SUMMARIZER_CLAIMS);
  expect(res.status).toBe(201);
  expect(await dayTokens()).toBe(before + 2500);
});

test('a self-report above the reservation raises it', async () => {
  const before = await dayTokens();
  const id = await allow();
  expect((await report(id, { input_tokens: 500, output_tokens: 3000 }, SUMMARIZER_CLAIMS)).status).toBe(201);
  expect(await dayTokens()).toBe(before + 3500);
});

test('a trusted reporter (scope modelgate:usage-report) settles the real figure, down too', async () => {
  const before = await dayTokens();
  const id = await allow();
  const res = await report(id, { input_tokens: 480, output_tokens: 120 }, GATEWAY);
  expect(res.status).toBe(201);
  expect(await dayTokens()).toBe(before + 600);
});

test('a caller without the scope may not report for another subject', async () => {
  const id = await allow();
  const res = await report(
    id,
    { input_tokens: 1, output_tokens: 1 },
    { sub: 'spiffe://corp/other', scope: 'invoke:x' },
  );
  expect(res.status).toBe(403);
  expect(res.body.reasons).toEqual([expect.objectContaining({ code: 'not_owner' })]);
});

test('after a restart, the self-report still counts what was reserved', async () => {
  const id = await allow();
  expect((await report(id, { input_tokens: 0, output_tokens: 0 }, SUMMARIZER_CLAIMS)).status).toBe(201);
  const before = await dayTokens();
  expect(before).toBeGreaterThan(0);
  await svc.close();
  // The same database file; the test issuer's keys are new, which changes nothing the ledger keeps.
  svc = await startTestService({ bundle, db: svc.db });
  expect(await dayTokens()).toBe(before);
});
