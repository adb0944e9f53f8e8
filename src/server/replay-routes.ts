import type { Express } from 'express';
import type { DecisionDeps } from '../decision/decision-deps';
import { guardedCall } from '../decision/guarded-call';
import { readBody } from '../decision/steps';
import { replayRequest, type ReplayServiceDeps } from '../replay/replay-service';
import {
  MAX_REPLAY_BUNDLE_BYTES,
  replayRequestSchema,
  type ReplayRequestV1,
} from '../schemas/replay-request.schema';
import { compileValidator } from '../schemas/validators';
import type { RouteHelpers } from './app';
import { jsonBody } from './json-body';

const validateReplayRequest = compileValidator<ReplayRequestV1>(replayRequestSchema);
// The candidate bundle travels base64 in the JSON body: room for it and the other fields.
const REPLAY_BODY_BYTES = Math.ceil(MAX_REPLAY_BUNDLE_BYTES / 3) * 4 + 64 * 1024;

/** Mounts POST /v1/replay (auditor scope): recorded traffic against a candidate bundle. */
export function replayRoutes(
  app: Express,
  { toCall, send }: RouteHelpers,
  deps: { decision: DecisionDeps; replay: ReplayServiceDeps },
): void {
  app.post('/v1/replay', jsonBody(REPLAY_BODY_BYTES), async (req, res) => {
    const call = toCall(req, res, '/v1/replay');
    send(
      res,
      await guardedCall(deps.decision, call, { auditorOnly: true }, async () => {
        const request = readBody(deps.decision, call, validateReplayRequest);
        return { body: { ...(await replayRequest(deps.replay, request)) } };
      }),
    );
  });
}
