import type { VerifiedSubject } from '../identity';
import type { LineageV1 } from '../lineage/lineage';
import { resolveLineage, type LineageLookup } from '../lineage/lineage-checks';
import type { DecideRequestV1 } from '../schemas/decide-request.schema';
import type { DecisionCall, DecisionDeps } from './decision-deps';

// Without a configured lookup, a named parent is simply not found: never a silent pass.
const NO_LOOKUP: LineageLookup = { find: async () => null, maxParentAgeMs: 0 };

/** Returns `input.lineage` for the request, or undefined; throws RequestError 400 for a bad parent. */
export function readLineage(
  deps: DecisionDeps,
  call: DecisionCall,
  subject: VerifiedSubject,
  request: DecideRequestV1,
): Promise<LineageV1 | undefined> {
  return resolveLineage(
    deps.lineage ?? NO_LOOKUP,
    subject,
    { context: request.context, traceparent: call.traceparent },
    deps.now(),
  );
}
