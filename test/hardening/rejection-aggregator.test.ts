import { RejectionAggregator } from '../../src/decision/rejection-aggregator';

// Unit test of the counting rule; the integration test (bounded-growth) drives it through a real server.

const at = (ms: number, clientAddress = '10.0.0.1') => ({
  clientAddress,
  reason: 'token_missing',
  status: 401,
  path: '/v1/decide',
  atMs: ms,
});

test('records the first N of a source, reason and minute, counts the rest under one id, written after the minute', () => {
  const agg = new RejectionAggregator({ individualPerMinute: 3, maxKeys: 100 });
  const admissions = Array.from({ length: 10 }, (_, i) => agg.admit(at(60_000 + i)));
  expect(admissions.slice(0, 3).every((a) => a.individual)).toBe(true);
  const counted = admissions.slice(3);
  expect(new Set(counted.map((a) => (a.individual ? null : a.decisionId))).size).toBe(1);
  expect(agg.drain(60_500)).toEqual([]); // the minute is not over
  const [record, ...more] = agg.drain(120_000);
  expect(more).toEqual([]);
  expect(record).toMatchObject({
    count: 7,
    status: 401,
    reasons: ['token_missing'],
    client_address: '10.0.0.1',
  });
  expect(record!.timestamp).toBe(new Date(60_000).toISOString());
});

test('beyond maxKeys sources a minute, new sources share the key *', () => {
  const agg = new RejectionAggregator({ individualPerMinute: 1, maxKeys: 2 });
  for (const source of ['a', 'b', 'c', 'd', 'e']) {
    agg.admit(at(0, source));
    agg.admit(at(1, source));
  }
  const records = agg.drain(0, true);
  expect(records.map((r) => r.client_address).sort()).toEqual(['*', 'a', 'b']);
  expect(records.find((r) => r.client_address === '*')!.count).toBe(5);
});

test('0 records every one', () => {
  const agg = new RejectionAggregator({ individualPerMinute: 0, maxKeys: 1 });
  for (let i = 0; i < 50; i++) expect(agg.admit(at(i)).individual).toBe(true);
  expect(agg.drain(0, true)).toEqual([]);
});
