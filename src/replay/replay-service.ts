import { parseSince } from '../audit/relative-time';
import { parseInstant } from '../audit/time-range';
import { ReasonCode, RequestError, UnavailableError } from '../errors';
import type { ActiveBundleFiles } from '../policy/active-bundle';
import { DEFAULT_REPLAY_LIMIT, type ReplayRequestV1 } from '../schemas/replay-request.schema';
import { failingKinds, type FailedOn } from './fail-on';
import type { ReplayReport } from './replay-report';
import type { ReplayRunner } from './replay-runner';

/** What POST /v1/replay needs from the running service. */
export interface ReplayServiceDeps {
  /** The bundle in force, with its files; replay compares the candidate with it. */
  active: () => ActiveBundleFiles | undefined;
  entrypoint: string;
  /** The SQLite audit file, which the replay thread opens read-only for itself. */
  db: string;
  runner: ReplayRunner;
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
  const report = await deps.runner.run({
    db: deps.db,
    active: { name: active.name, origin: active.origin, files: active.files },
    candidate: candidateBytes(request.bundle),
    entrypoint: deps.entrypoint,
    scan: { fromMs, toMs, subject: request.subject },
    period: { from: iso(fromMs), to: iso(toMs) },
    subject: request.subject ?? null,
    limit: request.limit ?? DEFAULT_REPLAY_LIMIT,
  });
  return { ...report, failed_on: failingKinds(report, request.fail_on ?? []) };
}

function candidateBytes(base64: string): Buffer {
  const bytes = Buffer.from(base64, 'base64');
  // Buffer.from skips what is not base64; a round trip that changes the text means the caller sent something else.
  if (bytes.length === 0 || bytes.toString('base64') !== base64) {
    throw new RequestError(
      ReasonCode.BodyInvalid,
      400,
      'bundle is not base64 (RFC 4648 section 4, padded, no line breaks: base64 -w0 bundle.tar.gz)',
    );
  }
  return bytes;
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}
