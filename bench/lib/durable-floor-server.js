/**
 * The smallest server that keeps "durable before reply": node:http reads the body, stores it as a row of an
 * SQLite table (WAL, synchronous FULL: one fsync per commit) and answers once the row is committed. It
 * carries none of modelgate's work (no identity, screening, policy, hash chain or index), only the
 * decision path's shape. Driven beside A and C, it shows what a durable reply costs on this machine and
 * harness at best, so a latency target can be judged against it.
 *
 *   node bench/lib/durable-floor-server.js PORT DB_FILE [thread|inline] [burn=µs] [hop] [hop-burn=µs] [writer-burn=µs]
 *
 * thread (default): the commit runs on a worker thread, as modelgate's writer does: each event-loop turn's
 *   rows go to it at once, even while it commits, and it group-commits whatever arrived meanwhile.
 * inline: the main thread commits each turn's rows itself (no hand-off; the event loop waits for the fsync).
 * Either way a second thread copies the WAL back (PASSIVE checkpoint every 50 ms), as modelgate's does.
 * To take modelgate's differences one at a time: burn=N spends N µs of CPU on the event loop per request
 * before the row is queued (modelgate's event loop works ~180 µs a decision); hop sends each body to another
 * thread and waits for its answer first (modelgate's screening thread), which spends hop-burn µs on it;
 * writer-burn=N spends N µs per row on the writer thread before its commit (modelgate's writer prepares,
 * hashes and indexes each record).
 */
/* global __filename */
const { Buffer } = require('node:buffer');
const { setImmediate, setInterval } = require('node:timers');
const { isMainThread, Worker, parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');

const REPLY = JSON.stringify({
  decision_id: '0'.repeat(36),
  result: { allow: true, reasons: [], obligations: [{ type: 'cap_tokens', max_tokens: 2048 }] },
  pad: 'x'.repeat(250),
});

function open(file) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('wal_autocheckpoint = 0');
  return db;
}

// Returns commit(rows): one transaction, one fsync, however many rows.
function committer(db) {
  db.exec('CREATE TABLE IF NOT EXISTS records (seq INTEGER PRIMARY KEY, record TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO records (record) VALUES (?)');
  return db.transaction((rows) => {
    for (const row of rows) insert.run(row);
  });
}

function checkpointer(file) {
  return new Worker(__filename, { workerData: { role: 'checkpoint', file } });
}

function serveMain() {
  const [port, file, mode = 'thread', ...extras] = process.argv.slice(2);
  const option = (name) => Number(extras.find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1) ?? 0);
  const burnUs = option('burn');
  const hop = extras.includes('hop') ? hopThread(option('hop-burn')) : null;
  // Creates the table before another thread opens the file; the commit itself is used in inline mode only.
  const commitInline = committer(open(file));
  checkpointer(file).unref();
  let pending = [];
  let scheduled = false;
  let nextId = 1;
  const waiting = new Map();
  const writerBurnUs = option('writer-burn');
  const writer =
    mode === 'thread'
      ? new Worker(__filename, { workerData: { role: 'writer', file, burnUs: writerBurnUs } })
      : null;
  writer?.on('message', ({ id }) => {
    for (const res of waiting.get(id)) reply(res);
    waiting.delete(id);
  });
  const flush = () => {
    scheduled = false;
    const batch = pending;
    pending = [];
    if (writer) {
      const id = nextId++;
      waiting.set(
        id,
        batch.map((entry) => entry.res),
      );
      writer.postMessage({ id, rows: batch.map((entry) => entry.row) });
      return;
    }
    burn(writerBurnUs * batch.length);
    commitInline(batch.map((entry) => entry.row));
    for (const entry of batch) reply(entry.res);
  };
  const queue = (row, res) => {
    pending.push({ row, res });
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  require('node:http')
    .createServer((req, res) => {
      const chunks = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', () => {
        if (req.method !== 'POST') return reply(res);
        const row = Buffer.concat(chunks).toString('utf8');
        burn(burnUs);
        if (hop) hop(row, () => queue(row, res));
        else queue(row, res);
      });
    })
    .listen(Number(port), '127.0.0.1');
}

function burn(us) {
  const until = process.hrtime.bigint() + BigInt(Math.round(us * 1000));
  while (process.hrtime.bigint() < until);
}

// Returns send(text, done): a round trip to a thread that answers each message at once.
function hopThread(burnUs) {
  const worker = new Worker(__filename, { workerData: { role: 'echo', burnUs } });
  const callbacks = new Map();
  let nextId = 1;
  worker.on('message', (id) => {
    callbacks.get(id)();
    callbacks.delete(id);
  });
  return (text, done) => {
    const id = nextId++;
    callbacks.set(id, done);
    worker.postMessage({ id, text });
  };
}

function reply(res) {
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', Buffer.byteLength(REPLY));
  res.end(REPLY);
}

// The writer thread: requests that arrive while it commits share its next transaction.
function serveWriter(file, burnUs) {
  const commit = committer(open(file));
  let queued = [];
  let scheduled = false;
  parentPort.on('message', (request) => {
    queued.push(request);
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      const requests = queued;
      queued = [];
      const rows = requests.flatMap((r) => r.rows);
      burn(burnUs * rows.length);
      commit(rows);
      for (const r of requests) parentPort.postMessage({ id: r.id });
    });
  });
}

function serveCheckpoints(file) {
  const db = open(file);
  setInterval(() => db.pragma('wal_checkpoint(PASSIVE)'), 50);
}

if (isMainThread) serveMain();
else if (workerData.role === 'writer') serveWriter(workerData.file, workerData.burnUs);
else if (workerData.role === 'echo')
  parentPort.on('message', ({ id }) => {
    burn(workerData.burnUs);
    parentPort.postMessage(id);
  });
else serveCheckpoints(workerData.file);
