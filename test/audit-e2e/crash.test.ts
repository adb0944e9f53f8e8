import { rmSync } from 'node:fs';
import { startChildService, type ChildService } from '../helpers/child-service';
import { runCli } from '../helpers/cli';
import {
  codegenAllowed,
  codegenDenied,
  storedDecisionIds,
  strangerDenied,
  supportAllowed,
} from './e2e-fixtures';

const CLIENTS = 8;
// Bounds, not expectations: the load ends at the kill, or at these limits if the kill never came.
const MAX_REQUESTS_PER_CLIENT = 300;
const KILL_AFTER_REPLIES = 2_000;
const KILL_AFTER_MS = 1_200;

/** What the clients saw while the server was killed under them. */
interface LoadResult {
  /** decision_id of every 200 reply a client received in full. */
  received: string[];
  /** Replies other than 200 before the kill (there should be none). */
  unexpected: { status: number; body: unknown }[];
  /** Requests that failed because the connection went away. */
  aborted: number;
  /** Other requests outstanding at the moment of SIGKILL (0 if the load ran out before the kill). */
  inFlightAtKill: number;
}

// Eight clients post decisions back to back. Once enough time passed (or replies arrived), the client
// that receives the next 200 reply SIGKILLs the server on the spot, while the other clients' requests
// are outstanding: a server that replied before committing would be committing that very reply's
// batch then. Every client stops at its first failed request.
async function loadAndKill(svc: ChildService): Promise<LoadResult> {
  const calls = [codegenAllowed, codegenDenied, supportAllowed, strangerDenied].map((call) => ({
    token: svc.token(call.claims),
    body: JSON.stringify(call.body),
  }));
  const result: LoadResult = { received: [], unexpected: [], aborted: 0, inFlightAtKill: 0 };
  const started = Date.now();
  let inFlight = 0;
  let killed = false;
  const due = () => result.received.length >= KILL_AFTER_REPLIES || Date.now() - started >= KILL_AFTER_MS;
  const kill = (outstanding: number) => {
    killed = true;
    result.inFlightAtKill = outstanding;
    process.kill(svc.pid, 'SIGKILL');
  };

  const client = async (index: number) => {
    for (let n = 0; n < MAX_REQUESTS_PER_CLIENT && !killed; n++) {
      const call = calls[(index + n) % calls.length]!;
      inFlight += 1;
      let body: { decision_id: string };
      let status: number;
      try {
        const res = await fetch(`${svc.url}/v1/decide`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${call.token}` },
          body: call.body,
        });
        status = res.status;
        body = (await res.json()) as { decision_id: string };
      } catch {
        result.aborted += 1;
        return;
      } finally {
        inFlight -= 1;
      }
      if (status !== 200) {
        result.unexpected.push({ status, body });
        continue;
      }
      result.received.push(body.decision_id);
      if (!killed && inFlight > 0 && due()) kill(inFlight);
    }
  };

  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
  // The load ran out before the kill: end the server anyway; the precondition test reports it.
  if (!killed) kill(0);
  return result;
}

describe('a crash of the server under load', () => {
  let svc: ChildService;
  let load: LoadResult;
  let exit: Awaited<ChildService['exited']>;
  beforeAll(async () => {
    svc = await startChildService();
    load = await loadAndKill(svc);
    exit = await svc.exited;
  });
  afterAll(async () => {
    await svc?.stop();
    if (svc) rmSync(svc.dir, { recursive: true, force: true });
  });

  it('was a SIGKILL with requests in flight, after decisions had been received (the precondition)', () => {
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(load.inFlightAtKill).toBeGreaterThan(0);
    expect(load.received.length).toBeGreaterThanOrEqual(CLIENTS);
    expect(load.unexpected).toEqual([]);
    expect(new Set(load.received).size).toBe(load.received.length);
  });

  it('keeps every decision whose reply a client received', () => {
    const stored = storedDecisionIds(svc.db);
    const missing = load.received.filter((id) => !stored.has(id));
    expect(missing).toEqual([]);
    // Requests cut off by the kill may have been committed without their reply being read; never fewer.
    expect(stored.size).toBeGreaterThanOrEqual(load.received.length);
  });

  it('leaves a hash chain that `modelgate audit verify` reports intact', async () => {
    const stored = storedDecisionIds(svc.db).size;
    const verify = await runCli(['audit', 'verify', '--db', svc.db]);
    expect(verify.stderr).toBe('');
    expect(verify.stdout).toMatch(new RegExp(`^${stored} records, chain intact, head [0-9a-f]{64}\\n$`));
    expect(verify.code).toBe(0);
  });

  it('restarts on the crashed database and extends the same chain', async () => {
    const before = storedDecisionIds(svc.db).size;
    const again = await startChildService({ dir: svc.dir, rsa: svc.rsa });
    try {
      const res = await again.post('/v1/decide', supportAllowed.body, again.token(supportAllowed.claims));
      expect(res.status).toBe(200);
      expect(storedDecisionIds(again.db).has(res.body.decision_id as string)).toBe(true);
    } finally {
      expect(await again.stop()).toEqual({ code: 0, signal: null });
    }
    const verify = await runCli(['audit', 'verify', '--db', svc.db]);
    expect(verify.stdout).toMatch(new RegExp(`^${before + 1} records, chain intact`));
    expect(verify.code).toBe(0);
  });
});
