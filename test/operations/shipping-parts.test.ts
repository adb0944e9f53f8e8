import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { auditMigrations } from '../../src/audit/audit-migrations';
import { openDatabase } from '../../src/audit/database';
import { ConfigError } from '../../src/errors';
import { retryDelayMs, waitBeforeRetryMs } from '../../src/shipping/backoff';
import { CursorFile } from '../../src/shipping/cursor-file';
import { EVENTS_AFTER } from '../../src/shipping/event-reader';
import { FileDecisionLogSink } from '../../src/shipping/file-sink';
import { HttpDecisionLogSink } from '../../src/shipping/http-sink';
import { DeliveryError } from '../../src/shipping/sinks';

// A collector that takes the batch, then answers 200 one byte every 20 ms, for `bytes` bytes: each byte comes well
// within any idle timeout, so only a deadline on the whole delivery ends it before the answer is complete.
async function tricklingCollector(
  bytes: number,
): Promise<{ server: Server; url: string; requests: () => number }> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests += 1;
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      let sent = 0;
      const timer = setInterval(() => {
        if (res.destroyed || sent >= bytes) {
          clearInterval(timer);
          res.end();
          return;
        }
        res.write('.');
        sent += 1;
      }, 20);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, requests: () => requests };
}

describe('retry delays', () => {
  const limits = { minMs: 100, maxMs: 5000 };

  it('double per failure up to the cap, at the top of the jitter range', () => {
    expect([1, 2, 3, 4, 6, 7, 20, 1000].map((n) => retryDelayMs(n, limits, () => 1))).toEqual([
      100, 200, 400, 800, 3200, 5000, 5000, 5000,
    ]);
  });

  it('are drawn below that ceiling (full jitter), never zero', () => {
    expect(retryDelayMs(4, limits, () => 0.5)).toBe(400);
    expect(retryDelayMs(4, limits, () => 0)).toBe(1);
  });
});

describe('the event reader', () => {
  // A record longer than a page's local room (about 1 KB with the 1 KiB pages of a new log) lives
  // mostly in overflow pages, and SQLite copies it out again for every `record ->` of the row:
  // 2.2x the CPU per event when the query read the table directly.
  it('reads each record once per row, through a subquery SQLite does not flatten', () => {
    const db = openDatabase(path.join(mkdtempSync(path.join(os.tmpdir(), 'mg-events-')), 'a.db'), [
      auditMigrations,
    ]);
    try {
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN ${EVENTS_AFTER}`)
        .all({ labels: '{}', entrypoint: 'modelgate/decision', after: 0, limit: 100 }) as {
        detail: string;
      }[];
      expect(plan[0]?.detail).toMatch(/^(CO-ROUTINE|MATERIALIZE) /);
      expect(plan.map((row) => row.detail)).toContainEqual(expect.stringMatching(/^SEARCH audit_records /));
    } finally {
      db.close();
    }
  });
});

describe('the shipping cursor file', () => {
  const dir = () => mkdtempSync(path.join(os.tmpdir(), 'mg-cursor-'));

  it('starts at 0, then reads back what was written, leaving no temporary file', async () => {
    const folder = dir();
    const cursor = new CursorFile(path.join(folder, 'db.decision-logs.service.cursor'));
    expect(cursor.read()).toEqual({ seq: 0 });
    await cursor.write({ seq: 41, hash: 'a'.repeat(64) });
    await cursor.write({ seq: 42, hash: 'b'.repeat(64) });
    expect(new CursorFile(cursor.file).read()).toEqual({ seq: 42, hash: 'b'.repeat(64) });
    expect(readdirSync(folder)).toEqual(['db.decision-logs.service.cursor']);
  });

  it('reads a cursor written by hand or by an earlier version, without a hash', () => {
    const file = path.join(dir(), 'old.cursor');
    writeFileSync(file, JSON.stringify({ seq: 7, at: '2026-01-01T00:00:00.000Z' }));
    expect(new CursorFile(file).read()).toEqual({ seq: 7 });
    writeFileSync(file, JSON.stringify({ seq: 7, hash: 7 }));
    expect(() => new CursorFile(file).read()).toThrow(/holds a hash that is not a string/);
  });

  it('refuses a cursor file that holds no valid seq, naming the key', () => {
    const file = path.join(dir(), 'bad.cursor');
    for (const text of [JSON.stringify({ seq: -3 }), '{"seq":', 'null']) {
      writeFileSync(file, text);
      expect(() => new CursorFile(file).read()).toThrow(ConfigError);
      expect(() => new CursorFile(file).read()).toThrow(/holds no valid seq/);
    }
  });
});

describe('the decision log service sink', () => {
  it('refuses a missing bearer token file at start-up, naming the key', () => {
    const missing = path.join(mkdtempSync(path.join(os.tmpdir(), 'mg-sink-')), 'no-such-token');
    const sink = () =>
      new HttpDecisionLogSink({
        url: 'http://127.0.0.1:9',
        resource: '/logs',
        bearerTokenFile: missing,
        timeoutMs: 1000,
      });
    expect(sink).toThrow(ConfigError);
    expect(sink).toThrow('config: decision_logs.service.bearer_token_file: cannot read');
  });

  // The token file was read once at start-up: a rotated token needed a restart (bundle downloads re-read theirs).
  it('reads the bearer token file for every delivery, so a rotated token is used without a restart', async () => {
    const seen: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const tokenFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'mg-sink-')), 'token');
    writeFileSync(tokenFile, 'first\n');
    const sink = new HttpDecisionLogSink({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      resource: '/logs',
      bearerTokenFile: tokenFile,
      timeoutMs: 5000,
    });
    try {
      await sink.deliver(['{}']);
      writeFileSync(tokenFile, 'second\n');
      await sink.deliver(['{}']);
      rmSync(tokenFile);
      await expect(sink.deliver(['{}'])).rejects.toThrow(
        /decision_logs\.service\.bearer_token_file: cannot read/,
      );
      expect(seen).toEqual(['Bearer first', 'Bearer second']);
    } finally {
      await sink.close();
      server.close();
    }
  });

  // A collector that answers a byte at a time kept the batch in flight for as long as it kept writing: the timeout
  // was the socket's idle timeout, so shipping (and a graceful stop, which waits for the batch) waited with it.
  it('gives up on a delivery whose answer is not complete within timeout_seconds, however steadily it trickles', async () => {
    // 500 bytes at one per 20 ms: about 10 s of answer, against a 1 s timeout.
    const collector = await tricklingCollector(500);
    const sink = new HttpDecisionLogSink({ url: collector.url, resource: '/logs', timeoutMs: 1000 });
    try {
      const delivery = sink.deliver(['{"decision_id":"a"}']);
      await expect(delivery).rejects.toThrow(DeliveryError);
      await expect(delivery).rejects.toThrow('no answer within 1000 ms');
      expect(collector.requests()).toBe(1);
    } finally {
      await sink.close();
      collector.server.closeAllConnections();
      collector.server.close();
    }
  });
});

// A collector that is shedding load says how long to stay away; retrying on our own short back-off adds to its load.
describe("a collector's Retry-After", () => {
  async function refusingCollector(status: number, headers: Record<string, string>) {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(status, headers).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }

  it.each([
    ['429 with seconds', 429, { 'retry-after': '7' }, 7000],
    ['503 with an HTTP date', 503, { 'retry-after': new Date(Date.now() + 600_000).toUTCString() }, 600_000],
    ['503 without one', 503, {}, undefined],
    ['429 with nonsense', 429, { 'retry-after': 'soon' }, undefined],
  ])('is read from a %s', async (_name, status, headers, expected) => {
    const collector = await refusingCollector(status, headers);
    const sink = new HttpDecisionLogSink({ url: collector.url, resource: '/logs', timeoutMs: 5000 });
    try {
      const err = (await sink.deliver(['{}']).catch((e: unknown) => e)) as DeliveryError;
      expect(err).toBeInstanceOf(DeliveryError);
      expect(err.status).toBe(status);
      if (expected === undefined) expect(err.retryAfterMs).toBeUndefined();
      // An HTTP date has whole seconds, and time passed since the table was written (when jest collected it).
      else expect(err.retryAfterMs).toBeGreaterThan(expected - 60_000);
      if (expected !== undefined) expect(err.retryAfterMs).toBeLessThanOrEqual(expected);
    } finally {
      await sink.close();
      collector.server.close();
    }
  });

  it('lengthens the wait before the next attempt, up to max_retry_delay_ms, and never shortens it', () => {
    const limits = { minMs: 500, maxMs: 60_000 };
    const top = () => 1; // the top of the jitter range
    expect(waitBeforeRetryMs(1, new DeliveryError('busy', 429, { retryAfterMs: 7000 }), limits, top)).toBe(
      7000,
    );
    expect(waitBeforeRetryMs(1, new DeliveryError('busy', 429, { retryAfterMs: 36e5 }), limits, top)).toBe(
      60_000,
    );
    expect(waitBeforeRetryMs(8, new DeliveryError('busy', 503, { retryAfterMs: 10 }), limits, top)).toBe(
      60_000,
    );
    expect(waitBeforeRetryMs(1, new Error('ECONNREFUSED'), limits, top)).toBe(500);
  });
});

describe('the decision log file sink', () => {
  // The sink kept the file it first opened: after logrotate renamed it, every later batch went into the rotated file
  // (or, deleted, into no file at all) while the cursor moved on, and the log agent reading the path saw nothing more.
  it('follows the path: a rotated or deleted file is replaced by a new one at the next batch', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'mg-file-sink-')), 'decisions.jsonl');
    const sink = new FileDecisionLogSink(file);
    try {
      await sink.deliver(['{"seq":1}', '{"seq":2}']);
      renameSync(file, `${file}.1`);
      await sink.deliver(['{"seq":3}']);
      expect(readFileSync(`${file}.1`, 'utf8')).toBe('{"seq":1}\n{"seq":2}\n');
      expect(readFileSync(file, 'utf8')).toBe('{"seq":3}\n');
      rmSync(file);
      await sink.deliver(['{"seq":4}']);
      expect(readFileSync(file, 'utf8')).toBe('{"seq":4}\n');
    } finally {
      await sink.close();
    }
  });
});
