import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Target } from './target';
import { uniqueBody } from './unique-body';

/** Latency at a fixed offered load, in milliseconds. */
export interface FixedRateResult {
  offeredRps: number;
  achievedRps: number;
  ok: number;
  failed: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

interface Connection {
  socket: Socket;
  busy: boolean;
  buffer: Buffer;
  /** When the request now on this connection started counting. */
  startedAt: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * Offers `rps` requests per second for `seconds`, open loop: request i falls due at start + i/rps
 * whether or not earlier ones have answered. A request that finds every connection busy waits
 * in a queue and its latency counts from when it fell due, so a server that stalls is charged for
 * every request it held up (no coordinated omission); one that finds a free connection counts from
 * when it is written, so the 1 ms granularity of timers is not charged to the server.
 *
 * autocannon is not used here: its rate limit sends each connection's quota in a burst at the top of
 * every second, and its histogram keeps whole milliseconds. node:http was tried first: its per-request
 * allocations and Nagle's algorithm on client sockets added milliseconds to the tail.
 * Raw sockets, one request in flight per connection, responses framed by Content-Length.
 */
export async function fixedRate(
  target: Target,
  rps: number,
  seconds: number,
  connections = 64,
): Promise<FixedRateResult> {
  const url = new URL(target.url);
  const body = Buffer.from(target.body);
  const head = [
    `POST ${url.pathname}${url.search} HTTP/1.1`,
    `Host: ${url.host}`,
    ...Object.entries(target.headers).map(([name, value]) => `${name}: ${value}`),
    `Content-Length: ${body.length}`,
    '',
    '',
  ].join('\r\n');
  const request = Buffer.concat([Buffer.from(head), body]);
  // A body with the marker is made different in every request (see workload.ts).
  const unique = uniqueBody(request) ?? ((same: Buffer) => same);
  const total = Math.round(rps * seconds);
  const latencies = new Float64Array(total);
  let recorded = 0;
  let ok = 0;
  let failed = 0;
  const queue: number[] = []; // due times of requests waiting for a connection
  const idle: Connection[] = [];
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const record = (latency: number, success: boolean) => {
    latencies[recorded++] = latency;
    if (success) ok += 1;
    else failed += 1;
    if (recorded === total) finish();
  };
  const send = (conn: Connection, startedAt: number) => {
    conn.busy = true;
    conn.startedAt = startedAt;
    conn.socket.write(unique(request));
  };
  const onData = (conn: Connection, chunk: Buffer) => {
    conn.buffer = conn.buffer.length === 0 ? chunk : Buffer.concat([conn.buffer, chunk]);
    const end = conn.buffer.indexOf(HEADER_END);
    if (end < 0) return;
    const headers = conn.buffer.subarray(0, end).toString('latin1');
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(headers)?.[1] ?? NaN);
    if (!Number.isFinite(length))
      throw new Error(`${target.name}: a response without Content-Length:\n${headers}`);
    if (conn.buffer.length < end + 4 + length) return;
    const status = Number(headers.slice(9, 12));
    conn.buffer = conn.buffer.subarray(end + 4 + length);
    record(performance.now() - conn.startedAt, status === 200);
    conn.busy = false;
    release(conn);
  };
  // Idle connections are used first in, first out, so none sits idle long enough to be timed out.
  const release = (conn: Connection) => {
    const due = queue.shift();
    if (due !== undefined) send(conn, due);
    else idle.push(conn);
  };

  // A connection the server closed (an idle timeout, an error) fails its request, if it had one,
  // and is replaced, so that every request due is accounted for.
  const all = new Set<Connection>();
  let stopping = false;
  const open = (): Promise<Connection> =>
    new Promise((resolve, reject) => {
      const socket = connect({ host: url.hostname, port: Number(url.port), noDelay: true });
      const conn: Connection = { socket, busy: false, buffer: Buffer.alloc(0), startedAt: 0 };
      all.add(conn);
      let connected = false;
      socket.once('connect', () => {
        connected = true;
        resolve(conn);
      });
      socket.on('error', (err) => {
        if (!connected) reject(err);
      });
      socket.on('data', (chunk: Buffer) => onData(conn, chunk));
      socket.on('close', () => {
        all.delete(conn);
        if (!connected || stopping) return;
        const at = idle.indexOf(conn);
        if (at >= 0) idle.splice(at, 1);
        if (conn.busy) record(performance.now() - conn.startedAt, false);
        conn.busy = false;
        void open().then(release, () => undefined);
      });
    });
  idle.push(...(await Promise.all(Array.from({ length: connections }, open))));

  const start = performance.now();
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - start) * rps) / 1000) + 1);
    for (; sent < due; sent++) {
      const conn = idle.shift();
      if (conn) send(conn, performance.now());
      else queue.push(start + (sent * 1000) / rps);
    }
    if (sent < total) timer = setTimeout(tick, Math.max(1, start + (sent * 1000) / rps - performance.now()));
  };
  tick();
  const deadline = setTimeout(() => finish(), (seconds + 60) * 1000);
  await finished;
  clearTimeout(deadline);
  clearTimeout(timer);
  const elapsed = (performance.now() - start) / 1000;
  stopping = true;
  for (const conn of all) conn.socket.destroy();
  if (recorded < total)
    throw new Error(`${target.name}: ${total - recorded} of ${total} requests never completed`);

  const sorted = latencies.sort();
  const at = (q: number) => sorted[Math.min(total - 1, Math.ceil(q * total) - 1)] ?? NaN;
  return {
    offeredRps: rps,
    achievedRps: ok / elapsed,
    ok,
    failed,
    p50: at(0.5),
    p99: at(0.99),
    p999: at(0.999),
    max: sorted[total - 1] ?? NaN,
  };
}
