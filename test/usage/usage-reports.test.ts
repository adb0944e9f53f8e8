import { auditRow } from '../helpers/audit-db';
import { startTestService, type TestService } from '../helpers/service';
import {
  bundleWithSummarizerLimits,
  codes,
  SUMMARIZER,
  REPORTER_CLAIMS,
  SUMMARIZER_CLAIMS,
  summary,
  usageOf,
} from './usage-helpers';

const SUPPORT_CLAIMS = { sub: 'spiffe://corp/support/reply-bot', scope: 'invoke:support' };

describe('POST /v1/decisions/{id}/usage', () => {
  let svc: TestService;
  beforeAll(async () => {
    // These tests make more calls a minute than the shipped 5: only the rate limit is raised.
    const bundle = bundleWithSummarizerLimits({
      max_tokens_per_call: 4096,
      daily_tokens: 20_000,
      requests_per_minute: 1000,
    });
    svc = await startTestService({ bundle });
  });
  afterAll(() => svc.close());

  const token = () => svc.token(SUMMARIZER_CLAIMS);
  const allow = async (tokens: { max_tokens?: number; input_tokens?: number }) => {
    const res = await svc.post('/v1/decide', summary(tokens), token());
    expect(res.body.allow).toBe(true);
    return res.body.decision_id as string;
  };
  // The gateway reports: its figures settle a reservation down as well as up (self-reports only raise).
  const report = (id: string, body: unknown, bearer = svc.token(REPORTER_CLAIMS)) =>
    svc.post(`/v1/decisions/${id}/usage`, body, bearer);

  it('answers 201, replaces the reservation (down, or up) and records the report call', async () => {
    const before = (await usageOf(svc, SUMMARIZER_CLAIMS)).usage.tokens_last_day;
    const small = await allow({ max_tokens: 2000, input_tokens: 500 });
    const big = await allow({ max_tokens: 1000, input_tokens: 100 });
    expect((await usageOf(svc, SUMMARIZER_CLAIMS)).usage.tokens_last_day).toBe(before + 2500 + 1100);

    const res = await report(small, { input_tokens: 480, output_tokens: 120, cost_usd: 0.0021 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      reported: { decision: small, input_tokens: 480, output_tokens: 120, cost_usd: 0.0021 },
    });
    expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({
      outcome: 'allowed',
      status: 201,
      path: '/v1/decisions/{id}/usage',
      subject: REPORTER_CLAIMS.sub,
    });
    // 2500 reserved, 600 used.
    let usage = await usageOf(svc, SUMMARIZER_CLAIMS);
    expect(usage.usage.tokens_last_day).toBe(before + 600 + 1100);

    // The call used more than it reserved (a provider ignoring max_tokens): usage rises to the truth.
    expect((await report(big, { input_tokens: 100, output_tokens: 3000 })).status).toBe(201);
    usage = await usageOf(svc, SUMMARIZER_CLAIMS);
    expect(usage.usage).toMatchObject({
      tokens_last_hour: before + 600 + 3100,
      tokens_last_day: before + 600 + 3100,
    });
    expect(usage.reported_last_day).toMatchObject({ reports: 2, tokens: 3700 });
    expect(usage.reported_last_day.cost_usd).toBeCloseTo(0.0021, 6);
  });

  it('records in the hash-chained audit record which decision was reported and with what figures', async () => {
    const id = await allow({ max_tokens: 2000, input_tokens: 500 });
    const figures = { input_tokens: 480, output_tokens: 120, cost_usd: 0.0021 };
    const res = await report(id, figures);
    expect(res.status).toBe(201);
    // usage_reports is outside the chain: without this, the log said a report was made, but not for which
    // decision nor how much, so a changed figure in that table could not be found by checking the log.
    expect(auditRow(svc.db, res.body.decision_id as string)?.record.input).toEqual({
      usage_report: { decision: id, ...figures },
    });
    // A refused report is recorded with what it claimed, too.
    const again = await report(id, { input_tokens: 1, output_tokens: 1 });
    expect(again.status).toBe(409);
    expect(auditRow(svc.db, again.body.decision_id as string)?.record.input).toEqual({
      usage_report: { decision: id, input_tokens: 1, output_tokens: 1 },
    });
    // The id is the caller's text from the URL, and the record keeps it unscreened: only a decision id's shape.
    const pasted = 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';
    const odd = await report(pasted, { input_tokens: 1, output_tokens: 1 });
    expect(odd.status).toBe(404);
    const kept = auditRow(svc.db, odd.body.decision_id as string)?.record.input;
    expect(kept).toEqual({ usage_report: { decision: null, input_tokens: 1, output_tokens: 1 } });
  });

  it('refuses a second report for the same decision with 409 conflict, keeping the first', async () => {
    const id = await allow({ max_tokens: 100 });
    expect((await report(id, { input_tokens: 10, output_tokens: 20 })).status).toBe(201);
    const usage = (await usageOf(svc, SUMMARIZER_CLAIMS)).usage.tokens_last_day;

    const again = await report(id, { input_tokens: 1, output_tokens: 1 });
    expect(again.status).toBe(409);
    expect(codes(again.body)).toEqual(['conflict']);
    expect(again.body.allow).toBe(false);
    expect(auditRow(svc.db, again.body.decision_id as string)).toMatchObject({
      outcome: 'rejected',
      status: 409,
    });
    expect((await usageOf(svc, SUMMARIZER_CLAIMS)).usage.tokens_last_day).toBe(usage);
  });

  it('refuses a report for another subject’s decision with 403 not_owner', async () => {
    const id = await allow({ max_tokens: 100 });
    const usage = (await usageOf(svc, SUMMARIZER_CLAIMS)).usage.tokens_last_day;

    const res = await report(id, { input_tokens: 1, output_tokens: 1 }, svc.token(SUPPORT_CLAIMS));
    expect(res.status).toBe(403);
    expect(codes(res.body)).toEqual(['not_owner']);
    expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({
      outcome: 'rejected',
      status: 403,
      subject: 'spiffe://corp/support/reply-bot',
    });
    // The owner can still report it: the refused attempt changed nothing.
    expect((await usageOf(svc, SUMMARIZER_CLAIMS)).usage.tokens_last_day).toBe(usage);
    expect((await report(id, { input_tokens: 1, output_tokens: 1 })).status).toBe(201);
  });

  it('refuses a report for a denied decision with 409: it reserved nothing', async () => {
    const denied = await svc.post(
      '/v1/decide',
      { ...summary({ max_tokens: 100 }), invocation: { ...summary().invocation, purpose: 'marketing' } },
      token(),
    );
    expect(denied.body.allow).toBe(false);
    const res = await report(denied.body.decision_id as string, { input_tokens: 1, output_tokens: 1 });
    expect(res.status).toBe(409);
    expect(codes(res.body)).toEqual(['conflict']);
  });

  it('refuses a report for a decision that is not a model decision (an API read) with 409', async () => {
    const read = await svc.get('/v1/usage', token());
    expect(read.status).toBe(200);
    expect(auditRow(svc.db, read.body.decision_id as string)).toMatchObject({
      outcome: 'allowed',
      subject: SUMMARIZER,
    });
    const res = await report(read.body.decision_id as string, { input_tokens: 1, output_tokens: 1 });
    expect(res.status).toBe(409);
    expect(codes(res.body)).toEqual(['conflict']);
  });

  it('answers 404 not_found for an unknown decision id', async () => {
    const res = await report('01a1ffff-0000-7000-8000-000000000000', { input_tokens: 1, output_tokens: 1 });
    expect(res.status).toBe(404);
    expect(codes(res.body)).toEqual(['not_found']);
    expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({
      outcome: 'rejected',
      status: 404,
    });
  });

  it.each([
    ['missing output_tokens', { input_tokens: 10 }],
    ['negative tokens', { input_tokens: -1, output_tokens: 5 }],
    ['fractional tokens', { input_tokens: 1.5, output_tokens: 5 }],
    ['an unknown field', { input_tokens: 1, output_tokens: 5, model: 'x' }],
    ['not an object', [1, 2]],
  ])('answers 400 body_invalid for %s, leaving the reservation to be reported', async (_, body) => {
    const id = await allow({ max_tokens: 100 });
    const res = await report(id, body);
    expect(res.status).toBe(400);
    expect(codes(res.body)).toEqual(['body_invalid']);
    expect((await report(id, { input_tokens: 1, output_tokens: 1 })).status).toBe(201);
  });

  it('answers 401 without a token, with WWW-Authenticate', async () => {
    const id = await allow({ max_tokens: 100 });
    const res = await report(id, { input_tokens: 1, output_tokens: 1 }, '');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });
});

describe('reservations that are never reported', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ reservationTtlSeconds: 1 });
  });
  afterAll(() => svc.close());

  it('count until usage.reservation_ttl_seconds, then stop counting and can no longer be reported', async () => {
    const res = await svc.post('/v1/decide', summary({ max_tokens: 4096 }), svc.token(SUMMARIZER_CLAIMS));
    expect(res.body.allow).toBe(true);
    expect((await usageOf(svc, SUMMARIZER_CLAIMS)).usage).toMatchObject({
      requests_last_minute: 1,
      tokens_last_day: 4096,
    });

    await new Promise((resolve) => setTimeout(resolve, 1100));
    // The request still counts towards the rate limit; its unreported tokens no longer do.
    expect((await usageOf(svc, SUMMARIZER_CLAIMS)).usage).toMatchObject({
      requests_last_minute: 1,
      tokens_last_day: 0,
    });
    const late = await svc.post(
      `/v1/decisions/${res.body.decision_id as string}/usage`,
      { input_tokens: 10, output_tokens: 10 },
      svc.token(SUMMARIZER_CLAIMS),
    );
    expect(late.status).toBe(409);
    expect((late.body.reasons as { message: string }[])[0]!.message).toMatch(/expired/);
  });
});
