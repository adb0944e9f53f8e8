import net from 'node:net';
import { auditCount, auditRow, requestsRecorded } from '../helpers/audit-db';
import { startTestService, type TestService } from '../helpers/service';

// A request node:http cannot parse never reaches a route. Before, node answered it with a bare 400 or 431 and
// nothing was recorded; now it is refused like any other anonymous request: a reason code, and a record.

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(() => svc.close());

/** Writes raw bytes on a new connection; resolves with the status line, headers and JSON body of the reply. */
async function rawRequest(
  bytes: string,
  url = svc.url,
): Promise<{ status: number; head: string; body: Record<string, unknown> }> {
  const text = await rawText(bytes, url);
  const [head = '', body = ''] = text.split('\r\n\r\n');
  return {
    status: Number(head.split(' ')[1]),
    head,
    body: body === '' ? {} : (JSON.parse(body) as Record<string, unknown>),
  };
}

/** Writes raw bytes on a new connection; resolves with everything the server sent before it closed. */
function rawText(bytes: string, url = svc.url): Promise<string> {
  const { port, hostname } = new URL(url);
  return new Promise((resolve, reject) => {
    // write, not end: node ends a half-closed socket before the answer is recorded (the record is still made).
    const socket = net.connect(Number(port), hostname, () => socket.write(bytes));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
}

test('headers over the limit: 431 headers_too_large, in JSON, recorded', async () => {
  const big = `Bearer ${'a'.repeat(20 * 1024)}`;
  const res = await rawRequest(`POST /v1/decide HTTP/1.1\r\nHost: x\r\nAuthorization: ${big}\r\n\r\n`);
  expect(res.status).toBe(431);
  expect(res.head).toMatch(/content-type: application\/json/i);
  expect(res.body).toMatchObject({ allow: false, reasons: [{ code: 'headers_too_large' }] });
  expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({
    path: '(unparsed request)',
    outcome: 'rejected',
    status: 431,
  });
  // The record holds no part of what was sent.
  expect(JSON.stringify(auditRow(svc.db, res.body.decision_id as string))).not.toContain('aaaaaaaa');
});

test('a request that is not HTTP: 400 bad_request, in JSON, recorded', async () => {
  const res = await rawRequest('HELLO THERE\r\n\r\n');
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ allow: false, reasons: [{ code: 'bad_request' }] });
  expect(auditRow(svc.db, res.body.decision_id as string)).toMatchObject({
    status: 400,
    outcome: 'rejected',
  });
});

test('a pipelined one behind a request being answered is recorded, after that request is answered', async () => {
  const before = auditCount(svc.db);
  const res = await rawText('GET /health HTTP/1.1\r\nHost: x\r\n\r\nHELLO THERE\r\n\r\n');
  // The first reply is whole; the second request gets none (its reply could have cut into the first).
  expect(res).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n\{\}$/);
  expect(auditCount(svc.db) - before).toBe(1);
});

test('a flood of them is counted, not recorded row by row, and every one is accounted for', async () => {
  const flood = await startTestService();
  const before = auditCount(flood.db);
  const replies = [];
  try {
    for (let i = 0; i < 30; i++) replies.push(await rawRequest('NOT HTTP AT ALL\r\n\r\n', flood.url));
  } finally {
    await flood.close();
  }
  expect(replies.every((r) => r.status === 400 && r.body.decision_id !== undefined)).toBe(true);
  expect(auditCount(flood.db) - before).toBeLessThanOrEqual(12);
  // close() wrote the counted record(s): the 30 are all there.
  expect(requestsRecorded(flood.db, '(unparsed request)', 400)).toBe(30);
});

test('a well-formed request on the same server is untouched', async () => {
  const res = await svc.get('/health');
  expect(res.status).toBe(200);
});
