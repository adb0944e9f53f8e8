import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { scanDecisions } from '../audit/decision-scan';
import type { Db } from '../audit/database';
import { parseSince } from '../audit/relative-time';
import { parseInstant } from '../audit/time-range';
import { ReasonCode, RequestError, UnavailableError } from '../errors';
import type { PolicyEngine } from '../policy/policy-engine';
import { DEFAULT_REPLAY_LIMIT, type ReplayRequestV1 } from '../schemas/replay-request.schema';
import { failingKinds, type FailedOn } from './fail-on';
import { loadReplayEngine } from './load-engine';
import { replay } from './replay';
import type { ReplayReport } from './replay-report';

/** What POST /v1/replay needs from the running service. */
export interface ReplayServiceDeps {
  /** The bundle in force; replay compares the candidate with it. */
  active: () => PolicyEngine | undefined;
  entrypoint: string;
  /** A read-only connection of its own: a long scan must not hold the service's connection busy. */
  openReader: () => Db;
  now: () => number;
}

/** Returns the replay report for an API request, with the --fail-on kinds it found. */
export async function replayRequest(
  deps: ReplayServiceDeps,
  request: ReplayRequestV1,
): Promise<ReplayReport & { failed_on: FailedOn[] }> {
  const active = deps.active();
  if (!active) throw new UnavailableError(ReasonCode.PolicyUnavailable, 'no policy bundle is loaded');
  const now = deps.now();
  const fromMs = request.since === undefined ? undefined : parseSince(request.since, now);
  const toMs = request.until === undefined ? undefined : parseInstant(request.until, 'until');
  const candidate = await candidateEngine(request.bundle, deps.entrypoint);
  const limit = request.limit ?? DEFAULT_REPLAY_LIMIT;
  const db = deps.openReader();
  try {
    const report = await replay({
      // One record more than the limit, so the report knows whether it stopped early.
      records: scanDecisions(db, {
        path: '/v1/decide',
        fromMs,
        toMs,
        subject: request.subject,
        limit: limit + 1,
      }),
      active,
      candidate,
      entrypoint: deps.entrypoint,
      period: { from: iso(fromMs), to: iso(toMs) },
      subject: request.subject ?? null,
      limit,
    });
    return { ...report, failed_on: failingKinds(report, request.fail_on ?? []) };
  } finally {
    db.close();
  }
}

// The bundle reader works on files: the upload goes to a private temporary folder and is removed.
async function candidateEngine(base64: string, entrypoint: string): Promise<PolicyEngine> {
  const bytes = Buffer.from(base64, 'base64');
  // Buffer.from skips what is not base64; a round trip that changes the text means the caller sent something else.
  if (bytes.length === 0 || bytes.toString('base64') !== base64) {
    throw new RequestError(
      ReasonCode.BodyInvalid,
      400,
      'bundle is not base64 (RFC 4648 section 4, padded, no line breaks: base64 -w0 bundle.tar.gz)',
    );
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'modelgate-replay-'));
  try {
    const file = path.join(dir, 'candidate.tar.gz');
    await writeFile(file, bytes, { mode: 0o600 });
    return await loadReplayEngine(file, entrypoint);
  } catch (err) {
    throw new RequestError(
      ReasonCode.BodyInvalid,
      400,
      `the candidate bundle does not load: ${(err as Error).message.split(`${dir}${path.sep}`).join('')}`,
      { cause: err },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}
