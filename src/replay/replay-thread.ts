import { parentPort, workerData } from 'node:worker_threads';
import { auditMigrations } from '../audit/audit-migrations';
import { openDatabase } from '../audit/database';
import { scanDecisions, type DecisionScan } from '../audit/decision-scan';
import { parseBundle, readTarball, type BundleFiles } from '../policy/bundle';
import type { PolicyEngine } from '../policy/policy-engine';
import { WasmPolicyEngine } from '../policy/wasm-policy-engine';
import { niceThisThread } from '../threads/thread-nice';
import { replay } from './replay';
import type { ReplayReport } from './replay-report';

/** What the replay thread is given, by value: the bundle in force as files, the candidate as its .tar.gz. */
export interface ReplayThreadData {
  db: string;
  active: { name: string; origin: string; files: BundleFiles };
  candidate: Uint8Array;
  entrypoint: string;
  scan: Omit<DecisionScan, 'path'>;
  period: { from: string | null; to: string | null };
  subject: string | null;
  limit: number;
}

/** The thread's one message: the report, or why there is none (`candidate`: the upload is at fault, a 400). */
export type ReplayThreadReply =
  { ok: true; report: ReplayReport } | { ok: false; kind: 'candidate' | 'failed'; message: string };

/** Thrown for a candidate bundle that cannot be read or loaded, or lacks the entrypoint. */
class CandidateError extends Error {}

// A replay evaluates an uploaded policy over up to the whole log: seconds to minutes of synchronous WASM. Here
// it holds neither the event loop that answers decisions nor, at a high nice value, the CPU they need.
async function run(data: ReplayThreadData): Promise<ReplayThreadReply> {
  try {
    niceThisThread(10);
  } catch {
    // Lowering the priority is a courtesy to the decisions; the replay is the same without it.
  }
  const active = await WasmPolicyEngine.load(
    parseBundle(asBuffers(data.active.files), data.active.name, data.active.origin),
  );
  const candidate = await candidateEngine(Buffer.from(data.candidate), data.entrypoint);
  const db = openDatabase(data.db, [auditMigrations], { readonly: true });
  try {
    const report = await replay({
      // One record more than the limit, so the report knows whether it stopped early.
      records: scanDecisions(db, { ...data.scan, path: '/v1/decide', limit: data.limit + 1 }),
      active,
      candidate,
      entrypoint: data.entrypoint,
      period: data.period,
      subject: data.subject,
      limit: data.limit,
      // No event loop here to give turns to.
      yieldEvery: Number.MAX_SAFE_INTEGER,
    });
    return { ok: true, report };
  } finally {
    db.close();
  }
}

async function candidateEngine(gzipped: Buffer, entrypoint: string): Promise<PolicyEngine> {
  try {
    const engine = await WasmPolicyEngine.load(
      parseBundle(await readTarball(gzipped, 'bundle'), 'candidate', 'bundle'),
    );
    if (!engine.hasEntrypoint(entrypoint)) {
      throw new Error(
        `it has no entrypoint ${entrypoint} (it has: ${engine.info.entrypoints.join(', ') || 'none'})`,
      );
    }
    return engine;
  } catch (err) {
    throw new CandidateError((err as Error).message, { cause: err });
  }
}

// Buffers arrive as plain Uint8Arrays: structured cloning keeps the bytes, not the class.
function asBuffers(files: BundleFiles): BundleFiles {
  return new Map(
    [...files].map(([name, bytes]) => [name, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)]),
  );
}

run(workerData as ReplayThreadData).then(
  (reply) => parentPort?.postMessage(reply),
  (err: unknown) =>
    parentPort?.postMessage({
      ok: false,
      kind: err instanceof CandidateError ? 'candidate' : 'failed',
      message: (err as Error).message,
    } satisfies ReplayThreadReply),
);
