/**
 * The auditor's read API on a real server: GET /v1/decisions, /v1/decisions/{id} and /v1/audit/verify.
 * Expected answers are computed with SQL on the database file just before each request. Every read is
 * itself recorded (path /v1/decisions..., outcome allowed) after it ran, so it never shows in its own answer.
 */
import { rmSync } from 'node:fs';
import { newDecisionId } from '../../src/audit';
import { ThreadedAuditStore } from '../../src/writer/threaded-audit-store';
import { auditCount, auditRow } from '../helpers/audit-db';
import { startTestService, type TestService } from '../helpers/service';
import {
  AUDIT_SCOPE,
  AUDITOR,
  CODEGEN,
  codegenAllowed,
  codegenDenied,
  strangerDenied,
  SUPPORT,
  supportAllowed,
  withReader,
  type Call,
} from './e2e-fixtures';

type Page = { records: { decision_id: string; seq: number; hash: string }[]; next_cursor: string | null };

const codes = (body: Record<string, unknown>) => (body.reasons as { code: string }[]).map((r) => r.code);

describe('the audit read API', () => {
  let svc: TestService;
  let auditor: string;
  let decided: string[];

  beforeAll(async () => {
    svc = await startTestService();
    auditor = svc.token({ sub: AUDITOR, scope: AUDIT_SCOPE });
    const calls: (Call | null)[] = [
      codegenAllowed,
      codegenDenied,
      supportAllowed,
      strangerDenied,
      codegenAllowed,
      null,
      supportAllowed,
      codegenDenied,
      strangerDenied,
      codegenAllowed,
    ];
    decided = [];
    for (const call of calls) {
      // Apart by a few milliseconds, so that the time-range filter has distinct timestamps to cut between.
      await new Promise((resolve) => setTimeout(resolve, 3));
      const res = await svc.post(
        '/v1/decide',
        call?.body ?? supportAllowed.body,
        call && svc.token(call.claims),
      );
      decided.push(res.body.decision_id as string);
    }
  });
  afterAll(async () => {
    await svc?.close();
    if (svc) rmSync(svc.dir, { recursive: true, force: true });
  });

  // Decision ids matching a WHERE clause, newest first, straight from the file.
  const idsWhere = (where: string, ...params: unknown[]): string[] =>
    withReader(svc.db, (db) =>
      (
        db
          .prepare(`SELECT decision_id FROM audit_records WHERE ${where} ORDER BY ts_ms DESC, seq DESC`)
          .all(...params) as { decision_id: string }[]
      ).map((r) => r.decision_id),
    );

  const read = async (query: string) => {
    const res = await svc.get(`/v1/decisions${query}`, auditor);
    expect(res.status).toBe(200);
    const page = res.body as unknown as Page;
    return {
      ids: page.records.map((r) => r.decision_id),
      next: page.next_cursor,
      readId: res.body.decision_id,
    };
  };

  describe('without the modelgate:audit scope', () => {
    const support = () => svc.token({ sub: SUPPORT, scope: 'invoke:support' });
    const routes = [
      ['/v1/decisions', '/v1/decisions'],
      ['/v1/decisions/{id}', '/v1/decisions/{id}'],
      ['/v1/audit/verify', '/v1/audit/verify'],
    ] as const;
    const url = (route: string) => route.replace('{id}', decided[0]!);

    it.each(routes)('%s answers the auditor 200 (the precondition)', async (route) => {
      expect((await svc.get(url(route), auditor)).status).toBe(200);
    });

    it.each(routes)(
      '%s answers 403 scope_missing, shows nothing, and records the refusal',
      async (route, path) => {
        const res = await svc.get(url(route), support());
        expect(res.status).toBe(403);
        expect(res.headers.get('www-authenticate')).toBe(
          'Bearer error="insufficient_scope", scope="modelgate:audit"',
        );
        expect(res.body.allow).toBe(false);
        expect(codes(res.body)).toEqual(['scope_missing']);
        expect(res.body).not.toHaveProperty('records');
        expect(res.body).not.toHaveProperty('record');
        expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({
          path,
          outcome: 'rejected',
          status: 403,
          subject: SUPPORT,
        });
      },
    );
  });

  describe('filters', () => {
    it('by subject', async () => {
      const expected = idsWhere('subject = ?', CODEGEN);
      expect(expected).toHaveLength(5);
      expect((await read(`?subject=${encodeURIComponent(CODEGEN)}`)).ids).toEqual(expected);
    });

    it('by model', async () => {
      const expected = idsWhere('model = ?', 'anthropic.claude-haiku');
      expect(expected.length).toBeGreaterThan(0);
      expect((await read('?model=anthropic.claude-haiku')).ids).toEqual(expected);
    });

    it.each(['allowed', 'denied', 'rejected'])(
      'by outcome %s, counting the recorded reads',
      async (outcome) => {
        const expected = idsWhere('outcome = ?', outcome);
        expect(expected.length).toBeGreaterThan(0);
        expect((await read(`?outcome=${outcome}`)).ids).toEqual(expected);
      },
    );

    it('by reason, as the hashed records say (not only the index)', async () => {
      const expected = idsWhere(
        `EXISTS (SELECT 1 FROM json_each(record, '$.reasons') WHERE value = ?)`,
        'repository_not_allowed',
      );
      expect(expected).toHaveLength(2);
      expect((await read('?reason=repository_not_allowed')).ids).toEqual(expected);
    });

    it('by a [from, to) time range', async () => {
      const ts = (id: string) => auditRow(svc.db, id)!.record.timestamp as string;
      const from = ts(decided[2]!);
      const to = ts(decided[7]!);
      const expected = idsWhere('ts_ms >= ? AND ts_ms < ?', Date.parse(from), Date.parse(to));
      expect(expected).toContain(decided[2]);
      expect(expected).not.toContain(decided[7]);
      expect((await read(`?from=${from}&to=${to}`)).ids).toEqual(expected);
    });

    it('by several filters at once', async () => {
      const expected = idsWhere('subject = ? AND outcome = ?', CODEGEN, 'denied');
      expect(expected).toHaveLength(2);
      expect((await read(`?subject=${encodeURIComponent(CODEGEN)}&outcome=denied`)).ids).toEqual(expected);
    });

    it('answers 400 bad_request to an unknown filter, and records it', async () => {
      const res = await svc.get('/v1/decisions?colour=red', auditor);
      expect(res.status).toBe(400);
      expect(codes(res.body)).toEqual(['bad_request']);
      expect((res.body.reasons as { message: string }[])[0]!.message).toMatch(/unknown filter "colour"/);
      expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({
        path: '/v1/decisions',
        outcome: 'rejected',
        status: 400,
        subject: AUDITOR,
      });
    });

    // What the OpenAPI document says of each parameter is what the route takes: schemathesis found an empty
    // `from` refused (400) while the document allowed any string, and `limit=501` served while it said 500 at most.
    it.each([
      ['?from=', /from is empty; leave it out instead/],
      ['?subject=', /subject is empty/],
      ['?from=2026-02-30', /from must be an RFC 3339 date/],
      ['?to=2026-11-01T24:00:00Z', /to must be an RFC 3339 date/],
      ['?limit=501', /limit must be a whole number from 1 to 500/],
      ['?cursor=abc', /cursor is not a cursor/],
      ['?model=a&model=b', /give model once/],
      ['?subject=a%00b', /subject holds a control character/],
    ])('answers 400 bad_request to %s, and records it', async (query, message) => {
      const res = await svc.get(`/v1/decisions${query}`, auditor);
      expect(res.status).toBe(400);
      expect((res.body.reasons as { message: string }[])[0]!.message).toMatch(message);
      expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({
        outcome: 'rejected',
        status: 400,
      });
    });

    it('takes an RFC 3339 date-time with a lower-case t and z, or an offset', async () => {
      const from = auditRow(svc.db, decided[2]!)!.record.timestamp as string;
      const lower = new Date(Date.parse(from)).toISOString().replace('T', 't').replace('Z', 'z');
      const plusTwo = new Date(Date.parse(from) + 7_200_000).toISOString().replace('Z', '+02:00');
      for (const spelling of [lower, plusTwo]) {
        // Each read is recorded, so what the next one finds is taken just before it.
        const expected = idsWhere('ts_ms >= ?', Date.parse(from));
        expect(expected).not.toContain(decided[0]); // the precondition: the filter leaves something out
        expect(expected).toContain(decided[2]);
        expect((await read(`?from=${encodeURIComponent(spelling)}`)).ids).toEqual(expected);
      }
    });
  });

  it('pages through every record once, newest first, with keyset cursors', async () => {
    const snapshot = idsWhere('1');
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await read(`?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.ids);
      cursor = page.next;
      pages += 1;
    } while (cursor !== null && pages < 100);
    // Each page read was recorded meanwhile, newer than the first page: none of them shows up.
    expect(auditCount(svc.db)).toBe(snapshot.length + pages);
    expect(pages).toBe(Math.ceil(snapshot.length / 3));
    expect(seen).toEqual(snapshot);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('records each read as an allowed decision of the auditor', async () => {
    const before = auditCount(svc.db);
    const { readId } = await read('?limit=1');
    expect(auditCount(svc.db)).toBe(before + 1);
    expect(auditRow(svc.db, readId as string)).toMatchObject({
      path: '/v1/decisions',
      outcome: 'allowed',
      status: 200,
      subject: AUDITOR,
    });
  });

  it('returns one record by id, as stored', async () => {
    const res = await svc.get(`/v1/decisions/${decided[1]}`, auditor);
    expect(res.status).toBe(200);
    const stored = auditRow(svc.db, decided[1]!)!;
    expect(res.body.record).toMatchObject({
      ...stored.record,
      seq: stored.seq,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('answers 404 not_found for an unknown id, and records it', async () => {
    const unknown = newDecisionId();
    const res = await svc.get(`/v1/decisions/${unknown}`, auditor);
    expect(res.status).toBe(404);
    expect(codes(res.body)).toEqual(['not_found']);
    expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({
      path: '/v1/decisions/{id}',
      outcome: 'rejected',
      status: 404,
    });
  });

  it('verifies the chain: ok, every record so far, the current head', async () => {
    const head = withReader(svc.db, (db) =>
      db.prepare('SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1').get(),
    ) as { seq: number; hash: string };
    const res = await svc.get('/v1/audit/verify', auditor);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      ok: true,
      records: head.seq,
      head: head.hash,
      anchor: null,
      checkpoints: null,
    });
  });

  it('walks the chain once for verify requests that arrive while a walk runs; they share its answer', async () => {
    // Each walk re-hashes the whole log (on a thread of its own now): eight at once on 200,000 records held
    // decisions at a p50 of 1.4 s (18 ms alone) for two minutes, and nothing bounded how many an auditor could
    // start. Slowed down to the length of a walk over a large log, so that the four requests surely overlap it.
    const walk = ThreadedAuditStore.prototype.verify;
    const walks = jest.spyOn(ThreadedAuditStore.prototype, 'verify').mockImplementation(async function (
      this: ThreadedAuditStore,
      options,
    ) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return walk.call(this, options);
    });
    try {
      const replies = await Promise.all(
        Array.from({ length: 4 }, () => svc.get('/v1/audit/verify', auditor)),
      );
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect(new Set(replies.map((r) => r.body.head)).size).toBe(1);
      expect(walks).toHaveBeenCalledTimes(1);
      // Not a cache: the next request walks again, and sees the four requests above recorded.
      const later = await svc.get('/v1/audit/verify', auditor);
      expect(walks).toHaveBeenCalledTimes(2);
      expect(later.body.records).toBe((replies[0]!.body.records as number) + 4);
    } finally {
      walks.mockRestore();
    }
  });
});
